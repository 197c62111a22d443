/*
 * test_ipaddr.c - address classes (IANA special-purpose registries), text, literals.
 *
 * Table-driven: for every special-purpose block an address inside it and, where the
 * edge matters, one just outside; the IPv6 forms that embed IPv4 addresses; names
 * for messages; inet_ntop output; address literals as MX exchanges write them.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/ipaddr.h"

struct class_case {
	const char *text;
	enum ipaddr_class cls;
};

static const struct class_case class_cases[] = {
	/* IPv4 (IANA IPv4 Special-Purpose Address Registry) */
	{ "0.0.0.0", IPADDR_UNSPECIFIED },
	{ "0.1.2.3", IPADDR_THIS_NETWORK },
	{ "0.255.255.255", IPADDR_THIS_NETWORK },
	{ "1.0.0.0", IPADDR_PUBLIC },
	{ "8.8.8.8", IPADDR_PUBLIC },
	{ "9.255.255.255", IPADDR_PUBLIC },
	{ "10.0.0.1", IPADDR_PRIVATE },
	{ "10.255.255.255", IPADDR_PRIVATE },
	{ "11.0.0.1", IPADDR_PUBLIC },		/* the fixtures' "clean" hosts */
	{ "11.0.0.2", IPADDR_PUBLIC },
	{ "100.63.255.255", IPADDR_PUBLIC },
	{ "100.64.0.1", IPADDR_SHARED },
	{ "100.127.255.255", IPADDR_SHARED },
	{ "100.128.0.0", IPADDR_PUBLIC },
	{ "126.255.255.255", IPADDR_PUBLIC },
	{ "127.0.0.1", IPADDR_LOOPBACK },
	{ "127.255.255.254", IPADDR_LOOPBACK },
	{ "128.0.0.0", IPADDR_PUBLIC },
	{ "169.253.255.255", IPADDR_PUBLIC },
	{ "169.254.1.1", IPADDR_LINK_LOCAL },
	{ "169.255.0.0", IPADDR_PUBLIC },
	{ "172.15.255.255", IPADDR_PUBLIC },
	{ "172.16.0.1", IPADDR_PRIVATE },
	{ "172.31.255.255", IPADDR_PRIVATE },
	{ "172.32.0.0", IPADDR_PUBLIC },
	{ "192.0.0.1", IPADDR_IETF_PROTOCOL },
	{ "192.0.0.8", IPADDR_IETF_PROTOCOL },
	{ "192.0.0.9", IPADDR_PUBLIC },		/* PCP anycast, globally reachable */
	{ "192.0.0.10", IPADDR_PUBLIC },	/* TURN anycast, globally reachable */
	{ "192.0.0.170", IPADDR_IETF_PROTOCOL },
	{ "192.0.1.1", IPADDR_PUBLIC },
	{ "192.0.2.1", IPADDR_DOCUMENTATION },
	{ "192.0.3.0", IPADDR_PUBLIC },
	{ "192.31.196.1", IPADDR_PUBLIC },	/* AS112-v4 */
	{ "192.52.193.1", IPADDR_PUBLIC },	/* AMT */
	{ "192.88.99.1", IPADDR_RESERVED },	/* deprecated 6to4 relay anycast */
	{ "192.167.255.255", IPADDR_PUBLIC },
	{ "192.168.1.1", IPADDR_PRIVATE },
	{ "192.169.0.0", IPADDR_PUBLIC },
	{ "192.175.48.1", IPADDR_PUBLIC },	/* AS112 direct delegation */
	{ "198.17.255.255", IPADDR_PUBLIC },
	{ "198.18.0.1", IPADDR_BENCHMARKING },
	{ "198.19.255.255", IPADDR_BENCHMARKING },
	{ "198.20.0.0", IPADDR_PUBLIC },
	{ "198.51.100.7", IPADDR_DOCUMENTATION },
	{ "203.0.113.9", IPADDR_DOCUMENTATION },
	{ "203.0.114.0", IPADDR_PUBLIC },
	{ "223.255.255.255", IPADDR_PUBLIC },
	{ "224.0.0.1", IPADDR_MULTICAST },
	{ "239.255.255.255", IPADDR_MULTICAST },
	{ "240.0.0.1", IPADDR_RESERVED },
	{ "255.255.255.254", IPADDR_RESERVED },
	{ "255.255.255.255", IPADDR_BROADCAST },
	/* IPv6 (IANA IPv6 Special-Purpose Address Registry) */
	{ "::", IPADDR_UNSPECIFIED },
	{ "::1", IPADDR_LOOPBACK },
	{ "::2", IPADDR_RESERVED },		/* ::/8, e.g. deprecated IPv4-compatible */
	{ "::ffff:10.0.0.1", IPADDR_PRIVATE },	/* mapped: classified by the IPv4 */
	{ "::ffff:8.8.8.8", IPADDR_PUBLIC },
	{ "::ffff:127.0.0.1", IPADDR_LOOPBACK },
	{ "::ffff:0.0.0.0", IPADDR_UNSPECIFIED },
	{ "::ffff:169.254.169.254", IPADDR_LINK_LOCAL },
	{ "64:ff9b::8.8.8.8", IPADDR_PUBLIC },	/* NAT64 well-known prefix */
	{ "64:ff9b::10.1.2.3", IPADDR_PRIVATE },
	{ "64:ff9b::127.0.0.1", IPADDR_LOOPBACK },
	{ "64:ff9b:1::1", IPADDR_NAT64_LOCAL },
	{ "100::1", IPADDR_DISCARD },
	{ "100:0:0:1::1", IPADDR_RESERVED },
	{ "1fff:ffff::1", IPADDR_RESERVED },
	{ "2000::1", IPADDR_PUBLIC },
	{ "2001::1", IPADDR_TEREDO },
	{ "2001:0:ffff::1", IPADDR_TEREDO },
	{ "2001:1::1", IPADDR_PUBLIC },		/* PCP anycast */
	{ "2001:1::2", IPADDR_PUBLIC },		/* TURN anycast */
	{ "2001:1::4", IPADDR_IETF_PROTOCOL },
	{ "2001:2::1", IPADDR_BENCHMARKING },
	{ "2001:2:0:1::1", IPADDR_BENCHMARKING },
	{ "2001:2:1::1", IPADDR_IETF_PROTOCOL },
	{ "2001:3::1", IPADDR_PUBLIC },		/* AMT */
	{ "2001:4:112::1", IPADDR_PUBLIC },	/* AS112-v6 */
	{ "2001:4:113::1", IPADDR_IETF_PROTOCOL },
	{ "2001:10::1", IPADDR_IETF_PROTOCOL },	/* ORCHID, deprecated */
	{ "2001:20::1", IPADDR_PUBLIC },	/* ORCHIDv2 */
	{ "2001:2f::1", IPADDR_PUBLIC },
	{ "2001:30::1", IPADDR_PUBLIC },	/* DRIP */
	{ "2001:1ff::1", IPADDR_IETF_PROTOCOL },
	{ "2001:200::1", IPADDR_PUBLIC },	/* just past 2001::/23 */
	{ "2001:db8::1", IPADDR_DOCUMENTATION },
	{ "2001:db8:ffff::1", IPADDR_DOCUMENTATION },
	{ "2001:db9::1", IPADDR_PUBLIC },
	{ "2002:808:808::1", IPADDR_PUBLIC },	/* 6to4 of 8.8.8.8 */
	{ "2002:c0a8:101::1", IPADDR_PRIVATE },	/* 6to4 of 192.168.1.1 */
	{ "2002:7f00:1::1", IPADDR_LOOPBACK },	/* 6to4 of 127.0.0.1 */
	{ "2a00:1450:4001::1", IPADDR_PUBLIC },
	{ "2606:4700::1111", IPADDR_PUBLIC },
	{ "3fff::1", IPADDR_DOCUMENTATION },
	{ "3fff:fff::1", IPADDR_DOCUMENTATION },
	{ "3fff:1000::1", IPADDR_PUBLIC },
	{ "4000::1", IPADDR_RESERVED },
	{ "5f00::1", IPADDR_SRV6 },
	{ "fbff::1", IPADDR_RESERVED },
	{ "fc00::1", IPADDR_ULA },
	{ "fd12:3456::1", IPADDR_ULA },
	{ "fe80::1", IPADDR_LINK_LOCAL },
	{ "febf::1", IPADDR_LINK_LOCAL },
	{ "fec0::1", IPADDR_SITE_LOCAL },
	{ "ff02::1", IPADDR_MULTICAST },
	{ "ff0e::1", IPADDR_MULTICAST },
};

