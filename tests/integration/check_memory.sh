#!/bin/bash
# check_memory.sh - posture-check --fail-on, and posture memory in posture-check
# (--state-dir, --redis, -c, --history) against a real NSD on loopback (an automake test).
#
# A private NSD (nsd.sh) serves a copy of a few fixture zones plus two generated ones,
# mem.test and memr.test (good.test's records under other names), from a temp dir, so
# that the test can rewrite a zone and reload NSD (SIGHUP). A private redis-server on
# loopback (redis.sh) holds the fleet's memory. "Dead" below is a loopback UDP port
# nobody answers; "filtered" is a small UDP relay to NSD that goes silent for good at
# the first query for gone.test: posture-check evaluates its domains one after the
# other, so in one run dmarc-p-none.test is evaluated and gone.test (after it) gets not
# one answer, not even for the names the two share (the DMARC tree walk's).
#  (a) --fail-on: good.test (info findings only) exits 0 with --fail-on warn;
#      dmarc-p-none.test (warn findings) exits 3 (text and --json), 0 with --fail-on
#      error and 0 without --fail-on; a dead resolver exits 1; gone.test not evaluated
#      beside dmarc-p-none.test exits 1, not 3; a bad value exits 2 with one line.
#  (b) --state-dir: a missing directory and --history without a store are usage errors
#      (2); a first run of mem.test records its history (exit 0 with --fail-on warn, no
#      change findings); mem.test's SPF record removed and DMARC p=reject made p=none,
#      NSD reloaded: the second run reports RECORD_CHANGED and POSTURE_WEAKENED and
#      exits 3 with --fail-on warn; a third run reports neither; --history prints the
#      old and the new DMARC value (text and JSON), through -c FILE naming the directory
#      too; a domain with no history exits 1; -c FILE without StateDirectory names no
#      store (the default directory is never used implicitly).
#  (c) --redis: the same cycle for memr.test on the redis-server; a bad --redis value
#      is a usage error.
# Prints "ok NAME" / "FAIL NAME: reason" and "N passed, N failed".
#
# Environment: top_srcdir, top_builddir, NSD (Makefile.am TESTS_ENVIRONMENT); CI;
# REDIS_SERVER overrides redis-server.
# Exit: 0 all passed; 1 some failed; 77 (skip) when nsd or python3 is missing and CI is
# not set; (c) alone is skipped when redis-server is missing and CI is not set (with CI
# set, a failure); 99 when posture-check is not built or NSD cannot start.
#
# What can go wrong: a hung posture-check (timeout(1), 30 s); NSD not picking up the
# rewritten zone (polled for 10 s, then a failure naming it); a sanitizer report on
# stderr (a failure even with the expected status); leftovers (the EXIT trap stops the
# relay by pid, NSD and redis-server, and removes the temp dir).

set -u

abspath() {
	(cd "$1" && pwd)
}
top_srcdir="$(abspath "${top_srcdir:-.}")"
top_builddir="$(abspath "${top_builddir:-.}")"
ZONES="$top_srcdir/tests/fixtures/zones"
PC="$top_builddir/posture-check"
RUN_LIMIT=30
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:exitcode=87"

# shellcheck source=tests/integration/report.sh
. "$top_srcdir/tests/integration/report.sh"
# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/redis.sh
. "$top_srcdir/tests/integration/redis.sh"

