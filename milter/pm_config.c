/*
 * pm_config.c - posture-milter.conf reader (see pm_config.h and posture-milter.conf(5)).
 *
 * One table of keys; each entry says how its value is parsed and where it goes.
 * Lines: `Key value`, keys case-insensitive, `#` starts a comment, blank lines
 * ignored, list keys repeat or take comma/space separated items. What can go wrong
 * is said as "FILE:LINE: Key: reason" and the load fails: a daemon must not start on
 * a configuration it half understood. A check across keys names the line of the
 * later one. Numbers are decimal only; ports go through pm_config_port() wherever
 * they appear. Lines are read by a bounded reader; a NUL or control byte is an
 * error, and whatever of the file an error quotes is masked (pm_config_printable()).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/authres_id.h"
#include "net/cidr.h"
#include "dns/dns_server.h"
#include "pm_config.h"
#include "posture.h"

#define LINE_MAX_LEN 4096

enum value_kind { V_STRING, V_AUTHSERV, V_LIST, V_CIDR_LIST, V_SELECTORS, V_BOOL, V_ULONG, V_UINT,
	V_SECONDS_MS, V_STRIP, V_ON_ERROR, V_FACILITY, V_SOCKET, V_PORT, V_USER, V_FILE, V_PIDFILE,
	V_HOSTPORT_LIST, V_PREFIX, V_LOG_FORMAT, V_DOMAIN_LIST };

/* The resolver takes at most this many servers (dns_resolver_new(), lib/dns.c). */
#define RESOLVER_MAX 8

struct key_def {
	const char *name;
	enum value_kind kind;
	size_t offset;		/* of the field in struct pm_config */
	size_t count_offset;	/* lists: of the count */
	unsigned long min, max;	/* numbers: the range; lists: max is the most items (0: 64) */
};

#define F(field) offsetof(struct pm_config, field)
static const struct key_def keys[] = {
	{ "Socket",		V_SOCKET, F(socket), 0, 0, 0 },
	{ "Resolver",		V_LIST, F(resolvers), F(nresolvers), 0, RESOLVER_MAX },
	{ "AuthservID",		V_AUTHSERV, F(authserv_id), 0, 0, 0 },
	{ "UserID",		V_USER, F(user_id), 0, 0, 0 },
	{ "PidFile",		V_PIDFILE, F(pid_file), 0, 0, 0 },
	{ "CacheEntries",	V_ULONG, F(cache_entries), 0, 1, 100000000 },
	{ "CacheBytes",		V_ULONG, F(cache_bytes), 0, 4096, 1UL << 40 },
	{ "CacheMinTTL",	V_UINT, F(cache_min_ttl), 0, 0, 86400 * 7 },
	{ "CacheMaxTTL",	V_UINT, F(cache_max_ttl), 0, 1, 86400 * 30 },
	{ "CacheStaleTTL",	V_UINT, F(cache_stale_ttl), 0, 0, 86400 * 7 },
	{ "EvaluationTimeout",	V_SECONDS_MS, F(evaluation_timeout_ms), 0, 10, 600000 },
	{ "DNSTimeout",		V_SECONDS_MS, F(dns_timeout_ms), 0, 10, 60000 },
	{ "MaxQueriesPerEvaluation", V_UINT, F(max_queries), 0, 10, 10000 },
	{ "MaxSignatures",	V_UINT, F(max_signatures), 0, 1, 100 },
	{ "Selectors",		V_SELECTORS, F(selectors), F(nselectors), 0, 0 },
	{ "InternalHosts",	V_CIDR_LIST, F(internal_hosts), F(ninternal_hosts), 0, 0 },
	{ "TrustedARCSealers",	V_DOMAIN_LIST, F(trusted_sealers), F(ntrusted_sealers), 0, 0 },
	{ "SkipAuthenticated",	V_BOOL, F(skip_authenticated), 0, 0, 0 },
	{ "AuthResults",	V_BOOL, F(auth_results), 0, 0, 0 },
	{ "StripHeaders",	V_STRIP, F(strip_headers), 0, 0, 0 },
	{ "MaxForgedHeaders",	V_UINT, F(max_forged_headers), 0, 0, 1000 },
	{ "OnError",		V_ON_ERROR, F(on_error), 0, 0, 0 },
	{ "HTTPSPort",		V_PORT, F(https_port), 0, 0, 0 },
	{ "CAFile",		V_FILE, F(ca_file), 0, 0, 0 },
	{ "BIMITrustAnchors",	V_FILE, F(bimi_trust_anchors), 0, 0, 0 },
	{ "AllowPrivateAddresses", V_BOOL, F(allow_private_addresses), 0, 0, 0 },
	{ "DNSSEC",		V_BOOL, F(dnssec), 0, 0, 0 },
	{ "ProbeMX",		V_BOOL, F(probe_mx), 0, 0, 0 },
	{ "SyslogFacility",	V_FACILITY, F(syslog_facility), 0, 0, 0 },
	{ "LogFormat",		V_LOG_FORMAT, F(log_format), 0, 0, 0 },
	{ "MetricsSocket",	V_SOCKET, F(metrics_socket), 0, 0, 0 },
	{ "PostureView",	V_BOOL, F(posture_view), 0, 0, 0 },
	{ "StateDirectory",	V_STRING, F(state_directory), 0, 0, 0 },
	{ "Redis",		V_HOSTPORT_LIST, F(redis), F(nredis), 0, 0 },
	{ "RedisPassword",	V_STRING, F(redis_password), 0, 0, 0 },
	{ "RedisDatabase",	V_UINT, F(redis_database), 0, 0, 65535 },
	{ "RedisPrefix",	V_PREFIX, F(redis_prefix), 0, 0, 0 },
	{ "RedisTimeout",	V_UINT, F(redis_timeout_ms), 0, 1, 60000 },
	{ "HistoryVersions",	V_UINT, F(history_versions), 0, 1, 100 },
};
#undef F

