#!/bin/bash
# arc_cost.sh - what ARC verification costs on a two-hop message (a measurement, not a
# test; prints figures).
#
#   tests/bench/arc_cost.sh [-b BUILDDIR] [-n RUNS]
#
# Set-up: the ARC fixtures (tests/integration/verify_fixtures.sh vf_arc: a two-hop chain
# made now by dkimpy, RSA 2048 keys, zones serving them and the author's DMARC) served by
# a private NSD (tests/integration/nsd.sh). Two messages: arc/two_hops.eml (two ARC sets,
# relay.example then list.example) and arc/no_arc.eml (the same bytes without the six
# ARC fields). Both go through BUILDDIR/posture-check --message (client 127.0.0.1, MAIL
# FROM bounce@list.example), which verifies SPF, DKIM, DMARC and ARC and evaluates the
# message's domains, exactly as the milter's verifier does (one library).
#
# Figures:
#  1. wall time per posture-check run, RUNS (default 40) of each message, interleaved:
#     median and mean in ms. Each run is a new process: the two ARC keys are fetched
#     from NSD every time (one batch of two names), as for a cold cache.
#  2. with valgrind: one run of each under callgrind: the process's instructions (Ir)
#     and the difference, and the inclusive Ir of arc_verify_message() in the two-hop
#     run (parsing, two body hashes, two AMS and two seals verified: 4 RSA-2048
#     verifications, the key batch). Instruction counts repeat from run to run on a
#     busy host; the wall times do not.
# Build without sanitizers (./configure with the default CFLAGS, -O2 -g).
#
# What can go wrong: NSD not starting, dkimpy or openssl missing (vf_arc says which);
# valgrind missing (figure 2 skipped, said so).

set -u

here="$(cd "$(dirname "$0")" && pwd)"
top_srcdir="$(cd "$here/../.." && pwd)"
builddir="."
runs=40
while getopts "b:n:" o; do
	case "$o" in
	b) builddir="$OPTARG" ;;
	n) runs="$OPTARG" ;;
	*) sed -n 5p "$0" >&2; exit 2 ;;
	esac
done
PC="$builddir/posture-check"
BA="$builddir/bench_arc"
runs_cpu=$((runs * 25))
for p in "$PC" "$BA"; do
	[ -x "$p" ] || { echo "arc_cost: $p not built (make posture-check bench_arc)" >&2; exit 1; }
done

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
# shellcheck source=tests/integration/verify_fixtures.sh
. "$top_srcdir/tests/integration/verify_fixtures.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/posture-arccost.XXXXXX")" || exit 1
trap 'rm -rf "$WORK"' EXIT
vf_arc "$WORK/vf" "$top_srcdir" || exit 1
nsd_find_binary || { echo "arc_cost: nsd not found" >&2; exit 1; }
nsd_start "$WORK/vf/zones" || exit 1
# shellcheck disable=SC2016 # expanded at exit
nsd_at_exit 'rm -rf "$WORK"'

# pc MESSAGE [WRAPPER...]: one posture-check --message run of arc/MESSAGE.eml.
pc() {
	local msg="$1"
	shift
	"$@" "$PC" --resolver "127.0.0.1:$NSD_PORT" --timeout 5 --json \
		--message "$WORK/vf/arc/$msg.eml" --client-ip 127.0.0.1 \
		--helo mail.list.example --mail-from bounce@list.example
}

for msg in two_hops no_arc; do
	if ! pc "$msg" >"$WORK/$msg.json" 2>"$WORK/$msg.err"; then
		echo "arc_cost: posture-check failed on $msg:" >&2
		head -n 5 "$WORK/$msg.err" >&2
		exit 1
	fi
	printf '%-9s %s\n' "$msg" "$(grep -o '"authentication_results": *"[^"]*"' "$WORK/$msg.json" |
		sed 's/.*; \(arc=[^"]*\)"/\1/')"
done
grep -q 'arc=pass' "$WORK/two_hops.json" || { echo "arc_cost: the chain did not pass" >&2; exit 1; }

echo "# 1. wall time per posture-check --message run ($runs runs each, interleaved)"
for _ in $(seq 1 "$runs"); do
	for msg in two_hops no_arc; do
		t0=$(date +%s%N)
		pc "$msg" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$WORK/$msg.us"
	done
done
for msg in two_hops no_arc; do
	sort -n "$WORK/$msg.us" | awk -v m="$msg" '{ v[NR] = $1; s += $1 }
		END { printf "%-9s median %.2f ms, mean %.2f ms\n", m, v[int((NR + 1) / 2)] / 1000, s / NR / 1000 }'
done

echo "# 2. CPU per message of ARC verification alone, keys at hand (bench_arc)"
for msg in one_hop two_hops no_arc; do
	"$BA" "$WORK/vf/arc" "$msg" "$runs_cpu" || exit 1
done

echo "# 3. instructions per two-hop message (callgrind: bench_arc 21 runs minus 1 run, /20)"
if ! command -v valgrind >/dev/null; then
	echo "valgrind not installed: skipped"
	exit 0
fi
# ir FILE FUNCTION: the inclusive Ir of FUNCTION (PROGRAM TOTALS when "total").
ir() {
	callgrind_annotate --inclusive=yes "$1" 2>/dev/null | awk -v f="$2" '
		f == "total" && /PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }
		f != "total" && index($0, ":" f " [") { gsub(",", "", $1); print $1; exit }'
}
for n in 1 21; do
	"$builddir/libtool" --mode=execute valgrind --tool=callgrind \
		--callgrind-out-file="$WORK/cg.$n" "$BA" "$WORK/vf/arc" two_hops $((n - 1)) \
		>/dev/null 2>"$WORK/vg.$n" || { echo "valgrind failed" >&2; exit 1; }
done
for f in total arc_verify_message dkim_key_parse_pkey EVP_DigestVerifyFinal; do
	a="$(ir "$WORK/cg.21" "$f")"
	b="$(ir "$WORK/cg.1" "$f")"
	printf '%-22s %12d Ir per message\n' "$f" $(((${a:-0} - ${b:-0}) / 20))
done
