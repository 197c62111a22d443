/*
 * verify.h - one message's authentication: SPF of the connecting IP, the DKIM
 * results (from dkim_verify.c), DMARC on top of both; and the Authentication-Results
 * header value (RFC 8601) that says so.
 *
 *   verify_spf_dmarc()        SPF and DMARC in an evaluation context the caller makes
 *   posture_verify()          the same through the engine's resolver and cache (engine.c)
 *   posture_authres_value()   "authserv-id; spf=... smtp.mailfrom=...; dkim=...; dmarc=...;
 *                             arc=..." (arc= when the ARC chain was verified)
 *
 * SPF is our own evaluator (spf_eval.c), not libspf2 (ARCHITECTURE.md, Verification libraries: it aborts on internal
 * errors, has no void-lookup limit and passes any 127/8 client); DMARC alignment is
 * ours (dmarc_verify.c), not libopendmarc's.
 */
#ifndef POSTURE_VERIFY_H
#define POSTURE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verify/arc_verify.h"
#include "verify/dkim_verify.h"
#include "verify/dmarc_verify.h"
#include "posture.h"
#include "verify/spf_eval.h"

#define VERIFY_MAX_QUERIES 150	/* SPF's worst case is about 125 distinct questions */

struct verify_in {
	uint8_t ip[16];			/* client address */
	size_t iplen;			/* 4 or 16; 0: unknown (no SPF) */
	const char *helo;		/* HELO/EHLO argument, or NULL */
	const char *mail_from;		/* MAIL FROM path as given: "<a@b.example>", "<>" */
	const char *from_domain;	/* the single author domain (normalized), or NULL */
	unsigned nfrom_domains;		/* distinct author domains seen (0, 1, more) */
	const struct dkim_verify_results *dkim;	/* NULL: DKIM not verified */
	const struct arc_verify_results *arc;	/* NULL: ARC not verified (no arc= clause) */
	const char *const *trusted_sealers;	/* TrustedARCSealers (borrowed), may be NULL */
	size_t ntrusted_sealers;
};

struct verify_out {
	bool spf_done;
	struct spf_outcome spf;
	char spf_domain[256];		/* the identity checked (normalized) */
	bool spf_helo;			/* the HELO identity (null sender) */
	bool dmarc_done;
	struct dmarc_verify_result dmarc;
	const char *dmarc_skip;		/* static: why DMARC was not evaluated, or NULL */
	/*
	 * DMARC failed, the ARC chain passed and a trusted sealer's ARC-Authentication-
	 * Results vouch for the From domain (arc_verify_vouching): that sealer, else "".
	 * Only a comment ("arc override by ..."): the verdict stays fail.
	 */
	char arc_override[254];
};

/*
 * Make the evaluation context one message's lookups run in: domain names it (the
 * author's, else the SPF identity's), max_queries bounds it. NULL on OOM. The caller
 * of verify_spf_dmarc() owns what arg points to; verify_spf_dmarc() frees the context.
 */
typedef struct eval_ctx *(*verify_ctx_fn)(void *arg, const char *domain,
					   unsigned max_queries);

/* Verify SPF and DMARC in a context from make_ctx. 0, or -1 on OOM. */
int verify_spf_dmarc(const struct verify_in *in, struct verify_out *out,
		   verify_ctx_fn make_ctx, void *arg);

/*
 * Verify SPF and DMARC within timeout_ms (0: the engine's EvaluationTimeout), on the
 * engine's resolver and cache (engine.c: the engine wires verify_spf_dmarc() to itself).
 */
int posture_verify(struct posture_engine *eng, const struct verify_in *in,
		   struct verify_out *out, unsigned timeout_ms);

/*
 * The Authentication-Results value, folded like our other header, built only from
 * result words, validated names and fixed comments. NULL on OOM or a bad authserv-id.
 */
char *posture_authres_value(const struct verify_in *in, const struct verify_out *out,
			    const char *authserv_id);

/*
 * posture-check's view of the same verdicts (report_verify.c). authres is the value
 * posture_authres_value() made, or NULL. The caller frees the result; NULL on OOM.
 *   _json(): the "verification" object, {"spf": {...}, "dkim": [...], "dmarc": {...},
 *            "authentication_results": "<authres unfolded>"}, no newline; every
 *            string through the JSON escaper
 *   _text(): SPF, DKIM and DMARC lines and the header, wrapped to 80 columns
 */
char *posture_report_verification_json(const struct verify_in *in,
				       const struct verify_out *out, const char *authres);
char *posture_report_verification_text(const struct verify_in *in,
				       const struct verify_out *out, const char *authres);

#endif
