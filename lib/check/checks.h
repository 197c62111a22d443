/*
 * checks.h - one check per record family (check_*.c), and the table that runs them
 * (checks.c) through the driver (eval/eval.c).
 *
 * Each reads answers through eval_dns() and raises findings (see eval.h). A family
 * with no check in the table is not built yet and is left out of reports.
 */
#ifndef POSTURE_CHECKS_H
#define POSTURE_CHECKS_H

#include "eval/eval.h"

enum check_status check_mx(struct eval_ctx *ctx);	/* check_mx.c */
enum check_status check_spf(struct eval_ctx *ctx);	/* check_spf.c */
enum check_status check_dkim(struct eval_ctx *ctx);	/* check_dkim.c */
enum check_status check_dmarc(struct eval_ctx *ctx);	/* check_dmarc.c */
enum check_status check_mtasts(struct eval_ctx *ctx);	/* check_mtasts.c */
enum check_status check_tlsrpt(struct eval_ctx *ctx);	/* check_tlsrpt.c */
enum check_status check_bimi(struct eval_ctx *ctx);	/* check_bimi.c */
enum check_status check_dnssec(struct eval_ctx *ctx);	/* check_dnssec.c */
enum check_status check_dane(struct eval_ctx *ctx);	/* check_dane.c */
/*
 * Whether answers carry a DNSSEC status (eval_dnssec()); when not, the running family
 * is set not checked (DNSSEC no) or unknown with the reason (check_dnssec.c).
 */
bool check_dnssec_applies(struct eval_ctx *ctx);
/*
 * The TLSA answer check_dane judges for an MX host (RFC 7672 2.2.2: at the end of a
 * secure CNAME chain first); CHECK_PENDING while queued. check_dane.c.
 */
enum check_status check_dane_tlsa(struct eval_ctx *ctx, const char *host,
				  const struct dns_answer **tlsa);

/* An MX host: an exchange of the MX answer and its lowest preference. */
struct check_mx_pick {
	const char *name;		/* borrowed from the MX answer */
	uint16_t pref;
};
/*
 * The distinct non-null exchanges (case-insensitive) of an MX answer, the max most
 * preferred, in record order; how many. check_probe.c.
 */
size_t check_mx_pick(const struct dns_answer *mx, struct check_mx_pick *out, size_t max);

/* The STARTTLS probe of MX hosts (check_probe.c; eval_probe(), ProbeMX). */
struct check_probe_host {
	const char *name;		/* borrowed from the MX answer */
	uint16_t pref;
	const struct smtp_probe_result *res;	/* NULL: not probed (no address) */
};
/*
 * The first EVAL_MAX_PROBES exchanges of a secure-or-not MX answer by preference,
 * each probed (with its secure TLSA records when answers carry DNSSEC status);
 * CHECK_PENDING while a lookup or probe is queued. *n 0 when probing is off.
 */
enum check_status check_probe_hosts(struct eval_ctx *ctx, const struct dns_answer *mx,
				    struct check_probe_host hosts[EVAL_MAX_PROBES],
				    size_t *n);
/* The result of host among hosts, or NULL. */
const struct smtp_probe_result *check_probe_find(const struct check_probe_host *hosts,
						 size_t n, const char *host);
/* MX_STARTTLS_NONE for the probed hosts (check_mx, once its hosts resolved). */
enum check_status check_mx_starttls(struct eval_ctx *ctx, const struct dns_answer *mx);

/* Follow-ups, run by eval_run_all() once every check is done (eval_run_followup). */
enum check_status check_dmarc_auth(struct eval_ctx *ctx);	/* check_dmarc.c */
enum check_status check_mx_cert(struct eval_ctx *ctx);		/* check_probe.c */

/* Run every check of this build on ctx's domain (eval_run_all() over the table). */
struct posture_eval *check_run_all(struct eval_ctx *ctx);	/* checks.c */

#endif
