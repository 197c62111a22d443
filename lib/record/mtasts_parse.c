/*
 * mtasts_parse.c - the _mta-sts TXT record and the MTA-STS policy (RFC 8461 3.1, 3.2).
 *
 * The TXT record goes through the tag-list parser (taglist.h), then the stricter
 * grammar of RFC 8461 3.1 is checked on its tags: no space around "=", an id of 1 to
 * 32 letters and digits, extension names that may also hold "-" and "." (taglist's
 * names may not: such a tag comes back as a taglist error and is accepted here when
 * it is a valid sts-extension). The policy is read line by line through the bounded
 * reader (buf.h). Decisions are written in mtasts_parse.h.
 *
 * What can go wrong: any bytes are accepted; every copy into a struct is bounded and
 * sanitized; nothing is allocated.
 */
#include <stdio.h>
#include <string.h>

#include "util/ascii.h"
#include "util/buf.h"
#include "record/mtasts_parse.h"
#include "record/taglist.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

#define SEC_TXT		"RFC 8461 3.1"
#define SEC_POLICY	"RFC 8461 3.2"
#define SEC_MX		"RFC 8461 3.2, 4.1"

/* Record a problem (counted always, kept while there is room). */
static void
add_problem(struct mtasts_problem *probs, size_t *n, enum mtasts_psev sev, size_t where,
	    const void *text, size_t len, const char *reason, const char *section)
{
	struct mtasts_problem *p;

	if (*n < MTASTS_MAX_PROBLEMS) {
		p = &probs[*n];
		p->sev = sev;
		p->line = where;
		pt_sanitize(text, len, p->text, sizeof(p->text));
		p->reason = reason;
		p->section = section;
	}
	(*n)++;
}

/* sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."). */
static bool
is_ext_name(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 32 || !ascii_is_alnum(p[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!ascii_is_alnum(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
			return false;
	return true;
}

/* sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): no "=", ";", space or control. */
static bool
is_ext_value(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ';' || p[i] == '=')
			return false;
	return true;
}

/* What a TXT string is. */
enum mtasts_txt_kind
mtasts_txt_classify(const void *data, size_t len)
{
	switch (taglist_version_match(data, len, "v=STSv1", "sts")) {
	case TAGLIST_VERSION_EXACT:	return MTASTS_TXT_CANDIDATE;
	case TAGLIST_VERSION_LOOKALIKE:	return MTASTS_TXT_LOOKALIKE;
	case TAGLIST_VERSION_OTHER:	break;
	}
	return MTASTS_TXT_OTHER;
}

/*
 * Whether the ";"-delimited segment around offset pos is a valid sts-extension
 * (a name with "-" or "." that the tag-list grammar refused).
 */
static bool
segment_is_extension(const uint8_t *p, size_t len, size_t pos)
{
	size_t s = pos < len ? pos : len, e = s, eq;

	while (s > 0 && p[s - 1] != ';')
		s--;
	while (e < len && p[e] != ';')
		e++;
	while (s < e && ascii_is_wsp(p[s]))
		s++;
	while (e > s && ascii_is_wsp(p[e - 1]))
		e--;
	for (eq = s; eq < e && p[eq] != '='; eq++)
		;
	return eq < e && is_ext_name(p + s, eq - s) && is_ext_value(p + eq + 1, e - eq - 1);
}

/* Check one tag of the record against RFC 8461 3.1. */
static void
txt_check_tag(const struct taglist *tl, size_t i, const uint8_t *p, struct mtasts_txt *out,
	      bool *have_id)
{
	const struct taglist_tag *t = &tl->tags[i];
	size_t k, eqpos = t->name_pos + t->name_len;

	if (eqpos >= t->value_pos || p[eqpos] != '=' ||
	    (t->value_len > 0 && t->value_pos != eqpos + 1))
		add_problem(out->problems, &out->nproblems, MTASTS_PSEV_ERROR, t->name_pos,
		    p + t->name_pos, t->value_pos + t->value_len - t->name_pos,
		    "no space is allowed around \"=\"", SEC_TXT);
	if (i == 0)
		return;			/* v=STSv1, checked by the caller */
	if (taglist_name_is(tl, t, "v")) {
		add_problem(out->problems, &out->nproblems, MTASTS_PSEV_ERROR, t->name_pos,
		    p + t->name_pos, t->value_pos + t->value_len - t->name_pos,
		    "v= may only come first", SEC_TXT);
		return;
	}
	if (taglist_name_is(tl, t, "id")) {
		if (t->duplicate)
			return;		/* the taglist error says so */
		for (k = 0; k < t->value_len && ascii_is_alnum(t->value[k]); k++)
			;
		if (t->value_len == 0 || t->value_len > MTASTS_ID_MAX || k != t->value_len) {
			add_problem(out->problems, &out->nproblems, MTASTS_PSEV_ERROR,
			    t->value_pos, t->value, t->value_len,
			    "id must be 1 to 32 letters and digits", SEC_TXT);
			return;
		}
		memcpy(out->id, t->value, t->value_len);
		out->id[t->value_len] = '\0';
		*have_id = true;
		return;
	}
	if (!is_ext_value(t->value, t->value_len))
		add_problem(out->problems, &out->nproblems, MTASTS_PSEV_ERROR, t->name_pos,
		    p + t->name_pos, t->value_pos + t->value_len - t->name_pos,
		    "an extension needs a value without \"=\" or spaces", SEC_TXT);
}

/* Parse one TXT record. */
int
mtasts_txt_parse(const void *data, size_t len, struct mtasts_txt *out)
{
	const uint8_t *p = data;
	struct taglist tl;
	const struct taglist_error *e;
	bool have_id = false;
	size_t i;

	memset(out, 0, sizeof(*out));
	(void)taglist_parse(data, len, 0, &tl);
	if (tl.count == 0 || !taglist_name_is(&tl, &tl.tags[0], "v") ||
	    tl.tags[0].value_len != 5 || memcmp(tl.tags[0].value, "STSv1", 5) != 0 ||
	    tl.tags[0].name_pos != 0) {
		add_problem(out->problems, &out->nproblems, MTASTS_PSEV_ERROR, 0, p,
		    len < 16 ? len : 16, "the record must begin with v=STSv1", SEC_TXT);
		return -1;
	}
	for (i = 0; i < tl.nerrors && i < TAGLIST_MAX_ERRORS; i++) {
		e = &tl.errors[i];
		if (e->code == TL_ERR_BAD_NAME && segment_is_extension(p, len, e->pos))
			continue;
		add_problem(out->problems, &out->nproblems, MTASTS_PSEV_ERROR, e->pos,
		    p + e->pos, len - e->pos < 24 ? len - e->pos : 24,
		    e->code == TL_ERR_DUPLICATE ? "a tag appears twice" : e->reason, SEC_TXT);
	}
	for (i = 0; i < tl.count; i++)
		txt_check_tag(&tl, i, p, out, &have_id);
	if (!have_id && out->nproblems == 0)
		add_problem(out->problems, &out->nproblems, MTASTS_PSEV_ERROR, len, p,
		    len < 48 ? len : 48, "no id= tag (required)", SEC_TXT);
	out->valid = out->nproblems == 0 && have_id;
	return out->valid ? 0 : -1;
}

/* Policy problems. */
static void
pol_problem(struct mtasts_policy *out, enum mtasts_psev sev, size_t line, const void *p,
	    size_t n, const char *reason, const char *section)
{
	add_problem(out->problems, &out->nproblems, sev, line, p, n, reason, section);
}

/* The reason for an mx pattern refused by the LDH rule, in this parser's words. */
static const char *
mx_pattern_reason(enum dns_name_error err)
{
	switch (err) {
	case DNS_NAME_OK:		return NULL;
	case DNS_NAME_ERR_EMPTY:	return "an empty name";
	case DNS_NAME_ERR_TOO_LONG:	return "a name longer than 253 bytes";
	case DNS_NAME_ERR_LONG_LABEL:	return "a label longer than 63 bytes";
	case DNS_NAME_ERR_WILDCARD:
		return "\"*\" may only be the whole leftmost label (\"*.\")";
	case DNS_NAME_ERR_EMPTY_LABEL:
	case DNS_NAME_ERR_HYPHEN_END:	return "an empty label or one ending in \"-\"";
	case DNS_NAME_ERR_HYPHEN_START:
	case DNS_NAME_ERR_BAD_BYTE:	break;
	}
	return "a byte that is not a letter, digit, \"-\" or \".\"";
}

/*
 * Validate an mx pattern: ["*."] Domain (RFC 5321 4.1.2 sub-domains, LDH), at most
 * 253 bytes. Writes the lower-case pattern without a final dot to out (256 bytes).
 * Returns NULL when valid, else the reason; *dot is set when a final dot was dropped.
 */
static const char *
mx_pattern_check(const uint8_t *p, size_t n, char out[256], bool *dot)
{
	const char *why;
	size_t i;

	*dot = n > 0 && p[n - 1] == '.';
	if (*dot)
		n--;
	why = mx_pattern_reason(dns_name_check(p, n, DNS_NAME_LDH | DNS_NAME_WILDCARD));
	if (why != NULL)
		return why;
	for (i = 0; i < n; i++)
		out[i] = (char)ascii_lower(p[i]);
	out[n] = '\0';
	return NULL;
}

/* The value of "mode". */
static enum mtasts_mode
mode_of(const uint8_t *v, size_t n)
{
	if (n == 7 && memcmp(v, "enforce", 7) == 0)
		return MTASTS_MODE_ENFORCE;
	if (n == 7 && memcmp(v, "testing", 7) == 0)
		return MTASTS_MODE_TESTING;
	if (n == 4 && memcmp(v, "none", 4) == 0)
		return MTASTS_MODE_NONE;
	return MTASTS_MODE_INVALID;
}

/* One "key: value" line's known fields. */
static void
pol_field(struct mtasts_policy *out, size_t line, const uint8_t *k, size_t kn,
	  const uint8_t *v, size_t vn, unsigned *seen)
{
	const uint8_t *whole = k;
	size_t wn = (size_t)(v + vn - k), i;
	uint64_t age = 0;
	const char *why;
	char pat[256];
	bool dot;

	if (kn == 7 && memcmp(k, "version", 7) == 0) {
		if (*seen & 1u) {
			pol_problem(out, MTASTS_PSEV_WARN, line, whole, wn,
			    "version appears again: senders use the first", SEC_POLICY);
			return;
		}
		*seen |= 1u;
		out->version_ok = vn == 5 && memcmp(v, "STSv1", 5) == 0;
		if (!out->version_ok)
			pol_problem(out, MTASTS_PSEV_ERROR, line, whole, wn,
			    "the version must be STSv1", SEC_POLICY);
	} else if (kn == 4 && memcmp(k, "mode", 4) == 0) {
		if (*seen & 2u) {
			pol_problem(out, MTASTS_PSEV_WARN, line, whole, wn,
			    "mode appears again: senders use the first", SEC_POLICY);
			return;
		}
		*seen |= 2u;
		out->mode = mode_of(v, vn);
		pt_sanitize(v, vn, out->mode_text, sizeof(out->mode_text));
		if (out->mode == MTASTS_MODE_INVALID)
			pol_problem(out, MTASTS_PSEV_ERROR, line, whole, wn,
			    "mode must be enforce, testing or none", SEC_POLICY);
	} else if (kn == 7 && memcmp(k, "max_age", 7) == 0) {
		if (*seen & 4u) {
			pol_problem(out, MTASTS_PSEV_WARN, line, whole, wn,
			    "max_age appears again: senders use the first", SEC_POLICY);
			return;
		}
		*seen |= 4u;
		for (i = 0; i < vn && i < 11 && v[i] >= '0' && v[i] <= '9'; i++)
			age = age * 10 + (uint64_t)(v[i] - '0');
		if (vn == 0 || vn > 10 || i != vn) {
			pol_problem(out, MTASTS_PSEV_ERROR, line, whole, wn,
			    "max_age must be 1 to 10 digits (seconds)", SEC_POLICY);
			return;
		}
		if (age > MTASTS_MAX_AGE_MAX) {
			pol_problem(out, MTASTS_PSEV_WARN, line, whole, wn,
			    "max_age is above the maximum 31557600: read as 31557600", SEC_POLICY);
			age = MTASTS_MAX_AGE_MAX;
		}
		out->has_max_age = true;
		out->max_age = (uint32_t)age;
	} else if (kn == 2 && memcmp(k, "mx", 2) == 0) {
		why = mx_pattern_check(v, vn, pat, &dot);
		if (why != NULL) {
			pol_problem(out, MTASTS_PSEV_ERROR, line, whole, wn, why, SEC_MX);
			return;
		}
		if (dot)
			pol_problem(out, MTASTS_PSEV_WARN, line, whole, wn,
			    "a final dot is not part of the pattern syntax", SEC_MX);
		if (out->nmx < MTASTS_MAX_MX)
			memcpy(out->mx[out->nmx++], pat, strlen(pat) + 1);
		out->mx_total++;
	} else if (taglist_bytes_ieq(k, kn, "version") || taglist_bytes_ieq(k, kn, "mode") ||
	    taglist_bytes_ieq(k, kn, "max_age") || taglist_bytes_ieq(k, kn, "mx")) {
		pol_problem(out, MTASTS_PSEV_WARN, line, whole, wn,
		    "field names are case-sensitive: this line is an unknown field", SEC_POLICY);
	}
	/* Any other valid name is an extension: ignored (RFC 8461 3.2). */
}

/* One line without its terminator. */
static void
pol_line(struct mtasts_policy *out, size_t line, const uint8_t *p, size_t n,
	 unsigned *seen)
{
	size_t colon, vs, ve, i;

	for (i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			pol_problem(out, MTASTS_PSEV_WARN, line, p, n, p[i] == '\r' ?
			    "a CR that does not end the line" : "a control byte in the line",
			    SEC_POLICY);
			break;
		}
	for (colon = 0; colon < n && p[colon] != ':'; colon++)
		;
	if (colon == n || !is_ext_name(p, colon)) {
		pol_problem(out, MTASTS_PSEV_WARN, line, p, n, colon == n ?
		    "not a \"key: value\" line: ignored" :
		    "not a valid field name before \":\": line ignored", SEC_POLICY);
		return;
	}
	for (vs = colon + 1; vs < n && ascii_is_wsp(p[vs]); vs++)
		;
	for (ve = n; ve > vs && ascii_is_wsp(p[ve - 1]); ve--)
		;
	pol_field(out, line, p, colon, p + vs, ve - vs, seen);
}

/* Parse a policy body. */
int
mtasts_policy_parse(const void *data, size_t len, struct mtasts_policy *out)
{
	struct pt_buf b;
	const uint8_t *start;
	size_t line = 0, n, blank_line = 0;
	unsigned seen = 0;
	uint8_t c;

	memset(out, 0, sizeof(*out));
	pt_buf_init(&b, data, len);
	while (pt_buf_remaining(&b) > 0) {
		line++;
		start = b.data + b.pos;
		for (n = 0; pt_buf_u8(&b, &c) == 0 && c != '\n'; n++)
			;
		if (n > 0 && start[n - 1] == '\r')
			n--;		/* CRLF */
		if (n == 0) {
			if (blank_line == 0)
				blank_line = line;
			continue;
		}
		if (blank_line != 0) {
			pol_problem(out, MTASTS_PSEV_WARN, blank_line, "", 0,
			    "an empty line between fields", SEC_POLICY);
			blank_line = (size_t)-1;	/* reported once */
		}
		pol_line(out, line, start, n, &seen);
	}
	if (len == 0)
		pol_problem(out, MTASTS_PSEV_ERROR, 0, "", 0, "the policy is empty", SEC_POLICY);
	if (!(seen & 1u))
		pol_problem(out, MTASTS_PSEV_ERROR, 0, "", 0, "no version field", SEC_POLICY);
	if (!(seen & 2u))
		pol_problem(out, MTASTS_PSEV_ERROR, 0, "", 0, "no mode field", SEC_POLICY);
	if (!(seen & 4u))
		pol_problem(out, MTASTS_PSEV_ERROR, 0, "", 0, "no max_age field", SEC_POLICY);
	if (out->mx_total == 0 && (out->mode == MTASTS_MODE_ENFORCE ||
	    out->mode == MTASTS_MODE_TESTING))
		pol_problem(out, MTASTS_PSEV_ERROR, 0, "", 0,
		    "no valid mx field: one is required unless the mode is none", SEC_MX);
	out->valid = out->version_ok && out->has_max_age &&
	    (out->mode == MTASTS_MODE_NONE || ((out->mode == MTASTS_MODE_ENFORCE ||
	    out->mode == MTASTS_MODE_TESTING) && out->mx_total > 0));
	return out->valid ? 0 : -1;
}

/* Whether host matches pattern (RFC 8461 4.1). */
bool
mtasts_mx_match(const char *pattern, const char *host)
{
	size_t hl = strlen(host), pl = strlen(pattern), first;

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.com": exactly one label, then ".example.com". */
		for (first = 0; first < hl && host[first] != '.'; first++)
			;
		return first > 0 && first < hl && hl - first == pl - 1 &&
		    taglist_bytes_ieq((const uint8_t *)host + first, pl - 1, pattern + 1);
	}
	return hl == pl && taglist_bytes_ieq((const uint8_t *)host, hl, pattern);
}

/* Words for modes. */
const char *
mtasts_mode_word(enum mtasts_mode mode)
{
	switch (mode) {
	case MTASTS_MODE_ENFORCE: return "enforce";
	case MTASTS_MODE_TESTING: return "testing";
	case MTASTS_MODE_NONE: return "none";
	case MTASTS_MODE_INVALID: return "invalid";
	default: return "absent";
	}
}
