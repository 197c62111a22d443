/*
 * test_check_mtasts.c - the MTA-STS and TLS-RPT families (check_mtasts.c,
 * check_tlsrpt.c) on answers built by answers.h and documents seeded with
 * eval_add_fetch() (no network).
 *
 * Two tables: each case builds a scenario (DNS answers, the policy the fetch returns),
 * names the codes of the family that must be raised, the severity of the first one,
 * and the family result; every other code of the family must NOT be raised. Then the
 * protocol: the first run queues the four round-1 questions together and the fetch
 * only once the answers are there; no fetch without a record and without a host;
 * temperrors without findings; MTASTS_ID_UNCHANGED across evaluations sharing a
 * document cache, and its absence when the id changed or the body did not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"
#include "cache/cache.h"
#include "check/checks.h"
#include "noted.h"

#define DOM "example.com"
#define TXTNAME "_mta-sts.example.com"
#define HOST "mta-sts.example.com"
#define URL "https://mta-sts.example.com/.well-known/mta-sts.txt"
#define RPTNAME "_smtp._tls.example.com"
#define END PC_COUNT

#define GOOD_POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n" \
	"mx: *.backup.example.com\r\nmax_age: 604800\r\n"

static const enum posture_code sts_codes[] = {
	PC_MTASTS_NONE, PC_MTASTS_TXT_SYNTAX, PC_MTASTS_MULTIPLE, PC_MTASTS_POLICY_FETCH,
	PC_MTASTS_REDIRECT, PC_MTASTS_CONTENT_TYPE, PC_MTASTS_POLICY_SYNTAX,
	PC_MTASTS_MODE_TESTING, PC_MTASTS_MODE_NONE, PC_MTASTS_MX_MISMATCH,
	PC_MTASTS_MAX_AGE_LOW, PC_MTASTS_ID_UNCHANGED,
};
static const enum posture_code rpt_codes[] = {
	PC_TLSRPT_NONE, PC_TLSRPT_SYNTAX, PC_TLSRPT_MULTIPLE,
};

/* ---- scenario pieces ---- */

/* MX: mx1.example.com and mail.backup.example.com. */
static void
mx_two(struct eval_ctx *c)
{
	ans_mx(c, DOM, "10 mx1.example.com", "20 mail.backup.example.com", NULL);
}

/* The policy host on a public address. */
static void
host_up(struct eval_ctx *c)
{
	ans_addr(c, HOST, DNS_T_A, "192.0.2.80", NULL);
	ans_status(c, HOST, DNS_T_AAAA, DNS_NODATA);
}

/* No policy host. */
static void
host_none(struct eval_ctx *c)
{
	ans_status(c, HOST, DNS_T_A, DNS_NXDOMAIN);
	ans_status(c, HOST, DNS_T_AAAA, DNS_NXDOMAIN);
}

/* What the fetch of the policy URL returned. */
static void
served(struct eval_ctx *c, int status, const char *ctype, const char *body)
{
	struct https_result r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	snprintf(r.content_type, sizeof(r.content_type), "%s", ctype ? ctype : "");
	if (body != NULL) {
		r.body = (uint8_t *)(uintptr_t)body;
		r.body_len = strlen(body);
	}
	if (status == 301)
		snprintf(r.location, sizeof(r.location), "https://www.example.com/sts.txt");
	if (status < 0)
		snprintf(r.error, sizeof(r.error), "SSL: no alternative certificate subject "
		    "name matches");
	assert_int_equal(eval_add_fetch(c, URL, &r, "1", 604800), 0);
}

/* A published record, id=1, the host up, MX two, and the policy body. */
static void
published(struct eval_ctx *c, const char *policy)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, 200, "text/plain", policy);
}

