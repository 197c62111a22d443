/*
 * dmarc_parse.c - DMARC Policy Records (RFC 9989 4.7, 4.8; RFC 7489 6.3 for pct/rf/ri).
 *
 * The record is split by the tag-list parser (taglist.c); each known tag's value is
 * checked against its rule in RFC 9989 4.8 Table 2. rua/ruf URIs are checked here:
 * mailto: with an addr-spec whose domain is a host name, or https: with a host name or
 * IP literal; the obsolete "!size" suffix is accepted (RFC 9989 4.8 obs-dmarc-uri).
 *
 * What can go wrong: any bytes come in; all reads are length-checked (through the
 * tag-list's borrowed slices and explicit bounds); copies are cut to fixed sizes and
 * sanitized, so the struct never holds raw DNS bytes.
 */
#include <stddef.h>
#include <string.h>

#include "util/ascii.h"
#include "record/dmarc_parse.h"
#include "record/taglist.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

/* Bytes a URI may hold literally (RFC 3986 2.2, 2.3), besides "%" escapes. */
static bool
is_uri_byte(uint8_t c)
{
	return ascii_is_alpha(c) || ascii_is_digit(c) || (c != 0 && strchr("-._~!$&'()*+,;=:@/?#[]", c) != NULL);
}

/* atext (RFC 5322 3.2.3) and "." for a dot-atom local part. */
static bool
is_local_byte(uint8_t c)
{
	return ascii_is_alpha(c) || ascii_is_digit(c) || (c != 0 && strchr("!#$&'*+-/=?^_`{|}~.", c) != NULL);
}

