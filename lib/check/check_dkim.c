/*
 * check_dkim.c - the DKIM family: the key records of the selectors known for the domain.
 *
 *   check_dkim()   TXT at <selector>._domainkey.<domain> for every selector, one round
 *
 * A domain's selectors cannot be discovered from DNS: they come from the caller
 * (posture-check --selector, the milter's Selectors option, verified signatures).
 * One round: every selector's TXT is asked at once; CNAMEs (ESPs publish keys that
 * way) are followed by the resolver and are fine.
 *
 * Decisions (codes in codes.h, severities there unless said here):
 * - No selector: DKIM_NO_SELECTOR (info), result unknown: nothing could be checked.
 * - A selector that is not a DNS name (RFC 6376 3.1: dotted labels; we accept letters,
 *   digits, "-" and "_", 1-63 bytes a label: DNS_NAME_UNDERSCORE) or whose key name
 *   would exceed 253 bytes: DKIM_KEY_SYNTAX at info severity naming it, and it is not
 *   looked up. It came from our caller, not from the domain, so it does not make the
 *   domain broken; when no valid selector remains the result is unknown. Duplicates
 *   (any case) are asked once.
 * - NXDOMAIN, NODATA, or only TXT records that are not key records: DKIM_KEY_MISSING
 *   (RFC 6376 6.1.2: PERMFAIL, no key for signature).
 * - More than one key record at the name: DKIM_KEY_MULTIPLE (RFC 6376 3.6.2.2: the
 *   result is undefined), and none of them is judged further. One key record beside
 *   other TXT records: DKIM_KEY_MULTIPLE at warn (verifiers that take the first TXT
 *   may pick the wrong one), and the key record is judged.
 * - The key record (dkim_key.c): each parser problem is DKIM_KEY_SYNTAX at the
 *   problem's severity (error: verifiers discard or cannot use the key, e.g. an RSA
 *   key with exponent 1 or another unsafe number, RFC 8017 3.1, whose selector's fact
 *   is "bad key"; warn: some verifiers fail; info: ignored, e.g. unknown tags). Then DKIM_KEY_REVOKED (empty
 *   p=), DKIM_KEY_UNKNOWN_TYPE (k= other than rsa/ed25519), DKIM_KEY_WEAK (RSA under
 *   1024 bits, RFC 8301 3.2) or else DKIM_KEY_SHORT (RSA under 2048 bits), DKIM_KEY_
 *   SHA1_ONLY (h= allows only sha1, RFC 8301 3.1), DKIM_KEY_NOT_EMAIL (s= lists
 *   neither * nor email), DKIM_KEY_TESTING (t=y).
 * - Lookup failures (SERVFAIL, REFUSED, timeout, malformed, budget): when no selector
 *   could be judged, result temperror with no findings (unknown when every failure was
 *   a local DNS_ERROR); otherwise the judged selectors decide and the fact counts the
 *   failed lookups.
 * - Fact: with one selector "<sel> rsa-2048", "<sel> ed25519", "<sel> revoked",
 *   "<sel> no key", "<sel> 2 keys", "<sel> unknown type", "<sel> bad key"; with several
 *   "N selectors" (", K lookups failed"; ", K not checked" beyond DKIM_MAX_SELECTORS).
 *   Selectors are validated names: safe in a header.
 * - Change tracking: record "dkim:<selector>" (lower case) per selector looked up: its
 *   key records (dkim_key_classify()), strings joined (eval_txt_canonical(): several
 *   sorted, " | "); "" for NXDOMAIN, NODATA or no key record. A failed lookup, an
 *   invalid selector or a duplicate notes nothing.
 *
 * What can go wrong: TXT bytes may be anything; the parser sanitizes what it copies,
 * and names printed are validated selectors under the normalized domain (the canonical
 * name of a CNAME'd answer is sanitized before it is printed). Out of memory: unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/checks.h"
#include "record/dkim_key.h"
#include "util/ascii.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

#define DKIM_MAX_SELECTORS	32	/* selectors checked per domain; the rest ignored */
#define RSA_MIN_BITS		1024	/* RFC 8301 3.2: verifiers reject smaller keys */
#define RSA_GOOD_BITS		2048	/* RFC 8301 3.2: signers SHOULD use at least this */
/* A selector whose key name would exceed DNS_NAME_MAX. */
#define KEY_NAME_TOO_LONG	"a key name longer than 253 bytes"

