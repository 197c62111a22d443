/*
 * report_verify.c - one message's verification as posture-check prints it: the same
 * verdicts as the Authentication-Results value (report_authres.c), in JSON and text.
 *
 *   posture_report_verification_json()  the "verification" object (ARCHITECTURE.md, Interfaces)
 *   posture_report_verification_text()  lines for a terminal, wrapped to 80 columns
 *
 * The words are those of the header: an SPF result that was not checked reads "none",
 * DMARC over several author domains "permerror" (RFC 7489 6.6.1). Signature fields come
 * from the message (d=, s=, a=, b= as written, printable ASCII): JSON strings go
 * through the escaper, text through the sanitizer; nothing is printed raw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "verify/verify.h"

#define REPORT_WIDTH 80
#define TEXT_INDENT "           "	/* 11 columns: under the result words */

/* DMARC's word as the header says it. */
static const char *
dmarc_word(const struct verify_in *in, const struct verify_out *out)
{
	if (out->dmarc_done)
		return dmarc_verdict_word(out->dmarc.result);
	return out->dmarc_skip != NULL && in->nfrom_domains > 1 ? "permerror" : "none";
}

/* Why SPF was not checked. */
static const char *
spf_skip_reason(const struct verify_in *in)
{
	if (in->iplen != 4 && in->iplen != 16)
		return "no client address";
	return "no MAIL FROM domain and no HELO name that is a domain (RFC 7208 2.3)";
}

/* A JSON string, or null when s is NULL or empty. */
static void
json_str_or_null(struct pt_sb *sb, const char *s)
{
	if (s == NULL || *s == '\0')
		pt_sb_append(sb, "null");
	else
		pt_sb_append_json(sb, s);
}

/* A JSON boolean. */
static const char *
json_bool(bool b)
{
	return b ? "true" : "false";
}

/* "spf": {...} */
static void
json_spf(struct pt_sb *sb, const struct verify_in *in, const struct verify_out *out)
{
	pt_sb_append(sb, "\"spf\": {\"result\": ");
	if (!out->spf_done) {
		pt_sb_append(sb, "\"none\", \"domain\": null, \"scope\": null, "
		    "\"mechanism\": null, \"reason\": ");
		pt_sb_append_json(sb, spf_skip_reason(in));
		pt_sb_append(sb, "}");
		return;
	}
	pt_sb_append_json(sb, spf_result_name(out->spf.result));
	pt_sb_append(sb, ", \"domain\": ");
	json_str_or_null(sb, out->spf_domain);
	pt_sb_printf(sb, ", \"scope\": \"%s\", \"mechanism\": ",
	    out->spf_helo ? "helo" : "mailfrom");
	json_str_or_null(sb, out->spf.mechanism);
	pt_sb_append(sb, ", \"reason\": ");
	json_str_or_null(sb, out->spf.reason);
	pt_sb_printf(sb, ", \"lookups\": %u, \"void_lookups\": %u}", out->spf.lookups,
	    out->spf.voids);
}

/* "dkim": [{...}, ...] and, when there is one, what concerns the whole message. */
static void
json_dkim(struct pt_sb *sb, const struct verify_in *in)
{
	const struct dkim_verify_results *r = in->dkim;
	size_t i;

	pt_sb_append(sb, "\"dkim\": [");
	for (i = 0; r != NULL && i < r->nsigs; i++) {
		const struct dkim_verify_sig *s = &r->sigs[i];

		pt_sb_append(sb, i ? ", {\"result\": " : "{\"result\": ");
		pt_sb_append_json(sb, dkim_verify_word(s->result));
		pt_sb_append(sb, ", \"domain\": ");
		pt_sb_append_json(sb, s->domain);
		pt_sb_append(sb, ", \"selector\": ");
		pt_sb_append_json(sb, s->selector);
		pt_sb_append(sb, ", \"algorithm\": ");
		pt_sb_append_json(sb, s->algorithm);
		if (s->key_bits > 0)
			pt_sb_printf(sb, ", \"key_bits\": %u", s->key_bits);
		else
			pt_sb_append(sb, ", \"key_bits\": null");
		pt_sb_append(sb, ", \"header_b\": ");
		pt_sb_append_json(sb, s->header_b);
		pt_sb_append(sb, ", \"reason\": ");
		json_str_or_null(sb, s->reason);
		pt_sb_printf(sb, ", \"body_length\": %s, \"from_signed\": %s, \"testing\": %s, "
		    "\"verified\": %s}", json_bool(s->body_length), json_bool(s->from_signed),
		    json_bool(s->testing), json_bool(s->verified));
	}
	pt_sb_append(sb, "]");
	if (r != NULL && r->not_checked > 0)
		pt_sb_printf(sb, ", \"dkim_not_checked\": %u", r->not_checked);
	if (r != NULL && r->error[0]) {
		pt_sb_append(sb, ", \"dkim_error\": ");
		pt_sb_append_json(sb, r->error);
	}
}

