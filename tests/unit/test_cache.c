/*
 * test_cache.c - the caches (cache.c, cache_posture.c, lru.c) with an injected clock.
 *
 * Time is a variable the tests move (fake_now), so TTL expiry, clamping, stale
 * serving and prefetch are checked to the millisecond without sleeping. The thread
 * tests (single flight with 100 threads, 8 threads hitting many keys while others
 * replace entries) collect what each thread saw and assert in the main thread only
 * (cmocka's asserts are not for other threads). Run under ASan by make check; the
 * same binary was run under ThreadSanitizer by hand (see the report).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "util/lru.h"

#define T0 1000000000ULL	/* the fake clock's start, ms */
#define SEC 1000ULL

static _Atomic uint64_t fake_now = T0;
static atomic_uint snaps_freed;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return atomic_load(&fake_now);
}

/* A cache on the fake clock: min 60 s, max 1 day, stale 1 h, retry 30 s, prefetch. */
static struct cache *
new_cache_pf(size_t entries, size_t bytes, unsigned shards, unsigned prefetch_percent)
{
	static const uint8_t key[16] = "0123456789abcdef";
	struct cache_config cfg;
	struct cache *c;

	atomic_store(&fake_now, T0);
	atomic_store(&snaps_freed, 0);
	cache_config_init(&cfg);
	cfg.max_entries = entries;
	cfg.max_bytes = bytes;
	cfg.shards = shards;
	cfg.now_ms = fake_clock;
	cfg.hash_key = key;
	cfg.prefetch_percent = prefetch_percent;
	c = cache_new(&cfg);
	assert_non_null(c);
	return c;
}

#define new_cache(entries, bytes, shards) new_cache_pf(entries, bytes, shards, 10)

static void
advance_to(uint64_t ms_after_t0)
{
	atomic_store(&fake_now, T0 + ms_after_t0);
}

/* ---- DNS answers ---- */

/* An answer for name/type with n A records of the given TTL (or a bare status). */
static void
make_answer(struct dns_answer *a, const char *name, uint16_t type, enum dns_status st,
	    uint32_t ttl, size_t n)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	a->status = st;
	a->qname = strdup(name);
	a->canonical = strdup(name);
	a->qtype = type;
	assert_non_null(a->qname);
	assert_non_null(a->canonical);
	if (n == 0)
		return;
	a->rrs = calloc(n, sizeof(*a->rrs));
	assert_non_null(a->rrs);
	for (i = 0; i < n; i++) {
		a->rrs[i].owner = strdup(name);
		assert_non_null(a->rrs[i].owner);
		a->rrs[i].type = DNS_T_A;
		a->rrs[i].ttl = ttl + (uint32_t)i * 100;	/* min is the first */
		a->rrs[i].u.addr[0] = 192;
		a->rrs[i].u.addr[3] = (uint8_t)(i + 1);
	}
	a->count = n;
}

/* Put an answer and free the original. */
static int
put_answer(struct cache *c, const char *name, uint16_t type, enum dns_status st,
	   uint32_t ttl, uint32_t neg_ttl, size_t n)
{
	struct dns_answer a;
	int rc;

	make_answer(&a, name, type, st, ttl, n);
	a.negative_ttl = neg_ttl;
	rc = cache_dns_put(c, &a);
	dns_answer_clear(&a);
	return rc;
}

/* Whether (name, type) is a hit at ms after T0; the status of the hit in *st. */
static bool
dns_hit_at(struct cache *c, const char *name, uint16_t type, uint64_t ms,
	   enum dns_status *st)
{
	struct dns_answer out;
	enum cache_result rc;

	advance_to(ms);
	rc = cache_dns_get(c, name, type, &out);
	if (st != NULL)
		*st = out.status;
	dns_answer_clear(&out);
	assert_true(rc == CACHE_HIT || rc == CACHE_MISS);
	return rc == CACHE_HIT;
}

static void
test_dns_answer_keeps_its_dnssec_status(void **state)
{
	struct cache *c = new_cache(100, 1 << 20, 4);
	struct dns_answer a, out;

	(void)state;
	make_answer(&a, "s.example", DNS_T_MX, DNS_OK, 300, 1);
	a.secure = true;
	a.sig_ttl = 3600;
	assert_int_equal(cache_dns_put(c, &a), 1);
	dns_answer_clear(&a);
	/* The zone's TTL (the RRSIG's) does not count down with the copy's. */
	advance_to(100 * SEC);
	assert_int_equal(cache_dns_get(c, "s.example", DNS_T_MX, &out), CACHE_HIT);
	assert_true(out.secure);
	assert_int_equal(out.sig_ttl, 3600);
	assert_int_equal(out.rrs[0].ttl, 200);
	dns_answer_clear(&out);
	/* A bogus SERVFAIL is a failed attempt like any SERVFAIL: not kept. */
	make_answer(&a, "b.example", DNS_T_MX, DNS_SERVFAIL, 300, 0);
	a.bogus = true;
	assert_int_equal(cache_dns_put(c, &a), 0);
	dns_answer_clear(&a);
	cache_free(c);
}

