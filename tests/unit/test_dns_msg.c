/*
 * test_dns_msg.c - the DNS answer reader (dns_msg.c) and the answer helpers
 * (dns_answer.c) on hand-built wire messages.
 *
 * Table-driven: each case builds one response with the small writers below, parses it,
 * turns it into an answer for (qname, qtype) and checks the outcome; a case-specific
 * check looks at the records. Malformed messages must be refused with -1.
 *
 * With DNS_MSG_CORPUS_OUT=DIR in the environment, every case's message is also written
 * to DIR/<case name> (that is how tests/fuzz/corpus/dns_msg was seeded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns/dns.h"
#include "dns/dns_msg.h"

/* ---- wire writers ---- */

struct wb {
	uint8_t b[65536];
	size_t n;
};

#define F_QR	0x8000
#define F_AA	0x0400
#define F_TC	0x0200
#define F_RD	0x0100
#define F_RA	0x0080
#define RESP	(F_QR | F_RD | F_RA)

static void
w8(struct wb *w, unsigned v)
{
	assert_true(w->n < sizeof(w->b));
	w->b[w->n++] = (uint8_t)v;
}

static void
w16(struct wb *w, unsigned v)
{
	w8(w, v >> 8 & 0xFF);
	w8(w, v & 0xFF);
}

static void
w32(struct wb *w, uint32_t v)
{
	w16(w, v >> 16);
	w16(w, v & 0xFFFF);
}

static void
wbytes(struct wb *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* Labels of a dotted name, then the root (no compression, no escapes). */
static void
wlabels(struct wb *w, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		w8(w, (unsigned)len);
		wbytes(w, name, len);
		name += len;
		if (*name == '.')
			name++;
	}
}

static void
wname(struct wb *w, const char *name)
{
	wlabels(w, name);
	w8(w, 0);
}

/* A compression pointer to off. */
static void
wptr(struct wb *w, unsigned off)
{
	w16(w, 0xC000 | off);
}

static void
whdr(struct wb *w, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	w->n = 0;
	w16(w, 0x1234);
	w16(w, flags);
	w16(w, qd);
	w16(w, an);
	w16(w, ns);
	w16(w, ar);
}

/* The question; the name always starts at offset 12, a pointer target. */
static void
wquestion(struct wb *w, const char *name, unsigned type)
{
	wname(w, name);
	w16(w, type);
	w16(w, 1);
}

/* Type, class IN, TTL and a placeholder RDLENGTH; returns where RDLENGTH sits. */
static size_t
wrr_fixed(struct wb *w, unsigned type, uint32_t ttl)
{
	size_t at;

	w16(w, type);
	w16(w, 1);
	w32(w, ttl);
	at = w->n;
	w16(w, 0);
	return at;
}

/* Start a record owned by a plain name. */
static size_t
wrr(struct wb *w, const char *owner, unsigned type, uint32_t ttl)
{
	wname(w, owner);
	return wrr_fixed(w, type, ttl);
}

/* Start a record whose owner is the question name (pointer to offset 12). */
static size_t
wrr_q(struct wb *w, unsigned type, uint32_t ttl)
{
	wptr(w, 12);
	return wrr_fixed(w, type, ttl);
}

/* Patch RDLENGTH to what was written since at. */
static void
wrr_end(struct wb *w, size_t at)
{
	size_t len = w->n - at - 2;

	w->b[at] = (uint8_t)(len >> 8);
	w->b[at + 1] = (uint8_t)len;
}

static void
wrr_a(struct wb *w, const char *owner, uint32_t ttl, const uint8_t a[4])
{
	size_t at = owner ? wrr(w, owner, 1, ttl) : wrr_q(w, 1, ttl);

	wbytes(w, a, 4);
	wrr_end(w, at);
}

static void
wrr_cname(struct wb *w, const char *owner, const char *target)
{
	size_t at = wrr(w, owner, 5, 300);

	wname(w, target);
	wrr_end(w, at);
}

static void
wrr_soa(struct wb *w, const char *zone, uint32_t ttl, uint32_t minimum)
{
	size_t at = wrr(w, zone, 6, ttl);

	wname(w, "ns.test");
	wname(w, "hostmaster.test");
	w32(w, 2024010101);
	w32(w, 3600);
	w32(w, 600);
	w32(w, 86400);
	w32(w, minimum);
	wrr_end(w, at);
}

static const uint8_t ip1[4] = { 192, 0, 2, 1 }, ip2[4] = { 192, 0, 2, 2 };

/* ---- message builders, one per case ---- */

static void
build_a(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 2, 0, 0);
	wquestion(w, "a.test", 1);
	wrr_a(w, NULL, 300, ip1);
	wrr_a(w, NULL, 600, ip2);
}

static void
build_a_no_aa(struct wb *w)
{
	build_a(w);
	w->b[2] &= (uint8_t)~(F_AA >> 8);
}

