/*
 * test_requant.c - the fast kernels' requantization (xtml_requant_s8_scale,
 * native/src/xtml_kernels_s8.c) against TFLM's two-step formula
 * (xtml_mul_by_quantized_multiplier) on every combination of edge values
 * and on random ones: sums at and near the int32 limits, zero, powers of
 * two and their neighbours (where the roundings tie), multipliers 0, 2^30,
 * 2^31 - 1 and random ones, every shift prepare admits (-31 to 30).
 *
 *   test_requant [random-count]     exit 0 when all agree, 1 otherwise
 *
 * Built for the host (the 64-bit form), the scalar variant (-DXTML_NO_SIMD,
 * the 32-bit form) and rv32imc (the 32-bit form on its target). A build
 * without fast kernels (XTML_REFERENCE_KERNELS) has nothing to test.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "xtml_kernels_s8.h"

#if XTML_FAST_KERNELS

static uint32_t state = 2463534242u;

static uint32_t next(void) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static long failures;

static void check(int32_t acc, int32_t multiplier, int32_t shift) {
    const int32_t want = xtml_mul_by_quantized_multiplier(acc, multiplier, shift);
    const int32_t got = xtml_requant_s8_scale(acc, multiplier, shift);
    if (got != want) {
        if (failures < 10) {
            printf("acc %" PRId32 " multiplier %" PRId32 " shift %" PRId32 ": got %" PRId32
                   ", TFLM %" PRId32 "\n", acc, multiplier, shift, got, want);
        }
        ++failures;
    }
}

int main(int argc, char **argv) {
    static int32_t sums[200];
    static const int32_t multipliers[] = { 0, 1073741824, 1073741825, 1518500250, 2147483646,
                                           2147483647 };
    const long randoms = argc > 1 ? atol(argv[1]) : 3000000;
    int n_sums = 0, i, j, k, bit;
    long r;
    sums[n_sums++] = 0;
    sums[n_sums++] = INT32_MAX;
    sums[n_sums++] = INT32_MIN;
    sums[n_sums++] = INT32_MIN + 1;
    for (bit = 0; bit < 31; ++bit) {
        const int32_t p = (int32_t)1 << bit;
        sums[n_sums++] = p;
        sums[n_sums++] = p + 1;
        sums[n_sums++] = p - 1;
        sums[n_sums++] = -p;
        sums[n_sums++] = -p - 1;
        sums[n_sums++] = 1 - p;
    }
    for (i = 0; i < n_sums; ++i) {
        for (j = 0; j < (int)(sizeof multipliers / sizeof multipliers[0]); ++j) {
            for (k = -31; k <= 30; ++k) {
                check(sums[i], multipliers[j], k);
            }
        }
    }
    for (r = 0; r < randoms; ++r) {
        const uint32_t kind = next();
        int32_t acc, multiplier, shift;
        /* Sums: small (the usual), any size, or near a rounding tie. */
        if ((kind & 3) == 0) {
            acc = (int32_t)next();
        } else if ((kind & 3) == 1) {
            acc = (int32_t)next() >> (next() % 31);
        } else {
            acc = (int32_t)(next() % 400001u) - 200000;
        }
        multiplier = (kind & 0x10) != 0 ? (int32_t)(0x40000000u | (next() & 0x3fffffffu))
                                        : multipliers[next() % 6];
        shift = (kind & 0x20) != 0 ? (int32_t)(next() % 62u) - 31 : -(int32_t)(next() % 12u);
        check(acc, multiplier, shift);
        /* The same product one step either side: ties of either rounding. */
        check((int32_t)((uint32_t)acc + 1u), multiplier, shift);
        check((int32_t)((uint32_t)acc - 1u), multiplier, shift);
    }
    printf("%ld of %ld requantizations differ from TFLM's\n", failures,
           (long)n_sums * 6 * 62 + randoms * 3);
    return failures == 0 ? 0 : 1;
}

#else

int main(void) {
    printf("no fast kernels in this build\n");
    return 0;
}

#endif
