#!/bin/bash
# bench_postfix.sh - what a milter costs Postfix: throughput and latency, with and without,
# posture-milter verifying (SPF, DKIM, DMARC) every message from varied clients and senders.
#
#   tests/bench/bench_postfix.sh [-b BUILDDIR] [-P POSTURE-MILTER] [-n MESSAGES]
#                                [-c SESSIONS] [-l SIZE] [-r ROUNDS] [-L LATENCY_MESSAGES]
#                                [-A SOURCE_ADDRESSES] [-o ROW,ROW...]
#
# BUILDDIR (default: $top_builddir or .) holds null-milter and posture-milter, and the
# load generator smtp_load and the signer dkim_sign_tool (built here with
# `make -C BUILDDIR smtp_load dkim_sign_tool` when missing); -P names another
# posture-milter binary.
#
# Not a test: it prints figures (see BENCHMARKS.md). Run it as root on an optimized build
# (no sanitizers), e.g. `mkdir /tmp/b-opt && cd /tmp/b-opt && /work/main/configure
# CFLAGS="-O2 -g" && make null-milter posture-milter smtp_load dkim_sign_tool &&
# tests/bench/bench_postfix.sh -b .`.
#
# Set-up: a private NSD (tests/integration/nsd.sh) serving 100 generated domains
# bench-0.test .. bench-99.test, each with 2 MX hosts with addresses, SPF
# "v=spf1 ip4:127.0.1.0/27 mx -all", a DKIM key (2 RSA-2048 keys made with openssl now,
# selectors k0 and k1, by domain parity) and DMARC p=reject (p=none for bench-N with N mod
# 10 = 0, p=quarantine for N mod 10 = 1); a private Postfix on loopback relaying to
# smtp-sink, which keeps nothing (tests/integration/postfix.sh). milter_default_action is
# tempfail here, so a milter that fails shows up as refused mail instead of a fast row.
# The messages are made once: 2 per domain, From and MAIL FROM sender@bench-N.test, SIZE
# (default 1000) bytes of body, DKIM-signed (relaxed/relaxed, rsa-sha256) by dkim_sign_tool.
# They are sent from SOURCE_ADDRESSES (default 50) client addresses 127.0.1.1 .. (all of
# 127/8 is on lo on Linux), so SPF passes for 127.0.1.1 .. 127.0.1.31 (62 % of the
# messages with 50) and fails for the others after the mx lookups; DKIM and with it DMARC
# pass on every message.
#
# Rows (-o picks some; default all, the posture-milter rows only when it is built):
#   none             no milter
#   null-inet-stock  the null milter (tests/bench/null_milter.c) over TCP, stock libmilter
#   null-inet        the null milter over TCP with prompt ACKs (milter/tcp_ack.c)
#   null-unix        the null milter over a unix socket
#   pm-warm-unix     posture-milter, unix socket, every domain already evaluated
#   pm-cold-unix     posture-milter, unix socket, started afresh just before the run
#   pm-warm-inet, pm-cold-inet   the same over TCP
#   pm-warm-memory-unix   pm-warm-unix with posture memory: StateDirectory (LMDB) and
#                    Redis (a private redis-server, tests/integration/redis.sh); what the
#                    memory costs a warm milter, whose lookups all hit its own cache
#   pm-restart-memory-unix   the same milter warmed, then restarted on the same
#                    memory: a new process (or a second MX host) served from LMDB and
#                    Redis instead of evaluating (compare pm-cold-unix)
#   pm-warm-metrics-unix  pm-warm-unix with MetricsSocket on a free loopback port (every
#                    counter counted; nothing scrapes during the run): what the
#                    metrics cost the warm path
# For the memory rows it also prints Redis commands per message (INFO commandstats)
# and the LMDB file's size per domain; for every pm row, the evaluations per message
# (summary lines saying "evaluated" or "rechecked").
# posture-milter runs with its defaults besides Socket, Resolver, AuthservID, UserID and
# EvaluationTimeout 5: AuthResults yes, i.e. SPF, DKIM and DMARC of every message.
# The rows run in turn, ROUNDS times (alternating, so that drift hits every row alike).
#
# One run, the same load for every row: tests/bench/smtp_load (SESSIONS threads, default
# 10; one SMTP connection per message; message i is file i mod 200 from source address
# i mod SOURCE_ADDRESSES, shifted by one every lcm(200, SOURCE_ADDRESSES) messages),
# MESSAGES (default 2000) in all. Throughput is messages accepted per second of wall time
# (delivery to the sink runs alongside, as it does in production). Then the 1-session
# latency: LATENCY_MESSAGES (default 200) messages one after the other (smtp_load -c 1),
# a new connection each; the median and mean per message. For the cold rows the milter is
# started afresh again before the latency run, so each of its first 100 messages is a
# domain it has not seen. A warm row first sends one message from each domain.
# Milter CPU: utime+stime of the milter process (/proc/PID/stat) over the run, per
# message; RSS: VmRSS after the run. Host busy: share of all CPUs not idle during the run.
# Every message must be delivered (counted in the Postfix log) or the run is marked bad.
# Verification: for the pm rows, the milter's per-message log lines of the throughput run
# ("posture ... spf=X dkim=Y dmarc=Z", milter/callbacks.c) are counted: how many messages
# were verified, with spf=pass, spf=fail, dkim=pass and dmarc=pass. A pm run that
# verified fewer than MESSAGES messages is marked bad.
#
# Prints one line per run, then a table of medians over the rounds and the ratios:
# each row against "none" of the same round, and posture-milter against the null milter
# of the same socket kind (inet: the prompt-ACK one) of the same round.
#
# What can go wrong: not root, or Postfix/nsd/python3/openssl missing, or smtp_load and
# dkim_sign_tool not buildable (exit 1, saying which); a milter that does not start or
# refuses mail (its run is marked FAILED, its log tail printed; the other rows go on).
set -u

