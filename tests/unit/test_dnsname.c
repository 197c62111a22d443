/*
 * test_dnsname.c - the one DNS name rule (util/dnsname.c): every flag, every boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/dnsname.h"

#define LDH	DNS_NAME_LDH
#define US	DNS_NAME_UNDERSCORE
#define ASK	DNS_NAME_ASKABLE
#define WILD	DNS_NAME_WILDCARD
#define DOT	DNS_NAME_TRAILING_DOT

struct name_case {
	const char *name;
	size_t len;			/* 0: strlen(name) */
	unsigned flags;
	enum dns_name_error want;
};

static const struct name_case cases[] = {
	/* empty names */
	{ "", 0, LDH, DNS_NAME_ERR_EMPTY },
	{ "", 0, ASK, DNS_NAME_ERR_EMPTY },
	{ ".", 0, LDH, DNS_NAME_ERR_EMPTY_LABEL },
	{ ".", 0, LDH | DOT, DNS_NAME_ERR_EMPTY },
	/* empty labels */
	{ "a..b", 0, LDH, DNS_NAME_ERR_EMPTY_LABEL },
	{ ".a", 0, US, DNS_NAME_ERR_EMPTY_LABEL },
	{ "a..b", 0, ASK, DNS_NAME_ERR_EMPTY_LABEL },
	/* the trailing dot: refused unless allowed, and only one */
	{ "a.example.", 0, LDH, DNS_NAME_ERR_EMPTY_LABEL },
	{ "a.example.", 0, LDH | DOT, DNS_NAME_OK },
	{ "a.example..", 0, LDH | DOT, DNS_NAME_ERR_EMPTY_LABEL },
	{ "a.example.", 0, ASK | DOT, DNS_NAME_OK },
	/* LDH: letters, digits, inner hyphens */
	{ "Mail-1.Example.COM", 0, LDH, DNS_NAME_OK },
	{ "a", 0, LDH, DNS_NAME_OK },
	{ "123.456", 0, LDH, DNS_NAME_OK },	/* all-digit labels: a caller's rule */
	{ "xn--bcher-kva.test", 0, LDH, DNS_NAME_OK },
	{ "-a.example", 0, LDH, DNS_NAME_ERR_HYPHEN_START },
	{ "b.-a.example", 0, LDH, DNS_NAME_ERR_HYPHEN_START },
	{ "a-.example", 0, LDH, DNS_NAME_ERR_HYPHEN_END },
	{ "a.example-", 0, LDH, DNS_NAME_ERR_HYPHEN_END },
	{ "-", 0, LDH, DNS_NAME_ERR_HYPHEN_START },
	{ "under_score.example", 0, LDH, DNS_NAME_ERR_BAD_BYTE },
	{ "sp ace.example", 0, LDH, DNS_NAME_ERR_BAD_BYTE },
	{ "back\\slash.example", 0, LDH, DNS_NAME_ERR_BAD_BYTE },
	{ "b\xc3\xbc" "cher.test", 0, LDH, DNS_NAME_ERR_BAD_BYTE },
	{ "nul\0.example", 12, LDH, DNS_NAME_ERR_BAD_BYTE },
	{ "*.example", 0, LDH, DNS_NAME_ERR_BAD_BYTE },	/* no WILDCARD: "*" is a byte */
	/* UNDERSCORE: also "_", and "-" anywhere (DKIM selectors, key names) */
	{ "_dmarc.example", 0, US, DNS_NAME_OK },
	{ "sel_1._domainkey.example", 0, US, DNS_NAME_OK },
	{ "-sel-.example", 0, US, DNS_NAME_OK },
	{ "_dmarc.example", 0, LDH, DNS_NAME_ERR_BAD_BYTE },
	{ "s p", 0, US, DNS_NAME_ERR_BAD_BYTE },
	{ "s\xff", 0, US, DNS_NAME_ERR_BAD_BYTE },
	{ "s\0t", 3, US, DNS_NAME_ERR_BAD_BYTE },
	/* ASKABLE: any byte %x20-7E but the backslash */
	{ "a b_c-.-d!~*.example", 0, ASK, DNS_NAME_OK },
	{ " ", 0, ASK, DNS_NAME_OK },
	{ "a\\b", 0, ASK, DNS_NAME_ERR_BAD_BYTE },
	{ "a\x1f", 0, ASK, DNS_NAME_ERR_BAD_BYTE },
	{ "a\x7f", 0, ASK, DNS_NAME_ERR_BAD_BYTE },
	{ "a\x80", 0, ASK, DNS_NAME_ERR_BAD_BYTE },
	{ "a\0b", 3, ASK, DNS_NAME_ERR_BAD_BYTE },
	{ "a\0", 2, ASK, DNS_NAME_ERR_BAD_BYTE },
	/* no class flag: ASKABLE */
	{ "a b", 0, 0, DNS_NAME_OK },
	{ "a\\b", 0, 0, DNS_NAME_ERR_BAD_BYTE },
	/* WILDCARD: "*" only as the whole leftmost label */
	{ "*.example", 0, LDH | WILD, DNS_NAME_OK },
	{ "*.a.example", 0, LDH | WILD, DNS_NAME_OK },
	{ "*", 0, LDH | WILD, DNS_NAME_ERR_WILDCARD },
	{ "*.", 0, LDH | WILD, DNS_NAME_ERR_EMPTY },
	{ "*.", 0, LDH | WILD | DOT, DNS_NAME_ERR_WILDCARD },
	{ "*..", 0, LDH | WILD | DOT, DNS_NAME_ERR_EMPTY },
	{ "*.example.", 0, LDH | WILD | DOT, DNS_NAME_OK },
	{ "*a.example", 0, LDH | WILD, DNS_NAME_ERR_WILDCARD },
	{ "a.*.example", 0, LDH | WILD, DNS_NAME_ERR_WILDCARD },
	{ "*.*.example", 0, LDH | WILD, DNS_NAME_ERR_WILDCARD },
	{ "*.-a.example", 0, LDH | WILD, DNS_NAME_ERR_HYPHEN_START },
	{ "*..example", 0, LDH | WILD, DNS_NAME_ERR_EMPTY_LABEL },
	/* the first problem from the left wins */
	{ "a..b_", 0, LDH, DNS_NAME_ERR_EMPTY_LABEL },
	{ "a_.b..", 0, LDH, DNS_NAME_ERR_BAD_BYTE },
};

