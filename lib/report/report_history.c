/*
 * report_history.c - reports of what posture memory remembers of a domain
 * (report/report_history.h), for posture-check --history.
 *
 *   posture_history_text()  records in family order, versions most recently seen
 *                           first, then the last result per family
 *   posture_history_json()  one object (report_history.h has its shape)
 *
 * What can go wrong: the history comes back from the store, written by another host
 * or version: names and values are untrusted (sanitized, values cut at VALUE_SHOWN
 * bytes in the text, JSON-escaped whole in the JSON), families and results may be out
 * of range (printed as "unknown" / "not-checked", never used as an index), times may
 * be anything a u64 holds (history_format_time() clamps them to the year 9999).
 */
#include <string.h>

#include "eval/history.h"
#include "report/report_history.h"
#include "util/strbuf.h"

#define REPORT_WIDTH 78
#define VALUE_INDENT "    "
#define VALUE_SHOWN 1024	/* a value's bytes shown in the text, then "..." */

/* Where a record sorts: its family, or after them all when out of range. */
static unsigned
family_rank(const struct store_record *r)
{
	return (unsigned)r->family < PF_COUNT ? (unsigned)r->family : PF_COUNT;
}

/* One record of the text report. */
static void
text_record(struct pt_sb *sb, const char *domain, const struct store_record *r)
{
	char name[STORE_RECORD_NAME_MAX * 4 + 1], what[512], first[32], last[32];
	char value[VALUE_SHOWN];
	const char *n = r->name != NULL ? r->name : "";
	size_t j;

	pt_sanitize(n, strlen(n), name, sizeof(name));
	history_record_what(n, domain, what, sizeof(what));
	pt_sb_printf(sb, "\n%s: %s\n", name, what);
	if (r->nv == 0)
		pt_sb_append(sb, "  no version kept\n");
	for (j = 0; j < r->nv; j++) {
		const char *v = r->v[j].value != NULL ? r->v[j].value : "";

		history_format_time(r->v[j].first_s, HISTORY_TIME_MINUTE, first,
		    sizeof(first));
		history_format_time(r->v[j].last_s, HISTORY_TIME_MINUTE, last,
		    sizeof(last));
		pt_sb_printf(sb, "  first seen %s, last seen %s\n", first, last);
		if (*v == '\0') {
			pt_sb_append(sb, VALUE_INDENT "(none)\n");
			continue;
		}
		pt_sanitize(v, strlen(v), value, sizeof(value));
		pt_sb_append(sb, VALUE_INDENT);
		pt_sb_append_wrapped(sb, REPORT_WIDTH, strlen(VALUE_INDENT), VALUE_INDENT, value);
	}
}

/* Whether a family's last result is worth showing. */
static bool
result_shown(const struct store_history *h, int fam)
{
	return h->last_result[fam] != PR_NOT_CHECKED &&
	    (unsigned)h->last_result[fam] <= PR_TEMPERROR;
}

/* A report for a terminal. */
char *
posture_history_text(const char *domain, const struct store_history *h)
{
	char d[300], at[32];
	struct pt_sb sb;
	unsigned rank;
	size_t i, shown = 0;
	int fam;

	if (domain == NULL)
		domain = "";
	pt_sb_init(&sb);
	pt_sanitize(domain, strlen(domain), d, sizeof(d));
	pt_sb_printf(&sb, "History of %s (times UTC)\n", d);
	for (rank = 0; rank <= PF_COUNT; rank++)
		for (i = 0; i < h->nrec; i++)
			if (family_rank(&h->rec[i]) == rank)
				text_record(&sb, domain, &h->rec[i]);
	if (h->nrec == 0)
		pt_sb_append(&sb, "\nno record remembered\n");
	pt_sb_append(&sb, "\nLast results\n");
	for (fam = 0; fam < PF_COUNT; fam++) {
		if (!result_shown(h, fam))
			continue;
		history_format_time(h->last_result_s[fam], HISTORY_TIME_MINUTE, at,
		    sizeof(at));
		pt_sb_printf(&sb, "  %-8s %-10s %s\n",
		    posture_family_name((enum posture_family)fam),
		    posture_result_word(h->last_result[fam]), at);
		shown++;
	}
	if (shown == 0)
		pt_sb_append(&sb, "  none remembered\n");
	return pt_sb_take(&sb);
}

/* The JSON object. */
char *
posture_history_json(const char *domain, const struct store_history *h)
{
	char first[32], last[32];
	const char *sep = "";
	struct pt_sb sb;
	unsigned rank;
	size_t i, j;
	int fam;

	pt_sb_init(&sb);
	pt_sb_append(&sb, "{\"domain\": ");
	pt_sb_append_json(&sb, domain != NULL ? domain : "");
	pt_sb_append(&sb, ", \"records\": [");
	for (rank = 0; rank <= PF_COUNT; rank++) {
		for (i = 0; i < h->nrec; i++) {
			const struct store_record *r = &h->rec[i];

			if (family_rank(r) != rank)
				continue;
			pt_sb_printf(&sb, "%s{\"name\": ", sep);
			pt_sb_append_json(&sb, r->name != NULL ? r->name : "");
			pt_sb_printf(&sb, ", \"family\": \"%s\", \"versions\": [",
			    posture_family_name(r->family));
			for (j = 0; j < r->nv; j++) {
				history_format_time(r->v[j].first_s, HISTORY_TIME_RFC3339, first,
				    sizeof(first));
				history_format_time(r->v[j].last_s, HISTORY_TIME_RFC3339, last,
				    sizeof(last));
				pt_sb_printf(&sb, "%s{\"value\": ", j ? ", " : "");
				pt_sb_append_json(&sb, r->v[j].value != NULL ? r->v[j].value : "");
				pt_sb_printf(&sb, ", \"first_seen\": \"%s\", \"last_seen\": \"%s\"}",
				    first, last);
			}
			pt_sb_append(&sb, "]}");
			sep = ", ";
		}
	}
	pt_sb_append(&sb, "], \"results\": {");
	sep = "";
	for (fam = 0; fam < PF_COUNT; fam++) {
		if (!result_shown(h, fam))
			continue;
		history_format_time(h->last_result_s[fam], HISTORY_TIME_RFC3339, last,
		    sizeof(last));
		pt_sb_printf(&sb, "%s\"%s\": {\"result\": \"%s\", \"at\": \"%s\"}", sep,
		    posture_family_name((enum posture_family)fam),
		    posture_result_word(h->last_result[fam]), last);
		sep = ", ";
	}
	pt_sb_append(&sb, "}}\n");
	return pt_sb_take(&sb);
}
