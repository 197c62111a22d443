/*
 * history.c - change tracking (eval/history.h): an evaluation's records and family
 * results compared with what posture memory remembers of the domain.
 *
 *   history_track()        compare, note, raise RECORD_CHANGED / POSTURE_WEAKENED /
 *                          DKIM_KEY_STALE, regrade
 *   history_record_what()  "DMARC record at _dmarc.example.com"
 *
 * Decisions:
 * - A value is compared as the store will keep it (cut at STORE_RECORD_VALUE_MAX,
 *   non-printable bytes as '?'), so a value read back equals the one it was written
 *   from and a long record does not read as changed every time.
 * - Versions are kept most recently seen first: a value seen again moves to the front,
 *   so versions[0] is always the value the domain published last, the "old" value of
 *   the next change, and the versions dropped at versions_max are the least recent.
 * - A record with no version kept reads as seen for the first time (no finding).
 * - Results rank ok < weak < broken = none; temperror, unknown and not checked have no
 *   rank: never compared, never remembered (a lookup that failed is not a change).
 * - Two records of one evaluation under one name: the first counts, the others are
 *   ignored (they would read as a change against each other).
 *
 * What can go wrong: every value, name and domain comes from DNS or HTTPS, or back
 * from the store (untrusted): messages carry them only sanitized and shortened, in
 * fixed buffers. Allocation is bounded by the caps (STORE_HISTORY_RECORDS records,
 * versions_max versions each, one finding per record and family). Out of memory
 * leaves ev and h valid, perhaps partly updated, and returns -1. A clock that steps
 * back never makes a version's first seen later than its last seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/eval.h"
#include "eval/history.h"
#include "util/strbuf.h"

#define VALUE_SHOWN 64		/* an old or new value in a message: ~60 bytes and "..." */
#define WHAT_MAX 512
#define MSG_MAX 1024

/* Where each record lives: name, what it is, the prefix of the domain. */
static const struct {
	const char *name, *what, *at;
} record_places[] = {
	{ "mx",			"MX set of ",		"" },
	{ "spf",		"SPF record at ",	"" },
	{ "dmarc",		"DMARC record at ",	"_dmarc." },
	{ "mta-sts:txt",	"MTA-STS record at ",	"_mta-sts." },
	{ "mta-sts:policy",	"MTA-STS policy of ",	"" },
	{ "tls-rpt",		"TLS-RPT record at ",	"_smtp._tls." },
	{ "bimi",		"BIMI record at ",	"default._bimi." },
};

#define DKIM_PREFIX "dkim:"

/* What a record is and where it lives. */
void
history_record_what(const char *name, const char *domain, char *out, size_t outlen)
{
	char d[300], n[STORE_RECORD_NAME_MAX * 4 + 1];
	size_t i;

	if (out == NULL || outlen == 0)
		return;
	if (name == NULL)
		name = "";
	if (domain == NULL)
		domain = "";
	pt_sanitize(domain, strlen(domain), d, sizeof(d));
	for (i = 0; i < sizeof(record_places) / sizeof(record_places[0]); i++) {
		if (strcmp(name, record_places[i].name) == 0) {
			snprintf(out, outlen, "%s%s%s", record_places[i].what,
			    record_places[i].at, d);
			return;
		}
	}
	if (strncmp(name, DKIM_PREFIX, strlen(DKIM_PREFIX)) == 0) {
		name += strlen(DKIM_PREFIX);
		pt_sanitize(name, strlen(name), n, sizeof(n));
		snprintf(out, outlen, "DKIM key at %s._domainkey.%s", n, d);
		return;
	}
	pt_sanitize(name, strlen(name), n, sizeof(n));
	snprintf(out, outlen, "record %s of %s", n, d);
}

/* Wall-clock seconds in UTC, as messages and reports write them. */
void
history_format_time(uint64_t s, enum history_time how, char *out, size_t outlen)
{
	time_t t = (time_t)(s > 253402300799u ? 253402300799u : s);	/* 9999-12-31 */
	struct tm tm;
	size_t n = 0;

	if (out == NULL || outlen == 0)
		return;
	if (gmtime_r(&t, &tm) != NULL) {
		switch (how) {
		case HISTORY_TIME_DATE:
			n = strftime(out, outlen, "%Y-%m-%d", &tm);
			break;
		case HISTORY_TIME_MINUTE:
			n = strftime(out, outlen, "%Y-%m-%d %H:%M", &tm);
			break;
		case HISTORY_TIME_RFC3339:
			n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
			break;
		}
	}
	if (n == 0)
		snprintf(out, outlen, "?");
}

