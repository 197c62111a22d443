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
 * STARTTLS probes of MX hosts (ProbeMX) are slots of the same table, of the other
 * kind: keyed "smtp://<host>:<port>", with the addresses of the host's A and AAAA
 * answers and the usable records of its secure TLSA answer copied, probed in their
 * own round (smtp_probe_many: a thread each) under their own budget
 * (EVAL_MAX_PROBES), and kept in the same document layer of the cache: the result is
 * plain data, stored by copy, for EVAL_PROBE_OK_TTL when the host spoke SMTP and
 * EVAL_PROBE_FAIL_TTL otherwise. Their id is a digest of the TLSA records (SHA-256
 * over the usable records' RDATA, each prefixed with its length, in bytewise order,
 * the first 16 bytes in hex; "" without records): a result is served from the cache
 * only for the same records, so a host shared by many domains is probed once per
 * lifetime, and again when its TLSA records change. Per host, never per message.
 *
 * What can go wrong: out of memory (reported to the caller; a document that cannot
 * be cached is still used for this evaluation); a URL over CACHE_URL_MAX (not cached).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "eval/eval_fetch.h"
#include "record/tlsa_parse.h"
#include "util/dnsname.h"

_Static_assert(EVAL_DOC_ID_MAX == CACHE_DOC_ID_MAX, "document ids: one size");
_Static_assert(HTTPS_HASH_LEN == CACHE_HASH_LEN, "body hashes: one size");
_Static_assert((int)HTTPS_ERR_BUDGET == (int)SMTP_PROBE_ERR_BUDGET &&
    (int)HTTPS_ERR_TIMEOUT == (int)SMTP_PROBE_ERR_TIMEOUT &&
    (int)HTTPS_ERR_INTERNAL == (int)SMTP_PROBE_ERR_INTERNAL, "local outcomes: one number");
_Static_assert(EVAL_DOC_ID_MAX == 32, "a TLSA digest is 32 hex characters");

/* What a slot holds: an HTTPS document, or the STARTTLS probe of an MX host. */
struct probe_part {
	struct smtp_probe_tlsa tlsa[SMTP_PROBE_MAX_TLSA];
	uint8_t *tlsa_data[SMTP_PROBE_MAX_TLSA];	/* owned copies */
	struct smtp_probe_request req;	/* host/tlsa point into the slot */
	struct smtp_probe_result res;
};

struct fetch_slot {
	char *url;			/* owned: the URL, or "smtp://host:port" */
	char *host;			/* owned */
	char id[EVAL_DOC_ID_MAX + 1];
	struct https_request req;	/* url/host point at the slot's copies */
	uint32_t (*lifetime)(const struct https_result *r);
	bool ready;
	uint32_t ttl_s;			/* lifetime of the document used */
	struct eval_doc doc;		/* owned (doc.res.body) */
	struct probe_part *probe;	/* owned; non-NULL: a probe slot */
};

