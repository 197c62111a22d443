/*
 * test_dmarc_parse.c - DMARC Policy Records (dmarc_parse.c, RFC 9989 4.7 and 4.8).
 *
 * Tables: TXT classification (record, malformed attempt, other); whole records with
 * the fields expected and the exact list of problems ("KIND:tag,..."); reporting URIs
 * one by one (valid or not, scheme, destination host, !size). Then the bounds (URIs
 * per list, problems per record), hostile bytes, and what problems carry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record/dmarc_parse.h"

/* ---- classification ---- */

static const struct {
	const char *in;
	enum dmarc_txt_kind kind;
} classify_cases[] = {
	{ "v=DMARC1", DMARC_TXT_RECORD },
	{ "v=DMARC1;", DMARC_TXT_RECORD },
	{ "  v = DMARC1 ; p=none", DMARC_TXT_RECORD },
	{ "V=DMARC1; p=none", DMARC_TXT_RECORD },	/* ABNF "v" is case-insensitive */
	{ "v=dmarc1; p=none", DMARC_TXT_MALFORMED },	/* %s"DMARC1" is not */
	{ "v=DMARC10; p=none", DMARC_TXT_MALFORMED },
	{ "v=DMARC1 p=none", DMARC_TXT_MALFORMED },
	{ "p=reject; v=DMARC1", DMARC_TXT_MALFORMED },
	{ "DMARC1; p=reject", DMARC_TXT_MALFORMED },
	{ "v=DMARC2; p=reject", DMARC_TXT_MALFORMED },
	{ " v = Dmarc ; p=reject", DMARC_TXT_MALFORMED },
	/* not meant as DMARC: discarded, no record (RFC 7489 6.6.3) */
	{ "v=spf1 -all", DMARC_TXT_OTHER },
	{ "v=spf1 ip4:192.0.2.1 include:_spf.example.com -all", DMARC_TXT_OTHER },
	{ "V=SPF1 -all", DMARC_TXT_OTHER },
	{ "v=STSv1; id=20240101", DMARC_TXT_OTHER },
	{ "v=", DMARC_TXT_OTHER },
	{ "v=DMAR", DMARC_TXT_OTHER },
	{ "google-site-verification=abc", DMARC_TXT_OTHER },
	{ "", DMARC_TXT_OTHER },
};

static void
test_classify(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++)
		if (dmarc_txt_classify(classify_cases[i].in, strlen(classify_cases[i].in)) !=
		    classify_cases[i].kind)
			fail_msg("classify \"%s\": got %d, expected %d", classify_cases[i].in,
			    (int)dmarc_txt_classify(classify_cases[i].in,
			    strlen(classify_cases[i].in)), (int)classify_cases[i].kind);
	/* NUL after the version is not a separator */
	assert_int_equal(dmarc_txt_classify("v=DMARC1\0;p=none", 16), DMARC_TXT_MALFORMED);
	assert_int_equal(dmarc_txt_classify(NULL, 5), DMARC_TXT_OTHER);
}

/* ---- records ---- */

#define P_ DMARC_POLICY_ABSENT
#define PN DMARC_POLICY_NONE
#define PQ DMARC_POLICY_QUARANTINE
#define PR DMARC_POLICY_REJECT
#define PX DMARC_POLICY_INVALID

struct rec_case {
	const char *in;
	bool is_dmarc;
	enum dmarc_policy p, sp, np;
	const char *problems;	/* "KIND:tag,..." in order */
};