/* Each name of the table is judged as written. */
static void
test_dnsname_table(void **state)
{
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = cases[i].len != 0 ? cases[i].len : strlen(cases[i].name);
		if (dns_name_check(cases[i].name, n, cases[i].flags) != cases[i].want)
			fail_msg("case %zu \"%s\" flags %#x: got %d, want %d", i, cases[i].name,
			    cases[i].flags, (int)dns_name_check(cases[i].name, n, cases[i].flags),
			    (int)cases[i].want);
	}
}

/* Labels of 63 octets pass under every class, 64 are refused, wherever they stand. */
static void
test_dnsname_label_length(void **state)
{
	static const unsigned classes[] = { LDH, US, ASK };
	char name[80];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		memset(name, 'a', 63);
		memcpy(name + 63, ".b", 2);
		assert_int_equal(dns_name_check(name, 65, classes[i]), DNS_NAME_OK);
		assert_int_equal(dns_name_check(name, 63, classes[i]), DNS_NAME_OK);
		memset(name, 'a', 64);
		memcpy(name + 64, ".b", 2);
		assert_int_equal(dns_name_check(name, 66, classes[i]), DNS_NAME_ERR_LONG_LABEL);
		assert_int_equal(dns_name_check(name, 64, classes[i]), DNS_NAME_ERR_LONG_LABEL);
		/* the last label, after a short one */
		memcpy(name, "b.", 2);
		memset(name + 2, 'a', 64);
		assert_int_equal(dns_name_check(name, 65, classes[i]), DNS_NAME_OK);
		assert_int_equal(dns_name_check(name, 66, classes[i]), DNS_NAME_ERR_LONG_LABEL);
	}
}

/* Fill name with n octets of 50-octet labels: "xxx...x.xxx...x.x". */
static void
fill_name(char *name, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		name[i] = i % 51 == 50 ? '.' : 'x';
	if (name[n - 1] == '.')
		name[n - 1] = 'y';
}

