/*
 * test_check_dnssec.c - the dnssec and dane families (check_dnssec.c, check_dane.c) on
 * answers built by answers.h, with the AD bit (`secure`) and bogus SERVFAILs set there.
 *
 * dnssec: the states of the resolver (off, not local, not validating), a signed, an
 * unsigned, a partly signed, a bogus domain, failed lookups. dane: one table of two
 * MX hosts' TLSA answers; each case lists the DANE codes that must be raised and
 * every other DANE code must not be, with the result; then the secure-MX rule, the
 * CNAME expansion of the TLSA base name and what is noted for change tracking.
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

#define DOM "example.com"
#define MX1 "mx1.example.com"
#define MX2 "mx2.example.com"
#define TLSA1 "_25._tcp.mx1.example.com"
#define TLSA2 "_25._tcp.mx2.example.com"
#define END PC_COUNT
#define H32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define EE_A "3 1 1 " H32
#define EE_B "3 1 1 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* A context for DOM in the given DNSSEC state, no answers. */
static struct eval_ctx *
new_ctx(enum eval_dnssec state)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);

	assert_non_null(ctx);
	eval_set_dnssec(ctx, state);
	ans_set_secure(false);
	return ctx;
}

/* ---- dnssec ---- */

static void
test_dnssec_off_untrusted_not_validating(void **state)
{
	struct eval_ctx *ctx;
	const char *name;
	uint16_t type;

	(void)state;
	ctx = new_ctx(EVAL_DNSSEC_OFF);
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_NOT_CHECKED);
	assert_false(eval_queued(ctx, 0, &name, &type));	/* nothing asked */
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DANE), PR_NOT_CHECKED);
	eval_ctx_free(ctx);

	ctx = new_ctx(EVAL_DNSSEC_UNTRUSTED);
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_UNKNOWN);
	assert_string_equal(eval_family_fact(ctx, PF_DNSSEC), "resolver not local");
	eval_ctx_free(ctx);

	ctx = new_ctx(EVAL_DNSSEC_NOT_VALIDATING);
	ans_mx(ctx, DOM, "10 " MX1, NULL);
	ans_txt(ctx, DOM, "v=spf1 -all", NULL);
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_UNKNOWN);
	assert_int_equal(eval_family_result(ctx, PF_DANE), PR_UNKNOWN);
	assert_string_equal(eval_family_fact(ctx, PF_DNSSEC), "resolver does not validate");
	assert_string_equal(eval_family_fact(ctx, PF_DANE), "resolver does not validate");
	assert_false(eval_has_finding(ctx, PC_DNSSEC_NONE));
	eval_ctx_free(ctx);
}

static void
test_dnssec_signed(void **state)
{
	struct eval_ctx *ctx = new_ctx(EVAL_DNSSEC_VALIDATING);

	(void)state;
	ans_set_secure(true);
	ans_mx(ctx, DOM, "10 " MX1, NULL);
	ans_status(ctx, DOM, DNS_T_TXT, DNS_NODATA);	/* authenticated denial */
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_OK);
	assert_string_equal(eval_family_fact(ctx, PF_DNSSEC), "signed");
	assert_false(eval_has_finding(ctx, PC_DNSSEC_NONE));
	assert_false(eval_has_finding(ctx, PC_DNSSEC_BOGUS));
	assert_string_equal(noted(ctx, "dnssec"), "signed");
	eval_ctx_free(ctx);
}

static void
test_dnssec_unsigned_and_partly(void **state)
{
	struct eval_ctx *ctx = new_ctx(EVAL_DNSSEC_VALIDATING);
	const struct posture_finding *f;
	size_t n;

	(void)state;
	ans_mx(ctx, DOM, "10 " MX1, NULL);
	ans_txt(ctx, DOM, "v=spf1 -all", NULL);
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DNSSEC_NONE));
	assert_false(eval_has_finding(ctx, PC_DNSSEC_BOGUS));
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_NONE);
	f = eval_findings(ctx, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].severity, SEV_INFO);
	assert_string_equal(noted(ctx, "dnssec"), "unsigned");
	eval_ctx_free(ctx);

	ctx = new_ctx(EVAL_DNSSEC_VALIDATING);
	ans_set_secure(true);
	ans_mx(ctx, DOM, "10 " MX1, NULL);
	ans_set_secure(false);
	ans_txt(ctx, DOM, "v=spf1 -all", NULL);
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DNSSEC_NONE));
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_OK);
	f = eval_findings(ctx, &n);
	assert_non_null(strstr(f[0].message, "TXT answer"));
	eval_ctx_free(ctx);
}

