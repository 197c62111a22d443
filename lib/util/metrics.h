/*
 * metrics.h - counters, gauges and histograms in the Prometheus text exposition.
 *
 *   metric_enable()        give a metric its cells; before that every update is a no-op
 *   metric_add()           a counter's series grows by n
 *   metric_gauge_add()     a gauge's series moves by d; metric_gauge_set() sets it
 *   metric_observe_us()    a histogram's series gets one observation (microseconds)
 *   metric_sampler_set()   a gauge read at scrape time from whoever owns the number
 *   metric_render()        one metric's HELP, TYPE and series lines
 *   metric_label_index()   the index of a label value, for callers holding a word
 *
 *   metrics_*()            the catalogue: every metric the daemon serves (M_*), its
 *                          label values (fixed, low-cardinality sets), all rendered
 *                          by metrics_render_all()
 *
 * A metric is a fixed definition (name, help, up to two labels, each with its fixed
 * list of values; histograms: bucket bounds in seconds) and an array of cells, one
 * series per combination of label values. Updates are relaxed C11 atomics on the
 * cell: no lock, nothing allocated. A metric never enabled (posture-check, a daemon
 * without MetricsSocket) costs one load and a branch per update. Histograms keep one
 * cell per bucket (not cumulative) and the sum in microseconds; the exposition makes
 * the buckets cumulative and writes the count as the +Inf bucket, so a scrape never
 * shows a count that disagrees with its buckets.
 *
 * What can go wrong: out of memory at metric_enable() (the metric stays disabled,
 * -1) or while rendering (sticky in the strbuf); an index out of range or a word not
 * in the label's list (the update is dropped: a bug in the caller, never a crash).
 * Label values are escaped in the exposition (\\, \", \n); HELP text too (\\, \n).
 */
#ifndef POSTURE_METRICS_H
#define POSTURE_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define METRIC_NO_INDEX ((size_t)-1)

typedef int64_t (*metric_sample_fn)(void *arg, size_t series);

struct metric {
	const char *name;		/* counters end in _total */
	const char *help;
	enum metric_type type;
	const char *label[2];		/* NULL: unused (label[1] only with label[0]) */
	const char *const *values[2];	/* each label's values */
	size_t nvalues[2];
	const double *bounds;		/* histograms: upper bounds in seconds, increasing */
	size_t nbounds;
	bool sparse;			/* render only series that are not zero */
	_Atomic(atomic_uint_fast64_t *) cells;	/* NULL until enabled; never freed */
	metric_sample_fn sample;	/* gauges read at scrape time (registry lock) */
	void *sample_arg;
};

/* Give m its cells (zero); 0, or -1 when out of memory. Enabling twice is harmless. */
int metric_enable(struct metric *m);
/* Take m's cells back (tests: no thread may update m any more). */
void metric_disable(struct metric *m);
/* Whether m has its cells. */
bool metric_enabled(const struct metric *m);
/* The index of value among label which's values, or METRIC_NO_INDEX. */
size_t metric_label_index(const struct metric *m, unsigned which, const char *value);
/* Counter (or gauge) series (i0, i1) grows by n; i1 (and i0) 0 when unused. */
void metric_add(struct metric *m, size_t i0, size_t i1, uint64_t n);
/* Gauge series moves by d, or is set to v. */
void metric_gauge_add(struct metric *m, size_t i0, size_t i1, int64_t d);
void metric_gauge_set(struct metric *m, size_t i0, size_t i1, int64_t v);
/* Histogram series gets one observation of us microseconds. */
void metric_observe_us(struct metric *m, size_t i0, size_t i1, uint64_t us);
/* A counter or gauge series' value (tests); 0 when not enabled. */
int64_t metric_value(const struct metric *m, size_t i0, size_t i1);
/* A histogram series: observations (count), sum in microseconds, and the cumulative
 * count of bucket b (b == nbounds: +Inf). */
