/*
 * answers.c - DNS answers for unit tests (see answers.h).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"

static bool next_secure;

void
ans_set_secure(bool secure)
{
	next_secure = secure;
}

static void
answer_init(struct dns_answer *a, const char *name, uint16_t type)
{
	memset(a, 0, sizeof(*a));
	a->secure = next_secure;
	a->qname = strdup(name);
	a->canonical = strdup(name);
	a->qtype = type;
	a->authoritative = true;
	a->queries = 1;
	assert_non_null(a->qname);
	assert_non_null(a->canonical);
}

static struct dns_rr *
answer_push(struct dns_answer *a, uint16_t type, uint32_t ttl)
{
	struct dns_rr *rr;

	a->rrs = realloc(a->rrs, (a->count + 1) * sizeof(*a->rrs));
	assert_non_null(a->rrs);
	rr = &a->rrs[a->count++];
	memset(rr, 0, sizeof(*rr));
	rr->owner = strdup(a->canonical);
	assert_non_null(rr->owner);
	rr->type = type;
	rr->ttl = ttl;
	return rr;
}

static void
answer_commit(struct eval_ctx *ctx, struct dns_answer *a)
{
	if (a->status == DNS_OK && a->count == 0)
		a->status = DNS_NODATA;
	assert_int_equal(eval_add_answer(ctx, a), 0);
	dns_answer_clear(a);
}

void
ans_status(struct eval_ctx *ctx, const char *name, uint16_t type, enum dns_status st)
{
	struct dns_answer a;

	answer_init(&a, name, type);
	a.status = st;
	if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		a.negative_ttl = 300;
	answer_commit(ctx, &a);
}

static void
txt_add_string(struct dns_rr *rr, const char *s)
{
	struct dns_txt_string *ts;

	rr->u.txt.strings = realloc(rr->u.txt.strings,
	    (rr->u.txt.count + 1) * sizeof(*rr->u.txt.strings));
	assert_non_null(rr->u.txt.strings);
	ts = &rr->u.txt.strings[rr->u.txt.count++];
	ts->len = strlen(s);
	ts->data = (uint8_t *)strdup(s);
	assert_non_null(ts->data);
}

void
ans_txt(struct eval_ctx *ctx, const char *name, ...)
{
	struct dns_answer a;
	const char *s;
	va_list ap;

	answer_init(&a, name, DNS_T_TXT);
	va_start(ap, name);
	while ((s = va_arg(ap, const char *)) != NULL)
		txt_add_string(answer_push(&a, DNS_T_TXT, 3600), s);
	va_end(ap);
	answer_commit(ctx, &a);
}

/* Fill a raw answer: status, and for DNS_OK one TXT record of one string. */
void
ans_fill_txt(struct dns_answer *a, const char *name, enum dns_status st, const char *record)
{
	answer_init(a, name, DNS_T_TXT);
	a->status = st;
	if (st == DNS_OK)
		txt_add_string(answer_push(a, DNS_T_TXT, 300), record);
}

void
ans_txt_split(struct eval_ctx *ctx, const char *name, ...)
{
	struct dns_answer a;
	struct dns_rr *rr;
	const char *s;
	va_list ap;

	answer_init(&a, name, DNS_T_TXT);
	rr = answer_push(&a, DNS_T_TXT, 3600);
	va_start(ap, name);
	while ((s = va_arg(ap, const char *)) != NULL)
		txt_add_string(rr, s);
	va_end(ap);
	answer_commit(ctx, &a);
}

static void
mx_fill(struct dns_answer *a, uint32_t ttl, va_list ap)
{
	const char *s;
	struct dns_rr *rr;
	char host[256];
	unsigned pref;

	while ((s = va_arg(ap, const char *)) != NULL) {
		assert_int_equal(sscanf(s, "%u %255s", &pref, host), 2);
		rr = answer_push(a, DNS_T_MX, ttl);
		rr->u.mx.preference = (uint16_t)pref;
		if (strcmp(host, ".") == 0)
			host[0] = '\0';
		else if (host[strlen(host) - 1] == '.')
			host[strlen(host) - 1] = '\0';
		rr->u.mx.exchange = strdup(host);
		assert_non_null(rr->u.mx.exchange);
	}
}

