/*
 * test_check_dkim.c - the DKIM family (check_dkim.c, dkim_key.c) on answers built by
 * answers.h, with real keys generated at run time by OpenSSL (RSA 512, 1024, 2048 and
 * Ed25519), and one with exponent 1 made from a generated key's modulus.
 *
 * One table: each case names the selectors, builds the answers at
 * <selector>._domainkey.example.com, names the DKIM codes that must be raised, the
 * family result and the fact; every other DKIM code must NOT be raised, so each code is
 * tested both ways. Then rounds (every selector in one round), lookup failures
 * (temperror without findings; a failure beside a judged selector), severities and
 * messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "answers.h"
#include "check/checks.h"
#include "noted.h"

#define END PC_COUNT

static const enum posture_code dkim_codes[] = {
	PC_DKIM_NO_SELECTOR, PC_DKIM_KEY_MISSING, PC_DKIM_KEY_MULTIPLE, PC_DKIM_KEY_SYNTAX,
	PC_DKIM_KEY_REVOKED, PC_DKIM_KEY_WEAK, PC_DKIM_KEY_SHORT, PC_DKIM_KEY_TESTING,
	PC_DKIM_KEY_SHA1_ONLY, PC_DKIM_KEY_UNKNOWN_TYPE, PC_DKIM_KEY_NOT_EMAIL,
};

/* ---- keys, generated once: "v=DKIM1; p=<base64>" prefixes built per case ---- */

static char *rsa512, *rsa1024, *rsa2048, *rsa2048b, *ed, *rsa_e1;

/* Base64 of n bytes; caller frees. */
static char *
b64(const unsigned char *der, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);

	assert_non_null(out);
	assert_true(EVP_EncodeBlock((unsigned char *)out, der, (int)n) >= 0);
	return out;
}

/* A fresh key's p= value: RSA SubjectPublicKeyInfo, or the raw Ed25519 key (bits 0). */
static char *
new_key(unsigned bits)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, bits ? "RSA" : "ED25519", NULL);
	unsigned char *der = NULL, raw[32];
	size_t rawlen = sizeof(raw);
	EVP_PKEY *pk = NULL;
	char *out;
	int n;

	assert_non_null(pc);
	assert_int_equal(EVP_PKEY_keygen_init(pc), 1);
	if (bits)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(pc, (int)bits), 1);
	assert_int_equal(EVP_PKEY_keygen(pc, &pk), 1);
	EVP_PKEY_CTX_free(pc);
	if (bits == 0) {
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen), 1);
		out = b64(raw, rawlen);
	} else {
		n = i2d_PUBKEY(pk, &der);
		assert_true(n > 0);
		out = b64(der, (size_t)n);
		OPENSSL_free(der);
	}
	EVP_PKEY_free(pk);
	return out;
}

/* The p= of an RSA 2048 public key with exponent 1 (RFC 8017 3.1 rules it out). */
static char *
new_exponent_one_key(void)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL, *e1 = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	BIGNUM *n = NULL, *one = BN_new();
	unsigned char *der = NULL;
	char *out;
	int len;

	assert_true(pc != NULL && bld != NULL && one != NULL && BN_one(one));
	assert_int_equal(EVP_PKEY_keygen_init(pc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(pc, 2048), 1);
	assert_int_equal(EVP_PKEY_keygen(pc, &pk), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, one));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
	assert_int_equal(EVP_PKEY_fromdata(pc, &e1, EVP_PKEY_PUBLIC_KEY, params), 1);
	len = i2d_PUBKEY(e1, &der);
	assert_true(len > 0);
	out = b64(der, (size_t)len);
	OPENSSL_free(der);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(one);
	EVP_PKEY_free(e1);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(pc);
	return out;
}

static int
setup_keys(void **state)
{
	(void)state;
	rsa_e1 = new_exponent_one_key();
	rsa512 = new_key(512);
	rsa1024 = new_key(1024);
	rsa2048 = new_key(2048);
	rsa2048b = new_key(2048);
	ed = new_key(0);
	return 0;
}

static int
teardown_keys(void **state)
{
	(void)state;
	free(rsa512);
	free(rsa1024);
	free(rsa2048);
	free(rsa2048b);
	free(ed);
	free(rsa_e1);
	return 0;
}

