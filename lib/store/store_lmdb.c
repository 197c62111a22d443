/*
 * store_lmdb.c - the embedded backend of posture memory (store_lmdb.h): LMDB, one
 * writer thread, pruning before the map fills.
 *
 *   store_lmdb_open()  store_lmdb_flush()  store_lmdb_stats()
 *   lmdb_get() lmdb_put() lmdb_del() lmdb_free()   the struct store_backend operations
 *
 * Locking: s->lock guards the queue, the sequence numbers, the counters and the log
 * flags; the writer holds it only to take the queue and to publish a batch's end,
 * never across a transaction. Readers take no lock: LMDB read transactions (MDB_NOTLS,
 * so any thread may run one) see the last committed state. s->failed is atomic and
 * checked first by every call, so a broken environment costs nothing per message.
 *
 * Pruning (the writer, inside its write transaction): LMDB cannot grow a full map and
 * even deletes need free pages (copy on write), so the tree is kept below half the
 * map: above PRUNE_HIGH_PCT it is cut to PRUNE_LOW_PCT, expired values first, then
 * those expiring soonest (an estimate by entry count; the next batch prunes again if
 * values were larger than average). A batch is committed in transactions of at most
 * a sixteenth of the map (with an eighth, a 1 MiB map still filled up in tests), each
 * pruned before as needed. MDB_MAP_FULL all the same: that
 * transaction is abandoned, a pruning transaction runs alone, and its items are retried
 * one transaction each; what still does not fit is dropped and counted.
 *
 * What can go wrong: see store_lmdb.h. LMDB itself may abort() on some internal
 * inconsistencies (mdb_assert) of a corrupted file; what it reports as an error
 * (MDB_CORRUPTED, MDB_PANIC, ...) turns the backend off with one log line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <lmdb.h>

#include "store/store_lmdb.h"
#include "util/buf.h"

#define DEFAULT_MAP_SIZE ((size_t)256 * 1024 * 1024)
#define DEFAULT_QUEUE_ITEMS 10000
#define DEFAULT_QUEUE_BYTES ((size_t)64 * 1024 * 1024)
#define EXPIRE_BYTES 8			/* the big-endian expire_s before each value */
#define PRUNE_HIGH_PCT 50		/* tree pages of the map that start pruning */
#define PRUNE_LOW_PCT 35		/* and where it stops */
#define PRUNE_EVERY_S 3600		/* expired values go at least this often */

/* One queued write. */
struct lmdb_item {
	struct lmdb_item *next;
	uint8_t *val;			/* owned: expire_s then the bytes; NULL: a delete */
	size_t vlen;
	size_t klen;
	char key[];
};

struct lmdb_store {
	struct store_backend base;	/* first: the backend is this */
	MDB_env *env;
	MDB_dbi dbi;
	struct store_lmdb_config cfg;	/* dir not kept */
	size_t map_size;		/* as the environment has it */
	size_t max_key;
	pthread_t writer;
	atomic_bool failed;		/* the environment is unusable: every call fails */

	pthread_mutex_t lock;
	pthread_cond_t work_cv;		/* the writer waits for items or stop */
	pthread_cond_t done_cv;		/* flushers wait for seq_done */
	struct lmdb_item *head, *tail;	/* owned queue */
	size_t queued, queued_bytes;
	uint64_t seq_queued, seq_done;
	bool stop;
	bool full_logged;		/* "queue full" said; "accepting again" not yet */
	bool trouble_logged;		/* a write error said; "recovered" not yet */
	struct store_lmdb_stats st;

	uint64_t last_prune_s;		/* the writer's own */
};

/* The wall clock, injected or real. */
static uint64_t
now_s(const struct lmdb_store *s)
{
	if (s->cfg.now_s != NULL)
		return s->cfg.now_s(s->cfg.now_arg);
	return (uint64_t)time(NULL);
}

