/*
 * fuzz_msg_parse.c - libFuzzer harness over the raw message parser (lib/record/msg_parse.c)
 * and what posture-check does with its fields (From through mail_addr.c, Return-Path
 * through mail_addr_envelope_domain()).
 *
 * The input is a whole message. After parsing, the invariants posture-check relies on
 * are checked: every borrowed pointer inside the input, names made of ftext, unfolded
 * values terminated, no longer than their raw value nor MSG_PARSE_MAX_VALUE, the caps
 * kept, the body start within the input. A broken invariant traps.
 * Built by make check with fuzz_main.c (replays tests/fuzz/corpus/msg_parse) and by
 * tests/fuzz/build-libfuzzer.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/mail_addr.h"
#include "record/msg_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trap unless cond holds. */
static void
require(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* Whether [p, p + n) lies inside [base, base + size). */
static int
inside(const void *p, size_t n, const uint8_t *base, size_t size)
{
	const uint8_t *q = p;

	return q >= base && q <= base + size && n <= (size_t)(base + size - q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_addr_list list;
	struct msg_parsed m;
	char domain[256], *path;
	size_t i, j;

	if (msg_parse(data, size, &m) < 0)
		return 0;
	require(m.nfields <= MSG_PARSE_MAX_FIELDS);
	require(m.header_start <= size && m.body_start <= size);
	require(m.has_separator || m.body_start == size);
	for (i = 0; i < m.nfields; i++) {
		const struct msg_field *f = &m.fields[i];

		require(f->name_len > 0 && inside(f->name, f->name_len, data, size));
		require(inside(f->raw, f->raw_len, data, size));
		require(f->raw >= f->name + f->name_len + 1);
		require(f->raw[-1] == ':');
		require(f->offset >= m.header_start && f->offset < m.body_start + 1);
		for (j = 0; j < f->name_len; j++)
			require(f->name[j] > 32 && f->name[j] < 127 && f->name[j] != ':');
		require(f->value != NULL && f->value[f->value_len] == '\0');
		require(f->value_len <= f->raw_len && f->value_len <= MSG_PARSE_MAX_VALUE);
		require(f->has_nul == (memchr(f->raw, '\0', f->raw_len) != NULL));
		if (f->value_len > 0)
			require(f->value[0] != ' ' && f->value[0] != '\t');
		if (i > 0)
			require(f->offset > m.fields[i - 1].offset);
		if (msg_field_is(f, "From")) {
			mail_addr_from_header(f->value, f->value_len, &list);
			require(list.ndomains <= MAIL_ADDR_MAX);
		} else if (msg_field_is(f, "Return-Path")) {
			path = malloc(f->value_len + 1);
			if (path != NULL) {
				memcpy(path, f->value, f->value_len + 1);
				(void)mail_addr_envelope_domain(path, domain, sizeof(domain));
				free(path);
			}
		}
	}
	msg_parsed_free(&m);
	require(m.nfields == 0 && m.fields == NULL);
	return 0;
}
