/*
 * test_smtp_probe.c - the STARTTLS probe (net/smtp_probe.c): the SMTP reply parser
 * on whole, partial and broken replies, and the probe against a small clear-text
 * SMTP server on loopback (a thread here): no STARTTLS offered, a greeting that is
 * not SMTP, a server that hangs up before its STARTTLS reply, one that answers 220
 * and then speaks no TLS, and the address guard that refuses loopback unless allowed. The TLS part
 * is tested by tests/integration/probe.sh against Postfix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/smtp_probe.h"

/* Parse a C string as a reply. */
static enum smtp_reply_status
parse(const char *s, struct smtp_reply *r)
{
	return smtp_reply_parse((const uint8_t *)s, strlen(s), r);
}

static void
test_reply_single(void **state)
{
	struct smtp_reply r;

	(void)state;
	assert_int_equal(parse("220 mx.example ESMTP\r\nrest", &r), SMTP_REPLY_DONE);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.nlines, 1);
	assert_int_equal(r.used, strlen("220 mx.example ESMTP\r\n"));
	assert_string_equal(r.text, "mx.example ESMTP");
	assert_false(r.starttls);
	assert_int_equal(parse("250\r\n", &r), SMTP_REPLY_DONE);
	assert_int_equal(r.code, 250);
	assert_int_equal(parse("220 bare lf\n", &r), SMTP_REPLY_DONE);
}

static void
test_reply_multiline(void **state)
{
	struct smtp_reply r;

	(void)state;
	assert_int_equal(parse("250-mx.example\r\n250-PIPELINING\r\n250-starttls \r\n"
	    "250 8BITMIME\r\n", &r), SMTP_REPLY_DONE);
	assert_int_equal(r.nlines, 4);
	assert_true(r.starttls);
	assert_string_equal(r.text, "mx.example");
	/* Not a keyword line: the greeting line, a longer word, a parameter. */
	assert_int_equal(parse("250-STARTTLS\r\n250 SIZE\r\n", &r), SMTP_REPLY_DONE);
	assert_false(r.starttls);
	assert_int_equal(parse("250-mx\r\n250-STARTTLSX\r\n250 X-STARTTLS\r\n", &r),
	    SMTP_REPLY_DONE);
	assert_false(r.starttls);
}

static void
test_reply_more(void **state)
{
	struct smtp_reply r;

	(void)state;
	assert_int_equal(parse("", &r), SMTP_REPLY_MORE);
	assert_int_equal(parse("250-mx\r\n250-STA", &r), SMTP_REPLY_MORE);
	assert_int_equal(parse("250-mx\r\n", &r), SMTP_REPLY_MORE);
	assert_int_equal(parse("22", &r), SMTP_REPLY_MORE);
}

static void
test_reply_bad(void **state)
{
	struct smtp_reply r;
	char line[SMTP_REPLY_LINE_MAX + 8], many[80 * 8];
	size_t i;

	(void)state;
	assert_int_equal(parse("HTTP/1.1 400 Bad\r\n", &r), SMTP_REPLY_BAD);
	assert_int_equal(parse("999 x\r\n", &r), SMTP_REPLY_BAD);
	assert_int_equal(parse("120 x\r\n", &r), SMTP_REPLY_BAD);
	assert_int_equal(parse("25\r\n", &r), SMTP_REPLY_BAD);
	assert_int_equal(parse("250x\r\n", &r), SMTP_REPLY_BAD);
	assert_int_equal(parse("250-a\r\n251 b\r\n", &r), SMTP_REPLY_BAD);
	/* A line over the limit, ended or not. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	assert_int_equal(smtp_reply_parse((uint8_t *)line, SMTP_REPLY_LINE_MAX, &r),
	    SMTP_REPLY_BAD);
	line[SMTP_REPLY_LINE_MAX + 2] = '\n';
	assert_int_equal(smtp_reply_parse((uint8_t *)line, SMTP_REPLY_LINE_MAX + 3, &r),
	    SMTP_REPLY_BAD);
	/* Just under the limit is fine. */
	line[SMTP_REPLY_LINE_MAX - 1] = '\n';
	assert_int_equal(smtp_reply_parse((uint8_t *)line, SMTP_REPLY_LINE_MAX, &r),
	    SMTP_REPLY_DONE);
	/* Too many lines. */
	many[0] = '\0';
	for (i = 0; i <= SMTP_REPLY_LINES_MAX; i++)
		strcat(many, "250-x\n");
	strcat(many, "250 y\n");
	assert_int_equal(parse(many, &r), SMTP_REPLY_BAD);
	/* Unprintable bytes of the text are sanitized. */
	assert_int_equal(parse("220 a\x01\x7f b\r\n", &r), SMTP_REPLY_DONE);
	for (i = 0; r.text[i] != '\0'; i++)
		assert_true(r.text[i] >= 0x20 && r.text[i] < 0x7f);
}

/* ---- a clear-text server on loopback ---- */

struct server {
	int lfd;
	unsigned port;
	const char *greeting;		/* sent first */
	const char *ehlo_reply;		/* sent after a line is read */
	bool close_after_ehlo;		/* hang up after the EHLO reply */
	const char *starttls_reply;	/* sent after STARTTLS, then garbage, then close */
	char seen[512];			/* what the client said */
};