/* Whether an LMDB error means the environment cannot be trusted any more. */
static bool
error_is_fatal(int rc)
{
	return rc == MDB_CORRUPTED || rc == MDB_PANIC || rc == MDB_INVALID ||
	       rc == MDB_VERSION_MISMATCH || rc == MDB_BAD_TXN || rc == EIO;
}

/* Turn the backend off after a fatal error, saying so once. */
static void
fail_env(struct lmdb_store *s, const char *what, int rc)
{
	if (atomic_exchange(&s->failed, true))
		return;
	if (s->cfg.log != NULL)
		s->cfg.log(s->cfg.log_arg, LOG_ERR,
			   "posture memory (lmdb): %s: %s; not used until restart",
			   what, mdb_strerror(rc));
}

/* Note an error: fatal ones turn the backend off, others are said once until recovery. */
static void
note_error(struct lmdb_store *s, const char *what, int rc)
{
	bool say;

	if (error_is_fatal(rc)) {
		fail_env(s, what, rc);
		return;
	}
	pthread_mutex_lock(&s->lock);
	say = !s->trouble_logged;
	s->trouble_logged = true;
	pthread_mutex_unlock(&s->lock);
	if (say && s->cfg.log != NULL)
		s->cfg.log(s->cfg.log_arg, LOG_WARNING, "posture memory (lmdb): %s: %s",
			   what, mdb_strerror(rc));
}

/* The expiry before a stored value; false when the value is too short to have one. */
static bool
stored_expire(const MDB_val *v, uint64_t *expire)
{
	struct pt_buf b;

	pt_buf_init(&b, v->mv_data, v->mv_size);
	return pt_buf_u64(&b, expire) == 0;
}

/* Whether a stored value with this expiry is dead at now (0: never expires). */
static bool
expired(uint64_t expire, uint64_t now)
{
	return expire != 0 && expire <= now;
}

/* ---- reading ---- */

/* Read a value on the caller's thread. */
static enum store_status
lmdb_get(struct store_backend *b, const char *key, uint8_t **val, size_t *len,
	 uint64_t deadline_ms)
{
	struct lmdb_store *s = (struct lmdb_store *)b;
	enum store_status st = STORE_ABSENT;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t expire;
	size_t klen = key != NULL ? strlen(key) : 0;
	int rc;

	(void)deadline_ms;	/* LMDB readers never wait for anyone */
	*val = NULL;
	*len = 0;
	if (atomic_load(&s->failed))
		return STORE_FAILED;
	if (klen == 0 || klen > s->max_key)
		return STORE_ABSENT;	/* such a key is never stored */
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
		note_error(s, "read transaction", rc);
		return STORE_FAILED;
	}
	k.mv_data = (void *)key;
	k.mv_size = klen;
	rc = mdb_get(txn, s->dbi, &k, &v);
	if (rc == 0 && stored_expire(&v, &expire) && !expired(expire, now_s(s)) &&
	    v.mv_size - EXPIRE_BYTES <= STORE_VALUE_MAX) {
		*len = v.mv_size - EXPIRE_BYTES;
		if ((*val = malloc(*len ? *len : 1)) == NULL) {
			*len = 0;
			st = STORE_FAILED;
		} else {
			memcpy(*val, (const uint8_t *)v.mv_data + EXPIRE_BYTES, *len);
			st = STORE_FOUND;
		}
	} else if (rc != 0 && rc != MDB_NOTFOUND) {
		note_error(s, "read", rc);
		st = STORE_FAILED;
	}
	mdb_txn_abort(txn);
	return st;
}

/* ---- the queue ---- */