missing=""
nsd_find_binary || missing="nsd"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
skip_unless_present "$missing"
require_built "$PC"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-check-memory.XXXXXX")"
RELAY_PID=""
# Stop the relay (ours, by pid) and remove the temp dir (nsd.sh's EXIT trap runs it).
cleanup() {
	if [ -n "$RELAY_PID" ]; then
		kill "$RELAY_PID" 2>/dev/null || true
		wait "$RELAY_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
nsd_at_exit cleanup

# The zones: the parent, two fixtures, and good.test's records as mem.test, memr.test.
mkdir "$WORK/zones"
cp "$ZONES/test.zone" "$ZONES/good.test.zone" "$ZONES/dmarc-p-none.test.zone" "$WORK/zones/"
for z in mem.test memr.test; do
	sed -e "s/good\.test/$z/g" -e '/^;/d' "$ZONES/good.test.zone" >"$WORK/zones/$z.zone"
done
if ! nsd_start "$WORK/zones"; then
	echo "FAIL setup: NSD did not start on the zones (see above)"
	echo "0 passed, 1 failed"
	exit 99
fi
LIVE="127.0.0.1:$NSD_PORT"

# A UDP port on 127.0.0.1 nobody serves (bound for a moment, then released).
DEAD="127.0.0.1:$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

# The relay: UDP to NSD until the first query for a name at or below $2, then silent.
# Prints its port.
cat >"$WORK/relay.py" <<'EOF'
import socket, sys
up, stop, silent = ("127.0.0.1", int(sys.argv[1])), sys.argv[2], False
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
def qname(msg):
    i, labels = 12, []
    while i < len(msg) and msg[i] != 0 and len(labels) < 128:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii", "replace").lower())
        i += 1 + msg[i]
    return ".".join(labels)
while True:
    msg, client = s.recvfrom(65535)
    name = qname(msg)
    silent = silent or name == stop or name.endswith("." + stop)
    if silent:
        continue
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    try:
        u.sendto(msg, up)
        s.sendto(u.recv(65535), client)
    except OSError:
        pass
    u.close()
EOF
python3 "$WORK/relay.py" "$NSD_PORT" gone.test >"$WORK/relay.port" 2>"$WORK/relay.err" &
RELAY_PID=$!
for _ in $(seq 1 50); do
	[ -s "$WORK/relay.port" ] && break
	sleep 0.1
done
FILTERED="127.0.0.1:$(cat "$WORK/relay.port")"

# Run posture-check: pc OUT ARGS...; stderr to OUT.err; sets RC.
pc() {
	local out="$1"
	shift
	timeout "$RUN_LIMIT" "$PC" --timeout 5 "$@" >"$out" 2>"$out.err"
	RC=$?
}

# Expect the last run's status: expect NAME WANT OUT [why]; a sanitizer report fails.
expect() {
	local name="$1" want="$2" out="$3"
	if grep -qE 'Sanitizer|runtime error:' "$out.err"; then
		fail "$name" "sanitizer report" - <"$out.err"
	elif [ "$RC" != "$want" ]; then
		fail "$name" "exit $RC, expected $want" - < <(cat "$out" "$out.err" | tail -n 20)
	else
		pass "$name"
	fi
}

# Whether the JSON report in $1 holds a finding of code $2.
has_code() {
	grep -q "\"code\": \"$2\"" "$1"
}

# ---- (a) --fail-on ----
pc "$WORK/a1" --resolver "$LIVE" --fail-on warn good.test
expect "fail-on/info-only-exits-0" 0 "$WORK/a1"
pc "$WORK/a2" --resolver "$LIVE" --fail-on warn dmarc-p-none.test
expect "fail-on/warn-exits-3" 3 "$WORK/a2"
pc "$WORK/a3" --resolver "$LIVE" --fail-on warn --json good.test dmarc-p-none.test
expect "fail-on/json-warn-exits-3" 3 "$WORK/a3"
pc "$WORK/a4" --resolver "$LIVE" --fail-on error dmarc-p-none.test
expect "fail-on/error-threshold-exits-0" 0 "$WORK/a4"
pc "$WORK/a5" --resolver "$LIVE" dmarc-p-none.test
expect "fail-on/without-it-exits-0" 0 "$WORK/a5"
pc "$WORK/a6" --resolver "$DEAD" --fail-on warn dmarc-p-none.test
expect "fail-on/dead-resolver-exits-1" 1 "$WORK/a6"
pc "$WORK/a7" --resolver "$FILTERED" --fail-on warn --json dmarc-p-none.test gone.test
expect "fail-on/not-evaluated-wins-over-warn" 1 "$WORK/a7"
if has_code "$WORK/a7" DMARC_POLICY_NONE; then
	pass "fail-on/the-evaluated-domain-still-reported"
else
	fail "fail-on/the-evaluated-domain-still-reported" "no DMARC_POLICY_NONE" - <"$WORK/a7"
fi
pc "$WORK/a8" --resolver "$LIVE" --fail-on notice good.test
expect "fail-on/bad-value-exits-2" 2 "$WORK/a8"
if [ "$(wc -l <"$WORK/a8.err")" -eq 1 ] && grep -q -- '--fail-on' "$WORK/a8.err"; then
	pass "fail-on/bad-value-one-line"
else
	fail "fail-on/bad-value-one-line" "stderr is not one line naming --fail-on" - <"$WORK/a8.err"
fi
pc "$WORK/a9" --resolver "$DEAD" --fail-on notice good.test
expect "fail-on/usage-wins-over-dead-resolver" 2 "$WORK/a9"

# Rewrite zone $1 (mem.test, memr.test): no SPF record, DMARC p=none; reload NSD and
# wait until it answers the new zone (no TXT at the apex any more).
weaken_zone() {
	local z="$1" line
	sed -i -e '/v=spf1/d' -e 's/p=reject/p=none/' -e 's/2026010101/2026010102/' \
		"$WORK/zones/$z.zone"
	kill -HUP "$NSD_PID"
	for _ in $(seq 1 100); do
		line="$(nsd_query "$z" TXT)"
		case "$line" in *"rcode=NOERROR"*" an=0"*) return 0 ;; esac
		sleep 0.1
	done
	echo "NSD still answers the old $z after SIGHUP: $line"
	return 1
}