/* Trim WSP at both ends of [*p, *p + *n). */
static void
trim_wsp(const uint8_t **p, size_t *n)
{
	while (*n > 0 && ascii_is_wsp((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ascii_is_wsp((*p)[*n - 1]))
		(*n)--;
}

/* Add a problem; the count goes on past the array. */
static void
add_problem(struct dmarc_record *rec, enum dmarc_problem_kind kind, enum dmarc_problem_sev sev,
	    const uint8_t *tag, size_t taglen, const uint8_t *val, size_t vallen,
	    const char *reason, size_t pos)
{
	struct dmarc_problem *pr;

	if (rec->nproblems < DMARC_MAX_PROBLEMS) {
		pr = &rec->problems[rec->nproblems];
		pr->kind = kind;
		pr->sev = sev;
		pt_sanitize(tag, tag ? taglen : 0, pr->tag, sizeof(pr->tag));
		pt_sanitize(val, val ? vallen : 0, pr->value, sizeof(pr->value));
		pr->reason = reason;
		pr->pos = pos;
	}
	rec->nproblems++;
}

/* Add a problem about one tag's value. */
static void
tag_problem(struct dmarc_record *rec, enum dmarc_problem_kind kind, enum dmarc_problem_sev sev,
	    const struct taglist_tag *t, const char *reason)
{
	add_problem(rec, kind, sev, t->name, t->name_len, t->value, t->value_len, reason,
	    t->value_pos);
}

/* ---- version ---- */

/* Whether the record starts with v=DMARC1 (RFC 9989 4.7 "v", 4.8 dmarc-version). */
static bool
starts_with_version(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && ascii_is_wsp(p[i]))
		i++;
	if (i >= n || ascii_lower(p[i]) != 'v')
		return false;
	i++;
	while (i < n && ascii_is_wsp(p[i]))
		i++;
	if (i >= n || p[i] != '=')
		return false;
	i++;
	while (i < n && ascii_is_wsp(p[i]))
		i++;
	if (n - i < 6 || memcmp(p + i, "DMARC1", 6) != 0)	/* %s"DMARC1": case-sensitive */
		return false;
	i += 6;
	while (i < n && ascii_is_wsp(p[i]))
		i++;
	return i == n || p[i] == ';';
}

/* Whether the bytes contain s (lower case), ignoring ASCII case. */
static bool
contains_nocase(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (taglist_bytes_ieq(p + i, k, s))
			return true;
	return false;
}

/*
 * Classify one TXT string found at a _dmarc name. Records that do not start with
 * v=DMARC1 are discarded (RFC 7489 6.6.3, RFC 9989 4.10 step 2): only text meant as
 * DMARC is MALFORMED, a finding; the rest (an SPF record that a wildcard "*" TXT puts
 * at every _dmarc name, a site verification) is OTHER, no record at the name. Meant as
 * DMARC: "DMARC1" anywhere (any case: v=dmarc1, v=DMARC1 not first, no "v="), or a
 * first tag v whose value starts with "DMARC" (v=DMARC2).
 */
enum dmarc_txt_kind
dmarc_txt_classify(const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i = 0;

	if (p == NULL)
		return DMARC_TXT_OTHER;
	if (starts_with_version(p, len))
		return DMARC_TXT_RECORD;
	if (contains_nocase(p, len, "dmarc1"))
		return DMARC_TXT_MALFORMED;
	while (i < len && ascii_is_wsp(p[i]))
		i++;
	if (i < len && ascii_lower(p[i]) == 'v') {
		i++;
		while (i < len && ascii_is_wsp(p[i]))
			i++;
		if (i < len && p[i] == '=') {
			i++;
			while (i < len && ascii_is_wsp(p[i]))
				i++;
			if (len - i >= 5 && taglist_bytes_ieq(p + i, 5, "dmarc"))
				return DMARC_TXT_MALFORMED;
		}
	}
	return DMARC_TXT_OTHER;
}

/* ---- host names and URIs ---- */

/* The reason for a host name refused by the LDH rule, in this parser's words. */
static const char *
hostname_reason(enum dns_name_error err)
{
	switch (err) {
	case DNS_NAME_OK:		return NULL;
	case DNS_NAME_ERR_EMPTY:	return "empty host name";
	case DNS_NAME_ERR_TOO_LONG:	return "host name longer than 253 bytes";
	case DNS_NAME_ERR_EMPTY_LABEL:	return "empty label in host name";
	case DNS_NAME_ERR_LONG_LABEL:	return "host name label longer than 63 bytes";
	case DNS_NAME_ERR_HYPHEN_START:	return "host name label starts with '-'";
	case DNS_NAME_ERR_HYPHEN_END:	return "host name label ends with '-'";
	case DNS_NAME_ERR_BAD_BYTE:
	case DNS_NAME_ERR_WILDCARD:	break;
	}
	return "host name holds a byte other than a letter, digit, '-' or '.'";
}

/*
 * Check a host name (the LDH rule of dnsname.h; then at least two labels and a last
 * label not all digits; one trailing dot allowed) and copy it in lower case into
 * out[256].
 */
static const char *
check_hostname(const uint8_t *p, size_t n, char *out)
{
	const char *why;
	size_t i, last;

	if (n > 0 && p[n - 1] == '.')
		n--;
	if ((why = hostname_reason(dns_name_check(p, n, DNS_NAME_LDH))) != NULL)
		return why;
	for (last = n; last > 0 && p[last - 1] != '.'; last--)
		;
	if (last == 0)
		return "host name is not fully qualified (one label)";
	for (i = last; i < n && ascii_is_digit(p[i]); i++)
		;
	if (i == n)
		return "top-level label is all digits";
	for (i = 0; i < n; i++)
		out[i] = (char)ascii_lower(p[i]);
	out[n] = '\0';
	return NULL;
}

/* Whether bytes are RFC 3986 characters with well-formed %HH escapes. */
static bool
uri_bytes_ok(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '%') {
			if (i + 2 >= n)
				return false;
			if (!ascii_is_hex(p[i + 1]) || !ascii_is_hex(p[i + 2]))
				return false;
			i += 2;
		} else if (!is_uri_byte(p[i])) {
			return false;
		}
	}
	return true;
}

