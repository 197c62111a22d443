/*
 * fuzz_dkim_verify.c - libFuzzer harness over DKIM verification (dkim_verify.c,
 * dkim_verify_msg.c, and libopendkim behind them).
 *
 * Even first byte: the rest is a whole message (header fields, folds, body) for
 * dkim_verify_message(). Odd first byte: the rest is a DKIM-Signature value, put on
 * top of a fixed small message and fed field by field as the milter does (bare LF
 * folds). The key source is injected and fixed: selectors starting with "n" get
 * NXDOMAIN, "t" SERVFAIL, "m" two key records, "g" a garbage record; all others one
 * RSA 1024 key (the seed corpus holds messages really signed with its private key, so
 * the pass path is reached). After each message the invariants the milter relies on
 * are checked: counts within the cap, every string printable and terminated, the
 * summary consistent with the signatures. A broken invariant traps.
 * Built by make check with fuzz_main.c (replays tests/fuzz/corpus/dkim_verify) and by
 * tests/fuzz/build-libfuzzer.sh (needs -lopendkim).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/dkim_verify.h"

#define FUZZ_MAX_SIGS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_key[] = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCiPCmLC9LnaVN6JnQCJgIjfytjhQ28p/Y3bP3/rfNCXFIY5wmY7bntEaixlQ+CurgvpVrsyv3BEYzQtZckEvdOUENEi31ik4+2AjCtz1huvTVoKc34+OEx3zYjX6X0PTCl3nGUERqlk3chaCmp8PW5hAZTVPxHd1ZLseLGCiZF8wIDAQAB";

/* Trap unless cond holds. */
static void
require(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* A copied string: terminated within n bytes, printable ASCII only. */
static void
require_printable(const char *s, size_t n, int spaces)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		require((unsigned char)s[i] >= (spaces ? 0x20 : 0x21) &&
		    (unsigned char)s[i] < 0x7f);
	require(i < n);
}

/* One TXT record of one string. */
static void
add_txt(struct dns_answer *a, const char *name, const char *text)
{
	struct dns_rr *rrs = realloc(a->rrs, (a->count + 1) * sizeof(*rrs)), *rr;

	if (rrs == NULL)
		return;
	a->rrs = rrs;
	rr = &rrs[a->count];
	memset(rr, 0, sizeof(*rr));
	rr->owner = strdup(name);
	rr->type = DNS_T_TXT;
	rr->u.txt.strings = calloc(1, sizeof(*rr->u.txt.strings));
	if (rr->u.txt.strings == NULL || rr->owner == NULL) {
		free(rr->owner);
		free(rr->u.txt.strings);
		return;
	}
	rr->u.txt.count = 1;
	rr->u.txt.strings[0].data = (uint8_t *)strdup(text);
	rr->u.txt.strings[0].len = rr->u.txt.strings[0].data ? strlen(text) : 0;
	a->count++;
}

/* The fixed key source. */
static int
fixed_lookup(void *arg, const char *const *names, size_t n, unsigned timeout_ms,
	     struct dns_answer *out)
{
	size_t i;

	(void)arg;
	(void)timeout_ms;
	require(n <= FUZZ_MAX_SIGS);
	for (i = 0; i < n; i++) {
		require(strlen(names[i]) <= 253);
		out[i].qname = strdup(names[i]);
		out[i].qtype = DNS_T_TXT;
		switch (names[i][0]) {
		case 'n': out[i].status = DNS_NXDOMAIN; break;
		case 't': out[i].status = DNS_SERVFAIL; break;
		case 'm':
			add_txt(&out[i], names[i], fixed_key);
			add_txt(&out[i], names[i], fixed_key);
			break;
		case 'g': add_txt(&out[i], names[i], "v=DKIM1; p=====;;;=k=x"); break;
		default: add_txt(&out[i], names[i], fixed_key); break;
		}
	}
	return 0;
}

/* Check the results' invariants. */
static void
check_results(const struct dkim_verify_results *r)
{
	size_t i;
	int any_pass = 0;

	require(r != NULL);
	require(r->nsigs <= FUZZ_MAX_SIGS && r->nsigs <= r->seen);
	require(r->nsigs + r->not_checked == r->seen);
	require_printable(r->error, sizeof(r->error), 1);
	for (i = 0; i < r->nsigs; i++) {
		const struct dkim_verify_sig *s = &r->sigs[i];

		require(s->result != DKIM_VERIFY_NONE);
		require_printable(s->domain, sizeof(s->domain), 0);
		require_printable(s->selector, sizeof(s->selector), 0);
		require_printable(s->algorithm, sizeof(s->algorithm), 0);
		require_printable(s->header_b, sizeof(s->header_b), 0);
		require_printable(s->reason, sizeof(s->reason), 1);
		require(s->result == DKIM_VERIFY_PASS || s->reason[0] != '\0');
		if (s->result == DKIM_VERIFY_PASS)
			require(s->verified && s->from_signed);
		if (s->verified)
			require(s->result == DKIM_VERIFY_PASS || s->result == DKIM_VERIFY_POLICY);
		any_pass |= s->result == DKIM_VERIFY_PASS;
	}
	require((r->seen == 0) == (r->summary == DKIM_VERIFY_NONE));
	require(any_pass == (r->summary == DKIM_VERIFY_PASS));
	require(strcmp(dkim_verify_word(r->summary), "") != 0);
}

/* Feed the fixed message under a fuzzed DKIM-Signature, field by field. */
static const struct dkim_verify_results *
feed_signature(struct dkim_verify *v, const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1);

	if (value == NULL)
		return NULL;
	memcpy(value, data, size);
	value[size] = '\0';	/* a NUL inside cuts the value, as a C string would */
	(void)dkim_verify_header(v, "DKIM-Signature", value);
	(void)dkim_verify_header(v, "From", " Alice <alice@example.com>");
	(void)dkim_verify_header(v, "Subject", " fuzz\n\tfolded");
	free(value);
	(void)dkim_verify_eoh(v);
	(void)dkim_verify_body(v, "body\r\n", 6);
	return dkim_verify_eom(v);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_verify_lib *lib;
	struct dkim_verify *v;
	const struct dkim_verify_results *r;

	if (lib == NULL) {
		struct dkim_verify_config cfg;
		char err[128];

		dkim_verify_config_init(&cfg);
		cfg.max_signatures = FUZZ_MAX_SIGS;
		cfg.lookup = fixed_lookup;
		lib = dkim_verify_lib_new(&cfg, err, sizeof(err));
		require(lib != NULL);
	}
	if (size == 0)
		return 0;
	v = dkim_verify_new(lib, "fuzz");
	if (v == NULL)
		return 0;
	if (data[0] & 1)
		r = feed_signature(v, data + 1, size - 1);
	else
		r = dkim_verify_message(v, data + 1, size - 1);
	if (r != NULL)
		check_results(r);
	dkim_verify_free(v);
	return 0;
}
