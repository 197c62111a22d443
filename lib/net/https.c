/*
 * https.c - HTTPS fetches with libcurl, behind the narrow interface of https.h.
 *
 * The only file that includes <curl/curl.h>. One curl multi handle per batch runs the
 * fetches of an evaluation round in parallel; each fetch is its own easy handle with:
 *   - the URL checked here first (https, no userinfo, host equal to req->host, a
 *     printable path), and CURLOPT_PROTOCOLS_STR "https" so nothing else is spoken;
 *   - the host pinned to the caller's public addresses with CURLOPT_RESOLVE, and an
 *     opensocket callback that refuses any socket to another address or port (curl
 *     never resolves a name, and a bug that made it try could not reach elsewhere);
 *   - the port: the URL's, else HTTPSPort (tests), else 443, through CURLOPT_PORT;
 *   - no redirects, no proxy (CURLOPT_PROXY "" and CURLOPT_NOPROXY "*" override the
 *     environment), no cookies, no Accept-Encoding (no decompression bombs), HTTP/1.1,
 *     TLS 1.2 or later, peer and host name verified;
 *   - the body limit twice: CURLOPT_MAXFILESIZE_LARGE refuses a Content-Length above
 *     it before the body, the write callback cuts a body that grows past it (chunked);
 *   - connect and total timeouts, the total one bounded by the batch deadline, so a
 *     slow body ends as HTTPS_ERR_TIMEOUT with the bytes received so far.
 * Each fetch's outcome is counted in posture_milter_https_fetches_total (util/metrics.h).
 *
 * What can go wrong: every curl error maps to one enum https_error with a one-line,
 * printable error text (sanitized: curl's messages may quote server bytes). Out of
 * memory anywhere is HTTPS_ERR_INTERNAL for the fetch concerned; nothing aborts.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "dns/dns.h"
#include "net/https.h"
#include "net/ipaddr.h"
#include "util/dnsname.h"
#include "util/metrics.h"
#include "util/strbuf.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"	/* built outside autotools (libFuzzer builds) */
#endif
#define USER_AGENT	"posture-milter/" PACKAGE_VERSION
#define URL_MAX		2048
#define POLL_SLICE_MS	100	/* the deadline is checked at least this often */

