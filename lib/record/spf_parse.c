/*
 * spf_parse.c - the SPF record grammar (RFC 7208 4.5, 4.6.1, 5, 6, 7.1); see spf_parse.h.
 *
 * A record is "v=spf1" and terms separated by one or more SP (RFC 7208 4.6.1). Each
 * term is checked against its ABNF: mechanisms (5.1-5.7) with their domain-spec and
 * dual-cidr-length, modifiers (6) with redirect= and exp= at most once each, and
 * macro-strings (7.1). Only well-formed terms go into rec->terms; a term with an
 * error is recorded in rec->errors (its first error only) and left out; any error
 * makes the record a permerror. spf_macro_validate() takes one macro-string, which
 * holds no SP: split an explain-string (6.2) on SP before validating it.
 *
 * Grammar choices worth knowing:
 *   - a domain-spec must end in "." toplabel ["."] or a macro-expand (7.1 domain-end):
 *     "include:localhost" and "%{d}." are errors; ".com" is not (the ABNF allows it);
 *   - the dual-cidr-length is taken from the end of the term ("/" is also a
 *     macro-literal), so "a:x.example/24//64" is a + x.example + /24 + //64;
 *   - macro letters c, r and t are errors in a domain-spec (7.2: exp text only); an
 *     unknown modifier's macro-string may hold any of the eleven letters;
 *   - a DIGIT transformer of value 0 is an error (7.3: "the value MUST be nonzero");
 *   - "include=x.example" is an unknown modifier, valid by the ABNF and ignored.
 *
 * What can go wrong: any bytes come in. Every read is index-checked against the
 * term's length; term and error counts are capped (SPF_MAX_TERMS, SPF_MAX_ERRORS);
 * the join of character-strings checks its size arithmetic; out of memory returns -1
 * with nothing left to free. Error texts are sanitized copies, never raw bytes.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* inet_pton under -std=c11 */
#endif

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"
#include "record/spf_parse.h"
#include "record/taglist.h"
#include "util/strbuf.h"

#define IP6_TEXT_MAX 45		/* "ffff:...:ffff:255.255.255.255" */

/* ---- bytes ---- */

/* macro-literal = %x21-24 / %x26-7E: visible characters except "%" (RFC 7208 7.1). */
static bool
is_macro_literal(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != '%';
}

/* delimiter = "." / "-" / "+" / "," / "/" / "_" / "=" (RFC 7208 7.1). */
static bool
is_delimiter(uint8_t c)
{
	return c != 0 && strchr(".-+,/_=", c) != NULL;
}

