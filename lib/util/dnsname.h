/*
 * dnsname.h - the one rule for a DNS name written as text: its length, its labels and
 * the bytes a label may hold, under the flags a caller names.
 *
 *   dns_name_check()       why n bytes are not a name under the flags, as a code
 *   dns_name_error_text()  a code's fixed reason, worded for the byte class of the flags
 *   dns_name_problem()     dns_name_check() as a reason, or NULL for a name
 *
 * Callers keep their own rules on top (fully qualified, an all-digit top label, IP
 * literals, lower-case copies) and may word a code their own way. Nothing is copied
 * and nothing is allocated: the bytes are only read, n of them, NUL included.
 */
#ifndef POSTURE_DNSNAME_H
#define POSTURE_DNSNAME_H

#include <stddef.h>

#define DNS_NAME_MAX	253	/* text octets without the trailing dot (RFC 1035 2.3.4) */
#define DNS_LABEL_MAX	63	/* octets of one label (RFC 1035 2.3.4) */

/*
 * What a label may hold: one of the three byte classes (the first one set wins; none
 * is DNS_NAME_ASKABLE), plus the two modifiers.
 */
#define DNS_NAME_LDH		0x01u	/* host names: letters, digits, "-" not first or
					   last in a label (RFC 1035 2.3.1, RFC 5890 2.3.1) */
#define DNS_NAME_UNDERSCORE	0x02u	/* DKIM selectors and key names: letters, digits,
					   "-" and "_" anywhere (RFC 6376 3.1, RFC 8552) */
#define DNS_NAME_ASKABLE	0x04u	/* any byte %x20-7E but "\": what our resolver
					   can ask (RFC 2181 11: DNS itself allows any) */
#define DNS_NAME_WILDCARD	0x08u	/* a leftmost label "*" ("*.rest") allowed */
#define DNS_NAME_TRAILING_DOT	0x10u	/* one trailing dot allowed, not counted */

/* Why bytes are not a name. */
enum dns_name_error {
	DNS_NAME_OK = 0,
	DNS_NAME_ERR_EMPTY,		/* no bytes (or only "*." or the allowed dot) */
	DNS_NAME_ERR_TOO_LONG,		/* more than DNS_NAME_MAX octets */
	DNS_NAME_ERR_EMPTY_LABEL,	/* "a..b", ".a", "a." (without TRAILING_DOT) */
	DNS_NAME_ERR_LONG_LABEL,	/* a label of more than DNS_LABEL_MAX octets */
	DNS_NAME_ERR_BAD_BYTE,		/* a byte outside the class */
	DNS_NAME_ERR_HYPHEN_START,	/* LDH: a label starts with "-" */
	DNS_NAME_ERR_HYPHEN_END,	/* LDH: a label ends with "-" */
	DNS_NAME_ERR_WILDCARD		/* WILDCARD: a "*" that is not the leftmost label */
};

/*
 * Check n bytes at name under flags. Problems are found in this order: an empty name,
 * a name too long, then left to right, the first problem of the first bad label (the
 * byte that breaks it, or its end). Returns DNS_NAME_OK for a name.
 */
enum dns_name_error dns_name_check(const void *name, size_t n, unsigned flags);

/* The fixed reason text of err under flags ("a label longer than 63 bytes"); NULL for OK. */
const char *dns_name_error_text(enum dns_name_error err, unsigned flags);

/* Why n bytes are not a name under flags, as a fixed reason text; NULL for a name. */
const char *dns_name_problem(const void *name, size_t n, unsigned flags);

#endif
