/*
 * posture_milter.c - posture-milter, the daemon: options, start-up, signals.
 *
 *   posture-milter [-c FILE] [-f] [-n] [-p SOCKET] [-V]
 *
 * Start-up order: read the configuration (an error names file:line:key and exits
 * 1), check the socket spec and, for a unix socket, its directory (socket_check(): -n
 * stops here, before binding, since systemd's reload runs -n while the daemon holds
 * the socket), build the runtime (engine, resolver, evaluation pool; built again
 * after daemon() since threads do not survive fork), open the socket while still root
 * (a failure says why: socket_failure_reason()) and give a unix socket to UserID
 * through a descriptor (socket_give(): no path is followed twice, no symlink at
 * all), drop privileges to UserID, write PidFile, open posture memory (StateDirectory,
 * Redis: once per process, as UserID), then hand over to smfi_main(). MetricsSocket, when
 * set, is checked like the milter socket and opened right after it (metrics_http.c,
 * its own thread), given to UserID the same way, closed after smfi_main(). libmilter's own
 * signal thread stops the daemon on SIGTERM, SIGINT and
 * SIGHUP: no new connections, then up to 5 s for open ones to close; SIGUSR1 reloads the configuration on a
 * thread of ours (a bad new configuration keeps the old one and says why). A reload
 * applies to new connections; open ones finish with what they started with.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "log.h"
#include "metrics_http.h"
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

/* Split a unix socket path into its directory and last component; -1 when unfit. */
static int
socket_path_split(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t dl;

	if (slash == NULL || slash[1] == '\0')
		return -1;
	dl = slash == path ? 1 : (size_t)(slash - path);
	if (dl >= dirlen)
		return -1;
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	*base = slash + 1;
	return 0;
}

/*
 * Whether a socket directory is one only trusted users can change: writable by
 * others without the sticky bit, anyone could swap the socket for something else
 * between its creation and its chown, or take the MTA's connections.
 */
static const char *
socket_dir_unsafe(const struct stat *st)
{
	if (!S_ISDIR(st->st_mode))
		return "is not a directory";
	if ((st->st_mode & S_IWOTH) && !(st->st_mode & S_ISVTX))
		return "is writable by others without the sticky bit: anyone could replace the socket";
	return NULL;
}

/*
 * What start-up checks of a socket before binding it (and all -n checks): the spec
 * parses; a unix socket's directory exists and is safe, and its path, if taken, is a
 * socket (libmilter removes a stale one, and refuses anything else); an inet host
 * name resolves. 0, or -1 with a reason in err.
 */
static int
socket_check(const char *spec, struct pm_socket_addr *sa, char *err, size_t errlen)
{
	char shown[72], dir[sizeof(sa->path)];
	struct addrinfo hints, *res = NULL;
	const char *why, *base;
	struct stat st;
	int rc;

	pm_config_printable(shown, sizeof(shown), spec);
	if ((why = pm_config_socket(spec, sa)) != NULL) {
		snprintf(err, errlen, "socket %s: %s", shown, why);
		return -1;
	}
	if (sa->family == AF_UNIX) {
		if (socket_path_split(sa->path, dir, sizeof(dir), &base) < 0) {
			snprintf(err, errlen, "socket %s: not a file name", shown);
			return -1;
		}
		if (stat(dir, &st) < 0) {
			snprintf(err, errlen, "socket %s: directory: %s", shown, strerror(errno));
			return -1;
		}
		if ((why = socket_dir_unsafe(&st)) != NULL) {
			snprintf(err, errlen, "socket %s: its directory %s", shown, why);
			return -1;
		}
		if (lstat(sa->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "socket %s: the path exists and is not a socket", shown);
			return -1;
		}
		return 0;
	}
	if (sa->host[0] == '\0')
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = sa->family;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(sa->host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "socket %s: cannot resolve the host: %s", shown,
		    gai_strerror(rc));
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

/*
 * Why smfi_opensocket() failed: libmilter only logs it, and its logging may change
 * errno. Bind the same address ourselves and say what the system says; saved_errno
 * is libmilter's last errno, the fallback.
 */
static void
socket_failure_reason(const struct pm_socket_addr *sa, int saved_errno, char *why, size_t len)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
	} addr;
	struct addrinfo hints, *res = NULL;
	socklen_t alen;
	int fd, one = 1, e;

	memset(&addr, 0, sizeof(addr));
	if (sa->family == AF_UNIX) {
		addr.un.sun_family = AF_UNIX;
		memcpy(addr.un.sun_path, sa->path, strlen(sa->path) + 1);
		alen = sizeof(addr.un);
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = sa->family;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if (getaddrinfo(sa->host[0] ? sa->host : NULL, "1", &hints, &res) != 0 ||
		    res->ai_addrlen > sizeof(addr)) {
			if (res != NULL)
				freeaddrinfo(res);
			snprintf(why, len, "%s", strerror(saved_errno));
			return;
		}
		memcpy(&addr, res->ai_addr, res->ai_addrlen);
		alen = res->ai_addrlen;
		freeaddrinfo(res);
		if (sa->family == AF_INET)
			addr.in.sin_port = htons((uint16_t)sa->port);
		else
			addr.in6.sin6_port = htons((uint16_t)sa->port);
	}
	fd = socket(sa->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return;
	}
	if (sa->family != AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &addr.sa, alen) < 0) {
		e = errno;
		close(fd);
		snprintf(why, len, "%s", strerror(e));
		return;
	}
	close(fd);
	if (sa->family == AF_UNIX)
		(void)unlink(sa->path);		/* ours, just made */
	snprintf(why, len, "%s (libmilter's reason is in syslog)", strerror(saved_errno));
}

