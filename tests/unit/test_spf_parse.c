/*
 * test_spf_parse.c - the SPF record grammar (spf_parse.c, RFC 7208 4.5, 4.6.1, 5, 6, 7.1).
 *
 * Tables: spf_is_record(); valid records rendered back term by term (every mechanism
 * and modifier, qualifiers, CIDR lengths, macros); invalid terms, each placed between
 * two valid ones to show that exactly one error is raised, at the right offset, and
 * that parsing goes on; the macro-string validator; TXT character-string joins and
 * straddles. Then modifiers (indexes, duplicates), bounds and hostile bytes.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record/spf_parse.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Render the terms of a record as "+a:x.example/24//64 -all redirect=y.example ...";
 * "*" after a term whose domain-spec expands per message. */
static void
render_terms(const struct spf_record *rec, char *out, size_t outlen)
{
	static const char quals[] = "+-~?";
	char addr[64];
	size_t i, o = 0;
	const struct spf_term *t;

	out[0] = '\0';
	for (i = 0; i < rec->nterms && o < outlen; i++) {
		t = &rec->terms[i];
		if (i > 0)
			o += (size_t)snprintf(out + o, outlen - o, " ");
		if (t->kind == SPF_REDIRECT || t->kind == SPF_EXP)
			o += (size_t)snprintf(out + o, outlen - o, "%s=%s", spf_term_name(t->kind),
			    t->domain_spec);
		else if (t->kind == SPF_UNKNOWN_MOD)
			o += (size_t)snprintf(out + o, outlen - o, "%s=%s", t->mod_name,
			    t->domain_spec);
		else
			o += (size_t)snprintf(out + o, outlen - o, "%c%s", quals[t->qualifier],
			    spf_term_name(t->kind));
		if (o >= outlen)
			break;
		if (t->kind == SPF_IP4 || t->kind == SPF_IP6) {
			inet_ntop(t->kind == SPF_IP4 ? AF_INET : AF_INET6, t->addr, addr,
			    sizeof(addr));
			o += (size_t)snprintf(out + o, outlen - o, ":%s", addr);
		} else if (t->kind <= SPF_EXISTS && t->domain_spec != NULL) {
			o += (size_t)snprintf(out + o, outlen - o, ":%s", t->domain_spec);
		}
		if (o < outlen && t->kind == SPF_IP6 && t->cidr6 >= 0)
			o += (size_t)snprintf(out + o, outlen - o, "/%d", t->cidr6);
		else if (o < outlen && t->kind != SPF_IP6 && t->cidr4 >= 0)
			o += (size_t)snprintf(out + o, outlen - o, "/%d", t->cidr4);
		if (o < outlen && t->kind != SPF_IP6 && t->cidr6 >= 0)
			o += (size_t)snprintf(out + o, outlen - o, "//%d", t->cidr6);
		if (o < outlen && t->has_macros)
			o += (size_t)snprintf(out + o, outlen - o, "*");
	}
}

/* ---- spf_is_record ---- */

static const struct {
	const char *in;
	bool yes;
} is_record_cases[] = {
	{ "v=spf1", true },
	{ "v=spf1 ", true },
	{ "v=spf1 -all", true },
	{ "V=SPF1 -all", true },		/* ABNF literals are case-insensitive */
	{ "v=Spf1 a", true },
	{ "v=spf10", false },
	{ "v=spf1-all", false },
	{ "v=spf1\t-all", false },		/* only SP ends the version */
	{ " v=spf1 -all", false },
	{ "v=spf2 -all", false },
	{ "spf2.0/pra -all", false },
	{ "v=spf", false },
	{ "", false },
	{ "v=DMARC1; p=none", false },
};

static void
test_is_record(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(is_record_cases); i++)
		if (spf_is_record((const uint8_t *)is_record_cases[i].in,
		    strlen(is_record_cases[i].in)) != is_record_cases[i].yes)
			fail_msg("spf_is_record(\"%s\") should be %d", is_record_cases[i].in,
			    is_record_cases[i].yes);
	assert_false(spf_is_record(NULL, 6));
	assert_false(spf_is_record((const uint8_t *)"v=spf1\0 a", 7));
}

/* ---- valid records ---- */

