/*
 * spf_eval.c - check_host() of RFC 7208 over eval_dns() answers (see spf_eval.h).
 *
 * One call is one run: a fresh struct spf_run, the records parsed again from the
 * answers (spf_select_record(), spf_parse.c), terms evaluated in order. A missing
 * answer makes the run pending; the rest of the records being evaluated is then only
 * scanned to queue the first lookup of each later term (prefetch(), bounded by what
 * the lookup limit still allows), and the run returns. Counts (lookups, voids) are
 * those of the real evaluation order, so a pending run and the final one agree on
 * everything they both reached. Names, answers and macros: spf_eval_macro.c.
 *
 * Layout: the mechanisms (5.3-5.7), then check_host() itself with include (5.2) and
 * redirect (6.1), then the entry point.
 *
 * What can go wrong: records and answers are hostile. Every name is checked by
 * spf_name_form() before it is asked; MX and PTR names are capped at 10; recursion
 * stops at the lookup limit (depth <= 11); out of memory gives temperror; reasons
 * are sanitized before they reach the outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "verify/spf_eval_int.h"
#include "check/spf_walk.h"
#include "util/strbuf.h"

/* Internal results: enum spf_result, plus "an answer is missing". */
enum verdict { V_NONE, V_NEUTRAL, V_PASS, V_FAIL, V_SOFTFAIL, V_TEMPERROR, V_PERMERROR,
	       V_PENDING };
_Static_assert((int)V_PERMERROR == (int)SPF_R_PERMERROR, "verdicts follow spf_result");