struct selector {
	const char *name;		/* borrowed from the context; valid when !invalid */
	char qname[256];		/* <name>._domainkey.<domain> */
	const char *why;		/* static: why the selector is not a DNS name, or NULL */
	bool duplicate;			/* the same name (any case) came earlier */
	const struct dns_answer *a;	/* borrowed; NULL when not asked */
};

/* Why a selector is not a dotted DNS name (RFC 6376 3.1), or NULL when it is one. */
static const char *
selector_invalid(const char *s)
{
	switch (dns_name_check(s, strlen(s), DNS_NAME_UNDERSCORE)) {
	case DNS_NAME_OK:		return NULL;
	case DNS_NAME_ERR_EMPTY:	return "empty";
	case DNS_NAME_ERR_TOO_LONG:	return KEY_NAME_TOO_LONG;
	case DNS_NAME_ERR_LONG_LABEL:	return "a label longer than 63 bytes";
	case DNS_NAME_ERR_BAD_BYTE:
		return "a byte other than a letter, digit, '-' or '_'";
	case DNS_NAME_ERR_EMPTY_LABEL:
	case DNS_NAME_ERR_HYPHEN_START:	/* not in the UNDERSCORE class */
	case DNS_NAME_ERR_HYPHEN_END:
	case DNS_NAME_ERR_WILDCARD:	break;
	}
	return "an empty label";
}

/* Whether a status is a lookup failure rather than an answer. */
static bool
lookup_failed(const struct dns_answer *a)
{
	return a->status != DNS_OK && a->status != DNS_NODATA && a->status != DNS_NXDOMAIN;
}

/* Fill sel[] from the context's selectors; the count kept. */
static size_t
collect_selectors(struct eval_ctx *ctx, struct selector *sel, size_t *ignored)
{
	const char *const *names;
	size_t n, i, j, k = 0;

	names = eval_selectors(ctx, &n);
	*ignored = n > DKIM_MAX_SELECTORS ? n - DKIM_MAX_SELECTORS : 0;
	for (i = 0; i < n && k < DKIM_MAX_SELECTORS; i++, k++) {
		memset(&sel[k], 0, sizeof(sel[k]));
		sel[k].name = names[i];
		sel[k].why = selector_invalid(names[i]);
		if (sel[k].why == NULL &&
		    (size_t)snprintf(sel[k].qname, sizeof(sel[k].qname), "%s._domainkey.%s",
		    names[i], eval_domain(ctx)) > DNS_NAME_MAX)
			sel[k].why = KEY_NAME_TOO_LONG;
		for (j = 0; j < k && sel[k].why == NULL; j++)
			if (sel[j].why == NULL && strcasecmp(sel[j].name, names[i]) == 0)
				sel[k].duplicate = true;
	}
	return k;
}

/* "qname" or "qname (CNAME to target)", sanitized, for messages. */
static void
where(const struct selector *s, char *out, size_t outlen)
{
	char target[96];

	if (s->a != NULL && s->a->canonical != NULL && s->a->qname != NULL &&
	    strcasecmp(s->a->canonical, s->a->qname) != 0) {
		pt_sanitize(s->a->canonical, strlen(s->a->canonical), target, sizeof(target));
		snprintf(out, outlen, "%s (CNAME to %s)", s->qname, target);
	} else {
		snprintf(out, outlen, "%s", s->qname);
	}
}

