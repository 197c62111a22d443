#!/bin/bash
# probe.sh - the STARTTLS probe of MX hosts end to end (an automake test).
#
# The signed test tree of dnssec.sh (sourced for its functions: child_zone, dnssec_tree,
# expect) with child zones whose two MX hosts resolve to 127.0.0.1, served by NSD and
# the validating unbound; the STARTTLS target is the private Postfix of postfix.sh with
# smtpd TLS (security level may) and a certificate made here by openssl, issued by a
# CA made here (--ca-file) for the MX names of probe-ok.test and probe-mismatch.test
# only; the target without STARTTLS is Postfix's smtp-sink (it offers none). posture-
# check --dnssec --probe-mx --allow-private --smtp-port PORT asks unbound.
#
# Fixtures (each code is raised on its fixture and must be absent on probe-ok.test):
#   probe-ok.test        TLSA 3 1 1 of the server key (and one other): clean
#   probe-mismatch.test  TLSA records of other keys: DANE_TLSA_MISMATCH
#   probe-badname.test   MX names the certificate does not name, no TLSA: MX_CERT_INVALID
#   probe-ee.test        the same names, a matching DANE-EE record: no MX_CERT_INVALID
#                        (DANE-EE ignores names, RFC 7672 3.1.1)
#   probe-plain.test     probed on smtp-sink's port: MX_STARTTLS_NONE
#   probe-sts.test       like probe-badname.test, with an MTA-STS policy in enforce
#                        (served by the private nginx of https.sh): MX_CERT_INVALID is
#                        an error there, info on probe-badname.test
# Then: without --allow-private nothing is probed (loopback refused); without
# --probe-mx no probe code; Postfix saw TLS handshakes and no mail (no queue file, no
# delivery); the cost of probing in rounds and time.
# Prints "ok NAME" / "FAIL NAME: reason" and "N passed, N failed".
#
# Environment: top_srcdir, top_builddir, NSD (Makefile.am TESTS_ENVIRONMENT). Exit: 0
# all passed; 1 some failed; 77 (skip) when nsd, unbound, ldns-signzone, openssl,
# python3 or Postfix is missing, or not root, and CI is not set (with CI set, a
# failure); 99 when posture-check is not built or a server cannot start.
#
# What can go wrong: a server that does not start (its log); leftovers (the EXIT traps
# stop Postfix, NSD and unbound and remove the temp dirs).

set -u

# shellcheck source=tests/integration/dnssec.sh
. "$(cd "$(dirname "$0")" && pwd)/dnssec.sh"
# shellcheck source=tests/integration/postfix.sh
. "$top_srcdir/tests/integration/postfix.sh"
# shellcheck source=tests/integration/https.sh
. "$top_srcdir/tests/integration/https.sh"

[ -x "$PC" ] || { echo "FAIL: $PC not built"; exit 99; }
command -v python3 >/dev/null || missing python3
command -v openssl >/dev/null || missing "openssl"
nsd_find_binary || missing "nsd (Debian package nsd)"
unbound_find_binary || missing "unbound (Debian package unbound)"
command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null ||
	missing "ldns-signzone (Debian package ldnsutils)"
pf_find_binaries || missing "$PF_MISSING"
https_find_binary || missing "nginx (Debian package nginx)"
[ "$(id -u)" = 0 ] || missing "root (a private Postfix needs it)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-probe.XXXXXX")" || exit 99
nsd_at_exit 'rm -rf "$WORK"'
mkdir -p "$WORK/keys" "$WORK/zones" "$WORK/src" "$WORK/tls"

# A CA and a server certificate for the MX names of probe-ok.test and probe-mismatch.test.
T="$WORK/tls"
SAN="DNS:mx1.probe-ok.test,DNS:mx2.probe-ok.test,DNS:mx1.probe-mismatch.test"
SAN="$SAN,DNS:mx2.probe-mismatch.test"
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=posture probe test CA" -keyout "$T/ca.key" -out "$T/ca.pem" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=mx1.probe-ok.test" -keyout "$T/server.key" -out "$T/server.csr" &&
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$SAN" >"$T/ext" &&
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
		-CAcreateserial -days 2 -extfile "$T/ext" -out "$T/server.pem"
} >"$T/openssl.log" 2>&1 || { echo "FAIL: openssl"; cat "$T/openssl.log"; exit 99; }
SPKI="$(openssl x509 -in "$T/server.pem" -noout -pubkey |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -hex | sed 's/.*= //')"
[ "${#SPKI}" = 64 ] || { echo "FAIL: no SPKI digest"; exit 99; }

