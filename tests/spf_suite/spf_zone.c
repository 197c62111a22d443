/*
 * spf_zone.c - an in-process zone and round driver for SPF check tests (spf_zone.h).
 *
 * What can go wrong: lines come from yml2zone.py or from test tables; each is parsed
 * with explicit length checks and refused with a reason when malformed. Allocation
 * failures fail the running test (cmocka assert_non_null).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "spf_zone.h"

#define MAX_QUEUED 4096

/* One line of the zone. */
struct zentry {
	char *name;			/* lower case, no trailing dot */
	uint16_t type;			/* 0 for a bare TIMEOUT */
	bool timeout;			/* TIMEOUT (bare or of type) */
	struct dns_txt_string *strings;	/* TXT/SPF */
	size_t nstrings;
	uint16_t pref;			/* MX */
	char *target;			/* MX exchange, PTR, CNAME */
	uint8_t addr[16];		/* A, AAAA */
};

struct spf_zone {
	struct zentry *e;
	size_t n, cap;
};

/* Questions the wrapped eval_dns() queued during the current run. */
static struct {
	char *name;
	uint16_t type;
} queued[MAX_QUEUED];
static size_t nqueued;
static bool queue_overflow;
static char last_fact[64];

const struct dns_answer *__real_eval_dns(struct eval_ctx *ctx, const char *name,
					 uint16_t type);
const struct dns_answer *__wrap_eval_dns(struct eval_ctx *ctx, const char *name,
					 uint16_t type);

void __real_eval_set_fact(struct eval_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void __wrap_eval_set_fact(struct eval_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The real eval_set_fact(), keeping a copy of the fact. */
void
__wrap_eval_set_fact(struct eval_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_fact, sizeof(last_fact), fmt, ap);
	va_end(ap);
	__real_eval_set_fact(ctx, "%s", last_fact);
}

/* The fact of the last run. */
const char *
spf_zone_last_fact(void)
{
	return last_fact;
}

/* The real eval_dns(), noting every question it queued for the next round. */
const struct dns_answer *
__wrap_eval_dns(struct eval_ctx *ctx, const char *name, uint16_t type)
{
	const struct dns_answer *a = __real_eval_dns(ctx, name, type);
	size_t i;

	if (a != NULL)
		return a;
	for (i = 0; i < nqueued; i++)
		if (queued[i].type == type && strcasecmp(queued[i].name, name) == 0)
			return NULL;
	if (nqueued == MAX_QUEUED) {
		queue_overflow = true;
		return NULL;
	}
	queued[nqueued].name = strdup(name);
	assert_non_null(queued[nqueued].name);
	queued[nqueued++].type = type;
	return NULL;
}

/* An empty zone. */
struct spf_zone *
spf_zone_new(void)
{
	struct spf_zone *z = calloc(1, sizeof(*z));

	assert_non_null(z);
	return z;
}

/* Release one entry. */
static void
zentry_free(struct zentry *e)
{
	size_t i;

	for (i = 0; i < e->nstrings; i++)
		free(e->strings[i].data);
	free(e->strings);
	free(e->name);
	free(e->target);
}

/* Forget every record. */
void
spf_zone_clear(struct spf_zone *z)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		zentry_free(&z->e[i]);
	z->n = 0;
}

/* Free a zone and its records. */
void
spf_zone_free(struct spf_zone *z)
{
	if (z == NULL)
		return;
	spf_zone_clear(z);
	free(z->e);
	free(z);
}

