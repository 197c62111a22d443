/*
 * eval_metrics.h - what an evaluation adds to the daemon's metrics (util/metrics.h).
 *
 *   eval_metrics_count()  posture_milter_evaluations_total{outcome}, the duration
 *                         histogram and posture_milter_findings_total{code,severity}
 *
 * Called by the evaluation pool once per evaluation it runs (never for a snapshot
 * served from the cache or from posture memory), so findings are counted as often as
 * a domain is evaluated, like the finding log lines. A no-op until metrics are enabled.
 */
#ifndef POSTURE_EVAL_METRICS_H
#define POSTURE_EVAL_METRICS_H

#include "posture.h"

/* Count one evaluation; ev NULL when it could not even start (out of memory). */
void eval_metrics_count(const struct posture_eval *ev);

#endif
