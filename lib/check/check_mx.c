/*
 * check_mx.c - the MX family: can the domain receive mail (bounces, replies)?
 *
 *   check_mx()   MX of the domain, then A and AAAA of every target in one round
 *
 * Rounds: round 1 asks MX; round 2 asks A and AAAA of every target at once (or of the
 * domain itself for the implicit MX), so the family takes exactly 2 rounds whenever a
 * mail host has to be resolved, 1 for NXDOMAIN, a null MX or a failed MX query. The
 * domain's own A/AAAA is not asked speculatively in round 1: it would cost two
 * queries on every domain to save a round only on the rare domain without MX.
 *
 * Decisions (codes in codes.h, severities there unless said here):
 * - SERVFAIL, REFUSED, timeout, malformed answer or query budget on the MX query:
 *   result temperror, no findings; a local resolver error (DNS_ERROR): unknown.
 * - No MX (NODATA): RFC 5321 5.1 implicit MX. With an A or AAAA at the domain:
 *   MX_NONE (warn, so the result is weak: mail still reaches the domain, but nothing
 *   states that this host is meant to receive it); with neither: MX_NO_MAIL_HOST
 *   instead (error, the two are exclusive). Addresses of the implicit host are judged
 *   like those of MX targets (MX_PRIVATE_ADDRESS).
 * - Null MX (RFC 7505 3): a record whose exchange is the root ("" in our answers).
 *   Only null records: MX_NULL, an error since we evaluate domains that send mail
 *   (RFC 7505 4.2 lets receivers reject it), whatever the preference. Null and other
 *   records: MX_NULL_MIXED, and the other hosts are still checked (senders that
 *   ignore the null record will try them).
 * - MX_DUPLICATE: the same exchange name (case-insensitive) in two records, e.g. at
 *   two preferences. Two names that resolve to the same addresses are not flagged:
 *   that is a common and harmless aliasing of one host.
 * - MX_IP_LITERAL: an exchange that is an address literal (inet_pton forms, bare or in
 *   brackets). It is not looked up and takes no part in the address judgements.
 * - MX_NO_ADDRESS: a target whose A and AAAA both answer NODATA/NXDOMAIN; error when
 *   no target has an address (and no lookup failed), warn otherwise.
 * - MX_PRIVATE_ADDRESS: one finding per host naming its first address that is not
 *   public unicast (ipaddr.h) and its class; error when no host has a public address
 *   (and no lookup failed): the domain then receives no mail from the internet.
 * - MX_NOLISTING: every host at the lowest preference has no address while a less
 *   preferred host has one. Those primaries are reported only as MX_NOLISTING, not
 *   also as MX_NO_ADDRESS: one finding per situation.
 * - MX_SINGLE: exactly one distinct non-null exchange.
 * - MX TTL, judged only from the zone's own TTL, never from a recursive resolver's
 *   counted-down copy: the original TTL of the RRSIG over a signed MX RRset (dns.h
 *   `sig_ttl`), else the TTL of an authoritative (AA) answer, else no TTL finding.
 *   MX_TTL_LOW (info) below 3600 s: every delivery then depends on a fresh lookup,
 *   and a short DNS outage turns into bounced or delayed mail (RFC 1912 2.2 advises
 *   long TTLs; every MX guide says an hour to a day). MX_TTL_HIGH (info) above
 *   86400 s: a change of mail host takes more than a day to reach senders.
 * - Bounds: at most MX_MAX_RECORDS MX records are examined and at most
 *   MX_MAX_TARGETS distinct hosts (lowest preferences first) are resolved; the fact
 *   says so ("40 MX records, 32 hosts checked"). Hosts beyond are not judged.
 * - Result: derived from the worst severity, except temperror when no host has a
 *   public address, some A/AAAA lookup failed and nothing certain is an error. A
 *   host whose lookups failed while another host is public is simply not judged.
 * - Fact: "2 hosts", "1 host", "null MX", "implicit", "no mail host", "NXDOMAIN".
 * - With ProbeMX (eval_probing()): the first hosts are probed once their addresses
 *   are known (one more round), MX_STARTTLS_NONE per host without STARTTLS; the
 *   follow-up check_mx_cert() adds MX_CERT_INVALID (check_probe.c has the rules).
 * - Change tracking (eval_note_record): record "mx", the MX RRset as "PREF HOST" per
 *   record (host lower case, no trailing dot, the null MX's root as "."), sorted by
 *   preference then host, joined with ", "; "" for NXDOMAIN or NODATA. Nothing for a
 *   failed MX query (nor a local error): a temperror is not a change.
 *
 * What can go wrong: names come from DNS and may hold any byte: messages print them
 * through mx_name_text(), which masks non-printables and truncates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/checks.h"
#include "net/ipaddr.h"
#include "util/ascii.h"
#include "util/strbuf.h"

#define MX_MAX_TARGETS	32	/* distinct hosts resolved */
#define MX_MAX_RECORDS	256	/* MX records examined (selection is quadratic) */
#define MX_TTL_LOW	3600	/* seconds: an hour */
#define MX_TTL_HIGH	86400	/* seconds: a day */
#define MX_NAME_TEXT	128	/* printed name, truncated */

