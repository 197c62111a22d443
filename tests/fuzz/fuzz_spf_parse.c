/*
 * fuzz_spf_parse.c - libFuzzer harness over the SPF record parser (spf_parse.c).
 *
 * Any input is parsed twice: as one record (spf_parse) and as a TXT record whose
 * character-strings are the input split on 0x00 bytes (spf_parse_rr). The invariants
 * the walker relies on are checked: counts within their caps, every term inside the
 * record, redirect/exp indexes pointing at their terms, copied strings printable,
 * domain-specs valid macro-strings, CIDR lengths in range, no error-free record that
 * is not "v=spf1", each valid term valid again when parsed alone, and the join the
 * same as parsing the bytes without the separators. A broken invariant traps.
 * Built by make check with fuzz_main.c (replays the seed corpus) and by
 * tests/fuzz/build-libfuzzer.sh with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/spf_parse.h"

#define MAX_STRINGS 64

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

/* A valid term parses alone, after "v=spf1 ", into one term of the same kind. */
static void
check_term_alone(const uint8_t *data, const struct spf_term *t)
{
	struct spf_record one;
	char *buf = malloc(t->length + 8);

	if (buf == NULL)
		return;
	memcpy(buf, "v=spf1 ", 7);
	memcpy(buf + 7, data + t->offset, t->length);
	if (spf_parse(buf, t->length + 7, &one) == 0) {
		require(one.nerrors == 0 && one.nterms == 1);
		require(one.terms[0].kind == t->kind && one.terms[0].qualifier == t->qualifier);
		require(one.terms[0].cidr4 == t->cidr4 && one.terms[0].cidr6 == t->cidr6);
		require(memcmp(one.terms[0].addr, t->addr, sizeof(t->addr)) == 0);
		spf_record_free(&one);
	}
	free(buf);
}

/* The record invariants. */
static void
check_record(const uint8_t *data, size_t size, const struct spf_record *rec, bool alone)
{
	const struct spf_term *t;
	bool has;
	size_t i;

	require(rec->length == size);
	require(rec->nterms <= SPF_MAX_TERMS);
	require(rec->nterms == 0 || rec->terms != NULL);
	if (rec->nerrors == 0)
		require(spf_is_record(data, size));
	if (!spf_is_record(data, size))
		require(rec->nerrors > 0);
	for (i = 0; i < rec->nerrors && i < SPF_MAX_ERRORS; i++) {
		require(rec->errors[i].offset <= size);
		require(rec->errors[i].reason != NULL);
		require_printable(rec->errors[i].term, sizeof(rec->errors[i].term));
	}
	require(rec->redirect == -1 || (rec->redirect >= 0 && (size_t)rec->redirect < rec->nterms &&
	    rec->terms[rec->redirect].kind == SPF_REDIRECT));
	require(rec->exp == -1 || (rec->exp >= 0 && (size_t)rec->exp < rec->nterms &&
	    rec->terms[rec->exp].kind == SPF_EXP));
	for (i = 0; i < rec->nterms; i++) {
		t = &rec->terms[i];
		require(t->length > 0 && t->offset >= 1 && t->offset + t->length <= size);
		require(data[t->offset - 1] == ' ');
		require(memchr(data + t->offset, ' ', t->length) == NULL);
		require(i == 0 || t->offset > rec->terms[i - 1].offset + rec->terms[i - 1].length);
		require(t->cidr4 >= -1 && t->cidr4 <= 32 && t->cidr6 >= -1 && t->cidr6 <= 128);
		require((t->mod_name != NULL) == (t->kind == SPF_UNKNOWN_MOD));
		if (t->kind == SPF_REDIRECT || t->kind == SPF_EXP || t->kind == SPF_INCLUDE ||
		    t->kind == SPF_EXISTS || t->kind == SPF_UNKNOWN_MOD)
			require(t->domain_spec != NULL);
		if (t->kind == SPF_IP4 || t->kind == SPF_IP6)
			require(t->domain_spec == NULL && !t->has_macros);
		if (t->kind != SPF_A && t->kind != SPF_MX && t->kind != SPF_IP4)
			require(t->cidr4 == -1);
		if (t->kind != SPF_A && t->kind != SPF_MX && t->kind != SPF_IP6)
			require(t->cidr6 == -1);
		if (t->domain_spec != NULL) {
			require_printable(t->domain_spec, strlen(t->domain_spec) + 1);
			require(spf_macro_validate(t->domain_spec, strlen(t->domain_spec), &has,
			    NULL) == 0);
			require(has == t->has_macros);
			require(t->kind == SPF_UNKNOWN_MOD || t->domain_spec[0] != '\0');
		}
		if (alone)
			check_term_alone(data, t);
	}
}

/*
 * The input as TXT strings split on 0x00: the same terms and errors as the bytes
 * without the separators (joined), and straddles only at string boundaries.
 */
static void
check_rr(const uint8_t *data, size_t size, const struct spf_record *joined)
{
	struct dns_txt_string strs[MAX_STRINGS];
	struct dns_rr rr;
	struct spf_record rec;
	size_t n = 0, start = 0, i, total = 0;

	memset(&rr, 0, sizeof(rr));
	rr.type = DNS_T_TXT;
	for (i = 0; i <= size && n < MAX_STRINGS; i++) {
		if (i < size && data[i] != 0)
			continue;
		strs[n].data = (uint8_t *)(uintptr_t)(data + start);
		strs[n].len = i - start;
		total += strs[n].len;
		n++;
		start = i + 1;
	}
	if (n == MAX_STRINGS && start <= size)
		return;		/* too many strings for this check */
	rr.u.txt.count = n;
	rr.u.txt.strings = strs;
	if (spf_parse_rr(&rr, &rec) != 0)
		return;
	require(rec.length == total && total == joined->length);
	require(rec.nterms == joined->nterms && rec.nerrors == joined->nerrors);
	require(rec.redirect == joined->redirect && rec.exp == joined->exp);
	for (i = 0; i < rec.nterms; i++)
		require(rec.terms[i].kind == joined->terms[i].kind &&
		    rec.terms[i].offset == joined->terms[i].offset);
	require(rec.straddles < n);
	require(rec.straddles == 0 || rec.straddle_offset < total);
	spf_record_free(&rec);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_record rec;
	char *copy;
	size_t i, n = 0;

	if (spf_parse((const char *)data, size, &rec) != 0)
		return 0;
	check_record(data, size, &rec, true);
	spf_record_free(&rec);
	require(rec.terms == NULL && rec.nterms == 0);

	/* without the 0x00 separators, the same bytes as one record */
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	for (i = 0; i < size; i++)
		if (data[i] != 0)
			copy[n++] = (char)data[i];
	if (spf_parse(copy, n, &rec) == 0) {
		check_record((const uint8_t *)copy, n, &rec, false);
		check_rr(data, size, &rec);
		spf_record_free(&rec);
	}
	free(copy);
	return 0;
}
