/*
 * spf_eval_int.h - what the two files of the SPF evaluator share; not an interface for
 * anything else (spf_eval.h is).
 *
 *   spf_eval.c         check_host() (RFC 7208 4), the mechanisms (5), the entry point
 *   spf_eval_macro.c   names, answers, macro expansion (7), the %{p} names and the
 *                      run's reason: what spf_eval.c builds on (it uses nothing of it)
 *
 * A struct spf_run is one call of spf_check_host(): the client, the macro values, the
 * counts of RFC 7208 4.6.4 and the %{p} names; it lives on the heap for that call only.
 */
#ifndef POSTURE_SPF_EVAL_INT_H
#define POSTURE_SPF_EVAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verify/spf_eval.h"

#define LOOKUP_MAX	10	/* DNS-querying terms (RFC 7208 4.6.4) */
#define VOID_MAX	2	/* void lookups (RFC 7208 4.6.4) */
#define MX_NAMES_MAX	10	/* MX records per mx term (RFC 7208 4.6.4) */
#define PTR_NAMES_MAX	10	/* PTR names used (RFC 7208 4.6.4) */
#define DEPTH_MAX	12	/* include/redirect nesting; the lookup limit stops at 11 */
#define NAME_SIZE	256	/* 253 octets + NUL, with room */

/* What a mechanism (or a step of one) gave. */
enum spf_match { M_NO, M_YES, M_PENDING, M_TEMPERROR, M_PERMERROR };

struct spf_run {
	struct eval_ctx *ctx;			/* borrowed */
	uint8_t ip[16];
	size_t iplen;				/* 4 or 16, IPv4-mapped already unmapped */
	char local[SPF_EVAL_VALUE_MAX + 1];	/* %{l} */
	char odomain[SPF_EVAL_VALUE_MAX + 1];	/* %{o} */
	char helo[SPF_EVAL_VALUE_MAX + 1];	/* %{h} */
	char ipdots[72];			/* %{i} */
	char revname[80];			/* the PTR query name of ip */
	unsigned lookups, voids, prefetched;
	bool p_ready;				/* pnames computed */
	char pnames[PTR_NAMES_MAX][NAME_SIZE];	/* validated names of ip (%{p}) */
	size_t npnames;
	char reason[SPF_EVAL_TEXT_MAX];		/* the first reason, unless forced */
};

/* Record why the evaluation ends (the first reason wins unless force). */
void spf_run_reason(struct spf_run *r, bool force, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The query form of len bytes (see spf_eval_macro.c); false: not a DNS name. */
bool spf_name_form(const char *s, size_t len, char out[NAME_SIZE], bool *multi);
/* Whether name equals domain or is a subdomain of it (both in query form). */
bool spf_name_within(const char *name, const char *domain);
/* Whether an answer is void: NXDOMAIN or NODATA (RFC 7208 4.6.4). */
bool spf_answer_void(const struct dns_answer *a);
/* DNS_T_A or DNS_T_AAAA for the client. */
uint16_t spf_addr_type(const struct spf_run *r);
/* Whether the first bits of a and b (len bytes each) are equal. */
bool spf_prefix_equal(const uint8_t *a, const uint8_t *b, size_t len, int bits);
/* Whether an address answer holds an address within bits of the client. */
bool spf_answer_matches(const struct spf_run *r, const struct dns_answer *a, int bits);

/*
 * Expand a domain-spec for the current domain (cur as given, curq in query form) into
 * a query name. M_YES with *valid telling whether out is a usable name; M_PENDING
 * (%{p} needs answers, or speculative and not computed yet); M_PERMERROR.
 */
enum spf_match spf_expand_spec(struct spf_run *r, const char *spec, const char *cur,
			       const char *curq, bool speculative, char out[NAME_SIZE],
			       bool *valid);
/* Compute the %{p} names once per run (counts one lookup); M_YES when ready. */
enum spf_match spf_p_names(struct spf_run *r, bool speculative);

#endif
