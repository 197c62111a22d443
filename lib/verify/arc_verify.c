/*
 * arc_verify.c - ARC chain validation (RFC 8617 5.2); the contract is in arc_verify.h.
 *
 *   arc_verify_new() _header_n() _eoh() _body() _eom() _free()   one message
 *   arc_verify_message()   the same over a message in memory (dkim_verify_msg_feed)
 *   arc_verify_vouching()  a trusted sealer's DMARC pass (TrustedARCSealers)
 *
 * The steps of RFC 8617 5.2, in order: collect the sets (none: "none"; more than 50:
 * fail); the newest seal's cv=fail: fail; structure (exactly one AAR, AMS and AS per
 * instance, 1..N without gaps, cv=none at 1 and pass above); the newest AMS (a DKIM
 * signature over h= and the body, RFC 6376 3.7); oldest-pass from the older AMS,
 * newest first, stopping at the first that fails; every seal, newest first (RFC 8617
 * 5.1.1: relaxed header canonicalization of AAR, AMS, AS of each set 1..i in order, the
 * seal's b= emptied, no CRLF after it). Canonicalization is ours (RFC 6376 3.4); a
 * field's b= is emptied from after "b=" to the end of its value, as dkimpy and
 * libopendkim do. Keys go to the DKIM library's key source in one batch at eoh; each
 * answer is judged by dkv_key_settle() (the DKIM verifier's rules: no key, failed
 * lookup, several records, unsafe RSA numbers) and read by dkim_key_parse_pkey().
 *
 * What can go wrong: see arc_verify.h. Every loop is bounded by a count or a length;
 * OpenSSL errors are cleared; out of memory fails the chain with that reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "record/dkim_key.h"
#include "util/ascii.h"
#include "util/strbuf.h"
#include "verify/arc_verify.h"
#include "verify/dkim_verify_int.h"

#define ARC_MAX_KEYS	(2 * ARC_MAX_INSTANCES)

/* One header field as received: "Name:value", CRLF in folds, no CRLF at the end. */
struct arc_field {
	char *text;		/* owned */
	size_t len, name_len;
	enum arc_field_kind kind;
	bool used;		/* picked by the h= selection being built */
};

/* The streaming body canonicalization of one kind (RFC 6376 3.4.3, 3.4.4). */
struct arc_body {
	EVP_MD_CTX *md;		/* owned; SHA-256 */
	bool relaxed;
	unsigned long blank;	/* empty lines not yet written (trailing ones never are) */
	bool in_line;		/* a byte of the current line was written */
	bool wsp;		/* relaxed: white space pending inside the line */
	bool any;		/* anything written at all */
};

enum arc_state { ARC_HEADER, ARC_BODY, ARC_DONE };

struct arc_verify {
	struct dkim_verify_lib *lib;	/* borrowed */
	struct arc_field *fields;	/* owned, header order */
	size_t nfields, cap, header_bytes, arc_bytes;
	bool too_big, oom;
	enum arc_state state;
	bool pending_cr;		/* body: a CR ended the last chunk */
	struct arc_body body[2];	/* simple, relaxed; active when a chain is there */
	bool hashing;
	struct arc_sig *seals, *ams;	/* owned, ARC_MAX_INSTANCES each, by instance - 1 */
	size_t aar_at[ARC_MAX_INSTANCES], ams_at[ARC_MAX_INSTANCES], seal_at[ARC_MAX_INSTANCES];
	struct dkv_key keys[ARC_MAX_KEYS];
	size_t nkeys;
	struct arc_verify_results res;
	struct arc_verify_set sets[ARC_MAX_INSTANCES];
};

/* The word of a result. */
const char *
arc_verify_word(enum arc_verify_word w)
{
	switch (w) {
	case ARC_VERIFY_PASS:
		return "pass";
	case ARC_VERIFY_FAIL:
		return "fail";
	default:
		return "none";
	}
}

/* Fail the chain with the first reason given. */
static void __attribute__((format(printf, 2, 3)))
chain_fail(struct arc_verify *v, const char *fmt, ...)
{
	va_list ap;

	if (v->res.result == ARC_VERIFY_FAIL)
		return;
	v->res.result = ARC_VERIFY_FAIL;
	va_start(ap, fmt);
	vsnprintf(v->res.reason, sizeof(v->res.reason), fmt, ap);
	va_end(ap);
}

