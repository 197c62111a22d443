/*
 * test_eval.c - the evaluation driver: queueing, budget, pending runs, results, grade.
 *
 * Checks here are small functions written for the test; the answer table is filled
 * by hand (tests/unit/answers.h), no resolver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"
#include "check/checks.h"
#include "eval/eval.h"

static const struct eval_limits limits = { 100, 5000 };

/* A check that needs two independent answers and raises one finding per answer. */
static enum check_status
check_two_names(struct eval_ctx *ctx)
{
	const struct dns_answer *a = eval_dns(ctx, "a.example", DNS_T_TXT);
	const struct dns_answer *b = eval_dns(ctx, "b.example", DNS_T_TXT);

	if (a == NULL || b == NULL)
		return CHECK_PENDING;
	if (a->status == DNS_OK)
		eval_finding(ctx, PC_MX_SINGLE, "a answered");
	if (b->status == DNS_OK)
		eval_finding(ctx, PC_MX_DUPLICATE, "b answered");
	return CHECK_DONE;
}

/* Unknown answers are queued once; independent ones in the same run. */
static void
test_eval_queues_independent_lookups_together(void **state)
{
	struct eval_ctx *ctx = eval_ctx_new("example", NULL, NULL, &limits);

	(void)state;
	assert_non_null(ctx);
	assert_null(eval_dns(ctx, "A.Example", DNS_T_TXT));
	assert_int_equal(eval_run_check(ctx, PF_MX, check_two_names), CHECK_PENDING);
	ans_txt(ctx, "a.example", "x", NULL);
	/* Still pending: b was asked in the same run and is missing. */
	assert_int_equal(eval_run_check(ctx, PF_MX, check_two_names), CHECK_PENDING);
	assert_false(eval_has_finding(ctx, PC_MX_SINGLE));
	ans_status(ctx, "b.example", DNS_T_TXT, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_two_names), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_MX_SINGLE));
	assert_false(eval_has_finding(ctx, PC_MX_DUPLICATE));
	eval_ctx_free(ctx);
}

/* Past max_queries a new question is answered DNS_BUDGET at once, not queued. */
static void
test_eval_budget_answers_without_asking(void **state)
{
	struct eval_limits small = { 2, 5000 };
	struct eval_ctx *ctx = eval_ctx_new("example", NULL, NULL, &small);
	const struct dns_answer *a;

	(void)state;
	assert_null(eval_dns(ctx, "one.example", DNS_T_A));
	assert_null(eval_dns(ctx, "two.example", DNS_T_A));
	assert_null(eval_dns(ctx, "one.example", DNS_T_A));	/* not counted twice */
	a = eval_dns(ctx, "three.example", DNS_T_A);
	assert_non_null(a);
	assert_int_equal(a->status, DNS_BUDGET);
	eval_ctx_free(ctx);
}

/* Names that cannot be asked are answered DNS_ERROR, never sent. */
static void
test_eval_refuses_unaskable_names(void **state)
{
	static const char *const bad[] = {
		"a..b", ".a", "tab\there.example", "back\\slash.example", "",
	};
	struct eval_ctx *ctx = eval_ctx_new("example", NULL, NULL, &limits);
	char longname[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct dns_answer *a = eval_dns(ctx, bad[i], DNS_T_A);

		assert_non_null(a);
		assert_int_equal(a->status, DNS_ERROR);
	}
	memset(longname, 'a', 260);
	longname[260] = '\0';
	assert_non_null(eval_dns(ctx, longname, DNS_T_A));
	eval_ctx_free(ctx);
}

static enum posture_result forced_result;
static enum posture_severity raised_severity;

/* A check that raises one finding at raised_severity and may force a result. */
static enum check_status
check_one_finding(struct eval_ctx *ctx)
{
	eval_finding_sev(ctx, PC_DMARC_NO_RUA, raised_severity, "finding");
	if (forced_result != PR_NOT_CHECKED)
		eval_set_result(ctx, forced_result);
	eval_set_fact(ctx, "fact %d", 1);
	return CHECK_DONE;
}

