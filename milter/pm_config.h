/*
 * pm_config.h - posture-milter.conf: `Key value` lines, `#` comments (posture-milter.conf(5)).
 *
 *   pm_config_init()  defaults
 *   pm_config_load()  read a file; an unknown key or a bad value is an error naming
 *                     the file, the line and the key, and leaves cfg unusable
 *   pm_config_free()  release what a load allocated
 *
 * Shared by posture-milter and posture-check (-c).
 */
#ifndef PM_CONFIG_H
#define PM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define PM_MAX_LIST 64

enum pm_strip { PM_STRIP_ALL, PM_STRIP_OURS };
enum pm_on_error { PM_ON_ERROR_ACCEPT, PM_ON_ERROR_TEMPFAIL };

struct pm_config {
	char *socket;			/* owned; libmilter syntax */
	char *resolvers[PM_MAX_LIST];	/* owned; HOST:PORT */
	size_t nresolvers;
	char *authserv_id;		/* owned; NULL: the host name */
	char *user_id;			/* owned or NULL */
	char *pid_file;			/* owned or NULL */
	unsigned long cache_entries;
	unsigned long cache_bytes;
	unsigned cache_min_ttl, cache_max_ttl, cache_stale_ttl;	/* seconds */
	unsigned evaluation_timeout_ms;
	unsigned dns_timeout_ms;
	unsigned max_queries;
	unsigned max_signatures;
	char *selectors[PM_MAX_LIST];	/* owned; "domain:selector" */
	size_t nselectors;
	char *internal_hosts[PM_MAX_LIST]; /* owned; CIDR */
	size_t ninternal_hosts;
	bool skip_authenticated;
	bool auth_results;
	enum pm_strip strip_headers;
	unsigned max_forged_headers;	/* more forged fields to remove: reject */
	enum pm_on_error on_error;
	unsigned https_port;
	char *ca_file;			/* owned or NULL */
	char *bimi_trust_anchors;	/* owned or NULL */
	bool allow_private_addresses;
	char *syslog_facility;		/* owned; "mail" */
};

void pm_config_init(struct pm_config *cfg);
/* 0, or -1 with "FILE:LINE: Key: reason" in err. */
int pm_config_load(const char *path, struct pm_config *cfg, char *err, size_t errlen);
void pm_config_free(struct pm_config *cfg);

#endif
