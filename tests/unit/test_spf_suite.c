/*
 * test_spf_suite.c - the SPF check (check_spf.c) on the RFC 7208 test suite's zones.
 *
 * The openspf.org suite (python3-spf's rfc7208-tests.yml) is converted at build time
 * by tests/spf_suite/yml2zone.py into SPF_SUITE_ZONE. Every scenario's zone is loaded
 * into an in-process zone (tests/spf_suite/spf_zone.h: TIMEOUT entries time out,
 * missing names are NXDOMAIN) and check_spf runs, round by round, on the domain of
 * every test. All of them must finish with printable messages, a "none" result must
 * give SPF_NONE; the tests of the table below, the ones about what a posture lint can
 * judge (processing limits, void lookups, loops, syntax, record selection and a few
 * that must pass), must raise the codes named and not the ones said to be absent.
 *
 * The lint judges the worst case (spf_walk.h) where the suite runs one client: so
 * include-at-limit, a "pass" for its client whose first term matches, is 11 lookups
 * for any other client and SPF_TOO_MANY_LOOKUPS here.
 *
 * SPF_SUITE_VERBOSE=1 in the environment prints the findings of every asserted test.
 *
 * A missing suite (python3-spf or python3-yaml not installed) fails the test when the
 * CI variable is set and skips it (exit 77, with the reason) otherwise.
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

#include "check/checks.h"
#include "../spf_suite/spf_zone.h"

#ifndef SPF_SUITE_ZONE
#define SPF_SUITE_ZONE "tests/spf_suite/rfc7208.zone"
#endif

#define END PC_COUNT
#define MUST(...) .must = { __VA_ARGS__, END }
#define NOT(...) .absent = { __VA_ARGS__, END }
#define NONE_OF .absent = { END }

/* What a test of the suite must show, by its id (ids are unique across the suite). */
struct expectation {
	const char *id;
	enum posture_code must[4];	/* END-terminated */
	enum posture_code absent[8];	/* END-terminated */
	enum posture_result result;	/* PR_NOT_CHECKED: not asserted */
	bool seen;
};

#define SYN PC_SPF_SYNTAX
#define ERRORS PC_SPF_SYNTAX, PC_SPF_MULTIPLE, PC_SPF_INCLUDE_LOOP, PC_SPF_INCLUDE_MISSING, \
	PC_SPF_TOO_MANY_LOOKUPS

