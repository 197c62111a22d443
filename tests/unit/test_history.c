/*
 * test_history.c - change tracking (lib/eval/history.c) and the reports of a history
 * (lib/report/report_history.c).
 *
 * Evaluations are built by hand (records and family results as a check would leave
 * them) and tracked against one history with injected time: first sight, a change,
 * no change, alternating values (damping), a record whose lookup failed, results that
 * get worse or not, stale DKIM keys, the version and record bounds, failed
 * evaluations, the regrade, and the store's round trip of what tracking left. Then the
 * catalogue's ANY family and the text and JSON reports (exact text; JSON checked by a
 * small validator and key substrings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eval/eval.h"
#include "eval/history.h"
#include "report/report_history.h"
#include "store/store_codec.h"

#define T0 1796638500ULL		/* 2026-12-07 10:15:00 UTC */
#define DAY 86400ULL

/* An evaluation of example.com: every family ok, no records, graded. */
static struct posture_eval *
new_eval(void)
{
	struct posture_eval *ev = calloc(1, sizeof(*ev));
	int fam;

	assert_non_null(ev);
	strcpy(ev->domain, "example.com");
	strcpy(ev->input, "example.com");
	for (fam = 0; fam < PF_COUNT; fam++)
		ev->family[fam].result = PR_OK;
	ev->grade = eval_grade(ev);
	return ev;
}

/* Add a record as a check notes it. */
static void
add_record(struct posture_eval *ev, const char *name, enum posture_family fam,
	   const char *value)
{
	struct posture_record *grown = realloc(ev->records, (ev->nrecords + 1) * sizeof(*grown));

	assert_non_null(grown);
	ev->records = grown;
	grown[ev->nrecords].name = strdup(name);
	grown[ev->nrecords].family = fam;
	grown[ev->nrecords].value = strdup(value);
	assert_non_null(grown[ev->nrecords].name);
	assert_non_null(grown[ev->nrecords].value);
	ev->nrecords++;
}

/* How many findings of code ev carries. */
static size_t
count_code(const struct posture_eval *ev, enum posture_code code)
{
	size_t i, n = 0;

	for (i = 0; i < ev->nfindings; i++)
		n += ev->findings[i].code == code;
	return n;
}

/* The first finding of code, which must be there. */
static const struct posture_finding *
finding_of(const struct posture_eval *ev, enum posture_code code)
{
	size_t i;

	for (i = 0; i < ev->nfindings; i++)
		if (ev->findings[i].code == code)
			return &ev->findings[i];
	fail_msg("no %s", posture_code_name(code));
	return NULL;
}

/* The record of h named name, which must be there. */
static const struct store_record *
record_of(const struct store_history *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nrec; i++)
		if (strcmp(h->rec[i].name, name) == 0)
			return &h->rec[i];
	fail_msg("no record %s", name);
	return NULL;
}

/* Track one record with one value at time t; the number of findings added. */
static int
track_one(struct store_history *h, const char *name, enum posture_family fam,
	  const char *value, uint64_t t, unsigned vmax)
{
	struct posture_eval *ev = new_eval();
	int n;

	add_record(ev, name, fam, value);
	n = history_track(h, ev, t, vmax);
	assert_int_equal((size_t)n, ev->nfindings);
	posture_eval_free(ev);
	return n;
}

static void
test_first_sight_raises_nothing(void **state)
{
	struct store_history h = { 0 };
	struct posture_eval *ev = new_eval();
	const struct store_record *r;

	(void)state;
	add_record(ev, "mx", PF_MX, "10 mx1.example.com.");
	add_record(ev, "dmarc", PF_DMARC, "v=DMARC1; p=reject");
	add_record(ev, "dkim:s1", PF_DKIM, "v=DKIM1; p=AAAA");
	assert_int_equal(history_track(&h, ev, T0, HISTORY_VERSIONS_DEFAULT), 0);
	assert_int_equal(ev->nfindings, 0);
	assert_int_equal(ev->grade, 'A');
	assert_int_equal(h.nrec, 3);
	r = record_of(&h, "dmarc");
	assert_int_equal(r->family, PF_DMARC);
	assert_int_equal(r->nv, 1);
	assert_string_equal(r->v[0].value, "v=DMARC1; p=reject");
	assert_int_equal(r->v[0].first_s, T0);
	assert_int_equal(r->v[0].last_s, T0);
	assert_int_equal(h.last_result[PF_DMARC], PR_OK);
	assert_int_equal(h.last_result_s[PF_DMARC], T0);
	posture_eval_free(ev);
	store_history_free(&h);
}

