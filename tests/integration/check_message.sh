#!/bin/bash
# check_message.sh - posture-check --message against a real NSD on loopback (an automake
# test): SPF, DKIM and DMARC verdicts of messages signed at test time.
#
# At test time: the verification fixtures (verify_fixtures.sh: keys made with openssl,
# the fixture zones plus generated ones, messages signed with dkim_sign_tool, and the
# cases table), NSD serving them (nsd.sh). Each case runs
#   posture-check --resolver 127.0.0.1:PORT --json --message M --client-ip IP ...
# and checks the "verification" object (and the rest of the report) with a small
# python3 reader: every row of the cases table (the same rows postfix_verify.sh sends
# through Postfix: pass, body and header modified, key revoked, key under 1024 bits,
# rsa-sha1, From unsigned, expired x=, l=, t=y, missing key, two signatures, Ed25519,
# misaligned d=, relaxed vs strict subdomains, SPF pass/fail/softfail/permerror, null
# sender); the reasons and comments of the refused signatures; DKIM over LF and CRLF
# files and stdin; SPF none, IPv6, the HELO identity for the null sender and MAIL FROM
# taken from Return-Path; two authors (permerror); the domains reported (From, then
# MAIL FROM when it differs); the text report within 80 columns; a refusing resolver
# (temperror, exit 1); bad usage (exit 2, one line); a message over the size limit.
# Prints "ok NAME" / "FAIL NAME: ..." per case and "N passed, N failed".
#
# Environment (Makefile.am TESTS_ENVIRONMENT): top_srcdir, top_builddir, NSD.
# Exit: 0 all passed; 1 some failed; 77 (skip) only when nsd, python3 or openssl is
# missing and CI is not set; 99 when posture-check or dkim_sign_tool is not built or
# NSD cannot start.
#
# What can go wrong: a sanitizer report on posture-check's stderr (a failure even with
# the expected exit status); a hung run (timeout(1), 30 s each).

set -u

top_srcdir="${top_srcdir:-.}"
top_builddir="${top_builddir:-.}"
PC="$top_builddir/posture-check"
SIGN="$top_builddir/dkim_sign_tool"
RUN_LIMIT=30

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:exitcode=87"

# shellcheck source=tests/integration/report.sh
. "$top_srcdir/tests/integration/report.sh"
# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"

missing=""
nsd_find_binary || missing="nsd (Debian package nsd)"
command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
command -v openssl >/dev/null || missing="${missing:+$missing, }openssl"
skip_unless_present "$missing"
require_built "$PC" "$SIGN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-checkmsg.XXXXXX")" || exit 99
trap 'rm -rf "$WORK"' EXIT

# ---- keys, zones and messages made now (verify_fixtures.sh) ----

# shellcheck source=tests/integration/verify_fixtures.sh
. "$top_srcdir/tests/integration/verify_fixtures.sh"
VF="$WORK/vf"
if ! vf_make "$VF" "$SIGN" "$top_srcdir"; then
	echo "FAIL setup: the verification fixtures could not be made (see above)"
	echo "0 passed, 1 failed"
	exit 99
fi
ZONES="$VF/zones"

if ! nsd_start "$ZONES"; then
	echo "FAIL setup: NSD did not start on the zones (see above)"
	echo "0 passed, 1 failed"
	exit 99
fi
RESOLVER="127.0.0.1:$NSD_PORT"
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$WORK"'
echo "# NSD on $RESOLVER, keys and zones generated in $WORK"

# ---- the JSON reader ----

cat >"$WORK/jcheck.py" <<'PYEOF'
"""jcheck.py FILE EXPR... - check posture-check's JSON.

The report is one object or an array of them; paths start at the first object, or at
object N with "@N.". EXPR: "path=value" (value as JSON text: true, null, 2048, or a
bare string), "path~text" (the value's text contains it), "path?" (present), "path!"
(absent), "#=N" (number of objects). Paths: keys and list indexes joined by dots.
Prints one line per unmet expression; exit 0 when all hold."""
import json, sys