static struct expectation table[] = {
	/* Initial processing: 7-bit records, term separation (RFC 7208 3.1, 4.6.1) */
	{ "non-ascii-policy", MUST(SYN), NONE_OF },
	{ "non-ascii-mech", MUST(SYN), NONE_OF },
	{ "non-ascii-result", MUST(SYN), NONE_OF },
	{ "non-ascii-non-spf", .must = { END }, NOT(ERRORS) },
	{ "control-char-policy", MUST(SYN), NONE_OF },
	{ "two-spaces", .must = { END }, NOT(ERRORS) },
	{ "trailing-space", .must = { END }, NOT(ERRORS) },
	{ "null-text", MUST(PC_SPF_STRING_BOUNDARY), NOT(ERRORS) },
	{ "badip4", MUST(SYN), NONE_OF },
	/* Record lookup: TXT only; type 99 noted, its failures ignored (RFC 7208 3.1, 4.4) */
	{ "both", MUST(PC_SPF_RR_TYPE99), NOT(PC_SPF_NONE, PC_SPF_MULTIPLE), PR_OK },
	{ "txtonly", .must = { END }, NOT(PC_SPF_NONE, PC_SPF_RR_TYPE99), PR_OK },
	{ "spfonly", MUST(PC_SPF_NONE, PC_SPF_RR_TYPE99), NONE_OF, PR_NONE },
	{ "spftimeout", .must = { END }, NOT(PC_SPF_NONE), PR_OK },
	{ "txttimeout", .must = { END }, NOT(PC_SPF_NONE), PR_TEMPERROR },
	{ "nospftxttimeout", .must = { END }, NOT(PC_SPF_NONE), PR_TEMPERROR },
	{ "alltimeout", .must = { END }, NOT(PC_SPF_NONE), PR_TEMPERROR },
	/* Selecting records (RFC 7208 4.5) */
	{ "nospace1", MUST(PC_SPF_NONE), NONE_OF, PR_NONE },
	{ "empty", MUST(PC_SPF_NO_ALL), NOT(ERRORS) },
	{ "nospace2", MUST(PC_SPF_NO_ALL), NOT(ERRORS) },
	{ "spfoverride", MUST(PC_SPF_RR_TYPE99), NOT(PC_SPF_PASS_ALL, PC_SPF_MULTIPLE) },
	{ "multitxt1", MUST(PC_SPF_MULTIPLE), NONE_OF, PR_BROKEN },
	{ "multitxt2", MUST(PC_SPF_MULTIPLE), NONE_OF, PR_BROKEN },
	{ "multispf1", MUST(PC_SPF_MULTIPLE), NONE_OF, PR_BROKEN },
	{ "multispf2", MUST(PC_SPF_PASS_ALL), NOT(PC_SPF_MULTIPLE) },
	{ "nospf", MUST(PC_SPF_NONE), NONE_OF, PR_NONE },
	{ "case-insensitive", .must = { END }, NOT(ERRORS), PR_OK },
	/* Record evaluation (RFC 7208 4.6, 4.7, 6.1) */
	{ "detect-errors-anywhere", MUST(SYN), NONE_OF, PR_BROKEN },
	{ "modifier-charset-good", .must = { END }, NOT(ERRORS), PR_OK },
	{ "modifier-charset-bad1", MUST(SYN), NONE_OF },
	{ "modifier-charset-bad2", MUST(SYN), NONE_OF },
	{ "redirect-after-mechanisms1", MUST(PC_SPF_REDIRECT_IGNORED), NOT(ERRORS) },
	{ "redirect-after-mechanisms2", .must = { END }, NOT(ERRORS, PC_SPF_NO_ALL), PR_OK },
	{ "default-result", MUST(PC_SPF_NO_ALL), NOT(ERRORS) },
	{ "redirect-is-modifier", MUST(SYN), NONE_OF },
	{ "invalid-domain", MUST(SYN), NONE_OF },
	/* all (RFC 7208 5.1) */
	{ "all-dot", MUST(SYN), NONE_OF },
	{ "all-arg", MUST(SYN), NONE_OF },
	{ "all-cidr", MUST(SYN), NONE_OF },
	{ "all-neutral", MUST(PC_SPF_NEUTRAL_ALL), NOT(ERRORS) },
	{ "all-double", MUST(PC_SPF_PASS_ALL), NOT(SYN) },
	/* ptr (RFC 7208 5.5) */
	{ "ptr-cidr", MUST(SYN), NONE_OF },
	{ "ptr-match-target", MUST(PC_SPF_PTR), NOT(ERRORS) },
	{ "ptr-empty-domain", MUST(SYN), NONE_OF },
	/* a (RFC 7208 5.3, 7.1) */
	{ "a-bad-cidr4", MUST(SYN), NONE_OF },
	{ "a-bad-cidr6", MUST(SYN), NONE_OF },
	{ "a-dual-cidr-ip4-err", MUST(SYN), NONE_OF },
	{ "a-bad-domain", MUST(SYN), NONE_OF },
	{ "a-null", MUST(SYN), NONE_OF },
	{ "a-numeric", MUST(SYN), NONE_OF },
	{ "a-numeric-toplabel", MUST(SYN), NONE_OF },
	{ "a-bad-toplabel", MUST(SYN), NONE_OF },
	{ "a-only-toplabel", MUST(SYN), NONE_OF },
	{ "a-only-toplabel-trailing-dot", MUST(SYN), NONE_OF },
	{ "a-empty-domain", MUST(SYN), NONE_OF },
	{ "a-dash-in-toplabel", .must = { END }, NOT(ERRORS) },
	{ "a-colon-domain", .must = { END }, NOT(ERRORS) },
	{ "a-multi-ip1", .must = { END }, NOT(ERRORS) },
	/* include (RFC 7208 5.2) */
	{ "include-fail", .must = { END }, NOT(ERRORS), PR_OK },
	{ "include-softfail", MUST(PC_SPF_PASS_ALL), NOT(SYN, PC_SPF_INCLUDE_MISSING) },
	{ "include-temperror", .must = { END }, NOT(ERRORS), PR_TEMPERROR },
	{ "include-permerror", MUST(SYN), NOT(PC_SPF_INCLUDE_MISSING) },
	{ "include-syntax-error", MUST(SYN), NONE_OF },
	{ "include-cidr", MUST(SYN), NONE_OF },
	{ "include-none", MUST(PC_SPF_INCLUDE_MISSING), NOT(SYN), PR_BROKEN },
	{ "include-empty-domain", MUST(SYN), NONE_OF },
	/* mx, exists, ip4, ip6 syntax (RFC 7208 5.4, 5.6, 5.7) */
	{ "mx-bad-cidr4", MUST(SYN), NONE_OF },
	{ "mx-bad-cidr6", MUST(SYN), NONE_OF },
	{ "mx-bad-domain", MUST(SYN), NONE_OF },
	{ "mx-null", MUST(SYN), NONE_OF },
	{ "mx-numeric-top-label", MUST(SYN), NONE_OF },
	{ "mx-bad-toplab", MUST(SYN), NONE_OF },
	{ "mx-empty-domain", MUST(SYN), NONE_OF },
	{ "mx-nxdomain", .must = { END }, NOT(ERRORS, PC_SPF_TOO_MANY_VOID_LOOKUPS) },
	{ "exists-empty-domain", MUST(SYN), NONE_OF },
	{ "exists-implicit", MUST(SYN), NONE_OF },
	{ "exists-cidr", MUST(SYN), NONE_OF },
	{ "exists-ip4", .must = { END }, NOT(ERRORS) },
	{ "cidr4-0", MUST(PC_SPF_PASS_ALL), NOT(SYN) },
	{ "cidr4-32", .must = { END }, NOT(ERRORS), PR_OK },
	{ "cidr4-33", MUST(SYN), NONE_OF },
	{ "cidr4-032", MUST(SYN), NONE_OF },
	{ "bare-ip4", MUST(SYN), NONE_OF },
	{ "bad-ip4-port", MUST(SYN), NONE_OF },
	{ "bad-ip4-short", MUST(SYN), NONE_OF },
	{ "ip4-dual-cidr", MUST(SYN), NONE_OF },
	{ "bare-ip6", MUST(SYN), NONE_OF },
	{ "cidr6-129", MUST(SYN), NONE_OF },
	{ "cidr6-bad", MUST(SYN), NONE_OF },
	{ "cidr6-33", MUST(PC_SPF_NO_ALL), NOT(ERRORS) },
	{ "ip6-bad1", MUST(SYN), NONE_OF },
	/* modifiers (RFC 7208 6) */
	{ "redirect-none", MUST(PC_SPF_INCLUDE_MISSING), NOT(SYN), PR_BROKEN },
	{ "redirect-syntax-error", MUST(SYN), NONE_OF },
	{ "invalid-modifier", MUST(SYN), NONE_OF },
	{ "empty-modifier-name", MUST(SYN), NONE_OF },
	{ "exp-twice", MUST(SYN), NONE_OF },
	{ "redirect-empty-domain", MUST(SYN), NONE_OF },
	{ "redirect-twice", MUST(SYN), NONE_OF },
	{ "unknown-modifier-syntax", MUST(SYN), NONE_OF },
	{ "redirect-implicit", .must = { END }, NOT(ERRORS) },
	/* macros (RFC 7208 7) */
	{ "invalid-macro-char", MUST(SYN), NONE_OF },
	{ "invalid-embedded-macro-char", MUST(SYN), NONE_OF },
	{ "invalid-trailing-macro-char", MUST(SYN), NONE_OF },
	{ "undef-macro", MUST(SYN), NONE_OF },
	{ "macro-mania-in-domain", .must = { END },
	  NOT(ERRORS, PC_SPF_MACRO_TERMS, PC_SPF_TOO_MANY_VOID_LOOKUPS) },
	{ "exp-only-macro-char", MUST(SYN), NONE_OF },
	{ "hello-macro", MUST(PC_SPF_MACRO_TERMS), NOT(ERRORS) },
	{ "p-macro-multiple", MUST(PC_SPF_MACRO_TERMS, PC_SPF_NO_ALL), NOT(ERRORS) },
	{ "require-valid-helo", MUST(PC_SPF_MACRO_TERMS), NOT(ERRORS) },
	{ "macro-reverse-split-on-dash", MUST(PC_SPF_MACRO_TERMS), NOT(ERRORS) },
	/* processing limits (RFC 7208 4.6.4) */
	{ "redirect-loop", MUST(PC_SPF_INCLUDE_LOOP), NOT(SYN, PC_SPF_INCLUDE_MISSING), PR_BROKEN },
	{ "include-loop", MUST(PC_SPF_INCLUDE_LOOP), NOT(SYN, PC_SPF_INCLUDE_MISSING), PR_BROKEN },
	{ "mx-limit", MUST(PC_SPF_MX_TOO_MANY_HOSTS), NOT(PC_SPF_TOO_MANY_LOOKUPS), PR_BROKEN },
	{ "ptr-limit", MUST(PC_SPF_PTR), NOT(ERRORS) },
	{ "false-a-limit", .must = { END }, NOT(ERRORS, PC_SPF_LOOKUPS_NEAR_LIMIT), PR_OK },
	{ "mech-at-limit", MUST(PC_SPF_LOOKUPS_NEAR_LIMIT, PC_SPF_PTR), NOT(ERRORS), PR_WEAK },
	{ "mech-over-limit", MUST(PC_SPF_TOO_MANY_LOOKUPS), NOT(PC_SPF_LOOKUPS_NEAR_LIMIT),
	  PR_BROKEN },
	{ "include-at-limit", MUST(PC_SPF_TOO_MANY_LOOKUPS), NOT(SYN), PR_BROKEN },
	{ "include-over-limit", MUST(PC_SPF_TOO_MANY_LOOKUPS), NOT(SYN), PR_BROKEN },
	{ "void-at-limit", MUST(PC_SPF_NEUTRAL_ALL), NOT(ERRORS, PC_SPF_TOO_MANY_VOID_LOOKUPS) },
	{ "void-over-limit", MUST(PC_SPF_TOO_MANY_VOID_LOOKUPS), NOT(PC_SPF_TOO_MANY_LOOKUPS),
	  PR_BROKEN },
};