/* A verifier for one message. */
struct arc_verify *
arc_verify_new(struct dkim_verify_lib *lib)
{
	struct arc_verify *v;

	if (lib == NULL)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->lib = lib;
	v->res.sets = v->sets;
	return v;
}

/* Free a verifier. */
void
arc_verify_free(struct arc_verify *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nfields; i++)
		free(v->fields[i].text);
	free(v->fields);
	for (i = 0; i < 2; i++)
		EVP_MD_CTX_free(v->body[i].md);
	for (i = 0; i < v->nkeys; i++) {
		dns_answer_clear(&v->keys[i].ans);
		free(v->keys[i].record);
	}
	free(v->seals);
	free(v->ams);
	free(v);
}

/* Keep one header field, bare LF in folds made CRLF. */
int
arc_verify_header_n(struct arc_verify *v, const char *name, size_t nlen, const char *value,
		    size_t vlen)
{
	struct arc_field *f;
	size_t i, o, need;
	char *t;

	if (v == NULL || v->state != ARC_HEADER || name == NULL || nlen == 0 ||
	    (value == NULL && vlen > 0))
		return -1;
	need = nlen + 1 + 2 * vlen;
	if (v->too_big || v->header_bytes + need > DKIM_VERIFY_MAX_HEADER_BYTES) {
		v->too_big = true;
		return -1;
	}
	if (v->nfields == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 32;
		struct arc_field *nf = realloc(v->fields, cap * sizeof(*nf));

		if (nf == NULL) {
			v->oom = true;
			return -1;
		}
		v->fields = nf;
		v->cap = cap;
	}
	t = malloc(need + 1);
	if (t == NULL) {
		v->oom = true;
		return -1;
	}
	memcpy(t, name, nlen);
	o = nlen;
	t[o++] = ':';
	for (i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			t[o++] = '\r';
		t[o++] = value[i];
	}
	t[o] = '\0';
	f = &v->fields[v->nfields++];
	f->text = t;
	f->len = o;
	f->name_len = nlen;
	f->kind = arc_field_kind_of(name, nlen);
	f->used = false;
	v->header_bytes += o;
	if (f->kind != ARC_FIELD_NONE) {
		v->res.fields++;
		v->arc_bytes += o;
	}
	return 0;
}

/* ---- structure (RFC 8617 5.2 steps 1 to 3) ---- */

/* The value of a field (after the colon) and its length. */
static const char *
field_value(const struct arc_field *f, size_t *len)
{
	*len = f->len - f->name_len - 1;
	return f->text + f->name_len + 1;
}