/* The byte the store keeps for c: printable ASCII as is, else '?'. */
static char
stored_byte(char c)
{
	return c >= 0x20 && c <= 0x7e ? c : '?';
}

/* Whether stored equals raw as the store would keep raw. */
static bool
value_same(const char *stored, const char *raw)
{
	size_t i;

	if (stored == NULL)
		stored = "";
	for (i = 0; i < STORE_RECORD_VALUE_MAX && raw[i] != '\0'; i++)
		if (stored[i] != stored_byte(raw[i]))
			return false;
	return stored[i] == '\0';
}

/* raw as the store keeps it, in a new string; NULL on OOM. */
static char *
value_copy(const char *raw)
{
	size_t i, n = strnlen(raw, STORE_RECORD_VALUE_MAX);
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = stored_byte(raw[i]);
	s[n] = '\0';
	return s;
}

/* A value shortened and sanitized for a message; "" reads "(none)". */
static void
value_shown(const char *v, char *out, size_t outlen)
{
	if (v == NULL || *v == '\0')
		snprintf(out, outlen, "(none)");
	else
		pt_sanitize(v, strlen(v), out, outlen);
}

/* Append a finding (message copied) to ev. 0, or -1 on OOM. */
static int
finding_add(struct posture_eval *ev, enum posture_code code, enum posture_family fam,
	    const char *msg)
{
	struct posture_finding *grown;
	char *copy = strdup(msg);

	if (copy == NULL)
		return -1;
	grown = realloc(ev->findings, (ev->nfindings + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return -1;
	}
	ev->findings = grown;
	grown[ev->nfindings].code = code;
	grown[ev->nfindings].severity = posture_code_severity(code);
	grown[ev->nfindings].family = fam;
	grown[ev->nfindings].message = copy;
	ev->nfindings++;
	return 0;
}

/* Whether a record name can be kept: 1..STORE_RECORD_NAME_MAX printable bytes. */
static bool
name_ok(const char *name)
{
	size_t i, n = name != NULL ? strnlen(name, STORE_RECORD_NAME_MAX + 1) : 0;

	if (n == 0 || n > STORE_RECORD_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return false;
	return true;
}

/* When a record was last seen: the latest last seen of its versions. */
static uint64_t
record_recency(const struct store_record *r)
{
	uint64_t last = 0;
	size_t j;

	for (j = 0; j < r->nv; j++)
		if (r->v[j].last_s > last)
			last = r->v[j].last_s;
	return last;
}

/* Free what one record owns. */
static void
record_clear(struct store_record *r)
{
	size_t j;

	for (j = 0; j < r->nv; j++)
		free(r->v[j].value);
	free(r->v);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

/* Drop the least recently seen records until there is room for one more. */
static void
make_room(struct store_history *h)
{
	size_t i, oldest;

	while (h->nrec >= STORE_HISTORY_RECORDS) {
		for (i = 1, oldest = 0; i < h->nrec; i++)
			if (record_recency(&h->rec[i]) < record_recency(&h->rec[oldest]))
				oldest = i;
		record_clear(&h->rec[oldest]);
		memmove(&h->rec[oldest], &h->rec[oldest + 1],
		    (h->nrec - oldest - 1) * sizeof(*h->rec));
		h->nrec--;
	}
}

/* Remember a record seen for the first time. 0, or -1 on OOM. */
static int
record_add(struct store_history *h, const struct posture_record *pr, const char *raw,
	   uint64_t now_s)
{
	struct store_record *grown, *r;
	char *name, *value;
	struct store_version *v;

	make_room(h);
	name = strdup(pr->name);
	value = value_copy(raw);
	v = calloc(1, sizeof(*v));
	grown = name && value && v ? realloc(h->rec, (h->nrec + 1) * sizeof(*grown)) : NULL;
	if (grown == NULL) {
		free(name);
		free(value);
		free(v);
		return -1;
	}
	h->rec = grown;
	r = &h->rec[h->nrec++];
	r->name = name;
	r->family = pr->family;
	r->v = v;
	r->nv = 1;
	v->value = value;
	v->first_s = v->last_s = now_s;
	return 0;
}

/* Keep at most vmax versions of r. */
static void
trim_versions(struct store_record *r, size_t vmax)
{
	while (r->nv > vmax)
		free(r->v[--r->nv].value);
}

/* Note that version j was seen again at now_s and move it to the front. */
static void
version_refresh(struct store_record *r, size_t j, uint64_t now_s)
{
	struct store_version v = r->v[j];

	if (now_s > v.last_s)
		v.last_s = now_s;
	if (v.first_s > v.last_s)
		v.first_s = v.last_s;
	memmove(&r->v[1], &r->v[0], j * sizeof(*r->v));
	r->v[0] = v;
}

/* Put a new value in front of r's versions, keeping at most vmax. 0, or -1 on OOM. */
static int
version_push(struct store_record *r, const char *raw, uint64_t now_s, size_t vmax)
{
	size_t keep = r->nv < vmax ? r->nv : vmax - 1, j;
	struct store_version *grown;
	char *value = value_copy(raw);

	if (value == NULL)
		return -1;
	if (keep + 1 > r->nv) {
		grown = realloc(r->v, (keep + 1) * sizeof(*grown));
		if (grown == NULL) {
			free(value);
			return -1;
		}
		r->v = grown;
	}
	for (j = keep; j < r->nv; j++)
		free(r->v[j].value);
	memmove(&r->v[1], &r->v[0], keep * sizeof(*r->v));
	r->v[0].value = value;
	r->v[0].first_s = r->v[0].last_s = now_s;
	r->nv = keep + 1;
	return 0;
}

/* The record of h named name, or NULL. */
static struct store_record *
record_find(struct store_history *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nrec; i++)
		if (h->rec[i].name != NULL && strcmp(h->rec[i].name, name) == 0)
			return &h->rec[i];
	return NULL;
}

/* Raise DKIM_KEY_STALE when r is a DKIM key whose current value is over a year old. */
static int
check_stale(struct posture_eval *ev, const struct store_record *r, uint64_t now_s,
	    int *added)
{
	char what[WHAT_MAX], when[32], msg[MSG_MAX];

	if (strncmp(r->name, DKIM_PREFIX, strlen(DKIM_PREFIX)) != 0 || r->nv == 0 ||
	    r->v[0].value == NULL || r->v[0].value[0] == '\0' ||
	    now_s <= r->v[0].first_s || now_s - r->v[0].first_s <= HISTORY_STALE_S)
		return 0;
	history_record_what(r->name, ev->domain, what, sizeof(what));
	history_format_time(r->v[0].first_s, HISTORY_TIME_DATE, when, sizeof(when));
	snprintf(msg, sizeof(msg), "%s unchanged since %s: more than a year (rotate keys "
	    "every 6 to 12 months)", what, when);
	if (finding_add(ev, PC_DKIM_KEY_STALE, PF_DKIM, msg) < 0)
		return -1;
	(*added)++;
	return 0;
}

/* Compare one record of ev with h and note it. 0, or -1 on OOM. */
static int
track_record(struct store_history *h, struct posture_eval *ev,
	     const struct posture_record *pr, uint64_t now_s, size_t vmax, int *added)
{
	const char *raw = pr->value != NULL ? pr->value : "";
	char what[WHAT_MAX], when[32], oldv[VALUE_SHOWN], newv[VALUE_SHOWN], msg[MSG_MAX];
	struct store_record *r = record_find(h, pr->name);
	size_t j;

	if (r == NULL || r->nv == 0) {
		if (r != NULL) {	/* nothing kept of it: as if first seen */
			free(r->v);
			r->v = NULL;
			r->family = pr->family;
			if (version_push(r, raw, now_s, vmax) < 0)
				return -1;
			return 0;
		}
		return record_add(h, pr, raw, now_s);
	}
	r->family = pr->family;
	for (j = 0; j < r->nv; j++) {
		if (value_same(r->v[j].value, raw)) {
			version_refresh(r, j, now_s);
			trim_versions(r, vmax);
			return check_stale(ev, r, now_s, added);
		}
	}
	history_record_what(r->name, ev->domain, what, sizeof(what));
	history_format_time(r->v[0].last_s, HISTORY_TIME_MINUTE, when, sizeof(when));
	value_shown(r->v[0].value, oldv, sizeof(oldv));
	value_shown(raw, newv, sizeof(newv));
	snprintf(msg, sizeof(msg), "%s changed since %s UTC: %s -> %s", what, when, oldv, newv);
	if (version_push(r, raw, now_s, vmax) < 0)
		return -1;
	if (finding_add(ev, PC_RECORD_CHANGED, r->family, msg) < 0)
		return -1;
	(*added)++;
	return 0;
}

/* How good a result is, lower better; -1 for results never compared. */
static int
result_rank(enum posture_result res)
{
	switch (res) {
	case PR_OK:		return 0;
	case PR_WEAK:		return 1;
	case PR_BROKEN:
	case PR_NONE:		return 2;
	case PR_NOT_CHECKED:
	case PR_UNKNOWN:
	case PR_TEMPERROR:	break;
	}
	return -1;
}

/* Upper-case family title: "MTA-STS". */
static void
family_title(enum posture_family fam, char *out, size_t outlen)
{
	const char *p = posture_family_name(fam);
	size_t i;

	for (i = 0; p[i] != '\0' && i + 1 < outlen; i++)
		out[i] = p[i] >= 'a' && p[i] <= 'z' ? (char)(p[i] - 'a' + 'A') : p[i];
	out[i] = '\0';
}

/* Compare the family results of ev with h and note them. 0, or -1 on OOM. */
static int
track_results(struct store_history *h, struct posture_eval *ev, uint64_t now_s,
	      int *added)
{
	char title[16], d[300], when[32], msg[MSG_MAX];
	int fam, cur, prev;

	for (fam = 0; fam < PF_COUNT; fam++) {
		if ((cur = result_rank(ev->family[fam].result)) < 0)
			continue;
		prev = (unsigned)h->last_result[fam] <= PR_TEMPERROR ?
		    result_rank(h->last_result[fam]) : -1;
		if (prev >= 0 && cur > prev) {
			family_title((enum posture_family)fam, title, sizeof(title));
			pt_sanitize(ev->domain, strnlen(ev->domain, sizeof(ev->domain)), d,
			    sizeof(d));
			history_format_time(h->last_result_s[fam], HISTORY_TIME_MINUTE, when,
			    sizeof(when));
			snprintf(msg, sizeof(msg), "%s posture of %s got worse since %s UTC: %s -> %s",
			    title, d, when, posture_result_word(h->last_result[fam]),
			    posture_result_word(ev->family[fam].result));
			if (finding_add(ev, PC_POSTURE_WEAKENED, (enum posture_family)fam,
			    msg) < 0)
				return -1;
			(*added)++;
		}
		h->last_result[fam] = ev->family[fam].result;
		h->last_result_s[fam] = now_s;
	}
	return 0;
}

/* Whether ev->records[i] repeats the name of an earlier record. */
static bool
repeated(const struct posture_eval *ev, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (ev->records[k].name != NULL &&
		    strcmp(ev->records[k].name, ev->records[i].name) == 0)
			return true;
	return false;
}

/* Compare ev with h, raise the change findings, update h (history.h). */
int
history_track(struct store_history *h, struct posture_eval *ev, uint64_t now_s,
	      unsigned versions_max)
{
	size_t i, vmax = versions_max;
	int added = 0, rc = 0;

	if (h == NULL || ev == NULL || ev->error != NULL)
		return 0;
	if (vmax < 1)
		vmax = 1;
	if (vmax > STORE_HISTORY_VERSIONS_MAX)
		vmax = STORE_HISTORY_VERSIONS_MAX;
	for (i = 0; i < ev->nrecords && rc == 0; i++) {
		const struct posture_record *pr = &ev->records[i];

		if (!name_ok(pr->name) || (unsigned)pr->family >= PF_COUNT || repeated(ev, i))
			continue;
		rc = track_record(h, ev, pr, now_s, vmax, &added);
	}
	/* Versions over a lowered versions_max go too, for records not seen this time. */
	for (i = 0; i < h->nrec; i++)
		trim_versions(&h->rec[i], vmax);
	if (rc == 0)
		rc = track_results(h, ev, now_s, &added);
	if (added > 0)
		ev->grade = eval_grade(ev);
	return rc < 0 ? -1 : added;
}
