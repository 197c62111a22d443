/*
 * dkim_signer.c - sign a message with libopendkim's signing API (tests only).
 *
 * The message is split into header fields and body here (lines end in LF or CRLF; a
 * line starting with SP or HTAB continues the field above; the first empty line ends
 * the header). Fields go to dkim_header() with CRLF inside folds, the body to
 * dkim_body() with CRLF line ends: what libopendkim needs to produce a signature a
 * verifier reading the wire form accepts. Each call makes its own DKIM_LIB so that the
 * per-signature options (h=, t=, x=, minimum key size) cannot leak between calls.
 *
 * What can go wrong: libopendkim's own errors (unreadable key, required header absent,
 * header too long); they come back as a one-line reason. Inputs are test data, but the
 * splitter still never reads past len.
 */
/* <opendkim/dkim.h> uses the BSD types u_char, u_int, u_long. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opendkim/dkim.h>

#include "dkim_signer.h"

#define SIGNER_MAX_HEADERS 64	/* names in the h= option */

/*
 * libopendkim 2.11 leaks in Ed25519 signing: dkim_free() releases the signing key's
 * BIO, EVP_PKEY and output buffer only when sig_keytype is RSA. Signing is for tests
 * only, so LeakSanitizer (--enable-sanitizers) is told to ignore that one leak rather
 * than fail every test binary that signs with Ed25519; the slow unwinder lets it see
 * dkim_privkey_load() in stacks that pass through libcrypto (built without frame
 * pointers). The verify path needs no such thing: libopendkim frees the public key
 * right after use. Without sanitizers these two functions are never called.
 */
#define SANITIZER_HOOK __attribute__((visibility("default")))
SANITIZER_HOOK const char *__lsan_default_suppressions(void);
SANITIZER_HOOK const char *__asan_default_options(void);

SANITIZER_HOOK const char *
__lsan_default_suppressions(void)
{
	return "leak:dkim_privkey_load\n";
}

SANITIZER_HOOK const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* Fill o with the defaults. */
void
dkim_signer_opts_init(struct dkim_signer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->algorithm = "rsa-sha256";
	o->body_length = -1;
}

/* A growing byte buffer; on OOM it stays failed and returns NULL at the end. */
struct signer_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Append n bytes. */
static void
buf_add(struct signer_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Length of the line at msg[pos] without its LF or CRLF; *next is the next line. */
static size_t
line_at(const char *msg, size_t len, size_t pos, size_t *next)
{
	size_t end = pos;

	while (end < len && msg[end] != '\n')
		end++;
	*next = end < len ? end + 1 : end;
	if (end > pos && msg[end - 1] == '\r')
		end--;
	return end - pos;
}

/* Split "a:b:c" into names (copied into store); returns the count, -1 when too many. */
static int
split_names(const char *list, char *store, size_t storelen, const char **names)
{
	int n = 0;
	char *tok, *save = NULL;

	snprintf(store, storelen, "%s", list);
	for (tok = strtok_r(store, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save)) {
		if (n >= SIGNER_MAX_HEADERS)
			return -1;
		names[n++] = tok;
	}
	names[n] = NULL;
	return n;
}

/* Set the library options: times, key size floor, h= list. 0 or -1 with err. */
static int
signer_lib_options(DKIM_LIB *lib, const struct dkim_signer_opts *o, char *err, size_t errlen)
{
	static const char *no_required[] = { NULL };
	const char *names[SIGNER_MAX_HEADERS + 1];
	char store[1024];
	unsigned minbits = 512;
	uint64_t t = o->timestamp ? o->timestamp : (uint64_t)time(NULL);

	/* RFC 8301 3.2 forbids < 1024 for verifying; the tests need such signatures. */
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits,
	    sizeof(minbits)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof(t)) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim refused an option");
		return -1;
	}
	if (o->ttl != 0 && dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL,
	    (void *)&o->ttl, sizeof(o->ttl)) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim refused the signature TTL");
		return -1;
	}
	if (o->headers == NULL)
		return 0;
	if (split_names(o->headers, store, sizeof(store), names) <= 0) {
		snprintf(err, errlen, "bad header list %s", o->headers);
		return -1;
	}
	/* Without this libopendkim adds From to every h= (its required list). */
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_REQUIREDHDRS, (void *)no_required,
	    sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, (void *)names,
	    sizeof(char **)) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim refused the header list %s", o->headers);
		return -1;
	}
	return 0;
}