/* Severity of a parser problem. */
static enum posture_severity
problem_sev(const struct dkim_key_problem *pr)
{
	return pr->sev == DKIM_KEY_PSEV_ERROR ? SEV_ERROR :
	    pr->sev == DKIM_KEY_PSEV_WARN ? SEV_WARN : SEV_INFO;
}

/* One DKIM_KEY_SYNTAX finding per parser problem. */
static void
report_problems(struct eval_ctx *ctx, const char *qname, const struct dkim_key *k)
{
	const struct dkim_key_problem *pr;
	size_t i;

	for (i = 0; i < k->nproblems && i < DKIM_KEY_MAX_PROBLEMS; i++) {
		pr = &k->problems[i];
		if (pr->tag[0] != '\0')
			eval_finding_sev(ctx, PC_DKIM_KEY_SYNTAX, problem_sev(pr),
			    "%s: %s=%s: %s (%s)", qname, pr->tag, pr->value, pr->reason, pr->rfc);
		else if (pr->value[0] != '\0')
			eval_finding_sev(ctx, PC_DKIM_KEY_SYNTAX, problem_sev(pr),
			    "%s: \"%s\": %s (%s)", qname, pr->value, pr->reason, pr->rfc);
		else
			eval_finding_sev(ctx, PC_DKIM_KEY_SYNTAX, problem_sev(pr),
			    "%s: %s (%s)", qname, pr->reason, pr->rfc);
	}
	if (k->nproblems > DKIM_KEY_MAX_PROBLEMS)
		eval_finding_sev(ctx, PC_DKIM_KEY_SYNTAX, SEV_ERROR,
		    "%s: %zu more problems not listed (RFC 6376 3.6.1)", qname,
		    k->nproblems - DKIM_KEY_MAX_PROBLEMS);
}

/* Whether a verifier accepts signatures made with this key (RFC 6376 3.6.1, RFC 8301). */
static bool
key_usable(const struct dkim_key *k)
{
	if (k->revoked || k->type == DKIM_KEY_TYPE_UNKNOWN || k->form == DKIM_KEY_FORM_NONE ||
	    k->sha1_only || k->not_email)
		return false;
	return k->type != DKIM_KEY_TYPE_RSA || k->bits >= RSA_MIN_BITS;
}

/* The findings of one key record; the fact word for a single selector. */
static const char *
report_key(struct eval_ctx *ctx, const char *qname, const struct dkim_key *k,
	   char *fact, size_t factlen)
{
	report_problems(ctx, qname, k);
	if (k->revoked) {
		eval_finding(ctx, PC_DKIM_KEY_REVOKED,
		    "%s: p= is empty: the key is revoked and signatures made with it fail "
		    "(RFC 6376 3.6.1, 6.1.2)", qname);
		return "revoked";
	}
	if (k->type == DKIM_KEY_TYPE_UNKNOWN)
		eval_finding(ctx, PC_DKIM_KEY_UNKNOWN_TYPE,
		    "%s: k=%s: unknown key type, verifiers ignore the record (RFC 6376 3.6.1, "
		    "RFC 8463 4.2)", qname, k->k_text);
	if (k->sha1_only)
		eval_finding(ctx, PC_DKIM_KEY_SHA1_ONLY,
		    "%s: h=%s allows only sha1, which verifiers must not accept: no signature "
		    "can verify (RFC 8301 3.1)", qname, k->h_text);
	if (k->not_email)
		eval_finding(ctx, PC_DKIM_KEY_NOT_EMAIL,
		    "%s: s=%s lists neither * nor email: verifiers ignore the key for mail "
		    "(RFC 6376 3.6.1)", qname, k->s_text);
	if (k->testing)
		eval_finding(ctx, PC_DKIM_KEY_TESTING,
		    "%s: t=y: the domain is testing DKIM, verifiers treat its mail like "
		    "unsigned mail (RFC 6376 3.6.1)", qname);
	if (k->type == DKIM_KEY_TYPE_UNKNOWN)
		return "unknown type";
	if (k->form == DKIM_KEY_FORM_NONE)
		return "bad key";
	if (k->type == DKIM_KEY_TYPE_RSA) {
		if (k->bits < RSA_MIN_BITS)
			eval_finding(ctx, PC_DKIM_KEY_WEAK,
			    "%s: RSA key of %u bits: verifiers reject keys under %d bits "
			    "(RFC 8301 3.2)", qname, k->bits, RSA_MIN_BITS);
		else if (k->bits < RSA_GOOD_BITS)
			eval_finding(ctx, PC_DKIM_KEY_SHORT,
			    "%s: RSA key of %u bits: signers should use at least %d bits "
			    "(RFC 8301 3.2)", qname, k->bits, RSA_GOOD_BITS);
		snprintf(fact, factlen, "rsa-%u", k->bits);
		return fact;
	}
	return "ed25519";
}

