/*
 * test_check_bimi.c - the BIMI family (check_bimi.c) on answers built by answers.h,
 * documents seeded with eval_add_fetch() and mark certificates made at test time
 * (mark_certs.h); no network.
 *
 * A table: each case builds a scenario (record, DMARC, logo host, what the logo and
 * evidence fetches return, trust anchors or none), names the codes of the family that
 * must be raised, the severity of the first, the family result and a word of the fact;
 * every other BIMI code must NOT be raised. Questions a scenario does not answer are
 * answered NXDOMAIN by the driver (the DMARC walk's parents). Then: the rounds (record
 * and walk together, hosts next, both fetches together), the organizational-domain
 * fallback for a subdomain, temperrors without findings.
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
#include "record/bimi_evidence.h"
#include "check/checks.h"
#include "mark_certs.h"
#include "noted.h"

#define DOM	"example.com"
#define REC	"default._bimi.example.com"
#define HOST	"bimi.example.com"
#define LOGO_URL "https://bimi.example.com/logo.svg"
#define EV_URL	"https://bimi.example.com/vmc.pem"
#define END	PC_COUNT
#define GOOD_SVG "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" " \
	"version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 100 100\"><title>Example</title>" \
	"<circle cx=\"50\" cy=\"50\" r=\"40\" fill=\"#036\"/></svg>\n"
#define OTHER_SVG "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" " \
	"version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 100 100\"><title>Other</title>" \
	"</svg>\n"
#define SCRIPT_SVG "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" " \
	"baseProfile=\"tiny-ps\" viewBox=\"0 0 1 1\"><title>x</title><script>x()</script></svg>"
#define WITH_EV	"v=BIMI1; l=" LOGO_URL "; a=" EV_URL
#define NO_EV	"v=BIMI1; l=" LOGO_URL

static const enum posture_code bimi_codes[] = {
	PC_BIMI_NONE, PC_BIMI_SYNTAX, PC_BIMI_MULTIPLE, PC_BIMI_DMARC_NOT_ENFORCED,
	PC_BIMI_LOGO_NOT_HTTPS, PC_BIMI_LOGO_FETCH, PC_BIMI_LOGO_PROFILE, PC_BIMI_NO_EVIDENCE,
	PC_BIMI_EVIDENCE_INVALID,
};

static struct mc_ca mark_ca;
static struct bimi_anchors *anchors;
static char *vmc_good, *vmc_expired, *vmc_other_logo, *vmc_wrong_domain;

/* A PEM mark certificate for example.com per the arguments. */
static char *
vmc(long from, long to, const char *san, const char *logo)
{
	struct mc_spec s = { "Example", from, to, BIMI_EKU_OID, san, logo, false };
	EVP_PKEY *key = mc_new_key();
	X509 *x = mc_make_cert(&s, key, &mark_ca);
	size_t len;
	char *pem = mc_pem_of(&len, x, (X509 *)NULL);

	X509_free(x);
	EVP_PKEY_free(key);
	return pem;
}

static int
setup(void **state)
{
	char err[200];
	size_t len;
	char *pem;

	(void)state;
	mc_make_ca(&mark_ca, "test mark CA", NULL);
	pem = mc_pem_of(&len, mark_ca.cert, (X509 *)NULL);
	anchors = bimi_anchors_from_pem(pem, len, err, sizeof(err));
	free(pem);
	vmc_good = vmc(-MC_DAY, 300 * MC_DAY, "DNS:" DOM, GOOD_SVG);
	vmc_expired = vmc(-30 * MC_DAY, -MC_DAY, "DNS:" DOM, GOOD_SVG);
	vmc_other_logo = vmc(-MC_DAY, 300 * MC_DAY, "DNS:" DOM, OTHER_SVG);
	vmc_wrong_domain = vmc(-MC_DAY, 300 * MC_DAY, "DNS:example.org", GOOD_SVG);
	return anchors == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	bimi_anchors_free(anchors);
	mc_free_ca(&mark_ca);
	free(vmc_good);
	free(vmc_expired);
	free(vmc_other_logo);
	free(vmc_wrong_domain);
	return 0;
}

/* ---- scenario pieces ---- */

