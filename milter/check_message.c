/*
 * check_message.c - posture-check --message: one message verified and its domains
 * evaluated (see check_message.h).
 *
 * The same steps as the milter's verify_message() (callbacks.c), over a file: the
 * header fields from msg_parse.c, the author domains of every From field
 * (mail_addr.c), DKIM over the whole message (dkim_verify_message() takes LF or CRLF
 * line ends and makes them CRLF itself, RFC 5322 2.1), SPF and DMARC by
 * posture_verify(), the Authentication-Results value by posture_authres_value(). Like
 * the milter, verified signatures add their selectors to their domain's evaluation.
 *
 * What can go wrong: the file (unreadable, over CHECK_MESSAGE_MAX_BYTES: bad usage,
 * exit 2); anything inside it (the parsers are bounded; values shown are sanitized);
 * DNS failing (temperror verdicts, domains not evaluated: exit 1); out of memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_message.h"
#include "mail_addr.h"
#include "msg_parse.h"
#include "strbuf.h"
#include "verify.h"

#define MAX_DOMAINS	8	/* author domains evaluated */
#define MAX_NOTES	16
#define PATH_MAX_LEN	512	/* --mail-from and Return-Path paths used */
#define WIDTH		80

struct check_message {
	struct check_message_opts o;	/* pointers borrowed from the caller */
	char *data;			/* owned: the message as read */
	size_t len;
	struct msg_parsed msg;
	uint8_t ip[16];
	size_t iplen;
	char ip_text[64];		/* the address as inet_ntop() writes it */
	char authserv_id[256];
	char mail_from[PATH_MAX_LEN + 3];	/* "<...>", "<>" */
	const char *mail_from_source;	/* static: "option", "return-path", "none" */
	char envelope[256];		/* MAIL FROM domain, "" for the null sender */
	char author[MAX_DOMAINS][256];
	size_t nauthor;
	unsigned nfrom_domains;		/* distinct author domains, kept or not */
	size_t from_fields, from_malformed;
	char *notes[MAX_NOTES];		/* owned: one-line remarks, sanitized */
	size_t nnotes;
};

/* Add a remark to the report (our own words; values sanitized by the caller). */
static void __attribute__((format(printf, 2, 3)))
note(struct check_message *cm, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	if (cm->nnotes == MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cm->notes[cm->nnotes] = strdup(line);
	if (cm->notes[cm->nnotes] != NULL)
		cm->nnotes++;
}

/* Untrusted bytes as printable ASCII (\xHH), cut to max bytes, into dst. */
static void
sanitize(char *dst, size_t dstlen, const char *s, size_t n, size_t max)
{
	struct pt_sb sb;
	char *out;

	pt_sb_init(&sb);
	pt_sb_append_sanitized(&sb, s, n < max ? n : max);
	if (n > max)
		pt_sb_append(&sb, "...");
	out = pt_sb_take(&sb);
	snprintf(dst, dstlen, "%s", out ? out : "");
	free(out);
}

/* Read a whole file (or stdin) of at most CHECK_MESSAGE_MAX_BYTES. */
static int
read_message(struct check_message *cm, char *err, size_t errlen)
{
	const char *path = cm->o.path;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n;
	char *grown;

	if (f == NULL) {
		snprintf(err, errlen, "--message %.200s: %s", path, strerror(errno));
		return -1;
	}
	cm->data = malloc(cap);
	while (cm->data != NULL && (n = fread(cm->data + cm->len, 1, cap - cm->len, f)) > 0) {
		cm->len += n;
		if (cm->len > CHECK_MESSAGE_MAX_BYTES)
			break;
		if (cm->len == cap) {
			cap = cap * 2 > CHECK_MESSAGE_MAX_BYTES + 1 ? CHECK_MESSAGE_MAX_BYTES + 1 :
			    cap * 2;
			grown = realloc(cm->data, cap);
			if (grown == NULL) {
				free(cm->data);
				cm->data = NULL;
			}
			cm->data = grown;
		}
	}
	if (cm->data == NULL)
		snprintf(err, errlen, "--message %.200s: out of memory", path);
	else if (cm->len > CHECK_MESSAGE_MAX_BYTES)
		snprintf(err, errlen, "--message %.200s: larger than %lu MiB, the limit",
		    path, CHECK_MESSAGE_MAX_BYTES / (1024 * 1024));
	else if (ferror(f))
		snprintf(err, errlen, "--message %.200s: %s", path, strerror(errno));
	else if (cm->len == 0)
		snprintf(err, errlen, "--message %.200s: empty", path);
	else
		err[0] = '\0';
	if (f != stdin)
		fclose(f);
	return err[0] ? -1 : 0;
}

/* --client-ip: an IPv4 or IPv6 literal, IPv6 maybe in brackets. */
static int
parse_client_ip(struct check_message *cm, char *err, size_t errlen)
{
	const char *s = cm->o.client_ip;
	char v6[64];
	size_t n = strlen(s);

	if (inet_pton(AF_INET, s, cm->ip) == 1) {
		cm->iplen = 4;
	} else {
		if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(v6)) {
			memcpy(v6, s + 1, n - 2);
			v6[n - 2] = '\0';
		} else {
			snprintf(v6, sizeof(v6), "%s", n < sizeof(v6) ? s : "");
		}
		if (inet_pton(AF_INET6, v6, cm->ip) != 1) {
			snprintf(err, errlen, "--client-ip '%.64s': not an IPv4 or IPv6 address", s);
			return -1;
		}
		cm->iplen = 16;
	}
	inet_ntop(cm->iplen == 4 ? AF_INET : AF_INET6, cm->ip, cm->ip_text,
	    sizeof(cm->ip_text));
	return 0;
}

