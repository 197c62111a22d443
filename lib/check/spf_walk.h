/*
 * spf_walk.h - the SPF record tree of a domain: its record, the records it includes
 * and redirects to, and the RFC 7208 4.6.4 processing-limit counts over the tree, as
 * a pure function of eval_dns() answers.
 *
 *   spf_select_record()  pick the SPF record out of a TXT answer (RFC 7208 4.5)
 *   spf_walk()           fetch the tree level by level and count, bounded
 *   spf_walk_free()      release the parsed records of a walk
 *   spf_term_text()      "~include:_spf.example.com" for messages, sanitized
 *
 * Rounds: level 0 is the domain's own TXT; then, per tree depth, one round asks the
 * TXT records of every include/redirect target of the level at once, together with
 * the lookups that show void lookups and oversized MX sets (A of `a` and `exists`
 * targets, MX of `mx` targets; AAAA of an `a` target only when its A answer is
 * NODATA). The rounds are the tree depth, not the number of records.
 *
 * Counting is the worst case (every term reached, whatever the client IP), RFC 7208
 * 4.6.4: include, a, mx, ptr, exists and redirect count one each across the whole
 * tree; an included record's own all/redirect do not stop its parent's terms from
 * counting. What a receiver never evaluates is not counted: terms after `all` in the
 * same record (RFC 7208 5.1) and a redirect in a record with `all` (RFC 7208 6.1).
 *
 * Bounds: the walk stops expanding once the count passes SPF_LOOKUP_LIMIT (the
 * record is then a permerror whatever else it holds): a target is fetched only while
 * the count, all fetched records included, is at most 10, so at most 10 targets and
 * 10 terms' lookups are ever asked (about 2 + 10 + 20 queries at worst, whatever the
 * records say). When it stopped, `lookups` is a lower bound and `stopped` is set.
 * Macro terms (domain-spec depending on the message, RFC 7208 7) are counted and
 * flagged, never expanded or followed. A target already on the path from the root is
 * a loop: flagged, not fetched again.
 *
 * What can go wrong: failed lookups (SERVFAIL, timeout, budget) are recorded, never
 * guessed around; names from records may be anything, so they are validated before
 * being asked and printed only through spf_term_text()/sanitized copies; a walk is
 * large (about 40 KB): allocate it.
 */
#ifndef POSTURE_SPF_WALK_H
#define POSTURE_SPF_WALK_H

#include "eval/eval.h"
#include "record/spf_parse.h"

#define SPF_LOOKUP_LIMIT	10	/* DNS-querying terms (RFC 7208 4.6.4) */
#define SPF_LOOKUP_NEAR		8	/* from here on: little room left */
#define SPF_VOID_LIMIT		2	/* void lookups (RFC 7208 4.6.4) */
#define SPF_MX_NAMES_LIMIT	10	/* MX names per mx term (RFC 7208 4.6.4) */
#define SPF_RECORD_MAX		450	/* bytes (RFC 7208 3.4) */
#define SPF_WALK_MAX_NODES	16	/* root + at most 10 fetched targets, with margin */
#define SPF_WALK_MAX_NOTES	24	/* void/mx observations kept */

/* What the TXT lookup of one domain gave (RFC 7208 4.4, 4.5). */
enum spf_fetch {
	SPF_FETCH_PENDING,	/* not answered yet, or not asked (loop, bad name, stopped) */
	SPF_FETCH_OK,		/* exactly one v=spf1 record: parsed into record */
	SPF_FETCH_NONE,		/* NXDOMAIN, NODATA or no v=spf1 TXT among the records */
	SPF_FETCH_MULTIPLE,	/* more than one v=spf1 record: permerror */
	SPF_FETCH_FAILED,	/* SERVFAIL, timeout, budget...: status says which */
	SPF_FETCH_OOM		/* out of memory while joining or parsing */
};

struct spf_lookup {
	enum spf_fetch state;
	enum dns_status status;		/* of the TXT query */
	size_t nrecords;		/* TXT records that are v=spf1 records */
	size_t nsenderid;		/* TXT records that are Sender ID (spf2.0/...) */
	size_t ntxt;			/* TXT records in all */
	struct spf_record record;	/* state OK only; owned */
};

/* One record of the tree: the root, or the target of an include/redirect term. */
struct spf_node {
	char domain[256];		/* validated, lower case, no trailing dot */
	int parent;			/* node index; -1 for the root */
	size_t via_term;		/* index of the include/redirect term in the parent */
	enum spf_term_kind via;		/* SPF_INCLUDE or SPF_REDIRECT (root: SPF_ALL) */
	unsigned depth;
	bool loop;			/* domain already on the path: not fetched */
	bool bad_name;			/* target is no valid DNS name: not fetched */
	int redirect_child;		/* node of the followed redirect, or -1 */
	struct spf_lookup lk;
};

enum spf_note_kind {
	SPF_NOTE_VOID,		/* the term's lookup gave NXDOMAIN or no records */
	SPF_NOTE_MX_NAMES,	/* an mx term's target has more than 10 MX names */
	SPF_NOTE_PTR,		/* a ptr term */
	SPF_NOTE_MACRO		/* a term whose lookup depends on the message */
};

/* A term worth reporting: where it is and what was seen. */
struct spf_note {
	enum spf_note_kind kind;
	size_t node, term;		/* walk->nodes[node].lk.record.terms[term] */
	enum dns_status status;		/* VOID: NXDOMAIN or NODATA */
	size_t count;			/* MX_NAMES: MX records */
};

struct spf_walk {
	struct spf_node nodes[SPF_WALK_MAX_NODES];
	size_t nnodes;
	unsigned lookups;		/* DNS-querying terms counted (a lower bound if stopped) */
	bool stopped;			/* passed SPF_LOOKUP_LIMIT: not every target fetched */
	unsigned voids;			/* void lookups among the terms whose lookups were asked */
	unsigned nptr, nmacro, nmx_names;	/* terms of each note kind, all counted */
	struct spf_note notes[SPF_WALK_MAX_NOTES];	/* the first ones of every kind */
	size_t nnotes;
	int failed_node;		/* first node whose TXT lookup failed, or -1 */
	unsigned failed_terms;		/* a/mx/exists lookups that failed (not judged void) */
	bool oom;
};

/*
 * Select the SPF record from a TXT answer (status DNS_OK, NODATA, NXDOMAIN or a
 * failure) and parse it. 0, or -1 on OOM (state SPF_FETCH_OOM). The record is owned
 * by out: spf_lookup_clear() releases it.
 */
int spf_select_record(const struct dns_answer *txt, struct spf_lookup *out);
void spf_lookup_clear(struct spf_lookup *lk);

/*
 * Walk the SPF tree of domain (normalized). CHECK_PENDING when answers are missing
 * (every one that can already be named has been asked), CHECK_DONE when walk is
 * complete. The root's TXT answer decides everything else: when it is not OK, the
 * walk stops there (nodes[0].lk says why). Free with spf_walk_free() in both cases.
 */
enum check_status spf_walk(struct eval_ctx *ctx, const char *domain, struct spf_walk *walk);
void spf_walk_free(struct spf_walk *walk);

/* The term as written ("-all", "include:x", "redirect=x", "ip4:192.0.2.0/24"), sanitized. */
const char *spf_term_text(const struct spf_term *t, char *out, size_t outlen);

#endif