# The change-tracking cycle for domain $1 with store options $2...: name prefix $P.
memory_cycle() {
	local d="$1" code why
	shift
	pc "$WORK/$P-1" --resolver "$LIVE" --fail-on warn --json "$@" "$d"
	expect "$P/first-run-exits-0" 0 "$WORK/$P-1"
	if has_code "$WORK/$P-1" RECORD_CHANGED || has_code "$WORK/$P-1" POSTURE_WEAKENED; then
		fail "$P/first-run-no-changes" "change findings on the first run" - <"$WORK/$P-1"
	else
		pass "$P/first-run-no-changes"
	fi
	if ! why="$(weaken_zone "$d")"; then
		fail "$P/zone-reloaded" "$why"
		return
	fi
	pc "$WORK/$P-2" --resolver "$LIVE" --fail-on warn --json "$@" "$d"
	expect "$P/changed-run-exits-3" 3 "$WORK/$P-2"
	for code in RECORD_CHANGED POSTURE_WEAKENED; do
		if has_code "$WORK/$P-2" "$code"; then
			pass "$P/changed-run-reports-$code"
		else
			fail "$P/changed-run-reports-$code" "no $code" - <"$WORK/$P-2"
		fi
	done
	pc "$WORK/$P-3" --resolver "$LIVE" --json "$@" "$d"
	expect "$P/third-run-exits-0" 0 "$WORK/$P-3"
	if has_code "$WORK/$P-3" RECORD_CHANGED || has_code "$WORK/$P-3" POSTURE_WEAKENED; then
		fail "$P/third-run-no-changes" "change findings again" - <"$WORK/$P-3"
	else
		pass "$P/third-run-no-changes"
	fi
	pc "$WORK/$P-h" --history "$@" "$d"
	expect "$P/history-exits-0" 0 "$WORK/$P-h"
	if grep -q "p=reject" "$WORK/$P-h" && grep -q "p=none" "$WORK/$P-h"; then
		pass "$P/history-shows-old-and-new"
	else
		fail "$P/history-shows-old-and-new" "p=reject and p=none not both shown" - \
			<"$WORK/$P-h"
	fi
	pc "$WORK/$P-hj" --history --json "$@" "$d"
	if [ "$RC" = 0 ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
		"$WORK/$P-hj" 2>/dev/null && grep -q "p=none" "$WORK/$P-hj"; then
		pass "$P/history-json"
	else
		fail "$P/history-json" "exit $RC, or not JSON naming p=none" - \
			< <(cat "$WORK/$P-hj" "$WORK/$P-hj.err")
	fi
	pc "$WORK/$P-hn" --history "$@" never-seen.test
	expect "$P/history-of-unknown-domain-exits-1" 1 "$WORK/$P-hn"
}

# ---- (b) --state-dir ----
pc "$WORK/b1" --resolver "$LIVE" --state-dir "$WORK/no-such-dir" good.test
expect "state-dir/missing-exits-2" 2 "$WORK/b1"
if grep -q -- "^posture-check: --state-dir $WORK/no-such-dir: " "$WORK/b1.err"; then
	pass "state-dir/missing-names-the-option"
else
	fail "state-dir/missing-names-the-option" "unexpected message" - <"$WORK/b1.err"
fi
pc "$WORK/b2" --history good.test
expect "state-dir/history-without-store-exits-2" 2 "$WORK/b2"
printf 'Resolver %s\n' "$LIVE" >"$WORK/nostate.conf"
pc "$WORK/b3" -c "$WORK/nostate.conf" --history good.test
expect "state-dir/config-without-statedirectory-names-no-store" 2 "$WORK/b3"
mkdir "$WORK/state"
P=state-dir
memory_cycle mem.test --state-dir "$WORK/state"
printf 'Resolver %s\nStateDirectory %s\n' "$LIVE" "$WORK/state" >"$WORK/state.conf"
pc "$WORK/b4" -c "$WORK/state.conf" --history mem.test
if [ "$RC" = 0 ] && grep -q "p=none" "$WORK/b4"; then
	pass "state-dir/config-statedirectory-used"
else
	fail "state-dir/config-statedirectory-used" "exit $RC" - < <(cat "$WORK/b4" "$WORK/b4.err")
fi

# ---- (c) --redis ----
pc "$WORK/c1" --resolver "$LIVE" --redis localhost:6379 good.test
expect "redis/bad-address-exits-2" 2 "$WORK/c1"
if ! redis_find_binary; then
	if [ -n "${CI:-}" ]; then
		fail "redis/server" "redis-server not installed, and CI is set"
	else
		echo "# skip (c): redis-server not installed"
	fi
elif ! redis_start; then
	fail "redis/server" "redis-server did not start"
else
	P=redis
	memory_cycle memr.test --redis "127.0.0.1:$REDIS_PORT"
	redis_stop
fi

finish
