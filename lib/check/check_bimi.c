/*
 * check_bimi.c - the BIMI family (draft-brand-indicators-for-message-identification-10,
 * "BIMI draft"): the Assertion Record, the DMARC policy it needs, the logo and the
 * evidence document.
 *
 *   check_bimi()   record + DMARC walk in one round, hosts in the next, then the fetches
 *
 * Rounds. Round 1 asks default._bimi.<domain> TXT, the DMARC Tree Walk
 * (dmarc_discover: the DMARC check's own questions, shared) and, for a subdomain, the
 * fallback default._bimi.<PSL organizational domain> at once (one query that may go
 * unused, against one more round when the domain has no record). Round 2 asks the A
 * and AAAA of the logo host and of the evidence host; the two fetches then run
 * together (eval_fetch), within the evaluation's fetch budget, from the addresses our
 * resolver gave. Only what the record that applies to the evaluated domain names is
 * fetched. The selector is "default": the evaluation is per domain, not per message.
 *
 * Decisions (codes in codes.h, severities there unless said here):
 * - Record discovery (BIMI draft 7.2): TXT records not beginning with v=BIMI1 are
 *   discarded; none at the domain: the Organizational Domain's default record (the
 *   RFC 9989 Tree Walk's, or the PSL's when the walk found no DMARC record at all).
 *   None there either: BIMI_NONE, result none. Two or more at the name used:
 *   BIMI_MULTIPLE (receivers stop). Look-alikes ("v=bimi1", v= not first):
 *   BIMI_SYNTAX, error when no valid record stands next to them, warn otherwise.
 * - Parser problems: BIMI_SYNTAX per problem at the parser's severity.
 * - Declination (l= and a= empty, 4.3.1): BIMI_NONE saying so, result none.
 * - DMARC (BIMI draft 7.1 items 7-9, and the issue's "pct 100"): the record that applies
 *   to the domain and, when different, its Organizational Domain's record must each
 *   have p=quarantine or p=reject, no sp=none, no pct below 100, and no t=y (RFC 9989
 *   4.7: test mode lowers the policy a step). Each failure: BIMI_DMARC_NOT_ENFORCED.
 *   No applicable policy: the same. A DMARC temperror: not judged.
 * - Logo: each l= URI that is not https: BIMI_LOGO_NOT_HTTPS. The first URI, when
 *   valid, is fetched (at most BIMI_SVG_MAX_BYTES): no address, an error or a status
 *   other than 200: BIMI_LOGO_FETCH (a 3xx names its Location: redirects are not
 *   followed); over the limit, and every SVG Tiny PS problem: BIMI_LOGO_PROFILE.
 * - Evidence: no a= or an empty one: BIMI_NO_EVIDENCE (info). Otherwise it is fetched
 *   (at most BIMI_EVIDENCE_MAX_BYTES) and judged (bimi_evidence.h): a failed fetch and
 *   every problem: BIMI_EVIDENCE_INVALID. The names it must carry: the domain where
 *   the record was found and the evaluated domain. Without BIMITrustAnchors the chain
 *   is not checked, and the family fact says so ("evidence chain not checked"); it is
 *   never reported as verified.
 * - A fetch not made for a local reason (budget, out of memory) makes the family
 *   unknown ("not fetched"); failed A/AAAA lookups of a host make it temperror; a
 *   failed TXT lookup makes it temperror with no findings (unknown for a local error).
 * - Change tracking: record "bimi" (the selector is always "default"), the v=BIMI1
 *   records at default._bimi.<domain> (strings joined, several sorted, " | "); when
 *   the domain has none and the fallback is asked, those of the Organizational
 *   Domain, "<record> (from default._bimi.<org>)"; "" when neither has one. Nothing
 *   when a lookup that decides failed.
 *
 * What can go wrong: every value printed is a validated name, text sanitized by the
 * parsers, the fetcher or pt_sanitize(). The DMARC discovery (~80 KB) and the
 * parsed records live in one heap block per run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/bimi_evidence.h"
#include "record/bimi_parse.h"
#include "record/bimi_svg.h"
#include "check/checks.h"
#include "check/dmarc_discover.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

#define BIMI_DEFAULT_SELECTOR	"default"
#define MAX_PROBLEM_FINDINGS	6	/* per kind of problem list, then "N more" */

