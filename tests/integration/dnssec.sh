#!/bin/bash
# dnssec.sh - DNSSEC, DANE and the MX TTL rule end to end (an automake test).
#
# A signed test tree is made at test time: a root zone, test. and its children, each
# signed with ldns-signzone (ldnsutils) under fresh ECDSA P-256 keys, the DS of every
# signed child in test. and the DS of test. in the root. A private NSD (nsd.sh) serves
# the root (root.zone), test. and the children; a private validating unbound
# (unbound.sh) trusts the root's key and asks NSD for everything. posture-check --dnssec
# asks unbound (a loopback resolver: its AD bit is trusted).
#
# Fixtures (each code is raised on its fixture and must be absent on signed.test, the
# clean one, which every other code's fixture is built from):
#   signed.test         signed; two MX hosts with two DANE-EE records each; MX TTL 3600
#   unsigned.test       no DS in test.: DNSSEC_NONE; dane unknown ("MX not signed")
#   bogus.test          DS in test. naming another key: DNSSEC_BOGUS (unbound sends no
#                       EDE: found by the CD=1 retry)
#   dane-none.test      no TLSA: DANE_NONE
#   dane-partial.test   mx2 without TLSA: DANE_PARTIAL
#   dane-usage.test     PKIX-EE(1) records: DANE_TLSA_USAGE
#   dane-syntax.test    a SHA-256 digest of 16 bytes: DANE_TLSA_SYNTAX
#   dane-rollover.test  one record per host: DANE_ROLLOVER
#   dane-insecure.test  its MX host is in unsigned hosts.test, TLSA there: DANE_TLSA_INSECURE
#   ttl-low.test        MX TTL 600: MX_TTL_LOW from the RRSIG's original TTL (unbound
#                       never sets AA)
#   ttl-high.test       MX TTL 172800: MX_TTL_HIGH (unbound's copy is capped at a day)
# Then: signed.test evaluated again a second later (unbound's copy of the MX counts
# down below 3600: still no MX_TTL_LOW); --dnssec against NSD itself (no validation):
# both families unknown, "resolver does not validate"; without --dnssec: neither family
# is reported; the queries and rounds of signed.test with and without --dnssec.
# Prints "ok NAME" / "FAIL NAME: reason" and "N passed, N failed".
#
# Sourced (tests/integration/probe.sh), it only defines its functions: child_zone, sign,
# other_ds, dnssec_tree (sign and serve the tree), ok, fail, expect.
#
# Environment: top_srcdir, top_builddir, NSD (Makefile.am TESTS_ENVIRONMENT); UNBOUND
# overrides the binary. Exit: 0 all passed; 1 some failed; 77 (skip) when nsd, unbound,
# ldns-signzone or python3 is missing and CI is not set (with CI set, a failure); 99
# when posture-check is not built or a server cannot start.
#
# What can go wrong: a zone that does not sign or load (ldns's or NSD's output); a
# server that does not start (its log); leftovers (the EXIT trap stops NSD and unbound
# and removes the temp dirs).

set -u

abspath() {
	(cd "$1" && pwd)
}
top_srcdir="$(abspath "${top_srcdir:-.}")"
top_builddir="$(abspath "${top_builddir:-.}")"
PC="$top_builddir/posture-check"

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/unbound.sh
. "$top_srcdir/tests/integration/unbound.sh"

missing() {
	if [ -n "${CI:-}" ]; then
		echo "FAIL: $1 not installed, and CI is set"
		exit 1
	fi
	echo "SKIP: $1 not installed"
	exit 77
}

H1=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
H2=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100

# A child zone of test.: SPF, DMARC, two MX hosts with addresses (DNSSEC_MX_ADDR1 and
# DNSSEC_MX_ADDR2 when set: probe.sh's loopback), then extra lines.
child_zone() {
	local z="$1" mxttl="$2" a1="${DNSSEC_MX_ADDR1:-11.0.0.1}" a2="${DNSSEC_MX_ADDR2:-11.0.0.2}"
	shift 2
	cat <<ZONE
\$ORIGIN $z.
\$TTL 3600
@	IN SOA	ns.test. hostmaster.test. ( 1 3600 900 604800 300 )
@	IN NS	ns.test.
@	IN TXT	"v=spf1 -all"
_dmarc	IN TXT	"v=DMARC1; p=reject"
@	$mxttl IN MX	10 mx1.$z.
@	$mxttl IN MX	20 mx2.$z.
mx1	IN A	$a1
mx2	IN A	$a2
ZONE
	printf '%s\n' "$@"
}

