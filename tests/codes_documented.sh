#!/bin/sh
# codes_documented.sh - fail when lib/codes.h and the FINDINGS list of
# man/posture-check.1 disagree.
#
# Every code of the catalogue must have its entry (".BR CODE " (severity...)") with
# the default severity of codes.h, and every entry must name a code of the catalogue.
# Prints each disagreement, and "codes documented: N codes" when there is none.
#
# What can go wrong: an entry written in another form than ".BR CODE " (sev" is not
# seen, and its code reads as undocumented: write entries the way the page does.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
codes_h="$top/lib/codes.h"
man="$top/man/posture-check.1"
[ -r "$codes_h" ] && [ -r "$man" ] || { echo "codes_documented: cannot read $codes_h or $man"; exit 99; }

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
# "CODE severity" from X(CODE, FAMILY, SEVERITY) entries.
sed -n 's/^[[:space:]]*X([[:space:]]*\([A-Z0-9_]*\)[[:space:]]*,[[:space:]]*[A-Z]*[[:space:]]*,[[:space:]]*\([A-Z]*\)[[:space:]]*).*/\1 \2/p' \
	"$codes_h" | tr 'A-Z' 'a-z' | sort > "$tmp/catalogue"
# "CODE severity" from the page's entries.
sed -n 's/^\.BR \([A-Z][A-Z0-9_]*\) " (\([a-z]*\).*/\1 \2/p' "$man" | tr 'A-Z' 'a-z' |
	sort > "$tmp/page"
[ -s "$tmp/catalogue" ] || { echo "codes_documented: no code read from $codes_h"; exit 1; }

fail=0
while read -r code sev; do
	got=$(awk -v c="$code" '$1 == c { print $2; exit }' "$tmp/page")
	if [ -z "$got" ]; then
		echo "man/posture-check.1: $(echo "$code" | tr 'a-z' 'A-Z') is not documented"
		fail=1
	elif [ "$got" != "$sev" ]; then
		echo "man/posture-check.1: $(echo "$code" | tr 'a-z' 'A-Z') documented as $got, lib/codes.h says $sev"
		fail=1
	fi
done < "$tmp/catalogue"
while read -r code sev; do
	grep -q "^$code " "$tmp/catalogue" ||
		{ echo "man/posture-check.1: $(echo "$code" | tr 'a-z' 'A-Z') is not in lib/codes.h"; fail=1; }
done < "$tmp/page"
[ "$(cut -d' ' -f1 "$tmp/page" | uniq -d)" = "" ] ||
	{ echo "man/posture-check.1: documented twice: $(cut -d' ' -f1 "$tmp/page" | uniq -d | tr '\n' ' ')"; fail=1; }
[ "$fail" -eq 0 ] && echo "codes documented: $(wc -l < "$tmp/catalogue") codes"
exit "$fail"
