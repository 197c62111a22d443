# shellcheck shell=bash
# nsd.sh - start and stop a private NSD on loopback for the integration tests.
#
# A bash library: source it, then
#   nsd_find_binary       set NSD_BIN/NSD_CHECKZONE from $NSD, PATH or /usr/sbin; 1 if absent
#   nsd_start ZONEDIR     check every ZONEDIR/*.zone with nsd-checkzone (origin = file name
#                         minus ".zone"; root.zone is the root zone), write nsd.conf in a temp dir, start NSD on a free
#                         high port of 127.0.0.1 (and ::1 when this host has it), wait until
#                         it answers (bounded, ~10 s), then check that every zone loaded.
#                         Sets NSD_PORT, NSD_DIR, NSD_PID, NSD_V6 (1 or 0), NSD_ZONES.
#                         Installs an EXIT trap that stops NSD and removes the temp dir.
#   nsd_stop              stop NSD and remove the temp dir (safe to call twice)
#   nsd_at_exit CMD       also run CMD at exit, before NSD stops
#   nsd_query [--tcp] [--edns SIZE] [--server IP] NAME TYPE [NAME TYPE...]
#                         ask our NSD (python3, no dig needed); one line per query:
#                         "NAME TYPE rcode=NOERROR aa=1 tc=0 an=2"
#   nsd_dnsq ARGS         the same python3 tool with explicit SERVER PORT (see dnsq usage)
#   nsd_burst N ZONE      ask our NSD N distinct nonexistent names under ZONE over UDP,
#                         20 in flight at a time (well over 200 a second); prints
#                         "burst N: answered=N tc=0 lost=0 ..." and returns 1 at the
#                         first answer lost or truncated
#
# The configuration drops no privileges (username ""), uses no chroot, no database and
# keeps every file (pid, zone list, xfrd state, log) in the temp dir, so it runs as root
# in CI and as any user elsewhere. minimal-responses is on: answers carry no additional
# section, so posture-check must make every follow-up lookup itself (as it does against
# real servers that omit glue), and answer sizes (truncation tests) are predictable.
# Response-rate limiting is off (rrl-ratelimit: 0, rrl-whitelist-ratelimit: 0, when
# this NSD build knows the options): NSD's default of 200 answers a second per /24
# would drop or truncate answers to 127.0.0.1 in any run that asks for many
# first-seen names, and the test would read a timeout the code under test never caused.
#
# What can go wrong, and what it then does: nsd missing (nsd_find_binary returns 1; the
# caller decides between skip and failure); a zone with a syntax error (nsd_start fails
# naming the file, with nsd-checkzone's output); the port taken between the probe and
# NSD's bind (retried on another port, 3 times); NSD not answering within the bound or a
# zone not loaded (fails with the zone name and the tail of NSD's log).

# shellcheck source=tests/integration/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

NSD_PORT=""
NSD_DIR=""
NSD_PID=""
NSD_V6=0
NSD_ZONES=""
_NSD_RRL=0
_NSD_EXIT_CMDS=()

# Print a message on stderr, prefixed so it stands out in test-suite.log.
_nsd_say() {
	printf 'nsd.sh: %s\n' "$*" >&2
}

# Locate nsd and nsd-checkzone; $NSD (from configure) wins when set.
nsd_find_binary() {
	NSD_BIN="${NSD:-}"
	if [ -z "$NSD_BIN" ]; then
		NSD_BIN="$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nsd || true)"
	fi
	if [ -z "$NSD_BIN" ] || [ ! -x "$NSD_BIN" ]; then
		return 1
	fi
	NSD_CHECKZONE="$(dirname "$NSD_BIN")/nsd-checkzone"
	if [ ! -x "$NSD_CHECKZONE" ]; then
		NSD_CHECKZONE="$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nsd-checkzone || true)"
	fi
	[ -n "$NSD_CHECKZONE" ] && [ -x "$NSD_CHECKZONE" ]
}

