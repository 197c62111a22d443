/*
 * fuzz_authres_id.c - libFuzzer harness: is a header value ours (authres_id_is)?
 *
 * The input is the value (any bytes up to the first NUL). Besides surviving it, the
 * answer must obey these properties, whatever follows the prefix: the value with
 * "test.local;" or the quoted-string "\"test.local\";" in front is ours (RFC 8601 2.2
 * allows both forms), and with "test.local.evil;" or "\"test.local.evil\";" in front
 * it is not (a longer id is someone else's, quoted or not).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/authres_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID "test.local"

/* Put prefix in front of the size bytes at data in v; v holds size + strlen(prefix) + 1. */
static void
prefixed(char *v, const char *prefix, const uint8_t *data, size_t size)
{
	size_t plen = strlen(prefix);

	memcpy(v, prefix, plen);
	memcpy(v + plen, data, size);
	v[plen + size] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ours[] = { ID ";", "\"" ID "\";" };
	static const char *const theirs[] = { ID ".evil;", "\"" ID ".evil\";" };
	const size_t room = sizeof("\"" ID ".evil\";");
	size_t i;
	char *v;

	v = malloc(size + room);
	if (v == NULL)
		return 0;
	prefixed(v, "", data, size);
	(void)authres_id_is(v, ID);
	(void)authres_id_is(v, "");
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		prefixed(v, ours[i], data, size);
		if (!authres_id_is(v, ID))
			abort();
		prefixed(v, theirs[i], data, size);
		if (authres_id_is(v, ID))
			abort();
	}
	free(v);
	return 0;
}
