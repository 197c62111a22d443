/*
 * eval.c - the evaluation driver: runs the checks in rounds of parallel DNS queries.
 *
 *   eval_ctx_new() / eval_ctx_free()   one context per domain evaluation
 *   eval_dns()                         answers for checks, queueing unknown ones
 *   eval_run_check()                   one run of one check
 *   eval_run_all()                     a plan of checks to completion -> posture_eval
 *
 * The protocol is written in eval.h. Answers live in individually allocated slots, so
 * a pointer handed to a check stays valid while the context lives. Budget: at most
 * max_queries distinct questions; past it, or past the deadline, eval_dns() answers
 * DNS_BUDGET or DNS_TIMEOUT at once instead of queueing, so a check always finishes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/ascii.h"
#include "cache/cache.h"
#include "eval/eval.h"
#include "eval/eval_fetch.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

/* Safety net: a check that keeps asking must still end (budget ends it first). */
#define EVAL_MAX_ROUNDS 64

struct answer_slot {
	char *name;			/* owned, lower case */
	uint16_t type;
	bool ready;
	struct dns_answer ans;		/* owned */
};

struct eval_ctx {
	char domain[256];
	struct dns_resolver *res;	/* borrowed, may be NULL */
	const psl_ctx_t *psl;		/* borrowed, may be NULL */
	struct cache *cache;		/* borrowed, may be NULL: DNS answer layer */
	struct eval_limits lim;
	uint64_t start_ms, deadline_ms;

	struct answer_slot **slots;	/* owned array of owned slots */
	size_t nslots, capslots;
	unsigned asked;			/* distinct questions queued, for the budget */
	unsigned wire_queries;		/* queries sent, CNAME re-queries included */
	unsigned rounds;
	unsigned answered;		/* answers that came from a server */

	char **selectors;		/* owned */
	size_t nselectors;

	struct posture_finding *findings; /* owned */
	size_t nfindings, capfindings;
	struct posture_record *records;	/* owned: eval_note_record() */
	size_t nrecords;

	enum posture_family cur_family;	/* family of the running check */
	enum posture_result run_result;	/* set by the running check */
	bool run_result_set;
	char run_fact[64];
	int run_usable;			/* eval_set_usable() of the running check; -1 unset */
	int usable[PF_COUNT];		/* per family, once done; -1 unknown */
	bool run_enforced;		/* eval_set_enforced() of the running check */
	bool enforced[PF_COUNT];	/* per family, once done */
	struct posture_family_result family[PF_COUNT];
	bool oom;

	struct eval_fetches *fetches;	/* owned, made at the first eval_fetch() */
	const struct https_options *https; /* borrowed, may be NULL */
	const struct smtp_probe_options *probe_opts; /* borrowed; NULL: no probing */
	const struct bimi_anchors *bimi_anchors; /* borrowed, may be NULL */
	enum eval_dnssec dnssec;		/* what answers' `secure` means */
};

/* Create a context for one normalized domain. */
struct eval_ctx *
eval_ctx_new(const char *domain, struct dns_resolver *res, const psl_ctx_t *psl,
	     const struct eval_limits *lim)
{
	struct eval_ctx *ctx;
	int i;

	if (strlen(domain) >= sizeof(ctx->domain))
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	strcpy(ctx->domain, domain);
	ctx->res = res;
	ctx->psl = psl;
	ctx->lim = *lim;
	if (ctx->lim.max_queries == 0)
		ctx->lim.max_queries = 100;
	if (ctx->lim.timeout_ms == 0)
		ctx->lim.timeout_ms = 10000;
	ctx->start_ms = dns_now_ms();
	ctx->deadline_ms = ctx->start_ms + ctx->lim.timeout_ms;
	for (i = 0; i < PF_COUNT; i++)
		ctx->usable[i] = -1;
	return ctx;
}

/* Free a finding array's messages. */
static void
findings_free_from(struct eval_ctx *ctx, size_t from)
{
	size_t i;

	for (i = from; i < ctx->nfindings; i++)
		free(ctx->findings[i].message);
	ctx->nfindings = from;
}

