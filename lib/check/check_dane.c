/*
 * check_dane.c - the dane family: DANE TLSA records of the MX hosts (RFC 7672).
 *
 *   check_dane()   TLSA at _25._tcp.<host> for the first MX hosts, judged
 *
 * Rounds: the MX answer (round 1, shared with check_mx), then TLSA of every host at
 * once, in the round where check_mx asks their addresses (round 2). A host whose A
 * answer is a secure CNAME chain has its TLSA asked at the chain's end too (RFC 7672
 * 2.2.2: the expanded name first, the original when it has none): one more round,
 * only for such hosts.
 *
 * Decisions (codes in codes.h):
 * - Applies only with DNSSEC status (check_dnssec_applies(): not checked / unknown
 *   otherwise) and only from a secure MX RRset (RFC 7672 2.2.1): an insecure MX reads
 *   unknown, "MX not signed"; a failed or bogus MX lookup temperror (the dnssec family
 *   reports bogus); no MX host (NODATA, NXDOMAIN, null MX) unknown.
 * - Hosts: distinct non-null exchanges by preference, at most DANE_MAX_HOSTS.
 * - Per host, its TLSA answer: secure records are parsed (record/tlsa_parse.h):
 *   DANE_TLSA_SYNTAX (error) for the first record that does not parse (unknown
 *   usage, selector, matching type, a digest of the wrong length); DANE_TLSA_USAGE
 *   (warn) for PKIX-TA(0)/PKIX-EE(1), not for SMTP (RFC 7672 3.1.3); a host with
 *   at least one DANE-TA(2)/DANE-EE(3) record that parses is usable, and
 *   DANE_ROLLOVER (info) when that is its only TLSA record (no next key published).
 *   Records that are not secure: DANE_TLSA_INSECURE (warn): senders ignore them
 *   (RFC 7672 2.2). NODATA/NXDOMAIN: the host has none. A failed or bogus lookup:
 *   the host is not judged.
 * - With ProbeMX (check_probe.c): DANE_TLSA_MISMATCH (error) for a usable host whose
 *   probe completed a handshake in which none of its usable records matched the
 *   chain (OpenSSL's SSL_dane_* API decides): DANE senders defer mail to it. Hosts
 *   not probed (beyond EVAL_MAX_PROBES, no connection) are not judged.
 * - DANE_NONE (info, result none): no host has any TLSA record (and none failed).
 *   DANE_PARTIAL (warn): some hosts are usable and others have none: senders that
 *   reach the others deliver without DANE.
 * - Result from the severities; temperror when a lookup failed and no host is usable
 *   and nothing was raised. Fact: "2/2 hosts", "no TLSA", "MX not signed".
 * - Change tracking: record "tlsa:<host>" per host judged: its records as "U S M HEX"
 *   sorted and joined with " | ", "" when it has none; nothing for a failed lookup.
 *
 * What can go wrong: host names come from DNS and are printed through the sanitizer;
 * the TLSA RDATA is untrusted and read by the bounded parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/checks.h"
#include "record/tlsa_parse.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

#define DANE_MAX_HOSTS	8		/* MX hosts whose TLSA is asked */
#define TLSA_NAME_MAX	(DNS_NAME_MAX + 16)	/* "_25._tcp." + host */
#define HOST_TEXT_MAX	96		/* a host name in a message */

enum host_state { HOST_NONE, HOST_USABLE, HOST_UNUSABLE, HOST_INSECURE, HOST_FAILED };

struct dane_host {
	const char *name;		/* borrowed from the MX answer */
	uint16_t pref;
	const struct dns_answer *tlsa;	/* the answer used */
	enum host_state state;
};

/* The host name for messages: sanitized, cut. */
static const char *
host_text(const char *name, char out[HOST_TEXT_MAX])
{
	struct pt_sb sb;

	pt_sb_init(&sb);
	pt_sb_append_sanitized(&sb, name, strnlen(name, HOST_TEXT_MAX - 8));
	snprintf(out, HOST_TEXT_MAX, "%s", sb.s ? sb.s : "?");
	pt_sb_free(&sb);
	return out;
}

