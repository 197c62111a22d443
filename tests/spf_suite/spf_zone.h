/*
 * spf_zone.h - an in-process DNS zone for tests of the SPF check (no resolver).
 *
 *   spf_zone_add()     one record line, "NAME TYPE VALUE..." (yml2zone.py's format
 *                      without the leading "zone ")
 *   spf_zone_answer()  the answer to (name, type) as the RFC 7208 suite driver gives it
 *   spf_zone_run()     run a check to completion the way eval_run_all() does: after
 *                      every pending run, the questions of that run are answered from
 *                      the zone in one batch (a round); counts questions and rounds
 *
 * Answer rules (python3-spf testspf.py): a name not in the zone is NXDOMAIN (a name
 * starting "error." times out); a bare "TIMEOUT" line makes every type without records
 * listed before it time out; "TYPE TIMEOUT" times that type out; a name with records
 * but none of the type is NODATA; a CNAME is followed one level.
 *
 * How questions are seen: the test programs are linked with -Wl,--wrap=eval_dns and
 * -Wl,--wrap=eval_set_fact, so check code calling eval_dns() reaches __wrap_eval_dns()
 * here, which calls the real one and notes each question it queued (budget and
 * deadline stay the real ones), and the fact a check sets is kept for
 * spf_zone_last_fact() (eval.h has no reader for it outside eval_run_all()).
 *
 * What can go wrong: a malformed line is refused with a reason (the caller fails the
 * test); allocation failures fail the test through cmocka.
 */
#ifndef TEST_SPF_ZONE_H
#define TEST_SPF_ZONE_H

#include "eval/eval.h"

struct spf_zone;

struct spf_zone_stats {
	unsigned questions;	/* distinct (name, type) queued by the check */
	unsigned rounds;	/* batches answered */
};

struct spf_zone *spf_zone_new(void);
void spf_zone_free(struct spf_zone *z);
/* Forget every record. */
void spf_zone_clear(struct spf_zone *z);
/* Add a record line; 0, or -1 with a static reason. */
int spf_zone_add(struct spf_zone *z, const char *line, const char **why);
/* Fill out (zeroed by the caller, released with dns_answer_clear()). */
void spf_zone_answer(const struct spf_zone *z, const char *name, uint16_t type,
		     struct dns_answer *out);
/*
 * Run fn for fam until it is done, answering each round from z. Returns the last
 * status: CHECK_PENDING only when the check waited without asking anything new or ran
 * more than 64 rounds. stats may be NULL.
 */
enum check_status spf_zone_run(struct eval_ctx *ctx, const struct spf_zone *z,
			       enum posture_family fam, check_fn fn,
			       struct spf_zone_stats *stats);

/* The fact set by the last run of spf_zone_run() ("" when none). */
const char *spf_zone_last_fact(void);

#endif
