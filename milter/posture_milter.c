/*
 * posture_milter.c - posture-milter, the daemon: options, start-up, signals.
 *
 *   posture-milter [-c FILE] [-f] [-n] [-p SOCKET] [-V]
 *
 * Start-up order: read the configuration (an error names file:line:key and exits
 * 1), build the runtime (engine, resolver, evaluation pool; built again after
 * daemon() since threads do not survive fork), open the socket while still root and
 * give a unix socket to UserID, drop privileges to UserID, write PidFile, open posture
 * memory (StateDirectory, Redis: once per process, as UserID), then hand over to
 * smfi_main(). libmilter's own signal thread stops the daemon on SIGTERM, SIGINT and
 * SIGHUP: no new connections, then up to 5 s for open ones to close; SIGUSR1 reloads the configuration on a
 * thread of ours (a bad new configuration keeps the old one and says why). A reload
 * applies to new connections; open ones finish with what they started with.
 */
#include <errno.h>
#include <limits.h>
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

/* Give a unix socket to the user the daemon will run as (it is created as root). */
static int
socket_chown(const char *spec, const char *user)
{
	const char *path = NULL;
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	if (path == NULL)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL || chown(path, pw->pw_uid, pw->pw_gid) < 0) {
		pm_log(LOG_ERR, "cannot give socket %s to %s: %s", path, user,
		    pw == NULL ? "no such user" : strerror(errno));
		return -1;
	}
	return 0;
}

/* Wait until the connections libmilter still serves have closed, at most secs. */
static void
drain_connections(unsigned secs)
{
	unsigned waited_ms = 0;

	while (callbacks_active_connections() > 0 && waited_ms < secs * 1000) {
		usleep(50 * 1000);
		waited_ms += 50;
	}
	if (callbacks_active_connections() > 0)
		pm_log(LOG_WARNING, "stopping with %u connections still open",
		    callbacks_active_connections());
}

int
main(int argc, char **argv)
{
	const char *socket_spec = NULL;
	bool foreground = false, check_only = false;
	struct runtime *rt;
	static sigset_t blocked, usr1;
	static char config_abs[PATH_MAX];
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
	/* Reloads happen after daemon() moved to "/": keep the file's absolute name. */
	if (realpath(config_path, config_abs) != NULL)
		config_path = config_abs;

	/*
	 * Before any thread exists: SIGUSR1 goes to the reload thread only, and SIGTERM,
	 * SIGINT and SIGHUP to libmilter's signal thread only (smfi_main starts it and
	 * sigwaits on them; a thread that did not block them would let them kill us).
	 */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	blocked = usr1;
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);

	/* Check everything while errors can still reach the terminal. */
	rt = runtime_build(config_path, err, sizeof(err));
	if (rt == NULL) {
		fprintf(stderr, "posture-milter: %s\n", err);
		return 1;
	}
	if (socket_spec == NULL && rt->cfg.socket != NULL) {
		static char spec[1024];

		snprintf(spec, sizeof(spec), "%s", rt->cfg.socket);
		socket_spec = spec;
	}
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
	/* Threads do not survive fork(): start them again in the daemon. */
	if (!foreground) {
		runtime_put(rt);
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "posture-milter: daemon: %s\n", strerror(errno));
			return 1;
		}
		rt = runtime_build(config_path, err, sizeof(err));
		if (rt == NULL) {
			openlog("posture-milter", LOG_PID, LOG_MAIL);
			syslog(LOG_ERR, "%s", err);
			return 1;
		}
	}
	pm_log_open("posture-milter", rt->cfg.syslog_facility, foreground);
	runtime_install(rt);

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
	if (socket_chown(socket_spec, rt->cfg.user_id) < 0 ||
	    drop_privileges(rt->cfg.user_id) < 0 || write_pidfile(rt->cfg.pid_file) < 0)
		return 1;
	/* Posture memory's files belong to UserID: open it only now, once per process. */
	if (runtime_memory_open(rt, err, sizeof(err)) < 0) {
		pm_log(LOG_ERR, "%s", err);
		return 1;
	}
	if (pthread_create(&reloader, NULL, reload_thread, &usr1) != 0) {
		pm_log(LOG_ERR, "cannot start the reload thread");
		return 1;
	}
	pthread_detach(reloader);
	pm_log(LOG_INFO, "posture-milter %s listening on %s", PACKAGE_VERSION, socket_spec);
	rc = smfi_main();
	pm_log(LOG_INFO, "posture-milter stopping");
	drain_connections(5);
	if (rt->cfg.pid_file != NULL)
		(void)unlink(rt->cfg.pid_file);
	/* Free what we hold, so leak checkers see only real leaks. */
	runtime_uninstall();
	runtime_put(rt);
	runtime_memory_close();
	return rc == MI_SUCCESS ? 0 : 1;
}