static void
test_change_raises_record_changed(void **state)
{
	struct store_history h = { 0 };
	struct posture_eval *ev;
	const struct posture_finding *f;
	const struct store_record *r;
	char longv[201];

	(void)state;
	assert_int_equal(track_one(&h, "dmarc", PF_DMARC, "p=reject", T0, 10), 0);
	ev = new_eval();
	add_record(ev, "dmarc", PF_DMARC, "p=none");
	assert_int_equal(history_track(&h, ev, T0 + DAY, 10), 1);
	f = finding_of(ev, PC_RECORD_CHANGED);
	assert_int_equal(f->family, PF_DMARC);
	assert_int_equal(f->severity, SEV_INFO);
	assert_string_equal(f->message, "DMARC record at _dmarc.example.com changed since "
	    "2026-12-07 10:15 UTC: p=reject -> p=none");
	posture_eval_free(ev);
	r = record_of(&h, "dmarc");
	assert_int_equal(r->nv, 2);
	assert_string_equal(r->v[0].value, "p=none");
	assert_int_equal(r->v[0].first_s, T0 + DAY);
	assert_string_equal(r->v[1].value, "p=reject");
	assert_int_equal(r->v[1].last_s, T0);

	/* Each family's record is named where it lives; a removed value reads (none). */
	assert_int_equal(track_one(&h, "mx", PF_MX, "10 a.example.com.", T0, 10), 0);
	ev = new_eval();
	add_record(ev, "mx", PF_MX, "");
	assert_int_equal(history_track(&h, ev, T0 + 60, 10), 1);
	f = finding_of(ev, PC_RECORD_CHANGED);
	assert_int_equal(f->family, PF_MX);
	assert_string_equal(f->message, "MX set of example.com changed since 2026-12-07 "
	    "10:15 UTC: 10 a.example.com. -> (none)");
	posture_eval_free(ev);

	/* Long values are shortened, control bytes never reach the message. */
	assert_int_equal(track_one(&h, "dkim:sel.a", PF_DKIM, "", T0, 10), 0);
	memset(longv, 'k', 200);
	longv[200] = '\0';
	longv[5] = '\n';
	ev = new_eval();
	add_record(ev, "dkim:sel.a", PF_DKIM, longv);
	assert_int_equal(history_track(&h, ev, T0 + 120, 10), 1);
	f = finding_of(ev, PC_RECORD_CHANGED);
	assert_int_equal(f->family, PF_DKIM);
	assert_non_null(strstr(f->message, "DKIM key at sel.a._domainkey.example.com changed "
	    "since 2026-12-07 10:15 UTC: (none) -> kkkkk\\x0akkk"));
	assert_non_null(strstr(f->message, "k..."));
	assert_true(strlen(f->message) < 160);
	assert_null(strchr(f->message, '\n'));
	posture_eval_free(ev);
	/* The store keeps the control byte as '?': seen again, it is no change. */
	assert_int_equal(track_one(&h, "dkim:sel.a", PF_DKIM, longv, T0 + 180, 10), 0);
	store_history_free(&h);
}

static void
test_unchanged_raises_nothing(void **state)
{
	struct store_history h = { 0 };
	const struct store_record *r;

	(void)state;
	assert_int_equal(track_one(&h, "spf", PF_SPF, "v=spf1 -all", T0, 10), 0);
	assert_int_equal(track_one(&h, "spf", PF_SPF, "v=spf1 -all", T0 + DAY, 10), 0);
	assert_int_equal(track_one(&h, "spf", PF_SPF, "v=spf1 -all", T0 + 2 * DAY, 10), 0);
	r = record_of(&h, "spf");
	assert_int_equal(r->nv, 1);
	assert_int_equal(r->v[0].first_s, T0);
	assert_int_equal(r->v[0].last_s, T0 + 2 * DAY);
	/* A clock that steps back keeps the last seen. */
	assert_int_equal(track_one(&h, "spf", PF_SPF, "v=spf1 -all", T0 - 5, 10), 0);
	assert_int_equal(r->v[0].last_s, T0 + 2 * DAY);
	store_history_free(&h);
}

