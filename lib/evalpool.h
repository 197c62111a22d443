/*
 * evalpool.h - evaluations in the background, shared through the posture cache.
 *
 *   evalpool_new()      worker threads over one engine and one posture cache
 *   evalpool_request()  ask for a domain's posture; never blocks: a fresh cached
 *                       snapshot completes the ticket at once, otherwise one
 *                       evaluation per domain runs (single flight) on a worker
 *   evalpool_wait()     wait for the ticket until a deadline
 *   evalpool_release()  drop the ticket (and the snapshot reference it holds)
 *
 * Tickets belong to the thread that asked (a milter message context). Snapshots are
 * immutable and reference-counted: the pointer evalpool_wait() returns stays valid
 * until evalpool_release(). Nothing blocks longer than the deadline it is given.
 */
#ifndef POSTURE_EVALPOOL_H
#define POSTURE_EVALPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"

struct evalpool;
struct eval_ticket;

struct evalpool_config {
	unsigned threads;		/* evaluation workers; default 4 */
	unsigned long cache_entries;	/* posture snapshots kept */
	unsigned long cache_bytes;
	unsigned cache_min_ttl, cache_max_ttl, cache_stale_ttl;	/* seconds */
};

struct evalpool_stats {
	unsigned long requests, hits, stale, misses, evaluations, failures;
};

/* Start the workers; NULL on failure. The engine must outlive the pool. */
struct evalpool *evalpool_new(struct posture_engine *eng, const struct evalpool_config *cfg);
/* Stop the workers (in-flight evaluations finish first) and free the cache. */
void evalpool_free(struct evalpool *pool);

/*
 * Ask for the posture of a normalized domain, with DKIM selectors to check (copied).
 * NULL only when out of memory.
 */
struct eval_ticket *evalpool_request(struct evalpool *pool, const char *domain,
				     const char *const *selectors, size_t nselectors);
/* The evaluation, or NULL when it is not ready by the monotonic deadline (ms). */
const struct posture_eval *evalpool_wait(struct eval_ticket *t, uint64_t deadline_ms);
/* Whether this ticket's request ran the evaluation (its findings are new: log them). */
bool evalpool_fresh(const struct eval_ticket *t);
/* Whether the answer came from the cache (fresh or stale). */
bool evalpool_cached(const struct eval_ticket *t);
void evalpool_release(struct eval_ticket *t);

/*
 * Remember the selector of a verified DKIM signature for domain (normalized): the
 * domain's later evaluations check its key record too (ARCHITECTURE.md, Cache).
 */
void evalpool_learn_selector(struct evalpool *pool, const char *domain,
			     const char *selector);

/* Counters since start. */
void evalpool_stats(struct evalpool *pool, struct evalpool_stats *out);

#endif
