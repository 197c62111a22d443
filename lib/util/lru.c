/*
 * lru.c - the sharded LRU hash table under the caches (see lru.h for the contract and
 * cache.h for the locking protocol).
 *
 * Per shard: a bucket array of singly linked chains and a doubly linked recency list,
 * newest at one end, oldest (next to evict) at the other. The bucket array doubles
 * when the shard holds more nodes than buckets; a failed doubling only costs speed.
 *
 * What can go wrong: out of memory (growth skipped, init fails cleanly); limits smaller
 * than one entry (the entry is not kept); a reader releasing a node twice (not
 * detectable here: the reference count would underflow, callers must pair ref/release).
 */
#include <stdlib.h>
#include <string.h>

#include "util/lru.h"

#define LRU_MIN_BUCKETS 16
/* Fewer shards rather than shards too small for one large entry (CacheBytes 4096). */
#define LRU_MIN_SHARD_BYTES 65536

/* ---- SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF") ---- */

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* One SipRound over the four state words. */
static void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL64(v[1], 13); v[1] ^= v[0]; v[0] = ROTL64(v[0], 32);
	v[2] += v[3]; v[3] = ROTL64(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL64(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL64(v[1], 17); v[1] ^= v[2]; v[2] = ROTL64(v[2], 32);
}

/* Eight bytes as a little-endian word. */
static uint64_t
load_le64(const uint8_t *p)
{
	uint64_t w = 0;
	int i;

	for (i = 7; i >= 0; i--)
		w = (w << 8) | p[i];
	return w;
}

/* SipHash-2-4 with key words k0, k1. */
static uint64_t
siphash_words(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
	uint64_t v[4], m, last;
	size_t i, full = len - len % 8;

	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i < full; i += 8) {
		m = load_le64(in + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	last = (uint64_t)(len & 0xff) << 56;
	for (i = 0; i < len % 8; i++)
		last |= (uint64_t)in[full + i] << (8 * i);
	v[3] ^= last;
	sip_round(v);
	sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* SipHash-2-4 with an explicit 16-byte key. */
uint64_t
lru_siphash(const uint8_t *key, const void *data, size_t len)
{
	return siphash_words(load_le64(key), load_le64(key + 8), data, len);
}

/* SipHash-2-4 of len bytes under the table's key. */
uint64_t
lru_hash(const struct lru_table *t, const void *data, size_t len)
{
	return siphash_words(t->k0, t->k1, data, len);
}

/* ---- table ---- */

/* Largest power of two <= n (n >= 1). */
static size_t
pow2_floor(size_t n)
{
	size_t p = 1;

	while (p <= n / 2)
		p *= 2;
	return p;
}

/* Set up t; see lru.h. */
int
lru_table_init(struct lru_table *t, size_t nshards, size_t max_entries,
	       size_t max_bytes, const uint8_t *key, lru_free_fn free_node)
{
	size_t i, n, bytes;

	memset(t, 0, sizeof(*t));
	if (max_entries == 0 || max_bytes == 0 || free_node == NULL)
		return -1;
	if (nshards > max_entries)
		nshards = max_entries;
	if (nshards > max_bytes / LRU_MIN_SHARD_BYTES)
		nshards = max_bytes / LRU_MIN_SHARD_BYTES;
	if (nshards == 0)
		nshards = 1;
	n = pow2_floor(nshards);
	if (n > SIZE_MAX / sizeof(struct lru_shard))
		return -1;
	bytes = n * sizeof(struct lru_shard);	/* a multiple of the 64-byte alignment */
	t->shards = aligned_alloc(_Alignof(struct lru_shard), bytes);
	if (t->shards == NULL)
		return -1;
	memset(t->shards, 0, bytes);
	for (i = 0; i < n; i++) {
		struct lru_shard *s = &t->shards[i];

		s->buckets = calloc(LRU_MIN_BUCKETS, sizeof(*s->buckets));
		if (s->buckets == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
			free(s->buckets);
			while (i-- > 0) {
				pthread_mutex_destroy(&t->shards[i].lock);
				free(t->shards[i].buckets);
			}
			free(t->shards);
			t->shards = NULL;
			return -1;
		}
		s->nbuckets = LRU_MIN_BUCKETS;
		s->max_count = max_entries / n + (max_entries % n != 0);
		s->max_bytes = max_bytes / n + (max_bytes % n != 0);
	}
	t->nshards = n;
	t->k0 = load_le64(key);
	t->k1 = load_le64(key + 8);
	t->free_node = free_node;
	return 0;
}

/* Free every node still in the table and the shards. */
void
lru_table_destroy(struct lru_table *t)
{
	struct lru_node *n, *next;
	size_t i;

	if (t->shards == NULL)
		return;
	for (i = 0; i < t->nshards; i++) {
		struct lru_shard *s = &t->shards[i];

		for (n = s->newest; n != NULL; n = next) {
			next = n->older;
			t->free_node(n);
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(t->shards);
	memset(t, 0, sizeof(*t));
}

/* The shard a hash belongs to: high bits, so buckets (low bits) stay independent. */
struct lru_shard *
lru_shard_of(const struct lru_table *t, uint64_t hash)
{
	return &t->shards[(size_t)(hash >> 40) & (t->nshards - 1)];
}

/* Take a shard's mutex. */
void
lru_lock(struct lru_shard *s)
{
	(void)pthread_mutex_lock(&s->lock);
}

/* Release a shard's mutex. */
void
lru_unlock(struct lru_shard *s)
{
	(void)pthread_mutex_unlock(&s->lock);
}

/* The bucket head a hash chains from. */
static struct lru_node **
bucket_of(struct lru_shard *s, uint64_t hash)
{
	return &s->buckets[(size_t)hash & (s->nbuckets - 1)];
}

/* The node with this key, or NULL. */
struct lru_node *
lru_find(struct lru_shard *s, uint64_t hash, const void *key, size_t key_len)
{
	struct lru_node *n;

	for (n = *bucket_of(s, hash); n != NULL; n = n->hash_next)
		if (n->hash == hash && n->key_len == key_len &&
		    memcmp(n->key, key, key_len) == 0)
			return n;
	return NULL;
}

/* Take n off the recency list. */
static void
list_remove(struct lru_shard *s, struct lru_node *n)
{
	if (n->newer != NULL)
		n->newer->older = n->older;
	else
		s->newest = n->older;
	if (n->older != NULL)
		n->older->newer = n->newer;
	else
		s->oldest = n->newer;
	n->newer = n->older = NULL;
}

/* Put n at the newest end of the recency list. */
static void
list_push_newest(struct lru_shard *s, struct lru_node *n)
{
	n->newer = NULL;
	n->older = s->newest;
	if (s->newest != NULL)
		s->newest->newer = n;
	else
		s->oldest = n;
	s->newest = n;
}

/* Mark a node most recently used. */
void
lru_touch(struct lru_shard *s, struct lru_node *n)
{
	if (s->newest == n)
		return;
	list_remove(s, n);
	list_push_newest(s, n);
}

/* Double the bucket array; on OOM keep the old one (longer chains, still correct). */
static void
grow_buckets(struct lru_shard *s)
{
	struct lru_node **nb, *n, *next;
	size_t i, nn;

	if (s->nbuckets > SIZE_MAX / 2 / sizeof(*nb))
		return;
	nn = s->nbuckets * 2;
	nb = calloc(nn, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < s->nbuckets; i++) {
		for (n = s->buckets[i]; n != NULL; n = next) {
			next = n->hash_next;
			n->hash_next = nb[(size_t)n->hash & (nn - 1)];
			nb[(size_t)n->hash & (nn - 1)] = n;
		}
	}
	free(s->buckets);
	s->buckets = nb;
	s->nbuckets = nn;
}

/* Take n out of the table onto *garbage. */
void
lru_unlink(struct lru_shard *s, struct lru_node *n, struct lru_node **garbage)
{
	struct lru_node **pp;

	if (!n->linked)
		return;
	for (pp = bucket_of(s, n->hash); *pp != NULL; pp = &(*pp)->hash_next) {
		if (*pp == n) {
			*pp = n->hash_next;
			break;
		}
	}
	list_remove(s, n);
	s->count--;
	s->bytes -= n->bytes;
	n->linked = false;
	n->hash_next = *garbage;
	*garbage = n;
}

/* Evict the oldest nodes other than keep until the shard is within its limits. */
static bool
evict_to_fit(struct lru_shard *s, struct lru_node *keep, struct lru_node **garbage)
{
	struct lru_node *victim;

	if (keep->bytes > s->max_bytes) {
		lru_unlink(s, keep, garbage);
		s->ctr.evictions++;
		return false;
	}
	while (s->count > s->max_count || s->bytes > s->max_bytes) {
		victim = s->oldest;
		if (victim == keep)
			victim = keep->newer;
		if (victim == NULL)
			break;
		lru_unlink(s, victim, garbage);
		s->ctr.evictions++;
	}
	return true;
}

/* Link a new node, replacing one with the same key, evicting to fit. */
bool
lru_insert(struct lru_shard *s, struct lru_node *n, struct lru_node **garbage)
{
	struct lru_node *old, **head;

	old = lru_find(s, n->hash, n->key, n->key_len);
	if (old != NULL)
		lru_unlink(s, old, garbage);
	if (s->count >= s->nbuckets)
		grow_buckets(s);
	head = bucket_of(s, n->hash);
	n->hash_next = *head;
	*head = n;
	list_push_newest(s, n);
	n->linked = true;
	s->count++;
	s->bytes += n->bytes;
	s->ctr.inserts++;
	return evict_to_fit(s, n, garbage);
}

/* Change n's accounted size and evict others to fit. */
bool
lru_resize(struct lru_shard *s, struct lru_node *n, size_t bytes,
	   struct lru_node **garbage)
{
	if (!n->linked)
		return false;
	s->bytes = s->bytes - n->bytes + bytes;
	n->bytes = bytes;
	return evict_to_fit(s, n, garbage);
}

/* Drop the table's reference of each garbage node, free at zero. */
void
lru_collect(const struct lru_table *t, struct lru_node *garbage)
{
	struct lru_node *n, *next;

	for (n = garbage; n != NULL; n = next) {
		next = n->hash_next;
		n->hash_next = NULL;
		lru_release(t, n);
	}
}

/* Take a reader's reference. */
void
lru_ref(struct lru_node *n)
{
	atomic_fetch_add_explicit(&n->refs, 1, memory_order_relaxed);
}

/* Drop a reference; the last one frees the node. */
void
lru_release(const struct lru_table *t, struct lru_node *n)
{
	if (atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) == 1)
		t->free_node(n);
}

/* Sum the counters, entries and bytes of every shard. */
void
lru_counters_sum(struct lru_table *t, struct lru_counters *sum, size_t *entries,
		 size_t *bytes)
{
	size_t i;

	memset(sum, 0, sizeof(*sum));
	*entries = *bytes = 0;
	for (i = 0; i < t->nshards; i++) {
		struct lru_shard *s = &t->shards[i];

		lru_lock(s);
		sum->hits += s->ctr.hits;
		sum->misses += s->ctr.misses;
		sum->stale += s->ctr.stale;
		sum->evictions += s->ctr.evictions;
		sum->expired += s->ctr.expired;
		sum->inserts += s->ctr.inserts;
		sum->leaders += s->ctr.leaders;
		sum->waits += s->ctr.waits;
		sum->prefetches += s->ctr.prefetches;
		sum->failures += s->ctr.failures;
		*entries += s->count;
		*bytes += s->bytes;
		lru_unlock(s);
	}
}