/* Read every ARC field into its set; fail on the first structural fault. */
static void
collect_sets(struct arc_verify *v)
{
	bool seen[3][ARC_MAX_INSTANCES];
	struct arc_sig sig;
	struct arc_aar aar;
	const char *val;
	size_t i, len;
	unsigned inst, n = 0, kind;
	static const char *const kname[3] = { "ARC-Authentication-Results",
		"ARC-Message-Signature", "ARC-Seal" };

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < v->nfields && v->res.result != ARC_VERIFY_FAIL; i++) {
		const struct arc_field *f = &v->fields[i];

		if (f->kind == ARC_FIELD_NONE)
			continue;
		val = field_value(f, &len);
		kind = f->kind == ARC_FIELD_AAR ? 0 : f->kind == ARC_FIELD_AMS ? 1 : 2;
		if (f->kind == ARC_FIELD_AAR) {
			(void)arc_aar_parse(val, len, &aar);
			inst = aar.instance;
			if (inst == 0) {
				chain_fail(v, "%s: %s (RFC 8617 4.1.1)", kname[kind], aar.err);
				break;
			}
		} else {
			(void)arc_sig_parse(f->kind, val, len, &sig);
			inst = sig.instance;
			if (sig.err[0]) {
				chain_fail(v, "%s i=%u: %s (RFC 8617 4.1)", kname[kind], inst,
				    sig.err);
				break;
			}
		}
		if (seen[kind][inst - 1]) {
			chain_fail(v, "two %s fields with i=%u (RFC 8617 5.2)", kname[kind], inst);
			break;
		}
		seen[kind][inst - 1] = true;
		if (inst > n)
			n = inst;
		if (f->kind == ARC_FIELD_AAR) {
			v->aar_at[inst - 1] = i;
			v->sets[inst - 1].aar = aar;
		} else if (f->kind == ARC_FIELD_AMS) {
			v->ams_at[inst - 1] = i;
			v->ams[inst - 1] = sig;
		} else {
			v->seal_at[inst - 1] = i;
			v->seals[inst - 1] = sig;
		}
	}
	if (v->res.result == ARC_VERIFY_FAIL)
		return;
	for (inst = 1; inst <= n; inst++)
		for (kind = 0; kind < 3; kind++)
			if (!seen[kind][inst - 1]) {
				chain_fail(v, "no %s with i=%u of %u sets (RFC 8617 5.2)",
				    kname[kind], inst, n);
				return;
			}
	if (v->seals[n - 1].cv == ARC_CV_FAIL) {
		chain_fail(v, "the newest ARC-Seal (i=%u) says cv=fail (RFC 8617 5.2)", n);
		return;
	}
	for (inst = 1; inst <= n; inst++) {
		enum arc_cv want = inst == 1 ? ARC_CV_NONE : ARC_CV_PASS;

		if (v->seals[inst - 1].cv != want) {
			chain_fail(v, "ARC-Seal i=%u has cv=%s, not %s (RFC 8617 5.2)", inst,
			    arc_cv_word(v->seals[inst - 1].cv), arc_cv_word(want));
			return;
		}
	}
	v->res.count = n;
	for (inst = 0; inst < n; inst++) {
		v->sets[inst].instance = inst + 1;
		snprintf(v->sets[inst].sealer, sizeof(v->sets[inst].sealer), "%s",
		    v->seals[inst].d);
		snprintf(v->sets[inst].ams_domain, sizeof(v->sets[inst].ams_domain), "%s",
		    v->ams[inst].d);
		v->sets[inst].cv = v->seals[inst].cv;
	}
}

/* ---- keys ---- */

/* The key slot for a signature's s= and d=; NULL when no name can be made. */
static struct dkv_key *
key_slot(struct arc_verify *v, const struct arc_sig *s)
{
	char name[DKV_NAME_MAX + 1];
	size_t i;

	if (dkv_key_name(s->s, s->d, name, sizeof(name)) < 0)
		return NULL;
	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].name, name) == 0)
			return &v->keys[i];
	if (v->nkeys >= ARC_MAX_KEYS)
		return NULL;
	memset(&v->keys[v->nkeys], 0, sizeof(v->keys[0]));
	snprintf(v->keys[v->nkeys].name, sizeof(v->keys[0].name), "%s", name);
	return &v->keys[v->nkeys++];
}

/* Ask for every key of the chain in one call, within the library's key timeout. */
static void
keys_fetch(struct arc_verify *v)
{
	const char *names[ARC_MAX_KEYS];
	struct dns_answer out[ARC_MAX_KEYS];
	const struct dkim_verify_config *cfg = &v->lib->cfg;
	unsigned i;

	for (i = 0; i < v->res.count; i++) {
		(void)key_slot(v, &v->seals[i]);
		(void)key_slot(v, &v->ams[i]);
	}
	memset(out, 0, sizeof(out));
	for (i = 0; i < v->nkeys; i++) {
		names[i] = v->keys[i].name;
		out[i].status = DNS_ERROR;	/* what the source leaves unfilled */
		v->keys[i].asked = true;
	}
	if (v->nkeys > 0)
		(void)cfg->lookup(cfg->lookup_arg, names, v->nkeys, cfg->key_timeout_ms, out);
	for (i = 0; i < v->nkeys; i++) {
		v->keys[i].ans = out[i];	/* ownership moves to the slot */
		dkv_key_settle(v->lib, &v->keys[i]);
	}
}

/* ---- body canonicalization (RFC 6376 3.4.3, 3.4.4) ---- */

/* Write the pending empty lines before the first byte of a line. */
static void
body_line_start(struct arc_body *b)
{
	for (; b->blank > 0; b->blank--)
		EVP_DigestUpdate(b->md, "\r\n", 2);
	b->in_line = true;
	b->any = true;
}

