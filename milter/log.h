/*
 * log.h - the daemon's log: syslog (facility from the configuration), and stderr too
 * when running in the foreground (-f).
 */
#ifndef PM_LOG_H
#define PM_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Open syslog with ident and facility name ("mail", "local3"...); copy to stderr. */
void pm_log_open(const char *ident, const char *facility, bool to_stderr);
/* Log one line at priority prio (LOG_ERR, LOG_WARNING, LOG_INFO...). */
void pm_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