/* Queue one write for the writer; 0, or -1 when refused or the queue is full. */
static int
enqueue(struct lmdb_store *s, const char *key, const uint8_t *val, size_t len,
	uint64_t expire_s, bool del)
{
	struct lmdb_item *it;
	size_t klen = key != NULL ? strlen(key) : 0, cost;
	bool say_full = false;
	int i;

	if (atomic_load(&s->failed) || klen == 0 || klen > s->max_key)
		return -1;
	if (!del && (len > STORE_VALUE_MAX || len + EXPIRE_BYTES > s->map_size / 4 ||
		     (val == NULL && len > 0)))
		return -1;
	if ((it = calloc(1, sizeof(*it) + klen + 1)) == NULL)
		return -1;
	memcpy(it->key, key, klen + 1);
	it->klen = klen;
	if (!del) {
		it->vlen = len + EXPIRE_BYTES;
		if ((it->val = malloc(it->vlen)) == NULL) {
			free(it);
			return -1;
		}
		for (i = 0; i < EXPIRE_BYTES; i++)
			it->val[i] = (uint8_t)(expire_s >> (8 * (EXPIRE_BYTES - 1 - i)));
		if (len > 0)
			memcpy(it->val + EXPIRE_BYTES, val, len);
	}
	cost = sizeof(*it) + klen + it->vlen;

	pthread_mutex_lock(&s->lock);
	if (s->stop || s->queued >= s->cfg.queue_items ||
	    s->queued_bytes + cost > s->cfg.queue_bytes) {
		s->st.dropped++;
		say_full = !s->full_logged && !s->stop;
		s->full_logged = true;
		pthread_mutex_unlock(&s->lock);
		if (say_full && s->cfg.log != NULL)
			s->cfg.log(s->cfg.log_arg, LOG_WARNING,
				   "posture memory (lmdb): write queue full (%zu items), "
				   "dropping writes", s->cfg.queue_items);
		free(it->val);
		free(it);
		return -1;
	}
	if (s->tail != NULL)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	s->queued++;
	s->queued_bytes += cost;
	s->seq_queued++;
	pthread_cond_signal(&s->work_cv);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Queue a put. */
static int
lmdb_put(struct store_backend *b, const char *key, const uint8_t *val, size_t len,
	 uint64_t expire_s)
{
	return enqueue((struct lmdb_store *)b, key, val, len, expire_s, false);
}

/* Queue a delete. */
static int
lmdb_del(struct store_backend *b, const char *key)
{
	return enqueue((struct lmdb_store *)b, key, NULL, 0, 0, true);
}

/* Free a chain of items. */
static void
items_free(struct lmdb_item *it)
{
	struct lmdb_item *next;

	for (; it != NULL; it = next) {
		next = it->next;
		free(it->val);
		free(it);
	}
}

/* ---- pruning (the writer) ---- */

/* Sort keys for qsort(): ascending expiry. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pages of the tree and its entries; the map's pages. */
static int
tree_size(struct lmdb_store *s, MDB_txn *txn, size_t *pages, size_t *entries,
	  size_t *map_pages)
{
	MDB_stat st;
	int rc;

	if ((rc = mdb_stat(txn, s->dbi, &st)) != 0)
		return rc;
	*pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
	*entries = st.ms_entries;
	*map_pages = s->map_size / (st.ms_psize ? st.ms_psize : 4096);
	return 0;
}

/*
 * Delete expired (and short, thus broken) values; then, while the tree has more than
 * max_entries or max_pages, those expiring soonest. In txn; 0 or an LMDB error.
 */
static int
prune(struct lmdb_store *s, MDB_txn *txn, uint64_t now, size_t max_entries,
      size_t max_pages)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t expire, *order = NULL, cut = UINT64_MAX, deleted = 0;
	size_t pages, entries, map_pages, want = 0, n = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->dbi, &cur)) != 0)
		return rc;
	/* After mdb_cursor_del() the cursor stands on the next item; MDB_NEXT reads it. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!stored_expire(&v, &expire) || expired(expire, now)) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				goto done;
			deleted++;
		}
	}
	if (rc != MDB_NOTFOUND || (rc = tree_size(s, txn, &pages, &entries, &map_pages)) != 0)
		goto done;
	if (entries > max_entries)
		want = entries - max_entries;
	if (pages > max_pages && pages > 0 &&
	    (entries * (pages - max_pages) + pages - 1) / pages > want)
		want = (entries * (pages - max_pages) + pages - 1) / pages;
	if (want == 0)
		goto done;
	/* The want-th soonest expiry is the cut; 0 (never) sorts last. */
	if ((order = malloc(entries * sizeof(*order))) != NULL) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < entries;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
			order[n++] = stored_expire(&v, &expire) && expire != 0 ? expire : UINT64_MAX;
		qsort(order, n, sizeof(*order), cmp_u64);
		cut = n >= want ? order[want - 1] : UINT64_MAX;
		free(order);
	}	/* out of memory: cut stays UINT64_MAX, the first want values in key order go */
	n = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < want;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!stored_expire(&v, &expire) || expire == 0)
			expire = UINT64_MAX;
		if (expire <= cut) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				goto done;
			n++;
		}
	}
	deleted += n;
	rc = (rc == MDB_NOTFOUND || n == want) ? 0 : rc;
