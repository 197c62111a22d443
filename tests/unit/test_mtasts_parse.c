/*
 * test_mtasts_parse.c - the MTA-STS TXT record and policy parsers (mtasts_parse.c,
 * RFC 8461 3.1, 3.2, 4.1).
 *
 * Tables: TXT strings with their class, validity, id and the expected first problem
 * reason (a substring); policy bodies with validity, mode, max_age, mx count and a
 * problem reason that must (or must not) be listed; MX hosts against patterns. Then
 * the bounds: problem and pattern caps, max_age above the maximum, NUL and non-ASCII
 * bytes, and a body of arbitrary bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record/mtasts_parse.h"

/* ---- TXT ---- */

struct txt_case {
	const char *what;
	const char *in;
	enum mtasts_txt_kind kind;
	bool valid;
	const char *id;			/* when valid */
	const char *problem;		/* substring of the first problem's reason */
};

static const struct txt_case txt_cases[] = {
	{ "minimal", "v=STSv1; id=20160831085700Z", MTASTS_TXT_CANDIDATE, true,
	  "20160831085700Z", NULL },
	{ "no space after semicolon, trailing semicolon", "v=STSv1;id=abc;",
	  MTASTS_TXT_CANDIDATE, true, "abc", NULL },
	{ "spaces around the semicolon", "v=STSv1 ; id=1", MTASTS_TXT_CANDIDATE, true, "1",
	  NULL },
	{ "32 character id", "v=STSv1; id=abcdefghijklmnopqrstuvwxyz012345",
	  MTASTS_TXT_CANDIDATE, true, "abcdefghijklmnopqrstuvwxyz012345", NULL },
	{ "extension with a hyphen and dot", "v=STSv1; id=1; ext-a.b=value",
	  MTASTS_TXT_CANDIDATE, true, "1", NULL },
	{ "33 character id", "v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456",
	  MTASTS_TXT_CANDIDATE, false, NULL, "1 to 32" },
	{ "id with a hyphen", "v=STSv1; id=2026-01-01", MTASTS_TXT_CANDIDATE, false, NULL,
	  "1 to 32" },
	{ "empty id", "v=STSv1; id=", MTASTS_TXT_CANDIDATE, false, NULL, "1 to 32" },
	{ "no id", "v=STSv1;", MTASTS_TXT_CANDIDATE, false, NULL, "no id" },
	{ "version only", "v=STSv1", MTASTS_TXT_CANDIDATE, false, NULL, "no id" },
	{ "space before =", "v=STSv1; id =abc", MTASTS_TXT_CANDIDATE, false, NULL,
	  "no space" },
	{ "space after =", "v=STSv1; id= abc", MTASTS_TXT_CANDIDATE, false, NULL, "no space" },
	{ "duplicate id", "v=STSv1; id=a; id=b", MTASTS_TXT_CANDIDATE, false, NULL,
	  "twice" },
	{ "v again later", "v=STSv1; id=a; v=STSv1", MTASTS_TXT_CANDIDATE, false, NULL,
	  NULL },
	{ "extension value with =", "v=STSv1; id=a; x=b=c", MTASTS_TXT_CANDIDATE, false, NULL,
	  "extension" },
	{ "lower case version is a look-alike", "v=stsv1; id=a", MTASTS_TXT_LOOKALIKE, false,
	  NULL, "begin with" },
	{ "spaced version is a look-alike", "v = STSv1; id=a", MTASTS_TXT_LOOKALIKE, false,
	  NULL, "no space" },
	{ "STSv10 is not STSv1", "v=STSv10; id=a", MTASTS_TXT_LOOKALIKE, false, NULL,
	  "begin with" },
	{ "SPF record is other", "v=spf1 -all", MTASTS_TXT_OTHER, false, NULL, "begin with" },
	{ "empty string is other", "", MTASTS_TXT_OTHER, false, NULL, "begin with" },
};

static void
test_txt_table(void **state)
{
	struct mtasts_txt t;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(txt_cases) / sizeof(txt_cases[0]); i++) {
		const struct txt_case *c = &txt_cases[i];

		print_message("txt: %s\n", c->what);
		assert_int_equal(mtasts_txt_classify(c->in, strlen(c->in)), c->kind);
		rc = mtasts_txt_parse(c->in, strlen(c->in), &t);
		assert_int_equal(rc == 0, c->valid);
		assert_int_equal(t.valid, c->valid);
		if (c->valid) {
			assert_string_equal(t.id, c->id);
			assert_int_equal(t.nproblems, 0);
		} else {
			assert_true(t.nproblems > 0);
			if (c->problem != NULL)
				assert_non_null(strstr(t.problems[0].reason, c->problem));
		}
	}
}

