/*
 * check_dmarc.c - the DMARC family: what the domain's DMARC Policy Record says.
 *
 * Round 1: the RFC 9989 DNS Tree Walk (dmarc_discover.c), every _dmarc name at once.
 * Round 2, only when the policy names report destinations outside its Organizational
 * Domain: every <policy-domain>._report._dmarc.<host> at once (RFC 9990 4; RFC 7489
 * 7.1). Then the findings, all from the one record that applies (RFC 9989 4.10.1),
 * plus MULTIPLE/SYNTAX for junk at the _dmarc names of the walk.
 *
 * Decisions (documented for the report readers):
 * - A missing or invalid p (or an invalid sp/np) is DMARC_SYNTAX; with a valid rua the
 *   receiver acts as if p=none (RFC 9989 4.10.1), which is also DMARC_POLICY_NONE;
 *   without one the record gets no DMARC processing at all (DMARC_SYNTAX says so).
 * - DMARC_SP_WEAKER: sp weaker than p, and also np weaker than p (non-existent
 *   subdomains are the easiest to forge), only where sp/np take effect.
 * - DMARC_PCT_PARTIAL and DMARC_TESTING only when the policy is stronger than none:
 *   with none they change nothing (RFC 9989 4.7 "t").
 * - DMARC_NONE makes the result "none" only when nothing DMARC-like is published; with
 *   discarded records (MULTIPLE, malformed) the result follows those errors (broken).
 * - DMARC_ORG_DOMAIN_DIFFERS only when a record exists (no DMARC, no alignment).
 * - Unknown tags: DMARC_SYNTAX at info severity (ignored by receivers, often typos).
 * - Report destinations: rua and ruf URIs alike (RUA_INVALID, RUA_UNAUTHORIZED name
 *   the tag). A host is external when it is not the policy's Organizational Domain or
 *   below it (a PSD's record: the PSD); IP literals have no domain to authorize.
 * - Junk TXT records (MULTIPLE, malformed) are reported at every name the walk used
 *   except a TLD: those are not the domain owner's. TXT records not meant as DMARC
 *   (dmarc_txt_classify(): an SPF record a wildcard puts at _dmarc.<name>) are no
 *   record at all, as RFC 7489 6.6.3 discards them: no finding, the walk goes on.
 * - Change tracking: record "dmarc", the record that applies as published (strings
 *   joined); inherited, "<record> (from _dmarc.<name>)". With none that applies, the
 *   v=DMARC1 records at _dmarc.<domain> (several sorted, " | "), "" when there are
 *   none. A walk with a temperror notes nothing; failed authorizations do not matter.
 *
 * What can go wrong: lookup failures (SERVFAIL, timeout, budget, refused, malformed) on
 * names the walk or the authorizations need make the family temperror with no
 * findings (nothing is guessed); out of memory makes it unknown. Every value printed
 * is sanitized by the parser or is a validated name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks.h"
#include "check/dmarc_discover.h"
#include "util/dnsname.h"

#define MAX_DESTS (2 * DMARC_MAX_URIS)

/* One external report destination and whether it authorized the policy domain. */
struct dest {
	char host[256];
	const char *tag;		/* "rua" or "ruf" */
	const char *uri;		/* sanitized URI text, borrowed from the record */
	char qname[300];
	bool too_long;			/* _report._dmarc name over DNS_NAME_MAX */
	bool authorized;
};

struct dests {
	size_t n;
	struct dest d[MAX_DESTS];
};

/* Whether a status is a lookup failure rather than an answer. */
static bool
failed(enum dns_status st)
{
	return st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN;
}

