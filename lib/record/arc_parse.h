/*
 * arc_parse.h - the three ARC header fields of RFC 8617 (ARC-Seal, ARC-Message-Signature,
 * ARC-Authentication-Results) read into structs: bytes in, struct out, no I/O.
 *
 *   arc_field_kind_of()  which ARC field a header name is (case-insensitive), or none
 *   arc_sig_parse()      an ARC-Seal or ARC-Message-Signature value (tag list, RFC 8617
 *                        4.1.2 and 4.1.3 on RFC 6376 3.5): i=, a=, b=, bh=, c=, cv=,
 *                        d=, s=, h=, t=, l=; where b='s value sits, so a verifier can
 *                        empty it (RFC 6376 3.7)
 *   arc_aar_parse()      an ARC-Authentication-Results value (RFC 8617 4.1.1):
 *                        "i=N;" then an RFC 8601 payload, of which we keep the passes
 *                        that let a sealer vouch for a message: dmarc=pass header.from=,
 *                        dkim=pass header.d=, spf=pass smtp.mailfrom=
 *
 * The tag list is record/taglist.c's (case-sensitive names, RFC 6376 3.2); a duplicate
 * tag, a malformed tag-spec, an AMS whose h= lists ARC-Seal (RFC 8617 4.1.2), an instance outside 1..ARC_MAX_INSTANCES or with leading
 * zeros, a missing required tag or a cv= other than none/pass/fail sets err (the field
 * is then unusable, RFC 8617 5.2 makes the chain fail). Strings are copied sanitized
 * (printable ASCII, others '?') and cut to their buffers; b=, bh= and h= are borrowed
 * pointers into the caller's bytes, which must outlive the struct.
 *
 * What can go wrong: any bytes, any length. Every loop is bounded by the length given;
 * values longer than ARC_FIELD_MAX bytes are refused unread (err), so a seal of
 * megabytes costs one comparison.
 */
#ifndef POSTURE_ARC_PARSE_H
#define POSTURE_ARC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARC_MAX_INSTANCES	50	/* RFC 8617 4.2.1 */
#define ARC_FIELD_MAX		8192	/* bytes of one ARC field value read at most */
#define ARC_AAR_MAX_PASSES	8	/* passes kept from one ARC-Authentication-Results */

enum arc_field_kind { ARC_FIELD_NONE, ARC_FIELD_SEAL, ARC_FIELD_AMS, ARC_FIELD_AAR };

enum arc_cv { ARC_CV_MISSING, ARC_CV_NONE, ARC_CV_PASS, ARC_CV_FAIL };

enum arc_canon { ARC_CANON_SIMPLE, ARC_CANON_RELAXED };

/* An ARC-Seal or ARC-Message-Signature. */
struct arc_sig {
	enum arc_field_kind kind;
	unsigned instance;		/* i=, 1..50; 0 when missing or invalid */
	char err[96];			/* why the field is unusable, or "" */
	char a[32];			/* a=, sanitized */
	char d[254];			/* d=, sanitized, as written */
	char s[64];			/* s=, sanitized */
	enum arc_cv cv;			/* cv= (ARC-Seal) */
	enum arc_canon canon_header, canon_body;	/* c= (AMS); absent: relaxed/relaxed,
					 * as dkimpy and the ARC test suite read it
					 * (DKIM's default would be simple/simple) */
	const uint8_t *b, *bh, *h;	/* borrowed values (FWS inside kept) */
	size_t b_len, bh_len, h_len;
	size_t b_start, b_end;		/* bytes to delete for the hash: after "b=" to the
					 * end of its value (RFC 6376 3.7; as dkimpy does) */
	bool has_t;
	uint64_t t;			/* t=, seconds */
	bool has_l;			/* l= present (not supported: the AMS fails) */
};

/* One pass recorded by an ARC-Authentication-Results. */
enum arc_aar_method { ARC_AAR_DMARC, ARC_AAR_DKIM, ARC_AAR_SPF };

struct arc_aar_pass {
	enum arc_aar_method method;
	char domain[254];		/* header.from / header.d / domain of smtp.mailfrom,
					 * lower case, sanitized; "" when absent */
};

struct arc_aar {
	unsigned instance;		/* i=, 1..50; 0 when missing or invalid */
	char err[96];			/* why the field is unusable, or "" */
	char authserv_id[64];		/* sanitized, cut */
	size_t npasses;
	struct arc_aar_pass passes[ARC_AAR_MAX_PASSES];
};

/* Which ARC field the n bytes of name are (ignoring ASCII case), or ARC_FIELD_NONE. */
enum arc_field_kind arc_field_kind_of(const char *name, size_t n);

/*
 * Read len bytes of an ARC-Seal (kind ARC_FIELD_SEAL) or ARC-Message-Signature
 * (ARC_FIELD_AMS) value into out (fully overwritten). Returns 0 when usable, -1 with
 * out->err set otherwise (the fields read are still filled).
 */
int arc_sig_parse(enum arc_field_kind kind, const void *value, size_t len,
		  struct arc_sig *out);

/* Read an ARC-Authentication-Results value; 0, or -1 with out->err set. */
int arc_aar_parse(const void *value, size_t len, struct arc_aar *out);

/* "none", "pass", "fail", "" for a missing cv=. */
const char *arc_cv_word(enum arc_cv cv);

#endif