# Sign zone $1 from $2 into $3 with a new KSK and ZSK; prints the KSK's DS record.
sign() {
	local z="$1" in="$2" out="$3" ksk zsk
	(
		cd "$WORK/keys" || exit 1
		ksk="$(ldns-keygen -a ECDSAP256SHA256 -k "$z")" || exit 1
		zsk="$(ldns-keygen -a ECDSAP256SHA256 "$z")" || exit 1
		ldns-signzone -f "$out" "$in" "$ksk" "$zsk" >&2 || exit 1
		cat "$ksk.ds"
	)
}

# A DS of a key nobody signs with (bogus.test's parent names it).
other_ds() {
	(
		cd "$WORK/keys" || exit 1
		k="$(ldns-keygen -a ECDSAP256SHA256 -k "$1")" || exit 1
		cat "$k.ds"
	)
}

# Sign the zones named in SIGNED (from $WORK/src into $WORK/zones; bogus.test gets a DS
# of another key), copy those in UNSIGNED, make and sign test. and the root, write the
# trust anchor $WORK/anchor.ds, start NSD and the validating unbound. 0, or 99 after a
# FAIL line (the caller exits with it).
dnssec_tree() {
	{
		echo "\$ORIGIN test."
		echo "\$TTL 3600"
		echo "@	IN SOA	ns.test. hostmaster.test. ( 1 3600 900 604800 300 )"
		echo "@	IN NS	ns.test."
		echo "ns	IN A	127.0.0.1"
	} >"$WORK/src/test"
	for z in $SIGNED; do
		ds="$(sign "$z" "$WORK/src/$z" "$WORK/zones/$z.zone")" || { echo "FAIL: signing $z"; return 99; }
		if [ "$z" = bogus.test ]; then
			ds="$(other_ds "$z")" || return 99
		fi
		{ echo "$z.	IN NS	ns.test."; echo "$ds"; } >>"$WORK/src/test"
	done
	for z in $UNSIGNED; do
		cp "$WORK/src/$z" "$WORK/zones/$z.zone"
		echo "$z.	IN NS	ns.test." >>"$WORK/src/test"
	done
	test_ds="$(sign test "$WORK/src/test" "$WORK/zones/test.zone")" || { echo "FAIL: signing test."; return 99; }
	cat >"$WORK/src/root" <<-ZONE
	\$ORIGIN .
	\$TTL 86400
	.	IN SOA	a.root.invalid. hostmaster.invalid. ( 1 1800 900 604800 86400 )
	.	IN NS	a.root.invalid.
	test.	IN NS	ns.test.
	ns.test.	IN A	127.0.0.1
	$test_ds
	ZONE
	(cd "$WORK/keys" && ldns-keygen -a ECDSAP256SHA256 -k . >"$WORK/root.key") || return 99
	root_ksk="$(cat "$WORK/root.key")"
	root_zsk="$(cd "$WORK/keys" && ldns-keygen -a ECDSAP256SHA256 .)" || return 99
	(cd "$WORK/keys" && ldns-signzone -f "$WORK/zones/root.zone" "$WORK/src/root" "$root_ksk" "$root_zsk") ||
		{ echo "FAIL: signing the root"; return 99; }
	cp "$WORK/keys/$root_ksk.ds" "$WORK/anchor.ds"

	nsd_start "$WORK/zones" || { echo "FAIL: NSD did not start"; return 99; }
	unbound_start "$WORK/anchor.ds" "$NSD_PORT" test $SIGNED $UNSIGNED ||
		{ echo "FAIL: unbound did not start"; return 99; }
}

PASS=0
FAILS=0
ok() {
	echo "ok $1"
	PASS=$((PASS + 1))
}
fail() {
	echo "FAIL $1"
	FAILS=$((FAILS + 1))
}

# expect NAME JSONFILE CHECKS...: each check "CODE" (raised), "!CODE" (not raised),
# "fam=word" (family result), "fam:fact" (family fact), "-fam" (family absent).
expect() {
	local name="$1" file="$2" why
	shift 2
	if why="$(python3 - "$file" "$@" <<'PYEOF'
import json, sys
ev = json.load(open(sys.argv[1]))
codes = {f["code"] for f in ev.get("findings", [])}
checks = ev.get("checks", {})
bad = []
for want in sys.argv[2:]:
    if want.startswith("!"):
        if want[1:] in codes:
            bad.append(want[1:] + " raised")
    elif want.startswith("-"):
        if want[1:] in checks:
            bad.append(want[1:] + " reported")
    elif "=" in want:
        fam, word = want.split("=", 1)
        got = checks.get(fam, {}).get("result")
        if got != word:
            bad.append("%s=%s, expected %s" % (fam, got, word))
    elif ":" in want:
        fam, fact = want.split(":", 1)
        got = checks.get(fam, {}).get("fact")
        if got != fact:
            bad.append("%s fact %r, expected %r" % (fam, got, fact))
    elif want not in codes:
        bad.append(want + " not raised")
if bad:
    print("; ".join(bad) + " (codes: " + " ".join(sorted(codes)) + ")")
    sys.exit(1)
PYEOF
)"; then
		ok "$name"
	else
		fail "$name: $why"
	fi
}

