#!/bin/bash
# bench_postfix.sh - what a milter costs Postfix: throughput and latency, with and without.
#
#   tests/bench/bench_postfix.sh [-b BUILDDIR] [-P POSTURE-MILTER] [-n MESSAGES]
#                                [-c SESSIONS] [-l SIZE] [-r ROUNDS] [-L LATENCY_MESSAGES]
#                                [-o ROW,ROW...]
#
# BUILDDIR (default: $top_builddir or .) holds null-milter and posture-milter; -P names
# another posture-milter binary.
#
# Not a test: it prints figures (see BENCHMARKS.md). Run it as root on an optimized build
# (no sanitizers), e.g. `mkdir /tmp/b-opt && cd /tmp/b-opt && /work/main/configure
# CFLAGS=-O2 && make null-milter posture-milter && tests/bench/bench_postfix.sh -b .`.
#
# Set-up: a private NSD (tests/integration/nsd.sh) serving 100 generated domains
# bench-0.test .. bench-99.test (2 MX hosts with addresses, SPF, DMARC p=reject), and a
# private Postfix on loopback relaying to smtp-sink, which keeps nothing
# (tests/integration/postfix.sh). milter_default_action is tempfail here, so a milter
# that fails shows up as refused mail instead of a fast row.
#
# Rows (-o picks some; default all, the posture-milter rows only when it is built):
#   none             no milter
#   null-inet-stock  the null milter (milter/null_milter.c) over TCP, stock libmilter
#   null-inet        the null milter over TCP with prompt ACKs (milter/tcp_ack.c)
#   null-unix        the null milter over a unix socket
#   pm-warm-unix     posture-milter, unix socket, every domain already evaluated
#   pm-cold-unix     posture-milter, unix socket, started afresh just before the run
#   pm-warm-inet, pm-cold-inet   the same over TCP
# The rows run in turn, ROUNDS times (alternating, so that drift hits every row alike).
#
# One run: SESSIONS (default 10) smtp-source streams in parallel (xargs -P), one stream per
# sender domain, MESSAGES (default 2000) in all, MESSAGES/100 per domain, one SMTP
# connection per message (smtp-source without -d), SIZE (default 1000) bytes of body:
#   smtp-source -l SIZE -m PER -s 1 -f sender@bench-N.test -t rcpt@x.test 127.0.0.1:PORT
# Throughput is messages accepted per second of wall time (delivery to the sink runs
# alongside, as it does in production). Then the 1-session latency: LATENCY_MESSAGES
# (default 200) messages one after the other from python3 smtplib, a new connection each,
# senders cycling through the 100 domains; the median and mean per message. For the cold
# rows the milter is started afresh again before the latency run, so each of its first
# 100 messages is a domain it has not seen.
# Milter CPU: utime+stime of the milter process (/proc/PID/stat) over the run, per
# message; RSS: VmRSS after the run. Host busy: share of all CPUs not idle during the run.
# Every message must be delivered (counted in the Postfix log) or the run is marked bad.
#
# Prints one line per run, then a table of medians over the rounds and the ratios:
# each row against "none" of the same round, and posture-milter against the null milter
# of the same socket kind (inet: the prompt-ACK one) of the same round.
#
# What can go wrong: not root, or Postfix/nsd/python3 missing (exit 1, saying which); a
# milter that does not start or refuses mail (its run is marked FAILED, its log tail
# printed; the other rows go on).
set -u

top_srcdir="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${top_builddir:-.}"
MESSAGES=2000
SESSIONS=10
SIZE=1000
ROUNDS=3
LAT_MESSAGES=200
ROWS=""
DOMAINS=100

usage() {
	sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

PM=""
while getopts "b:P:n:c:l:r:L:o:h" opt; do
	case "$opt" in
	b) BUILD="$OPTARG" ;;
	P) PM="$OPTARG" ;;
	n) MESSAGES="$OPTARG" ;;
	c) SESSIONS="$OPTARG" ;;
	l) SIZE="$OPTARG" ;;
	r) ROUNDS="$OPTARG" ;;
	L) LAT_MESSAGES="$OPTARG" ;;
	o) ROWS="$(echo "$OPTARG" | tr ',' ' ')" ;;
	*) usage ;;
	esac
