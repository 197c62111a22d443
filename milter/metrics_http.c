/*
 * metrics_http.c - the MetricsSocket server: GET /metrics in the Prometheus text
 * exposition (util/metrics.h), on libmicrohttpd's own thread, never on a milter
 * worker (see metrics_http.h).
 *
 * We bind the socket ourselves (the spec has libmilter's syntax: unix:PATH,
 * inet:PORT@ADDR, inet6:PORT@ADDR) and hand it to libmicrohttpd, so unix sockets work
 * like inet ones. Requests are bounded: at most METRICS_CONNECTIONS at once, an idle
 * or slow connection is closed after METRICS_TIMEOUT_S, and a request must fit in
 * METRICS_REQUEST_MEMORY bytes (libmicrohttpd answers larger ones with an error).
 * GET and HEAD of /metrics answer 200; with PostureView yes, so does GET of
 * /posture/DOMAIN when the current runtime's pool holds a snapshot of the domain (the
 * JSON object of posture-check --json plus "cache": its age and whether it is stale;
 * evalpool_peek(): nothing is evaluated, no DNS is asked for a web request), 404 when
 * it holds none or the name is not a domain. Any other path is 404, any other method
 * 405. Nothing of the request is logged or echoed.
 *
 * What can go wrong: the socket cannot be bound (start-up fails, saying why); out of
 * memory while rendering (503); libmicrohttpd cannot start (start-up fails).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "config.h"
#include "evalpool.h"
#include "metrics_http.h"
#include "posture.h"
#include "runtime.h"
#include "util/metrics.h"
#include "util/strbuf.h"

#define METRICS_CONNECTIONS	8
#define METRICS_TIMEOUT_S	10
#define METRICS_REQUEST_MEMORY	(16 * 1024)
#define METRICS_BACKLOG		16
#define EXPOSITION_TYPE		"text/plain; version=0.0.4; charset=utf-8"

#define POSTURE_PREFIX		"/posture/"

static struct MHD_Daemon *daemon_handle;
static bool posture_view;		/* PostureView: serve /posture/DOMAIN */
static char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* Queue a fixed text response with status code. */
static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned code, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

/*
 * The JSON of what the current runtime holds for a domain, with its cache age and
 * state; NULL when it holds nothing or the name is not a domain (404), or on OOM.
 */
static char *
posture_json(const char *name)
{
	const struct posture_eval *ev;
	struct runtime *rt;
	char domain[256], *obj, *out = NULL;
	const char *why;
	unsigned age;
	void *ref;
	bool stale;

	if (posture_name_normalize(name, domain, sizeof(domain), &why) < 0 ||
	    (rt = runtime_current()) == NULL)
		return NULL;
	ev = evalpool_peek(rt->pool, domain, &ref, &age, &stale);
	if (ev != NULL && (obj = posture_report_json(&ev, 1)) != NULL) {
		size_t n = strlen(obj);

		/* One object ending "}\n": add the cache's view before its closing brace. */
		while (n > 0 && (obj[n - 1] == '\n' || obj[n - 1] == '}'))
			if (obj[--n] == '}')
				break;
		obj[n] = '\0';
		out = pt_strdup_printf("%s, \"cache\": {\"age_s\": %u, \"state\": \"%s\"}}\n",
		    obj, age, stale ? "stale" : "fresh");
		free(obj);
	}
	if (ev != NULL)
		evalpool_peek_release(ref);
	runtime_put(rt);
	return out;
}

/* Queue body (malloc()ed, taken) with status 200 and a content type. */
static enum MHD_Result
reply_body(struct MHD_Connection *conn, char *body, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* One request: /metrics, /posture/DOMAIN, or 404 (405 for methods but GET and HEAD). */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
	char *body;

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)state;
	if (*upload_data_size != 0) {
		*upload_data_size = 0;		/* a body: ignored, the answer is already queued */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (posture_view && strncmp(url, POSTURE_PREFIX, strlen(POSTURE_PREFIX)) == 0) {
		body = posture_json(url + strlen(POSTURE_PREFIX));
		if (body == NULL)
			return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
		return reply_body(conn, body, "application/json");
	}
	if (strcmp(url, "/metrics") != 0)
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	body = metrics_render_all();
	if (body == NULL)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	return reply_body(conn, body, EXPOSITION_TYPE);
}

/* A listening socket for sa; -1 with a reason in err. */
static int
listen_on(const struct pm_socket_addr *sa, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_un un;
	struct stat st;
	char port[8];
	int fd, one = 1, rc;

	if (sa->family == AF_UNIX) {
		/* A stale socket of an earlier run goes; anything else stays and fails. */
		if (lstat(sa->path, &st) == 0 && S_ISSOCK(st.st_mode))
			(void)unlink(sa->path);
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		memcpy(un.sun_path, sa->path, strlen(sa->path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
		    listen(fd, METRICS_BACKLOG) < 0)
			goto fail;
		snprintf(unix_path, sizeof(unix_path), "%s", sa->path);
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = sa->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", sa->port);
	rc = getaddrinfo(sa->host[0] ? sa->host : NULL, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve the host: %s", gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, METRICS_BACKLOG) < 0) {
		freeaddrinfo(res);
		goto fail;
	}
	freeaddrinfo(res);
	return fd;
fail:
	rc = errno;
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "%s", strerror(rc));
	return -1;
}

/* Bind the socket, enable the metrics, start the server thread. */
int
metrics_http_start(const struct pm_socket_addr *sa, bool view, char *err, size_t errlen)
{
	int fd;

	if (daemon_handle != NULL)
		return 0;
	if ((fd = listen_on(sa, err, errlen)) < 0)
		return -1;
	posture_view = view;
	if (metrics_enable_all(PACKAGE_VERSION) < 0) {
		snprintf(err, errlen, "out of memory enabling the metrics");
		close(fd);
		return -1;
	}
	daemon_handle = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
	    0, NULL, NULL, handle, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_REQUEST_MEMORY,
	    MHD_OPTION_END);
	if (daemon_handle == NULL) {
		snprintf(err, errlen, "libmicrohttpd could not start");
		close(fd);
		return -1;
	}
	return 0;
}

/* Stop the server and remove a unix socket. */
void
metrics_http_stop(void)
{
	if (daemon_handle == NULL)
		return;
	MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
	if (unix_path[0] != '\0')
		(void)unlink(unix_path);
	unix_path[0] = '\0';
}