static void
build_aaaa(struct wb *w)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	size_t at;

	whdr(w, RESP | F_AA, 1, 1, 0, 0);
	wquestion(w, "v6.test", 28);
	at = wrr_q(w, 28, 120);
	wbytes(w, v6, 16);
	wrr_end(w, at);
}

static void
build_mx(struct wb *w)
{
	size_t at;

	whdr(w, RESP | F_AA, 1, 2, 0, 0);
	wquestion(w, "example.test", 15);		/* "example" at 12, "test" at 20 */
	at = wrr_q(w, 15, 3600);
	w16(w, 10);
	wlabels(w, "mx1");
	wptr(w, 12);					/* mx1.example.test */
	wrr_end(w, at);
	at = wrr_q(w, 15, 1800);
	w16(w, 20);
	wlabels(w, "backup");
	wptr(w, 20);					/* backup.test */
	wrr_end(w, at);
}

static void
build_txt(struct wb *w)
{
	size_t at;

	whdr(w, RESP | F_AA, 1, 1, 0, 0);
	wquestion(w, "txt.test", 16);
	at = wrr_q(w, 16, 3600);
	w8(w, 7);
	wbytes(w, "v=spf1 ", 7);
	w8(w, 3);
	wbytes(w, "a\0b", 3);
	w8(w, 0);
	w8(w, 4);
	wbytes(w, "-all", 4);
	wrr_end(w, at);
}

static void
build_cname_chain(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 3, 0, 0);
	wquestion(w, "www.test", 1);
	wrr_cname(w, "www.test", "mid.test");
	wrr_cname(w, "mid.test", "web.test");
	wrr_a(w, "web.test", 60, ip1);
}

static void
build_cname_leaves(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 1, 0, 0);
	wquestion(w, "www.test", 1);
	wrr_cname(w, "www.test", "host.elsewhere.example");
}

static void
build_cname_nodata_soa(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 1, 1, 0);
	wquestion(w, "www.test", 28);
	wrr_cname(w, "www.test", "host.test");
	wrr_soa(w, "test", 900, 300);
}

static void
build_cname_loop(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 2, 0, 0);
	wquestion(w, "a.test", 1);
	wrr_cname(w, "a.test", "b.test");
	wrr_cname(w, "b.test", "a.test");
}

static void
build_cname_too_long(struct wb *w)
{
	char from[16], to[16];
	unsigned i;

	whdr(w, RESP, 1, DNS_MAX_CNAME_HOPS + 2, 0, 0);
	wquestion(w, "c0.test", 1);
	for (i = 0; i <= DNS_MAX_CNAME_HOPS; i++) {
		snprintf(from, sizeof(from), "c%u.test", i);
		snprintf(to, sizeof(to), "c%u.test", i + 1);
		wrr_cname(w, from, to);
	}
	snprintf(from, sizeof(from), "c%u.test", DNS_MAX_CNAME_HOPS + 1);
	wrr_a(w, from, 60, ip1);
}

static void
build_cname_max_hops(struct wb *w)
{
	char from[16], to[16];
	unsigned i;

	whdr(w, RESP, 1, DNS_MAX_CNAME_HOPS + 1, 0, 0);
	wquestion(w, "c0.test", 1);
	for (i = 0; i < DNS_MAX_CNAME_HOPS; i++) {
		snprintf(from, sizeof(from), "c%u.test", i);
		snprintf(to, sizeof(to), "c%u.test", i + 1);
		wrr_cname(w, from, to);
	}
	snprintf(from, sizeof(from), "c%u.test", DNS_MAX_CNAME_HOPS);
	wrr_a(w, from, 60, ip1);
}

static void
build_nxdomain_min_minimum(struct wb *w)
{
	whdr(w, RESP | F_AA | 3, 1, 0, 1, 0);
	wquestion(w, "gone.test", 1);
	wrr_soa(w, "test", 3600, 300);
}

static void
build_nxdomain_min_ttl(struct wb *w)
{
	whdr(w, RESP | F_AA | 3, 1, 0, 1, 0);
	wquestion(w, "gone.test", 1);
	wrr_soa(w, "test", 60, 300);
}

static void
build_nxdomain_after_cname(struct wb *w)
{
	whdr(w, RESP | F_AA | 3, 1, 1, 1, 0);
	wquestion(w, "www.test", 1);
	wrr_cname(w, "www.test", "gone.test");
	wrr_soa(w, "test", 600, 120);
}

static void
build_nodata(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 0, 1, 0);
	wquestion(w, "a.test", 28);
	wrr_soa(w, "test", 3600, 900);
}

static void
build_servfail(struct wb *w)
{
	whdr(w, RESP | 2, 1, 0, 0, 0);
	wquestion(w, "a.test", 1);
}

/* What NSD sends over TCP for an RRset over 64 KB: TC=1, NOERROR, no records. */
static void
build_tc_no_records(struct wb *w)
{
	whdr(w, RESP | F_AA | F_TC, 1, 0, 0, 0);
	wquestion(w, "txt.test", 16);
}

