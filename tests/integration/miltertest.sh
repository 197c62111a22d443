#!/bin/bash
# miltertest.sh - posture-milter's protocol-level tests with miltertest(8) (an automake test).
#
# Starts a private NSD on the fixture zones (nsd.sh), then posture-milter in the
# foreground (-f) with a generated configuration (Resolver 127.0.0.1:NSD_PORT,
# AuthservID test.local, InternalHosts 192.0.2.99, EvaluationTimeout 3), and:
#  - runs every tests/miltertest/*.lua (not _*.lua) with
#    miltertest -D socket=SPEC -D mtdir=DIR -D logfile=LOG -D authserv=ID -s FILE,
#    once over an inet socket (free port on 127.0.0.1) and once over a unix socket
#    in a temp dir. A script's "-- config: LINE" comments add configuration lines: it
#    then gets a daemon of its own; "-- sockets: unix" limits it to those socket kinds.
#    Scripts marked "-- runner: reload" are run only by the reload test below;
#  - stops each daemon with SIGTERM: it must exit 0, and its stderr (the log, and
#    where ASan/UBSan/LSan report) must hold no sanitizer report;
#  - reload: SIGUSR1 after changing AuthservID gives new connections the new id; a
#    broken configuration on reload keeps the old one ("reload failed" naming
#    file:line:key); a connection opened before a reload keeps the old id;
#  - configuration check: posture-milter -n -c FILE exits 0 on a good file, and
#    non-zero naming FILE:LINE: Key on a bad one; the daemon refuses to start on one.
# Prints "ok NAME" / "FAIL NAME: reason" per test and a final "N passed, N failed".
#
# Environment (from Makefile.am TESTS_ENVIRONMENT): top_srcdir, top_builddir, NSD;
# POSTURE_MILTER overrides the daemon binary (default $top_builddir/posture-milter),
# MILTERTEST the miltertest binary (default: from PATH).
# Exit: 0 all passed; 1 some failed; 77 (skip) only when miltertest, nsd or python3
# is missing and CI is not set (with CI set, that is a failure); 99 when
# posture-milter is not built or NSD cannot start.
#
# What can go wrong: a daemon that does not start (its log is shown, the scripts
# that needed it fail); a hung miltertest (each run is bounded by timeout(1), 120 s);
# a daemon that ignores SIGTERM (killed after 45 s) or takes over 10 s to stop with no
# client connected (both failures); leftovers (the EXIT
# trap stops the daemons this script started, by pid, and removes its temp dir).

set -u

abspath() {
	(cd "$1" && pwd)
}
top_srcdir="$(abspath "${top_srcdir:-.}")"
top_builddir="$(abspath "${top_builddir:-.}")"
MTDIR="$top_srcdir/tests/miltertest"
ZONES="$top_srcdir/tests/fixtures/zones"
PM="${POSTURE_MILTER:-$top_builddir/posture-milter}"
AUTHSERV=test.local
RUN_LIMIT=120
STOP_LIMIT=45		# longer than the daemon's 30 s drain of open connections
STOP_PROMPT=10		# no client connected: libmilter's 5 s stop check, plus margin
SANITIZER_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'

# Reports must not be lost, and a leak at exit must show in the exit status too.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1"

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"

missing=""
MT="${MILTERTEST:-$(command -v miltertest || true)}"
if [ -z "$MT" ] || [ ! -x "$MT" ]; then
	missing="miltertest (Debian package miltertest)"
fi
nsd_find_binary || missing="${missing:+$missing, }nsd (Debian package nsd)"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
if [ -n "$missing" ]; then
	if [ -n "${CI:-}" ]; then
		echo "FAIL setup: $missing not installed, and CI is set: a missing tool is a failure"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: $missing not installed"
	exit 77
fi
if [ ! -x "$PM" ]; then
	echo "FAIL setup: $PM not built"
	exit 99
fi
if ! nsd_start "$ZONES"; then
	echo "FAIL setup: NSD did not start on the fixture zones (see above)"
	echo "0 passed, 1 failed"
	exit 99
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-mt.XXXXXX")"
DAEMONS=()
# Stop whatever daemon of ours is still running, then remove the temp dir.
cleanup() {
	local pid
	for pid in "${DAEMONS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$WORK"
}
nsd_at_exit cleanup
echo "# NSD on 127.0.0.1:$NSD_PORT; $("$MT" -V 2>&1 | head -n1); work dir $WORK"

passed=0
failed=0

# Record a pass.
pass() {
	echo "ok $1"
	passed=$((passed + 1))
}

