/*
 * check_tlsrpt.c - the TLS-RPT family (RFC 8460): the _smtp._tls TXT record.
 *
 *   check_tlsrpt()   _smtp._tls and _mta-sts TXT in one round
 *
 * One round: _smtp._tls.<domain> TXT, and _mta-sts.<domain> TXT (the MTA-STS check's
 * own question: no extra query) to know whether reports matter more.
 *
 * Decisions (codes in codes.h, severities there unless said here):
 * - TXT records not beginning with "v=TLSRPTv1" are ignored (RFC 8460 3); one that
 *   looks like an attempt (v=tlsrpt in another case or spacing) is TLSRPT_SYNTAX.
 * - No v=TLSRPTv1 record: TLSRPT_NONE, result none; a warn when the domain publishes
 *   an MTA-STS record (a v=STSv1 TXT at _mta-sts): its policy failures then reach
 *   nobody (RFC 8460 1, RFC 8461 6); info otherwise.
 * - Two or more records: TLSRPT_MULTIPLE (senders assume none, RFC 8460 3).
 * - One record: TLSRPT_SYNTAX per problem (tlsrpt_parse.h): error when senders have no
 *   usable rua, warn for a bad URI next to a good one.
 * - TXT lookup failure: temperror (unknown for a local resolver error), no findings.
 * - Change tracking: record "tls-rpt", the v=TLSRPTv1 TXT records (strings joined,
 *   several sorted, " | "); "" when none; nothing when the lookup failed.
 *
 * What can go wrong: every value printed is sanitized by the parser or a validated
 * name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks.h"
#include "record/mtasts_parse.h"
#include "record/tlsrpt_parse.h"
#include "util/strbuf.h"

/* Counts of TLS-RPT TXT records and the first candidate's parse. */
struct rpt_txt {
	size_t ncand, nlook;
	struct tlsrpt_record rec;
	char look[64];
	bool oom;
};

/* Whether a lookup failed: neither data nor a certain "none". */
static bool
failed(const struct dns_answer *a)
{
	return a->status != DNS_OK && a->status != DNS_NODATA && a->status != DNS_NXDOMAIN;
}

/* Classify the TXT records at _smtp._tls and parse the first candidate. */
static void
read_txt(const struct dns_answer *txt, struct rpt_txt *rt)
{
	size_t i, n;
	char *text;

	memset(rt, 0, sizeof(*rt));
	for (i = 0; txt->status == DNS_OK && i < txt->count; i++) {
		if (txt->rrs[i].type != DNS_T_TXT)
			continue;
		text = dns_txt_join(&txt->rrs[i], &n);
		if (text == NULL) {
			rt->oom = true;
			return;
		}
		switch (tlsrpt_txt_classify(text, n)) {
		case TLSRPT_TXT_CANDIDATE:
			if (rt->ncand++ == 0)
				(void)tlsrpt_parse(text, n, &rt->rec);
			break;
		case TLSRPT_TXT_LOOKALIKE:
			if (rt->nlook++ == 0)
				pt_sanitize(text, n, rt->look, sizeof(rt->look));
			break;
		default:
			break;
		}
		free(text);
	}
}

/* Whether a TXT record is a TLSRPTv1 record: the records noted as "tls-rpt". */
static bool
rpt_keep(const char *text, size_t len)
{
	return tlsrpt_txt_classify(text, len) == TLSRPT_TXT_CANDIDATE;
}

/* Whether a _mta-sts answer holds a v=STSv1 record. */
static bool
mtasts_published(const struct dns_answer *sts)
{
	bool yes = false;
	size_t i, n;
	char *text;

	for (i = 0; sts->status == DNS_OK && i < sts->count && !yes; i++) {
		if (sts->rrs[i].type != DNS_T_TXT || (text = dns_txt_join(&sts->rrs[i], &n)) == NULL)
			continue;
		yes = mtasts_txt_classify(text, n) == MTASTS_TXT_CANDIDATE;
		free(text);
	}
	return yes;
}

/* The TLS-RPT family: see the header comment for the decisions. */
enum check_status
check_tlsrpt(struct eval_ctx *ctx)
{
	const char *domain = eval_domain(ctx);
	const struct dns_answer *txt, *sts;
	const struct tlsrpt_problem *p;
	char name[300], stsname[300];
	struct rpt_txt rt;
	size_t i;
	bool sts_on;

	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	snprintf(stsname, sizeof(stsname), "_mta-sts.%s", domain);
	txt = eval_dns(ctx, name, DNS_T_TXT);
	sts = eval_dns(ctx, stsname, DNS_T_TXT);
	if (txt == NULL || sts == NULL)
		return CHECK_PENDING;
	if (failed(txt)) {
		eval_set_result(ctx, txt->status == DNS_ERROR ? PR_UNKNOWN : PR_TEMPERROR);
		eval_set_fact(ctx, "TXT %s", dns_status_str(txt->status));
		return CHECK_DONE;
	}
	eval_note_txt(ctx, "tls-rpt", txt, rpt_keep, NULL);
	read_txt(txt, &rt);
	if (rt.oom) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		return CHECK_DONE;
	}
	if (rt.ncand == 0) {
		if (rt.nlook > 0)
			eval_finding(ctx, PC_TLSRPT_SYNTAX, "TXT \"%s\" at %s: a TLS-RPT record "
			    "must begin with v=TLSRPTv1 (case-sensitive): senders ignore it "
			    "(RFC 8460 3)", rt.look, name);
		sts_on = mtasts_published(sts);
		if (sts_on)
			eval_finding_sev(ctx, PC_TLSRPT_NONE, SEV_WARN, "no TLS-RPT record at %s "
			    "while MTA-STS is published: its delivery failures reach nobody "
			    "(RFC 8460 3)", name);
		else
			eval_finding(ctx, PC_TLSRPT_NONE, "no TLS-RPT record at %s: TLS delivery "
			    "failures are not reported (RFC 8460 3)", name);
		if (rt.nlook == 0)
			eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "none");
		return CHECK_DONE;
	}
	if (rt.ncand > 1) {
		eval_finding(ctx, PC_TLSRPT_MULTIPLE, "%zu v=TLSRPTv1 records at %s: senders "
		    "assume there is none (RFC 8460 3)", rt.ncand, name);
		eval_set_fact(ctx, "%zu records", rt.ncand);
		return CHECK_DONE;
	}
	for (i = 0; i < rt.rec.nproblems && i < TLSRPT_MAX_PROBLEMS; i++) {
		p = &rt.rec.problems[i];
		eval_finding_sev(ctx, PC_TLSRPT_SYNTAX, p->sev == TLSRPT_PSEV_ERROR ?
		    SEV_ERROR : SEV_WARN, "%s: %s (\"%s\")%s (RFC 8460 3)", name, p->reason,
		    p->text, p->sev == TLSRPT_PSEV_ERROR ? ": senders send no reports" : "");
	}
	if (rt.rec.valid)
		eval_set_fact(ctx, "%zu rua", rt.rec.nvalid);
	else
		eval_set_fact(ctx, "invalid record");
	return CHECK_DONE;
}
