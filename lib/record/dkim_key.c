/*
 * dkim_key.c - DKIM key records (RFC 6376 3.6.1, RFC 8301, RFC 8463); see dkim_key.h.
 *
 * The record is split by the tag-list parser (taglist.c, case-sensitive names as RFC
 * 6376 3.2 says); each known tag's value is read with length-checked loops over the
 * borrowed slice. p= is stripped of folding white space, checked byte by byte against
 * the base64 alphabet (so every rejection names the byte and its offset), padded when
 * the padding is missing, and decoded with OpenSSL's EVP_DecodeBlock; the key is then
 * read with d2i_PUBKEY (SubjectPublicKeyInfo), d2i_PublicKey (bare RSAPublicKey) or
 * EVP_PKEY_new_raw_public_key (Ed25519). OpenSSL 3 API only: no deprecated RSA_* calls.
 * An RSA key OpenSSL read has its modulus and exponent read once more, with their signs,
 * through OpenSSL's generic DER parser (d2i_ASN1_SEQUENCE_ANY), and judged (RFC 8017 3.1).
 *
 * What can go wrong: any bytes are accepted; the only allocations are the two p=
 * buffers (bounded by DKIM_KEY_MAX_P) and OpenSSL's key objects, all freed on the one
 * exit path of each function. OpenSSL's error queue is cleared after every attempt to
 * read a key, so a failed d2i leaves nothing behind for the caller's thread.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "util/ascii.h"
#include "record/dkim_key.h"
#include "record/taglist.h"
#include "util/strbuf.h"

#define RFC_KEY		"RFC 6376 3.6.1"
#define RFC_TAGLIST	"RFC 6376 3.2"
#define RFC_ED25519	"RFC 8463 4.2"
#define RFC_RSA		"RFC 8017 3.1"

/* Add a problem; reason is formatted here from validated or sanitized pieces only. */
static void __attribute__((format(printf, 6, 7)))
add_problem(struct dkim_key *key, enum dkim_key_psev sev, const char *tag,
	    const void *value, size_t vlen, const char *fmt, ...)
{
	struct dkim_key_problem *pr;
	va_list ap;

	if (key->nproblems < DKIM_KEY_MAX_PROBLEMS) {
		pr = &key->problems[key->nproblems];
		pr->sev = sev;
		pt_sanitize(tag, tag ? strlen(tag) : 0, pr->tag, sizeof(pr->tag));
		pt_sanitize(value, value ? vlen : 0, pr->value, sizeof(pr->value));
		va_start(ap, fmt);
		vsnprintf(pr->reason, sizeof(pr->reason), fmt, ap);
		va_end(ap);
		pr->rfc = RFC_KEY;
	}
	key->nproblems++;
}

/* Set the RFC section of the problem just added (when it was kept). */
static void
problem_rfc(struct dkim_key *key, const char *rfc)
{
	if (key->nproblems > 0 && key->nproblems <= DKIM_KEY_MAX_PROBLEMS)
		key->problems[key->nproblems - 1].rfc = rfc;
}

/* Whether the value of tag t starts with "DKIM" (any case): a versioned key record. */
static bool
v_says_dkim(const struct taglist_tag *t)
{
	return t != NULL && t->value_len >= 4 && taglist_bytes_ieq(t->value, 4, "DKIM");
}

/* Whether a parsed tag list is a key record candidate. */
static bool
list_is_key(const struct taglist *tl)
{
	return taglist_find(tl, "p") != NULL || taglist_find(tl, "k") != NULL ||
	    v_says_dkim(taglist_find(tl, "v"));
}

/* Classify a joined TXT record. */
enum dkim_txt_kind
dkim_key_classify(const void *data, size_t len)
{
	struct taglist tl;

	(void)taglist_parse(data, len, 0, &tl);
	return list_is_key(&tl) ? DKIM_TXT_KEY : DKIM_TXT_OTHER;
}