/* Whether s is 1..max printable ASCII characters without spaces. */
static int
printable_token(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/*
 * Make "<local@domain>" of an address or path of n bytes; the null path "<>". Returns
 * 0 with the domain in cm->envelope (empty for "<>"), -1 when it is not usable.
 */
static int
set_mail_from(struct check_message *cm, const char *s, size_t n)
{
	size_t i;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > PATH_MAX_LEN || memchr(s, '\0', n) != NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] == 0x7f)
			return -1;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		snprintf(cm->mail_from, sizeof(cm->mail_from), "%.*s", (int)n, s);
	else
		snprintf(cm->mail_from, sizeof(cm->mail_from), "<%.*s>", (int)n, s);
	cm->envelope[0] = '\0';
	if (strcmp(cm->mail_from, "<>") == 0)
		return 0;
	return mail_addr_envelope_domain(cm->mail_from, cm->envelope,
	    sizeof(cm->envelope)) == 0 ? 0 : -1;
}

/* The author domains of every From field, distinct, in order. */
static void
collect_authors(struct check_message *cm)
{
	struct mail_addr_list list;
	unsigned extra = 0;
	size_t i, j, k;

	for (i = 0; i < cm->msg.nfields; i++) {
		const struct msg_field *f = &cm->msg.fields[i];

		if (!msg_field_is(f, "From"))
			continue;
		cm->from_fields++;
		mail_addr_from_header(f->value, f->value_len, &list);
		cm->from_malformed += list.nmalformed;
		extra += (unsigned)list.ndropped;
		for (j = 0; j < list.ndomains; j++) {
			for (k = 0; k < cm->nauthor; k++)
				if (strcmp(cm->author[k], list.domains[j]) == 0)
					break;
			if (k < cm->nauthor)
				continue;
			if (cm->nauthor == MAX_DOMAINS) {
				extra++;
				continue;
			}
			snprintf(cm->author[cm->nauthor++], sizeof(cm->author[0]), "%s",
			    list.domains[j]);
		}
	}
	cm->nfrom_domains = (unsigned)cm->nauthor + extra;
	if (cm->from_fields == 0)
		note(cm, "no From field (RFC 5322 3.6: exactly one is required)");
	else if (cm->from_fields > 1)
		note(cm, "%zu From fields (RFC 5322 3.6: exactly one is allowed)",
		    cm->from_fields);
	if (cm->from_malformed)
		note(cm, "%zu From address%s without a usable domain", cm->from_malformed,
		    cm->from_malformed == 1 ? "" : "es");
	if (extra)
		note(cm, "%u author domain%s beyond %d not evaluated", extra,
		    extra == 1 ? "" : "s", MAX_DOMAINS);
}

