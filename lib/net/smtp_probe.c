/*
 * smtp_probe.c - the STARTTLS probe of MX hosts (see smtp_probe.h).
 *
 * One probe is one thread (smtp_probe_many() starts at most SMTP_PROBE_MAX_HOSTS),
 * on a non-blocking socket: every wait is a poll() bounded by the step's timeout
 * (connect, one reply, the handshake) and by the probe's and the batch's deadlines,
 * so a silent or slow server costs at most those. The dialogue:
 *   banner 220 -> EHLO -> 250 (STARTTLS among the keywords?) -> STARTTLS -> 220 ->
 *   handshake -> QUIT over TLS (its reply is not waited for long) -> close.
 * Without STARTTLS the probe says QUIT in clear text and reports SMTP_PROBE_NO_STARTTLS.
 * Bytes a server sends after its 220 to STARTTLS (in clear text, before the
 * handshake: the injection of CVE-2011-0411) are thrown away, never read as replies.
 *
 * Replies are read by smtp_reply_parse(), a pure function over the bytes read so
 * far (fuzzed: tests/fuzz/fuzz_smtp_reply.c): a reply that grows past the buffer,
 * a line past SMTP_REPLY_LINE_MAX or too many lines end the probe as a protocol error.
 *
 * SIGPIPE: OpenSSL writes to the socket with write(), which raises SIGPIPE when the
 * server has closed; a probe blocks it in its thread and takes a pending one back
 * before it restores the mask, so neither program dies of a server that hangs up.
 *
 * What can go wrong: a server that lies, stalls or sends garbage: each is a status
 * with an error text (sanitized: it may quote server bytes). OpenSSL failures are
 * SMTP_PROBE_ERR_TLS with OpenSSL's reason; out of memory SMTP_PROBE_ERR_INTERNAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "dns/dns.h"
#include "net/ipaddr.h"
#include "net/smtp_probe.h"
#include "util/dnsname.h"
#include "util/strbuf.h"

#define READ_BUF_MAX	16384		/* bytes of one reply, all lines */
#define QUIT_WAIT_MS	500		/* how long the 221 to QUIT is waited for */

/* ---- the reply parser ---- */

/* Whether three bytes are a reply code 2xx..5xx. */
static bool
is_code(const uint8_t *p)
{
	return p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
	    p[2] >= '0' && p[2] <= '9';
}

/* Whether the text of a line (after "250-") is the STARTTLS keyword. */
static bool
is_starttls(const uint8_t *p, size_t n)
{
	static const char kw[] = "STARTTLS";
	size_t k = sizeof(kw) - 1;

	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n == k && strncasecmp((const char *)p, kw, k) == 0;
}

/* Parse one reply at the start of buf (see smtp_probe.h). */
enum smtp_reply_status
smtp_reply_parse(const uint8_t *buf, size_t len, struct smtp_reply *r)
{
	size_t pos = 0, eol, end, text;
	bool last;

	memset(r, 0, sizeof(*r));
	for (;;) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);

		if (nl == NULL)
			return len - pos >= SMTP_REPLY_LINE_MAX ? SMTP_REPLY_BAD : SMTP_REPLY_MORE;
		eol = (size_t)(nl - buf);
		if (eol + 1 - pos > SMTP_REPLY_LINE_MAX)
			return SMTP_REPLY_BAD;
		end = eol > pos && buf[eol - 1] == '\r' ? eol - 1 : eol;
		if (end - pos < 3 || !is_code(buf + pos))
			return SMTP_REPLY_BAD;
		if (r->nlines > 0 && memcmp(buf + pos, buf, 3) != 0)
			return SMTP_REPLY_BAD;	/* the code changed between lines */
		if (end - pos > 3 && buf[pos + 3] != '-' && buf[pos + 3] != ' ')
			return SMTP_REPLY_BAD;
		last = end - pos == 3 || buf[pos + 3] == ' ';
		text = end - pos > 3 ? pos + 4 : end;
		if (r->nlines == 0)
			pt_sanitize(buf + text, end - text, r->text, sizeof(r->text));
		else if (is_starttls(buf + text, end - text))
			r->starttls = true;
		if (++r->nlines > SMTP_REPLY_LINES_MAX)
			return SMTP_REPLY_BAD;
		pos = eol + 1;
		if (last)
			break;
	}
	r->code = (buf[0] - '0') * 100 + (buf[1] - '0') * 10 + (buf[2] - '0');
	r->used = pos;
	return SMTP_REPLY_DONE;
}