/* The distinct non-null exchanges by preference, at most DANE_MAX_HOSTS. */
static size_t
dane_hosts(const struct dns_answer *mx, struct dane_host *hosts)
{
	struct check_mx_pick picked[DANE_MAX_HOSTS];
	size_t i, n = check_mx_pick(mx, picked, DANE_MAX_HOSTS);

	for (i = 0; i < n; i++) {
		memset(&hosts[i], 0, sizeof(hosts[i]));
		hosts[i].name = picked[i].name;
		hosts[i].pref = picked[i].pref;
	}
	return n;
}

/* The TLSA answer at "_25._tcp.<base>", or NULL when queued. */
static const struct dns_answer *
tlsa_at(struct eval_ctx *ctx, const char *base)
{
	char name[TLSA_NAME_MAX];

	snprintf(name, sizeof(name), "_25._tcp.%s", base);
	return eval_dns(ctx, name, DNS_T_TLSA);
}

/* Whether an answer says for certain that there are no records. */
static bool
answer_none(const struct dns_answer *a)
{
	return a->status == DNS_NODATA || a->status == DNS_NXDOMAIN ||
	    (a->status == DNS_OK && a->count == 0);
}

/*
 * The TLSA answer for a host (RFC 7672 2.2.2): at the end of a secure CNAME chain of
 * its A answer first, its own name otherwise or when the expanded name has none.
 * Returns CHECK_PENDING when a needed answer is queued.
 */
static enum check_status
host_tlsa(struct eval_ctx *ctx, struct dane_host *h)
{
	const struct dns_answer *own, *addr, *expanded;

	own = tlsa_at(ctx, h->name);
	addr = eval_dns(ctx, h->name, DNS_T_A);
	if (own == NULL || addr == NULL)
		return CHECK_PENDING;
	h->tlsa = own;
	if (!addr->secure || addr->cname_hops == 0 || addr->canonical == NULL ||
	    strcasecmp(addr->canonical, h->name) == 0)
		return CHECK_DONE;
	expanded = tlsa_at(ctx, addr->canonical);
	if (expanded == NULL)
		return CHECK_PENDING;
	if (!answer_none(expanded))
		h->tlsa = expanded;
	return CHECK_DONE;
}

/* The TLSA answer judged for an MX host (see checks.h). */
enum check_status
check_dane_tlsa(struct eval_ctx *ctx, const char *host, const struct dns_answer **tlsa)
{
	struct dane_host h;

	memset(&h, 0, sizeof(h));
	h.name = host;
	*tlsa = NULL;
	if (host_tlsa(ctx, &h) == CHECK_PENDING)
		return CHECK_PENDING;
	*tlsa = h.tlsa;
	return CHECK_DONE;
}

/* Compare two C strings for qsort. */
static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Note a host's TLSA RRset: "U S M HEX" per record, sorted, joined with " | ". */
static void
note_tlsa(struct eval_ctx *ctx, const struct dane_host *h)
{
	char name[sizeof("tlsa:") + DNS_NAME_MAX];
	char **items;
	struct pt_sb sb;
	size_t i, j, n = 0;
	const struct dns_answer *a = h->tlsa;

	snprintf(name, sizeof(name), "tlsa:%s", h->name);
	if (a->status != DNS_OK || a->count == 0) {
		eval_note_record(ctx, name, "");
		return;
	}
	items = calloc(a->count, sizeof(*items));
	if (items == NULL)
		return;
	for (i = 0; i < a->count; i++) {
		const struct dns_rr *rr = &a->rrs[i];

		if (rr->type != DNS_T_TLSA)
			continue;
		pt_sb_init(&sb);
		for (j = 0; j < rr->u.raw.len; j++)
			pt_sb_printf(&sb, j < 3 ? "%u " : "%02x", (unsigned)rr->u.raw.data[j]);
		if (sb.oom) {
			pt_sb_free(&sb);
			continue;
		}
		items[n++] = pt_sb_take(&sb);
	}
	qsort(items, n, sizeof(*items), str_cmp);
	pt_sb_init(&sb);
	pt_sb_append(&sb, "");
	for (i = 0; i < n; i++) {
		pt_sb_printf(&sb, "%s%s", i ? " | " : "", items[i]);
		free(items[i]);
	}
	free(items);
	if (!sb.oom)
		eval_note_record(ctx, name, sb.s);
	pt_sb_free(&sb);
}

