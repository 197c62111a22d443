#!/bin/bash
# mailauth.sh - differential check of posture-check's message verification (SPF, DKIM,
# DMARC) against an independent implementation, the npm package mailauth.
#
#   tests/differential/mailauth.sh -b BUILDDIR [-w WORKDIR] [-k] [-v]
#
# BUILDDIR holds posture-check and dkim_sign_tool (make && make dkim_sign_tool); nothing
# is built here. The script installs mailauth (the exact version pinned below, no lock
# file kept) with npm into WORKDIR/npm, makes the verification fixtures with vf_make
# (tests/integration/verify_fixtures.sh: keys, zones, signed messages, the table of
# expected verdicts) plus the extra cases of this file (names x-*: SPF and DMARC fixture
# zones, canonicalization, h= and From oddities, key records, i=, l=0, IPv6, ptr; some
# signed by dkim_handsign.mjs where h= must be exact), starts NSD on them
# (tests/integration/nsd.sh), runs on every case
#   posture-check --resolver 127.0.0.1:PORT --json --message M --client-ip IP
#                 --mail-from A --helo H
#   node tests/differential/mailauth_verify.mjs (mailauth's authenticate(), DNS from
#                 the same NSD only)
# and prints one line per case: ours spf/dkim/dmarc, mailauth's, the expected column, and
# AGREE or DIFFER with the class of the difference; then the counts.
# ARC: the chains tests/arc/arc_chains.py makes with dkimpy (verify_fixtures.sh vf_arc:
# one hop, two hops, body changed, changed between hops, tampered seal, instance gap, a
# duplicated i=, a missing AAR, 50 and 51 sets, a mailing list, no ARC), each verified by
# both (mailauth_verify.mjs --arc), compared on the arc= word and the instance count N
# (ours "instances", mailauth's i; a chain whose structure is broken counts 0 for both);
# a difference fails the run unless KNOWN_ARC lists it.
#
# A DIFFER is not automatically our bug. KNOWN (below) lists the differences that were
# read against the RFCs and both implementations, case by case and field by field, with
# the exact pair of words; a difference not listed, or listed with other words, makes the
# run fail, and so does a KNOWN line that no longer occurs (a fix, or a new mailauth).
# "ours!=expected" marks a case where our verdict is not the expected column's; that
# fails the run too. Classes named OURS-* would be bugs of ours found here and not fixed
# yet (none now: the two found were fixed, the 'From :' field and k= against a=):
# their cases expect the RFC's verdict, so the run exits 1 until they are fixed (then
# delete their KNOWN lines).
#
# Needs: the npm registry (npm install), node >= 20, nsd, python3, python3-dkim (dkimpy,
# for the ARC chains), openssl. Not part of
# make check (it needs the network for npm); run it by hand or in an optional CI job.
# -w reuses WORKDIR (and its npm install) and keeps it; -k keeps a temporary one;
# -v prints both implementations' reasons under each differing case.
# Exit: 0 every difference known and our verdicts as expected; 1 otherwise; 2 bad usage
# or a missing tool; 3 setup failed (npm, fixtures, NSD).
#
# What can go wrong: npm unreachable or the pinned version gone (exit 3 with npm's last
# lines); a later mailauth changing its words (then update MAILAUTH_VERSION and KNOWN
# together); a hung run (timeout(1), 30 s per program and case).

set -u

# 4.13.3: the newest release whose engines field accepts node 20 (5.x and later want
# node >= 22.19).
MAILAUTH_VERSION=4.13.3
RUN_LIMIT=30

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top_srcdir="$(cd "$here/../.." && pwd)"

# The differences read and accepted. Columns: CASE FIELD OURS MAILAUTH CLASS.
# FIELD is spf, dkim (the comma-joined list) or dmarc. Classes are explained in CLASSES.
KNOWN="
sha1				dkim	policy		pass		rsa-sha1
sha1				dmarc	fail		pass		rsa-sha1
from-unsigned			dkim	policy		pass		from-not-signed
from-unsigned			dmarc	fail		pass		from-not-signed
expired				dkim	policy		neutral		expired-word
rsa-body			dkim	fail		neutral		dkim-fail-word
x-simple-body-ws		dkim	fail		neutral		dkim-fail-word
x-relaxed-body-ws-added		dkim	fail		neutral		dkim-fail-word
revoked				dkim	fail		neutral		dkim-fail-word
nokey				dkim	permerror	neutral		dkim-permerror-word
strict-sub-signed		dmarc	fail		pass		strict-alignment
x-two-from			dmarc	permerror	none		several-authors
x-two-from-one-field		dmarc	permerror	none		several-authors
x-two-addr-same-domain		dmarc	pass		none		several-authors
x-second-from-below		dmarc	permerror	none		several-authors
x-hand-oversigned-from-added	dmarc	permerror	none		several-authors
x-spf-ptr-198-51-100-7		spf	fail		temperror	ptr-dns-error
x-ptr-refused			spf	fail		temperror	ptr-dns-error
x-spf-syntax-11-0-0-1		spf	permerror	pass		spf-syntax-lazy
x-spf-syntax-11-0-0-1		dmarc	fail		pass		spf-syntax-lazy
x-l-zero			dkim	pass		neutral		l-zero
x-l-zero			dmarc	pass		fail		l-zero
x-future-t			dkim	policy		pass		future-timestamp
x-future-t			dmarc	fail		pass		future-timestamp
x-key-v2			dkim	permerror	neutral		dkim-permerror-word
x-key-sha1only			dkim	permerror	pass		key-h-tag
x-key-sha1only			dmarc	fail		pass		key-h-tag
x-key-tlsrpt			dkim	permerror	pass		key-s-tag
x-key-tlsrpt			dmarc	fail		pass		key-s-tag
x-key-multi			dkim	permerror	pass		several-key-records
x-key-multi			dmarc	fail		pass		several-key-records
x-i-other			dkim	permerror	pass		i-not-under-d
x-i-other			dmarc	fail		pass		i-not-under-d
x-from-3			dmarc	pass		temperror	from-quoted-local-part
x-key-edtype			dkim	permerror	neutral		dkim-permerror-word
x-key-edkrsa			dkim	permerror	neutral		dkim-permerror-word
x-key-ednok			dkim	permerror	pass		key-type-unchecked
x-key-ednok			dmarc	fail		pass		key-type-unchecked
unsafe				dkim	permerror	pass		rsa-exponent-one
unsafe				dmarc	fail		pass		rsa-exponent-one
"