# Sourced (tests/integration/probe.sh): the functions above only.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	return 0
fi

[ -x "$PC" ] || { echo "FAIL: $PC not built"; exit 99; }
command -v python3 >/dev/null || missing python3
nsd_find_binary || missing "nsd (Debian package nsd)"
unbound_find_binary || missing "unbound (Debian package unbound)"
command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null ||
	missing "ldns-signzone (Debian package ldnsutils)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-dnssec.XXXXXX")" || exit 99
nsd_at_exit 'rm -rf "$WORK"'
mkdir -p "$WORK/keys" "$WORK/zones" "$WORK/src"

TLSA2="_25._tcp.mx1 IN TLSA 3 1 1 $H1
_25._tcp.mx1 IN TLSA 3 1 1 $H2"
TLSA2B="_25._tcp.mx2 IN TLSA 3 1 1 $H1
_25._tcp.mx2 IN TLSA 3 1 1 $H2"

child_zone signed.test 3600 "$TLSA2" "$TLSA2B" >"$WORK/src/signed.test"
child_zone unsigned.test 3600 "$TLSA2" "$TLSA2B" >"$WORK/src/unsigned.test"
child_zone bogus.test 3600 "$TLSA2" "$TLSA2B" >"$WORK/src/bogus.test"
child_zone dane-none.test 3600 >"$WORK/src/dane-none.test"
child_zone dane-partial.test 3600 "$TLSA2" >"$WORK/src/dane-partial.test"
child_zone dane-usage.test 3600 "_25._tcp.mx1 IN TLSA 1 1 1 $H1" \
	"_25._tcp.mx2 IN TLSA 1 1 1 $H1" >"$WORK/src/dane-usage.test"
child_zone dane-syntax.test 3600 "$TLSA2" "$TLSA2B" \
	"_25._tcp.mx1 IN TLSA 3 1 1 00112233445566778899aabbccddeeff" >"$WORK/src/dane-syntax.test"
child_zone dane-rollover.test 3600 "_25._tcp.mx1 IN TLSA 3 1 1 $H1" \
	"_25._tcp.mx2 IN TLSA 3 1 1 $H2" >"$WORK/src/dane-rollover.test"
child_zone ttl-low.test 600 "$TLSA2" "$TLSA2B" >"$WORK/src/ttl-low.test"
child_zone ttl-high.test 172800 "$TLSA2" "$TLSA2B" >"$WORK/src/ttl-high.test"
# dane-insecure.test: signed, its MX host in the unsigned hosts.test, with TLSA there.
cat >"$WORK/src/dane-insecure.test" <<ZONE
\$ORIGIN dane-insecure.test.
\$TTL 3600
@	IN SOA	ns.test. hostmaster.test. ( 1 3600 900 604800 300 )
@	IN NS	ns.test.
@	IN TXT	"v=spf1 -all"
@	IN MX	10 mx.hosts.test.
@	IN MX	20 mx2.hosts.test.
ZONE
cat >"$WORK/src/hosts.test" <<ZONE
\$ORIGIN hosts.test.
\$TTL 3600
@	IN SOA	ns.test. hostmaster.test. ( 1 3600 900 604800 300 )
@	IN NS	ns.test.
mx	IN A	11.0.0.3
mx2	IN A	11.0.0.4
$(printf '%s\n' "$TLSA2" "$TLSA2B" | sed 's/\.mx1 /.mx /')
ZONE

SIGNED="signed.test bogus.test dane-none.test dane-partial.test dane-usage.test
	dane-syntax.test dane-rollover.test dane-insecure.test ttl-low.test ttl-high.test"
UNSIGNED="unsigned.test hosts.test"

dnssec_tree || exit 99