/* One TXT record at <sel>._domainkey.example.com: before, the key, after. */
static void
key_txt(struct eval_ctx *ctx, const char *sel, const char *before, const char *key,
	const char *after)
{
	char q[300], rec[2048];

	snprintf(q, sizeof(q), "%s._domainkey.example.com", sel);
	snprintf(rec, sizeof(rec), "%s%s%s", before, key, after);
	ans_txt(ctx, q, rec, NULL);
}

/* A TXT answer reached through a CNAME (what ESP-hosted selectors look like). */
static void
key_txt_cname(struct eval_ctx *ctx, const char *name, const char *canonical,
	      const char *txt)
{
	struct dns_answer a;
	struct dns_rr *rr;

	memset(&a, 0, sizeof(a));
	a.status = DNS_OK;
	a.qname = strdup(name);
	a.canonical = strdup(canonical);
	a.qtype = DNS_T_TXT;
	a.cname_hops = 1;
	a.authoritative = true;
	a.queries = 1;
	a.count = 1;
	a.rrs = calloc(1, sizeof(*a.rrs));
	assert_non_null(a.qname);
	assert_non_null(a.canonical);
	assert_non_null(a.rrs);
	rr = &a.rrs[0];
	rr->owner = strdup(canonical);
	rr->type = DNS_T_TXT;
	rr->ttl = 3600;
	rr->u.txt.count = 1;
	rr->u.txt.strings = calloc(1, sizeof(*rr->u.txt.strings));
	assert_non_null(rr->owner);
	assert_non_null(rr->u.txt.strings);
	rr->u.txt.strings[0].data = (uint8_t *)strdup(txt);
	assert_non_null(rr->u.txt.strings[0].data);
	rr->u.txt.strings[0].len = strlen(txt);
	assert_int_equal(eval_add_answer(ctx, &a), 0);
	dns_answer_clear(&a);
}

/* ---- scenarios ---- */

static void s_none(struct eval_ctx *c) { (void)c; }
static void
s_clean(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; k=rsa; p=", rsa2048, "");
}
static void s_ed(struct eval_ctx *c) { key_txt(c, "s1", "v=DKIM1; k=ed25519; p=", ed, ""); }
static void
s_two_clean(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; k=rsa; p=", rsa2048, "");
	key_txt(c, "s2", "v=DKIM1; k=ed25519; p=", ed, "");
}
static void
s_split(struct eval_ctx *c)
{
	/* a 2048-bit key does not fit one 255-byte string: joined without separator */
	char a[300], b[300];
	size_t n = strlen(rsa2048);

	snprintf(a, sizeof(a), "v=DKIM1; k=rsa; p=%.200s", rsa2048);
	snprintf(b, sizeof(b), "%s", rsa2048 + (n > 200 ? 200 : n));
	ans_txt_split(c, "s1._domainkey.example.com", a, b, NULL);
}
static void
s_cname(struct eval_ctx *c)
{
	char rec[600];

	snprintf(rec, sizeof(rec), "v=DKIM1; k=rsa; p=%s", rsa2048);
	key_txt_cname(c, "s1._domainkey.example.com", "s1.example.com.dkim.esp.example", rec);
}
static void
s_nxdomain(struct eval_ctx *c)
{
	ans_status(c, "s1._domainkey.example.com", DNS_T_TXT, DNS_NXDOMAIN);
}
static void
s_nodata(struct eval_ctx *c)
{
	ans_status(c, "s1._domainkey.example.com", DNS_T_TXT, DNS_NODATA);
}
static void
s_other_txt(struct eval_ctx *c)
{
	ans_txt(c, "s1._domainkey.example.com", "v=spf1 -all", "hello", NULL);
}
static void
s_multiple(struct eval_ctx *c)
{
	char r1[600], r2[600];

	snprintf(r1, sizeof(r1), "v=DKIM1; p=%s", rsa2048);
	snprintf(r2, sizeof(r2), "v=DKIM1; p=%s", rsa2048b);
	ans_txt(c, "s1._domainkey.example.com", r1, r2, NULL);
}
static void
s_beside_junk(struct eval_ctx *c)
{
	char r1[600];

	snprintf(r1, sizeof(r1), "v=DKIM1; p=%s", rsa2048);
	ans_txt(c, "s1._domainkey.example.com", "site-verification", r1, NULL);
}
static void s_syntax(struct eval_ctx *c) { key_txt(c, "s1", "v=DKIM1; p=", rsa2048, "!"); }
static void s_v_bad(struct eval_ctx *c) { key_txt(c, "s1", "v=DKIM2; p=", rsa2048, ""); }
static void
s_unknown_tag(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; g=*; p=", rsa2048, "");
}
static void
s_mismatch(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; k=ed25519; p=", rsa2048, "");
}
static void s_unsafe(struct eval_ctx *c) { key_txt(c, "s1", "v=DKIM1; p=", rsa_e1, ""); }
static void
s_revoked(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; k=rsa; p=", "", "");
}
static void s_weak(struct eval_ctx *c) { key_txt(c, "s1", "v=DKIM1; p=", rsa512, ""); }
static void s_short(struct eval_ctx *c) { key_txt(c, "s1", "v=DKIM1; p=", rsa1024, ""); }
static void
s_testing(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; t=y; p=", rsa2048, "");
}
static void
s_strict(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; t=s; p=", rsa2048, "");
}
static void
s_sha1(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; h=sha1; p=", rsa2048, "");
}
static void
s_sha1_sha256(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; h=sha1:sha256; p=", rsa2048, "");
}
static void
s_unknown(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; k=dsa; p=", rsa2048, "");
}
static void
s_not_email(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; s=other; p=", rsa2048, "");
}
static void
s_email(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; s=email; p=", rsa2048, "");
}
static void
s_partial_failure(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; p=", rsa2048, "");
	ans_status(c, "s2._domainkey.example.com", DNS_T_TXT, DNS_SERVFAIL);
}
static void
s_weak_and_failure(struct eval_ctx *c)
{
	key_txt(c, "s1", "v=DKIM1; p=", rsa512, "");
	ans_status(c, "s2._domainkey.example.com", DNS_T_TXT, DNS_TIMEOUT);
}

