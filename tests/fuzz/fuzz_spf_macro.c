/*
 * fuzz_spf_macro.c - libFuzzer harness over the SPF macro-string validator
 * (spf_macro_validate in spf_parse.c, RFC 7208 7.1).
 *
 * Any input is validated; the verdict and has_macros are compared with a second,
 * independent reading of the grammar written here, and a valid macro-string must stay
 * valid when used as an unknown modifier's value in a record, while an invalid one
 * must make a domain-spec built from it an error. A broken invariant traps.
 * Built by make check with fuzz_main.c (replays the seed corpus) and by
 * tests/fuzz/build-libfuzzer.sh with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/spf_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trap unless cond holds. */
static void
require(int cond)
{
	if (!cond)
		__builtin_trap();
}

/*
 * The grammar again, as a small state machine: 1 valid, 0 invalid; *expands says
 * whether a %{...} appears.
 */
static int
reference_validate(const uint8_t *p, size_t n, bool *expands)
{
	enum { LIT, PCT, LETTER, DIGITS, AFTER_R, DELIMS } st = LIT;
	bool zero_only = false, any_digit = false;
	size_t i;
	uint8_t c;

	*expands = false;
	for (i = 0; i < n; i++) {
		c = p[i];
		switch (st) {
		case LIT:
			if (c == '%')
				st = PCT;
			else if (c < 0x21 || c > 0x7e)
				return 0;
			break;
		case PCT:
			if (c == '{')
				st = LETTER;
			else if (c == '%' || c == '_' || c == '-')
				st = LIT;
			else
				return 0;
			break;
		case LETTER:
			if (c == 0 || strchr("slodiphcrtvSLODIPHCRTV", c) == NULL)
				return 0;
			st = DIGITS;
			any_digit = false;
			zero_only = true;
			break;
		case DIGITS:
		case AFTER_R:
		case DELIMS:
			if (st == DIGITS && c >= '0' && c <= '9') {
				any_digit = true;
				if (c != '0')
					zero_only = false;
				break;
			}
			if (any_digit && zero_only)
				return 0;
			if (st == DIGITS && (c == 'r' || c == 'R')) {
				st = AFTER_R;
				break;
			}
			if (c != 0 && strchr(".-+,/_=", c) != NULL) {
				st = DELIMS;
				break;
			}
			if (c != '}')
				return 0;
			*expands = true;
			st = LIT;
			break;
		}
	}
	return st == LIT;
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	bool has = false, ref_has, ref_ok;
	struct spf_record rec;
	char *buf;
	int rc;

	rc = spf_macro_validate((const char *)data, size, &has, &why);
	require(rc == 0 || rc == -1);
	require((rc == 0) == (why == NULL));
	require(rc == 0 || !has);
	ref_ok = reference_validate(data, size, &ref_has) == 1;
	require(ref_ok == (rc == 0));
	require(!ref_ok || ref_has == has);

	/* the same bytes as a modifier value, and inside a domain-spec (SP splits terms) */
	if (memchr(data, ' ', size) != NULL)
		return 0;
	buf = malloc(size + 32);
	if (buf == NULL)
		return 0;
	memcpy(buf, "v=spf1 x=", 9);
	memcpy(buf + 9, data, size);
	if (spf_parse(buf, size + 9, &rec) == 0) {
		if (rc == 0) {
			require(rec.nerrors == 0 && rec.nterms == 1);
			require(rec.terms[0].kind == SPF_UNKNOWN_MOD);
			require(rec.terms[0].has_macros == has);
		} else {
			require(rec.nerrors > 0);
		}
		spf_record_free(&rec);
	}
	memcpy(buf, "v=spf1 exists:", 14);
	memcpy(buf + 14, data, size);
	memcpy(buf + 14 + size, ".example", 8);
	if (spf_parse(buf, size + 22, &rec) == 0) {
		if (rc != 0)
			require(rec.nerrors > 0);
		spf_record_free(&rec);
	}
	free(buf);
	return 0;
}
