#!/bin/bash
# config.sh - posture-milter's configuration checks and socket set-up, run as the
# daemon runs them: `posture-milter -n` on generated files (every error names
# FILE:LINE: Key and a reason, masked), -n not binding the socket, the reason a socket
# cannot be opened, and (as root) a unix socket given to UserID and an unsafe socket
# directory refused. Needs only the built posture-milter and python3 (a free port, a
# listener holding it); the UserID tests need root and are skipped without it unless
# CI is set. Nothing leaves loopback.
set -u

abspath() {
	(cd "$1" && pwd)
}
top_srcdir="$(abspath "${top_srcdir:-.}")"
top_builddir="$(abspath "${top_builddir:-.}")"
PM="${POSTURE_MILTER:-$top_builddir/posture-milter}"
PC="${POSTURE_CHECK:-$top_builddir/posture-check}"
SANITIZER_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"

. "$top_srcdir/tests/integration/report.sh"
skip_unless_present "$(command -v python3 >/dev/null || echo python3)"
require_built "$PM" "$PC"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-config.XXXXXX")" || exit 99
chmod 0755 "$WORK"
PIDS=()
# Stop what we started, then remove the work directory.
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# Record a failure with the tail of an output file: name, reason, file.
fail_with() {
	fail "$1" "$2" - < <(tail -n 20 "$3" 2>/dev/null)
}

# A TCP port on 127.0.0.1 free right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Write a configuration: $1 file, then its lines (one per argument) after a base that
# -n accepts.
conf() {
	local f="$1"
	shift
	{
		echo "AuthservID test.local"
		echo "Resolver 127.0.0.1:53"
		printf '%s\n' "$@"
	} >"$f"
}

# Expect `posture-milter -n -c FILE [ARGS]` to fail with $3 (fixed string) in its output.
expect_refused() {
	local name="$1" file="$2" want="$3" out="$WORK/$1.out" rc
	shift 3
	timeout 30 "$PM" -n -c "$file" "$@" >"$out" 2>&1
	rc=$?
	if grep -Eq "$SANITIZER_RE" "$out"; then
		fail_with "$name" "sanitizer report" "$out"
	elif [ "$rc" = 0 ]; then
		fail_with "$name" "-n accepted it (expected an error naming '$want')" "$out"
	elif ! grep -qF -- "$want" "$out"; then
		fail_with "$name" "exit $rc, but the error does not say '$want'" "$out"
	else
		pass "$name"
	fi
}

# Expect `posture-milter -n -c FILE` to accept the file.
expect_ok() {
	local name="$1" file="$2" out="$WORK/$1.out" rc
	shift 2
	timeout 30 "$PM" -n -c "$file" "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && grep -qF "configuration OK" "$out" && ! grep -Eq "$SANITIZER_RE" "$out"; then
		pass "$name"
	else
		fail_with "$name" "exit $rc on a good file" "$out"
	fi
}

# Hold a listener on 127.0.0.1:$1 in the background until killed; its pid in HOLDER.
hold_port() {
	python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("ready", flush=True); time.sleep(300)' "$1" \
		>"$WORK/holder.out" 2>&1 &
	HOLDER=$!
	PIDS+=("$HOLDER")
	for _ in $(seq 50); do
		grep -q ready "$WORK/holder.out" && return 0
		sleep 0.1
	done
	return 1
}

F="$WORK/pm.conf"

# ---- ports: 1..65535, decimal, never wrapped modulo 65536 ----
conf "$F" "Socket inet:99999@127.0.0.1"
expect_refused socket-port-above-65535 "$F" "$F:3: Socket: not a port"
conf "$F" "Socket inet:0@127.0.0.1"
expect_refused socket-port-zero "$F" "$F:3: Socket: not a port"
conf "$F" "Socket inet:8891@127.0.0.1" "HTTPSPort 0x1bb"
expect_refused https-port-hex "$F" "$F:4: HTTPSPort: not a port"
conf "$F" "Socket inet:8891@127.0.0.1"
expect_refused option-p-port-above-65535 "$F" "socket inet:70000@127.0.0.1: not a port" \
	-p inet:70000@127.0.0.1
expect_ok good-inet-socket "$F"
# posture-check's port option goes through the same parser (exit 2: bad usage).
out="$WORK/check-https-port.out"
"$PC" --https-port 65979 example.com >"$out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -qF -- "--https-port: not a port" "$out"; then
	pass posture-check-https-port-above-65535
else
	fail_with posture-check-https-port-above-65535 "exit $rc" "$out"
fi