static void
test_dns_answer_expires_after_its_ttl(void **state)
{
	struct cache *c = new_cache(100, 1 << 20, 4);
	struct cache_stats st;
	struct dns_answer out;

	(void)state;
	assert_int_equal(put_answer(c, "a.example", DNS_T_A, DNS_OK, 300, 0, 2), 1);
	/* 100 s later the copy says 200 s are left, and the records are intact. */
	advance_to(100 * SEC);
	assert_int_equal(cache_dns_get(c, "a.example", DNS_T_A, &out), CACHE_HIT);
	assert_int_equal(out.count, 2);
	assert_int_equal(out.rrs[0].ttl, 200);
	assert_int_equal(out.rrs[1].ttl, 200);	/* was 400: never beyond what is left */
	assert_int_equal(out.rrs[1].u.addr[3], 2);
	assert_int_equal(out.queries, 0);
	dns_answer_clear(&out);
	assert_true(dns_hit_at(c, "a.example", DNS_T_A, 300 * SEC - 1, NULL));
	assert_false(dns_hit_at(c, "a.example", DNS_T_A, 300 * SEC, NULL));
	cache_stats(c, CACHE_DNS, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.entries, 0);
	cache_free(c);
}

static void
test_dns_ttl_clamped_to_min_and_max(void **state)
{
	static const struct { uint32_t ttl; uint64_t lives_ms; } cases[] = {
		{ 0, 60 * SEC },		/* below CacheMinTTL: 60 s */
		{ 5, 60 * SEC },
		{ 60, 60 * SEC },
		{ 61, 61 * SEC },
		{ 86400, 86400 * SEC },
		{ 604800, 86400 * SEC },	/* above CacheMaxTTL: 1 day */
		{ UINT32_MAX, 86400 * SEC },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cache *c = new_cache(100, 1 << 20, 4);

		assert_int_equal(put_answer(c, "b.example", DNS_T_A, DNS_OK, cases[i].ttl, 0, 1), 1);
		assert_true(dns_hit_at(c, "b.example", DNS_T_A, cases[i].lives_ms - 1, NULL));
		assert_false(dns_hit_at(c, "b.example", DNS_T_A, cases[i].lives_ms, NULL));
		cache_free(c);
	}
}

static void
test_dns_negative_answer_lives_for_negative_ttl(void **state)
{
	static const struct { enum dns_status st; uint32_t neg; uint64_t lives_ms; } cases[] = {
		{ DNS_NXDOMAIN, 300, 300 * SEC },	/* RFC 2308 5: min(SOA TTL, MINIMUM) */
		{ DNS_NODATA, 900, 900 * SEC },
		{ DNS_NXDOMAIN, 10, 60 * SEC },		/* clamped up to CacheMinTTL */
		{ DNS_NODATA, 0, 60 * SEC },
		{ DNS_NXDOMAIN, 999999, 86400 * SEC },	/* clamped down to CacheMaxTTL */
	};
	enum dns_status got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cache *c = new_cache(100, 1 << 20, 4);

		/* The record TTL (none here) must not matter: 3600 would be wrong. */
		assert_int_equal(put_answer(c, "nx.example", DNS_T_TXT, cases[i].st, 3600,
					    cases[i].neg, 0), 1);
		assert_true(dns_hit_at(c, "nx.example", DNS_T_TXT, cases[i].lives_ms - 1, &got));
		assert_int_equal(got, cases[i].st);
		assert_false(dns_hit_at(c, "nx.example", DNS_T_TXT, cases[i].lives_ms, NULL));
		cache_free(c);
	}
}

static void
test_dns_failures_never_cached(void **state)
{
	static const enum dns_status failures[] = {
		DNS_SERVFAIL, DNS_REFUSED, DNS_TIMEOUT, DNS_MALFORMED, DNS_BUDGET, DNS_ERROR
	};
	struct cache *c = new_cache(100, 1 << 20, 4);
	enum dns_status got;
	struct cache_stats st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		assert_int_equal(put_answer(c, "sf.example", DNS_T_MX, failures[i], 0, 300, 0), 0);
		assert_false(dns_hit_at(c, "sf.example", DNS_T_MX, 0, NULL));
	}
	cache_stats(c, CACHE_DNS, &st);
	assert_int_equal(st.entries, 0);
	/* A failure later does not replace or remove good data. */
	assert_int_equal(put_answer(c, "ok.example", DNS_T_A, DNS_OK, 300, 0, 1), 1);
	assert_int_equal(put_answer(c, "ok.example", DNS_T_A, DNS_SERVFAIL, 0, 0, 0), 0);
	assert_true(dns_hit_at(c, "ok.example", DNS_T_A, 10 * SEC, &got));
	assert_int_equal(got, DNS_OK);
	cache_free(c);
}