/* ---- one probe ---- */

struct probe {
	const struct smtp_probe_options *opts;	/* borrowed */
	const struct smtp_probe_request *req;	/* borrowed */
	struct smtp_probe_result *res;		/* borrowed, filled */
	uint64_t deadline_ms;			/* the probe's and the batch's, nearest */
	int fd;
	SSL_CTX *sctx;
	SSL *ssl;
	uint8_t buf[READ_BUF_MAX];
	size_t have;
};

/* Record the outcome of a failed step: status and a one-line, printable error. */
static int __attribute__((format(printf, 3, 4)))
fail(struct probe *p, int status, const char *fmt, ...)
{
	char raw[sizeof(p->res->error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	p->res->status = status;
	pt_sanitize(raw, strlen(raw), p->res->error, sizeof(p->res->error));
	return -1;
}

/* Milliseconds left of a step that may take want ms; 0 when the deadline passed. */
static int
wait_budget(const struct probe *p, unsigned want)
{
	uint64_t now = dns_now_ms();
	uint64_t left;

	if (now >= p->deadline_ms)
		return 0;
	left = p->deadline_ms - now;
	return (int)(left < want ? left : want);
}

/* Poll the socket for events until step_end; 1 ready, 0 timeout, -1 error. */
static int
wait_fd(const struct probe *p, short events, uint64_t step_end)
{
	struct pollfd pfd;
	uint64_t now;
	int rc;

	for (;;) {
		now = dns_now_ms();
		if (now >= step_end || now >= p->deadline_ms)
			return 0;
		pfd.fd = p->fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)((step_end < p->deadline_ms ? step_end :
		    p->deadline_ms) - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Connect to one address; 0, or -1 with the status set. */
static int
connect_addr(struct probe *p, const uint8_t *addr, size_t len, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int err = 0, rc;
	socklen_t errlen = sizeof(err);
	unsigned want = p->req->connect_timeout_ms ? p->req->connect_timeout_ms :
	    SMTP_PROBE_CONNECT_TIMEOUT_MS;

	memset(&ss, 0, sizeof(ss));
	if (len == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, addr, 4);
		sslen = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		memcpy(&in6->sin6_addr, addr, 16);
		sslen = sizeof(*in6);
	}
	p->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return fail(p, SMTP_PROBE_ERR_INTERNAL, "socket: %s", strerror(errno));
	rc = connect(p->fd, (struct sockaddr *)&ss, sslen);
	if (rc < 0 && errno == EINPROGRESS) {
		rc = wait_fd(p, POLLOUT, dns_now_ms() + (uint64_t)wait_budget(p, want));
		if (rc == 0) {
			close(p->fd);
			p->fd = -1;
			return fail(p, SMTP_PROBE_ERR_TIMEOUT, "connect timeout");
		}
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
			err = errno;
		rc = err ? -1 : 0;
		errno = err;
	}
	if (rc < 0) {
		err = errno;
		close(p->fd);
		p->fd = -1;
		return fail(p, SMTP_PROBE_ERR_CONNECT, "connect: %s", strerror(err));
	}
	ipaddr_to_text(addr, len, p->res->address, sizeof(p->res->address));
	return 0;
}

/* Connect to the first allowed address that answers; 0 or -1. */
static int
connect_host(struct probe *p)
{
	const struct smtp_probe_request *req = p->req;
	unsigned port = p->opts->port ? p->opts->port : 25;
	enum ipaddr_class cls, first_cls = IPADDR_INVALID;
	char text[IPADDR_TEXT_MAX];
	size_t i, tried = 0, first = SIZE_MAX;
	size_t n = req->naddrs < SMTP_PROBE_MAX_ADDRS ? req->naddrs : SMTP_PROBE_MAX_ADDRS;

	for (i = 0; i < n; i++) {
		if (req->addr_lens[i] != 4 && req->addr_lens[i] != 16)
			continue;
		cls = ipaddr_classify(req->addrs[i], req->addr_lens[i]);
		if (!ipaddr_may_connect(cls, p->opts->allow_private)) {
			if (first == SIZE_MAX) {
				first = i;
				first_cls = cls;
			}
			continue;
		}
		tried++;
		if (connect_addr(p, req->addrs[i], req->addr_lens[i], port) == 0)
			return 0;
		if (wait_budget(p, 1) == 0)
			return -1;
	}
	if (tried > 0)
		return -1;	/* the last failure is the status */
	if (first == SIZE_MAX)
		return fail(p, SMTP_PROBE_ERR_DNS, "no address to connect to");
	return fail(p, SMTP_PROBE_ERR_REFUSED_ADDRESS, "resolves to %s, %s: not probed",
	    ipaddr_to_text(req->addrs[first], req->addr_lens[first], text, sizeof(text)),
	    ipaddr_class_name(first_cls));
}

/* Read more bytes (clear text or TLS) until step_end; >0 bytes, 0 timeout/EOF, -1. */
static ssize_t
read_some(struct probe *p, uint64_t step_end)
{
	size_t room = sizeof(p->buf) - p->have;
	ssize_t got;
	int rc, e;

	for (;;) {
		if (p->ssl != NULL) {
			ERR_clear_error();
			rc = SSL_read(p->ssl, p->buf + p->have, (int)room);
			if (rc > 0)
				return rc;
			e = SSL_get_error(p->ssl, rc);
			if (e == SSL_ERROR_WANT_READ)
				rc = wait_fd(p, POLLIN, step_end);
			else if (e == SSL_ERROR_WANT_WRITE)
				rc = wait_fd(p, POLLOUT, step_end);
			else
				return -1;
		} else {
			got = recv(p->fd, p->buf + p->have, room, 0);
			if (got > 0)
				return got;
			if (got == 0)
				return -1;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
			rc = wait_fd(p, POLLIN, step_end);
		}
		if (rc <= 0)
			return rc;
	}
}

/* Read one reply into *r within the read timeout; 0, or -1 with the status set. */
static int
read_reply(struct probe *p, const char *after, struct smtp_reply *r)
{
	unsigned want = p->req->read_timeout_ms ? p->req->read_timeout_ms :
	    SMTP_PROBE_READ_TIMEOUT_MS;
	uint64_t step_end = dns_now_ms() + want;
	ssize_t got;

	for (;;) {
		switch (smtp_reply_parse(p->buf, p->have, r)) {
		case SMTP_REPLY_DONE:
			memmove(p->buf, p->buf + r->used, p->have - r->used);
			p->have -= r->used;
			return 0;
		case SMTP_REPLY_BAD:
			return fail(p, SMTP_PROBE_ERR_PROTOCOL, "not an SMTP reply %s", after);
		case SMTP_REPLY_MORE:
			break;
		}
		if (p->have == sizeof(p->buf))
			return fail(p, SMTP_PROBE_ERR_PROTOCOL, "reply %s too long", after);
		got = read_some(p, step_end);
		if (got == 0)
			return fail(p, SMTP_PROBE_ERR_TIMEOUT, "no reply %s in time", after);
		if (got < 0)
			return fail(p, SMTP_PROBE_ERR_PROTOCOL, "connection closed %s", after);
		p->have += (size_t)got;
	}
}

/* Send a command line (clear text or TLS); 0, or -1 with the status set. */
static int
send_line(struct probe *p, const char *line)
{
	size_t len = strlen(line), off = 0;
	uint64_t step_end = dns_now_ms() + SMTP_PROBE_READ_TIMEOUT_MS;
	ssize_t n;
	int rc, e;

	while (off < len) {
		if (p->ssl != NULL) {
			ERR_clear_error();
			rc = SSL_write(p->ssl, line + off, (int)(len - off));
			if (rc > 0) {
				off += (size_t)rc;
				continue;
			}
			e = SSL_get_error(p->ssl, rc);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				return fail(p, SMTP_PROBE_ERR_PROTOCOL, "TLS write failed");
			rc = wait_fd(p, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, step_end);
		} else {
			n = send(p->fd, line + off, len - off, MSG_NOSIGNAL);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return fail(p, SMTP_PROBE_ERR_PROTOCOL, "send: %s", strerror(errno));
			rc = wait_fd(p, POLLOUT, step_end);
		}
		if (rc <= 0)
			return fail(p, SMTP_PROBE_ERR_TIMEOUT, "send timeout");
	}
	return 0;
}

/* The EHLO name: the option, else this host's name when it is one, else localhost. */
static void
helo_name(const struct smtp_probe_options *opts, char *out, size_t outlen)
{
	char host[256];

	if (opts->helo != NULL &&
	    dns_name_check(opts->helo, strlen(opts->helo), DNS_NAME_LDH) == DNS_NAME_OK) {
		snprintf(out, outlen, "%s", opts->helo);
		return;
	}
	host[sizeof(host) - 1] = '\0';
	if (gethostname(host, sizeof(host) - 1) == 0 && strchr(host, '.') != NULL &&
	    dns_name_check(host, strlen(host), DNS_NAME_LDH) == DNS_NAME_OK) {
		snprintf(out, outlen, "%s", host);
		return;
	}
	snprintf(out, outlen, "localhost");
}

/* The first OpenSSL error as text, or what. */
static const char *
ssl_reason(const char *what, char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		return what;
	ERR_error_string_n(e, buf, len);
	return buf;
}

/* Set up the SSL object: SNI, DANE with the caller's TLSA records. 0 or -1. */
static int
tls_setup(struct probe *p)
{
	const struct smtp_probe_request *req = p->req;
	char why[120];
	size_t i, added = 0;

	p->sctx = SSL_CTX_new(TLS_client_method());
	if (p->sctx == NULL)
		return fail(p, SMTP_PROBE_ERR_INTERNAL, "SSL_CTX_new failed");
	SSL_CTX_set_verify(p->sctx, SSL_VERIFY_NONE, NULL);	/* judged after */
	if (req->ntlsa > 0 && SSL_CTX_dane_enable(p->sctx) <= 0)
		return fail(p, SMTP_PROBE_ERR_INTERNAL, "%s",
		    ssl_reason("DANE not available", why, sizeof(why)));
	p->ssl = SSL_new(p->sctx);
	if (p->ssl == NULL || SSL_set_fd(p->ssl, p->fd) != 1)
		return fail(p, SMTP_PROBE_ERR_INTERNAL, "SSL_new failed");
	(void)SSL_set_tlsext_host_name(p->ssl, req->host);
	p->res->dane = -1;
	if (req->ntlsa == 0)
		return 0;
	if (SSL_dane_enable(p->ssl, req->host) <= 0)
		return fail(p, SMTP_PROBE_ERR_INTERNAL, "%s",
		    ssl_reason("SSL_dane_enable failed", why, sizeof(why)));
	/* DANE-EE(3) ignores names (RFC 7672 3.1.1); expiry is not checked for it. */
	SSL_dane_set_flags(p->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < req->ntlsa && i < SMTP_PROBE_MAX_TLSA; i++)
		if (SSL_dane_tlsa_add(p->ssl, req->tlsa[i].usage, req->tlsa[i].selector,
		    req->tlsa[i].mtype, req->tlsa[i].data, req->tlsa[i].len) > 0)
			added++;
	ERR_clear_error();	/* records OpenSSL cannot use are skipped (RFC 7671 5) */
	p->res->dane = added > 0 ? 0 : -1;
	return 0;
}

/* Run the handshake within the read timeout; 0, or -1 with the status set. */
static int
tls_handshake(struct probe *p)
{
	unsigned want = p->req->read_timeout_ms ? p->req->read_timeout_ms :
	    SMTP_PROBE_READ_TIMEOUT_MS;
	uint64_t step_end = dns_now_ms() + want;
	char why[120];
	int rc, e;

	for (;;) {
		ERR_clear_error();
		rc = SSL_connect(p->ssl);
		if (rc == 1)
			return 0;
		e = SSL_get_error(p->ssl, rc);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return fail(p, SMTP_PROBE_ERR_TLS, "TLS handshake failed: %s",
			    ssl_reason("connection closed", why, sizeof(why)));
		rc = wait_fd(p, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, step_end);
		if (rc <= 0)
			return fail(p, SMTP_PROBE_ERR_TIMEOUT, "TLS handshake timeout");
	}
}

/* The PKIX verdict: the chain verified against the CA file for the MX name. */
static void
tls_pkix(struct probe *p, X509 *leaf, STACK_OF(X509) *chain)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	int ok = -1;

	p->res->pkix = -1;
	if (store == NULL || vctx == NULL)
		goto done;
	if (p->opts->ca_file != NULL ? X509_STORE_load_locations(store, p->opts->ca_file,
	    NULL) != 1 : X509_STORE_set_default_paths(store) != 1) {
		snprintf(p->res->pkix_error, sizeof(p->res->pkix_error), "CA file not loaded");
		goto done;
	}
	if (X509_STORE_CTX_init(vctx, store, leaf, chain) != 1)
		goto done;
	X509_STORE_CTX_set_default(vctx, "ssl_server");
	if (X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(vctx), p->req->host, 0)
	    != 1)
		goto done;
	ok = X509_verify_cert(vctx) == 1 ? 1 : 0;
	if (ok == 0)
		snprintf(p->res->pkix_error, sizeof(p->res->pkix_error), "%s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
	p->res->pkix = ok;
done:
	ERR_clear_error();
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
}

/* What the handshake proved: chain length, DANE match, PKIX validity. */
static void
tls_judge(struct probe *p)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(p->ssl);
	X509 *leaf = SSL_get_peer_certificate(p->ssl);
	uint8_t usage = 0;
	int depth;

	snprintf(p->res->tls_version, sizeof(p->res->tls_version), "%s",
	    SSL_get_version(p->ssl));
	p->res->chain_len = chain != NULL ? (unsigned)sk_X509_num(chain) : 0;
	if (p->res->dane == 0 && SSL_get_verify_result(p->ssl) == X509_V_OK &&
	    (depth = SSL_get0_dane_authority(p->ssl, NULL, NULL)) >= 0 &&
	    SSL_get0_dane_tlsa(p->ssl, &usage, NULL, NULL, NULL, NULL) >= 0) {
		p->res->dane = 1;
		p->res->dane_usage = usage;
		p->res->dane_depth = depth;
	}
	if (leaf != NULL)
		tls_pkix(p, leaf, chain);
	else
		snprintf(p->res->pkix_error, sizeof(p->res->pkix_error), "no certificate");
	X509_free(leaf);
}

/* QUIT: sent, its reply waited for briefly and ignored. */
static void
say_quit(struct probe *p)
{
	uint64_t end = dns_now_ms() + QUIT_WAIT_MS;
	uint64_t saved = p->deadline_ms;

	if (send_line(p, "QUIT\r\n") < 0)
		return;
	if (end < p->deadline_ms)
		p->deadline_ms = end;
	p->have = 0;
	(void)read_some(p, end);
	p->deadline_ms = saved;
}

/* The dialogue on a connected socket; fills the result. */
static void
dialogue(struct probe *p)
{
	struct smtp_reply r;
	char line[300], helo[256];
	int status = p->res->status;

	if (read_reply(p, "to the greeting", &r) < 0)
		return;
	pt_sanitize(r.text, strlen(r.text), p->res->banner, sizeof(p->res->banner));
	if (r.code != 220) {
		(void)fail(p, SMTP_PROBE_ERR_PROTOCOL, "greeting %d %s", r.code, r.text);
		say_quit(p);
		return;
	}
	helo_name(p->opts, helo, sizeof(helo));
	snprintf(line, sizeof(line), "EHLO %s\r\n", helo);
	if (send_line(p, line) < 0 || read_reply(p, "to EHLO", &r) < 0)
		return;
	if (r.code != 250 || !r.starttls) {
		p->res->status = SMTP_PROBE_NO_STARTTLS;
		snprintf(p->res->error, sizeof(p->res->error), r.code != 250 ?
		    "EHLO answered %d" : "STARTTLS not offered after EHLO", r.code);
		say_quit(p);
		return;
	}
	if (send_line(p, "STARTTLS\r\n") < 0 || read_reply(p, "to STARTTLS", &r) < 0)
		return;
	if (r.code != 220) {
		p->res->status = SMTP_PROBE_NO_STARTTLS;
		snprintf(p->res->error, sizeof(p->res->error), "STARTTLS answered %d %s",
		    r.code, r.text);
		say_quit(p);
		return;
	}
	p->have = 0;	/* clear-text bytes after the 220: never replies (CVE-2011-0411) */
	if (tls_setup(p) < 0 || tls_handshake(p) < 0)
		return;
	tls_judge(p);
	p->res->status = status;
	say_quit(p);
}

/* One probe, start to end; the thread body. */
static void *
probe_run(void *arg)
{
	struct probe *p = arg;
	uint64_t start = dns_now_ms();
	unsigned total = p->req->timeout_ms ? p->req->timeout_ms : SMTP_PROBE_TIMEOUT_MS;
	sigset_t pipe_set, old_set, pending;
	struct timespec zero = { 0, 0 };
	bool blocked;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	blocked = pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set) == 0;

	memset(p->res, 0, sizeof(*p->res));
	p->res->status = SMTP_PROBE_TLS_OK;
	p->res->pkix = -1;
	p->res->dane = -1;
	p->fd = -1;
	if (p->deadline_ms == 0 || p->deadline_ms > start + total)
		p->deadline_ms = start + total;
	if (p->req->host == NULL || p->req->host[0] == '\0')
		(void)fail(p, SMTP_PROBE_ERR_DNS, "no host name");
	else if (connect_host(p) == 0)
		dialogue(p);
	if (p->ssl != NULL) {
		(void)SSL_shutdown(p->ssl);	/* one try: the socket is non-blocking */
		SSL_free(p->ssl);
	}
	SSL_CTX_free(p->sctx);
	if (p->fd >= 0)
		close(p->fd);
	ERR_clear_error();
	p->res->elapsed_ms = (unsigned)(dns_now_ms() - start);
	if (blocked) {
		/* A SIGPIPE of ours is pending on this thread: take it, then unblock. */
		if (!sigismember(&old_set, SIGPIPE) && sigpending(&pending) == 0 &&
		    sigismember(&pending, SIGPIPE))
			(void)sigtimedwait(&pipe_set, NULL, &zero);
		(void)pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	}
	return NULL;
}