/* Defaults (posture-milter.conf(5) lists them). */
void
pm_config_init(struct pm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cache_entries = 100000;
	cfg->cache_bytes = 256UL << 20;
	cfg->cache_min_ttl = 60;
	cfg->cache_max_ttl = 86400;
	cfg->cache_stale_ttl = 3600;
	cfg->evaluation_timeout_ms = 10000;
	cfg->dns_timeout_ms = 2000;
	cfg->max_queries = 100;
	cfg->max_signatures = 5;
	cfg->skip_authenticated = true;
	cfg->auth_results = true;
	cfg->strip_headers = PM_STRIP_ALL;
	cfg->max_forged_headers = 100;
	cfg->on_error = PM_ON_ERROR_ACCEPT;
	cfg->https_port = 443;
	cfg->redis_timeout_ms = 50;
	cfg->history_versions = 10;
}

/* Release everything a load allocated; cfg is back to defaults. */
void
pm_config_free(struct pm_config *cfg)
{
	size_t i;

	free(cfg->socket);
	free(cfg->authserv_id);
	free(cfg->user_id);
	free(cfg->pid_file);
	free(cfg->ca_file);
	free(cfg->bimi_trust_anchors);
	free(cfg->syslog_facility);
	free(cfg->metrics_socket);
	free(cfg->state_directory);
	free(cfg->redis_password);
	free(cfg->redis_prefix);
	for (i = 0; i < cfg->nredis; i++)
		free(cfg->redis[i]);
	for (i = 0; i < cfg->nresolvers; i++)
		free(cfg->resolvers[i]);
	for (i = 0; i < cfg->nselectors; i++)
		free(cfg->selectors[i]);
	for (i = 0; i < cfg->ninternal_hosts; i++)
		free(cfg->internal_hosts[i]);
	for (i = 0; i < cfg->ntrusted_sealers; i++)
		free(cfg->trusted_sealers[i]);
	pm_config_init(cfg);
}

/* Whether s is ADDR or ADDR/LEN with LEN within the family's bits. */
static bool
cidr_valid(const char *s)
{
	struct cidr c;

	return cidr_parse(s, &c) == 0;
}

/* Whether s is "domain:selector" with both parts non-empty and plain LDH/dots. */
static bool
selector_valid(const char *s)
{
	const char *colon = strchr(s, ':');
	const char *p;

	if (colon == NULL || colon == s || colon[1] == '\0' || strchr(colon + 1, ':'))
		return false;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-_:", *p))
			return false;
	return true;
}

