#!/bin/bash
# verify_fixtures.sh - the verification fixtures: keys, zones, signed messages and the
# table of expected verdicts, made at test time (a library: source it, then vf_make).
#
#   . "$top_srcdir/tests/integration/verify_fixtures.sh"
#   vf_make DIR SIGN_TOOL TOP_SRCDIR
#
# Makes, under DIR:
#   keys/    RSA 2048 (rsa, other), RSA 512 (small), Ed25519 (ed), made with openssl now;
#            unsafe: the primes of a fresh RSA 2048 key with e = d = 1 (openssl refuses
#            to make it, but signs with it: the signature is the padded hash itself)
#   zones/   the repository's tests/fixtures/zones plus generated zones:
#            dkimv.test         SPF "ip4:127.0.0.1 -all", DMARC p=reject, selectors rsa,
#                               ed, small (512-bit), testing (t=y), revoked (empty p=),
#                               unsafe (exponent 1: permerror, never verified with)
#            dkimv-strict.test  the same key, DMARC p=quarantine adkim=s aspf=s
#            dkimv-other.test   a third party's key, SPF -all, DMARC p=none
#            spfv-soft.test     SPF ~all; spfv-perm.test an include of a name without SPF
#            learn.test, learn-forged.test  like dkimv.test with selector rsa only, for
#                               the learned-selector test (postfix_verify.sh): no case
#                               of the table mails from them
#   msg/NAME.eml   messages (LF line ends), signed with SIGN_TOOL (tests/dkim)
#   cases    the table the end-to-end tests run, tab-separated, '#' comments:
#            NAME CLIENT_IP MAIL_FROM HELO SPF DKIM DMARC
#            MAIL_FROM without angle brackets, or "<>"; CLIENT_IP in 127/8 (a client
#            on loopback can bind it); SPF and DMARC the expected result words; DKIM
#            the expected result of each signature, topmost first, joined by commas,
#            or "none". The message of case NAME is msg/NAME.eml.
# Used by check_message.sh (posture-check --message), postfix_verify.sh (through
# Postfix) and tests/differential/mailauth.sh.
#
#   vf_postfix_missing   the tools a test of the fixtures through a private Postfix
#                        needs (postfix.sh, nsd.sh, python3, openssl, root), appended to
#                        $missing for skip_unless_present (report.sh)
#   vf_serve NAME MAKE [ARGS...]
#                        WORK, a temp dir named after NAME removed at exit; VF=$WORK/vf
#                        made by `MAKE "$VF" ARGS...` (vf_make, vf_arc); then NSD
#                        (nsd.sh) serving $VF/zones. A failure prints "FAIL setup: ..."
#                        and exits 99: these two start a server, the rest of this file
#                        does not.
#
#   vf_arc DIR TOP_SRCDIR
#
# The ARC fixtures, apart from the above (postfix_arc.sh, tests/bench/arc_cost.sh):
#   arc/NAME.eml   the chains tests/arc/arc_chains.py makes now with dkimpy (CRLF; its
#                  header names the cases), arc/keys.txt, arc/manifest.txt;
#                  arc/no_arc.eml, two_hops.eml without its ARC fields (nothing to
#                  verify: the same mail as it was before ARC)
#   zones/         relay.example, list.example (the sealers; SPF "ip4:127.0.0.1 -all",
#                  DMARC p=none) and example.com (the author's: SPF -all, DMARC
#                  p=reject), each with its s1._domainkey key from arc/keys.txt; and
#                  the empty parents com and example (the DMARC tree walk asks them:
#                  a server that knows no parent makes DMARC temperror)
#   VF_PYDKIM      the python3 that has dkimpy (python3-dkim)
#
# What can go wrong: openssl, python3, dkimpy or the signing tool failing (vf_make and
# vf_arc print one line saying which and return 1). Nothing here starts a server.

# A TXT value in 250-character strings (RFC 1035 3.3.14, RFC 6376 3.6.2.2).
vf_txt_strings() {
	local s="$1" out=""
	while [ -n "$s" ]; do
		out="$out \"${s:0:250}\""
		s="${s:250}"
	done
	printf '%s' "$out"
}

# The base64 DKIM p= of a private key file: RSA SubjectPublicKeyInfo, Ed25519 the raw
# 32 bytes (RFC 8463 3.3: the last 32 bytes of the SPKI DER).
vf_pubkey() {
	case "$2" in
	ed25519) openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0 ;;
	*) openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0 ;;
	esac
}