/* Judge one host's secure TLSA records: findings (how many), and its state. */
static unsigned
judge_records(struct eval_ctx *ctx, struct dane_host *h)
{
	struct tlsa_record rec;
	enum tlsa_problem p;
	char text[HOST_TEXT_MAX];
	size_t i, nrec = 0, usable = 0;
	bool syntax = false, pkix = false;
	unsigned raised = 0;

	for (i = 0; i < h->tlsa->count; i++) {
		const struct dns_rr *rr = &h->tlsa->rrs[i];

		if (rr->type != DNS_T_TLSA)
			continue;
		nrec++;
		p = tlsa_parse(rr->u.raw.data, rr->u.raw.len, &rec);
		if (p != TLSA_OK) {
			if (!syntax)
				eval_finding(ctx, PC_DANE_TLSA_SYNTAX, "TLSA record %u %u %u of "
				    "MX host %s: %s (RFC 6698 2.1, RFC 7671)", rec.usage,
				    rec.selector, rec.mtype, host_text(h->name, text),
				    tlsa_problem_str(p));
			raised += !syntax;
			syntax = true;
			continue;
		}
		if (tlsa_usable_for_smtp(&rec)) {
			usable++;
		} else if (!pkix) {
			eval_finding(ctx, PC_DANE_TLSA_USAGE, "TLSA record of MX host %s has "
			    "usage %s(%u), which SMTP senders do not use: publish DANE-TA(2) or "
			    "DANE-EE(3) (RFC 7672 3.1.3)", host_text(h->name, text),
			    rec.usage == TLSA_PKIX_TA ? "PKIX-TA" : "PKIX-EE", rec.usage);
			pkix = true;
			raised++;
		}
	}
	h->state = usable > 0 ? HOST_USABLE : nrec > 0 ? HOST_UNUSABLE : HOST_NONE;
	if (usable > 0 && nrec == 1) {
		eval_finding(ctx, PC_DANE_ROLLOVER, "MX host %s publishes a single TLSA "
		    "record: publish the next key's record before a key change, or mail "
		    "is deferred (RFC 7671 8.1)", host_text(h->name, text));
		raised++;
	}
	return raised;
}

/* Judge a host from its TLSA answer; how many findings it raised. */
static unsigned
judge_host(struct eval_ctx *ctx, struct dane_host *h)
{
	char text[HOST_TEXT_MAX];

	if (answer_none(h->tlsa)) {
		h->state = HOST_NONE;
		note_tlsa(ctx, h);
		return 0;
	}
	if (h->tlsa->status != DNS_OK) {
		h->state = HOST_FAILED;
		return 0;
	}
	note_tlsa(ctx, h);
	if (!h->tlsa->secure) {
		h->state = HOST_INSECURE;
		eval_finding(ctx, PC_DANE_TLSA_INSECURE, "MX host %s publishes TLSA records "
		    "that are not DNSSEC-signed: senders ignore them (RFC 7672 2.2)",
		    host_text(h->name, text));
		return 1;
	}
	return judge_records(ctx, h);
}

