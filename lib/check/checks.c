/*
 * checks.c - the table of this build's checks, and the one call that runs them.
 *
 *   check_run_all()          every built check of one domain -> posture_eval
 *   posture_family_built()   whether this build checks a family every time (posture.h)
 *
 * The driver (eval/eval.c) runs whatever plan it is given and knows no check by name,
 * so adding a family means a check_*.c file and one row here (ARCHITECTURE.md).
 */
#include "check/checks.h"

/* The checks this build has, in report order. */
static const struct eval_check built_checks[] = {
	{ PF_MX, check_mx },
	{ PF_SPF, check_spf },
	{ PF_DKIM, check_dkim },
	{ PF_DMARC, check_dmarc },
	{ PF_MTASTS, check_mtasts },
	{ PF_TLSRPT, check_tlsrpt },
	{ PF_BIMI, check_bimi },
	{ PF_DNSSEC, check_dnssec },
	{ PF_DANE, check_dane },
};

/*
 * Families checked only on request (DNSSEC yes): not in every evaluation, so a header
 * for an evaluation that did not happen does not list them (posture_family_built()).
 */
static const enum posture_family opt_in[] = { PF_DNSSEC, PF_DANE };

/* Cross-family rules, run once every check is done. */
static const struct eval_check followups[] = {
	{ PF_DMARC, check_dmarc_auth },
	{ PF_MX, check_mx_cert },
};

static const struct eval_plan plan = {
	built_checks, sizeof(built_checks) / sizeof(built_checks[0]),
	followups, sizeof(followups) / sizeof(followups[0]),
};

/* Run every built check of ctx's domain to completion. */
struct posture_eval *
check_run_all(struct eval_ctx *ctx)
{
	return eval_run_all(ctx, &plan);
}

/* Whether this build checks the family in every evaluation (not opt-in ones). */
bool
posture_family_built(enum posture_family fam)
{
	size_t i;

	for (i = 0; i < sizeof(opt_in) / sizeof(opt_in[0]); i++)
		if (opt_in[i] == fam)
			return false;
	for (i = 0; i < plan.nchecks; i++)
		if (plan.checks[i].family == fam)
			return true;
	return false;
}
