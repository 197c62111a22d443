/*
 * test_check_spf.c - the SPF family (check_spf.c, spf_walk.c) on in-process zones.
 *
 * One table of scenarios: each is a small zone (tests/spf_suite/spf_zone.h lines), the
 * SPF codes that must be raised, the family result and words the first expected
 * finding must contain; every other SPF code must NOT be raised, so each code is
 * tested both ways. Checks run to completion the way the driver runs them: each
 * pending run's questions are answered in one batch, so questions and rounds are
 * counted. Then the bounds (a 10 x 10 include tree, a deep chain, a wide record, a
 * small query budget), the rounds, failures of the top-level lookups, and answers
 * seeded directly with answers.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"
#include "check/checks.h"
#include "noted.h"
#include "../spf_suite/spf_zone.h"

#define DOM "example.com"
#define END PC_COUNT
#define EXPECT(...) .expect = { __VA_ARGS__, END }
#define NOTHING .expect = { END }
#define ZONE(...) .zone = { __VA_ARGS__, NULL }

static const enum posture_code spf_codes[] = {
	PC_SPF_NONE, PC_SPF_MULTIPLE, PC_SPF_SYNTAX, PC_SPF_TOO_MANY_LOOKUPS,
	PC_SPF_LOOKUPS_NEAR_LIMIT, PC_SPF_TOO_MANY_VOID_LOOKUPS, PC_SPF_MX_TOO_MANY_HOSTS,
	PC_SPF_PASS_ALL, PC_SPF_NEUTRAL_ALL, PC_SPF_NO_ALL, PC_SPF_PTR, PC_SPF_INCLUDE_LOOP,
	PC_SPF_INCLUDE_MISSING, PC_SPF_REDIRECT_IGNORED, PC_SPF_STRING_BOUNDARY,
	PC_SPF_RECORD_TOO_LONG, PC_SPF_RR_TYPE99, PC_SPF_SENDERID, PC_SPF_MACRO_TERMS,
};

struct spf_case {
	const char *name;
	const char *zone[16];		/* NULL-terminated zone lines */
	enum posture_code expect[4];	/* END-terminated */
	enum posture_result result;
	const char *words[3];		/* the first expected finding (or the fact) contains */
	const char *fact;		/* the fact, when given */
};

#define MX_OK "example.com MX 10 mx1.example.com"
#define LONG_IP4S "ip4:192.0.2.1 ip4:192.0.2.2 ip4:192.0.2.3 ip4:192.0.2.4 ip4:192.0.2.5 " \
	"ip4:192.0.2.6 ip4:192.0.2.7 ip4:192.0.2.8 ip4:192.0.2.9 ip4:192.0.2.10 "

