/*
 * test_config.c - posture-milter.conf reading: values, defaults, errors with file:line.
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
	    "SkipAuthenticated no\n"
	    "StripHeaders ours\n"
	    "OnError tempfail\n"
	    "SyslogFacility LOCAL3\n"
	    "CacheMinTTL 30\n");
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
	assert_false(cfg.skip_authenticated);
	assert_int_equal(cfg.strip_headers, PM_STRIP_OURS);
	assert_int_equal(cfg.on_error, PM_ON_ERROR_TEMPFAIL);
	assert_string_equal(cfg.syslog_facility, "local3");
	assert_int_equal(cfg.cache_min_ttl, 30);
	/* Untouched keys keep their defaults. */
	assert_true(cfg.auth_results);
	assert_int_equal(cfg.https_port, 443);
	pm_config_free(&cfg);
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
		{ "Socket x\nBogusKey 1\n", "2: BogusKey: unknown key" },
		{ "DNSTimeout\n", "1: DNSTimeout: missing value" },
		{ "DNSTimeout soon\n", "1: DNSTimeout: not a number of seconds" },
		{ "MaxQueriesPerEvaluation 5\n", "1: MaxQueriesPerEvaluation: out of range" },
		{ "MaxQueriesPerEvaluation -20\n", "1: MaxQueriesPerEvaluation: not a number" },
		{ "HTTPSPort 70000\n", "1: HTTPSPort: out of range" },
		{ "AuthResults maybe\n", "1: AuthResults: expected yes or no" },
		{ "InternalHosts 10.0.0.0/33\n", "1: InternalHosts: not an IP address or CIDR block" },
		{ "InternalHosts example.com\n", "1: InternalHosts: not an IP address or CIDR block" },
		{ "Selectors example.com\n", "1: Selectors: not a domain:selector pair" },
		{ "StripHeaders some\n", "1: StripHeaders: expected all or ours" },
		{ "OnError reject\n", "1: OnError: expected accept or tempfail" },
		{ "SyslogFacility kern\n", "1: SyslogFacility: not a syslog facility" },
		{ "Resolver dns.example:53\n", "1: Resolver: not an IP address" },
		{ "AuthservID mx.example.net;x\n", "1: AuthservID: use letters, digits" },
		{ "Resolver 127.0.0.1:99999\n", "1: Resolver: not an IP address" },
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_reads_values),
		cmocka_unit_test(test_config_errors_name_file_line_key),
		cmocka_unit_test(test_config_file_level_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
