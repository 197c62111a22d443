/*
 * dkim_sig.c - our own reading of a DKIM-Signature value (RFC 6376 3.5): the tags we
 * report or judge ourselves, next to libopendkim's verification.
 *
 *   dkim_sig_scan()   b= prefix, d= s= a= for malformed signatures, l= present,
 *                     h= covers From, duplicate tags
 *
 * Why our own scan next to libopendkim's: its dkim_sig_hdrsigned() matches prefixes,
 * it keeps the last of duplicate tags where RFC 6376 3.2 invalidates the list, and it
 * describes nothing of a signature it could not parse.
 *
 * What can go wrong: any bytes. Every loop is bounded by the length given; copies are
 * cut to their buffers and sanitized (printable ASCII, others '?').
 */
#include <stdint.h>
#include <string.h>

#include "util/ascii.h"
#include "record/dkim_sig.h"

#define SCAN_MAX_TAGS	64	/* names remembered for the duplicate check */

/*
 * White space inside a tag list: FWS (RFC 6376 2.8), plus VT and FF, which libopendkim
 * also removes from every value (its isspace()), so that we read what it reads.
 */
static bool
is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Equality of two length-delimited names, ignoring ASCII case. */
static bool
same_name(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
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
			if (matched < 4 && ascii_lower(c) == (unsigned char)from[matched])
				matched++;
			else
				ok = false;
		}
	}
	return false;
}

/* Read the tags we report or judge from a DKIM-Signature value. */
void
dkim_sig_scan(const char *value, size_t len, struct dkim_sig_meta *m)
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
