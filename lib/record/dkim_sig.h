/*
 * dkim_sig.h - the tags of a DKIM-Signature value that we read ourselves (dkim_sig.c):
 * bytes in, struct out, no I/O.
 */
#ifndef POSTURE_DKIM_SIG_H
#define POSTURE_DKIM_SIG_H

#include <stdbool.h>
#include <stddef.h>

#define DKIM_SIG_B_PREFIX	8	/* characters of b= kept (header.b, RFC 6008 / 8601) */

/* What we read ourselves from one DKIM-Signature value. */
struct dkim_sig_meta {
	bool bad;		/* libopendkim refused the tag list (set by the verifier) */
	char dup[8];		/* a tag name seen twice (RFC 6376 3.2), sanitized, or "" */
	bool body_length;	/* l= present */
	bool from_signed;	/* h= lists From */
	char b[DKIM_SIG_B_PREFIX + 1];	/* first characters of b=, FWS removed */
	/* For malformed signatures, which libopendkim does not describe: */
	char d[254], s[254], a[32];
};

/*
 * Read len bytes of a DKIM-Signature value (RFC 6376 3.2 tag list, 3.5 tags) into m
 * (fully overwritten, bad left false). Any bytes; values copied sanitized (printable
 * ASCII, others as '?'), cut to the field sizes. Tag names compare case-insensitively,
 * as libopendkim does, so "d=" and "D=" count as a duplicate.
 */
void dkim_sig_scan(const char *value, size_t len, struct dkim_sig_meta *m);

#endif