static void s_clean(struct eval_ctx *c) { published(c, GOOD_POLICY); }
static void
s_ctype_charset(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, 200, "Text/Plain; charset=utf-8", GOOD_POLICY);
}
static void
s_none(struct eval_ctx *c)
{
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
	mx_two(c);
	host_none(c);
}
static void
s_orphan(struct eval_ctx *c)
{
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
	mx_two(c);
	host_up(c);
	served(c, 200, "text/plain", GOOD_POLICY);
}
static void
s_orphan_host_404(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "some unrelated text", NULL);
	mx_two(c);
	host_up(c);
	served(c, 404, "text/html", "<html>not found</html>");
}
static void
s_lookalike(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=stsv1; id=1", NULL);
	mx_two(c);
	host_none(c);
}
static void
s_multiple(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", "v=STSv1; id=2", NULL);
	mx_two(c);
	host_up(c);
	served(c, 200, "text/plain", GOOD_POLICY);
}
static void
s_bad_id(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=2026-01-01", NULL);
	mx_two(c);
	host_up(c);
	served(c, 200, "text/plain", GOOD_POLICY);
}
static void
s_no_host(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_none(c);
}
static void
s_tls_error(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, HTTPS_ERR_TLS, NULL, NULL);
}
static void
s_404(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, 404, "text/html", "<html>not found</html>");
}
static void
s_redirect(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, 301, "text/html", "moved");
}
static void
s_ctype(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, 200, "text/html", GOOD_POLICY);
}
static void
s_syntax(struct eval_ctx *c)
{
	published(c, "version: STSv1\nmode: enforcing\nmx: *.example.com\nmax_age: 1w\n");
}
static void
s_testing(struct eval_ctx *c)
{
	published(c, "version: STSv1\nmode: testing\nmx: *.example.com\nmx: *.backup.example.com\n"
	    "max_age: 1209600\n");
}
static void
s_mode_none(struct eval_ctx *c)
{
	published(c, "version: STSv1\nmode: none\nmax_age: 3600\n");
}
static void
s_mismatch(struct eval_ctx *c)
{
	published(c, "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 604800\n");
}
static void
s_mismatch_testing(struct eval_ctx *c)
{
	published(c, "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 604800\n");
}
static void
s_wildcard_one_label(struct eval_ctx *c)
{
	/* *.example.com covers mx1 but not mail.backup (two labels, RFC 8461 4.1). */
	published(c, "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n");
}
static void
s_max_age_low(struct eval_ctx *c)
{
	published(c, "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
	    "mx: *.backup.example.com\nmax_age: 86399\n");
}
static void
s_max_age_one_day(struct eval_ctx *c)
{
	published(c, "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
	    "mx: *.backup.example.com\nmax_age: 86400\n");
}
static void
s_implicit_mx(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	ans_status(c, DOM, DNS_T_MX, DNS_NODATA);
	host_up(c);
	served(c, 200, "text/plain", "version: STSv1\nmode: enforce\nmx: example.com\n"
	    "max_age: 604800\n");
}
static void
s_implicit_mx_mismatch(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	ans_status(c, DOM, DNS_T_MX, DNS_NODATA);
	host_up(c);
	served(c, 200, "text/plain", "version: STSv1\nmode: enforce\nmx: *.example.com\n"
	    "max_age: 604800\n");
}
static void
s_mx_failed(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	ans_status(c, DOM, DNS_T_MX, DNS_SERVFAIL);
	host_up(c);
	served(c, 200, "text/plain", "version: STSv1\nmode: enforce\nmx: nothing.example\n"
	    "max_age: 604800\n");
}
static void
s_budget(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, HTTPS_ERR_BUDGET, NULL, NULL);
}
static void
s_txt_servfail(struct eval_ctx *c)
{
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_SERVFAIL);
	mx_two(c);
	host_up(c);
}
static void
s_host_servfail(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(c);
	ans_status(c, HOST, DNS_T_A, DNS_SERVFAIL);
	ans_status(c, HOST, DNS_T_AAAA, DNS_TIMEOUT);
}

struct check_case {
	const char *name;
	void (*setup)(struct eval_ctx *);
	enum posture_code expect[3];	/* END-terminated */
	const char *sev;		/* of the first expected finding */
	enum posture_result result;
	const char *word;		/* the first finding's message holds it, or NULL */
};