done
BUILD="$(cd "$BUILD" && pwd)"
NULLM="$BUILD/null-milter"
PM="${PM:-$BUILD/posture-milter}"
PER=$(((MESSAGES + DOMAINS - 1) / DOMAINS))
MESSAGES=$((PER * DOMAINS))

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/postfix.sh
. "$top_srcdir/tests/integration/postfix.sh"

missing=""
pf_find_binaries || missing="$PF_MISSING"
nsd_find_binary || missing="${missing:+$missing, }nsd"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
[ "$(id -u)" = 0 ] || missing="${missing:+$missing, }root (a private Postfix needs it)"
[ -x "$NULLM" ] || missing="${missing:+$missing, }$NULLM (make null-milter)"
if [ -n "$missing" ]; then
	echo "bench_postfix.sh: missing $missing" >&2
	exit 1
fi
if [ -z "$ROWS" ]; then
	ROWS="none null-inet-stock null-inet null-unix"
	if [ -x "$PM" ]; then
		ROWS="$ROWS pm-warm-unix pm-cold-unix pm-warm-inet pm-cold-inet"
	else
		echo "# $PM is not built: the posture-milter rows are left out"
	fi
fi
if grep -q 'fsanitize' "$BUILD/Makefile" 2>/dev/null; then
	echo "# WARNING: $BUILD is a sanitizer build: the milter figures are not representative"
fi

# ---- the zones ----

ZDIR="$(mktemp -d "${TMPDIR:-/tmp}/posture-bench-zones.XXXXXX")"
cp "$top_srcdir/tests/fixtures/zones/test.zone" "$ZDIR/"
for i in $(seq 0 $((DOMAINS - 1))); do
	cat >"$ZDIR/bench-$i.test.zone" <<EOF
\$ORIGIN bench-$i.test.
\$TTL 3600
@	IN SOA	ns.test. hostmaster.test. ( 2026010101 3600 900 604800 300 )
	IN NS	ns.test.
@	IN MX	10 mx1.bench-$i.test.
@	IN MX	20 mx2.bench-$i.test.
mx1	IN A	11.1.$i.1
mx2	IN A	11.1.$i.2
@	IN TXT	"v=spf1 mx -all"
_dmarc	IN TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@bench-$i.test"
EOF
done
nsd_start "$ZDIR" >/dev/null || { echo "bench_postfix.sh: NSD did not start" >&2; exit 1; }
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$ZDIR"'

# One smtpd listener per row, each with its own milter socket (no reloads: postfix.sh).
declare -A SOCK_LM=() SOCK_PF=()
listeners=()
for row in $ROWS; do
	case "$row" in
	none) continue ;;
	*-unix) kind=unix ;;
	*) kind=inet ;;
	esac
	pf_milter_socket "$kind" "$row" || exit 1
	SOCK_LM[$row]="$PF_MILTER_LIBMILTER"
	SOCK_PF[$row]="$PF_MILTER_POSTFIX"
	listeners+=("$row=$PF_MILTER_POSTFIX")
done
PF_SINK_DUMP=0
PF_MAIN_CF_EXTRA=("milter_default_action = tempfail")
pf_start "${listeners[@]}" || { echo "bench_postfix.sh: Postfix did not start" >&2; exit 1; }
MAIL_OWNER="$("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)"
WORK="$PF_DIR/bench"
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

cat >"$WORK/latency.py" <<'PYEOF'
"""latency.py PORT COUNT DOMAINS: COUNT messages in one session at a time; median, mean ms."""
import smtplib, statistics, sys, time
port, count, domains = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = "x" * 1000
times = []
for i in range(count):
    d = "bench-%d.test" % (i % domains)
    msg = ("From: <sender@%s>\r\nTo: <rcpt@x.test>\r\nSubject: latency %d\r\n\r\n%s\r\n"
           % (d, i, body))
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.sendmail("sender@" + d, ["rcpt@x.test"], msg)
    times.append((time.perf_counter() - t0) * 1000)
print("%.2f %.2f" % (statistics.median(times), statistics.mean(times)))
PYEOF

# ---- measuring ----

CLK_TCK="$(getconf CLK_TCK)"

# utime+stime of PID in clock ticks (0 without a pid).
cpu_ticks() {
	[ -n "$1" ] || { echo 0; return; }
	# Fields 14 and 15 after the ")" that ends the command name.
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0
}

