/*
 * check_dnssec.c - the dnssec family: are the domain's answers signed and valid?
 *
 *   check_dnssec()          the MX and TXT answers at the domain: secure, bogus, neither
 *   check_dnssec_applies()  whether the answers carry a DNSSEC status at all (also dane)
 *
 * Rounds and queries: none of its own. It reads the domain's MX (check_mx) and TXT
 * (check_spf), which the driver asks once for all checks in the first round.
 *
 * Decisions (codes in codes.h):
 * - DNSSEC no: the family is not checked (left out of every report). A resolver off
 *   loopback, whose AD bit cannot be trusted: unknown, "resolver not local". A resolver
 *   that did not validate the root DNSKEY at start-up (engine.c): unknown, "resolver
 *   does not validate", rather than every domain reported unsigned.
 * - DNSSEC_BOGUS (error): an answer failed validation (dns.h `bogus`: the SERVFAIL
 *   answered with CD=1, or an Extended DNS Error 6-12, RFC 8914). One finding per
 *   answer; the result is broken, never temperror: senders that validate cannot use
 *   the domain's records at all.
 * - A lookup that failed otherwise (SERVFAIL, timeout, budget): temperror.
 * - DNSSEC_NONE (info): no answer was secure: the zone is not signed, or its
 *   delegation has no DS (an insecure answer looks the same to a stub). Result none.
 *   When one answer is secure and another not (a CNAME into an unsigned zone), the
 *   finding names the insecure one and the result follows the info severity.
 * - Both secure (NODATA and NXDOMAIN too: authenticated denial): ok, "signed".
 * - Change tracking: record "dnssec" with the value "signed", "unsigned" or "bogus";
 *   nothing when a lookup failed.
 *
 * What can go wrong: nothing beyond the answers: names printed are the domain's own
 * (normalized), codes come from the resolver.
 */
#include <stdio.h>

#include "check/checks.h"

/* Whether an answer is certain: records, or a certain "none". */
static bool
answer_certain(const struct dns_answer *a)
{
	return a->status == DNS_OK || a->status == DNS_NODATA || a->status == DNS_NXDOMAIN;
}

/* Set the result and fact when answers carry no DNSSEC status; true when they do. */
bool
check_dnssec_applies(struct eval_ctx *ctx)
{
	switch (eval_dnssec(ctx)) {
	case EVAL_DNSSEC_VALIDATING:
		return true;
	case EVAL_DNSSEC_UNTRUSTED:
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "resolver not local");
		return false;
	case EVAL_DNSSEC_NOT_VALIDATING:
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "resolver does not validate");
		return false;
	case EVAL_DNSSEC_OFF:
		break;
	}
	eval_set_result(ctx, PR_NOT_CHECKED);
	return false;
}

/* The dnssec family: see the header comment for the decisions. */
enum check_status
check_dnssec(struct eval_ctx *ctx)
{
	const char *domain = eval_domain(ctx);
	const struct dns_answer *a[2];
	size_t i, nsecure = 0, nbogus = 0;

	if (!check_dnssec_applies(ctx))
		return CHECK_DONE;
	a[0] = eval_dns(ctx, domain, DNS_T_MX);
	a[1] = eval_dns(ctx, domain, DNS_T_TXT);
	if (a[0] == NULL || a[1] == NULL)
		return CHECK_PENDING;
	for (i = 0; i < 2; i++) {
		if (!a[i]->bogus)
			continue;
		nbogus++;
		if (a[i]->has_ede)
			eval_finding(ctx, PC_DNSSEC_BOGUS, "the %s answer of %s fails DNSSEC "
			    "validation (Extended DNS Error %u): validating senders cannot use "
			    "it (RFC 4035 5.5, RFC 8914)", dns_type_str(a[i]->qtype), domain,
			    (unsigned)a[i]->ede);
		else
			eval_finding(ctx, PC_DNSSEC_BOGUS, "the %s answer of %s fails DNSSEC "
			    "validation (SERVFAIL, an answer without validation): validating "
			    "senders cannot use it (RFC 4035 5.5)", dns_type_str(a[i]->qtype),
			    domain);
	}
	if (nbogus > 0) {
		eval_note_record(ctx, "dnssec", "bogus");
		eval_set_fact(ctx, "bogus");
		return CHECK_DONE;
	}
	for (i = 0; i < 2; i++) {
		if (!answer_certain(a[i])) {
			eval_set_result(ctx, a[i]->status == DNS_ERROR ? PR_UNKNOWN :
			    PR_TEMPERROR);
			eval_set_fact(ctx, "%s %s", dns_type_str(a[i]->qtype),
			    dns_status_str(a[i]->status));
			return CHECK_DONE;
		}
		nsecure += a[i]->secure;
	}
	if (nsecure == 2) {
		eval_note_record(ctx, "dnssec", "signed");
		eval_set_fact(ctx, "signed");
		return CHECK_DONE;
	}
	eval_note_record(ctx, "dnssec", nsecure == 0 ? "unsigned" : "partly signed");
	if (nsecure == 0) {
		eval_finding(ctx, PC_DNSSEC_NONE, "the answers of %s are not signed (no "
		    "DNSSEC): they can be forged on the way to a sender (RFC 4033)", domain);
		eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "unsigned");
		return CHECK_DONE;
	}
	eval_finding(ctx, PC_DNSSEC_NONE, "the %s answer of %s is not signed while the %s "
	    "answer is (an alias into an unsigned zone?)",
	    dns_type_str(a[0]->secure ? a[1]->qtype : a[0]->qtype), domain,
	    dns_type_str(a[0]->secure ? a[0]->qtype : a[1]->qtype));
	eval_set_fact(ctx, "partly signed");
	return CHECK_DONE;
}