/* Words for messages. */
const char *
dkim_key_type_word(enum dkim_key_type type)
{
	switch (type) {
	case DKIM_KEY_TYPE_RSA:
		return "rsa";
	case DKIM_KEY_TYPE_ED25519:
		return "ed25519";
	case DKIM_KEY_TYPE_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *
dkim_key_form_word(enum dkim_key_form form)
{
	switch (form) {
	case DKIM_KEY_FORM_SPKI:
		return "SubjectPublicKeyInfo";
	case DKIM_KEY_FORM_RSAPUBLICKEY:
		return "RSAPublicKey";
	case DKIM_KEY_FORM_RAW:
		return "raw";
	case DKIM_KEY_FORM_NONE:
		break;
	}
	return "none";
}

/* Fixed comments for verifiers (Authentication-Results): never key bytes. */
const char *
dkim_key_unsafe_word(enum dkim_key_unsafe why)
{
	switch (why) {
	case DKIM_KEY_UNSAFE_N_NOT_POSITIVE:
		return "unsafe key: modulus not positive";
	case DKIM_KEY_UNSAFE_N_EVEN:
		return "unsafe key: even modulus";
	case DKIM_KEY_UNSAFE_E_NOT_POSITIVE:
		return "unsafe key: exponent not positive";
	case DKIM_KEY_UNSAFE_E_ONE:
		return "unsafe key: exponent 1";
	case DKIM_KEY_UNSAFE_E_EVEN:
		return "unsafe key: even exponent";
	case DKIM_KEY_UNSAFE_E_NOT_BELOW_N:
		return "unsafe key: exponent not below modulus";
	case DKIM_KEY_SAFE:
		break;
	}
	return "";
}

/* Tag-list errors (RFC 6376 3.2): each one a problem naming the bytes at its offset. */
static void
report_taglist_errors(struct dkim_key *key, const struct taglist *tl, const uint8_t *data,
		      size_t len)
{
	const struct taglist_error *e;
	const struct taglist_tag *t;
	enum dkim_key_psev sev;
	size_t i, n, last_bad = TAGLIST_MAX_TAGS;
	char tag[12];

	for (i = 0; i < tl->nerrors && i < TAGLIST_MAX_ERRORS; i++) {
		e = &tl->errors[i];
		t = e->tag < tl->count ? &tl->tags[e->tag] : NULL;
		if (e->code == TL_ERR_BAD_VALUE_BYTE && t != NULL) {
			/* one problem per value; p= bytes are named by the base64 check */
			if (e->tag == last_bad || taglist_name_is(tl, t, "p"))
				continue;
			last_bad = e->tag;
		}
		sev = DKIM_KEY_PSEV_ERROR;
		if (e->code == TL_ERR_EMPTY_TAG)
			sev = DKIM_KEY_PSEV_WARN;	/* ";;": tolerated by verifiers in practice */
		if (e->code == TL_ERR_BAD_VALUE_BYTE && t != NULL &&
		    taglist_name_is(tl, t, "n"))
			sev = DKIM_KEY_PSEV_WARN;	/* notes: verifiers ignore them */
		tag[0] = '\0';
		if (t != NULL)
			pt_sanitize(t->name, t->name_len, tag, sizeof(tag));
		if (e->code == TL_ERR_DUPLICATE && t != NULL) {
			add_problem(key, sev, tag, t->value, t->value_len,
			    "the tag occurs twice, which makes the whole record invalid");
		} else if (t != NULL) {
			add_problem(key, sev, tag, t->value, t->value_len, "%s at byte %zu",
			    e->reason, e->pos);
		} else {
			n = e->pos < len ? len - e->pos : 0;
			add_problem(key, sev, "", n ? data + e->pos : NULL, n > 16 ? 16 : n,
			    "%s at byte %zu", e->reason, e->pos);
		}
		problem_rfc(key, RFC_TAGLIST);
	}
	if (tl->nerrors > TAGLIST_MAX_ERRORS)
		add_problem(key, DKIM_KEY_PSEV_ERROR, "", NULL, 0,
		    "%zu more tag-list errors", tl->nerrors - TAGLIST_MAX_ERRORS);
}

/* Whether c may appear in a hyphenated-word (RFC 6376 2.10): ALPHA / DIGIT / "-". */
static bool
is_word_byte(uint8_t c)
{
	return ascii_is_ldh(c);
}

/* Whether n bytes at p are a hyphenated-word: ALPHA [*(ALPHA/DIGIT/"-") (ALPHA/DIGIT)]. */
static bool
is_hyphenated_word(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || !ascii_is_alpha(p[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_word_byte(p[i]))
			return false;
	return p[n - 1] != '-';
}

/* Folding white space bytes inside a value (taglist.c already checked the CRLF form). */
static bool
is_fws_byte(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The next element of a colon-separated list ([FWS] ":" [FWS] between elements).
 * *pos starts at 0; false once the list is exhausted. An empty value is one empty
 * element, so an empty list is reported like any empty element.
 */
static bool
list_next(const uint8_t *v, size_t n, size_t *pos, const uint8_t **elem, size_t *elen)
{
	size_t start, end;

	if (*pos > n)
		return false;
	start = *pos;
	end = start;
	while (end < n && v[end] != ':')
		end++;
	*pos = end + 1;
	while (start < end && is_fws_byte(v[start]))
		start++;
	while (end > start && is_fws_byte(v[end - 1]))
		end--;
	*elem = v + start;
	*elen = end - start;
	return true;
}

/* A malformed list element: one problem per list (the first bad element). */
static bool
check_element(struct dkim_key *key, const char *tag, const uint8_t *e, size_t n,
	      bool star_ok, bool *reported)
{
	if (is_hyphenated_word(e, n) || (star_ok && n == 1 && e[0] == '*'))
		return true;
	if (!*reported)
		add_problem(key, DKIM_KEY_PSEV_ERROR, tag, e, n, "%s",
		    n == 0 ? "empty element in a colon-separated list" :
		    "list element is not a hyphenated word");
	*reported = true;
	return false;
}

/* h=: acceptable hash algorithms; sha1 alone is unusable under RFC 8301 3.1. */
static void
parse_h(struct dkim_key *key, const struct taglist_tag *t)
{
	bool sha1 = false, sha256 = false, bad = false;
	const uint8_t *e;
	size_t pos = 0, n;

	pt_sanitize(t->value, t->value_len, key->h_text, sizeof(key->h_text));
	while (list_next(t->value, t->value_len, &pos, &e, &n)) {
		if (!check_element(key, "h", e, n, false, &bad))
			continue;
		if (taglist_bytes_ieq(e, n, "sha1"))
			sha1 = true;
		else if (taglist_bytes_ieq(e, n, "sha256"))
			sha256 = true;
		/* unrecognized algorithms MUST be ignored (RFC 6376 3.6.1) */
	}
	key->sha1_only = sha1 && !sha256;
	key->no_known_hash = !sha1 && !sha256;
	if (key->no_known_hash && !bad)
		add_problem(key, DKIM_KEY_PSEV_ERROR, "h", t->value, t->value_len,
		    "lists no hash algorithm a verifier knows (sha256, sha1): no signature "
		    "can verify");
}

/* s=: service types; the record is for mail only with "*" or "email". */
static void
parse_s(struct dkim_key *key, const struct taglist_tag *t)
{
	bool email = false, bad = false;
	const uint8_t *e;
	size_t pos = 0, n;

	pt_sanitize(t->value, t->value_len, key->s_text, sizeof(key->s_text));
	while (list_next(t->value, t->value_len, &pos, &e, &n)) {
		if (!check_element(key, "s", e, n, true, &bad))
			continue;
		if ((n == 1 && e[0] == '*') || taglist_bytes_ieq(e, n, "email"))
			email = true;
	}
	key->not_email = !email;
}

/* t=: flags; y (testing) and s (strict), others ignored (RFC 6376 3.6.1). */
static void
parse_t(struct dkim_key *key, const struct taglist_tag *t)
{
	bool bad = false;
	const uint8_t *e;
	size_t pos = 0, n;

	while (list_next(t->value, t->value_len, &pos, &e, &n)) {
		if (!check_element(key, "t", e, n, false, &bad))
			continue;
		if (taglist_bytes_ieq(e, n, "y"))
			key->testing = true;
		else if (taglist_bytes_ieq(e, n, "s"))
			key->strict = true;
	}
}

/* k=: the key type. */
static void
parse_k(struct dkim_key *key, const struct taglist_tag *t)
{
	pt_sanitize(t->value, t->value_len, key->k_text, sizeof(key->k_text));
	if (taglist_bytes_ieq(t->value, t->value_len, "rsa"))
		key->type = DKIM_KEY_TYPE_RSA;
	else if (taglist_bytes_ieq(t->value, t->value_len, "ed25519"))
		key->type = DKIM_KEY_TYPE_ED25519;
	else
		key->type = DKIM_KEY_TYPE_UNKNOWN;	/* "MUST be ignored": the key is unusable */
}

/* A base64 alphabet byte (RFC 2045 6.8, without "="). */
static bool
is_b64(uint8_t c)
{
	return ascii_is_alnum(c) || c == '+' || c == '/';
}

/* The OpenSSL name of a key's type, for messages (static in OpenSSL). */
static const char *
pkey_type_name(const EVP_PKEY *pk)
{
	const char *name = EVP_PKEY_get0_type_name(pk);

	if (name == NULL)
		name = OBJ_nid2sn(EVP_PKEY_get_base_id(pk));
	return name != NULL ? name : "unknown";
}

/*
 * The modulus and exponent of an RSAPublicKey (RFC 8017 A.1.1) as signed numbers
 * (caller frees both); -1, nothing allocated, when the DER is no SEQUENCE of two INTEGERs.
 */
static int
rsa_numbers(const uint8_t *der, size_t len, BIGNUM **n, BIGNUM **e)
{
	const unsigned char *q = der;
	STACK_OF(ASN1_TYPE) *seq;
	const ASN1_TYPE *tn, *te;
	int rc = -1;

	*n = *e = NULL;
	if (len > LONG_MAX)
		return -1;
	seq = d2i_ASN1_SEQUENCE_ANY(NULL, &q, (long)len);
	if (seq == NULL || sk_ASN1_TYPE_num(seq) != 2)
		goto done;
	tn = sk_ASN1_TYPE_value(seq, 0);
	te = sk_ASN1_TYPE_value(seq, 1);
	/* a negative INTEGER keeps type V_ASN1_INTEGER; the sign is in value.integer */
	if (tn->type != V_ASN1_INTEGER || te->type != V_ASN1_INTEGER)
		goto done;
	*n = ASN1_INTEGER_to_BN(tn->value.integer, NULL);
	*e = ASN1_INTEGER_to_BN(te->value.integer, NULL);
	if (*n != NULL && *e != NULL) {
		rc = 0;
	} else {
		BN_free(*n);
		BN_free(*e);
		*n = *e = NULL;
	}
done:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return rc;
}

/* The same from a SubjectPublicKeyInfo: the RSAPublicKey is its BIT STRING. */
static int
spki_rsa_numbers(const uint8_t *der, size_t len, BIGNUM **n, BIGNUM **e)
{
	const unsigned char *q = der, *pub = NULL;
	X509_PUBKEY *xpk;
	int publen = 0, rc = -1;

	*n = *e = NULL;
	if (len > LONG_MAX)
		return -1;
	xpk = d2i_X509_PUBKEY(NULL, &q, (long)len);
	if (xpk != NULL && X509_PUBKEY_get0_param(NULL, &pub, &publen, NULL, xpk) == 1 &&
	    pub != NULL && publen > 0)
		rc = rsa_numbers(pub, (size_t)publen, n, e);
	X509_PUBKEY_free(xpk);
	return rc;
}

/* Why RSA numbers must not be used to verify (RFC 8017 3.1), or DKIM_KEY_SAFE. */
static enum dkim_key_unsafe
rsa_unsafe(const BIGNUM *n, const BIGNUM *e)
{
	if (BN_is_zero(n) || BN_is_negative(n))
		return DKIM_KEY_UNSAFE_N_NOT_POSITIVE;
	if (!BN_is_odd(n))
		return DKIM_KEY_UNSAFE_N_EVEN;
	if (BN_is_zero(e) || BN_is_negative(e))
		return DKIM_KEY_UNSAFE_E_NOT_POSITIVE;
	if (BN_is_one(e))
		return DKIM_KEY_UNSAFE_E_ONE;
	if (!BN_is_odd(e))
		return DKIM_KEY_UNSAFE_E_EVEN;
	if (BN_cmp(e, n) >= 0)
		return DKIM_KEY_UNSAFE_E_NOT_BELOW_N;
	return DKIM_KEY_SAFE;
}

/* "name=value" for a message: the decimal value when it fits a word, else its size. */
static void
number_text(const char *name, const BIGNUM *b, char *out, size_t outlen)
{
	const char *sign = BN_is_negative(b) ? "-" : "";

	if (BN_num_bits(b) <= (int)(sizeof(BN_ULONG) * CHAR_BIT))
		snprintf(out, outlen, "%s=%s%llu", name, sign,
		    (unsigned long long)BN_get_word(b));
	else
		snprintf(out, outlen, "%s of %s%d bits", name, sign[0] ? "minus " : "",
		    BN_num_bits(b));
}

/*
 * Judge the numbers of an RSA key OpenSSL has read (der: an SPKI when spki, else an
 * RSAPublicKey). True when safe; otherwise an error problem is added and key->unsafe
 * says why.
 */
static bool
rsa_key_safe(struct dkim_key *key, const struct taglist_tag *p, const uint8_t *der,
	     size_t len, bool spki)
{
	BIGNUM *n = NULL, *e = NULL;
	char detail[48];
	int rc;

	rc = spki ? spki_rsa_numbers(der, len, &n, &e) : rsa_numbers(der, len, &n, &e);
	if (rc < 0) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "the RSA modulus and exponent could not be read");
		return false;
	}
	key->unsafe = rsa_unsafe(n, e);
	if (key->unsafe != DKIM_KEY_SAFE) {
		if (key->unsafe == DKIM_KEY_UNSAFE_N_NOT_POSITIVE ||
		    key->unsafe == DKIM_KEY_UNSAFE_N_EVEN)
			number_text("n", n, detail, sizeof(detail));
		else
			number_text("e", e, detail, sizeof(detail));
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "%s (%s; RSA wants odd n and e, 3 <= e < n): never used to verify",
		    dkim_key_unsafe_word(key->unsafe), detail);
		problem_rfc(key, RFC_RSA);
	}
	BN_free(n);
	BN_free(e);
	return key->unsafe == DKIM_KEY_SAFE;
}

/* Read an RSA key: SubjectPublicKeyInfo first, then a bare RSAPublicKey. */
static void
read_rsa(struct dkim_key *key, const struct taglist_tag *p, const uint8_t *der, size_t n,
	 EVP_PKEY **keep)
{
	const unsigned char *q = der;
	EVP_PKEY *pk;

	pk = d2i_PUBKEY(NULL, &q, (long)n);
	if (pk != NULL) {
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
			add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
			    "k=%s but the key is %s, not RSA: no signature can verify",
			    key->k_text[0] ? key->k_text : "rsa (default)", pkey_type_name(pk));
		} else if ((size_t)(q - der) != n) {
			add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
			    "%zu bytes follow the SubjectPublicKeyInfo", n - (size_t)(q - der));
		} else if (rsa_key_safe(key, p, der, n, true) && EVP_PKEY_get_bits(pk) > 0) {
			key->form = DKIM_KEY_FORM_SPKI;
			key->bits = (unsigned)EVP_PKEY_get_bits(pk);
		}
		goto done;
	}
	q = der;
	pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)n);
	if (pk != NULL && (size_t)(q - der) == n) {
		if (!rsa_key_safe(key, p, der, n, false) || EVP_PKEY_get_bits(pk) <= 0)
			goto done;
		key->form = DKIM_KEY_FORM_RSAPUBLICKEY;
		key->bits = (unsigned)EVP_PKEY_get_bits(pk);
		add_problem(key, DKIM_KEY_PSEV_WARN, "p", p->value, p->value_len,
		    "a bare RSAPublicKey, not a SubjectPublicKeyInfo: verifiers such as "
		    "OpenDKIM cannot read it");
	} else if (n == 32) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "32 bytes, the size of an Ed25519 key, but k=%s",
		    key->k_text[0] ? key->k_text : "rsa (default)");
		problem_rfc(key, RFC_ED25519);
	} else {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "%zu bytes that are neither a SubjectPublicKeyInfo nor an RSAPublicKey", n);
	}
