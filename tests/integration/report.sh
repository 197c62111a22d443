#!/bin/bash
# report.sh - what every integration test prints and how it ends (a library: source it).
#
#   pass NAME                  "ok NAME"
#   fail NAME REASON [-]       "FAIL NAME: REASON"; with "-", details from stdin, indented
#   finish                     "N passed, N failed"; exit 0 when none failed, else 1
#   skip_unless_present WHAT   WHAT (a list of missing tools, maybe empty): nothing when
#                              empty; else skip (exit 77), or fail (exit 1) when the
#                              environment variable CI is set: in CI a missing tool is
#                              a failure, never a silent pass
#   require_built PROG...      each must be an executable, else "FAIL setup" and exit 99
# The counters are the globals passed and failed.
#
# What can go wrong: nothing here; the callers decide what a failure is.

passed=0
failed=0

# Record a pass.
pass() {
	echo "ok $1"
	passed=$((passed + 1))
}

# Record a failure: the test name, the reason; more lines on stdin when $3 is "-".
fail() {
	echo "FAIL $1: $2"
	if [ "${3:-}" = "-" ]; then
		sed 's/^/    /'
	fi
	failed=$((failed + 1))
}

# The summary line and the exit status.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# Skip (77) or, with CI set, fail when something the test needs is missing.
skip_unless_present() {
	[ -z "$1" ] && return 0
	if [ -n "${CI:-}" ]; then
		echo "FAIL setup: missing $1, and CI is set: a missing tool is a failure"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: missing $1"
	exit 77
}

# Every program named must be built (make check builds them), else exit 99.
require_built() {
	local prog
	for prog in "$@"; do
		if [ ! -x "$prog" ]; then
			echo "FAIL setup: $prog not built (make check builds it)"
			echo "0 passed, 1 failed"
			exit 99
		fi
	done
}
