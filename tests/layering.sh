#!/bin/sh
# layering.sh - fail when a lib/ folder includes from a folder above it.
#
# The layers of lib/, lowest first; a file may include headers of its own folder and of
# the folders below it, and the public headers lib/posture.h and lib/codes.h, nothing
# else. The order makes a circle between folders impossible. The programs (milter/,
# tests/bench/null_milter.c) may include only the library's interface: the public
# headers and those listed in PROGRAM_HEADERS (ARCHITECTURE.md says why each is there).
# Prints each offending include as FILE:LINE: reason, and "layering: ok" when none.
#
# What can go wrong: a header that names no folder ("dns.h" instead of "dns/dns.h") or
# a folder not listed here is reported too, so a new folder must be placed in LAYERS.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 99

LAYERS="util dns net record cache store eval check verify report"
PUBLIC="posture.h codes.h"
# What the programs use beyond posture.h: the evaluation pool, the message verifier and
# its inputs, the parsers the milter feeds header by header, the small utilities, and
# posture memory's chain and backends (runtime.c opens them once per process), and the
# reports of a domain's remembered records (posture-check --history).
PROGRAM_HEADERS="evalpool.h util/metrics.h verify/verify.h verify/selectors.h record/authres_id.h record/mail_addr.h
record/msg_parse.h util/strbuf.h dns/dns.h dns/dns_server.h net/cidr.h verify/dkim_verify.h verify/arc_verify.h
store/store.h store/store_lmdb.h store/store_redis.h memory.h report/report_history.h"

rank() {	# rank FOLDER: its position in LAYERS (1 lowest), 0 if not a layer
	i=1
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo 0
}

# The library: every lib/*/*.[ch] and lib/*.[ch].
for f in lib/*.[ch] lib/*/*.[ch]; do
	[ -f "$f" ] || continue
	dir=$(dirname "$f")
	own=${dir#lib}
	own=${own#/}
	if [ -n "$own" ]; then
		r_own=$(rank "$own")
		[ "$r_own" -gt 0 ] || { echo "$f: lib/$own is not a layer (add it to LAYERS in tests/layering.sh)"; continue; }
	else
		r_own=99	# the face: may use every layer
	fi
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
		case " $PUBLIC config.h " in *" $inc "*) continue ;; esac
		case "$inc" in
		*/*)	tdir=${inc%%/*} ;;
		*)	if [ -n "$own" ] && [ -f "lib/$own/$inc" ]; then
				echo "$f:$n: \"$inc\" names no folder (write \"$own/$inc\")"
			elif [ -f "lib/$inc" ]; then
				[ -z "$own" ] || echo "$f:$n: \"$inc\": a layer must not include the face (lib/$inc)"
			else
				echo "$f:$n: \"$inc\" is not a header of lib/"
			fi
			continue ;;
		esac
		r_t=$(rank "$tdir")
		if [ "$r_t" -eq 0 ]; then
			echo "$f:$n: \"$inc\": lib/$tdir is not a layer"
		elif [ "$r_t" -gt "$r_own" ]; then
			echo "$f:$n: \"$inc\": lib/$own must not include from lib/$tdir, a layer above it"
		fi
	done
done >"${TMPDIR:-/tmp}/layering.$$"

# The programs: only the library's interface.
for f in milter/*.[ch] tests/bench/null_milter.c; do
	[ -f "$f" ] || continue
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
		[ -f "milter/$inc" ] && continue	# the program's own header
		case " $PUBLIC config.h " in *" $inc "*) continue ;; esac
		case " $(echo $PROGRAM_HEADERS) " in *" $inc "*) continue ;; esac
		echo "$f:$n: \"$inc\" is not part of the library's interface to the programs"
	done
done >>"${TMPDIR:-/tmp}/layering.$$"

if [ -s "${TMPDIR:-/tmp}/layering.$$" ]; then
	cat "${TMPDIR:-/tmp}/layering.$$"
	echo "layering: $(wc -l <"${TMPDIR:-/tmp}/layering.$$") include(s) break the layers"
	rm -f "${TMPDIR:-/tmp}/layering.$$"
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/layering.$$"
echo "layering: ok"
exit 0