/* Forget the records noted from index from on. */
static void
records_free_from(struct eval_ctx *ctx, size_t from)
{
	size_t i;

	for (i = from; i < ctx->nrecords; i++) {
		free(ctx->records[i].name);
		free(ctx->records[i].value);
	}
	ctx->nrecords = from;
}

/* Free a context and everything it still owns. */
void
eval_ctx_free(struct eval_ctx *ctx)
{
	size_t i;

	if (ctx == NULL)
		return;
	for (i = 0; i < ctx->nslots; i++) {
		free(ctx->slots[i]->name);
		dns_answer_clear(&ctx->slots[i]->ans);
		free(ctx->slots[i]);
	}
	free(ctx->slots);
	for (i = 0; i < ctx->nselectors; i++)
		free(ctx->selectors[i]);
	free(ctx->selectors);
	findings_free_from(ctx, 0);
	free(ctx->findings);
	records_free_from(ctx, 0);
	free(ctx->records);
	eval_fetches_free(ctx->fetches);
	free(ctx);
}

/* Find the slot for (name, type). */
static struct answer_slot *
slot_find(const struct eval_ctx *ctx, const char *name, uint16_t type)
{
	size_t i;

	for (i = 0; i < ctx->nslots; i++)
		if (ctx->slots[i]->type == type && strcasecmp(ctx->slots[i]->name, name) == 0)
			return ctx->slots[i];
	return NULL;
}

