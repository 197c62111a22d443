/*
 * test_bimi_svg.c - the SVG Tiny PS profile check of BIMI logos (bimi_svg.c).
 *
 * A table of documents, each with the one issue it must raise (or none) and the
 * issues it must not raise; then SVGZ (valid, corrupt, inflating past the limit),
 * size limits, and hostile XML: billion laughs (bounded time, nothing expanded), an
 * external entity on file:///etc/passwd and on a marker file of our own, a parameter
 * entity and an external DTD. For those an external-entity loader of the test's own is
 * installed: it counts calls, and the count must stay 0 (libxml2 never tried to open
 * anything), and the marker text must appear nowhere in the result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <zlib.h>

#include "record/bimi_svg.h"

#define NONE	((enum bimi_svg_issue)-1)
#define HEAD	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define SVG_OPEN "<svg xmlns=\"http://www.w3.org/2000/svg\" " \
	"xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.2\" baseProfile=\"tiny-ps\" "
#define BODY	"<title>Example Inc.</title>" \
	"<defs><linearGradient id=\"g\"><stop offset=\"0\" stop-color=\"#123456\"/>" \
	"</linearGradient></defs>" \
	"<circle cx=\"50\" cy=\"50\" r=\"40\" fill=\"url(#g)\" style=\"fill:url( '#g' )\"/>" \
	"<use xlink:href=\"#g\"/>"
#define GOOD	HEAD SVG_OPEN "viewBox=\"0 0 100 100\">" BODY "</svg>\n"

static int loader_calls;

/* An external entity loader that only counts: libxml2 must never call it. */
static xmlParserInputPtr
counting_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	loader_calls++;
	return NULL;
}

static int
setup(void **state)
{
	(void)state;
	xmlInitParser();
	xmlSetExternalEntityLoader(counting_loader);
	loader_calls = 0;
	return 0;
}

/* Whether the result lists issue. */
static bool
has_issue(const struct bimi_svg_result *r, enum bimi_svg_issue issue)
{
	size_t i;

	for (i = 0; i < r->nproblems && i < BIMI_SVG_MAX_PROBLEMS; i++)
		if (r->problems[i].issue == issue)
			return true;
	return false;
}

struct svg_case {
	const char *name;
	const char *doc;
	enum bimi_svg_issue expect;	/* NONE: valid */
};