top_srcdir="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${top_builddir:-.}"
MESSAGES=2000
SESSIONS=10
SIZE=1000
ROUNDS=3
LAT_MESSAGES=200
NSRC=50
ROWS=""
DOMAINS=100
PER_DOMAIN=2		# messages made per domain
KEYS=2			# RSA keys; domain N uses key N mod KEYS, selector kK
SRC_FIRST=127.0.1.1
SPF_NET=127.0.1.0/27	# passes for 127.0.1.1 .. 127.0.1.31

usage() {
	sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

PM=""
while getopts "b:P:n:c:l:r:L:A:o:h" opt; do
	case "$opt" in
	b) BUILD="$OPTARG" ;;
	P) PM="$OPTARG" ;;
	n) MESSAGES="$OPTARG" ;;
	c) SESSIONS="$OPTARG" ;;
	l) SIZE="$OPTARG" ;;
	r) ROUNDS="$OPTARG" ;;
	L) LAT_MESSAGES="$OPTARG" ;;
	A) NSRC="$OPTARG" ;;
	o) ROWS="$(echo "$OPTARG" | tr ',' ' ')" ;;
	*) usage ;;
	esac
done
for v in "$MESSAGES" "$SESSIONS" "$SIZE" "$ROUNDS" "$LAT_MESSAGES" "$NSRC"; do
	case "$v" in
	'' | *[!0-9]* | 0) echo "bench_postfix.sh: -n -c -l -r -L -A want positive numbers" >&2; exit 2 ;;
	esac
done
[ "$NSRC" -le 254 ] || { echo "bench_postfix.sh: -A: at most 254 source addresses" >&2; exit 2; }
BUILD="$(cd "$BUILD" && pwd)"
NULLM="$BUILD/null-milter"
PM="${PM:-$BUILD/posture-milter}"
LOAD="$BUILD/smtp_load"
SIGNER="$BUILD/dkim_sign_tool"

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/postfix.sh
. "$top_srcdir/tests/integration/postfix.sh"
# shellcheck source=tests/integration/redis.sh
. "$top_srcdir/tests/integration/redis.sh"

if [ ! -x "$LOAD" ] || [ ! -x "$SIGNER" ]; then
	echo "# building smtp_load and dkim_sign_tool: make -C $BUILD smtp_load dkim_sign_tool"
	make -C "$BUILD" smtp_load dkim_sign_tool >"${TMPDIR:-/tmp}/bench_postfix-make.$$.log" 2>&1 ||
		tail -n 5 "${TMPDIR:-/tmp}/bench_postfix-make.$$.log" >&2
	rm -f "${TMPDIR:-/tmp}/bench_postfix-make.$$.log"
