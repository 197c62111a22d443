/*
 * bimi_evidence.c - BIMI Evidence Documents (Mark Certificates); see bimi_evidence.h.
 *
 *   bimi_anchors_load() / _from_pem() / _free()   an X509_STORE of trust anchors
 *   bimi_evidence_check()                         every check of the header, in order
 *
 * OpenSSL 3 APIs only (X509_STORE_load_file, X509_self_signed, X509_check_host,
 * EVP_Decode*). The chain is verified with X509_V_FLAG_NO_CHECK_TIME so that an
 * expired certificate is reported as expired, not as "no chain"; the dates of the
 * chain are then checked one by one against the injected time.
 *
 * The logotype extension (RFC 3709 4.1) is DER: LogotypeExtn SEQUENCE { subjectLogo
 * [2] EXPLICIT LogotypeInfo { direct [0] LogotypeData { image SEQUENCE OF
 * LogotypeImage { LogotypeDetails { mediaType, logotypeHash, logotypeURI SEQUENCE OF
 * IA5String }}}}}. Issuers differ in the tags around it, so the walk is generic: every
 * constructed element is entered (depth at most DER_MAX_DEPTH) and the first
 * IA5String that is an image/svg+xml data: URL is the embedded logo.
 *
 * What can go wrong: any bytes are accepted; every DER length is checked by the
 * bounded reader; the base64 output is sized from the input (checked arithmetic);
 * OpenSSL's thread-local error queue is cleared before returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "record/bimi_evidence.h"
#include "record/bimi_svg.h"
#include "util/buf.h"
#include "record/taglist.h"
#include "util/strbuf.h"

#define DER_MAX_DEPTH	12
#define SEC_MC		"BIMI mark certificates"

struct bimi_anchors {
	X509_STORE *store;		/* owned */
};

/* The reason of OpenSSL's last error, or a default; the queue is cleared. */
static const char *
ossl_reason(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : dflt;
}

/* Load PEM trust anchors from a file. */
struct bimi_anchors *
bimi_anchors_load(const char *file, char *err, size_t errlen)
{
	struct bimi_anchors *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(a);
		return NULL;
	}
	if (X509_STORE_load_file(a->store, file) != 1 ||
	    sk_X509_OBJECT_num(X509_STORE_get0_objects(a->store)) == 0) {
		snprintf(err, errlen, "cannot load BIMI trust anchors from %s: %s", file,
		    ossl_reason("no PEM certificate in it"));
		bimi_anchors_free(a);
		return NULL;
	}
	ERR_clear_error();
	return a;
}

/* Load PEM trust anchors from memory. */
struct bimi_anchors *
bimi_anchors_from_pem(const void *pem, size_t len, char *err, size_t errlen)
{
	struct bimi_anchors *a = calloc(1, sizeof(*a));
	BIO *bio = NULL;
	X509 *x;
	int n = 0;

	if (a == NULL || (a->store = X509_STORE_new()) == NULL || len > INT32_MAX ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(a->store, x) == 1)
			n++;
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	if (n == 0) {
		snprintf(err, errlen, "no PEM certificate among the BIMI trust anchors");
		bimi_anchors_free(a);
		return NULL;
	}
	return a;
fail:
	BIO_free(bio);
	bimi_anchors_free(a);
	return NULL;
}

/* Free the anchors. */
void
bimi_anchors_free(struct bimi_anchors *anchors)
{
	if (anchors == NULL)
		return;
	X509_STORE_free(anchors->store);
	free(anchors);
}

/* Record a problem (counted always, kept while there is room). */
static void
add_problem(struct bimi_evidence_result *out, enum bimi_ev_issue issue, const char *text,
	    const char *reason)
{
	struct bimi_ev_problem *p;

	if (out->nproblems < BIMI_EVIDENCE_MAX_PROBLEMS) {
		p = &out->problems[out->nproblems];
		p->issue = issue;
		pt_sanitize(text, strlen(text), p->text, sizeof(p->text));
		p->reason = reason;
	}
	out->nproblems++;
}

/* Read the PEM certificates into a new stack (at most BIMI_EVIDENCE_MAX_CERTS). */
static STACK_OF(X509) *
read_certs(const void *pem, size_t len)
{
	STACK_OF(X509) *certs;
	BIO *bio;
	X509 *x;

	if (len > INT32_MAX || (certs = sk_X509_new_null()) == NULL)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		sk_X509_free(certs);
		return NULL;
	}
	while (sk_X509_num(certs) < BIMI_EVIDENCE_MAX_CERTS &&
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(certs, x) <= 0)
			X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return certs;
}

