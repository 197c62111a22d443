/*
 * taglist.h - the tag=value list of RFC 6376 3.2, shared by the DMARC (RFC 9989 4.7),
 * DKIM key, MTA-STS TXT, TLS-RPT and BIMI record parsers.
 *
 *   taglist_parse()      bytes in (may hold NUL or any byte), tags out, errors with positions
 *   taglist_find()       the first tag of a name
 *   taglist_name_is()    compare a tag's name with a C string
 *
 * Grammar (RFC 6376 3.2):
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *( ALPHA / DIGIT / "_" )
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]    tval = 1*( %x21-3A / %x3C-7E )
 *   FWS       = [ *WSP CRLF ] 1*WSP
 *
 * Nothing is allocated: tags point into the caller's bytes, which must outlive the
 * list. Parsing is tolerant: a malformed tag-spec is reported (position and reason)
 * and skipped up to the next ";", so one bad tag does not hide the others. What can
 * go wrong is bounded: at most TAGLIST_MAX_TAGS tags and TAGLIST_MAX_ERRORS errors
 * are kept (the counts of the rest are kept too).
 */
#ifndef POSTURE_TAGLIST_H
#define POSTURE_TAGLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAGLIST_MAX_TAGS	64
#define TAGLIST_MAX_ERRORS	8

/* Flags for taglist_parse(). */
#define TAGLIST_FOLD_CASE	0x1	/* names compare case-insensitively (ABNF literals) */

enum taglist_errcode {
	TL_ERR_EMPTY_LIST,	/* no tag at all */
	TL_ERR_EMPTY_TAG,	/* ";;" or ";" followed by only spaces then ";" */
	TL_ERR_BAD_NAME,	/* tag name not ALPHA *(ALPHA / DIGIT / "_") */
	TL_ERR_NO_EQUALS,	/* a tag name not followed by "=" */
	TL_ERR_BAD_VALUE_BYTE,	/* a byte not allowed in a value (control, non-ASCII) */
	TL_ERR_DUPLICATE,	/* the tag name occurred before (RFC 6376 3.2) */
	TL_ERR_TOO_MANY		/* more than TAGLIST_MAX_TAGS tags: parsing stopped */
};

struct taglist_error {
	enum taglist_errcode code;
	size_t pos;		/* offset of the offending byte in the input */
	uint8_t byte;		/* the offending byte (TL_ERR_BAD_VALUE_BYTE, TL_ERR_BAD_NAME) */
	const char *reason;	/* static, one line, no RFC reference */
	size_t tag;		/* index of the tag concerned, or TAGLIST_MAX_TAGS if none */
};

struct taglist_tag {
	const uint8_t *name;	/* borrowed from the input */
	size_t name_len;
	size_t name_pos;
	const uint8_t *value;	/* borrowed; surrounding FWS removed, may be empty */
	size_t value_len;
	size_t value_pos;
	bool duplicate;		/* a tag of the same name came earlier */
	bool bad_bytes;		/* the value holds bytes outside tval (reported as errors) */
};

struct taglist {
	size_t count;
	struct taglist_tag tags[TAGLIST_MAX_TAGS];
	size_t nerrors;		/* all errors seen, may exceed TAGLIST_MAX_ERRORS */
	struct taglist_error errors[TAGLIST_MAX_ERRORS];
	bool truncated;		/* TL_ERR_TOO_MANY: tags past the cap were not read */
	unsigned flags;
};

/*
 * Parse len bytes at data into tl (fully overwritten). Returns 0 when the list is
 * well formed, -1 when at least one error was recorded; the tags read are usable
 * either way.
 */
int taglist_parse(const void *data, size_t len, unsigned flags, struct taglist *tl);

/* The first tag called name (per the list's case flag), or NULL. */
const struct taglist_tag *taglist_find(const struct taglist *tl, const char *name);

/* Whether tag t is called name (per the list's case flag). */
bool taglist_name_is(const struct taglist *tl, const struct taglist_tag *t, const char *name);

/* Whether the n bytes at p equal the C string s, ignoring ASCII case. */
bool taglist_bytes_ieq(const uint8_t *p, size_t n, const char *s);

/* How a TXT string relates to a record that must begin with a version tag. */
enum taglist_version_match {
	TAGLIST_VERSION_OTHER,		/* not about this record */
	TAGLIST_VERSION_EXACT,		/* begins with exact, then ';', white space or end */
	TAGLIST_VERSION_LOOKALIKE	/* "v" *WSP "=" *WSP lookalike in any case: a typo */
};

/*
 * Classify a TXT string for records such as MTA-STS ("v=STSv1", lookalike "sts") and
 * TLS-RPT ("v=TLSRPTv1", "tlsrpt"): the exact version must come first, as written.
 */
enum taglist_version_match taglist_version_match(const void *data, size_t len,
						 const char *exact, const char *lookalike);

#endif