static void
test_dns_key_folds_case_and_keeps_types_apart(void **state)
{
	struct cache *c = new_cache(100, 1 << 20, 4);

	(void)state;
	assert_int_equal(put_answer(c, "Mixed.Example.", DNS_T_A, DNS_OK, 300, 0, 1), 1);
	assert_true(dns_hit_at(c, "mixed.example", DNS_T_A, 0, NULL));
	assert_true(dns_hit_at(c, "MIXED.EXAMPLE", DNS_T_A, 0, NULL));
	assert_false(dns_hit_at(c, "mixed.example", DNS_T_AAAA, 0, NULL));
	assert_false(dns_hit_at(c, "mixed.example.org", DNS_T_A, 0, NULL));
	cache_free(c);
}

/* ---- posture snapshots ---- */

struct tsnap {
	char domain[64];
	unsigned version;
};

static void
tsnap_free(void *p)
{
	atomic_fetch_add(&snaps_freed, 1);
	free(p);
}

/* A snapshot for domain, version v, lifetime ttl_s, accounted as size bytes. */
static struct cache_snapshot *
new_snap(const char *domain, unsigned v, uint32_t ttl_s, size_t size)
{
	struct tsnap *d = calloc(1, sizeof(*d));
	struct cache_snapshot *s;

	if (d == NULL)
		return NULL;
	snprintf(d->domain, sizeof(d->domain), "%s", domain);
	d->version = v;
	s = cache_snapshot_new(d, size, tsnap_free, ttl_s);
	if (s == NULL)
		free(d);
	return s;
}

static const struct tsnap *
tdata(const struct cache_snapshot *s)
{
	return cache_snapshot_data(s);
}

/* Store a fresh snapshot outside a flight and drop our reference. */
static void
put_snap(struct cache *c, const char *domain, unsigned v, uint32_t ttl_s, size_t size)
{
	struct cache_snapshot *s = new_snap(domain, v, ttl_s, size);

	assert_non_null(s);
	assert_int_equal(cache_posture_put(c, domain, s), 0);
	cache_snapshot_release(s);
}

/* get_or_start expecting rc; returns the snapshot's version (0 when none). */
static unsigned
get_expect(struct cache *c, const char *domain, enum cache_result want,
	   struct cache_ticket **ticket)
{
	struct cache_snapshot *s = NULL;
	struct cache_ticket *t = NULL;
	unsigned v = 0;

	assert_int_equal(cache_posture_get_or_start(c, domain, &s, &t), want);
	if (s != NULL) {
		v = tdata(s)->version;
		cache_snapshot_release(s);
	}
	if (ticket != NULL)
		*ticket = t;
	else
		assert_null(t);
	return v;
}

static void
test_lru_evicts_least_recently_used_by_entries(void **state)
{
	struct cache *c = new_cache(3, 1 << 20, 1);
	struct cache_stats st;

	(void)state;
	put_snap(c, "a.example", 1, 3600, 100);
	put_snap(c, "b.example", 1, 3600, 100);
	put_snap(c, "c.example", 1, 3600, 100);
	assert_int_equal(get_expect(c, "a.example", CACHE_HIT, NULL), 1);	/* a is recent */
	put_snap(c, "d.example", 1, 3600, 100);		/* evicts b, the least recent */
	assert_int_equal(get_expect(c, "a.example", CACHE_HIT, NULL), 1);
	assert_int_equal(get_expect(c, "c.example", CACHE_HIT, NULL), 1);
	assert_int_equal(get_expect(c, "d.example", CACHE_HIT, NULL), 1);
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.entries, 3);
	assert_int_equal(atomic_load(&snaps_freed), 1);		/* b's, nobody held it */
	put_snap(c, "e.example", 1, 3600, 100);		/* evicts a: read before c and d */
	assert_int_equal(get_expect(c, "c.example", CACHE_HIT, NULL), 1);
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.evictions, 2);
	{
		struct cache_ticket *t;

		get_expect(c, "a.example", CACHE_MISS_LEADER, &t);
		cache_posture_fail(t);
		get_expect(c, "b.example", CACHE_MISS_LEADER, &t);
		cache_posture_fail(t);
	}
	cache_free(c);
}

static void
test_lru_evicts_by_bytes(void **state)
{
	struct cache *probe = new_cache(100, 1 << 20, 1), *c;
	struct cache_stats st;
	struct cache_snapshot *big;
	size_t one;

	(void)state;
	put_snap(probe, "p.example", 1, 3600, 1000);
	cache_stats(probe, CACHE_POSTURE, &st);
	one = st.bytes;		/* what one such entry accounts, payload included */
	assert_true(one > 1000 && one < 1400);
	cache_free(probe);

	c = new_cache(100, 3 * one + one / 2, 1);	/* room for three, not four */
	put_snap(c, "a.example", 1, 3600, 1000);
	put_snap(c, "b.example", 1, 3600, 1000);
	put_snap(c, "c.example", 1, 3600, 1000);
	get_expect(c, "a.example", CACHE_HIT, NULL);
	put_snap(c, "d.example", 1, 3600, 1000);		/* b goes: bytes, not count */
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	assert_true(st.bytes <= 3 * one + one / 2);
	assert_int_equal(get_expect(c, "a.example", CACHE_HIT, NULL), 1);
	/* A snapshot bigger than the whole budget is not kept, and evicts nothing. */
	big = new_snap("huge.example", 7, 3600, 4 * one);
	assert_non_null(big);
	assert_int_equal(cache_posture_put(c, "huge.example", big), -1);
	assert_int_equal(tdata(big)->version, 7);	/* ours is untouched */
	cache_snapshot_release(big);
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.entries, 3);
	{
		struct cache_ticket *t;

		get_expect(c, "b.example", CACHE_MISS_LEADER, &t);
		cache_posture_fail(t);
	}
	cache_free(c);
}

