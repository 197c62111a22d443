/*
 * dkim_verify_msg.c - a whole message in memory split for the verifier, through its
 * public interface only (dkim_verify.h): posture-check --message uses it.
 *
 *   dkim_verify_msg_feed() header fields, end of header, body (LF -> CRLF) to a sink
 *                          (the DKIM verifier, or the ARC verifier: arc_verify.c)
 *   dkim_verify_message()  the feed into the DKIM verifier, then eom
 *
 * What can go wrong: any bytes. Every loop is bounded by the length given; a message
 * without an empty line is all header; header lines without a colon are skipped.
 */
#include <stdint.h>
#include <string.h>

#include "verify/dkim_verify.h"

#define BODY_CHUNK	8192

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

/* Split a whole message in memory for a verifier's sink. */
void
dkim_verify_msg_feed(const void *msg, size_t len, const struct dkim_verify_sink *sink,
		     void *arg)
{
	const char *p = msg;
	char buf[BODY_CHUNK + 2];
	size_t pos = 0, next, n, end, after, i, o = 0;
	const char *colon;

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
			(void)sink->header(arg, p + pos, (size_t)(colon - (p + pos)), colon + 1,
			    end - (size_t)(colon + 1 - p));
		pos = after;
	}
	(void)sink->eoh(arg);
	for (i = pos; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			buf[o++] = '\r';	/* RFC 5322 line ends are CRLF */
		buf[o++] = p[i];
		if (o >= BODY_CHUNK) {
			(void)sink->body(arg, buf, o);
			o = 0;
		}
	}
	if (o > 0)
		(void)sink->body(arg, buf, o);
}

/* The DKIM verifier as a sink. */
static int
sink_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	return dkim_verify_header_n(arg, name, nlen, value, vlen);
}

/* End of header for the DKIM verifier. */
static int
sink_eoh(void *arg)
{
	return dkim_verify_eoh(arg);
}

/* A body chunk for the DKIM verifier. */
static int
sink_body(void *arg, const void *chunk, size_t len)
{
	return dkim_verify_body(arg, chunk, len);
}

/* Verify a whole message in memory. */
const struct dkim_verify_results *
dkim_verify_message(struct dkim_verify *v, const void *msg, size_t len)
{
	const struct dkim_verify_sink sink = { sink_header, sink_eoh, sink_body };

	if (v == NULL)
		return NULL;
	dkim_verify_msg_feed(msg, len, &sink, v);
	return dkim_verify_eom(v);
}
