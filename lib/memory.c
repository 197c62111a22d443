/*
 * memory.c - posture memory as both programs use it (see memory.h): keys, codecs and
 * the store chain put together for snapshots, learned selectors, change tracking and
 * the fleet's single flight.
 *
 * Snapshots are read nearest backend first (they never change once written: a copy is
 * as good as the original until it expires). Learned selectors and history are
 * updated in place by every host, so they are read shared backend first
 * (store_get_shared()): a local copy may be older than what the fleet knows. Their
 * read-modify-write is not atomic across hosts: two hosts noting at the same moment
 * may lose one note, which the next verified message notes again (history: the next
 * evaluation). A lost note costs one more lookup, never a wrong finding.
 *
 * What can go wrong: every value read back is untrusted and goes through the bounded
 * decoders (store_codec.c, fuzz_store_codec); what does not decode is treated as
 * absent, and for history as "nothing remembered" (it is then started afresh, so a
 * broken value heals at the next evaluation). A failed store is never a change.
 */
#include <stdlib.h>
#include <string.h>

#include "eval/history.h"
#include "memory.h"
#include "store/store.h"
#include "store/store_codec.h"
#include "util/strbuf.h"

struct posture_memory {
	struct store *store;			/* borrowed */
	char prefix[POSTURE_MEMORY_PREFIX_MAX + 1];
	struct store_shape shape;
	unsigned history_versions;
};

/* A memory over a store. */
struct posture_memory *
posture_memory_new(struct store *store, const char *prefix, uint32_t shape_config,
		   unsigned history_versions)
{
	struct posture_memory *m;

	if (prefix == NULL)
		prefix = "pm";
	if (store == NULL || *prefix == '\0' || strlen(prefix) > POSTURE_MEMORY_PREFIX_MAX ||
	    history_versions > STORE_HISTORY_VERSIONS_MAX)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->store = store;
	pt_strlcpy(m->prefix, prefix, sizeof(m->prefix));
	store_shape_init(&m->shape, shape_config);
	m->history_versions = history_versions ? history_versions : HISTORY_VERSIONS_DEFAULT;
	return m;
}

/* Free the memory (not the store). */
void
posture_memory_free(struct posture_memory *m)
{
	free(m);
}

/* The store's clock. */
uint64_t
posture_memory_now_s(const struct posture_memory *m)
{
	return store_now_s(m->store);
}

/* A stored snapshot of our shape for the domain, unexpired. */
struct posture_eval *
posture_memory_snapshot(struct posture_memory *m, const char *domain, uint32_t max_copy_s,
			uint64_t *expire_s)
{
	char key[STORE_KEY_MAX + 1];
	struct posture_eval *ev = NULL;
	uint64_t expire = 0;
	uint8_t *val = NULL;
	size_t len = 0;
	enum store_decode dec;

	if (store_key(key, sizeof(key), m->prefix, "posture", domain) < 0 ||
	    store_get(m->store, key, &val, &len, 0, max_copy_s) != STORE_FOUND)
		return NULL;
	dec = store_decode_posture(val, len, &m->shape, domain, &ev, NULL, &expire);
	free(val);
	if (dec != STORE_DECODE_OK)
		return NULL;
	if (expire <= store_now_s(m->store) || ev->error != NULL) {
		posture_eval_free(ev);
		return NULL;
	}
	if (expire_s != NULL)
		*expire_s = expire;
	return ev;
}

/* Store a successful evaluation for its lifetime. */
int
posture_memory_keep(struct posture_memory *m, const struct posture_eval *ev,
		    uint32_t lifetime_s)
{
	char key[STORE_KEY_MAX + 1];
	uint64_t now_s = store_now_s(m->store);
	uint8_t *val = NULL;
	size_t len = 0;
	int rc;

	if (ev->error != NULL || lifetime_s == 0 ||
	    store_key(key, sizeof(key), m->prefix, "posture", ev->domain) < 0 ||
	    store_encode_posture(ev, &m->shape, now_s, now_s + lifetime_s, &val, &len) < 0)
		return -1;
	rc = store_put(m->store, key, val, len, now_s + lifetime_s);
	free(val);
	return rc;
}

/*
 * A value every host updates in place (kind "sel" or "hist"), shared copy first
 * (store_get_shared()); *val malloc()ed when STORE_FOUND. A key that cannot be made
 * reads STORE_ABSENT.
 */
static enum store_status
read_shared(struct posture_memory *m, const char *kind, const char *domain, uint8_t **val,
	    size_t *len)
{
	char key[STORE_KEY_MAX + 1];

	*val = NULL;
	*len = 0;
	if (store_key(key, sizeof(key), m->prefix, kind, domain) < 0)
		return STORE_ABSENT;
	return store_get_shared(m->store, key, val, len, 0);
}

