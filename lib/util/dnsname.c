/*
 * dnsname.c - the one rule for a DNS name written as text (dnsname.h).
 *
 *   dns_name_check()       why n bytes are not a name under the flags, as a code
 *   dns_name_error_text()  a code's fixed reason text
 *   dns_name_problem()     the two together
 *
 * What can go wrong: nothing here trusts the bytes; every read is at an index below n,
 * a NUL is a byte like any other (outside every class), and nothing is written.
 */
#include <stdbool.h>

#include "util/ascii.h"
#include "util/dnsname.h"

/* Whether byte c may stand in a label under the byte class of flags. */
static bool
byte_allowed(unsigned char c, unsigned flags)
{
	if (flags & DNS_NAME_LDH)
		return ascii_is_ldh(c);
	if (flags & DNS_NAME_UNDERSCORE)
		return ascii_is_ldh(c) || c == '_';
	return c >= 0x20 && c <= 0x7e && c != '\\';
}

/* Check n bytes at name under flags (RFC 1035 2.3.1, 2.3.4). */
enum dns_name_error
dns_name_check(const void *name, size_t n, unsigned flags)
{
	const unsigned char *p = name;
	bool ldh = (flags & DNS_NAME_LDH) != 0;
	size_t i = 0, label = 0;

	if ((flags & DNS_NAME_TRAILING_DOT) && n > 0 && p[n - 1] == '.')
		n--;
	/* RFC 4592 2.1.1: "*" as the whole leftmost label; it counts toward the length */
	if ((flags & DNS_NAME_WILDCARD) && n >= 2 && p[0] == '*' && p[1] == '.')
		i = 2;
	if (n == i)
		return DNS_NAME_ERR_EMPTY;
	if (n > DNS_NAME_MAX)
		return DNS_NAME_ERR_TOO_LONG;
	for (; i < n; i++) {
		unsigned char c = p[i];

		if (c == '.') {
			if (label == 0)
				return DNS_NAME_ERR_EMPTY_LABEL;
			if (ldh && p[i - 1] == '-')
				return DNS_NAME_ERR_HYPHEN_END;
			label = 0;
			continue;
		}
		if (!byte_allowed(c, flags))
			return c == '*' && (flags & DNS_NAME_WILDCARD) ?
			    DNS_NAME_ERR_WILDCARD : DNS_NAME_ERR_BAD_BYTE;
		if (ldh && label == 0 && c == '-')
			return DNS_NAME_ERR_HYPHEN_START;
		if (++label > DNS_LABEL_MAX)
			return DNS_NAME_ERR_LONG_LABEL;
	}
	if (label == 0)
		return DNS_NAME_ERR_EMPTY_LABEL;
	if (ldh && p[n - 1] == '-')
		return DNS_NAME_ERR_HYPHEN_END;
	return DNS_NAME_OK;
}

/* The fixed reason text of err; the bad-byte text names the class of flags. */
const char *
dns_name_error_text(enum dns_name_error err, unsigned flags)
{
	switch (err) {
	case DNS_NAME_OK:		return NULL;
	case DNS_NAME_ERR_EMPTY:	return "an empty name";
	case DNS_NAME_ERR_TOO_LONG:	return "a name longer than 253 bytes";
	case DNS_NAME_ERR_EMPTY_LABEL:	return "an empty label";
	case DNS_NAME_ERR_LONG_LABEL:	return "a label longer than 63 bytes";
	case DNS_NAME_ERR_HYPHEN_START:	return "a label that starts with \"-\"";
	case DNS_NAME_ERR_HYPHEN_END:	return "a label that ends with \"-\"";
	case DNS_NAME_ERR_WILDCARD:	return "a \"*\" that is not the whole leftmost label";
	case DNS_NAME_ERR_BAD_BYTE:
		if (flags & DNS_NAME_LDH)
			return "a byte that is not a letter, digit or \"-\"";
		if (flags & DNS_NAME_UNDERSCORE)
			return "a byte that is not a letter, digit, \"-\" or \"_\"";
		return "a control, non-ASCII or backslash byte";
	}
	return "not a DNS name";
}

/* Why n bytes are not a name under flags, or NULL. */
const char *
dns_name_problem(const void *name, size_t n, unsigned flags)
{
	return dns_name_error_text(dns_name_check(name, n, flags), flags);
}
