/*
 * test_dkim_verify.c - DKIM verification of messages (dkim_verify.c on libopendkim).
 *
 * Real signatures, made at test time: keys generated with OpenSSL (RSA 2048, 1024,
 * 512, Ed25519), messages signed with libopendkim's signing API (tests/dkim/
 * dkim_signer.c), keys served by an injected key source (a table of DNS answers that
 * also records what it was asked). Messages reach the verifier as the milter hands
 * them over: one field at a time, the value with its leading space and bare LF folds,
 * the body in small CRLF chunks; some go through dkim_verify_message() instead (a file
 * for posture-check, LF line ends).
 *
 * Each test names the behaviour it pins and checks the word, the reason and the
 * fields, so it fails if the verifier says anything else. One key is unsafe on
 * purpose: the primes of a generated RSA key with e = d = 1, which OpenSSL signs with
 * (the signature is then the padded hash itself) but refuses to generate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "verify/dkim_verify.h"
#include "../dkim/dkim_signer.h"

/* ---- keys, generated once ---- */

enum { K_RSA2048, K_RSA1024, K_RSA512, K_ED, K_RSA_E1, K_COUNT };
static char *key_pem[K_COUNT];		/* private, PEM */
static char *key_rec[K_COUNT];		/* "v=DKIM1; k=...; p=..." */

/* Generate a key of type name ("RSA", "ED25519"), bits for RSA. */
static EVP_PKEY *
keygen(const char *name, unsigned bits)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	EVP_PKEY *pk = NULL;

	assert_non_null(pc);
	assert_int_equal(EVP_PKEY_keygen_init(pc), 1);
	if (bits)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(pc, (int)bits), 1);
	assert_int_equal(EVP_PKEY_keygen(pc, &pk), 1);
	EVP_PKEY_CTX_free(pc);
	return pk;
}

/* The private key as PEM text. */
static char *
private_pem(EVP_PKEY *pk)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	out = calloc(1, (size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	BIO_free(bio);
	return out;
}

/* The key record: RSA as SubjectPublicKeyInfo, Ed25519 raw (RFC 8463 4.2). */
static char *
public_record(EVP_PKEY *pk)
{
	unsigned char *der = NULL, raw[32];
	size_t rawlen = sizeof(raw), n;
	char *rec;
	const char *k = "rsa";
	int len;

	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen), 1);
		der = raw;
		n = rawlen;
		k = "ed25519";
	} else {
		len = i2d_PUBKEY(pk, &der);
		assert_true(len > 0);
		n = (size_t)len;
	}
	rec = malloc(32 + (n + 2) / 3 * 4 + 1);
	assert_non_null(rec);
	len = sprintf(rec, "v=DKIM1; k=%s; p=", k);
	assert_true(EVP_EncodeBlock((unsigned char *)rec + len, der, (int)n) > 0);
	if (der != raw)
		OPENSSL_free(der);
	return rec;
}

/* The RSA key of pk's primes with public and private exponent 1 (and CRT ones). */
static EVP_PKEY *
exponent_one(EVP_PKEY *pk)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1
	};
	BIGNUM *bn[4] = { NULL, NULL, NULL, NULL }, *one = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params;
	EVP_PKEY *out = NULL;
	size_t i;

	assert_true(one != NULL && bld != NULL && pc != NULL && BN_one(one));
	for (i = 0; i < 4; i++)
		assert_int_equal(EVP_PKEY_get_bn_param(pk, names[i], &bn[i]), 1);
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn[0]) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, one) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, one) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, bn[1]) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, bn[2]) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, one) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, one) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, bn[3]));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
	assert_int_equal(EVP_PKEY_fromdata(pc, &out, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pc);
	for (i = 0; i < 4; i++)
		BN_free(bn[i]);
	BN_free(one);
	return out;
}

static int
setup_keys(void **state)
{
	static const struct { const char *type; unsigned bits; } spec[K_COUNT] = {
		{ "RSA", 2048 }, { "RSA", 1024 }, { "RSA", 512 }, { "ED25519", 0 },
		{ "RSA", 2048 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < K_COUNT; i++) {
		EVP_PKEY *pk = keygen(spec[i].type, spec[i].bits), *e1;

		if (i == K_RSA_E1) {
			e1 = exponent_one(pk);
			EVP_PKEY_free(pk);
			pk = e1;
		}
		key_pem[i] = private_pem(pk);
		key_rec[i] = public_record(pk);
		EVP_PKEY_free(pk);
	}
	return 0;
}

static int
teardown_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < K_COUNT; i++) {
		free(key_pem[i]);
		free(key_rec[i]);
	}
	return 0;
}

/* ---- the injected key source ---- */

#define MAX_FAKE 16

struct fake_key {
	char name[256];
	enum dns_status status;
	const char *records[3];		/* TXT records when DNS_OK, NULL-terminated */
};

static struct fake_key fakes[MAX_FAKE];
static size_t nfakes;
static unsigned lookup_calls;		/* calls of the key source */
static char asked[MAX_FAKE][256];	/* every name asked, in order */
static size_t nasked;