uint64_t metric_hist_count(const struct metric *m, size_t i0, size_t i1);
uint64_t metric_hist_sum_us(const struct metric *m, size_t i0, size_t i1);
uint64_t metric_hist_bucket(const struct metric *m, size_t i0, size_t i1, size_t b);
/*
 * Read gauge m at scrape time: fn(arg, series) for each series. Replaces the sampler;
 * metric_sampler_clear() removes it only if arg is still the one set, and returns
 * once no scrape is calling it.
 */
void metric_sampler_set(struct metric *m, metric_sample_fn fn, void *arg);
void metric_sampler_clear(struct metric *m, void *arg);
/* Append m's exposition (nothing when not enabled). */
void metric_render(struct metric *m, struct pt_sb *out);
/* Append s as a label value: \ " and newline escaped. */
void metric_escape_label(struct pt_sb *out, const char *s);

/* ---- the catalogue ---- */

enum metric_id {
	M_MESSAGES,		/* {outcome} */
	M_VERDICTS,		/* {method,result} */
	M_FINDINGS,		/* {code,severity}, sparse */
	M_EVALUATIONS,		/* {outcome} */
	M_EVALUATION_DURATION,	/* histogram */
	M_CACHE_LOOKUPS,	/* {layer,result} */
	M_CACHE_ENTRIES,	/* gauge {layer}, sampled */
	M_DNS_QUERIES,		/* {type,outcome} */
	M_DNS_DURATION,		/* histogram */
	M_HTTPS_FETCHES,	/* {outcome} */
	M_FORGED_REMOVED,
	M_EOM_WAIT,		/* histogram */
	M_STORE_ERRORS,		/* {backend} */
	M_BUILD_INFO,		/* gauge {version}, 1 */
	M_START_TIME,		/* gauge, seconds since the epoch */
	M_COUNT
};

/* posture_milter_messages_total{outcome} */
enum { MSG_ANNOTATED, MSG_SKIPPED, MSG_TEMPFAIL, MSG_ERROR, MSG_REJECTED };
/* posture_milter_verdicts_total{method} */
enum { VERDICT_SPF, VERDICT_DKIM, VERDICT_DMARC };
/* posture_milter_evaluations_total{outcome} */
enum { EVAL_OK, EVAL_TIMEOUT, EVAL_ERROR };
/* posture_milter_dns_queries_total{outcome}: enum dns_status's order (dns.h) */
enum { DNSQ_OK, DNSQ_NODATA, DNSQ_NXDOMAIN, DNSQ_SERVFAIL, DNSQ_REFUSED, DNSQ_TIMEOUT,
	DNSQ_MALFORMED, DNSQ_TRUNCATED, DNSQ_BUDGET, DNSQ_ERROR };
/* posture_milter_cache_lookups_total{layer} (and cache_entries: the first three) */
enum { LAYER_DNS, LAYER_DOCUMENT, LAYER_POSTURE, LAYER_LMDB, LAYER_REDIS };
/* posture_milter_cache_lookups_total{result} */
enum { LOOKUP_HIT, LOOKUP_MISS, LOOKUP_STALE, LOOKUP_JOIN };

/* The catalogue's metric id. */
struct metric *metrics_get(enum metric_id id);
/*
 * Enable every metric of the catalogue: build_info carries version, start_time the
 * wall clock now. 0, or -1 when out of memory (some metrics then stay off).
 */
int metrics_enable_all(const char *version);
/* The whole exposition (caller frees), NULL when out of memory. */
char *metrics_render_all(void);

/* Shorthands for the catalogue (no-ops until enabled). */
void metrics_count(enum metric_id id, size_t i0, size_t i1);
void metrics_observe_ms(enum metric_id id, uint64_t ms);
/* A counter by label words (verdicts, store backends); unknown words are dropped. */
void metrics_count_words(enum metric_id id, const char *w0, const char *w1);
/* posture_milter_dns_queries_total{type,outcome} and the duration of one question:
 * type a word ("MX"; one not in the list counts as "other"), outcome a DNSQ_*. */
void metrics_dns_query(const char *type, size_t outcome, unsigned elapsed_ms);

#endif
