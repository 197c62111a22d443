/*
 * dkim_verify.c - DKIM verification on libopendkim (the only file that includes it).
 *
 *   dkim_verify_lib_new()  DKIM_LIB with our callbacks: prescreen (cap, key prefetch)
 *                          and key lookup (served from the prefetched answers,
 *                          dkim_verify_keys.c)
 *   dkim_verify_new() _header() _eoh() _body() _eom() _free()   one message
 *   dkim_verify_message()  the same over a message in memory
 *
 * libopendkim's handle is made at the first DKIM-Signature field, and the fields seen
 * before it are handed over then, in order. An unsigned message so costs no handle:
 * for it dkim_eoh() can only say DKIM_STAT_NOSIG (with BADSIGHANDLES and without
 * STRICTHDRS it checks nothing else), which is what is recorded without asking it.
 *
 * How libopendkim is driven (Debian 2.11.0~beta2, read in its source and measured):
 * - dkim_header() wants "Name:value" with CRLF inside folds. The milter hands over
 *   folds as bare LF; with c=simple header canonicalization a bare LF breaks every
 *   signature covering the field (relaxed survives: it folds LF as whitespace). We
 *   convert; DKIM_LIBFLAGS_FIXCRLF is not used because its header path keeps the old
 *   length after growing the text.
 * - The cap: libopendkim hashes for every DKIM-Signature it parsed, ignored or not, so
 *   fields past max_signatures are handed over renamed (never parsed: no hashing, no
 *   lookup) and the prescreen callback ignores whatever is left over the cap. A
 *   signature whose h= lists DKIM-Signature fields past the cap then fails: a message
 *   with more signatures than the cap is abnormal anyway.
 * - DKIM_LIBFLAGS_BADSIGHANDLES: a malformed DKIM-Signature keeps its place in the
 *   signature list (we report it as permerror, and ignore it), and a From that
 *   libopendkim cannot parse no longer stops verification altogether.
 * - Keys: the prescreen callback sees every signature before any key is fetched: it
 *   asks for all of their keys in one batch through cfg.lookup; the key lookup callback
 *   then answers from those. A failed lookup is marked KEYFAIL with dkim_sig_seterror()
 *   and an empty record (libopendkim has no callback status for "temporary"). An
 *   unsafe RSA key (exponent 1, ...: dkim_key.h) goes the same way, as a syntax error:
 *   OpenSSL would verify a forged signature with it; permerror, the reason as comment.
 * - Minimum key size is set to 1 so that short RSA keys still verify: we then report
 *   policy (RFC 8301 3.2) with the exact modulus size from dkim_key_parse(), not
 *   libopendkim's byte-rounded one. rsa-sha1 verifies in libopendkim; policy here.
 * - dkim_sig_hdrsigned() matches prefixes ("f" matches "from"): h= is read here.
 * - Duplicate tags: libopendkim keeps the last; RFC 6376 3.2 invalidates the tag list.
 * - Memory safety: dkim_canon_selecthdrs() (2.11, unchanged upstream) writes a NULL one
 *   pointer past an array of one entry per header field when h= names more fields than
 *   the message has and all of them get used: with an odd number of fields glibc
 *   aborts in free() ("invalid next size"), one crafted message kills the process.
 *   A guard field no h= can name keeps the array larger than any selection.
 *
 * What can go wrong: hostile header bytes (bounded scanning, values sanitized);
 * libopendkim asserting on empty fields or NULL buffers (never passed); the key source
 * failing or timing out (temperror); out of memory (an error text, neutral results).
 */
/* <opendkim/dkim.h> uses the BSD types u_char, u_int, u_long. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

#include "util/ascii.h"
#include "verify/dkim_verify.h"
#include "verify/dkim_verify_int.h"

/* Fields past the cap go to libopendkim under this name (see above). */
static const char unchecked_name[] = "X-Posture-Unchecked-DKIM-Signature";
/*
 * One more field after the message's own (see above: the selecthdrs overflow). Its
 * name holds spaces, which libopendkim accepts in a name but removes from every h=
 * entry, so no signature can select it and the count of selectable fields stays
 * below the size of libopendkim's array.
 */
