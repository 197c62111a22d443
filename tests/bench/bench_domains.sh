# shellcheck shell=bash
# bench_domains.sh - many generated sender domains for the benchmarks (a bash library for
# tests/bench/cache_memory.sh and tests/bench/cold_path.sh; measurements, not tests).
#
# Source it (with top_srcdir set; it sources tests/integration/nsd.sh, postfix.sh and
# verify_fixtures.sh itself), then
#   bd_prepare NAME BUILDDIR
#       set BUILD (absolute), PM, LOAD and BD_SIGNER (posture-milter, smtp_load and
#       dkim_sign_tool of BUILDDIR); exit 1 naming what is missing (those, Postfix, nsd,
#       python3, openssl, root); make GEN, a temp directory removed at exit
#   bd_make ZDIR MDIR PREFIX COUNT KEY.pem [SELECTOR]
#       Append to ZDIR/test.zone (copied from the fixtures when absent) COUNT domains
#       PREFIX-0.test .. PREFIX-(COUNT-1).test, each as bench_postfix.sh makes them: two
#       MX hosts with addresses, SPF "v=spf1 ip4:127.0.1.0/27 mx -all", a DKIM key
#       (KEY.pem's public key under SELECTOR, default k0) and DMARC p=reject; and write
#       MDIR/PREFIX-NNNNNNN.eml (one message of ~1,000 bytes per domain, From and MAIL FROM
#       sender@PREFIX-N.test, DKIM-signed rsa-sha256 relaxed/relaxed by dkim_sign_tool,
#       two signers at a time) with its PREFIX-NNNNNNN.from, as smtp_load reads them.
#       Names are zero-padded, so smtp_load's name order is the domain order.
#       Needs BD_SIGNER (the dkim_sign_tool binary). With BD_ONLY naming a file of domain
#       numbers (one a line), messages are made for those domains only (the zone holds
#       all COUNT). Returns 1 when a signature failed.
#   bd_metrics PORT      print the daemon's /metrics (MetricsSocket inet:PORT@127.0.0.1)
#   bd_metric PORT NAME [LABEL_REGEX]
#       the sum of the samples of metric NAME (without suffix) whose labels match
#       LABEL_REGEX (default all); 0 when absent
#   bd_free_port         print a free TCP port of 127.0.0.1
#   bd_proxy_start UPSTREAM DELAY_MS
#       start tests/bench/dns_delay.py in front of 127.0.0.1:UPSTREAM (stopped at exit
#       through nsd_at_exit); sets PROXY_PID and PROXY_PORT; exit 1 when it does not start
#   bd_proxy_stats       the proxy's counters now ("queries_udp N queries_tcp N ...")
#   bd_sampler PID FILE  append "THREADS DESCRIPTORS VMRSS_KB" of PID to FILE every 0.2 s
#                        while PID lives (run it in the background, kill it when done)
#   bd_postfix_pm NAME RESOLVER_PORT
#       start a private Postfix (milter_default_action tempfail, default_process_limit
#       1200) with one smtpd listener for posture-milter on a unix socket, and write
#       GEN/pm.conf (Socket, Resolver 127.0.0.1:RESOLVER_PORT, UserID, StateDirectory
#       none, MetricsSocket on a free port; append more keys to it). Sets SOCK_LM,
#       SOCK_PF, PM_PORT (the listener) and MPORT (the metrics port); exit 1 on failure
#   bd_cpu_ticks PID     utime+stime of PID in clock ticks
#   bd_host_ticks        "busy total" jiffies of the whole host (/proc/stat)
#
# One zone for all the domains ("test.", the fixtures' parent zone) instead of one zone
# per domain: NSD starts in seconds with 100,000 domains, and nsd_start checks one file
# instead of 100,000. The answers are the same, except that a domain has no SOA or NS of
# its own (a query for them is NODATA).
#
# What can go wrong: openssl or dkim_sign_tool failing (1, with the first error line); a
# MetricsSocket that does not answer within 5 s (bd_metric prints 0: read the figures
# with that in mind).

: "${top_srcdir:?bench_domains.sh: set top_srcdir before sourcing it}"
# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/postfix.sh
. "$top_srcdir/tests/integration/postfix.sh"
# shellcheck source=tests/integration/verify_fixtures.sh
. "$top_srcdir/tests/integration/verify_fixtures.sh"

