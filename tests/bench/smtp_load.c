/*
 * smtp_load.c - SMTP load generator for tests/bench/bench_postfix.sh (not installed).
 *
 *   smtp_load -p PORT [-H HOST] [-c SESSIONS] [-n MESSAGES] [-a FIRST_SRC_IP -A N_SRC_IPS]
 *             [-r RCPT] [-e EHLO_NAME] [-o LATENCY_FILE] DIR
 *
 * Sends MESSAGES (default 1000) messages to HOST:PORT (HOST an IPv4 address, default
 * 127.0.0.1) from SESSIONS (default 10) threads, one SMTP connection per message:
 * greeting, EHLO, MAIL FROM, RCPT TO (default rcpt@x.test), DATA, the message, ".",
 * QUIT, each reply checked (RFC 5321 4.2: 2xx, 354 after DATA). smtp-source cannot
 * choose its source address; this can: with -a/-A each connection binds one of
 * N_SRC_IPS consecutive IPv4 addresses from FIRST_SRC_IP (all of 127/8 is on lo on Linux).
 *
 * DIR holds the messages, NAME.eml (LF or CRLF line ends; sent with CRLF and dot-stuffed,
 * RFC 5321 4.5.2), each with a companion NAME.from whose first line is the MAIL FROM
 * address (without it: the null reverse-path <>). Message number i (0..MESSAGES-1) is
 * file i mod F (F files, in name order) from source address (i + i / L) mod N_SRC_IPS,
 * L = lcm(F, N_SRC_IPS): every L messages the addresses shift by one, so that over
 * F * N_SRC_IPS messages every file meets every source address once.
 *
 * Prints one line:
 *   sent=N failed=N elapsed_ms=N rate=N.N median_ms=N.N mean_ms=N.N p99_ms=N.N max_ms=N.N
 * sent counts transactions that completed (message accepted, QUIT answered), rate is
 * sent per second of wall time, the latencies are per completed transaction, from
 * connect() to the QUIT reply (p99: the smallest latency at least 99 % of them do not
 * exceed). With -c 1 it is a latency run. -o writes one line per message number to
 * LATENCY_FILE: "I MS", MS -1 when the transaction failed (for per-message analysis:
 * message I is file I mod F). The first failing reply
 * (or error) is printed on stderr. Exit 0 when every message was sent, 1 when any
 * failed, 2 on usage or set-up errors (one line on stderr).
 *
 * What can go wrong: a server that stops answering (30 s read/write timeouts per
 * step; the transaction counts as failed); a source address not configured on this host
 * (bind fails: every transaction fails, the error says so); reply lines over 2,000 bytes
 * (failed, never buffered further); message files over 16 MiB or 256 MiB in all, more
 * than 100,000 files (set-up error).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 100000
#define MAX_FILE_BYTES (16u * 1024 * 1024)
#define MAX_TOTAL_BYTES ((size_t)256 * 1024 * 1024)
#define MAX_MESSAGES 10000000UL
#define MAX_SESSIONS 1024UL
#define MAX_ADDR 320		/* a mailbox is at most 254 octets (RFC 5321 4.5.3.1.3) */
#define IO_TIMEOUT_S 30
#define LINE_MAX_BYTES 2000	/* reply lines are at most 512 (RFC 5321 4.5.3.1.5) */
#define RBUF_BYTES 4096

/* One message, ready for the wire. */
struct message {
	char *data;		/* CRLF, dot-stuffed, ending "\r\n.\r\n" */
	size_t len;
	char mail_from[MAX_ADDR];	/* "<addr>" */
};

/* What every thread shares. */
struct load {
	struct message *msgs;
	size_t nmsgs;
	struct sockaddr_in server;
	uint32_t first_src;	/* host order; 0: no bind */
	unsigned long nsrc;
	uint64_t period;	/* lcm(files, nsrc): the pairing shifts after it */
	unsigned long total;	/* messages to send */
	const char *rcpt;
	const char *ehlo;
	double *latency_ms;	/* per message number; < 0 when it failed */
	atomic_ulong next;
	atomic_ulong sent;
	atomic_ulong failed;
	atomic_bool reported;
};

/* A connection with its bounded read buffer. */
struct conn {
	int fd;
	char buf[RBUF_BYTES];
	size_t off, len;
};

