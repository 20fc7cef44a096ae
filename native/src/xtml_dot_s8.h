/*
 * xtml_dot_s8.h - the int8 dot products of CONV_2D and FULLY_CONNECTED:
 * sum(w[i] * (x[i] + x_offset)) modulo 2^32, for one weight row or two.
 *
 * x_offset is a negated int8 zero point, so x + x_offset fits int16 and so
 * does its product with an int8 weight. The sum wraps like TFLM's int32
 * accumulator and does not depend on the order of its terms, which is what
 * lets every variant below add in its own order and still give the same bits.
 *
 * dot_s8 and dot_s8_pair are the reference: plain C, and the oracle the fast
 * paths are tested against byte for byte (test/wasm-simd.test.ts). Their
 * fixed-size blocks let gcc and clang vectorize them for the host at -O2.
 * Fast paths are chosen at compile time:
 *
 *   __wasm_simd128__  (emcc -msimd128)  i32x4.dot_i16x8_s on sign-extended
 *                     bytes, eight products per instruction; exact because
 *                     both factors fit 16 bits (the instruction multiplies
 *                     them in full and adds pairs in 32 bits, which cannot
 *                     overflow for such factors).
 *
 * dot_s8_fast and dot_s8_pair_fast name the variant this build uses; they
 * handle every length (a tail shorter than a vector runs the reference loop).
 */
#ifndef XTML_DOT_S8_H
#define XTML_DOT_S8_H

#include <stdint.h>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

static inline uint32_t dot_s8(const int8_t *x, const int8_t *w, int32_t n, int16_t x_offset) {
    uint32_t acc = 0;
    int32_t i = 0;
    int k;
    for (; i + 16 <= n; i += 16) {
        uint32_t block = 0;
        for (k = 0; k < 16; ++k) {
            block += (uint32_t)(int16_t)(w[i + k] * (int16_t)(x[i + k] + x_offset));
        }
        acc += block;
    }
    if (i + 8 <= n) {
        uint32_t block = 0;
        for (k = 0; k < 8; ++k) {
            block += (uint32_t)(int16_t)(w[i + k] * (int16_t)(x[i + k] + x_offset));
        }
        acc += block;
        i += 8;
    }
    for (; i < n; ++i) {
        acc += (uint32_t)(w[i] * (x[i] + x_offset));
    }
    return acc;
}

/* The dot products of x with rows w0 and w1 at once, sharing the work on x. */
static inline void dot_s8_pair(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                               int16_t x_offset, uint32_t *s0, uint32_t *s1) {
    uint32_t acc0 = 0, acc1 = 0;
    int32_t i = 0;
    int k;
    for (; i + 16 <= n; i += 16) {
        uint32_t b0 = 0, b1 = 0;
        for (k = 0; k < 16; ++k) {
            const int16_t v = (int16_t)(x[i + k] + x_offset);
            b0 += (uint32_t)(int16_t)(w0[i + k] * v);
            b1 += (uint32_t)(int16_t)(w1[i + k] * v);
        }
        acc0 += b0;
        acc1 += b1;
    }
    if (i + 8 <= n) {
        uint32_t b0 = 0, b1 = 0;
        for (k = 0; k < 8; ++k) {
            const int16_t v = (int16_t)(x[i + k] + x_offset);
            b0 += (uint32_t)(int16_t)(w0[i + k] * v);
            b1 += (uint32_t)(int16_t)(w1[i + k] * v);
        }
        acc0 += b0;
        acc1 += b1;
        i += 8;
    }
    for (; i < n; ++i) {
        const int32_t v = x[i] + x_offset;
        acc0 += (uint32_t)(w0[i] * v);
        acc1 += (uint32_t)(w1[i] * v);
    }
    *s0 = acc0;
    *s1 = acc1;
}

#if defined(__wasm_simd128__)

/* The four lanes of an i32x4 added, modulo 2^32. */
static inline uint32_t sum_u32x4(v128_t v) {
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return (uint32_t)wasm_i32x4_extract_lane(v, 0);
}

static inline uint32_t dot_s8_wasm(const int8_t *x, const int8_t *w, int32_t n,
                                   int16_t x_offset) {
    const v128_t offset = wasm_i16x8_splat(x_offset);
    v128_t acc = wasm_i32x4_splat(0);
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const v128_t v = wasm_i16x8_add(wasm_i16x8_load8x8(x + i), offset);
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(v, wasm_i16x8_load8x8(w + i)));
    }
    return sum_u32x4(acc) + dot_s8(x + i, w + i, n - i, x_offset);
}

static inline void dot_s8_pair_wasm(const int8_t *x, const int8_t *w0, const int8_t *w1,
                                    int32_t n, int16_t x_offset, uint32_t *s0, uint32_t *s1) {
    const v128_t offset = wasm_i16x8_splat(x_offset);
    v128_t acc0 = wasm_i32x4_splat(0);
    v128_t acc1 = wasm_i32x4_splat(0);
    uint32_t t0, t1;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const v128_t v = wasm_i16x8_add(wasm_i16x8_load8x8(x + i), offset);
        acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(v, wasm_i16x8_load8x8(w0 + i)));
        acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(v, wasm_i16x8_load8x8(w1 + i)));
    }
    dot_s8_pair(x + i, w0 + i, w1 + i, n - i, x_offset, &t0, &t1);
    *s0 = sum_u32x4(acc0) + t0;
    *s1 = sum_u32x4(acc1) + t1;
}

#define dot_s8_fast dot_s8_wasm
#define dot_s8_pair_fast dot_s8_pair_wasm

#else

#define dot_s8_fast dot_s8
#define dot_s8_pair_fast dot_s8_pair

#endif

#endif /* XTML_DOT_S8_H */
