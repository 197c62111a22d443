/*
 * test_msg_parse.c - header fields and body start of raw messages (lib/record/msg_parse.c):
 * line ends, folding, missing bodies, mbox lines, malformed lines, NUL bytes, the caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record/msg_parse.h"

#define MAX_EXPECT 4

struct parse_case {
	const char *what;
	const char *msg;		/* parsed with strlen() unless len is set */
	size_t len;
	const char *names[MAX_EXPECT];	/* expected field names, in order; NULL ends */
	const char *values[MAX_EXPECT];	/* expected unfolded values */
	const char *body;		/* expected body (from body_start to the end) */
	size_t body_len;		/* its length when it holds a NUL, else 0 */
	size_t value0_len;		/* the first value's length when it holds a NUL */
	size_t nmalformed;
	bool separator, crlf;
	size_t header_start;
};

static const struct parse_case cases[] = {
	{ .what = "LF line ends", .msg = "From: a@b.example\nSubject: hi\n\nbody\n",
	  .names = { "From", "Subject" }, .values = { "a@b.example", "hi" },
	  .body = "body\n", .separator = true },
	{ .what = "CRLF line ends", .msg = "From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n",
	  .names = { "From", "Subject" }, .values = { "a@b.example", "hi" },
	  .body = "body\r\n", .separator = true, .crlf = true },
	{ .what = "mixed line ends", .msg = "From: a@b.example\r\nSubject: hi\n\r\nbody",
	  .names = { "From", "Subject" }, .values = { "a@b.example", "hi" },
	  .body = "body", .separator = true, .crlf = true },
	{ .what = "folded value unfolded, WSP kept (RFC 5322 2.2.3)",
	  .msg = "Subject: one\r\n two\r\n\tthree\r\nTo: x\r\n\r\n",
	  .names = { "Subject", "To" }, .values = { "one two\tthree", "x" },
	  .body = "", .separator = true, .crlf = true },
	{ .what = "a fold right after the colon: no leading WSP",
	  .msg = "Subject: \r\n two \r\n \r\n\r\n",
	  .names = { "Subject" }, .values = { "two" }, .body = "", .separator = true,
	  .crlf = true },
	{ .what = "folded with LF", .msg = "Subject: one\n  two\n\n",
	  .names = { "Subject" }, .values = { "one  two" }, .body = "", .separator = true },
	{ .what = "no body: all header", .msg = "From: a@b.example\nTo: c@d.example",
	  .names = { "From", "To" }, .values = { "a@b.example", "c@d.example" }, .body = "" },
	{ .what = "no body, final line end", .msg = "From: a@b.example\r\n",
	  .names = { "From" }, .values = { "a@b.example" }, .body = "", .crlf = true },
	{ .what = "empty message", .msg = "", .body = "" },
	{ .what = "body only (empty first line)", .msg = "\nbody\n", .body = "body\n",
	  .separator = true },
	{ .what = "empty values", .msg = "Subject:\nX-Empty:   \n\n",
	  .names = { "Subject", "X-Empty" }, .values = { "", "" }, .body = "",
	  .separator = true },
	{ .what = "a value keeps its colons",
	  .msg = "Received: from a by b; Mon, 1 Jan 2024 00:00:00\n\n",
	  .names = { "Received" }, .values = { "from a by b; Mon, 1 Jan 2024 00:00:00" },
	  .body = "", .separator = true },
	{ .what = "WSP before the colon (RFC 5322 4.5)", .msg = "Subject : old style\n\n",
	  .names = { "Subject" }, .values = { "old style" }, .body = "", .separator = true },
	{ .what = "a line without colon is skipped",
	  .msg = "From: a@b.example\nnot a field\nTo: x\n\n",
	  .names = { "From", "To" }, .values = { "a@b.example", "x" }, .body = "",
	  .nmalformed = 1, .separator = true },
	{ .what = "a name with a space is not a field", .msg = "Bad Name: v\nTo: x\n\n",
	  .names = { "To" }, .values = { "x" }, .body = "", .nmalformed = 1,
	  .separator = true },
	{ .what = "an empty name is not a field", .msg = ": v\nTo: x\n\n",
	  .names = { "To" }, .values = { "x" }, .body = "", .nmalformed = 1,
	  .separator = true },
	{ .what = "a continuation before any field", .msg = " stray\nTo: x\n\n",
	  .names = { "To" }, .values = { "x" }, .body = "", .nmalformed = 1,
	  .separator = true },
	{ .what = "an mbox From line is skipped",
	  .msg = "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nFrom: a@b.example\n\nbody",
	  .names = { "From" }, .values = { "a@b.example" }, .body = "body",
	  .separator = true, .header_start = 44 },
	{ .what = "From with WSP before the colon is a field", .msg = "From : a@b.example\n\n",
	  .names = { "From" }, .values = { "a@b.example" }, .body = "", .separator = true },
	{ .what = "a CR at the end of data", .msg = "Subject: x\r",
	  .names = { "Subject" }, .values = { "x" }, .body = "" },
	{ .what = "a bare CR inside a value is kept", .msg = "Subject: a\rb\n\n",
	  .names = { "Subject" }, .values = { "a\rb" }, .body = "", .separator = true },
	{ .what = "a line of WSP is a fold, not the end of the header",
	  .msg = "Subject: a\n \nTo: x\n\nb",
	  .names = { "Subject", "To" }, .values = { "a", "x" }, .body = "b",
	  .separator = true },
	{ .what = "a NUL in a value is kept", .msg = "Subject: a\0b\nTo: x\n\n", .len = 20,
	  .names = { "Subject", "To" }, .values = { "a\0b", "x" }, .value0_len = 3,
	  .body = "", .separator = true },
	{ .what = "a NUL in a name: not a field", .msg = "Sub\0ject: a\nTo: x\n\n", .len = 19,
	  .names = { "To" }, .values = { "x" }, .body = "", .nmalformed = 1,
	  .separator = true },
	{ .what = "a body with a NUL and no final line end", .msg = "To: x\n\nab\0c", .len = 11,
	  .names = { "To" }, .values = { "x" }, .body = "ab\0c", .body_len = 4,
	  .separator = true },
};

