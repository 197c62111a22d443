/*
 * check_spf.c - placeholder until the SPF walker lands: the family is left out of
 * reports (no fake result).
 */
#include "checks.h"

/* Not built yet: leave the family out. */
enum check_status
check_spf(struct eval_ctx *ctx)
{
	eval_set_result(ctx, PR_NOT_CHECKED);
	return CHECK_DONE;
}