/* Publish name -> status (and records, NULL-terminated, when DNS_OK). */
static void
publish(const char *name, enum dns_status st, ...)
{
	struct fake_key *f;
	va_list ap;
	size_t i = 0;
	const char *rec;

	assert_true(nfakes < MAX_FAKE);
	f = &fakes[nfakes++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->status = st;
	va_start(ap, st);
	while ((rec = va_arg(ap, const char *)) != NULL && i < 2)
		f->records[i++] = rec;
	va_end(ap);
}

/* Fill one answer with a status and TXT records (one character-string each). */
static void
fill_answer(struct dns_answer *a, const char *name, const struct fake_key *f)
{
	size_t i, n = 0;

	a->qname = strdup(name);
	a->canonical = strdup(name);
	a->qtype = DNS_T_TXT;
	a->queries = 1;
	a->status = f != NULL ? f->status : DNS_NXDOMAIN;
	if (f == NULL || f->status != DNS_OK)
		return;
	while (n < 3 && f->records[n] != NULL)
		n++;
	a->rrs = calloc(n, sizeof(*a->rrs));
	assert_non_null(a->rrs);
	for (i = 0; i < n; i++) {
		struct dns_rr *rr = &a->rrs[i];

		rr->owner = strdup(name);
		rr->type = DNS_T_TXT;
		rr->ttl = 300;
		rr->u.txt.count = 1;
		rr->u.txt.strings = calloc(1, sizeof(*rr->u.txt.strings));
		assert_non_null(rr->u.txt.strings);
		rr->u.txt.strings[0].data = (uint8_t *)strdup(f->records[i]);
		rr->u.txt.strings[0].len = strlen(f->records[i]);
		a->count++;
	}
}

/* The key source: answers from fakes[], unknown names NXDOMAIN. */
static int
fake_lookup(void *arg, const char *const *names, size_t n, unsigned timeout_ms,
	    struct dns_answer *out)
{
	size_t i, j;

	(void)arg;
	assert_true(timeout_ms > 0);
	lookup_calls++;
	for (i = 0; i < n; i++) {
		const struct fake_key *f = NULL;

		if (nasked < MAX_FAKE)
			snprintf(asked[nasked++], sizeof(asked[0]), "%s", names[i]);
		for (j = 0; j < nfakes; j++)
			if (strcmp(fakes[j].name, names[i]) == 0)
				f = &fakes[j];
		fill_answer(&out[i], names[i], f);
	}
	return 0;
}

/* ---- messages ---- */

static const char base_msg[] =
	"From: Alice <alice@example.com>\r\n"
	"To: bob@example.net\r\n"
	"Subject: a test message\r\n"
	"\tfolded once\r\n"
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	"Message-ID: <1@example.com>\r\n"
	"\r\n"
	"Hello Bob.\r\n"
	"Second line.\r\n";

static char *sigs_made[8];		/* freed by the teardown of each test */
static size_t nsigs_made;
static char *msgs_made[8];
static size_t nmsgs_made;

/* Sign msg with key k as s=sel, d=example.com; options tuned by the caller first. */
static const char *
sign_with(struct dkim_signer_opts *o, int k, const char *sel, const char *msg)
{
	char err[256];
	char *sig;

	o->key_pem = key_pem[k];
	o->domain = o->domain != NULL ? o->domain : "example.com";
	o->selector = sel;
	sig = dkim_signer_sign(o, msg, strlen(msg), err, sizeof(err));
	if (sig == NULL)
		fail_msg("signing failed: %s", err);
	assert_true(nsigs_made < 8);
	sigs_made[nsigs_made++] = sig;
	return sig;
}

/* Sign with the defaults (rsa-sha256, relaxed/relaxed). */
static const char *
sign(int k, const char *sel, const char *msg)
{
	struct dkim_signer_opts o;

	dkim_signer_opts_init(&o);
	return sign_with(&o, k, sel, msg);
}

/* sig + CRLF + msg (owned by the test run). */
static const char *
prepend(const char *sig, const char *msg)
{
	size_t n = strlen(sig) + 2 + strlen(msg) + 1;
	char *out = malloc(n);

	assert_non_null(out);
	snprintf(out, n, "%s\r\n%s", sig, msg);
	assert_true(nmsgs_made < 8);
	msgs_made[nmsgs_made++] = out;
	return out;
}

/* Replace the first occurrence of from with to in a message made by prepend(). */
static void
edit(const char *msg, const char *from, const char *to)
{
	char *p = strstr((char *)(uintptr_t)msg, from);

	assert_non_null(p);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

/* ---- running the verifier ---- */

static struct dkim_verify_lib *vlib;
static struct dkim_verify *ver;

/* A verifier with a cap of max signatures over the fake key source. */
static struct dkim_verify *
verifier(unsigned max)
{
	struct dkim_verify_config cfg;
	char err[128];

	dkim_verify_free(ver);		/* a test may verify twice */
	dkim_verify_lib_free(vlib);
	dkim_verify_config_init(&cfg);
	cfg.max_signatures = max;
	cfg.lookup = fake_lookup;
	vlib = dkim_verify_lib_new(&cfg, err, sizeof(err));
	if (vlib == NULL)
		fail_msg("dkim_verify_lib_new: %s", err);
	ver = dkim_verify_new(vlib, "TESTID");
	assert_non_null(ver);
	return ver;
}

/*
 * Feed msg (CRLF) the way the milter does: each field's value with its leading space
 * (SMFIP_HDR_LEADSPC) and folds as bare LF, the body in 5-byte chunks.
 */
static const struct dkim_verify_results *
verify_as_milter(const char *msg, unsigned max)
{
	struct dkim_verify *v = verifier(max);
	const char *p = msg, *eol, *colon, *body;
	char name[128], value[8192];
	size_t n, o;

	body = strstr(msg, "\r\n\r\n");
	assert_non_null(body);
	while (p < body + 2) {
		colon = strchr(p, ':');
		assert_non_null(colon);
		n = (size_t)(colon - p);
		assert_true(n < sizeof(name));
		memcpy(name, p, n);
		name[n] = '\0';
		o = 0;
		for (p = colon + 1;; p = eol + 2) {
			eol = strstr(p, "\r\n");
			assert_true(o + (size_t)(eol - p) + 2 < sizeof(value));
			memcpy(value + o, p, (size_t)(eol - p));
			o += (size_t)(eol - p);
			if (eol[2] != ' ' && eol[2] != '\t')
				break;
			value[o++] = '\n';
		}
		value[o] = '\0';
		(void)dkim_verify_header(v, name, value);
		p = eol + 2;
	}
	assert_int_equal(dkim_verify_eoh(v), 0);
	for (p = body + 4; *p != '\0'; p += n) {
		n = strlen(p) < 5 ? strlen(p) : 5;
		assert_int_equal(dkim_verify_body(v, p, n), 0);
	}
	return dkim_verify_eom(v);
}

/* Whole-message path (posture-check --message). */
static const struct dkim_verify_results *
verify_as_file(const char *msg, unsigned max)
{
	return dkim_verify_message(verifier(max), msg, strlen(msg));
}

static int
setup_test(void **state)
{
	(void)state;
	nfakes = nasked = 0;
	lookup_calls = 0;
	publish("s1._domainkey.example.com", DNS_OK, key_rec[K_RSA2048], NULL);
	return 0;
}

static int
teardown_test(void **state)
{
	(void)state;
	dkim_verify_free(ver);
	dkim_verify_lib_free(vlib);
	ver = NULL;
	vlib = NULL;
	while (nsigs_made > 0)
		free(sigs_made[--nsigs_made]);
	while (nmsgs_made > 0)
		free(msgs_made[--nmsgs_made]);
	return 0;
}

/* One signature with the word w and a reason holding word (NULL: any). */
static const struct dkim_verify_sig *
only_sig(const struct dkim_verify_results *r, enum dkim_verify_word w, const char *word)
{
	assert_non_null(r);
	assert_int_equal(r->nsigs, 1);
	if (r->sigs[0].result != w)
		fail_msg("result %s, expected %s (%s)", dkim_verify_word(r->sigs[0].result),
		    dkim_verify_word(w), r->sigs[0].reason);
	if (word != NULL && strstr(r->sigs[0].reason, word) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", r->sigs[0].reason, word);
	return &r->sigs[0];
}

/* The first 8 characters of b= in a signature header field. */
static void
b_prefix(const char *sig, char out[9])
{
	const char *b = sig;
	size_t o = 0;

	while ((b = strstr(b + 1, "b=")) != NULL && strchr(" \t;", b[-1]) == NULL)
		;
	assert_non_null(b);
	for (b += 2; *b != '\0' && o < 8; b++)
		if (*b != ' ' && *b != '\t' && *b != '\r' && *b != '\n')
			out[o++] = *b;
	out[o] = '\0';
}

/* ---- cases ---- */

/* A good RSA 2048 signature passes, and every reported field is right. */
static void
test_pass_reports_fields(void **state)
{
	const char *sig = sign(K_RSA2048, "s1", base_msg);
	const struct dkim_verify_results *r = verify_as_milter(prepend(sig, base_msg), 5);
	const struct dkim_verify_sig *s = only_sig(r, DKIM_VERIFY_PASS, NULL);
	char b[9];

	(void)state;
	b_prefix(sig, b);
	assert_int_equal(r->summary, DKIM_VERIFY_PASS);
	assert_string_equal(s->domain, "example.com");
	assert_string_equal(s->selector, "s1");
	assert_string_equal(s->algorithm, "rsa-sha256");
	assert_int_equal(s->key_bits, 2048);
	assert_string_equal(s->header_b, b);
	assert_int_equal(strlen(s->header_b), 8);
	assert_true(s->verified && s->from_signed);
	assert_false(s->body_length || s->testing);
	assert_string_equal(s->reason, "");
	assert_int_equal(r->seen, 1);
	assert_int_equal(r->not_checked, 0);
	assert_string_equal(r->error, "");
	assert_int_equal(nasked, 1);
	assert_string_equal(asked[0], "s1._domainkey.example.com");
}

/* A changed body fails on the body hash, and teaches no selector. */
static void
test_body_modified_fails(void **state)
{
	const char *msg = prepend(sign(K_RSA2048, "s1", base_msg), base_msg);
	const struct dkim_verify_sig *s;

	(void)state;
	edit(msg, "Hello Bob.", "Hello Eve.");
	s = only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_FAIL, "body hash");
	assert_false(s->verified);
}

/* A changed signed header field fails the signature. */
static void
test_header_modified_fails(void **state)
{
	const char *msg = prepend(sign(K_RSA2048, "s1", base_msg), base_msg);
	const struct dkim_verify_results *r;

	(void)state;
	edit(msg, "a test message", "a fake message");
	r = verify_as_milter(msg, 5);
	only_sig(r, DKIM_VERIFY_FAIL, "did not verify");
	assert_int_equal(r->summary, DKIM_VERIFY_FAIL);
	assert_false(r->sigs[0].verified);
}

/* An empty p= is a revoked key: fail (RFC 6376 3.6.1). */
static void
test_revoked_key_fails(void **state)
{
	const char *msg = prepend(sign(K_RSA2048, "s9", base_msg), base_msg);

	(void)state;
	publish("s9._domainkey.example.com", DNS_OK, "v=DKIM1; k=rsa; p=", NULL);
	only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_FAIL, "revoked");
}

/* A 512-bit RSA key verifies but is refused: policy (RFC 8301 3.2), exact size shown. */
static void
test_short_key_is_policy(void **state)
{
	const char *msg = prepend(sign(K_RSA512, "s512", base_msg), base_msg);
	const struct dkim_verify_sig *s;

	(void)state;
	publish("s512._domainkey.example.com", DNS_OK, key_rec[K_RSA512], NULL);
	s = only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_POLICY, "RFC 8301 3.2");
	assert_int_equal(s->key_bits, 512);
	assert_non_null(strstr(s->reason, "512 bits"));
	assert_true(s->verified);	/* the cryptography held: the selector is real */
}

