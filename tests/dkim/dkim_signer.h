/*
 * dkim_signer.h - sign a message with libopendkim, for tests only (never installed).
 *
 *   dkim_signer_opts_init()  defaults: rsa-sha256, relaxed/relaxed, no l=, no x=
 *   dkim_signer_sign()       the DKIM-Signature header field for a message
 *
 * Used by tests/unit/test_dkim_verify.c (signatures made at test time with keys made
 * at test time) and by tests/dkim/dkim_sign_tool.c (fixture messages for end-to-end
 * tests). The options reach corners a real signer avoids on purpose: rsa-sha1, keys
 * under 1024 bits, h= without From, x= in the past.
 *
 * What can go wrong: a key libopendkim cannot read, a header it refuses, an option it
 * rejects: NULL with a one-line reason. Nothing here exits.
 */
#ifndef TEST_DKIM_SIGNER_H
#define TEST_DKIM_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dkim_signer_opts {
	const char *key_pem;		/* private key, PEM (RSA or Ed25519) */
	const char *domain;		/* d= */
	const char *selector;		/* s= */
	const char *algorithm;		/* "rsa-sha256", "rsa-sha1", "ed25519-sha256" */
	bool simple_header;		/* c=simple/... instead of relaxed */
	bool simple_body;		/* c=.../simple instead of relaxed */
	long body_length;		/* l=: < 0 none, else bytes of canonical body signed */
	uint64_t timestamp;		/* t=; 0: now */
	uint64_t ttl;			/* x= = t= + ttl; 0: no x= */
	const char *headers;		/* h=: colon list of names to sign; NULL: default */
};

/* Fill o with the defaults (no key, domain or selector). */
void dkim_signer_opts_init(struct dkim_signer_opts *o);

/*
 * Sign len bytes of an RFC 5322 message (LF or CRLF line ends). Returns the whole
 * header field "DKIM-Signature: ..." folded with CRLF TAB, without a final CRLF
 * (caller frees), or NULL with a reason in err.
 */
char *dkim_signer_sign(const struct dkim_signer_opts *o, const char *msg, size_t len,
		       char *err, size_t errlen);

#endif