/* The domain's learned selectors, shared copy first. */
bool
posture_memory_selectors(struct posture_memory *m, const char *domain,
			 struct store_selectors *out)
{
	uint8_t *val;
	size_t len;
	enum store_status st;

	memset(out, 0, sizeof(*out));
	st = read_shared(m, "sel", domain, &val, &len);
	if (st == STORE_FOUND && store_decode_selectors(val, len, out) != STORE_DECODE_OK)
		memset(out, 0, sizeof(*out));
	free(val);
	return st != STORE_FAILED;
}

/* Note a selector that verified (read, modify, write). */
int
posture_memory_note_selector(struct posture_memory *m, const char *domain,
			     const char *selector)
{
	struct store_selectors sels;
	char key[STORE_KEY_MAX + 1];
	uint64_t now_s = store_now_s(m->store);
	uint8_t *val = NULL;
	size_t len = 0;
	int rc;

	/* A store that failed may hold a longer list: do not overwrite it with ours. */
	if (!posture_memory_selectors(m, domain, &sels))
		return -1;
	store_selectors_expire(&sels, now_s > POSTURE_MEMORY_SELECTOR_KEEP_S ?
	    now_s - POSTURE_MEMORY_SELECTOR_KEEP_S : 0);
	if (!store_selectors_note(&sels, selector, now_s) ||
	    store_key(key, sizeof(key), m->prefix, "sel", domain) < 0 ||
	    store_encode_selectors(&sels, &val, &len) < 0)
		return -1;
	rc = store_put(m->store, key, val, len, now_s + POSTURE_MEMORY_SELECTOR_KEEP_S);
	free(val);
	return rc;
}

/* What is remembered of a domain's records. */
enum store_status
posture_memory_history(struct posture_memory *m, const char *domain,
		       struct store_history *out)
{
	uint8_t *val;
	size_t len;
	enum store_status st;

	memset(out, 0, sizeof(*out));
	st = read_shared(m, "hist", domain, &val, &len);
	if (st == STORE_FOUND && store_decode_history(val, len, out) != STORE_DECODE_OK) {
		store_history_free(out);
		memset(out, 0, sizeof(*out));
		st = STORE_ABSENT;
	}
	free(val);
	return st;
}

/* History is kept as long as a learned selector: a domain not seen for that long is
 * forgotten. */
#define HISTORY_KEEP_S POSTURE_MEMORY_SELECTOR_KEEP_S

/* Keep at most keep versions of each record: the newest (versions are newest first). */
static void
history_keep_versions(struct store_history *h, size_t keep)
{
	size_t i, j;

	for (i = 0; i < h->nrec; i++) {
		for (j = keep; j < h->rec[i].nv; j++)
			free(h->rec[i].v[j].value);
		if (h->rec[i].nv > keep)
			h->rec[i].nv = keep;
	}
}

/*
 * Compare an evaluation with the domain's history, add findings, store the history.
 * A history too big to store (over STORE_VALUE_MAX: many records of long values) keeps
 * fewer versions per record, halving until it fits (at least the current one each), so
 * the newest values are always written.
 */
int
posture_memory_track(struct posture_memory *m, struct posture_eval *ev)
{
	struct store_history h;
	char key[STORE_KEY_MAX + 1];
	uint64_t now_s = store_now_s(m->store);
	uint8_t *val = NULL;
	size_t len = 0, keep;
	int added, rc;

	if (ev->error != NULL || store_key(key, sizeof(key), m->prefix, "hist", ev->domain) < 0)
		return 0;
	/* A store that failed is not "nothing remembered": every record would look new. */
	if (posture_memory_history(m, ev->domain, &h) == STORE_FAILED) {
		store_history_free(&h);
		return 0;
	}
	added = history_track(&h, ev, now_s, m->history_versions);
	keep = m->history_versions;
	while ((rc = store_encode_history(&h, &val, &len)) < 0 && keep > 1) {
		keep /= 2;
		history_keep_versions(&h, keep);
	}
	if (rc == 0)
		(void)store_put(m->store, key, val, len, now_s + HISTORY_KEEP_S);
	free(val);
	store_history_free(&h);
	return added;
}

/* Take the fleet-wide evaluation lock of a domain. */
int
posture_memory_lock(struct posture_memory *m, const char *domain, const char *token,
		    unsigned ttl_ms)
{
	char key[STORE_KEY_MAX + 1];

	if (store_key(key, sizeof(key), m->prefix, "lock", domain) < 0)
		return -1;
	return store_lock(m->store, key, token, ttl_ms, 0);
}

/* Release it if it is still ours. */
void
posture_memory_unlock(struct posture_memory *m, const char *domain, const char *token)
{
	char key[STORE_KEY_MAX + 1];

	if (store_key(key, sizeof(key), m->prefix, "lock", domain) == 0)
		store_unlock(m->store, key, token);
}