/* Collect valid URIs whose host lies outside the policy's Organizational Domain. */
static void
collect_dests(const struct dmarc_urilist *l, const char *tag, const char *org,
	      const char *pdomain, struct dests *ds)
{
	const struct dmarc_uri *u;
	struct dest *d;
	size_t i, j;

	for (i = 0; i < l->count; i++) {
		u = &l->uris[i];
		if (!u->valid || u->host_is_ip || u->host[0] == '\0' ||
		    dmarc_name_within(u->host, org))
			continue;
		for (j = 0; j < ds->n; j++)
			if (strcmp(ds->d[j].host, u->host) == 0)
				break;
		if (j < ds->n || ds->n >= MAX_DESTS)
			continue;
		d = &ds->d[ds->n++];
		memset(d, 0, sizeof(*d));
		snprintf(d->host, sizeof(d->host), "%s", u->host);
		d->tag = tag;
		d->uri = u->text;
		d->too_long = (size_t)snprintf(d->qname, sizeof(d->qname), "%s._report._dmarc.%s",
		    pdomain, u->host) > DNS_NAME_MAX;
	}
}

/*
 * Ask for every destination's authorization record in one round (RFC 9990 4 steps
 * 2-8). CHECK_PENDING until all are there; *failed_ans set when one lookup failed.
 */
static enum check_status
authorize_dests(struct eval_ctx *ctx, struct dests *ds, const struct dns_answer **failed_ans)
{
	const struct dns_answer *a;
	bool pending = false;
	size_t i, j, n;
	char *text;

	*failed_ans = NULL;
	for (i = 0; i < ds->n; i++) {
		if (ds->d[i].too_long)
			continue;
		a = eval_dns(ctx, ds->d[i].qname, DNS_T_TXT);
		if (a == NULL) {
			pending = true;
			continue;
		}
		if (failed(a->status)) {
			if (*failed_ans == NULL)
				*failed_ans = a;
			continue;
		}
		for (j = 0; a->status == DNS_OK && j < a->count && !ds->d[i].authorized; j++) {
			text = dns_txt_join(&a->rrs[j], &n);
			if (text == NULL) {
				if (*failed_ans == NULL)
					*failed_ans = a;
				break;
			}
			if (dmarc_txt_classify(text, n) == DMARC_TXT_RECORD)
				ds->d[i].authorized = true;
			free(text);
		}
	}
	return pending ? CHECK_PENDING : CHECK_DONE;
}

/* MULTIPLE and junk records at the _dmarc names the walk used (TLDs left out). */
static bool
report_levels(struct eval_ctx *ctx, const struct dmarc_discovery *d)
{
	const struct dmarc_level *lv;
	bool raised = false;
	size_t i;

	for (i = 0; i < d->nlevels; i++) {
		lv = &d->level[i];
		if ((i >= d->walked && i != (size_t)d->policy_level) || lv->labels < 2)
			continue;
		if (lv->ncandidates > 1) {
			eval_finding(ctx, PC_DMARC_MULTIPLE,
			    "%zu DMARC records at _dmarc.%s: all are discarded (RFC 9989 4.10)",
			    lv->ncandidates, lv->domain);
			raised = true;
		}
		if (lv->nmalformed > 0) {
			eval_finding_sev(ctx, PC_DMARC_SYNTAX, lv->has_record ? SEV_WARN : SEV_ERROR,
			    "TXT \"%.48s\" at _dmarc.%s is not a DMARC record: %s (RFC 9989 4.7)",
			    lv->malformed_text, lv->domain,
			    lv->malformed_reason ? lv->malformed_reason : "no v=DMARC1");
			raised = true;
		}
	}
	return raised;
}

/* Severity of a parser problem. */
static enum posture_severity
problem_sev(const struct dmarc_problem *pr)
{
	return pr->sev == DMARC_PSEV_ERROR ? SEV_ERROR :
	    pr->sev == DMARC_PSEV_WARN ? SEV_WARN : SEV_INFO;
}

/* Whether a tag is one of RFC 7489's that RFC 9989 removed. */
static bool
is_obsolete_tag(const char *tag)
{
	return strcmp(tag, "pct") == 0 || strcmp(tag, "rf") == 0 || strcmp(tag, "ri") == 0;
}

