/*
 * evalpool.c - evaluations in the background through the posture cache
 * (see evalpool.h).
 *
 * A request first asks the cache (cache.h, SINGLE FLIGHT): a fresh or stale
 * snapshot completes the ticket at once; a leader ticket becomes a job for the
 * workers; a waiter ticket is waited on in evalpool_wait() by the requester itself.
 * Refreshes (prefetch before expiry, stale refresh) run as jobs nobody waits for.
 *
 * Posture memory (store.h), when set, is used by the workers only: a leader job asks
 * it before evaluating (a snapshot found completes the flight like an evaluation,
 * with what is left of its lifetime), a successful evaluation is written to it, and
 * selectors learned from verified signatures are noted there by "learn" jobs, queued
 * like evaluations so the message thread that learned them never waits for a store.
 * Values read back are untrusted (another host may have written them): anything that
 * does not decode as this build's snapshot of this shape for this domain is ignored.
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

#include <unistd.h>

#include "cache/cache.h"
#include "eval_metrics.h"
#include "evalpool.h"
#include "memory.h"
#include "store/store_codec.h"
#include "util/strbuf.h"

#define QUEUE_MAX 10000		/* jobs waiting; beyond, requests read temperror */
#define MAX_SELECTORS 16
#define TOKEN_MAX 120		/* "<host>:<pid>:<pool>", a fleet lock's holder */
#define FLEET_POLL_MS 50		/* how often a host waiting for another polls memory */

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
	bool learn;			/* a job noting selectors[0] in posture memory */
	bool recheck;			/* a job re-evaluating with selectors that just verified */
	bool stored;			/* guarded: served from posture memory */
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
	struct posture_memory *memory;	/* guarded; borrowed, NULL: none */
	struct evalpool_config cfg;	/* with defaults filled in */
	char token[TOKEN_MAX + 1]; /* this host and pool, for fleet locks */
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
	for (i = 0; i < ev->nrecords; i++)
		size += sizeof(ev->records[i]) + strlen(ev->records[i].name) +
		    strlen(ev->records[i].value) + 2;
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

/* Add a selector to the ticket's list unless it is there or the list is full. */
static void
ticket_add_selector(struct eval_ticket *t, const char *name)
{
	size_t j;

	if (t->nselectors == MAX_SELECTORS)
		return;
	for (j = 0; j < t->nselectors; j++)
		if (strcmp(t->selectors[j], name) == 0)
			return;
	if ((t->selectors[j] = strdup(name)) != NULL)
		t->nselectors++;
}

/* The pool's posture memory (the memory itself is thread-safe). */
static struct posture_memory *
memory_get(struct evalpool *pool)
{
	struct posture_memory *m;

	pthread_mutex_lock(&pool->lock);
	m = pool->memory;
	pthread_mutex_unlock(&pool->lock);
	return m;
}

/* Count a store hit or write. */
static void
memory_count(struct evalpool *pool, bool hit)
{
	pthread_mutex_lock(&pool->lock);
	if (hit)
		pool->stats.store_hits++;
	else
		pool->stats.store_writes++;
	pthread_mutex_unlock(&pool->lock);
}

/*
 * Serve a leader from posture memory: a snapshot of our shape for this domain, not
 * expired, completes the flight and the ticket with what is left of its lifetime.
 * false when there is none (the job evaluates).
 */
static bool
memory_serve(struct evalpool *pool, struct eval_ticket *t, struct posture_memory *m)
{
	struct posture_eval *ev;
	struct cache_snapshot *snap;
	uint64_t expire_s = 0, now_s, left;

	/* A copy from Redis into LMDB lives at most as long as a snapshot can. */
	ev = posture_memory_snapshot(m, t->domain, cache_clamp_ttl(pool->cache, UINT32_MAX),
	    &expire_s);
	if (ev == NULL)
		return false;
	now_s = posture_memory_now_s(m);
	left = expire_s > now_s ? expire_s - now_s : 1;
	snap = cache_snapshot_new(ev, eval_size(ev), eval_free_fn,
	    left > UINT32_MAX ? UINT32_MAX : (uint32_t)left);
	if (snap == NULL) {
		posture_eval_free(ev);
		return false;
	}
	memory_count(pool, true);
	if (t->ct != NULL) {
		(void)cache_posture_complete(t->ct, snap);
		t->ct = NULL;
	}
	pthread_mutex_lock(&pool->lock);
	t->stored = true;
	pthread_mutex_unlock(&pool->lock);
	ticket_finish(t, snap);
	return true;
}