/* Add an empty slot for (name, type); NULL on OOM. */
static struct answer_slot *
slot_add(struct eval_ctx *ctx, const char *name, uint16_t type)
{
	struct answer_slot *slot, **grown;
	size_t cap, i;

	if (ctx->nslots == ctx->capslots) {
		cap = ctx->capslots ? ctx->capslots * 2 : 16;
		grown = realloc(ctx->slots, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		ctx->slots = grown;
		ctx->capslots = cap;
	}
	slot = calloc(1, sizeof(*slot));
	if (slot == NULL || (slot->name = strdup(name)) == NULL) {
		free(slot);
		return NULL;
	}
	for (i = 0; slot->name[i]; i++)
		slot->name[i] = (char)ascii_lower((unsigned char)slot->name[i]);
	slot->type = type;
	ctx->slots[ctx->nslots++] = slot;
	return slot;
}

/* Fill a slot with a local outcome (no server asked). */
static void
slot_settle(struct answer_slot *slot, enum dns_status st)
{
	memset(&slot->ans, 0, sizeof(slot->ans));
	slot->ans.status = st;
	slot->ans.qtype = slot->type;
	slot->ans.qname = strdup(slot->name);
	slot->ans.canonical = strdup(slot->name);
	slot->ready = true;
}

/* Use a cache's DNS answer layer. */
void
eval_set_cache(struct eval_ctx *ctx, struct cache *cache)
{
	ctx->cache = cache;
}

/* Seed the answer table with a copy of an answer. */
int
eval_add_answer(struct eval_ctx *ctx, const struct dns_answer *a)
{
	struct answer_slot *slot;

	slot = slot_find(ctx, a->qname, a->qtype);
	if (slot == NULL && (slot = slot_add(ctx, a->qname, a->qtype)) == NULL)
		return -1;
	dns_answer_clear(&slot->ans);
	if (dns_answer_copy(&slot->ans, a) < 0) {
		slot_settle(slot, DNS_ERROR);
		return -1;
	}
	slot->ready = true;
	return 0;
}

/* Remember a DKIM selector to check. */
int
eval_add_selector(struct eval_ctx *ctx, const char *selector)
{
	char **grown, *copy;

	copy = strdup(selector);
	grown = realloc(ctx->selectors, (ctx->nselectors + 1) * sizeof(*grown));
	if (copy == NULL || grown == NULL) {
		free(copy);
		if (grown)
			ctx->selectors = grown;
		return -1;
	}
	ctx->selectors = grown;
	ctx->selectors[ctx->nselectors++] = copy;
	return 0;
}

/* Whether a name derived from DNS data can be asked at all (RFC 1035 2.3.4). */
static bool
name_askable(const char *name)
{
	return dns_name_check(name, strlen(name), DNS_NAME_ASKABLE) == DNS_NAME_OK;
}

/* The answer for (name, type), or NULL when it is queued for the next round. */
const struct dns_answer *
eval_dns(struct eval_ctx *ctx, const char *name, uint16_t type)
{
	struct answer_slot *slot;

	slot = slot_find(ctx, name, type);
	if (slot != NULL)
		return slot->ready ? &slot->ans : NULL;
	slot = slot_add(ctx, name, type);
	if (slot == NULL) {
		ctx->oom = true;
		return NULL;
	}
	if (!name_askable(slot->name)) {
		slot_settle(slot, DNS_ERROR);
	} else if (ctx->cache != NULL &&
	    cache_dns_get(ctx->cache, slot->name, type, &slot->ans) == CACHE_HIT) {
		slot->ready = true;
		ctx->answered++;
	} else if (ctx->asked >= ctx->lim.max_queries)
		slot_settle(slot, DNS_BUDGET);
	else if (ctx->res != NULL && dns_now_ms() >= ctx->deadline_ms)
		slot_settle(slot, DNS_TIMEOUT);
	else
		ctx->asked++;
	return slot->ready ? &slot->ans : NULL;
}

/* Fetch settings for this context (eval_fetch.c does the work). */
void
eval_set_https(struct eval_ctx *ctx, const struct https_options *opts)
{
	ctx->https = opts;
}

/* BIMI trust anchors for this context (check_bimi.c reads them). */
void
eval_set_bimi_anchors(struct eval_ctx *ctx, const struct bimi_anchors *anchors)
{
	ctx->bimi_anchors = anchors;
}

/* What DNSSEC status the answers carry (the engine decides, see eval.h). */
void
eval_set_dnssec(struct eval_ctx *ctx, enum eval_dnssec state)
{
	ctx->dnssec = state;
}

/* The DNSSEC state set for this context; EVAL_DNSSEC_OFF unless set. */
enum eval_dnssec
eval_dnssec(const struct eval_ctx *ctx)
{
	return ctx->dnssec;
}

/* The BIMI trust anchors, or NULL when none are configured. */
const struct bimi_anchors *
eval_bimi_anchors(const struct eval_ctx *ctx)
{
	return ctx->bimi_anchors;
}

/* The fetches table, made on first use; NULL (and oom) when out of memory. */
static struct eval_fetches *
fetches_of(struct eval_ctx *ctx)
{
	if (ctx->fetches == NULL && (ctx->fetches = eval_fetches_new()) == NULL)
		ctx->oom = true;
	return ctx->fetches;
}

/* The document for req->url, or NULL when it is queued for the next round. */
const struct eval_doc *
eval_fetch(struct eval_ctx *ctx, const struct eval_fetch_req *req)
{
	bool oom = false;
	const struct eval_doc *doc;

	if (fetches_of(ctx) == NULL)
		return NULL;
	doc = eval_fetches_get(ctx->fetches, ctx->cache, req, ctx->res != NULL,
	    ctx->deadline_ms, &oom);
	if (oom)
		ctx->oom = true;
	return doc;
}

/* Seed a document as if fetched (tests). */
int
eval_add_fetch(struct eval_ctx *ctx, const char *url, const struct https_result *r,
	       const char *id, uint32_t ttl_s)
{
	if (fetches_of(ctx) == NULL)
		return -1;
	return eval_fetches_add(ctx->fetches, ctx->cache, url, r, id, ttl_s);
}

/* Probe settings for this context (eval_fetch.c does the work). */
void
eval_set_probe(struct eval_ctx *ctx, const struct smtp_probe_options *opts)
{
	ctx->probe_opts = opts;
}

/* Whether MX hosts are probed. */
bool
eval_probing(const struct eval_ctx *ctx)
{
	return ctx->probe_opts != NULL;
}

/* The probe result of req->host, or NULL when it is queued. */
const struct smtp_probe_result *
eval_probe(struct eval_ctx *ctx, const struct eval_probe_req *req)
{
	bool oom = false;
	const struct smtp_probe_result *r;

	if (ctx->probe_opts == NULL || fetches_of(ctx) == NULL)
		return NULL;
	r = eval_fetches_probe(ctx->fetches, ctx->cache, ctx->probe_opts, req,
	    ctx->res != NULL, ctx->deadline_ms, &oom);
	if (oom)
		ctx->oom = true;
	return r;
}

/* Seed a probe result as if probed (tests). */
int
eval_add_probe(struct eval_ctx *ctx, const char *host, const struct smtp_probe_result *r)
{
	if (fetches_of(ctx) == NULL)
		return -1;
	return eval_fetches_add_probe(ctx->fetches, ctx->cache, ctx->probe_opts, host, r);
}

/* Append a finding for the running check. */
static void
finding_add(struct eval_ctx *ctx, enum posture_code code, enum posture_severity sev,
	    const char *fmt, va_list ap)
{
	struct posture_finding *f, *grown;
	size_t cap;
	char *msg;
	int n;
	va_list ap2;

	if (ctx->nfindings == ctx->capfindings) {
		cap = ctx->capfindings ? ctx->capfindings * 2 : 16;
		grown = realloc(ctx->findings, cap * sizeof(*grown));
		if (grown == NULL) {
			ctx->oom = true;
			return;
		}
		ctx->findings = grown;
		ctx->capfindings = cap;
	}
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (msg = malloc((size_t)n + 1)) == NULL) {
		ctx->oom = true;
		return;
	}
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	f = &ctx->findings[ctx->nfindings++];
	f->code = code;
	f->severity = sev;
	f->family = ctx->cur_family;
	f->message = msg;
}