done:
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(cur);
	pthread_mutex_lock(&s->lock);
	s->st.pruned += deleted;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/*
 * Prune in txn when due: the tree above PRUNE_HIGH_PCT of the map, more entries than
 * max_entries, the hourly sweep of expired values, or force (after MDB_MAP_FULL).
 */
static int
prune_if_due(struct lmdb_store *s, MDB_txn *txn, uint64_t now, bool force)
{
	size_t pages, entries, map_pages, max_e = SIZE_MAX, max_p = SIZE_MAX;
	bool over_p, over_e;
	int rc;

	if ((rc = tree_size(s, txn, &pages, &entries, &map_pages)) != 0)
		return rc;
	over_p = pages * 100 > map_pages * PRUNE_HIGH_PCT;
	over_e = s->cfg.max_entries > 0 && entries > s->cfg.max_entries;
	if (!force && !over_p && !over_e && now < s->last_prune_s + PRUNE_EVERY_S)
		return 0;
	if (over_p || force)
		max_p = map_pages * PRUNE_LOW_PCT / 100;
	if (s->cfg.max_entries > 0)	/* cut a tenth below, not one per batch */
		max_e = over_e || force ? s->cfg.max_entries - s->cfg.max_entries / 10 :
					  s->cfg.max_entries;
	s->last_prune_s = now;
	return prune(s, txn, now, max_e, max_p);
}

/* ---- the writer ---- */