#define SEL(...) { __VA_ARGS__, NULL }

struct dkim_case {
	const char *name;
	const char *sel[4];		/* NULL-terminated */
	void (*setup)(struct eval_ctx *);
	enum posture_code expect[4];	/* END-terminated */
	enum posture_result result;
	const char *fact;
};

static const struct dkim_case cases[] = {
	{ "no selector", SEL(NULL), s_none, { PC_DKIM_NO_SELECTOR, END }, PR_UNKNOWN,
	  "no selector" },
	{ "clean rsa-2048", SEL("s1"), s_clean, { END }, PR_OK, "s1 rsa-2048" },
	{ "clean ed25519", SEL("s1"), s_ed, { END }, PR_OK, "s1 ed25519" },
	{ "two clean selectors", SEL("s1", "s2"), s_two_clean, { END }, PR_OK, "2 selectors" },
	{ "key split in strings", SEL("s1"), s_split, { END }, PR_OK, "s1 rsa-2048" },
	{ "selector behind a CNAME", SEL("s1"), s_cname, { END }, PR_OK, "s1 rsa-2048" },
	{ "same selector twice, any case", SEL("s1", "S1"), s_clean, { END }, PR_OK,
	  "s1 rsa-2048" },
	{ "NXDOMAIN", SEL("s1"), s_nxdomain, { PC_DKIM_KEY_MISSING, END }, PR_BROKEN,
	  "s1 no key" },
	{ "NODATA", SEL("s1"), s_nodata, { PC_DKIM_KEY_MISSING, END }, PR_BROKEN, "s1 no key" },
	{ "only other TXT", SEL("s1"), s_other_txt, { PC_DKIM_KEY_MISSING, END }, PR_BROKEN,
	  "s1 no key" },
	{ "two key records", SEL("s1"), s_multiple, { PC_DKIM_KEY_MULTIPLE, END }, PR_BROKEN,
	  "s1 2 keys" },
	{ "key beside another TXT", SEL("s1"), s_beside_junk, { PC_DKIM_KEY_MULTIPLE, END },
	  PR_WEAK, "s1 rsa-2048" },
	{ "bad base64", SEL("s1"), s_syntax, { PC_DKIM_KEY_SYNTAX, END }, PR_BROKEN,
	  "s1 bad key" },
	{ "v=DKIM2", SEL("s1"), s_v_bad, { PC_DKIM_KEY_SYNTAX, END }, PR_BROKEN, "s1 rsa-2048" },
	{ "unknown tag is info", SEL("s1"), s_unknown_tag, { PC_DKIM_KEY_SYNTAX, END }, PR_OK,
	  "s1 rsa-2048" },
	{ "k=ed25519 with an RSA key", SEL("s1"), s_mismatch, { PC_DKIM_KEY_SYNTAX, END },
	  PR_BROKEN, "s1 bad key" },
	{ "RSA exponent 1", SEL("s1"), s_unsafe, { PC_DKIM_KEY_SYNTAX, END }, PR_BROKEN,
	  "s1 bad key" },
	{ "revoked", SEL("s1"), s_revoked, { PC_DKIM_KEY_REVOKED, END }, PR_WEAK, "s1 revoked" },
	{ "rsa-512", SEL("s1"), s_weak, { PC_DKIM_KEY_WEAK, END }, PR_BROKEN, "s1 rsa-512" },
	{ "rsa-1024", SEL("s1"), s_short, { PC_DKIM_KEY_SHORT, END }, PR_WEAK, "s1 rsa-1024" },
	{ "t=y", SEL("s1"), s_testing, { PC_DKIM_KEY_TESTING, END }, PR_WEAK, "s1 rsa-2048" },
	{ "t=s", SEL("s1"), s_strict, { END }, PR_OK, "s1 rsa-2048" },
	{ "h=sha1", SEL("s1"), s_sha1, { PC_DKIM_KEY_SHA1_ONLY, END }, PR_BROKEN,
	  "s1 rsa-2048" },
	{ "h=sha1:sha256", SEL("s1"), s_sha1_sha256, { END }, PR_OK, "s1 rsa-2048" },
	{ "k=dsa", SEL("s1"), s_unknown, { PC_DKIM_KEY_UNKNOWN_TYPE, END }, PR_BROKEN,
	  "s1 unknown type" },
	{ "s=other", SEL("s1"), s_not_email, { PC_DKIM_KEY_NOT_EMAIL, END }, PR_BROKEN,
	  "s1 rsa-2048" },
	{ "s=email", SEL("s1"), s_email, { END }, PR_OK, "s1 rsa-2048" },
	{ "invalid selector beside a valid one", SEL("bad sel", "s1"), s_clean,
	  { PC_DKIM_KEY_SYNTAX, END }, PR_OK, "s1 rsa-2048" },
	{ "only invalid selectors", SEL("a..b", "-x\x01"), s_none, { PC_DKIM_KEY_SYNTAX, END },
	  PR_UNKNOWN, "no valid selector" },
	{ "one lookup failed, one key judged", SEL("s1", "s2"), s_partial_failure, { END },
	  PR_OK, "2 selectors, 1 lookup failed" },
	{ "weak key beside a failed lookup", SEL("s1", "s2"), s_weak_and_failure,
	  { PC_DKIM_KEY_WEAK, END }, PR_BROKEN, "2 selectors, 1 lookup failed" },
};