static const char guard_field[] = "X Posture Guard:1";

/* Defaults. */
void
dkim_verify_config_init(struct dkim_verify_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_signatures = 5;
	cfg->key_timeout_ms = 5000;
}

/* "pass", ... */
const char *
dkim_verify_word(enum dkim_verify_word w)
{
	switch (w) {
	case DKIM_VERIFY_NONE: return "none";
	case DKIM_VERIFY_PASS: return "pass";
	case DKIM_VERIFY_FAIL: return "fail";
	case DKIM_VERIFY_POLICY: return "policy";
	case DKIM_VERIFY_NEUTRAL: return "neutral";
	case DKIM_VERIFY_TEMPERROR: return "temperror";
	case DKIM_VERIFY_PERMERROR: return "permerror";
	}
	return "neutral";
}

/* The slot for a signature's key (settled), or NULL with the name invalid. */
static struct dkv_key *
key_for(struct dkim_verify *v, DKIM_SIGINFO *sig)
{
	char name[DKV_NAME_MAX + 1];
	struct dkv_key *k;

	if (dkv_key_name((const char *)dkim_sig_getselector(sig),
	    (const char *)dkim_sig_getdomain(sig), name, sizeof(name)) < 0)
		return NULL;
	k = dkv_key_slot(v, name);
	if (k == NULL)
		return NULL;
	if (!k->asked)
		dkv_keys_fetch(v);
	if (!k->settled)
		dkv_key_settle(v->lib, k);
	return k;
}

/* libopendkim's key lookup: answer from the prefetched slot. */
static DKIM_CBSTAT
cb_key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct dkim_verify *v = dkim_get_user_context(dkim);
	struct dkv_key *k;

	if (v == NULL || buflen == 0)
		return DKIM_CBSTAT_ERROR;
	buf[0] = '\0';
	k = key_for(v, sig);
	if (k == NULL || k->outcome == DKV_KEY_NONE)
		return DKIM_CBSTAT_NOTFOUND;
	switch (k->outcome) {
	case DKV_KEY_FOUND:
		if (strlen(k->record) < buflen) {
			memcpy(buf, k->record, strlen(k->record) + 1);
			return DKIM_CBSTAT_CONTINUE;
		}
		(void)dkim_sig_seterror(sig, DKIM_SIGERROR_DNSSYNTAX);
		break;
	case DKV_KEY_TEMP:
		(void)dkim_sig_seterror(sig, DKIM_SIGERROR_KEYFAIL);
		break;
	default:
		(void)dkim_sig_seterror(sig, DKIM_SIGERROR_DNSSYNTAX);
		break;
	}
	/* An empty record ends the lookup with the error set above kept. */
	return DKIM_CBSTAT_CONTINUE;
}

/* libopendkim's prescreen: enforce the cap, drop what we judged, prefetch the keys. */
static DKIM_CBSTAT
cb_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkim_verify *v = dkim_get_user_context(dkim);
	char name[DKV_NAME_MAX + 1];
	int i;

	if (v == NULL || nsigs < 0)
		return DKIM_CBSTAT_ERROR;
	v->mapped = (unsigned)nsigs == v->nfed;
	for (i = 0; i < nsigs; i++) {
		if ((unsigned)i >= v->lib->cfg.max_signatures || !v->mapped ||
		    v->meta[i].bad || v->meta[i].dup[0] != '\0') {
			dkim_sig_ignore(sigs[i]);
			continue;
		}
		if (dkim_sig_geterror(sigs[i]) != DKIM_SIGERROR_UNKNOWN)
			continue;	/* judged from the tags alone: no key needed */
		if (dkv_key_name((const char *)dkim_sig_getselector(sigs[i]),
		    (const char *)dkim_sig_getdomain(sigs[i]), name, sizeof(name)) == 0)
			(void)dkv_key_slot(v, name);
	}
	dkv_keys_fetch(v);
	return DKIM_CBSTAT_CONTINUE;
}

