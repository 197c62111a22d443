/*
 * authres_id.c - recognize our authserv-id at the start of a header field's value
 * (RFC 8601 2.2: authserv-id [CFWS authserv-version] ";"), so that forged copies of
 * our fields can be removed (RFC 8601 5).
 *
 * The value is sender text: the walk is bounded by its terminating NUL, comments nest
 * to any depth (a counter, no recursion), a backslash quotes the next character only
 * inside a comment (RFC 5322 3.2.2). What can go wrong: nothing; unterminated comments
 * and quoted-pairs at the end are simply not a match.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "record/authres_id.h"
#include "util/ascii.h"

/* Skip white space and RFC 5322 comments (nested, with quoted-pairs). */
static const char *
skip_cfws(const char *p)
{
	unsigned long depth = 0;

	for (; *p; p++) {
		if (depth > 0 && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			break;
	}
	return p;
}

/* Whether value carries authserv_id (see authres_id.h). */
bool
authres_id_is(const char *value, const char *authserv_id)
{
	size_t len = strlen(authserv_id);

	if (len == 0)
		return false;
	value = skip_cfws(value);
	if (strncasecmp(value, authserv_id, len) != 0)
		return false;
	value += len;
	if (*value != ';' && *value != ' ' && *value != '\t' && *value != '(' &&
	    *value != '\r' && *value != '\n')
		return false;		/* a longer id that merely starts like ours */
	value = skip_cfws(value);
	/* RFC 8601 2.2: an optional authserv-version (digits) may follow. */
	while (*value >= '0' && *value <= '9')
		value++;
	value = skip_cfws(value);
	return *value == ';';
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
