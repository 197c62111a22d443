/*
 * test_resolver.c - the c-ares resolver (dns.c) against real sockets on loopback.
 *
 * A small DNS responder thread in this file listens on 127.0.0.1 with UDP and TCP on
 * one ephemeral port and answers from a table (responses built by hand); another UDP
 * socket is bound and never read, a server that never answers (the timing tests count
 * the tries queued on it). No internet, no mocks.
 *
 * The table:
 *   a.test A          192.0.2.1, TTL 300, AA
 *   big.test TXT      over UDP: TC=1 and nothing else; over TCP: 10 TXT records
 *                     "via-tcp ..." (too big for 1232 bytes anyway)
 *   toobig.test TXT   TC=1 and no records over UDP and over TCP, as NSD answers an
 *                     RRset over 64 KB
 *   servfail.test     SERVFAIL        refused.test   REFUSED
 *   badrdata.test     an A record with RDLENGTH 5 (malformed)
 *   nx.test           NXDOMAIN, SOA TTL 600 MINIMUM 300
 *   nodata.test       NOERROR, no records, SOA
 *   alias.test        CNAME a.test only (the target is not in the message)
 *   loop1/loop2.test  CNAME to each other, one per message
 *   nN.test A         10.0.N/256.N%256 (N < 4096), for the concurrency test
 *   signed.test A     192.0.2.9 TTL 120 with an RRSIG (original TTL 3600); AD set when
 *                     the query had the DO bit
 *   bogus.test A      SERVFAIL, but with CD=1 192.0.2.66 (data that fails validation)
 *   ede.test A        SERVFAIL with an Extended DNS Error 6 (DNSSEC Bogus)
 *   anything else     NXDOMAIN without SOA
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "dns/dns.h"

/* ---- the responder ---- */

#define MAX_CONNS 16

struct responder {
	int udp, tcp, silent;
	uint16_t port, silent_port;
	int stop[2];
	pthread_t thread;
	pthread_mutex_t mu;
	unsigned big_udp, big_tcp;	/* mu: big.test queries seen per transport */
	unsigned toobig_tcp;		/* mu: toobig.test queries seen over TCP */
	unsigned total;			/* mu: all queries answered */
	unsigned dnssec_do, cd;		/* mu: queries seen with DO, with CD */
};

static struct responder resp;

struct out {
	uint8_t b[8192];
	size_t n;
};

static void
o8(struct out *o, unsigned v)
{
	if (o->n < sizeof(o->b))
		o->b[o->n++] = (uint8_t)v;
}

static void
o16(struct out *o, unsigned v)
{
	o8(o, v >> 8 & 0xFF);
	o8(o, v & 0xFF);
}

static void
o32(struct out *o, uint32_t v)
{
	o16(o, v >> 16);
	o16(o, v & 0xFFFF);
}

static void
obytes(struct out *o, const void *p, size_t n)
{
	if (o->n + n <= sizeof(o->b)) {
		memcpy(o->b + o->n, p, n);
		o->n += n;
	}
}

static void
oname(struct out *o, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		o8(o, (unsigned)len);
		obytes(o, name, len);
		name += len;
		if (*name == '.')
			name++;
	}
	o8(o, 0);
}

/* A record owned by the question name (pointer to 12); returns RDLENGTH's offset. */
static size_t
orr(struct out *o, unsigned type, uint32_t ttl)
{
	size_t at;

	o16(o, 0xC00C);
	o16(o, type);
	o16(o, 1);
	o32(o, ttl);
	at = o->n;
	o16(o, 0);
	return at;
}

static void
orr_end(struct out *o, size_t at)
{
	size_t len = o->n - at - 2;

	o->b[at] = (uint8_t)(len >> 8);
	o->b[at + 1] = (uint8_t)len;
}

static void
osoa(struct out *o)
{
	size_t at;

	oname(o, "test");
	o16(o, 6);
	o16(o, 1);
	o32(o, 600);
	at = o->n;
	o16(o, 0);
	oname(o, "ns.test");
	oname(o, "hostmaster.test");
	o32(o, 1);
	o32(o, 3600);
	o32(o, 600);
	o32(o, 86400);
	o32(o, 300);
	orr_end(o, at);
}