# The ARC differences read and accepted. Columns: CASE OURS MAILAUTH CLASS, each verdict
# written WORD/N. None now: every chain agrees.
KNOWN_ARC="
"

CLASSES="
rsa-sha1            mailauth verifies rsa-sha1 signatures; RFC 8301 3.1: verifiers MUST NOT
                    consider them valid. Ours (policy; DMARC without it) is right.
from-not-signed     mailauth does not require From in h=; RFC 6376 5.4: From MUST be
                    signed, 6.1.1: a verifier MAY reject such a signature (libopendkim
                    does). Ours (policy) follows the RFC; theirs is permitted but weak.
expired-word        both reject an expired signature (RFC 6376 3.5 x=); mailauth's word
                    is neutral, ours policy (posture-check(1)). Words only.
dkim-fail-word      the body hash does not match, or the key is revoked (empty p=):
                    RFC 6376 3.6.1 / 6.1.3 PERMFAIL, RFC 8601 2.7.1 fail (ours);
                    mailauth says neutral. Words only.
dkim-permerror-word no key record (RFC 6376 6.1.2 PERMFAIL): RFC 8601 2.7.1 permerror
                    (ours); mailauth says neutral. Words only.
strict-alignment    mailauth passes a strict (adkim=s) policy on relaxed alignment:
                    dmarc/verify.js passes {strict: ...} (always truthy) and
                    tools.js getAlignment falls back to organizational-domain matching
                    after its strict loop. RFC 7489 3.1.1 / RFC 9989: strict needs the
                    exact domain. Theirs is wrong.
several-authors     mailauth skips DMARC (no result, shown as none) when From carries
                    more than one address. Several author domains: ours permerror (RFC
                    7489 6.6.1 leaves the handling to the receiver); one domain named
                    twice is evaluated (ours pass). Ours is defensible.
ptr-dns-error       the PTR lookup fails (REFUSED: the NSD has no reverse zone): RFC
                    7208 5.5 'If a DNS error occurs while doing the PTR RR lookup, then
                    this mechanism fails to match' (ours: on to -all, fail); mailauth
                    returns temperror. Theirs is wrong.
spf-syntax-lazy     ip4:11.0.0.256 after a matching mx: RFC 7208 4.6 (syntax errors
                    anywhere in the record: permerror before evaluation) and 5.6 (qnum
                    <= 255). Ours permerror; mailauth evaluates left to right and
                    passes on mx. Theirs is wrong.
l-zero              l=0 (RFC 6376 3.5: body length count, 0 is a valid value): mailauth's
                    dkim-verifier.js drops a falsy l= and hashes the whole body (body hash
                    mismatch). Ours pass is right (and l=0 is a weakness the report
                    flags, not a verification error).
key-h-tag           key record h=sha1, signature rsa-sha256: RFC 6376 6.1.2 (inappropriate
                    hash algorithm: PERMFAIL). Ours permerror; mailauth ignores h=. Theirs
                    is wrong.
key-s-tag           key record s=tlsrpt: RFC 6376 3.6.1 s= (verifiers MUST ignore a record
                    whose service types do not include email or *). Ours permerror;
                    mailauth ignores s=. Theirs is wrong.
several-key-records two TXT records at the selector, one good: RFC 6376 3.6.2.2 (results
                    undefined) and 6.1.2 (the verifier may pick one or try each).
                    Ours permerror, mailauth takes the first. Both defensible.
i-not-under-d       i=alice@dkimv.test with d=diffv.test: RFC 6376 6.1.1 (d= must be i='s
                    domain or a parent; otherwise PERMFAIL domain mismatch). Ours
                    permerror; mailauth passes. Theirs is wrong.
from-quoted-local-part  From: \"a@dkimv-other.test\"@dkimv.test: the author domain is
                    dkimv.test (RFC 5322 3.4.1). Ours pass; mailauth's address parser
                    takes the quoted @ and looks up _dmarc.dkimv-other.test@dkimv.test
                    (temperror). Theirs is wrong.
key-type-unchecked  Ed25519 key data under a record without k= (so k=rsa, RFC 6376
                    3.6.1), signature a=ed25519-sha256: 6.1.2 says PERMFAIL
                    (inappropriate key algorithm). Ours permerror; mailauth passes.
                    Theirs is wrong. (Found here as a bug of ours, with RSA data under
                    k=ed25519 and Ed25519 data under k=rsa: fixed, see git log.)
rsa-exponent-one    a key record whose RSA public exponent is 1 (verify_fixtures.sh:
                    the signature is the padded hash itself, anyone can forge it). RFC
                    8017 3.1: e is an odd integer with 3 <= e <= n - 1, so the record is
                    no RSA public key (RFC 6376 6.1.2 PERMFAIL). Ours permerror; mailauth
                    passes. Theirs is wrong. (The case came with commit 3a4c2e9, after
                    this list; first seen when ARC was added here.)
future-timestamp    t= a day ahead: RFC 6376 3.5 'Verifiers MAY ignore signatures with a
                    timestamp in the future'. Ours policy (libopendkim, 300 s of clock drift
                    allowed) rejects it, mailauth accepts. Both permitted.
"

# Print the usage on stderr and exit 2.
usage() {
	echo "usage: $0 -b BUILDDIR [-w WORKDIR] [-k] [-v]" >&2
	exit 2
}

