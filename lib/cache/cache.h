/*
 * cache.h - the milter's caches: DNS answers, fetched documents, posture snapshots.
 *
 *   cache_config_init() cache_new() cache_free() cache_stats()
 *   cache_dns_put() cache_dns_get()                         (name, type) -> answer
 *   cache_doc_put() cache_doc_get() cache_doc_peek() cache_doc_release()
 *                                                           URL -> fetched document
 *   cache_snapshot_new() _data() _size() _ttl() _ref() _release()
 *   cache_posture_get_or_start() _complete() _fail() _wait() _put()
 *   cache_posture_learn_selector() cache_posture_selectors()
 *
 * Every layer is bounded by entries and bytes (CacheEntries, CacheBytes, each layer
 * separately), evicts the least recently used entry first, and is split into shards
 * (lru.h), each with its own mutex: a hit locks one shard for a few pointer moves,
 * there is no global lock. Time comes from cfg.now_ms, so tests move the clock.
 * Lifetimes are clamped to [min_ttl_s, max_ttl_s]; "stale" is up to stale_ttl_s past
 * expiry (RFC 8767 spirit, applied to posture snapshots and documents).
 *
 * LOCKING PROTOCOL
 *   Locks. One pthread mutex per shard, nothing else. A shard lock protects: the
 *   shard's buckets, recency list, counters, entry count and bytes; every node's
 *   links, linked flag and accounted size; the mutable fields of posture entries
 *   (current snapshot, stored/expiry times, prefetch flag, failure recheck time,
 *   running flight, learned selectors); and the flights of the domains hashed to
 *   that shard (done/failed flags, result, number of tickets); a flight's condition
 *   variable waits on that same mutex.
 *   Lock order. A thread holds at most one shard lock at a time and takes no other
 *   lock while holding it: there is no lock order to get wrong. No user callback
 *   (free functions, the clock) runs under a shard lock: the clock is read before
 *   locking, and entries or snapshots that leave the cache are freed after unlocking.
 *   Immutable data. A DNS entry and a document entry never change after they are
 *   inserted: a new answer is a new entry replacing the old one, so a reader holding a
 *   reference reads them without a lock. A snapshot never changes after creation.
 *   References. Nodes (lru.h) and snapshots carry atomic reference counts: one for
 *   the table while linked (a snapshot: one per entry and flight holding it) plus one
 *   per reader. Whoever drops the last reference frees, in whatever thread it runs.
 *   Eviction only drops the table's reference: what a reader holds stays valid.
 *   Returned pointers. cache_dns_get() returns a deep copy the caller clears with
 *   dns_answer_clear(). cache_doc_get() returns a reference valid until
 *   cache_doc_release(). Posture calls return a snapshot reference valid until
 *   cache_snapshot_release(), whatever happens to the cache meanwhile. Tickets are
 *   owned by the caller until the one call that consumes them (complete, fail, wait).
 *   Destruction. cache_free() requires that no thread uses the cache any more and no
 *   ticket or document reference is outstanding; snapshot references may outlive it.
 *
 * SINGLE FLIGHT (posture). cache_posture_get_or_start() answers
 *   CACHE_HIT            fresh snapshot, reference taken;
 *   CACHE_HIT_REFRESH    fresh, but within the last prefetch_percent of its lifetime:
 *                        served, and this caller (the first, once per snapshot) holds
 *                        a leader ticket: evaluate again, then complete or fail;
 *   CACHE_STALE          expired less than stale_ttl_s ago: served; a refresh is
 *                        running, or the last one failed less than fail_retry_s ago
 *                        (RFC 8767 4: do not hammer a failing domain);
 *   CACHE_STALE_REFRESH  served stale, and this caller holds a leader ticket;
 *   CACHE_MISS_LEADER    no snapshot: this caller holds a leader ticket and evaluates;
 *   CACHE_MISS_WAIT      no snapshot, another thread evaluates: this caller holds a
 *                        waiter ticket for cache_posture_wait();
 *   CACHE_ERROR          out of memory, or a name that cannot be a key (empty, over
 *                        253 bytes): evaluate without the cache.
 * A leader must call exactly one of cache_posture_complete() / cache_posture_fail().
 * A waiter must call cache_posture_wait() (deadline 0 to give up at once). A flight
 * whose leader has not finished after flight_timeout_ms is taken over by the next
 * caller, so a lost leader cannot block a domain forever.
 *
 * What can go wrong: out of memory (CACHE_ERROR / -1, the cache stays consistent);
 * an entry larger than a shard's byte budget (not kept); names over 253 bytes or URLs
 * over CACHE_URL_MAX (not cached). Nothing here exits or aborts.
 */
#ifndef POSTURE_CACHE_H
#define POSTURE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

#define CACHE_HASH_LEN 32	/* body hashes: SHA-256 */
#define CACHE_DOC_ID_MAX 32	/* MTA-STS id: 1*32 alphanumerics (RFC 8461 3.1) */
#define CACHE_URL_MAX 2048
#define CACHE_MAX_SELECTORS 8	/* learned DKIM selectors kept per domain */
#define CACHE_SELECTOR_MAX 63	/* longer selectors are not learned */

