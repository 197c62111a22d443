/*
 * memory.h - posture memory as both programs use it: snapshots, learned selectors,
 * change tracking and the fleet's single flight, over a store chain (store/store.h).
 *
 *   posture_memory_new()            a store (borrowed), its key prefix, the shape of
 *                                   the configuration, HistoryVersions
 *   posture_memory_snapshot()       a stored snapshot of this shape, if not expired
 *   posture_memory_keep()           store a successful evaluation for its lifetime
 *   posture_memory_selectors()      the domain's learned selectors
 *   posture_memory_note_selector()  note a selector that verified (read, modify, write)
 *   posture_memory_track()          compare an evaluation with the domain's history
 *                                   (eval/history.h), add the change findings, store it
 *   posture_memory_history()        what is remembered of a domain's records
 *   posture_memory_lock() _unlock() the fleet-wide single flight per domain (Redis
 *                                   SET NX PX; compare-and-delete on release)
 *
 * Values read back are untrusted (another host, an older version or a broken disk may
 * have written them): what does not decode as this build's value of this shape for
 * this domain is ignored. Every call is bounded by the store's timeouts; a store that
 * fails reads as "nothing remembered" and never stops an evaluation.
 *
 * Thread safety: a posture_memory may be shared by threads (the store is).
 */
#ifndef POSTURE_MEMORY_H
#define POSTURE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"
#include "store/store_codec.h"

struct store;
struct posture_memory;

/* Keys: "<prefix>:<schema>:<kind>:<domain>" (store_key()); prefix at most 63 bytes. */
#define POSTURE_MEMORY_PREFIX_MAX 63
/* Learned selectors stay this long after they were last noted. */
#define POSTURE_MEMORY_SELECTOR_KEEP_S (90u * 86400u)

/*
 * store is borrowed (it must outlive the memory); prefix copied (NULL: "pm");
 * shape_config: the hash of the configuration that changes results
 * (store_shape_init()); history_versions: 0 for the default (10), else at most
 * STORE_HISTORY_VERSIONS_MAX. NULL on OOM or a prefix that is too long or empty.
 */
struct posture_memory *posture_memory_new(struct store *store, const char *prefix,
					  uint32_t shape_config, unsigned history_versions);
void posture_memory_free(struct posture_memory *m);

/*
 * The stored snapshot of a normalized domain (posture_eval_free()), NULL when there is
 * none of this shape, it expired, or the store failed. *expire_s (may be NULL) gets its
 * wall-clock expiry. max_copy_s bounds a copy from Redis into LMDB (store_get()).
 */
struct posture_eval *posture_memory_snapshot(struct posture_memory *m, const char *domain,
					     uint32_t max_copy_s, uint64_t *expire_s);
/* Store a successful evaluation (ev->error NULL) for lifetime_s. 0, or -1. */
int posture_memory_keep(struct posture_memory *m, const struct posture_eval *ev,
			uint32_t lifetime_s);

/*
 * The domain's learned selectors into *out (emptied first). false when the store
 * failed (nothing can be said: do not overwrite), true otherwise (an absent or
 * undecodable list reads as empty).
 */
bool posture_memory_selectors(struct posture_memory *m, const char *domain,
			      struct store_selectors *out);
/* Note that selector verified on domain now (kept POSTURE_MEMORY_SELECTOR_KEEP_S). 0/-1. */
int posture_memory_note_selector(struct posture_memory *m, const char *domain,
				 const char *selector);

/*
 * Change tracking for a successful evaluation: read the domain's history, run
 * history_track() (its findings are added to ev, ev regraded), write the history back.
 * Returns the number of change findings added, 0 when nothing changed or nothing could
 * be read (a failed store is not a change), -1 out of memory.
 */
int posture_memory_track(struct posture_memory *m, struct posture_eval *ev);
/*
 * What is remembered of a normalized domain's records into *out (store_history_free()
 * it whatever the result): STORE_FOUND, STORE_ABSENT (nothing, or nothing decodable)
 * or STORE_FAILED.
 */
enum store_status posture_memory_history(struct posture_memory *m, const char *domain,
					 struct store_history *out);

/*
 * Take the fleet-wide evaluation lock of a domain for ttl_ms: 1 taken (or no backend
 * has locks: a single host needs none), 0 held by another host, -1 failed. token
 * identifies this holder (host and thread); unlock releases only our own lock.
 */
int posture_memory_lock(struct posture_memory *m, const char *domain, const char *token,
			unsigned ttl_ms);
void posture_memory_unlock(struct posture_memory *m, const char *domain, const char *token);

/* The store's wall clock, seconds. */
uint64_t posture_memory_now_s(const struct posture_memory *m);

#endif
