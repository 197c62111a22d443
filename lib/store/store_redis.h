/*
 * store_redis.h - the Redis backend of posture memory (store.h), for a fleet of MX
 * hosts that share what they learn and take the fleet-wide single-flight lock.
 *
 *   store_redis_open()     check the configuration and return a backend; it does not
 *                          connect (the first call does), so Redis being down never
 *                          stops the milter from starting
 *
 * The backend's operations (struct store_backend), as this backend implements them:
 *   get     GET key: STORE_FOUND (*val malloc()ed, the caller frees), STORE_ABSENT
 *           (nil: no such key or expired, Redis expires keys itself), STORE_FAILED
 *   put     SET key val PX <ms until expire_s> (no PX when expire_s is 0); a value
 *           already expired is not written. 0 written, -1 failed or refused
 *           (len > STORE_VALUE_MAX, key empty or over STORE_KEY_MAX)
 *   del     DEL key: 0 (whether or not the key existed), -1 failed
 *   lock    SET key token NX PX ttl_ms: 1 taken, 0 held by another (nil), -1 failed
 *           (also ttl_ms 0 or a token empty or over STORE_REDIS_TOKEN_MAX)
 *   unlock  EVAL of a compare-and-delete script: 1 released, 0 not ours (another
 *           holder's token, or expired), -1 failed
 *   free    close every connection and free the backend
 *
 * Every call is bounded by timeout_ms from its start, and by deadline_ms (dns_now_ms()
 * clock) when the caller gives one; a call that runs out of time is STORE_FAILED / -1.
 * The operations are safe to call from any number of threads.
 */
#ifndef POSTURE_STORE_REDIS_H
#define POSTURE_STORE_REDIS_H

#include <stddef.h>

#include "store/store.h"

#define STORE_REDIS_TIMEOUT_MS 50	/* RedisTimeout default */
#define STORE_REDIS_POOL_SIZE 4		/* connections, each used by one thread at a time */
#define STORE_REDIS_HOSTS_MAX 16
#define STORE_REDIS_POOL_MAX 64
#define STORE_REDIS_TIMEOUT_MAX 60000
#define STORE_REDIS_TOKEN_MAX 128	/* lock tokens */
#define STORE_REDIS_BACKOFF_MIN_MS 100	/* first wait after an outage, doubling... */
#define STORE_REDIS_BACKOFF_MAX_MS 10000	/* ...up to this */

struct store_redis_config {
	/*
	 * "IPv4:PORT" or "[IPv6]:PORT", in failover order. IP literals only: a host name
	 * would be looked up by the system resolver, which no timeout here can bound.
	 */
	const char *const *hosts;
	size_t nhosts;
	const char *password;		/* AUTH on connect; NULL or "": none */
	unsigned database;		/* SELECT on connect when not 0 */
	const char *prefix;		/* not used by the backend: keys come whole */
	unsigned timeout_ms;		/* RedisTimeout; 0: STORE_REDIS_TIMEOUT_MS */
	unsigned pool_size;		/* 0: STORE_REDIS_POOL_SIZE */
	store_log_fn log;		/* outages, recoveries, error replies; NULL: silent */
	void *log_arg;
};

/*
 * A Redis backend for cfg (copied: cfg need not outlive it), name "redis", released
 * with b->free(b). NULL with a one-line reason in err only when the configuration is
 * bad (no host, a host that is not IP:PORT, a port outside 1-65535, sizes out of
 * range) or memory runs out; never because Redis is unreachable.
 */
struct store_backend *store_redis_open(const struct store_redis_config *cfg, char *err,
				       size_t errlen);

#endif