/* One finding per problem the parser listed. */
static void
report_problems(struct eval_ctx *ctx, const struct dmarc_record *rec, const char *pdomain)
{
	const struct dmarc_problem *pr;
	size_t i;

	for (i = 0; i < rec->nproblems && i < DMARC_MAX_PROBLEMS; i++) {
		pr = &rec->problems[i];
		switch (pr->kind) {
		case DMARC_PROB_TAGLIST:
			eval_finding_sev(ctx, PC_DMARC_SYNTAX, problem_sev(pr),
			    "_dmarc.%s: %s at byte %zu (\"%s\") (RFC 9989 4.8)",
			    pdomain, pr->reason, pr->pos, pr->value);
			break;
		case DMARC_PROB_BAD_VALUE:
			eval_finding_sev(ctx, PC_DMARC_SYNTAX, problem_sev(pr),
			    "%s=%s: %s (%s)", pr->tag, pr->value, pr->reason,
			    is_obsolete_tag(pr->tag) ? "RFC 7489 6.3" : "RFC 9989 4.7");
			break;
		case DMARC_PROB_DUPLICATE:
			eval_finding_sev(ctx, PC_DMARC_SYNTAX, problem_sev(pr),
			    "%s=%s: the tag appears twice, which makes the tag list invalid "
			    "(RFC 9989 4.7, RFC 6376 3.2)", pr->tag, pr->value);
			break;
		case DMARC_PROB_P_MISSING:
			eval_finding_sev(ctx, PC_DMARC_SYNTAX, problem_sev(pr),
			    "_dmarc.%s has no p= tag (RFC 9989 4.7, 4.10.1)", pdomain);
			break;
		case DMARC_PROB_BAD_URI:
			eval_finding(ctx, PC_DMARC_RUA_INVALID, "%s=%s: %s (RFC 9989 4.6, 4.8)", pr->tag, pr->value, pr->reason);
			break;
		case DMARC_PROB_UNKNOWN_TAG:
			eval_finding_sev(ctx, PC_DMARC_SYNTAX, SEV_INFO,
			    "unknown tag %s=%s is ignored (RFC 9989 4.7)", pr->tag, pr->value);
			break;
		case DMARC_PROB_OBSOLETE:
			eval_finding(ctx, PC_DMARC_OBSOLETE_TAG,
			    "%s=%s: removed by RFC 9989 (C.5.2), still read by RFC 7489 receivers "
			    "(RFC 7489 6.3)", pr->tag, pr->value);
			break;
		case DMARC_PROB_V_NOT_FIRST:
			eval_finding(ctx, PC_DMARC_SYNTAX, "_dmarc.%s: %s (RFC 9989 4.7)",
			    pdomain, pr->reason);
			break;
		}
	}
	if (rec->nproblems > DMARC_MAX_PROBLEMS)
		eval_finding_sev(ctx, PC_DMARC_SYNTAX, SEV_INFO,
		    "_dmarc.%s: %zu more problems not listed (RFC 9989 4.8)", pdomain,
		    rec->nproblems - DMARC_MAX_PROBLEMS);
}

/* "p=x, sp=y" for the missing or invalid policy tags of a record. */
static void
bad_policy_words(const struct dmarc_record *rec, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	if (rec->p == DMARC_POLICY_ABSENT)
		o += (size_t)snprintf(out, outlen, "no p=");
	else if (rec->p == DMARC_POLICY_INVALID)
		o += (size_t)snprintf(out, outlen, "p=%s", rec->p_text);
	if (rec->sp == DMARC_POLICY_INVALID && o < outlen)
		o += (size_t)snprintf(out + o, outlen - o, "%ssp=%s", o ? ", " : "", rec->sp_text);
	if (rec->np == DMARC_POLICY_INVALID && o < outlen)
		(void)snprintf(out + o, outlen - o, "%snp=%s", o ? ", " : "", rec->np_text);
}

