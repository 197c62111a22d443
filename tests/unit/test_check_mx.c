/*
 * test_check_mx.c - the MX family (check_mx.c) on answers built by answers.h.
 *
 * One table of scenarios: each lists the MX records, the A/AAAA answers of its hosts,
 * the MX codes that must be raised and the family result; every other MX code must
 * NOT be raised, so each code is tested both ways. Where it matters, the severity of
 * the first expected finding and words its message must contain. Then: failed MX
 * queries, hostile names, the round behaviour (MX first; A and AAAA of every target
 * queued in one run; pending until the last of them is there) and the target bound.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "answers.h"
#include "check/checks.h"
#include "noted.h"

#define DOM "example.com"
#define END PC_COUNT		/* ends a code list */
#define EXPECT(...) .expect = { __VA_ARGS__, END }
#define NOTHING .expect = { END }

static const enum posture_code mx_codes[] = {
	PC_MX_NONE, PC_MX_NO_MAIL_HOST, PC_MX_NULL, PC_MX_NULL_MIXED, PC_MX_SINGLE,
	PC_MX_CNAME, PC_MX_IP_LITERAL, PC_MX_NO_ADDRESS, PC_MX_PRIVATE_ADDRESS,
	PC_MX_DUPLICATE, PC_MX_NOLISTING, PC_MX_TTL_LOW, PC_MX_NXDOMAIN, PC_MX_TTL_HIGH,
};

struct host_spec {
	const char *name;
	const char *a, *aaaa;		/* an address, or NULL: NODATA */
	enum dns_status st;		/* other than DNS_OK: both A and AAAA answer this */
	const char *cname;		/* the addresses are reached through this alias */
};

struct mx_case {
	const char *name;
	enum dns_status mx_st;		/* DNS_OK: the records in mx */
	const char *mx[4];		/* "PREF HOST" */
	uint32_t ttl;			/* of the MX records; 0: 3600 */
	bool not_aa;			/* the MX answer lacks the AA bit */
	uint32_t sig_ttl;		/* original TTL of its RRSIG; 0: unsigned */
	struct host_spec hosts[4];
	enum posture_code expect[4];	/* END-terminated */
	enum posture_result result;
	const char *sev;		/* severity of the first expected finding, or NULL */
	const char *words[3];		/* its message must contain these */
};

#define HOST(name, a, aaaa) { name, a, aaaa, DNS_OK, NULL }
#define HOST_CNAME(name, a, aaaa, alias) { name, a, aaaa, DNS_OK, alias }
#define HOST_ST(name, st) { name, NULL, NULL, st, NULL }
#define NOADDR(name) HOST(name, NULL, NULL)
#define MX1 HOST("mx1.example.com", "11.0.0.1", "2a00:1450:4001::1")
#define MX2 HOST("mx2.example.com", "11.0.0.2", NULL)
#define TWO_MX { "10 mx1.example.com", "20 mx2.example.com" }