static const struct check_case sts_cases[] = {
	{ "clean enforce policy", s_clean, { END }, NULL, PR_OK, NULL },
	{ "text/plain with a charset, any case", s_ctype_charset, { END }, NULL, PR_OK, NULL },
	{ "no record, no host", s_none, { PC_MTASTS_NONE, END }, "info", PR_NONE, "_mta-sts" },
	{ "policy without a record", s_orphan, { PC_MTASTS_NONE, END }, "warn", PR_NONE,
	  "never fetch" },
	{ "no record, the host answers 404", s_orphan_host_404, { PC_MTASTS_NONE, END }, "info",
	  PR_NONE, NULL },
	{ "look-alike record", s_lookalike, { PC_MTASTS_TXT_SYNTAX, PC_MTASTS_NONE, END },
	  "error", PR_BROKEN, "v=STSv1" },
	{ "two records", s_multiple, { PC_MTASTS_MULTIPLE, END }, "error", PR_BROKEN, "2 v=STSv1" },
	{ "bad id", s_bad_id, { PC_MTASTS_TXT_SYNTAX, END }, "error", PR_BROKEN, "2026-01-01" },
	{ "record without a host", s_no_host, { PC_MTASTS_POLICY_FETCH, END }, "error", PR_BROKEN,
	  "no A or AAAA" },
	{ "TLS failure", s_tls_error, { PC_MTASTS_POLICY_FETCH, END }, "error", PR_BROKEN,
	  "TLS" },
	{ "HTTP 404", s_404, { PC_MTASTS_POLICY_FETCH, END }, "error", PR_BROKEN, "404" },
	{ "redirect", s_redirect, { PC_MTASTS_REDIRECT, END }, "error", PR_BROKEN,
	  "www.example.com" },
	{ "text/html", s_ctype, { PC_MTASTS_CONTENT_TYPE, END }, "error", PR_BROKEN, "text/html" },
	{ "bad mode and max_age", s_syntax, { PC_MTASTS_POLICY_SYNTAX, END }, "error", PR_BROKEN,
	  "enforcing" },
	{ "testing mode", s_testing, { PC_MTASTS_MODE_TESTING, END }, "warn", PR_WEAK, NULL },
	{ "mode none with a short max_age", s_mode_none, { PC_MTASTS_MODE_NONE, END }, "warn",
	  PR_WEAK, NULL },
	{ "MX host not covered", s_mismatch, { PC_MTASTS_MX_MISMATCH, END }, "error", PR_BROKEN,
	  "mail.backup.example.com" },
	{ "MX host not covered in testing", s_mismatch_testing,
	  { PC_MTASTS_MODE_TESTING, PC_MTASTS_MX_MISMATCH, END }, "warn", PR_WEAK, NULL },
	{ "a wildcard covers one label only", s_wildcard_one_label,
	  { PC_MTASTS_MX_MISMATCH, END }, "error", PR_BROKEN, "mail.backup.example.com" },
	{ "max_age one second below a day", s_max_age_low, { PC_MTASTS_MAX_AGE_LOW, END },
	  "warn", PR_WEAK, "86399" },
	{ "max_age of a day", s_max_age_one_day, { END }, NULL, PR_OK, NULL },
	{ "implicit MX matched", s_implicit_mx, { END }, NULL, PR_OK, NULL },
	{ "implicit MX not matched", s_implicit_mx_mismatch, { PC_MTASTS_MX_MISMATCH, END },
	  "error", PR_BROKEN, "example.com" },
	{ "MX lookup failed: hosts not judged", s_mx_failed, { END }, NULL, PR_OK, NULL },
	{ "fetch budget spent", s_budget, { END }, NULL, PR_UNKNOWN, NULL },
	{ "TXT SERVFAIL", s_txt_servfail, { END }, NULL, PR_TEMPERROR, NULL },
	{ "policy host SERVFAIL", s_host_servfail, { END }, NULL, PR_TEMPERROR, NULL },
};

/* A context for DOM without a resolver. */
static struct eval_ctx *
new_ctx(void)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);

	assert_non_null(ctx);
	return ctx;
}