static void
test_alternating_values_are_damped(void **state)
{
	struct store_history h = { 0 };
	const struct store_record *r;

	(void)state;
	assert_int_equal(track_one(&h, "mx", PF_MX, "A", T0, 10), 0);
	assert_int_equal(track_one(&h, "mx", PF_MX, "B", T0 + 10, 10), 1);
	assert_int_equal(track_one(&h, "mx", PF_MX, "A", T0 + 20, 10), 0);
	assert_int_equal(track_one(&h, "mx", PF_MX, "B", T0 + 30, 10), 0);
	assert_int_equal(track_one(&h, "mx", PF_MX, "A", T0 + 40, 10), 0);
	r = record_of(&h, "mx");
	assert_int_equal(r->nv, 2);
	assert_string_equal(r->v[0].value, "A");	/* most recently seen first */
	assert_int_equal(r->v[0].first_s, T0);
	assert_int_equal(r->v[0].last_s, T0 + 40);
	assert_string_equal(r->v[1].value, "B");
	assert_int_equal(r->v[1].first_s, T0 + 10);
	assert_int_equal(r->v[1].last_s, T0 + 30);
	/* A third value is a change again, against the last one seen. */
	assert_int_equal(track_one(&h, "mx", PF_MX, "C", T0 + 50, 10), 1);
	store_history_free(&h);
}

static void
test_missing_record_is_kept(void **state)
{
	struct store_history h = { 0 };
	struct posture_eval *ev = new_eval();
	const struct store_record *r;

	(void)state;
	add_record(ev, "spf", PF_SPF, "v=spf1 -all");
	add_record(ev, "dmarc", PF_DMARC, "v=DMARC1; p=reject");
	assert_int_equal(history_track(&h, ev, T0, 10), 0);
	posture_eval_free(ev);

	/* DMARC's lookup failed: no record, temperror. */
	ev = new_eval();
	add_record(ev, "spf", PF_SPF, "v=spf1 -all");
	ev->family[PF_DMARC].result = PR_TEMPERROR;
	assert_int_equal(history_track(&h, ev, T0 + DAY, 10), 0);
	assert_int_equal(ev->nfindings, 0);
	posture_eval_free(ev);
	assert_int_equal(h.nrec, 2);
	r = record_of(&h, "dmarc");
	assert_int_equal(r->nv, 1);
	assert_string_equal(r->v[0].value, "v=DMARC1; p=reject");
	assert_int_equal(r->v[0].last_s, T0);
	assert_int_equal(h.last_result[PF_DMARC], PR_OK);	/* temperror not remembered */
	assert_int_equal(h.last_result_s[PF_DMARC], T0);
	assert_int_equal(h.last_result_s[PF_SPF], T0 + DAY);
	store_history_free(&h);
}

/* Track family fam's result res alone at time t; the POSTURE_WEAKENED findings added. */
static size_t
track_result(struct store_history *h, enum posture_family fam, enum posture_result res,
	     uint64_t t, char *msg, size_t msglen)
{
	struct posture_eval *ev = new_eval();
	size_t n;

	ev->family[fam].result = res;
	assert_true(history_track(h, ev, t, 10) >= 0);
	n = count_code(ev, PC_POSTURE_WEAKENED);
	if (n > 0 && msg != NULL) {
		assert_int_equal(finding_of(ev, PC_POSTURE_WEAKENED)->family, fam);
		assert_int_equal(finding_of(ev, PC_POSTURE_WEAKENED)->severity, SEV_WARN);
		snprintf(msg, msglen, "%s", finding_of(ev, PC_POSTURE_WEAKENED)->message);
	}
	posture_eval_free(ev);
	return n;
}

