/*
 * eval_fetch.c - the fetched documents of one evaluation (see eval_fetch.h, eval.h).
 *
 * A slot per URL: the request as the check made it (addresses copied from its A and
 * AAAA answers), then the document. A round fetches every queued slot at once
 * (https_fetch_many: curl multi, parallel) and settles each one:
 *   - the body hash (SHA-256) is kept only for a 200: a failure has no policy to
 *     compare, and its zero hash never reads as "changed";
 *   - with a cache, the document goes to its document layer under the URL with the id
 *     it was fetched under and the check's lifetime (MTA-STS: max_age, clamped to
 *     [CacheMinTTL, CacheMaxTTL] there), failures too (EVAL_FETCH_FAIL_TTL) so a
 *     failing server is not asked again by every message. The cache remembers the
 *     document it replaced: its hash and id are read back into the slot (has_prev),
 *     which is what MTASTS_ID_UNCHANGED needs (RFC 8461 3.1).
 * Before queueing, a fresh cached document fetched under the same id is served as is
 * (cached = true): per RFC 8461 3.1 an unchanged id means an unchanged policy, so
 * nothing is fetched until max_age runs out or the id changes.
 *
 * The cached copy is one allocation: a struct https_result followed by its body, the
 * result's body pointer pointing inside. It is immutable once stored (cache.h).
 *
 * What can go wrong: out of memory (reported to the caller; a document that cannot
 * be cached is still used for this evaluation); a URL over CACHE_URL_MAX (not cached).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "eval/eval_fetch.h"

_Static_assert(EVAL_DOC_ID_MAX == CACHE_DOC_ID_MAX, "document ids: one size");
_Static_assert(HTTPS_HASH_LEN == CACHE_HASH_LEN, "body hashes: one size");

struct fetch_slot {
	char *url;			/* owned */
	char *host;			/* owned */
	char id[EVAL_DOC_ID_MAX + 1];
	struct https_request req;	/* url/host point at the slot's copies */
	uint32_t (*lifetime)(const struct https_result *r);
	bool ready;
	uint32_t ttl_s;			/* lifetime of the document used */
	struct eval_doc doc;		/* owned (doc.res.body) */
};

struct eval_fetches {
	struct fetch_slot **slots;	/* owned array of owned slots */
	size_t n, cap;
	unsigned asked;			/* fetches queued, for the budget */
};

/* A new, empty table. */
struct eval_fetches *
eval_fetches_new(void)
{
	return calloc(1, sizeof(struct eval_fetches));
}

/* Free the table and every document. */
void
eval_fetches_free(struct eval_fetches *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++) {
		free(fs->slots[i]->url);
		free(fs->slots[i]->host);
		https_result_clear(&fs->slots[i]->doc.res);
		free(fs->slots[i]);
	}
	free(fs->slots);
	free(fs);
}

/* The slot of a URL (exact match: URLs are built by checks, not typed). */
static struct fetch_slot *
slot_find(const struct eval_fetches *fs, const char *url)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->slots[i]->url, url) == 0)
			return fs->slots[i];
	return NULL;
}

/* Copy at most EVAL_DOC_ID_MAX bytes of an id (NULL: ""). */
static void
copy_id(char dst[EVAL_DOC_ID_MAX + 1], const char *src)
{
	size_t len = src != NULL ? strnlen(src, EVAL_DOC_ID_MAX) : 0;

	memcpy(dst, src != NULL ? src : "", len);
	dst[len] = '\0';
}