/* Whether n bytes are a dotted-quad IPv4 address. */
static bool
is_ipv4(const uint8_t *p, size_t n)
{
	size_t i, digits = 0, dots = 0;
	unsigned v = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = 0;
			v = 0;
		} else if (ascii_is_digit(p[i])) {
			v = v * 10 + (unsigned)(p[i] - '0');
			if (++digits > 3 || v > 255)
				return false;
		} else {
			return false;
		}
	}
	return dots == 3 && digits > 0;
}

/* mailto:addr-spec[?hfields] (RFC 6068 2); the domain must be a host name. */
static const char *
check_mailto(const uint8_t *p, size_t n, struct dmarc_uri *u)
{
	size_t i, at = n, end = n;

	if (!uri_bytes_ok(p, n))
		return "mailto: URI holds a byte not allowed in a URI";
	for (i = 0; i < n; i++) {
		if (p[i] == '?') {
			end = i;
			break;
		}
	}
	for (i = 0; i < end; i++)
		if (p[i] == '@')
			at = i;
	if (at == n || at >= end)
		return "mailto: address has no '@'";
	if (at == 0)
		return "mailto: address has an empty local part";
	for (i = 0; i < at; i++) {
		if (p[i] == '%') {
			i += 2;		/* escapes were checked above */
			continue;
		}
		if (!is_local_byte(p[i]))
			return "mailto: local part holds a byte outside atext";
	}
	if (p[0] == '.' || p[at - 1] == '.')
		return "mailto: local part starts or ends with '.'";
	for (i = 0; i + 1 < at; i++)
		if (p[i] == '.' && p[i + 1] == '.')
			return "mailto: local part holds '..'";
	return check_hostname(p + at + 1, end - at - 1, u->host);
}

/* https://authority[/path][?query][#fragment] (RFC 9110 4.2.2, RFC 3986 3). */
static const char *
check_https(const uint8_t *p, size_t n, struct dmarc_uri *u)
{
	size_t i, a_end = n, h_start = 2, h_end, port_digits = 0;
	unsigned long port = 0;

	if (!uri_bytes_ok(p, n))
		return "https: URI holds a byte not allowed in a URI";
	if (n < 3 || p[0] != '/' || p[1] != '/')
		return "https: URI does not start with //";
	for (i = 2; i < n; i++) {
		if (p[i] == '/' || p[i] == '?' || p[i] == '#') {
			a_end = i;
			break;
		}
	}
	for (i = 2; i < a_end; i++)
		if (p[i] == '@')
			h_start = i + 1;	/* userinfo ends at the last "@" */
	h_end = a_end;
	if (h_start < a_end && p[h_start] == '[') {
		for (i = h_start; i < a_end && p[i] != ']'; i++)
			;
		if (i == a_end)
			return "https: IP literal has no ']'";
		u->host_is_ip = true;
		h_end = i + 1;
	} else {
		for (i = h_start; i < a_end; i++) {
			if (p[i] == ':') {
				h_end = i;
				break;
			}
		}
	}
	if (h_end < a_end) {
		if (p[h_end] != ':')
			return "https: bad bytes after the host";
		for (i = h_end + 1; i < a_end; i++) {
			if (!ascii_is_digit(p[i]) || ++port_digits > 5)
				return "https: port is not a number";
			port = port * 10 + (unsigned long)(p[i] - '0');
		}
		if (port > 65535)
			return "https: port above 65535";
	}
	if (u->host_is_ip)
		return NULL;
	if (is_ipv4(p + h_start, h_end - h_start)) {
		u->host_is_ip = true;
		return NULL;
	}
	return check_hostname(p + h_start, h_end - h_start, u->host);
}

