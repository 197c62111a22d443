/*
 * dkim_verify_keys.c - the DKIM keys of one message: names, one batch to the key source,
 * which record libopendkim gets (RFC 6376 3.6.2, 6.1.2).
 *
 *   dkv_key_name()    "<s>._domainkey.<d>", refused unless it is a DNS name we can ask
 *   dkv_key_slot()    one slot per key name of the message (at most max_signatures)
 *   dkv_keys_fetch()  every slot not asked yet, in one call, within the message deadline
 *   dkv_key_settle()  the answer's outcome: a record, no key, a failed lookup, unusable
 *   dkv_parsed_clear()  forget the parsed records (the library's, see below)
 *
 * Outcomes: NXDOMAIN and NODATA are "no key" (permerror); any failure of the lookup
 * (SERVFAIL, REFUSED, timeout, malformed, budget, local error, an empty answer) is
 * temperror; several key records, no key among several records, a record longer than
 * libopendkim's 1024-byte buffer or holding a NUL are unusable (permerror), and so is
 * an unsafe RSA key (dkim_key.h: exponent 1, even, ...): libopendkim never sees it, so
 * no signature is verified with it (RFC 8017 3.1; with e=1 anyone can make one).
 *
 * What can go wrong: a key source that fills nothing (read as DNS_ERROR), that is slow
 * (it is given what is left of key_timeout_ms; past it nothing more is asked), out of
 * memory (DNS_ERROR: temperror). TXT data is never trusted: lengths come from the answer.
 *
 * Parsed records: dkim_key_parse() of a key (exact modulus size, t=y, unsafe) is remembered by
 * the record's exact text in a small direct-mapped table of the library, shared by all
 * threads under one mutex held only to copy in or out. A collision (or a sender's
 * records made to collide) only evicts: the text is compared in full, so a hit is
 * always the same record. Out of memory keeps nothing and changes no result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"
#include "record/dkim_key.h"
#include "verify/dkim_verify.h"
#include "verify/dkim_verify_int.h"
#include "dns/dns.h"
#include "util/dnsname.h"

/* Build "<s>._domainkey.<d>" in lower case; -1 when it is no DNS name we would ask. */
int
dkv_key_name(const char *sel, const char *dom, char *out, size_t outlen)
{
	size_t i;
	int n;

	if (sel == NULL || dom == NULL)
		return -1;
	n = snprintf(out, outlen, "%s._domainkey.%s", sel, dom);
	if (n < 0 || (size_t)n >= outlen || (size_t)n > DKV_NAME_MAX)
		return -1;
	/* an empty label is refused, a trailing dot of d= or s= included */
	if (dns_name_check(out, (size_t)n, DNS_NAME_UNDERSCORE) != DNS_NAME_OK)
		return -1;
	for (i = 0; i < (size_t)n; i++)
		out[i] = (char)ascii_lower((unsigned char)out[i]);
	return 0;
}

/* The lookup slot for name, added when absent; NULL when the table is full. */
struct dkv_key *
dkv_key_slot(struct dkim_verify *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].name, name) == 0)
			return &v->keys[i];
	if (v->nkeys >= v->lib->cfg.max_signatures)
		return NULL;
	memset(&v->keys[v->nkeys], 0, sizeof(v->keys[0]));
	snprintf(v->keys[v->nkeys].name, sizeof(v->keys[0].name), "%s", name);
	return &v->keys[v->nkeys++];
}

/* Ask the key source for every slot not yet asked, in one call, within the deadline. */
void
dkv_keys_fetch(struct dkim_verify *v)
{
	const char *names[DKIM_VERIFY_MAX_SIGNATURES];
	struct dns_answer *out;
	size_t idx[DKIM_VERIFY_MAX_SIGNATURES], n = 0, i;
	uint64_t now = dns_now_ms();
	unsigned left;

	for (i = 0; i < v->nkeys; i++)
		if (!v->keys[i].asked) {
			idx[n] = i;
			names[n++] = v->keys[i].name;
			v->keys[i].asked = true;
		}
	if (n == 0)
		return;
	if (v->deadline_ms == 0)
		v->deadline_ms = now + v->lib->cfg.key_timeout_ms;
	left = v->deadline_ms > now ? (unsigned)(v->deadline_ms - now) : 0;
	out = calloc(n, sizeof(*out));
	for (i = 0; i < n; i++) {
		v->keys[idx[i]].ans.status = out == NULL ? DNS_ERROR : DNS_TIMEOUT;
		if (out != NULL)
			out[i].status = DNS_ERROR;	/* what the source leaves unfilled */
	}
	if (out == NULL || left == 0) {
		free(out);
		return;
	}
	(void)v->lib->cfg.lookup(v->lib->cfg.lookup_arg, names, n, left, out);
	for (i = 0; i < n; i++)
		v->keys[idx[i]].ans = out[i];	/* ownership moves to the slot */
	free(out);
}

/*
 * Pick the key record of an answer: the only record, or the only one that looks like
 * a key among several (RFC 6376 3.6.2.2 leaves several undefined). The joined text
 * (caller frees) or NULL with *why set.
 */
