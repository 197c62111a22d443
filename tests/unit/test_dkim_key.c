/*
 * test_dkim_key.c - DKIM key records (dkim_key.c; RFC 6376 3.6.1, RFC 8301, RFC 8463).
 *
 * Real keys are generated at run time with OpenSSL (RSA 512, 1024, 2048 and Ed25519)
 * and base64-encoded into records through placeholders ({rsa2048}, {ed}, ...). Tables:
 * TXT classification; whole records with the fields expected (type, form, bits, flags)
 * and the worst problem severity with a word its reason must hold. Then base64 edge
 * cases one by one (each rejection names the byte and offset), the problem cap, and
 * hostile bytes (every copied string printable). RSA keys with unsafe numbers (e=1,
 * even e, n <= 0, ...), which OpenSSL's key generator refuses to make, are built here
 * as DER around the modulus of a generated key.
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
#include <openssl/x509.h>

#include "record/dkim_key.h"

/* ---- keys, generated once ---- */

enum { K_RSA512, K_RSA1024, K_RSA2048, K_RSA2048_PKCS1, K_ED, K_ED_SPKI, K_COUNT };

static const char *const key_tokens[K_COUNT] = {
	"{rsa512}", "{rsa1024}", "{rsa2048}", "{rsa2048_pkcs1}", "{ed}", "{ed_spki}",
};
static char *key_b64[K_COUNT];

/* Base64 of n bytes (EVP_EncodeBlock, no line breaks); caller frees. */
static char *
b64(const unsigned char *der, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);

	assert_non_null(out);
	assert_true(EVP_EncodeBlock((unsigned char *)out, der, (int)n) >= 0);
	return out;
}

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

/* Base64 of the key's SubjectPublicKeyInfo (spki) or type-specific form. */
static char *
encode(EVP_PKEY *pk, bool spki)
{
	unsigned char *der = NULL, raw[32];
	size_t rawlen = sizeof(raw);
	char *out;
	int n;

	if (!spki && EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen), 1);
		return b64(raw, rawlen);
	}
	n = spki ? i2d_PUBKEY(pk, &der) : i2d_PublicKey(pk, &der);
	assert_true(n > 0);
	out = b64(der, (size_t)n);
	OPENSSL_free(der);
	return out;
}

/* ---- hand-made RSA keys (unsafe numbers) ---- */

struct der {
	unsigned char b[1024];
	size_t n;
};

/* Append a DER tag, length and content (lengths up to 65535). */
static void
der_tlv(struct der *d, unsigned char tag, const unsigned char *c, size_t n)
{
	assert_true(n < 65536 && d->n + 4 + n <= sizeof(d->b));
	d->b[d->n++] = tag;
	if (n >= 256) {
		d->b[d->n++] = 0x82;
		d->b[d->n++] = (unsigned char)(n >> 8);
	} else if (n >= 128) {
		d->b[d->n++] = 0x81;
	}
	d->b[d->n++] = (unsigned char)n;
	memcpy(d->b + d->n, c, n);
	d->n += n;
}

/*
 * Base64 of an RSA key with INTEGER contents n and e written as given (so a modulus
 * without its 0x00 pad reads as negative), as an SPKI (spki) or a bare RSAPublicKey.
 */
static char *
rsa_der_b64(const unsigned char *n, size_t nl, const unsigned char *e, size_t el, bool spki)
{
	static const unsigned char alg[] = {	/* SEQUENCE { rsaEncryption, NULL } */
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
		0x05, 0x00
	};
	struct der ints = { .n = 0 }, rsa = { .n = 0 }, bits = { .n = 0 }, body = { .n = 0 },
	    out = { .n = 0 };

	der_tlv(&ints, 0x02, n, nl);
	der_tlv(&ints, 0x02, e, el);
	der_tlv(&rsa, 0x30, ints.b, ints.n);
	if (!spki)
		return b64(rsa.b, rsa.n);
	bits.b[bits.n++] = 0;			/* no unused bits */
	memcpy(bits.b + 1, rsa.b, rsa.n);
	bits.n += rsa.n;
	memcpy(body.b, alg, sizeof(alg));
	body.n = sizeof(alg);
	der_tlv(&body, 0x03, bits.b, bits.n);
	der_tlv(&out, 0x30, body.b, body.n);
	return b64(out.b, out.n);
}