/* What a fetch of url returned. */
static void
served(struct eval_ctx *c, const char *url, int status, const char *body)
{
	struct https_result r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	if (body != NULL) {
		r.body = (uint8_t *)(uintptr_t)body;
		r.body_len = strlen(body);
	}
	if (status >= 300 && status < 400)
		snprintf(r.location, sizeof(r.location), "https://www.example.com/logo.svg");
	if (status < 0)
		snprintf(r.error, sizeof(r.error), "SSL certificate problem");
	assert_int_equal(eval_add_fetch(c, url, &r, NULL, 3600), 0);
}

static void
enforced(struct eval_ctx *c)
{
	ans_txt(c, "_dmarc." DOM, "v=DMARC1; p=reject; rua=mailto:d@example.com", NULL);
}

static void
host_up(struct eval_ctx *c)
{
	ans_addr(c, HOST, DNS_T_A, "192.0.2.10", NULL);
	ans_status(c, HOST, DNS_T_AAAA, DNS_NODATA);
}

/* An enforced domain whose record is text, its host up, the good logo served. */
static void
published(struct eval_ctx *c, const char *text)
{
	ans_txt(c, REC, text, NULL);
	enforced(c);
	host_up(c);
	served(c, LOGO_URL, 200, GOOD_SVG);
}

static void s_self_asserted(struct eval_ctx *c) { published(c, NO_EV); }
static void
s_vmc(struct eval_ctx *c)
{
	published(c, WITH_EV);
	served(c, EV_URL, 200, vmc_good);
}
static void s_none(struct eval_ctx *c) { enforced(c); }
static void
s_multiple(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, "v=BIMI1; l=https://bimi.example.com/2.svg", NULL);
	enforced(c);
}
static void s_no_l(struct eval_ctx *c) { published(c, "v=BIMI1; a="); }
static void
s_lookalike(struct eval_ctx *c)
{
	ans_txt(c, REC, "v=bimi1; l=" LOGO_URL, NULL);
	enforced(c);
}
static void
s_p_none(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	ans_txt(c, "_dmarc." DOM, "v=DMARC1; p=none", NULL);
	host_up(c);
	served(c, LOGO_URL, 200, GOOD_SVG);
}
static void
s_pct(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	ans_txt(c, "_dmarc." DOM, "v=DMARC1; p=quarantine; pct=50", NULL);
	host_up(c);
	served(c, LOGO_URL, 200, GOOD_SVG);
}
static void
s_sp_none(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	ans_txt(c, "_dmarc." DOM, "v=DMARC1; p=reject; sp=none", NULL);
	host_up(c);
	served(c, LOGO_URL, 200, GOOD_SVG);
}
static void
s_testing(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	ans_txt(c, "_dmarc." DOM, "v=DMARC1; p=reject; t=y", NULL);
	host_up(c);
	served(c, LOGO_URL, 200, GOOD_SVG);
}
static void
s_no_dmarc(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	host_up(c);
	served(c, LOGO_URL, 200, GOOD_SVG);
}
static void
s_http_logo(struct eval_ctx *c)
{
	ans_txt(c, REC, "v=BIMI1; l=http://bimi.example.com/logo.svg", NULL);
	enforced(c);
}
static void
s_logo_404(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
	host_up(c);
	served(c, LOGO_URL, 404, "<html>not found</html>");
}
static void
s_logo_tls(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
	host_up(c);
	served(c, LOGO_URL, HTTPS_ERR_TLS, NULL);
}
static void
s_logo_redirect(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
	host_up(c);
	served(c, LOGO_URL, 302, NULL);
}
static void
s_logo_big(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
	host_up(c);
	served(c, LOGO_URL, HTTPS_ERR_TOO_LARGE, NULL);
}
static void
s_logo_script(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
	host_up(c);
	served(c, LOGO_URL, 200, SCRIPT_SVG);
}
static void
s_logo_no_host(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
}
static void
s_ev_404(struct eval_ctx *c)
{
	published(c, WITH_EV);
	served(c, EV_URL, 404, "nope");
}
static void
s_ev_not_pem(struct eval_ctx *c)
{
	published(c, WITH_EV);
	served(c, EV_URL, 200, "<html>a login page</html>");
}
static void
s_ev_expired(struct eval_ctx *c)
{
	published(c, WITH_EV);
	served(c, EV_URL, 200, vmc_expired);
}
static void
s_ev_other_logo(struct eval_ctx *c)
{
	published(c, WITH_EV);
	served(c, EV_URL, 200, vmc_other_logo);
}
static void
s_ev_wrong_domain(struct eval_ctx *c)
{
	published(c, WITH_EV);
	served(c, EV_URL, 200, vmc_wrong_domain);
}
static void
s_declined(struct eval_ctx *c)
{
	ans_txt(c, REC, "v=BIMI1; l=; a=;", NULL);
	enforced(c);
}
static void
s_txt_servfail(struct eval_ctx *c)
{
	ans_status(c, REC, DNS_T_TXT, DNS_SERVFAIL);
	enforced(c);
}
static void
s_host_servfail(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
	ans_status(c, HOST, DNS_T_A, DNS_SERVFAIL);
	ans_status(c, HOST, DNS_T_AAAA, DNS_SERVFAIL);
}
static void
s_budget(struct eval_ctx *c)
{
	ans_txt(c, REC, NO_EV, NULL);
	enforced(c);
	host_up(c);
	served(c, LOGO_URL, HTTPS_ERR_BUDGET, NULL);
}

