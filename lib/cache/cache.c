/*
 * cache.c - the cache object, its DNS answer layer and its document layer (cache.h;
 * the posture layer is cache_posture.c, the storage lru.c).
 *
 *   cache_config_init() cache_new() cache_free() cache_stats() cache_clamp_ttl()
 *   cache_dns_put() cache_dns_get()
 *   cache_doc_put() cache_doc_get() cache_doc_release()
 *
 * DNS and document entries are immutable once inserted (a newer answer replaces the
 * entry), so a hit takes a reference under the shard lock and reads after unlocking.
 * Every lookup is counted in posture_milter_cache_lookups_total (util/metrics.h), and
 * the newest cache answers posture_milter_cache_entries at scrape time.
 *
 * What can go wrong: out of memory (-1 / CACHE_ERROR, nothing half-inserted); the
 * kernel refusing getrandom() (the hash key then falls back to clock and address
 * bits: weaker against flooding, still working); names or URLs too long (not cached).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/ascii.h"
#include "util/metrics.h"
#include "cache/cache_int.h"

#define CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct dns_entry {
	struct lru_node node;		/* first: the node is the entry */
	uint64_t stored_ms, expire_ms;
	struct dns_answer answer;	/* owned deep copy */
	char key[];			/* name, NUL, type (2 bytes, big-endian) */
};

struct doc_entry {
	struct lru_node node;		/* first */
	struct cache_doc doc;		/* doc.url points at url */
	void (*parsed_free)(void *);	/* frees doc.parsed */
	char url[];			/* the key, NUL-terminated */
};

/* Defaults matching posture-milter.conf(5). */
void
cache_config_init(struct cache_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_entries = 100000;
	cfg->max_bytes = (size_t)256 << 20;
	cfg->min_ttl_s = 60;
	cfg->max_ttl_s = 86400;
	cfg->stale_ttl_s = 3600;
	cfg->prefetch_percent = 10;
	cfg->fail_retry_s = 30;		/* RFC 8767 4: failure recheck, 30 s suggested */
	cfg->flight_timeout_ms = 60000;
	cfg->shards = 32;
}

/* The default clock: dns_now_ms(). */
static uint64_t
default_clock(void *arg)
{
	(void)arg;
	return dns_now_ms();
}

/* Free a DNS entry (lru free callback). */
static void
dns_free_node(struct lru_node *n)
{
	struct dns_entry *e = (struct dns_entry *)n;

	dns_answer_clear(&e->answer);
	free(e);
}

/* Free a document entry (lru free callback). */
static void
doc_free_node(struct lru_node *n)
{
	struct doc_entry *e = (struct doc_entry *)n;

	if (e->doc.parsed != NULL)
		e->parsed_free((void *)(uintptr_t)e->doc.parsed);
	free(e);
}

