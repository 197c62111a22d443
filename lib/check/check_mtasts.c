/*
 * check_mtasts.c - the MTA-STS family (RFC 8461): the _mta-sts TXT record, the policy
 * it announces, and whether the policy fits the domain's MX hosts.
 *
 *   check_mtasts()   TXT, MX and the policy host's A/AAAA in one round, then the fetch
 *
 * Round 1 asks _mta-sts.<domain> TXT, <domain> MX (the MX check's own question: no
 * extra query) and mta-sts.<domain> A and AAAA. Asking the host's addresses at once
 * costs the same two queries it would cost after the TXT answer, and keeps the family
 * at one DNS round; the fetch then runs in the next round (eval_fetch, eval.h).
 * Only the evaluated domain's own policy is ever fetched, within the evaluation's
 * fetch budget, from the addresses our resolver gave, on public addresses only unless
 * AllowPrivateAddresses (tests).
 *
 * Decisions (codes in codes.h, severities there unless said here):
 * - TXT records not beginning with "v=STSv1" are ignored (RFC 8461 3.1); one that
 *   looks like an attempt (v=sts in another case or spacing) is MTASTS_TXT_SYNTAX.
 *   Two or more v=STSv1 records: MTASTS_MULTIPLE (senders assume no policy). One that
 *   does not parse: MTASTS_TXT_SYNTAX per problem. The policy is still fetched and
 *   judged in these cases, so that every problem shows at once.
 * - No v=STSv1 record: MTASTS_NONE, result none. The policy host is asked anyway (see
 *   rounds): when it has an address, the policy is fetched, and a 200 that parses as
 *   an STSv1 policy makes MTASTS_NONE a warn: a policy without a TXT record is never
 *   fetched by senders (RFC 8461 3.1), which is almost always a forgotten record.
 *   Without an address nothing is fetched: the check costs two queries and no fetch.
 * - A TXT record with no policy (no address for the host, a fetch error, a non-200
 *   status): MTASTS_POLICY_FETCH naming the reason (RFC 8461 3.3); a 3xx is
 *   MTASTS_REDIRECT instead (redirects must not be followed). A fetch not made for a
 *   local reason (budget, out of memory) leaves the family unknown, no finding.
 * - Content-Type other than text/plain (parameters allowed): MTASTS_CONTENT_TYPE; the
 *   body is still parsed and judged.
 * - Policy problems: MTASTS_POLICY_SYNTAX per problem at the parser's severity
 *   (mtasts_parse.h: error when senders would reject the policy, warn otherwise).
 * - mode testing: MTASTS_MODE_TESTING; mode none: MTASTS_MODE_NONE (both warn: no
 *   protection is enforced).
 * - max_age below MTASTS_MAX_AGE_LOW (86400 s, one day): MTASTS_MAX_AGE_LOW, not for
 *   mode none. RFC 8461 3.2 expects weeks or more, and RFC 8461 3.3 suggests senders
 *   refresh cached policies once a day: below a day the cached policy lapses between
 *   two refreshes, and an attacker who blocks the refresh can then strip TLS.
 * - Every MX host must match some mx pattern (RFC 8461 4.1, wildcards as the whole
 *   leftmost label only): MTASTS_MX_MISMATCH per host, error in enforce mode (mail to
 *   that host fails), warn in testing. With no MX records the domain itself is the
 *   host (RFC 5321 5.1); a null MX or a failed MX lookup is not judged.
 * - MTASTS_ID_UNCHANGED: the document cache held an earlier 200 of this URL fetched
 *   under the same id, and the body differs (RFC 8461 3.1: the id must change with the
 *   policy, or senders with a cached copy keep the old one). Needs a cache (the
 *   milter); posture-check has none and never raises it.
 * - TXT lookup failure: temperror (unknown for a local resolver error), no findings.
 *   A failed A/AAAA lookup of the policy host with a TXT record: temperror.
 * - Change tracking: record "mta-sts:txt", the v=STSv1 TXT records (strings joined,
 *   several sorted, " | "; "" when none; nothing when the lookup failed), and
 *   "mta-sts:policy", the body of a policy fetched with status 200 (also one served
 *   without a record): lines (LF or CRLF) with trailing whitespace trimmed, empty
 *   lines dropped, joined with "; ". A fetch that failed notes no policy.
 *
 * What can go wrong: every value printed is a validated name, text sanitized by the
 * parser or the fetcher, or an MX name masked with pt_sanitize().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/checks.h"
#include "record/mtasts_parse.h"
#include "util/buf.h"
#include "util/strbuf.h"

#define MTASTS_MAX_AGE_LOW	86400	/* seconds: one day, see above */
#define MTASTS_FAIL_TTL		300	/* seconds a failed fetch stays cached */
#define MAX_POLICY_FINDINGS	6	/* syntax problems reported one by one */
#define MAX_MISMATCH_FINDINGS	8	/* MX hosts reported one by one */