static const struct rec_case rec_cases[] = {
	{ "v=DMARC1; p=reject", true, PR, P_, P_, "" },
	{ "v=DMARC1;p=none;rua=mailto:d@example.com", true, PN, P_, P_, "" },
	{ " v = DMARC1 ; p = Quarantine ; ", true, PQ, P_, P_, "" },
	{ "V=DMARC1; P=REJECT", true, PR, P_, P_, "" },
	{ "v=DMARC1; p=reject; sp=none; np=quarantine", true, PR, PN, PQ, "" },
	{ "v=dmarc1; p=reject", false, P_, P_, P_, "V_NOT_FIRST:v" },
	{ "p=reject; v=DMARC1", false, P_, P_, P_, "V_NOT_FIRST:v" },
	{ "v=DMARC1 p=reject", false, P_, P_, P_, "V_NOT_FIRST:v" },
	{ "v=DMARC1", true, P_, P_, P_, "P_MISSING:p" },
	{ "v=DMARC1; rua=mailto:d@example.com", true, P_, P_, P_, "P_MISSING:p" },
	{ "v=DMARC1; p=rejectt", true, PX, P_, P_, "BAD_VALUE:p" },
	{ "v=DMARC1; p=", true, PX, P_, P_, "BAD_VALUE:p" },
	{ "v=DMARC1; p=reject; sp=bogus", true, PR, PX, P_, "BAD_VALUE:sp" },
	{ "v=DMARC1; p=reject; np=all", true, PR, P_, PX, "BAD_VALUE:np" },
	{ "v=DMARC1; p=none; psd=x", true, PN, P_, P_, "BAD_VALUE:psd" },
	{ "v=DMARC1; p=none; t=maybe", true, PN, P_, P_, "BAD_VALUE:t" },
	{ "v=DMARC1; p=none; adkim=x; aspf=relaxed", true, PN, P_, P_,
	  "BAD_VALUE:adkim,BAD_VALUE:aspf" },
	{ "v=DMARC1; p=none; fo=1:d:s", true, PN, P_, P_, "" },
	{ "v=DMARC1; p=none; fo=d", true, PN, P_, P_, "" },
	{ "v=DMARC1; p=none; fo=0:1", true, PN, P_, P_, "BAD_VALUE:fo" },
	{ "v=DMARC1; p=none; fo=d:d", true, PN, P_, P_, "BAD_VALUE:fo" },
	{ "v=DMARC1; p=none; fo=x", true, PN, P_, P_, "BAD_VALUE:fo" },
	{ "v=DMARC1; p=none; fo=", true, PN, P_, P_, "BAD_VALUE:fo" },
	{ "v=DMARC1; p=reject; pct=50", true, PR, P_, P_, "OBSOLETE:pct" },
	{ "v=DMARC1; p=reject; pct=150", true, PR, P_, P_, "OBSOLETE:pct,BAD_VALUE:pct" },
	{ "v=DMARC1; p=reject; pct=5%", true, PR, P_, P_, "OBSOLETE:pct,BAD_VALUE:pct" },
	{ "v=DMARC1; p=reject; rf=afrf; ri=86400", true, PR, P_, P_,
	  "OBSOLETE:rf,OBSOLETE:ri" },
	{ "v=DMARC1; p=reject; rf=iodef", true, PR, P_, P_, "OBSOLETE:rf,BAD_VALUE:rf" },
	{ "v=DMARC1; p=reject; ri=1h", true, PR, P_, P_, "OBSOLETE:ri,BAD_VALUE:ri" },
	{ "v=DMARC1; p=reject; foo=bar", true, PR, P_, P_, "UNKNOWN_TAG:foo" },
	{ "v=DMARC1; p=reject; p=none", true, PR, P_, P_, "DUPLICATE:p" },
	{ "v=DMARC1; p=reject; P=none", true, PR, P_, P_, "DUPLICATE:P" },
	{ "v=DMARC1; p=reject; v=DMARC1", true, PR, P_, P_, "DUPLICATE:v" },
	{ "v=DMARC1; p=reject;;", true, PR, P_, P_, "TAGLIST:" },
	{ "v=DMARC1; p=reject; rua mailto:x@example.com", true, PR, P_, P_, "TAGLIST:" },
	{ "v=DMARC1; p=reject; rua=mailto:x", true, PR, P_, P_, "BAD_URI:rua" },
	{ "v=DMARC1; p=reject; ruf=ftp://x.example.com", true, PR, P_, P_, "BAD_URI:ruf" },
};

static const char *const kind_names[] = {
	"TAGLIST", "V_NOT_FIRST", "P_MISSING", "BAD_VALUE", "DUPLICATE", "BAD_URI",
	"UNKNOWN_TAG", "OBSOLETE",
};

/* Render a record's problems as "KIND:tag,...". */
static void
render_problems(const struct dmarc_record *rec, char *out, size_t outlen)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < rec->nproblems && i < DMARC_MAX_PROBLEMS; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s:%s", i ? "," : "",
		    kind_names[rec->problems[i].kind], rec->problems[i].tag);
}