done:
	if (keep != NULL && key->form != DKIM_KEY_FORM_NONE) {
		*keep = pk;
		pk = NULL;
	}
	EVP_PKEY_free(pk);
	ERR_clear_error();
}

/* Read an Ed25519 key: exactly 32 raw bytes (RFC 8463 4.2). */
static void
read_ed25519(struct dkim_key *key, const struct taglist_tag *p, const uint8_t *der,
	     size_t n, EVP_PKEY **keep)
{
	const unsigned char *q = der;
	EVP_PKEY *pk = NULL;

	if (n == 32) {
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, n);
		if (pk != NULL) {
			key->form = DKIM_KEY_FORM_RAW;
			key->bits = 256;
		} else {
			add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
			    "32 bytes that OpenSSL does not accept as an Ed25519 key");
			problem_rfc(key, RFC_ED25519);
		}
		goto done;
	}
	pk = d2i_PUBKEY(NULL, &q, (long)n);
	if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519)
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "an Ed25519 SubjectPublicKeyInfo; k=ed25519 wants the bare 32-byte key");
	else if (pk != NULL)
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "k=ed25519 but the key is %s (%d bits): no signature can verify",
		    pkey_type_name(pk), EVP_PKEY_get_bits(pk));
	else
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "%zu bytes; an Ed25519 key is 32 bytes", n);
	problem_rfc(key, RFC_ED25519);
