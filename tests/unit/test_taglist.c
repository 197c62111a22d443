/*
 * test_taglist.c - the tag=value list parser (taglist.c, RFC 6376 3.2).
 *
 * A table of inputs with the tags expected (name=value pairs joined by "|") and the
 * errors expected (code and byte offset); then names with case folding, NUL and
 * non-ASCII bytes, the cap on tags, positions, and the sanitizer used for messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "record/taglist.h"
#include "util/strbuf.h"

#define NOERR ((int)-1)

struct tl_case {
	const char *what;
	const char *in;
	const char *tags;	/* "name=value|name=value" as parsed (values trimmed) */
	int err;		/* first error code expected, or NOERR */
	size_t err_pos;		/* its offset */
};

static const struct tl_case cases[] = {
	{ "one tag", "v=DMARC1", "v=DMARC1", NOERR, 0 },
	{ "trailing semicolon", "a=1;", "a=1", NOERR, 0 },
	{ "trailing semicolon and spaces", "a=1; \t", "a=1", NOERR, 0 },
	{ "spaces around names and values", "  a = 1 ;\tb\t=\t2  ", "a=1|b=2", NOERR, 0 },
	{ "folding white space CRLF WSP", "a=1;\r\n b=x\r\n\ty", "a=1|b=x\r\n\ty", NOERR, 0 },
	{ "empty value", "a=;b=2", "a=|b=2", NOERR, 0 },
	{ "value with inner spaces", "a=x y  z", "a=x y  z", NOERR, 0 },
	{ "digits and underscore in name", "a_1=x;B2=y", "a_1=x|B2=y", NOERR, 0 },
	{ "value with = and :", "rua=mailto:a@b.c?x=1", "rua=mailto:a@b.c?x=1", NOERR, 0 },
	{ "empty input", "", "", TL_ERR_EMPTY_LIST, 0 },
	{ "only spaces", "   ", "", TL_ERR_EMPTY_LIST, 0 },
	{ "only a semicolon", ";", "", TL_ERR_EMPTY_TAG, 0 },
	{ "double semicolon", "a=1;;b=2", "a=1|b=2", TL_ERR_EMPTY_TAG, 4 },
	{ "leading semicolon", ";a=1", "a=1", TL_ERR_EMPTY_TAG, 0 },
	{ "name starts with a digit", "1a=x;b=2", "b=2", TL_ERR_BAD_NAME, 0 },
	{ "name with a hyphen", "a-b=x;c=3", "c=3", TL_ERR_BAD_NAME, 1 },
	{ "no equals", "a=1; b ;c=3", "a=1|c=3", TL_ERR_NO_EQUALS, 7 },
	{ "no equals at the end", "a=1;b", "a=1", TL_ERR_NO_EQUALS, 5 },
	{ "space inside a name", "a b=1", "", TL_ERR_NO_EQUALS, 2 },
	{ "duplicate", "a=1;b=2;a=3", "a=1|b=2|a=3", TL_ERR_DUPLICATE, 8 },
	{ "control byte in value", "a=x\001y;b=2", "a=x\001y|b=2", TL_ERR_BAD_VALUE_BYTE, 3 },
	{ "bare LF in value", "a=x\ny", "a=x\ny", TL_ERR_BAD_VALUE_BYTE, 3 },
	{ "CRLF not followed by WSP", "a=1\r\n", "a=1\r\n", TL_ERR_BAD_VALUE_BYTE, 3 },
	{ "non-ASCII byte in value", "a=\xc3\xa9", "a=\xc3\xa9", TL_ERR_BAD_VALUE_BYTE, 2 },
};

/* Render the tags of a list as "name=value|...". */
static void
render(const struct taglist *tl, char *out, size_t outlen)
{
	size_t i, o = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < tl->count; i++) {
		n = snprintf(out + o, outlen - o, "%s%.*s=%.*s", i ? "|" : "",
		    (int)tl->tags[i].name_len, (const char *)tl->tags[i].name,
		    (int)tl->tags[i].value_len, (const char *)tl->tags[i].value);
		assert_true(n >= 0 && (size_t)n < outlen - o);
		o += (size_t)n;
	}
}

static void
test_table(void **state)
{
	struct taglist tl;
	char got[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = taglist_parse(cases[i].in, strlen(cases[i].in), 0, &tl);
		render(&tl, got, sizeof(got));
		if (strcmp(got, cases[i].tags) != 0)
			fail_msg("%s: tags \"%s\", expected \"%s\"", cases[i].what, got,
			    cases[i].tags);
		if (cases[i].err == NOERR) {
			if (rc != 0 || tl.nerrors != 0)
				fail_msg("%s: unexpected error %s at %zu", cases[i].what,
				    tl.errors[0].reason, tl.errors[0].pos);
			continue;
		}
		if (rc != -1 || tl.nerrors == 0)
			fail_msg("%s: no error reported", cases[i].what);
		if ((int)tl.errors[0].code != cases[i].err || tl.errors[0].pos != cases[i].err_pos)
			fail_msg("%s: error %d at %zu, expected %d at %zu", cases[i].what,
			    (int)tl.errors[0].code, tl.errors[0].pos, cases[i].err,
			    cases[i].err_pos);
		assert_non_null(tl.errors[0].reason);
	}
}

