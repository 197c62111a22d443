/*
 * dns.c - the resolver (see dns.h): the only file that includes <ares.h>.
 *
 *   dns_resolver_new(), dns_resolver_free()
 *   dns_batch_new(), dns_batch_add(), dns_batch_wait(), dns_batch_free()
 *
 * A c-ares 1.18 channel is not thread-safe, so one resolver thread owns it. Other
 * threads hand queries over through a mutex-protected queue and a self-pipe, then
 * sleep on their batch's condition variable until the answers arrive or their
 * monotonic deadline passes.
 *
 * Locking protocol (r->mu guards every field marked "mu"):
 *   - A query belongs to its batch until dns_batch_wait() queues it; from then the
 *     resolver thread alone touches its "thread" fields (cur, hops, pkt, ans).
 *   - When the thread completes a query it sets done under mu and signals the batch:
 *     from then the batch owns it again and frees it after moving the answer out.
 *   - A batch that stops waiting (deadline) sets abandoned under mu for every query
 *     not done; the thread frees abandoned queries when c-ares lets go of them. So the
 *     thread never writes into a batch or a caller's memory after dns_batch_wait()
 *     returned, and every query is freed exactly once.
 *
 * Raw responses are read by dns_msg.c, not by c-ares's parsers, so NXDOMAIN, NODATA,
 * SERVFAIL, REFUSED and timeouts stay distinct (ARES_FLAG_NOCHECKRESP lets SERVFAIL and
 * REFUSED reach us) and TTLs are kept. c-ares retries over TCP when an answer comes
 * back truncated (RFC 7766 5, RFC 1035 4.2.1): IGNTC is deliberately not set. An
 * answer still truncated over TCP (an RRset over 64 KB) reads DNS_TRUNCATED.
 *
 * Time: c-ares 1.18 doubles the wait on each round over the servers (round k waits
 * first << k, ares__send_query()), so "timeout T, two tries" taken literally would be
 * T + 2T = 3T. The first round's wait is chosen so that the rounds add up to
 * tries * T per server instead (first_try_ms()): the bound the configuration
 * documents. The caller's batch deadline (the evaluation's) caps it in any case.
 *
 * DNSSEC (dns.h): c-ares 1.18 has no option for the DO bit (ARES_FLAG_EDNS only sizes
 * the OPT record; ares_dns_record_t came in 1.22), so make_packet() sets DO in the OPT
 * record ares_create_query() appends, and CD in the header for the retry of a SERVFAIL.
 * The AD bit is trusted only when every server is on loopback (trust_ad()); a chain
 * of CNAME re-queries is secure only when every response of it was. A SERVFAIL whose
 * EDE says DNSSEC (6-12, RFC 8914 4.7-4.13) is bogus at once; otherwise the question
 * is asked again with CD=1: an answer (NOERROR, NXDOMAIN) then means the data exists
 * but does not validate (bogus), anything else a plain SERVFAIL. The CD=1 answer's
 * records are dropped unread.
 *
 * What can go wrong: bad server strings (refused with a one-line reason), out of
 * memory (DNS_ERROR), unreachable servers (DNS_TIMEOUT), CNAME chains that leave the
 * message (asked again, bounded by DNS_MAX_CNAME_HOPS), callers that stop waiting.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* strdup, pthread_condattr_setclock, clock_gettime */
#endif

#include <sys/select.h>	/* fd_set and struct timeval, which ares.h uses */
#include <sys/time.h>
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns.h"
#include "dns/dns_msg.h"
#include "dns/dns_server.h"
#include "util/metrics.h"

/* posture_milter_dns_queries_total's outcomes are our statuses, in order. */
_Static_assert(DNSQ_OK == (int)DNS_OK && DNSQ_TIMEOUT == (int)DNS_TIMEOUT &&
    DNSQ_ERROR == (int)DNS_ERROR, "metrics.h DNSQ_* follow enum dns_status");

#define EDNS_PAYLOAD		1232	/* DNS flag day 2020: no fragmentation */
#define DEFAULT_TIMEOUT_MS	2000
#define DEFAULT_TRIES		2
#define MAX_SERVERS		8	/* ares_getsock() reports 16 sockets: UDP+TCP each */
#define SERVER_TEXT_MAX		64	/* "[v6]:port" */
#define C_IN			1
#define OPT_RR_LEN		11	/* root owner, type, class, ttl, rdlength */
#define HDR_CD			0x10	/* in the fourth header byte (RFC 4035 3.2.2) */
#define OPT_DO			0x80	/* first byte of the OPT TTL's flags (RFC 3225) */
#define EDE_DNSSEC_FIRST	6	/* DNSSEC Bogus */
#define EDE_DNSSEC_LAST		12	/* NSEC Missing */

