/*
 * spf_walk.c - the SPF record tree and its RFC 7208 4.6.4 counts, level by level, as a
 * pure function of eval_dns() answers (see spf_walk.h for the rules and bounds).
 *
 * What can go wrong: record text and names come from DNS and may hold any byte; names
 * are validated (walk_name()) before they are asked or stored, and printed only
 * through spf_term_text(), which masks non-printables. Out of memory while joining or
 * parsing a record is recorded (walk->oom), never fatal. A walk never asks more than
 * its bound, whatever the records say: see walk_level_lookups().
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/ascii.h"
#include "check/spf_walk.h"
#include "util/dnsname.h"

/* Whether a status is a certain "no records" (RFC 2308 NXDOMAIN/NODATA). */
static bool
status_negative(const struct dns_answer *a)
{
	return a->status == DNS_NXDOMAIN || a->status == DNS_NODATA ||
	    (a->status == DNS_OK && a->count == 0);
}

/* Whether joined TXT text is a Sender ID record ("spf2.0/...", RFC 4406 3). */
static bool
is_senderid(const char *text, size_t len)
{
	return len >= 7 && strncasecmp(text, "spf2.0/", 7) == 0;
}

/* Release the parsed record of a lookup. */
void
spf_lookup_clear(struct spf_lookup *lk)
{
	if (lk->state == SPF_FETCH_OK)
		spf_record_free(&lk->record);
	memset(lk, 0, sizeof(*lk));
}

/* Select and parse the single v=spf1 record of a TXT (or type 99) answer. */
int
spf_select_record(const struct dns_answer *txt, struct spf_lookup *out)
{
	const struct dns_rr *chosen = NULL;
	size_t i, n;
	char *text;

	memset(out, 0, sizeof(*out));
	out->status = txt->status;
	if (txt->status != DNS_OK) {
		out->state = status_negative(txt) ? SPF_FETCH_NONE : SPF_FETCH_FAILED;
		return 0;
	}
	for (i = 0; i < txt->count; i++) {
		if (txt->rrs[i].type != DNS_T_TXT && txt->rrs[i].type != DNS_T_SPF)
			continue;
		out->ntxt++;
		text = dns_txt_join(&txt->rrs[i], &n);
		if (text == NULL) {
			out->state = SPF_FETCH_OOM;
			return -1;
		}
		/* RFC 7208 4.5: records not starting with "v=spf1" are discarded */
		if (spf_is_record((const uint8_t *)text, n)) {
			if (out->nrecords++ == 0)
				chosen = &txt->rrs[i];
		} else if (is_senderid(text, n)) {
			out->nsenderid++;
		}
		free(text);
	}
	if (out->nrecords == 0) {
		out->state = SPF_FETCH_NONE;
	} else if (out->nrecords > 1) {
		out->state = SPF_FETCH_MULTIPLE;	/* RFC 7208 4.5: permerror */
	} else if (spf_parse_rr(chosen, &out->record) < 0) {
		memset(&out->record, 0, sizeof(out->record));
		out->state = SPF_FETCH_OOM;
		return -1;
	} else {
		out->state = SPF_FETCH_OK;
	}
	return 0;
}

/*
 * Copy a domain-spec into out as a name to ask: lower case, one trailing dot dropped,
 * the escapes %% %_ %- expanded (RFC 7208 7.1: "%", " ", "%20"; specs with other
 * macros never come here). False when the result cannot be a DNS name (RFC 1035
 * 2.3.4: DNS_NAME_ASKABLE) or holds a space, such as the space of %_: the walk asks
 * no name with a space, a rule of its own that eval_dns() does not have.
 */