enum cache_result {
	CACHE_MISS,
	CACHE_HIT,
	CACHE_HIT_REFRESH,
	CACHE_STALE,
	CACHE_STALE_REFRESH,
	CACHE_MISS_LEADER,
	CACHE_MISS_WAIT,
	CACHE_ERROR
};

enum cache_layer { CACHE_DNS, CACHE_DOC, CACHE_POSTURE, CACHE_LAYERS };

typedef uint64_t (*cache_clock_fn)(void *arg);

struct cache_config {
	size_t max_entries;		/* per layer (CacheEntries), >= 1 */
	size_t max_bytes;		/* per layer (CacheBytes), >= 1 */
	uint32_t min_ttl_s;		/* CacheMinTTL */
	uint32_t max_ttl_s;		/* CacheMaxTTL, >= min_ttl_s */
	uint32_t stale_ttl_s;		/* CacheStaleTTL */
	unsigned prefetch_percent;	/* 0..100; 0: never signal a refresh before expiry */
	uint32_t fail_retry_s;		/* after a failed refresh, serve stale this long */
	uint32_t flight_timeout_ms;	/* a leader silent this long is replaced */
	unsigned shards;		/* power of two, fewer for small limits; 1: exact LRU */
	cache_clock_fn now_ms;		/* monotonic ms; NULL: dns_now_ms() */
	void *clock_arg;
	const uint8_t *hash_key;	/* 16 bytes, tests only; NULL: random (getrandom) */
};

struct cache_stats {
	uint64_t hits, misses, stale, evictions, expired, inserts;
	uint64_t leaders, waits, prefetches, failures;	/* posture layer */
	size_t entries, bytes;
};

struct cache;

/*
 * Defaults matching posture-milter.conf(5): 100000 entries and 256 MiB per layer,
 * TTLs clamped to [60 s, 1 day], stale 1 h; prefetch in the last 10%, failure recheck
 * 30 s, flight timeout 60 s, 32 shards, real clock, random hash key.
 */
void cache_config_init(struct cache_config *cfg);
/* A cache; NULL on OOM or a config that makes no sense (zero limits, min > max). */
struct cache *cache_new(const struct cache_config *cfg);
void cache_free(struct cache *c);
/* Counters and current size of one layer. */
void cache_stats(struct cache *c, enum cache_layer layer, struct cache_stats *out);
/* Clamp a lifetime in seconds to [min_ttl_s, max_ttl_s]. */
uint32_t cache_clamp_ttl(const struct cache *c, uint32_t ttl_s);
/* The cache's clock (cfg.now_ms). */
uint64_t cache_now_ms(const struct cache *c);

/* ---- DNS answers ---- */

/*
 * Store a copy of a, keyed by (a->qname case-folded, a->qtype). DNS_OK lives for the
 * lowest record TTL, NODATA/NXDOMAIN for a->negative_ttl (RFC 2308 5), both clamped.
 * Every other status (SERVFAIL, REFUSED, TIMEOUT, MALFORMED, BUDGET, ERROR) is a
 * failure of this attempt, not data about the name: not stored, and an entry already
 * cached for the key is left alone. Returns 1 stored, 0 not cacheable, -1 OOM.
 */
int cache_dns_put(struct cache *c, const struct dns_answer *a);
/*
 * CACHE_HIT with a deep copy in *out (the caller clears it): record TTLs and
 * negative_ttl are lowered to the seconds left, queries and elapsed_ms read 0.
 * CACHE_MISS (absent or expired), CACHE_ERROR (OOM copying); *out is zeroed then.
 */
enum cache_result cache_dns_get(struct cache *c, const char *name, uint16_t type,
				struct dns_answer *out);

/* ---- fetched documents (MTA-STS policies, BIMI files) ---- */

/* A stored document; immutable, read through a reference from cache_doc_get(). */
struct cache_doc {
	const char *url;
	int status;			/* the fetcher's: HTTP status, or its error code */
	uint8_t body_hash[CACHE_HASH_LEN];
	char id[CACHE_DOC_ID_MAX + 1];	/* version it was fetched under, or "" */
	/*
	 * The document this one replaced (same URL), when there was one still in the
	 * cache: a body hash that differs while the id is the same is "policy changed
	 * but id did not" (RFC 8461 3.1).
	 */
	bool has_prev;
	uint8_t prev_body_hash[CACHE_HASH_LEN];
	char prev_id[CACHE_DOC_ID_MAX + 1];
	const void *parsed;		/* the fetcher's parsed result, or NULL */
	size_t parsed_size;
	uint64_t stored_ms, expire_ms;
};