# ---- errors that say where: file, line, key, reason ----
conf "$F" "Socket inet:8891@127.0.0.1" "DNSTimeout 0x10"
expect_refused seconds-hex "$F" "$F:4: DNSTimeout: not a number of seconds"
conf "$F" "Socket inet:8891@127.0.0.1" "UserID no-such-user-pm-test"
expect_refused userid-unknown "$F" "$F:4: UserID: no such user no-such-user-pm-test"
conf "$F" "Socket inet:8891@127.0.0.1" "CAFile /nonexistent/ca.pem"
expect_refused cafile-missing "$F" "$F:4: CAFile: cannot read /nonexistent/ca.pem: No such file"
conf "$F" "Socket inet:8891@127.0.0.1" "CacheMaxTTL 50" "# a comment" "CacheMinTTL 100"
expect_refused cache-ttl-order "$F" "$F:6: CacheMinTTL: CacheMinTTL 100 is above CacheMaxTTL 50"
conf "$F" "Socket inet:8891@127.0.0.1" "Resolver 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5" \
	"Resolver 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9"
expect_refused resolvers-above-8 "$F" "$F:5: Resolver: too many items (at most 8)"
conf "$F" "Socket inet:8891@127.0.0.1" $'K\xff\x01y 1'
expect_refused binary-line "$F" "$F:4: NUL or control byte in the line"
conf "$F" "Socket inet:8891@127.0.0.1" $'K\xff\xfey 1'
expect_refused binary-key-masked "$F" "$F:4: K??y: unknown key"
if grep -q $'\xff' "$WORK/binary-key-masked.out"; then
	fail_with binary-key-not-echoed "a raw byte of the key reached the output" "$WORK/binary-key-masked.out"
else
	pass binary-key-not-echoed
fi

# ---- -n does not bind: systemd's reload runs it while the daemon holds the socket ----
PORT="$(free_port)"
if hold_port "$PORT"; then
	conf "$F" "Socket inet:$PORT@127.0.0.1"
	expect_ok check-while-port-held "$F"
	# Start-up on the held port fails and says why (libmilter only logs to syslog).
	out="$WORK/start-held.out"
	timeout 30 "$PM" -f -c "$F" >"$out" 2>&1
	rc=$?
	if [ "$rc" != 0 ] && grep -qF "cannot open the milter socket inet:$PORT@127.0.0.1: Address already in use" "$out"; then
		pass socket-open-failure-says-why
	else
		fail_with socket-open-failure-says-why "exit $rc without the reason" "$out"
	fi
	kill "$HOLDER" 2>/dev/null
else
	fail_with check-while-port-held "could not hold port $PORT" "$WORK/holder.out"
fi

# ---- unix sockets: directory safety, ownership ----
mkdir -m 0777 "$WORK/open" && chmod 0777 "$WORK/open"
conf "$F" "Socket unix:$WORK/open/pm.sock"
expect_refused socket-dir-writable-by-others "$F" "is writable by others without the sticky bit"
mkdir -m 1777 "$WORK/sticky" && chmod 1777 "$WORK/sticky"
conf "$F" "Socket unix:$WORK/sticky/pm.sock"
expect_ok socket-dir-sticky "$F"
conf "$F" "Socket unix:$WORK/missing/pm.sock"
expect_refused socket-dir-missing "$F" "directory: No such file or directory"
: >"$WORK/not-a-socket"
conf "$F" "Socket unix:$WORK/not-a-socket"
expect_refused socket-path-not-a-socket "$F" "the path exists and is not a socket"

# Start as root with UserID: the socket ends up owned by UserID, not root.
run_as_root_test() {
	local user=nobody sock="$WORK/sticky/owned.sock" out="$WORK/owned.out" pid owner i
	conf "$F" "Socket unix:$sock" "UserID $user"
	"$PM" -f -c "$F" >"$out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 100); do
		grep -q "listening on" "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	owner="$(stat -c %U "$sock" 2>/dev/null)"
	if [ -S "$sock" ] && [ "$owner" = "$user" ]; then
		pass socket-given-to-userid
	else
		fail_with socket-given-to-userid "socket owner '${owner:-none}', expected $user" "$out"
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if grep -Eq "$SANITIZER_RE" "$out"; then
		fail_with socket-given-to-userid-clean "sanitizer report" "$out"
	fi
}
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	run_as_root_test
elif [ -n "${CI:-}" ]; then
	fail socket-given-to-userid "not root (or no user nobody), and CI is set"
else
	echo "# skipped socket-given-to-userid: needs root and the user nobody"
fi

finish