/* MAIL FROM: the option, else the topmost Return-Path (RFC 5321 4.4), else <>. */
static int
choose_mail_from(struct check_message *cm, char *err, size_t errlen)
{
	const struct msg_field *rp = NULL;
	char shown[120];
	size_t i, nrp = 0;

	if (cm->o.mail_from != NULL) {
		cm->mail_from_source = "option";
		if (set_mail_from(cm, cm->o.mail_from, strlen(cm->o.mail_from)) < 0) {
			sanitize(shown, sizeof(shown), cm->o.mail_from, strlen(cm->o.mail_from), 64);
			snprintf(err, errlen, "--mail-from '%s': not an address with a valid "
			    "domain (use '<>' for the null sender)", shown);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < cm->msg.nfields; i++)
		if (msg_field_is(&cm->msg.fields[i], "Return-Path") && nrp++ == 0)
			rp = &cm->msg.fields[i];
	if (nrp > 1)
		note(cm, "%zu Return-Path fields: the topmost is used", nrp);
	if (rp != NULL && set_mail_from(cm, rp->value, rp->value_len) == 0) {
		cm->mail_from_source = "return-path";
		return 0;
	}
	if (rp != NULL) {
		sanitize(shown, sizeof(shown), rp->value, rp->value_len, 64);
		note(cm, "Return-Path '%s' is not a usable path: null sender <>", shown);
	} else {
		note(cm, "no --mail-from and no Return-Path field: null sender <>%s",
		    cm->o.helo ? ", SPF checks the HELO name (RFC 7208 2.3)" :
		    " and no --helo: SPF is not checked");
	}
	cm->mail_from_source = "none";
	snprintf(cm->mail_from, sizeof(cm->mail_from), "<>");
	cm->envelope[0] = '\0';
	return 0;
}

/* The authserv-id: AuthservID, else the host name when it is a plain token. */
static int
choose_authserv_id(struct check_message *cm, char *err, size_t errlen)
{
	const char *s;
	size_t i;

	if (cm->o.authserv_id != NULL)
		snprintf(cm->authserv_id, sizeof(cm->authserv_id), "%s", cm->o.authserv_id);
	else if (gethostname(cm->authserv_id, sizeof(cm->authserv_id) - 1) < 0)
		cm->authserv_id[0] = '\0';
	for (s = cm->authserv_id, i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr(".-_", s[i])))
			break;
	if (i > 0 && i <= 200 && s[i] == '\0')
		return 0;
	if (cm->o.authserv_id != NULL) {
		snprintf(err, errlen, "AuthservID '%.64s': use letters, digits, '.', '-', '_' "
		    "(RFC 8601 2.5)", cm->o.authserv_id);
		return -1;
	}
	snprintf(cm->authserv_id, sizeof(cm->authserv_id), "posture-check");
	return 0;
}

/* Header remarks worth a line. */
static void
header_notes(struct check_message *cm)
{
	const struct msg_parsed *m = &cm->msg;

	if (m->header_start)
		note(cm, "a leading mbox \"From \" line was skipped");
	if (!m->has_separator)
		note(cm, "no empty line after the header: the message has no body");
	if (m->nmalformed)
		note(cm, "%zu header line%s not a field (RFC 5322 2.2), skipped",
		    m->nmalformed, m->nmalformed == 1 ? " is" : "s are");
	if (m->ndropped)
		note(cm, "%zu header field%s beyond %d fields or %d bytes not read",
		    m->ndropped, m->ndropped == 1 ? "" : "s", MSG_PARSE_MAX_FIELDS,
		    MSG_PARSE_MAX_HEADER);
	if (m->nlong)
		note(cm, "%zu header line%s longer than 998 octets (RFC 5322 2.1.1)",
		    m->nlong, m->nlong == 1 ? "" : "s");
	if (m->has_nul)
		note(cm, "NUL bytes in the header (RFC 5322 2.2 forbids them)");
}

/* Load and check everything given. */
struct check_message *
check_message_load(const struct check_message_opts *opts, char *err, size_t errlen)
{
	struct check_message *cm = calloc(1, sizeof(*cm));

	if (cm == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cm->o = *opts;
	if (cm->o.helo != NULL && !printable_token(cm->o.helo, 255)) {
		snprintf(err, errlen, "--helo: use 1 to 255 printable characters, no spaces");
		goto fail;
	}
	if (parse_client_ip(cm, err, errlen) < 0 || choose_authserv_id(cm, err, errlen) < 0 ||
	    read_message(cm, err, errlen) < 0)
		goto fail;
	if (msg_parse(cm->data, cm->len, &cm->msg) < 0) {
		snprintf(err, errlen, "--message %.200s: out of memory", cm->o.path);
		goto fail;
	}
	header_notes(cm);
	collect_authors(cm);
	if (choose_mail_from(cm, err, errlen) < 0)
		goto fail;
	return cm;
fail:
	check_message_free(cm);
	return NULL;
}

/* Free everything. */
void
check_message_free(struct check_message *cm)
{
	size_t i;

	if (cm == NULL)
		return;
	for (i = 0; i < cm->nnotes; i++)
		free(cm->notes[i]);
	msg_parsed_free(&cm->msg);
	free(cm->data);
	free(cm);
}

#include "check_message_run.inc"