static const struct svg_case cases[] = {
	{ "valid tiny-ps", GOOD, NONE },
	{ "valid, width=height, no viewBox",
	  HEAD SVG_OPEN "width=\"64\" height=\"64\">" BODY "</svg>", NONE },
	{ "valid, viewBox with commas", HEAD SVG_OPEN "viewBox=\"0,0,512,512\">" BODY "</svg>",
	  NONE },
	{ "missing baseProfile",
	  HEAD "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" viewBox=\"0 0 1 1\">"
	  "<title>t</title></svg>", BIMI_SVG_BASE_PROFILE },
	{ "baseProfile tiny",
	  HEAD "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" baseProfile=\"tiny\" "
	  "viewBox=\"0 0 1 1\"><title>t</title></svg>", BIMI_SVG_BASE_PROFILE },
	{ "version 1.1",
	  HEAD "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" baseProfile=\"tiny-ps\" "
	  "viewBox=\"0 0 1 1\"><title>t</title></svg>", BIMI_SVG_VERSION },
	{ "no title", HEAD SVG_OPEN "viewBox=\"0 0 1 1\"><circle r=\"1\"/></svg>",
	  BIMI_SVG_NO_TITLE },
	{ "script element",
	  HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY "<script>alert(1)</script></svg>",
	  BIMI_SVG_SCRIPT },
	{ "onload attribute",
	  HEAD SVG_OPEN "viewBox=\"0 0 1 1\" onload=\"alert(1)\">" BODY "</svg>",
	  BIMI_SVG_SCRIPT },
	{ "external xlink:href",
	  HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY
	  "<use xlink:href=\"https://evil.example/x.svg#a\"/></svg>", BIMI_SVG_EXTERNAL_REF },
	{ "external plain href",
	  HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY "<a href=\"https://evil.example/\">"
	  "<rect width=\"1\" height=\"1\"/></a></svg>", BIMI_SVG_EXTERNAL_REF },
	{ "url() to a remote resource",
	  HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY
	  "<rect width=\"1\" height=\"1\" fill=\"url(https://evil.example/p#x)\"/></svg>",
	  BIMI_SVG_EXTERNAL_REF },
	{ "style sheet import",
	  HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY
	  "<style>@import 'https://evil.example/a.css';</style></svg>", BIMI_SVG_EXTERNAL_REF },
	{ "embedded raster image",
	  HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY
	  "<image width=\"1\" height=\"1\" xlink:href=\"#r\"/></svg>", BIMI_SVG_RASTER },
	{ "x on the root", HEAD SVG_OPEN "x=\"0\" viewBox=\"0 0 1 1\">" BODY "</svg>",
	  BIMI_SVG_ROOT_XY },
	{ "y on the root", HEAD SVG_OPEN "y=\"5\" viewBox=\"0 0 1 1\">" BODY "</svg>",
	  BIMI_SVG_ROOT_XY },
	{ "non-square viewBox", HEAD SVG_OPEN "viewBox=\"0 0 200 100\">" BODY "</svg>",
	  BIMI_SVG_NOT_SQUARE },
	{ "malformed viewBox", HEAD SVG_OPEN "viewBox=\"0 0 100\">" BODY "</svg>",
	  BIMI_SVG_NOT_SQUARE },
	{ "no viewBox, unequal width and height",
	  HEAD SVG_OPEN "width=\"64\" height=\"32\">" BODY "</svg>", BIMI_SVG_NOT_SQUARE },
	{ "animation", HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY
	  "<circle r=\"1\"><animate attributeName=\"r\" to=\"2\"/></circle></svg>",
	  BIMI_SVG_FORBIDDEN },
	{ "foreignObject", HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY
	  "<foreignObject><p>x</p></foreignObject></svg>", BIMI_SVG_FORBIDDEN },
	{ "root not svg", HEAD "<html xmlns=\"http://www.w3.org/1999/xhtml\"/>",
	  BIMI_SVG_NOT_SVG },
	{ "svg without namespace",
	  HEAD "<svg version=\"1.2\" baseProfile=\"tiny-ps\" viewBox=\"0 0 1 1\">"
	  "<title>t</title></svg>", BIMI_SVG_NOT_SVG },
	{ "not well-formed", HEAD SVG_OPEN "viewBox=\"0 0 1 1\"><title>t</svg>",
	  BIMI_SVG_NOT_XML },
	{ "not XML at all", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", BIMI_SVG_NOT_XML },
	{ "empty", "", BIMI_SVG_NOT_XML },
};

static void
test_profile_table(void **state)
{
	struct bimi_svg_result r;
	const struct svg_case *c;
	size_t i, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		len = strcmp(c->name, "not XML at all") == 0 ? 16 : strlen(c->doc);
		rc = bimi_svg_check(c->doc, len, &r);
		if (c->expect == NONE) {
			if (rc != 0 || !r.valid)
				fail_msg("%s: expected valid, got %zu problems, first: %s (%s)",
				    c->name, r.nproblems, r.problems[0].reason, r.problems[0].text);
			continue;
		}
		if (rc == 0 || r.valid || !has_issue(&r, c->expect))
			fail_msg("%s: expected issue %d, got %zu problems (first %d: %s)", c->name,
			    (int)c->expect, r.nproblems, r.nproblems ? (int)r.problems[0].issue : -1,
			    r.nproblems ? r.problems[0].reason : "-");
		/* A single defect must not be reported as the wrong kind too. */
		if (c->expect != BIMI_SVG_NOT_XML && c->expect != BIMI_SVG_NOT_SVG &&
		    has_issue(&r, BIMI_SVG_NOT_XML))
			fail_msg("%s: also reported as not XML", c->name);
	}
	assert_int_equal(loader_calls, 0);
}

static void
test_valid_logo_keeps_its_title(void **state)
{
	struct bimi_svg_result r;

	(void)state;
	assert_int_equal(bimi_svg_check(GOOD, strlen(GOOD), &r), 0);
	assert_string_equal(r.title, "Example Inc.");
	assert_false(r.gzip);
	assert_int_equal(r.svg_size, strlen(GOOD));
}

/* gzip bytes of len bytes at in into a new buffer. */
static uint8_t *
gzip_bytes(const void *in, size_t len, size_t *outlen)
{
	z_stream zs;
	uint8_t *out = malloc(len + 1024);

	assert_non_null(out);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)(len + 1024);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static void
