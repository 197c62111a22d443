#!/bin/bash
# dns_fixtures.sh - posture-check against a real NSD on loopback (an automake test).
#
# Starts a private NSD (nsd.sh) serving tests/fixtures/zones/*.zone, then:
#  - for every fixture zone (except the parent zone "test"), runs
#    posture-check --resolver 127.0.0.1:PORT --json --timeout 5 DOMAIN... on the names its
#    header names and checks the header's expectations with check_expect.py;
#  - resolver failures and edge cases: a resolver that never answers (exit 1 with a
#    one-line reason, bounded time), an answer too big for UDP (NSD sets TC: the TCP
#    path must be used), one too big for TCP as well (NSD's TC=1 over TCP that the
#    spf-txt-too-big fixture relies on), invalid names (exit 2, one line on stderr), an IDN (reported
#    under its A-label), an IPv6 resolver address, the text report, several domains,
#    the resolver taken from a configuration file (-c) and a bad key in one;
#  - the test server itself: a burst of 2000 first-seen names, far over NSD's default
#    rate limit, must be answered in full (nsd.sh turns response-rate limiting off).
# Fixtures whose header says "; https: yes" (MTA-STS policies) run with a private nginx
# up (https.sh, serving tests/fixtures/https) and posture-check --https-port PORT
# --ca-file CA --allow-private --timeout 15 (the slow-body fixture takes the 5 s fetch
# timeout); "; https: refuse-private" the same without --allow-private, so the
# loopback policy host must be refused. Without nginx they are skipped (failed if CI).
# Prints "ok NAME" / "FAIL NAME: ..." per test and a final "N passed, N failed".
#
# Environment (from Makefile.am TESTS_ENVIRONMENT): top_srcdir, top_builddir, NSD.
# Exit: 0 all passed; 1 some failed; 77 (skip) only when nsd or python3 is missing and
# CI is not set (with CI set, a missing nsd is a failure); 99 when posture-check is not
# built or NSD cannot start.
#
# What can go wrong: a sanitizer report in posture-check's stderr (counted as a
# failure even when the exit status was the expected one); a hung posture-check (each
# run is bounded by timeout(1), 30 s).

set -u

top_srcdir="${top_srcdir:-.}"
top_builddir="${top_builddir:-.}"
ZONES="$top_srcdir/tests/fixtures/zones"
CHECKER="$top_srcdir/tests/integration/check_expect.py"
CODES_H="$top_srcdir/lib/codes.h"
PC="$top_builddir/posture-check"
RUN_LIMIT=30

# A sanitizer report must not hide behind an expected exit status of 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:exitcode=87"

# shellcheck source=tests/integration/report.sh
. "$top_srcdir/tests/integration/report.sh"
# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"

missing=""
nsd_find_binary || missing="nsd (Debian package nsd)"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
skip_unless_present "$missing"
if [ ! -x "$PC" ]; then
	echo "FAIL setup: $PC not built"
	exit 99
fi

if ! nsd_start "$ZONES"; then
	echo "FAIL setup: NSD did not start on the fixture zones (see above)"
	echo "0 passed, 1 failed"
	exit 99
fi
RESOLVER="127.0.0.1:$NSD_PORT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-fixtures.XXXXXX")"
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$WORK"'
echo "# NSD $("$NSD_BIN" -v 2>&1 | head -n1 | sed 's/^NSD version //') on $RESOLVER (IPv6 ::1: $([ "$NSD_V6" = 1 ] && echo yes || echo no)), zones:$NSD_ZONES"

