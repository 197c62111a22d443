/*
 * cache_posture.c - the posture layer of the cache (cache.h): reference-counted
 * snapshots, single flight with leader and waiters, stale serving, prefetch signals,
 * learned DKIM selectors.
 *
 *   cache_snapshot_new() _data() _size() _ttl() _ref() _release()
 *   cache_posture_get_or_start() _complete() _fail() _wait() _put()
 *   cache_posture_learn_selector() cache_posture_selectors()
 *
 * A posture entry is mutable (its snapshot is replaced, flights come and go,
 * selectors are learned): every field is read and written under its shard lock, and
 * readers never keep a pointer into the entry, only a snapshot reference. A flight
 * (one running evaluation of one domain) belongs to its tickets, not to the entry:
 * the entry points at it while it runs, and an evicted entry just forgets it.
 *
 * What can go wrong: out of memory (CACHE_ERROR / -1; the caller evaluates without the
 * cache), a leader that never finishes (taken over after flight_timeout_ms; waiters
 * leave at their deadline), a snapshot over the byte budget (handed to the waiters,
 * not kept).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/ascii.h"
#include "util/metrics.h"
#include "cache/cache_int.h"

struct cache_snapshot {
	atomic_uint refs;
	uint32_t ttl_s;			/* lifetime of the shortest input */
	void *data;			/* owned, freed with free_fn */
	size_t size;
	void (*free_fn)(void *);
};

struct learned {
	size_t n;
	char *sel[CACHE_MAX_SELECTORS];	/* owned, most recent first */
};

struct flight;

struct cache_ticket {
	struct flight *flight;
	bool leader;
};

/* One running evaluation; every field but the immutable ones under shard's lock. */
struct flight {
	pthread_cond_t done_cv;		/* waits with shard->lock */
	struct cache *cache;		/* immutable */
	struct lru_shard *shard;	/* immutable: the domain's shard */
	struct cache_snapshot *result;	/* flight's reference, for waiters */
	struct cache_ticket leader_ticket;
	uint64_t started_ms;		/* immutable */
	uint64_t hash;			/* immutable */
	unsigned tickets;		/* alive: the leader's + the waiters' */
	bool done;
	size_t domain_len;
	char domain[];			/* immutable key */
};

struct posture_entry {
	struct lru_node node;		/* first */
	struct cache_snapshot *snap;	/* entry's reference, or NULL */
	uint64_t stored_ms, expire_ms;	/* of snap */
	uint64_t retry_after_ms;	/* no refresh of a stale snap before (RFC 8767 4) */
	struct flight *flight;		/* running evaluation, not owned, or NULL */
	struct learned *learned;	/* owned, or NULL */
	bool prefetched;		/* "refresh soon" already said for snap */
	char domain[];			/* the key, NUL-terminated */
};

/* ---- snapshots ---- */

/* Wrap data as a snapshot with one reference; NULL on OOM (data stays the caller's). */
struct cache_snapshot *
cache_snapshot_new(void *data, size_t size, void (*free_fn)(void *), uint32_t ttl_s)
{
	struct cache_snapshot *s = malloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	s->ttl_s = ttl_s;
	s->data = data;
	s->size = size;
	s->free_fn = free_fn;
	return s;
}

/* The wrapped data. */
const void *
cache_snapshot_data(const struct cache_snapshot *s)
{
	return s->data;
}

/* The size given at creation. */
size_t
cache_snapshot_size(const struct cache_snapshot *s)
{
	return s->size;
}

/* The lifetime given at creation (unclamped). */
uint32_t
cache_snapshot_ttl(const struct cache_snapshot *s)
{
	return s->ttl_s;
}

/* Take a reference. */
void
cache_snapshot_ref(struct cache_snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

/* Drop a reference; the last one frees the data and the wrapper. */
void
cache_snapshot_release(struct cache_snapshot *s)
{
	if (s == NULL)
		return;
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (s->free_fn != NULL)
		s->free_fn(s->data);
	free(s);
}

/* ---- entries ---- */

/* Free the learned selectors. */
static void
learned_free(struct learned *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->sel[i]);
	free(l);
}