static void
test_weakened_posture(void **state)
{
	struct store_history h = { 0 };
	char msg[256];

	(void)state;
	assert_int_equal(track_result(&h, PF_DMARC, PR_OK, T0, NULL, 0), 0);
	assert_int_equal(track_result(&h, PF_DMARC, PR_BROKEN, T0 + DAY, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "DMARC posture of example.com got worse since 2026-12-07 "
	    "10:15 UTC: ok -> broken");
	assert_int_equal(h.last_result[PF_DMARC], PR_BROKEN);
	assert_int_equal(track_result(&h, PF_DMARC, PR_BROKEN, T0 + 2 * DAY, NULL, 0), 0);
	assert_int_equal(track_result(&h, PF_DMARC, PR_WEAK, T0 + 3 * DAY, NULL, 0), 0);
	assert_int_equal(track_result(&h, PF_DMARC, PR_OK, T0 + 4 * DAY, NULL, 0), 0);
	/* ok -> temperror / unknown: neither compared nor remembered. */
	assert_int_equal(track_result(&h, PF_DMARC, PR_TEMPERROR, T0 + 5 * DAY, NULL, 0), 0);
	assert_int_equal(track_result(&h, PF_DMARC, PR_UNKNOWN, T0 + 5 * DAY, NULL, 0), 0);
	assert_int_equal(h.last_result[PF_DMARC], PR_OK);
	assert_int_equal(h.last_result_s[PF_DMARC], T0 + 4 * DAY);
	/* ok -> weak, weak -> none; none -> broken is no worse. */
	assert_int_equal(track_result(&h, PF_MTASTS, PR_WEAK, T0 + 6 * DAY, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "MTA-STS posture of example.com got worse since 2026-12-12 "
	    "10:15 UTC: ok -> weak");
	assert_int_equal(track_result(&h, PF_MTASTS, PR_NONE, T0 + 7 * DAY, NULL, 0), 1);
	assert_int_equal(track_result(&h, PF_MTASTS, PR_BROKEN, T0 + 8 * DAY, NULL, 0), 0);
	store_history_free(&h);
}

static void
test_dkim_key_stale(void **state)
{
	struct store_history h = { 0 };
	struct posture_eval *ev;
	const struct posture_finding *f;

	(void)state;
	assert_int_equal(track_one(&h, "dkim:s1", PF_DKIM, "v=DKIM1; p=AAAA", T0, 10), 0);
	assert_int_equal(track_one(&h, "spf", PF_SPF, "v=spf1 -all", T0, 10), 0);
	assert_int_equal(track_one(&h, "dkim:s1", PF_DKIM, "v=DKIM1; p=AAAA", T0 + 364 * DAY,
	    10), 0);
	assert_int_equal(track_one(&h, "spf", PF_SPF, "v=spf1 -all", T0 + 366 * DAY, 10), 0);
	ev = new_eval();
	add_record(ev, "dkim:s1", PF_DKIM, "v=DKIM1; p=AAAA");
	assert_int_equal(history_track(&h, ev, T0 + 366 * DAY, 10), 1);
	f = finding_of(ev, PC_DKIM_KEY_STALE);
	assert_int_equal(f->family, PF_DKIM);
	assert_int_equal(f->severity, SEV_INFO);
	assert_string_equal(f->message, "DKIM key at s1._domainkey.example.com unchanged since "
	    "2026-12-07: more than a year (rotate keys every 6 to 12 months)");
	assert_int_equal(ev->grade, 'A');	/* info */
	posture_eval_free(ev);
	/* A new key starts the year again. */
	assert_int_equal(track_one(&h, "dkim:s1", PF_DKIM, "v=DKIM1; p=BBBB", T0 + 367 * DAY,
	    10), 1);
	assert_int_equal(track_one(&h, "dkim:s1", PF_DKIM, "v=DKIM1; p=BBBB", T0 + 368 * DAY,
	    10), 0);
	store_history_free(&h);
}

static void
test_versions_max(void **state)
{
	struct store_history h = { 0 };
	const struct store_record *r;
	char v[8];
	unsigned i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(v, sizeof(v), "v%u", i);
		assert_int_equal(track_one(&h, "bimi", PF_BIMI, v, T0 + i, 3), i > 0);
	}
	r = record_of(&h, "bimi");
	assert_int_equal(r->nv, 3);
	assert_string_equal(r->v[0].value, "v4");
	assert_string_equal(r->v[1].value, "v3");
	assert_string_equal(r->v[2].value, "v2");
	/* v1 was dropped: seen again it is a change. */
	assert_int_equal(track_one(&h, "bimi", PF_BIMI, "v1", T0 + 10, 3), 1);
	/* 0 reads as 1; records not seen this time are trimmed too. */
	assert_int_equal(track_one(&h, "spf", PF_SPF, "s", T0 + 11, 0), 0);
	assert_int_equal(record_of(&h, "bimi")->nv, 1);
	assert_int_equal(track_one(&h, "spf", PF_SPF, "t", T0 + 12, 0), 1);
	assert_int_equal(record_of(&h, "spf")->nv, 1);
	assert_string_equal(record_of(&h, "spf")->v[0].value, "t");
	/* Over the cap reads as the cap. */
	for (i = 0; i < STORE_HISTORY_VERSIONS_MAX + 5; i++) {
		snprintf(v, sizeof(v), "x%u", i);
		track_one(&h, "tls-rpt", PF_TLSRPT, v, T0 + 100 + i, 1000);
	}
	assert_int_equal(record_of(&h, "tls-rpt")->nv, STORE_HISTORY_VERSIONS_MAX);
	store_history_free(&h);
}

static void
test_records_bound(void **state)
{
	struct store_history h = { 0 };
	char name[32];
	size_t i;

	(void)state;
	for (i = 0; i < STORE_HISTORY_RECORDS; i++) {
		snprintf(name, sizeof(name), "dkim:s%zu", i);
		assert_int_equal(track_one(&h, name, PF_DKIM, "k", T0 + 100 - i, 10), 0);
	}
	assert_int_equal(h.nrec, STORE_HISTORY_RECORDS);
	/* s63 was seen least recently (T0 + 37). */
	assert_int_equal(track_one(&h, "dkim:new", PF_DKIM, "k", T0 + 200, 10), 0);
	assert_int_equal(h.nrec, STORE_HISTORY_RECORDS);
	for (i = 0; i < h.nrec; i++)
		assert_string_not_equal(h.rec[i].name, "dkim:s63");
	record_of(&h, "dkim:s62");
	record_of(&h, "dkim:new");
	store_history_free(&h);
}

static void
test_error_evaluation_does_nothing(void **state)
{
	struct store_history h = { 0 };
	struct posture_eval *ev = new_eval();

	(void)state;
	add_record(ev, "spf", PF_SPF, "v=spf1 -all");
	ev->error = strdup("resolver unreachable");
	assert_int_equal(history_track(&h, ev, T0, 10), 0);
	assert_int_equal(ev->nfindings, 0);
	assert_int_equal(h.nrec, 0);
	assert_int_equal(h.last_result[PF_SPF], PR_NOT_CHECKED);
	posture_eval_free(ev);
}

static void
test_bad_records_are_skipped(void **state)
{
	struct store_history h = { 0 };
	struct posture_eval *ev = new_eval();
	char longname[STORE_RECORD_NAME_MAX + 2];

	(void)state;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	add_record(ev, "", PF_SPF, "x");
	add_record(ev, longname, PF_SPF, "x");
	add_record(ev, "bimi", PF_COUNT, "x");
	add_record(ev, "spf", PF_SPF, "first");
	add_record(ev, "spf", PF_SPF, "second");	/* a repeated name: the first counts */
	assert_int_equal(history_track(&h, ev, T0, 10), 0);
	assert_int_equal(h.nrec, 1);
	assert_string_equal(record_of(&h, "spf")->v[0].value, "first");
	assert_int_equal(record_of(&h, "spf")->nv, 1);
	posture_eval_free(ev);
	store_history_free(&h);
}

static void
test_grade_recomputed(void **state)
{
	struct store_history h = { 0 };
	struct posture_eval *ev;

	(void)state;
	assert_int_equal(track_result(&h, PF_DMARC, PR_OK, T0, NULL, 0), 0);
	ev = new_eval();
	ev->family[PF_DMARC].result = PR_BROKEN;	/* by the check's own rule */
	ev->grade = eval_grade(ev);
	assert_int_equal(ev->grade, 'A');
	assert_int_equal(history_track(&h, ev, T0 + DAY, 10), 1);
	assert_int_equal(ev->grade, 'C');		/* a warn in a core family */
	posture_eval_free(ev);
	store_history_free(&h);
}

static void
test_history_and_findings_round_trip(void **state)
{
	struct store_history h = { 0 }, back;
	struct posture_eval *ev, *snap = NULL;
	struct store_shape shape;
	uint8_t *p;
	size_t len, i, j;

	(void)state;
	assert_int_equal(track_one(&h, "dmarc", PF_DMARC, "p=reject", T0, 10), 0);
	ev = new_eval();
	add_record(ev, "dmarc", PF_DMARC, "p=none");
	add_record(ev, "mta-sts:policy", PF_MTASTS, "version: STSv1\nmode: enforce");
	ev->family[PF_DMARC].result = PR_WEAK;
	assert_int_equal(history_track(&h, ev, T0 + DAY, 10), 2);

	/* The history as tracking left it. */
	assert_int_equal(store_encode_history(&h, &p, &len), 0);
	assert_int_equal(store_decode_history(p, len, &back), STORE_DECODE_OK);
	free(p);
	assert_int_equal(back.nrec, h.nrec);
	for (i = 0; i < h.nrec; i++) {
		assert_string_equal(back.rec[i].name, h.rec[i].name);
		assert_int_equal(back.rec[i].family, h.rec[i].family);
		assert_int_equal(back.rec[i].nv, h.rec[i].nv);
		for (j = 0; j < h.rec[i].nv; j++) {
			assert_string_equal(back.rec[i].v[j].value, h.rec[i].v[j].value);
			assert_int_equal(back.rec[i].v[j].first_s, h.rec[i].v[j].first_s);
			assert_int_equal(back.rec[i].v[j].last_s, h.rec[i].v[j].last_s);
		}
	}
	for (i = 0; i < PF_COUNT; i++) {
		assert_int_equal(back.last_result[i], h.last_result[i]);
		assert_int_equal(back.last_result_s[i], h.last_result_s[i]);
	}
	/* Decoded and tracked again with the same values: nothing new. */
	posture_eval_free(ev);
	ev = new_eval();
	add_record(ev, "dmarc", PF_DMARC, "p=none");
	add_record(ev, "mta-sts:policy", PF_MTASTS, "version: STSv1\nmode: enforce");
	ev->family[PF_DMARC].result = PR_WEAK;
	assert_int_equal(history_track(&back, ev, T0 + 2 * DAY, 10), 0);
	store_history_free(&back);
	posture_eval_free(ev);

	/* A snapshot with the change findings (family DMARC for ANY codes) round trips. */
	ev = new_eval();
	add_record(ev, "dmarc", PF_DMARC, "p=quarantine");
	ev->family[PF_DMARC].result = PR_BROKEN;
	assert_int_equal(history_track(&h, ev, T0 + 3 * DAY, 10), 2);
	store_shape_init(&shape, 1);
	assert_int_equal(store_encode_posture(ev, &shape, T0, T0 + 60, &p, &len), 0);
	assert_int_equal(store_decode_posture(p, len, &shape, "example.com", &snap, NULL, NULL),
	    STORE_DECODE_OK);
	free(p);
	assert_int_equal(snap->nfindings, 2);
	assert_int_equal(snap->findings[0].code, PC_RECORD_CHANGED);
	assert_int_equal(snap->findings[0].family, PF_DMARC);
	assert_int_equal(snap->findings[1].code, PC_POSTURE_WEAKENED);
	assert_int_equal(snap->findings[1].family, PF_DMARC);
	posture_eval_free(snap);
	/* A finding may never carry PF_ANY itself. */
	ev->findings[0].family = PF_ANY;
	assert_int_equal(store_encode_posture(ev, &shape, T0, T0 + 60, &p, &len), -1);
	posture_eval_free(ev);
	store_history_free(&h);
}

static void
test_any_family_catalogue(void **state)
{
	(void)state;
	assert_int_equal(posture_code_family(PC_RECORD_CHANGED), PF_ANY);
	assert_int_equal(posture_code_family(PC_POSTURE_WEAKENED), PF_ANY);
	assert_int_equal(posture_code_family(PC_DKIM_KEY_STALE), PF_DKIM);
	assert_int_equal(posture_code_severity(PC_RECORD_CHANGED), SEV_INFO);
	assert_int_equal(posture_code_severity(PC_POSTURE_WEAKENED), SEV_WARN);
	assert_int_equal(posture_code_severity(PC_DKIM_KEY_STALE), SEV_INFO);
	assert_true(PF_ANY > PF_COUNT);
	assert_true(posture_code_family_ok(PC_RECORD_CHANGED, PF_MX));
	assert_true(posture_code_family_ok(PC_POSTURE_WEAKENED, PF_BIMI));
	assert_false(posture_code_family_ok(PC_RECORD_CHANGED, PF_ANY));
	assert_false(posture_code_family_ok(PC_RECORD_CHANGED, PF_COUNT));
	assert_true(posture_code_family_ok(PC_DMARC_NONE, PF_DMARC));
	assert_false(posture_code_family_ok(PC_DMARC_NONE, PF_SPF));
	assert_false(posture_code_family_ok(PC_COUNT, PF_SPF));
	assert_string_equal(posture_family_name(PF_ANY), "any");
	assert_string_equal(posture_family_name(PF_COUNT), "unknown");
	assert_string_equal(posture_code_name(PC_RECORD_CHANGED), "RECORD_CHANGED");
}

static void
test_record_what(void **state)
{
	static const char *const want[][2] = {
		{ "mx", "MX set of example.com" },
		{ "spf", "SPF record at example.com" },
		{ "dmarc", "DMARC record at _dmarc.example.com" },
		{ "dkim:s1", "DKIM key at s1._domainkey.example.com" },
		{ "mta-sts:txt", "MTA-STS record at _mta-sts.example.com" },
		{ "mta-sts:policy", "MTA-STS policy of example.com" },
		{ "tls-rpt", "TLS-RPT record at _smtp._tls.example.com" },
		{ "bimi", "BIMI record at default._bimi.example.com" },
		{ "odd\x01", "record odd\\x01 of example.com" },
	};
	char out[128], small[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		history_record_what(want[i][0], "example.com", out, sizeof(out));
		assert_string_equal(out, want[i][1]);
	}
	history_record_what("dmarc", "example.com", small, sizeof(small));
	assert_string_equal(small, "DMARC r");
}

/* A history of example.com as tracking would leave it, for the reports. */
static void
sample_history(struct store_history *h)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(track_one(h, "dmarc", PF_DMARC, "v=DMARC1; p=reject", T0, 10), 0);
	assert_int_equal(track_one(h, "mx", PF_MX, "", T0, 10), 0);
	assert_int_equal(track_one(h, "dmarc", PF_DMARC, "v=DMARC1; p=none", T0 + DAY, 10), 1);
	h->last_result[PF_SPF] = PR_NOT_CHECKED;
	h->last_result[PF_DKIM] = PR_NOT_CHECKED;
	h->last_result[PF_MTASTS] = PR_NOT_CHECKED;
	h->last_result[PF_TLSRPT] = PR_NOT_CHECKED;
	h->last_result[PF_BIMI] = PR_NOT_CHECKED;
	h->last_result[PF_DNSSEC] = PR_NOT_CHECKED;
	h->last_result[PF_DANE] = PR_NOT_CHECKED;
	h->last_result[PF_DMARC] = PR_WEAK;
}