/* "dmarc": {...} */
static void
json_dmarc(struct pt_sb *sb, const struct verify_in *in, const struct verify_out *out)
{
	const struct dmarc_verify_result *d = &out->dmarc;
	bool policy = out->dmarc_done &&
	    (d->result == DMARC_V_PASS || d->result == DMARC_V_FAIL);

	pt_sb_append(sb, "\"dmarc\": {\"result\": ");
	pt_sb_append_json(sb, dmarc_word(in, out));
	pt_sb_append(sb, ", \"from_domain\": ");
	json_str_or_null(sb, in->nfrom_domains == 1 ? in->from_domain : NULL);
	if (!out->dmarc_done) {
		pt_sb_append(sb, ", \"policy_domain\": null, \"org_domain\": null, "
		    "\"policy\": null, \"policy_tag\": null, \"disposition\": null, "
		    "\"testing\": false, \"pct\": null, \"spf_aligned\": false, "
		    "\"dkim_aligned\": false, \"aligned_dkim_domain\": null, \"reason\": ");
		json_str_or_null(sb, out->dmarc_skip ? out->dmarc_skip : "not evaluated");
		pt_sb_append(sb, "}");
		return;
	}
	pt_sb_append(sb, ", \"policy_domain\": ");
	json_str_or_null(sb, d->policy_domain);
	pt_sb_append(sb, ", \"org_domain\": ");
	json_str_or_null(sb, d->org_domain);
	pt_sb_append(sb, ", \"policy\": ");
	json_str_or_null(sb, policy ? dmarc_policy_word(d->policy) : NULL);
	pt_sb_append(sb, ", \"policy_tag\": ");
	json_str_or_null(sb, policy ? d->policy_tag : NULL);
	pt_sb_append(sb, ", \"disposition\": ");
	json_str_or_null(sb, policy ? dmarc_policy_word(d->disposition) : NULL);
	pt_sb_printf(sb, ", \"testing\": %s", json_bool(d->testing));
	if (d->pct >= 0)
		pt_sb_printf(sb, ", \"pct\": %d", d->pct);
	else
		pt_sb_append(sb, ", \"pct\": null");
	pt_sb_printf(sb, ", \"spf_aligned\": %s, \"dkim_aligned\": %s, "
	    "\"aligned_dkim_domain\": ", json_bool(d->spf_aligned), json_bool(d->dkim_aligned));
	json_str_or_null(sb, d->aligned_dkim_domain);
	pt_sb_append(sb, ", \"reason\": ");
	json_str_or_null(sb, d->result == DMARC_V_PASS ? NULL : d->reason);
	pt_sb_append(sb, "}");
}

/* "arc": {...}, only when the chain was verified. */
static void
json_arc(struct pt_sb *sb, const struct verify_in *in, const struct verify_out *out)
{
	const struct arc_verify_results *r = in->arc;
	unsigned i;

	pt_sb_append(sb, ", \"arc\": {\"result\": ");
	pt_sb_append_json(sb, arc_verify_word(r->result));
	pt_sb_printf(sb, ", \"instances\": %u, \"oldest_pass\": ", r->count);
	if (r->result == ARC_VERIFY_PASS)
		pt_sb_printf(sb, "%u", r->oldest_pass);
	else
		pt_sb_append(sb, "null");
	pt_sb_append(sb, ", \"reason\": ");
	json_str_or_null(sb, r->reason[0] ? r->reason : NULL);
	pt_sb_append(sb, ", \"override_by\": ");
	json_str_or_null(sb, out->arc_override[0] ? out->arc_override : NULL);
	pt_sb_append(sb, ", \"sets\": [");
	for (i = 0; i < r->count; i++) {
		const struct arc_verify_set *s = &r->sets[i];

		pt_sb_printf(sb, "%s{\"instance\": %u, \"sealer\": ", i ? ", " : "", s->instance);
		pt_sb_append_json(sb, s->sealer);
		pt_sb_append(sb, ", \"signer\": ");
		pt_sb_append_json(sb, s->ams_domain);
		pt_sb_append(sb, ", \"cv\": ");
		pt_sb_append_json(sb, arc_cv_word(s->cv));
		pt_sb_printf(sb, ", \"seal_verified\": %s, \"ams_verified\": %s}",
		    json_bool(s->seal_verified), json_bool(s->ams_verified));
	}
	pt_sb_append(sb, "]}");
}

