/*
 * evalpool.c - evaluations in the background through the posture cache
 * (see evalpool.h).
 *
 * A request first asks the cache (cache.h, SINGLE FLIGHT): a fresh or stale
 * snapshot completes the ticket at once; a leader ticket becomes a job for the
 * workers; a waiter ticket is waited on in evalpool_wait() by the requester itself.
 * Refreshes (prefetch before expiry, stale refresh) run as jobs nobody waits for.
 *
 * Locking: one pool mutex guards the job queue and every ticket's done/result
 * fields; a ticket's condition variable waits on it. It is never held while
 * evaluating or while calling into the cache. Tickets are reference-counted (the
 * requester, and the job when there is one); the last reference frees the ticket
 * and drops its snapshot reference.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "evalpool.h"
#include "util/strbuf.h"

#define QUEUE_MAX 10000		/* jobs waiting; beyond, requests read temperror */
#define MAX_SELECTORS 16

struct eval_ticket {
	struct evalpool *pool;
	char domain[256];
	char *selectors[MAX_SELECTORS];	/* owned */
	size_t nselectors;
	struct cache_ticket *ct;	/* leader (job) or waiter (requester) ticket */
	bool waiter;			/* ct is a waiter ticket: wait in the cache */
	bool done;			/* guarded by pool->lock */
	struct cache_snapshot *snap;	/* guarded; reference owned */
	bool fresh, cached;
	bool background;		/* a refresh: nobody waits for the result */
	pthread_cond_t cond;
	unsigned refs;			/* guarded by pool->lock */
	struct eval_ticket *next;	/* job queue link */
};

struct evalpool {
	struct posture_engine *eng;	/* borrowed */
	struct cache *cache;		/* owned */
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct eval_ticket *head, *tail;
	size_t queued;
	bool stopping;
	pthread_t *threads;
	unsigned nthreads;
	struct evalpool_stats stats;	/* guarded by lock */
};

/* Milliseconds on the pool's clock (the cache's). */
static uint64_t
pool_now(const struct evalpool *pool)
{
	return cache_now_ms(pool->cache);
}

/* Drop a ticket reference; the last frees. Called with the lock NOT held. */
static void
ticket_put(struct eval_ticket *t)
{
	struct evalpool *pool = t->pool;
	bool last;
	size_t i;

	pthread_mutex_lock(&pool->lock);
	last = --t->refs == 0;
	pthread_mutex_unlock(&pool->lock);
	if (!last)
		return;
	if (t->ct != NULL && t->waiter)
		(void)cache_posture_wait(t->ct, 0, &t->snap);	/* give the ticket back */
	cache_snapshot_release(t->snap);
	for (i = 0; i < t->nselectors; i++)
		free(t->selectors[i]);
	pthread_cond_destroy(&t->cond);
	free(t);
}

/* Mark a ticket done with a snapshot (reference handed over) and wake its waiter. */
static void
ticket_finish(struct eval_ticket *t, struct cache_snapshot *snap)
{
	pthread_mutex_lock(&t->pool->lock);
	t->snap = snap;
	t->done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->pool->lock);
}

/* Bytes an evaluation occupies, for the cache's budget. */
static size_t
eval_size(const struct posture_eval *ev)
{
	size_t size = sizeof(*ev) + ev->nfindings * sizeof(ev->findings[0]), i;

	for (i = 0; i < ev->nfindings; i++)
		size += strlen(ev->findings[i].message) + 1;
	if (ev->error)
		size += strlen(ev->error) + 1;
	return size;
}

/* Free function for snapshots. */
static void
eval_free_fn(void *p)
{
	posture_eval_free(p);
}

/* Run one job: evaluate, hand the result to the cache and to the requester. */
static void
job_run(struct evalpool *pool, struct eval_ticket *t)
{
	struct posture_eval *ev;
	struct cache_snapshot *snap = NULL;

	ev = posture_evaluate(pool->eng, t->domain, (const char *const *)t->selectors,
	    t->nselectors);
	if (ev != NULL) {
		snap = cache_snapshot_new(ev, eval_size(ev), eval_free_fn, ev->ttl);
		if (snap == NULL)
			posture_eval_free(ev);
	}
	pthread_mutex_lock(&pool->lock);
	pool->stats.evaluations++;
	if (snap == NULL || ev->error != NULL)
		pool->stats.failures++;
	pthread_mutex_unlock(&pool->lock);
	if (t->ct != NULL) {
		/* A failed evaluation is no data about the domain: stale stays in use. */
		if (snap != NULL && ev->error == NULL)
			(void)cache_posture_complete(t->ct, snap);
		else
			cache_posture_fail(t->ct);
		t->ct = NULL;
	}
	ticket_finish(t, snap);
}