/* A new context for example.com with selectors. */
static struct eval_ctx *
new_ctx(const char *const *sel, unsigned max_queries)
{
	struct eval_limits lim = { max_queries, 5000 };
	struct eval_ctx *ctx = eval_ctx_new("example.com", NULL, NULL, &lim);
	size_t i;

	assert_non_null(ctx);
	for (i = 0; sel != NULL && sel[i] != NULL; i++)
		assert_int_equal(eval_add_selector(ctx, sel[i]), 0);
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
		print_message("  %s %s: %s\n", posture_code_name(f[i].code),
		    posture_severity_word(f[i].severity), f[i].message);
}

/* The family fact once the check is done (through a full evaluation record). */
static const char *
fact_of(struct eval_ctx *ctx, char *out, size_t outlen);

static void
test_table(void **state)
{
	const struct dkim_case *c;
	struct eval_ctx *ctx;
	char fact[64];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		ctx = new_ctx(c->sel, 100);
		c->setup(ctx);
		if (eval_run_check(ctx, PF_DKIM, check_dkim) != CHECK_DONE) {
			dump(ctx);
			fail_msg("%s: pending", c->name);
		}
		for (k = 0; k < sizeof(dkim_codes) / sizeof(dkim_codes[0]); k++) {
			bool want = listed(c->expect, dkim_codes[k]);

			if (eval_has_finding(ctx, dkim_codes[k]) != want) {
				dump(ctx);
				fail_msg("%s: %s %s", c->name, posture_code_name(dkim_codes[k]),
				    want ? "not raised" : "raised");
			}
		}
		if (eval_family_result(ctx, PF_DKIM) != c->result) {
			dump(ctx);
			fail_msg("%s: result %s, expected %s", c->name,
			    posture_result_word(eval_family_result(ctx, PF_DKIM)),
			    posture_result_word(c->result));
		}
		if (strcmp(fact_of(ctx, fact, sizeof(fact)), c->fact) != 0)
			fail_msg("%s: fact \"%s\", expected \"%s\"", c->name, fact, c->fact);
		eval_ctx_free(ctx);
	}
}