/* Validate one reporting URI (RFC 9989 4.6, 4.8 dmarc-uri / obs-dmarc-uri). */
void
dmarc_parse_uri(const uint8_t *p, size_t n, struct dmarc_uri *u)
{
	size_t i, bang = n, colon = n;
	const char *why = NULL;

	memset(u, 0, sizeof(*u));
	u->scheme = DMARC_URI_OTHER;
	pt_sanitize(p, n, u->text, sizeof(u->text));
	if (n == 0) {
		u->reason = "empty URI";
		return;
	}
	for (i = 0; i < n; i++)
		if (p[i] == '!')
			bang = i;
	if (bang < n) {
		/* obs-dmarc-report-size = "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] */
		size_t j = bang + 1, digits = 0;

		while (j < n && ascii_is_digit(p[j])) {
			j++;
			digits++;
		}
		if (j < n && strchr("kmgt", ascii_lower(p[j])) != NULL)
			j++;
		if (digits == 0 || j != n) {
			u->reason = "bad !size suffix (1*DIGIT [k/m/g/t])";
			return;
		}
		u->has_size = true;
		n = bang;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == ':') {
			colon = i;
			break;
		}
		if (!ascii_is_alpha(p[i]) && (i == 0 || (!ascii_is_digit(p[i]) && !strchr("+-.", p[i])))) {
			u->reason = "no URI scheme (mailto: or https:)";
			return;
		}
	}
	if (colon == n || colon == 0) {
		u->reason = "no URI scheme (mailto: or https:)";
		return;
	}
	if (taglist_bytes_ieq(p, colon, "mailto")) {
		u->scheme = DMARC_URI_MAILTO;
		why = check_mailto(p + colon + 1, n - colon - 1, u);
	} else if (taglist_bytes_ieq(p, colon, "https")) {
		u->scheme = DMARC_URI_HTTPS;
		why = check_https(p + colon + 1, n - colon - 1, u);
	} else {
		why = "scheme is not mailto: or https:, receivers ignore it";
	}
	if (why != NULL) {
		u->reason = why;
		u->host[0] = '\0';
		u->host_is_ip = false;
		return;
	}
	u->valid = true;
}

/* rua= / ruf=: dmarc-urilist, URIs separated by "," with optional WSP. */
static void
parse_urilist(struct dmarc_record *rec, const struct taglist_tag *t, struct dmarc_urilist *l)
{
	const uint8_t *p = t->value, *e;
	size_t n = t->value_len, start = 0, i, len;
	struct dmarc_uri *u;

	l->present = true;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != ',')
			continue;
		e = p + start;
		len = i - start;
		trim_wsp(&e, &len);
		l->total++;
		if (l->count < DMARC_MAX_URIS) {
			u = &l->uris[l->count++];
			dmarc_parse_uri(e, len, u);
			if (u->valid)
				l->nvalid++;
			else
				add_problem(rec, DMARC_PROB_BAD_URI, DMARC_PSEV_WARN, t->name,
				    t->name_len, e, len, u->reason, t->value_pos + start);
		}
		start = i + 1;
	}
}

/* ---- other tag values ---- */

/* p=, sp=, np=: dmarc-request. */
static enum dmarc_policy
parse_policy(struct dmarc_record *rec, const struct taglist_tag *t, char *text, size_t textlen)
{
	pt_sanitize(t->value, t->value_len, text, textlen);
	if (taglist_bytes_ieq(t->value, t->value_len, "none"))
		return DMARC_POLICY_NONE;
	if (taglist_bytes_ieq(t->value, t->value_len, "quarantine"))
		return DMARC_POLICY_QUARANTINE;
	if (taglist_bytes_ieq(t->value, t->value_len, "reject"))
		return DMARC_POLICY_REJECT;
	tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_ERROR, t,
	    "not none, quarantine or reject");
	return DMARC_POLICY_INVALID;
}

/* A one-letter value among choices (case-insensitive); 0 when invalid. */
static char
parse_letter(struct dmarc_record *rec, const struct taglist_tag *t, const char *choices,
	     const char *reason)
{
	if (t->value_len == 1 && t->value[0] != 0 && strchr(choices, ascii_lower(t->value[0])))
		return (char)ascii_lower(t->value[0]);
	tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t, reason);
	return 0;
}

