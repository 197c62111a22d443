/*
 * bench_cache.c - memory per posture entry and lookup rate of the cache (cache.h).
 *
 *   bench_cache [ENTRIES [LOOKUPS_PER_THREAD]]     defaults: 100000, 2000000
 *
 * Inserts ENTRIES distinct posture snapshots of a realistic size (domain, grade,
 * seven family results with facts, a few finding codes: about 400 bytes of payload),
 * prints the heap growth per entry (mallinfo2() delta, everything included: entries,
 * keys, snapshot wrappers, payloads, hash buckets) next to what the cache accounts,
 * then the rate of cache_posture_get_or_start() hits + release from 1 and 2 threads,
 * on keys drawn at random from all entries (every lookup misses the CPU caches) and
 * from a hot set of 1000. Not run by make check (`make bench_cache`); numbers are meaningful
 * only in a build without sanitizers (ASan replaces malloc and mallinfo2()).
 *
 * What can go wrong: out of memory (reported, exit 1); a machine with one core (the
 * two-thread figure then measures contention on one core, not scaling).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"

#define FAMILIES 7

/* Roughly what the milter keeps per evaluated domain. */
struct bench_eval {
	char domain[64];
	char grade;
	struct {
		uint8_t result;
		char fact[40];
	} family[FAMILIES];
	uint16_t codes[12];
	uint8_t ncodes;
	uint32_t ttl_s;
	uint64_t evaluated_ms;
};

struct lookup_arg {
	struct cache *c;
	char (*names)[32];		/* the keys, made before timing */
	unsigned entries;
	unsigned long lookups;
	unsigned seed;
	unsigned long hits, other;
	double cpu_s;			/* the thread's CPU time */
};

/* Monotonic seconds. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This thread's CPU seconds. */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The name of key i. */
static void
domain_name(char *buf, size_t len, unsigned i)
{
	snprintf(buf, len, "d%07u.example-mail.com", i);
}

/* Heap bytes in use. */
static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Insert n snapshots; 0 or -1 on OOM. */
static int
fill(struct cache *c, unsigned n)
{
	static const char *const facts[FAMILIES] = {
		"2 hosts", "~all, 6 lookups", "1 selector", "p=reject", "enforce",
		"rua=1", "no record"
	};
	char name[64];
	unsigned i, f;

	for (i = 0; i < n; i++) {
		struct bench_eval *ev = calloc(1, sizeof(*ev));
		struct cache_snapshot *s;

		if (ev == NULL)
			return -1;
		domain_name(name, sizeof(name), i);
		memcpy(ev->domain, name, strlen(name) + 1);
		ev->grade = (char)('A' + i % 5);
		for (f = 0; f < FAMILIES; f++) {
			ev->family[f].result = (uint8_t)(f % 4);
			snprintf(ev->family[f].fact, sizeof(ev->family[f].fact), "%s", facts[f]);
		}
		ev->ncodes = 4;
		ev->codes[0] = 3;
		ev->codes[1] = 17;
		ev->codes[2] = 42;
		ev->codes[3] = 56;
		ev->ttl_s = 3600;
		s = cache_snapshot_new(ev, sizeof(*ev), free, 3600);
		if (s == NULL) {
			free(ev);
			return -1;
		}
		if (cache_posture_put(c, name, s) != 0) {
			cache_snapshot_release(s);
			return -1;
		}
		cache_snapshot_release(s);
	}
	return 0;
}

/* Random hits until the count is done. */
static void *
lookup_thread(void *p)
{
	struct lookup_arg *la = p;
	unsigned long i;
	unsigned x = la->seed;

	for (i = 0; i < la->lookups; i++) {
		struct cache_snapshot *s = NULL;
		struct cache_ticket *t = NULL;
		const char *name;

		x = x * 1103515245u + 12345u;
		name = la->names[(x >> 4) % la->entries];
		if (cache_posture_get_or_start(la->c, name, &s, &t) == CACHE_HIT)
			la->hits++;
		else
			la->other++;
		if (t != NULL)
			cache_posture_fail(t);
		cache_snapshot_release(s);
	}
	la->cpu_s = cpu_s();
	return NULL;
}

