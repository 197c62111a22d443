/*
 * msg_parse.c - header fields and body start of one raw message (see msg_parse.h).
 *
 * One pass over physical lines (each found with a memchr bounded by the bytes left):
 * a line starting with WSP continues the field before it (RFC 5322 2.2.3), an empty
 * line ends the header (RFC 5322 2.1), any other line starts a field. A field is
 * judged when it is complete: its name is what precedes the first colon of its first
 * line (WSP before the colon tolerated, RFC 5322 4.5), and must be ftext (3.6.8).
 *
 * What can go wrong: anything in the bytes. Indexes never pass len; allocations are
 * bounded by the caps of msg_parse.h and checked before they are made.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"
#include "record/msg_parse.h"

/* A field being gathered: its first line and its extent. */
struct pending {
	bool open;
	size_t start;		/* first byte of the field */
	size_t first_end;	/* end of its first line (line end excluded) */
	size_t end;		/* end of its last line (line end excluded) */
};

/* ftext (RFC 5322 3.6.8): printable US-ASCII except the colon. */
static bool
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* The line at pos: its content length without LF or CRLF; *next starts the next one. */
static size_t
line_at(const char *p, size_t len, size_t pos, size_t *next, bool *crlf)
{
	const char *lf = memchr(p + pos, '\n', len - pos);
	size_t end = lf != NULL ? (size_t)(lf - p) : len;

	*next = lf != NULL ? end + 1 : len;
	*crlf = false;
	if (end > pos && p[end - 1] == '\r') {	/* a CR before the end of data too */
		end--;
		*crlf = lf != NULL;
	}
	return end - pos;
}

/* Length of a leading mbox "From " line with its line end, or 0. */
static size_t
mbox_line(const char *p, size_t len)
{
	size_t i = 4, next;
	bool crlf;

	if (len < 5 || memcmp(p, "From ", 5) != 0)
		return 0;
	while (i < len && ascii_is_wsp((unsigned char)p[i]))
		i++;
	if (i < len && p[i] == ':')
		return 0;		/* "From : a@b.example", a field (RFC 5322 4.5.3) */
	(void)line_at(p, len, 0, &next, &crlf);
	return next;
}

/* Copy the raw value unfolded, then trimmed of WSP at both ends, into a new string. */
static int
unfold(struct msg_field *f)
{
	size_t i, n = f->raw_len, o = 0, cap;
	const char *r = f->raw;

	cap = n < MSG_PARSE_MAX_VALUE ? n : MSG_PARSE_MAX_VALUE;
	f->value = malloc(cap + 1);
	if (f->value == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		/* Inside a field every line break is a fold: drop CRLF or LF, keep the WSP. */
		if (r[i] == '\r' && i + 1 < n && r[i + 1] == '\n')
			continue;
		if (r[i] == '\n')
			continue;
		if (o == 0 && ascii_is_wsp((unsigned char)r[i]))
			continue;	/* leading WSP, before or after a fold */
		if (o == cap) {
			f->value_cut = true;
			break;
		}
		f->value[o++] = r[i];
	}
	while (o > 0 && ascii_is_wsp((unsigned char)f->value[o - 1]))
		o--;
	f->value[o] = '\0';
	f->value_len = o;
	return 0;
}

/* Judge a complete field and keep it when it is one and fits the caps. */
static int
finish(const char *p, struct pending *pf, struct msg_parsed *out, size_t *cap)
{
	const char *colon;
	size_t name_end, i;
	struct msg_field *f, *grown;

	if (!pf->open)
		return 0;
	pf->open = false;
	colon = memchr(p + pf->start, ':', pf->first_end - pf->start);
	if (colon == NULL) {
		out->nmalformed++;
		return 0;
	}
	name_end = (size_t)(colon - p);
	while (name_end > pf->start && ascii_is_wsp((unsigned char)p[name_end - 1]))
		name_end--;
	for (i = pf->start; i < name_end; i++)
		if (!is_ftext((unsigned char)p[i]))
			break;
	if (name_end == pf->start || i < name_end) {
		out->nmalformed++;
		return 0;
	}
	if (out->nfields == MSG_PARSE_MAX_FIELDS ||
	    pf->end - out->header_start > MSG_PARSE_MAX_HEADER) {
		out->ndropped++;
		return 0;
	}
	if (out->nfields == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		if (ncap > MSG_PARSE_MAX_FIELDS)
			ncap = MSG_PARSE_MAX_FIELDS;
		if (ncap > SIZE_MAX / sizeof(*grown))
			return -1;
		grown = realloc(out->fields, ncap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		out->fields = grown;
		*cap = ncap;
	}
	f = &out->fields[out->nfields];
	memset(f, 0, sizeof(*f));
	f->name = p + pf->start;
	f->name_len = name_end - pf->start;
	f->raw = colon + 1;
	f->raw_len = pf->end - (size_t)(colon + 1 - p);
	f->has_nul = memchr(f->raw, '\0', f->raw_len) != NULL;
	f->offset = pf->start;
	if (unfold(f) < 0)
		return -1;
	out->nfields++;
	return 0;
}

/* Parse a whole message. */
int
msg_parse(const void *data, size_t len, struct msg_parsed *out)
{
	const char *p = data;
	struct pending pf = { false, 0, 0, 0 };
	size_t pos, next, n, cap = 0;
	bool crlf, first = true;

	memset(out, 0, sizeof(*out));
	if (p == NULL)
		len = 0;
	out->header_start = len ? mbox_line(p, len) : 0;
	out->body_start = len;
	pos = out->header_start;
	while (pos < len) {
		n = line_at(p, len, pos, &next, &crlf);
		if (first)
			out->crlf = crlf;
		first = false;
		if (n > MSG_PARSE_LINE_MAX)
			out->nlong++;
		if (memchr(p + pos, '\0', n) != NULL)
			out->has_nul = true;
		if (n == 0) {			/* the empty line: the body follows */
			out->has_separator = true;
			out->body_start = next;
			break;
		}
		if (ascii_is_wsp((unsigned char)p[pos])) {
			if (pf.open)
				pf.end = pos + n;
			else
				out->nmalformed++;	/* a continuation of nothing */
		} else {
			if (finish(p, &pf, out, &cap) < 0)
				goto oom;
			pf.open = true;
			pf.start = pos;
			pf.first_end = pf.end = pos + n;
		}
		pos = next;
	}
	if (finish(p, &pf, out, &cap) < 0)
		goto oom;
	return 0;
oom:
	msg_parsed_free(out);
	return -1;
}

/* Free the fields. */
void
msg_parsed_free(struct msg_parsed *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nfields; i++)
		free(m->fields[i].value);
	free(m->fields);
	memset(m, 0, sizeof(*m));
}

/* Whether the field is called name. */
bool
msg_field_is(const struct msg_field *f, const char *name)
{
	size_t i, n = strlen(name);

	if (f == NULL || f->name_len != n)
		return false;
	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)f->name[i]) != ascii_lower((unsigned char)name[i]))
			return false;
	return true;
}