struct dns_query {
	struct dns_query *next;		/* mu: in r's submit queue */
	struct dns_resolver *r;		/* borrowed */
	struct dns_batch *batch;	/* mu: NULL once abandoned */
	bool done;			/* mu: answer final, owned by the batch again */
	bool abandoned;			/* mu: the batch gave up, the thread frees */
	bool submitted;			/* batch only: handed to the thread */
	unsigned wire;			/* mu: queries sent so far */
	char *qname;			/* owned, immutable: the name asked */
	uint16_t qtype;
	uint64_t start_ms;		/* set before submission */
	char *cur;			/* thread: owned, the name on the wire now */
	unsigned hops;			/* thread: CNAMEs followed so far */
	bool cd;			/* thread: the CD=1 retry of a SERVFAIL is out */
	bool insecure;			/* thread: a response of the chain had no AD */
	unsigned char *pkt;		/* thread: owned (ares_free_string), next query */
	int pktlen;
	struct dns_answer ans;		/* thread until done, then batch */
};

struct batch_item {
	struct dns_query *q;		/* owned until wait hands it over or abandons it */
	struct dns_answer *out;		/* borrowed: the caller's */
};

struct dns_batch {
	struct dns_resolver *r;		/* borrowed */
	struct batch_item *items;	/* owned */
	size_t n, cap;
	size_t ndone;			/* mu */
	pthread_cond_t cond;		/* signalled under mu when a query completes */
};