/* The result word. */
const char *
spf_result_name(enum spf_result r)
{
	static const char *const names[] = { "none", "neutral", "pass", "fail", "softfail",
	    "temperror", "permerror" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* ---- mechanisms (RFC 7208 5) ---- */

/* Count one void lookup; permerror past the limit (4.6.4). */
static enum spf_match
note_void(struct spf_run *r, const char *term)
{
	if (++r->voids > VOID_MAX) {
		spf_run_reason(r, false, "%s: more than %d void lookups (RFC 7208 4.6.4)", term,
		    VOID_MAX);
		return M_PERMERROR;
	}
	return M_NO;
}

/* A lookup failure: temperror (RFC 7208 5). */
static enum spf_match
dns_failed(struct spf_run *r, const char *term, const char *name, uint16_t type,
	   enum dns_status st)
{
	spf_run_reason(r, false, "%s: %s lookup of %.80s: %s (RFC 7208 5)", term,
	    dns_type_str(type), name, dns_status_str(st));
	return M_TEMPERROR;
}

/* The CIDR length that applies to the client for an a/mx term (5.6). */
static int
client_bits(const struct spf_run *r, const struct spf_term *t)
{
	if (r->iplen == 4)
		return t->cidr4 >= 0 ? t->cidr4 : 32;
	return t->cidr6 >= 0 ? t->cidr6 : 128;
}

/* a (5.3): an address of target within the CIDR length. exists (5.7): any A record. */
static enum spf_match
mech_a_exists(struct spf_run *r, const struct spf_term *t, const char *target, const char *term)
{
	uint16_t type = t->kind == SPF_EXISTS ? DNS_T_A : spf_addr_type(r);
	const struct dns_answer *a = eval_dns(r->ctx, target, type);

	if (a == NULL)
		return M_PENDING;
	if (spf_answer_void(a))
		return note_void(r, term);
	if (a->status != DNS_OK)
		return dns_failed(r, term, target, type, a->status);
	if (t->kind == SPF_EXISTS)
		return M_YES;
	return spf_answer_matches(r, a, client_bits(r, t)) ? M_YES : M_NO;
}

/* mx (5.4): an address of one of at most 10 MX hosts of target. */
static enum spf_match
mech_mx(struct spf_run *r, const struct spf_term *t, const char *target, const char *term)
{
	const struct dns_answer *mx = eval_dns(r->ctx, target, DNS_T_MX), *a[MX_NAMES_MAX];
	char name[NAME_SIZE];
	size_t i, n = 0;
	bool missing = false, failed = false;
	enum dns_status fst = DNS_OK;

	if (mx == NULL)
		return M_PENDING;
	if (spf_answer_void(mx))
		return note_void(r, term);
	if (mx->status != DNS_OK)
		return dns_failed(r, term, target, DNS_T_MX, mx->status);
	if (mx->count > MX_NAMES_MAX) {
		spf_run_reason(r, false, "%s: %zu MX records, more than %d (RFC 7208 4.6.4)", term,
		    mx->count, MX_NAMES_MAX);
		return M_PERMERROR;
	}
	for (i = 0; i < mx->count; i++) {
		const char *ex = mx->rrs[i].type == DNS_T_MX ? mx->rrs[i].u.mx.exchange : NULL;

		/* a null MX (RFC 7505) or a name no query can carry has no addresses */
		if (ex == NULL || !spf_name_form(ex, strlen(ex), name, NULL))
			continue;
		if ((a[n] = eval_dns(r->ctx, name, spf_addr_type(r))) == NULL)
			missing = true;
		n++;
	}
	if (missing)
		return M_PENDING;
	for (i = 0; i < n; i++) {
		if (a[i]->status == DNS_OK && spf_answer_matches(r, a[i], client_bits(r, t)))
			return M_YES;
		if (!spf_answer_void(a[i]) && a[i]->status != DNS_OK && !failed) {
			failed = true;
			fst = a[i]->status;
		}
	}
	/* "any address matches" decides whatever the order; a failure otherwise */
	if (failed)
		return dns_failed(r, term, "an MX host", spf_addr_type(r), fst);
	return M_NO;
}

/*
 * ptr (5.5): a validated name of the client within target. Only the first 10 PTR
 * names count; names outside target need no validation. A failed PTR lookup is no
 * match; a failed address lookup skips the name.
 */
static enum spf_match
mech_ptr(struct spf_run *r, const char *target, const char *term)
{
	const struct dns_answer *ptr = eval_dns(r->ctx, r->revname, DNS_T_PTR);
	const struct dns_answer *a[PTR_NAMES_MAX];
	char name[NAME_SIZE];
	size_t i, n = 0, used = 0;
	bool missing = false;

	if (ptr == NULL)
		return M_PENDING;
	if (spf_answer_void(ptr))
		return note_void(r, term);
	if (ptr->status != DNS_OK)
		return M_NO;
	for (i = 0; i < ptr->count && used < PTR_NAMES_MAX; i++) {
		const char *pn = ptr->rrs[i].type == DNS_T_PTR ? ptr->rrs[i].u.target : NULL;

		if (pn == NULL)
			continue;
		used++;
		if (!spf_name_form(pn, strlen(pn), name, NULL) || !spf_name_within(name, target))
			continue;
		if ((a[n] = eval_dns(r->ctx, name, spf_addr_type(r))) == NULL)
			missing = true;
		n++;
	}
	if (missing)
		return M_PENDING;
	for (i = 0; i < n; i++)
		if (a[i]->status == DNS_OK && spf_answer_matches(r, a[i], (int)(r->iplen * 8)))
			return M_YES;
	return M_NO;
}

/* ip4/ip6 (5.6): an IPv4 client only matches ip4, an IPv6 client only ip6. */
static enum spf_match
mech_ip(const struct spf_run *r, const struct spf_term *t)
{
	if (t->kind == SPF_IP4)
		return r->iplen == 4 && spf_prefix_equal(t->addr, r->ip, 4,
		    t->cidr4 >= 0 ? t->cidr4 : 32) ? M_YES : M_NO;
	return r->iplen == 16 && spf_prefix_equal(t->addr, r->ip, 16,
	    t->cidr6 >= 0 ? t->cidr6 : 128) ? M_YES : M_NO;
}

/* ---- check_host() (RFC 7208 4) ---- */

static enum verdict check_host(struct spf_run *r, const char *domain, unsigned depth,
			       char *mech, size_t mechlen);

/* Count one DNS-querying term; false (permerror set) past the limit. */
static bool
count_lookup(struct spf_run *r, const char *term)
{
	if (++r->lookups > LOOKUP_MAX) {
		spf_run_reason(r, false, "%s: more than %d DNS-querying terms (RFC 7208 4.6.4)",
		    term, LOOKUP_MAX);
		return false;
	}
	return true;
}

/* The target of a term: its expanded domain-spec, or the current domain. */
static enum spf_match
term_target(struct spf_run *r, const struct spf_term *t, const char *cur, const char *curq,
	    bool speculative, char out[NAME_SIZE], bool *valid)
{
	if (t->domain_spec == NULL) {
		memcpy(out, curq, NAME_SIZE);
		*valid = true;
		return M_YES;
	}
	return spf_expand_spec(r, t->domain_spec, cur, curq, speculative, out, valid);
}

/* Include (5.2): pass matches; fail, softfail, neutral do not; none is permerror. */
static enum spf_match
mech_include(struct spf_run *r, const char *target, bool valid, unsigned depth,
	     const char *term)
{
	enum verdict v;

	if (!valid) {
		spf_run_reason(r, false, "%s: the target is not a domain name (RFC 7208 5.2, 4.3)",
		    term);
		return M_PERMERROR;
	}
	v = check_host(r, target, depth + 1, NULL, 0);
	switch (v) {
	case V_PASS:		return M_YES;
	case V_FAIL:
	case V_SOFTFAIL:
	case V_NEUTRAL:		return M_NO;
	case V_TEMPERROR:	return M_TEMPERROR;
	case V_PENDING:		return M_PENDING;
	case V_NONE:
		spf_run_reason(r, true, "%s: no SPF record at the target (RFC 7208 5.2)", term);
		return M_PERMERROR;
	case V_PERMERROR:
	default:		return M_PERMERROR;
	}
}

/* Evaluate one mechanism of the record of cur. */
static enum spf_match
eval_term(struct spf_run *r, const struct spf_term *t, const char *cur, const char *curq,
	  unsigned depth)
{
	char target[NAME_SIZE], term[64];
	bool valid = false;
	enum spf_match m;

	if (t->kind == SPF_ALL)
		return M_YES;
	if (t->kind == SPF_IP4 || t->kind == SPF_IP6)
		return mech_ip(r, t);
	spf_term_text(t, term, sizeof(term));
	if (!count_lookup(r, term))
		return M_PERMERROR;
	m = term_target(r, t, cur, curq, false, target, &valid);
	if (m != M_YES)
		return m;
	if (t->kind == SPF_INCLUDE)
		return mech_include(r, target, valid, depth, term);
	if (!valid)
		return M_NO;	/* not a DNS name: non-existent (4.3, suite 4.8/5) */
	switch (t->kind) {
	case SPF_A:
	case SPF_EXISTS:	return mech_a_exists(r, t, target, term);
	case SPF_MX:		return mech_mx(r, t, target, term);
	case SPF_PTR:		return mech_ptr(r, target, term);
	default:		return M_NO;
	}
}

/*
 * After a missing answer at term from-1: ask the first lookup of the terms that
 * evaluation may reach next, while the lookup limit leaves room for them.
 */
static void
prefetch(struct spf_run *r, const struct spf_record *rec, size_t from, const char *cur,
	 const char *curq, bool has_all)
{
	static const uint16_t types[] = {
		[SPF_INCLUDE] = DNS_T_TXT, [SPF_MX] = DNS_T_MX, [SPF_EXISTS] = DNS_T_A,
		[SPF_REDIRECT] = DNS_T_TXT,
	};
	const struct spf_term *t;
	char target[NAME_SIZE];
	bool valid;
	size_t i;

	for (i = from; i <= rec->nterms; i++) {
		if (r->lookups + r->prefetched >= LOOKUP_MAX)
			return;
		if (i == rec->nterms) {
			if (rec->redirect < 0 || has_all)
				return;
			t = &rec->terms[rec->redirect];
		} else {
			t = &rec->terms[i];
			if (t->kind == SPF_ALL)
				return;
			if (t->kind == SPF_REDIRECT)
				continue;
		}
		if (t->kind == SPF_PTR) {
			(void)eval_dns(r->ctx, r->revname, DNS_T_PTR);
		} else if (t->kind == SPF_A || t->kind == SPF_MX || t->kind == SPF_EXISTS ||
		    t->kind == SPF_INCLUDE || t->kind == SPF_REDIRECT) {
			if (term_target(r, t, cur, curq, true, target, &valid) != M_YES || !valid)
				continue;
			(void)eval_dns(r->ctx, target,
			    t->kind == SPF_A ? spf_addr_type(r) : types[t->kind]);
		} else {
			continue;
		}
		r->prefetched++;
	}
}

/* A mechanism's qualifier as a result (4.6.2). */
static enum verdict
qualifier_verdict(enum spf_qualifier q)
{
	switch (q) {
	case SPF_Q_FAIL:	return V_FAIL;
	case SPF_Q_SOFTFAIL:	return V_SOFTFAIL;
	case SPF_Q_NEUTRAL:	return V_NEUTRAL;
	case SPF_Q_PASS:
	default:		return V_PASS;
	}
}

/* Evaluate the parsed record of cur (4.6): mechanisms in order, then redirect (6.1). */
static enum verdict
eval_record(struct spf_run *r, const struct spf_record *rec, const char *cur, const char *curq,
	    unsigned depth, char *mech, size_t mechlen)
{
	const struct spf_term *t;
	char target[NAME_SIZE], term[64];
	bool has_all = false, valid = false;
	enum verdict v;
	enum spf_match m;
	size_t i;

	for (i = 0; i < rec->nterms; i++)
		if (rec->terms[i].kind == SPF_ALL)
			has_all = true;
	for (i = 0; i < rec->nterms; i++) {
		t = &rec->terms[i];
		if (t->kind == SPF_REDIRECT || t->kind == SPF_EXP || t->kind == SPF_UNKNOWN_MOD)
			continue;
		m = eval_term(r, t, cur, curq, depth);
		if (m == M_NO)
			continue;
		if (m == M_PENDING) {
			prefetch(r, rec, i + 1, cur, curq, has_all);
			return V_PENDING;
		}
		if (mech != NULL)
			spf_term_text(t, mech, mechlen);
		if (m == M_YES)
			return qualifier_verdict(t->qualifier);
		return m == M_TEMPERROR ? V_TEMPERROR : V_PERMERROR;
	}
	/* 6.1: redirect only when no mechanism matched, and never with "all" */
	if (rec->redirect < 0 || has_all)
		return V_NEUTRAL;	/* 4.7 */
	t = &rec->terms[rec->redirect];
	spf_term_text(t, term, sizeof(term));
	if (!count_lookup(r, term))
		return V_PERMERROR;
	m = spf_expand_spec(r, t->domain_spec, cur, curq, false, target, &valid);
	if (m == M_PENDING)
		return V_PENDING;
	if (m != M_YES)
		return V_PERMERROR;
	if (!valid) {
		spf_run_reason(r, false, "%s: the target is not a domain name (RFC 7208 6.1)", term);
		return V_PERMERROR;
	}
	v = check_host(r, target, depth + 1, mech, mechlen);
	if (v == V_NONE) {
		spf_run_reason(r, true, "%s: no SPF record at the target (RFC 7208 6.1)", term);
		return V_PERMERROR;
	}
	return v;
}

/* check_host(<ip>, domain, <sender>): 4.3 initial checks, 4.4 lookup, 4.5 selection. */
static enum verdict
check_host(struct spf_run *r, const char *domain, unsigned depth, char *mech, size_t mechlen)
{
	const struct dns_answer *txt;
	struct spf_lookup lk;
	char cur[NAME_SIZE], curq[NAME_SIZE], shown[96];
	size_t len = strlen(domain);
	bool multi = false;
	enum verdict v;

	pt_sanitize((const uint8_t *)domain, len, shown, sizeof(shown));
	if (depth > DEPTH_MAX) {
		spf_run_reason(r, false, "records nested too deep (RFC 7208 4.6.4)");
		return V_PERMERROR;
	}
	/* 4.3: a malformed or single-label domain, or a domain literal, has no record */
	if (len == 0 || domain[0] == '[' || len >= NAME_SIZE ||
	    !spf_name_form(domain, len, curq, &multi) || !multi) {
		spf_run_reason(r, false, "%s: not a multi-label domain name (RFC 7208 4.3)", shown);
		return V_NONE;
	}
	memcpy(cur, domain, len + 1);
	if (cur[len - 1] == '.')
		cur[len - 1] = '\0';
	txt = eval_dns(r->ctx, curq, DNS_T_TXT);
	if (txt == NULL)
		return V_PENDING;
	if (spf_select_record(txt, &lk) < 0) {
		spf_run_reason(r, false, "out of memory");
		return V_TEMPERROR;
	}
	switch (lk.state) {
	case SPF_FETCH_OK:
		break;
	case SPF_FETCH_NONE:
		spf_run_reason(r, false, "%s: no v=spf1 TXT record (RFC 7208 4.5)", shown);
		spf_lookup_clear(&lk);
		return V_NONE;
	case SPF_FETCH_MULTIPLE:
		spf_run_reason(r, false, "%s: %zu v=spf1 records (RFC 7208 4.5)", shown,
		    lk.nrecords);
		spf_lookup_clear(&lk);
		return V_PERMERROR;
	default:
		spf_run_reason(r, false, "%s: TXT lookup: %s (RFC 7208 4.4)", shown,
		    dns_status_str(lk.status));
		spf_lookup_clear(&lk);
		return V_TEMPERROR;
	}
	if (lk.record.nerrors > 0) {
		/* 4.6: a syntax error anywhere makes the whole record a permerror */
		spf_run_reason(r, false, "%s: \"%s\": %s", shown, lk.record.errors[0].term,
		    lk.record.errors[0].reason);
		spf_lookup_clear(&lk);
		return V_PERMERROR;
	}
	v = eval_record(r, &lk.record, cur, curq, depth, mech, mechlen);
	spf_lookup_clear(&lk);
	return v;
}

/* ---- the entry point ---- */

/* Copy at most SPF_EVAL_VALUE_MAX bytes of n at s. */
static void
copy_value(char *dst, const char *s, size_t n)
{
	if (n > SPF_EVAL_VALUE_MAX)
		n = SPF_EVAL_VALUE_MAX;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Write an octet in decimal at out; the number of characters written. */
static size_t
put_octet(char *out, uint8_t v)
{
	size_t n = 0;

	if (v >= 100)
		out[n++] = (char)('0' + v / 100);
	if (v >= 10)
		out[n++] = (char)('0' + v / 10 % 10);
	out[n++] = (char)('0' + v % 10);
	return n;
}

/* "a.b.c.d" of four octets in the given order (the caller's buffer holds 16). */
static size_t
put_dotted(char *out, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	size_t o = put_octet(out, a);

	out[o++] = '.';
	o += put_octet(out + o, b);
	out[o++] = '.';
	o += put_octet(out + o, c);
	out[o++] = '.';
	o += put_octet(out + o, d);
	out[o] = '\0';
	return o;
}

/* Fill the client forms: %{i} and the reverse name (RFC 7208 7.3, 5.5). */
static void
client_forms(struct spf_run *r)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (r->iplen == 4) {
		/* Once per message: written out, not through snprintf. */
		(void)put_dotted(r->ipdots, r->ip[0], r->ip[1], r->ip[2], r->ip[3]);
		o = put_dotted(r->revname, r->ip[3], r->ip[2], r->ip[1], r->ip[0]);
		memcpy(r->revname + o, ".in-addr.arpa", sizeof(".in-addr.arpa"));
		return;
	}
	for (i = 0; i < 32; i++) {
		uint8_t nib = (uint8_t)(i % 2 == 0 ? r->ip[i / 2] >> 4 : r->ip[i / 2] & 15);

		r->ipdots[2 * i] = hex[nib];
		r->ipdots[2 * i + 1] = i < 31 ? '.' : '\0';
		r->revname[o++] = hex[(i % 2 == 0) ? r->ip[15 - i / 2] & 15 : r->ip[15 - i / 2] >> 4];
		r->revname[o++] = '.';
	}
	memcpy(r->revname + o, "ip6.arpa", sizeof("ip6.arpa"));
}

/* Set up a run from a request; false (reason set) when the client address is unusable. */
static bool
run_init(struct spf_run *r, struct eval_ctx *ctx, const struct spf_request *req)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const char *s = req->sender, *at;

	r->ctx = ctx;
	if (req->iplen == 16 && memcmp(req->ip, mapped, sizeof(mapped)) == 0) {
		memcpy(r->ip, req->ip + 12, 4);		/* RFC 7208 5: treat as IPv4 */
		r->iplen = 4;
	} else if (req->iplen == 4 || req->iplen == 16) {
		memcpy(r->ip, req->ip, req->iplen);
		r->iplen = req->iplen;
	} else {
		spf_run_reason(r, false, "no client address to check");
		return false;
	}
	client_forms(r);
	/* 4.3: no local-part means "postmaster"; no sender means postmaster@<domain> */
	at = s != NULL ? strrchr(s, '@') : NULL;
	if (s == NULL || *s == '\0') {
		copy_value(r->local, "postmaster", 10);
		copy_value(r->odomain, req->domain ? req->domain : "", req->domain ?
		    strlen(req->domain) : 0);
	} else if (at == NULL) {
		copy_value(r->local, "postmaster", 10);
		copy_value(r->odomain, s, strlen(s));
	} else {
		if (at == s)
			copy_value(r->local, "postmaster", 10);
		else
			copy_value(r->local, s, (size_t)(at - s));
		copy_value(r->odomain, at + 1, strlen(at + 1));
	}
	if (req->helo != NULL)
		copy_value(r->helo, req->helo, strlen(req->helo));
	return true;
}

/* Evaluate a request (spf_eval.h). */
enum check_status
spf_check_host(struct eval_ctx *ctx, const struct spf_request *req, struct spf_outcome *out)
{
	struct spf_run *r = calloc(1, sizeof(*r));
	enum verdict v;

	memset(out, 0, sizeof(*out));
	if (r == NULL) {
		out->result = SPF_R_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return CHECK_DONE;
	}
	if (!run_init(r, ctx, req))
		v = V_TEMPERROR;
	else
		v = check_host(r, req->domain != NULL ? req->domain : "", 0, out->mechanism,
		    sizeof(out->mechanism));
	if (v == V_PENDING) {
		free(r);
		memset(out, 0, sizeof(*out));
		return CHECK_PENDING;
	}
	out->result = (enum spf_result)v;
	if (v == V_PERMERROR || v == V_TEMPERROR || v == V_NONE)
		pt_sanitize((const uint8_t *)r->reason, strlen(r->reason), out->reason,
		    sizeof(out->reason));
	out->lookups = r->lookups > LOOKUP_MAX ? LOOKUP_MAX + 1 : r->lookups;
	out->voids = r->voids;
	free(r);
	return CHECK_DONE;
}
