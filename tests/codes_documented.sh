#!/bin/sh
# codes_documented.sh - fail when lib/codes.h and the FINDINGS list of
# man/posture-check.1, or the code table of README.md, disagree.
#
# Every code of the catalogue must have its entry (".BR CODE " (severity...)") with
# the default severity of codes.h, and every entry must name a code of the catalogue.
# The README's table (between "<!-- codes: begin -->" and "<!-- codes: end -->") must
# have one row "| `CODE` | family | severity | meaning |" per code, with the family
# (codes.h's, lower case, MTASTS as mta-sts, TLSRPT as tls-rpt; ANY as "any ...") and
# severity of the catalogue and a meaning that is not empty, and no other row.
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
# The README table: "code family severity" per row, and rows without a meaning.
readme="$top/README.md"
sed -n 's/^[[:space:]]*X([[:space:]]*\([A-Z0-9_]*\)[[:space:]]*,[[:space:]]*\([A-Z]*\)[[:space:]]*,[[:space:]]*\([A-Z]*\)[[:space:]]*).*/\1 \2 \3/p' \
	"$codes_h" | tr 'A-Z' 'a-z' | sed 's/ mtasts / mta-sts /; s/ tlsrpt / tls-rpt /' |
	sort > "$tmp/catalogue3"
sed -n '/<!-- codes: begin -->/,/<!-- codes: end -->/p' "$readme" |
	sed -n 's/^| `\([A-Z][A-Z0-9_]*\)` | \([a-z-]*\)[^|]* | \([a-z]*\) | *\([^ |].*\) |$/\1 \2 \3/p' |
	tr 'A-Z' 'a-z' | sort > "$tmp/readme"
rows=$(sed -n '/<!-- codes: begin -->/,/<!-- codes: end -->/p' "$readme" | grep -c '^| `')
if [ "$rows" -ne "$(wc -l < "$tmp/readme")" ]; then
	echo "README.md: $rows code rows, $(wc -l < "$tmp/readme") of the form | \`CODE\` | family | severity | meaning |"
	fail=1
fi
if ! diff "$tmp/catalogue3" "$tmp/readme" > "$tmp/readme.diff"; then
	echo "README.md: the code table differs from lib/codes.h (< catalogue, > README):"
	grep '^[<>]' "$tmp/readme.diff"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "codes documented: $(wc -l < "$tmp/catalogue") codes"
exit "$fail"