/* The TXT records at one _bimi name: counts and the one candidate's parse. */
struct bimi_txt {
	size_t ncand, nlook;
	struct bimi_record rec;		/* the first candidate's parse */
	char look[64];			/* the first look-alike, sanitized */
	bool oom;
};

/* Everything one run of the check works on (one allocation). */
struct bimi_run {
	const char *domain;		/* the evaluated domain */
	char own_name[300];		/* default._bimi.<domain> */
	char org[256];			/* organizational domain for the fallback ("" none) */
	char org_name[300];
	const char *used_name;		/* the _bimi name whose record applies */
	const char *record_domain;	/* the domain it belongs to */
	struct bimi_txt own, org_txt;
	struct dmarc_discovery disc;
	const struct eval_doc *logo_doc;	/* the logo fetched, or NULL */
	bool local_failure;		/* a fetch was not made: unknown */
	bool host_temperror;		/* a host lookup failed */
	const char *logo_word;		/* for the fact */
	const char *evidence_word;
};

/* Whether a lookup failed: neither data nor a certain "none". */
static bool
failed(const struct dns_answer *a)
{
	return a->status != DNS_OK && a->status != DNS_NODATA && a->status != DNS_NXDOMAIN;
}

/* Whether an A or AAAA answer holds an address. */
static bool
has_address(const struct dns_answer *a)
{
	size_t i;

	for (i = 0; a != NULL && a->status == DNS_OK && i < a->count; i++)
		if (a->rrs[i].type == a->qtype)
			return true;
	return false;
}

/* default._bimi.<domain> into out; false when it would exceed DNS_NAME_MAX bytes. */
static bool
bimi_name(char *out, size_t outlen, const char *domain)
{
	int n = snprintf(out, outlen, "%s._bimi.%s", BIMI_DEFAULT_SELECTOR, domain);

	return n > 0 && (size_t)n < outlen && n <= DNS_NAME_MAX;
}

/* Classify and parse the TXT records of one _bimi name. */
static void
read_txt(const struct dns_answer *txt, struct bimi_txt *bt)
{
	size_t i, n;
	char *text;

	memset(bt, 0, sizeof(*bt));
	for (i = 0; txt != NULL && txt->status == DNS_OK && i < txt->count; i++) {
		if (txt->rrs[i].type != DNS_T_TXT)
			continue;
		/* Strings of one record are joined as for SPF (BIMI draft 4; RFC 7208 3.3). */
		text = dns_txt_join(&txt->rrs[i], &n);
		if (text == NULL) {
			bt->oom = true;
			return;
		}
		switch (bimi_txt_classify(text, n)) {
		case BIMI_TXT_CANDIDATE:
			if (bt->ncand++ == 0)
				(void)bimi_parse(text, n, &bt->rec);
			break;
		case BIMI_TXT_LOOKALIKE:
			if (bt->nlook++ == 0)
				pt_sanitize(text, n, bt->look, sizeof(bt->look));
			break;
		default:
			break;
		}
		free(text);
	}
}

/* Whether a TXT record is a BIMI record: the records noted as "bimi". */
static bool
bimi_keep(const char *text, size_t len)
{
	return bimi_txt_classify(text, len) == BIMI_TXT_CANDIDATE;
}

/* Look-alike records at a name: ignored by receivers. */
static void
report_lookalikes(struct eval_ctx *ctx, const char *name, const struct bimi_txt *bt,
		  bool valid_elsewhere)
{
	if (bt->nlook == 0)
		return;
	eval_finding_sev(ctx, PC_BIMI_SYNTAX, valid_elsewhere ? SEV_WARN : SEV_ERROR,
	    "TXT \"%s\" at %s: a BIMI record must begin with v=BIMI1 exactly: receivers "
	    "discard it (BIMI draft 4.3, 7.2)", bt->look, name);
}

