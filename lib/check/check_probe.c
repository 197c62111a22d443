/*
 * check_probe.c - the STARTTLS probe of MX hosts as the checks see it (ProbeMX,
 * posture-check --probe-mx; net/smtp_probe.h does the talking).
 *
 *   check_probe_hosts()   the probe results of the first MX hosts, queued like lookups
 *   check_mx_starttls()   MX_STARTTLS_NONE, from check_mx once its hosts resolved
 *   check_mx_cert()       follow-up of the mx family: MX_CERT_INVALID
 *   check_probe_find()    the result of one host among those probed (check_dane)
 *   check_mx_pick()       the most preferred distinct exchanges (check_dane too)
 *
 * Rounds: the hosts' A and AAAA (round 2, shared with check_mx) and, when answers
 * carry DNSSEC status and the MX RRset is secure, their TLSA (check_dane_tlsa(), the
 * same answers check_dane judges); then the probes, all hosts at once, after the
 * next DNS round. A probe is asked only for a host with an address; the first
 * request decides the TLSA records it is matched against (eval.h), and every caller
 * here asks with the same ones.
 *
 * Decisions (codes in codes.h):
 * - Hosts: distinct non-null exchanges that are not address literals, by preference,
 *   at most EVAL_MAX_PROBES; the implicit MX and a null MX are not probed.
 * - MX_STARTTLS_NONE (warn), per host: its EHLO reply offers no STARTTLS, or its
 *   STARTTLS is refused: mail to it travels in clear text (RFC 3207). A probe that
 *   did not reach SMTP (connect, timeout, refused address) raises nothing.
 * - MX_CERT_INVALID (info; error when the domain's MTA-STS policy is enforce, since
 *   senders then refuse to deliver, RFC 8461 4.2), per host: after a handshake, the
 *   chain does not verify for the MX name under the CA file. Never for a host that a
 *   DANE-EE(3) record authenticated: DANE-EE ignores names and expiry (RFC 7672
 *   3.1.1). A follow-up, because it needs the mtasts family's verdict.
 *
 * What can go wrong: host names come from DNS and are printed through the sanitizer;
 * server texts in results are sanitized by the probe.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check/checks.h"
#include "net/ipaddr.h"
#include "util/strbuf.h"

#define HOST_TEXT_MAX	96		/* a host name in a message */

/* The host name for messages: sanitized, cut. */
static const char *
host_text(const char *name, char out[HOST_TEXT_MAX])
{
	pt_sanitize(name, strnlen(name, HOST_TEXT_MAX - 8), out, HOST_TEXT_MAX);
	return out;
}

/* The distinct non-null exchanges by preference, at most max (see checks.h). */
size_t
check_mx_pick(const struct dns_answer *mx, struct check_mx_pick *out, size_t max)
{
	size_t n = 0, i, j, worst;

	for (i = 0; i < mx->count; i++) {
		const struct dns_rr *rr = &mx->rrs[i];

		if (rr->type != DNS_T_MX || rr->u.mx.exchange == NULL ||
		    rr->u.mx.exchange[0] == '\0')
			continue;
		for (j = 0; j < n; j++)
			if (strcasecmp(out[j].name, rr->u.mx.exchange) == 0)
				break;
		if (j < n) {
			if (rr->u.mx.preference < out[j].pref)
				out[j].pref = rr->u.mx.preference;
			continue;
		}
		if (n == max) {
			/* Keep the most preferred: replace the worst kept. */
			for (worst = 0, j = 1; j < n; j++)
				if (out[j].pref > out[worst].pref)
					worst = j;
			if (rr->u.mx.preference >= out[worst].pref)
				continue;
			j = worst;
		} else {
			j = n++;
		}
		out[j].name = rr->u.mx.exchange;
		out[j].pref = rr->u.mx.preference;
	}
	return n;
}

/* The hosts to probe: the first picked that are names, not address literals. */
static size_t
probe_pick(const struct dns_answer *mx, struct check_probe_host *hosts)
{
	struct check_mx_pick picked[EVAL_MAX_PROBES];
	uint8_t lit[16];
	size_t i, n, k = 0, litlen;

	n = check_mx_pick(mx, picked, EVAL_MAX_PROBES);
	for (i = 0; i < n; i++) {
		if (ipaddr_parse_literal(picked[i].name, lit, &litlen) == 0)
			continue;
		memset(&hosts[k], 0, sizeof(hosts[k]));
		hosts[k].name = picked[i].name;
		hosts[k++].pref = picked[i].pref;
	}
	return k;
}

