/*
 * log.c - syslog plus optional stderr (see log.h). Callers pass only sanitized text.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "log.h"

static bool log_stderr;
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
pm_log_open(const char *ident, const char *facility, bool to_stderr)
{
	closelog();
	openlog(ident, LOG_PID | LOG_NDELAY, facility_value(facility));
	log_stderr = to_stderr;
}

/* Log one line. */
void
pm_log(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	syslog(prio, "%s", line);
	if (log_stderr) {
		pthread_mutex_lock(&stderr_lock);
		fprintf(stderr, "posture-milter: %s\n", line);
		fflush(stderr);
		pthread_mutex_unlock(&stderr_lock);
	}
}
