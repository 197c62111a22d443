/*
 * arc_parse.c - ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results values
 * (RFC 8617 4.1) into structs; see arc_parse.h for the contract.
 *
 *   arc_field_kind_of()  the field name
 *   arc_sig_parse()      AS and AMS: the tag list (record/taglist.c), required tags
 *   arc_aar_parse()      AAR: "i=N;" and the passes of its RFC 8601 payload
 *
 * Decisions: tag names are case-sensitive (RFC 6376 3.2, as for DKIM-Signature); an
 * AS must carry i, a, b, cv, d, s and no h= (RFC 8617 4.1.3); an AMS i, a, b, bh, d, s,
 * h (RFC 8617 4.1.2). The AAR payload is read loosely (comments dropped, ";" outside
 * quoted strings splits results): only passes are kept, and only a trusted sealer's
 * passes are ever used (verify/arc_verify.c).
 *
 * What can go wrong: any bytes. Values over ARC_FIELD_MAX are refused unread; every
 * loop is bounded by the length; copies are sanitized and cut (util/strbuf.h).
 */
#include <stdio.h>
#include <string.h>

#include "record/arc_parse.h"
#include "record/taglist.h"
#include "util/ascii.h"
#include "util/strbuf.h"

/* Which ARC field a header name is. */
enum arc_field_kind
arc_field_kind_of(const char *name, size_t n)
{
	if (taglist_bytes_ieq((const uint8_t *)name, n, "ARC-Seal"))
		return ARC_FIELD_SEAL;
	if (taglist_bytes_ieq((const uint8_t *)name, n, "ARC-Message-Signature"))
		return ARC_FIELD_AMS;
	if (taglist_bytes_ieq((const uint8_t *)name, n, "ARC-Authentication-Results"))
		return ARC_FIELD_AAR;
	return ARC_FIELD_NONE;
}

/* The word of a cv= value. */
const char *
arc_cv_word(enum arc_cv cv)
{
	switch (cv) {
	case ARC_CV_NONE:
		return "none";
	case ARC_CV_PASS:
		return "pass";
	case ARC_CV_FAIL:
		return "fail";
	default:
		return "";
	}
}

