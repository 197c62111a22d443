/*
 * test_store_codec.c - the values of posture memory (lib/store/store_codec.c).
 *
 * Round trips of each kind; every prefix of a valid value decodes BAD or OTHER, never
 * OK and never out of bounds (run under ASan by make check); another schema, kind,
 * shape or family count is OTHER; out-of-range enums, broken strings, counts over
 * their caps and trailing bytes are BAD; the encoders refuse what would not decode;
 * the selector list's note and expire rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store/store_codec.h"

#define T_STORED 1700000000ULL
#define T_EXPIRE 1700003600ULL

/* A finding with a copied message. */
static void
set_finding(struct posture_finding *f, enum posture_code code, const char *msg)
{
	f->code = code;
	f->family = posture_code_family(code);
	f->severity = posture_code_severity(code);
	f->message = strdup(msg);
	assert_non_null(f->message);
}

/* An evaluation of example.org with three findings, the last with message "m". */
static struct posture_eval *
sample_eval(void)
{
	struct posture_eval *ev = calloc(1, sizeof(*ev));
	size_t i;

	assert_non_null(ev);
	strcpy(ev->domain, "example.org");
	strcpy(ev->input, "Example.ORG");
	ev->grade = 'B';
	for (i = 0; i < PF_COUNT; i++)
		ev->family[i].result = PR_OK;
	ev->family[PF_SPF].result = PR_WEAK;
	strcpy(ev->family[PF_SPF].fact, "~all");
	ev->family[PF_BIMI].result = PR_NOT_CHECKED;
	strcpy(ev->family[PF_MX].fact, "2 hosts");
	ev->dns.queries = 17;
	ev->dns.rounds = 4;
	ev->dns.elapsed_ms = 123;
	ev->ttl = 300;
	ev->nfindings = 3;
	ev->findings = calloc(3, sizeof(*ev->findings));
	assert_non_null(ev->findings);
	set_finding(&ev->findings[0], PC_SPF_NO_ALL, "SPF record has no all (RFC 7208 5.1)");
	set_finding(&ev->findings[1], PC_DMARC_POLICY_NONE, "p=none (RFC 7489 6.3)");
	ev->findings[1].severity = SEV_ERROR;	/* a check may raise another severity */
	set_finding(&ev->findings[2], PC_MX_SINGLE, "m");
	snprintf(ev->selectors[0], sizeof(ev->selectors[0]), "s1");
	snprintf(ev->selectors[1], sizeof(ev->selectors[1]), "mail.2026");
	ev->nselectors = 2;
	return ev;
}

/* Encode the sample with this build's shape (config 7). */
static void
sample_bytes(uint8_t **out, size_t *len, struct store_shape *shape)
{
	struct posture_eval *ev = sample_eval();

	store_shape_init(shape, 7);
	assert_int_equal(store_encode_posture(ev, shape, T_STORED, T_EXPIRE, out, len), 0);
	posture_eval_free(ev);
}

/* Decode with the sample's shape and domain. */
static enum store_decode
decode_sample(const uint8_t *p, size_t len, struct posture_eval **ev)
{
	struct store_shape shape;

	store_shape_init(&shape, 7);
	return store_decode_posture(p, len, &shape, "example.org", ev, NULL, NULL);
}

static void
test_shape_catalogue_is_stable_and_config_kept(void **state)
{
	struct store_shape a, b;

	(void)state;
	store_shape_init(&a, 1);
	store_shape_init(&b, 2);
	assert_int_equal(a.catalogue, b.catalogue);
	assert_int_not_equal(a.catalogue, 0);
	assert_int_not_equal(a.catalogue, 2166136261u);	/* something was hashed */
	assert_int_equal(a.config, 1);
	assert_int_equal(b.config, 2);
}

