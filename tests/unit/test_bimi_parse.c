/*
 * test_bimi_parse.c - the BIMI Assertion Record parser, URIs and selectors
 * (bimi_parse.c).
 *
 * Tables: TXT strings and what they classify as; records with their validity, the
 * problems expected (by tag and severity) and the logo and evidence URIs read; URIs
 * with their verdicts; selectors and BIMI-Selector headers. Then edge cases: long
 * lists, bytes outside ASCII, declination, every problem copy printable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "record/bimi_parse.h"

/* ---- classification ---- */

static const struct {
	const char *text;
	enum bimi_txt_kind kind;
} classify_cases[] = {
	{ "v=BIMI1; l=https://example.com/logo.svg", BIMI_TXT_CANDIDATE },
	{ "v=BIMI1", BIMI_TXT_CANDIDATE },
	{ "v = BIMI1 ;l=", BIMI_TXT_CANDIDATE },
	{ "v=BIMI1;", BIMI_TXT_CANDIDATE },
	{ "v=bimi1; l=https://example.com/logo.svg", BIMI_TXT_LOOKALIKE },
	{ "V=BIMI1; l=https://example.com/logo.svg", BIMI_TXT_LOOKALIKE },
	{ " v=BIMI1; l=https://example.com/logo.svg", BIMI_TXT_LOOKALIKE },
	{ "l=https://example.com/logo.svg; v=BIMI1", BIMI_TXT_LOOKALIKE },
	{ "v=BIMI10; l=", BIMI_TXT_LOOKALIKE },
	{ "v=BIMI2; l=", BIMI_TXT_LOOKALIKE },
	{ "v=spf1 -all", BIMI_TXT_OTHER },
	{ "google-site-verification=abc", BIMI_TXT_OTHER },
	{ "", BIMI_TXT_OTHER },
};

static void
test_classify_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++) {
		enum bimi_txt_kind k = bimi_txt_classify(classify_cases[i].text,
		    strlen(classify_cases[i].text));

		if (k != classify_cases[i].kind)
			fail_msg("\"%s\": got kind %d, expected %d", classify_cases[i].text,
			    (int)k, (int)classify_cases[i].kind);
	}
}

/* ---- records ---- */

struct record_case {
	const char *text;
	bool valid;
	const char *problem_tag;	/* a problem with this tag expected, or NULL: none */
	enum bimi_psev problem_sev;
	size_t logos;			/* logo URIs written */
	bool logo0_valid, logo0_https;
	bool has_evidence, evidence_valid;
	bool declined;
};