/* The family result comes from the worst severity unless the check sets it. */
static void
test_eval_result_from_severity(void **state)
{
	static const struct {
		enum posture_severity sev;
		enum posture_result forced, want;
	} cases[] = {
		{ SEV_INFO, PR_NOT_CHECKED, PR_OK },
		{ SEV_WARN, PR_NOT_CHECKED, PR_WEAK },
		{ SEV_ERROR, PR_NOT_CHECKED, PR_BROKEN },
		{ SEV_WARN, PR_NONE, PR_NONE },
		{ SEV_INFO, PR_TEMPERROR, PR_TEMPERROR },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eval_ctx *ctx = eval_ctx_new("example", NULL, NULL, &limits);

		raised_severity = cases[i].sev;
		forced_result = cases[i].forced;
		assert_int_equal(eval_family_result(ctx, PF_DMARC), PR_NOT_CHECKED);
		assert_int_equal(eval_run_check(ctx, PF_DMARC, check_one_finding), CHECK_DONE);
		assert_int_equal(eval_family_result(ctx, PF_DMARC), cases[i].want);
		eval_ctx_free(ctx);
	}
}

/* Findings carry the family of the check that raised them. */
static void
test_eval_finding_family_is_the_running_check(void **state)
{
	struct eval_ctx *ctx = eval_ctx_new("example", NULL, NULL, &limits);
	const struct posture_finding *f;
	size_t n;

	(void)state;
	raised_severity = SEV_WARN;
	forced_result = PR_NOT_CHECKED;
	eval_run_check(ctx, PF_MX, check_one_finding);
	f = eval_findings(ctx, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].family, PF_MX);
	assert_int_equal(f[0].severity, SEV_WARN);
	assert_string_equal(f[0].message, "finding");
	eval_ctx_free(ctx);
}

/* Build an evaluation by hand for the grade table. */
static void
grade_case(const enum posture_result res[PF_COUNT], enum posture_family ffam,
	   enum posture_severity fsev, bool with_finding, char want)
{
	struct posture_finding f = { PC_MX_NONE, fsev, ffam, (char *)"m" };
	struct posture_eval ev;
	int i;

	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < PF_COUNT; i++)
		ev.family[i].result = res[i];
	if (with_finding) {
		ev.findings = &f;
		ev.nfindings = 1;
	}
	assert_int_equal(eval_grade(&ev), want);
}

/* Grades per ARCHITECTURE.md (Findings, Grade), each rule triggered and its neighbour not. */
static void
test_eval_grade_rules(void **state)
{
	enum posture_result all_ok[PF_COUNT] = {
		PR_OK, PR_OK, PR_OK, PR_OK, PR_OK, PR_OK, PR_OK
	};
	enum posture_result spf_dmarc_none[PF_COUNT] = {
		PR_OK, PR_NONE, PR_OK, PR_NONE, PR_OK, PR_OK, PR_OK
	};
	enum posture_result dmarc_none[PF_COUNT] = {
		PR_OK, PR_OK, PR_OK, PR_NONE, PR_OK, PR_OK, PR_OK
	};
	enum posture_result dkim_unknown[PF_COUNT] = {
		PR_OK, PR_OK, PR_UNKNOWN, PR_OK, PR_OK, PR_OK, PR_OK
	};
	enum posture_result spf_temperror[PF_COUNT] = {
		PR_OK, PR_TEMPERROR, PR_OK, PR_OK, PR_OK, PR_OK, PR_OK
	};
	enum posture_result dmarc_temperror[PF_COUNT] = {
		PR_OK, PR_OK, PR_OK, PR_TEMPERROR, PR_OK, PR_OK, PR_OK
	};
	enum posture_result mx_temperror[PF_COUNT] = {
		PR_TEMPERROR, PR_OK, PR_OK, PR_OK, PR_OK, PR_OK, PR_OK
	};
	enum posture_result not_built[PF_COUNT] = {
		PR_OK, PR_NOT_CHECKED, PR_NOT_CHECKED, PR_NONE, PR_NOT_CHECKED,
		PR_NOT_CHECKED, PR_NOT_CHECKED
	};

	(void)state;
	grade_case(all_ok, PF_MX, SEV_INFO, false, 'A');
	grade_case(all_ok, PF_MX, SEV_INFO, true, 'A');
	grade_case(all_ok, PF_BIMI, SEV_WARN, true, 'B');
	grade_case(all_ok, PF_MX, SEV_WARN, true, 'C');
	grade_case(all_ok, PF_DKIM, SEV_WARN, true, 'C');
	grade_case(all_ok, PF_MX, SEV_ERROR, true, 'D');
	grade_case(all_ok, PF_MTASTS, SEV_ERROR, true, 'D');
	grade_case(all_ok, PF_SPF, SEV_ERROR, true, 'F');
	grade_case(all_ok, PF_DMARC, SEV_ERROR, true, 'F');
	grade_case(spf_dmarc_none, PF_MX, SEV_INFO, false, 'F');
	grade_case(dmarc_none, PF_MX, SEV_INFO, false, 'A');
	/* An unknown family's findings do not count. */
	grade_case(dkim_unknown, PF_DKIM, SEV_ERROR, true, 'A');
	/* Families not built cannot make "SPF and DMARC both none". */
	grade_case(not_built, PF_MX, SEV_INFO, false, 'A');
	/* SPF or DMARC unreadable: no letter (posture_grade_word says temperror). */
	grade_case(spf_temperror, PF_MX, SEV_INFO, false, 0);
	grade_case(dmarc_temperror, PF_MX, SEV_INFO, false, 0);
	grade_case(mx_temperror, PF_MX, SEV_ERROR, true, 'A');
}