/* Run n probes in parallel, one thread each. */
void
smtp_probe_many(const struct smtp_probe_options *opts,
		const struct smtp_probe_request *reqs,
		struct smtp_probe_result *results, size_t n, uint64_t deadline_ms)
{
	static const struct smtp_probe_options defaults = { 0, NULL, false, NULL };
	struct probe *ps;
	pthread_t tids[SMTP_PROBE_MAX_HOSTS];
	bool started[SMTP_PROBE_MAX_HOSTS] = { false };
	size_t i;

	if (opts == NULL)
		opts = &defaults;
	ps = calloc(n < SMTP_PROBE_MAX_HOSTS ? n : SMTP_PROBE_MAX_HOSTS, sizeof(*ps));
	for (i = 0; i < n; i++) {
		if (i >= SMTP_PROBE_MAX_HOSTS || ps == NULL) {
			memset(&results[i], 0, sizeof(results[i]));
			results[i].status = ps == NULL ? SMTP_PROBE_ERR_INTERNAL :
			    SMTP_PROBE_ERR_BUDGET;
			snprintf(results[i].error, sizeof(results[i].error), "%s",
			    ps == NULL ? "out of memory" : "not probed: too many at once");
			continue;
		}
		ps[i].opts = opts;
		ps[i].req = &reqs[i];
		ps[i].res = &results[i];
		ps[i].deadline_ms = deadline_ms;
		/* A single probe runs here; a thread that cannot start runs here too. */
		started[i] = n > 1 && pthread_create(&tids[i], NULL, probe_run, &ps[i]) == 0;
		if (!started[i])
			probe_run(&ps[i]);
	}
	for (i = 0; i < n && i < SMTP_PROBE_MAX_HOSTS; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	free(ps);
}

/* A short text for a status. */
const char *
smtp_probe_status_text(int status)
{
	switch (status) {
	case SMTP_PROBE_TLS_OK: return "STARTTLS";
	case SMTP_PROBE_NO_STARTTLS: return "no STARTTLS";
	case SMTP_PROBE_ERR_DNS: return "no address";
	case SMTP_PROBE_ERR_REFUSED_ADDRESS: return "refused address";
	case SMTP_PROBE_ERR_CONNECT: return "connect failed";
	case SMTP_PROBE_ERR_TLS: return "TLS failed";
	case SMTP_PROBE_ERR_TIMEOUT: return "timeout";
	case SMTP_PROBE_ERR_PROTOCOL: return "protocol error";
	case SMTP_PROBE_ERR_BUDGET: return "not probed";
	default: return "internal error";
	}
}
