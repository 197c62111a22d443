/*
 * test_metrics.c - the metrics registry (lib/util/metrics.c): histogram bucketing,
 * label-value escaping and the Prometheus text exposition, the catalogue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/metrics.h"

static const double bounds[] = { 0.001, 0.01, 0.1, 1 };
static const char *const colours[] = { "red", "we\"ird\\one\nline" };
static const char *const sizes[] = { "s", "l" };

/* Render one metric into a new string. */
static char *
render(struct metric *m)
{
	struct pt_sb sb;
	char *s;

	pt_sb_init(&sb);
	pt_sb_append(&sb, "");
	metric_render(m, &sb);
	s = pt_sb_take(&sb);
	assert_non_null(s);
	return s;
}

static void
test_disabled_is_silent(void **state)
{
	struct metric m = { "t_total", "help", METRIC_COUNTER };
	char *s;

	(void)state;
	metric_add(&m, 0, 0, 5);
	assert_false(metric_enabled(&m));
	assert_int_equal(metric_value(&m, 0, 0), 0);
	s = render(&m);
	assert_string_equal(s, "");
	free(s);
}

static void
test_histogram_bucketing(void **state)
{
	struct metric m = { "t_seconds", "Latency.", METRIC_HISTOGRAM, .bounds = bounds,
	    .nbounds = 4 };

	(void)state;
	assert_int_equal(metric_enable(&m), 0);
	metric_observe_us(&m, 0, 0, 0);		/* 0 s: first bucket */
	metric_observe_us(&m, 0, 0, 1000);	/* exactly 0.001: le is inclusive */
	metric_observe_us(&m, 0, 0, 1001);	/* just over: second bucket */
	metric_observe_us(&m, 0, 0, 100000);	/* 0.1 */
	metric_observe_us(&m, 0, 0, 5000000);	/* 5 s: only +Inf */
	assert_int_equal(metric_hist_bucket(&m, 0, 0, 0), 2);
	assert_int_equal(metric_hist_bucket(&m, 0, 0, 1), 3);
	assert_int_equal(metric_hist_bucket(&m, 0, 0, 2), 4);
	assert_int_equal(metric_hist_bucket(&m, 0, 0, 3), 4);
	assert_int_equal(metric_hist_bucket(&m, 0, 0, 4), 5);
	assert_int_equal(metric_hist_count(&m, 0, 0), 5);
	assert_int_equal(metric_hist_sum_us(&m, 0, 0), 5102001);
	metric_disable(&m);
	assert_int_equal(metric_hist_count(&m, 0, 0), 0);
}

static void
test_histogram_exposition(void **state)
{
	struct metric m = { "t_seconds", "Latency.", METRIC_HISTOGRAM, .bounds = bounds,
	    .nbounds = 4 };
	char *s;

	(void)state;
	assert_int_equal(metric_enable(&m), 0);
	metric_observe_us(&m, 0, 0, 2500);
	metric_observe_us(&m, 0, 0, 1500000);
	s = render(&m);
	assert_string_equal(s,
	    "# HELP t_seconds Latency.\n"
	    "# TYPE t_seconds histogram\n"
	    "t_seconds_bucket{le=\"0.001\"} 0\n"
	    "t_seconds_bucket{le=\"0.01\"} 1\n"
	    "t_seconds_bucket{le=\"0.1\"} 1\n"
	    "t_seconds_bucket{le=\"1\"} 1\n"
	    "t_seconds_bucket{le=\"+Inf\"} 2\n"
	    "t_seconds_sum 1.502500\n"
	    "t_seconds_count 2\n");
	free(s);
	metric_disable(&m);
}

static void
test_labels_escaped(void **state)
{
	struct metric m = { "t_total", "Two labels;\nback\\slash.", METRIC_COUNTER,
	    .label = { "colour", "size" }, .values = { colours, sizes }, .nvalues = { 2, 2 } };
	char *s;

	(void)state;
	assert_int_equal(metric_enable(&m), 0);
	metric_add(&m, 1, 0, 3);
	metric_add(&m, 0, 1, 1);
	metric_add(&m, 2, 0, 1);	/* out of range: dropped */
	metric_add(&m, 0, 2, 1);
	assert_int_equal(metric_value(&m, 1, 0), 3);
	assert_int_equal(metric_label_index(&m, 1, "l"), 1);
	assert_true(metric_label_index(&m, 1, "xl") == METRIC_NO_INDEX);
	s = render(&m);
	assert_string_equal(s,
	    "# HELP t_total Two labels;\\nback\\\\slash.\n"
	    "# TYPE t_total counter\n"
	    "t_total{colour=\"red\",size=\"s\"} 0\n"
	    "t_total{colour=\"red\",size=\"l\"} 1\n"
	    "t_total{colour=\"we\\\"ird\\\\one\\nline\",size=\"s\"} 3\n"
	    "t_total{colour=\"we\\\"ird\\\\one\\nline\",size=\"l\"} 0\n");
	free(s);
	metric_disable(&m);
}

