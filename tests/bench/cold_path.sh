#!/bin/bash
# cold_path.sh - posture-milter's cold path under DNS latency: a Zipf-distributed stream of
# mail over many sender domains, through a private Postfix, with every DNS answer held N
# ms (a measurement, not a test; see BENCHMARKS.md).
#
#   tests/bench/cold_path.sh [-b BUILDDIR] [-d DOMAINS] [-n MESSAGES] [-z EXPONENT]
#                            [-D DELAY_MS] [-c SESSIONS,SESSIONS...] [-s SEED]
#
# Run it as root on an optimized build (no sanitizers), e.g. `mkdir /tmp/b && cd /tmp/b
# && /path/to/configure CFLAGS="-O2 -g" && make -j2 posture-milter smtp_load
# dkim_sign_tool`, then `tests/bench/cold_path.sh -b /tmp/b`.
#
# Set-up: DOMAINS (default 10000) domains zipf-0.test .. made by bench_domains.sh (MX,
# SPF with mx, DKIM key, DMARC) on a private NSD, and in front of it
# tests/bench/dns_delay.py holding each answer DELAY_MS (default 20) ms: the milter's
# Resolver. The stream: MESSAGES (default 5000) messages whose sender domains are drawn
# from a Zipf law of EXPONENT (default 1.0) over the domains (rank k with probability
# proportional to 1/k^EXPONENT, seed SEED, default 1): a few domains send most of the
# mail, and a long tail is seen once. One DKIM-signed message per drawn domain;
# message i of the stream is sent as file i (smtp_load, one connection per message,
# sessions taking the next message in turn, 50 client addresses 127.0.1.1 ..).
# A private Postfix relays to smtp-sink (default_process_limit 1200, so smtpd is not the
# limit); milter_default_action tempfail.
#
# For each SESSIONS count (default 10,200), three runs of the whole stream:
#   none   no milter (the reference latency);
#   cold   a fresh posture-milter (StateDirectory none, MetricsSocket on, its defaults
#          otherwise: EvaluationTimeout 10): every domain's first message is first-seen;
#   warm   the same stream again through that milter: every domain cached.
# For each run: throughput (messages accepted per second of wall time), latency (connect
# to QUIT reply) p50/p99/max, and added latency: the run's percentile minus the none
# run's median at the same SESSIONS. For the cold run also split: the first message of
# each domain in the stream (first-seen) and the others. From the milter: evaluations
# and DNS queries per message (/metrics; the proxy's own count too), the end-of-message
# wait (posture_milter_eom_wait_seconds: how many messages waited over 5, 25, 100 ms,
# 1 s), the mean evaluation time and what it is in DNS round trips (mean / DELAY_MS),
# evaluation timeouts, the milter's CPU ms per message, its highest thread and
# descriptor counts and RSS (sampled every 0.2 s), its RSS at the end, and the host's
# busy share. The proxy's "max in flight" is the highest since it started.
#
# What can go wrong: not root, or Postfix/nsd/python3/openssl missing (exit 1, saying
# which); messages refused (the run prints how many failed; smtp_load's first error on
# stderr); the python proxy itself short of CPU at 200 sessions (its queries in flight
# are printed: compare them with the sessions).
set -u

top_srcdir="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${top_builddir:-.}"
DOMAINS=10000
MESSAGES=5000
ZIPF=1.0
DELAY=20
SESSIONS_LIST="10,200"
SEED=1
NSRC=50

while getopts "b:d:n:z:D:c:s:h" opt; do
	case "$opt" in
	b) BUILD="$OPTARG" ;;
	d) DOMAINS="$OPTARG" ;;
	n) MESSAGES="$OPTARG" ;;
	z) ZIPF="$OPTARG" ;;
	D) DELAY="$OPTARG" ;;
	c) SESSIONS_LIST="$OPTARG" ;;
	s) SEED="$OPTARG" ;;
	*) sed -n '6,7p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
	esac
done
# shellcheck source=tests/bench/bench_domains.sh
. "$top_srcdir/tests/bench/bench_domains.sh"
bd_prepare cold_path.sh "$BUILD"
mkdir -p "$GEN/zones" "$GEN/dom" "$GEN/stream"

# The stream: one domain number per line, and the distinct ones.
python3 - "$DOMAINS" "$MESSAGES" "$ZIPF" "$SEED" "$GEN/stream.txt" "$GEN/only.txt" <<'PYEOF' || exit 1
import random, sys
d, n, s, seed = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
weights = [1.0 / (k ** s) for k in range(1, d + 1)]
# Rank k is domain number (a fixed permutation of) k - 1, so that popular domains are
# not all at the start of the zone.
perm = list(range(d))
rng.shuffle(perm)
stream = [perm[k] for k in rng.choices(range(d), weights=weights, k=n)]
open(sys.argv[5], "w").write("".join("%d\n" % x for x in stream))
open(sys.argv[6], "w").write("".join("%d\n" % x for x in sorted(set(stream))))
PYEOF
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$GEN/k0.pem" 2>/dev/null ||
	{ echo "cold_path.sh: openssl genpkey failed" >&2; exit 1; }