# The zones: both MX hosts of each on loopback.
DNSSEC_MX_ADDR1=127.0.0.1
DNSSEC_MX_ADDR2=127.0.0.1
tlsa() {	# tlsa HEX...: a record per digest for mx1 and mx2
	local h m
	for m in mx1 mx2; do
		for h in "$@"; do
			echo "_25._tcp.$m IN TLSA 3 1 1 $h"
		done
	done
}
child_zone probe-ok.test 3600 "$(tlsa "$SPKI" "$H1")" >"$WORK/src/probe-ok.test"
child_zone probe-mismatch.test 3600 "$(tlsa "$H1" "$H2")" >"$WORK/src/probe-mismatch.test"
child_zone probe-badname.test 3600 >"$WORK/src/probe-badname.test"
child_zone probe-ee.test 3600 "$(tlsa "$SPKI" "$H1")" >"$WORK/src/probe-ee.test"
child_zone probe-plain.test 3600 >"$WORK/src/probe-plain.test"
child_zone probe-sts.test 3600 '_mta-sts IN TXT "v=STSv1; id=1"' 'mta-sts IN A 127.0.0.1' \
	>"$WORK/src/probe-sts.test"
SIGNED="probe-ok.test probe-mismatch.test probe-badname.test probe-ee.test probe-plain.test
	probe-sts.test"
UNSIGNED=""
dnssec_tree || exit 99

# Postfix after NSD and unbound (its EXIT trap runs theirs after its own).
PF_MAIN_CF_EXTRA=("smtpd_tls_security_level = may" "smtpd_tls_cert_file = $T/server.pem"
	"smtpd_tls_key_file = $T/server.key" "smtpd_tls_loglevel = 1")
pf_start || { echo "FAIL: Postfix did not start"; exit 99; }
# The MTA-STS policy of probe-sts.test (enforce), on nginx with the CA of https.sh.
mkdir -p "$WORK/https/mta-sts.probe-sts.test"
printf 'version: STSv1\nmode: enforce\nmx: *.probe-sts.test\nmax_age: 86400\n' \
	>"$WORK/https/mta-sts.probe-sts.test/policy.txt"
https_start "$WORK/https" || { echo "FAIL: nginx did not start"; exit 99; }
# One CA file for both: the policy host's CA and the probe target's.
cat "$T/ca.pem" "$HTTPS_CA" >"$T/cas.pem"

# probe DOMAIN PORT [OPTION...]: evaluate with the probe on PORT, JSON in $WORK/DOMAIN.json.
probe() {
	local d="$1" port="$2"
	shift 2
	"$PC" --resolver "127.0.0.1:$UNBOUND_PORT" --dnssec --ca-file "$T/cas.pem" \
		--https-port "$HTTPS_PORT" --smtp-port "$port" "$@" --json "$d" \
		>"$WORK/$d.json" 2>"$WORK/$d.err"
}

# severity NAME FILE CODE WANT: every finding CODE of FILE has severity WANT.
severity() {
	local got
	got="$(python3 - "$2" "$3" <<'PYEOF'
import json, sys
print(" ".join(sorted({f["severity"] for f in json.load(open(sys.argv[1]))["findings"]
                       if f["code"] == sys.argv[2]})))
PYEOF
)"
	if [ "$got" = "$4" ]; then
		ok "$1"
	else
		fail "$1: severity '$got', expected $4"
	fi
}
ON=(--probe-mx --allow-private)

for d in probe-ok.test probe-mismatch.test probe-badname.test probe-ee.test probe-sts.test; do
	probe "$d" "$PF_PORT" "${ON[@]}"
done
probe probe-plain.test "$PF_SINK_PORT" "${ON[@]}"

