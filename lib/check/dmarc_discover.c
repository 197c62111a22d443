/*
 * dmarc_discover.c - the RFC 9989 DNS Tree Walk: policy record and Organizational
 * Domain of one domain, as a pure function of eval_dns() answers (see the header).
 *
 * What can go wrong: a failed query on a name the walk needs makes the result a
 * temperror (RFC 9989 4.10.1 leaves DNS errors to the receiver: we do not guess);
 * names too long for DNS are treated as absent; a TXT join that runs out of memory
 * counts as a local DNS error.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/dmarc_discover.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

/* Labels in a normalized name (no trailing dot); 0 for "". */
static unsigned
count_labels(const char *d)
{
	unsigned n = 1;

	if (*d == '\0')
		return 0;
	for (; *d; d++)
		if (*d == '.')
			n++;
	return n;
}

/* The suffix of d made of its last k labels (d itself when it has no more). */
static const char *
last_labels(const char *d, unsigned k)
{
	unsigned n = count_labels(d);

	while (n > k) {
		d = strchr(d, '.');
		if (d == NULL)
			return "";
		d++;
		n--;
	}
	return d;
}

/* Whether name equals ancestor or lies below it. */
bool
dmarc_name_within(const char *name, const char *ancestor)
{
	size_t n = strlen(name), a = strlen(ancestor);

	if (a == 0 || n < a)
		return false;
	if (n == a)
		return strcmp(name, ancestor) == 0;
	return name[n - a - 1] == '.' && strcmp(name + n - a, ancestor) == 0;
}

/* Whether a status means the answer is unknown (not "no record"). */
static bool
status_failed(enum dns_status st)
{
	return st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN;
}

/* Sort the TXT records of one answer into candidates and junk (RFC 9989 4.10 step 2). */
static void
fill_level(struct dmarc_level *lv, const struct dns_answer *a)
{
	size_t i, n;
	char *text;

	lv->status = a->status;
	if (a->status != DNS_OK)
		return;
	for (i = 0; i < a->count; i++) {
		if (a->rrs[i].type != DNS_T_TXT)
			continue;
		text = dns_txt_join(&a->rrs[i], &n);
		if (text == NULL) {
			lv->status = DNS_ERROR;
			return;
		}
		switch (dmarc_txt_classify(text, n)) {
		case DMARC_TXT_RECORD:
			if (++lv->ncandidates == 1)
				(void)dmarc_parse(text, n, &lv->record);
			break;
		case DMARC_TXT_MALFORMED:
			if (lv->nmalformed++ == 0) {
				struct dmarc_record junk;

				pt_sanitize(text, n, lv->malformed_text,
				    sizeof(lv->malformed_text));
				(void)dmarc_parse(text, n, &junk);
				lv->malformed_reason = junk.nproblems ?
				    junk.problems[0].reason : "not a DMARC record";
			}
			break;
		default:
			break;
		}
		free(text);
	}
	lv->has_record = lv->ncandidates == 1;
}

/* Ask for _dmarc.<lv->domain>; false when the answer is not there yet. */
static bool
ask_level(struct eval_ctx *ctx, struct dmarc_level *lv)
{
	const struct dns_answer *a;
	char qname[300];
	bool answered = true;
	size_t dlen;

	lv->labels = count_labels(lv->domain);
	dlen = strlen(lv->domain);	/* < 256: the name fits qname */
	memcpy(qname, "_dmarc.", 7);
	memcpy(qname + 7, lv->domain, dlen + 1);
	if (7 + dlen > DNS_NAME_MAX) {
		lv->asked = false;	/* cannot exist in the DNS (RFC 1035 2.3.4) */
		lv->status = DNS_NXDOMAIN;
	} else {
		lv->asked = true;
		a = eval_dns(ctx, qname, DNS_T_TXT);
		if (a != NULL)
			fill_level(lv, a);
		else
			answered = false;
	}
	/* The record was parsed (over all of it) only when there was a candidate. */
	if (lv->ncandidates == 0)
		memset(&lv->record, 0, sizeof(lv->record));
	return answered;
}

/*
 * A level as new, but for its record (9 KB), which ask_level() always settles: parsed
 * or cleared. Only the levels a walk uses are cleared: the whole struct is about
 * 80 KB, and one memset of it per message was the largest cost of DMARC verification.
 */
static void
level_reset(struct dmarc_level *lv)
{
	memset(lv, 0, offsetof(struct dmarc_level, record));
}

/* level_reset() clears what precedes the record: nothing may follow it. */
_Static_assert(offsetof(struct dmarc_level, record) + sizeof(struct dmarc_record) ==
    sizeof(struct dmarc_level), "dmarc_level: the record must be the last field");

/* discovery_reset() clears from temperror on: the levels must come before it. */
_Static_assert(offsetof(struct dmarc_discovery, level) < offsetof(struct dmarc_discovery,
    temperror), "dmarc_discovery: nlevels, level[], then the fields cleared at once");

/* Clear the result except its levels (each cleared when the walk takes it up). */
static void
discovery_reset(struct dmarc_discovery *out)
{
	size_t tail = offsetof(struct dmarc_discovery, temperror);

	out->nlevels = 0;
	memset((char *)out + tail, 0, sizeof(*out) - tail);
}

