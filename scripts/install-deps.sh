#!/bin/bash
# install-deps.sh - install the Debian 12 packages that building and testing need.
#
# Run as root; started by another user, it runs itself again through sudo (saying so),
# and exits 1 when sudo is not there. Shared by .ci/run. Installs the build tools, the
# libraries (c-ares, libpsl, libidn2, OpenSSL, libmilter, cmocka), the public suffix
# list, NSD (the tests run a private instance on a high loopback port), ldnsutils and
# unbound (a signed test tree and a private validating resolver), Postfix with its
# smtp-source/smtp-sink and swaks (the tests, the demo and the benchmark run a private
# Postfix instance on loopback), python3 (test helpers), clang with its runtime
# libraries (libFuzzer builds), and debhelper with lintian (the Debian package:
# debian/, tests/deb_package.sh).
#
# The tests never use the system NSD, unbound or Postfix services. When this script is the one
# installing nsd, unbound or postfix, it keeps the package from starting its service (a temporary
# policy-rc.d, as Debian container images have) and, on a systemd host, disables it, so
# nothing new listens on port 53 or 25. A package already installed is left as it is.
#
# What can go wrong: not root and no sudo (exits 1 saying so); apt failures (exit with
# apt's status).
set -euo pipefail

PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libc-ares-dev libpsl-dev libidn2-dev libcmocka-dev libssl-dev publicsuffix
	libmilter-dev
	libopendkim-dev opendkim-tools	# DKIM verification; opendkim-genkey in tests
	miltertest	# tests/integration/miltertest.sh: the milter protocol tests
	nsd python3 clang ca-certificates git
	openssl	# keys made at test time (verify_fixtures.sh, https.sh)
	postfix swaks	# tests/integration/postfix_milter.sh, scripts/demo.sh, tests/bench
	python3-spf python3-yaml	# the RFC 7208 test suite and its YAML reader
	python3-dkim	# ARC chains made at test time (dkim.arc_sign: test_arc_verify, postfix_arc.sh)
	libspf2-dev	# the differential oracle for our SPF evaluator (tests only)
	libcurl4-openssl-dev	# MTA-STS and BIMI fetches
	libxml2-dev zlib1g-dev	# BIMI: the SVG profile check, gzip'd logos
	nginx	# the HTTPS test server (tests/integration/https.sh)
	liblmdb-dev	# posture memory: the embedded store (StateDirectory)
	libhiredis-dev redis-server	# posture memory shared by a fleet; tests run their own redis-server
	libmicrohttpd-dev	# MetricsSocket: the embedded HTTP server of GET /metrics
	prometheus	# promtool check metrics (tests/integration/metrics.sh)
	libclang-rt-14-dev	# libFuzzer's runtime: only a Recommends of clang-14
	debhelper lintian	# the Debian package (dpkg-buildpackage -b, tests/deb_package.sh)
	ldnsutils	# ldns-signzone, ldns-keygen: the signed test DNS tree (tests/integration/dnssec.sh)
	unbound	# the validating resolver the DNSSEC tests run on loopback (tests/integration/unbound.sh)
)

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null; then
		echo "install-deps.sh: not root: running again as root through sudo" >&2
		exec sudo -- "$0" "$@"
	fi
	echo "install-deps.sh: run as root (sudo is not installed): su -c $0" >&2
	exit 1
fi

# The packages with a system service the tests must not start: those not yet installed.
new_services=()
for pkg in nsd postfix nginx opendkim redis-server prometheus unbound; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		new_services+=("$pkg")
	fi
done

policy=/usr/sbin/policy-rc.d
made_policy=no
if [ "${#new_services[@]}" -gt 0 ] && [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from posture-milter scripts/install-deps.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=yes
fi
cleanup() {
	if [ "$made_policy" = yes ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${PACKAGES[@]}"

if [ "${#new_services[@]}" -gt 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	for pkg in "${new_services[@]}"; do
		systemctl disable --now "$pkg.service" >/dev/null 2>&1 || true
		echo "install-deps.sh: the system $pkg service is disabled (the tests run their own)"
	done
fi
echo "install-deps.sh: done"