/* Raise a finding at the code's default severity. */
void
eval_finding(struct eval_ctx *ctx, enum posture_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	finding_add(ctx, code, posture_code_severity(code), fmt, ap);
	va_end(ap);
}

/* Raise a finding at a severity the check decides. */
void
eval_finding_sev(struct eval_ctx *ctx, enum posture_code code, enum posture_severity sev,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	finding_add(ctx, code, sev, fmt, ap);
	va_end(ap);
}

/* Set the running family's result explicitly. */
void
eval_set_result(struct eval_ctx *ctx, enum posture_result res)
{
	ctx->run_result = res;
	ctx->run_result_set = true;
}

/* Set the running family's short fact. */
void
eval_set_fact(struct eval_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->run_fact, sizeof(ctx->run_fact), fmt, ap);
	va_end(ap);
}

/* Note a record the running check read (canonical form). */
void
eval_note_record(struct eval_ctx *ctx, const char *name, const char *value)
{
	struct posture_record *r, *grown;
	struct pt_sb sb;
	char *n;
	size_t i;

	pt_sb_init(&sb);
	pt_sb_append_sanitized(&sb, value, strnlen(value, POSTURE_RECORD_VALUE_MAX));
	n = strdup(name);
	if (n == NULL || (sb.s == NULL && sb.oom)) {
		free(n);
		pt_sb_free(&sb);
		ctx->oom = true;
		return;
	}
	for (i = 0; i < ctx->nrecords; i++)
		if (strcmp(ctx->records[i].name, name) == 0) {
			free(n);
			free(ctx->records[i].value);
			ctx->records[i].value = sb.s ? pt_sb_take(&sb) : strdup("");
			ctx->records[i].family = ctx->cur_family;
			if (ctx->records[i].value == NULL)
				ctx->oom = true;
			return;
		}
	grown = realloc(ctx->records, (ctx->nrecords + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(n);
		pt_sb_free(&sb);
		ctx->oom = true;
		return;
	}
	ctx->records = grown;
	r = &ctx->records[ctx->nrecords];
	r->name = n;
	r->family = ctx->cur_family;
	r->value = sb.s ? pt_sb_take(&sb) : strdup("");
	if (r->value == NULL) {
		free(n);
		ctx->oom = true;
		return;
	}
	ctx->nrecords++;
}

/* Records noted so far. */
const struct posture_record *
eval_records(const struct eval_ctx *ctx, size_t *n)
{
	*n = ctx->nrecords;
	return ctx->records;
}

/* Accessors for checks. */
const char *
eval_domain(const struct eval_ctx *ctx)
{
	return ctx->domain;
}

const psl_ctx_t *
eval_psl(const struct eval_ctx *ctx)
{
	return ctx->psl;
}

const char *const *
eval_selectors(const struct eval_ctx *ctx, size_t *n)
{
	*n = ctx->nselectors;
	return (const char *const *)ctx->selectors;
}

const struct posture_finding *
eval_findings(const struct eval_ctx *ctx, size_t *n)
{
	*n = ctx->nfindings;
	return ctx->findings;
}

bool
eval_has_finding(const struct eval_ctx *ctx, enum posture_code code)
{
	size_t i;

	for (i = 0; i < ctx->nfindings; i++)
		if (ctx->findings[i].code == code)
			return true;
	return false;
}

enum posture_result
eval_family_result(const struct eval_ctx *ctx, enum posture_family fam)
{
	return (unsigned)fam < PF_COUNT ? ctx->family[fam].result : PR_NOT_CHECKED;
}

/* The i-th question waiting for the next round. */
bool
eval_queued(const struct eval_ctx *ctx, size_t i, const char **name, uint16_t *type)
{
	size_t j, n = 0;

	for (j = 0; j < ctx->nslots; j++) {
		if (ctx->slots[j]->ready)
			continue;
		if (n++ == i) {
			*name = ctx->slots[j]->name;
			*type = ctx->slots[j]->type;
			return true;
		}
	}
	return false;
}

/* The fact a done family set. */
const char *
eval_family_fact(const struct eval_ctx *ctx, enum posture_family fam)
{
	return (unsigned)fam < PF_COUNT ? ctx->family[fam].fact : "";
}

/* Result of a family from the worst severity of its findings from index from on. */
static enum posture_result
result_from_findings(const struct eval_ctx *ctx, size_t from)
{
	enum posture_result res = PR_OK;
	size_t i;

	for (i = from; i < ctx->nfindings; i++) {
		if (ctx->findings[i].severity == SEV_ERROR)
			return PR_BROKEN;
		if (ctx->findings[i].severity == SEV_WARN)
			res = PR_WEAK;
	}
	return res;
}

/* Run one check once; keep its findings only when it is done. */
enum check_status
eval_run_check(struct eval_ctx *ctx, enum posture_family fam, check_fn fn)
{
	size_t mark = ctx->nfindings, rmark = ctx->nrecords;
	enum check_status st;

	ctx->cur_family = fam;
	ctx->run_result = PR_NOT_CHECKED;
	ctx->run_result_set = false;
	ctx->run_fact[0] = '\0';
	ctx->run_usable = -1;
	ctx->run_enforced = false;
	st = fn(ctx);
	if (st == CHECK_PENDING) {
		findings_free_from(ctx, mark);
		records_free_from(ctx, rmark);
		return st;
	}
	ctx->usable[fam] = ctx->run_usable;
	ctx->enforced[fam] = ctx->run_enforced;
	ctx->family[fam].result = ctx->run_result_set ?
	    ctx->run_result : result_from_findings(ctx, mark);
	memcpy(ctx->family[fam].fact, ctx->run_fact, sizeof(ctx->run_fact));
	return st;
}

/* Record whether the running check's family can authenticate mail. */
void
eval_set_usable(struct eval_ctx *ctx, bool usable)
{
	ctx->run_usable = usable ? 1 : 0;
}

/* 1 usable, 0 not, -1 unknown. */
int
eval_family_usable(const struct eval_ctx *ctx, enum posture_family fam)
{
	return (unsigned)fam < PF_COUNT ? ctx->usable[fam] : -1;
}

/* The running check's family tells senders to enforce its policy. */
void
eval_set_enforced(struct eval_ctx *ctx)
{
	ctx->run_enforced = true;
}

/* Whether a done family tells senders to enforce (see eval_set_enforced). */
bool
eval_family_enforced(const struct eval_ctx *ctx, enum posture_family fam)
{
	return (unsigned)fam < PF_COUNT && ctx->enforced[fam];
}

/* Run a cross-family rule as family fam; merge its findings into the result. */
void
eval_run_followup(struct eval_ctx *ctx, enum posture_family fam, check_fn fn)
{
	size_t mark = ctx->nfindings;
	enum posture_result *res = &ctx->family[fam].result, more;

	ctx->cur_family = fam;
	ctx->run_result_set = false;
	if (fn(ctx) != CHECK_DONE) {
		findings_free_from(ctx, mark);
		return;
	}
	if (ctx->nfindings == mark || (*res != PR_OK && *res != PR_WEAK && *res != PR_BROKEN))
		return;
	more = result_from_findings(ctx, mark);
	if (more == PR_BROKEN || (more == PR_WEAK && *res == PR_OK))
		*res = more;
}

/* Whether a DNS question waits for the next round. */
static bool
dns_queued(const struct eval_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nslots; i++)
		if (!ctx->slots[i]->ready)
			return true;
	return false;
}