/* The names of one evaluation: the TXT, the policy host, the policy URL. */
struct sts_names {
	char txt[300];
	char host[300];
	char url[340];
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

	for (i = 0; a->status == DNS_OK && i < a->count; i++)
		if (a->rrs[i].type == a->qtype)
			return true;
	return false;
}

/* Lifetime in the document cache: the policy's max_age, else a failure's minutes. */
static uint32_t
policy_lifetime(const struct https_result *r)
{
	struct mtasts_policy *pol;
	uint32_t ttl = MTASTS_FAIL_TTL;

	if (r->status != 200 || (pol = malloc(sizeof(*pol))) == NULL)
		return ttl;
	(void)mtasts_policy_parse(r->body, r->body_len, pol);
	if (pol->has_max_age)
		ttl = pol->max_age;
	free(pol);
	return ttl;
}

/* The TXT records at _mta-sts: counts and the one valid record's id. */
struct sts_txt {
	size_t ncand, nlook;
	struct mtasts_txt rec;		/* the first candidate's parse */
	char look[64];			/* the first look-alike, sanitized */
	bool oom;
};

/* Classify and parse the TXT records. */
static void
read_txt(const struct dns_answer *txt, struct sts_txt *st)
{
	size_t i, n;
	char *text;

	memset(st, 0, sizeof(*st));
	for (i = 0; txt->status == DNS_OK && i < txt->count; i++) {
		if (txt->rrs[i].type != DNS_T_TXT)
			continue;
		text = dns_txt_join(&txt->rrs[i], &n);
		if (text == NULL) {
			st->oom = true;
			return;
		}
		switch (mtasts_txt_classify(text, n)) {
		case MTASTS_TXT_CANDIDATE:
			if (st->ncand++ == 0)
				(void)mtasts_txt_parse(text, n, &st->rec);
			break;
		case MTASTS_TXT_LOOKALIKE:
			if (st->nlook++ == 0)
				pt_sanitize(text, n, st->look, sizeof(st->look));
			break;
		default:
			break;
		}
		free(text);
	}
}

/* Whether a TXT record is an STSv1 record: the records noted as "mta-sts:txt". */
static bool
sts_keep(const char *text, size_t len)
{
	return mtasts_txt_classify(text, len) == MTASTS_TXT_CANDIDATE;
}

/*
 * Note a policy fetched with status 200 as "mta-sts:policy": its lines (LF or CRLF)
 * with trailing whitespace trimmed, empty ones dropped, joined with "; "; a NUL byte
 * reads "\x00". Read no further than the value eval_note_record() keeps.
 */
static void
note_policy(struct eval_ctx *ctx, const struct https_result *r)
{
	struct pt_sb out, line;
	struct pt_buf b;
	size_t kept = 0, nlines = 0;
	bool end = false;
	uint8_t c = 0;

	pt_buf_init(&b, r->body, r->body != NULL ? r->body_len : 0);
	pt_sb_init(&out);
	pt_sb_init(&line);
	pt_sb_append(&out, "");
	pt_sb_append(&line, "");
	while (!end && out.len <= POSTURE_RECORD_VALUE_MAX) {
		end = pt_buf_u8(&b, &c) < 0;
		if (end || c == '\n') {
			if (kept > 0) {
				pt_sb_append(&out, nlines++ > 0 ? "; " : "");
				pt_sb_appendn(&out, line.s, kept);
			}
			if (line.s != NULL)
				line.s[0] = '\0';
			line.len = kept = 0;
			continue;
		}
		if (c == '\0')
			pt_sb_append(&line, "\\x00");
		else
			pt_sb_appendn(&line, (const char *)&c, 1);
		if (c != ' ' && c != '\t' && c != '\r')
			kept = line.len;
	}
	if (!out.oom && !line.oom)
		eval_note_record(ctx, "mta-sts:policy", out.s);
	pt_sb_free(&line);
	pt_sb_free(&out);
}

