/*
 * test_store_redis.c - posture memory's Redis backend (lib/store/store_redis.c) against
 * real redis-servers and fake ones, all on 127.0.0.1.
 *
 * Run without REDIS_PORT in the environment, the program re-executes itself under
 * `redis.sh run` (tests/integration/redis.sh), which starts a private redis-server and
 * exports REDIS_PORT and REDIS_BIN (exit 77, skip, when redis-server is missing and CI
 * is not set). Tests that kill, freeze, restart or password-protect a server start
 * their own with REDIS_BIN on a free port. Fake servers are threads of this program
 * that answer garbage: "+OK" forever, binary junk, a huge bulk length (and one that
 * overflows a signed 64-bit length plus 2), a value one byte over STORE_VALUE_MAX, an integer where a value belongs, an array bomb, silence,
 * or an immediate close.
 *
 * What is pinned down: configurations refused and accepted, opening with Redis down;
 * binary-safe round trip, absence, deletion; the value and key limits; expiry; lock and
 * compare-and-delete unlock; AUTH and SELECT; failover to the second host; a killed
 * server failing calls within a few timeouts, the outage logged once, then its end once
 * when a new server comes up on the same port; a frozen server cut by the timeout and a
 * silent one by the caller's deadline; backoff doubling without touching the network;
 * garbage answered with STORE_FAILED and bounded reading; error replies that are not
 * outages; a connection the server closed while idle reopened; threads sharing a pool
 * smaller than their number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "dns/dns.h"
#include "store/store.h"
#include "store/store_redis.h"

#ifndef REDIS_SH
#error "REDIS_SH must name tests/integration/redis.sh"
#endif

static unsigned redis_port;		/* the server redis.sh started */
static const char *redis_bin;

/* ---- captured log lines ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int log_count;
static char log_lines[32][512];

/* store_log_fn: keep the line, echo it for the test log. */
static void
capture_log(void *arg, int priority, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	(void)arg;
	(void)priority;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_mu);
	if (log_count < 32)
		memcpy(log_lines[log_count], line, sizeof(line));
	log_count++;
	pthread_mutex_unlock(&log_mu);
	fprintf(stderr, "log: %s\n", line);
}

/* Forget the captured lines. */
static void
log_reset(void)
{
	pthread_mutex_lock(&log_mu);
	log_count = 0;
	pthread_mutex_unlock(&log_mu);
}

/* How many captured lines contain needle. */
static int
log_matching(const char *needle)
{
	int i, n = 0;

	pthread_mutex_lock(&log_mu);
	for (i = 0; i < log_count && i < 32; i++)
		if (strstr(log_lines[i], needle) != NULL)
			n++;
	pthread_mutex_unlock(&log_mu);
	return n;
}

/* ---- helpers ---- */

/* A backend on the given hosts; fails the test when open fails. */
static struct store_backend *
open_hosts(const char *const *hosts, size_t n, const char *password, unsigned db,
	   unsigned timeout_ms, unsigned pool)
{
	struct store_redis_config cfg = {
		.hosts = hosts, .nhosts = n, .password = password, .database = db,
		.timeout_ms = timeout_ms, .pool_size = pool, .log = capture_log,
	};
	char err[256] = "";
	struct store_backend *b = store_redis_open(&cfg, err, sizeof(err));

	if (b == NULL)
		fail_msg("store_redis_open: %s", err);
	return b;
}

/* A backend on 127.0.0.1:port. */
static struct store_backend *
open_port(unsigned port, const char *password, unsigned db, unsigned timeout_ms)
{
	char host[32];
	const char *hosts[1] = { host };

	snprintf(host, sizeof(host), "127.0.0.1:%u", port);
	return open_hosts(hosts, 1, password, db, timeout_ms, 2);
}

