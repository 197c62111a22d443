#!/bin/bash
# postfix_milter.sh - posture-milter inside a real Postfix on loopback (an automake test).
#
# Starts a private NSD on the fixture zones (nsd.sh) and a private Postfix relaying to
# smtp-sink (postfix.sh), then:
#  - the harness itself, with the null milter (null-milter, built by make): a message
#    through a unix and an inet milter socket arrives with exactly one X-Null-Milter;
#  - posture-milter, started in the foreground on a generated configuration (Socket,
#    Resolver 127.0.0.1:NSDPORT, AuthservID test.local, EvaluationTimeout 3, UserID
#    postfix), attached with smtpd_milters (one smtpd listener per milter, see
#    postfix.sh). Messages sent with python3 smtplib, from good.test, dmarc-p-none.test,
#    mx-null.test, a From that differs from MAIL FROM, and one that carries forged
#    X-Domain-Posture headers (three spellings, one with our authserv-id). For each delivered message: exactly one
#    X-Domain-Posture per evaluated domain (From first), authserv-id test.local,
#    domain=, grade= and every family's result word and warn/error codes as posture-check
#    reports them for the same domain on the same NSD, plus fixed anchors (good.test is
#    grade A; dmarc-p-none.test has dmarc=weak (DMARC_POLICY_NONE); mx-null.test has
#    mx=broken (MX_NULL)); lines folded under 78 columns; no forged header left;
#    the findings logged. A good.test message over an inet milter socket too.
#  - forged copies (unix socket): Authentication-Results with our authserv-id as a
#    quoted-string are removed; MaxForgedHeaders (default 100): 60 forged
#    X-Domain-Posture + 40 our-id Authentication-Results are all removed, 61 + 40 are
#    refused 550 5.7.1 with a log line naming the queue id and the counts, and a flood
#    of 10100 is refused 550 5.7.1 with no panic in Postfix's log (the time it took is
#    printed, not judged).
#  - prompt ACKs over inet (null milter and posture-milter): the program exports
#    accept() and read() (nm -D), so libmilter's calls reach milter/tcp_ack.c; 6
#    messages go through, their SMTP times printed. Whether the ACKs are prompt is a
#    speed: tests/bench/bench_postfix.sh measures it (BENCHMARKS.md), no test times it.
#  - a dead resolver: posture-milter restarted with a Resolver that never answers and
#    EvaluationTimeout 2: the message is still delivered, its header saying temperror;
#    and the message's wait is not granted twice (the SMTP transaction stays under
#    twice EvaluationTimeout: a bound with a whole EvaluationTimeout of margin, against
#    the regression where posture and verification each waited the full timeout).
# Prints "ok NAME" / "FAIL NAME: ..." per test and a final "N passed, N failed".
#
# Environment (from Makefile.am TESTS_ENVIRONMENT): top_srcdir, top_builddir, NSD.
# Exit: 0 all passed; 1 some failed; 77 (skip) only when Postfix, nsd or python3 is
# missing, or when not run as root, and CI is not set (with CI set, that is a failure).
# A posture-milter that is not built is a failure, not a skip.
#
# What can go wrong: a sanitizer report in a milter's output (a failure); a message that
# never arrives (each wait is bounded; the Postfix log tail is printed).

set -u

top_srcdir="${top_srcdir:-.}"
top_builddir="${top_builddir:-.}"
ZONES="$top_srcdir/tests/fixtures/zones"
PM="$top_builddir/posture-milter"
PC="$top_builddir/posture-check"
NULLM="$top_builddir/null-milter"
EVAL_TIMEOUT=3
DEAD_TIMEOUT=2

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:exitcode=87"

# shellcheck source=tests/integration/report.sh
. "$top_srcdir/tests/integration/report.sh"
# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/postfix.sh
. "$top_srcdir/tests/integration/postfix.sh"