/* Fill key with random bytes; without getrandom(), with clock and address bits. */
static void
random_key(uint8_t key[LRU_HASH_KEY_LEN], const void *salt)
{
	struct timespec ts;
	uint64_t mix[3];
	uint8_t fixed[LRU_HASH_KEY_LEN] = { 0 };
	uint64_t a, b;

	if (getrandom(key, LRU_HASH_KEY_LEN, 0) == (ssize_t)LRU_HASH_KEY_LEN)
		return;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	mix[0] = (uint64_t)ts.tv_sec;
	mix[1] = (uint64_t)ts.tv_nsec;
	mix[2] = (uint64_t)(uintptr_t)salt;
	a = lru_siphash(fixed, mix, sizeof(mix));
	mix[2] ^= dns_now_ms();
	b = lru_siphash(fixed, mix, sizeof(mix));
	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

/* posture_milter_cache_entries{layer} of cache arg, read at scrape time. */
static int64_t
entries_sample(void *arg, size_t layer)
{
	struct cache_stats st;

	cache_stats(arg, (enum cache_layer)layer, &st);
	return (int64_t)st.entries;
}

/* A cache; NULL on OOM or a config that makes no sense. */
struct cache *
cache_new(const struct cache_config *cfg)
{
	static const lru_free_fn frees[CACHE_LAYERS] = {
		dns_free_node, doc_free_node, cache_posture_free_node
	};
	struct cache *c;
	uint8_t key[LRU_HASH_KEY_LEN];
	int i;

	if (cfg->max_entries == 0 || cfg->max_bytes == 0 || cfg->min_ttl_s > cfg->max_ttl_s ||
	    cfg->prefetch_percent > 100)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cfg = *cfg;
	c->cfg.hash_key = NULL;
	if (c->cfg.now_ms == NULL) {
		c->cfg.now_ms = default_clock;
		c->cfg.clock_arg = NULL;
	}
	if (cfg->hash_key != NULL)
		memcpy(key, cfg->hash_key, sizeof(key));
	else
		random_key(key, c);
	for (i = 0; i < CACHE_LAYERS; i++) {
		if (lru_table_init(&c->layer[i], cfg->shards, cfg->max_entries,
				   cfg->max_bytes, key, frees[i]) < 0) {
			while (i-- > 0)
				lru_table_destroy(&c->layer[i]);
			free(c);
			return NULL;
		}
	}
	/* The newest cache is the running configuration's (a reload makes a new one). */
	metric_sampler_set(metrics_get(M_CACHE_ENTRIES), entries_sample, c);
	return c;
}

/* Free everything; no thread may use the cache any more. */
void
cache_free(struct cache *c)
{
	int i;

	if (c == NULL)
		return;
	metric_sampler_clear(metrics_get(M_CACHE_ENTRIES), c);
	for (i = 0; i < CACHE_LAYERS; i++)
		lru_table_destroy(&c->layer[i]);
	free(c);
}

/* Counters and size of one layer. */
void
cache_stats(struct cache *c, enum cache_layer layer, struct cache_stats *out)
{
	struct lru_counters sum;

	memset(out, 0, sizeof(*out));
	if ((unsigned)layer >= CACHE_LAYERS)
		return;
	lru_counters_sum(&c->layer[layer], &sum, &out->entries, &out->bytes);
	out->hits = sum.hits;
	out->misses = sum.misses;
	out->stale = sum.stale;
	out->evictions = sum.evictions;
	out->expired = sum.expired;
	out->inserts = sum.inserts;
	out->leaders = sum.leaders;
	out->waits = sum.waits;
	out->prefetches = sum.prefetches;
	out->failures = sum.failures;
}

/* Clamp a lifetime to [min_ttl_s, max_ttl_s]. */
uint32_t
cache_clamp_ttl(const struct cache *c, uint32_t ttl_s)
{
	if (ttl_s < c->cfg.min_ttl_s)
		return c->cfg.min_ttl_s;
	if (ttl_s > c->cfg.max_ttl_s)
		return c->cfg.max_ttl_s;
	return ttl_s;
}

/* The cache's clock. */
uint64_t
cache_now_ms(const struct cache *c)
{
	return c->cfg.now_ms(c->cfg.clock_arg);
}

/* Case-folded key text without one trailing dot; 0 when empty or too long. */
size_t
cache_name_key(const char *name, char *buf, size_t cap, size_t max)
{
	size_t len, i;

	if (name == NULL || cap == 0)
		return 0;
	len = strnlen(name, max + 2);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > max || len >= cap)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		buf[i] = (char)ascii_lower((unsigned char)ch);
	}
	buf[len] = '\0';
	return len;
}

/* ---- DNS answers ---- */

/* Accounted size of a string block. */
static size_t
str_bytes(const char *s)
{
	return s != NULL ? strlen(s) + 1 + CACHE_ALLOC_OVERHEAD : 0;
}

/* Bytes an answer's deep copy holds besides the struct itself (mirrors dns_rr_clear). */
static size_t
answer_bytes(const struct dns_answer *a)
{
	size_t n = str_bytes(a->qname) + str_bytes(a->canonical), i, j;

	if (a->rrs != NULL && a->count > 0)
		n += a->count * sizeof(*a->rrs) + CACHE_ALLOC_OVERHEAD;
	for (i = 0; i < a->count && a->rrs != NULL; i++) {
		const struct dns_rr *rr = &a->rrs[i];

		n += str_bytes(rr->owner);
		switch (rr->type) {
		case DNS_T_A:
		case DNS_T_AAAA:
			break;
		case DNS_T_MX:
			n += str_bytes(rr->u.mx.exchange);
			break;
		case DNS_T_TXT:
		case DNS_T_SPF:
			if (rr->u.txt.strings == NULL)
				break;
			n += rr->u.txt.count * sizeof(*rr->u.txt.strings) + CACHE_ALLOC_OVERHEAD;
			for (j = 0; j < rr->u.txt.count; j++)
				n += rr->u.txt.strings[j].len + 1 + CACHE_ALLOC_OVERHEAD;
			break;
		case DNS_T_CNAME:
		case DNS_T_NS:
		case DNS_T_PTR:
			n += str_bytes(rr->u.target);
			break;
		case DNS_T_SOA:
			n += str_bytes(rr->u.soa.mname) + str_bytes(rr->u.soa.rname);
			break;
		default:
			n += rr->u.raw.len + CACHE_ALLOC_OVERHEAD;
			break;
		}
	}
	return n;
}