/* The parser's problems, one finding each. */
static void
report_record(struct eval_ctx *ctx, const struct bimi_run *run, const struct bimi_record *rec)
{
	const struct bimi_problem *p;
	size_t i;

	for (i = 0; i < rec->nproblems && i < MAX_PROBLEM_FINDINGS &&
	    i < BIMI_MAX_PROBLEMS; i++) {
		p = &rec->problems[i];
		eval_finding_sev(ctx, PC_BIMI_SYNTAX, p->sev == BIMI_PSEV_ERROR ? SEV_ERROR :
		    p->sev == BIMI_PSEV_WARN ? SEV_WARN : SEV_INFO, "%s%s%s%s: %s",
		    run->used_name, p->text[0] ? " \"" : "", p->text, p->text[0] ? "\"" : "",
		    p->reason);
	}
	if (rec->nproblems > MAX_PROBLEM_FINDINGS)
		eval_finding_sev(ctx, PC_BIMI_SYNTAX, SEV_WARN, "%zu more problems in the BIMI "
		    "record at %s (BIMI draft 4.3)", rec->nproblems - MAX_PROBLEM_FINDINGS,
		    run->used_name);
}

/* One DMARC record against BIMI's enforcement rules (BIMI draft 7.1 items 7-9). */
static void
judge_dmarc_level(struct eval_ctx *ctx, const struct dmarc_level *lv)
{
	const struct dmarc_record *r = &lv->record;

	if (dmarc_policy_rank(r->p) < 1)
		eval_finding(ctx, PC_BIMI_DMARC_NOT_ENFORCED, "DMARC p=%s at _dmarc.%s: BIMI "
		    "needs p=quarantine or p=reject (BIMI draft 7.1)",
		    r->p == DMARC_POLICY_INVALID ? r->p_text : dmarc_policy_word(r->p),
		    lv->domain);
	if (r->sp == DMARC_POLICY_NONE)
		eval_finding(ctx, PC_BIMI_DMARC_NOT_ENFORCED, "DMARC sp=none at _dmarc.%s: BIMI "
		    "needs no subdomain policy of none (BIMI draft 7.1)", lv->domain);
	if (r->has_pct && r->pct >= 0 && r->pct < 100 && dmarc_policy_rank(r->p) >= 1)
		eval_finding(ctx, PC_BIMI_DMARC_NOT_ENFORCED, "DMARC pct=%d at _dmarc.%s: BIMI "
		    "needs the policy applied to all mail, pct=100 (BIMI draft 7.1)", r->pct,
		    lv->domain);
	if (r->testing && dmarc_policy_rank(r->p) >= 1)
		eval_finding(ctx, PC_BIMI_DMARC_NOT_ENFORCED, "DMARC t=y at _dmarc.%s: test "
		    "mode lowers the policy a step (RFC 9989 4.7), BIMI needs enforcement "
		    "(BIMI draft 7.1)", lv->domain);
}

/* The DMARC policy BIMI needs: the applicable record and the organizational one. */
static void
report_dmarc(struct eval_ctx *ctx, const struct bimi_run *run)
{
	const struct dmarc_discovery *d = &run->disc;
	size_t i;

	if (d->temperror)
		return;		/* unknown, not absent: nothing is guessed */
	if (d->policy_level < 0) {
		eval_finding(ctx, PC_BIMI_DMARC_NOT_ENFORCED, "no DMARC policy applies to %s: "
		    "BIMI needs p=quarantine or p=reject (BIMI draft 7.1)", run->domain);
		return;
	}
	judge_dmarc_level(ctx, &d->level[d->policy_level]);
	if (!d->org_has_record)
		return;
	for (i = 0; i < d->nlevels; i++)
		if ((int)i != d->policy_level && d->level[i].has_record &&
		    strcmp(d->level[i].domain, d->org_domain) == 0)
			judge_dmarc_level(ctx, &d->level[i]);
}