/* Print a one-line usage error and exit 2. */
static void
die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("smtp_load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (usage: smtp_load -p PORT [-H HOST] [-c SESSIONS] [-n MESSAGES] "
	    "[-a FIRST_SRC_IP -A N_SRC_IPS] [-r RCPT] [-e EHLO] DIR)\n", stderr);
	exit(2);
}

/* Parse a decimal number in [lo, hi], or exit 2 naming the option. */
static unsigned long
parse_num(const char *s, unsigned long lo, unsigned long hi, char opt)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		die_usage("-%c wants a number, got '%s'", opt, s);
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		die_usage("-%c wants a number in %lu..%lu, got '%s'", opt, lo, hi, s);
	return v;
}

/* Read a whole file of at most MAX_FILE_BYTES; NULL on error. */
static char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *data;
	size_t len;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 ||
	    (unsigned long long)st.st_size > MAX_FILE_BYTES) {
		fclose(f);
		return NULL;
	}
	len = (size_t)st.st_size;
	data = malloc(len + 1);
	if (data == NULL || fread(data, 1, len, f) != len) {
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	data[len] = '\0';
	*lenp = len;
	return data;
}

/* The wire form of a message: CRLF line ends, dot-stuffed (RFC 5321 4.5.2), then ".". */
static char *
wire_form(const char *in, size_t len, size_t *outlen)
{
	size_t lines = 1, i, o = 0, cap;
	char *out;

	for (i = 0; i < len; i++)
		if (in[i] == '\n')
			lines++;
	/* Each line may gain a '.', a '\r' and a '\n'; then "\r\n.\r\n". Bounded by
	 * MAX_FILE_BYTES, so no overflow. */
	cap = len + 3 * lines + 8;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	i = 0;
	while (i < len) {
		const char *nl = memchr(in + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - in) : len, l = end - i;

		if (l > 0 && in[end - 1] == '\r')
			l--;
		if (l > 0 && in[i] == '.')
			out[o++] = '.';
		memcpy(out + o, in + i, l);
		o += l;
		out[o++] = '\r';
		out[o++] = '\n';
		i = nl ? end + 1 : len;
	}
	memcpy(out + o, ".\r\n", 3);
	o += 3;
	*outlen = o;
	return out;
}

/* The MAIL FROM of NAME.eml from NAME.from, as "<addr>"; "<>" without one. */
static int
read_sender(const char *dir, const char *name, size_t stem, char *out, size_t outsz)
{
	char path[PATH_MAX], line[MAX_ADDR];
	const char *a;
	size_t l;
	FILE *f;

	snprintf(out, outsz, "<>");
	if ((size_t)snprintf(path, sizeof(path), "%s/%.*s.from", dir, (int)stem, name) >=
	    sizeof(path))
		return -1;
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	l = strcspn(line, "\r\n");
	line[l] = '\0';
	a = line;
	if (*a == '<' && l >= 2 && line[l - 1] == '>') {
		a++;
		line[l - 1] = '\0';
	}
	if (strlen(a) > 254 || strpbrk(a, "<> \t") != NULL)
		return -1;
	snprintf(out, outsz, "<%s>", a);
	return 0;
}

/* Order file names for qsort. */
static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every DIR/NAME.eml in name order; exits 2 on set-up errors. */
static void
load_messages(const char *dir, struct load *ld)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names, path[PATH_MAX];
	size_t n = 0, i, total = 0;

	if (d == NULL)
		die_usage("cannot open %s: %s", dir, strerror(errno));
	if ((names = calloc(MAX_FILES, sizeof(*names))) == NULL)
		die_usage("out of memory");
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l <= 4 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		if (n == MAX_FILES)
			die_usage("more than %d .eml files in %s", MAX_FILES, dir);
		if ((names[n++] = strdup(e->d_name)) == NULL)
			die_usage("out of memory");
	}
	closedir(d);
	if (n == 0)
		die_usage("no NAME.eml files in %s", dir);
	qsort(names, n, sizeof(*names), cmp_names);
	if ((ld->msgs = calloc(n, sizeof(*ld->msgs))) == NULL)
		die_usage("out of memory");
	for (i = 0; i < n; i++) {
		struct message *m = &ld->msgs[i];
		size_t len, stem = strlen(names[i]) - 4;
		char *raw;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			die_usage("path too long: %s/%s", dir, names[i]);
		if ((raw = read_file(path, &len)) == NULL)
			die_usage("cannot read %s (or over %u bytes)", path, MAX_FILE_BYTES);
		m->data = wire_form(raw, len, &m->len);
		free(raw);
		if (m->data == NULL)
			die_usage("out of memory");
		total += m->len;
		if (total > MAX_TOTAL_BYTES)
			die_usage("messages in %s over %zu bytes in all", dir, MAX_TOTAL_BYTES);
		if (read_sender(dir, names[i], stem, m->mail_from, sizeof(m->mail_from)) < 0)
			die_usage("bad sender file for %s (one address on its first line)", path);
		free(names[i]);
	}
	free(names);
	ld->nmsgs = n;
}