/* Every address in the table gets its class. */
static void
test_classify_table(void **state)
{
	uint8_t addr[16];
	size_t i, len = 0;

	(void)state;
	for (i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		const struct class_case *c = &class_cases[i];

		if (inet_pton(AF_INET, c->text, addr) == 1)
			len = 4;
		else if (inet_pton(AF_INET6, c->text, addr) == 1)
			len = 16;
		else
			fail_msg("table entry %s is not an address", c->text);
		if (ipaddr_classify(addr, len) != c->cls)
			fail_msg("%s: expected %s, got %s", c->text, ipaddr_class_name(c->cls),
			    ipaddr_class_name(ipaddr_classify(addr, len)));
		assert_int_equal(ipaddr_is_public(ipaddr_classify(addr, len)),
		    c->cls == IPADDR_PUBLIC);
	}
}

/* A length other than 4 or 16, or no bytes at all, is not an address. */
static void
test_classify_bad_length_is_invalid(void **state)
{
	static const uint8_t addr[16] = { 8, 8, 8, 8 };

	(void)state;
	assert_int_equal(ipaddr_classify(addr, 0), IPADDR_INVALID);
	assert_int_equal(ipaddr_classify(addr, 5), IPADDR_INVALID);
	assert_int_equal(ipaddr_classify(addr, 15), IPADDR_INVALID);
	assert_int_equal(ipaddr_classify(NULL, 4), IPADDR_INVALID);
	assert_false(ipaddr_is_public(IPADDR_INVALID));
}