static void
test_posture_round_trip(void **state)
{
	struct posture_eval *in = sample_eval(), *out = NULL;
	struct store_shape shape;
	uint8_t *p;
	size_t len, i;
	uint64_t stored = 0, expire = 0;

	(void)state;
	store_shape_init(&shape, 7);
	assert_int_equal(store_encode_posture(in, &shape, T_STORED, T_EXPIRE, &p, &len), 0);
	assert_memory_equal(p, "PM", 2);
	assert_int_equal(p[2], STORE_SCHEMA);
	assert_int_equal(store_decode_posture(p, len, &shape, "example.org", &out, &stored,
					      &expire), STORE_DECODE_OK);
	assert_non_null(out);
	assert_int_equal(stored, T_STORED);
	assert_int_equal(expire, T_EXPIRE);
	assert_string_equal(out->domain, "example.org");
	assert_string_equal(out->input, "example.org");
	assert_null(out->error);
	assert_int_equal(out->grade, 'B');
	for (i = 0; i < PF_COUNT; i++) {
		assert_int_equal(out->family[i].result, in->family[i].result);
		assert_string_equal(out->family[i].fact, in->family[i].fact);
	}
	assert_int_equal(out->dns.queries, 17);
	assert_int_equal(out->dns.rounds, 4);
	assert_int_equal(out->dns.elapsed_ms, 123);
	assert_int_equal(out->ttl, 300);
	assert_int_equal(out->nfindings, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(out->findings[i].code, in->findings[i].code);
		assert_int_equal(out->findings[i].family, in->findings[i].family);
		assert_int_equal(out->findings[i].severity, in->findings[i].severity);
		assert_string_equal(out->findings[i].message, in->findings[i].message);
	}
	/* The selectors checked travel with the snapshot; records do not. */
	assert_int_equal(out->nselectors, 2);
	assert_string_equal(out->selectors[0], "s1");
	assert_string_equal(out->selectors[1], "mail.2026");
	assert_int_equal(out->nrecords, 0);
	/* Any domain when the caller names none (tools, the fuzz harness). */
	posture_eval_free(out);
	assert_int_equal(store_decode_posture(p, len, &shape, NULL, &out, NULL, NULL),
			 STORE_DECODE_OK);
	posture_eval_free(out);
	posture_eval_free(in);
	free(p);
}

static void
test_posture_without_findings_round_trips(void **state)
{
	struct posture_eval *in = calloc(1, sizeof(*in)), *out = NULL;
	struct store_shape shape;
	uint8_t *p;
	size_t len;

	(void)state;
	assert_non_null(in);
	strcpy(in->domain, "a.example");
	store_shape_init(&shape, 0);
	assert_int_equal(store_encode_posture(in, &shape, 0, 0, &p, &len), 0);
	assert_int_equal(store_decode_posture(p, len, &shape, "a.example", &out, NULL, NULL),
			 STORE_DECODE_OK);
	assert_int_equal(out->nfindings, 0);
	assert_null(out->findings);
	assert_int_equal(out->grade, 0);
	posture_eval_free(out);
	posture_eval_free(in);
	free(p);
}

static void
test_posture_every_prefix_is_not_ok(void **state)
{
	struct store_shape shape;
	struct posture_eval *ev;
	enum store_decode rc;
	uint8_t *p, *copy;
	size_t len, n;

	(void)state;
	sample_bytes(&p, &len, &shape);
	for (n = 0; n < len; n++) {
		/* An exact-size copy, so ASan sees a read past the prefix. */
		copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, p, n);
		ev = (struct posture_eval *)1;
		rc = decode_sample(copy, n, &ev);
		assert_true(rc == STORE_DECODE_BAD || rc == STORE_DECODE_OTHER);
		assert_null(ev);
		free(copy);
	}
	free(p);
}

/* Decode the sample with byte off set to v. */
static enum store_decode
decode_patched(size_t off, uint8_t v)
{
	struct store_shape shape;
	struct posture_eval *ev = NULL;
	enum store_decode rc;
	uint8_t *p;
	size_t len;

	sample_bytes(&p, &len, &shape);
	assert_true(off < len);
	p[off] = v;
	rc = decode_sample(p, len, &ev);
	if (rc != STORE_DECODE_OK)
		assert_null(ev);
	posture_eval_free(ev);
	free(p);
	return rc;
}