/*
 * Whether s is an IP address with a port, as the Redis backend takes it: IPv4:PORT or
 * [IPv6]:PORT (no host names: their lookup could not be bounded).
 */
static bool
hostport_valid(const char *s)
{
	char norm[80], why[160];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || colon[1] == '\0' || strspn(colon + 1, "0123456789") !=
	    strlen(colon + 1) || (strchr(s, ':') != colon && s[0] != '['))
		return false;
	return dns_server_parse(s, norm, sizeof(norm), why, sizeof(why)) == 0;
}

/* A Redis address (the Redis key, posture-check --redis): NULL, or a reason. */
const char *
pm_config_hostport(const char *s)
{
	return hostport_valid(s) ? NULL :
	    "not an IP address with a port (IPv4:PORT, [IPv6]:PORT)";
}

/* Copy at most 64 bytes of s into dst, non-printables as '?', "..." when cut. */
void
pm_config_printable(char *dst, size_t dstlen, const char *s)
{
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; s[i] != '\0' && i < 64 && i + 1 < dstlen; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[i] = '\0';
	if (s[i] != '\0' && i >= 3)
		memcpy(dst + i - 3, "...", 3);
}

/* Add the comma/space separated items of value to a list field. */
static const char *
list_add(const struct key_def *k, struct pm_config *cfg, char *value, char *buf, size_t buflen)
{
	char **list = (char **)((char *)cfg + k->offset);
	size_t *count = (size_t *)((char *)cfg + k->count_offset);
	size_t most = k->max ? (size_t)k->max : PM_MAX_LIST;
	char *item, *save = NULL, norm[80], why[160], dom[256];
	const char *bad;

	for (item = strtok_r(value, ", \t", &save); item; item = strtok_r(NULL, ", \t", &save)) {
		if (k->kind == V_CIDR_LIST && !cidr_valid(item))
			return "not an IP address or CIDR block";
		if (k->kind == V_SELECTORS && !selector_valid(item))
			return "not a domain:selector pair";
		if (k->kind == V_LIST && dns_server_parse(item, norm, sizeof(norm), why,
		    sizeof(why)) < 0)
			return "not an IP address with an optional port (HOST, HOST:PORT, [V6]:PORT)";
		if (k->kind == V_HOSTPORT_LIST && pm_config_hostport(item) != NULL)
			return pm_config_hostport(item);
		if (k->kind == V_DOMAIN_LIST) {
			if (posture_name_normalize(item, dom, sizeof(dom), &bad) < 0)
				return "not a domain name";
			item = dom;	/* kept normalized: compared with the seals' d= */
		}
		if (*count >= most) {
			snprintf(buf, buflen, "too many items (at most %zu)", most);
			return buf;
		}
		if ((list[*count] = strdup(item)) == NULL)
			return "out of memory";
		(*count)++;
	}
	return NULL;
}

/* Parse a decimal number within [min, max]: digits only, overflow checked. */
const char *
pm_config_number(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0, d;

	if (*s == '\0')
		return "not a number";
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return "not a number (decimal digits only)";
		d = (unsigned long)(*s - '0');
		if (v > (ULONG_MAX - d) / 10)
			return "out of range";
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return "out of range";
	*out = v;
	return NULL;
}

/* Parse a port, 1 to 65535. */
const char *
pm_config_port(const char *s, unsigned *port)
{
	unsigned long v;

	if (pm_config_number(s, 1, 65535, &v) != NULL)
		return "not a port (a decimal number from 1 to 65535)";
	*port = (unsigned)v;
	return NULL;
}

/* Whether s is a host name as libmilter would look it up: LDH labels and dots. */
static bool
hostname_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253 || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == len;
}