/* Run one case of a table and check codes, severities, result and message. */
static void
run_case(const struct check_case *c, enum posture_family fam, check_fn fn,
	 const enum posture_code *codes, size_t ncodes)
{
	struct eval_ctx *ctx = new_ctx();
	const struct posture_finding *f;
	size_t i, j, n;
	bool expected;

	print_message("%s\n", c->name);
	c->setup(ctx);
	assert_int_equal(eval_run_check(ctx, fam, fn), CHECK_DONE);
	for (i = 0; i < ncodes; i++) {
		expected = false;
		for (j = 0; c->expect[j] != END; j++)
			expected |= c->expect[j] == codes[i];
		if (expected != eval_has_finding(ctx, codes[i]))
			fail_msg("%s: %s %s", c->name, posture_code_name(codes[i]),
			    expected ? "not raised" : "raised");
	}
	assert_int_equal(eval_family_result(ctx, fam), c->result);
	f = eval_findings(ctx, &n);
	if (c->expect[0] != END) {
		for (i = 0; i < n && f[i].code != c->expect[0]; i++)
			;
		assert_true(i < n);
		assert_string_equal(posture_severity_word(f[i].severity), c->sev);
		if (c->word != NULL && strstr(f[i].message, c->word) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", c->name, f[i].message, c->word);
		for (j = 0; f[i].message[j]; j++)
			assert_true(f[i].message[j] >= 0x20 && f[i].message[j] < 0x7f);
		assert_non_null(strstr(f[i].message, "RFC "));
	} else if (c->result == PR_TEMPERROR || c->result == PR_UNKNOWN || c->result == PR_OK) {
		for (i = 0; i < n; i++)
			assert_int_not_equal(f[i].family, fam);
	}
	eval_ctx_free(ctx);
}

static void
test_mtasts_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sts_cases) / sizeof(sts_cases[0]); i++)
		run_case(&sts_cases[i], PF_MTASTS, check_mtasts, sts_codes,
		    sizeof(sts_codes) / sizeof(sts_codes[0]));
}

/* ---- TLS-RPT ---- */

static void
r_clean(struct eval_ctx *c)
{
	ans_txt(c, RPTNAME, "v=TLSRPTv1; rua=mailto:tls@example.com", NULL);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}
static void
r_none(struct eval_ctx *c)
{
	ans_status(c, RPTNAME, DNS_T_TXT, DNS_NXDOMAIN);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}
static void
r_none_with_sts(struct eval_ctx *c)
{
	ans_status(c, RPTNAME, DNS_T_TXT, DNS_NODATA);
	ans_txt(c, TXTNAME, "v=STSv1; id=1", NULL);
}
static void
r_lookalike(struct eval_ctx *c)
{
	ans_txt(c, RPTNAME, "v=tlsrptv1; rua=mailto:tls@example.com", NULL);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}
static void
r_multiple(struct eval_ctx *c)
{
	ans_txt(c, RPTNAME, "v=TLSRPTv1; rua=mailto:a@example.com",
	    "v=TLSRPTv1; rua=mailto:b@example.com", NULL);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}
static void
r_bad_scheme(struct eval_ctx *c)
{
	ans_txt(c, RPTNAME, "v=TLSRPTv1; rua=ftp://reports.example.com/", NULL);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}
static void
r_one_bad_uri(struct eval_ctx *c)
{
	ans_txt(c, RPTNAME, "v=TLSRPTv1; rua=mailto:a@example.com,http://r.example.com/", NULL);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}
static void
r_split_strings(struct eval_ctx *c)
{
	/* Strings of one record are joined without spaces (RFC 8460 3). */
	ans_txt_split(c, RPTNAME, "v=TLSRPTv1; rua=mailto:tls@exa", "mple.com", NULL);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}
static void
r_servfail(struct eval_ctx *c)
{
	ans_status(c, RPTNAME, DNS_T_TXT, DNS_SERVFAIL);
	ans_status(c, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
}

static const struct check_case rpt_cases[] = {
	{ "clean", r_clean, { END }, NULL, PR_OK, NULL },
	{ "split strings joined", r_split_strings, { END }, NULL, PR_OK, NULL },
	{ "none, no MTA-STS", r_none, { PC_TLSRPT_NONE, END }, "info", PR_NONE, "_smtp._tls" },
	{ "none while MTA-STS is published", r_none_with_sts, { PC_TLSRPT_NONE, END }, "warn",
	  PR_NONE, "MTA-STS" },
	{ "look-alike", r_lookalike, { PC_TLSRPT_SYNTAX, PC_TLSRPT_NONE, END }, "error",
	  PR_BROKEN, "v=TLSRPTv1" },
	{ "two records", r_multiple, { PC_TLSRPT_MULTIPLE, END }, "error", PR_BROKEN, "2 " },
	{ "ftp rua", r_bad_scheme, { PC_TLSRPT_SYNTAX, END }, "error", PR_BROKEN, "ftp://" },
	{ "one bad rua of two", r_one_bad_uri, { PC_TLSRPT_SYNTAX, END }, "warn", PR_WEAK,
	  "http://" },
	{ "SERVFAIL", r_servfail, { END }, NULL, PR_TEMPERROR, NULL },
};

static void
test_tlsrpt_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rpt_cases) / sizeof(rpt_cases[0]); i++)
		run_case(&rpt_cases[i], PF_TLSRPT, check_tlsrpt, rpt_codes,
		    sizeof(rpt_codes) / sizeof(rpt_codes[0]));
}

