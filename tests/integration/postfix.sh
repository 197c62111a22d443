# shellcheck shell=bash
# postfix.sh - a private Postfix on loopback, relaying to smtp-sink (tests, demo, bench).
#
# A bash library: source it, then
#   pf_find_binaries      set PF_POSTFIX, PF_POSTCONF, PF_SINK_BIN, PF_SOURCE_BIN; 1 (and
#                         PF_MISSING naming what) when Postfix or its test tools are absent
#   pf_milter_socket KIND NAME
#                         make a milter socket address (before or after pf_start): KIND
#                         unix or inet; sets PF_MILTER_LIBMILTER (unix:/path,
#                         inet:PORT@127.0.0.1) and PF_MILTER_POSTFIX (unix:/path,
#                         inet:127.0.0.1:PORT)
#   pf_start [NAME=MILTER...]
#                         create a temp dir holding a whole instance (config_directory,
#                         queue_directory, data_directory, log, sink dir), write main.cf and
#                         master.cf, start smtp-sink on 127.0.0.1:PF_SINK_PORT and Postfix,
#                         and wait until both answer. smtpd listens on 127.0.0.1:PF_PORT
#                         without a milter, and for each NAME=MILTER on one more port (see
#                         pf_port) with smtpd_milters=MILTER (Postfix syntax: inet:HOST:PORT
#                         or unix:/path). A single argument without "=" is the milter of
#                         PF_PORT. Sets PF_DIR, PF_CONF, PF_QUEUE, PF_PORT, PF_SINK_PORT,
#                         PF_SINK_DIR, PF_LOG. Before it, PF_SINK_DUMP=0 makes the sink keep
#                         nothing (the benchmark); PF_MAIN_CF_EXTRA=("param = value" ...) adds
#                         main.cf settings. Installs an EXIT trap that stops everything.
#   pf_port NAME          print the smtpd port whose milter is NAME's
#   pf_spawn LOG CMD...   start CMD in the background (umask 000, so Postfix's unprivileged
#                         processes may connect to a unix socket it creates), stdout and
#                         stderr to LOG; sets PF_SPAWN_PID; killed by pf_stop
#   pf_kill PID           stop one process started with pf_spawn (TERM, KILL after ~5 s)
#   pf_wait_milter SPEC [SECONDS]
#                         wait until a milter socket (Postfix syntax) accepts connections
#   pf_wait_sent N [SECONDS]
#                         wait until the log shows N deliveries (status=sent) in all
#   pf_wait_idle [SECONDS]  wait until the queue is empty
#   pf_sent_count         print the number of status=sent lines so far
#   pf_sink_files         print the dump files in PF_SINK_DIR, oldest first
#   pf_at_exit CMD        also run CMD at exit, before Postfix stops
#   pf_stop               stop Postfix (postfix stop, then wait for every process of the
#                         instance), the sink and spawned processes; remove the temp dir
#
# The instance is Postfix's own programs with `postfix -c DIR`: nothing in /etc/postfix or
# /var/spool/postfix is written, and the system's Postfix keeps running if it runs. Every
# service runs without chroot (master.cf column 5 is n), so a milter's unix socket may
# live anywhere here (a production smtpd with chroot needs it under /var/spool/postfix).
# Milters are attached per listener, never by `postfix reload`: with maillog_file, a
# reload under load can deadlock Postfix 3.7 (postlogd exits on reload, and the master
# blocks writing its own log lines to the postlog socket, whose queue holds only
# net.unix.max_dgram_qlen = 10 datagrams, before it can start a new postlogd).
# Postfix's master must run as root; its daemons run as mail_owner (postfix), so the temp
# dir is made world-searchable. Logs go to PF_LOG through postlogd (maillog_file), so no
# syslog daemon is needed (containers have none). smtpd and the smtp client make no DNS
# lookups (smtpd_peername_lookup=no, smtp_dns_support_level=disabled, relayhost is an
# address), so the host's resolver does not matter.
#
# Traps: the first pf_milter_socket or pf_start keeps an EXIT trap installed before it
# (nsd.sh's) and runs it after its own cleanup, keeping the exit status. Start NSD (or
# anything else that installs an EXIT trap) before them.
#
# What can go wrong: not root (pf_start fails saying so); a port taken between the probe
# and the bind (retried on new ports, 3 times); Postfix or the sink not answering within
# ~15 s, or `postfix start` (which runs `postfix check`) failing: the tail of its output
# and of the Postfix log.

# shellcheck source=tests/integration/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