struct dns_resolver {
	pthread_mutex_t mu;
	struct dns_query *head, *tail;	/* mu: submitted, not yet sent */
	bool stopping;			/* mu */
	int wake[2];			/* self-pipe: [0] polled by the thread */
	pthread_t thread;
	bool running;
	ares_channel channel;		/* the thread's (and free's after join) */
	uint32_t rng;			/* thread: fallback query-id generator */
	bool dnssec;			/* immutable: DO, AD trusted, CD retry */
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status = ARES_SUCCESS;

static void send_query(struct dns_resolver *r, struct dns_query *q);

/* ares_library_init() exactly once per process. */
static void
library_init(void)
{
	library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/*
 * Translate our name text (escapes \X and \DDD, see dns_msg.c) to what
 * ares_create_query() reads (only \X escapes) and build the query: RD=1, class IN,
 * an OPT record for EDNS (RFC 6891). Returns DNS_OK, DNS_NXDOMAIN for names that
 * must not be resolved (.onion, RFC 7686 2), or DNS_ERROR (bad name, OOM).
 * dnssec sets DO in the OPT record, cd the CD bit (see the top of the file).
 */
static enum dns_status
make_packet(const char *name, uint16_t type, bool dnssec, bool cd, unsigned char **pkt,
	    int *pktlen)
{
	size_t n = strlen(name), i, o = 0;
	char *text;
	int rc;

	*pkt = NULL;
	*pktlen = 0;
	if (n > 1024)
		return DNS_ERROR;
	text = malloc(2 * n + 1);
	if (text == NULL)
		return DNS_ERROR;
	for (i = 0; i < n; i++) {
		unsigned c = (unsigned char)name[i];

		if (c == '\\' && i + 3 < n && name[i + 1] >= '0' && name[i + 1] <= '9' &&
		    name[i + 2] >= '0' && name[i + 2] <= '9' &&
		    name[i + 3] >= '0' && name[i + 3] <= '9') {
			c = (unsigned)(name[i + 1] - '0') * 100 +
			    (unsigned)(name[i + 2] - '0') * 10 + (unsigned)(name[i + 3] - '0');
			i += 3;
			if (c == 0 || c > 255) {	/* a NUL cannot cross ares's C string */
				free(text);
				return DNS_ERROR;
			}
			if (c == '.' || c == '\\')
				text[o++] = '\\';
			text[o++] = (char)c;
		} else if (c == '\\') {
			if (i + 1 >= n) {
				free(text);
				return DNS_ERROR;
			}
			text[o++] = '\\';
			text[o++] = name[++i];
		} else {
			text[o++] = (char)c;
		}
	}
	text[o] = '\0';
	rc = ares_create_query(text, C_IN, type, 0, 1, pkt, pktlen, EDNS_PAYLOAD);
	free(text);
	if (rc == ARES_ENOTFOUND)
		return DNS_NXDOMAIN;
	if (rc != ARES_SUCCESS || *pktlen < 12) {
		if (*pkt)
			ares_free_string(*pkt);
		*pkt = NULL;
		return DNS_ERROR;
	}
	if (dnssec) {
		unsigned char *opt = *pkt + *pktlen - OPT_RR_LEN;

		/* The OPT record ares_create_query() appended: root owner, type 41. */
		if (*pktlen < 12 + OPT_RR_LEN || opt[0] != 0 || opt[1] != 0 ||
		    opt[2] != DNS_T_OPT) {
			ares_free_string(*pkt);
			*pkt = NULL;
			return DNS_ERROR;
		}
		opt[7] |= OPT_DO;
		if (cd)
			(*pkt)[3] |= HDR_CD;
	}
	return DNS_OK;
}

/* Free a query and everything it owns. */
static void
query_free(struct dns_query *q)
{
	if (q == NULL)
		return;
	free(q->qname);
	free(q->cur);
	if (q->pkt)
		ares_free_string(q->pkt);
	dns_answer_clear(&q->ans);
	free(q);
}

/* Fill an answer that holds only a status, for (qname, qtype). */
static void
answer_status(struct dns_answer *a, const char *qname, const char *canonical,
	      uint16_t qtype, enum dns_status st)
{
	memset(a, 0, sizeof(*a));
	a->status = st;
	a->qtype = qtype;
	a->qname = qname ? strdup(qname) : NULL;
	a->canonical = canonical ? strdup(canonical) : NULL;
}

/*
 * The thread is done with q (its answer is in q->ans): hand it to its batch, or
 * free it when the batch already gave up.
 */
static void
query_complete(struct dns_query *q)
{
	struct dns_resolver *r = q->r;
	struct dns_batch *b;

	q->ans.elapsed_ms = (unsigned)(dns_now_ms() - q->start_ms);
	pthread_mutex_lock(&r->mu);
	if (q->abandoned) {
		pthread_mutex_unlock(&r->mu);
		query_free(q);
		return;
	}
	q->ans.queries = q->wire;
	q->done = true;
	b = q->batch;
	b->ndone++;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&r->mu);
}

/* Complete q with a bare status. */
static void
query_fail(struct dns_query *q, enum dns_status st)
{
	dns_answer_clear(&q->ans);
	answer_status(&q->ans, q->qname, q->cur, q->qtype, st);
	q->ans.cname_hops = q->hops;
	query_complete(q);
}

/* Map a c-ares failure to our status. */
static enum dns_status
map_ares_status(int status)
{
	switch (status) {
	case ARES_ETIMEOUT:
		return DNS_TIMEOUT;
	case ARES_ECONNREFUSED:
		/*
		 * Every server refused or dropped the connection (ICMP unreachable,
		 * TCP reset) before any try timed out: no answer came, as with a
		 * timeout, and the retry-later meaning is the same.
		 */
		return DNS_TIMEOUT;
	case ARES_EBADRESP:
		return DNS_MALFORMED;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	default:			/* ENOMEM, EDESTRUCTION, ECANCELLED, ESERVFAIL (no servers) */
		return DNS_ERROR;
	}
}

/* Complete q as a SERVFAIL, bogus or not, with the EDE of the response if any. */
static void
query_servfail(struct dns_query *q, bool bogus, const struct dns_msg *msg)
{
	dns_answer_clear(&q->ans);
	answer_status(&q->ans, q->qname, q->cur, q->qtype, DNS_SERVFAIL);
	q->ans.cname_hops = q->hops;
	q->ans.bogus = bogus;
	if (msg != NULL && msg->has_ede) {
		q->ans.has_ede = true;
		q->ans.ede = msg->ede;
	}
	query_complete(q);
}

/*
 * DNSSEC outcomes of a response before it is read as an answer (see the top of the
 * file). Returns true when q is completed or asked again, false to read msg.
 */
static bool
dnssec_servfail(struct dns_query *q, const struct dns_msg *msg)
{
	if (q->cd) {
		/* The CD=1 retry: an answer means the data is there but fails validation. */
		query_servfail(q, msg->rcode == 0 || msg->rcode == 3, NULL);
		return true;
	}
	if (msg->rcode != 2)
		return false;
	if (msg->has_ede && msg->ede >= EDE_DNSSEC_FIRST && msg->ede <= EDE_DNSSEC_LAST) {
		query_servfail(q, true, msg);
		return true;
	}
	q->cd = true;
	if (make_packet(q->cur, q->qtype, true, true, &q->pkt, &q->pktlen) != DNS_OK) {
		query_servfail(q, false, msg);
		return true;
	}
	send_query(q->r, q);
	return true;
}

/* c-ares callback: a query ended (answer, failure, or channel destruction). */
static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	struct dns_msg msg;
	struct dns_answer a;
	int rc;