BUILD=""
WORK=""
KEEP=0
VERBOSE=0
while getopts b:w:kv opt; do
	case "$opt" in
	b) BUILD="$OPTARG" ;;
	w) WORK="$OPTARG" KEEP=1 ;;
	k) KEEP=1 ;;
	v) VERBOSE=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 0 ] || [ -z "$BUILD" ]; then
	usage
fi
BUILD="$(cd "$BUILD" 2>/dev/null && pwd)" || {
	echo "mailauth.sh: no build directory $BUILD" >&2
	exit 2
}
PC="$BUILD/posture-check"
SIGN="$BUILD/dkim_sign_tool"
for prog in "$PC" "$SIGN"; do
	if [ ! -x "$prog" ]; then
		echo "mailauth.sh: $prog not built (make && make dkim_sign_tool in $BUILD)" >&2
		exit 2
	fi
done
for tool in node npm python3 openssl; do
	if ! command -v "$tool" >/dev/null; then
		echo "mailauth.sh: $tool not installed" >&2
		exit 2
	fi
done

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/verify_fixtures.sh
. "$top_srcdir/tests/integration/verify_fixtures.sh"
if ! nsd_find_binary; then
	echo "mailauth.sh: nsd not installed (Debian package nsd)" >&2
	exit 2
fi

if [ -z "$WORK" ]; then
	WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-mailauth.XXXXXX")" || exit 3
fi
mkdir -p "$WORK" || exit 3
WORK="$(cd "$WORK" && pwd)"
FX="$WORK/fx"

# Remove the work directory unless asked to keep it.
cleanup() {
	if [ "$KEEP" = 1 ]; then
		echo "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# ---- mailauth ----

# Install the pinned mailauth into $WORK/npm unless that version is already there.
install_mailauth() {
	local have=""
	if [ -f "$WORK/npm/node_modules/mailauth/package.json" ]; then
		have="$(node -p "require('$WORK/npm/node_modules/mailauth/package.json').version" 2>/dev/null)"
	fi
	if [ "$have" = "$MAILAUTH_VERSION" ]; then
		return 0
	fi
	mkdir -p "$WORK/npm"
	if ! npm install --prefix "$WORK/npm" --no-save --no-package-lock --no-audit --no-fund \
		--loglevel=error "mailauth@$MAILAUTH_VERSION" >"$WORK/npm.log" 2>&1; then
		echo "mailauth.sh: npm install mailauth@$MAILAUTH_VERSION failed:" >&2
		tail -n 5 "$WORK/npm.log" >&2
		return 1
	fi
}
install_mailauth || exit 3
echo "# mailauth $MAILAUTH_VERSION (node $(node --version)), posture-check from $BUILD"

# ---- fixtures: the shared table, then the extra cases of this file ----

rm -rf "$FX"
if ! vf_make "$FX" "$SIGN" "$top_srcdir"; then
	echo "mailauth.sh: vf_make failed" >&2
	exit 3
fi

# VF_P_* (the keys' p= values) are set by vf_make.
# shellcheck disable=SC2154
# A zone of ours: IPv6 and IPv4 SPF, a key one label down (sub.diffv.test).
vf_zone "$FX/zones" diffv.test \
	"@	IN TXT	\"v=spf1 ip6:::1 ip4:127.0.0.3 -all\"" \
	"_dmarc	IN TXT	\"v=DMARC1; p=reject\"" \
	"rsa._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_rsa")" \
	"rsa._domainkey.sub	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_rsa")" \
	"sha1only._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; h=sha1; p=$VF_P_rsa")" \
	"tlsrpt._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; s=tlsrpt; p=$VF_P_rsa")" \
	"v2._domainkey	IN TXT $(vf_txt_strings "v=DKIM2; k=rsa; p=$VF_P_rsa")" \
	"vlate._domainkey	IN TXT $(vf_txt_strings "k=rsa; v=DKIM1; p=$VF_P_rsa")" \
	"nov._domainkey	IN TXT $(vf_txt_strings "k=rsa; p=$VF_P_rsa")" \
	"edtype._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=ed25519; p=$VF_P_rsa")" \
	"unknowntag._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; zz=top; p=$VF_P_rsa")" \
	"spaced._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=${VF_P_rsa:0:100} ${VF_P_rsa:100:100}	${VF_P_rsa:200}")" \
	"edkrsa._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_ed")" \
	"ednok._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; p=$VF_P_ed")" \
	"multi._domainkey	IN TXT $(vf_txt_strings "v=DKIM1; k=rsa; p=$VF_P_rsa")" \
	"multi._domainkey	IN TXT	\"v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAA==\"" \
	"h	IN A	127.0.0.3" \
	"mac	IN TXT	\"v=spf1 exists:%{l}.u.%{d} -all\"" \
	"alice.u.mac	IN A	127.0.0.2" \
	"mac2	IN TXT	\"v=spf1 exists:%{ir}.%{v}._ip.%{d2} -all\"" \
	"3.0.0.127.in-addr._ip	IN A	127.0.0.2" \
	"redir	IN TXT	\"v=spf1 redirect=nospf.diffv.test\"" \
	"nospf	IN A	127.0.0.3" \
	"cidr	IN TXT	\"v=spf1 a:h.diffv.test/24 -all\"" \
	"upper	IN TXT	\"V=SPF1 ip4:127.0.0.3 -all\"" \
	"badcidr	IN TXT	\"v=spf1 ip4:127.0.0.3/33 -all\"" \
	"unknownmech	IN TXT	\"v=spf1 ip4:127.0.0.3 foo:bar -all\"" \
	"unknownmod	IN TXT	\"v=spf1 ip4:127.0.0.3 foo=bar -all\"" \
	"exp	IN TXT	\"v=spf1 -all exp=why.%{d}\"" \
	"ip6net	IN TXT	\"v=spf1 ip6:2001:db8::/32 -all\""
