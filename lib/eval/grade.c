/*
 * grade.c - the grade of an evaluation (ARCHITECTURE.md, Findings, Grade) and how reports write it.
 *
 *   eval_grade()          'A'..'F' from the families' results and findings, or 0 when
 *                         SPF or DMARC could not be read
 *   posture_grade_word()  "A".."F", or "temperror"
 *
 * Pure functions of a finished evaluation. What can go wrong: nothing.
 */
#include <stdbool.h>
#include <stddef.h>

#include "eval/eval.h"
#include "posture.h"

/* The grade (ARCHITECTURE.md) from the families' results and findings. */
char
eval_grade(const struct posture_eval *ev)
{
	bool error_spf_dmarc = false, error = false, warn_core = false, warn = false;
	size_t i;

	/*
	 * SPF and DMARC decide F. When either could not be read, no letter is honest:
	 * a domain whose TXT lookups all fail would otherwise read A (an improvement on
	 * the rule of ARCHITECTURE.md, which leaves temperror families out).
	 */
	if (ev->family[PF_SPF].result == PR_TEMPERROR || ev->family[PF_DMARC].result == PR_TEMPERROR)
		return 0;
	for (i = 0; i < ev->nfindings; i++) {
		const struct posture_finding *f = &ev->findings[i];
		enum posture_result res;
		bool core = f->family <= PF_DMARC;

		if ((unsigned)f->family >= PF_COUNT)	/* no real family (PF_ANY): a bug */
			continue;
		res = ev->family[f->family].result;
		if (res == PR_UNKNOWN || res == PR_TEMPERROR || res == PR_NOT_CHECKED)
			continue;
		if (f->severity == SEV_ERROR) {
			error = true;
			if (f->family == PF_SPF || f->family == PF_DMARC)
				error_spf_dmarc = true;
		} else if (f->severity == SEV_WARN) {
			warn = true;
			if (core)
				warn_core = true;
		}
	}
	if (error_spf_dmarc ||
	    (ev->family[PF_SPF].result == PR_NONE && ev->family[PF_DMARC].result == PR_NONE))
		return 'F';
	if (error)
		return 'D';
	if (warn_core)
		return 'C';
	if (warn)
		return 'B';
	return 'A';
}

/* The grade as the reports write it. */
const char *
posture_grade_word(const struct posture_eval *ev)
{
	static const char *const letters[] = { "A", "B", "C", "D", "E", "F" };

	if (ev == NULL || ev->error != NULL || ev->grade < 'A' || ev->grade > 'F')
		return "temperror";
	return letters[ev->grade - 'A'];
}
