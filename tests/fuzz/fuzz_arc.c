/*
 * fuzz_arc.c - libFuzzer harness: the ARC header field parsers (record/arc_parse.c).
 *
 * The input is one value, read as an ARC-Seal, an ARC-Message-Signature and an
 * ARC-Authentication-Results. Besides surviving it, the results must obey: an instance
 * is 0 or 1..ARC_MAX_INSTANCES; a usable field has one; the b= span to delete and the
 * borrowed values lie inside the input; strings are terminated inside their buffers;
 * at most ARC_AAR_MAX_PASSES passes are kept. A failed invariant traps (abort).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/arc_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the n bytes at p lie inside [data, data + size) (NULL with n 0 is fine). */
static int
inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (p == NULL)
		return n == 0;
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

/* Check the invariants of one parsed signature field. */
static void
check_sig(const struct arc_sig *s, int rc, const uint8_t *data, size_t size)
{
	if (s->instance > ARC_MAX_INSTANCES)
		abort();
	if (rc == 0 && (s->instance == 0 || s->err[0] != '\0' || s->b_len == 0))
		abort();
	if (rc != 0 && s->err[0] == '\0')
		abort();
	if (!inside(s->b, s->b_len, data, size) || !inside(s->bh, s->bh_len, data, size) ||
	    !inside(s->h, s->h_len, data, size))
		abort();
	if (s->b != NULL && (s->b_start > s->b_end || s->b_end > size))
		abort();
	if (memchr(s->err, '\0', sizeof(s->err)) == NULL || memchr(s->d, '\0', sizeof(s->d)) == NULL ||
	    memchr(s->s, '\0', sizeof(s->s)) == NULL || memchr(s->a, '\0', sizeof(s->a)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arc_sig s;
	struct arc_aar a;
	size_t i;
	int rc;

	rc = arc_sig_parse(ARC_FIELD_SEAL, data, size, &s);
	check_sig(&s, rc, data, size);
	if (s.h != NULL && rc == 0)
		abort();	/* h= in a seal makes it unusable */
	rc = arc_sig_parse(ARC_FIELD_AMS, data, size, &s);
	check_sig(&s, rc, data, size);
	rc = arc_aar_parse(data, size, &a);
	if (a.instance > ARC_MAX_INSTANCES || (rc == 0 && a.instance == 0) ||
	    a.npasses > ARC_AAR_MAX_PASSES)
		abort();
	for (i = 0; i < a.npasses; i++)
		if (memchr(a.passes[i].domain, '\0', sizeof(a.passes[i].domain)) == NULL)
			abort();
	(void)arc_field_kind_of((const char *)data, size);
	return 0;
}