/* TC=1 with part of the RRset: the part must not be read as the whole. */
static void
build_tc_partial(struct wb *w)
{
	size_t at;

	whdr(w, RESP | F_AA | F_TC, 1, 1, 0, 0);
	wquestion(w, "txt.test", 16);
	at = wrr_q(w, 16, 3600);
	w8(w, 11);
	wbytes(w, "v=spf1 -all", 11);
	wrr_end(w, at);
}

/* TC=1 on a SERVFAIL: the rcode says all there is. */
static void
build_tc_servfail(struct wb *w)
{
	build_servfail(w);
	w->b[2] |= F_TC >> 8;
}

static void
build_refused(struct wb *w)
{
	whdr(w, RESP | 5, 1, 0, 0, 0);
	wquestion(w, "a.test", 1);
}

static void
build_rcode_yxdomain(struct wb *w)
{
	whdr(w, RESP | 6, 1, 0, 0, 0);
	wquestion(w, "a.test", 1);
}

static void
build_case_owner(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 1, 0, 0);
	wquestion(w, "MiXeD.TEST", 1);
	wrr_a(w, "mixed.Test", 300, ip1);
}

static void
build_escaped_bytes(struct wb *w)
{
	static const uint8_t label[] = { 5, 'A', '.', 0, ' ', '\\', 4, 't', 'e', 's', 't', 0 };
	size_t at;

	whdr(w, RESP, 1, 1, 0, 0);
	wbytes(w, label, sizeof(label));
	w16(w, 16);
	w16(w, 1);
	at = wrr_q(w, 16, 5);
	w8(w, 1);
	w8(w, 'x');
	wrr_end(w, at);
}

static void
build_ttl_high_bit(struct wb *w)
{
	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "a.test", 1);
	wrr_a(w, NULL, 0x80000010u, ip1);
}

static void
build_other_types_ignored(struct wb *w)
{
	size_t at;

	whdr(w, RESP, 1, 3, 0, 1);
	wquestion(w, "a.test", 1);
	at = wrr_q(w, 46, 300);			/* RRSIG: kept raw, not an A */
	wbytes(w, "\x00\x01\x02", 3);
	wrr_end(w, at);
	wrr_a(w, "other.test", 300, ip2);	/* another owner */
	wrr_a(w, NULL, 300, ip1);
	/* additional section: an OPT record, never read */
	w8(w, 0);
	wrr_end(w, wrr_fixed(w, 41, 0));
}

static void
build_class_chaos_skipped(struct wb *w)
{
	whdr(w, RESP, 1, 2, 0, 0);
	wquestion(w, "a.test", 1);
	wptr(w, 12);
	w16(w, 1);
	w16(w, 3);				/* class CH */
	w32(w, 300);
	w16(w, 4);
	wbytes(w, ip2, 4);
	wrr_a(w, NULL, 300, ip1);
}

static void
build_question_mismatch(struct wb *w)
{
	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "b.test", 1);
	wrr_a(w, NULL, 300, ip1);
}

static void
build_cname_asked(struct wb *w)
{
	whdr(w, RESP | F_AA, 1, 1, 0, 0);
	wquestion(w, "www.test", 5);
	wrr_cname(w, "www.test", "web.test");
}

static void
build_name_255(struct wb *w)
{
	char name[300];

	/* 3 labels of 63 and one of 61: 3*64 + 62 + 1 = 255 octets */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	whdr(w, RESP, 1, 0, 0, 0);
	wquestion(w, name, 1);
}

/* -- malformed -- */

static void
build_name_256(struct wb *w)
{
	char name[300];

	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[254] = '\0';			/* last label 62: 256 octets */
	whdr(w, RESP, 1, 0, 0, 0);
	wquestion(w, name, 1);
}

static void
build_label_64(struct wb *w)
{
	char name[80];

	memset(name, 'a', 64);
	strcpy(name + 64, ".test");
	whdr(w, RESP, 1, 0, 0, 0);
	wquestion(w, name, 1);
}

static void
build_pointer_self(struct wb *w)
{
	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "a.test", 1);
	wptr(w, (unsigned)w->n);		/* points at itself */
	wrr_fixed(w, 1, 300);
}

static void
build_pointer_loop(struct wb *w)
{
	size_t first;

	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "a.test", 1);
	/* owner: "x" then a pointer back to "x": backwards, yet a loop */
	first = w->n;
	wlabels(w, "x");
	wptr(w, (unsigned)first);
	wrr_end(w, wrr_fixed(w, 1, 300));
}

static void
build_pointer_forward(struct wb *w)
{
	whdr(w, RESP, 1, 0, 0, 0);
	wptr(w, 14);				/* question name points forwards */
	wname(w, "a.test");
	w16(w, 1);
	w16(w, 1);
}

static void
build_pointer_out_of_bounds(struct wb *w)
{
	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "a.test", 1);
	wptr(w, 0x3FFF);
	wrr_fixed(w, 1, 300);
}