/* The TXT findings of a published record set. */
static void
report_txt(struct eval_ctx *ctx, const struct sts_names *nm, const struct sts_txt *st)
{
	const struct mtasts_problem *p;
	size_t i;

	if (st->ncand > 1) {
		eval_finding(ctx, PC_MTASTS_MULTIPLE, "%zu v=STSv1 records at %s: senders "
		    "assume there is no policy (RFC 8461 3.1)", st->ncand, nm->txt);
		return;
	}
	for (i = 0; i < st->rec.nproblems && i < MTASTS_MAX_PROBLEMS; i++) {
		p = &st->rec.problems[i];
		eval_finding(ctx, PC_MTASTS_TXT_SYNTAX, "%s: %s (\"%s\"): senders ignore the "
		    "record (%s)", nm->txt, p->reason, p->text, p->section);
	}
}

/* Whether the Content-Type's media type is text/plain (RFC 8461 3.2). */
static bool
is_text_plain(const char *ct)
{
	size_t n = strcspn(ct, ";");

	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

/* Judge every MX host against the policy's patterns (RFC 8461 4.1). */
static void
report_mx(struct eval_ctx *ctx, const struct dns_answer *mx, const struct mtasts_policy *pol)
{
	enum posture_severity sev = pol->mode == MTASTS_MODE_ENFORCE ? SEV_ERROR : SEV_WARN;
	const char *hosts[64];
	char name[128];
	size_t nhosts = 0, i, j, bad = 0;

	if (pol->nmx == 0 || (pol->mode != MTASTS_MODE_ENFORCE &&
	    pol->mode != MTASTS_MODE_TESTING))
		return;
	if (mx->status == DNS_NODATA || (mx->status == DNS_OK && mx->count == 0))
		hosts[nhosts++] = eval_domain(ctx);	/* implicit MX, RFC 5321 5.1 */
	for (i = 0; mx->status == DNS_OK && i < mx->count && nhosts < 64; i++)
		if (mx->rrs[i].type == DNS_T_MX && mx->rrs[i].u.mx.exchange != NULL &&
		    mx->rrs[i].u.mx.exchange[0] != '\0')
			hosts[nhosts++] = mx->rrs[i].u.mx.exchange;
	for (i = 0; i < nhosts; i++) {
		for (j = 0; j < pol->nmx; j++)
			if (mtasts_mx_match(pol->mx[j], hosts[i]))
				break;
		if (j < pol->nmx || (pol->mx_total > pol->nmx))
			continue;	/* matched, or patterns beyond the kept ones */
		if (bad++ >= MAX_MISMATCH_FINDINGS)
			continue;
		pt_sanitize(hosts[i], strlen(hosts[i]), name, sizeof(name));
		eval_finding_sev(ctx, PC_MTASTS_MX_MISMATCH, sev, "MX host %s matches no mx: "
		    "pattern of the %s policy: senders will not deliver to it (RFC 8461 4.1)",
		    name, mtasts_mode_word(pol->mode));
	}
	if (bad > MAX_MISMATCH_FINDINGS)
		eval_finding_sev(ctx, PC_MTASTS_MX_MISMATCH, sev, "%zu more MX hosts match no "
		    "mx: pattern (RFC 8461 4.1)", bad - MAX_MISMATCH_FINDINGS);
}

/* The findings of a parsed policy. */
static void
report_policy(struct eval_ctx *ctx, const struct sts_names *nm, const struct eval_doc *doc,
	      const struct dns_answer *mx, const char *id)
{
	struct mtasts_policy *pol;
	const struct mtasts_problem *p;
	static const uint8_t zero[HTTPS_HASH_LEN];
	size_t i;

	pol = malloc(sizeof(*pol));
	if (pol == NULL) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		return;
	}
	(void)mtasts_policy_parse(doc->res.body, doc->res.body_len, pol);
	for (i = 0; i < pol->nproblems && i < MAX_POLICY_FINDINGS; i++) {
		p = &pol->problems[i];
		eval_finding_sev(ctx, PC_MTASTS_POLICY_SYNTAX, p->sev == MTASTS_PSEV_ERROR ?
		    SEV_ERROR : SEV_WARN, "policy line %zu \"%s\": %s (%s)", p->line, p->text,
		    p->reason, p->section);
	}
	if (pol->nproblems > MAX_POLICY_FINDINGS)
		eval_finding_sev(ctx, PC_MTASTS_POLICY_SYNTAX, SEV_WARN, "%zu more problems in "
		    "the policy of %s (RFC 8461 3.2)", pol->nproblems - MAX_POLICY_FINDINGS,
		    nm->host);
	if (pol->mode == MTASTS_MODE_TESTING)
		eval_finding(ctx, PC_MTASTS_MODE_TESTING, "mode: testing: senders report "
		    "failures but deliver without TLS anyway (RFC 8461 5)");
	else if (pol->mode == MTASTS_MODE_NONE)
		eval_finding(ctx, PC_MTASTS_MODE_NONE, "mode: none: senders treat the domain "
		    "as having no policy (RFC 8461 5)");
	if (pol->has_max_age && pol->max_age < MTASTS_MAX_AGE_LOW &&
	    pol->mode != MTASTS_MODE_NONE)
		eval_finding(ctx, PC_MTASTS_MAX_AGE_LOW, "max_age %u s is below one day: the "
		    "cached policy lapses between refreshes (RFC 8461 3.2, 3.3)",
		    (unsigned)pol->max_age);
	if (mx->status == DNS_OK || mx->status == DNS_NODATA)
		report_mx(ctx, mx, pol);
	if (doc->has_prev && id[0] != '\0' && strcmp(doc->prev_id, id) == 0 &&
	    memcmp(doc->prev_hash, zero, HTTPS_HASH_LEN) != 0 &&
	    memcmp(doc->prev_hash, doc->res.body_hash, HTTPS_HASH_LEN) != 0)
		eval_finding(ctx, PC_MTASTS_ID_UNCHANGED, "the policy changed but id=%s did "
		    "not: senders keep their cached copy (RFC 8461 3.1)", id);
	if (pol->valid && pol->mode == MTASTS_MODE_ENFORCE)
		eval_set_enforced(ctx);		/* read by MX_CERT_INVALID (check_probe.c) */
	if (pol->valid)
		eval_set_fact(ctx, "%s, max_age %u", mtasts_mode_word(pol->mode),
		    (unsigned)pol->max_age);
	else
		eval_set_fact(ctx, "invalid policy");
	free(pol);
}