static const struct {
	const char *in;
	const char *terms;
} valid_cases[] = {
	{ "v=spf1", "" },
	{ "v=spf1    ", "" },
	{ "v=spf1 -all", "-all" },
	{ "V=SPF1 +all", "+all" },
	{ "v=spf1 a mx ptr ?all", "+a +mx +ptr ?all" },
	{ "v=spf1  +a   -mx  ~ptr ?all  ", "+a -mx ~ptr ?all" },
	{ "v=spf1 ALL", "+all" },
	{ "v=spf1 A MX:Mail.Example.COM -All", "+a +mx:Mail.Example.COM -all" },
	{ "v=spf1 include:_spf.example.com ~all", "+include:_spf.example.com ~all" },
	{ "v=spf1 -include:a.example. ?include:b-c.example", "-include:a.example. ?include:b-c.example" },
	{ "v=spf1 include:%{d}", "+include:%{d}*" },
	{ "v=spf1 include:.com", "+include:.com" },		/* ABNF: empty macro-string */
	{ "v=spf1 include:x.xn--p1ai", "+include:x.xn--p1ai" },
	{ "v=spf1 include:x.1-2", "+include:x.1-2" },	/* toplabel, second form */
	{ "v=spf1 include:x.a1", "+include:x.a1" },
	{ "v=spf1 a:mail.example.com", "+a:mail.example.com" },
	{ "v=spf1 a/24", "+a/24" },
	{ "v=spf1 a//64", "+a//64" },
	{ "v=spf1 a/24//64", "+a/24//64" },
	{ "v=spf1 a/0//0 mx/32//128", "+a/0//0 +mx/32//128" },
	{ "v=spf1 -a:x.example/8", "-a:x.example/8" },
	{ "v=spf1 mx:dom.example/24//64", "+mx:dom.example/24//64" },
	{ "v=spf1 ~mx:dom.example//48", "~mx:dom.example//48" },
	{ "v=spf1 a:%{d}/24", "+a:%{d}/24*" },
	{ "v=spf1 a:%{l1r-}.x.example//64", "+a:%{l1r-}.x.example//64*" },
	{ "v=spf1 ptr:example.org -ptr", "+ptr:example.org -ptr" },
	{ "v=spf1 ip4:192.0.2.1", "+ip4:192.0.2.1" },
	{ "v=spf1 ip4:192.0.2.0/24 -ip4:0.0.0.0/0 ip4:255.255.255.255/32",
	  "+ip4:192.0.2.0/24 -ip4:0.0.0.0/0 +ip4:255.255.255.255/32" },
	{ "v=spf1 IP4:10.0.0.0/8", "+ip4:10.0.0.0/8" },
	{ "v=spf1 ip6:2001:db8::1", "+ip6:2001:db8::1" },
	{ "v=spf1 ~ip6:2001:DB8::/32 ip6:::/0 ip6:::1/128", "~ip6:2001:db8::/32 +ip6:::/0 +ip6:::1/128" },
	{ "v=spf1 ip6:::ffff:192.0.2.1/96", "+ip6:::ffff:192.0.2.1/96" },
	{ "v=spf1 exists:%{i}.%{v}._spf.%{d2}", "+exists:%{i}.%{v}._spf.%{d2}*" },
	{ "v=spf1 ?exists:%{ir}.%{l1r+-}._spf.example.com", "?exists:%{ir}.%{l1r+-}._spf.example.com*" },
	{ "v=spf1 exists:x%%y.example", "+exists:x%%y.example" },	/* %% does not expand */
	{ "v=spf1 exists:a.b%-", "+exists:a.b%-" },		/* ends in a macro-expand */
	{ "v=spf1 redirect=_spf.example.com", "redirect=_spf.example.com" },
	{ "v=spf1 REDIRECT=%{d}.example", "redirect=%{d}.example*" },
	{ "v=spf1 -all exp=explain._spf.%{d}", "-all exp=explain._spf.%{d}*" },
	{ "v=spf1 foo=bar", "foo=bar" },
	{ "v=spf1 foo=", "foo=" },
	{ "v=spf1 x-y_z.1=%{c}%{r}%{t}", "x-y_z.1=%{c}%{r}%{t}*" },	/* any letter here */
	{ "v=spf1 include=x.example", "include=x.example" },	/* an unknown modifier */
	{ "v=spf1 a redirect=r.example exp=e.example foo=1 bar=2 -all",
	  "+a redirect=r.example exp=e.example foo=1 bar=2 -all" },
};

