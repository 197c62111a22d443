/*
 * test_store_lmdb.c - the LMDB backend of posture memory (lib/store/store_lmdb.c).
 *
 * Each test opens an environment in its own mkdtemp() directory (removed after) with
 * an injected wall clock (fake_now), so expiry is tested without sleeping. Writes go
 * through the writer thread; store_lmdb_flush() waits for them. Covered: round trip,
 * delete, expiry, persistence across close and reopen, a 1 MiB map filled many times
 * over (the store keeps working, the newest values survive), max_entries, the bounded
 * queue, refused keys and values, a missing directory, a garbage data.mdb, and readers
 * on several threads while the writer writes (they collect, the main thread asserts).
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
#include <unistd.h>
#include <cmocka.h>

#include "store/store_lmdb.h"
#include "tmpdir.h"

static _Atomic uint64_t fake_now = 1000;
static atomic_uint log_lines;
static char tmpdir[64];

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return atomic_load(&fake_now);
}

static void
count_log(void *arg, int priority, const char *fmt, ...)
{
	(void)arg;
	(void)priority;
	(void)fmt;
	atomic_fetch_add(&log_lines, 1);
}

/* A fresh directory per test. */
static int
setup_dir(void **state)
{
	(void)state;
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "test_store_lmdb") < 0)
		return -1;
	atomic_store(&fake_now, 1000);
	atomic_store(&log_lines, 0);
	return 0;
}

/* Remove the directory and its files. */
static int
teardown_dir(void **state)
{
	(void)state;
	tmpdir_remove(tmpdir);
	return 0;
}

/* The defaults of these tests: fake clock, counted log, the given map size. */
static void
config(struct store_lmdb_config *cfg, size_t map_size)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dir = tmpdir;
	cfg->map_size = map_size;
	cfg->max_readers = 16;
	cfg->log = count_log;
	cfg->now_s = fake_clock;
}

static struct store_backend *
open_ok(const struct store_lmdb_config *cfg)
{
	struct store_backend *b;
	char err[256] = "";

	b = store_lmdb_open(cfg, err, sizeof(err));
	if (b == NULL)
		fail_msg("store_lmdb_open: %s", err);
	assert_string_equal(b->name, "lmdb");
	return b;
}

/* get key and compare with want (NULL: must be absent). */
static void
expect_stored(struct store_backend *b, const char *key, const char *want)
{
	uint8_t *val = NULL;
	size_t len = 0;
	enum store_status st = b->get(b, key, &val, &len, 0);

	if (want == NULL) {
		assert_int_equal(st, STORE_ABSENT);
		assert_null(val);
		return;
	}
	assert_int_equal(st, STORE_FOUND);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(val, want, len);
	free(val);
}

/* put a string value. */
static int
put_str(struct store_backend *b, const char *key, const char *val, uint64_t expire_s)
{
	return b->put(b, key, (const uint8_t *)val, strlen(val), expire_s);
}

