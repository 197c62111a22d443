/*
 * bimi_evidence.h - a BIMI Evidence Document (a Mark Certificate in PEM, the a= URL of
 * a BIMI record) judged with OpenSSL 3; no I/O besides loading the trust anchors.
 *
 *   bimi_anchors_load()      the mark-certificate trust anchors of BIMITrustAnchors
 *   bimi_anchors_from_pem()  the same from memory (tests)
 *   bimi_anchors_free()
 *   bimi_evidence_check()    parse the PEM, verify, compare the embedded logo
 *
 * What is checked, each a problem of its own:
 *   - the document holds PEM certificates (at most BIMI_EVIDENCE_MAX_CERTS read); the
 *     mark certificate is the first one that is not a CA, else the first;
 *   - not self-signed (a Mark Verifying Authority issues mark certificates);
 *   - the chain from it, with the document's other certificates as untrusted
 *     intermediates, verifies to the configured trust anchors (X509_verify_cert).
 *     Without anchors the chain is NOT checked: chain_checked stays false and the
 *     caller must say so; it is never reported as passed;
 *   - extended key usage lists id-kp-BrandIndicatorforMessageIdentification
 *     (1.3.6.1.5.5.7.3.31);
 *   - notBefore <= now <= notAfter for every certificate of the verified chain (the
 *     mark certificate alone when no chain was built);
 *   - one of the given domains is a DNS subject alternative name (exact, no wildcard,
 *     the subject CN never consulted: X509_check_host);
 *   - the logotype extension (RFC 3709, 1.3.6.1.5.5.7.1.12) holds an image/svg+xml
 *     data: URL (base64, usually gzip'd: RFC 6170 5.2) whose SVG is byte-identical to
 *     the l= logo once both are gunzipped (BIMI draft 7.9). Without an l= logo
 *     (not fetched) that comparison is skipped (logo_compared false).
 *
 * What can go wrong: any bytes are accepted. The DER of the logotype extension is
 * walked with the bounded reader (buf.h), depth-limited; decoded logos are bounded by
 * BIMI_SVG_MAX_BYTES. OpenSSL's error queue is cleared before returning. Out of memory
 * is a problem ("out of memory"), never a crash. Anchors are read-only once loaded and
 * may be shared by threads (X509_STORE locks its own lookups).
 */
#ifndef POSTURE_BIMI_EVIDENCE_H
#define POSTURE_BIMI_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BIMI_EVIDENCE_MAX_BYTES	65536	/* fetch limit of the a= document */
#define BIMI_EVIDENCE_MAX_CERTS	16
#define BIMI_EVIDENCE_MAX_PROBLEMS 8
#define BIMI_EKU_OID		"1.3.6.1.5.5.7.3.31"
#define BIMI_LOGOTYPE_OID	"1.3.6.1.5.5.7.1.12"

struct bimi_anchors;

/* Load PEM trust anchors from file; NULL with a one-line reason in err. */
struct bimi_anchors *bimi_anchors_load(const char *file, char *err, size_t errlen);
/* The same from len bytes of PEM. */
struct bimi_anchors *bimi_anchors_from_pem(const void *pem, size_t len, char *err,
					   size_t errlen);
void bimi_anchors_free(struct bimi_anchors *anchors);

enum bimi_ev_issue {
	BIMI_EV_NOT_PEM,	/* no certificate in the document */
	BIMI_EV_SELF_SIGNED,
	BIMI_EV_CHAIN,		/* no chain to a trust anchor */
	BIMI_EV_EKU,		/* BIMI extended key usage missing */
	BIMI_EV_EXPIRED,	/* notAfter passed (or a chain certificate's) */
	BIMI_EV_NOT_YET_VALID,
	BIMI_EV_DOMAIN,		/* no SAN names the domain */
	BIMI_EV_NO_LOGO,	/* no SVG in the logotype extension */
	BIMI_EV_LOGO_DIFFERS,	/* the embedded SVG is not the l= logo */
	BIMI_EV_INTERNAL	/* out of memory */
};

struct bimi_ev_problem {
	enum bimi_ev_issue issue;
	char text[96];			/* detail, sanitized */
	const char *reason;		/* static, one line */
};

struct bimi_evidence_result {
	bool valid;			/* no problem */
	size_t ncerts;			/* certificates read */
	char subject[96];		/* the mark certificate's subject, sanitized */
	char not_after[32];		/* its notAfter, "YYYY-MM-DD" */
	bool chain_checked;		/* anchors configured and verification run */
	bool chain_ok;			/* ... and it succeeded */
	bool logo_found;		/* an SVG data: URL in the logotype extension */
	bool logo_compared;		/* compared with the l= logo */
	size_t nproblems;		/* all found, may exceed BIMI_EVIDENCE_MAX_PROBLEMS */
	struct bimi_ev_problem problems[BIMI_EVIDENCE_MAX_PROBLEMS];
};

/*
 * Judge len bytes of PEM. domains: names of which one must be a SAN (the record's
 * domain, the evaluated domain). logo: the l= logo as fetched (SVG or SVGZ), or NULL.
 * anchors: NULL when none are configured. now: the time to judge validity at.
 * Returns 0 when valid, -1 otherwise (out says why).
 */
int bimi_evidence_check(const void *pem, size_t len, const char *const *domains,
			size_t ndomains, const uint8_t *logo, size_t logo_len,
			const struct bimi_anchors *anchors, time_t now,
			struct bimi_evidence_result *out);

#endif
