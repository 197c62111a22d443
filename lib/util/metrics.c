/*
 * metrics.c - the metrics registry and its Prometheus text exposition (see metrics.h),
 * and the catalogue of the daemon's metrics (names are an interface: dashboards and
 * alerts use them; README.md, Monitoring, lists them).
 *
 * Hot path: an update loads the cell pointer (acquire: the cells were zeroed before
 * it was published) and adds with a relaxed atomic; no lock, no allocation. The
 * registry lock guards only samplers and is taken by scrapes and by whoever sets or
 * clears a sampler, never by an update.
 *
 * What can go wrong: out of memory (a metric stays disabled, or the rendering is
 * NULL); a caller's index out of range (dropped). A scrape reads cells one by one, so
 * two counters may be a few increments apart: Prometheus expects no more.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "util/metrics.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

/* Series of m: one per combination of label values. */
static size_t
series_count(const struct metric *m)
{
	size_t n = 1;

	if (m->label[0] != NULL)
		n *= m->nvalues[0];
	if (m->label[1] != NULL)
		n *= m->nvalues[1];
	return n;
}

/* Cells of one series. */
static size_t
series_cells(const struct metric *m)
{
	return m->type == METRIC_HISTOGRAM ? m->nbounds + 2 : 1;	/* buckets, +Inf, sum */
}