static void
test_posture_other_schema_kind_shape(void **state)
{
	struct store_shape shape, other;
	struct store_selectors sel;
	struct store_history h;
	struct posture_eval *ev = NULL;
	uint8_t *p;
	size_t len;

	(void)state;
	assert_int_equal(decode_patched(2, STORE_SCHEMA + 1), STORE_DECODE_OTHER);
	assert_int_equal(decode_patched(3, 2), STORE_DECODE_OTHER);	/* kind */
	assert_int_equal(decode_patched(3, 99), STORE_DECODE_OTHER);	/* a future kind */
	sample_bytes(&p, &len, &shape);
	assert_int_equal(decode_patched(4, (uint8_t)~(shape.catalogue >> 24)),
			 STORE_DECODE_OTHER);	/* catalogue */
	other = shape;
	other.config = 8;
	assert_int_equal(store_decode_posture(p, len, &other, "example.org", &ev, NULL, NULL),
			 STORE_DECODE_OTHER);
	assert_null(ev);
	assert_int_equal(store_decode_selectors(p, len, &sel), STORE_DECODE_OTHER);
	assert_int_equal(sel.n, 0);
	assert_int_equal(store_decode_history(p, len, &h), STORE_DECODE_OTHER);
	assert_int_equal(h.nrec, 0);
	store_history_free(&h);
	free(p);
}

static void
test_posture_bad_values(void **state)
{
	struct store_shape shape;
	struct posture_eval *ev = NULL;
	uint8_t *p, *longer;
	size_t len, last, sel;

	(void)state;
	sample_bytes(&p, &len, &shape);
	sel = len - 14;		/* nsel:u8, then "s1" and "mail.2026" as str8 */
	last = sel - 7;		/* the last finding: code:u16 sev fam len:u16 "m" */
	free(p);
	assert_int_equal(decode_patched(sel, POSTURE_MAX_SELECTORS + 1), STORE_DECODE_BAD);
	assert_int_equal(decode_patched(sel, 3), STORE_DECODE_BAD);	/* one more than there */
	assert_int_equal(decode_patched(sel + 1, 0), STORE_DECODE_BAD);	/* empty selector */
	assert_int_equal(decode_patched(sel + 2, 0x01), STORE_DECODE_BAD);	/* its byte */
	assert_int_equal(decode_patched(sel + 2, 'k'), STORE_DECODE_OK);	/* control */
	assert_int_equal(decode_patched(0, 'X'), STORE_DECODE_BAD);		/* magic */
	assert_int_equal(decode_patched(last, 0xff), STORE_DECODE_BAD);	/* code */
	assert_int_equal(decode_patched(last + 1, PC_COUNT), STORE_DECODE_BAD);
	assert_int_equal(decode_patched(last + 2, SEV_ERROR + 1), STORE_DECODE_BAD);
	assert_int_equal(decode_patched(last + 3, PF_SPF), STORE_DECODE_BAD);	/* not MX */
	assert_int_equal(decode_patched(last + 3, PF_COUNT), STORE_DECODE_BAD);
	assert_int_equal(decode_patched(last + 6, 0x01), STORE_DECODE_BAD);	/* message */
	assert_int_equal(decode_patched(last + 6, 0x80), STORE_DECODE_BAD);
	assert_int_equal(decode_patched(last + 5, 2), STORE_DECODE_BAD);	/* its length */
	assert_int_equal(decode_patched(28, 0), STORE_DECODE_BAD);	/* domain length 0 */
	assert_int_equal(decode_patched(29, '\n'), STORE_DECODE_BAD);	/* domain byte */
	assert_int_equal(decode_patched(29, 'f'), STORE_DECODE_BAD);	/* another domain */
	assert_int_equal(decode_patched(40, 'Z'), STORE_DECODE_BAD);	/* grade */
	assert_int_equal(decode_patched(41, PR_TEMPERROR + 1), STORE_DECODE_BAD); /* result */
	assert_int_equal(decode_patched(41, PR_TEMPERROR), STORE_DECODE_OK);	/* control */
	assert_int_equal(decode_patched(42, 64), STORE_DECODE_BAD);	/* fact over 63 */
	assert_int_equal(decode_patched(last - 1, 0xff), STORE_DECODE_BAD); /* message 2 */

	/* A byte after the end, and a value over STORE_VALUE_MAX. */
	sample_bytes(&p, &len, &shape);
	longer = calloc(1, STORE_VALUE_MAX + 1);
	assert_non_null(longer);
	memcpy(longer, p, len);
	assert_int_equal(decode_sample(longer, len + 1, &ev), STORE_DECODE_BAD);
	assert_int_equal(decode_sample(longer, STORE_VALUE_MAX + 1, &ev), STORE_DECODE_BAD);
	assert_int_equal(decode_sample(longer, len, &ev), STORE_DECODE_OK);	/* control */
	posture_eval_free(ev);
	free(longer);
	free(p);
}