/* Judge one selector's answer; returns the fact word for a single selector. */
static const char *
judge(struct eval_ctx *ctx, const struct selector *s, char *fact, size_t factlen,
      bool *usable)
{
	const struct dns_answer *a = s->a;
	struct dkim_key *key = NULL;
	size_t i, n, nkeys = 0, first = 0;
	const char *word;
	char *text = NULL, name[400];

	where(s, name, sizeof(name));
	if (a->status != DNS_OK || a->count == 0) {
		eval_finding(ctx, PC_DKIM_KEY_MISSING,
		    "no key record at %s (%s): signatures with s=%s fail (RFC 6376 6.1.2)",
		    name, a->status == DNS_OK ? "no TXT" : dns_status_str(a->status), s->name);
		return "no key";
	}
	for (i = 0; i < a->count; i++) {
		text = dns_txt_join(&a->rrs[i], &n);
		if (text != NULL && dkim_key_classify(text, n) == DKIM_TXT_KEY && nkeys++ == 0)
			first = i;
		free(text);
	}
	text = NULL;
	if (nkeys == 0) {
		eval_finding(ctx, PC_DKIM_KEY_MISSING,
		    "no key record at %s: %zu TXT record%s, none with p=, k= or v=DKIM1: "
		    "signatures with s=%s fail (RFC 6376 3.6.1, 6.1.2)", name, a->count,
		    a->count == 1 ? "" : "s", s->name);
		return "no key";
	}
	if (nkeys > 1) {
		eval_finding(ctx, PC_DKIM_KEY_MULTIPLE,
		    "%zu key records at %s: the result is undefined, verifiers may use any "
		    "(RFC 6376 3.6.2.2)", nkeys, name);
		snprintf(fact, factlen, "%zu keys", nkeys);
		return fact;
	}
	if (a->count > 1)
		eval_finding_sev(ctx, PC_DKIM_KEY_MULTIPLE, SEV_WARN,
		    "%zu TXT records at %s, one a key: verifiers that read the first TXT may "
		    "miss it (RFC 6376 3.6.2.2)", a->count, name);
	key = malloc(sizeof(*key));
	text = dns_txt_join(&a->rrs[first], &n);
	if (key == NULL || text == NULL) {
		eval_set_result(ctx, PR_UNKNOWN);
		word = "out of memory";
		goto done;
	}
	(void)dkim_key_parse(text, n, key);
	word = report_key(ctx, name, key, fact, factlen);
	*usable = key_usable(key);
done:
	free(text);
	free(key);
	return word;
}

/* Whether a TXT record is a DKIM key record: the records noted. */
static bool
dkim_keep(const char *text, size_t len)
{
	return dkim_key_classify(text, len) == DKIM_TXT_KEY;
}

/* Note a selector's key record(s) as "dkim:<selector>", the selector in lower case. */
static void
note_key(struct eval_ctx *ctx, const struct selector *s)
{
	char name[sizeof("dkim:") + DNS_NAME_MAX];
	size_t i, n = strlen(s->name);

	if (n > DNS_NAME_MAX)
		return;		/* cannot be: a valid selector with a key name that fits */
	memcpy(name, "dkim:", 5);
	for (i = 0; i <= n; i++)
		name[5 + i] = (char)ascii_lower((unsigned char)s->name[i]);
	eval_note_txt(ctx, name, s->a, dkim_keep, NULL);
}

