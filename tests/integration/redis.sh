# shellcheck shell=bash
# redis.sh - a private redis-server on loopback for the tests of posture memory.
#
# A bash library: source it, then
#   redis_find_binary     set REDIS_BIN from $REDIS_SERVER, PATH or /usr/bin; 1 if absent
#   redis_start [ARGS]    make a temp dir, start redis-server in the foreground (in the
#                         background of this shell) on a free high port of 127.0.0.1 with
#                         nothing persisted (no RDB, no AOF), every file in the temp dir,
#                         plus ARGS as extra "--option value" pairs (--requirepass PW...);
#                         wait until it answers PING (bounded, ~10 s). Sets REDIS_PORT,
#                         REDIS_DIR, REDIS_PID. Stops it at exit: through nsd.sh's
#                         nsd_at_exit when that library is loaded (its EXIT trap runs
#                         ours), else its own trap.
#   redis_stop            stop redis-server and remove the temp dir (safe to call twice)
#   redis_cmd WORD...     send one inline command, its first reply line into REPLY
#   redis_del KEY         DEL KEY; 0 when Redis answered
#   redis_wait_key KEY    wait (up to 20 s) until KEY exists; 1 if it never does
# or run it: `bash redis.sh run CMD ARGS...` starts one, runs CMD with REDIS_PORT,
# REDIS_DIR, REDIS_PID and REDIS_BIN exported (a test may start more servers itself with
# REDIS_BIN, e.g. with a password or on the same port after killing this one), stops it
# and exits with CMD's status (77 when redis-server is missing and CI is not set, 99 when
# it does not start). Needs nothing but bash and redis-server.
#
# What can go wrong, and what it then does: redis-server missing (redis_find_binary
# returns 1; the caller decides between skip and failure); the port taken (redis-server
# exits at once; retried on another port, 3 times); the server not answering within the
# bound (the tail of its log, return 1).

# shellcheck source=tests/integration/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

REDIS_PORT=""
REDIS_DIR=""
REDIS_PID=""

# Print a message on stderr, prefixed so it stands out in test logs.
_redis_say() {
	printf 'redis.sh: %s\n' "$*" >&2
}

# Locate redis-server; $REDIS_SERVER wins when set.
redis_find_binary() {
	REDIS_BIN="${REDIS_SERVER:-}"
	if [ -z "$REDIS_BIN" ]; then
		REDIS_BIN="$(PATH="$PATH:/usr/bin:/usr/sbin:/usr/local/bin" command -v redis-server || true)"
	fi
	[ -n "$REDIS_BIN" ] && [ -x "$REDIS_BIN" ]
}

# A random high port below Linux's ephemeral range; one taken makes redis-server exit
# at once, and redis_start tries another.
_redis_some_port() {
	echo $((33000 + RANDOM % 1000))
}

# Whether a Redis on 127.0.0.1:$1 answers PING (+PONG, or -NOAUTH with a password).
_redis_ready() {
	local line=""
	{
		exec 3<>"/dev/tcp/127.0.0.1/$1" &&
		printf 'PING\r\n' >&3 &&
		read -r -t 1 line <&3
		exec 3<&- 3>&-
	} 2>/dev/null
	case "$line" in
	+PONG* | -NOAUTH*) return 0 ;;
	*) return 1 ;;
	esac
}

# Stop redis-server (TERM, then KILL after ~5 s) and remove the temp dir.
redis_stop() {
	proc_stop "$REDIS_PID" || true
	REDIS_PID=""
	if [ -n "$REDIS_DIR" ] && [ -d "$REDIS_DIR" ]; then
		rm -rf "$REDIS_DIR"
	fi
	REDIS_DIR=""
}

# Start a private redis-server; extra "--option value" arguments are passed on.
redis_start() {
	local try port
	if [ -z "${REDIS_BIN:-}" ] && ! redis_find_binary; then
		_redis_say "redis-server not found (install the Debian package redis-server)"
		return 1
	fi
	REDIS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/posture-redis.XXXXXX")" || return 1
	if declare -F nsd_at_exit >/dev/null; then
		nsd_at_exit redis_stop
	else
		trap redis_stop EXIT
	fi
	for try in 1 2 3; do
		port="$(_redis_some_port)"
		"$REDIS_BIN" --port "$port" --bind 127.0.0.1 --dir "$REDIS_DIR" \
			--save "" --appendonly no --daemonize no --protected-mode yes \
			--logfile "$REDIS_DIR/redis.log" "$@" >"$REDIS_DIR/stderr.log" 2>&1 &
		REDIS_PID=$!
		for _ in $(seq 1 100); do
			if _redis_ready "$port"; then
				REDIS_PORT="$port"
				return 0
			fi
			kill -0 "$REDIS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
		REDIS_PID=""
		_redis_say "redis-server did not start on port $port (try $try): $(tail -n 3 "$REDIS_DIR/redis.log" "$REDIS_DIR/stderr.log" 2>/dev/null)"
	done
	return 1
}

# One inline command to the Redis on $REDIS_PORT; its first reply line into REPLY
# (bounded: 2 s).
redis_cmd() {
	REPLY=""
	{
		exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" &&
		printf '%s\r\n' "$*" >&3 &&
		read -r -t 2 REPLY <&3
		exec 3<&- 3>&-
	} 2>/dev/null
	REPLY="${REPLY%$'\r'}"
}
# Delete key $1; 0 when Redis answered.
redis_del() {
	redis_cmd DEL "$1"
	[[ "$REPLY" == :* ]]
}
# Wait (up to 20 s) until key $1 exists: what the daemon writes after its reply.
redis_wait_key() {
	local i
	for i in $(seq 1 200); do
		redis_cmd EXISTS "$1"
		[ "$REPLY" = ":1" ] && return 0
		sleep 0.1
	done
	return 1
}
# Executed rather than sourced: "run CMD ARGS..." under a fresh redis-server.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	if [ "${1:-}" != run ] || [ $# -lt 2 ]; then
		echo "usage: $0 run CMD [ARGS...]" >&2
		exit 2
	fi
	shift
	if ! redis_find_binary; then
		if [ -n "${CI:-}" ]; then
			echo "FAIL: redis-server not installed, and CI is set"
			exit 1
		fi
		echo "SKIP: redis-server not installed (Debian package redis-server)"
		exit 77
	fi
	if ! redis_start; then
		echo "FAIL: redis-server did not start"
		exit 99
	fi
	export REDIS_PORT REDIS_DIR REDIS_PID REDIS_BIN
	"$@"
	exit $?
fi
