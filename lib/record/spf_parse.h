/*
 * spf_parse.h - the SPF record grammar (RFC 7208 4.5, 5, 6, 7): bytes in, terms out.
 *
 *   spf_is_record()       does a TXT record claim to be SPF ("v=spf1" then SP or end)
 *   spf_parse()           parse a whole record into terms, collecting every error
 *   spf_parse_rr()        join a TXT record's character-strings (RFC 7208 3.3) and
 *                         parse, noting terms that straddle a string boundary
 *   spf_macro_validate()  check a macro-string (RFC 7208 7.1)
 *
 * No I/O. The same parse serves the posture lint (check_spf.c) and, later, message
 * verification. Errors never stop the parse: each is recorded with its offset, and
 * the record is then a permerror as a whole (RFC 7208 4.6).
 */
#ifndef POSTURE_SPF_PARSE_H
#define POSTURE_SPF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

#define SPF_MAX_TERMS 256	/* beyond: an error, the rest is not parsed */
#define SPF_MAX_ERRORS 16

enum spf_qualifier { SPF_Q_PASS, SPF_Q_FAIL, SPF_Q_SOFTFAIL, SPF_Q_NEUTRAL };

enum spf_term_kind {
	SPF_ALL, SPF_INCLUDE, SPF_A, SPF_MX, SPF_PTR, SPF_IP4, SPF_IP6, SPF_EXISTS,
	SPF_REDIRECT, SPF_EXP, SPF_UNKNOWN_MOD	/* modifiers: name=value */
};

struct spf_term {
	enum spf_term_kind kind;
	enum spf_qualifier qualifier;	/* mechanisms; '+' when not written */
	char *domain_spec;		/* owned; NULL when absent (a, mx, ptr: current domain) */
	char *mod_name;			/* owned; SPF_UNKNOWN_MOD only */
	bool has_macros;		/* domain_spec expands per message (other than %%, %_, %-) */
	uint8_t addr[16];		/* ip4: first 4 bytes; ip6: 16 */
	int cidr4, cidr6;		/* dual-cidr-length; -1 when absent */
	size_t offset, length;		/* of the term text in the joined record */
};

struct spf_error {
	size_t offset;			/* in the joined record */
	char term[64];			/* the offending text, sanitized, possibly cut */
	const char *reason;		/* static */
};

struct spf_record {
	struct spf_term *terms;		/* owned */
	size_t nterms;
	int redirect, exp;		/* index of the modifier term, -1 when absent */
	struct spf_error errors[SPF_MAX_ERRORS];
	size_t nerrors;			/* may exceed SPF_MAX_ERRORS: only the first are kept */
	size_t length;			/* of the joined record, in bytes */
	size_t straddles;		/* terms that run across a character-string boundary */
	size_t straddle_offset;		/* offset of the first such term */
};

/* RFC 7208 4.5: "v=spf1" (case-insensitive) followed by a space or the end. */
bool spf_is_record(const uint8_t *txt, size_t len);

/* Parse len bytes ("v=spf1 ..."). 0, or -1 on OOM (out then holds nothing to free). */
int spf_parse(const char *rec, size_t len, struct spf_record *out);

/* Join the character-strings of a TXT/SPF record and parse them. 0, or -1 on OOM. */
int spf_parse_rr(const struct dns_rr *rr, struct spf_record *out);

/*
 * Check a macro-string (RFC 7208 7.1) of len bytes; has_macros says whether it
 * expands per message (anything but %%, %_ and %-). 0, or -1 with a static reason.
 */
int spf_macro_validate(const char *s, size_t len, bool *has_macros, const char **why);

void spf_record_free(struct spf_record *rec);

/* "include", "ip4", "redirect", ... */
const char *spf_term_name(enum spf_term_kind kind);

#endif
