/*
 * bimi_parse.c - the BIMI Assertion Record and the BIMI-Selector header; see
 * bimi_parse.h for the grammar and the decisions.
 *
 * The record goes through the tag-list parser (taglist.h); BIMI's own rules are then
 * checked on its tags: v=BIMI1 first, l= and a= URIs, lps= and avp= keywords. URIs
 * are split on "," inside the l= value with bounded index arithmetic over the
 * borrowed value (taglist values point into the caller's bytes).
 *
 * What can go wrong: any bytes are accepted; nothing is allocated; every string copied
 * for messages is sanitized (pt_sanitize) and bounded.
 */
#include <stdio.h>
#include <string.h>

#include "util/ascii.h"
#include "record/bimi_parse.h"
#include "record/taglist.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

#define SEC_RECORD	"BIMI draft 4.3"
#define SEC_DECLINE	"BIMI draft 4.3.1"

/* Record a problem (always counted, kept while there is room). */
static void
add_problem(struct bimi_record *rec, enum bimi_psev sev, const char *tag, const void *text,
	    size_t len, const char *reason)
{
	struct bimi_problem *p;

	if (rec->nproblems < BIMI_MAX_PROBLEMS) {
		p = &rec->problems[rec->nproblems];
		p->sev = sev;
		snprintf(p->tag, sizeof(p->tag), "%s", tag);
		pt_sanitize(text, len, p->text, sizeof(p->text));
		p->reason = reason;
	}
	rec->nproblems++;
	if (sev == BIMI_PSEV_ERROR)
		rec->nerrors++;
}

/* Whether the n bytes at p begin, ignoring ASCII case, with the C string s. */
static bool
starts_ieq(const unsigned char *p, size_t n, const char *s)
{
	size_t len = strlen(s);

	return n >= len && taglist_bytes_ieq(p, len, s);
}

/* Whether the bytes hold s (ASCII case ignored) anywhere. */
static bool
contains_ieq(const unsigned char *p, size_t n, const char *s)
{
	size_t len = strlen(s), i;

	for (i = 0; len <= n && i <= n - len; i++)
		if (taglist_bytes_ieq(p + i, len, s))
			return true;
	return false;
}

/* What a TXT string at a _bimi name is (BIMI draft 7.2 steps 4 and 7). */
enum bimi_txt_kind
bimi_txt_classify(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	/* bimi-version = "v" *WSP "=" *WSP "BIMI1", then a separator or the end. */
	if (len >= 1 && p[0] == 'v') {
		i = 1;
		while (i < len && ascii_is_wsp(p[i]))
			i++;
		if (i < len && p[i] == '=') {
			i++;
			while (i < len && ascii_is_wsp(p[i]))
				i++;
			if (len - i >= 5 && memcmp(p + i, "BIMI1", 5) == 0 &&
			    (len - i == 5 || p[i + 5] == ';' || ascii_is_wsp(p[i + 5])))
				return BIMI_TXT_CANDIDATE;
		}
	}
	/* "v=bimi1", " v=BIMI1", "l=...; v=BIMI1", "v=BIMI2": an attempt, reported. */
	for (i = 0; i < len && ascii_is_wsp(p[i]); i++)
		;
	if ((i < len && ascii_lower(p[i]) == 'v' && contains_ieq(p + i, len - i, "bimi")) ||
	    contains_ieq(p, len, "v=bimi"))
		return BIMI_TXT_LOOKALIKE;
	return BIMI_TXT_OTHER;
}

/* Set u invalid with a reason. */
static void
uri_invalid(struct bimi_uri *u, const char *reason)
{
	u->valid = false;
	u->reason = reason;
	u->url[0] = '\0';
	u->host[0] = '\0';
}