/* One fetch of a batch. */
struct fetch {
	const struct https_request *req;	/* borrowed */
	struct https_result *res;		/* borrowed, filled */
	CURL *easy;				/* owned */
	struct curl_slist *resolve;		/* owned */
	char errbuf[CURL_ERROR_SIZE];
	uint8_t allowed[HTTPS_MAX_ADDRS][16];	/* the pinned addresses */
	size_t allowed_len[HTTPS_MAX_ADDRS];
	size_t nallowed;
	unsigned port;
	size_t cap;				/* allocated body bytes */
	bool too_large;				/* the write callback cut the body */
	bool oom;
	bool foreign_socket;			/* curl tried an address we did not pin */
	bool running;				/* added to the multi handle */
	uint64_t start_ms;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;

/* pthread_once body: curl_global_init is not safe to race. */
static void
global_init_once(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Initialise libcurl once. */
int
https_global_init(void)
{
	pthread_once(&init_once, global_init_once);
	return init_rc == CURLE_OK ? 0 : -1;
}

/* SHA-256 of a body. */
void
https_body_hash(const void *data, size_t len, uint8_t out[HTTPS_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(len ? data : "", len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != HTTPS_HASH_LEN)
		memset(out, 0, HTTPS_HASH_LEN);
}

/* The short name of a fetch error. */
const char *
https_error_name(int status)
{
	switch (status) {
	case HTTPS_ERR_URL: return "bad URL";
	case HTTPS_ERR_DNS: return "no address";
	case HTTPS_ERR_REFUSED_ADDRESS: return "refused address";
	case HTTPS_ERR_CONNECT: return "connection failed";
	case HTTPS_ERR_TLS: return "TLS failure";
	case HTTPS_ERR_TIMEOUT: return "timeout";
	case HTTPS_ERR_TOO_LARGE: return "too large";
	case HTTPS_ERR_PROTOCOL: return "bad HTTP response";
	case HTTPS_ERR_BUDGET: return "not fetched (budget)";
	case HTTPS_ERR_INTERNAL: return "internal error";
	default: return status >= 0 ? "HTTP" : "unknown error";
	}
}

/* "HTTP 404" or the error's name. */
const char *
https_status_text(int status, char *buf, size_t buflen)
{
	if (status < 0)
		return https_error_name(status);
	snprintf(buf, buflen, "HTTP %d", status);
	return buf;
}

/* Free what a result owns and zero it. */
void
https_result_clear(struct https_result *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Deep copy. */
int
https_result_copy(struct https_result *dst, const struct https_result *src)
{
	*dst = *src;
	dst->body = NULL;
	if (src->body == NULL)
		return 0;
	dst->body = malloc(src->body_len + 1);
	if (dst->body == NULL) {
		memset(dst, 0, sizeof(*dst));
		return -1;
	}
	memcpy(dst->body, src->body, src->body_len);
	dst->body[src->body_len] = '\0';
	return 0;
}

/* Set a fetch error with a formatted one-line reason. */
static void __attribute__((format(printf, 3, 4)))
set_error(struct https_result *r, int status, const char *fmt, ...)
{
	char raw[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	r->status = status;
	pt_sanitize(raw, strlen(raw), r->error, sizeof(r->error));
}

/*
 * Check the URL: "https://" HOST [":" PORT] [ "/" printable-path ], HOST equal to
 * req->host (ASCII case-insensitive), a DNS name (no IP literal, no userinfo).
 * Returns 0 with the URL's port (0 when it names none), or -1 with the reason.
 */
static int
url_check(const struct https_request *req, unsigned *port, const char **why)
{
	const char *url = req->url, *h, *p;
	size_t len, hlen, i;
	unsigned long v = 0;

	*port = 0;
	if (url == NULL || req->host == NULL) {
		*why = "no URL";
		return -1;
	}
	len = strnlen(url, URL_MAX + 1);
	if (len > URL_MAX) {
		*why = "URL too long";
		return -1;
	}
	if (len < 8 || strncasecmp(url, "https://", 8) != 0) {
		*why = "not an https:// URL";
		return -1;
	}
	h = url + 8;
	hlen = strcspn(h, "/:?#");
	p = h + hlen;
	if (dns_name_check(h, hlen, DNS_NAME_LDH | DNS_NAME_TRAILING_DOT) != DNS_NAME_OK) {
		*why = "the URL's host is not a DNS name";
		return -1;
	}
	if (strlen(req->host) != hlen || strncasecmp(h, req->host, hlen) != 0) {
		*why = "the URL's host is not the host whose addresses were given";
		return -1;
	}
	if (*p == ':') {
		for (p++, i = 0; *p >= '0' && *p <= '9' && i < 6; p++, i++)
			v = v * 10 + (unsigned long)(*p - '0');
		if (i == 0 || v == 0 || v > 65535) {
			*why = "bad port in the URL";
			return -1;
		}
		*port = (unsigned)v;
	}
	if (*p != '\0' && *p != '/') {
		*why = "the URL's authority is malformed";
		return -1;
	}
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*why = "the URL's path holds a space or a non-ASCII byte";
			return -1;
		}
	return 0;
}

/*
 * Keep the addresses we may connect to: public unicast ones, or all when private
 * addresses are allowed. Sets an error (and returns -1) when none is left.
 */
static int
pick_addresses(struct fetch *f, const struct https_options *opts)
{
	const struct https_request *req = f->req;
	char text[IPADDR_TEXT_MAX];
	enum ipaddr_class cls, first_cls = IPADDR_INVALID;
	size_t i, n = req->naddrs < HTTPS_MAX_ADDRS ? req->naddrs : HTTPS_MAX_ADDRS;
	size_t first = n;

	for (i = 0; i < n; i++) {
		if (req->addr_lens[i] != 4 && req->addr_lens[i] != 16)
			continue;
		cls = ipaddr_classify(req->addrs[i], req->addr_lens[i]);
		if (!ipaddr_may_connect(cls, opts->allow_private)) {
			if (first == n) {
				first = i;
				first_cls = cls;
			}
			continue;
		}
		memcpy(f->allowed[f->nallowed], req->addrs[i], req->addr_lens[i]);
		f->allowed_len[f->nallowed++] = req->addr_lens[i];
	}
	if (f->nallowed > 0)
		return 0;
	if (first == n) {
		set_error(f->res, HTTPS_ERR_DNS, "%s has no address to connect to", req->host);
		return -1;
	}
	set_error(f->res, HTTPS_ERR_REFUSED_ADDRESS,
	    "%s resolves to %s, %s%s, no public address: not fetched", req->host,
	    ipaddr_to_text(req->addrs[first], req->addr_lens[first], text, sizeof(text)),
	    ipaddr_class_name(first_cls), n > 1 ? " (and others)" : "");
	return -1;
}

/* The CURLOPT_RESOLVE entry "host:port:addr,[v6addr],...". NULL on OOM. */
static struct curl_slist *
resolve_entry(const struct fetch *f)
{
	char line[300 + HTTPS_MAX_ADDRS * (IPADDR_TEXT_MAX + 3)], text[IPADDR_TEXT_MAX];
	size_t i, o;

	o = (size_t)snprintf(line, sizeof(line), "%s:%u:", f->req->host, f->port);
	for (i = 0; i < f->nallowed && o < sizeof(line); i++) {
		ipaddr_to_text(f->allowed[i], f->allowed_len[i], text, sizeof(text));
		o += (size_t)snprintf(line + o, sizeof(line) - o, f->allowed_len[i] == 16 ?
		    "%s[%s]" : "%s%s", i ? "," : "", text);
	}
	if (o >= sizeof(line))
		return NULL;
	return curl_slist_append(NULL, line);
}

/* Opensocket callback: create the socket only for a pinned address and port. */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct fetch *f = arg;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	const uint8_t *addr = NULL;
	size_t len = 0, i;
	unsigned port = 0;
	int fd;

	if (purpose != CURLSOCKTYPE_IPCXN)
		goto refuse;
	if (sa->family == AF_INET && sa->addrlen >= sizeof(in4)) {
		memcpy(&in4, &sa->addr, sizeof(in4));
		addr = (const uint8_t *)&in4.sin_addr;
		len = 4;
		port = ntohs(in4.sin_port);
	} else if (sa->family == AF_INET6 && sa->addrlen >= sizeof(in6)) {
		memcpy(&in6, &sa->addr, sizeof(in6));
		addr = (const uint8_t *)&in6.sin6_addr;
		len = 16;
		port = ntohs(in6.sin6_port);
	}
	if (addr == NULL || port != f->port)
		goto refuse;
	for (i = 0; i < f->nallowed; i++)
		if (f->allowed_len[i] == len && memcmp(f->allowed[i], addr, len) == 0)
			break;
	if (i == f->nallowed)
		goto refuse;
	fd = socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
refuse:
	f->foreign_socket = true;
	return CURL_SOCKET_BAD;
}

/* Write callback: keep the body, cut it past max_bytes. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch *f = arg;
	struct https_result *r = f->res;
	size_t n, cap;
	uint8_t *grown;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return 0;
	n = size * nmemb;
	if (n > f->req->max_bytes - r->body_len) {
		f->too_large = true;
		return 0;
	}
	if (r->body_len + n + 1 > f->cap) {
		cap = f->cap ? f->cap : 4096;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		if (cap > f->req->max_bytes + 1)
			cap = f->req->max_bytes + 1;
		grown = realloc(r->body, cap);
		if (grown == NULL) {
			f->oom = true;
			return 0;
		}
		r->body = grown;
		f->cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* The milliseconds a request may take, bounded by the batch deadline. */
static long
budget_ms(unsigned want, unsigned dflt, uint64_t now, uint64_t deadline_ms)
{
	uint64_t ms = want ? want : dflt;

	if (deadline_ms != 0)
		ms = deadline_ms > now ? (deadline_ms - now < ms ? deadline_ms - now : ms) : 1;
	return (long)(ms ? ms : 1);
}

/* Configure one easy handle; 0, or -1 with the result's error set. */
static int
fetch_setup(struct fetch *f, const struct https_options *opts, uint64_t deadline_ms)
{
	const char *why = NULL;
	unsigned url_port;
	long total, connect;
	CURL *e;
	bool ok;

	if (url_check(f->req, &url_port, &why) < 0) {
		set_error(f->res, HTTPS_ERR_URL, "%s", why);
		return -1;
	}
	if (f->req->max_bytes == 0) {
		set_error(f->res, HTTPS_ERR_URL, "no body size limit given");
		return -1;
	}
	f->port = url_port ? url_port : opts->port ? opts->port : 443;
	if (pick_addresses(f, opts) < 0)
		return -1;
	if (https_global_init() < 0 || (f->easy = curl_easy_init()) == NULL ||
	    (f->resolve = resolve_entry(f)) == NULL) {
		set_error(f->res, HTTPS_ERR_INTERNAL, "libcurl could not start a transfer");
		return -1;
	}
	e = f->easy;
	total = budget_ms(f->req->timeout_ms, HTTPS_TIMEOUT_MS, f->start_ms, deadline_ms);
	connect = budget_ms(f->req->connect_timeout_ms, HTTPS_CONNECT_TIMEOUT_MS, f->start_ms,
	    deadline_ms);
	ok = curl_easy_setopt(e, CURLOPT_URL, f->req->url) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_RESOLVE, f->resolve) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_PORT, (long)f->port) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, f) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_PROXY, "") == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_NOPROXY, "*") == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
	    (opts->ca_file == NULL ||
	     curl_easy_setopt(e, CURLOPT_CAINFO, opts->ca_file) == CURLE_OK) &&
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)f->req->max_bytes) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, f) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->errbuf) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK;
	if (!ok) {
		set_error(f->res, HTTPS_ERR_INTERNAL, "libcurl refused an option");
		return -1;
	}
	return 0;
}

