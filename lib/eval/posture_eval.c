/*
 * posture_eval.c - the evaluation object of posture.h, on its own: posture_eval_free().
 *
 * Kept apart from the driver (eval.c) so that whoever only holds evaluations (the
 * posture-memory codec and its fuzz harness) links no resolver or fetcher.
 */
#include <stdlib.h>

#include "posture.h"

/* Free an evaluation and everything it owns; NULL is allowed. */
void
posture_eval_free(struct posture_eval *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nfindings; i++)
		free(ev->findings[i].message);
	free(ev->findings);
	for (i = 0; i < ev->nrecords; i++) {
		free(ev->records[i].name);
		free(ev->records[i].value);
	}
	free(ev->records);
	free(ev->error);
	free(ev);
}