/* 1024 bits is the floor, not under it: pass. */
static void
test_1024_bit_key_passes(void **state)
{
	const char *msg = prepend(sign(K_RSA1024, "s1024", base_msg), base_msg);

	(void)state;
	publish("s1024._domainkey.example.com", DNS_OK, key_rec[K_RSA1024], NULL);
	assert_int_equal(only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_PASS, NULL)->key_bits,
	    1024);
}

/* rsa-sha1 verifies in libopendkim but is refused: policy (RFC 8301 3.1). */
static void
test_rsa_sha1_is_policy(void **state)
{
	struct dkim_signer_opts o;
	const struct dkim_verify_sig *s;

	(void)state;
	dkim_signer_opts_init(&o);
	o.algorithm = "rsa-sha1";
	s = only_sig(verify_as_milter(prepend(sign_with(&o, K_RSA2048, "s1", base_msg),
	    base_msg), 5), DKIM_VERIFY_POLICY, "rsa-sha1");
	assert_string_equal(s->algorithm, "rsa-sha1");
	assert_true(s->verified);
}

/* h= without From: policy (RFC 6376 5.4), and from_signed says so. */
static void
test_from_unsigned_is_policy(void **state)
{
	struct dkim_signer_opts o;
	const char *sig;
	const struct dkim_verify_sig *s;

	(void)state;
	dkim_signer_opts_init(&o);
	o.headers = "subject:date:to";
	sig = sign_with(&o, K_RSA2048, "s1", base_msg);
	assert_null(strstr(sig, "From"));
	s = only_sig(verify_as_milter(prepend(sig, base_msg), 5), DKIM_VERIFY_POLICY, "From");
	assert_false(s->from_signed);
	assert_false(s->verified);
	assert_int_equal(nasked, 0);	/* judged from the tags: no key fetched */
}

