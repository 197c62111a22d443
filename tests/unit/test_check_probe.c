/*
 * test_check_probe.c - the decisions on STARTTLS probe results (check_probe.c, with
 * check_mx.c and check_dane.c) on answers built by answers.h and results seeded with
 * eval_add_probe(); and the per-host cache of results (eval_probe.c).
 *
 * Each code on a result that raises it and on one that must not: MX_STARTTLS_NONE
 * (no STARTTLS; not for a host that did not answer), MX_CERT_INVALID (info; error
 * under an MTA-STS policy in enforce; not when a DANE-EE record authenticated the
 * host), DANE_TLSA_MISMATCH (a handshake no TLSA record matched). Probing off queues
 * no probe; the host cap; a result cached by one domain serves another domain with
 * the same MX host, and not when the TLSA records differ.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"
#include "cache/cache.h"
#include "check/checks.h"

#define DOM "probe.example"
#define MX1 "in1.probe.example"
#define MX2 "in2.probe.example"
#define TLSA1 "_25._tcp." MX1
#define TLSA2 "_25._tcp." MX2
#define EE_A "3 1 1 a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

static const struct smtp_probe_options probe_opts = { 2525, NULL, true, "t.example" };

/* A probe result of a status; TLS_OK ones with a PKIX and a DANE verdict. */
static struct smtp_probe_result
result(int status, int pkix, int dane, uint8_t usage)
{
	struct smtp_probe_result r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	snprintf(r.address, sizeof(r.address), "192.0.2.1");
	if (status == SMTP_PROBE_NO_STARTTLS)
		snprintf(r.error, sizeof(r.error), "STARTTLS not offered after EHLO");
	r.pkix = pkix;
	if (pkix == 0)
		snprintf(r.pkix_error, sizeof(r.pkix_error), "certificate has expired");
	r.dane = dane;
	r.dane_usage = usage;
	r.chain_len = 1;
	return r;
}

/* A context for DOM with MX1 and MX2 and their addresses; probing as asked. */
static struct eval_ctx *
new_ctx(bool probing, enum eval_dnssec dnssec)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);

	assert_non_null(ctx);
	eval_set_dnssec(ctx, dnssec);
	if (probing)
		eval_set_probe(ctx, &probe_opts);
	ans_set_secure(dnssec == EVAL_DNSSEC_VALIDATING);
	ans_mx(ctx, DOM, "10 " MX1, "20 " MX2, NULL);
	ans_addr(ctx, MX1, DNS_T_A, "1.2.3.1", NULL);
	ans_addr(ctx, MX2, DNS_T_A, "1.2.3.2", NULL);
	ans_status(ctx, MX1, DNS_T_AAAA, DNS_NODATA);
	ans_status(ctx, MX2, DNS_T_AAAA, DNS_NODATA);
	ans_set_secure(false);
	return ctx;
}

/* Seed both hosts' results. */
static void
seed(struct eval_ctx *ctx, struct smtp_probe_result r1, struct smtp_probe_result r2)
{
	assert_int_equal(eval_add_probe(ctx, MX1, &r1), 0);
	assert_int_equal(eval_add_probe(ctx, MX2, &r2), 0);
}

/* How many findings of code were kept, and the severity of the last. */
static size_t
count(struct eval_ctx *ctx, enum posture_code code, enum posture_severity *sev)
{
	const struct posture_finding *f;
	size_t n, i, k = 0;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++)
		if (f[i].code == code) {
			k++;
			if (sev != NULL)
				*sev = f[i].severity;
		}
	return k;
}

static void
test_starttls_none(void **state)
{
	struct eval_ctx *ctx = new_ctx(true, EVAL_DNSSEC_OFF);
	enum posture_severity sev = SEV_INFO;

	(void)state;
	seed(ctx, result(SMTP_PROBE_NO_STARTTLS, -1, -1, 0),
	    result(SMTP_PROBE_TLS_OK, 1, -1, 0));
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(count(ctx, PC_MX_STARTTLS_NONE, &sev), 1);
	assert_int_equal(sev, SEV_WARN);
	assert_int_equal(eval_family_result(ctx, PF_MX), PR_WEAK);
	eval_ctx_free(ctx);

	/* Hosts that answered with TLS, or not at all: nothing. */
	ctx = new_ctx(true, EVAL_DNSSEC_OFF);
	seed(ctx, result(SMTP_PROBE_ERR_CONNECT, -1, -1, 0),
	    result(SMTP_PROBE_TLS_OK, 1, -1, 0));
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(count(ctx, PC_MX_STARTTLS_NONE, NULL), 0);
	eval_ctx_free(ctx);
}