/* Names for messages: the RFC 1918 one as the brief spells it, every class named. */
static void
test_class_names(void **state)
{
	int c, d;

	(void)state;
	assert_string_equal(ipaddr_class_name(IPADDR_PRIVATE), "private (RFC 1918)");
	assert_string_equal(ipaddr_class_name(IPADDR_PUBLIC), "public");
	assert_non_null(strstr(ipaddr_class_name(IPADDR_ULA), "RFC 4193"));
	assert_non_null(strstr(ipaddr_class_name(IPADDR_SHARED), "RFC 6598"));
	for (c = 0; c < IPADDR_CLASS_COUNT; c++) {
		const char *name = ipaddr_class_name((enum ipaddr_class)c);

		assert_non_null(name);
		assert_true(strlen(name) > 0 && strlen(name) < 48);
		/* Distinct names, so a message tells the classes apart. */
		for (d = 0; d < c; d++)
			assert_string_not_equal(name, ipaddr_class_name((enum ipaddr_class)d));
	}
	assert_string_equal(ipaddr_class_name(IPADDR_CLASS_COUNT), "invalid");
	assert_string_equal(ipaddr_class_name((enum ipaddr_class)999), "invalid");
}

/* Only public unicast counts as public. */
static void
test_only_public_is_public(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < IPADDR_CLASS_COUNT; c++)
		assert_int_equal(ipaddr_is_public((enum ipaddr_class)c), c == IPADDR_PUBLIC);
}