/* An instance number: 1..ARC_MAX_INSTANCES, digits only, no leading zero; else 0. */
static unsigned
read_instance(const uint8_t *v, size_t n)
{
	unsigned x = 0;
	size_t i;

	if (n == 0 || n > 2 || v[0] == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	return x >= 1 && x <= ARC_MAX_INSTANCES ? x : 0;
}

/* Copy a tag value without white space, sanitized, cut to size. */
static void
copy_compact(char *dst, size_t size, const uint8_t *v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		if (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')
			continue;
		dst[o++] = v[i] > 32 && v[i] < 127 ? (char)v[i] : '?';
	}
	dst[o] = '\0';
}

/* Set err once (the first reason wins). */
static void
set_err(char *err, size_t size, const char *why)
{
	if (err[0] == '\0')
		snprintf(err, size, "%s", why);
}

/* c=: "header[/body]", each simple or relaxed; -1 when malformed. */
static int
read_canon(const uint8_t *v, size_t n, struct arc_sig *out)
{
	char c[32], *slash;

	if (n >= sizeof(c))
		return -1;
	copy_compact(c, sizeof(c), v, n);
	slash = strchr(c, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (strcmp(c, "simple") == 0)
		out->canon_header = ARC_CANON_SIMPLE;
	else if (strcmp(c, "relaxed") == 0)
		out->canon_header = ARC_CANON_RELAXED;
	else
		return -1;
	if (slash == NULL || strcmp(slash, "simple") == 0)
		out->canon_body = ARC_CANON_SIMPLE;
	else if (strcmp(slash, "relaxed") == 0)
		out->canon_body = ARC_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* t=: decimal seconds, at most 12 digits. */
static int
read_time(const uint8_t *v, size_t n, uint64_t *t)
{
	size_t i;

	if (n == 0 || n > 12)
		return -1;
	*t = 0;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		*t = *t * 10 + (uint64_t)(v[i] - '0');
	}
	return 0;
}

/* Where b='s value is deleted: from after its "=" to the end of the value. */
static void
b_span(const uint8_t *data, const struct taglist_tag *t, struct arc_sig *out)
{
	size_t p = t->name_pos + t->name_len;

	while (p < t->value_pos && data[p] != '=')
		p++;
	out->b_start = p < t->value_pos ? p + 1 : t->value_pos;
	out->b_end = t->value_pos + t->value_len;
}

/* One tag of an AS or AMS. */
static void
sig_tag(const uint8_t *data, const struct taglist *tl, const struct taglist_tag *t,
	struct arc_sig *out)
{
	bool seal = out->kind == ARC_FIELD_SEAL;

	if (taglist_name_is(tl, t, "i")) {
		out->instance = read_instance(t->value, t->value_len);
		if (out->instance == 0)
			set_err(out->err, sizeof(out->err), "i= is not an instance 1..50");
	} else if (taglist_name_is(tl, t, "a")) {
		copy_compact(out->a, sizeof(out->a), t->value, t->value_len);
	} else if (taglist_name_is(tl, t, "b")) {
		out->b = t->value;
		out->b_len = t->value_len;
		b_span(data, t, out);
	} else if (taglist_name_is(tl, t, "bh") && !seal) {
		out->bh = t->value;
		out->bh_len = t->value_len;
	} else if (taglist_name_is(tl, t, "c") && !seal) {
		if (read_canon(t->value, t->value_len, out) < 0)
			set_err(out->err, sizeof(out->err), "c= is not simple or relaxed");
	} else if (taglist_name_is(tl, t, "cv") && seal) {
		if (taglist_bytes_ieq(t->value, t->value_len, "none"))
			out->cv = ARC_CV_NONE;
		else if (taglist_bytes_ieq(t->value, t->value_len, "pass"))
			out->cv = ARC_CV_PASS;
		else if (taglist_bytes_ieq(t->value, t->value_len, "fail"))
			out->cv = ARC_CV_FAIL;
		else
			set_err(out->err, sizeof(out->err), "cv= is not none, pass or fail");
	} else if (taglist_name_is(tl, t, "d")) {
		copy_compact(out->d, sizeof(out->d), t->value, t->value_len);
	} else if (taglist_name_is(tl, t, "s")) {
		copy_compact(out->s, sizeof(out->s), t->value, t->value_len);
	} else if (taglist_name_is(tl, t, "h")) {
		if (seal)
			set_err(out->err, sizeof(out->err), "h= in an ARC-Seal (RFC 8617 4.1.3)");
		out->h = t->value;
		out->h_len = t->value_len;
	} else if (taglist_name_is(tl, t, "t")) {
		out->has_t = read_time(t->value, t->value_len, &out->t) == 0;
		if (!out->has_t)
			set_err(out->err, sizeof(out->err), "t= is not a time");
	} else if (taglist_name_is(tl, t, "l") && !seal) {
		out->has_l = true;
	}
}

/* Whether an h= value names ARC-Seal (colon list, FWS around names). */
static bool
h_lists_seal(const uint8_t *h, size_t n)
{
	size_t i = 0, start, end;

	while (i < n) {
		while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
			i++;
		start = i;
		while (i < n && h[i] != ':')
			i++;
		end = i++;
		while (end > start && (h[end - 1] == ' ' || h[end - 1] == '\t' ||
		    h[end - 1] == '\r' || h[end - 1] == '\n'))
			end--;
		if (taglist_bytes_ieq(h + start, end - start, "ARC-Seal"))
			return true;
	}
	return false;
}

/* Parse an AS or AMS value. */
int
arc_sig_parse(enum arc_field_kind kind, const void *value, size_t len, struct arc_sig *out)
{
	static const char *const seal_req[] = { "i", "a", "b", "cv", "d", "s", NULL };
	static const char *const ams_req[] = { "i", "a", "b", "bh", "d", "s", "h", NULL };
	const char *const *req = kind == ARC_FIELD_SEAL ? seal_req : ams_req;
	struct taglist tl;
	char why[64];
	size_t i;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	/* c= absent: relaxed/relaxed, as dkimpy and the ARC test suite read it */
	out->canon_header = out->canon_body = ARC_CANON_RELAXED;
	if (kind != ARC_FIELD_SEAL && kind != ARC_FIELD_AMS) {
		set_err(out->err, sizeof(out->err), "not an ARC signature field");
		return -1;
	}
	if (len > ARC_FIELD_MAX) {
		snprintf(out->err, sizeof(out->err), "%zu bytes, over %d: not read", len,
		    ARC_FIELD_MAX);
		return -1;
	}
	if (taglist_parse(value, len, 0, &tl) < 0) {
		for (i = 0; i < tl.nerrors && i < TAGLIST_MAX_ERRORS; i++)
			if (tl.errors[i].code == TL_ERR_DUPLICATE)
				break;
		set_err(out->err, sizeof(out->err), i < tl.nerrors && i < TAGLIST_MAX_ERRORS ?
		    "a tag occurs twice (RFC 6376 3.2)" : "malformed tag list (RFC 6376 3.2)");
	}
	for (i = 0; i < tl.count; i++)
		if (!tl.tags[i].duplicate)
			sig_tag(value, &tl, &tl.tags[i], out);
	for (i = 0; req[i] != NULL; i++)
		if (taglist_find(&tl, req[i]) == NULL) {
			snprintf(why, sizeof(why), "no %s= tag", req[i]);
			set_err(out->err, sizeof(out->err), why);
		}
	if (out->err[0] == '\0' && out->b_len == 0)
		set_err(out->err, sizeof(out->err), "b= is empty");
	if (kind == ARC_FIELD_AMS && h_lists_seal(out->h, out->h_len))
		set_err(out->err, sizeof(out->err), "h= lists ARC-Seal (RFC 8617 4.1.2)");
	return out->err[0] ? -1 : 0;
}

/*
 * The payload with comments blanked (nested, bounded by the length) into out, which has
 * room for len bytes. Quoted strings are kept; their ";" are made spaces too, so that
 * only real separators split results.
 */
static void
strip_comments(const uint8_t *v, size_t len, char *out)
{
	size_t i, depth = 0;
	bool quoted = false;

	for (i = 0; i < len; i++) {
		uint8_t c = v[i];

		if (quoted) {
			if (c == '\\' && i + 1 < len) {
				out[i] = ' ';
				out[++i] = ' ';
				continue;
			}
			if (c == '"')
				quoted = false;
			out[i] = c == ';' ? ' ' : (char)c;
		} else if (depth > 0) {
			if (c == '\\' && i + 1 < len)
				out[i++] = ' ';
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			out[i] = ' ';
		} else if (c == '(') {
			depth = 1;
			out[i] = ' ';
		} else {
			if (c == '"')
				quoted = true;
			out[i] = c >= 32 && c < 127 ? (char)c : ' ';
		}
	}
}

/* The next white-space separated word of s[*pos, end) (bounded); false at the end. */
static bool
next_word(const char *s, size_t end, size_t *pos, size_t *ws, size_t *we)
{
	size_t p = *pos;

	while (p < end && s[p] == ' ')
		p++;
	if (p >= end)
		return false;
	*ws = p;
	while (p < end && s[p] != ' ')
		p++;
	*we = p;
	*pos = p;
	return true;
}

/* The word s[ws, we) as "key=value": the value for key (case-insensitive), or NULL. */
static const char *
word_value(const char *s, size_t ws, size_t we, const char *key, size_t *vlen)
{
	size_t k = strlen(key), p = ws + k;

	if (we - ws <= k || !taglist_bytes_ieq((const uint8_t *)s + ws, k, key))
		return NULL;
	while (p < we && s[p] == ' ')
		p++;
	if (p >= we || s[p] != '=')
		return NULL;
	*vlen = we - p - 1;
	return s + p + 1;
}

/* Copy a domain (the part after the last '@' for an address), lower case, sanitized. */
static void
copy_domain(char *dst, size_t size, const char *v, size_t n)
{
	const char *at = NULL;
	size_t i, o = 0;

	for (i = 0; i < n; i++)
		if (v[i] == '@')
			at = v + i;
	if (at != NULL) {
		n -= (size_t)(at + 1 - v);
		v = at + 1;
	}
	if (n > 0 && v[0] == '"')
		return;		/* a quoted value is no domain we compare */
	for (i = 0; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)v[i];

		dst[o++] = c > 32 && c < 127 ? (char)ascii_lower(c) : '?';
	}
	dst[o] = '\0';
}

/* One resinfo s[start, end): keep it when it is a pass we read. */
static void
aar_resinfo(const char *s, size_t start, size_t end, struct arc_aar *out)
{
	static const struct { const char *method, *prop; enum arc_aar_method m; } known[] = {
		{ "dmarc", "header.from", ARC_AAR_DMARC },
		{ "dkim", "header.d", ARC_AAR_DKIM },
		{ "spf", "smtp.mailfrom", ARC_AAR_SPF },
	};
	struct arc_aar_pass *p;
	size_t pos = start, ws, we, vlen, i;
	const char *v;

	if (!next_word(s, end, &pos, &ws, &we) || out->npasses >= ARC_AAR_MAX_PASSES)
		return;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		v = word_value(s, ws, we, known[i].method, &vlen);
		if (v != NULL && taglist_bytes_ieq((const uint8_t *)v, vlen, "pass"))
			break;
	}
	if (i == sizeof(known) / sizeof(known[0]))
		return;
	p = &out->passes[out->npasses++];
	p->method = known[i].m;
	p->domain[0] = '\0';
	while (next_word(s, end, &pos, &ws, &we))
		if ((v = word_value(s, ws, we, known[i].prop, &vlen)) != NULL) {
			copy_domain(p->domain, sizeof(p->domain), v, vlen);
			break;
		}
}

