/*
 * test_tlsrpt_parse.c - the TLS-RPT record parser (tlsrpt_parse.c, RFC 8460 3).
 *
 * One table: TXT strings with their class, validity, the number of valid URIs and a
 * problem reason (substring) with its severity that must be listed; then the caps on
 * URIs and problems and the sanitizing of hostile bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "record/tlsrpt_parse.h"

struct rpt_case {
	const char *what;
	const char *in;
	enum tlsrpt_txt_kind kind;
	bool valid;
	size_t nvalid;
	const char *problem;		/* reason substring that must be listed, or NULL */
	enum tlsrpt_psev sev;
};

#define WARN TLSRPT_PSEV_WARN
#define ERR TLSRPT_PSEV_ERROR

static const struct rpt_case cases[] = {
	{ "mailto", "v=TLSRPTv1; rua=mailto:reports@example.com", TLSRPT_TXT_CANDIDATE,
	  true, 1, NULL, WARN },
	{ "https", "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt",
	  TLSRPT_TXT_CANDIDATE, true, 1, NULL, WARN },
	{ "both, comma and spaces", "v=TLSRPTv1; rua=mailto:a@example.com , "
	  "https://r.example.com:8443/x;", TLSRPT_TXT_CANDIDATE, true, 2, NULL, WARN },
	{ "mailto with hfields", "v=TLSRPTv1; rua=mailto:a@example.com?subject=tls",
	  TLSRPT_TXT_CANDIDATE, true, 1, NULL, WARN },
	{ "extension with a hyphen", "v=TLSRPTv1; rua=mailto:a@example.com; ext-1=x",
	  TLSRPT_TXT_CANDIDATE, true, 1, NULL, WARN },
	{ "scheme upper case", "v=TLSRPTv1; rua=MAILTO:a@example.com", TLSRPT_TXT_CANDIDATE,
	  true, 1, NULL, WARN },
	{ "ftp is no scheme for reports", "v=TLSRPTv1; rua=ftp://example.com/r",
	  TLSRPT_TXT_CANDIDATE, false, 0, "mailto: or https:", ERR },
	{ "http is not https", "v=TLSRPTv1; rua=http://example.com/r", TLSRPT_TXT_CANDIDATE,
	  false, 0, "mailto: or https:", ERR },
	{ "one bad URI next to a good one", "v=TLSRPTv1; rua=mailto:a@example.com,ftp://x.example",
	  TLSRPT_TXT_CANDIDATE, true, 1, "mailto: or https:", WARN },
	{ "mailto without @", "v=TLSRPTv1; rua=mailto:reports", TLSRPT_TXT_CANDIDATE, false,
	  0, "local-part@domain", ERR },
	{ "mailto with a bad domain", "v=TLSRPTv1; rua=mailto:a@exa_mple.com",
	  TLSRPT_TXT_CANDIDATE, false, 0, "not a DNS name", ERR },
	{ "https with a bad host", "v=TLSRPTv1; rua=https://-bad.example/", TLSRPT_TXT_CANDIDATE,
	  false, 0, "not a DNS name", ERR },
	{ "https with a bad port", "v=TLSRPTv1; rua=https://r.example.com:99999x/",
	  TLSRPT_TXT_CANDIDATE, false, 0, "port", ERR },
	{ "empty URI between commas", "v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com",
	  TLSRPT_TXT_CANDIDATE, true, 2, "empty URI", WARN },
	{ "no rua", "v=TLSRPTv1;", TLSRPT_TXT_CANDIDATE, false, 0, "no rua", ERR },
	{ "two rua tags", "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
	  TLSRPT_TXT_CANDIDATE, false, 1, "twice", ERR },
	{ "v again", "v=TLSRPTv1; rua=mailto:a@example.com; v=TLSRPTv1", TLSRPT_TXT_CANDIDATE,
	  false, 1, NULL, ERR },
	{ "lower case version", "v=tlsrptv1; rua=mailto:a@example.com", TLSRPT_TXT_LOOKALIKE,
	  false, 0, "begin with", ERR },
	{ "TLSRPTv2", "v=TLSRPTv2; rua=mailto:a@example.com", TLSRPT_TXT_LOOKALIKE, false, 0,
	  "begin with", ERR },
	{ "an SPF record", "v=spf1 -all", TLSRPT_TXT_OTHER, false, 0, "begin with", ERR },
};