/* ---- results ---- */

/* Copy a libopendkim tag value (printable, FWS removed) into dst, cut to size. */
static void
copy_tag(char *dst, size_t size, const u_char *src)
{
	size_t i;

	for (i = 0; src != NULL && i + 1 < size && src[i] != '\0'; i++)
		dst[i] = src[i] > 32 && src[i] < 127 ? (char)src[i] : '?';
	dst[i] = '\0';
}

/* The settled key slot of a signature, if one was asked for. */
static const struct dkv_key *
key_find(const struct dkim_verify *v, DKIM_SIGINFO *sig)
{
	char name[DKV_NAME_MAX + 1];
	size_t i;

	if (dkv_key_name((const char *)dkim_sig_getselector(sig),
	    (const char *)dkim_sig_getdomain(sig), name, sizeof(name)) < 0)
		return NULL;
	for (i = 0; i < v->nkeys; i++)
		if (v->keys[i].settled && strcmp(v->keys[i].name, name) == 0)
			return &v->keys[i];
	return NULL;
}

/* Set a signature's word and reason: text, then arg when not NULL, then tail. */
static void
say(struct dkim_verify_sig *out, enum dkim_verify_word w, const char *text,
    const char *arg, const char *tail)
{
	out->result = w;
	snprintf(out->reason, sizeof(out->reason), "%s%s%s", text, arg != NULL ? arg : "",
	    tail != NULL ? tail : "");
}

/* A signature whose cryptography held: pass, unless RFC 8301 refuses it. */
static void
judge_verified(DKIM_SIGINFO *sig, struct dkim_verify_sig *out)
{
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	char bits[16];

	out->verified = true;
	(void)dkim_sig_getsignalg(sig, &alg);
	if (alg == DKIM_SIGN_RSASHA1) {
		say(out, DKIM_VERIFY_POLICY, "a=rsa-sha1 is not accepted (RFC 8301 3.1)", NULL, NULL);
		out->note = "rsa-sha1 not accepted";
	} else if (alg != DKIM_SIGN_ED25519SHA256 && out->key_bits > 0 && out->key_bits < 1024) {
		snprintf(bits, sizeof(bits), "%u", out->key_bits);
		say(out, DKIM_VERIFY_POLICY, "RSA key of ", bits,
		    " bits, under 1024 (RFC 8301 3.2)");
		out->note = "key under 1024 bits";
	} else if (out->testing) {
		say(out, DKIM_VERIFY_PASS, "key in testing mode, t=y (RFC 6376 3.6.1)", NULL,
		    NULL);
		out->note = "testing key, t=y";
	} else
		say(out, DKIM_VERIFY_PASS, "", NULL, NULL);
}

/* Whether the key record's type (k=, rsa by default) is the one a= needs. */
static bool
key_fits(DKIM_SIGINFO *sig, const struct dkv_key *k)
{
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;

	(void)dkim_sig_getsignalg(sig, &alg);
	if (alg == DKIM_SIGN_ED25519SHA256)
		return k->type == DKIM_KEY_TYPE_ED25519;
	if (alg == DKIM_SIGN_RSASHA1 || alg == DKIM_SIGN_RSASHA256)
		return k->type == DKIM_KEY_TYPE_RSA;
	return true;			/* an unknown a=: libopendkim refuses it itself */
}