/*
 * Send every queued question in one batch and wait for the answers; then fetch the
 * queued documents in parallel (eval_fetch.c), then probe the queued MX hosts
 * (eval_fetch.c too), all bounded by the same deadline. DNS goes
 * first: it is fast and other checks wait on it. A round of fetches only is not
 * counted in dns.rounds (the longest chain of DNS lookups).
 */
static void
send_round(struct eval_ctx *ctx)
{
	struct dns_batch *batch;
	unsigned depth = 0;
	size_t i;

	if (!dns_queued(ctx))
		goto fetches;
	batch = dns_batch_new(ctx->res);
	if (batch == NULL) {
		for (i = 0; i < ctx->nslots; i++)
			if (!ctx->slots[i]->ready)
				slot_settle(ctx->slots[i], DNS_ERROR);
		goto fetches;
	}
	for (i = 0; i < ctx->nslots; i++)
		if (!ctx->slots[i]->ready)
			(void)dns_batch_add(batch, ctx->slots[i]->name, ctx->slots[i]->type,
			    &ctx->slots[i]->ans);
	dns_batch_wait(batch, ctx->deadline_ms);
	dns_batch_free(batch);
	for (i = 0; i < ctx->nslots; i++) {
		struct answer_slot *slot = ctx->slots[i];

		if (slot->ready)
			continue;
		slot->ready = true;
		ctx->wire_queries += slot->ans.queries;
		/* A CNAME re-query is a dependent lookup: it lengthens the round. */
		if (slot->ans.queries > depth)
			depth = slot->ans.queries;
		if (slot->ans.status != DNS_TIMEOUT && slot->ans.status != DNS_ERROR)
			ctx->answered++;
		if (ctx->cache != NULL)
			(void)cache_dns_put(ctx->cache, &slot->ans);
	}
	ctx->rounds += depth ? depth : 1;
fetches:
	if (eval_fetches_queued(ctx->fetches)) {
		eval_fetches_round(ctx->fetches, ctx->cache, ctx->https, ctx->deadline_ms);
		eval_fetches_probe_round(ctx->fetches, ctx->cache, ctx->probe_opts,
		    ctx->deadline_ms);
	}
}