	(void)timeouts;
	if (status != ARES_SUCCESS) {
		if (q->cd && status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
			query_servfail(q, false, NULL);	/* the retry got nothing */
		else
			query_fail(q, map_ares_status(status));
		return;
	}
	if (abuf == NULL || alen < 0 || dns_msg_parse(abuf, (size_t)alen, &msg) < 0) {
		query_fail(q, q->cd ? DNS_SERVFAIL : DNS_MALFORMED);
		return;
	}
	if (q->r->dnssec && dnssec_servfail(q, &msg)) {
		dns_msg_free(&msg);
		return;
	}
	q->insecure |= !msg.ad;
	rc = dns_msg_answer(&msg, q->cur, q->qtype, &a);
	dns_msg_free(&msg);
	if (rc < 0) {
		query_fail(q, DNS_ERROR);
		return;
	}
	q->hops += a.cname_hops;
	if (q->hops > DNS_MAX_CNAME_HOPS) {
		dns_answer_clear(&a);
		query_fail(q, DNS_MALFORMED);	/* a chain too long, or a loop across messages */
		return;
	}
	if (rc == 1) {
		/* The chain leaves the message: ask for the canonical name itself. */
		free(q->cur);
		q->cur = a.canonical;
		a.canonical = NULL;
		dns_answer_clear(&a);
		if (make_packet(q->cur, q->qtype, q->r->dnssec, false, &q->pkt,
		    &q->pktlen) != DNS_OK) {
			query_fail(q, DNS_ERROR);
			return;
		}
		send_query(q->r, q);
		return;
	}
	free(a.qname);
	a.qname = strdup(q->qname);
	a.cname_hops = q->hops;
	a.secure = q->r->dnssec && !q->insecure;
	dns_answer_clear(&q->ans);
	q->ans = a;
	if (a.qname == NULL) {
		query_fail(q, DNS_ERROR);
		return;
	}
	query_complete(q);
}

/* A fresh 16-bit query id: unpredictable where the kernel allows (RFC 5452 4.3). */
static uint16_t
query_id(struct dns_resolver *r)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id))
		return id;
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 17;
	r->rng ^= r->rng << 5;
	return (uint16_t)(r->rng >> 8);
}

/* Thread: send q->pkt through c-ares, unless q's batch gave up meanwhile. */
static void
send_query(struct dns_resolver *r, struct dns_query *q)
{
	unsigned char *pkt = q->pkt;
	uint16_t id;

	pthread_mutex_lock(&r->mu);
	if (q->abandoned) {
		pthread_mutex_unlock(&r->mu);
		query_free(q);
		return;
	}
	q->wire++;
	pthread_mutex_unlock(&r->mu);
	/* ares_send() of c-ares 1.18 takes the id from the packet. */
	id = query_id(r);
	pkt[0] = (unsigned char)(id >> 8);
	pkt[1] = (unsigned char)(id & 0xFF);
	q->pkt = NULL;
	ares_send(r->channel, pkt, q->pktlen, on_answer, q);
	ares_free_string(pkt);		/* ares_send() copied it */
}