# ptr: a zone with "ptr -all", its reverse zone for 192.0.2.0/24.
vf_zone "$FX/zones" ptrv.test \
	"@	IN TXT	\"v=spf1 ptr -all\"" \
	"_dmarc	IN TXT	\"v=DMARC1; p=reject\"" \
	"h	IN A	192.0.2.9" \
	"h2	IN A	192.0.2.99"
vf_zone "$FX/zones" 2.0.192.in-addr.arpa \
	"9	IN PTR	h.ptrv.test." \
	"10	IN PTR	h.dkimv-other.test." \
	"11	IN PTR	h2.ptrv.test."

M="$FX/msg"
XC="$FX/cases.extra"
: >"$XC"

# xcase NAME IP MAIL_FROM HELO SPF DKIM DMARC: one extra case ("-": no expectation).
xcase() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$XC"
}

# xsign IN OUT KEY DOMAIN SELECTOR [ARGS...]: sign msg/IN.eml into msg/OUT.eml.
xsign() {
	vf_sign "$FX" "$@"
}

# hsign IN OUT H-LIST [DOMAIN SELECTOR [EXTRA-TAGS]]: sign msg/IN.eml by hand with the
# rsa key (dkim_handsign.mjs); default d=dkimv.test s=rsa.
hsign() {
	if ! node "$here/dkim_handsign.mjs" "$FX/keys/rsa.pem" "${4:-dkimv.test}" "${5:-rsa}" "$3" \
		"$M/$1.eml" "${6:-}" >"$M/$2.eml" 2>"$FX/hsign.err"; then
		echo "mailauth.sh: dkim_handsign.mjs $2: $(head -n 1 "$FX/hsign.err")" >&2
		return 1
	fi
}

# xmsg NAME FROM-LINE: an unsigned message with a given From field (LF line ends).
xmsg() {
	cat >"$M/$1.eml" <<EOF
From: $2
To: Bob <bob@example.net>
Subject: $1
Date: Mon, 01 Jan 2024 00:00:00 +0000
Message-ID: <$1@diffv.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello Bob,

this is the body of $1.
EOF
}

# make_extra: the extra messages and their table rows; 1 when signing failed.
make_extra() {
	local z now
	now="$(date +%s)"

	# SPF: the repository's spf-* zones, unsigned messages from each domain.
	for z in clean:11.0.0.5:pass clean:2a00:1450:4001::1:pass clean:192.0.2.9:fail \
		include-missing:192.0.2.9:permerror include-missing:11.0.0.1:pass \
		loop:192.0.2.9:permerror macro:192.0.2.9:fail multiple:11.0.0.1:permerror \
		mx-hosts:192.0.2.9:permerror near-limit:192.0.2.9:fail neutral-all:192.0.2.9:neutral \
		no-all:192.0.2.9:neutral none:192.0.2.9:none pass-all:192.0.2.9:pass \
		ptr:198.51.100.7:fail redirect-ignored:11.0.0.5:fail senderid:192.0.2.9:fail \
		string-boundary:11.0.0.2:pass syntax:11.0.0.1:permerror too-long:11.0.30.5:pass \
		too-many-lookups:192.0.2.9:permerror tree:192.0.2.9:permerror \
		type99:192.0.2.9:fail void:192.0.2.9:permerror; do
		local dom="${z%%:*}" rest="${z#*:}" ip want name
		want="${rest##*:}"
		ip="${rest%:*}"
		name="x-spf-$dom-$(printf '%s' "$ip" | tr ':.' '--')"
		xmsg "$name" "Alice <alice@spf-$dom.test>"
		xcase "$name" "$ip" "a@spf-$dom.test" "mx.spf-$dom.test" "$want" none -
	done

	# DMARC: the repository's dmarc-* zones; SPF passes for dkimv.test, not aligned.
	for z in clean:fail deep:fail inherit:fail multiple:none none:none p-none:fail \
		syntax:- testing:fail v-not-first:none sp-weaker:fail obsolete:fail pct:fail; do
		local dom="${z%%:*}" want="${z#*:}" from
		case "$dom" in
		deep) from="a.b.c.d.e.f.g.dmarc-deep.test" ;;
		inherit) from="sub.dmarc-inherit.test" ;;
		sp-weaker) from="nonexistent.dmarc-sp-weaker.test" ;;
		*) from="dmarc-$dom.test" ;;
		esac
		xmsg "x-dmarc-$dom" "Alice <alice@$from>"
		xcase "x-dmarc-$dom" 127.0.0.1 a@dkimv.test mx.dkimv.test pass none "$want"
	done
	xmsg x-psd-bank "Alice <alice@giant.psd-bank.test>"
	xcase x-psd-bank 127.0.0.1 a@dkimv.test mx.dkimv.test pass none fail

	# Several authors: two From fields, two addresses in one field, one domain twice.
	{ printf 'From: x@dkimv-other.test\n'; cat "$M/rsa.eml"; } >"$M/x-two-from.eml"
	xcase x-two-from 127.0.0.1 a@dkimv.test mx.dkimv.test pass pass permerror
	xmsg x-two-from-one-field-plain "alice@dkimv.test, mallory@dkimv-other.test"
	xsign x-two-from-one-field-plain x-two-from-one-field rsa dkimv.test rsa || return 1
	xcase x-two-from-one-field 127.0.0.1 a@dkimv.test mx.dkimv.test pass pass permerror
	xmsg x-two-addr-plain "alice@dkimv.test, carol@dkimv.test"
	xsign x-two-addr-plain x-two-addr-same-domain rsa dkimv.test rsa || return 1
	xcase x-two-addr-same-domain 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	# A display name that looks like an address of another domain.
	xmsg x-display-at-plain '"boss@dkimv-other.test" <alice@dkimv.test>'
	xsign x-display-at-plain x-display-at rsa dkimv.test rsa || return 1
	xcase x-display-at 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	# No From field at all.
	grep -v '^From:' "$M/rsa.eml" >"$M/x-no-from.eml"
	xcase x-no-from 127.0.0.1 a@dkimv.test mx.dkimv.test pass fail -

	# Canonicalization: whitespace and folding changed after signing (RFC 6376 3.4).
	cat >"$M/x-folded.eml" <<'EOF'