/* fo=: dmarc-fo, colon-separated 0/1/d/s, each once, 0 and 1 exclusive. */
static void
parse_fo(struct dmarc_record *rec, const struct taglist_tag *t)
{
	const uint8_t *p = t->value, *e;
	size_t n = t->value_len, start = 0, i, len;
	char seen[4] = { 0, 0, 0, 0 };
	const char *letters = "01ds", *at;

	rec->has_fo = true;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != ':')
			continue;
		e = p + start;
		len = i - start;
		trim_wsp(&e, &len);
		at = (len == 1 && e[0] != 0) ? strchr(letters, ascii_lower(e[0])) : NULL;
		if (at == NULL) {
			tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
			    "fo options are 0, 1, d, s separated by ':'");
			return;
		}
		if (seen[at - letters]++) {
			tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
			    "an fo option appears twice");
			return;
		}
		start = i + 1;
	}
	if (seen[0] && seen[1])
		tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
		    "fo options 0 and 1 are mutually exclusive");
}

/* pct= (RFC 7489 6.3): 1*3DIGIT, 0..100. */
static void
parse_pct(struct dmarc_record *rec, const struct taglist_tag *t)
{
	size_t i;
	int v = 0;

	rec->has_pct = true;
	if (t->value_len == 0 || t->value_len > 3) {
		tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
		    "pct must be an integer from 0 to 100");
		return;
	}
	for (i = 0; i < t->value_len; i++) {
		if (!ascii_is_digit(t->value[i])) {
			tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
			    "pct must be an integer from 0 to 100");
			return;
		}
		v = v * 10 + (t->value[i] - '0');
	}
	if (v > 100) {
		tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
		    "pct must be an integer from 0 to 100");
		return;
	}
	rec->pct = v;
}

/* rf= (RFC 7489 6.3): Keyword *(":" Keyword); only "afrf" was ever defined. */
static void
parse_rf(struct dmarc_record *rec, const struct taglist_tag *t)
{
	const uint8_t *p = t->value, *e;
	size_t n = t->value_len, start = 0, i, j, len;

	rec->has_rf = true;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != ':')
			continue;
		e = p + start;
		len = i - start;
		trim_wsp(&e, &len);
		for (j = 0; j < len; j++) {
			if (!ascii_is_alpha(e[j]) && !ascii_is_digit(e[j]) && e[j] != '-') {
				tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
				    "rf is a ':'-separated list of format keywords");
				return;
			}
		}
		if (!taglist_bytes_ieq(e, len, "afrf")) {
			tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
			    "unknown failure report format (only afrf is defined)");
			return;
		}
		start = i + 1;
	}
}

/* ri= (RFC 7489 6.3): 1*32DIGIT seconds. */
static void
parse_ri(struct dmarc_record *rec, const struct taglist_tag *t)
{
	size_t i;

	rec->has_ri = true;
	if (t->value_len == 0 || t->value_len > 32) {
		tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
		    "ri must be a number of seconds");
		return;
	}
	for (i = 0; i < t->value_len; i++) {
		if (!ascii_is_digit(t->value[i])) {
			tag_problem(rec, DMARC_PROB_BAD_VALUE, DMARC_PSEV_WARN, t,
			    "ri must be a number of seconds");
			return;
		}
	}
}