/* The domain for the fallback record: the Tree Walk's, else the PSL's. */
static void
choose_org(struct eval_ctx *ctx, struct bimi_run *run, bool walk_done)
{
	const psl_ctx_t *psl = eval_psl(ctx);
	const char *reg = psl != NULL ? psl_registrable_domain(psl, run->domain) : NULL;
	const struct dmarc_discovery *d = &run->disc;
	bool walk_found = false;
	size_t i;

	for (i = 0; walk_done && !d->temperror && i < d->nlevels; i++)
		if (d->level[i].has_record)
			walk_found = true;
	if (walk_found)
		snprintf(run->org, sizeof(run->org), "%s", d->org_domain);
	else
		snprintf(run->org, sizeof(run->org), "%s", reg != NULL ? reg : "");
	if (strcmp(run->org, run->domain) == 0 || !bimi_name(run->org_name,
	    sizeof(run->org_name), run->org))
		run->org[0] = run->org_name[0] = '\0';
}

/* Ask a host's addresses; false while one is queued. */
static bool
host_answers(struct eval_ctx *ctx, const char *host, const struct dns_answer **a,
	     const struct dns_answer **aaaa)
{
	*a = eval_dns(ctx, host, DNS_T_A);
	*aaaa = eval_dns(ctx, host, DNS_T_AAAA);
	return *a != NULL && *aaaa != NULL;
}

/* Fetch a document when its host has an address; false while queued. *doc NULL: none. */
static bool
fetch_doc(struct eval_ctx *ctx, const struct bimi_uri *u, const struct dns_answer *a,
	  const struct dns_answer *aaaa, size_t max, const struct eval_doc **doc)
{
	struct eval_fetch_req req;

	*doc = NULL;
	if (!has_address(a) && !has_address(aaaa))
		return true;
	memset(&req, 0, sizeof(req));
	req.url = u->url;
	req.host = u->host;
	req.a = a;
	req.aaaa = aaaa;
	req.max_bytes = max;
	*doc = eval_fetch(ctx, &req);
	return *doc != NULL;
}

/* No document: say why (no address, or a failed lookup). True when reported. */
static bool
report_no_doc(struct eval_ctx *ctx, struct bimi_run *run, const struct bimi_uri *u,
	      const struct dns_answer *a, const struct dns_answer *aaaa, enum posture_code code,
	      const char *what)
{
	if (failed(a) || failed(aaaa)) {
		run->host_temperror = true;
		return true;
	}
	eval_finding(ctx, code, "%s host %s has no A or AAAA record: it cannot be fetched "
	    "(BIMI draft 7.5)", what, u->host);
	return true;
}