PF_DIR=""
PF_CONF=""
PF_QUEUE=""
PF_PORT=""
PF_SINK_PORT=""
PF_SINK_DIR=""
PF_SINK_PID=""
PF_LOG=""
PF_MISSING=""
PF_SPAWN_PID=""
PF_MILTER_LIBMILTER=""
PF_MILTER_POSTFIX=""
declare -A PF_PORTS=()
_PF_LISTENERS=()
_PF_SPAWNED=()
_PF_EXIT_CMDS=()
_PF_PREV_TRAP=""
_PF_TRAPPED=0

# Print a message on stderr, prefixed so it stands out in test-suite.log.
_pf_say() {
	printf 'postfix.sh: %s\n' "$*" >&2
}

# Locate postfix, postconf, smtp-sink and smtp-source (in PATH or /usr/sbin).
pf_find_binaries() {
	local p="$PATH:/usr/sbin:/usr/local/sbin"
	PF_MISSING=""
	PF_POSTFIX="$(PATH="$p" command -v postfix || true)"
	PF_POSTCONF="$(PATH="$p" command -v postconf || true)"
	PF_SINK_BIN="$(PATH="$p" command -v smtp-sink || true)"
	PF_SOURCE_BIN="$(PATH="$p" command -v smtp-source || true)"
	[ -n "$PF_POSTFIX" ] || PF_MISSING="postfix"
	[ -n "$PF_POSTCONF" ] || PF_MISSING="${PF_MISSING:+$PF_MISSING, }postconf"
	[ -n "$PF_SINK_BIN" ] || PF_MISSING="${PF_MISSING:+$PF_MISSING, }smtp-sink"
	[ -n "$PF_SOURCE_BIN" ] || PF_MISSING="${PF_MISSING:+$PF_MISSING, }smtp-source"
	if [ -n "$PF_MISSING" ]; then
		PF_MISSING="$PF_MISSING (Debian package postfix)"
		return 1
	fi
}

# Register a command to run at exit (before Postfix stops).
pf_at_exit() {
	_PF_EXIT_CMDS+=("$1")
}

# The EXIT trap: our commands, Postfix, then the trap that was there before us.
_pf_on_exit() {
	local rc=$? cmd
	for cmd in "${_PF_EXIT_CMDS[@]}"; do
		eval "$cmd" || true
	done
	pf_stop
	if [ -n "$_PF_PREV_TRAP" ]; then
		(exit "$rc")
		eval "$_PF_PREV_TRAP"
	fi
	return "$rc"
}

# Install the EXIT trap once, chaining the one already installed (e.g. nsd.sh's).
_pf_install_trap() {
	local prev
	[ "$_PF_TRAPPED" = 1 ] && return 0
	prev="$(trap -p EXIT)"
	# trap -p prints: trap -- 'CMD' EXIT; keep CMD.
	prev="${prev#trap -- \'}"
	prev="${prev%\' EXIT}"
	case "$prev" in
	*_pf_on_exit*) prev="" ;;
	esac
	_PF_PREV_TRAP="$prev"
	trap _pf_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	_PF_TRAPPED=1
}

# Print N distinct TCP ports free on 127.0.0.1 (one per line).
_pf_free_ports() {
	python3 - "$1" <<'PYEOF'
import random, socket, sys
want, got = int(sys.argv[1]), []
for _ in range(500):
    port = random.randrange(20000, 32000)   # below Linux's ephemeral range
    if port in got:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    got.append(port)
    if len(got) == want:
        print("\n".join(map(str, got)))
        sys.exit(0)
sys.exit(1)
PYEOF
}

# Wait until an SMTP server on 127.0.0.1:$1 sends its 220 greeting (up to $2 s).
_pf_wait_smtp() {
	python3 - "$1" "${2:-15}" <<'PYEOF'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.settimeout(5)
            if s.recv(512).startswith(b"220"):
                s.sendall(b"QUIT\r\n")
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PYEOF
}

# Print the tail of the Postfix log and the sink's output for a failure report.
_pf_dump_log() {
	local f
	for f in "$PF_LOG" "$PF_DIR/sink.out" "$PF_DIR/postfix-start.out"; do
		if [ -n "$f" ] && [ -s "$f" ]; then
			_pf_say "---- $(basename "$f") (last 30 lines) ----"
			tail -n 30 "$f" >&2
		fi
	done
}

