/*
 * authres_id.h - whose Authentication-Results (or X-Domain-Posture) field is this?
 *
 *   authres_id_is()      the field's value names this authserv-id (RFC 8601 2.2)
 *   authres_id_valid()   whether a configured authserv-id may start our own fields
 *
 * The milter removes copies of its own fields that arrive with a message (RFC 8601 5):
 * a field is ours when its value starts, after CFWS, with our authserv-id (a token,
 * or a quoted-string whose content is the id), optionally an authserv-version, then
 * ';'. Case is ignored. The value is sender text: any bytes.
 *
 * What can go wrong: nothing; an unterminated comment reads to the end and is not ours.
 */
#ifndef POSTURE_AUTHRES_ID_H
#define POSTURE_AUTHRES_ID_H

#include <stdbool.h>

/* Whether value (NUL-terminated, leading space allowed) carries authserv_id. */
bool authres_id_is(const char *value, const char *authserv_id);

#define AUTHRES_ID_MAX 200	/* bytes; host names are at most 253, ours stay shorter */
/* What authres_id_valid() accepts, for error messages. */
#define AUTHRES_ID_RULE "use letters, digits, '.', '-' and '_' only (RFC 8601 2.5)"

/*
 * Whether id can start our headers as a plain token: 1 to AUTHRES_ID_MAX letters,
 * digits, '.', '-', '_' (RFC 8601 2.5 allows more; we emit nothing that needs quoting
 * while authres_id_is() also recognizes it quoted). The one rule for the configuration, the daemon,
 * posture-check and both header builders.
 */
bool authres_id_valid(const char *id);

#endif
