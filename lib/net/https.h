/*
 * https.h - fetch documents over HTTPS safely (MTA-STS policies, BIMI files).
 *
 *   https_global_init()     once per process, before threads fetch (pthread_once inside)
 *   https_fetch_many()      several fetches in parallel, each with its own limits
 *   https_fetch()           one fetch
 *   https_result_clear()    free what a result owns
 *   https_result_copy()     deep copy
 *   https_body_hash()       SHA-256 of a body (the document cache's body hash)
 *   https_status_text()     "HTTP 404", "refused address", ... for messages
 *   https_error_name()      the short name of a fetch error
 *
 * https.c is the only file that includes <curl/curl.h>. A fetch never resolves a name:
 * the caller hands over the addresses it got from our resolver (eval_dns A/AAAA), they
 * are pinned for the URL's host (CURLOPT_RESOLVE), and every socket curl opens is
 * checked against them. Addresses that are not public unicast (ipaddr.h: private,
 * loopback, link-local, reserved, ...) are refused unless allow_private is set, so a
 * sender's DNS cannot make us probe the local network.
 *
 * Limits (all enforced here, whatever the server does):
 *   - HTTPS only (the URL scheme and CURLOPT_PROTOCOLS_STR), certificate verified
 *     against the URL's host (system CA store, or ca_file);
 *   - no redirect followed: a 3xx comes back as such, with its Location;
 *   - connect timeout and total timeout per request, and a monotonic deadline for the
 *     whole batch: a slow or endless body is cut and reported as HTTPS_ERR_TIMEOUT;
 *   - max_bytes of body: a Content-Length above it is refused before the body, a body
 *     that grows past it is cut in the write callback (HTTPS_ERR_TOO_LARGE);
 *   - no proxy (environment ignored), no cookies, no compression, no netrc, HTTP/1.1.
 *
 * What can go wrong: every failure is a status in the result with a one-line error
 * text; nothing exits or aborts. Out of memory reads HTTPS_ERR_INTERNAL.
 */
#ifndef POSTURE_HTTPS_H
#define POSTURE_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPS_HASH_LEN		32	/* SHA-256 */
#define HTTPS_MAX_ADDRS		8	/* addresses pinned per fetch, the rest ignored */
#define HTTPS_CONNECT_TIMEOUT_MS 3000	/* default per request */
#define HTTPS_TIMEOUT_MS	5000	/* default total per request, body included */

/*
 * Fetch errors: negative so that a status >= 100 is always an HTTP status code.
 * Keep distinct outcomes apart: a refused address is not a connect failure.
 */
enum https_error {
	HTTPS_ERR_URL = -1,		/* not an https://host/... URL, or host mismatch */
	HTTPS_ERR_DNS = -2,		/* the caller had no address for the host */
	HTTPS_ERR_REFUSED_ADDRESS = -3,	/* every address is private, loopback, ... */
	HTTPS_ERR_CONNECT = -4,		/* no TCP connection (refused, unreachable) */
	HTTPS_ERR_TLS = -5,		/* handshake or certificate verification failed */
	HTTPS_ERR_TIMEOUT = -6,		/* connect or total timeout, or the deadline */
	HTTPS_ERR_TOO_LARGE = -7,	/* body above max_bytes */
	HTTPS_ERR_PROTOCOL = -8,	/* not a usable HTTP response */
	HTTPS_ERR_BUDGET = -9,		/* not fetched: the evaluation's fetch budget */
	HTTPS_ERR_INTERNAL = -10	/* out of memory, libcurl could not start */
};

/* Process-wide settings of the fetcher (engine options). */
struct https_options {
	unsigned port;			/* for URLs that name no port (HTTPSPort); 0: 443 */
	const char *ca_file;		/* borrowed; NULL: the system CA store */
	bool allow_private;		/* tests only: allow non-public addresses */
};

struct https_request {
	const char *url;		/* https://host[:port]/path; borrowed */
	const char *host;		/* the URL's host (checked); borrowed */
	uint8_t addrs[HTTPS_MAX_ADDRS][16];	/* the host's addresses, network order */
	size_t addr_lens[HTTPS_MAX_ADDRS];	/* 4 or 16 */
	size_t naddrs;
	size_t max_bytes;		/* body limit, > 0 */
	unsigned connect_timeout_ms;	/* 0: HTTPS_CONNECT_TIMEOUT_MS */
	unsigned timeout_ms;		/* 0: HTTPS_TIMEOUT_MS */
};

struct https_result {
	int status;			/* HTTP status (100..599) or an enum https_error */
	char content_type[128];		/* Content-Type as sent, sanitized; "" if none */
	char location[256];		/* Location of a 3xx, sanitized; "" otherwise */
	uint8_t *body;			/* owned: body_len bytes plus a NUL; NULL if empty */
	size_t body_len;
	uint8_t body_hash[HTTPS_HASH_LEN];	/* SHA-256 of the body */
	char address[48];		/* the address connected to, or "" */
	char error[160];		/* one printable line when status < 0, else "" */
	unsigned elapsed_ms;
};

/* Initialise libcurl once (thread-safe); 0, or -1 when it cannot start. */
int https_global_init(void);

/*
 * Run n requests in parallel (curl multi) until each is done, its own timeouts pass,
 * or the monotonic deadline (dns_now_ms() scale; 0: none) passes. results[i] is
 * overwritten for every i (zeroed first). Never fails as a whole.
 */
void https_fetch_many(const struct https_options *opts, const struct https_request *reqs,
		      struct https_result *results, size_t n, uint64_t deadline_ms);
/* One request; the same as https_fetch_many() with n = 1. */
void https_fetch(const struct https_options *opts, const struct https_request *req,
		 struct https_result *result, uint64_t deadline_ms);

/* Free what a result owns and zero it. */
void https_result_clear(struct https_result *r);
/* Deep copy into dst (overwritten); 0, or -1 on OOM (dst then zeroed). */
int https_result_copy(struct https_result *dst, const struct https_result *src);

/* SHA-256 of len bytes at data into out. */
void https_body_hash(const void *data, size_t len, uint8_t out[HTTPS_HASH_LEN]);

/* "HTTP 404", "timeout", "refused address", ... (static or in buf, size >= 16). */
const char *https_status_text(int status, char *buf, size_t buflen);
/* The short name of a fetch error ("timeout"); "HTTP" for status >= 0. */
const char *https_error_name(int status);

#endif