/* Set up the walk's names: the domain, then ancestors (RFC 9989 4.10 steps 3, 4, 7). */
static void
plan_levels(const char *domain, struct dmarc_discovery *out)
{
	const char *name = domain;
	unsigned x = count_labels(domain);

	out->nlevels = 0;
	while (x >= 1 && out->nlevels < DMARC_MAX_LEVELS - 1) {
		level_reset(&out->level[out->nlevels]);
		pt_strlcpy(out->level[out->nlevels].domain, name,
		    sizeof(out->level[0].domain));
		out->nlevels++;
		if (x == 1)
			break;
		if (out->nlevels == 1 && x >= 8) {
			name = last_labels(domain, 7);	/* step 4: jump to 7 labels */
			x = 7;
		} else {
			name = strchr(name, '.') + 1;
			x--;
		}
	}
}

/* The index of the walked level whose domain is name and has a record, or -1. */
static int
level_with_record(const struct dmarc_discovery *out, size_t upto, const char *name)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (out->level[i].has_record && strcmp(out->level[i].domain, name) == 0)
			return (int)i;
	return -1;
}

/* Choose the Organizational Domain among the walked levels (RFC 9989 4.10.2). */
static int
choose_org_domain(const char *domain, struct dmarc_discovery *out)
{
	const struct dmarc_level *lv;
	int psd_level = -1;
	size_t i;

	out->org_domain[0] = '\0';
	for (i = 0; i < out->walked; i++) {
		lv = &out->level[i];
		if (!lv->has_record)
			continue;
		if (lv->record.psd == DMARC_PSD_N) {
			pt_strlcpy(out->org_domain, lv->domain, sizeof(out->org_domain));
			break;
		}
		if (lv->record.psd == DMARC_PSD_Y && i != 0) {
			/* the domain one label below the PSD, on the way to the domain */
			pt_strlcpy(out->org_domain, last_labels(domain, lv->labels + 1),
			    sizeof(out->org_domain));
			psd_level = (int)i;
			break;
		}
	}
	if (out->org_domain[0] == '\0') {
		/* the record at the name with the fewest labels, or the domain itself */
		pt_strlcpy(out->org_domain, domain, sizeof(out->org_domain));
		for (i = out->walked; i-- > 0;) {
			if (out->level[i].has_record) {
				pt_strlcpy(out->org_domain, out->level[i].domain,
				    sizeof(out->org_domain));
				break;
			}
		}
	}
	return psd_level;
}

/* Discover the DMARC policy and Organizational Domain of domain. */
enum check_status
dmarc_discover(struct eval_ctx *ctx, const char *domain, struct dmarc_discovery *out)
{
	const psl_ctx_t *psl;
	const char *reg;
	bool complete = true;
	size_t i;
	int psd_level, org_level;

	discovery_reset(out);
	out->policy_level = -1;
	plan_levels(domain, out);
	if (out->nlevels == 0) {
		pt_strlcpy(out->org_domain, domain, sizeof(out->org_domain));
		return CHECK_DONE;
	}
	/* every name of the walk is known now: ask for all in this round */
	for (i = 0; i < out->nlevels; i++)
		if (!ask_level(ctx, &out->level[i]))
			complete = false;
	if (!complete)
		return CHECK_PENDING;

	/* the walk stops at the first single record with psd=y or psd=n (steps 2, 6) */
	for (i = 0; i < out->nlevels; i++) {
		out->walked = i + 1;
		if (status_failed(out->level[i].status)) {
			out->temperror = true;
			out->failed_level = i;
			return CHECK_DONE;
		}
		if (out->level[i].has_record && out->level[i].record.psd != DMARC_PSD_U)
			break;
	}
	psd_level = choose_org_domain(domain, out);
	org_level = level_with_record(out, out->walked, out->org_domain);

	/* 9+ labels: the Organizational Domain below a psd=y name may have been skipped */
	if (org_level < 0 && psd_level >= 0 && strcmp(out->org_domain, domain) != 0) {
		for (i = 0; i < out->nlevels; i++)
			if (strcmp(out->level[i].domain, out->org_domain) == 0)
				break;
		if (i == out->nlevels && out->nlevels < DMARC_MAX_LEVELS) {
			struct dmarc_level *lv = &out->level[out->nlevels];

			level_reset(lv);
			pt_strlcpy(lv->domain, out->org_domain, sizeof(lv->domain));
			if (!ask_level(ctx, lv))
				return CHECK_PENDING;
			out->nlevels++;
			if (status_failed(lv->status)) {
				out->temperror = true;
				out->failed_level = out->nlevels - 1;
				return CHECK_DONE;
			}
			if (lv->has_record)
				org_level = (int)(out->nlevels - 1);
		}
	}
	out->org_has_record = org_level >= 0;

	/* policy: the Author Domain, its Organizational Domain, its PSD (4.10.1) */
	if (out->level[0].has_record)
		out->policy_level = 0;
	else if (org_level >= 0)
		out->policy_level = org_level;
	else if (psd_level >= 0) {
		out->policy_level = psd_level;
		out->policy_from_psd = true;
	}
	out->inherited = out->policy_level > 0;

	psl = eval_psl(ctx);
	if (psl != NULL && (reg = psl_registrable_domain(psl, domain)) != NULL)
		pt_strlcpy(out->psl_org_domain, reg, sizeof(out->psl_org_domain));
	return CHECK_DONE;
}