# vf_exponent_one IN OUT: write OUT, the RSA private key of IN's primes with e = d = 1
# (PKCS#1 DER built here, RFC 8017 A.1.2), and print its p= (SubjectPublicKeyInfo).
vf_exponent_one() {
	openssl pkey -in "$1" -text -noout 2>/dev/null | python3 -c '
import base64, re, sys
def der(tag, body):
    n = len(body)
    size = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + size + body
def integer(v):
    return der(2, v.to_bytes(v.bit_length() // 8 + 1, "big"))
text = sys.stdin.read()
def field(name):
    m = re.search(name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
    return int(re.sub(r"[^0-9a-f]", "", m.group(1)), 16)
n, p, q, c = (field(k) for k in ("modulus", "prime1", "prime2", "coefficient"))
b64 = base64.b64encode(der(0x30, b"".join(integer(v) for v in (0, n, 1, 1, p, q, 1, 1, c)))).decode()
with open(sys.argv[1], "w") as f:
    f.write("-----BEGIN RSA PRIVATE KEY-----\n")
    f.write("".join(b64[i:i + 64] + "\n" for i in range(0, len(b64), 64)))
    f.write("-----END RSA PRIVATE KEY-----\n")
alg = der(0x30, bytes.fromhex("06092a864886f70d010101") + b"\x05\x00")
print(base64.b64encode(der(0x30, alg + der(3, b"\x00" + der(0x30, integer(n) + integer(1))))).decode())
' "$2"
}

# vf_zone DIR ORIGIN RECORDS...: a zone file with the standard head.
vf_zone() {
	local dir="$1" origin="$2"
	shift 2
	{
		echo "; generated by tests/integration/verify_fixtures.sh: keys made at test time"
		echo "\$ORIGIN $origin."
		echo "\$TTL 300"
		echo "@	IN SOA	ns.test. hostmaster.test. ( 2026010101 3600 900 604800 300 )"
		echo "	IN NS	ns.test."
		printf '%s\n' "$@"
	} >"$dir/$origin.zone"
}

# vf_msg FILE FROM-DOMAIN [SUBJECT]: a plain message with LF line ends.
vf_msg() {
	local base
	base="$(basename "$1" .eml)"
	cat >"$1" <<EOF
From: Alice <alice@$2>
To: Bob <bob@example.net>
Subject: ${3:-$base}
Date: Mon, 01 Jan 2024 00:00:00 +0000
Message-ID: <$base@$2>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello Bob,

this is the test body of $base.
-- 
Alice
EOF
}

# vf_sign DIR IN OUT KEY DOMAIN SELECTOR [SIGN-ARGS...]: sign IN (a name under msg/).
vf_sign() {
	local dir="$1" in="$2" out="$3" key="$4" d="$5" s="$6"
	shift 6
	if ! "$VF_SIGN" -k "$dir/keys/$key.pem" -d "$d" -s "$s" "$@" "$dir/msg/$in.eml" \
		>"$dir/msg/$out.eml.tmp" 2>"$dir/sign.err"; then
		echo "verify_fixtures: signing $out failed: $(head -n 1 "$dir/sign.err")" >&2
		return 1
	fi
	mv "$dir/msg/$out.eml.tmp" "$dir/msg/$out.eml"
}

# vf_keys DIR: the keys, and their p= values in VF_P_<name>.
vf_keys() {
	local dir="$1" k
	mkdir -p "$dir/keys"
	if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$dir/keys/rsa.pem" 2>"$dir/keys.err" ||
		! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$dir/keys/other.pem" 2>>"$dir/keys.err" ||
		! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 \
			-out "$dir/keys/small.pem" 2>>"$dir/keys.err" ||
		! openssl genpkey -algorithm ed25519 -out "$dir/keys/ed.pem" 2>>"$dir/keys.err" ||
		! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$dir/keys/primes.pem" 2>>"$dir/keys.err"; then
		echo "verify_fixtures: openssl could not make the keys: $(head -n 1 "$dir/keys.err")" >&2
		return 1
	fi
	VF_P_rsa="$(vf_pubkey "$dir/keys/rsa.pem" rsa)"
	VF_P_other="$(vf_pubkey "$dir/keys/other.pem" rsa)"
	VF_P_small="$(vf_pubkey "$dir/keys/small.pem" rsa)"
	VF_P_ed="$(vf_pubkey "$dir/keys/ed.pem" ed25519)"
	VF_P_unsafe="$(vf_exponent_one "$dir/keys/primes.pem" "$dir/keys/unsafe.pem")"
	for k in "$VF_P_rsa" "$VF_P_other" "$VF_P_small" "$VF_P_ed" "$VF_P_unsafe"; do
		if [ -z "$k" ]; then
			echo "verify_fixtures: openssl could not export a public key" >&2
			return 1
		fi
	done
}

# vf_zones DIR TOP_SRCDIR: the fixture zones plus the generated ones.
vf_zones() {
	local z="$1/zones"
	mkdir -p "$z"
	cp "$2"/tests/fixtures/zones/*.zone "$z"/ || return 1
	vf_zone "$z" dkimv.test \
		"@	IN TXT	\"v=spf1 ip4:127.0.0.1 -all\"" \
		"_dmarc	IN TXT	\"v=DMARC1; p=reject\"" \
		"rsa._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_rsa")" \
		"ed._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=ed25519; p=$VF_P_ed")" \
		"small._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_small")" \
		"testing._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; t=y; p=$VF_P_rsa")" \
		"revoked._domainkey	IN TXT	\"v=DKIM1; k=rsa; p=\"" \
		"unsafe._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_unsafe")" \
		"sub	IN A	127.0.0.1"
	vf_zone "$z" dkimv-strict.test \
		"@	IN TXT	\"v=spf1 ip4:127.0.0.1 -all\"" \
		"_dmarc	IN TXT	\"v=DMARC1; p=quarantine; adkim=s; aspf=s\"" \
		"rsa._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_rsa")" \
		"sub	IN A	127.0.0.1"
	vf_zone "$z" dkimv-other.test \
		"@	IN TXT	\"v=spf1 -all\"" \
		"_dmarc	IN TXT	\"v=DMARC1; p=none\"" \
		"rsa._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_other")"
	for d in learn.test learn-forged.test; do
		vf_zone "$z" "$d" \
			"@	IN MX	10 mx.$d." \
			"mx	IN A	127.0.0.1" \
			"@	IN TXT	\"v=spf1 ip4:127.0.0.1 -all\"" \
			"_dmarc	IN TXT	\"v=DMARC1; p=reject\"" \
			"rsa._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_rsa")"
	done
	vf_zone "$z" spfv-soft.test \
		"@	IN TXT	\"v=spf1 ip4:127.0.0.1 ~all\""
	vf_zone "$z" spfv-perm.test \
		"@	IN TXT	\"v=spf1 include:nospf.spfv-perm.test -all\"" \
		"nospf	IN A	127.0.0.1"
}

# vf_messages DIR: the messages of the cases table (and a few more check_message.sh uses).
vf_messages() {
	local d="$1" past
	mkdir -p "$d/msg"
	past=$(($(date +%s) - 172800))
	vf_msg "$d/msg/plain.eml" dkimv.test "posture-check message test"
	vf_msg "$d/msg/sub.eml" sub.dkimv.test
	vf_msg "$d/msg/strict.eml" dkimv-strict.test
	vf_msg "$d/msg/strict-sub.eml" sub.dkimv-strict.test
	vf_msg "$d/msg/learn-plain.eml" learn.test
	vf_msg "$d/msg/learn-forged-plain.eml" learn-forged.test
	vf_sign "$d" plain rsa rsa dkimv.test rsa &&
		vf_sign "$d" plain ed ed dkimv.test ed -a ed25519-sha256 &&
		vf_sign "$d" plain nokey rsa dkimv.test missing &&
		vf_sign "$d" plain revoked rsa dkimv.test revoked &&
		vf_sign "$d" plain small small dkimv.test small &&
		vf_sign "$d" plain sha1 rsa dkimv.test rsa -a rsa-sha1 &&
		vf_sign "$d" plain from-unsigned rsa dkimv.test rsa -H subject:date:to:message-id &&
		vf_sign "$d" plain expired rsa dkimv.test rsa -t "$past" -x 3600 &&
		vf_sign "$d" plain length rsa dkimv.test rsa -l 40 &&
		vf_sign "$d" plain testing rsa dkimv.test testing &&
		vf_sign "$d" plain unsafe unsafe dkimv.test unsafe &&
		vf_sign "$d" plain other other dkimv-other.test rsa &&
		vf_sign "$d" other two-sigs rsa dkimv.test rsa &&
		vf_sign "$d" rsa two-sigs-bad-top other dkimv.test rsa &&
		vf_sign "$d" sub sub-relaxed rsa dkimv.test rsa &&
		vf_sign "$d" strict strict-same rsa dkimv-strict.test rsa &&
		vf_sign "$d" strict-sub strict-sub-signed rsa dkimv-strict.test rsa &&
		vf_sign "$d" learn-plain learn-signed rsa learn.test rsa &&
		vf_sign "$d" learn-forged-plain learn-forged-signed rsa learn-forged.test rsa ||
		return 1
	sed 's/this is the test body/this is a tampered body/' "$d/msg/rsa.eml" >"$d/msg/rsa-body.eml"
	sed 's/^Subject: .*/Subject: a changed subject/' "$d/msg/rsa.eml" >"$d/msg/rsa-header.eml"
	# A signature that does not verify must teach nothing.
	sed -i 's/this is the test body/this is a tampered body/' "$d/msg/learn-forged-signed.eml"
	{ cat "$d/msg/length.eml"; printf 'Text appended after signing: l= leaves it unsigned.\n'; } \
		>"$d/msg/length-appended.eml"
}

# vf_cases DIR: the table (see the top of this file).
vf_cases() {
	local c="$1/cases"
	{
		printf '# NAME\tCLIENT_IP\tMAIL_FROM\tHELO\tSPF\tDKIM\tDMARC\n'
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
			rsa 127.0.0.1 a@dkimv.test mx.dkimv.test pass pass pass \
			ed 127.0.0.1 a@dkimv.test mx.dkimv.test pass pass pass \
			plain 127.0.0.1 a@dkimv.test mx.dkimv.test pass none pass \
			plain-spf-fail 127.0.0.2 a@dkimv.test mx.dkimv.test fail none fail \
			rsa-body 127.0.0.1 a@dkimv.test mx.dkimv.test pass fail pass \
			rsa-header 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail fail \
			revoked 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail fail \
			small 127.0.0.2 a@dkimv.test mx.dkimv.test fail policy fail \
			sha1 127.0.0.2 a@dkimv.test mx.dkimv.test fail policy fail \
			from-unsigned 127.0.0.2 a@dkimv.test mx.dkimv.test fail policy fail \
			expired 127.0.0.2 a@dkimv.test mx.dkimv.test fail policy fail \
			length-appended 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass \
			testing 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass \
			nokey 127.0.0.2 a@dkimv.test mx.dkimv.test fail permerror fail \
			unsafe 127.0.0.2 a@dkimv.test mx.dkimv.test fail permerror fail \
			two-sigs 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass,pass pass \
			two-sigs-bad-top 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail,pass pass \
			other 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass fail \
			sub-relaxed 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass \
			strict-same 127.0.0.2 a@dkimv-strict.test mx.dkimv.test fail pass pass \
			strict-sub-signed 127.0.0.1 a@dkimv-strict.test mx.dkimv.test pass pass fail \
			rsa-spf-soft 127.0.0.2 a@spfv-soft.test mx.dkimv.test softfail pass pass \
			rsa-spf-perm 127.0.0.1 a@spfv-perm.test mx.dkimv.test permerror pass pass \
			rsa-null-sender 127.0.0.1 '<>' dkimv.test pass pass pass
	} >"$c"
	# Cases that reuse another case's message.
	cp "$1/msg/rsa.eml" "$1/msg/rsa-spf-soft.eml"
	cp "$1/msg/rsa.eml" "$1/msg/rsa-spf-perm.eml"
	cp "$1/msg/rsa.eml" "$1/msg/rsa-null-sender.eml"
	cp "$1/msg/plain.eml" "$1/msg/plain-spf-fail.eml"
}

# vf_make DIR SIGN_TOOL TOP_SRCDIR: everything above; 1 with a reason on failure.
vf_make() {
	VF_SIGN="$2"
	if [ ! -x "$VF_SIGN" ]; then
		echo "verify_fixtures: $VF_SIGN not built (make dkim_sign_tool)" >&2
		return 1
	fi
	mkdir -p "$1" && vf_keys "$1" && vf_zones "$1" "$3" && vf_messages "$1" && vf_cases "$1"
}

# vf_postfix_missing: append what a private-Postfix fixture test lacks to $missing.
vf_postfix_missing() {
	pf_find_binaries || missing="${missing:+$missing, }$PF_MISSING"
	nsd_find_binary || missing="${missing:+$missing, }nsd (Debian package nsd)"
	command -v python3 >/dev/null || missing="${missing:+$missing, }python3"
	command -v openssl >/dev/null || missing="${missing:+$missing, }openssl"
	[ "$(id -u)" = 0 ] || missing="${missing:+$missing, }root (a private Postfix needs it)"
}

# vf_serve NAME MAKE [ARGS...]: WORK and VF made, NSD serving them (see the top).
vf_serve() {
	local name="$1" make="$2"
	shift 2
	WORK="$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")" || exit 99
	trap 'rm -rf "$WORK"' EXIT
	VF="$WORK/vf"
	if ! "$make" "$VF" "$@"; then
		echo "FAIL setup: the fixtures could not be made ($make, see above)"
		echo "0 passed, 1 failed"
		exit 99
	fi
	if ! nsd_start "$VF/zones"; then
		echo "FAIL setup: NSD did not start on the zones (see above)"
		echo "0 passed, 1 failed"
		exit 99
	fi
	# shellcheck disable=SC2016 # expanded at exit
	nsd_at_exit 'rm -rf "$WORK"'
}

# vf_arc_key DIR DOMAIN: the zone line of DOMAIN's key in DIR/arc/keys.txt.
vf_arc_key() {
	local name rec
	while read -r name rec; do
		if [ "${name#*._domainkey.}" = "$2" ]; then
			printf '%s\tIN TXT %s\n' "${name%".$2"}" "$(vf_txt_strings "$rec")"
			return 0
		fi
	done <"$1/arc/keys.txt"
	return 1
}

# vf_arc DIR TOP_SRCDIR: the ARC chains and their zones (see the top of this file).
vf_arc() {
	local dir="$1" p
	VF_PYDKIM=""
	for p in /usr/bin/python3 python3; do
		if "$p" -c 'import dkim, authres' 2>/dev/null; then
			VF_PYDKIM="$(command -v "$p")"
			break
		fi
	done
	if [ -z "$VF_PYDKIM" ]; then
		echo "verify_fixtures: no python3 with dkimpy (python3-dkim)" >&2
		return 1
	fi
	mkdir -p "$dir/arc" "$dir/zones" || return 1
	if ! "$VF_PYDKIM" "$2/tests/arc/arc_chains.py" "$dir/arc" 2>"$dir/arc.err"; then
		echo "verify_fixtures: arc_chains.py failed: $(tail -n 1 "$dir/arc.err")" >&2
		return 1
	fi
	"$VF_PYDKIM" - "$dir/arc/two_hops.eml" "$dir/arc/no_arc.eml" <<'PYEOF' || return 1
import re, sys
head, _, body = open(sys.argv[1], "rb").read().partition(b"\r\n\r\n")
head = re.sub(rb"(?m)^ARC-[A-Za-z-]+:.*\r\n(?:[ \t].*\r\n)*", b"", head + b"\r\n")
open(sys.argv[2], "wb").write(head + b"\r\n" + body)
PYEOF
	vf_zone "$dir/zones" relay.example \
		"@	IN TXT	\"v=spf1 ip4:127.0.0.1 -all\"" \
		"_dmarc	IN TXT	\"v=DMARC1; p=none\"" \
		"$(vf_arc_key "$dir" relay.example)" &&
		vf_zone "$dir/zones" list.example \
			"@	IN TXT	\"v=spf1 ip4:127.0.0.1 -all\"" \
			"_dmarc	IN TXT	\"v=DMARC1; p=none\"" \
			"$(vf_arc_key "$dir" list.example)" &&
		vf_zone "$dir/zones" example.com \
			"@	IN TXT	\"v=spf1 -all\"" \
			"_dmarc	IN TXT	\"v=DMARC1; p=reject\"" \
			"$(vf_arc_key "$dir" example.com)" &&
		vf_zone "$dir/zones" com &&
		vf_zone "$dir/zones" example
}