/* Thread: one pass of poll() over c-ares's sockets and the wake pipe. */
static void
wait_and_process(struct dns_resolver *r)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM + 1];
	struct timeval tvbuf, *tv;
	nfds_t nfds = 1, i;
	unsigned bits;
	int timeout = -1, k;
	char drain[64];

	pfd[0].fd = r->wake[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	/* Bits tested as unsigned: ARES_GETSOCK_WRITABLE() shifts 1 into the sign bit. */
	bits = (unsigned)ares_getsock(r->channel, socks, ARES_GETSOCK_MAXNUM);
	for (k = 0; k < ARES_GETSOCK_MAXNUM; k++) {
		short ev = 0;

		if (bits >> k & 1u)
			ev |= POLLIN;
		if (bits >> (k + ARES_GETSOCK_MAXNUM) & 1u)
			ev |= POLLOUT;
		if (ev == 0)
			continue;
		pfd[nfds].fd = socks[k];
		pfd[nfds].events = ev;
		pfd[nfds].revents = 0;
		nfds++;
	}
	tv = ares_timeout(r->channel, NULL, &tvbuf);
	if (tv != NULL) {
		long ms = (long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;

		timeout = ms > INT_MAX ? INT_MAX : (int)ms;
	}
	if (poll(pfd, nfds, timeout) < 0 && errno != EINTR) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);	/* should not happen; do not spin */
		return;
	}
	if (pfd[0].revents)
		while (read(r->wake[0], drain, sizeof(drain)) > 0)
			;
	for (i = 1; i < nfds; i++) {
		ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
			rfd = pfd[i].fd;
		if (pfd[i].revents & POLLOUT)
			wfd = pfd[i].fd;
		if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD)
			ares_process_fd(r->channel, rfd, wfd);
	}
	/* Timeouts and retries are processed even when no socket is ready. */
	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* The resolver thread: send what is submitted, drive c-ares, until stopped. */
static void *
resolver_main(void *arg)
{
	struct dns_resolver *r = arg;
	struct dns_query *list, *q;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		list = r->head;
		r->head = r->tail = NULL;
		stop = r->stopping;
		pthread_mutex_unlock(&r->mu);
		while ((q = list) != NULL) {
			list = q->next;
			q->next = NULL;
			if (stop)
				query_fail(q, DNS_ERROR);
			else
				send_query(r, q);
		}
		if (stop)
			break;
		wait_and_process(r);
	}
	return NULL;
}

/* Set a file descriptor non-blocking and close-on-exec. */
static int
fd_setup(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * The first try's timeout such that the doubling rounds of c-ares (first, 2 first,
 * 4 first, ...) add up to tries * timeout_ms: first = tries * timeout_ms / (2^tries - 1),
 * rounded down so the sum stays within the bound; at least 1 ms.
 */
static unsigned
first_try_ms(unsigned timeout_ms, unsigned tries)
{
	uint64_t rounds_sum = ((uint64_t)1 << tries) - 1;	/* tries <= 16 */
	uint64_t ms = (uint64_t)timeout_ms * tries / rounds_sum;

	return ms > 0 ? (unsigned)ms : 1;
}

/*
 * Whether the AD bit of the channel's servers can be trusted: all of them on
 * loopback (127.0.0.0/8, ::1), so no network path can set it (RFC 6840 5.8).
 */
static bool
trust_ad(ares_channel channel)
{
	struct ares_addr_port_node *list = NULL, *n;
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	bool ok;

	if (ares_get_servers_ports(channel, &list) != ARES_SUCCESS)
		return false;
	ok = list != NULL;
	for (n = list; n != NULL && ok; n = n->next) {
		if (n->family == AF_INET)
			ok = ((const uint8_t *)&n->addr.addr4)[0] == 127;
		else if (n->family == AF_INET6)
			ok = memcmp(&n->addr.addr6, v6_loopback, 16) == 0;
		else
			ok = false;
	}
	ares_free_data(list);
	return ok;
}

/* Whether answers carry DNSSEC status (see dns.h). */
bool
dns_resolver_dnssec(const struct dns_resolver *r)
{
	return r != NULL && r->dnssec;
}