static const struct mx_case cases[] = {
	{ "clean two hosts", .mx = TWO_MX, .hosts = { MX1, MX2 }, NOTHING, .result = PR_OK },
	{ "MX NXDOMAIN", .mx_st = DNS_NXDOMAIN, EXPECT(PC_MX_NXDOMAIN), .result = PR_BROKEN,
	  .sev = "error", .words = { DOM " does not exist" } },
	{ "implicit MX via A", .mx_st = DNS_NODATA, .hosts = { HOST(DOM, "11.0.0.1", NULL) },
	  EXPECT(PC_MX_NONE), .result = PR_WEAK, .sev = "warn", .words = { "11.0.0.1" } },
	{ "implicit MX via AAAA", .mx_st = DNS_NODATA,
	  .hosts = { HOST(DOM, NULL, "2a00:1450:4001::1") }, EXPECT(PC_MX_NONE),
	  .result = PR_WEAK, .words = { "2a00:1450:4001::1" } },
	{ "implicit MX on a private address", .mx_st = DNS_NODATA,
	  .hosts = { HOST(DOM, "192.168.1.1", NULL) }, EXPECT(PC_MX_PRIVATE_ADDRESS, PC_MX_NONE),
	  .result = PR_BROKEN, .sev = "error", .words = { "192.168.1.1" } },
	{ "no MX and no address", .mx_st = DNS_NODATA, .hosts = { NOADDR(DOM) },
	  EXPECT(PC_MX_NO_MAIL_HOST), .result = PR_BROKEN, .words = { DOM } },
	{ "implicit MX lookups timed out", .mx_st = DNS_NODATA,
	  .hosts = { HOST_ST(DOM, DNS_TIMEOUT) }, NOTHING, .result = PR_TEMPERROR },
	{ "null MX", .mx = { "0 ." }, EXPECT(PC_MX_NULL), .result = PR_BROKEN,
	  .words = { "RFC 7505" } },
	{ "null MX with low TTL", .mx = { "0 ." }, .ttl = 60,
	  EXPECT(PC_MX_NULL, PC_MX_TTL_LOW), .result = PR_BROKEN },
	{ "null MX among others", .mx = { "0 .", "10 mx1.example.com", "20 mx2.example.com" },
	  .hosts = { MX1, MX2 }, EXPECT(PC_MX_NULL_MIXED), .result = PR_BROKEN },
	{ "single host", .mx = { "10 mx1.example.com" }, .hosts = { MX1 },
	  EXPECT(PC_MX_SINGLE), .result = PR_OK, .sev = "info" },
	{ "target A via CNAME", .mx = TWO_MX,
	  .hosts = { HOST_CNAME("mx1.example.com", "11.0.0.1", NULL, "host.example.net"), MX2 },
	  EXPECT(PC_MX_CNAME), .result = PR_WEAK,
	  .words = { "mx1.example.com", "host.example.net", "RFC 2181" } },
	{ "target AAAA via CNAME", .mx = TWO_MX,
	  .hosts = { HOST_CNAME("mx1.example.com", NULL, "2a00:1450:4001::1", "h.example.net"),
	  MX2 }, EXPECT(PC_MX_CNAME), .result = PR_WEAK },
	{ "IPv4 literal exchange (not looked up)",
	  .mx = { "10 192.0.2.1", "20 mx2.example.com" }, .hosts = { MX2 },
	  EXPECT(PC_MX_IP_LITERAL), .result = PR_BROKEN,
	  .words = { "192.0.2.1" } },
	{ "bracketed literals", .mx = { "10 [192.0.2.1]", "20 [IPv6:2001:db8::1]",
	  "30 mx2.example.com" }, .hosts = { MX2 }, EXPECT(PC_MX_IP_LITERAL),
	  .result = PR_BROKEN, .words = { "[192.0.2.1]" } },
	{ "one host without address", .mx = TWO_MX,
	  .hosts = { MX1, NOADDR("mx2.example.com") }, EXPECT(PC_MX_NO_ADDRESS),
	  .result = PR_WEAK, .sev = "warn", .words = { "mx2.example.com" } },
	{ "one host NXDOMAIN", .mx = TWO_MX,
	  .hosts = { MX1, HOST_ST("mx2.example.com", DNS_NXDOMAIN) },
	  EXPECT(PC_MX_NO_ADDRESS), .result = PR_WEAK, .words = { "NXDOMAIN" } },
	{ "no host has an address", .mx = TWO_MX,
	  .hosts = { NOADDR("mx1.example.com"), HOST_ST("mx2.example.com", DNS_NXDOMAIN) },
	  EXPECT(PC_MX_NO_ADDRESS), .result = PR_BROKEN, .sev = "error" },
	{ "no address, other host's lookup failed", .mx = TWO_MX,
	  .hosts = { HOST_ST("mx1.example.com", DNS_SERVFAIL), NOADDR("mx2.example.com") },
	  EXPECT(PC_MX_NO_ADDRESS), .result = PR_TEMPERROR, .sev = "warn" },
	{ "one host private", .mx = TWO_MX,
	  .hosts = { HOST("mx1.example.com", "10.0.0.1", NULL), MX2 },
	  EXPECT(PC_MX_PRIVATE_ADDRESS), .result = PR_WEAK, .sev = "warn",
	  .words = { "mx1.example.com", "10.0.0.1", "private (RFC 1918)" } },
	{ "every host private", .mx = TWO_MX,
	  .hosts = { HOST("mx1.example.com", "127.0.0.1", NULL),
	  HOST("mx2.example.com", NULL, "fd00::25") },
	  EXPECT(PC_MX_PRIVATE_ADDRESS), .result = PR_BROKEN, .sev = "error",
	  .words = { "127.0.0.1", "loopback" } },
	{ "IPv4-mapped private AAAA", .mx = TWO_MX,
	  .hosts = { HOST("mx1.example.com", "11.0.0.1", "::ffff:10.0.0.1"), MX2 },
	  EXPECT(PC_MX_PRIVATE_ADDRESS), .result = PR_WEAK, .words = { "::ffff:10.0.0.1" } },
	{ "documentation address", .mx = TWO_MX,
	  .hosts = { MX1, HOST("mx2.example.com", "203.0.113.5", NULL) },
	  EXPECT(PC_MX_PRIVATE_ADDRESS), .result = PR_WEAK, .words = { "documentation" } },
	{ "same exchange twice", .mx = { "10 mx1.example.com", "20 MX1.Example.COM",
	  "30 mx2.example.com" }, .hosts = { MX1, MX2 }, EXPECT(PC_MX_DUPLICATE),
	  .result = PR_WEAK, .words = { "mx1.example.com", "10 and 20" } },
	{ "one exchange listed twice", .mx = { "10 mx1.example.com", "20 mx1.example.com" },
	  .hosts = { MX1 }, EXPECT(PC_MX_DUPLICATE, PC_MX_SINGLE), .result = PR_WEAK },
	{ "nolisting", .mx = { "10 mx0.example.com", "20 mx1.example.com" },
	  .hosts = { NOADDR("mx0.example.com"), MX1 }, EXPECT(PC_MX_NOLISTING),
	  .result = PR_WEAK, .words = { "mx0.example.com", "mx1.example.com" } },
	{ "nolisting with two primaries", .mx = { "10 mx0a.example.com", "10 mx0b.example.com",
	  "20 mx1.example.com" }, .hosts = { NOADDR("mx0a.example.com"),
	  HOST_ST("mx0b.example.com", DNS_NXDOMAIN), MX1 }, EXPECT(PC_MX_NOLISTING),
	  .result = PR_WEAK },
	{ "one of two primaries dead: not nolisting", .mx = { "10 mx0a.example.com",
	  "10 mx0b.example.com", "20 mx1.example.com" },
	  .hosts = { NOADDR("mx0a.example.com"),
	  HOST("mx0b.example.com", "11.0.0.3", NULL), MX1 }, EXPECT(PC_MX_NO_ADDRESS),
	  .result = PR_WEAK, .words = { "mx0a.example.com" } },
	{ "TTL 60 authoritative", .mx = TWO_MX, .ttl = 60, .hosts = { MX1, MX2 },
	  EXPECT(PC_MX_TTL_LOW), .result = PR_OK, .sev = "info", .words = { "60 s" } },
	{ "TTL 60 not authoritative", .mx = TWO_MX, .ttl = 60, .not_aa = true,
	  .hosts = { MX1, MX2 }, NOTHING, .result = PR_OK },
	{ "TTL 300 authoritative", .mx = TWO_MX, .ttl = 300, .hosts = { MX1, MX2 },
	  EXPECT(PC_MX_TTL_LOW), .result = PR_OK, .words = { "300 s", "authoritative" } },
	{ "TTL 3600 authoritative", .mx = TWO_MX, .ttl = 3600, .hosts = { MX1, MX2 }, NOTHING,
	  .result = PR_OK },
	{ "TTL 3599 authoritative", .mx = TWO_MX, .ttl = 3599, .hosts = { MX1, MX2 },
	  EXPECT(PC_MX_TTL_LOW), .result = PR_OK },
	{ "TTL 86400 authoritative", .mx = TWO_MX, .ttl = 86400, .hosts = { MX1, MX2 },
	  NOTHING, .result = PR_OK },
	{ "TTL 86401 authoritative", .mx = TWO_MX, .ttl = 86401, .hosts = { MX1, MX2 },
	  EXPECT(PC_MX_TTL_HIGH), .result = PR_OK, .sev = "info", .words = { "86401 s" } },
	{ "counted-down copy of a signed 3600", .mx = TWO_MX, .ttl = 120, .not_aa = true,
	  .sig_ttl = 3600, .hosts = { MX1, MX2 }, NOTHING, .result = PR_OK },
	{ "signed with original TTL 600", .mx = TWO_MX, .ttl = 120, .not_aa = true,
	  .sig_ttl = 600, .hosts = { MX1, MX2 }, EXPECT(PC_MX_TTL_LOW), .result = PR_OK,
	  .words = { "600 s", "RRSIG" } },
	{ "RRSIG original TTL wins over the AA copy", .mx = TWO_MX, .ttl = 3600,
	  .sig_ttl = 172800, .hosts = { MX1, MX2 }, EXPECT(PC_MX_TTL_HIGH), .result = PR_OK,
	  .words = { "172800 s", "RRSIG" } },
	{ "MX SERVFAIL", .mx_st = DNS_SERVFAIL, NOTHING, .result = PR_TEMPERROR },
	{ "every target lookup failed", .mx = TWO_MX, .hosts = {
	  HOST_ST("mx1.example.com", DNS_SERVFAIL), HOST_ST("mx2.example.com", DNS_TIMEOUT) },
	  NOTHING, .result = PR_TEMPERROR },
	{ "one target lookup failed", .mx = TWO_MX,
	  .hosts = { HOST_ST("mx1.example.com", DNS_SERVFAIL), MX2 }, NOTHING, .result = PR_OK },
	{ "failed lookups do not hide a certain error",
	  .mx = { "0 .", "10 mx1.example.com", "20 mx2.example.com" }, .hosts = {
	  HOST_ST("mx1.example.com", DNS_SERVFAIL), HOST_ST("mx2.example.com", DNS_TIMEOUT) },
	  EXPECT(PC_MX_NULL_MIXED), .result = PR_BROKEN },
};