# Register a command to run at exit (before NSD is stopped).
nsd_at_exit() {
	_NSD_EXIT_CMDS+=("$1")
}

# The EXIT trap: registered commands, then NSD; keeps the script's exit status.
_nsd_on_exit() {
	local rc=$? cmd
	for cmd in "${_NSD_EXIT_CMDS[@]}"; do
		eval "$cmd" || true
	done
	nsd_stop
	return "$rc"
}

# Write the python3 DNS query tool used for readiness, zone checks and TC probes.
_nsd_write_dnsq() {
	cat >"$1" <<'PYEOF'
"""dnsq.py - minimal DNS query tool for the tests (no dig on a base image).

usage: dnsq.py [--tcp] [--edns SIZE] [--timeout S] [--wait S] SERVER PORT NAME TYPE [NAME TYPE...]
       dnsq.py --burst N SERVER PORT ZONE
Prints one line per query: NAME TYPE rcode=NOERROR aa=1 tc=0 an=N (or "error=...").
--wait S retries the first query until it is answered or S seconds pass.
Exit 0 when every query got a response (whatever its rcode), 1 otherwise.
--burst N asks N distinct names under ZONE (type A, UDP, BURST_WINDOW in flight) and
prints one summary line; exit 1 at the first answer lost (1 s) or truncated (TC=1).
"""
import random, socket, struct, sys, time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SPF": 99}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED"}


def build(qid, name, qtype, edns):
    msg = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1 if edns else 0)
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            msg += bytes([len(raw)]) + raw
    msg += b"\0" + struct.pack(">HH", qtype, 1)
    if edns:
        msg += b"\0" + struct.pack(">HHIH", 41, edns, 0, 0)
    return msg


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


def ask(server, port, name, qtype, tcp, edns, timeout):
    qid = random.randrange(65536)
    msg = build(qid, name, qtype, edns)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    if tcp:
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect((server, port))
            s.sendall(struct.pack(">H", len(msg)) + msg)
            (n,) = struct.unpack(">H", recv_exact(s, 2))
            resp = recv_exact(s, n)
    else:
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(msg, (server, port))
            while True:
                resp, _ = s.recvfrom(65535)
                if len(resp) >= 12 and struct.unpack(">H", resp[:2])[0] == qid:
                    break
    if len(resp) < 12:
        raise OSError("short response")
    _, flags, _, an, _, _ = struct.unpack(">HHHHHH", resp[:12])
    return "rcode=%s aa=%d tc=%d an=%d" % (RCODES.get(flags & 15, str(flags & 15)),
                                           (flags >> 10) & 1, (flags >> 9) & 1, an)


BURST_WINDOW = 20


def burst(server, port, zone, count):
    """Ask count names under zone, BURST_WINDOW at a time; stop at the first loss or TC."""
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    answered, start, tag = 0, time.monotonic(), random.randrange(1 << 30)
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        while answered < count:
            pending = {}
            for i in range(answered, min(count, answered + BURST_WINDOW)):
                qid = random.randrange(65536)
                while qid in pending:
                    qid = random.randrange(65536)
                pending[qid] = "burst-%d-%d.%s" % (i, tag, zone)
                s.sendto(build(qid, pending[qid], TYPES["A"], 0), (server, port))
            while pending:
                try:
                    resp = s.recv(65535)
                except socket.timeout:
                    why = "lost=%d (no answer within 1 s, first %s)" % (
                        len(pending), sorted(pending.values())[0])
                    break
                if len(resp) < 12:
                    continue
                qid, flags = struct.unpack(">HH", resp[:4])
                if qid not in pending:
                    continue
                if (flags >> 9) & 1:
                    why = "tc=1 on the UDP answer for %s" % pending[qid]
                    break
                del pending[qid]
                answered += 1
            else:
                continue
            print("burst %d: answered=%d, then %s after %.2f s" % (
                count, answered, why, time.monotonic() - start))
            return 1
    took = time.monotonic() - start
    print("burst %d: answered=%d tc=0 lost=0 in %.2f s (%d a second)" % (
        count, answered, took, count / took if took > 0 else count))
    return 0


