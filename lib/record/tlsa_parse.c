/*
 * tlsa_parse.c - TLSA RDATA (see tlsa_parse.h).
 *
 *   tlsa_parse(), tlsa_problem_str(), tlsa_usable_for_smtp()
 *
 * What can go wrong: RDATA shorter than its fixed fields (TLSA_SHORT); values this
 * code does not know (reported, never guessed); digest lengths that cannot be the
 * hash named. Reads go through the bounded reader.
 */
#include <string.h>

#include "record/tlsa_parse.h"
#include "util/buf.h"

#define SHA256_LEN	32
#define SHA512_LEN	64

/* Parse rdata into out; the first problem found, TLSA_OK when none. */
enum tlsa_problem
tlsa_parse(const uint8_t *rdata, size_t len, struct tlsa_record *out)
{
	struct pt_buf b;

	memset(out, 0, sizeof(*out));
	pt_buf_init(&b, rdata, len);
	if (len < 4 || pt_buf_u8(&b, &out->usage) < 0 || pt_buf_u8(&b, &out->selector) < 0 ||
	    pt_buf_u8(&b, &out->mtype) < 0)
		return TLSA_SHORT;
	out->len = pt_buf_remaining(&b);
	if (pt_buf_take(&b, out->len, &out->data) < 0)
		return TLSA_SHORT;
	if (out->usage > TLSA_DANE_EE)
		return TLSA_UNKNOWN_USAGE;
	if (out->selector > 1)
		return TLSA_UNKNOWN_SELECTOR;
	if (out->mtype > 2)
		return TLSA_UNKNOWN_MATCHING;
	if ((out->mtype == 1 && out->len != SHA256_LEN) ||
	    (out->mtype == 2 && out->len != SHA512_LEN))
		return TLSA_DIGEST_LENGTH;
	return TLSA_OK;
}

/* A phrase for a problem. */
const char *
tlsa_problem_str(enum tlsa_problem p)
{
	switch (p) {
	case TLSA_OK:			return "valid";
	case TLSA_SHORT:		return "too short";
	case TLSA_UNKNOWN_USAGE:	return "unknown certificate usage";
	case TLSA_UNKNOWN_SELECTOR:	return "unknown selector";
	case TLSA_UNKNOWN_MATCHING:	return "unknown matching type";
	case TLSA_DIGEST_LENGTH:	return "digest of the wrong length";
	}
	return "?";
}

/* DANE-TA(2) or DANE-EE(3): the usages RFC 7672 3.1 lets SMTP use. */
bool
tlsa_usable_for_smtp(const struct tlsa_record *r)
{
	return r->usage == TLSA_DANE_TA || r->usage == TLSA_DANE_EE;
}