/* ---- protocol ---- */

/* Whether a question is queued. */
static bool
queued(const struct eval_ctx *ctx, const char *name, uint16_t type)
{
	const char *n;
	uint16_t t;
	size_t i;

	for (i = 0; eval_queued(ctx, i, &n, &t); i++)
		if (t == type && strcmp(n, name) == 0)
			return true;
	return false;
}

/* Round 1 asks TXT, MX, A, AAAA together; the fetch waits for the answers. */
static void
test_round_one_then_fetch(void **state)
{
	struct eval_ctx *ctx = new_ctx();

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, check_mtasts), CHECK_PENDING);
	assert_true(queued(ctx, TXTNAME, DNS_T_TXT));
	assert_true(queued(ctx, DOM, DNS_T_MX));
	assert_true(queued(ctx, HOST, DNS_T_A));
	assert_true(queued(ctx, HOST, DNS_T_AAAA));
	ans_txt(ctx, TXTNAME, "v=STSv1; id=1", NULL);
	mx_two(ctx);
	host_up(ctx);
	/* The answers are in: now the policy is queued, so the check is pending again. */
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, check_mtasts), CHECK_PENDING);
	assert_false(eval_has_finding(ctx, PC_MTASTS_POLICY_FETCH));
	served(ctx, 200, "text/plain", GOOD_POLICY);
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, check_mtasts), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_MTASTS), PR_OK);
	eval_ctx_free(ctx);
}

/* No record and no host address: done without any fetch. */
static void
test_nothing_fetched_without_record_or_host(void **state)
{
	struct eval_ctx *ctx = new_ctx();

	(void)state;
	s_none(ctx);
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, check_mtasts), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_MTASTS_NONE));
	eval_ctx_free(ctx);
}

/* ---- MTASTS_ID_UNCHANGED through the document cache ---- */

static uint64_t fake_now;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* One evaluation against cache: the record's id and the body the fetch returns. */
static bool
evaluate_with_cache(struct cache *cache, const char *id, const char *body)
{
	struct eval_ctx *ctx = new_ctx();
	struct https_result r;
	char txt[64];
	bool raised;

	eval_set_cache(ctx, cache);
	snprintf(txt, sizeof(txt), "v=STSv1; id=%s", id);
	ans_txt(ctx, TXTNAME, txt, NULL);
	mx_two(ctx);
	host_up(ctx);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	strcpy(r.content_type, "text/plain");
	r.body = (uint8_t *)(uintptr_t)body;
	r.body_len = strlen(body);
	assert_int_equal(eval_add_fetch(ctx, URL, &r, id, 86400), 0);
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, check_mtasts), CHECK_DONE);
	raised = eval_has_finding(ctx, PC_MTASTS_ID_UNCHANGED);
	eval_ctx_free(ctx);
	return raised;
}

static void
test_id_unchanged_needs_a_changed_body_under_the_same_id(void **state)
{
	static const char *v2 = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
	    "mx: *.backup.example.com\nmax_age: 604800\n";
	struct cache_config cfg;
	struct cache *cache;

	(void)state;
	cache_config_init(&cfg);
	cfg.now_ms = fake_clock;
	cfg.shards = 1;
	fake_now = 1000000;
	cache = cache_new(&cfg);
	assert_non_null(cache);
	/* First sight: nothing to compare. */
	assert_false(evaluate_with_cache(cache, "100", GOOD_POLICY));
	/* The same body under the same id: no change. */
	fake_now += 2 * 86400 * 1000ull;
	assert_false(evaluate_with_cache(cache, "100", GOOD_POLICY));
	/* The body changed (LF lines now), the id did not. */
	fake_now += 2 * 86400 * 1000ull;
	assert_true(evaluate_with_cache(cache, "100", v2));
	/* The id changed with the body: fine. */
	fake_now += 2 * 86400 * 1000ull;
	assert_false(evaluate_with_cache(cache, "101", GOOD_POLICY));
	cache_free(cache);
}

