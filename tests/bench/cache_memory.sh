#!/bin/bash
# cache_memory.sh - memory per cached domain: posture-milter's RSS over many first-seen
# sender domains through a private Postfix, and CacheBytes' accounting against the real
# growth (a measurement, not a test; see BENCHMARKS.md).
#
#   tests/bench/cache_memory.sh [-b BUILDDIR] [-n DOMAINS] [-s STEPS] [-c SESSIONS]
#                               [-B BOUND_BYTES]
#
# Run it as root on an optimized build (no sanitizers), e.g. `mkdir /tmp/b && cd /tmp/b
# && /path/to/configure CFLAGS="-O2 -g" && make -j2 posture-milter smtp_load
# dkim_sign_tool`, then `tests/bench/cache_memory.sh -b /tmp/b`.
#
# Set-up: DOMAINS (default 20000) domains mem-0.test .. and 100 more pre-0.test .. made by
# tests/bench/bench_domains.sh (MX, SPF with mx, DKIM key, DMARC; one DKIM-signed message
# each) on a private NSD; a private Postfix relaying to smtp-sink (postfix.sh). Messages
# come from 50 client addresses 127.0.1.1 .. (SPF passes for 31 of them), SESSIONS
# (default 10) at a time (smtp_load).
#
# Two runs, each with a fresh posture-milter (StateDirectory none, MetricsSocket on a
# free loopback port, CacheEntries 100000000 so that no layer is bounded by entries):
#   unbounded  CacheBytes 2^40: every answer and every evaluation stays cached; the
#              growth per domain is what a domain costs, all layers included;
#   bounded    CacheBytes BOUND_BYTES (default 4 MiB, per layer): the layers fill, then
#              evict; the growth once they are full is what BOUND_BYTES counted costs.
# Each run first sends the 100 pre- messages (baseline: threads, buffers, OpenSSL and
# libopendkim state warmed), reads RssAnon (heap and anonymous maps: the libraries'
# file pages do not grow) and VmRSS, then sends the DOMAINS messages in STEPS (default
# 5) equal parts, one message per first-seen domain; after each part, with the queue
# empty: RSS, the cache entries of each layer (posture_milter_cache_entries), DNS
# queries and evaluations since the baseline (/metrics).
#
# Prints one line per step and a summary per run: RssAnon growth per domain; for the
# bounded run, which layers are full (their entries grew by under 2 % over the last
# step), BOUND_BYTES times the number of full layers (what CacheBytes counts) against
# RssAnon's growth, and the counted bytes per entry of each full layer (BOUND_BYTES /
# entries); with those per-entry figures, what CacheBytes would count for the unbounded
# run's entries, against its real growth.
#
# What can go wrong: not root, or Postfix/nsd/python3/openssl missing (exit 1, saying
# which); a message refused or not delivered, or the milter dying (exit 1 with the tail
# of its log); malloc keeping freed memory (RSS never shrinks: the bounded run's
# figure includes the fragmentation eviction leaves, which is real memory).
set -u

top_srcdir="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${top_builddir:-.}"
DOMAINS=20000
STEPS=5
SESSIONS=10
BOUND=4194304
PRE=100
NSRC=50

while getopts "b:n:s:c:B:h" opt; do
	case "$opt" in
	b) BUILD="$OPTARG" ;;
	n) DOMAINS="$OPTARG" ;;
	s) STEPS="$OPTARG" ;;
	c) SESSIONS="$OPTARG" ;;
	B) BOUND="$OPTARG" ;;
	*) sed -n '7,8p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
	esac
done
for v in "$DOMAINS" "$STEPS" "$SESSIONS" "$BOUND"; do
	case "$v" in
	'' | *[!0-9]* | 0) echo "cache_memory.sh: -n -s -c -B want positive numbers" >&2; exit 2 ;;
	esac
done
# shellcheck source=tests/bench/bench_domains.sh
. "$top_srcdir/tests/bench/bench_domains.sh"
bd_prepare cache_memory.sh "$BUILD"
mkdir -p "$GEN/zones" "$GEN/pre" "$GEN/all"
if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$GEN/k0.pem" \
	2>"$GEN/err"; then
	echo "cache_memory.sh: openssl: $(head -n 1 "$GEN/err")" >&2
	exit 1