fi
missing=""
pf_find_binaries || missing="$PF_MISSING"
nsd_find_binary || missing="${missing:+$missing, }nsd"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
command -v openssl >/dev/null || missing="${missing:+$missing, }openssl"
[ "$(id -u)" = 0 ] || missing="${missing:+$missing, }root (a private Postfix needs it)"
[ -x "$NULLM" ] || missing="${missing:+$missing, }$NULLM (make null-milter)"
for bin in "$LOAD" "$SIGNER"; do
	[ -x "$bin" ] || missing="${missing:+$missing, }$bin (make -C $BUILD $(basename "$bin"))"
done
if [ -n "$missing" ]; then
	echo "bench_postfix.sh: missing $missing" >&2
	exit 1
fi
if [ -z "$ROWS" ]; then
	ROWS="none null-inet-stock null-inet null-unix"
	if [ -x "$PM" ]; then
		ROWS="$ROWS pm-warm-unix pm-cold-unix pm-warm-inet pm-cold-inet"
		ROWS="$ROWS pm-warm-memory-unix pm-restart-memory-unix"
	else
		echo "# $PM is not built: the posture-milter rows are left out"
	fi
fi
if grep -q 'fsanitize' "$BUILD/Makefile" 2>/dev/null; then
	echo "# WARNING: $BUILD is a sanitizer build: the milter figures are not representative"
fi

# ---- keys, zones and messages ----

ZDIR="$(mktemp -d "${TMPDIR:-/tmp}/posture-bench-zones.XXXXXX")"
KDIR="$ZDIR.keys"
MDIR="$ZDIR.msgs"
mkdir -p "$KDIR" "$MDIR"
chmod 755 "$MDIR"
# shellcheck disable=SC2064 # the names are fixed now
trap "rm -rf '$ZDIR' '$KDIR' '$MDIR'" EXIT

# vf_txt_strings and vf_pubkey: the helpers the verification fixtures use.
# shellcheck source=tests/integration/verify_fixtures.sh
. "$top_srcdir/tests/integration/verify_fixtures.sh"

declare -a KEY_P=()
for k in $(seq 0 $((KEYS - 1))); do
	if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$KDIR/k$k.pem" 2>"$KDIR/err"; then
		echo "bench_postfix.sh: openssl could not make a key: $(head -n 1 "$KDIR/err")" >&2
		exit 1
	fi
	KEY_P[k]="$(vf_pubkey "$KDIR/k$k.pem" rsa)"
done

cp "$top_srcdir/tests/fixtures/zones/test.zone" "$ZDIR/"
for i in $(seq 0 $((DOMAINS - 1))); do
	case $((i % 10)) in
	0) policy=none ;;
	1) policy=quarantine ;;
	*) policy=reject ;;
	esac
	k=$((i % KEYS))
	cat >"$ZDIR/bench-$i.test.zone" <<EOF
\$ORIGIN bench-$i.test.
\$TTL 3600
@	IN SOA	ns.test. hostmaster.test. ( 2026010101 3600 900 604800 300 )
	IN NS	ns.test.
@	IN MX	10 mx1.bench-$i.test.
@	IN MX	20 mx2.bench-$i.test.
mx1	IN A	11.1.$i.1
mx2	IN A	11.1.$i.2
@	IN TXT	"v=spf1 ip4:$SPF_NET mx -all"
k$k._domainkey	IN TXT	( $(vf_txt_strings "v=DKIM1; k=rsa; p=${KEY_P[k]}") )
_dmarc	IN TXT	"v=DMARC1; p=$policy; rua=mailto:dmarc@bench-$i.test"
EOF
done

# The body: SIZE bytes in lines of 72 (LF included) after a first line naming the message.
body() {
	awk -v n="$SIZE" -v first="$1" 'BEGIN {
		line = sprintf("%71s", ""); gsub(/ /, "x", line)
		print first; n -= length(first) + 1
		while (n >= 72) { print line; n -= 72 }
		if (n > 1) print substr(line, 1, n - 1)
	}'
}