/* Judge one signature libopendkim listed (processed, or refused from its tags). */
static void
judge(const struct dkim_verify *v, DKIM_SIGINFO *sig, struct dkim_verify_sig *out)
{
	unsigned flags = dkim_sig_getflags(sig), bits = 0;
	int err = dkim_sig_geterror(sig);
	const struct dkv_key *k = key_find(v, sig);
	const char *es = dkim_sig_geterrorstr(err);
	char x[24];

	copy_tag(out->domain, sizeof(out->domain), dkim_sig_getdomain(sig));
	copy_tag(out->selector, sizeof(out->selector), dkim_sig_getselector(sig));
	copy_tag(out->algorithm, sizeof(out->algorithm),
	    dkim_sig_gettagvalue(sig, 0, (u_char *)"a"));
	if (k != NULL && k->outcome == DKV_KEY_FOUND && k->bits > 0)
		out->key_bits = k->bits;
	else if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
		out->key_bits = bits;
	out->testing = (flags & DKIM_SIGFLAG_TESTKEY) != 0 ||
	    (k != NULL && k->outcome == DKV_KEY_FOUND && k->testing);
	if (k != NULL && k->outcome == DKV_KEY_FOUND && !key_fits(sig, k)) {
		/*
		 * libopendkim picks the algorithm from a= alone and reads p= as that kind of
		 * key: an Ed25519 key published without k=ed25519 (so, rsa) "verifies". The
		 * key record must say the same type (RFC 6376 3.6.1 k=, 6.1.2 step 6).
		 */
		say(out, DKIM_VERIFY_PERMERROR, "key type k=", dkim_key_type_word(k->type),
		    " does not fit a= (RFC 6376 3.6.1, 6.1.2: inappropriate key algorithm)");
		out->note = "key type does not fit a=";
		return;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) != 0 && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
		judge_verified(sig, out);
		return;
	}
	switch (err) {
	case DKIM_SIGERROR_BADSIG:
		if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
			say(out, DKIM_VERIFY_FAIL, "body hash mismatch: the body was changed "
			    "(RFC 6376 3.7)", NULL, NULL);
			out->note = "body changed";
		} else {
			say(out, DKIM_VERIFY_FAIL, "signature did not verify: signed header "
			    "fields changed, or not this key (RFC 6376 3.7)", NULL, NULL);
			out->note = "signature did not verify";
		}
		break;
	case DKIM_SIGERROR_KEYREVOKED:
		say(out, DKIM_VERIFY_FAIL, "key revoked: empty p= (RFC 6376 3.6.1)", NULL, NULL);
		out->note = "key revoked";
		break;
	case DKIM_SIGERROR_TOOLARGE_L:
		say(out, DKIM_VERIFY_FAIL, "l= is longer than the body (RFC 6376 3.5)", NULL,
		    NULL);
		break;
	case DKIM_SIGERROR_NOKEY:
		if (k != NULL)
			say(out, DKIM_VERIFY_PERMERROR, k->why, NULL, NULL);
		else
			say(out, DKIM_VERIFY_PERMERROR, "s= and d= do not form a DNS name "
			    "(RFC 6376 3.6.2.1)", NULL, NULL);
		break;
	case DKIM_SIGERROR_KEYFAIL:
		say(out, DKIM_VERIFY_TEMPERROR, k != NULL ? k->why :
		    "key lookup failed (RFC 6376 6.1.2)", NULL, NULL);
		break;
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
		if (k != NULL && k->outcome != DKV_KEY_FOUND) {
			say(out, DKIM_VERIFY_PERMERROR, k->why, NULL, NULL);
			if (k->unsafe != DKIM_KEY_SAFE)
				out->note = dkim_key_unsafe_word(k->unsafe);
		} else
			say(out, DKIM_VERIFY_PERMERROR, "key record syntax error "
			    "(RFC 6376 3.6.1)", NULL, NULL);
		break;
	case DKIM_SIGERROR_EXPIRED:
		copy_tag(x, sizeof(x), dkim_sig_gettagvalue(sig, 0, (u_char *)"x"));
		say(out, DKIM_VERIFY_POLICY, "signature expired, x=", x, " (RFC 6376 3.5)");
		out->note = "signature expired";
		break;
	case DKIM_SIGERROR_FUTURE:
		say(out, DKIM_VERIFY_POLICY, "signature timestamp t= in the future "
		    "(RFC 6376 3.5: verifiers may ignore it)", NULL, NULL);
		out->note = "timestamp in the future";
		break;
	case DKIM_SIGERROR_INVALID_H:
		say(out, DKIM_VERIFY_POLICY, "h= does not cover From (RFC 6376 5.4)", NULL, NULL);
		out->note = "From not signed";
		break;
	case DKIM_SIGERROR_KEYTOOSMALL:
		say(out, DKIM_VERIFY_POLICY, "key too small (RFC 8301 3.2)", NULL, NULL);
		out->note = "key under 1024 bits";
		break;
	case DKIM_SIGERROR_KEYVERSION: case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH: case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING: case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYDECODE:
		say(out, DKIM_VERIFY_PERMERROR, "key: ", es, " (RFC 6376 3.6.1)");
		break;
	case DKIM_SIGERROR_UNKNOWN:
	case DKIM_SIGERROR_OK:
		say(out, DKIM_VERIFY_NEUTRAL, "not verified", NULL, NULL);
		break;
	default:
		say(out, DKIM_VERIFY_PERMERROR, es != NULL ? es : "signature unusable", NULL,
		    " (RFC 6376 6.1.1)");
		break;
	}
}

