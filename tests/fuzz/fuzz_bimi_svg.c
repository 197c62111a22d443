/*
 * fuzz_bimi_svg.c - libFuzzer harness over the SVG Tiny PS check (bimi_svg.c): libxml2
 * with our hardened parser context on hostile input, and the bounded gunzip.
 *
 * Any input: check it as a logo (plain or, when it starts with the gzip magic, SVGZ),
 * then decode it with a small bound; check the invariants (validity matches the
 * problem count, every copied string terminated and printable, a decode never exceeds
 * its bound). An external-entity loader that traps is installed first: libxml2 must
 * never try to open anything, whatever entities or DTDs the input declares. Built by
 * make check with fuzz_main.c (replays the seed corpus) and by
 * tests/fuzz/build-libfuzzer.sh with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "record/bimi_svg.h"

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

/* An external entity loader that must never run. */
static xmlParserInputPtr
trap_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	__builtin_trap();
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct bimi_svg_result r;
	uint8_t *out;
	size_t i, n;
	int rc;

	if (!ready) {
		xmlInitParser();
		xmlSetExternalEntityLoader(trap_loader);
		ready = 1;
	}
	rc = bimi_svg_check(data, size, &r);
	require((rc == 0) == r.valid);
	require(r.valid == (r.nproblems == 0));
	require(r.size == size);
	require(r.svg_size <= (r.gzip ? BIMI_SVG_MAX_BYTES : size));
	require_printable(r.title, sizeof(r.title));
	for (i = 0; i < r.nproblems && i < BIMI_SVG_MAX_PROBLEMS; i++) {
		require_printable(r.problems[i].text, sizeof(r.problems[i].text));
		require(r.problems[i].reason != NULL);
	}
	rc = bimi_svg_decode(data, size, 512, &out, &n);
	require(rc == 0 ? (out != NULL && n <= 512 && out[n] == '\0') : out == NULL);
	free(out);
	return 0;
}