static void
test_records(void **state)
{
	const struct rec_case *c;
	struct dmarc_record *rec = malloc(sizeof(*rec));
	char got[256];
	size_t i;
	int rc;

	(void)state;
	assert_non_null(rec);
	for (i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		c = &rec_cases[i];
		rc = dmarc_parse(c->in, strlen(c->in), rec);
		render_problems(rec, got, sizeof(got));
		if (rc != (c->is_dmarc ? 0 : -1) || rec->is_dmarc != c->is_dmarc)
			fail_msg("\"%s\": is_dmarc %d", c->in, rec->is_dmarc);
		if (strcmp(got, c->problems) != 0)
			fail_msg("\"%s\": problems \"%s\", expected \"%s\"", c->in, got,
			    c->problems);
		if (rec->p != c->p || rec->sp != c->sp || rec->np != c->np)
			fail_msg("\"%s\": p/sp/np %d/%d/%d", c->in, (int)rec->p, (int)rec->sp,
			    (int)rec->np);
	}
	free(rec);
}

static void
test_defaults_and_flags(void **state)
{
	struct dmarc_record rec;
	const char *r1 = "v=DMARC1; p=reject";
	const char *r2 = "v=DMARC1; p=quarantine; psd=n; t=y; adkim=S; aspf=s; pct=0";
	const char *r3 = "v=DMARC1; p=none; psd=y";

	(void)state;
	assert_int_equal(dmarc_parse(r1, strlen(r1), &rec), 0);
	assert_int_equal(rec.adkim, 'r');
	assert_int_equal(rec.aspf, 'r');
	assert_int_equal(rec.psd, DMARC_PSD_U);
	assert_false(rec.has_psd);
	assert_false(rec.testing);
	assert_int_equal(rec.pct, -1);
	assert_false(rec.rua.present);
	assert_string_equal(rec.p_text, "reject");

	assert_int_equal(dmarc_parse(r2, strlen(r2), &rec), 0);
	assert_int_equal(rec.psd, DMARC_PSD_N);
	assert_true(rec.testing);
	assert_int_equal(rec.adkim, 's');
	assert_int_equal(rec.aspf, 's');
	assert_int_equal(rec.pct, 0);
	assert_true(rec.has_pct);

	assert_int_equal(dmarc_parse(r3, strlen(r3), &rec), 0);
	assert_int_equal(rec.psd, DMARC_PSD_Y);
}

static void
test_problem_severity_and_value(void **state)
{
	struct dmarc_record rec;
	const char *r = "v=DMARC1; p=rejekt; adkim=x; foo=\x01" "bar; pct=30";

	(void)state;
	assert_int_equal(dmarc_parse(r, strlen(r), &rec), 0);
	/* tag-list errors come first: the control byte in foo's value */
	assert_int_equal(rec.problems[0].kind, DMARC_PROB_TAGLIST);
	assert_string_equal(rec.problems[0].tag, "foo");
	assert_int_equal(rec.problems[0].sev, DMARC_PSEV_ERROR);
	assert_int_equal(rec.problems[1].kind, DMARC_PROB_BAD_VALUE);
	assert_int_equal(rec.problems[1].sev, DMARC_PSEV_ERROR);	/* p */
	assert_string_equal(rec.problems[1].tag, "p");
	assert_string_equal(rec.problems[1].value, "rejekt");
	assert_int_equal(rec.problems[1].pos, 12);
	assert_non_null(rec.problems[1].reason);
	assert_int_equal(rec.problems[2].sev, DMARC_PSEV_WARN);	/* adkim */
	assert_int_equal(rec.problems[3].kind, DMARC_PROB_UNKNOWN_TAG);
	assert_string_equal(rec.problems[3].value, "\\x01bar");
	assert_int_equal(rec.problems[4].kind, DMARC_PROB_OBSOLETE);
	assert_int_equal(rec.problems[4].sev, DMARC_PSEV_INFO);
	assert_string_equal(rec.p_text, "rejekt");
	assert_int_equal(rec.p, DMARC_POLICY_INVALID);
	assert_int_equal(rec.nproblems, 5);
}

/* ---- URIs ---- */

struct uri_case {
	const char *in;
	bool valid;
	enum dmarc_uri_scheme scheme;
	const char *host;
	bool size;
};