/* Split a libmilter socket spec (libmilter's mi_milteropen() grammar, decimal ports). */
const char *
pm_config_socket(const char *spec, struct pm_socket_addr *out)
{
	const char *colon = strchr(spec, ':'), *rest, *at, *host;
	unsigned char bin[16];
	char port[8];
	size_t plen, hlen;

	memset(out, 0, sizeof(*out));
	for (rest = spec; *rest; rest++)
		if ((unsigned char)*rest < 0x20 || *rest == 0x7f)
			return "control character in the socket spec";
	if (colon == NULL || (colon - spec == 4 && !strncasecmp(spec, "unix", 4)) ||
	    (colon - spec == 5 && !strncasecmp(spec, "local", 5)) || colon == spec) {
		rest = colon ? colon + 1 : spec;
		if (rest[0] != '/')
			return "a unix socket needs an absolute path (the daemon works from /)";
		if (strlen(rest) >= sizeof(out->path))
			return "unix socket path too long";
		out->family = AF_UNIX;
		memcpy(out->path, rest, strlen(rest) + 1);
		return NULL;
	}
	if (colon - spec == 4 && !strncasecmp(spec, "inet", 4))
		out->family = AF_INET;
	else if (colon - spec == 5 && !strncasecmp(spec, "inet6", 5))
		out->family = AF_INET6;
	else
		return "unknown socket type (unix:PATH, inet:PORT@HOST or inet6:PORT@HOST)";
	rest = colon + 1;
	at = strchr(rest, '@');
	plen = at ? (size_t)(at - rest) : strlen(rest);
	if (plen == 0 || plen >= sizeof(port))
		return "not a port (a decimal number from 1 to 65535)";
	memcpy(port, rest, plen);
	port[plen] = '\0';
	if (pm_config_port(port, &out->port) != NULL)
		return "not a port (a decimal number from 1 to 65535)";
	if (at == NULL)
		return NULL;			/* every address */
	host = at + 1;
	hlen = strlen(host);
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return "missing ']' after the address";
		host++;
		hlen -= 2;
		if (hlen >= sizeof(out->host))
			return "not an address";
		memcpy(out->host, host, hlen);
		out->host[hlen] = '\0';
		if (inet_pton(out->family, out->host, bin) != 1)
			return out->family == AF_INET ? "not an IPv4 address" : "not an IPv6 address";
		return NULL;
	}
	if (hlen >= sizeof(out->host))
		return "host name too long";
	memcpy(out->host, host, hlen + 1);
	if (inet_pton(out->family, out->host, bin) != 1 && !hostname_valid(out->host))
		return out->family == AF_INET ? "not an IPv4 address or host name" :
		    "not an IPv6 address or host name";
	return NULL;
}

/* Parse seconds ("10", "0.5", at most 3 decimals) into milliseconds within [min, max]. */
static const char *
seconds_parse(const char *value, unsigned long min, unsigned long max, unsigned *out)
{
	static const char *const bad = "not a number of seconds (decimal, e.g. 2 or 0.5)";
	const char *dot = strchr(value, '.');
	char whole[16], frac[4] = "000";
	unsigned long secs, ms;
	size_t wl = dot ? (size_t)(dot - value) : strlen(value), fl;

	if (wl == 0 || wl >= sizeof(whole) || strspn(value, "0123456789") != wl)
		return wl >= sizeof(whole) && strspn(value, "0123456789") == wl ? "out of range" : bad;
	memcpy(whole, value, wl);
	whole[wl] = '\0';
	if (dot != NULL) {
		fl = strlen(dot + 1);
		if (fl == 0 || fl > 3 || strspn(dot + 1, "0123456789") != fl)
			return "not a number of seconds (decimal, at most 3 decimals)";
		memcpy(frac, dot + 1, fl);
	}
	if (pm_config_number(whole, 0, max / 1000 + 1, &secs) != NULL ||
	    pm_config_number(frac, 0, 999, &ms) != NULL)
		return "out of range";
	ms += secs * 1000;
	if (ms < min || ms > max)
		return "out of range";
	*out = (unsigned)ms;
	return NULL;
}

/* Parse yes/no. */
static const char *
bool_parse(const char *value, bool *out)
{
	if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1"))
		*out = true;
	else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcmp(value, "0"))
		*out = false;
	else
		return "expected yes or no";
	return NULL;
}

/* Replace a string field. */
static const char *
string_set(char **field, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return "out of memory";
	free(*field);
	*field = copy;
	return NULL;
}