/* The logo document: fetch status, then the SVG Tiny PS profile. */
static void
report_logo(struct eval_ctx *ctx, struct bimi_run *run, const struct bimi_uri *u,
	    const struct eval_doc *doc)
{
	const struct https_result *r = &doc->res;
	struct bimi_svg_result svg;
	size_t i;

	run->logo_word = "logo invalid";
	if (r->status == HTTPS_ERR_BUDGET || r->status == HTTPS_ERR_INTERNAL) {
		run->local_failure = true;
		run->logo_word = "logo not fetched";
		return;
	}
	if (r->status == HTTPS_ERR_TOO_LARGE) {
		eval_finding(ctx, PC_BIMI_LOGO_PROFILE, "logo %.80s is larger than 32 KiB "
		    "(BIMI draft 7.6)", u->text);
		return;
	}
	if (r->status < 0) {
		eval_finding(ctx, PC_BIMI_LOGO_FETCH, "logo %.80s: %s: %s (BIMI draft 7.5)",
		    u->text, https_error_name(r->status), r->error);
		return;
	}
	if (r->status >= 300 && r->status < 400) {
		eval_finding(ctx, PC_BIMI_LOGO_FETCH, "logo %.80s: HTTP %d to %.60s: redirects "
		    "are not followed (BIMI draft 7.5)", u->text, r->status,
		    r->location[0] ? r->location : "(no Location)");
		return;
	}
	if (r->status != 200) {
		eval_finding(ctx, PC_BIMI_LOGO_FETCH, "logo %.80s: HTTP %d, not 200 "
		    "(BIMI draft 7.5)", u->text, r->status);
		return;
	}
	run->logo_doc = doc;
	if (bimi_svg_check(r->body, r->body_len, &svg) == 0) {
		run->logo_word = "logo ok";
		return;
	}
	for (i = 0; i < svg.nproblems && i < MAX_PROBLEM_FINDINGS && i < BIMI_SVG_MAX_PROBLEMS;
	    i++)
		eval_finding(ctx, PC_BIMI_LOGO_PROFILE, "logo at %s%s%s%s: %s", u->host,
		    svg.problems[i].text[0] ? " \"" : "", svg.problems[i].text,
		    svg.problems[i].text[0] ? "\"" : "", svg.problems[i].reason);
	if (svg.nproblems > MAX_PROBLEM_FINDINGS)
		eval_finding(ctx, PC_BIMI_LOGO_PROFILE, "%zu more SVG Tiny PS problems in the "
		    "logo at %s", svg.nproblems - MAX_PROBLEM_FINDINGS, u->host);
}

/* The evidence document: fetch status, then the mark certificate. */
static void
report_evidence(struct eval_ctx *ctx, struct bimi_run *run, const struct bimi_uri *u,
		const struct eval_doc *doc)
{
	const struct https_result *r = &doc->res;
	const char *domains[2] = { run->record_domain, run->domain };
	const struct https_result *logo = run->logo_doc ? &run->logo_doc->res : NULL;
	struct bimi_evidence_result ev;
	size_t i;

	run->evidence_word = "evidence invalid";
	if (r->status == HTTPS_ERR_BUDGET || r->status == HTTPS_ERR_INTERNAL) {
		run->local_failure = true;
		run->evidence_word = "evidence not fetched";
		return;
	}
	if (r->status < 0) {
		eval_finding(ctx, PC_BIMI_EVIDENCE_INVALID, "evidence %.80s: %s: %s "
		    "(BIMI draft 7.4)", u->text, https_error_name(r->status), r->error);
		return;
	}
	if (r->status != 200) {
		eval_finding(ctx, PC_BIMI_EVIDENCE_INVALID, "evidence %.80s: HTTP %d, not 200 "
		    "(BIMI draft 7.4)", u->text, r->status);
		return;
	}
	(void)bimi_evidence_check(r->body, r->body_len, domains, 2,
	    logo != NULL ? logo->body : NULL, logo != NULL ? logo->body_len : 0,
	    eval_bimi_anchors(ctx), time(NULL), &ev);
	for (i = 0; i < ev.nproblems && i < MAX_PROBLEM_FINDINGS &&
	    i < BIMI_EVIDENCE_MAX_PROBLEMS; i++)
		eval_finding(ctx, PC_BIMI_EVIDENCE_INVALID, "evidence at %s%s: %s: %s", u->host,
		    ev.chain_checked || ev.problems[i].issue == BIMI_EV_SELF_SIGNED ? "" :
		    " (chain not checked: no BIMITrustAnchors)", ev.problems[i].text,
		    ev.problems[i].reason);
	if (ev.nproblems > MAX_PROBLEM_FINDINGS)
		eval_finding(ctx, PC_BIMI_EVIDENCE_INVALID, "%zu more problems with the evidence "
		    "at %s", ev.nproblems - MAX_PROBLEM_FINDINGS, u->host);
	if (ev.valid)
		run->evidence_word = ev.chain_checked ? "evidence verified" :
		    "evidence chain not checked (no trust anchors)";
}

