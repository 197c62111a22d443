/*
 * test_https.c - the HTTPS fetcher (https.c) and the evaluation's fetch table
 * (eval_fetch.c) against a real nginx on loopback (tests/integration/https.sh).
 *
 * Run without HTTPS_PORT in the environment, the program re-executes itself under
 * `https.sh run`, which starts nginx with a test CA and per-host certificates over
 * tests/fixtures/https and exports HTTPS_PORT and HTTPS_CA (exit 77, skip, when
 * nginx is missing and CI is not set). Every fetch pins 127.0.0.1 as the host's
 * address, so nothing leaves the machine; the refusal tests never connect at all.
 *
 * What is pinned down: status, content type, body and hash of a good policy; 404
 * and 301 returned as such (no redirect followed); the body limit by Content-Length
 * and by a chunked body, and at the exact boundary; the slow body cut by the total
 * timeout and by the batch deadline; certificate name and CA verification; refused
 * private addresses and missing addresses without a connection; URL checks; a closed
 * port; proxy variables ignored; parallel fetches not waiting for each other; the
 * port override; the fetch table's queueing, caching, lifetime, budget and deadline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "dns/dns.h"
#include "eval/eval_fetch.h"
#include "net/https.h"

#ifndef HTTPS_SH
#error "HTTPS_SH must name tests/integration/https.sh"
#endif
#ifndef FIXTURES_HTTPS
#error "FIXTURES_HTTPS must name tests/fixtures/https"
#endif

#define WELL_KNOWN "/.well-known/mta-sts.txt"
#define LIMIT (64 * 1024)

static unsigned port;
static const char *ca;
static struct https_options opts;	/* the server's port, our CA, loopback allowed */

/* A request for https://HOST/.well-known/mta-sts.txt pinned to 127.0.0.1. */
static void
make_req(struct https_request *req, char *url, size_t urllen, const char *host)
{
	memset(req, 0, sizeof(*req));
	snprintf(url, urllen, "https://%s" WELL_KNOWN, host);
	req->url = url;
	req->host = host;
	req->addrs[0][0] = 127;
	req->addrs[0][3] = 1;
	req->addr_lens[0] = 4;
	req->naddrs = 1;
	req->max_bytes = LIMIT;
}

/* Fetch one fixture host's policy with the default options. */
static void
fetch_host(const char *host, struct https_result *r)
{
	struct https_request req;
	char url[300];

	make_req(&req, url, sizeof(url), host);
	https_fetch(&opts, &req, r, 0);
}

/* The bytes of a fixture file; the caller frees. */
static char *
read_fixture(const char *host, const char *file, size_t *len)
{
	char path[1024], *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", FIXTURES_HTTPS, host, file);
	f = fopen(path, "rb");
	assert_non_null(f);
	buf = malloc(LIMIT);
	assert_non_null(buf);
	*len = fread(buf, 1, LIMIT, f);
	fclose(f);
	return buf;
}