/* Free a posture entry (lru free callback; runs outside every lock). */
void
cache_posture_free_node(struct lru_node *n)
{
	struct posture_entry *e = (struct posture_entry *)n;

	cache_snapshot_release(e->snap);
	learned_free(e->learned);
	free(e);
}

/* What an entry holds, in bytes, with its snapshot and selectors. */
static size_t
entry_bytes(const struct posture_entry *e)
{
	size_t n = sizeof(*e) + e->node.key_len + 1 + CACHE_ALLOC_OVERHEAD, i;

	if (e->snap != NULL)
		n += sizeof(*e->snap) + CACHE_ALLOC_OVERHEAD + e->snap->size;
	if (e->learned != NULL) {
		n += sizeof(*e->learned) + CACHE_ALLOC_OVERHEAD;
		for (i = 0; i < e->learned->n; i++)
			n += strlen(e->learned->sel[i]) + 1 + CACHE_ALLOC_OVERHEAD;
	}
	return n;
}

/*
 * Find the entry for a key, or create and link an empty one. Under the shard lock.
 * NULL on OOM or when even an empty entry does not fit the budget.
 */
static struct posture_entry *
entry_get(struct lru_shard *s, uint64_t h, const char *key, size_t klen, bool create,
	  struct lru_node **garbage)
{
	struct posture_entry *e;

	e = (struct posture_entry *)lru_find(s, h, key, klen);
	if (e != NULL || !create)
		return e;
	e = calloc(1, sizeof(*e) + klen + 1);
	if (e == NULL)
		return NULL;
	memcpy(e->domain, key, klen);
	e->node.key = e->domain;
	e->node.key_len = klen;
	e->node.hash = h;
	e->node.bytes = entry_bytes(e);
	atomic_init(&e->node.refs, 1);
	if (!lru_insert(s, &e->node, garbage))
		return NULL;		/* on *garbage: freed after unlocking */
	return e;
}

/*
 * Make snap the entry's snapshot as of now. Under the shard lock. The replaced
 * snapshot goes to *drop (release after unlocking). false when the entry no longer
 * fits the budget (then it is on *garbage).
 */
static bool
entry_store(struct cache *c, struct lru_shard *s, struct posture_entry *e,
	    struct cache_snapshot *snap, uint64_t now, struct cache_snapshot **drop,
	    struct lru_node **garbage)
{
	cache_snapshot_ref(snap);
	*drop = e->snap;
	e->snap = snap;
	e->stored_ms = now;
	e->expire_ms = now + (uint64_t)cache_clamp_ttl(c, snap->ttl_s) * 1000;
	e->prefetched = false;
	e->retry_after_ms = 0;
	lru_touch(s, &e->node);
	return lru_resize(s, &e->node, entry_bytes(e), garbage);
}

/* ---- flights ---- */

/* Whether e has an evaluation running that is not overdue; forget an overdue one. */
static bool
flight_running(const struct cache *c, struct posture_entry *e, uint64_t now)
{
	if (e->flight == NULL)
		return false;
	if (!e->flight->done && now - e->flight->started_ms < c->cfg.flight_timeout_ms)
		return true;
	e->flight = NULL;	/* its tickets still own it; a new leader takes over */
	return false;
}

/* Start a flight for e, led by the caller. Under the shard lock. NULL on OOM. */
static struct cache_ticket *
flight_start(struct cache *c, struct lru_shard *s, struct posture_entry *e, uint64_t now)
{
	pthread_condattr_t attr;
	struct flight *f;
	size_t klen = e->node.key_len;
	int rc;

	f = calloc(1, sizeof(*f) + klen + 1);
	if (f == NULL)
		return NULL;
	if (pthread_condattr_init(&attr) != 0) {
		free(f);
		return NULL;
	}
	(void)pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&f->done_cv, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0) {
		free(f);
		return NULL;
	}
	f->cache = c;
	f->shard = s;
	f->started_ms = now;
	f->hash = e->node.hash;
	f->tickets = 1;
	f->domain_len = klen;
	memcpy(f->domain, e->domain, klen);
	f->leader_ticket.flight = f;
	f->leader_ticket.leader = true;
	e->flight = f;
	s->ctr.leaders++;
	return &f->leader_ticket;
}

