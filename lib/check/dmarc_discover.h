/*
 * dmarc_discover.h - DMARC policy discovery and the Organizational Domain by the DNS
 * Tree Walk of RFC 9989 4.10, 4.10.1 and 4.10.2, over eval_dns() answers.
 *
 *   dmarc_discover()  ask for every _dmarc name of the walk in one round, then decide
 *
 * The walk's names are known from the domain alone, so all of them are asked at once
 * (one round) even though the walk may stop early: the answers past the stop are
 * simply not used. Only when psd=y is found at a name whose child on the way down was
 * skipped (domains of 9+ labels) is one more query needed (the Organizational
 * Domain's own record, RFC 9989 4.10.1).
 *
 * Which record applies (RFC 9989 4.10.1): the Author Domain's own, else its
 * Organizational Domain's, else its Public Suffix Domain's (psd=y). Not simply the first
 * record going up: a record between the domain and its Organizational Domain never
 * applies to the domain (hence RFC 9989 4.7 "sp": sp on such records is ignored).
 *
 * What can go wrong: answers may be failures (temperror is reported, never guessed
 * around), hold several records (discarded as a set), or hold junk (counted, with a
 * sanitized sample). The result is a plain struct, large (about 80 KB): allocate it.
 * Only the levels the walk used (0..nlevels-1) are written: the others keep whatever
 * the memory held, and are never to be read.
 */
#ifndef POSTURE_DMARC_DISCOVER_H
#define POSTURE_DMARC_DISCOVER_H

#include "record/dmarc_parse.h"
#include "eval/eval.h"

/* The walk's queries: the domain plus at most 7 ancestors (RFC 9989 4.10 step 4), plus
 * possibly the Organizational Domain skipped by the jump. */
#define DMARC_MAX_LEVELS 9

struct dmarc_level {
	char domain[256];		/* the name the record belongs to (without _dmarc.) */
	unsigned labels;
	bool asked;			/* a query was made (false: _dmarc.name too long) */
	enum dns_status status;		/* of the TXT query */
	size_t ncandidates;		/* TXT records starting with v=DMARC1 */
	size_t nmalformed;		/* TXT records that look like DMARC but are not */
	char malformed_text[72];	/* first malformed one, sanitized */
	const char *malformed_reason;	/* static */
	bool has_record;		/* exactly one candidate: record is valid */
	struct dmarc_record record;
};

struct dmarc_discovery {		/* field order: see discovery_reset() */
	size_t nlevels;
	struct dmarc_level level[DMARC_MAX_LEVELS];
	bool temperror;			/* a needed query failed */
	size_t failed_level;		/* which, when temperror */
	size_t walked;			/* levels the walk used: 0..walked-1 (stops at psd=y/n) */
	int policy_level;		/* level whose record applies, -1 when none */
	bool inherited;			/* policy_level != 0 */
	bool policy_from_psd;		/* the record of a psd=y Public Suffix Domain applies */
	char org_domain[256];		/* Organizational Domain by the Tree Walk (4.10.2) */
	bool org_has_record;
	char psl_org_domain[256];	/* psl_registrable_domain(); "" without PSL or none */
};

/*
 * Discover the policy for domain (normalized, lower case). CHECK_PENDING when answers
 * are still missing (every missing one is queued before returning), CHECK_DONE when
 * out is filled (possibly with temperror set).
 */
enum check_status dmarc_discover(struct eval_ctx *ctx, const char *domain,
				 struct dmarc_discovery *out);

/* Whether name equals ancestor or lies below it (both normalized). */
bool dmarc_name_within(const char *name, const char *ancestor);

#endif