# Record a failure: name, reason; details (indented) from the file in $3 if given.
fail() {
	echo "FAIL $1: $2"
	if [ $# -ge 3 ] && [ -s "$3" ]; then
		tail -n 40 "$3" | sed 's/^/    /'
	fi
	failed=$((failed + 1))
}

# A TCP port on 127.0.0.1 free right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A new socket spec of the given kind (inet or unix); $1 kind, $2 a tag for the path.
new_socket() {
	if [ "$1" = inet ]; then
		echo "inet:$(free_port)@127.0.0.1"
	else
		echo "unix:$WORK/$2.sock"
	fi
}

# Write a configuration: $1 file, $2 socket, then extra lines (one per argument).
write_conf() {
	local f="$1" sock="$2" line
	shift 2
	{
		echo "# generated by tests/integration/miltertest.sh"
		echo "Socket $sock"
		echo "Resolver 127.0.0.1:$NSD_PORT"
		echo "AuthservID $AUTHSERV"
		echo "InternalHosts 192.0.2.99"
		echo "EvaluationTimeout 3"
		for line in "$@"; do
			echo "$line"
		done
	} >"$f"
}

# Start posture-milter -f -c $1 with stderr to $2; sets MPID. 0 once it listens.
start_milter() {
	local conf="$1" log="$2"
	: >"$log"
	"$PM" -f -c "$conf" >>"$log" 2>&1 &
	MPID=$!
	DAEMONS+=("$MPID")
	for _ in $(seq 1 100); do
		if grep -q 'listening on' "$log"; then
			return 0
		fi
		if ! kill -0 "$MPID" 2>/dev/null; then
			wait "$MPID" 2>/dev/null
			echo "posture-milter exited at start-up with status $?" >>"$log"
			return 1
		fi
		sleep 0.1
	done
	echo "posture-milter did not say 'listening on' within 10 s" >>"$log"
	return 1
}

# Stop daemons with SIGTERM, all at once (libmilter notices a stop only every 5 s,
# MI_CHK_TIME, so one by one would cost 5 s each), then record one test per daemon:
# exit 0, promptly, "posture-milter stopping" logged, a log free of sanitizer
# reports. Arguments: triples NAME PID LOG. (Not in a subshell: only the shell that
# started the daemons can wait for them.)
stop_and_check() {
	local names=() pids=() logs=() secs=() start=$SECONDS i alive rc
	while [ $# -ge 3 ]; do
		names+=("$1")
		pids+=("$2")
		logs+=("$3")
		secs+=("")
		kill -TERM "$2" 2>/dev/null || true
		shift 3
	done
	for _ in $(seq 1 $((STOP_LIMIT * 10))); do
		alive=0
		for i in "${!pids[@]}"; do
			[ -n "${secs[$i]}" ] && continue
			if kill -0 "${pids[$i]}" 2>/dev/null; then
				alive=1
			else
				secs[i]=$((SECONDS - start))
			fi
		done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for i in "${!pids[@]}"; do
		if [ -z "${secs[$i]}" ]; then
			kill -KILL "${pids[$i]}" 2>/dev/null || true
			wait "${pids[$i]}" 2>/dev/null
			fail "${names[$i]}" "still running $STOP_LIMIT s after SIGTERM (killed)" "${logs[$i]}"
			continue
		fi
		wait "${pids[$i]}" 2>/dev/null
		rc=$?
		if grep -Eq "$SANITIZER_RE" "${logs[$i]}"; then
			fail "${names[$i]}" "sanitizer report in the daemon's log" "${logs[$i]}"
		elif [ "$rc" = 143 ]; then
			fail "${names[$i]}" "SIGTERM killed the daemon (exit 143) instead of a clean stop" \
				"${logs[$i]}"
		elif [ "$rc" != 0 ]; then
			fail "${names[$i]}" "SIGTERM: exit status $rc, expected 0" "${logs[$i]}"
		elif [ "${secs[$i]}" -gt "$STOP_PROMPT" ]; then
			fail "${names[$i]}" "took ${secs[$i]} s to stop after SIGTERM with no client connected" \
				"${logs[$i]}"
		elif ! grep -q 'posture-milter stopping' "${logs[$i]}"; then
			fail "${names[$i]}" "exit 0 but no 'posture-milter stopping' line" "${logs[$i]}"
		else
			pass "${names[$i]} (stopped in ${secs[$i]} s)"
		fi
	done
}

# Run one script: $1 test name, $2 file, $3 socket, $4 log, more -D arguments after.
run_lua() {
	local name="$1" file="$2" sock="$3" log="$4" out rc start=$SECONDS
	shift 4
	out="$WORK/out.$$.txt"
	timeout "$RUN_LIMIT" "$MT" -D "socket=$sock" -D "mtdir=$MTDIR" -D "logfile=$log" \
		-D "authserv=$AUTHSERV" "$@" -s "$file" >"$out" 2>&1
	rc=$?
	if [ $((SECONDS - start)) -gt 5 ]; then
		name="$name (took $((SECONDS - start)) s)"
	fi
	if [ "$rc" = 124 ]; then
		fail "$name" "miltertest did not finish within $RUN_LIMIT s" "$out"
	elif [ "$rc" != 0 ]; then
		fail "$name" "miltertest exit $rc: $(grep -m1 -v '^$' "$out" || echo 'no message (a silent Lua error)')" "$out"
	else
		pass "$name"
	fi
}

# The "-- config:" lines of a script, one per line.
script_config() {
	sed -n 's/^-- config: //p' "$1"
}

# Run the whole suite over sockets of one kind ($1: inet or unix).
run_suite() {
	local kind="$1" sock conf log pid file name extra own_sock own_conf own_log kinds stops=()
	sock="$(new_socket "$kind" main)"
	conf="$WORK/$kind.conf"
	log="$WORK/$kind.log"
	write_conf "$conf" "$sock"
	if ! start_milter "$conf" "$log"; then
		fail "$kind/start" "posture-milter did not start on $sock" "$log"
		return
	fi
	pid="$MPID"
	for file in "$MTDIR"/*.lua; do
		name="$(basename "$file" .lua)"
		case "$name" in _*) continue ;; esac
		grep -q '^-- runner: ' "$file" && continue
		kinds="$(sed -n 's/^-- sockets: //p' "$file")"
		if [ -n "$kinds" ] && [[ " $kinds " != *" $kind "* ]]; then
			echo "skip $kind/$name: runs over $kinds sockets only (see the script)"
			continue
		fi
		extra="$(script_config "$file")"
		if [ -z "$extra" ]; then
			run_lua "$kind/$name" "$file" "$sock" "$log"
			continue
		fi
		# A daemon of its own, with the extra lines.
		own_sock="$(new_socket "$kind" "$name")"
		own_conf="$WORK/$kind-$name.conf"
		own_log="$WORK/$kind-$name.log"
		mapfile -t lines <<<"$extra"
		write_conf "$own_conf" "$own_sock" "${lines[@]}"
		if ! start_milter "$own_conf" "$own_log"; then
			fail "$kind/$name" "posture-milter did not start with: $extra" "$own_log"
			continue
		fi
		run_lua "$kind/$name" "$file" "$own_sock" "$own_log"
		stops+=("$kind/$name-sigterm" "$MPID" "$own_log")
	done
	stop_and_check "$kind/sigterm-clean-exit" "$pid" "$log" "${stops[@]}"
}

run_suite inet
run_suite unix

# ---- reload (SIGUSR1) ----
reload_test() {
	local sock conf log pid n
	sock="$(new_socket inet reload)"
	conf="$WORK/reload.conf"
	log="$WORK/reload.log"
	write_conf "$conf" "$sock"
	if ! start_milter "$conf" "$log"; then
		fail "reload/start" "posture-milter did not start" "$log"
		return
	fi
	pid="$MPID"
	run_lua "reload/before" "$MTDIR/authserv.lua" "$sock" "$log"

	# A good new configuration: new connections get the new authserv-id.
	write_conf "$conf" "$sock" "AuthservID reload.local"
	n="$(grep -c 'configuration reloaded' "$log")"
	kill -USR1 "$pid"
	for _ in $(seq 1 100); do
		[ "$(grep -c 'configuration reloaded' "$log")" -gt "$n" ] && break
		sleep 0.1
	done
	if [ "$(grep -c 'configuration reloaded' "$log")" -gt "$n" ]; then
		pass "reload/logged"
	else
		fail "reload/logged" "no 'configuration reloaded' line after SIGUSR1" "$log"
	fi
	AUTHSERV=reload.local run_lua "reload/new-authserv" "$MTDIR/authserv.lua" "$sock" "$log"

	# A broken one: "reload failed" naming file:line:key, the running one kept.
	write_conf "$conf" "$sock" "AuthservID broken.local" "NoSuchKey yes"
	kill -USR1 "$pid"
	for _ in $(seq 1 100); do
		grep -q 'reload failed' "$log" && break
		sleep 0.1
	done
	if grep -q "reload failed.*$conf:8: NoSuchKey" "$log"; then
		pass "reload/broken-config-logged"
	else
		fail "reload/broken-config-logged" "no 'reload failed ... $conf:8: NoSuchKey' line" "$log"
	fi
	AUTHSERV=reload.local run_lua "reload/broken-config-keeps-old" "$MTDIR/authserv.lua" \
		"$sock" "$log"
	if kill -0 "$pid" 2>/dev/null; then
		pass "reload/daemon-survives-broken-config"
	else
		fail "reload/daemon-survives-broken-config" "the daemon exited" "$log"
	fi

	# An open connection keeps its configuration across a reload.
	write_conf "$WORK/reload-next.conf" "$sock" "AuthservID third.local"
	write_conf "$conf" "$sock" "AuthservID reload.local"
	AUTHSERV=reload.local run_lua "reload/open-connection-keeps-old" \
		"$MTDIR/reload-open-connection.lua" "$sock" "$log" \
		-D "reload_cmd=cp '$WORK/reload-next.conf' '$conf' && kill -USR1 $pid" \
		-D new_authserv=third.local
	stop_and_check "reload/sigterm-clean-exit" "$pid" "$log"
}
reload_test

# ---- configuration check (-n) and start-up on a bad file ----
# Expect posture-milter -n -c FILE to fail naming $3 (a fixed string) on stderr.
conf_bad() {
	local name="$1" file="$2" want="$3" out rc
	out="$WORK/conf-$name.txt"
	timeout 30 "$PM" -n -c "$file" >"$out" 2>&1
	rc=$?
	if grep -Eq "$SANITIZER_RE" "$out"; then
		fail "config/$name" "sanitizer report" "$out"
	elif [ "$rc" = 0 ]; then
		fail "config/$name" "exit 0 on a bad configuration (expected non-zero naming '$want')" "$out"
	elif ! grep -qF -- "$want" "$out"; then
		fail "config/$name" "exit $rc but the message does not name '$want'" "$out"
	else
		pass "config/$name"
	fi
}

CSOCK="inet:$(free_port)@127.0.0.1"
write_conf "$WORK/good.conf" "$CSOCK"
if out="$("$PM" -n -c "$WORK/good.conf" 2>&1)" && [[ "$out" == *"configuration OK"* ]]; then
	pass "config/good"
else
	fail "config/good" "posture-milter -n rejected a good configuration: $out"
fi
write_conf "$WORK/bad-key.conf" "$CSOCK" "Bogus 1"
conf_bad unknown-key "$WORK/bad-key.conf" "$WORK/bad-key.conf:7: Bogus"
write_conf "$WORK/bad-timeout.conf" "$CSOCK" "" "EvaluationTimeout soon"
conf_bad bad-number "$WORK/bad-timeout.conf" "$WORK/bad-timeout.conf:8: EvaluationTimeout"
write_conf "$WORK/bad-cidr.conf" "$CSOCK" "InternalHosts 192.0.2.0/33"
conf_bad bad-cidr "$WORK/bad-cidr.conf" "$WORK/bad-cidr.conf:7: InternalHosts"
write_conf "$WORK/bad-strip.conf" "$CSOCK" "# comment" "StripHeaders some"
conf_bad bad-enum "$WORK/bad-strip.conf" "$WORK/bad-strip.conf:8: StripHeaders"
write_conf "$WORK/bad-value.conf" "$CSOCK" "SkipAuthenticated"
conf_bad missing-value "$WORK/bad-value.conf" "$WORK/bad-value.conf:7: SkipAuthenticated"
conf_bad missing-file "$WORK/no-such.conf" "$WORK/no-such.conf"
# An authserv-id the header cannot carry (RFC 8601 2.5: a token) must be refused at
# load time, not silently produce messages without our header.
write_conf "$WORK/bad-authserv.conf" "$CSOCK" "AuthservID bad;id"
conf_bad bad-authserv-id "$WORK/bad-authserv.conf" "$WORK/bad-authserv.conf:7: AuthservID"
grep -v '^Socket' "$WORK/good.conf" >"$WORK/no-socket.conf"
conf_bad no-socket "$WORK/no-socket.conf" "Socket"

# The daemon itself refuses to start on a bad file, naming it.
out="$WORK/start-bad.txt"
timeout 30 "$PM" -f -c "$WORK/bad-key.conf" >"$out" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -qF "$WORK/bad-key.conf:7: Bogus" "$out" && ! grep -Eq "$SANITIZER_RE" "$out"; then
	pass "config/daemon-refuses-bad-file"
else
	fail "config/daemon-refuses-bad-file" "exit $rc" "$out"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
