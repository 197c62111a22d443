/*
 * store_redis.c - the Redis backend of posture memory (store_redis.h, store.h).
 *
 *   store_redis_open()                       configuration, pool, no connection yet
 *   redis_get() redis_put() redis_del()      GET, SET [PX], DEL
 *   redis_lock() redis_unlock()              SET NX PX, EVAL compare-and-delete
 *   redis_free()
 *
 * Connections. hiredis 0.14 contexts are not thread-safe, so the backend keeps a pool
 * of pool_size connections, each used by one thread at a time: a call takes a free
 * one under the pool mutex (waiting on the condition variable, never past its
 * deadline), uses it without any lock held, and gives it back. A connection is made
 * when first needed: connect with the call's time left, AUTH when a password is set,
 * SELECT when the database is not 0.
 *
 * What is taken from hiredis, and what is not. hiredis makes the connection
 * (redisConnectWithTimeout) and encodes each command from an argv with lengths
 * (redisFormatCommandArgv: binary safe, no format string ever sees a key or a value).
 * The bytes are sent and the reply read here, with send()/recv() (MSG_DONTWAIT,
 * MSG_NOSIGNAL) and poll() against the call's deadline: hiredis's blocking calls
 * (redisCommandArgv, redisGetReply) bound each read by a timeout but not the call,
 * buffer a bulk reply of whatever length the server announces, and in 0.14 do not
 * range-check announced lengths (CVE-2021-32765 was fixed in 1.0.1). The reply parser
 * below reads through util/buf.h and knows only the replies our commands get: status,
 * error, integer, nil and a bulk string of at most STORE_VALUE_MAX bytes. An array, a
 * longer bulk, a line over RESP_LINE_MAX, bytes after the reply or any other byte is
 * garbage: the connection is closed, never resynchronised, and memory stays bounded by
 * STORE_VALUE_MAX plus a header per connection. (Redis protocol: RESP2.)
 *
 * Failure, fail open. Down (refused, reset, closed), slow (the deadline passed) or
 * talking garbage (a reply of the wrong type, an oversize value) is an outage: the
 * call returns STORE_FAILED / -1, every pooled connection is dropped (the epoch moves
 * on), and one warning is logged. Until the backoff time has passed every call fails
 * at once without touching the network; then one call (the probe) reconnects, trying
 * the hosts in order from the first (failover), as many as its time allows (the next
 * probe goes on where it stopped). A failed round doubles the backoff, from
 * STORE_REDIS_BACKOFF_MIN_MS up to STORE_REDIS_BACKOFF_MAX_MS; the first success logs
 * the end of the outage once and resets it. After a failover the backend stays on the
 * host that answered until that one fails. An error reply (-WRONGTYPE, -READONLY,
 * -OOM...) is not an outage, the server is talking sense: the call fails and the error
 * is logged (sanitized) at most once a minute.
 *
 * Reaching a remote Redis safely. hiredis 0.14 has no TLS, and Redis's AUTH password
 * and every value would cross the network in clear. Give RedisHost a loopback address
 * only: either a TLS tunnel whose local end listens there (stunnel, spiped, or
 * ssh -L) to the fleet's primary, or a Redis replica on each MX host (replicaof the
 * primary, itself over such a tunnel). A replica answers reads; its writes and locks
 * fail with -READONLY (logged, failing open), so hosts that must share the lock need
 * the primary through a tunnel. Host names are refused: their lookup could block past
 * any timeout.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* clock_gettime, pthread_condattr_setclock, strdup */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "dns/dns.h"
#include "dns/dns_server.h"
#include "store/store_redis.h"
#include "util/buf.h"
#include "util/strbuf.h"

#define RESP_LINE_MAX 1024		/* a status, error or length line */
#define REPLY_BUF_MAX (STORE_VALUE_MAX + 64)	/* one bulk value and its header */
#define REPLY_BUF_KEEP (64 * 1024)	/* a larger buffer is freed after use */
#define ERROR_LOG_EVERY_MS 60000
#define PX_MAX ((uint64_t)1 << 40)	/* ~35 years: longer expiries are clamped */

/* Compare-and-delete: release the lock only while it holds our token. */
static const char unlock_script[] =
	"if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) end "
	"return 0";

struct redis_host {
	char addr[INET6_ADDRSTRLEN];	/* the IP literal, no brackets */
	int port;
	char shown[INET6_ADDRSTRLEN + 8];	/* as "ip:port" / "[ip]:port", for logs */
};