From: Alice <alice@dkimv.test>
To: Bob <bob@example.net>,
	Carol <carol@example.net>
Subject: a subject
  folded   over two lines
Date: Mon, 01 Jan 2024 00:00:00 +0000
Message-ID: <x-folded@dkimv.test>

Body line with trailing spaces   
	and a tab-led line

EOF
	xsign x-folded x-relaxed-folded rsa dkimv.test rsa -c relaxed/relaxed || return 1
	xsign x-folded x-simple-folded rsa dkimv.test rsa -c simple/simple || return 1
	xcase x-relaxed-folded 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	xcase x-simple-folded 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	# Refold Subject and To, upper-case a field name: relaxed passes, simple fails.
	local refold='s/^Subject: a subject$/Subject:   a  subject/; s/^  folded   over/ folded over/; s/^To: Bob/TO:  Bob/'
	sed "$refold" "$M/x-relaxed-folded.eml" >"$M/x-relaxed-refolded.eml"
	sed "$refold" "$M/x-simple-folded.eml" >"$M/x-simple-refolded.eml"
	xcase x-relaxed-refolded 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	xcase x-simple-refolded 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail fail
	# Body whitespace: relaxed ignores trailing and collapses inner WSP; simple does not.
	sed 's/^Body line with/Body  line  with/' "$M/x-relaxed-folded.eml" >"$M/x-relaxed-body-ws.eml"
	sed 's/^Body line with/Body  line  with/' "$M/x-simple-folded.eml" >"$M/x-simple-body-ws.eml"
	xcase x-relaxed-body-ws 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	xcase x-simple-body-ws 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail fail
	# Whitespace where there was none is not ignorable even in relaxed (3.4.4).
	sed 's/^Body line with/Bodyline with/' "$M/x-relaxed-folded.eml" >"$M/x-relaxed-body-ws-added.eml"
	xcase x-relaxed-body-ws-added 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail fail
	# Empty lines appended: both canonicalizations drop them at the end (3.4.3, 3.4.4).
	{ cat "$M/x-simple-folded.eml"; printf '\n\n\n'; } >"$M/x-simple-trailing-lines.eml"
	xcase x-simple-trailing-lines 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	# The same message with CRLF line ends.
	sed 's/$/\r/' "$M/x-simple-folded.eml" >"$M/x-simple-crlf.eml"
	xcase x-simple-crlf 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass

	# h= and fields added after signing. The test signer (libopendkim) leaves out of h=
	# the names the message lacks and signs each name once: a field it did not sign may
	# be added, and a second From below the first breaks it (RFC 6376 5.4.2).
	xsign plain x-h-short rsa dkimv.test rsa -H from:subject:date:reply-to || return 1
	sed '/^Subject:/i Reply-To: mallory@dkimv-other.test' "$M/x-h-short.eml" \
		>"$M/x-unsigned-field-added.eml"
	xcase x-unsigned-field-added 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	sed '/^To:/i From: mallory@dkimv-other.test' "$M/x-h-short.eml" >"$M/x-second-from-below.eml"
	xcase x-second-from-below 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail permerror
	# The same with dkim_handsign.mjs, whose h= is exactly as given: a name the message
	# lacks signs its absence (5.4), a name twice signs the absence of a second instance.
	hsign plain x-hand-plain from:to:subject:date:message-id || return 1
	xcase x-hand-plain 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	hsign plain x-hand-absent from:subject:date:reply-to || return 1
	xcase x-hand-absent 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	sed '/^Subject:/i Reply-To: mallory@dkimv-other.test' "$M/x-hand-absent.eml" \
		>"$M/x-hand-absent-added.eml"
	xcase x-hand-absent-added 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail fail
	hsign plain x-hand-oversigned from:from:subject:date || return 1
	xcase x-hand-oversigned 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	sed '1a From: mallory@dkimv-other.test' "$M/x-hand-oversigned.eml" \
		>"$M/x-hand-oversigned-from-added.eml"
	xcase x-hand-oversigned-from-added 127.0.0.2 a@dkimv.test mx.dkimv.test fail fail permerror

	# l=: text appended (fixture length-appended), l=0 with the whole body unsigned.
	xsign plain x-l-zero rsa dkimv.test rsa -l 0 || return 1
	xcase x-l-zero 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass

	# Key and domain details: d= in capitals, a key one label down, two algorithms.
	xsign plain x-d-upper rsa DKIMV.TEST rsa || return 1
	xcase x-d-upper 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	xmsg x-diffv-plain "Alice <alice@diffv.test>"
	xmsg x-ptrv-plain "Alice <alice@ptrv.test>"
	xsign x-diffv-plain x-sub-key rsa sub.diffv.test rsa || return 1
	xcase x-sub-key 192.0.2.9 a@diffv.test mx.diffv.test fail pass pass
	xsign ed x-ed-then-rsa rsa dkimv.test rsa || return 1
	xcase x-ed-then-rsa 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass,pass pass
	# A signature from the future (RFC 6376 3.5 t=: verifiers MAY ignore it).
	xsign plain x-future-t rsa dkimv.test rsa -t $((now + 86400)) || return 1
	xcase x-future-t 127.0.0.2 a@dkimv.test mx.dkimv.test fail - -

	# Key records: hash list, service type, version, type, unknown tags, FWS in p=,
	# two records (RFC 6376 3.6.1, 6.1.2).
	# k= is the key type (default rsa) and must suit a= (6.1.2 "inappropriate key
	# algorithm"): RSA data under k=ed25519, Ed25519 data under k=rsa or no k=.
	local sel want
	for sel in sha1only:permerror/fail tlsrpt:permerror/fail v2:permerror/fail vlate:-/- \
		nov:pass/pass edtype:permerror/fail unknowntag:pass/pass spaced:pass/pass \
		multi:-/- edkrsa:permerror/fail ednok:permerror/fail; do
		want="${sel#*:}"
		sel="${sel%%:*}"
		case "$sel" in
		edkrsa | ednok) xsign x-diffv-plain "x-key-$sel" ed diffv.test "$sel" -a ed25519-sha256 ;;
		*) xsign x-diffv-plain "x-key-$sel" rsa diffv.test "$sel" ;;
		esac || return 1
		xcase "x-key-$sel" 192.0.2.9 a@diffv.test mx.diffv.test fail "${want%/*}" "${want#*/}"
	done
	# i= (RFC 6376 3.5): a subdomain of d= is fine, another domain is not.
	hsign x-diffv-plain x-i-sub from:subject:date diffv.test rsa "i=alice@sub.diffv.test;" || return 1
	xcase x-i-sub 192.0.2.9 a@diffv.test mx.diffv.test fail pass pass
	hsign x-diffv-plain x-i-other from:subject:date diffv.test rsa "i=alice@dkimv.test;" || return 1
	xcase x-i-other 192.0.2.9 a@diffv.test mx.diffv.test fail permerror fail
	# SPF details in diffv.test: macros, redirect to a name without SPF, CIDR on a:,
	# the version in capitals, bad CIDR, unknown mechanism and modifier, exp=, ip6 net.
	xcase_copy x-spf-macro-l x-diffv-plain 127.0.0.9 alice@mac.diffv.test mx.diffv.test pass none -
	xcase_copy x-spf-macro-l-other x-diffv-plain 127.0.0.9 bob@mac.diffv.test mx.diffv.test fail none -
	xcase_copy x-spf-macro-ir x-diffv-plain 127.0.0.3 a@mac2.diffv.test mx.diffv.test pass none -
	xcase_copy x-spf-redirect-none x-diffv-plain 127.0.0.3 a@redir.diffv.test mx.diffv.test permerror none -
	xcase_copy x-spf-a-cidr x-diffv-plain 127.0.0.77 a@cidr.diffv.test mx.diffv.test pass none -
	xcase_copy x-spf-upper x-diffv-plain 127.0.0.3 a@upper.diffv.test mx.diffv.test - none -
	xcase_copy x-spf-bad-cidr x-diffv-plain 127.0.0.3 a@badcidr.diffv.test mx.diffv.test permerror none -
	xcase_copy x-spf-unknown-mech x-diffv-plain 127.0.0.3 a@unknownmech.diffv.test mx.diffv.test permerror none -
	xcase_copy x-spf-unknown-mod x-diffv-plain 127.0.0.3 a@unknownmod.diffv.test mx.diffv.test pass none -
	xcase_copy x-spf-exp x-diffv-plain 127.0.0.3 a@exp.diffv.test mx.diffv.test fail none -
	xcase_copy x-spf-ip6-net x-diffv-plain 2001:db8:1::5 a@ip6net.diffv.test mx.diffv.test pass none -

	# From fields an address parser can get wrong (RFC 5322 3.4, 3.6.2).
	local i=0 f
	for f in 'alice@DKIMV.TEST' '"Doe, Alice" <alice@dkimv.test>' \
		'"a@dkimv-other.test"@dkimv.test' '=?utf-8?q?Al=40ice?= <alice@dkimv.test>' \
		'Alice <alice@dkimv.test> (a comment, with a comma)' \
		'mallory@dkimv-other.test <alice@dkimv.test>'; do
		i=$((i + 1))
		xmsg "x-from-$i-plain" "$f"
		xsign "x-from-$i-plain" "x-from-$i" rsa dkimv.test rsa || return 1
		xcase "x-from-$i" 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass -
	done
	# White space before the colon: RFC 5322 4.5 (obs-optional, obs-from: a receiver
	# MUST accept it), RFC 6376 3.4.2 (relaxed deletes WSP before the colon; simple
	# keeps the bytes). Signed by libopendkim, on From and on Subject.
	sed 's/^From:/From :/' "$M/x-from-1-plain.eml" >"$M/x-from-wsp-plain.eml"
	xsign x-from-wsp-plain x-from-wsp rsa dkimv.test rsa || return 1
	xcase x-from-wsp 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	xsign x-from-wsp-plain x-from-wsp-simple rsa dkimv.test rsa -c simple/simple || return 1
	xcase x-from-wsp-simple 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass
	sed 's/^Subject:/Subject :/' "$M/plain.eml" >"$M/x-subject-wsp-plain.eml"
	xsign x-subject-wsp-plain x-subject-wsp rsa dkimv.test rsa || return 1
	xcase x-subject-wsp 127.0.0.2 a@dkimv.test mx.dkimv.test fail pass pass

	# IPv6 clients, and an IPv4-mapped IPv6 address (RFC 7208 5.6? see the report).
	xcase_copy x-ipv6-pass x-diffv-plain ::1 a@diffv.test mx.diffv.test pass none pass
	xcase_copy x-ipv6-fail x-diffv-plain 2001:db8::1 a@diffv.test mx.diffv.test fail none fail
	xcase_copy x-ipv6-dkimv rsa ::1 a@dkimv.test mx.dkimv.test fail pass pass
	xcase_copy x-ipv4-mapped x-diffv-plain ::ffff:127.0.0.3 a@diffv.test mx.diffv.test pass none pass
	# HELO identity for the null sender: a HELO name with SPF, and one without.
	xcase_copy x-helo-null x-diffv-plain 127.0.0.3 '<>' h.diffv.test none none -
	xcase_copy x-helo-null-domain x-diffv-plain 127.0.0.3 '<>' diffv.test pass none pass
	# ptr (RFC 7208 5.5): validated name in the domain, another domain, a name whose
	# address does not match, no PTR record, and a PTR lookup the server refuses (no
	# reverse zone: "a DNS error ... fails to match", not temperror).
	xcase_copy x-ptr-pass x-ptrv-plain 192.0.2.9 a@ptrv.test mx.ptrv.test pass none pass
	xcase_copy x-ptr-other-domain x-ptrv-plain 192.0.2.10 a@ptrv.test mx.ptrv.test fail none fail
	xcase_copy x-ptr-not-validated x-ptrv-plain 192.0.2.11 a@ptrv.test mx.ptrv.test fail none fail
	xcase_copy x-ptr-no-record x-ptrv-plain 192.0.2.12 a@ptrv.test mx.ptrv.test fail none fail
	xcase_copy x-ptr-refused x-ptrv-plain 198.51.100.7 a@ptrv.test mx.ptrv.test fail none fail
	return 0
}

