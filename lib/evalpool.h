/*
 * evalpool.h - evaluations in the background, shared through the posture cache.
 *
 *   evalpool_new()      worker threads over one engine and one posture cache
 *   evalpool_request()  ask for a domain's posture; never blocks: a fresh cached
 *                       snapshot completes the ticket at once, otherwise one
 *                       evaluation per domain runs (single flight) on a worker
 *   evalpool_wait()     wait for the ticket until a deadline
 *   evalpool_release()  drop the ticket (and the snapshot reference it holds)
 *   evalpool_recheck()  evaluate again with selectors that just verified on a message
 *                       (their keys are in the DNS cache already): the result replaces
 *                       the cached snapshot
 *   evalpool_set_memory() give the pool posture memory (memory.h): snapshots kept
 *                       beyond the process and shared by a fleet, learned selectors,
 *                       change tracking, the fleet's single flight
 *
 * Tickets belong to the thread that asked (a milter message context). Snapshots are
 * immutable and reference-counted: the pointer evalpool_wait() returns stays valid
 * until evalpool_release(). Nothing blocks longer than the deadline it is given.
 *
 * Posture memory is read and written on the workers only, never on the requester's
 * thread: a leader job (not a refresh) first asks the store for the domain's snapshot
 * and, when one of this shape is there and not expired, serves it for what is left
 * of its lifetime instead of evaluating. Otherwise it takes the domain's fleet lock
 * (Redis SET NX PX): when another host holds it, the job polls the store for that
 * host's snapshot for at most lock_wait_ms, then evaluates itself. An evaluation that
 * succeeds is compared with the domain's history (change findings go into the
 * snapshot), handed over, then written to the store to expire with its clamped
 * lifetime; learned selectors are noted in the store by a job of their own, and every
 * evaluation checks the stored ones too.
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
	/* The fleet's single flight: how long a domain's lock lives (0: 15000), and how
	 * long another host waits for the holder's snapshot before evaluating itself
	 * (0: 2000). */
	unsigned lock_ttl_ms, lock_wait_ms;
};

struct evalpool_stats {
	unsigned long requests, hits, stale, misses, evaluations, failures;
	unsigned long store_hits;	/* leader jobs served from posture memory */
	unsigned long store_writes;	/* snapshots and selector lists written to it */
	unsigned long fleet_waits;	/* leader jobs that found another host evaluating */
	unsigned long changes;		/* evaluations that raised change findings */
	unsigned long rechecks;		/* evaluations again for selectors that verified */
};

/* Start the workers; NULL on failure. The engine must outlive the pool. */
struct evalpool *evalpool_new(struct posture_engine *eng, const struct evalpool_config *cfg);
/*
 * Stop the workers and free the cache: evaluations already running finish (each
 * bounded by EvaluationTimeout), queued jobs not yet started are dropped. Call it
 * only when nobody waits on the pool's tickets any more.
 */
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
 * Evaluate a normalized domain again with these selectors (copied; the pool adds the
 * ones it learned), bypassing the cache's single flight and posture memory's
 * snapshots: for a message whose verified signature names a selector its snapshot did
 * not check. Wait with evalpool_wait() (NULL result: keep the snapshot you had); a
 * successful result replaces the cached snapshot and the stored one. NULL on OOM.
 */
struct eval_ticket *evalpool_recheck(struct evalpool *pool, const char *domain,
				     const char *const *selectors, size_t nselectors);

/*
 * Use posture memory (borrowed: it must outlive the pool; NULL: none). May be called
 * while the workers run; jobs started before see the old setting.
 */
struct posture_memory;
void evalpool_set_memory(struct evalpool *pool, struct posture_memory *memory);

/*
 * What the pool holds for a normalized domain, evaluating nothing (PostureView):
 * a reference to its cached snapshot, fresh or stale, or NULL. The evaluation stays
 * valid until evalpool_peek_release(*ref). *age_s: seconds since it was stored;
 * *stale: past its lifetime.
 */
const struct posture_eval *evalpool_peek(struct evalpool *pool, const char *domain,
					 void **ref, unsigned *age_s, bool *stale);
void evalpool_peek_release(void *ref);

/* Counters since start. */
void evalpool_stats(struct evalpool *pool, struct evalpool_stats *out);

#endif
