/*
 * evalpool.h - evaluations in the background, shared through the posture cache.
 *
 *   evalpool_new()      worker threads over one engine and one posture cache
 *   evalpool_request()  ask for a domain's posture; never blocks: a fresh cached
 *                       snapshot completes the ticket at once, otherwise one
 *                       evaluation per domain runs (single flight) on a worker
 *   evalpool_wait()     wait for the ticket until a deadline
 *   evalpool_release()  drop the ticket (and the snapshot reference it holds)
 *   evalpool_set_store() give the pool posture memory (store.h): snapshots kept
 *                       beyond the process and shared by a fleet, learned selectors
 *
 * Tickets belong to the thread that asked (a milter message context). Snapshots are
 * immutable and reference-counted: the pointer evalpool_wait() returns stays valid
 * until evalpool_release(). Nothing blocks longer than the deadline it is given.
 *
 * Posture memory is read and written on the workers only, never on the requester's
 * thread: a leader job (not a refresh) first asks the store for the domain's snapshot
 * and, when one of this shape is there and not expired, serves it for what is left
 * of its lifetime instead of evaluating; an evaluation that succeeds is written to the
 * store to expire with its clamped lifetime; learned selectors are noted in the store
 * by a job of their own, and every evaluation checks the stored ones too.
 */
#ifndef POSTURE_EVALPOOL_H
#define POSTURE_EVALPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"

struct evalpool;
struct eval_ticket;
struct store;

struct evalpool_config {
	unsigned threads;		/* evaluation workers; default 4 */
	unsigned long cache_entries;	/* posture snapshots kept */
	unsigned long cache_bytes;
	unsigned cache_min_ttl, cache_max_ttl, cache_stale_ttl;	/* seconds */
};

struct evalpool_stats {
	unsigned long requests, hits, stale, misses, evaluations, failures;
	unsigned long store_hits;	/* leader jobs served from posture memory */
	unsigned long store_writes;	/* snapshots and selector lists written to it */
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
/*
 * Whether this ticket's request ran the evaluation (its findings are new: log them);
 * false when its job found the snapshot in posture memory.
 */
bool evalpool_fresh(const struct eval_ticket *t);
/* Whether the answer came from the cache (fresh or stale) or from posture memory. */
bool evalpool_cached(const struct eval_ticket *t);
void evalpool_release(struct eval_ticket *t);

/*
 * Remember the selector of a verified DKIM signature for domain (normalized): the
 * domain's later evaluations check its key record too (ARCHITECTURE.md, Cache). With
 * a store, a selector new to this pool is also noted there by a background job.
 */
void evalpool_learn_selector(struct evalpool *pool, const char *domain,
			     const char *selector);

/*
 * Use posture memory (borrowed: it must outlive the pool; NULL: none). Keys start with
 * prefix (copied; at most 63 bytes); shape_config is the hash of the configuration
 * that changes results (store_shape_init()): snapshots of another shape are not used.
 * May be called while the workers run; jobs started before see the old setting.
 */
void evalpool_set_store(struct evalpool *pool, struct store *store, const char *prefix,
			uint32_t shape_config);

/* Counters since start. */
void evalpool_stats(struct evalpool *pool, struct evalpool_stats *out);

#endif