/* A copy of n bytes as a lower-case name without a trailing dot. */
static char *
name_copy(const char *s, size_t n)
{
	char *out;
	size_t i;

	if (n > 0 && s[n - 1] == '.')
		n--;
	out = malloc(n + 1);
	assert_non_null(out);
	for (i = 0; i < n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[n] = '\0';
	return out;
}

/* The next space-separated word of *p (its length in *n), or NULL at the end. */
static const char *
next_word(const char **p, size_t *n)
{
	const char *s = *p, *start;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n')
		return NULL;
	start = s;
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n')
		s++;
	*n = (size_t)(s - start);
	*p = s;
	return start;
}

/* Value of one hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse one "..." string with \" \\ \xHH escapes at p (after blanks). Returns the
 * position after it, or NULL with a reason. *out (NUL-terminated) and *len are set.
 */
static const char *
parse_one_string(const char *p, uint8_t **out, size_t *len, const char **why)
{
	uint8_t *buf;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"') {
		*why = "a TXT/SPF value must be quoted strings";
		return NULL;
	}
	p++;
	buf = malloc(strlen(p) + 1);
	assert_non_null(buf);
	for (n = 0; *p != '"'; n++) {
		if (*p == '\0' || *p == '\n') {
			free(buf);
			*why = "unterminated string";
			return NULL;
		}
		if (*p != '\\') {
			buf[n] = (uint8_t)*p++;
		} else if (p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
			buf[n] = (uint8_t)(hexval(p[2]) * 16 + hexval(p[3]));
			p += 4;
		} else if (p[1] == '"' || p[1] == '\\') {
			buf[n] = (uint8_t)p[1];
			p += 2;
		} else {
			free(buf);
			*why = "bad escape in string";
			return NULL;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return p + 1;
}

/* Parse the "..." strings of a TXT/SPF value into e->strings. */
static int
parse_strings(struct zentry *e, const char *p, const char **why)
{
	struct dns_txt_string *s;
	uint8_t *buf;
	size_t len;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n')
			return 0;
		if ((p = parse_one_string(p, &buf, &len, why)) == NULL)
			return -1;
		e->strings = realloc(e->strings, (e->nstrings + 1) * sizeof(*e->strings));
		assert_non_null(e->strings);
		s = &e->strings[e->nstrings++];
		s->data = buf;
		s->len = len;
	}
}

/* The type number of a name, 0 when unknown. */
static uint16_t
type_of(const char *w, size_t n)
{
	static const struct { const char *name; uint16_t type; } types[] = {
		{ "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "MX", DNS_T_MX },
		{ "TXT", DNS_T_TXT }, { "SPF", DNS_T_SPF }, { "PTR", DNS_T_PTR },
		{ "CNAME", DNS_T_CNAME },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == n && strncmp(types[i].name, w, n) == 0)
			return types[i].type;
	return 0;
}

/* Fill the value part of a non-TXT entry. */
static int
parse_value(struct zentry *e, const char *p, const char **why)
{
	const char *w;
	char word[300];
	size_t n;
	unsigned pref;

	if (e->type == DNS_T_MX) {
		if ((w = next_word(&p, &n)) == NULL || n >= 8 || sscanf(w, "%u", &pref) != 1 ||
		    pref > 65535) {
			*why = "MX needs a preference";
			return -1;
		}
		e->pref = (uint16_t)pref;
	}
	if ((w = next_word(&p, &n)) == NULL || n >= sizeof(word)) {
		*why = "missing or overlong value";
		return -1;
	}
	memcpy(word, w, n);
	word[n] = '\0';
	if (e->type == DNS_T_A || e->type == DNS_T_AAAA) {
		if (inet_pton(e->type == DNS_T_A ? AF_INET : AF_INET6, word, e->addr) != 1) {
			*why = "bad address";
			return -1;
		}
		return 0;
	}
	e->target = name_copy(word, n);
	return 0;
}

/* Add "NAME TYPE VALUE...", "NAME TIMEOUT" or "NAME TYPE TIMEOUT". */
int
spf_zone_add(struct spf_zone *z, const char *line, const char **why)
{
	struct zentry e;
	const char *p = line, *w, *rest;
	size_t n;

	memset(&e, 0, sizeof(e));
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		/* a quoted name (the suite has one with spaces) */
		uint8_t *qname;

		if ((p = parse_one_string(p, &qname, &n, why)) == NULL)
			return -1;
		e.name = name_copy((const char *)qname, n);
		free(qname);
	} else if ((w = next_word(&p, &n)) == NULL) {
		*why = "empty line";
		return -1;
	} else {
		e.name = name_copy(w, n);
	}
	if ((w = next_word(&p, &n)) == NULL) {
		*why = "no type";
		goto fail;
	}
	if (n == 7 && strncmp(w, "TIMEOUT", 7) == 0) {
		e.timeout = true;
	} else if ((e.type = type_of(w, n)) == 0) {
		*why = "unknown type";
		goto fail;
	} else {
		rest = p;
		if ((w = next_word(&rest, &n)) != NULL && n == 7 && strncmp(w, "TIMEOUT", 7) == 0)
			e.timeout = true;
		else if (e.type == DNS_T_TXT || e.type == DNS_T_SPF ?
		    parse_strings(&e, p, why) < 0 : parse_value(&e, p, why) < 0)
			goto fail;
	}
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->e = realloc(z->e, z->cap * sizeof(*z->e));
		assert_non_null(z->e);
	}
	z->e[z->n++] = e;
	return 0;
fail:
	zentry_free(&e);
	return -1;
}