static const struct spf_case cases[] = {
	{ "clean record", ZONE("example.com TXT \"v=spf1 ip4:192.0.2.0/24 mx -all\"", MX_OK),
	  NOTHING, .result = PR_OK, .fact = "1 lookup, -all" },
	{ "clean include and redirect chain",
	  ZONE("example.com TXT \"v=spf1 include:a.example.net redirect=_spf.example.com\"",
	       "a.example.net TXT \"v=spf1 a mx -all\"", "a.example.net A 192.0.2.1",
	       "a.example.net MX 10 mx.a.example.net",
	       "_spf.example.com TXT \"v=spf1 ip6:2001:db8::/32 ~all\""),
	  NOTHING, .result = PR_OK, .fact = "4 lookups, ~all" },
	{ "no SPF record among TXT", ZONE("example.com TXT \"google-site-verification=x\""),
	  EXPECT(PC_SPF_NONE), .result = PR_NONE, .words = { "no SPF record", DOM, "4.5" },
	  .fact = "no record" },
	{ "domain does not exist", ZONE("other.example TXT \"v=spf1 -all\""),
	  EXPECT(PC_SPF_NONE), .result = PR_NONE, .words = { "does not exist" } },
	{ "two SPF records", ZONE("example.com TXT \"v=spf1 -all\"",
	  "example.com TXT \"v=spf1 mx -all\""), EXPECT(PC_SPF_MULTIPLE), .result = PR_BROKEN,
	  .words = { "2 SPF records", "4.5" } },
	{ "syntax error", ZONE("example.com TXT \"v=spf1 ip4:192.0.2.300 -all\""),
	  EXPECT(PC_SPF_SYNTAX), .result = PR_BROKEN, .words = { "ip4:192.0.2.300", "permerror" } },
	{ "syntax error in an included record",
	  ZONE("example.com TXT \"v=spf1 include:inc.example.net -all\"",
	       "inc.example.net TXT \"v=spf1 foo:bar -all\""),
	  EXPECT(PC_SPF_SYNTAX), .result = PR_BROKEN, .words = { "include:inc.example.net", "foo:bar" } },
	{ "eleven lookups",
	  ZONE("example.com TXT \"v=spf1 a:h1.example.com a:h2.example.com a:h3.example.com "
	       "a:h4.example.com a:h5.example.com a:h6.example.com include:i.example.net -all\"",
	       "i.example.net TXT \"v=spf1 a:h7.example.com a:h8.example.com mx:h9.example.com "
	       "exists:h10.example.com ?all\"",
	       "h1.example.com A 192.0.2.1", "h2.example.com A 192.0.2.1",
	       "h3.example.com A 192.0.2.1", "h4.example.com A 192.0.2.1",
	       "h5.example.com A 192.0.2.1", "h6.example.com A 192.0.2.1"),
	  EXPECT(PC_SPF_TOO_MANY_LOOKUPS), .result = PR_BROKEN,
	  .words = { "11 DNS lookups", "limit 10", "RFC 7208 4.6.4" }, .fact = "more than 10 lookups" },
	{ "nine lookups",
	  ZONE("example.com TXT \"v=spf1 a mx include:i.example.net -all\"", MX_OK,
	       "example.com A 192.0.2.1",
	       "i.example.net TXT \"v=spf1 a:h1.example.com a:h2.example.com a:h3.example.com "
	       "a:h4.example.com a:h5.example.com a:h6.example.com ~all\"",
	       "h1.example.com A 192.0.2.1", "h2.example.com A 192.0.2.1",
	       "h3.example.com A 192.0.2.1", "h4.example.com A 192.0.2.1",
	       "h5.example.com A 192.0.2.1", "h6.example.com AAAA 2001:db8::1"),
	  EXPECT(PC_SPF_LOOKUPS_NEAR_LIMIT), .result = PR_WEAK, .words = { "9 DNS lookups" },
	  .fact = "9 lookups, -all" },
	{ "three void lookups",
	  ZONE("example.com TXT \"v=spf1 a:nx1.example.com mx:nx2.example.com "
	       "a:nodata.example.com -all\"", "nodata.example.com TXT \"x\""),
	  EXPECT(PC_SPF_TOO_MANY_VOID_LOOKUPS), .result = PR_BROKEN,
	  .words = { "3 void lookups", "a:nx1.example.com NXDOMAIN", "limit 2" } },
	{ "eleven MX names",
	  ZONE("example.com TXT \"v=spf1 mx -all\"", "example.com MX 1 m1.example.com",
	       "example.com MX 2 m2.example.com", "example.com MX 3 m3.example.com",
	       "example.com MX 4 m4.example.com", "example.com MX 5 m5.example.com",
	       "example.com MX 6 m6.example.com", "example.com MX 7 m7.example.com",
	       "example.com MX 8 m8.example.com", "example.com MX 9 m9.example.com",
	       "example.com MX 10 m10.example.com", "example.com MX 11 m11.example.com"),
	  EXPECT(PC_SPF_MX_TOO_MANY_HOSTS), .result = PR_BROKEN, .words = { "returns 11 names" } },
	{ "+all", ZONE("example.com TXT \"v=spf1 mx +all\"", MX_OK), EXPECT(PC_SPF_PASS_ALL),
	  .result = PR_BROKEN, .words = { "+all", "every host" } },
	{ "ip4:0.0.0.0/0", ZONE("example.com TXT \"v=spf1 ip4:0.0.0.0/0 -all\""),
	  EXPECT(PC_SPF_PASS_ALL), .result = PR_BROKEN, .words = { "ip4:0.0.0.0/0" } },
	{ "include of a record that passes everyone",
	  ZONE("example.com TXT \"v=spf1 include:lax.example.net -all\"",
	       "lax.example.net TXT \"v=spf1 +all\""),
	  EXPECT(PC_SPF_PASS_ALL), .result = PR_BROKEN, .words = { "include:lax.example.net" } },
	{ "?all", ZONE("example.com TXT \"v=spf1 mx ?all\"", MX_OK), EXPECT(PC_SPF_NEUTRAL_ALL),
	  .result = PR_WEAK, .words = { "?all", "8.2" } },
	{ "no all", ZONE("example.com TXT \"v=spf1 ip4:192.0.2.1\""), EXPECT(PC_SPF_NO_ALL),
	  .result = PR_WEAK, .words = { "no all", "4.7" }, .fact = "0 lookups, no all" },
	{ "redirect to a record without all",
	  ZONE("example.com TXT \"v=spf1 redirect=_spf.example.com\"",
	       "_spf.example.com TXT \"v=spf1 ip4:192.0.2.1\""),
	  EXPECT(PC_SPF_NO_ALL), .result = PR_WEAK, .words = { "redirect=_spf.example.com" } },
	{ "ptr", ZONE("example.com TXT \"v=spf1 ptr -all\""), EXPECT(PC_SPF_PTR),
	  .result = PR_WEAK, .words = { "1 ptr term", "5.5" } },
	{ "include loop",
	  ZONE("example.com TXT \"v=spf1 include:a.example.net -all\"",
	       "a.example.net TXT \"v=spf1 include:b.example.net -all\"",
	       "b.example.net TXT \"v=spf1 include:example.com -all\""),
	  EXPECT(PC_SPF_INCLUDE_LOOP), .result = PR_BROKEN,
	  .words = { "example.com -> include:a.example.net -> include:b.example.net -> "
		     "include:example.com" } },
	{ "redirect to itself",
	  ZONE("example.com TXT \"v=spf1 ip4:192.0.2.1 redirect=example.com\""),
	  EXPECT(PC_SPF_INCLUDE_LOOP), .result = PR_BROKEN, .words = { "redirect=example.com" } },
	{ "include target does not exist",
	  ZONE("example.com TXT \"v=spf1 include:gone.example.net -all\""),
	  EXPECT(PC_SPF_INCLUDE_MISSING), .result = PR_BROKEN,
	  .words = { "gone.example.net has no SPF record (NXDOMAIN)", "5.2" } },
	{ "redirect target without SPF record",
	  ZONE("example.com TXT \"v=spf1 redirect=_spf.example.com\"",
	       "_spf.example.com TXT \"hello\""),
	  EXPECT(PC_SPF_INCLUDE_MISSING), .result = PR_BROKEN, .words = { "6.1" } },
	{ "two records at an include target",
	  ZONE("example.com TXT \"v=spf1 include:two.example.net -all\"",
	       "two.example.net TXT \"v=spf1 -all\"", "two.example.net TXT \"v=spf1 ~all\""),
	  EXPECT(PC_SPF_MULTIPLE), .result = PR_BROKEN, .words = { "two.example.net" } },
	{ "redirect next to all",
	  ZONE("example.com TXT \"v=spf1 -all redirect=_spf.example.com\""),
	  EXPECT(PC_SPF_REDIRECT_IGNORED), .result = PR_WEAK,
	  .words = { "redirect=_spf.example.com", "-all", "6.1" }, .fact = "0 lookups, -all" },
	{ "term across a string boundary",
	  ZONE("example.com TXT \"v=spf1 include:_spf.exa\" \"mple.com -all\"",
	       "_spf.example.com TXT \"v=spf1 -all\""),
	  EXPECT(PC_SPF_STRING_BOUNDARY), .result = PR_WEAK, .words = { "byte 7", "3.3" } },
	{ "record over 450 bytes",
	  ZONE("example.com TXT \"v=spf1 " LONG_IP4S "\" \"" LONG_IP4S "\" \"" LONG_IP4S
	       "\" \"" LONG_IP4S " -all\""),
	  EXPECT(PC_SPF_RECORD_TOO_LONG), .result = PR_WEAK, .words = { "over 450", "3.4" } },
	{ "type 99 record too", ZONE("example.com TXT \"v=spf1 -all\"",
	  "example.com SPF \"v=spf1 -all\""), EXPECT(PC_SPF_RR_TYPE99), .result = PR_OK,
	  .words = { "type 99", "3.1" } },
	{ "type 99 record only", ZONE("example.com SPF \"v=spf1 -all\""),
	  EXPECT(PC_SPF_NONE, PC_SPF_RR_TYPE99), .result = PR_NONE },
	{ "Sender ID record", ZONE("example.com TXT \"v=spf1 -all\"",
	  "example.com TXT \"spf2.0/mfrom,pra -all\""), EXPECT(PC_SPF_SENDERID),
	  .result = PR_OK, .words = { "spf2.0", "RFC 6686" } },
	{ "macro terms", ZONE("example.com TXT \"v=spf1 exists:%{i}._spf.example.com "
	  "include:%{l1r+}._u.example.com -all\""), EXPECT(PC_SPF_MACRO_TERMS),
	  .result = PR_OK, .words = { "2 terms", "exists:%{i}._spf.example.com", "RFC 7208 7" } },
	{ "terms after all are not counted",
	  ZONE("example.com TXT \"v=spf1 -all a:h1.example.com a:h2.example.com "
	       "a:h3.example.com a:h4.example.com a:h5.example.com a:h6.example.com "
	       "a:h7.example.com a:h8.example.com a:h9.example.com a:h10.example.com "
	       "a:h11.example.com\""),
	  NOTHING, .result = PR_OK, .fact = "0 lookups, -all" },
	{ "include lookup timed out",
	  ZONE("example.com TXT \"v=spf1 include:slow.example.net -all\"",
	       "slow.example.net TIMEOUT"),
	  NOTHING, .result = PR_TEMPERROR, .fact = "TXT timeout of slow.example.net" },
	{ "type 99 timeout is ignored",
	  ZONE("example.com TXT \"v=spf1 -all\"", "example.com TIMEOUT"),
	  NOTHING, .result = PR_OK },
	{ "top TXT timeout", ZONE("example.com SPF \"v=spf1 -all\"", "example.com TIMEOUT"),
	  NOTHING, .result = PR_TEMPERROR, .fact = "TXT lookup timeout" },
};