/* The kind of a curl error. */
static int
map_curl_error(const struct fetch *f, CURLcode rc)
{
	if (f->oom)
		return HTTPS_ERR_INTERNAL;
	if (f->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		return HTTPS_ERR_TOO_LARGE;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return HTTPS_ERR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
		return f->foreign_socket ? HTTPS_ERR_REFUSED_ADDRESS : HTTPS_ERR_CONNECT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return HTTPS_ERR_DNS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_USE_SSL_FAILED:
		return HTTPS_ERR_TLS;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HTTPS_ERR_URL;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
		return HTTPS_ERR_INTERNAL;
	default:
		return HTTPS_ERR_PROTOCOL;
	}
}

/* Copy a string from curl into a fixed buffer, sanitized. */
static void
copy_info(CURL *e, CURLINFO what, char *out, size_t outlen)
{
	char *s = NULL;

	out[0] = '\0';
	if (curl_easy_getinfo(e, what, &s) == CURLE_OK && s != NULL)
		pt_sanitize(s, strnlen(s, 1024), out, outlen);
}

/* Fill the result of a finished transfer. */
static void
fetch_finish(struct fetch *f, CURLcode rc)
{
	struct https_result *r = f->res;
	long code = 0;
	int kind;

	r->elapsed_ms = (unsigned)(dns_now_ms() - f->start_ms);
	(void)curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
	copy_info(f->easy, CURLINFO_PRIMARY_IP, r->address, sizeof(r->address));
	if (rc == CURLE_OK && code >= 100 && code <= 599) {
		r->status = (int)code;
		copy_info(f->easy, CURLINFO_CONTENT_TYPE, r->content_type,
		    sizeof(r->content_type));
		if (code >= 300 && code < 400)
			copy_info(f->easy, CURLINFO_REDIRECT_URL, r->location,
			    sizeof(r->location));
		https_body_hash(r->body, r->body_len, r->body_hash);
		return;
	}
	kind = rc == CURLE_OK ? HTTPS_ERR_PROTOCOL : map_curl_error(f, rc);
	switch (kind) {
	case HTTPS_ERR_TOO_LARGE:
		set_error(r, kind, "body larger than %zu bytes: transfer cut", f->req->max_bytes);
		break;
	case HTTPS_ERR_TIMEOUT:
		if (code != 0)
			set_error(r, kind, "body not complete after %u ms (%zu bytes received): "
			    "transfer cut", r->elapsed_ms, r->body_len);
		else
			set_error(r, kind, "no response within %u ms", r->elapsed_ms);
		break;
	case HTTPS_ERR_REFUSED_ADDRESS:
		set_error(r, kind, "connection to an address other than the resolved ones "
		    "refused");
		break;
	case HTTPS_ERR_INTERNAL:
		set_error(r, kind, "out of memory");
		break;
	default:
		set_error(r, kind, "%s", f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc));
		break;
	}
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->content_type[0] = '\0';
	r->location[0] = '\0';
}