/* Copy printable bytes of S (at most LEN) into OUT for an error message. */
static void
printable(const char *s, size_t len, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < outsz; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[o] = '\0';
}

/* Report the first failure on stderr (later ones are only counted). */
static void
report_failure(struct load *ld, unsigned long msgno, const char *step, const char *fmt, ...)
{
	bool expected = false;
	va_list ap;

	if (!atomic_compare_exchange_strong(&ld->reported, &expected, true))
		return;
	fprintf(stderr, "smtp_load: message %lu, %s: ", msgno, step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Write all of BUF; 0, or -1 with errno. */
static int
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One reply line into LINE (without CRLF); its length, or -1 (error, EOF, too long). */
static int
read_line(struct conn *c, char *line, size_t linesz)
{
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		ssize_t r;

		if (nl != NULL) {
			size_t l = (size_t)(nl - (c->buf + c->off));
			size_t keep = l > 0 && nl[-1] == '\r' ? l - 1 : l;

			if (keep >= linesz)
				return -1;
			memcpy(line, c->buf + c->off, keep);
			line[keep] = '\0';
			c->off += l + 1;
			return (int)keep;
		}
		if (c->len - c->off >= LINE_MAX_BYTES) {
			errno = EMSGSIZE;
			return -1;
		}
		if (c->off > 0) {	/* compact: the partial line moves to the front */
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		c->len += (size_t)r;
	}
}

/*
 * Read one reply (multi-line: "250-...", RFC 5321 4.2.1) and check its first digit
 * against WANT; false on a wrong code or an I/O error, reported for STEP.
 */
static bool
expect_reply(struct load *ld, struct conn *c, char want, unsigned long msgno, const char *step)
{
	char line[LINE_MAX_BYTES + 1], shown[200];
	int l;

	for (;;) {
		l = read_line(c, line, sizeof(line));
		if (l < 0) {
			report_failure(ld, msgno, step, "no reply (%s)",
			    errno == EAGAIN || errno == EWOULDBLOCK ? "timeout" : strerror(errno));
			return false;
		}
		if (l < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || (l > 3 && line[3] != ' ' && line[3] != '-')) {
			printable(line, (size_t)l, shown, sizeof(shown));
			report_failure(ld, msgno, step, "malformed reply '%s'", shown);
			return false;
		}
		if (l == 3 || line[3] == ' ')
			break;
	}
	if (line[0] != want) {
		printable(line, (size_t)l, shown, sizeof(shown));
		report_failure(ld, msgno, step, "'%s'", shown);
		return false;
	}
	return true;
}

/* Send a command line and check the reply's first digit. */
static bool
command(struct load *ld, struct conn *c, const char *cmd, char want, unsigned long msgno,
	const char *step)
{
	if (send_all(c->fd, cmd, strlen(cmd)) < 0) {
		report_failure(ld, msgno, step, "send: %s", strerror(errno));
		return false;
	}
	return expect_reply(ld, c, want, msgno, step);
}

/* Open a connection from the source address of message MSGNO; -1 on error (reported). */
static int
open_conn(struct load *ld, unsigned long msgno)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S, .tv_usec = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		report_failure(ld, msgno, "socket", "%s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));	/* connect too */
	if (ld->first_src != 0) {
		uint64_t k = ((uint64_t)msgno + msgno / ld->period) % ld->nsrc;
		struct sockaddr_in src;
		char a[INET_ADDRSTRLEN];

		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(ld->first_src + (uint32_t)k);
#ifdef IP_BIND_ADDRESS_NO_PORT
		/* The port is picked at connect(), per (source, destination) pair. */
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
#endif
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			inet_ntop(AF_INET, &src.sin_addr, a, sizeof(a));
			report_failure(ld, msgno, "bind", "%s: %s", a, strerror(errno));
			close(fd);
			return -1;
		}
	}
	(void)one;
	if (connect(fd, (struct sockaddr *)&ld->server, sizeof(ld->server)) != 0) {
		report_failure(ld, msgno, "connect", "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Least common multiple (both at most 2^20: no overflow in 64 bits). */
static uint64_t
lcm(uint64_t a, uint64_t b)
{
	uint64_t x = a, y = b, t;

	while (y != 0) {
		t = x % y;
		x = y;
		y = t;
	}
	return a / x * b;
}

/* Milliseconds between two monotonic times. */
static double
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* One whole SMTP transaction for message MSGNO; true when every reply was right. */
static bool
transaction(struct load *ld, struct conn *c, unsigned long msgno)
{
	const struct message *m = &ld->msgs[msgno % ld->nmsgs];
	char cmd[MAX_ADDR + 300];
	bool ok;

	c->off = c->len = 0;
	if ((c->fd = open_conn(ld, msgno)) < 0)
		return false;
	ok = expect_reply(ld, c, '2', msgno, "greeting");
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", ld->ehlo);
	ok = ok && command(ld, c, cmd, '2', msgno, "EHLO");
	snprintf(cmd, sizeof(cmd), "MAIL FROM:%s\r\n", m->mail_from);
	ok = ok && command(ld, c, cmd, '2', msgno, "MAIL FROM");
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", ld->rcpt);
	ok = ok && command(ld, c, cmd, '2', msgno, "RCPT TO");
	ok = ok && command(ld, c, "DATA\r\n", '3', msgno, "DATA");
	if (ok && send_all(c->fd, m->data, m->len) < 0) {
		report_failure(ld, msgno, "message", "send: %s", strerror(errno));
		ok = false;
	}
	ok = ok && expect_reply(ld, c, '2', msgno, "end of data");
	ok = ok && command(ld, c, "QUIT\r\n", '2', msgno, "QUIT");
	close(c->fd);
	c->fd = -1;
	return ok;
}

/* A session thread: take message numbers until none are left. */
static void *
session(void *arg)
{
	struct load *ld = arg;
	struct conn *c = malloc(sizeof(*c));
	unsigned long i;

	if (c == NULL) {
		report_failure(ld, 0, "session", "out of memory");
		return NULL;
	}
	while ((i = atomic_fetch_add(&ld->next, 1UL)) < ld->total) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (transaction(ld, c, i)) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ld->latency_ms[i] = ms_between(&t0, &t1);
			atomic_fetch_add(&ld->sent, 1UL);
		} else {
			ld->latency_ms[i] = -1;
			atomic_fetch_add(&ld->failed, 1UL);
		}
	}
	free(c);
	return NULL;
}

/* Order doubles for qsort. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Write "I MS" per message number to PATH; false (said on stderr) when it cannot. */
static bool
write_latencies(const struct load *ld, const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned long i;
	bool ok;

	if (f == NULL) {
		fprintf(stderr, "smtp_load: %s: %s\n", path, strerror(errno));
		return false;
	}
	for (i = 0; i < ld->total; i++)
		fprintf(f, "%lu %.3f\n", i, ld->latency_ms[i] < 0 ? -1.0 : ld->latency_ms[i]);
	ok = !ferror(f);
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "smtp_load: %s: write failed\n", path);
		return false;
	}
	return true;
}

