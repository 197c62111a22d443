/*
 * mark_certs.h - mark certificates made at test time with OpenSSL 3 APIs, for the
 * BIMI tests (test_bimi_evidence.c, test_check_bimi.c).
 *
 *   mc_new_key()     a P-256 key
 *   mc_make_ca()     a CA certificate, self-signed or under a parent
 *   mc_make_cert()   a certificate per spec: validity, EKU, SAN, embedded logo
 *   mc_pem_of()      certificates as one PEM document
 *   mc_gzip()        gzip of a string (how issuers embed the SVG)
 *
 * The logotype extension is RFC 3709 DER as mark-certificate issuers write it: an
 * image/svg+xml data: URL of the gzip'd SVG, base64, with its SHA-256. Failures fail
 * the running cmocka test.
 */
#ifndef TEST_MARK_CERTS_H
#define TEST_MARK_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define MC_DAY	86400L

struct mc_ca {
	EVP_PKEY *key;
	X509 *cert;
};

struct mc_spec {
	const char *cn;
	long from, to;			/* validity, seconds from now */
	const char *eku;		/* NULL: none */
	const char *san;		/* NULL: none */
	const char *logo;		/* NULL: no logotype extension */
	bool ca;
};

EVP_PKEY *mc_new_key(void);
void mc_make_ca(struct mc_ca *ca, const char *cn, const struct mc_ca *parent);
void mc_free_ca(struct mc_ca *ca);
/* A certificate per spec with key, signed by issuer (NULL: self-signed). */
X509 *mc_make_cert(const struct mc_spec *s, EVP_PKEY *key, const struct mc_ca *issuer);
/* PEM of a NULL-terminated list of X509 *, malloc'd and NUL-terminated. */
char *mc_pem_of(size_t *len, ...);
/* gzip of a string, malloc'd. */
uint8_t *mc_gzip(const char *s, size_t *outlen);

#endif
