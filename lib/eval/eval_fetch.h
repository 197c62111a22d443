/*
 * eval_fetch.h - the fetched documents of one evaluation (internal to eval.c).
 *
 * eval.c keeps one struct eval_fetches per context and forwards eval_fetch() and
 * eval_add_fetch() (eval.h) here; its driver asks eval_fetches_queued() after each
 * run of the checks and calls eval_fetches_round() to fetch what was queued, in
 * parallel, next to the round's DNS batch. A context belongs to one thread, and so
 * does this. Documents live in individually allocated slots, so a pointer handed to
 * a check stays valid while the context lives.
 *
 *   eval_fetches_new() / _free()   the table
 *   eval_fetches_get()             the document for a request, or NULL when queued
 *   eval_fetches_add()             seed a document as if fetched (tests)
 *   eval_fetches_queued()          whether a fetch waits for the next round
 *   eval_fetches_round()           fetch every queued document, store it in the cache
 *   eval_fetches_min_ttl()         the shortest lifetime of the documents used
 *   eval_fetches_probe()           the STARTTLS probe result for an MX host, or NULL
 *   eval_fetches_add_probe()       seed a probe result (tests)
 *   eval_fetches_probe_round()     probe every queued host, store results in the cache
 *
 * Probes (eval_probe(), eval.h) are slots of the same table with their own budget
 * (EVAL_MAX_PROBES) and round; eval_fetches_queued() and eval_fetches_min_ttl()
 * count them too.
 *
 * What can go wrong: out of memory (NULL / -1: the caller marks its context oom);
 * past the per-evaluation budget (EVAL_MAX_FETCHES) or the deadline a request is
 * answered at once with HTTPS_ERR_BUDGET / HTTPS_ERR_TIMEOUT, never queued.
 */
#ifndef POSTURE_EVAL_FETCH_H
#define POSTURE_EVAL_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "eval/eval.h"
#include "net/https.h"
#include "net/smtp_probe.h"

#define EVAL_MAX_FETCHES	4	/* HTTPS fetches per evaluation (MTA-STS, BIMI) */
#define EVAL_FETCH_OK_TTL	3600	/* default lifetime of a 200 in the cache, s */
#define EVAL_FETCH_FAIL_TTL	300	/* lifetime of a failure in the cache, s */
#define EVAL_PROBE_OK_TTL	3600	/* lifetime of a probe that spoke SMTP, s */
#define EVAL_PROBE_FAIL_TTL	300	/* lifetime of a failed probe, s */

struct eval_fetches;

struct eval_fetches *eval_fetches_new(void);
void eval_fetches_free(struct eval_fetches *fs);

/*
 * The document for req: from this evaluation's table, else a fresh document of the
 * cache (may be NULL) fetched under the same id, else queued (NULL). live: a driver
 * will run the round (a resolver exists); without one, nothing is refused for time.
 * *oom is set on allocation failure (NULL is returned then).
 */
const struct eval_doc *eval_fetches_get(struct eval_fetches *fs, struct cache *cache,
					const struct eval_fetch_req *req, bool live,
					uint64_t deadline_ms, bool *oom);
/* Seed url with a copy of r fetched under id, stored in the cache for ttl_s. 0 or -1. */
int eval_fetches_add(struct eval_fetches *fs, struct cache *cache, const char *url,
		     const struct https_result *r, const char *id, uint32_t ttl_s);

bool eval_fetches_queued(const struct eval_fetches *fs);
/* Fetch every queued document in parallel, by the deadline; settle and cache them. */
void eval_fetches_round(struct eval_fetches *fs, struct cache *cache,
			const struct https_options *opts, uint64_t deadline_ms);
/* The shortest lifetime (s) of the documents and probe results used; false: none. */
bool eval_fetches_min_ttl(const struct eval_fetches *fs, uint32_t *ttl);

/* The probe result for req->host (eval_probe(), eval.h), or NULL when queued. */
const struct smtp_probe_result *eval_fetches_probe(struct eval_fetches *fs,
						   struct cache *cache,
						   const struct smtp_probe_options *opts,
						   const struct eval_probe_req *req, bool live,
						   uint64_t deadline_ms, bool *oom);
/* Seed a probe result for host (tests); stored in the cache too. 0 or -1. */
int eval_fetches_add_probe(struct eval_fetches *fs, struct cache *cache,
			   const struct smtp_probe_options *opts, const char *host,
			   const struct smtp_probe_result *r);
/* Probe every queued host in parallel, by the deadline; settle and cache them. */
void eval_fetches_probe_round(struct eval_fetches *fs, struct cache *cache,
			      const struct smtp_probe_options *opts, uint64_t deadline_ms);

#endif