/* Append the record of entry e to answer a, owned by owner. */
static void
push_record(struct dns_answer *a, const struct zentry *e, const char *owner)
{
	struct dns_rr *rr;
	size_t i;

	a->rrs = realloc(a->rrs, (a->count + 1) * sizeof(*a->rrs));
	assert_non_null(a->rrs);
	rr = &a->rrs[a->count++];
	memset(rr, 0, sizeof(*rr));
	rr->owner = strdup(owner);
	assert_non_null(rr->owner);
	rr->type = e->type;
	rr->ttl = 3600;
	switch (e->type) {
	case DNS_T_TXT:
	case DNS_T_SPF:
		rr->u.txt.count = e->nstrings;
		rr->u.txt.strings = calloc(e->nstrings ? e->nstrings : 1, sizeof(*e->strings));
		assert_non_null(rr->u.txt.strings);
		for (i = 0; i < e->nstrings; i++) {
			rr->u.txt.strings[i].len = e->strings[i].len;
			rr->u.txt.strings[i].data = malloc(e->strings[i].len + 1);
			assert_non_null(rr->u.txt.strings[i].data);
			memcpy(rr->u.txt.strings[i].data, e->strings[i].data, e->strings[i].len + 1);
		}
		break;
	case DNS_T_MX:
		rr->u.mx.preference = e->pref;
		rr->u.mx.exchange = strdup(e->target);
		assert_non_null(rr->u.mx.exchange);
		break;
	case DNS_T_A:
	case DNS_T_AAAA:
		memcpy(rr->u.addr, e->addr, sizeof(rr->u.addr));
		break;
	default:
		rr->u.target = strdup(e->target);
		assert_non_null(rr->u.target);
		break;
	}
}

/*
 * Records of type at name into a. Returns DNS_OK (records or none: count says),
 * DNS_NXDOMAIN or DNS_TIMEOUT. *cname gets the CNAME target when one exists.
 */
static enum dns_status
collect(const struct spf_zone *z, const char *name, uint16_t type, struct dns_answer *a,
	const char **cname)
{
	bool exists = false, matched = false;
	size_t i;

	*cname = NULL;
	for (i = 0; i < z->n; i++) {
		const struct zentry *e = &z->e[i];

		if (strcmp(e->name, name) != 0)
			continue;
		exists = true;
		if (e->type == 0) {		/* bare TIMEOUT */
			if (!matched)
				return DNS_TIMEOUT;
			break;
		}
		if (e->type == DNS_T_CNAME && *cname == NULL)
			*cname = e->target;
		if (e->type != type)
			continue;
		matched = true;
		if (e->timeout)
			return DNS_TIMEOUT;
		push_record(a, e, name);
	}
	if (!exists)
		return strncmp(name, "error.", 6) == 0 ? DNS_TIMEOUT : DNS_NXDOMAIN;
	return DNS_OK;
}

/* The answer to (name, type), as the suite driver gives it. */
void
spf_zone_answer(const struct spf_zone *z, const char *name, uint16_t type,
		struct dns_answer *out)
{
	char *lname = name_copy(name, strlen(name));
	const char *cname, *cname2;
	enum dns_status st;

	memset(out, 0, sizeof(*out));
	out->qname = strdup(name);
	out->qtype = type;
	out->authoritative = true;
	out->queries = 1;
	st = collect(z, lname, type, out, &cname);
	if (st == DNS_OK && out->count == 0 && cname != NULL && type != DNS_T_CNAME) {
		out->canonical = strdup(cname);
		out->cname_hops = 1;
		st = collect(z, cname, type, out, &cname2);
	}
	if (out->canonical == NULL)
		out->canonical = strdup(name);
	assert_non_null(out->qname);
	assert_non_null(out->canonical);
	out->status = st == DNS_OK && out->count == 0 ? DNS_NODATA : st;
	if (out->status != DNS_OK) {
		dns_answer_clear(out);
		out->qname = strdup(name);
		out->canonical = strdup(name);
		assert_non_null(out->qname);
		assert_non_null(out->canonical);
		out->qtype = type;
		out->status = st == DNS_OK ? DNS_NODATA : st;
		out->queries = 1;
		if (out->status == DNS_NODATA || out->status == DNS_NXDOMAIN)
			out->negative_ttl = 300;
	}
	free(lname);
}

/* Forget the questions of the last run. */
static void
queue_reset(void)
{
	size_t i;

	for (i = 0; i < nqueued; i++)
		free(queued[i].name);
	nqueued = 0;
}

/* Run a check to completion, one zone-answered batch per round. */
enum check_status
spf_zone_run(struct eval_ctx *ctx, const struct spf_zone *z, enum posture_family fam,
	     check_fn fn, struct spf_zone_stats *stats)
{
	struct spf_zone_stats local = { 0, 0 };
	struct dns_answer a;
	enum check_status st = CHECK_PENDING;
	unsigned iter;
	size_t i;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	queue_reset();
	queue_overflow = false;
	for (iter = 0; iter < 64; iter++) {
		last_fact[0] = '\0';
		st = eval_run_check(ctx, fam, fn);
		if (st == CHECK_DONE || nqueued == 0)
			break;
		for (i = 0; i < nqueued; i++) {
			spf_zone_answer(z, queued[i].name, queued[i].type, &a);
			assert_int_equal(eval_add_answer(ctx, &a), 0);
			dns_answer_clear(&a);
		}
		stats->questions += (unsigned)nqueued;
		stats->rounds++;
		queue_reset();
	}
	queue_reset();
	assert_false(queue_overflow);
	return st;
}