/* "YYYY-MM-DD" of an ASN1_TIME, or "?". */
static void
format_date(const ASN1_TIME *t, char *out, size_t outlen)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, outlen, "%Y-%m-%d", &tm) == 0)
		snprintf(out, outlen, "?");
}

/* The dates of one certificate against now; a problem each way. */
static void
check_dates(X509 *x, time_t now, bool is_leaf, struct bimi_evidence_result *out)
{
	char when[32], what[160], name[80];

	X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
	if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0) {
		format_date(X509_get0_notAfter(x), when, sizeof(when));
		snprintf(what, sizeof(what), "%s%s expired %s", is_leaf ? "" : "chain ",
		    is_leaf ? "the mark certificate" : name, when);
		add_problem(out, BIMI_EV_EXPIRED, what, "an expired certificate is not "
		    "evidence (" SEC_MC "; RFC 5280 4.1.2.5)");
	}
	if (X509_cmp_time(X509_get0_notBefore(x), &now) >= 0) {
		format_date(X509_get0_notBefore(x), when, sizeof(when));
		snprintf(what, sizeof(what), "%s not valid before %s",
		    is_leaf ? "the mark certificate" : name, when);
		add_problem(out, BIMI_EV_NOT_YET_VALID, what, "the certificate is not valid "
		    "yet (RFC 5280 4.1.2.5)");
	}
}

/* Verify the chain to the anchors; dates of the built chain checked after. */
static void
check_chain(X509 *leaf, STACK_OF(X509) *certs, const struct bimi_anchors *anchors,
	    time_t now, struct bimi_evidence_result *out)
{
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null(), *chain;
	int i, err;

	if (vctx == NULL || untrusted == NULL) {
		add_problem(out, BIMI_EV_INTERNAL, "", "out of memory");
		goto done;
	}
	for (i = 0; i < sk_X509_num(certs); i++)
		if (sk_X509_value(certs, i) != leaf)
			(void)sk_X509_push(untrusted, sk_X509_value(certs, i));
	if (X509_STORE_CTX_init(vctx, anchors->store, leaf, untrusted) != 1) {
		add_problem(out, BIMI_EV_INTERNAL, "", "out of memory");
		goto done;
	}
	X509_STORE_CTX_set_flags(vctx, X509_V_FLAG_NO_CHECK_TIME);
	out->chain_checked = true;
	if (X509_verify_cert(vctx) == 1) {
		out->chain_ok = true;
		chain = X509_STORE_CTX_get0_chain(vctx);
		for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
			check_dates(sk_X509_value(chain, i), now, i == 0, out);
	} else {
		err = X509_STORE_CTX_get_error(vctx);
		add_problem(out, BIMI_EV_CHAIN, X509_verify_cert_error_string(err),
		    "no chain to a configured mark-certificate trust anchor "
		    "(BIMITrustAnchors; " SEC_MC ")");
		check_dates(leaf, now, true, out);
	}
done:
	X509_STORE_CTX_free(vctx);
	sk_X509_free(untrusted);	/* the certificates belong to certs */
}

/* The BIMI extended key usage (1.3.6.1.5.5.7.3.31). */
static void
check_eku(X509 *leaf, struct bimi_evidence_result *out)
{
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *bimi, *o;
	char list[96] = "", one[48];
	bool found = false;
	int i, nid;

	eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, NULL, NULL);
	bimi = OBJ_txt2obj(BIMI_EKU_OID, 1);
	for (i = 0; eku != NULL && bimi != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		o = sk_ASN1_OBJECT_value(eku, i);
		if (OBJ_cmp(o, bimi) == 0)
			found = true;
		nid = OBJ_obj2nid(o);
		if (nid != NID_undef)
			snprintf(one, sizeof(one), "%s", OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(one, sizeof(one), o, 1) <= 0)
			snprintf(one, sizeof(one), "?");
		if (strlen(list) + strlen(one) + 2 < sizeof(list))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			    list[0] ? "," : "", one);
	}
	if (!found)
		add_problem(out, BIMI_EV_EKU, eku == NULL ? "no extended key usage" : list,
		    "the extended key usage lacks BIMI (1.3.6.1.5.5.7.3.31) (" SEC_MC ")");
	EXTENDED_KEY_USAGE_free(eku);
	ASN1_OBJECT_free(bimi);
}

/* One of the domains must be a DNS subject alternative name. */
static void
check_domain(X509 *leaf, const char *const *domains, size_t ndomains,
	     struct bimi_evidence_result *out)
{
	GENERAL_NAMES *sans;
	const GENERAL_NAME *gn;
	char list[96] = "", one[80], msg[400];
	size_t i;
	int j;