static void
test_posture_encode_refuses_what_would_not_decode(void **state)
{
	struct posture_eval *ev = sample_eval();
	struct store_shape shape;
	struct posture_finding *many;
	uint8_t *p = (uint8_t *)1;
	size_t len = 1, i;

	(void)state;
	store_shape_init(&shape, 0);
	ev->error = strdup("resolver unreachable");
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	assert_null(p);
	assert_int_equal(len, 0);
	free(ev->error);
	ev->error = NULL;
	ev->findings[0].code = PC_COUNT;
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	ev->findings[0].code = PC_SPF_NO_ALL;
	ev->findings[0].family = PF_MX;
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	ev->findings[0].family = PF_SPF;
	ev->family[PF_MX].result = (enum posture_result)(PR_TEMPERROR + 1);
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	ev->family[PF_MX].result = PR_OK;
	ev->domain[0] = '\0';
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	strcpy(ev->domain, "example.org");
	ev->selectors[1][0] = '\0';		/* an empty selector cannot be read back */
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	ev->selectors[1][0] = '\x01';
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	strcpy(ev->selectors[1], "s2");
	ev->nselectors = POSTURE_MAX_SELECTORS + 1;
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	ev->nselectors = 2;
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), 0);	/* control */
	free(p);

	many = realloc(ev->findings, (STORE_FINDINGS_MAX + 1) * sizeof(*many));
	assert_non_null(many);
	ev->findings = many;
	for (i = ev->nfindings; i <= STORE_FINDINGS_MAX; i++)
		set_finding(&ev->findings[i], PC_MX_SINGLE, "x");
	ev->nfindings = STORE_FINDINGS_MAX + 1;
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), -1);
	ev->nfindings = STORE_FINDINGS_MAX;
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), 0);
	free(p);
	ev->nfindings = STORE_FINDINGS_MAX + 1;
	posture_eval_free(ev);
}

static void
test_posture_messages_cut_and_masked(void **state)
{
	struct posture_eval *ev = sample_eval(), *out = NULL;
	struct store_shape shape;
	uint8_t *p;
	size_t len;
	char *big;

	(void)state;
	store_shape_init(&shape, 0);
	big = malloc(STORE_MESSAGE_MAX + 100);
	assert_non_null(big);
	memset(big, 'a', STORE_MESSAGE_MAX + 99);
	big[STORE_MESSAGE_MAX + 99] = '\0';
	big[1] = '\x01';
	free(ev->findings[0].message);
	ev->findings[0].message = big;
	ev->family[PF_SPF].fact[0] = '\t';
	assert_int_equal(store_encode_posture(ev, &shape, 0, 0, &p, &len), 0);
	assert_int_equal(store_decode_posture(p, len, &shape, "example.org", &out, NULL, NULL),
			 STORE_DECODE_OK);
	assert_int_equal(strlen(out->findings[0].message), STORE_MESSAGE_MAX);
	assert_int_equal(out->findings[0].message[1], '?');
	assert_string_equal(out->family[PF_SPF].fact, "?all");
	posture_eval_free(out);
	posture_eval_free(ev);
	free(p);
}

/* ---- selectors ---- */