static void
test_positions_point_into_the_input(void **state)
{
	const char *in = " ab = xy z ; c=";
	struct taglist tl;

	(void)state;
	assert_int_equal(taglist_parse(in, strlen(in), 0, &tl), 0);
	assert_int_equal(tl.count, 2);
	assert_int_equal(tl.tags[0].name_pos, 1);
	assert_int_equal(tl.tags[0].name_len, 2);
	assert_int_equal(tl.tags[0].value_pos, 6);
	assert_int_equal(tl.tags[0].value_len, 4);
	assert_ptr_equal(tl.tags[0].value, (const uint8_t *)in + 6);
	assert_int_equal(tl.tags[1].value_len, 0);
}

static void
test_names_are_case_sensitive_unless_folded(void **state)
{
	const char *in = "a=1;A=2";
	struct taglist tl;

	(void)state;
	assert_int_equal(taglist_parse(in, strlen(in), 0, &tl), 0);
	assert_false(tl.tags[1].duplicate);
	assert_ptr_equal(taglist_find(&tl, "A"), &tl.tags[1]);
	assert_int_equal(taglist_parse(in, strlen(in), TAGLIST_FOLD_CASE, &tl), -1);
	assert_true(tl.tags[1].duplicate);
	assert_int_equal(tl.errors[0].code, TL_ERR_DUPLICATE);
	assert_int_equal(tl.errors[0].tag, 1);
	/* find returns the first occurrence */
	assert_ptr_equal(taglist_find(&tl, "A"), &tl.tags[0]);
	assert_null(taglist_find(&tl, "b"));
}

static void
test_nul_bytes_are_data_not_terminators(void **state)
{
	static const char in[] = "a=x\0y;b=2";
	struct taglist tl;

	(void)state;
	assert_int_equal(taglist_parse(in, sizeof(in) - 1, 0, &tl), -1);
	assert_int_equal(tl.count, 2);
	assert_int_equal(tl.tags[0].value_len, 3);
	assert_true(tl.tags[0].bad_bytes);
	assert_int_equal(tl.errors[0].code, TL_ERR_BAD_VALUE_BYTE);
	assert_int_equal(tl.errors[0].pos, 3);
	assert_int_equal(tl.errors[0].byte, 0);
	/* NUL in a name */
	assert_int_equal(taglist_parse("a\0=1", 4, 0, &tl), -1);
	assert_int_equal(tl.errors[0].code, TL_ERR_BAD_NAME);
	assert_int_equal(tl.errors[0].pos, 1);
}

static void
test_null_input_is_an_empty_list(void **state)
{
	struct taglist tl;

	(void)state;
	assert_int_equal(taglist_parse(NULL, 10, 0, &tl), -1);
	assert_int_equal(tl.count, 0);
	assert_int_equal(tl.errors[0].code, TL_ERR_EMPTY_LIST);
}

static void
test_tag_count_is_capped(void **state)
{
	char in[TAGLIST_MAX_TAGS * 8 + 64];
	struct taglist tl;
	size_t o = 0, i;

	(void)state;
	for (i = 0; i < TAGLIST_MAX_TAGS + 5; i++)
		o += (size_t)snprintf(in + o, sizeof(in) - o, "t%zu=%zu;", i, i);
	assert_int_equal(taglist_parse(in, o, 0, &tl), -1);
	assert_int_equal(tl.count, TAGLIST_MAX_TAGS);
	assert_true(tl.truncated);
	assert_int_equal(tl.errors[0].code, TL_ERR_TOO_MANY);
	assert_int_equal(tl.nerrors, 1);
}

static void
test_errors_are_counted_past_the_array(void **state)
{
	char in[256];
	struct taglist tl;
	size_t o = 0, i;

	(void)state;
	for (i = 0; i < TAGLIST_MAX_ERRORS + 4; i++)
		o += (size_t)snprintf(in + o, sizeof(in) - o, "-;");
	o += (size_t)snprintf(in + o, sizeof(in) - o, "ok=1");
	assert_int_equal(taglist_parse(in, o, 0, &tl), -1);
	assert_int_equal(tl.nerrors, TAGLIST_MAX_ERRORS + 4);
	assert_int_equal(tl.count, 1);
	assert_true(taglist_name_is(&tl, &tl.tags[0], "ok"));
}

static void
test_bytes_ieq(void **state)
{
	(void)state;
	assert_true(taglist_bytes_ieq((const uint8_t *)"ReJeCt", 6, "reject"));
	assert_false(taglist_bytes_ieq((const uint8_t *)"reject", 5, "reject"));
	assert_false(taglist_bytes_ieq((const uint8_t *)"rejecx", 6, "reject"));
}

static void
test_sanitize_masks_and_cuts(void **state)
{
	char out[16];

	(void)state;
	pt_sanitize("a\x01\\b\xff", 5, out, sizeof(out));
	assert_string_equal(out, "a\\x01\\x5cb\\xff");
	pt_sanitize("abcdefghijklmnopqrstuvwxyz", 26, out, sizeof(out));
	assert_string_equal(out, "abcdefghijkl...");
	assert_true(strlen(out) < sizeof(out));
	pt_sanitize("abcdefghijklmno", 15, out, sizeof(out));
	assert_string_equal(out, "abcdefghijklmno");
	pt_sanitize(NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_positions_point_into_the_input),
		cmocka_unit_test(test_names_are_case_sensitive_unless_folded),
		cmocka_unit_test(test_nul_bytes_are_data_not_terminators),
		cmocka_unit_test(test_null_input_is_an_empty_list),
		cmocka_unit_test(test_tag_count_is_capped),
		cmocka_unit_test(test_errors_are_counted_past_the_array),
		cmocka_unit_test(test_bytes_ieq),
		cmocka_unit_test(test_sanitize_masks_and_cuts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
