/*
 * store_lmdb.h - the embedded backend of posture memory (store.h): one LMDB
 * environment in a directory, shared by the processes of one host.
 *
 *   store_lmdb_open()    open the environment, start its writer; a struct store_backend
 *   store_lmdb_flush()   wait until what was queued before has been committed (tests)
 *   store_lmdb_stats()   counters for logs and tests
 *
 * Reads are LMDB read transactions on the caller's thread (they never wait for a
 * writer). Writes never run on the caller's thread: put and del queue the item for
 * the one writer thread, which commits everything queued in one write transaction, so
 * message threads never wait for fsync. A value put becomes visible to get once the
 * writer has committed it. The queue is bounded: when full, the write is dropped,
 * counted and -1 returned.
 *
 * Each stored value is its 8-byte big-endian expire_s and the bytes. An expired value
 * reads as absent; the writer deletes expired values when it prunes: at least hourly
 * (on the injected clock) while writes come, before the map fills (its tree above
 * half the map), and to keep max_entries. Pruning drops expired values first, then
 * those expiring soonest.
 *
 * What can go wrong: the directory is missing or not writable, or holds no LMDB file
 * (store_lmdb_open() fails with a reason); the map fills (pruned, then the batch
 * retried item by item, what still does not fit dropped); the environment turns out
 * corrupt later (logged once through cfg.log, then every call fails at once: -1 and
 * STORE_FAILED). Keys longer than LMDB's key size (511 bytes in stock builds) and
 * values over STORE_VALUE_MAX or a quarter of the map are refused. Nothing here exits
 * or aborts.
 */
#ifndef POSTURE_STORE_LMDB_H
#define POSTURE_STORE_LMDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct store_lmdb_config {
	const char *dir;		/* must exist; the caller decides what a missing one means */
	size_t map_size;		/* bytes; 0: 256 MiB */
	unsigned max_readers;		/* above the worker count; 0: 126 (LMDB's default) */
	size_t max_entries;		/* 0: no limit but the map's */
	store_log_fn log;		/* may be NULL */
	void *log_arg;
	uint64_t (*now_s)(void *arg);	/* wall clock, seconds; NULL: time(NULL) */
	void *now_arg;
	size_t queue_items;		/* queued writes at most; 0: 10000 */
	size_t queue_bytes;		/* queued bytes at most; 0: 64 MiB */
};

struct store_lmdb_stats {
	uint64_t committed;		/* writes (put and del) committed */
	uint64_t dropped;		/* writes dropped: queue full, map full, failed */
	uint64_t pruned;		/* values deleted by pruning (expired or evicted) */
	uint64_t map_full;		/* transactions that hit MDB_MAP_FULL all the same */
	uint64_t entries;		/* values in the database after the last commit */
	size_t queued;			/* writes waiting for the writer now */
	bool failed;			/* the environment is unusable */
};

/*
 * Open (or create) the environment in cfg->dir and start its writer. NULL with a
 * one-line reason in err on failure. The backend is freed with b->free(b), which
 * commits what is queued, stops the writer and closes the environment.
 */
struct store_backend *store_lmdb_open(const struct store_lmdb_config *cfg,
				      char *err, size_t errlen);

/*
 * Wait until every write queued before this call has been committed (or dropped).
 * 0, or -1 when the backend has failed. For tests and orderly shutdown; b must come
 * from store_lmdb_open().
 */
int store_lmdb_flush(struct store_backend *b);

/* Copy the counters. b must come from store_lmdb_open(). */
void store_lmdb_stats(struct store_backend *b, struct store_lmdb_stats *st);

#endif