void
ans_mx(struct eval_ctx *ctx, const char *name, ...)
{
	struct dns_answer a;
	va_list ap;

	answer_init(&a, name, DNS_T_MX);
	va_start(ap, name);
	mx_fill(&a, 3600, ap);
	va_end(ap);
	answer_commit(ctx, &a);
}

void
ans_mx_sig(struct eval_ctx *ctx, const char *name, uint32_t ttl, bool aa, uint32_t sig_ttl,
	   ...)
{
	struct dns_answer a;
	va_list ap;

	answer_init(&a, name, DNS_T_MX);
	a.authoritative = aa;
	a.sig_ttl = sig_ttl;
	va_start(ap, sig_ttl);
	mx_fill(&a, ttl, ap);
	va_end(ap);
	answer_commit(ctx, &a);
}

void
ans_bogus(struct eval_ctx *ctx, const char *name, uint16_t type)
{
	struct dns_answer a;

	answer_init(&a, name, type);
	a.status = DNS_SERVFAIL;
	a.secure = false;
	a.bogus = true;
	answer_commit(ctx, &a);
}

void
ans_tlsa(struct eval_ctx *ctx, const char *name, ...)
{
	struct dns_answer a;
	struct dns_rr *rr;
	const char *s, *hex;
	unsigned u, sel, mt;
	int used;
	size_t n, i;
	va_list ap;

	answer_init(&a, name, DNS_T_TLSA);
	va_start(ap, name);
	while ((s = va_arg(ap, const char *)) != NULL) {
		assert_int_equal(sscanf(s, "%u %u %u %n", &u, &sel, &mt, &used), 3);
		hex = s + used;
		n = strlen(hex) / 2;
		rr = answer_push(&a, DNS_T_TLSA, 3600);
		rr->u.raw.len = 3 + n;
		rr->u.raw.data = malloc(3 + n + 1);
		assert_non_null(rr->u.raw.data);
		rr->u.raw.data[0] = (uint8_t)u;
		rr->u.raw.data[1] = (uint8_t)sel;
		rr->u.raw.data[2] = (uint8_t)mt;
		for (i = 0; i < n; i++) {
			unsigned byte;

			assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
			rr->u.raw.data[3 + i] = (uint8_t)byte;
		}
	}
	va_end(ap);
	answer_commit(ctx, &a);
}

void
ans_mx_ttl(struct eval_ctx *ctx, const char *name, uint32_t ttl, bool aa, ...)
{
	struct dns_answer a;
	va_list ap;

	answer_init(&a, name, DNS_T_MX);
	a.authoritative = aa;
	va_start(ap, aa);
	mx_fill(&a, ttl, ap);
	va_end(ap);
	answer_commit(ctx, &a);
}

static void
addr_fill(struct dns_answer *a, uint16_t type, va_list ap)
{
	const char *s;
	struct dns_rr *rr;

	while ((s = va_arg(ap, const char *)) != NULL) {
		rr = answer_push(a, type, 3600);
		assert_int_equal(inet_pton(type == DNS_T_A ? AF_INET : AF_INET6, s,
		    rr->u.addr), 1);
	}
}

void
ans_addr(struct eval_ctx *ctx, const char *name, uint16_t type, ...)
{
	struct dns_answer a;
	va_list ap;

	answer_init(&a, name, type);
	va_start(ap, type);
	addr_fill(&a, type, ap);
	va_end(ap);
	answer_commit(ctx, &a);
}

void
ans_addr_cname(struct eval_ctx *ctx, const char *name, uint16_t type,
	       const char *canonical, ...)
{
	struct dns_answer a;
	va_list ap;

	answer_init(&a, name, type);
	free(a.canonical);
	a.canonical = strdup(canonical);
	assert_non_null(a.canonical);
	a.cname_hops = 1;
	va_start(ap, canonical);
	addr_fill(&a, type, ap);
	va_end(ap);
	answer_commit(ctx, &a);
}