/* Offline, a check left waiting ends as temperror instead of looping. */
static void
test_eval_run_all_without_resolver_ends(void **state)
{
	struct eval_ctx *ctx = eval_ctx_new("example.test", NULL, NULL, &limits);
	struct posture_eval *ev;

	(void)state;
	ev = check_run_all(ctx);
	assert_non_null(ev);
	assert_int_equal(ev->family[PF_MX].result, PR_TEMPERROR);
	assert_int_equal(ev->family[PF_DMARC].result, PR_TEMPERROR);
	/* DKIM without a selector has nothing to ask: unknown, not temperror. */
	for (int fam = 0; fam < PF_COUNT; fam++)
		assert_int_equal(ev->family[fam].result,
		    !posture_family_built((enum posture_family)fam) ? PR_NOT_CHECKED :
		    fam == PF_DKIM ? PR_UNKNOWN : PR_TEMPERROR);
	posture_eval_free(ev);
	eval_ctx_free(ctx);
}

/* A check that notes a record from one answer, and another once both are there. */
static enum check_status
check_noting(struct eval_ctx *ctx)
{
	const struct dns_answer *a = eval_dns(ctx, "a.example", DNS_T_TXT);

	eval_note_record(ctx, "early", "noted by a run that may still be pending");
	if (a == NULL)
		return CHECK_PENDING;
	eval_note_record(ctx, "spf", "v=spf1 -all");
	eval_note_record(ctx, "spf", "v=spf1 mx -all\x01");	/* replaces, sanitized */
	return CHECK_DONE;
}

/* Records of a pending run are dropped; the run that is done hands them over. */
static void
test_eval_records_and_selectors_handed_over(void **state)
{
	static const struct eval_check checks[] = { { PF_SPF, check_noting } };
	static const struct eval_plan plan = { checks, 1, NULL, 0 };
	struct eval_ctx *ctx = eval_ctx_new("example", NULL, NULL, &limits);
	const struct posture_record *r;
	struct posture_eval *ev;
	size_t n;

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_SPF, check_noting), CHECK_PENDING);
	r = eval_records(ctx, &n);
	assert_int_equal(n, 0);
	ans_txt(ctx, "a.example", "x", NULL);
	assert_int_equal(eval_add_selector(ctx, "S1"), 0);
	assert_int_equal(eval_add_selector(ctx, "s1"), 0);	/* the same, once */
	assert_int_equal(eval_add_selector(ctx, "k2"), 0);
	ev = eval_run_all(ctx, &plan);
	assert_non_null(ev);
	assert_int_equal(ev->nrecords, 2);
	r = ev->records;
	assert_string_equal(r[0].name, "early");
	assert_string_equal(r[1].name, "spf");
	assert_int_equal(r[1].family, PF_SPF);
	assert_string_equal(r[1].value, "v=spf1 mx -all\\x01");
	assert_int_equal(ev->nselectors, 2);
	assert_string_equal(ev->selectors[0], "s1");
	assert_string_equal(ev->selectors[1], "k2");
	r = eval_records(ctx, &n);
	assert_int_equal(n, 0);				/* handed over, not copied */
	posture_eval_free(ev);
	eval_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_queues_independent_lookups_together),
		cmocka_unit_test(test_eval_budget_answers_without_asking),
		cmocka_unit_test(test_eval_refuses_unaskable_names),
		cmocka_unit_test(test_eval_result_from_severity),
		cmocka_unit_test(test_eval_finding_family_is_the_running_check),
		cmocka_unit_test(test_eval_grade_rules),
		cmocka_unit_test(test_eval_run_all_without_resolver_ends),
		cmocka_unit_test(test_eval_records_and_selectors_handed_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