BD_SIGNER="${BD_SIGNER:-}"
BD_ONLY="${BD_ONLY:-}"

# Check what script NAME needs from BUILDDIR and the host; make GEN (see the header).
bd_prepare() {
	local name="$1" missing="" bin tool
	BUILD="$(cd "$2" && pwd)" || exit 1
	PM="$BUILD/posture-milter"
	LOAD="$BUILD/smtp_load"
	BD_SIGNER="$BUILD/dkim_sign_tool"
	for bin in "$PM" "$LOAD" "$BD_SIGNER"; do
		[ -x "$bin" ] || missing="${missing:+$missing, }$bin (make -C $BUILD $(basename "$bin"))"
	done
	pf_find_binaries || missing="${missing:+$missing, }$PF_MISSING"
	nsd_find_binary || missing="${missing:+$missing, }nsd"
	for tool in python3 openssl; do
		command -v "$tool" >/dev/null || missing="${missing:+$missing, }$tool"
	done
	[ "$(id -u)" = 0 ] || missing="${missing:+$missing, }root (a private Postfix needs it)"
	if [ -n "$missing" ]; then
		echo "$name: missing: $missing" >&2
		exit 1
	fi
	if grep -q 'fsanitize' "$BUILD/Makefile" 2>/dev/null; then
		echo "# WARNING: $BUILD is a sanitizer build: the figures are not representative"
	fi
	GEN="$(mktemp -d "${TMPDIR:-/tmp}/posture-${name%.sh}.XXXXXX")" || exit 1
	chmod 755 "$GEN"
	# shellcheck disable=SC2064 # the name is fixed now
	trap "rm -rf '$GEN'" EXIT
}

# Write the zone records and the signed messages of COUNT domains (see the header).
bd_make() {
	local zdir="$1" mdir="$2" prefix="$3" count="$4" key="$5" sel="${6:-k0}" p
	[ -f "$zdir/test.zone" ] || cp "$top_srcdir/tests/fixtures/zones/test.zone" "$zdir/" ||
		return 1
	p="$(vf_txt_strings "v=DKIM1; k=rsa; p=$(vf_pubkey "$key" rsa)")"
	mkdir -p "$mdir/.plain" || return 1
	python3 - "$zdir/test.zone" "$mdir" "$prefix" "$count" "$sel" "$p" "$(date -R)" "$BD_ONLY" \
		<<'PYEOF' || return 1
import sys
zone, mdir, prefix, count, sel, p, date, only = sys.argv[1:9]
only = set(int(x) for x in open(only)) if only else None
line = "x" * 71
with open(zone, "a") as z:
    for i in range(int(count)):
        d = "%s-%d" % (prefix, i)
        a, b = i // 250 % 250, i % 250
        z.write("%s\tIN MX\t10 mx1.%s\n%s\tIN MX\t20 mx2.%s\n" % (d, d, d, d))
        z.write("mx1.%s\tIN A\t11.%d.%d.1\nmx2.%s\tIN A\t11.%d.%d.2\n" % (d, a, b, d, a, b))
        z.write('%s\tIN TXT\t"v=spf1 ip4:127.0.1.0/27 mx -all"\n' % d)
        z.write("%s._domainkey.%s\tIN TXT\t(%s )\n" % (sel, d, p))
        z.write('_dmarc.%s\tIN TXT\t"v=DMARC1; p=reject; rua=mailto:dmarc@%s.test"\n' % (d, d))
        if only is not None and i not in only:
            continue
        name = "%s-%07d" % (prefix, i)
        with open("%s/.plain/%s" % (mdir, name), "w") as m:
            m.write("From: Sender <sender@%s.test>\nTo: <rcpt@x.test>\n" % d)
            m.write("Subject: message from %s\nDate: %s\n" % (d, date))
            m.write("Message-ID: <%s@%s.test>\nMIME-Version: 1.0\n" % (name, d))
            m.write("Content-Type: text/plain; charset=us-ascii\n\n")
            m.write("message of %s\n" % d + (line + "\n") * 12)
        with open("%s/%s.from" % (mdir, name), "w") as f:
            f.write("sender@%s.test\n" % d)
PYEOF
	# One dkim_sign_tool per message, two at a time (2 CPUs).
	# shellcheck disable=SC2016 # the inner script expands its own variables
	(cd "$mdir/.plain" && find . -type f -printf '%f\0' | xargs -0 -P 2 -n 50 sh -c '
		signer="$1"; key="$2"; sel="$3"; shift 3
		for f; do
			d="${f%-*}-$(echo "${f##*-}" | sed "s/^0*//; s/^$/0/").test"
			"$signer" -k "$key" -d "$d" -s "$sel" "$f" >"../$f.eml" || exit 1
		done' sh "$BD_SIGNER" "$key" "$sel") || {
		echo "bench_domains.sh: dkim_sign_tool failed" >&2
		return 1
	}
	rm -rf "$mdir/.plain"
}

# The daemon's /metrics on 127.0.0.1:PORT (empty when it does not answer in 5 s).
bd_metrics() {
	python3 -c 'import sys, urllib.request
try:
    sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1],
                                            timeout=5).read().decode())
