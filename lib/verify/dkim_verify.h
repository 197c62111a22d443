/*
 * dkim_verify.h - DKIM verification of one message (RFC 6376, RFC 8301, RFC 8463) on
 * libopendkim, keys fetched through our resolver and cache; results in RFC 8601 words.
 *
 *   dkim_verify_config_init() defaults: 5 signatures, 5 s for the keys of a message
 *   dkim_verify_lib_new()     one per engine, shared by threads; _free()
 *   dkim_verify_new()         one per message (one thread at a time); _free()
 *   dkim_verify_header()      each header field as the MTA sent it, in order
 *   dkim_verify_eoh()         end of header: the key lookups happen here
 *   dkim_verify_body()        body chunks, CRLF line ends (as the MTA sends them)
 *   dkim_verify_eom()         verify; the results live until dkim_verify_free()
 *   dkim_verify_message()     the same over a whole message in memory (posture-check)
 *   dkim_verify_word()        "pass", "fail", "policy", ... (RFC 8601 2.7.1)
 *
 * Per signature: the result word, d=, s=, a=, the key size, the first 8 characters of b=
 * (header.b, RFC 6008), a reason with its RFC section, and flags: l= present, h= covers
 * From, key in testing mode (t=y), verified. Not accepted as valid though the
 * cryptography may hold: rsa-sha1 (RFC 8301 3.1), RSA keys under 1024 bits (RFC 8301
 * 3.2), From not in h= (RFC 6376 5.4), x= in the past (RFC 6376 3.5): all "policy",
 * RFC 8601's word for "signed, but not acceptable to this ADMD", so no consumer mistakes
 * them for a pass and DMARC never counts them. No DKIM-Signature at all: "none".
 * Key outcomes: no key record (NXDOMAIN, NODATA) is "permerror" (RFC 6376 6.1.2 PERMFAIL
 * "no key for signature"); a lookup that failed (SERVFAIL, timeout, ...) is
 * "temperror"; a revoked key (p= empty) is "fail".
 *
 * Only the first max_signatures DKIM-Signature fields (top down: the newest first) are
 * checked; the others are counted in not_checked, never looked up. Their keys are
 * asked for together, in one batch, when the header ends.
 *
 * What can go wrong: any bytes in any header (malformed signatures are permerror,
 * duplicate tags too: RFC 6376 3.2); the key source failing (temperror); out of memory
 * (results with an error text, or NULL from the constructors). Nothing here exits; no
 * input reaches libopendkim's assertions (empty header fields, NULL buffers).
 */
#ifndef POSTURE_DKIM_VERIFY_H
#define POSTURE_DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "record/dkim_sig.h"
#include "dns/dns.h"
#include "posture.h"

#define DKIM_VERIFY_MAX_SIGNATURES	100	/* ceiling of max_signatures */
#define DKIM_VERIFY_MAX_HEADER_BYTES	(1024 * 1024)	/* header block verified at most */
#define DKIM_VERIFY_B_PREFIX		DKIM_SIG_B_PREFIX	/* characters of b= reported (header.b) */

/* RFC 8601 2.7.1 result words. */
enum dkim_verify_word {
	DKIM_VERIFY_NONE, DKIM_VERIFY_PASS, DKIM_VERIFY_FAIL, DKIM_VERIFY_POLICY,
	DKIM_VERIFY_NEUTRAL, DKIM_VERIFY_TEMPERROR, DKIM_VERIFY_PERMERROR
};

/*
 * The key source: TXT answers for n names (n <= max_signatures), filled into out[i]
 * for names[i]; the verifier clears them with dns_answer_clear(). Never more than
 * timeout_ms. Returns 0, or -1 (the answers it did fill are still read).
 */
typedef int (*dkim_verify_lookup_fn)(void *arg, const char *const *names, size_t n,
				     unsigned timeout_ms, struct dns_answer *out);

struct dkim_verify_config {
	unsigned max_signatures;	/* MaxSignatures: 1..DKIM_VERIFY_MAX_SIGNATURES */
	unsigned key_timeout_ms;	/* all key lookups of one message */
	dkim_verify_lookup_fn lookup;	/* required: dkim_verify_engine_lookup, or a test's */
	void *lookup_arg;		/* borrowed: the engine, or the test's table */
};