fi
echo "# making $DOMAINS + $PRE domains and signed messages ($(date -u '+%H:%M:%S UTC'))"
bd_make "$GEN/zones" "$GEN/pre" pre "$PRE" "$GEN/k0.pem" || exit 1
bd_make "$GEN/zones" "$GEN/all" mem "$DOMAINS" "$GEN/k0.pem" || exit 1
# The parts: step K holds domains [K * DOMAINS / STEPS, (K + 1) * DOMAINS / STEPS).
for k in $(seq 0 $((STEPS - 1))); do
	mkdir -p "$GEN/s$k"
	lo=$((k * DOMAINS / STEPS))
	hi=$(((k + 1) * DOMAINS / STEPS))
	for i in $(seq "$lo" $((hi - 1))); do
		printf '%s/all/mem-%07d.eml\n%s/all/mem-%07d.from\n' "$GEN" "$i" "$GEN" "$i"
	done | xargs mv -t "$GEN/s$k"
done
echo "# done ($(date -u '+%H:%M:%S UTC'))"

nsd_start "$GEN/zones" >/dev/null || { echo "cache_memory.sh: NSD did not start" >&2; exit 1; }
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$GEN"'
pf_milter_socket unix pm || exit 1
SOCK_LM="$PF_MILTER_LIBMILTER"
PF_SINK_DUMP=0
PF_MAIN_CF_EXTRA=("milter_default_action = tempfail")
pf_start "pm=$PF_MILTER_POSTFIX" || { echo "cache_memory.sh: Postfix did not start" >&2; exit 1; }
SOCK_PF="$PF_MILTER_POSTFIX"
PORT="$(pf_port pm)" || exit 1
MAIL_OWNER="$("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)"

# A field of /proc/PID/status in kB.
status_kb() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null
}

# Send every message of DIR (COUNT of them) and wait until Postfix delivered them; 1 on
# a refusal or a message not delivered.
send_dir() {
	local dir="$1" count="$2" sent0 out
	sent0="$(pf_sent_count)"
	out="$("$LOAD" -p "$PORT" -c "$SESSIONS" -n "$count" -a 127.0.1.1 -A "$NSRC" "$dir" \
		2>"$GEN/load.err")" || { echo "# smtp_load: $out $(head -n 2 "$GEN/load.err")" >&2; return 1; }
	pf_wait_sent $((sent0 + count)) 300 || { echo "# not every message delivered" >&2; return 1; }
	pf_wait_idle 60
	LAST_RATE="${out#*rate=}"
	LAST_RATE="${LAST_RATE%% *}"
}

