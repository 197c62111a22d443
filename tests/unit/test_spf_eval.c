/*
 * test_spf_eval.c - spf_check_host() (lib/verify/spf_eval.c) on small in-process zones.
 *
 * Table-driven: each case is a zone (tests/spf_suite/spf_zone.h lines; absent names are
 * NXDOMAIN), a request and the expected result, optionally the deciding mechanism and
 * the lookup/void counts. The macro table checks expansions through an exists: term
 * whose only answering name is the expected expansion, so a wrong expansion reads
 * NXDOMAIN and the case fails. Further tables: processing limits (RFC 7208 4.6.4),
 * IPv6 and IPv4-mapped clients, the include result table (5.2), redirect (6.1), DNS
 * failures (temperror, and where RFC 7208 5.5 says otherwise), record selection, and
 * the absence of a loopback shortcut. Separate tests pin the rounds (prefetch) and the
 * 7.3 truncation against a reference implementation written here.
 *
 * Linked with tests/spf_suite/spf_zone.c and -Wl,--wrap=eval_dns (see spf_zone.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"
#include "verify/spf_eval.h"
#include "../spf_suite/spf_zone.h"

#define ANY -1
#define R(x) SPF_R_##x

struct spf_case {
	const char *name;
	const char *zone[16];		/* NULL-terminated zone lines */
	const char *ip;
	const char *sender;		/* NULL: postmaster@domain */
	const char *domain;
	const char *helo;		/* NULL: "helo.example" */
	enum spf_result want;
	const char *mech;		/* NULL: not checked */
	int lookups, voids;		/* ANY: not checked */
};

static struct spf_request cur_req;
static struct spf_outcome cur_out;

/* spf_check_host() as a check function for spf_zone_run(). */
static enum check_status
run_spf(struct eval_ctx *ctx)
{
	return spf_check_host(ctx, &cur_req, &cur_out);
}

/* Build the request of a case. */
static void
request_of(const struct spf_case *c)
{
	memset(&cur_req, 0, sizeof(cur_req));
	if (inet_pton(AF_INET, c->ip, cur_req.ip) == 1)
		cur_req.iplen = 4;
	else if (inet_pton(AF_INET6, c->ip, cur_req.ip) == 1)
		cur_req.iplen = 16;
	else
		fail_msg("%s: bad ip %s", c->name, c->ip);
	cur_req.sender = c->sender;
	cur_req.domain = c->domain;
	cur_req.helo = c->helo != NULL ? c->helo : "helo.example";
}

/* Load a case's zone; the context gets any answer a test adds before the run. */
static struct spf_zone *
zone_of(const struct spf_case *c)
{
	struct spf_zone *z = spf_zone_new();
	const char *why;
	size_t i;

	for (i = 0; c->zone[i] != NULL; i++)
		if (spf_zone_add(z, c->zone[i], &why) < 0)
			fail_msg("%s: zone line \"%s\": %s", c->name, c->zone[i], why);
	return z;
}

/* Run a case to completion; stats may be NULL. */
static void
run_case(const struct spf_case *c, struct eval_ctx *ctx, struct spf_zone_stats *stats)
{
	struct spf_zone *z = zone_of(c);

	request_of(c);
	assert_int_equal(spf_zone_run(ctx, z, PF_SPF, run_spf, stats), CHECK_DONE);
	spf_zone_free(z);
}

