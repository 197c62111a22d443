/*
 * name.c - domain names from users and messages: validation and A-label conversion.
 *
 *   posture_name_normalize()  IDN (UTF-8) -> lower-case A-labels, LDH checked
 *
 * What can go wrong: empty labels, labels over 63 octets, names over 253 octets,
 * bytes outside letters, digits and hyphen, labels starting or ending with a hyphen,
 * invalid IDNs. Each is refused with a reason and never reaches the resolver.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "posture.h"

/* Check one LDH label of len octets (RFC 1035 2.3.1, RFC 5891 4.2.3.1). */
static const char *
label_check(const char *label, size_t len)
{
	size_t i;

	if (len == 0)
		return "empty label";
	if (len > 63)
		return "label longer than 63 octets";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];

		if (!isalnum(c) && c != '-')
			return "character outside letters, digits and hyphen";
	}
	if (label[0] == '-' || label[len - 1] == '-')
		return "label starts or ends with a hyphen";
	return NULL;
}

/* Validate an ASCII name and copy it lower-cased, without a trailing dot. */
static int
ascii_normalize(const char *in, char *out, size_t outlen, const char **why)
{
	size_t len = strlen(in), start, i;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty domain name";
		return -1;
	}
	if (len > 253) {
		*why = "domain name longer than 253 octets";
		return -1;
	}
	if (len + 1 > outlen) {
		*why = "domain name too long";
		return -1;
	}
	for (start = 0, i = 0; i <= len; i++) {
		if (i == len || in[i] == '.') {
			if ((*why = label_check(in + start, i - start)) != NULL)
				return -1;
			start = i + 1;
		}
	}
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
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
		*why = "domain name longer than 253 octets";
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