static void
test_history_text(void **state)
{
	struct store_history h;
	char *s;

	(void)state;
	sample_history(&h);
	s = posture_history_text("example.com", &h);
	assert_non_null(s);
	assert_string_equal(s,
	    "History of example.com (times UTC)\n"
	    "\n"
	    "mx: MX set of example.com\n"
	    "  first seen 2026-12-07 10:15, last seen 2026-12-07 10:15\n"
	    "    (none)\n"
	    "\n"
	    "dmarc: DMARC record at _dmarc.example.com\n"
	    "  first seen 2026-12-08 10:15, last seen 2026-12-08 10:15\n"
	    "    v=DMARC1; p=none\n"
	    "  first seen 2026-12-07 10:15, last seen 2026-12-07 10:15\n"
	    "    v=DMARC1; p=reject\n"
	    "\n"
	    "Last results\n"
	    "  mx       ok         2026-12-08 10:15\n"
	    "  dmarc    weak       2026-12-08 10:15\n");
	free(s);
	store_history_free(&h);

	/* Nothing remembered. */
	s = posture_history_text("example.com", &h);
	assert_non_null(s);
	assert_string_equal(s, "History of example.com (times UTC)\n\nno record remembered\n"
	    "\nLast results\n  none remembered\n");
	free(s);
}