/* Print the result line: rate over ELAPSED, median, mean, p99 and max of the completed. */
static void
print_result(struct load *ld, double elapsed_ms)
{
	unsigned long i, n = 0, sent = atomic_load(&ld->sent);
	double sum = 0, median = 0, p99 = 0, max = 0;

	for (i = 0; i < ld->total; i++)
		if (ld->latency_ms[i] >= 0) {
			ld->latency_ms[n++] = ld->latency_ms[i];
			sum += ld->latency_ms[i];
		}
	if (n > 0) {
		qsort(ld->latency_ms, n, sizeof(double), cmp_double);
		median = n % 2 ? ld->latency_ms[n / 2] :
		    (ld->latency_ms[n / 2 - 1] + ld->latency_ms[n / 2]) / 2;
		/* The nearest-rank percentile: rank ceil(0.99 n). */
		p99 = ld->latency_ms[(n * 99 + 99) / 100 - 1];
		max = ld->latency_ms[n - 1];
	}
	printf("sent=%lu failed=%lu elapsed_ms=%.0f rate=%.1f median_ms=%.2f mean_ms=%.2f "
	    "p99_ms=%.2f max_ms=%.2f\n", sent, atomic_load(&ld->failed), elapsed_ms,
	    elapsed_ms > 0 ? (double)sent * 1e3 / elapsed_ms : 0.0, median,
	    n > 0 ? sum / (double)n : 0.0, p99, max);
}

