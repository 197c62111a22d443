/*
 * test_check_dmarc.c - the DMARC family (check_dmarc.c, dmarc_discover.c) on answers
 * built by answers.h.
 *
 * One table: each case names the domain, builds the answers of a scenario (every
 * _dmarc name of the walk answers NXDOMAIN unless the scenario says otherwise), names
 * the DMARC codes that must be raised and the family result; every other DMARC code
 * (DMARC_NO_AUTH aside: not this check's) must NOT be raised, so each code is tested
 * both ways. Then rounds (the whole tree walk in one round, the report authorizations
 * in a second), temperrors without findings, severities, messages and the fact.
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
#include "noted.h"
#include "check/checks.h"

#define END PC_COUNT

static const enum posture_code dmarc_codes[] = {
	PC_DMARC_NONE, PC_DMARC_MULTIPLE, PC_DMARC_SYNTAX, PC_DMARC_POLICY_NONE,
	PC_DMARC_PCT_PARTIAL, PC_DMARC_SP_WEAKER, PC_DMARC_SP_IGNORED, PC_DMARC_NO_RUA,
	PC_DMARC_RUA_INVALID, PC_DMARC_RUA_UNAUTHORIZED, PC_DMARC_INHERITED,
	PC_DMARC_OBSOLETE_TAG, PC_DMARC_TESTING, PC_DMARC_ORG_DOMAIN_DIFFERS,
	PC_DMARC_NO_AUTH,
};

#define RUA "; rua=mailto:dmarc@example.com"

/* The psl for cases that want the cross-check. */
static const psl_ctx_t *test_psl;

/* NXDOMAIN at _dmarc.<name> for the domain and every name of its walk. */
static void
nx_walk(struct eval_ctx *ctx, const char *domain)
{
	char q[300];
	const char *p = domain;
	unsigned labels = 1, i;

	for (i = 0; domain[i]; i++)
		labels += domain[i] == '.';
	for (;;) {
		snprintf(q, sizeof(q), "_dmarc.%s", p);
		ans_status(ctx, q, DNS_T_TXT, DNS_NXDOMAIN);
		if (labels == 1)
			break;
		if (p == domain && labels >= 8) {
			while (labels > 7) {
				p = strchr(p, '.') + 1;
				labels--;
			}
		} else {
			p = strchr(p, '.') + 1;
			labels--;
		}
	}
}

/* One TXT record at _dmarc.<name>. */
static void
rec(struct eval_ctx *ctx, const char *name, const char *txt)
{
	char q[300];

	snprintf(q, sizeof(q), "_dmarc.%s", name);
	ans_txt(ctx, q, txt, NULL);
}

/* ---- scenarios ---- */