/* The header value on one line: each fold ("\n" or "\r\n" before WSP) read as a space. */
static void
append_unfolded(struct pt_sb *sb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\r' && v[1] == '\n')
			continue;
		if (*v == '\n') {
			pt_sb_append(sb, " ");
			while (v[1] == ' ' || v[1] == '\t')
				v++;
			continue;
		}
		pt_sb_appendn(sb, v, 1);
	}
}

/* The "verification" object. */
char *
posture_report_verification_json(const struct verify_in *in, const struct verify_out *out,
				 const char *authres)
{
	struct pt_sb sb, line;
	char *flat;

	pt_sb_init(&sb);
	pt_sb_append(&sb, "{");
	json_spf(&sb, in, out);
	pt_sb_append(&sb, ", ");
	json_dkim(&sb, in);
	pt_sb_append(&sb, ", ");
	json_dmarc(&sb, in, out);
	if (in->arc != NULL)
		json_arc(&sb, in, out);
	pt_sb_append(&sb, ", \"authentication_results\": ");
	if (authres == NULL) {
		pt_sb_append(&sb, "null}");
		return pt_sb_take(&sb);
	}
	pt_sb_init(&line);
	append_unfolded(&line, authres);
	flat = pt_sb_take(&line);
	if (flat == NULL) {
		pt_sb_free(&sb);
		return NULL;
	}
	pt_sb_append_json(&sb, flat);
	free(flat);
	pt_sb_append(&sb, "}");
	return pt_sb_take(&sb);
}

/* One labelled line: "  LABEL    text", wrapped under the text. */
static void
text_line(struct pt_sb *sb, const char *label, const char *text)
{
	char head[16];

	snprintf(head, sizeof(head), "  %-8s ", label);
	pt_sb_append(sb, head);
	pt_sb_append_wrapped(sb, REPORT_WIDTH, strlen(head), TEXT_INDENT, text);
}

/* A field from the message, sanitized into t (bytes outside printable ASCII as \xHH). */
static void
text_value(struct pt_sb *t, const char *s)
{
	pt_sb_append_sanitized(t, s, strlen(s));
}

/* SPF: result, identity, deciding term. */
static void
text_spf(struct pt_sb *sb, const struct verify_in *in, const struct verify_out *out)
{
	struct pt_sb t;
	char *s;

	pt_sb_init(&t);
	if (!out->spf_done) {
		pt_sb_printf(&t, "none: not checked, %s", spf_skip_reason(in));
	} else {
		pt_sb_printf(&t, "%s: %s %s", spf_result_name(out->spf.result),
		    out->spf_helo ? "HELO" : "MAIL FROM", out->spf_domain);
		if (out->spf.mechanism[0]) {
			pt_sb_append(&t, ", matched ");
			text_value(&t, out->spf.mechanism);
		}
		if (out->spf.reason[0]) {
			pt_sb_append(&t, ": ");
			text_value(&t, out->spf.reason);
		}
		if (out->spf.lookups > 0)
			pt_sb_printf(&t, " (%u DNS term%s, RFC 7208 4.6.4)", out->spf.lookups,
			    out->spf.lookups == 1 ? "" : "s");
	}
	s = pt_sb_take(&t);
	if (s != NULL)
		text_line(sb, "SPF", s);
	free(s);
}

/* DKIM: one line per signature, its reason and flags below. */
static void
text_dkim(struct pt_sb *sb, const struct verify_in *in)
{
	const struct dkim_verify_results *r = in->dkim;
	struct pt_sb t;
	size_t i;
	char *s;

	if (r == NULL || r->nsigs == 0) {
		text_line(sb, "DKIM", r == NULL ? "none: not verified" :
		    "none: no DKIM-Signature field");
	}
	for (i = 0; r != NULL && i < r->nsigs; i++) {
		const struct dkim_verify_sig *g = &r->sigs[i];

		pt_sb_init(&t);
		pt_sb_printf(&t, "%s: d=", dkim_verify_word(g->result));
		text_value(&t, g->domain);
		pt_sb_append(&t, " s=");
		text_value(&t, g->selector);
		pt_sb_append(&t, " a=");
		text_value(&t, g->algorithm);
		if (g->key_bits > 0)
			pt_sb_printf(&t, ", %u-bit key", g->key_bits);
		if (g->header_b[0]) {
			pt_sb_append(&t, ", b=");
			text_value(&t, g->header_b);
		}
		if (g->reason[0]) {
			pt_sb_append(&t, "; ");
			text_value(&t, g->reason);
		}
		if (g->body_length)
			pt_sb_append(&t, "; l= present: part of the body is unsigned");
		if (!g->from_signed)
			pt_sb_append(&t, "; From not in h=");
		if (g->testing)
			pt_sb_append(&t, "; key in testing mode (t=y)");
		s = pt_sb_take(&t);
		if (s != NULL)
			text_line(sb, i == 0 ? "DKIM" : "", s);
		free(s);
	}
	if (r != NULL && r->not_checked > 0) {
		s = pt_strdup_printf("%u more signature%s not checked (MaxSignatures)",
		    r->not_checked, r->not_checked == 1 ? "" : "s");
		if (s != NULL)
			text_line(sb, "", s);
		free(s);
	}
	if (r != NULL && r->error[0]) {
		pt_sb_init(&t);
		text_value(&t, r->error);
		s = pt_sb_take(&t);
		if (s != NULL)
			text_line(sb, "", s);
		free(s);
	}
}