/* The logo and evidence: hosts, fetches, judgements. */
static enum check_status
check_documents(struct eval_ctx *ctx, struct bimi_run *run, const struct bimi_record *rec)
{
	const struct bimi_uri *logo = rec->nlogos > 0 && rec->logos[0].valid ?
	    &rec->logos[0] : NULL;
	const struct bimi_uri *ev = rec->has_evidence && rec->evidence.valid ?
	    &rec->evidence : NULL;
	const struct dns_answer *la = NULL, *laaaa = NULL, *ea = NULL, *eaaaa = NULL;
	const struct eval_doc *logo_doc = NULL, *ev_doc = NULL;
	bool ready = true;

	if (logo != NULL && !host_answers(ctx, logo->host, &la, &laaaa))
		ready = false;
	if (ev != NULL && !host_answers(ctx, ev->host, &ea, &eaaaa))
		ready = false;
	if (!ready)
		return CHECK_PENDING;
	if (logo != NULL && !fetch_doc(ctx, logo, la, laaaa, BIMI_SVG_MAX_BYTES, &logo_doc))
		ready = false;
	if (ev != NULL && !fetch_doc(ctx, ev, ea, eaaaa, BIMI_EVIDENCE_MAX_BYTES, &ev_doc))
		ready = false;
	if (!ready)
		return CHECK_PENDING;

	if (logo != NULL && logo_doc == NULL)
		report_no_doc(ctx, run, logo, la, laaaa, PC_BIMI_LOGO_FETCH, "logo");
	else if (logo != NULL)
		report_logo(ctx, run, logo, logo_doc);
	if (ev != NULL && ev_doc == NULL)
		report_no_doc(ctx, run, ev, ea, eaaaa, PC_BIMI_EVIDENCE_INVALID, "evidence");
	else if (ev != NULL)
		report_evidence(ctx, run, ev, ev_doc);
	return CHECK_DONE;
}

/* The record that applies: syntax, DMARC, logo, evidence. */
static enum check_status
judge_record(struct eval_ctx *ctx, struct bimi_run *run, const struct bimi_txt *bt)
{
	const struct bimi_record *rec = &bt->rec;
	size_t i;

	if (rec->declined) {
		report_record(ctx, run, rec);
		eval_finding(ctx, PC_BIMI_NONE, "%s declines BIMI: l= and a= are empty "
		    "(BIMI draft 4.3.1)", run->used_name);
		eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "declined");
		return CHECK_DONE;
	}
	run->logo_word = rec->nlogos > 0 ? "logo not checked" : "no logo";
	run->evidence_word = rec->has_evidence ? "evidence not checked" : "no evidence";
	if (check_documents(ctx, run, rec) == CHECK_PENDING)
		return CHECK_PENDING;
	report_record(ctx, run, rec);
	report_dmarc(ctx, run);
	for (i = 0; i < rec->nlogos; i++)
		if (!rec->logos[i].https)
			eval_finding(ctx, PC_BIMI_LOGO_NOT_HTTPS, "l=%.80s at %s is not an https "
			    "URI: receivers fetch logos over HTTPS only (BIMI draft 4.3, 7.3)",
			    rec->logos[i].text, run->used_name);
	if (!rec->has_evidence)
		eval_finding(ctx, PC_BIMI_NO_EVIDENCE, "%s has no a= evidence document: "
		    "receivers that require a mark certificate show no logo (BIMI draft 4.3)",
		    run->used_name);
	if (run->local_failure) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "%s, %s", run->logo_word, run->evidence_word);
		return CHECK_DONE;
	}
	if (run->host_temperror) {
		eval_set_result(ctx, PR_TEMPERROR);
		eval_set_fact(ctx, "logo or evidence host lookup failed");
		return CHECK_DONE;
	}
	eval_set_fact(ctx, "%s, %s", run->logo_word, run->evidence_word);
	return CHECK_DONE;
}