static void s_clean(struct eval_ctx *c) { rec(c, "example.com", "v=DMARC1; p=reject" RUA); }
static void s_none(struct eval_ctx *c) { (void)c; }
static void
s_split(struct eval_ctx *c)
{
	/* character-strings are joined without a separator (RFC 9989 4.5) */
	ans_txt_split(c, "_dmarc.example.com", "v=DMARC1; p=re", "ject; rua=mailto:dmarc@",
	    "example.com", NULL);
}
static void s_other_txt(struct eval_ctx *c) { rec(c, "example.com", "hello=world"); }
static void
s_multiple(struct eval_ctx *c)
{
	ans_txt(c, "_dmarc.example.com", "v=DMARC1; p=reject" RUA, "v=DMARC1; p=none" RUA,
	    NULL);
}
static void s_v_not_first(struct eval_ctx *c) { rec(c, "example.com", "p=reject; v=DMARC1"); }
static void s_v_lower(struct eval_ctx *c) { rec(c, "example.com", "v=dmarc1; p=reject" RUA); }
static void s_p_missing_rua(struct eval_ctx *c) { rec(c, "example.com", "v=DMARC1" RUA); }
static void s_p_invalid(struct eval_ctx *c) { rec(c, "example.com", "v=DMARC1; p=rejectt"); }
static void
s_sp_invalid(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; sp=bogus" RUA);
}
static void s_p_none(struct eval_ctx *c) { rec(c, "example.com", "v=DMARC1; p=none" RUA); }
static void
s_pct_partial(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; pct=50" RUA);
}
static void
s_pct_full(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=quarantine; pct=100" RUA);
}
static void
s_pct_with_none(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=none; pct=20" RUA);
}
static void
s_rf_ri(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; rf=afrf; ri=86400" RUA);
}
static void
s_sp_weaker(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; sp=none" RUA);
}
static void
s_np_weaker(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; np=quarantine" RUA);
}
static void
s_sp_stronger(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=quarantine; sp=reject; np=reject" RUA);
}
static void
s_sp_ignored(struct eval_ctx *c)
{
	rec(c, "mail.example.com", "v=DMARC1; p=reject; sp=none" RUA);
	rec(c, "example.com", "v=DMARC1; p=reject" RUA);
}
static void s_no_rua(struct eval_ctx *c) { rec(c, "example.com", "v=DMARC1; p=reject"); }
static void
s_rua_invalid(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; rua=mailto:dmarc");
}
static void
s_ruf_invalid(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; ruf=ftp://x.example.com" RUA);
}
static void
s_rua_external_unauthorized(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net");
	ans_status(c, "example.com._report._dmarc.reports.example.net", DNS_T_TXT,
	    DNS_NXDOMAIN);
}
static void
s_rua_external_wrong_txt(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net");
	ans_txt(c, "example.com._report._dmarc.reports.example.net", "v=spf1 -all", NULL);
}
static void
s_rua_external_authorized(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net,"
	    "https://reports.example.net/dmarc");
	ans_txt(c, "example.com._report._dmarc.reports.example.net", "v=DMARC1;", NULL);
}
static void
s_rua_internal_subdomain(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.com");
}
static void
s_inherited(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; sp=reject" RUA);
}
static void
s_inherited_sp_none(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; sp=none" RUA);
}
static void
s_multiple_own_valid_parent(struct eval_ctx *c)
{
	ans_txt(c, "_dmarc.mail.example.com", "v=DMARC1; p=none", "v=DMARC1; p=reject", NULL);
	rec(c, "example.com", "v=DMARC1; p=reject" RUA);
}
static void
s_testing(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; t=y" RUA);
}
static void
s_testing_none(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=none; t=y" RUA);
}
static void
s_unknown_tag(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; rue=mailto:x@example.com" RUA);
}
static void
s_duplicate(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; p=none" RUA);
}
static void
s_psd_y(struct eval_ctx *c)
{
	rec(c, "bank.example", "v=DMARC1; p=reject; psd=y; rua=mailto:d@bank.example");
}
static void
s_psd_n_sub(struct eval_ctx *c)
{
	rec(c, "mail.example.com", "v=DMARC1; p=reject; psd=n; rua=mailto:d@mail.example.com");
	rec(c, "example.com", "v=DMARC1; p=none" RUA);
}
static void
s_walk_org_is_highest(struct eval_ctx *c)
{
	/* a.mail.example.com: records at mail.example.com and example.com (4.10.2) */
	rec(c, "mail.example.com", "v=DMARC1; p=none" RUA);
	rec(c, "example.com", "v=DMARC1; p=reject" RUA);
}
static void
s_ancestor_failure_after_stop(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=reject; psd=n" RUA);
	ans_status(c, "_dmarc.com", DNS_T_TXT, DNS_SERVFAIL);
}
static void
s_junk_next_to_record(struct eval_ctx *c)
{
	ans_txt(c, "_dmarc.example.com", "v=DMARC1; p=reject" RUA, "p=none; v=DMARC1", NULL);
}
static void
s_spf_next_to_record(struct eval_ctx *c)
{
	ans_txt(c, "_dmarc.example.com", "v=DMARC1; p=reject" RUA, "v=spf1 -all", NULL);
}
static void
s_spf_wildcard(struct eval_ctx *c)
{
	/* "*.example.com TXT v=spf1 ..." answers at _dmarc.mail.example.com too */
	rec(c, "mail.example.com", "v=spf1 ip4:192.0.2.1 -all");
	rec(c, "example.com", "v=DMARC1; p=reject; sp=reject" RUA);
}
static void s_spf_only(struct eval_ctx *c) { rec(c, "example.com", "v=spf1 -all"); }

struct dmarc_case {
	const char *name;
	const char *domain;
	bool psl;
	void (*setup)(struct eval_ctx *);
	enum posture_code expect[6];	/* END-terminated */
	enum posture_result result;
};