/* A new context for DOM with no answers. */
static struct eval_ctx *
new_ctx(unsigned max_queries)
{
	struct eval_limits lim = { max_queries, 5000 };
	struct eval_ctx *ctx = eval_ctx_new(DOM, NULL, NULL, &lim);

	assert_non_null(ctx);
	return ctx;
}

/* A host's A and AAAA: an address, or NULL for NODATA. */
static void
host(struct eval_ctx *ctx, const char *name, const char *a, const char *aaaa)
{
	if (a != NULL)
		ans_addr(ctx, name, DNS_T_A, a, NULL);
	else
		ans_status(ctx, name, DNS_T_A, DNS_NODATA);
	if (aaaa != NULL)
		ans_addr(ctx, name, DNS_T_AAAA, aaaa, NULL);
	else
		ans_status(ctx, name, DNS_T_AAAA, DNS_NODATA);
}

/* One answer of a host spec. */
static void
host_answer(struct eval_ctx *ctx, const struct host_spec *h, uint16_t type,
	    const char *addr)
{
	if (h->st != DNS_OK)
		ans_status(ctx, h->name, type, h->st);
	else if (addr == NULL)
		ans_status(ctx, h->name, type, DNS_NODATA);
	else if (h->cname != NULL)
		ans_addr_cname(ctx, h->name, type, h->cname, addr, NULL);
	else
		ans_addr(ctx, h->name, type, addr, NULL);
}