enum addr_state { ADDR_YES, ADDR_NO, ADDR_UNKNOWN };

struct mx_host {
	const char *name;		/* borrowed from the MX answer */
	uint16_t pref;			/* lowest preference it is listed at */
	uint16_t pref2;			/* preference of its second listing */
	unsigned listed;		/* records naming it */
	bool literal;			/* an address literal: not looked up */
	const struct dns_answer *a, *aaaa; /* borrowed; NULL for literals */
	enum addr_state state;
	bool failed;			/* the A or the AAAA lookup failed */
	unsigned npublic, nprivate;
	uint8_t bad_addr[16];		/* first non-public address */
	size_t bad_len;
	enum ipaddr_class bad_class;
};

struct mx_run {
	struct eval_ctx *ctx;
	int worst;			/* worst severity raised, -1 none */
};

/* Raise a finding at sev, remembering the worst severity raised. */
static void __attribute__((format(printf, 4, 5)))
mx_finding(struct mx_run *run, enum posture_code code, enum posture_severity sev,
	   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((int)sev > run->worst)
		run->worst = (int)sev;
	eval_finding_sev(run->ctx, code, sev, "%s", msg);
}

/* Print a name from DNS: printable ASCII kept, other bytes as \xHH, truncated. */
static const char *
mx_name_text(const char *name, char out[MX_NAME_TEXT])
{
	const unsigned char *p = (const unsigned char *)name;
	size_t o = 0, i;

	for (i = 0; p[i] != '\0'; i++) {
		if (o + 8 >= MX_NAME_TEXT) {
			memcpy(out + o, "...", 4);
			return out;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, MX_NAME_TEXT - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
	return out;
}

/* Whether an answer ended at a name other than the one asked (RFC 2181 10.3). */
static bool
answer_via_cname(const struct dns_answer *a)
{
	if (a == NULL)
		return false;
	if (a->cname_hops > 0)
		return true;
	return a->canonical != NULL && a->qname != NULL &&
	    strcasecmp(a->canonical, a->qname) != 0;
}

/* Whether an answer says for certain that there are no records. */
static bool
answer_negative(const struct dns_answer *a)
{
	return a->status == DNS_NODATA || a->status == DNS_NXDOMAIN ||
	    (a->status == DNS_OK && a->count == 0);
}

/* Whether a lookup failed: neither records nor a certain "none". */
static bool
answer_failed(const struct dns_answer *a)
{
	return a->status != DNS_OK && !answer_negative(a);
}

/* Count and classify the addresses of one A or AAAA answer into h. */
static void
host_add_addresses(struct mx_host *h, const struct dns_answer *a)
{
	size_t i, len = a->qtype == DNS_T_A ? 4 : 16;
	enum ipaddr_class cls;

	if (a->status != DNS_OK)
		return;
	for (i = 0; i < a->count; i++) {
		if (a->rrs[i].type != a->qtype)
			continue;
		cls = ipaddr_classify(a->rrs[i].u.addr, len);
		if (ipaddr_is_public(cls)) {
			h->npublic++;
		} else if (h->nprivate++ == 0) {
			memcpy(h->bad_addr, a->rrs[i].u.addr, len);
			h->bad_len = len;
			h->bad_class = cls;
		}
	}
}

/* Judge a host from its A and AAAA answers: state and address classes. */
static void
host_resolve(struct mx_host *h)
{
	h->npublic = h->nprivate = 0;
	host_add_addresses(h, h->a);
	host_add_addresses(h, h->aaaa);
	h->failed = answer_failed(h->a) || answer_failed(h->aaaa);
	if (h->npublic + h->nprivate > 0)
		h->state = ADDR_YES;
	else if (answer_negative(h->a) && answer_negative(h->aaaa))
		h->state = ADDR_NO;
	else
		h->state = ADDR_UNKNOWN;
}

/* Raise MX_PRIVATE_ADDRESS for a host with a non-public address. */
static void
report_private(struct mx_run *run, const struct mx_host *h, const char *what,
	       enum posture_severity sev)
{
	char name[MX_NAME_TEXT], addr[IPADDR_TEXT_MAX];

	if (h->nprivate == 0)
		return;
	mx_finding(run, PC_MX_PRIVATE_ADDRESS, sev,
	    "%s %s has address %s, %s%s: not reachable from the internet (RFC 6890)",
	    what, mx_name_text(h->name, name),
	    ipaddr_to_text(h->bad_addr, h->bad_len, addr, sizeof(addr)),
	    ipaddr_class_name(h->bad_class), h->nprivate > 1 ? ", and others" : "");
}

/* No MX at all: RFC 5321 5.1 implicit MX, the domain's own A/AAAA. */
static enum check_status
check_implicit(struct mx_run *run, const char *domain)
{
	struct mx_host h;
	char addr[IPADDR_TEXT_MAX];
	size_t i;

	memset(&h, 0, sizeof(h));
	h.name = domain;
	h.a = eval_dns(run->ctx, domain, DNS_T_A);
	h.aaaa = eval_dns(run->ctx, domain, DNS_T_AAAA);
	if (h.a == NULL || h.aaaa == NULL)
		return CHECK_PENDING;
	host_resolve(&h);
	if (h.state == ADDR_UNKNOWN) {
		eval_set_result(run->ctx, PR_TEMPERROR);
		eval_set_fact(run->ctx, "A/AAAA %s", dns_status_str(answer_failed(h.a) ?
		    h.a->status : h.aaaa->status));
		return CHECK_DONE;
	}
	if (h.state == ADDR_NO) {
		mx_finding(run, PC_MX_NO_MAIL_HOST, posture_code_severity(PC_MX_NO_MAIL_HOST),
		    "no MX and no A/AAAA at %s: replies and bounces cannot be delivered "
		    "(RFC 5321 5.1)", domain);
		eval_set_fact(run->ctx, "no mail host");
		return CHECK_DONE;
	}
	/* First address, for the message: the A answer first, then AAAA. */
	strcpy(addr, "?");
	for (i = 0; i < h.a->count && h.a->status == DNS_OK; i++)
		if (h.a->rrs[i].type == DNS_T_A) {
			ipaddr_to_text(h.a->rrs[i].u.addr, 4, addr, sizeof(addr));
			break;
		}
	if (strcmp(addr, "?") == 0)
		for (i = 0; i < h.aaaa->count && h.aaaa->status == DNS_OK; i++)
			if (h.aaaa->rrs[i].type == DNS_T_AAAA) {
				ipaddr_to_text(h.aaaa->rrs[i].u.addr, 16, addr, sizeof(addr));
				break;
			}
	mx_finding(run, PC_MX_NONE, posture_code_severity(PC_MX_NONE),
	    "no MX records: mail goes to %s at its own address %s (implicit MX, "
	    "RFC 5321 5.1)", domain, addr);
	report_private(run, &h, "implicit mail host",
	    h.npublic == 0 && !h.failed ? SEV_ERROR :
	    posture_code_severity(PC_MX_PRIVATE_ADDRESS));
	eval_set_fact(run->ctx, "implicit");
	return CHECK_DONE;
}

/* Whether record i is a usable MX record (right type, exchange present). */
static bool
mx_record_ok(const struct dns_answer *mx, size_t i)
{
	return mx->rrs[i].type == DNS_T_MX && mx->rrs[i].u.mx.exchange != NULL;
}

/*
 * The index of the non-null record with the smallest (preference, index) greater
 * than (pref, idx), or n when none; idx == n means "from the start".
 */
static size_t
mx_next_record(const struct dns_answer *mx, size_t n, uint16_t pref, size_t idx)
{
	size_t i, best = n;
	uint16_t p;

	for (i = 0; i < n; i++) {
		if (!mx_record_ok(mx, i) || mx->rrs[i].u.mx.exchange[0] == '\0')
			continue;
		p = mx->rrs[i].u.mx.preference;
		if (idx != n && (p < pref || (p == pref && i <= idx)))
			continue;
		if (best == n || p < mx->rrs[best].u.mx.preference ||
		    (p == mx->rrs[best].u.mx.preference && i < best))
			best = i;
	}
	return best;
}

/*
 * Collect the distinct hosts in preference order, at most MX_MAX_TARGETS of them.
 * Returns how many; *skipped counts host records left out by the bounds.
 */
static size_t
mx_collect(const struct dns_answer *mx, size_t nhost_records, struct mx_host *hosts,
	   size_t *skipped)
{
	size_t n = mx->count < MX_MAX_RECORDS ? mx->count : MX_MAX_RECORDS;
	size_t nhosts = 0, seen = 0, i, j;
	uint16_t pref = 0;
	uint8_t lit[16];
	size_t litlen;

	for (i = mx_next_record(mx, n, 0, n); i < n;
	     i = mx_next_record(mx, n, pref, i)) {
		pref = mx->rrs[i].u.mx.preference;
		for (j = 0; j < nhosts; j++)
			if (strcasecmp(hosts[j].name, mx->rrs[i].u.mx.exchange) == 0)
				break;
		if (j < nhosts) {
			if (hosts[j].listed++ == 1)
				hosts[j].pref2 = pref;
			seen++;
			continue;
		}
		if (nhosts == MX_MAX_TARGETS)
			break;
		memset(&hosts[nhosts], 0, sizeof(hosts[nhosts]));
		hosts[nhosts].name = mx->rrs[i].u.mx.exchange;
		hosts[nhosts].pref = pref;
		hosts[nhosts].listed = 1;
		hosts[nhosts].literal = ipaddr_parse_literal(hosts[nhosts].name, lit,
		    &litlen) == 0;
		nhosts++;
		seen++;
	}
	*skipped = nhost_records - seen;
	return nhosts;
}

/* Raise the per-host findings: literal, duplicate, CNAME, no address, private. */
static void
report_hosts(struct mx_run *run, const struct mx_host *hosts, size_t nhosts,
	     const bool *nolisting_primary, bool any_addr, bool any_public,
	     bool any_unknown)
{
	char name[MX_NAME_TEXT], canon[MX_NAME_TEXT];
	const struct mx_host *h;
	const struct dns_answer *via;
	size_t i;

	for (i = 0; i < nhosts; i++) {
		h = &hosts[i];
		if (h->literal)
			mx_finding(run, PC_MX_IP_LITERAL,
			    posture_code_severity(PC_MX_IP_LITERAL),
			    "MX exchange %s is an IP address, not a host name "
			    "(RFC 5321 5.1, RFC 7505 3)", mx_name_text(h->name, name));
		if (h->listed > 1)
			mx_finding(run, PC_MX_DUPLICATE, posture_code_severity(PC_MX_DUPLICATE),
			    "MX host %s is listed %u times (preferences %u and %u): "
			    "no added redundancy (RFC 5321 5.1)", mx_name_text(h->name, name),
			    h->listed, h->pref, h->pref2);
		if (h->literal)
			continue;
		via = answer_via_cname(h->a) ? h->a : answer_via_cname(h->aaaa) ? h->aaaa : NULL;
		if (via != NULL)
			mx_finding(run, PC_MX_CNAME, posture_code_severity(PC_MX_CNAME),
			    "MX target %s is an alias (CNAME) for %s (RFC 2181 10.3, "
			    "RFC 5321 5.1)", mx_name_text(h->name, name),
			    mx_name_text(via->canonical ? via->canonical : "?", canon));
		if (h->state == ADDR_NO && !nolisting_primary[i])
			mx_finding(run, PC_MX_NO_ADDRESS,
			    any_addr || any_unknown ? SEV_WARN : SEV_ERROR,
			    "MX host %s (preference %u) has no A or AAAA record%s "
			    "(RFC 5321 5.1)", mx_name_text(h->name, name), h->pref,
			    h->a->status == DNS_NXDOMAIN ? ": NXDOMAIN" : "");
		report_private(run, h, "MX host",
		    any_public || any_unknown ? SEV_WARN : SEV_ERROR);
	}
}

/*
 * Nolisting (a deliberately dead primary): mark the hosts at the lowest preference
 * when none of them has an address while a less preferred host has one. Returns the
 * index of that less preferred host, or nhosts.
 */
static size_t
find_nolisting(const struct mx_host *hosts, size_t nhosts, bool *primary)
{
	size_t i, backup = nhosts;
	bool have_low = false;
	uint16_t low = 0;

	for (i = 0; i < nhosts; i++) {
		primary[i] = false;
		if (!hosts[i].literal && (!have_low || hosts[i].pref < low)) {
			low = hosts[i].pref;
			have_low = true;
		}
	}
	for (i = 0; i < nhosts; i++) {
		if (hosts[i].literal)
			continue;
		if (hosts[i].pref == low && hosts[i].state != ADDR_NO)
			return nhosts;
		if (hosts[i].pref > low && hosts[i].state == ADDR_YES && backup == nhosts)
			backup = i;
	}
	if (backup == nhosts)
		return nhosts;
	for (i = 0; i < nhosts; i++)
		primary[i] = !hosts[i].literal && hosts[i].pref == low;
	return backup;
}

/* MX records exist: null MX, hosts, their addresses. */
static enum check_status
check_hosts(struct mx_run *run, const struct dns_answer *mx, size_t nnull,
	    size_t nhost_records)
{
	struct mx_host hosts[MX_MAX_TARGETS];
	bool primary[MX_MAX_TARGETS];
	char name[MX_NAME_TEXT], name2[MX_NAME_TEXT];
	size_t nhosts, skipped, i, backup, first_primary = 0;
	bool pending = false, any_addr = false, any_public = false, any_unknown = false;

	nhosts = mx_collect(mx, nhost_records, hosts, &skipped);
	/* Ask A and AAAA of every host before waiting: they share one round. */
	for (i = 0; i < nhosts; i++) {
		if (hosts[i].literal)
			continue;
		hosts[i].a = eval_dns(run->ctx, hosts[i].name, DNS_T_A);
		hosts[i].aaaa = eval_dns(run->ctx, hosts[i].name, DNS_T_AAAA);
		if (hosts[i].a == NULL || hosts[i].aaaa == NULL)
			pending = true;
	}
	if (pending)
		return CHECK_PENDING;

	for (i = 0; i < nhosts; i++) {
		if (hosts[i].literal)
			continue;
		host_resolve(&hosts[i]);
		any_addr |= hosts[i].state == ADDR_YES;
		any_public |= hosts[i].npublic > 0;
		any_unknown |= hosts[i].failed;
	}

	if (nnull > 0)
		mx_finding(run, PC_MX_NULL_MIXED, posture_code_severity(PC_MX_NULL_MIXED),
		    "null MX (\".\") published alongside %zu other MX record%s: a null MX "
		    "must be the only MX (RFC 7505 3)", nhost_records,
		    nhost_records == 1 ? "" : "s");
	backup = find_nolisting(hosts, nhosts, primary);
	if (backup < nhosts) {
		while (first_primary + 1 < nhosts && !primary[first_primary])
			first_primary++;
		mx_finding(run, PC_MX_NOLISTING, posture_code_severity(PC_MX_NOLISTING),
		    "most preferred MX %s (pref %u) has no address, %s (pref %u) has: "
		    "nolisting delays mail (RFC 5321 5.1)",
		    mx_name_text(hosts[first_primary].name, name), hosts[first_primary].pref,
		    mx_name_text(hosts[backup].name, name2), hosts[backup].pref);
	}
	report_hosts(run, hosts, nhosts, primary, any_addr, any_public, any_unknown);
	if (nhosts == 1 && skipped == 0)
		mx_finding(run, PC_MX_SINGLE, posture_code_severity(PC_MX_SINGLE),
		    "only one MX host, %s: no fallback while it is down (RFC 5321 5.1)",
		    mx_name_text(hosts[0].name, name));

	if (any_unknown && !any_public && run->worst < (int)SEV_ERROR) {
		eval_set_result(run->ctx, PR_TEMPERROR);
		eval_set_fact(run->ctx, "A/AAAA lookup failed");
	} else if (skipped > 0) {
		eval_set_fact(run->ctx, "%zu MX records, %zu hosts checked", nhost_records,
		    nhosts);
	} else {
		eval_set_fact(run->ctx, "%zu host%s", nhosts, nhosts == 1 ? "" : "s");
	}
	return CHECK_DONE;
}

/* One MX record for the canonical form: preference and exchange. */
struct mx_entry {
	uint16_t pref;
	const char *host;		/* borrowed; "" is the root (null MX) */
};

/* Compare two names as their lower-case forms would, bytewise. */
static int
name_cmp_lower(const char *x, const char *y)
{
	const unsigned char *p = (const unsigned char *)x, *q = (const unsigned char *)y;

	while (*p != '\0' && ascii_lower(*p) == ascii_lower(*q)) {
		p++;
		q++;
	}
	return (int)ascii_lower(*p) - (int)ascii_lower(*q);
}

/* qsort order of MX entries: preference, then host. */
static int
mx_entry_cmp(const void *x, const void *y)
{
	const struct mx_entry *a = x, *b = y;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return name_cmp_lower(a->host, b->host);
}

/*
 * Note the MX RRset (change tracking): "PREF HOST" per record, host in lower case
 * without its trailing dot, the root as ".", sorted by preference then host, joined
 * with ", "; "" when there is none. Only answers that are certain come here.
 */
static void
note_mx(struct eval_ctx *ctx, const struct dns_answer *mx)
{
	struct mx_entry *e;
	struct pt_sb sb;
	size_t i, j, n = 0, len;

	if (mx->status != DNS_OK || mx->count == 0) {
		eval_note_record(ctx, "mx", "");
		return;
	}
	e = calloc(mx->count, sizeof(*e));
	if (e == NULL)
		return;		/* out of memory: the record is left as it was */
	for (i = 0; i < mx->count; i++)
		if (mx_record_ok(mx, i)) {
			e[n].pref = mx->rrs[i].u.mx.preference;
			e[n++].host = mx->rrs[i].u.mx.exchange;
		}
	qsort(e, n, sizeof(*e), mx_entry_cmp);
	pt_sb_init(&sb);
	pt_sb_append(&sb, "");
	for (i = 0; i < n; i++) {
		len = strlen(e[i].host);
		if (len > 0 && e[i].host[len - 1] == '.')
			len--;
		pt_sb_printf(&sb, "%s%u ", i > 0 ? ", " : "", (unsigned)e[i].pref);
		if (len == 0)
			pt_sb_append(&sb, ".");
		for (j = 0; j < len; j++) {
			char c = (char)ascii_lower((unsigned char)e[i].host[j]);

			pt_sb_appendn(&sb, &c, 1);
		}
	}
	free(e);
	if (!sb.oom)
		eval_note_record(ctx, "mx", sb.s);
	pt_sb_free(&sb);
}

/* MX_TTL_LOW / MX_TTL_HIGH from the zone's TTL: RRSIG original TTL, else AA. */
static void
report_ttl(struct mx_run *run, const struct dns_answer *mx, uint32_t min_ttl)
{
	const char *src = "its RRSIG's original TTL";
	uint32_t ttl = mx->sig_ttl;

	if (ttl == 0) {
		if (!mx->authoritative)
			return;		/* a recursive resolver's copy counts down */
		ttl = min_ttl;
		src = "authoritative answer";
	}
	if (ttl < MX_TTL_LOW)
		mx_finding(run, PC_MX_TTL_LOW, posture_code_severity(PC_MX_TTL_LOW),
		    "MX TTL %u s (%s) is below %u s: a short DNS outage delays or bounces "
		    "mail (RFC 1912 2.2)", (unsigned)ttl, src, (unsigned)MX_TTL_LOW);
	else if (ttl > MX_TTL_HIGH)
		mx_finding(run, PC_MX_TTL_HIGH, posture_code_severity(PC_MX_TTL_HIGH),
		    "MX TTL %u s (%s) is above %u s: a change of mail host takes more than "
		    "a day to reach senders", (unsigned)ttl, src, (unsigned)MX_TTL_HIGH);
}

/* The MX family: see the header comment for the decisions. */
enum check_status
check_mx(struct eval_ctx *ctx)
{
	struct mx_run run = { ctx, -1 };
	const char *domain = eval_domain(ctx);
	const struct dns_answer *mx;
	size_t i, nnull = 0, nhost_records = 0;
	uint32_t min_ttl = UINT32_MAX;

	mx = eval_dns(ctx, domain, DNS_T_MX);
	if (mx == NULL)
		return CHECK_PENDING;
	if (mx->status == DNS_OK || mx->status == DNS_NODATA || mx->status == DNS_NXDOMAIN)
		note_mx(ctx, mx);
	switch (mx->status) {
	case DNS_OK:
	case DNS_NODATA:
		break;
	case DNS_NXDOMAIN:
		mx_finding(&run, PC_MX_NXDOMAIN, posture_code_severity(PC_MX_NXDOMAIN),
		    "%s does not exist (MX query NXDOMAIN): no mail can be returned to it "
		    "(RFC 5321 5.1)", domain);
		eval_set_fact(ctx, "NXDOMAIN");
		return CHECK_DONE;
	case DNS_ERROR:
		/* A local failure, not the domain's: the check could not run. */
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "MX %s", dns_status_str(mx->status));
		return CHECK_DONE;
	default:
		eval_set_result(ctx, PR_TEMPERROR);
		eval_set_fact(ctx, "MX %s", dns_status_str(mx->status));
		return CHECK_DONE;
	}

	for (i = 0; mx->status == DNS_OK && i < mx->count; i++) {
		if (!mx_record_ok(mx, i))
			continue;
		if (mx->rrs[i].u.mx.exchange[0] == '\0')
			nnull++;
		else
			nhost_records++;
		if (mx->rrs[i].ttl < min_ttl)
			min_ttl = mx->rrs[i].ttl;
	}
	if (nnull + nhost_records == 0)
		return check_implicit(&run, domain);

	if (nhost_records == 0) {
		/* RFC 7505 3: one record, preference 0, exchange "." */
		mx_finding(&run, PC_MX_NULL, posture_code_severity(PC_MX_NULL),
		    "null MX (\".\"): %s says it accepts no mail, yet it sends mail; "
		    "receivers may reject it (RFC 7505 4.2)", domain);
		eval_set_fact(ctx, "null MX");
	} else if (check_hosts(&run, mx, nnull, nhost_records) == CHECK_PENDING ||
	    check_mx_starttls(ctx, mx) == CHECK_PENDING) {
		return CHECK_PENDING;
	}

	report_ttl(&run, mx, min_ttl);
	return CHECK_DONE;
}