/* Whether any question or fetch waits for the next round. */
static bool
have_queued(const struct eval_ctx *ctx)
{
	return dns_queued(ctx) || eval_fetches_queued(ctx->fetches);
}

/* The shortest lifetime among the answers the evaluation used (0: none). */
static uint32_t
answers_min_ttl(const struct eval_ctx *ctx)
{
	uint32_t ttl = 0, t;
	bool any = false;
	size_t i;

	for (i = 0; i < ctx->nslots; i++) {
		const struct dns_answer *a = &ctx->slots[i]->ans;

		if (!ctx->slots[i]->ready)
			continue;
		if (a->status == DNS_OK)
			t = dns_answer_min_ttl(a);
		else if (a->status == DNS_NXDOMAIN || a->status == DNS_NODATA)
			t = a->negative_ttl;
		else
			continue;
		if (!any || t < ttl)
			ttl = t;
		any = true;
	}
	/* Fetched documents and probe results are inputs too (failures: minutes). */
	if (eval_fetches_min_ttl(ctx->fetches, &t) && (!any || t < ttl))
		ttl = t;
	return ttl;
}

/* Add a selector to ev's list, lower case, unless too long or there already. */
static void
selector_keep(struct posture_eval *ev, const char *sel)
{
	char low[POSTURE_SELECTOR_MAX + 1];
	size_t i, n = strlen(sel);

	if (n == 0 || n > POSTURE_SELECTOR_MAX)
		return;
	for (i = 0; i <= n; i++)
		low[i] = (char)ascii_lower((unsigned char)sel[i]);
	for (i = 0; i < ev->nselectors; i++)
		if (strcmp(ev->selectors[i], low) == 0)
			return;
	memcpy(ev->selectors[ev->nselectors++], low, n + 1);
}

