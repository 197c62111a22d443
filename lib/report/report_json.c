/*
 * report_json.c - the JSON interface of posture-check (ARCHITECTURE.md, Interfaces).
 *
 *   posture_report_json()  one object per domain, an array when several
 *
 * Object: {"domain", "grade", "checks": {family: {"result", "fact"?}}, "findings":
 * [{"code", "severity", "family", "message"}], "dns": {"queries", "rounds",
 * "elapsed_ms"}}; a domain that could not be evaluated: {"domain", "error"}.
 * Every string goes through the JSON escaper; families not checked are left out.
 */
#include <string.h>

#include "posture.h"
#include "util/strbuf.h"

/* One domain's object. */
static void
append_eval(struct pt_sb *sb, const struct posture_eval *ev)
{
	const char *sep = "";
	size_t i;
	int fam;

	pt_sb_append(sb, "{\"domain\": ");
	pt_sb_append_json(sb, ev->domain[0] ? ev->domain : ev->input);
	if (ev->domain[0] && strcmp(ev->input, ev->domain) != 0) {
		pt_sb_append(sb, ", \"input\": ");
		pt_sb_append_json(sb, ev->input);
	}
	if (ev->error != NULL) {
		pt_sb_append(sb, ", \"error\": ");
		pt_sb_append_json(sb, ev->error);
		pt_sb_append(sb, "}");
		return;
	}
	pt_sb_append(sb, ", \"grade\": ");
	pt_sb_append_json(sb, posture_grade_word(ev));
	pt_sb_append(sb, ", \"checks\": {");
	for (fam = 0; fam < PF_COUNT; fam++) {
		const struct posture_family_result *fr = &ev->family[fam];

		if (fr->result == PR_NOT_CHECKED)
			continue;
		pt_sb_printf(sb, "%s\"%s\": {\"result\": \"%s\"", sep,
		    posture_family_name((enum posture_family)fam),
		    posture_result_word(fr->result));
		if (fr->fact[0]) {
			pt_sb_append(sb, ", \"fact\": ");
			pt_sb_append_json(sb, fr->fact);
		}
		pt_sb_append(sb, "}");
		sep = ", ";
	}
	pt_sb_append(sb, "}, \"findings\": [");
	for (i = 0; i < ev->nfindings; i++) {
		const struct posture_finding *f = &ev->findings[i];

		pt_sb_printf(sb, "%s{\"code\": \"%s\", \"severity\": \"%s\", \"family\": \"%s\", "
		    "\"message\": ", i ? ", " : "", posture_code_name(f->code),
		    posture_severity_word(f->severity), posture_family_name(f->family));
		pt_sb_append_json(sb, f->message);
		pt_sb_append(sb, "}");
	}
	pt_sb_printf(sb, "], \"dns\": {\"queries\": %u, \"rounds\": %u, \"elapsed_ms\": %u}}",
	    ev->dns.queries, ev->dns.rounds, ev->dns.elapsed_ms);
}

/* One object for one domain, an array for several; newline-terminated. */
char *
posture_report_json(const struct posture_eval *const *evs, size_t n)
{
	struct pt_sb sb;
	size_t i;

	pt_sb_init(&sb);
	if (n != 1)
		pt_sb_append(&sb, "[");
	for (i = 0; i < n; i++) {
		if (i)
			pt_sb_append(&sb, ",\n ");
		append_eval(&sb, evs[i]);
	}
	if (n != 1)
		pt_sb_append(&sb, "]");
	pt_sb_append(&sb, "\n");
	return pt_sb_take(&sb);
}