int
main(int argc, char **argv)
{
	static struct load ld;
	const char *host = "127.0.0.1", *latency_file = NULL;
	unsigned long port = 0, sessions = 10, i, started = 0;
	struct in_addr src;
	struct timespec t0, t1;
	pthread_t *tids;
	bool have_src = false;
	int c;

	ld.total = 1000;
	ld.nsrc = 1;
	ld.rcpt = "rcpt@x.test";
	ld.ehlo = "smtp-load.invalid";
	while ((c = getopt(argc, argv, "p:H:c:n:a:A:r:e:o:")) != -1) {
		switch (c) {
		case 'p': port = parse_num(optarg, 1, 65535, 'p'); break;
		case 'H': host = optarg; break;
		case 'c': sessions = parse_num(optarg, 1, MAX_SESSIONS, 'c'); break;
		case 'n': ld.total = parse_num(optarg, 1, MAX_MESSAGES, 'n'); break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &src) != 1 || src.s_addr == 0)
				die_usage("-a wants an IPv4 address, got '%s'", optarg);
			have_src = true;
			break;
		case 'A': ld.nsrc = parse_num(optarg, 1, 1UL << 20, 'A'); break;
		case 'r': ld.rcpt = optarg; break;
		case 'e': ld.ehlo = optarg; break;
		case 'o': latency_file = optarg; break;
		default: die_usage("unknown option");
		}
	}
	if (port == 0)
		die_usage("-p PORT is required");
	if (argc - optind != 1)
		die_usage("one message directory expected");
	if (strlen(ld.rcpt) > 254 || strpbrk(ld.rcpt, "<> \r\n") != NULL ||
	    strlen(ld.ehlo) > 255 || strpbrk(ld.ehlo, " \r\n") != NULL)
		die_usage("bad -r or -e");
	memset(&ld.server, 0, sizeof(ld.server));
	ld.server.sin_family = AF_INET;
	ld.server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &ld.server.sin_addr) != 1)
		die_usage("-H wants an IPv4 address, got '%s'", host);
	if (have_src) {
		ld.first_src = ntohl(src.s_addr);
		if ((uint64_t)ld.first_src + ld.nsrc - 1 > UINT32_MAX)
			die_usage("-a/-A run past 255.255.255.255");
	} else if (ld.nsrc != 1) {
		die_usage("-A needs -a");
	}
	load_messages(argv[optind], &ld);
	ld.period = lcm(ld.nmsgs, ld.nsrc);
	ld.latency_ms = calloc(ld.total, sizeof(double));
	tids = calloc(sessions, sizeof(*tids));
	if (ld.latency_ms == NULL || tids == NULL)
		die_usage("out of memory");
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < sessions; i++) {
		if (pthread_create(&tids[i], NULL, session, &ld) != 0)
			break;
		started++;
	}
	if (started == 0)
		die_usage("cannot start threads");
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (latency_file != NULL && !write_latencies(&ld, latency_file))
		atomic_fetch_add(&ld.failed, 1UL);
	print_result(&ld, ms_between(&t0, &t1));
	for (i = 0; i < ld.nmsgs; i++)
		free(ld.msgs[i].data);
	free(ld.msgs);
	free(ld.latency_ms);
	free(tids);
	return atomic_load(&ld.failed) == 0 && atomic_load(&ld.sent) == ld.total ? 0 : 1;
}