struct redis_conn {
	redisContext *ctx;		/* owned; NULL while not connected */
	unsigned epoch;			/* the pool's epoch when connected */
	size_t host;			/* index in hosts of the peer */
	uint8_t *buf;			/* owned: the reply being read */
	size_t len, cap;
	bool busy;			/* taken by a call (under the pool mutex) */
};

struct redis_backend {
	struct store_backend base;	/* first: callers hold &base */
	struct redis_host *hosts;	/* owned */
	size_t nhosts;
	char *password;			/* owned, NULL: no AUTH */
	char database[16];		/* decimal, "" for 0: no SELECT */
	unsigned timeout_ms;
	store_log_fn log;
	void *log_arg;

	pthread_mutex_t mu;		/* guards conns[].busy and every field below */
	pthread_cond_t freed;		/* a connection was given back */
	struct redis_conn *conns;	/* owned, nconns of them */
	size_t nconns;
	bool down;			/* in an outage: calls fail until retry_at */
	bool probing;			/* one call is reconnecting */
	unsigned epoch;			/* bumped by an outage: older connections are dropped */
	unsigned backoff_ms;
	uint64_t retry_at;		/* dns_now_ms() */
	uint64_t down_since;
	size_t current_host;		/* the host that last answered */
	size_t probe_host;		/* where the next probe starts */
	uint64_t error_logged_at;	/* 0: never */
};

/* One reply, pointing into the connection's buffer. */
enum reply_type { REPLY_STATUS, REPLY_ERROR, REPLY_INTEGER, REPLY_NIL, REPLY_BULK };
struct reply {
	enum reply_type type;
	const uint8_t *str;		/* status, error and bulk bytes (borrowed) */
	size_t len;
	long long integer;
};

/*
 * What a caller makes of a reply: >= 0 its result, TAKE_WRONG the wrong type of reply
 * (garbage: an outage), TAKE_FAILED a local failure (out of memory).
 */
#define TAKE_WRONG (-1)
#define TAKE_FAILED (-2)
typedef int (*reply_take_fn)(const struct reply *r, void *arg);

enum parse { PARSE_DONE, PARSE_MORE, PARSE_GARBAGE, PARSE_OVERSIZE };

/* Log through the configured sink, if any. */
#define RLOG(rb, prio, ...) \
	do { if ((rb)->log != NULL) (rb)->log((rb)->log_arg, prio, __VA_ARGS__); } while (0)

/* ---- the reply parser (RESP2), over the bounded reader ---- */

/* Read a line up to CRLF into [*line, *len); PARSE_MORE when CRLF has not come yet. */
static enum parse
resp_line(struct pt_buf *b, const uint8_t **line, size_t *len)
{
	size_t start = b->pos, n = 0;
	uint8_t c;

	for (;;) {
		if (pt_buf_u8(b, &c) < 0)
			return PARSE_MORE;
		if (c == '\r')
			break;
		if (c == '\n' || ++n > RESP_LINE_MAX)
			return PARSE_GARBAGE;
	}
	if (pt_buf_u8(b, &c) < 0)
		return PARSE_MORE;
	if (c != '\n')
		return PARSE_GARBAGE;
	*line = b->data + start;
	*len = n;
	return PARSE_DONE;
}