def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def walk(objs, path):
    root = objs[0]
    parts = path.split(".")
    if parts[0].startswith("@"):
        root = objs[int(parts[0][1:])]
        parts = parts[1:]
    cur = root
    for p in parts:
        if isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        elif isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            raise KeyError(path)
    return cur


def main(argv):
    raw = open(argv[0], encoding="utf-8").read()
    try:
        doc = json.loads(raw)
    except ValueError as e:
        print("not JSON (%s): %r" % (e, raw[:200]))
        return 1
    objs = doc if isinstance(doc, list) else [doc]
    bad = 0
    for expr in argv[1:]:
        try:
            if expr.startswith("#="):
                ok, got = len(objs) == int(expr[2:]), len(objs)
            elif expr.endswith("?") or expr.endswith("!"):
                try:
                    walk(objs, expr[:-1])
                    present = True
                except KeyError:
                    present = False
                ok, got = present == expr.endswith("?"), "present" if present else "absent"
            elif "~" in expr and ("=" not in expr or expr.index("~") < expr.index("=")):
                path, want = expr.split("~", 1)
                got = text(walk(objs, path))
                ok = want in got
            else:
                path, want = expr.split("=", 1)
                got = text(walk(objs, path))
                ok = got == want
        except (KeyError, IndexError, ValueError) as e:
            ok, got = False, "missing (%s)" % e
        if not ok:
            print("%s: got %s" % (expr, str(got)[:300]))
            bad += 1
    return 1 if bad else 0


sys.exit(main(sys.argv[1:]))
PYEOF




# pc_run OUT ERR ARGS...: run posture-check with a time limit; sets RC.
pc_run() {
	local out="$1" err="$2"
	shift 2
	timeout "$RUN_LIMIT" "$PC" "$@" >"$out" 2>"$err"
	RC=$?
}

# A sanitizer report or a timeout in the last run; prints the reason.
run_broke() {
	if [ "$RC" = 124 ]; then
		echo "posture-check ran over ${RUN_LIMIT}s"
		return 0
	fi
	if grep -qE 'Sanitizer|runtime error:' "$1"; then
		echo "sanitizer: $(grep -m1 -E 'Sanitizer|runtime error:' "$1")"
		return 0
	fi
	return 1
}

