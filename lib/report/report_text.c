/*
 * report_text.c - the posture-check report for a terminal.
 *
 *   posture_report_text()  one domain: grade, then each checked family with its
 *                          result and findings, messages wrapped to 80 columns
 *
 * Families this build or evaluation did not check are left out, never shown as "none".
 */
#include <ctype.h>
#include <string.h>

#include "posture.h"
#include "util/strbuf.h"

#define REPORT_WIDTH 80
#define MSG_INDENT "           "	/* 11 columns: under "  error  " */

/* Upper-case family title: "MTA-STS". */
static void
append_family_title(struct pt_sb *sb, enum posture_family fam)
{
	const char *p;

	for (p = posture_family_name(fam); *p; p++) {
		char c = (char)toupper((unsigned char)*p);

		pt_sb_appendn(sb, &c, 1);
	}
}

/* A report for a terminal. */
char *
posture_report_text(const struct posture_eval *ev)
{
	struct pt_sb sb;
	size_t i, shown;
	int fam;

	pt_sb_init(&sb);
	if (ev->error != NULL) {
		pt_sb_printf(&sb, "%s: not evaluated: %s\n",
		    ev->domain[0] ? ev->domain : ev->input, ev->error);
		return pt_sb_take(&sb);
	}
	pt_sb_printf(&sb, "Domain: %s", ev->domain);
	if (strcmp(ev->input, ev->domain) != 0)
		pt_sb_printf(&sb, " (%s)", ev->input);
	pt_sb_printf(&sb, "\nGrade:  %s\n", posture_grade_word(ev));
	for (fam = 0; fam < PF_COUNT; fam++) {
		const struct posture_family_result *fr = &ev->family[fam];

		if (fr->result == PR_NOT_CHECKED)
			continue;
		pt_sb_append(&sb, "\n");
		append_family_title(&sb, (enum posture_family)fam);
		pt_sb_printf(&sb, ": %s", posture_result_word(fr->result));
		if (fr->fact[0])
			pt_sb_printf(&sb, " (%s)", fr->fact);
		pt_sb_append(&sb, "\n");
		for (i = 0, shown = 0; i < ev->nfindings; i++) {
			const struct posture_finding *f = &ev->findings[i];

			if ((int)f->family != fam)
				continue;
			pt_sb_printf(&sb, "  %-7s  %s\n", posture_severity_word(f->severity),
			    posture_code_name(f->code));
			if (*f->message) {
				pt_sb_append(&sb, MSG_INDENT);
				pt_sb_append_wrapped(&sb, REPORT_WIDTH, strlen(MSG_INDENT), MSG_INDENT,
				    f->message);
			}
			shown++;
		}
		if (shown == 0)
			pt_sb_append(&sb, "  no findings\n");
	}
	pt_sb_printf(&sb, "\nDNS: %u queries in %u rounds, %u ms\n",
	    ev->dns.queries, ev->dns.rounds, ev->dns.elapsed_ms);
	return pt_sb_take(&sb);
}