test_svgz_is_inflated_and_checked(void **state)
{
	struct bimi_svg_result r;
	const char *bad = HEAD SVG_OPEN "viewBox=\"0 0 1 1\">" BODY "<script/></svg>";
	uint8_t *gz;
	size_t n;

	(void)state;
	gz = gzip_bytes(GOOD, strlen(GOOD), &n);
	assert_int_equal(bimi_svg_check(gz, n, &r), 0);
	assert_true(r.gzip);
	assert_int_equal(r.svg_size, strlen(GOOD));
	free(gz);
	gz = gzip_bytes(bad, strlen(bad), &n);
	assert_int_equal(bimi_svg_check(gz, n, &r), -1);
	assert_true(has_issue(&r, BIMI_SVG_SCRIPT));
	free(gz);
}

static void
test_corrupt_svgz_is_not_xml(void **state)
{
	struct bimi_svg_result r;
	uint8_t *gz;
	size_t n;

	(void)state;
	gz = gzip_bytes(GOOD, strlen(GOOD), &n);
	gz[n / 2] ^= 0x55;
	n -= 4;
	assert_int_equal(bimi_svg_check(gz, n, &r), -1);
	assert_true(has_issue(&r, BIMI_SVG_NOT_XML));
	free(gz);
}

static void
test_svgz_bomb_stops_at_the_limit(void **state)
{
	struct bimi_svg_result r;
	size_t big = 8 * 1024 * 1024, n;
	char *doc = malloc(big);
	uint8_t *gz;

	(void)state;
	assert_non_null(doc);
	memset(doc, ' ', big);
	memcpy(doc, GOOD, strlen(GOOD) - 7);	/* "</svg>\n" left out: padding inside */
	memcpy(doc + big - 7, "</svg>\n", 7);
	gz = gzip_bytes(doc, big, &n);
	assert_true(n < BIMI_SVG_MAX_BYTES);	/* small on the wire */
	assert_int_equal(bimi_svg_check(gz, n, &r), -1);
	assert_true(has_issue(&r, BIMI_SVG_TOO_LARGE));
	free(gz);
	free(doc);
}

static void
test_oversize_logo(void **state)
{
	struct bimi_svg_result r;
	size_t big = BIMI_SVG_MAX_BYTES + 1, prefix = strlen(GOOD) - 7;
	char *doc = malloc(big);

	(void)state;
	assert_non_null(doc);
	memset(doc, ' ', big);
	memcpy(doc, GOOD, prefix);
	memcpy(doc + big - 7, "</svg>\n", 7);
	assert_int_equal(bimi_svg_check(doc, big, &r), -1);
	assert_true(has_issue(&r, BIMI_SVG_TOO_LARGE));
	assert_int_equal(r.nproblems, 1);	/* otherwise a valid logo */
	assert_int_equal(bimi_svg_check(doc + 1, big - 1, &r), -1);	/* not XML now */
	assert_false(has_issue(&r, BIMI_SVG_TOO_LARGE));
	memmove(doc + big - 8, "</svg>\n", 7);
	assert_int_equal(bimi_svg_check(doc, big - 1, &r), 0);	/* exactly 32 KiB */
	free(doc);
}

static void
test_billion_laughs_is_refused_quickly(void **state)
{
	static const char doc[] = HEAD
	    "<!DOCTYPE svg [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n" SVG_OPEN "viewBox=\"0 0 1 1\"><title>&lol9;</title>"
	    "<text x=\"0\" y=\"0\" font-family=\"&lol9;\">&lol9;&lol9;</text></svg>\n";
	struct bimi_svg_result r;
	clock_t t0 = clock();

	(void)state;
	assert_int_equal(bimi_svg_check(doc, sizeof(doc) - 1, &r), -1);
	/* 10^9 "lol"s would take seconds and gigabytes; nothing was expanded. */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	assert_true(has_issue(&r, BIMI_SVG_ENTITY));
	assert_null(strstr(r.title, "lollol"));
	assert_int_equal(loader_calls, 0);
}

