/*
 * fuzz_store_codec.c - libFuzzer harness: posture memory values (store_codec.c).
 *
 * The input is a value as Redis or a disk might hand it back: any bytes. It is decoded
 * as each kind (a snapshot of this build's shape with config 0, for any domain;
 * selectors; history). Besides surviving that, whatever decodes OK must encode again
 * and decode to the same thing, byte for byte (the format has one spelling of each
 * value): the encoders accept everything the decoders do, and nothing is lost on the
 * way (abort() otherwise).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether two snapshots hold the same things. */
static bool
posture_same(const struct posture_eval *a, const struct posture_eval *b)
{
	size_t i;

	if (strcmp(a->domain, b->domain) != 0 || a->grade != b->grade || a->ttl != b->ttl ||
	    a->dns.queries != b->dns.queries || a->dns.rounds != b->dns.rounds ||
	    a->dns.elapsed_ms != b->dns.elapsed_ms || a->nfindings != b->nfindings)
		return false;
	for (i = 0; i < PF_COUNT; i++)
		if (a->family[i].result != b->family[i].result ||
		    strcmp(a->family[i].fact, b->family[i].fact) != 0)
			return false;
	for (i = 0; i < a->nfindings; i++)
		if (a->findings[i].code != b->findings[i].code ||
		    a->findings[i].severity != b->findings[i].severity ||
		    a->findings[i].family != b->findings[i].family ||
		    strcmp(a->findings[i].message, b->findings[i].message) != 0)
			return false;
	return true;
}

/* Decode as a snapshot; when OK, encode, decode and compare. */
static void
fuzz_posture(const uint8_t *data, size_t size)
{
	struct store_shape shape;
	struct posture_eval *a = NULL, *b = NULL;
	uint64_t st = 0, ex = 0, st2 = 0, ex2 = 0;
	uint8_t *p = NULL;
	size_t len = 0;

	store_shape_init(&shape, 0);
	if (store_decode_posture(data, size, &shape, NULL, &a, &st, &ex) != STORE_DECODE_OK)
		return;
	if (store_encode_posture(a, &shape, st, ex, &p, &len) != 0 ||
	    store_decode_posture(p, len, &shape, a->domain, &b, &st2, &ex2) != STORE_DECODE_OK ||
	    st != st2 || ex != ex2 || !posture_same(a, b) || len != size ||
	    memcmp(p, data, size) != 0)
		abort();
	posture_eval_free(a);
	posture_eval_free(b);
	free(p);
}

/* Decode as selectors; when OK, encode, decode and compare. */
static void
fuzz_selectors(const uint8_t *data, size_t size)
{
	struct store_selectors a, b;
	uint8_t *p = NULL;
	size_t len = 0, i;

	if (store_decode_selectors(data, size, &a) != STORE_DECODE_OK)
		return;
	if (store_encode_selectors(&a, &p, &len) != 0 ||
	    store_decode_selectors(p, len, &b) != STORE_DECODE_OK || a.n != b.n ||
	    len != size || memcmp(p, data, size) != 0)
		abort();
	for (i = 0; i < a.n; i++)
		if (strcmp(a.sel[i].name, b.sel[i].name) != 0 ||
		    a.sel[i].first_s != b.sel[i].first_s || a.sel[i].last_s != b.sel[i].last_s)
			abort();
	free(p);
}

/* Decode as history; when OK, encode, decode and compare. */
static void
fuzz_history(const uint8_t *data, size_t size)
{
	struct store_history a, b;
	uint8_t *p = NULL;
	size_t len = 0, i, j;

	if (store_decode_history(data, size, &a) != STORE_DECODE_OK) {
		store_history_free(&a);
		return;
	}
	if (store_encode_history(&a, &p, &len) != 0 ||
	    store_decode_history(p, len, &b) != STORE_DECODE_OK || a.nrec != b.nrec ||
	    memcmp(a.last_result, b.last_result, sizeof(a.last_result)) != 0 ||
	    memcmp(a.last_result_s, b.last_result_s, sizeof(a.last_result_s)) != 0 ||
	    len != size || memcmp(p, data, size) != 0)
		abort();
	for (i = 0; i < a.nrec; i++) {
		if (strcmp(a.rec[i].name, b.rec[i].name) != 0 ||
		    a.rec[i].family != b.rec[i].family || a.rec[i].nv != b.rec[i].nv)
			abort();
		for (j = 0; j < a.rec[i].nv; j++)
			if (strcmp(a.rec[i].v[j].value, b.rec[i].v[j].value) != 0 ||
			    a.rec[i].v[j].first_s != b.rec[i].v[j].first_s ||
			    a.rec[i].v[j].last_s != b.rec[i].v[j].last_s)
				abort();
	}
	store_history_free(&a);
	store_history_free(&b);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_posture(data, size);
	fuzz_selectors(data, size);
	fuzz_history(data, size);
	return 0;
}
