/*
 * dmarc_verify.c - DMARC for one message (see dmarc_verify.h).
 *
 * Which policy applies (RFC 9989 4.7): the record found at the From domain itself
 * applies with p; a record found at its Organizational Domain (or Public Suffix
 * Domain) applies with np when the From domain does not exist (NXDOMAIN), else sp,
 * else p. A record whose policy is missing or invalid is read as p=none when it has
 * a valid rua (RFC 9989 4.7, "p"), and is otherwise unusable (permerror). t=y lowers
 * the disposition one step (reject -> quarantine -> none). The legacy pct of RFC
 * 7489 is reported, never applied by sampling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/dmarc_discover.h"
#include "verify/dmarc_verify.h"
#include "util/strbuf.h"

/* "pass", "fail", ... */
const char *
dmarc_verdict_word(enum dmarc_verdict v)
{
	switch (v) {
	case DMARC_V_PASS:	return "pass";
	case DMARC_V_FAIL:	return "fail";
	case DMARC_V_TEMPERROR:	return "temperror";
	case DMARC_V_PERMERROR:	return "permerror";
	case DMARC_V_NONE:	break;
	}
	return "none";
}

/*
 * Whether identifier id aligns with the From domain: 1 yes, 0 no, -1 pending.
 * scratch is a discovery buffer reused for the identifier's own Tree Walk.
 */
static int
aligned(struct eval_ctx *ctx, const char *id, const char *from, const char *org,
	char mode, struct dmarc_discovery *scratch)
{
	if (id == NULL || *id == '\0')
		return 0;
	if (strcasecmp(id, from) == 0)
		return 1;
	if (mode == 's')
		return 0;
	/* Relaxed: the same Organizational Domain; outside the From's, never. */
	if (!dmarc_name_within(id, org))
		return 0;
	if (dmarc_discover(ctx, id, scratch) == CHECK_PENDING)
		return -1;
	if (scratch->temperror)
		return 0;
	return strcasecmp(scratch->org_domain, org) == 0;
}

/* One step lower: reject -> quarantine -> none. */
static enum dmarc_policy
policy_lowered(enum dmarc_policy p)
{
	if (p == DMARC_POLICY_REJECT)
		return DMARC_POLICY_QUARANTINE;
	return DMARC_POLICY_NONE;
}

/* The applicable policy tag; -1 pending, 0 done. */
static int
choose_policy(struct eval_ctx *ctx, const struct dmarc_discovery *d,
	      const struct dmarc_record *rec, const char *from, struct dmarc_verify_result *out)
{
	const struct dns_answer *mx;

	out->policy = rec->p;
	out->policy_tag = "p";
	if (d->policy_level == 0)
		return 0;
	if (rec->np != DMARC_POLICY_ABSENT && rec->np != DMARC_POLICY_INVALID) {
		/* RFC 9989 4.7 "np": NXDOMAIN is a property of the name, any type shows it. */
		mx = eval_dns(ctx, from, DNS_T_MX);
		if (mx == NULL)
			return -1;
		if (mx->status == DNS_NXDOMAIN) {
			out->policy = rec->np;
			out->policy_tag = "np";
			return 0;
		}
	}
	if (rec->sp != DMARC_POLICY_ABSENT && rec->sp != DMARC_POLICY_INVALID) {
		out->policy = rec->sp;
		out->policy_tag = "sp";
	}
	return 0;
}

/* Decide DMARC for a message. */
enum check_status
dmarc_verify(struct eval_ctx *ctx, const struct dmarc_verify_input *in,
	     struct dmarc_verify_result *out)
{
	struct dmarc_discovery *d = NULL, *scratch = NULL;
	const struct dmarc_record *rec;
	enum check_status st = CHECK_DONE;
	bool pending = false;
	size_t i;
	int a;

	memset(out, 0, sizeof(*out));
	out->pct = -1;
	out->policy_tag = "p";
	d = malloc(sizeof(*d));
	scratch = malloc(sizeof(*scratch));
	if (d == NULL || scratch == NULL) {
		out->result = DMARC_V_TEMPERROR;
		out->reason = "out of memory";
		goto done;
	}
	if (dmarc_discover(ctx, in->from_domain, d) == CHECK_PENDING) {
		st = CHECK_PENDING;
		goto done;
	}
	if (d->temperror) {
		out->result = DMARC_V_TEMPERROR;
		out->reason = "DMARC record lookup failed";
		goto done;
	}
	if (d->policy_level < 0) {
		out->result = DMARC_V_NONE;
		out->reason = "no DMARC record";
		goto done;
	}
	rec = &d->level[d->policy_level].record;
	pt_strlcpy(out->policy_domain, d->level[d->policy_level].domain,
	    sizeof(out->policy_domain));
	pt_strlcpy(out->org_domain, d->org_domain, sizeof(out->org_domain));
	out->testing = rec->testing;
	out->pct = rec->has_pct ? rec->pct : -1;
	if (choose_policy(ctx, d, rec, in->from_domain, out) < 0)
		pending = true;

	a = in->spf_pass ? aligned(ctx, in->spf_domain, in->from_domain, d->org_domain,
	    rec->aspf, scratch) : 0;
	if (a < 0)
		pending = true;
	out->spf_aligned = a > 0;
	for (i = 0; i < in->ndkim && i < DMARC_VERIFY_MAX_DKIM; i++) {
		a = aligned(ctx, in->dkim_domains[i], in->from_domain, d->org_domain,
		    rec->adkim, scratch);
		if (a < 0) {
			pending = true;
		} else if (a > 0 && !out->dkim_aligned) {
			out->dkim_aligned = true;
			pt_strlcpy(out->aligned_dkim_domain, in->dkim_domains[i],
			    sizeof(out->aligned_dkim_domain));
		}
	}
	if (pending) {
		st = CHECK_PENDING;
		goto done;
	}
	if (out->policy == DMARC_POLICY_ABSENT || out->policy == DMARC_POLICY_INVALID) {
		if (rec->rua.nvalid == 0) {
			out->result = DMARC_V_PERMERROR;
			out->reason = "DMARC record without a valid policy";
			goto done;
		}
		out->policy = DMARC_POLICY_NONE;	/* RFC 9989 4.7 "p" */
	}
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARC_V_PASS;
		out->disposition = DMARC_POLICY_NONE;
		goto done;
	}
	out->result = DMARC_V_FAIL;
	out->reason = in->spf_pass || in->ndkim ? "no aligned identifier" :
	    "neither SPF nor DKIM passed";
	out->disposition = out->testing ? policy_lowered(out->policy) : out->policy;
done:
	free(d);
	free(scratch);
	return st;
}
