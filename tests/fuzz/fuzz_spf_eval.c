/*
 * fuzz_spf_eval.c - libFuzzer harness over the SPF evaluator (spf_check_host in
 * lib/verify/spf_eval.c, RFC 7208 check_host()).
 *
 * Input: lines. The first line is the TXT record of the evaluated domain fuzz.test;
 * the other lines are records that TXT lookups of other names may return. Every other
 * answer is derived from the input and the question (a hash picks NXDOMAIN, NODATA,
 * timeout, SERVFAIL or records: addresses that may be the client's, up to 12 MX or PTR
 * names), so each question always gets the same answer. The evaluation runs round by
 * round as the driver would, for an IPv4 and an IPv6 client, and must finish within 40
 * rounds and 400 distinct questions, with a result in range, counts within the limits
 * of RFC 7208 4.6.4 (at most 11 lookups, 3 voids) and printable outcome strings. A
 * broken invariant traps.
 *
 * The harness stands in for eval.c: it defines struct eval_ctx and eval_dns() itself
 * (spf_eval.c uses nothing else of the driver), so the questions of each round are
 * known without a resolver. Built by make check with fuzz_main.c (replays the seed
 * corpus) and by tests/fuzz/build-libfuzzer.sh with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/spf_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SLOTS	512
#define MAX_LINES	16
#define MAX_ROUNDS	40
#define MAX_QUESTIONS	400

struct slot {
	char *name;
	uint16_t type;
	bool ready;
	struct dns_answer ans;
};

/* The stand-in driver: answers by (name, type), questions of the current round. */
struct eval_ctx {
	struct slot slots[MAX_SLOTS];
	size_t nslots;
	const uint8_t *lines[MAX_LINES];
	size_t lens[MAX_LINES];
	size_t nlines;
	uint64_t seed;
};

