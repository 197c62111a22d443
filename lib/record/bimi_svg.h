/*
 * bimi_svg.h - is a BIMI logo an SVG Tiny Portable/Secure document
 * (draft-svg-tiny-ps-abrotman, "SVG Tiny PS" below; BIMI draft 4.3.2); no I/O.
 *
 *   bimi_svg_check()    parse with libxml2 and list what breaks the profile
 *   bimi_svg_decode()   the SVG bytes of a document, gunzipped when it is SVGZ (bounded)
 *
 * The profile as checked: the root element is <svg> in the SVG namespace with
 * baseProfile="tiny-ps" and version="1.2", no x= or y= on the root, a square viewBox
 * (or equal width and height when there is no viewBox), a <title> child of the root;
 * nowhere a <script> or on* event attribute, an <image> (embedded raster), an
 * animation, multimedia or <foreignObject> element, or a reference to anything but a
 * local "#fragment" (href / xlink:href, url(...) in attributes and <style>); the
 * document (after gunzip) at most BIMI_SVG_MAX_BYTES.
 *
 * Hostile XML: libxml2 parses with XML_PARSE_NONET, without XML_PARSE_NOENT (no entity
 * substitution), without DTD loading or default-attribute loading, without
 * XML_PARSE_HUGE (libxml2's size and depth limits stay on), from a fresh parser
 * context whose SAX entity-declaration hook stores nothing: a declared entity can
 * never be expanded, so billion-laughs documents stay small and external entities
 * (file:///etc/passwd) are never opened; declaring one is itself a problem. Parser
 * messages never reach stderr: the first one is kept for the report.
 *
 * What can go wrong: any bytes are accepted; out of memory reads as "not XML".
 * bimi_svg_check() is thread-safe (libxml2 is initialised once, pthread_once).
 */
#ifndef POSTURE_BIMI_SVG_H
#define POSTURE_BIMI_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIMI_SVG_MAX_BYTES	32768	/* BIMI group guidance; our fetch limit too */
#define BIMI_SVG_MAX_PROBLEMS	8

enum bimi_svg_issue {
	BIMI_SVG_TOO_LARGE,	/* over BIMI_SVG_MAX_BYTES (served or inflated) */
	BIMI_SVG_NOT_XML,	/* not well-formed, corrupt gzip, empty */
	BIMI_SVG_NOT_SVG,	/* root is not <svg> in the SVG namespace */
	BIMI_SVG_BASE_PROFILE,	/* baseProfile missing or not "tiny-ps" */
	BIMI_SVG_VERSION,	/* version missing or not "1.2" */
	BIMI_SVG_NO_TITLE,	/* no <title> child of the root */
	BIMI_SVG_ROOT_XY,	/* x= or y= on the root */
	BIMI_SVG_NOT_SQUARE,	/* viewBox not square, malformed or missing */
	BIMI_SVG_SCRIPT,	/* <script> or an on* event attribute */
	BIMI_SVG_RASTER,	/* <image>: an embedded or linked raster */
	BIMI_SVG_FORBIDDEN,	/* animation, multimedia, foreignObject, ... */
	BIMI_SVG_EXTERNAL_REF,	/* href or url() to anything but a local #fragment */
	BIMI_SVG_ENTITY		/* the document declares entities (never expanded) */
};

struct bimi_svg_problem {
	enum bimi_svg_issue issue;
	char text[64];			/* the offending value, sanitized */
	const char *reason;		/* static, one line, with its section */
};

struct bimi_svg_result {
	bool valid;			/* no problem at all */
	bool gzip;			/* the document was SVGZ */
	size_t size;			/* bytes as given */
	size_t svg_size;		/* bytes after gunzip (== size when not gzip) */
	char title[64];			/* the <title> text, sanitized; "" when none */
	size_t nproblems;		/* all found, may exceed BIMI_SVG_MAX_PROBLEMS */
	struct bimi_svg_problem problems[BIMI_SVG_MAX_PROBLEMS];
};

/* Check len bytes (SVG or SVGZ) against the profile; 0 when valid, -1 otherwise. */
int bimi_svg_check(const void *data, size_t len, struct bimi_svg_result *out);

/*
 * The SVG bytes of a document: a copy, inflated when it begins with the gzip magic.
 * At most max bytes are produced: *out (malloc'd, NUL-terminated, the caller frees)
 * and *outlen. Returns 0; 1 when the output would exceed max (*out NULL); -1 on
 * corrupt gzip or out of memory (*out NULL).
 */
int bimi_svg_decode(const void *data, size_t len, size_t max, uint8_t **out, size_t *outlen);

#endif