	for (i = 0; i < ndomains; i++)
		if (domains[i] != NULL && domains[i][0] != '\0' &&
		    X509_check_host(leaf, domains[i], strlen(domains[i]),
		    X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
		    NULL) == 1)
			return;
	sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (j = 0; sans != NULL && j < sk_GENERAL_NAME_num(sans); j++) {
		gn = sk_GENERAL_NAME_value(sans, j);
		if (gn->type != GEN_DNS)
			continue;
		pt_sanitize(ASN1_STRING_get0_data(gn->d.dNSName),
		    (size_t)ASN1_STRING_length(gn->d.dNSName), one, sizeof(one));
		if (strlen(list) + strlen(one) + 2 < sizeof(list))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			    list[0] ? "," : "", one);
	}
	GENERAL_NAMES_free(sans);
	snprintf(msg, sizeof(msg), "%s not in SAN %s", ndomains > 0 && domains[0] ?
	    domains[0] : "?", list[0] ? list : "(none)");
	add_problem(out, BIMI_EV_DOMAIN, msg, "the certificate does not name the domain "
	    "(" SEC_MC "; RFC 5280 4.2.1.6)");
}

/* Decode base64 (whitespace allowed) into a new buffer. */
static uint8_t *
base64_decode(const uint8_t *in, size_t len, size_t *outlen)
{
	EVP_ENCODE_CTX *ectx;
	uint8_t *out;
	int n = 0, m = 0;

	if (len > INT32_MAX / 2 || (out = malloc(len / 4 * 3 + 4)) == NULL)
		return NULL;
	ectx = EVP_ENCODE_CTX_new();
	if (ectx == NULL) {
		free(out);
		return NULL;
	}
	EVP_DecodeInit(ectx);
	if (EVP_DecodeUpdate(ectx, out, &n, in, (int)len) < 0 ||
	    EVP_DecodeFinal(ectx, out + n, &m) != 1) {
		EVP_ENCODE_CTX_free(ectx);
		free(out);
		return NULL;
	}
	EVP_ENCODE_CTX_free(ectx);
	*outlen = (size_t)n + (size_t)m;
	return out;
}

/* The value of a hex digit, or -1. */
static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode a data: URL's payload into a new buffer (RFC 3986 2.1). */
static uint8_t *
percent_decode(const uint8_t *in, size_t len, size_t *outlen)
{
	uint8_t *out = malloc(len + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (in[i] == '%' && len - i > 2 && hex_value(in[i + 1]) >= 0 &&
		    hex_value(in[i + 2]) >= 0) {
			out[o++] = (uint8_t)(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	*outlen = o;
	return out;
}

/* If s is an image/svg+xml data: URL, its decoded payload (new buffer); else NULL. */
static uint8_t *
data_url_payload(const uint8_t *s, size_t len, size_t *outlen)
{
	size_t comma, mt;

	if (len < 5 || !taglist_bytes_ieq(s, 5, "data:"))
		return NULL;
	for (comma = 5; comma < len && s[comma] != ','; comma++)
		;
	for (mt = 5; mt < comma && s[mt] != ';'; mt++)
		;
	if (comma == len || mt - 5 != 13 || !taglist_bytes_ieq(s + 5, 13, "image/svg+xml"))
		return NULL;
	if (comma - mt >= 7 && taglist_bytes_ieq(s + comma - 7, 7, ";base64"))
		return base64_decode(s + comma + 1, len - comma - 1, outlen);
	return percent_decode(s + comma + 1, len - comma - 1, outlen);
}

/* Read one DER TLV (low tag numbers, definite lengths up to 4 bytes). */
static int
der_next(struct pt_buf *b, uint8_t *tag, const uint8_t **body, size_t *blen)
{
	uint8_t t, l, byte;
	size_t len = 0, i;

	if (pt_buf_u8(b, &t) < 0 || (t & 0x1f) == 0x1f || pt_buf_u8(b, &l) < 0)
		return -1;
	if (l & 0x80) {
		if ((l & 0x7f) == 0 || (l & 0x7f) > 4)
			return -1;
		for (i = 0; i < (size_t)(l & 0x7f); i++) {
			if (pt_buf_u8(b, &byte) < 0)
				return -1;
			len = len << 8 | byte;
		}
	} else {
		len = l;
	}
	if (pt_buf_take(b, len, body) < 0)
		return -1;
	*tag = t;
	*blen = len;
	return 0;
}

/* Find the first SVG data: URL in DER; its payload (new buffer) or NULL. */
static uint8_t *
der_find_svg(const uint8_t *der, size_t len, unsigned depth, size_t *outlen)
{
	struct pt_buf b;
	const uint8_t *body;
	uint8_t tag, *found;
	size_t blen;

	if (depth > DER_MAX_DEPTH)
		return NULL;
	pt_buf_init(&b, der, len);
	while (pt_buf_remaining(&b) > 0 && der_next(&b, &tag, &body, &blen) == 0) {
		if (tag & 0x20)
			found = der_find_svg(body, blen, depth + 1, outlen);
		else if (tag == 0x16)	/* IA5String: logotypeURI */
			found = data_url_payload(body, blen, outlen);
		else
			found = NULL;
		if (found != NULL)
			return found;
	}
	return NULL;
}

/* The logotype extension's SVG against the l= logo (both gunzipped). */
static void
check_logo(X509 *leaf, const uint8_t *logo, size_t logo_len,
	   struct bimi_evidence_result *out)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(BIMI_LOGOTYPE_OID, 1);
	const ASN1_OCTET_STRING *os;
	uint8_t *raw = NULL, *embedded = NULL, *given = NULL;
	size_t raw_len = 0, emb_len = 0, given_len = 0;
	char what[96];
	int idx;

	idx = obj != NULL ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
	ASN1_OBJECT_free(obj);
	if (idx < 0 || (os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx))) == NULL) {
		add_problem(out, BIMI_EV_NO_LOGO, "no logotype extension", "the certificate "
		    "embeds no logo (RFC 3709; " SEC_MC ")");
		return;
	}
	raw = der_find_svg(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os), 0,
	    &raw_len);
	if (raw == NULL || bimi_svg_decode(raw, raw_len, BIMI_SVG_MAX_BYTES, &embedded,
	    &emb_len) != 0) {
		add_problem(out, BIMI_EV_NO_LOGO, raw == NULL ? "no image/svg+xml data: URL" :
		    "undecodable or over 32 KiB", "the logotype extension holds no usable SVG "
		    "logo (RFC 3709; RFC 6170 5.2)");
		goto done;
	}
	out->logo_found = true;
	if (logo == NULL || bimi_svg_decode(logo, logo_len, BIMI_SVG_MAX_BYTES, &given,
	    &given_len) != 0)
		goto done;	/* no usable l= logo: its own findings say why */
	out->logo_compared = true;
	if (emb_len != given_len || memcmp(embedded, given, emb_len) != 0) {
		snprintf(what, sizeof(what), "embedded %zu bytes, l= logo %zu bytes", emb_len,
		    given_len);
		add_problem(out, BIMI_EV_LOGO_DIFFERS, what, "the certificate's logo is not "
		    "the l= logo (BIMI draft 7.9)");
	}