static void
test_sparse_and_gauges(void **state)
{
	struct metric c = { "t_total", "h", METRIC_COUNTER, .label = { "size", NULL },
	    .values = { sizes, NULL }, .nvalues = { 2, 0 }, .sparse = true };
	struct metric g = { "t_level", "h", METRIC_GAUGE };
	char *s;

	(void)state;
	assert_int_equal(metric_enable(&c), 0);
	assert_int_equal(metric_enable(&g), 0);
	metric_add(&c, 1, 0, 2);
	s = render(&c);
	assert_string_equal(s, "# HELP t_total h\n# TYPE t_total counter\nt_total{size=\"l\"} 2\n");
	free(s);
	metric_gauge_add(&g, 0, 0, -3);
	s = render(&g);
	assert_string_equal(s, "# HELP t_level h\n# TYPE t_level gauge\nt_level -3\n");
	free(s);
	metric_gauge_set(&g, 0, 0, 7);
	assert_int_equal(metric_value(&g, 0, 0), 7);
	metric_disable(&c);
	metric_disable(&g);
}

/* A sampler's value. */
static int64_t
sample(void *arg, size_t series)
{
	return *(int64_t *)arg + (int64_t)series;
}

static void
test_sampler(void **state)
{
	struct metric g = { "t_entries", "h", METRIC_GAUGE, .label = { "size", NULL },
	    .values = { sizes, NULL }, .nvalues = { 2, 0 } };
	int64_t base = 40, other = 0;
	char *s;

	(void)state;
	assert_int_equal(metric_enable(&g), 0);
	metric_sampler_set(&g, sample, &base);
	metric_sampler_clear(&g, &other);	/* not the one set: stays */
	s = render(&g);
	assert_non_null(strstr(s, "t_entries{size=\"s\"} 40\nt_entries{size=\"l\"} 41\n"));
	free(s);
	metric_sampler_clear(&g, &base);
	s = render(&g);
	assert_non_null(strstr(s, "t_entries{size=\"s\"} 0\n"));
	free(s);
	metric_disable(&g);
}

static void
test_catalogue(void **state)
{
	char *s;

	(void)state;
	metrics_count(M_MESSAGES, MSG_ANNOTATED, 0);	/* before enabling: nothing */
	assert_int_equal(metrics_enable_all("1.2.3"), 0);
	metrics_count(M_MESSAGES, MSG_ANNOTATED, 0);
	metrics_count_words(M_VERDICTS, "dkim", "pass");
	metrics_count_words(M_VERDICTS, "dkim", "bogus");	/* dropped */
	metrics_count_words(M_FINDINGS, "DMARC_POLICY_NONE", "warn");
	metrics_dns_query("MX", DNSQ_NXDOMAIN, 3);
	metrics_dns_query("TYPE65", DNSQ_OK, 3);
	s = metrics_render_all();
	assert_non_null(s);
	assert_non_null(strstr(s, "posture_milter_messages_total{outcome=\"annotated\"} 1\n"));
	assert_non_null(strstr(s, "posture_milter_verdicts_total{method=\"dkim\",result=\"pass\"} 1\n"));
	assert_non_null(strstr(s, "posture_milter_findings_total{code=\"DMARC_POLICY_NONE\","
	    "severity=\"warn\"} 1\n"));
	assert_null(strstr(s, "severity=\"info\"} 0"));	/* sparse */
	assert_non_null(strstr(s, "posture_milter_dns_queries_total{type=\"MX\",outcome=\"nxdomain\"} 1\n"));
	assert_non_null(strstr(s, "posture_milter_dns_queries_total{type=\"other\",outcome=\"ok\"} 1\n"));
	assert_non_null(strstr(s, "posture_milter_dns_duration_seconds_count 2\n"));
	assert_non_null(strstr(s, "posture_milter_build_info{version=\"1.2.3\"} 1\n"));
	assert_non_null(strstr(s, "# TYPE posture_milter_start_time_seconds gauge\n"));
	assert_non_null(strstr(s, "# TYPE posture_milter_eom_wait_seconds histogram\n"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled_is_silent),
		cmocka_unit_test(test_histogram_bucketing),
		cmocka_unit_test(test_histogram_exposition),
		cmocka_unit_test(test_labels_escaped),
		cmocka_unit_test(test_sparse_and_gauges),
		cmocka_unit_test(test_sampler),
		cmocka_unit_test(test_catalogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