/* A signature we judged ourselves, described from its tags. */
static void
judge_meta(const struct dkim_sig_meta *m, struct dkim_verify_sig *out, const char *too_big)
{
	snprintf(out->domain, sizeof(out->domain), "%s", m->d);
	snprintf(out->selector, sizeof(out->selector), "%s", m->s);
	snprintf(out->algorithm, sizeof(out->algorithm), "%s", m->a);
	if (too_big != NULL)
		say(out, DKIM_VERIFY_POLICY, too_big, NULL, NULL);
	else if (m->bad)
		say(out, DKIM_VERIFY_PERMERROR, "DKIM-Signature is not a valid tag list "
		    "(RFC 6376 3.2)", NULL, NULL);
	else if (m->dup[0] != '\0')
		say(out, DKIM_VERIFY_PERMERROR, "tag ", m->dup, "= appears twice (RFC 6376 3.2)");
	else
		say(out, DKIM_VERIFY_NEUTRAL, "not verified", NULL, NULL);
}

/* The message's word from its signatures' (see dkim_verify.h). */
static enum dkim_verify_word
summarize(const struct dkim_verify_results *r)
{
	static const enum dkim_verify_word order[] = {
		DKIM_VERIFY_PASS, DKIM_VERIFY_TEMPERROR, DKIM_VERIFY_FAIL, DKIM_VERIFY_POLICY,
		DKIM_VERIFY_PERMERROR, DKIM_VERIFY_NEUTRAL
	};
	size_t i, j;

	if (r->seen == 0)
		return DKIM_VERIFY_NONE;
	for (j = 0; j < sizeof(order) / sizeof(order[0]); j++)
		for (i = 0; i < r->nsigs; i++)
			if (r->sigs[i].result == order[j])
				return order[j];
	return DKIM_VERIFY_NEUTRAL;
}

/* Fill v->res after eom. */
static void
dkv_results(struct dkim_verify *v)
{
	static const char big[] = "header block over 1 MiB: not verified (local limit)";
	DKIM_SIGINFO **list = NULL;
	int n = 0;
	unsigned i;
	bool mapped;

	mapped = v->eoh_status != DKIM_STAT_NOSIG && !v->too_big && v->dkim != NULL &&
	    dkim_getsiglist(v->dkim, &list, &n) == DKIM_STAT_OK && list != NULL &&
	    n >= 0 && (unsigned)n == v->nfed;
	for (i = 0; i < v->nfed; i++) {
		struct dkim_verify_sig *out = &v->res.sigs[i];
		const struct dkim_sig_meta *m = &v->meta[i];

		memset(out, 0, sizeof(*out));
		if (v->too_big || !mapped || m->bad || m->dup[0] != '\0')
			judge_meta(m, out, v->too_big ? big : NULL);
		else
			judge(v, list[i], out);
		memcpy(out->header_b, m->b, sizeof(out->header_b));
		out->body_length = m->body_length;
		out->from_signed = m->from_signed;
	}
	v->res.nsigs = v->nfed;
	v->res.not_checked = v->res.seen - v->nfed;
	if (v->too_big)
		snprintf(v->res.error, sizeof(v->res.error), "%s", big);
	else if (v->oom)
		snprintf(v->res.error, sizeof(v->res.error), "out of memory");
	else if (v->eoh_status != DKIM_STAT_OK && v->eoh_status != DKIM_STAT_NOSIG)
		snprintf(v->res.error, sizeof(v->res.error), "libopendkim: %s",
		    dkim_getresultstr(v->eoh_status));
	v->res.summary = summarize(&v->res);
}