static const struct uri_case uri_cases[] = {
	{ "mailto:dmarc@example.com", true, DMARC_URI_MAILTO, "example.com", false },
	{ "MAILTO:d@Example.COM", true, DMARC_URI_MAILTO, "example.com", false },
	{ "mailto:d@example.com!10m", true, DMARC_URI_MAILTO, "example.com", true },
	{ "mailto:d@example.com!10", true, DMARC_URI_MAILTO, "example.com", true },
	{ "mailto:d@example.com!10x", false, DMARC_URI_OTHER, "", false },
	{ "mailto:d@example.com!", false, DMARC_URI_OTHER, "", false },
	{ "mailto:d@example.com?subject=hi", true, DMARC_URI_MAILTO, "example.com", false },
	{ "mailto:d%40x@example.com", true, DMARC_URI_MAILTO, "example.com", false },
	{ "mailto:d@example.com.", true, DMARC_URI_MAILTO, "example.com", false },
	{ "mailto:example.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:@example.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@localhost", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@exa_mple.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@-a.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@a-.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@a..com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d..x@example.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:.d@example.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d x@example.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@127.0.0.1", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@example.com%", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@ex%41mple.com", false, DMARC_URI_MAILTO, "", false },
	{ "mailto:d@\xc3\xa9xample.com", false, DMARC_URI_MAILTO, "", false },
	{ "https://reports.example.net/dmarc", true, DMARC_URI_HTTPS, "reports.example.net",
	  false },
	{ "https://Reports.Example.NET:8443/x?y=1#z", true, DMARC_URI_HTTPS,
	  "reports.example.net", false },
	{ "https://user@reports.example.net", true, DMARC_URI_HTTPS, "reports.example.net",
	  false },
	{ "https://[2001:db8::1]/x", true, DMARC_URI_HTTPS, "", false },
	{ "https://192.0.2.1/x", true, DMARC_URI_HTTPS, "", false },
	{ "https:reports.example.net", false, DMARC_URI_HTTPS, "", false },
	{ "https://reports.example.net:99999/", false, DMARC_URI_HTTPS, "", false },
	{ "https://reports.example.net:8x/", false, DMARC_URI_HTTPS, "", false },
	{ "https://[2001:db8::1/x", false, DMARC_URI_HTTPS, "", false },
	{ "http://reports.example.net", false, DMARC_URI_OTHER, "", false },
	{ "ftp:x", false, DMARC_URI_OTHER, "", false },
	{ "dmarc@example.com", false, DMARC_URI_OTHER, "", false },
	{ ":x", false, DMARC_URI_OTHER, "", false },
	{ "", false, DMARC_URI_OTHER, "", false },
};

static void
test_uris(void **state)
{
	const struct uri_case *c;
	struct dmarc_uri u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uri_cases) / sizeof(uri_cases[0]); i++) {
		c = &uri_cases[i];
		dmarc_parse_uri((const uint8_t *)c->in, strlen(c->in), &u);
		if (u.valid != c->valid)
			fail_msg("\"%s\": valid %d (%s)", c->in, u.valid,
			    u.reason ? u.reason : "-");
		if (u.valid && u.reason != NULL)
			fail_msg("\"%s\": valid with a reason", c->in);
		if (!u.valid && u.reason == NULL)
			fail_msg("\"%s\": invalid without a reason", c->in);
		if (u.scheme != c->scheme || strcmp(u.host, c->host) != 0 || u.has_size != c->size)
			fail_msg("\"%s\": scheme %d host \"%s\" size %d", c->in, (int)u.scheme,
			    u.host, u.has_size);
	}
	dmarc_parse_uri((const uint8_t *)"https://[::1]/", 14, &u);
	assert_true(u.host_is_ip);
}

static void
test_uri_lists(void **state)
{
	struct dmarc_record rec;
	const char *r1 = "v=DMARC1; p=none; rua=mailto:a@example.com , mailto:b@example.net,"
	    "https://x.example.org/r";
	const char *r2 = "v=DMARC1; p=none; rua=mailto:a@example.com,";
	char r3[1024];
	size_t i, o;

	(void)state;
	assert_int_equal(dmarc_parse(r1, strlen(r1), &rec), 0);
	assert_true(rec.rua.present);
	assert_int_equal(rec.rua.count, 3);
	assert_int_equal(rec.rua.nvalid, 3);
	assert_string_equal(rec.rua.uris[1].host, "example.net");
	assert_string_equal(rec.rua.uris[1].text, "mailto:b@example.net");
	assert_false(rec.ruf.present);

	assert_int_equal(dmarc_parse(r2, strlen(r2), &rec), 0);
	assert_int_equal(rec.rua.count, 2);
	assert_int_equal(rec.rua.nvalid, 1);
	assert_int_equal(rec.nproblems, 1);
	assert_int_equal(rec.problems[0].kind, DMARC_PROB_BAD_URI);

	o = (size_t)snprintf(r3, sizeof(r3), "v=DMARC1; p=none; ruf=");
	for (i = 0; i < DMARC_MAX_URIS + 3; i++)
		o += (size_t)snprintf(r3 + o, sizeof(r3) - o, "%smailto:r%zu@example.com",
		    i ? "," : "", i);
	assert_int_equal(dmarc_parse(r3, o, &rec), 0);
	assert_int_equal(rec.ruf.count, DMARC_MAX_URIS);
	assert_int_equal(rec.ruf.total, DMARC_MAX_URIS + 3);
	assert_int_equal(rec.ruf.nvalid, DMARC_MAX_URIS);
}