missing=""
pf_find_binaries || missing="$PF_MISSING"
nsd_find_binary || missing="${missing:+$missing, }nsd (Debian package nsd)"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
[ "$(id -u)" = 0 ] || missing="${missing:+$missing, }root (a private Postfix needs it)"
skip_unless_present "$missing"





if ! nsd_start "$ZONES"; then
	echo "FAIL setup: NSD did not start on the fixture zones (see above)"
	echo "0 passed, 1 failed"
	exit 99
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-pfmilter.XXXXXX")"
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$WORK"'
# One smtpd listener per milter (no reloads: see postfix.sh); sockets chosen first.
declare -A SOCK_LM=() SOCK_PF=()
for m in null-unix null-inet pm-unix pm-inet pm-dead; do
	kind=unix
	[ "${m%-inet}" != "$m" ] && kind=inet
	pf_milter_socket "$kind" "$m" || { echo "FAIL setup: no socket for $m"; exit 99; }
	SOCK_LM[$m]="$PF_MILTER_LIBMILTER"
	SOCK_PF[$m]="$PF_MILTER_POSTFIX"
done
if ! pf_start "null-unix=${SOCK_PF[null-unix]}" "null-inet=${SOCK_PF[null-inet]}" \
	"pm-unix=${SOCK_PF[pm-unix]}" "pm-inet=${SOCK_PF[pm-inet]}" "pm-dead=${SOCK_PF[pm-dead]}"; then
	echo "FAIL setup: the private Postfix did not start (see above)"
	echo "0 passed, 1 failed"
	exit 99
fi
echo "# NSD on 127.0.0.1:$NSD_PORT; Postfix $("$PF_POSTCONF" -c "$PF_CONF" -h mail_version) on 127.0.0.1:$PF_PORT and $(for m in "${!PF_PORTS[@]}"; do printf '%s ' "$m:${PF_PORTS[$m]}"; done)-> smtp-sink :$PF_SINK_PORT ($PF_DIR)"

# ---- python helpers ----

cat >"$WORK/send.py" <<'PYEOF'
"""send.py PORT MAILFROM FROM SUBJECT [HEADER-LINE | --repeat N HEADER-LINE...]: one
message by SMTP (--repeat: the next line N times); prints ms. A refusal: "REFUSED CODE
TEXT MS" on stdout, exit 3."""
import smtplib, sys, time
port, mail_from, hdr_from, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
lines = ["From: <%s>" % hdr_from, "To: <rcpt@x.test>", "Subject: " + subject,
         "Message-ID: <%s@posture-test.invalid>" % subject]
args = sys.argv[5:]
while args:
    if args[0] == "--repeat":
        lines += [args[2]] * int(args[1])
        args = args[3:]
    else:
        lines.append(args.pop(0))
msg = "\r\n".join(lines) + "\r\n\r\nA test message for " + subject + ".\r\n"
t0 = time.monotonic()
try:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.sendmail(mail_from, ["rcpt@x.test"], msg)
except smtplib.SMTPResponseException as e:
    text = e.smtp_error if isinstance(e.smtp_error, str) else e.smtp_error.decode("utf-8", "replace")
    print("REFUSED %d %s %d" % (e.smtp_code, text, int((time.monotonic() - t0) * 1000)))
    sys.exit(3)
print(int((time.monotonic() - t0) * 1000))
PYEOF

cat >"$WORK/headers.py" <<'PYEOF'
"""headers.py: find a delivered message by Subject and check its X-Domain-Posture headers.

headers.py find SINKDIR SUBJECT                 print the file name, exit 1 when absent
headers.py count FILE NAME                      print how many NAME headers FILE has
headers.py posture FILE AUTHSERV [options] DOMAIN...
    the X-Domain-Posture headers of FILE must be exactly one per DOMAIN, in that order,
    each starting with AUTHSERV, with domain=DOMAIN, and physical lines under 78 columns.
    --pc DOMAIN=FILE.json   grade, family results and warn/error codes as posture-check says
    --want DOMAIN:TEXT      the header of DOMAIN has TEXT (e.g. "dmarc=weak (DMARC_POLICY_NONE)")
    --grade DOMAIN=G        the grade
    --all-temperror DOMAIN  every family result is temperror
    --forbid TEXT           no X-Domain-Posture header contains TEXT
    --forbid-any TEXT       no header field of any name contains TEXT
Prints the headers found (one line each); on failure, one line per problem and exit 1.
"""
import glob, json, os, re, sys