/* Run the DKIM key check. */
enum check_status
check_dkim(struct eval_ctx *ctx)
{
	struct selector sel[DKIM_MAX_SELECTORS];
	size_t n, i, ignored, nvalid = 0, judged = 0, failed = 0, local = 0;
	const struct dns_answer *fail = NULL;
	const char *word = NULL, *single = NULL;
	char shown[64], factbuf[32];
	bool pending = false, usable, any_usable = false;

	n = collect_selectors(ctx, sel, &ignored);
	if (n == 0) {
		eval_finding(ctx, PC_DKIM_NO_SELECTOR,
		    "no DKIM selector known for %s: key records are found only by selector "
		    "(RFC 6376 3.6.2.1)", eval_domain(ctx));
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "no selector");
		return CHECK_DONE;
	}
	for (i = 0; i < n; i++) {
		if (sel[i].why != NULL || sel[i].duplicate)
			continue;
		sel[i].a = eval_dns(ctx, sel[i].qname, DNS_T_TXT);
		if (sel[i].a == NULL)
			pending = true;
	}
	if (pending)
		return CHECK_PENDING;

	for (i = 0; i < n; i++) {
		if (sel[i].why != NULL || sel[i].duplicate)
			continue;
		nvalid++;
		note_key(ctx, &sel[i]);	/* nothing when the lookup failed */
		if (lookup_failed(sel[i].a)) {
			failed++;
			local += sel[i].a->status == DNS_ERROR;
			if (fail == NULL)
				fail = sel[i].a;
		}
	}
	if (nvalid > 0 && failed == nvalid) {
		/* nothing could be judged: no findings, nothing guessed */
		eval_set_result(ctx, local == failed ? PR_UNKNOWN : PR_TEMPERROR);
		if (nvalid == 1)
			eval_set_fact(ctx, "selector lookup %s", dns_status_str(fail->status));
		else
			eval_set_fact(ctx, "%zu selector lookups failed", failed);
		return CHECK_DONE;
	}

	for (i = 0; i < n; i++) {
		if (sel[i].why != NULL) {
			pt_sanitize(sel[i].name, strlen(sel[i].name), shown, sizeof(shown));
			eval_finding_sev(ctx, PC_DKIM_KEY_SYNTAX, SEV_INFO,
			    "selector \"%s\" holds %s: not a DNS name, not looked up (RFC 6376 3.1)",
			    shown, sel[i].why);
			continue;
		}
		if (sel[i].duplicate || lookup_failed(sel[i].a))
			continue;
		usable = false;
		word = judge(ctx, &sel[i], factbuf, sizeof(factbuf), &usable);
		any_usable = any_usable || usable;
		if (judged++ == 0)
			single = sel[i].name;
	}
	/* Unusable only when every selector was judged: a failed lookup may hide a key. */
	if (any_usable || (judged > 0 && failed == 0))
		eval_set_usable(ctx, any_usable);
	if (judged == 0) {
		/* every selector was invalid: nothing to check, not the domain's fault */
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "no valid selector");
	} else if (nvalid == 1 && ignored == 0 && strlen(single) <= 40) {
		eval_set_fact(ctx, "%s %s", single, word);
	} else if (failed > 0) {
		eval_set_fact(ctx, "%zu selectors, %zu lookup%s failed", nvalid, failed,
		    failed == 1 ? "" : "s");
	} else if (ignored > 0) {
		eval_set_fact(ctx, "%zu selectors, %zu not checked", nvalid, ignored);
	} else {
		eval_set_fact(ctx, "%zu selector%s", nvalid, nvalid == 1 ? "" : "s");
	}
	return CHECK_DONE;
}