# Write master.cf: every service without chroot, smtpd on 127.0.0.1:$1 and one more
# listener per _PF_LISTENERS entry (NAME=MILTER), on the ports of PF_PORTS.
_pf_write_master_cf() {
	local l name
	{
		echo "# generated by tests/integration/postfix.sh: a private instance, no chroot (column 5)"
		echo "# service         type  private unpriv  chroot  wakeup  maxproc command"
		echo "127.0.0.1:$1      inet  n       -       n       -       -       smtpd"
		for l in "${_PF_LISTENERS[@]}"; do
			name="${l%%=*}"
			echo "127.0.0.1:${PF_PORTS[$name]}  inet  n       -       n       -       -       smtpd"
			echo "  -o syslog_name=postfix-posture-test/$name"
			echo "  -o smtpd_milters=${l#*=}"
		done
	} >"$PF_CONF/master.cf"
	cat >>"$PF_CONF/master.cf" <<EOF
pickup            unix  n       -       n       60      1       pickup
cleanup           unix  n       -       n       -       0       cleanup
qmgr              unix  n       -       n       300     1       qmgr
tlsmgr            unix  -       -       n       1000?   1       tlsmgr
rewrite           unix  -       -       n       -       -       trivial-rewrite
bounce            unix  -       -       n       -       0       bounce
defer             unix  -       -       n       -       0       bounce
trace             unix  -       -       n       -       0       bounce
verify            unix  -       -       n       -       1       verify
flush             unix  n       -       n       1000?   0       flush
proxymap          unix  -       -       n       -       -       proxymap
proxywrite        unix  -       -       n       -       1       proxymap
smtp              unix  -       -       n       -       -       smtp
relay             unix  -       -       n       -       -       smtp
showq             unix  n       -       n       -       -       showq
error             unix  -       -       n       -       -       error
retry             unix  -       -       n       -       -       error
discard           unix  -       -       n       -       -       discard
anvil             unix  -       -       n       -       1       anvil
scache            unix  -       -       n       -       1       scache
postlog           unix-dgram n  -       n       -       1       postlogd
EOF
}

# Write main.cf with postconf (relay everything from loopback to the sink).
_pf_write_main_cf() {
	local milter="$1"
	: >"$PF_CONF/main.cf"
	"$PF_POSTCONF" -c "$PF_CONF" -e \
		"compatibility_level = 3.6" \
		"queue_directory = $PF_QUEUE" \
		"data_directory = $PF_DIR/data" \
		"maillog_file = $PF_LOG" \
		"maillog_file_prefixes = $PF_DIR" \
		"syslog_name = postfix-posture-test" \
		"myhostname = mx.posture-test.invalid" \
		"mydomain = posture-test.invalid" \
		"myorigin = \$myhostname" \
		"mydestination =" \
		"local_recipient_maps =" \
		"alias_maps =" \
		"alias_database =" \
		"relay_domains =" \
		"inet_interfaces = 127.0.0.1" \
		"inet_protocols = ipv4" \
		"mynetworks = 127.0.0.0/8" \
		"smtpd_relay_restrictions = permit_mynetworks, reject" \
		"smtpd_recipient_restrictions =" \
		"smtpd_peername_lookup = no" \
		"smtpd_tls_security_level = none" \
		"relayhost = [127.0.0.1]:$PF_SINK_PORT" \
		"smtp_dns_support_level = disabled" \
		"smtp_tls_security_level = none" \
		"smtputf8_enable = no" \
		"biff = no" \
		"milter_default_action = accept" \
		"milter_protocol = 6" \
		"smtpd_milters = $milter" \
		>/dev/null
	# The caller's settings last, so they replace ours.
	if [ -n "${PF_MAIN_CF_EXTRA+set}" ] && [ "${#PF_MAIN_CF_EXTRA[@]}" -gt 0 ]; then
		"$PF_POSTCONF" -c "$PF_CONF" -e "${PF_MAIN_CF_EXTRA[@]}" >/dev/null
	fi
}

# Start smtp-sink on 127.0.0.1:$1; dumps each message into PF_SINK_DIR unless PF_SINK_DUMP=0.
_pf_start_sink() {
	local args=(-4 -c) owner
	if [ "$(id -u)" = 0 ]; then
		owner="$("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)"
		args+=(-u "$owner")
		chown "$owner" "$PF_SINK_DIR"
	fi
	if [ "${PF_SINK_DUMP:-1}" != 0 ]; then
		args+=(-d "$PF_SINK_DIR/msg.")
	fi
	"$PF_SINK_BIN" "${args[@]}" "127.0.0.1:$1" 256 >"$PF_DIR/sink.out" 2>&1 &
	PF_SINK_PID=$!
}