/* Trap unless cond holds. */
static void
require(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* FNV-1a over a name and a type, salted with the input. */
static uint64_t
hash_question(const struct eval_ctx *ctx, const char *name, uint16_t type)
{
	uint64_t h = 1469598103934665603ULL ^ ctx->seed;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 1099511628211ULL;
	h = (h ^ type) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* A new record of type at the answer's name. */
static struct dns_rr *
push_rr(struct dns_answer *a, uint16_t type)
{
	struct dns_rr *grown = realloc(a->rrs, (a->count + 1) * sizeof(*grown));

	require(grown != NULL);
	a->rrs = grown;
	memset(&a->rrs[a->count], 0, sizeof(a->rrs[0]));
	a->rrs[a->count].owner = strdup(a->qname);
	require(a->rrs[a->count].owner != NULL);
	a->rrs[a->count].type = type;
	a->rrs[a->count].ttl = 300;
	return &a->rrs[a->count++];
}

/* A TXT record holding n bytes at p, cut into character-strings of 255. */
static void
push_txt(struct dns_answer *a, const uint8_t *p, size_t n)
{
	struct dns_rr *rr = push_rr(a, DNS_T_TXT);
	size_t count = n / 255 + 1, i, len;

	rr->u.txt.strings = calloc(count, sizeof(*rr->u.txt.strings));
	require(rr->u.txt.strings != NULL);
	rr->u.txt.count = count;
	for (i = 0; i < count; i++) {
		len = n - i * 255 < 255 ? n - i * 255 : 255;
		rr->u.txt.strings[i].data = malloc(len + 1);
		require(rr->u.txt.strings[i].data != NULL);
		memcpy(rr->u.txt.strings[i].data, p + i * 255, len);
		rr->u.txt.strings[i].data[len] = 0;
		rr->u.txt.strings[i].len = len;
	}
}

/* A record naming target (MX exchange or PTR). */
static void
push_name(struct dns_answer *a, uint16_t type, const char *target, uint16_t pref)
{
	struct dns_rr *rr = push_rr(a, type);
	char *copy = strdup(target);

	require(copy != NULL);
	if (type == DNS_T_MX) {
		rr->u.mx.preference = pref;
		rr->u.mx.exchange = copy;
	} else {
		rr->u.target = copy;
	}
}

/* The answer to (name, type), derived from the input. */
static void
make_answer(const struct eval_ctx *ctx, const char *name, uint16_t type, struct dns_answer *a)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint64_t h = hash_question(ctx, name, type);
	unsigned pick = (unsigned)(h % 16), i, n;
	char target[64];
	struct dns_rr *rr;

	memset(a, 0, sizeof(*a));
	a->qname = strdup(name);
	a->canonical = strdup(name);
	require(a->qname != NULL && a->canonical != NULL);
	a->qtype = type;
	a->queries = 1;
	if (type == DNS_T_TXT && strcmp(name, "fuzz.test") == 0) {
		push_txt(a, ctx->lines[0], ctx->lens[0]);
		return;
	}
	if (pick == 0 || pick == 1) {
		a->status = pick == 0 ? DNS_TIMEOUT : DNS_SERVFAIL;
		return;
	}
	if (pick <= 5) {
		a->status = pick == 5 ? DNS_NODATA : DNS_NXDOMAIN;
		return;
	}
	if (type == DNS_T_TXT) {
		/* one of the other lines; now and then a second record (permerror) */
		if (ctx->nlines > 1) {
			i = 1 + (unsigned)((h >> 8) % (ctx->nlines - 1));
			push_txt(a, ctx->lines[i], ctx->lens[i]);
			if ((h >> 50) % 8 == 0)
				push_txt(a, ctx->lines[1], ctx->lens[1]);
		}
		a->status = a->count > 0 ? DNS_OK : DNS_NODATA;
		return;
	}
	/* up to 4 addresses, some the client's; up to 12 MX or PTR names (limit: 10) */
	n = (unsigned)((h >> 8) % (type == DNS_T_A || type == DNS_T_AAAA ? 4 : 13)) + 1;
	for (i = 0; i < n; i++) {
		uint64_t g = h >> (i * 3 % 40);

		switch (type) {
		case DNS_T_A:
		case DNS_T_AAAA:
			rr = push_rr(a, type);
			memcpy(rr->u.addr, type == DNS_T_A ? v4 : v6, type == DNS_T_A ? 4 : 16);
			if (g % 3 != 0)
				rr->u.addr[type == DNS_T_A ? 3 : 15] = (uint8_t)(g >> 8);
			break;
		case DNS_T_MX:
			snprintf(target, sizeof(target), (g & 7) == 0 ? "" : "m%u.fuzz.test", i);
			push_name(a, DNS_T_MX, target, (uint16_t)i);
			break;
		case DNS_T_PTR:
			snprintf(target, sizeof(target), (g & 3) == 0 ? "fuzz.test" : "p%u.fuzz.test", i);
			push_name(a, DNS_T_PTR, target, 0);
			break;
		default:
			break;
		}
	}
	a->status = a->count > 0 ? DNS_OK : DNS_NODATA;
}

/* The stand-in for eval_dns(): a known answer, or NULL with the question queued. */
const struct dns_answer *
eval_dns(struct eval_ctx *ctx, const char *name, uint16_t type)
{
	struct slot *s;
	size_t i;

	for (i = 0; i < ctx->nslots; i++)
		if (ctx->slots[i].type == type && strcmp(ctx->slots[i].name, name) == 0)
			return ctx->slots[i].ready ? &ctx->slots[i].ans : NULL;
	require(ctx->nslots < MAX_SLOTS);
	s = &ctx->slots[ctx->nslots++];
	s->name = strdup(name);
	require(s->name != NULL);
	s->type = type;
	s->ready = false;
	memset(&s->ans, 0, sizeof(s->ans));
	if (ctx->nslots > MAX_QUESTIONS) {
		s->ans.status = DNS_BUDGET;
		s->ready = true;
		return &s->ans;
	}
	return NULL;
}

/* Every byte of a NUL-terminated outcome string is printable ASCII. */
static void
require_printable(const char *s, size_t size)
{
	size_t i;

	require(memchr(s, '\0', size) != NULL);
	for (i = 0; s[i] != '\0'; i++)
		require((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f);
}

/* Evaluate for one client until done; every invariant must hold. */
static void
evaluate(struct eval_ctx *ctx, const uint8_t *ip, size_t iplen)
{
	struct spf_request req = { .iplen = iplen, .sender = "user.name@fuzz.test",
	    .domain = "fuzz.test", .helo = "helo.fuzz.test" };
	struct spf_outcome out;
	enum check_status st;
	unsigned rounds = 0;
	size_t i;

	memcpy(req.ip, ip, iplen);
	for (;;) {
		st = spf_check_host(ctx, &req, &out);
		if (st == CHECK_DONE)
			break;
		require(++rounds <= MAX_ROUNDS);
		for (i = 0; i < ctx->nslots; i++) {
			if (ctx->slots[i].ready)
				continue;
			make_answer(ctx, ctx->slots[i].name, ctx->slots[i].type, &ctx->slots[i].ans);
			ctx->slots[i].ready = true;
		}
	}
	require(out.result <= SPF_R_PERMERROR);
	require(out.lookups <= 11 && out.voids <= 3);
	require(out.lookups <= 10 || out.result == SPF_R_PERMERROR);
	require(out.voids <= 2 || out.result == SPF_R_PERMERROR);
	require_printable(out.mechanism, sizeof(out.mechanism));
	require_printable(out.reason, sizeof(out.reason));
	for (i = 0; i < ctx->nslots; i++) {
		dns_answer_clear(&ctx->slots[i].ans);
		free(ctx->slots[i].name);
	}
	ctx->nslots = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct eval_ctx *ctx;
	size_t i, start = 0;

	if (size > 65536)
		return 0;
	ctx = calloc(1, sizeof(*ctx));
	require(ctx != NULL);
	for (i = 0; i <= size && ctx->nlines < MAX_LINES; i++) {
		if (i == size || data[i] == '\n') {
			ctx->lines[ctx->nlines] = data + start;
			ctx->lens[ctx->nlines++] = i - start;
			start = i + 1;
		}
	}
	for (i = 0; i < size; i++)
		ctx->seed = (ctx->seed ^ data[i]) * 1099511628211ULL;
	evaluate(ctx, v4, sizeof(v4));
	evaluate(ctx, v6, sizeof(v6));
	free(ctx);
	return 0;
}