static void
test_selectors_round_trip_and_prefixes(void **state)
{
	struct store_selectors s, out;
	enum store_decode rc;
	uint8_t *p, *copy;
	size_t len, n;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_true(store_selectors_note(&s, "s1", 100));
	assert_true(store_selectors_note(&s, "Sel_2.Sub-x", 200));
	assert_int_equal(store_encode_selectors(&s, &p, &len), 0);
	assert_int_equal(store_decode_selectors(p, len, &out), STORE_DECODE_OK);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.sel[0].name, "sel_2.sub-x");
	assert_int_equal(out.sel[0].first_s, 200);
	assert_string_equal(out.sel[1].name, "s1");
	assert_int_equal(out.sel[1].last_s, 100);
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, p, n);
		rc = store_decode_selectors(copy, n, &out);
		assert_true(rc == STORE_DECODE_BAD || rc == STORE_DECODE_OTHER);
		assert_int_equal(out.n, 0);
		free(copy);
	}
	/* name "s1" sits at the end: len:u8 "s1" first:u64 last:u64 */
	p[len - 18] = 'S';		/* upper case is not the stored form */
	assert_int_equal(store_decode_selectors(p, len, &out), STORE_DECODE_BAD);
	p[len - 18] = ' ';
	assert_int_equal(store_decode_selectors(p, len, &out), STORE_DECODE_BAD);
	p[len - 18] = 's';
	assert_int_equal(store_decode_selectors(p, len, &out), STORE_DECODE_OK);
	p[4] = STORE_MAX_SELECTORS + 1;
	assert_int_equal(store_decode_selectors(p, len, &out), STORE_DECODE_BAD);
	p[4] = 2;
	p[2] = STORE_SCHEMA + 1;
	assert_int_equal(store_decode_selectors(p, len, &out), STORE_DECODE_OTHER);
	free(p);

	s.n = STORE_MAX_SELECTORS + 1;
	assert_int_equal(store_encode_selectors(&s, &p, &len), -1);
	s.n = 1;
	strcpy(s.sel[0].name, "UPPER");
	assert_int_equal(store_encode_selectors(&s, &p, &len), -1);
}

static void
test_selectors_note_rules(void **state)
{
	struct store_selectors s;
	char name[16];
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_false(store_selectors_note(&s, "", 1));
	assert_false(store_selectors_note(&s, NULL, 1));
	assert_false(store_selectors_note(&s, "a b", 1));
	assert_false(store_selectors_note(&s, "a;b", 1));
	assert_false(store_selectors_note(&s, "0123456789012345678901234567890123456789"
					      "012345678901234567890123", 1));	/* 64 */
	assert_int_equal(s.n, 0);

	assert_true(store_selectors_note(&s, "a", 10));
	assert_true(store_selectors_note(&s, "b", 20));
	assert_true(store_selectors_note(&s, "A", 30));	/* refresh, moves to the front */
	assert_int_equal(s.n, 2);
	assert_string_equal(s.sel[0].name, "a");
	assert_int_equal(s.sel[0].first_s, 10);
	assert_int_equal(s.sel[0].last_s, 30);
	assert_true(store_selectors_note(&s, "a", 5));	/* a clock that stepped back */
	assert_int_equal(s.sel[0].first_s, 5);
	assert_int_equal(s.sel[0].last_s, 30);

	/* Full: the least recently seen ("b", 20) goes, wherever it stands. */
	for (i = 2; i < STORE_MAX_SELECTORS; i++) {
		snprintf(name, sizeof(name), "k%zu", i);
		assert_true(store_selectors_note(&s, name, 100 + i));
	}
	assert_int_equal(s.n, STORE_MAX_SELECTORS);
	assert_true(store_selectors_note(&s, "new", 1000));
	assert_int_equal(s.n, STORE_MAX_SELECTORS);
	assert_string_equal(s.sel[0].name, "new");
	for (i = 0; i < s.n; i++)
		assert_string_not_equal(s.sel[i].name, "b");
	assert_string_equal(s.sel[s.n - 1].name, "a");	/* 30: kept, oldest now */

	/* Expire: last seen before the cutoff goes, the order of the rest stays. */
	store_selectors_expire(&s, 30);
	assert_int_equal(s.n, STORE_MAX_SELECTORS);
	store_selectors_expire(&s, 31);
	assert_int_equal(s.n, STORE_MAX_SELECTORS - 1);
	assert_string_equal(s.sel[0].name, "new");
	store_selectors_expire(&s, 1001);
	assert_int_equal(s.n, 0);
}