static void
test_valid_records(void **state)
{
	struct spf_record rec;
	char got[1024];
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(valid_cases); i++) {
		if (spf_parse(valid_cases[i].in, strlen(valid_cases[i].in), &rec) != 0)
			fail_msg("spf_parse(\"%s\") failed", valid_cases[i].in);
		render_terms(&rec, got, sizeof(got));
		if (rec.nerrors != 0)
			fail_msg("\"%s\": unexpected error \"%s\": %s", valid_cases[i].in,
			    rec.errors[0].term, rec.errors[0].reason);
		if (strcmp(got, valid_cases[i].terms) != 0)
			fail_msg("\"%s\": terms \"%s\", expected \"%s\"", valid_cases[i].in, got,
			    valid_cases[i].terms);
		assert_int_equal(rec.length, strlen(valid_cases[i].in));
		spf_record_free(&rec);
	}
}

static void
test_term_offsets_and_fields(void **state)
{
	const char *r = "v=spf1  a:x.example/24 ip6:2001:db8::/48 -all";
	struct spf_record rec;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	assert_int_equal(spf_parse(r, strlen(r), &rec), 0);
	assert_int_equal(rec.nterms, 3);
	assert_int_equal(rec.terms[0].offset, 8);
	assert_int_equal(rec.terms[0].length, 14);
	assert_int_equal(rec.terms[0].cidr4, 24);
	assert_int_equal(rec.terms[0].cidr6, -1);
	assert_null(rec.terms[0].mod_name);
	assert_int_equal(rec.terms[1].offset, 23);
	assert_memory_equal(rec.terms[1].addr, v6, 16);
	assert_int_equal(rec.terms[1].cidr4, -1);
	assert_int_equal(rec.terms[1].cidr6, 48);
	assert_null(rec.terms[1].domain_spec);
	assert_int_equal(rec.terms[2].kind, SPF_ALL);
	assert_int_equal(rec.terms[2].qualifier, SPF_Q_FAIL);
	assert_int_equal(rec.terms[2].offset, 41);
	assert_int_equal(rec.redirect, -1);
	assert_int_equal(rec.exp, -1);
	spf_record_free(&rec);
	assert_null(rec.terms);
	assert_int_equal(rec.nterms, 0);
	spf_record_free(&rec);	/* twice is harmless */
}

/* ---- invalid terms: "v=spf1 a BAD -all" gives one error at offset 9 ---- */

