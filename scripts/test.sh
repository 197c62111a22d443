#!/bin/bash
# test.sh - build posture-milter with the sanitizers and run every test (make check).
#
#   scripts/test.sh [CONFIGURE-OPTIONS]   default options: --enable-sanitizers
#   scripts/test.sh --summary             only print the summary of the last run
#
# Runs in the source tree: autogen.sh, configure, make -j2, make -j2 check. On failure
# prints test-suite.log. Always ends with one line "N passed, N failed" (", N skipped"
# added when some test skipped), counted over the automake .trs files.
#
# What can go wrong: a build failure (make's output, exit 2); failing tests (the log,
# exit 1). Integration tests need nsd and python3: without them they skip, unless the
# environment variable CI is set (then they fail).
set -euo pipefail
cd "$(dirname "$0")/.."

# Print "N passed, N failed[, N skipped]" from every .trs file of the build tree.
summary() {
	local pass=0 fail=0 skip=0 line
	while IFS= read -r line; do
		case "$line" in
		":test-result: PASS"*) pass=$((pass + 1)) ;;
		":test-result: SKIP"*) skip=$((skip + 1)) ;;
		":test-result: "*) fail=$((fail + 1)) ;;	# FAIL, ERROR, XPASS
		esac
	done < <(find . -path ./posture-milter-\* -prune -o -name '*.trs' -print0 \
		| xargs -0r grep -h '^:test-result: ')
	if [ "$skip" -gt 0 ]; then
		echo "$pass passed, $fail failed, $skip skipped"
	else
		echo "$pass passed, $fail failed"
	fi
}

if [ "${1:-}" = "--summary" ]; then
	summary
	exit 0
fi

[ $# -gt 0 ] || set -- --enable-sanitizers
./autogen.sh
./configure "$@"
if ! make -j2; then
	echo "test.sh: the build failed" >&2
	exit 2
fi
status=0
make -j2 check || status=1
if [ "$status" != 0 ]; then
	for log in test-suite.log tests/test-suite.log; do
		if [ -f "$log" ]; then
			echo "==== $log ===="
			cat "$log"
		fi
	done
fi
summary
exit "$status"