static void
build_truncated_rdata(struct wb *w)
{
	build_a(w);
	w->n -= 2;				/* last A record loses two bytes */
}

static void
build_truncated_header(struct wb *w)
{
	whdr(w, RESP, 1, 0, 0, 0);
	w->n = 7;
}

static void
build_truncated_counts(struct wb *w)
{
	build_a(w);
	w->b[7] = 3;				/* ANCOUNT 3, two present */
}

static void
build_rdlength_a_5(struct wb *w)
{
	size_t at;

	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "a.test", 1);
	at = wrr_q(w, 1, 300);
	wbytes(w, ip1, 4);
	w8(w, 0);
	wrr_end(w, at);
}

static void
build_rdlength_mx_long(struct wb *w)
{
	size_t at;

	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "a.test", 15);
	at = wrr_q(w, 15, 300);
	w16(w, 10);
	wname(w, "mx.test");
	w8(w, 0);				/* one byte past the exchange name */
	wrr_end(w, at);
}

static void
build_rdlength_cname_short(struct wb *w)
{
	size_t at;

	whdr(w, RESP, 1, 2, 0, 0);
	wquestion(w, "a.test", 5);
	at = wrr_q(w, 5, 300);
	wname(w, "target.test");
	wrr_end(w, at);
	w->b[at + 1] = (uint8_t)(w->b[at + 1] - 3);	/* the name runs past RDLENGTH */
	wrr_a(w, NULL, 300, ip1);
}

static void
build_rdlength_txt_overrun(struct wb *w)
{
	size_t at;

	whdr(w, RESP, 1, 1, 0, 0);
	wquestion(w, "a.test", 16);
	at = wrr_q(w, 16, 300);
	w8(w, 10);				/* says 10, has 3 within RDLENGTH */
	wbytes(w, "abc", 3);
	wrr_end(w, at);
	wbytes(w, "defghij", 7);		/* the bytes exist, outside the RDATA */
}

static void
build_not_a_response(struct wb *w)
{
	build_a(w);
	w->b[2] &= 0x7F;			/* QR = 0 */
}

static void
build_too_many_records(struct wb *w)
{
	build_a(w);
	w->b[6] = 0x13;				/* ANCOUNT 5000 */
	w->b[7] = 0x88;
}

/* n records of 11 octets each: root owner, a private type, empty RDATA. */
static void
build_n_records(struct wb *w, unsigned n)
{
	unsigned i;

	whdr(w, RESP, 1, n, 0, 0);
	wquestion(w, "a.test", 1);
	for (i = 0; i < n; i++) {
		w8(w, 0);
		wrr_end(w, wrr_fixed(w, 65280, 60));
	}
}

static void
build_records_at_cap(struct wb *w)
{
	build_n_records(w, 4096);
}

static void
build_records_over_cap(struct wb *w)
{
	build_n_records(w, 4097);
}

static void
build_extended_label(struct wb *w)
{
	whdr(w, RESP, 1, 0, 0, 0);
	w8(w, 0x41);				/* 01xxxxxx: obsolete extended label */
	w8(w, 0);
	w16(w, 1);
	w16(w, 1);
}

/* ---- case-specific checks ---- */

static void
check_a(const struct dns_msg *m, const struct dns_answer *a)
{
	assert_int_equal(m->id, 0x1234);
	assert_memory_equal(a->rrs[0].u.addr, ip1, 4);
	assert_int_equal(a->rrs[0].ttl, 300);
	assert_memory_equal(a->rrs[1].u.addr, ip2, 4);
	assert_int_equal(a->rrs[1].ttl, 600);
	assert_string_equal(a->rrs[0].owner, "a.test");
	assert_int_equal(dns_answer_min_ttl(a), 300);
}

static void
check_aaaa(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)m;
	assert_int_equal(a->rrs[0].u.addr[0], 0x20);
	assert_int_equal(a->rrs[0].u.addr[3], 0xb8);
	assert_int_equal(a->rrs[0].u.addr[15], 1);
	assert_int_equal(a->rrs[0].ttl, 120);
}

static void
check_mx(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)m;
	assert_int_equal(a->rrs[0].u.mx.preference, 10);
	assert_string_equal(a->rrs[0].u.mx.exchange, "mx1.example.test");
	assert_int_equal(a->rrs[0].ttl, 3600);
	assert_int_equal(a->rrs[1].u.mx.preference, 20);
	assert_string_equal(a->rrs[1].u.mx.exchange, "backup.test");
	assert_int_equal(a->rrs[1].ttl, 1800);
}