static const struct dmarc_case cases[] = {
	{ "clean record", "example.com", true, s_clean, { END }, PR_OK },
	{ "no record", "example.com", false, s_none, { PC_DMARC_NONE, END }, PR_NONE },
	{ "record split in strings", "example.com", false, s_split, { END }, PR_OK },
	{ "only other TXT", "example.com", false, s_other_txt, { PC_DMARC_NONE, END }, PR_NONE },
	{ "two records", "example.com", false, s_multiple,
	  { PC_DMARC_MULTIPLE, PC_DMARC_NONE, END }, PR_BROKEN },
	{ "v not first", "example.com", false, s_v_not_first,
	  { PC_DMARC_SYNTAX, PC_DMARC_NONE, END }, PR_BROKEN },
	{ "v=dmarc1 lower case", "example.com", false, s_v_lower,
	  { PC_DMARC_SYNTAX, PC_DMARC_NONE, END }, PR_BROKEN },
	{ "p missing, valid rua: p=none", "example.com", false, s_p_missing_rua,
	  { PC_DMARC_SYNTAX, PC_DMARC_POLICY_NONE, END }, PR_BROKEN },
	{ "p invalid, no rua: no processing", "example.com", false, s_p_invalid,
	  { PC_DMARC_SYNTAX, PC_DMARC_NO_RUA, END }, PR_BROKEN },
	{ "sp invalid: p=none", "example.com", false, s_sp_invalid,
	  { PC_DMARC_SYNTAX, PC_DMARC_POLICY_NONE, END }, PR_BROKEN },
	{ "p=none", "example.com", false, s_p_none, { PC_DMARC_POLICY_NONE, END }, PR_WEAK },
	{ "pct=50", "example.com", false, s_pct_partial,
	  { PC_DMARC_PCT_PARTIAL, PC_DMARC_OBSOLETE_TAG, END }, PR_WEAK },
	{ "pct=100", "example.com", false, s_pct_full, { PC_DMARC_OBSOLETE_TAG, END }, PR_OK },
	{ "pct with p=none", "example.com", false, s_pct_with_none,
	  { PC_DMARC_POLICY_NONE, PC_DMARC_OBSOLETE_TAG, END }, PR_WEAK },
	{ "rf and ri", "example.com", false, s_rf_ri, { PC_DMARC_OBSOLETE_TAG, END }, PR_OK },
	{ "sp weaker", "example.com", false, s_sp_weaker, { PC_DMARC_SP_WEAKER, END }, PR_WEAK },
	{ "np weaker", "example.com", false, s_np_weaker, { PC_DMARC_SP_WEAKER, END }, PR_WEAK },
	{ "sp and np stronger", "example.com", false, s_sp_stronger, { END }, PR_OK },
	{ "sp on a subdomain record", "mail.example.com", false, s_sp_ignored,
	  { PC_DMARC_SP_IGNORED, END }, PR_OK },
	{ "no rua", "example.com", false, s_no_rua, { PC_DMARC_NO_RUA, END }, PR_OK },
	{ "rua invalid", "example.com", false, s_rua_invalid, { PC_DMARC_RUA_INVALID, END },
	  PR_WEAK },
	{ "ruf invalid", "example.com", false, s_ruf_invalid, { PC_DMARC_RUA_INVALID, END },
	  PR_WEAK },
	{ "external rua unauthorized", "example.com", false, s_rua_external_unauthorized,
	  { PC_DMARC_RUA_UNAUTHORIZED, END }, PR_WEAK },
	{ "external rua, wrong TXT", "example.com", false, s_rua_external_wrong_txt,
	  { PC_DMARC_RUA_UNAUTHORIZED, END }, PR_WEAK },
	{ "external rua authorized", "example.com", false, s_rua_external_authorized,
	  { END }, PR_OK },
	{ "rua at a subdomain", "example.com", false, s_rua_internal_subdomain, { END }, PR_OK },
	{ "inherited", "mail.example.com", true, s_inherited, { PC_DMARC_INHERITED, END },
	  PR_OK },
	{ "inherited sp=none", "mail.example.com", false, s_inherited_sp_none,
	  { PC_DMARC_INHERITED, PC_DMARC_POLICY_NONE, PC_DMARC_SP_WEAKER, END }, PR_WEAK },
	{ "two records here, one above", "mail.example.com", false,
	  s_multiple_own_valid_parent,
	  { PC_DMARC_MULTIPLE, PC_DMARC_INHERITED, END }, PR_BROKEN },
	{ "t=y", "example.com", false, s_testing, { PC_DMARC_TESTING, END }, PR_WEAK },
	{ "t=y with p=none", "example.com", false, s_testing_none,
	  { PC_DMARC_POLICY_NONE, END }, PR_WEAK },
	{ "unknown tag", "example.com", false, s_unknown_tag, { PC_DMARC_SYNTAX, END }, PR_OK },
	{ "duplicate tag", "example.com", false, s_duplicate, { PC_DMARC_SYNTAX, END },
	  PR_BROKEN },
	{ "psd=y: org domain differs from the PSL", "giant.bank.example", true, s_psd_y,
	  { PC_DMARC_INHERITED, PC_DMARC_ORG_DOMAIN_DIFFERS, END }, PR_OK },
	{ "psd=y without a PSL", "giant.bank.example", false, s_psd_y,
	  { PC_DMARC_INHERITED, END }, PR_OK },
	{ "psd=n below the registrable domain", "a.mail.example.com", true, s_psd_n_sub,
	  { PC_DMARC_INHERITED, PC_DMARC_ORG_DOMAIN_DIFFERS, END }, PR_OK },
	{ "org domain is the highest record", "a.mail.example.com", true,
	  s_walk_org_is_highest, { PC_DMARC_INHERITED, END }, PR_OK },
	{ "failure above a psd stop", "example.com", false, s_ancestor_failure_after_stop,
	  { END }, PR_OK },
	{ "junk beside a record", "example.com", false, s_junk_next_to_record,
	  { PC_DMARC_SYNTAX, END }, PR_WEAK },
	{ "SPF beside a record: ignored", "example.com", false, s_spf_next_to_record,
	  { END }, PR_OK },
	{ "wildcard SPF at _dmarc.sub: inherited", "mail.example.com", false, s_spf_wildcard,
	  { PC_DMARC_INHERITED, END }, PR_OK },
	{ "only SPF at the _dmarc name: none", "example.com", false, s_spf_only,
	  { PC_DMARC_NONE, END }, PR_NONE },
};