# xcase_copy NAME FROM-MSG REST...: a case on a copy of another message.
xcase_copy() {
	local name="$1" src="$2"
	shift 2
	cp "$M/$src.eml" "$M/$name.eml"
	xcase "$name" "$@"
}

if ! make_extra; then
	echo "mailauth.sh: making the extra messages failed" >&2
	exit 3
fi

if ! vf_arc "$FX" "$top_srcdir"; then
	echo "mailauth.sh: the ARC chains could not be made (vf_arc)" >&2
	exit 3
fi

if ! nsd_start "$FX/zones"; then
	echo "mailauth.sh: NSD did not start on the zones" >&2
	exit 3
fi
RESOLVER="127.0.0.1:$NSD_PORT"
# nsd_start replaced the EXIT trap with its own: clean up through it.
nsd_at_exit cleanup

# ---- running both ----

# words_ours JSON: "spf dkim dmarc" from posture-check's report ("error" if unreadable).
words_ours() {
	python3 - "$1" <<'PYEOF'
import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    d = d[0] if isinstance(d, list) else d
    v = d["verification"]
    dk = ",".join(s["result"] for s in v["dkim"]) or "none"
    print(v["spf"]["result"], dk, v["dmarc"]["result"])
    print("spf: %s | dkim: %s | dmarc: %s" % (v["spf"].get("reason"),
          "; ".join(str(s.get("reason")) for s in v["dkim"]) or "-", v["dmarc"].get("reason")))
except Exception as e:
    print("error error error")
    print("unreadable report: %s" % e)
PYEOF
}