/* x= in the past: policy, the reason names x=. */
static void
test_expired_is_policy(void **state)
{
	struct dkim_signer_opts o;

	(void)state;
	dkim_signer_opts_init(&o);
	o.timestamp = (uint64_t)time(NULL) - 7 * 86400;
	o.ttl = 3600;
	only_sig(verify_as_milter(prepend(sign_with(&o, K_RSA2048, "s1", base_msg), base_msg),
	    5), DKIM_VERIFY_POLICY, "expired, x=");
}

/* x= in the future is fine. */
static void
test_unexpired_x_passes(void **state)
{
	struct dkim_signer_opts o;

	(void)state;
	dkim_signer_opts_init(&o);
	o.ttl = 86400;
	only_sig(verify_as_milter(prepend(sign_with(&o, K_RSA2048, "s1", base_msg), base_msg),
	    5), DKIM_VERIFY_PASS, NULL);
}

/* l=: reported; text appended after the signed part still passes (why it is reported). */
static void
test_body_length_reported(void **state)
{
	static const char longer[] =
		"From: Alice <alice@example.com>\r\nSubject: l\r\n\r\nHello Bob.\r\n";
	struct dkim_signer_opts o;
	const char *sig, *msg;
	const struct dkim_verify_sig *s;
	size_t n;
	char *m;

	(void)state;
	dkim_signer_opts_init(&o);
	o.body_length = 12;	/* "Hello Bob.\r\n" */
	sig = sign_with(&o, K_RSA2048, "s1", longer);
	assert_non_null(strstr(sig, "l=12"));
	msg = prepend(sig, longer);
	n = strlen(msg) + 32;
	m = malloc(n);
	assert_non_null(m);
	snprintf(m, n, "%sAppended by anyone.\r\n", msg);
	msgs_made[nmsgs_made++] = m;
	s = only_sig(verify_as_milter(m, 5), DKIM_VERIFY_PASS, NULL);
	assert_true(s->body_length);
	assert_false(only_sig(verify_as_milter(prepend(sign(K_RSA2048, "s1", longer), longer),
	    5), DKIM_VERIFY_PASS, NULL)->body_length);
}

