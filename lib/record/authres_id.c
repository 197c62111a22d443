/*
 * authres_id.c - recognize our authserv-id at the start of a header field's value
 * (RFC 8601 2.2: authserv-id [CFWS authserv-version] ";"), so that forged copies of
 * our fields can be removed (RFC 8601 5).
 *
 * The authserv-id is a token or a quoted-string (RFC 8601 2.2 takes "value" from
 * RFC 2045 5.1): both spellings are ours, since a reader that unquotes the id would
 * otherwise be shown a forged result. Inside the quotes a quoted-pair stands for the
 * character it quotes, and white space at either end is ignored (a reader that trims
 * it sees our id too; removing such a field costs nothing).
 *
 * The value is sender text, read through the bounded reader (buf.h) up to its
 * terminating NUL. Comments nest to any depth (a counter, no recursion), and a
 * backslash quotes the next character inside a comment or a quoted-string (RFC 5322
 * 3.2.2, 3.2.4). What can go wrong: nothing; unterminated comments and quoted-strings,
 * and quoted-pairs at the end, are simply not a match.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "record/authres_id.h"
#include "util/ascii.h"
#include "util/buf.h"

/* Whether c is white space, folding included (RFC 5322 3.2.2 FWS). */
static bool
is_fws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip white space and RFC 5322 comments (nested, with quoted-pairs). */
static void
skip_cfws(struct pt_buf *b)
{
	unsigned long depth = 0;
	uint8_t c;

	while (pt_buf_peek(b, &c) == 0) {
		if (depth == 0 && c != '(' && !is_fws(c))
			return;
		(void)pt_buf_skip(b, 1);
		if (c == '\\' && depth > 0)
			(void)pt_buf_skip(b, 1);	/* fails only at the end: unterminated */
		else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
	}
}

/* The id as a token: its bytes (any case), then a byte that ends a token here. */
static bool
match_token(struct pt_buf *b, const char *id, size_t len)
{
	const uint8_t *p;
	uint8_t c;
	size_t i;

	if (pt_buf_take(b, len, &p) < 0)
		return false;
	for (i = 0; i < len; i++)
		if (ascii_lower(p[i]) != ascii_lower((uint8_t)id[i]))
			return false;
	if (pt_buf_peek(b, &c) < 0)
		return false;
	/* Otherwise a longer id that merely starts like ours. */
	return c == ';' || c == '(' || is_fws(c);
}

/* The id as a quoted-string (RFC 5322 3.2.4), the reader on its opening quote. */
static bool
match_quoted(struct pt_buf *b, const char *id, size_t len)
{
	size_t matched = 0;
	bool trailing = false;		/* white space after the id: only more may follow */
	uint8_t c;

	(void)pt_buf_skip(b, 1);
	for (;;) {
		if (pt_buf_u8(b, &c) < 0)
			return false;		/* no closing quote */
		if (c == '"')
			return matched == len;
		if (c == '\\' && pt_buf_u8(b, &c) < 0)
			return false;		/* a quoted-pair cut off by the end */
		if (is_fws(c)) {
			trailing = matched > 0;
			continue;
		}
		if (trailing || matched == len || ascii_lower(c) != ascii_lower((uint8_t)id[matched]))
			return false;
		matched++;
	}
}

/* Whether value carries authserv_id (see authres_id.h). */
bool
authres_id_is(const char *value, const char *authserv_id)
{
	size_t len = strlen(authserv_id);
	struct pt_buf b;
	uint8_t c;
	bool named;

	if (len == 0)
		return false;
	pt_buf_init(&b, value, strlen(value));
	skip_cfws(&b);
	if (pt_buf_peek(&b, &c) < 0)
		return false;
	named = c == '"' ? match_quoted(&b, authserv_id, len) : match_token(&b, authserv_id, len);
	if (!named)
		return false;
	skip_cfws(&b);
	/* RFC 8601 2.2: an optional authserv-version (digits) may follow. */
	while (pt_buf_peek(&b, &c) == 0 && c >= '0' && c <= '9')
		(void)pt_buf_skip(&b, 1);
	skip_cfws(&b);
	return pt_buf_peek(&b, &c) == 0 && c == ';';
}

/* Whether id is a plain token we may start our fields with (see authres_id.h). */
bool
authres_id_valid(const char *id)
{
	size_t n = 0;

	for (; id[n] != '\0'; n++)
		if (n >= AUTHRES_ID_MAX ||
		    !(ascii_is_alnum((unsigned char)id[n]) || strchr(".-_", id[n]) != NULL))
			return false;
	return n > 0;
}
