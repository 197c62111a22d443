/*
 * runtime.c - configuration, engine and pool as one reference-counted unit, and the
 * process-wide posture memory they share (see runtime.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/authres_id.h"
#include "log.h"
#include "memory.h"
#include "memory_open.h"
#include "runtime.h"
#include "store/store.h"

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime *current;
static unsigned alive;			/* runtimes not yet freed; guarded by runtime_lock */
/* Posture memory: set once by runtime_memory_open(), guarded by runtime_lock. */
static struct store *memory;
static char memory_prefix[PM_REDIS_PREFIX_MAX + 1];

/* Free a runtime nobody refers to. */
static void
runtime_free(struct runtime *rt)
{
	dkim_verify_lib_free(rt->dkim);
	evalpool_free(rt->pool);
	posture_memory_free(rt->memory);
	posture_engine_free(rt->engine);
	pm_config_free(&rt->cfg);
	free(rt);
	pthread_mutex_lock(&runtime_lock);
	alive--;
	pthread_mutex_unlock(&runtime_lock);
}

/* The store's log lines go to ours. */
static void
memory_log(void *arg, int priority, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	(void)arg;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pm_log(priority, "%s", line);	/* every line names posture memory (memory_open.h) */
}

/* Give rt's pool a view of the process's store with rt's prefix, shape and bounds. */
static int
memory_attach(struct runtime *rt, struct store *s)
{
	rt->memory = posture_memory_new(s, memory_key_prefix(&rt->cfg), rt->shape_config,
	    rt->cfg.history_versions);
	if (rt->memory == NULL)
		return -1;
	evalpool_set_memory(rt->pool, rt->memory);
	return 0;
}

