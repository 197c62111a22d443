/*
 * test_dmarc_verify.c - DMARC for one message: alignment, policy choice, disposition.
 *
 * Each case lists the DMARC records that exist; the test plays the DNS server: every
 * question the verifier queues is answered from that list, or NXDOMAIN, round after
 * round, so the verifier sees exactly these records and nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"
#include "verify/dmarc_verify.h"

struct zone_entry {
	const char *name;	/* _dmarc.example.com, or a name for MX */
	uint16_t type;
	const char *txt;	/* TXT record, or NULL: status below */
	enum dns_status status;
};

/* Run dmarc_verify, answering queued questions from the zone until it is done. */
static void
run(const struct zone_entry *zone, size_t nzone, const struct dmarc_verify_input *in,
    struct dmarc_verify_result *out)
{
	static const struct eval_limits lim = { 200, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(in->from_domain, NULL, NULL, &lim);
	const char *name;
	uint16_t type;
	unsigned rounds = 0;
	size_t i;

	assert_non_null(ctx);
	while (dmarc_verify(ctx, in, out) == CHECK_PENDING) {
		char queued[64][256];
		uint16_t qtypes[64];
		size_t nq = 0;

		assert_true(++rounds < 10);
		while (nq < 64 && eval_queued(ctx, nq, &name, &type)) {
			snprintf(queued[nq], sizeof(queued[nq]), "%s", name);
			qtypes[nq++] = type;
		}
		assert_true(nq > 0);
		for (size_t q = 0; q < nq; q++) {
			for (i = 0; i < nzone; i++)
				if (strcmp(zone[i].name, queued[q]) == 0 && zone[i].type == qtypes[q])
					break;
			if (i == nzone)
				ans_status(ctx, queued[q], qtypes[q], DNS_NXDOMAIN);
			else if (zone[i].txt)
				ans_txt(ctx, queued[q], zone[i].txt, NULL);
			else
				ans_status(ctx, queued[q], qtypes[q], zone[i].status);
		}
	}
	eval_ctx_free(ctx);
}

#define RUN(zone, in, out) run(zone, sizeof(zone) / sizeof(zone[0]), in, out)

/* libopendmarc defect: x.com aligned with attacker.com. Ours must not. */
static void
test_dmarc_short_label_does_not_align_with_other_domain(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.x.com", DNS_T_TXT, "v=DMARC1; p=reject", DNS_OK },
		{ "_dmarc.attacker.com", DNS_T_TXT, "v=DMARC1; p=none", DNS_OK },
	};
	struct dmarc_verify_input in = { "x.com", "attacker.com", true,
	    { "attacker.com" }, 1 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_FAIL);
	assert_false(out.dkim_aligned);
	assert_false(out.spf_aligned);
	assert_int_equal(out.disposition, DMARC_POLICY_REJECT);
}

/* libopendmarc defect: strict mode passes sub.example.com for example.com. */
static void
test_dmarc_strict_does_not_align_subdomain(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.com", DNS_T_TXT, "v=DMARC1; p=reject; adkim=s; aspf=s", DNS_OK },
	};
	struct dmarc_verify_input in = { "example.com", "sub.example.com", true,
	    { "sub.example.com" }, 1 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_FAIL);
	assert_false(out.dkim_aligned);
	assert_false(out.spf_aligned);
}

/* Relaxed mode aligns a subdomain and a sibling under one Organizational Domain. */
static void
test_dmarc_relaxed_aligns_same_org_domain(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.com", DNS_T_TXT, "v=DMARC1; p=reject", DNS_OK },
	};
	struct dmarc_verify_input in = { "news.example.com", NULL, false,
	    { "mail.example.com" }, 1 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_PASS);
	assert_true(out.dkim_aligned);
	assert_string_equal(out.aligned_dkim_domain, "mail.example.com");
	assert_string_equal(out.org_domain, "example.com");
	assert_int_equal(out.disposition, DMARC_POLICY_NONE);
	/* The record was inherited from the Organizational Domain: p applies (no sp). */
	assert_string_equal(out.policy_tag, "p");
}

/* A psd=n record below the From's Organizational Domain makes its own org domain. */
static void
test_dmarc_relaxed_respects_psd_n_boundary(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.com", DNS_T_TXT, "v=DMARC1; p=reject", DNS_OK },
		{ "_dmarc.tenant.example.com", DNS_T_TXT, "v=DMARC1; p=none; psd=n", DNS_OK },
	};
	struct dmarc_verify_input in = { "example.com", NULL, false,
	    { "mail.tenant.example.com" }, 1 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_FAIL);
	assert_false(out.dkim_aligned);
}

/* SPF alone, aligned, passes; an unaligned passing DKIM does not matter. */
static void
test_dmarc_spf_aligned_passes(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.org", DNS_T_TXT, "v=DMARC1; p=quarantine", DNS_OK },
	};
	struct dmarc_verify_input in = { "example.org", "bounces.example.org", true,
	    { "esp.example.net" }, 1 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_PASS);
	assert_true(out.spf_aligned);
	assert_false(out.dkim_aligned);
}