# One run (LABEL, CacheBytes BYTES); prints its lines; sets RUN_GROWTH_KB, RUN_ENTRIES
# ("dns doc posture") and RUN_FULL (the full layers, bounded run).
run() {
	local label="$1" bytes="$2" pid mport anon0 anon rss q0 e0 k sent ent prev="" full=""
	mport="$(bd_free_port)"
	printf 'Socket %s\nResolver 127.0.0.1:%s\nAuthservID mem.local\nEvaluationTimeout 30\nUserID %s\nStateDirectory none\nCacheEntries 100000000\nCacheBytes %s\nMetricsSocket inet:%s@127.0.0.1\n' \
		"$SOCK_LM" "$NSD_PORT" "$MAIL_OWNER" "$bytes" "$mport" >"$GEN/$label.conf"
	pf_spawn "$GEN/$label.log" "$PM" -f -c "$GEN/$label.conf"
	pid="$PF_SPAWN_PID"
	if ! pf_wait_milter "$SOCK_PF" 30 || ! send_dir "$GEN/pre" "$PRE"; then
		echo "cache_memory.sh: $label: the milter did not serve the first messages" >&2
		tail -n 10 "$GEN/$label.log" >&2
		exit 1
	fi
	sleep 1
	anon0="$(status_kb "$pid" RssAnon)"
	q0="$(bd_metric "$mport" posture_milter_dns_queries_total)"
	e0="$(bd_metric "$mport" posture_milter_evaluations_total)"
	echo "## $label (CacheBytes $bytes per layer): baseline after $PRE domains: VmRSS $(status_kb "$pid" VmRSS) kB, RssAnon $anon0 kB, $(status_kb "$pid" Threads) threads"
	printf '%-8s %9s %9s %11s %10s %10s %10s %9s %9s %8s\n' domains "VmRSS kB" \
		"RssAnon kB" "+B/domain" "dns ent" "doc ent" "pos ent" "DNS q/dom" "eval/dom" "msg/s"
	sent=0
	for k in $(seq 0 $((STEPS - 1))); do
		n=$(($(find "$GEN/s$k" -name '*.eml' | wc -l)))
		if ! send_dir "$GEN/s$k" "$n" || ! kill -0 "$pid" 2>/dev/null; then
			echo "cache_memory.sh: $label: step $k failed" >&2
			tail -n 10 "$GEN/$label.log" >&2
			exit 1
		fi
		sent=$((sent + n))
		sleep 1
		anon="$(status_kb "$pid" RssAnon)"
		rss="$(status_kb "$pid" VmRSS)"
		ent="$(bd_metrics "$mport" | awk '
			/^posture_milter_cache_entries\{/ {
				if ($1 ~ /"dns"/) d = $NF; else if ($1 ~ /"document"/) o = $NF
				else if ($1 ~ /"posture"/) p = $NF
			}
			END { printf "%d %d %d", d, o, p }')"
		read -r -a E <<<"$ent"
		printf '%-8s %9s %9s %11.0f %10s %10s %10s %9.1f %9.2f %8s\n' "$sent" "$rss" "$anon" \
			"$(awk -v a="$anon" -v b="$anon0" -v n="$sent" 'BEGIN {print (a - b) * 1024 / n}')" \
			"${E[0]}" "${E[1]}" "${E[2]}" \
			"$(awk -v a="$(bd_metric "$mport" posture_milter_dns_queries_total)" -v b="$q0" -v n="$sent" 'BEGIN {print (a - b) / n}')" \
			"$(awk -v a="$(bd_metric "$mport" posture_milter_evaluations_total)" -v b="$e0" -v n="$sent" 'BEGIN {print (a - b) / n}')" \
			"$LAST_RATE"
		[ -n "$prev" ] && full="$(awk -v p="$prev" -v c="$ent" 'BEGIN {
			split(p, a, " "); split(c, b, " "); split("dns document posture", n, " ")
			for (i = 1; i <= 3; i++) if (b[i] > 0 && b[i] < a[i] * 1.02) s = s n[i] " "
			print s }')"
		prev="$ent"
	done
	RUN_GROWTH_KB=$((anon - anon0))
	RUN_ENTRIES="$ent"
	RUN_FULL="$full"
	echo "# $label: RssAnon grew $RUN_GROWTH_KB kB over $sent domains:" \
		"$(awk -v g="$RUN_GROWTH_KB" -v n="$sent" 'BEGIN {printf "%.0f bytes (%.2f KiB) per domain", g * 1024 / n, g / n}')"
	pf_kill "$pid"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), $DOMAINS first-seen domains in $STEPS steps, $SESSIONS sessions"
run unbounded 1099511627776
UNB_GROWTH="$RUN_GROWTH_KB"
UNB_ENTRIES="$RUN_ENTRIES"
echo
run bounded "$BOUND"
echo
awk -v g="$RUN_GROWTH_KB" -v full="$RUN_FULL" -v ent="$RUN_ENTRIES" -v b="$BOUND" \
	-v ug="$UNB_GROWTH" -v ue="$UNB_ENTRIES" 'BEGIN {
	nf = split(full, f, " "); split(ent, e, " "); split(ue, u, " ")
	idx["dns"] = 1; idx["document"] = 2; idx["posture"] = 3
	if (nf == 0) { print "# bounded: no layer full: raise -n or lower -B"; exit }
	counted = b * nf
	printf "# bounded: full layers: %s; counted %d x %d = %.1f MiB; RssAnon grew %.1f MiB: real / counted = %.2f\n",
	    full, nf, b, counted / 1048576, g / 1024, g * 1024 / counted
	est = 0
	for (i = 1; i <= nf; i++) {
		per = b / e[idx[f[i]]]
		printf "#   %s: %d entries in %d bytes counted: %.0f counted bytes per entry\n", f[i], e[idx[f[i]]], b, per
		est += per * u[idx[f[i]]]
	}
	printf "# unbounded: CacheBytes would count about %.1f MiB (full layers only, at those bytes per entry) for a growth of %.1f MiB: real / counted = %.2f\n",
	    est / 1048576, ug / 1024, est ? ug * 1024 / est : 0
}'
