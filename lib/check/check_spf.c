/*
 * check_spf.c - the SPF family: what the domain's SPF record tree tells receivers.
 *
 *   check_spf()   TXT and type 99 at the domain in round 1, then the include/redirect
 *                 tree one level per round (spf_walk.c), then the findings
 *
 * Decisions (codes in codes.h, severities there unless said here):
 * - The domain's TXT lookup failing (SERVFAIL, timeout, refused, budget, malformed):
 *   result temperror, no findings; a local resolver error: unknown.
 * - SPF_NONE: no v=spf1 TXT record (result none), whatever else is published
 *   (SPF_SENDERID for spf2.0/ records, SPF_RR_TYPE99 for a type 99 record: receivers
 *   read only TXT, RFC 7208 3.1, 4.4). A failed type 99 query is ignored.
 * - SPF_MULTIPLE: two or more v=spf1 records at the domain (nothing else is judged:
 *   receivers stop there) or at an include/redirect target (RFC 7208 4.5).
 * - SPF_SYNTAX, SPF_RECORD_TOO_LONG, SPF_STRING_BOUNDARY: for every record of the
 *   tree, named by its path from the domain ("include:a.test -> include:b.test").
 * - SPF_INCLUDE_MISSING: an include or redirect target without an SPF record
 *   (RFC 7208 5.2, 6.1: permerror). SPF_INCLUDE_LOOP: a target already on the path.
 * - Counts (RFC 7208 4.6.4, worst case, see spf_walk.h): SPF_TOO_MANY_LOOKUPS over 10
 *   ("more than 10" when the walk stopped early), SPF_LOOKUPS_NEAR_LIMIT from 8 to 10,
 *   SPF_TOO_MANY_VOID_LOOKUPS over 2, SPF_MX_TOO_MANY_HOSTS per mx term over 10 names.
 *   SPF_PTR (RFC 7208 5.5) and SPF_MACRO_TERMS once each, with the number of terms.
 * - Policy, from the record that decides for the domain (its own, or the end of its
 *   redirect chain): +all, or +ip4:0.0.0.0/0 / +ip6::/0, is SPF_PASS_ALL; so is a
 *   pass-qualified include whose record passes everyone. ?all is SPF_NEUTRAL_ALL; no
 *   `all` and no redirect is SPF_NO_ALL. A redirect next to `all` in any record of
 *   the tree is SPF_REDIRECT_IGNORED (RFC 7208 6.1).
 * - Result: from the severities, except temperror when an include/redirect lookup
 *   failed and no error was found otherwise (the missing branch might hide one).
 * - Fact: "3 lookups, -all", "more than 10 lookups", "no record", "2 records".
 * - Change tracking: record "spf", the domain's own v=spf1 TXT record(s), strings
 *   joined (eval_txt_canonical(): several sorted, " | "); "" when it has none.
 *   Included and redirected records are not noted; a failed TXT lookup notes nothing.
 *
 * What can go wrong: every name and term printed comes from DNS: they go through
 * spf_term_text() or were validated by the walk; messages are cut to stay one line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks.h"
#include "check/spf_walk.h"

#define PATH_TEXT	400	/* a node's path, cut */
#define TERM_TEXT	96	/* one term, cut */
#define SYNTAX_SHOWN	4	/* syntax errors listed per record */

struct spf_run {
	struct eval_ctx *ctx;
	const struct spf_walk *w;
	int worst;		/* worst severity raised, -1 none */
};

/* Raise a finding at sev, remembering the worst severity. */
static void __attribute__((format(printf, 4, 5)))
spf_finding(struct spf_run *run, enum posture_code code, enum posture_severity sev,
	    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((int)sev > run->worst)
		run->worst = (int)sev;
	eval_finding_sev(run->ctx, code, sev, "%s", msg);
}