/* A context with a budget of max_queries, seeded with the answers of a case. */
static struct eval_ctx *
case_ctx(const struct mx_case *c, unsigned max_queries)
{
	struct eval_ctx *ctx = new_ctx(max_queries);
	size_t i;

	if (c->mx_st != DNS_OK)
		ans_status(ctx, DOM, DNS_T_MX, c->mx_st);
	else
		ans_mx_sig(ctx, DOM, c->ttl ? c->ttl : 3600, !c->not_aa, c->sig_ttl, c->mx[0],
		    c->mx[1], c->mx[2], c->mx[3], NULL);
	for (i = 0; i < 4 && c->hosts[i].name != NULL; i++) {
		host_answer(ctx, &c->hosts[i], DNS_T_A, c->hosts[i].a);
		host_answer(ctx, &c->hosts[i], DNS_T_AAAA, c->hosts[i].aaaa);
	}
	return ctx;
}

/* The case with this name. */
static const struct mx_case *
case_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].name, name) == 0)
			return &cases[i];
	fail_msg("no case named %s", name);
	return NULL;
}

/* Whether code is in an END-terminated list. */
static bool
in_list(const enum posture_code *list, enum posture_code code)
{
	for (; *list != END; list++)
		if (*list == code)
			return true;
	return false;
}

