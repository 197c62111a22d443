/*
 * engine.c - the engine: resolver and public suffix list shared by evaluations.
 *
 *   posture_options_init()  defaults
 *   posture_engine_new()    start the resolver, load the PSL, initialise libcurl
 *   posture_evaluate()      normalize the name, run the checks (check/checks.c)
 *   posture_verify()        one message's SPF and DMARC (verify/verify.c) on this engine
 *   posture_lookup_txt()    TXT lookups outside an evaluation (DKIM keys), cache first
 *
 * DNSSEC (DNSSEC yes): the engine asks the resolver for the root DNSKEY once at
 * creation (a reload builds a new engine, so it asks again). An answer with AD from a
 * trusted resolver (dns_resolver_dnssec()) means it validates; anything else leaves
 * the dnssec and dane families unknown ("resolver does not validate") rather than
 * reporting every domain unsigned. One query, bounded by the DNS timeout.
 *
 * What can go wrong: a bad resolver address or no usable PSL file (a one-line
 * reason); an invalid domain name (ev->error, nothing queried).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "record/bimi_evidence.h"
#include "cache/cache.h"
#include "config.h"
#include "dns/dns.h"
#include "check/checks.h"
#include "verify/verify.h"
#include "eval/eval.h"
#include "net/https.h"
#include "posture.h"
#include "util/strbuf.h"

struct posture_engine {
	struct posture_options opts;	/* resolvers and psl_file not kept */
	struct dns_resolver *res;	/* owned */
	psl_ctx_t *psl;			/* owned */
	struct cache *cache;		/* borrowed, may be NULL */
	struct https_options https;	/* ca_file points at ca_file below */
	struct smtp_probe_options probe; /* ProbeMX; ca_file as https's */
	char *ca_file;			/* owned copy of opts->ca_file, or NULL */
	struct bimi_anchors *bimi_anchors; /* owned: BIMITrustAnchors, or NULL */
	enum eval_dnssec dnssec;	/* from the start-up probe */
};

/* Fill opts with the defaults. */
void
posture_options_init(struct posture_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->dns_timeout_ms = 2000;
	opts->dns_tries = 2;
	opts->evaluation_timeout_ms = 10000;
	opts->max_queries = 100;
	opts->https_port = 443;
	opts->smtp_port = 25;
}

/* Load the public suffix list: the named file, else the newest of system and built-in. */
static psl_ctx_t *
psl_open(const char *file, char *err, size_t errlen)
{
	psl_ctx_t *psl;

	if (file != NULL) {
		psl = psl_load_file(file);
		if (psl == NULL)
			snprintf(err, errlen, "cannot load the public suffix list %s", file);
		return psl;
	}
	psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_load_file(PSL_FILE);
	if (psl == NULL)
		snprintf(err, errlen, "no public suffix list: install the Debian package "
		    "publicsuffix (%s)", PSL_FILE);
	return psl;
}

/* DNSSEC yes: does the resolver validate? The root DNSKEY must come back with AD. */
static enum eval_dnssec
dnssec_probe(struct posture_engine *eng)
{
	struct dns_batch *b;
	struct dns_answer a;
	uint64_t wait_ms = (uint64_t)eng->opts.dns_timeout_ms * eng->opts.dns_tries;
	enum eval_dnssec st;

	if (!eng->opts.dnssec)
		return EVAL_DNSSEC_OFF;
	if (!dns_resolver_dnssec(eng->res))
		return EVAL_DNSSEC_UNTRUSTED;
	b = dns_batch_new(eng->res);
	if (b == NULL)
		return EVAL_DNSSEC_NOT_VALIDATING;
	if (wait_ms == 0 || wait_ms > eng->opts.evaluation_timeout_ms)
		wait_ms = eng->opts.evaluation_timeout_ms;
	(void)dns_batch_add(b, ".", DNS_T_DNSKEY, &a);
	dns_batch_wait(b, dns_now_ms() + wait_ms);
	dns_batch_free(b);
	st = a.status == DNS_OK && a.secure ? EVAL_DNSSEC_VALIDATING :
	    EVAL_DNSSEC_NOT_VALIDATING;
	dns_answer_clear(&a);
	return st;
}