/* A TCP socket bound to a port of 127.0.0.1 the kernel picks; *port says which. */
static int
bind_loopback(unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A TCP port free on 127.0.0.1 right now (nothing listens there). */
static unsigned
free_port(void)
{
	unsigned port;

	close(bind_loopback(&port));
	return port;
}

/* Send raw RESP to 127.0.0.1:port and read the first reply bytes into out. */
static int
raw_command(unsigned port, const char *cmd, char *out, size_t outlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd pfd;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, 2000) == 1 ? recv(fd, out, outlen - 1, 0) : -1;
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* A redis-server this program started. */
struct server {
	pid_t pid;
	char dir[40];		/* its temp dir */
};

/* Start a redis-server on port, with one extra option and its value if given. */
static struct server
start_redis(unsigned port, const char *extra1, const char *extra2)
{
	struct server s = { .dir = "/tmp/posture-redis-test.XXXXXX" };
	char portstr[16], reply[64], *dir = s.dir;
	pid_t pid;
	int i;

	snprintf(portstr, sizeof(portstr), "%u", port);
	assert_non_null(mkdtemp(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl(redis_bin, redis_bin, "--port", portstr, "--bind", "127.0.0.1",
		      "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
		      extra1 ? extra1 : (char *)NULL, extra2, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if (raw_command(port, "PING\r\n", reply, sizeof(reply)) == 0 &&
		    (strncmp(reply, "+PONG", 5) == 0 || strncmp(reply, "-NOAUTH", 7) == 0)) {
			s.pid = pid;
			return s;
		}
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rmdir(dir);
	fail_msg("redis-server did not start on port %u", port);
	return s;
}

/* Kill a redis-server we started, reap it and remove its temp dir. */
static void
stop_redis(struct server *s)
{
	char cmd[64];

	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s->dir);
}

/* A GET that must find want. */
static void
assert_get(struct store_backend *b, const char *key, const char *want, size_t wantlen)
{
	uint8_t *val = NULL;
	size_t len = 0;

	assert_int_equal(b->get(b, key, &val, &len, 0), STORE_FOUND);
	assert_int_equal(len, wantlen);
	assert_memory_equal(val, want, wantlen);
	free(val);
}

/* A GET's status (the value, if any, freed). */
static enum store_status
get_status(struct store_backend *b, const char *key, uint64_t deadline_ms)
{
	uint8_t *val = NULL;
	size_t len = 0;
	enum store_status st = b->get(b, key, &val, &len, deadline_ms);

	if (st != STORE_FOUND)
		assert_null(val);
	free(val);
	return st;
}

/* ---- fake servers ---- */

enum fake_mode {
	FAKE_OK_FOREVER, FAKE_JUNK, FAKE_HUGE_BULK, FAKE_OVERFLOW_BULK, FAKE_OVERSIZE,
	FAKE_WRONG_TYPE, FAKE_ARRAY_BOMB, FAKE_SILENT, FAKE_CLOSE
};

struct fake {
	enum fake_mode mode;
	int lfd;
	unsigned port;
	pthread_t thread;
	volatile int stop;
	volatile int accepts;
	volatile size_t sent;		/* bytes written, over every connection */
};

/* The bytes a fake server writes once it has read a command (one chunk, repeated). */
static size_t
fake_chunk(struct fake *f, char *buf, size_t cap, bool first)
{
	size_t i;

	switch (f->mode) {
	case FAKE_OK_FOREVER:
		for (i = 0; i + 5 <= cap; i += 5)
			memcpy(buf + i, "+OK\r\n", 5);
		return i;
	case FAKE_HUGE_BULK:
	case FAKE_OVERFLOW_BULK:
	case FAKE_OVERSIZE:
		if (first)
			return (size_t)snprintf(buf, cap, "$%s\r\n",
						f->mode == FAKE_HUGE_BULK ? "999999999999" :
						f->mode == FAKE_OVERFLOW_BULK ?
						"9223372036854775807" : "1048577");
		/* fall through */
	case FAKE_JUNK:
		for (i = 0; i < cap; i++)
			buf[i] = (char)(i * 131 + 7);
		return cap;
	case FAKE_WRONG_TYPE:
		return first ? (size_t)snprintf(buf, cap, ":1\r\n") : 0;
	case FAKE_ARRAY_BOMB:
		return first ? (size_t)snprintf(buf, cap, "*2147483647\r\n") : 0;
	default:
		return 0;
	}
}

/* Serve one connection until the client closes it or the test stops us. */
static void
fake_serve(struct fake *f, int fd)
{
	char in[4096], out[16384];
	bool asked = false, first = true;
	struct pollfd pfd;
	ssize_t n;
	size_t len;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!f->stop) {
		pfd.fd = fd;
		pfd.events = POLLIN | (asked ? POLLOUT : 0);
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, in, sizeof(in), 0);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				break;
			if (n > 0)
				asked = true;
		}
		if (asked && (pfd.revents & POLLOUT)) {
			len = fake_chunk(f, out, sizeof(out), first);
			first = false;
			if (len == 0)
				continue;
			n = send(fd, out, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				break;
			if (n > 0)
				f->sent += (size_t)n;
		}
	}
}

/* The fake server's thread: accept and serve connections one at a time. */
static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct pollfd pfd = { .fd = f->lfd, .events = POLLIN };
	int fd;

	while (!f->stop) {
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if ((fd = accept(f->lfd, NULL, NULL)) < 0)
			continue;
		f->accepts++;
		if (f->mode != FAKE_CLOSE)
			fake_serve(f, fd);
		close(fd);
	}
	return NULL;
}