static void
check_txt(const struct dns_msg *m, const struct dns_answer *a)
{
	const struct dns_rr *rr = &a->rrs[0];
	size_t len = 0;
	char *joined;

	(void)m;
	assert_int_equal(rr->u.txt.count, 4);
	assert_int_equal(rr->u.txt.strings[0].len, 7);
	assert_memory_equal(rr->u.txt.strings[0].data, "v=spf1 ", 8);	/* NUL added */
	assert_int_equal(rr->u.txt.strings[1].len, 3);
	assert_memory_equal(rr->u.txt.strings[1].data, "a\0b", 3);
	assert_int_equal(rr->u.txt.strings[2].len, 0);
	assert_int_equal(rr->u.txt.strings[3].len, 4);
	joined = dns_txt_join(rr, &len);
	assert_non_null(joined);
	assert_int_equal(len, 14);
	assert_memory_equal(joined, "v=spf1 a\0b-all", 15);
	free(joined);
}

static void
check_nxdomain_soa_kept(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)a;
	assert_int_equal(m->nauthority, 1);
	assert_string_equal(m->authority[0].owner, "test");
	assert_string_equal(m->authority[0].u.soa.mname, "ns.test");
	assert_string_equal(m->authority[0].u.soa.rname, "hostmaster.test");
	assert_int_equal(m->authority[0].u.soa.serial, 2024010101);
}

static void
check_escaped(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)a;
	assert_string_equal(m->qname, "a\\.\\000\\032\\\\.test");
}

static void
check_ttl_zero(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)m;
	assert_int_equal(a->rrs[0].ttl, 0);
}

static void
check_other_types(const struct dns_msg *m, const struct dns_answer *a)
{
	assert_int_equal(m->nanswer, 3);
	assert_int_equal(m->answer[0].type, 46);
	assert_int_equal(m->answer[0].u.raw.len, 3);
	assert_memory_equal(a->rrs[0].u.addr, ip1, 4);
}

static void
check_cname_asked(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)m;
	assert_string_equal(a->rrs[0].u.target, "web.test");
}

static void
check_chaos(const struct dns_msg *m, const struct dns_answer *a)
{
	assert_int_equal(m->nanswer, 1);
	assert_memory_equal(a->rrs[0].u.addr, ip1, 4);
}

static void
check_cap(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)a;
	assert_int_equal(m->nanswer, 4096);
	assert_int_equal(m->answer[4095].type, 65280);
}

static void
check_root_question(const struct dns_msg *m, const struct dns_answer *a)
{
	(void)a;
	assert_int_equal(strlen(m->qname), 253);
}

/* ---- the table ---- */

struct msg_case {
	const char *name;
	void (*build)(struct wb *w);
	const char *qname;
	uint16_t qtype;
	int parse_rc;			/* dns_msg_parse(): 0 or -1 */
	int answer_rc;			/* dns_msg_answer(): 0, or 1 (ask again) */
	enum dns_status status;
	size_t count;
	const char *canonical;		/* NULL: same as qname */
	unsigned hops;
	bool aa;
	uint32_t negative_ttl;
	void (*check)(const struct dns_msg *m, const struct dns_answer *a);
};

#define OK_(n, b, q, t, st, c, can, h, aa, neg, chk) \
	{ n, b, q, t, 0, 0, st, c, can, h, aa, neg, chk }
#define BAD(n, b) { n, b, "a.test", 1, -1, 0, DNS_OK, 0, NULL, 0, false, 0, NULL }