/* Build the response to query q (over tcp or not) into o; 0, or -1 to drop. */
static int
respond(const uint8_t *q, size_t qlen, int tcp, struct out *o)
{
	char name[256];
	size_t pos = 12, nlen = 0, qend;
	unsigned qtype, rcode = 0, an = 0, ns = 0, ar = 0, flags, num;
	size_t at;
	bool dnssec_do, cd;
	int i;

	if (qlen < 12 || q[4] != 0 || q[5] != 1)
		return -1;
	while (pos < qlen && q[pos] != 0) {
		size_t len = q[pos++];

		if (len > 63 || pos + len > qlen || nlen + len + 2 > sizeof(name))
			return -1;
		if (nlen)
			name[nlen++] = '.';
		for (i = 0; i < (int)len; i++) {
			char c = (char)q[pos++];

			name[nlen++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
	}
	name[nlen] = '\0';
	if (pos + 5 > qlen)
		return -1;
	qtype = (unsigned)q[pos + 1] << 8 | q[pos + 2];
	qend = pos + 5;
	/* An OPT record right after the question (ARCOUNT 1): its DO bit. */
	dnssec_do = q[11] == 1 && qend + 11 <= qlen && q[qend] == 0 && q[qend + 2] == 41 &&
	    (q[qend + 7] & 0x80) != 0;
	cd = (q[3] & 0x10) != 0;
	pthread_mutex_lock(&resp.mu);
	resp.dnssec_do += dnssec_do;
	resp.cd += cd;
	pthread_mutex_unlock(&resp.mu);

	o->n = 0;
	o16(o, (unsigned)q[0] << 8 | q[1]);
	o16(o, 0);			/* flags, patched below */
	o16(o, 1);
	o16(o, 0);
	o16(o, 0);
	o16(o, 0);
	obytes(o, q + 12, qend - 12);
	flags = 0x8000 | 0x0400 | ((unsigned)q[2] & 1) << 8;

	if (strcmp(name, "a.test") == 0 && qtype == 1) {
		at = orr(o, 1, 300);
		obytes(o, "\xC0\x00\x02\x01", 4);
		orr_end(o, at);
		an = 1;
	} else if (strcmp(name, "big.test") == 0) {
		pthread_mutex_lock(&resp.mu);
		if (tcp)
			resp.big_tcp++;
		else
			resp.big_udp++;
		pthread_mutex_unlock(&resp.mu);
		if (!tcp) {
			flags |= 0x0200;	/* TC: ask again over TCP */
		} else {
			for (i = 0; i < 10; i++) {
				char txt[201];

				memset(txt, 'x', sizeof(txt));
				snprintf(txt, sizeof(txt), "via-tcp %d ", i);
				txt[strlen(txt)] = 'x';
				at = orr(o, 16, 60);
				o8(o, 200);
				obytes(o, txt, 200);
				orr_end(o, at);
			}
			an = 10;
		}
	} else if (strcmp(name, "toobig.test") == 0) {
		pthread_mutex_lock(&resp.mu);
		resp.toobig_tcp += tcp != 0;
		pthread_mutex_unlock(&resp.mu);
		flags |= 0x0200;	/* TC whatever the transport */
	} else if (strcmp(name, "badrdata.test") == 0) {
		at = orr(o, 1, 300);
		obytes(o, "\xC0\x00\x02\x01\x00", 5);	/* an A with RDLENGTH 5 */
		orr_end(o, at);
		an = 1;
	} else if (strcmp(name, "signed.test") == 0 && qtype == 1) {
		at = orr(o, 1, 120);
		obytes(o, "\xC0\x00\x02\x09", 4);
		orr_end(o, at);
		/* RRSIG: covered A, alg 13, 2 labels, original TTL 3600, times, tag, signer. */
		at = orr(o, 46, 120);
		o16(o, 1);
		o8(o, 13);
		o8(o, 2);
		o32(o, 3600);
		o32(o, 2000000000u);
		o32(o, 1000000000u);
		o16(o, 4242);
		oname(o, "test");
		obytes(o, "sig", 3);
		orr_end(o, at);
		an = 2;
		if (dnssec_do)
			flags |= 0x0020;
	} else if (strcmp(name, "bogus.test") == 0 && qtype == 1) {
		if (cd) {
			at = orr(o, 1, 300);
			obytes(o, "\xC0\x00\x02\x42", 4);
			orr_end(o, at);
			an = 1;
		} else {
			rcode = 2;
		}
	} else if (strcmp(name, "ede.test") == 0) {
		rcode = 2;
		/* OPT: root, type 41, payload 1232, no flags, EDE 6 "bogus". */
		o8(o, 0);
		o16(o, 41);
		o16(o, 1232);
		o32(o, 0);
		o16(o, 4 + 2 + 5);
		o16(o, 15);
		o16(o, 2 + 5);
		o16(o, 6);
		obytes(o, "bogus", 5);
		ar = 1;
	} else if (strcmp(name, "servfail.test") == 0) {
		rcode = 2;
	} else if (strcmp(name, "refused.test") == 0) {
		flags &= ~0x0400u;
		rcode = 5;
	} else if (strcmp(name, "nx.test") == 0) {
		rcode = 3;
		osoa(o);
		ns = 1;
	} else if (strcmp(name, "nodata.test") == 0) {
		osoa(o);
		ns = 1;
	} else if (strcmp(name, "alias.test") == 0 || strcmp(name, "loop1.test") == 0 ||
		   strcmp(name, "loop2.test") == 0) {
		at = orr(o, 5, 300);
		oname(o, strcmp(name, "alias.test") == 0 ? "a.test" :
		    strcmp(name, "loop1.test") == 0 ? "loop2.test" : "loop1.test");
		orr_end(o, at);
		an = 1;
	} else if (sscanf(name, "n%u.test", &num) == 1 && num < 4096 && qtype == 1) {
		uint8_t addr[4] = { 10, 0, (uint8_t)(num >> 8), (uint8_t)num };

		at = orr(o, 1, 300);
		obytes(o, addr, 4);
		orr_end(o, at);
		an = 1;
	} else {
		rcode = 3;
	}
	flags |= rcode;
	o->b[2] = (uint8_t)(flags >> 8);
	o->b[3] = (uint8_t)flags;
	o->b[7] = (uint8_t)an;
	o->b[9] = (uint8_t)ns;
	o->b[11] = (uint8_t)ar;
	pthread_mutex_lock(&resp.mu);
	resp.total++;
	pthread_mutex_unlock(&resp.mu);
	return 0;
}

/* Read exactly n bytes from a blocking TCP socket. */
static int
read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = recv(fd, p, n, 0);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Serve one DNS-over-TCP message (RFC 1035 4.2.2: two-byte length prefix). */
static int
serve_tcp(int fd)
{
	static struct out o;
	uint8_t len[2], q[4096], hdr[2];
	size_t qlen;

	if (read_full(fd, len, 2) < 0)
		return -1;
	qlen = (size_t)len[0] << 8 | len[1];
	if (qlen > sizeof(q) || read_full(fd, q, qlen) < 0)
		return -1;
	if (respond(q, qlen, 1, &o) < 0)
		return -1;
	hdr[0] = (uint8_t)(o.n >> 8);
	hdr[1] = (uint8_t)o.n;
	if (send(fd, hdr, 2, MSG_NOSIGNAL) != 2 ||
	    send(fd, o.b, o.n, MSG_NOSIGNAL) != (ssize_t)o.n)
		return -1;
	return 0;
}

/* The responder thread: UDP queries, TCP connections, until the stop pipe fires. */
static void *
responder_main(void *arg)
{
	static struct out o;
	struct pollfd pfd[3 + MAX_CONNS];
	int conns[MAX_CONNS], nconns = 0, i;
	uint8_t q[4096];

	(void)arg;
	for (;;) {
		nfds_t n = 3;

		pfd[0].fd = resp.stop[0];
		pfd[1].fd = resp.udp;
		pfd[2].fd = resp.tcp;
		for (i = 0; i < nconns; i++)
			pfd[n++].fd = conns[i];
		for (i = 0; i < (int)n; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t k = recvfrom(resp.udp, q, sizeof(q), 0,
			    (struct sockaddr *)&from, &fl);

			if (k > 0 && respond(q, (size_t)k, 0, &o) == 0)
				(void)sendto(resp.udp, o.b, o.n, 0, (struct sockaddr *)&from, fl);
		}
		if ((pfd[2].revents & POLLIN) && nconns < MAX_CONNS) {
			int c = accept(resp.tcp, NULL, NULL);

			if (c >= 0)
				conns[nconns++] = c;
		}
		for (i = (int)n - 1; i >= 3; i--) {
			if (pfd[i].revents == 0)
				continue;
			if (serve_tcp(pfd[i].fd) < 0) {
				int k;

				close(pfd[i].fd);
				for (k = 0; k < nconns; k++)
					if (conns[k] == pfd[i].fd)
						conns[k] = conns[--nconns];
			}
		}
	}
	for (i = 0; i < nconns; i++)
		close(conns[i]);
	return NULL;
}

/* Bind a socket of type to 127.0.0.1:port (0: any); the fd, or -1. */
static int
bind_loopback(int type, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type, 0), one = 1;

	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

static int
responder_start(void **state)
{
	int tries;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	resp.udp = resp.tcp = -1;
	/* UDP and TCP on one port number, as a DNS server listens. */
	for (tries = 0; tries < 50 && resp.tcp < 0; tries++) {
		if (resp.udp >= 0)
			close(resp.udp);
		resp.udp = bind_loopback(SOCK_DGRAM, 0, &resp.port);
		if (resp.udp < 0)
			return -1;
		resp.tcp = bind_loopback(SOCK_STREAM, resp.port, &resp.port);
	}
	if (resp.tcp < 0 || listen(resp.tcp, 16) < 0)
		return -1;
	resp.silent = bind_loopback(SOCK_DGRAM, 0, &resp.silent_port);
	if (resp.silent < 0 || pipe(resp.stop) < 0)
		return -1;
	pthread_mutex_init(&resp.mu, NULL);
	return pthread_create(&resp.thread, NULL, responder_main, NULL) == 0 ? 0 : -1;
}

static int
responder_stop(void **state)
{
	(void)state;
	if (write(resp.stop[1], "x", 1) != 1)
		return -1;
	pthread_join(resp.thread, NULL);
	close(resp.udp);
	close(resp.tcp);
	close(resp.silent);
	close(resp.stop[0]);
	close(resp.stop[1]);
	pthread_mutex_destroy(&resp.mu);
	return 0;
}

/* ---- helpers ---- */

/* A resolver on the responder (or the silent socket). */
static struct dns_resolver *
resolver_on(uint16_t port, unsigned timeout_ms, unsigned tries)
{
	char server[32], err[256];
	const char *servers[1] = { server };
	struct dns_resolver_config cfg = { servers, 1, timeout_ms, tries, false };
	struct dns_resolver *r;

	snprintf(server, sizeof(server), "127.0.0.1:%u", (unsigned)port);
	r = dns_resolver_new(&cfg, err, sizeof(err));
	if (r == NULL)
		fail_msg("resolver: %s", err);
	return r;
}

/* A resolver on the responder with dnssec on. */
static struct dns_resolver *
dnssec_resolver(void)
{
	char server[32], err[256];
	const char *servers[1] = { server };
	struct dns_resolver_config cfg = { servers, 1, 1000, 2, true };
	struct dns_resolver *r;

	snprintf(server, sizeof(server), "127.0.0.1:%u", (unsigned)resp.port);
	r = dns_resolver_new(&cfg, err, sizeof(err));
	if (r == NULL)
		fail_msg("resolver: %s", err);
	return r;
}

/* Queries the responder saw with DO (cd false) or with CD (cd true). */
static unsigned
flag_count(bool cd)
{
	unsigned n;

	pthread_mutex_lock(&resp.mu);
	n = cd ? resp.cd : resp.dnssec_do;
	pthread_mutex_unlock(&resp.mu);
	return n;
}

/* One query, waited for with a generous deadline. */
static void
ask(struct dns_resolver *r, const char *name, uint16_t type, struct dns_answer *a)
{
	struct dns_batch *b = dns_batch_new(r);

	assert_non_null(b);
	assert_int_equal(dns_batch_add(b, name, type, a), 0);
	dns_batch_wait(b, dns_now_ms() + 5000);
	dns_batch_free(b);
}

static unsigned
big_count(int tcp)
{
	unsigned n;

	pthread_mutex_lock(&resp.mu);
	n = tcp ? resp.big_tcp : resp.big_udp;
	pthread_mutex_unlock(&resp.mu);
	return n;
}

/* ---- tests ---- */

static void
dnssec_answers_carry_ad_and_the_original_ttl(void **state)
{
	struct dns_resolver *r = dnssec_resolver();
	unsigned do0 = flag_count(false);
	struct dns_answer a;

	(void)state;
	assert_true(dns_resolver_dnssec(r));
	ask(r, "signed.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.count, 1);		/* the RRSIG is not a record of the type */
	assert_int_equal(a.rrs[0].ttl, 120);
	assert_true(a.secure);
	assert_int_equal(a.sig_ttl, 3600);
	assert_false(a.bogus);
	assert_int_equal(flag_count(false), do0 + 1);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
without_dnssec_no_do_bit_and_nothing_secure(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	unsigned do0 = flag_count(false);
	struct dns_answer a;

	(void)state;
	assert_false(dns_resolver_dnssec(r));
	ask(r, "signed.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_false(a.secure);
	assert_int_equal(flag_count(false), do0);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
ad_from_a_remote_resolver_is_not_trusted(void **state)
{
	const char *servers[1] = { "192.0.2.53" };
	struct dns_resolver_config cfg = { servers, 1, 1000, 2, true };
	char err[256];
	struct dns_resolver *r = dns_resolver_new(&cfg, err, sizeof(err));

	(void)state;
	assert_non_null(r);
	assert_false(dns_resolver_dnssec(r));
	dns_resolver_free(r);
}

static void
servfail_that_answers_with_cd_is_bogus(void **state)
{
	struct dns_resolver *r = dnssec_resolver();
	unsigned cd0 = flag_count(true);
	struct dns_answer a;

	(void)state;
	ask(r, "bogus.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_SERVFAIL);
	assert_true(a.bogus);
	assert_int_equal(a.count, 0);		/* CD=1 data is never used */
	assert_int_equal(a.queries, 2);
	assert_int_equal(flag_count(true), cd0 + 1);
	dns_answer_clear(&a);
	/* A SERVFAIL that stays one with CD=1 is a server failure. */
	ask(r, "servfail.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_SERVFAIL);
	assert_false(a.bogus);
	assert_int_equal(flag_count(true), cd0 + 2);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
servfail_with_dnssec_ede_is_bogus_without_retry(void **state)
{
	struct dns_resolver *r = dnssec_resolver();
	unsigned cd0 = flag_count(true);
	struct dns_answer a;

	(void)state;
	ask(r, "ede.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_SERVFAIL);
	assert_true(a.bogus);
	assert_true(a.has_ede);
	assert_int_equal(a.ede, 6);
	assert_int_equal(a.queries, 1);
	assert_int_equal(flag_count(true), cd0);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
without_dnssec_servfail_is_not_retried(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	unsigned cd0 = flag_count(true);
	struct dns_answer a;

	(void)state;
	ask(r, "bogus.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_SERVFAIL);
	assert_false(a.bogus);
	assert_int_equal(flag_count(true), cd0);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
normal_answer(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	struct dns_answer a;

	(void)state;
	ask(r, "a.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.count, 1);
	assert_memory_equal(a.rrs[0].u.addr, "\xC0\x00\x02\x01", 4);
	assert_int_equal(a.rrs[0].ttl, 300);
	assert_true(a.authoritative);
	assert_string_equal(a.qname, "a.test");
	assert_string_equal(a.canonical, "a.test");
	assert_int_equal(a.queries, 1);
	assert_int_equal(a.cname_hops, 0);
	assert_true(a.elapsed_ms < 1000);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
truncated_udp_answer_is_retried_over_tcp(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	unsigned udp0 = big_count(0), tcp0 = big_count(1);
	struct dns_answer a;
	size_t i;

	(void)state;
	ask(r, "big.test", DNS_T_TXT, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.count, 10);
	for (i = 0; i < a.count; i++) {
		assert_int_equal(a.rrs[i].u.txt.count, 1);
		assert_int_equal(a.rrs[i].u.txt.strings[0].len, 200);
		assert_memory_equal(a.rrs[i].u.txt.strings[0].data, "via-tcp ", 8);
	}
	/* The UDP answer had TC=1 and no records: these came over TCP. */
	assert_int_equal(big_count(0) - udp0, 1);
	assert_int_equal(big_count(1) - tcp0, 1);
	assert_int_equal(a.queries, 1);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

/* TC=1 over TCP too: no answer to be had, a temporary failure rather than "no records". */
static void
truncated_tcp_answer_reads_truncated(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	unsigned tcp0;
	struct dns_answer a;

	(void)state;
	pthread_mutex_lock(&resp.mu);
	tcp0 = resp.toobig_tcp;
	pthread_mutex_unlock(&resp.mu);
	ask(r, "toobig.test", DNS_T_TXT, &a);
	assert_int_equal(a.status, DNS_TRUNCATED);
	assert_int_equal(a.count, 0);
	assert_null(a.rrs);
	assert_int_equal(a.negative_ttl, 0);
	pthread_mutex_lock(&resp.mu);
	assert_int_equal(resp.toobig_tcp - tcp0, 1);	/* the retry over TCP was made */
	pthread_mutex_unlock(&resp.mu);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
error_statuses_stay_distinct(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	struct dns_batch *b = dns_batch_new(r);
	struct dns_answer a[6];
	size_t i;

	(void)state;
	assert_non_null(b);
	assert_int_equal(dns_batch_add(b, "servfail.test", DNS_T_A, &a[0]), 0);
	assert_int_equal(dns_batch_add(b, "refused.test", DNS_T_A, &a[1]), 0);
	assert_int_equal(dns_batch_add(b, "nx.test", DNS_T_MX, &a[2]), 0);
	assert_int_equal(dns_batch_add(b, "nodata.test", DNS_T_TXT, &a[3]), 0);
	assert_int_equal(dns_batch_add(b, "a.test", DNS_T_A, &a[4]), 0);
	assert_int_equal(dns_batch_add(b, "badrdata.test", DNS_T_A, &a[5]), 0);
	dns_batch_wait(b, dns_now_ms() + 5000);
	assert_int_equal(a[0].status, DNS_SERVFAIL);
	assert_int_equal(a[1].status, DNS_REFUSED);
	assert_false(a[1].authoritative);
	assert_int_equal(a[2].status, DNS_NXDOMAIN);
	assert_int_equal(a[2].negative_ttl, 300);
	assert_true(a[2].authoritative);
	assert_int_equal(a[3].status, DNS_NODATA);
	assert_int_equal(a[3].negative_ttl, 300);
	assert_int_equal(a[4].status, DNS_OK);
	assert_int_equal(a[5].status, DNS_MALFORMED);
	assert_int_equal(a[5].count, 0);
	for (i = 0; i < 6; i++) {
		assert_int_equal(a[i].queries, 1);
		dns_answer_clear(&a[i]);
	}
	/* The batch is reusable after a wait. */
	assert_int_equal(dns_batch_add(b, "a.test", DNS_T_A, &a[0]), 0);
	dns_batch_wait(b, dns_now_ms() + 5000);
	assert_int_equal(a[0].status, DNS_OK);
	dns_answer_clear(&a[0]);
	dns_batch_free(b);
	dns_resolver_free(r);
}

static void
cname_outside_message_is_asked_again(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	struct dns_answer a;

	(void)state;
	ask(r, "alias.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_string_equal(a.qname, "alias.test");
	assert_string_equal(a.canonical, "a.test");
	assert_int_equal(a.cname_hops, 1);
	assert_int_equal(a.queries, 2);
	assert_int_equal(a.count, 1);
	assert_memory_equal(a.rrs[0].u.addr, "\xC0\x00\x02\x01", 4);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
cname_loop_across_messages_is_malformed(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	struct dns_answer a;

	(void)state;
	ask(r, "loop1.test", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_MALFORMED);
	assert_true(a.queries >= 2);
	assert_true(a.queries <= DNS_MAX_CNAME_HOPS + 1);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
silent_server_times_out_quickly(void **state)
{
	struct dns_resolver *r = resolver_on(resp.silent_port, 200, 2);
	struct dns_answer a;
	uint64_t t0 = dns_now_ms(), took;

	(void)state;
	ask(r, "a.test", DNS_T_A, &a);
	took = dns_now_ms() - t0;
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_int_equal(a.count, 0);
	/* 133 ms, then 266 ms for the second try: 2 * 200 ms in all (see below). */
	assert_true(took >= 190);
	assert_true(took < 1500);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

/* Datagrams queued on a UDP socket that nobody reads (consumed). */
static unsigned
drain_datagrams(int fd)
{
	uint8_t buf[512];
	unsigned n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/*
 * A resolver that never answers, timeout 1000 ms, two tries: both tries are sent and
 * the query gives up after 2 * 1000 ms, the documented bound, not after the
 * 1000 + 2000 ms that c-ares's doubling of the second try makes of a literal
 * "1000 ms per try". Wide margins: this checks the bound, not speed.
 */
static void
dead_resolver_gives_up_after_tries_times_timeout(void **state)
{
	struct dns_resolver *r;
	struct dns_answer a;
	uint64_t t0, took;

	(void)state;
	(void)drain_datagrams(resp.silent);
	r = resolver_on(resp.silent_port, 1000, 2);
	t0 = dns_now_ms();
	ask(r, "a.test", DNS_T_A, &a);
	took = dns_now_ms() - t0;
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_int_equal(a.queries, 1);
	assert_int_equal(drain_datagrams(resp.silent), 2);
	assert_in_range(took, 1800, 2599);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

/* Two dead resolvers: each gets both tries, so the bound is 2 * 2 * timeout. */
static void
dead_resolvers_each_take_tries_times_timeout(void **state)
{
	char s1[32], s2[32], err[256];
	const char *servers[2] = { s1, s2 };
	struct dns_resolver_config cfg = { servers, 2, 300, 2, false };
	struct dns_resolver *r;
	struct dns_answer a;
	uint16_t port2;
	int fd2 = bind_loopback(SOCK_DGRAM, 0, &port2);
	uint64_t t0, took;

	(void)state;
	assert_true(fd2 >= 0);
	(void)drain_datagrams(resp.silent);
	snprintf(s1, sizeof(s1), "127.0.0.1:%u", (unsigned)resp.silent_port);
	snprintf(s2, sizeof(s2), "127.0.0.1:%u", (unsigned)port2);
	r = dns_resolver_new(&cfg, err, sizeof(err));
	if (r == NULL)
		fail_msg("resolver: %s", err);
	t0 = dns_now_ms();
	ask(r, "a.test", DNS_T_A, &a);
	took = dns_now_ms() - t0;
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_int_equal(drain_datagrams(resp.silent), 2);
	assert_int_equal(drain_datagrams(fd2), 2);
	/* 1200 ms; the doubling taken literally would make it 1800 ms. */
	assert_in_range(took, 1050, 1599);
	dns_answer_clear(&a);
	dns_resolver_free(r);
	close(fd2);
}

static void
batch_deadline_before_resolver_timeout(void **state)
{
	struct dns_resolver *r = resolver_on(resp.silent_port, 2000, 2);
	struct dns_batch *b = dns_batch_new(r);
	struct dns_answer a[3];
	uint64_t t0 = dns_now_ms(), took;
	size_t i;

	(void)state;
	assert_non_null(b);
	assert_int_equal(dns_batch_add(b, "a.test", DNS_T_A, &a[0]), 0);
	assert_int_equal(dns_batch_add(b, "b.test", DNS_T_MX, &a[1]), 0);
	assert_int_equal(dns_batch_add(b, "c.test", DNS_T_TXT, &a[2]), 0);
	dns_batch_wait(b, t0 + 150);
	took = dns_now_ms() - t0;
	assert_true(took >= 150);
	assert_true(took < 700);
	for (i = 0; i < 3; i++) {
		assert_int_equal(a[i].status, DNS_TIMEOUT);
		assert_int_equal(a[i].queries, 1);
		dns_answer_clear(&a[i]);
	}
	/* Safe after abandonment; the resolver frees the abandoned queries. */
	dns_batch_free(b);
	dns_resolver_free(r);
}

static void
deadline_already_past_sends_nothing(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	struct dns_batch *b = dns_batch_new(r);
	struct dns_answer a;

	(void)state;
	assert_int_equal(dns_batch_add(b, "a.test", DNS_T_A, &a), 0);
	dns_batch_wait(b, dns_now_ms() - 1);
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_int_equal(a.queries, 0);
	dns_answer_clear(&a);
	/* Added but never waited for: freed with the batch. */
	assert_int_equal(dns_batch_add(b, "a.test", DNS_T_A, &a), 0);
	dns_batch_free(b);
	dns_resolver_free(r);
}

static void
refused_port_reads_timeout_at_once(void **state)
{
	uint16_t port;
	int fd = bind_loopback(SOCK_DGRAM, 0, &port);
	struct dns_resolver *r;
	struct dns_answer a;
	uint64_t t0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);			/* nothing listens: ICMP port unreachable */
	r = resolver_on(port, 2000, 2);
	t0 = dns_now_ms();
	ask(r, "a.test", DNS_T_A, &a);
	/* No answer came: a timeout for the checks, without waiting 2 s for it. */
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_true(dns_now_ms() - t0 < 1000);
	dns_answer_clear(&a);
	dns_resolver_free(r);
}

static void
bad_names_are_not_queued(void **state)
{
	static const char *bad[] = {
		"a..test", ".a.test", "a\\",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
		"nul\\000byte.test",
	};
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	struct dns_batch *b = dns_batch_new(r);
	struct dns_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dns_batch_add(b, bad[i], DNS_T_A, &a), -1);
		assert_int_equal(a.status, DNS_ERROR);
		assert_string_equal(a.qname, bad[i]);
		dns_answer_clear(&a);
	}
	/* An escaped name that is fine goes out (and is NXDOMAIN here). */
	assert_int_equal(dns_batch_add(b, "sp\\032ace.test", DNS_T_A, &a), 0);
	dns_batch_wait(b, dns_now_ms() + 5000);
	assert_int_equal(a.status, DNS_NXDOMAIN);
	dns_answer_clear(&a);
	/* RFC 7686: .onion is never sent. */
	assert_int_equal(dns_batch_add(b, "x.onion", DNS_T_A, &a), 0);
	dns_batch_wait(b, dns_now_ms() + 5000);
	assert_int_equal(a.status, DNS_NXDOMAIN);
	assert_int_equal(a.queries, 0);
	dns_answer_clear(&a);
	dns_batch_free(b);
	dns_resolver_free(r);
}

static void
invalid_server_strings_are_refused(void **state)
{
	static const char *bad[] = {
		"x", "mail.example.com", "mail.example.com:53", "1.2.3.4:0",
		"1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:53x", "[::1", "[::1]x", "[zz]:53",
		"300.1.1.1", "", "1.2.3.4:53:1", "[1.2.3.4]:53",
	};
	static const char *good[] = { "127.0.0.1", "127.0.0.1:5300", "[::1]:5300", "::1",
				      "[::1]" };
	char err[256], want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *servers[2] = { "127.0.0.1", bad[i] };
		struct dns_resolver_config cfg = { servers, 2, 1000, 1, false };

		err[0] = '\0';
		assert_null(dns_resolver_new(&cfg, err, sizeof(err)));
		snprintf(want, sizeof(want), "invalid resolver address '%s': ", bad[i]);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("for '%s' got error '%s'", bad[i], err);
		assert_null(strchr(err, '\n'));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *servers[1] = { good[i] };
		struct dns_resolver_config cfg = { servers, 1, 1000, 1, false };
		struct dns_resolver *r = dns_resolver_new(&cfg, err, sizeof(err));

		if (r == NULL)
			fail_msg("'%s' refused: %s", good[i], err);
		dns_resolver_free(r);
	}
}

#define THREADS 4
#define PER_THREAD 50

struct worker {
	struct dns_resolver *r;
	unsigned base;
	unsigned ok;			/* answers that matched */
};

/* One thread: 50 queries in one batch, twice, every answer checked. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct dns_answer a[PER_THREAD];
	char name[32];
	unsigned round, i;

	for (round = 0; round < 2; round++) {
		struct dns_batch *b = dns_batch_new(w->r);

		if (b == NULL)
			return NULL;
		for (i = 0; i < PER_THREAD; i++) {
			snprintf(name, sizeof(name), "n%u.test", w->base + i);
			(void)dns_batch_add(b, name, DNS_T_A, &a[i]);	/* failure: DNS_ERROR */
		}
		dns_batch_wait(b, dns_now_ms() + 10000);
		dns_batch_free(b);
		for (i = 0; i < PER_THREAD; i++) {
			unsigned n = w->base + i;

			snprintf(name, sizeof(name), "n%u.test", n);
			if (a[i].status == DNS_OK && a[i].count == 1 &&
			    strcmp(a[i].canonical, name) == 0 &&
			    a[i].rrs[0].u.addr[2] == (uint8_t)(n >> 8) &&
			    a[i].rrs[0].u.addr[3] == (uint8_t)n)
				w->ok++;
			dns_answer_clear(&a[i]);
		}
	}
	return NULL;
}

static void
concurrent_queries_from_four_threads(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 3);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	unsigned i;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		w[i].r = r;
		w[i].base = 100 + i * PER_THREAD;
		w[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 2 * PER_THREAD);
	}
	dns_resolver_free(r);
}

/* One thread: batches whose deadlines (0-2 ms) race with the answers. */
static void *
racer_main(void *arg)
{
	struct dns_resolver *r = arg;
	struct dns_answer a[5];
	char name[32];
	unsigned it, i;

	for (it = 0; it < 100; it++) {
		struct dns_batch *b = dns_batch_new(r);

		if (b == NULL)
			return NULL;
		for (i = 0; i < 5; i++) {
			snprintf(name, sizeof(name), i == 4 ? "alias.test" : "n%u.test", it * 5 + i);
			(void)dns_batch_add(b, name, DNS_T_A, &a[i]);
		}
		dns_batch_wait(b, dns_now_ms() + it % 3);
		dns_batch_free(b);
		for (i = 0; i < 5; i++) {
			/* Whichever side won, the answer is whole: done or timed out. */
			if (a[i].status != DNS_OK && a[i].status != DNS_TIMEOUT)
				return NULL;
			dns_answer_clear(&a[i]);
		}
	}
	return arg;
}

static void
deadlines_racing_answers_free_each_query_once(void **state)
{
	struct dns_resolver *r = resolver_on(resp.port, 1000, 2);
	pthread_t t[THREADS];
	void *ret;
	unsigned i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, r), 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &ret);
		assert_ptr_equal(ret, r);
	}
	/* Abandoned queries still in flight are freed here (the sanitizers watch). */
	dns_resolver_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normal_answer),
		cmocka_unit_test(dnssec_answers_carry_ad_and_the_original_ttl),
		cmocka_unit_test(without_dnssec_no_do_bit_and_nothing_secure),
		cmocka_unit_test(ad_from_a_remote_resolver_is_not_trusted),
		cmocka_unit_test(servfail_that_answers_with_cd_is_bogus),
		cmocka_unit_test(servfail_with_dnssec_ede_is_bogus_without_retry),
		cmocka_unit_test(without_dnssec_servfail_is_not_retried),
		cmocka_unit_test(truncated_udp_answer_is_retried_over_tcp),
		cmocka_unit_test(truncated_tcp_answer_reads_truncated),
		cmocka_unit_test(error_statuses_stay_distinct),
		cmocka_unit_test(cname_outside_message_is_asked_again),
		cmocka_unit_test(cname_loop_across_messages_is_malformed),
		cmocka_unit_test(silent_server_times_out_quickly),
		cmocka_unit_test(dead_resolver_gives_up_after_tries_times_timeout),
		cmocka_unit_test(dead_resolvers_each_take_tries_times_timeout),
		cmocka_unit_test(batch_deadline_before_resolver_timeout),
		cmocka_unit_test(deadline_already_past_sends_nothing),
		cmocka_unit_test(refused_port_reads_timeout_at_once),
		cmocka_unit_test(bad_names_are_not_queued),
		cmocka_unit_test(invalid_server_strings_are_refused),
		cmocka_unit_test(concurrent_queries_from_four_threads),
		cmocka_unit_test(deadlines_racing_answers_free_each_query_once),
	};

	return cmocka_run_group_tests(tests, responder_start, responder_stop);
}
