/*
 * dkim_key.h - one DKIM key record (RFC 6376 3.6.1, RFC 8301, RFC 8463) into a struct;
 * no I/O.
 *
 *   dkim_key_classify()  is a TXT string a DKIM key record (candidate) or something else
 *   dkim_key_parse()     parse a record: tags, p= base64, the key itself (OpenSSL)
 *   dkim_key_parse_pkey() the same, handing over the key (OpenSSL EVP_PKEY) to verify with
 *   dkim_key_type_word() "rsa", "ed25519", "unknown"
 *   dkim_key_form_word() "SubjectPublicKeyInfo", "RSAPublicKey", "raw", "none"
 *   dkim_key_unsafe_word() "unsafe key: exponent 1", ... (a fixed comment, no key bytes)
 *
 * Tags (case-sensitive names, RFC 6376 3.2): v (optional; if present the first tag and
 * exactly "DKIM1"), h (colon list of hash algorithms), k (key type: rsa, the default,
 * or ed25519), n (notes, ignored), p (REQUIRED base64, FWS allowed inside; empty means
 * revoked), s (colon list of service types), t (colon list of flags: y testing,
 * s strict). Unknown tags, hash algorithms, service types and flags are ignored as RFC
 * 6376 3.6.1 says; unknown tags are listed as info problems (often typos).
 *
 * The key: for rsa, an ASN.1 DER SubjectPublicKeyInfo (what every signer publishes and
 * what verifiers such as OpenDKIM read) or a bare RSAPublicKey (RFC 3447 A.1.1, the
 * letter of RFC 6376 3.6.1; read, but a warn problem since SPKI-only verifiers fail
 * on it); for ed25519, the raw 32-byte key (RFC 8463 4.2), not an SPKI. A key whose
 * type disagrees with k= (an RSA SPKI under k=ed25519, an Ed25519 or EC SPKI under
 * k=rsa) is an error problem.
 *
 * Unsafe RSA numbers (RFC 8017 3.1: n the product of odd primes, e odd with
 * 3 <= e < n): an exponent of 1 makes the signature equal the padded hash, so anyone
 * can forge one; an even, zero or negative exponent or modulus, or e >= n, is no RSA
 * key. Such a key is an error problem, the record is not usable (form NONE, bits 0)
 * and unsafe says why, for verifiers that must not verify with it. OpenSSL's decoders
 * read DER INTEGERs as magnitudes, so the signs are read from the DER here.
 *
 * What can go wrong: any bytes are accepted. Each problem becomes an entry with the tag,
 * a sanitized copy of the offending value, a reason and the RFC section; at
 * most DKIM_KEY_MAX_PROBLEMS are kept (nproblems counts them all). p= longer than
 * DKIM_KEY_MAX_P bytes is refused unread (no key is that long). OpenSSL errors are
 * cleared from the thread's queue before returning. Out of memory while decoding is an
 * error problem ("out of memory"), never a crash.
 */
#ifndef POSTURE_DKIM_KEY_H
#define POSTURE_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DKIM_KEY_MAX_PROBLEMS	12
#define DKIM_KEY_MAX_P		16384	/* base64 bytes of p=; a 16384-bit RSA SPKI is ~2.8 KB */

enum dkim_txt_kind {
	DKIM_TXT_OTHER,		/* not a key record: no p= or k= tag, no v=DKIM... first */
	DKIM_TXT_KEY		/* a key record candidate, valid or not */
};

enum dkim_key_type { DKIM_KEY_TYPE_RSA, DKIM_KEY_TYPE_ED25519, DKIM_KEY_TYPE_UNKNOWN };

enum dkim_key_form {
	DKIM_KEY_FORM_NONE,	/* no key read (revoked, unknown type, undecodable) */
	DKIM_KEY_FORM_SPKI,	/* SubjectPublicKeyInfo DER (RSA) */
	DKIM_KEY_FORM_RSAPUBLICKEY, /* bare PKCS#1 RSAPublicKey DER (RSA) */
	DKIM_KEY_FORM_RAW	/* 32 raw bytes (Ed25519, RFC 8463 4.2) */
};

