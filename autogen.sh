#!/bin/sh
# autogen.sh - generate configure and Makefile.in from configure.ac and Makefile.am.
#
# Needs autoconf, automake, libtool and pkg-config (for pkg.m4): scripts/install-deps.sh
# installs them. What can go wrong: a missing tool (autoreconf says which).
set -eu
cd "$(dirname "$0")"
mkdir -p m4
exec autoreconf -fi