/* A fresh cached policy fetched under the same id is served without a fetch. */
static void
test_cached_policy_is_served_under_the_same_id(void **state)
{
	struct cache_config cfg;
	struct cache *cache;
	struct eval_ctx *ctx;

	(void)state;
	cache_config_init(&cfg);
	cfg.now_ms = fake_clock;
	cfg.shards = 1;
	fake_now = 5000000;
	cache = cache_new(&cfg);
	assert_non_null(cache);
	assert_false(evaluate_with_cache(cache, "7", GOOD_POLICY));
	/* A new evaluation, nothing seeded: the cache answers, no round is needed. */
	ctx = new_ctx();
	eval_set_cache(ctx, cache);
	ans_txt(ctx, TXTNAME, "v=STSv1; id=7", NULL);
	mx_two(ctx);
	host_up(ctx);
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, check_mtasts), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_MTASTS), PR_OK);
	eval_ctx_free(ctx);
	/* Another id: the cached copy does not apply, the policy is queued. */
	ctx = new_ctx();
	eval_set_cache(ctx, cache);
	ans_txt(ctx, TXTNAME, "v=STSv1; id=8", NULL);
	mx_two(ctx);
	host_up(ctx);
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, check_mtasts), CHECK_PENDING);
	eval_ctx_free(ctx);
	cache_free(cache);
}

/* ---- change tracking ---- */

/* A context after setup, with fn run to done. */
static struct eval_ctx *
done_ctx(void (*setup)(struct eval_ctx *), enum posture_family fam, check_fn fn)
{
	struct eval_ctx *ctx = new_ctx();

	setup(ctx);
	assert_int_equal(eval_run_check(ctx, fam, fn), CHECK_DONE);
	return ctx;
}

/* Two records, other TXT beside them, a policy with LF, CRLF, blanks and empty lines. */
static void
s_noted(struct eval_ctx *c)
{
	ans_txt(c, TXTNAME, "v=STSv1; id=2;", "unrelated", "v=STSv1; id=1", NULL);
	mx_two(c);
	host_up(c);
	served(c, 200, "text/plain", "version: STSv1\r\nmode: enforce  \n\n \r\n"
	    "mx: mx1.example.com\t\r\n\r\n  mx: *.backup.example.com\nmax_age: 604800");
}

/* The TXT records and the policy fetched with 200 are noted; a failed fetch is not. */
static void
test_mtasts_records_noted(void **state)
{
	struct eval_ctx *ctx;

	(void)state;
	ctx = done_ctx(s_noted, PF_MTASTS, check_mtasts);
	assert_true(eval_has_finding(ctx, PC_MTASTS_MULTIPLE));
	assert_int_equal(noted_count(ctx), 2);
	assert_string_equal(noted(ctx, "mta-sts:txt"), "v=STSv1; id=1 | v=STSv1; id=2;");
	assert_string_equal(noted(ctx, "mta-sts:policy"), "version: STSv1; mode: enforce; "
	    "mx: mx1.example.com;   mx: *.backup.example.com; max_age: 604800");
	assert_int_equal(eval_records(ctx, &(size_t){ 0 })[1].family, PF_MTASTS);
	eval_ctx_free(ctx);

	/* a policy served without a record */
	ctx = done_ctx(s_orphan, PF_MTASTS, check_mtasts);
	assert_string_equal(noted(ctx, "mta-sts:txt"), "");
	assert_string_equal(noted(ctx, "mta-sts:policy"), "version: STSv1; mode: enforce; "
	    "mx: mx1.example.com; mx: *.backup.example.com; max_age: 604800");
	eval_ctx_free(ctx);

	ctx = done_ctx(s_none, PF_MTASTS, check_mtasts);
	assert_string_equal(noted(ctx, "mta-sts:txt"), "");
	assert_null(noted(ctx, "mta-sts:policy"));
	eval_ctx_free(ctx);

	/* fetches that failed (status, TLS, no address) note no policy */
	ctx = done_ctx(s_404, PF_MTASTS, check_mtasts);
	assert_string_equal(noted(ctx, "mta-sts:txt"), "v=STSv1; id=1");
	assert_null(noted(ctx, "mta-sts:policy"));
	eval_ctx_free(ctx);
	ctx = done_ctx(s_tls_error, PF_MTASTS, check_mtasts);
	assert_null(noted(ctx, "mta-sts:policy"));
	eval_ctx_free(ctx);
	ctx = done_ctx(s_no_host, PF_MTASTS, check_mtasts);
	assert_int_equal(noted_count(ctx), 1);
	eval_ctx_free(ctx);
}