static void
test_stale_served_within_stale_ttl_and_not_after(void **state)
{
	struct cache *c = new_cache_pf(100, 1 << 20, 4, 0);	/* no prefetch here */
	struct cache_ticket *t;
	struct cache_stats st;

	(void)state;
	put_snap(c, "s.example", 1, 300, 500);
	advance_to(300 * SEC - 1);
	assert_int_equal(get_expect(c, "s.example", CACHE_HIT, NULL), 1);
	advance_to(300 * SEC);					/* expired: stale */
	assert_int_equal(get_expect(c, "s.example", CACHE_STALE_REFRESH, &t), 1);
	assert_non_null(t);
	assert_int_equal(get_expect(c, "s.example", CACHE_STALE, NULL), 1);	/* refreshing */
	cache_posture_fail(t);		/* the refresh failed: keep serving stale */
	advance_to(300 * SEC + 29 * SEC);
	assert_int_equal(get_expect(c, "s.example", CACHE_STALE, NULL), 1);	/* RFC 8767 4 */
	advance_to(300 * SEC + 30 * SEC);
	assert_int_equal(get_expect(c, "s.example", CACHE_STALE_REFRESH, &t), 1);
	cache_posture_fail(t);
	advance_to(300 * SEC + 3600 * SEC - 1);			/* last stale millisecond */
	assert_int_equal(get_expect(c, "s.example", CACHE_STALE_REFRESH, &t), 1);
	cache_posture_fail(t);
	advance_to(300 * SEC + 3600 * SEC);			/* past CacheStaleTTL */
	assert_int_equal(get_expect(c, "s.example", CACHE_MISS_LEADER, &t), 0);
	assert_int_equal(atomic_load(&snaps_freed), 1);		/* dropped, not served */
	cache_posture_fail(t);
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.stale, 5);
	assert_int_equal(st.failures, 4);
	cache_free(c);
}

static void
test_snapshot_outlives_eviction_while_held(void **state)
{
	struct cache *c = new_cache(1, 1 << 20, 1);
	struct cache_snapshot *held = NULL;
	struct cache_ticket *t = NULL;
	struct cache_stats st;

	(void)state;
	put_snap(c, "held.example", 42, 3600, 300);
	assert_int_equal(cache_posture_get_or_start(c, "held.example", &held, &t), CACHE_HIT);
	put_snap(c, "other.example", 1, 3600, 300);	/* evicts held.example */
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(atomic_load(&snaps_freed), 0);
	assert_string_equal(tdata(held)->domain, "held.example");
	assert_int_equal(tdata(held)->version, 42);
	cache_snapshot_release(held);
	assert_int_equal(atomic_load(&snaps_freed), 1);
	cache_free(c);
	assert_int_equal(atomic_load(&snaps_freed), 2);
}

static void
test_prefetch_signalled_once_per_snapshot(void **state)
{
	struct cache *c = new_cache(100, 1 << 20, 4);
	struct cache_snapshot *s;
	struct cache_ticket *t;
	struct cache_stats st;

	(void)state;
	put_snap(c, "hot.example", 1, 1000, 500);	/* prefetch window: the last 100 s */
	advance_to(900 * SEC - 1);
	get_expect(c, "hot.example", CACHE_HIT, NULL);
	advance_to(900 * SEC);
	assert_int_equal(get_expect(c, "hot.example", CACHE_HIT_REFRESH, &t), 1);
	assert_non_null(t);
	advance_to(950 * SEC);
	get_expect(c, "hot.example", CACHE_HIT, NULL);	/* said once */
	s = new_snap("hot.example", 2, 1000, 500);
	assert_non_null(s);
	assert_int_equal(cache_posture_complete(t, s), 0);
	cache_snapshot_release(s);
	advance_to(950 * SEC + 899 * SEC);
	assert_int_equal(get_expect(c, "hot.example", CACHE_HIT, NULL), 2);
	advance_to(950 * SEC + 900 * SEC);		/* the new snapshot's own window */
	assert_int_equal(get_expect(c, "hot.example", CACHE_HIT_REFRESH, &t), 2);
	cache_posture_fail(t);
	advance_to(950 * SEC + 990 * SEC);
	get_expect(c, "hot.example", CACHE_HIT, NULL);	/* failed prefetch: not again */
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.prefetches, 2);
	cache_free(c);
}

/* ---- single flight ---- */

#define FLIGHT_THREADS 100