#define FINDING(run, code, ...) \
	spf_finding(run, PC_##code, posture_code_severity(PC_##code), __VA_ARGS__)

/* The term of node's record at index term, as text. */
static const char *
term_text(const struct spf_walk *w, size_t node, size_t term, char out[TERM_TEXT])
{
	return spf_term_text(&w->nodes[node].lk.record.terms[term], out, TERM_TEXT);
}

/*
 * Where a record sits: the domain for the root, else the include/redirect terms
 * from the root down ("include:a.test -> redirect=b.test"), cut to PATH_TEXT.
 */
static const char *
node_path(const struct spf_walk *w, size_t node, char out[PATH_TEXT])
{
	size_t chain[SPF_WALK_MAX_NODES], n = 0, o = 0, k;
	char term[TERM_TEXT];
	int i;

	if (node == 0) {
		snprintf(out, PATH_TEXT, "%s", w->nodes[0].domain);
		return out;
	}
	for (i = (int)node; i > 0 && n < SPF_WALK_MAX_NODES; i = w->nodes[i].parent)
		chain[n++] = (size_t)i;
	out[0] = '\0';
	for (k = n; k-- > 0 && o < PATH_TEXT - 1;) {
		const struct spf_node *c = &w->nodes[chain[k]];

		term_text(w, (size_t)c->parent, c->via_term, term);
		o += (size_t)snprintf(out + o, PATH_TEXT - o, "%s%s", k + 1 < n ? " -> " : "",
		    term);
	}
	if (o >= PATH_TEXT - 1)
		memcpy(out + PATH_TEXT - 4, "...", 4);
	return out;
}

/* "the record of example.com" / "the record of include:a.test": for messages. */
static const char *
record_name(const struct spf_walk *w, size_t node, char out[PATH_TEXT])
{
	char path[PATH_TEXT];

	snprintf(out, PATH_TEXT, "%s%s", node == 0 ? "" : "record of ",
	    node_path(w, node, path));
	return out;
}

/* Syntax, size and string-boundary findings of one parsed record. */
static void
report_record(struct spf_run *run, size_t node)
{
	const struct spf_record *rec = &run->w->nodes[node].lk.record;
	char where[PATH_TEXT];
	size_t i, shown = rec->nerrors < SPF_MAX_ERRORS ? rec->nerrors : SPF_MAX_ERRORS;

	record_name(run->w, node, where);
	for (i = 0; i < shown && i < SYNTAX_SHOWN; i++)
		FINDING(run, SPF_SYNTAX, "%s: \"%s\" at byte %zu: %s%s; the record is a "
		    "permerror", where, rec->errors[i].term, rec->errors[i].offset,
		    rec->errors[i].reason ? rec->errors[i].reason : "syntax error",
		    rec->errors[i].reason && strstr(rec->errors[i].reason, "RFC") ? "" :
		    " (RFC 7208 4.6)");
	if (rec->nerrors > SYNTAX_SHOWN)
		FINDING(run, SPF_SYNTAX, "%s: %zu more syntax errors (RFC 7208 4.6)", where,
		    rec->nerrors - SYNTAX_SHOWN);
	if (rec->length > SPF_RECORD_MAX)
		FINDING(run, SPF_RECORD_TOO_LONG, "%s: SPF record of %zu bytes, over %d: "
		    "the answer may not fit in a UDP datagram (RFC 7208 3.4)", where,
		    rec->length, SPF_RECORD_MAX);
	if (rec->straddles > 0)
		FINDING(run, SPF_STRING_BOUNDARY, "%s: %zu term%s run%s across a TXT string "
		    "boundary at byte %zu: strings are joined without a space (RFC 7208 3.3)",
		    where, rec->straddles, rec->straddles == 1 ? "" : "s",
		    rec->straddles == 1 ? "s" : "", rec->straddle_offset);
}

/* Findings for one include/redirect target: missing, multiple, loop. */
static void
report_target(struct spf_run *run, size_t node)
{
	const struct spf_walk *w = run->w;
	const struct spf_node *n = &w->nodes[node];
	const char *sec = n->via == SPF_REDIRECT ? "6.1" : "5.2";
	char path[PATH_TEXT], chain[PATH_TEXT + 272];

	if (n->loop) {
		snprintf(chain, sizeof(chain), "%s -> %s", w->nodes[0].domain,
		    node_path(w, node, path));
		FINDING(run, SPF_INCLUDE_LOOP, "include/redirect loop: %s comes back to %s: "
		    "receivers return permerror (RFC 7208 4.6.4, %s)", chain, n->domain, sec);
		return;
	}
	node_path(w, node, path);
	if (n->lk.state == SPF_FETCH_NONE)
		FINDING(run, SPF_INCLUDE_MISSING, "%s: %s has no SPF record%s: receivers return "
		    "permerror (RFC 7208 %s)", path, n->domain,
		    n->lk.status == DNS_NXDOMAIN ? " (NXDOMAIN)" : "", sec);
	else if (n->lk.state == SPF_FETCH_MULTIPLE)
		FINDING(run, SPF_MULTIPLE, "%s: %zu SPF records at %s: receivers return "
		    "permerror (RFC 7208 4.5, %s)", path, n->lk.nrecords, n->domain, sec);
}

/* Whether a pass-qualified ip4/ip6 term covers every address. */
static bool
term_matches_everyone(const struct spf_term *t)
{
	return t->qualifier == SPF_Q_PASS &&
	    ((t->kind == SPF_IP4 && t->cidr4 == 0) || (t->kind == SPF_IP6 && t->cidr6 == 0));
}

enum policy_end { END_ALL, END_NONE, END_UNKNOWN };

/*
 * The record that decides for node: node itself when it has `all`, else the end of
 * its followed redirect chain. *end says whether an `all` was found there; *at and
 * *all_term locate it; *everyone names a term before it that matches every sender.
 */
static enum policy_end
policy_of(const struct spf_walk *w, size_t node, size_t *at, size_t *all_term,
	  int *everyone_node, size_t *everyone_term)
{
	const struct spf_record *rec;
	size_t i, hops;
	int n = (int)node;

	*everyone_node = -1;
	for (hops = 0; hops < SPF_WALK_MAX_NODES; hops++) {
		if (w->nodes[n].loop || w->nodes[n].lk.state != SPF_FETCH_OK)
			return END_UNKNOWN;
		rec = &w->nodes[n].lk.record;
		for (i = 0; i < rec->nterms; i++) {
			if (term_matches_everyone(&rec->terms[i]) && *everyone_node < 0) {
				*everyone_node = n;
				*everyone_term = i;
			}
			if (rec->terms[i].kind == SPF_ALL) {
				*at = (size_t)n;
				*all_term = i;
				return END_ALL;
			}
		}
		if (rec->redirect < 0) {
			*at = (size_t)n;
			return END_NONE;
		}
		if (w->nodes[n].redirect_child < 0)
			return END_UNKNOWN;	/* macro or not followed */
		n = w->nodes[n].redirect_child;
	}
	return END_UNKNOWN;
}

/* The domain's own policy: +all, ?all, no all; pass-everyone includes. */
static const char *
report_policy(struct spf_run *run)
{
	const struct spf_walk *w = run->w;
	char t1[TERM_TEXT], where[PATH_TEXT];
	size_t at = 0, all = 0, et = 0, i;
	enum spf_qualifier q;
	int en;

	switch (policy_of(w, 0, &at, &all, &en, &et)) {
	case END_NONE:
		FINDING(run, SPF_NO_ALL, "no all mechanism and no redirect in %s: mail from "
		    "other hosts gets the default neutral (RFC 7208 4.7)",
		    record_name(w, at, where));
		return "no all";
	case END_UNKNOWN:
		return NULL;
	case END_ALL:
		break;
	}
	if (en >= 0)
		FINDING(run, SPF_PASS_ALL, "%s in %s matches every sender: anyone may send as %s "
		    "(RFC 7208 5.6)", term_text(w, (size_t)en, et, t1),
		    record_name(w, (size_t)en, where), w->nodes[0].domain);
	q = w->nodes[at].lk.record.terms[all].qualifier;
	if (q == SPF_Q_PASS)
		FINDING(run, SPF_PASS_ALL, "+all in %s: every host may send mail as %s "
		    "(RFC 7208 5.1)", record_name(w, at, where), w->nodes[0].domain);
	else if (q == SPF_Q_NEUTRAL)
		FINDING(run, SPF_NEUTRAL_ALL, "?all in %s: mail from other hosts is neutral, "
		    "treated as if there were no SPF record (RFC 7208 8.2)",
		    record_name(w, at, where));
	/* includes that pass everyone make the including record pass everyone */
	for (i = 1; i < w->nnodes; i++) {
		const struct spf_node *n = &w->nodes[i];
		size_t at2 = 0, all2 = 0, et2 = 0;
		int en2;

		if (n->via != SPF_INCLUDE ||
		    w->nodes[n->parent].lk.record.terms[n->via_term].qualifier != SPF_Q_PASS)
			continue;
		if (policy_of(w, i, &at2, &all2, &en2, &et2) != END_ALL ||
		    w->nodes[at2].lk.record.terms[all2].qualifier != SPF_Q_PASS)
			if (en2 < 0)
				continue;
		FINDING(run, SPF_PASS_ALL, "%s: the included record passes every sender (%s), "
		    "so the include matches everyone (RFC 7208 5.2)", node_path(w, i, where),
		    en2 >= 0 ? term_text(w, (size_t)en2, et2, t1) : "+all");
	}
	return q == SPF_Q_FAIL ? "-all" : q == SPF_Q_SOFTFAIL ? "~all" :
	    q == SPF_Q_NEUTRAL ? "?all" : "+all";
}

/* SPF_REDIRECT_IGNORED for every record of the tree with both all and redirect. */
static void
report_redirect_ignored(struct spf_run *run)
{
	const struct spf_walk *w = run->w;
	const struct spf_record *rec;
	char t1[TERM_TEXT], t2[TERM_TEXT], where[PATH_TEXT];
	size_t i, j;

	for (i = 0; i < w->nnodes; i++) {
		if (w->nodes[i].lk.state != SPF_FETCH_OK)
			continue;
		rec = &w->nodes[i].lk.record;
		if (rec->redirect < 0 || (size_t)rec->redirect >= rec->nterms)
			continue;
		for (j = 0; j < rec->nterms; j++)
			if (rec->terms[j].kind == SPF_ALL)
				break;
		if (j == rec->nterms)
			continue;
		FINDING(run, SPF_REDIRECT_IGNORED, "%s in %s is ignored: the record has %s "
		    "(RFC 7208 6.1)", term_text(w, i, (size_t)rec->redirect, t1),
		    record_name(w, i, where), term_text(w, i, j, t2));
	}
}

/* The RFC 7208 4.6.4 counts: lookups, void lookups, MX names; ptr and macro terms. */
static void
report_counts(struct spf_run *run)
{
	const struct spf_walk *w = run->w;
	char t1[TERM_TEXT], where[PATH_TEXT], voids[3 * (TERM_TEXT + 24)];
	const struct spf_note *n;
	size_t i, o = 0, listed = 0;

	if (w->lookups > SPF_LOOKUP_LIMIT && w->stopped)
		FINDING(run, SPF_TOO_MANY_LOOKUPS, "more than %d DNS lookups (at least %u counted "
		    "before the walk stopped), limit %d: receivers return permerror "
		    "(RFC 7208 4.6.4)", SPF_LOOKUP_LIMIT, w->lookups, SPF_LOOKUP_LIMIT);
	else if (w->lookups > SPF_LOOKUP_LIMIT)
		FINDING(run, SPF_TOO_MANY_LOOKUPS, "%u DNS lookups (include, a, mx, ptr, exists, "
		    "redirect), limit %d: receivers return permerror (RFC 7208 4.6.4)",
		    w->lookups, SPF_LOOKUP_LIMIT);
	else if (w->lookups >= SPF_LOOKUP_NEAR)
		FINDING(run, SPF_LOOKUPS_NEAR_LIMIT, "%u DNS lookups, limit %d: little room left "
		    "before receivers return permerror (RFC 7208 4.6.4)", w->lookups,
		    SPF_LOOKUP_LIMIT);

	voids[0] = '\0';
	for (i = 0; i < w->nnotes; i++) {
		n = &w->notes[i];
		if (n->kind == SPF_NOTE_VOID && listed < 3 && o < sizeof(voids)) {
			o += (size_t)snprintf(voids + o, sizeof(voids) - o, "%s%s %s",
			    listed ? ", " : "", term_text(w, n->node, n->term, t1),
			    dns_status_str(n->status));
			listed++;
		} else if (n->kind == SPF_NOTE_MX_NAMES) {
			FINDING(run, SPF_MX_TOO_MANY_HOSTS, "%s in %s: its MX lookup returns %zu names, limit %d: the "
			    "mx mechanism is a permerror (RFC 7208 4.6.4)",
			    term_text(w, n->node, n->term, t1), record_name(w, n->node, where),
			    n->count, SPF_MX_NAMES_LIMIT);
		} else if (n->kind == SPF_NOTE_PTR) {
			FINDING(run, SPF_PTR, "%u ptr term%s (first: %s in %s): slow and unreliable, "
			    "SHOULD NOT be used (RFC 7208 5.5)", w->nptr, w->nptr == 1 ? "" : "s",
			    term_text(w, n->node, n->term, t1), record_name(w, n->node, where));
		} else if (n->kind == SPF_NOTE_MACRO) {
			FINDING(run, SPF_MACRO_TERMS, "%u term%s with lookups that depend on the "
			    "message (first: %s in %s): counted, not followed (RFC 7208 7)",
			    w->nmacro, w->nmacro == 1 ? "" : "s", term_text(w, n->node, n->term, t1),
			    record_name(w, n->node, where));
		}
	}
	if (w->voids > SPF_VOID_LIMIT)
		FINDING(run, SPF_TOO_MANY_VOID_LOOKUPS, "%u void lookups (%s%s), limit %d: "
		    "receivers return permerror (RFC 7208 4.6.4)", w->voids, voids,
		    w->voids > listed ? ", ..." : "", SPF_VOID_LIMIT);
}

/* Sender ID and type 99 records at the domain: both ignored by SPF receivers. */
static void
report_leftovers(struct spf_run *run, const struct spf_lookup *root,
		 const struct dns_answer *t99)
{
	const char *domain = run->w->nodes[0].domain;
	struct spf_lookup lk;

	if (root->nsenderid > 0)
		FINDING(run, SPF_SENDERID, "%zu Sender ID (spf2.0/...) TXT record%s at %s: an "
		    "abandoned experiment that SPF receivers ignore (RFC 6686, RFC 7208 4.5)",
		    root->nsenderid, root->nsenderid == 1 ? "" : "s", domain);
	if (t99->status != DNS_OK || spf_select_record(t99, &lk) < 0)
		return;
	if (lk.nrecords > 0)
		FINDING(run, SPF_RR_TYPE99, "SPF record of type 99 at %s: type SPF is obsolete, "
		    "receivers read only TXT (RFC 7208 3.1, 14.1)%s", domain,
		    root->state == SPF_FETCH_NONE ? "; there is no TXT SPF record" : "");
	spf_lookup_clear(&lk);
}

/* Judge the tree of a domain whose own record was found. */
static void
report_tree(struct spf_run *run)
{
	const struct spf_walk *w = run->w;
	const struct spf_node *failed;
	const char *ending;
	size_t i;

	for (i = 0; i < w->nnodes; i++) {
		if (i > 0)
			report_target(run, i);
		if (w->nodes[i].lk.state == SPF_FETCH_OK)
			report_record(run, i);
	}
	report_counts(run);
	report_redirect_ignored(run);
	ending = report_policy(run);
	if (w->lookups > SPF_LOOKUP_LIMIT)
		eval_set_fact(run->ctx, "more than %d lookups", SPF_LOOKUP_LIMIT);
	else
		eval_set_fact(run->ctx, "%u lookup%s%s%s", w->lookups, w->lookups == 1 ? "" : "s",
		    ending ? ", " : "", ending ? ending : "");
	if (w->failed_node >= 0 && run->worst < (int)SEV_ERROR) {
		failed = &w->nodes[w->failed_node];
		eval_set_result(run->ctx, PR_TEMPERROR);
		eval_set_fact(run->ctx, "TXT %s of %s", dns_status_str(failed->lk.status),
		    failed->domain);
	}
}

/* Whether a finding raised says receivers return permerror (RFC 7208 4.6, 5.2). */
static bool
permerror_raised(const struct eval_ctx *ctx)
{
	static const enum posture_code permerror[] = {
		PC_SPF_MULTIPLE, PC_SPF_SYNTAX, PC_SPF_TOO_MANY_LOOKUPS,
		PC_SPF_TOO_MANY_VOID_LOOKUPS, PC_SPF_MX_TOO_MANY_HOSTS, PC_SPF_INCLUDE_LOOP,
		PC_SPF_INCLUDE_MISSING
	};
	size_t i;

	for (i = 0; i < sizeof(permerror) / sizeof(permerror[0]); i++)
		if (eval_has_finding(ctx, permerror[i]))
			return true;
	return false;
}

/* Whether a TXT record is an SPF record (RFC 7208 4.5): the records noted. */
static bool
spf_keep(const char *text, size_t len)
{
	return spf_is_record((const uint8_t *)text, len);
}

/* Run the SPF check. */
enum check_status
check_spf(struct eval_ctx *ctx)
{
	const char *domain = eval_domain(ctx);
	const struct dns_answer *t99, *txt;
	struct spf_run run = { ctx, NULL, -1 };
	const struct spf_lookup *root;
	struct spf_walk *w;
	enum check_status st;

	/* round 1: TXT (by the walk) and type 99, together */
	t99 = eval_dns(ctx, domain, DNS_T_SPF);
	w = malloc(sizeof(*w));
	if (w == NULL) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		return CHECK_DONE;
	}
	run.w = w;
	st = spf_walk(ctx, domain, w);
	if (st == CHECK_PENDING || t99 == NULL) {
		st = CHECK_PENDING;
		goto done;
	}
	root = &w->nodes[0].lk;
	if (w->oom || root->state == SPF_FETCH_OOM) {
		eval_set_result(ctx, PR_UNKNOWN);
		eval_set_fact(ctx, "out of memory");
		goto done;
	}
	if (root->state == SPF_FETCH_FAILED) {
		eval_set_result(ctx, root->status == DNS_ERROR ? PR_UNKNOWN : PR_TEMPERROR);
		eval_set_fact(ctx, "TXT lookup %s", dns_status_str(root->status));
		goto done;
	}
	/* the domain's own v=spf1 record(s), for change tracking; not the included ones */
	if ((txt = eval_dns(ctx, domain, DNS_T_TXT)) != NULL)
		eval_note_txt(ctx, "spf", txt, spf_keep, NULL);
	report_leftovers(&run, root, t99);
	if (root->state == SPF_FETCH_NONE) {
		FINDING(&run, SPF_NONE, "no SPF record (v=spf1 TXT) at %s%s (RFC 7208 4.5)",
		    domain, root->status == DNS_NXDOMAIN ? ": the name does not exist" : "");
		eval_set_result(ctx, PR_NONE);
		eval_set_fact(ctx, "no record");
		eval_set_usable(ctx, false);
		goto done;
	}
	if (root->state == SPF_FETCH_MULTIPLE) {
		FINDING(&run, SPF_MULTIPLE, "%zu SPF records at %s: receivers return permerror "
		    "(RFC 7208 4.5)", root->nrecords, domain);
		eval_set_fact(ctx, "%zu records", root->nrecords);
		eval_set_usable(ctx, false);
		goto done;
	}
	report_tree(&run);
	if (w->failed_node < 0 || run.worst >= (int)SEV_ERROR)
		eval_set_usable(ctx, !permerror_raised(ctx));
done:
	spf_walk_free(w);
	free(w);
	return st;
}
