/*
 * test_mail_addr.c - author domains from From values, envelope domains from paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "record/mail_addr.h"

struct from_case {
	const char *value;
	const char *domains[3];		/* expected, in order; NULL-terminated */
	size_t naddrs, nmalformed;
};

static const struct from_case from_cases[] = {
	{ "user@Example.COM", { "example.com" }, 1, 0 },
	{ "\"Doe, John\" <john@example.com>", { "example.com" }, 1, 0 },
	{ "John (comment, with @at.example) <john@example.com>", { "example.com" }, 1, 0 },
	{ "<john@example.com> (trailing (nested) comment)", { "example.com" }, 1, 0 },
	{ "a@one.example, b@two.example", { "one.example", "two.example" }, 2, 0 },
	{ "a@same.example, B@SAME.example", { "same.example" }, 2, 0 },
	{ "Team: a@one.example, b@two.example;", { "one.example", "two.example" }, 2, 0 },
	{ "Undisclosed recipients:;", { NULL }, 0, 0 },
	{ "\"quoted@fake.example\" <real@real.example>", { "real.example" }, 1, 0 },
	{ "\"a\\\"b@c\" <x@d.example>", { "d.example" }, 1, 0 },
	{ "John\r\n\t<john@folded.example>", { "folded.example" }, 1, 0 },
	{ "< john @ spaced.example >", { "spaced.example" }, 1, 0 },
	{ "b\xc3\xbc" "cher@b\xc3\xbc" "cher.test", { "xn--bcher-kva.test" }, 1, 0 },
	{ "", { NULL }, 0, 0 },
	{ "no address here", { NULL }, 1, 1 },
	{ "john@", { NULL }, 1, 1 },
	{ "@example.com", { NULL }, 1, 1 },
	{ "john@[192.0.2.1]", { NULL }, 1, 1 },
	{ "john@bad..domain", { NULL }, 1, 1 },
	{ "<>", { NULL }, 1, 1 },
	{ "john@exa mple.com", { NULL }, 1, 1 },
	{ "a@x.example, garbage, b@y.example", { "x.example", "y.example" }, 3, 1 },
	{ "((((unclosed comment a@b.example", { NULL }, 0, 0 },
	{ "\"unclosed quote a@b.example", { NULL }, 1, 1 },
};

/* Each From value yields the expected domains and counts. */
static void
test_mail_addr_from_table(void **state)
{
	struct mail_addr_list list;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		const struct from_case *c = &from_cases[i];

		mail_addr_from_header(c->value, strlen(c->value), &list);
		for (j = 0; c->domains[j] != NULL; j++) {
			if (j >= list.ndomains)
				fail_msg("case %zu (%s): domain %zu missing", i, c->value, j);
			assert_string_equal(list.domains[j], c->domains[j]);
		}
		if (list.ndomains != j || list.naddrs != c->naddrs ||
		    list.nmalformed != c->nmalformed)
			fail_msg("case %zu (%s): got %zu domains %zu addrs %zu malformed", i,
			    c->value, list.ndomains, list.naddrs, list.nmalformed);
	}
}

/* More distinct domains than MAIL_ADDR_MAX are counted, not stored. */
static void
test_mail_addr_from_bounded(void **state)
{
	char value[2048];
	struct mail_addr_list list;
	size_t i, len = 0;

	(void)state;
	for (i = 0; i < MAIL_ADDR_MAX + 3; i++)
		len += (size_t)snprintf(value + len, sizeof(value) - len, "%su@d%zu.example",
		    i ? ", " : "", i);
	mail_addr_from_header(value, len, &list);
	assert_int_equal(list.ndomains, MAIL_ADDR_MAX);
	assert_int_equal(list.ndropped, 3);
	/* A value with NUL bytes and a huge length is cut at MAIL_ADDR_INPUT_MAX. */
	{
		static char big[MAIL_ADDR_INPUT_MAX * 2];

		memset(big, 'a', sizeof(big));
		memcpy(big, "x@first.example,", 16);
		big[20] = '\0';
		mail_addr_from_header(big, sizeof(big), &list);
		assert_int_equal(list.ndomains, 1);
		assert_string_equal(list.domains[0], "first.example");
	}
}

/* Envelope paths: brackets, source routes, the null path. */
static void
test_mail_addr_envelope(void **state)
{
	static const struct {
		const char *path;
		const char *domain;	/* NULL: -1 */
	} cases[] = {
		{ "<user@Example.com>", "example.com" },
		{ "user@example.org", "example.org" },
		{ "<@relay.example,@r2.example:user@final.example>", "final.example" },
		{ "<\"odd local\"@quoted.example>", "quoted.example" },
		{ "<>", NULL },
		{ "", NULL },
		{ "<user>", NULL },
		{ "<a@b.example, c@d.example>", NULL },
	};
	char domain[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = mail_addr_envelope_domain(cases[i].path, domain, sizeof(domain));

		if (cases[i].domain == NULL) {
			if (rc != -1)
				fail_msg("%s: expected no domain, got %s", cases[i].path, domain);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(domain, cases[i].domain);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_addr_from_table),
		cmocka_unit_test(test_mail_addr_from_bounded),
		cmocka_unit_test(test_mail_addr_envelope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