/* Build everything from a configuration file (NULL path: defaults only). */
struct runtime *
runtime_build(const char *config_path, char *err, size_t errlen)
{
	struct evalpool_config pc;
	struct posture_options opts;
	struct runtime *rt;
	const char *resolvers[PM_MAX_LIST];
	size_t i;

	rt = calloc(1, sizeof(*rt));
	if (rt == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rt->refs = 1;			/* the caller's */
	pthread_mutex_lock(&runtime_lock);
	alive++;
	pthread_mutex_unlock(&runtime_lock);
	pm_config_init(&rt->cfg);
	if (config_path != NULL && pm_config_load(config_path, &rt->cfg, err, errlen) < 0)
		goto fail;
	if (rt->cfg.authserv_id != NULL) {
		snprintf(rt->authserv_id, sizeof(rt->authserv_id), "%s", rt->cfg.authserv_id);
	} else if (gethostname(rt->authserv_id, sizeof(rt->authserv_id) - 1) < 0) {
		snprintf(err, errlen, "gethostname: %s", strerror(errno));
		goto fail;
	}
	if (!authres_id_valid(rt->authserv_id)) {
		snprintf(err, errlen, "AuthservID '%.64s': " AUTHRES_ID_RULE "%s",
		    rt->authserv_id, rt->cfg.authserv_id ? "" :
		    " (from the host name: set AuthservID)");
		goto fail;
	}
	for (i = 0; i < rt->cfg.ninternal_hosts; i++)
		if (cidr_parse(rt->cfg.internal_hosts[i], &rt->internal[i]) < 0) {
			snprintf(err, errlen, "InternalHosts: bad block %s", rt->cfg.internal_hosts[i]);
			goto fail;
		}
	rt->ninternal = rt->cfg.ninternal_hosts;
	if (memory_check(&rt->cfg, err, errlen) < 0)
		goto fail;
	rt->shape_config = memory_shape(&rt->cfg);

	posture_options_init(&opts);
	for (i = 0; i < rt->cfg.nresolvers; i++)
		resolvers[i] = rt->cfg.resolvers[i];
	opts.resolvers = resolvers;
	opts.nresolvers = rt->cfg.nresolvers;
	opts.dns_timeout_ms = rt->cfg.dns_timeout_ms;
	opts.evaluation_timeout_ms = rt->cfg.evaluation_timeout_ms;
	opts.max_queries = rt->cfg.max_queries;
	opts.https_port = rt->cfg.https_port;		/* HTTPSPort */
	opts.ca_file = rt->cfg.ca_file;			/* CAFile (the engine copies it) */
	opts.allow_private = rt->cfg.allow_private_addresses;	/* tests only */
	opts.bimi_trust_anchors = rt->cfg.bimi_trust_anchors;	/* loaded by the engine */
	opts.dnssec = rt->cfg.dnssec;	/* the engine probes the resolver */
	opts.probe_mx = rt->cfg.probe_mx;	/* ProbeMX: off unless the site says so */
	if (opts.dns_timeout_ms * 2 > opts.evaluation_timeout_ms)
		opts.dns_timeout_ms = opts.evaluation_timeout_ms / 2;
	rt->engine = posture_engine_new(&opts, err, errlen);
	if (rt->engine == NULL)
		goto fail;

	memset(&pc, 0, sizeof(pc));
	pc.threads = 4;
	pc.cache_entries = rt->cfg.cache_entries;
	pc.cache_bytes = rt->cfg.cache_bytes;
	pc.cache_min_ttl = rt->cfg.cache_min_ttl;
	pc.cache_max_ttl = rt->cfg.cache_max_ttl;
	pc.cache_stale_ttl = rt->cfg.cache_stale_ttl;
	rt->pool = evalpool_new(rt->engine, &pc);
	if (rt->pool == NULL) {
		snprintf(err, errlen, "cannot start the evaluation workers");
		goto fail;
	}
	pthread_mutex_lock(&runtime_lock);
	if (memory != NULL)		/* a reload: the process's memory */
		memory_attach(rt, memory);
	pthread_mutex_unlock(&runtime_lock);
	if (rt->cfg.auth_results) {
		struct dkim_verify_config dc;

		dkim_verify_config_init(&dc);
		dc.max_signatures = rt->cfg.max_signatures;
		dc.key_timeout_ms = rt->cfg.evaluation_timeout_ms;
		dc.lookup = dkim_verify_engine_lookup;
		dc.lookup_arg = rt->engine;
		rt->dkim = dkim_verify_lib_new(&dc, err, errlen);
		if (rt->dkim == NULL)
			goto fail;
	}
	return rt;
fail:
	runtime_free(rt);
	return NULL;
}

/* A reference to the runtime in force. */
struct runtime *
runtime_current(void)
{
	struct runtime *rt;

	pthread_mutex_lock(&runtime_lock);
	rt = current;
	if (rt != NULL)
		rt->refs++;
	pthread_mutex_unlock(&runtime_lock);
	return rt;
}

/* Make rt current; the installer's reference passes to the daemon. */
void
runtime_install(struct runtime *rt)
{
	struct runtime *old;

	pthread_mutex_lock(&runtime_lock);
	old = current;
	rt->refs++;
	current = rt;
	pthread_mutex_unlock(&runtime_lock);
	if (old != NULL)
		runtime_put(old);
}

/* Stop using the current runtime (shutdown); it is freed with its last reference. */
void
runtime_uninstall(void)
{
	struct runtime *old;

	pthread_mutex_lock(&runtime_lock);
	old = current;
	current = NULL;
	pthread_mutex_unlock(&runtime_lock);
	if (old != NULL)
		runtime_put(old);
}

/* Drop a reference; the last one frees. */
void
runtime_put(struct runtime *rt)
{
	bool last;

	if (rt == NULL)
		return;
	pthread_mutex_lock(&runtime_lock);
	last = --rt->refs == 0;
	if (last && current == rt)
		current = NULL;
	pthread_mutex_unlock(&runtime_lock);
	if (last)
		runtime_free(rt);
}

/* Open posture memory once per process and hand it to rt's pool. */
int
runtime_memory_open(struct runtime *rt, char *err, size_t errlen)
{
	struct memory_source src = {
		.cfg = &rt->cfg, .default_directory = true,
		.directory_key = "StateDirectory", .log = memory_log
	};
	struct store *s;
	bool open;

	pthread_mutex_lock(&runtime_lock);
	open = memory != NULL;
	pthread_mutex_unlock(&runtime_lock);
	if (open)
		return 0;
	if (memory_open(&src, &s, err, errlen) < 0)
		return -1;
	if (s == NULL)
		return 0;
	pthread_mutex_lock(&runtime_lock);
	memory = s;
	snprintf(memory_prefix, sizeof(memory_prefix), "%s", memory_key_prefix(&rt->cfg));
	pthread_mutex_unlock(&runtime_lock);
	if (memory_attach(rt, s) < 0) {
		snprintf(err, errlen, "posture memory: out of memory");
		return -1;
	}
	return 0;
}

/* Free posture memory when no runtime (hence no pool) can use it any more. */
void
runtime_memory_close(void)
{
	struct store *s = NULL;

	pthread_mutex_lock(&runtime_lock);
	if (alive == 0) {
		s = memory;
		memory = NULL;
	}
	pthread_mutex_unlock(&runtime_lock);
	store_free(s);
}