/* Judge the authority "host[:port]" of an https URI; 0 or -1 (u says why). */
static int
uri_authority(const unsigned char *p, size_t n, struct bimi_uri *u)
{
	size_t i, hlen;
	unsigned long port = 0;

	for (i = 0; i < n; i++)
		if (p[i] == '@') {
			uri_invalid(u, "credentials in the URI");
			return -1;
		}
	if (n > 0 && p[0] == '[') {
		uri_invalid(u, "an IP literal host: a fully qualified domain name is required");
		return -1;
	}
	for (hlen = 0; hlen < n && p[hlen] != ':'; hlen++)
		;
	if (hlen > 0 && p[hlen - 1] == '.')
		hlen--;		/* an absolute name "host.example." */
	switch (dns_name_check(p, hlen, DNS_NAME_LDH)) {
	case DNS_NAME_OK:
		break;
	case DNS_NAME_ERR_EMPTY:
		uri_invalid(u, "no host in the URI");
		return -1;
	case DNS_NAME_ERR_TOO_LONG:
		uri_invalid(u, "the host name is too long");
		return -1;
	default:
		uri_invalid(u, "the host is not a valid domain name");
		return -1;
	}
	/* All digits and dots: an IPv4 literal, not a name. */
	for (i = 0; i < hlen && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.'); i++)
		;
	if (i == hlen) {
		uri_invalid(u, "an IP literal host: a fully qualified domain name is required");
		return -1;
	}
	if (memchr(p, '.', hlen) == NULL) {
		uri_invalid(u, "the host is a single label, not a fully qualified domain name");
		return -1;
	}
	for (i = hlen; i < n && p[i] == '.'; i++)
		;
	if (i < n) {		/* ":" port */
		for (i++; i < n && p[i] >= '0' && p[i] <= '9' && port <= 65535; i++)
			port = port * 10 + (unsigned long)(p[i] - '0');
		if (i != n || port == 0 || port > 65535) {
			uri_invalid(u, "a bad port in the URI");
			return -1;
		}
	}
	for (i = 0; i < hlen; i++)
		u->host[i] = (char)ascii_lower(p[i]);
	u->host[hlen] = '\0';
	return 0;
}

/* Judge one URI of l= or a=. */
void
bimi_parse_uri(const void *data, size_t len, struct bimi_uri *u)
{
	const unsigned char *p = data;
	size_t i, colon, auth, aend;

	memset(u, 0, sizeof(*u));
	pt_sanitize(data, len, u->text, sizeof(u->text));
	for (colon = 0; colon < len && p[colon] != ':'; colon++)
		;
	u->https = colon == 5 && starts_ieq(p, len, "https");
	if (colon == len) {
		uri_invalid(u, "not a URI (no scheme)");
		return;
	}
	if (!u->https) {
		uri_invalid(u, "not an https URI");
		return;
	}
	if (len > BIMI_URL_MAX) {
		uri_invalid(u, "the URI is longer than 1024 bytes");
		return;
	}
	for (i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f) {
			uri_invalid(u, "a space or a non-ASCII byte in the URI (RFC 3986 2)");
			return;
		}
	if (len - colon < 3 || p[colon + 1] != '/' || p[colon + 2] != '/') {
		uri_invalid(u, "no //host after https:");
		return;
	}
	auth = colon + 3;
	for (aend = auth; aend < len && p[aend] != '/' && p[aend] != '?' && p[aend] != '#';
	    aend++)
		;
	if (uri_authority(p + auth, aend - auth, u) < 0)
		return;
	memcpy(u->url, p, len);
	u->url[len] = '\0';
	u->valid = true;
}

/* The l= tag: empty, one URI, or (older drafts) a comma list; each judged. */
static void
parse_logos(struct bimi_record *rec, const struct taglist_tag *t)
{
	const unsigned char *v = t->value;
	size_t n = t->value_len, start = 0, end, a, b;

	rec->has_l = true;
	if (n == 0)
		return;
	while (start <= n) {
		for (end = start; end < n && v[end] != ','; end++)
			;
		for (a = start; a < end && ascii_is_wsp(v[a]); a++)
			;
		for (b = end; b > a && ascii_is_wsp(v[b - 1]); b--)
			;
		if (a == b) {
			add_problem(rec, BIMI_PSEV_ERROR, "l", v, n, "an empty item in the l= "
			    "list (" SEC_RECORD ")");
		} else {
			if (rec->nlogos < BIMI_MAX_LOGOS)
				bimi_parse_uri(v + a, b - a, &rec->logos[rec->nlogos++]);
			rec->logo_total++;
		}
		if (end == n)
			break;
		start = end + 1;
	}
	if (rec->logo_total > 1)
		add_problem(rec, BIMI_PSEV_WARN, "l", v, n, "l= lists several URIs: the "
		    "draft allows one, receivers take the first (" SEC_RECORD ")");
	if (rec->nlogos > 0 && rec->logos[0].https && !rec->logos[0].valid)
		add_problem(rec, BIMI_PSEV_ERROR, "l", rec->logos[0].text,
		    strlen(rec->logos[0].text), rec->logos[0].reason);
}

/* The a= tag: empty or one https URI. */
static void
parse_evidence(struct bimi_record *rec, const struct taglist_tag *t)
{
	rec->has_a = true;
	if (t->value_len == 0)
		return;
	rec->has_evidence = true;
	if (memchr(t->value, ',', t->value_len) != NULL) {
		bimi_parse_uri(t->value, t->value_len, &rec->evidence);
		uri_invalid(&rec->evidence, "a= holds more than one URI (commas must be "
		    "percent-encoded)");
	} else {
		bimi_parse_uri(t->value, t->value_len, &rec->evidence);
	}
	if (!rec->evidence.valid)
		add_problem(rec, BIMI_PSEV_ERROR, "a", t->value, t->value_len,
		    rec->evidence.https ? rec->evidence.reason : "a= must be an https URI "
		    "(" SEC_RECORD ")");
}

/* lps= and avp=: keywords, case-sensitive (%s in the ABNF of BIMI draft 4.3). */
static void
parse_keyword(struct bimi_record *rec, const struct taglist *tl, const struct taglist_tag *t)
{
	if (taglist_name_is(tl, t, "lps")) {
		if (t->value_len == 4 && memcmp(t->value, "true", 4) == 0)
			rec->lps = true;
		else if (!(t->value_len == 5 && memcmp(t->value, "false", 5) == 0))
			add_problem(rec, BIMI_PSEV_WARN, "lps", t->value, t->value_len,
			    "lps= must be true or false (BIMI draft 4.3)");
		return;
	}
	if (t->value_len == 5 && memcmp(t->value, "brand", 5) == 0)
		snprintf(rec->avp, sizeof(rec->avp), "brand");
	else if (t->value_len == 8 && memcmp(t->value, "personal", 8) == 0)
		snprintf(rec->avp, sizeof(rec->avp), "personal");
	else
		add_problem(rec, BIMI_PSEV_WARN, "avp", t->value, t->value_len,
		    "avp= must be brand or personal: receivers may treat the record as "
		    "failing (BIMI draft 4.3)");
}

/* A known tag name written in another case: receivers ignore it. */
static void
check_tag_case(struct bimi_record *rec, const struct taglist_tag *t)
{
	static const char *const known[] = { "v", "l", "a", "lps", "avp" };
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (t->name_len == strlen(known[i]) &&
		    taglist_bytes_ieq(t->name, t->name_len, known[i]) &&
		    memcmp(t->name, known[i], t->name_len) != 0)
			add_problem(rec, BIMI_PSEV_ERROR, "", t->name, t->name_len,
			    "a tag name in the wrong case is an unknown tag, ignored: tags are "
			    "case-sensitive (" SEC_RECORD ")");
}

/* Tag-list errors as problems (the reason names the RFC 6376 rule broken). */
static void
report_taglist(struct bimi_record *rec, const struct taglist *tl, const unsigned char *p,
	       size_t len)
{
	size_t i, at;

	for (i = 0; i < tl->nerrors && i < TAGLIST_MAX_ERRORS; i++) {
		at = tl->errors[i].pos < len ? tl->errors[i].pos : len;
		add_problem(rec, BIMI_PSEV_ERROR, "", p + at, len - at > 24 ? 24 : len - at,
		    tl->errors[i].code == TL_ERR_DUPLICATE ?
		    "a tag appears twice, which makes the record invalid (RFC 6376 3.2)" :
		    "the record is not a valid tag=value list (RFC 6376 3.2)");
	}
}

/* Parse one record. */
int
bimi_parse(const void *data, size_t len, struct bimi_record *rec)
{
	const unsigned char *p = data;
	const struct taglist_tag *t;
	struct taglist tl;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->avp, sizeof(rec->avp), "brand");
	(void)taglist_parse(data, len, 0, &tl);
	if (tl.count == 0 || !taglist_name_is(&tl, &tl.tags[0], "v") ||
	    tl.tags[0].value_len != 5 || memcmp(tl.tags[0].value, "BIMI1", 5) != 0) {
		add_problem(rec, BIMI_PSEV_ERROR, "v", p, len > 24 ? 24 : len,
		    "the record does not begin with v=BIMI1 and is discarded "
		    "(BIMI draft 4.3, 7.2)");
		return -1;
	}
	rec->is_bimi = true;
	report_taglist(rec, &tl, p, len);
	for (i = 1; i < tl.count; i++) {
		t = &tl.tags[i];
		if (t->duplicate)
			continue;	/* reported as a tag-list error */
		if (taglist_name_is(&tl, t, "l"))
			parse_logos(rec, t);
		else if (taglist_name_is(&tl, t, "a"))
			parse_evidence(rec, t);
		else if (taglist_name_is(&tl, t, "lps") || taglist_name_is(&tl, t, "avp"))
			parse_keyword(rec, &tl, t);
		else
			check_tag_case(rec, t);	/* other unknown tags: ignored (4.3) */
	}
	if (!rec->has_l)
		add_problem(rec, BIMI_PSEV_ERROR, "l", "", 0, "no l= tag: it is required, "
		    "even empty (" SEC_RECORD ")");
	rec->declined = rec->has_l && rec->nlogos == 0 && !rec->has_evidence &&
	    rec->logo_total == 0;
	if (rec->has_l && rec->logo_total == 0 && rec->has_evidence)
		add_problem(rec, BIMI_PSEV_WARN, "l", "", 0, "l= is empty while a= names "
		    "evidence: receivers that need l= show no logo (BIMI draft 7.3)");
	rec->valid = rec->nerrors == 0;
	return rec->valid ? 0 : -1;
}