struct check_case {
	const char *name;
	void (*setup)(struct eval_ctx *c);
	bool anchors;
	enum posture_code expect[4];	/* END-terminated */
	const char *sev;		/* of expect[0] */
	enum posture_result result;
	const char *fact;		/* a word of the fact, or NULL */
};

static const struct check_case cases[] = {
	{ "self-asserted logo", s_self_asserted, true, { PC_BIMI_NO_EVIDENCE, END }, "info",
	  PR_OK, "logo ok" },
	{ "verified mark certificate", s_vmc, true, { END }, NULL, PR_OK, "evidence verified" },
	{ "no trust anchors: chain not checked", s_vmc, false, { END }, NULL, PR_OK,
	  "chain not checked" },
	{ "no record", s_none, true, { PC_BIMI_NONE, END }, "info", PR_NONE, "none" },
	{ "two records", s_multiple, true, { PC_BIMI_MULTIPLE, END }, "error", PR_BROKEN, NULL },
	{ "no l= tag", s_no_l, true, { PC_BIMI_SYNTAX, PC_BIMI_NO_EVIDENCE, END }, "error",
	  PR_BROKEN, NULL },
	{ "look-alike record only", s_lookalike, true, { PC_BIMI_SYNTAX, PC_BIMI_NONE, END },
	  "error", PR_BROKEN, NULL },
	{ "DMARC p=none", s_p_none, true, { PC_BIMI_DMARC_NOT_ENFORCED, PC_BIMI_NO_EVIDENCE,
	  END }, "error", PR_BROKEN, NULL },
	{ "DMARC pct=50", s_pct, true, { PC_BIMI_DMARC_NOT_ENFORCED, PC_BIMI_NO_EVIDENCE, END },
	  "error", PR_BROKEN, NULL },
	{ "DMARC sp=none", s_sp_none, true, { PC_BIMI_DMARC_NOT_ENFORCED, PC_BIMI_NO_EVIDENCE,
	  END }, "error", PR_BROKEN, NULL },
	{ "DMARC t=y", s_testing, true, { PC_BIMI_DMARC_NOT_ENFORCED, PC_BIMI_NO_EVIDENCE,
	  END }, "error", PR_BROKEN, NULL },
	{ "no DMARC", s_no_dmarc, true, { PC_BIMI_DMARC_NOT_ENFORCED, PC_BIMI_NO_EVIDENCE,
	  END }, "error", PR_BROKEN, NULL },
	{ "http logo", s_http_logo, true, { PC_BIMI_LOGO_NOT_HTTPS, PC_BIMI_NO_EVIDENCE, END },
	  "error", PR_BROKEN, NULL },
	{ "logo 404", s_logo_404, true, { PC_BIMI_LOGO_FETCH, PC_BIMI_NO_EVIDENCE, END },
	  "error", PR_BROKEN, NULL },
	{ "logo TLS failure", s_logo_tls, true, { PC_BIMI_LOGO_FETCH, PC_BIMI_NO_EVIDENCE, END },
	  "error", PR_BROKEN, NULL },
	{ "logo redirect", s_logo_redirect, true, { PC_BIMI_LOGO_FETCH, PC_BIMI_NO_EVIDENCE,
	  END }, "error", PR_BROKEN, NULL },
	{ "logo over 32 KiB", s_logo_big, true, { PC_BIMI_LOGO_PROFILE, PC_BIMI_NO_EVIDENCE,
	  END }, "error", PR_BROKEN, NULL },
	{ "logo with a script", s_logo_script, true, { PC_BIMI_LOGO_PROFILE,
	  PC_BIMI_NO_EVIDENCE, END }, "error", PR_BROKEN, NULL },
	{ "logo host without address", s_logo_no_host, true, { PC_BIMI_LOGO_FETCH,
	  PC_BIMI_NO_EVIDENCE, END }, "error", PR_BROKEN, NULL },
	{ "evidence 404", s_ev_404, true, { PC_BIMI_EVIDENCE_INVALID, END }, "error", PR_BROKEN,
	  NULL },
	{ "evidence not PEM", s_ev_not_pem, true, { PC_BIMI_EVIDENCE_INVALID, END }, "error",
	  PR_BROKEN, NULL },
	{ "evidence expired", s_ev_expired, true, { PC_BIMI_EVIDENCE_INVALID, END }, "error",
	  PR_BROKEN, "evidence invalid" },
	{ "evidence logo differs", s_ev_other_logo, true, { PC_BIMI_EVIDENCE_INVALID, END },
	  "error", PR_BROKEN, NULL },
	{ "evidence for another domain", s_ev_wrong_domain, true,
	  { PC_BIMI_EVIDENCE_INVALID, END }, "error", PR_BROKEN, NULL },
	{ "declination to publish", s_declined, true, { PC_BIMI_NONE, END }, "info", PR_NONE,
	  "declined" },
	{ "record lookup fails", s_txt_servfail, true, { END }, NULL, PR_TEMPERROR, NULL },
	{ "logo host lookup fails", s_host_servfail, true, { PC_BIMI_NO_EVIDENCE, END }, "info",
	  PR_TEMPERROR, NULL },
	{ "fetch budget spent", s_budget, true, { PC_BIMI_NO_EVIDENCE, END }, "info",
	  PR_UNKNOWN, "not fetched" },
};