/* One body byte that is not a line end. */
static void
body_byte(struct arc_body *b, char c)
{
	if (b->relaxed && (c == ' ' || c == '\t')) {
		b->wsp = true;
		return;
	}
	if (!b->in_line)
		body_line_start(b);
	if (b->wsp) {
		EVP_DigestUpdate(b->md, " ", 1);
		b->wsp = false;
	}
	EVP_DigestUpdate(b->md, &c, 1);
}

/* A line end: an empty line waits (trailing ones are dropped), else CRLF. */
static void
body_eol(struct arc_body *b)
{
	b->wsp = false;		/* relaxed: white space at the end of a line is dropped */
	if (b->in_line)
		EVP_DigestUpdate(b->md, "\r\n", 2);
	else
		b->blank++;
	b->in_line = false;
}

/* Feed n bytes to both canonicalizations; a CR pending from the last chunk first. */
static void
body_feed(struct arc_verify *v, const char *p, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (v->pending_cr) {
			v->pending_cr = false;
			if (p[i] == '\n') {
				for (k = 0; k < 2; k++)
					body_eol(&v->body[k]);
				continue;
			}
			for (k = 0; k < 2; k++)
				body_byte(&v->body[k], '\r');	/* a bare CR is data */
		}
		if (p[i] == '\r') {
			v->pending_cr = true;
			continue;
		}
		for (k = 0; k < 2; k++) {
			if (p[i] == '\n')
				body_eol(&v->body[k]);	/* bare LF: taken as a line end */
			else
				body_byte(&v->body[k], p[i]);
		}
	}
}

/* The body hash of one canonicalization (32 bytes into out). */
static void
body_final(struct arc_body *b, unsigned char *out)
{
	unsigned len = 0;

	b->wsp = false;
	if (b->in_line) {
		EVP_DigestUpdate(b->md, "\r\n", 2);	/* a last line without CRLF gets one */
		b->in_line = false;
	} else if (!b->relaxed && !b->any) {
		EVP_DigestUpdate(b->md, "\r\n", 2);	/* simple: an empty body is one CRLF */
	}
	EVP_DigestFinal_ex(b->md, out, &len);
}

/* ---- end of header ---- */

/* Structure and keys; body hashing starts when there is a chain to verify. */
int
arc_verify_eoh(struct arc_verify *v)
{
	size_t k;

	if (v == NULL || v->state != ARC_HEADER)
		return -1;
	v->state = ARC_BODY;
	if (v->res.fields == 0)
		return 0;
	if (v->res.fields > 3 * ARC_MAX_INSTANCES) {
		chain_fail(v, "%u ARC fields: more than %d sets (RFC 8617 5.2)", v->res.fields,
		    ARC_MAX_INSTANCES);
		return -1;
	}
	if (v->too_big || v->oom) {
		chain_fail(v, "%s", v->oom ? "out of memory" : "header block too large to verify");
		return -1;
	}
	if (v->arc_bytes > ARC_VERIFY_MAX_CHAIN_BYTES) {
		chain_fail(v, "%zu bytes of ARC fields, over %d", v->arc_bytes,
		    ARC_VERIFY_MAX_CHAIN_BYTES);
		return -1;
	}
	v->seals = calloc(ARC_MAX_INSTANCES, sizeof(*v->seals));
	v->ams = calloc(ARC_MAX_INSTANCES, sizeof(*v->ams));
	if (v->seals == NULL || v->ams == NULL) {
		chain_fail(v, "out of memory");
		return -1;
	}
	collect_sets(v);
	if (v->res.result == ARC_VERIFY_FAIL)
		return -1;
	for (k = 0; k < 2; k++) {
		v->body[k].relaxed = k == 1;
		v->body[k].md = EVP_MD_CTX_new();
		if (v->body[k].md == NULL ||
		    EVP_DigestInit_ex(v->body[k].md, EVP_sha256(), NULL) != 1) {
			chain_fail(v, "out of memory");
			return -1;
		}
	}
	v->hashing = true;
	keys_fetch(v);
	return 0;
}