# VmRSS of PID in kB.
rss_kb() {
	[ -n "$1" ] || { echo 0; return; }
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# "busy total" jiffies of the whole host.
host_ticks() {
	awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat
}

# The load on PORT: SESSIONS parallel smtp-source streams, one per domain, PER messages each.
drive() {
	local port="$1" per="$2"
	seq 0 $((DOMAINS - 1)) | xargs -P "$SESSIONS" -I{} \
		"$PF_SOURCE_BIN" -l "$SIZE" -m "$per" -s 1 -f "sender@bench-{}.test" \
		-t rcpt@x.test "127.0.0.1:$port" >>"$WORK/drive.out" 2>&1
}

MILTER_PID=""
PORT=""

# Start the milter of ROW; sets PORT (its smtpd listener); 1 when it does not come up.
milter_up() {
	local row="$1" spec
	MILTER_PID=""
	if [ "$row" = none ]; then
		PORT="$PF_PORT"
		return 0
	fi
	PORT="$(pf_port "$row")" || return 1
	spec="${SOCK_LM[$row]}"
	case "$row" in
	null-inet-stock) pf_spawn "$WORK/$row.log" "$NULLM" -s -p "$spec" ;;
	null-*) pf_spawn "$WORK/$row.log" "$NULLM" -p "$spec" ;;
	pm-*)
		# UserID: the unix socket (0660) must belong to the user smtpd runs as.
		printf 'Socket %s\nResolver 127.0.0.1:%s\nAuthservID bench.local\nEvaluationTimeout 5\nUserID %s\n' \
			"$spec" "$NSD_PORT" "$MAIL_OWNER" >"$WORK/$row.conf"
		pf_spawn "$WORK/$row.log" "$PM" -f -c "$WORK/$row.conf"
		;;
	esac
	MILTER_PID="$PF_SPAWN_PID"
	if ! pf_wait_milter "${SOCK_PF[$row]}" 15; then
		echo "# $row: the milter did not listen on ${SOCK_LM[$row]}" >&2
		tail -n 10 "$WORK/$row.log" >&2
		return 1
	fi
}

# Stop the milter.
milter_down() {
	if [ -n "$MILTER_PID" ]; then
		pf_kill "$MILTER_PID"
		MILTER_PID=""
	fi
}

# One run of ROW in ROUND: throughput, then latency; appends a line to RESULTS.
run_row() {
	local row="$1" round="$2" sent0 c0 c1 h0 h1 t0 t1 secs rate cpu rss busy lat ok=ok
	sent0="$(pf_sent_count)"
	milter_up "$row" || { milter_down; printf '%s\t%s\tFAILED\n' "$round" "$row" >>"$RESULTS"; return; }
	case "$row" in
	pm-warm-*)
		drive "$PORT" 1 || ok=FAILED	# every domain evaluated once
		pf_wait_idle 120
		;;
	esac
	: >"$WORK/drive.out"
	c0="$(cpu_ticks "$MILTER_PID")"
	read -r -a h0 < <(host_ticks)
	t0=$(date +%s%N)
	drive "$PORT" "$PER" || ok=FAILED
	t1=$(date +%s%N)
	read -r -a h1 < <(host_ticks)
	c1="$(cpu_ticks "$MILTER_PID")"
	rss="$(rss_kb "$MILTER_PID")"
	if [ "$ok" != ok ]; then
		echo "# $row: smtp-source reported errors:" >&2
		grep -v '^$' "$WORK/drive.out" | sort | uniq -c | sort -rn | head -n 5 >&2
	fi
	if [ -n "$MILTER_PID" ] && ! kill -0 "$MILTER_PID" 2>/dev/null; then
		echo "# $row: the milter died" >&2
		tail -n 10 "$WORK/$row.log" >&2
		ok=FAILED
	fi
	secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"
	rate="$(awk -v n="$MESSAGES" -v s="$secs" 'BEGIN {printf "%.1f", n / s}')"
	cpu="$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$MESSAGES" \
		'BEGIN {printf "%.3f", d * 1000 / hz / n}')"
	busy="$(awk -v b=$((h1[0] - h0[0])) -v t=$((h1[1] - h0[1])) \
		'BEGIN {printf "%.0f", t ? 100 * b / t : 0}')"
	pf_wait_idle 120 || ok=FAILED
	case "$row" in
	pm-cold-*)
		# A fresh milter for the latency run, so its first messages are cold too.
		milter_down
		milter_up "$row" || ok=FAILED
		;;
	esac
	lat="$(python3 "$WORK/latency.py" "$PORT" "$LAT_MESSAGES" "$DOMAINS" 2>>"$WORK/drive.out")" \
		|| { lat="0 0"; ok=FAILED; }
	pf_wait_idle 120 || ok=FAILED
	milter_down
	case "$row" in
	pm-warm-*) sent0=$((sent0 + DOMAINS)) ;;
	esac
	if [ $(($(pf_sent_count) - sent0)) -ne $((MESSAGES + LAT_MESSAGES)) ]; then
		echo "# $row: $(($(pf_sent_count) - sent0)) delivered, $((MESSAGES + LAT_MESSAGES)) sent" >&2
		ok=FAILED
	fi
	if [ -f "$WORK/$row.log" ] && grep -qE 'Sanitizer|runtime error' "$WORK/$row.log"; then
		echo "# $row: sanitizer report in the milter's log" >&2
		ok=FAILED
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$row" "$ok" "$rate" "$secs" \
		"$cpu" "$rss" "$busy" "${lat% *}" "${lat#* }" >>"$RESULTS"
	printf '# round %s %-16s %s %8s msg/s (%s s) cpu %s ms/msg rss %s kB host %s%% latency median %s mean %s ms\n' \
		"$round" "$row" "$ok" "$rate" "$secs" "$cpu" "$rss" "$busy" "${lat% *}" "${lat#* }"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), Postfix $("$PF_POSTCONF" -c "$PF_CONF" -h mail_version)"