/* Run check_bimi until done, answering every unseeded question NXDOMAIN. */
static void
run_to_done(struct eval_ctx *ctx)
{
	const char *name;
	uint16_t type;
	size_t i, round;
	char copy[300];

	for (round = 0; round < 8; round++) {
		if (eval_run_check(ctx, PF_BIMI, check_bimi) == CHECK_DONE)
			return;
		for (i = 0; eval_queued(ctx, 0, &name, &type) && i < 64; i++) {
			snprintf(copy, sizeof(copy), "%s", name);
			ans_status(ctx, copy, type, DNS_NXDOMAIN);
		}
	}
	fail_msg("check_bimi still pending after 8 runs");
}

/* Whether a message names its source (the draft, an RFC, the profile). */
static bool
cites_source(const char *m)
{
	return strstr(m, "BIMI draft") || strstr(m, "RFC ") || strstr(m, "SVG Tiny PS") ||
	    strstr(m, "mark certificates");
}

static void
run_case(const struct check_case *c)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);
	const struct posture_finding *f;
	size_t i, j, n;
	bool expected;

	assert_non_null(ctx);
	print_message("%s\n", c->name);
	if (c->anchors)
		eval_set_bimi_anchors(ctx, anchors);
	c->setup(ctx);
	run_to_done(ctx);
	for (i = 0; i < sizeof(bimi_codes) / sizeof(bimi_codes[0]); i++) {
		expected = false;
		for (j = 0; c->expect[j] != END; j++)
			expected |= c->expect[j] == bimi_codes[i];
		if (expected != eval_has_finding(ctx, bimi_codes[i]))
			fail_msg("%s: %s %s", c->name, posture_code_name(bimi_codes[i]),
			    expected ? "not raised" : "raised");
	}
	if (eval_family_result(ctx, PF_BIMI) != c->result)
		fail_msg("%s: result %s, expected %s", c->name,
		    posture_result_word(eval_family_result(ctx, PF_BIMI)),
		    posture_result_word(c->result));
	if (c->fact != NULL && strstr(eval_family_fact(ctx, PF_BIMI), c->fact) == NULL)
		fail_msg("%s: fact \"%s\" lacks \"%s\"", c->name, eval_family_fact(ctx, PF_BIMI),
		    c->fact);
	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++) {
		for (j = 0; f[i].message[j]; j++)
			assert_true(f[i].message[j] >= 0x20 && f[i].message[j] < 0x7f);
		if (!cites_source(f[i].message))
			fail_msg("%s: message cites no source: %s", c->name, f[i].message);
		if (f[i].code == c->expect[0] && c->sev != NULL &&
		    strcmp(posture_severity_word(f[i].severity), c->sev) != 0)
			fail_msg("%s: %s at %s, expected %s", c->name, posture_code_name(f[i].code),
			    posture_severity_word(f[i].severity), c->sev);
	}
	if (c->expect[0] == END)
		assert_int_equal(n, 0);
	eval_ctx_free(ctx);
}