/* A t=y key: pass, flagged testing. */
static void
test_testing_key_reported(void **state)
{
	char rec[1024];
	const struct dkim_verify_sig *s;

	(void)state;
	snprintf(rec, sizeof(rec), "v=DKIM1; t=y; %s", key_rec[K_RSA2048] + strlen("v=DKIM1; "));
	publish("st._domainkey.example.com", DNS_OK, rec, NULL);
	s = only_sig(verify_as_milter(prepend(sign(K_RSA2048, "st", base_msg), base_msg), 5),
	    DKIM_VERIFY_PASS, "t=y");
	assert_true(s->testing);
	assert_true(s->verified);
}

/* Missing keys: NXDOMAIN and NODATA permerror; SERVFAIL and timeout temperror. */
static void
test_missing_key_outcomes(void **state)
{
	static const struct {
		enum dns_status st;
		enum dkim_verify_word w;
		const char *word;
	} rows[] = {
		{ DNS_NXDOMAIN, DKIM_VERIFY_PERMERROR, "no key record: NXDOMAIN" },
		{ DNS_NODATA, DKIM_VERIFY_PERMERROR, "no key record" },
		{ DNS_SERVFAIL, DKIM_VERIFY_TEMPERROR, "lookup failed" },
		{ DNS_TIMEOUT, DKIM_VERIFY_TEMPERROR, "lookup failed" },
		{ DNS_REFUSED, DKIM_VERIFY_TEMPERROR, "lookup failed" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct dkim_verify_results *r;

		teardown_test(state);
		setup_test(state);
		publish("sx._domainkey.example.com", rows[i].st, NULL);
		r = verify_as_milter(prepend(sign(K_RSA2048, "sx", base_msg), base_msg), 5);
		only_sig(r, rows[i].w, rows[i].word);
		assert_int_equal(r->summary, rows[i].w);
		assert_false(r->sigs[0].verified);
	}
}

/* Two signatures, one good: both reported top first; the message passes. */
static void
test_two_signatures_one_good(void **state)
{
	const char *good = sign(K_RSA2048, "s1", base_msg);
	const char *bad = sign(K_RSA2048, "s2", base_msg);
	const struct dkim_verify_results *r;

	(void)state;
	publish("s2._domainkey.example.com", DNS_OK, key_rec[K_RSA1024], NULL);	/* not its key */
	r = verify_as_milter(prepend(bad, prepend(good, base_msg)), 5);
	assert_int_equal(r->nsigs, 2);
	assert_string_equal(r->sigs[0].selector, "s2");
	assert_int_equal(r->sigs[0].result, DKIM_VERIFY_FAIL);
	assert_false(r->sigs[0].verified);
	assert_string_equal(r->sigs[1].selector, "s1");
	assert_int_equal(r->sigs[1].result, DKIM_VERIFY_PASS);
	assert_true(r->sigs[1].verified);
	assert_int_equal(r->summary, DKIM_VERIFY_PASS);
	assert_int_equal(lookup_calls, 1);	/* both keys asked in one batch */
	assert_int_equal(nasked, 2);
}

/* Ed25519 (RFC 8463) verifies in Debian's libopendkim 2.11. */
static void
test_ed25519_passes(void **state)
{
	struct dkim_signer_opts o;
	const struct dkim_verify_sig *s;

	(void)state;
	dkim_signer_opts_init(&o);
	o.algorithm = "ed25519-sha256";
	publish("sed._domainkey.example.com", DNS_OK, key_rec[K_ED], NULL);
	s = only_sig(verify_as_milter(prepend(sign_with(&o, K_ED, "sed", base_msg), base_msg),
	    5), DKIM_VERIFY_PASS, NULL);
	assert_string_equal(s->algorithm, "ed25519-sha256");
	assert_int_equal(s->key_bits, 256);
}

/* An Ed25519 signature under an RSA key record does not pass. */
static void
test_ed25519_signature_rsa_key_fails(void **state)
{
	struct dkim_signer_opts o;
	const struct dkim_verify_results *r;

	(void)state;
	dkim_signer_opts_init(&o);
	o.algorithm = "ed25519-sha256";
	r = verify_as_milter(prepend(sign_with(&o, K_ED, "s1", base_msg), base_msg), 5);
	assert_int_equal(r->nsigs, 1);
	assert_int_not_equal(r->sigs[0].result, DKIM_VERIFY_PASS);
	assert_false(r->sigs[0].verified);
}

/* t= a day ahead: policy with its reason (RFC 6376 3.5), not a generic permerror. */
static void
test_future_timestamp_is_policy(void **state)
{
	struct dkim_signer_opts o;

	(void)state;
	dkim_signer_opts_init(&o);
	o.timestamp = (uint64_t)time(NULL) + 86400;
	only_sig(verify_as_milter(prepend(sign_with(&o, K_RSA2048, "s1", base_msg), base_msg),
	    5), DKIM_VERIFY_POLICY, "in the future");
}

/*
 * Ed25519 key data in a record without k= (so k=rsa, RFC 6376 3.6.1), and RSA data
 * under k=ed25519: libopendkim takes the algorithm from a= alone and would pass the
 * first; the key type must fit a= (6.1.2: PERMFAIL, inappropriate key algorithm).
 * Found by the mailauth differential (tests/differential).
 */
static void
test_key_type_must_fit_algorithm(void **state)
{
	struct dkim_signer_opts o;
	const struct dkim_verify_sig *s;
	char no_k[200], rsa_as_ed[600];
	const char *p;

	(void)state;
	p = strstr(key_rec[K_ED], "p=");
	assert_non_null(p);
	snprintf(no_k, sizeof(no_k), "v=DKIM1; %s", p);
	publish("nok._domainkey.example.com", DNS_OK, no_k, NULL);
	dkim_signer_opts_init(&o);
	o.algorithm = "ed25519-sha256";
	s = only_sig(verify_as_milter(prepend(sign_with(&o, K_ED, "nok", base_msg), base_msg),
	    5), DKIM_VERIFY_PERMERROR, "does not fit a=");
	assert_false(s->verified);

	p = strstr(key_rec[K_RSA2048], "p=");
	snprintf(rsa_as_ed, sizeof(rsa_as_ed), "v=DKIM1; k=ed25519; %s", p);
	publish("edk._domainkey.example.com", DNS_OK, rsa_as_ed, NULL);
	only_sig(verify_as_file(prepend(sign(K_RSA2048, "edk", base_msg), base_msg), 5),
	    DKIM_VERIFY_PERMERROR, "does not fit a=");
}

/*
 * "From : Alice" (white space before the colon: obsolete syntax a receiver must accept,
 * RFC 5322 4.5.8) with a valid relaxed signature passes, both as the milter hands the
 * field over (name "From ") and from a file. It used to be dropped, so the signature
 * failed while DMARC still read the From. Found by the mailauth differential.
 */
static void
test_space_before_colon_passes(void **state)
{
	static const char msg[] =
		"From : Alice <alice@example.com>\r\n"
		"To: bob@example.net\r\n"
		"Subject : spaced\r\n"
		"\r\n"
		"Hello Bob.\r\n";
	const char *signed_msg;

	(void)state;
	signed_msg = prepend(sign(K_RSA2048, "s1", msg), msg);
	only_sig(verify_as_milter(signed_msg, 5), DKIM_VERIFY_PASS, NULL);
	only_sig(verify_as_file(signed_msg, 5), DKIM_VERIFY_PASS, NULL);
}

/*
 * A pitfall (ARCHITECTURE.md, Verification libraries): the milter's folds are bare LF. With c=simple the folded Subject
 * is hashed byte for byte, so without the LF -> CRLF conversion this fails (measured:
 * libopendkim answers "Bad signature" for the same input given raw).
 */
static void
test_bare_lf_folds_pass_simple(void **state)
{
	struct dkim_signer_opts o;
	const char *sig;

	(void)state;
	dkim_signer_opts_init(&o);
	o.simple_header = o.simple_body = true;
	sig = sign_with(&o, K_RSA2048, "s1", base_msg);
	assert_non_null(strstr(sig, "c=simple/simple"));
	assert_non_null(strstr(sig, "\r\n\t"));	/* the signature field is folded too */
	only_sig(verify_as_milter(prepend(sig, base_msg), 5), DKIM_VERIFY_PASS, NULL);
}

/* The cap: 3 signatures, MaxSignatures 2: the top two checked, the third never asked. */
static void
test_cap_checks_first_n(void **state)
{
	const char *s1 = sign(K_RSA2048, "s1", base_msg);
	const char *s2 = sign(K_RSA2048, "s2", base_msg);
	const char *s3 = sign(K_RSA2048, "s3", base_msg);
	const struct dkim_verify_results *r;
	size_t i;

	(void)state;
	publish("s2._domainkey.example.com", DNS_OK, key_rec[K_RSA2048], NULL);
	publish("s3._domainkey.example.com", DNS_OK, key_rec[K_RSA2048], NULL);
	r = verify_as_milter(prepend(s3, prepend(s2, prepend(s1, base_msg))), 2);
	assert_int_equal(r->seen, 3);
	assert_int_equal(r->nsigs, 2);
	assert_int_equal(r->not_checked, 1);
	assert_string_equal(r->sigs[0].selector, "s3");
	assert_string_equal(r->sigs[1].selector, "s2");
	assert_int_equal(r->sigs[0].result, DKIM_VERIFY_PASS);
	assert_int_equal(r->sigs[1].result, DKIM_VERIFY_PASS);
	assert_int_equal(nasked, 2);
	for (i = 0; i < nasked; i++)
		assert_string_not_equal(asked[i], "s1._domainkey.example.com");
}

/* No DKIM-Signature: none, nothing asked. */
static void
test_unsigned_is_none(void **state)
{
	const struct dkim_verify_results *r = verify_as_milter(base_msg, 5);

	(void)state;
	assert_int_equal(r->summary, DKIM_VERIFY_NONE);
	assert_int_equal(r->nsigs, 0);
	assert_int_equal(r->seen, 0);
	assert_int_equal(lookup_calls, 0);
}

/* A malformed DKIM-Signature is permerror; a good one beside it still passes. */
static void
test_malformed_signature_permerror(void **state)
{
	const char *good = sign(K_RSA2048, "s1", base_msg);
	const struct dkim_verify_results *r;

	(void)state;
	r = verify_as_milter(prepend("DKIM-Signature: v=1; a=rsa-sha256; d=evil.example; "
	    "s=x; \001b=AAAA", prepend(good, base_msg)), 5);
	assert_int_equal(r->nsigs, 2);
	assert_int_equal(r->sigs[0].result, DKIM_VERIFY_PERMERROR);
	assert_non_null(strstr(r->sigs[0].reason, "tag list"));
	assert_string_equal(r->sigs[0].domain, "evil.example");
	assert_int_equal(r->sigs[1].result, DKIM_VERIFY_PASS);
	assert_int_equal(r->summary, DKIM_VERIFY_PASS);
	assert_int_equal(nasked, 1);	/* the malformed one asked for no key */
}

/* A duplicate tag invalidates the signature (RFC 6376 3.2): permerror, no lookup. */
static void
test_duplicate_tag_permerror(void **state)
{
	const char *sig = sign(K_RSA2048, "s1", base_msg);
	char *dup = malloc(strlen(sig) + 32);
	const struct dkim_verify_sig *s;

	(void)state;
	assert_non_null(dup);
	sprintf(dup, "DKIM-Signature: d=evil.example; %s", sig + strlen("DKIM-Signature: "));
	sigs_made[nsigs_made++] = dup;
	s = only_sig(verify_as_milter(prepend(dup, base_msg), 5), DKIM_VERIFY_PERMERROR,
	    "tag d= appears twice");
	assert_false(s->verified);
	assert_int_equal(nasked, 0);
}

/* Several TXT records: the one key among them is used; two keys are permerror. */
static void
test_several_txt_records(void **state)
{
	const char *msg = prepend(sign(K_RSA2048, "s5", base_msg), base_msg);

	(void)state;
	publish("s5._domainkey.example.com", DNS_OK, "hello world", key_rec[K_RSA2048], NULL);
	only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_PASS, NULL);
	teardown_test(state);
	setup_test(state);
	msg = prepend(sign(K_RSA2048, "s5", base_msg), base_msg);
	publish("s5._domainkey.example.com", DNS_OK, key_rec[K_RSA2048], key_rec[K_RSA1024],
	    NULL);
	only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_PERMERROR, "several key records");
}

