/*
 * test_report.c - the text and JSON reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "posture.h"

static struct posture_finding findings[] = {
	{ PC_MX_SINGLE, SEV_INFO, PF_MX, (char *)"only one MX host: mx.example.com" },
	{ PC_DMARC_POLICY_NONE, SEV_WARN, PF_DMARC,
	  (char *)"p=none: the domain asks receivers to take no action on failing mail, "
		  "so spoofed mail is delivered as if it were genuine (RFC 9989 5.3.1)" },
	{ PC_DMARC_RUA_INVALID, SEV_WARN, PF_DMARC,
	  (char *)"rua \"quote\\back\x01\" is not a URI" },
};

/* An evaluation with MX and DMARC checked and nothing else. */
static void
sample_eval(struct posture_eval *ev)
{
	memset(ev, 0, sizeof(*ev));
	strcpy(ev->domain, "example.com");
	strcpy(ev->input, "example.com");
	ev->grade = 'C';
	ev->family[PF_MX].result = PR_OK;
	strcpy(ev->family[PF_MX].fact, "1 host");
	ev->family[PF_DMARC].result = PR_WEAK;
	ev->findings = findings;
	ev->nfindings = 3;
	ev->dns.queries = 5;
	ev->dns.rounds = 2;
	ev->dns.elapsed_ms = 7;
}

/* The text report groups by family, leaves unchecked families out, fits 80 columns. */
static void
test_report_text_layout(void **state)
{
	struct posture_eval ev;
	char *text, *line, *save = NULL;

	(void)state;
	sample_eval(&ev);
	text = posture_report_text(&ev);
	assert_non_null(text);
	assert_non_null(strstr(text, "Grade:  C"));
	assert_non_null(strstr(text, "MX: ok (1 host)"));
	assert_non_null(strstr(text, "DMARC: weak"));
	assert_non_null(strstr(text, "DMARC_POLICY_NONE"));
	assert_non_null(strstr(text, "DNS: 5 queries in 2 rounds"));
	assert_null(strstr(text, "SPF"));
	assert_null(strstr(text, "BIMI"));
	/* MX_SINGLE is listed under MX, before the DMARC heading. */
	assert_true(strstr(text, "MX_SINGLE") < strstr(text, "DMARC: weak"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 80);
	free(text);
}

/* A domain that could not be evaluated says why in one line. */
static void
test_report_text_error(void **state)
{
	struct posture_eval ev;
	char *text;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	strcpy(ev.input, "example.com");
	ev.error = (char *)"no answer from the DNS resolver";
	text = posture_report_text(&ev);
	assert_string_equal(text, "example.com: not evaluated: no answer from the DNS resolver\n");
	free(text);
}

/* JSON has the shape ARCHITECTURE.md (Interfaces) gives and escapes what the messages hold. */
static void
test_report_json_object(void **state)
{
	const struct posture_eval *evs[1];
	struct posture_eval ev;
	char *json;

	(void)state;
	sample_eval(&ev);
	evs[0] = &ev;
	json = posture_report_json(evs, 1);
	assert_non_null(json);
	assert_int_equal(json[0], '{');
	assert_non_null(strstr(json, "\"domain\": \"example.com\", \"grade\": \"C\""));
	assert_non_null(strstr(json, "\"checks\": {\"mx\": {\"result\": \"ok\", "
	    "\"fact\": \"1 host\"}, \"dmarc\": {\"result\": \"weak\"}}"));
	assert_non_null(strstr(json, "{\"code\": \"DMARC_POLICY_NONE\", \"severity\": "
	    "\"warn\", \"family\": \"dmarc\", \"message\": "));
	assert_non_null(strstr(json, "rua \\\"quote\\\\back\\u0001\\\" is not a URI"));
	assert_non_null(strstr(json, "\"dns\": {\"queries\": 5, \"rounds\": 2, "
	    "\"elapsed_ms\": 7}"));
	assert_null(strstr(json, "\"spf\""));
	free(json);
}

/* Several domains make an array; an unevaluated one carries "error". */
static void
test_report_json_array_with_error(void **state)
{
	const struct posture_eval *evs[2];
	struct posture_eval ok, bad;
	char *json;

	(void)state;
	sample_eval(&ok);
	memset(&bad, 0, sizeof(bad));
	strcpy(bad.input, "down.example");
	bad.error = (char *)"no answer";
	evs[0] = &ok;
	evs[1] = &bad;
	json = posture_report_json(evs, 2);
	assert_int_equal(json[0], '[');
	assert_non_null(strstr(json, "{\"domain\": \"down.example\", "
	    "\"error\": \"no answer\"}]"));
	free(json);
}

/* Each line of a header value, the field name counted on the first, fits 78 columns. */
static void
assert_folded(const char *value)
{
	const char *line = value, *nl;
	size_t width = strlen("X-Domain-Posture: ");

	for (;;) {
		nl = strchr(line, '\n');
		assert_true(width + (nl ? (size_t)(nl - line) : strlen(line)) <= 78);
		if (nl == NULL)
			break;
		assert_int_equal(nl[1], '\t');
		line = nl + 2;
		width = 8;
	}
}

/* The header: fixed order, codes of warn/error findings once each, folded. */
static void
test_header_value_grammar(void **state)
{
	struct posture_eval ev;
	char *v, *flat, *p, *q;

	(void)state;
	sample_eval(&ev);
	v = posture_header_value(&ev, "mx.example.net", NULL);
	assert_non_null(v);
	assert_folded(v);
	flat = strdup(v);
	for (p = q = flat; *p; p++)	/* unfold */
		if (*p != '\n' && *p != '\t')
			*q++ = *p;
		else if (*p == '\t')
			*q++ = ' ';
	*q = '\0';
	assert_string_equal(flat, "mx.example.net; domain=example.com; grade=C; "
	    "mx=ok (1 host); dmarc=weak (DMARC_POLICY_NONE DMARC_RUA_INVALID)");
	free(flat);
	free(v);
}

/* Nothing from DNS text reaches the header: unsafe facts are dropped. */
static void
test_header_value_drops_unsafe_fact(void **state)
{
	struct posture_eval ev;
	char *v;

	(void)state;
	sample_eval(&ev);
	strcpy(ev.family[PF_MX].fact, "x;\r\nBcc: victim@example.com");
	v = posture_header_value(&ev, "mx.example.net", NULL);
	assert_non_null(v);
	assert_null(strstr(v, "Bcc"));
	assert_null(strchr(v, '\r'));
	assert_non_null(strstr(v, "mx=ok;"));
	free(v);
	/* A bad authserv-id is refused, not echoed. */
	assert_null(posture_header_value(&ev, "bad id;", NULL));
	assert_null(posture_header_value(&ev, "", NULL));
}

/* Without an evaluation every built family reads temperror. */
static void
test_header_value_temperror(void **state)
{
	char *v;

	(void)state;
	v = posture_header_value(NULL, "mx.example.net", "late.example");
	assert_non_null(v);
	assert_folded(v);
	assert_non_null(strstr(v, "domain=late.example; grade=temperror;"));
	assert_non_null(strstr(v, "mx=temperror;"));
	assert_non_null(strstr(v, "dmarc=temperror"));
	assert_null(strstr(v, "=ok"));
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_text_layout),
		cmocka_unit_test(test_report_text_error),
		cmocka_unit_test(test_report_json_object),
		cmocka_unit_test(test_report_json_array_with_error),
		cmocka_unit_test(test_header_value_grammar),
		cmocka_unit_test(test_header_value_drops_unsafe_fact),
		cmocka_unit_test(test_header_value_temperror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
