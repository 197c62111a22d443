#!/bin/bash
# profile_milter.sh - instructions per message: posture-milter against the null milter,
# under callgrind, inside a private Postfix (a measurement, not a test).
#
#   tests/bench/profile_milter.sh [-b BUILDDIR] [-n MESSAGES] [-d DOMAINS] [-k unix|inet]
#                                 [-t TOP] [-o OUTDIR] [-N] [-u] [-R] [-S] [-m NATIVE]
#
# Run it as root (a private Postfix needs it) on an optimized build, e.g.
#   mkdir -p /tmp/b-prof && cd /tmp/b-prof && /path/to/configure CFLAGS="-O2 -g" &&
#   make -j2 posture-milter null-milter dkim_sign_tool &&
#   /path/to/tests/bench/profile_milter.sh -b /tmp/b-prof
#
# Set-up: RSA 2048 and Ed25519 keys made now (openssl); a private NSD (nsd.sh) serving
# DOMAINS (default 10) generated zones prof-0.test .. (2 MX hosts with addresses, SPF
# "ip4:127.0.0.1 mx -all", DMARC p=reject, the two keys as rsa._domainkey and
# ed._domainkey); a private Postfix (postfix.sh) relaying to smtp-sink, with one smtpd
# listener for posture-milter and one for the null milter (tests/bench/null_milter.c), on
# sockets of the kind -k (default unix). Four messages per domain, ~1,000 bytes of body,
# MAIL FROM and From in that domain, written once with a fixed Date and DKIM t=, so
# every run sends the same bytes: signed rsa-sha256 relaxed/relaxed, signed rsa-sha256
# simple/simple, signed ed25519-sha256, unsigned; -u sends only the unsigned ones (the
# load of bench_postfix.sh, whose smtp-source messages are unsigned). posture-milter
# runs in the foreground (-f) with AuthservID prof.local (so Authentication-Results and
# DKIM verification are on), its defaults otherwise, and no UserID: callgrind_control
# (vgdb) cannot reach a process that changed its user, so the script opens the unix
# socket to smtpd itself (chmod 666).
#
# For each milter in turn: start it under valgrind --tool=callgrind, send every message
# twice (warm-up: each domain evaluated, each DKIM key and selector cached), wait 2 s,
# zero the counters (callgrind_control -z), send MESSAGES (default 500) messages one
# after the other, cycling through the set, one SMTP connection each (python3 smtplib),
# wait 2 s for the connections to close, dump (callgrind_control -d), stop the milter.
# The dump holds the instructions (Ir) of all the milter's threads for exactly those
# messages, idle loops included; callgrind counts are repeatable on a busy host.
# Both milters run with GLIBC_TUNABLES raising the rep stosb/movsb thresholds: callgrind
# counts each iteration of a rep-prefixed instruction, so glibc's memset and memcpy of
# 2 KB and more (rep stosb, ~32 bytes a cycle in hardware) would weigh ~30 times their
# cost; with vector loops instead, Ir stay close to cycles. -R keeps glibc's defaults.
# Every message must be accepted (250), or the script fails. Kernel time (system
# calls, context switches) is not in these counts: see strace -c -f or perf stat.
#
# Then, unless -S, each milter again without valgrind, for what callgrind cannot see (the
# kernel): the same warm-up, then NATIVE (default 2000) messages with the process's user
# and system CPU time read from /proc/PID/stat before and after (clock ticks of 10 ms:
# coarse, and noisy on a busy host, unlike the Ir), then NATIVE more with strace -f -c
# attached to every thread: system calls per message, by name (strace slows the milter;
# only the counts are read).
#
# Prints: Ir per message for posture-milter and for the null milter, their ratio and
# difference; for each milter its Ir grouped by library (tests/bench/callgrind_groups.py:
# libmilter, libopendkim, OpenSSL, ours, other; libc counted for whichever group called
# it; the calls between groups; the top functions of each group, inclusive); then for
# posture-milter the TOP (default 25) functions by inclusive and by exclusive Ir
# (callgrind_annotate), each with its Ir per message; then the user and system CPU ms
# and the system calls per message of each milter. -N leaves out the null milter. The callgrind files are kept in OUTDIR (default a new /tmp/posture-prof.*
# directory, printed), for callgrind_annotate or kcachegrind.
#
# What can go wrong: not root, or valgrind/Postfix/nsd/openssl/python3 missing (exit 1,
# saying which); a milter that does not come up under valgrind within 60 s, or a
# message refused (exit 1 with the tail of the milter's log); callgrind_control unable
# to reach the process (vgdb needs ptrace; exit 1).
set -u