/* Release one fetch's curl state. */
static void
fetch_free(struct fetch *f, CURLM *multi)
{
	if (f->easy != NULL) {
		if (f->running && multi != NULL)
			(void)curl_multi_remove_handle(multi, f->easy);
		curl_easy_cleanup(f->easy);
	}
	curl_slist_free_all(f->resolve);
	f->easy = NULL;
	f->resolve = NULL;
	f->running = false;
}

/* Find the fetch of an easy handle. */
static struct fetch *
fetch_of(struct fetch *fs, size_t n, CURL *easy)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fs[i].easy == easy)
			return &fs[i];
	return NULL;
}

/* Drive the multi handle until every transfer ends or the deadline passes. */
static void
run_multi(CURLM *multi, struct fetch *fs, size_t n, uint64_t deadline_ms)
{
	struct fetch *f;
	CURLMsg *msg;
	int running = 1, left;
	uint64_t now;
	long wait;
	size_t i;

	while (running > 0) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			f = fetch_of(fs, n, msg->easy_handle);
			if (f == NULL || !f->running)
				continue;
			fetch_finish(f, msg->data.result);
			fetch_free(f, multi);
		}
		if (running == 0)
			break;
		now = dns_now_ms();
		if (deadline_ms != 0 && now >= deadline_ms)
			break;
		wait = POLL_SLICE_MS;
		if (deadline_ms != 0 && deadline_ms - now < (uint64_t)wait)
			wait = (long)(deadline_ms - now);
		if (curl_multi_poll(multi, NULL, 0, (int)wait, NULL) != CURLM_OK)
			break;
	}
	/* Past the deadline (or a multi failure): what still runs is cut. */
	for (i = 0; i < n; i++) {
		if (!fs[i].running)
			continue;
		fs[i].res->elapsed_ms = (unsigned)(dns_now_ms() - fs[i].start_ms);
		set_error(fs[i].res, HTTPS_ERR_TIMEOUT, "not complete by the evaluation's "
		    "deadline (%u ms, %zu bytes received): transfer cut", fs[i].res->elapsed_ms,
		    fs[i].res->body_len);
		free(fs[i].res->body);
		fs[i].res->body = NULL;
		fs[i].res->body_len = 0;
		fetch_free(&fs[i], multi);
	}
}

