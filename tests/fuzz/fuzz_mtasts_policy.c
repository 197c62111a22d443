/*
 * fuzz_mtasts_policy.c - libFuzzer harness over the MTA-STS policy and TXT parsers
 * (mtasts_parse.c) and the TLS-RPT record parser (tlsrpt_parse.c).
 *
 * Any input: parse it as a policy body, as an _mta-sts TXT record and as an
 * _smtp._tls record, match a few MX names against every pattern kept, and check the
 * invariants the checks rely on (counts within their caps, every copied string
 * printable and terminated, patterns lower-case valid names, validity consistent with
 * the fields, max_age within the RFC 8461 maximum). A broken invariant traps, so the
 * fuzzer reports it. Built by make check with fuzz_main.c (replays the seed corpus)
 * and by tests/fuzz/build-libfuzzer.sh with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/mtasts_parse.h"
#include "record/tlsrpt_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trap unless cond holds. */
static void
require(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* A copied string: terminated within n bytes, printable ASCII only. */
static void
require_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		require((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f);
	require(i < n);
}

/* The policy invariants. */
static void
check_policy(const uint8_t *data, size_t size)
{
	static const char *hosts[] = { "mail.example.com", "MX1.Example.NET.", "example.com",
	    "a.b.c", "", "." };
	struct mtasts_policy *p = malloc(sizeof(*p));
	size_t i, j;
	int rc;

	if (p == NULL)
		return;
	rc = mtasts_policy_parse(data, size, p);
	require((rc == 0) == p->valid);
	require(p->nmx <= MTASTS_MAX_MX && p->nmx <= p->mx_total);
	require(!p->valid || (p->version_ok && p->has_max_age));
	require(!p->valid || p->mode == MTASTS_MODE_NONE || p->mx_total > 0);
	require(!p->has_max_age || p->max_age <= MTASTS_MAX_AGE_MAX);
	require_printable(p->mode_text, sizeof(p->mode_text));
	for (i = 0; i < p->nproblems && i < MTASTS_MAX_PROBLEMS; i++) {
		require_printable(p->problems[i].text, sizeof(p->problems[i].text));
		require(p->problems[i].reason != NULL && p->problems[i].section != NULL);
	}
	for (i = 0; i < p->nmx; i++) {
		require_printable(p->mx[i], sizeof(p->mx[i]));
		require(p->mx[i][0] != '\0' && strlen(p->mx[i]) <= 255);
		for (j = 0; p->mx[i][j]; j++)
			require(p->mx[i][j] < 'A' || p->mx[i][j] > 'Z');
		for (j = 0; j < sizeof(hosts) / sizeof(hosts[0]); j++)
			(void)mtasts_mx_match(p->mx[i], hosts[j]);
		/* A pattern always matches itself when it is not a wildcard. */
		if (p->mx[i][0] != '*')
			require(mtasts_mx_match(p->mx[i], p->mx[i]));
	}
	free(p);
}

/* The TXT record invariants. */
static void
check_txt(const uint8_t *data, size_t size)
{
	struct mtasts_txt t;
	size_t i, n;
	int rc;

	(void)mtasts_txt_classify(data, size);
	rc = mtasts_txt_parse(data, size, &t);
	require((rc == 0) == t.valid);
	require(!t.valid || t.nproblems == 0);
	if (t.valid) {
		n = strlen(t.id);
		require(n >= 1 && n <= MTASTS_ID_MAX);
	}
	for (i = 0; i < t.nproblems && i < MTASTS_MAX_PROBLEMS; i++) {
		require_printable(t.problems[i].text, sizeof(t.problems[i].text));
		require(t.problems[i].reason != NULL);
	}
}

/* The TLS-RPT invariants. */
static void
check_tlsrpt(const uint8_t *data, size_t size)
{
	struct tlsrpt_record r;
	size_t i;
	int rc;

	(void)tlsrpt_txt_classify(data, size);
	rc = tlsrpt_parse(data, size, &r);
	require((rc == 0) == r.valid);
	require(r.nuris <= TLSRPT_MAX_URIS && r.nuris <= r.uri_total);
	require(r.nvalid <= r.uri_total && r.nerrors <= r.nproblems);
	require(!r.valid || (r.nvalid > 0 && r.nerrors == 0));
	for (i = 0; i < r.nuris; i++) {
		require_printable(r.uris[i].text, sizeof(r.uris[i].text));
		require(r.uris[i].valid == (r.uris[i].reason == NULL));
	}
	for (i = 0; i < r.nproblems && i < TLSRPT_MAX_PROBLEMS; i++) {
		require_printable(r.problems[i].text, sizeof(r.problems[i].text));
		require(r.problems[i].reason != NULL);
	}
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_policy(data, size);
	check_txt(data, size);
	check_tlsrpt(data, size);
	return 0;
}
