/*
 * fuzz_authres_id.c - libFuzzer harness: is a header value ours (authres_id_is)?
 *
 * The input is the value (any bytes up to the first NUL). Besides surviving it, the
 * answer must obey two properties: the value with "test.local;" in front is ours, and
 * the value with "test.local.evil;" in front is not (a longer id is someone else's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/authres_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID "test.local"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char evil[] = ID ".evil;";
	char *v;

	v = malloc(size + sizeof(evil));
	if (v == NULL)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	(void)authres_id_is(v, ID);
	(void)authres_id_is(v, "");
	memmove(v + sizeof(ID), v, size + 1);
	memcpy(v, ID ";", sizeof(ID));
	if (!authres_id_is(v, ID))
		abort();
	memmove(v + sizeof(evil) - 1, v + sizeof(ID), size + 1);
	memcpy(v, evil, sizeof(evil) - 1);
	if (authres_id_is(v, ID))
		abort();
	free(v);
	return 0;
}