/*
 * Drop one ticket's hold on f; the last frees it. Under the shard lock. The flight's
 * snapshot reference goes to *drop (release after unlocking).
 */
static void
flight_put(struct flight *f, struct cache_snapshot **drop)
{
	*drop = NULL;
	if (--f->tickets > 0)
		return;
	*drop = f->result;
	pthread_cond_destroy(&f->done_cv);
	free(f);
}

/* ---- lookups ---- */

/* Whether a fresh hit on e falls in the last prefetch_percent of its lifetime. */
static bool
prefetch_due(const struct cache *c, struct posture_entry *e, uint64_t now)
{
	uint64_t window;

	if (c->cfg.prefetch_percent == 0 || e->prefetched || now < e->retry_after_ms)
		return false;
	window = (e->expire_ms - e->stored_ms) * c->cfg.prefetch_percent / 100;
	if (now < e->expire_ms - window)
		return false;
	return !flight_running(c, e, now);
}

/* Look up a domain, serving fresh or stale snapshots, starting or joining flights. */
enum cache_result
cache_posture_get_or_start(struct cache *c, const char *domain,
			   struct cache_snapshot **snap, struct cache_ticket **ticket)
{
	struct lru_table *t = &c->layer[CACHE_POSTURE];
	struct lru_node *garbage = NULL;
	struct cache_snapshot *drop = NULL;
	struct posture_entry *e;
	struct cache_ticket *tk;
	struct lru_shard *s;
	enum cache_result rc;
	char key[CACHE_DOMAIN_MAX + 1];
	size_t klen;
	uint64_t now, h, stale_ms = (uint64_t)c->cfg.stale_ttl_s * 1000;

	*snap = NULL;
	*ticket = NULL;
	klen = cache_name_key(domain, key, sizeof(key), CACHE_DOMAIN_MAX);
	if (klen == 0)
		return CACHE_ERROR;
	now = cache_now_ms(c);
	h = lru_hash(t, key, klen);
	s = lru_shard_of(t, h);
	lru_lock(s);
	e = entry_get(s, h, key, klen, false, &garbage);
	if (e != NULL && e->snap != NULL) {
		if (now < e->expire_ms) {
			rc = CACHE_HIT;
			s->ctr.hits++;
			if (prefetch_due(c, e, now) &&
			    (*ticket = flight_start(c, s, e, now)) != NULL) {
				e->prefetched = true;
				s->ctr.prefetches++;
				rc = CACHE_HIT_REFRESH;
			}
		} else if (now - e->expire_ms < stale_ms) {
			rc = CACHE_STALE;
			s->ctr.stale++;
			if (!flight_running(c, e, now) && now >= e->retry_after_ms &&
			    (*ticket = flight_start(c, s, e, now)) != NULL)
				rc = CACHE_STALE_REFRESH;
		} else {
			rc = CACHE_MISS;	/* too old even to serve stale: drop it */
			drop = e->snap;
			e->snap = NULL;
			s->ctr.expired++;
			(void)lru_resize(s, &e->node, entry_bytes(e), &garbage);
		}
		if (rc != CACHE_MISS) {
			lru_touch(s, &e->node);
			cache_snapshot_ref(e->snap);
			*snap = e->snap;
			goto out;
		}
	}
	s->ctr.misses++;
	e = entry_get(s, h, key, klen, true, &garbage);
	if (e == NULL) {
		rc = CACHE_ERROR;
	} else if (flight_running(c, e, now)) {
		rc = CACHE_ERROR;
		if ((tk = malloc(sizeof(*tk))) != NULL) {
			tk->flight = e->flight;
			tk->leader = false;
			e->flight->tickets++;
			s->ctr.waits++;
			*ticket = tk;
			rc = CACHE_MISS_WAIT;
		}
	} else {
		lru_touch(s, &e->node);
		*ticket = flight_start(c, s, e, now);
		rc = *ticket != NULL ? CACHE_MISS_LEADER : CACHE_ERROR;
	}
out:
	lru_unlock(s);
	lru_collect(t, garbage);
	cache_snapshot_release(drop);
	if (rc != CACHE_ERROR)
		metrics_count(M_CACHE_LOOKUPS, LAYER_POSTURE, rc == CACHE_HIT ||
		    rc == CACHE_HIT_REFRESH ? LOOKUP_HIT : rc == CACHE_STALE ||
		    rc == CACHE_STALE_REFRESH ? LOOKUP_STALE : rc == CACHE_MISS_WAIT ?
		    LOOKUP_JOIN : LOOKUP_MISS);
	return rc;
}