# case_json NAME WANT_RC "POSTURE-CHECK ARGS" EXPR...: run --json, check RC and EXPRs.
case_json() {
	local name="$1" want_rc="$2" out="$WORK/$1.json" err="$WORK/$1.err" why args
	read -r -a args <<<"$3"
	shift 3
	pc_run "$out" "$err" --resolver "$RESOLVER" --timeout 5 --json "${args[@]}"
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
		return
	fi
	if [ "$RC" != "$want_rc" ]; then
		fail "$name" "exit status $RC, expected $want_rc" - < <(head -n 3 "$err"; head -c 600 "$out")
		return
	fi
	if ! python3 "$WORK/jcheck.py" "$out" "$@" >"$WORK/$name.why"; then
		fail "$name" "$(wc -l <"$WORK/$name.why") unmet" - < <(cat "$WORK/$name.why"
			echo "authentication_results: $(python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); d=d[0] if isinstance(d,list) else d
print(d["verification"]["authentication_results"])' "$out" 2>&1)")
		return
	fi
	pass "$name"
}

M="$VF/msg"

# ---- DKIM ----

case_json dkim-rsa-pass 0 "--message $M/rsa.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	'#=1' domain=dkimv.test grade? \
	verification.spf.result=pass verification.spf.domain=dkimv.test \
	verification.spf.scope=mailfrom verification.spf.mechanism=ip4:127.0.0.1 \
	verification.dkim.0.result=pass verification.dkim.0.domain=dkimv.test \
	verification.dkim.0.selector=rsa verification.dkim.0.algorithm=rsa-sha256 \
	verification.dkim.0.key_bits=2048 verification.dkim.0.from_signed=true \
	verification.dkim.0.body_length=false verification.dkim.0.testing=false \
	verification.dkim.0.reason=null verification.dkim.1! \
	verification.dmarc.result=pass verification.dmarc.from_domain=dkimv.test \
	verification.dmarc.policy_domain=dkimv.test verification.dmarc.policy=reject \
	verification.dmarc.policy_tag=p verification.dmarc.disposition=none \
	verification.dmarc.spf_aligned=true verification.dmarc.dkim_aligned=true \
	verification.dmarc.testing=false verification.dmarc.pct=null \
	'verification.authentication_results~; spf=pass smtp.mailfrom=dkimv.test;' \
	'verification.authentication_results~dkim=pass (2048-bit key) header.d=dkimv.test header.s=rsa' \
	'verification.authentication_results~dmarc=pass (p=reject) header.from=dkimv.test' \
	message.mail_from='<a@dkimv.test>' message.mail_from_source=option \
	message.client_ip=127.0.0.1 message.from_domains.0=dkimv.test

sed 's/$/\r/' "$M/plain.eml" >"$M/plain-crlf.eml"
vf_sign "$VF" plain-crlf rsa-crlf rsa dkimv.test rsa -c simple/simple ||
	fail setup "dkim_sign_tool failed: $(head -n 1 "$VF/sign.err")"
case_json dkim-crlf-simple-pass 0 "--message $M/rsa-crlf.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=pass verification.dmarc.result=pass
# The CRLF message read with LF line ends, as a file saved on Unix: still verified.
tr -d '\r' <"$M/rsa-crlf.eml" >"$M/rsa-crlf-as-lf.eml"
case_json dkim-simple-lf-file-pass 0 "--message $M/rsa-crlf-as-lf.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=pass

case_json dkim-ed25519-pass 0 "--message $M/ed.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=pass verification.dkim.0.algorithm=ed25519-sha256 \
	verification.dkim.0.key_bits=256 verification.dmarc.dkim_aligned=true

case_json dkim-body-modified-fail 0 "--message $M/rsa-body.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=fail verification.dkim.0.reason? \
	verification.dmarc.result=pass verification.dmarc.dkim_aligned=false \
	verification.dmarc.spf_aligned=true \
	'verification.authentication_results~dkim=fail'

case_json dkim-header-modified-fail 0 "--message $M/rsa-header.eml --client-ip 192.0.2.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=fail verification.spf.result=fail \
	verification.dmarc.result=fail verification.dmarc.disposition=reject \
	'verification.authentication_results~dmarc=fail (p=reject)'

case_json dkim-no-key-permerror 0 "--message $M/nokey.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=permerror verification.dkim.0.selector=missing

case_json dkim-unsigned-none 0 "--message $M/plain.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim=[] 'verification.authentication_results~dkim=none'

# ---- the shared cases table (verify_fixtures.sh; postfix_verify.sh sends the same) ----

# table_case NAME IP MAIL_FROM HELO SPF DKIM DMARC: the three verdicts as the table says.
table_case() {
	local name="$1" ip="$2" mf="$3" helo="$4" spf="$5" dkim="$6" dmarc="$7" i=0 w
	local exprs=("verification.spf.result=$spf" "verification.dmarc.result=$dmarc")
	local opts="--message $M/$name.eml --client-ip $ip --helo $helo"
	[ "$mf" != "<>" ] && opts="$opts --mail-from $mf"
	if [ "$dkim" = none ]; then
		exprs+=("verification.dkim=[]")
	else
		for w in ${dkim//,/ }; do
			exprs+=("verification.dkim.$i.result=$w")
			i=$((i + 1))
		done
		exprs+=("verification.dkim.$i!")
	fi
	case_json "table-$name" 0 "$opts" "${exprs[@]}"
}
while IFS=$'\t' read -r name ip mf helo spf dkim dmarc; do
	case "$name" in '#'* | '') continue ;; esac
	table_case "$name" "$ip" "$mf" "$helo" "$spf" "$dkim" "$dmarc"
done <"$VF/cases"

# What the JSON says beyond the words, for the RFC 8301 / RFC 6376 refusals.
case_json dkim-small-key-policy 0 "--message $M/small.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.key_bits=512 'verification.dkim.0.reason~RFC 8301 3.2' \
	verification.dmarc.dkim_aligned=false \
	'verification.authentication_results~dkim=policy (512-bit key) (key under 1024 bits)'
case_json dkim-sha1-policy 0 "--message $M/sha1.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.algorithm=rsa-sha1 'verification.dkim.0.reason~RFC 8301 3.1' \
	verification.dmarc.dkim_aligned=false
case_json dkim-expired-policy 0 "--message $M/expired.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	'verification.dkim.0.reason~signature expired' \
	'verification.authentication_results~(signature expired)'
case_json dkim-from-unsigned-policy 0 "--message $M/from-unsigned.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.from_signed=false 'verification.dkim.0.reason~RFC 6376 5.4'
case_json dkim-revoked-fail 0 "--message $M/revoked.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	'verification.dkim.0.reason~revoked' 'verification.authentication_results~(key revoked)'
case_json dkim-length-reported 0 "--message $M/length-appended.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.body_length=true 'verification.authentication_results~(l= partial body)'
case_json dkim-testing-reported 0 "--message $M/testing.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.testing=true 'verification.authentication_results~(testing key, t=y)'

# ---- SPF ----

case_json spf-fail 0 "--message $M/rsa.eml --client-ip 192.0.2.1 --mail-from a@dkimv.test" \
	verification.spf.result=fail verification.spf.mechanism=-all \
	verification.dkim.0.result=pass verification.dmarc.result=pass \
	verification.dmarc.spf_aligned=false verification.dmarc.dkim_aligned=true

case_json spf-ipv6-fail 0 "--message $M/rsa.eml --client-ip ::1 --mail-from a@dkimv.test" \
	verification.spf.result=fail message.client_ip=::1

case_json spf-softfail 0 "--message $M/rsa.eml --client-ip 192.0.2.1 --mail-from a@spfv-soft.test" \
	'#=2' domain=dkimv.test @1.domain=spfv-soft.test @1.verification! \
	verification.spf.result=softfail verification.spf.domain=spfv-soft.test \
	verification.spf.mechanism=~all 'verification.authentication_results~spf=softfail smtp.mailfrom=spfv-soft.test'

case_json spf-softfail-pass 0 "--message $M/rsa.eml --client-ip 127.0.0.1 --mail-from <b@spfv-soft.test>" \
	verification.spf.result=pass verification.spf.domain=spfv-soft.test

case_json spf-permerror 0 "--message $M/rsa.eml --client-ip 127.0.0.1 --mail-from a@spfv-perm.test" \
	verification.spf.result=permerror verification.spf.reason? \
	'verification.authentication_results~spf=permerror'

case_json spf-none 0 "--message $M/rsa.eml --client-ip 127.0.0.1 --mail-from a@nonexistent.dkimv-other.test" \
	verification.spf.result=none

# Null sender: SPF checks the HELO identity (RFC 7208 2.3), and the report says why.
case_json spf-helo-null-sender 0 "--message $M/rsa.eml --client-ip 127.0.0.1 --helo dkimv.test" \
	'#=1' verification.spf.result=pass verification.spf.scope=helo \
	verification.spf.domain=dkimv.test message.mail_from='<>' \
	message.mail_from_source=none 'message.notes~null sender' \
	'verification.authentication_results~smtp.helo=dkimv.test'

case_json spf-null-sender-no-helo 0 "--message $M/rsa.eml --client-ip 127.0.0.1" \
	verification.spf.result=none verification.spf.domain=null \
	'verification.authentication_results~spf=none' 'message.notes~no --helo'

{ printf 'Return-Path: <bounce@spfv-soft.test>\n'; cat "$M/rsa.eml"; } >"$M/rsa-return-path.eml"
case_json spf-return-path 0 "--message $M/rsa-return-path.eml --client-ip 192.0.2.1" \
	message.mail_from='<bounce@spfv-soft.test>' message.mail_from_source=return-path \
	verification.spf.result=softfail verification.dkim.0.result=pass '#=2'

# ---- DMARC ----

case_json dmarc-fail-misaligned-d 0 "--message $M/other.eml --client-ip 192.0.2.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=pass verification.dkim.0.domain=dkimv-other.test \
	verification.dmarc.result=fail verification.dmarc.dkim_aligned=false \
	verification.dmarc.spf_aligned=false verification.dmarc.policy=reject \
	verification.dmarc.disposition=reject verification.dmarc.reason? \
	'verification.authentication_results~dmarc=fail (p=reject) header.from=dkimv.test policy.dmarc=reject'

case_json dmarc-relaxed-subdomain-pass 0 "--message $M/sub-relaxed.eml --client-ip 192.0.2.1 --mail-from a@dkimv.test" \
	domain=sub.dkimv.test @1.domain=dkimv.test \
	verification.dkim.0.result=pass verification.dmarc.result=pass \
	verification.dmarc.from_domain=sub.dkimv.test verification.dmarc.policy_domain=dkimv.test \
	verification.dmarc.dkim_aligned=true verification.dmarc.aligned_dkim_domain=dkimv.test

case_json dmarc-strict-same-domain-pass 0 "--message $M/strict-same.eml --client-ip 192.0.2.1 --mail-from a@dkimv-strict.test" \
	verification.dmarc.result=pass verification.dmarc.dkim_aligned=true

case_json dmarc-strict-subdomain-fail 0 "--message $M/strict-sub-signed.eml --client-ip 127.0.0.1 --mail-from a@dkimv-strict.test" \
	verification.dkim.0.result=pass verification.spf.result=pass \
	verification.dmarc.result=fail verification.dmarc.dkim_aligned=false \
	verification.dmarc.spf_aligned=false verification.dmarc.policy=quarantine \
	verification.dmarc.policy_domain=dkimv-strict.test

# Two From fields with different domains: DMARC cannot pick one (RFC 7489 6.6.1).
{ printf 'From: x@dkimv-other.test\n'; cat "$M/rsa.eml"; } >"$M/two-from.eml"
case_json dmarc-two-authors-permerror 0 "--message $M/two-from.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	'#=2' domain=dkimv-other.test @1.domain=dkimv.test \
	verification.dmarc.result=permerror verification.dmarc.from_domain=null \
	'message.notes~2 From fields'

# ---- input forms ----

out="$WORK/stdin.json"
timeout "$RUN_LIMIT" "$PC" --resolver "$RESOLVER" --timeout 5 --json --message - \
	--client-ip 127.0.0.1 --mail-from a@dkimv.test <"$M/rsa.eml" >"$out" 2>"$WORK/stdin.err"
RC=$?
if why="$(run_broke "$WORK/stdin.err")"; then
	fail stdin "$why" - <"$WORK/stdin.err"
elif [ "$RC" != 0 ]; then
	fail stdin "exit status $RC" - <"$WORK/stdin.err"
elif ! python3 "$WORK/jcheck.py" "$out" verification.dkim.0.result=pass message.file=- \
	>"$WORK/stdin.why"; then
	fail stdin "unmet" - <"$WORK/stdin.why"
else
	pass stdin
fi

{ printf 'From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n'; cat "$M/rsa.eml"; } >"$M/mbox.eml"
case_json mbox-from-line 0 "--message $M/mbox.eml --client-ip 127.0.0.1 --mail-from a@dkimv.test" \
	verification.dkim.0.result=pass 'message.notes~mbox'

# ---- text report ----

text_case() {
	local name=text-report out="$WORK/text.out" err="$WORK/text.err" why wide
	pc_run "$out" "$err" --resolver "$RESOLVER" --timeout 5 --message "$M/other.eml" \
		--client-ip 192.0.2.1 --mail-from a@dkimv.test --helo mx.dkimv-other.test
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
		return
	fi
	if [ "$RC" != 0 ]; then
		fail "$name" "exit status $RC" - <"$err"
		return
	fi
	wide="$(expand "$out" | awk 'length > 80 { print NR ": " length " columns" }')"
	if [ -n "$wide" ]; then
		fail "$name" "lines over 80 columns" - <<<"$wide"
		return
	fi
	for want in "Verification:" "  SPF      fail: MAIL FROM dkimv.test" \
		"  DKIM     pass: d=dkimv-other.test s=rsa" "  DMARC    fail: From dkimv.test" \
		"Authentication-Results: " "Domain: dkimv.test" "Client:  192.0.2.1, HELO mx.dkimv-other.test"; do
		if ! grep -qF -- "$want" "$out"; then
			fail "$name" "no line with '$want'" - <"$out"
			return
		fi
	done
	if [ -s "$err" ]; then
		fail "$name" "unexpected stderr" - <"$err"
		return
	fi
	pass "$name"
}
text_case

# A resolver that refuses: temperror verdicts, exit 1 with the reason, the report still out.
dead_resolver_case() {
	local name=dead-resolver out="$WORK/dead.json" err="$WORK/dead.err" why
	timeout "$RUN_LIMIT" "$PC" --resolver 127.0.0.1:1 --timeout 2 --json --message "$M/rsa.eml" \
		--client-ip 127.0.0.1 --mail-from a@dkimv.test >"$out" 2>"$err"
	RC=$?
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 1 ]; then
		fail "$name" "exit status $RC, expected 1" - <"$err"
	elif ! grep -q 'temperror' "$err"; then
		fail "$name" "no temperror reason on stderr" - <"$err"
	elif ! python3 "$WORK/jcheck.py" "$out" verification.spf.result=temperror \
		verification.dkim.0.result=temperror >"$WORK/dead.why"; then
		fail "$name" "unmet" - <"$WORK/dead.why"
	else
		pass "$name"
	fi
}
dead_resolver_case