top_srcdir="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${top_builddir:-.}"
MESSAGES=500
DOMAINS=10
KIND=unix
TOP=25
OUT=""
WITH_NULL=1
UNSIGNED_ONLY=0
# See the header: no rep stosb/movsb in glibc's memset/memcpy under callgrind.
TUNABLES="glibc.cpu.x86_rep_stosb_threshold=0x7fffffff:glibc.cpu.x86_rep_movsb_threshold=0x7fffffff"
SIGN_TIME=1790000000	# fixed t= and Date: the same bytes every run

# Print the usage on stderr.
usage() {
	sed -n '4,5p' "$0" | sed 's/^# *//' >&2
}

NATIVE=1
NATIVE_MSGS=2000
while getopts "b:n:d:k:t:o:NuRSm:h" opt; do
	case "$opt" in
	b) BUILD="$OPTARG" ;;
	n) MESSAGES="$OPTARG" ;;
	d) DOMAINS="$OPTARG" ;;
	k) KIND="$OPTARG" ;;
	t) TOP="$OPTARG" ;;
	o) OUT="$OPTARG" ;;
	N) WITH_NULL=0 ;;
	u) UNSIGNED_ONLY=1 ;;
	R) TUNABLES="" ;;
	S) NATIVE=0 ;;
	m) NATIVE_MSGS="$OPTARG" ;;
	h) usage; exit 0 ;;
	*) usage; exit 2 ;;
	esac
done
case "$KIND" in
unix | inet) ;;
*) echo "profile_milter.sh: -k unix or -k inet" >&2; exit 2 ;;
esac
for n in "$MESSAGES" "$DOMAINS" "$TOP" "$NATIVE_MSGS"; do
	case "$n" in
	'' | *[!0-9]*) echo "profile_milter.sh: not a number: '$n'" >&2; exit 2 ;;
	esac
done
BUILD="$(cd "$BUILD" && pwd)" || exit 1
PM="$BUILD/posture-milter"
NULLM="$BUILD/null-milter"
SIGN="$BUILD/dkim_sign_tool"

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/postfix.sh
. "$top_srcdir/tests/integration/postfix.sh"

missing=""
for prog in "$PM" "$NULLM" "$SIGN"; do
	[ -x "$prog" ] || missing="${missing:+$missing, }$prog (make it in $BUILD)"
done
for tool in valgrind callgrind_annotate callgrind_control openssl python3 \
	$([ "$NATIVE" = 1 ] && echo strace); do
	command -v "$tool" >/dev/null || missing="${missing:+$missing, }$tool"
done
pf_find_binaries || missing="${missing:+$missing, }$PF_MISSING"
nsd_find_binary || missing="${missing:+$missing, }nsd"
[ "$(id -u)" = 0 ] || missing="${missing:+$missing, }root (a private Postfix needs it)"
if [ -n "$missing" ]; then
	echo "profile_milter.sh: missing: $missing" >&2
	exit 1
fi
if grep -q 'fsanitize' "$BUILD/Makefile" 2>/dev/null; then
	echo "# WARNING: $BUILD is a sanitizer build: the counts are not representative"
fi
if [ -z "$OUT" ]; then
	OUT="$(mktemp -d "${TMPDIR:-/tmp}/posture-prof.XXXXXX")" || exit 1
fi
mkdir -p "$OUT" || exit 1
OUT="$(cd "$OUT" && pwd)"

# ---- keys, zones, messages ----

GEN="$(mktemp -d "${TMPDIR:-/tmp}/posture-prof-gen.XXXXXX")" || exit 1
ZDIR="$GEN/zones"
MSGS="$GEN/msgs"
mkdir -p "$ZDIR" "$MSGS"

# The base64 of a public key as DKIM's p= wants it (Ed25519: the raw 32 bytes, RFC 8463).
pubkey() {
	if [ "$2" = ed25519 ]; then
		openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0
	else
		openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0
	fi
}

# A TXT value as 250-character strings (RFC 1035 3.3.14).
txt_strings() {
	local s="$1" out=""
	while [ -n "$s" ]; do
		out="$out \"${s:0:250}\""
		s="${s:250}"
	done
	printf '%s' "$out"
}

if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$GEN/rsa.pem" \
	2>"$GEN/keys.err" || ! openssl genpkey -algorithm ed25519 -out "$GEN/ed.pem" \
	2>>"$GEN/keys.err"; then
	echo "profile_milter.sh: openssl could not make the keys: $(head -n 2 "$GEN/keys.err")" >&2
	exit 1