/*
 * An RSA key with exponent 1 makes the signature the padded hash itself: anyone can
 * forge one, and OpenSSL verifies it. Never verified with: permerror, and the comment
 * says why; also for a second message of the same library, whose key parse is the
 * remembered one.
 */
static void
test_unsafe_key_is_never_verified(void **state)
{
	const char *msg = prepend(sign(K_RSA_E1, "e1", base_msg), base_msg);
	const struct dkim_verify_sig *s;
	int round;

	(void)state;
	publish("e1._domainkey.example.com", DNS_OK, key_rec[K_RSA_E1], NULL);
	s = only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_PERMERROR, "unsafe key: exponent 1");
	for (round = 0; round < 2; round++) {
		assert_non_null(strstr(s->reason, "RFC 8017 3.1"));
		assert_non_null(s->note);
		assert_string_equal(s->note, "unsafe key: exponent 1");
		assert_false(s->verified);
		if (round == 1)
			break;
		dkim_verify_free(ver);		/* the same library: the parse is remembered */
		ver = dkim_verify_new(vlib, "TESTID2");
		assert_non_null(ver);
		s = only_sig(dkim_verify_message(ver, msg, strlen(msg)), DKIM_VERIFY_PERMERROR,
		    "unsafe key: exponent 1");
	}
	assert_int_equal(nasked, 2);
}

