/*
 * memory_open.c - posture memory's store from posture-milter.conf's settings, for both
 * programs (see memory_open.h). Moved out of runtime.c so that posture-check opens the
 * same store from the same keys the same way; the daemon's log lines are unchanged.
 *
 * What can go wrong: a named StateDirectory missing, not a directory or not writable,
 * or LMDB refusing it (an error naming the directory); the default directory unusable
 * (the daemon: a warning, no local memory); Redis settings that make no backend (an
 * error). Nothing here connects to Redis: the backend connects on first use, bounded
 * by RedisTimeout.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "memory_open.h"
#include "store/store_lmdb.h"
#include "store/store_redis.h"

/*
 * FNV-1a over what changes an evaluation's results: the Selectors, in order and
 * lower-cased (which DKIM keys are checked), then DNSSEC and ProbeMX (whether the
 * dnssec and dane families and the probe's findings exist at all). A snapshot made
 * under another setting is another shape: not served.
 */
uint32_t
memory_shape(const struct pm_config *cfg)
{
	uint32_t h = 2166136261u;
	const char *p;
	size_t i;

	for (i = 0; i < cfg->nselectors; i++) {
		for (p = cfg->selectors[i]; *p; p++) {
			h ^= (uint32_t)tolower((unsigned char)*p);
			h *= 16777619u;
		}
		h ^= 0xff;		/* the separator, so "a" "bc" differs from "ab" "c" */
		h *= 16777619u;
	}
	/* Flags after a separator no selector byte can be (0xfe). */
	h ^= 0xfe;
	h *= 16777619u;
	h ^= (uint32_t)(cfg->dnssec ? 1u : 0u) | (cfg->probe_mx ? 2u : 0u);
	h *= 16777619u;
	return h;
}

/* RedisPrefix, or the default. */
const char *
memory_key_prefix(const struct pm_config *cfg)
{
	return cfg->redis_prefix ? cfg->redis_prefix : PM_REDIS_PREFIX;
}

/* The Redis backend's configuration from ours. */
static void
redis_config(const struct pm_config *cfg, store_log_fn log, void *log_arg,
	     struct store_redis_config *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->hosts = (const char *const *)cfg->redis;
	rc->nhosts = cfg->nredis;
	rc->password = cfg->redis_password;
	rc->database = cfg->redis_database;
	rc->prefix = memory_key_prefix(cfg);
	rc->timeout_ms = cfg->redis_timeout_ms;
	rc->log = log;
	rc->log_arg = log_arg;
}

/* Whether dir is a directory: 0, or -1 with "<key> DIR: reason". */
static int
directory_check(const char *key, const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "%s %s: %s", key, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a directory", key, dir);
		return -1;
	}
	return 0;
}

/*
 * What can be checked of posture memory's settings before it is opened (and with -n):
 * a named StateDirectory must be a directory; the Redis settings must be usable (the
 * backend is made and dropped: it does not connect).
 */
int
memory_check(const struct pm_config *cfg, char *err, size_t errlen)
{
	struct store_redis_config rc;
	struct store_backend *b;
	char why[256];

	if (cfg->state_directory != NULL && strcmp(cfg->state_directory, "none") != 0 &&
	    directory_check("StateDirectory", cfg->state_directory, err, errlen) < 0)
		return -1;
	if (cfg->nredis > 0) {
		redis_config(cfg, NULL, NULL, &rc);
		if ((b = store_redis_open(&rc, why, sizeof(why))) == NULL) {
			snprintf(err, errlen, "Redis: %s", why);
			return -1;
		}
		b->free(b);
	}
	return 0;
}

/* The LMDB backend in the directory, NULL when off or (default directory) unusable. */
static int
open_local(const struct memory_source *src, struct store_backend **out, char *err,
	   size_t errlen)
{
	const struct pm_config *cfg = src->cfg;
	const char *dir = cfg->state_directory;
	struct store_lmdb_config lc;
	char why[256];

	*out = NULL;
	if (dir == NULL && !src->default_directory)
		return 0;
	if (dir == NULL)
		dir = PM_STATE_DIRECTORY;
	if (strcmp(dir, "none") == 0)
		return 0;
	if (cfg->state_directory != NULL &&
	    directory_check(src->directory_key, dir, err, errlen) < 0)
		return -1;
	memset(&lc, 0, sizeof(lc));
	lc.dir = dir;
	lc.log = src->log;
	lc.log_arg = src->log_arg;
	if (access(dir, W_OK) < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
	} else if ((*out = store_lmdb_open(&lc, why, sizeof(why))) != NULL) {
		if (src->log != NULL)
			src->log(src->log_arg, LOG_INFO, "posture memory: local in %s", dir);
		return 0;
	}
	if (cfg->state_directory != NULL) {
		snprintf(err, errlen, "%s %s: %s", src->directory_key, dir, why);
		return -1;
	}
	if (src->log != NULL)
		src->log(src->log_arg, LOG_WARNING, "posture memory: default StateDirectory %s "
		    "cannot be used (%s): running without local memory (set StateDirectory none "
		    "to silence this)", dir, why);
	return 0;
}

/* Open the chain of backends the settings name. */
int
memory_open(const struct memory_source *src, struct store **out, char *err, size_t errlen)
{
	struct store_backend *chain[STORE_CHAIN_MAX] = { NULL, NULL };
	const struct pm_config *cfg = src->cfg;
	struct store_redis_config rc;
	char why[256];

	*out = NULL;
	if (open_local(src, &chain[0], err, errlen) < 0)
		return -1;
	if (cfg->nredis > 0) {
		redis_config(cfg, src->log, src->log_arg, &rc);
		if ((chain[1] = store_redis_open(&rc, why, sizeof(why))) == NULL) {
			if (chain[0] != NULL)
				chain[0]->free(chain[0]);
			snprintf(err, errlen, "Redis: %s", why);
			return -1;
		}
		if (src->log != NULL)
			src->log(src->log_arg, LOG_INFO, "posture memory: shared on Redis %s%s",
			    cfg->redis[0], cfg->nredis > 1 ? " (and failovers)" : "");
	}
	if (chain[0] == NULL && chain[1] == NULL)
		return 0;
	if ((*out = store_new(chain, STORE_CHAIN_MAX, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "posture memory: out of memory");
		return -1;
	}
	return 0;
}