/* Parse doc and assert libxml2 tried to open nothing and leaked no marker text. */
static void
assert_nothing_loaded(const char *doc, const char *marker)
{
	struct bimi_svg_result r;
	size_t i;

	loader_calls = 0;
	assert_int_equal(bimi_svg_check(doc, strlen(doc), &r), -1);
	assert_int_equal(loader_calls, 0);
	assert_true(has_issue(&r, BIMI_SVG_ENTITY) || has_issue(&r, BIMI_SVG_NOT_XML) ||
	    has_issue(&r, BIMI_SVG_SCRIPT));
	if (marker != NULL) {
		assert_null(strstr(r.title, marker));
		for (i = 0; i < r.nproblems && i < BIMI_SVG_MAX_PROBLEMS; i++)
			assert_null(strstr(r.problems[i].text, marker));
	}
	assert_null(strstr(r.title, "root:"));
}

static void
test_external_entity_etc_passwd_is_not_read(void **state)
{
	(void)state;
	assert_nothing_loaded(HEAD "<!DOCTYPE svg [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    SVG_OPEN "viewBox=\"0 0 1 1\"><title>&xxe;</title></svg>", NULL);
}

static void
test_external_entity_marker_file_is_not_read(void **state)
{
	char path[] = "/tmp/test_bimi_svg.XXXXXX", doc[1024];
	const char *marker = "MARKER-7f3a9c-SHOULD-NEVER-APPEAR";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, marker, strlen(marker)), (ssize_t)strlen(marker));
	close(fd);
	snprintf(doc, sizeof(doc), HEAD "<!DOCTYPE svg [<!ENTITY m SYSTEM \"file://%s\">]>"
	    SVG_OPEN "viewBox=\"0 0 1 1\"><title>&m;</title><desc>&m;</desc></svg>", path);
	assert_nothing_loaded(doc, marker);
	snprintf(doc, sizeof(doc), HEAD "<!DOCTYPE svg [<!ENTITY %% p SYSTEM \"file://%s\"> "
	    "%%p;]>" SVG_OPEN "viewBox=\"0 0 1 1\"><title>t</title></svg>", path);
	assert_nothing_loaded(doc, marker);
	snprintf(doc, sizeof(doc), HEAD "<!DOCTYPE svg SYSTEM \"file://%s\">"
	    SVG_OPEN "viewBox=\"0 0 1 1\"><title>&x;</title><script/></svg>", path);
	assert_nothing_loaded(doc, marker);
	unlink(path);
}

static void
test_network_entity_is_not_fetched(void **state)
{
	(void)state;
	assert_nothing_loaded(HEAD "<!DOCTYPE svg [<!ENTITY n SYSTEM "
	    "\"http://127.0.0.1:9/x\">]>" SVG_OPEN "viewBox=\"0 0 1 1\"><title>&n;</title></svg>",
	    NULL);
}

static void
test_decode_bounds(void **state)
{
	uint8_t *out;
	size_t n, gzn;
	uint8_t *gz;

	(void)state;
	assert_int_equal(bimi_svg_decode("abc", 3, 3, &out, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal((char *)out, "abc");
	free(out);
	assert_int_equal(bimi_svg_decode("abcd", 4, 3, &out, &n), 1);
	assert_null(out);
	gz = gzip_bytes("hello world", 11, &gzn);
	assert_int_equal(bimi_svg_decode(gz, gzn, 11, &out, &n), 0);
	assert_int_equal(n, 11);
	assert_memory_equal(out, "hello world", 11);
	free(out);
	assert_int_equal(bimi_svg_decode(gz, gzn, 10, &out, &n), 1);
	assert_null(out);
	assert_int_equal(bimi_svg_decode(gz, gzn - 3, 100, &out, &n), -1);
	assert_null(out);
	free(gz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_table),
		cmocka_unit_test(test_valid_logo_keeps_its_title),
		cmocka_unit_test(test_svgz_is_inflated_and_checked),
		cmocka_unit_test(test_corrupt_svgz_is_not_xml),
		cmocka_unit_test(test_svgz_bomb_stops_at_the_limit),
		cmocka_unit_test(test_oversize_logo),
		cmocka_unit_test(test_billion_laughs_is_refused_quickly),
		cmocka_unit_test(test_external_entity_etc_passwd_is_not_read),
		cmocka_unit_test(test_external_entity_marker_file_is_not_read),
		cmocka_unit_test(test_network_entity_is_not_fetched),
		cmocka_unit_test(test_decode_bounds),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
