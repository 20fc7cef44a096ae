#!/bin/sh
# fuzz.sh - a short fuzzing run of the core (CI runs it for 60 s), starting
# from the kept corpus.
#
#   native/test/fuzz.sh [seconds] [reference-dir]
#
#   seconds        total run time, default 60, shared by three harnesses:
#                  xtml_fuzz_gen  structure-aware mutations, ASan + UBSan   (40%)
#                  xtml_fuzz      libFuzzer byte mutations, ASan + UBSan    (30%)
#                  xtml_diff_fuzz optimized vs reference kernels, whole graph
#                                 vs one operator at a time, no sanitizers  (30%)
#   reference-dir  default ../shared/reference relative to the repository root
#                  (its models seed the byte-mutation harness too)
#   BUILD=dir      build directory, relative to native/ as in the Makefile (default ../build)
#   FUZZ_ARGS=...  extra libFuzzer flags
#   FUZZ_SEED=n    libFuzzer's -seed (default: from the checked-out commit, so a
#                  run of the same commit takes the same mutations; outside a
#                  git checkout, 1). Address-space randomization is turned off
#                  with `setarch -R` where it exists: the comparisons libFuzzer
#                  traces include pointers, which would otherwise differ per run.
#                  What is left to chance is where a timed run stops.
#
# First every reproducer in native/test/fuzz/repro/ is replayed through each
# harness. The kept corpus (native/test/fuzz/corpus/) is copied to a temporary
# directory that the run grows, so the repository is never written; `npm run
# fuzz:long` is what grows the kept corpus. Exits 0 when the run ends clean;
# non-zero on any crash, leak, timeout, out-of-memory, sanitizer report or
# differential mismatch, after copying the reproducers to
# <build>/fuzz/artifacts/ and printing how to replay them.
set -u

native=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
reference=${2:-$native/../../shared/reference}
build=${BUILD:-../build}
# BUILD is relative to native/, as in the Makefile.
build=$(cd "$native" && mkdir -p "$build" && cd "$build" && pwd)
kept=$native/test/fuzz/corpus
repro=$native/test/fuzz/repro

case $seconds in
    ''|*[!0-9]*) echo "fuzz.sh: seconds must be a number, got '$seconds'" >&2; exit 2 ;;
esac
if [ ! -d "$reference/models" ]; then
    echo "fuzz.sh: no reference models under $reference" >&2
    exit 2
fi

make -s -C "$native" BUILD="$build" fuzz fuzz-diff || { echo "fuzz.sh: build failed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/xtml_fuzz.XXXXXX")
mkdir -p "$work/artifacts" "$work/seeds"
cp "$kept"/* "$work/seeds/" 2>/dev/null
for dir in "$reference/models" "$reference/ops/models" "$reference/ops/refused"; do
    [ -d "$dir" ] && cp "$dir"/*.tflite "$work/seeds/" 2>/dev/null
done
cp "$native/test/fuzz/xtml.dict" "$work/xtml.dict"
echo "fuzz.sh: $(ls "$work/seeds" | wc -l) seeds (kept corpus and reference models), ${seconds}s, work dir $work"

seed=${FUZZ_SEED:-}
if [ -z "$seed" ]; then
    head=$(git -C "$native" rev-parse --short=7 HEAD 2>/dev/null || true)
    case $head in
        ''|*[!0-9a-f]*) seed=1 ;;
        *) seed=$((0x$head % 2147483647 + 1)) ;;
    esac
fi
case $seed in
    ''|*[!0-9]*) echo "fuzz.sh: FUZZ_SEED must be a number, got '$seed'" >&2; exit 2 ;;
esac
norandom=
if setarch -R true 2>/dev/null; then
    norandom="setarch -R"
fi
echo "fuzz.sh: seed $seed${norandom:+, address randomization off}"

failed=0

# A log is bad when libFuzzer or a sanitizer reported anything.
check_log() {
    if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' \
            -e 'ERROR: libFuzzer' -e '==ERROR' -e 'MISMATCH' "$1"; then
        failed=1
    fi
}

# Reproducers of fixed bugs: each harness runs them once.
if [ -n "$(ls -A "$repro" 2>/dev/null)" ]; then
    for harness in xtml_fuzz xtml_diff_fuzz; do
        "$build/fuzz/$harness" "$repro"/* >"$work/repro-$harness.log" 2>&1 || failed=1
        check_log "$work/repro-$harness.log"
    done
    echo "fuzz.sh: $(ls "$repro" | wc -l) reproducers replayed"
fi

# run <harness> <seconds> <max_len> [flags]: libFuzzer from the seeds, growing its own corpus.
run() {
    mkdir -p "$work/corpus-$1"
    # shellcheck disable=SC2086
    $norandom "$build/fuzz/$1" -seed="$seed" -max_total_time="$2" -max_len="$3" -rss_limit_mb=4096 -timeout=60 \
        -dict="$work/xtml.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 ${4:-} ${FUZZ_ARGS:-} \
        "$work/corpus-$1" "$work/seeds" >"$work/$1.log" 2>&1 || failed=1
    check_log "$work/$1.log"
    echo "fuzz.sh: $1: $(grep -o 'number_of_executed_units: [0-9]*' "$work/$1.log" | cut -d' ' -f2) executions," \
        "$(grep -o 'average_exec_per_sec: *[0-9]*' "$work/$1.log" | awk '{print $2}')/s," \
        "$(grep -o 'cov: [0-9]*' "$work/$1.log" | tail -n 1)"
}

# -max_len covers the largest reference model (333 KB) for byte mutations;
# generated models stay far below 128 KB.
run xtml_fuzz_gen $((seconds * 4 / 10)) 131072
run xtml_fuzz $((seconds * 3 / 10)) 400000
# Entropic scheduling costs the differential harness (two instrumented cores) two thirds of its speed.
run xtml_diff_fuzz $((seconds * 3 / 10)) 131072 -entropic=0

if [ -n "$(ls -A "$work/artifacts")" ]; then
    failed=1
fi

if [ "$failed" -ne 0 ]; then
    mkdir -p "$build/fuzz/artifacts"
    cp "$work"/artifacts/* "$work"/*.log "$build/fuzz/artifacts/" 2>/dev/null
    echo "fuzz.sh: FAILED. Logs and reproducers in $build/fuzz/artifacts/:" >&2
    ls -l "$build/fuzz/artifacts" >&2
    grep -h -A3 -e 'ERROR' -e 'runtime error' -e 'MISMATCH' "$work"/*.log | head -n 40 >&2
    echo "fuzz.sh: replay one with: $build/fuzz/xtml_fuzz <reproducer> (or xtml_diff_fuzz);" \
        "rerun with FUZZ_SEED=$seed" >&2
    echo "fuzz.sh: work dir kept: $work" >&2
    exit 1
fi
rm -rf "$work"
echo "fuzz.sh: clean"
exit 0