# Evaluate domain $1 through unbound (--dnssec unless $2 is "plain"), JSON in $WORK/$1.json.
evaluate() {
	local d="$1" extra=(--dnssec)
	[ "${2:-}" = plain ] && extra=()
	"$PC" --resolver "127.0.0.1:$UNBOUND_PORT" "${extra[@]}" --json "$d" \
		>"$WORK/$d.json" 2>"$WORK/$d.err"
}

ALL_NEW="DNSSEC_NONE DNSSEC_BOGUS DANE_NONE DANE_PARTIAL DANE_TLSA_INSECURE DANE_TLSA_USAGE
	DANE_TLSA_SYNTAX DANE_ROLLOVER MX_TTL_LOW MX_TTL_HIGH"
for d in signed.test unsigned.test bogus.test dane-none.test dane-partial.test dane-usage.test \
	dane-syntax.test dane-rollover.test dane-insecure.test ttl-low.test ttl-high.test; do
	evaluate "$d"
done
negated=()
for c in $ALL_NEW; do
	negated+=("!$c")
done
expect "signed.test: clean" "$WORK/signed.test.json" dnssec=ok "dnssec:signed" dane=ok \
	"dane:2/2 hosts" "${negated[@]}"
expect "unsigned.test: DNSSEC_NONE" "$WORK/unsigned.test.json" DNSSEC_NONE '!DNSSEC_BOGUS' \
	dnssec=none dane=unknown "dane:MX not signed" '!DANE_TLSA_INSECURE'
expect "bogus.test: DNSSEC_BOGUS" "$WORK/bogus.test.json" DNSSEC_BOGUS '!DNSSEC_NONE' \
	dnssec=broken
expect "dane-none.test: DANE_NONE" "$WORK/dane-none.test.json" DANE_NONE '!DANE_PARTIAL' \
	dnssec=ok dane=none
expect "dane-partial.test: DANE_PARTIAL" "$WORK/dane-partial.test.json" DANE_PARTIAL \
	'!DANE_NONE' dane=weak
expect "dane-usage.test: DANE_TLSA_USAGE" "$WORK/dane-usage.test.json" DANE_TLSA_USAGE \
	'!DANE_TLSA_SYNTAX' '!DANE_NONE'
expect "dane-syntax.test: DANE_TLSA_SYNTAX" "$WORK/dane-syntax.test.json" DANE_TLSA_SYNTAX \
	dane=broken
expect "dane-rollover.test: DANE_ROLLOVER" "$WORK/dane-rollover.test.json" DANE_ROLLOVER \
	'!DANE_PARTIAL' dane=ok
expect "dane-insecure.test: DANE_TLSA_INSECURE" "$WORK/dane-insecure.test.json" \
	DANE_TLSA_INSECURE dnssec=ok
expect "ttl-low.test: MX_TTL_LOW from the RRSIG" "$WORK/ttl-low.test.json" MX_TTL_LOW \
	'!MX_TTL_HIGH'
expect "ttl-high.test: MX_TTL_HIGH from the RRSIG" "$WORK/ttl-high.test.json" MX_TTL_HIGH \
	'!MX_TTL_LOW'

# unbound's copy of signed.test's MX now counts down from 3600: never judged low.
sleep 1.1
evaluate signed.test
cp "$WORK/signed.test.json" "$WORK/signed-again.json"
expect "signed.test from unbound's cache: no MX_TTL_LOW" "$WORK/signed-again.json" \
	'!MX_TTL_LOW' dnssec=ok

# NSD itself as the resolver: loopback, but it validates nothing.
"$PC" --resolver "127.0.0.1:$NSD_PORT" --dnssec --json signed.test >"$WORK/nsd.json" 2>&1
expect "a resolver that does not validate: unknown" "$WORK/nsd.json" dnssec=unknown \
	"dnssec:resolver does not validate" dane=unknown '!DNSSEC_NONE'

# Without --dnssec the families are not reported.
evaluate signed.test plain
cp "$WORK/signed.test.json" "$WORK/plain.json"
expect "without --dnssec: not reported" "$WORK/plain.json" -dnssec -dane '!DNSSEC_NONE'

# What DNSSEC and DANE cost: queries and rounds of signed.test with and without.
python3 - "$WORK/signed-again.json" "$WORK/plain.json" <<'PYEOF'
import json, sys
on, off = (json.load(open(p))["dns"] for p in sys.argv[1:3])
print("cost signed.test: dns.queries %d -> %d, dns.rounds %d -> %d (without -> with --dnssec)"
      % (off["queries"], on["queries"], off["rounds"], on["rounds"]))
PYEOF

echo "$PASS passed, $FAILS failed"
[ "$FAILS" = 0 ]