done:
	if (keep != NULL && key->form != DKIM_KEY_FORM_NONE) {
		*keep = pk;
		pk = NULL;
	}
	EVP_PKEY_free(pk);
	ERR_clear_error();
}

/*
 * Strip FWS (WSP, CRLF WSP) from p= and check it is base64; out gets the compact text
 * padded to a multiple of 4 (room: value_len + 3). Returns the compact length, or 0 with a
 * problem added when the text is not base64. *pad gets the number of "=" (written
 * or added).
 */
static size_t
compact_base64(struct dkim_key *key, const struct taglist_tag *p, uint8_t *out, size_t *pad)
{
	const uint8_t *v = p->value;
	size_t i, o = 0, data = 0, eq = 0, first_eq = 0;
	char byte[8];

	for (i = 0; i < p->value_len; i++) {
		if (v[i] == ' ' || v[i] == '\t')
			continue;
		if (v[i] == '\r' && i + 2 < p->value_len && v[i + 1] == '\n' &&
		    (v[i + 2] == ' ' || v[i + 2] == '\t')) {
			i++;		/* FWS = CRLF WSP; a bare CR or LF is no base64 */
			continue;
		}
		if (v[i] == '=') {
			if (eq == 0)
				first_eq = i;
			eq++;
		} else if (!is_b64(v[i]) || eq > 0) {
			pt_sanitize(v + i, 1, byte, sizeof(byte));
			if (is_b64(v[i]))
				add_problem(key, DKIM_KEY_PSEV_ERROR, "p", v, p->value_len,
				    "'%s' at offset %zu follows the '=' padding at offset %zu",
				    byte, i, first_eq);
			else
				add_problem(key, DKIM_KEY_PSEV_ERROR, "p", v, p->value_len,
				    "'%s' at offset %zu is not a base64 character", byte, i);
			return 0;
		} else {
			data++;
		}
		out[o++] = v[i];
	}
	if (o == 0) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", v, p->value_len,
		    "only white space: not base64 and not an empty (revoked) value");
		return 0;
	}
	if (data % 4 == 1) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", v, p->value_len,
		    "%zu base64 characters cannot encode whole bytes", data);
		return 0;
	}
	if (eq > 0 && (eq > 2 || (data + eq) % 4 != 0)) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", v, p->value_len,
		    "%zu '=' after %zu base64 characters: %zu expected", eq, data,
		    (4 - data % 4) % 4);
		return 0;
	}
	if (eq == 0 && data % 4 != 0) {
		add_problem(key, DKIM_KEY_PSEV_WARN, "p", v, p->value_len,
		    "%zu base64 characters without the '=' padding (RFC 2045 6.8): "
		    "strict decoders reject it", data);
		while (o % 4 != 0) {
			out[o++] = '=';
			eq++;
		}
	}
	*pad = eq;
	return o;
}

