/*
 * test_config.c - posture-milter.conf reading: values, defaults, errors with file:line;
 * the shared number, port and socket-spec parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "memory_open.h"
#include "pm_config.h"

/* Write text to a temporary file; its path goes to path. */
static void
write_conf(char *path, const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/pm-config-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Every kind of value is read into its field; comments and blanks are skipped. */
static void
test_config_reads_values(void **state)
{
	struct pm_config cfg;
	char path[64], err[256];

	(void)state;
	write_conf(path,
	    "# comment\n"
	    "\n"
	    "Socket  inet:8891@127.0.0.1   # trailing comment\n"
	    "Resolver 127.0.0.1:5300\n"
	    "resolver [::1]:5300, 10.0.0.1\n"
	    "EvaluationTimeout 2.5\n"
	    "DNSTimeout 1\n"
	    "MaxQueriesPerEvaluation 50\n"
	    "Selectors example.com:s1, example.org:sel-2\n"
	    "InternalHosts 192.168.0.0/16 ::1 10.1.2.3\n"
	    "TrustedARCSealers List.Example., relay.example\n"
	    "SkipAuthenticated no\n"
	    "StripHeaders ours\n"
	    "OnError tempfail\n"
	    "SyslogFacility LOCAL3\n"
	    "HistoryVersions 3\n"
	    "PostureView yes\n"
	    "CacheMinTTL 30\n"
	    "DNSSEC yes\n");
	pm_config_init(&cfg);
	assert_int_equal(pm_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.socket, "inet:8891@127.0.0.1");
	assert_int_equal(cfg.nresolvers, 3);
	assert_string_equal(cfg.resolvers[1], "[::1]:5300");
	assert_int_equal(cfg.evaluation_timeout_ms, 2500);
	assert_int_equal(cfg.dns_timeout_ms, 1000);
	assert_int_equal(cfg.max_queries, 50);
	assert_int_equal(cfg.nselectors, 2);
	assert_string_equal(cfg.selectors[1], "example.org:sel-2");
	assert_int_equal(cfg.ninternal_hosts, 3);
	assert_int_equal(cfg.ntrusted_sealers, 2);
	assert_string_equal(cfg.trusted_sealers[0], "list.example");	/* normalized */
	assert_string_equal(cfg.trusted_sealers[1], "relay.example");
	assert_false(cfg.skip_authenticated);
	assert_int_equal(cfg.strip_headers, PM_STRIP_OURS);
	assert_int_equal(cfg.on_error, PM_ON_ERROR_TEMPFAIL);
	assert_string_equal(cfg.syslog_facility, "local3");
	assert_int_equal(cfg.cache_min_ttl, 30);
	assert_int_equal(cfg.history_versions, 3);
	assert_true(cfg.posture_view);
	assert_true(cfg.dnssec);
	/* Untouched keys keep their defaults. */
	assert_true(cfg.auth_results);
	assert_int_equal(cfg.https_port, 443);
	pm_config_free(&cfg);
	/* PostureView is off and HistoryVersions 10 unless set. */
	pm_config_init(&cfg);
	assert_false(cfg.posture_view);
	assert_int_equal(cfg.history_versions, 10);
	unlink(path);
}

/* Each bad line is refused with the file, the line number and the key. */
static void
test_config_errors_name_file_line_key(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* after "PATH:" */
	} cases[] = {
		{ "Socket inet:8891\nBogusKey 1\n", "2: BogusKey: unknown key" },
		{ "DNSTimeout\n", "1: DNSTimeout: missing value" },
		{ "DNSTimeout soon\n", "1: DNSTimeout: not a number of seconds" },
		{ "MaxQueriesPerEvaluation 5\n", "1: MaxQueriesPerEvaluation: out of range" },
		{ "MaxQueriesPerEvaluation -20\n", "1: MaxQueriesPerEvaluation: not a number" },
		{ "HTTPSPort 70000\n", "1: HTTPSPort: not a port (a decimal number from 1 to 65535)" },
		{ "AuthResults maybe\n", "1: AuthResults: expected yes or no" },
		{ "InternalHosts 10.0.0.0/33\n", "1: InternalHosts: not an IP address or CIDR block" },
		{ "InternalHosts example.com\n", "1: InternalHosts: not an IP address or CIDR block" },
		{ "Selectors example.com\n", "1: Selectors: not a domain:selector pair" },
		{ "TrustedARCSealers list..example\n", "1: TrustedARCSealers: not a domain name" },
		{ "StripHeaders some\n", "1: StripHeaders: expected all or ours" },
		{ "OnError reject\n", "1: OnError: expected accept or tempfail" },
		{ "SyslogFacility kern\n", "1: SyslogFacility: not a syslog facility" },
		{ "Resolver dns.example:53\n", "1: Resolver: not an IP address" },
		{ "AuthservID mx.example.net;x\n", "1: AuthservID: use letters, digits" },
		{ "Resolver 127.0.0.1:99999\n", "1: Resolver: not an IP address" },
		/* Ports: decimal 1..65535 everywhere, never wrapped modulo 65536. */
		{ "Socket inet:99999@127.0.0.1\n", "1: Socket: not a port" },
		{ "Socket inet:0@127.0.0.1\n", "1: Socket: not a port" },
		{ "Socket inet:smtp@127.0.0.1\n", "1: Socket: not a port" },
		{ "Socket inet6:8891@[127.0.0.1]\n", "1: Socket: not an IPv6 address" },
		{ "Socket inet:8891@[::1]\n", "1: Socket: not an IPv4 address" },
		{ "Socket inet:8891@bad;host\n", "1: Socket: not an IPv4 address or host name" },
		{ "Socket unix:relative/sock\n", "1: Socket: a unix socket needs an absolute path" },
		{ "Socket tcp:8891\n", "1: Socket: unknown socket type" },
		{ "HTTPSPort 0x1BB\n", "1: HTTPSPort: not a port" },
		{ "HTTPSPort 65536\n", "1: HTTPSPort: not a port" },
		/* Numbers: decimal only, overflow checked. */
		{ "DNSTimeout 0x10\n", "1: DNSTimeout: not a number of seconds" },
		{ "DNSTimeout 1e1\n", "1: DNSTimeout: not a number of seconds" },
		{ "DNSTimeout +1\n", "1: DNSTimeout: not a number of seconds" },
		{ "DNSTimeout 1.2345\n", "1: DNSTimeout: not a number of seconds" },
		{ "DNSTimeout 99999999999999999999999\n", "1: DNSTimeout: out of range" },
		{ "MaxSignatures 99999999999999999999999\n", "1: MaxSignatures: out of range" },
		{ "CacheEntries +5\n", "1: CacheEntries: not a number" },
		/* What a value names is checked now, not at start-up. */
		{ "UserID no-such-user-pm-test\n", "1: UserID: no such user no-such-user-pm-test" },
		{ "CAFile /nonexistent/ca.pem\n",
		  "1: CAFile: cannot read /nonexistent/ca.pem: No such file or directory" },
		{ "CAFile ca.pem\n", "1: CAFile: needs an absolute path" },
		{ "BIMITrustAnchors /\n", "1: BIMITrustAnchors: / is not a regular file" },
		{ "PidFile /nonexistent/run/pm.pid\n", "1: PidFile: directory /nonexistent/run:" },
		/* The resolver's limit is said where the ninth address is. */
		{ "Resolver 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5\n"
		  "Resolver 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9\n",
		  "2: Resolver: too many items (at most 8)" },
		/* Bytes of the file are masked when echoed; control bytes are refused. */
		{ "K\xff\x80y 1\n", "1: K??y: unknown key" },
		{ "Socket inet:8891\x1b[2J@127.0.0.1\n", "1: NUL or control byte in the line" },
	};
	struct pm_config cfg;
	char path[64], err[256], want[320];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(path, cases[i].text);
		pm_config_init(&cfg);
		assert_int_equal(pm_config_load(path, &cfg, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].want);
		if (strncmp(err, want, strlen(want)) != 0)
			print_error("case %zu: got \"%s\"\n", i, err);
		assert_memory_equal(err, want, strlen(want));
		pm_config_free(&cfg);
		unlink(path);
	}
}