/* A key record that is not one: permerror. */
static void
test_garbage_key_record_permerror(void **state)
{
	const char *msg = prepend(sign(K_RSA2048, "s6", base_msg), base_msg);

	(void)state;
	publish("s6._domainkey.example.com", DNS_OK, "v=DKIM1; k=rsa; p=!!!notbase64", NULL);
	only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_PERMERROR, NULL);
}

/* d= that is no DNS name: permerror without a lookup. */
static void
test_bad_domain_no_lookup(void **state)
{
	struct dkim_signer_opts o;

	(void)state;
	dkim_signer_opts_init(&o);
	o.domain = "example..com";
	only_sig(verify_as_file(prepend(sign_with(&o, K_RSA2048, "s1", base_msg), base_msg), 5),
	    DKIM_VERIFY_PERMERROR, "DNS name");
	assert_int_equal(nasked, 0);
}

/* A whole message file with LF line ends (posture-check --message) passes. */
static void
test_message_file_lf_passes(void **state)
{
	const char *msg = prepend(sign(K_RSA2048, "s1", base_msg), base_msg);
	char *lf = malloc(strlen(msg) + 1);
	size_t i, o = 0;

	(void)state;
	assert_non_null(lf);
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] != '\r')
			lf[o++] = msg[i];
	lf[o] = '\0';
	msgs_made[nmsgs_made++] = lf;
	only_sig(verify_as_file(lf, 5), DKIM_VERIFY_PASS, NULL);
}