/* A new context for domain, with the PSL or not. */
static struct eval_ctx *
new_ctx(const char *domain, bool psl, unsigned max_queries)
{
	struct eval_limits lim = { max_queries, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(domain, NULL, psl ? test_psl : NULL, &lim);

	assert_non_null(ctx);
	return ctx;
}

/* Whether code is in an END-terminated list. */
static bool
listed(const enum posture_code *list, enum posture_code code)
{
	for (; *list != END; list++)
		if (*list == code)
			return true;
	return false;
}

/* Print the findings (to understand a failure). */
static void
dump(const struct eval_ctx *ctx)
{
	const struct posture_finding *f;
	size_t n, i;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++)
		print_message("  %s: %s\n", posture_code_name(f[i].code), f[i].message);
}

static void
test_table(void **state)
{
	const struct dmarc_case *c;
	struct eval_ctx *ctx;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		ctx = new_ctx(c->domain, c->psl, 100);
		nx_walk(ctx, c->domain);
		c->setup(ctx);
		if (eval_run_check(ctx, PF_DMARC, check_dmarc) != CHECK_DONE) {
			dump(ctx);
			fail_msg("%s: pending", c->name);
		}
		for (k = 0; k < sizeof(dmarc_codes) / sizeof(dmarc_codes[0]); k++) {
			bool want = listed(c->expect, dmarc_codes[k]);

			if (eval_has_finding(ctx, dmarc_codes[k]) != want) {
				dump(ctx);
				fail_msg("%s: %s %s", c->name, posture_code_name(dmarc_codes[k]),
				    want ? "not raised" : "raised");
			}
		}
		if (eval_family_result(ctx, PF_DMARC) != c->result) {
			dump(ctx);
			fail_msg("%s: result %s, expected %s", c->name,
			    posture_result_word(eval_family_result(ctx, PF_DMARC)),
			    posture_result_word(c->result));
		}
		eval_ctx_free(ctx);
	}
}