static void
test_good_policy_body_type_and_hash(void **state)
{
	struct https_result r;
	uint8_t h[HTTPS_HASH_LEN], zero[HTTPS_HASH_LEN] = { 0 };
	size_t len;
	char *want = read_fixture("mta-sts.sts-good.test", "policy.txt", &len);

	(void)state;
	fetch_host("mta-sts.sts-good.test", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/plain");
	assert_string_equal(r.error, "");
	assert_string_equal(r.address, "127.0.0.1");
	assert_int_equal(r.body_len, len);
	assert_memory_equal(r.body, want, len);
	https_body_hash(want, len, h);
	assert_memory_equal(r.body_hash, h, HTTPS_HASH_LEN);
	assert_memory_not_equal(r.body_hash, zero, HTTPS_HASH_LEN);
	https_result_clear(&r);
	free(want);
}

static void
test_404_is_a_status_not_an_error(void **state)
{
	struct https_result r;

	(void)state;
	fetch_host("mta-sts.sts-404.test", &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.error, "");
	https_result_clear(&r);
}

static void
test_redirect_is_returned_not_followed(void **state)
{
	struct https_result r;

	(void)state;
	fetch_host("mta-sts.sts-redirect.test", &r);
	assert_int_equal(r.status, 301);
	assert_string_equal(r.location, "https://www.sts-redirect.test/mta-sts.txt");
	https_result_clear(&r);
}

static void
test_content_type_is_reported(void **state)
{
	struct https_result r;

	(void)state;
	fetch_host("mta-sts.sts-ctype.test", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/html");
	https_result_clear(&r);
}

static void
test_content_length_over_the_limit_is_refused(void **state)
{
	struct https_result r;

	(void)state;
	fetch_host("mta-sts.sts-big.test", &r);
	assert_int_equal(r.status, HTTPS_ERR_TOO_LARGE);
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
	assert_non_null(strstr(r.error, "65536"));
	https_result_clear(&r);
}

static void
test_chunked_body_over_the_limit_is_cut(void **state)
{
	struct https_result r;

	(void)state;
	fetch_host("mta-sts.sts-chunked.test", &r);
	assert_int_equal(r.status, HTTPS_ERR_TOO_LARGE);
	assert_null(r.body);
	https_result_clear(&r);
}

/* The limit itself: a body of exactly max_bytes passes, one byte less does not. */
static void
test_limit_boundary(void **state)
{
	struct https_request req;
	struct https_result r;
	char url[300];
	size_t len;
	char *want = read_fixture("mta-sts.sts-good.test", "policy.txt", &len);

	(void)state;
	make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
	req.max_bytes = len;
	https_fetch(&opts, &req, &r, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, len);
	https_result_clear(&r);
	req.max_bytes = len - 1;
	https_fetch(&opts, &req, &r, 0);
	assert_int_equal(r.status, HTTPS_ERR_TOO_LARGE);
	https_result_clear(&r);
	free(want);
}

static void
test_slow_body_is_cut_by_the_timeout(void **state)
{
	struct https_request req;
	struct https_result r;
	char url[300];

	(void)state;
	make_req(&req, url, sizeof(url), "mta-sts.sts-slow.test");
	req.timeout_ms = 1500;
	https_fetch(&opts, &req, &r, 0);
	assert_int_equal(r.status, HTTPS_ERR_TIMEOUT);
	assert_non_null(strstr(r.error, "body not complete"));
	assert_in_range(r.elapsed_ms, 1400, 4000);
	assert_null(r.body);
	https_result_clear(&r);
}

static void
test_slow_body_is_cut_by_the_deadline(void **state)
{
	struct https_request req;
	struct https_result r;
	char url[300];
	uint64_t t0 = dns_now_ms();

	(void)state;
	make_req(&req, url, sizeof(url), "mta-sts.sts-slow.test");
	req.timeout_ms = 20000;
	https_fetch(&opts, &req, &r, t0 + 800);
	assert_int_equal(r.status, HTTPS_ERR_TIMEOUT);
	assert_in_range(dns_now_ms() - t0, 700, 3000);
	https_result_clear(&r);
}

static void
test_certificate_for_another_name_fails(void **state)
{
	struct https_result r;

	(void)state;
	fetch_host("mta-sts.sts-badcert.test", &r);
	assert_int_equal(r.status, HTTPS_ERR_TLS);
	assert_true(strlen(r.error) > 0);
	https_result_clear(&r);
}

static void
test_unknown_ca_fails(void **state)
{
	struct https_options sys = opts;
	struct https_request req;
	struct https_result r;
	char url[300];

	(void)state;
	sys.ca_file = NULL;		/* the system store does not know the test CA */
	make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
	https_fetch(&sys, &req, &r, 0);
	assert_int_equal(r.status, HTTPS_ERR_TLS);
	https_result_clear(&r);
}

static void
test_private_addresses_are_refused_without_connecting(void **state)
{
	struct https_options strict = opts;
	struct https_request req;
	struct https_result r;
	char url[300];

	(void)state;
	strict.allow_private = false;
	make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
	https_fetch(&strict, &req, &r, 0);
	assert_int_equal(r.status, HTTPS_ERR_REFUSED_ADDRESS);
	assert_non_null(strstr(r.error, "127.0.0.1"));
	assert_non_null(strstr(r.error, "loopback"));
	assert_string_equal(r.address, "");
	https_result_clear(&r);
	/* Private, link-local and ::1 together: still nothing to connect to. */
	inet_pton(AF_INET, "10.1.2.3", req.addrs[0]);
	inet_pton(AF_INET, "169.254.1.1", req.addrs[1]);
	req.addr_lens[1] = 4;
	inet_pton(AF_INET6, "::1", req.addrs[2]);
	req.addr_lens[2] = 16;
	req.naddrs = 3;
	https_fetch(&strict, &req, &r, 0);
	assert_int_equal(r.status, HTTPS_ERR_REFUSED_ADDRESS);
	assert_non_null(strstr(r.error, "10.1.2.3"));
	https_result_clear(&r);
}

static void
test_no_address_is_a_dns_error(void **state)
{
	struct https_request req;
	struct https_result r;
	char url[300];

	(void)state;
	make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
	req.naddrs = 0;
	https_fetch(&opts, &req, &r, 0);
	assert_int_equal(r.status, HTTPS_ERR_DNS);
	https_result_clear(&r);
	/* Even with private addresses allowed, 0.0.0.0 is nowhere to connect to. */
	memset(req.addrs[0], 0, 4);
	req.naddrs = 1;
	https_fetch(&opts, &req, &r, 0);
	assert_int_not_equal(r.status, 200);
	https_result_clear(&r);
}

static void
test_urls_are_checked(void **state)
{
	static const char *bad[] = {
		"http://mta-sts.sts-good.test" WELL_KNOWN,
		"https://other.sts-good.test" WELL_KNOWN,
		"https://user@mta-sts.sts-good.test" WELL_KNOWN,
		"https://mta-sts.sts-good.test:0" WELL_KNOWN,
		"https://mta-sts.sts-good.test:99999" WELL_KNOWN,
		"https://mta-sts.sts-good.test/a b",
		"https://mta-sts.sts-good.test\\@evil.test/",
		"ftp://mta-sts.sts-good.test/",
		"",
	};
	struct https_request req;
	struct https_result r;
	char url[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
		req.url = bad[i];
		https_fetch(&opts, &req, &r, 0);
		if (r.status != HTTPS_ERR_URL)
			fail_msg("%s: status %d, expected a URL error", bad[i], r.status);
		https_result_clear(&r);
	}
}

static void
test_closed_port_is_a_connect_error(void **state)
{
	struct https_options closed = opts;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct https_result r;
	int fd;

	(void)state;
	/* A port that was free a moment ago and has no listener. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	closed.port = ntohs(sa.sin_port);
	{
		struct https_request req;
		char url[300];

		make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
		https_fetch(&closed, &req, &r, 0);
	}
	assert_int_equal(r.status, HTTPS_ERR_CONNECT);
	https_result_clear(&r);
}

static void
test_proxy_variables_are_ignored(void **state)
{
	struct https_result r;

	(void)state;
	setenv("https_proxy", "http://127.0.0.1:9", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:9", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
	fetch_host("mta-sts.sts-good.test", &r);
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	assert_int_equal(r.status, 200);
	https_result_clear(&r);
}

/* A slow fetch does not hold up the others of its batch. */
static void
test_parallel_fetches_do_not_wait_for_each_other(void **state)
{
	struct https_request reqs[3];
	struct https_result res[3];
	char urls[3][300];
	uint64_t t0 = dns_now_ms(), total;

	(void)state;
	make_req(&reqs[0], urls[0], sizeof(urls[0]), "mta-sts.sts-slow.test");
	reqs[0].timeout_ms = 2000;
	make_req(&reqs[1], urls[1], sizeof(urls[1]), "mta-sts.sts-good.test");
	make_req(&reqs[2], urls[2], sizeof(urls[2]), "mta-sts.sts-404.test");
	https_fetch_many(&opts, reqs, res, 3, 0);
	total = dns_now_ms() - t0;
	assert_int_equal(res[0].status, HTTPS_ERR_TIMEOUT);
	assert_int_equal(res[1].status, 200);
	assert_int_equal(res[2].status, 404);
	assert_true(res[1].elapsed_ms < 1500);
	assert_true(res[2].elapsed_ms < 1500);
	assert_in_range(total, 1900, 5000);
	https_result_clear(&res[0]);
	https_result_clear(&res[1]);
	https_result_clear(&res[2]);
}

/*
 * An IPv6 address is pinned too ([::1] in CURLOPT_RESOLVE): fetched when nginx
 * listens on ::1, else a connection failure (never a name lookup of ours).
 */
static void
test_ipv6_address_is_pinned(void **state)
{
	struct https_request req;
	struct https_result r;
	const char *v6 = getenv("HTTPS_V6");
	char url[300];

	(void)state;
	make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
	inet_pton(AF_INET6, "::1", req.addrs[0]);
	req.addr_lens[0] = 16;
	https_fetch(&opts, &req, &r, 0);
	if (v6 != NULL && strcmp(v6, "1") == 0) {
		assert_int_equal(r.status, 200);
		assert_string_equal(r.address, "::1");
	} else {
		assert_int_equal(r.status, HTTPS_ERR_CONNECT);
	}
	https_result_clear(&r);
}

/* HTTPSPort applies to URLs naming no port; a URL's own port wins. */
static void
test_port_override(void **state)
{
	struct https_options other = opts;
	struct https_request req;
	struct https_result r;
	char url[300];

	(void)state;
	other.port = 1;			/* nothing there */
	make_req(&req, url, sizeof(url), "mta-sts.sts-good.test");
	snprintf(url, sizeof(url), "https://mta-sts.sts-good.test:%u" WELL_KNOWN, port);
	https_fetch(&other, &req, &r, 0);
	assert_int_equal(r.status, 200);
	https_result_clear(&r);
}

/* ---- the evaluation's fetch table (eval_fetch.c) over the real server ---- */

static uint32_t
lifetime_1234(const struct https_result *r)
{
	(void)r;
	return 1234;
}

/* Queued, fetched in a round, stored with its lifetime, then served from the cache. */
static void
test_fetch_table_round_cache_and_lifetime(void **state)
{
	struct cache_config cfg;
	struct cache *cache;
	struct eval_fetches *fs;
	struct eval_fetch_req req;
	const struct eval_doc *doc;
	const struct cache_doc *cd = NULL;
	struct dns_answer a;
	struct dns_rr rr;
	char url[300];
	bool oom = false;

	(void)state;
	cache_config_init(&cfg);
	cfg.max_ttl_s = 86400;
	cache = cache_new(&cfg);
	assert_non_null(cache);
	memset(&a, 0, sizeof(a));
	memset(&rr, 0, sizeof(rr));
	a.status = DNS_OK;
	a.qtype = DNS_T_A;
	a.count = 1;
	a.rrs = &rr;
	rr.type = DNS_T_A;
	rr.u.addr[0] = 127;
	rr.u.addr[3] = 1;
	snprintf(url, sizeof(url), "https://mta-sts.sts-good.test" WELL_KNOWN);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.host = "mta-sts.sts-good.test";
	req.a = &a;
	req.max_bytes = LIMIT;
	req.id = "abc";
	req.lifetime = lifetime_1234;

	fs = eval_fetches_new();
	assert_non_null(fs);
	assert_null(eval_fetches_get(fs, cache, &req, true, dns_now_ms() + 10000, &oom));
	assert_true(eval_fetches_queued(fs));
	eval_fetches_round(fs, cache, &opts, dns_now_ms() + 10000);
	assert_false(eval_fetches_queued(fs));
	doc = eval_fetches_get(fs, cache, &req, true, dns_now_ms() + 10000, &oom);
	assert_non_null(doc);
	assert_int_equal(doc->res.status, 200);
	assert_false(doc->cached);
	assert_false(doc->has_prev);
	eval_fetches_free(fs);

	assert_int_equal(cache_doc_get(cache, url, &cd), CACHE_HIT);
	assert_string_equal(cd->id, "abc");
	assert_int_equal(cd->expire_ms - cd->stored_ms, 1234000);
	cache_doc_release(cache, cd);

	/* A new evaluation: the same id is served from the cache without a round. */
	fs = eval_fetches_new();
	doc = eval_fetches_get(fs, cache, &req, true, dns_now_ms() + 10000, &oom);
	assert_non_null(doc);
	assert_true(doc->cached);
	assert_int_equal(doc->res.status, 200);
	assert_false(eval_fetches_queued(fs));
	eval_fetches_free(fs);
	assert_false(oom);
	cache_free(cache);
}

/* Past EVAL_MAX_FETCHES, or past the deadline, a fetch is answered at once. */
static void
test_fetch_table_budget_and_deadline(void **state)
{
	struct eval_fetches *fs = eval_fetches_new();
	struct eval_fetch_req req;
	const struct eval_doc *doc;
	char urls[EVAL_MAX_FETCHES + 1][64];
	bool oom = false;
	size_t i;

	(void)state;
	assert_non_null(fs);
	memset(&req, 0, sizeof(req));
	req.host = "mta-sts.example";
	req.max_bytes = LIMIT;
	for (i = 0; i <= EVAL_MAX_FETCHES; i++) {
		snprintf(urls[i], sizeof(urls[i]), "https://mta-sts.example/%zu", i);
		req.url = urls[i];
		doc = eval_fetches_get(fs, NULL, &req, true, dns_now_ms() + 10000, &oom);
		if (i < EVAL_MAX_FETCHES) {
			assert_null(doc);
		} else {
			assert_non_null(doc);
			assert_int_equal(doc->res.status, HTTPS_ERR_BUDGET);
		}
	}
	eval_fetches_free(fs);
	fs = eval_fetches_new();
	req.url = urls[0];
	doc = eval_fetches_get(fs, NULL, &req, true, dns_now_ms() - 1, &oom);
	assert_non_null(doc);
	assert_int_equal(doc->res.status, HTTPS_ERR_TIMEOUT);
	eval_fetches_free(fs);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_policy_body_type_and_hash),
		cmocka_unit_test(test_404_is_a_status_not_an_error),
		cmocka_unit_test(test_redirect_is_returned_not_followed),
		cmocka_unit_test(test_content_type_is_reported),
		cmocka_unit_test(test_content_length_over_the_limit_is_refused),
		cmocka_unit_test(test_chunked_body_over_the_limit_is_cut),
		cmocka_unit_test(test_limit_boundary),
		cmocka_unit_test(test_slow_body_is_cut_by_the_timeout),
		cmocka_unit_test(test_slow_body_is_cut_by_the_deadline),
		cmocka_unit_test(test_certificate_for_another_name_fails),
		cmocka_unit_test(test_unknown_ca_fails),
		cmocka_unit_test(test_private_addresses_are_refused_without_connecting),
		cmocka_unit_test(test_no_address_is_a_dns_error),
		cmocka_unit_test(test_urls_are_checked),
		cmocka_unit_test(test_closed_port_is_a_connect_error),
		cmocka_unit_test(test_proxy_variables_are_ignored),
		cmocka_unit_test(test_parallel_fetches_do_not_wait_for_each_other),
		cmocka_unit_test(test_ipv6_address_is_pinned),
		cmocka_unit_test(test_port_override),
		cmocka_unit_test(test_fetch_table_round_cache_and_lifetime),
		cmocka_unit_test(test_fetch_table_budget_and_deadline),
	};
	const char *p = getenv("HTTPS_PORT");

	(void)argc;
	if (p == NULL) {
		/* Not under https.sh yet: start nginx around ourselves. */
		execl("/bin/bash", "bash", HTTPS_SH, "run", argv[0], (char *)NULL);
		perror("test_https: cannot run " HTTPS_SH);
		return 99;
	}
	port = (unsigned)atoi(p);
	ca = getenv("HTTPS_CA");
	if (port == 0 || ca == NULL) {
		fprintf(stderr, "test_https: HTTPS_PORT or HTTPS_CA is not usable\n");
		return 99;
	}
	if (https_global_init() < 0) {
		fprintf(stderr, "test_https: libcurl could not start\n");
		return 99;
	}
	opts.port = port;
	opts.ca_file = ca;
	opts.allow_private = true;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
