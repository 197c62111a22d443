/*
 * dns_answer.c - helpers around struct dns_answer (see dns.h), no I/O, no c-ares.
 *
 *   dns_rr_clear(), dns_rr_copy()    one record
 *   dns_answer_clear(), dns_answer_copy(), dns_answer_min_ttl()
 *   dns_status_str(), dns_type_str(), dns_txt_join(), dns_now_ms()
 *
 * What can go wrong: out of memory (copies and joins return -1/NULL and leave nothing
 * half-built), and a TXT record whose joined strings would overflow size_t (refused).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* strdup, clock_gettime under -std=c11 */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns.h"

/* Free what one record owns and zero it. */
void
dns_rr_clear(struct dns_rr *rr)
{
	size_t i;

	if (rr == NULL)
		return;
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		break;
	case DNS_T_MX:
		free(rr->u.mx.exchange);
		break;
	case DNS_T_TXT:
	case DNS_T_SPF:
		for (i = 0; i < rr->u.txt.count && rr->u.txt.strings; i++)
			free(rr->u.txt.strings[i].data);
		free(rr->u.txt.strings);
		break;
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR:
		free(rr->u.target);
		break;
	case DNS_T_SOA:
		free(rr->u.soa.mname);
		free(rr->u.soa.rname);
		break;
	default:
		free(rr->u.raw.data);
		break;
	}
	free(rr->owner);
	memset(rr, 0, sizeof(*rr));
}

/* strdup() that accepts NULL (and then returns NULL with *fail unset). */
static char *
dup_or_null(const char *s, int *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = 1;
	return d;
}

/* Deep copy a record; 0 or -1 on OOM (dst then holds nothing). */
int
dns_rr_copy(struct dns_rr *dst, const struct dns_rr *src)
{
	int fail = 0;
	size_t i;

	*dst = *src;
	memset(&dst->u, 0, sizeof(dst->u));
	dst->owner = dup_or_null(src->owner, &fail);
	switch (src->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		memcpy(dst->u.addr, src->u.addr, sizeof(dst->u.addr));
		break;
	case DNS_T_MX:
		dst->u.mx.preference = src->u.mx.preference;
		dst->u.mx.exchange = dup_or_null(src->u.mx.exchange, &fail);
		break;
	case DNS_T_TXT:
	case DNS_T_SPF:
		if (src->u.txt.count == 0 || src->u.txt.strings == NULL)
			break;
		dst->u.txt.strings = calloc(src->u.txt.count, sizeof(*dst->u.txt.strings));
		if (dst->u.txt.strings == NULL) {
			fail = 1;
			break;
		}
		for (i = 0; i < src->u.txt.count; i++) {
			const struct dns_txt_string *s = &src->u.txt.strings[i];
			struct dns_txt_string *d = &dst->u.txt.strings[i];

			d->data = malloc(s->len + 1);
			if (d->data == NULL) {
				fail = 1;
				break;
			}
			if (s->len)
				memcpy(d->data, s->data, s->len);
			d->data[s->len] = 0;
			d->len = s->len;
			dst->u.txt.count++;
		}
		break;
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR:
		dst->u.target = dup_or_null(src->u.target, &fail);
		break;
	case DNS_T_SOA:
		dst->u.soa = src->u.soa;
		dst->u.soa.mname = dup_or_null(src->u.soa.mname, &fail);
		dst->u.soa.rname = dup_or_null(src->u.soa.rname, &fail);
		break;
	default:
		dst->u.raw.len = src->u.raw.len;
		if (src->u.raw.data == NULL)
			break;
		dst->u.raw.data = malloc(src->u.raw.len ? src->u.raw.len : 1);
		if (dst->u.raw.data == NULL) {
			fail = 1;
			break;
		}
		if (src->u.raw.len)
			memcpy(dst->u.raw.data, src->u.raw.data, src->u.raw.len);
		break;
	}
	if (fail) {
		dns_rr_clear(dst);
		return -1;
	}
	return 0;
}

/* Release what an answer owns (not the struct itself) and zero it. */
void
dns_answer_clear(struct dns_answer *a)
{
	size_t i;

	if (a == NULL)
		return;
	free(a->qname);
	free(a->canonical);
	for (i = 0; i < a->count && a->rrs; i++)
		dns_rr_clear(&a->rrs[i]);
	free(a->rrs);
	memset(a, 0, sizeof(*a));
}

