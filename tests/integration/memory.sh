#!/bin/bash
# memory.sh - posture memory through the real milter (an automake test): StateDirectory
# (LMDB) and Redis, driven with miltertest(8) like tests/integration/miltertest.sh.
#
# A private NSD serves the fixture zones (nsd.sh), a private redis-server runs on
# loopback (redis.sh). "Dead resolver" below is a loopback UDP port nobody answers, so
# anything the milter does not remember reads temperror. The scripts are
# tests/miltertest/header-added.lua (good.test: grade A, mx=ok, dmarc=ok) and a
# temperror check generated into the work dir (tests/miltertest/ holds only the
# suite miltertest.sh runs).
#  (a) restart warm: posture-milter with StateDirectory evaluates good.test, stops;
#      restarted on the same directory with a dead resolver it still writes grade A.
#      Control: a dead resolver on an empty directory gives no grade A.
#  (b) fleet: two daemons on one redis-server, StateDirectory none; the first
#      evaluates good.test, the second (dead resolver) serves it.
#  (c) Redis killed mid-run: the second daemon still answers every message, good.test
#      from its cache, an unknown domain temperror. Redis restarted on the same port:
#      a domain the first daemon evaluates is then served by the second (dead
#      resolver) from Redis, and the second logs that Redis answers again. Both stop
#      cleanly (exit 0, no sanitizer report).
#  (d) a StateDirectory named explicitly but missing: posture-milter -n fails naming
#      the key.
#  (e) learned selectors across a fleet: two daemons (live resolver) on a new
#      redis-server; the first gets a message from learn.test signed s=rsa that
#      verifies (verify_fixtures.sh makes the key, zone and message): its own header
#      reads dkim=ok. The snapshot it stored is deleted from Redis; the second daemon
#      then evaluates learn.test for a plain message and reads dkim=ok too: the
#      selector came from the shared list (pm:<schema>:sel:learn.test). Control: the
#      same for learn-forged.test, whose signature does not verify, reads dkim=unknown
#      on both.
#  (f) change tracking through the daemon: track.test evaluated, its zone weakened
#      (SPF removed, DMARC p=reject -> p=none) and NSD reloaded; a daemon on the same
#      StateDirectory re-evaluates: POSTURE_WEAKENED in the spf and dmarc comments of
#      the header, RECORD_CHANGED for both records in the log with the message's queue
#      id; the next evaluation raises neither.
# Prints "ok NAME" / "FAIL NAME: reason" and "N passed, N failed".
#
# Environment: top_srcdir, top_builddir, NSD (Makefile.am TESTS_ENVIRONMENT);
# POSTURE_MILTER, MILTERTEST, REDIS_SERVER override the binaries.
# Exit: 0 all passed; 1 some failed; 77 (skip) when miltertest, nsd, redis-server or
# python3 is missing and CI is not set (with CI set, a failure); 99 when posture-milter
# is not built or NSD cannot start.
#
# What can go wrong: a daemon that does not start (its log is shown); a hung miltertest
# (timeout(1), 60 s); leftovers (the EXIT trap kills the daemons this script started,
# by pid, stops NSD and redis-server and removes the temp dir).

set -u

abspath() {
	(cd "$1" && pwd)
}
top_srcdir="$(abspath "${top_srcdir:-.}")"
top_builddir="$(abspath "${top_builddir:-.}")"
MTDIR="$top_srcdir/tests/miltertest"
ZONES="$top_srcdir/tests/fixtures/zones"
PM="${POSTURE_MILTER:-$top_builddir/posture-milter}"
SIGN="$top_builddir/dkim_sign_tool"
AUTHSERV=test.local
SANITIZER_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/redis.sh
. "$top_srcdir/tests/integration/redis.sh"
# shellcheck source=tests/integration/report.sh
. "$top_srcdir/tests/integration/report.sh"
# shellcheck source=tests/integration/verify_fixtures.sh
. "$top_srcdir/tests/integration/verify_fixtures.sh"