/* The message of the first finding with code, or NULL. */
static const char *
finding_message(const struct eval_ctx *ctx, enum posture_code code)
{
	const struct posture_finding *f;
	size_t n, i;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++)
		if (f[i].code == code)
			return f[i].message;
	return NULL;
}

/* A context for DOM with the default limits, or max_queries. */
static struct eval_ctx *
new_ctx(unsigned max_queries)
{
	struct eval_limits lim = { max_queries, 0 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);

	assert_non_null(ctx);
	return ctx;
}

/* Load zone lines. */
static void
load_zone(struct spf_zone *z, const char *const *lines)
{
	const char *why = NULL;
	size_t i;

	for (i = 0; lines[i] != NULL; i++) {
		if (spf_zone_add(z, lines[i], &why) < 0)
			fail_msg("zone line \"%s\": %s", lines[i], why);
	}
}

/* Every case of the table: expected codes raised, all other SPF codes absent. */
static void
test_table(void **state)
{
	size_t i, j, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spf_case *c = &cases[i];
		struct spf_zone *z = spf_zone_new();
		struct eval_ctx *ctx = new_ctx(0);
		const struct posture_finding *fs;
		const char *msg;
		size_t nf;

		print_message("case: %s\n", c->name);
		load_zone(z, c->zone);
		assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, NULL), CHECK_DONE);
		fs = eval_findings(ctx, &nf);
		for (j = 0; j < nf; j++)
			print_message("  %s %s: %s\n", posture_code_name(fs[j].code),
			    posture_severity_word(fs[j].severity), fs[j].message);
		for (j = 0; j < sizeof(spf_codes) / sizeof(spf_codes[0]); j++) {
			bool want = false;

			for (k = 0; c->expect[k] != END; k++)
				if (c->expect[k] == spf_codes[j])
					want = true;
			if (eval_has_finding(ctx, spf_codes[j]) != want)
				fail_msg("%s: %s expected %s, got %s (%s)", c->name,
				    posture_code_name(spf_codes[j]), want ? "raised" : "absent",
				    want ? "absent" : "raised",
				    want ? "" : finding_message(ctx, spf_codes[j]));
		}
		assert_int_equal(eval_family_result(ctx, PF_SPF), c->result);
		msg = c->expect[0] != END ? finding_message(ctx, c->expect[0]) : NULL;
		for (k = 0; k < 3 && c->words[k] != NULL; k++)
			if (msg == NULL || strstr(msg, c->words[k]) == NULL)
				fail_msg("%s: message \"%s\" lacks \"%s\"", c->name,
				    msg ? msg : "(none)", c->words[k]);
		if (c->fact != NULL && strcmp(spf_zone_last_fact(), c->fact) != 0)
			fail_msg("%s: fact \"%s\", expected \"%s\"", c->name, spf_zone_last_fact(),
			    c->fact);
		spf_zone_free(z);
		eval_ctx_free(ctx);
	}
}