/* A body chunk. */
int
arc_verify_body(struct arc_verify *v, const void *chunk, size_t len)
{
	if (v == NULL || v->state == ARC_DONE || (chunk == NULL && len > 0))
		return -1;
	if (v->state == ARC_HEADER)
		(void)arc_verify_eoh(v);
	if (v->hashing)
		body_feed(v, chunk, len);
	return 0;
}

/* ---- signatures ---- */

/* Append one field to sb: relaxed (RFC 6376 3.4.2) or simple, CRLF after it unless last. */
static void
canon_field(struct pt_sb *sb, const char *text, size_t len, size_t name_len, bool relaxed,
	    size_t cut_start, size_t cut_end, bool last)
{
	size_t i, n;
	bool wsp = false, started = false;
	char c;

	if (!relaxed) {
		pt_sb_appendn(sb, text, cut_start);
		pt_sb_appendn(sb, text + cut_end, len - cut_end);
		if (!last)
			pt_sb_append(sb, "\r\n");
		return;
	}
	n = name_len;
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	for (i = 0; i < n; i++) {
		c = (char)ascii_lower((unsigned char)text[i]);
		pt_sb_appendn(sb, &c, 1);
	}
	pt_sb_append(sb, ":");
	for (i = name_len + 1; i < len; i++) {
		if (i == cut_start) {
			i = cut_end - 1;
			continue;
		}
		c = text[i];
		if (c == '\r' || c == '\n')
			continue;	/* unfold */
		if (c == ' ' || c == '\t') {
			wsp = started;
			continue;
		}
		if (wsp)
			pt_sb_append(sb, " ");
		wsp = false;
		started = true;
		pt_sb_appendn(sb, &c, 1);
	}
	if (!last)
		pt_sb_append(sb, "\r\n");
}

/* Decode b= (FWS inside) into out (room for ARC_FIELD_MAX); its length, or 0. */
static size_t
decode_b64(const uint8_t *b, size_t len, unsigned char *out)
{
	char compact[ARC_FIELD_MAX + 4];
	size_t i, o = 0, pad = 0;
	int got;

	for (i = 0; i < len && o < ARC_FIELD_MAX; i++) {
		if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')
			continue;
		if (b[i] == '=')
			pad++;
		compact[o++] = (char)b[i];
	}
	if (o == 0 || o % 4 != 0 || pad > 2)
		return 0;
	got = EVP_DecodeBlock(out, (const unsigned char *)compact, (int)o);
	ERR_clear_error();
	if (got < 0 || (size_t)got < pad)
		return 0;
	return (size_t)got - pad;
}

/*
 * Verify sig's b= over data with the key of its s= and d=; NULL when it holds, else
 * the reason (static or in why).
 */
static const char *
check_signature(struct arc_verify *v, const struct arc_sig *sig, const struct pt_sb *data,
		char *why, size_t whylen)
{
	unsigned char raw[ARC_FIELD_MAX], digest[32];
	struct dkim_key parsed;
	struct dkv_key *k = key_slot(v, sig);
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	bool ed = strcmp(sig->a, "ed25519-sha256") == 0;
	size_t rawlen;
	unsigned dlen = 0;
	const char *res = NULL;

	if (!ed && strcmp(sig->a, "rsa-sha256") != 0)
		return "a= is not rsa-sha256 or ed25519-sha256 (RFC 8617 4.1.2, RFC 8301)";
	if (data->oom)
		return "out of memory";
	if (k == NULL || !k->settled)
		return "no key name can be made of s= and d=";
	if (k->outcome != DKV_KEY_FOUND) {
		snprintf(why, whylen, "%s%s", k->outcome == DKV_KEY_TEMP ? "temporary: " : "",
		    k->why);
		return why;
	}
	if (dkim_key_parse_pkey(k->record, strlen(k->record), &parsed, &pk) < 0)
		return parsed.revoked ? "key revoked (RFC 6376 3.6.1)" : "key record unusable";
	if ((parsed.type == DKIM_KEY_TYPE_ED25519) != ed) {
		res = "the key type does not match a= (RFC 6376 3.6.1)";
		goto done;
	}
	if (!ed && parsed.bits < 1024) {
		snprintf(why, whylen, "%u-bit RSA key, under 1024 (RFC 8301 3.2)", parsed.bits);
		res = why;
		goto done;
	}
	rawlen = decode_b64(sig->b, sig->b_len, raw);
	md = EVP_MD_CTX_new();
	if (rawlen == 0) {
		res = "b= is not base64";
	} else if (md == NULL) {
		res = "out of memory";
	} else if (ed) {
		/* RFC 8463 3: Ed25519 signs the SHA-256 hash of the canonical data */
		if (EVP_Digest(data->s, data->len, digest, &dlen, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) != 1 ||
		    EVP_DigestVerify(md, raw, rawlen, digest, dlen) != 1)
			res = "signature does not verify";
	} else if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestVerify(md, raw, rawlen, (const unsigned char *)data->s, data->len) != 1) {
		res = "signature does not verify";
	}
done:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return res;
}

/* Whether the h= entry at p (n bytes) names field f (ignoring case). */
static bool
h_names(const uint8_t *p, size_t n, const struct arc_field *f)
{
	return n == f->name_len && strncasecmp((const char *)p, f->text, n) == 0;
}

/* Append the fields h= selects (bottom up per name, RFC 6376 5.4.2) to sb. */
static void
select_headers(struct arc_verify *v, const struct arc_sig *s, struct pt_sb *sb)
{
	size_t i = 0, start, end, j;
	bool relaxed = s->canon_header == ARC_CANON_RELAXED;

	for (j = 0; j < v->nfields; j++)
		v->fields[j].used = false;
	while (i < s->h_len) {
		while (i < s->h_len && (s->h[i] == ' ' || s->h[i] == '\t' || s->h[i] == '\r' ||
		    s->h[i] == '\n'))
			i++;
		start = i;
		while (i < s->h_len && s->h[i] != ':' && s->h[i] != ' ' && s->h[i] != '\t' &&
		    s->h[i] != '\r' && s->h[i] != '\n')
			i++;
		end = i;
		while (i < s->h_len && s->h[i] != ':')
			i++;
		i++;		/* past ':' */
		if (end == start)
			continue;
		for (j = v->nfields; j-- > 0;) {
			struct arc_field *f = &v->fields[j];

			if (!f->used && h_names(s->h + start, end - start, f)) {
				f->used = true;
				canon_field(sb, f->text, f->len, f->name_len, relaxed, f->len,
				    f->len, false);
				break;
			}
		}
	}
}

/* Verify the AMS of instance inst (1-based); NULL when it holds, else why. */
static const char *
check_ams(struct arc_verify *v, unsigned inst, const unsigned char bh[2][32], char *why,
	  size_t whylen)
{
	const struct arc_sig *s = &v->ams[inst - 1];
	const struct arc_field *f = &v->fields[v->ams_at[inst - 1]];
	size_t off = f->name_len + 1;
	unsigned char want[ARC_FIELD_MAX];
	struct pt_sb sb;
	const char *res;

	if (s->has_l)
		return "l= is not supported in an ARC-Message-Signature";
	if (decode_b64(s->bh, s->bh_len, want) != 32 ||
	    memcmp(want, bh[s->canon_body == ARC_CANON_RELAXED], 32) != 0)
		return "body hash mismatch: the body changed (RFC 6376 3.7)";
	pt_sb_init(&sb);
	select_headers(v, s, &sb);
	canon_field(&sb, f->text, f->len, f->name_len, s->canon_header == ARC_CANON_RELAXED,
	    off + s->b_start, off + s->b_end, true);
	res = check_signature(v, s, &sb, why, whylen);
	pt_sb_free(&sb);
	return res;
}

/* Verify the seal of instance inst over sets 1..inst (RFC 8617 5.1.1). */
static const char *
check_seal(struct arc_verify *v, unsigned inst, char *why, size_t whylen)
{
	const struct arc_sig *s = &v->seals[inst - 1];
	struct pt_sb sb;
	const char *res;
	unsigned i;

	pt_sb_init(&sb);
	for (i = 1; i <= inst; i++) {
		const struct arc_field *a = &v->fields[v->aar_at[i - 1]];
		const struct arc_field *m = &v->fields[v->ams_at[i - 1]];
		const struct arc_field *f = &v->fields[v->seal_at[i - 1]];
		size_t off = f->name_len + 1;

		canon_field(&sb, a->text, a->len, a->name_len, true, a->len, a->len, false);
		canon_field(&sb, m->text, m->len, m->name_len, true, m->len, m->len, false);
		if (i < inst)
			canon_field(&sb, f->text, f->len, f->name_len, true, f->len, f->len, false);
		else
			canon_field(&sb, f->text, f->len, f->name_len, true, off + s->b_start,
			    off + s->b_end, true);
	}
	res = check_signature(v, s, &sb, why, whylen);
	pt_sb_free(&sb);
	return res;
}