/* One checked signature. Strings are printable ASCII without spaces, maybe "". */
struct dkim_verify_sig {
	enum dkim_verify_word result;
	char domain[254];		/* d= as written: normalize before comparing */
	char selector[254];		/* s= */
	char algorithm[32];		/* a= */
	unsigned key_bits;		/* RSA modulus bits, 256 for Ed25519; 0 unknown */
	char header_b[DKIM_VERIFY_B_PREFIX + 1];
	char reason[160];		/* why, with the RFC section; "" for a plain pass */
	const char *note;		/* a short fixed comment for Authentication-Results
					 * ("key revoked"), or NULL: never sender text */
	bool body_length;		/* l= present: only part of the body is signed */
	bool from_signed;		/* h= lists From */
	bool testing;			/* the key says t=y (RFC 6376 3.6.1) */
	/*
	 * The cryptography held (header and body hashes): true for pass, and for policy
	 * over rsa-sha1 or a short key. Such a selector exists and its key signs: the milter
	 * may learn it (cache_posture_learn_selector). DMARC counts result == pass only.
	 */
	bool verified;
};

struct dkim_verify_results {
	/*
	 * The message as a whole: none without signatures; else pass if any passed, else
	 * the first of temperror, fail, policy, permerror, neutral that some signature got.
	 */
	enum dkim_verify_word summary;
	struct dkim_verify_sig *sigs;	/* owned by the verifier; header order, top first */
	size_t nsigs;
	unsigned seen;			/* DKIM-Signature fields in the header */
	unsigned not_checked;		/* of those, beyond max_signatures */
	char error[160];		/* a message-level problem, or "" */
};

struct dkim_verify_lib;
struct dkim_verify;

/* Defaults: max_signatures 5, key_timeout_ms 5000, no lookup. */
void dkim_verify_config_init(struct dkim_verify_config *cfg);

/*
 * The library (libopendkim's DKIM_LIB and its callbacks); cfg is copied. NULL with a
 * one-line reason in err (no lookup, a limit out of range, libopendkim failing).
 */
struct dkim_verify_lib *dkim_verify_lib_new(const struct dkim_verify_config *cfg,
					    char *err, size_t errlen);
/* Free the library once no verifier made from it is left. NULL is fine. */
void dkim_verify_lib_free(struct dkim_verify_lib *lib);

/* A verifier for one message; jobid (the queue id, may be NULL) names it in errors. */
struct dkim_verify *dkim_verify_new(struct dkim_verify_lib *lib, const char *jobid);
void dkim_verify_free(struct dkim_verify *v);

/*
 * One header field: its name and its value as the MTA sent it (with SMFIP_HDR_LEADSPC
 * the value keeps the space after the colon; without it, pass " " + value). Folds in
 * the value may be bare LF (milter) or CRLF: bare LF becomes CRLF, as c=simple needs.
 * Returns 0, or -1 when the field is not verified (a name that is not a field name,
 * after the header ended, over DKIM_VERIFY_MAX_HEADER_BYTES): the caller goes on.
 */
int dkim_verify_header(struct dkim_verify *v, const char *name, const char *value);
/* The same with lengths: name and value need not be NUL-terminated (no NUL inside). */
int dkim_verify_header_n(struct dkim_verify *v, const char *name, size_t nlen,
			 const char *value, size_t vlen);
/* End of header; key lookups happen here. Returns 0, or -1 (eom reports why). */
int dkim_verify_eoh(struct dkim_verify *v);
/* A body chunk (CRLF line ends). Returns 0, or -1 when it was not taken. */
int dkim_verify_body(struct dkim_verify *v, const void *chunk, size_t len);
/* Verify and return the results (owned by v; NULL only when v is NULL). */
const struct dkim_verify_results *dkim_verify_eom(struct dkim_verify *v);

/*
 * Header, end of header, body and eom over len bytes of a whole RFC 5322 message with
 * LF or CRLF line ends (a file given to posture-check --message). Fields without a
 * colon, or whose name is not a field name, are skipped.
 */
const struct dkim_verify_results *dkim_verify_message(struct dkim_verify *v,
						      const void *msg, size_t len);

/* Where dkim_verify_msg_feed() hands a message's parts (each returns 0 or -1). */
struct dkim_verify_sink {
	int (*header)(void *arg, const char *name, size_t nlen, const char *value,
		      size_t vlen);
	int (*eoh)(void *arg);
	int (*body)(void *arg, const void *chunk, size_t len);
};

/* Split a whole message (LF or CRLF) into fields, end of header and CRLF body chunks. */
void dkim_verify_msg_feed(const void *msg, size_t len, const struct dkim_verify_sink *sink,
			  void *arg);

/* "none", "pass", "fail", "policy", "neutral", "temperror", "permerror". */
const char *dkim_verify_word(enum dkim_verify_word w);

/* The production key source: lookup_arg is the engine (posture_lookup_txt). */
static inline int
dkim_verify_engine_lookup(void *engine, const char *const *names, size_t n,
			  unsigned timeout_ms, struct dns_answer *out)
{
	return posture_lookup_txt((struct posture_engine *)engine, names, n, timeout_ms, out);
}

#endif