/* Parse a RESP integer: an optional '-' and 1 to 18 digits (no overflow possible). */
static int
resp_integer(const uint8_t *s, size_t n, long long *out)
{
	long long v = 0;
	size_t i = 0;
	bool neg = false;

	if (n > 0 && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == n || n - i > 18)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

/* Parse one whole reply from p[0..len); it must be all there is (no pipelining). */
static enum parse
resp_parse(const uint8_t *p, size_t len, struct reply *r)
{
	struct pt_buf b;
	const uint8_t *line, *bulk;
	size_t n;
	uint8_t type;
	enum parse st;

	pt_buf_init(&b, p, len);
	if (pt_buf_u8(&b, &type) < 0)
		return PARSE_MORE;
	if ((st = resp_line(&b, &line, &n)) != PARSE_DONE)
		return st;
	memset(r, 0, sizeof(*r));
	switch (type) {
	case '+':
	case '-':
		r->type = type == '+' ? REPLY_STATUS : REPLY_ERROR;
		r->str = line;
		r->len = n;
		break;
	case ':':
		r->type = REPLY_INTEGER;
		if (resp_integer(line, n, &r->integer) < 0)
			return PARSE_GARBAGE;
		break;
	case '$':
		if (resp_integer(line, n, &r->integer) < 0 || r->integer < -1)
			return PARSE_GARBAGE;
		if (r->integer == -1) {
			r->type = REPLY_NIL;
			break;
		}
		if (r->integer > STORE_VALUE_MAX)
			return PARSE_OVERSIZE;
		r->type = REPLY_BULK;
		r->len = (size_t)r->integer;
		if (pt_buf_take(&b, r->len, &bulk) < 0 || pt_buf_remaining(&b) < 2)
			return PARSE_MORE;
		r->str = bulk;
		if (pt_buf_take(&b, 2, &line) < 0 || line[0] != '\r' || line[1] != '\n')
			return PARSE_GARBAGE;
		break;
	default:	/* arrays, RESP3 types, junk: no command of ours gets them */
		return PARSE_GARBAGE;
	}
	return pt_buf_remaining(&b) == 0 ? PARSE_DONE : PARSE_GARBAGE;
}

/* ---- one connection ---- */

/* Milliseconds left until deadline, 0 when it has passed. */
static uint64_t
time_left(uint64_t deadline)
{
	uint64_t now = dns_now_ms();

	return now < deadline ? deadline - now : 0;
}

/* Wait until fd is ready for events, at most until deadline. 0 ready, -1 timed out. */
static int
wait_fd(int fd, short events, uint64_t deadline, char *why, size_t whylen)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t left;
	int rc;

	for (;;) {
		if ((left = time_left(deadline)) == 0) {
			snprintf(why, whylen, "timed out");
			return -1;
		}
		rc = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			snprintf(why, whylen, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* Free a reply buffer grown past REPLY_BUF_KEEP (its reply has been used). */
static void
conn_trim(struct redis_conn *c)
{
	c->len = 0;
	if (c->cap > REPLY_BUF_KEEP) {
		free(c->buf);
		c->buf = NULL;
		c->cap = 0;
	}
}

/* Close c's connection. */
static void
conn_close(struct redis_conn *c)
{
	if (c->ctx != NULL)
		redisFree(c->ctx);
	c->ctx = NULL;
	conn_trim(c);
}

/* Whether an idle connection has something to read: EOF (the server closed it) or
 * bytes nobody asked for. Either way it is not fit for a new command. */
static bool
conn_stale(const struct redis_conn *c)
{
	struct pollfd pfd = { .fd = c->ctx->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/* Send all of cmd by deadline. */
static int
conn_send(struct redis_conn *c, const char *cmd, size_t n, uint64_t deadline, char *why,
	  size_t whylen)
{
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		w = send(c->ctx->fd, cmd + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(c->ctx->fd, POLLOUT, deadline, why, whylen) < 0)
				return -1;
			continue;
		}
		snprintf(why, whylen, "send: %s", w < 0 ? strerror(errno) : "nothing sent");
		return -1;
	}
	return 0;
}

/* Read one reply into c->buf by deadline. 0 with *r set, -1 with why. */
static int
conn_recv(struct redis_conn *c, struct reply *r, uint64_t deadline, char *why, size_t whylen)
{
	ssize_t got;
	uint8_t *nb;
	size_t ncap;

	c->len = 0;
	for (;;) {
		switch (resp_parse(c->buf, c->len, r)) {
		case PARSE_DONE:
			return 0;
		case PARSE_GARBAGE:
			snprintf(why, whylen, "reply is not Redis protocol");
			return -1;
		case PARSE_OVERSIZE:
			snprintf(why, whylen, "value over %u bytes", (unsigned)STORE_VALUE_MAX);
			return -1;
		case PARSE_MORE:
			break;
		}
		if (c->len == c->cap) {
			if (c->cap >= REPLY_BUF_MAX) {	/* cannot happen: the parser bounds it */
				snprintf(why, whylen, "reply too large");
				return -1;
			}
			ncap = c->cap == 0 ? 4096 : c->cap * 2;
			if (ncap > REPLY_BUF_MAX)
				ncap = REPLY_BUF_MAX;
			if ((nb = realloc(c->buf, ncap)) == NULL) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			c->buf = nb;
			c->cap = ncap;
		}
		got = recv(c->ctx->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (got > 0) {
			c->len += (size_t)got;
			continue;
		}
		if (got == 0) {
			snprintf(why, whylen, "connection closed by the server");
			return -1;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			if (wait_fd(c->ctx->fd, POLLIN, deadline, why, whylen) < 0)
				return -1;
			continue;
		}
		snprintf(why, whylen, "recv: %s", strerror(errno));
		return -1;
	}
}

/* Send one command (argv with lengths) and read its reply. 0 with *r, -1 with why. */
static int
conn_command(struct redis_conn *c, int argc, const char **argv, const size_t *lens,
	     uint64_t deadline, struct reply *r, char *why, size_t whylen)
{
	char *cmd = NULL;
	int n, rc;

	n = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (n < 0 || cmd == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rc = conn_send(c, cmd, (size_t)n, deadline, why, whylen);
	redisFreeCommand(cmd);
	if (rc < 0)
		return -1;
	return conn_recv(c, r, deadline, why, whylen);
}

/* Describe an error reply (untrusted text) for a log line. */
static void
error_text(const struct reply *r, char *out, size_t outlen)
{
	pt_sanitize(r->str, r->len, out, outlen);
}

/* +OK: 1; anything else is the wrong reply. */
static int
take_ok(const struct reply *r, void *arg)
{
	(void)arg;
	return r->type == REPLY_STATUS && r->len == 2 && memcmp(r->str, "OK", 2) == 0 ?
	    1 : TAKE_WRONG;
}

/* Run a setup command (AUTH PASSWORD, SELECT DB) that must answer +OK. */
static int
conn_setup(struct redis_conn *c, const char *cmd, const char *arg, uint64_t deadline,
	   char *why, size_t whylen)
{
	const char *argv[2] = { cmd, arg };
	size_t lens[2] = { strlen(cmd), strlen(arg) };
	struct reply r;
	char text[128];

	if (conn_command(c, 2, argv, lens, deadline, &r, why, whylen) < 0)
		return -1;
	if (take_ok(&r, NULL) == 1)
		return 0;
	if (r.type == REPLY_ERROR) {
		error_text(&r, text, sizeof(text));
		snprintf(why, whylen, "%s refused: %s", cmd, text);
	} else {
		snprintf(why, whylen, "%s: unexpected reply", cmd);
	}
	return -1;
}

/* Connect c to host i by deadline: connect, AUTH, SELECT. */
static int
conn_open(struct redis_backend *rb, struct redis_conn *c, size_t i, uint64_t deadline,
	  char *why, size_t whylen)
{
	struct timeval tv;
	uint64_t left = time_left(deadline);

	if (left == 0) {
		snprintf(why, whylen, "timed out");
		return -1;
	}
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)((left % 1000) * 1000);
	c->ctx = redisConnectWithTimeout(rb->hosts[i].addr, rb->hosts[i].port, tv);
	if (c->ctx == NULL || c->ctx->err) {
		if (c->ctx == NULL)
			snprintf(why, whylen, "out of memory");
		else
			pt_sanitize(c->ctx->errstr, strnlen(c->ctx->errstr,
				    sizeof(c->ctx->errstr)), why, whylen);
		conn_close(c);
		return -1;
	}
	c->host = i;
	if ((rb->password != NULL &&
	     conn_setup(c, "AUTH", rb->password, deadline, why, whylen) < 0) ||
	    (rb->database[0] != '\0' &&
	     conn_setup(c, "SELECT", rb->database, deadline, why, whylen) < 0)) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* ---- the pool and the outage state ---- */

/* Deadline of a call starting now: its own timeout, or the caller's deadline if sooner. */
static uint64_t
call_deadline(const struct redis_backend *rb, uint64_t deadline_ms)
{
	uint64_t d = dns_now_ms() + rb->timeout_ms;

	return deadline_ms != 0 && deadline_ms < d ? deadline_ms : d;
}

/* Wait on rb->freed until deadline (rb->mu held). -1 when the deadline passed. */
static int
wait_freed(struct redis_backend *rb, uint64_t deadline)
{
	struct timespec ts;

	if (time_left(deadline) == 0)
		return -1;
	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
	(void)pthread_cond_timedwait(&rb->freed, &rb->mu, &ts);
	return 0;
}

/*
 * Take a free connection for a call, or NULL: in an outage before retry_at, while
 * another call probes, or when none came free by deadline. *probe says this call is
 * the one that reconnects after an outage; *host is where it starts.
 */
static struct redis_conn *
pool_take(struct redis_backend *rb, uint64_t deadline, bool *probe, size_t *host,
	  unsigned *epoch)
{
	struct redis_conn *c = NULL;
	size_t i;

	*probe = false;
	pthread_mutex_lock(&rb->mu);
	for (;;) {
		if (rb->down && !*probe) {
			if (rb->probing || dns_now_ms() < rb->retry_at)
				break;
			rb->probing = true;
			*probe = true;
		}
		for (i = 0; i < rb->nconns && rb->conns[i].busy; i++)
			;
		if (i < rb->nconns) {
			c = &rb->conns[i];
			c->busy = true;
			break;
		}
		if (wait_freed(rb, deadline) < 0)
			break;
	}
	if (c == NULL && *probe)
		rb->probing = false;
	*host = *probe ? rb->probe_host : rb->current_host;
	*epoch = rb->epoch;
	pthread_mutex_unlock(&rb->mu);
	return c;
}

/* Give a connection back. */
static void
pool_give(struct redis_backend *rb, struct redis_conn *c)
{
	pthread_mutex_lock(&rb->mu);
	c->busy = false;
	pthread_cond_signal(&rb->freed);
	pthread_mutex_unlock(&rb->mu);
}

/*
 * A connection-level failure at host. Starts an outage (logged once, every pooled
 * connection dropped), or for the probe schedules the next one: next_host is where it
 * goes on, nhosts when it went through every host (the backoff then doubles). The log
 * line is written after the mutex is released, as every log line here.
 */
static void
outage(struct redis_backend *rb, size_t host, const char *why, bool probe, size_t next_host)
{
	uint64_t now = dns_now_ms();
	bool started = false;
	unsigned wait_ms;

	pthread_mutex_lock(&rb->mu);
	if (!rb->down) {
		started = true;
		rb->down = true;
		rb->down_since = now;
		rb->epoch++;
		rb->backoff_ms = STORE_REDIS_BACKOFF_MIN_MS;
		rb->probe_host = 0;
	} else if (probe) {
		if (next_host >= rb->nhosts) {
			rb->probe_host = 0;
			rb->backoff_ms = rb->backoff_ms * 2 > STORE_REDIS_BACKOFF_MAX_MS ?
			    STORE_REDIS_BACKOFF_MAX_MS : rb->backoff_ms * 2;
		} else {
			rb->probe_host = next_host;
		}
	}
	/* A call that started before the outage and fails late does not extend it. */
	if (started || probe)
		rb->retry_at = now + rb->backoff_ms;
	wait_ms = rb->backoff_ms;
	if (probe)
		rb->probing = false;
	pthread_mutex_unlock(&rb->mu);
	if (started)
		RLOG(rb, LOG_WARNING, "posture memory: Redis %s failed: %s; going on without "
		     "it, retrying in %u ms", rb->hosts[host].shown, why, wait_ms);
}

/* A call went through on host: the end of an outage, logged once. */
static void
recovered(struct redis_backend *rb, size_t host)
{
	uint64_t lasted = 0;
	bool ended = false;

	pthread_mutex_lock(&rb->mu);
	if (rb->down) {
		ended = true;
		lasted = dns_now_ms() - rb->down_since;
		rb->down = false;
		rb->backoff_ms = 0;
	}
	rb->probing = false;
	rb->current_host = host;
	pthread_mutex_unlock(&rb->mu);
	if (ended)
		RLOG(rb, LOG_NOTICE, "posture memory: Redis %s answers again after %" PRIu64
		     " ms", rb->hosts[host].shown, lasted);
}

/* An error reply: logged at most once a minute, the connection kept. */
static void
error_reply(struct redis_backend *rb, size_t host, const char *cmd, const struct reply *r)
{
	char text[160];
	uint64_t now = dns_now_ms();
	bool say;

	pthread_mutex_lock(&rb->mu);
	say = rb->error_logged_at == 0 || now - rb->error_logged_at >= ERROR_LOG_EVERY_MS;
	if (say)
		rb->error_logged_at = now;
	pthread_mutex_unlock(&rb->mu);
	if (say) {
		error_text(r, text, sizeof(text));
		RLOG(rb, LOG_WARNING, "posture memory: Redis %s answered %s with an error: %s",
		     rb->hosts[host].shown, cmd, text);
	}
}

/*
 * Connect c, trying hosts in order while time is left. The probe starts at host (the
 * next in its round); any other call starts at host (the one that last answered) and
 * then tries the others from the first, so a primary that dies between calls fails
 * over without an outage when another host answers at once.
 */
static int
call_connect(struct redis_backend *rb, struct redis_conn *c, bool probe, size_t host,
	     uint64_t deadline)
{
	char why[160] = "";
	size_t i = host, next = 0, failed = host;

	for (;;) {
		if (conn_open(rb, c, i, deadline, why, sizeof(why)) == 0)
			return 0;
		failed = i;
		if (probe) {
			i++;
		} else {
			if (next == host)
				next++;
			i = next++;
		}
		if (i >= rb->nhosts || time_left(deadline) == 0)
			break;
	}
	outage(rb, failed, why, probe, i);
	return -1;
}

/*
 * Run one command on a pooled connection and hand the reply to take. Returns take's
 * result, or -1: no connection (outage, backoff, deadline), an error reply, or a
 * reply take does not accept (garbage: an outage).
 */
static int
redis_call(struct redis_backend *rb, int argc, const char **argv, const size_t *lens,
	   uint64_t deadline_ms, reply_take_fn take, void *arg)
{
	uint64_t deadline = call_deadline(rb, deadline_ms);
	struct redis_conn *c;
	struct reply r;
	char why[160];
	size_t host;
	unsigned epoch;
	bool probe;
	int rc = -1;

	if (time_left(deadline) == 0)
		return -1;
	if ((c = pool_take(rb, deadline, &probe, &host, &epoch)) == NULL)
		return -1;
	if (c->ctx != NULL && (c->epoch != epoch || conn_stale(c)))
		conn_close(c);
	if (c->ctx == NULL) {
		if (call_connect(rb, c, probe, host, deadline) < 0)
			goto done;
		c->epoch = epoch;
	}
	if (conn_command(c, argc, argv, lens, deadline, &r, why, sizeof(why)) < 0) {
		conn_close(c);
		outage(rb, c->host, why, probe, rb->nhosts);
		goto done;
	}
	if (r.type == REPLY_ERROR) {
		recovered(rb, c->host);		/* it answers: not an outage */
		error_reply(rb, c->host, argv[0], &r);
		goto done;
	}
	if ((rc = take(&r, arg)) == TAKE_FAILED) {
		rc = -1;
		goto done;
	}
	if (rc < 0) {
		conn_close(c);
		snprintf(why, sizeof(why), "unexpected reply to %s", argv[0]);
		outage(rb, c->host, why, probe, rb->nhosts);
		rc = -1;
		goto done;
	}
	recovered(rb, c->host);
done:
	conn_trim(c);
	pool_give(rb, c);
	return rc;
}

/* ---- the operations ---- */

/* Whether key is one the backend takes: 1 to STORE_KEY_MAX bytes. */
static bool
key_ok(const char *key)
{
	return key != NULL && key[0] != '\0' && strnlen(key, STORE_KEY_MAX + 1) <= STORE_KEY_MAX;
}

struct get_out {
	uint8_t **val;
	size_t *len;
};

/* GET: a bulk string is the value (copied), nil is absent. */
static int
take_get(const struct reply *r, void *arg)
{
	struct get_out *out = arg;

	if (r->type == REPLY_NIL)
		return STORE_ABSENT;
	if (r->type != REPLY_BULK)
		return TAKE_WRONG;
	/* malloc(0) may return NULL: keep one byte for an empty value. */
	if ((*out->val = malloc(r->len + 1)) == NULL)
		return TAKE_FAILED;
	memcpy(*out->val, r->str, r->len);
	*out->len = r->len;
	return STORE_FOUND;
}

/* SET NX: +OK taken (1), nil held by another (0). */
static int
take_ok_or_nil(const struct reply *r, void *arg)
{
	return r->type == REPLY_NIL ? 0 : take_ok(r, arg);
}

/* An integer reply of 0 or more, capped at 1 (DEL counts, the unlock script). */
static int
take_count(const struct reply *r, void *arg)
{
	(void)arg;
	if (r->type != REPLY_INTEGER || r->integer < 0)
		return TAKE_WRONG;
	return r->integer > 0 ? 1 : 0;
}

/* store_backend.get: GET key. */
static enum store_status
redis_get(struct store_backend *b, const char *key, uint8_t **val, size_t *len,
	  uint64_t deadline_ms)
{
	struct get_out out = { val, len };
	const char *argv[2] = { "GET", key };
	size_t lens[2];
	int rc;

	*val = NULL;
	*len = 0;
	if (!key_ok(key))
		return STORE_FAILED;
	lens[0] = 3;
	lens[1] = strlen(key);
	rc = redis_call((struct redis_backend *)b, 2, argv, lens, deadline_ms, take_get, &out);
	return rc < 0 ? STORE_FAILED : (enum store_status)rc;
}

/* Wall-clock milliseconds. */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * store_backend.put: SET key val [PX ms]. The expiry goes as milliseconds from now, so
 * a clock difference between this host and Redis does not move it.
 */
static int
redis_put(struct store_backend *b, const char *key, const uint8_t *val, size_t len,
	  uint64_t expire_s)
{
	const char *argv[5] = { "SET", key, (const char *)val, "PX", NULL };
	size_t lens[5];
	char px[24];
	uint64_t now = wall_ms(), until;

	if (!key_ok(key) || len > STORE_VALUE_MAX || (val == NULL && len > 0))
		return -1;
	if (val == NULL)
		argv[2] = "";
	lens[0] = 3;
	lens[1] = strlen(key);
	lens[2] = len;
	lens[3] = 2;
	if (expire_s != 0) {
		until = expire_s > UINT64_MAX / 1000 ? UINT64_MAX : expire_s * 1000;
		if (until <= now)
			return 0;		/* already expired: nothing to keep */
		snprintf(px, sizeof(px), "%" PRIu64, until - now > PX_MAX ? PX_MAX : until - now);
		argv[4] = px;
		lens[4] = strlen(px);
	}
	return redis_call((struct redis_backend *)b, expire_s != 0 ? 5 : 3, argv, lens, 0,
			  take_ok, NULL) < 0 ? -1 : 0;
}

/* store_backend.del: DEL key. */
static int
redis_del(struct store_backend *b, const char *key)
{
	const char *argv[2] = { "DEL", key };
	size_t lens[2];

	if (!key_ok(key))
		return -1;
	lens[0] = 3;
	lens[1] = strlen(key);
	return redis_call((struct redis_backend *)b, 2, argv, lens, 0, take_count, NULL) < 0 ?
	    -1 : 0;
}

/* Whether token is one the backend takes: 1 to STORE_REDIS_TOKEN_MAX bytes. */
static bool
token_ok(const char *token)
{
	return token != NULL && token[0] != '\0' &&
	    strnlen(token, STORE_REDIS_TOKEN_MAX + 1) <= STORE_REDIS_TOKEN_MAX;
}

/* store_backend.lock: SET key token NX PX ttl_ms. */
static int
redis_lock(struct store_backend *b, const char *key, const char *token, unsigned ttl_ms,
	   uint64_t deadline_ms)
{
	const char *argv[6] = { "SET", key, token, "NX", "PX", NULL };
	size_t lens[6];
	char px[16];

	if (!key_ok(key) || !token_ok(token) || ttl_ms == 0)
		return -1;
	snprintf(px, sizeof(px), "%u", ttl_ms);
	argv[5] = px;
	lens[0] = 3;
	lens[1] = strlen(key);
	lens[2] = strlen(token);
	lens[3] = 2;
	lens[4] = 2;
	lens[5] = strlen(px);
	return redis_call((struct redis_backend *)b, 6, argv, lens, deadline_ms,
			  take_ok_or_nil, NULL);
}

/* store_backend.unlock: compare-and-delete by EVAL. */
static int
redis_unlock(struct store_backend *b, const char *key, const char *token)
{
	const char *argv[5] = { "EVAL", unlock_script, "1", key, token };
	size_t lens[5];

	if (!key_ok(key) || !token_ok(token))
		return -1;
	lens[0] = 4;
	lens[1] = sizeof(unlock_script) - 1;
	lens[2] = 1;
	lens[3] = strlen(key);
	lens[4] = strlen(token);
	return redis_call((struct redis_backend *)b, 5, argv, lens, 0, take_count, NULL);
}

/* store_backend.free: close every connection. No call may be running. */
static void
redis_free(struct store_backend *b)
{
	struct redis_backend *rb = (struct redis_backend *)b;
	size_t i;

	if (rb == NULL)
		return;
	for (i = 0; rb->conns != NULL && i < rb->nconns; i++) {
		if (rb->conns[i].ctx != NULL)
			redisFree(rb->conns[i].ctx);
		free(rb->conns[i].buf);
	}
	free(rb->conns);
	pthread_cond_destroy(&rb->freed);
	pthread_mutex_destroy(&rb->mu);
	free(rb->hosts);
	free(rb->password);
	free(rb);
}

/* ---- configuration ---- */

/*
 * Parse "IPv4:PORT" or "[IPv6]:PORT" into h (dns_server_parse() checks the address and
 * the port's range; the port must be written, Redis has no well-known default here).
 */
static int
host_parse(const char *s, struct redis_host *h)
{
	char norm[INET6_ADDRSTRLEN + 8], err[160];
	const char *colon, *addr;
	size_t alen;
	bool v6;

	if (s == NULL || s[0] == '\0')
		return -1;
	v6 = s[0] == '[';
	colon = v6 ? strstr(s, "]:") : strchr(s, ':');
	if (colon == NULL || (!v6 && strchr(colon + 1, ':') != NULL))
		return -1;		/* no port, or an IPv6 address without brackets */
	if (dns_server_parse(s, norm, sizeof(norm), err, sizeof(err)) < 0)
		return -1;
	colon = strrchr(norm, ':');
	addr = v6 ? norm + 1 : norm;
	alen = (size_t)(colon - addr) - (v6 ? 1 : 0);
	if (alen >= sizeof(h->addr))
		return -1;
	memcpy(h->addr, addr, alen);
	h->addr[alen] = '\0';
	h->port = atoi(colon + 1);
	pt_strlcpy(h->shown, norm, sizeof(h->shown));
	return 0;
}

/* A new backend for cfg (see store_redis.h). */
struct store_backend *
store_redis_open(const struct store_redis_config *cfg, char *err, size_t errlen)
{
	struct redis_backend *rb;
	pthread_condattr_t ca;
	char shown[72];
	size_t i;

	if (cfg == NULL || cfg->hosts == NULL || cfg->nhosts == 0) {
		snprintf(err, errlen, "RedisHost: no Redis host given");
		return NULL;
	}
	if (cfg->nhosts > STORE_REDIS_HOSTS_MAX || cfg->pool_size > STORE_REDIS_POOL_MAX ||
	    cfg->timeout_ms > STORE_REDIS_TIMEOUT_MAX || cfg->database > 999999) {
		snprintf(err, errlen, "Redis: at most %d hosts, %d connections, a timeout of %d "
			 "ms and database 999999", STORE_REDIS_HOSTS_MAX, STORE_REDIS_POOL_MAX,
			 STORE_REDIS_TIMEOUT_MAX);
		return NULL;
	}
	if ((rb = calloc(1, sizeof(*rb))) == NULL ||
	    (rb->hosts = calloc(cfg->nhosts, sizeof(*rb->hosts))) == NULL) {
		free(rb);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < cfg->nhosts; i++) {
		if (host_parse(cfg->hosts[i], &rb->hosts[i]) < 0) {
			pt_sanitize(cfg->hosts[i] ? cfg->hosts[i] : "", cfg->hosts[i] ?
				    strlen(cfg->hosts[i]) : 0, shown, sizeof(shown));
			snprintf(err, errlen, "RedisHost '%s': want IPv4:PORT or [IPv6]:PORT "
				 "with a port from 1 to 65535 (host names are not accepted)", shown);
			free(rb->hosts);
			free(rb);
			return NULL;
		}
	}
	rb->nhosts = cfg->nhosts;
	rb->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : STORE_REDIS_TIMEOUT_MS;
	rb->nconns = cfg->pool_size ? cfg->pool_size : STORE_REDIS_POOL_SIZE;
	rb->log = cfg->log;
	rb->log_arg = cfg->log_arg;
	if (cfg->database != 0)
		snprintf(rb->database, sizeof(rb->database), "%u", cfg->database);
	if (cfg->password != NULL && cfg->password[0] != '\0' &&
	    (rb->password = strdup(cfg->password)) == NULL)
		goto oom;
	if ((rb->conns = calloc(rb->nconns, sizeof(*rb->conns))) == NULL)
		goto oom;
	if (pthread_condattr_init(&ca) != 0)
		goto oom;
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&rb->freed, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		goto oom;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&rb->mu, NULL) != 0) {
		pthread_cond_destroy(&rb->freed);
		goto oom;
	}
	rb->base.name = "redis";
	rb->base.get = redis_get;
	rb->base.put = redis_put;
	rb->base.del = redis_del;
	rb->base.lock = redis_lock;
	rb->base.unlock = redis_unlock;
	rb->base.free = redis_free;
	return &rb->base;
oom:
	free(rb->conns);
	free(rb->password);
	free(rb->hosts);
	free(rb);
	snprintf(err, errlen, "out of memory");
	return NULL;
}