/* Map the algorithm word. */
static dkim_alg_t
signer_alg(const char *a)
{
	if (a == NULL || strcmp(a, "rsa-sha256") == 0)
		return DKIM_SIGN_RSASHA256;
	if (strcmp(a, "rsa-sha1") == 0)
		return DKIM_SIGN_RSASHA1;
	if (strcmp(a, "ed25519-sha256") == 0)
		return DKIM_SIGN_ED25519SHA256;
	return DKIM_SIGN_UNKNOWN;
}

/* Feed the message to a signing handle: headers, end of header, body. */
static DKIM_STAT
signer_feed(DKIM *dkim, const char *msg, size_t len)
{
	struct signer_buf field = { 0 }, body = { 0 };
	size_t pos = 0, next, n;
	DKIM_STAT st = DKIM_STAT_OK;

	while (pos < len) {
		n = line_at(msg, len, pos, &next);
		if (n == 0) {
			pos = next;
			break;
		}
		if ((msg[pos] == ' ' || msg[pos] == '\t') && field.len > 0) {
			buf_add(&field, "\r\n", 2);
		} else if (field.len > 0) {
			if (field.oom)
				goto oom;
			st = dkim_header(dkim, (u_char *)field.p, field.len);
			if (st != DKIM_STAT_OK)
				goto done;
			field.len = 0;
		}
		buf_add(&field, msg + pos, n);
		pos = next;
	}
	if (field.len > 0) {
		if (field.oom)
			goto oom;
		st = dkim_header(dkim, (u_char *)field.p, field.len);
		if (st != DKIM_STAT_OK)
			goto done;
	}
	st = dkim_eoh(dkim);
	if (st != DKIM_STAT_OK)
		goto done;
	while (pos < len) {
		n = line_at(msg, len, pos, &next);
		buf_add(&body, msg + pos, n);
		buf_add(&body, "\r\n", 2);
		pos = next;
	}
	if (body.oom)
		goto oom;
	if (body.len > 0)
		st = dkim_body(dkim, (u_char *)body.p, body.len);
	goto done;
oom:
	st = DKIM_STAT_NORESOURCE;
done:
	free(field.p);
	free(body.p);
	return st;
}

/* Sign a message; the DKIM-Signature header field, or NULL with err. */
char *
dkim_signer_sign(const struct dkim_signer_opts *o, const char *msg, size_t len,
		 char *err, size_t errlen)
{
	DKIM_LIB *lib;
	DKIM *dkim = NULL;
	DKIM_STAT st;
	dkim_alg_t alg = signer_alg(o->algorithm);
	u_char *sig = NULL;
	size_t siglen = 0;
	char *out = NULL;
	static const char prefix[] = "DKIM-Signature: ";

	if (alg == DKIM_SIGN_UNKNOWN || o->key_pem == NULL || o->domain == NULL ||
	    o->selector == NULL) {
		snprintf(err, errlen, "need a key, a domain, a selector and a known algorithm");
		return NULL;
	}
	lib = dkim_init(NULL, NULL);
	if (lib == NULL) {
		snprintf(err, errlen, "dkim_init failed");
		return NULL;
	}
	if (signer_lib_options(lib, o, err, errlen) < 0)
		goto done;
	dkim = dkim_sign(lib, (const u_char *)"test", NULL, (dkim_sigkey_t)o->key_pem,
	    (const u_char *)o->selector, (const u_char *)o->domain,
	    o->simple_header ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
	    o->simple_body ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
	    alg, o->body_length < 0 ? (ssize_t)-1 : (ssize_t)o->body_length, &st);
	if (dkim == NULL) {
		snprintf(err, errlen, "dkim_sign: %s", dkim_getresultstr(st));
		goto done;
	}
	st = signer_feed(dkim, msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dkim, NULL);
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr_d(dkim, sizeof(prefix) - 1, &sig, &siglen);
	if (st != DKIM_STAT_OK) {
		const char *why = dkim_geterror(dkim);

		snprintf(err, errlen, "signing failed: %s (%s)", dkim_getresultstr(st),
		    why != NULL ? why : "no detail");
		goto done;
	}
	out = malloc(sizeof(prefix) + siglen);
	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	memcpy(out, prefix, sizeof(prefix) - 1);
	memcpy(out + sizeof(prefix) - 1, sig, siglen);
	out[sizeof(prefix) - 1 + siglen] = '\0';
done:
	if (dkim != NULL)
		dkim_free(dkim);
	dkim_close(lib);
	return out;
}
