/*
 * store.h - posture memory: what the milter learns, kept beyond one process and
 * shared by the MX hosts of a site.
 *
 *   store_new() store_free()            a chain of backends (LMDB first, then Redis)
 *   store_get() store_put()             one value by key, through the chain (store.c)
 *   store_key()                         "<prefix>:<schema>:<kind>:<domain>"
 *   store_get_shared()                  the same, farthest (shared) backend first
 *   store_lock() store_unlock()         fleet-wide single flight (Redis SET NX PX)
 *
 * Backends (struct store_backend): LMDB (store_lmdb.c, the embedded default) and
 * Redis (store_redis.c, for fleets). What they hold is opaque bytes with an absolute
 * expiry; the encodings live in store_codec.c, and every value read back is untrusted
 * input (bounded parse, fuzzed): a value that does not decode is logged and ignored,
 * never trusted.
 *
 * Kinds of values (store_codec.h): posture snapshots (kind "posture", one per domain,
 * expiring with the snapshot's clamped lifetime), learned DKIM selectors (kind "sel",
 * one list per domain, each selector with its last-seen time, kept for their own
 * retention) and record history (kind "hist", one per domain: every record's versions
 * with first and last seen).
 *
 * Failure: a backend that fails (full map, corrupt file, Redis down, slow or talking
 * garbage) says so once in the log (and once when it recovers) and the caller goes on
 * as if the value were absent. Nothing here blocks longer than the deadline given.
 * Nothing here exits or aborts.
 */
#ifndef POSTURE_STORE_H
#define POSTURE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA 2			/* in every key: a new layout is a new key space */
#define STORE_KEY_MAX 600		/* prefix, schema, kind, domain (253), extra */
#define STORE_VALUE_MAX (1024 * 1024)	/* larger values are neither written nor read */

enum store_status {
	STORE_FOUND = 1,		/* *val holds a value (the caller frees it) */
	STORE_ABSENT = 0,		/* no such key, or expired */
	STORE_FAILED = -1		/* the backend failed or the deadline passed */
};

/* Log sink for outages and recoveries; the daemon passes its logger. */
typedef void (*store_log_fn)(void *arg, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * One backend. get/put/del/lock/unlock may be NULL where a backend has no such
 * operation (LMDB has no lock: one host needs none beyond the in-process cache).
 * Times: expire_s is absolute wall-clock seconds (0: none); deadline_ms is on
 * dns_now_ms()'s monotonic clock (0: the backend's own timeout).
 */
struct store_backend {
	const char *name;		/* "lmdb", "redis": for logs and metrics */
	enum store_status (*get)(struct store_backend *b, const char *key,
				 uint8_t **val, size_t *len, uint64_t deadline_ms);
	/* 0 queued or written, -1 failed (never blocks a message: writers may queue). */
	int (*put)(struct store_backend *b, const char *key, const uint8_t *val,
		   size_t len, uint64_t expire_s);
	int (*del)(struct store_backend *b, const char *key);
	/* 1 taken, 0 held by another, -1 failed. token identifies this holder. */
	int (*lock)(struct store_backend *b, const char *key, const char *token,
		    unsigned ttl_ms, uint64_t deadline_ms);
	/* Release only when the lock still holds token (compare-and-delete). */
	int (*unlock)(struct store_backend *b, const char *key, const char *token);
	void (*free)(struct store_backend *b);
};

/* ---- the chain (store.c) ---- */

#define STORE_CHAIN_MAX 2		/* the local backend (LMDB), then the shared one (Redis) */

struct store;

/*
 * A chain of up to STORE_CHAIN_MAX backends, nearest first; NULL entries are skipped.
 * The chain owns them from this call on (also when it fails: they are freed). NULL
 * when out of memory or no backend is given. now_s is the wall clock (NULL: time()).
 */
struct store *store_new(struct store_backend *const *backends, size_t n,
			uint64_t (*now_s)(void *arg), void *now_arg);
/* Free every backend (LMDB commits what is queued first). NULL is a no-op. */
void store_free(struct store *s);

/*
 * Write "<prefix>:<STORE_SCHEMA>:<kind>:<domain>" into out. 0, or -1 (out emptied)
 * when it does not fit in outlen or STORE_KEY_MAX, or a part is empty or holds a byte
 * that is not printable ASCII or is a space or ':' (the domain: a normalized name).
 */
int store_key(char *out, size_t outlen, const char *prefix, const char *kind,
	      const char *domain);

/*
 * Read key through the chain, nearest backend first; the first STORE_FOUND wins
 * (*val malloc()ed, the caller frees). A value found only in a farther backend is also
 * put into the nearer ones, to expire copy_ttl_s from now (0: not copied): a Redis
 * GET does not say when the value expires, so the caller gives the longest lifetime
 * the value can have, and its decoder still checks the expiry written inside. A
 * backend that fails is skipped: STORE_FAILED only when every backend failed, else
 * STORE_ABSENT. deadline_ms: dns_now_ms() clock, as for the backends (0: theirs).
 */
enum store_status store_get(struct store *s, const char *key, uint8_t **val, size_t *len,
			    uint64_t deadline_ms, uint32_t copy_ttl_s);

/*
 * Read key farthest backend first (the shared one), then the nearer ones, nothing
 * copied: for values every host updates in place (learned selectors, history), where
 * a local copy may be older than the fleet's. Statuses as for store_get().
 */
enum store_status store_get_shared(struct store *s, const char *key, uint8_t **val,
				   size_t *len, uint64_t deadline_ms);

/*
 * Take key as a lock held by token for ttl_ms in the first backend that has locks
 * (Redis): 1 taken, 0 held by another holder, -1 failed. A chain without such a
 * backend answers 1: one host needs no lock beyond its own single flight.
 */
int store_lock(struct store *s, const char *key, const char *token, unsigned ttl_ms,
	       uint64_t deadline_ms);
/* Release key in that backend only if token still holds it (compare-and-delete). */
void store_unlock(struct store *s, const char *key, const char *token);

/* Put into every backend (LMDB queues; Redis writes, bounded by its timeout). 0 when
 * every backend took it, -1 when one failed or refused (the others still have it). */
int store_put(struct store *s, const char *key, const uint8_t *val, size_t len,
	      uint64_t expire_s);

/* The chain's wall clock, seconds. */
uint64_t store_now_s(const struct store *s);

#endif