/* A missing file and CacheMinTTL above CacheMaxTTL are errors too. */
static void
test_config_file_level_errors(void **state)
{
	struct pm_config cfg;
	char path[64], err[256];

	(void)state;
	pm_config_init(&cfg);
	assert_int_equal(pm_config_load("/nonexistent/posture.conf", &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/posture.conf: No such file"));
	write_conf(path, "CacheMinTTL 600\nCacheMaxTTL 60\n");
	assert_int_equal(pm_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CacheMinTTL 600 is above CacheMaxTTL 60"));
	pm_config_free(&cfg);
	unlink(path);
}

/* A disagreement between two keys names the file and the line of the later one. */
static void
test_config_cross_key_error_names_later_line(void **state)
{
	struct pm_config cfg;
	char path[64], err[256], want[320];

	(void)state;
	write_conf(path, "CacheMinTTL 600\n# between\nCacheMaxTTL 60\n");
	pm_config_init(&cfg);
	assert_int_equal(pm_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: CacheMaxTTL: CacheMinTTL 600 is above CacheMaxTTL 60",
	    path);
	assert_string_equal(err, want);
	pm_config_free(&cfg);
	unlink(path);

	write_conf(path, "CacheMaxTTL 50\nSocket inet:8891\nCacheMinTTL 100\n");
	pm_config_init(&cfg);
	assert_int_equal(pm_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: CacheMinTTL: CacheMinTTL 100 is above CacheMaxTTL 50",
	    path);
	assert_string_equal(err, want);
	pm_config_free(&cfg);
	unlink(path);
}

/* A NUL byte ends no line early: it is an error naming the line. */
static void
test_config_nul_byte_refused(void **state)
{
	static const char text[] = "Socket inet:8891\nAuthservID mx\0;evil\n";
	struct pm_config cfg;
	char path[64], err[256], want[320];
	FILE *f;
	int fd;

	(void)state;
	strcpy(path, "/tmp/pm-config-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	pm_config_init(&cfg);
	assert_int_equal(pm_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: NUL or control byte in the line", path);
	assert_string_equal(err, want);
	pm_config_free(&cfg);
	unlink(path);
}

/* Values naming things that exist are accepted, and the socket forms all parse. */
static void
test_config_accepts_valid_names(void **state)
{
	struct pm_config cfg;
	char path[64], err[256];

	(void)state;
	write_conf(path,
	    "Socket inet6:8891@[::1]\n"
	    "UserID root\n"
	    "CAFile /etc/passwd\n"
	    "PidFile /tmp/posture-milter.pid\n"
	    "DNSTimeout 0.25\n"
	    "HTTPSPort 65535\n");
	pm_config_init(&cfg);
	assert_int_equal(pm_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.socket, "inet6:8891@[::1]");
	assert_string_equal(cfg.user_id, "root");
	assert_int_equal(cfg.dns_timeout_ms, 250);
	assert_int_equal(cfg.https_port, 65535);
	pm_config_free(&cfg);
	unlink(path);
}

/* pm_config_socket() splits every libmilter form; pm_config_port() is 1..65535. */
static void
test_config_socket_and_port_parsers(void **state)
{
	struct pm_socket_addr sa;
	unsigned port = 7;

	(void)state;
	assert_null(pm_config_socket("unix:/run/pm/sock", &sa));
	assert_int_equal(sa.family, AF_UNIX);
	assert_string_equal(sa.path, "/run/pm/sock");
	assert_null(pm_config_socket("local:/run/pm/sock", &sa));
	assert_int_equal(sa.family, AF_UNIX);
	assert_null(pm_config_socket("/run/pm/sock", &sa));
	assert_string_equal(sa.path, "/run/pm/sock");
	assert_null(pm_config_socket("inet:8891@127.0.0.1", &sa));
	assert_int_equal(sa.family, AF_INET);
	assert_int_equal(sa.port, 8891);
	assert_string_equal(sa.host, "127.0.0.1");
	assert_null(pm_config_socket("inet:8891", &sa));
	assert_string_equal(sa.host, "");
	assert_null(pm_config_socket("inet6:65535@[::1]", &sa));
	assert_int_equal(sa.family, AF_INET6);
	assert_int_equal(sa.port, 65535);
	assert_string_equal(sa.host, "::1");
	assert_null(pm_config_socket("inet:8891@localhost", &sa));
	assert_string_equal(sa.host, "localhost");
	assert_non_null(pm_config_socket("inet:65536@127.0.0.1", &sa));
	assert_non_null(pm_config_socket("inet:99999@127.0.0.1", &sa));
	assert_non_null(pm_config_socket("inet:@127.0.0.1", &sa));
	assert_non_null(pm_config_socket("inet6:8891@[::1", &sa));
	assert_non_null(pm_config_socket("unix:", &sa));
	assert_non_null(pm_config_socket("unix:/run/pm/so\nck", &sa));

	assert_null(pm_config_port("1", &port));
	assert_int_equal(port, 1);
	assert_null(pm_config_port("65535", &port));
	assert_int_equal(port, 65535);
	assert_non_null(pm_config_port("0", &port));
	assert_non_null(pm_config_port("65536", &port));
	assert_non_null(pm_config_port("4294967297", &port));
	assert_non_null(pm_config_port("", &port));
	assert_non_null(pm_config_port(" 1", &port));
	assert_non_null(pm_config_port("-1", &port));
	assert_int_equal(port, 65535);		/* untouched on error */
}

/* The shape of posture memory's snapshots follows Selectors, DNSSEC and ProbeMX. */
static void
test_memory_shape_follows_what_changes_results(void **state)
{
	struct pm_config a, b;
	uint32_t base;

	(void)state;
	pm_config_init(&a);
	pm_config_init(&b);
	base = memory_shape(&a);
	assert_int_equal(memory_shape(&b), base);	/* the same settings, the same shape */
	b.dnssec = true;
	assert_int_not_equal(memory_shape(&b), base);
	b.dnssec = false;
	b.probe_mx = true;
	assert_int_not_equal(memory_shape(&b), base);
	b.probe_mx = false;
	b.redis_timeout_ms = 7;				/* does not change results */
	b.history_versions = 3;
	assert_int_equal(memory_shape(&b), base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_shape_follows_what_changes_results),
		cmocka_unit_test(test_config_reads_values),
		cmocka_unit_test(test_config_errors_name_file_line_key),
		cmocka_unit_test(test_config_file_level_errors),
		cmocka_unit_test(test_config_cross_key_error_names_later_line),
		cmocka_unit_test(test_config_nul_byte_refused),
		cmocka_unit_test(test_config_accepts_valid_names),
		cmocka_unit_test(test_config_socket_and_port_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