static void
test_history_text_long_and_hostile(void **state)
{
	struct store_history h = { 0 };
	char value[3000], *s, *line;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(value) - 1; i++)
		value[i] = i % 10 == 9 ? ' ' : 'a';
	value[sizeof(value) - 1] = '\0';
	value[3] = '\x1b';
	assert_int_equal(track_one(&h, "spf", PF_SPF, value, T0, 10), 0);
	h.rec[0].family = (enum posture_family)200;	/* from another build: no crash */
	h.last_result[PF_MX] = (enum posture_result)77;
	s = posture_history_text("example.com", &h);
	assert_non_null(s);
	assert_null(strchr(s, '\x1b'));
	assert_non_null(strstr(s, "aaa?aaaaa "));
	assert_non_null(strstr(s, "..."));
	assert_true(strlen(s) < 2000);	/* the 3000-byte value was cut */
	for (line = s; *line; line = strchr(line, '\n') + 1)
		assert_true((size_t)(strchr(line, '\n') - line) <= 78);
	free(s);
	s = posture_history_json("example.com", &h);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"family\": \"unknown\""));
	free(s);
	store_history_free(&h);
}

/* ---- a small JSON validator: whether s is exactly one JSON value ---- */

static const char *json_value(const char *p, int depth);

/* Skip white space. */
static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A string literal; NULL when malformed. */
static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || p[i] == '\0')
						return NULL;
				p += 4;
			} else if (*p == '\0' || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

/* An object or array body after its opening bracket; NULL when malformed. */
static const char *
json_members(const char *p, char close, int depth)
{
	p = json_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if ((p = json_string(json_ws(p))) == NULL)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if ((p = json_value(p, depth + 1)) == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

/* One value; NULL when malformed. */
static const char *
json_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = json_ws(p);
	if (*p == '{')
		return json_members(p + 1, '}', depth);
	if (*p == '[')
		return json_members(p + 1, ']', depth);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		p++;
		while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' ||
		       *p == '+' || *p == '-')
			p++;
		return p;
	}
	return NULL;
}