/* Key for (name, type): case-folded name, NUL, type big-endian. 0 when unusable. */
static size_t
dns_key(const char *name, uint16_t type, char *key, size_t cap)
{
	size_t len = cache_name_key(name, key, cap - 2, CACHE_NAME_MAX);

	if (len == 0)
		return 0;
	key[len + 1] = (char)(type >> 8);
	key[len + 2] = (char)(type & 0xff);
	return len + 3;
}

/* Store a copy of a cacheable answer; 1 stored, 0 not cacheable, -1 OOM. */
int
cache_dns_put(struct cache *c, const struct dns_answer *a)
{
	struct lru_table *t = &c->layer[CACHE_DNS];
	struct lru_node *garbage = NULL;
	struct lru_shard *s;
	struct dns_entry *e;
	char key[CACHE_NAME_MAX + 4];
	size_t klen;
	uint32_t ttl;
	uint64_t now;
	bool kept;

	switch (a->status) {
	case DNS_OK:
		ttl = dns_answer_min_ttl(a);
		break;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		/* RFC 2308 5: the resolver computed min(SOA TTL, SOA MINIMUM). */
		ttl = a->negative_ttl;
		break;
	default:
		/* SERVFAIL, timeouts, ...: this attempt failed, the name may be fine. */
		return 0;
	}
	klen = dns_key(a->qname, a->qtype, key, sizeof(key));
	if (klen == 0)
		return 0;
	e = malloc(sizeof(*e) + klen);
	if (e == NULL)
		return -1;
	memset(e, 0, sizeof(*e));
	if (dns_answer_copy(&e->answer, a) < 0) {
		free(e);
		return -1;
	}
	memcpy(e->key, key, klen);
	e->node.key = e->key;
	e->node.key_len = klen;
	e->node.hash = lru_hash(t, key, klen);
	e->node.bytes = sizeof(*e) + klen + CACHE_ALLOC_OVERHEAD + answer_bytes(a);
	atomic_init(&e->node.refs, 1);
	now = cache_now_ms(c);
	e->stored_ms = now;
	e->expire_ms = now + (uint64_t)cache_clamp_ttl(c, ttl) * 1000;

	s = lru_shard_of(t, e->node.hash);
	lru_lock(s);
	kept = lru_insert(s, &e->node, &garbage);
	lru_unlock(s);
	lru_collect(t, garbage);
	return kept ? 1 : 0;
}

/* A fresh cached answer as a deep copy with TTLs lowered to what is left. */
enum cache_result
cache_dns_get(struct cache *c, const char *name, uint16_t type, struct dns_answer *out)
{
	struct lru_table *t = &c->layer[CACHE_DNS];
	struct lru_node *n, *garbage = NULL;
	struct lru_shard *s;
	struct dns_entry *e;
	char key[CACHE_NAME_MAX + 4];
	size_t klen, i;
	uint64_t now, h, left;
	uint32_t left_s;
	int rc;

	memset(out, 0, sizeof(*out));
	klen = dns_key(name, type, key, sizeof(key));
	if (klen == 0)
		return CACHE_MISS;
	now = cache_now_ms(c);
	h = lru_hash(t, key, klen);
	s = lru_shard_of(t, h);
	lru_lock(s);
	n = lru_find(s, h, key, klen);
	if (n == NULL || now >= ((struct dns_entry *)n)->expire_ms) {
		if (n != NULL) {
			lru_unlink(s, n, &garbage);
			s->ctr.expired++;
		}
		s->ctr.misses++;
		lru_unlock(s);
		lru_collect(t, garbage);
		metrics_count(M_CACHE_LOOKUPS, LAYER_DNS, LOOKUP_MISS);
		return CACHE_MISS;
	}
	lru_touch(s, n);
	lru_ref(n);
	s->ctr.hits++;
	lru_unlock(s);
	metrics_count(M_CACHE_LOOKUPS, LAYER_DNS, LOOKUP_HIT);

	e = (struct dns_entry *)n;
	rc = dns_answer_copy(out, &e->answer);
	left = (e->expire_ms - now + 999) / 1000;
	lru_release(t, n);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return CACHE_ERROR;
	}
	left_s = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	for (i = 0; i < out->count; i++)
		if (out->rrs[i].ttl > left_s)
			out->rrs[i].ttl = left_s;
	if (out->negative_ttl > left_s)
		out->negative_ttl = left_s;
	out->queries = 0;
	out->elapsed_ms = 0;
	return CACHE_HIT;
}

/* ---- fetched documents ---- */