/* Apply one item in txn; 0 or an LMDB error. */
static int
apply(struct lmdb_store *s, MDB_txn *txn, const struct lmdb_item *it)
{
	MDB_val k, v;
	int rc;

	k.mv_data = (void *)it->key;
	k.mv_size = it->klen;
	if (it->val == NULL) {
		rc = mdb_del(txn, s->dbi, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	v.mv_data = it->val;
	v.mv_size = it->vlen;
	return mdb_put(txn, s->dbi, &k, &v, 0);
}

/*
 * Commit items (n of them, from first) in one write transaction,
 * pruning first when due and after for max_entries. 0 or an LMDB error (nothing
 * committed then).
 */
static int
commit_items(struct lmdb_store *s, const struct lmdb_item *first, size_t n, uint64_t now,
	     bool force_prune, size_t *entries)
{
	const struct lmdb_item *it;
	MDB_txn *txn;
	size_t pages, map_pages, i;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return rc;
	rc = prune_if_due(s, txn, now, force_prune);
	for (it = first, i = 0; rc == 0 && it != NULL && i < n; it = it->next, i++)
		rc = apply(s, txn, it);
	if (rc == 0 && s->cfg.max_entries > 0)
		rc = prune_if_due(s, txn, now, false);
	if (rc == 0)
		rc = tree_size(s, txn, &pages, entries, &map_pages);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/*
 * Commit n items from first after MDB_MAP_FULL: prune alone first (a transaction of
 * deletes needs the fewest pages), then one transaction per item. The count committed.
 */
static uint64_t
commit_after_full(struct lmdb_store *s, const struct lmdb_item *first, size_t n,
		  uint64_t now, size_t *entries)
{
	const struct lmdb_item *it;
	uint64_t committed = 0;
	size_t i;
	int rc;

	pthread_mutex_lock(&s->lock);
	s->st.map_full++;
	pthread_mutex_unlock(&s->lock);
	if ((rc = commit_items(s, NULL, 0, now, true, entries)) != 0)
		note_error(s, "pruning a full map", rc);
	for (it = first, i = 0; it != NULL && i < n; it = it->next, i++)
		if (commit_items(s, it, 1, now, false, entries) == 0)
			committed++;
	if (committed == 0)
		note_error(s, "map full even after pruning", MDB_MAP_FULL);
	return committed;
}

/*
 * Commit one batch in transactions of at most a sixteenth of the map each, so that the
 * pruning before each keeps the map from filling. Counted.
 */
static void
write_batch(struct lmdb_store *s, const struct lmdb_item *batch, size_t count)
{
	const struct lmdb_item *it = batch, *chunk;
	uint64_t now = now_s(s), committed = 0, dropped = 0, done;
	size_t entries = 0, n, bytes;
	bool recovered = false, ok = false;
	int rc;

	if (atomic_load(&s->failed)) {
		dropped = count;
		goto out;
	}
	while (it != NULL) {
		chunk = it;
		for (n = 0, bytes = 0; it != NULL && (n == 0 ||
		     bytes + it->klen + it->vlen <= s->map_size / 16); it = it->next, n++)
			bytes += it->klen + it->vlen;
		rc = commit_items(s, chunk, n, now, false, &entries);
		if (rc == 0) {
			done = n;
		} else if (rc == MDB_MAP_FULL) {
			done = commit_after_full(s, chunk, n, now, &entries);
		} else {
			done = 0;
			note_error(s, "write", rc);
		}
		committed += done;
		dropped += n - done;
		ok = ok || done > 0;
	}
out:
	pthread_mutex_lock(&s->lock);
	s->st.committed += committed;
	s->st.dropped += dropped;
	if (ok) {
		s->st.entries = entries;
		recovered = s->trouble_logged;
		s->trouble_logged = false;
	}
	pthread_mutex_unlock(&s->lock);
	if (recovered && s->cfg.log != NULL)
		s->cfg.log(s->cfg.log_arg, LOG_NOTICE, "posture memory (lmdb): writing again");
}

/* The writer thread: take everything queued, commit it, tell the flushers. */
static void *
writer_main(void *arg)
{
	struct lmdb_store *s = arg;
	struct lmdb_item *batch;
	uint64_t upto;
	size_t count;
	bool accepting;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->head == NULL && !s->stop)
			pthread_cond_wait(&s->work_cv, &s->lock);
		if (s->head == NULL)
			break;		/* stopping, and the queue is empty */
		batch = s->head;
		count = s->queued;
		upto = s->seq_queued;
		s->head = s->tail = NULL;
		s->queued = s->queued_bytes = 0;
		accepting = s->full_logged;
		s->full_logged = false;
		pthread_mutex_unlock(&s->lock);

		if (accepting && s->cfg.log != NULL)
			s->cfg.log(s->cfg.log_arg, LOG_NOTICE,
				   "posture memory (lmdb): write queue accepting again");
		write_batch(s, batch, count);
		items_free(batch);

		pthread_mutex_lock(&s->lock);
		s->seq_done = upto;
		pthread_cond_broadcast(&s->done_cv);
	}
	s->seq_done = s->seq_queued;
	pthread_cond_broadcast(&s->done_cv);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- life ---- */

/* Commit what is queued, stop the writer, close the environment. */
static void
lmdb_free(struct store_backend *b)
{
	struct lmdb_store *s = (struct lmdb_store *)b;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->work_cv);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->writer, NULL);
	items_free(s->head);
	mdb_env_close(s->env);
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->work_cv);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Wait until what was queued before the call is committed or dropped. */
int
store_lmdb_flush(struct store_backend *b)
{
	struct lmdb_store *s = (struct lmdb_store *)b;
	uint64_t target;

	pthread_mutex_lock(&s->lock);
	target = s->seq_queued;
	while (s->seq_done < target)
		pthread_cond_wait(&s->done_cv, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return atomic_load(&s->failed) ? -1 : 0;
}

/* Copy the counters. */
void
store_lmdb_stats(struct store_backend *b, struct store_lmdb_stats *st)
{
	struct lmdb_store *s = (struct lmdb_store *)b;

	pthread_mutex_lock(&s->lock);
	*st = s->st;
	st->queued = s->queued;
	pthread_mutex_unlock(&s->lock);
	st->failed = atomic_load(&s->failed);
}

/* Create, size and open the environment and its database; 0 or an LMDB error. */
static int
env_open(struct lmdb_store *s, const char *dir, const char **what)
{
	MDB_envinfo info;
	MDB_txn *txn;
	int rc, dead = 0;

	*what = "create";
	if ((rc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		return rc;
	}
	*what = "set the map size";
	if ((rc = mdb_env_set_mapsize(s->env, s->cfg.map_size)) != 0)
		return rc;
	*what = "set the readers";
	if ((rc = mdb_env_set_maxreaders(s->env, s->cfg.max_readers)) != 0)
		return rc;
	*what = "open";
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0)
		return rc;
	/* Slots of readers that died (a killed process) would be held forever. */
	*what = "check the readers";
	if ((rc = mdb_reader_check(s->env, &dead)) != 0)
		return rc;
	if (dead > 0 && s->cfg.log != NULL)
		s->cfg.log(s->cfg.log_arg, LOG_NOTICE,
			   "posture memory (lmdb): %s: cleared %d stale reader slots", dir, dead);
	*what = "read the environment";
	if ((rc = mdb_env_info(s->env, &info)) != 0)
		return rc;
	s->map_size = info.me_mapsize;
	s->max_key = (size_t)mdb_env_get_maxkeysize(s->env);
	*what = "open the database";
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &s->dbi)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/* Open the environment in cfg->dir and start its writer. */
struct store_backend *
store_lmdb_open(const struct store_lmdb_config *cfg, char *err, size_t errlen)
{
	struct lmdb_store *s;
	const char *what = "";
	int rc;

	if (cfg == NULL || cfg->dir == NULL || cfg->dir[0] == '\0') {
		snprintf(err, errlen, "lmdb: no directory given");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "lmdb: out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->cfg.dir = NULL;
	if (s->cfg.map_size == 0)
		s->cfg.map_size = DEFAULT_MAP_SIZE;
	if (s->cfg.max_readers == 0)
		s->cfg.max_readers = 126;
	if (s->cfg.queue_items == 0)
		s->cfg.queue_items = DEFAULT_QUEUE_ITEMS;
	if (s->cfg.queue_bytes == 0)
		s->cfg.queue_bytes = DEFAULT_QUEUE_BYTES;
	atomic_init(&s->failed, false);
	s->last_prune_s = now_s(s);

	if ((rc = env_open(s, cfg->dir, &what)) != 0) {
		snprintf(err, errlen, "lmdb %s: %s: %s", cfg->dir, what, mdb_strerror(rc));
		if (s->env != NULL)
			mdb_env_close(s->env);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work_cv, NULL);
	pthread_cond_init(&s->done_cv, NULL);
	if ((rc = pthread_create(&s->writer, NULL, writer_main, s)) != 0) {
		snprintf(err, errlen, "lmdb %s: cannot start the writer: %s", cfg->dir,
			 strerror(rc));
		pthread_cond_destroy(&s->done_cv);
		pthread_cond_destroy(&s->work_cv);
		pthread_mutex_destroy(&s->lock);
		mdb_env_close(s->env);
		free(s);
		return NULL;
	}
	s->base.name = "lmdb";
	s->base.get = lmdb_get;
	s->base.put = lmdb_put;
	s->base.del = lmdb_del;
	s->base.free = lmdb_free;
	return &s->base;
}
