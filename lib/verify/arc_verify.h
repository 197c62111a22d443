/*
 * arc_verify.h - ARC chain validation of one message (RFC 8617 5.2): the ARC sets'
 * structure, every ARC-Seal, the newest ARC-Message-Signature (and the older ones for
 * oldest-pass), keys through the DKIM verifier's key source (our resolver and cache).
 *
 *   arc_verify_new()       one per message, on a DKIM library (its key source, its
 *                          key timeout and its table of parsed key records); _free()
 *   arc_verify_header_n()  each header field as the MTA sent it, in order
 *   arc_verify_eoh()       end of header: structure checked, keys asked in one batch
 *   arc_verify_body()      body chunks, CRLF line ends
 *   arc_verify_eom()       verify; the results live until arc_verify_free()
 *   arc_verify_message()   the same over a whole message in memory (posture-check)
 *   arc_verify_word()      "none", "pass", "fail"
 *   arc_verify_vouching()  the sealer that vouches for a DMARC pass of a From domain
 *
 * Written here, not on libopendkim (ARCHITECTURE.md, Verification libraries): 2.11
 * has no ARC, and its verifier would take an ARC-Message-Signature only renamed
 * DKIM-Signature, where i= (an AUID there, an instance here) makes it refuse the
 * signature, and the ARC-Seal's canonicalization over sets is no DKIM at all. So the
 * canonicalization (RFC 6376 3.4: simple and relaxed, header and body) is ours,
 * bounded, and the cryptography is OpenSSL's EVP (rsa-sha256; ed25519-sha256 as RFC
 * 8463 defines it for DKIM). Keys: record/dkim_key.c reads them (RFC 8301: RSA under
 * 1024 bits is refused, the key type must match a=).
 *
 * Result: "none" without ARC fields; "fail" with the first reason (structure, cv=,
 * the newest AMS, a seal, a key that cannot be had, more than ARC_MAX_INSTANCES sets,
 * a field over ARC_FIELD_MAX bytes, ARC fields over ARC_VERIFY_MAX_CHAIN_BYTES in all);
 * else "pass". A key lookup that failed is a fail with "temporary" in the reason:
 * RFC 8617 has no temperror word for the chain. oldest-pass (RFC 8617 5.2 step 5):
 * 0 when every AMS verifies, else the lowest instance from which all newer AMS verify.
 * An AMS with l= is not supported (fails: RFC 8617 gives it no use).
 *
 * Bounds: at most ARC_MAX_INSTANCES sets (so at most 50 seals and 50 AMS verified, 100
 * keys asked in one batch), ARC field bytes capped (a seal hashes the sets below it:
 * at most 50 * ARC_VERIFY_MAX_CHAIN_BYTES bytes of seal hashing), the header block at
 * DKIM_VERIFY_MAX_HEADER_BYTES, the body hashed once per canonicalization (two
 * SHA-256 streams) and only when a chain is there. Nothing is kept for unsigned mail
 * but the header fields' copies.
 *
 * What can go wrong: any bytes in any header (bounded, parsed by record/arc_parse.c),
 * the key source failing (fail, "temporary"), out of memory (fail with that reason).
 */
#ifndef POSTURE_ARC_VERIFY_H
#define POSTURE_ARC_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "record/arc_parse.h"
#include "verify/dkim_verify.h"

#define ARC_VERIFY_MAX_CHAIN_BYTES	(128 * 1024)	/* all ARC field bytes of a message */

enum arc_verify_word { ARC_VERIFY_NONE, ARC_VERIFY_PASS, ARC_VERIFY_FAIL };

/* One ARC set as found (filled as far as the fields could be read). */
struct arc_verify_set {
	unsigned instance;
	char sealer[254];		/* d= of the ARC-Seal, sanitized */
	char ams_domain[254];		/* d= of the ARC-Message-Signature */
	enum arc_cv cv;
	bool ams_verified;		/* checked and valid (all AMS down to oldest-pass) */
	bool seal_verified;
	struct arc_aar aar;		/* what its ARC-Authentication-Results records */
};

struct arc_verify_results {
	enum arc_verify_word result;
	unsigned count;			/* instances (N) when the structure held, else 0 */
	unsigned oldest_pass;		/* see above; meaningful for pass */
	unsigned fields;		/* ARC fields seen */
	char reason[160];		/* why fail, with the RFC section; "" otherwise */
	struct arc_verify_set *sets;	/* count entries, sets[i] is instance i + 1 */
};

struct arc_verify;

/* A verifier for one message on lib (borrowed; outlives it). NULL on OOM. */
struct arc_verify *arc_verify_new(struct dkim_verify_lib *lib);
void arc_verify_free(struct arc_verify *v);

/*
 * One header field (name, value as sent: with SMFIP_HDR_LEADSPC the value keeps its
 * leading space; folds LF or CRLF). Returns 0, or -1 when not kept (after the header
 * ended, over the header bound: the chain then fails if there is one).
 */
int arc_verify_header_n(struct arc_verify *v, const char *name, size_t nlen,
			const char *value, size_t vlen);
/* End of header: structure, key lookups. 0, or -1 (eom says why). */
int arc_verify_eoh(struct arc_verify *v);
/* A body chunk (CRLF line ends). */
int arc_verify_body(struct arc_verify *v, const void *chunk, size_t len);
/* Verify and return the results (owned by v; NULL only when v is NULL). */
const struct arc_verify_results *arc_verify_eom(struct arc_verify *v);
/* Header, end of header, body and eom over a whole message (LF or CRLF). */
const struct arc_verify_results *arc_verify_message(struct arc_verify *v, const void *msg,
						    size_t len);

/* "none", "pass", "fail". */
const char *arc_verify_word(enum arc_verify_word w);

/*
 * For a passing chain: the sealer (d= of the ARC-Seal) of the oldest set whose
 * ARC-Authentication-Results records dmarc=pass for from_domain, or dkim=pass or
 * spf=pass with that very domain (strict alignment), when that sealer is in trusted
 * (n names, compared ignoring case). NULL otherwise: untrusted sealers change nothing.
 */
const char *arc_verify_vouching(const struct arc_verify_results *r, const char *from_domain,
				const char *const *trusted, size_t ntrusted);

#endif