/* One tag after v=: dispatch on its name. */
static void
parse_tag(struct dmarc_record *rec, const struct taglist *tl, const struct taglist_tag *t)
{
	char c;

	if (taglist_name_is(tl, t, "p")) {
		rec->p = parse_policy(rec, t, rec->p_text, sizeof(rec->p_text));
	} else if (taglist_name_is(tl, t, "sp")) {
		rec->sp = parse_policy(rec, t, rec->sp_text, sizeof(rec->sp_text));
	} else if (taglist_name_is(tl, t, "np")) {
		rec->np = parse_policy(rec, t, rec->np_text, sizeof(rec->np_text));
	} else if (taglist_name_is(tl, t, "psd")) {
		rec->has_psd = true;
		c = parse_letter(rec, t, "ynu", "psd must be y, n or u");
		rec->psd = c == 'y' ? DMARC_PSD_Y : c == 'n' ? DMARC_PSD_N : DMARC_PSD_U;
	} else if (taglist_name_is(tl, t, "t")) {
		rec->has_t = true;
		rec->testing = parse_letter(rec, t, "yn", "t must be y or n") == 'y';
	} else if (taglist_name_is(tl, t, "adkim")) {
		c = parse_letter(rec, t, "rs", "adkim must be r or s");
		rec->adkim = c ? c : 'r';
	} else if (taglist_name_is(tl, t, "aspf")) {
		c = parse_letter(rec, t, "rs", "aspf must be r or s");
		rec->aspf = c ? c : 'r';
	} else if (taglist_name_is(tl, t, "fo")) {
		parse_fo(rec, t);
	} else if (taglist_name_is(tl, t, "rua")) {
		parse_urilist(rec, t, &rec->rua);
	} else if (taglist_name_is(tl, t, "ruf")) {
		parse_urilist(rec, t, &rec->ruf);
	} else if (taglist_name_is(tl, t, "pct")) {
		tag_problem(rec, DMARC_PROB_OBSOLETE, DMARC_PSEV_INFO, t, "removed by RFC 9989");
		parse_pct(rec, t);
	} else if (taglist_name_is(tl, t, "rf")) {
		tag_problem(rec, DMARC_PROB_OBSOLETE, DMARC_PSEV_INFO, t, "removed by RFC 9989");
		parse_rf(rec, t);
	} else if (taglist_name_is(tl, t, "ri")) {
		tag_problem(rec, DMARC_PROB_OBSOLETE, DMARC_PSEV_INFO, t, "removed by RFC 9989");
		parse_ri(rec, t);
	} else {
		tag_problem(rec, DMARC_PROB_UNKNOWN_TAG, DMARC_PSEV_INFO, t,
		    "unknown tag, ignored");
	}
}

/* Why a record that is not a DMARC record is not one. */
static const char *
version_reason(const struct taglist *tl, const uint8_t *p, size_t n)
{
	const struct taglist_tag *v = taglist_find(tl, "v");
	size_t first = 0;

	while (first < n && ascii_is_wsp(p[first]))
		first++;
	if (v == NULL)
		return "no v=DMARC1 tag";
	if (v->name_pos != first)
		return "v=DMARC1 is not the first tag";
	if (taglist_bytes_ieq(v->value, v->value_len, "DMARC1"))
		return v->value_len == 6 && memcmp(v->value, "DMARC1", 6) == 0 ?
		    "malformed v=DMARC1 tag" : "version must be DMARC1 in upper case";
	if (v->value_len > 6 && memcmp(v->value, "DMARC1", 6) == 0 && ascii_is_wsp(v->value[6]))
		return "no ';' after v=DMARC1";
	return "version is not exactly DMARC1";
}

/* Map the tag-list's syntax errors (not duplicates) to problems. */
static void
taglist_problems(struct dmarc_record *rec, const struct taglist *tl, const uint8_t *p, size_t n)
{
	const struct taglist_error *e;
	const struct taglist_tag *t;
	size_t i, cut;

	for (i = 0; i < tl->nerrors && i < TAGLIST_MAX_ERRORS; i++) {
		e = &tl->errors[i];
		if (e->code == TL_ERR_DUPLICATE)
			continue;
		t = e->tag < tl->count ? &tl->tags[e->tag] : NULL;
		cut = e->pos < n ? n - e->pos : 0;
		if (cut > 24)
			cut = 24;
		add_problem(rec, DMARC_PROB_TAGLIST,
		    e->code == TL_ERR_EMPTY_TAG ? DMARC_PSEV_WARN : DMARC_PSEV_ERROR,
		    t ? t->name : NULL, t ? t->name_len : 0, p + (e->pos < n ? e->pos : n), cut,
		    e->reason, e->pos);
	}
}