/* Parse an AAR value: "i=N" [CFWS] ";" authserv-id ... ";" resinfo ... */
int
arc_aar_parse(const void *value, size_t len, struct arc_aar *out)
{
	char s[ARC_FIELD_MAX];
	size_t pos = 0, ws, we, vlen, semi;
	const char *v;

	memset(out, 0, sizeof(*out));
	if (len > ARC_FIELD_MAX) {
		snprintf(out->err, sizeof(out->err), "%zu bytes, over %d: not read", len,
		    ARC_FIELD_MAX);
		return -1;
	}
	strip_comments(value, len, s);
	for (semi = 0; semi < len && s[semi] != ';'; semi++)
		;
	/* "i" [FWS] "=" [FWS] instance: join the words before the first ';' */
	{
		char inst[16];
		size_t o = 0, i;

		for (i = 0; i < semi && o + 1 < sizeof(inst); i++)
			if (s[i] != ' ')
				inst[o++] = s[i];
		inst[o] = '\0';
		ws = 0;
		we = o;
		v = word_value(inst, ws, we, "i", &vlen);
		if (v == NULL || i < semi)
			out->instance = 0;
		else
			out->instance = read_instance((const uint8_t *)v, vlen);
	}
	if (out->instance == 0)
		set_err(out->err, sizeof(out->err), "no i= instance 1..50 before the first ';'");
	if (semi >= len) {
		set_err(out->err, sizeof(out->err), "no authserv-id");
		return -1;
	}
	pos = semi + 1;
	/* authserv-id [version] up to the next ';' */
	for (semi = pos; semi < len && s[semi] != ';'; semi++)
		;
	if (next_word(s, semi, &pos, &ws, &we))
		pt_sanitize(s + ws, we - ws, out->authserv_id, sizeof(out->authserv_id));
	else
		set_err(out->err, sizeof(out->err), "no authserv-id");
	while (semi < len) {
		pos = semi + 1;
		for (semi = pos; semi < len && s[semi] != ';'; semi++)
			;
		aar_resinfo(s, pos, semi, out);
	}
	return out->err[0] ? -1 : 0;
}
