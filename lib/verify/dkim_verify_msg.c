/*
 * dkim_verify_msg.c - our own reading for DKIM verification: the DKIM-Signature tags
 * we report or judge ourselves, and whole messages split for dkim_verify_message().
 *
 *   dkv_scan_signature()   b= prefix, l= present, h= covers From, duplicate tags
 *   dkim_verify_message()  header fields, end of header, body (LF -> CRLF), eom
 *
 * Why our own scan next to libopendkim's: its dkim_sig_hdrsigned() matches prefixes,
 * it keeps the last of duplicate tags where RFC 6376 3.2 invalidates the list, and it
 * describes nothing of a signature it could not parse.
 *
 * What can go wrong: any bytes. Every loop is bounded by the length given; copies are
 * cut to their buffers and sanitized (printable ASCII, others '?'); a message without
 * an empty line is all header; header lines without a colon are skipped.
 */
#include <stdint.h>
#include <string.h>

#include "verify/dkim_verify.h"
#include "verify/dkim_verify_int.h"

#define SCAN_MAX_TAGS	64	/* names remembered for the duplicate check */
#define BODY_CHUNK	8192

/*
 * White space inside a tag list: FWS (RFC 6376 2.8), plus VT and FF, which libopendkim
 * also removes from every value (its isspace()), so that we read what it reads.
 */
static bool
is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* ASCII lower case. */
static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Equality of two length-delimited names, ignoring ASCII case. */
static bool
same_name(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Copy a value without its FWS into dst (size bytes), sanitized, cut. */
static void
copy_value(char *dst, size_t size, const char *v, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)v[i];

		if (is_fws(c))
			continue;
		dst[o++] = c > 32 && c < 127 ? (char)c : '?';
	}
	dst[o] = '\0';
}

/* Trim FWS from both ends of [*start, *end). */
static void
trim(const char *s, size_t *start, size_t *end)
{
	while (*start < *end && is_fws((unsigned char)s[*start]))
		(*start)++;
	while (*end > *start && is_fws((unsigned char)s[*end - 1]))
		(*end)--;
}

/* Whether a colon-separated h= list names From (RFC 6376 3.5, 5.4); FWS ignored. */
static bool
list_has_from(const char *v, size_t len)
{
	static const char from[] = "from";
	size_t i, matched = 0;
	bool ok = true;

	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)v[i] : ':';

		if (c == ':') {
			if (ok && matched == 4)
				return true;
			matched = 0;
			ok = true;
		} else if (!is_fws(c)) {
			if (matched < 4 && lower(c) == (unsigned char)from[matched])
				matched++;
			else
				ok = false;
		}
	}
	return false;
}

/* Read the tags we need from a DKIM-Signature value. */
void
dkv_scan_signature(const char *value, size_t len, struct dkv_meta *m)
{
	const char *names[SCAN_MAX_TAGS];
	size_t nlens[SCAN_MAX_TAGS], ntags = 0, i = 0, seg, eq, nstart, nend, k;

	memset(m, 0, sizeof(*m));
	while (i < len) {
		seg = i;
		while (i < len && value[i] != ';')
			i++;
		for (eq = seg; eq < i && value[eq] != '='; eq++)
			;
		if (eq < i) {
			const char *val = value + eq + 1;
			size_t vlen = i - eq - 1;

			nstart = seg;
			nend = eq;
			trim(value, &nstart, &nend);
			for (k = 0; k < ntags && m->dup[0] == '\0'; k++)
				if (same_name(names[k], nlens[k], value + nstart, nend - nstart))
					copy_value(m->dup, sizeof(m->dup), value + nstart,
					    nend - nstart);
			if (ntags < SCAN_MAX_TAGS) {
				names[ntags] = value + nstart;
				nlens[ntags++] = nend - nstart;
			}
			if (same_name(value + nstart, nend - nstart, "b", 1))
				copy_value(m->b, sizeof(m->b), val, vlen);
			else if (same_name(value + nstart, nend - nstart, "d", 1))
				copy_value(m->d, sizeof(m->d), val, vlen);
			else if (same_name(value + nstart, nend - nstart, "s", 1))
				copy_value(m->s, sizeof(m->s), val, vlen);
			else if (same_name(value + nstart, nend - nstart, "a", 1))
				copy_value(m->a, sizeof(m->a), val, vlen);
			else if (same_name(value + nstart, nend - nstart, "l", 1))
				m->body_length = true;
			else if (same_name(value + nstart, nend - nstart, "h", 1))
				m->from_signed = list_has_from(val, vlen);
		}
		i++;	/* past the ';' (or the end) */
	}
}

/* Length of the line at pos without its LF or CRLF; *next is where the next begins. */
static size_t
line_at(const char *p, size_t len, size_t pos, size_t *next)
{
	const char *lf = memchr(p + pos, '\n', len - pos);
	size_t end = lf != NULL ? (size_t)(lf - p) : len;

	*next = lf != NULL ? end + 1 : len;
	if (end > pos && p[end - 1] == '\r')
		end--;
	return end - pos;
}

/* Verify a whole message in memory. */
const struct dkim_verify_results *
dkim_verify_message(struct dkim_verify *v, const void *msg, size_t len)
{
	const char *p = msg;
	char buf[BODY_CHUNK + 2];
	size_t pos = 0, next, n, end, after, i, o = 0;
	const char *colon;

	if (v == NULL)
		return NULL;
	if (p == NULL)
		len = 0;
	while (pos < len) {
		n = line_at(p, len, pos, &next);
		if (n == 0) {		/* the empty line ends the header */
			pos = next;
			break;
		}
		end = pos + n;
		after = next;
		while (after < len && (p[after] == ' ' || p[after] == '\t')) {
			end = after + line_at(p, len, after, &next);
			after = next;
		}
		colon = memchr(p + pos, ':', end - pos);
		if (colon != NULL)
			(void)dkv_header_n(v, p + pos, (size_t)(colon - (p + pos)), colon + 1,
			    end - (size_t)(colon + 1 - p));
		pos = after;
	}
	(void)dkim_verify_eoh(v);
	for (i = pos; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			buf[o++] = '\r';	/* RFC 5322 line ends are CRLF */
		buf[o++] = p[i];
		if (o >= BODY_CHUNK) {
			(void)dkim_verify_body(v, buf, o);
			o = 0;
		}
	}
	if (o > 0)
		(void)dkim_verify_body(v, buf, o);
	return dkim_verify_eom(v);
}