/* DMARC: result, policy and disposition, alignment. */
static void
text_dmarc(struct pt_sb *sb, const struct verify_in *in, const struct verify_out *out)
{
	const struct dmarc_verify_result *d = &out->dmarc;
	struct pt_sb t;
	char *s;

	pt_sb_init(&t);
	pt_sb_printf(&t, "%s:", dmarc_word(in, out));
	if (!out->dmarc_done) {
		pt_sb_printf(&t, " not evaluated, %s",
		    out->dmarc_skip ? out->dmarc_skip : "no result");
	} else {
		pt_sb_printf(&t, " From %s", in->from_domain);
		if (d->result == DMARC_V_PASS || d->result == DMARC_V_FAIL) {
			pt_sb_printf(&t, ", %s=%s at %s, disposition %s", d->policy_tag,
			    dmarc_policy_word(d->policy), d->policy_domain,
			    dmarc_policy_word(d->disposition));
			if (d->testing)
				pt_sb_append(&t, " (t=y: testing)");
			if (d->pct >= 0 && d->pct < 100)
				pt_sb_printf(&t, " (pct=%d not applied)", d->pct);
			pt_sb_printf(&t, "; aligned: %s%s%s%s",
			    d->spf_aligned ? "SPF" : "",
			    d->spf_aligned && d->dkim_aligned ? " and " : "",
			    d->dkim_aligned ? "DKIM " : "",
			    !d->spf_aligned && !d->dkim_aligned ? "none" : "");
			if (d->dkim_aligned)
				pt_sb_printf(&t, "(d=%s)", d->aligned_dkim_domain);
		}
		if (d->result != DMARC_V_PASS && d->reason != NULL)
			pt_sb_printf(&t, "; %s", d->reason);
		if (out->arc_override[0]) {
			pt_sb_append(&t, "; arc override by ");
			text_value(&t, out->arc_override);
		}
	}
	s = pt_sb_take(&t);
	if (s != NULL)
		text_line(sb, "DMARC", s);
	free(s);
}

/* ARC: result, the sets oldest first, oldest-pass or why it failed. */
static void
text_arc(struct pt_sb *sb, const struct verify_in *in)
{
	const struct arc_verify_results *r = in->arc;
	struct pt_sb t;
	unsigned i;
	char *s;

	pt_sb_init(&t);
	pt_sb_printf(&t, "%s:", arc_verify_word(r->result));
	if (r->result == ARC_VERIFY_NONE)
		pt_sb_append(&t, " no ARC sets");
	if (r->count > 0)
		pt_sb_printf(&t, " %u set%s,", r->count, r->count > 1 ? "s" : "");
	for (i = 0; i < r->count; i++) {
		pt_sb_printf(&t, " i=%u sealed by ", r->sets[i].instance);
		text_value(&t, r->sets[i].sealer);
		pt_sb_append(&t, i + 1 < r->count ? "," : "");
	}
	if (r->result == ARC_VERIFY_PASS)
		pt_sb_printf(&t, "; oldest-pass %u", r->oldest_pass);
	if (r->reason[0]) {
		pt_sb_append(&t, r->count > 0 ? "; " : " ");
		text_value(&t, r->reason);
	}
	s = pt_sb_take(&t);
	if (s != NULL)
		text_line(sb, "ARC", s);
	free(s);
}

/* The verification for a terminal. */
char *
posture_report_verification_text(const struct verify_in *in, const struct verify_out *out,
				 const char *authres)
{
	struct pt_sb sb;

	pt_sb_init(&sb);
	pt_sb_append(&sb, "Verification:\n");
	text_spf(&sb, in, out);
	text_dkim(&sb, in);
	text_dmarc(&sb, in, out);
	if (in->arc != NULL)
		text_arc(&sb, in);
	if (authres != NULL)
		pt_sb_printf(&sb, "\nAuthentication-Results: %s\n", authres);
	return pt_sb_take(&sb);
}
