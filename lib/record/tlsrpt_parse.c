/*
 * tlsrpt_parse.c - the _smtp._tls TXT record (RFC 8460 3); see tlsrpt_parse.h.
 *
 * The record goes through the tag-list parser (taglist.h); the stricter RFC 8460
 * rules are checked on its tags: v=TLSRPTv1 first, one rua, each URI mailto: with an
 * addr-spec whose domain is a DNS name, or https: with a DNS host. Extension names
 * with "-" or "." that the tag-list grammar refuses are accepted here.
 *
 * What can go wrong: any bytes are accepted; URIs are split on "," within the rua
 * value (bounded index arithmetic over it); nothing is allocated.
 */
#include <string.h>

#include "util/ascii.h"
#include "record/taglist.h"
#include "record/tlsrpt_parse.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

/* Record a problem (counted always, kept while there is room). */
static void
add_problem(struct tlsrpt_record *out, enum tlsrpt_psev sev, const void *text, size_t len,
	    const char *reason)
{
	struct tlsrpt_problem *p;

	if (out->nproblems < TLSRPT_MAX_PROBLEMS) {
		p = &out->problems[out->nproblems];
		p->sev = sev;
		pt_sanitize(text, len, p->text, sizeof(p->text));
		p->reason = reason;
	}
	out->nproblems++;
	if (sev == TLSRPT_PSEV_ERROR)
		out->nerrors++;
}

/* What a TXT string is. */
enum tlsrpt_txt_kind
tlsrpt_txt_classify(const void *data, size_t len)
{
	switch (taglist_version_match(data, len, "v=TLSRPTv1", "tlsrpt")) {
	case TAGLIST_VERSION_EXACT:	return TLSRPT_TXT_CANDIDATE;
	case TAGLIST_VERSION_LOOKALIKE:	return TLSRPT_TXT_LOOKALIKE;
	case TAGLIST_VERSION_OTHER:	break;
	}
	return TLSRPT_TXT_OTHER;
}

/* Whether n bytes are a DNS host name (LDH labels, dots between, <= 253). */
static bool
is_host(const uint8_t *p, size_t n)
{
	return dns_name_check(p, n, DNS_NAME_LDH) == DNS_NAME_OK;
}

/* Why a URI is not usable, or NULL (RFC 8460 3: mailto: or https:). */
static const char *
uri_problem(const uint8_t *p, size_t n, bool *https)
{
	size_t i, at = n, end, hs, he;

	*https = false;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return "a space, control or non-ASCII byte in the URI";
	if (n > 7 && taglist_bytes_ieq(p, 7, "mailto:")) {
		for (end = 7; end < n && p[end] != '?'; end++)
			if (p[end] == '@')
				at = end;
		if (at == n || at == 7)
			return "a mailto: URI needs local-part@domain (RFC 6068)";
		if (!is_host(p + at + 1, end - at - 1))
			return "the mailto: domain is not a DNS name";
		return NULL;
	}
	if (n > 8 && taglist_bytes_ieq(p, 8, "https://")) {
		*https = true;
		hs = 8;
		for (he = hs; he < n && p[he] != '/' && p[he] != ':' && p[he] != '?' &&
		    p[he] != '#'; he++)
			;
		if (!is_host(p + hs, he - hs))
			return "the https: host is not a DNS name";
		if (he < n && p[he] == ':') {
			for (i = he + 1; i < n && p[i] >= '0' && p[i] <= '9'; i++)
				;
			if (i == he + 1 || i - he - 1 > 5 || (i < n && p[i] != '/'))
				return "bad port in the https: URI";
		}
		return NULL;
	}
	return "the scheme must be mailto: or https:";
}

/* Split the rua value on "," and judge each URI. */
static void
parse_rua(const struct taglist_tag *t, struct tlsrpt_record *out)
{
	const uint8_t *v = t->value;
	size_t s = 0, e, a, b;
	struct tlsrpt_uri *u;
	const char *why;
	bool https = false;	/* set by uri_problem() whenever it returns NULL */

	while (s <= t->value_len) {
		for (e = s; e < t->value_len && v[e] != ','; e++)
			;
		for (a = s; a < e && ascii_is_wsp(v[a]); a++)
			;
		for (b = e; b > a && ascii_is_wsp(v[b - 1]); b--)
			;
		out->uri_total++;
		why = b > a ? uri_problem(v + a, b - a, &https) : "an empty URI";
		if (why == NULL)
			out->nvalid++;
		if (out->nuris < TLSRPT_MAX_URIS) {
			u = &out->uris[out->nuris++];
			pt_sanitize(v + a, b - a, u->text, sizeof(u->text));
			u->valid = why == NULL;
			u->https = why == NULL && https;
			u->reason = why;
		}
		s = e + 1;
	}
}

/* sts/tlsrpt extension name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."). */
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

/* Whether the ";"-segment around pos is "name=value" with an extension name. */
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
	for (eq = s; eq < e && p[eq] != '='; eq++)
		;
	return eq < e && eq + 1 < e && is_ext_name(p + s, eq - s);
}

/* Parse one record. */
int
tlsrpt_parse(const void *data, size_t len, struct tlsrpt_record *out)
{
	const uint8_t *p = data;
	const struct taglist_tag *t, *rua = NULL;
	const struct taglist_error *e;
	struct taglist tl;
	size_t i;

	memset(out, 0, sizeof(*out));
	(void)taglist_parse(data, len, 0, &tl);
	if (tl.count == 0 || tl.tags[0].name_pos != 0 ||
	    !taglist_name_is(&tl, &tl.tags[0], "v") || tl.tags[0].value_len != 8 ||
	    memcmp(tl.tags[0].value, "TLSRPTv1", 8) != 0) {
		add_problem(out, TLSRPT_PSEV_ERROR, p, len < 16 ? len : 16,
		    "the record must begin with v=TLSRPTv1");
		return -1;
	}
	for (i = 0; i < tl.nerrors && i < TAGLIST_MAX_ERRORS; i++) {
		e = &tl.errors[i];
		if (e->code == TL_ERR_BAD_NAME && segment_is_extension(p, len, e->pos))
			continue;
		add_problem(out, TLSRPT_PSEV_ERROR, p + e->pos,
		    len - e->pos < 24 ? len - e->pos : 24,
		    e->code == TL_ERR_DUPLICATE ? "a tag appears twice" : e->reason);
	}
	for (i = 1; i < tl.count; i++) {
		t = &tl.tags[i];
		if (taglist_name_is(&tl, t, "v"))
			add_problem(out, TLSRPT_PSEV_ERROR, p + t->name_pos,
			    t->value_pos + t->value_len - t->name_pos, "v= may only come first");
		else if (taglist_name_is(&tl, t, "rua") && rua == NULL)
			rua = t;
	}
	if (rua == NULL) {
		add_problem(out, TLSRPT_PSEV_ERROR, p, len < 48 ? len : 48,
		    "no rua= tag (required)");
		return -1;
	}
	parse_rua(rua, out);
	for (i = 0; i < out->nuris; i++)
		if (!out->uris[i].valid)
			add_problem(out, out->nvalid > 0 ? TLSRPT_PSEV_WARN : TLSRPT_PSEV_ERROR,
			    out->uris[i].text, strlen(out->uris[i].text), out->uris[i].reason);
	out->valid = out->nvalid > 0 && out->nerrors == 0;
	return out->valid ? 0 : -1;
}