/* The first finding with code, or NULL. */
static const struct posture_finding *
find(const struct eval_ctx *ctx, enum posture_code code)
{
	const struct posture_finding *f;
	size_t n, i;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++)
		if (f[i].code == code)
			return &f[i];
	return NULL;
}

/* Messages are one printable line of reasonable length, in the MX family. */
static void
assert_messages_sane(const struct eval_ctx *ctx, const char *casename)
{
	const struct posture_finding *f;
	size_t n, i, j, len;

	f = eval_findings(ctx, &n);
	for (i = 0; i < n; i++) {
		assert_non_null(f[i].message);
		len = strlen(f[i].message);
		if (len == 0 || len > 160)
			fail_msg("%s: message of length %zu: %s", casename, len, f[i].message);
		for (j = 0; j < len; j++)
			if ((unsigned char)f[i].message[j] < 0x20 ||
			    (unsigned char)f[i].message[j] >= 0x7f)
				fail_msg("%s: non-printable byte in: %s", casename, f[i].message);
		assert_int_equal(f[i].family, PF_MX);
	}
}

/* Every case: done in one run, its codes raised, every other MX code not, its result. */
static void
test_table(void **state)
{
	const struct posture_finding *f;
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mx_case *c = &cases[i];
		struct eval_ctx *ctx = case_ctx(c, 100);

		if (eval_run_check(ctx, PF_MX, check_mx) != CHECK_DONE)
			fail_msg("%s: pending with every answer present", c->name);
		for (k = 0; k < sizeof(mx_codes) / sizeof(mx_codes[0]); k++) {
			bool want = in_list(c->expect, mx_codes[k]);

			if (eval_has_finding(ctx, mx_codes[k]) != want)
				fail_msg("%s: %s %s", c->name, posture_code_name(mx_codes[k]),
				    want ? "not raised" : "raised but must not be");
		}
		if (eval_family_result(ctx, PF_MX) != c->result)
			fail_msg("%s: result %s, expected %s", c->name,
			    posture_result_word(eval_family_result(ctx, PF_MX)),
			    posture_result_word(c->result));
		assert_messages_sane(ctx, c->name);
		if (c->expect[0] != END) {
			f = find(ctx, c->expect[0]);
			assert_non_null(f);
			if (c->sev != NULL && strcmp(posture_severity_word(f->severity), c->sev))
				fail_msg("%s: severity %s, expected %s", c->name,
				    posture_severity_word(f->severity), c->sev);
			for (k = 0; k < 3 && c->words[k] != NULL; k++)
				if (strstr(f->message, c->words[k]) == NULL)
					fail_msg("%s: \"%s\" not in: %s", c->name, c->words[k],
					    f->message);
		} else if (c->result == PR_TEMPERROR) {
			(void)eval_findings(ctx, &n);
			assert_int_equal(n, 0);
		}
		eval_ctx_free(ctx);
	}
}

/* A failed MX query: temperror (unknown for a local error), no findings. */
static void
test_mx_query_failures(void **state)
{
	static const struct {
		enum dns_status st;
		enum posture_result res;
	} fails[] = {
		{ DNS_SERVFAIL, PR_TEMPERROR }, { DNS_TIMEOUT, PR_TEMPERROR },
		{ DNS_BUDGET, PR_TEMPERROR }, { DNS_REFUSED, PR_TEMPERROR },
		{ DNS_MALFORMED, PR_TEMPERROR }, { DNS_ERROR, PR_UNKNOWN },
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		struct eval_ctx *ctx = new_ctx(100);

		ans_status(ctx, DOM, DNS_T_MX, fails[i].st);
		assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
		(void)eval_findings(ctx, &n);
		if (n != 0 || eval_family_result(ctx, PF_MX) != fails[i].res)
			fail_msg("MX %s: %zu findings, result %s", dns_status_str(fails[i].st), n,
			    posture_result_word(eval_family_result(ctx, PF_MX)));
		eval_ctx_free(ctx);
	}
}