missing=""
MT="${MILTERTEST:-$(command -v miltertest || true)}"
[ -n "$MT" ] && [ -x "$MT" ] || missing="miltertest"
nsd_find_binary || missing="${missing:+$missing, }nsd"
redis_find_binary || missing="${missing:+$missing, }redis-server"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
command -v openssl >/dev/null || missing="${missing:+$missing, }openssl"
skip_unless_present "$missing"
require_built "$PM" "$SIGN"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-memory.XXXXXX")"
# The fixture zones plus generated ones with keys made now (learn.test, for (e)).
if ! vf_make "$WORK/vf" "$SIGN" "$top_srcdir"; then
	rm -rf "$WORK"
	echo "FAIL setup: the verification fixtures could not be made"
	exit 99
fi
ZONES="$WORK/vf/zones"
# track.test, for (f): rewritten during the run.
cat >"$ZONES/track.test.zone" <<'EOF'
$ORIGIN track.test.
$TTL 300
@	IN SOA	ns.test. hostmaster.test. ( 2026010101 3600 900 604800 300 )
	IN NS	ns.test.
	IN MX	10 mx.track.test.
	IN MX	20 mx2.track.test.
mx	IN A	192.0.2.25
mx2	IN A	192.0.2.26
@	IN TXT	"v=spf1 mx -all"
_dmarc	IN TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@track.test"
EOF
if ! nsd_start "$ZONES"; then
	rm -rf "$WORK"
	echo "FAIL setup: NSD did not start on the fixture zones"
	exit 99
fi
DAEMONS=()
# Kill whatever daemon of ours still runs, then remove the temp dir.
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

# A failure with the tail of file $3 as details.
fail_with() {
	fail "$1" "$2" - < <(tail -n 30 "$3" 2>/dev/null)
}

# A TCP port on 127.0.0.1 free right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A UDP port on 127.0.0.1 nobody serves (bound for a moment, then released).
dead_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
DEAD="127.0.0.1:$(dead_port)"
LIVE="127.0.0.1:$NSD_PORT"

# Write a configuration: $1 file, $2 socket, $3 resolver, then extra lines.
write_conf() {
	local f="$1" sock="$2" resolver="$3" line
	shift 3
	{
		echo "Socket $sock"
		echo "Resolver $resolver"
		echo "AuthservID $AUTHSERV"
		echo "EvaluationTimeout 2"
		for line in "$@"; do
			echo "$line"
		done
	} >"$f"
}