/* A worker: take jobs until the pool stops. */
static void *
worker(void *arg)
{
	struct evalpool *pool = arg;
	struct eval_ticket *t;

	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (pool->head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->work, &pool->lock);
		if (pool->head == NULL) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		t = pool->head;
		pool->head = t->next;
		if (pool->head == NULL)
			pool->tail = NULL;
		pool->queued--;
		pthread_mutex_unlock(&pool->lock);
		job_run(pool, t);
		ticket_put(t);
	}
}

/* Start the workers. */
struct evalpool *
evalpool_new(struct posture_engine *eng, const struct evalpool_config *cfg)
{
	struct cache_config cc;
	struct evalpool *pool;
	unsigned i;

	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->eng = eng;
	cache_config_init(&cc);
	if (cfg->cache_entries)
		cc.max_entries = cfg->cache_entries;
	if (cfg->cache_bytes)
		cc.max_bytes = cfg->cache_bytes;
	cc.min_ttl_s = cfg->cache_min_ttl;
	if (cfg->cache_max_ttl)
		cc.max_ttl_s = cfg->cache_max_ttl;
	cc.stale_ttl_s = cfg->cache_stale_ttl;
	pool->cache = cache_new(&cc);
	if (pool->cache == NULL) {
		free(pool);
		return NULL;
	}
	posture_engine_attach_cache(eng, pool->cache);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pool->nthreads = cfg->threads ? cfg->threads : 4;
	pool->threads = calloc(pool->nthreads, sizeof(*pool->threads));
	if (pool->threads == NULL)
		goto fail;
	for (i = 0; i < pool->nthreads; i++)
		if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0) {
			pool->nthreads = i;
			goto fail;
		}
	return pool;
fail:
	evalpool_free(pool);
	return NULL;
}

/* Stop the workers after the queued jobs, then free the cache. */
void
evalpool_free(struct evalpool *pool)
{
	unsigned i;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	free(pool->threads);
	posture_engine_attach_cache(pool->eng, NULL);
	cache_free(pool->cache);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

/* Queue a job for t (taking a reference); false when the queue is full. */
static bool
job_submit(struct evalpool *pool, struct eval_ticket *t)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->queued >= QUEUE_MAX || pool->stopping) {
		pthread_mutex_unlock(&pool->lock);
		return false;
	}
	t->refs++;
	t->next = NULL;
	if (pool->tail)
		pool->tail->next = t;
	else
		pool->head = t;
	pool->tail = t;
	pool->queued++;
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	return true;
}

/* A new ticket for a domain. */
static struct eval_ticket *
ticket_new(struct evalpool *pool, const char *domain, const char *const *selectors,
	   size_t nselectors)
{
	struct eval_ticket *t;
	size_t i;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->pool = pool;
	t->refs = 1;
	pt_strlcpy(t->domain, domain, sizeof(t->domain));
	pthread_cond_init(&t->cond, NULL);
	for (i = 0; i < nselectors && i < MAX_SELECTORS; i++)
		if ((t->selectors[t->nselectors] = strdup(selectors[i])) != NULL)
			t->nselectors++;
	return t;
}

/* Run a background refresh with a leader ticket nobody waits for. */
static void
refresh_start(struct evalpool *pool, const char *domain, const char *const *selectors,
	      size_t nselectors, struct cache_ticket *ct)
{
	struct eval_ticket *r = ticket_new(pool, domain, selectors, nselectors);

	if (r == NULL) {
		cache_posture_fail(ct);
		return;
	}
	r->ct = ct;
	r->background = true;
	if (!job_submit(pool, r)) {
		cache_posture_fail(ct);
		r->ct = NULL;
	}
	ticket_put(r);
}

/* Add the selectors verified signatures taught us for the ticket's domain. */
static void
add_learned_selectors(struct evalpool *pool, struct eval_ticket *t)
{
	char learned[CACHE_MAX_SELECTORS][CACHE_SELECTOR_MAX + 1];
	size_t n, i, j;

	n = cache_posture_selectors(pool->cache, t->domain, learned, CACHE_MAX_SELECTORS);
	for (i = 0; i < n && t->nselectors < MAX_SELECTORS; i++) {
		for (j = 0; j < t->nselectors; j++)
			if (strcmp(t->selectors[j], learned[i]) == 0)
				break;
		if (j == t->nselectors && (t->selectors[j] = strdup(learned[i])) != NULL)
			t->nselectors++;
	}
}

