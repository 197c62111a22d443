/*
 * store.c - posture memory's chain of backends (see store.h): the local LMDB
 * environment first, then the fleet's Redis.
 *
 *   store_new() store_free()   the chain, owning its backends
 *   store_key()                "<prefix>:<schema>:<kind>:<domain>"
 *   store_get()                nearest hit wins; a farther hit is copied nearer
 *   store_put()                into every backend
 *
 * The chain holds no lock of its own: it is immutable after store_new(), and each
 * backend is safe to call from any thread (store_lmdb.h, store_redis.h). What can go
 * wrong is a backend's business (each logs its own outages); the chain goes on with
 * the others and reports STORE_FAILED only when none answered.
 *
 * Metrics (util/metrics.h): each backend's reads are lookups of the layer named
 * after it (hit, miss), its failed reads and writes posture_milter_store_errors_total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/metrics.h"

struct store {
	struct store_backend *b[STORE_CHAIN_MAX];	/* owned; nearest first */
	size_t n;
	uint64_t (*now_s)(void *arg);			/* NULL: time() */
	void *now_arg;
};

/* Build the chain; it owns the backends whatever happens. */
struct store *
store_new(struct store_backend *const *backends, size_t n, uint64_t (*now_s)(void *arg),
	  void *now_arg)
{
	struct store *s = calloc(1, sizeof(*s));
	size_t i;

	for (i = 0; i < n; i++) {
		if (backends[i] == NULL)
			continue;
		if (s == NULL || s->n == STORE_CHAIN_MAX) {
			backends[i]->free(backends[i]);
			continue;
		}
		s->b[s->n++] = backends[i];
	}
	if (s != NULL && s->n == 0) {
		free(s);
		return NULL;
	}
	if (s != NULL) {
		s->now_s = now_s;
		s->now_arg = now_arg;
	}
	return s;
}

/* Free the backends, nearest first, then the chain. */
void
store_free(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		s->b[i]->free(s->b[i]);
	free(s);
}

/* The chain's wall clock. */
uint64_t
store_now_s(const struct store *s)
{
	return s->now_s ? s->now_s(s->now_arg) : (uint64_t)time(NULL);
}

/* Whether a key part is non-empty printable ASCII without space or ':'. */
static int
key_part_ok(const char *p)
{
	if (p == NULL || *p == '\0')
		return 0;
	for (; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == ':')
			return 0;
	return 1;
}

/* "<prefix>:<schema>:<kind>:<domain>", bounded by outlen and STORE_KEY_MAX. */
int
store_key(char *out, size_t outlen, const char *prefix, const char *kind, const char *domain)
{
	int n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!key_part_ok(prefix) || !key_part_ok(kind) || !key_part_ok(domain))
		return -1;
	n = snprintf(out, outlen, "%s:%d:%s:%s", prefix, STORE_SCHEMA, kind, domain);
	if (n < 0 || (size_t)n >= outlen || n > STORE_KEY_MAX) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* Read through the chain; copy a farther hit into the nearer backends. */
enum store_status
store_get(struct store *s, const char *key, uint8_t **val, size_t *len, uint64_t deadline_ms,
	  uint32_t copy_ttl_s)
{
	enum store_status st;
	size_t i, j, failed = 0;
	struct store_backend *b;

	*val = NULL;
	*len = 0;
	for (i = 0; i < s->n; i++) {
		b = s->b[i];
		if (b->get == NULL)
			continue;
		st = b->get(b, key, val, len, deadline_ms);
		if (st == STORE_FAILED) {
			metrics_count_words(M_STORE_ERRORS, b->name, NULL);
			failed++;
			continue;
		}
		metrics_count_words(M_CACHE_LOOKUPS, b->name, st == STORE_FOUND ? "hit" : "miss");
		if (st != STORE_FOUND)
			continue;
		for (j = 0; j < i && copy_ttl_s > 0; j++)
			if (s->b[j]->put != NULL)
				(void)s->b[j]->put(s->b[j], key, *val, *len,
				    store_now_s(s) + copy_ttl_s);
		return STORE_FOUND;
	}
	return failed == s->n ? STORE_FAILED : STORE_ABSENT;
}

/* Read the farthest backend first; nothing copied. */
enum store_status
store_get_shared(struct store *s, const char *key, uint8_t **val, size_t *len,
		 uint64_t deadline_ms)
{
	enum store_status st;
	size_t i, failed = 0;
	struct store_backend *b;

	*val = NULL;
	*len = 0;
	for (i = s->n; i > 0; i--) {
		b = s->b[i - 1];
		if (b->get == NULL)
			continue;
		st = b->get(b, key, val, len, deadline_ms);
		if (st == STORE_FOUND)
			return st;
		if (st == STORE_FAILED)
			failed++;
	}
	return failed == s->n ? STORE_FAILED : STORE_ABSENT;
}

/* The first backend that has locks, or NULL. */
static struct store_backend *
lock_backend(const struct store *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->b[i]->lock != NULL && s->b[i]->unlock != NULL)
			return s->b[i];
	return NULL;
}

/* Take a fleet-wide lock; 1 when no backend has locks. */
int
store_lock(struct store *s, const char *key, const char *token, unsigned ttl_ms,
	   uint64_t deadline_ms)
{
	struct store_backend *b = lock_backend(s);

	return b == NULL ? 1 : b->lock(b, key, token, ttl_ms, deadline_ms);
}

/* Release our lock. */
void
store_unlock(struct store *s, const char *key, const char *token)
{
	struct store_backend *b = lock_backend(s);

	if (b != NULL)
		(void)b->unlock(b, key, token);
}

/* Put into every backend. */
int
store_put(struct store *s, const char *key, const uint8_t *val, size_t len, uint64_t expire_s)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->b[i]->put == NULL)
			rc = -1;
		else if (s->b[i]->put(s->b[i], key, val, len, expire_s) < 0) {
			metrics_count_words(M_STORE_ERRORS, s->b[i]->name, NULL);
			rc = -1;
		}
	return rc;
}
