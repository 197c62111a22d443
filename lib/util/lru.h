/*
 * lru.h - a sharded hash table with least-recently-used eviction, the storage under
 * every cache layer (cache.c). Internal to libposture.
 *
 *   lru_table_init() / lru_table_destroy()   N shards, limits, SipHash key
 *   lru_hash()                               SipHash-2-4 of a key under the table's key
 *   lru_shard_of()                           the shard a hash lives in
 *   lru_find() lru_touch() lru_insert()      under the shard lock
 *   lru_unlink() lru_resize()                under the shard lock
 *   lru_collect()                            after unlocking: drop what was unlinked
 *   lru_ref() / lru_release()                readers' references to a node
 *
 * Nodes are embedded as the first member of a layer's entry (cache.c). A node is in
 * exactly one shard, chosen by bits of its hash; each shard has its own mutex, hash
 * buckets, recency list, limits and counters, so threads touching different shards
 * never contend. Keys are hashed with SipHash-2-4 under a random 128-bit key: the
 * names come from senders, a fixed hash would let them aim every name at one bucket.
 *
 * Locking: every lru_* function named "under the shard lock" must be called with that
 * shard's mutex held (lru_lock()); it never takes another lock and never calls the
 * free callback. Nodes leaving the table (replaced, evicted, unlinked) are chained on
 * a caller's garbage list; lru_collect(), called after unlocking, drops the table's
 * reference of each and frees those nobody else references. The free callback thus
 * never runs under a shard lock. The whole protocol is written in cache.h.
 *
 * What can go wrong: out of memory when the bucket array grows (the table then keeps
 * its longer chains, correct but slower); one entry larger than a shard's byte limit
 * (lru_insert() refuses to keep it). Limits are per shard, ceil(limit / shards), so
 * the table as a whole may exceed a limit by less than one entry per shard.
 */
#ifndef POSTURE_LRU_H
#define POSTURE_LRU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LRU_HASH_KEY_LEN 16

struct lru_node {
	struct lru_node *hash_next;	/* bucket chain; garbage chain once unlinked */
	struct lru_node *newer, *older;	/* recency list (shard lock) */
	const void *key;		/* immutable; points into the owning entry */
	size_t key_len;
	uint64_t hash;			/* lru_hash(key); immutable */
	size_t bytes;			/* accounted size (shard lock) */
	atomic_uint refs;		/* 1 while in the table + 1 per reader */
	bool linked;			/* in the table (shard lock) */
};

/* Counters of one shard (shard lock); summed by lru_counters_sum(). */
struct lru_counters {
	uint64_t hits, misses, stale, evictions, expired, inserts;
	uint64_t leaders, waits, prefetches, failures;
};

struct lru_shard {
	_Alignas(64) pthread_mutex_t lock;	/* own cache line: no false sharing */
	struct lru_node **buckets;	/* owned; nbuckets, a power of two */
	size_t nbuckets;
	struct lru_node *newest, *oldest;
	size_t count, bytes;
	size_t max_count, max_bytes;
	struct lru_counters ctr;
};

typedef void (*lru_free_fn)(struct lru_node *node);

struct lru_table {
	struct lru_shard *shards;	/* owned, nshards (a power of two) */
	size_t nshards;
	uint64_t k0, k1;		/* SipHash key */
	lru_free_fn free_node;		/* frees the entry holding a node */
};

/*
 * Set up t with about nshards shards (rounded down to a power of two, to at most
 * max_entries, and to at least 64 KiB of max_bytes each) sharing max_entries and
 * max_bytes; key is LRU_HASH_KEY_LEN bytes.
 * 0, or -1 on OOM (t then holds nothing).
 */
int lru_table_init(struct lru_table *t, size_t nshards, size_t max_entries,
		   size_t max_bytes, const uint8_t *key, lru_free_fn free_node);
/* Free every node still in the table (no reader may hold one) and the shards. */
void lru_table_destroy(struct lru_table *t);

/* SipHash-2-4 of len bytes under the table's key. */
uint64_t lru_hash(const struct lru_table *t, const void *data, size_t len);
/* SipHash-2-4 with an explicit 16-byte key (tests check the reference vectors). */
uint64_t lru_siphash(const uint8_t *key, const void *data, size_t len);
/* The shard a hash belongs to. */
struct lru_shard *lru_shard_of(const struct lru_table *t, uint64_t hash);

/* Take and release a shard's mutex. */
void lru_lock(struct lru_shard *s);
void lru_unlock(struct lru_shard *s);

/* The node with this key, or NULL. Under the shard lock; the recency is not changed. */
struct lru_node *lru_find(struct lru_shard *s, uint64_t hash, const void *key,
			  size_t key_len);
/* Mark a node most recently used. Under the shard lock. */
void lru_touch(struct lru_shard *s, struct lru_node *n);
/*
 * Link a new node (refs must be 1, bytes set): a node with the same key is unlinked
 * first, then least recently used nodes are evicted until the shard is within its
 * limits. Under the shard lock. Unlinked nodes go on *garbage. Returns true when n
 * stayed in the table, false when n alone exceeds the byte limit (n is on *garbage).
 */
bool lru_insert(struct lru_shard *s, struct lru_node *n, struct lru_node **garbage);
/* Take n out of the table onto *garbage. Under the shard lock. */
void lru_unlink(struct lru_shard *s, struct lru_node *n, struct lru_node **garbage);
/*
 * Change n's accounted size and evict others to fit. Under the shard lock. Returns
 * true when n stayed, false when n alone exceeds the byte limit (unlinked).
 */
bool lru_resize(struct lru_shard *s, struct lru_node *n, size_t bytes,
		struct lru_node **garbage);
/* After unlocking: drop the table's reference of each garbage node, free at zero. */
void lru_collect(const struct lru_table *t, struct lru_node *garbage);

/* Take a reader's reference (the node may be in the table or not). */
void lru_ref(struct lru_node *n);
/* Drop a reader's reference; the last one frees the node. No lock needed. */
void lru_release(const struct lru_table *t, struct lru_node *n);

/* Sum the counters, entries and bytes of every shard (locks each in turn). */
void lru_counters_sum(struct lru_table *t, struct lru_counters *sum, size_t *entries,
		      size_t *bytes);

#endif