/* record_clear() relies on this layout: the entry arrays last in their structs. */
_Static_assert(offsetof(struct dmarc_record, ruf) ==
    offsetof(struct dmarc_record, rua) + sizeof(struct dmarc_urilist) &&
    offsetof(struct dmarc_record, has_pct) ==
    offsetof(struct dmarc_record, ruf) + sizeof(struct dmarc_urilist) &&
    offsetof(struct dmarc_record, problems) + sizeof(((struct dmarc_record *)0)->problems) ==
    sizeof(struct dmarc_record) &&
    offsetof(struct dmarc_urilist, uris) + sizeof(((struct dmarc_urilist *)0)->uris) ==
    sizeof(struct dmarc_urilist), "dmarc_record layout changed: see record_clear()");

/*
 * A record as new, except the URI and problem entries (8 KB of the 9): each is
 * written in full when it is added, and only count / nproblems of them are read.
 * Records are parsed for every message (DMARC verification).
 */
static void
record_clear(struct dmarc_record *rec)
{
	memset(rec, 0, offsetof(struct dmarc_record, rua));
	memset(&rec->rua, 0, offsetof(struct dmarc_urilist, uris));
	memset(&rec->ruf, 0, offsetof(struct dmarc_urilist, uris));
	memset(&rec->has_pct, 0, offsetof(struct dmarc_record, problems) -
	    offsetof(struct dmarc_record, has_pct));
}

/* Parse one DMARC Policy Record. */
int
dmarc_parse(const void *data, size_t len, struct dmarc_record *rec)
{
	struct taglist tl;
	const struct taglist_tag *t;
	const uint8_t *p = data;
	size_t i;

	record_clear(rec);
	rec->adkim = rec->aspf = 'r';
	rec->pct = -1;
	rec->psd = DMARC_PSD_U;
	if (p == NULL)
		len = 0;
	(void)taglist_parse(p, len, TAGLIST_FOLD_CASE, &tl);
	if (!starts_with_version(p, len)) {
		/* RFC 9989 4.7 "v": the entire record MUST be ignored */
		add_problem(rec, DMARC_PROB_V_NOT_FIRST, DMARC_PSEV_ERROR, (const uint8_t *)"v", 1,
		    p, len > 40 ? 40 : len, version_reason(&tl, p, len), 0);
		return -1;
	}
	rec->is_dmarc = true;
	taglist_problems(rec, &tl, p, len);
	for (i = 1; i < tl.count; i++) {
		t = &tl.tags[i];
		if (t->duplicate || taglist_name_is(&tl, t, "v")) {
			tag_problem(rec, DMARC_PROB_DUPLICATE, DMARC_PSEV_ERROR, t,
			    "tag appears more than once, the tag list is invalid (RFC 6376 3.2)");
			continue;
		}
		parse_tag(rec, &tl, t);
	}
	if (rec->p == DMARC_POLICY_ABSENT)
		add_problem(rec, DMARC_PROB_P_MISSING, DMARC_PSEV_ERROR, (const uint8_t *)"p", 1,
		    NULL, 0, "no p tag", 0);
	return 0;
}

/* The word for a policy value. */
const char *
dmarc_policy_word(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_NONE:		return "none";
	case DMARC_POLICY_QUARANTINE:	return "quarantine";
	case DMARC_POLICY_REJECT:	return "reject";
	case DMARC_POLICY_ABSENT:	return "(absent)";
	default:			return "(invalid)";
	}
}

/* Strength order of policies. */
int
dmarc_policy_rank(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_NONE:		return 0;
	case DMARC_POLICY_QUARANTINE:	return 1;
	case DMARC_POLICY_REJECT:	return 2;
	default:			return -1;
	}
}
