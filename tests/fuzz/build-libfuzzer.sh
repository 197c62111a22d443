#!/bin/sh
# build-libfuzzer.sh - build every tests/fuzz/fuzz_*.c harness with libFuzzer (clang),
# AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/, and optionally run
# each on a copy of its seed corpus.
#
#   tests/fuzz/build-libfuzzer.sh [--run SECONDS] [HARNESS...]
#
# HARNESS is a name such as fuzz_dns_msg (default: all). The library is compiled into
# an archive so that each harness links only the objects it uses; lib/dns/dns.c (c-ares)
# and lib/engine.c (needs config.h) are left out. A lib file that does not compile is
# reported and skipped: a harness that needs it then fails to link, loudly.
# Seeds: tests/fuzz/corpus/NAME, or tests/fuzz/corpus/NAME-without-last-_part
# (fuzz_dmarc_parse -> corpus/dmarc). Crashes land in build-fuzz/artifacts/NAME/.
# Environment: CC (default clang), OUT (default ./build-fuzz), FUZZ_MAX_LEN (4096).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$top/build-fuzz}
cc=${CC:-clang}
max_len=${FUZZ_MAX_LEN:-4096}
run_secs=

while [ $# -gt 0 ]; do
	case $1 in
	--run)
		[ $# -ge 2 ] || { echo "usage: $0 [--run SECONDS] [HARNESS...]" >&2; exit 2; }
		run_secs=$2
		shift 2
		;;
	-h|--help)
		echo "usage: $0 [--run SECONDS] [HARNESS...]"
		exit 0
		;;
	*)
		break
		;;
	esac
done

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "$0: $cc not found (apt-get install clang)" >&2
	exit 1
fi

cflags="-g -O1 -std=c11 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -I$top/lib -D_POSIX_C_SOURCE=200809L"
ldflags="-fsanitize=fuzzer,address,undefined"
libs="$(pkg-config --libs libpsl libidn2 libssl libcrypto opendkim 2>/dev/null || echo -lpsl -lidn2 -lssl -lcrypto -lopendkim) -lpthread"
# BIMI's SVG check (lib/record/bimi_svg.c): libxml2 and zlib.
cflags="$cflags $(pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)"
libs="$libs $(pkg-config --libs libxml-2.0 zlib 2>/dev/null || echo -lxml2 -lz)"

mkdir -p "$out/obj"
rm -f "$out/libposture-fuzz.a" "$out"/obj/*.o
for src in "$top"/lib/*.c "$top"/lib/*/*.c; do
	base=$(basename "$src" .c)
	case $base in
	dns|engine) continue ;;
	esac
	if ! $cc $cflags -c "$src" -o "$out/obj/$base.o" 2>"$out/obj/$base.err"; then
		echo "warning: ${src#"$top"/} does not compile for fuzzing, skipped (see $out/obj/$base.err)" >&2
		rm -f "$out/obj/$base.o"
	fi
done
ar rcs "$out/libposture-fuzz.a" "$out"/obj/*.o

if [ $# -gt 0 ]; then
	harnesses=$*
else
	harnesses=
	for src in "$top"/tests/fuzz/fuzz_*.c; do
		name=$(basename "$src" .c)
		[ "$name" = fuzz_main ] && continue
		harnesses="$harnesses $name"
	done
fi

for name in $harnesses; do
	echo "building $out/$name"
	$cc $cflags $ldflags "$top/tests/fuzz/$name.c" "$out/libposture-fuzz.a" $libs -o "$out/$name"
done

[ -n "$run_secs" ] || exit 0

status=0
for name in $harnesses; do
	short=${name#fuzz_}
	seeds=$top/tests/fuzz/corpus/$short
	[ -d "$seeds" ] || seeds=$top/tests/fuzz/corpus/${short%_*}
	if [ ! -d "$seeds" ]; then
		echo "$name: no seed corpus (tests/fuzz/corpus/$short)" >&2
		status=1
		continue
	fi
	work=$out/corpus/$name
	mkdir -p "$work" "$out/artifacts/$name"
	cp "$seeds"/* "$work"/
	echo "running $name for $run_secs s on $work"
	if ! "$out/$name" -max_total_time="$run_secs" -max_len="$max_len" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$name/" "$work"; then
		echo "$name: FAILED, see $out/artifacts/$name/" >&2
		status=1
	fi
done
exit $status