struct tally {
	unsigned run, passed, asserted, skipped, failed;
};

/* The message of the first finding with code, or "". */
static const char *
message_of(const struct eval_ctx *ctx, enum posture_code code)
{
	const struct posture_finding *f;
	size_t n, i;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++)
		if (f[i].code == code)
			return f[i].message;
	return "";
}

/* The table entry for id, or NULL. */
static struct expectation *
expectation_of(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].id, id) == 0)
			return &table[i];
	return NULL;
}

/* Run one suite test on zone z; print a line for each failure. True when it passed. */
static bool
run_one(const struct spf_zone *z, const char *id, const char *domain, const char *results,
	struct tally *t)
{
	struct eval_limits lim = { 0, 0 };
	struct expectation *ex = expectation_of(id);
	const struct posture_finding *fs;
	struct eval_ctx *ctx;
	char name[256];
	const char *why;
	bool ok = true;
	size_t i, n;

	if (posture_name_normalize(domain, name, sizeof(name), &why) != 0) {
		t->skipped++;	/* no domain to evaluate (literal, empty label, ...) */
		if (ex != NULL) {
			print_error("%s: domain %s not evaluable: %s\n", id, domain, why);
			return false;
		}
		return true;
	}
	ctx = eval_ctx_new(name, NULL, NULL, &lim);
	assert_non_null(ctx);
	t->run++;
	if (spf_zone_run(ctx, z, PF_SPF, check_spf, NULL) != CHECK_DONE) {
		print_error("%s: check_spf did not finish on %s\n", id, name);
		ok = false;
	}
	fs = eval_findings(ctx, &n);
	for (i = 0; i < n; i++) {
		const unsigned char *m = (const unsigned char *)fs[i].message;

		for (; *m; m++)
			if (*m < 0x20 || *m >= 0x7f) {
				print_error("%s: unprintable byte in %s\n", id,
				    posture_code_name(fs[i].code));
				ok = false;
				break;
			}
	}
	if (strcmp(results, "none") == 0 && !eval_has_finding(ctx, PC_SPF_NONE)) {
		print_error("%s: suite result none, SPF_NONE not raised\n", id);
		ok = false;
	}
	if (ex != NULL) {
		if (getenv("SPF_SUITE_VERBOSE") != NULL)
			print_message("%s (%s, suite: %s): spf=%s\n", id, name, results,
			    posture_result_word(eval_family_result(ctx, PF_SPF)));
		ex->seen = true;
		t->asserted++;
		for (i = 0; ex->must[i] != END; i++)
			if (!eval_has_finding(ctx, ex->must[i])) {
				print_error("%s (%s, suite: %s): expected %s raised\n", id, name,
				    results, posture_code_name(ex->must[i]));
				ok = false;
			}
		for (i = 0; ex->absent[i] != END; i++)
			if (eval_has_finding(ctx, ex->absent[i])) {
				print_error("%s (%s, suite: %s): expected %s absent, got: %s\n", id,
				    name, results, posture_code_name(ex->absent[i]),
				    message_of(ctx, ex->absent[i]));
				ok = false;
			}
		if (ex->result != PR_NOT_CHECKED && eval_family_result(ctx, PF_SPF) != ex->result) {
			print_error("%s (%s): expected spf=%s, got %s\n", id, name,
			    posture_result_word(ex->result),
			    posture_result_word(eval_family_result(ctx, PF_SPF)));
			ok = false;
		}
		if (!ok || getenv("SPF_SUITE_VERBOSE") != NULL)
			for (i = 0; i < n; i++)
				print_error("    %s: %s\n", posture_code_name(fs[i].code), fs[i].message);
	}
	eval_ctx_free(ctx);
	if (ok)
		t->passed++;
	else
		t->failed++;
	return ok;
}