/* Lookups per wall second from nthreads (<= 2) threads; per CPU-second in *per_cpu_s. */
static double
run_lookups(struct cache *c, char (*names)[32], unsigned entries, unsigned long lookups,
	    unsigned nthreads, unsigned long *misses, double *per_cpu_s)
{
	struct lookup_arg args[2];
	pthread_t th[2];
	double t0, t1, cpu = 0;
	unsigned i;

	if (nthreads > 2)
		nthreads = 2;
	*misses = 0;
	*per_cpu_s = 0;
	t0 = now_s();
	for (i = 0; i < nthreads; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].c = c;
		args[i].names = names;
		args[i].entries = entries;
		args[i].lookups = lookups;
		args[i].seed = 12345u + i * 7919u;
		if (pthread_create(&th[i], NULL, lookup_thread, &args[i]) != 0)
			break;
	}
	nthreads = i;
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		*misses += args[i].other;
		cpu += args[i].cpu_s;
	}
	t1 = now_s();
	if (nthreads == 0)
		return 0;
	*per_cpu_s = cpu > 0 ? (double)lookups * nthreads / cpu : 0;
	return (double)lookups * nthreads / (t1 - t0);
}

int
main(int argc, char **argv)
{
	struct cache_config cfg;
	struct cache_stats st;
	struct cache *c;
	char (*names)[32];
	unsigned entries = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100000;
	unsigned long lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000, misses;
	size_t before, after;
	double rate, per_cpu;
	unsigned n, hot;

	if (entries == 0)
		entries = 1;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	printf("note: built with a sanitizer: heap figures and rates are not representative\n");
#endif
	cache_config_init(&cfg);
	cfg.max_entries = (size_t)entries * 2;
	cfg.max_bytes = (size_t)4 << 30;
	before = heap_in_use();
	c = cache_new(&cfg);
	if (c == NULL || fill(c, entries) < 0) {
		fprintf(stderr, "bench_cache: out of memory\n");
		return 1;
	}
	after = heap_in_use();
	cache_stats(c, CACHE_POSTURE, &st);
	printf("entries            %zu (payload %zu bytes each)\n", st.entries,
	       sizeof(struct bench_eval));
	printf("heap per entry     %.0f bytes (mallinfo2 delta, all included)\n",
	       (double)(after - before) / entries);
	printf("accounted / entry  %.0f bytes (cache_stats bytes)\n",
	       (double)st.bytes / (double)(st.entries ? st.entries : 1));
	names = calloc(entries, sizeof(*names));
	if (names == NULL) {
		fprintf(stderr, "bench_cache: out of memory\n");
		return 1;
	}
	for (n = 0; n < entries; n++)
		domain_name(names[n], sizeof(names[n]), n);
	/*
	 * Wall-clock rate of all threads together, and per CPU-second of the threads
	 * (steadier on a loaded machine). Keys at random over all entries (each lookup
	 * misses the CPU caches), then over 1000 hot ones (mail is skewed: most messages
	 * come from a few domains).
	 */
	for (hot = 0; hot <= 1; hot++) {
		for (n = 1; n <= 2; n++) {
			rate = run_lookups(c, names, hot && entries > 1000 ? 1000 : entries,
					   lookups, n, &misses, &per_cpu);
			printf("lookups/s %u thread%s %-10s %6.2f M/s wall, %6.2f M per CPU-s"
			       " (%lu misses)\n", n, n > 1 ? "s" : " ",
			       hot ? "hot 1000" : "all keys", rate / 1e6, per_cpu / 1e6, misses);
		}
	}
	free(names);
	cache_free(c);
	return 0;
}