except OSError:
    pass' "$1"
}

# Sum of metric NAME's samples whose labels match LABEL_REGEX (default: all).
bd_metric() {
	bd_metrics "$1" | awk -v name="$2" -v re="${3:-}" '
		{ n = $1; sub(/\{.*/, "", n) }
		n == name && (re == "" || $1 ~ re) { s += $NF }
		END { printf "%.0f\n", s }'
}

# A free TCP port on 127.0.0.1.
bd_free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start the delaying DNS proxy in front of 127.0.0.1:UPSTREAM; sets PROXY_PID, PROXY_PORT.
bd_proxy_start() {
	python3 "$top_srcdir/tests/bench/dns_delay.py" --upstream "$1" --delay-ms "$2" \
		--stats "$GEN/proxy.stats" >"$GEN/proxy.port" 2>"$GEN/proxy.err" &
	PROXY_PID=$!
	# shellcheck disable=SC2016 # expanded at exit
	nsd_at_exit 'kill "$PROXY_PID" 2>/dev/null'
	for _ in $(seq 1 50); do
		[ -s "$GEN/proxy.port" ] && break
		sleep 0.1
	done
	PROXY_PORT="$(awk '$1 == "port" {print $2}' "$GEN/proxy.port")"
	[ -n "$PROXY_PORT" ] || { echo "dns_delay.py did not start: $(cat "$GEN/proxy.err")" >&2; exit 1; }
}

# The proxy's counters now (SIGUSR2 makes it write them).
bd_proxy_stats() {
	rm -f "$GEN/proxy.stats"
	kill -USR2 "$PROXY_PID"
	for _ in $(seq 1 50); do
		[ -s "$GEN/proxy.stats" ] && break
		sleep 0.05
	done
	cat "$GEN/proxy.stats"
}

# "THREADS DESCRIPTORS VMRSS_KB" of PID into FILE every 0.2 s while PID lives.
bd_sampler() {
	local pid="$1" out="$2"
	while kill -0 "$pid" 2>/dev/null; do
		printf '%s %s %s\n' "$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" \
			"$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" \
			"$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" >>"$out"
		sleep 0.2
	done
}

# A private Postfix with a posture-milter listener, and GEN/pm.conf (see the header).
# shellcheck disable=SC2034 # SOCK_LM, PM_PORT: for the caller
bd_postfix_pm() {
	local owner
	pf_milter_socket unix pm || exit 1
	SOCK_LM="$PF_MILTER_LIBMILTER"
	SOCK_PF="$PF_MILTER_POSTFIX"
	PF_SINK_DUMP=0
	PF_MAIN_CF_EXTRA=("milter_default_action = tempfail" "default_process_limit = 1200")
	pf_start "pm=$SOCK_PF" || { echo "$1: Postfix did not start" >&2; exit 1; }
	PM_PORT="$(pf_port pm)" || exit 1
	owner="$("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)"
	MPORT="$(bd_free_port)"
	printf 'Socket %s\nResolver 127.0.0.1:%s\nAuthservID bench.local\nUserID %s\nStateDirectory none\nMetricsSocket inet:%s@127.0.0.1\n' \
		"$SOCK_LM" "$2" "$owner" "$MPORT" >"$GEN/pm.conf"
}

# utime+stime of PID in clock ticks.
bd_cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}

# "busy total" jiffies of the host.
bd_host_ticks() {
	awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat
}
