/*
 * test_store.c - posture memory's chain of backends (lib/store/store.c).
 *
 * The local backend is a real LMDB environment in a mkdtemp() directory (removed
 * after); the far one is an in-memory fake that counts its calls and can be told to
 * fail, standing in for Redis (whose own tests are test_store_redis). Covered: the key
 * format and what it refuses, the nearer backend answering first, a far hit copied
 * into LMDB (and not when copy_ttl_s is 0), puts reaching every backend, a failing far
 * backend read as absent while LMDB answers, STORE_FAILED only when all fail.
 *
 * Then the evaluation pool over that store (lib/evalpool.c), with an engine whose only
 * resolver is a loopback port nobody answers, so any evaluation fails: a snapshot of
 * the pool's shape in LMDB is served (grade A, no evaluation, a store hit, not
 * "fresh"); one of another shape is not; a learned selector is noted in the store by
 * a background job.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "dns/dns.h"
#include "evalpool.h"
#include "memory.h"
#include "posture.h"
#include "store/store.h"
#include "store/store_codec.h"
#include "store/store_lmdb.h"
#include "tmpdir.h"

static char tmpdir[64];

/* An in-memory backend: one slot per key, a switch to fail, call counters. */
#define FAKE_SLOTS 8
struct fake {
	struct store_backend b;		/* first: the backend pointer is the fake */
	char key[FAKE_SLOTS][STORE_KEY_MAX + 1];
	uint8_t val[FAKE_SLOTS][64];
	size_t len[FAKE_SLOTS];
	uint64_t expire[FAKE_SLOTS];
	unsigned gets, puts;
	int failing;
	int *freed;			/* set to 1 by free */
};

/* The fake's slot for key, or -1. */
static int
fake_find(struct fake *f, const char *key)
{
	int i;

	for (i = 0; i < FAKE_SLOTS; i++)
		if (strcmp(f->key[i], key) == 0)
			return i;
	return -1;
}

/* get: a copy of the slot's bytes. */
static enum store_status
fake_get(struct store_backend *b, const char *key, uint8_t **val, size_t *len,
	 uint64_t deadline_ms)
{
	struct fake *f = (struct fake *)b;
	int i;

	(void)deadline_ms;
	f->gets++;
	if (f->failing)
		return STORE_FAILED;
	if ((i = fake_find(f, key)) < 0)
		return STORE_ABSENT;
	*val = malloc(f->len[i] ? f->len[i] : 1);
	if (*val == NULL)
		return STORE_FAILED;
	memcpy(*val, f->val[i], f->len[i]);
	*len = f->len[i];
	return STORE_FOUND;
}

/* put: into the key's slot or the first free one. */
static int
fake_put(struct store_backend *b, const char *key, const uint8_t *val, size_t len,
	 uint64_t expire_s)
{
	struct fake *f = (struct fake *)b;
	int i;

	f->puts++;
	if (f->failing || len > sizeof(f->val[0]))
		return -1;
	if ((i = fake_find(f, key)) < 0 && (i = fake_find(f, "")) < 0)
		return -1;
	snprintf(f->key[i], sizeof(f->key[i]), "%s", key);
	memcpy(f->val[i], val, len);
	f->len[i] = len;
	f->expire[i] = expire_s;
	return 0;
}

/* free: note it; the test owns the memory. */
static void
fake_free(struct store_backend *b)
{
	struct fake *f = (struct fake *)b;

	if (f->freed)
		*f->freed = 1;
}

/* A zeroed fake with its operations. */
static void
fake_init(struct fake *f, int *freed)
{
	memset(f, 0, sizeof(*f));
	f->b.name = "fake";
	f->b.get = fake_get;
	f->b.put = fake_put;
	f->b.free = fake_free;
	f->freed = freed;
}

/* A fresh directory per test. */
static int
setup_dir(void **state)
{
	(void)state;
	return tmpdir_make(tmpdir, sizeof(tmpdir), "test_store");
}

/* Remove the directory and its files. */
static int
teardown_dir(void **state)
{
	(void)state;
	tmpdir_remove(tmpdir);
	return 0;
}