enum {
	U_HAND_65537, U_HAND_3, U_E1, U_E1_PKCS1, U_E2, U_E65538, U_E0, U_ENEG, U_NNEG, U_N0,
	U_NEVEN, U_EBIG, U_COUNT
};
static char *unsafe_b64[U_COUNT];

/* The hand-made keys, around the modulus of a generated 1024-bit key. */
static void
make_unsafe_keys(void)
{
	static const unsigned char e65537[] = { 1, 0, 1 }, e3[] = { 3 }, e1[] = { 1 },
	    e2[] = { 2 }, e65538[] = { 1, 0, 2 }, e0[] = { 0 }, eneg[] = { 0xfd }; /* -3 */
	unsigned char n[130], n1[130], nbig[131];
	BIGNUM *bn = NULL;
	EVP_PKEY *pk = keygen("RSA", 1024);
	int nl;

	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
	n[0] = 0;				/* the pad that keeps it positive */
	nl = BN_bn2bin(bn, n + 1);
	assert_int_equal(nl, 128);
	assert_int_equal(BN_add_word(bn, 1), 1);	/* n + 1: even */
	n1[0] = 0;
	assert_int_equal(BN_bn2bin(bn, n1 + 1), 128);
	assert_int_equal(BN_add_word(bn, 1), 1);	/* n + 2: odd, over n */
	nbig[0] = 0;
	assert_int_equal(BN_bn2bin(bn, nbig + 1), 128);
	unsafe_b64[U_HAND_65537] = rsa_der_b64(n, 129, e65537, 3, true);
	unsafe_b64[U_HAND_3] = rsa_der_b64(n, 129, e3, 1, true);
	unsafe_b64[U_E1] = rsa_der_b64(n, 129, e1, 1, true);
	unsafe_b64[U_E1_PKCS1] = rsa_der_b64(n, 129, e1, 1, false);
	unsafe_b64[U_E2] = rsa_der_b64(n, 129, e2, 1, true);
	unsafe_b64[U_E65538] = rsa_der_b64(n, 129, e65538, 3, true);
	unsafe_b64[U_E0] = rsa_der_b64(n, 129, e0, 1, true);
	unsafe_b64[U_ENEG] = rsa_der_b64(n, 129, eneg, 1, true);
	unsafe_b64[U_NNEG] = rsa_der_b64(n + 1, 128, e65537, 3, true);	/* no pad */
	unsafe_b64[U_N0] = rsa_der_b64(e0, 1, e65537, 3, true);
	unsafe_b64[U_NEVEN] = rsa_der_b64(n1, 129, e65537, 3, true);
	unsafe_b64[U_EBIG] = rsa_der_b64(n, 129, nbig, 129, true);
	BN_free(bn);
	EVP_PKEY_free(pk);
}

static int
setup_keys(void **state)
{
	EVP_PKEY *pk;

	(void)state;
	pk = keygen("RSA", 512);
	key_b64[K_RSA512] = encode(pk, true);
	EVP_PKEY_free(pk);
	pk = keygen("RSA", 1024);
	key_b64[K_RSA1024] = encode(pk, true);
	EVP_PKEY_free(pk);
	pk = keygen("RSA", 2048);
	key_b64[K_RSA2048] = encode(pk, true);
	key_b64[K_RSA2048_PKCS1] = encode(pk, false);
	EVP_PKEY_free(pk);
	pk = keygen("ED25519", 0);
	key_b64[K_ED] = encode(pk, false);
	key_b64[K_ED_SPKI] = encode(pk, true);
	EVP_PKEY_free(pk);
	make_unsafe_keys();
	return 0;
}

static int
teardown_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < K_COUNT; i++)
		free(key_b64[i]);
	for (i = 0; i < U_COUNT; i++)
		free(unsafe_b64[i]);
	return 0;
}

/* The record with every {token} replaced by its key's base64; caller frees. */
static char *
expand(const char *tmpl)
{
	size_t cap = strlen(tmpl) + 1, i, o = 0, k, tl;
	char *out;

	for (k = 0; k < K_COUNT; k++)
		cap += strlen(key_b64[k]) * 4;
	out = malloc(cap);
	assert_non_null(out);
	for (i = 0; tmpl[i] != '\0';) {
		for (k = 0; k < K_COUNT; k++) {
			tl = strlen(key_tokens[k]);
			if (strncmp(tmpl + i, key_tokens[k], tl) == 0)
				break;
		}
		if (k < K_COUNT) {
			memcpy(out + o, key_b64[k], strlen(key_b64[k]));
			o += strlen(key_b64[k]);
			i += strlen(key_tokens[k]);
		} else {
			out[o++] = tmpl[i++];
		}
	}
	out[o] = '\0';
	return out;
}