static char *
key_record(const struct dns_answer *a, size_t *lenp, const char **why)
{
	char *pick = NULL, *txt;
	size_t i, len, candidates = 0;

	if (a->count == 1)
		return dns_txt_join(&a->rrs[0], lenp);
	for (i = 0; i < a->count; i++) {
		txt = dns_txt_join(&a->rrs[i], &len);
		if (txt == NULL)
			continue;
		if (dkim_key_classify(txt, len) == DKIM_TXT_KEY && candidates++ == 0) {
			pick = txt;
			*lenp = len;
		} else {
			free(txt);
		}
	}
	if (candidates == 1)
		return pick;
	free(pick);
	*why = candidates > 1 ? "several key records (RFC 6376 3.6.2.2)" :
	    "no key record among the TXT records (RFC 6376 3.6.2.2)";
	return NULL;
}

/* FNV-1a of a record's text (the slot; the text itself decides a hit). */
static uint64_t
record_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

/* Bits and t=y of a record parsed before; false when not remembered. */
static bool
parsed_get(struct dkim_verify_lib *lib, const char *rec, size_t len, uint64_t h,
	   struct dkv_key *k)
{
	struct dkv_parsed *p = &lib->parsed[h % DKV_PARSED_SLOTS];
	bool hit;

	pthread_mutex_lock(&lib->parsed_lock);
	hit = p->record != NULL && p->hash == h && p->len == len &&
	    memcmp(p->record, rec, len) == 0;
	if (hit) {
		k->bits = p->bits;
		k->testing = p->testing;
		k->type = p->type;
		k->unsafe = p->unsafe;
	}
	pthread_mutex_unlock(&lib->parsed_lock);
	return hit;
}

/* Remember what the parse of a record said (replacing the slot's record). */
static void
parsed_put(struct dkim_verify_lib *lib, const char *rec, size_t len, uint64_t h,
	   const struct dkv_key *k)
{
	struct dkv_parsed *p = &lib->parsed[h % DKV_PARSED_SLOTS];
	char *copy = malloc(len + 1), *old;

	if (copy == NULL)
		return;
	memcpy(copy, rec, len);
	copy[len] = '\0';
	pthread_mutex_lock(&lib->parsed_lock);
	old = p->record;
	p->record = copy;
	p->len = len;
	p->hash = h;
	p->bits = k->bits;
	p->testing = k->testing;
	p->type = k->type;
	p->unsafe = k->unsafe;
	pthread_mutex_unlock(&lib->parsed_lock);
	free(old);
}

/* Free the remembered parsed records. */
void
dkv_parsed_clear(struct dkim_verify_lib *lib)
{
	size_t i;

	for (i = 0; i < DKV_PARSED_SLOTS; i++) {
		free(lib->parsed[i].record);
		lib->parsed[i].record = NULL;
	}
}

/* Settle a slot from its answer: outcome, reason, the record libopendkim gets. */
void
dkv_key_settle(struct dkim_verify_lib *lib, struct dkv_key *k)
{
	struct dkim_key parsed;
	const char *why = NULL;
	size_t len = 0;
	uint64_t h;

	k->settled = true;
	if (k->ans.status == DNS_NXDOMAIN || k->ans.status == DNS_NODATA) {
		k->outcome = DKV_KEY_NONE;
		snprintf(k->why, sizeof(k->why), "no key record: %s (RFC 6376 6.1.2)",
		    dns_status_str(k->ans.status));
		return;
	}
	if (k->ans.status != DNS_OK || k->ans.count == 0 || k->ans.rrs == NULL) {
		k->outcome = DKV_KEY_TEMP;
		snprintf(k->why, sizeof(k->why), "key lookup failed: %s (RFC 6376 6.1.2)",
		    k->ans.status == DNS_OK ? "empty answer" : dns_status_str(k->ans.status));
		return;
	}
	k->record = key_record(&k->ans, &len, &why);
	if (k->record == NULL) {
		k->outcome = DKV_KEY_UNUSABLE;
		snprintf(k->why, sizeof(k->why), "%s", why ? why : "out of memory");
		return;
	}
	if (len >= DKV_RECORD_MAX || memchr(k->record, '\0', len) != NULL) {
		k->outcome = DKV_KEY_UNUSABLE;
		snprintf(k->why, sizeof(k->why), "key record of %zu bytes unusable "
		    "(RFC 6376 3.6.1)", len);
		return;
	}
	/* Exact modulus size, t=y, unsafe numbers from our parser; libopendkim judges the rest. */
	h = record_hash(k->record, len);
	if (!parsed_get(lib, k->record, len, h, k)) {
		(void)dkim_key_parse(k->record, len, &parsed);
		k->bits = parsed.bits;
		k->testing = parsed.testing;
		k->type = parsed.type;
		k->unsafe = parsed.unsafe;
		parsed_put(lib, k->record, len, h, k);
	}
	if (k->unsafe != DKIM_KEY_SAFE) {
		k->outcome = DKV_KEY_UNUSABLE;
		snprintf(k->why, sizeof(k->why), "%s: not used to verify (RFC 8017 3.1)",
		    dkim_key_unsafe_word(k->unsafe));
		return;
	}
	k->outcome = DKV_KEY_FOUND;
}