/* Whether s is one JSON value and white space. */
static bool
json_valid(const char *s)
{
	const char *end = json_value(s, 0);

	return end != NULL && *json_ws(end) == '\0';
}

static void
test_json_validator_can_fail(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\": [1, \"x\\n\", {}], \"b\": null}\n"));
	assert_false(json_valid("{\"a\": [1, }"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("\"raw\ncontrol\""));
	assert_false(json_valid("{} {}"));
}

static void
test_history_json(void **state)
{
	struct store_history h;
	char *s;

	(void)state;
	sample_history(&h);
	s = posture_history_json("example.com", &h);
	assert_non_null(s);
	assert_true(json_valid(s));
	assert_string_equal(s,
	    "{\"domain\": \"example.com\", \"records\": ["
	    "{\"name\": \"mx\", \"family\": \"mx\", \"versions\": [{\"value\": \"\", "
	    "\"first_seen\": \"2026-12-07T10:15:00Z\", \"last_seen\": \"2026-12-07T10:15:00Z\"}]}, "
	    "{\"name\": \"dmarc\", \"family\": \"dmarc\", \"versions\": ["
	    "{\"value\": \"v=DMARC1; p=none\", \"first_seen\": \"2026-12-08T10:15:00Z\", "
	    "\"last_seen\": \"2026-12-08T10:15:00Z\"}, "
	    "{\"value\": \"v=DMARC1; p=reject\", \"first_seen\": \"2026-12-07T10:15:00Z\", "
	    "\"last_seen\": \"2026-12-07T10:15:00Z\"}]}], "
	    "\"results\": {\"mx\": {\"result\": \"ok\", \"at\": \"2026-12-08T10:15:00Z\"}, "
	    "\"dmarc\": {\"result\": \"weak\", \"at\": \"2026-12-08T10:15:00Z\"}}}\n");
	free(s);
	/* Quotes and backslashes in names and values are escaped. */
	free(h.rec[0].v[0].value);
	h.rec[0].v[0].value = strdup("a \"quoted\" \\ value");
	assert_non_null(h.rec[0].v[0].value);
	s = posture_history_json("exa\"mple.com", &h);
	assert_non_null(s);
	assert_true(json_valid(s));
	assert_non_null(strstr(s, "\"domain\": \"exa\\\"mple.com\""));
	free(s);
	store_history_free(&h);
	s = posture_history_json("example.com", &h);
	assert_non_null(s);
	assert_true(json_valid(s));
	assert_string_equal(s, "{\"domain\": \"example.com\", \"records\": [], \"results\": {}}\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sight_raises_nothing),
		cmocka_unit_test(test_change_raises_record_changed),
		cmocka_unit_test(test_unchanged_raises_nothing),
		cmocka_unit_test(test_alternating_values_are_damped),
		cmocka_unit_test(test_missing_record_is_kept),
		cmocka_unit_test(test_weakened_posture),
		cmocka_unit_test(test_dkim_key_stale),
		cmocka_unit_test(test_versions_max),
		cmocka_unit_test(test_records_bound),
		cmocka_unit_test(test_error_evaluation_does_nothing),
		cmocka_unit_test(test_bad_records_are_skipped),
		cmocka_unit_test(test_grade_recomputed),
		cmocka_unit_test(test_history_and_findings_round_trip),
		cmocka_unit_test(test_any_family_catalogue),
		cmocka_unit_test(test_record_what),
		cmocka_unit_test(test_history_text),
		cmocka_unit_test(test_history_text_long_and_hostile),
		cmocka_unit_test(test_json_validator_can_fail),
		cmocka_unit_test(test_history_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