/* Probe one host: its answers, then the probe; CHECK_PENDING while one is queued. */
static enum check_status
probe_host(struct eval_ctx *ctx, bool mx_secure, struct check_probe_host *h)
{
	struct eval_probe_req req;
	const struct dns_answer *tlsa = NULL;

	memset(&req, 0, sizeof(req));
	req.host = h->name;
	req.a = eval_dns(ctx, h->name, DNS_T_A);
	req.aaaa = eval_dns(ctx, h->name, DNS_T_AAAA);
	if (mx_secure && eval_dnssec(ctx) == EVAL_DNSSEC_VALIDATING &&
	    check_dane_tlsa(ctx, h->name, &tlsa) == CHECK_PENDING)
		return CHECK_PENDING;
	if (req.a == NULL || req.aaaa == NULL)
		return CHECK_PENDING;
	if (req.a->status != DNS_OK && req.aaaa->status != DNS_OK)
		return CHECK_DONE;	/* nothing to probe: check_mx judges that */
	req.tlsa = tlsa;
	h->res = eval_probe(ctx, &req);
	return h->res == NULL ? CHECK_PENDING : CHECK_DONE;
}

/* The probe results of the first MX hosts (see checks.h). */
enum check_status
check_probe_hosts(struct eval_ctx *ctx, const struct dns_answer *mx,
		  struct check_probe_host hosts[EVAL_MAX_PROBES], size_t *n)
{
	bool pending = false;
	size_t i;

	*n = 0;
	if (!eval_probing(ctx) || mx == NULL || mx->status != DNS_OK)
		return CHECK_DONE;
	*n = probe_pick(mx, hosts);
	for (i = 0; i < *n; i++)
		if (probe_host(ctx, mx->secure, &hosts[i]) == CHECK_PENDING)
			pending = true;
	return pending ? CHECK_PENDING : CHECK_DONE;
}

/* The result of host among those probed for the domain's MX, or NULL. */
const struct smtp_probe_result *
check_probe_find(const struct check_probe_host *hosts, size_t n, const char *host)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(hosts[i].name, host) == 0)
			return hosts[i].res;
	return NULL;
}

/* MX_STARTTLS_NONE for the probed hosts that offer no STARTTLS. */
enum check_status
check_mx_starttls(struct eval_ctx *ctx, const struct dns_answer *mx)
{
	struct check_probe_host hosts[EVAL_MAX_PROBES];
	char text[HOST_TEXT_MAX];
	size_t n, i;

	if (check_probe_hosts(ctx, mx, hosts, &n) == CHECK_PENDING)
		return CHECK_PENDING;
	for (i = 0; i < n; i++)
		if (hosts[i].res != NULL && hosts[i].res->status == SMTP_PROBE_NO_STARTTLS)
			eval_finding(ctx, PC_MX_STARTTLS_NONE, "MX host %s (%s): %s: mail to "
			    "it travels in clear text (RFC 3207)",
			    host_text(hosts[i].name, text), hosts[i].res->address,
			    hosts[i].res->error);
	return CHECK_DONE;
}

/* Follow-up of the mx family: MX_CERT_INVALID (see the header comment). */
enum check_status
check_mx_cert(struct eval_ctx *ctx)
{
	struct check_probe_host hosts[EVAL_MAX_PROBES];
	const struct smtp_probe_result *r;
	const struct dns_answer *mx;
	char text[HOST_TEXT_MAX];
	bool enforce = eval_family_enforced(ctx, PF_MTASTS);
	size_t n, i;

	if (!eval_probing(ctx))
		return CHECK_DONE;
	mx = eval_dns(ctx, eval_domain(ctx), DNS_T_MX);
	/* Every probe ran in the checks' rounds: what is not ready was not probed. */
	(void)check_probe_hosts(ctx, mx, hosts, &n);
	for (i = 0; i < n; i++) {
		r = hosts[i].res;
		if (r == NULL || r->status != SMTP_PROBE_TLS_OK || r->pkix != 0)
			continue;
		if (r->dane == 1 && r->dane_usage == 3)
			continue;	/* DANE-EE authenticates it (RFC 7672 3.1.1) */
		eval_finding_sev(ctx, PC_MX_CERT_INVALID, enforce ? SEV_ERROR :
		    posture_code_severity(PC_MX_CERT_INVALID), "the certificate of MX host "
		    "%s is not valid for its name: %s%s (RFC 8461 4.2)",
		    host_text(hosts[i].name, text), r->pkix_error, enforce ?
		    "; the MTA-STS policy is enforce, so senders refuse to deliver" : "");
	}
	return CHECK_DONE;
}