static void
test_probing_off_and_pending(void **state)
{
	struct eval_ctx *ctx = new_ctx(false, EVAL_DNSSEC_OFF);

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(count(ctx, PC_MX_STARTTLS_NONE, NULL), 0);
	eval_run_followup(ctx, PF_MX, check_mx_cert);
	assert_int_equal(count(ctx, PC_MX_CERT_INVALID, NULL), 0);
	eval_ctx_free(ctx);

	/* On, with nothing probed yet: the check waits for the probes. */
	ctx = new_ctx(true, EVAL_DNSSEC_OFF);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
	eval_ctx_free(ctx);
}

/* A stand-in mtasts check whose policy is enforce. */
static enum check_status
mtasts_enforce(struct eval_ctx *ctx)
{
	eval_set_enforced(ctx);
	return CHECK_DONE;
}

static void
test_cert_invalid(void **state)
{
	struct eval_ctx *ctx = new_ctx(true, EVAL_DNSSEC_OFF);
	enum posture_severity sev = SEV_ERROR;

	(void)state;
	/* Not valid under the CAs: info. A valid one: nothing. */
	seed(ctx, result(SMTP_PROBE_TLS_OK, 0, -1, 0), result(SMTP_PROBE_TLS_OK, 1, -1, 0));
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	eval_run_followup(ctx, PF_MX, check_mx_cert);
	assert_int_equal(count(ctx, PC_MX_CERT_INVALID, &sev), 1);
	assert_int_equal(sev, SEV_INFO);
	eval_ctx_free(ctx);

	/* MTA-STS enforce: error, and the family broken. */
	ctx = new_ctx(true, EVAL_DNSSEC_OFF);
	seed(ctx, result(SMTP_PROBE_TLS_OK, 0, -1, 0), result(SMTP_PROBE_TLS_OK, 1, -1, 0));
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(eval_run_check(ctx, PF_MTASTS, mtasts_enforce), CHECK_DONE);
	assert_true(eval_family_enforced(ctx, PF_MTASTS));
	eval_run_followup(ctx, PF_MX, check_mx_cert);
	assert_int_equal(count(ctx, PC_MX_CERT_INVALID, &sev), 1);
	assert_int_equal(sev, SEV_ERROR);
	assert_int_equal(eval_family_result(ctx, PF_MX), PR_BROKEN);
	eval_ctx_free(ctx);

	/* A DANE-EE record authenticated the host: never (RFC 7672 3.1.1); DANE-TA does
	 * not exempt it. */
	ctx = new_ctx(true, EVAL_DNSSEC_OFF);
	seed(ctx, result(SMTP_PROBE_TLS_OK, 0, 1, 3), result(SMTP_PROBE_TLS_OK, 0, 1, 2));
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	eval_run_followup(ctx, PF_MX, check_mx_cert);
	assert_int_equal(count(ctx, PC_MX_CERT_INVALID, NULL), 1);
	eval_ctx_free(ctx);

	/* No handshake, no certificate verdict. */
	ctx = new_ctx(true, EVAL_DNSSEC_OFF);
	seed(ctx, result(SMTP_PROBE_ERR_TLS, -1, -1, 0),
	    result(SMTP_PROBE_NO_STARTTLS, -1, -1, 0));
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	eval_run_followup(ctx, PF_MX, check_mx_cert);
	assert_int_equal(count(ctx, PC_MX_CERT_INVALID, NULL), 0);
	eval_ctx_free(ctx);
}

/* The dane family of a validating context whose hosts publish usable TLSA. */
static struct eval_ctx *
dane_ctx(struct smtp_probe_result r1, struct smtp_probe_result r2)
{
	struct eval_ctx *ctx = new_ctx(true, EVAL_DNSSEC_VALIDATING);

	ans_set_secure(true);
	ans_tlsa(ctx, TLSA1, EE_A, NULL);
	ans_tlsa(ctx, TLSA2, EE_A, NULL);
	ans_set_secure(false);
	seed(ctx, r1, r2);
	assert_int_equal(eval_run_check(ctx, PF_DANE, check_dane), CHECK_DONE);
	return ctx;
}

