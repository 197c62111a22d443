/*
 * dmarc_verify.h - DMARC for one message (RFC 9989): identifier alignment and the
 * policy that applies, over eval_dns() answers.
 *
 *   dmarc_verify()  policy discovery (dmarc_discover.c), alignment of the SPF and DKIM
 *                   identifiers with the RFC5322.From domain, result and disposition
 *
 * Alignment is ours, not libopendmarc's (ARCHITECTURE.md, Verification libraries: its test drops a one-character
 * leftmost label, treats any parent/child pair as aligned in relaxed mode and passes
 * sub.example.com for example.com in strict mode). Strict: the identifier equals the
 * From domain. Relaxed: both have the same Organizational Domain, found by the RFC
 * 9989 DNS Tree Walk for each; an identifier outside the From domain's Organizational
 * Domain cannot have the same one and is not walked at all.
 */
#ifndef POSTURE_DMARC_VERIFY_H
#define POSTURE_DMARC_VERIFY_H

#include "record/dmarc_parse.h"
#include "eval/eval.h"

#define DMARC_VERIFY_MAX_DKIM 8

enum dmarc_verdict {
	DMARC_V_NONE,		/* no policy record */
	DMARC_V_PASS,
	DMARC_V_FAIL,
	DMARC_V_TEMPERROR,	/* a needed lookup failed */
	DMARC_V_PERMERROR	/* the applicable record cannot be used */
};

struct dmarc_verify_input {
	const char *from_domain;	/* normalized author domain */
	const char *spf_domain;		/* MAIL FROM domain (HELO for <>), or NULL */
	bool spf_pass;
	const char *dkim_domains[DMARC_VERIFY_MAX_DKIM];	/* d= of passing signatures */
	size_t ndkim;
};

struct dmarc_verify_result {
	enum dmarc_verdict result;
	char policy_domain[256];	/* where the applicable record was found */
	char org_domain[256];		/* of the From domain, by the Tree Walk */
	enum dmarc_policy policy;	/* the applicable p, sp or np */
	const char *policy_tag;		/* "p", "sp" or "np" */
	enum dmarc_policy disposition;	/* what the record asks for this message */
	bool testing;			/* t=y: disposition lowered one step (RFC 9989 4.7) */
	int pct;			/* legacy pct, -1 when absent: reported, not applied */
	bool spf_aligned, dkim_aligned;
	char aligned_dkim_domain[256];
	const char *reason;		/* static: why not pass, for comments */
};

/* Decide DMARC for a message; CHECK_PENDING while answers are missing. */
enum check_status dmarc_verify(struct eval_ctx *ctx, const struct dmarc_verify_input *in,
			       struct dmarc_verify_result *out);

/* "pass", "fail", "none", "temperror", "permerror" (RFC 8601 words). */
const char *dmarc_verdict_word(enum dmarc_verdict v);

#endif