echo "# making $DOMAINS domains, messages for $(wc -l <"$GEN/only.txt") of them ($(date -u '+%H:%M:%S UTC'))"
BD_ONLY="$GEN/only.txt" bd_make "$GEN/zones" "$GEN/dom" zipf "$DOMAINS" "$GEN/k0.pem" || exit 1
i=0
while read -r d; do
	src="$(printf '%s/dom/zipf-%07d' "$GEN" "$d")"
	dst="$(printf '%s/stream/m-%07d' "$GEN" "$i")"
	ln "$src.eml" "$dst.eml" && ln "$src.from" "$dst.from" || exit 1
	i=$((i + 1))
done <"$GEN/stream.txt"

nsd_start "$GEN/zones" >/dev/null || { echo "cold_path.sh: NSD did not start" >&2; exit 1; }
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$GEN"'
bd_proxy_start "$NSD_PORT" "$DELAY"

bd_postfix_pm cold_path.sh "$PROXY_PORT"
CLK_TCK="$(getconf CLK_TCK)"

MILTER_PID=""
# A fresh milter; 1 when it does not come up.
milter_up() {
	pf_spawn "$GEN/pm.log" "$PM" -f -c "$GEN/pm.conf"
	MILTER_PID="$PF_SPAWN_PID"
	pf_wait_milter "$SOCK_PF" 30 || { tail -n 5 "$GEN/pm.log" >&2; return 1; }
}

# One run: LABEL SESSIONS PORT; writes GEN/LABEL-SESSIONS.{lat,res}.
run() {
	local label="$1" c="$2" port="$3" key="$1-$2" out c0=0 c1=0 h0 h1 p0 p1 spid=""
	: >"$GEN/$key.samples"
	if [ -n "$MILTER_PID" ] && [ "$label" != none ]; then
		bd_metrics "$MPORT" >"$GEN/$key.m0"
		c0="$(bd_cpu_ticks "$MILTER_PID")"
		bd_sampler "$MILTER_PID" "$GEN/$key.samples" &
		spid=$!
	fi
	p0="$(bd_proxy_stats)"
	read -r -a h0 < <(bd_host_ticks)
	out="$("$LOAD" -p "$port" -c "$c" -n "$MESSAGES" -a 127.0.1.1 -A "$NSRC" \
		-o "$GEN/$key.lat" "$GEN/stream" 2>"$GEN/$key.err")"
	read -r -a h1 < <(bd_host_ticks)
	p1="$(bd_proxy_stats)"
	if [ -n "$spid" ]; then
		c1="$(bd_cpu_ticks "$MILTER_PID")"
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		bd_metrics "$MPORT" >"$GEN/$key.m1"
		echo "rss_kb $(awk '/^VmRSS:/ {print $2}' "/proc/$MILTER_PID/status")" >>"$GEN/$key.res"
	fi
	{
		echo "load $out"
		echo "proxy0 $p0"
		echo "proxy1 $p1"
		echo "host $((h1[0] - h0[0])) $((h1[1] - h0[1]))"
		echo "cpu_ms $(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN {print d * 1000 / hz}')"
	} >>"$GEN/$key.res"
	if [ -s "$GEN/$key.err" ]; then
		echo "# $key: $(head -n 1 "$GEN/$key.err")" >&2
	fi
	pf_wait_idle 300 || echo "# $key: the queue did not drain in 300 s" >&2
	echo "# $key: $out"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $DOMAINS domains, $MESSAGES messages (Zipf $ZIPF, seed $SEED, $(wc -l <"$GEN/only.txt") distinct domains), DNS answers held $DELAY ms"
IFS=',' read -r -a SESSIONS <<<"$SESSIONS_LIST"
for c in "${SESSIONS[@]}"; do
	MILTER_PID=""
	run none "$c" "$PF_PORT"
	milter_up || { echo "cold_path.sh: the milter did not start" >&2; exit 1; }
	run cold "$c" "$PM_PORT"
	run warm "$c" "$PM_PORT"
	pf_kill "$MILTER_PID"
	MILTER_PID=""
done

python3 - "$GEN" "$MESSAGES" "$DELAY" "$SESSIONS_LIST" <<'PYEOF'
import os, re, sys
gen, n, delay, sessions = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4].split(",")
stream = [int(x) for x in open(os.path.join(gen, "stream.txt"))]
first = set()
seen = set()
for i, d in enumerate(stream):
    if d not in seen:
        first.add(i)
        seen.add(d)