static void
test_dnssec_bogus_and_failures(void **state)
{
	struct eval_ctx *ctx = new_ctx(EVAL_DNSSEC_VALIDATING);
	const struct posture_finding *f;
	size_t n;

	(void)state;
	ans_bogus(ctx, DOM, DNS_T_MX);
	ans_set_secure(true);
	ans_txt(ctx, DOM, "v=spf1 -all", NULL);
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DNSSEC_BOGUS));
	assert_false(eval_has_finding(ctx, PC_DNSSEC_NONE));
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_BROKEN);
	f = eval_findings(ctx, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].severity, SEV_ERROR);
	assert_non_null(strstr(f[0].message, "MX answer"));
	assert_string_equal(noted(ctx, "dnssec"), "bogus");
	/* bogus MX: dane cannot judge, and says why */
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DANE), PR_TEMPERROR);
	assert_string_equal(eval_family_fact(ctx, PF_DANE), "MX bogus");
	eval_ctx_free(ctx);

	/* A SERVFAIL that is not bogus: temperror, nothing raised, nothing noted. */
	ctx = new_ctx(EVAL_DNSSEC_VALIDATING);
	ans_status(ctx, DOM, DNS_T_MX, DNS_SERVFAIL);
	ans_txt(ctx, DOM, "v=spf1 -all", NULL);
	assert_int_equal(eval_run_check(ctx, PF_DNSSEC, check_dnssec), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DNSSEC), PR_TEMPERROR);
	assert_false(eval_has_finding(ctx, PC_DNSSEC_BOGUS));
	assert_false(eval_has_finding(ctx, PC_DNSSEC_NONE));
	assert_null(noted(ctx, "dnssec"));
	eval_ctx_free(ctx);
}

/* ---- dane ---- */

enum tlsa_kind { T_NONE, T_USABLE, T_SINGLE, T_PKIX, T_SYNTAX, T_INSECURE, T_FAIL };

struct dane_case {
	const char *name;
	enum tlsa_kind t1, t2;
	enum posture_code expect[4];	/* END-terminated */
	enum posture_result result;
};

static const enum posture_code dane_codes[] = {
	PC_DANE_NONE, PC_DANE_PARTIAL, PC_DANE_TLSA_INSECURE, PC_DANE_TLSA_USAGE,
	PC_DANE_TLSA_SYNTAX, PC_DANE_ROLLOVER,
};

static const struct dane_case dane_cases[] = {
	{ "both usable", T_USABLE, T_USABLE, { END }, PR_OK },
	{ "none at all", T_NONE, T_NONE, { PC_DANE_NONE, END }, PR_NONE },
	{ "one host without", T_USABLE, T_NONE, { PC_DANE_PARTIAL, END }, PR_WEAK },
	{ "single records", T_SINGLE, T_SINGLE, { PC_DANE_ROLLOVER, END }, PR_OK },
	{ "PKIX usage", T_PKIX, T_USABLE, { PC_DANE_TLSA_USAGE, END }, PR_WEAK },
	{ "bad digest", T_SYNTAX, T_USABLE, { PC_DANE_TLSA_SYNTAX, END }, PR_BROKEN },
	{ "unsigned TLSA", T_INSECURE, T_USABLE, { PC_DANE_TLSA_INSECURE, END }, PR_WEAK },
	{ "lookups failed", T_FAIL, T_FAIL, { END }, PR_TEMPERROR },
	{ "one failed, one usable", T_FAIL, T_USABLE, { END }, PR_OK },
};

/* One host's TLSA answer of a kind. */
static void
tlsa_answer(struct eval_ctx *ctx, const char *name, enum tlsa_kind k)
{
	ans_set_secure(k != T_INSECURE);
	switch (k) {
	case T_NONE:
		ans_status(ctx, name, DNS_T_TLSA, DNS_NXDOMAIN);
		break;
	case T_USABLE:
	case T_INSECURE:
		ans_tlsa(ctx, name, EE_A, EE_B, NULL);
		break;
	case T_SINGLE:
		ans_tlsa(ctx, name, EE_A, NULL);
		break;
	case T_PKIX:
		ans_tlsa(ctx, name, "1 1 1 " H32, NULL);
		break;
	case T_SYNTAX:
		ans_tlsa(ctx, name, EE_A, "3 1 1 0011", NULL);
		break;
	case T_FAIL:
		ans_status(ctx, name, DNS_T_TLSA, DNS_SERVFAIL);
		break;
	}
	ans_set_secure(true);
}