static bool
walk_name(const char *spec, char out[256])
{
	size_t len = strlen(spec), i, o = 0;
	const char *add;
	char one[2];

	if (len > 0 && spec[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		if (spec[i] == '%' && i + 1 < len &&
		    (spec[i + 1] == '%' || spec[i + 1] == '_' || spec[i + 1] == '-')) {
			add = spec[i + 1] == '%' ? "%" : spec[i + 1] == '_' ? " " : "%20";
			i++;
		} else {
			one[0] = spec[i];
			one[1] = '\0';
			add = one;
		}
		for (; *add != '\0'; add++) {
			if (o >= DNS_NAME_MAX || *add == ' ')
				return false;
			out[o++] = (char)ascii_lower((unsigned char)*add);
		}
	}
	out[o] = '\0';
	return dns_name_check(out, o, DNS_NAME_ASKABLE) == DNS_NAME_OK;
}

/* The index of the record's first `all` term, or nterms when it has none. */
static size_t
record_all_index(const struct spf_record *rec)
{
	size_t i;

	for (i = 0; i < rec->nterms; i++)
		if (rec->terms[i].kind == SPF_ALL)
			return i;
	return rec->nterms;
}

/* Keep a note (the first ones of each kind; counts are kept by the caller). */
static void
walk_note(struct spf_walk *w, enum spf_note_kind kind, size_t node, size_t term,
	  enum dns_status st, size_t count)
{
	struct spf_note *n;

	if (w->nnotes >= SPF_WALK_MAX_NOTES)
		return;
	n = &w->notes[w->nnotes++];
	n->kind = kind;
	n->node = node;
	n->term = term;
	n->status = st;
	n->count = count;
}

/* Whether a term kind makes a DNS query at evaluation (RFC 7208 4.6.4). */
static bool
term_queries(enum spf_term_kind k)
{
	return k == SPF_INCLUDE || k == SPF_A || k == SPF_MX || k == SPF_PTR ||
	    k == SPF_EXISTS || k == SPF_REDIRECT;
}

/*
 * Count the DNS-querying terms of one record (RFC 7208 4.6.4), worst case: every term
 * up to `all` (terms after it are never tested, 5.1); redirect only when the record
 * has no `all` (6.1). Notes ptr and macro terms.
 */
static void
walk_count(struct spf_walk *w, size_t node)
{
	const struct spf_record *rec = &w->nodes[node].lk.record;
	size_t i, all = record_all_index(rec);
	const struct spf_term *t;

	for (i = 0; i < rec->nterms; i++) {
		t = &rec->terms[i];
		if (!term_queries(t->kind))
			continue;
		if (t->kind == SPF_REDIRECT ? all < rec->nterms : i > all)
			continue;
		w->lookups++;
		if (t->kind == SPF_PTR && w->nptr++ == 0)
			walk_note(w, SPF_NOTE_PTR, node, i, DNS_OK, 0);
		if (t->has_macros && w->nmacro++ == 0)
			walk_note(w, SPF_NOTE_MACRO, node, i, DNS_OK, 0);
	}
}

/* Whether name is on the path from the root to node (both included). */
static bool
on_path(const struct spf_walk *w, size_t node, const char *name)
{
	int i = (int)node;

	while (i >= 0) {
		if (strcmp(w->nodes[i].domain, name) == 0)
			return true;
		i = w->nodes[i].parent;
	}
	return false;
}

/* Add the target of an include/redirect term as a node of the next level. */
static void
walk_add_child(struct spf_walk *w, size_t node, size_t term)
{
	const struct spf_term *t = &w->nodes[node].lk.record.terms[term];
	struct spf_node *c;
	char name[256];

	if (w->nnodes >= SPF_WALK_MAX_NODES)
		return;		/* not reached: at most 10 counted targets (spf_walk.h) */
	c = &w->nodes[w->nnodes];
	memset(c, 0, sizeof(*c));
	c->parent = (int)node;
	c->via_term = term;
	c->via = t->kind;
	c->depth = w->nodes[node].depth + 1;
	c->redirect_child = -1;
	if (t->domain_spec == NULL || !walk_name(t->domain_spec, name)) {
		c->bad_name = true;
		snprintf(c->domain, sizeof(c->domain), "?");
	} else {
		memcpy(c->domain, name, strlen(name) + 1);
		c->loop = on_path(w, node, name);	/* RFC 7208 4.6.4: loops end in permerror */
	}
	if (t->kind == SPF_REDIRECT)
		w->nodes[node].redirect_child = (int)w->nnodes;
	w->nnodes++;
}

/* The lookup name of an a/mx/exists term: its domain-spec or the record's domain. */
static bool
term_target(const struct spf_walk *w, size_t node, const struct spf_term *t, char out[256])
{
	if (t->domain_spec == NULL)
		return walk_name(w->nodes[node].domain, out);
	return walk_name(t->domain_spec, out);
}

/* Record a void lookup of a term (RFC 7208 4.6.4). */
static void
walk_void(struct spf_walk *w, size_t node, size_t term, enum dns_status st)
{
	w->voids++;
	walk_note(w, SPF_NOTE_VOID, node, term, st == DNS_OK ? DNS_NODATA : st, 0);
}

/*
 * Ask the lookup of one a/mx/exists term and judge it when answered: void lookups
 * and MX sets over 10 names. Sets *pending when an answer is still missing.
 */
static void
walk_term_lookup(struct eval_ctx *ctx, struct spf_walk *w, size_t node, size_t term,
		 bool *pending)
{
	const struct spf_term *t = &w->nodes[node].lk.record.terms[term];
	const struct dns_answer *a, *aaaa;
	char name[256];
	size_t i, nmx;

	if (t->has_macros || !term_target(w, node, t, name))
		return;		/* flagged as a macro term; a bad name is a syntax error */
	a = eval_dns(ctx, name, t->kind == SPF_MX ? DNS_T_MX : DNS_T_A);
	if (a == NULL) {
		*pending = true;
		return;
	}
	if (t->kind == SPF_MX) {
		if (status_negative(a)) {
			walk_void(w, node, term, a->status);
		} else if (a->status == DNS_OK) {
			for (i = nmx = 0; i < a->count; i++)
				if (a->rrs[i].type == DNS_T_MX)
					nmx++;
			if (nmx > SPF_MX_NAMES_LIMIT) {
				w->nmx_names++;
				walk_note(w, SPF_NOTE_MX_NAMES, node, term, DNS_OK, nmx);
			}
		} else {
			w->failed_terms++;
		}
		return;
	}
	if (a->status == DNS_NXDOMAIN || (t->kind == SPF_EXISTS && status_negative(a))) {
		walk_void(w, node, term, a->status);
		return;
	}
	if (!status_negative(a)) {
		if (a->status != DNS_OK)
			w->failed_terms++;
		return;
	}
	/* `a` with no A records: void only when the name has no AAAA either */
	aaaa = eval_dns(ctx, name, DNS_T_AAAA);
	if (aaaa == NULL)
		*pending = true;
	else if (status_negative(aaaa))
		walk_void(w, node, term, aaaa->status);
	else if (aaaa->status != DNS_OK)
		w->failed_terms++;
}

/*
 * Ask what the terms of one level need: the targets of include/redirect terms become
 * the next level; a, mx and exists get their lookups. Only called while the count,
 * the whole level included, is within SPF_LOOKUP_LIMIT: that bounds the queries.
 */
static void
walk_level_lookups(struct eval_ctx *ctx, struct spf_walk *w, size_t lo, size_t hi,
		   bool *pending)
{
	const struct spf_record *rec;
	const struct spf_term *t;
	size_t i, j, all;

	for (i = lo; i < hi; i++) {
		if (w->nodes[i].lk.state != SPF_FETCH_OK)
			continue;
		rec = &w->nodes[i].lk.record;
		all = record_all_index(rec);
		for (j = 0; j < rec->nterms; j++) {
			t = &rec->terms[j];
			if (t->kind == SPF_REDIRECT) {
				if (all == rec->nterms && !t->has_macros)
					walk_add_child(w, i, j);
				continue;
			}
			if (j > all)
				break;
			if (t->kind == SPF_INCLUDE && !t->has_macros)
				walk_add_child(w, i, j);
			else if (t->kind == SPF_A || t->kind == SPF_MX || t->kind == SPF_EXISTS)
				walk_term_lookup(ctx, w, i, j, pending);
		}
	}
}

/* Fetch the records of one level; false when an answer is still missing. */
static bool
walk_fetch_level(struct eval_ctx *ctx, struct spf_walk *w, size_t lo, size_t hi)
{
	const struct dns_answer *a;
	struct spf_node *n;
	bool complete = true;
	size_t i;

	for (i = lo; i < hi; i++) {
		n = &w->nodes[i];
		if (n->loop || n->bad_name)
			continue;
		a = eval_dns(ctx, n->domain, DNS_T_TXT);
		if (a == NULL) {
			complete = false;
			continue;
		}
		if (spf_select_record(a, &n->lk) < 0)
			w->oom = true;
		if (n->lk.state == SPF_FETCH_FAILED && w->failed_node < 0)
			w->failed_node = (int)i;
		/* an include/redirect whose query found nothing is a void lookup too */
		if (n->parent >= 0 && status_negative(a))
			walk_void(w, (size_t)n->parent, n->via_term, a->status);
	}
	return complete;
}

/* Whether some include/redirect target of the level would still be fetched. */
static bool
level_has_targets(const struct spf_walk *w, size_t lo, size_t hi)
{
	const struct spf_record *rec;
	size_t i, j, all;

	for (i = lo; i < hi; i++) {
		if (w->nodes[i].lk.state != SPF_FETCH_OK)
			continue;
		rec = &w->nodes[i].lk.record;
		all = record_all_index(rec);
		for (j = 0; j < rec->nterms; j++) {
			if (rec->terms[j].has_macros)
				continue;
			if (rec->terms[j].kind == SPF_INCLUDE && j < all)
				return true;
			if (rec->terms[j].kind == SPF_REDIRECT && all == rec->nterms)
				return true;
		}
	}
	return false;
}

/* Walk the tree of domain, one level per round. */
enum check_status
spf_walk(struct eval_ctx *ctx, const char *domain, struct spf_walk *w)
{
	bool pending = false;
	size_t lo = 0, hi = 1, i;

	memset(w, 0, sizeof(*w));
	w->failed_node = -1;
	w->nnodes = 1;
	w->nodes[0].parent = -1;
	w->nodes[0].via = SPF_ALL;
	w->nodes[0].redirect_child = -1;
	snprintf(w->nodes[0].domain, sizeof(w->nodes[0].domain), "%s", domain);

	for (;;) {
		if (!walk_fetch_level(ctx, w, lo, hi))
			return CHECK_PENDING;
		if (w->nodes[0].lk.state != SPF_FETCH_OK)
			break;
		for (i = lo; i < hi; i++)
			if (w->nodes[i].lk.state == SPF_FETCH_OK)
				walk_count(w, i);
		if (w->lookups > SPF_LOOKUP_LIMIT) {
			/* already a permerror: stop asking (spf_walk.h, Bounds) */
			w->stopped = level_has_targets(w, lo, hi);
			break;
		}
		walk_level_lookups(ctx, w, lo, hi, &pending);
		if (w->nnodes == hi)
			break;
		lo = hi;
		hi = w->nnodes;
	}
	return pending ? CHECK_PENDING : CHECK_DONE;
}

/* Release the parsed records of a walk. */
void
spf_walk_free(struct spf_walk *w)
{
	size_t i;

	for (i = 0; i < w->nnodes && i < SPF_WALK_MAX_NODES; i++)
		spf_lookup_clear(&w->nodes[i].lk);
}

/* Append s to out at *o, masking bytes that are not printable ASCII; "..." when cut. */
static void
text_append(char *out, size_t outlen, size_t *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i, n;

	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			esc[0] = (char)p[i];
			esc[1] = '\0';
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
		}
		n = strlen(esc);
		if (*o + n + 4 >= outlen) {
			if (*o + 4 <= outlen) {
				memcpy(out + *o, "...", 4);
				*o += 3;
			}
			return;
		}
		memcpy(out + *o, esc, n + 1);
		*o += n;
	}
}