static const struct msg_case cases[] = {
	OK_("a_two_records_ttl_per_record", build_a, "a.test", 1, DNS_OK, 2, NULL, 0, true, 0, check_a),
	OK_("a_trailing_dot_in_qname", build_a, "a.test.", 1, DNS_OK, 2, "a.test", 0, true, 0, check_a),
	OK_("aa_bit_off", build_a_no_aa, "a.test", 1, DNS_OK, 2, NULL, 0, false, 0, NULL),
	OK_("aaaa_record", build_aaaa, "v6.test", 28, DNS_OK, 1, NULL, 0, true, 0, check_aaaa),
	OK_("mx_compressed_exchanges", build_mx, "example.test", 15, DNS_OK, 2, NULL, 0, true, 0, check_mx),
	OK_("txt_several_strings_kept_apart", build_txt, "txt.test", 16, DNS_OK, 1, NULL, 0, true, 0, check_txt),
	OK_("cname_chain_inside_message", build_cname_chain, "www.test", 1, DNS_OK, 1, "web.test", 2, true, 0, NULL),
	{ "cname_leaving_message_asks_again", build_cname_leaves, "www.test", 1, 0, 1, DNS_NODATA, 0,
	  "host.elsewhere.example", 1, true, 0, NULL },
	OK_("cname_then_nodata_with_soa", build_cname_nodata_soa, "www.test", 28, DNS_NODATA, 0, "host.test", 1, true, 300, NULL),
	OK_("cname_loop_is_malformed", build_cname_loop, "a.test", 1, DNS_MALFORMED, 0, NULL, 0, true, 0, NULL),
	OK_("cname_chain_too_long_is_malformed", build_cname_too_long, "c0.test", 1, DNS_MALFORMED, 0, NULL, 0, false, 0, NULL),
	OK_("cname_chain_at_hop_limit", build_cname_max_hops, "c0.test", 1, DNS_OK, 1, "c8.test", DNS_MAX_CNAME_HOPS, false, 0, NULL),
	OK_("nxdomain_negative_ttl_is_soa_minimum", build_nxdomain_min_minimum, "gone.test", 1, DNS_NXDOMAIN, 0, NULL, 0, true, 300, check_nxdomain_soa_kept),
	OK_("nxdomain_negative_ttl_is_soa_ttl", build_nxdomain_min_ttl, "gone.test", 1, DNS_NXDOMAIN, 0, NULL, 0, true, 60, NULL),
	OK_("nxdomain_after_cname_is_the_target", build_nxdomain_after_cname, "www.test", 1, DNS_NXDOMAIN, 0, "gone.test", 1, true, 120, NULL),
	OK_("nodata_with_soa", build_nodata, "a.test", 28, DNS_NODATA, 0, NULL, 0, true, 900, NULL),
	OK_("servfail", build_servfail, "a.test", 1, DNS_SERVFAIL, 0, NULL, 0, false, 0, NULL),
	OK_("tc_without_records_is_truncated", build_tc_no_records, "txt.test", 16, DNS_TRUNCATED, 0, NULL, 0, true, 0, NULL),
	OK_("tc_with_part_of_the_rrset_is_truncated", build_tc_partial, "txt.test", 16, DNS_TRUNCATED, 0, NULL, 0, true, 0, NULL),
	OK_("tc_on_servfail_stays_servfail", build_tc_servfail, "a.test", 1, DNS_SERVFAIL, 0, NULL, 0, false, 0, NULL),
	OK_("refused", build_refused, "a.test", 1, DNS_REFUSED, 0, NULL, 0, false, 0, NULL),
	OK_("rcode_yxdomain_is_malformed", build_rcode_yxdomain, "a.test", 1, DNS_MALFORMED, 0, NULL, 0, false, 0, NULL),
	OK_("owner_case_ignored", build_case_owner, "mixed.test", 1, DNS_OK, 1, NULL, 0, true, 0, NULL),
	OK_("escaped_bytes_in_names", build_escaped_bytes, "a\\.\\000\\032\\\\.test", 16, DNS_OK, 1, NULL, 0, false, 0, check_escaped),
	OK_("ttl_with_high_bit_reads_zero", build_ttl_high_bit, "a.test", 1, DNS_OK, 1, NULL, 0, false, 0, check_ttl_zero),
	OK_("other_types_and_owners_ignored", build_other_types_ignored, "a.test", 1, DNS_OK, 1, NULL, 0, false, 0, check_other_types),
	OK_("class_chaos_record_skipped", build_class_chaos_skipped, "a.test", 1, DNS_OK, 1, NULL, 0, false, 0, check_chaos),
	OK_("question_mismatch_is_malformed", build_question_mismatch, "a.test", 1, DNS_MALFORMED, 0, NULL, 0, false, 0, NULL),
	OK_("qtype_mismatch_is_malformed", build_a, "a.test", 28, DNS_MALFORMED, 0, NULL, 0, true, 0, NULL),
	OK_("cname_asked_not_followed", build_cname_asked, "www.test", 5, DNS_OK, 1, NULL, 0, true, 0, check_cname_asked),
	OK_("name_of_255_octets_accepted", build_name_255, NULL, 1, DNS_NODATA, 0, NULL, 0, false, 0, check_root_question),
	BAD("name_of_256_octets_refused", build_name_256),
	BAD("label_of_64_octets_refused", build_label_64),
	BAD("pointer_to_itself_refused", build_pointer_self),
	BAD("backward_pointer_loop_refused", build_pointer_loop),
	BAD("forward_pointer_refused", build_pointer_forward),
	BAD("pointer_out_of_bounds_refused", build_pointer_out_of_bounds),
	BAD("truncated_rdata_refused", build_truncated_rdata),
	BAD("truncated_header_refused", build_truncated_header),
	BAD("missing_records_refused", build_truncated_counts),
	BAD("a_rdlength_5_refused", build_rdlength_a_5),
	BAD("mx_rdlength_too_long_refused", build_rdlength_mx_long),
	BAD("cname_name_past_rdlength_refused", build_rdlength_cname_short),
	BAD("txt_string_past_rdlength_refused", build_rdlength_txt_overrun),
	BAD("query_not_response_refused", build_not_a_response),
	BAD("too_many_records_refused", build_too_many_records),
	OK_("records_at_cap_accepted", build_records_at_cap, "a.test", 1, DNS_NODATA, 0, NULL, 0, false, 0, check_cap),
	BAD("records_over_cap_refused", build_records_over_cap),
	BAD("extended_label_type_refused", build_extended_label),
};

/* Write the case's message to $DNS_MSG_CORPUS_OUT/<name> when asked to. */
static void
dump_corpus(const struct msg_case *c, const struct wb *w)
{
	const char *dir = getenv("DNS_MSG_CORPUS_OUT");
	char path[512];
	FILE *f;

	if (dir == NULL || *dir == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, c->name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(w->b, 1, w->n, f), w->n);
	assert_int_equal(fclose(f), 0);
}