def main(argv):
    tcp, edns, timeout, wait = False, 0, 2.0, 0.0
    if argv and argv[0] == "--burst":
        if len(argv) != 5:
            print(__doc__, file=sys.stderr)
            return 2
        return burst(argv[2], int(argv[3]), argv[4], int(argv[1]))
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--tcp":
            tcp = True
        elif opt == "--edns":
            edns = int(argv.pop(0))
        elif opt == "--timeout":
            timeout = float(argv.pop(0))
        elif opt == "--wait":
            wait = float(argv.pop(0))
        else:
            print("dnsq.py: unknown option " + opt, file=sys.stderr)
            return 2
    if len(argv) < 4 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    server, port, pairs = argv[0], int(argv[1]), argv[2:]
    ok = True
    for i in range(0, len(pairs), 2):
        name, tname = pairs[i], pairs[i + 1].upper()
        deadline = time.monotonic() + (wait if i == 0 else 0)
        while True:
            try:
                line = ask(server, port, name, TYPES[tname], tcp, edns,
                           min(timeout, max(wait, 0.2)) if wait and i == 0 else timeout)
                break
            except (OSError, socket.timeout) as e:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                line = "error=" + (str(e) or type(e).__name__).replace(" ", "_")
                ok = False
                break
        print("%s %s %s" % (name, tname, line))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
PYEOF
}

# Find a port free for UDP and TCP on 127.0.0.1 (and ::1 when $1 is 1); prints it.
_nsd_free_port() {
	python3 - "$1" <<'PYEOF'
import random, socket, sys
want6 = sys.argv[1] == "1"
for _ in range(200):
    port = random.randrange(20000, 32000)   # below Linux's ephemeral range
    addrs = [(socket.AF_INET, "127.0.0.1")] + ([(socket.AF_INET6, "::1")] if want6 else [])
    socks = []
    try:
        for fam, addr in addrs:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(fam, kind)
                socks.append(s)
                s.bind((addr, port))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PYEOF
}

# Whether this host can bind ::1 (containers often run without IPv6).
_nsd_have_v6() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' \
		2>/dev/null
}

# The zone a file serves: its name minus ".zone"; "." for root.zone (dnssec.sh).
_nsd_origin() {
	local origin
	origin="$(basename "$1" .zone)"
	[ "$origin" = root ] && origin=.
	printf '%s\n' "$origin"
}

# Quote a string for nsd.conf.
_nsd_q() {
	printf '"%s"' "$1"
}