/* Each message yields the expected fields, values, body and counts. */
static void
test_msg_parse_table(void **state)
{
	struct msg_parsed m;
	size_t i, j, len, blen;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];

		len = c->len ? c->len : strlen(c->msg);
		if (msg_parse(c->msg, len, &m) < 0)
			fail_msg("%s: out of memory", c->what);
		for (j = 0; j < MAX_EXPECT && c->names[j] != NULL; j++) {
			size_t vlen = j == 0 && c->value0_len ? c->value0_len :
			    strlen(c->values[j]);

			if (j >= m.nfields)
				fail_msg("%s: field %zu (%s) missing", c->what, j, c->names[j]);
			if (!msg_field_is(&m.fields[j], c->names[j]))
				fail_msg("%s: field %zu is %.*s, expected %s", c->what, j,
				    (int)m.fields[j].name_len, m.fields[j].name, c->names[j]);
			if (m.fields[j].value_len != vlen ||
			    memcmp(m.fields[j].value, c->values[j], vlen) != 0 ||
			    m.fields[j].value[vlen] != '\0')
				fail_msg("%s: value %zu is '%s' (%zu bytes), expected '%s'", c->what,
				    j, m.fields[j].value, m.fields[j].value_len, c->values[j]);
		}
		if (m.nfields != j)
			fail_msg("%s: %zu fields, expected %zu", c->what, m.nfields, j);
		blen = c->body_len ? c->body_len : strlen(c->body);
		if (m.body_start > len || len - m.body_start != blen ||
		    memcmp(c->msg + m.body_start, c->body, blen) != 0)
			fail_msg("%s: body at %zu of %zu, expected '%s'", c->what, m.body_start,
			    len, c->body);
		if (m.nmalformed != c->nmalformed || m.has_separator != c->separator ||
		    m.crlf != c->crlf || m.header_start != c->header_start)
			fail_msg("%s: malformed %zu separator %d crlf %d header_start %zu", c->what,
			    m.nmalformed, m.has_separator, m.crlf, m.header_start);
		msg_parsed_free(&m);
	}
}

/* The raw value keeps the folds and points into the message. */
static void
test_msg_parse_raw_keeps_folding(void **state)
{
	static const char msg[] = "DKIM-Signature: v=1;\r\n\tb=abc\r\n\r\n";
	struct msg_parsed m;

	(void)state;
	assert_int_equal(msg_parse(msg, sizeof(msg) - 1, &m), 0);
	assert_int_equal(m.nfields, 1);
	assert_ptr_equal(m.fields[0].name, msg);
	assert_int_equal(m.fields[0].raw_len, strlen(" v=1;\r\n\tb=abc"));
	assert_memory_equal(m.fields[0].raw, " v=1;\r\n\tb=abc", m.fields[0].raw_len);
	assert_string_equal(m.fields[0].value, "v=1;\tb=abc");
	assert_int_equal(m.fields[0].offset, 0);
	msg_parsed_free(&m);
}

/* NUL bytes are flagged on the field and on the header. */
static void
test_msg_parse_flags_nul(void **state)
{
	static const char msg[] = "To: x\nSubject: a\0b\n\nbody";
	struct msg_parsed m;

	(void)state;
	assert_int_equal(msg_parse(msg, sizeof(msg) - 1, &m), 0);
	assert_int_equal(m.nfields, 2);
	assert_false(m.fields[0].has_nul);
	assert_true(m.fields[1].has_nul);
	assert_true(m.has_nul);
	msg_parsed_free(&m);
	assert_int_equal(msg_parse("To: x\n\n\0", 8, &m), 0);
	assert_false(m.has_nul);	/* a NUL in the body is not the header's */
	msg_parsed_free(&m);
}

