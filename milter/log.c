/*
 * log.c - syslog plus optional stderr (see log.h). Callers pass only sanitized text.
 *
 * LogFormat json: the text line is made (as for text) and then written as one JSON
 * object, its fields read from the line shapes ARCHITECTURE.md (Logs) lists, which
 * are an interface anyway:
 *   every line     time (UTC, RFC 3339, ms), level, event, message (the text line)
 *   QID: DOMAIN: CODE SEVERITY: MESSAGE     event finding: qid, domain, code,
 *                                           severity, family (from the code's prefix)
 *   QID: DOMAIN: not evaluated: REASON      event not_evaluated: qid, domain
 *   QID: posture PARTS; N ms                event summary: qid, domains [{role,
 *                                           domain, grade, source}], spf, dkim, dmarc,
 *                                           notes [...], elapsed_ms
 *   QID: rejected: ...                      event rejected: qid
 *   start, reload, reload_failed, stop      the daemon's own lines
 *   anything else                           event log
 * Values are JSON-escaped and capped (LOG_VALUE_MAX, the message LOG_MESSAGE_MAX); a
 * line still over PM_LOG_JSON_MAX keeps only time, level, event, qid and a shorter
 * message, so syslog never cuts an object in two.
 *
 * What can go wrong: out of memory while building the object (the text line is
 * written instead).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util/strbuf.h"

#define LOG_VALUE_MAX 253	/* a domain name fits */
#define LOG_MESSAGE_MAX 600
#define LOG_MESSAGE_SHORT 400

static bool log_stderr;
static bool log_json;
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;