/* Whether s is a selector (BIMI draft 4.4: sub-domain *("." sub-domain)). */
bool
bimi_selector_valid(const char *s)
{
	return dns_name_check(s, strnlen(s, DNS_NAME_MAX + 1), DNS_NAME_LDH) == DNS_NAME_OK;
}

/* The selector of a BIMI-Selector header value. */
int
bimi_selector_header(const void *data, size_t len, char *sel, size_t sellen)
{
	const struct taglist_tag *s;
	struct taglist tl;
	size_t i;

	if (sellen == 0)
		return -1;
	sel[0] = '\0';
	/* Header fields are case-insensitive (BIMI draft 5): names fold, values do not. */
	if (taglist_parse(data, len, TAGLIST_FOLD_CASE, &tl) < 0 || tl.count == 0 ||
	    !taglist_name_is(&tl, &tl.tags[0], "v") || tl.tags[0].value_len != 5 ||
	    !taglist_bytes_ieq(tl.tags[0].value, 5, "BIMI1"))
		return -1;
	s = taglist_find(&tl, "s");
	if (s == NULL || s->value_len == 0 || s->value_len >= sellen)
		return -1;
	for (i = 0; i < s->value_len; i++)
		sel[i] = (char)ascii_lower(s->value[i]);
	sel[s->value_len] = '\0';
	if (!bimi_selector_valid(sel)) {
		sel[0] = '\0';
		return -1;
	}
	return 0;
}