# Create PF_DIR and its layout once (pf_milter_socket may come before pf_start).
_pf_make_dir() {
	[ -n "$PF_DIR" ] && return 0
	_pf_install_trap
	PF_DIR="$(mktemp -d "${TMPDIR:-/tmp}/posture-postfix.XXXXXX")" || return 1
	chmod 755 "$PF_DIR"	# Postfix's daemons (mail_owner) must reach queue, log, sockets
	PF_CONF="$PF_DIR/etc"
	PF_QUEUE="$PF_DIR/queue"
	PF_SINK_DIR="$PF_DIR/sink"
	PF_LOG="$PF_DIR/log/postfix.log"
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DIR/data" "$PF_DIR/log" "$PF_SINK_DIR" \
		"$PF_DIR/milter"
	chmod 755 "$PF_DIR/milter"
}

# Start Postfix (see the header for what it sets).
pf_start() {
	local milter="" attempt ports l i
	if [ -f "$PF_QUEUE/pid/master.pid" ] || [ -n "$PF_SINK_PID" ]; then
		_pf_say "pf_start: already running in $PF_DIR"
		return 1
	fi
	if [ -z "${PF_POSTFIX:-}" ] && ! pf_find_binaries; then
		_pf_say "not found: $PF_MISSING"
		return 1
	fi
	if [ "$(id -u)" != 0 ]; then
		_pf_say "a private Postfix needs root (its master runs as root)"
		return 1
	fi
	_PF_LISTENERS=()
	if [ $# -eq 1 ] && [ "${1#*=}" = "$1" ]; then
		milter="$1"
	else
		for l in "$@"; do
			case "$l" in
			?*=?*) _PF_LISTENERS+=("$l") ;;
			*) _pf_say "pf_start: expected NAME=MILTER, got '$l'"; return 1 ;;
			esac
		done
	fi
	_pf_make_dir || return 1
	for attempt in 1 2 3; do
		ports="$(_pf_free_ports $((2 + ${#_PF_LISTENERS[@]})))" || {
			_pf_say "no free ports found"
			return 1
		}
		mapfile -t ports <<<"$ports"
		PF_PORT="${ports[0]}"
		PF_SINK_PORT="${ports[1]}"
		PF_PORTS=()
		i=2
		for l in "${_PF_LISTENERS[@]}"; do
			PF_PORTS["${l%%=*}"]="${ports[$i]}"
			i=$((i + 1))
		done
		_pf_write_master_cf "$PF_PORT"
		_pf_write_main_cf "$milter"
		chown "$("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)" "$PF_DIR/data"
		_pf_start_sink "$PF_SINK_PORT"
		# postfix start runs postfix check first (and fails on its fatal errors).
		if ! "$PF_POSTFIX" -c "$PF_CONF" start >"$PF_DIR/postfix-start.out" 2>&1; then
			_pf_say "postfix start failed"
			_pf_dump_log
			return 1
		fi
		if _pf_wait_smtp "$PF_PORT" 15 && _pf_wait_smtp "$PF_SINK_PORT" 5; then
			return 0
		fi
		if grep -q 'Address already in use' "$PF_LOG" "$PF_DIR/sink.out" 2>/dev/null; then
			_pf_say "a port was taken (attempt $attempt), trying others"
			_pf_stop_processes
			: >"$PF_LOG"
			continue
		fi
		_pf_say "Postfix on 127.0.0.1:$PF_PORT or smtp-sink on :$PF_SINK_PORT did not answer"
		_pf_dump_log
		return 1
	done
	_pf_say "could not bind ports after 3 attempts"
	return 1
}

# Print the smtpd port of listener NAME.
pf_port() {
	if [ -z "${PF_PORTS[$1]:-}" ]; then
		_pf_say "pf_port: no listener named $1"
		return 1
	fi
	echo "${PF_PORTS[$1]}"
}

# Make a milter socket address of KIND (unix, inet) named NAME (see header).
# shellcheck disable=SC2034 # PF_MILTER_* are for the caller
pf_milter_socket() {
	local kind="$1" name="$2" port
	_pf_make_dir || return 1
	case "$kind" in
	unix)
		PF_MILTER_LIBMILTER="unix:$PF_DIR/milter/$name.sock"
		PF_MILTER_POSTFIX="unix:$PF_DIR/milter/$name.sock"
		;;
	inet)
		port="$(_pf_free_ports 1)" || return 1
		PF_MILTER_LIBMILTER="inet:$port@127.0.0.1"
		PF_MILTER_POSTFIX="inet:127.0.0.1:$port"
		;;
	*)
		_pf_say "pf_milter_socket: unknown kind $kind"
		return 1
		;;
	esac
}

