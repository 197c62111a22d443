/*
 * tcp_ack.c - prompt ACKs on libmilter's TCP connections (ARCHITECTURE.md, Performance).
 *
 * Postfix sends macro packets that get no reply, so its next small write waits for
 * the milter side's delayed ACK (~40 ms); replies written as separate small packets
 * wait for Nagle. libmilter exposes no socket, so this file interposes the two libc
 * calls libmilter makes on its connections:
 *
 *   accept()  an accepted TCP socket gets TCP_NODELAY and is remembered
 *   read()    after each read on a remembered socket, TCP_QUICKACK is armed again
 *             (Linux clears it after it takes effect)
 *
 * The program that links this file exports both symbols, so the dynamic linker binds
 * libmilter's calls to them; they forward to libc's through dlsym(RTLD_NEXT). Unix
 * sockets and every other descriptor pass through untouched. What can go wrong: the
 * dlsym lookup failing (then every call fails with ENOSYS: not silently different).
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "tcp_ack.h"

#define TRACKED_FDS 65536

typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef ssize_t (*read_fn)(int, void *, size_t);

static accept_fn real_accept;
static read_fn real_read;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static atomic_bool enabled = true;
/* One bit per descriptor: an accepted TCP connection. */
static atomic_uint tcp_fds[TRACKED_FDS / 32];

/* Find libc's accept and read. */
static void
resolve_real(void)
{
	real_accept = (accept_fn)dlsym(RTLD_NEXT, "accept");
	real_read = (read_fn)dlsym(RTLD_NEXT, "read");
}

/* Turn the behaviour on or off (the benchmark's stock-libmilter runs turn it off). */
void
tcp_ack_enable(bool on)
{
	atomic_store(&enabled, on);
}

/* Remember or forget fd as a tracked TCP connection. */
static void
track(int fd, bool on)
{
	unsigned bit = 1u << ((unsigned)fd % 32);

	if (fd < 0 || fd >= TRACKED_FDS)
		return;
	if (on)
		atomic_fetch_or(&tcp_fds[fd / 32], bit);
	else
		atomic_fetch_and(&tcp_fds[fd / 32], ~bit);
}

/* Whether fd is a tracked TCP connection. */
static bool
tracked(int fd)
{
	if (fd < 0 || fd >= TRACKED_FDS)
		return false;
	return (atomic_load(&tcp_fds[fd / 32]) >> ((unsigned)fd % 32)) & 1u;
}

/*
 * The two interposers must be visible to the dynamic linker (the build hides
 * everything else with -fvisibility=hidden): libmilter.so binds to them only then.
 */
#define INTERPOSE __attribute__((visibility("default")))

/* accept(2), plus TCP_NODELAY on TCP connections. */
INTERPOSE int
accept(int sockfd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd, one = 1;

	pthread_once(&resolve_once, resolve_real);
	if (real_accept == NULL) {
		errno = ENOSYS;
		return -1;
	}
	fd = real_accept(sockfd, addr, addrlen);
	if (fd < 0 || !atomic_load(&enabled))
		return fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		track(fd, true);
	} else {
		track(fd, false);
	}
	return fd;
}

/* read(2), plus TCP_QUICKACK re-armed on tracked TCP connections. */
INTERPOSE ssize_t
read(int fd, void *buf, size_t count)
{
	ssize_t n;
	int one = 1;

	pthread_once(&resolve_once, resolve_real);
	if (real_read == NULL) {
		errno = ENOSYS;
		return -1;
	}
	n = real_read(fd, buf, count);
	if (n > 0 && tracked(fd)) {
		int saved = errno;

		/* A reused descriptor that is no longer a socket stops being tracked. */
		if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) < 0)
			track(fd, false);
		errno = saved;
	}
	return n;
}