/* ---- rounds ---- */

static void
test_walk_is_one_round(void **state)
{
	struct eval_ctx *ctx = new_ctx("a.mail.example.com", false, 100);

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_PENDING);
	/* the domain's own answer alone is not enough: the walk needs the ancestors */
	rec(ctx, "a.mail.example.com", "v=DMARC1; p=reject");
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_PENDING);
	/* every name the first run asked for, and nothing else, completes it */
	ans_status(ctx, "_dmarc.mail.example.com", DNS_T_TXT, DNS_NXDOMAIN);
	ans_status(ctx, "_dmarc.example.com", DNS_T_TXT, DNS_NXDOMAIN);
	ans_status(ctx, "_dmarc.com", DNS_T_TXT, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_false(eval_has_finding(ctx, PC_DMARC_NONE));
	eval_ctx_free(ctx);
}

static void
test_deep_name_jumps_to_seven_labels(void **state)
{
	/* 9 labels: the walk asks the name, then its last 7 labels down to the TLD */
	static const char *const names[] = {
		"_dmarc.a.b.c.d.e.f.g.example.com", "_dmarc.c.d.e.f.g.example.com",
		"_dmarc.d.e.f.g.example.com", "_dmarc.e.f.g.example.com",
		"_dmarc.f.g.example.com", "_dmarc.g.example.com", "_dmarc.com",
	};
	struct eval_ctx *ctx = new_ctx("a.b.c.d.e.f.g.example.com", false, 8);
	size_t i;

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_PENDING);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ans_status(ctx, names[i], DNS_T_TXT, DNS_NXDOMAIN);
	rec(ctx, "example.com", "v=DMARC1; p=reject" RUA);
	/* exactly 8 queries (RFC 9989 4.10): the budget of 8 was not exceeded */
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DMARC_INHERITED));
	assert_int_equal(eval_family_result(ctx, PF_DMARC), PR_OK);
	eval_ctx_free(ctx);
}

static void
test_psd_above_a_skipped_org_domain_costs_one_more_round(void **state)
{
	/* 9 labels, psd=y at the 7-label name: the 8-label org domain was skipped */
	const char *dom = "x.a.b.c.d.e.f.bank.example";
	struct eval_ctx *ctx = new_ctx(dom, false, 100);

	(void)state;
	nx_walk(ctx, dom);
	rec(ctx, "b.c.d.e.f.bank.example", "v=DMARC1; p=reject; psd=y");
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_PENDING);
	rec(ctx, "a.b.c.d.e.f.bank.example", "v=DMARC1; p=quarantine");
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	/* the org domain's own record applies (RFC 9989 4.10.1) */
	assert_true(eval_has_finding(ctx, PC_DMARC_INHERITED));
	assert_false(eval_has_finding(ctx, PC_DMARC_POLICY_NONE));
	eval_ctx_free(ctx);
}

static void
test_authorizations_share_one_round_after_the_walk(void **state)
{
	struct eval_ctx *ctx = new_ctx("example.com", false, 100);

	(void)state;
	nx_walk(ctx, "example.com");
	rec(ctx, "example.com", "v=DMARC1; p=reject; rua=mailto:a@r1.example.net,"
	    "mailto:b@r2.example.org; ruf=mailto:c@r1.example.net");
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_PENDING);
	ans_txt(ctx, "example.com._report._dmarc.r1.example.net", "v=DMARC1", NULL);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_PENDING);
	ans_status(ctx, "example.com._report._dmarc.r2.example.org", DNS_T_TXT, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DMARC_RUA_UNAUTHORIZED));
	eval_ctx_free(ctx);
}

/* ---- temperror ---- */

static void
check_temperror(const char *domain, enum dns_status st, const char *failname,
		void (*setup)(struct eval_ctx *))
{
	struct eval_ctx *ctx = new_ctx(domain, false, 100);
	size_t n;

	nx_walk(ctx, domain);
	if (setup)
		setup(ctx);
	ans_status(ctx, failname, DNS_T_TXT, st);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DMARC), PR_TEMPERROR);
	(void)eval_findings(ctx, &n);
	if (n != 0) {
		dump(ctx);
		fail_msg("%s %s: findings on a temperror", failname, dns_status_str(st));
	}
	eval_ctx_free(ctx);
}