/* Zone lines of an include tree: DOM includes t0..t(w-1), each includes w leaves. */
static struct spf_zone *
tree_zone(unsigned width, unsigned depth_two)
{
	struct spf_zone *z = spf_zone_new();
	char line[4096];
	const char *why;
	size_t o;
	unsigned i, j;

	o = (size_t)snprintf(line, sizeof(line), "example.com TXT \"v=spf1");
	for (i = 0; i < width; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, " include:t%u.example.net", i);
	snprintf(line + o, sizeof(line) - o, " -all\"");
	assert_int_equal(spf_zone_add(z, line, &why), 0);
	for (i = 0; i < width; i++) {
		o = (size_t)snprintf(line, sizeof(line), "t%u.example.net TXT \"v=spf1", i);
		for (j = 0; j < depth_two; j++)
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " include:l%u-%u.example.net", i, j);
		snprintf(line + o, sizeof(line) - o, " ~all\"");
		assert_int_equal(spf_zone_add(z, line, &why), 0);
		for (j = 0; j < depth_two; j++) {
			snprintf(line, sizeof(line), "l%u-%u.example.net TXT \"v=spf1 a mx ~all\"",
			    i, j);
			assert_int_equal(spf_zone_add(z, line, &why), 0);
		}
	}
	return z;
}

