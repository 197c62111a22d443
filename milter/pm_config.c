/*
 * pm_config.c - posture-milter.conf reader (see pm_config.h and posture-milter.conf(5)).
 *
 * One table of keys; each entry says how its value is parsed and where it goes.
 * Lines: `Key value`, keys case-insensitive, `#` starts a comment, blank lines
 * ignored, list keys repeat or take comma/space separated items. What can go wrong
 * is said as "FILE:LINE: Key: reason" and the load fails: a daemon must not start on
 * a configuration it half understood.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "dns_server.h"
#include "pm_config.h"

#define LINE_MAX_LEN 4096

enum value_kind { V_STRING, V_AUTHSERV, V_LIST, V_CIDR_LIST, V_SELECTORS, V_BOOL, V_ULONG, V_UINT,
	V_SECONDS_MS, V_STRIP, V_ON_ERROR, V_FACILITY };

struct key_def {
	const char *name;
	enum value_kind kind;
	size_t offset;		/* of the field in struct pm_config */
	size_t count_offset;	/* lists: of the count */
	unsigned long min, max;	/* numbers */
};

#define F(field) offsetof(struct pm_config, field)
static const struct key_def keys[] = {
	{ "Socket",		V_STRING, F(socket), 0, 0, 0 },
	{ "Resolver",		V_LIST, F(resolvers), F(nresolvers), 0, 0 },
	{ "AuthservID",		V_AUTHSERV, F(authserv_id), 0, 0, 0 },
	{ "UserID",		V_STRING, F(user_id), 0, 0, 0 },
	{ "PidFile",		V_STRING, F(pid_file), 0, 0, 0 },
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
	{ "SkipAuthenticated",	V_BOOL, F(skip_authenticated), 0, 0, 0 },
	{ "AuthResults",	V_BOOL, F(auth_results), 0, 0, 0 },
	{ "StripHeaders",	V_STRIP, F(strip_headers), 0, 0, 0 },
	{ "MaxForgedHeaders",	V_UINT, F(max_forged_headers), 0, 0, 1000 },
	{ "OnError",		V_ON_ERROR, F(on_error), 0, 0, 0 },
	{ "HTTPSPort",		V_UINT, F(https_port), 0, 1, 65535 },
	{ "CAFile",		V_STRING, F(ca_file), 0, 0, 0 },
	{ "BIMITrustAnchors",	V_STRING, F(bimi_trust_anchors), 0, 0, 0 },
	{ "AllowPrivateAddresses", V_BOOL, F(allow_private_addresses), 0, 0, 0 },
	{ "SyslogFacility",	V_FACILITY, F(syslog_facility), 0, 0, 0 },
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
	for (i = 0; i < cfg->nresolvers; i++)
		free(cfg->resolvers[i]);
	for (i = 0; i < cfg->nselectors; i++)
		free(cfg->selectors[i]);
	for (i = 0; i < cfg->ninternal_hosts; i++)
		free(cfg->internal_hosts[i]);
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

/* Add the comma/space separated items of value to a list field. */
static const char *
list_add(const struct key_def *k, struct pm_config *cfg, char *value)
{
	char **list = (char **)((char *)cfg + k->offset);
	size_t *count = (size_t *)((char *)cfg + k->count_offset);
	char *item, *save = NULL, norm[80], why[160];

	for (item = strtok_r(value, ", \t", &save); item; item = strtok_r(NULL, ", \t", &save)) {
		if (k->kind == V_CIDR_LIST && !cidr_valid(item))
			return "not an IP address or CIDR block";
		if (k->kind == V_SELECTORS && !selector_valid(item))
			return "not a domain:selector pair";
		if (k->kind == V_LIST && dns_server_parse(item, norm, sizeof(norm), why,
		    sizeof(why)) < 0)
			return "not an IP address with an optional port (HOST, HOST:PORT, [V6]:PORT)";
		if (*count == PM_MAX_LIST)
			return "too many items (at most 64)";
		if ((list[*count] = strdup(item)) == NULL)
			return "out of memory";
		(*count)++;
	}
	return NULL;
}

/* Parse an unsigned number within [min, max]. */
static const char *
number_parse(const char *value, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)value[0]))
		return "not a number";
	*out = strtoul(value, &end, 10);
	if (errno || *end != '\0')
		return "not a number";
	if (*out < min || *out > max)
		return "out of range";
	return NULL;
}

/* Parse seconds ("10", "0.5") into milliseconds within [min, max] ms. */
static const char *
seconds_parse(const char *value, unsigned long min, unsigned long max, unsigned *out)
{
	double secs;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)value[0]))
		return "not a number of seconds";
	secs = strtod(value, &end);
	if (errno || *end != '\0')
		return "not a number of seconds";
	if (secs * 1000.0 < (double)min || secs * 1000.0 > (double)max)
		return "out of range";
	*out = (unsigned)(secs * 1000.0 + 0.5);
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

/* Store one key's value; NULL or a reason. */
static const char *
key_apply(const struct key_def *k, struct pm_config *cfg, char *value)
{
	void *field = (char *)cfg + k->offset;
	static const char *const facilities[] = {
		"mail", "daemon", "user", "local0", "local1", "local2", "local3",
		"local4", "local5", "local6", "local7", NULL
	};
	unsigned long n;
	const char *why;
	size_t i;

	switch (k->kind) {
	case V_STRING:
		return string_set(field, value);
	case V_AUTHSERV:
		/* It starts our headers: a plain token (RFC 8601 2.5), nothing to inject. */
		if (strlen(value) > 200 || strspn(value, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(value))
			return "use letters, digits, '.', '-' and '_' only (RFC 8601 2.5)";
		return string_set(field, value);
	case V_LIST:
	case V_CIDR_LIST:
	case V_SELECTORS:
		return list_add(k, cfg, value);
	case V_BOOL:
		return bool_parse(value, field);
	case V_ULONG:
		if ((why = number_parse(value, k->min, k->max, &n)) == NULL)
			*(unsigned long *)field = n;
		return why;
	case V_UINT:
		if ((why = number_parse(value, k->min, k->max, &n)) == NULL)
			*(unsigned *)field = (unsigned)n;
		return why;
	case V_SECONDS_MS:
		return seconds_parse(value, k->min, k->max, field);
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

/* Read a configuration file. */
int
pm_config_load(const char *path, struct pm_config *cfg, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN + 2], *key, *value, *hash;
	const struct key_def *k;
	unsigned lineno = 0;
	const char *why;
	size_t i, len;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > LINE_MAX_LEN && line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno,
			    LINE_MAX_LEN);
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
			snprintf(err, errlen, "%s:%u: %.64s: unknown key", path, lineno, key);
			goto fail;
		}
		if (*value == '\0') {
			snprintf(err, errlen, "%s:%u: %s: missing value", path, lineno, k->name);
			goto fail;
		}
		if ((why = key_apply(k, cfg, value)) != NULL) {
			snprintf(err, errlen, "%s:%u: %s: %s", path, lineno, k->name, why);
			goto fail;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	if (cfg->cache_min_ttl > cfg->cache_max_ttl) {
		snprintf(err, errlen, "%s: CacheMinTTL %u is above CacheMaxTTL %u", path,
		    cfg->cache_min_ttl, cfg->cache_max_ttl);
		return -1;
	}
	return 0;
fail:
	fclose(f);
	return -1;
}