/* Add a slot for url; NULL on OOM. */
static struct fetch_slot *
slot_add(struct eval_fetches *fs, const char *url, const char *host, const char *id)
{
	struct fetch_slot *slot, **grown;
	size_t cap;

	if (fs->n == fs->cap) {
		cap = fs->cap ? fs->cap * 2 : 4;
		grown = realloc(fs->slots, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		fs->slots = grown;
		fs->cap = cap;
	}
	slot = calloc(1, sizeof(*slot));
	if (slot == NULL || (slot->url = strdup(url)) == NULL ||
	    (slot->host = strdup(host != NULL ? host : "")) == NULL) {
		if (slot != NULL)
			free(slot->url);
		free(slot);
		return NULL;
	}
	copy_id(slot->id, id);
	slot->req.url = slot->url;
	slot->req.host = slot->host;
	fs->slots[fs->n++] = slot;
	return slot;
}

/* Copy the addresses of an A or AAAA answer into the request. */
static void
req_add_addresses(struct https_request *req, const struct dns_answer *a)
{
	size_t i, len;

	if (a == NULL || a->status != DNS_OK)
		return;
	len = a->qtype == DNS_T_A ? 4 : 16;
	for (i = 0; i < a->count && req->naddrs < HTTPS_MAX_ADDRS; i++) {
		if (a->rrs[i].type != a->qtype)
			continue;
		memcpy(req->addrs[req->naddrs], a->rrs[i].u.addr, len);
		req->addr_lens[req->naddrs++] = len;
	}
}

/* Settle a slot with a local outcome (nothing fetched, nothing cached). */
static void
slot_fail(struct fetch_slot *slot, int status, const char *why)
{
	memset(&slot->doc, 0, sizeof(slot->doc));
	slot->doc.res.status = status;
	snprintf(slot->doc.res.error, sizeof(slot->doc.res.error), "%s", why);
	slot->ttl_s = 0;
	slot->ready = true;
}

/* Serve a fresh cached document fetched under the slot's id; true when served. */
static bool
slot_from_cache(struct fetch_slot *slot, struct cache *cache, bool *oom)
{
	const struct cache_doc *d = NULL;
	uint64_t now;
	bool served = false;

	if (cache == NULL || cache_doc_get(cache, slot->url, &d) != CACHE_HIT)
		goto done;
	if (d->parsed == NULL || strcmp(d->id, slot->id) != 0)
		goto done;
	if (https_result_copy(&slot->doc.res, d->parsed) < 0) {
		*oom = true;
		goto done;
	}
	slot->doc.cached = true;
	slot->doc.has_prev = d->has_prev;
	memcpy(slot->doc.prev_hash, d->prev_body_hash, HTTPS_HASH_LEN);
	copy_id(slot->doc.prev_id, d->prev_id);
	now = cache_now_ms(cache);
	slot->ttl_s = d->expire_ms > now ? (uint32_t)((d->expire_ms - now) / 1000) : 0;
	slot->ready = true;
	served = true;
done:
	cache_doc_release(cache, d);
	return served;
}

/* The cache's copy of a result: one block, the body inside it. NULL on OOM. */
static struct https_result *
result_blob(const struct https_result *r, size_t *size)
{
	struct https_result *blob;

	*size = sizeof(*blob) + r->body_len + 1;
	blob = malloc(*size);
	if (blob == NULL)
		return NULL;
	*blob = *r;
	blob->body = NULL;
	if (r->body != NULL) {
		blob->body = (uint8_t *)(blob + 1);
		memcpy(blob->body, r->body, r->body_len);
		blob->body[r->body_len] = '\0';
	}
	return blob;
}

/* Store a settled slot's document in the cache and read back what it replaced. */
static void
slot_store(struct fetch_slot *slot, struct cache *cache)
{
	const struct https_result *r = &slot->doc.res;
	const struct cache_doc *d = NULL;
	struct cache_doc_in in;
	size_t size;

	if (cache == NULL)
		return;
	memset(&in, 0, sizeof(in));
	in.status = r->status;
	in.body_hash = r->status == 200 ? r->body_hash : NULL;
	in.id = slot->id;
	in.parsed = result_blob(r, &size);
	in.parsed_size = in.parsed != NULL ? size : 0;
	in.ttl_s = slot->ttl_s;
	if (cache_doc_put(cache, slot->url, &in) < 0)
		return;
	/* The entry just stored (a concurrent put for the URL may have won: then its). */
	if (cache_doc_peek(cache, slot->url, &d) == CACHE_MISS)
		return;
	slot->doc.has_prev = d->has_prev;
	memcpy(slot->doc.prev_hash, d->prev_body_hash, HTTPS_HASH_LEN);
	copy_id(slot->doc.prev_id, d->prev_id);
	cache_doc_release(cache, d);
}

/* The lifetime of a document, from the check's function or the defaults. */
static uint32_t
slot_lifetime(const struct fetch_slot *slot)
{
	if (slot->lifetime != NULL)
		return slot->lifetime(&slot->doc.res);
	return slot->doc.res.status == 200 ? EVAL_FETCH_OK_TTL : EVAL_FETCH_FAIL_TTL;
}

/* The document for a request, or NULL when queued. */
const struct eval_doc *
eval_fetches_get(struct eval_fetches *fs, struct cache *cache,
		 const struct eval_fetch_req *req, bool live, uint64_t deadline_ms, bool *oom)
{
	struct fetch_slot *slot;

	if (req->url == NULL)
		return NULL;
	slot = slot_find(fs, req->url);
	if (slot != NULL)
		return slot->ready ? &slot->doc : NULL;
	slot = slot_add(fs, req->url, req->host, req->id);
	if (slot == NULL) {
		*oom = true;
		return NULL;
	}
	slot->lifetime = req->lifetime;
	slot->req.max_bytes = req->max_bytes;
	req_add_addresses(&slot->req, req->a);
	req_add_addresses(&slot->req, req->aaaa);
	if (slot_from_cache(slot, cache, oom))
		return &slot->doc;
	if (fs->asked >= EVAL_MAX_FETCHES)
		slot_fail(slot, HTTPS_ERR_BUDGET, "not fetched: the evaluation's fetch budget "
		    "is spent");
	else if (live && dns_now_ms() >= deadline_ms)
		slot_fail(slot, HTTPS_ERR_TIMEOUT, "not fetched: the evaluation's deadline passed");
	else
		fs->asked++;
	return slot->ready ? &slot->doc : NULL;
}

/* Seed a document as if it had been fetched. */
int
eval_fetches_add(struct eval_fetches *fs, struct cache *cache, const char *url,
		 const struct https_result *r, const char *id, uint32_t ttl_s)
{
	struct fetch_slot *slot;

	slot = slot_find(fs, url);
	if (slot == NULL && (slot = slot_add(fs, url, "", id)) == NULL)
		return -1;
	https_result_clear(&slot->doc.res);
	memset(&slot->doc, 0, sizeof(slot->doc));
	copy_id(slot->id, id);
	if (https_result_copy(&slot->doc.res, r) < 0)
		return -1;
	https_body_hash(r->body, r->body_len, slot->doc.res.body_hash);
	slot->ttl_s = ttl_s;
	slot->ready = true;
	slot_store(slot, cache);
	return 0;
}

/* Whether a fetch waits for the next round. */
bool
eval_fetches_queued(const struct eval_fetches *fs)
{
	size_t i;

	for (i = 0; fs != NULL && i < fs->n; i++)
		if (!fs->slots[i]->ready)
			return true;
	return false;
}

/* Fetch every queued document in parallel and settle each. */
void
eval_fetches_round(struct eval_fetches *fs, struct cache *cache,
		   const struct https_options *opts, uint64_t deadline_ms)
{
	struct https_request reqs[EVAL_MAX_FETCHES];
	struct https_result results[EVAL_MAX_FETCHES];
	struct fetch_slot *queued[EVAL_MAX_FETCHES];
	size_t i, n = 0;

	for (i = 0; i < fs->n; i++) {
		if (fs->slots[i]->ready)
			continue;
		if (n == EVAL_MAX_FETCHES) {
			/* Cannot happen: the budget bounds the queue. Settle, never hang. */
			slot_fail(fs->slots[i], HTTPS_ERR_BUDGET, "not fetched: too many at once");
			continue;
		}
		queued[n] = fs->slots[i];
		reqs[n++] = fs->slots[i]->req;
	}
	if (n == 0)
		return;
	https_fetch_many(opts, reqs, results, n, deadline_ms);
	for (i = 0; i < n; i++) {
		queued[i]->doc.res = results[i];	/* the body changes hands */
		queued[i]->ready = true;
		queued[i]->ttl_s = slot_lifetime(queued[i]);
		/* Nothing was asked of the server: no data about it to cache. */
		if (results[i].status != HTTPS_ERR_INTERNAL)
			slot_store(queued[i], cache);
	}
}

/* The shortest lifetime of the documents used. */
bool
eval_fetches_min_ttl(const struct eval_fetches *fs, uint32_t *ttl)
{
	bool any = false;
	size_t i;

	for (i = 0; fs != NULL && i < fs->n; i++) {
		const struct fetch_slot *s = fs->slots[i];

		if (!s->ready || s->doc.res.status == HTTPS_ERR_BUDGET ||
		    s->doc.res.status == HTTPS_ERR_INTERNAL)
			continue;
		if (!any || s->ttl_s < *ttl)
			*ttl = s->ttl_s;
		any = true;
	}
	return any;
}