/*
 * Give the unix socket libmilter created (as root) to UserID, without following a
 * path twice: open the directory, then the socket itself with O_PATH|O_NOFOLLOW,
 * check that descriptor (a socket, ours, one link: not a symlink or a hard link
 * someone put in its place) and chown that very inode (fchownat AT_EMPTY_PATH).
 * Nothing to do for inet sockets or without UserID. 0, or -1 with a logged reason.
 */
static int
socket_give(const struct pm_socket_addr *sa, const char *user)
{
	char dir[sizeof(sa->path)], shown[72];
	const char *base, *why = NULL;
	struct passwd *pw;
	struct stat st;
	int dfd = -1, fd = -1, rc = -1;

	if (user == NULL || sa->family != AF_UNIX)
		return 0;
	pm_config_printable(shown, sizeof(shown), sa->path);
	if ((pw = getpwnam(user)) == NULL) {
		pm_log(LOG_ERR, "cannot give socket %s to %s: no such user", shown, user);
		return -1;
	}
	if (socket_path_split(sa->path, dir, sizeof(dir), &base) < 0 ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(dfd, &st) < 0) {
		why = strerror(errno);
		goto done;
	}
	if ((why = socket_dir_unsafe(&st)) != NULL)
		goto done;
	fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		why = strerror(errno);
		goto done;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1) {
		why = "it is no longer the socket just created (replaced or linked)";
		goto done;
	}
	if (fchownat(fd, "", pw->pw_uid, pw->pw_gid, AT_EMPTY_PATH) < 0) {
		why = strerror(errno);
		goto done;
	}
	rc = 0;
done:
	if (rc < 0)
		pm_log(LOG_ERR, "cannot give socket %s to %s: %s", shown, user, why);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return rc;
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
	struct pm_socket_addr sock_addr, metrics_addr;
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
	if (socket_check(socket_spec, &sock_addr, err, sizeof(err)) < 0 ||
	    (rt->cfg.metrics_socket != NULL && socket_check(rt->cfg.metrics_socket, &metrics_addr,
	    err, sizeof(err)) < 0)) {
		fprintf(stderr, "posture-milter: %s\n", err);
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
	pm_log_open("posture-milter", rt->cfg.syslog_facility, foreground,
	    rt->cfg.log_format == PM_LOG_JSON);
	runtime_install(rt);

	/* Unix sockets: owner and group read/write, nobody else (the MTA's group). */
	umask(007);
	if (smfi_setconn((char *)socket_spec) != MI_SUCCESS ||
	    smfi_register(posture_filter) != MI_SUCCESS) {
		pm_log(LOG_ERR, "cannot register the filter on %s", socket_spec);
		return 1;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		int saved_errno = errno;

		socket_failure_reason(&sock_addr, saved_errno, err, sizeof(err));
		pm_log(LOG_ERR, "cannot open the milter socket %s: %s", socket_spec, err);
		return 1;
	}
	if (rt->cfg.metrics_socket != NULL &&
	    metrics_http_start(&metrics_addr, rt->cfg.posture_view, err, sizeof(err)) < 0) {
		pm_log(LOG_ERR, "cannot open the metrics socket %s: %s", rt->cfg.metrics_socket, err);
		return 1;
	}
	if ((rt->cfg.metrics_socket != NULL && socket_give(&metrics_addr, rt->cfg.user_id) < 0) ||
	    socket_give(&sock_addr, rt->cfg.user_id) < 0 ||
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
	metrics_http_stop();
	if (rt->cfg.pid_file != NULL)
		(void)unlink(rt->cfg.pid_file);
	/* Free what we hold, so leak checkers see only real leaks. */
	runtime_uninstall();
	runtime_put(rt);
	runtime_memory_close();
	return rc == MI_SUCCESS ? 0 : 1;
}