static void
test_put_get_delete_after_flush(void **state)
{
	struct store_lmdb_config cfg;
	struct store_lmdb_stats st;
	struct store_backend *b;

	(void)state;
	config(&cfg, 0);
	b = open_ok(&cfg);
	expect_stored(b, "pm:1:posture:example.org", NULL);
	assert_int_equal(put_str(b, "pm:1:posture:example.org", "value one", 0), 0);
	assert_int_equal(b->put(b, "pm:1:sel:example.org", (const uint8_t *)"", 0, 0), 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	expect_stored(b, "pm:1:posture:example.org", "value one");
	expect_stored(b, "pm:1:sel:example.org", "");
	assert_int_equal(put_str(b, "pm:1:posture:example.org", "value two", 0), 0);
	assert_int_equal(b->del(b, "pm:1:sel:example.org"), 0);
	assert_int_equal(b->del(b, "pm:1:never-stored"), 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	expect_stored(b, "pm:1:posture:example.org", "value two");
	expect_stored(b, "pm:1:sel:example.org", NULL);
	store_lmdb_stats(b, &st);
	assert_int_equal(st.committed, 5);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.entries, 1);
	assert_false(st.failed);
	assert_null(b->lock);
	b->free(b);
	assert_int_equal(atomic_load(&log_lines), 0);
}

static void
test_expiry_follows_injected_clock(void **state)
{
	struct store_lmdb_config cfg;
	struct store_backend *b;

	(void)state;
	config(&cfg, 0);
	b = open_ok(&cfg);
	assert_int_equal(put_str(b, "short", "s", 1100), 0);
	assert_int_equal(put_str(b, "forever", "f", 0), 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	atomic_store(&fake_now, 1099);
	expect_stored(b, "short", "s");
	atomic_store(&fake_now, 1100);
	expect_stored(b, "short", NULL);
	expect_stored(b, "forever", "f");
	atomic_store(&fake_now, 1000000);
	expect_stored(b, "forever", "f");
	b->free(b);
}

static void
test_values_persist_across_reopen(void **state)
{
	struct store_lmdb_config cfg;
	struct store_backend *b;

	(void)state;
	config(&cfg, 0);
	b = open_ok(&cfg);
	assert_int_equal(put_str(b, "flushed", "one", 5000), 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	assert_int_equal(put_str(b, "queued", "two", 5000), 0);
	b->free(b);		/* commits what is still queued */
	b = open_ok(&cfg);
	expect_stored(b, "flushed", "one");
	expect_stored(b, "queued", "two");
	b->free(b);
}

static void
test_tiny_map_prunes_and_keeps_newest(void **state)
{
	struct store_lmdb_config cfg;
	struct store_lmdb_stats st;
	struct store_backend *b;
	char key[32], val[1024];
	int i, fails = 0;

	(void)state;
	config(&cfg, 1024 * 1024);
	b = open_ok(&cfg);
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	/* 3 MiB through a 1 MiB map; later values expire later. */
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%05d", i);
		snprintf(val, 16, "%05d", i);
		val[5] = 'v';
		if (put_str(b, key, val, 100000 + (uint64_t)i) != 0)
			fails++;
		if (i % 50 == 49)
			assert_int_equal(store_lmdb_flush(b), 0);
	}
	assert_int_equal(fails, 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	store_lmdb_stats(b, &st);
	assert_false(st.failed);
	assert_true(st.pruned > 0);
	assert_int_equal(st.map_full, 0);	/* pruned before the map filled */
	assert_true(st.entries < 3000);
	assert_true(st.entries > 100);
	expect_stored(b, "k00000", NULL);
	snprintf(val, 16, "%05d", 2999);
	val[5] = 'v';
	expect_stored(b, "k02999", val);

	/* One batch larger than the map: cut into transactions, the newest still kept. */
	for (i = 3000; i < 4500; i++) {
		snprintf(key, sizeof(key), "k%05d", i);
		snprintf(val, 16, "%05d", i);
		val[5] = 'v';
		assert_int_equal(put_str(b, key, val, 100000 + (uint64_t)i), 0);
	}
	assert_int_equal(store_lmdb_flush(b), 0);
	snprintf(val, 16, "%05d", 4499);
	val[5] = 'v';
	expect_stored(b, "k04499", val);
	expect_stored(b, "k03000", NULL);
	store_lmdb_stats(b, &st);
	assert_false(st.failed);
	assert_int_equal(st.map_full, 0);
	assert_int_equal(st.dropped, 0);
	b->free(b);

	/* And after reopening, it still takes writes. */
	b = open_ok(&cfg);
	assert_int_equal(put_str(b, "after", "yes", 0), 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	expect_stored(b, "after", "yes");
	b->free(b);
}

static void
test_max_entries_drops_soonest_expiring(void **state)
{
	struct store_lmdb_config cfg;
	struct store_lmdb_stats st;
	struct store_backend *b;
	char key[32];
	int i;

	(void)state;
	config(&cfg, 0);
	cfg.max_entries = 100;
	b = open_ok(&cfg);
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "e%03d", i);
		assert_int_equal(put_str(b, key, key, 100000 + (uint64_t)i), 0);
		if (i % 10 == 9)
			assert_int_equal(store_lmdb_flush(b), 0);
	}
	assert_int_equal(store_lmdb_flush(b), 0);
	store_lmdb_stats(b, &st);
	assert_true(st.entries <= 100);
	assert_true(st.entries >= 80);
	expect_stored(b, "e299", "e299");
	expect_stored(b, "e000", NULL);
	b->free(b);
}

static void
test_expired_values_are_pruned(void **state)
{
	struct store_lmdb_config cfg;
	struct store_lmdb_stats st;
	struct store_backend *b;

	(void)state;
	config(&cfg, 0);
	b = open_ok(&cfg);
	assert_int_equal(put_str(b, "old", "o", 1500), 0);
	assert_int_equal(put_str(b, "keep", "k", 0), 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	atomic_store(&fake_now, 1000 + 3600 + 1);	/* the hourly sweep is due */
	assert_int_equal(put_str(b, "new", "n", 0), 0);
	assert_int_equal(store_lmdb_flush(b), 0);
	store_lmdb_stats(b, &st);
	assert_int_equal(st.pruned, 1);
	assert_int_equal(st.entries, 2);
	b->free(b);
}

static void
test_full_queue_drops_and_counts(void **state)
{
	struct store_lmdb_config cfg;
	struct store_lmdb_stats st;
	struct store_backend *b;
	char key[32];
	int i, refused = 0;

	(void)state;
	config(&cfg, 0);
	cfg.queue_items = 2;
	b = open_ok(&cfg);
	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "q%03d", i);
		if (put_str(b, key, "x", 0) != 0)
			refused++;
	}
	assert_int_equal(store_lmdb_flush(b), 0);
	store_lmdb_stats(b, &st);
	assert_int_equal(st.dropped, (uint64_t)refused);
	assert_int_equal(st.committed, (uint64_t)(500 - refused));
	assert_int_equal(st.entries, (uint64_t)(500 - refused));
	if (refused > 0)
		assert_true(atomic_load(&log_lines) >= 1);	/* "queue full", once */
	assert_true(atomic_load(&log_lines) <= 2 * (unsigned)refused + 2);
	b->free(b);
}

static void
test_refuses_long_keys_and_huge_values(void **state)
{
	struct store_lmdb_config cfg;
	struct store_backend *b;
	char key[STORE_KEY_MAX + 1];
	uint8_t *big;

	(void)state;
	config(&cfg, 1024 * 1024);
	b = open_ok(&cfg);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(put_str(b, key, "v", 0), -1);
	expect_stored(b, key, NULL);
	assert_int_equal(put_str(b, "", "v", 0), -1);
	big = calloc(1, 300 * 1024);	/* over a quarter of the 1 MiB map */
	assert_non_null(big);
	assert_int_equal(b->put(b, "big", big, 300 * 1024, 0), -1);
	assert_int_equal(b->put(b, "fits", big, 200 * 1024, 0), 0);
	free(big);
	assert_int_equal(store_lmdb_flush(b), 0);
	expect_stored(b, "big", NULL);
	b->free(b);
}

static void
test_missing_directory_fails_open(void **state)
{
	struct store_lmdb_config cfg;
	char err[256] = "", dir[96];

	(void)state;
	config(&cfg, 0);
	snprintf(dir, sizeof(dir), "%s/absent", tmpdir);
	cfg.dir = dir;
	assert_null(store_lmdb_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, dir));
	cfg.dir = NULL;
	assert_null(store_lmdb_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "no directory"));
}

