/*
 * report_authres.c - the Authentication-Results value (RFC 8601) for one message.
 *
 *   posture_authres_value()
 *
 * "authserv-id; spf=pass smtp.mailfrom=example.com; dkim=pass (2048-bit key)
 *  header.d=example.com header.s=s1 header.b=AbCdEfGh; dmarc=pass (p=reject)
 *  header.from=example.com policy.dmarc=none; arc=pass (i=2; sealers relay.example,
 *  list.example) smtp.remote-ip=192.0.2.1"
 *
 * arc= only when the chain was verified (in->arc); a DMARC fail that a trusted
 * sealer vouched for says so in the dmarc comment: "(p=reject; arc override by X)".
 *
 * Only result words, normalized domains, selectors and b= prefixes that pass a
 * character check, and fixed comments reach the value: nothing a sender wrote can
 * add a method, a property or a line. Folded like X-Domain-Posture.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "record/authres_id.h"
#include "util/fold.h"
#include "verify/verify.h"

#define FIELD_NAME "Authentication-Results"

/* Whether s is non-empty and made of letters, digits and the characters in extra. */
static bool
token_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

/* spf=RESULT smtp.mailfrom=DOMAIN | smtp.helo=DOMAIN */
static void
add_spf(struct fold *f, const struct verify_out *out)
{
	char word[300];

	if (!out->spf_done) {
		fold_word(f, "spf=none;");
		return;
	}
	snprintf(word, sizeof(word), "spf=%s", spf_result_name(out->spf.result));
	fold_word(f, word);
	snprintf(word, sizeof(word), "smtp.%s=%s;", out->spf_helo ? "helo" : "mailfrom",
	    out->spf_domain);
	fold_word(f, word);
}

/*
 * The comments of one signature: why it is not a plain pass (the verifier's fixed
 * note), and the key size when the cryptography was checked.
 */
static void
dkim_comments(struct fold *f, const struct dkim_verify_sig *s)
{
	char word[64];

	if (s->key_bits > 0 && (s->result == DKIM_VERIFY_PASS || s->result == DKIM_VERIFY_FAIL ||
	    s->result == DKIM_VERIFY_POLICY)) {
		snprintf(word, sizeof(word), "(%u-bit key)", s->key_bits);
		fold_words(f, word);
	}
	if (s->note != NULL) {
		snprintf(word, sizeof(word), "(%s)", s->note);
		fold_words(f, word);
	} else if (s->result == DKIM_VERIFY_POLICY) {
		fold_words(f, "(not accepted by policy)");
	}
	if (s->body_length)
		fold_words(f, "(l= partial body)");
}

/* dkim=RESULT (comment) header.d= header.s= header.b= ; one per signature. */
static void
add_dkim(struct fold *f, const struct verify_in *in)
{
	const struct dkim_verify_results *r = in->dkim;
	char word[300], norm[256];
	const char *why;
	size_t i;

	if (r == NULL || r->nsigs == 0) {
		fold_word(f, "dkim=none;");
		return;
	}
	for (i = 0; i < r->nsigs; i++) {
		const struct dkim_verify_sig *s = &r->sigs[i];

		snprintf(word, sizeof(word), "dkim=%s", dkim_verify_word(s->result));
		fold_word(f, word);
		dkim_comments(f, s);
		if (posture_name_normalize(s->domain, norm, sizeof(norm), &why) == 0) {
			snprintf(word, sizeof(word), "header.d=%s", norm);
			fold_word(f, word);
		}
		if (token_ok(s->selector, ".-_", 63)) {
			snprintf(word, sizeof(word), "header.s=%s", s->selector);
			fold_word(f, word);
		}
		if (token_ok(s->header_b, "+/", DKIM_VERIFY_B_PREFIX)) {
			snprintf(word, sizeof(word), "header.b=%s", s->header_b);
			fold_word(f, word);
		}
		/* Close the resinfo: the ';' joins the last word written. */
		pt_sb_append(&f->sb, ";");
		f->col++;
	}
}