/* Names compare without ASCII case, and only whole. */
static void
test_msg_field_is_case_insensitive(void **state)
{
	static const char msg[] = "rEtUrN-pAtH: <a@b.example>\nFromX: y\n\n";
	struct msg_parsed m;

	(void)state;
	assert_int_equal(msg_parse(msg, sizeof(msg) - 1, &m), 0);
	assert_true(msg_field_is(&m.fields[0], "Return-Path"));
	assert_false(msg_field_is(&m.fields[0], "Return-Pat"));
	assert_false(msg_field_is(&m.fields[1], "From"));
	assert_false(msg_field_is(NULL, "From"));
	msg_parsed_free(&m);
}

/* More than MSG_PARSE_MAX_FIELDS fields: the rest are counted, the body still found. */
static void
test_msg_parse_caps_field_count(void **state)
{
	size_t n = MSG_PARSE_MAX_FIELDS + 5, i, len = 0;
	char *msg = malloc(n * 16 + 16);
	struct msg_parsed m;

	(void)state;
	assert_non_null(msg);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(msg + len, "X-F%zu: v\n", i);
	len += (size_t)sprintf(msg + len, "\nbody");
	assert_int_equal(msg_parse(msg, len, &m), 0);
	assert_int_equal(m.nfields, MSG_PARSE_MAX_FIELDS);
	assert_int_equal(m.ndropped, 5);
	assert_true(m.has_separator);
	assert_string_equal(msg + m.body_start, "body");
	msg_parsed_free(&m);
	free(msg);
}

/* A field ending past MSG_PARSE_MAX_HEADER is dropped; later lines still scanned. */
static void
test_msg_parse_caps_header_bytes(void **state)
{
	size_t big = MSG_PARSE_MAX_HEADER + 100, len;
	char *msg = malloc(big + 64);
	struct msg_parsed m;

	(void)state;
	assert_non_null(msg);
	len = (size_t)sprintf(msg, "To: x\nX-Big: ");
	memset(msg + len, 'a', big);
	len += big;
	len += (size_t)sprintf(msg + len, "\nSubject: late\n\nbody");
	assert_int_equal(msg_parse(msg, len, &m), 0);
	assert_int_equal(m.nfields, 1);
	assert_true(msg_field_is(&m.fields[0], "To"));
	assert_int_equal(m.ndropped, 2);
	assert_int_equal(m.nlong, 1);
	assert_string_equal(msg + m.body_start, "body");
	msg_parsed_free(&m);
	free(msg);
}

/* A long value is counted as a long line and its unfolded copy capped. */
static void
test_msg_parse_caps_value_length(void **state)
{
	size_t vlen = MSG_PARSE_MAX_VALUE + 10, len;
	char *msg = malloc(vlen + 64);
	struct msg_parsed m;

	(void)state;
	assert_non_null(msg);
	len = (size_t)sprintf(msg, "X-Long: ");
	memset(msg + len, 'b', vlen);
	len += vlen;
	len += (size_t)sprintf(msg + len, "\n\n");
	assert_int_equal(msg_parse(msg, len, &m), 0);
	assert_int_equal(m.nfields, 1);
	assert_int_equal(m.fields[0].value_len, MSG_PARSE_MAX_VALUE);
	assert_true(m.fields[0].value_cut);
	assert_int_equal(m.fields[0].raw_len, vlen + 1);
	assert_int_equal(m.nlong, 1);
	msg_parsed_free(&m);
	free(msg);
}

/* A buffer that is not terminated is never read past its length. */
static void
test_msg_parse_stays_in_bounds(void **state)
{
	static const char text[] = "Subject: abc\n\tdef";
	struct msg_parsed m;
	size_t cut;
	char *exact;

	(void)state;
	for (cut = 0; cut <= sizeof(text) - 1; cut++) {
		exact = malloc(cut ? cut : 1);	/* ASan sees any read past cut */
		assert_non_null(exact);
		memcpy(exact, text, cut);
		assert_int_equal(msg_parse(exact, cut, &m), 0);
		assert_true(m.body_start <= cut);
		msg_parsed_free(&m);
		free(exact);
	}
	assert_int_equal(msg_parse(NULL, 10, &m), 0);
	assert_int_equal(m.nfields, 0);
	assert_int_equal(m.body_start, 0);
	msg_parsed_free(&m);
	msg_parsed_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_parse_table),
		cmocka_unit_test(test_msg_parse_raw_keeps_folding),
		cmocka_unit_test(test_msg_parse_flags_nul),
		cmocka_unit_test(test_msg_field_is_case_insensitive),
		cmocka_unit_test(test_msg_parse_caps_field_count),
		cmocka_unit_test(test_msg_parse_caps_header_bytes),
		cmocka_unit_test(test_msg_parse_caps_value_length),
		cmocka_unit_test(test_msg_parse_stays_in_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