/* The policy findings: effective policy, sp/np, pct, t, rua; the fact. */
static void
report_policy(struct eval_ctx *ctx, const struct dmarc_discovery *d, const char *domain)
{
	const struct dmarc_level *lv = &d->level[d->policy_level];
	const struct dmarc_record *rec = &lv->record;
	enum dmarc_policy eff;
	const char *efftag = "p";
	bool bad, sp_ignored;
	char why[96];

	bad = rec->p == DMARC_POLICY_ABSENT || rec->p == DMARC_POLICY_INVALID ||
	    rec->sp == DMARC_POLICY_INVALID || rec->np == DMARC_POLICY_INVALID;
	/* sp/np of a record below its Organizational Domain never apply (RFC 9989 4.7 sp) */
	sp_ignored = d->policy_level == 0 && !d->policy_from_psd &&
	    strcmp(domain, d->org_domain) != 0;

	if (bad) {
		eff = DMARC_POLICY_NONE;
		bad_policy_words(rec, why, sizeof(why));
		if (rec->rua.nvalid > 0) {
			eval_finding(ctx, PC_DMARC_POLICY_NONE,
			    "%s with a valid rua: receivers act as if p=none (RFC 9989 4.10.1)", why);
			eval_set_fact(ctx, "p=none (invalid policy)");
		} else {
			eval_finding(ctx, PC_DMARC_SYNTAX,
			    "%s and no valid rua: receivers apply no DMARC processing "
			    "(RFC 9989 4.10.1)", why);
			eval_set_fact(ctx, "invalid policy");
		}
	} else {
		eff = rec->p;
		if (d->inherited && rec->sp != DMARC_POLICY_ABSENT) {
			eff = rec->sp;	/* the domain is a subdomain of the policy domain */
			efftag = "sp";
		}
		if (eff == DMARC_POLICY_NONE)
			eval_finding(ctx, PC_DMARC_POLICY_NONE,
			    "%s=none%s%s: receivers are asked to take no action on failing mail "
			    "(RFC 9989 4.7)", efftag, d->inherited ? " inherited from " : "",
			    d->inherited ? lv->domain : "");
		eval_set_fact(ctx, "%s=%s%s%s", efftag, dmarc_policy_word(eff),
		    d->inherited ? " inherited" : "", rec->testing ? " t=y" : "");
	}

	if (rec->pct >= 0 && rec->pct < 100 && dmarc_policy_rank(eff) > 0)
		eval_finding(ctx, PC_DMARC_PCT_PARTIAL,
		    "pct=%d: RFC 7489 receivers apply %s=%s to only %d%% of failing mail "
		    "(RFC 7489 6.3; removed by RFC 9989 A.6)", rec->pct, efftag,
		    dmarc_policy_word(eff), rec->pct);

	if (rec->testing && dmarc_policy_rank(eff) > 0)
		eval_finding(ctx, PC_DMARC_TESTING,
		    "t=y: receivers are asked to apply one level below %s=%s (RFC 9989 4.7)",
		    efftag, dmarc_policy_word(eff));

	if (sp_ignored) {
		if (rec->sp != DMARC_POLICY_ABSENT)
			eval_finding(ctx, PC_DMARC_SP_IGNORED,
			    "sp=%s at _dmarc.%s is ignored: the organizational domain is %s "
			    "(RFC 9989 4.7, 4.10.1)", rec->sp_text, lv->domain, d->org_domain);
		if (rec->np != DMARC_POLICY_ABSENT)
			eval_finding(ctx, PC_DMARC_SP_IGNORED,
			    "np=%s at _dmarc.%s is ignored: the organizational domain is %s "
			    "(RFC 9989 4.7, 4.10.1)", rec->np_text, lv->domain, d->org_domain);
	} else if (!bad) {
		if (rec->sp != DMARC_POLICY_ABSENT &&
		    dmarc_policy_rank(rec->sp) < dmarc_policy_rank(rec->p))
			eval_finding(ctx, PC_DMARC_SP_WEAKER,
			    "sp=%s is weaker than p=%s: subdomains are less protected (RFC 9989 4.7)",
			    dmarc_policy_word(rec->sp), dmarc_policy_word(rec->p));
		if (rec->np != DMARC_POLICY_ABSENT &&
		    dmarc_policy_rank(rec->np) < dmarc_policy_rank(rec->p))
			eval_finding(ctx, PC_DMARC_SP_WEAKER,
			    "np=%s is weaker than p=%s: non-existent subdomains are less protected "
			    "(RFC 9989 4.7)", dmarc_policy_word(rec->np), dmarc_policy_word(rec->p));
	}

	if (!rec->rua.present)
		eval_finding(ctx, PC_DMARC_NO_RUA,
		    "_dmarc.%s has no rua= tag: no aggregate reports are requested (RFC 9989 4.7)",
		    lv->domain);
}