done:
	free(raw);
	free(embedded);
	free(given);
}

/* The mark certificate: the first that is not a CA, else the first. */
static X509 *
pick_leaf(STACK_OF(X509) *certs)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++)
		if (X509_check_ca(sk_X509_value(certs, i)) == 0)
			return sk_X509_value(certs, i);
	return sk_X509_value(certs, 0);
}

/* Judge an evidence document. */
int
bimi_evidence_check(const void *pem, size_t len, const char *const *domains,
		    size_t ndomains, const uint8_t *logo, size_t logo_len,
		    const struct bimi_anchors *anchors, time_t now,
		    struct bimi_evidence_result *out)
{
	STACK_OF(X509) *certs;
	X509 *leaf;
	char name[256];
	bool self_signed;

	memset(out, 0, sizeof(*out));
	certs = read_certs(pem, len);
	if (certs == NULL) {
		add_problem(out, BIMI_EV_INTERNAL, "", "out of memory");
		goto done;
	}
	out->ncerts = (size_t)sk_X509_num(certs);
	if (out->ncerts == 0) {
		add_problem(out, BIMI_EV_NOT_PEM, "no PEM certificate", "the evidence document "
		    "is not a PEM mark certificate (" SEC_MC ")");
		goto done;
	}
	leaf = pick_leaf(certs);
	X509_NAME_oneline(X509_get_subject_name(leaf), name, sizeof(name));
	pt_sanitize(name, strlen(name), out->subject, sizeof(out->subject));
	format_date(X509_get0_notAfter(leaf), out->not_after, sizeof(out->not_after));
	self_signed = X509_self_signed(leaf, 1) == 1;
	if (self_signed)
		add_problem(out, BIMI_EV_SELF_SIGNED, out->subject, "the mark certificate is "
		    "self-signed: no Mark Verifying Authority issued it (" SEC_MC ")");
	/* A self-signed one cannot chain: one problem says it, not two. */
	if (anchors != NULL && !self_signed)
		check_chain(leaf, certs, anchors, now, out);
	else
		check_dates(leaf, now, true, out);
	check_eku(leaf, out);
	check_domain(leaf, domains, ndomains, out);
	check_logo(leaf, logo, logo_len, out);
done:
	if (certs != NULL)
		sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	out->valid = out->nproblems == 0;
	return out->valid ? 0 : -1;
}