def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, -(-len(xs) * p // 100) - 1)
    return xs[int(k)]

def lat(key):
    out = {}
    for line in open(os.path.join(gen, key + ".lat")):
        i, ms = line.split()
        out[int(i)] = float(ms)
    return out

def res(key):
    r = {}
    for line in open(os.path.join(gen, key + ".res")):
        k, _, v = line.partition(" ")
        r[k] = v.strip()
    return r

def metrics(path):
    m = {}
    if not os.path.exists(path):
        return m
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        name, val = line.rsplit(" ", 1)
        m[name] = float(val)
    return m

def msum(m, prefix, cond=""):
    return sum(v for k, v in m.items() if k.startswith(prefix) and cond in k)

def field(s, name):
    mm = re.search(r"\b%s=([0-9.]+)" % name, s)
    return float(mm.group(1)) if mm else float("nan")

print()
print("| sessions | run | msg/s | failed | p50 / p99 / max ms | added p50 / p99 / max ms | first-seen (%d): added p50 / p99 / max | others: added p50 / p99 / max | host busy |"
      % len(first))
print("|---|---|---|---|---|---|---|---|---|")
detail = []
for c in sessions:
    base = None
    for label in ("none", "cold", "warm"):
        key = "%s-%s" % (label, c)
        L = lat(key)
        R = res(key)
        ok = [v for v in L.values() if v >= 0]
        failed = sum(1 for v in L.values() if v < 0)
        p50, p99, mx = pct(ok, 50), pct(ok, 99), max(ok) if ok else float("nan")
        if label == "none":
            base = p50
        f = [L[i] for i in L if i in first and L[i] >= 0]
        o = [L[i] for i in L if i not in first and L[i] >= 0]
        hb = R["host"].split()
        busy = 100.0 * int(hb[0]) / int(hb[1]) if int(hb[1]) else 0
        split = lambda xs: "%.1f / %.1f / %.1f" % (pct(xs, 50) - base, pct(xs, 99) - base,
                                                   (max(xs) if xs else float("nan")) - base)
        print("| %s | %s | %.0f | %d | %.1f / %.1f / %.1f | %s | %s | %s | %.0f %% |" % (
            c, label, field(R["load"], "rate"), failed, p50, p99, mx,
            "–" if label == "none" else "%.1f / %.1f / %.1f" % (p50 - base, p99 - base, mx - base),
            split(f) if label != "none" else "–", split(o) if label != "none" else "–", busy))
        if label == "none":
            continue
        m0 = metrics(os.path.join(gen, key + ".m0"))
        m1 = metrics(os.path.join(gen, key + ".m1"))
        d = lambda prefix, cond="": msum(m1, prefix, cond) - msum(m0, prefix, cond)
        evals = d("posture_milter_evaluations_total")
        timeouts = d("posture_milter_evaluations_total", 'outcome="timeout"')
        dnsq = d("posture_milter_dns_queries_total")
        ev_sum = d("posture_milter_evaluation_duration_seconds_sum")
        ev_cnt = d("posture_milter_evaluation_duration_seconds_count")
        eom_cnt = d("posture_milter_eom_wait_seconds_count")
        eom_sum = d("posture_milter_eom_wait_seconds_sum")
        over = []
        for b in ("0.005", "0.025", "0.1", "1"):
            le = d("posture_milter_eom_wait_seconds_bucket", 'le="%s"' % b)
            over.append("%d over %g ms" % (eom_cnt - le, float(b) * 1000))
        p0 = dict(zip(*[iter(R["proxy0"].split())] * 2))
        p1 = dict(zip(*[iter(R["proxy1"].split())] * 2))
        pq = (int(p1["queries_udp"]) + int(p1["queries_tcp"])
              - int(p0["queries_udp"]) - int(p0["queries_tcp"]))
        samples = [l.split() for l in open(os.path.join(gen, key + ".samples")) if len(l.split()) == 3]
        thr = max((int(s[0]) for s in samples), default=0)
        fds = max((int(s[1]) for s in samples), default=0)
        rssmax = max((int(s[2]) for s in samples), default=0)
        detail.append("- %s sessions, %s: %.3f evaluations and %.2f DNS queries per message "
                      "(proxy: %.2f; max %s in flight); eom wait: %s of %d, mean %.1f ms; "
                      "evaluation mean %.1f ms = %.1f round trips of %g ms; %d timeouts; "
                      "milter CPU %.3f ms/msg, max %d threads, %d descriptors, RSS %s kB at the end (max %d)"
                      % (c, label, evals / n, dnsq / n, pq / n, p1["max_inflight"],
                         ", ".join(over), eom_cnt, 1000 * eom_sum / eom_cnt if eom_cnt else 0,
                         1000 * ev_sum / ev_cnt if ev_cnt else 0,
                         (1000 * ev_sum / ev_cnt / delay) if ev_cnt and delay else 0, delay,
                         timeouts, float(R["cpu_ms"]) / n, thr, fds, R.get("rss_kb", "?"), rssmax))
print()
print("\n".join(detail))
PYEOF