# words_theirs JSON: the same from mailauth_verify.mjs.
words_theirs() {
	python3 - "$1" <<'PYEOF'
import json, sys
try:
    d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
    dk = ",".join(s["result"] for s in d["dkim"]) or "none"
    print(d["spf"]["result"], dk, d["dmarc"]["result"])
    print("spf: %s | dkim: %s | dmarc: %s" % (d["spf"].get("reason"),
          "; ".join(str(s.get("reason")) for s in d["dkim"]) or "-", d["dmarc"].get("reason")))
except Exception as e:
    print("error error error")
    print("unreadable output: %s" % e)
PYEOF
}

# known_class CASE FIELD OURS THEIRS: print the class when this exact difference is listed.
known_class() {
	awk -v c="$1" -v f="$2" -v o="$3" -v t="$4" \
		'$1 == c && $2 == f && $3 == o && $4 == t { print $5; found = 1; exit }
		 END { exit !found }' <<<"$KNOWN"
}

declare -A known_seen=()

total=0
agree=0
differ_known=0
differ_unknown=0
off_expected=0
declare -A class_count=()

printf '%-34s %-28s %-28s %-28s %s\n' CASE "OURS spf/dkim/dmarc" "MAILAUTH" "EXPECTED" VERDICT

# run_case NAME IP MAIL_FROM HELO SPF DKIM DMARC: both programs on one case, one line out.
run_case() {
	local name="$1" ip="$2" from="$3" helo="$4" espf="$5" edkim="$6" edmarc="$7"
	local msg="$M/$name.eml" oj="$WORK/out/$name.ours.json" tj="$WORK/out/$name.theirs.json"
	local ours theirs oreason treason verdict="AGREE" classes="" field i o t cls
	local -a ow tw ew fields=(spf dkim dmarc)
	total=$((total + 1))
	timeout "$RUN_LIMIT" "$PC" --resolver "$RESOLVER" --timeout 10 --json --message "$msg" \
		--client-ip "$ip" --mail-from "$from" --helo "$helo" >"$oj" 2>"$oj.err"
	timeout "$RUN_LIMIT" node "$here/mailauth_verify.mjs" --modules "$WORK/npm/node_modules" \
		--resolver "$RESOLVER" --client-ip "$ip" --mail-from "$from" --helo "$helo" \
		"$msg" >"$tj" 2>"$tj.err"
	{ read -r ours; read -r oreason; } < <(words_ours "$oj")
	{ read -r theirs; read -r treason; } < <(words_theirs "$tj")
	read -r -a ow <<<"$ours"
	read -r -a tw <<<"$theirs"
	ew=("$espf" "$edkim" "$edmarc")
	for i in 0 1 2; do
		field="${fields[$i]}"
		o="${ow[$i]}"
		t="${tw[$i]}"
		if [ "$o" != "$t" ]; then
			if cls="$(known_class "$name" "$field" "$o" "$t")"; then
				case ",$classes," in
				*",$cls,"*) ;;
				*) classes="${classes:+$classes,}$cls" ;;
				esac
				known_seen["$name $field"]=1
			else
				classes="${classes:+$classes,}UNKNOWN($field)"
				verdict="DIFFER!"
			fi
			[ "$verdict" = AGREE ] && verdict="DIFFER"
		fi
	done
	local mark=""
	for i in 0 1 2; do
		if [ "${ew[$i]}" != "-" ] && [ "${ew[$i]}" != "${ow[$i]}" ]; then
			mark=" ours!=expected"
		fi
	done
	case "$verdict" in
	AGREE) agree=$((agree + 1)) ;;
	DIFFER) differ_known=$((differ_known + 1)) ;;
	*) differ_unknown=$((differ_unknown + 1)) ;;
	esac
	if [ -n "$mark" ]; then
		off_expected=$((off_expected + 1))
	fi
	if [ -n "$classes" ]; then
		for cls in ${classes//,/ }; do
			class_count[$cls]=$((${class_count[$cls]:-0} + 1))
		done
	fi
	printf '%-34s %-28s %-28s %-28s %s\n' "$name" "${ours// //}" "${theirs// //}" \
		"$espf/$edkim/$edmarc" "$verdict${classes:+ $classes}$mark"
	if [ "$VERBOSE" = 1 ] && { [ "$verdict" != AGREE ] || [ -n "$mark" ]; }; then
		echo "    ours:     $oreason"
		echo "    mailauth: $treason"
		[ -s "$oj.err" ] && sed 's/^/    ours stderr: /' "$oj.err" | head -n 3
		[ -s "$tj.err" ] && sed 's/^/    mailauth stderr: /' "$tj.err" | head -n 3
	fi
}

