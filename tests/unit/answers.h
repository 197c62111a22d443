/*
 * answers.h - build DNS answers for unit tests of checks (no resolver involved).
 *
 * Each helper adds one answer to the context's table, as if it had come from DNS.
 * Authoritative, TTL 3600 unless said otherwise. They fail the test on OOM.
 */
#ifndef TEST_ANSWERS_H
#define TEST_ANSWERS_H

#include "eval/eval.h"

/* name type -> status with no records (NXDOMAIN, NODATA, SERVFAIL, TIMEOUT...). */
void ans_status(struct eval_ctx *ctx, const char *name, uint16_t type, enum dns_status st);
/* name TXT -> one record per argument (each a single character-string), NULL-terminated. */
void ans_txt(struct eval_ctx *ctx, const char *name, ...);
/*
 * Not into a context: fill *a (overwritten; the caller clears it) with status st and,
 * for DNS_OK, one TXT record of the one string record (key sources of verifiers).
 */
void ans_fill_txt(struct dns_answer *a, const char *name, enum dns_status st,
		  const char *record);
/* name TXT -> one record made of several character-strings, NULL-terminated. */
void ans_txt_split(struct eval_ctx *ctx, const char *name, ...);
/* name MX -> "PREF HOST" strings, NULL-terminated ("0 ." is a null MX). */
void ans_mx(struct eval_ctx *ctx, const char *name, ...);
/* name A or AAAA -> addresses in text form, NULL-terminated. */
void ans_addr(struct eval_ctx *ctx, const char *name, uint16_t type, ...);
/* Like ans_addr/ans_mx but with a TTL, the AA bit and a CNAME hop count. */
void ans_mx_ttl(struct eval_ctx *ctx, const char *name, uint32_t ttl, bool aa, ...);
void ans_addr_cname(struct eval_ctx *ctx, const char *name, uint16_t type,
		    const char *canonical, ...);

/* DNSSEC: answers added from now on carry the AD bit (secure) or not (the default). */
void ans_set_secure(bool secure);
/* name MX with a TTL, the AA bit and an RRSIG original TTL (0: unsigned). */
void ans_mx_sig(struct eval_ctx *ctx, const char *name, uint32_t ttl, bool aa,
		uint32_t sig_ttl, ...);
/* name type -> SERVFAIL that failed validation (bogus). */
void ans_bogus(struct eval_ctx *ctx, const char *name, uint16_t type);
/* name TLSA -> one record per "U S M HEX" string, NULL-terminated. */
void ans_tlsa(struct eval_ctx *ctx, const char *name, ...);

#endif
