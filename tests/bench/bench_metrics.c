/*
 * bench_metrics.c - what one metric update costs on the hot path (not a test: it
 * prints figures; BENCHMARKS.md, Metrics).
 *
 *   make bench_metrics && ./bench_metrics [UPDATES]
 *
 * Times UPDATES (default 20,000,000) updates of each kind on one thread and on two
 * threads at once (the same series: the worst case, every update contending for one
 * cache line): a counter (metrics_count), a counter by words (metrics_count_words, as
 * the verdict counter is fed), a histogram observation (metrics_observe_ms), and the
 * same calls with the metrics disabled (a daemon without MetricsSocket). Prints
 * nanoseconds per update. Multiply by the updates per message (the /metrics deltas of
 * tests/integration/metrics.sh divided by its messages) for the cost per message.
 *
 * What can go wrong: out of memory enabling the metrics (exit 1).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/metrics.h"

static unsigned long updates = 20000000UL;

enum kind { K_COUNT, K_WORDS, K_OBSERVE };

/* Monotonic nanoseconds. */
static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One thread's loop of updates of a kind. */
static void *
loop(void *arg)
{
	enum kind k = *(enum kind *)arg;
	unsigned long i;

	for (i = 0; i < updates; i++) {
		switch (k) {
		case K_COUNT:
			metrics_count(M_MESSAGES, MSG_ANNOTATED, 0);
			break;
		case K_WORDS:
			metrics_count_words(M_VERDICTS, "dkim", "pass");
			break;
		case K_OBSERVE:
			metrics_observe_ms(M_EOM_WAIT, i & 7);
			break;
		}
	}
	return NULL;
}

/* ns per update of kind k on nthreads threads at once. */
static double
run(enum kind k, int nthreads)
{
	pthread_t th[2];
	double t0 = now_ns();
	int i;

	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, loop, &k);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	return (now_ns() - t0) / (double)updates;
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "counter", "counter by words", "histogram" };
	double off[3];
	int k;

	if (argc > 1)
		updates = strtoul(argv[1], NULL, 10);
	for (k = 0; k < 3; k++)
		off[k] = run((enum kind)k, 1);
	if (metrics_enable_all("bench") < 0) {
		fprintf(stderr, "bench_metrics: out of memory\n");
		return 1;
	}
	printf("%lu updates per run; ns per update (1 thread; 2 threads on one series)\n",
	    updates);
	for (k = 0; k < 3; k++)
		printf("%-18s disabled %6.2f  enabled %6.2f  enabled, 2 threads %6.2f\n", names[k],
		    off[k], run((enum kind)k, 1), run((enum kind)k, 2));
	return 0;
}
