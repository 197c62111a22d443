/*
 * noted.h - what a check noted for change tracking (eval_note_record), for the unit
 * tests of checks.
 *
 *   noted()                 the value noted under a name, NULL when none was
 *   noted_count()           how many records were noted
 *   assert_failure_notes()  for every way a lookup fails, what one name reads
 *
 * Include after cmocka.h. What can go wrong: nothing; a record not noted reads NULL,
 * so a test tells "noted as none" ("") from "not noted" (a failed lookup).
 */
#ifndef TEST_NOTED_H
#define TEST_NOTED_H

#include <string.h>

#include "eval/eval.h"

/* The value noted under name, or NULL when none was. */
static inline const char *
noted(const struct eval_ctx *ctx, const char *name)
{
	const struct posture_record *r;
	size_t i, n;

	r = eval_records(ctx, &n);
	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			return r[i].value;
	return NULL;
}

/* How many records were noted. */
static inline size_t
noted_count(const struct eval_ctx *ctx)
{
	size_t n;

	(void)eval_records(ctx, &n);
	return n;
}

/* A context whose lookup under test answers st, every other answer in place. */
typedef struct eval_ctx *(*noted_setup_fn)(enum dns_status st);

/*
 * For every failed status (SERVFAIL, timeout, REFUSED, malformed, truncated, budget,
 * a local error): run fn for fam to done on setup(st) and check that name reads want
 * (NULL: not noted, as a temperror is not a change).
 */
static inline void
assert_failure_notes(noted_setup_fn setup, enum posture_family fam, check_fn fn,
		     const char *name, const char *want)
{
	static const enum dns_status failures[] = {
		DNS_SERVFAIL, DNS_TIMEOUT, DNS_REFUSED, DNS_MALFORMED, DNS_TRUNCATED,
		DNS_BUDGET, DNS_ERROR,
	};
	struct eval_ctx *ctx;
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		ctx = setup(failures[i]);
		if (eval_run_check(ctx, fam, fn) != CHECK_DONE)
			fail_msg("%s: pending with every answer present",
			    dns_status_str(failures[i]));
		got = noted(ctx, name);
		if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0)
			fail_msg("%s: %s reads \"%s\", expected %s%s%s",
			    dns_status_str(failures[i]), name, got ? got : "(not noted)",
			    want ? "\"" : "", want ? want : "not noted", want ? "\"" : "");
		eval_ctx_free(ctx);
	}
}

#endif