static const struct {
	const char *bad;
	const char *reason;	/* a substring of the reason */
} invalid_cases[] = {
	{ "foo", "unknown mechanism" },
	{ "+mx2", "unknown mechanism" },
	{ "-", "qualifier without a mechanism" },
	{ "!all", "neither a mechanism nor a modifier" },
	{ "=x", "neither a mechanism nor a modifier" },
	{ "all:x.example", "all takes no argument" },
	{ "all/24", "all takes no CIDR" },
	{ "include", "include requires" },
	{ "include:", "empty domain-spec" },
	{ "include:localhost", "top-level label" },
	{ "include:x.example/24", "include takes no CIDR" },
	{ "include:x.123", "top-level label" },
	{ "include:x.-ab", "top-level label" },
	{ "include:x.ab-", "top-level label" },
	{ "include:x.example..", "top-level label" },
	{ "include:%{d}.", "top-level label" },		/* domain-end after a macro */
	{ "include:%{d}x", "top-level label" },
	{ "include-x.example", "include: text after the name" },
	{ "a:", "empty domain-spec" },
	{ "a:x.example/33", "ip4 CIDR length above 32" },
	{ "a/024", "leading zero" },
	{ "a//129", "ip6 CIDR length above 128" },
	{ "a//0128", "leading zero" },
	{ "a/1234", "above 32" },
	{ "a/", "a: text after the name" },
	{ "a/24/", "a: text after the name" },
	{ "a:x.example/24/64", "above 32" },
	{ "mx:", "empty domain-spec" },
	{ "mx:mail", "top-level label" },
	{ "ptr/24", "ptr takes no CIDR" },
	{ "ptr:", "empty domain-spec" },
	{ "ip4", "ip4 requires" },
	{ "ip4:", "not an IPv4 address" },
	{ "ip4:1.2.3.4/33", "ip4 CIDR length above 32 (RFC 7208 5.6)" },
	{ "ip4:1.2.3.4/08", "leading zero" },
	{ "ip4:1.2.3.4//64", "ip4 takes no IPv6 CIDR" },
	{ "ip4:01.2.3.4", "not an IPv4 address" },
	{ "ip4:1.2.3", "not an IPv4 address" },
	{ "ip4:1.2.3.256", "not an IPv4 address" },
	{ "ip4:1.2.3.4.5", "not an IPv4 address" },
	{ "ip4:1.2.3.4/24/24", "not an IPv4 address" },
	{ "ip4:2001:db8::1", "not an IPv4 address" },
	{ "ip4:x.example", "not an IPv4 address" },
	{ "ip4-1.2.3.4", "ip4: text after the name" },
	{ "ip6", "ip6 requires" },
	{ "ip6:192.0.2.1", "not an IPv6 address" },
	{ "ip6:2001:db8::/129", "ip6 CIDR length above 128" },
	{ "ip6:2001:db8:::1", "not an IPv6 address" },
	{ "ip6:::1//64", "ip6 takes one CIDR length" },
	{ "ip6:fe80::1%eth0", "not an IPv6 address" },
	{ "exists", "exists requires" },
	{ "exists:%{c}.x.example", "c, r or t outside exp text" },
	{ "exists:%{r}.x.example", "c, r or t outside exp text" },
	{ "exists:%{T}.x.example", "c, r or t outside exp text" },
	{ "exists:%{x}.x.example", "unknown macro letter" },
	{ "exists:%{d0}.x.example", "transformer of 0" },
	{ "exists:%.x.example", "'%' not followed by" },
	{ "exists:x.example%", "lone '%'" },
	{ "exists:%{d", "unterminated macro" },
	{ "exists:x.example/24", "exists takes no CIDR" },
	{ "redirect=", "redirect requires" },
	{ "redirect=localhost", "top-level label" },
	{ "redirect=%{c}.x.example", "c, r or t outside exp text" },
	{ "redirect:x.example", "redirect and exp are modifiers" },
	{ "exp:x.example", "redirect and exp are modifiers" },
	{ "exp=", "exp requires" },
	{ "exp=%{t}.x.example", "c, r or t outside exp text" },
	{ "-redirect=x.example", "a modifier takes no qualifier" },
	{ "~foo=bar", "a modifier takes no qualifier" },
	{ "foo=%{z}", "unknown macro letter" },
	{ "foo=%", "lone '%'" },
	{ "a\tmx", "control or non-ASCII" },
	{ "a:\xc3\xa9.example", "control or non-ASCII" },
	{ "v=spf1x=%{d", "unterminated macro" },	/* an unknown modifier "v" */
};

static void
test_invalid_terms(void **state)
{
	struct spf_record rec;
	char in[256], got[512];
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(invalid_cases); i++) {
		const char *bad = invalid_cases[i].bad;
		const char *why = invalid_cases[i].reason;

		snprintf(in, sizeof(in), "v=spf1 a %s -all", bad);
		assert_int_equal(spf_parse(in, strlen(in), &rec), 0);
		render_terms(&rec, got, sizeof(got));
		if (rec.nerrors != 1)
			fail_msg("\"%s\": %zu errors, expected 1", bad, rec.nerrors);
		if (strstr(rec.errors[0].reason, why) == NULL)
			fail_msg("\"%s\": reason \"%s\", expected \"%s\"", bad,
			    rec.errors[0].reason, why);
		if (rec.errors[0].offset != 9)
			fail_msg("\"%s\": offset %zu", bad, rec.errors[0].offset);
		if (strchr(bad, '\t') == NULL && strchr(bad, '\xc3') == NULL &&
		    strcmp(rec.errors[0].term, bad) != 0)
			fail_msg("\"%s\": error text \"%s\"", bad, rec.errors[0].term);
		if (strcmp(got, "+a -all") != 0)
			fail_msg("\"%s\": the other terms are \"%s\"", bad, got);
		spf_record_free(&rec);
	}
}

/* Terms that look wrong but are valid by the ABNF. */
static void
test_not_errors(void **state)
{
	static const struct {
		const char *in, *terms;
	} cases[] = {
		{ "v=spf1 include=x.example", "include=x.example" },
		{ "v=spf1 include=", "include=" },
		{ "v=spf1 mx=x", "mx=x" },
		{ "v=spf1 exists:%{i}", "+exists:%{i}*" },
		{ "v=spf1 a v=spf1 -all", "+a v=spf1 -all" },
		{ "v=spf1 exists:%{d01}.x.example", "+exists:%{d01}.x.example*" },
	};
	struct spf_record rec;
	char got[256];
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++) {
		assert_int_equal(spf_parse(cases[i].in, strlen(cases[i].in), &rec), 0);
		render_terms(&rec, got, sizeof(got));
		if (rec.nerrors != 0 || strcmp(got, cases[i].terms) != 0)
			fail_msg("\"%s\": %zu errors, terms \"%s\"", cases[i].in, rec.nerrors, got);
		spf_record_free(&rec);
	}
}

