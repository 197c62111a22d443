/*
 * test_cidr.c - InternalHosts blocks: parsing and matching.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/cidr.h"

/* Match an address in text form against a block in text form. */
static bool
matches(const char *block, const char *addr)
{
	struct cidr c;
	uint8_t a[16];

	assert_int_equal(cidr_parse(block, &c), 0);
	if (inet_pton(AF_INET, addr, a) == 1)
		return cidr_match(&c, a, 4);
	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	return cidr_match(&c, a, 16);
}

static void
test_cidr_matching(void **state)
{
	(void)state;
	assert_true(matches("192.168.0.0/16", "192.168.44.1"));
	assert_false(matches("192.168.0.0/16", "192.169.0.1"));
	assert_true(matches("10.0.0.0/9", "10.127.255.255"));
	assert_false(matches("10.0.0.0/9", "10.128.0.0"));
	assert_true(matches("127.0.0.1", "127.0.0.1"));
	assert_false(matches("127.0.0.1", "127.0.0.2"));
	assert_true(matches("0.0.0.0/0", "203.0.113.9"));
	assert_true(matches("::1", "::1"));
	assert_true(matches("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(matches("2001:db8::/33", "2001:db8:8000::1"));
	/* IPv4-mapped IPv6 clients match IPv4 blocks, and v4 never matches v6 blocks. */
	assert_true(matches("192.0.2.0/24", "::ffff:192.0.2.7"));
	assert_false(matches("::/0", "192.0.2.7"));
}

static void
test_cidr_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "/24", "192.168.0.0/", "192.168.0.0/33", "::/129", "192.168.0.0/-1",
		"192.168.0.0/1x", "example.com", "300.1.1.1", "1.2.3.4/ 8",
	};
	struct cidr c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse(bad[i], &c) != -1)
			fail_msg("'%s' was accepted", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_matching),
		cmocka_unit_test(test_cidr_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