struct flight_test {
	struct cache *c;
	pthread_barrier_t start;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned arrived;			/* mu */
	atomic_uint evaluations;
	enum cache_result first[FLIGHT_THREADS];
	enum cache_result waited[FLIGHT_THREADS];
	struct cache_snapshot *got[FLIGHT_THREADS];
	bool leader_saw_all;
};

struct flight_arg {
	struct flight_test *ft;
	unsigned i;
};

/* One message's thread: ask for the domain, lead or wait. */
static void *
flight_thread(void *p)
{
	struct flight_arg *fa = p;
	struct flight_test *ft = fa->ft;
	struct cache_snapshot *s = NULL;
	struct cache_ticket *t = NULL;
	struct timespec until;
	enum cache_result rc;

	pthread_barrier_wait(&ft->start);
	rc = cache_posture_get_or_start(ft->c, "new.example", &s, &t);
	ft->first[fa->i] = rc;
	pthread_mutex_lock(&ft->mu);
	ft->arrived++;
	pthread_cond_broadcast(&ft->cv);
	if (rc == CACHE_MISS_LEADER) {
		/* Evaluate "slowly": until every other thread has asked (10 s at most). */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (ft->arrived < FLIGHT_THREADS &&
		       pthread_cond_timedwait(&ft->cv, &ft->mu, &until) == 0)
			;
		ft->leader_saw_all = ft->arrived == FLIGHT_THREADS;
	}
	pthread_mutex_unlock(&ft->mu);
	if (rc == CACHE_MISS_LEADER) {
		atomic_fetch_add(&ft->evaluations, 1);
		s = new_snap("new.example", 1, 3600, 400);
		if (s != NULL && cache_posture_complete(t, s) != 0)
			ft->waited[fa->i] = CACHE_ERROR;
		else
			ft->waited[fa->i] = CACHE_HIT;
	} else if (rc == CACHE_MISS_WAIT) {
		ft->waited[fa->i] = cache_posture_wait(t, fake_clock(NULL) + 30 * SEC, &s);
	}
	ft->got[fa->i] = s;
	return NULL;
}

static void
test_single_flight_hundred_threads_one_evaluation(void **state)
{
	static struct flight_test ft;
	struct flight_arg args[FLIGHT_THREADS];
	pthread_t th[FLIGHT_THREADS];
	struct cache_stats st;
	unsigned i, leaders = 0, waiters = 0;

	(void)state;
	memset(&ft, 0, sizeof(ft));
	ft.c = new_cache(1000, 1 << 20, 16);
	pthread_barrier_init(&ft.start, NULL, FLIGHT_THREADS);
	pthread_mutex_init(&ft.mu, NULL);
	pthread_cond_init(&ft.cv, NULL);
	for (i = 0; i < FLIGHT_THREADS; i++) {
		args[i].ft = &ft;
		args[i].i = i;
		assert_int_equal(pthread_create(&th[i], NULL, flight_thread, &args[i]), 0);
	}
	for (i = 0; i < FLIGHT_THREADS; i++)
		pthread_join(th[i], NULL);

	assert_int_equal(atomic_load(&ft.evaluations), 1);
	assert_true(ft.leader_saw_all);
	for (i = 0; i < FLIGHT_THREADS; i++) {
		leaders += ft.first[i] == CACHE_MISS_LEADER;
		waiters += ft.first[i] == CACHE_MISS_WAIT;
		assert_int_equal(ft.waited[i], CACHE_HIT);
		assert_non_null(ft.got[i]);
		assert_ptr_equal(ft.got[i], ft.got[0]);		/* one shared snapshot */
	}
	assert_int_equal(leaders, 1);
	assert_int_equal(waiters, FLIGHT_THREADS - 1);
	assert_string_equal(tdata(ft.got[0])->domain, "new.example");
	for (i = 0; i < FLIGHT_THREADS; i++)
		cache_snapshot_release(ft.got[i]);
	cache_stats(ft.c, CACHE_POSTURE, &st);
	assert_int_equal(st.leaders, 1);
	assert_int_equal(st.waits, FLIGHT_THREADS - 1);
	assert_int_equal(get_expect(ft.c, "new.example", CACHE_HIT, NULL), 1);
	assert_int_equal(atomic_load(&snaps_freed), 0);
	cache_free(ft.c);
	assert_int_equal(atomic_load(&snaps_freed), 1);
	pthread_barrier_destroy(&ft.start);
	pthread_mutex_destroy(&ft.mu);
	pthread_cond_destroy(&ft.cv);
}