/* Start a fake server in mode on a free loopback port. */
static void
fake_start(struct fake *f, enum fake_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->lfd = bind_loopback(&f->port);
	assert_int_equal(listen(f->lfd, 16), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* Stop a fake server. */
static void
fake_stop(struct fake *f)
{
	f->stop = 1;
	pthread_join(f->thread, NULL);
	close(f->lfd);
}

/* ---- configuration ---- */

static void
test_open_refuses_bad_configurations(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:abc", "127.0.0.1:",
		"::1:6379", "[::1", "[::1]", "[::1]:99999", "redis.example:6379", "", ":6379",
		"[127.0.0.1]:6379", "1.2.3.4.5:6379",
	};
	struct store_redis_config cfg = { .nhosts = 1 };
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.hosts = &bad[i];
		err[0] = '\0';
		if (store_redis_open(&cfg, err, sizeof(err)) != NULL)
			fail_msg("accepted RedisHost '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	cfg.hosts = bad;
	cfg.nhosts = 0;
	assert_null(store_redis_open(&cfg, err, sizeof(err)));
	assert_null(store_redis_open(NULL, err, sizeof(err)));
	{
		static const char *const good[] = { "127.0.0.1:6379" };

		cfg.hosts = good;
		cfg.nhosts = 1;
		cfg.pool_size = STORE_REDIS_POOL_MAX + 1;
		assert_null(store_redis_open(&cfg, err, sizeof(err)));
		cfg.pool_size = 0;
		cfg.timeout_ms = STORE_REDIS_TIMEOUT_MAX + 1;
		assert_null(store_redis_open(&cfg, err, sizeof(err)));
	}
}

static void
test_open_accepts_ip_literals_and_needs_no_server(void **state)
{
	static const char *const good[] = { "[::1]:6379", "127.0.0.1:1", "10.0.0.1:65535" };
	struct store_backend *b;
	uint64_t t0;

	(void)state;
	log_reset();
	b = open_hosts(good, 3, NULL, 0, 0, 0);
	assert_string_equal(b->name, "redis");
	b->free(b);
	/* Nothing listens on a port just found free: open works, calls fail fast. */
	b = open_port(free_port(), NULL, 0, 50);
	assert_int_equal(log_count, 0);
	t0 = dns_now_ms();
	assert_int_equal(get_status(b, "k", 0), STORE_FAILED);
	assert_int_equal(b->put(b, "k", (const uint8_t *)"v", 1, 0), -1);
	assert_int_equal(b->lock(b, "k", "t", 1000, 0), -1);
	assert_true(dns_now_ms() - t0 < 1000);
	assert_int_equal(log_matching("failed"), 1);
	b->free(b);
}

/* ---- against the real server ---- */

static void
test_round_trip_is_binary_safe(void **state)
{
	static const char value[] = "PM\0\1\r\n$3\r\n*1\r\n\xff end";
	struct store_backend *b = open_port(redis_port, NULL, 0, 500);

	(void)state;
	assert_int_equal(b->put(b, "t:rt:a b\r\n", (const uint8_t *)value, sizeof(value), 0), 0);
	assert_get(b, "t:rt:a b\r\n", value, sizeof(value));
	assert_int_equal(b->put(b, "t:rt:empty", (const uint8_t *)"", 0, 0), 0);
	assert_get(b, "t:rt:empty", "", 0);
	assert_int_equal(get_status(b, "t:rt:never-written", 0), STORE_ABSENT);
	assert_int_equal(b->del(b, "t:rt:a b\r\n"), 0);
	assert_int_equal(get_status(b, "t:rt:a b\r\n", 0), STORE_ABSENT);
	assert_int_equal(b->del(b, "t:rt:a b\r\n"), 0);	/* absent: still fine */
	b->free(b);
}

static void
test_value_and_key_limits(void **state)
{
	struct store_backend *b = open_port(redis_port, NULL, 0, 2000);
	uint8_t *big = malloc(STORE_VALUE_MAX + 1);
	char key[STORE_KEY_MAX + 2];

	(void)state;
	assert_non_null(big);
	memset(big, 'v', STORE_VALUE_MAX + 1);
	assert_int_equal(b->put(b, "t:lim:over", big, STORE_VALUE_MAX + 1, 0), -1);
	assert_int_equal(get_status(b, "t:lim:over", 0), STORE_ABSENT);
	assert_int_equal(b->put(b, "t:lim:max", big, STORE_VALUE_MAX, 0), 0);
	assert_get(b, "t:lim:max", (const char *)big, STORE_VALUE_MAX);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(b->put(b, key, big, 1, 0), -1);
	assert_int_equal(get_status(b, key, 0), STORE_FAILED);
	assert_int_equal(get_status(b, "", 0), STORE_FAILED);
	key[STORE_KEY_MAX] = '\0';
	assert_int_equal(b->put(b, key, big, 1, 0), 0);
	assert_get(b, key, "v", 1);
	free(big);
	b->free(b);
}

static void
test_values_expire(void **state)
{
	struct store_backend *b = open_port(redis_port, NULL, 0, 500);
	struct timespec now;

	(void)state;
	/* Start early in a second, so "now + 1 s" leaves at least 0.8 s to read it back. */
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_nsec > 200000000L)
		usleep((useconds_t)((1000000000L - now.tv_nsec) / 1000));
	clock_gettime(CLOCK_REALTIME, &now);
	assert_int_equal(b->put(b, "t:exp:soon", (const uint8_t *)"x", 1,
				(uint64_t)now.tv_sec + 1), 0);
	assert_int_equal(b->put(b, "t:exp:later", (const uint8_t *)"y", 1,
				(uint64_t)now.tv_sec + 60), 0);
	assert_int_equal(b->put(b, "t:exp:past", (const uint8_t *)"z", 1,
				(uint64_t)now.tv_sec - 1), 0);
	assert_get(b, "t:exp:soon", "x", 1);
	assert_int_equal(get_status(b, "t:exp:past", 0), STORE_ABSENT);
	usleep(1500000);
	assert_int_equal(get_status(b, "t:exp:soon", 0), STORE_ABSENT);
	assert_get(b, "t:exp:later", "y", 1);
	b->free(b);
}

static void
test_lock_and_compare_and_delete_unlock(void **state)
{
	struct store_backend *b = open_port(redis_port, NULL, 0, 500);

	(void)state;
	assert_int_equal(b->lock(b, "t:lock:a", "host-a", 5000, 0), 1);
	assert_int_equal(b->lock(b, "t:lock:a", "host-b", 5000, 0), 0);
	assert_int_equal(b->lock(b, "t:lock:a", "host-a", 5000, 0), 0);	/* not re-entrant */
	assert_int_equal(b->unlock(b, "t:lock:a", "host-b"), 0);	/* not b's: kept */
	assert_int_equal(b->lock(b, "t:lock:a", "host-b", 5000, 0), 0);
	assert_int_equal(b->unlock(b, "t:lock:a", "host-a"), 1);
	assert_int_equal(b->unlock(b, "t:lock:a", "host-a"), 0);	/* already gone */
	assert_int_equal(b->lock(b, "t:lock:a", "host-b", 5000, 0), 1);
	assert_int_equal(b->unlock(b, "t:lock:a", "host-b"), 1);
	/* A lock lapses after its ttl: a holder that died does not block the fleet. */
	assert_int_equal(b->lock(b, "t:lock:ttl", "host-a", 200, 0), 1);
	usleep(350000);
	assert_int_equal(b->lock(b, "t:lock:ttl", "host-b", 5000, 0), 1);
	assert_int_equal(b->unlock(b, "t:lock:ttl", "host-a"), 0);
	assert_int_equal(b->unlock(b, "t:lock:ttl", "host-b"), 1);
	/* Refused without asking Redis. */
	assert_int_equal(b->lock(b, "t:lock:a", "host-a", 0, 0), -1);
	assert_int_equal(b->lock(b, "t:lock:a", "", 1000, 0), -1);
	b->free(b);
}

static void
test_error_reply_is_not_an_outage(void **state)
{
	struct store_backend *b = open_port(redis_port, NULL, 0, 500);
	char reply[64];

	(void)state;
	log_reset();
	assert_int_equal(raw_command(redis_port,
		"*3\r\n$5\r\nRPUSH\r\n$11\r\nt:err:alist\r\n$1\r\nx\r\n", reply, sizeof(reply)), 0);
	assert_int_equal(reply[0], ':');
	assert_int_equal(get_status(b, "t:err:alist", 0), STORE_FAILED);	/* -WRONGTYPE */
	assert_int_equal(log_matching("WRONGTYPE"), 1);
	assert_int_equal(log_matching("going on without it"), 0);
	/* No backoff: the next call goes through at once. */
	assert_int_equal(b->put(b, "t:err:ok", (const uint8_t *)"1", 1, 0), 0);
	assert_get(b, "t:err:ok", "1", 1);
	assert_int_equal(get_status(b, "t:err:alist", 0), STORE_FAILED);
	assert_int_equal(log_matching("WRONGTYPE"), 1);		/* once a minute */
	b->free(b);
}

static void
test_idle_connection_closed_by_server_is_reopened(void **state)
{
	struct store_backend *b = open_port(redis_port, NULL, 0, 500);
	char reply[64];

	(void)state;
	log_reset();
	assert_int_equal(b->put(b, "t:idle", (const uint8_t *)"1", 1, 0), 0);
	assert_int_equal(raw_command(redis_port, "CLIENT KILL TYPE normal SKIPME yes\r\n",
				     reply, sizeof(reply)), 0);
	assert_int_equal(reply[0], ':');
	usleep(50000);
	assert_get(b, "t:idle", "1", 1);
	assert_int_equal(log_count, 0);
	b->free(b);
}

static void
test_password_and_database(void **state)
{
	unsigned port = free_port();
	struct server srv = start_redis(port, "--requirepass", "s3cret");
	struct store_backend *b, *other;

	(void)state;
	log_reset();
	b = open_port(port, "s3cret", 3, 500);
	assert_int_equal(b->put(b, "t:db", (const uint8_t *)"three", 5, 0), 0);
	assert_get(b, "t:db", "three", 5);
	other = open_port(port, "s3cret", 0, 500);
	assert_int_equal(get_status(other, "t:db", 0), STORE_ABSENT);	/* SELECTed apart */
	other->free(other);
	assert_int_equal(log_count, 0);
	other = open_port(port, "wrong", 3, 500);
	assert_int_equal(get_status(other, "t:db", 0), STORE_FAILED);
	assert_int_equal(log_matching("AUTH refused"), 1);
	other->free(other);
	other = open_port(port, NULL, 3, 500);
	assert_int_equal(get_status(other, "t:db", 0), STORE_FAILED);	/* -NOAUTH */
	other->free(other);
	b->free(b);
	stop_redis(&srv);
}

static void
test_failover_to_the_next_host(void **state)
{
	char h1[32], h2[32];
	const char *hosts[2] = { h1, h2 };
	struct store_backend *b;

	(void)state;
	log_reset();
	snprintf(h1, sizeof(h1), "127.0.0.1:%u", free_port());	/* nobody there */
	snprintf(h2, sizeof(h2), "127.0.0.1:%u", redis_port);
	b = open_hosts(hosts, 2, NULL, 0, 500, 2);
	assert_int_equal(b->put(b, "t:fo", (const uint8_t *)"2", 1, 0), 0);
	assert_get(b, "t:fo", "2", 1);
	assert_int_equal(log_count, 0);
	b->free(b);
}

static void
test_killed_server_fails_fast_then_recovers(void **state)
{
	unsigned port = free_port();
	struct server srv = start_redis(port, NULL, NULL);
	struct store_backend *b;
	uint64_t t0, waited;
	enum store_status st = STORE_FAILED;
	int i;

	(void)state;
	log_reset();
	b = open_port(port, NULL, 0, 50);
	assert_int_equal(b->put(b, "t:kill", (const uint8_t *)"1", 1, 0), 0);
	stop_redis(&srv);
	t0 = dns_now_ms();
	assert_int_equal(get_status(b, "t:kill", 0), STORE_FAILED);
	assert_true(dns_now_ms() - t0 < 3 * 50);
	for (i = 0; i < 20; i++)
		assert_int_equal(get_status(b, "t:kill", 0), STORE_FAILED);
	assert_true(dns_now_ms() - t0 < 3 * 50 + 50);
	assert_int_equal(log_matching("failed"), 1);
	/* A new server on the same port (empty: nothing persisted). */
	srv = start_redis(port, NULL, NULL);
	for (waited = 0; waited < 5000; waited += 50) {
		if ((st = get_status(b, "t:kill", 0)) != STORE_FAILED)
			break;
		usleep(50000);
	}
	assert_int_equal(st, STORE_ABSENT);
	assert_int_equal(log_matching("failed"), 1);
	assert_int_equal(log_matching("answers again"), 1);
	assert_int_equal(b->put(b, "t:kill", (const uint8_t *)"2", 1, 0), 0);
	assert_get(b, "t:kill", "2", 1);
	b->free(b);
	stop_redis(&srv);
}

static void
test_frozen_server_is_cut_by_the_timeout(void **state)
{
	unsigned port = free_port();
	struct server srv = start_redis(port, NULL, NULL);
	struct store_backend *b;
	uint64_t t0, took;

	(void)state;
	log_reset();
	b = open_port(port, NULL, 0, 100);
	assert_int_equal(b->put(b, "t:frozen", (const uint8_t *)"1", 1, 0), 0);
	kill(srv.pid, SIGSTOP);
	t0 = dns_now_ms();
	assert_int_equal(get_status(b, "t:frozen", 0), STORE_FAILED);
	took = dns_now_ms() - t0;
	kill(srv.pid, SIGCONT);
	assert_true(took >= 90);
	assert_true(took < 3 * 100);
	assert_int_equal(log_matching("timed out"), 1);
	usleep(150000);		/* past the first backoff */
	assert_get(b, "t:frozen", "1", 1);
	assert_int_equal(log_matching("answers again"), 1);
	b->free(b);
	stop_redis(&srv);
}

static void
test_silent_server_is_cut_by_the_deadline(void **state)
{
	struct fake f;
	struct store_backend *b;
	uint64_t t0, took;

	(void)state;
	fake_start(&f, FAKE_SILENT);
	b = open_port(f.port, NULL, 0, 5000);
	/* A deadline already passed: no connection at all. */
	assert_int_equal(get_status(b, "k", dns_now_ms() - 1), STORE_FAILED);
	assert_int_equal(f.accepts, 0);
	t0 = dns_now_ms();
	assert_int_equal(get_status(b, "k", t0 + 100), STORE_FAILED);
	took = dns_now_ms() - t0;
	assert_true(took >= 90);
	assert_true(took < 400);
	b->free(b);
	fake_stop(&f);
}

static void
test_backoff_doubles_without_touching_the_network(void **state)
{
	struct fake f;
	struct store_backend *b;
	int i;

	(void)state;
	log_reset();
	fake_start(&f, FAKE_CLOSE);
	b = open_port(f.port, NULL, 0, 50);
	assert_int_equal(get_status(b, "k", 0), STORE_FAILED);	/* outage, backoff 100 */
	assert_int_equal(f.accepts, 1);
	for (i = 0; i < 10; i++)
		assert_int_equal(get_status(b, "k", 0), STORE_FAILED);
	assert_int_equal(f.accepts, 1);
	usleep(150000);
	assert_int_equal(get_status(b, "k", 0), STORE_FAILED);	/* probe; backoff 200 */
	assert_int_equal(f.accepts, 2);
	usleep(250000);
	assert_int_equal(get_status(b, "k", 0), STORE_FAILED);	/* probe; backoff 400 */
	assert_int_equal(f.accepts, 3);
	usleep(250000);
	assert_int_equal(get_status(b, "k", 0), STORE_FAILED);	/* 250 < 400: no probe */
	assert_int_equal(f.accepts, 3);
	usleep(250000);
	assert_int_equal(get_status(b, "k", 0), STORE_FAILED);	/* 500 > 400: probe */
	assert_int_equal(f.accepts, 4);
	assert_int_equal(log_matching("failed"), 1);
	assert_int_equal(log_matching("answers again"), 0);
	b->free(b);
	fake_stop(&f);
}

static void
test_garbage_fails_open_with_bounded_reading(void **state)
{
	static const enum fake_mode modes[] = {
		FAKE_OK_FOREVER, FAKE_JUNK, FAKE_HUGE_BULK, FAKE_OVERFLOW_BULK, FAKE_OVERSIZE,
		FAKE_WRONG_TYPE, FAKE_ARRAY_BOMB,
	};
	struct fake f;
	struct store_backend *b;
	uint64_t t0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		log_reset();
		fake_start(&f, modes[i]);
		b = open_port(f.port, NULL, 0, 100);
		t0 = dns_now_ms();
		assert_int_equal(get_status(b, "k", 0), STORE_FAILED);
		assert_true(dns_now_ms() - t0 < 500);
		assert_int_equal(log_matching("failed"), 1);
		b->free(b);	/* closes the connection: the fake stops writing */
		usleep(50000);
		/* A reader that kept reading would have taken hundreds of MB by now. */
		if (f.sent >= 8u * 1024 * 1024)
			fail_msg("mode %zu: the server wrote %zu bytes", i, (size_t)f.sent);
		fake_stop(&f);
	}
}

