/*
 * spf_eval.h - SPF verification of one message: check_host() of RFC 7208 section 4
 * as a pure function of eval_dns() answers.
 *
 *   spf_check_host()   evaluate <ip>, <domain>, <sender> against the domain's record
 *   spf_result_name()  "pass", "fail", ... (RFC 7208 2.6, RFC 8601 2.7.2)
 *
 * Rounds: the same protocol as checks (eval.h). spf_check_host() asks eval_dns() for
 * what the current step needs; when an answer is missing it also asks the first
 * lookup of the terms that follow in the records being evaluated (so that independent
 * lookups share a round), then returns CHECK_PENDING; the caller sends the queued
 * queries and calls it again with the same request. Only a CHECK_DONE run fills the
 * outcome. The result depends only on the answers, in evaluation order: a speculative
 * lookup never changes it, and the processing limits count what evaluation reached.
 *
 * What it implements: record selection (4.5), evaluation order and default (4.6, 4.7),
 * the limits of 4.6.4 (more than 10 DNS-querying terms, including the PTR lookup of
 * %{p}, or more than 2 void lookups: permerror; an mx target with more than 10 MX
 * records: permerror; only the first 10 PTR names are used), all mechanisms of
 * section 5 with the include result table of 5.2, redirect (6.1, ignored when the
 * record has "all"), macros (7: every letter, transformers, delimiters, URL escaping
 * of upper-case letters, 253-octet truncation by dropping left labels). exp= is not
 * evaluated (it never changes the result). No loopback or local-policy shortcut.
 *
 * Names: a target that cannot be a DNS name after expansion (empty label, label over
 * 63 octets, a byte outside %x20-7E or a backslash) is treated as non-existent (RFC
 * 7208 4.3, 4.8): the mechanism does not match, an include or redirect target gives
 * permerror. Request values longer than SPF_EVAL_VALUE_MAX bytes are cut there.
 *
 * DNS: NXDOMAIN and NODATA are "no records" (void for a, mx, ptr and exists); any
 * other failure (SERVFAIL, timeout, refused, malformed, budget, local error) makes the
 * result temperror, except where RFC 7208 5.5 says otherwise (ptr: no match, or the
 * name is skipped). The eval context's query budget must leave room for a worst-case
 * evaluation: 1 + 10 * 11 lookups + 11 for %{p}, about 125 queries.
 *
 * What can go wrong: records and names come from DNS and may hold anything; they are
 * parsed by spf_parse.c, validated before being asked and sanitized before being
 * copied into the outcome. Recursion is bounded by the lookup limit (depth <= 11).
 * Out of memory yields temperror. Thread-safe: no global state.
 */
#ifndef POSTURE_SPF_EVAL_H
#define POSTURE_SPF_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "eval/eval.h"

#define SPF_EVAL_TEXT_MAX	160	/* outcome strings, NUL included */
#define SPF_EVAL_VALUE_MAX	512	/* local-part, sender domain and HELO used in macros */

/* RFC 7208 2.6; the order is part of the interface (tests, logs). */
enum spf_result {
	SPF_R_NONE, SPF_R_NEUTRAL, SPF_R_PASS, SPF_R_FAIL, SPF_R_SOFTFAIL,
	SPF_R_TEMPERROR, SPF_R_PERMERROR
};

struct spf_request {
	uint8_t ip[16];		/* client address, network order */
	size_t iplen;		/* 4 or 16; IPv4-mapped IPv6 counts as IPv4 (RFC 7208 5) */
	const char *sender;	/* <sender> "local-part@domain" (split at the last "@");
				   NULL, "" or "@domain": local-part "postmaster" (4.3) */
	const char *domain;	/* <domain>: MAIL FROM's domain, or HELO for a null sender */
	const char *helo;	/* HELO/EHLO argument as given, for %{h}; may be NULL */
};

struct spf_outcome {
	enum spf_result result;
	/* the deciding term of the domain's own record (or of its redirect target), as
	   written and sanitized: "ip4:192.0.2.0/24", "-all", "include:_spf.example";
	   "" when no term matched (neutral by default, none) */
	char mechanism[SPF_EVAL_TEXT_MAX];
	/* why: permerror, temperror and none; "" otherwise; printable ASCII */
	char reason[SPF_EVAL_TEXT_MAX];
	unsigned lookups;	/* DNS-querying terms evaluated (RFC 7208 4.6.4) */
	unsigned voids;		/* void lookups among them */
};

/*
 * Evaluate req in ctx. CHECK_PENDING: answers are missing and were queued (out is
 * not meaningful); CHECK_DONE: out holds the result. req is only read, and must be
 * the same on every call of one evaluation.
 */
enum check_status spf_check_host(struct eval_ctx *ctx, const struct spf_request *req,
				 struct spf_outcome *out);

/* The result word: "none", "neutral", "pass", "fail", "softfail", "temperror",
   "permerror"; "?" for a value outside the enum. */
const char *spf_result_name(enum spf_result r);

#endif
