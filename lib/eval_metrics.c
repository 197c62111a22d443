/*
 * eval_metrics.c - one evaluation's metrics (see eval_metrics.h).
 *
 * Outcome: "ok" when every checked family was read; "timeout" when a lookup did not
 * finish (a family reads temperror, or the resolver answered nothing within the
 * evaluation's time); "error" otherwise (an invalid name, out of memory). The
 * duration is the evaluation's own clock (posture_eval.dns.elapsed_ms).
 *
 * What can go wrong: nothing; a code or severity out of range is dropped by the
 * registry.
 */
#include <string.h>

#include "eval_metrics.h"
#include "util/metrics.h"

/* The resolver-unreachable error of eval_collect() (eval/eval.c). */
#define NO_ANSWER "no answer from the DNS resolver"

/* Count one evaluation. */
void
eval_metrics_count(const struct posture_eval *ev)
{
	struct metric *findings = metrics_get(M_FINDINGS);
	size_t i, outcome = EVAL_OK;

	if (!metric_enabled(findings))
		return;
	if (ev == NULL) {
		metrics_count(M_EVALUATIONS, EVAL_ERROR, 0);
		return;
	}
	if (ev->error != NULL)
		outcome = strncmp(ev->error, NO_ANSWER, strlen(NO_ANSWER)) == 0 ?
		    EVAL_TIMEOUT : EVAL_ERROR;
	for (i = 0; i < PF_COUNT && outcome == EVAL_OK; i++)
		if (ev->family[i].result == PR_TEMPERROR)
			outcome = EVAL_TIMEOUT;
	metrics_count(M_EVALUATIONS, outcome, 0);
	metrics_observe_ms(M_EVALUATION_DURATION, ev->dns.elapsed_ms);
	for (i = 0; i < ev->nfindings; i++)
		metric_add(findings, (size_t)ev->findings[i].code,
		    (size_t)ev->findings[i].severity, 1);
}