/* Raise DANE_NONE or DANE_PARTIAL, set the result and fact from the hosts. */
static void
judge_domain(struct eval_ctx *ctx, const struct dane_host *hosts, size_t n,
	     unsigned raised)
{
	char text[HOST_TEXT_MAX], text2[HOST_TEXT_MAX];
	size_t i, usable = 0, none = 0, failed = 0, first_usable = n, first_none = n;

	for (i = 0; i < n; i++) {
		if (hosts[i].state == HOST_USABLE && usable++ == 0)
			first_usable = i;
		if (hosts[i].state == HOST_NONE && none++ == 0)
			first_none = i;
		failed += hosts[i].state == HOST_FAILED;
	}
	if (none == n) {
		eval_finding(ctx, PC_DANE_NONE, "the MX RRset is signed but no MX host "
		    "publishes TLSA at _25._tcp: senders cannot authenticate the hosts "
		    "(RFC 7672)");
		eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "no TLSA");
		return;
	}
	if (usable > 0 && none > 0)
		eval_finding(ctx, PC_DANE_PARTIAL, "MX host %s has usable TLSA records but %s "
		    "has none: mail through it goes without DANE (RFC 7672 2.2)",
		    host_text(hosts[first_usable].name, text),
		    host_text(hosts[first_none].name, text2));
	if (failed > 0 && usable == 0 && raised == 0) {
		eval_set_result(ctx, PR_TEMPERROR);
		eval_set_fact(ctx, "TLSA lookup failed");
		return;
	}
	eval_set_fact(ctx, "%zu/%zu hosts", usable, n);
}

/* DANE_TLSA_MISMATCH for usable hosts whose presented chain no record matches. */
static unsigned
judge_probes(struct eval_ctx *ctx, const struct dane_host *hosts, size_t n,
	     const struct check_probe_host *probed, size_t nprobed)
{
	const struct smtp_probe_result *r;
	char text[HOST_TEXT_MAX];
	unsigned raised = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (hosts[i].state != HOST_USABLE)
			continue;
		r = check_probe_find(probed, nprobed, hosts[i].name);
		if (r == NULL || r->status != SMTP_PROBE_TLS_OK || r->dane != 0)
			continue;
		eval_finding(ctx, PC_DANE_TLSA_MISMATCH, "no TLSA record of MX host %s "
		    "matches the certificate chain it presents (%u certificate%s): DANE "
		    "senders defer mail to it (RFC 7672 2.2, 3)", host_text(hosts[i].name,
		    text), r->chain_len, r->chain_len == 1 ? "" : "s");
		raised++;
	}
	return raised;
}

/* The dane family: see the header comment for the decisions. */
enum check_status
check_dane(struct eval_ctx *ctx)
{
	struct dane_host hosts[DANE_MAX_HOSTS];
	struct check_probe_host probed[EVAL_MAX_PROBES];
	const struct dns_answer *mx;
	size_t n, i, nprobed;
	unsigned raised = 0;
	bool pending = false;

	if (!check_dnssec_applies(ctx))
		return CHECK_DONE;
	mx = eval_dns(ctx, eval_domain(ctx), DNS_T_MX);
	if (mx == NULL)
		return CHECK_PENDING;
	if (mx->status != DNS_OK && !answer_none(mx)) {
		eval_set_result(ctx, mx->status == DNS_ERROR ? PR_UNKNOWN : PR_TEMPERROR);
		eval_set_fact(ctx, "MX %s", mx->bogus ? "bogus" : dns_status_str(mx->status));
		return CHECK_DONE;
	}
	n = mx->status == DNS_OK ? dane_hosts(mx, hosts) : 0;
	if (n == 0) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "no MX host");
		return CHECK_DONE;
	}
	if (!mx->secure) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "MX not signed");
		return CHECK_DONE;
	}
	for (i = 0; i < n; i++)
		if (host_tlsa(ctx, &hosts[i]) == CHECK_PENDING)
			pending = true;
	if (check_probe_hosts(ctx, mx, probed, &nprobed) == CHECK_PENDING)
		pending = true;
	if (pending)
		return CHECK_PENDING;
	for (i = 0; i < n; i++)
		raised += judge_host(ctx, &hosts[i]);
	raised += judge_probes(ctx, hosts, n, probed, nprobed);
	judge_domain(ctx, hosts, n, raised);
	return CHECK_DONE;
}
