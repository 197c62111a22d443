/*
 * mail_addr.h - author domains from a From header value, envelope domains from a
 * MAIL FROM path (RFC 5322 3.4, RFC 6854 groups, RFC 5321 4.1.2).
 *
 * Untrusted bytes in, validated lower-case A-label domains out. Never more than
 * MAIL_ADDR_MAX domains; anything that is not an addr-spec with a valid domain is
 * counted as malformed, never guessed at.
 */
#ifndef POSTURE_MAIL_ADDR_H
#define POSTURE_MAIL_ADDR_H

#include <stddef.h>

#define MAIL_ADDR_MAX 8
#define MAIL_ADDR_INPUT_MAX 16384	/* bytes of a header value looked at */

struct mail_addr_list {
	char domains[MAIL_ADDR_MAX][256];	/* distinct, in order of appearance */
	size_t ndomains;
	size_t naddrs;		/* mailboxes seen, distinct domains or not */
	size_t nmalformed;	/* mailboxes without a usable domain */
	size_t ndropped;	/* distinct domains beyond MAIL_ADDR_MAX */
};

/* Parse a From header value of len bytes (folding included). */
void mail_addr_from_header(const char *value, size_t len, struct mail_addr_list *out);

/*
 * The domain of a MAIL FROM / RCPT argument ("<user@example.com>", "user@example.com",
 * "<>"). Writes the normalized domain and returns 0; returns -1 for the null path or
 * an unusable address.
 */
int mail_addr_envelope_domain(const char *path, char *domain, size_t domainlen);

#endif