/* Hand the context's findings and results over to a new evaluation. */
static struct posture_eval *
eval_collect(struct eval_ctx *ctx)
{
	struct posture_eval *ev;
	size_t i;

	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return NULL;
	snprintf(ev->domain, sizeof(ev->domain), "%s", ctx->domain);
	snprintf(ev->input, sizeof(ev->input), "%s", ctx->domain);
	memcpy(ev->family, ctx->family, sizeof(ev->family));
	ev->findings = ctx->findings;
	ev->nfindings = ctx->nfindings;
	ctx->findings = NULL;
	ctx->nfindings = ctx->capfindings = 0;
	ev->records = ctx->records;
	ev->nrecords = ctx->nrecords;
	ctx->records = NULL;
	ctx->nrecords = 0;
	for (i = 0; i < ctx->nselectors && ev->nselectors < POSTURE_MAX_SELECTORS; i++)
		selector_keep(ev, ctx->selectors[i]);
	ev->dns.queries = ctx->wire_queries;
	ev->dns.rounds = ctx->rounds;
	ev->dns.elapsed_ms = (unsigned)(dns_now_ms() - ctx->start_ms);
	ev->ttl = answers_min_ttl(ctx);

	if (ctx->oom) {
		ev->error = strdup("out of memory during evaluation");
	} else if (ctx->wire_queries > 0 && ctx->answered == 0) {
		/* Not one answer: the resolver is unreachable; nothing here is the domain's. */
		ev->error = pt_strdup_printf("no answer from the DNS resolver to %u queries "
		    "within %u ms", ctx->wire_queries, ev->dns.elapsed_ms);
		for (i = 0; i < PF_COUNT; i++)
			if (ev->family[i].result != PR_NOT_CHECKED)
				ev->family[i].result = PR_TEMPERROR;
	}
	ev->grade = ev->error ? 0 : eval_grade(ev);
	return ev;
}

/* Run a step function in rounds until it is done. */
enum check_status
eval_run_steps(struct eval_ctx *ctx, eval_step_fn fn, void *arg)
{
	unsigned iter;
	size_t i;

	for (iter = 0; ; iter++) {
		if (fn(ctx, arg) == CHECK_DONE)
			return CHECK_DONE;
		if (!have_queued(ctx) || ctx->oom)
			return CHECK_PENDING;
		if (ctx->res == NULL || iter >= EVAL_MAX_ROUNDS) {
			/* Let the step finish on timeouts rather than leave it half done. */
			for (i = 0; i < ctx->nslots; i++)
				if (!ctx->slots[i]->ready)
					slot_settle(ctx->slots[i], DNS_TIMEOUT);
			return fn(ctx, arg) == CHECK_DONE ? CHECK_DONE : CHECK_PENDING;
		}
		send_round(ctx);
	}
}