/* A validating context with a secure MX of two hosts and their A answers. */
static struct eval_ctx *
dane_ctx(bool mx_secure)
{
	struct eval_ctx *ctx = new_ctx(EVAL_DNSSEC_VALIDATING);

	ans_set_secure(mx_secure);
	ans_mx(ctx, DOM, "10 " MX1, "20 " MX2, NULL);
	ans_set_secure(true);
	ans_addr(ctx, MX1, DNS_T_A, "192.0.2.1", NULL);
	ans_addr(ctx, MX2, DNS_T_A, "192.0.2.2", NULL);
	return ctx;
}

static void
test_dane_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(dane_cases) / sizeof(dane_cases[0]); i++) {
		const struct dane_case *c = &dane_cases[i];
		struct eval_ctx *ctx = dane_ctx(true);

		tlsa_answer(ctx, TLSA1, c->t1);
		tlsa_answer(ctx, TLSA2, c->t2);
		if (eval_run_check(ctx, PF_DANE, check_dane) != CHECK_DONE)
			fail_msg("%s: pending with every answer present", c->name);
		for (k = 0; k < sizeof(dane_codes) / sizeof(dane_codes[0]); k++) {
			bool want = false;
			size_t j;

			for (j = 0; c->expect[j] != END; j++)
				want |= c->expect[j] == dane_codes[k];
			if (eval_has_finding(ctx, dane_codes[k]) != want)
				fail_msg("%s: %s %s", c->name, posture_code_name(dane_codes[k]),
				    want ? "not raised" : "raised but must not be");
		}
		if (eval_family_result(ctx, PF_DANE) != c->result)
			fail_msg("%s: result %s, expected %s", c->name,
			    posture_result_word(eval_family_result(ctx, PF_DANE)),
			    posture_result_word(c->result));
		eval_ctx_free(ctx);
	}
}

static void
test_dane_needs_a_secure_mx(void **state)
{
	struct eval_ctx *ctx = dane_ctx(false);
	const char *name;
	uint16_t type;

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DANE), PR_UNKNOWN);
	assert_string_equal(eval_family_fact(ctx, PF_DANE), "MX not signed");
	assert_false(eval_queued(ctx, 0, &name, &type));	/* no TLSA asked */
	eval_ctx_free(ctx);
}

static void
test_dane_rounds_and_notes(void **state)
{
	struct eval_ctx *ctx = dane_ctx(true);
	const char *name;
	uint16_t type;
	size_t i;

	(void)state;
	/* Both hosts' TLSA are asked in the same run. */
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_PENDING);
	for (i = 0; eval_queued(ctx, i, &name, &type); i++)
		assert_int_equal(type, DNS_T_TLSA);
	assert_int_equal(i, 2);
	tlsa_answer(ctx, TLSA1, T_USABLE);
	tlsa_answer(ctx, TLSA2, T_NONE);
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_DONE);
	assert_string_equal(eval_family_fact(ctx, PF_DANE), "1/2 hosts");
	assert_string_equal(noted(ctx, "tlsa:" MX1), EE_A " | " EE_B);
	assert_string_equal(noted(ctx, "tlsa:" MX2), "");
	eval_ctx_free(ctx);
}

static void
test_dane_cname_expansion(void **state)
{
	struct eval_ctx *ctx = new_ctx(EVAL_DNSSEC_VALIDATING);

	(void)state;
	ans_set_secure(true);
	ans_mx(ctx, DOM, "10 " MX1, NULL);
	ans_addr_cname(ctx, MX1, DNS_T_A, "real.example.net", "192.0.2.1", NULL);
	tlsa_answer(ctx, TLSA1, T_NONE);
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_PENDING);
	/* The expanded name's records are the ones used (RFC 7672 2.2.2). */
	tlsa_answer(ctx, "_25._tcp.real.example.net", T_SINGLE);
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DANE_ROLLOVER));
	assert_false(eval_has_finding(ctx, PC_DANE_NONE));
	eval_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnssec_off_untrusted_not_validating),
		cmocka_unit_test(test_dnssec_signed),
		cmocka_unit_test(test_dnssec_unsigned_and_partly),
		cmocka_unit_test(test_dnssec_bogus_and_failures),
		cmocka_unit_test(test_dane_table),
		cmocka_unit_test(test_dane_needs_a_secure_mx),
		cmocka_unit_test(test_dane_rounds_and_notes),
		cmocka_unit_test(test_dane_cname_expansion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