/* dmarc=RESULT (p=...) header.from=DOMAIN policy.dmarc=DISPOSITION */
static void
add_dmarc(struct fold *f, const struct verify_in *in, const struct verify_out *out)
{
	const struct dmarc_verify_result *d = &out->dmarc;
	char word[600], norm[256];
	const char *why;
	bool override = out->arc_override[0] != '\0' && d->result == DMARC_V_FAIL &&
	    posture_name_normalize(out->arc_override, norm, sizeof(norm), &why) == 0;

	if (!out->dmarc_done) {
		fold_word(f, out->dmarc_skip && in->nfrom_domains > 1 ? "dmarc=permerror" :
		    "dmarc=none");
		if (out->dmarc_skip && in->nfrom_domains > 1)
			fold_words(f, "(several author domains)");
		return;
	}
	snprintf(word, sizeof(word), "dmarc=%s", dmarc_verdict_word(d->result));
	fold_word(f, word);
	if (d->result == DMARC_V_PASS || d->result == DMARC_V_FAIL) {
		snprintf(word, sizeof(word), "(%s=%s%s%s%s)", d->policy_tag,
		    dmarc_policy_word(d->policy), d->testing ? " t=y" : "",
		    override ? "; arc override by " : "", override ? norm : "");
		fold_words(f, word);
		if (d->pct >= 0 && d->pct < 100) {
			snprintf(word, sizeof(word), "(pct=%d not applied)", d->pct);
			fold_words(f, word);
		}
	}
	snprintf(word, sizeof(word), "header.from=%s", in->from_domain);
	fold_word(f, word);
	if (d->result == DMARC_V_PASS || d->result == DMARC_V_FAIL) {
		snprintf(word, sizeof(word), "policy.dmarc=%s",
		    dmarc_policy_word(d->disposition));
		fold_word(f, word);
	}
}

/*
 * arc=RESULT (i=N; sealers A, B) [header.oldest-pass=K] [smtp.remote-ip=IP]
 * (RFC 8617 10). The sealers are the seals' d=, oldest first, each normalized (a d=
 * that is no domain name reads "?"); the fail reason stays in the logs.
 */
static void
add_arc(struct fold *f, const struct verify_in *in)
{
	const struct arc_verify_results *r = in->arc;
	char word[300], norm[256], ip[INET6_ADDRSTRLEN];
	const char *why;
	unsigned i;

	/* Close the dmarc resinfo before this one. */
	pt_sb_append(&f->sb, ";");
	f->col++;
	snprintf(word, sizeof(word), "arc=%s", arc_verify_word(r->result));
	fold_word(f, word);
	if (r->count > 0) {
		snprintf(word, sizeof(word), "(i=%u;", r->count);
		fold_word(f, word);
		fold_word(f, r->count > 1 ? "sealers" : "sealer");
		for (i = 0; i < r->count; i++) {
			if (posture_name_normalize(r->sets[i].sealer, norm, sizeof(norm), &why) < 0)
				snprintf(norm, sizeof(norm), "?");
			snprintf(word, sizeof(word), "%s%s", norm, i + 1 < r->count ? "," : ")");
			fold_word(f, word);
		}
	}
	if (r->result == ARC_VERIFY_PASS && r->oldest_pass > 0) {
		snprintf(word, sizeof(word), "header.oldest-pass=%u", r->oldest_pass);
		fold_word(f, word);
	}
	if ((in->iplen == 4 || in->iplen == 16) &&
	    inet_ntop(in->iplen == 4 ? AF_INET : AF_INET6, in->ip, ip, sizeof(ip)) != NULL) {
		snprintf(word, sizeof(word), "smtp.remote-ip=%s", ip);
		fold_word(f, word);
	}
}

/* The Authentication-Results value. */
char *
posture_authres_value(const struct verify_in *in, const struct verify_out *out,
		      const char *authserv_id)
{
	struct fold f;
	char word[300];

	if (!authres_id_valid(authserv_id))
		return NULL;
	fold_init(&f, FIELD_NAME);
	snprintf(word, sizeof(word), "%s;", authserv_id);
	fold_word(&f, word);
	add_spf(&f, out);
	add_dkim(&f, in);
	add_dmarc(&f, in, out);
	if (in->arc != NULL)
		add_arc(&f, in);
	return fold_take(&f);
}