/* Accept one connection, speak the scripted replies, record what was said. */
static void *
server_run(void *arg)
{
	struct server *s = arg;
	size_t have = 0;
	ssize_t n;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	(void)!write(fd, s->greeting, strlen(s->greeting));
	while (have < sizeof(s->seen) - 1 &&
	    (n = read(fd, s->seen + have, sizeof(s->seen) - 1 - have)) > 0) {
		have += (size_t)n;
		s->seen[have] = '\0';
		if (strstr(s->seen, "EHLO") != NULL && strstr(s->seen, "\r\n") != NULL &&
		    s->ehlo_reply != NULL) {
			(void)!write(fd, s->ehlo_reply, strlen(s->ehlo_reply));
			s->ehlo_reply = NULL;
			if (s->close_after_ehlo)
				break;
		}
		if (s->starttls_reply != NULL && strstr(s->seen, "STARTTLS\r\n") != NULL) {
			(void)!write(fd, s->starttls_reply, strlen(s->starttls_reply));
			(void)!write(fd, "this is not TLS\r\n", 17);
			break;
		}
		if (strstr(s->seen, "QUIT\r\n") != NULL) {
			(void)!write(fd, "221 bye\r\n", 9);
			break;
		}
	}
	close(fd);
	return NULL;
}

/* Listen on 127.0.0.1, an ephemeral port. */
static void
server_listen(struct server *s)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);

	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&in, &len), 0);
	s->port = ntohs(in.sin_port);
}

/* Probe the server once, allowing loopback. */
static void
probe_server(struct server *s, struct smtp_probe_result *res)
{
	struct smtp_probe_options opts = { 0, NULL, true, "probe.example" };
	struct smtp_probe_request req;
	pthread_t t;

	server_listen(s);
	opts.port = s->port;
	memset(&req, 0, sizeof(req));
	req.host = "mx.example";
	req.addrs[0][0] = 127;
	req.addrs[0][3] = 1;
	req.addr_lens[0] = 4;
	req.naddrs = 1;
	assert_int_equal(pthread_create(&t, NULL, server_run, s), 0);
	smtp_probe_many(&opts, &req, res, 1, 0);
	pthread_join(t, NULL);
	close(s->lfd);
}

static void
test_probe_no_starttls(void **state)
{
	struct server s = { .greeting = "220 mx.example ESMTP\r\n",
	    .ehlo_reply = "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n" };
	struct smtp_probe_result res;

	(void)state;
	probe_server(&s, &res);
	assert_int_equal(res.status, SMTP_PROBE_NO_STARTTLS);
	assert_string_equal(res.banner, "mx.example ESMTP");
	assert_string_equal(res.address, "127.0.0.1");
	assert_int_equal(res.pkix, -1);
	/* EHLO with our name, then QUIT: never MAIL, RCPT or DATA. */
	assert_non_null(strstr(s.seen, "EHLO probe.example\r\n"));
	assert_non_null(strstr(s.seen, "QUIT\r\n"));
	assert_null(strstr(s.seen, "MAIL"));
}

static void
test_probe_not_smtp(void **state)
{
	struct server s = { .greeting = "SSH-2.0-OpenSSH_9.6\r\n" };
	struct smtp_probe_result res;

	(void)state;
	probe_server(&s, &res);
	assert_int_equal(res.status, SMTP_PROBE_ERR_PROTOCOL);
	assert_null(strstr(s.seen, "EHLO"));
}

static void
test_probe_hangups(void **state)
{
	struct server s1 = { .greeting = "220 mx ESMTP\r\n",
	    .ehlo_reply = "250-mx\r\n250 STARTTLS\r\n", .close_after_ehlo = true };
	struct server s2 = { .greeting = "220 mx ESMTP\r\n",
	    .ehlo_reply = "250-mx\r\n250 STARTTLS\r\n", .starttls_reply = "220 go\r\n" };
	struct smtp_probe_result res;

	(void)state;
	/* Gone before the STARTTLS reply: a protocol error, and no signal kills us. */
	probe_server(&s1, &res);
	assert_int_equal(res.status, SMTP_PROBE_ERR_PROTOCOL);
	/* 220 to STARTTLS, then no TLS: the handshake fails. */
	probe_server(&s2, &res);
	assert_int_equal(res.status, SMTP_PROBE_ERR_TLS);
	assert_int_equal(res.pkix, -1);
	assert_non_null(strstr(res.error, "TLS handshake failed"));
}

static void
test_probe_refused_address(void **state)
{
	struct smtp_probe_options opts = { 25, NULL, false, NULL };
	struct smtp_probe_request req;
	struct smtp_probe_result res;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.host = "mx.example";
	req.addrs[0][0] = 127;
	req.addrs[0][3] = 1;
	req.addr_lens[0] = 4;
	req.addrs[1][0] = 10;
	req.addr_lens[1] = 4;
	req.naddrs = 2;
	smtp_probe_many(&opts, &req, &res, 1, 0);
	assert_int_equal(res.status, SMTP_PROBE_ERR_REFUSED_ADDRESS);
	assert_string_equal(res.address, "");
	req.naddrs = 0;
	smtp_probe_many(&opts, &req, &res, 1, 0);
	assert_int_equal(res.status, SMTP_PROBE_ERR_DNS);
	assert_string_equal(smtp_probe_status_text(SMTP_PROBE_NO_STARTTLS), "no STARTTLS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_single),
		cmocka_unit_test(test_reply_multiline),
		cmocka_unit_test(test_reply_more),
		cmocka_unit_test(test_reply_bad),
		cmocka_unit_test(test_probe_no_starttls),
		cmocka_unit_test(test_probe_not_smtp),
		cmocka_unit_test(test_probe_hangups),
		cmocka_unit_test(test_probe_refused_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
