/*
 * spf_eval_macro.c - names, answers and macro expansion for the SPF evaluator
 * (spf_eval_int.h; RFC 7208 7, 4.6.4 for %{p}).
 *
 *   spf_name_form()     a name as asked: validated, lower case (RFC 1035 2.3.4)
 *   spf_expand_spec()   a domain-spec expanded into a name, 7.3 truncation included
 *   spf_p_names()       the validated names of the client, once per run
 *   spf_run_reason()    why a run ends, for the result's reason
 *
 * What can go wrong: macro values come from the message (local-part, HELO) and from
 * DNS (%{p}); an expansion may be far longer than a name. Every expansion goes through
 * a fixed window (struct xbuf) that keeps only its right-hand part once full, which
 * is all 7.3 truncation can keep; every result is checked by spf_name_form() before
 * anyone asks it. Macro values are at most SPF_EVAL_VALUE_MAX bytes (the caller cuts).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"
#include "util/dnsname.h"
#include "verify/spf_eval_int.h"

#define XBUF_SIZE	1024	/* expansion window; keeps the last XBUF_KEEP on overflow */
#define XBUF_KEEP	512

/* ---- names and answers ---- */

/* Record why the evaluation ends (the first reason wins unless force). */
void
spf_run_reason(struct spf_run *r, bool force, const char *fmt, ...)
{
	va_list ap;

	if (r->reason[0] != '\0' && !force)
		return;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/*
 * The query form of len bytes: one trailing dot dropped, then DNS_NAME_ASKABLE (1-253
 * octets, labels of 1-63 octets of %x20-7E but no backslash: what eval_dns() can ask),
 * lower case. *multi tells whether it has two labels or more. False when it cannot be
 * a DNS name.
 */
bool
spf_name_form(const char *s, size_t len, char out[NAME_SIZE], bool *multi)
{
	size_t i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (dns_name_check(s, len, DNS_NAME_ASKABLE) != DNS_NAME_OK)
		return false;
	for (i = 0; i < len; i++)
		out[i] = (char)ascii_lower((unsigned char)s[i]);
	out[len] = '\0';
	if (multi != NULL)
		*multi = memchr(out, '.', len) != NULL;
	return true;
}

/* Whether name equals domain or is a subdomain of it (both in query form). */
bool
spf_name_within(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n == d)
		return strcmp(name, domain) == 0;
	return n > d && name[n - d - 1] == '.' && strcmp(name + n - d, domain) == 0;
}

/* Whether an answer says "no records" (RFC 7208 4.6.4 void: NXDOMAIN or NODATA). */
bool
spf_answer_void(const struct dns_answer *a)
{
	return a->status == DNS_NXDOMAIN || a->status == DNS_NODATA ||
	    (a->status == DNS_OK && a->count == 0);
}

/* The address query type for the client. */
uint16_t
spf_addr_type(const struct spf_run *r)
{
	return r->iplen == 4 ? DNS_T_A : DNS_T_AAAA;
}

/* Whether the first bits of a and b (len bytes each) are equal. */
bool
spf_prefix_equal(const uint8_t *a, const uint8_t *b, size_t len, int bits)
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
bool
spf_answer_matches(const struct spf_run *r, const struct dns_answer *a, int bits)
{
	size_t i;

	for (i = 0; i < a->count; i++)
		if (a->rrs[i].type == spf_addr_type(r) &&
		    spf_prefix_equal(a->rrs[i].u.addr, r->ip, r->iplen, bits))
			return true;
	return false;
}

/* ---- macro expansion (RFC 7208 7) ---- */

/* The right-hand window of an expansion (7.3 truncation keeps at most DNS_NAME_MAX). */
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

/* %{p} for the current domain cur (query form): 7.3's preference order, or "unknown". */
static const char *
p_value(const struct spf_run *r, const char *cur)
{
	size_t i;

	if (r->npnames == 0)
		return "unknown";
	for (i = 0; i < r->npnames; i++)
		if (strcmp(r->pnames[i], cur) == 0)
			return r->pnames[i];
	for (i = 0; i < r->npnames; i++)
		if (spf_name_within(r->pnames[i], cur))
			return r->pnames[i];
	return r->pnames[0];
}

/*
 * Expand one macro %{letter N r delims} into x (7.3): split the value on the
 * delimiters (default "."), reverse if asked, keep the rightmost N parts, join with
 * dots, URL-escape for an upper-case letter.
 */
static enum spf_match
expand_macro(struct spf_run *r, char letter, unsigned long keep, bool reverse,
	     const bool delim[256], const char *cur, const char *curq, bool speculative,
	     struct xbuf *x)
{
	char sbuf[2 * SPF_EVAL_VALUE_MAX + 2];
	size_t starts[2 * SPF_EVAL_VALUE_MAX + 2], lens[2 * SPF_EVAL_VALUE_MAX + 2];
	size_t n, nparts = 0, i, first, start;
	const char *v;
	bool escape = letter >= 'A' && letter <= 'Z';
	enum spf_match m;

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
		if ((m = spf_p_names(r, speculative)) != M_YES)
			return m;
		v = p_value(r, curq);
		break;
	default:
		/* c, r, t: exp text only (7.2); the parser refuses them in a domain-spec */
		spf_run_reason(r, false, "macro letter %c outside exp text (RFC 7208 7.2)", letter);
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
enum spf_match
spf_expand_spec(struct spf_run *r, const char *spec, const char *cur, const char *curq,
	    bool speculative, char out[NAME_SIZE], bool *valid)
{
	struct xbuf x;
	bool delim[256];
	const char *p = spec;
	unsigned long keep;
	size_t len, from;
	bool reverse, any;
	char letter;
	enum spf_match m;

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
			spf_run_reason(r, false, "bad macro in a domain-spec (RFC 7208 7.1)");
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
			spf_run_reason(r, false, "bad macro in a domain-spec (RFC 7208 7.1)");
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
	if (x.cut || len > DNS_NAME_MAX) {
		for (from = len > DNS_NAME_MAX ? len - DNS_NAME_MAX : 0; from < len; from++)
			if ((from == 0 && !x.cut) || (from > 0 && x.b[from - 1] == '.'))
				break;
		if (from >= len)
			return M_YES;
	}
	/* a second trailing dot would be an empty label */
	if (len > from && x.b[len - 1] != '.')
		*valid = spf_name_form(x.b + from, len - from, out, NULL);
	return M_YES;
}

/* ---- %{p}: validated names of the client (7.3, 5.5) ---- */

/*
 * Compute the validated PTR names once per run: the PTR lookup counts as one
 * DNS-querying term (4.6.4); of the first 10 names, those whose addresses include the
 * client. Lookup failures leave names out ("unknown" when none is left).
 */
enum spf_match
spf_p_names(struct spf_run *r, bool speculative)
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
		spf_run_reason(r, false, "%%{p}: more than %d DNS-querying terms (RFC 7208 4.6.4)",
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
		if (spf_name_form(pn, strlen(pn), names[n], NULL)) {
			if ((a[n] = eval_dns(r->ctx, names[n], spf_addr_type(r))) == NULL)
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
		    spf_answer_matches(r, a[i], (int)(r->iplen * 8)))
			memcpy(r->pnames[r->npnames++], names[i], NAME_SIZE);
	r->p_ready = true;
	return M_YES;
}

