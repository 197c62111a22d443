/*
 * check_dkim.c - placeholder until the DKIM key check lands: the family is left out of
 * reports (no fake result).
 */
#include "checks.h"

/* Not built yet: leave the family out. */
enum check_status
check_dkim(struct eval_ctx *ctx)
{
	eval_set_result(ctx, PR_NOT_CHECKED);
	return CHECK_DONE;
}