# nginx for the "; https:" fixtures (stopped at exit through nsd_at_exit).
# shellcheck source=tests/integration/https.sh
. "$top_srcdir/tests/integration/https.sh"
HTTPS_UP=0
if grep -qE '^[[:space:]]*;[[:space:]]*https:' "$ZONES"/*.zone; then
	if https_start "$top_srcdir/tests/fixtures/https"; then
		HTTPS_UP=1
		echo "# nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*nginx\///') on 127.0.0.1:$HTTPS_PORT"
	fi
fi




# Run posture-check with a time limit: pc_run OUT ERR ARGS...; sets RC and MS (elapsed).
pc_run() {
	local out="$1" err="$2" t0 t1
	shift 2
	t0=$(date +%s%N)
	timeout "$RUN_LIMIT" "$PC" "$@" >"$out" 2>"$err"
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

# A sanitizer report or a timeout in the last run; prints the reason.
run_broke() {
	local err="$1"
	if [ "$RC" = 124 ]; then
		echo "posture-check ran over ${RUN_LIMIT}s"
		return 0
	fi
	if grep -qE 'Sanitizer|runtime error:' "$err"; then
		echo "sanitizer: $(grep -m1 -E 'Sanitizer|runtime error:' "$err")"
		return 0
	fi
	return 1
}

# Whether a file holds exactly one non-empty line.
one_line() {
	[ "$(wc -l <"$1")" -eq 1 ] && [ -n "$(tr -d '[:space:]' <"$1")" ]
}

# ---- the fixtures ----

# Evaluate one fixture zone and check its header's expectations.
run_fixture() {
	local zf="$1" zone domains=() sels=() selargs=() s out err res crc why https tmo=5
	zone="$(basename "$zf" .zone)"
	out="$WORK/$zone.json"
	err="$WORK/$zone.err"
	if ! mapfile -t domains < <(python3 "$CHECKER" domains "$zf" 2>"$err") \
		|| [ "${#domains[@]}" -eq 0 ] || [ -s "$err" ]; then
		fail "$zone" "fixture header unreadable" - <"$err"
		return
	fi
	# "; selector: S" lines: DKIM selectors, each passed as --selector S
	mapfile -t sels < <(python3 "$CHECKER" selectors "$zf" 2>/dev/null)
	for s in "${sels[@]}"; do
		selargs+=(--selector "$s")
	done
	https="$(sed -n 's/^[[:space:]]*;[[:space:]]*https:[[:space:]]*\([a-z-]*\).*/\1/p' "$zf" | head -n 1)"
	if [ -n "$https" ]; then
		if [ "$HTTPS_UP" != 1 ] && [ -n "${CI:-}" ]; then
			fail "$zone" "needs nginx (Debian package nginx), which did not start"
			return
		elif [ "$HTTPS_UP" != 1 ]; then
			echo "# skip $zone: nginx is not available"
			return
		fi
		selargs+=(--https-port "$HTTPS_PORT" --ca-file "$HTTPS_CA")
		# BIMI evidence made by https.sh chains to its test mark CA.
		[ -z "$HTTPS_MARK_CA" ] || selargs+=(--bimi-trust-anchors "$HTTPS_MARK_CA")
		[ "$https" = refuse-private ] || selargs+=(--allow-private)
		tmo=15
	fi
	pc_run "$out" "$err" --resolver "$RESOLVER" --json --timeout "$tmo" "${selargs[@]}" \
		"${domains[@]}"
	if why="$(run_broke "$err")"; then
		fail "$zone" "$why" - <"$err"
		return
	fi
	res="$(python3 "$CHECKER" check --codes "$CODES_H" --exit "$RC" --json "$out" "$zf")"
	crc=$?
	if [ "$crc" -eq 0 ]; then
		if grep -qE '^[[:space:]]*;[[:space:]]*(expect|absent|result|clean|rounds|exit):' "$zf"; then
			pass "$zone"
		else
			pass "$zone (no expectations in its header: exit status only)"
		fi
		return
	fi
	{
		printf '%s\n' "$res"
		if [ -s "$err" ]; then
			echo "stderr: $(head -n 3 "$err")"
		fi
	} >"$WORK/$zone.why"
	if [ "$crc" -eq 2 ]; then
		fail "$zone" "bad fixture header" - <"$WORK/$zone.why"
	else
		fail "$zone" "$(printf '%s\n' "$res" | grep -vc ': raised: ') unmet expectation(s)" - \
			<"$WORK/$zone.why"
	fi
}

