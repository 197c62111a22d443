/*
 * mail_addr.c - domains from From header values and envelope paths (see mail_addr.h).
 *
 * A small scanner, not a full RFC 5322 parser: it walks the value once through the
 * bounded reader, keeping quoted strings, comments (nested, RFC 5322 3.2.2), angle
 * brackets and group syntax apart, splits mailboxes at top-level commas, and takes
 * the addr-spec of each (the bracketed one when there is one). The domain is what
 * follows the last '@' of the addr-spec, validated by posture_name_normalize().
 * Domain literals ([192.0.2.1]) and anything malformed count as malformed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "record/mail_addr.h"
#include "posture.h"

#define MAILBOX_MAX 1024

/* Add a domain taken from an addr-spec of len bytes, if it is valid and new. */
static void
addr_spec_take(const char *spec, size_t len, struct mail_addr_list *out)
{
	char domain[MAILBOX_MAX + 1], norm[256];
	const char *at = NULL, *why;
	size_t i, dlen;

	out->naddrs++;
	for (i = 0; i < len; i++)
		if (spec[i] == '@')
			at = spec + i;
	if (at == NULL || at == spec) {
		out->nmalformed++;
		return;
	}
	dlen = len - (size_t)(at + 1 - spec);
	if (dlen == 0 || dlen > MAILBOX_MAX || at[1] == '[') {
		out->nmalformed++;
		return;
	}
	memcpy(domain, at + 1, dlen);
	domain[dlen] = '\0';
	if (posture_name_normalize(domain, norm, sizeof(norm), &why) < 0) {
		out->nmalformed++;
		return;
	}
	for (i = 0; i < out->ndomains; i++)
		if (strcmp(out->domains[i], norm) == 0)
			return;
	if (out->ndomains == MAIL_ADDR_MAX) {
		out->ndropped++;
		return;
	}
	memcpy(out->domains[out->ndomains++], norm, strlen(norm) + 1);
}

/*
 * One mailbox: its text with quoted strings kept verbatim and comments removed.
 * angle_start/angle_len mark the last <...> seen, if any.
 */
struct mailbox {
	char text[MAILBOX_MAX];
	size_t len;
	bool overflow;
	bool in_angle;
	bool angle_seen;
	size_t angle_start, angle_len;
};

/* Whether text has a space outside quoted strings. */
static bool
has_unquoted_space(const char *text, size_t len)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (quoted && text[i] == '\\')
			i++;
		else if (text[i] == '"')
			quoted = !quoted;
		else if (text[i] == ' ' && !quoted)
			return true;
	}
	return false;
}

/* Finish a mailbox: take its addr-spec. */
static void
mailbox_end(struct mailbox *mb, struct mail_addr_list *out)
{
	size_t start = 0, end = mb->len;

	if (mb->overflow) {
		out->naddrs++;
		out->nmalformed++;
	} else if (mb->angle_seen) {
		if (mb->angle_len > 0)
			addr_spec_take(mb->text + mb->angle_start, mb->angle_len, out);
		else {
			out->naddrs++;
			out->nmalformed++;
		}
	} else {
		while (start < end && mb->text[start] == ' ')
			start++;
		while (end > start && mb->text[end - 1] == ' ')
			end--;
		if (end > start) {
			/* A bare addr-spec may not contain spaces outside quotes. */
			if (has_unquoted_space(mb->text + start, end - start)) {
				out->naddrs++;
				out->nmalformed++;
			} else {
				addr_spec_take(mb->text + start, end - start, out);
			}
		}
	}
	mb->len = 0;
	mb->overflow = mb->in_angle = mb->angle_seen = false;
	mb->angle_start = mb->angle_len = 0;
}

/* Append a byte to the mailbox text (white space folded to one space). */
static void
mailbox_put(struct mailbox *mb, char c)
{
	if (c == '\r' || c == '\n' || c == '\t')
		c = ' ';
	if (mb->len == sizeof(mb->text)) {
		mb->overflow = true;
		return;
	}
	if (mb->in_angle && c == ' ')
		return;		/* CFWS inside <...> is not part of the address */
	mb->text[mb->len++] = c;
	if (mb->in_angle)
		mb->angle_len++;
}

/* Parse a From header value. */
void
mail_addr_from_header(const char *value, size_t len, struct mail_addr_list *out)
{
	struct mailbox mb;
	struct pt_buf b;
	unsigned depth = 0;
	bool quoted = false, escaped = false;
	uint8_t c;

	memset(out, 0, sizeof(*out));
	memset(&mb, 0, sizeof(mb));
	if (len > MAIL_ADDR_INPUT_MAX)
		len = MAIL_ADDR_INPUT_MAX;
	pt_buf_init(&b, value, len);
	while (pt_buf_u8(&b, &c) == 0) {
		if (c == '\0')
			c = ' ';
		if (escaped) {				/* quoted-pair */
			if (depth == 0)
				mailbox_put(&mb, (char)c);
			escaped = false;
		} else if (c == '\\' && (quoted || depth > 0)) {
			escaped = true;
			if (depth == 0)
				mailbox_put(&mb, (char)c);
		} else if (quoted) {
			mailbox_put(&mb, (char)c);
			if (c == '"')
				quoted = false;
		} else if (c == '(') {
			if (depth < 64)
				depth++;
		} else if (c == ')' && depth > 0) {
			depth--;
		} else if (depth > 0) {
			continue;
		} else if (c == '"') {
			quoted = true;
			mailbox_put(&mb, (char)c);
		} else if (c == '<') {
			mb.in_angle = true;
			mb.angle_seen = true;
			mb.angle_start = mb.len;
			mb.angle_len = 0;
		} else if (c == '>' && mb.in_angle) {
			mb.in_angle = false;
		} else if (c == ',' && !mb.in_angle) {
			mailbox_end(&mb, out);
		} else if (c == ':' && !mb.in_angle) {
			/* RFC 6854 group: "name:" starts it; what came before is its name. */
			mb.len = 0;
			mb.overflow = mb.angle_seen = false;
		} else if (c == ';' && !mb.in_angle) {
			mailbox_end(&mb, out);
		} else {
			mailbox_put(&mb, (char)c);
		}
	}
	if (quoted || mb.in_angle)
		mb.overflow = true;	/* unterminated: malformed, not guessed at */
	mailbox_end(&mb, out);
}

/* The domain of an envelope path. */
int
mail_addr_envelope_domain(const char *path, char *domain, size_t domainlen)
{
	struct mail_addr_list list;
	size_t len = strnlen(path, MAIL_ADDR_INPUT_MAX);
	const char *inner = path, *colon;

	/* RFC 5321 4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">"; source routes dropped. */
	if (len >= 2 && path[0] == '<' && path[len - 1] == '>') {
		inner = path + 1;
		len -= 2;
		if (len == 0)
			return -1;		/* null reverse-path */
		if (inner[0] == '@' && (colon = memchr(inner, ':', len)) != NULL) {
			len -= (size_t)(colon + 1 - inner);
			inner = colon + 1;
		}
	}
	mail_addr_from_header(inner, len, &list);
	if (list.ndomains != 1 || list.naddrs != 1 || strlen(list.domains[0]) >= domainlen)
		return -1;
	strcpy(domain, list.domains[0]);
	return 0;
}
