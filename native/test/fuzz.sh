#!/bin/sh
# fuzz.sh - build the libFuzzer harness (tools/xtml_fuzz.c) and run it over the
# reference models for a while.
#
#   native/test/fuzz.sh [seconds] [reference-dir]
#
#   seconds        run time, default 60
#   reference-dir  default ../shared/reference relative to the repository root
#   BUILD=dir      build directory, relative to native/ as in the Makefile (default ../build)
#   FUZZ_ARGS=...  extra libFuzzer flags
#
# The seed corpus is every reference .tflite (models/, ops/models/,
# ops/refused/), copied to a temporary directory that libFuzzer also grows, so
# the repository is never written. Exits 0 when the run ends clean; non-zero
# on any crash, leak, timeout, out-of-memory or sanitizer report, after copying
# the reproducers to <build>/fuzz/artifacts/ and printing how to replay them.
set -u

native=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
reference=${2:-$native/../../shared/reference}
build=${BUILD:-../build}
# BUILD is relative to native/, as in the Makefile.
build=$(cd "$native" && mkdir -p "$build" && cd "$build" && pwd)

case $seconds in
    ''|*[!0-9]*) echo "fuzz.sh: seconds must be a number, got '$seconds'" >&2; exit 2 ;;
esac
if [ ! -d "$reference/models" ]; then
    echo "fuzz.sh: no reference models under $reference" >&2
    exit 2
fi

make -C "$native" BUILD="$build" fuzz || { echo "fuzz.sh: build failed" >&2; exit 2; }
fuzzer=$build/fuzz/xtml_fuzz

work=$(mktemp -d "${TMPDIR:-/tmp}/xtml_fuzz.XXXXXX")
mkdir -p "$work/corpus" "$work/artifacts"
for dir in "$reference/models" "$reference/ops/models" "$reference/ops/refused"; do
    [ -d "$dir" ] && cp "$dir"/*.tflite "$work/corpus/" 2>/dev/null
done
echo "fuzz.sh: $(ls "$work/corpus" | wc -l) seed models, ${seconds}s, work dir $work"

# Boundary values libFuzzer cannot learn from comparisons: float bit patterns
# (inf, NaN, smallest subnormal, FLT_MAX, -0) for scales and options, and
# extreme int32/int64 little-endian words for indices, dims and zero points.
cat >"$work/xtml.dict" <<'DICT'
f_inf="\x00\x00\x80\x7f"
f_ninf="\x00\x00\x80\xff"
f_nan="\x00\x00\xc0\x7f"
f_denorm="\x01\x00\x00\x00"
f_max="\xff\xff\x7f\x7f"
f_negzero="\x00\x00\x00\x80"
f_one="\x00\x00\x80\x3f"
i_max="\xff\xff\xff\x7f"
i_neg1="\xff\xff\xff\xff"
i_64k="\x00\x00\x01\x00"
l_max="\xff\xff\xff\xff\xff\xff\xff\x7f"
l_min="\x00\x00\x00\x00\x00\x00\x00\x80"
ident="TFL3"
DICT

# -max_len covers the largest reference model (333 KB); -timeout catches hangs.
# shellcheck disable=SC2086
"$fuzzer" -max_total_time="$seconds" -max_len=400000 -rss_limit_mb=4096 -timeout=60 \
    -dict="$work/xtml.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 ${FUZZ_ARGS:-} \
    "$work/corpus" >"$work/fuzz.log" 2>&1
status=$?

tail -n 25 "$work/fuzz.log"

failed=0
[ "$status" -ne 0 ] && failed=1
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' \
        -e 'ERROR: libFuzzer' -e '==ERROR' "$work/fuzz.log"; then
    failed=1
fi
if [ -n "$(ls -A "$work/artifacts")" ]; then
    failed=1
fi

if [ "$failed" -ne 0 ]; then
    mkdir -p "$build/fuzz/artifacts"
    cp "$work"/artifacts/* "$build/fuzz/artifacts/" 2>/dev/null
    cp "$work/fuzz.log" "$build/fuzz/artifacts/fuzz.log"
    echo "fuzz.sh: FAILED (exit $status). Log and reproducers in $build/fuzz/artifacts/:" >&2
    ls -l "$build/fuzz/artifacts" >&2
    echo "fuzz.sh: replay one with: $fuzzer <reproducer>" >&2
    echo "fuzz.sh: work dir kept: $work" >&2
    exit 1
fi
rm -rf "$work"
echo "fuzz.sh: clean"
exit 0