/* A NUL-terminated copy of n bytes; NULL on OOM. */
static char *
copy_bytes(const uint8_t *p, size_t n)
{
	char *s;

	if (n == SIZE_MAX)
		return NULL;
	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* ---- macro-strings (RFC 7208 7.1) ---- */

/* Where a macro-string is used: a domain-spec forbids the exp-only letters. */
enum macro_context { MACRO_ANY, MACRO_DOMAIN_SPEC };

/*
 * Scan a macro-string. Sets *has_macros when a %{...} appears and *ends_with_expand
 * when the last thing in it is a macro-expand. NULL, or a static reason.
 */
static const char *
scan_macro_string(const uint8_t *p, size_t n, enum macro_context ctx, bool *has_macros,
		  bool *ends_with_expand)
{
	size_t i = 0;
	uint8_t c, letter;
	bool nonzero, digits;

	*has_macros = false;
	*ends_with_expand = false;
	while (i < n) {
		c = p[i];
		*ends_with_expand = false;
		if (c != '%') {
			if (!is_macro_literal(c))
				return "space, control or non-ASCII byte in a macro-string (RFC 7208 7.1)";
			i++;
			continue;
		}
		if (i + 1 >= n)
			return "lone '%' at the end: write %% for a percent sign (RFC 7208 7.1)";
		c = p[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			i += 2;
			*ends_with_expand = true;
			continue;
		}
		if (c != '{')
			return "'%' not followed by {, %, _ or - (RFC 7208 7.1)";
		i += 2;
		if (i >= n)
			return "unterminated macro %{ (RFC 7208 7.1)";
		letter = ascii_lower(p[i]);
		if (letter == 0 || strchr("slodiphcrtv", letter) == NULL)
			return "unknown macro letter: not one of s l o d i p h c r t v (RFC 7208 7.1)";
		if (ctx == MACRO_DOMAIN_SPEC && (letter == 'c' || letter == 'r' || letter == 't'))
			return "macro letter c, r or t outside exp text (RFC 7208 7.2)";
		i++;
		/* transformers = *DIGIT [ "r" ] */
		digits = nonzero = false;
		while (i < n && ascii_is_digit(p[i])) {
			digits = true;
			if (p[i] != '0')
				nonzero = true;
			i++;
		}
		if (digits && !nonzero)
			return "macro digit transformer of 0: it must be nonzero (RFC 7208 7.3)";
		if (i < n && ascii_lower(p[i]) == 'r')
			i++;
		while (i < n && is_delimiter(p[i]))
			i++;
		if (i >= n)
			return "unterminated macro %{ (RFC 7208 7.1)";
		if (p[i] != '}')
			return "bad byte in a macro %{...}: letter, digits, r, delimiters, } (RFC 7208 7.1)";
		i++;
		*has_macros = true;
		*ends_with_expand = true;
	}
	return NULL;
}

/* Check a macro-string (RFC 7208 7.1). */
int
spf_macro_validate(const char *s, size_t len, bool *has_macros, const char **why)
{
	bool macros = false, ends;
	const char *reason;

	if (s == NULL)
		len = 0;
	reason = scan_macro_string((const uint8_t *)s, len, MACRO_ANY, &macros, &ends);
	if (has_macros != NULL)
		*has_macros = reason == NULL && macros;
	if (why != NULL)
		*why = reason;
	return reason == NULL ? 0 : -1;
}

/* ---- domain-spec (RFC 7208 7.1) ---- */

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 */
static bool
is_toplabel(const uint8_t *p, size_t n)
{
	size_t i;
	bool alpha = false, hyphen = false;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] == '-')
			hyphen = true;
		else if (ascii_is_alpha(p[i]))
			alpha = true;
		else if (!ascii_is_digit(p[i]))
			return false;
	}
	if (!hyphen)
		return alpha;
	return ascii_is_alnum(p[0]) && ascii_is_alnum(p[n - 1]);
}

/* domain-spec = macro-string domain-end. NULL, or a static reason. */
static const char *
check_domain_spec(const uint8_t *p, size_t n, bool *has_macros)
{
	const char *why;
	bool ends_with_expand;
	size_t m, dot;

	*has_macros = false;
	if (n == 0)
		return "empty domain-spec (RFC 7208 7.1)";
	why = scan_macro_string(p, n, MACRO_DOMAIN_SPEC, has_macros, &ends_with_expand);
	if (why != NULL)
		return why;
	if (ends_with_expand)
		return NULL;
	/* domain-end = "." toplabel [ "." ]; a toplabel holds no "}", so its dot is literal */
	m = p[n - 1] == '.' ? n - 1 : n;
	for (dot = m; dot > 0 && p[dot - 1] != '.'; dot--)
		;
	if (dot == 0 || !is_toplabel(p + dot, m - dot))
		return "domain-spec does not end in a dot and a top-level label, or a macro (RFC 7208 7.1)";
	return NULL;
}

/* ---- CIDR lengths and addresses (RFC 7208 5.6) ---- */

/* A slice of a term: offset and length; len 0 means absent. */
struct slice {
	size_t off, len;
};

/*
 * Take the dual-cidr-length off the end of a term's argument: "/N" goes to *c4,
 * "//N" to *c6 (digits only; their values are checked later). Returns the length
 * of what is left before them.
 */