/* ---- the library ---- */

/* Create the library. */
struct dkim_verify_lib *
dkim_verify_lib_new(const struct dkim_verify_config *cfg, char *err, size_t errlen)
{
	struct dkim_verify_lib *lib;
	uint32_t flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	unsigned minbits = 1;

	if (cfg->lookup == NULL || cfg->max_signatures == 0 ||
	    cfg->max_signatures > DKIM_VERIFY_MAX_SIGNATURES) {
		snprintf(err, errlen, "DKIM verification needs a key source and 1 to %d "
		    "signatures", DKIM_VERIFY_MAX_SIGNATURES);
		return NULL;
	}
	lib = calloc(1, sizeof(*lib));
	if (lib == NULL || pthread_mutex_init(&lib->parsed_lock, NULL) != 0) {
		free(lib);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lib->cfg = *cfg;
	lib->dl = dkim_init(NULL, NULL);
	if (lib->dl == NULL ||
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits,
	    sizeof(minbits)) != DKIM_STAT_OK ||
	    dkim_set_key_lookup(lib->dl, cb_key_lookup) != DKIM_STAT_OK ||
	    dkim_set_prescreen(lib->dl, cb_prescreen) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim could not be set up");
		dkim_verify_lib_free(lib);
		return NULL;
	}
	return lib;
}

/* Free the library. */
void
dkim_verify_lib_free(struct dkim_verify_lib *lib)
{
	if (lib == NULL)
		return;
	if (lib->dl != NULL)
		dkim_close(lib->dl);
	dkv_parsed_clear(lib);
	pthread_mutex_destroy(&lib->parsed_lock);
	free(lib);
}

/* ---- one message ---- */

/* A verifier for one message. */
struct dkim_verify *
dkim_verify_new(struct dkim_verify_lib *lib, const char *jobid)
{
	struct dkim_verify *v;
	unsigned max;
	size_t len;

	if (lib == NULL)
		return NULL;
	max = lib->cfg.max_signatures;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->lib = lib;
	/*
	 * Not cleared (about 9 KB, every message): each entry is written in full when it
	 * is taken into use (dkim_sig_scan, dkv_key_slot, dkv_results) and only
	 * entries below nfed and nkeys are read. max <= DKIM_VERIFY_MAX_SIGNATURES.
	 */
	v->meta = malloc(max * sizeof(*v->meta));
	v->keys = malloc(max * sizeof(*v->keys));
	v->res.sigs = malloc(max * sizeof(*v->res.sigs));
	if (v->meta == NULL || v->keys == NULL || v->res.sigs == NULL) {
		dkim_verify_free(v);
		return NULL;
	}
	if (jobid == NULL || *jobid == '\0')
		jobid = "-";
	len = strnlen(jobid, sizeof(v->jobid) - 1);	/* cut as snprintf would */
	memcpy(v->jobid, jobid, len);
	v->jobid[len] = '\0';
	return v;
}

/* Free the fields kept for libopendkim. */
static void
pending_free(struct dkim_verify *v)
{
	size_t i;

	for (i = 0; i < v->npending; i++)
		free(v->pending[i].text);
	free(v->pending);
	v->pending = NULL;
	v->npending = v->pending_cap = 0;
}

