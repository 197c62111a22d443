/*
 * taglist.c - tag=value lists (RFC 6376 3.2); see taglist.h for the grammar.
 *
 * Every byte is read through the bounded reader (buf.h). What can go wrong: any byte
 * sequence is accepted as input; malformed tag-specs become errors with the offset of
 * the offending byte and are skipped to the next ";". The list and the error array
 * are fixed-size: nothing is allocated, so nothing can run out.
 */
#include <stdio.h>
#include <string.h>

#include "util/ascii.h"
#include "util/buf.h"
#include "record/taglist.h"

/* ALPHA / DIGIT / "_": the bytes after the first of a tag name (RFC 6376 3.2). */
static bool
is_name_byte(uint8_t c)
{
	return ascii_is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* VALCHAR = %x21-3A / %x3C-7E (RFC 6376 3.2). */
static bool
is_valchar(uint8_t c)
{
	return (c >= 0x21 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

/* The byte off bytes past the read position, if there is one. */
static bool
peek_at(const struct pt_buf *b, size_t off, uint8_t *c)
{
	if (pt_buf_remaining(b) <= off)
		return false;
	*c = b->data[b->pos + off];
	return true;
}

/* Whether FWS starts here: WSP, or CRLF followed by WSP (RFC 5322 3.2.2). */
static size_t
fws_len(const struct pt_buf *b)
{
	uint8_t c, c2, c3;

	if (!peek_at(b, 0, &c))
		return 0;
	if (ascii_is_wsp(c))
		return 1;
	if (c == '\r' && peek_at(b, 1, &c2) && c2 == '\n' && peek_at(b, 2, &c3) && ascii_is_wsp(c3))
		return 3;
	return 0;
}

/* Skip folding white space. */
static void
skip_fws(struct pt_buf *b)
{
	size_t n;

	while ((n = fws_len(b)) > 0)
		(void)pt_buf_skip(b, n);
}

/* Skip up to (not past) the next ";" or the end. */
static void
skip_to_separator(struct pt_buf *b)
{
	uint8_t c;

	while (pt_buf_peek(b, &c) == 0 && c != ';')
		(void)pt_buf_skip(b, 1);
}

/* Record an error; the count goes on past the array. */
static void
add_error(struct taglist *tl, enum taglist_errcode code, size_t pos, uint8_t byte,
	  const char *reason, size_t tag)
{
	struct taglist_error *e;

	if (tl->nerrors < TAGLIST_MAX_ERRORS) {
		e = &tl->errors[tl->nerrors];
		e->code = code;
		e->pos = pos;
		e->byte = byte;
		e->reason = reason;
		e->tag = tag;
	}
	tl->nerrors++;
}

/* Whether the n bytes at p equal the C string s, ignoring ASCII case. */
bool
taglist_bytes_ieq(const uint8_t *p, size_t n, const char *s)
{
	size_t i;

	if (strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (ascii_lower(p[i]) != ascii_lower((uint8_t)s[i]))
			return false;
	return true;
}

/* Whether two names are equal under the list's case rule. */
static bool
names_equal(unsigned flags, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	if (!(flags & TAGLIST_FOLD_CASE))
		return memcmp(a, b, alen) == 0;
	for (i = 0; i < alen; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* Read a tag value up to ";" or the end; FWS at both ends is not part of it. */
static void
read_value(struct pt_buf *b, struct taglist *tl, struct taglist_tag *t, size_t tagidx)
{
	size_t start = b->pos, end = b->pos, n;
	uint8_t c;

	while (pt_buf_peek(b, &c) == 0 && c != ';') {
		if ((n = fws_len(b)) > 0) {
			(void)pt_buf_skip(b, n);
			continue;
		}
		if (!is_valchar(c)) {
			add_error(tl, TL_ERR_BAD_VALUE_BYTE, b->pos, c,
			    "byte not allowed in a tag value", tagidx);
			t->bad_bytes = true;
		}
		(void)pt_buf_skip(b, 1);
		end = b->pos;
	}
	t->value = b->data + start;
	t->value_len = end - start;
	t->value_pos = start;
}

/* Parse one tag-spec at the read position (FWS already skipped, a byte is there). */
static void
parse_tag_spec(struct pt_buf *b, struct taglist *tl)
{
	struct taglist_tag t;
	size_t start = b->pos, i, idx;
	uint8_t c = 0;

	memset(&t, 0, sizeof(t));
	(void)pt_buf_peek(b, &c);
	if (!ascii_is_alpha(c)) {
		add_error(tl, TL_ERR_BAD_NAME, b->pos, c, "tag name must start with a letter",
		    TAGLIST_MAX_TAGS);
		skip_to_separator(b);
		return;
	}
	while (pt_buf_peek(b, &c) == 0 && is_name_byte(c))
		(void)pt_buf_skip(b, 1);
	t.name = b->data + start;
	t.name_len = b->pos - start;
	t.name_pos = start;
	if (pt_buf_peek(b, &c) == 0 && !ascii_is_wsp(c) && c != '=' && c != ';' && c != '\r') {
		add_error(tl, TL_ERR_BAD_NAME, b->pos, c,
		    "tag name holds a byte other than a letter, digit or underscore",
		    TAGLIST_MAX_TAGS);
		skip_to_separator(b);
		return;
	}
	skip_fws(b);
	if (pt_buf_peek(b, &c) < 0 || c != '=') {
		add_error(tl, TL_ERR_NO_EQUALS, b->pos, c, "tag name not followed by '='",
		    TAGLIST_MAX_TAGS);
		skip_to_separator(b);
		return;
	}
	(void)pt_buf_skip(b, 1);
	skip_fws(b);
	if (tl->count >= TAGLIST_MAX_TAGS) {
		add_error(tl, TL_ERR_TOO_MANY, start, t.name[0], "too many tags", TAGLIST_MAX_TAGS);
		tl->truncated = true;
		(void)pt_buf_seek(b, b->len);
		return;
	}
	idx = tl->count;
	read_value(b, tl, &t, idx);
	for (i = 0; i < tl->count; i++) {
		if (names_equal(tl->flags, tl->tags[i].name, tl->tags[i].name_len,
		    t.name, t.name_len)) {
			t.duplicate = true;
			add_error(tl, TL_ERR_DUPLICATE, start, t.name[0],
			    "tag name occurs more than once", idx);
			break;
		}
	}
	tl->tags[tl->count++] = t;
}

/* Parse a tag-list; 0 when well formed, -1 when an error was recorded. */
int
taglist_parse(const void *data, size_t len, unsigned flags, struct taglist *tl)
{
	struct pt_buf b;
	uint8_t c;

	memset(tl, 0, sizeof(*tl));
	tl->flags = flags;
	pt_buf_init(&b, data, len);
	for (;;) {
		skip_fws(&b);
		if (pt_buf_peek(&b, &c) < 0)
			break;		/* the end, possibly after a trailing ";" */
		if (c == ';') {
			add_error(tl, TL_ERR_EMPTY_TAG, b.pos, c, "empty tag between separators",
			    TAGLIST_MAX_TAGS);
		} else {
			parse_tag_spec(&b, tl);
			if (tl->truncated)
				break;
		}
		if (pt_buf_peek(&b, &c) < 0)
			break;
		(void)pt_buf_skip(&b, 1);	/* the ";" */
	}
	if (tl->count == 0 && !tl->truncated)
		add_error(tl, TL_ERR_EMPTY_LIST, 0, 0, "no tag=value pair", TAGLIST_MAX_TAGS);
	return tl->nerrors ? -1 : 0;
}

/* Whether tag t is called name. */
bool
taglist_name_is(const struct taglist *tl, const struct taglist_tag *t, const char *name)
{
	return names_equal(tl->flags, t->name, t->name_len, (const uint8_t *)name, strlen(name));
}

/* The first tag called name, or NULL. */
const struct taglist_tag *
taglist_find(const struct taglist *tl, const char *name)
{
	size_t i;

	for (i = 0; i < tl->count; i++)
		if (taglist_name_is(tl, &tl->tags[i], name))
			return &tl->tags[i];
	return NULL;
}


/* Classify a TXT string against a version tag (see taglist.h). */
enum taglist_version_match
taglist_version_match(const void *data, size_t len, const char *exact, const char *lookalike)
{
	const uint8_t *p = data;
	size_t i = 0, elen = strlen(exact), llen = strlen(lookalike);

	if (len >= elen && memcmp(p, exact, elen) == 0 &&
	    (len == elen || p[elen] == ';' || ascii_is_wsp(p[elen])))
		return TAGLIST_VERSION_EXACT;
	while (i < len && ascii_is_wsp(p[i]))
		i++;
	if (i < len && (p[i] == 'v' || p[i] == 'V')) {
		for (i++; i < len && ascii_is_wsp(p[i]); i++)
			;
		if (i < len && p[i] == '=') {
			for (i++; i < len && ascii_is_wsp(p[i]); i++)
				;
			if (len - i >= llen && taglist_bytes_ieq(p + i, llen, lookalike))
				return TAGLIST_VERSION_LOOKALIKE;
		}
	}
	return TAGLIST_VERSION_OTHER;
}
