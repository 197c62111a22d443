/*
 * test_selectors.c - the DKIM selectors a domain's evaluation checks: configured
 * "domain:selector" entries, verified signatures' selectors, and what is learned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "verify/selectors.h"

/* A signature for the results below. */
static void
sig(struct dkim_verify_sig *s, const char *d, const char *sel, bool verified)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->domain, sizeof(s->domain), "%s", d);
	snprintf(s->selector, sizeof(s->selector), "%s", sel);
	s->verified = verified;
	s->result = verified ? DKIM_VERIFY_PASS : DKIM_VERIFY_FAIL;
}

static void
test_configured_match_the_domain_only(void **state)
{
	const char *entries[] = { "Good.Test:s1", "good.test:s2", "other.test:s3",
	    "good.testx:s4", "good.test", "good.test:s1", "good.tes:s5" };
	const char *out[8];
	size_t n;

	(void)state;
	n = selectors_configured(entries, 7, "good.test", out, 0, 8);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "s1");	/* case-insensitive domain */
	assert_string_equal(out[1], "s2");	/* "good.test:s1" again: not twice */
	assert_int_equal(selectors_configured(entries, 7, "none.test", out, 0, 8), 0);
}

static void
test_lists_are_cut_at_max(void **state)
{
	const char *entries[] = { "a.test:s1", "a.test:s2", "a.test:s3" };
	const char *out[2];

	(void)state;
	assert_int_equal(selectors_configured(entries, 3, "a.test", out, 0, 2), 2);
	assert_int_equal(selectors_add(out, 2, 2, "s9"), 2);
	assert_int_equal(selectors_add(out, 0, 2, ""), 0);
}

static void
test_only_verified_signatures_count(void **state)
{
	struct dkim_verify_sig sigs[4];
	struct dkim_verify_results dr;
	const char *out[8];
	size_t n;

	(void)state;
	memset(&dr, 0, sizeof(dr));
	sig(&sigs[0], "Good.Test.", "good1", true);	/* normalized: good.test */
	sig(&sigs[1], "good.test", "forged", false);	/* did not verify */
	sig(&sigs[2], "other.test", "other1", true);	/* another domain */
	sig(&sigs[3], "bad domain!", "x", true);	/* not a name */
	dr.sigs = sigs;
	dr.nsigs = 4;
	n = selectors_verified(&dr, "good.test", out, 0, 8);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "good1");
	assert_int_equal(selectors_verified(NULL, "good.test", out, 0, 8), 0);
}

struct learned {
	char what[8][300];
	size_t n;
};

/* selectors_learn() callback: remember "domain selector". */
static void
remember(void *arg, const char *domain, const char *selector)
{
	struct learned *l = arg;

	if (l->n < 8)
		snprintf(l->what[l->n++], sizeof(l->what[0]), "%s %s", domain, selector);
}

static void
test_learning_takes_verified_signatures_only(void **state)
{
	struct dkim_verify_sig sigs[3];
	struct dkim_verify_results dr;
	struct learned l;

	(void)state;
	memset(&dr, 0, sizeof(dr));
	memset(&l, 0, sizeof(l));
	sig(&sigs[0], "Good.Test", "s1", true);
	sig(&sigs[1], "evil.test", "s2", false);
	sig(&sigs[2], "other.test", "", true);		/* no selector: nothing to learn */
	dr.sigs = sigs;
	dr.nsigs = 3;
	selectors_learn(&dr, remember, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.what[0], "good.test s1");
	selectors_learn(NULL, remember, &l);
	assert_int_equal(l.n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configured_match_the_domain_only),
		cmocka_unit_test(test_lists_are_cut_at_max),
		cmocka_unit_test(test_only_verified_signatures_count),
		cmocka_unit_test(test_learning_takes_verified_signatures_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