static void
test_problems_are_bounded_and_counted(void **state)
{
	char r[2048];
	struct dmarc_record rec;
	size_t i, o;

	(void)state;
	o = (size_t)snprintf(r, sizeof(r), "v=DMARC1; p=none");
	for (i = 0; i < DMARC_MAX_PROBLEMS + 10; i++)
		o += (size_t)snprintf(r + o, sizeof(r) - o, "; x%zu=1", i);
	assert_int_equal(dmarc_parse(r, o, &rec), 0);
	assert_int_equal(rec.nproblems, DMARC_MAX_PROBLEMS + 10);
	assert_int_equal(rec.problems[DMARC_MAX_PROBLEMS - 1].kind, DMARC_PROB_UNKNOWN_TAG);
}

static void
test_hostile_bytes_are_sanitized(void **state)
{
	static const char r[] = "v=DMARC1; p=\x1b[31mreject\xff; rua=mailto:a\x00@example.com";
	struct dmarc_record rec;
	size_t i, j;

	(void)state;
	assert_int_equal(dmarc_parse(r, sizeof(r) - 1, &rec), 0);
	assert_int_equal(rec.p, DMARC_POLICY_INVALID);
	assert_int_equal(rec.rua.nvalid, 0);
	for (i = 0; i < rec.nproblems && i < DMARC_MAX_PROBLEMS; i++)
		for (j = 0; rec.problems[i].value[j]; j++)
			assert_true(rec.problems[i].value[j] >= 0x20 &&
			    rec.problems[i].value[j] < 0x7f);
	assert_null(strchr(rec.p_text, '\x1b'));
	assert_non_null(strstr(rec.p_text, "\\x1b"));
	assert_null(memchr(rec.rua.uris[0].text, 0, strlen(rec.rua.uris[0].text)));
}

static void
test_not_a_record_says_why(void **state)
{
	struct dmarc_record rec;

	(void)state;
	assert_int_equal(dmarc_parse("p=reject; v=DMARC1", 18, &rec), -1);
	assert_string_equal(rec.problems[0].reason, "v=DMARC1 is not the first tag");
	assert_int_equal(dmarc_parse("v=dmarc1", 8, &rec), -1);
	assert_string_equal(rec.problems[0].reason, "version must be DMARC1 in upper case");
	assert_int_equal(dmarc_parse("v=DMARC1 p=none", 15, &rec), -1);
	assert_string_equal(rec.problems[0].reason, "no ';' after v=DMARC1");
	assert_int_equal(dmarc_parse("v=DMARC2", 8, &rec), -1);
	assert_string_equal(rec.problems[0].reason, "version is not exactly DMARC1");
	assert_int_equal(dmarc_parse("x=1", 3, &rec), -1);
	assert_string_equal(rec.problems[0].reason, "no v=DMARC1 tag");
	assert_int_equal(dmarc_parse(NULL, 3, &rec), -1);
}

static void
test_policy_words_and_ranks(void **state)
{
	(void)state;
	assert_string_equal(dmarc_policy_word(DMARC_POLICY_REJECT), "reject");
	assert_string_equal(dmarc_policy_word(DMARC_POLICY_QUARANTINE), "quarantine");
	assert_string_equal(dmarc_policy_word(DMARC_POLICY_NONE), "none");
	assert_true(dmarc_policy_rank(DMARC_POLICY_NONE) < dmarc_policy_rank(DMARC_POLICY_QUARANTINE));
	assert_true(dmarc_policy_rank(DMARC_POLICY_QUARANTINE) <
	    dmarc_policy_rank(DMARC_POLICY_REJECT));
	assert_int_equal(dmarc_policy_rank(DMARC_POLICY_INVALID), -1);
	assert_int_equal(dmarc_policy_rank(DMARC_POLICY_ABSENT), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_defaults_and_flags),
		cmocka_unit_test(test_problem_severity_and_value),
		cmocka_unit_test(test_uris),
		cmocka_unit_test(test_uri_lists),
		cmocka_unit_test(test_problems_are_bounded_and_counted),
		cmocka_unit_test(test_hostile_bytes_are_sanitized),
		cmocka_unit_test(test_not_a_record_says_why),
		cmocka_unit_test(test_policy_words_and_ranks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
