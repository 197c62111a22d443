/*
 * spf_eval.c - check_host() of RFC 7208 over eval_dns() answers (see spf_eval.h).
 *
 * One call is one run: a fresh struct run, the records parsed again from the answers
 * (spf_select_record(), spf_parse.c), terms evaluated in order. A missing answer makes
 * the run pending; the rest of the records being evaluated is then only scanned to
 * queue the first lookup of each later term (prefetch(), bounded by what the lookup
 * limit still allows), and the run returns. Counts (lookups, voids) are those of the
 * real evaluation order, so a pending run and the final one agree on everything they
 * both reached.
 *
 * Layout: names and macros (name_form, expand_spec), the %{p} validated names, the
 * mechanisms (5.3-5.7), then check_host() itself with include (5.2) and redirect (6.1).
 *
 * What can go wrong: macro expansion of hostile values. Every expansion goes through a
 * fixed window (struct xbuf) that keeps only the right-hand part once it fills up,
 * which is all 7.3 truncation can keep; every name is checked by name_form() before it
 * is asked; PTR and MX names are capped at 10; recursion stops at the lookup limit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf_eval.h"
#include "spf_walk.h"
#include "taglist.h"

#define LOOKUP_MAX	10	/* DNS-querying terms (RFC 7208 4.6.4) */
#define VOID_MAX	2	/* void lookups (RFC 7208 4.6.4) */
#define MX_NAMES_MAX	10	/* MX records per mx term (RFC 7208 4.6.4) */
#define PTR_NAMES_MAX	10	/* PTR names used (RFC 7208 4.6.4) */
#define DEPTH_MAX	12	/* include/redirect nesting; the lookup limit stops at 11 */
#define NAME_SIZE	256	/* 253 octets + NUL, with room */
#define XBUF_SIZE	1024	/* expansion window; keeps the last XBUF_KEEP on overflow */
#define XBUF_KEEP	512

/* Internal results: enum spf_result, plus "an answer is missing". */
enum verdict { V_NONE, V_NEUTRAL, V_PASS, V_FAIL, V_SOFTFAIL, V_TEMPERROR, V_PERMERROR,
	       V_PENDING };
_Static_assert((int)V_PERMERROR == (int)SPF_R_PERMERROR, "verdicts follow spf_result");

/* What a mechanism (or a step of one) gave. */
enum match { M_NO, M_YES, M_PENDING, M_TEMPERROR, M_PERMERROR };

struct run {
	struct eval_ctx *ctx;
	uint8_t ip[16];
	size_t iplen;				/* 4 or 16, IPv4-mapped already unmapped */
	char local[SPF_EVAL_VALUE_MAX + 1];	/* %{l} */
	char odomain[SPF_EVAL_VALUE_MAX + 1];	/* %{o} */
	char helo[SPF_EVAL_VALUE_MAX + 1];	/* %{h} */
	char ipdots[72];			/* %{i} */
	char revname[80];			/* the PTR query name of ip */
	unsigned lookups, voids, prefetched;
	bool p_ready;				/* pnames computed */
	char pnames[PTR_NAMES_MAX][NAME_SIZE];	/* validated names of ip (%{p}) */
	size_t npnames;
	char reason[SPF_EVAL_TEXT_MAX];
};