/* Copy an id, cut at CACHE_DOC_ID_MAX. */
static void
copy_id(char dst[CACHE_DOC_ID_MAX + 1], const char *src)
{
	size_t len = src != NULL ? strnlen(src, CACHE_DOC_ID_MAX) : 0;

	if (len > 0)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Store a document for url; the cache owns in->parsed from now on. 0 or -1. */
int
cache_doc_put(struct cache *c, const char *url, const struct cache_doc_in *in)
{
	struct lru_table *t = &c->layer[CACHE_DOC];
	struct lru_node *old, *garbage = NULL;
	void (*parsed_free)(void *) = in->parsed_free != NULL ? in->parsed_free : free;
	struct lru_shard *s;
	struct doc_entry *e;
	size_t len;
	uint64_t now;

	len = url != NULL ? strnlen(url, CACHE_URL_MAX + 1) : 0;
	if (len == 0 || len > CACHE_URL_MAX || (e = malloc(sizeof(*e) + len + 1)) == NULL) {
		if (in->parsed != NULL)
			parsed_free(in->parsed);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->url, url, len);
	e->url[len] = '\0';
	e->doc.url = e->url;
	e->doc.status = in->status;
	if (in->body_hash != NULL)
		memcpy(e->doc.body_hash, in->body_hash, CACHE_HASH_LEN);
	copy_id(e->doc.id, in->id);
	e->doc.parsed = in->parsed;
	e->doc.parsed_size = in->parsed_size;
	e->parsed_free = parsed_free;
	e->node.key = e->url;
	e->node.key_len = len;
	e->node.hash = lru_hash(t, url, len);
	e->node.bytes = sizeof(*e) + len + 1 + CACHE_ALLOC_OVERHEAD + in->parsed_size;
	atomic_init(&e->node.refs, 1);
	now = cache_now_ms(c);
	e->doc.stored_ms = now;
	e->doc.expire_ms = now + (uint64_t)cache_clamp_ttl(c, in->ttl_s) * 1000;

	s = lru_shard_of(t, e->node.hash);
	lru_lock(s);
	old = lru_find(s, e->node.hash, e->url, len);
	if (old != NULL) {
		/* Immutable while linked: read under the lock before it is replaced. */
		const struct cache_doc *prev = &((struct doc_entry *)old)->doc;

		e->doc.has_prev = true;
		memcpy(e->doc.prev_body_hash, prev->body_hash, CACHE_HASH_LEN);
		copy_id(e->doc.prev_id, prev->id);
	}
	(void)lru_insert(s, &e->node, &garbage);
	lru_unlock(s);
	lru_collect(t, garbage);
	return 0;
}

/* A fresh or stale document by reference, or CACHE_MISS; counted when count is set. */
static enum cache_result
doc_find(struct cache *c, const char *url, const struct cache_doc **out, bool count)
{
	struct lru_table *t = &c->layer[CACHE_DOC];
	struct lru_shard *s;
	struct lru_node *n;
	struct doc_entry *e;
	enum cache_result rc = CACHE_MISS;
	size_t len;
	uint64_t now, h;

	*out = NULL;
	len = url != NULL ? strnlen(url, CACHE_URL_MAX + 1) : 0;
	if (len == 0 || len > CACHE_URL_MAX)
		return CACHE_MISS;
	now = cache_now_ms(c);
	h = lru_hash(t, url, len);
	s = lru_shard_of(t, h);
	lru_lock(s);
	n = lru_find(s, h, url, len);
	e = (struct doc_entry *)n;
	if (e != NULL && now < e->doc.expire_ms)
		rc = CACHE_HIT;
	else if (e != NULL && now - e->doc.expire_ms < (uint64_t)c->cfg.stale_ttl_s * 1000)
		rc = CACHE_STALE;
	if (rc == CACHE_MISS) {
		s->ctr.misses++;
	} else {
		lru_touch(s, n);
		lru_ref(n);
		if (rc == CACHE_HIT)
			s->ctr.hits++;
		else
			s->ctr.stale++;
		*out = &e->doc;
	}
	lru_unlock(s);
	if (count)
		metrics_count(M_CACHE_LOOKUPS, LAYER_DOCUMENT, rc == CACHE_HIT ? LOOKUP_HIT :
		    rc == CACHE_STALE ? LOOKUP_STALE : LOOKUP_MISS);
	return rc;
}

/* A fresh or stale document by reference, or CACHE_MISS. */
enum cache_result
cache_doc_get(struct cache *c, const char *url, const struct cache_doc **out)
{
	return doc_find(c, url, out, true);
}

/* The same, not counted as a lookup. */
enum cache_result
cache_doc_peek(struct cache *c, const char *url, const struct cache_doc **out)
{
	return doc_find(c, url, out, false);
}

/* Drop a reference from cache_doc_get(). */
void
cache_doc_release(struct cache *c, const struct cache_doc *doc)
{
	struct doc_entry *e;

	if (doc == NULL)
		return;
	e = CONTAINER_OF(doc, struct doc_entry, doc);
	lru_release(&c->layer[CACHE_DOC], &e->node);
}