# Start posture-milter -f -c $1, stderr to $2; sets MPID. 0 once it listens.
start_milter() {
	local conf="$1" log="$2"
	: >"$log"
	"$PM" -f -c "$conf" >>"$log" 2>&1 &
	MPID=$!
	DAEMONS+=("$MPID")
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$log" && return 0
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

# SIGTERM the daemons given as NAME PID LOG triples, all at once (libmilter notices a
# stop only every 5 s); each must exit 0 with a log free of sanitizer reports.
stop_milters() {
	local names=() pids=() logs=() i rc
	while [ $# -ge 3 ]; do
		names+=("$1")
		pids+=("$2")
		logs+=("$3")
		kill -TERM "$2" 2>/dev/null || true
		shift 3
	done
	for i in "${!pids[@]}"; do
		for _ in $(seq 1 300); do
			kill -0 "${pids[$i]}" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "${pids[$i]}" 2>/dev/null; then
			kill -KILL "${pids[$i]}" 2>/dev/null || true
			wait "${pids[$i]}" 2>/dev/null
			fail_with "${names[$i]}" "still running 30 s after SIGTERM (killed)" "${logs[$i]}"
			continue
		fi
		wait "${pids[$i]}" 2>/dev/null
		rc=$?
		if grep -Eq "$SANITIZER_RE" "${logs[$i]}"; then
			fail_with "${names[$i]}" "sanitizer report in the daemon's log" "${logs[$i]}"
		elif [ "$rc" != 0 ]; then
			fail_with "${names[$i]}" "exit status $rc after SIGTERM, expected 0" "${logs[$i]}"
		else
			pass "${names[$i]}"
		fi
	done
}

# Run a miltertest script: $1 socket, $2 script, $3 output file, more -D after.
# Returns miltertest's status.
run_lua() {
	local sock="$1" file="$2" out="$3"
	shift 3
	timeout 60 "$MT" -D "socket=$sock" -D "mtdir=$MTDIR" -D "authserv=$AUTHSERV" "$@" \
		-s "$file" >"$out" 2>&1
}

# Expect good.test to read grade A (header-added.lua) through the daemon at $2.
expect_good() {
	local name="$1" sock="$2" log="$3" out="$WORK/${1//\//-}.out"
	if run_lua "$sock" "$MTDIR/header-added.lua" "$out"; then
		pass "$name"
	else
		cat "$log" >>"$out"
		fail_with "$name" "good.test did not read grade A (mx=ok, dmarc=ok)" "$out"
	fi
}

# A script: a message from $domain gets exactly one header for it, whose grade is
# temperror (-D want=temperror) or a letter (-D want=letter).
cat >"$WORK/grade.lua" <<'EOF'
local T = dofile(mtdir .. "/_lib.lua")
local conn = T.connect()
local h = T.send(conn, {
	from = "<bounce@" .. domain .. ">",
	headers = { { "From", "<sender@" .. domain .. ">" }, { "Subject", "memory" } },
})
T.expect_domains(h, domain)
if want == "temperror" then
	T.expect_header(h[1], domain, { grade = "temperror" })
else
	T.check(h[1].grade ~= nil and h[1].grade:match("^[A-F]$") ~= nil, "%s: grade %s in %q",
	    domain, tostring(h[1].grade), h[1].text)
end
mt.disconnect(conn)
EOF

# ---- (a) restart warm from StateDirectory ----
mkdir "$WORK/state" "$WORK/empty"
S1="inet:$(free_port)@127.0.0.1"
write_conf "$WORK/a1.conf" "$S1" "$LIVE" "StateDirectory $WORK/state"
if start_milter "$WORK/a1.conf" "$WORK/a1.log"; then
	expect_good "restart/first-run-evaluates" "$S1" "$WORK/a1.log"
	stop_milters "restart/first-run-stops" "$MPID" "$WORK/a1.log"
	if ls "$WORK/state"/*.mdb >/dev/null 2>&1; then
		pass "restart/state-directory-holds-lmdb"
	else
		fail "restart/state-directory-holds-lmdb" "no LMDB file in $WORK/state"
	fi
	S2="inet:$(free_port)@127.0.0.1"
	write_conf "$WORK/a2.conf" "$S2" "$DEAD" "StateDirectory $WORK/state"
	if start_milter "$WORK/a2.conf" "$WORK/a2.log"; then
		A2="$MPID"
		expect_good "restart/dead-resolver-served-from-memory" "$S2" "$WORK/a2.log"
		# Control: the same daemon on an empty directory knows nothing.
		S3="inet:$(free_port)@127.0.0.1"
		write_conf "$WORK/a3.conf" "$S3" "$DEAD" "StateDirectory $WORK/empty"
		if start_milter "$WORK/a3.conf" "$WORK/a3.log"; then
			if run_lua "$S3" "$WORK/grade.lua" "$WORK/a3.out" -D domain=good.test \
				-D want=temperror; then
				pass "restart/control-empty-directory-reads-temperror"
			else
				fail_with "restart/control-empty-directory-reads-temperror" \
					"good.test was not temperror without memory" "$WORK/a3.out"
			fi
			stop_milters "restart/second-run-stops" "$A2" "$WORK/a2.log" \
				"restart/control-stops" "$MPID" "$WORK/a3.log"
		else
			fail_with "restart/control-start" "did not start" "$WORK/a3.log"
			stop_milters "restart/second-run-stops" "$A2" "$WORK/a2.log"
		fi
	else
		fail_with "restart/second-run-start" "did not start" "$WORK/a2.log"
	fi
else
	fail_with "restart/first-run-start" "did not start" "$WORK/a1.log"
fi

# ---- (b) fleet on one redis-server, (c) Redis killed mid-run ----
if redis_start; then
	R="127.0.0.1:$REDIS_PORT"
	F1="inet:$(free_port)@127.0.0.1"
	F2="inet:$(free_port)@127.0.0.1"
	# RedisTimeout 1000: a call slowed by a loaded machine must not start an outage.
	write_conf "$WORK/b1.conf" "$F1" "$LIVE" "StateDirectory none" "Redis $R" \
		"RedisTimeout 1000"
	write_conf "$WORK/b2.conf" "$F2" "$DEAD" "StateDirectory none" "Redis $R" \
		"RedisTimeout 1000"
	if start_milter "$WORK/b1.conf" "$WORK/b1.log" && B1="$MPID" &&
		start_milter "$WORK/b2.conf" "$WORK/b2.log"; then
		B2="$MPID"
		expect_good "fleet/first-evaluates" "$F1" "$WORK/b1.log"
		expect_good "fleet/second-dead-resolver-served-from-redis" "$F2" "$WORK/b2.log"
		# (c) Redis dies: what the daemon holds still serves, the rest is temperror.
		kill -KILL "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
		REDIS_PID=""
		expect_good "redis-killed/cached-domain-still-served" "$F2" "$WORK/b2.log"
		if run_lua "$F2" "$WORK/grade.lua" "$WORK/c.out" -D domain=unknown.test \
			-D want=temperror; then
			pass "redis-killed/unknown-domain-reads-temperror"
		else
			fail_with "redis-killed/unknown-domain-reads-temperror" "no temperror header" \
				"$WORK/c.out"
		fi
		# Redis comes back on the same port: the daemons reconnect (with backoff) and
		# share again. The first evaluates a domain the second has never seen; the
		# second, whose resolver is dead, then serves it from Redis. Bounded retries:
		# the second's reconnection waits for its backoff.
		"$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
			--save "" --appendonly no --daemonize no --protected-mode yes \
			--logfile "$REDIS_DIR/redis2.log" >/dev/null 2>&1 &
		REDIS_PID=$!
		for _ in $(seq 1 100); do
			_redis_ready "$REDIS_PORT" && break
			sleep 0.1
		done
		recovered=no
		for _ in $(seq 1 30); do
			if run_lua "$F1" "$WORK/grade.lua" "$WORK/r1.out" \
				-D domain=mx-single.test -D want=letter &&
				run_lua "$F2" "$WORK/grade.lua" "$WORK/r2.out" \
				-D domain=mx-single.test -D want=letter
			then
				recovered=yes
				break
			fi
			sleep 1
		done
		if [ "$recovered" = yes ]; then
			pass "redis-back/second-serves-what-the-first-evaluated"
		else
			cat "$WORK/b2.log" >>"$WORK/r2.out"
			fail_with "redis-back/second-serves-what-the-first-evaluated" \
				"mx-single.test still temperror on the second daemon after 30 tries" \
				"$WORK/r2.out"
		fi
		if grep -q "Redis 127.0.0.1:$REDIS_PORT answers again after" "$WORK/b2.log"; then
			pass "redis-back/recovery-logged"
		else
			fail_with "redis-back/recovery-logged" "no recovery line in the log" "$WORK/b2.log"
		fi
		stop_milters "fleet/first-stops" "$B1" "$WORK/b1.log" \
			"redis-killed/second-stops-cleanly" "$B2" "$WORK/b2.log"
	else
		fail_with "fleet/start" "a daemon did not start" "$WORK/b2.log"
	fi
	redis_stop
else
	fail "fleet/redis" "redis-server did not start"
fi

# ---- (e) learned selectors across a fleet ----
# A script sending the message file $msgfile (headers as they are, folded values kept,
# then the body, CRLF) and checking $domain's X-Domain-Posture reads dkim=$dkim.
cat >"$WORK/file.lua" <<'EOF'
local T = dofile(mtdir .. "/_lib.lua")
local f = assert(io.open(msgfile, "rb"))
local data = f:read("a"):gsub("\r\n", "\n")
f:close()
local head, body = data:match("^(.-)\n\n(.*)$")
local conn = T.connect()
T.ok(mt.mailfrom(conn, "<a@" .. domain .. ">"), "mt.mailfrom")
T.ok(mt.rcptto(conn, "<rcpt@example.com>"), "mt.rcptto")
local fields = {}
for line in (head .. "\n"):gmatch("(.-)\n") do
	if line:match("^[ \t]") then
		fields[#fields][2] = fields[#fields][2] .. "\r\n" .. line
	else
		local n, v = line:match("^([^:]+):(.*)$")
		fields[#fields + 1] = { n, v }
	end
end
for _, h in ipairs(fields) do
	T.ok(mt.header(conn, h[1], h[2]), "mt.header " .. h[1])
end
T.ok(mt.bodystring(conn, (body:gsub("\n", "\r\n"))), "mt.bodystring")
T.ok(mt.eom(conn), "mt.eom")
T.check(mt.getreply(conn) == SMFIR_CONTINUE, "end of message: not continue")
local h = T.inserted(conn)
T.expect_domains(h, domain)
T.expect_header(h[1], domain, { dkim = dkim })
mt.disconnect(conn)
EOF
# expect_file NAME SOCK MSG DOMAIN DKIM-WORD LOG
expect_file() {
	local out="$WORK/${1//\//-}.out"
	if run_lua "$2" "$WORK/file.lua" "$out" -D "msgfile=$WORK/vf/msg/$3.eml" \
		-D "domain=$4" -D "dkim=$5"; then
		pass "$1"
	else
		cat "$6" >>"$out"
		fail_with "$1" "$4 did not read dkim=$5" "$out"
	fi
}
if redis_start; then
	R="127.0.0.1:$REDIS_PORT"
	E1="inet:$(free_port)@127.0.0.1"
	E2="inet:$(free_port)@127.0.0.1"
	# A generous RedisTimeout: on a loaded machine (sanitizers, parallel tests) a
	# slower call would start an outage and its backoff, and nothing would be shared.
	write_conf "$WORK/e1.conf" "$E1" "$LIVE" "StateDirectory none" "Redis $R" \
		"RedisTimeout 2000"
	write_conf "$WORK/e2.conf" "$E2" "$LIVE" "StateDirectory none" "Redis $R" \
		"RedisTimeout 2000"
	if start_milter "$WORK/e1.conf" "$WORK/e1.log" && E1P="$MPID" &&
		start_milter "$WORK/e2.conf" "$WORK/e2.log"; then
		E2P="$MPID"
		expect_file "selectors/verified-counts-in-its-own-header" "$E1" learn-signed \
			learn.test ok "$WORK/e1.log"
		expect_file "selectors/forged-teaches-nothing" "$E1" learn-forged-signed \
			learn-forged.test unknown "$WORK/e1.log"
		# The learn job and the snapshot's write run after the reply: wait for them.
		if ! redis_wait_key "pm:2:sel:learn.test" ||
			! redis_wait_key "pm:2:posture:learn.test"; then
			fail_with "selectors/first-host-wrote-to-redis" \
				"no pm:2:sel:learn.test or posture key (the first daemon's log:)" \
				"$WORK/e1.log"
		elif redis_cmd EXISTS "pm:2:sel:learn-forged.test" && [ "$REPLY" != ":0" ]; then
			fail "selectors/forged-not-noted" "pm:2:sel:learn-forged.test: $REPLY"
		elif redis_del "pm:2:posture:learn.test" &&
			redis_del "pm:2:posture:learn-forged.test"; then
			expect_file "selectors/second-host-uses-the-shared-selector" "$E2" \
				learn-plain learn.test ok "$WORK/e2.log"
			expect_file "selectors/second-host-control-forged" "$E2" \
				learn-forged-plain learn-forged.test unknown "$WORK/e2.log"
		else
			fail "selectors/redis-del" "DEL of the stored snapshots failed"
		fi
		stop_milters "selectors/first-stops" "$E1P" "$WORK/e1.log" \
			"selectors/second-stops" "$E2P" "$WORK/e2.log"
	else
		fail_with "selectors/start" "a daemon did not start" "$WORK/e2.log"
	fi
	redis_stop
else
	fail "selectors/redis" "redis-server did not start"
fi

# ---- (f) change tracking through the daemon ----
# track.test is evaluated by a daemon with StateDirectory (its history written), the
# daemon stops; the zone loses its SPF record and DMARC goes from p=reject to p=none
# (NSD reloaded); a daemon on the same directory, started once the stored snapshot has
# expired (CacheMaxTTL 1), evaluates again: the header's spf and dmarc comments carry
# POSTURE_WEAKENED, and the log has RECORD_CHANGED for both records with the queue id
# of the message that revealed them. Control: a third daemon, after the next expiry,
# raises neither (the new values are known now).
cat >"$WORK/track.lua" <<'EOF'
local T = dofile(mtdir .. "/_lib.lua")
local conn = T.connect()
local h = T.send(conn, {
	from = "<bounce@track.test>",
	headers = { { "From", "<sender@track.test>" }, { "Subject", "track" } },
	eom_macros = { i = qid },
})
T.expect_domains(h, "track.test")
for _, fam in ipairs({ "spf", "dmarc" }) do
	local f = h[1].fam[fam]
	T.check(f ~= nil, "no %s= in %q", fam, h[1].text)
	local has = f.comment:find("POSTURE_WEAKENED", 1, true) ~= nil
	T.check(has == (weakened == "yes"), "%s: POSTURE_WEAKENED %s in %q", fam,
	    has and "present" or "absent", h[1].text)
end
mt.disconnect(conn)
EOF
# track_run NAME QID WEAKENED(yes|no): a daemon on $WORK/track-state evaluates track.test.
track_run() {
	local name="$1" qid="$2" weakened="$3" sock log="$WORK/track-$2.log"
	sock="inet:$(free_port)@127.0.0.1"
	write_conf "$WORK/track-$qid.conf" "$sock" "$LIVE" "StateDirectory $WORK/track-state" \
		"CacheMinTTL 0" "CacheMaxTTL 1"
	if ! start_milter "$WORK/track-$qid.conf" "$log"; then
		fail_with "$name" "the daemon did not start" "$log"
		return 1
	fi
	if run_lua "$sock" "$WORK/track.lua" "$WORK/track-$qid.out" -D "qid=$qid" \
		-D "weakened=$weakened"; then
		pass "$name"
	else
		cat "$log" >>"$WORK/track-$qid.out"
		fail_with "$name" "the header is not as expected" "$WORK/track-$qid.out"
	fi
	stop_milters "$name-stops" "$MPID" "$log"
}
mkdir "$WORK/track-state"
track_run "track/first-evaluation" TRACK1 no
sed -i -e '/v=spf1/d' -e 's/p=reject/p=none/' -e 's/2026010101/2026010102/' \
	"$ZONES/track.test.zone"
kill -HUP "$NSD_PID"
reloaded=no
for _ in $(seq 1 100); do
	# The apex TXT (the SPF record) is gone once the new zone is served.
	case "$(nsd_query track.test TXT)" in *"rcode=NOERROR"*" an=0"*) reloaded=yes; break ;; esac
	sleep 0.1
done
if [ "$reloaded" = yes ]; then
	sleep 2		# the stored snapshot's lifetime (CacheMaxTTL 1) runs out
	track_run "track/weakened-in-the-header" TRACK2 yes
	for rec in "SPF record at track.test" "DMARC record at _dmarc.track.test"; do
		if grep -q "TRACK2: track.test: RECORD_CHANGED info: $rec changed since" \
			"$WORK/track-TRACK2.log"; then
			pass "track/logged-with-queue-id: $rec"
		else
			fail_with "track/logged-with-queue-id: $rec" "no RECORD_CHANGED line" \
				"$WORK/track-TRACK2.log"
		fi
	done
	sleep 2
	track_run "track/unchanged-raises-nothing" TRACK3 no
	if grep -q "RECORD_CHANGED" "$WORK/track-TRACK3.log"; then
		fail_with "track/unchanged-logs-no-change" "RECORD_CHANGED again" \
			"$WORK/track-TRACK3.log"
	else
		pass "track/unchanged-logs-no-change"
	fi
else
	fail "track/zone-reloaded" "NSD still answers the old track.test"
fi

# ---- (d) a named StateDirectory that does not exist ----
write_conf "$WORK/d.conf" "inet:$(free_port)@127.0.0.1" "$LIVE" \
	"StateDirectory $WORK/no-such-dir"
if out="$("$PM" -n -c "$WORK/d.conf" 2>&1)"; then
	fail "config/missing-state-directory" "exit 0: $out"
elif [[ "$out" == *"StateDirectory $WORK/no-such-dir"* ]]; then
	pass "config/missing-state-directory"
else
	fail "config/missing-state-directory" "the message does not name the key: $out"
fi

finish
