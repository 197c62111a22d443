/*
 * pm_config.h - posture-milter.conf: `Key value` lines, `#` comments (posture-milter.conf(5)).
 *
 *   pm_config_init()  defaults
 *   pm_config_load()  read a file; an unknown key or a bad value is an error naming
 *                     the file, the line and the key, and leaves cfg unusable
 *   pm_config_free()  release what a load allocated
 *   pm_config_number() a decimal number in a range (no sign, no hex, no overflow)
 *   pm_config_port()   a TCP/UDP port, 1 to 65535: every key or option taking one
 *   pm_config_hostport() an IP address with a port, as Redis (and --redis) take it
 *   pm_config_socket() a libmilter socket spec (Socket, -p) split into its parts
 *   pm_config_printable() a copy safe to print: non-printables masked, length capped
 *
 * Shared by posture-milter and posture-check (-c). The load also checks what a value
 * names when that can be done without side effects (UserID exists, CAFile and
 * BIMITrustAnchors are readable files, PidFile's directory exists), so that
 * `posture-milter -n` catches what start-up would.
 */
#ifndef PM_CONFIG_H
#define PM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#define PM_MAX_LIST 64
#define PM_STATE_DIRECTORY "/var/lib/posture-milter"	/* StateDirectory default */
#define PM_REDIS_PREFIX "pm"				/* RedisPrefix default */
#define PM_REDIS_PREFIX_MAX 63

enum pm_strip { PM_STRIP_ALL, PM_STRIP_OURS };
enum pm_on_error { PM_ON_ERROR_ACCEPT, PM_ON_ERROR_TEMPFAIL };
enum pm_log_format { PM_LOG_TEXT, PM_LOG_JSON };

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
	char *trusted_sealers[PM_MAX_LIST]; /* owned; TrustedARCSealers, normalized domains */
	size_t ntrusted_sealers;
	bool skip_authenticated;
	bool auth_results;
	enum pm_strip strip_headers;
	unsigned max_forged_headers;	/* more forged fields to remove: reject */
	enum pm_on_error on_error;
	unsigned https_port;
	char *ca_file;			/* owned or NULL */
	char *bimi_trust_anchors;	/* owned or NULL */
	bool allow_private_addresses;
	bool dnssec;			/* DNSSEC: DO bit, AD from loopback, dnssec/dane */
	bool probe_mx;			/* ProbeMX: the STARTTLS probe of MX hosts */
	char *syslog_facility;		/* owned; "mail" */
	enum pm_log_format log_format;	/* LogFormat; default text */
	char *metrics_socket;		/* owned or NULL (none: nothing listens); libmilter syntax */
	bool posture_view;		/* PostureView: GET /posture/DOMAIN; default no */
	/* Posture memory (store.h). */
	char *state_directory;		/* owned; NULL: PM_STATE_DIRECTORY, not named; "none": off */
	char *redis[PM_MAX_LIST];	/* owned; IPv4:PORT or [IPv6]:PORT, failover order */
	size_t nredis;
	char *redis_password;		/* owned or NULL */
	unsigned redis_database;
	char *redis_prefix;		/* owned or NULL: PM_REDIS_PREFIX */
	unsigned redis_timeout_ms;	/* RedisTimeout, ms; default 50 */
	unsigned history_versions;	/* HistoryVersions: versions kept per record; 10 */
};

/* A socket spec: unix:PATH, local:PATH, PATH, inet:PORT[@HOST], inet6:PORT[@HOST]. */
struct pm_socket_addr {
	int family;			/* AF_UNIX, AF_INET or AF_INET6 */
	unsigned port;			/* inet, inet6: 1..65535 */
	char host[256];			/* inet, inet6: "" (any), an address or a host name */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* unix: absolute */
};

void pm_config_init(struct pm_config *cfg);
/* 0, or -1 with "FILE:LINE: Key: reason" in err. */
int pm_config_load(const char *path, struct pm_config *cfg, char *err, size_t errlen);
void pm_config_free(struct pm_config *cfg);
/* NULL and *out set, or a reason ("not a decimal number", "out of range (MIN to MAX)"). */
const char *pm_config_number(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);
/* NULL and *port set, or a reason. */
const char *pm_config_port(const char *s, unsigned *port);
/* NULL when s is IPv4:PORT or [IPv6]:PORT (no host names), or a reason (static). */
const char *pm_config_hostport(const char *s);
/* NULL and *out filled, or a reason (static text). Nothing is resolved or opened. */
const char *pm_config_socket(const char *spec, struct pm_socket_addr *out);
/* Copy at most 64 bytes of s into dst, non-printables as '?', "..." when cut. */
void pm_config_printable(char *dst, size_t dstlen, const char *s);

#endif