static const struct record_case record_cases[] = {
	{ "v=BIMI1; l=https://bimi.example.com/logo.svg; a=https://bimi.example.com/vmc.pem",
	  true, NULL, 0, 1, true, true, true, true, false },
	{ "v=BIMI1; l=https://bimi.example.com/logo.svg",
	  true, NULL, 0, 1, true, true, false, false, false },
	{ "v=BIMI1; l=https://bimi.example.com/logo.svg; a=;",
	  true, NULL, 0, 1, true, true, false, false, false },
	{ "v=BIMI1; l=HTTPS://Bimi.Example.COM:8443/logo.svg?x=1#f",
	  true, NULL, 0, 1, true, true, false, false, false },
	/* declination to publish (4.3.1) */
	{ "v=BIMI1; l=; a=;", true, NULL, 0, 0, false, false, false, false, true },
	{ "v=BIMI1; l=", true, NULL, 0, 0, false, false, false, false, true },
	/* http logo: no syntax problem, the check reports BIMI_LOGO_NOT_HTTPS */
	{ "v=BIMI1; l=http://bimi.example.com/logo.svg",
	  true, NULL, 0, 1, false, false, false, false, false },
	/* l= missing */
	{ "v=BIMI1; a=https://bimi.example.com/vmc.pem",
	  false, "l", BIMI_PSEV_ERROR, 0, false, false, true, true, false },
	{ "v=BIMI1", false, "l", BIMI_PSEV_ERROR, 0, false, false, false, false, false },
	/* a list (older drafts): warn, first one used */
	{ "v=BIMI1; l=https://a.example.com/1.svg,https://b.example.com/2.svg",
	  true, "l", BIMI_PSEV_WARN, 2, true, true, false, false, false },
	{ "v=BIMI1; l=https://a.example.com/1.svg,,https://b.example.com/2.svg",
	  false, "l", BIMI_PSEV_ERROR, 2, true, true, false, false, false },
	/* a= not https, a= two URIs */
	{ "v=BIMI1; l=https://bimi.example.com/logo.svg; a=http://bimi.example.com/vmc.pem",
	  false, "a", BIMI_PSEV_ERROR, 1, true, true, true, false, false },
	{ "v=BIMI1; l=https://b.example.com/l.svg; a=https://b.example.com/1.pem,https://b.example.com/2.pem",
	  false, "a", BIMI_PSEV_ERROR, 1, true, true, true, false, false },
	/* bad logo URIs that are https */
	{ "v=BIMI1; l=https://192.0.2.1/logo.svg", false, "l", BIMI_PSEV_ERROR, 1, false, true,
	  false, false, false },
	{ "v=BIMI1; l=https://[2001:db8::1]/logo.svg", false, "l", BIMI_PSEV_ERROR, 1, false,
	  true, false, false, false },
	{ "v=BIMI1; l=https://user:pw@bimi.example.com/logo.svg", false, "l", BIMI_PSEV_ERROR,
	  1, false, true, false, false, false },
	{ "v=BIMI1; l=https://localhost/logo.svg", false, "l", BIMI_PSEV_ERROR, 1, false, true,
	  false, false, false },
	{ "v=BIMI1; l=https://bimi.example.com:99999/logo.svg", false, "l", BIMI_PSEV_ERROR, 1,
	  false, true, false, false, false },
	{ "v=BIMI1; l=https:bimi.example.com/logo.svg", false, "l", BIMI_PSEV_ERROR, 1, false,
	  true, false, false, false },
	{ "v=BIMI1; l=https://bad_host.example.com/logo.svg", false, "l", BIMI_PSEV_ERROR, 1,
	  false, true, false, false, false },
	/* empty l= with evidence: warn */
	{ "v=BIMI1; l=; a=https://bimi.example.com/vmc.pem", true, "l", BIMI_PSEV_WARN, 0, false,
	  false, true, true, false },
	/* keyword tags */
	{ "v=BIMI1; l=https://b.example.com/l.svg; lps=maybe", true, "lps", BIMI_PSEV_WARN, 1,
	  true, true, false, false, false },
	{ "v=BIMI1; l=https://b.example.com/l.svg; avp=avatar", true, "avp", BIMI_PSEV_WARN, 1,
	  true, true, false, false, false },
	/* a known tag in the wrong case is an unknown tag: l= then missing */
	{ "v=BIMI1; L=https://b.example.com/l.svg", false, "", BIMI_PSEV_ERROR, 0, false, false,
	  false, false, false },
	/* duplicate tag: the tag list is invalid */
	{ "v=BIMI1; l=https://b.example.com/l.svg; l=https://b.example.com/m.svg", false, "",
	  BIMI_PSEV_ERROR, 1, true, true, false, false, false },
	/* not BIMI at all */
	{ "v=BIMI2; l=https://b.example.com/l.svg", false, "v", BIMI_PSEV_ERROR, 0, false,
	  false, false, false, false },
	/* unknown tags are ignored */
	{ "v=BIMI1; l=https://b.example.com/l.svg; x=whatever", true, NULL, 0, 1, true, true,
	  false, false, false },
};

/* Whether rec holds a problem for tag at sev. */
static bool
has_problem(const struct bimi_record *rec, const char *tag, enum bimi_psev sev)
{
	size_t i;

	for (i = 0; i < rec->nproblems && i < BIMI_MAX_PROBLEMS; i++)
		if (strcmp(rec->problems[i].tag, tag) == 0 && rec->problems[i].sev == sev)
			return true;
	return false;
}

