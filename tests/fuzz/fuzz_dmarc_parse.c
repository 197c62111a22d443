/*
 * fuzz_dmarc_parse.c - libFuzzer harness over the tag-list parser (taglist.c) and the
 * DMARC record and URI parsers (dmarc_parse.c).
 *
 * Any input: parse it as a tag-list (both case rules), classify it, parse it as a DMARC
 * record and as one reporting URI, and check the invariants the callers rely on (every
 * tag slice inside the input, counts within their caps, every copied string printable
 * and terminated). A broken invariant traps, so the fuzzer reports it.
 * Built by make check with fuzz_main.c (replays the seed corpus) and by
 * tests/fuzz/build-libfuzzer.sh with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/dmarc_parse.h"
#include "record/taglist.h"
#include "util/strbuf.h"

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

/* The tag-list invariants. */
static void
check_taglist(const uint8_t *data, size_t size, unsigned flags)
{
	struct taglist tl;
	size_t i;
	int rc;

	rc = taglist_parse(data, size, flags, &tl);
	require(rc == 0 || rc == -1);
	require((rc == 0) == (tl.nerrors == 0));
	require(tl.count <= TAGLIST_MAX_TAGS);
	for (i = 0; i < tl.count; i++) {
		const struct taglist_tag *t = &tl.tags[i];

		require(t->name_len > 0);
		require(t->name == data + t->name_pos);
		require(t->name_pos + t->name_len <= size);
		require(t->value == data + t->value_pos);
		require(t->value_pos + t->value_len <= size);
		require(t->value_pos >= t->name_pos + t->name_len);
		require(memchr(t->value, ';', t->value_len) == NULL);
		require(taglist_find(&tl, "") == NULL);
	}
	for (i = 0; i < tl.nerrors && i < TAGLIST_MAX_ERRORS; i++) {
		require(tl.errors[i].pos <= size);
		require(tl.errors[i].reason != NULL);
	}
}

/* The DMARC record invariants. */
static void
check_record(const uint8_t *data, size_t size)
{
	struct dmarc_record *rec = malloc(sizeof(*rec));
	enum dmarc_txt_kind kind;
	size_t i;
	int rc;

	if (rec == NULL)
		return;
	kind = dmarc_txt_classify(data, size);
	rc = dmarc_parse(data, size, rec);
	require((rc == 0) == rec->is_dmarc);
	require(rec->is_dmarc == (kind == DMARC_TXT_RECORD));
	require(rc == 0 || rec->nproblems == 1);
	for (i = 0; i < rec->nproblems && i < DMARC_MAX_PROBLEMS; i++) {
		require_printable(rec->problems[i].tag, sizeof(rec->problems[i].tag));
		require_printable(rec->problems[i].value, sizeof(rec->problems[i].value));
		require(rec->problems[i].reason != NULL);
	}
	require(rec->rua.count <= DMARC_MAX_URIS && rec->ruf.count <= DMARC_MAX_URIS);
	require(rec->rua.nvalid <= rec->rua.count && rec->rua.count <= rec->rua.total);
	for (i = 0; i < rec->rua.count; i++) {
		require_printable(rec->rua.uris[i].text, sizeof(rec->rua.uris[i].text));
		require_printable(rec->rua.uris[i].host, sizeof(rec->rua.uris[i].host));
		require(rec->rua.uris[i].valid == (rec->rua.uris[i].reason == NULL));
	}
	require(rec->pct >= -1 && rec->pct <= 100);
	require(rec->adkim == 'r' || rec->adkim == 's');
	require_printable(rec->p_text, sizeof(rec->p_text));
	free(rec);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_uri u;
	char out[32];

	check_taglist(data, size, 0);
	check_taglist(data, size, TAGLIST_FOLD_CASE);
	check_record(data, size);
	dmarc_parse_uri(data, size, &u);
	require(u.valid == (u.reason == NULL));
	require_printable(u.text, sizeof(u.text));
	require_printable(u.host, sizeof(u.host));
	if (u.valid && !u.host_is_ip)
		require(u.host[0] != '\0' && strlen(u.host) <= 253);
	pt_sanitize(data, size, out, sizeof(out));
	require_printable(out, sizeof(out));
	return 0;
}