/* The _mta-sts TXT lookup fails, a policy would be served. */
static struct eval_ctx *
sts_txt_fails(enum dns_status st)
{
	struct eval_ctx *ctx = new_ctx();

	ans_status(ctx, TXTNAME, DNS_T_TXT, st);
	mx_two(ctx);
	host_up(ctx);
	served(ctx, 200, "text/plain", GOOD_POLICY);
	return ctx;
}

/* The _smtp._tls TXT lookup fails. */
static struct eval_ctx *
rpt_txt_fails(enum dns_status st)
{
	struct eval_ctx *ctx = new_ctx();

	ans_status(ctx, RPTNAME, DNS_T_TXT, st);
	ans_txt(ctx, TXTNAME, "v=STSv1; id=1", NULL);
	return ctx;
}

/* A failed TXT lookup notes nothing (nor a policy) in either family. */
static void
test_failed_txt_notes_nothing(void **state)
{
	(void)state;
	assert_failure_notes(sts_txt_fails, PF_MTASTS, check_mtasts, "mta-sts:txt", NULL);
	assert_failure_notes(sts_txt_fails, PF_MTASTS, check_mtasts, "mta-sts:policy",
	    NULL);
	assert_failure_notes(rpt_txt_fails, PF_TLSRPT, check_tlsrpt, "tls-rpt", NULL);
}

/* TLS-RPT: the v=TLSRPTv1 records, strings joined, sorted; none is "". */
static void
test_tlsrpt_record_noted(void **state)
{
	struct eval_ctx *ctx;

	(void)state;
	ctx = done_ctx(r_split_strings, PF_TLSRPT, check_tlsrpt);
	assert_int_equal(noted_count(ctx), 1);
	assert_string_equal(noted(ctx, "tls-rpt"), "v=TLSRPTv1; rua=mailto:tls@example.com");
	assert_int_equal(eval_records(ctx, &(size_t){ 0 })[0].family, PF_TLSRPT);
	eval_ctx_free(ctx);

	ctx = new_ctx();
	ans_txt(ctx, RPTNAME, "v=TLSRPTv1; rua=mailto:b@example.com", "v=tlsrptv1; x",
	    "v=TLSRPTv1; rua=mailto:a@example.com", NULL);
	ans_status(ctx, TXTNAME, DNS_T_TXT, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_TLSRPT, check_tlsrpt), CHECK_DONE);
	assert_string_equal(noted(ctx, "tls-rpt"), "v=TLSRPTv1; rua=mailto:a@example.com | "
	    "v=TLSRPTv1; rua=mailto:b@example.com");
	eval_ctx_free(ctx);

	ctx = done_ctx(r_none, PF_TLSRPT, check_tlsrpt);
	assert_string_equal(noted(ctx, "tls-rpt"), "");
	eval_ctx_free(ctx);
	ctx = done_ctx(r_lookalike, PF_TLSRPT, check_tlsrpt);
	assert_string_equal(noted(ctx, "tls-rpt"), "");
	eval_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtasts_table),
		cmocka_unit_test(test_tlsrpt_table),
		cmocka_unit_test(test_round_one_then_fetch),
		cmocka_unit_test(test_nothing_fetched_without_record_or_host),
		cmocka_unit_test(test_id_unchanged_needs_a_changed_body_under_the_same_id),
		cmocka_unit_test(test_cached_policy_is_served_under_the_same_id),
		cmocka_unit_test(test_mtasts_records_noted),
		cmocka_unit_test(test_failed_txt_notes_nothing),
		cmocka_unit_test(test_tlsrpt_record_noted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