/* Remember a selector of a verified signature for a domain's next evaluations. */
void
evalpool_learn_selector(struct evalpool *pool, const char *domain, const char *selector)
{
	(void)cache_posture_learn_selector(pool->cache, domain, selector);
}

/* Ask for a domain's posture. */
struct eval_ticket *
evalpool_request(struct evalpool *pool, const char *domain, const char *const *selectors,
		 size_t nselectors)
{
	struct cache_snapshot *snap = NULL;
	struct cache_ticket *ct = NULL;
	struct eval_ticket *t;
	enum cache_result r;

	t = ticket_new(pool, domain, selectors, nselectors);
	if (t == NULL)
		return NULL;
	add_learned_selectors(pool, t);
	r = cache_posture_get_or_start(pool->cache, domain, &snap, &ct);
	pthread_mutex_lock(&pool->lock);
	pool->stats.requests++;
	if (r == CACHE_HIT || r == CACHE_HIT_REFRESH)
		pool->stats.hits++;
	else if (r == CACHE_STALE || r == CACHE_STALE_REFRESH)
		pool->stats.stale++;
	else
		pool->stats.misses++;
	pthread_mutex_unlock(&pool->lock);

	switch (r) {
	case CACHE_HIT_REFRESH:
	case CACHE_STALE_REFRESH:
		refresh_start(pool, domain, selectors, nselectors, ct);
		/* FALLTHROUGH */
	case CACHE_HIT:
	case CACHE_STALE:
		t->cached = true;
		t->snap = snap;
		t->done = true;
		return t;
	case CACHE_MISS_WAIT:
		t->ct = ct;
		t->waiter = true;
		t->cached = true;
		return t;
	case CACHE_MISS_LEADER:
	case CACHE_MISS:
	case CACHE_ERROR:
	default:
		t->ct = ct;
		t->fresh = true;
		if (!job_submit(pool, t)) {
			if (t->ct != NULL)
				cache_posture_fail(t->ct);
			t->ct = NULL;
			t->done = true;		/* no result: the caller reads temperror */
		}
		return t;
	}
}

/* Wait for the ticket's evaluation until the deadline. */
const struct posture_eval *
evalpool_wait(struct eval_ticket *t, uint64_t deadline_ms)
{
	struct evalpool *pool = t->pool;
	struct timespec ts;
	uint64_t now;

	if (t->waiter) {
		if (t->ct != NULL) {
			now = pool_now(pool);
			(void)cache_posture_wait(t->ct, deadline_ms > now ? deadline_ms : now,
			    &t->snap);
			t->ct = NULL;
			t->done = true;
		}
		return t->snap ? cache_snapshot_data(t->snap) : NULL;
	}
	pthread_mutex_lock(&pool->lock);
	while (!t->done) {
		now = pool_now(pool);
		if (now >= deadline_ms)
			break;
		/* The condition variable uses CLOCK_REALTIME: wait in short slices. */
		clock_gettime(CLOCK_REALTIME, &ts);
		{
			uint64_t slice = deadline_ms - now > 50 ? 50 : deadline_ms - now;
			uint64_t ns = (uint64_t)ts.tv_nsec + slice * 1000000u;

			ts.tv_sec += (time_t)(ns / 1000000000u);
			ts.tv_nsec = (long)(ns % 1000000000u);
		}
		(void)pthread_cond_timedwait(&t->cond, &pool->lock, &ts);
	}
	pthread_mutex_unlock(&pool->lock);
	return t->done && t->snap ? cache_snapshot_data(t->snap) : NULL;
}

/* Whether this ticket's request ran the evaluation. */
bool
evalpool_fresh(const struct eval_ticket *t)
{
	return t->fresh;
}

/* Whether the answer came from the cache. */
bool
evalpool_cached(const struct eval_ticket *t)
{
	return t->cached;
}

/* Drop the requester's reference. */
void
evalpool_release(struct eval_ticket *t)
{
	if (t != NULL)
		ticket_put(t);
}

/* Counters since start. */
void
evalpool_stats(struct evalpool *pool, struct evalpool_stats *out)
{
	pthread_mutex_lock(&pool->lock);
	*out = pool->stats;
	pthread_mutex_unlock(&pool->lock);
}
