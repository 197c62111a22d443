/*
 * mark_certs.c - mark certificates made at test time (see mark_certs.h).
 *
 * What can go wrong: an OpenSSL call failing fails the running test (cmocka asserts);
 * buffers are sized for the small logos the tests embed (checked by assertions).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "record/bimi_evidence.h"
#include "mark_certs.h"


/* DER tag-length-value into out (large enough); returns the bytes written. */
static size_t
tlv(uint8_t *out, uint8_t tag, const uint8_t *body, size_t len)
{
	size_t n = 0;

	out[n++] = tag;
	if (len < 128) {
		out[n++] = (uint8_t)len;
	} else if (len < 256) {
		out[n++] = 0x81;
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = 0x82;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	}
	memmove(out + n, body, len);
	return n + len;
}

/* gzip of a string into a new buffer. */
uint8_t *
mc_gzip(const char *s, size_t *outlen)
{
	size_t len = strlen(s);
	uint8_t *out = malloc(len + 1024);
	z_stream zs;

	assert_non_null(out);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)s;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)(len + 1024);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* The logotype extension (RFC 3709) embedding svg as a gzip'd base64 data: URL. */
static void
add_logotype(X509 *x, const char *svg)
{
	static const uint8_t sha256_alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00 };
	uint8_t *gz, *a = malloc(16384), *b = malloc(16384), hash[32];
	char *uri = malloc(8192);
	size_t gzlen, n, m;
	ASN1_OBJECT *obj;
	ASN1_OCTET_STRING *os;
	X509_EXTENSION *ext;
	int b64;

	assert_true(a != NULL && b != NULL && uri != NULL);
	gz = mc_gzip(svg, &gzlen);
	strcpy(uri, "data:image/svg+xml;base64,");
	b64 = EVP_EncodeBlock((unsigned char *)uri + strlen(uri), gz, (int)gzlen);
	assert_true(b64 > 0);
	EVP_Digest(gz, gzlen, hash, NULL, EVP_sha256(), NULL);
	/* HashAlgAndValue */
	memcpy(a, sha256_alg, sizeof(sha256_alg));
	n = sizeof(sha256_alg) + tlv(a + sizeof(sha256_alg), 0x04, hash, 32);
	n = tlv(b, 0x30, a, n);				/* HashAlgAndValue */
	n = tlv(a, 0x30, b, n);				/* SEQUENCE OF */
	/* LogotypeDetails: mediaType, logotypeHash, logotypeURI */
	m = tlv(b, 0x16, (const uint8_t *)"image/svg+xml", 13);
	memcpy(b + m, a, n);
	m += n;
	n = tlv(a, 0x16, (const uint8_t *)uri, strlen(uri));
	n = tlv(b + m, 0x30, a, n);			/* SEQUENCE OF IA5String */
	m += n;
	n = tlv(a, 0x30, b, m);				/* LogotypeDetails */
	n = tlv(b, 0x30, a, n);				/* LogotypeImage */
	n = tlv(a, 0x30, b, n);				/* image SEQUENCE OF */
	n = tlv(b, 0xa0, a, n);				/* direct [0] LogotypeData */
	n = tlv(a, 0xa2, b, n);				/* subjectLogo [2] */
	n = tlv(b, 0x30, a, n);				/* LogotypeExtn */
	obj = OBJ_txt2obj(BIMI_LOGOTYPE_OID, 1);
	os = ASN1_OCTET_STRING_new();
	assert_true(obj != NULL && os != NULL && ASN1_OCTET_STRING_set(os, b, (int)n) == 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	free(gz);
	free(a);
	free(b);
	free(uri);
}

/* Add a configured extension ("critical,CA:TRUE" and the like). */
static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate per spec, signed by issuer (NULL: self-signed with key). */
X509 *
mc_make_cert(const struct mc_spec *s, EVP_PKEY *key, const struct mc_ca *issuer)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)s->cn,
	    -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : name);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from);
	X509_gmtime_adj(X509_getm_notAfter(x), s->to);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (s->ca) {
		add_ext(x, issuer ? issuer->cert : x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer ? issuer->cert : x, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer ? issuer->cert : x, NID_basic_constraints, "CA:FALSE");
	}
	if (s->eku != NULL)
		add_ext(x, issuer ? issuer->cert : x, NID_ext_key_usage, s->eku);
	if (s->san != NULL)
		add_ext(x, issuer ? issuer->cert : x, NID_subject_alt_name, s->san);
	if (s->logo != NULL)
		add_logotype(x, s->logo);
	assert_true(X509_sign(x, issuer ? issuer->key : key, EVP_sha256()) > 0);
	return x;
}

/* A new P-256 key. */
EVP_PKEY *
mc_new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* A CA: self-signed when parent is NULL. */
void
mc_make_ca(struct mc_ca *ca, const char *cn, const struct mc_ca *parent)
{
	struct mc_spec s = { cn, -MC_DAY, 365 * MC_DAY, NULL, NULL, NULL, true };

	ca->key = mc_new_key();
	ca->cert = mc_make_cert(&s, ca->key, parent);
}

/* PEM of certificates (NULL-terminated list) into a new buffer. */
char *
mc_pem_of(size_t *len, ...)
{
	BIO *bio = BIO_new(BIO_s_mem());
	va_list ap;
	X509 *x;
	char *data, *out;
	long n;

	assert_non_null(bio);
	va_start(ap, len);
	while ((x = va_arg(ap, X509 *)) != NULL)
		assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	va_end(ap);
	n = BIO_get_mem_data(bio, &data);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return out;
}

/* Free a CA. */
void
mc_free_ca(struct mc_ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}