/* The result word. */
const char *
spf_result_name(enum spf_result r)
{
	static const char *const names[] = { "none", "neutral", "pass", "fail", "softfail",
	    "temperror", "permerror" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* Record why the evaluation ends (the first reason wins unless force). */
static void
set_reason(struct run *r, bool force, const char *fmt, ...)
{
	va_list ap;

	if (r->reason[0] != '\0' && !force)
		return;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* ---- names ---- */

/*
 * The query form of len bytes: one trailing dot dropped, 1-253 octets, labels of 1-63
 * octets of %x20-7E but no backslash (what eval_dns() can ask), lower case. *multi
 * tells whether it has two labels or more. False when it cannot be a DNS name.
 */
static bool
name_form(const char *s, size_t len, char out[NAME_SIZE], bool *multi)
{
	size_t i, label = 0, dots = 0;
	unsigned char c;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			dots++;
		} else if (c < 0x20 || c > 0x7e || c == '\\' || ++label > 63) {
			return false;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[len] = '\0';
	if (multi != NULL)
		*multi = dots > 0;
	return true;
}

/* Whether name equals domain or is a subdomain of it (both in query form). */
static bool
name_within(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n == d)
		return strcmp(name, domain) == 0;
	return n > d && name[n - d - 1] == '.' && strcmp(name + n - d, domain) == 0;
}

/* Whether an answer says "no records" (RFC 7208 4.6.4 void: NXDOMAIN or NODATA). */
static bool
answer_void(const struct dns_answer *a)
{
	return a->status == DNS_NXDOMAIN || a->status == DNS_NODATA ||
	    (a->status == DNS_OK && a->count == 0);
}

/* The address query type for the client. */
static uint16_t
addr_type(const struct run *r)
{
	return r->iplen == 4 ? DNS_T_A : DNS_T_AAAA;
}

/* Whether the first bits of a and b (len bytes each) are equal. */
static bool
prefix_equal(const uint8_t *a, const uint8_t *b, size_t len, int bits)
{
	size_t full = (size_t)bits / 8;
	unsigned rest = (unsigned)bits % 8;
	uint8_t mask;

	if (bits < 0 || full > len || (full == len && rest != 0))
		return false;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Whether an address answer holds an address within bits of the client. */
static bool
answer_matches(const struct run *r, const struct dns_answer *a, int bits)
{
	size_t i;

	for (i = 0; i < a->count; i++)
		if (a->rrs[i].type == addr_type(r) &&
		    prefix_equal(a->rrs[i].u.addr, r->ip, r->iplen, bits))
			return true;
	return false;
}

/* ---- macro expansion (RFC 7208 7) ---- */

/* The right-hand window of an expansion (7.3 truncation keeps at most 253 octets). */
struct xbuf {
	char b[XBUF_SIZE];
	size_t len;
	bool cut;		/* the left part was dropped */
};

/* Append one byte, dropping the left half of the window when it is full. */
static void
xb_put(struct xbuf *x, char c)
{
	if (x->len == sizeof(x->b)) {
		memmove(x->b, x->b + (XBUF_SIZE - XBUF_KEEP), XBUF_KEEP);
		x->len = XBUF_KEEP;
		x->cut = true;
	}
	x->b[x->len++] = c;
}

/* Append bytes, URL-escaping all but unreserved ones when escape (7.3). */
static void
xb_add(struct xbuf *x, const char *s, size_t n, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (!escape || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			xb_put(x, (char)c);
		} else {
			xb_put(x, '%');
			xb_put(x, hex[c >> 4]);
			xb_put(x, hex[c & 15]);
		}
	}
}

static enum match p_names(struct run *r, bool speculative);

/* %{p} for the current domain cur (query form): 7.3's preference order, or "unknown". */
static const char *
p_value(const struct run *r, const char *cur)
{
	size_t i;

	if (r->npnames == 0)
		return "unknown";
	for (i = 0; i < r->npnames; i++)
		if (strcmp(r->pnames[i], cur) == 0)
			return r->pnames[i];
	for (i = 0; i < r->npnames; i++)
		if (name_within(r->pnames[i], cur))
			return r->pnames[i];
	return r->pnames[0];
}

/*
 * Expand one macro %{letter N r delims} into x (7.3): split the value on the
 * delimiters (default "."), reverse if asked, keep the rightmost N parts, join with
 * dots, URL-escape for an upper-case letter.
 */
static enum match
expand_macro(struct run *r, char letter, unsigned long keep, bool reverse,
	     const bool delim[256], const char *cur, const char *curq, bool speculative,
	     struct xbuf *x)
{
	char sbuf[2 * SPF_EVAL_VALUE_MAX + 2];
	size_t starts[2 * SPF_EVAL_VALUE_MAX + 2], lens[2 * SPF_EVAL_VALUE_MAX + 2];
	size_t n, nparts = 0, i, first, start;
	const char *v;
	bool escape = letter >= 'A' && letter <= 'Z';
	enum match m;

	switch (escape ? (char)(letter - 'A' + 'a') : letter) {
	case 's':
		snprintf(sbuf, sizeof(sbuf), "%s@%s", r->local, r->odomain);
		v = sbuf;
		break;
	case 'l': v = r->local; break;
	case 'o': v = r->odomain; break;
	case 'd': v = cur; break;
	case 'i': v = r->ipdots; break;
	case 'v': v = r->iplen == 4 ? "in-addr" : "ip6"; break;
	case 'h': v = r->helo; break;
	case 'p':
		if ((m = p_names(r, speculative)) != M_YES)
			return m;
		v = p_value(r, curq);
		break;
	default:
		/* c, r, t: exp text only (7.2); the parser refuses them in a domain-spec */
		set_reason(r, false, "macro letter %c outside exp text (RFC 7208 7.2)", letter);
		return M_PERMERROR;
	}
	n = strlen(v);
	start = 0;
	for (i = 0; i <= n; i++) {
		if (i == n || delim[(unsigned char)v[i]]) {
			starts[nparts] = start;
			lens[nparts++] = i - start;
			start = i + 1;
		}
	}
	/* the parts in order (reversed for "r"), of which the rightmost keep are used */
	first = keep > 0 && keep < nparts ? nparts - (size_t)keep : 0;
	for (i = first; i < nparts; i++) {
		size_t k = reverse ? nparts - 1 - i : i;

		if (i > first)
			xb_put(x, '.');
		xb_add(x, v + starts[k], lens[k], escape);
	}
	return M_YES;
}

/*
 * Expand a domain-spec for the current domain cur (as given; curq in query form) into
 * a query name (7.3 truncation included). M_YES with *valid telling whether out is a
 * usable name; M_PENDING (%{p} needs answers); M_PERMERROR (bad macro).
 */
static enum match
expand_spec(struct run *r, const char *spec, const char *cur, const char *curq,
	    bool speculative, char out[NAME_SIZE], bool *valid)
{
	struct xbuf x;
	bool delim[256];
	const char *p = spec;
	unsigned long keep;
	size_t len, from;
	bool reverse, any;
	char letter;
	enum match m;

	x.len = 0;
	x.cut = false;
	*valid = false;
	while (*p != '\0') {
		if (*p != '%') {
			xb_put(&x, *p++);
			continue;
		}
		if (p[1] == '%' || p[1] == '_' || p[1] == '-') {
			xb_add(&x, p[1] == '%' ? "%" : p[1] == '_' ? " " : "%20",
			    p[1] == '-' ? 3 : 1, false);
			p += 2;
			continue;
		}
		if (p[1] != '{' || p[2] == '\0') {
			set_reason(r, false, "bad macro in a domain-spec (RFC 7208 7.1)");
			return M_PERMERROR;
		}
		letter = p[2];
		p += 3;
		keep = 0;
		while (*p >= '0' && *p <= '9') {
			keep = keep > 100000 ? keep : keep * 10 + (unsigned long)(*p - '0');
			p++;
		}
		reverse = *p == 'r' || *p == 'R';
		if (reverse)
			p++;
		memset(delim, 0, sizeof(delim));
		any = false;
		while (*p != '\0' && *p != '}' && strchr(".-+,/_=", *p) != NULL) {
			delim[(unsigned char)*p++] = true;
			any = true;
		}
		if (*p != '}') {
			set_reason(r, false, "bad macro in a domain-spec (RFC 7208 7.1)");
			return M_PERMERROR;
		}
		p++;
		if (!any)
			delim['.'] = true;
		m = expand_macro(r, letter, keep, reverse, delim, cur, curq, speculative, &x);
		if (m != M_YES)
			return m;
	}
	/* a trailing dot is not part of the name (7.3); then keep at most 253 octets by
	   removing whole labels from the left */
	len = x.len;
	if (len > 0 && x.b[len - 1] == '.')
		len--;
	from = 0;
	if (x.cut || len > 253) {
		for (from = len > 253 ? len - 253 : 0; from < len; from++)
			if ((from == 0 && !x.cut) || (from > 0 && x.b[from - 1] == '.'))
				break;
		if (from >= len)
			return M_YES;
	}
	/* a second trailing dot would be an empty label */
	if (len > from && x.b[len - 1] != '.')
		*valid = name_form(x.b + from, len - from, out, NULL);
	return M_YES;
}

/* ---- %{p}: validated names of the client (7.3, 5.5) ---- */

/*
 * Compute the validated PTR names once per run: the PTR lookup counts as one
 * DNS-querying term (4.6.4); of the first 10 names, those whose addresses include the
 * client. Lookup failures leave names out ("unknown" when none is left).
 */
static enum match
p_names(struct run *r, bool speculative)
{
	const struct dns_answer *ptr, *a[PTR_NAMES_MAX];
	char names[PTR_NAMES_MAX][NAME_SIZE];
	size_t i, n = 0;
	bool missing = false;

	if (r->p_ready)
		return M_YES;
	if (speculative)
		return M_PENDING;
	if (++r->lookups > LOOKUP_MAX) {
		set_reason(r, false, "%%{p}: more than %d DNS-querying terms (RFC 7208 4.6.4)",
		    LOOKUP_MAX);
		return M_PERMERROR;
	}
	ptr = eval_dns(r->ctx, r->revname, DNS_T_PTR);
	if (ptr == NULL)
		return M_PENDING;
	for (i = 0; ptr->status == DNS_OK && i < ptr->count && n < PTR_NAMES_MAX; i++) {
		const char *pn = ptr->rrs[i].type == DNS_T_PTR ? ptr->rrs[i].u.target : NULL;

		if (pn == NULL)
			continue;
		a[n] = NULL;
		if (name_form(pn, strlen(pn), names[n], NULL)) {
			if ((a[n] = eval_dns(r->ctx, names[n], addr_type(r))) == NULL)
				missing = true;
		} else {
			names[n][0] = '\0';	/* still one of the first 10 */
		}
		n++;
	}
	if (missing)
		return M_PENDING;
	r->npnames = 0;
	for (i = 0; i < n; i++)
		if (a[i] != NULL && a[i]->status == DNS_OK &&
		    answer_matches(r, a[i], (int)(r->iplen * 8)))
			memcpy(r->pnames[r->npnames++], names[i], NAME_SIZE);
	r->p_ready = true;
	return M_YES;
}

/* ---- mechanisms (RFC 7208 5) ---- */

/* Count one void lookup; permerror past the limit (4.6.4). */
static enum match
note_void(struct run *r, const char *term)
{
	if (++r->voids > VOID_MAX) {
		set_reason(r, false, "%s: more than %d void lookups (RFC 7208 4.6.4)", term,
		    VOID_MAX);
		return M_PERMERROR;
	}
	return M_NO;
}

/* A lookup failure: temperror (RFC 7208 5). */
static enum match
dns_failed(struct run *r, const char *term, const char *name, uint16_t type,
	   enum dns_status st)
{
	set_reason(r, false, "%s: %s lookup of %.80s: %s (RFC 7208 5)", term,
	    dns_type_str(type), name, dns_status_str(st));
	return M_TEMPERROR;
}

/* The CIDR length that applies to the client for an a/mx term (5.6). */
static int
client_bits(const struct run *r, const struct spf_term *t)
{
	if (r->iplen == 4)
		return t->cidr4 >= 0 ? t->cidr4 : 32;
	return t->cidr6 >= 0 ? t->cidr6 : 128;
}

/* a (5.3): an address of target within the CIDR length. exists (5.7): any A record. */
static enum match
mech_a_exists(struct run *r, const struct spf_term *t, const char *target, const char *term)
{
	uint16_t type = t->kind == SPF_EXISTS ? DNS_T_A : addr_type(r);
	const struct dns_answer *a = eval_dns(r->ctx, target, type);

	if (a == NULL)
		return M_PENDING;
	if (answer_void(a))
		return note_void(r, term);
	if (a->status != DNS_OK)
		return dns_failed(r, term, target, type, a->status);
	if (t->kind == SPF_EXISTS)
		return M_YES;
	return answer_matches(r, a, client_bits(r, t)) ? M_YES : M_NO;
}

/* mx (5.4): an address of one of at most 10 MX hosts of target. */
static enum match
mech_mx(struct run *r, const struct spf_term *t, const char *target, const char *term)
{
	const struct dns_answer *mx = eval_dns(r->ctx, target, DNS_T_MX), *a[MX_NAMES_MAX];
	char name[NAME_SIZE];
	size_t i, n = 0;
	bool missing = false, failed = false;
	enum dns_status fst = DNS_OK;

	if (mx == NULL)
		return M_PENDING;
	if (answer_void(mx))
		return note_void(r, term);
	if (mx->status != DNS_OK)
		return dns_failed(r, term, target, DNS_T_MX, mx->status);
	if (mx->count > MX_NAMES_MAX) {
		set_reason(r, false, "%s: %zu MX records, more than %d (RFC 7208 4.6.4)", term,
		    mx->count, MX_NAMES_MAX);
		return M_PERMERROR;
	}
	for (i = 0; i < mx->count; i++) {
		const char *ex = mx->rrs[i].type == DNS_T_MX ? mx->rrs[i].u.mx.exchange : NULL;

		/* a null MX (RFC 7505) or a name no query can carry has no addresses */
		if (ex == NULL || !name_form(ex, strlen(ex), name, NULL))
			continue;
		if ((a[n] = eval_dns(r->ctx, name, addr_type(r))) == NULL)
			missing = true;
		n++;
	}
	if (missing)
		return M_PENDING;
	for (i = 0; i < n; i++) {
		if (a[i]->status == DNS_OK && answer_matches(r, a[i], client_bits(r, t)))
			return M_YES;
		if (!answer_void(a[i]) && a[i]->status != DNS_OK && !failed) {
			failed = true;
			fst = a[i]->status;
		}
	}
	/* "any address matches" decides whatever the order; a failure otherwise */
	if (failed)
		return dns_failed(r, term, "an MX host", addr_type(r), fst);
	return M_NO;
}

/*
 * ptr (5.5): a validated name of the client within target. Only the first 10 PTR
 * names count; names outside target need no validation. A failed PTR lookup is no
 * match; a failed address lookup skips the name.
 */
static enum match
mech_ptr(struct run *r, const char *target, const char *term)
{
	const struct dns_answer *ptr = eval_dns(r->ctx, r->revname, DNS_T_PTR);
	const struct dns_answer *a[PTR_NAMES_MAX];
	char name[NAME_SIZE];
	size_t i, n = 0, used = 0;
	bool missing = false;

	if (ptr == NULL)
		return M_PENDING;
	if (answer_void(ptr))
		return note_void(r, term);
	if (ptr->status != DNS_OK)
		return M_NO;
	for (i = 0; i < ptr->count && used < PTR_NAMES_MAX; i++) {
		const char *pn = ptr->rrs[i].type == DNS_T_PTR ? ptr->rrs[i].u.target : NULL;

		if (pn == NULL)
			continue;
		used++;
		if (!name_form(pn, strlen(pn), name, NULL) || !name_within(name, target))
			continue;
		if ((a[n] = eval_dns(r->ctx, name, addr_type(r))) == NULL)
			missing = true;
		n++;
	}
	if (missing)
		return M_PENDING;
	for (i = 0; i < n; i++)
		if (a[i]->status == DNS_OK && answer_matches(r, a[i], (int)(r->iplen * 8)))
			return M_YES;
	return M_NO;
}

/* ip4/ip6 (5.6): an IPv4 client only matches ip4, an IPv6 client only ip6. */
static enum match
mech_ip(const struct run *r, const struct spf_term *t)
{
	if (t->kind == SPF_IP4)
		return r->iplen == 4 && prefix_equal(t->addr, r->ip, 4,
		    t->cidr4 >= 0 ? t->cidr4 : 32) ? M_YES : M_NO;
	return r->iplen == 16 && prefix_equal(t->addr, r->ip, 16,
	    t->cidr6 >= 0 ? t->cidr6 : 128) ? M_YES : M_NO;
}

/* ---- check_host() (RFC 7208 4) ---- */

static enum verdict check_host(struct run *r, const char *domain, unsigned depth,
			       char *mech, size_t mechlen);

/* Count one DNS-querying term; false (permerror set) past the limit. */
static bool
count_lookup(struct run *r, const char *term)
{
	if (++r->lookups > LOOKUP_MAX) {
		set_reason(r, false, "%s: more than %d DNS-querying terms (RFC 7208 4.6.4)",
		    term, LOOKUP_MAX);
		return false;
	}
	return true;
}

/* The target of a term: its expanded domain-spec, or the current domain. */
static enum match
term_target(struct run *r, const struct spf_term *t, const char *cur, const char *curq,
	    bool speculative, char out[NAME_SIZE], bool *valid)
{
	if (t->domain_spec == NULL) {
		memcpy(out, curq, NAME_SIZE);
		*valid = true;
		return M_YES;
	}
	return expand_spec(r, t->domain_spec, cur, curq, speculative, out, valid);
}

/* Include (5.2): pass matches; fail, softfail, neutral do not; none is permerror. */
static enum match
mech_include(struct run *r, const char *target, bool valid, unsigned depth,
	     const char *term)
{
	enum verdict v;

	if (!valid) {
		set_reason(r, false, "%s: the target is not a domain name (RFC 7208 5.2, 4.3)",
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
		set_reason(r, true, "%s: no SPF record at the target (RFC 7208 5.2)", term);
		return M_PERMERROR;
	case V_PERMERROR:
	default:		return M_PERMERROR;
	}
}

/* Evaluate one mechanism of the record of cur. */
static enum match
eval_term(struct run *r, const struct spf_term *t, const char *cur, const char *curq,
	  unsigned depth)
{
	char target[NAME_SIZE], term[64];
	bool valid = false;
	enum match m;

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
prefetch(struct run *r, const struct spf_record *rec, size_t from, const char *cur,
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
			    t->kind == SPF_A ? addr_type(r) : types[t->kind]);
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
eval_record(struct run *r, const struct spf_record *rec, const char *cur, const char *curq,
	    unsigned depth, char *mech, size_t mechlen)
{
	const struct spf_term *t;
	char target[NAME_SIZE], term[64];
	bool has_all = false, valid = false;
	enum verdict v;
	enum match m;
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
	m = expand_spec(r, t->domain_spec, cur, curq, false, target, &valid);
	if (m == M_PENDING)
		return V_PENDING;
	if (m != M_YES)
		return V_PERMERROR;
	if (!valid) {
		set_reason(r, false, "%s: the target is not a domain name (RFC 7208 6.1)", term);
		return V_PERMERROR;
	}
	v = check_host(r, target, depth + 1, mech, mechlen);
	if (v == V_NONE) {
		set_reason(r, true, "%s: no SPF record at the target (RFC 7208 6.1)", term);
		return V_PERMERROR;
	}
	return v;
}

/* check_host(<ip>, domain, <sender>): 4.3 initial checks, 4.4 lookup, 4.5 selection. */
static enum verdict
check_host(struct run *r, const char *domain, unsigned depth, char *mech, size_t mechlen)
{
	const struct dns_answer *txt;
	struct spf_lookup lk;
	char cur[NAME_SIZE], curq[NAME_SIZE], shown[96];
	size_t len = strlen(domain);
	bool multi = false;
	enum verdict v;

	taglist_sanitize((const uint8_t *)domain, len, shown, sizeof(shown));
	if (depth > DEPTH_MAX) {
		set_reason(r, false, "records nested too deep (RFC 7208 4.6.4)");
		return V_PERMERROR;
	}
	/* 4.3: a malformed or single-label domain, or a domain literal, has no record */
	if (len == 0 || domain[0] == '[' || len >= NAME_SIZE ||
	    !name_form(domain, len, curq, &multi) || !multi) {
		set_reason(r, false, "%s: not a multi-label domain name (RFC 7208 4.3)", shown);
		return V_NONE;
	}
	memcpy(cur, domain, len + 1);
	if (cur[len - 1] == '.')
		cur[len - 1] = '\0';
	txt = eval_dns(r->ctx, curq, DNS_T_TXT);
	if (txt == NULL)
		return V_PENDING;
	if (spf_select_record(txt, &lk) < 0) {
		set_reason(r, false, "out of memory");
		return V_TEMPERROR;
	}
	switch (lk.state) {
	case SPF_FETCH_OK:
		break;
	case SPF_FETCH_NONE:
		set_reason(r, false, "%s: no v=spf1 TXT record (RFC 7208 4.5)", shown);
		spf_lookup_clear(&lk);
		return V_NONE;
	case SPF_FETCH_MULTIPLE:
		set_reason(r, false, "%s: %zu v=spf1 records (RFC 7208 4.5)", shown,
		    lk.nrecords);
		spf_lookup_clear(&lk);
		return V_PERMERROR;
	default:
		set_reason(r, false, "%s: TXT lookup: %s (RFC 7208 4.4)", shown,
		    dns_status_str(lk.status));
		spf_lookup_clear(&lk);
		return V_TEMPERROR;
	}
	if (lk.record.nerrors > 0) {
		/* 4.6: a syntax error anywhere makes the whole record a permerror */
		set_reason(r, false, "%s: \"%s\": %s", shown, lk.record.errors[0].term,
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

/* Fill the client forms: %{i} and the reverse name (RFC 7208 7.3, 5.5). */
static void
client_forms(struct run *r)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (r->iplen == 4) {
		snprintf(r->ipdots, sizeof(r->ipdots), "%u.%u.%u.%u", r->ip[0], r->ip[1],
		    r->ip[2], r->ip[3]);
		snprintf(r->revname, sizeof(r->revname), "%u.%u.%u.%u.in-addr.arpa", r->ip[3],
		    r->ip[2], r->ip[1], r->ip[0]);
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
run_init(struct run *r, struct eval_ctx *ctx, const struct spf_request *req)
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
		set_reason(r, false, "no client address to check");
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
	struct run *r = calloc(1, sizeof(*r));
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
		taglist_sanitize((const uint8_t *)r->reason, strlen(r->reason), out->reason,
		    sizeof(out->reason));
	out->lookups = r->lookups > LOOKUP_MAX ? LOOKUP_MAX + 1 : r->lookups;
	out->voids = r->voids;
	free(r);
	return CHECK_DONE;
}