/* A 10 x 10 include tree (110 records) costs the root's 2 queries plus 10. */
static void
test_tree_10x10_is_bounded(void **state)
{
	struct spf_zone *z = tree_zone(10, 10);
	struct eval_ctx *ctx = new_ctx(0);
	struct spf_zone_stats st;
	const char *msg;

	(void)state;
	assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, &st), CHECK_DONE);
	print_message("10x10 include tree: %u questions in %u rounds\n", st.questions, st.rounds);
	assert_true(eval_has_finding(ctx, PC_SPF_TOO_MANY_LOOKUPS));
	assert_false(eval_has_finding(ctx, PC_SPF_LOOKUPS_NEAR_LIMIT));
	assert_int_equal(eval_family_result(ctx, PF_SPF), PR_BROKEN);
	assert_int_equal(st.questions, 12);	/* TXT + type 99 of the root, 10 includes */
	assert_int_equal(st.rounds, 2);
	msg = finding_message(ctx, PC_SPF_TOO_MANY_LOOKUPS);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "more than 10"));
	spf_zone_free(z);
	eval_ctx_free(ctx);
}

/* The same tree within a budget of 5 queries: still a permerror, never a 6th query. */
static void
test_tree_within_small_budget(void **state)
{
	struct spf_zone *z = tree_zone(10, 10);
	struct eval_ctx *ctx = new_ctx(5);
	struct spf_zone_stats st;

	(void)state;
	assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, &st), CHECK_DONE);
	assert_true(st.questions <= 5);
	assert_true(eval_has_finding(ctx, PC_SPF_TOO_MANY_LOOKUPS));
	assert_int_equal(eval_family_result(ctx, PF_SPF), PR_BROKEN);
	spf_zone_free(z);
	eval_ctx_free(ctx);
}

/* Budget reached on an include of a clean record: temperror, not a guess. */
static void
test_budget_on_include_is_temperror(void **state)
{
	struct spf_zone *z = tree_zone(3, 0);
	struct eval_ctx *ctx = new_ctx(3);
	struct spf_zone_stats st;

	(void)state;
	assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, &st), CHECK_DONE);
	assert_int_equal(st.questions, 3);
	assert_int_equal(eval_family_result(ctx, PF_SPF), PR_TEMPERROR);
	assert_false(eval_has_finding(ctx, PC_SPF_INCLUDE_MISSING));
	spf_zone_free(z);
	eval_ctx_free(ctx);
}

/* A chain of 30 nested includes stops once the count passes 10. */
static void
test_deep_chain_is_bounded(void **state)
{
	struct spf_zone *z = spf_zone_new();
	struct eval_ctx *ctx = new_ctx(0);
	struct spf_zone_stats st;
	char line[256];
	const char *why;
	unsigned i;

	(void)state;
	assert_int_equal(spf_zone_add(z, "example.com TXT \"v=spf1 include:c0.example.net -all\"",
	    &why), 0);
	for (i = 0; i < 30; i++) {
		snprintf(line, sizeof(line), "c%u.example.net TXT \"v=spf1 include:c%u.example.net "
		    "-all\"", i, i + 1);
		assert_int_equal(spf_zone_add(z, line, &why), 0);
	}
	assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, &st), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_SPF_TOO_MANY_LOOKUPS));
	assert_true(st.questions <= 12);
	assert_true(st.rounds <= 11);
	spf_zone_free(z);
	eval_ctx_free(ctx);
}