/* Add the selectors posture memory holds for the ticket's domain. */
static void
memory_add_selectors(struct eval_ticket *t, struct posture_memory *m)
{
	struct store_selectors sels;
	size_t i;

	if (!posture_memory_selectors(m, t->domain, &sels))
		return;
	for (i = 0; i < sels.n; i++)
		ticket_add_selector(t, sels.sel[i].name);
}

/*
 * The fleet's single flight: take the domain's lock; when another host holds it, wait
 * for its snapshot in posture memory, polling, at most lock_wait_ms; then evaluate
 * ourselves. true when the ticket was served meanwhile. *locked tells whether we hold
 * the lock (release it after keeping the evaluation).
 */
static bool
fleet_flight(struct evalpool *pool, struct eval_ticket *t, struct posture_memory *m,
	     bool *locked)
{
	uint64_t until = pool_now(pool) + pool->cfg.lock_wait_ms;
	struct timespec pause = { 0, FLEET_POLL_MS * 1000000L };
	int rc;

	*locked = false;
	rc = posture_memory_lock(m, t->domain, pool->token, pool->cfg.lock_ttl_ms);
	if (rc != 0) {
		*locked = rc == 1;
		return false;
	}
	pthread_mutex_lock(&pool->lock);
	pool->stats.fleet_waits++;
	pthread_mutex_unlock(&pool->lock);
	while (pool_now(pool) < until) {
		(void)nanosleep(&pause, NULL);
		if (memory_serve(pool, t, m))
			return true;
	}
	return false;
}

/*
 * Run one job: a learn job notes its selector; a leader is served from posture memory
 * when it can be, or waits for another host evaluating it; otherwise evaluate (with
 * the stored selectors too), compare with the domain's history, and hand the result to
 * the cache, to the requester and to posture memory.
 */