/* The check proper, on the run's storage. */
static enum check_status
run_check(struct eval_ctx *ctx, struct bimi_run *run)
{
	const struct dns_answer *own, *org = NULL;
	enum check_status walk;
	const struct bimi_txt *bt;
	char from[320];

	run->domain = eval_domain(ctx);
	if (!bimi_name(run->own_name, sizeof(run->own_name), run->domain)) {
		eval_note_record(ctx, "bimi", "");	/* no such name in the DNS */
		eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "name too long for a _bimi record");
		return CHECK_DONE;
	}
	walk = dmarc_discover(ctx, run->domain, &run->disc);
	own = eval_dns(ctx, run->own_name, DNS_T_TXT);
	if (own == NULL || walk == CHECK_PENDING) {
		/* Round 1 also asks the PSL's fallback name: a subdomain needs no extra round. */
		choose_org(ctx, run, false);
		if (run->org[0] != '\0')
			(void)eval_dns(ctx, run->org_name, DNS_T_TXT);
		return CHECK_PENDING;
	}
	choose_org(ctx, run, true);
	if (failed(own)) {
		eval_set_result(ctx, own->status == DNS_ERROR ? PR_UNKNOWN : PR_TEMPERROR);
		eval_set_fact(ctx, "TXT %s", dns_status_str(own->status));
		return CHECK_DONE;
	}
	read_txt(own, &run->own);
	bt = &run->own;
	run->used_name = run->own_name;
	run->record_domain = run->domain;
	if (run->own.ncand == 0 && run->org[0] != '\0') {
		/* BIMI draft 7.2 step 6: the Organizational Domain's record. */
		org = eval_dns(ctx, run->org_name, DNS_T_TXT);
		if (org == NULL)
			return CHECK_PENDING;
		if (failed(org)) {
			eval_set_result(ctx, org->status == DNS_ERROR ? PR_UNKNOWN : PR_TEMPERROR);
			eval_set_fact(ctx, "TXT %s", dns_status_str(org->status));
			return CHECK_DONE;
		}
		read_txt(org, &run->org_txt);
		snprintf(from, sizeof(from), " (from %s)", run->org_name);
		eval_note_txt(ctx, "bimi", org, bimi_keep, from);
		bt = &run->org_txt;
		run->used_name = run->org_name;
		run->record_domain = run->org;
	} else {
		eval_note_txt(ctx, "bimi", own, bimi_keep, NULL);
	}
	if (run->own.oom || run->org_txt.oom) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		return CHECK_DONE;
	}
	if (bt->ncand > 1) {
		report_lookalikes(ctx, run->own_name, &run->own, false);
		eval_finding(ctx, PC_BIMI_MULTIPLE, "%zu v=BIMI1 records at %s: receivers do no "
		    "BIMI processing (BIMI draft 7.2 step 9)", bt->ncand, run->used_name);
		eval_set_fact(ctx, "multiple records");
		return CHECK_DONE;
	}
	if (bt->ncand == 0) {
		report_lookalikes(ctx, run->own_name, &run->own, false);
		if (org != NULL)
			report_lookalikes(ctx, run->org_name, &run->org_txt, false);
		if (org != NULL)
			eval_finding(ctx, PC_BIMI_NONE, "no BIMI record at %s nor at %s "
			    "(BIMI draft 7.2)", run->own_name, run->org_name);
		else
			eval_finding(ctx, PC_BIMI_NONE, "no BIMI record at %s (BIMI draft 7.2)",
			    run->own_name);
		if (run->own.nlook == 0 && run->org_txt.nlook == 0)
			eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "none");
		return CHECK_DONE;
	}
	report_lookalikes(ctx, run->own_name, &run->own, true);
	if (org != NULL)
		report_lookalikes(ctx, run->org_name, &run->org_txt, true);
	return judge_record(ctx, run, bt);
}

/* The BIMI family: see the header comment for the decisions. */
enum check_status
check_bimi(struct eval_ctx *ctx)
{
	struct bimi_run *run = calloc(1, sizeof(*run));
	enum check_status st;

	if (run == NULL) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		return CHECK_DONE;
	}
	st = run_check(ctx, run);
	free(run);
	return st;
}