/* Thirty includes in the domain's own record: nothing beyond round 1 is asked. */
static void
test_wide_record_asks_nothing_more(void **state)
{
	struct spf_zone *z = tree_zone(30, 0);
	struct eval_ctx *ctx = new_ctx(0);
	struct spf_zone_stats st;
	const char *msg;

	(void)state;
	assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, &st), CHECK_DONE);
	assert_int_equal(st.questions, 2);
	assert_int_equal(st.rounds, 1);
	msg = finding_message(ctx, PC_SPF_TOO_MANY_LOOKUPS);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "at least 30"));
	spf_zone_free(z);
	eval_ctx_free(ctx);
}

/* Round 1 asks TXT and type 99; round 2 every include target and a/mx lookup at once. */
static void
test_rounds_follow_tree_depth(void **state)
{
	static const char *const zone[] = {
		"example.com TXT \"v=spf1 a mx include:a.example.net include:b.example.net -all\"",
		"example.com A 192.0.2.1", MX_OK,
		"a.example.net TXT \"v=spf1 include:c.example.net -all\"",
		"b.example.net TXT \"v=spf1 ip4:192.0.2.2 -all\"",
		"c.example.net TXT \"v=spf1 ip4:192.0.2.3 -all\"", NULL,
	};
	struct spf_zone *z = spf_zone_new();
	struct eval_ctx *ctx = new_ctx(0);
	struct spf_zone_stats st;

	(void)state;
	load_zone(z, zone);
	assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, &st), CHECK_DONE);
	/* TXT+SPF; TXT a, TXT b, A, MX; TXT c */
	assert_int_equal(st.rounds, 3);
	assert_int_equal(st.questions, 7);
	assert_int_equal(eval_family_result(ctx, PF_SPF), PR_OK);
	spf_zone_free(z);
	eval_ctx_free(ctx);
}

/* Answers seeded with answers.h: pending until both TXT and type 99 are known. */
static void
test_seeded_answers(void **state)
{
	struct eval_ctx *ctx = new_ctx(0);

	(void)state;
	ans_txt(ctx, DOM, "v=spf1 ip4:192.0.2.1 -all", NULL);
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_PENDING);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_SPF), PR_OK);
	eval_ctx_free(ctx);

	ctx = new_ctx(0);
	ans_txt_split(ctx, DOM, "v=spf1 ip4:192.0.2.1 ", "-all", NULL);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_DONE);
	assert_false(eval_has_finding(ctx, PC_SPF_STRING_BOUNDARY));
	eval_ctx_free(ctx);
}

/* Failures of the domain's own TXT lookup: temperror (unknown for a local error). */
static void
test_top_lookup_failures(void **state)
{
	static const struct { enum dns_status st; enum posture_result res; } f[] = {
		{ DNS_SERVFAIL, PR_TEMPERROR }, { DNS_TIMEOUT, PR_TEMPERROR },
		{ DNS_REFUSED, PR_TEMPERROR }, { DNS_BUDGET, PR_TEMPERROR },
		{ DNS_MALFORMED, PR_TEMPERROR }, { DNS_ERROR, PR_UNKNOWN },
	};
	struct eval_ctx *ctx;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		ctx = new_ctx(0);
		ans_status(ctx, DOM, DNS_T_TXT, f[i].st);
		ans_status(ctx, DOM, DNS_T_SPF, DNS_NODATA);
		assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_DONE);
		assert_int_equal(eval_family_result(ctx, PF_SPF), f[i].res);
		eval_findings(ctx, &n);
		assert_int_equal(n, 0);
		eval_ctx_free(ctx);
	}
}