/* End a leader's flight: store snap (or not), wake waiters, consume the ticket. */
static int
flight_finish(struct cache_ticket *tk, struct cache_snapshot *snap)
{
	struct flight *f = tk->flight;
	struct cache *c = f->cache;
	struct lru_table *t = &c->layer[CACHE_POSTURE];
	struct lru_shard *s = f->shard;
	struct lru_node *garbage = NULL;
	struct cache_snapshot *drop = NULL, *drop_flight = NULL;
	struct posture_entry *e;
	uint64_t now = cache_now_ms(c);
	int rc = -1;

	if (!tk->leader)
		return -1;	/* a waiter's ticket: misuse, leave it alone */
	lru_lock(s);
	e = entry_get(s, f->hash, f->domain, f->domain_len, snap != NULL, &garbage);
	if (e != NULL && e->flight == f)
		e->flight = NULL;
	if (snap != NULL) {
		if (e != NULL && e->snap != NULL && e->stored_ms > f->started_ms)
			rc = 0;		/* newer than this evaluation's start: keep it */
		else if (e != NULL && entry_store(c, s, e, snap, now, &drop, &garbage))
			rc = 0;
		if (f->tickets > 1) {
			cache_snapshot_ref(snap);
			f->result = snap;
		}
	} else {
		s->ctr.failures++;
		if (e != NULL)
			e->retry_after_ms = now + (uint64_t)c->cfg.fail_retry_s * 1000;
		rc = 0;
	}
	f->done = true;
	pthread_cond_broadcast(&f->done_cv);
	flight_put(f, &drop_flight);
	lru_unlock(s);
	lru_collect(t, garbage);
	cache_snapshot_release(drop);
	cache_snapshot_release(drop_flight);
	return rc;
}

/* The leader's evaluation is done: store it and hand it to the waiters. */
int
cache_posture_complete(struct cache_ticket *t, struct cache_snapshot *snap)
{
	if (t == NULL || snap == NULL)
		return -1;
	return flight_finish(t, snap);
}

/* The leader could not evaluate: waiters fall back to stale. */
void
cache_posture_fail(struct cache_ticket *t)
{
	if (t != NULL)
		(void)flight_finish(t, NULL);
}

/* The domain's servable snapshot (fresh or stale) as of now, or CACHE_MISS. */
static enum cache_result
peek_snapshot(struct cache *c, struct lru_shard *s, const char *key, size_t klen,
	      uint64_t h, struct cache_snapshot **snap)
{
	struct posture_entry *e;
	enum cache_result rc = CACHE_MISS;
	uint64_t now = cache_now_ms(c);

	lru_lock(s);
	e = (struct posture_entry *)lru_find(s, h, key, klen);
	if (e != NULL && e->snap != NULL &&
	    (now < e->expire_ms ||
	     now - e->expire_ms < (uint64_t)c->cfg.stale_ttl_s * 1000)) {
		rc = now < e->expire_ms ? CACHE_HIT : CACHE_STALE;
		if (rc == CACHE_STALE)
			s->ctr.stale++;
		cache_snapshot_ref(e->snap);
		*snap = e->snap;
	}
	lru_unlock(s);
	return rc;
}