struct worker {
	struct store_backend *b;
	int id;
	int failures;
};

/* Put and read back keys of our own, many times. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char key[64], val[64];
	uint8_t *got;
	size_t len;
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "t:thr:%d:%d", w->id, i % 7);
		snprintf(val, sizeof(val), "value %d %d", w->id, i);
		if (w->b->put(w->b, key, (const uint8_t *)val, strlen(val), 0) != 0) {
			w->failures++;
			continue;
		}
		got = NULL;
		if (w->b->get(w->b, key, &got, &len, 0) != STORE_FOUND || len != strlen(val) ||
		    memcmp(got, val, len) != 0)
			w->failures++;
		free(got);
	}
	return NULL;
}

static void
test_threads_share_a_smaller_pool(void **state)
{
	char host[32];
	const char *hosts[1] = { host };
	struct worker w[8];
	pthread_t t[8];
	struct store_backend *b;
	int i;

	(void)state;
	snprintf(host, sizeof(host), "127.0.0.1:%u", redis_port);
	b = open_hosts(hosts, 1, NULL, 0, 2000, 2);
	for (i = 0; i < 8; i++) {
		w[i] = (struct worker){ .b = b, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	b->free(b);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_refuses_bad_configurations),
		cmocka_unit_test(test_open_accepts_ip_literals_and_needs_no_server),
		cmocka_unit_test(test_round_trip_is_binary_safe),
		cmocka_unit_test(test_value_and_key_limits),
		cmocka_unit_test(test_values_expire),
		cmocka_unit_test(test_lock_and_compare_and_delete_unlock),
		cmocka_unit_test(test_error_reply_is_not_an_outage),
		cmocka_unit_test(test_idle_connection_closed_by_server_is_reopened),
		cmocka_unit_test(test_password_and_database),
		cmocka_unit_test(test_failover_to_the_next_host),
		cmocka_unit_test(test_killed_server_fails_fast_then_recovers),
		cmocka_unit_test(test_frozen_server_is_cut_by_the_timeout),
		cmocka_unit_test(test_silent_server_is_cut_by_the_deadline),
		cmocka_unit_test(test_backoff_doubles_without_touching_the_network),
		cmocka_unit_test(test_garbage_fails_open_with_bounded_reading),
		cmocka_unit_test(test_threads_share_a_smaller_pool),
	};
	const char *p = getenv("REDIS_PORT");

	(void)argc;
	if (p == NULL) {
		/* Not under redis.sh yet: start redis-server around ourselves. */
		execl("/bin/bash", "bash", REDIS_SH, "run", argv[0], (char *)NULL);
		perror("test_store_redis: cannot run " REDIS_SH);
		return 99;
	}
	redis_port = (unsigned)atoi(p);
	redis_bin = getenv("REDIS_BIN");
	if (redis_port == 0 || redis_bin == NULL) {
		fprintf(stderr, "test_store_redis: REDIS_PORT or REDIS_BIN is not usable\n");
		return 99;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
