/*
 * metrics_milter.h - what a message adds to the daemon's metrics (util/metrics.h),
 * called from the end-of-message callback (callbacks.c) at a few points.
 *
 *   metrics_eom_begin()      end of message starts (the eom wait histogram's start)
 *   metrics_forged_removed() forged fields deleted
 *   metrics_verdicts()       the Authentication-Results words of one message
 *   metrics_message_done()   the message's outcome; returns the status it is given
 *
 * No-ops until metrics are enabled (MetricsSocket). One message's end of message runs
 * on one libmilter worker thread from start to finish, so the start time is kept per
 * thread.
 */
#ifndef PM_METRICS_MILTER_H
#define PM_METRICS_MILTER_H

#include <stdbool.h>

#include "callbacks.h"
#include "verify/dkim_verify.h"
#include "verify/verify.h"

void metrics_eom_begin(void);
void metrics_forged_removed(size_t n);
/* dr NULL: DKIM not verified ("none"). */
void metrics_verdicts(const struct verify_out *out, const struct dkim_verify_results *dr);
/*
 * Count the message by status (SMFIS_REJECT: rejected, SMFIS_TEMPFAIL: tempfail), else
 * !ok: error, else skipped or annotated; observe the time since metrics_eom_begin().
 */
sfsistat metrics_message_done(bool skipped, bool ok, sfsistat status);

#endif