static void
test_bad_version(void **state)
{
	static const struct {
		const char *in, *text, *terms;
		size_t offset;
	} cases[] = {
		{ "", "", "", 0 },
		{ "v=spf10 -all", "v=spf10", "-all", 0 },
		{ "v=spf1-all", "v=spf1-all", "", 0 },
		{ " v=spf1 a", "v=spf1", "+a", 1 },
		{ "spf2.0/pra ip4:192.0.2.1", "spf2.0/pra", "+ip4:192.0.2.1", 0 },
		{ "v=spf1\t-all", "v=spf1\\x09-all", "", 0 },
	};
	struct spf_record rec;
	char got[256];
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++) {
		assert_int_equal(spf_parse(cases[i].in, strlen(cases[i].in), &rec), 0);
		render_terms(&rec, got, sizeof(got));
		if (rec.nerrors != 1 || strstr(rec.errors[0].reason, "v=spf1") == NULL ||
		    strcmp(rec.errors[0].term, cases[i].text) != 0 ||
		    rec.errors[0].offset != cases[i].offset || strcmp(got, cases[i].terms) != 0)
			fail_msg("\"%s\": %zu errors, first \"%s\" at %zu, terms \"%s\"",
			    cases[i].in, rec.nerrors, rec.nerrors ? rec.errors[0].term : "",
			    rec.nerrors ? rec.errors[0].offset : 0, got);
		spf_record_free(&rec);
	}
	assert_int_equal(spf_parse(NULL, 10, &rec), 0);
	assert_int_equal(rec.nerrors, 1);
	assert_int_equal(rec.length, 0);
	spf_record_free(&rec);
}

/* ---- modifiers ---- */

static void
test_modifier_indexes_and_duplicates(void **state)
{
	const char *r1 = "v=spf1 a exp=e.example foo=bar redirect=r.example";
	const char *r2 = "v=spf1 redirect=r1.example a Redirect=r2.example";
	const char *r3 = "v=spf1 exp=e1.example exp=e2.example";
	const char *r4 = "v=spf1 redirect=localhost redirect=r.example";
	struct spf_record rec;

	(void)state;
	assert_int_equal(spf_parse(r1, strlen(r1), &rec), 0);
	assert_int_equal(rec.nerrors, 0);
	assert_int_equal(rec.exp, 1);
	assert_int_equal(rec.redirect, 3);
	assert_int_equal(rec.terms[1].kind, SPF_EXP);
	assert_string_equal(rec.terms[1].domain_spec, "e.example");
	assert_null(rec.terms[1].mod_name);
	assert_int_equal(rec.terms[2].kind, SPF_UNKNOWN_MOD);
	assert_string_equal(rec.terms[2].mod_name, "foo");
	assert_string_equal(rec.terms[2].domain_spec, "bar");
	assert_string_equal(rec.terms[3].domain_spec, "r.example");
	spf_record_free(&rec);

	/* RFC 7208 6: at most once each; the first stays the one in the index */
	assert_int_equal(spf_parse(r2, strlen(r2), &rec), 0);
	assert_int_equal(rec.nerrors, 1);
	assert_string_equal(rec.errors[0].term, "Redirect=r2.example");
	assert_non_null(strstr(rec.errors[0].reason, "more than once"));
	assert_int_equal(rec.redirect, 0);
	assert_int_equal(rec.nterms, 2);
	spf_record_free(&rec);

	assert_int_equal(spf_parse(r3, strlen(r3), &rec), 0);
	assert_int_equal(rec.nerrors, 1);
	assert_int_equal(rec.errors[0].offset, 22);
	assert_int_equal(rec.exp, 0);
	spf_record_free(&rec);

	/* an invalid first redirect still counts: the second is a duplicate */
	assert_int_equal(spf_parse(r4, strlen(r4), &rec), 0);
	assert_int_equal(rec.nerrors, 2);
	assert_non_null(strstr(rec.errors[1].reason, "more than once"));
	assert_int_equal(rec.redirect, -1);
	spf_record_free(&rec);
}

/* ---- macro-strings ---- */