fi
RSA_P="$(pubkey "$GEN/rsa.pem" rsa)"
ED_P="$(pubkey "$GEN/ed.pem" ed25519)"

cp "$top_srcdir/tests/fixtures/zones/test.zone" "$ZDIR/"
for i in $(seq 0 $((DOMAINS - 1))); do
	d="prof-$i.test"
	cat >"$ZDIR/$d.zone" <<EOF
\$ORIGIN $d.
\$TTL 3600
@	IN SOA	ns.test. hostmaster.test. ( 2026010101 3600 900 604800 300 )
	IN NS	ns.test.
@	IN MX	10 mx1.$d.
@	IN MX	20 mx2.$d.
mx1	IN A	11.2.$i.1
mx2	IN A	11.2.$i.2
@	IN TXT	"v=spf1 ip4:127.0.0.1 mx -all"
_dmarc	IN TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@$d"
rsa._domainkey	IN TXT $(txt_strings "v=DKIM1; k=rsa; p=$RSA_P")
ed._domainkey	IN TXT $(txt_strings "v=DKIM1; k=ed25519; p=$ED_P")
EOF
	# The unsigned message; the signed ones are made from it.
	{
		printf 'From: Sender <sender@%s>\r\n' "$d"
		printf 'To: <rcpt@x.test>\r\n'
		printf 'Subject: profile message from %s\r\n' "$d"
		printf 'Date: %s\r\n' "$(LC_ALL=C date -u -d "@$SIGN_TIME" '+%a, %d %b %Y %H:%M:%S +0000')"
		printf 'Message-ID: <%s.%s@prof.invalid>\r\n' "$SIGN_TIME" "$i"
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: text/plain; charset=us-ascii\r\n'
		printf '\r\n'
		for l in $(seq 1 14); do
			printf 'Line %02d of a profile message: the quick brown fox jumps over it.\r\n' "$l"
		done
	} >"$GEN/plain"
	cp "$GEN/plain" "$MSGS/$d.3-unsigned"
	if ! "$SIGN" -k "$GEN/rsa.pem" -d "$d" -s rsa -t "$SIGN_TIME" \
		"$GEN/plain" >"$MSGS/$d.0-rsa-relaxed" ||
		! "$SIGN" -k "$GEN/rsa.pem" -d "$d" -s rsa -c simple/simple -t "$SIGN_TIME" \
			"$GEN/plain" >"$MSGS/$d.1-rsa-simple" ||
		! "$SIGN" -k "$GEN/ed.pem" -d "$d" -s ed -a ed25519-sha256 -t "$SIGN_TIME" \
			"$GEN/plain" >"$MSGS/$d.2-ed25519"; then
		echo "profile_milter.sh: dkim_sign_tool failed for $d" >&2
		exit 1
	fi
done
nsd_start "$ZDIR" >/dev/null || { echo "profile_milter.sh: NSD did not start" >&2; exit 1; }
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$GEN"'

pf_milter_socket "$KIND" pm || exit 1
SOCK_PM_LM="$PF_MILTER_LIBMILTER"
SOCK_PM_PF="$PF_MILTER_POSTFIX"
pf_milter_socket "$KIND" null || exit 1
SOCK_NULL_LM="$PF_MILTER_LIBMILTER"
SOCK_NULL_PF="$PF_MILTER_POSTFIX"
PF_SINK_DUMP=0
# Under callgrind a milter is ~50 times slower: tempfail (not accept) if it is too slow.
PF_MAIN_CF_EXTRA=("milter_default_action = tempfail")
pf_start "pm=$SOCK_PM_PF" "null=$SOCK_NULL_PF" ||
	{ echo "profile_milter.sh: Postfix did not start" >&2; exit 1; }

cat >"$GEN/send.py" <<'PYEOF'
"""send.py PORT COUNT FILE...: COUNT messages, cycling through the files, one connection
each, one after the other. MAIL FROM is the From address. Exit 1 on any refusal."""
import re, smtplib, sys
port, count, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
msgs = []
for f in files:
    data = open(f, "rb").read()
    sender = re.search(rb"^From:[^<\r\n]*<([^>]+)>", data, re.M).group(1).decode()
    msgs.append((sender, data))
for i in range(count):
    sender, data = msgs[i % len(msgs)]
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=300) as s:
            s.sendmail(sender, ["rcpt@x.test"], data)
    except (smtplib.SMTPException, OSError) as e:
        print("message %d (%s): %s" % (i, sender, e), file=sys.stderr)
        sys.exit(1)