static size_t
split_cidr(const uint8_t *p, size_t n, struct slice *c4, struct slice *c6)
{
	size_t end = n, j;

	c4->off = c4->len = c6->off = c6->len = 0;
	for (j = end; j > 0 && ascii_is_digit(p[j - 1]); j--)
		;
	if (j == end || j == 0 || p[j - 1] != '/')
		return n;
	if (j >= 2 && p[j - 2] == '/') {
		c6->off = j;
		c6->len = end - j;
		end = j - 2;
		for (j = end; j > 0 && ascii_is_digit(p[j - 1]); j--)
			;
		if (j == end || j == 0 || p[j - 1] != '/')
			return end;
	}
	c4->off = j;
	c4->len = end - j;
	return j - 1;
}

/*
 * A CIDR length of n digits: "0" or no leading zero, at most max. The value, or -1
 * with *why set.
 */
static int
cidr_value(const uint8_t *p, size_t n, int max, const char **why, const char *above)
{
	size_t i;
	int v = 0;

	if (n > 1 && p[0] == '0') {
		*why = "CIDR length with a leading zero (RFC 7208 5.6)";
		return -1;
	}
	if (n > 3) {
		*why = above;
		return -1;
	}
	for (i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	if (v > max) {
		*why = above;
		return -1;
	}
	return v;
}

/* ip4-network = qnum "." qnum "." qnum "." qnum, qnum 0-255 without leading zeros. */
static bool
parse_ip4(const uint8_t *p, size_t n, uint8_t out[4])
{
	size_t i = 0, part, digits;
	unsigned v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || p[i] != '.')
				return false;
			i++;
		}
		v = 0;
		digits = 0;
		while (i < n && ascii_is_digit(p[i]) && digits < 4) {
			v = v * 10 + (unsigned)(p[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[i - digits] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return i == n;
}

/* ip6-network as RFC 4291 2.2 writes it (inet_pton AF_INET6). */
static bool
parse_ip6(const uint8_t *p, size_t n, uint8_t out[16])
{
	char text[IP6_TEXT_MAX + 1];

	if (n == 0 || n > IP6_TEXT_MAX || memchr(p, '\0', n) != NULL)
		return false;
	memcpy(text, p, n);
	text[n] = '\0';
	return inet_pton(AF_INET6, text, out) == 1;
}

/* ---- mechanisms (RFC 7208 5) ---- */

enum arg_rule { ARG_NONE, ARG_OPTIONAL, ARG_REQUIRED };
enum cidr_rule { CIDR_NONE, CIDR_DUAL, CIDR_IP4, CIDR_IP6 };

static const struct mechanism {
	const char *name;
	enum spf_term_kind kind;
	enum arg_rule domain;		/* ip4/ip6: the address is ARG_REQUIRED */
	enum cidr_rule cidr;
	const char *no_arg;		/* text after the name where none may be */
	const char *need_arg;		/* no ":" argument where one is required */
	const char *no_cidr;		/* a CIDR length where none may be */
} mechanisms[] = {
	{ "all", SPF_ALL, ARG_NONE, CIDR_NONE,
	  "all takes no argument (RFC 7208 5.1)", NULL, "all takes no CIDR length (RFC 7208 5.1)" },
	{ "include", SPF_INCLUDE, ARG_REQUIRED, CIDR_NONE,
	  "include: text after the name is not ':' domain-spec (RFC 7208 5.2)",
	  "include requires ':' and a domain-spec (RFC 7208 5.2)",
	  "include takes no CIDR length (RFC 7208 5.2)" },
	{ "a", SPF_A, ARG_OPTIONAL, CIDR_DUAL,
	  "a: text after the name is not ':' domain-spec or a CIDR length (RFC 7208 5.3)",
	  NULL, NULL },
	{ "mx", SPF_MX, ARG_OPTIONAL, CIDR_DUAL,
	  "mx: text after the name is not ':' domain-spec or a CIDR length (RFC 7208 5.4)",
	  NULL, NULL },
	{ "ptr", SPF_PTR, ARG_OPTIONAL, CIDR_NONE,
	  "ptr: text after the name is not ':' domain-spec (RFC 7208 5.5)", NULL,
	  "ptr takes no CIDR length (RFC 7208 5.5)" },
	{ "ip4", SPF_IP4, ARG_REQUIRED, CIDR_IP4,
	  "ip4: text after the name is not ':' address (RFC 7208 5.6)",
	  "ip4 requires ':' and an address (RFC 7208 5.6)",
	  "ip4 takes no IPv6 CIDR length //N (RFC 7208 5.6)" },
	{ "ip6", SPF_IP6, ARG_REQUIRED, CIDR_IP6,
	  "ip6: text after the name is not ':' address (RFC 7208 5.6)",
	  "ip6 requires ':' and an address (RFC 7208 5.6)",
	  "ip6 takes one CIDR length /N, not //N (RFC 7208 5.6)" },
	{ "exists", SPF_EXISTS, ARG_REQUIRED, CIDR_NONE,
	  "exists: text after the name is not ':' domain-spec (RFC 7208 5.7)",
	  "exists requires ':' and a domain-spec (RFC 7208 5.7)",
	  "exists takes no CIDR length (RFC 7208 5.7)" },
};

#define NMECHANISMS (sizeof(mechanisms) / sizeof(mechanisms[0]))

/* The CIDR lengths of a mechanism, per its rule. NULL, or a static reason. */
static const char *
mechanism_cidr(const struct mechanism *m, const uint8_t *p, struct slice c4, struct slice c6,
	       struct spf_term *t)
{
	const char *why = NULL;

	if ((c4.len > 0 || c6.len > 0) && m->cidr == CIDR_NONE)
		return m->no_cidr;
	if (c6.len > 0 && (m->cidr == CIDR_IP4 || m->cidr == CIDR_IP6))
		return m->no_cidr;
	if (c4.len > 0) {
		if (m->cidr == CIDR_IP6)
			t->cidr6 = cidr_value(p + c4.off, c4.len, 128, &why,
			    "ip6 CIDR length above 128 (RFC 7208 5.6)");
		else
			t->cidr4 = cidr_value(p + c4.off, c4.len, 32, &why,
			    "ip4 CIDR length above 32 (RFC 7208 5.6)");
		if (why != NULL)
			return why;
	}
	if (c6.len > 0)
		t->cidr6 = cidr_value(p + c6.off, c6.len, 128, &why,
		    "ip6 CIDR length above 128 (RFC 7208 5.6)");
	return why;
}

/*
 * directive = [ qualifier ] mechanism. Fills t (domain_spec not yet copied: its slice
 * goes to *spec). NULL, or a static reason.
 */
static const char *
parse_directive(const uint8_t *p, size_t n, struct spf_term *t, struct slice *spec)
{
	const struct mechanism *m = NULL;
	struct slice c4, c6;
	size_t i = 0, name_end, body_end, k;
	const char *why;

	spec->off = spec->len = 0;
	switch (p[0]) {
	case '+': t->qualifier = SPF_Q_PASS; i = 1; break;
	case '-': t->qualifier = SPF_Q_FAIL; i = 1; break;
	case '~': t->qualifier = SPF_Q_SOFTFAIL; i = 1; break;
	case '?': t->qualifier = SPF_Q_NEUTRAL; i = 1; break;
	default: t->qualifier = SPF_Q_PASS; break;
	}
	for (name_end = i; name_end < n && ascii_is_alnum(p[name_end]); name_end++)
		;
	if (name_end == i)
		return i > 0 ? "qualifier without a mechanism name (RFC 7208 4.6.1)" :
		    "neither a mechanism nor a modifier (RFC 7208 4.6.1)";
	for (k = 0; k < NMECHANISMS && m == NULL; k++)
		if (taglist_bytes_ieq(p + i, name_end - i, mechanisms[k].name))
			m = &mechanisms[k];
	if (m == NULL) {
		if (name_end < n && p[name_end] == '=')
			return "a modifier takes no qualifier (RFC 7208 4.6.1)";
		if (name_end < n && p[name_end] == ':' &&
		    (taglist_bytes_ieq(p + i, name_end - i, "redirect") ||
		    taglist_bytes_ieq(p + i, name_end - i, "exp")))
			return "redirect and exp are modifiers: name=domain (RFC 7208 6)";
		return "unknown mechanism (RFC 7208 5)";
	}
	t->kind = m->kind;
	body_end = name_end + split_cidr(p + name_end, n - name_end, &c4, &c6);
	c4.off += name_end;
	c6.off += name_end;
	if (body_end > name_end && (m->domain == ARG_NONE || p[name_end] != ':'))
		return m->no_arg;
	if (body_end == name_end && m->domain == ARG_REQUIRED)
		return m->need_arg;
	why = mechanism_cidr(m, p, c4, c6, t);
	if (why != NULL)
		return why;
	if (body_end == name_end)
		return NULL;
	spec->off = name_end + 1;
	spec->len = body_end - name_end - 1;
	if (m->kind == SPF_IP4)
		return parse_ip4(p + spec->off, spec->len, t->addr) ? NULL :
		    "not an IPv4 address: a dotted quad without leading zeros (RFC 7208 5.6)";
	if (m->kind == SPF_IP6)
		return parse_ip6(p + spec->off, spec->len, t->addr) ? NULL :
		    "not an IPv6 address (RFC 7208 5.6, RFC 4291 2.2)";
	return check_domain_spec(p + spec->off, spec->len, &t->has_macros);
}

/* ---- modifiers (RFC 7208 6) ---- */

/* Whether the term is name "=" ...: the length of the name, or 0. */
static size_t
modifier_name_len(const uint8_t *p, size_t n)
{
	size_t i;

	/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (RFC 7208 6) */
	if (n == 0 || !ascii_is_alpha(p[0]))
		return 0;
	for (i = 1; i < n && (ascii_is_alnum(p[i]) || p[i] == '-' || p[i] == '_' || p[i] == '.'); i++)
		;
	return (i < n && p[i] == '=') ? i : 0;
}

/* What the parse of a record remembers across terms. */
struct parse_state {
	bool seen_redirect, seen_exp;	/* valid or not: a second one is an error */
};

/* modifier = redirect / explanation / unknown-modifier. NULL, or a static reason. */
static const char *
parse_modifier(struct parse_state *st, const uint8_t *p, size_t n, size_t name_len,
	       struct spf_term *t, struct slice *spec)
{
	bool ends, dup;

	spec->off = name_len + 1;
	spec->len = n - name_len - 1;
	if (taglist_bytes_ieq(p, name_len, "redirect")) {
		t->kind = SPF_REDIRECT;
		dup = st->seen_redirect;
		st->seen_redirect = true;
		if (dup)
			return "redirect appears more than once (RFC 7208 6)";
		if (spec->len == 0)
			return "redirect requires a domain-spec (RFC 7208 6.1)";
		return check_domain_spec(p + spec->off, spec->len, &t->has_macros);
	}
	if (taglist_bytes_ieq(p, name_len, "exp")) {
		t->kind = SPF_EXP;
		dup = st->seen_exp;
		st->seen_exp = true;
		if (dup)
			return "exp appears more than once (RFC 7208 6)";
		if (spec->len == 0)
			return "exp requires a domain-spec (RFC 7208 6.2)";
		return check_domain_spec(p + spec->off, spec->len, &t->has_macros);
	}
	t->kind = SPF_UNKNOWN_MOD;
	return scan_macro_string(p + spec->off, spec->len, MACRO_ANY, &t->has_macros, &ends);
}

/* ---- records ---- */

/* Record an error about the n bytes at p; the count goes on past the array. */
static void
add_error(struct spf_record *rec, size_t offset, const uint8_t *p, size_t n, const char *reason)
{
	struct spf_error *e;

	if (rec->nerrors < SPF_MAX_ERRORS) {
		e = &rec->errors[rec->nerrors];
		e->offset = offset;
		pt_sanitize(p, n, e->term, sizeof(e->term));
		e->reason = reason;
	}
	rec->nerrors++;
}

/* Whether every byte is visible ASCII (%x21-7E): SP separates terms, nothing else may appear. */
static bool
all_visible(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

/*
 * Parse one term of n bytes at record offset off into rec->terms[rec->nterms]. 0 (an
 * error, if any, is recorded), or -1 on OOM.
 */
static int
parse_term(struct spf_record *rec, struct parse_state *st, const uint8_t *p, size_t n,
	   size_t off)
{
	struct spf_term *t = &rec->terms[rec->nterms];
	struct slice spec = { 0, 0 };
	size_t name_len;
	const char *why;

	memset(t, 0, sizeof(*t));
	t->cidr4 = t->cidr6 = -1;
	t->offset = off;
	t->length = n;
	if (!all_visible(p, n)) {
		add_error(rec, off, p, n, "control or non-ASCII byte in a term (RFC 7208 4.6.1, 7.1)");
		return 0;
	}
	name_len = modifier_name_len(p, n);
	if (name_len > 0)
		why = parse_modifier(st, p, n, name_len, t, &spec);
	else
		why = parse_directive(p, n, t, &spec);
	if (why != NULL) {
		t->has_macros = false;
		add_error(rec, off, p, n, why);
		return 0;
	}
	if (t->kind == SPF_UNKNOWN_MOD) {
		t->mod_name = copy_bytes(p, name_len);
		if (t->mod_name == NULL)
			return -1;
	}
	if (t->kind != SPF_IP4 && t->kind != SPF_IP6 && (spec.len > 0 || name_len > 0)) {
		t->domain_spec = copy_bytes(p + spec.off, spec.len);
		if (t->domain_spec == NULL) {
			free(t->mod_name);
			t->mod_name = NULL;
			return -1;
		}
	}
	if (t->kind == SPF_REDIRECT)
		rec->redirect = (int)rec->nterms;
	else if (t->kind == SPF_EXP)
		rec->exp = (int)rec->nterms;
	rec->nterms++;
	return 0;
}

/* RFC 7208 4.5: "v=spf1" (case-insensitive) followed by a space or the end. */
bool
spf_is_record(const uint8_t *txt, size_t len)
{
	if (txt == NULL || len < 6 || !taglist_bytes_ieq(txt, 6, "v=spf1"))
		return false;
	return len == 6 || txt[6] == ' ';
}

/* Empty a record without freeing anything. */
static void
record_init(struct spf_record *out)
{
	memset(out, 0, sizeof(*out));
	out->redirect = out->exp = -1;
}

/* Parse a whole record, collecting every error (RFC 7208 4.6). */
int
spf_parse(const char *rec, size_t len, struct spf_record *out)
{
	const uint8_t *p = (const uint8_t *)rec;
	struct parse_state st = { false, false };
	size_t i = 0, start, runs = 0, seen = 0;

	record_init(out);
	if (p == NULL)
		len = 0;
	out->length = len;
	/* record = version terms *SP (RFC 7208 4.6.1); version = "v=spf1" (4.5) */
	if (!spf_is_record(p, len)) {
		/* not SPF: report the first term as the bad version and parse on */
		while (i < len && p[i] == ' ')
			i++;
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		add_error(out, start, p + start, i - start,
		    "record does not start with exactly v=spf1 and a space (RFC 7208 4.5)");
	} else {
		i = 6;
	}
	for (start = i; start < len && runs < SPF_MAX_TERMS; start++)
		if (p[start] != ' ' && (start == i || p[start - 1] == ' '))
			runs++;
	if (runs > 0) {
		out->terms = calloc(runs, sizeof(*out->terms));
		if (out->terms == NULL) {
			record_init(out);
			return -1;
		}
	}
	while (i < len) {
		if (p[i] == ' ') {
			i++;
			continue;
		}
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (seen == SPF_MAX_TERMS) {
			add_error(out, start, p + start, i - start,
			    "more than 256 terms: the rest is not parsed");
			break;
		}
		seen++;
		if (parse_term(out, &st, p + start, i - start, start) < 0) {
			spf_record_free(out);
			return -1;
		}
	}
	return 0;
}

/* Count the terms (runs of non-SP bytes) that hold a string boundary. */
static void
count_straddles(struct spf_record *out, const uint8_t *p, size_t len, const size_t *bounds,
		size_t nbounds)
{
	size_t i = 0, start, b = 0;

	while (i < len) {
		if (p[i] == ' ') {
			i++;
			continue;
		}
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		while (b < nbounds && bounds[b] <= start)
			b++;
		if (b < nbounds && bounds[b] < i) {
			if (out->straddles++ == 0)
				out->straddle_offset = start;
		}
	}
}

/* Join the character-strings of a TXT/SPF record (RFC 7208 3.3) and parse them. */
int
spf_parse_rr(const struct dns_rr *rr, struct spf_record *out)
{
	const struct dns_txt_string *s = NULL;
	size_t count = 0, total = 0, i, off = 0, nb = 0;
	size_t *bounds = NULL;
	uint8_t *joined;
	int rc;

	if (rr != NULL && (rr->type == DNS_T_TXT || rr->type == DNS_T_SPF) &&
	    rr->u.txt.strings != NULL) {
		s = rr->u.txt.strings;
		count = rr->u.txt.count;
	}
	for (i = 0; i < count; i++) {
		if (s[i].len > SIZE_MAX - 1 - total) {
			record_init(out);
			return -1;
		}
		total += s[i].len;
	}
	joined = malloc(total + 1);
	if (count > 1 && count - 1 <= SIZE_MAX / sizeof(*bounds))
		bounds = malloc((count - 1) * sizeof(*bounds));
	if (joined == NULL || (count > 1 && bounds == NULL)) {
		free(joined);
		free(bounds);
		record_init(out);
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (s[i].len > 0 && s[i].data != NULL)
			memcpy(joined + off, s[i].data, s[i].len);
		else if (s[i].len > 0)
			memset(joined + off, 0, s[i].len);
		off += s[i].len;
		/* a boundary strictly inside the record, each offset once */
		if (i + 1 < count && off > 0 && off < total && (nb == 0 || bounds[nb - 1] != off))
			bounds[nb++] = off;
	}
	joined[total] = '\0';
	rc = spf_parse((const char *)joined, total, out);
	if (rc == 0)
		count_straddles(out, joined, total, bounds, nb);
	free(joined);
	free(bounds);
	return rc;
}

/* Free what a record owns and empty it. */
void
spf_record_free(struct spf_record *rec)
{
	size_t i;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->nterms && rec->terms != NULL; i++) {
		free(rec->terms[i].domain_spec);
		free(rec->terms[i].mod_name);
	}
	free(rec->terms);
	record_init(rec);
}

/* "include", "ip4", "redirect", ... */
const char *
spf_term_name(enum spf_term_kind kind)
{
	switch (kind) {
	case SPF_ALL:		return "all";
	case SPF_INCLUDE:	return "include";
	case SPF_A:		return "a";
	case SPF_MX:		return "mx";
	case SPF_PTR:		return "ptr";
	case SPF_IP4:		return "ip4";
	case SPF_IP6:		return "ip6";
	case SPF_EXISTS:	return "exists";
	case SPF_REDIRECT:	return "redirect";
	case SPF_EXP:		return "exp";
	case SPF_UNKNOWN_MOD:	return "modifier";
	default:		return "?";
	}
}