/* Give m its cells. */
int
metric_enable(struct metric *m)
{
	atomic_uint_fast64_t *cells;
	size_t n = series_count(m) * series_cells(m), i;

	if (atomic_load_explicit(&m->cells, memory_order_acquire) != NULL)
		return 0;
	if (n == 0 || (cells = malloc(n * sizeof(*cells))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		atomic_init(&cells[i], 0);
	pthread_mutex_lock(&registry_lock);
	if (atomic_load_explicit(&m->cells, memory_order_relaxed) == NULL)
		atomic_store_explicit(&m->cells, cells, memory_order_release);
	else
		free(cells);
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

/* Take m's cells back. */
void
metric_disable(struct metric *m)
{
	free(atomic_exchange(&m->cells, NULL));
}

/* Whether m has its cells. */
bool
metric_enabled(const struct metric *m)
{
	return atomic_load_explicit(&((struct metric *)m)->cells, memory_order_acquire) != NULL;
}

/* The index of a label value. */
size_t
metric_label_index(const struct metric *m, unsigned which, const char *value)
{
	size_t i;

	if (which > 1 || m->label[which] == NULL || value == NULL)
		return METRIC_NO_INDEX;
	for (i = 0; i < m->nvalues[which]; i++)
		if (strcmp(m->values[which][i], value) == 0)
			return i;
	return METRIC_NO_INDEX;
}

/* The first cell of series (i0, i1), or NULL when disabled or out of range. */
static atomic_uint_fast64_t *
series_at(const struct metric *m, size_t i0, size_t i1)
{
	atomic_uint_fast64_t *cells = atomic_load_explicit(&((struct metric *)m)->cells,
	    memory_order_acquire);
	size_t n0 = m->label[0] ? m->nvalues[0] : 1, n1 = m->label[1] ? m->nvalues[1] : 1;

	if (cells == NULL || i0 >= n0 || i1 >= n1)
		return NULL;
	return cells + (i0 * n1 + i1) * series_cells(m);
}

/* A counter grows. */
void
metric_add(struct metric *m, size_t i0, size_t i1, uint64_t n)
{
	atomic_uint_fast64_t *c = series_at(m, i0, i1);

	if (c != NULL && m->type != METRIC_HISTOGRAM)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* A gauge moves (two's complement in the cell). */
void
metric_gauge_add(struct metric *m, size_t i0, size_t i1, int64_t d)
{
	atomic_uint_fast64_t *c = series_at(m, i0, i1);

	if (c != NULL && m->type == METRIC_GAUGE)
		atomic_fetch_add_explicit(c, (uint64_t)d, memory_order_relaxed);
}

/* A gauge is set. */
void
metric_gauge_set(struct metric *m, size_t i0, size_t i1, int64_t v)
{
	atomic_uint_fast64_t *c = series_at(m, i0, i1);

	if (c != NULL && m->type == METRIC_GAUGE)
		atomic_store_explicit(c, (uint64_t)v, memory_order_relaxed);
}

/* A histogram observation: the first bucket whose bound holds it, and the sum. */
void
metric_observe_us(struct metric *m, size_t i0, size_t i1, uint64_t us)
{
	atomic_uint_fast64_t *c = series_at(m, i0, i1);
	double secs = (double)us / 1e6;
	size_t b;

	if (c == NULL || m->type != METRIC_HISTOGRAM)
		return;
	for (b = 0; b < m->nbounds && secs > m->bounds[b]; b++)
		;
	atomic_fetch_add_explicit(&c[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c[m->nbounds + 1], us, memory_order_relaxed);
}

/* A counter or gauge value. */
int64_t
metric_value(const struct metric *m, size_t i0, size_t i1)
{
	atomic_uint_fast64_t *c = series_at(m, i0, i1);

	return c != NULL ? (int64_t)atomic_load_explicit(c, memory_order_relaxed) : 0;
}

/* The cumulative count of bucket b. */
uint64_t
metric_hist_bucket(const struct metric *m, size_t i0, size_t i1, size_t b)
{
	atomic_uint_fast64_t *c = series_at(m, i0, i1);
	uint64_t sum = 0;
	size_t i;

	if (c == NULL || m->type != METRIC_HISTOGRAM)
		return 0;
	for (i = 0; i <= b && i <= m->nbounds; i++)
		sum += atomic_load_explicit(&c[i], memory_order_relaxed);
	return sum;
}

/* Observations of a histogram series. */
uint64_t
metric_hist_count(const struct metric *m, size_t i0, size_t i1)
{
	return metric_hist_bucket(m, i0, i1, m->nbounds);
}

/* The sum of a histogram series, microseconds. */
uint64_t
metric_hist_sum_us(const struct metric *m, size_t i0, size_t i1)
{
	atomic_uint_fast64_t *c = series_at(m, i0, i1);

	if (c == NULL || m->type != METRIC_HISTOGRAM)
		return 0;
	return atomic_load_explicit(&c[m->nbounds + 1], memory_order_relaxed);
}

/* Set a gauge's sampler. */
void
metric_sampler_set(struct metric *m, metric_sample_fn fn, void *arg)
{
	pthread_mutex_lock(&registry_lock);
	m->sample = fn;
	m->sample_arg = arg;
	pthread_mutex_unlock(&registry_lock);
}

/* Remove a gauge's sampler if it is still arg's. */
void
metric_sampler_clear(struct metric *m, void *arg)
{
	pthread_mutex_lock(&registry_lock);
	if (m->sample_arg == arg) {
		m->sample = NULL;
		m->sample_arg = NULL;
	}
	pthread_mutex_unlock(&registry_lock);
}

/* Append a label value, escaped as the text format says. */
void
metric_escape_label(struct pt_sb *out, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		if (*s != '\\' && *s != '"' && *s != '\n')
			continue;
		pt_sb_appendn(out, run, (size_t)(s - run));
		pt_sb_append(out, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n");
		run = s + 1;
	}
	pt_sb_append(out, run);
}

/* Append HELP text: backslash and newline escaped. */
static void
escape_help(struct pt_sb *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			pt_sb_append(out, "\\\\");
		else if (*s == '\n')
			pt_sb_append(out, "\\n");
		else
			pt_sb_appendn(out, s, 1);
	}
}

/* Append name{labels} for series (i0, i1), with an optional le= bucket bound. */
static void
series_name(struct pt_sb *out, const struct metric *m, const char *suffix, size_t i0,
	    size_t i1, const char *le)
{
	bool any = false;
	unsigned k;
	size_t idx[2] = { i0, i1 };

	pt_sb_append(out, m->name);
	pt_sb_append(out, suffix);
	for (k = 0; k < 2; k++) {
		if (m->label[k] == NULL)
			break;
		pt_sb_append(out, any ? "," : "{");
		pt_sb_append(out, m->label[k]);
		pt_sb_append(out, "=\"");
		metric_escape_label(out, m->values[k][idx[k]]);
		pt_sb_append(out, "\"");
		any = true;
	}
	if (le != NULL) {
		pt_sb_printf(out, "%sle=\"%s\"", any ? "," : "{", le);
		any = true;
	}
	if (any)
		pt_sb_append(out, "}");
}

/* Append one histogram series. */
static void
render_histogram(struct pt_sb *out, const struct metric *m, size_t i0, size_t i1)
{
	char le[32];
	uint64_t cum, sum = metric_hist_sum_us(m, i0, i1);
	size_t b;

	for (b = 0; b <= m->nbounds; b++) {
		cum = metric_hist_bucket(m, i0, i1, b);
		if (b < m->nbounds)
			snprintf(le, sizeof(le), "%g", m->bounds[b]);
		else
			snprintf(le, sizeof(le), "+Inf");
		series_name(out, m, "_bucket", i0, i1, le);
		pt_sb_printf(out, " %llu\n", (unsigned long long)cum);
	}
	series_name(out, m, "_sum", i0, i1, NULL);
	pt_sb_printf(out, " %llu.%06llu\n", (unsigned long long)(sum / 1000000),
	    (unsigned long long)(sum % 1000000));
	series_name(out, m, "_count", i0, i1, NULL);
	pt_sb_printf(out, " %llu\n", (unsigned long long)metric_hist_count(m, i0, i1));
}

/* Append m's exposition. */
void
metric_render(struct metric *m, struct pt_sb *out)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	size_t n0 = m->label[0] ? m->nvalues[0] : 1, n1 = m->label[1] ? m->nvalues[1] : 1;
	size_t i0, i1;
	int64_t v;

	if (!metric_enabled(m))
		return;
	pt_sb_printf(out, "# HELP %s ", m->name);
	escape_help(out, m->help);
	pt_sb_printf(out, "\n# TYPE %s %s\n", m->name, types[m->type]);
	pthread_mutex_lock(&registry_lock);
	for (i0 = 0; i0 < n0; i0++)
		for (i1 = 0; i1 < n1; i1++) {
			if (m->type == METRIC_HISTOGRAM) {
				if (!m->sparse || metric_hist_count(m, i0, i1) > 0)
					render_histogram(out, m, i0, i1);
				continue;
			}
			v = m->sample != NULL ? m->sample(m->sample_arg, i0 * n1 + i1) :
			    metric_value(m, i0, i1);
			if (m->sparse && v == 0)
				continue;
			series_name(out, m, "", i0, i1, NULL);
			if (m->type == METRIC_COUNTER)
				pt_sb_printf(out, " %llu\n", (unsigned long long)v);
			else
				pt_sb_printf(out, " %lld\n", (long long)v);
		}
	pthread_mutex_unlock(&registry_lock);
}

/* ---- the catalogue ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CODE_NAME(name, fam, sev) #name,

static const char *const message_outcomes[] = { "annotated", "skipped", "tempfail", "error",
	"rejected" };
static const char *const verdict_methods[] = { "spf", "dkim", "dmarc" };
static const char *const verdict_results[] = { "pass", "fail", "softfail", "neutral", "none",
	"policy", "temperror", "permerror" };
static const char *const code_names[] = { POSTURE_CODE_LIST(CODE_NAME) };
static const char *const severities[] = { "info", "warn", "error" };
static const char *const eval_outcomes[] = { "ok", "timeout", "error" };
static const char *const layers[] = { "dns", "document", "posture", "lmdb", "redis" };
static const char *const lookup_results[] = { "hit", "miss", "stale", "join" };
static const char *const dns_types[] = { "A", "AAAA", "MX", "TXT", "CNAME", "PTR", "NS", "SOA",
	"other" };
static const char *const dns_outcomes[] = { "ok", "nodata", "nxdomain", "servfail", "refused",
	"timeout", "malformed", "truncated", "budget", "error" };
static const char *const https_outcomes[] = { "ok", "http_error", "url", "no_address",
	"refused_address", "connect", "tls", "timeout", "too_large", "protocol", "budget",
	"internal" };
static const char *const backends[] = { "lmdb", "redis" };
static const char *build_version[1] = { "unknown" };
/* Seconds: from a cached answer (sub-millisecond) to EvaluationTimeout's range. */
static const double latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };

#define L1(l, v) .label = { l, NULL }, .values = { v, NULL }, .nvalues = { N(v), 0 }
#define L2(l0, v0, l1, v1) .label = { l0, l1 }, .values = { v0, v1 }, .nvalues = { N(v0), N(v1) }
#define HIST .type = METRIC_HISTOGRAM, .bounds = latency_bounds, .nbounds = N(latency_bounds)

static struct metric catalogue[M_COUNT] = {
	[M_MESSAGES] = { "posture_milter_messages_total",
	    "Messages at end of message, by what the milter did with them.", METRIC_COUNTER,
	    L1("outcome", message_outcomes) },
	[M_VERDICTS] = { "posture_milter_verdicts_total",
	    "Authentication-Results verdicts added, by method and result word.", METRIC_COUNTER,
	    L2("method", verdict_methods, "result", verdict_results) },
	[M_FINDINGS] = { "posture_milter_findings_total",
	    "Findings of domain evaluations (not of snapshots served from a cache or store).",
	    METRIC_COUNTER, L2("code", code_names, "severity", severities), .sparse = true },
	[M_EVALUATIONS] = { "posture_milter_evaluations_total",
	    "Domain evaluations run, by outcome (timeout: some lookups did not finish).",
	    METRIC_COUNTER, L1("outcome", eval_outcomes) },
	[M_EVALUATION_DURATION] = { "posture_milter_evaluation_duration_seconds",
	    "Time one domain evaluation took.", HIST },
	[M_CACHE_LOOKUPS] = { "posture_milter_cache_lookups_total",
	    "Cache and posture memory lookups, by layer and result.", METRIC_COUNTER,
	    L2("layer", layers, "result", lookup_results) },
	[M_CACHE_ENTRIES] = { "posture_milter_cache_entries",
	    "Entries in the in-process cache of the running configuration, by layer.",
	    METRIC_GAUGE, .label = { "layer", NULL }, .values = { layers, NULL },
	    .nvalues = { 3, 0 } },
	[M_DNS_QUERIES] = { "posture_milter_dns_queries_total",
	    "DNS questions answered or given up, by record type and outcome.", METRIC_COUNTER,
	    L2("type", dns_types, "outcome", dns_outcomes) },
	[M_DNS_DURATION] = { "posture_milter_dns_duration_seconds",
	    "Time from sending a DNS question to its answer or to giving up.", HIST },
	[M_HTTPS_FETCHES] = { "posture_milter_https_fetches_total",
	    "HTTPS fetches (MTA-STS policies, BIMI files), by outcome.", METRIC_COUNTER,
	    L1("outcome", https_outcomes) },
	[M_FORGED_REMOVED] = { "posture_milter_forged_headers_removed_total",
	    "Forged X-Domain-Posture and Authentication-Results fields removed.",
	    METRIC_COUNTER },
	[M_EOM_WAIT] = { "posture_milter_eom_wait_seconds",
	    "Time the milter spends at end of message (waiting for evaluations, verifying).",
	    HIST },
	[M_STORE_ERRORS] = { "posture_milter_store_errors_total",
	    "Posture memory operations that failed, by backend.", METRIC_COUNTER,
	    L1("backend", backends) },
	[M_BUILD_INFO] = { "posture_milter_build_info",
	    "The version of posture-milter running (value 1).", METRIC_GAUGE,
	    L1("version", build_version) },
	[M_START_TIME] = { "posture_milter_start_time_seconds",
	    "When the daemon started, seconds since the epoch.", METRIC_GAUGE },
};

/* The catalogue's metric. */
struct metric *
metrics_get(enum metric_id id)
{
	return (unsigned)id < M_COUNT ? &catalogue[id] : NULL;
}

/* Enable the whole catalogue. */
int
metrics_enable_all(const char *version)
{
	size_t i;
	int rc = 0;

	if (version != NULL && !metric_enabled(&catalogue[M_BUILD_INFO]))
		build_version[0] = version;
	for (i = 0; i < M_COUNT; i++)
		if (metric_enable(&catalogue[i]) < 0)
			rc = -1;
	metric_gauge_set(&catalogue[M_BUILD_INFO], 0, 0, 1);
	metric_gauge_set(&catalogue[M_START_TIME], 0, 0, (int64_t)time(NULL));
	return rc;
}

/* The whole exposition. */
char *
metrics_render_all(void)
{
	struct pt_sb sb;
	size_t i;

	pt_sb_init(&sb);
	for (i = 0; i < M_COUNT; i++)
		metric_render(&catalogue[i], &sb);
	if (sb.len == 0)
		pt_sb_append(&sb, "");
	return pt_sb_take(&sb);
}

/* One more in a catalogue counter. */
void
metrics_count(enum metric_id id, size_t i0, size_t i1)
{
	if ((unsigned)id < M_COUNT)
		metric_add(&catalogue[id], i0, i1, 1);
}

/* One observation of a catalogue histogram, in milliseconds. */
void
metrics_observe_ms(enum metric_id id, uint64_t ms)
{
	if ((unsigned)id < M_COUNT)
		metric_observe_us(&catalogue[id], 0, 0, ms * 1000);
}

/* One more in a catalogue counter named by its label words. */
void
metrics_count_words(enum metric_id id, const char *w0, const char *w1)
{
	struct metric *m = metrics_get(id);
	size_t i0, i1 = 0;

	if (m == NULL || !metric_enabled(m))
		return;
	i0 = metric_label_index(m, 0, w0);
	if (m->label[1] != NULL)
		i1 = metric_label_index(m, 1, w1);
	if (i0 != METRIC_NO_INDEX && i1 != METRIC_NO_INDEX)
		metric_add(m, i0, i1, 1);
}

/* One DNS question's outcome and duration. */
void
metrics_dns_query(const char *type, size_t outcome, unsigned elapsed_ms)
{
	struct metric *m = &catalogue[M_DNS_QUERIES];
	size_t t;

	if (!metric_enabled(m))
		return;
	t = metric_label_index(m, 0, type);
	metric_add(m, t == METRIC_NO_INDEX ? N(dns_types) - 1 : t, outcome, 1);
	metrics_observe_ms(M_DNS_DURATION, elapsed_ms);
}