/* Whether a problem with reason substring and severity is listed. */
static bool
has_problem(const struct tlsrpt_record *r, const char *reason, enum tlsrpt_psev sev)
{
	size_t i;

	for (i = 0; i < r->nproblems && i < TLSRPT_MAX_PROBLEMS; i++)
		if (strstr(r->problems[i].reason, reason) != NULL && r->problems[i].sev == sev)
			return true;
	return false;
}

static void
test_table(void **state)
{
	struct tlsrpt_record r;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rpt_case *c = &cases[i];

		print_message("tlsrpt: %s\n", c->what);
		assert_int_equal(tlsrpt_txt_classify(c->in, strlen(c->in)), c->kind);
		rc = tlsrpt_parse(c->in, strlen(c->in), &r);
		assert_int_equal(rc == 0, c->valid);
		assert_int_equal(r.valid, c->valid);
		assert_int_equal(r.nvalid, c->nvalid);
		if (c->problem != NULL)
			assert_true(has_problem(&r, c->problem, c->sev));
		else if (c->valid)
			assert_int_equal(r.nproblems, 0);
		else
			assert_true(r.nproblems > 0);
	}
}

/* The URIs are kept in order with their kind. */
static void
test_uris_are_listed(void **state)
{
	static const char in[] = "v=TLSRPTv1; rua=https://r.example/x,mailto:t@example.org";
	struct tlsrpt_record r;

	(void)state;
	assert_int_equal(tlsrpt_parse(in, sizeof(in) - 1, &r), 0);
	assert_int_equal(r.nuris, 2);
	assert_string_equal(r.uris[0].text, "https://r.example/x");
	assert_true(r.uris[0].https);
	assert_string_equal(r.uris[1].text, "mailto:t@example.org");
	assert_false(r.uris[1].https);
}

/* Many URIs: counted past the cap, the kept ones bounded. */
static void
test_uri_cap(void **state)
{
	char in[2048];
	struct tlsrpt_record r;
	size_t o, i;

	(void)state;
	o = (size_t)snprintf(in, sizeof(in), "v=TLSRPTv1; rua=");
	for (i = 0; i < TLSRPT_MAX_URIS + 4; i++)
		o += (size_t)snprintf(in + o, sizeof(in) - o, "%smailto:r%zu@example.com",
		    i ? "," : "", i);
	assert_int_equal(tlsrpt_parse(in, o, &r), 0);
	assert_int_equal(r.nuris, TLSRPT_MAX_URIS);
	assert_int_equal(r.uri_total, TLSRPT_MAX_URIS + 4);
	assert_int_equal(r.nvalid, TLSRPT_MAX_URIS + 4);
}

/* NUL and high bytes: an error, and the copies are printable. */
static void
test_hostile_bytes(void **state)
{
	static const char in[] = "v=TLSRPTv1; rua=mailto:a\0b@example.com\xff";
	struct tlsrpt_record r;
	size_t i, j;

	(void)state;
	assert_int_equal(tlsrpt_parse(in, sizeof(in) - 1, &r), -1);
	assert_true(r.nproblems > 0);
	for (i = 0; i < r.nproblems && i < TLSRPT_MAX_PROBLEMS; i++)
		for (j = 0; r.problems[i].text[j] != '\0'; j++)
			assert_true(r.problems[i].text[j] >= 0x20 && r.problems[i].text[j] < 0x7f);
	for (i = 0; i < r.nuris; i++)
		for (j = 0; r.uris[i].text[j] != '\0'; j++)
			assert_true(r.uris[i].text[j] >= 0x20 && r.uris[i].text[j] < 0x7f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_uris_are_listed),
		cmocka_unit_test(test_uri_cap),
		cmocka_unit_test(test_hostile_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