static const struct {
	const char *in;
	int rc;
	bool has_macros;
	const char *reason;
} macro_cases[] = {
	{ "", 0, false, NULL },
	{ "example.com", 0, false, NULL },
	{ "%{s}", 0, true, NULL },
	{ "%{S}", 0, true, NULL },
	{ "%{ir}", 0, true, NULL },
	{ "%{IR}", 0, true, NULL },
	{ "%{d2}", 0, true, NULL },
	{ "%{d10}", 0, true, NULL },
	{ "%{l-}", 0, true, NULL },
	{ "%{o.}", 0, true, NULL },
	{ "%{i1r.-+,/_=}", 0, true, NULL },
	{ "%{p}%{h}%{v}", 0, true, NULL },
	{ "%{c}%{r}%{t}", 0, true, NULL },
	{ "%%", 0, false, NULL },
	{ "%_", 0, false, NULL },
	{ "%-", 0, false, NULL },
	{ "a%%b%_c%-d", 0, false, NULL },
	{ "%%{d}", 0, false, NULL },		/* "%%" then literal "{d}" */
	{ "}{!\"#$&'()*+,-./:;<=>?@[\\]^`|~", 0, false, NULL },
	{ "%{x}", -1, false, "unknown macro letter" },
	{ "%{ }", -1, false, "unknown macro letter" },
	{ "%{}", -1, false, "unknown macro letter" },
	{ "%{d0}", -1, false, "transformer of 0" },
	{ "%{d0r}", -1, false, "transformer of 0" },
	{ "%{d00}", -1, false, "transformer of 0" },
	{ "%{dr2}", -1, false, "bad byte in a macro" },
	{ "%{d2rr}", -1, false, "bad byte in a macro" },
	{ "%{d;}", -1, false, "bad byte in a macro" },
	{ "%", -1, false, "lone '%'" },
	{ "abc%", -1, false, "lone '%'" },
	{ "%{s", -1, false, "unterminated" },
	{ "%{", -1, false, "unterminated" },
	{ "%{s2r.", -1, false, "unterminated" },
	{ "%x", -1, false, "not followed by" },
	{ "%{s}%", -1, false, "lone '%'" },
	{ "a b", -1, false, "space, control or non-ASCII" },
	{ "a\x7f", -1, false, "space, control or non-ASCII" },
	{ "\xe2\x82\xac", -1, false, "space, control or non-ASCII" },
};

static void
test_macro_validate(void **state)
{
	const char *why;
	bool has;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < N_ELEMS(macro_cases); i++) {
		why = "untouched";
		has = !macro_cases[i].has_macros;
		rc = spf_macro_validate(macro_cases[i].in, strlen(macro_cases[i].in), &has, &why);
		if (rc != macro_cases[i].rc || has != macro_cases[i].has_macros)
			fail_msg("\"%s\": rc %d has_macros %d", macro_cases[i].in, rc, has);
		if (macro_cases[i].reason == NULL ? why != NULL :
		    (why == NULL || strstr(why, macro_cases[i].reason) == NULL))
			fail_msg("\"%s\": reason \"%s\", expected \"%s\"", macro_cases[i].in,
			    why ? why : "(null)", macro_cases[i].reason ? macro_cases[i].reason :
			    "(null)");
	}
	/* the length counts, not a NUL; NULL pointers are tolerated */
	assert_int_equal(spf_macro_validate("%{d}\0%", 4, &has, &why), 0);
	assert_int_equal(spf_macro_validate("%{d}\0%", 6, &has, &why), -1);
	assert_int_equal(spf_macro_validate("%{d}", 2, NULL, NULL), -1);
	assert_int_equal(spf_macro_validate(NULL, 5, &has, &why), 0);
	assert_false(has);
}

/* ---- TXT character-strings: joins and straddles (RFC 7208 3.3) ---- */

#define MAX_STRINGS 4