/* ---- history ---- */

/* A history of two records: "spf" with two versions, "mx" with none. */
static void
sample_history(struct store_history *h)
{
	memset(h, 0, sizeof(*h));
	h->nrec = 2;
	h->rec = calloc(2, sizeof(*h->rec));
	assert_non_null(h->rec);
	h->rec[0].name = strdup("spf");
	h->rec[0].family = PF_SPF;
	h->rec[0].nv = 2;
	h->rec[0].v = calloc(2, sizeof(*h->rec[0].v));
	assert_non_null(h->rec[0].v);
	h->rec[0].v[0].value = strdup("v=spf1 -all");
	h->rec[0].v[0].first_s = 50;
	h->rec[0].v[0].last_s = 90;
	h->rec[0].v[1].value = strdup("");
	h->rec[0].v[1].first_s = 10;
	h->rec[0].v[1].last_s = 40;
	h->rec[1].name = strdup("mx");
	h->rec[1].family = PF_MX;
	h->last_result[PF_SPF] = PR_OK;
	h->last_result_s[PF_SPF] = 90;
	h->last_result[PF_BIMI] = PR_TEMPERROR;
	h->last_result_s[PF_BIMI] = 80;
}

static void
test_history_round_trip_and_prefixes(void **state)
{
	struct store_history h, out;
	enum store_decode rc;
	uint8_t *p, *copy;
	size_t len, n, i;

	(void)state;
	sample_history(&h);
	assert_int_equal(store_encode_history(&h, &p, &len), 0);
	assert_int_equal(store_decode_history(p, len, &out), STORE_DECODE_OK);
	assert_int_equal(out.nrec, 2);
	assert_string_equal(out.rec[0].name, "spf");
	assert_int_equal(out.rec[0].family, PF_SPF);
	assert_int_equal(out.rec[0].nv, 2);
	assert_string_equal(out.rec[0].v[0].value, "v=spf1 -all");
	assert_int_equal(out.rec[0].v[0].first_s, 50);
	assert_int_equal(out.rec[0].v[0].last_s, 90);
	assert_string_equal(out.rec[0].v[1].value, "");
	assert_string_equal(out.rec[1].name, "mx");
	assert_int_equal(out.rec[1].nv, 0);
	for (i = 0; i < PF_COUNT; i++) {
		assert_int_equal(out.last_result[i], h.last_result[i]);
		assert_int_equal(out.last_result_s[i], h.last_result_s[i]);
	}
	store_history_free(&out);
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, p, n);
		rc = store_decode_history(copy, n, &out);
		assert_true(rc == STORE_DECODE_BAD || rc == STORE_DECODE_OTHER);
		assert_int_equal(out.nrec, 0);
		store_history_free(&out);
		free(copy);
	}
	free(p);
	store_history_free(&h);
}

/* Decode the sample history with byte off set to v. */
static enum store_decode
history_patched(size_t off, uint8_t v)
{
	struct store_history h, out;
	enum store_decode rc;
	uint8_t *p;
	size_t len;

	sample_history(&h);
	assert_int_equal(store_encode_history(&h, &p, &len), 0);
	store_history_free(&h);
	assert_true(off < len);
	p[off] = v;
	rc = store_decode_history(p, len, &out);
	store_history_free(&out);
	free(p);
	return rc;
}