/* The fact of the DKIM family: eval_run_all() hands over what the check set. */
static const char *
fact_of(struct eval_ctx *ctx, char *out, size_t outlen)
{
	struct posture_eval *ev = check_run_all(ctx);

	assert_non_null(ev);
	snprintf(out, outlen, "%s", ev->family[PF_DKIM].fact);
	posture_eval_free(ev);
	return out;
}

/* ---- rounds ---- */

static void
test_every_selector_is_asked_in_one_round(void **state)
{
	static const char *const sel[] = { "s1", "s2", "s3", NULL };
	struct eval_ctx *ctx = new_ctx(sel, 100);

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_PENDING);
	key_txt(ctx, "s1", "v=DKIM1; p=", rsa2048, "");
	key_txt(ctx, "s2", "v=DKIM1; p=", rsa1024, "");
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_PENDING);
	ans_status(ctx, "s3._domainkey.example.com", DNS_T_TXT, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DKIM_KEY_SHORT));
	assert_true(eval_has_finding(ctx, PC_DKIM_KEY_MISSING));
	eval_ctx_free(ctx);
}

/* ---- lookup failures ---- */

static void
check_failure(enum dns_status st, enum posture_result want)
{
	static const char *const sel[] = { "s1", "s2", NULL };
	struct eval_ctx *ctx = new_ctx(sel, 100);
	size_t n;

	ans_status(ctx, "s1._domainkey.example.com", DNS_T_TXT, st);
	ans_status(ctx, "s2._domainkey.example.com", DNS_T_TXT, st);
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DKIM), want);
	(void)eval_findings(ctx, &n);
	if (n != 0) {
		dump(ctx);
		fail_msg("%s: findings on a failed lookup", dns_status_str(st));
	}
	eval_ctx_free(ctx);
}

static void
test_failed_lookups_are_temperror_without_findings(void **state)
{
	(void)state;
	check_failure(DNS_SERVFAIL, PR_TEMPERROR);
	check_failure(DNS_TIMEOUT, PR_TEMPERROR);
	check_failure(DNS_REFUSED, PR_TEMPERROR);
	check_failure(DNS_MALFORMED, PR_TEMPERROR);
	check_failure(DNS_ERROR, PR_UNKNOWN);
}

static void
test_budget_is_temperror(void **state)
{
	static const char *const sel[] = { "s1", "s2", NULL };
	struct eval_ctx *ctx = new_ctx(sel, 1);
	char fact[64];

	(void)state;
	/* s1 takes the one query of the budget, s2 is not asked (DNS_BUDGET) */
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_PENDING);
	ans_status(ctx, "s1._domainkey.example.com", DNS_T_TXT, DNS_TIMEOUT);
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DKIM), PR_TEMPERROR);
	assert_false(eval_has_finding(ctx, PC_DKIM_KEY_MISSING));
	assert_string_equal(fact_of(ctx, fact, sizeof(fact)), "2 selector lookups failed");
	eval_ctx_free(ctx);
}

static void
test_a_single_failed_lookup_names_its_status(void **state)
{
	static const char *const sel[] = { "s1", NULL };
	struct eval_ctx *ctx = new_ctx(sel, 100);
	char fact[64];

	(void)state;
	ans_status(ctx, "s1._domainkey.example.com", DNS_T_TXT, DNS_SERVFAIL);
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_DKIM), PR_TEMPERROR);
	assert_non_null(strstr(fact_of(ctx, fact, sizeof(fact)), "selector lookup"));
	eval_ctx_free(ctx);
}

/* ---- severities and messages ---- */