/* Start a resolver thread; NULL with a one-line reason in err. */
struct dns_resolver *
dns_resolver_new(const struct dns_resolver_config *cfg, char *err, size_t errlen)
{
	struct dns_resolver *r = NULL;
	struct ares_options opts;
	char *csv = NULL;
	size_t i, csvlen = 0;
	unsigned timeout_ms, tries;
	int rc, mask;
	bool mu_ok = false;

	if (err && errlen)
		err[0] = '\0';
	if (cfg != NULL && cfg->nservers > 0) {
		if (cfg->servers == NULL) {
			snprintf(err, errlen, "resolver addresses missing");
			return NULL;
		}
		if (cfg->nservers > MAX_SERVERS) {
			snprintf(err, errlen, "too many resolver addresses (at most %d)",
			    MAX_SERVERS);
			return NULL;
		}
		csv = calloc(cfg->nservers, SERVER_TEXT_MAX + 1);
		if (csv == NULL)
			goto oom;
		for (i = 0; i < cfg->nservers; i++) {
			char one[SERVER_TEXT_MAX];

			if (cfg->servers[i] == NULL) {
				snprintf(err, errlen, "resolver address missing");
				goto fail;
			}
			if (dns_server_parse(cfg->servers[i], one, sizeof(one), err, errlen) < 0)
				goto fail;
			csvlen += (size_t)snprintf(csv + csvlen,
			    cfg->nservers * (SERVER_TEXT_MAX + 1) - csvlen, "%s%s",
			    i ? "," : "", one);
		}
	}
	pthread_once(&library_once, library_init);
	if (library_status != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(library_status));
		goto fail;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto oom;
	r->wake[0] = r->wake[1] = -1;
	r->rng = (uint32_t)dns_now_ms() ^ (uint32_t)(uintptr_t)r ^ 0x9E3779B9u;
	if (r->rng == 0)
		r->rng = 1;

	memset(&opts, 0, sizeof(opts));
	timeout_ms = cfg && cfg->timeout_ms ?
	    (cfg->timeout_ms > 600000 ? 600000 : cfg->timeout_ms) : DEFAULT_TIMEOUT_MS;
	tries = cfg && cfg->tries ? (cfg->tries > 16 ? 16 : cfg->tries) : DEFAULT_TRIES;
	opts.timeout = (int)first_try_ms(timeout_ms, tries);
	opts.tries = (int)tries;
	opts.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
	opts.ednspsz = EDNS_PAYLOAD;
	mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ;
	rc = ares_init_options(&r->channel, &opts, mask);
	if (rc != ARES_SUCCESS) {
		r->channel = NULL;
		snprintf(err, errlen, "cannot start the resolver: %s", ares_strerror(rc));
		goto fail;
	}
	if (csv != NULL) {
		rc = ares_set_servers_ports_csv(r->channel, csv);
		if (rc != ARES_SUCCESS) {
			snprintf(err, errlen, "cannot use resolver addresses '%s': %s", csv,
			    ares_strerror(rc));
			goto fail;
		}
	}
	r->dnssec = cfg != NULL && cfg->dnssec && trust_ad(r->channel);
	if (pipe(r->wake) < 0 || fd_setup(r->wake[0]) < 0 || fd_setup(r->wake[1]) < 0) {
		snprintf(err, errlen, "cannot create the resolver pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_mutex_init(&r->mu, NULL) != 0)
		goto oom;
	mu_ok = true;
	if (pthread_create(&r->thread, NULL, resolver_main, r) != 0) {
		snprintf(err, errlen, "cannot start the resolver thread");
		goto fail;
	}
	r->running = true;
	free(csv);
	return r;
oom:
	snprintf(err, errlen, "out of memory starting the resolver");
fail:
	free(csv);
	if (r != NULL) {
		if (r->channel != NULL)
			ares_destroy(r->channel);
		if (r->wake[0] >= 0)
			close(r->wake[0]);
		if (r->wake[1] >= 0)
			close(r->wake[1]);
		if (mu_ok)
			pthread_mutex_destroy(&r->mu);
		free(r);
	}
	return NULL;
}

/* Wake the resolver thread (a full pipe already means it will wake). */
static void
wake_thread(struct dns_resolver *r)
{
	ssize_t n;

	do {
		n = write(r->wake[1], "x", 1);
	} while (n < 0 && errno == EINTR);
}

/* Stop the thread, cancel what is in flight, free. */
void
dns_resolver_free(struct dns_resolver *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_mutex_unlock(&r->mu);
	wake_thread(r);
	if (r->running)
		pthread_join(r->thread, NULL);
	/* Calls on_answer(ARES_EDESTRUCTION) for every query still in flight. */
	ares_destroy(r->channel);
	close(r->wake[0]);
	close(r->wake[1]);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* A set of queries to send together and wait for together. */
struct dns_batch *
dns_batch_new(struct dns_resolver *r)
{
	struct dns_batch *b;
	pthread_condattr_t ca;

	if (r == NULL)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->r = r;
	if (pthread_condattr_init(&ca) != 0) {
		free(b);
		return NULL;
	}
	/* The deadline is on dns_now_ms()'s clock: wait on the same one. */
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&b->cond, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(b);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	return b;
}

/* Queue a query; on failure *out reads DNS_ERROR (see dns.h). */
int
dns_batch_add(struct dns_batch *b, const char *name, uint16_t type,
	      struct dns_answer *out)
{
	struct dns_query *q = NULL;
	enum dns_status st;

	if (b == NULL || name == NULL || out == NULL)
		goto fail;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct batch_item *items;

		if (cap > SIZE_MAX / sizeof(*items))
			goto fail;
		items = realloc(b->items, cap * sizeof(*items));
		if (items == NULL)
			goto fail;
		b->items = items;
		b->cap = cap;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		goto fail;
	q->r = b->r;
	q->batch = b;
	q->qtype = type;
	q->qname = strdup(name);
	q->cur = strdup(name);
	if (q->qname == NULL || q->cur == NULL)
		goto fail;
	st = make_packet(name, type, b->r->dnssec, false, &q->pkt, &q->pktlen);
	if (st == DNS_NXDOMAIN) {
		/* Never sent (RFC 7686): complete at once. */
		answer_status(&q->ans, name, name, type, DNS_NXDOMAIN);
		pthread_mutex_lock(&b->r->mu);
		q->done = true;
		b->ndone++;
		pthread_mutex_unlock(&b->r->mu);
	} else if (st != DNS_OK) {
		goto fail;
	}
	b->items[b->n].q = q;
	b->items[b->n].out = out;
	b->n++;
	return 0;
fail:
	query_free(q);
	if (out != NULL)
		answer_status(out, name, name, type, DNS_ERROR);
	return -1;
}

/* Deadline in dns_now_ms() milliseconds as a CLOCK_MONOTONIC timespec. */
static struct timespec
deadline_ts(uint64_t deadline_ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	return ts;
}

/* Send the queued queries together; wait for them until deadline_ms (see dns.h). */
void
dns_batch_wait(struct dns_batch *b, uint64_t deadline_ms)
{
	struct dns_resolver *r;
	struct timespec ts;
	uint64_t now;
	bool sent = false;
	size_t i;

	if (b == NULL)
		return;
	r = b->r;
	now = dns_now_ms();
	ts = deadline_ts(deadline_ms);
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < b->n; i++) {
		struct dns_query *q = b->items[i].q;

		if (q->done || q->submitted)
			continue;
		q->start_ms = now;
		if (r->stopping || now >= deadline_ms)
			continue;	/* never handed over: read below as failed */
		q->submitted = true;
		q->next = NULL;
		if (r->tail)
			r->tail->next = q;
		else
			r->head = q;
		r->tail = q;
		sent = true;
	}
	if (sent) {
		pthread_mutex_unlock(&r->mu);
		wake_thread(r);
		pthread_mutex_lock(&r->mu);
	}
	while (b->ndone < b->n && dns_now_ms() < deadline_ms) {
		int rc = pthread_cond_timedwait(&b->cond, &r->mu, &ts);

		if (rc != 0 && rc != ETIMEDOUT && rc != EINTR)
			break;
	}
	now = dns_now_ms();
	for (i = 0; i < b->n; i++) {
		struct dns_query *q = b->items[i].q;
		struct dns_answer *out = b->items[i].out;

		if (q->done) {
			*out = q->ans;
			memset(&q->ans, 0, sizeof(q->ans));
			query_free(q);
			metrics_dns_query(dns_type_str(out->qtype), out->status, out->elapsed_ms);
			continue;
		}
		answer_status(out, q->qname, q->qname, q->qtype,
		    r->stopping ? DNS_ERROR : DNS_TIMEOUT);
		out->queries = q->wire;
		out->elapsed_ms = (unsigned)(now - q->start_ms);
		metrics_dns_query(dns_type_str(out->qtype), out->status, out->elapsed_ms);
		if (q->submitted) {
			q->abandoned = true;	/* the thread frees it */
			q->batch = NULL;
		} else {
			query_free(q);
		}
	}
	b->n = 0;
	b->ndone = 0;
	pthread_mutex_unlock(&r->mu);
}

/* Free a batch; queries added but never waited for are dropped. */
void
dns_batch_free(struct dns_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		query_free(b->items[i].q);	/* never submitted: wait submits all */
	free(b->items);
	pthread_cond_destroy(&b->cond);
	free(b);
}