struct cache_doc_in {
	int status;
	const uint8_t *body_hash;	/* CACHE_HASH_LEN bytes, or NULL (zeros) */
	const char *id;			/* or NULL; longer than CACHE_DOC_ID_MAX: cut */
	void *parsed;			/* handed over, even when the put fails */
	size_t parsed_size;		/* for the byte budget */
	void (*parsed_free)(void *);	/* NULL: free() */
	uint32_t ttl_s;			/* e.g. MTA-STS max_age; clamped */
};

/* Store a document for url (failures too: the status says so). 0, or -1 (OOM/URL). */
int cache_doc_put(struct cache *c, const char *url, const struct cache_doc_in *in);
/*
 * CACHE_HIT (fresh) or CACHE_STALE (expired less than stale_ttl_s ago) with a
 * reference in *out; CACHE_MISS otherwise (*out NULL). An expired document stays in
 * the cache until evicted, so its hash still becomes the next one's prev_body_hash.
 */
enum cache_result cache_doc_get(struct cache *c, const char *url,
				const struct cache_doc **out);
/* cache_doc_get() that is not a lookup: reading back what was just put (uncounted). */
enum cache_result cache_doc_peek(struct cache *c, const char *url,
				 const struct cache_doc **out);
void cache_doc_release(struct cache *c, const struct cache_doc *doc);

/* ---- posture snapshots ---- */

struct cache_snapshot;
struct cache_ticket;

/*
 * Wrap an evaluation: data (size bytes, for the budget) freed with free_fn when the
 * last reference goes; ttl_s is the lifetime of its shortest input (clamped when
 * stored). The caller holds the one reference. NULL on OOM: data stays the caller's.
 */
struct cache_snapshot *cache_snapshot_new(void *data, size_t size,
					  void (*free_fn)(void *), uint32_t ttl_s);
const void *cache_snapshot_data(const struct cache_snapshot *s);
size_t cache_snapshot_size(const struct cache_snapshot *s);
uint32_t cache_snapshot_ttl(const struct cache_snapshot *s);
void cache_snapshot_ref(struct cache_snapshot *s);
/* Drop a reference (NULL is fine); the last one frees. No lock needed. */
void cache_snapshot_release(struct cache_snapshot *s);

/*
 * Look up a normalized domain (posture_name_normalize(); ASCII is case-folded
 * anyway). See SINGLE FLIGHT above. *snap is set (a reference) for HIT*, STALE*;
 * *ticket for *_REFRESH, MISS_LEADER, MISS_WAIT; both NULL otherwise.
 */
enum cache_result cache_posture_get_or_start(struct cache *c, const char *domain,
					     struct cache_snapshot **snap,
					     struct cache_ticket **ticket);
/*
 * The leader's evaluation: store snap for the domain (the cache takes its own
 * references; the caller keeps its own), wake the waiters, consume the ticket.
 * A snapshot stored after this flight started (an overdue leader was replaced) is
 * newer and stays. 0, or -1 when it could not be stored (OOM, too big): waiters
 * still receive it.
 */
int cache_posture_complete(struct cache_ticket *t, struct cache_snapshot *snap);
/* The leader could not evaluate: waiters fall back to the stale snapshot, if any. */
void cache_posture_fail(struct cache_ticket *t);
/*
 * Block until the leader finishes or the deadline (cache clock) passes, consume the
 * ticket. CACHE_HIT with the leader's snapshot (or a fresh one stored meanwhile),
 * CACHE_STALE with the stale one (leader failed or too slow), or CACHE_MISS.
 */
enum cache_result cache_posture_wait(struct cache_ticket *t, uint64_t deadline_ms,
				     struct cache_snapshot **snap);
/* Store a snapshot outside a flight (a running flight is left alone). 0 or -1. */
int cache_posture_put(struct cache *c, const char *domain, struct cache_snapshot *snap);
/*
 * The domain's snapshot as it is, starting nothing (no flight, no refresh, not
 * counted as a lookup): a reference (cache_snapshot_release() it) while it is fresh
 * or within CacheStaleTTL past expiry, else NULL. *age_ms: since it was stored;
 * *stale: past its expiry.
 */
struct cache_snapshot *cache_posture_peek(struct cache *c, const char *domain,
					  uint64_t *age_ms, bool *stale);

/*
 * Remember a selector seen in a verified DKIM signature for domain (most recent
 * first, at most CACHE_MAX_SELECTORS, kept across snapshots). 0, or -1 (OOM, or a
 * selector that is empty, too long or not LDH-and-dots).
 */
int cache_posture_learn_selector(struct cache *c, const char *domain, const char *sel);
/* Copy up to max learned selectors into out; returns how many. */
size_t cache_posture_selectors(struct cache *c, const char *domain,
			       char out[][CACHE_SELECTOR_MAX + 1], size_t max);
/*
 * The one rule for a learned selector (posture memory uses it too): 1..CACHE_SELECTOR_MAX
 * of letters, digits, '-', '_' and '.', written lower-cased into buf. Its length, or 0.
 */
size_t cache_selector_key(const char *sel, char buf[CACHE_SELECTOR_MAX + 1]);

#endif