static void
s_external(struct eval_ctx *c)
{
	rec(c, "example.com", "v=DMARC1; p=none; rua=mailto:d@reports.example.net");
}

static void
test_lookup_failures_are_temperror_without_findings(void **state)
{
	(void)state;
	check_temperror("example.com", DNS_SERVFAIL, "_dmarc.example.com", NULL);
	check_temperror("example.com", DNS_TIMEOUT, "_dmarc.example.com", NULL);
	check_temperror("example.com", DNS_REFUSED, "_dmarc.example.com", NULL);
	check_temperror("mail.example.com", DNS_TIMEOUT, "_dmarc.com", NULL);
	check_temperror("example.com", DNS_SERVFAIL,
	    "example.com._report._dmarc.reports.example.net", s_external);
}

static void
test_budget_is_temperror(void **state)
{
	struct eval_ctx *ctx = new_ctx("a.mail.example.com", false, 2);

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_PENDING);
	ans_status(ctx, "_dmarc.a.mail.example.com", DNS_T_TXT, DNS_NXDOMAIN);
	ans_status(ctx, "_dmarc.mail.example.com", DNS_T_TXT, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DMARC), PR_TEMPERROR);
	assert_false(eval_has_finding(ctx, PC_DMARC_NONE));
	eval_ctx_free(ctx);
}

/* ---- severities, messages, fact ---- */

/* The message of the first finding with code, or fail. */
static const char *
message_of(const struct eval_ctx *ctx, enum posture_code code, enum posture_severity *sev)
{
	const struct posture_finding *f;
	size_t n, i;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++) {
		if (f[i].code == code) {
			if (sev)
				*sev = f[i].severity;
			return f[i].message;
		}
	}
	fail_msg("%s not raised", posture_code_name(code));
	return NULL;
}

/* Run the check on example.com with one record. */
static struct eval_ctx *
run_record(const char *txt)
{
	struct eval_ctx *ctx = new_ctx("example.com", false, 100);

	nx_walk(ctx, "example.com");
	rec(ctx, "example.com", txt);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	return ctx;
}

static void
test_messages_name_value_and_section(void **state)
{
	static const struct {
		const char *record;
		enum posture_code code;
		const char *has[3];
	} msgs[] = {
		{ "v=DMARC1; p=none" RUA, PC_DMARC_POLICY_NONE, { "p=none", "RFC 9989 4.7" } },
		{ "v=DMARC1; p=rejectt" RUA, PC_DMARC_SYNTAX, { "p=rejectt", "RFC 9989" } },
		{ "v=DMARC1; p=reject; sp=bogus" RUA, PC_DMARC_POLICY_NONE,
		  { "sp=bogus", "as if p=none", "RFC 9989 4.10.1" } },
		{ "v=DMARC1; rua=mailto:x", PC_DMARC_SYNTAX, { "no p=", "no DMARC processing" } },
		{ "v=DMARC1; p=reject; pct=25" RUA, PC_DMARC_PCT_PARTIAL,
		  { "pct=25", "25%", "RFC 7489 6.3" } },
		{ "v=DMARC1; p=reject; ri=3600" RUA, PC_DMARC_OBSOLETE_TAG,
		  { "ri=3600", "RFC 7489 6.3", "RFC 9989" } },
		{ "v=DMARC1; p=reject; sp=quarantine" RUA, PC_DMARC_SP_WEAKER,
		  { "sp=quarantine", "p=reject", "RFC 9989 4.7" } },
		{ "v=DMARC1; p=reject; rua=https://x", PC_DMARC_RUA_INVALID,
		  { "rua=https://x", "RFC 9989 4.6" } },
		{ "v=DMARC1; p=reject; t=y" RUA, PC_DMARC_TESTING, { "t=y", "p=reject" } },
		{ "v=DMARC1; p=reject", PC_DMARC_NO_RUA, { "_dmarc.example.com", "rua" } },
		{ "v=DMARC1; p=reject; rua=mailto:x@ext.example.net", PC_DMARC_RUA_UNAUTHORIZED,
		  { "mailto:x@ext.example.net", "example.com._report._dmarc.ext.example.net",
		    "RFC 9990 4" } },
	};
	const struct posture_finding *f;
	struct eval_ctx *ctx;
	size_t i, j, k, n;
	bool found;

	(void)state;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		ctx = new_ctx("example.com", false, 100);
		nx_walk(ctx, "example.com");
		rec(ctx, "example.com", msgs[i].record);
		ans_status(ctx, "example.com._report._dmarc.ext.example.net", DNS_T_TXT,
		    DNS_NXDOMAIN);
		assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
		(void)message_of(ctx, msgs[i].code, NULL);	/* raised at all */
		/* some finding of that code names every expected part */
		f = eval_findings(ctx, &n);
		found = false;
		for (k = 0; k < n && !found; k++) {
			if (f[k].code != msgs[i].code)
				continue;
			assert_true(strlen(f[k].message) < 200);
			found = true;
			for (j = 0; j < 3 && msgs[i].has[j]; j++)
				if (strstr(f[k].message, msgs[i].has[j]) == NULL)
					found = false;
		}
		if (!found) {
			dump(ctx);
			fail_msg("%s: no message with the expected parts",
			    posture_code_name(msgs[i].code));
		}
		eval_ctx_free(ctx);
	}
}