/* Whether a file the daemon will read later can be opened now: NULL or a reason in buf. */
static const char *
file_readable(const char *path, char *buf, size_t buflen)
{
	char shown[72];
	struct stat st;
	int fd;

	pm_config_printable(shown, sizeof(shown), path);
	if (path[0] != '/')
		return "needs an absolute path (the daemon works from /)";
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(buf, buflen, "cannot read %s: %s", shown, strerror(errno));
		return buf;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(buf, buflen, "%s is not a regular file", shown);
		return buf;
	}
	close(fd);
	return NULL;
}

/* Whether the directory a pid file goes in exists: NULL or a reason in buf. */
static const char *
pidfile_dir_exists(const char *path, char *buf, size_t buflen)
{
	char dir[PATH_MAX], shown[72];
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t dl;

	if (path[0] != '/')
		return "needs an absolute path (the daemon works from /)";
	dl = slash == path ? 1 : (size_t)(slash - path);
	if (slash[1] == '\0' || dl >= sizeof(dir))
		return "not a file name";
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	pm_config_printable(shown, sizeof(shown), dir);
	if (stat(dir, &st) < 0) {
		snprintf(buf, buflen, "directory %s: %s", shown, strerror(errno));
		return buf;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(buf, buflen, "%s is not a directory", shown);
		return buf;
	}
	return NULL;
}

/* Store one key's value; NULL or a reason (static or in buf). */
static const char *
key_apply(const struct key_def *k, struct pm_config *cfg, char *value, char *buf, size_t buflen)
{
	void *field = (char *)cfg + k->offset;
	static const char *const facilities[] = {
		"mail", "daemon", "user", "local0", "local1", "local2", "local3",
		"local4", "local5", "local6", "local7", NULL
	};
	struct pm_socket_addr sa;
	unsigned long n;
	const char *why;
	char shown[72];
	size_t i;

	switch (k->kind) {
	case V_STRING:
		return string_set(field, value);
	case V_AUTHSERV:
		/* It starts our headers: a plain token (RFC 8601 2.5), nothing to inject. */
		if (!authres_id_valid(value))
			return AUTHRES_ID_RULE;
		return string_set(field, value);
	case V_PREFIX:
		/* The first part of every key of posture memory: no separator inside. */
		if (strlen(value) > PM_REDIS_PREFIX_MAX || strspn(value,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
		    strlen(value))
			return "use at most 63 letters, digits, '.', '-' and '_'";
		return string_set(field, value);
	case V_LIST:
	case V_HOSTPORT_LIST:
	case V_CIDR_LIST:
	case V_SELECTORS:
	case V_DOMAIN_LIST:
		return list_add(k, cfg, value, buf, buflen);
	case V_BOOL:
		return bool_parse(value, field);
	case V_ULONG:
		if ((why = pm_config_number(value, k->min, k->max, &n)) == NULL)
			*(unsigned long *)field = n;
		return why;
	case V_UINT:
		if ((why = pm_config_number(value, k->min, k->max, &n)) == NULL)
			*(unsigned *)field = (unsigned)n;
		return why;
	case V_PORT:
		return pm_config_port(value, field);
	case V_SECONDS_MS:
		return seconds_parse(value, k->min, k->max, field);
	case V_SOCKET:
		if ((why = pm_config_socket(value, &sa)) != NULL)
			return why;
		return string_set(field, value);
	case V_USER:
		/* Start-up switches to it after opening the socket: too late to find out. */
		if (getpwnam(value) == NULL) {
			pm_config_printable(shown, sizeof(shown), value);
			snprintf(buf, buflen, "no such user %s", shown);
			return buf;
		}
		return string_set(field, value);
	case V_FILE:
		if ((why = file_readable(value, buf, buflen)) != NULL)
			return why;
		return string_set(field, value);
	case V_PIDFILE:
		if ((why = pidfile_dir_exists(value, buf, buflen)) != NULL)
			return why;
		return string_set(field, value);
	case V_STRIP:
		if (!strcasecmp(value, "all"))
			cfg->strip_headers = PM_STRIP_ALL;
		else if (!strcasecmp(value, "ours"))
			cfg->strip_headers = PM_STRIP_OURS;
		else
			return "expected all or ours";
		return NULL;
	case V_ON_ERROR:
		if (!strcasecmp(value, "accept"))
			cfg->on_error = PM_ON_ERROR_ACCEPT;
		else if (!strcasecmp(value, "tempfail"))
			cfg->on_error = PM_ON_ERROR_TEMPFAIL;
		else
			return "expected accept or tempfail";
		return NULL;
	case V_FACILITY:
		for (i = 0; facilities[i]; i++)
			if (!strcasecmp(value, facilities[i]))
				return string_set(field, facilities[i]);
		return "not a syslog facility (mail, daemon, user, local0..local7)";
	case V_LOG_FORMAT:
		if (!strcasecmp(value, "text"))
			cfg->log_format = PM_LOG_TEXT;
		else if (!strcasecmp(value, "json"))
			cfg->log_format = PM_LOG_JSON;
		else
			return "expected text or json";
		return NULL;
	}
	return "internal error";
}

/* Trim white space at both ends in place. */
static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Read one line of at most cap - 1 bytes into buf, without its newline: 1, 0 at the
 * end of the file, -1 when longer (the rest of it is consumed), -2 on a NUL or other
 * control byte (tab aside), -3 on a read error.
 */
static int
line_read(FILE *f, char *buf, size_t cap)
{
	size_t len = 0;
	int c, status = 1;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (len + 1 >= cap) {
			status = -1;
			continue;
		}
		if (status == 1 && ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f))
			status = -2;
		buf[len++] = (char)c;
	}
	buf[len] = '\0';
	if (c == EOF && ferror(f))
		return -3;
	if (c == EOF && len == 0 && status == 1)
		return 0;
	return status;
}