/* Read the converted suite and run every test of every scenario. */
static void
test_rfc7208_suite(void **state)
{
	FILE *f = fopen(SPF_SUITE_ZONE, "r");
	struct spf_zone *z = spf_zone_new();
	struct tally t = { 0, 0, 0, 0, 0 };
	char line[8192], id[128], domain[300], results[128];
	const char *why;
	unsigned lineno = 0, tests = 0;
	size_t i;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "scenario ", 9) == 0) {
			spf_zone_clear(z);
		} else if (strncmp(line, "zone ", 5) == 0) {
			if (spf_zone_add(z, line + 5, &why) < 0)
				fail_msg("%s:%u: %s", SPF_SUITE_ZONE, lineno, why);
		} else if (strncmp(line, "test ", 5) == 0) {
			if (sscanf(line + 5, "%127s %299s %127s", id, domain, results) != 3)
				fail_msg("%s:%u: bad test line", SPF_SUITE_ZONE, lineno);
			tests++;
			(void)run_one(z, id, domain, results, &t);
		}
	}
	fclose(f);
	spf_zone_free(z);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!table[i].seen) {
			print_error("table entry %s matches no test of the suite\n", table[i].id);
			t.failed++;
		}
	print_message("RFC 7208 suite: %u tests, %u run (%u without an evaluable domain), "
	    "%u with asserted posture codes; %u passed, %u failed\n", tests, t.run, t.skipped,
	    t.asserted, t.passed, t.failed);
	assert_true(tests >= 150);
	assert_int_equal(t.failed, 0);
}

/* Whether the converted suite is there; its "# missing" reason otherwise. */
static bool
suite_present(char *reason, size_t len)
{
	FILE *f = fopen(SPF_SUITE_ZONE, "r");
	char line[512];
	bool ok;

	if (f == NULL) {
		snprintf(reason, len, "%s not found (not built?)", SPF_SUITE_ZONE);
		return false;
	}
	ok = fgets(line, sizeof(line), f) != NULL && strncmp(line, "# missing", 9) != 0;
	if (!ok)
		snprintf(reason, len, "%s", line);
	fclose(f);
	return ok;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7208_suite),
	};
	char reason[512] = "";

	if (!suite_present(reason, sizeof(reason))) {
		reason[strcspn(reason, "\n")] = '\0';
		if (getenv("CI") != NULL && getenv("CI")[0] != '\0') {
			printf("FAIL: RFC 7208 suite unavailable and CI is set: %s\n", reason);
			return 1;
		}
		printf("SKIP: RFC 7208 suite unavailable: %s\n", reason);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