/* Map a facility name to its syslog value. */
static int
facility_value(const char *name)
{
	static const struct { const char *name; int value; } facilities[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	size_t i;

	for (i = 0; name && i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return LOG_MAIL;
}

/* Open the log. */
void
pm_log_open(const char *ident, const char *facility, bool to_stderr, bool json)
{
	closelog();
	openlog(ident, LOG_PID | LOG_NDELAY, facility_value(facility));
	log_stderr = to_stderr;
	log_json = json;
}

/* Append "key":"value" (value cut at cap bytes, "..." marking the cut), comma first. */
static void
json_field(struct pt_sb *sb, const char *key, const char *value, size_t len, size_t cap)
{
	char buf[LOG_MESSAGE_MAX + 4];

	if (cap > LOG_MESSAGE_MAX)
		cap = LOG_MESSAGE_MAX;
	if (len > cap) {
		memcpy(buf, value, cap - 3);
		memcpy(buf + cap - 3, "...", 4);
	} else {
		memcpy(buf, value, len);
		buf[len] = '\0';
	}
	pt_sb_printf(sb, ",\"%s\":", key);
	pt_sb_append_json(sb, buf);
}

/* Length of the token at s made of chars in set. */
static size_t
span_of(const char *s, const char *set)
{
	return strspn(s, set);
}

#define QID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define DOMAIN_CHARS QID_CHARS ".-_"
#define CODE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* Append one summary part: a domain object, verdicts, or a note. */
static void
summary_part(struct pt_sb *domains, struct pt_sb *notes, struct pt_sb *rest, const char *p,
	     size_t len)
{
	char part[512], role[16], domain[256], grade[16], source[16];
	char spf[16], dkim[16], dmarc[16];

	if (len >= sizeof(part))
		len = sizeof(part) - 1;
	memcpy(part, p, len);
	part[len] = '\0';
	if (sscanf(part, "%15[a-z]=%255[A-Za-z0-9._-] grade=%15[A-Za-z] (%15[a-z])", role,
	    domain, grade, source) == 4) {
		pt_sb_append(domains, domains->len ? ",{" : "{");
		pt_sb_append(domains, "\"role\":");
		pt_sb_append_json(domains, role);
		json_field(domains, "domain", domain, strlen(domain), LOG_VALUE_MAX);
		json_field(domains, "grade", grade, strlen(grade), LOG_VALUE_MAX);
		json_field(domains, "source", source, strlen(source), LOG_VALUE_MAX);
		pt_sb_append(domains, "}");
	} else if (sscanf(part, "spf=%15[a-z] dkim=%15[a-z] dmarc=%15[a-z]", spf, dkim,
	    dmarc) == 3) {
		json_field(rest, "spf", spf, strlen(spf), LOG_VALUE_MAX);
		json_field(rest, "dkim", dkim, strlen(dkim), LOG_VALUE_MAX);
		json_field(rest, "dmarc", dmarc, strlen(dmarc), LOG_VALUE_MAX);
	} else {
		if (notes->len)
			pt_sb_append(notes, ",");
		pt_sb_append_json(notes, part);
	}
}

/* The fields of "posture PARTS; N ms" (s after "QID: posture "). */
static void
summary_fields(struct pt_sb *sb, const char *s)
{
	const char *semi = strrchr(s, ';'), *p, *comma;
	struct pt_sb domains, notes, rest;
	unsigned ms;

	if (semi == NULL || sscanf(semi, "; %u ms", &ms) != 1)
		return;
	pt_sb_init(&domains);
	pt_sb_init(&notes);
	pt_sb_init(&rest);
	for (p = s; p < semi; p = comma + 2) {
		comma = strstr(p, ", ");
		if (comma == NULL || comma > semi)
			comma = semi;
		if (comma > p)
			summary_part(&domains, &notes, &rest, p, (size_t)(comma - p));
		if (comma == semi)
			break;
	}
	pt_sb_printf(sb, ",\"domains\":[%s]", domains.s ? domains.s : "");
	if (rest.s != NULL)
		pt_sb_append(sb, rest.s);
	if (notes.s != NULL)
		pt_sb_printf(sb, ",\"notes\":[%s]", notes.s);
	pt_sb_printf(sb, ",\"elapsed_ms\":%u", ms);
	if (domains.oom || notes.oom || rest.oom)
		sb->oom = true;
	pt_sb_free(&domains);
	pt_sb_free(&notes);
	pt_sb_free(&rest);
}

/* The family of a finding code, by its prefix (lib/codes.h names them so). */
static const char *
code_family(const char *code)
{
	static const struct { const char *prefix, *family; } families[] = {
		{ "MX_", "mx" }, { "SPF_", "spf" }, { "DKIM_", "dkim" }, { "DMARC_", "dmarc" },
		{ "MTASTS_", "mta-sts" }, { "TLSRPT_", "tls-rpt" }, { "BIMI_", "bimi" },
	};
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strncmp(code, families[i].prefix, strlen(families[i].prefix)) == 0)
			return families[i].family;
	return "unknown";
}

/* The event of a line and its fields (after "time" and "level"); full: all fields. */
static void
line_fields(struct pt_sb *sb, const char *line, bool full)
{
	const char *event = "log", *rest, *dom = NULL, *sev = NULL;
	size_t qlen = span_of(line, QID_CHARS), dlen = 0, clen = 0;

	rest = line[qlen] == ':' && line[qlen + 1] == ' ' && qlen > 0 ? line + qlen + 2 : NULL;
	if (rest != NULL) {
		dlen = span_of(rest, DOMAIN_CHARS);
		if (dlen > 0 && rest[dlen] == ':' && rest[dlen + 1] == ' ')
			dom = rest;
	}
	if (dom != NULL && (clen = span_of(dom + dlen + 2, CODE_CHARS)) > 0 &&
	    dom[dlen + 2 + clen] == ' ') {
		sev = dom + dlen + 3 + clen;
		if (strncmp(sev, "info: ", 6) == 0 || strncmp(sev, "warn: ", 6) == 0 ||
		    strncmp(sev, "error: ", 7) == 0)
			event = "finding";
	}
	if (dom != NULL && strncmp(dom + dlen + 2, "not evaluated: ", 15) == 0)
		event = "not_evaluated";
	else if (rest != NULL && strncmp(rest, "posture ", 8) == 0)
		event = "summary";
	else if (rest != NULL && strncmp(rest, "rejected: ", 10) == 0)
		event = "rejected";
	if (strcmp(event, "log") == 0) {
		rest = NULL;
		if (strncmp(line, "posture-milter ", 15) == 0 && strstr(line, " listening on "))
			event = "start";
		else if (strncmp(line, "configuration reloaded", 22) == 0)
			event = "reload";
		else if (strncmp(line, "reload failed", 13) == 0)
			event = "reload_failed";
		else if (strcmp(line, "posture-milter stopping") == 0)
			event = "stop";
	}
	pt_sb_printf(sb, ",\"event\":\"%s\"", event);
	if (rest != NULL)
		json_field(sb, "qid", line, qlen, LOG_VALUE_MAX);
	if (full && strcmp(event, "finding") == 0) {
		json_field(sb, "domain", dom, dlen, LOG_VALUE_MAX);
		json_field(sb, "code", dom + dlen + 2, clen, LOG_VALUE_MAX);
		json_field(sb, "severity", sev, strcspn(sev, ":"), LOG_VALUE_MAX);
		json_field(sb, "family", code_family(dom + dlen + 2), strlen(code_family(dom +
		    dlen + 2)), LOG_VALUE_MAX);
	} else if (full && strcmp(event, "not_evaluated") == 0) {
		json_field(sb, "domain", dom, dlen, LOG_VALUE_MAX);
	} else if (full && strcmp(event, "summary") == 0) {
		summary_fields(sb, rest + 8);
	}
	json_field(sb, "message", line, strlen(line), full ? LOG_MESSAGE_MAX : LOG_MESSAGE_SHORT);
}

/* The JSON object of one line. */
char *
pm_log_json(int prio, const char *line, unsigned long long now_ms)
{
	static const char *const levels[] = { "emerg", "alert", "crit", "err", "warning",
		"notice", "info", "debug" };
	struct pt_sb sb;
	struct tm tm;
	time_t secs = (time_t)(now_ms / 1000);
	char stamp[40];
	bool full;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	for (full = true;; full = false) {
		pt_sb_init(&sb);
		pt_sb_printf(&sb, "{\"time\":\"%s.%03uZ\",\"level\":\"%s\"", stamp,
		    (unsigned)(now_ms % 1000), levels[LOG_PRI(prio)]);
		line_fields(&sb, line, full);
		pt_sb_append(&sb, "}");
		if (sb.oom || sb.len <= PM_LOG_JSON_MAX || !full)
			break;
		pt_sb_free(&sb);
	}
	return pt_sb_take(&sb);
}

/* Log one line. */
void
pm_log(int prio, const char *fmt, ...)
{
	char line[2048], *json = NULL;
	const char *out = line;
	struct timespec ts;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_json) {
		clock_gettime(CLOCK_REALTIME, &ts);
		json = pm_log_json(prio, line, (unsigned long long)ts.tv_sec * 1000 +
		    (unsigned long long)ts.tv_nsec / 1000000);
		if (json != NULL)
			out = json;
	}
	syslog(prio, "%s", out);
	if (log_stderr) {
		pthread_mutex_lock(&stderr_lock);
		fprintf(stderr, "posture-milter: %s\n", out);
		fflush(stderr);
		pthread_mutex_unlock(&stderr_lock);
	}
	free(json);
}