struct waiter {
	struct cache_ticket *t;
	uint64_t deadline;
	enum cache_result rc;
	struct cache_snapshot *s;
	double took_s;
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
waiter_thread(void *p)
{
	struct waiter *w = p;
	double t0 = mono_s();

	w->rc = cache_posture_wait(w->t, w->deadline, &w->s);
	w->took_s = mono_s() - t0;
	return NULL;
}

static void
test_failed_leader_lets_waiters_fall_back(void **state)
{
	struct cache *c = new_cache(100, 1 << 20, 4);
	struct cache_ticket *lead, *t2;
	struct waiter w = { 0 };
	pthread_t th;
	struct timespec pause = { 0, 50 * 1000 * 1000 };

	(void)state;
	/* Nothing cached: the blocked waiter wakes at the failure, with nothing. */
	get_expect(c, "f.example", CACHE_MISS_LEADER, &lead);
	get_expect(c, "f.example", CACHE_MISS_WAIT, &w.t);
	w.deadline = fake_clock(NULL) + 30 * SEC;
	assert_int_equal(pthread_create(&th, NULL, waiter_thread, &w), 0);
	nanosleep(&pause, NULL);
	cache_posture_fail(lead);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, CACHE_MISS);
	assert_null(w.s);
	assert_true(w.took_s < 10.0);		/* woken, not timed out */
	/* The next message leads a new evaluation: failures are not cached as data. */
	get_expect(c, "f.example", CACHE_MISS_LEADER, &lead);

	/* A snapshot stored meanwhile (now stale) is what a waiter falls back to. */
	get_expect(c, "f.example", CACHE_MISS_WAIT, &t2);
	put_snap(c, "f.example", 9, 60, 300);
	advance_to(61 * SEC);
	cache_posture_fail(lead);
	{
		struct cache_snapshot *s = NULL;

		assert_int_equal(cache_posture_wait(t2, fake_clock(NULL) + SEC, &s), CACHE_STALE);
		assert_non_null(s);
		assert_int_equal(tdata(s)->version, 9);
		cache_snapshot_release(s);
	}
	/* A stale refresh that fails: the stale snapshot is still served. */
	assert_int_equal(get_expect(c, "f.example", CACHE_STALE, NULL), 9);
	cache_free(c);
}

static void
test_waiter_leaves_at_deadline_and_overdue_leader_is_replaced(void **state)
{
	struct cache *c = new_cache(100, 1 << 20, 4);
	struct cache_ticket *lead, *lead2, *wt;
	struct cache_snapshot *s = NULL;
	double t0;

	(void)state;
	get_expect(c, "slow.example", CACHE_MISS_LEADER, &lead);
	get_expect(c, "slow.example", CACHE_MISS_WAIT, &wt);
	t0 = mono_s();
	assert_int_equal(cache_posture_wait(wt, fake_clock(NULL) + 100, &s), CACHE_MISS);
	assert_null(s);
	assert_true(mono_s() - t0 >= 0.09);
	advance_to(60 * SEC - 1);				/* flight_timeout_ms 60 s */
	get_expect(c, "slow.example", CACHE_MISS_WAIT, &wt);
	assert_int_equal(cache_posture_wait(wt, 0, &s), CACHE_MISS);	/* give up now */
	advance_to(60 * SEC);
	get_expect(c, "slow.example", CACHE_MISS_LEADER, &lead2);	/* takes over */
	s = new_snap("slow.example", 2, 600, 100);
	assert_int_equal(cache_posture_complete(lead2, s), 0);
	cache_snapshot_release(s);
	s = new_snap("slow.example", 1, 600, 100);		/* the lost leader returns */
	assert_int_equal(cache_posture_complete(lead, s), 0);
	cache_snapshot_release(s);
	/* Its evaluation started before the stored one: the newer one stays. */
	assert_int_equal(get_expect(c, "slow.example", CACHE_HIT, NULL), 2);
	cache_free(c);
}

/* ---- concurrency ---- */

#define HOT_THREADS 8
#define HOT_KEYS 2000
#define HOT_LOOKUPS 20000

struct hot_arg {
	struct cache *c;
	unsigned seed;
	bool writer;			/* replaces snapshots and answers meanwhile */
	unsigned hits, wrong, other;
};

/* Many lookups of random keys; checks each snapshot/answer belongs to its key. */
static void *
hot_thread(void *p)
{
	struct hot_arg *ha = p;
	char name[64];
	unsigned i, k, x = ha->seed;

	for (i = 0; i < HOT_LOOKUPS; i++) {
		struct cache_snapshot *s = NULL;
		struct cache_ticket *t = NULL;
		struct dns_answer a;
		enum cache_result rc;

		x = x * 1103515245u + 12345u;
		k = (x >> 8) % HOT_KEYS;
		snprintf(name, sizeof(name), "k%u.example", k);
		if (ha->writer && i % 16 == 0) {
			s = new_snap(name, i, 3600, 400);
			if (s == NULL || cache_posture_put(ha->c, name, s) != 0)
				ha->other++;
			cache_snapshot_release(s);
			continue;
		}
		rc = cache_posture_get_or_start(ha->c, name, &s, &t);
		if (rc == CACHE_HIT && s != NULL && t == NULL) {
			ha->hits++;
			if (strcmp(tdata(s)->domain, name) != 0)
				ha->wrong++;
		} else {
			ha->other++;
		}
		cache_snapshot_release(s);
		if (cache_dns_get(ha->c, name, DNS_T_A, &a) == CACHE_HIT) {
			if (a.qname == NULL || strcmp(a.qname, name) != 0 || a.count != 1)
				ha->wrong++;
		} else {
			ha->other++;
		}
		dns_answer_clear(&a);
	}
	return NULL;
}