static void
test_bimi_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Whether (name, type) is among the queued questions. */
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

static void
test_rounds_record_and_walk_then_hosts(void **state)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_BIMI, check_bimi), CHECK_PENDING);
	assert_true(queued(ctx, REC, DNS_T_TXT));
	assert_true(queued(ctx, "_dmarc." DOM, DNS_T_TXT));
	assert_false(queued(ctx, HOST, DNS_T_A));
	ans_txt(ctx, REC, WITH_EV, NULL);
	enforced(ctx);
	ans_status(ctx, "_dmarc.com", DNS_T_TXT, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_BIMI, check_bimi), CHECK_PENDING);
	/* One host for both documents: asked once. */
	assert_true(queued(ctx, HOST, DNS_T_A));
	assert_true(queued(ctx, HOST, DNS_T_AAAA));
	host_up(ctx);
	served(ctx, LOGO_URL, 200, GOOD_SVG);
	/* The evidence is not seeded: the check waits for that fetch. */
	assert_int_equal(eval_run_check(ctx, PF_BIMI, check_bimi), CHECK_PENDING);
	served(ctx, EV_URL, 200, vmc_good);
	assert_int_equal(eval_run_check(ctx, PF_BIMI, check_bimi), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_BIMI), PR_OK);
	assert_false(eval_has_finding(ctx, PC_BIMI_EVIDENCE_INVALID));
	eval_ctx_free(ctx);
}

static void
test_subdomain_falls_back_to_organizational_record(void **state)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new("mail." DOM, NULL, NULL, &lim);

	(void)state;
	eval_set_bimi_anchors(ctx, anchors);
	ans_status(ctx, "default._bimi.mail." DOM, DNS_T_TXT, DNS_NXDOMAIN);
	published(ctx, WITH_EV);
	served(ctx, EV_URL, 200, vmc_good);
	run_to_done(ctx);
	assert_false(eval_has_finding(ctx, PC_BIMI_NONE));
	assert_false(eval_has_finding(ctx, PC_BIMI_EVIDENCE_INVALID));
	assert_false(eval_has_finding(ctx, PC_BIMI_DMARC_NOT_ENFORCED));
	assert_int_equal(eval_family_result(ctx, PF_BIMI), PR_OK);
	eval_ctx_free(ctx);
}

static void
test_subdomain_own_record_wins(void **state)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new("mail." DOM, NULL, NULL, &lim);

	(void)state;
	ans_txt(ctx, "default._bimi.mail." DOM, "v=BIMI1; l=http://x.example.com/l.svg", NULL);
	published(ctx, NO_EV);
	run_to_done(ctx);
	assert_true(eval_has_finding(ctx, PC_BIMI_LOGO_NOT_HTTPS));
	eval_ctx_free(ctx);
}