/* Judge the fetch of a published policy. */
static void
report_fetch(struct eval_ctx *ctx, const struct sts_names *nm, const struct eval_doc *doc,
	     const struct dns_answer *mx, const char *id)
{
	const struct https_result *r = &doc->res;

	if (r->status == HTTPS_ERR_BUDGET || r->status == HTTPS_ERR_INTERNAL) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "policy not fetched");
		return;
	}
	if (r->status < 0) {
		eval_finding(ctx, PC_MTASTS_POLICY_FETCH, "policy of %s: %s: %s (RFC 8461 3.3)",
		    nm->host, https_error_name(r->status), r->error);
		eval_set_fact(ctx, "no policy");
		return;
	}
	if (r->status >= 300 && r->status < 400) {
		eval_finding(ctx, PC_MTASTS_REDIRECT, "policy of %s: HTTP %d to %s: senders do "
		    "not follow redirects (RFC 8461 3.3)", nm->host, r->status,
		    r->location[0] ? r->location : "(no Location)");
		eval_set_fact(ctx, "no policy");
		return;
	}
	if (r->status != 200) {
		eval_finding(ctx, PC_MTASTS_POLICY_FETCH, "policy of %s: HTTP %d, not 200: no "
		    "policy (RFC 8461 3.3)", nm->host, r->status);
		eval_set_fact(ctx, "no policy");
		return;
	}
	note_policy(ctx, r);
	if (!is_text_plain(r->content_type))
		eval_finding(ctx, PC_MTASTS_CONTENT_TYPE, "policy of %s: Content-Type \"%s\", "
		    "not text/plain: senders reject it (RFC 8461 3.2)", nm->host,
		    r->content_type[0] ? r->content_type : "(none)");
	report_policy(ctx, nm, doc, mx, id);
}