/* A name from DNS with bytes outside printable ASCII is masked in messages. */
static void
test_hostile_exchange_is_sanitized(void **state)
{
	struct eval_ctx *ctx = new_ctx(100);
	const struct posture_finding *f;

	(void)state;
	ans_mx(ctx, DOM, "10 bad\x7fhost\\.example.com", "20 bad\x7fhost\\.example.com",
	    "30 mx2.example.com", NULL);
	host(ctx, "mx2.example.com", "11.0.0.2", NULL);
	/* The hostile name is not askable: eval_dns settles it without a round. */
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	f = find(ctx, PC_MX_DUPLICATE);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "bad\\x7fhost\\x5c.example.com"));
	assert_messages_sane(ctx, "hostile exchange");
	eval_ctx_free(ctx);
}

/* Round 1 asks MX and nothing is kept from a pending run. */
static void
test_round_one_asks_mx(void **state)
{
	struct eval_ctx *ctx = new_ctx(100);
	size_t n;

	(void)state;
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
	(void)eval_findings(ctx, &n);
	assert_int_equal(n, 0);
	assert_int_equal(eval_family_result(ctx, PF_MX), PR_NOT_CHECKED);
	eval_ctx_free(ctx);
}

/*
 * Round 2 asks A and AAAA of every target in the same run: with a budget of exactly
 * 6 questions, 3 targets use it all in that one run (a further question is refused),
 * and the run stays pending until the last of the 6 answers is there.
 */
static void
test_round_two_asks_every_target_at_once(void **state)
{
	static const char *const names[] = {
		"mx1.example.com", "mx2.example.com", "mx3.example.com",
	};
	struct eval_ctx *ctx = new_ctx(6);
	const struct dns_answer *probe;
	size_t i, n;

	(void)state;
	ans_mx(ctx, DOM, "10 mx1.example.com", "20 mx2.example.com", "30 mx3.example.com",
	    NULL);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
	probe = eval_dns(ctx, "probe.example.com", DNS_T_A);
	assert_non_null(probe);
	assert_int_equal(probe->status, DNS_BUDGET);

	/* Pending until every A and AAAA of every target is present. */
	for (i = 0; i < 3; i++) {
		ans_addr(ctx, names[i], DNS_T_A, i == 0 ? "11.0.0.1" : i == 1 ? "11.0.0.2" :
		    "11.0.0.3", NULL);
		assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
		if (i < 2) {
			ans_status(ctx, names[i], DNS_T_AAAA, DNS_NODATA);
			assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
		}
	}
	(void)eval_findings(ctx, &n);
	assert_int_equal(n, 0);
	ans_status(ctx, names[2], DNS_T_AAAA, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_MX), PR_OK);
	eval_ctx_free(ctx);
}

