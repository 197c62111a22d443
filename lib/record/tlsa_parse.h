/*
 * tlsa_parse.h - one TLSA record's RDATA (RFC 6698 2.1) into a struct; no I/O.
 *
 *   tlsa_parse()   usage, selector, matching type, association data; syntax problems
 *
 * RDATA: certificate usage (1 octet), selector (1), matching type (1), then the
 * certificate association data. What RFC 7672 (DANE for SMTP) makes of it:
 * - usage: PKIX-TA(0) and PKIX-EE(1) are not for SMTP (RFC 7672 3.1.3): they parse
 *   but are not usable; DANE-TA(2) and DANE-EE(3) are; anything else is unknown,
 *   which RFC 6698 says to treat as unusable (TLSA_UNKNOWN_USAGE).
 * - selector: 0 full certificate, 1 SubjectPublicKeyInfo; other values unknown.
 * - matching type: 0 exact, 1 SHA-256 (32 octets of data), 2 SHA-512 (64); other
 *   values unknown, and a digest of the wrong length is a syntax error.
 * - data: at least one octet (RFC 6698 2.1.4 leaves none meaningless).
 *
 * What can go wrong: any bytes are accepted; too short RDATA is a syntax problem,
 * data is borrowed from the caller's buffer (never copied, never read past len).
 */
#ifndef POSTURE_TLSA_PARSE_H
#define POSTURE_TLSA_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tlsa_usage { TLSA_PKIX_TA = 0, TLSA_PKIX_EE = 1, TLSA_DANE_TA = 2, TLSA_DANE_EE = 3 };

enum tlsa_problem {
	TLSA_OK,
	TLSA_SHORT,		/* fewer than 4 octets: no association data */
	TLSA_UNKNOWN_USAGE,	/* usage above 3 */
	TLSA_UNKNOWN_SELECTOR,	/* selector above 1 */
	TLSA_UNKNOWN_MATCHING,	/* matching type above 2 */
	TLSA_DIGEST_LENGTH	/* SHA-256 data not 32 octets, SHA-512 not 64 */
};

struct tlsa_record {
	uint8_t usage, selector, mtype;
	const uint8_t *data;	/* borrowed from the RDATA */
	size_t len;
};

/* Parse rdata into out (zeroed first); the problem, TLSA_OK when none. */
enum tlsa_problem tlsa_parse(const uint8_t *rdata, size_t len, struct tlsa_record *out);
/* A phrase for a problem ("unknown selector"). */
const char *tlsa_problem_str(enum tlsa_problem p);
/* Whether a record that parsed is usable for SMTP: DANE-TA(2) or DANE-EE(3). */
bool tlsa_usable_for_smtp(const struct tlsa_record *r);

#endif
