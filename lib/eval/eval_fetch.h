/*
 * eval_fetch.h - the fetched documents of one evaluation (internal to eval.c).
 *
 * eval.c keeps one struct eval_fetches per context and forwards eval_fetch() and
 * eval_add_fetch() (eval.h) here; its driver asks eval_fetches_queued() after each
 * run of the checks and calls eval_fetches_round() to fetch what was queued, in
 * parallel, next to the round's DNS batch. A context belongs to one thread, and so
 * does this. Documents live in individually allocated slots, so a pointer handed to
 * a check stays valid while the context lives.
 *
 *   eval_fetches_new() / _free()   the table
 *   eval_fetches_get()             the document for a request, or NULL when queued
 *   eval_fetches_add()             seed a document as if fetched (tests)
 *   eval_fetches_queued()          whether a fetch waits for the next round
 *   eval_fetches_round()           fetch every queued document, store it in the cache
 *   eval_fetches_min_ttl()         the shortest lifetime of the documents used
 *
 * What can go wrong: out of memory (NULL / -1: the caller marks its context oom);
 * past the per-evaluation budget (EVAL_MAX_FETCHES) or the deadline a request is
 * answered at once with HTTPS_ERR_BUDGET / HTTPS_ERR_TIMEOUT, never queued.
 */
#ifndef POSTURE_EVAL_FETCH_H
#define POSTURE_EVAL_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "eval/eval.h"
#include "net/https.h"

#define EVAL_MAX_FETCHES	4	/* HTTPS fetches per evaluation (MTA-STS, BIMI) */
#define EVAL_FETCH_OK_TTL	3600	/* default lifetime of a 200 in the cache, s */
#define EVAL_FETCH_FAIL_TTL	300	/* lifetime of a failure in the cache, s */

struct eval_fetches;

struct eval_fetches *eval_fetches_new(void);
void eval_fetches_free(struct eval_fetches *fs);

/*
 * The document for req: from this evaluation's table, else a fresh document of the
 * cache (may be NULL) fetched under the same id, else queued (NULL). live: a driver
 * will run the round (a resolver exists); without one, nothing is refused for time.
 * *oom is set on allocation failure (NULL is returned then).
 */
const struct eval_doc *eval_fetches_get(struct eval_fetches *fs, struct cache *cache,
					const struct eval_fetch_req *req, bool live,
					uint64_t deadline_ms, bool *oom);
/* Seed url with a copy of r fetched under id, stored in the cache for ttl_s. 0 or -1. */
int eval_fetches_add(struct eval_fetches *fs, struct cache *cache, const char *url,
		     const struct https_result *r, const char *id, uint32_t ttl_s);

bool eval_fetches_queued(const struct eval_fetches *fs);
/* Fetch every queued document in parallel, by the deadline; settle and cache them. */
void eval_fetches_round(struct eval_fetches *fs, struct cache *cache,
			const struct https_options *opts, uint64_t deadline_ms);
/* The shortest lifetime (s) of the documents used; false when there are none. */
bool eval_fetches_min_ttl(const struct eval_fetches *fs, uint32_t *ttl);

#endif
