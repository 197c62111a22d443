#!/bin/bash
# many_sessions.sh - 1,000 concurrent SMTP sessions through posture-milter, every message
# from a first-seen domain, with DNS answering (held DELAY_MS) and with DNS stopped
# (a measurement, not a test; see BENCHMARKS.md).
#
#   tests/bench/many_sessions.sh [-b BUILDDIR] [-c SESSIONS] [-n MESSAGES] [-D DELAY_MS]
#                                [-e EVALUATION_TIMEOUT]
#
# Run it as root on an optimized build (no sanitizers); see cold_path.sh.
#
# Set-up: MESSAGES (default 3000) domains many-0.test .. (bench_domains.sh), one
# DKIM-signed message each, on a private NSD behind tests/bench/dns_delay.py (answers
# held DELAY_MS, default 20); a private Postfix (default_process_limit 1200,
# milter_default_action tempfail) relaying to smtp-sink; smtp_load with SESSIONS
# (default 1000) sessions, one connection per message, 50 client addresses.
# Two runs, each with a fresh posture-milter (StateDirectory none, MetricsSocket on,
# EvaluationTimeout EVALUATION_TIMEOUT, default 10 s, the daemon's default):
#   answering  the proxy answers every query after DELAY_MS;
#   stopped    the proxy reads every query and answers none (SIGUSR1): each evaluation
#              runs into EvaluationTimeout (DNS queries time out; nothing is refused).
# For each run: messages sent and failed (smtp_load: a 4xx or 5xx at any step), the
# deliveries in Postfix's log, Postfix's milter tempfails ("milter-reject" with 4.x.x,
# any stage), rate and latency p50/p99/max, the milter's messages by outcome,
# evaluations by outcome, temperror verdicts and end-of-message waits (/metrics), and
# its highest thread count, descriptor count and RSS (sampled every 0.2 s), with its
# CPU ms per message. postfix.sh says when the milter did not stop within 5 s of TERM.
#
# What can go wrong: not root, or Postfix/nsd/python3/openssl missing (exit 1, saying
# which); too few descriptors (ulimit -n under SESSIONS * 3: smtp_load, Postfix and the
# milter each hold one or more per session; the script says so and exits); a run far
# slower than MESSAGES / SESSIONS * EVALUATION_TIMEOUT (smtp_load's own 30 s timeouts
# then count the message as failed).
set -u

top_srcdir="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${top_builddir:-.}"
SESSIONS=1000
MESSAGES=3000
DELAY=20
EVAL_TIMEOUT=10
NSRC=50

while getopts "b:c:n:D:e:h" opt; do
	case "$opt" in
	b) BUILD="$OPTARG" ;;
	c) SESSIONS="$OPTARG" ;;
	n) MESSAGES="$OPTARG" ;;
	D) DELAY="$OPTARG" ;;
	e) EVAL_TIMEOUT="$OPTARG" ;;
	*) sed -n '6,7p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
	esac
done
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((SESSIONS * 3)) ]; then
	echo "many_sessions.sh: ulimit -n is $(ulimit -n), under 3 x $SESSIONS sessions" >&2
	exit 1
fi
# shellcheck source=tests/bench/bench_domains.sh
. "$top_srcdir/tests/bench/bench_domains.sh"
bd_prepare many_sessions.sh "$BUILD"
mkdir -p "$GEN/zones" "$GEN/msgs"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$GEN/k0.pem" 2>/dev/null ||
	{ echo "many_sessions.sh: openssl genpkey failed" >&2; exit 1; }
echo "# making $MESSAGES domains and messages ($(date -u '+%H:%M:%S UTC'))"
bd_make "$GEN/zones" "$GEN/msgs" many "$MESSAGES" "$GEN/k0.pem" || exit 1
nsd_start "$GEN/zones" >/dev/null || { echo "many_sessions.sh: NSD did not start" >&2; exit 1; }
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$GEN"'
bd_proxy_start "$NSD_PORT" "$DELAY"