# Wait until the milter socket SPEC (Postfix syntax) accepts a connection.
pf_wait_milter() {
	python3 - "$1" "${2:-10}" <<'PYEOF'
import socket, sys, time
spec, limit = sys.argv[1], float(sys.argv[2])
kind, _, rest = spec.partition(":")
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(rest)
        else:
            host, _, port = rest.rpartition(":")
            s = socket.create_connection((host, int(port)), timeout=1)
        s.close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PYEOF
}

# Start CMD in the background with umask 000, output to LOG; sets PF_SPAWN_PID.
pf_spawn() {
	local log="$1"
	shift
	(umask 000 && exec "$@") >"$log" 2>&1 &
	PF_SPAWN_PID=$!
	_PF_SPAWNED+=("$PF_SPAWN_PID")
}

# Stop one process (TERM, then KILL after ~5 s) and reap it; 0 when it is gone.
_pf_stop_pid() {
	proc_stop "$1" || _pf_say "pid $1 ignored TERM; killed it"
}

# Stop one process started with pf_spawn.
pf_kill() {
	local pid="$1" i
	_pf_stop_pid "$pid"
	for i in "${!_PF_SPAWNED[@]}"; do
		[ "${_PF_SPAWNED[$i]}" = "$pid" ] && unset '_PF_SPAWNED[i]'
	done
	return 0
}

# Print the pids of the processes of our instance (their cwd is our queue directory).
_pf_instance_pids() {
	local d pid
	[ -n "$PF_QUEUE" ] || return 0
	for d in /proc/[0-9]*; do
		pid="${d#/proc/}"
		[ "$(readlink "$d/cwd" 2>/dev/null)" = "$PF_QUEUE" ] && echo "$pid"
	done
	return 0
}

# Stop Postfix and the sink (not the temp dir).
_pf_stop_processes() {
	local pids
	if [ -n "$PF_CONF" ] && [ -f "$PF_QUEUE/pid/master.pid" ]; then
		"$PF_POSTFIX" -c "$PF_CONF" stop >/dev/null 2>&1 || true
		for _ in $(seq 1 100); do
			pids="$(_pf_instance_pids)"
			[ -z "$pids" ] && break
			sleep 0.1
		done
		pids="$(_pf_instance_pids)"
		if [ -n "$pids" ]; then
			_pf_say "Postfix processes still running after 10 s: $(echo "$pids" | tr '\n' ' ')"
			# shellcheck disable=SC2086 # one pid per word
			kill -KILL $pids 2>/dev/null || true
		fi
	fi
	_pf_stop_pid "$PF_SINK_PID"
	PF_SINK_PID=""
}

# Stop everything this library started and remove the temp dir (safe to call twice).
pf_stop() {
	local pid
	for pid in "${_PF_SPAWNED[@]}"; do
		_pf_stop_pid "$pid"
	done
	_PF_SPAWNED=()
	_pf_stop_processes
	if [ -n "$PF_DIR" ] && [ -d "$PF_DIR" ]; then
		rm -rf "$PF_DIR"
	fi
	PF_DIR=""
	PF_CONF=""
	PF_QUEUE=""
}

# Print how many deliveries (status=sent) the log shows.
pf_sent_count() {
	grep -c ' status=sent ' "$PF_LOG" 2>/dev/null || true
}

# Wait until the log shows at least N deliveries, up to SECONDS (default 30).
pf_wait_sent() {
	local want="$1" limit="${2:-30}" t0
	t0=$(date +%s)
	while [ "$(pf_sent_count)" -lt "$want" ]; do
		if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
			return 1
		fi
		sleep 0.1
	done
}

# Wait until no message is left in the queue, up to SECONDS (default 60).
pf_wait_idle() {
	local limit="${1:-60}" t0 n
	t0=$(date +%s)
	while :; do
		n="$(find "$PF_QUEUE/incoming" "$PF_QUEUE/active" "$PF_QUEUE/deferred" \
			"$PF_QUEUE/maildrop" -type f 2>/dev/null | wc -l)"
		[ "$n" -eq 0 ] && return 0
		if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
			return 1
		fi
		sleep 0.1
	done
}

# Print the sink's dump files, oldest first.
pf_sink_files() {
	# shellcheck disable=SC2012 # names are ours: msg.HEX
	ls -1tr "$PF_SINK_DIR"/msg.* 2>/dev/null
}