static void
test_severities(void **state)
{
	struct eval_ctx *ctx;
	enum posture_severity sev;

	(void)state;
	ctx = run_record("v=DMARC1; p=reject; foo=bar" RUA);
	(void)message_of(ctx, PC_DMARC_SYNTAX, &sev);
	assert_int_equal(sev, SEV_INFO);	/* unknown tags are ignored */
	eval_ctx_free(ctx);
	ctx = run_record("v=DMARC1; p=reject; adkim=x" RUA);
	(void)message_of(ctx, PC_DMARC_SYNTAX, &sev);
	assert_int_equal(sev, SEV_WARN);	/* falls back to the default r */
	eval_ctx_free(ctx);
	ctx = run_record("v=DMARC1; p=qurantine" RUA);
	(void)message_of(ctx, PC_DMARC_SYNTAX, &sev);
	assert_int_equal(sev, SEV_ERROR);
	eval_ctx_free(ctx);
}

static void
test_hostile_record_is_sanitized(void **state)
{
	struct eval_ctx *ctx = run_record("v=DMARC1; p=\x1b[2Jreject\r\n; rua=mailto:\xff@x");
	const struct posture_finding *f;
	size_t n, i, j;

	(void)state;
	f = eval_findings(ctx, &n);
	assert_true(n > 0);
	for (i = 0; i < n; i++)
		for (j = 0; f[i].message[j]; j++)
			if ((unsigned char)f[i].message[j] < 0x20 ||
			    (unsigned char)f[i].message[j] >= 0x7f)
				fail_msg("unsanitized byte in \"%s\"", f[i].message);
	eval_ctx_free(ctx);
}

static void
test_fact_names_the_policy(void **state)
{
	static const struct {
		const char *domain;
		const char *record_at;
		const char *record;
		const char *fact;
	} facts[] = {
		{ "example.com", "example.com", "v=DMARC1; p=reject" RUA, "p=reject" },
		{ "example.com", "example.com", "v=DMARC1; p=quarantine; t=y" RUA,
		  "p=quarantine t=y" },
		{ "mail.example.com", "example.com", "v=DMARC1; p=reject; sp=none" RUA,
		  "sp=none inherited" },
		{ "example.com", NULL, NULL, "no record" },
	};
	struct posture_eval *ev;
	struct eval_ctx *ctx;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		ctx = new_ctx(facts[i].domain, false, 100);
		nx_walk(ctx, facts[i].domain);
		if (facts[i].record)
			rec(ctx, facts[i].record_at, facts[i].record);
		ev = check_run_all(ctx);
		assert_non_null(ev);
		assert_string_equal(ev->family[PF_DMARC].fact, facts[i].fact);
		posture_eval_free(ev);
		eval_ctx_free(ctx);
	}
}

static psl_ctx_t *loaded_psl;	/* owned when the builtin list is missing */

static int
setup_psl(void **state)
{
	(void)state;
	test_psl = psl_builtin();
	if (test_psl == NULL)
		test_psl = loaded_psl = psl_latest(NULL);
	return test_psl == NULL ? -1 : 0;
}

static int
teardown_psl(void **state)
{
	(void)state;
	psl_free(loaded_psl);
	return 0;
}

