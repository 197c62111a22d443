/*
 * fuzz_bimi_record.c - libFuzzer harness over the BIMI record parser, its URI parser
 * and the BIMI-Selector header parser (bimi_parse.c).
 *
 * Any input: classify and parse it as a _bimi TXT record, as one URI and as a
 * BIMI-Selector header value, and check the invariants the check relies on (counts
 * within their caps, every copied string terminated and printable, a valid URI
 * https with a lower-case LDH host that the URL contains, declination consistent with
 * the tags, a parsed selector valid). A broken invariant traps, so the fuzzer reports
 * it. Built by make check with fuzz_main.c (replays the seed corpus) and by
 * tests/fuzz/build-libfuzzer.sh with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "record/bimi_parse.h"

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

/* The invariants of one judged URI. */
static void
check_uri(const struct bimi_uri *u)
{
	size_t i;

	require_printable(u->text, sizeof(u->text));
	require(u->valid == (u->reason == NULL));
	if (!u->valid)
		return;
	require(u->https);
	require_printable(u->url, sizeof(u->url));
	require(strncasecmp(u->url, "https://", 8) == 0);
	require(u->host[0] != '\0' && strlen(u->host) <= 253);
	for (i = 0; u->host[i]; i++)
		require((u->host[i] >= 'a' && u->host[i] <= 'z') ||
		    (u->host[i] >= '0' && u->host[i] <= '9') || u->host[i] == '-' ||
		    u->host[i] == '.');
	require(strncasecmp(u->url + 8, u->host, strlen(u->host)) == 0);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bimi_record rec;
	struct bimi_uri u;
	char sel[256];
	size_t i;
	int rc;

	(void)bimi_txt_classify(data, size);
	rc = bimi_parse(data, size, &rec);
	require((rc == 0) == rec.valid);
	require(!rec.valid || rec.is_bimi);
	require(rec.valid == (rec.is_bimi && rec.nerrors == 0));
	require(rec.nlogos <= BIMI_MAX_LOGOS && rec.nlogos <= rec.logo_total);
	require(rec.nerrors <= rec.nproblems);
	require(!rec.declined || (rec.has_l && rec.logo_total == 0 && !rec.has_evidence));
	require(strcmp(rec.avp, "brand") == 0 || strcmp(rec.avp, "personal") == 0);
	for (i = 0; i < rec.nlogos; i++)
		check_uri(&rec.logos[i]);
	if (rec.has_evidence)
		check_uri(&rec.evidence);
	for (i = 0; i < rec.nproblems && i < BIMI_MAX_PROBLEMS; i++) {
		require_printable(rec.problems[i].text, sizeof(rec.problems[i].text));
		require_printable(rec.problems[i].tag, sizeof(rec.problems[i].tag));
		require(rec.problems[i].reason != NULL);
	}
	bimi_parse_uri(data, size, &u);
	check_uri(&u);
	if (bimi_selector_header(data, size, sel, sizeof(sel)) == 0)
		require(bimi_selector_valid(sel));
	else
		require(sel[0] == '\0');
	return 0;
}