/* An LMDB backend in tmpdir. */
static struct store_backend *
lmdb_open(void)
{
	struct store_lmdb_config cfg;
	struct store_backend *b;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = tmpdir;
	cfg.map_size = 4 << 20;
	b = store_lmdb_open(&cfg, err, sizeof(err));
	if (b == NULL)
		fail_msg("store_lmdb_open: %s", err);
	return b;
}

/* Whether b holds key with the bytes want. */
static int
holds(struct store_backend *b, const char *key, const char *want)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int ok;

	if (b->get(b, key, &v, &len, 0) != STORE_FOUND)
		return 0;
	ok = len == strlen(want) && memcmp(v, want, len) == 0;
	free(v);
	return ok;
}

static void
test_key_is_prefix_schema_kind_domain(void **state)
{
	char key[STORE_KEY_MAX + 1], small[12], longdom[700], big[1024];
	char want[64];

	(void)state;
	assert_int_equal(store_key(key, sizeof(key), "pm", "posture", "good.test"), 0);
	snprintf(want, sizeof(want), "pm:%d:posture:good.test", STORE_SCHEMA);
	assert_string_equal(key, want);
	/* Too small a buffer, empty parts, separators or spaces inside a part. */
	assert_int_equal(store_key(small, sizeof(small), "pm", "posture", "good.test"), -1);
	assert_string_equal(small, "");
	assert_int_equal(store_key(key, sizeof(key), "", "posture", "good.test"), -1);
	assert_int_equal(store_key(key, sizeof(key), "pm", "sel", "a:b.test"), -1);
	assert_int_equal(store_key(key, sizeof(key), "p m", "sel", "good.test"), -1);
	assert_int_equal(store_key(key, sizeof(key), "pm", "sel", "bad\x01.test"), -1);
	/* Longer than STORE_KEY_MAX even with a buffer that would hold it. */
	memset(longdom, 'a', sizeof(longdom) - 1);
	longdom[sizeof(longdom) - 1] = '\0';
	assert_int_equal(store_key(big, sizeof(big), "pm", "sel", longdom), -1);
}

static void
test_nearer_backend_answers_first(void **state)
{
	struct store_backend *chain[2];
	struct fake far;
	struct store *s;
	uint8_t *v = NULL;
	size_t len = 0;

	(void)state;
	fake_init(&far, NULL);
	chain[0] = lmdb_open();
	chain[1] = &far.b;
	s = store_new(chain, 2, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(store_put(s, "pm:1:posture:a.test", (const uint8_t *)"near", 4,
	    store_now_s(s) + 600), 0);
	assert_int_equal(store_lmdb_flush(chain[0]), 0);
	/* The far one disagrees: the nearer wins and the far one is not asked. */
	snprintf(far.key[0], sizeof(far.key[0]), "pm:1:posture:a.test");
	memcpy(far.val[0], "far!", 4);
	far.gets = 0;
	assert_int_equal(store_get(s, "pm:1:posture:a.test", &v, &len, 0, 600), STORE_FOUND);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "near", 4);
	assert_int_equal(far.gets, 0);
	free(v);
	store_free(s);
}