/* Create an engine. */
struct posture_engine *
posture_engine_new(const struct posture_options *opts, char *err, size_t errlen)
{
	struct posture_engine *eng;
	struct dns_resolver_config rc;

	eng = calloc(1, sizeof(*eng));
	if (eng == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	eng->opts = *opts;
	eng->opts.resolvers = NULL;
	eng->opts.nresolvers = 0;
	eng->opts.psl_file = NULL;
	eng->opts.ca_file = NULL;
	eng->https.port = opts->https_port;
	eng->https.allow_private = opts->allow_private;
	if (https_global_init() < 0 ||
	    (opts->ca_file != NULL && (eng->ca_file = strdup(opts->ca_file)) == NULL)) {
		snprintf(err, errlen, "libcurl could not start (out of memory?)");
		free(eng);
		return NULL;
	}
	eng->https.ca_file = eng->ca_file;
	eng->probe.port = opts->smtp_port;
	eng->probe.ca_file = eng->ca_file;
	eng->probe.allow_private = opts->allow_private;
	eng->opts.bimi_trust_anchors = NULL;
	if (opts->bimi_trust_anchors != NULL && (eng->bimi_anchors =
	    bimi_anchors_load(opts->bimi_trust_anchors, err, errlen)) == NULL) {
		free(eng->ca_file);
		free(eng);
		return NULL;
	}
	eng->psl = psl_open(opts->psl_file, err, errlen);
	if (eng->psl == NULL) {
		bimi_anchors_free(eng->bimi_anchors);
		free(eng->ca_file);
		free(eng);
		return NULL;
	}
	memset(&rc, 0, sizeof(rc));
	rc.servers = opts->resolvers;
	rc.nservers = opts->nresolvers;
	rc.timeout_ms = opts->dns_timeout_ms;
	rc.tries = opts->dns_tries;
	rc.dnssec = opts->dnssec;
	eng->res = dns_resolver_new(&rc, err, errlen);
	if (eng->res == NULL) {
		psl_free(eng->psl);
		bimi_anchors_free(eng->bimi_anchors);
		free(eng->ca_file);
		free(eng);
		return NULL;
	}
	eng->dnssec = dnssec_probe(eng);
	return eng;
}

/* Stop the resolver and free the engine. */
void
posture_engine_free(struct posture_engine *eng)
{
	if (eng == NULL)
		return;
	dns_resolver_free(eng->res);
	psl_free(eng->psl);
	bimi_anchors_free(eng->bimi_anchors);
	free(eng->ca_file);
	free(eng);
}

/* Let evaluations use a cache's DNS layer. */
void
posture_engine_attach_cache(struct posture_engine *eng, struct cache *cache)
{
	eng->cache = cache;
}

/* TXT answers for names: the cache's first, the rest in one resolver batch. */
int
posture_lookup_txt(struct posture_engine *eng, const char *const *names, size_t n,
		   unsigned timeout_ms, struct dns_answer *out)
{
	struct dns_batch *batch = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (eng->cache != NULL &&
		    cache_dns_get(eng->cache, names[i], DNS_T_TXT, &out[i]) == CACHE_HIT)
			continue;
		if (batch == NULL)
			batch = dns_batch_new(eng->res);
		if (batch == NULL) {
			out[i].status = DNS_ERROR;
			rc = -1;
			continue;
		}
		(void)dns_batch_add(batch, names[i], DNS_T_TXT, &out[i]);
	}
	if (batch == NULL)
		return rc;
	dns_batch_wait(batch, dns_now_ms() + timeout_ms);
	dns_batch_free(batch);
	/* Cache hits read queries == 0 (cache.h); only what went on the wire is stored. */
	for (i = 0; i < n && eng->cache != NULL; i++)
		if (out[i].queries > 0)
			(void)cache_dns_put(eng->cache, &out[i]);
	return rc;
}

/* An evaluation that could not start: the name is kept for the report. */
static struct posture_eval *
eval_failed(const char *input, const char *why)
{
	struct posture_eval *ev;
	struct pt_sb sb;

	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return NULL;
	pt_sb_init(&sb);
	pt_sb_append_sanitized(&sb, input, strnlen(input, 200));
	snprintf(ev->input, sizeof(ev->input), "%s", sb.s ? sb.s : "");
	pt_sb_free(&sb);
	ev->error = strdup(why);
	return ev;
}

/* Evaluate one domain. */
struct posture_eval *
posture_evaluate(struct posture_engine *eng, const char *domain,
		 const char *const *selectors, size_t nselectors)
{
	struct eval_limits lim;
	struct posture_eval *ev;
	struct eval_ctx *ctx;
	char name[256], reason[300];
	const char *why;
	size_t i;

	if (posture_name_normalize(domain, name, sizeof(name), &why) < 0) {
		snprintf(reason, sizeof(reason), "invalid domain name: %s", why);
		return eval_failed(domain, reason);
	}
	lim.max_queries = eng->opts.max_queries;
	lim.timeout_ms = eng->opts.evaluation_timeout_ms;
	ctx = eval_ctx_new(name, eng->res, eng->psl, &lim);
	if (ctx == NULL)
		return eval_failed(domain, "out of memory");
	eval_set_cache(ctx, eng->cache);
	eval_set_https(ctx, &eng->https);
	eval_set_probe(ctx, eng->opts.probe_mx ? &eng->probe : NULL);
	eval_set_bimi_anchors(ctx, eng->bimi_anchors);
	eval_set_dnssec(ctx, eng->dnssec);
	for (i = 0; i < nselectors; i++)
		if (eval_add_selector(ctx, selectors[i]) < 0) {
			eval_ctx_free(ctx);
			return eval_failed(domain, "out of memory");
		}
	ev = check_run_all(ctx);
	eval_ctx_free(ctx);
	/* The name normalized, so it is LDH or UTF-8 that IDNA accepted: safe to show. */
	if (ev != NULL)
		snprintf(ev->input, sizeof(ev->input), "%s", domain);
	return ev;
}

struct verify_ctx_arg {
	struct posture_engine *eng;
	unsigned timeout_ms;		/* 0: the engine's evaluation timeout */
};

/* A context for one message's verification on the engine's resolver, PSL and cache. */
static struct eval_ctx *
verify_ctx(void *arg, const char *domain, unsigned max_queries)
{
	const struct verify_ctx_arg *a = arg;
	struct eval_limits lim;
	struct eval_ctx *ctx;

	lim.max_queries = max_queries;
	lim.timeout_ms = a->timeout_ms ? a->timeout_ms : a->eng->opts.evaluation_timeout_ms;
	ctx = eval_ctx_new(domain, a->eng->res, a->eng->psl, &lim);
	if (ctx != NULL)
		eval_set_cache(ctx, a->eng->cache);
	return ctx;
}

/* Verify one message's SPF and DMARC through this engine (verify.h). */
int
posture_verify(struct posture_engine *eng, const struct verify_in *in,
	       struct verify_out *out, unsigned timeout_ms)
{
	struct verify_ctx_arg a = { eng, timeout_ms };

	return verify_spf_dmarc(in, out, verify_ctx, &a);
}