static void
test_history_bad_and_other(void **state)
{
	/* header 4, nrec 1, "spf" 4, family 1, nv 1, value len 2 at 11, bytes at 13 */
	size_t fam_count = 4 + 1 + (4 + 1 + 1 + (2 + 11 + 16) + (2 + 16)) + (3 + 1 + 1);

	(void)state;
	assert_int_equal(history_patched(fam_count, PF_COUNT), STORE_DECODE_OK); /* control */
	assert_int_equal(history_patched(fam_count, PF_COUNT + 1), STORE_DECODE_OTHER);
	assert_int_equal(history_patched(3, 1), STORE_DECODE_OTHER);	/* kind */
	assert_int_equal(history_patched(4, STORE_HISTORY_RECORDS + 1), STORE_DECODE_BAD);
	assert_int_equal(history_patched(5, 0), STORE_DECODE_BAD);	/* empty name */
	assert_int_equal(history_patched(5, STORE_RECORD_NAME_MAX + 1), STORE_DECODE_BAD);
	assert_int_equal(history_patched(6, 0x7f), STORE_DECODE_BAD);	/* name byte */
	assert_int_equal(history_patched(9, PF_COUNT), STORE_DECODE_BAD);	/* family */
	assert_int_equal(history_patched(10, STORE_HISTORY_VERSIONS_MAX + 1),
			 STORE_DECODE_BAD);
	assert_int_equal(history_patched(11, 0x10), STORE_DECODE_BAD);	/* value > 4096 */
	assert_int_equal(history_patched(13, '\r'), STORE_DECODE_BAD);	/* value byte */
	assert_int_equal(history_patched(fam_count + 1, PR_TEMPERROR + 1), STORE_DECODE_BAD);
}

static void
test_history_encode_limits(void **state)
{
	struct store_history h, out;
	char name[STORE_RECORD_NAME_MAX + 2], *big;
	uint8_t *p;
	size_t len;

	(void)state;
	sample_history(&h);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	free(h.rec[1].name);
	h.rec[1].name = strdup(name);
	assert_int_equal(store_encode_history(&h, &p, &len), -1);
	h.rec[1].name[STORE_RECORD_NAME_MAX] = '\0';
	assert_int_equal(store_encode_history(&h, &p, &len), 0);
	free(p);
	h.rec[1].family = PF_COUNT;
	assert_int_equal(store_encode_history(&h, &p, &len), -1);
	h.rec[1].family = PF_MX;
	h.nrec = STORE_HISTORY_RECORDS + 1;
	assert_int_equal(store_encode_history(&h, &p, &len), -1);
	h.nrec = 2;
	h.rec[0].nv = STORE_HISTORY_VERSIONS_MAX + 1;
	assert_int_equal(store_encode_history(&h, &p, &len), -1);
	h.rec[0].nv = 2;

	/* A value over STORE_RECORD_VALUE_MAX is cut, not refused. */
	big = malloc(STORE_RECORD_VALUE_MAX + 10);
	assert_non_null(big);
	memset(big, 'v', STORE_RECORD_VALUE_MAX + 9);
	big[STORE_RECORD_VALUE_MAX + 9] = '\0';
	free(h.rec[0].v[0].value);
	h.rec[0].v[0].value = big;
	assert_int_equal(store_encode_history(&h, &p, &len), 0);
	assert_int_equal(store_decode_history(p, len, &out), STORE_DECODE_OK);
	assert_int_equal(strlen(out.rec[0].v[0].value), STORE_RECORD_VALUE_MAX);
	store_history_free(&out);
	free(p);
	store_history_free(&h);
	assert_int_equal(h.nrec, 0);
	assert_null(h.rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_catalogue_is_stable_and_config_kept),
		cmocka_unit_test(test_posture_round_trip),
		cmocka_unit_test(test_posture_without_findings_round_trips),
		cmocka_unit_test(test_posture_every_prefix_is_not_ok),
		cmocka_unit_test(test_posture_other_schema_kind_shape),
		cmocka_unit_test(test_posture_bad_values),
		cmocka_unit_test(test_posture_encode_refuses_what_would_not_decode),
		cmocka_unit_test(test_posture_messages_cut_and_masked),
		cmocka_unit_test(test_selectors_round_trip_and_prefixes),
		cmocka_unit_test(test_selectors_note_rules),
		cmocka_unit_test(test_history_round_trip_and_prefixes),
		cmocka_unit_test(test_history_bad_and_other),
		cmocka_unit_test(test_history_encode_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
