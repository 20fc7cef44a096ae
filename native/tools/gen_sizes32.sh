#!/bin/sh
# gen_sizes32.sh [--check] - write src/xtml_sizes32.h: the size of every type
# the arena holds (each XTML_SIZE32(type) and XTML_PREP_PERSIST(p, type, ...)
# in src/*.c) on a 32-bit target, as the rv32imc compiler lays it out. With
# --check, compare with the committed header instead and fail if it differs.
# Run from native/ (make sizes32, make check-sizes32).
#
# How: for each source file, a probe that includes it and defines one
# constant per type, `const unsigned long probe_<type> = sizeof(<type>);`, is
# compiled to assembly (no linking, nothing runs); the constants are read
# from the .word lines. Types whose size depends on XTML_NO_DETAIL get both.
set -eu
export LC_ALL=C
# SIZES32_CC / SIZES32_FLAGS: another 32-bit compiler, to check that the
# table holds for it too (the tests do so for Cortex-M and Xtensa).
CC=${SIZES32_CC:-riscv64-unknown-elf-gcc}
FLAGS="${SIZES32_FLAGS:--march=rv32imc -mabi=ilp32 --specs=picolibc.specs} -std=c99 -Iinclude -Isrc"
OUT=src/xtml_sizes32.h
check=0
[ "${1:-}" = "--check" ] && check=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Types named in each file (calls may span lines: read the file as one line).
types_of() {
    tr '\n' ' ' < "$1" | grep -oE 'XTML_SIZE32\( *[A-Za-z_][A-Za-z0-9_]* *\)|XTML_PREP_PERSIST\( *[A-Za-z_][A-Za-z0-9_]* *, *[A-Za-z_][A-Za-z0-9_]*' |
        sed -E 's/^XTML_SIZE32\( *([A-Za-z0-9_]+) *\)$/\1/; s/^XTML_PREP_PERSIST\( *[A-Za-z0-9_]+ *, *([A-Za-z0-9_]+)$/\1/' |
        grep -v '^type$' | sort -u
}

# "type size" lines for one source file and one set of extra flags.
sizes_of() {
    src=$1
    extra=$2
    probe=$tmp/probe.c
    printf '#include "%s/%s"\n' "$PWD" "$src" > "$probe"
    for t in $(types_of "$src"); do
        printf 'const unsigned long xtml_sizes32_probe_%s = sizeof(%s);\n' "$t" "$t" >> "$probe"
    done
    # shellcheck disable=SC2086
    $CC $FLAGS $extra -S -o "$tmp/probe.s" "$probe"
    awk '/^xtml_sizes32_probe_[A-Za-z0-9_]+:$/ { name = substr($1, 20, length($1) - 20); next }
         name != "" && $1 == ".word" { print name, $2; name = "" }' "$tmp/probe.s"
}

: > "$tmp/detail"
: > "$tmp/nodetail"
for src in src/*.c; do
    [ -n "$(types_of "$src")" ] || continue
    sizes_of "$src" "" >> "$tmp/detail"
    sizes_of "$src" "-DXTML_NO_DETAIL" >> "$tmp/nodetail"
done
sort -u "$tmp/detail" -o "$tmp/detail"
sort -u "$tmp/nodetail" -o "$tmp/nodetail"

{
    echo '/*'
    echo ' * xtml_sizes32.h - sizeof of the arena'"'"'s types on a 32-bit target (rv32imc,'
    echo ' * ilp32), for 64-bit builds sizing a device'"'"'s arena (xtml_arena_size_for).'
    echo ' * Written by `make -C native sizes32` (tools/gen_sizes32.sh); do not edit.'
    echo ' */'
    echo '#ifndef XTML_SIZES32_H'
    echo '#define XTML_SIZES32_H'
    echo
    join "$tmp/detail" "$tmp/nodetail" | while read -r name with without; do
        if [ "$with" = "$without" ]; then
            echo "#define XTML_SIZE32_$name ${with}u"
        fi
    done
    if join "$tmp/detail" "$tmp/nodetail" | awk '$2 != $3 { found = 1 } END { exit !found }'; then
        echo
        echo '#ifdef XTML_NO_DETAIL'
        join "$tmp/detail" "$tmp/nodetail" | awk '$2 != $3 { print "#define XTML_SIZE32_" $1 " " $3 "u" }'
        echo '#else'
        join "$tmp/detail" "$tmp/nodetail" | awk '$2 != $3 { print "#define XTML_SIZE32_" $1 " " $2 "u" }'
        echo '#endif'
    fi
    echo
    echo '#endif /* XTML_SIZES32_H */'
} > "$tmp/header"

if [ $check -eq 1 ]; then
    if ! cmp -s "$tmp/header" "$OUT"; then
        echo "$OUT differs from what $CC lays out: run make -C native sizes32 (with the rv32 compiler)" >&2
        diff "$OUT" "$tmp/header" >&2 || true
        exit 1
    fi
    echo "$OUT matches $CC"
else
    cp "$tmp/header" "$OUT"
    echo "wrote $OUT ($(grep -c '^#define XTML_SIZE32_' "$OUT") sizes)"
fi
