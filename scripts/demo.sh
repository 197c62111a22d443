#!/bin/bash
# demo.sh - the main job on embedded data: build, then evaluate fixture domains.
#
# Builds posture-check (configuring the tree first if needed), starts a private NSD on
# a free loopback port serving tests/fixtures/zones (no root needed, nothing touches
# port 53 or the system's resolver), runs posture-check's text report on the clean
# reference domain good.test and on two broken fixture domains, then stops NSD.
#
# What can go wrong: nsd or python3 missing (says which package to install, exit 1);
# a build failure (make's output, exit 2). A domain's grade never fails the demo;
# posture-check exiting non-zero (a domain not evaluated) does.
set -euo pipefail
cd "$(dirname "$0")/.."
top_srcdir="$(pwd)"

# Build only what the demo runs; keep an existing configuration (e.g. from test.sh).
if [ ! -f Makefile ]; then
	[ -x configure ] || ./autogen.sh
	./configure
fi
make -j2 posture-check || { echo "demo.sh: the build failed" >&2; exit 2; }

# shellcheck source=tests/integration/nsd.sh
. "$top_srcdir/tests/integration/nsd.sh"
if ! nsd_find_binary; then
	echo "demo.sh: nsd not found: install the Debian package nsd (sudo scripts/install-deps.sh)" >&2
	exit 1
fi
nsd_start "$top_srcdir/tests/fixtures/zones"

# The broken examples: the first two of these that exist as fixture zones, else any
# mx-* or dmarc-* fixture, else a name that does not exist.
broken=()
for d in dmarc-p-none.test mx-null.test mx-private.test dmarc-none.test \
	mx-no-address.test mx-single.test; do
	[ -f "tests/fixtures/zones/$d.zone" ] && broken+=("$d")
	[ "${#broken[@]}" -ge 2 ] && break
done
if [ "${#broken[@]}" -lt 2 ]; then
	for f in tests/fixtures/zones/mx-*.zone tests/fixtures/zones/dmarc-*.zone; do
		[ -f "$f" ] || continue
		d="$(basename "$f" .zone)"
		case " ${broken[*]} " in *" $d "*) continue ;; esac
		broken+=("$d")
		[ "${#broken[@]}" -ge 2 ] && break
	done
fi

# Still short of two: a name that does not exist under test. is broken too.
[ "${#broken[@]}" -ge 2 ] || broken+=(no-such-domain.test)

status=0
for d in good.test "${broken[@]}"; do
	echo "==== posture-check --resolver 127.0.0.1:$NSD_PORT $d"
	./posture-check --resolver "127.0.0.1:$NSD_PORT" --timeout 5 "$d" || status=1
	echo
done
exit "$status"