static void
job_run(struct evalpool *pool, struct eval_ticket *t)
{
	struct posture_memory *m = memory_get(pool);
	struct posture_eval *ev;
	struct cache_snapshot *snap = NULL;
	bool locked = false, ok;

	if (t->learn) {
		if (m != NULL && posture_memory_note_selector(m, t->domain, t->selectors[0]) == 0)
			memory_count(pool, false);
		return;
	}
	if (m != NULL) {
		/* Refreshes and rechecks evaluate: what memory has is at best as old. */
		if (!t->background && !t->recheck &&
		    (memory_serve(pool, t, m) || fleet_flight(pool, t, m, &locked)))
			return;
		memory_add_selectors(t, m);
	}
	ev = posture_evaluate(pool->eng, t->domain, (const char *const *)t->selectors,
	    t->nselectors);
	ok = ev != NULL && ev->error == NULL;
	/* Before the snapshot is shared: change findings belong in it. */
	if (ok && m != NULL && posture_memory_track(m, ev) > 0) {
		pthread_mutex_lock(&pool->lock);
		pool->stats.changes++;
		pthread_mutex_unlock(&pool->lock);
	}
	eval_metrics_count(ev);		/* change findings included */
	if (ev != NULL) {
		snap = cache_snapshot_new(ev, eval_size(ev), eval_free_fn, ev->ttl);
		if (snap == NULL) {
			posture_eval_free(ev);
			ok = false;
		}
	}
	pthread_mutex_lock(&pool->lock);
	pool->stats.evaluations++;
	if (!ok)
		pool->stats.failures++;
	pthread_mutex_unlock(&pool->lock);
	if (t->ct != NULL) {
		/* A failed evaluation is no data about the domain: stale stays in use. */
		if (ok)
			(void)cache_posture_complete(t->ct, snap);
		else
			cache_posture_fail(t->ct);
		t->ct = NULL;
	} else if (t->recheck && ok) {
		(void)cache_posture_put(pool->cache, t->domain, snap);
	}
	ticket_finish(t, snap);
	/* After the requester has its answer; ev lives as long as t's snapshot, and the
	 * worker holds t until this returns. */
	if (m != NULL && ok &&
	    posture_memory_keep(m, ev, cache_clamp_ttl(pool->cache, ev->ttl)) == 0)
		memory_count(pool, false);
	if (locked)
		posture_memory_unlock(m, t->domain, pool->token);
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

/* A holder name for fleet locks: this host, this process, this pool. */
static void
token_make(char *out, size_t outlen)
{
	static unsigned pools;
	char host[64];

	if (gethostname(host, sizeof(host)) < 0)
		pt_strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(out, outlen, "%s:%ld:%u", host, (long)getpid(),
	    __atomic_add_fetch(&pools, 1, __ATOMIC_RELAXED));
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
	pool->cfg = *cfg;
	if (pool->cfg.lock_ttl_ms == 0)
		pool->cfg.lock_ttl_ms = 15000;
	if (pool->cfg.lock_wait_ms == 0)
		pool->cfg.lock_wait_ms = 2000;
	token_make(pool->token, sizeof(pool->token));
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

/* Stop the workers (queued jobs dropped, running ones finish), free the cache. */
void
evalpool_free(struct evalpool *pool)
{
	unsigned i;

	struct eval_ticket *queued, *t;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	queued = pool->head;		/* not started: dropped, not run */
	pool->head = pool->tail = NULL;
	pool->queued = 0;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	/*
	 * Nobody waits for them (the pool is freed when no runtime, so no message, uses
	 * it), but against a dead resolver each would take EvaluationTimeout: thousands
	 * of them kept a stopping daemon alive for an hour. Their flights fail, so a
	 * cache shared beyond this pool would not wait on them either.
	 */
	while ((t = queued) != NULL) {
		queued = t->next;
		if (t->ct != NULL) {
			cache_posture_fail(t->ct);
			t->ct = NULL;
		}
		ticket_finish(t, NULL);
		ticket_put(t);			/* the job's reference */
	}
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
	size_t n, i;

	n = cache_posture_selectors(pool->cache, t->domain, learned, CACHE_MAX_SELECTORS);
	for (i = 0; i < n; i++)
		ticket_add_selector(t, learned[i]);
}

/* Whether the pool has already learned selector for domain. */
static bool
selector_known(struct evalpool *pool, const char *domain, const char *selector)
{
	char learned[CACHE_MAX_SELECTORS][CACHE_SELECTOR_MAX + 1];
	char want[CACHE_SELECTOR_MAX + 1];
	size_t n, i;

	if (cache_selector_key(selector, want) == 0)
		return true;		/* not a usable selector: nothing to note */
	n = cache_posture_selectors(pool->cache, domain, learned, CACHE_MAX_SELECTORS);
	for (i = 0; i < n; i++)
		if (strcmp(learned[i], want) == 0)
			return true;
	return false;
}

/*
 * Remember a selector of a verified signature for a domain's next evaluations; with
 * posture memory, a selector new to this pool is also noted there, by a job (a
 * message thread never waits for a store). A full queue drops the note.
 */
void
evalpool_learn_selector(struct evalpool *pool, const char *domain, const char *selector)
{
	bool known = selector_known(pool, domain, selector);
	struct eval_ticket *t;

	(void)cache_posture_learn_selector(pool->cache, domain, selector);
	if (known || memory_get(pool) == NULL)
		return;
	t = ticket_new(pool, domain, &selector, 1);
	if (t == NULL)
		return;
	t->learn = true;
	(void)job_submit(pool, t);
	ticket_put(t);
}

/* Use posture memory from now on (NULL: stop using it). */
void
evalpool_set_memory(struct evalpool *pool, struct posture_memory *memory)
{
	pthread_mutex_lock(&pool->lock);
	pool->memory = memory;
	pthread_mutex_unlock(&pool->lock);
}

/* Re-evaluate a domain with selectors that verified; the result replaces the cache's. */
struct eval_ticket *
evalpool_recheck(struct evalpool *pool, const char *domain, const char *const *selectors,
		 size_t nselectors)
{
	struct eval_ticket *t = ticket_new(pool, domain, selectors, nselectors);

	if (t == NULL)
		return NULL;
	add_learned_selectors(pool, t);
	t->recheck = true;
	t->fresh = true;
	pthread_mutex_lock(&pool->lock);
	pool->stats.rechecks++;
	pthread_mutex_unlock(&pool->lock);
	if (!job_submit(pool, t))
		t->done = true;		/* no result: the caller keeps what it had */
	return t;
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
	bool fresh;

	pthread_mutex_lock(&t->pool->lock);
	fresh = t->fresh && !t->stored;
	pthread_mutex_unlock(&t->pool->lock);
	return fresh;
}

/* Whether the answer came from the cache. */
bool
evalpool_cached(const struct eval_ticket *t)
{
	bool cached;

	pthread_mutex_lock(&t->pool->lock);
	cached = t->cached || t->stored;
	pthread_mutex_unlock(&t->pool->lock);
	return cached;
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

/* The cached snapshot of a domain, evaluating nothing. */
const struct posture_eval *
evalpool_peek(struct evalpool *pool, const char *domain, void **ref, unsigned *age_s,
	      bool *stale)
{
	struct cache_snapshot *snap;
	uint64_t age_ms;

	snap = cache_posture_peek(pool->cache, domain, &age_ms, stale);
	*ref = snap;
	*age_s = (unsigned)(age_ms / 1000);
	return snap != NULL ? cache_snapshot_data(snap) : NULL;
}

/* Drop evalpool_peek()'s reference. */
void
evalpool_peek_release(void *ref)
{
	cache_snapshot_release(ref);
}
