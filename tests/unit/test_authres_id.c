/*
 * test_authres_id.c - authres_id_is(): which Authentication-Results and X-Domain-Posture
 * values carry our authserv-id (RFC 8601 2.2), so that forged copies are removed
 * (RFC 8601 5). The id is a token or a quoted-string; CFWS and an authserv-version may
 * surround it; anything else is someone else's field and stays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "record/authres_id.h"

#define ID "mx.example.net"

/* Fail naming the value when authres_id_is() does not answer want for it. */
static void
expect(const char *value, bool want)
{
	if (authres_id_is(value, ID) != want)
		fail_msg("authres_id_is(\"%s\", \"" ID "\") is %s, expected %s", value,
		    want ? "false" : "true", want ? "true" : "false");
}

/* The token form, in its case, comment, folding and version variants. */
static void
test_authres_id_token(void **state)
{
	(void)state;
	expect(ID "; dmarc=pass", true);
	expect(" " ID ";", true);
	expect("MX.Example.NET; spf=pass", true);
	expect(ID " (comment); dmarc=pass", true);
	expect("(c (nested \\) )) " ID "; dmarc=pass", true);
	expect(ID "\r\n\t; dmarc=pass", true);
	expect(ID " 1; dmarc=pass", true);
	expect(ID " (v) 12 (w) ; dmarc=pass", true);
}

/* RFC 8601 2.2: the authserv-id may be a quoted-string (RFC 5322 3.2.4). */
static void
test_authres_id_quoted(void **state)
{
	(void)state;
	expect("\"" ID "\"; dmarc=pass", true);
	expect(" \"" ID "\";", true);
	expect("\"MX.EXAMPLE.net\"; dmarc=pass", true);
	expect("(c) \"" ID "\" (c); dmarc=pass", true);
	expect("\"" ID "\" 1; dmarc=pass", true);
	expect("\"" ID "\"1; dmarc=pass", true);
	/* Quoted-pairs stand for the character they quote. */
	expect("\"mx\\.example\\.net\"; dmarc=pass", true);
	expect("\"\\m\\x.example.net\"; dmarc=pass", true);
	/* A reader that trims the content sees our id: removing it costs nothing. */
	expect("\" " ID "\t\"; dmarc=pass", true);
	expect("\"\r\n " ID "\"; dmarc=pass", true);
}

/* Someone else's id, or no complete id at all, is not ours. */
static void
test_authres_id_not_ours(void **state)
{
	(void)state;
	expect("", false);
	expect(ID, false);
	expect(ID " ", false);
	expect(ID "x; spf=pass", false);
	expect(ID ".evil; spf=pass", false);
	expect("mx.example.ne; spf=pass", false);
	expect("other.example; spf=pass", false);
	expect("other.example (" ID "); spf=pass", false);
	expect("(" ID ") other.example; spf=pass", false);
	expect("(" ID "; spf=pass", false);
	expect(ID " 1x; spf=pass", false);
	expect(ID " dmarc=pass", false);
	expect("\"" ID ".evil\"; spf=pass", false);
	expect("\"" ID "x\"; spf=pass", false);
	expect("\"mx.example.ne\"; spf=pass", false);
	expect("\"\"; spf=pass", false);
	expect("\"mx.example .net\"; spf=pass", false);
	expect("\"" ID "\" x; spf=pass", false);
	expect("\"" ID "\" dmarc=pass", false);
	expect("\"" ID "; spf=pass", false);		/* unterminated quoted-string */
	expect("\"" ID "\\\"; spf=pass", false);	/* the closing quote is quoted */
	expect("\"" ID "\\", false);
	expect("\"" ID, false);
	expect("\"", false);
	expect("\"\"" ID "\"\"; spf=pass", false);
	expect("'" ID "'; spf=pass", false);
}

/* An empty authserv-id matches nothing, not even an empty quoted-string. */
static void
test_authres_id_empty_id(void **state)
{
	(void)state;
	assert_false(authres_id_is("; spf=pass", ""));
	assert_false(authres_id_is("\"\"; spf=pass", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authres_id_token),
		cmocka_unit_test(test_authres_id_quoted),
		cmocka_unit_test(test_authres_id_not_ours),
		cmocka_unit_test(test_authres_id_empty_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