static void
test_subdomain_without_any_record_names_both(void **state)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new("mail." DOM, NULL, NULL, &lim);
	const struct posture_finding *f;
	size_t n;

	(void)state;
	enforced(ctx);
	run_to_done(ctx);
	assert_true(eval_has_finding(ctx, PC_BIMI_NONE));
	f = eval_findings(ctx, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(f[0].message, "default._bimi.mail.example.com"));
	assert_non_null(strstr(f[0].message, "default._bimi.example.com"));
	eval_ctx_free(ctx);
}

/* ---- change tracking ---- */

/* A context for domain after setup, run to done. */
static struct eval_ctx *
done_ctx(const char *domain, void (*scenario)(struct eval_ctx *))
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(domain, NULL, NULL, &lim);

	assert_non_null(ctx);
	scenario(ctx);
	run_to_done(ctx);
	return ctx;
}

/* mail.example.com without a record of its own, the organizational one WITH_EV. */
static void
s_fallback(struct eval_ctx *c)
{
	ans_status(c, "default._bimi.mail." DOM, DNS_T_TXT, DNS_NXDOMAIN);
	published(c, WITH_EV);
	served(c, EV_URL, 200, vmc_good);
}

/* The record that applies is noted, the fallback saying from where; none is "". */
static void
test_record_noted(void **state)
{
	struct eval_ctx *ctx;

	(void)state;
	ctx = done_ctx(DOM, s_self_asserted);
	assert_int_equal(noted_count(ctx), 1);
	assert_string_equal(noted(ctx, "bimi"), NO_EV);
	assert_int_equal(eval_records(ctx, &(size_t){ 0 })[0].family, PF_BIMI);
	eval_ctx_free(ctx);

	ctx = done_ctx(DOM, s_multiple);
	assert_string_equal(noted(ctx, "bimi"),
	    "v=BIMI1; l=https://bimi.example.com/2.svg | " NO_EV);
	eval_ctx_free(ctx);

	ctx = done_ctx("mail." DOM, s_fallback);
	assert_string_equal(noted(ctx, "bimi"), WITH_EV " (from default._bimi.example.com)");
	eval_ctx_free(ctx);

	ctx = done_ctx(DOM, s_none);
	assert_string_equal(noted(ctx, "bimi"), "");
	eval_ctx_free(ctx);
	ctx = done_ctx(DOM, s_lookalike);
	assert_string_equal(noted(ctx, "bimi"), "");
	eval_ctx_free(ctx);
	ctx = done_ctx("mail." DOM, enforced);
	assert_string_equal(noted(ctx, "bimi"), "");
	eval_ctx_free(ctx);
}

/* The domain's own record lookup fails. */
static struct eval_ctx *
own_fails(enum dns_status st)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);

	ans_status(ctx, REC, DNS_T_TXT, st);
	enforced(ctx);
	ans_status(ctx, "_dmarc.com", DNS_T_TXT, DNS_NXDOMAIN);
	return ctx;
}

/* A subdomain without a record: the organizational record's lookup fails. */
static struct eval_ctx *
fallback_fails(enum dns_status st)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new("mail." DOM, NULL, NULL, &lim);

	ans_status(ctx, "default._bimi.mail." DOM, DNS_T_TXT, DNS_NXDOMAIN);
	ans_status(ctx, REC, DNS_T_TXT, st);
	ans_status(ctx, "_dmarc.mail." DOM, DNS_T_TXT, DNS_NXDOMAIN);
	enforced(ctx);
	ans_status(ctx, "_dmarc.com", DNS_T_TXT, DNS_NXDOMAIN);
	return ctx;
}

/* A failed lookup of the record that applies notes nothing. */
static void
test_failed_lookup_notes_nothing(void **state)
{
	(void)state;
	assert_failure_notes(own_fails, PF_BIMI, check_bimi, "bimi", NULL);
	assert_failure_notes(fallback_fails, PF_BIMI, check_bimi, "bimi", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bimi_table),
		cmocka_unit_test(test_rounds_record_and_walk_then_hosts),
		cmocka_unit_test(test_subdomain_falls_back_to_organizational_record),
		cmocka_unit_test(test_subdomain_own_record_wins),
		cmocka_unit_test(test_subdomain_without_any_record_names_both),
		cmocka_unit_test(test_record_noted),
		cmocka_unit_test(test_failed_lookup_notes_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