mkdir -p "$WORK/out"
while IFS=$'\t' read -r name ip from helo spf dkim dmarc; do
	case "$name" in '' | '#'*) continue ;; esac
	run_case "$name" "$ip" "$from" "$helo" "$spf" "$dkim" "$dmarc"
done < <(cat "$FX/cases" "$XC")

# ---- ARC ----

# arc_words FILE ours|theirs: "WORD/N" of posture-check's report or mailauth's line.
arc_words() {
	python3 - "$@" <<'PYEOF'
import json, sys
try:
    if sys.argv[2] == "ours":
        d = json.load(open(sys.argv[1], encoding="utf-8"))
        a = (d[0] if isinstance(d, list) else d)["verification"]["arc"]
        print("%s/%d" % (a["result"], a["instances"]))
        print(a.get("reason"))
    else:
        a = json.loads(open(sys.argv[1], encoding="utf-8").readline())["arc"]
        print("%s/%d" % (a["result"], a["i"] or 0))
        print(a.get("reason"))
except Exception as e:
    print("error")
    print("unreadable: %s" % e)
PYEOF
}

arc_total=0
arc_agree=0
arc_known=0
arc_unknown=0
declare -A arc_seen=()
printf '%-34s %-28s %-28s %s\n' "ARC CHAIN" "OURS arc/N" "MAILAUTH" VERDICT
for msg in "$FX"/arc/*.eml; do
	name="arc-$(basename "$msg" .eml)"
	oj="$WORK/out/$name.ours.json"
	tj="$WORK/out/$name.theirs.json"
	arc_total=$((arc_total + 1))
	timeout "$RUN_LIMIT" "$PC" --resolver "$RESOLVER" --timeout 10 --json --message "$msg" \
		--client-ip 127.0.0.1 --mail-from bounce@list.example --helo mail.list.example \
		>"$oj" 2>"$oj.err"
	timeout "$RUN_LIMIT" node "$here/mailauth_verify.mjs" --modules "$WORK/npm/node_modules" \
		--resolver "$RESOLVER" --client-ip 127.0.0.1 --mail-from bounce@list.example \
		--helo mail.list.example --arc "$msg" >"$tj" 2>"$tj.err"
	{ read -r ours; read -r oreason; } < <(arc_words "$oj" ours)
	{ read -r theirs; read -r treason; } < <(arc_words "$tj" theirs)
	verdict=AGREE
	if [ "$ours" != "$theirs" ]; then
		if cls="$(awk -v c="$name" -v o="$ours" -v t="$theirs" \
			'$1 == c && $2 == o && $3 == t { print $4; f = 1; exit } END { exit !f }' \
			<<<"$KNOWN_ARC")"; then
			verdict="DIFFER $cls"
			arc_known=$((arc_known + 1))
			arc_seen[$name]=1
		else
			verdict="DIFFER!"
			arc_unknown=$((arc_unknown + 1))
		fi
	else
		arc_agree=$((arc_agree + 1))
	fi
	printf '%-34s %-28s %-28s %s\n' "$name" "$ours" "$theirs" "$verdict"
	if [ "$VERBOSE" = 1 ] && [ "$verdict" != AGREE ]; then
		echo "    ours:     $oreason"
		echo "    mailauth: $treason"
	fi
done
while read -r kc _; do
	[ -n "$kc" ] || continue
	if [ -z "${arc_seen[$kc]:-}" ]; then
		echo "  listed in KNOWN_ARC but not seen: $kc"
		arc_unknown=$((arc_unknown + 1))
	fi
done <<<"$KNOWN_ARC"
echo "$arc_total ARC chains: $arc_agree agree, $arc_known differ in known classes," \
	"$arc_unknown differ otherwise (or stale KNOWN_ARC lines)"

echo "$total cases: $agree agree, $differ_known differ in known classes," \
	"$differ_unknown differ otherwise; $off_expected with ours != expected"
for cls in "${!class_count[@]}"; do
	echo "  $cls: ${class_count[$cls]}"
done | sort
# A listed difference that did not occur: the list is stale (a fix, or a new mailauth).
stale=0
while read -r kc kf _; do
	[ -n "$kc" ] || continue
	if [ -z "${known_seen["$kc $kf"]:-}" ]; then
		echo "  listed in KNOWN but not seen: $kc $kf"
		stale=$((stale + 1))
	fi
done <<<"$KNOWN"
if [ "$VERBOSE" = 1 ]; then
	echo "# classes:$CLASSES"
fi
[ "$differ_unknown" -eq 0 ] && [ "$off_expected" -eq 0 ] && [ "$stale" -eq 0 ] &&
	[ "$arc_unknown" -eq 0 ]