ALL="MX_STARTTLS_NONE MX_CERT_INVALID DANE_TLSA_MISMATCH"
negated=()
for c in $ALL; do
	negated+=("!$c")
done
expect "probe-ok.test: clean" "$WORK/probe-ok.test.json" "${negated[@]}" dane=ok \
	dnssec=ok '!DANE_NONE'
expect "probe-mismatch.test: DANE_TLSA_MISMATCH" "$WORK/probe-mismatch.test.json" \
	DANE_TLSA_MISMATCH dane=broken '!MX_CERT_INVALID' '!MX_STARTTLS_NONE'
expect "probe-badname.test: MX_CERT_INVALID" "$WORK/probe-badname.test.json" \
	MX_CERT_INVALID '!MX_STARTTLS_NONE' '!DANE_TLSA_MISMATCH'
severity "probe-badname.test: MX_CERT_INVALID is info" "$WORK/probe-badname.test.json" \
	MX_CERT_INVALID info
expect "probe-sts.test: MX_CERT_INVALID under MTA-STS enforce" "$WORK/probe-sts.test.json" \
	MX_CERT_INVALID '!MTASTS_NONE' '!MTASTS_POLICY_FETCH' mta-sts=ok
severity "probe-sts.test: MX_CERT_INVALID is an error" "$WORK/probe-sts.test.json" \
	MX_CERT_INVALID error
expect "probe-ee.test: DANE-EE authenticates, no MX_CERT_INVALID" "$WORK/probe-ee.test.json" \
	"${negated[@]}" dane=ok
expect "probe-plain.test: MX_STARTTLS_NONE" "$WORK/probe-plain.test.json" \
	MX_STARTTLS_NONE '!MX_CERT_INVALID'

# The messages, for the log.
python3 - "$WORK"/probe-*.json <<'PYEOF'
import json, sys
for p in sys.argv[1:]:
    for f in json.load(open(p)).get("findings", []):
        if f["code"] in ("MX_STARTTLS_NONE", "MX_CERT_INVALID", "DANE_TLSA_MISMATCH"):
            print("  %s %s (%s): %s" % (p.rsplit("/", 1)[1], f["code"], f["severity"],
                                        f["message"]))
PYEOF

# The address guard: loopback is refused without --allow-private.
probe probe-plain.test "$PF_SINK_PORT" --probe-mx
expect "without --allow-private: loopback not probed" "$WORK/probe-plain.test.json" \
	'!MX_STARTTLS_NONE'
# Opt-in: nothing probed without --probe-mx.
probe probe-mismatch.test "$PF_PORT"
cp "$WORK/probe-mismatch.test.json" "$WORK/off.json"
expect "without --probe-mx: no probe code" "$WORK/off.json" "${negated[@]}"
probe probe-mismatch.test "$PF_PORT" "${ON[@]}"
cp "$WORK/probe-mismatch.test.json" "$WORK/on.json"

# Postfix saw the handshakes, and no mail: nothing queued, nothing delivered.
tls="$(grep -c 'TLS connection established from' "$PF_LOG")"
if [ "$tls" -ge 4 ]; then
	ok "Postfix logged $tls TLS handshakes"
else
	fail "Postfix logged $tls TLS handshakes, expected at least 4"
fi
if grep -q ': from=<\|status=sent' "$PF_LOG"; then
	fail "a probe started a mail transaction: $(grep -m1 ': from=<\|status=sent' "$PF_LOG")"
else
	ok "no mail transaction in Postfix's log"
fi

# What probing costs: rounds and time of probe-mismatch.test without and with the probe.
python3 - "$WORK/off.json" "$WORK/on.json" <<'PYEOF'
import json, sys
off, on = (json.load(open(p))["dns"] for p in sys.argv[1:3])
print("cost probe-mismatch.test: dns.queries %d -> %d, dns.rounds %d -> %d, "
      "elapsed %d ms -> %d ms (without -> with --probe-mx)"
      % (off["queries"], on["queries"], off["rounds"], on["rounds"],
         off["elapsed_ms"], on["elapsed_ms"]))
PYEOF

echo "$PASS passed, $FAILS failed"
[ "$FAILS" = 0 ]