/* Read a configuration file. */
int
pm_config_load(const char *path, struct pm_config *cfg, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN + 1], *key, *value, *hash, shown[72], buf[256];
	unsigned key_line[sizeof(keys) / sizeof(keys[0])] = { 0 };
	const struct key_def *k, *later;
	unsigned lineno = 0;
	const char *why;
	size_t i, imin = 0, imax = 0;
	int got;
	FILE *f;

	pm_config_printable(shown, sizeof(shown), path);
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", shown, strerror(errno));
		return -1;
	}
	while ((got = line_read(f, line, sizeof(line))) != 0) {
		lineno++;
		if (got == -1) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", shown, lineno,
			    LINE_MAX_LEN);
			goto fail;
		}
		if (got == -2) {
			snprintf(err, errlen, "%s:%u: NUL or control byte in the line", shown,
			    lineno);
			goto fail;
		}
		if (got == -3) {
			snprintf(err, errlen, "%s: read error: %s", shown, strerror(errno));
			goto fail;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		for (value = key; *value && !isspace((unsigned char)*value); value++)
			;
		if (*value)
			*value++ = '\0';
		value = trim(value);
		for (k = NULL, i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcasecmp(keys[i].name, key) == 0)
				k = &keys[i];
		if (k == NULL) {
			char key_shown[72];

			pm_config_printable(key_shown, sizeof(key_shown), key);
			snprintf(err, errlen, "%s:%u: %s: unknown key", shown, lineno, key_shown);
			goto fail;
		}
		if (*value == '\0') {
			snprintf(err, errlen, "%s:%u: %s: missing value", shown, lineno, k->name);
			goto fail;
		}
		if ((why = key_apply(k, cfg, value, buf, sizeof(buf))) != NULL) {
			snprintf(err, errlen, "%s:%u: %s: %s", shown, lineno, k->name, why);
			goto fail;
		}
		key_line[k - keys] = lineno;
	}
	fclose(f);
	if (cfg->cache_min_ttl > cfg->cache_max_ttl) {
		/* The later of the two lines is the one that made them disagree. */
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (keys[i].offset == offsetof(struct pm_config, cache_min_ttl))
				imin = i;
			if (keys[i].offset == offsetof(struct pm_config, cache_max_ttl))
				imax = i;
		}
		later = key_line[imin] > key_line[imax] ? &keys[imin] : &keys[imax];
		snprintf(err, errlen, "%s:%u: %s: CacheMinTTL %u is above CacheMaxTTL %u", shown,
		    key_line[later - keys], later->name, cfg->cache_min_ttl, cfg->cache_max_ttl);
		return -1;
	}
	return 0;
fail:
	fclose(f);
	return -1;
}
