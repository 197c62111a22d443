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
#include <strings.h>
#include <unistd.h>

#include "record/authres_id.h"
#include "check_message.h"
#include "record/mail_addr.h"
#include "record/msg_parse.h"
#include "util/strbuf.h"
#include "verify/arc_verify.h"
#include "verify/selectors.h"
#include "verify/verify.h"

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
			if (grown == NULL)
				free(cm->data);
			cm->data = grown;	/* NULL ends the loop: out of memory */
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
	if (cm->o.authserv_id != NULL)
		snprintf(cm->authserv_id, sizeof(cm->authserv_id), "%s", cm->o.authserv_id);
	else if (gethostname(cm->authserv_id, sizeof(cm->authserv_id) - 1) < 0)
		cm->authserv_id[0] = '\0';
	if (authres_id_valid(cm->authserv_id))
		return 0;
	if (cm->o.authserv_id != NULL) {
		snprintf(err, errlen, "AuthservID '%.64s': " AUTHRES_ID_RULE, cm->o.authserv_id);
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

/* What one run holds between its steps. */
struct run {
	struct check_message *cm;
	struct dkim_verify_lib *lib;	/* owned */
	struct dkim_verify *dkim;	/* owned; its results live as long */
	struct arc_verify *arc;		/* owned; the same */
	struct verify_in in;
	struct verify_out out;
	char *authres;			/* owned: the header value, folded */
	const char *domains[MAX_DOMAINS + 1];	/* borrowed from cm */
	struct posture_eval *evs[MAX_DOMAINS + 1];	/* owned */
	size_t ndomains;
};

/* DKIM over the message, its keys through the engine (as the milter's runtime does). */
static int
run_dkim(struct run *r, struct posture_engine *eng)
{
	struct check_message *cm = r->cm;
	struct dkim_verify_config dc;
	char err[256];

	dkim_verify_config_init(&dc);
	if (cm->o.max_signatures > 0)
		dc.max_signatures = cm->o.max_signatures;
	dc.key_timeout_ms = cm->o.timeout_ms;
	dc.lookup = dkim_verify_engine_lookup;
	dc.lookup_arg = eng;
	r->lib = dkim_verify_lib_new(&dc, err, sizeof(err));
	if (r->lib == NULL) {
		fprintf(stderr, "posture-check: DKIM: %s\n", err);
		return -1;
	}
	r->dkim = dkim_verify_new(r->lib, "posture-check");
	if (r->dkim == NULL) {
		fprintf(stderr, "posture-check: DKIM: out of memory\n");
		return -1;
	}
	/* LF or CRLF: dkim_verify_message() hands libopendkim CRLF either way. */
	r->in.dkim = dkim_verify_message(r->dkim, cm->data + cm->msg.header_start,
	    cm->len - cm->msg.header_start);
	/* ARC on the same key source; TrustedARCSealers from -c may vouch for DMARC. */
	r->arc = arc_verify_new(r->lib);
	if (r->arc == NULL) {
		fprintf(stderr, "posture-check: ARC: out of memory\n");
		return -1;
	}
	r->in.arc = arc_verify_message(r->arc, cm->data + cm->msg.header_start,
	    cm->len - cm->msg.header_start);
	r->in.trusted_sealers = cm->o.trusted_sealers;
	r->in.ntrusted_sealers = cm->o.ntrusted_sealers;
	return 0;
}

/* Selectors for one domain: --selector, Selectors domain:s, and verified signatures'. */
static size_t
selectors_for(const struct run *r, const char *domain, const char **out, size_t max)
{
	const struct check_message_opts *o = &r->cm->o;
	size_t i, n = 0;

	for (i = 0; i < o->nselectors; i++)
		n = selectors_add(out, n, max, o->selectors[i]);
	n = selectors_configured(o->domain_selectors, o->ndomain_selectors, domain, out, n, max);
	n = selectors_verified(r->in.dkim, domain, out, n, max);
	if (o->more_selectors != NULL)
		n = o->more_selectors(o->hook_arg, domain, out, n, max);
	return n;
}

/* The From domains, then MAIL FROM's when it differs; each evaluated. 0, 1, -1 (OOM). */
static int
run_domains(struct run *r, struct posture_engine *eng)
{
	struct check_message *cm = r->cm;
	const struct dkim_verify_results *dr = r->in.dkim;
	size_t i, max, nsel;
	const char **sel;
	int status = 0;

	for (i = 0; i < cm->nauthor; i++)
		r->domains[r->ndomains++] = cm->author[i];
	for (i = 0; i < cm->nauthor; i++)
		if (strcmp(cm->author[i], cm->envelope) == 0)
			break;
	if (cm->envelope[0] && i == cm->nauthor)
		r->domains[r->ndomains++] = cm->envelope;
	max = cm->o.nselectors + cm->o.ndomain_selectors + (dr ? dr->nsigs : 0) +
	    CHECK_MESSAGE_MORE_SELECTORS + 1;
	sel = calloc(max, sizeof(*sel));
	if (sel == NULL) {
		fprintf(stderr, "posture-check: out of memory\n");
		return 1;
	}
	for (i = 0; i < r->ndomains; i++) {
		nsel = selectors_for(r, r->domains[i], sel, max);
		r->evs[i] = posture_evaluate(eng, r->domains[i], sel, nsel);
		if (r->evs[i] == NULL) {
			fprintf(stderr, "posture-check: out of memory\n");
			r->ndomains = i;	/* those evaluated are freed by the caller */
			status = -1;
			break;
		}
		if (cm->o.evaluated != NULL)
			cm->o.evaluated(cm->o.hook_arg, r->evs[i]);
		if (r->evs[i]->error != NULL) {
			fprintf(stderr, "posture-check: %s: not evaluated: %s\n",
			    r->evs[i]->domain[0] ? r->evs[i]->domain : r->evs[i]->input,
			    r->evs[i]->error);
			status = 1;
		}
	}
	free(sel);
	return status;
}

/* The "message" object: what was read and assumed. */
static void
json_message(struct pt_sb *sb, const struct check_message *cm)
{
	size_t i;

	pt_sb_append(sb, "{\"file\": ");
	pt_sb_append_json(sb, cm->o.path);
	pt_sb_printf(sb, ", \"bytes\": %zu, \"client_ip\": ", cm->len);
	pt_sb_append_json(sb, cm->ip_text);
	pt_sb_append(sb, ", \"helo\": ");
	if (cm->o.helo)
		pt_sb_append_json(sb, cm->o.helo);
	else
		pt_sb_append(sb, "null");
	pt_sb_append(sb, ", \"mail_from\": ");
	pt_sb_append_json(sb, cm->mail_from);
	pt_sb_printf(sb, ", \"mail_from_source\": \"%s\", \"mail_from_domain\": ",
	    cm->mail_from_source);
	if (cm->envelope[0])
		pt_sb_append_json(sb, cm->envelope);
	else
		pt_sb_append(sb, "null");
	pt_sb_printf(sb, ", \"from_fields\": %zu, \"from_domains\": [", cm->from_fields);
	for (i = 0; i < cm->nauthor; i++) {
		pt_sb_append(sb, i ? ", " : "");
		pt_sb_append_json(sb, cm->author[i]);
	}
	pt_sb_append(sb, "], \"notes\": [");
	for (i = 0; i < cm->nnotes; i++) {
		pt_sb_append(sb, i ? ", " : "");
		pt_sb_append_json(sb, cm->notes[i]);
	}
	pt_sb_append(sb, "]}");
}

/* The JSON report: the domains' objects, the verification in the first. */
static int
print_json(const struct run *r)
{
	size_t i, n, nobj = r->ndomains ? r->ndomains : 1;
	struct pt_sb sb;
	char *ver, *one, *out;
	bool bad = false;

	ver = posture_report_verification_json(&r->in, &r->out, r->authres);
	if (ver == NULL)
		return -1;
	pt_sb_init(&sb);
	if (nobj > 1)
		pt_sb_append(&sb, "[");
	for (i = 0; i < nobj && !bad; i++) {
		one = r->ndomains ? posture_report_json((const struct posture_eval *const *)
		    &r->evs[i], 1) : strdup("{\"domain\": null}");
		n = one ? strlen(one) : 0;
		while (n > 0 && one[n - 1] == '\n')
			n--;
		/* One object ends with its closing brace (report_json.c): add before it. */
		if (n == 0 || one[n - 1] != '}') {
			bad = true;
		} else {
			pt_sb_append(&sb, i ? ",\n " : "");
			pt_sb_appendn(&sb, one, i ? n : n - 1);
		}
		if (i == 0 && !bad) {
			pt_sb_append(&sb, ", \"verification\": ");
			pt_sb_append(&sb, ver);
			pt_sb_append(&sb, ", \"message\": ");
			json_message(&sb, r->cm);
			pt_sb_append(&sb, "}");
		}
		free(one);
	}
	if (nobj > 1)
		pt_sb_append(&sb, "]");
	pt_sb_append(&sb, "\n");
	free(ver);
	out = pt_sb_take(&sb);
	if (out == NULL || bad) {
		free(out);
		return -1;
	}
	fputs(out, stdout);
	free(out);
	return 0;
}

/* "Label:   text", wrapped at word boundaries to WIDTH under the text. */
static void
text_field(struct pt_sb *sb, const char *label, const char *text)
{
	static const char indent[] = "         ";	/* 9 columns, under the text */

	pt_sb_printf(sb, "%-8s ", label);
	pt_sb_append_wrapped(sb, WIDTH, sizeof(indent) - 1, indent, text);
}

/* The text report: the message, the verification, then each domain's report. */
static int
print_text(const struct run *r)
{
	const struct check_message *cm = r->cm;
	char file[300], line[1200];
	struct pt_sb sb, from;
	char *ver, *froms, *out, *dom;
	size_t i;

	pt_sb_init(&sb);
	sanitize(file, sizeof(file), cm->o.path, strlen(cm->o.path), 200);
	snprintf(line, sizeof(line), "%s, %zu bytes", strcmp(cm->o.path, "-") ? file :
	    "standard input", cm->len);
	text_field(&sb, "Message:", line);
	snprintf(line, sizeof(line), "%s, %s%s, MAIL FROM %s (%s)", cm->ip_text,
	    cm->o.helo ? "HELO " : "no HELO", cm->o.helo ? cm->o.helo : "", cm->mail_from,
	    strcmp(cm->mail_from_source, "option") == 0 ? "--mail-from" :
	    strcmp(cm->mail_from_source, "return-path") == 0 ? "Return-Path" : "null sender");
	text_field(&sb, "Client:", line);
	pt_sb_init(&from);
	for (i = 0; i < cm->nauthor; i++)
		pt_sb_printf(&from, "%s%s", i ? ", " : "", cm->author[i]);
	if (cm->nauthor == 0)
		pt_sb_append(&from, "no author domain");
	froms = pt_sb_take(&from);
	if (froms != NULL)
		text_field(&sb, "From:", froms);
	free(froms);
	for (i = 0; i < cm->nnotes; i++)
		text_field(&sb, "Note:", cm->notes[i]);
	ver = posture_report_verification_text(&r->in, &r->out, r->authres);
	if (ver == NULL) {
		pt_sb_free(&sb);
		return -1;
	}
	pt_sb_printf(&sb, "\n%s", ver);
	free(ver);
	for (i = 0; i < r->ndomains; i++) {
		if (r->evs[i]->error != NULL)
			continue;
		dom = posture_report_text(r->evs[i]);
		if (dom == NULL) {
			pt_sb_free(&sb);
			return -1;
		}
		pt_sb_printf(&sb, "\n%s", dom);
		free(dom);
	}
	out = pt_sb_take(&sb);
	if (out == NULL)
		return -1;
	fputs(out, stdout);
	free(out);
	return 0;
}

/* Whether some verdict is a temporary error (a lookup failed or ran out of time). */
static bool
verification_incomplete(const struct run *r)
{
	return (r->out.spf_done && r->out.spf.result == SPF_R_TEMPERROR) ||
	    (r->in.dkim != NULL && r->in.dkim->summary == DKIM_VERIFY_TEMPERROR) ||
	    (r->out.dmarc_done && r->out.dmarc.result == DMARC_V_TEMPERROR);
}

/* Verify, evaluate, print. */
int
check_message_run(struct check_message *cm, struct posture_engine *eng)
{
	struct run *r = calloc(1, sizeof(*r));
	int status = 1;
	size_t i;

	if (r == NULL) {
		fprintf(stderr, "posture-check: out of memory\n");
		return 1;
	}
	r->cm = cm;
	if (run_dkim(r, eng) < 0)
		goto done;
	memcpy(r->in.ip, cm->ip, sizeof(r->in.ip));
	r->in.iplen = cm->iplen;
	r->in.helo = cm->o.helo;
	r->in.mail_from = cm->mail_from;
	r->in.nfrom_domains = cm->nfrom_domains;
	r->in.from_domain = cm->nfrom_domains == 1 ? cm->author[0] : NULL;
	if (posture_verify(eng, &r->in, &r->out, cm->o.timeout_ms) < 0 ||
	    (r->authres = posture_authres_value(&r->in, &r->out, cm->authserv_id)) == NULL) {
		fprintf(stderr, "posture-check: out of memory\n");
		goto done;
	}
	status = 0;
	if (verification_incomplete(r)) {
		fprintf(stderr, "posture-check: verification incomplete: a DNS lookup failed "
		    "or timed out (temperror)\n");
		status = 1;
	}
	switch (run_domains(r, eng)) {
	case 0:
		break;
	case 1:
		status = 1;
		break;
	default:
		status = 1;
		goto done;
	}
	if ((cm->o.json ? print_json(r) : print_text(r)) < 0) {
		fprintf(stderr, "posture-check: out of memory\n");
		status = 1;
	}
done:
	for (i = 0; i < r->ndomains; i++)
		posture_eval_free(r->evs[i]);
	free(r->authres);
	dkim_verify_free(r->dkim);
	arc_verify_free(r->arc);
	dkim_verify_lib_free(r->lib);
	free(r);
	return status;
}