/* Keep a field (ownership passes) until libopendkim is needed; -1 on OOM. */
static int
pending_add(struct dkim_verify *v, char *text, size_t len)
{
	struct dkv_field *grown;
	size_t cap;

	if (v->npending == v->pending_cap) {
		cap = v->pending_cap ? v->pending_cap * 2 : 16;
		if (cap > SIZE_MAX / sizeof(*grown))
			return -1;
		grown = realloc(v->pending, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		v->pending = grown;
		v->pending_cap = cap;
	}
	v->pending[v->npending].text = text;
	v->pending[v->npending++].len = len;
	return 0;
}

/* Make libopendkim's handle and hand it the fields kept so far; -1 on failure. */
static int
dkv_start(struct dkim_verify *v)
{
	DKIM_STAT st;
	size_t i;

	v->dkim = dkim_verify(v->lib->dl, (const u_char *)v->jobid, NULL, &st);
	if (v->dkim == NULL || dkim_set_user_context(v->dkim, v) != DKIM_STAT_OK) {
		if (v->dkim != NULL)
			dkim_free(v->dkim);
		v->dkim = NULL;
		v->start_failed = v->oom = true;
		pending_free(v);
		return -1;
	}
	/* Their statuses: only out of memory can fail a field that is no signature. */
	for (i = 0; i < v->npending; i++)
		(void)dkim_header(v->dkim, (u_char *)v->pending[i].text, v->pending[i].len);
	pending_free(v);
	return 0;
}

/* Free a verifier and its results. */
void
dkim_verify_free(struct dkim_verify *v)
{
	size_t i;

	if (v == NULL)
		return;
	if (v->dkim != NULL)
		dkim_free(v->dkim);
	pending_free(v);
	for (i = 0; v->keys != NULL && i < v->nkeys; i++) {
		dns_answer_clear(&v->keys[i].ans);
		free(v->keys[i].record);
	}
	free(v->keys);
	free(v->meta);
	free(v->res.sigs);
	free(v);
}

/* A field name libopendkim accepts as given: RFC 5322 ftext, without ';'. */
static bool
field_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > DKV_FIELD_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 33 || c > 126 || c == ':' || c == ';')
			return false;
	}
	return true;
}

/* Case-insensitive equality of a length-delimited name with a C string. */
static bool
name_is(const char *name, size_t len, const char *want)
{
	size_t i;

	if (strlen(want) != len)
		return false;
	for (i = 0; i < len; i++) {
		if (ascii_lower((unsigned char)name[i]) != ascii_lower((unsigned char)want[i]))
			return false;
	}
	return true;
}