/* A TXT string holding a NUL and non-ASCII bytes: problems, printable copies. */
static void
test_txt_hostile_bytes_are_sanitized(void **state)
{
	static const char in[] = "v=STSv1; id=a\0b\xff";
	struct mtasts_txt t;
	size_t i, j;

	(void)state;
	assert_int_equal(mtasts_txt_parse(in, sizeof(in) - 1, &t), -1);
	assert_true(t.nproblems > 0);
	for (i = 0; i < t.nproblems && i < MTASTS_MAX_PROBLEMS; i++)
		for (j = 0; t.problems[i].text[j] != '\0'; j++)
			assert_true(t.problems[i].text[j] >= 0x20 && t.problems[i].text[j] < 0x7f);
}

/* ---- policy ---- */

struct pol_case {
	const char *what;
	const char *in;
	bool valid;
	enum mtasts_mode mode;
	uint32_t max_age;		/* when has_max_age */
	size_t nmx;
	const char *problem;		/* a reason substring that must be listed, or NULL */
	enum mtasts_psev sev;		/* its severity */
};

#define WARN MTASTS_PSEV_WARN
#define ERR MTASTS_PSEV_ERROR

static const struct pol_case pol_cases[] = {
	{ "CRLF enforce", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	  "mx: *.example.net\r\nmax_age: 604800\r\n", true, MTASTS_MODE_ENFORCE, 604800, 2,
	  NULL, WARN },
	{ "LF lines, no final newline", "version: STSv1\nmode: testing\nmx: a.example\n"
	  "max_age: 86400", true, MTASTS_MODE_TESTING, 86400, 1, NULL, WARN },
	{ "no space after colon", "version:STSv1\nmode:enforce\nmx:a.example\nmax_age:1\n",
	  true, MTASTS_MODE_ENFORCE, 1, 1, NULL, WARN },
	{ "trailing spaces are allowed", "version: STSv1  \nmode: enforce\t\nmx: a.example\n"
	  "max_age: 5 \n", true, MTASTS_MODE_ENFORCE, 5, 1, NULL, WARN },
	{ "mode none needs no mx", "version: STSv1\nmode: none\nmax_age: 86400\n", true,
	  MTASTS_MODE_NONE, 86400, 0, NULL, WARN },
	{ "extension fields are ignored", "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "max_age: 10\nx-extra.field: anything goes\n", true, MTASTS_MODE_ENFORCE, 10, 1,
	  NULL, WARN },
	{ "mx pattern upper case is folded", "version: STSv1\nmode: enforce\nmx: MAIL.Example.COM\n"
	  "max_age: 10\n", true, MTASTS_MODE_ENFORCE, 10, 1, NULL, WARN },
	{ "max_age 0", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0\n", true,
	  MTASTS_MODE_ENFORCE, 0, 1, NULL, WARN },
	{ "max_age above the maximum is capped", "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "max_age: 9999999999\n", true, MTASTS_MODE_ENFORCE, 31557600, 1, "above the maximum",
	  WARN },
	{ "max_age of 11 digits", "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "max_age: 10000000000\n", false, MTASTS_MODE_ENFORCE, 0, 1, "1 to 10 digits", ERR },
	{ "max_age with a unit", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1w\n",
	  false, MTASTS_MODE_ENFORCE, 0, 1, "1 to 10 digits", ERR },
	{ "negative max_age", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
	  false, MTASTS_MODE_ENFORCE, 0, 1, "1 to 10 digits", ERR },
	{ "no max_age", "version: STSv1\nmode: enforce\nmx: a.example\n", false,
	  MTASTS_MODE_ENFORCE, 0, 1, "no max_age", ERR },
	{ "wrong version", "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", false,
	  MTASTS_MODE_ENFORCE, 1, 1, "must be STSv1", ERR },
	{ "no version", "mode: enforce\nmx: a.example\nmax_age: 1\n", false,
	  MTASTS_MODE_ENFORCE, 1, 1, "no version", ERR },
	{ "bad mode", "version: STSv1\nmode: enforcing\nmx: a.example\nmax_age: 1\n", false,
	  MTASTS_MODE_INVALID, 1, 1, "enforce, testing or none", ERR },
	{ "mode values are case-sensitive", "version: STSv1\nmode: Enforce\nmx: a.example\n"
	  "max_age: 1\n", false, MTASTS_MODE_INVALID, 1, 1, "enforce, testing or none", ERR },
	{ "field names are case-sensitive", "version: STSv1\nMode: enforce\nmx: a.example\n"
	  "max_age: 1\n", false, MTASTS_MODE_ABSENT, 1, 1, "case-sensitive", WARN },
	{ "enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 1\n", false,
	  MTASTS_MODE_ENFORCE, 1, 0, "no valid mx", ERR },
	{ "wildcard in the middle", "version: STSv1\nmode: enforce\nmx: mail.*.example\n"
	  "max_age: 1\n", false, MTASTS_MODE_ENFORCE, 1, 0, "leftmost", ERR },
	{ "bare wildcard", "version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n", false,
	  MTASTS_MODE_ENFORCE, 1, 0, "leftmost", ERR },
	{ "partial-label wildcard", "version: STSv1\nmode: enforce\nmx: mx*.example\n"
	  "max_age: 1\n", false, MTASTS_MODE_ENFORCE, 1, 0, "leftmost", ERR },
	{ "bad byte in pattern", "version: STSv1\nmode: enforce\nmx: a_b.example\n"
	  "max_age: 1\n", false, MTASTS_MODE_ENFORCE, 1, 0, "letter, digit", ERR },
	{ "empty label in pattern", "version: STSv1\nmode: enforce\nmx: a..example\n"
	  "max_age: 1\n", false, MTASTS_MODE_ENFORCE, 1, 0, "empty label", ERR },
	{ "pattern with a final dot is kept", "version: STSv1\nmode: enforce\nmx: a.example.\n"
	  "max_age: 1\n", true, MTASTS_MODE_ENFORCE, 1, 1, "final dot", WARN },
	{ "one bad mx among good ones", "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "mx: bad_host\nmax_age: 1\n", true, MTASTS_MODE_ENFORCE, 1, 1, "letter, digit", ERR },
	{ "duplicate mode: the first is used", "version: STSv1\nmode: testing\nmode: enforce\n"
	  "mx: a.example\nmax_age: 1\n", true, MTASTS_MODE_TESTING, 1, 1, "appears again",
	  WARN },
	{ "a line without a colon", "version: STSv1\nmode: enforce\ngarbage\nmx: a.example\n"
	  "max_age: 1\n", true, MTASTS_MODE_ENFORCE, 1, 1, "key: value", WARN },
	{ "space before the colon", "version: STSv1\nmode : enforce\nmx: a.example\n"
	  "max_age: 1\n", false, MTASTS_MODE_ABSENT, 1, 1, "field name", WARN },
	{ "blank line between fields", "version: STSv1\n\nmode: enforce\nmx: a.example\n"
	  "max_age: 1\n", true, MTASTS_MODE_ENFORCE, 1, 1, "empty line", WARN },
	{ "bare CR inside a line", "version: STSv1\nmode: enforce\rx\nmx: a.example\n"
	  "max_age: 1\n", false, MTASTS_MODE_INVALID, 1, 1, "CR", WARN },
	{ "empty body", "", false, MTASTS_MODE_ABSENT, 0, 0, "empty", ERR },
	{ "an HTML page", "<html><body>Not here</body></html>\n", false, MTASTS_MODE_ABSENT,
	  0, 0, "no version", ERR },
};

/* Whether a problem with reason substring and severity is listed. */
static bool
has_problem(const struct mtasts_policy *p, const char *reason, enum mtasts_psev sev)
{
	size_t i;

	for (i = 0; i < p->nproblems && i < MTASTS_MAX_PROBLEMS; i++)
		if (strstr(p->problems[i].reason, reason) != NULL && p->problems[i].sev == sev)
			return true;
	return false;
}

static void
test_policy_table(void **state)
{
	struct mtasts_policy *p = malloc(sizeof(*p));
	size_t i;
	int rc;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < sizeof(pol_cases) / sizeof(pol_cases[0]); i++) {
		const struct pol_case *c = &pol_cases[i];

		print_message("policy: %s\n", c->what);
		rc = mtasts_policy_parse(c->in, strlen(c->in), p);
		assert_int_equal(rc == 0, c->valid);
		assert_int_equal(p->valid, c->valid);
		assert_int_equal(p->mode, c->mode);
		if (p->has_max_age)
			assert_int_equal(p->max_age, c->max_age);
		assert_int_equal(p->nmx, c->nmx);
		if (c->problem != NULL)
			assert_true(has_problem(p, c->problem, c->sev));
		else
			assert_int_equal(p->nproblems, 0);
	}
	free(p);
}

/* Patterns are stored lower case without the final dot; problems name their line. */
static void
test_policy_patterns_and_lines(void **state)
{
	static const char in[] = "version: STSv1\r\nmode: enforce\r\nmx: *.Example.NET.\r\n"
	    "mx: mx1.example.com\r\nmax_age: 1w\r\n";
	struct mtasts_policy *p = malloc(sizeof(*p));

	(void)state;
	assert_non_null(p);
	assert_int_equal(mtasts_policy_parse(in, sizeof(in) - 1, p), -1);
	assert_int_equal(p->nmx, 2);
	assert_string_equal(p->mx[0], "*.example.net");
	assert_string_equal(p->mx[1], "mx1.example.com");
	assert_true(has_problem(p, "1 to 10 digits", MTASTS_PSEV_ERROR));
	assert_int_equal(p->problems[p->nproblems - 1].line, 5);
	assert_string_equal(p->problems[p->nproblems - 1].text, "max_age: 1w");
	free(p);
}

/* More patterns than kept, more problems than kept: counted, never overrun. */
static void
test_policy_caps(void **state)
{
	struct mtasts_policy *p = malloc(sizeof(*p));
	char *in = malloc(64 * 1024);
	size_t o = 0, i;

	(void)state;
	assert_non_null(p);
	assert_non_null(in);
	o += (size_t)sprintf(in + o, "version: STSv1\nmode: enforce\nmax_age: 86400\n");
	for (i = 0; i < MTASTS_MAX_MX + 10; i++)
		o += (size_t)sprintf(in + o, "mx: mx%zu.example.com\n", i);
	for (i = 0; i < MTASTS_MAX_PROBLEMS + 5; i++)
		o += (size_t)sprintf(in + o, "junk line %zu\n", i);
	assert_int_equal(mtasts_policy_parse(in, o, p), 0);
	assert_int_equal(p->nmx, MTASTS_MAX_MX);
	assert_int_equal(p->mx_total, MTASTS_MAX_MX + 10);
	assert_int_equal(p->nproblems, MTASTS_MAX_PROBLEMS + 5);
	free(in);
	free(p);
}

/* Arbitrary bytes (NUL, high bytes, lone CRs): no crash, printable problem texts. */
static void
test_policy_arbitrary_bytes(void **state)
{
	struct mtasts_policy *p = malloc(sizeof(*p));
	uint8_t in[4096];
	size_t i, j, k;
	uint32_t x = 12345;

	(void)state;
	assert_non_null(p);
	for (k = 0; k < 50; k++) {
		for (i = 0; i < sizeof(in); i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (uint8_t)(x >> 16);
			if (in[i] % 7 == 0)
				in[i] = '\n';
		}
		(void)mtasts_policy_parse(in, sizeof(in), p);
		for (i = 0; i < p->nproblems && i < MTASTS_MAX_PROBLEMS; i++)
			for (j = 0; p->problems[i].text[j] != '\0'; j++)
				assert_true(p->problems[i].text[j] >= 0x20 &&
				    p->problems[i].text[j] < 0x7f);
		assert_true(p->nmx <= MTASTS_MAX_MX);
	}
	free(p);
}

/* ---- MX matching (RFC 8461 4.1) ---- */

static void
test_mx_match(void **state)
{
	(void)state;
	assert_true(mtasts_mx_match("mail.example.com", "mail.example.com"));
	assert_true(mtasts_mx_match("mail.example.com", "MAIL.Example.COM"));
	assert_true(mtasts_mx_match("mail.example.com", "mail.example.com."));
	assert_false(mtasts_mx_match("mail.example.com", "mail.example.co"));
	assert_false(mtasts_mx_match("mail.example.com", "xmail.example.com"));
	assert_true(mtasts_mx_match("*.example.com", "mx1.example.com"));
	assert_true(mtasts_mx_match("*.example.com", "MX1.EXAMPLE.COM."));
	/* The wildcard is exactly one label: neither the parent nor two labels match. */
	assert_false(mtasts_mx_match("*.example.com", "example.com"));
	assert_false(mtasts_mx_match("*.example.com", "a.b.example.com"));
	assert_false(mtasts_mx_match("*.example.com", ".example.com"));
	assert_false(mtasts_mx_match("*.example.com", "mx1.example.com.evil"));
	assert_false(mtasts_mx_match("*.example.com", "mx1.badexample.com"));
	assert_false(mtasts_mx_match("*.example.com", ""));
}

static void
test_mode_words(void **state)
{
	(void)state;
	assert_string_equal(mtasts_mode_word(MTASTS_MODE_ENFORCE), "enforce");
	assert_string_equal(mtasts_mode_word(MTASTS_MODE_TESTING), "testing");
	assert_string_equal(mtasts_mode_word(MTASTS_MODE_NONE), "none");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt_table),
		cmocka_unit_test(test_txt_hostile_bytes_are_sanitized),
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_policy_patterns_and_lines),
		cmocka_unit_test(test_policy_caps),
		cmocka_unit_test(test_policy_arbitrary_bytes),
		cmocka_unit_test(test_mx_match),
		cmocka_unit_test(test_mode_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