/* No v=STSv1 record: look for a policy nobody will fetch. */
static enum check_status
check_unpublished(struct eval_ctx *ctx, const struct sts_names *nm, const struct sts_txt *st,
		  const struct dns_answer *a, const struct dns_answer *aaaa)
{
	struct eval_fetch_req req = {
		.url = nm->url, .host = nm->host, .a = a, .aaaa = aaaa,
		.max_bytes = MTASTS_POLICY_MAX, .id = NULL, .lifetime = policy_lifetime
	};
	struct mtasts_policy *pol;
	const struct eval_doc *doc;
	bool orphan = false;

	if (st->nlook > 0)
		eval_finding(ctx, PC_MTASTS_TXT_SYNTAX, "TXT \"%s\" at %s: an MTA-STS record "
		    "must begin with v=STSv1 (case-sensitive): senders ignore it (RFC 8461 3.1)",
		    st->look, nm->txt);
	if (has_address(a) || has_address(aaaa)) {
		doc = eval_fetch(ctx, &req);
		if (doc == NULL)
			return CHECK_PENDING;
		if (doc->res.status == 200)
			note_policy(ctx, &doc->res);
		if (doc->res.status == 200 && (pol = malloc(sizeof(*pol))) != NULL) {
			(void)mtasts_policy_parse(doc->res.body, doc->res.body_len, pol);
			orphan = pol->version_ok;
			free(pol);
		}
	}
	if (orphan)
		eval_finding_sev(ctx, PC_MTASTS_NONE, SEV_WARN, "%s serves a policy but %s has "
		    "no v=STSv1 record: senders never fetch it (RFC 8461 3.1)", nm->host,
		    nm->txt);
	else
		eval_finding(ctx, PC_MTASTS_NONE, "no MTA-STS record at %s: senders may deliver "
		    "without TLS (RFC 8461 3.1)", nm->txt);
	if (st->nlook == 0)
		eval_set_result(ctx, PR_NONE);
	eval_set_fact(ctx, orphan ? "policy without record" : "none");
	return CHECK_DONE;
}

/* The MTA-STS family: see the header comment for the decisions. */
enum check_status
check_mtasts(struct eval_ctx *ctx)
{
	const char *domain = eval_domain(ctx);
	const struct dns_answer *txt, *mx, *a, *aaaa;
	const struct eval_doc *doc;
	struct eval_fetch_req req;
	struct sts_names nm;
	struct sts_txt st;

	snprintf(nm.txt, sizeof(nm.txt), "_mta-sts.%s", domain);
	snprintf(nm.host, sizeof(nm.host), "mta-sts.%s", domain);
	snprintf(nm.url, sizeof(nm.url), "https://%s/.well-known/mta-sts.txt", nm.host);
	txt = eval_dns(ctx, nm.txt, DNS_T_TXT);
	mx = eval_dns(ctx, domain, DNS_T_MX);
	a = eval_dns(ctx, nm.host, DNS_T_A);
	aaaa = eval_dns(ctx, nm.host, DNS_T_AAAA);
	if (txt == NULL || mx == NULL || a == NULL || aaaa == NULL)
		return CHECK_PENDING;
	if (failed(txt)) {
		eval_set_result(ctx, txt->status == DNS_ERROR ? PR_UNKNOWN : PR_TEMPERROR);
		eval_set_fact(ctx, "TXT %s", dns_status_str(txt->status));
		return CHECK_DONE;
	}
	eval_note_txt(ctx, "mta-sts:txt", txt, sts_keep, NULL);
	read_txt(txt, &st);
	if (st.oom) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		return CHECK_DONE;
	}
	if (st.ncand == 0)
		return check_unpublished(ctx, &nm, &st, a, aaaa);

	if (!has_address(a) && !has_address(aaaa) && (failed(a) || failed(aaaa))) {
		eval_set_result(ctx, PR_TEMPERROR);
		eval_set_fact(ctx, "%s A/AAAA %s", nm.host,
		    dns_status_str(failed(a) ? a->status : aaaa->status));
		return CHECK_DONE;
	}
	memset(&req, 0, sizeof(req));
	req.url = nm.url;
	req.host = nm.host;
	req.a = a;
	req.aaaa = aaaa;
	req.max_bytes = MTASTS_POLICY_MAX;
	req.id = st.ncand == 1 && st.rec.valid ? st.rec.id : "";
	req.lifetime = policy_lifetime;
	doc = NULL;
	if ((has_address(a) || has_address(aaaa)) && (doc = eval_fetch(ctx, &req)) == NULL)
		return CHECK_PENDING;

	report_txt(ctx, &nm, &st);
	if (doc == NULL) {
		eval_finding(ctx, PC_MTASTS_POLICY_FETCH, "%s has no A or AAAA record: the "
		    "policy announced at %s cannot be fetched (RFC 8461 3.3)", nm.host, nm.txt);
		eval_set_fact(ctx, "no policy");
		return CHECK_DONE;
	}
	report_fetch(ctx, &nm, doc, mx, req.id);
	return CHECK_DONE;
}