/* Steps 4 to 7 of RFC 8617 5.2. */
static void
verify_chain(struct arc_verify *v)
{
	unsigned char bh[2][32];
	char why[160];
	const char *res;
	unsigned n = v->res.count, i;

	body_final(&v->body[0], bh[0]);
	body_final(&v->body[1], bh[1]);
	if ((res = check_ams(v, n, bh, why, sizeof(why))) != NULL) {
		chain_fail(v, "ARC-Message-Signature i=%u: %s", n, res);
		return;
	}
	v->sets[n - 1].ams_verified = true;
	v->res.oldest_pass = 0;
	for (i = n - 1; i >= 1; i--) {
		if (check_ams(v, i, bh, why, sizeof(why)) != NULL) {
			v->res.oldest_pass = i + 1;
			break;
		}
		v->sets[i - 1].ams_verified = true;
	}
	for (i = n; i >= 1; i--) {
		if ((res = check_seal(v, i, why, sizeof(why))) != NULL) {
			chain_fail(v, "ARC-Seal i=%u: %s", i, res);
			return;
		}
		v->sets[i - 1].seal_verified = true;
	}
	v->res.result = ARC_VERIFY_PASS;
}

/* Verify and return the results. */
const struct arc_verify_results *
arc_verify_eom(struct arc_verify *v)
{
	if (v == NULL)
		return NULL;
	if (v->state == ARC_HEADER)
		(void)arc_verify_eoh(v);
	if (v->state == ARC_DONE)
		return &v->res;
	v->state = ARC_DONE;
	if (v->pending_cr && v->hashing) {
		v->pending_cr = false;
		body_byte(&v->body[0], '\r');
		body_byte(&v->body[1], '\r');
	}
	if (v->res.result != ARC_VERIFY_FAIL && v->hashing)
		verify_chain(v);
	return &v->res;
}

/* The sealer vouching for a DMARC pass of from_domain, when trusted. */
const char *
arc_verify_vouching(const struct arc_verify_results *r, const char *from_domain,
		    const char *const *trusted, size_t ntrusted)
{
	const struct arc_verify_set *set;
	size_t i, j;

	if (r == NULL || r->result != ARC_VERIFY_PASS || from_domain == NULL)
		return NULL;
	for (i = 0; i < r->count; i++) {
		set = &r->sets[i];
		for (j = 0; j < set->aar.npasses; j++)
			if (strcasecmp(set->aar.passes[j].domain, from_domain) == 0)
				break;
		if (j == set->aar.npasses)
			continue;
		/* the oldest set that vouches decides */
		for (j = 0; j < ntrusted; j++)
			if (strcasecmp(trusted[j], set->sealer) == 0)
				return set->sealer;
		return NULL;
	}
	return NULL;
}

/* Header fields of a message in memory, for dkim_verify_msg_feed(). */
static int
feed_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	return arc_verify_header_n(arg, name, nlen, value, vlen);
}

/* End of header, for dkim_verify_msg_feed(). */
static int
feed_eoh(void *arg)
{
	return arc_verify_eoh(arg);
}

/* A body chunk, for dkim_verify_msg_feed(). */
static int
feed_body(void *arg, const void *chunk, size_t len)
{
	return arc_verify_body(arg, chunk, len);
}

/* Verify a whole message in memory. */
const struct arc_verify_results *
arc_verify_message(struct arc_verify *v, const void *msg, size_t len)
{
	const struct dkim_verify_sink sink = { feed_header, feed_eoh, feed_body };

	if (v == NULL)
		return NULL;
	dkim_verify_msg_feed(msg, len, &sink, v);
	return arc_verify_eom(v);
}