/* Wait for the leader until the deadline; its snapshot, a stale one, or nothing. */
enum cache_result
cache_posture_wait(struct cache_ticket *tk, uint64_t deadline_ms,
		   struct cache_snapshot **snap)
{
	struct flight *f;
	struct cache *c;
	struct lru_shard *s;
	struct cache_snapshot *drop = NULL;
	struct timespec until;
	char key[CACHE_DOMAIN_MAX + 1];
	size_t klen;
	uint64_t now, span, h;
	enum cache_result rc = CACHE_MISS;

	*snap = NULL;
	if (tk == NULL || tk->leader)
		return CACHE_MISS;	/* a leader's ticket: misuse, leave it alone */
	f = tk->flight;
	c = f->cache;
	s = f->shard;
	/* The deadline is on the cache clock; wait that long in real monotonic time. */
	now = cache_now_ms(c);
	span = deadline_ms > now ? deadline_ms - now : 0;
	(void)clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(span / 1000);
	until.tv_nsec += (long)(span % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}

	lru_lock(s);
	while (!f->done) {
		if (pthread_cond_timedwait(&f->done_cv, &s->lock, &until) == ETIMEDOUT)
			break;
	}
	if (f->done && f->result != NULL) {
		cache_snapshot_ref(f->result);
		*snap = f->result;
		rc = CACHE_HIT;
	}
	klen = f->domain_len;
	memcpy(key, f->domain, klen);
	h = f->hash;
	flight_put(f, &drop);
	lru_unlock(s);
	cache_snapshot_release(drop);
	free(tk);
	if (rc == CACHE_MISS)
		rc = peek_snapshot(c, s, key, klen, h, snap);
	return rc;
}

/* Store a snapshot outside any flight. */
int
cache_posture_put(struct cache *c, const char *domain, struct cache_snapshot *snap)
{
	struct lru_table *t = &c->layer[CACHE_POSTURE];
	struct lru_node *garbage = NULL;
	struct cache_snapshot *drop = NULL;
	struct posture_entry *e;
	struct lru_shard *s;
	char key[CACHE_DOMAIN_MAX + 1];
	size_t klen;
	uint64_t now, h;
	int rc = -1;

	klen = cache_name_key(domain, key, sizeof(key), CACHE_DOMAIN_MAX);
	if (klen == 0 || snap == NULL)
		return -1;
	now = cache_now_ms(c);
	h = lru_hash(t, key, klen);
	s = lru_shard_of(t, h);
	lru_lock(s);
	e = entry_get(s, h, key, klen, true, &garbage);
	if (e != NULL && entry_store(c, s, e, snap, now, &drop, &garbage))
		rc = 0;
	lru_unlock(s);
	lru_collect(t, garbage);
	cache_snapshot_release(drop);
	return rc;
}

/* ---- learned selectors ---- */

/* Case-fold a selector into buf: 1..CACHE_SELECTOR_MAX of [a-z0-9-_.]; else 0. */
size_t
cache_selector_key(const char *sel, char buf[CACHE_SELECTOR_MAX + 1])
{
	size_t len = sel != NULL ? strnlen(sel, CACHE_SELECTOR_MAX + 1) : 0, i;

	if (len == 0 || len > CACHE_SELECTOR_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = (char)ascii_lower((unsigned char)sel[i]);

		/* RFC 6376 3.1: sub-domains; '_' is seen in the wild and harmless here. */
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_' || ch == '.'))
			return 0;
		buf[i] = ch;
	}
	buf[len] = '\0';
	return len;
}