static void
test_far_hit_is_copied_near(void **state)
{
	struct store_backend *chain[2];
	struct fake far;
	struct store *s;
	uint8_t *v = NULL;
	size_t len = 0;
	int freed = 0;

	(void)state;
	fake_init(&far, &freed);
	assert_int_equal(far.b.put(&far.b, "pm:1:sel:b.test", (const uint8_t *)"shared", 6, 0), 0);
	assert_int_equal(far.b.put(&far.b, "pm:1:sel:c.test", (const uint8_t *)"nocopy", 6, 0), 0);
	chain[0] = lmdb_open();
	chain[1] = &far.b;
	s = store_new(chain, 2, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(store_get(s, "pm:1:sel:b.test", &v, &len, 0, 600), STORE_FOUND);
	assert_memory_equal(v, "shared", 6);
	free(v);
	/* copy_ttl_s 0: served, not copied. */
	assert_int_equal(store_get(s, "pm:1:sel:c.test", &v, &len, 0, 0), STORE_FOUND);
	free(v);
	assert_int_equal(store_lmdb_flush(chain[0]), 0);
	assert_true(holds(chain[0], "pm:1:sel:b.test", "shared"));
	assert_false(holds(chain[0], "pm:1:sel:c.test", "nocopy"));
	/* With the far one failing, LMDB alone still answers. */
	far.failing = 1;
	assert_int_equal(store_get(s, "pm:1:sel:b.test", &v, &len, 0, 600), STORE_FOUND);
	free(v);
	assert_int_equal(store_get(s, "pm:1:sel:nothing.test", &v, &len, 0, 600),
	    STORE_ABSENT);
	assert_null(v);
	store_free(s);
	assert_int_equal(freed, 1);
}

/* Values every host updates are read shared backend first, nothing copied. */
static void
test_shared_read_prefers_the_far_backend(void **state)
{
	struct store_backend *chain[2];
	struct fake near, far;
	struct store *s;
	uint8_t *v = NULL;
	size_t len = 0;

	(void)state;
	fake_init(&near, NULL);
	fake_init(&far, NULL);
	assert_int_equal(near.b.put(&near.b, "k", (const uint8_t *)"old", 3, 0), 0);
	assert_int_equal(far.b.put(&far.b, "k", (const uint8_t *)"fleet", 5, 0), 0);
	assert_int_equal(near.b.put(&near.b, "only-near", (const uint8_t *)"n", 1, 0), 0);
	chain[0] = &near.b;
	chain[1] = &far.b;
	s = store_new(chain, 2, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(store_get_shared(s, "k", &v, &len, 0), STORE_FOUND);
	assert_int_equal(len, 5);
	assert_memory_equal(v, "fleet", 5);
	free(v);
	/* store_get() still answers nearest first. */
	assert_int_equal(store_get(s, "k", &v, &len, 0, 0), STORE_FOUND);
	assert_memory_equal(v, "old", 3);
	free(v);
	/* Absent far away: the near copy. Far failing: the near copy. Both: FAILED. */
	assert_int_equal(store_get_shared(s, "only-near", &v, &len, 0), STORE_FOUND);
	free(v);
	far.failing = 1;
	assert_int_equal(store_get_shared(s, "k", &v, &len, 0), STORE_FOUND);
	assert_memory_equal(v, "old", 3);
	free(v);
	near.failing = 1;
	assert_int_equal(store_get_shared(s, "k", &v, &len, 0), STORE_FAILED);
	assert_int_equal(near.puts, 2);		/* nothing was copied */
	/* No backend with locks: the lock is ours at once. */
	assert_int_equal(store_lock(s, "pm:2:lock:a.test", "me", 1000, 0), 1);
	store_unlock(s, "pm:2:lock:a.test", "me");
	store_free(s);
}

static void
test_put_reaches_every_backend(void **state)
{
	struct store_backend *chain[2];
	struct fake far;
	struct store *s;
	uint64_t expire;

	(void)state;
	fake_init(&far, NULL);
	chain[0] = lmdb_open();
	chain[1] = &far.b;
	s = store_new(chain, 2, NULL, NULL);
	assert_non_null(s);
	expire = store_now_s(s) + 300;
	assert_int_equal(store_put(s, "pm:1:posture:d.test", (const uint8_t *)"both", 4,
	    expire), 0);
	assert_int_equal(store_lmdb_flush(chain[0]), 0);
	assert_true(holds(chain[0], "pm:1:posture:d.test", "both"));
	assert_true(holds(&far.b, "pm:1:posture:d.test", "both"));
	assert_int_equal(far.expire[fake_find(&far, "pm:1:posture:d.test")], expire);
	/* One backend refusing is reported; the other still took it. */
	far.failing = 1;
	assert_int_equal(store_put(s, "pm:1:posture:e.test", (const uint8_t *)"near", 4,
	    expire), -1);
	assert_int_equal(store_lmdb_flush(chain[0]), 0);
	assert_true(holds(chain[0], "pm:1:posture:e.test", "near"));
	store_free(s);
}

static void
test_failed_only_when_every_backend_fails(void **state)
{
	struct store_backend *chain[3];
	struct fake a, b, c;
	struct store *s;
	uint8_t *v = NULL;
	size_t len = 0;
	int freed_c = 0;

	(void)state;
	fake_init(&a, NULL);
	fake_init(&b, NULL);
	fake_init(&c, &freed_c);
	a.failing = b.failing = 1;
	chain[0] = &a.b;
	chain[1] = NULL;		/* skipped */
	chain[2] = &b.b;
	s = store_new(chain, 3, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(store_get(s, "pm:1:posture:f.test", &v, &len, 0, 60), STORE_FAILED);
	b.failing = 0;
	assert_int_equal(store_get(s, "pm:1:posture:f.test", &v, &len, 0, 60), STORE_ABSENT);
	store_free(s);
	/* Beyond STORE_CHAIN_MAX a backend is freed at once; none at all is NULL. */
	chain[0] = &a.b;
	chain[1] = &b.b;
	chain[2] = &c.b;
	s = store_new(chain, 3, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(freed_c, 1);
	store_free(s);
	chain[0] = NULL;
	assert_null(store_new(chain, 1, NULL, NULL));
	store_free(NULL);
}

/* An engine on one resolver, with short timeouts (200 ms a try, 400 ms an evaluation). */
static struct posture_engine *
engine_at(const char *resolver)
{
	const char *res[1] = { resolver };
	struct posture_options opts;
	struct posture_engine *eng;
	char err[256];

	posture_options_init(&opts);
	opts.resolvers = res;
	opts.nresolvers = 1;
	opts.dns_timeout_ms = 200;
	opts.dns_tries = 1;
	opts.evaluation_timeout_ms = 400;
	eng = posture_engine_new(&opts, err, sizeof(err));
	if (eng == NULL)
		fail_msg("posture_engine_new: %s", err);
	return eng;
}

/* An engine whose resolver never answers (the discard port). */
static struct posture_engine *
dead_engine(void)
{
	return engine_at("127.0.0.1:9");
}

/*
 * Write a grade-A snapshot of domain, made under shape_config at now, into the LMDB
 * backend and wait until it is committed. 0, or -1. No assertions: a thread of the
 * test may call it.
 */
static int
store_snapshot(struct store_backend *lmdb, const char *domain, uint32_t shape_config,
	       uint64_t now)
{
	struct posture_eval ev;
	struct store_shape shape;
	char key[STORE_KEY_MAX + 1];
	uint8_t *val = NULL;
	size_t len = 0;
	int rc;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.domain, sizeof(ev.domain), "%s", domain);
	snprintf(ev.input, sizeof(ev.input), "%s", domain);
	ev.grade = 'A';
	ev.family[PF_MX].result = PR_OK;
	ev.family[PF_SPF].result = PR_OK;
	ev.family[PF_DMARC].result = PR_OK;
	ev.ttl = 3600;
	store_shape_init(&shape, shape_config);
	if (store_encode_posture(&ev, &shape, now, now + 3600, &val, &len) < 0 ||
	    store_key(key, sizeof(key), "pm", "posture", domain) < 0)
		rc = -1;
	else
		rc = lmdb->put(lmdb, key, val, len, now + 3600) < 0 ||
		    store_lmdb_flush(lmdb) < 0 ? -1 : 0;
	free(val);
	return rc;
}

/* Ask the pool for domain and wait up to 3 s. */
static void
ask(struct evalpool *pool, const char *domain, char *grade, bool *fresh, bool *error)
{
	struct eval_ticket *t = evalpool_request(pool, domain, NULL, 0);
	const struct posture_eval *ev;

	assert_non_null(t);
	ev = evalpool_wait(t, dns_now_ms() + 3000);
	assert_non_null(ev);
	*grade = ev->grade;
	*error = ev->error != NULL;
	*fresh = evalpool_fresh(t);
	evalpool_release(t);
}

/*
 * A backend that only locks, as another host's Redis would: lock answers held (0) or
 * taken (1) as told, unlock records the token it was given.
 */
struct locker {
	struct store_backend b;		/* first */
	int answer;			/* what lock returns */
	unsigned locks, unlocks, bad;	/* bad: calls the checks below refused */
	char token[128];
};

static int
locker_lock(struct store_backend *b, const char *key, const char *token, unsigned ttl_ms,
	    uint64_t deadline_ms)
{
	struct locker *l = (struct locker *)b;

	/* On a worker thread: no cmocka assertions here (they jump), the test reads bad. */
	(void)deadline_ms;
	if (strstr(key, ":lock:") == NULL || ttl_ms == 0)
		l->bad++;
	l->locks++;
	snprintf(l->token, sizeof(l->token), "%s", token);
	return l->answer;
}

static int
locker_unlock(struct store_backend *b, const char *key, const char *token)
{
	struct locker *l = (struct locker *)b;

	(void)key;
	l->unlocks++;
	if (strcmp(token, l->token) != 0)	/* only the holder's own token */
		l->bad++;
	return 1;
}

static void
locker_free(struct store_backend *b)
{
	(void)b;
}

/*
 * What the pool tests run on: a dead engine, LMDB in tmpdir (then the locker when a
 * test plays a fleet), the chain, a pool of threads workers over it with its memory
 * (shape 7, prefix "pm").
 */
struct rig {
	struct posture_engine *eng;
	struct store_backend *lmdb;
	struct store *s;
	struct posture_memory *mem;
	struct evalpool *pool;
	struct locker lock;
};

/* Build a rig; lock_answer < 0: no locker (a single host). */
static void
rig_up(struct rig *r, unsigned threads, int lock_answer)
{
	struct store_backend *chain[2];
	struct evalpool_config pc;
	size_t n = 1;

	memset(r, 0, sizeof(*r));
	r->eng = dead_engine();
	chain[0] = r->lmdb = lmdb_open();
	if (lock_answer >= 0) {
		r->lock.b.name = "locker";
		r->lock.b.lock = locker_lock;
		r->lock.b.unlock = locker_unlock;
		r->lock.b.free = locker_free;
		r->lock.answer = lock_answer;
		chain[n++] = &r->lock.b;
	}
	r->s = store_new(chain, n, NULL, NULL);
	assert_non_null(r->s);
	memset(&pc, 0, sizeof(pc));
	pc.threads = threads;
	pc.lock_wait_ms = 1500;
	r->pool = evalpool_new(r->eng, &pc);
	assert_non_null(r->pool);
	r->mem = posture_memory_new(r->s, "pm", 7, 0);
	assert_non_null(r->mem);
	evalpool_set_memory(r->pool, r->mem);
}

/* Free a rig: the pool first, then what it used. */
static void
rig_down(struct rig *r)
{
	evalpool_free(r->pool);
	posture_memory_free(r->mem);
	posture_engine_free(r->eng);
	store_free(r->s);
}

static void
test_pool_serves_stored_snapshot_without_dns(void **state)
{
	struct evalpool_stats st;
	struct rig r;
	bool fresh, error;
	char grade;

	(void)state;
	rig_up(&r, 2, -1);
	assert_int_equal(store_snapshot(r.lmdb, "good.test", 7, store_now_s(r.s)), 0);
	ask(r.pool, "good.test", &grade, &fresh, &error);
	assert_int_equal(grade, 'A');
	assert_false(error);
	assert_false(fresh);
	evalpool_stats(r.pool, &st);
	assert_int_equal(st.store_hits, 1);
	assert_int_equal(st.evaluations, 0);
	/* Another shape (other Selectors): not used, the dead resolver's temperror. */
	assert_int_equal(store_snapshot(r.lmdb, "other.test", 8, store_now_s(r.s)), 0);
	ask(r.pool, "other.test", &grade, &fresh, &error);
	assert_int_equal(grade, 0);
	assert_true(error);
	evalpool_stats(r.pool, &st);
	assert_int_equal(st.store_hits, 1);
	assert_int_equal(st.evaluations, 1);
	rig_down(&r);
}

static void
test_pool_notes_learned_selector_in_store(void **state)
{
	struct store_selectors sels;
	struct rig r;
	char key[STORE_KEY_MAX + 1];
	uint8_t *val = NULL;
	size_t len = 0;
	int i;

	(void)state;
	rig_up(&r, 1, -1);
	evalpool_learn_selector(r.pool, "signed.test", "Sel1");
	assert_int_equal(store_key(key, sizeof(key), "pm", "sel", "signed.test"), 0);
	for (i = 0; i < 100; i++) {		/* the job runs on the worker: up to 5 s */
		assert_int_equal(store_lmdb_flush(r.lmdb), 0);
		if (store_get(r.s, key, &val, &len, 0, 0) == STORE_FOUND)
			break;
		usleep(50 * 1000);
	}
	assert_non_null(val);
	assert_int_equal(store_decode_selectors(val, len, &sels), STORE_DECODE_OK);
	assert_int_equal(sels.n, 1);
	assert_string_equal(sels.sel[0].name, "sel1");
	free(val);
	rig_down(&r);
}

/* The other host: its snapshot lands in the store 300 ms after the test starts. */
struct late_writer {
	struct store_backend *lmdb;
	uint64_t now;
	int rc;
};

static void *
late_write(void *arg)
{
	struct late_writer *w = arg;

	usleep(300 * 1000);
	w->rc = store_snapshot(w->lmdb, "fleet.test", 7, w->now);
	return NULL;
}

/* Another host holds the domain: wait for its snapshot instead of evaluating. */
static void
test_pool_fleet_waits_for_the_holder(void **state)
{
	struct late_writer w;
	struct evalpool_stats st;
	struct rig r;
	pthread_t th;
	bool fresh, error;
	char grade;

	(void)state;
	rig_up(&r, 1, 0);
	w.lmdb = r.lmdb;
	w.now = store_now_s(r.s);
	w.rc = -1;
	assert_int_equal(pthread_create(&th, NULL, late_write, &w), 0);
	ask(r.pool, "fleet.test", &grade, &fresh, &error);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, 0);
	assert_int_equal(r.lock.bad, 0);
	assert_int_equal(grade, 'A');		/* the dead resolver would say temperror */
	assert_false(error);
	evalpool_stats(r.pool, &st);
	assert_int_equal(st.fleet_waits, 1);
	assert_int_equal(st.evaluations, 0);
	assert_int_equal(st.store_hits, 1);
	assert_int_equal(r.lock.locks, 1);
	assert_int_equal(r.lock.unlocks, 0);	/* not ours: never released */
	rig_down(&r);
}

/* The holder never delivers: after lock_wait_ms this host evaluates itself. */
static void
test_pool_fleet_evaluates_after_waiting(void **state)
{
	struct evalpool_stats st;
	struct rig r;
	bool fresh, error;
	char grade;

	(void)state;
	rig_up(&r, 1, 0);
	ask(r.pool, "lost.test", &grade, &fresh, &error);
	assert_true(error);			/* evaluated on the dead resolver */
	evalpool_stats(r.pool, &st);
	assert_int_equal(st.fleet_waits, 1);
	assert_int_equal(st.evaluations, 1);
	rig_down(&r);
}

/* A free lock is taken, the domain evaluated, and our own lock released. */
static void
test_pool_fleet_takes_and_releases(void **state)
{
	struct evalpool_stats st;
	struct rig r;
	bool fresh, error;
	char grade;
	int i;

	(void)state;
	rig_up(&r, 1, 1);
	ask(r.pool, "free.test", &grade, &fresh, &error);
	for (i = 0; i < 100 && r.lock.unlocks == 0; i++)	/* released after the answer */
		usleep(20 * 1000);
	evalpool_stats(r.pool, &st);
	assert_int_equal(st.fleet_waits, 0);
	assert_int_equal(st.evaluations, 1);
	assert_int_equal(r.lock.locks, 1);
	assert_int_equal(r.lock.unlocks, 1);
	assert_int_equal(r.lock.bad, 0);
	assert_non_null(strchr(r.lock.token, ':'));	/* host:pid:pool */
	rig_down(&r);
}

/*
 * A history too big to store keeps fewer versions, never stale values: 64 records of
 * 4000-byte values, changed 10 times, would be 2.5 MB; what is stored holds each
 * record's newest value.
 */
static void
test_memory_history_too_big_keeps_the_newest(void **state)
{
	struct store_backend *chain[1];
	struct posture_memory *mem;
	struct store_history h;
	struct posture_eval ev;
	struct store *s;
	char name[32];
	size_t r, v, i;
	int round;

	(void)state;
	chain[0] = lmdb_open();
	s = store_new(chain, 1, NULL, NULL);
	assert_non_null(s);
	mem = posture_memory_new(s, "pm", 7, 10);
	assert_non_null(mem);
	for (round = 0; round < 10; round++) {
		memset(&ev, 0, sizeof(ev));
		snprintf(ev.domain, sizeof(ev.domain), "big.test");
		ev.grade = 'A';
		ev.nrecords = STORE_HISTORY_RECORDS;
		ev.records = calloc(ev.nrecords, sizeof(*ev.records));
		assert_non_null(ev.records);
		for (r = 0; r < ev.nrecords; r++) {
			snprintf(name, sizeof(name), "dkim:s%zu", r);
			ev.records[r].name = strdup(name);
			ev.records[r].family = PF_DKIM;
			ev.records[r].value = malloc(4001);
			assert_non_null(ev.records[r].value);
			memset(ev.records[r].value, 'a' + round, 4000);
			ev.records[r].value[4000] = '\0';
		}
		(void)posture_memory_track(mem, &ev);
		assert_int_equal(store_lmdb_flush(chain[0]), 0);
		for (r = 0; r < ev.nrecords; r++) {
			free(ev.records[r].name);
			free(ev.records[r].value);
		}
		free(ev.records);
		for (i = 0; i < ev.nfindings; i++)	/* RECORD_CHANGED from round 2 on */
			free(ev.findings[i].message);
		free(ev.findings);
	}
	assert_int_equal(posture_memory_history(mem, "big.test", &h), STORE_FOUND);
	assert_int_equal(h.nrec, STORE_HISTORY_RECORDS);
	for (r = 0; r < h.nrec; r++) {
		assert_true(h.rec[r].nv >= 1);
		assert_true(h.rec[r].nv < 10);		/* trimmed to fit */
		for (v = 0; v < 4000; v++)		/* the newest value is the last round's */
			if (h.rec[r].v[0].value[v] != 'a' + 9)
				fail_msg("record %zu holds a stale value", r);
	}
	store_history_free(&h);
	posture_memory_free(mem);
	store_free(s);
}

/*
 * Freeing a pool drops the jobs not yet started: 20 domains asked of one worker whose
 * resolver never answers (each evaluation takes its whole timeout), then the pool is
 * freed at once. The resolver's socket tells which domains were evaluated: one or two
 * (the job running, perhaps the next), never all 20 (which would keep a stopping
 * daemon alive 20 timeouts long).
 */
static void
test_pool_free_drops_queued_jobs(void **state)
{
	struct evalpool_config pc;
	struct posture_engine *eng;
	struct evalpool *pool;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct eval_ticket *t[20];
	char spec[64], name[32];
	bool seen[20] = { false };
	uint8_t pkt[1500];
	struct pollfd pfd;
	ssize_t n;
	int fd, i, k, distinct = 0;

	(void)state;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
	eng = engine_at(spec);
	memset(&pc, 0, sizeof(pc));
	pc.threads = 1;
	pool = evalpool_new(eng, &pc);
	assert_non_null(pool);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "drop-%02d.test", i);
		t[i] = evalpool_request(pool, name, NULL, 0);
		assert_non_null(t[i]);
	}
	for (i = 0; i < 20; i++)
		evalpool_release(t[i]);
	/* Free once the first evaluation is running: its first query has arrived. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	evalpool_free(pool);
	while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 0)
		for (k = 0; k + 7 < n; k++)
			if (memcmp(pkt + k, "drop-", 5) == 0 && pkt[k + 5] >= '0' &&
			    pkt[k + 5] <= '9' && pkt[k + 6] >= '0' && pkt[k + 6] <= '9')
				seen[(pkt[k + 5] - '0') * 10 + (pkt[k + 6] - '0')] = true;
	for (i = 0; i < 20; i++)
		distinct += seen[i];
	assert_true(distinct >= 1);		/* the resolver was asked: the test sees queries */
	assert_true(distinct <= 2);
	posture_engine_free(eng);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_prefix_schema_kind_domain),
		cmocka_unit_test_setup_teardown(test_nearer_backend_answers_first, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_far_hit_is_copied_near, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_put_reaches_every_backend, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_failed_only_when_every_backend_fails),
		cmocka_unit_test(test_shared_read_prefers_the_far_backend),
		cmocka_unit_test(test_pool_free_drops_queued_jobs),
		cmocka_unit_test_setup_teardown(test_memory_history_too_big_keeps_the_newest,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_pool_serves_stored_snapshot_without_dns,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_pool_notes_learned_selector_in_store,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_pool_fleet_waits_for_the_holder, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_pool_fleet_evaluates_after_waiting, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_pool_fleet_takes_and_releases, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