# Messages named J-NNN.eml, J major: smtp_load sends files in name order, so the first
# DOMAINS messages come from DOMAINS different domains (the warm-up).
DATE="$(date -R)"
for j in $(seq 0 $((PER_DOMAIN - 1))); do
	for i in $(seq 0 $((DOMAINS - 1))); do
		name="$(printf '%d-%03d' "$j" "$i")"
		d="bench-$i.test"
		{
			printf 'From: Sender %d <sender@%s>\nTo: <rcpt@x.test>\n' "$i" "$d"
			printf 'Subject: bench message %d from %s\nDate: %s\n' "$j" "$d" "$DATE"
			printf 'Message-ID: <%s.bench@%s>\nMIME-Version: 1.0\n' "$name" "$d"
			printf 'Content-Type: text/plain; charset=us-ascii\n\n'
			body "message $j of $d"
		} >"$KDIR/msg.txt"
		if ! "$SIGNER" -k "$KDIR/k$((i % KEYS)).pem" -d "$d" -s "k$((i % KEYS))" \
			"$KDIR/msg.txt" >"$MDIR/$name.eml" 2>"$KDIR/err"; then
			echo "bench_postfix.sh: dkim_sign_tool failed: $(head -n 1 "$KDIR/err")" >&2
			exit 1
		fi
		echo "sender@$d" >"$MDIR/$name.from"
	done
done
FILES=$((DOMAINS * PER_DOMAIN))

nsd_start "$ZDIR" >/dev/null || { echo "bench_postfix.sh: NSD did not start" >&2; exit 1; }
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$ZDIR" "$KDIR" "$MDIR"'

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
case " $ROWS " in
*-memory-*)
	if ! redis_find_binary || ! redis_start; then
		echo "bench_postfix.sh: the memory rows need redis-server (Debian package redis-server)" >&2
		exit 1
	fi
	;;
esac
MAIL_OWNER="$("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)"
WORK="$PF_DIR/bench"
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

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

# The load on PORT: COUNT messages from SESSIONS sessions; smtp_load's result line on
# stdout, its errors in drive.err; 1 when a message failed.
drive() {
	local port="$1" count="$2" sessions="$3"
	"$LOAD" -p "$port" -c "$sessions" -n "$count" -a "$SRC_FIRST" -A "$NSRC" "$MDIR" \
		2>>"$WORK/drive.err"
}

# A field NAME=VALUE of a smtp_load result line.
field() {
	local v="${2#*"$1"=}"
	echo "${v%% *}"
}

MILTER_PID=""
PORT=""
SAMPLE_SHOWN=0

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
		case "$row" in
		*-memory-*)
			mkdir -p "$WORK/state-$row"
			chown "$MAIL_OWNER" "$WORK/state-$row"
			printf 'StateDirectory %s\nRedis 127.0.0.1:%s\n' "$WORK/state-$row" \
				"$REDIS_PORT" >>"$WORK/$row.conf"
			;;
		*) echo "StateDirectory none" >>"$WORK/$row.conf" ;;
		esac
		case "$row" in
		*-metrics-*)
			printf 'MetricsSocket inet:%s@127.0.0.1\n' "$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" \
				>>"$WORK/$row.conf"
			;;
		esac
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

# Size in bytes of FILE (0 when absent).
file_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# The verification results in the milter log LOG after byte OFFSET: "verified spf_pass
# spf_fail dkim_pass dmarc_pass" (counts of per-message "posture ..." lines).
verify_counts() {
	tail -c +$(($2 + 1)) "$1" 2>/dev/null | awk '
		/: posture / && / spf=[a-z]+ dkim=[a-z]+ dmarc=[a-z]+/ {
			n++
			if (/ spf=pass /) sp++
			if (/ spf=fail /) sf++
			if (/ dkim=pass /) dk++
			if (/ dmarc=pass[;,]/) dm++
		}
		END { printf "%d %d %d %d %d\n", n, sp, sf, dk, dm }'
}

# One inline command to the private Redis; its reply lines on stdout (bounded: 2 s).
redis_cmd() {
	{
		exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" &&
		printf '%s\r\n' "$*" >&3 &&
		timeout 2 cat <&3
		exec 3<&- 3>&-
	} 2>/dev/null
}

# Commands the private Redis has run (INFO stats total_commands_processed).
redis_calls() {
	{
		exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" &&
		printf 'INFO stats\r\n' >&3 &&
		timeout 1 cat <&3
		exec 3<&- 3>&-
	} 2>/dev/null | tr -d '\r' | sed -n 's/^total_commands_processed://p'
}