PYEOF
if [ "$UNSIGNED_ONLY" = 1 ]; then
	mapfile -t MSG_FILES < <(find "$MSGS" -type f -name '*-unsigned' | sort)
	MIX="unsigned"
else
	mapfile -t MSG_FILES < <(find "$MSGS" -type f | sort)
	MIX="rsa relaxed, rsa simple, ed25519, unsigned"
fi
NSET="${#MSG_FILES[@]}"

# ---- one milter under callgrind ----

# Total Ir of a callgrind dump.
dump_total() {
	awk '/^(summary|totals):/ {print $2; exit}' "$1"
}

# Report why milter NAME's run failed (its log's tail, or FILE), stop PID; returns 1.
give_up() {
	local name="$1" pid="$2" why="$3" file="${4:-$OUT/$1.log}"
	echo "profile_milter.sh: $name: $why" >&2
	tail -n 20 "$file" >&2
	pf_kill "$pid"
	return 1
}

# Start milter NAME (pm or null) under the command words given after NAME (none: as
# is), send the warm-up; sets PID and PORT, 1 on failure.
spawn_warm() {
	local name="$1" spec_lm spec_pf
	shift
	port="$(pf_port "$name")" || return 1
	if [ "$name" = pm ]; then
		spec_lm="$SOCK_PM_LM"
		spec_pf="$SOCK_PM_PF"
		# No UserID (see the header): the socket is opened to smtpd below instead.
		printf 'Socket %s\nResolver 127.0.0.1:%s\nAuthservID prof.local\nEvaluationTimeout 30\n' \
			"$spec_lm" "$NSD_PORT" >"$OUT/pm.conf"
		pf_spawn "$OUT/$name.log" "$@" "$PM" -f -c "$OUT/pm.conf"
	else
		spec_lm="$SOCK_NULL_LM"
		spec_pf="$SOCK_NULL_PF"
		pf_spawn "$OUT/$name.log" "$@" "$NULLM" -p "$spec_lm"
	fi
	pid="$PF_SPAWN_PID"
	pf_wait_milter "$spec_pf" 60 || give_up "$name" "$pid" "not listening on $spec_lm" ||
		return 1
	case "$spec_pf" in
	unix:*) chmod 666 "${spec_pf#unix:}" ;;
	esac
	python3 "$GEN/send.py" "$port" $((2 * NSET)) "${MSG_FILES[@]}" ||
		give_up "$name" "$pid" "a warm-up message was refused"
}

# Profile milter NAME (pm or null); sets TOTAL and DUMP, 1 on failure.
profile() {
	local name="$1" port pid
	rm -f "$OUT/callgrind.$name" "$OUT/callgrind.$name".*
	spawn_warm "$name" env ${TUNABLES:+GLIBC_TUNABLES="$TUNABLES"} valgrind \
		--tool=callgrind --callgrind-out-file="$OUT/callgrind.$name" || return 1
	sleep 2
	timeout 120 callgrind_control -z "$pid" >"$OUT/$name.ctl" 2>&1 ||
		give_up "$name" "$pid" "callgrind_control -z failed" "$OUT/$name.ctl" || return 1
	python3 "$GEN/send.py" "$port" "$MESSAGES" "${MSG_FILES[@]}" ||
		give_up "$name" "$pid" "a message was refused" || return 1
	sleep 2
	timeout 120 callgrind_control -d "$pid" >>"$OUT/$name.ctl" 2>&1 ||
		give_up "$name" "$pid" "callgrind_control -d failed" "$OUT/$name.ctl" || return 1
	# The first dump on request is FILE.1 (zeroing writes none); wait until complete.
	DUMP="$OUT/callgrind.$name.1"
	for _ in $(seq 1 100); do
		[ -n "$(dump_total "$DUMP" 2>/dev/null)" ] && break
		sleep 0.1
	done
	pf_kill "$pid"
	TOTAL="$(dump_total "$DUMP" 2>/dev/null)"
	[ -n "$TOTAL" ]
}

# "utime stime" of PID in clock ticks.
cpu_split() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12, $13}'
}