/* Why an RSA key must not be used to verify (RFC 8017 3.1); SAFE when nothing is wrong. */
enum dkim_key_unsafe {
	DKIM_KEY_SAFE,
	DKIM_KEY_UNSAFE_N_NOT_POSITIVE,	/* modulus zero or negative */
	DKIM_KEY_UNSAFE_N_EVEN,		/* no product of odd primes */
	DKIM_KEY_UNSAFE_E_NOT_POSITIVE,	/* exponent zero or negative */
	DKIM_KEY_UNSAFE_E_ONE,		/* s = EM: anyone can sign */
	DKIM_KEY_UNSAFE_E_EVEN,		/* includes 2: no inverse, no RSA */
	DKIM_KEY_UNSAFE_E_NOT_BELOW_N	/* e >= n */
};

/* How much a problem matters; the check maps it to a finding severity. */
enum dkim_key_psev { DKIM_KEY_PSEV_INFO, DKIM_KEY_PSEV_WARN, DKIM_KEY_PSEV_ERROR };

struct dkim_key_problem {
	enum dkim_key_psev sev;	/* ERROR: verifiers may discard the record or cannot use it */
	char tag[12];		/* tag name, sanitized ("" for list-level problems) */
	char value[32];		/* the offending value or text, sanitized, maybe cut with "..." */
	char reason[112];	/* one line, no RFC reference; built from sanitized text only */
	const char *rfc;	/* static, e.g. "RFC 6376 3.6.1" */
};

struct dkim_key {
	bool is_key;		/* dkim_key_classify() said DKIM_TXT_KEY */
	enum dkim_key_type type;
	char k_text[24];	/* k= value, sanitized; "" when absent (rsa by default) */
	bool revoked;		/* p= present and empty (RFC 6376 3.6.1) */
	bool p_present;
	bool testing;		/* t= lists y */
	bool strict;		/* t= lists s */
	bool sha1_only;		/* h= lists sha1 and no other hash a verifier knows */
	bool no_known_hash;	/* h= lists no hash algorithm at all that is known */
	char h_text[32];	/* h= value, sanitized; "" when absent */
	bool not_email;		/* s= lists neither "*" nor "email" */
	char s_text[32];	/* s= value, sanitized; "" when absent */
	enum dkim_key_form form;
	unsigned bits;		/* RSA modulus bits, 256 for Ed25519; 0 when no key read */
	enum dkim_key_unsafe unsafe;	/* an RSA key read but unsafe (form NONE then) */
	size_t key_len;		/* bytes of decoded p= (0 when not decoded) */
	size_t nproblems;	/* all problems seen, may exceed DKIM_KEY_MAX_PROBLEMS */
	struct dkim_key_problem problems[DKIM_KEY_MAX_PROBLEMS];
};

/* Whether len bytes at data (a joined TXT record) are a DKIM key record candidate. */
enum dkim_txt_kind dkim_key_classify(const void *data, size_t len);

/*
 * Parse len bytes at data into key (fully overwritten; nothing to free). Returns 0 when
 * the record holds a usable key: a candidate with no error problem, a known type, not
 * revoked, the key read. Returns -1 otherwise; the fields say why.
 */
int dkim_key_parse(const void *data, size_t len, struct dkim_key *key);

struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */
/*
 * The same, and *pkey gets the key read (the caller frees it with EVP_PKEY_free())
 * when the record is usable (0); NULL otherwise (-1). For verifiers of our own (ARC).
 */
int dkim_key_parse_pkey(const void *data, size_t len, struct dkim_key *key,
			struct evp_pkey_st **pkey);

/* Words for messages and the header fact (static strings). */
const char *dkim_key_type_word(enum dkim_key_type type);
const char *dkim_key_form_word(enum dkim_key_form form);
/* "unsafe key: exponent 1", ...; "" for DKIM_KEY_SAFE (static strings, no key bytes). */
const char *dkim_key_unsafe_word(enum dkim_key_unsafe why);

#endif