/* 253 octets pass, 254 are refused; a trailing dot, when allowed, is not counted. */
static void
test_dnsname_total_length(void **state)
{
	char name[300];

	(void)state;
	fill_name(name, 253);
	assert_int_equal(dns_name_check(name, 253, LDH), DNS_NAME_OK);
	assert_int_equal(dns_name_check(name, 253, US), DNS_NAME_OK);
	assert_int_equal(dns_name_check(name, 253, ASK), DNS_NAME_OK);
	name[253] = '.';
	assert_int_equal(dns_name_check(name, 254, LDH | DOT), DNS_NAME_OK);
	assert_int_equal(dns_name_check(name, 254, LDH), DNS_NAME_ERR_TOO_LONG);
	fill_name(name, 254);
	assert_int_equal(dns_name_check(name, 254, LDH), DNS_NAME_ERR_TOO_LONG);
	assert_int_equal(dns_name_check(name, 254, US), DNS_NAME_ERR_TOO_LONG);
	assert_int_equal(dns_name_check(name, 254, ASK | DOT), DNS_NAME_ERR_TOO_LONG);
	name[254] = '.';
	assert_int_equal(dns_name_check(name, 255, LDH | DOT), DNS_NAME_ERR_TOO_LONG);
	/* "*." counts: it is a label of the name */
	fill_name(name, 253);
	memcpy(name, "*.", 2);
	assert_int_equal(dns_name_check(name, 253, LDH | WILD), DNS_NAME_OK);
	fill_name(name, 254);
	memcpy(name, "*.", 2);
	assert_int_equal(dns_name_check(name, 254, LDH | WILD), DNS_NAME_ERR_TOO_LONG);
	/* the length is judged before the labels */
	memset(name, '.', 254);
	assert_int_equal(dns_name_check(name, 254, LDH), DNS_NAME_ERR_TOO_LONG);
}

/* Each code has its fixed reason; the bad-byte reason names the class. */
static void
test_dnsname_reasons(void **state)
{
	char name[300];

	(void)state;
	assert_null(dns_name_problem("a.example", 9, LDH));
	assert_null(dns_name_error_text(DNS_NAME_OK, LDH));
	assert_string_equal(dns_name_problem("", 0, LDH), "an empty name");
	assert_string_equal(dns_name_problem("a..b", 4, LDH), "an empty label");
	assert_string_equal(dns_name_problem("-a", 2, LDH), "a label that starts with \"-\"");
	assert_string_equal(dns_name_problem("a-", 2, LDH), "a label that ends with \"-\"");
	assert_string_equal(dns_name_problem("a_b", 3, LDH),
	    "a byte that is not a letter, digit or \"-\"");
	assert_string_equal(dns_name_problem("a b", 3, US),
	    "a byte that is not a letter, digit, \"-\" or \"_\"");
	assert_string_equal(dns_name_problem("a\\b", 3, ASK),
	    "a control, non-ASCII or backslash byte");
	assert_string_equal(dns_name_problem("a.*", 3, LDH | WILD),
	    "a \"*\" that is not the whole leftmost label");
	memset(name, 'a', 64);
	assert_string_equal(dns_name_problem(name, 64, LDH), "a label longer than 63 bytes");
	fill_name(name, 254);
	assert_string_equal(dns_name_problem(name, 254, LDH), "a name longer than 253 bytes");
}

/* Nothing past n is read: a name may be a slice of a longer text. */
static void
test_dnsname_reads_only_n_bytes(void **state)
{
	(void)state;
	assert_int_equal(dns_name_check("a.example/path", 9, LDH), DNS_NAME_OK);
	assert_int_equal(dns_name_check("host-:443", 4, LDH), DNS_NAME_OK);
	assert_int_equal(dns_name_check("host-:443", 5, LDH), DNS_NAME_ERR_HYPHEN_END);
	assert_int_equal(dns_name_check("x", 0, LDH), DNS_NAME_ERR_EMPTY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsname_table),
		cmocka_unit_test(test_dnsname_label_length),
		cmocka_unit_test(test_dnsname_total_length),
		cmocka_unit_test(test_dnsname_reasons),
		cmocka_unit_test(test_dnsname_reads_only_n_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