/* Remember a selector seen in a verified signature. */
int
cache_posture_learn_selector(struct cache *c, const char *domain, const char *sel)
{
	struct lru_table *t = &c->layer[CACHE_POSTURE];
	struct lru_node *garbage = NULL;
	struct posture_entry *e;
	struct lru_shard *s;
	struct learned *l;
	char key[CACHE_DOMAIN_MAX + 1], sk[CACHE_SELECTOR_MAX + 1], *copy, *evicted = NULL;
	size_t klen, i;
	uint64_t h;
	int rc = -1;

	klen = cache_name_key(domain, key, sizeof(key), CACHE_DOMAIN_MAX);
	if (klen == 0 || cache_selector_key(sel, sk) == 0)
		return -1;
	h = lru_hash(t, key, klen);
	s = lru_shard_of(t, h);
	lru_lock(s);
	e = entry_get(s, h, key, klen, true, &garbage);
	if (e == NULL)
		goto out;
	if (e->learned == NULL && (e->learned = calloc(1, sizeof(*e->learned))) == NULL)
		goto out;
	l = e->learned;
	for (i = 0; i < l->n && strcmp(l->sel[i], sk) != 0; i++)
		;
	if (i < l->n) {
		copy = l->sel[i];		/* known: move to the front */
	} else {
		if ((copy = strdup(sk)) == NULL)
			goto out;
		if (l->n == CACHE_MAX_SELECTORS)
			evicted = l->sel[--l->n];	/* forget the least recent */
		i = l->n++;
	}
	memmove(&l->sel[1], &l->sel[0], i * sizeof(l->sel[0]));
	l->sel[0] = copy;
	lru_touch(s, &e->node);
	(void)lru_resize(s, &e->node, entry_bytes(e), &garbage);
	rc = 0;
out:
	lru_unlock(s);
	lru_collect(t, garbage);
	free(evicted);
	return rc;
}

/* Copy up to max learned selectors, most recent first. */
size_t
cache_posture_selectors(struct cache *c, const char *domain,
			char out[][CACHE_SELECTOR_MAX + 1], size_t max)
{
	struct lru_table *t = &c->layer[CACHE_POSTURE];
	struct posture_entry *e;
	struct lru_shard *s;
	char key[CACHE_DOMAIN_MAX + 1];
	size_t klen, n = 0;
	uint64_t h;

	klen = cache_name_key(domain, key, sizeof(key), CACHE_DOMAIN_MAX);
	if (klen == 0)
		return 0;
	h = lru_hash(t, key, klen);
	s = lru_shard_of(t, h);
	lru_lock(s);
	e = (struct posture_entry *)lru_find(s, h, key, klen);
	if (e != NULL && e->learned != NULL)
		for (n = 0; n < e->learned->n && n < max; n++)
			memcpy(out[n], e->learned->sel[n], strlen(e->learned->sel[n]) + 1);
	lru_unlock(s);
	return n;
}

/* The domain's snapshot as it is, starting nothing. */
struct cache_snapshot *
cache_posture_peek(struct cache *c, const char *domain, uint64_t *age_ms, bool *stale)
{
	struct lru_table *t = &c->layer[CACHE_POSTURE];
	struct cache_snapshot *snap = NULL;
	struct posture_entry *e;
	struct lru_shard *s;
	char key[CACHE_DOMAIN_MAX + 1];
	uint64_t now, h, stale_ms = (uint64_t)c->cfg.stale_ttl_s * 1000;
	size_t klen;

	*age_ms = 0;
	*stale = false;
	klen = cache_name_key(domain, key, sizeof(key), CACHE_DOMAIN_MAX);
	if (klen == 0)
		return NULL;
	now = cache_now_ms(c);
	h = lru_hash(t, key, klen);
	s = lru_shard_of(t, h);
	lru_lock(s);
	e = (struct posture_entry *)lru_find(s, h, key, klen);
	if (e != NULL && e->snap != NULL &&
	    (now < e->expire_ms || now - e->expire_ms < stale_ms)) {
		snap = e->snap;
		cache_snapshot_ref(snap);
		*age_ms = now > e->stored_ms ? now - e->stored_ms : 0;
		*stale = now >= e->expire_ms;
	}
	lru_unlock(s);
	return snap;
}