HNAME = "x-domain-posture"


def raw_headers(path):
    """[(name, raw_value_lines)] of the header block, in order."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == "":
                break
            if line[:1] in (" ", "\t") and out:
                out[-1][1].append(line)
            elif ":" in line:
                name, _, rest = line.partition(":")
                out.append((name, [line]))
    return out


def value_of(lines):
    text = " ".join(l.strip() for l in lines)
    return text.partition(":")[2].strip()


def parse(value):
    """authserv-id and [(key, word, comment)] of an X-Domain-Posture value."""
    parts = [p.strip() for p in value.split(";")]
    items = []
    for p in parts[1:]:
        if not p:
            continue
        m = re.match(r"^([A-Za-z0-9_-]+)=(\S+)\s*(?:\((.*)\))?$", p)
        items.append((m.group(1), m.group(2), m.group(3) or "") if m else (p, None, ""))
    return parts[0], items


def find(sinkdir, subject):
    for path in sorted(glob.glob(os.path.join(sinkdir, "msg.*")), key=os.path.getmtime):
        for name, lines in raw_headers(path):
            if name.lower() == "subject" and value_of(lines) == subject:
                print(path)
                return 0
    return 1


def posture(argv):
    path, authserv = argv[0], argv[1]
    args, domains = argv[2:], []
    pc, want, grades, alltemp, forbid, forbid_any = {}, [], {}, [], [], []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--pc", "--want", "--grade", "--all-temperror", "--forbid", "--forbid-any"):
            v = args[i + 1]
            i += 2
            if a == "--pc":
                d, _, f = v.partition("=")
                pc[d] = json.load(open(f))
            elif a == "--want":
                d, _, t = v.partition(":")
                want.append((d, t))
            elif a == "--grade":
                d, _, g = v.partition("=")
                grades[d] = g
            elif a == "--all-temperror":
                alltemp.append(v)
            elif a == "--forbid-any":
                forbid_any.append(v)
            else:
                forbid.append(v)
        else:
            domains.append(a)
            i += 1
    probs = []
    for n, lines in raw_headers(path):
        for t in forbid_any:
            if t in " ".join(lines):
                probs.append("forged %s kept: %r" % (n, value_of(lines)))
    found = [(n, l) for n, l in raw_headers(path) if n.lower() == HNAME]
    for n, lines in found:
        print("  " + value_of(lines))
        for l in lines:
            if len(l.expandtabs(8)) > 78:
                probs.append("line over 78 columns (%d): %r" % (len(l.expandtabs(8)), l))
        for t in forbid:
            if t in " ".join(lines):
                probs.append("forged header kept: %r" % value_of(lines))
    parsed = [parse(value_of(l)) for _, l in found]
    got = [dict((k, w) for k, w, _ in items).get("domain") for _, items in parsed]
    if got != domains:
        probs.append("X-Domain-Posture domains %r, expected exactly %r" % (got, domains))
    for (aid, items), (_, lines) in zip(parsed, found):
        d = dict((k, (w, c)) for k, w, c in items)
        dom = d.get("domain", (None,))[0]
        text = value_of(lines)
        if aid != authserv:
            probs.append("%s: authserv-id %r, expected %r" % (dom, aid, authserv))
        if [k for k, _, _ in items[:2]] != ["domain", "grade"]:
            probs.append("%s: expected domain= then grade= after the authserv-id" % dom)
        if dom in grades and d.get("grade", (None,))[0] != grades[dom]:
            probs.append("%s: grade %r, expected %r" % (dom, d.get("grade", (None,))[0], grades[dom]))
        for wd, t in want:
            if wd == dom and t not in text:
                probs.append("%s: %r not in the header" % (dom, t))
        if dom in alltemp:
            fams = [(k, w) for k, w, _ in items if k not in ("domain", "grade")]
            if not fams or any(w != "temperror" for _, w in fams):
                probs.append("%s: expected every family temperror, got %r" % (dom, fams))
        if dom in pc:
            ev = pc[dom]
            if d.get("grade", (None,))[0] != ev.get("grade"):
                probs.append("%s: grade %r, posture-check says %r"
                             % (dom, d.get("grade", (None,))[0], ev.get("grade")))
            for fam, res in ev.get("checks", {}).items():
                if fam not in d:
                    probs.append("%s: family %s missing (posture-check: %s)" % (dom, fam, res["result"]))
                    continue
                word, comment = d[fam]
                if word != res["result"]:
                    probs.append("%s: %s=%s, posture-check says %s" % (dom, fam, word, res["result"]))
                codes = [f["code"] for f in ev.get("findings", [])
                         if f.get("family") == fam and f.get("severity") in ("warn", "error")]
                for c in codes:
                    if c not in comment.split():
                        probs.append("%s: %s comment %r lacks %s" % (dom, fam, comment, c))
    for p in probs:
        print("PROBLEM " + p)
    return 1 if probs else 0


def main(argv):
    if argv[0] == "find":
        return find(argv[1], argv[2])
    if argv[0] == "count":
        n = sum(1 for name, _ in raw_headers(argv[1]) if name.lower() == argv[2].lower())
        print(n)
        return 0
    if argv[0] == "posture":
        return posture(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
PYEOF

SENT=0
SEND_PORT="$PF_PORT"

# Send one message to SEND_PORT: send NAME MAILFROM FROM [HEADER-LINE...]; the Subject
# is NAME. Sets SEND_MS; 1 when the SMTP transaction failed.
send() {
	local name="$1" mfrom="$2" hfrom="$3"
	shift 3
	if ! SEND_MS="$(python3 "$WORK/send.py" "$SEND_PORT" "$mfrom" "$hfrom" "$name" "$@" \
		2>"$WORK/send.err")"; then
		fail "$name" "the SMTP transaction failed" - <"$WORK/send.err"
		return 1
	fi
	SENT=$((SENT + 1))
}

# Send a message the milter must refuse: send_refused NAME MAILFROM FROM [send.py
# HEADER ARGS...]. Sets REFUSED ("CODE TEXT") and SEND_MS; 1 (a failure reported)
# when the transaction did not end in a refusal.
send_refused() {
	local name="$1" mfrom="$2" hfrom="$3" out rc
	shift 3
	out="$(python3 "$WORK/send.py" "$SEND_PORT" "$mfrom" "$hfrom" "$name" "$@" 2>"$WORK/send.err")"
	rc=$?
	if [ "$rc" != 3 ]; then
		[ "$rc" = 0 ] && SENT=$((SENT + 1))
		fail "$name" "expected a refusal; send.py exit $rc: $out" - <"$WORK/send.err"
		return 1
	fi
	SEND_MS="${out##* }"
	REFUSED="${out#REFUSED }"
	REFUSED="${REFUSED% *}"
}

# Wait for the message with Subject NAME in the sink; sets MSG; 1 after $2 seconds.
delivered() {
	local name="$1" limit="${2:-20}" t0
	t0=$(date +%s)
	while ! MSG="$(python3 "$WORK/headers.py" find "$PF_SINK_DIR" "$name")"; do
		if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
			return 1
		fi
		sleep 0.1
	done
	# The dump is complete once Postfix logged the delivery.
	pf_wait_sent "$SENT" "$limit"
}

# Postfix's complaints about milters (an unreachable milter is skipped: default accept).
milter_warnings() {
	grep -iE 'warning:.*milter' "$PF_LOG" | tail -n 3 | sed 's/^/postfix: /'
}

# A sanitizer report or a crash in a milter's output file; prints it.
milter_broke() {
	if grep -qE 'Sanitizer|runtime error:' "$1"; then
		grep -m3 -E 'Sanitizer|runtime error:|SUMMARY' "$1"
		return 0
	fi
	return 1
}

# Stock libmilter over TCP stalls ~40 ms at least twice per message (Postfix's
# unanswered macro packets wait for the milter side's delayed ACK; replies written in
# small pieces wait for Nagle). tcp_ack.c removes the stalls, but only if the program
# exports its accept() and read() so that libmilter's calls reach them: that is what
# is checked here (BINARY, the milter under test), with 6 messages through it whose SMTP
# times are printed. The speed itself is bench_postfix.sh's to measure.
prompt_ack_check() {
	local name="$1" from="$2" bin="$3" times=() missing=""
	for sym in accept read; do
		nm -D --defined-only "$bin" 2>/dev/null | grep -qE " T $sym\$" ||
			missing="${missing:+$missing, }$sym"
	done
	for i in 1 2 3 4 5 6; do
		send "$name-$i" "$from" "$from" || return
		times+=("$SEND_MS")
	done
	if [ -n "$missing" ]; then
		fail "$name" "$bin does not export $missing: libmilter's TCP connections get no prompt ACKs (milter/tcp_ack.c)"
	else
		pass "$name (accept and read interposed; SMTP ms: ${times[*]})"
	fi
}

# ---- the harness, with the null milter ----

# One message through the null milter over a socket KIND: exactly one X-Null-Milter.
test_null_milter() {
	local kind="$1" name="null-milter-$1" log n
	log="$WORK/null-$kind.log"
	if [ ! -x "$NULLM" ]; then
		fail "$name" "$NULLM not built"
		return
	fi
	pf_spawn "$log" "$NULLM" -p "${SOCK_LM[null-$kind]}"
	if ! pf_wait_milter "${SOCK_PF[null-$kind]}" 10; then
		fail "$name" "the null milter did not listen on ${SOCK_LM[null-$kind]}" - <"$log"
		pf_kill "$PF_SPAWN_PID"
		return
	fi
	SEND_PORT="$(pf_port "null-$kind")"
	if send "$name" "sender@good.test" "sender@good.test"; then
		if ! delivered "$name" 20; then
			fail "$name" "not delivered within 20 s" - < <(tail -n 20 "$PF_LOG")
		elif n="$(python3 "$WORK/headers.py" count "$MSG" X-Null-Milter)" && [ "$n" = 1 ]; then
			pass "$name (${SEND_MS} ms)"
		else
			fail "$name" "expected one X-Null-Milter, found ${n:-?}" - <"$MSG"
		fi
		[ "$kind" = inet ] && prompt_ack_check "$name-prompt-ack" sender@good.test "$NULLM"
	fi
	pf_kill "$PF_SPAWN_PID"
	if milter_broke "$log" >"$WORK/why"; then
		fail "$name-sanitizer" "sanitizer report" - <"$WORK/why"
	fi
}

test_null_milter unix
test_null_milter inet

# ---- posture-milter ----

if [ ! -x "$PM" ]; then
	fail posture-milter "$PM is not built: the posture-milter tests cannot run"
	finish
fi

PM_PID=""
PM_LOG=""

# Postfix's smtpd runs as mail_owner: the milter runs as that user too, so that the
# unix socket it creates (mode 0660) is one smtpd may connect to.
MAIL_OWNER="$("$PF_POSTCONF" -c "$PF_CONF" -h mail_owner)"

# Write a configuration: pm_conf FILE SOCKET RESOLVER TIMEOUT.
pm_conf() {
	printf '# generated by postfix_milter.sh\nSocket %s\nResolver %s\nAuthservID test.local\nEvaluationTimeout %s\nUserID %s\n' \
		"$2" "$3" "$4" "$MAIL_OWNER" >"$1"
}

# Start posture-milter as NAME (pm-unix, pm-inet, pm-dead) on CONF, logging to LOG, and
# send to its listener; 1 when it does not listen.
pm_start() {
	local name="$1" conf="$2"
	PM_LOG="$3"
	pf_spawn "$PM_LOG" "$PM" -f -c "$conf"
	PM_PID="$PF_SPAWN_PID"
	SEND_PORT="$(pf_port "$name")"
	pf_wait_milter "${SOCK_PF[$name]}" 15
}

# Stop posture-milter; its death before that or a sanitizer report is a failure.
pm_stop() {
	local name="$1"
	if [ -n "$PM_PID" ]; then
		if ! kill -0 "$PM_PID" 2>/dev/null; then
			fail "$name-alive" "posture-milter exited before it was stopped" - < <(tail -n 20 "$PM_LOG")
		fi
		pf_kill "$PM_PID"
		PM_PID=""
	fi
	if milter_broke "$PM_LOG" >"$WORK/why"; then
		fail "$name-sanitizer" "sanitizer report in posture-milter's output" - <"$WORK/why"
	fi
}

# posture-check's JSON for DOMAIN into $WORK/pc-DOMAIN.json (the reference).
pc_reference() {
	"$PC" --resolver "127.0.0.1:$NSD_PORT" --json --timeout 5 "$1" >"$WORK/pc-$1.json" 2>/dev/null
}

# Send a message and check its X-Domain-Posture headers:
# check_message NAME MAILFROM FROM 'HEADER-LINES' -- HEADERS.PY-OPTIONS AND DOMAINS...
check_message() {
	local name="$1" mfrom="$2" hfrom="$3" extra="$4" out
	shift 5
	local extra_args=()
	if [ -n "$extra" ]; then
		mapfile -t extra_args <<<"$extra"
	fi
	send "$name" "$mfrom" "$hfrom" "${extra_args[@]}" || return
	if ! delivered "$name" 20; then
		fail "$name" "not delivered within 20 s" - < <(tail -n 20 "$PF_LOG"; tail -n 10 "$PM_LOG")
		return
	fi
	if out="$(python3 "$WORK/headers.py" posture "$MSG" test.local "$@")"; then
		pass "$name (${SEND_MS} ms)"
		printf '%s\n' "$out" | sed 's/^/#/'
	else
		fail "$name" "$(printf '%s\n' "$out" | grep -c '^PROBLEM') problem(s)" - \
			< <(printf '%s\n' "$out"; milter_warnings)
	fi
}

for d in good.test dmarc-p-none.test mx-null.test; do
	pc_reference "$d" || fail "posture-check-$d" "posture-check failed on $d (the reference)"
done

# MaxForgedHeaders (default 100): forged X-Domain-Posture and our-id
# Authentication-Results fields counted together. At the cap all are removed; one more
# and Postfix answers the client 550 5.7.1 from the milter, which logs the queue id and
# the count; 10100 (Postfix's cleanup used to panic on that many deletions, answering
# 451 for the sender to retry) are refused just as promptly, cleanup untroubled.
FLOOD=10100
test_forged_cap() {
	local xdp='X-Domain-Posture: test.local; domain=good.test; grade=A (FORGEDCAP)'
	local ar='Authentication-Results: test.local; dmarc=pass (FORGEDCAP)'
	local lines pflog_mark line
	lines="$(for _ in $(seq 60); do echo "$xdp"; done; for _ in $(seq 40); do echo "$ar"; done)"
	check_message "forged-cap-at" user@good.test user@good.test "$lines" -- \
		--forbid-any FORGEDCAP --grade good.test=A good.test
	if send_refused forged-cap-over user@good.test user@good.test \
		--repeat 61 "$xdp" --repeat 40 "$ar"; then
		line="$(grep -E '^posture-milter: [0-9A-Za-z]+: rejected: 101 forged X-Domain-Posture and Authentication-Results fields \(61 and 40\), over MaxForgedHeaders 100$' "$PM_LOG")"
		if [ "${REFUSED#550 5.7.1 }" = "$REFUSED" ]; then
			fail forged-cap-over "refused with '$REFUSED', expected 550 5.7.1"
		elif [ -z "$line" ]; then
			fail forged-cap-over "no log line with the queue id and the count" - < <(tail -n 5 "$PM_LOG")
		else
			pass "forged-cap-over ($REFUSED; $line)"
		fi
	fi
	pflog_mark="$(wc -l <"$PF_LOG")"
	if send_refused forged-flood user@good.test user@good.test \
		--repeat "$FLOOD" "X-Domain-Posture: junk (FLOOD)"; then
		if [ "${REFUSED#550 5.7.1 }" = "$REFUSED" ]; then
			fail forged-flood "refused with '$REFUSED', expected 550 5.7.1"
		elif tail -n +"$((pflog_mark + 1))" "$PF_LOG" | grep -qiE 'panic|fatal|reverse jump|signal [0-9]'; then
			fail forged-flood "Postfix complained" - < <(tail -n +"$((pflog_mark + 1))" "$PF_LOG" |
				grep -iE 'panic|fatal|reverse jump|signal [0-9]' | head -n 5)
		elif ! grep -q "rejected: $FLOOD forged X-Domain-Posture" "$PM_LOG"; then
			fail forged-flood "no rejection logged for $FLOOD fields" - < <(tail -n 5 "$PM_LOG")
		else
			pass "forged-flood ($FLOOD fields: $REFUSED in $SEND_MS ms)"
		fi
	fi
}

# The fixture messages, over socket KIND.
run_posture_messages() {
	local kind="$1" conf="$WORK/pm-$1.conf" suffix="$2"
	pm_conf "$conf" "${SOCK_LM[pm-$kind]}" "127.0.0.1:$NSD_PORT" "$EVAL_TIMEOUT"
	if ! pm_start "pm-$kind" "$conf" "$WORK/pm-$kind.log"; then
		fail "posture-milter-$kind-start" "posture-milter did not listen on ${SOCK_LM[pm-$kind]}" - \
			< <(tail -n 30 "$WORK/pm-$kind.log")
		pm_stop "posture-milter-$kind"
		return 1
	fi
	check_message "good$suffix" user@good.test user@good.test "" -- \
		--pc "good.test=$WORK/pc-good.test.json" --grade good.test=A \
		--want "good.test:mx=ok" --want "good.test:dmarc=ok" good.test
	if [ -n "$suffix" ]; then
		prompt_ack_check "good$suffix-prompt-ack" user@good.test "$PM"
		pm_stop "posture-milter-$kind"
		return 0
	fi
	check_message "dmarc-p-none" user@dmarc-p-none.test user@dmarc-p-none.test "" -- \
		--pc "dmarc-p-none.test=$WORK/pc-dmarc-p-none.test.json" \
		--want "dmarc-p-none.test:dmarc=weak (DMARC_POLICY_NONE)" dmarc-p-none.test
	check_message "mx-null" user@mx-null.test user@mx-null.test "" -- \
		--pc "mx-null.test=$WORK/pc-mx-null.test.json" \
		--want "mx-null.test:mx=broken (MX_NULL)" mx-null.test
	check_message "from-differs" bounce@dmarc-p-none.test author@good.test "" -- \
		--pc "good.test=$WORK/pc-good.test.json" \
		--pc "dmarc-p-none.test=$WORK/pc-dmarc-p-none.test.json" \
		--grade good.test=A --want "dmarc-p-none.test:dmarc=weak (DMARC_POLICY_NONE)" \
		good.test dmarc-p-none.test
	check_message "forged-headers" user@good.test user@good.test \
		"$(printf '%s\n%s\n%s' \
			'X-Domain-Posture: test.local; domain=good.test; grade=F; mx=broken (FORGED1)' \
			'x-domain-posture: evil.example; domain=good.test; grade=F (FORGED2)' \
			'X-DOMAIN-POSTURE: test.local; domain=good.test; grade=F (FORGED3)')" -- \
		--pc "good.test=$WORK/pc-good.test.json" --grade good.test=A \
		--forbid FORGED1 --forbid FORGED2 --forbid FORGED3 --forbid evil.example good.test
	# RFC 8601 2.2: a quoted-string authserv-id is ours too.
	check_message "forged-quoted-authres" user@good.test user@good.test \
		"$(printf '%s\n%s' \
			'Authentication-Results: "test.local"; dmarc=pass (FORGEDQ1) header.from=good.test' \
			'Authentication-Results: (c) "TEST\.local" 1; dkim=pass (FORGEDQ2)')" -- \
		--forbid-any FORGEDQ1 --forbid-any FORGEDQ2 --grade good.test=A good.test
	test_forged_cap
	# The findings are logged: DMARC_POLICY_NONE for dmarc-p-none.test.
	if grep -q 'dmarc-p-none\.test.*DMARC_POLICY_NONE' "$PM_LOG"; then
		pass "log-findings"
	else
		fail "log-findings" "no log line names dmarc-p-none.test and DMARC_POLICY_NONE" - \
			< <(tail -n 20 "$PM_LOG")
	fi
	pm_stop "posture-milter-$kind"
}

run_posture_messages unix ""
run_posture_messages inet "-inet"

# ---- a dead resolver: delivered anyway, the message's wait not granted twice ----

test_dead_resolver() {
	local name=dead-resolver conf="$WORK/pm-dead.conf" port="" t0 ms out
	python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    s.recv(65535)
' >"$WORK/silent.port" &
	# shellcheck disable=SC2034 # used at exit
	SILENT_PID=$!
	# shellcheck disable=SC2016 # expanded at exit
	pf_at_exit 'kill "$SILENT_PID" 2>/dev/null; wait "$SILENT_PID" 2>/dev/null'
	for _ in $(seq 1 50); do
		port="$(head -n1 "$WORK/silent.port" 2>/dev/null)"
		[ -n "$port" ] && break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		fail "$name" "the silent UDP server did not start"
		return
	fi
	pm_conf "$conf" "${SOCK_LM[pm-dead]}" "127.0.0.1:$port" "$DEAD_TIMEOUT"
	if ! pm_start pm-dead "$conf" "$WORK/pm-dead.log"; then
		fail "$name" "posture-milter did not start" - < <(tail -n 30 "$WORK/pm-dead.log")
		pm_stop "$name"
		return
	fi
	t0=$(date +%s%N)
	if send "$name" user@good.test user@good.test; then
		if ! delivered "$name" $((DEAD_TIMEOUT * 2 + 20)); then
			fail "$name" "not delivered" - < <(tail -n 20 "$PF_LOG"; tail -n 10 "$PM_LOG")
		else
			ms=$((($(date +%s%N) - t0) / 1000000))
			if ! out="$(python3 "$WORK/headers.py" posture "$MSG" test.local \
				--all-temperror good.test good.test)"; then
				fail "$name" "header" - < <(printf "%s\n" "$out"; milter_warnings)
			elif [ "$SEND_MS" -ge $((DEAD_TIMEOUT * 2000)) ]; then
				fail "$name" "the SMTP transaction took $SEND_MS ms: twice EvaluationTimeout $DEAD_TIMEOUT s or more (the posture wait and the verification each waited the whole timeout)" - \
					< <(grep -E 'posture|not evaluated' "$PM_LOG" | tail -n 3)
			else
				pass "$name (delivered after $ms ms, SMTP $SEND_MS ms, EvaluationTimeout ${DEAD_TIMEOUT}s)"
				printf '%s\n' "$out" | sed 's/^/#/'
			fi
		fi
	fi
	pm_stop "$name"
}

test_dead_resolver
finish
