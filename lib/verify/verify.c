/*
 * verify.c - SPF and DMARC for one message (see verify.h).
 *
 * Identities (RFC 7208 2.3, 2.4): the MAIL FROM domain; for the null reverse-path,
 * postmaster@HELO. A HELO that is not a valid domain name is not checked (result
 * none). DMARC needs exactly one author domain: none or several (RFC 7489 6.6.1) are
 * said in the header instead of guessed around.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/mail_addr.h"
#include "verify/verify.h"
#include "util/strbuf.h"

struct verify_run {
	const struct verify_in *in;
	struct verify_out *out;
	struct spf_request spf_req;
	char sender[600];
	bool want_spf, want_dmarc;
	struct dmarc_verify_input dmarc_in;
	char dkim_domains[DMARC_VERIFY_MAX_DKIM][256];
};

/* One pass over SPF then DMARC (DMARC needs the SPF result). */
static enum check_status
verify_step(struct eval_ctx *ctx, void *arg)
{
	struct verify_run *run = arg;

	if (run->want_spf &&
	    spf_check_host(ctx, &run->spf_req, &run->out->spf) == CHECK_PENDING)
		return CHECK_PENDING;
	if (!run->want_dmarc)
		return CHECK_DONE;
	run->dmarc_in.spf_pass = run->want_spf && run->out->spf.result == SPF_R_PASS;
	return dmarc_verify(ctx, &run->dmarc_in, &run->out->dmarc);
}

/* The SPF identity: MAIL FROM's domain, or the HELO name for "<>". */
static void
spf_identity(struct verify_run *run)
{
	const struct verify_in *in = run->in;
	struct verify_out *out = run->out;
	const char *why, *at;
	char norm[256];

	if (in->iplen != 4 && in->iplen != 16)
		return;
	if (in->mail_from != NULL &&
	    mail_addr_envelope_domain(in->mail_from, norm, sizeof(norm)) == 0) {
		pt_strlcpy(out->spf_domain, norm, sizeof(out->spf_domain));
		/* <sender>: the path without brackets (RFC 7208 4.1). */
		pt_strlcpy(run->sender, in->mail_from + (in->mail_from[0] == '<'),
		    sizeof(run->sender));
		if (run->sender[0] && run->sender[strlen(run->sender) - 1] == '>')
			run->sender[strlen(run->sender) - 1] = '\0';
		at = strrchr(run->sender, '@');
		if (at == NULL)
			return;
	} else if (in->helo != NULL &&
	    posture_name_normalize(in->helo, norm, sizeof(norm), &why) == 0 &&
	    strchr(norm, '.') != NULL) {
		pt_strlcpy(out->spf_domain, norm, sizeof(out->spf_domain));
		snprintf(run->sender, sizeof(run->sender), "postmaster@%s", norm);
		out->spf_helo = true;
	} else {
		return;
	}
	memcpy(run->spf_req.ip, in->ip, in->iplen);
	run->spf_req.iplen = in->iplen;
	run->spf_req.sender = run->sender;
	run->spf_req.domain = out->spf_domain;
	run->spf_req.helo = in->helo;
	run->want_spf = true;
}

/* DMARC's inputs: the author domain and the passing DKIM signatures' d=. */
static void
dmarc_inputs(struct verify_run *run)
{
	const struct verify_in *in = run->in;
	const char *why;
	size_t i;

	if (in->nfrom_domains != 1 || in->from_domain == NULL) {
		run->out->dmarc_skip = in->nfrom_domains == 0 ? "no author domain" :
		    "several author domains (RFC 7489 6.6.1)";
		return;
	}
	run->dmarc_in.from_domain = in->from_domain;
	run->dmarc_in.spf_domain = run->out->spf_domain[0] ? run->out->spf_domain : NULL;
	for (i = 0; in->dkim != NULL && i < in->dkim->nsigs; i++) {
		size_t n = run->dmarc_in.ndkim;

		if (n == DMARC_VERIFY_MAX_DKIM)
			break;
		if (in->dkim->sigs[i].result != DKIM_VERIFY_PASS ||
		    posture_name_normalize(in->dkim->sigs[i].domain, run->dkim_domains[n],
		    sizeof(run->dkim_domains[n]), &why) < 0)
			continue;
		run->dmarc_in.dkim_domains[n] = run->dkim_domains[n];
		run->dmarc_in.ndkim++;
	}
	run->want_dmarc = true;
}

/* A trusted sealer vouching for a message DMARC failed (TrustedARCSealers). */
static void
arc_override(const struct verify_in *in, struct verify_out *out)
{
	const char *who;

	out->arc_override[0] = '\0';
	if (!out->dmarc_done || out->dmarc.result != DMARC_V_FAIL || in->arc == NULL)
		return;
	who = arc_verify_vouching(in->arc, in->from_domain, in->trusted_sealers,
	    in->ntrusted_sealers);
	if (who != NULL)
		snprintf(out->arc_override, sizeof(out->arc_override), "%s", who);
}

/* Verify SPF and DMARC in a context that make_ctx gives. */
int
verify_spf_dmarc(const struct verify_in *in, struct verify_out *out,
	       verify_ctx_fn make_ctx, void *arg)
{
	struct verify_run *run;
	struct eval_ctx *ctx;
	enum check_status st;

	memset(out, 0, sizeof(*out));
	run = calloc(1, sizeof(*run));
	if (run == NULL)
		return -1;
	run->in = in;
	run->out = out;
	spf_identity(run);
	dmarc_inputs(run);
	if (!run->want_spf && !run->want_dmarc) {
		free(run);
		return 0;
	}
	ctx = make_ctx(arg, in->from_domain ? in->from_domain : out->spf_domain,
	    VERIFY_MAX_QUERIES);
	if (ctx == NULL) {
		free(run);
		return -1;
	}
	st = eval_run_steps(ctx, verify_step, run);
	eval_ctx_free(ctx);
	if (st == CHECK_DONE) {
		out->spf_done = run->want_spf;
		out->dmarc_done = run->want_dmarc;
	} else {
		/* Not finished in time: what is missing is a temporary error. */
		if (run->want_spf) {
			out->spf_done = true;
			if (out->spf.result != SPF_R_PERMERROR)
				out->spf.result = SPF_R_TEMPERROR;
		}
		if (run->want_dmarc) {
			out->dmarc_done = true;
			out->dmarc.result = DMARC_V_TEMPERROR;
		}
	}
	free(run);
	arc_override(in, out);
	return 0;
}