/* Whether a TXT record is a DMARC record (dmarc_txt_classify): the records noted. */
static bool
dmarc_keep(const char *text, size_t len)
{
	return dmarc_txt_classify(text, len) == DMARC_TXT_RECORD;
}

/*
 * Note the record that applies as "dmarc" (change tracking): the DMARC record(s) at
 * its _dmarc name, with " (from _dmarc.<name>)" when inherited; without one, those
 * at the domain's own name ("" when it has none). Only after a walk without temperror.
 */
static void
note_dmarc(struct eval_ctx *ctx, const struct dmarc_discovery *d)
{
	const struct dmarc_level *lv;
	const struct dns_answer *a;
	char qname[300], from[300];

	if (d->nlevels == 0)
		return;
	lv = &d->level[d->policy_level >= 0 ? (size_t)d->policy_level : 0];
	if (!lv->asked) {
		eval_note_record(ctx, "dmarc", "");	/* a name too long for DNS */
		return;
	}
	snprintf(qname, sizeof(qname), "_dmarc.%s", lv->domain);
	snprintf(from, sizeof(from), " (from _dmarc.%s)", lv->domain);
	/* asked by the walk: the answer is known, nothing is queued */
	if ((a = eval_dns(ctx, qname, DNS_T_TXT)) != NULL)
		eval_note_txt(ctx, "dmarc", a, dmarc_keep, d->inherited ? from : NULL);
}

