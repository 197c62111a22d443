/*
 * bench_arc.c - CPU per message of ARC verification with the keys at hand, as in the
 * milter once its DNS cache holds them (verify/arc_verify.c).
 *
 *   bench_arc DIR MESSAGE [COUNT]          COUNT default 200
 *
 * DIR is what tests/arc/arc_chains.py (or verify_fixtures.sh vf_arc) wrote: keys.txt
 * and MESSAGE.eml (CRLF). Verifies the message COUNT times, a new verifier each time
 * (the milter makes one per message), after one verification not counted (OpenSSL's
 * first use, key parsing caches); keys come from keys.txt through the verifier's key
 * source, as DNS answers, with no network. Prints the verdict, the CPU time per
 * message (CLOCK_PROCESS_CPUTIME_ID) and messages per second on one core.
 * tests/bench/arc_cost.sh runs it, also under callgrind. Not run by make check
 * (`make bench_arc`); build without sanitizers for meaningful figures.
 *
 * What can go wrong: a missing or unreadable file (exit 1 with the name); a message
 * whose chain does not verify (printed: the figures then measure a failing chain).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "verify/arc_verify.h"
#include "verify/dkim_verify.h"
#include "dns/dns.h"
#include "answers.h"

#define MAX_KEYS 8

static char key_name[MAX_KEYS][128];
static char *key_rec[MAX_KEYS];
static size_t nkeys;

/* A whole file into a NUL-terminated string and its length; exits when unreadable. */
static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	long n;
	char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0) {
		fprintf(stderr, "bench_arc: cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	if ((s = malloc((size_t)n + 1)) == NULL || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "bench_arc: cannot read %s\n", path);
		exit(1);
	}
	s[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return s;
}

/* The key source: keys.txt, others NXDOMAIN. */
static int
lookup(void *arg, const char *const *names, size_t n, unsigned timeout_ms,
       struct dns_answer *out)
{
	size_t i, j;

	(void)arg;
	(void)timeout_ms;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nkeys && strcmp(key_name[j], names[i]) != 0; j++)
			;
		ans_fill_txt(&out[i], names[i], j < nkeys ? DNS_OK : DNS_NXDOMAIN,
		    j < nkeys ? key_rec[j] : NULL);
	}
	return 0;
}

/* Read DIR/keys.txt ("NAME RECORD" lines) into the key table. */
static void
load_keys(const char *dir)
{
	size_t len;
	char *all = slurp(dir, "keys.txt", &len), *line, *save = NULL, *sp;

	for (line = strtok_r(all, "\n", &save); line && nkeys < MAX_KEYS;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		snprintf(key_name[nkeys], sizeof(key_name[0]), "%s", line);
		key_rec[nkeys++] = strdup(sp + 1);
	}
	free(all);
}

/* One verification with a fresh verifier; the verdict word. */
static const char *
verify_once(struct dkim_verify_lib *lib, const char *msg, size_t len, unsigned *count)
{
	struct arc_verify *v = arc_verify_new(lib);
	const struct arc_verify_results *r;
	const char *word;

	if (v == NULL) {
		fprintf(stderr, "bench_arc: out of memory\n");
		exit(1);
	}
	r = arc_verify_message(v, msg, len);
	word = arc_verify_word(r->result);
	*count = r->count;
	arc_verify_free(v);
	return word;
}

/* Seconds of CPU time used by the process. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct dkim_verify_config cfg;
	struct dkim_verify_lib *lib;
	char err[160], file[256];
	const char *word;
	unsigned long n = 200, i;
	unsigned sets;
	double t0, t;
	size_t len;
	char *msg;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_arc DIR MESSAGE [COUNT]\n");
		return 2;
	}
	if (argc == 4)
		n = strtoul(argv[3], NULL, 10);
	load_keys(argv[1]);
	snprintf(file, sizeof(file), "%s.eml", argv[2]);
	msg = slurp(argv[1], file, &len);
	dkim_verify_config_init(&cfg);
	cfg.lookup = lookup;
	if ((lib = dkim_verify_lib_new(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench_arc: %s\n", err);
		return 1;
	}
	word = verify_once(lib, msg, len, &sets);	/* warm-up, not counted */
	t0 = cpu_now();
	for (i = 0; i < n; i++)
		(void)verify_once(lib, msg, len, &sets);
	t = cpu_now() - t0;
	if (n > 0)
		printf("%-9s arc=%s, %u sets, %zu bytes: %.1f us CPU per message, %.0f messages/s on one core (%lu runs)\n",
		    argv[2], word, sets, len, t / (double)n * 1e6,
		    t > 0 ? (double)n / t : 0.0, n);
	dkim_verify_lib_free(lib);
	free(msg);
	for (i = 0; i < nkeys; i++)
		free(key_rec[i]);
	return 0;
}