bd_postfix_pm many_sessions.sh "$PROXY_PORT"
echo "EvaluationTimeout $EVAL_TIMEOUT" >>"$GEN/pm.conf"
CLK_TCK="$(getconf CLK_TCK)"

# Postfix log lines so far matching REGEX.
log_count() {
	grep -cE "$1" "$PF_LOG" 2>/dev/null || true
}

# One run, LABEL; prints its figures.
run() {
	local label="$1" pid spid out c0 c1 sent0 temp0 m
	pf_spawn "$GEN/$label.log" "$PM" -f -c "$GEN/pm.conf"
	pid="$PF_SPAWN_PID"
	pf_wait_milter "$SOCK_PF" 30 || { tail -n 5 "$GEN/$label.log" >&2; exit 1; }
	: >"$GEN/$label.samples"
	bd_sampler "$pid" "$GEN/$label.samples" &
	spid=$!
	sent0="$(pf_sent_count)"
	temp0="$(log_count 'milter-reject: [A-Z-]+ .*: 4\.[0-9]+\.[0-9]+')"
	c0="$(bd_cpu_ticks "$pid")"
	out="$("$LOAD" -p "$PM_PORT" -c "$SESSIONS" -n "$MESSAGES" -a 127.0.1.1 -A "$NSRC" \
		"$GEN/msgs" 2>"$GEN/$label.err")"
	c1="$(bd_cpu_ticks "$pid")"
	m="$(bd_metrics "$MPORT")"
	pf_wait_idle 300 || echo "# $label: the queue did not drain in 300 s" >&2
	sleep 1
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	pf_kill "$pid"
	echo "## $label: $out"
	[ -s "$GEN/$label.err" ] && echo "# first smtp_load error: $(head -n 1 "$GEN/$label.err")"
	echo "# delivered $(($(pf_sent_count) - sent0)) of $MESSAGES;" \
		"Postfix milter tempfails $(($(log_count 'milter-reject: [A-Z-]+ .*: 4\.[0-9]+\.[0-9]+') - temp0));" \
		"milter CPU $(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$MESSAGES" 'BEGIN {printf "%.3f", d * 1000 / hz / n}') ms/msg"
	echo "$m" | awk '
		/^posture_milter_messages_total\{/ && $NF > 0 { msg = msg " " $1 "=" $NF }
		/^posture_milter_evaluations_total\{/ && $NF > 0 { ev = ev " " $1 "=" $NF }
		/^posture_milter_verdicts_total\{.*result="temperror"/ && $NF > 0 {
			tv = tv " " $1 "=" $NF
		}
		/^posture_milter_eom_wait_seconds_bucket\{le="(1|5|10|\+Inf)"\}/ {
			le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le); b[le] = $NF
		}
		/^posture_milter_eom_wait_seconds_sum / { sum = $NF }
		END {
			print "# milter messages:" msg
			print "# evaluations:" ev
			print "# temperror verdicts:" (tv == "" ? " none" : tv)
			printf "# end-of-message wait: %d messages, mean %.0f ms; over 1 s %d, over 5 s %d, over 10 s %d\n",
			    b["+Inf"], b["+Inf"] ? 1000 * sum / b["+Inf"] : 0, b["+Inf"] - b["1"],
			    b["+Inf"] - b["5"], b["+Inf"] - b["10"]
		}' | sed 's/posture_milter_[a-z_]*{outcome="\([a-z_]*\)"}/\1/g; s/posture_milter_verdicts_total{method="\([a-z]*\)",result="temperror"}/\1/g'
	awk '{ if ($1 > t) t = $1; if ($2 > f) f = $2; if ($3 > r) r = $3 }
		END { printf "# highest: %d threads, %d descriptors, VmRSS %d kB\n", t, f, r }' \
		"$GEN/$label.samples"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $SESSIONS sessions, $MESSAGES messages from as many first-seen domains, DNS answers held $DELAY ms, EvaluationTimeout $EVAL_TIMEOUT s"
run answering
kill -USR1 "$PROXY_PID"	# stopped: no more answers
run stopped
kill -USR1 "$PROXY_PID"