/* Address to text, and "?" where it cannot be written. */
static void
test_to_text(void **state)
{
	uint8_t addr[16];
	char out[IPADDR_TEXT_MAX], tiny[4];

	(void)state;
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", addr), 1);
	assert_string_equal(ipaddr_to_text(addr, 4, out, sizeof(out)), "192.0.2.1");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", addr), 1);
	assert_string_equal(ipaddr_to_text(addr, 16, out, sizeof(out)), "2001:db8::1");
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.0.1", addr), 1);
	assert_string_equal(ipaddr_to_text(addr, 16, out, sizeof(out)), "::ffff:10.0.0.1");
	assert_string_equal(ipaddr_to_text(addr, 7, out, sizeof(out)), "?");
	assert_string_equal(ipaddr_to_text(NULL, 4, out, sizeof(out)), "?");
	assert_string_equal(ipaddr_to_text(addr, 16, tiny, sizeof(tiny)), "?");
	assert_string_equal(ipaddr_to_text(addr, 16, NULL, 0), "?");
}

struct literal_case {
	const char *text;
	int rc;
	size_t len;
	const char *addr;	/* expected address in text form, when rc == 0 */
};

static const struct literal_case literal_cases[] = {
	{ "192.0.2.1", 0, 4, "192.0.2.1" },
	{ "[192.0.2.1]", 0, 4, "192.0.2.1" },
	{ "[IPv6:2001:db8::1]", 0, 16, "2001:db8::1" },
	{ "[ipv6:2001:db8::1]", 0, 16, "2001:db8::1" },
	{ "2001:db8::1", 0, 16, "2001:db8::1" },
	{ "[2001:db8::1]", 0, 16, "2001:db8::1" },
	{ "::ffff:10.0.0.1", 0, 16, "::ffff:10.0.0.1" },
	{ "mx.example.com", -1, 0, NULL },
	{ "127.1", -1, 0, NULL },		/* inet_aton shorthand: not strict */
	{ "0x7f.0.0.1", -1, 0, NULL },
	{ "1.2.3.4.5", -1, 0, NULL },
	{ "192.0.2.1.example.com", -1, 0, NULL },
	{ "192.0.2.256", -1, 0, NULL },
	{ "[192.0.2.1", -1, 0, NULL },
	{ "192.0.2.1]", -1, 0, NULL },
	{ "[mx.example.com]", -1, 0, NULL },
	{ "", -1, 0, NULL },
	{ "[]", -1, 0, NULL },
	{ "[IPv6:]", -1, 0, NULL },
	{ "[IPv6:mx.example.com]", -1, 0, NULL },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd", -1, 0, NULL },
};

/* Address literals as an MX exchange may hold them (RFC 5321 4.1.3). */
static void
test_parse_literal_table(void **state)
{
	uint8_t addr[16];
	char text[IPADDR_TEXT_MAX];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(literal_cases) / sizeof(literal_cases[0]); i++) {
		const struct literal_case *c = &literal_cases[i];
		int rc;

		len = 0;
		rc = ipaddr_parse_literal(c->text, addr, &len);
		if (rc != c->rc)
			fail_msg("\"%s\": expected %d, got %d", c->text, c->rc, rc);
		if (rc == 0) {
			assert_int_equal(len, c->len);
			assert_string_equal(ipaddr_to_text(addr, len, text, sizeof(text)),
			    c->addr);
		}
	}
	assert_int_equal(ipaddr_parse_literal(NULL, addr, &len), -1);
}

/* A very long string is refused without reading past it being a problem. */
static void
test_parse_literal_long_input(void **state)
{
	char longname[1024];
	uint8_t addr[16];
	size_t len;

	(void)state;
	memset(longname, '1', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ipaddr_parse_literal(longname, addr, &len), -1);
	longname[0] = '[';
	longname[sizeof(longname) - 2] = ']';
	assert_int_equal(ipaddr_parse_literal(longname, addr, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_bad_length_is_invalid),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_only_public_is_public),
		cmocka_unit_test(test_to_text),
		cmocka_unit_test(test_parse_literal_table),
		cmocka_unit_test(test_parse_literal_long_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