# Write $NSD_DIR/nsd.conf for port $1 and the zone files in "$2".
_nsd_write_conf() {
	local port="$1" zonedir="$2" f origin
	{
		echo "# generated by tests/integration/nsd.sh"
		echo "server:"
		echo "	ip-address: 127.0.0.1@$port"
		if [ "$NSD_V6" = 1 ]; then
			echo "	ip-address: ::1@$port"
			echo "	do-ip6: yes"
		else
			echo "	do-ip6: no"
		fi
		echo "	port: $port"
		echo "	username: \"\""
		echo "	chroot: \"\""
		echo "	zonesdir: \"\""
		echo "	database: \"\""
		echo "	zonelistfile: $(_nsd_q "$NSD_DIR/zone.list")"
		echo "	xfrdfile: $(_nsd_q "$NSD_DIR/xfrd.state")"
		echo "	xfrdir: $(_nsd_q "$NSD_DIR")"
		echo "	pidfile: $(_nsd_q "$NSD_DIR/nsd.pid")"
		echo "	logfile: $(_nsd_q "$NSD_DIR/nsd.log")"
		echo "	verbosity: 1"
		echo "	server-count: 1"
		echo "	reuseport: no"
		echo "	hide-version: yes"
		echo "	minimal-responses: yes"
		echo "	refuse-any: yes"
		echo "	round-robin: no"
		echo "	ipv4-edns-size: 1232"
		echo "	ipv6-edns-size: 1232"
		if [ "$_NSD_RRL" = 1 ]; then
			echo "	rrl-ratelimit: 0"
			echo "	rrl-whitelist-ratelimit: 0"
		fi
		echo "remote-control:"
		echo "	control-enable: no"
		for f in "$zonedir"/*.zone; do
			origin="$(_nsd_origin "$f")"
			echo "zone:"
			echo "	name: $(_nsd_q "${origin%.}.")"
			echo "	zonefile: $(_nsd_q "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")"
		done
	} >"$NSD_DIR/nsd.conf"
}

# Whether this NSD build takes the RRL options (built with --enable-ratelimit, as
# Debian's is); without them a build has no rate limiting to turn off.
_nsd_knows_rrl() {
	printf 'server:\n\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n' >"$NSD_DIR/rrl-probe.conf"
	"$(dirname "$NSD_BIN")/nsd-checkconf" "$NSD_DIR/rrl-probe.conf" >/dev/null 2>&1
}

# Print the tail of NSD's log and stderr for a failure report.
_nsd_dump_log() {
	local f
	for f in "$NSD_DIR/nsd.log" "$NSD_DIR/nsd.stderr"; do
		if [ -s "$f" ]; then
			_nsd_say "---- $(basename "$f") (last 40 lines) ----"
			tail -n 40 "$f" >&2
		fi
	done
}

# Check every zone file with nsd-checkzone; fails naming the first bad file.
_nsd_check_zones() {
	local zonedir="$1" f origin out bad=0
	NSD_ZONES=""
	for f in "$zonedir"/*.zone; do
		if [ ! -e "$f" ]; then
			_nsd_say "no zone files in $zonedir"
			return 1
		fi
		origin="$(_nsd_origin "$f")"
		if ! out="$("$NSD_CHECKZONE" "$origin" "$f" 2>&1)"; then
			_nsd_say "zone file $f does not load as zone $origin.:"
			printf '%s\n' "$out" >&2
			bad=1
		fi
		NSD_ZONES="$NSD_ZONES $origin"
	done
	return "$bad"
}

# Start NSD once on port $1; 0 when it answers, 1 on failure, 3 when the bind failed.
_nsd_try_start() {
	local port="$1" out
	: >"$NSD_DIR/nsd.log"
	_nsd_write_conf "$port" "$2"
	if ! out="$("$(dirname "$NSD_BIN")/nsd-checkconf" "$NSD_DIR/nsd.conf" 2>&1)"; then
		_nsd_say "generated nsd.conf rejected: $out"
		return 1
	fi
	"$NSD_BIN" -d -c "$NSD_DIR/nsd.conf" >"$NSD_DIR/nsd.stderr" 2>&1 &
	NSD_PID=$!
	# Readiness: a SOA query for the parent zone, retried for up to ~10 s.
	for _ in $(seq 1 50); do
		if ! kill -0 "$NSD_PID" 2>/dev/null; then
			wait "$NSD_PID" 2>/dev/null || true
			NSD_PID=""
			if grep -qiE 'can.?t bind|address already in use' \
				"$NSD_DIR/nsd.log" "$NSD_DIR/nsd.stderr" 2>/dev/null; then
				return 3
			fi
			_nsd_say "nsd exited during startup"
			_nsd_dump_log
			return 1
		fi
		if python3 "$NSD_DIR/dnsq.py" --timeout 0.2 127.0.0.1 "$port" test. SOA \
			>/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	_nsd_say "nsd did not answer on 127.0.0.1:$port within 10 s"
	_nsd_dump_log
	return 1
}

# Check that every zone answers its SOA authoritatively (a zone that failed to load
# reads SERVFAIL in NSD, and NSD keeps running: this is where that is caught).
_nsd_check_loaded() {
	local args=() origin line bad=0
	for origin in $NSD_ZONES; do
		args+=("${origin%.}." SOA)
	done
	while read -r line; do
		case "$line" in
		*"rcode=NOERROR aa=1 "*) ;;
		*)
			_nsd_say "zone not loaded: $line"
			bad=1
			;;
		esac
	done < <(python3 "$NSD_DIR/dnsq.py" 127.0.0.1 "$NSD_PORT" "${args[@]}")
	if [ "$bad" = 1 ]; then
		_nsd_dump_log
		return 1
	fi
}

# Start the private NSD on the zones in $1 (see the header for what it sets).
nsd_start() {
	local zonedir="$1" attempt rc
	if [ -n "$NSD_PID" ]; then
		_nsd_say "nsd_start: already running (pid $NSD_PID)"
		return 1
	fi
	if [ -z "${NSD_BIN:-}" ] && ! nsd_find_binary; then
		_nsd_say "nsd not found (install the Debian package nsd)"
		return 1
	fi
	if ! command -v python3 >/dev/null; then
		_nsd_say "python3 not found (install the Debian package python3)"
		return 1
	fi
	_nsd_check_zones "$zonedir" || return 1
	NSD_DIR="$(mktemp -d "${TMPDIR:-/tmp}/posture-nsd.XXXXXX")" || return 1
	trap _nsd_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	_nsd_write_dnsq "$NSD_DIR/dnsq.py"
	_NSD_RRL=0
	if _nsd_knows_rrl; then
		_NSD_RRL=1
	fi
	NSD_V6=0
	if _nsd_have_v6; then
		NSD_V6=1
	fi
	for attempt in 1 2 3; do
		NSD_PORT="$(_nsd_free_port "$NSD_V6")" || {
			_nsd_say "no free port found"
			return 1
		}
		rc=0
		_nsd_try_start "$NSD_PORT" "$zonedir" || rc=$?
		if [ "$rc" = 0 ]; then
			_nsd_check_loaded || return 1
			return 0
		fi
		if [ "$rc" != 3 ]; then
			return 1
		fi
		_nsd_say "port $NSD_PORT taken (attempt $attempt), trying another"
	done
	_nsd_say "could not bind a port after 3 attempts"
	_nsd_dump_log
	return 1
}

# Stop NSD (TERM, then KILL after ~5 s) and remove the temp dir.
nsd_stop() {
	if ! proc_stop "$NSD_PID"; then
		_nsd_say "nsd (pid $NSD_PID) ignored TERM; killed it"
	fi
	NSD_PID=""
	if [ -n "$NSD_DIR" ] && [ -d "$NSD_DIR" ]; then
		rm -rf "$NSD_DIR"
	fi
	NSD_DIR=""
}

# The python3 query tool with an explicit server and port.
nsd_dnsq() {
	python3 "$NSD_DIR/dnsq.py" "$@"
}

# Ask our NSD: nsd_query [--tcp] [--edns SIZE] [--server IP] NAME TYPE [NAME TYPE...].
nsd_query() {
	local opts=() server=127.0.0.1
	while [ $# -gt 0 ]; do
		case "$1" in
		--tcp) opts+=(--tcp); shift ;;
		--edns) opts+=(--edns "$2"); shift 2 ;;
		--server) server="$2"; shift 2 ;;
		*) break ;;
		esac
	done
	python3 "$NSD_DIR/dnsq.py" "${opts[@]}" "$server" "$NSD_PORT" "$@"
}

# Ask our NSD a burst of N nonexistent names under ZONE: nsd_burst N ZONE.
nsd_burst() {
	python3 "$NSD_DIR/dnsq.py" --burst "$1" 127.0.0.1 "$NSD_PORT" "$2"
}