static void
test_record_table(void **state)
{
	const struct record_case *c;
	struct bimi_record rec;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(record_cases) / sizeof(record_cases[0]); i++) {
		c = &record_cases[i];
		rc = bimi_parse(c->text, strlen(c->text), &rec);
		if ((rc == 0) != c->valid || rec.valid != c->valid)
			fail_msg("\"%s\": valid %d, expected %d (%zu problems, first: %s)", c->text,
			    rec.valid, c->valid, rec.nproblems,
			    rec.nproblems ? rec.problems[0].reason : "-");
		if (c->problem_tag != NULL && !has_problem(&rec, c->problem_tag, c->problem_sev))
			fail_msg("\"%s\": no problem for tag '%s' at severity %d", c->text,
			    c->problem_tag, (int)c->problem_sev);
		if (c->problem_tag == NULL && rec.nproblems != 0)
			fail_msg("\"%s\": unexpected problem: %s", c->text, rec.problems[0].reason);
		if (rec.logo_total != c->logos)
			fail_msg("\"%s\": %zu logo URIs, expected %zu", c->text, rec.logo_total,
			    c->logos);
		if (c->logos > 0 && (rec.logos[0].valid != c->logo0_valid ||
		    rec.logos[0].https != c->logo0_https))
			fail_msg("\"%s\": logo valid %d https %d", c->text, rec.logos[0].valid,
			    rec.logos[0].https);
		if (rec.has_evidence != c->has_evidence ||
		    (c->has_evidence && rec.evidence.valid != c->evidence_valid))
			fail_msg("\"%s\": evidence %d valid %d", c->text, rec.has_evidence,
			    rec.evidence.valid);
		if (rec.declined != c->declined)
			fail_msg("\"%s\": declined %d, expected %d", c->text, rec.declined,
			    c->declined);
	}
}

static void
test_uri_keeps_url_and_lowercases_host(void **state)
{
	struct bimi_uri u;
	const char *s = "https://BIMI.Example.com./logo.svg?v=2";

	(void)state;
	bimi_parse_uri(s, strlen(s), &u);
	assert_true(u.valid);
	assert_true(u.https);
	assert_string_equal(u.url, s);
	assert_string_equal(u.host, "bimi.example.com");
}

static void
test_uri_with_space_or_control_is_invalid(void **state)
{
	struct bimi_uri u;
	const char s[] = "https://bimi.example.com/lo go.svg";
	const char t[] = "https://bimi.example.com/lo\x01go.svg";

	(void)state;
	bimi_parse_uri(s, strlen(s), &u);
	assert_false(u.valid);
	assert_true(u.https);
	bimi_parse_uri(t, strlen(t), &u);
	assert_false(u.valid);
	assert_non_null(strstr(u.text, "\\x01"));
}

static void
test_uri_too_long_is_invalid(void **state)
{
	char s[BIMI_URL_MAX + 64];
	struct bimi_uri u;

	(void)state;
	memset(s, 'a', sizeof(s));
	memcpy(s, "https://bimi.example.com/", 25);
	bimi_parse_uri(s, sizeof(s), &u);
	assert_false(u.valid);
	assert_true(strlen(u.text) < sizeof(u.text));
	bimi_parse_uri(s, BIMI_URL_MAX, &u);
	assert_true(u.valid);
}

static void
test_ftp_and_schemeless_are_not_https(void **state)
{
	struct bimi_uri u;

	(void)state;
	bimi_parse_uri("ftp://example.com/x.svg", 23, &u);
	assert_false(u.https);
	assert_false(u.valid);
	bimi_parse_uri("example.com/x.svg", 17, &u);
	assert_false(u.https);
	assert_false(u.valid);
}