# One run of ROW in ROUND: throughput, then latency; appends a line to RESULTS.
run_row() {
	local row="$1" round="$2" sent0 c0 c1 h0 h1 secs rate cpu rss busy ok=ok out latout
	local lat="0 0" ver="- - - - -" off=0 warm=0
	sent0="$(pf_sent_count)"
	: >"$WORK/drive.err"
	milter_up "$row" || { milter_down; printf '%s\t%s\tFAILED\n' "$round" "$row" >>"$RESULTS"; return; }
	case "$row" in
	*-memory-*)
		# A new round starts from empty memory, like the cold rows from an empty cache.
		milter_down
		rm -rf "$WORK/state-$row"
		redis_cmd FLUSHALL >/dev/null
		milter_up "$row" || ok=FAILED
		;;
	esac
	case "$row" in
	pm-warm-* | pm-restart-*)
		warm="$DOMAINS"	# every domain evaluated once
		drive "$PORT" "$warm" "$SESSIONS" >/dev/null || ok=FAILED
		pf_wait_idle 120
		;;
	esac
	case "$row" in
	pm-restart-*)
		# A new process on the same memory: its cache is empty, LMDB and Redis are not.
		sleep 1		# the last snapshots are written after their messages' replies
		milter_down
		milter_up "$row" || ok=FAILED
		;;
	esac
	case "$row" in
	*-memory-*) redis0="$(redis_calls)" ;;
	esac
	[ -n "$MILTER_PID" ] && off="$(file_size "$WORK/$row.log")"
	c0="$(cpu_ticks "$MILTER_PID")"
	read -r -a h0 < <(host_ticks)
	out="$(drive "$PORT" "$MESSAGES" "$SESSIONS")" || ok=FAILED
	read -r -a h1 < <(host_ticks)
	c1="$(cpu_ticks "$MILTER_PID")"
	rss="$(rss_kb "$MILTER_PID")"
	if [ -n "$MILTER_PID" ] && ! kill -0 "$MILTER_PID" 2>/dev/null; then
		echo "# $row: the milter died" >&2
		tail -n 10 "$WORK/$row.log" >&2
		ok=FAILED
	fi
	case "$row" in
	*-memory-*)
		echo "# $row round $round: Redis commands per message $(awk -v a="$redis0" \
			-v b="$(redis_calls)" -v n="$MESSAGES" 'BEGIN {printf "%.2f", (b - a) / n}'),"\
			"LMDB data.mdb $(du -k --apparent-size "$WORK/state-$row/data.mdb" 2>/dev/null |
			cut -f1) KB apparent, $(du -k "$WORK/state-$row/data.mdb" 2>/dev/null | cut -f1)" \
			"KB allocated, for $DOMAINS domains"
		;;
	esac
	case "$row" in
	pm-*)
		echo "# $row round $round: evaluations per message $(tail -c +$((off + 1)) \
			"$WORK/$row.log" | awk -v n="$MESSAGES" '/: posture / {
				e += gsub(/\((evaluated|rechecked)\)/, "")
			} END { printf "%.3f", e / n }')"
		;;
	esac
	secs="$(awk -v ms="$(field elapsed_ms "$out")" 'BEGIN {printf "%.3f", ms / 1000}')"
	rate="$(field rate "$out")"
	cpu="$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$MESSAGES" \
		'BEGIN {printf "%.3f", d * 1000 / hz / n}')"
	busy="$(awk -v b=$((h1[0] - h0[0])) -v t=$((h1[1] - h0[1])) \
		'BEGIN {printf "%.0f", t ? 100 * b / t : 0}')"
	pf_wait_idle 120 || ok=FAILED
	case "$row" in
	pm-*)
		# The throughput run's messages, as the milter logged them (before a restart).
		ver="$(verify_counts "$WORK/$row.log" "$off")"
		if [ "$SAMPLE_SHOWN" = 0 ]; then
			echo "# $row, a log line: $(grep -m 1 ': posture .* spf=' "$WORK/$row.log")"
			SAMPLE_SHOWN=1
		fi
		if [ "${ver%% *}" -lt "$MESSAGES" ]; then
			echo "# $row: ${ver%% *} of $MESSAGES messages verified" >&2
			ok=FAILED
		fi
		;;
	esac
	case "$row" in
	pm-cold-*)
		# A fresh milter for the latency run, so its first messages are cold too.
		milter_down
		milter_up "$row" || ok=FAILED
		;;
	esac
	if latout="$(drive "$PORT" "$LAT_MESSAGES" 1)"; then
		lat="$(field median_ms "$latout") $(field mean_ms "$latout")"
	else
		ok=FAILED
	fi
	pf_wait_idle 120 || ok=FAILED
	milter_down
	if [ -s "$WORK/drive.err" ]; then
		echo "# $row: smtp_load reported failures ($out):" >&2
		head -n 3 "$WORK/drive.err" >&2
		ok=FAILED
	fi
	sent0=$((sent0 + warm))
	if [ $(($(pf_sent_count) - sent0)) -ne $((MESSAGES + LAT_MESSAGES)) ]; then
		echo "# $row: $(($(pf_sent_count) - sent0)) delivered, $((MESSAGES + LAT_MESSAGES)) sent" >&2
		ok=FAILED
	fi
	if [ -f "$WORK/$row.log" ] && grep -qE 'Sanitizer|runtime error' "$WORK/$row.log"; then
		echo "# $row: sanitizer report in the milter's log" >&2
		ok=FAILED
	fi
	# shellcheck disable=SC2086 # ver and lat are lists of numbers
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$row" \
		"$ok" "$rate" "$secs" "$cpu" "$rss" "$busy" $lat $ver >>"$RESULTS"
	printf '# round %s %-16s %s %8s msg/s (%s s) cpu %s ms/msg rss %s kB host %s%% latency median %s mean %s ms' \
		"$round" "$row" "$ok" "$rate" "$secs" "$cpu" "$rss" "$busy" "${lat% *}" "${lat#* }"
	case "$row" in
	pm-*)
		# shellcheck disable=SC2086
		set -- $ver
		printf ' verified %s: spf pass %s fail %s, dkim pass %s, dmarc pass %s' "$@"
		;;
	esac
	printf '\n'
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), Postfix $("$PF_POSTCONF" -c "$PF_CONF" -h mail_version)"
echo "# $MESSAGES messages of $SIZE bytes per run, $SESSIONS sessions (smtp_load), $FILES DKIM-signed messages from $DOMAINS sender domains, $NSRC client addresses $SRC_FIRST.. (SPF ip4:$SPF_NET), $ROUNDS rounds, latency over $LAT_MESSAGES messages"
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
    r = dict(rate=float(f[3]), cpu=float(f[5]), rss=int(f[6]), busy=int(f[7]),
             lat=float(f[8]), latmean=float(f[9]))
    if f[10] != "-":
        r.update(ver=int(f[10]), spfpass=int(f[11]), spffail=int(f[12]),
                 dkimpass=int(f[13]), dmarcpass=int(f[14]))
    runs.setdefault(row, {})[rnd] = r

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def col(row, key):
    return med([r.get(key) if r else None for r in runs.get(row, {}).values()])

