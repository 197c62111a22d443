/*
 * test_tlsa_parse.c - the TLSA RDATA parser (record/tlsa_parse.c): every problem on
 * an RDATA that has it and on one that must not, the fields of a good record, and
 * which usages SMTP may use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "record/tlsa_parse.h"

/* RDATA of usage, selector, matching type and n bytes of data (n <= 70). */
static size_t
rdata(uint8_t *out, unsigned u, unsigned s, unsigned m, size_t n)
{
	out[0] = (uint8_t)u;
	out[1] = (uint8_t)s;
	out[2] = (uint8_t)m;
	memset(out + 3, 0xAB, n);
	return 3 + n;
}

static void
test_good_records(void **state)
{
	uint8_t b[80];
	struct tlsa_record r;
	size_t len;

	(void)state;
	len = rdata(b, 3, 1, 1, 32);
	assert_int_equal(tlsa_parse(b, len, &r), TLSA_OK);
	assert_int_equal(r.usage, 3);
	assert_int_equal(r.selector, 1);
	assert_int_equal(r.mtype, 1);
	assert_int_equal(r.len, 32);
	assert_ptr_equal(r.data, b + 3);
	assert_true(tlsa_usable_for_smtp(&r));
	len = rdata(b, 2, 0, 2, 64);
	assert_int_equal(tlsa_parse(b, len, &r), TLSA_OK);
	assert_true(tlsa_usable_for_smtp(&r));
	len = rdata(b, 3, 0, 0, 5);		/* exact match: any length */
	assert_int_equal(tlsa_parse(b, len, &r), TLSA_OK);
	len = rdata(b, 1, 1, 1, 32);		/* PKIX-EE parses, not for SMTP */
	assert_int_equal(tlsa_parse(b, len, &r), TLSA_OK);
	assert_false(tlsa_usable_for_smtp(&r));
	len = rdata(b, 0, 1, 1, 32);
	assert_int_equal(tlsa_parse(b, len, &r), TLSA_OK);
	assert_false(tlsa_usable_for_smtp(&r));
}

static void
test_problems(void **state)
{
	uint8_t b[80];
	struct tlsa_record r;

	(void)state;
	assert_int_equal(tlsa_parse(b, rdata(b, 3, 1, 1, 0), &r), TLSA_SHORT);
	assert_int_equal(tlsa_parse(b, 2, &r), TLSA_SHORT);
	assert_int_equal(tlsa_parse(NULL, 0, &r), TLSA_SHORT);
	assert_int_equal(tlsa_parse(b, rdata(b, 4, 1, 1, 32), &r), TLSA_UNKNOWN_USAGE);
	assert_int_equal(tlsa_parse(b, rdata(b, 3, 2, 1, 32), &r), TLSA_UNKNOWN_SELECTOR);
	assert_int_equal(tlsa_parse(b, rdata(b, 3, 1, 3, 32), &r), TLSA_UNKNOWN_MATCHING);
	assert_int_equal(tlsa_parse(b, rdata(b, 3, 1, 1, 31), &r), TLSA_DIGEST_LENGTH);
	assert_int_equal(tlsa_parse(b, rdata(b, 3, 1, 1, 33), &r), TLSA_DIGEST_LENGTH);
	assert_int_equal(tlsa_parse(b, rdata(b, 3, 1, 2, 32), &r), TLSA_DIGEST_LENGTH);
	assert_int_equal(tlsa_parse(b, rdata(b, 3, 1, 2, 64), &r), TLSA_OK);
	assert_string_equal(tlsa_problem_str(TLSA_DIGEST_LENGTH), "digest of the wrong length");
	assert_string_equal(tlsa_problem_str(TLSA_UNKNOWN_SELECTOR), "unknown selector");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_records),
		cmocka_unit_test(test_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