/* Parse a template record. */
static int
parse(const char *tmpl, struct dkim_key *key)
{
	char *rec = expand(tmpl);
	int rc = dkim_key_parse(rec, strlen(rec), key);

	free(rec);
	return rc;
}

/* Print the problems (to understand a failure). */
static void
dump(const struct dkim_key *k)
{
	size_t i;

	for (i = 0; i < k->nproblems && i < DKIM_KEY_MAX_PROBLEMS; i++)
		print_message("  [%d] %s=%s: %s (%s)\n", (int)k->problems[i].sev,
		    k->problems[i].tag, k->problems[i].value, k->problems[i].reason,
		    k->problems[i].rfc);
}

/* Worst problem severity, -1 when none. */
static int
worst(const struct dkim_key *k)
{
	int w = -1;
	size_t i;

	for (i = 0; i < k->nproblems && i < DKIM_KEY_MAX_PROBLEMS; i++)
		if ((int)k->problems[i].sev > w)
			w = (int)k->problems[i].sev;
	return w;
}

/* Whether some problem's reason holds word. */
static bool
reason_has(const struct dkim_key *k, const char *word)
{
	size_t i;

	for (i = 0; i < k->nproblems && i < DKIM_KEY_MAX_PROBLEMS; i++)
		if (strstr(k->problems[i].reason, word) != NULL)
			return true;
	return false;
}

/* ---- classification ---- */