_Static_assert(HTTPS_ERR_URL == -1 && HTTPS_ERR_INTERNAL == -10,
    "posture_milter_https_fetches_total's outcomes follow enum https_error");

/* Count the outcome of n fetches: 2xx, another HTTP status, or one of our errors. */
static void
count_fetches(const struct https_result *results, size_t n)
{
	size_t i, outcome;

	for (i = 0; i < n; i++) {
		if (results[i].status >= 200 && results[i].status < 300)
			outcome = 0;				/* ok */
		else if (results[i].status > 0)
			outcome = 1;				/* http_error */
		else if (results[i].status >= HTTPS_ERR_INTERNAL)
			outcome = (size_t)(1 - results[i].status); /* url .. internal */
		else
			continue;
		metrics_count(M_HTTPS_FETCHES, outcome, 0);
	}
}

/* Run n requests in parallel. */
void
https_fetch_many(const struct https_options *opts, const struct https_request *reqs,
		 struct https_result *results, size_t n, uint64_t deadline_ms)
{
	static const struct https_options defaults = { 0, NULL, false };
	struct fetch *fs;
	CURLM *multi = NULL;
	size_t i, active = 0;

	if (opts == NULL)
		opts = &defaults;
	for (i = 0; i < n; i++)
		memset(&results[i], 0, sizeof(results[i]));
	fs = n ? calloc(n, sizeof(*fs)) : NULL;
	if (n == 0)
		return;
	if (fs == NULL || https_global_init() < 0 || (multi = curl_multi_init()) == NULL) {
		for (i = 0; i < n; i++)
			set_error(&results[i], HTTPS_ERR_INTERNAL, "libcurl could not start");
		free(fs);
		count_fetches(results, n);
		return;
	}
	for (i = 0; i < n; i++) {
		fs[i].req = &reqs[i];
		fs[i].res = &results[i];
		fs[i].start_ms = dns_now_ms();
		if (fetch_setup(&fs[i], opts, deadline_ms) < 0 ||
		    curl_multi_add_handle(multi, fs[i].easy) != CURLM_OK) {
			if (results[i].status == 0)
				set_error(&results[i], HTTPS_ERR_INTERNAL, "libcurl refused a transfer");
			fetch_free(&fs[i], NULL);
			continue;
		}
		fs[i].running = true;
		active++;
	}
	if (active > 0)
		run_multi(multi, fs, n, deadline_ms);
	for (i = 0; i < n; i++)
		fetch_free(&fs[i], multi);
	curl_multi_cleanup(multi);
	free(fs);
	count_fetches(results, n);
}

/* One request. */
void
https_fetch(const struct https_options *opts, const struct https_request *req,
	    struct https_result *result, uint64_t deadline_ms)
{
	https_fetch_many(opts, req, result, 1, deadline_ms);
}