static const struct {
	const char *strings[MAX_STRINGS];
	const char *terms;
	size_t nerrors, straddles, straddle_offset;
} rr_cases[] = {
	{ { "v=spf1 include:a.example", " -all" }, "+include:a.example -all", 0, 0, 0 },
	{ { "v=spf1 include:a.example ", "-all" }, "+include:a.example -all", 0, 0, 0 },
	{ { "v=spf1 inc", "lude:a.example -all" }, "+include:a.example -all", 0, 1, 7 },
	/* a missing space: the joined term is still valid, only the straddle tells */
	{ { "v=spf1 include:a.example", "-all" }, "+include:a.example-all", 0, 1, 7 },
	{ { "v=spf1 include:a.example", "~all" }, "", 1, 1, 7 },
	{ { "v=sp", "f1 a", " mx" }, "+a +mx", 0, 1, 0 },
	{ { "v=spf1 ip4:192.0", ".2.1 ip", "6:::1 a" }, "+ip4:192.0.2.1 +ip6:::1 +a", 0, 2, 7 },
	{ { "v=spf1 a", "", "", " mx" }, "+a +mx", 0, 0, 0 },		/* empty strings */
	{ { "v=spf1 a", "", ":b.example" }, "+a:b.example", 0, 1, 7 },
	{ { "v=spf1 a", "b", "c -all" }, "-all", 1, 1, 7 },		/* one term, two bounds */
	{ { "", "v=spf1 -all", "" }, "-all", 0, 0, 0 },
	{ { "v=spf1 -all" }, "-all", 0, 0, 0 },
	{ { NULL }, "", 1, 0, 0 },					/* no strings */
};

static void
test_rr_join_and_straddles(void **state)
{
	struct dns_txt_string strs[MAX_STRINGS];
	struct dns_rr rr;
	struct spf_record rec;
	char got[256];
	size_t i, k;

	(void)state;
	for (i = 0; i < N_ELEMS(rr_cases); i++) {
		memset(&rr, 0, sizeof(rr));
		rr.type = DNS_T_TXT;
		rr.u.txt.strings = strs;
		for (k = 0; k < MAX_STRINGS && rr_cases[i].strings[k] != NULL; k++) {
			strs[k].data = (uint8_t *)(uintptr_t)rr_cases[i].strings[k];
			strs[k].len = strlen(rr_cases[i].strings[k]);
		}
		rr.u.txt.count = k;
		assert_int_equal(spf_parse_rr(&rr, &rec), 0);
		render_terms(&rec, got, sizeof(got));
		if (strcmp(got, rr_cases[i].terms) != 0 || rec.nerrors != rr_cases[i].nerrors ||
		    rec.straddles != rr_cases[i].straddles ||
		    (rec.straddles > 0 && rec.straddle_offset != rr_cases[i].straddle_offset))
			fail_msg("case %zu: terms \"%s\" errors %zu straddles %zu at %zu", i, got,
			    rec.nerrors, rec.straddles, rec.straddle_offset);
		spf_record_free(&rec);
	}
}

static void
test_rr_other_types(void **state)
{
	struct dns_txt_string s = { (uint8_t *)(uintptr_t)"v=spf1 -all", 11 };
	struct dns_rr rr;
	struct spf_record rec;

	(void)state;
	memset(&rr, 0, sizeof(rr));
	rr.type = DNS_T_SPF;		/* type 99 holds the same strings */
	rr.u.txt.count = 1;
	rr.u.txt.strings = &s;
	assert_int_equal(spf_parse_rr(&rr, &rec), 0);
	assert_int_equal(rec.nerrors, 0);
	assert_int_equal(rec.nterms, 1);
	assert_int_equal(rec.length, 11);
	spf_record_free(&rec);

	memset(&rr, 0, sizeof(rr));
	rr.type = DNS_T_A;		/* not strings: an empty record */
	assert_int_equal(spf_parse_rr(&rr, &rec), 0);
	assert_int_equal(rec.nterms, 0);
	assert_int_equal(rec.nerrors, 1);
	spf_record_free(&rec);

	assert_int_equal(spf_parse_rr(NULL, &rec), 0);
	assert_int_equal(rec.nerrors, 1);
	spf_record_free(&rec);
}

/* ---- bounds and hostile bytes ---- */

static void
test_term_cap(void **state)
{
	size_t n = 300, i, len;
	char *r = malloc(6 + n * 2 + 1);
	struct spf_record rec;

	(void)state;
	assert_non_null(r);
	memcpy(r, "v=spf1", 6);
	len = 6;
	for (i = 0; i < n; i++) {
		r[len++] = ' ';
		r[len++] = 'a';
	}
	r[len] = '\0';
	assert_int_equal(spf_parse(r, len, &rec), 0);
	assert_int_equal(rec.nterms, SPF_MAX_TERMS);
	assert_int_equal(rec.nerrors, 1);
	assert_non_null(strstr(rec.errors[0].reason, "more than 256 terms"));
	assert_int_equal(rec.errors[0].offset, 6 + 2 * SPF_MAX_TERMS + 1);
	spf_record_free(&rec);

	/* 256 terms exactly: no error */
	assert_int_equal(spf_parse(r, 6 + 2 * SPF_MAX_TERMS, &rec), 0);
	assert_int_equal(rec.nterms, SPF_MAX_TERMS);
	assert_int_equal(rec.nerrors, 0);
	spf_record_free(&rec);
	free(r);
}