static void
test_classify(void **state)
{
	static const struct {
		const char *in;
		enum dkim_txt_kind kind;
	} cases[] = {
		{ "v=DKIM1; p=", DKIM_TXT_KEY },
		{ "p=MIGf", DKIM_TXT_KEY },
		{ "k=rsa", DKIM_TXT_KEY },		/* no p=: a broken key, still a key */
		{ "v=DKIM1", DKIM_TXT_KEY },
		{ "v=dkim2; x=1", DKIM_TXT_KEY },	/* versioned: a candidate, then discarded */
		{ "  v = DKIM1 ; k = ed25519", DKIM_TXT_KEY },
		{ "v=spf1 -all", DKIM_TXT_OTHER },
		{ "google-site-verification=abc", DKIM_TXT_OTHER },
		{ "P=MIGf", DKIM_TXT_OTHER },		/* tag names are case-sensitive (3.2) */
		{ "hello world", DKIM_TXT_OTHER },
		{ "", DKIM_TXT_OTHER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (dkim_key_classify(cases[i].in, strlen(cases[i].in)) != cases[i].kind)
			fail_msg("classify \"%s\": expected %d", cases[i].in, (int)cases[i].kind);
	assert_int_equal(dkim_key_classify(NULL, 0), DKIM_TXT_OTHER);
}

/* ---- records ---- */

#define RSA DKIM_KEY_TYPE_RSA
#define ED DKIM_KEY_TYPE_ED25519
#define UNK DKIM_KEY_TYPE_UNKNOWN
#define F_NONE DKIM_KEY_FORM_NONE
#define F_SPKI DKIM_KEY_FORM_SPKI
#define F_PKCS1 DKIM_KEY_FORM_RSAPUBLICKEY
#define F_RAW DKIM_KEY_FORM_RAW

#define REVOKED 0x01
#define TESTING 0x02
#define STRICT 0x04
#define SHA1 0x08
#define NOTMAIL 0x10
#define NOHASH 0x20

#define NOPROB -1
#define INFO DKIM_KEY_PSEV_INFO
#define WARN DKIM_KEY_PSEV_WARN
#define ERR DKIM_KEY_PSEV_ERROR

static const struct key_case {
	const char *name;
	const char *record;
	int rc;
	enum dkim_key_type type;
	enum dkim_key_form form;
	unsigned bits;
	unsigned flags;
	int worst;		/* worst problem severity, NOPROB for none */
	const char *word;	/* a word some problem's reason holds, or NULL */
} key_cases[] = {
	{ "clean rsa-2048", "v=DKIM1; k=rsa; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB, NULL },
	{ "rsa by default, no v", "p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB, NULL },
	{ "clean ed25519", "v=DKIM1; k=ed25519; p={ed}", 0, ED, F_RAW, 256, 0, NOPROB, NULL },
	{ "rsa-1024", "v=DKIM1; p={rsa1024}", 0, RSA, F_SPKI, 1024, 0, NOPROB, NULL },
	{ "rsa-512", "v=DKIM1; p={rsa512}", 0, RSA, F_SPKI, 512, 0, NOPROB, NULL },
	{ "k=RSA any case", "v=DKIM1; k=RSA; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB,
	  NULL },
	{ "bare RSAPublicKey", "v=DKIM1; p={rsa2048_pkcs1}", 0, RSA, F_PKCS1, 2048, 0, WARN,
	  "RSAPublicKey" },
	{ "trailing space after p=", "v=DKIM1; p={rsa1024} ", 0, RSA, F_SPKI, 1024, 0,
	  NOPROB, NULL },
	{ "revoked", "v=DKIM1; p=", -1, RSA, F_NONE, 0, REVOKED, NOPROB, NULL },
	{ "revoked with spaces", "v=DKIM1; k=rsa; p= ", -1, RSA, F_NONE, 0, REVOKED, NOPROB,
	  NULL },
	{ "no p=", "v=DKIM1; k=rsa", -1, RSA, F_NONE, 0, 0, ERR, "no p=" },
	{ "testing", "v=DKIM1; t=y; p={rsa2048}", 0, RSA, F_SPKI, 2048, TESTING, NOPROB, NULL },
	{ "testing and strict", "v=DKIM1; t=s:y; p={rsa2048}", 0, RSA, F_SPKI, 2048,
	  TESTING | STRICT, NOPROB, NULL },
	{ "strict only", "v=DKIM1; t=s; p={rsa2048}", 0, RSA, F_SPKI, 2048, STRICT, NOPROB,
	  NULL },
	{ "unknown flag ignored", "v=DKIM1; t=x; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB,
	  NULL },
	{ "h=sha1", "v=DKIM1; h=sha1; p={rsa2048}", 0, RSA, F_SPKI, 2048, SHA1, NOPROB, NULL },
	{ "h=sha1:sha256", "v=DKIM1; h=sha1 : sha256; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0,
	  NOPROB, NULL },
	{ "h=sha256", "v=DKIM1; h=sha256; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB, NULL },
	{ "h=sha1:md5", "v=DKIM1; h=sha1:md5; p={rsa2048}", 0, RSA, F_SPKI, 2048, SHA1, NOPROB,
	  NULL },
	{ "h=md5 only", "v=DKIM1; h=md5; p={rsa2048}", -1, RSA, F_SPKI, 2048, NOHASH, ERR,
	  "no hash algorithm" },
	{ "h= empty", "v=DKIM1; h=; p={rsa2048}", -1, RSA, F_SPKI, 2048, NOHASH, ERR,
	  "empty element" },
	{ "h= bad element", "v=DKIM1; h=sha256:-x; p={rsa2048}", -1, RSA, F_SPKI, 2048, 0, ERR,
	  "hyphenated" },
	{ "s=email", "v=DKIM1; s=email; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB, NULL },
	{ "s=*", "v=DKIM1; s=*; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB, NULL },
	{ "s=other:email", "v=DKIM1; s=other:email; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0,
	  NOPROB, NULL },
	{ "s=tlsrpt not email", "v=DKIM1; s=tlsrpt; p={rsa2048}", 0, RSA, F_SPKI, 2048,
	  NOTMAIL, NOPROB, NULL },
	{ "k=dsa unknown", "v=DKIM1; k=dsa; p={rsa2048}", -1, UNK, F_NONE, 0, 0, NOPROB, NULL },
	{ "k= empty unknown", "v=DKIM1; k=; p={rsa2048}", -1, UNK, F_NONE, 0, 0, NOPROB, NULL },
	{ "k=ed25519 with RSA SPKI", "v=DKIM1; k=ed25519; p={rsa2048}", -1, ED, F_NONE, 0, 0,
	  ERR, "RSA" },
	{ "k=ed25519 with an Ed25519 SPKI", "v=DKIM1; k=ed25519; p={ed_spki}", -1, ED, F_NONE,
	  0, 0, ERR, "SubjectPublicKeyInfo" },
	{ "k=rsa with an Ed25519 SPKI", "v=DKIM1; k=rsa; p={ed_spki}", -1, RSA, F_NONE, 0, 0,
	  ERR, "ED25519" },
	{ "k=rsa with a raw Ed25519 key", "v=DKIM1; p={ed}", -1, RSA, F_NONE, 0, 0, ERR,
	  "Ed25519" },
	{ "k=ed25519, 31 bytes",
	  "v=DKIM1; k=ed25519; p=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", -1, ED, F_NONE, 0, 0, ERR, "31 bytes" },
	{ "rsa: not DER", "v=DKIM1; p=aGVsbG8gd29ybGQ=", -1, RSA, F_NONE, 0, 0, ERR,
	  "neither" },
	{ "v not first", "k=rsa; v=DKIM1; p={rsa2048}", -1, RSA, F_SPKI, 2048, 0, ERR,
	  "first tag" },
	{ "v after a malformed tag", "1x=2; v=DKIM1; p={rsa2048}", -1, RSA, F_SPKI, 2048, 0, ERR,
	  "first tag" },
	{ "v=DKIM2", "v=DKIM2; p={rsa2048}", -1, RSA, F_SPKI, 2048, 0, ERR, "DKIM1" },
	{ "v=dkim1 lower case", "v=dkim1; p={rsa2048}", -1, RSA, F_SPKI, 2048, 0, ERR, "DKIM1" },
	{ "duplicate p", "v=DKIM1; p={rsa2048}; p=", -1, RSA, F_SPKI, 2048, 0, ERR, "twice" },
	{ "unknown tag: info", "v=DKIM1; g=*; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, INFO,
	  "unknown tag" },
	{ "notes", "v=DKIM1; n=hello world; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, NOPROB, NULL },
	{ "empty tag: warn", "v=DKIM1;; p={rsa2048}", 0, RSA, F_SPKI, 2048, 0, WARN,
	  "empty tag" },
	{ "not base64", "v=DKIM1; p=MIGf.MA0G", -1, RSA, F_NONE, 0, 0, ERR,
	  "'.' at offset 4 is not a base64 character" },
	{ "data after padding", "v=DKIM1; p=QUJD=QUJD", -1, RSA, F_NONE, 0, 0, ERR,
	  "follows the '=' padding at offset 4" },
	{ "bad length", "v=DKIM1; p=QUJDR", -1, RSA, F_NONE, 0, 0, ERR,
	  "5 base64 characters cannot encode whole bytes" },
	{ "wrong padding", "v=DKIM1; p=QUI=A===", -1, RSA, F_NONE, 0, 0, ERR, "follows" },
	{ "too much padding", "v=DKIM1; p=QUJD==", -1, RSA, F_NONE, 0, 0, ERR,
	  "2 '=' after 4 base64 characters: 0 expected" },
	{ "a bare CR in p=", "v=DKIM1; p=QUJD\rQUJD", -1, RSA, F_NONE, 0, 0, ERR,
	  "'\\x0d' at offset 4 is not a base64 character" },
	{ "a bare LF in p=", "v=DKIM1; p=QUJD\nQUJD", -1, RSA, F_NONE, 0, 0, ERR,
	  "'\\x0a' at offset 4" },
	{ "not a key record", "v=spf1 -all", -1, RSA, F_NONE, 0, 0, NOPROB, NULL },
};

static void
test_records(void **state)
{
	const struct key_case *c;
	struct dkim_key key;
	unsigned flags;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		c = &key_cases[i];
		rc = parse(c->record, &key);
		flags = (key.revoked ? REVOKED : 0) | (key.testing ? TESTING : 0) |
		    (key.strict ? STRICT : 0) | (key.sha1_only ? SHA1 : 0) |
		    (key.not_email ? NOTMAIL : 0) | (key.no_known_hash ? NOHASH : 0);
		if (rc != c->rc || key.type != c->type || key.form != c->form ||
		    key.bits != c->bits || flags != c->flags || worst(&key) != c->worst ||
		    (c->word != NULL && !reason_has(&key, c->word))) {
			dump(&key);
			fail_msg("%s: rc %d type %s form %s bits %u flags %#x worst %d; expected "
			    "rc %d type %s form %s bits %u flags %#x worst %d%s%s", c->name, rc,
			    dkim_key_type_word(key.type), dkim_key_form_word(key.form), key.bits,
			    flags, worst(&key), c->rc, dkim_key_type_word(c->type),
			    dkim_key_form_word(c->form), c->bits, c->flags, c->worst,
			    c->word ? ", a reason with " : "", c->word ? c->word : "");
		}
	}
}

static void
test_folded_key_is_read(void **state)
{
	char rec[4096], *p;
	struct dkim_key key;
	size_t len, i, o;

	(void)state;
	/* FWS inside the base64 (RFC 6376 3.6.1 base64string): spaces, tabs, CRLF+WSP */
	p = key_b64[K_RSA2048];
	len = strlen(p);
	o = (size_t)snprintf(rec, sizeof(rec), "v=DKIM1; p=");
	for (i = 0; i < len; i++) {
		rec[o++] = p[i];
		if (i % 64 == 63)
			o += (size_t)snprintf(rec + o, sizeof(rec) - o, i % 128 == 127 ? "\r\n\t" : " ");
	}
	rec[o] = '\0';
	assert_int_equal(dkim_key_parse(rec, o, &key), 0);
	assert_int_equal(key.bits, 2048);
	assert_int_equal(key.nproblems, 0);
}

static void
test_missing_padding_is_a_warning_and_the_key_is_read(void **state)
{
	char rec[2048];
	struct dkim_key key;
	size_t n;

	(void)state;
	/* a 512-bit SPKI is 94 bytes: its base64 ends in "==" */
	n = (size_t)snprintf(rec, sizeof(rec), "v=DKIM1; p=%s", key_b64[K_RSA512]);
	assert_true(rec[n - 1] == '=' && rec[n - 2] == '=');
	rec[n - 2] = '\0';
	assert_int_equal(dkim_key_parse(rec, n - 2, &key), 0);	/* a warning: usable */
	assert_int_equal(key.form, DKIM_KEY_FORM_SPKI);
	assert_int_equal(key.bits, 512);
	assert_int_equal(worst(&key), DKIM_KEY_PSEV_WARN);
	assert_true(reason_has(&key, "without the '=' padding"));
}

static void
test_trailing_bytes_after_the_spki_are_an_error(void **state)
{
	unsigned char *der = NULL, *buf;
	struct dkim_key key;
	char *enc, rec[2048];
	EVP_PKEY *pk = keygen("RSA", 1024);
	int n;

	(void)state;
	n = i2d_PUBKEY(pk, &der);
	assert_true(n > 0);
	buf = malloc((size_t)n + 3);
	assert_non_null(buf);
	memcpy(buf, der, (size_t)n);
	memcpy(buf + n, "xyz", 3);
	enc = b64(buf, (size_t)n + 3);
	snprintf(rec, sizeof(rec), "p=%s", enc);
	assert_int_equal(dkim_key_parse(rec, strlen(rec), &key), -1);
	assert_true(reason_has(&key, "3 bytes follow the SubjectPublicKeyInfo"));
	free(enc);
	free(buf);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
}

static void
test_problems_name_tag_value_and_section(void **state)
{
	struct dkim_key key;

	(void)state;
	assert_int_equal(parse("v=DKIM1; k=ed25519; p={ed_spki}", &key), -1);
	assert_int_equal(key.nproblems, 1);
	assert_string_equal(key.problems[0].tag, "p");
	assert_true(strncmp(key.problems[0].value, "MCow", 4) == 0);	/* the SPKI prefix */
	assert_string_equal(key.problems[0].rfc, "RFC 8463 4.2");

	assert_int_equal(parse("v=DKIM1; p={rsa2048}; p=", &key), -1);
	assert_string_equal(key.problems[0].rfc, "RFC 6376 3.2");

	assert_int_equal(parse("v=DKIM2; p={rsa2048}", &key), -1);
	assert_string_equal(key.problems[0].tag, "v");
	assert_string_equal(key.problems[0].value, "DKIM2");
	assert_string_equal(key.problems[0].rfc, "RFC 6376 3.6.1");

	/* a long p= value is cut with "..." */
	assert_int_equal(parse("v=DKIM1; p={rsa2048}!", &key), -1);
	assert_non_null(strstr(key.problems[0].value, "..."));
	assert_non_null(strstr(key.problems[0].reason, "'!' at offset 392"));
}

static void
test_problems_are_bounded_and_counted(void **state)
{
	char rec[1024];
	struct dkim_key key;
	size_t o = 0, i;

	(void)state;
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(rec + o, sizeof(rec) - o, "x%zu=1; ", i);
	snprintf(rec + o, sizeof(rec) - o, "p=");
	assert_int_equal(dkim_key_parse(rec, strlen(rec), &key), -1);
	assert_int_equal(key.nproblems, 40);
	assert_true(key.revoked);
	for (i = 0; i < DKIM_KEY_MAX_PROBLEMS; i++)
		assert_string_equal(key.problems[i].reason, "unknown tag, ignored by verifiers");
}

/* Every copied string is printable ASCII and terminated. */
static void
require_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			fail_msg("byte 0x%02x at %zu of \"%s\"", (unsigned char)s[i], i, s);
	assert_true(i < n);
}

static void
test_hostile_bytes_are_sanitized(void **state)
{
	static const char rec[] = "v=DKIM1; k=\x01\xff; h=\x80; s=\x1b[31m; n=\xc3\xa9; "
	    "p=MIG\xfe\x00; x\x01=1";
	struct dkim_key key;
	size_t i;

	(void)state;
	assert_int_equal(dkim_key_parse(rec, sizeof(rec) - 1, &key), -1);
	assert_true(key.nproblems > 0);
	require_printable(key.k_text, sizeof(key.k_text));
	require_printable(key.h_text, sizeof(key.h_text));
	require_printable(key.s_text, sizeof(key.s_text));
	for (i = 0; i < key.nproblems && i < DKIM_KEY_MAX_PROBLEMS; i++) {
		require_printable(key.problems[i].tag, sizeof(key.problems[i].tag));
		require_printable(key.problems[i].value, sizeof(key.problems[i].value));
		require_printable(key.problems[i].reason, sizeof(key.problems[i].reason));
	}
	assert_true(reason_has(&key, "'\\xfe' at offset 3 is not a base64 character"));
	assert_int_equal(key.type, DKIM_KEY_TYPE_UNKNOWN);
}

static void
test_oversized_p_is_refused_unread(void **state)
{
	size_t n = DKIM_KEY_MAX_P + 16;
	char *rec = malloc(n + 3);
	struct dkim_key key;

	(void)state;
	assert_non_null(rec);
	memcpy(rec, "p=", 2);
	memset(rec + 2, 'A', n);
	rec[n + 2] = '\0';
	assert_int_equal(dkim_key_parse(rec, n + 2, &key), -1);
	assert_true(reason_has(&key, "more than any key needs"));
	assert_int_equal(key.key_len, 0);
	free(rec);
}

/*
 * RSA numbers RFC 8017 3.1 rules out: an error problem naming them, no usable key
 * (form none, 0 bits), and the reason for verifiers in unsafe. The first two rows are
 * built the same way with good exponents: the builder itself makes readable keys.
 */
static void
test_unsafe_rsa_numbers_are_an_error(void **state)
{
	static const struct {
		const char *name;
		int key;
		const char *k;			/* "" or "k=rsa; " */
		enum dkim_key_unsafe unsafe;
		const char *detail;		/* a word of the problem's reason, or NULL */
	} cases[] = {
		{ "hand-made e=65537", U_HAND_65537, "", DKIM_KEY_SAFE, NULL },
		{ "hand-made e=3", U_HAND_3, "k=rsa; ", DKIM_KEY_SAFE, NULL },
		{ "e=1", U_E1, "", DKIM_KEY_UNSAFE_E_ONE, "(e=1;" },
		{ "e=1 RSAPublicKey", U_E1_PKCS1, "k=rsa; ", DKIM_KEY_UNSAFE_E_ONE, "(e=1;" },
		{ "e=2", U_E2, "", DKIM_KEY_UNSAFE_E_EVEN, "(e=2;" },
		{ "e=65538", U_E65538, "", DKIM_KEY_UNSAFE_E_EVEN, "(e=65538;" },
		{ "e=0", U_E0, "", DKIM_KEY_UNSAFE_E_NOT_POSITIVE, "(e=0;" },
		{ "e=-3", U_ENEG, "", DKIM_KEY_UNSAFE_E_NOT_POSITIVE, "(e=-3;" },
		{ "negative n", U_NNEG, "", DKIM_KEY_UNSAFE_N_NOT_POSITIVE,
		  "(n of minus " },
		{ "n=0", U_N0, "", DKIM_KEY_UNSAFE_N_NOT_POSITIVE, "(n=0;" },
		{ "even n", U_NEVEN, "", DKIM_KEY_UNSAFE_N_EVEN, "(n of 1024 bits;" },
		{ "e > n", U_EBIG, "", DKIM_KEY_UNSAFE_E_NOT_BELOW_N, "(e of 1024 bits;" },
	};
	struct dkim_key key;
	char rec[1024];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(rec, sizeof(rec), "v=DKIM1; %sp=%s", cases[i].k,
		    unsafe_b64[cases[i].key]);
		rc = dkim_key_parse(rec, strlen(rec), &key);
		if (cases[i].unsafe == DKIM_KEY_SAFE) {
			if (rc != 0 || key.unsafe != DKIM_KEY_SAFE || key.bits != 1024 ||
			    key.nproblems != 0) {
				dump(&key);
				fail_msg("%s: rc %d, %u bits: expected a usable 1024-bit key",
				    cases[i].name, rc, key.bits);
			}
			continue;
		}
		if (rc != -1 || key.unsafe != cases[i].unsafe || key.form != DKIM_KEY_FORM_NONE ||
		    key.bits != 0 || worst(&key) != DKIM_KEY_PSEV_ERROR ||
		    !reason_has(&key, dkim_key_unsafe_word(cases[i].unsafe)) ||
		    !reason_has(&key, cases[i].detail)) {
			dump(&key);
			fail_msg("%s: rc %d unsafe %d form %s bits %u; expected rc -1, \"%s\" "
			    "with \"%s\", no key", cases[i].name, rc, (int)key.unsafe,
			    dkim_key_form_word(key.form), key.bits,
			    dkim_key_unsafe_word(cases[i].unsafe), cases[i].detail);
		}
		assert_string_equal(key.problems[key.nproblems - 1].tag, "p");
		assert_string_equal(key.problems[key.nproblems - 1].rfc, "RFC 8017 3.1");
	}
	/* the generated keys are safe */
	assert_int_equal(parse("v=DKIM1; p={rsa2048}", &key), 0);
	assert_int_equal(key.unsafe, DKIM_KEY_SAFE);
	assert_int_equal(parse("v=DKIM1; p={rsa2048_pkcs1}", &key), 0);
	assert_int_equal(key.unsafe, DKIM_KEY_SAFE);
	assert_string_equal(dkim_key_unsafe_word(DKIM_KEY_UNSAFE_E_ONE), "unsafe key: exponent 1");
	assert_string_equal(dkim_key_unsafe_word(DKIM_KEY_SAFE), "");
}

static void
test_words(void **state)
{
	(void)state;
	assert_string_equal(dkim_key_type_word(DKIM_KEY_TYPE_RSA), "rsa");
	assert_string_equal(dkim_key_type_word(DKIM_KEY_TYPE_ED25519), "ed25519");
	assert_string_equal(dkim_key_type_word(DKIM_KEY_TYPE_UNKNOWN), "unknown");
	assert_string_equal(dkim_key_form_word(DKIM_KEY_FORM_SPKI), "SubjectPublicKeyInfo");
	assert_string_equal(dkim_key_form_word(DKIM_KEY_FORM_RSAPUBLICKEY), "RSAPublicKey");
	assert_string_equal(dkim_key_form_word(DKIM_KEY_FORM_RAW), "raw");
	assert_string_equal(dkim_key_form_word(DKIM_KEY_FORM_NONE), "none");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_folded_key_is_read),
		cmocka_unit_test(test_missing_padding_is_a_warning_and_the_key_is_read),
		cmocka_unit_test(test_trailing_bytes_after_the_spki_are_an_error),
		cmocka_unit_test(test_problems_name_tag_value_and_section),
		cmocka_unit_test(test_problems_are_bounded_and_counted),
		cmocka_unit_test(test_hostile_bytes_are_sanitized),
		cmocka_unit_test(test_oversized_p_is_refused_unread),
		cmocka_unit_test(test_unsafe_rsa_numbers_are_an_error),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