# Milter NAME without valgrind: prints "NAME: user U ms/msg, system S ms/msg, N system
# calls/msg (top names)"; 1 on failure.
native() {
	local name="$1" port pid c0 c1 spid tids
	spawn_warm "$name" || return 1
	sleep 1
	read -r -a c0 < <(cpu_split "$pid")
	python3 "$GEN/send.py" "$port" "$NATIVE_MSGS" "${MSG_FILES[@]}" ||
		give_up "$name" "$pid" "a message was refused" || return 1
	sleep 1
	read -r -a c1 < <(cpu_split "$pid")
	tids="$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 -printf '-p %f ')"
	# shellcheck disable=SC2086 # one -p per thread
	strace -f -c -o "$OUT/$name.strace" $tids 2>>"$OUT/$name.strace.err" &
	spid=$!
	sleep 2
	python3 "$GEN/send.py" "$port" "$NATIVE_MSGS" "${MSG_FILES[@]}" ||
		{ kill -INT "$spid"; give_up "$name" "$pid" "a message was refused under strace"; } ||
		return 1
	sleep 1
	kill -INT "$spid"
	wait "$spid"
	pf_kill "$pid"
	awk -v n="$NATIVE_MSGS" -v hz="$(getconf CLK_TCK)" -v name="$name" \
		-v u=$((c1[0] - c0[0])) -v s=$((c1[1] - c0[1])) '
		# strace -c: "% time seconds usecs/call calls [errors] syscall"; total last.
		$NF == "total" { total = $4; next }
		$1 ~ /^[0-9.]+$/ && NF >= 5 && $4 / n >= 0.05 {
			top = top sprintf(" %s %.1f,", $NF, $4 / n)
		}
		END {
			sub(/,$/, "", top)
			printf "%s: user %.3f ms/msg, system %.3f ms/msg, %.1f system calls/msg:%s\n",
			    name, u * 1000 / hz / n, s * 1000 / hz / n, total / n, top
		}' "$OUT/$name.strace"
}

# Ir per message, rounded.
per_msg() {
	echo $((($1 + MESSAGES / 2) / MESSAGES))
}

# The top functions of a dump, with a per-message column: inclusive (yes) or not (no).
top_functions() {
	callgrind_annotate --inclusive="$2" --threshold=100 "$1" 2>/dev/null |
		awk -v n="$MESSAGES" -v top="$TOP" -v excl="$([ "$2" = no ] && echo 1 || echo 0)" '
		/^-+$/ { dashes++; next }
		# In the exclusive list callgrind_annotate shows thread entry points with
		# their inclusive cost: left out.
		excl && /clone\.S:clone|pthread_create\.c:start_thread/ { next }
		dashes >= 3 && /^ *[0-9][0-9,]* / && shown < top {
			ir = $1; gsub(",", "", ir)
			$1 = ""
			sub(/^ +/, "")
			printf "%12.0f  %s\n", ir / n, $0
			shown++
		}'
}

echo "# $NSET messages (${DOMAINS} domains x $MIX)," \
	"$MESSAGES profiled after a warm-up of $((2 * NSET)), $KIND sockets; files in $OUT"
profile pm || exit 1
PM_TOTAL="$TOTAL"
PM_DUMP="$DUMP"
echo "posture-milter: $(per_msg "$PM_TOTAL") Ir/message ($PM_TOTAL Ir in $MESSAGES messages; $PM_DUMP)"
if [ "$WITH_NULL" = 1 ]; then
	profile null || exit 1
	NULL_TOTAL="$TOTAL"
	echo "null-milter:    $(per_msg "$NULL_TOTAL") Ir/message ($NULL_TOTAL Ir in $MESSAGES messages; $DUMP)"
	awk -v a="$PM_TOTAL" -v b="$NULL_TOTAL" -v n="$MESSAGES" 'BEGIN {
		printf "posture-milter / null-milter: %.2fx; difference %.0f Ir/message\n",
		    a / b, (a - b) / n }'
fi
echo
echo "# posture-milter by library (callgrind_groups.py)"
python3 "$top_srcdir/tests/bench/callgrind_groups.py" -n "$MESSAGES" -p "$PM" "$PM_DUMP"
if [ "$WITH_NULL" = 1 ]; then
	echo
	echo "# null-milter by library (callgrind_groups.py)"
	python3 "$top_srcdir/tests/bench/callgrind_groups.py" -n "$MESSAGES" -t 4 -p "$NULLM" \
		"$OUT/callgrind.null.1"
fi
echo
echo "# posture-milter, top $TOP functions by inclusive Ir (Ir/message, function)"
top_functions "$PM_DUMP" yes
echo
echo "# posture-milter, top $TOP functions by exclusive Ir (Ir/message, function)"
top_functions "$PM_DUMP" no
if [ "$NATIVE" = 1 ]; then
	echo
	echo "# without valgrind: CPU time and system calls per message ($NATIVE_MSGS messages each)"
	native pm || exit 1
	if [ "$WITH_NULL" = 1 ]; then
		native null || exit 1
	fi
fi
