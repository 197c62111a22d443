/*
 * test_log_json.c - LogFormat json (milter/log.c): each line shape gives its event and
 * fields, values are escaped, long lines are capped under PM_LOG_JSON_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"

#define NOW 1700000000123ULL	/* 2023-11-14T22:13:20.123Z */

/* The object for line at LOG_INFO, checked to contain every one of want. */
static void
expect(const char *line, const char *const *want)
{
	char *json = pm_log_json(LOG_INFO, line, NOW);

	assert_non_null(json);
	assert_true(strlen(json) <= PM_LOG_JSON_MAX);
	assert_true(strncmp(json, "{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"info\",",
	    50) == 0);
	for (; *want; want++)
		if (strstr(json, *want) == NULL)
			fail_msg("%s\nlacks %s", json, *want);
	free(json);
}

static void
test_finding(void **state)
{
	static const char *const want[] = { "\"event\":\"finding\"", "\"qid\":\"4XyZ1\"",
		"\"domain\":\"example.com\"", "\"code\":\"DMARC_POLICY_NONE\"",
		"\"severity\":\"warn\"", "\"family\":\"dmarc\"",
		"\"message\":\"4XyZ1: example.com: DMARC_POLICY_NONE warn: p=none \\\"quoted\\\\\"",
		NULL };

	(void)state;
	expect("4XyZ1: example.com: DMARC_POLICY_NONE warn: p=none \"quoted\\", want);
}

static void
test_summary(void **state)
{
	static const char *const want[] = { "\"event\":\"summary\"", "\"qid\":\"NOQUEUE\"",
		"\"domains\":[{\"role\":\"from\",\"domain\":\"a.example\",\"grade\":\"C\","
		"\"source\":\"evaluated\"},{\"role\":\"mailfrom\",\"domain\":\"b.example\","
		"\"grade\":\"temperror\",\"source\":\"late\"}]",
		"\"spf\":\"pass\",\"dkim\":\"none\",\"dmarc\":\"fail\"",
		"\"notes\":[\"removed 2 forged X-Domain-Posture\"]", "\"elapsed_ms\":12,", NULL };

	(void)state;
	expect("NOQUEUE: posture from=a.example grade=C (evaluated), mailfrom=b.example "
	    "grade=temperror (late), removed 2 forged X-Domain-Posture, spf=pass dkim=none "
	    "dmarc=fail; 12 ms", want);
}

static void
test_daemon_lines(void **state)
{
	static const char *const start[] = { "\"event\":\"start\"", NULL };
	static const char *const reload[] = { "\"event\":\"reload\"", NULL };
	static const char *const other[] = { "\"event\":\"log\"", "\"message\":\"odd\\u0001\"",
		NULL };
	static const char *const late[] = { "\"event\":\"not_evaluated\"",
		"\"domain\":\"x.example\"", NULL };

	(void)state;
	expect("posture-milter 1.0 listening on inet:8891@127.0.0.1", start);
	expect("configuration reloaded from /etc/posture-milter.conf", reload);
	expect("odd\001", other);
	expect("Q1: x.example: not evaluated: no answer", late);
}

static void
test_capped(void **state)
{
	static const char *const want[] = { "\"event\":\"finding\"", "...\"}", NULL };
	char line[1900];

	(void)state;
	memset(line, 0, sizeof(line));
	strcpy(line, "Q1: example.com: SPF_TOO_MANY_LOOKUPS error: ");
	memset(line + strlen(line), '"', sizeof(line) - strlen(line) - 1);
	expect(line, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finding),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_daemon_lines),
		cmocka_unit_test(test_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
