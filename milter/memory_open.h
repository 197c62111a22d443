/*
 * memory_open.h - posture memory's store opened from posture-milter.conf's settings
 * (StateDirectory, Redis, RedisPassword, RedisDatabase, RedisPrefix, RedisTimeout),
 * the same way by both programs: posture-milter (runtime.c) and posture-check.
 *
 *   memory_check()   what can be checked of the settings without opening anything
 *                    (posture-milter -n): a named StateDirectory is a directory, the
 *                    Redis settings make a backend (it does not connect)
 *   memory_open()    the chain: LMDB in the directory, then Redis; NULL when neither
 *                    is configured
 *   memory_key_prefix()  the key prefix (RedisPrefix, else PM_REDIS_PREFIX)
 *   memory_shape()   the hash of the configuration that shapes snapshots (Selectors,
 *                    DNSSEC, ProbeMX)
 *
 * The log sink gets the backends' outages and recoveries and memory_open()'s own
 * lines ("posture memory: local in DIR", "posture memory: shared on Redis HOST"): each
 * line names posture memory itself, as the backends' own do ("posture memory: Redis
 * ...", "posture memory (lmdb): ..."), so a sink writes it as it is.
 */
#ifndef PM_MEMORY_OPEN_H
#define PM_MEMORY_OPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pm_config.h"
#include "store/store.h"

struct memory_source {
	const struct pm_config *cfg;	/* StateDirectory and Redis* */
	/* StateDirectory not set: true uses PM_STATE_DIRECTORY when it can (the daemon;
	 * when it cannot, a warning and no local memory), false means none (a tool). */
	bool default_directory;
	const char *directory_key;	/* errors name the directory by it: "StateDirectory" */
	store_log_fn log;		/* may be NULL */
	void *log_arg;
};

/* 0, or -1 with "StateDirectory DIR: reason" or "Redis: reason" in err. */
int memory_check(const struct pm_config *cfg, char *err, size_t errlen);
/*
 * Open the chain into *out (NULL: nothing configured, or only a default directory that
 * cannot be used). A named directory that is missing, not a directory, not writable or
 * refused by LMDB is an error "<directory_key> DIR: reason"; Redis settings that make
 * no backend are "Redis: reason". 0, or -1 with err.
 */
int memory_open(const struct memory_source *src, struct store **out, char *err,
		size_t errlen);
/* RedisPrefix, or PM_REDIS_PREFIX. */
const char *memory_key_prefix(const struct pm_config *cfg);
/* FNV-1a over the Selectors, in order and lower-cased. */
uint32_t memory_shape(const struct pm_config *cfg);

#endif
