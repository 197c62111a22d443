/*
 * msg_parse.h - a bounded parser of one raw RFC 5322 message (a file given to
 * posture-check --message): its header fields, and where the body starts.
 *
 *   msg_parse()        split the header into fields and find the body
 *   msg_parsed_free()  release what msg_parse() allocated
 *   msg_field_is()     whether a field has a given name (ASCII case-insensitive)
 *
 * Tolerant of what files on disk hold: LF or CRLF line ends (mixed too), no body (no
 * empty line: all header), a leading mbox "From " line (skipped, its length given),
 * NUL bytes (kept, flagged), lines over RFC 5322 2.1.1's 998 octets (counted; the
 * unfolded copy of a value is capped at MSG_PARSE_MAX_VALUE bytes). A header line that
 * is not a field (no colon, a name outside the ftext of RFC 5322 3.6.8, a continuation
 * with no field before it) is counted in nmalformed, never guessed at.
 *
 * Bounded: at most MSG_PARSE_MAX_FIELDS fields, all within the first
 * MSG_PARSE_MAX_HEADER bytes of the header, are kept; later ones are counted in
 * ndropped, and the end of the header is still found. Every read is checked against
 * the length given (the buffer need not be terminated). Out of memory: -1.
 */
#ifndef POSTURE_MSG_PARSE_H
#define POSTURE_MSG_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define MSG_PARSE_MAX_FIELDS	1000
#define MSG_PARSE_MAX_HEADER	(1024 * 1024)	/* header bytes whose fields are kept */
#define MSG_PARSE_MAX_VALUE	(64 * 1024)	/* bytes of one unfolded value */
#define MSG_PARSE_LINE_MAX	998		/* RFC 5322 2.1.1, line end excluded */

struct msg_field {
	const char *name;	/* borrowed from the message; name_len bytes, no colon */
	size_t name_len;
	const char *raw;	/* borrowed: after the colon up to the field's last line
				   end (excluded), folds kept */
	size_t raw_len;
	char *value;		/* owned: raw unfolded (RFC 5322 2.2.3: line breaks before
				   WSP removed), WSP trimmed at both ends, NUL-terminated;
				   value_len bytes, which may include NUL bytes */
	size_t value_len;
	bool value_cut;		/* the unfolded value was cut at MSG_PARSE_MAX_VALUE */
	bool has_nul;		/* the raw value holds a NUL byte */
	size_t offset;		/* where the field starts in the message */
};

struct msg_parsed {
	struct msg_field *fields;	/* owned; in header order (top first) */
	size_t nfields;
	size_t header_start;	/* 0, or the length of a leading mbox "From " line */
	size_t body_start;	/* first byte of the body; the length when there is none */
	bool has_separator;	/* an empty line ended the header */
	bool crlf;		/* the first line of the header ends in CRLF */
	size_t nmalformed;	/* header lines or line groups that are not fields */
	size_t ndropped;	/* fields beyond the caps, not kept */
	size_t nlong;		/* header lines over MSG_PARSE_LINE_MAX octets */
	bool has_nul;		/* a NUL byte in the header */
};

/*
 * Parse len bytes at data (NULL is taken as empty). Returns 0, or -1 when out of
 * memory (out then holds nothing to free). Free with msg_parsed_free().
 */
int msg_parse(const void *data, size_t len, struct msg_parsed *out);

/* Free the fields; out is left empty. NULL is fine. */
void msg_parsed_free(struct msg_parsed *m);

/* Whether the field is called name (ASCII letters compared without case). */
bool msg_field_is(const struct msg_field *f, const char *name);

#endif