/* p=: base64 key data; empty means revoked. Decoded, then read per the key type. */
static void
parse_p(struct dkim_key *key, const struct taglist_tag *p, EVP_PKEY **keep)
{
	uint8_t *b64 = NULL, *der = NULL;
	size_t n, pad = 0, dlen;
	int got;

	key->p_present = true;
	if (p->value_len == 0) {
		key->revoked = true;	/* RFC 6376 3.6.1 p=, 6.1.2 "key revoked" */
		return;
	}
	if (p->value_len > DKIM_KEY_MAX_P) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "%zu bytes, more than any key needs (%d): not read", p->value_len,
		    DKIM_KEY_MAX_P);
		return;
	}
	b64 = malloc(p->value_len + 4);
	der = malloc((p->value_len + 4) / 4 * 3 + 1);
	if (b64 == NULL || der == NULL) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", NULL, 0, "out of memory");
		goto done;
	}
	n = compact_base64(key, p, b64, &pad);
	if (n == 0)
		goto done;
	got = EVP_DecodeBlock(der, b64, (int)n);
	if (got < 0 || (size_t)got < pad) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "p", p->value, p->value_len,
		    "OpenSSL could not decode the base64");
		ERR_clear_error();
		goto done;
	}
	dlen = (size_t)got - pad;
	key->key_len = dlen;
	if (key->type == DKIM_KEY_TYPE_RSA)
		read_rsa(key, p, der, dlen, keep);
	else if (key->type == DKIM_KEY_TYPE_ED25519)
		read_ed25519(key, p, der, dlen, keep);