/* Run every check of a plan in rounds until all are done, then its follow-ups. */
struct posture_eval *
eval_run_all(struct eval_ctx *ctx, const struct eval_plan *plan)
{
	bool done[EVAL_PLAN_MAX] = { false };
	size_t i, n = plan->nchecks < EVAL_PLAN_MAX ? plan->nchecks : EVAL_PLAN_MAX;
	bool pending;
	unsigned iter;

	for (iter = 0; ; iter++) {
		pending = false;
		for (i = 0; i < n; i++) {
			if (done[i])
				continue;
			if (eval_run_check(ctx, plan->checks[i].family, plan->checks[i].fn)
			    == CHECK_DONE)
				done[i] = true;
			else
				pending = true;
		}
		if (!pending)
			break;
		if (!have_queued(ctx) || ctx->res == NULL || iter >= EVAL_MAX_ROUNDS ||
		    ctx->oom) {
			/* A check that waits for nothing cannot finish: not the domain's fault. */
			for (i = 0; i < n; i++)
				if (!done[i])
					ctx->family[plan->checks[i].family].result = PR_TEMPERROR;
			break;
		}
		send_round(ctx);
	}
	for (i = 0; i < plan->nfollowups; i++)
		eval_run_followup(ctx, plan->followups[i].family, plan->followups[i].fn);
	return eval_collect(ctx);
}

/* Whether an answer is certain: records, or a certain "none" (not a failed lookup). */
static bool
answer_certain(const struct dns_answer *a)
{
	return a->status == DNS_OK || a->status == DNS_NODATA || a->status == DNS_NXDOMAIN;
}

/* qsort order of joined TXT records: bytewise. */
static int
txt_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * One TXT record's strings joined (RFC 7208 3.3) into *out, a NUL byte as "\x00";
 * *out NULL when keep() refuses the record. 0, or -1 out of memory.
 */
static int
txt_joined(const struct dns_rr *rr, eval_txt_keep_fn keep, char **out)
{
	struct pt_sb sb;
	size_t n, i, from = 0;
	char *text;

	*out = NULL;
	text = dns_txt_join(rr, &n);
	if (text == NULL)
		return -1;
	if (keep != NULL && !keep(text, n)) {
		free(text);
		return 0;
	}
	if (memchr(text, '\0', n) == NULL) {
		*out = text;
		return 0;
	}
	pt_sb_init(&sb);
	for (i = 0; i <= n; i++)
		if (i == n || text[i] == '\0') {
			pt_sb_appendn(&sb, text + from, i - from);
			if (i < n)
				pt_sb_append(&sb, "\\x00");
			from = i + 1;
		}
	free(text);
	*out = pt_sb_take(&sb);
	return *out == NULL ? -1 : 0;
}

/* The canonical form of the TXT records of an answer that keep() accepts. */
char *
eval_txt_canonical(const struct dns_answer *a, eval_txt_keep_fn keep)
{
	struct pt_sb sb;
	char **texts;
	size_t i, n = 0;
	bool oom = false;

	if (!answer_certain(a))
		return NULL;
	if (a->status != DNS_OK || a->count == 0)
		return strdup("");
	texts = calloc(a->count, sizeof(*texts));
	if (texts == NULL)
		return NULL;
	for (i = 0; i < a->count && !oom; i++) {
		if (a->rrs[i].type != DNS_T_TXT)
			continue;
		if (txt_joined(&a->rrs[i], keep, &texts[n]) < 0)
			oom = true;
		else if (texts[n] != NULL)
			n++;
	}
	qsort(texts, n, sizeof(*texts), txt_cmp);
	pt_sb_init(&sb);
	pt_sb_append(&sb, "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			pt_sb_append(&sb, " | ");
		pt_sb_append(&sb, texts[i]);
		free(texts[i]);
	}
	free(texts);
	if (oom) {
		pt_sb_free(&sb);
		return NULL;
	}
	return pt_sb_take(&sb);
}

/* Note a TXT answer in canonical form under name, suffix after a value that is not "". */
void
eval_note_txt(struct eval_ctx *ctx, const char *name, const struct dns_answer *a,
	      eval_txt_keep_fn keep, const char *suffix)
{
	char *value, *full;

	if (!answer_certain(a))
		return;		/* a temperror is not a change */
	value = eval_txt_canonical(a, keep);
	if (value == NULL) {
		ctx->oom = true;
		return;
	}
	if (suffix != NULL && value[0] != '\0') {
		full = pt_strdup_printf("%s%s", value, suffix);
		free(value);
		if (full == NULL) {
			ctx->oom = true;
			return;
		}
		value = full;
	}
	eval_note_record(ctx, name, value);
	free(value);
}