static void
test_tlsa_mismatch(void **state)
{
	struct eval_ctx *ctx;

	(void)state;
	ctx = dane_ctx(result(SMTP_PROBE_TLS_OK, 0, 0, 0), result(SMTP_PROBE_TLS_OK, 1, 1, 3));
	assert_int_equal(count(ctx, PC_DANE_TLSA_MISMATCH, NULL), 1);
	assert_int_equal(eval_family_result(ctx, PF_DANE), PR_BROKEN);
	eval_ctx_free(ctx);
	/* Matched, or no handshake to judge: nothing. */
	ctx = dane_ctx(result(SMTP_PROBE_TLS_OK, 1, 1, 3),
	    result(SMTP_PROBE_ERR_TIMEOUT, -1, -1, 0));
	assert_int_equal(count(ctx, PC_DANE_TLSA_MISMATCH, NULL), 0);
	eval_ctx_free(ctx);
}

static void
test_host_cap(void **state)
{
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);
	struct smtp_probe_result r = result(SMTP_PROBE_NO_STARTTLS, -1, -1, 0);
	char host[32];
	int i;

	(void)state;
	eval_set_probe(ctx, &probe_opts);
	ans_mx(ctx, DOM, "50 h5.example.com", "10 h1.example.com", "20 h2.example.com",
	    "30 h3.example.com", "40 h4.example.com", NULL);
	for (i = 1; i <= 5; i++) {
		snprintf(host, sizeof(host), "h%d.example.com", i);
		ans_addr(ctx, host, DNS_T_A, "1.2.3.9", NULL);
		ans_status(ctx, host, DNS_T_AAAA, DNS_NODATA);
		assert_int_equal(eval_add_probe(ctx, host, &r), 0);
	}
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(count(ctx, PC_MX_STARTTLS_NONE, NULL), EVAL_MAX_PROBES);
	eval_ctx_free(ctx);
}

static void
test_cache_per_host(void **state)
{
	struct cache_config cfg;
	struct cache *cache;
	struct eval_limits lim = { 100, 5000 };
	struct eval_ctx *one, *two;
	struct smtp_probe_result r = result(SMTP_PROBE_NO_STARTTLS, -1, -1, 0);
	const struct smtp_probe_result *got;
	struct eval_probe_req req;
	struct dns_answer *a;

	(void)state;
	cache_config_init(&cfg);
	cache = cache_new(&cfg);
	assert_non_null(cache);
	one = eval_ctx_new("one.example", NULL, NULL, &lim);
	eval_set_cache(one, cache);
	eval_set_probe(one, &probe_opts);
	assert_int_equal(eval_add_probe(one, MX1, &r), 0);

	/* Another domain with the same MX host: served from the cache, not queued. */
	two = eval_ctx_new("two.example", NULL, NULL, &lim);
	eval_set_cache(two, cache);
	eval_set_probe(two, &probe_opts);
	memset(&req, 0, sizeof(req));
	req.host = MX1;
	got = eval_probe(two, &req);
	assert_non_null(got);
	assert_int_equal(got->status, SMTP_PROBE_NO_STARTTLS);
	eval_ctx_free(two);

	/* With TLSA records the result is another one: probed, not served. */
	two = eval_ctx_new("two.example", NULL, NULL, &lim);
	eval_set_cache(two, cache);
	eval_set_probe(two, &probe_opts);
	ans_set_secure(true);
	ans_tlsa(two, TLSA1, EE_A, NULL);
	ans_set_secure(false);
	a = (struct dns_answer *)eval_dns(two, TLSA1, DNS_T_TLSA);
	assert_non_null(a);
	req.tlsa = a;
	assert_null(eval_probe(two, &req));
	eval_ctx_free(two);
	eval_ctx_free(one);
	cache_free(cache);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_none),
		cmocka_unit_test(test_probing_off_and_pending),
		cmocka_unit_test(test_cert_invalid),
		cmocka_unit_test(test_tlsa_mismatch),
		cmocka_unit_test(test_host_cap),
		cmocka_unit_test(test_cache_per_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