def lowest(row, key):
    xs = [r[key] for r in runs.get(row, {}).values() if r and key in r]
    return min(xs) if xs else None

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

def verified(row):
    if lowest(row, "ver") is None:
        return "–"
    return "%d: spf %d pass / %d fail, dkim %d pass, dmarc %d pass" % tuple(
        lowest(row, k) for k in ("ver", "spfpass", "spffail", "dkimpass", "dmarcpass"))

print()
print("| row | msg/s | x none | x null (same socket) | latency ms median / mean | added ms (median) | milter CPU ms/msg | milter RSS MB | host busy % | verified per run (lowest) | failed runs |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
none_lat = col("none", "lat")
for row in order:
    failed = sum(1 for r in runs[row].values() if r is None)
    lat = col(row, "lat")
    added = None if (lat is None or none_lat is None or row == "none") else lat - none_lat
    rss = col(row, "rss")
    p = peer(row)
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
        row, fmt(col(row, "rate"), ".0f"), fmt(ratio(row, "none"), ".2f"),
        fmt(ratio(row, p) if p else None, ".2f"),
        fmt(lat, ".2f") + " / " + fmt(col(row, "latmean"), ".2f"), fmt(added, "+.2f"),
        "–" if row == "none" else fmt(col(row, "cpu"), ".3f"),
        "–" if row == "none" else fmt(rss / 1024 if rss else None, ".1f"),
        fmt(col(row, "busy"), ".0f"), verified(row), failed))
print()
print("Per-round rates (msg/s): " + "; ".join(
    "%s %s" % (row, ", ".join("–" if r is None else "%.0f" % r["rate"]
                              for _, r in sorted(runs[row].items(), key=lambda kv: int(kv[0]))))
    for row in order))
PYEOF