/* Run every case of a table and check its expectations. */
static void
run_table(const struct spf_case *cases, size_t n)
{
	struct eval_limits lim = { 200, 0 };
	struct eval_ctx *ctx;
	size_t i;
	bool bad;

	for (i = 0; i < n; i++) {
		const struct spf_case *c = &cases[i];

		ctx = eval_ctx_new("spf-eval.test", NULL, NULL, &lim);
		assert_non_null(ctx);
		run_case(c, ctx, NULL);
		bad = cur_out.result != c->want ||
		    (c->mech != NULL && strcmp(cur_out.mechanism, c->mech) != 0) ||
		    (c->lookups != ANY && cur_out.lookups != (unsigned)c->lookups) ||
		    (c->voids != ANY && cur_out.voids != (unsigned)c->voids);
		if (bad)
			print_error("case %s: got %s mechanism \"%s\" lookups %u voids %u reason "
			    "\"%s\"; want %s mechanism \"%s\" lookups %d voids %d\n", c->name,
			    spf_result_name(cur_out.result), cur_out.mechanism, cur_out.lookups,
			    cur_out.voids, cur_out.reason, spf_result_name(c->want),
			    c->mech ? c->mech : "(any)", c->lookups, c->voids);
		eval_ctx_free(ctx);
		assert_false(bad);
	}
}

#define RUN(t) run_table(t, sizeof(t) / sizeof(t[0]))
#define SB "strong-bad@email.example.com"
#define EXISTS(spec) "email.example.com TXT \"v=spf1 exists:" spec " -all\""
#define HIT(name) name " A 127.0.0.2"

