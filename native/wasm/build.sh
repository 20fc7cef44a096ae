#!/usr/bin/env bash
# Builds the core for WebAssembly: native/wasm/xtml.wasm, a standalone module
# (no emscripten JavaScript) that src/wasm.ts instantiates with its own imports.
#
#   native/wasm/build.sh           rebuild native/wasm/xtml.wasm
#   native/wasm/build.sh --check   rebuild into a temporary file and fail if its
#                                  bytes differ from the committed xtml.wasm
#   native/wasm/build.sh --reference OUT
#                                  build the same module without WebAssembly
#                                  SIMD and with -DXTML_REFERENCE_KERNELS into
#                                  OUT: every operator on its reference kernel,
#                                  the oracle test/wasm-simd.test.ts compares
#                                  the committed module against
#   native/wasm/build.sh --scalar OUT
#                                  without WebAssembly SIMD: the scalar fast
#                                  kernels (as on 32-bit microcontrollers)
#
# The module uses WebAssembly SIMD (-msimd128; the int8 kernels have fast
# paths for it, see native/src/xtml_kernels_s8.c): Node 16.4 or later,
# Chrome and Firefox from 2021, Safari 16.4.
#
# The output is committed so that installing the package needs no emscripten.
# The build is deterministic for a given emcc (this file was made with the
# emscripten 3.1.6 of Debian 12's `emscripten` package); --check is how CI
# knows the committed module is built from the sources in this tree.
set -euo pipefail
export LC_ALL=C # source order (the glob below) must not depend on the locale

here=$(cd "$(dirname "$0")" && pwd)
native=$(dirname "$here")
committed="$here/xtml.wasm"

# The C API the loader calls (src/wasm.ts), and xtml_wasm.c's additions.
exports=(
    xtml_model_verify xtml_arena_size xtml_init xtml_arena_used
    xtml_arena_size_with xtml_init_with
    xtml_input_count xtml_output_count xtml_input_info xtml_output_info
    xtml_input_data xtml_output_data xtml_invoke xtml_reset_state
    xtml_tensor_count xtml_tensor_info xtml_tensor_data
    xtml_operator_count xtml_operator_name xtml_operator_macs xtml_ctx_detail xtml_model_description
    xtml_dtype_size xtml_frame_table xtml_frame_to_input xtml_grid_decode
    xtml_wasm_alloc xtml_wasm_free xtml_wasm_set_profiler
)

# The only imports the module may have; src/wasm.ts provides exactly these.
# xtml_host_ticks is the profiling clock (xtml_port.h); the other is how a
# standalone module with growable memory tells its host that memory grew.
imports='env.emscripten_notify_memory_growth env.xtml_host_ticks'

build() {
    local out=$1 flags=$2 list
    list=$(printf '_%s,' "${exports[@]}")
    # Relative paths from native/ only, so no path of this machine ends up in
    # the module. -ffp-contract=off: no fused multiply-add, as in every build.
    # -O2 -msimd128, measured: -msimd128 alone gains little with this clang
    # (14), whose vectorizer handles the int8 dot products poorly, so the
    # kernels have WASM SIMD paths of their own; -mllvm -force-vector-width=8
    # reorders float sums (op_fully_connected_f32_keepdims_3d no longer
    # matches TFLM); -O3 is slower.
    # Memory starts at 1 MiB and grows for the model copies and arenas; the
    # core's stack use is small (it targets microcontrollers).
    # emcc only accepts an import it has no JavaScript for when undefined
    # symbols are allowed; the import check below keeps that strict, so its
    # one expected warning is dropped here.
    (cd "$native" && emcc -O2 $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -ffp-contract=off \
        -Iinclude -Isrc -Ibind \
        -sSTANDALONE_WASM --no-entry \
        -sEXPORTED_FUNCTIONS="${list%,}" -sERROR_ON_UNDEFINED_SYMBOLS=0 \
        -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=1048576 -sTOTAL_STACK=262144 \
        src/*.c bind/xtml_bind.c wasm/xtml_wasm.c -o "$out") \
        2> >(grep -v '^warning: undefined symbol: xtml_host_ticks ' >&2)
    local got
    got=$(node -e '
        const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
        console.log(WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}`).sort().join(" "));
    ' "$out")
    if [ "$got" != "$imports" ]; then
        echo "native/wasm/build.sh: the module imports [$got], expected [$imports]" >&2
        exit 1
    fi
}

if ! command -v emcc >/dev/null; then
    echo "native/wasm/build.sh: emcc not found (Debian: apt-get install emscripten)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "${1:-}" in
"")
    build "$tmp/xtml.wasm" -msimd128
    mv "$tmp/xtml.wasm" "$committed"
    chmod 644 "$committed"
    echo "native/wasm/xtml.wasm: $(wc -c <"$committed") bytes"
    ;;
--check)
    build "$tmp/xtml.wasm" -msimd128
    if ! cmp -s "$tmp/xtml.wasm" "$committed"; then
        echo "native/wasm/xtml.wasm is stale: a rebuild with $(emcc --version | sed -n 1p) differs;" \
            "run native/wasm/build.sh (npm run build:wasm) and commit the result" >&2
        exit 1
    fi
    echo "native/wasm/xtml.wasm is up to date"
    ;;
--scalar | --reference)
    if [ $# -ne 2 ]; then
        echo "usage: native/wasm/build.sh $1 OUT" >&2
        exit 2
    fi
    out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    if [ "$1" = --reference ]; then
        build "$tmp/xtml.wasm" -DXTML_REFERENCE_KERNELS
    else
        build "$tmp/xtml.wasm" ""
    fi
    mv "$tmp/xtml.wasm" "$out"
    ;;
*)
    echo "usage: native/wasm/build.sh [--check | --reference OUT | --scalar OUT]" >&2
    exit 2
    ;;
esac