/* The first finding with code, or fail. */
static const struct posture_finding *
finding_of(const struct eval_ctx *ctx, enum posture_code code)
{
	const struct posture_finding *f;
	size_t n, i;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++)
		if (f[i].code == code)
			return &f[i];
	dump(ctx);
	fail_msg("%s not raised", posture_code_name(code));
	return NULL;
}

static void
test_messages_name_value_and_section(void **state)
{
	static const struct {
		void (*setup)(struct eval_ctx *);
		const char *sel;
		enum posture_code code;
		enum posture_severity sev;
		const char *has[3];
	} msgs[] = {
		{ s_nxdomain, "s1", PC_DKIM_KEY_MISSING, SEV_ERROR,
		  { "s1._domainkey.example.com", "NXDOMAIN", "RFC 6376 6.1.2" } },
		{ s_multiple, "s1", PC_DKIM_KEY_MULTIPLE, SEV_ERROR,
		  { "2 key records", "s1._domainkey.example.com", "RFC 6376 3.6.2.2" } },
		{ s_beside_junk, "s1", PC_DKIM_KEY_MULTIPLE, SEV_WARN,
		  { "2 TXT records", "one a key", "RFC 6376 3.6.2.2" } },
		{ s_syntax, "s1", PC_DKIM_KEY_SYNTAX, SEV_ERROR,
		  { "p=MIIB", "'!' at offset 392 is not a base64 character", "RFC 6376 3.6.1" } },
		{ s_unknown_tag, "s1", PC_DKIM_KEY_SYNTAX, SEV_INFO,
		  { "g=*", "unknown tag", "RFC 6376 3.2" } },
		{ s_mismatch, "s1", PC_DKIM_KEY_SYNTAX, SEV_ERROR,
		  { "k=ed25519 but the key is RSA", "RFC 8463 4.2" } },
		{ s_unsafe, "s1", PC_DKIM_KEY_SYNTAX, SEV_ERROR,
		  { "unsafe key: exponent 1 (e=1;", "never used to verify", "RFC 8017 3.1" } },
		{ s_revoked, "s1", PC_DKIM_KEY_REVOKED, SEV_WARN, { "p= is empty", "revoked" } },
		{ s_weak, "s1", PC_DKIM_KEY_WEAK, SEV_ERROR, { "512 bits", "RFC 8301 3.2" } },
		{ s_short, "s1", PC_DKIM_KEY_SHORT, SEV_WARN, { "1024 bits", "RFC 8301 3.2" } },
		{ s_testing, "s1", PC_DKIM_KEY_TESTING, SEV_WARN, { "t=y", "RFC 6376 3.6.1" } },
		{ s_sha1, "s1", PC_DKIM_KEY_SHA1_ONLY, SEV_ERROR, { "h=sha1", "RFC 8301 3.1" } },
		{ s_unknown, "s1", PC_DKIM_KEY_UNKNOWN_TYPE, SEV_ERROR,
		  { "k=dsa", "RFC 6376 3.6.1" } },
		{ s_not_email, "s1", PC_DKIM_KEY_NOT_EMAIL, SEV_ERROR,
		  { "s=other", "RFC 6376 3.6.1" } },
		{ s_none, NULL, PC_DKIM_NO_SELECTOR, SEV_INFO, { "example.com", "RFC 6376" } },
		{ s_none, "a b", PC_DKIM_KEY_SYNTAX, SEV_INFO,
		  { "selector \"a b\"", "not looked up", "RFC 6376 3.1" } },
		{ s_none, "\x1b[31m", PC_DKIM_KEY_SYNTAX, SEV_INFO, { "\\x1b[31m" } },
	};
	const struct posture_finding *f;
	const char *sel[2];
	struct eval_ctx *ctx;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		sel[0] = msgs[i].sel;
		sel[1] = NULL;
		ctx = new_ctx(sel, 100);
		msgs[i].setup(ctx);
		assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
		f = finding_of(ctx, msgs[i].code);
		if (f->severity != msgs[i].sev)
			fail_msg("%s: severity %s", f->message, posture_severity_word(f->severity));
		for (j = 0; j < 3 && msgs[i].has[j]; j++)
			if (strstr(f->message, msgs[i].has[j]) == NULL)
				fail_msg("message \"%s\" lacks \"%s\"", f->message, msgs[i].has[j]);
		if (strlen(f->message) > 200)
			fail_msg("message too long (%zu): %s", strlen(f->message), f->message);
		eval_ctx_free(ctx);
	}
}