done:
	free(b64);
	free(der);
}

/* v=: optional; if present, the first tag and exactly "DKIM1" (RFC 6376 3.6.1). */
static void
check_v(struct dkim_key *key, const struct taglist *tl, const uint8_t *data, size_t len)
{
	const struct taglist_tag *v = taglist_find(tl, "v");
	size_t first = 0;

	if (v == NULL)
		return;
	while (first < len && is_fws_byte(data[first]))
		first++;		/* a malformed tag before v= is not in the list */
	if (v != &tl->tags[0] || v->name_pos != first)
		add_problem(key, DKIM_KEY_PSEV_ERROR, "v", v->value, v->value_len,
		    "v= is not the first tag: verifiers may discard the record");
	if (v->value_len != 5 || memcmp(v->value, "DKIM1", 5) != 0)
		add_problem(key, DKIM_KEY_PSEV_ERROR, "v", v->value, v->value_len,
		    "not \"DKIM1\": records of another version are discarded");
}

/* Whether a tag name is one RFC 6376 3.6.1 defines. */
static bool
known_tag(const struct taglist *tl, const struct taglist_tag *t)
{
	static const char *const names[] = { "v", "h", "k", "n", "p", "s", "t" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (taglist_name_is(tl, t, names[i]))
			return true;
	return false;
}

/* Parse one key record; keep (may be NULL) gets the key read, for a usable record. */
static int
key_parse(const void *data, size_t len, struct dkim_key *key, EVP_PKEY **keep)
{
	const struct taglist_tag *t;
	struct taglist *tl;
	char name[12];
	bool usable;
	size_t i;

	memset(key, 0, sizeof(*key));
	key->type = DKIM_KEY_TYPE_RSA;
	tl = malloc(sizeof(*tl));
	if (tl == NULL) {
		add_problem(key, DKIM_KEY_PSEV_ERROR, "", NULL, 0, "out of memory");
		return -1;
	}
	(void)taglist_parse(data, len, 0, tl);
	key->is_key = list_is_key(tl);
	if (!key->is_key) {
		free(tl);
		return -1;
	}
	report_taglist_errors(key, tl, data, len);
	check_v(key, tl, data, len);
	for (i = 0; i < tl->count; i++) {
		t = &tl->tags[i];
		if (t->duplicate || known_tag(tl, t))
			continue;
		pt_sanitize(t->name, t->name_len, name, sizeof(name));
		add_problem(key, DKIM_KEY_PSEV_INFO, name, t->value, t->value_len,
		    "unknown tag, ignored by verifiers");
		problem_rfc(key, RFC_TAGLIST);
	}
	if ((t = taglist_find(tl, "k")) != NULL)
		parse_k(key, t);
	if ((t = taglist_find(tl, "h")) != NULL)
		parse_h(key, t);
	if ((t = taglist_find(tl, "s")) != NULL)
		parse_s(key, t);
	if ((t = taglist_find(tl, "t")) != NULL)
		parse_t(key, t);
	if ((t = taglist_find(tl, "p")) != NULL)
		parse_p(key, t, keep);
	else
		add_problem(key, DKIM_KEY_PSEV_ERROR, "", NULL, 0,
		    "no p= tag: the key data is REQUIRED");
	free(tl);

	usable = key->type != DKIM_KEY_TYPE_UNKNOWN && !key->revoked &&
	    key->form != DKIM_KEY_FORM_NONE;
	for (i = 0; i < key->nproblems && i < DKIM_KEY_MAX_PROBLEMS; i++)
		if (key->problems[i].sev == DKIM_KEY_PSEV_ERROR)
			usable = false;
	if (key->nproblems > DKIM_KEY_MAX_PROBLEMS)
		usable = false;
	return usable ? 0 : -1;
}

/* Parse one key record. */
int
dkim_key_parse(const void *data, size_t len, struct dkim_key *key)
{
	return key_parse(data, len, key, NULL);
}

/* Parse one key record and hand over the key itself when the record is usable. */
int
dkim_key_parse_pkey(const void *data, size_t len, struct dkim_key *key,
		    struct evp_pkey_st **pkey)
{
	EVP_PKEY *pk = NULL;

	*pkey = NULL;
	if (key_parse(data, len, key, &pk) < 0) {
		EVP_PKEY_free(pk);
		return -1;
	}
	if (pk == NULL)
		return -1;
	*pkey = pk;
	return 0;
}