echo "# $MESSAGES messages of $SIZE bytes per run, $SESSIONS sessions, $DOMAINS sender domains, $ROUNDS rounds, latency over $LAT_MESSAGES messages"
# tcp_ack.c works only if the program exports accept() and read() to libmilter.
for bin in "$NULLM" "$PM"; do
	[ -x "$bin" ] || continue
	if nm -D --defined-only "$bin" 2>/dev/null | grep -qE ' T (accept|read)$'; then
		echo "# $bin: accept/read interposed (prompt ACKs on TCP)"
	else
		echo "# $bin: accept/read NOT exported: libmilter's TCP behaviour is stock"
	fi
done
for round in $(seq 1 "$ROUNDS"); do
	for row in $ROWS; do
		run_row "$row" "$round"
	done
done

python3 - "$RESULTS" <<'PYEOF'
import statistics, sys
runs = {}
order = []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    rnd, row, ok = f[0], f[1], f[2]
    if row not in order:
        order.append(row)
    if ok != "ok":
        runs.setdefault(row, {})[rnd] = None
        continue
    runs.setdefault(row, {})[rnd] = dict(rate=float(f[3]), cpu=float(f[5]), rss=int(f[6]),
                                         busy=int(f[7]), lat=float(f[8]), latmean=float(f[9]))

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def col(row, key):
    return med([r[key] if r else None for r in runs.get(row, {}).values()])

def ratio(row, base):
    rs = []
    for rnd, r in runs.get(row, {}).items():
        b = runs.get(base, {}).get(rnd)
        if r and b and b["rate"]:
            rs.append(r["rate"] / b["rate"])
    return med(rs)

def peer(row):
    if row.startswith("pm-"):
        return "null-unix" if row.endswith("-unix") else "null-inet"
    return None

def fmt(v, spec):
    return "–" if v is None else format(v, spec)

print()
print("| row | msg/s | x none | x null (same socket) | latency ms median / mean | added ms (median) | milter CPU ms/msg | milter RSS MB | host busy % | failed runs |")
print("|---|---|---|---|---|---|---|---|---|---|")
none_lat = col("none", "lat")
for row in order:
    failed = sum(1 for r in runs[row].values() if r is None)
    lat = col(row, "lat")
    added = None if (lat is None or none_lat is None or row == "none") else lat - none_lat
    rss = col(row, "rss")
    p = peer(row)
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
        row, fmt(col(row, "rate"), ".0f"), fmt(ratio(row, "none"), ".2f"),
        fmt(ratio(row, p) if p else None, ".2f"),
        fmt(lat, ".2f") + " / " + fmt(col(row, "latmean"), ".2f"), fmt(added, "+.2f"),
        "–" if row == "none" else fmt(col(row, "cpu"), ".3f"),
        "–" if row == "none" else fmt(rss / 1024 if rss else None, ".1f"),
        fmt(col(row, "busy"), ".0f"), failed))
PYEOF