/* Deep copy; 0 or -1 on OOM (dst then holds nothing). */
int
dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src)
{
	size_t i;

	*dst = *src;
	dst->qname = NULL;
	dst->canonical = NULL;
	dst->rrs = NULL;
	dst->count = 0;
	if (src->qname != NULL && (dst->qname = strdup(src->qname)) == NULL)
		goto oom;
	if (src->canonical != NULL && (dst->canonical = strdup(src->canonical)) == NULL)
		goto oom;
	if (src->count > 0 && src->rrs != NULL) {
		dst->rrs = calloc(src->count, sizeof(*dst->rrs));
		if (dst->rrs == NULL)
			goto oom;
		for (i = 0; i < src->count; i++) {
			if (dns_rr_copy(&dst->rrs[i], &src->rrs[i]) < 0)
				goto oom;
			dst->count++;
		}
	}
	return 0;
oom:
	dns_answer_clear(dst);
	return -1;
}

/* Lowest TTL of the records (0 when none). */
uint32_t
dns_answer_min_ttl(const struct dns_answer *a)
{
	uint32_t min = 0;
	size_t i;

	for (i = 0; i < a->count && a->rrs; i++)
		if (i == 0 || a->rrs[i].ttl < min)
			min = a->rrs[i].ttl;
	return min;
}

/* A word for a status, for messages and logs. */
const char *
dns_status_str(enum dns_status st)
{
	switch (st) {
	case DNS_OK:		return "NOERROR";
	case DNS_NODATA:	return "NODATA";
	case DNS_NXDOMAIN:	return "NXDOMAIN";
	case DNS_SERVFAIL:	return "SERVFAIL";
	case DNS_REFUSED:	return "REFUSED";
	case DNS_TIMEOUT:	return "timeout";
	case DNS_MALFORMED:	return "malformed answer";
	case DNS_TRUNCATED:	return "truncated answer";
	case DNS_BUDGET:	return "query budget exhausted";
	case DNS_ERROR:		return "resolver error";
	}
	return "unknown status";
}

/* The mnemonic of a type, or "TYPEnnn" (RFC 3597 5) in a per-thread buffer. */
const char *
dns_type_str(uint16_t type)
{
	static _Thread_local char other[16];

	switch (type) {
	case DNS_T_A:		return "A";
	case DNS_T_NS:		return "NS";
	case DNS_T_CNAME:	return "CNAME";
	case DNS_T_SOA:		return "SOA";
	case DNS_T_PTR:		return "PTR";
	case DNS_T_MX:		return "MX";
	case DNS_T_TXT:		return "TXT";
	case DNS_T_AAAA:	return "AAAA";
	case 33:		return "SRV";
	case DNS_T_OPT:		return "OPT";
	case DNS_T_DS:		return "DS";
	case DNS_T_RRSIG:	return "RRSIG";
	case DNS_T_DNSKEY:	return "DNSKEY";
	case DNS_T_TLSA:	return "TLSA";
	case 64:		return "SVCB";
	case 65:		return "HTTPS";
	case DNS_T_SPF:		return "SPF";
	case 255:		return "ANY";
	case 257:		return "CAA";
	default:
		break;
	}
	snprintf(other, sizeof(other), "TYPE%u", (unsigned)type);
	return other;
}

/*
 * The character-strings of a TXT (or SPF) record concatenated with no separator
 * (RFC 7208 3.3), NUL-terminated, owned by the caller; NULL on OOM or other types.
 */
char *
dns_txt_join(const struct dns_rr *rr, size_t *lenp)
{
	size_t total = 0, i, off = 0;
	char *out;

	if (lenp)
		*lenp = 0;
	if (rr == NULL || (rr->type != DNS_T_TXT && rr->type != DNS_T_SPF))
		return NULL;
	for (i = 0; i < rr->u.txt.count; i++) {
		if (rr->u.txt.strings[i].len > SIZE_MAX - 1 - total)
			return NULL;
		total += rr->u.txt.strings[i].len;
	}
	out = malloc(total + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < rr->u.txt.count; i++) {
		const struct dns_txt_string *s = &rr->u.txt.strings[i];

		if (s->len)
			memcpy(out + off, s->data, s->len);
		off += s->len;
	}
	out[total] = '\0';
	if (lenp)
		*lenp = total;
	return out;
}

/* Monotonic milliseconds (CLOCK_MONOTONIC: immune to clock steps). */
uint64_t
dns_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