static void
test_garbage_data_file_fails_open(void **state)
{
	struct store_lmdb_config cfg;
	char err[256] = "", path[96], junk[16384];
	FILE *f;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/data.mdb", tmpdir);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	config(&cfg, 0);
	assert_null(store_lmdb_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, tmpdir));
	assert_non_null(strstr(err, "open"));
}

struct reader {
	struct store_backend *b;
	atomic_bool *stop;
	unsigned found, wrong, failed, rounds;
};

/* Read the keys the main thread writes; count what was seen. */
static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	char key[32];
	uint8_t *val;
	size_t len;
	unsigned i = 0;

	while (!atomic_load(r->stop) || r->rounds == 0) {
		snprintf(key, sizeof(key), "c%04u", i % 2000);
		switch (r->b->get(r->b, key, &val, &len, 0)) {
		case STORE_FOUND:
			r->found++;
			if (len != strlen(key) || memcmp(val, key, len) != 0)
				r->wrong++;
			free(val);
			break;
		case STORE_FAILED:
			r->failed++;
			break;
		case STORE_ABSENT:
			break;
		}
		if (++i % 2000 == 0)
			r->rounds++;
	}
	return NULL;
}

static void
test_readers_on_threads_while_writing(void **state)
{
	struct store_lmdb_config cfg;
	struct store_backend *b;
	struct reader r[4];
	pthread_t t[4];
	atomic_bool stop;
	char key[32];
	unsigned i, found = 0;

	(void)state;
	config(&cfg, 0);
	b = open_ok(&cfg);
	atomic_init(&stop, false);
	for (i = 0; i < 4; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].b = b;
		r[i].stop = &stop;
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &r[i]), 0);
	}
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "c%04u", i);
		assert_int_equal(put_str(b, key, key, 0), 0);
		if (i % 100 == 99)
			assert_int_equal(store_lmdb_flush(b), 0);
	}
	assert_int_equal(store_lmdb_flush(b), 0);
	atomic_store(&stop, true);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].wrong, 0);
		assert_int_equal(r[i].failed, 0);
		found += r[i].found;
	}
	assert_true(found > 0);
	expect_stored(b, "c1999", "c1999");
	b->free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_delete_after_flush, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_expiry_follows_injected_clock, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_values_persist_across_reopen, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_tiny_map_prunes_and_keeps_newest, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_max_entries_drops_soonest_expiring,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_expired_values_are_pruned, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_full_queue_drops_and_counts, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_refuses_long_keys_and_huge_values,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_missing_directory_fails_open, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_garbage_data_file_fails_open, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_readers_on_threads_while_writing,
						setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