static void
test_concurrent_hits_from_8_threads_on_many_keys(void **state)
{
	struct cache *c = new_cache(100000, 64 << 20, 32);
	struct hot_arg args[HOT_THREADS + 1];
	pthread_t th[HOT_THREADS + 1];
	struct cache_stats st;
	char name[64];
	unsigned i, hits = 0;

	(void)state;
	for (i = 0; i < HOT_KEYS; i++) {
		snprintf(name, sizeof(name), "k%u.example", i);
		put_snap(c, name, 0, 3600, 400);
		assert_int_equal(put_answer(c, name, DNS_T_A, DNS_OK, 3600, 0, 1), 1);
	}
	for (i = 0; i <= HOT_THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].c = c;
		args[i].seed = i * 7919u + 1;
		args[i].writer = i == HOT_THREADS;	/* one extra thread also writes */
		assert_int_equal(pthread_create(&th[i], NULL, hot_thread, &args[i]), 0);
	}
	for (i = 0; i <= HOT_THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i <= HOT_THREADS; i++) {
		assert_int_equal(args[i].wrong, 0);
		assert_int_equal(args[i].other, 0);
		hits += args[i].hits;
	}
	assert_int_equal(hits, HOT_THREADS * HOT_LOOKUPS + HOT_LOOKUPS - HOT_LOOKUPS / 16);
	cache_stats(c, CACHE_POSTURE, &st);
	assert_int_equal(st.hits, hits);
	assert_int_equal(st.entries, HOT_KEYS);
	assert_int_equal(st.misses, 0);
	cache_free(c);
	/* Every snapshot ever made was freed exactly once: the initial ones + writes. */
	assert_int_equal(atomic_load(&snaps_freed), HOT_KEYS + HOT_LOOKUPS / 16);
}

/* ---- documents ---- */

static atomic_uint parsed_freed;

static void
parsed_free(void *p)
{
	atomic_fetch_add(&parsed_freed, 1);
	free(p);
}

static void
put_doc(struct cache *c, const char *url, uint8_t hash_byte, const char *id, uint32_t ttl)
{
	uint8_t hash[CACHE_HASH_LEN];
	struct cache_doc_in in = { 0 };

	memset(hash, hash_byte, sizeof(hash));
	in.status = 200;
	in.body_hash = hash;
	in.id = id;
	in.parsed = strdup("mode: enforce");
	in.parsed_size = 14;
	in.parsed_free = parsed_free;
	in.ttl_s = ttl;
	assert_non_null(in.parsed);
	assert_int_equal(cache_doc_put(c, url, &in), 0);
}

static void
test_document_keeps_previous_hash_when_replaced(void **state)
{
	static const char url[] = "https://mta-sts.d.example/.well-known/mta-sts.txt";
	struct cache *c = new_cache(100, 1 << 20, 4);
	const struct cache_doc *d, *held;

	(void)state;
	atomic_store(&parsed_freed, 0);
	put_doc(c, url, 0x11, "20240101", 86400);
	assert_int_equal(cache_doc_get(c, url, &held), CACHE_HIT);
	assert_false(held->has_prev);
	assert_string_equal((const char *)held->parsed, "mode: enforce");
	/* The policy body changed, the id did not (RFC 8461 3.1 says it must). */
	put_doc(c, url, 0x22, "20240101", 86400);
	assert_int_equal(cache_doc_get(c, url, &d), CACHE_HIT);
	assert_true(d->has_prev);
	assert_int_equal(d->body_hash[0], 0x22);
	assert_int_equal(d->prev_body_hash[0], 0x11);
	assert_string_equal(d->id, "20240101");
	assert_string_equal(d->prev_id, "20240101");
	cache_doc_release(c, d);
	/* The replaced one is still readable by whoever holds it. */
	assert_int_equal(atomic_load(&parsed_freed), 0);
	assert_int_equal(held->body_hash[0], 0x11);
	cache_doc_release(c, held);
	assert_int_equal(atomic_load(&parsed_freed), 1);
	/* Expired, then stale, then gone from lookups, but still the next one's prev. */
	advance_to(86400 * SEC);
	assert_int_equal(cache_doc_get(c, url, &d), CACHE_STALE);
	cache_doc_release(c, d);
	advance_to(86400 * SEC + 3600 * SEC);
	assert_int_equal(cache_doc_get(c, url, &d), CACHE_MISS);
	assert_null(d);
	put_doc(c, url, 0x33, "20240202", 600);
	assert_int_equal(cache_doc_get(c, url, &d), CACHE_HIT);
	assert_int_equal(d->prev_body_hash[0], 0x22);
	assert_string_equal(d->prev_id, "20240101");
	assert_int_equal(d->expire_ms - d->stored_ms, 600 * SEC);
	cache_doc_release(c, d);
	assert_int_equal(cache_doc_get(c, "https://other.example/", &d), CACHE_MISS);
	cache_free(c);
	assert_int_equal(atomic_load(&parsed_freed), 3);
}

/* ---- selectors ---- */