/* No MX: round 2 asks A and AAAA of the domain itself, and waits for both. */
static void
test_implicit_waits_for_a_and_aaaa(void **state)
{
	struct eval_ctx *ctx = new_ctx(100);

	(void)state;
	ans_status(ctx, DOM, DNS_T_MX, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
	ans_addr(ctx, DOM, DNS_T_A, "11.0.0.1", NULL);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
	assert_false(eval_has_finding(ctx, PC_MX_NONE));
	ans_status(ctx, DOM, DNS_T_AAAA, DNS_NODATA);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_true(eval_has_finding(ctx, PC_MX_NONE));
	eval_ctx_free(ctx);
}

/* A null MX, NXDOMAIN and a failed MX query need no second round. */
static void
test_one_round_outcomes_ask_nothing_more(void **state)
{
	static const char *const names[] = { "null MX", "MX NXDOMAIN", "MX SERVFAIL" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* A budget of one question: the check must leave it unused. */
		struct eval_ctx *ctx = case_ctx(case_named(names[i]), 1);
		const struct dns_answer *probe;

		assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
		probe = eval_dns(ctx, "probe.example.com", DNS_T_A);
		assert_null(probe);		/* the one question was still free */
		eval_ctx_free(ctx);
	}
}

/* At most 32 hosts are resolved, the lowest preferences, whatever the answer order. */
static void
test_targets_are_bounded(void **state)
{
	struct eval_ctx *ctx = new_ctx(1000);
	struct dns_answer a;
	char name[64], addr[32];
	size_t i, n = 40;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.status = DNS_OK;
	a.qname = strdup(DOM);
	a.canonical = strdup(DOM);
	a.qtype = DNS_T_MX;
	a.authoritative = true;
	a.count = n;
	a.rrs = calloc(n, sizeof(*a.rrs));
	assert_non_null(a.qname);
	assert_non_null(a.canonical);
	assert_non_null(a.rrs);
	for (i = 0; i < n; i++) {
		/* Highest preference first in the answer. */
		snprintf(name, sizeof(name), "mx%02zu.example.com", n - i);
		a.rrs[i].owner = strdup(DOM);
		a.rrs[i].type = DNS_T_MX;
		a.rrs[i].ttl = 3600;
		a.rrs[i].u.mx.preference = (uint16_t)(n - i);
		a.rrs[i].u.mx.exchange = strdup(name);
		assert_non_null(a.rrs[i].owner);
		assert_non_null(a.rrs[i].u.mx.exchange);
	}
	assert_int_equal(eval_add_answer(ctx, &a), 0);
	dns_answer_clear(&a);

	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
	for (i = 1; i <= 32; i++) {
		snprintf(name, sizeof(name), "mx%02zu.example.com", i);
		snprintf(addr, sizeof(addr), "11.0.1.%zu", i);
		host(ctx, name, addr, NULL);
	}
	/* Hosts 33..40 have no answers: asking for them would leave the check pending. */
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(eval_family_result(ctx, PF_MX), PR_OK);
	assert_false(eval_has_finding(ctx, PC_MX_SINGLE));
	assert_false(eval_has_finding(ctx, PC_MX_NO_ADDRESS));
	eval_ctx_free(ctx);
}

/* The MX RRset is noted sorted by preference then host, lower case; none is "". */
static void
test_mx_record_noted(void **state)
{
	struct eval_ctx *ctx = new_ctx(100);

	(void)state;
	ans_mx(ctx, DOM, "20 MX2.Example.COM", "10 mx1.example.com.", "10 b.example.com",
	    "5 Z.example.com", NULL);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_PENDING);
	assert_int_equal(noted_count(ctx), 0);		/* a pending run keeps nothing */
	host(ctx, "mx1.example.com", "11.0.0.1", NULL);
	host(ctx, "mx2.example.com", "11.0.0.2", NULL);
	host(ctx, "b.example.com", "11.0.0.3", NULL);
	host(ctx, "z.example.com", "11.0.0.4", NULL);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_int_equal(noted_count(ctx), 1);
	assert_string_equal(noted(ctx, "mx"), "5 z.example.com, 10 b.example.com, "
	    "10 mx1.example.com, 20 mx2.example.com");
	assert_int_equal(eval_records(ctx, &(size_t){ 0 })[0].family, PF_MX);
	eval_ctx_free(ctx);

	ctx = new_ctx(100);
	ans_mx(ctx, DOM, "0 .", NULL);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_string_equal(noted(ctx, "mx"), "0 .");
	eval_ctx_free(ctx);

	ctx = new_ctx(100);
	ans_status(ctx, DOM, DNS_T_MX, DNS_NXDOMAIN);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_string_equal(noted(ctx, "mx"), "");
	eval_ctx_free(ctx);

	ctx = new_ctx(100);
	ans_status(ctx, DOM, DNS_T_MX, DNS_NODATA);
	host(ctx, DOM, "11.0.0.1", NULL);
	assert_int_equal(eval_run_check(ctx, PF_MX, check_mx), CHECK_DONE);
	assert_string_equal(noted(ctx, "mx"), "");
	eval_ctx_free(ctx);
}

/* The MX query fails. */
static struct eval_ctx *
mx_fails(enum dns_status st)
{
	struct eval_ctx *ctx = new_ctx(100);

	ans_status(ctx, DOM, DNS_T_MX, st);
	return ctx;
}

/* A failed MX query notes nothing: a temperror is not a change. */
static void
test_mx_failure_notes_nothing(void **state)
{
	(void)state;
	assert_failure_notes(mx_fails, PF_MX, check_mx, "mx", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_mx_query_failures),
		cmocka_unit_test(test_hostile_exchange_is_sanitized),
		cmocka_unit_test(test_round_one_asks_mx),
		cmocka_unit_test(test_round_two_asks_every_target_at_once),
		cmocka_unit_test(test_implicit_waits_for_a_and_aaaa),
		cmocka_unit_test(test_one_round_outcomes_ask_nothing_more),
		cmocka_unit_test(test_targets_are_bounded),
		cmocka_unit_test(test_mx_record_noted),
		cmocka_unit_test(test_mx_failure_notes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