struct eval_fetches {
	struct fetch_slot **slots;	/* owned array of owned slots */
	size_t n, cap;
	unsigned asked;			/* fetches queued, for the budget */
	unsigned probed;		/* probes queued, for theirs */
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
	size_t i, j;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++) {
		struct probe_part *pp = fs->slots[i]->probe;

		for (j = 0; pp != NULL && j < SMTP_PROBE_MAX_TLSA; j++)
			free(pp->tlsa_data[j]);
		free(pp);
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

/* Copy the addresses of an A or AAAA answer into addrs/lens after *n, up to max. */
static void
add_addresses(uint8_t (*addrs)[16], size_t *lens, size_t *n, size_t max,
	      const struct dns_answer *a)
{
	size_t i, len;

	if (a == NULL || a->status != DNS_OK)
		return;
	len = a->qtype == DNS_T_A ? 4 : 16;
	for (i = 0; i < a->count && *n < max; i++) {
		if (a->rrs[i].type != a->qtype)
			continue;
		memcpy(addrs[*n], a->rrs[i].u.addr, len);
		lens[(*n)++] = len;
	}
}

/*
 * Settle a slot with a local outcome (nothing fetched, nothing cached). The HTTPS and
 * probe error codes of a budget or a deadline are the same numbers (static asserts).
 */
static void
slot_fail(struct fetch_slot *slot, int status, const char *why)
{
	memset(&slot->doc, 0, sizeof(slot->doc));
	slot->doc.res.status = status;
	snprintf(slot->doc.res.error, sizeof(slot->doc.res.error), "%s", why);
	if (slot->probe != NULL) {
		memset(&slot->probe->res, 0, sizeof(slot->probe->res));
		slot->probe->res.status = status;
		slot->probe->res.pkix = slot->probe->res.dane = -1;
		snprintf(slot->probe->res.error, sizeof(slot->probe->res.error), "%s", why);
	}
	slot->ttl_s = 0;
	slot->ready = true;
}

/* Queue a new slot under a budget, or settle it when the budget or time is spent. */
static void
slot_admit(struct fetch_slot *slot, unsigned *asked, unsigned budget, bool live,
	   uint64_t deadline_ms)
{
	const char *what = slot->probe != NULL ? "probed" : "fetched";
	char why[96];

	if (*asked >= budget) {
		snprintf(why, sizeof(why), "not %s: the evaluation's %s budget is spent", what,
		    slot->probe != NULL ? "probe" : "fetch");
		slot_fail(slot, HTTPS_ERR_BUDGET, why);
	} else if (live && dns_now_ms() >= deadline_ms) {
		snprintf(why, sizeof(why), "not %s: the evaluation's deadline passed", what);
		slot_fail(slot, HTTPS_ERR_TIMEOUT, why);
	} else {
		(*asked)++;
	}
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
	if (slot->probe != NULL) {
		if (d->parsed_size != sizeof(slot->probe->res))
			goto done;
		memcpy(&slot->probe->res, d->parsed, sizeof(slot->probe->res));
	} else if (https_result_copy(&slot->doc.res, d->parsed) < 0) {
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
	if (slot->probe != NULL) {
		/* A probe result is plain data: stored by copy, nothing to read back. */
		in.status = slot->probe->res.status;
		in.id = slot->id;
		in.parsed = malloc(sizeof(slot->probe->res));
		if (in.parsed == NULL)
			return;
		memcpy(in.parsed, &slot->probe->res, sizeof(slot->probe->res));
		in.parsed_size = sizeof(slot->probe->res);
		in.ttl_s = slot->ttl_s;
		(void)cache_doc_put(cache, slot->url, &in);
		return;
	}
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
	add_addresses(slot->req.addrs, slot->req.addr_lens, &slot->req.naddrs,
	    HTTPS_MAX_ADDRS, req->a);
	add_addresses(slot->req.addrs, slot->req.addr_lens, &slot->req.naddrs,
	    HTTPS_MAX_ADDRS, req->aaaa);
	if (slot_from_cache(slot, cache, oom))
		return &slot->doc;
	slot_admit(slot, &fs->asked, EVAL_MAX_FETCHES, live, deadline_ms);
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
		if (fs->slots[i]->ready || fs->slots[i]->probe != NULL)
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
		int status = s->probe != NULL ? s->probe->res.status : s->doc.res.status;

		if (!s->ready || status == HTTPS_ERR_BUDGET || status == HTTPS_ERR_INTERNAL)
			continue;
		if (!any || s->ttl_s < *ttl)
			*ttl = s->ttl_s;
		any = true;
	}
	return any;
}

/* ---- STARTTLS probes ---- */

/* Bytewise order of two TLSA records' RDATA. */
static int
rdata_cmp(const void *x, const void *y)
{
	const struct dns_rr *a = *(const struct dns_rr *const *)x;
	const struct dns_rr *b = *(const struct dns_rr *const *)y;
	size_t n = a->u.raw.len < b->u.raw.len ? a->u.raw.len : b->u.raw.len;
	int c = memcmp(a->u.raw.data, b->u.raw.data, n);

	return c != 0 ? c : (a->u.raw.len > b->u.raw.len) - (a->u.raw.len < b->u.raw.len);
}

/* The digest of the records used, as the slot's id (see the header comment). 0 or -1. */
static int
tlsa_digest(struct fetch_slot *slot, const struct dns_rr **used, size_t n)
{
	uint8_t hash[HTTPS_HASH_LEN], *buf, *p;
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		total += 2 + used[i]->u.raw.len;
	qsort(used, n, sizeof(used[0]), rdata_cmp);
	buf = malloc(total);
	if (buf == NULL)
		return -1;
	for (i = 0, p = buf; i < n; i++) {
		*p++ = (uint8_t)(used[i]->u.raw.len >> 8);
		*p++ = (uint8_t)used[i]->u.raw.len;
		memcpy(p, used[i]->u.raw.data, used[i]->u.raw.len);
		p += used[i]->u.raw.len;
	}
	https_body_hash(buf, total, hash);
	free(buf);
	for (i = 0; i < EVAL_DOC_ID_MAX / 2; i++)
		snprintf(slot->id + 2 * i, 3, "%02x", hash[i]);
	return 0;
}

/* Copy the usable records of a secure TLSA answer into the probe; set the id. 0 or -1. */
static int
probe_set_tlsa(struct fetch_slot *slot, const struct dns_answer *a)
{
	struct probe_part *pp = slot->probe;
	const struct dns_rr *used[SMTP_PROBE_MAX_TLSA];
	struct tlsa_record rec;
	size_t i, n = 0;

	if (a == NULL || a->status != DNS_OK || !a->secure)
		return 0;
	for (i = 0; i < a->count && n < SMTP_PROBE_MAX_TLSA; i++) {
		const struct dns_rr *rr = &a->rrs[i];

		if (rr->type != DNS_T_TLSA || tlsa_parse(rr->u.raw.data, rr->u.raw.len, &rec)
		    != TLSA_OK || !tlsa_usable_for_smtp(&rec))
			continue;
		pp->tlsa_data[n] = malloc(rec.len);
		if (pp->tlsa_data[n] == NULL)
			return -1;
		memcpy(pp->tlsa_data[n], rec.data, rec.len);
		pp->tlsa[n] = (struct smtp_probe_tlsa){ rec.usage, rec.selector, rec.mtype,
		    pp->tlsa_data[n], rec.len };
		used[n++] = rr;
	}
	pp->req.ntlsa = n;
	return n > 0 ? tlsa_digest(slot, used, n) : 0;
}

/* A probe slot for a host (slot_find() first); NULL on OOM. */
static struct fetch_slot *
probe_slot_add(struct eval_fetches *fs, const char *host, const char *key)
{
	struct fetch_slot *slot = slot_add(fs, key, host, NULL);

	if (slot == NULL)
		return NULL;
	slot->probe = calloc(1, sizeof(*slot->probe));
	if (slot->probe == NULL) {
		slot_fail(slot, HTTPS_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	slot->probe->req.host = slot->host;
	slot->probe->req.tlsa = slot->probe->tlsa;
	return slot;
}

/* The cache key of a host's probe: "smtp://host:port". */
static void
probe_key(const struct smtp_probe_options *opts, const char *host, char *key, size_t len)
{
	snprintf(key, len, "smtp://%s:%u", host, opts != NULL && opts->port ? opts->port : 25);
}

/* The probe result for a host, or NULL when queued. */
const struct smtp_probe_result *
eval_fetches_probe(struct eval_fetches *fs, struct cache *cache,
		   const struct smtp_probe_options *opts, const struct eval_probe_req *req,
		   bool live, uint64_t deadline_ms, bool *oom)
{
	char key[sizeof("smtp://:65535") + DNS_NAME_MAX];
	struct fetch_slot *slot;
	struct probe_part *pp;

	if (req->host == NULL)
		return NULL;
	probe_key(opts, req->host, key, sizeof(key));
	slot = slot_find(fs, key);
	if (slot != NULL)
		return slot->ready && slot->probe != NULL ? &slot->probe->res : NULL;
	slot = probe_slot_add(fs, req->host, key);
	if (slot == NULL || probe_set_tlsa(slot, req->tlsa) < 0) {
		*oom = true;
		if (slot != NULL)
			slot_fail(slot, HTTPS_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	pp = slot->probe;
	add_addresses(pp->req.addrs, pp->req.addr_lens, &pp->req.naddrs,
	    SMTP_PROBE_MAX_ADDRS, req->a);
	add_addresses(pp->req.addrs, pp->req.addr_lens, &pp->req.naddrs,
	    SMTP_PROBE_MAX_ADDRS, req->aaaa);
	if (slot_from_cache(slot, cache, oom))
		return &pp->res;
	slot_admit(slot, &fs->probed, EVAL_MAX_PROBES, live, deadline_ms);
	return slot->ready ? &pp->res : NULL;
}

/* Seed a probe result as if the host had been probed. */
int
eval_fetches_add_probe(struct eval_fetches *fs, struct cache *cache,
		       const struct smtp_probe_options *opts, const char *host,
		       const struct smtp_probe_result *r)
{
	char key[sizeof("smtp://:65535") + DNS_NAME_MAX];
	struct fetch_slot *slot;

	probe_key(opts, host, key, sizeof(key));
	slot = slot_find(fs, key);
	if (slot == NULL && (slot = probe_slot_add(fs, host, key)) == NULL)
		return -1;
	if (slot->probe == NULL)
		return -1;
	slot->probe->res = *r;
	slot->ttl_s = EVAL_PROBE_OK_TTL;
	slot->ready = true;
	slot_store(slot, cache);
	return 0;
}

/* Whether a result says the host spoke SMTP (worth keeping for the long lifetime). */
static bool
spoke_smtp(int status)
{
	return status == SMTP_PROBE_TLS_OK || status == SMTP_PROBE_NO_STARTTLS ||
	    status == SMTP_PROBE_ERR_TLS;
}

/* Probe every queued host in parallel and settle each. */
void
eval_fetches_probe_round(struct eval_fetches *fs, struct cache *cache,
			 const struct smtp_probe_options *opts, uint64_t deadline_ms)
{
	struct smtp_probe_request reqs[EVAL_MAX_PROBES];
	struct smtp_probe_result results[EVAL_MAX_PROBES];
	struct fetch_slot *queued[EVAL_MAX_PROBES];
	size_t i, n = 0;

	for (i = 0; fs != NULL && i < fs->n; i++) {
		if (fs->slots[i]->ready || fs->slots[i]->probe == NULL)
			continue;
		if (n == EVAL_MAX_PROBES) {
			/* Cannot happen: the budget bounds the queue. Settle, never hang. */
			slot_fail(fs->slots[i], HTTPS_ERR_BUDGET, "not probed: too many at once");
			continue;
		}
		queued[n] = fs->slots[i];
		reqs[n++] = fs->slots[i]->probe->req;
	}
	if (n == 0)
		return;
	smtp_probe_many(opts, reqs, results, n, deadline_ms);
	for (i = 0; i < n; i++) {
		queued[i]->probe->res = results[i];
		queued[i]->ready = true;
		queued[i]->ttl_s = spoke_smtp(results[i].status) ? EVAL_PROBE_OK_TTL :
		    EVAL_PROBE_FAIL_TTL;
		if (results[i].status != SMTP_PROBE_ERR_INTERNAL)
			slot_store(queued[i], cache);
	}
}
