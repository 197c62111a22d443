/*
 * test_name.c - domain name validation and A-label conversion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "posture.h"

struct name_case {
	const char *in;
	const char *out;	/* NULL: must be refused */
};

static const struct name_case name_cases[] = {
	{ "example.com", "example.com" },
	{ "Example.COM.", "example.com" },
	{ "mail-1.sub.example.org", "mail-1.sub.example.org" },
	{ "b\xc3\xbc" "cher.test", "xn--bcher-kva.test" },	/* bücher.test */
	{ "XN--BCHER-KVA.test", "xn--bcher-kva.test" },
	{ "", NULL },
	{ ".", NULL },
	{ "a..b", NULL },
	{ ".example.com", NULL },
	{ "-lead.example.com", NULL },
	{ "trail-.example.com", NULL },
	{ "under_score.example.com", NULL },
	{ "space here.example.com", NULL },
	{ "semi;colon.com", NULL },
	{ "nul\x01.com", NULL },
	{ "\xff\xfe.com", NULL },
};

/* Each name is converted as expected or refused with a reason. */
static void
test_name_table(void **state)
{
	char out[256];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		int rc = posture_name_normalize(name_cases[i].in, out, sizeof(out), &why);

		if (name_cases[i].out) {
			assert_int_equal(rc, 0);
			assert_string_equal(out, name_cases[i].out);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(why);
		}
	}
}

/* A 63-octet label passes, a 64-octet label is refused. */
static void
test_name_label_length(void **state)
{
	char in[128], out[256];
	const char *why;

	(void)state;
	memset(in, 'a', 63);
	strcpy(in + 63, ".com");
	assert_int_equal(posture_name_normalize(in, out, sizeof(out), &why), 0);
	memset(in, 'a', 64);
	strcpy(in + 64, ".com");
	assert_int_equal(posture_name_normalize(in, out, sizeof(out), &why), -1);
	assert_string_equal(why, "label longer than 63 octets");
}

/* 253 octets pass, 254 are refused (RFC 1035 limit without the root). */
static void
test_name_total_length(void **state)
{
	char in[300], out[256];
	const char *why;
	size_t i;

	(void)state;
	/* 4 labels of 62 + 3 dots = 251, plus ".ab" = 254; ".a" = 253 */
	for (i = 0; i < 4; i++) {
		memset(in + i * 63, 'x', 62);
		in[i * 63 + 62] = '.';
	}
	strcpy(in + 252, "a");
	assert_int_equal(strlen(in), 253);
	assert_int_equal(posture_name_normalize(in, out, sizeof(out), &why), 0);
	strcpy(in + 252, "ab");
	assert_int_equal(posture_name_normalize(in, out, sizeof(out), &why), -1);
	assert_string_equal(why, "domain name longer than 253 octets");
	/* The output buffer bound is honoured too. */
	strcpy(in, "example.com");
	assert_int_equal(posture_name_normalize(in, out, 8, &why), -1);
}

/* An invalid U-label is refused, not passed through. */
static void
test_name_invalid_idn(void **state)
{
	char out[256];
	const char *why;

	(void)state;
	/* A label may not begin with a combining mark (RFC 5891 4.2.3.2). */
	assert_int_equal(posture_name_normalize("\xcc\x81" "a.test", out, sizeof(out),
	    &why), -1);
	assert_non_null(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_table),
		cmocka_unit_test(test_name_label_length),
		cmocka_unit_test(test_name_total_length),
		cmocka_unit_test(test_name_invalid_idn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