/* The term as written, for messages. */
const char *
spf_term_text(const struct spf_term *t, char *out, size_t outlen)
{
	static const char quals[] = { '+', '-', '~', '?' };
	char addr[INET6_ADDRSTRLEN + 8];
	bool modifier;
	size_t o = 0;

	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	out[0] = '\0';
	modifier = t->kind == SPF_REDIRECT || t->kind == SPF_EXP || t->kind == SPF_UNKNOWN_MOD;
	if (!modifier && (t->qualifier != SPF_Q_PASS || t->kind == SPF_ALL) &&
	    (unsigned)t->qualifier < sizeof(quals)) {
		out[o++] = quals[t->qualifier];
		out[o] = '\0';
	}
	text_append(out, outlen, &o, t->kind == SPF_UNKNOWN_MOD && t->mod_name ?
	    t->mod_name : spf_term_name(t->kind));
	if (t->kind == SPF_IP4 || t->kind == SPF_IP6) {
		if (inet_ntop(t->kind == SPF_IP4 ? AF_INET : AF_INET6, t->addr, addr + 1,
		    INET6_ADDRSTRLEN) == NULL)
			snprintf(addr + 1, INET6_ADDRSTRLEN, "?");
		addr[0] = ':';
		text_append(out, outlen, &o, addr);
	} else if (t->domain_spec != NULL) {
		text_append(out, outlen, &o, modifier ? "=" : ":");
		text_append(out, outlen, &o, t->domain_spec);
	}
	if (t->kind != SPF_IP6 && t->cidr4 >= 0) {
		snprintf(addr, sizeof(addr), "/%d", t->cidr4);
		text_append(out, outlen, &o, addr);
	}
	if (t->kind != SPF_IP4 && t->cidr6 >= 0) {
		snprintf(addr, sizeof(addr), t->kind == SPF_IP6 ? "/%d" : "//%d", t->cidr6);
		text_append(out, outlen, &o, addr);
	}
	return out;
}