/* RFC 7208 7.4's examples and more: each expansion must be exactly the answered name. */
static const struct spf_case macro_cases[] = {
	{ "s", { EXISTS("%{s}.x.test"), HIT("strong-bad@email.example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "o", { EXISTS("%{o}"), HIT("email.example.com") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "d4", { EXISTS("%{d4}.x.test"), HIT("email.example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "d2", { EXISTS("%{d2}.x.test"), HIT("example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "d1", { EXISTS("%{d1}.x.test"), HIT("com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "dr", { EXISTS("%{dr}.x.test"), HIT("com.example.email.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "d2r", { EXISTS("%{d2r}.x.test"), HIT("example.email.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "l", { EXISTS("%{l}.x.test"), HIT("strong-bad.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "l-", { EXISTS("%{l-}.x.test"), HIT("strong.bad.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "lr", { EXISTS("%{lr}.x.test"), HIT("strong-bad.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "lr-", { EXISTS("%{lr-}.x.test"), HIT("bad.strong.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "l1r-", { EXISTS("%{l1r-}.x.test"), HIT("strong.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "ir v d2", { EXISTS("%{ir}.%{v}._spf.%{d2}"), HIT("3.2.0.192.in-addr._spf.example.com") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "lr- ir v", { EXISTS("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"),
	    HIT("bad.strong.lp.3.2.0.192.in-addr._spf.example.com") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "ir v l1r-", { EXISTS("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"),
	    HIT("3.2.0.192.in-addr.strong.lp._spf.example.com") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "ipv6 ir v", { EXISTS("%{ir}.%{v}._spf.%{d2}"),
	    HIT("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com") },
	  "2001:db8::cb01", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "ipv6 i", { EXISTS("%{i}.x.test"),
	    HIT("2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1.x.test") },
	  "2001:db8::cb01", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "ipv4-mapped i and v", { EXISTS("%{i}.%{v}.x.test"), HIT("192.0.2.3.in-addr.x.test") },
	  "::ffff:192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "upper S escapes @", { EXISTS("%{S}.x.test"),
	    HIT("strong-bad%40email.example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "upper L escapes all but unreserved", { EXISTS("%{L}.x.test"),
	    HIT("~jack%26jill%3Dup-a_b3.c.x.test") },
	  "192.0.2.3", "~jack&jill=up-a_b3.c@email.example.com", "email.example.com", NULL,
	  R(PASS), NULL, ANY, ANY },
	{ "multiple delimiters", { EXISTS("%{l2r+-}.x.test"), HIT("bar.foo.x.test") },
	  "192.0.2.3", "foo-bar+zip+quux@email.example.com", "email.example.com", NULL,
	  R(PASS), NULL, ANY, ANY },
	{ "digits above the part count", { EXISTS("%{d99}.x.test"), HIT("email.example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "h", { EXISTS("%{h}.x.test"), HIT("mx.helo.example.x.test") },
	  "192.0.2.3", SB, "email.example.com", "mx.helo.example", R(PASS), NULL, ANY, ANY },
	{ "percent and url space", { EXISTS("a%%b%-c.x.test"), HIT("a%b%20c.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "no local-part is postmaster", { EXISTS("%{l}.%{o}"), HIT("postmaster.email.example.com") },
	  "192.0.2.3", "@email.example.com", "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "null sender is postmaster@domain", { EXISTS("%{s}"),
	    HIT("postmaster@email.example.com") },
	  "192.0.2.3", NULL, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "trailing dot dropped", { EXISTS("%{d}.x.test."), HIT("email.example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "d is the include target inside it",
	  { "email.example.com TXT \"v=spf1 include:inc.example.net -all\"",
	    "inc.example.net TXT \"v=spf1 exists:%{d}.%{o}.x.test\"",
	    HIT("inc.example.net.email.example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), "include:inc.example.net", 2, 0 },
	{ "p prefers the domain's own subdomain",
	  { EXISTS("%{p}.x.test"), "3.2.0.192.in-addr.arpa PTR other.example.org",
	    "3.2.0.192.in-addr.arpa PTR mx.email.example.com",
	    "other.example.org A 192.0.2.3", "mx.email.example.com A 192.0.2.3",
	    HIT("mx.email.example.com.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, 2, 0 },
	{ "p unknown when no name validates",
	  { EXISTS("%{p}.x.test"), "3.2.0.192.in-addr.arpa PTR mx.email.example.com",
	    "mx.email.example.com A 192.0.2.99", HIT("unknown.x.test") },
	  "192.0.2.3", SB, "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "truncation to 253 octets by left labels",
	  { EXISTS("%{l}.%{l}.%{l}.%{l}.%{l}.test"),
	    HIT("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test") },
	  "192.0.2.3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@email.example.com",
	  "email.example.com", NULL, R(PASS), NULL, ANY, ANY },
	{ "label over 63 after expansion is no match",
	  { "email.example.com TXT \"v=spf1 a:%{l}.x.test ?all\"" },
	  "192.0.2.3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@email.example.com",
	  "email.example.com", NULL, R(NEUTRAL), "?all", 1, 0 },
};

static void
test_macro_expansion_table(void **state)
{
	(void)state;
	RUN(macro_cases);
}

#define A10 "a a a a a a a a a a"

/* RFC 7208 4.6.4 */
static const struct spf_case limit_cases[] = {
	{ "ten DNS terms are allowed", { "d.test TXT \"v=spf1 " A10 " -all\"", "d.test A 192.0.2.9" },
	  "192.0.2.1", NULL, "d.test", NULL, R(FAIL), "-all", 10, 0 },
	{ "an eleventh DNS term is permerror", { "d.test TXT \"v=spf1 " A10 " a -all\"",
	    "d.test A 192.0.2.9" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "a", 11, 0 },
	{ "a match before the eleventh term decides", { "d.test TXT \"v=spf1 " A10 " ip4:192.0.2.1 a\"",
	    "d.test A 192.0.2.9" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "ip4:192.0.2.1", 10, 0 },
	{ "terms not reached are not counted", { "d.test TXT \"v=spf1 ip4:192.0.2.1 " A10 " a\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "ip4:192.0.2.1", 0, 0 },
	{ "includes count across records", { "d.test TXT \"v=spf1 a include:i.test a -all\"",
	    "i.test TXT \"v=spf1 a a a a a a a a\"", "d.test A 192.0.2.9", "i.test A 192.0.2.9" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "a", 11, 0 },
	{ "two void lookups are allowed", { "d.test TXT \"v=spf1 a:nx1.test mx:nx2.test -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(FAIL), "-all", 2, 2 },
	{ "a third void lookup is permerror",
	  { "d.test TXT \"v=spf1 a:nx1.test mx:nx2.test exists:nx3.test -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "exists:nx3.test", 3, 3 },
	{ "NODATA is void too", { "d.test TXT \"v=spf1 a:e.test a:e.test a:e.test -all\"",
	    "e.test MX 0 x.test" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "a:e.test", 3, 3 },
	{ "ten MX names are allowed", { "d.test TXT \"v=spf1 mx -all\"",
	    "d.test MX 0 m0.test", "d.test MX 1 m1.test", "d.test MX 2 m2.test",
	    "d.test MX 3 m3.test", "d.test MX 4 m4.test", "d.test MX 5 m5.test",
	    "d.test MX 6 m6.test", "d.test MX 7 m7.test", "d.test MX 8 m8.test",
	    "d.test MX 9 m9.test", "m9.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "mx", 1, 0 },
	{ "an eleventh MX name is permerror", { "d.test TXT \"v=spf1 mx -all\"",
	    "d.test MX 0 m0.test", "d.test MX 1 m1.test", "d.test MX 2 m2.test",
	    "d.test MX 3 m3.test", "d.test MX 4 m4.test", "d.test MX 5 m5.test",
	    "d.test MX 6 m6.test", "d.test MX 7 m7.test", "d.test MX 8 m8.test",
	    "d.test MX 9 m9.test", "d.test MX 10 m10.test", "m0.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "mx", 1, 0 },
	{ "only the first ten PTR names count", { "d.test TXT \"v=spf1 ptr -all\"",
	    "1.2.0.192.in-addr.arpa PTR p0.x.test", "1.2.0.192.in-addr.arpa PTR p1.x.test",
	    "1.2.0.192.in-addr.arpa PTR p2.x.test", "1.2.0.192.in-addr.arpa PTR p3.x.test",
	    "1.2.0.192.in-addr.arpa PTR p4.x.test", "1.2.0.192.in-addr.arpa PTR p5.x.test",
	    "1.2.0.192.in-addr.arpa PTR p6.x.test", "1.2.0.192.in-addr.arpa PTR p7.x.test",
	    "1.2.0.192.in-addr.arpa PTR p8.x.test", "1.2.0.192.in-addr.arpa PTR p9.x.test",
	    "1.2.0.192.in-addr.arpa PTR m.d.test", "m.d.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(FAIL), "-all", 1, 0 },
	{ "the p macro's PTR lookup counts", { "d.test TXT \"v=spf1 a a a a a a a a a exists:%{p}.x.test -all\"",
	    "d.test A 192.0.2.9" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "exists:%{p}.x.test", 11, 0 },
	{ "redirect loop ends at the limit", { "d.test TXT \"v=spf1 redirect=d.test\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "", 11, 0 },
	{ "include loop ends at the limit", { "d.test TXT \"v=spf1 include:e.test -all\"",
	    "e.test TXT \"v=spf1 include:d.test -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "include:e.test", 11, 0 },
	{ "many A records need no limit", { "d.test TXT \"v=spf1 a -all\"",
	    "d.test A 192.0.2.11", "d.test A 192.0.2.12", "d.test A 192.0.2.13",
	    "d.test A 192.0.2.14", "d.test A 192.0.2.15", "d.test A 192.0.2.16",
	    "d.test A 192.0.2.17", "d.test A 192.0.2.18", "d.test A 192.0.2.19",
	    "d.test A 192.0.2.20", "d.test A 192.0.2.21", "d.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "a", 1, 0 },
};

static void
test_processing_limits(void **state)
{
	(void)state;
	RUN(limit_cases);
}

/* RFC 7208 5 (IPv4-mapped), 5.3-5.6 with IPv6 clients */
static const struct spf_case ipv6_cases[] = {
	{ "ip6 prefix match", { "d.test TXT \"v=spf1 ip6:2001:db8::/32 -all\"" },
	  "2001:db8:1::5", NULL, "d.test", NULL, R(PASS), "ip6:2001:db8::/32", 0, 0 },
	{ "ip6 outside the prefix", { "d.test TXT \"v=spf1 ip6:2001:db8::/48 -all\"" },
	  "2001:db8:1::5", NULL, "d.test", NULL, R(FAIL), "-all", 0, 0 },
	{ "ip4 never matches an IPv6 client", { "d.test TXT \"v=spf1 ip4:0.0.0.0/0 -all\"" },
	  "2001:db8::5", NULL, "d.test", NULL, R(FAIL), "-all", 0, 0 },
	{ "a with ip6 cidr //64", { "d.test TXT \"v=spf1 a/24//64 -all\"",
	    "d.test AAAA 2001:db8:0:1::99", "d.test A 192.0.2.1" },
	  "2001:db8:0:1::5", NULL, "d.test", NULL, R(PASS), "a/24//64", 1, 0 },
	{ "a queries AAAA for an IPv6 client", { "d.test TXT \"v=spf1 a -all\"",
	    "d.test A 192.0.2.1" },
	  "2001:db8::5", NULL, "d.test", NULL, R(FAIL), "-all", 1, 1 },
	{ "exists queries A even for IPv6", { "d.test TXT \"v=spf1 exists:e.test -all\"",
	    "e.test A 127.0.0.2" },
	  "2001:db8::5", NULL, "d.test", NULL, R(PASS), "exists:e.test", 1, 0 },
	{ "mapped client matches ip4", { "d.test TXT \"v=spf1 ip4:192.0.2.0/24 -all\"" },
	  "::ffff:192.0.2.5", NULL, "d.test", NULL, R(PASS), "ip4:192.0.2.0/24", 0, 0 },
	{ "mapped client does not match ip6", { "d.test TXT \"v=spf1 ip6:::ffff:0:0/96 -all\"" },
	  "::ffff:192.0.2.5", NULL, "d.test", NULL, R(FAIL), "-all", 0, 0 },
	{ "ptr on ip6.arpa", { "d.test TXT \"v=spf1 ptr -all\"",
	    "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR mail.d.test",
	    "mail.d.test AAAA 2001:db8::5" },
	  "2001:db8::5", NULL, "d.test", NULL, R(PASS), "ptr", 1, 0 },
	{ "mx AAAA", { "d.test TXT \"v=spf1 mx//112 -all\"", "d.test MX 10 mx.d.test",
	    "mx.d.test AAAA 2001:db8::1:1" },
	  "2001:db8::1:77", NULL, "d.test", NULL, R(PASS), "mx//112", 1, 0 },
};

static void
test_ipv6_and_mapped_clients(void **state)
{
	(void)state;
	RUN(ipv6_cases);
}

#define INC(x) { "d.test TXT \"v=spf1 include:i.test ~all\"", "i.test TXT \"v=spf1 " x "\"" }

/* RFC 7208 5.2's table */
static const struct spf_case include_cases[] = {
	{ "included pass matches", INC("+all"), "192.0.2.1", NULL, "d.test", NULL, R(PASS),
	  "include:i.test", 1, 0 },
	{ "included fail does not match", INC("-all"), "192.0.2.1", NULL, "d.test", NULL,
	  R(SOFTFAIL), "~all", 1, 0 },
	{ "included softfail does not match", INC("~all"), "192.0.2.1", NULL, "d.test", NULL,
	  R(SOFTFAIL), "~all", 1, 0 },
	{ "included neutral does not match", INC("?all"), "192.0.2.1", NULL, "d.test", NULL,
	  R(SOFTFAIL), "~all", 1, 0 },
	{ "included default neutral does not match", INC("ip4:10.0.0.1"), "192.0.2.1", NULL,
	  "d.test", NULL, R(SOFTFAIL), "~all", 1, 0 },
	{ "included permerror is permerror", INC("a:foo"), "192.0.2.1", NULL, "d.test", NULL,
	  R(PERMERROR), "include:i.test", 1, 0 },
	{ "included temperror is temperror", { "d.test TXT \"v=spf1 include:i.test ~all\"",
	    "i.test TXT TIMEOUT" },
	  "192.0.2.1", NULL, "d.test", NULL, R(TEMPERROR), "include:i.test", 1, 0 },
	{ "included none is permerror", { "d.test TXT \"v=spf1 include:i.test ~all\"",
	    "i.test TXT \"not spf\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "include:i.test", 1, 0 },
	{ "include of a missing domain is permerror", { "d.test TXT \"v=spf1 include:i.test ~all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "include:i.test", 1, 0 },
	{ "negated include of a pass is fail", { "d.test TXT \"v=spf1 -include:i.test +all\"",
	    "i.test TXT \"v=spf1 ip4:192.0.2.0/24\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(FAIL), "-include:i.test", 1, 0 },
	{ "include ignores the included redirect's all", { "d.test TXT \"v=spf1 include:i.test ?all\"",
	    "i.test TXT \"v=spf1 redirect=j.test\"", "j.test TXT \"v=spf1 -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(NEUTRAL), "?all", 2, 0 },
};

static void
test_include_result_table(void **state)
{
	(void)state;
	RUN(include_cases);
}

/* RFC 7208 6.1 */
static const struct spf_case redirect_cases[] = {
	{ "redirect gives its result", { "d.test TXT \"v=spf1 ip4:10.0.0.1 redirect=r.test\"",
	    "r.test TXT \"v=spf1 ip4:192.0.2.0/24 -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "ip4:192.0.2.0/24", 1, 0 },
	{ "redirect anywhere in the record comes last", { "d.test TXT \"v=spf1 redirect=r.test ip4:192.0.2.1\"",
	    "r.test TXT \"v=spf1 -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "ip4:192.0.2.1", 0, 0 },
	{ "redirect is ignored with all", { "d.test TXT \"v=spf1 redirect=r.test ~all\"",
	    "r.test TXT \"v=spf1 +all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(SOFTFAIL), "~all", 0, 0 },
	{ "redirect to no record is permerror", { "d.test TXT \"v=spf1 redirect=r.test\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "", 1, 0 },
	{ "redirect changes the current domain", { "d.test TXT \"v=spf1 redirect=r.test\"",
	    "d.test A 192.0.2.7", "r.test TXT \"v=spf1 a -all\"", "r.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "a", 2, 0 },
	{ "redirect default neutral stays neutral", { "d.test TXT \"v=spf1 redirect=r.test\"",
	    "r.test TXT \"v=spf1 ip4:10.0.0.1\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(NEUTRAL), "", 1, 0 },
	{ "redirect target with a macro", { "d.test TXT \"v=spf1 redirect=_spf.%{d}\"",
	    "_spf.d.test TXT \"v=spf1 ip4:192.0.2.1 -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "ip4:192.0.2.1", 1, 0 },
};

static void
test_redirect(void **state)
{
	(void)state;
	RUN(redirect_cases);
}

/* RFC 7208 4.3-4.5, 5 (DNS errors), 5.5 (ptr errors), no loopback shortcut */
static const struct spf_case dns_cases[] = {
	{ "TXT timeout is temperror", { "d.test TXT TIMEOUT" },
	  "192.0.2.1", NULL, "d.test", NULL, R(TEMPERROR), "", 0, 0 },
	{ "no record is none", { "d.test TXT \"hello\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(NONE), "", 0, 0 },
	{ "NXDOMAIN is none", { "x.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(NONE), "", 0, 0 },
	{ "two records are permerror", { "d.test TXT \"v=spf1 +all\"", "d.test TXT \"v=spf1 -all\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "", 0, 0 },
	{ "a syntax error after a match is permerror", { "d.test TXT \"v=spf1 +all foo:bar\"" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PERMERROR), "", 0, 0 },
	{ "single-label domain is none", { "d TXT \"v=spf1 -all\"" },
	  "192.0.2.1", NULL, "d", NULL, R(NONE), "", 0, 0 },
	{ "domain literal is none", { "d.test TXT \"v=spf1 -all\"" },
	  "192.0.2.1", NULL, "[192.0.2.1]", NULL, R(NONE), "", 0, 0 },
	{ "a timeout is temperror", { "d.test TXT \"v=spf1 a:t.test -all\"", "t.test A TIMEOUT" },
	  "192.0.2.1", NULL, "d.test", NULL, R(TEMPERROR), "a:t.test", 1, 0 },
	{ "exists timeout is temperror", { "d.test TXT \"v=spf1 exists:t.test -all\"",
	    "t.test TIMEOUT" },
	  "192.0.2.1", NULL, "d.test", NULL, R(TEMPERROR), "exists:t.test", 1, 0 },
	{ "an MX host timeout is temperror", { "d.test TXT \"v=spf1 mx -all\"",
	    "d.test MX 0 m.test", "m.test A TIMEOUT" },
	  "192.0.2.1", NULL, "d.test", NULL, R(TEMPERROR), "mx", 1, 0 },
	{ "a matching MX host wins over a failing one", { "d.test TXT \"v=spf1 mx -all\"",
	    "d.test MX 0 m.test", "m.test A TIMEOUT", "d.test MX 5 n.test", "n.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "mx", 1, 0 },
	{ "a PTR timeout is no match", { "d.test TXT \"v=spf1 ptr ?all\"",
	    "1.2.0.192.in-addr.arpa PTR TIMEOUT" },
	  "192.0.2.1", NULL, "d.test", NULL, R(NEUTRAL), "?all", 1, 0 },
	{ "a PTR name's address timeout skips it", { "d.test TXT \"v=spf1 ptr ?all\"",
	    "1.2.0.192.in-addr.arpa PTR a.d.test", "1.2.0.192.in-addr.arpa PTR b.d.test",
	    "a.d.test A TIMEOUT", "b.d.test A 192.0.2.1" },
	  "192.0.2.1", NULL, "d.test", NULL, R(PASS), "ptr", 1, 0 },
	{ "a null MX has no addresses", { "d.test TXT \"v=spf1 mx ?all\"", "d.test MX 0 ." },
	  "192.0.2.1", NULL, "d.test", NULL, R(NEUTRAL), "?all", 1, 0 },
	{ "no loopback shortcut", { "d.test TXT \"v=spf1 -all\"" },
	  "127.0.0.1", NULL, "d.test", NULL, R(FAIL), "-all", 0, 0 },
	{ "no IPv6 loopback shortcut", { "d.test TXT \"v=spf1 -all\"" },
	  "::1", NULL, "d.test", NULL, R(FAIL), "-all", 0, 0 },
};

static void
test_dns_results_and_selection(void **state)
{
	(void)state;
	RUN(dns_cases);
}

/* SERVFAIL (not expressible in a zone line): an added answer seeds the context. */
static void
test_servfail_is_temperror(void **state)
{
	static const struct spf_case c = { "servfail", { "d.test TXT \"v=spf1 mx -all\"" },
	    "192.0.2.1", NULL, "d.test", NULL, R(TEMPERROR), "mx", 1, 0 };
	struct eval_limits lim = { 0, 0 };
	struct eval_ctx *ctx = eval_ctx_new("spf-eval.test", NULL, NULL, &lim);

	(void)state;
	assert_non_null(ctx);
	ans_status(ctx, "d.test", DNS_T_MX, DNS_SERVFAIL);
	run_case(&c, ctx, NULL);
	assert_int_equal(cur_out.result, SPF_R_TEMPERROR);
	assert_string_equal(cur_out.mechanism, "mx");
	assert_non_null(strstr(cur_out.reason, "SERVFAIL"));
	eval_ctx_free(ctx);
}

/* Independent includes share a round: 1 (root) + 1 (all three TXT) + 1 (nested). */
static void
test_independent_lookups_share_rounds(void **state)
{
	static const struct spf_case c = { "rounds",
	    { "d.test TXT \"v=spf1 include:a.test include:b.test include:c.test mx -all\"",
	      "a.test TXT \"v=spf1 ip4:10.0.0.1\"", "b.test TXT \"v=spf1 ip4:10.0.0.2\"",
	      "c.test TXT \"v=spf1 include:e.test\"", "e.test TXT \"v=spf1 ip4:192.0.2.1\"" },
	    "192.0.2.1", NULL, "d.test", NULL, R(PASS), "include:c.test", 4, 0 };
	struct eval_limits lim = { 0, 0 };
	struct eval_ctx *ctx = eval_ctx_new("spf-eval.test", NULL, NULL, &lim);
	struct spf_zone_stats st;

	(void)state;
	assert_non_null(ctx);
	run_case(&c, ctx, &st);
	assert_int_equal(cur_out.result, SPF_R_PASS);
	assert_string_equal(cur_out.mechanism, "include:c.test");
	assert_int_equal(cur_out.lookups, 4);
	print_message("3 includes, 1 nested: %u questions in %u rounds\n", st.questions,
	    st.rounds);
	assert_int_equal(st.rounds, 3);
	eval_ctx_free(ctx);
}

/* 7.3 truncation of a long expansion, checked against a direct reading of the rule. */
static void
test_truncation_of_long_expansions(void **state)
{
	struct spf_case c = { "window", { NULL }, "192.0.2.1", NULL, "d.test", NULL,
	    R(PASS), NULL, ANY, ANY };
	char local[400], full[2000], zone0[200], zone1[300];
	const char *name;
	struct eval_limits lim = { 0, 0 };
	struct eval_ctx *ctx;
	char sender[500];
	size_t i, len;

	(void)state;
	/* a local-part of dotted 3-octet labels: 399 octets; three of them overflow the
	   evaluator's 1024-octet window, so this also checks what the window keeps */
	for (i = 0; i < 100; i++)
		memcpy(local + 4 * i, i < 99 ? "abc." : "abc", i < 99 ? 4 : 4);
	local[399] = '\0';
	snprintf(full, sizeof(full), "%s.%s.%s.end.test", local, local, local);
	len = strlen(full);
	assert_true(len > 1024);
	name = full;
	while (strlen(name) > 253)
		name = strchr(name, '.') + 1;
	snprintf(sender, sizeof(sender), "%s@d.test", local);
	snprintf(zone0, sizeof(zone0), "d.test TXT \"v=spf1 exists:%%{l}.%%{l}.%%{l}.end.test -all\"");
	snprintf(zone1, sizeof(zone1), "%.260s A 127.0.0.2", name);
	c.zone[0] = zone0;
	c.zone[1] = zone1;
	c.sender = sender;
	ctx = eval_ctx_new("spf-eval.test", NULL, NULL, &lim);
	assert_non_null(ctx);
	run_case(&c, ctx, NULL);
	if (cur_out.result != SPF_R_PASS)
		print_error("want %s: got %s (%s)\n", name, spf_result_name(cur_out.result),
		    cur_out.reason);
	assert_int_equal(cur_out.result, SPF_R_PASS);
	assert_true(strlen(name) <= 253 && strlen(name) > 240);
	eval_ctx_free(ctx);
}

/* The result words are the RFC's. */
static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(spf_result_name(SPF_R_NONE), "none");
	assert_string_equal(spf_result_name(SPF_R_NEUTRAL), "neutral");
	assert_string_equal(spf_result_name(SPF_R_PASS), "pass");
	assert_string_equal(spf_result_name(SPF_R_FAIL), "fail");
	assert_string_equal(spf_result_name(SPF_R_SOFTFAIL), "softfail");
	assert_string_equal(spf_result_name(SPF_R_TEMPERROR), "temperror");
	assert_string_equal(spf_result_name(SPF_R_PERMERROR), "permerror");
	assert_string_equal(spf_result_name((enum spf_result)99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macro_expansion_table),
		cmocka_unit_test(test_processing_limits),
		cmocka_unit_test(test_ipv6_and_mapped_clients),
		cmocka_unit_test(test_include_result_table),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_dns_results_and_selection),
		cmocka_unit_test(test_servfail_is_temperror),
		cmocka_unit_test(test_independent_lookups_share_rounds),
		cmocka_unit_test(test_truncation_of_long_expansions),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
