/*
 * fuzz_mail_addr.c - libFuzzer harness: From values and envelope paths.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/mail_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_addr_list list;
	char domain[256], *path;

	mail_addr_from_header((const char *)data, size, &list);
	if (list.ndomains > MAIL_ADDR_MAX)
		abort();
	path = malloc(size + 1);
	if (path == NULL)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	(void)mail_addr_envelope_domain(path, domain, sizeof(domain));
	free(path);
	return 0;
}
