/*
 * posture_milter.c - posture-milter, the daemon: options, start-up, signals.
 *
 *   posture-milter [-c FILE] [-f] [-n] [-p SOCKET] [-V]
 *
 * Start-up order: read the configuration (an error names file:line:key and exits
 * 1), build the runtime (engine, resolver, evaluation pool), open the socket while
 * still root, drop privileges to UserID, write PidFile, then hand over to
 * smfi_main(). libmilter's own signal thread stops the daemon on SIGTERM, SIGINT and
 * SIGHUP, finishing in-flight messages; SIGUSR1 reloads the configuration on a
 * thread of ours (a bad new configuration keeps the old one and says why). A reload
 * applies to new connections; open ones finish with what they started with.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "log.h"
#include "runtime.h"

#define DEFAULT_CONFIG SYSCONFDIR "/posture-milter.conf"

static const char *config_path = DEFAULT_CONFIG;

/* Print usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: posture-milter [-c FILE] [-f] [-n] [-p SOCKET] [-V]\n"
	    "  -c FILE    configuration file (default %s)\n"
	    "  -f         stay in the foreground and log to stderr as well\n"
	    "  -n         check the configuration and exit\n"
	    "  -p SOCKET  listen here (libmilter syntax: inet:8891@127.0.0.1,\n"
	    "             unix:/var/spool/postfix/posture-milter/sock); overrides Socket\n"
	    "  -V         print the version and exit\n", DEFAULT_CONFIG);
}

/* Wait for SIGUSR1 and reload the configuration each time. */
static void *
reload_thread(void *arg)
{
	sigset_t *set = arg;
	struct runtime *rt;
	char err[512];
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		rt = runtime_build(config_path, err, sizeof(err));
		if (rt == NULL) {
			pm_log(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
			continue;
		}
		runtime_install(rt);
		runtime_put(rt);
		pm_log(LOG_INFO, "configuration reloaded from %s", config_path);
	}
	return NULL;
}

/* Switch to user (and its group); 0 or -1 with a logged reason. */
static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		pm_log(LOG_ERR, "UserID %s: no such user", user);
		return -1;
	}
	if (getuid() == pw->pw_uid)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		pm_log(LOG_ERR, "cannot switch to user %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

/* Write the pid file; 0 or -1 with a logged reason. */
static int
write_pidfile(const char *path)
{
	FILE *f;

	if (path == NULL)
		return 0;
	f = fopen(path, "w");
	if (f == NULL) {
		pm_log(LOG_ERR, "PidFile %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *socket_spec = NULL;
	bool foreground = false, check_only = false;
	struct runtime *rt;
	static sigset_t usr1;
	pthread_t reloader;
	char err[512];
	int c, rc;

	while ((c = getopt(argc, argv, "c:fnp:Vh")) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check_only = true;
			break;
		case 'p':
			socket_spec = optarg;
			break;
		case 'V':
			printf("posture-milter %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "posture-milter: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	/* SIGUSR1 is blocked in every thread and taken by the reload thread only. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);

	rt = runtime_build(config_path, err, sizeof(err));
	if (rt == NULL) {
		fprintf(stderr, "posture-milter: %s\n", err);
		return 1;
	}
	if (socket_spec == NULL)
		socket_spec = rt->cfg.socket;
	if (socket_spec == NULL) {
		fprintf(stderr, "posture-milter: no socket: set Socket in %s or use -p\n",
		    config_path);
		runtime_put(rt);
		return 1;
	}
	if (check_only) {
		printf("posture-milter: %s: configuration OK\n", config_path);
		runtime_put(rt);
		return 0;
	}
	pm_log_open("posture-milter", rt->cfg.syslog_facility, foreground);
	runtime_install(rt);

	if (!foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "posture-milter: daemon: %s\n", strerror(errno));
		return 1;
	}
	/* Unix sockets: owner and group read/write, nobody else (the MTA's group). */
	umask(007);
	if (smfi_setconn((char *)socket_spec) != MI_SUCCESS ||
	    smfi_register(posture_filter) != MI_SUCCESS) {
		pm_log(LOG_ERR, "cannot register the filter on %s", socket_spec);
		return 1;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		pm_log(LOG_ERR, "cannot open the milter socket %s", socket_spec);
		return 1;
	}
	if (drop_privileges(rt->cfg.user_id) < 0 || write_pidfile(rt->cfg.pid_file) < 0)
		return 1;
	if (pthread_create(&reloader, NULL, reload_thread, &usr1) != 0) {
		pm_log(LOG_ERR, "cannot start the reload thread");
		return 1;
	}
	pthread_detach(reloader);
	pm_log(LOG_INFO, "posture-milter %s listening on %s", PACKAGE_VERSION, socket_spec);
	rc = smfi_main();
	pm_log(LOG_INFO, "posture-milter stopping");
	if (rt->cfg.pid_file != NULL)
		(void)unlink(rt->cfg.pid_file);
	return rc == MI_SUCCESS ? 0 : 1;
}