/* Hostile records: control bytes, huge names, junk: findings, never a crash. */
static void
test_hostile_records(void **state)
{
	static const char *const zones[][3] = {
		{ "example.com TXT \"v=spf1 include:\\x00\\x01\\xff.example.net -all\"", NULL },
		{ "example.com TXT \"v=spf1 a:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  ".example.com -all\"", NULL },
		{ "example.com TXT \"v=spf1 redirect=%{d}.x redirect=y.example.net\"", NULL },
		{ "example.com TXT \"v=spf1\" \"\" \" \"", NULL },
		{ "example.com TXT \"\\xc2\\x96v=spf1 -all\"", NULL },
		{ "example.com TXT \"v=spf1 include:example.com include:example.com\"", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct spf_zone *z = spf_zone_new();
		struct eval_ctx *ctx = new_ctx(0);
		const struct posture_finding *fs;
		size_t n, j;

		load_zone(z, zones[i]);
		assert_int_equal(spf_zone_run(ctx, z, PF_SPF, check_spf, NULL), CHECK_DONE);
		fs = eval_findings(ctx, &n);
		for (j = 0; j < n; j++) {
			const unsigned char *m = (const unsigned char *)fs[j].message;

			for (; *m; m++)
				assert_true(*m >= 0x20 && *m < 0x7f);
		}
		spf_zone_free(z);
		eval_ctx_free(ctx);
	}
}

/* The domain's own v=spf1 records are noted, strings joined, sorted; none is "". */
static void
test_spf_record_noted(void **state)
{
	struct eval_ctx *ctx = new_ctx(0);

	(void)state;
	ans_txt_split(ctx, DOM, "v=spf1 ip4:192.0.2.1", "  include:b.example.net -all", NULL);
	ans_txt(ctx, "b.example.net", "v=spf1 ip4:198.51.100.0/24 -all", NULL);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_DONE);
	assert_int_equal(noted_count(ctx), 1);		/* not the included record */
	assert_string_equal(noted(ctx, "spf"),
	    "v=spf1 ip4:192.0.2.1  include:b.example.net -all");
	eval_ctx_free(ctx);

	/* two records (SPF_MULTIPLE), other TXT records left out */
	ctx = new_ctx(0);
	ans_txt(ctx, DOM, "v=spf1 mx -all", "google-site-verification=x", "v=spf1 a ~all",
	    "spf2.0/pra -all", NULL);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_SPF_MULTIPLE));
	assert_string_equal(noted(ctx, "spf"), "v=spf1 a ~all | v=spf1 mx -all");
	eval_ctx_free(ctx);

	ctx = new_ctx(0);
	ans_txt(ctx, DOM, "google-site-verification=x", NULL);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_DONE);
	assert_string_equal(noted(ctx, "spf"), "");
	eval_ctx_free(ctx);

	ctx = new_ctx(0);
	ans_status(ctx, DOM, DNS_T_TXT, DNS_NXDOMAIN);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_spf), CHECK_DONE);
	assert_string_equal(noted(ctx, "spf"), "");
	eval_ctx_free(ctx);
}

/* The domain's TXT lookup fails. */
static struct eval_ctx *
txt_fails(enum dns_status st)
{
	struct eval_ctx *ctx = new_ctx(0);

	ans_status(ctx, DOM, DNS_T_TXT, st);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NODATA);
	return ctx;
}

/* An include's TXT lookup fails. */
static struct eval_ctx *
include_fails(enum dns_status st)
{
	struct eval_ctx *ctx = new_ctx(0);

	ans_txt(ctx, DOM, "v=spf1 include:slow.example.net -all", NULL);
	ans_status(ctx, DOM, DNS_T_SPF, DNS_NODATA);
	ans_status(ctx, "slow.example.net", DNS_T_TXT, st);
	return ctx;
}

/* A failed TXT lookup at the domain notes nothing; one at an include changes nothing. */
static void
test_spf_failure_notes_nothing(void **state)
{
	(void)state;
	assert_failure_notes(txt_fails, PF_SPF, check_spf, "spf", NULL);
	assert_failure_notes(include_fails, PF_SPF, check_spf, "spf",
	    "v=spf1 include:slow.example.net -all");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_tree_10x10_is_bounded),
		cmocka_unit_test(test_tree_within_small_budget),
		cmocka_unit_test(test_budget_on_include_is_temperror),
		cmocka_unit_test(test_deep_chain_is_bounded),
		cmocka_unit_test(test_wide_record_asks_nothing_more),
		cmocka_unit_test(test_rounds_follow_tree_depth),
		cmocka_unit_test(test_seeded_answers),
		cmocka_unit_test(test_top_lookup_failures),
		cmocka_unit_test(test_hostile_records),
		cmocka_unit_test(test_spf_record_noted),
		cmocka_unit_test(test_spf_failure_notes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