# ---- bad usage and limits ----

# usage_case NAME ARGS...: exit 2 with exactly one line on stderr, nothing on stdout.
usage_case() {
	local name="$1" out="$WORK/$1.out" err="$WORK/$1.err" why
	shift
	pc_run "$out" "$err" --resolver "$RESOLVER" --timeout 5 "$@"
	if why="$(run_broke "$err")"; then
		fail "$name" "$why" - <"$err"
	elif [ "$RC" != 2 ]; then
		fail "$name" "exit status $RC, expected 2" - <"$err"
	elif [ "$(wc -l <"$err")" -ne 1 ] || [ -s "$out" ]; then
		fail "$name" "expected one line on stderr and nothing on stdout" - <"$err"
	else
		pass "$name ($(cat "$err"))"
	fi
}
usage_case usage-no-client-ip --message "$M/rsa.eml"
usage_case usage-bad-client-ip --message "$M/rsa.eml" --client-ip 300.1.2.3
usage_case usage-client-ip-alone --client-ip 127.0.0.1 dkimv.test
usage_case usage-bad-mail-from --message "$M/rsa.eml" --client-ip 127.0.0.1 --mail-from 'no domain'
usage_case usage-missing-file --message "$WORK/does-not-exist" --client-ip 127.0.0.1
usage_case usage-message-and-domain --message "$M/rsa.eml" --client-ip 127.0.0.1 dkimv.test
head -c $((32 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'a' >"$M/huge.eml"
usage_case usage-too-large --message "$M/huge.eml" --client-ip 127.0.0.1
rm -f "$M/huge.eml"
if grep -q 'MiB' "$WORK/usage-too-large.err"; then
	pass "too-large-says-the-limit"
else
	fail "too-large-says-the-limit" "no size in the message" - <"$WORK/usage-too-large.err"
fi

finish
