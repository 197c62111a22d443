/*
 * name.c - domain names from users and messages: validation and A-label conversion.
 *
 *   posture_name_normalize()  IDN (UTF-8) -> lower-case A-labels, LDH checked
 *
 * What can go wrong: empty labels, labels over 63 octets, names over 253 octets,
 * bytes outside letters, digits and hyphen, labels starting or ending with a hyphen
 * (the LDH rule of dnsname.c, worded here as users have always read it), invalid IDNs.
 * Each is refused with a reason and never reaches the resolver.
 */
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "posture.h"
#include "util/ascii.h"
#include "util/dnsname.h"

/* The reason shown for a name refused by the LDH rule (the words users have seen). */
static const char *
ldh_reason(enum dns_name_error err)
{
	switch (err) {
	case DNS_NAME_OK:		return NULL;
	case DNS_NAME_ERR_EMPTY:	return "empty domain name";
	case DNS_NAME_ERR_TOO_LONG:	return "domain name longer than 253 octets";
	case DNS_NAME_ERR_EMPTY_LABEL:	return "empty label";
	case DNS_NAME_ERR_LONG_LABEL:	return "label longer than 63 octets";
	case DNS_NAME_ERR_HYPHEN_START:
	case DNS_NAME_ERR_HYPHEN_END:	return "label starts or ends with a hyphen";
	case DNS_NAME_ERR_BAD_BYTE:
	case DNS_NAME_ERR_WILDCARD:	break;
	}
	return "character outside letters, digits and hyphen";
}

/* Validate an ASCII name (LDH, RFC 5891 4.2.3.1) and copy it lower-cased, no final dot. */
static int
ascii_normalize(const char *in, char *out, size_t outlen, const char **why)
{
	size_t len = strlen(in), i;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if ((*why = ldh_reason(dns_name_check(in, len, DNS_NAME_LDH))) != NULL)
		return -1;
	if (len + 1 > outlen) {
		*why = "domain name too long";
		return -1;
	}
	for (i = 0; i < len; i++)
		out[i] = (char)ascii_lower((unsigned char)in[i]);
	out[len] = '\0';
	return 0;
}

/* Validate a name and write it as lower-case A-labels. */
int
posture_name_normalize(const char *in, char *out, size_t outlen, const char **why)
{
	const unsigned char *p;
	char *alabels = NULL;
	int rc;

	*why = NULL;
	if (in == NULL || *in == '\0') {
		*why = "empty domain name";
		return -1;
	}
	if (strlen(in) > 1024) {
		*why = ldh_reason(DNS_NAME_ERR_TOO_LONG);
		return -1;
	}
	for (p = (const unsigned char *)in; *p; p++)
		if (*p >= 0x80)
			break;
	if (*p == '\0')
		return ascii_normalize(in, out, outlen, why);

	/* RFC 5891: a U-label name is converted with IDNA2008 (plus TR46 mapping). */
	rc = idn2_to_ascii_8z(in, &alabels, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK) {
		*why = "invalid internationalized domain name";
		return -1;
	}
	rc = ascii_normalize(alabels, out, outlen, why);
	idn2_free(alabels);
	return rc;
}