/* Parse, answer and check one case. */
static void
run_case(void **state)
{
	const struct msg_case *c = *state;
	static struct wb w;
	struct dns_msg m;
	struct dns_answer a;
	const char *qname;
	int rc;

	memset(&w, 0, sizeof(w));
	c->build(&w);
	dump_corpus(c, &w);
	rc = dns_msg_parse(w.b, w.n, &m);
	assert_int_equal(rc, c->parse_rc);
	if (rc < 0) {
		/* Nothing to free after a failure: the struct is zeroed. */
		assert_null(m.qname);
		assert_null(m.answer);
		assert_null(m.authority);
		return;
	}
	qname = c->qname ? c->qname : m.qname;
	rc = dns_msg_answer(&m, qname, c->qtype, &a);
	assert_int_equal(rc, c->answer_rc);
	assert_int_equal(a.status, c->status);
	assert_int_equal(a.count, c->count);
	assert_string_equal(a.qname, qname);
	if (c->canonical)
		assert_string_equal(a.canonical, c->canonical);
	else if (c->qname)
		assert_string_equal(a.canonical, c->qname);
	assert_int_equal(a.cname_hops, c->hops);
	assert_int_equal(a.authoritative, c->aa);
	assert_int_equal(a.negative_ttl, c->negative_ttl);
	assert_int_equal(a.qtype, c->qtype);
	if (c->check)
		c->check(&m, &a);
	dns_answer_clear(&a);
	dns_msg_free(&m);
}

/* ---- helpers of dns_answer.c ---- */

static void
answer_copy_is_deep(void **state)
{
	static struct wb w;
	struct dns_msg m;
	struct dns_answer a, b;

	(void)state;
	build_txt(&w);
	assert_int_equal(dns_msg_parse(w.b, w.n, &m), 0);
	assert_int_equal(dns_msg_answer(&m, "txt.test", 16, &a), 0);
	dns_msg_free(&m);
	assert_int_equal(dns_answer_copy(&b, &a), 0);
	assert_ptr_not_equal(b.rrs, a.rrs);
	assert_ptr_not_equal(b.rrs[0].u.txt.strings[0].data, a.rrs[0].u.txt.strings[0].data);
	dns_answer_clear(&a);		/* the copy must survive the original */
	assert_string_equal(b.qname, "txt.test");
	assert_int_equal(b.count, 1);
	assert_int_equal(b.rrs[0].u.txt.count, 4);
	assert_memory_equal(b.rrs[0].u.txt.strings[3].data, "-all", 5);
	dns_answer_clear(&b);
	assert_null(b.rrs);
	assert_int_equal(b.count, 0);
}

/* MX with AD, two RRSIGs (over MX: original TTLs 3600 and 7200; over A: 60), an OPT
 * record with an unknown option, then EDE 18 (Prohibited). */
static void
build_signed_mx(struct wb *w)
{
	size_t at;
	unsigned ttls[3] = { 3600, 60, 7200 }, covered[3] = { 15, 1, 15 }, i;

	whdr(w, RESP | 0x0020, 1, 4, 0, 1);
	wquestion(w, "mx.test", 15);
	at = wrr_q(w, 15, 300);
	w16(w, 10);
	wname(w, "mail.mx.test");
	wrr_end(w, at);
	for (i = 0; i < 3; i++) {
		at = wrr_q(w, 46, 300);
		w16(w, covered[i]);
		w8(w, 13);
		w8(w, 2);
		w32(w, ttls[i]);
		w32(w, 2000000000u);
		w32(w, 1000000000u);
		w16(w, 1);
		wname(w, "mx.test");
		wbytes(w, "sig", 3);
		wrr_end(w, at);
	}
	w8(w, 0);		/* OPT: root owner, type 41, payload as class */
	w16(w, 41);
	w16(w, 1232);
	w32(w, 0);
	at = w->n;
	w16(w, 0);
	w16(w, 10);		/* an option that is not EDE: stepped over */
	w16(w, 2);
	w16(w, 0xABCD);
	w16(w, 15);
	w16(w, 2);
	w16(w, 18);
	wrr_end(w, at);
}

static void
dnssec_fields_of_a_signed_answer(void **state)
{
	static struct wb w;
	struct dns_msg m;
	struct dns_answer a;

	(void)state;
	build_signed_mx(&w);
	assert_int_equal(dns_msg_parse(w.b, w.n, &m), 0);
	assert_true(m.ad);
	assert_true(m.has_ede);
	assert_int_equal(m.ede, 18);
	assert_int_equal(dns_msg_answer(&m, "mx.test", 15, &a), 0);
	dns_msg_free(&m);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.count, 1);
	assert_true(a.secure);
	assert_int_equal(a.sig_ttl, 3600);	/* the lowest over MX, not the A's 60 */
	assert_true(a.has_ede);
	dns_answer_clear(&a);
	/* Unsigned, no AD: nothing. */
	build_a(&w);
	assert_int_equal(dns_msg_parse(w.b, w.n, &m), 0);
	assert_int_equal(dns_msg_answer(&m, "a.test", 1, &a), 0);
	dns_msg_free(&m);
	assert_false(a.secure);
	assert_int_equal(a.sig_ttl, 0);
	assert_false(a.has_ede);
	dns_answer_clear(&a);
}