static void
test_selectors_learned_most_recent_first_and_kept(void **state)
{
	struct cache *c = new_cache(100, 1 << 20, 4);
	char out[CACHE_MAX_SELECTORS + 2][CACHE_SELECTOR_MAX + 1];
	char sel[16];
	unsigned i;

	(void)state;
	assert_int_equal(cache_posture_selectors(c, "sel.example", out, 4), 0);
	for (i = 0; i < CACHE_MAX_SELECTORS + 2; i++) {
		snprintf(sel, sizeof(sel), "s%u", i);
		assert_int_equal(cache_posture_learn_selector(c, "sel.example", sel), 0);
	}
	assert_int_equal(cache_posture_learn_selector(c, "sel.example", "S5"), 0);
	assert_int_equal(cache_posture_selectors(c, "sel.example", out, CACHE_MAX_SELECTORS + 2),
			 CACHE_MAX_SELECTORS);
	assert_string_equal(out[0], "s5");		/* relearned: first, case-folded */
	assert_string_equal(out[1], "s9");
	assert_string_equal(out[2], "s8");
	assert_string_equal(out[CACHE_MAX_SELECTORS - 1], "s2");	/* s0, s1 forgotten */
	assert_int_equal(cache_posture_selectors(c, "sel.example", out, 2), 2);
	/* Not selectors: empty, too long, bytes outside LDH and dots. */
	assert_int_equal(cache_posture_learn_selector(c, "sel.example", ""), -1);
	assert_int_equal(cache_posture_learn_selector(c, "sel.example", "a b"), -1);
	assert_int_equal(cache_posture_learn_selector(c, "sel.example", "x\n"), -1);
	{
		char longsel[CACHE_SELECTOR_MAX + 2];

		memset(longsel, 'a', sizeof(longsel) - 1);
		longsel[sizeof(longsel) - 1] = '\0';
		assert_int_equal(cache_posture_learn_selector(c, "sel.example", longsel), -1);
	}
	/* Kept with the domain across snapshots. */
	put_snap(c, "sel.example", 1, 600, 300);
	put_snap(c, "sel.example", 2, 600, 300);
	assert_int_equal(cache_posture_selectors(c, "SEL.example", out, 1), 1);
	assert_string_equal(out[0], "s5");
	assert_int_equal(get_expect(c, "sel.example", CACHE_HIT, NULL), 2);
	cache_free(c);
}

/* ---- hashing and configuration ---- */

static void
test_siphash_matches_reference_vectors(void **state)
{
	uint8_t key[16], msg[15];
	unsigned i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* SipHash paper, appendix A; and the empty message of the reference vectors. */
	assert_true(lru_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(lru_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	key[0] ^= 1;		/* another key, another hash: names cannot be aimed */
	assert_true(lru_siphash(key, msg, 15) != 0xa129ca6149be45e5ULL);
}

static void
test_config_rejects_nonsense(void **state)
{
	struct cache_config cfg;
	struct cache *c;

	(void)state;
	cache_config_init(&cfg);
	cfg.min_ttl_s = 100;
	cfg.max_ttl_s = 50;
	assert_null(cache_new(&cfg));
	cache_config_init(&cfg);
	cfg.max_entries = 0;
	assert_null(cache_new(&cfg));
	cache_config_init(&cfg);
	cfg.prefetch_percent = 101;
	assert_null(cache_new(&cfg));
	cache_config_init(&cfg);		/* the defaults work, on the real clock */
	c = cache_new(&cfg);
	assert_non_null(c);
	assert_int_equal(cache_clamp_ttl(c, 1), 60);
	assert_int_equal(cache_clamp_ttl(c, 100000), 86400);
	cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_answer_expires_after_its_ttl),
		cmocka_unit_test(test_dns_ttl_clamped_to_min_and_max),
		cmocka_unit_test(test_dns_negative_answer_lives_for_negative_ttl),
		cmocka_unit_test(test_dns_answer_keeps_its_dnssec_status),
		cmocka_unit_test(test_dns_failures_never_cached),
		cmocka_unit_test(test_dns_key_folds_case_and_keeps_types_apart),
		cmocka_unit_test(test_lru_evicts_least_recently_used_by_entries),
		cmocka_unit_test(test_lru_evicts_by_bytes),
		cmocka_unit_test(test_stale_served_within_stale_ttl_and_not_after),
		cmocka_unit_test(test_snapshot_outlives_eviction_while_held),
		cmocka_unit_test(test_prefetch_signalled_once_per_snapshot),
		cmocka_unit_test(test_single_flight_hundred_threads_one_evaluation),
		cmocka_unit_test(test_failed_leader_lets_waiters_fall_back),
		cmocka_unit_test(test_waiter_leaves_at_deadline_and_overdue_leader_is_replaced),
		cmocka_unit_test(test_concurrent_hits_from_8_threads_on_many_keys),
		cmocka_unit_test(test_document_keeps_previous_hash_when_replaced),
		cmocka_unit_test(test_selectors_learned_most_recent_first_and_kept),
		cmocka_unit_test(test_siphash_matches_reference_vectors),
		cmocka_unit_test(test_config_rejects_nonsense),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
