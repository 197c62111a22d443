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
/* Follow-ups, run by eval_run_all() once every check is done (eval_run_followup). */
enum check_status check_dmarc_auth(struct eval_ctx *ctx);	/* check_dmarc.c */

/* Run every check of this build on ctx's domain (eval_run_all() over the table). */
struct posture_eval *check_run_all(struct eval_ctx *ctx);	/* checks.c */

#endif