static void
ede_option_bounds(void **state)
{
	uint16_t code = 0;

	(void)state;
	assert_int_equal(dns_opt_ede(NULL, 0, &code), 0);
	assert_int_equal(dns_opt_ede((const uint8_t *)"\x00\x0f\x00\x02\x00\x06", 6, &code), 1);
	assert_int_equal(code, 6);
	/* INFO-CODE with extra text. */
	assert_int_equal(dns_opt_ede((const uint8_t *)"\x00\x0f\x00\x04\x00\x09hi", 8, &code), 1);
	assert_int_equal(code, 9);
	/* Shorter than an INFO-CODE, an option overrunning the RDATA, a cut header. */
	assert_int_equal(dns_opt_ede((const uint8_t *)"\x00\x0f\x00\x01\x00", 5, &code), -1);
	assert_int_equal(dns_opt_ede((const uint8_t *)"\x00\x0f\x00\x09\x00\x06", 6, &code), -1);
	assert_int_equal(dns_opt_ede((const uint8_t *)"\x00\x0f\x00", 3, &code), -1);
	/* Another option only. */
	assert_int_equal(dns_opt_ede((const uint8_t *)"\x00\x0a\x00\x00", 4, &code), 0);
}

static void
rr_copy_of_every_kind(void **state)
{
	static struct wb w;
	struct dns_msg m;
	struct dns_rr c;
	size_t i;

	(void)state;
	build_other_types_ignored(&w);
	assert_int_equal(dns_msg_parse(w.b, w.n, &m), 0);
	for (i = 0; i < m.nanswer; i++) {
		assert_int_equal(dns_rr_copy(&c, &m.answer[i]), 0);
		assert_int_equal(c.type, m.answer[i].type);
		assert_string_equal(c.owner, m.answer[i].owner);
		if (c.type == 46)
			assert_memory_equal(c.u.raw.data, "\x00\x01\x02", 3);
		dns_rr_clear(&c);
	}
	dns_msg_free(&m);
	build_nxdomain_min_minimum(&w);
	assert_int_equal(dns_msg_parse(w.b, w.n, &m), 0);
	assert_int_equal(dns_rr_copy(&c, &m.authority[0]), 0);
	assert_string_equal(c.u.soa.rname, "hostmaster.test");
	assert_int_equal(c.u.soa.minimum, 300);
	dns_rr_clear(&c);
	dns_msg_free(&m);
}

static void
status_and_type_words(void **state)
{
	(void)state;
	assert_string_equal(dns_status_str(DNS_NXDOMAIN), "NXDOMAIN");
	assert_string_equal(dns_status_str(DNS_NODATA), "NODATA");
	assert_string_equal(dns_status_str(DNS_TIMEOUT), "timeout");
	assert_string_equal(dns_status_str(DNS_SERVFAIL), "SERVFAIL");
	assert_string_equal(dns_status_str(DNS_REFUSED), "REFUSED");
	assert_string_equal(dns_status_str(DNS_TRUNCATED), "truncated answer");
	assert_string_equal(dns_type_str(DNS_T_MX), "MX");
	assert_string_equal(dns_type_str(DNS_T_TXT), "TXT");
	assert_string_equal(dns_type_str(DNS_T_AAAA), "AAAA");
	assert_string_equal(dns_type_str(4711), "TYPE4711");
}

static void
min_ttl_of_empty_answer_is_zero(void **state)
{
	struct dns_answer a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(dns_answer_min_ttl(&a), 0);
	assert_null(dns_txt_join(NULL, NULL));
}

static void
clock_is_monotonic(void **state)
{
	uint64_t t1 = dns_now_ms(), t2 = dns_now_ms();

	(void)state;
	assert_true(t1 > 0);
	assert_true(t2 >= t1);
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), i;
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(answer_copy_is_deep),
		cmocka_unit_test(dnssec_fields_of_a_signed_answer),
		cmocka_unit_test(ede_option_bounds),
		cmocka_unit_test(rr_copy_of_every_kind),
		cmocka_unit_test(status_and_type_words),
		cmocka_unit_test(min_ttl_of_empty_answer_is_zero),
		cmocka_unit_test(clock_is_monotonic),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests = calloc(n + nfixed, sizeof(*tests));
	int rc;

	if (tests == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	memcpy(tests + n, fixed, sizeof(fixed));
	rc = _cmocka_run_group_tests("dns_msg", tests, n + nfixed, NULL, NULL);
	free(tests);
	return rc;
}