/* Run the DMARC check. */
enum check_status
check_dmarc(struct eval_ctx *ctx)
{
	const char *domain = eval_domain(ctx);
	const struct dns_answer *fail = NULL;
	const struct dmarc_level *lv;
	const struct dmarc_record *rec;
	struct dmarc_discovery *d;
	struct dests *ds = NULL;
	enum check_status st;
	const char *org;
	size_t i;

	d = calloc(1, sizeof(*d));
	ds = calloc(1, sizeof(*ds));
	if (d == NULL || ds == NULL) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		st = CHECK_DONE;
		goto done;
	}
	st = dmarc_discover(ctx, domain, d);
	if (st == CHECK_PENDING)
		goto done;
	if (d->temperror) {
		lv = &d->level[d->failed_level];
		eval_set_result(ctx, PR_TEMPERROR);
		eval_set_fact(ctx, "_dmarc lookup %s", dns_status_str(lv->status));
		goto done;
	}
	note_dmarc(ctx, d);

	if (d->policy_level >= 0) {
		lv = &d->level[d->policy_level];
		rec = &lv->record;
		/* whose reports: the policy's Organizational Domain (a PSD is its own) */
		org = d->policy_from_psd ? lv->domain : d->org_domain;
		collect_dests(&rec->rua, "rua", org, lv->domain, ds);
		collect_dests(&rec->ruf, "ruf", org, lv->domain, ds);
		st = authorize_dests(ctx, ds, &fail);
		if (st == CHECK_PENDING)
			goto done;
		if (fail != NULL) {
			eval_set_result(ctx, PR_TEMPERROR);
			eval_set_fact(ctx, "_report._dmarc lookup %s", dns_status_str(fail->status));
			goto done;
		}
	}

	if (report_levels(ctx, d) && d->policy_level < 0) {
		eval_finding(ctx, PC_DMARC_NONE,
		    "no valid DMARC record at _dmarc.%s or its parents (RFC 9989 4.10.1)", domain);
		eval_set_fact(ctx, "no valid record");
		goto done;
	}
	if (d->policy_level < 0) {
		eval_finding(ctx, PC_DMARC_NONE,
		    "no DMARC record at _dmarc.%s or its parents (RFC 9989 4.10.1)", domain);
		eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "no record");
		goto done;
	}

	lv = &d->level[d->policy_level];
	rec = &lv->record;
	if (d->inherited)
		eval_finding(ctx, PC_DMARC_INHERITED,
		    "no record at _dmarc.%s: the record of %s%s applies (RFC 9989 4.10.1)",
		    domain, lv->domain, d->policy_from_psd ? " (public suffix domain)" : "");
	report_problems(ctx, rec, lv->domain);
	report_policy(ctx, d, domain);
	for (i = 0; i < ds->n; i++) {
		if (ds->d[i].authorized)
			continue;
		if (ds->d[i].too_long)
			eval_finding(ctx, PC_DMARC_RUA_UNAUTHORIZED,
			    "%s=%s: external destination, and its authorization name is too long "
			    "for DNS (RFC 9990 4)", ds->d[i].tag, ds->d[i].uri);
		else
			eval_finding(ctx, PC_DMARC_RUA_UNAUTHORIZED,
			    "%s=%s: external destination without a v=DMARC1 TXT record at %s "
			    "(RFC 9990 4, RFC 7489 7.1)", ds->d[i].tag, ds->d[i].uri, ds->d[i].qname);
	}
	if (d->psl_org_domain[0] != '\0' && strcmp(d->psl_org_domain, d->org_domain) != 0)
		eval_finding(ctx, PC_DMARC_ORG_DOMAIN_DIFFERS,
		    "organizational domain %s by the DNS tree walk differs from %s by the public "
		    "suffix list (RFC 9989 4.10.2)", d->org_domain, d->psl_org_domain);
done:
	free(ds);
	free(d);
	return st;
}

/*
 * Follow-up once every family is done: a DMARC policy that no message can pass,
 * because the domain has neither an SPF record that evaluates (none, or permerror)
 * nor a DKIM key a verifier accepts among the selectors known. Identifier alignment
 * needs one of them to pass (RFC 7489 4.2). With no selector known the
 * DKIM side is not judged, and nothing is raised.
 */
enum check_status
check_dmarc_auth(struct eval_ctx *ctx)
{
	enum posture_result dmarc = eval_family_result(ctx, PF_DMARC);

	if (dmarc != PR_OK && dmarc != PR_WEAK && dmarc != PR_BROKEN)
		return CHECK_DONE;
	if (eval_family_usable(ctx, PF_SPF) != 0 || eval_family_usable(ctx, PF_DKIM) != 0)
		return CHECK_DONE;
	eval_finding(ctx, PC_DMARC_NO_AUTH,
	    "%s publishes DMARC but no SPF record that evaluates (%s) and no DKIM key a "
	    "verifier accepts (%s): all its mail fails DMARC (RFC 7489 4.2)",
	    eval_domain(ctx),
	    eval_family_result(ctx, PF_SPF) == PR_NONE ? "none" : "permerror",
	    eval_family_fact(ctx, PF_DKIM)[0] ? eval_family_fact(ctx, PF_DKIM) : "no key");
	return CHECK_DONE;
}