for zf in "$ZONES"/*.zone; do
	[ "$(basename "$zf")" = test.zone ] && continue	# the parent zone, no scenario
	run_fixture "$zf"
done

# ---- resolver failures and edge cases ----

# A resolver that reads queries and never replies: exit 1, one line, bounded time.
test_silent_resolver() {
	local name=resolver-silent port="" out="$WORK/silent.out" err="$WORK/silent.err" why
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    s.recv(65535)
' >"$WORK/silent.port" &
	# shellcheck disable=SC2034 # used at exit
	SILENT_PID=$!
	# shellcheck disable=SC2016 # expanded at exit
	nsd_at_exit 'kill "$SILENT_PID" 2>/dev/null; wait "$SILENT_PID" 2>/dev/null'
	for _ in $(seq 1 50); do
		port="$(head -n1 "$WORK/silent.port" 2>/dev/null)"
		[ -n "$port" ] && break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		fail "$name" "the silent UDP server did not start"
		return
	fi
	pc_run "$out" "$err" --resolver "127.0.0.1:$port" --timeout 2 good.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 1 ]; then
		fail "$name" "expected exit 1, got exit $RC" - <"$err"
	elif [ "$MS" -ge 8000 ]; then
		fail "$name" "expected an answer within 8 s with --timeout 2, took ${MS} ms"
	elif ! one_line "$err"; then
		fail "$name" "expected a one-line reason on stderr, got $(wc -l <"$err") lines" - <"$err"
	else
		pass "$name (exit 1 after ${MS} ms: $(cat "$err"))"
	fi
}

# NSD really truncates the big MX answer over UDP; posture-check still sees every host.
test_truncation() {
	local name=truncation-tcp udp udp0 tcp out="$WORK/tc.json" err="$WORK/tc.err" why res
	udp="$(nsd_query --edns 1232 big-mx.test MX)"
	udp0="$(nsd_query big-mx.test MX)"
	tcp="$(nsd_query --tcp big-mx.test MX)"
	case "$udp $udp0" in
	*"tc=1"*"tc=1"*) ;;
	*)
		fail "$name" "NSD did not set TC over UDP: EDNS 1232: '$udp'; plain: '$udp0'"
		return
		;;
	esac
	case "$tcp" in
	*"tc=0 an=30") ;;
	*)
		fail "$name" "expected 30 MX records over TCP, got '$tcp'"
		return
		;;
	esac
	pc_run "$out" "$err" --resolver "$RESOLVER" --json --timeout 5 big-mx.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
		return
	fi
	if res="$(python3 - "$out" "$RC" <<'PYEOF'
import json, sys
rc = int(sys.argv[2])
try:
    ev = json.load(open(sys.argv[1]))
except ValueError as e:
    print("no JSON (exit %d): %s" % (rc, e)); sys.exit(1)
probs = []
if rc != 0:
    probs.append("exit %d" % rc)
mx = ev.get("checks", {}).get("mx", {}).get("result")
if mx in (None, "temperror", "unknown", "none"):
    probs.append("mx result %s" % mx)
for f in ev.get("findings", []):
    if f.get("family") == "mx" and f.get("code") in ("MX_NONE", "MX_NO_MAIL_HOST", "MX_NO_ADDRESS"):
        probs.append("%s: %s" % (f.get("code"), f.get("message")))
q = ev.get("dns", {}).get("queries", 0)
if q < 61:
    probs.append("only %d DNS queries: the A/AAAA of the 30 MX hosts were not all asked" % q)
fact = ev.get("checks", {}).get("mx", {}).get("fact", "")
if not fact.startswith("30 host"):
    probs.append("mx fact %r, expected \"30 hosts\" (every host judged)" % fact)
if probs:
    print("; ".join(probs)); sys.exit(1)
print("mx=%s, %d queries, fact %r" % (mx, q, ev["checks"]["mx"].get("fact", "")))
PYEOF
)"; then
		pass "$name (UDP TC=1, TCP 30 MX; posture-check: $res)"
	else
		fail "$name" "$res"
	fi
}

# The spf-txt-too-big fixture stands on NSD sending TC=1 and no records over TCP for
# an RRset that no DNS message can hold; check that it does, so that the fixture's
# temperror means what its header says.
test_truncation_over_tcp() {
	local name=truncation-over-tcp tcp
	tcp="$(nsd_query --tcp spf-txt-too-big.test TXT)"
	case "$tcp" in
	*"rcode=NOERROR aa=1 tc=1 an=0") pass "$name ($tcp)" ;;
	*) fail "$name" "expected TC=1 and no records over TCP, got '$tcp'" ;;
	esac
}

# An invalid name is refused before any lookup: exit 2, one line on stderr.
test_invalid_name() {
	local name="$1" domain="$2" out="$WORK/inv.out" err="$WORK/inv.err" why
	pc_run "$out" "$err" --resolver "$RESOLVER" --timeout 2 "$domain"
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 2 ]; then
		fail "$name" "expected exit 2 (bad usage), got exit $RC" - <"$err"
	elif ! one_line "$err"; then
		fail "$name" "expected a one-line reason on stderr, got $(wc -l <"$err") lines" - <"$err"
	else
		pass "$name ($(cut -c1-100 "$err"))"
	fi
}

# An IDN given in UTF-8 is evaluated and reported under its A-label.
test_idn() {
	local name=idn-a-label out="$WORK/idn.json" err="$WORK/idn.err" why res
	pc_run "$out" "$err" --resolver "$RESOLVER" --json --timeout 5 "bücher.test"
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
		return
	fi
	if res="$(python3 - "$out" "$RC" <<'PYEOF'
import json, sys
try:
    ev = json.load(open(sys.argv[1], encoding="utf-8"))
except ValueError as e:
    print("no JSON (exit %s): %s" % (sys.argv[2], e)); sys.exit(1)
probs = []
if sys.argv[2] != "0":
    probs.append("exit " + sys.argv[2])
if ev.get("domain") != "xn--bcher-kva.test":
    probs.append("domain %r, expected 'xn--bcher-kva.test'" % ev.get("domain"))
# The name as given is valid UTF-8 (idn2 accepted it): JSON carries it as text.
if ev.get("input", "bücher.test") != "bücher.test":
    probs.append("input %r, expected 'bücher.test'" % ev.get("input"))
if "error" in ev:
    probs.append("error %r" % ev["error"])
elif ev.get("checks", {}).get("mx", {}).get("result") != "ok":
    probs.append("mx result %r: the A-label zone was not the one evaluated"
                 % ev.get("checks", {}).get("mx", {}).get("result"))
if probs:
    print("; ".join(probs)); sys.exit(1)
PYEOF
)"; then
		pass "$name"
	else
		fail "$name" "$res"
	fi
}

# The resolver given as [::1]:PORT (only where this host has IPv6 on loopback).
test_ipv6_resolver() {
	local name=resolver-ipv6 out="$WORK/v6.json" err="$WORK/v6.err" why
	if [ "$NSD_V6" != 1 ]; then
		echo "# skip $name: no IPv6 on loopback here"
		return
	fi
	pc_run "$out" "$err" --resolver "[::1]:$NSD_PORT" --json --timeout 5 good.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 0 ] || ! grep -q '"mx": {"result": "ok"' "$out"; then
		fail "$name" "expected exit 0 and mx ok, got exit $RC" - <"$err"
	else
		pass "$name"
	fi
}

# A malformed --resolver is bad usage: exit 2, one line.
test_bad_resolver_option() {
	local name=resolver-option-invalid out="$WORK/br.out" err="$WORK/br.err" why
	pc_run "$out" "$err" --resolver "127.0.0.1:notaport" --timeout 2 good.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 2 ]; then
		fail "$name" "expected exit 2, got exit $RC" - <"$err"
	elif ! one_line "$err"; then
		fail "$name" "expected one line on stderr, got $(wc -l <"$err")" - <"$err"
	else
		pass "$name"
	fi
}

# The text report names the domain and its grade; nothing on stderr.
test_text_report() {
	local name=text-report out="$WORK/text.out" err="$WORK/text.err" why
	pc_run "$out" "$err" --resolver "$RESOLVER" --timeout 5 good.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 0 ] || [ -s "$err" ]; then
		fail "$name" "expected exit 0 and an empty stderr, got exit $RC" - <"$err"
	elif ! grep -q 'good\.test' "$out" || ! grep -qi 'grade' "$out"; then
		fail "$name" "report lacks the domain or the grade" - <"$out"
	else
		pass "$name"
	fi
}

# Several domains: a JSON array, in the order given.
test_several_domains() {
	local name=several-domains out="$WORK/multi.json" err="$WORK/multi.err" why
	pc_run "$out" "$err" --resolver "$RESOLVER" --json --timeout 5 good.test big-mx.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 0 ]; then
		fail "$name" "expected exit 0, got exit $RC" - <"$err"
	elif ! python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if isinstance(d, list) and [e.get("domain") for e in d] == ["good.test", "big-mx.test"] else 1)
' "$out"; then
		fail "$name" "expected a JSON array [good.test, big-mx.test]" - <"$out"
	else
		pass "$name"
	fi
}

# -c FILE: the resolver comes from the configuration file; a bad key is bad usage.
test_config_file() {
	local name=config-file conf="$WORK/pm.conf" out="$WORK/conf.json" err="$WORK/conf.err" why
	printf '# test\nResolver 127.0.0.1:%s\nEvaluationTimeout 5\n' "$NSD_PORT" >"$conf"
	pc_run "$out" "$err" -c "$conf" --json good.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 0 ] || ! grep -q '"mx": {"result": "ok"' "$out"; then
		fail "$name" "expected exit 0 and mx ok with Resolver from -c, got exit $RC" - <"$err"
	else
		pass "$name"
	fi
	name=config-file-bad-key
	printf 'Resolver 127.0.0.1:%s\nNoSuchKey yes\n' "$NSD_PORT" >"$conf"
	pc_run "$out" "$err" -c "$conf" good.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 2 ] || ! one_line "$err" || ! grep -q 'pm.conf:2' "$err"; then
		fail "$name" "expected exit 2 and one line naming pm.conf:2, got exit $RC" - <"$err"
	else
		pass "$name ($(cat "$err"))"
	fi
}

# The test NSD answers every query of a burst well over 200 a second: no answer is
# dropped or truncated by response-rate limiting (NSD's default would after ~200).
test_no_rate_limit() {
	local name=nsd-no-rate-limit res
	if res="$(nsd_burst 2000 test)"; then
		pass "$name ($res)"
	else
		fail "$name" "$res"
	fi
}

test_silent_resolver
test_truncation
test_truncation_over_tcp
test_invalid_name name-empty-label 'bad..name'
test_invalid_name name-too-long "$(printf 'a%.0s' $(seq 1 63)).$(printf 'b%.0s' $(seq 1 63)).$(printf 'c%.0s' $(seq 1 63)).$(printf 'd%.0s' $(seq 1 63)).$(printf 'e%.0s' $(seq 1 40)).test"
test_invalid_name name-label-too-long "$(printf 'x%.0s' $(seq 1 64)).test"
test_idn
test_ipv6_resolver
test_bad_resolver_option
test_text_report
test_several_domains
test_config_file
test_no_rate_limit

finish