/* SPF pass is not enough when it did not pass (spf_pass false). */
static void
test_dmarc_spf_fail_aligned_domain_fails(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.org", DNS_T_TXT, "v=DMARC1; p=quarantine", DNS_OK },
	};
	struct dmarc_verify_input in = { "example.org", "example.org", false, { NULL }, 0 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_FAIL);
	assert_int_equal(out.disposition, DMARC_POLICY_QUARANTINE);
	assert_string_equal(out.reason, "neither SPF nor DKIM passed");
}

/* No record anywhere: none. */
static void
test_dmarc_no_record_is_none(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.other.example", DNS_T_TXT, "v=DMARC1; p=reject", DNS_OK },
	};
	struct dmarc_verify_input in = { "plain.example", "plain.example", true, { NULL }, 0 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_NONE);
}

/* sp applies to an existing subdomain, np to a non-existent one, p to the domain. */
static void
test_dmarc_policy_tag_choice(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.com", DNS_T_TXT,
		  "v=DMARC1; p=reject; sp=quarantine; np=none", DNS_OK },
		{ "exists.example.com", DNS_T_MX, NULL, DNS_NODATA },
	};
	struct dmarc_verify_input in = { "exists.example.com", NULL, false, { NULL }, 0 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_string_equal(out.policy_tag, "sp");
	assert_int_equal(out.disposition, DMARC_POLICY_QUARANTINE);
	in.from_domain = "ghost.example.com";	/* MX: NXDOMAIN (not in the zone) */
	RUN(zone, &in, &out);
	assert_string_equal(out.policy_tag, "np");
	assert_int_equal(out.disposition, DMARC_POLICY_NONE);
	in.from_domain = "example.com";
	RUN(zone, &in, &out);
	assert_string_equal(out.policy_tag, "p");
	assert_int_equal(out.disposition, DMARC_POLICY_REJECT);
}

/* t=y lowers the disposition one step; pct is reported, not applied. */
static void
test_dmarc_testing_and_pct(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.com", DNS_T_TXT, "v=DMARC1; p=reject; t=y; pct=20", DNS_OK },
	};
	struct dmarc_verify_input in = { "example.com", NULL, false, { NULL }, 0 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_FAIL);
	assert_true(out.testing);
	assert_int_equal(out.policy, DMARC_POLICY_REJECT);
	assert_int_equal(out.disposition, DMARC_POLICY_QUARANTINE);
	assert_int_equal(out.pct, 20);
}

/* A failed record lookup is temperror, never a guess. */
static void
test_dmarc_lookup_failure_is_temperror(void **state)
{
	static const struct zone_entry zone[] = {
		{ "_dmarc.example.com", DNS_T_TXT, NULL, DNS_SERVFAIL },
	};
	struct dmarc_verify_input in = { "example.com", "example.com", true, { NULL }, 0 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(zone, &in, &out);
	assert_int_equal(out.result, DMARC_V_TEMPERROR);
}

/* A record without a usable policy: none with a valid rua, permerror without. */
static void
test_dmarc_invalid_policy(void **state)
{
	static const struct zone_entry with_rua[] = {
		{ "_dmarc.example.com", DNS_T_TXT,
		  "v=DMARC1; p=bogus; rua=mailto:d@example.com", DNS_OK },
	};
	static const struct zone_entry without[] = {
		{ "_dmarc.example.com", DNS_T_TXT, "v=DMARC1; p=bogus", DNS_OK },
	};
	struct dmarc_verify_input in = { "example.com", NULL, false, { NULL }, 0 };
	struct dmarc_verify_result out;

	(void)state;
	RUN(with_rua, &in, &out);
	assert_int_equal(out.result, DMARC_V_FAIL);
	assert_int_equal(out.disposition, DMARC_POLICY_NONE);
	RUN(without, &in, &out);
	assert_int_equal(out.result, DMARC_V_PERMERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dmarc_short_label_does_not_align_with_other_domain),
		cmocka_unit_test(test_dmarc_strict_does_not_align_subdomain),
		cmocka_unit_test(test_dmarc_relaxed_aligns_same_org_domain),
		cmocka_unit_test(test_dmarc_relaxed_respects_psd_n_boundary),
		cmocka_unit_test(test_dmarc_spf_aligned_passes),
		cmocka_unit_test(test_dmarc_spf_fail_aligned_domain_fails),
		cmocka_unit_test(test_dmarc_no_record_is_none),
		cmocka_unit_test(test_dmarc_policy_tag_choice),
		cmocka_unit_test(test_dmarc_testing_and_pct),
		cmocka_unit_test(test_dmarc_lookup_failure_is_temperror),
		cmocka_unit_test(test_dmarc_invalid_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