static void
test_cname_target_is_named_when_the_key_is_missing(void **state)
{
	static const char *const sel[] = { "s1", NULL };
	struct eval_ctx *ctx = new_ctx(sel, 100);
	const struct posture_finding *f;

	(void)state;
	key_txt_cname(ctx, "s1._domainkey.example.com", "s1.dkim.esp.example", "hello");
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
	f = finding_of(ctx, PC_DKIM_KEY_MISSING);
	assert_non_null(strstr(f->message, "CNAME to s1.dkim.esp.example"));
	eval_ctx_free(ctx);
}

static void
test_too_long_key_name_is_not_asked(void **state)
{
	char sel[260], *sels[2] = { sel, NULL };
	struct eval_ctx *ctx;

	(void)state;
	/* four labels of 60 bytes: valid labels, but the key name exceeds 253 bytes */
	memset(sel, 'a', 243);
	sel[60] = sel[121] = sel[182] = '.';
	sel[243] = '\0';
	ctx = new_ctx((const char *const *)sels, 100);
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_DKIM_KEY_SYNTAX));
	assert_int_equal(eval_family_result(ctx, PF_DKIM), PR_UNKNOWN);
	eval_ctx_free(ctx);
}

/* ---- change tracking ---- */

#define ED_KEY "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

/* Each selector's key records are noted as dkim:<selector>, lower case, sorted. */
static void
test_keys_noted(void **state)
{
	static const char *const sel[] = { "S1", "s2", "s3", "s4", "bad sel", "s1", NULL };
	struct eval_ctx *ctx = new_ctx(sel, 100);

	(void)state;
	ans_txt_split(ctx, "s1._domainkey.example.com", "v=DKIM1; k=ed25519; ",
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", NULL);
	ans_txt(ctx, "s2._domainkey.example.com", "v=DKIM1; p=zzzz", "site-verification=1",
	    "v=DKIM1; p=aaaa", NULL);
	ans_txt(ctx, "s3._domainkey.example.com", "site-verification=1", NULL);
	ans_status(ctx, "s4._domainkey.example.com", DNS_T_TXT, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_DKIM, check_dkim), CHECK_DONE);
	assert_int_equal(noted_count(ctx), 4);	/* not the invalid one, nor the duplicate */
	assert_string_equal(noted(ctx, "dkim:s1"), ED_KEY);
	assert_string_equal(noted(ctx, "dkim:s2"), "v=DKIM1; p=aaaa | v=DKIM1; p=zzzz");
	assert_string_equal(noted(ctx, "dkim:s3"), "");
	assert_string_equal(noted(ctx, "dkim:s4"), "");
	assert_int_equal(eval_records(ctx, &(size_t){ 0 })[0].family, PF_DKIM);
	eval_ctx_free(ctx);
}

/* s1's lookup fails, s2 has a key. */
static struct eval_ctx *
s1_fails(enum dns_status st)
{
	static const char *const sel[] = { "s1", "s2", NULL };
	struct eval_ctx *ctx = new_ctx(sel, 100);

	ans_status(ctx, "s1._domainkey.example.com", DNS_T_TXT, st);
	ans_txt(ctx, "s2._domainkey.example.com", ED_KEY, NULL);
	return ctx;
}

/* A failed lookup notes nothing for its selector; the others are noted. */
static void
test_failed_key_lookup_notes_nothing(void **state)
{
	(void)state;
	assert_failure_notes(s1_fails, PF_DKIM, check_dkim, "dkim:s1", NULL);
	assert_failure_notes(s1_fails, PF_DKIM, check_dkim, "dkim:s2", ED_KEY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_every_selector_is_asked_in_one_round),
		cmocka_unit_test(test_failed_lookups_are_temperror_without_findings),
		cmocka_unit_test(test_budget_is_temperror),
		cmocka_unit_test(test_a_single_failed_lookup_names_its_status),
		cmocka_unit_test(test_messages_name_value_and_section),
		cmocka_unit_test(test_cname_target_is_named_when_the_key_is_missing),
		cmocka_unit_test(test_too_long_key_name_is_not_asked),
		cmocka_unit_test(test_keys_noted),
		cmocka_unit_test(test_failed_key_lookup_notes_nothing),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