static void
test_many_logos_are_counted_beyond_the_kept(void **state)
{
	char text[1024] = "v=BIMI1; l=";
	struct bimi_record rec;
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "%shttps://h%zu.example.com/l.svg", i ? "," : "", i);
	(void)bimi_parse(text, strlen(text), &rec);
	assert_int_equal(rec.logo_total, 10);
	assert_int_equal(rec.nlogos, BIMI_MAX_LOGOS);
	assert_true(has_problem(&rec, "l", BIMI_PSEV_WARN));
}

static void
test_problem_copies_are_printable(void **state)
{
	const char text[] = "v=BIMI1; l=https://\xff\xfe.example/x; a=http://\x01/; "
	    "avp=\x7f\x80; lps=\xc3\xa9";
	struct bimi_record rec;
	size_t i, j;

	(void)state;
	(void)bimi_parse(text, sizeof(text) - 1, &rec);
	assert_true(rec.nproblems > 0);
	for (i = 0; i < rec.nproblems && i < BIMI_MAX_PROBLEMS; i++) {
		assert_non_null(rec.problems[i].reason);
		for (j = 0; rec.problems[i].text[j]; j++)
			assert_true(rec.problems[i].text[j] >= 0x20 &&
			    rec.problems[i].text[j] < 0x7f);
	}
}

static void
test_record_with_nul_byte_is_not_valid(void **state)
{
	const char text[] = "v=BIMI1; l=https://b.example.com/\0l.svg";
	struct bimi_record rec;

	(void)state;
	assert_int_equal(bimi_parse(text, sizeof(text) - 1, &rec), -1);
	assert_true(rec.is_bimi);
}

/* ---- selectors ---- */

static void
test_selector_validity(void **state)
{
	(void)state;
	assert_true(bimi_selector_valid("default"));
	assert_true(bimi_selector_valid("brand.2024"));
	assert_true(bimi_selector_valid("a-b"));
	assert_false(bimi_selector_valid(""));
	assert_false(bimi_selector_valid("-a"));
	assert_false(bimi_selector_valid("a-"));
	assert_false(bimi_selector_valid("a..b"));
	assert_false(bimi_selector_valid(".a"));
	assert_false(bimi_selector_valid("a."));
	assert_false(bimi_selector_valid("a_b"));
	assert_false(bimi_selector_valid("a b"));
	assert_false(bimi_selector_valid(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_selector_header(void **state)
{
	char sel[256];

	(void)state;
	assert_int_equal(bimi_selector_header("v=BIMI1; s=Brand", 16, sel, sizeof(sel)), 0);
	assert_string_equal(sel, "brand");
	assert_int_equal(bimi_selector_header("V=bimi1; S=spring.2024;", 23, sel,
	    sizeof(sel)), 0);
	assert_string_equal(sel, "spring.2024");
	assert_int_equal(bimi_selector_header("s=brand; v=BIMI1", 16, sel, sizeof(sel)), -1);
	assert_int_equal(bimi_selector_header("v=BIMI1", 7, sel, sizeof(sel)), -1);
	assert_int_equal(bimi_selector_header("v=BIMI1; s=bad_sel", 18, sel, sizeof(sel)), -1);
	assert_string_equal(sel, "");
	assert_int_equal(bimi_selector_header("v=BIMI1; s=brand", 16, sel, 4), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_record_table),
		cmocka_unit_test(test_uri_keeps_url_and_lowercases_host),
		cmocka_unit_test(test_uri_with_space_or_control_is_invalid),
		cmocka_unit_test(test_uri_too_long_is_invalid),
		cmocka_unit_test(test_ftp_and_schemeless_are_not_https),
		cmocka_unit_test(test_many_logos_are_counted_beyond_the_kept),
		cmocka_unit_test(test_problem_copies_are_printable),
		cmocka_unit_test(test_record_with_nul_byte_is_not_valid),
		cmocka_unit_test(test_selector_validity),
		cmocka_unit_test(test_selector_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