static void
test_error_cap(void **state)
{
	char r[512];
	size_t i, len;
	struct spf_record rec;

	(void)state;
	len = (size_t)snprintf(r, sizeof(r), "v=spf1");
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(r + len, sizeof(r) - len, " bad%zu", i);
	len += (size_t)snprintf(r + len, sizeof(r) - len, " -all");
	assert_int_equal(spf_parse(r, len, &rec), 0);
	assert_int_equal(rec.nerrors, 20);	/* counted past the array */
	assert_string_equal(rec.errors[0].term, "bad0");
	assert_string_equal(rec.errors[SPF_MAX_ERRORS - 1].term, "bad15");
	assert_int_equal(rec.nterms, 1);
	assert_int_equal(rec.terms[0].kind, SPF_ALL);
	spf_record_free(&rec);
}

static void
test_hostile_bytes(void **state)
{
	const char r1[] = "v=spf1 a:x\x00y.example -all";
	const char *r2 = "v=spf1 include:\x1b[31mred.example";
	char r3[400];
	struct spf_record rec;

	(void)state;
	assert_int_equal(spf_parse(r1, sizeof(r1) - 1, &rec), 0);
	assert_int_equal(rec.nerrors, 1);
	assert_string_equal(rec.errors[0].term, "a:x\\x00y.example");
	assert_int_equal(rec.nterms, 1);
	spf_record_free(&rec);

	assert_int_equal(spf_parse(r2, strlen(r2), &rec), 0);
	assert_int_equal(rec.nerrors, 1);
	assert_string_equal(rec.errors[0].term, "include:\\x1b[31mred.example");
	spf_record_free(&rec);

	/* a long bad term: the copy is cut and ends in "..." */
	memcpy(r3, "v=spf1 include:", 15);
	memset(r3 + 15, 'x', 300);
	r3[315] = '\0';
	assert_int_equal(spf_parse(r3, strlen(r3), &rec), 0);
	assert_int_equal(rec.nerrors, 1);
	assert_true(strlen(rec.errors[0].term) < sizeof(rec.errors[0].term));
	assert_non_null(strstr(rec.errors[0].term, "..."));
	assert_memory_equal(rec.errors[0].term, "include:xxx", 11);
	spf_record_free(&rec);
}

static void
test_long_valid_record(void **state)
{
	size_t n = 2000, i, len = 0;
	char *r = malloc(10 + n * 40);
	struct spf_record rec;

	(void)state;
	assert_non_null(r);
	len += (size_t)sprintf(r, "v=spf1");
	for (i = 0; i < 200; i++)
		len += (size_t)sprintf(r + len, " ip4:10.%zu.%zu.0/24", i / 250, i % 250);
	/* a long but valid domain-spec: the ABNF sets no length limit */
	len += (size_t)sprintf(r + len, " include:");
	for (i = 0; i < n; i++)
		r[len++] = 'a';
	len += (size_t)sprintf(r + len, ".example -all");
	assert_int_equal(spf_parse(r, len, &rec), 0);
	assert_int_equal(rec.nerrors, 0);
	assert_int_equal(rec.nterms, 202);
	assert_int_equal(strlen(rec.terms[200].domain_spec), n + 8);
	assert_int_equal(rec.terms[199].addr[0], 10);
	assert_int_equal(rec.terms[199].addr[2], 199);
	spf_record_free(&rec);
	free(r);
}

static void
test_term_names(void **state)
{
	static const char *const names[] = {
		"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists", "redirect", "exp",
		"modifier",
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(names); i++)
		assert_string_equal(spf_term_name((enum spf_term_kind)i), names[i]);
	assert_string_equal(spf_term_name((enum spf_term_kind)99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_record),
		cmocka_unit_test(test_valid_records),
		cmocka_unit_test(test_term_offsets_and_fields),
		cmocka_unit_test(test_invalid_terms),
		cmocka_unit_test(test_not_errors),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_modifier_indexes_and_duplicates),
		cmocka_unit_test(test_macro_validate),
		cmocka_unit_test(test_rr_join_and_straddles),
		cmocka_unit_test(test_rr_other_types),
		cmocka_unit_test(test_term_cap),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_long_valid_record),
		cmocka_unit_test(test_term_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