/* ---- change tracking ---- */

/* The record that applies is noted as published; inherited, saying from where. */
static void
test_record_noted(void **state)
{
	struct eval_ctx *ctx;

	(void)state;
	ctx = new_ctx("example.com", false, 100);
	nx_walk(ctx, "example.com");
	s_split(ctx);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_int_equal(noted_count(ctx), 1);
	assert_string_equal(noted(ctx, "dmarc"),
	    "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
	assert_int_equal(eval_records(ctx, &(size_t){ 0 })[0].family, PF_DMARC);
	eval_ctx_free(ctx);

	ctx = new_ctx("mail.example.com", false, 100);
	nx_walk(ctx, "mail.example.com");
	ans_txt(ctx, "_dmarc.mail.example.com", "v=spf1 -all", NULL);	/* not DMARC */
	rec(ctx, "example.com", "v=DMARC1; p=quarantine");
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_string_equal(noted(ctx, "dmarc"),
	    "v=DMARC1; p=quarantine (from _dmarc.example.com)");
	eval_ctx_free(ctx);

	/* two records at the domain, none that applies: both, sorted */
	ctx = new_ctx("example.com", false, 100);
	nx_walk(ctx, "example.com");
	ans_txt(ctx, "_dmarc.example.com", "v=DMARC1; p=reject", "hello=world",
	    "v=DMARC1; p=none", NULL);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DMARC_MULTIPLE));
	assert_string_equal(noted(ctx, "dmarc"), "v=DMARC1; p=none | v=DMARC1; p=reject");
	eval_ctx_free(ctx);

	ctx = new_ctx("example.com", false, 100);
	nx_walk(ctx, "example.com");
	s_other_txt(ctx);
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_string_equal(noted(ctx, "dmarc"), "");
	eval_ctx_free(ctx);

	ctx = new_ctx("mail.example.com", false, 100);
	nx_walk(ctx, "mail.example.com");
	assert_int_equal(eval_run_check(ctx, PF_DMARC, check_dmarc), CHECK_DONE);
	assert_string_equal(noted(ctx, "dmarc"), "");
	eval_ctx_free(ctx);
}

/* The walk's lookup of the Organizational Domain fails. */
static struct eval_ctx *
org_fails(enum dns_status st)
{
	struct eval_ctx *ctx = new_ctx("mail.example.com", false, 100);

	nx_walk(ctx, "mail.example.com");
	rec(ctx, "mail.example.com", "v=DMARC1; p=reject");
	ans_status(ctx, "_dmarc.example.com", DNS_T_TXT, st);
	return ctx;
}

/* An authorization lookup fails. */
static struct eval_ctx *
authorization_fails(enum dns_status st)
{
	struct eval_ctx *ctx = new_ctx("example.com", false, 100);

	nx_walk(ctx, "example.com");
	s_external(ctx);
	ans_status(ctx, "example.com._report._dmarc.reports.example.net", DNS_T_TXT, st);
	return ctx;
}

/* A walk with a failed lookup notes nothing; a failed authorization does not matter. */
static void
test_temperror_notes_nothing(void **state)
{
	(void)state;
	assert_failure_notes(org_fails, PF_DMARC, check_dmarc, "dmarc", NULL);
	assert_failure_notes(authorization_fails, PF_DMARC, check_dmarc, "dmarc",
	    "v=DMARC1; p=none; rua=mailto:d@reports.example.net");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_walk_is_one_round),
		cmocka_unit_test(test_deep_name_jumps_to_seven_labels),
		cmocka_unit_test(test_psd_above_a_skipped_org_domain_costs_one_more_round),
		cmocka_unit_test(test_authorizations_share_one_round_after_the_walk),
		cmocka_unit_test(test_lookup_failures_are_temperror_without_findings),
		cmocka_unit_test(test_budget_is_temperror),
		cmocka_unit_test(test_messages_name_value_and_section),
		cmocka_unit_test(test_severities),
		cmocka_unit_test(test_hostile_record_is_sanitized),
		cmocka_unit_test(test_fact_names_the_policy),
		cmocka_unit_test(test_record_noted),
		cmocka_unit_test(test_temperror_notes_nothing),
	};

	return cmocka_run_group_tests(tests, setup_psl, teardown_psl);
}