/* One header field with lengths (no NUL inside); see dkim_verify_header(). */
int
dkim_verify_header_n(struct dkim_verify *v, const char *name, size_t nlen, const char *value,
	     size_t vlen)
{
	bool is_sig;
	size_t bare = 0, i, total, o = 0, core = nlen;
	const char *lf;
	char *field;
	DKIM_STAT st;

	/*
	 * "From : x" (white space before the colon) is obsolete syntax receivers must
	 * accept (RFC 5322 4.5.8); relaxed canonicalization removes it (RFC 6376 3.4.2).
	 * The name is judged without it; the bytes go to libopendkim as they came.
	 */
	while (core > 0 && (name[core - 1] == ' ' || name[core - 1] == '\t'))
		core--;
	if (v == NULL || v->state != DKV_HEADER || v->start_failed ||
	    !field_name_ok(name, core) || memchr(value, '\0', vlen) != NULL)
		return -1;
	is_sig = name_is(name, core, "DKIM-Signature");
	if (is_sig && ++v->res.seen > v->lib->cfg.max_signatures) {
		name = unchecked_name;
		nlen = sizeof(unchecked_name) - 1;
		is_sig = false;
	}
	for (lf = memchr(value, '\n', vlen); lf != NULL;
	    lf = memchr(lf + 1, '\n', vlen - (size_t)(lf + 1 - value)))
		if (lf == value || lf[-1] != '\r')
			bare++;
	total = nlen + 1 + vlen + bare;		/* each term bounded: no overflow */
	if (v->too_big || total > DKIM_VERIFY_MAX_HEADER_BYTES - v->header_bytes) {
		v->too_big = true;
		return -1;
	}
	v->header_bytes += total;
	field = malloc(total + 1);
	if (field == NULL) {
		v->oom = true;
		return -1;
	}
	memcpy(field, name, nlen);
	o = nlen;
	field[o++] = ':';
	if (bare == 0) {
		memcpy(field + o, value, vlen);		/* the usual case: CRLF or one line */
		o += vlen;
	} else {
		for (i = 0; i < vlen; i++) {
			if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
				field[o++] = '\r';
			field[o++] = value[i];
		}
	}
	field[o] = '\0';
	if (v->dkim == NULL && !is_sig) {
		if (pending_add(v, field, o) < 0) {
			free(field);
			v->oom = true;
			return -1;
		}
		return 0;
	}
	if (v->dkim == NULL && dkv_start(v) < 0) {
		free(field);
		return -1;
	}
	st = dkim_header(v->dkim, (u_char *)field, o);
	free(field);
	if (is_sig) {
		struct dkim_sig_meta *m = &v->meta[v->nfed++];

		dkim_sig_scan(value, vlen, m);
		m->bad = st != DKIM_STAT_OK;
	}
	return st == DKIM_STAT_OK ? 0 : -1;
}

/* One header field as the MTA sent it. */
int
dkim_verify_header(struct dkim_verify *v, const char *name, const char *value)
{
	if (name == NULL || value == NULL)
		return -1;
	return dkim_verify_header_n(v, name, strlen(name), value, strlen(value));
}

/* End of header: libopendkim parses the signatures and fetches their keys. */
int
dkim_verify_eoh(struct dkim_verify *v)
{
	if (v == NULL || v->state != DKV_HEADER)
		return -1;
	v->state = DKV_BODY;
	if (v->dkim == NULL) {
		/* No DKIM-Signature came: libopendkim's dkim_eoh() would say just that. */
		pending_free(v);
		v->eoh_status = v->start_failed ? DKIM_STAT_NORESOURCE : DKIM_STAT_NOSIG;
		return v->start_failed ? -1 : 0;
	}
	(void)dkim_header(v->dkim, (u_char *)(uintptr_t)guard_field, sizeof(guard_field) - 1);
	v->eoh_status = dkim_eoh(v->dkim);
	return v->eoh_status == DKIM_STAT_OK || v->eoh_status == DKIM_STAT_NOSIG ? 0 : -1;
}

/* A body chunk. */
int
dkim_verify_body(struct dkim_verify *v, const void *chunk, size_t len)
{
	if (v == NULL || v->state == DKV_DONE || chunk == NULL)
		return -1;
	if (v->state == DKV_HEADER)
		(void)dkim_verify_eoh(v);
	if (len == 0)
		return 0;
	if (v->eoh_status != DKIM_STAT_OK)
		return v->eoh_status == DKIM_STAT_NOSIG ? 0 : -1;
	return dkim_body(v->dkim, (u_char *)(uintptr_t)chunk, len) == DKIM_STAT_OK ? 0 : -1;
}

/* Verify and build the results. */
const struct dkim_verify_results *
dkim_verify_eom(struct dkim_verify *v)
{
	if (v == NULL)
		return NULL;
	if (v->state == DKV_DONE)
		return &v->res;
	if (v->state == DKV_HEADER)
		(void)dkim_verify_eoh(v);
	v->state = DKV_DONE;
	if (v->eoh_status == DKIM_STAT_OK)
		(void)dkim_eom(v->dkim, NULL);
	dkv_results(v);
	return &v->res;
}
