/*
 * log.h - the daemon's log: syslog (facility from the configuration), and stderr too
 * when running in the foreground (-f). With LogFormat json each line is written as one
 * JSON object instead (log.c says which fields each line shape gives).
 */
#ifndef PM_LOG_H
#define PM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* Longest JSON line written: under what classic syslog daemons keep (1024). */
#define PM_LOG_JSON_MAX 1000

/* Open syslog with ident and facility name ("mail", "local3"...); copy to stderr; json. */
void pm_log_open(const char *ident, const char *facility, bool to_stderr, bool json);
/* Log one line at priority prio (LOG_ERR, LOG_WARNING, LOG_INFO...). */
void pm_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The JSON object for one text line at prio (no newline), at most PM_LOG_JSON_MAX
 * bytes; NULL when out of memory. now_ms: wall clock, milliseconds since the epoch.
 */
char *pm_log_json(int prio, const char *line, unsigned long long now_ms);

#endif