/* A header block over 1 MiB is not verified: policy with a message-level error. */
static void
test_huge_header_not_verified(void **state)
{
	struct dkim_verify *v = verifier(5);
	char *big = malloc(64 * 1024 + 1);
	const char *sig = sign(K_RSA2048, "s1", base_msg);
	const struct dkim_verify_results *r;
	int i, refused = 0;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 64 * 1024);
	big[64 * 1024] = '\0';
	assert_int_equal(dkim_verify_header(v, "DKIM-Signature",
	    strchr(sig, ':') + 1), 0);
	for (i = 0; i < 20; i++)
		refused += dkim_verify_header(v, "X-Big", big) < 0;
	free(big);
	assert_true(refused > 0);
	r = dkim_verify_eom(v);
	assert_int_equal(r->nsigs, 1);
	assert_int_equal(r->sigs[0].result, DKIM_VERIFY_POLICY);
	assert_non_null(strstr(r->error, "1 MiB"));
}

/*
 * libopendkim 2.11's dkim_canon_selecthdrs() writes one pointer past its array when h=
 * names more fields than the message has and every field gets used: heap corruption
 * (an abort in free() later). Messages of 1 to 6 fields, h= one name longer than that.
 */
static void
test_h_longer_than_header_is_safe(void **state)
{
	static const char *const fields[] = {
		"From", "To", "Subject", "Date", "Message-ID", "Cc",
	};
	char h[256], msg[2048];
	size_t nf, i, o;

	(void)state;
	for (nf = 1; nf <= 6; nf++) {
		o = (size_t)snprintf(h, sizeof(h), "DKIM-Signature");
		for (i = 0; i < nf; i++)
			o += (size_t)snprintf(h + o, sizeof(h) - o, ":%s", fields[i]);
		snprintf(h + o, sizeof(h) - o, ":X-Extra");
		o = (size_t)snprintf(msg, sizeof(msg), "DKIM-Signature: v=1; a=rsa-sha256; "
		    "d=example.com; s=s1; h=%s; bh=AAAA; b=AAAA\r\n", h);
		for (i = 0; i < nf; i++)
			o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s: x@example.com\r\n",
			    fields[i]);
		snprintf(msg + o, sizeof(msg) - o, "\r\nbody\r\n");
		only_sig(verify_as_milter(msg, 5), DKIM_VERIFY_FAIL, NULL);
		dkim_verify_free(ver);
		ver = NULL;
	}
}

/* Misuse does not crash: NULLs, headers after the end of header, eom twice. */
static void
test_misuse_is_harmless(void **state)
{
	struct dkim_verify *v = verifier(5);
	const struct dkim_verify_results *r;

	(void)state;
	assert_int_equal(dkim_verify_header(v, "", " x"), -1);
	assert_int_equal(dkim_verify_header(v, "Bad Name", " x"), -1);
	assert_int_equal(dkim_verify_header(v, NULL, " x"), -1);
	assert_int_equal(dkim_verify_body(v, NULL, 3), -1);
	assert_int_equal(dkim_verify_eoh(v), 0);
	assert_int_equal(dkim_verify_header(v, "From", " a@example.com"), -1);
	r = dkim_verify_eom(v);
	assert_ptr_equal(dkim_verify_eom(v), r);
	assert_int_equal(r->summary, DKIM_VERIFY_NONE);
	assert_null(dkim_verify_eom(NULL));
	assert_null(dkim_verify_new(NULL, "x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_test, teardown_test)
		T(test_pass_reports_fields),
		T(test_body_modified_fails),
		T(test_header_modified_fails),
		T(test_revoked_key_fails),
		T(test_short_key_is_policy),
		T(test_1024_bit_key_passes),
		T(test_rsa_sha1_is_policy),
		T(test_from_unsigned_is_policy),
		T(test_expired_is_policy),
		T(test_unexpired_x_passes),
		T(test_body_length_reported),
		T(test_testing_key_reported),
		T(test_missing_key_outcomes),
		T(test_two_signatures_one_good),
		T(test_ed25519_passes),
		T(test_ed25519_signature_rsa_key_fails),
		T(test_future_timestamp_is_policy),
		T(test_key_type_must_fit_algorithm),
		T(test_space_before_colon_passes),
		T(test_bare_lf_folds_pass_simple),
		T(test_cap_checks_first_n),
		T(test_unsigned_is_none),
		T(test_malformed_signature_permerror),
		T(test_duplicate_tag_permerror),
		T(test_several_txt_records),
		T(test_unsafe_key_is_never_verified),
		T(test_garbage_key_record_permerror),
		T(test_bad_domain_no_lookup),
		T(test_message_file_lf_passes),
		T(test_huge_header_not_verified),
		T(test_h_longer_than_header_is_safe),
		T(test_misuse_is_harmless),
#undef T
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
