/*
 * xtml_kernels_s8.c - the fast int8 kernels of CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED (xtml_kernels_s8.h): one set of loops over pixels and
 * channels, with inner products in two variants chosen at compile time,
 * scalar C for 32-bit cores and 128-bit SIMD (SSE2 or WebAssembly SIMD).
 *
 * Why they give TFLM's bytes:
 * - Every int32 sum is taken modulo 2^32 (uint32_t), like TFLM's wrapping
 *   accumulator, so any order of its terms gives the same bits.
 * - The input offset o (minus the input zero point z) is folded into the
 *   bias: sum f * (x + o) = sum f * x + o * sum f, the filter sums taken once
 *   per invoke into scratch. A tap in the padding, which TFLM skips, reads z
 *   instead (a zero-point patch or row): f * z + o * f = 0, so it adds
 *   nothing here either. FULLY_CONNECTED adds o to each input instead (its
 *   filter sums would cost as much as the products), and the weights offset
 *   as wo * sum(x + o) once per row.
 * - x + o fits 16 bits and so does its product with an int8 weight, which
 *   is what lets SIMD multiply 16-bit lanes; the 32-bit pair sums of
 *   SSE2's pmaddwd and WebAssembly's i32x4.dot_i16x8_s cannot overflow.
 * - Requantization (xtml_requant_s8 below) is TFLM's doubling high multiply
 *   and rounding shift rewritten with one rounding step: equal for every
 *   int32 sum, multiplier and shift the prepare check admits.
 *
 * Blocking: CONV_2D runs two output pixels against four output channels at a
 * time (eight sums in registers, each input and weight byte loaded once per
 * block); a 1x1 filter reads the input in place, larger ones gather each
 * pixel's receptive field into a patch first. DEPTHWISE_CONV_2D takes one
 * output pixel's taps as a list of row pointers (padding taps point at a
 * zero-point row) and sums eight channels at a time over them.
 * FULLY_CONNECTED runs one input row against four units at a time.
 */
#define XTML_KERNELS_SPEED /* see xtml_kernels_s8.h */
#include "xtml_kernels_s8.h"

#if XTML_FAST_KERNELS

#if XTML_FAST_SIMD128
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#include <emmintrin.h>
#endif
#endif

/* Small functions that must become part of their caller, and blocks that
 * must not (inlined into the loops around them they run out of registers). */
#if defined(__GNUC__) || defined(__clang__)
#define KERNEL_INLINE static inline __attribute__((always_inline))
#define KERNEL_BLOCK static __attribute__((noinline))
#define XTML_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define KERNEL_INLINE static inline
#define KERNEL_BLOCK static
#define XTML_UNLIKELY(x) (x)
#endif

/* ---- requantization ---- */

/* One output channel's multiplier and its shift split into a left shift of
 * the sum and a rounding right shift r, with the terms of that rounding
 * below: r - 1 and 2^(r - 1) (0 when r = 0). */
typedef struct rq_channel {
    int32_t multiplier;
    int32_t left, right;
    int32_t rm1, half;
} rq_channel_t;

/* Output zero point and activation range, copied out of the parameters so
 * the compiler need not reload them after every byte stored. */
typedef struct rq_range {
    int32_t offset, lo, span;
} rq_range_t;

KERNEL_INLINE rq_channel_t rq_channel(int32_t multiplier, int32_t shift) {
    rq_channel_t k;
    k.multiplier = multiplier;
    k.left = shift > 0 ? shift : 0;
    k.right = shift < 0 ? -shift : 0;
    k.rm1 = ~shift;
    k.half = shift < 0 ? (int32_t)1 << k.rm1 : 0;
    return k;
}

KERNEL_INLINE rq_range_t rq_range(const requant_s8_t *rq) {
    rq_range_t r;
    r.offset = rq->output_offset;
    r.lo = rq->act_min;
    r.span = rq->act_max - rq->act_min;
    return r;
}

/*
 * TFLM's MultiplyByQuantizedMultiplier(acc, multiplier, shift) for a
 * multiplier in [0, 2^31) and a shift in [-31, 30] (prepare refuses others):
 * with a = acc << left (wrapping, as TFLM's does), the doubling high
 * multiply h = floor((a * m + 2^30) / 2^31), which cannot saturate for such
 * m, then for a right shift r >= 1 h / 2^r rounded half away from zero,
 * floor((h + 2^(r-1) - [h < 0]) / 2^r). The SIMD builds for 64-bit
 * machines compute that as written. A 32-bit core (and the scalar build on
 * any machine, so that the host tests it) gets both halves of
 * T = a * m + 2^30 = T_hi * 2^32 + T_lo from one multiply; with b the top
 * bit of T_lo, h = 2 * T_hi + b and [h < 0] = [T_hi < 0], and halving the
 * numerator and the denominator (a leftover half cannot change the floor
 * of a division by an integer) gives
 *   (T_hi + ((b - [T_hi < 0] + 2^(r-1)) >> 1)) >> (r - 1),
 * whose terms stay inside int32 where h + 2^(r-1) would not.
 */
KERNEL_INLINE int32_t rq_scale(uint32_t acc, rq_channel_t k) {
    const int64_t prod = (int64_t)(int32_t)(acc << k.left) * k.multiplier;
#if XTML_FAST_SIMD128 && (defined(__x86_64__) || defined(__wasm__) || defined(__aarch64__))
    const int64_t h = (prod + ((int64_t)1 << 30)) >> 31;
    return (int32_t)((h + k.half - (h < 0 && k.right > 0 ? 1 : 0)) >> k.right);
#else
    const uint32_t lo = (uint32_t)(uint64_t)prod;
    const uint32_t t_lo = lo + 0x40000000u;
    const int32_t t_hi = (int32_t)((uint32_t)((uint64_t)prod >> 32) + (t_lo < lo ? 1u : 0u));
    const int32_t b = (int32_t)(t_lo >> 31);
    if (XTML_UNLIKELY(k.right == 0)) {
        return (int32_t)(((uint32_t)t_hi << 1) | (uint32_t)b);
    }
    return (t_hi + ((b - (int32_t)((uint32_t)t_hi >> 31) + k.half) >> 1)) >> k.rm1;
#endif
}

/* The output value (the caller stores its low byte): the zero point added
 * wrapping, as in TFLM (xtml_add_wrap), then one unsigned compare when it is
 * inside the activation range. */
KERNEL_INLINE int32_t rq_clamp(int32_t v, rq_range_t r) {
    v = xtml_add_wrap(v, r.offset);
    if (XTML_UNLIKELY((uint32_t)v - (uint32_t)r.lo > (uint32_t)r.span)) {
        v = v < r.lo ? r.lo : r.lo + r.span;
    }
    return v;
}

KERNEL_INLINE int8_t rq_out(uint32_t acc, rq_channel_t k, rq_range_t r) {
    return (int8_t)rq_clamp(rq_scale(acc, k), r);
}

/* Output channels requantized per call of rq_store; its sums are s[pixel * RQ_BATCH + channel]. */
#define RQ_BATCH 16

/* A channel with shift >= 0 (a multiplier of 1 or more): rare, kept out of line. */
KERNEL_BLOCK void rq_left(const uint32_t *s, int32_t np, uint32_t add, int32_t multiplier,
                          int32_t shift, rq_range_t r, int8_t *out, size_t out_stride) {
    const rq_channel_t k = rq_channel(multiplier, shift);
    int32_t i;
    for (i = 0; i < np; ++i) {
        out[(size_t)i * out_stride] = (int8_t)rq_clamp(rq_scale(s[i * RQ_BATCH] + add, k), r);
    }
}

/*
 * Channels c..c+n-1 of np pixels: out[i * out_stride + j] from the sum
 * s[i * RQ_BATCH + j] plus add[j] (when has_add), requantized. np and
 * has_add are constants where this is inlined.
 */
KERNEL_INLINE void rq_run(const requant_s8_t *rq, int32_t c, int32_t n, const uint32_t *s,
                          int32_t np, const uint32_t *add, bool has_add, int8_t *out,
                          size_t out_stride) {
    const int32_t *multiplier = rq->multiplier + c;
    const int8_t *shift = rq->shift + c;
    const rq_range_t r = rq_range(rq);
    int32_t j;
    for (j = 0; j < n; ++j) {
        const uint32_t a = has_add ? add[j] : 0u;
        const int32_t sh = shift[j];
        rq_channel_t k;
        if (XTML_UNLIKELY(sh >= 0)) {
            rq_left(s + j, np, a, multiplier[j], sh, r, out + j, out_stride);
            continue;
        }
        k.multiplier = multiplier[j];
        k.left = 0;
        k.right = -sh;
        k.rm1 = ~sh;
        k.half = (int32_t)1 << k.rm1;
        out[j] = (int8_t)rq_clamp(rq_scale(s[j] + a, k), r);
        if (np > 1) {
            out[out_stride + (size_t)j] = (int8_t)rq_clamp(rq_scale(s[RQ_BATCH + j] + a, k), r);
        }
        if (np > 2) {
            out[2 * out_stride + (size_t)j] =
                (int8_t)rq_clamp(rq_scale(s[2 * RQ_BATCH + j] + a, k), r);
        }
        if (np > 3) {
            out[3 * out_stride + (size_t)j] =
                (int8_t)rq_clamp(rq_scale(s[3 * RQ_BATCH + j] + a, k), r);
        }
    }
}

/* rq_run's cases: one to three pixels with add (CONV_2D), one, two or four
 * without (DEPTHWISE_CONV_2D). */
KERNEL_BLOCK void rq_store(const requant_s8_t *rq, int32_t c, int32_t n, const uint32_t *s,
                           int32_t np, const uint32_t *add, int8_t *out, size_t out_stride) {
    if (add != NULL) {
        if (np == 1) {
            rq_run(rq, c, n, s, 1, add, true, out, out_stride);
        } else if (np == 2) {
            rq_run(rq, c, n, s, 2, add, true, out, out_stride);
        } else {
            rq_run(rq, c, n, s, 3, add, true, out, out_stride);
        }
    } else if (np == 1) {
        rq_run(rq, c, n, s, 1, add, false, out, out_stride);
    } else if (np == 2) {
        rq_run(rq, c, n, s, 2, add, false, out, out_stride);
    } else {
        rq_run(rq, c, n, s, 4, add, false, out, out_stride);
    }
}

int32_t xtml_requant_s8_scale(int32_t acc, int32_t multiplier, int32_t shift) {
    return rq_scale((uint32_t)acc, rq_channel(multiplier, shift));
}

/* ---- inner products: out[i * 4 + j] = sum_k x_i[k] * w_j[k], w_j = w + j * n ---- */

/* Patches a CONV_2D block's scratch holds on every fast build: the largest
 * block of any variant, so that the arena a model needs is the same on
 * every 32-bit target whichever variant it compiles (xtml_arena_size_for
 * computes it once for all of them). */
#define CONV_SCRATCH_PIXELS 3

#if XTML_FAST_SCALAR

/* Pixels per block of the CONV_2D kernel. */
#define CONV_BLOCK_PIXELS 3

/* One k of the 3 x 4 block: three input bytes, four weight bytes, twelve products. */
#define STEP_3X4(i)                                                                  \
    do {                                                                             \
        const int32_t u = x0[i], v = x1[i], y = x2[i];                               \
        int32_t f = w0[i];                                                           \
        s0 += (uint32_t)(u * f), s4 += (uint32_t)(v * f), s8 += (uint32_t)(y * f);   \
        f = w1[i];                                                                   \
        s1 += (uint32_t)(u * f), s5 += (uint32_t)(v * f), s9 += (uint32_t)(y * f);   \
        f = w2[i];                                                                   \
        s2 += (uint32_t)(u * f), s6 += (uint32_t)(v * f), s10 += (uint32_t)(y * f);  \
        f = w3[i];                                                                   \
        s3 += (uint32_t)(u * f), s7 += (uint32_t)(v * f), s11 += (uint32_t)(y * f);  \
    } while (0)

/* out[i * stride + j] = sum_k x_i[k] * w_j[k] for three pixels and four channels. */
KERNEL_INLINE void dot_3x4(const int8_t *x0, const int8_t *x1, const int8_t *x2,
                           const int8_t *w, int32_t n, uint32_t *out, size_t stride) {
    const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
    const int8_t *end = x0 + (n & ~7);
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    uint32_t s8 = 0, s9 = 0, s10 = 0, s11 = 0;
    while (x0 != end) {
        STEP_3X4(0);
        STEP_3X4(1);
        STEP_3X4(2);
        STEP_3X4(3);
        STEP_3X4(4);
        STEP_3X4(5);
        STEP_3X4(6);
        STEP_3X4(7);
        x0 += 8, x1 += 8, x2 += 8, w0 += 8, w1 += 8, w2 += 8, w3 += 8;
    }
    end = x0 + (n & 7);
    while (x0 != end) {
        STEP_3X4(0);
        ++x0, ++x1, ++x2, ++w0, ++w1, ++w2, ++w3;
    }
    out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
    out += stride;
    out[0] = s4, out[1] = s5, out[2] = s6, out[3] = s7;
    out += stride;
    out[0] = s8, out[1] = s9, out[2] = s10, out[3] = s11;
}

/* One k of the 2 x 4 block: two input bytes, four weight bytes, eight products. */
#define STEP_2X4(i)                                                                  \
    do {                                                                             \
        const int32_t u = x0[i], v = x1[i];                                          \
        int32_t f = w0[i];                                                           \
        s0 += (uint32_t)(u * f), s4 += (uint32_t)(v * f);                            \
        f = w1[i];                                                                   \
        s1 += (uint32_t)(u * f), s5 += (uint32_t)(v * f);                            \
        f = w2[i];                                                                   \
        s2 += (uint32_t)(u * f), s6 += (uint32_t)(v * f);                            \
        f = w3[i];                                                                   \
        s3 += (uint32_t)(u * f), s7 += (uint32_t)(v * f);                            \
    } while (0)

KERNEL_INLINE void dot_2x4(const int8_t *x0, const int8_t *x1, const int8_t *w, int32_t n,
                           uint32_t *out, size_t stride) {
    const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
    const int8_t *end = x0 + (n & ~7);
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    while (x0 != end) {
        STEP_2X4(0);
        STEP_2X4(1);
        STEP_2X4(2);
        STEP_2X4(3);
        STEP_2X4(4);
        STEP_2X4(5);
        STEP_2X4(6);
        STEP_2X4(7);
        x0 += 8, x1 += 8, w0 += 8, w1 += 8, w2 += 8, w3 += 8;
    }
    end = x0 + (n & 7);
    while (x0 != end) {
        STEP_2X4(0);
        ++x0, ++x1, ++w0, ++w1, ++w2, ++w3;
    }
    out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
    out += stride;
    out[0] = s4, out[1] = s5, out[2] = s6, out[3] = s7;
}

/* One k of the 1 x 4 block; x_offset is added to the input byte. */
#define STEP_1X4(i)                                                                  \
    do {                                                                             \
        const int32_t u = x0[i] + x_offset;                                          \
        s0 += (uint32_t)(u * w0[i]);                                                 \
        s1 += (uint32_t)(u * w1[i]);                                                 \
        s2 += (uint32_t)(u * w2[i]);                                                 \
        s3 += (uint32_t)(u * w3[i]);                                                 \
    } while (0)

KERNEL_INLINE void dot_1x4(const int8_t *x0, const int8_t *w, int32_t n, int32_t x_offset,
                           uint32_t *out) {
    const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
    const int8_t *end = x0 + (n & ~3);
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    while (x0 != end) {
        STEP_1X4(0);
        STEP_1X4(1);
        STEP_1X4(2);
        STEP_1X4(3);
        x0 += 4, w0 += 4, w1 += 4, w2 += 4, w3 += 4;
    }
    end = x0 + (n & 3);
    while (x0 != end) {
        STEP_1X4(0);
        ++x0, ++w0, ++w1, ++w2, ++w3;
    }
    out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
}

#else /* XTML_FAST_SIMD128 */

#if defined(__wasm_simd128__)
typedef v128_t vec_t;
/* Eight int8 sign-extended to eight int16 lanes. */
static inline vec_t v_s8x8(const int8_t *p) { return wasm_i16x8_load8x8(p); }
static inline vec_t v_madd(vec_t a, vec_t b) { return wasm_i32x4_dot_i16x8(a, b); }
static inline vec_t v_add32(vec_t a, vec_t b) { return wasm_i32x4_add(a, b); }
static inline vec_t v_add16(vec_t a, vec_t b) { return wasm_i16x8_add(a, b); }
static inline vec_t v_splat16(int32_t v) { return wasm_i16x8_splat((int16_t)v); }
static inline vec_t v_zero(void) { return wasm_i32x4_splat(0); }
static inline vec_t v_zip16_lo(vec_t a, vec_t b) { return wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11); }
static inline vec_t v_zip16_hi(vec_t a, vec_t b) { return wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15); }
static inline vec_t v_zip32_lo(vec_t a, vec_t b) { return wasm_i32x4_shuffle(a, b, 0, 4, 1, 5); }
static inline vec_t v_zip32_hi(vec_t a, vec_t b) { return wasm_i32x4_shuffle(a, b, 2, 6, 3, 7); }
static inline vec_t v_zip64_lo(vec_t a, vec_t b) { return wasm_i64x2_shuffle(a, b, 0, 2); }
static inline vec_t v_zip64_hi(vec_t a, vec_t b) { return wasm_i64x2_shuffle(a, b, 1, 3); }
static inline vec_t v_load(const uint32_t *p) { return wasm_v128_load(p); }
static inline void v_store(uint32_t *p, vec_t v) { wasm_v128_store(p, v); }
#else
typedef __m128i vec_t;
static inline vec_t v_s8x8(const int8_t *p) {
    const vec_t v = _mm_loadl_epi64((const __m128i *)(const void *)p);
    return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
}
static inline vec_t v_madd(vec_t a, vec_t b) { return _mm_madd_epi16(a, b); }
static inline vec_t v_add32(vec_t a, vec_t b) { return _mm_add_epi32(a, b); }
static inline vec_t v_add16(vec_t a, vec_t b) { return _mm_add_epi16(a, b); }
static inline vec_t v_splat16(int32_t v) { return _mm_set1_epi16((short)v); }
static inline vec_t v_zero(void) { return _mm_setzero_si128(); }
static inline vec_t v_zip16_lo(vec_t a, vec_t b) { return _mm_unpacklo_epi16(a, b); }
static inline vec_t v_zip16_hi(vec_t a, vec_t b) { return _mm_unpackhi_epi16(a, b); }
static inline vec_t v_zip32_lo(vec_t a, vec_t b) { return _mm_unpacklo_epi32(a, b); }
static inline vec_t v_zip32_hi(vec_t a, vec_t b) { return _mm_unpackhi_epi32(a, b); }
static inline vec_t v_zip64_lo(vec_t a, vec_t b) { return _mm_unpacklo_epi64(a, b); }
static inline vec_t v_zip64_hi(vec_t a, vec_t b) { return _mm_unpackhi_epi64(a, b); }
static inline vec_t v_load(const uint32_t *p) { return _mm_loadu_si128((const __m128i *)(const void *)p); }
static inline void v_store(uint32_t *p, vec_t v) { _mm_storeu_si128((__m128i *)(void *)p, v); }
/* SSE2 has no widening load: sixteen int8 as two vectors of 16-bit lanes, the
 * even-numbered bytes and the odd-numbered ones (x86 is little-endian, so
 * byte 2i is the low half of lane i). Three shifts for sixteen bytes instead
 * of two unpacks and two shifts; the lanes of the pair sums of two such
 * splits multiply matching bytes. */
#define XTML_SPLIT16 1
static inline void v_s8x16_split(const int8_t *p, vec_t *even, vec_t *odd) {
    const vec_t v = _mm_loadu_si128((const __m128i *)(const void *)p);
    *even = _mm_srai_epi16(_mm_slli_epi16(v, 8), 8);
    *odd = _mm_srai_epi16(v, 8);
}
#endif

/* The lane sums of a, b, c, d as one vector [sum a, sum b, sum c, sum d]. */
static inline vec_t v_sum4(vec_t a, vec_t b, vec_t c, vec_t d) {
    const vec_t ab = v_add32(v_zip32_lo(a, b), v_zip32_hi(a, b));
    const vec_t cd = v_add32(v_zip32_lo(c, d), v_zip32_hi(c, d));
    return v_add32(v_zip64_lo(ab, cd), v_zip64_hi(ab, cd));
}

/* Pixels per block of the CONV_2D kernel. */
#define CONV_BLOCK_PIXELS 2

KERNEL_INLINE void dot_2x4(const int8_t *x0, const int8_t *x1, const int8_t *w, int32_t n,
                           uint32_t *out, size_t stride) {
    const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
    vec_t a0 = v_zero(), a1 = v_zero(), a2 = v_zero(), a3 = v_zero();
    vec_t b0 = v_zero(), b1 = v_zero(), b2 = v_zero(), b3 = v_zero();
    int32_t k = 0, j;
#ifdef XTML_SPLIT16
    for (; k + 16 <= n; k += 16) {
        vec_t ue, uo, ve, vo, fe, fo;
        v_s8x16_split(x0 + k, &ue, &uo);
        v_s8x16_split(x1 + k, &ve, &vo);
        v_s8x16_split(w0 + k, &fe, &fo);
        a0 = v_add32(a0, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
        b0 = v_add32(b0, v_add32(v_madd(ve, fe), v_madd(vo, fo)));
        v_s8x16_split(w1 + k, &fe, &fo);
        a1 = v_add32(a1, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
        b1 = v_add32(b1, v_add32(v_madd(ve, fe), v_madd(vo, fo)));
        v_s8x16_split(w2 + k, &fe, &fo);
        a2 = v_add32(a2, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
        b2 = v_add32(b2, v_add32(v_madd(ve, fe), v_madd(vo, fo)));
        v_s8x16_split(w3 + k, &fe, &fo);
        a3 = v_add32(a3, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
        b3 = v_add32(b3, v_add32(v_madd(ve, fe), v_madd(vo, fo)));
    }
#endif
    for (; k + 8 <= n; k += 8) {
        const vec_t u = v_s8x8(x0 + k), v = v_s8x8(x1 + k);
        vec_t f = v_s8x8(w0 + k);
        a0 = v_add32(a0, v_madd(u, f));
        b0 = v_add32(b0, v_madd(v, f));
        f = v_s8x8(w1 + k);
        a1 = v_add32(a1, v_madd(u, f));
        b1 = v_add32(b1, v_madd(v, f));
        f = v_s8x8(w2 + k);
        a2 = v_add32(a2, v_madd(u, f));
        b2 = v_add32(b2, v_madd(v, f));
        f = v_s8x8(w3 + k);
        a3 = v_add32(a3, v_madd(u, f));
        b3 = v_add32(b3, v_madd(v, f));
    }
    v_store(out, v_sum4(a0, a1, a2, a3));
    v_store(out + stride, v_sum4(b0, b1, b2, b3));
    for (; k < n; ++k) {
        for (j = 0; j < 4; ++j) {
            const int32_t f = w[(size_t)j * (size_t)n + (size_t)k];
            out[j] += (uint32_t)(x0[k] * f);
            out[stride + j] += (uint32_t)(x1[k] * f);
        }
    }
}

KERNEL_INLINE void dot_1x4(const int8_t *x0, const int8_t *w, int32_t n, int32_t x_offset,
                           uint32_t *out) {
    const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
    const vec_t offset = v_splat16(x_offset);
    vec_t a0 = v_zero(), a1 = v_zero(), a2 = v_zero(), a3 = v_zero();
    int32_t k = 0, j;
#ifdef XTML_SPLIT16
    for (; k + 16 <= n; k += 16) {
        vec_t ue, uo, fe, fo;
        v_s8x16_split(x0 + k, &ue, &uo);
        ue = v_add16(ue, offset);
        uo = v_add16(uo, offset);
        v_s8x16_split(w0 + k, &fe, &fo);
        a0 = v_add32(a0, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
        v_s8x16_split(w1 + k, &fe, &fo);
        a1 = v_add32(a1, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
        v_s8x16_split(w2 + k, &fe, &fo);
        a2 = v_add32(a2, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
        v_s8x16_split(w3 + k, &fe, &fo);
        a3 = v_add32(a3, v_add32(v_madd(ue, fe), v_madd(uo, fo)));
    }
#endif
    for (; k + 8 <= n; k += 8) {
        const vec_t u = v_add16(v_s8x8(x0 + k), offset);
        a0 = v_add32(a0, v_madd(u, v_s8x8(w0 + k)));
        a1 = v_add32(a1, v_madd(u, v_s8x8(w1 + k)));
        a2 = v_add32(a2, v_madd(u, v_s8x8(w2 + k)));
        a3 = v_add32(a3, v_madd(u, v_s8x8(w3 + k)));
    }
    v_store(out, v_sum4(a0, a1, a2, a3));
    for (; k < n; ++k) {
        const int32_t u = x0[k] + x_offset;
        for (j = 0; j < 4; ++j) {
            out[j] += (uint32_t)(u * w[(size_t)j * (size_t)n + (size_t)k]);
        }
    }
}

#endif /* XTML_FAST_SCALAR / XTML_FAST_SIMD128 */

/* sum_k (x[k] + x_offset) * w[k], one row: the leftover rows of a block. */
static uint32_t dot_1x1(const int8_t *x, const int8_t *w, int32_t n, int32_t x_offset) {
    uint32_t s = 0;
    int32_t k;
    for (k = 0; k < n; ++k) {
        s += (uint32_t)((x[k] + x_offset) * w[k]);
    }
    return s;
}

/* ---- CONV_2D ---- */

#if CONV_BLOCK_PIXELS > CONV_SCRATCH_PIXELS
#error "a CONV_2D block needs more patches than its scratch holds"
#endif

static bool conv_in_place(const conv_geom_t *g) {
    return g->filter_h == 1 && g->filter_w == 1;
}

/* Grouped convolution runs the reference; everything else the fast kernel. */
static bool conv_handled(const conv_s8_params_t *p) {
    return p->filter_c == p->g.in_c;
}

size_t xtml_conv_s8_scratch(const conv_s8_params_t *p) {
    const conv_geom_t *g = &p->g;
    size_t bytes;
    if (!conv_handled(p)) {
        return 0;
    }
    /* The folded biases, then a block of pixels' patches. */
    bytes = (size_t)g->out_c * sizeof(uint32_t);
    if (!conv_in_place(g)) {
        bytes += CONV_SCRATCH_PIXELS * (size_t)g->filter_h * (size_t)g->filter_w * (size_t)g->in_c;
    }
    return bytes;
}

/* sum(w[0..n)), modulo 2^32. */
static uint32_t sum_s8(const int8_t *w, int32_t n) {
    uint32_t sum = 0;
    int32_t k = 0;
#if XTML_FAST_SIMD128
    {
        const vec_t ones = v_splat16(1);
        vec_t acc = v_zero();
        uint32_t lanes[4];
        for (; k + 8 <= n; k += 8) {
            acc = v_add32(acc, v_madd(v_s8x8(w + k), ones));
        }
        v_store(lanes, acc);
        sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    }
#else
    for (; k + 4 <= n; k += 4) {
        sum += (uint32_t)(w[k] + w[k + 1] + w[k + 2] + w[k + 3]);
    }
#endif
    for (; k < n; ++k) {
        sum += (uint32_t)w[k];
    }
    return sum;
}

/* folded[r] = bias[r] + x_offset * sum(w[r][0..n)) for each of the rows. */
static void fold_rows(const int8_t *w, int32_t rows, int32_t n, const int32_t *bias,
                      int32_t x_offset, uint32_t *folded) {
    int32_t r;
    for (r = 0; r < rows; ++r) {
        folded[r] = (bias != NULL ? (uint32_t)bias[r] : 0u) + (uint32_t)x_offset * sum_s8(w, n);
        w += n;
    }
}

/* n bytes of value v; short runs without a call. */
static void fill(int8_t *dst, int8_t v, size_t n) {
    if (n > 16) {
        memset(dst, v, n);
        return;
    }
    while (n-- > 0) {
        *dst++ = v;
    }
}

static void copy(int8_t *dst, const int8_t *src, size_t n) {
    if (n > 16) {
        memcpy(dst, src, n);
        return;
    }
    while (n-- > 0) {
        *dst++ = *src++;
    }
}

/*
 * The receptive field of the output pixel whose first tap is at (iy0, ix0),
 * as patch[filter_h][filter_w][in_c], the input zero point where the filter
 * hangs over the edge.
 */
static void conv_gather(const conv_geom_t *g, const int8_t *in_batch, int8_t zero_point,
                        int32_t iy0, int32_t ix0, int8_t *patch) {
    const size_t c = (size_t)g->in_c;
    const size_t row_len = (size_t)g->filter_w * c;
    int32_t fy0, fy1, fx0, fx1, fy, fx;
    xtml_tap_range(iy0, g->dil_h, g->filter_h, g->in_h, &fy0, &fy1);
    xtml_tap_range(ix0, g->dil_w, g->filter_w, g->in_w, &fx0, &fx1);
    for (fy = 0; fy < g->filter_h; ++fy) {
        int8_t *row = patch + (size_t)fy * row_len;
        const int8_t *src;
        if (fy < fy0 || fy >= fy1 || fx0 >= fx1) {
            fill(row, zero_point, row_len);
            continue;
        }
        /* The first tap inside the image; no pointer is ever formed left of it. */
        src = in_batch + ((size_t)(iy0 + fy * g->dil_h) * (size_t)g->in_w +
                          (size_t)(ix0 + fx0 * g->dil_w)) * c;
        fill(row, zero_point, (size_t)fx0 * c);
        if (g->dil_w == 1) {
            copy(row + (size_t)fx0 * c, src, (size_t)(fx1 - fx0) * c);
        } else {
            for (fx = fx0; fx < fx1; ++fx) {
                copy(row + (size_t)fx * c, src + (size_t)(fx - fx0) * (size_t)g->dil_w * c, c);
            }
        }
        fill(row + (size_t)fx1 * c, zero_point, (size_t)(g->filter_w - fx1) * c);
    }
}

/*
 * All output channels of one or two output pixels whose inputs (n bytes
 * each) are x0 and x1: folded bias plus the products, requantized.
 */
/*
 * All output channels of np (1 to CONV_BLOCK_PIXELS) output pixels whose
 * inputs (n bytes each) are x[0..np): folded bias plus the products,
 * requantized into out (out_c bytes per pixel).
 */
KERNEL_BLOCK void conv_pixels(const conv_s8_params_t *p, const int8_t *const *x, int32_t np,
                              const int8_t *filter, int32_t n, const uint32_t *folded,
                              int8_t *out) {
    const int32_t out_c = p->g.out_c;
    uint32_t s[CONV_BLOCK_PIXELS * RQ_BATCH];
    int32_t c0, c, i;
    for (c0 = 0; c0 < out_c; c0 += RQ_BATCH) {
        const int32_t end = out_c - c0 < RQ_BATCH ? out_c : c0 + RQ_BATCH;
        for (c = c0; c + 4 <= end; c += 4) {
            const int8_t *w = filter + (size_t)c * (size_t)n;
            uint32_t *sc = s + (c - c0);
#if CONV_BLOCK_PIXELS == 3
            if (np == 3) {
                dot_3x4(x[0], x[1], x[2], w, n, sc, RQ_BATCH);
                continue;
            }
#endif
            if (np == 2) {
                dot_2x4(x[0], x[1], w, n, sc, RQ_BATCH);
            } else {
                dot_1x4(x[0], w, n, 0, sc);
            }
        }
        for (; c < end; ++c) {
            const int8_t *w = filter + (size_t)c * (size_t)n;
            for (i = 0; i < np; ++i) {
                s[i * RQ_BATCH + (c - c0)] = dot_1x1(x[i], w, n, 0);
            }
        }
        rq_store(&p->rq, c0, end - c0, s, np, folded + c0, out + c0, (size_t)out_c);
    }
}

void xtml_conv_s8_fast(const conv_s8_params_t *p, const int8_t *input, const int8_t *filter,
                       const int32_t *bias, void *scratch, int8_t *output) {
    const conv_geom_t *g = &p->g;
    const int32_t n = g->filter_h * g->filter_w * g->in_c;
    const size_t in_batch_len = (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
    const int32_t pixels = g->out_h * g->out_w;
    const int8_t zero_point = (int8_t)-p->input_offset;
    const bool in_place = conv_in_place(g);
    uint32_t *folded = (uint32_t *)scratch;
    int8_t *patch;
    int32_t b, i, oy, ox;
    if (!conv_handled(p)) {
        xtml_conv_s8_ref(p, input, filter, bias, output);
        return;
    }
    patch = (int8_t *)(folded + g->out_c);
    fold_rows(filter, g->out_c, n, bias, p->input_offset, folded);
    for (b = 0; b < g->batches; ++b) {
        const int8_t *in_batch = input + (size_t)b * in_batch_len;
        oy = 0;
        ox = 0;
        for (i = 0; i < pixels; i += CONV_BLOCK_PIXELS) {
            const int32_t np = pixels - i < CONV_BLOCK_PIXELS ? pixels - i : CONV_BLOCK_PIXELS;
            const int8_t *x[CONV_BLOCK_PIXELS];
            int32_t q;
            for (q = 0; q < np; ++q) {
                const int32_t iy0 = oy * g->stride_h - g->pad_h;
                const int32_t ix0 = ox * g->stride_w - g->pad_w;
                if (in_place) {
                    x[q] = in_batch + ((size_t)iy0 * (size_t)g->in_w + (size_t)ix0) * (size_t)g->in_c;
                } else {
                    int8_t *dst = patch + (size_t)q * (size_t)n;
                    conv_gather(g, in_batch, zero_point, iy0, ix0, dst);
                    x[q] = dst;
                }
                if (++ox == g->out_w) {
                    ox = 0;
                    ++oy;
                }
            }
            conv_pixels(p, x, np, filter, n, folded, output);
            output += (size_t)np * (size_t)g->out_c;
        }
    }
}


/* ---- DEPTHWISE_CONV_2D ---- */

size_t xtml_depthwise_s8_scratch(const depthwise_s8_params_t *p) {
    /* The folded biases. */
    return (size_t)p->g.out_c * sizeof(uint32_t);
}

/* folded[c] = bias[c] + x_offset * sum over taps [0, taps) of f[t][c]. */
static void fold_taps(const int8_t *f, int32_t taps, int32_t channels, const int32_t *bias,
                      int32_t x_offset, uint32_t *folded) {
    int32_t c, t;
    for (c = 0; c < channels; ++c) {
        uint32_t sum = 0;
        for (t = 0; t < taps; ++t) {
            sum += (uint32_t)f[(size_t)t * (size_t)channels + (size_t)c];
        }
        folded[c] = (bias != NULL ? (uint32_t)bias[c] : 0u) + (uint32_t)x_offset * sum;
    }
}

/*
 * The taps of one output pixel that lie inside the image: rows x cols, the
 * first at x (channel 0 of the input) and f (channel 0 of the filter). The
 * next tap of a row is x_col bytes on in the input and out_c in the filter;
 * the next row starts x_row and f_row bytes after the end of the last.
 */
typedef struct dw_rect {
    const int8_t *x;
    const int8_t *f;
    int32_t rows, cols;
    size_t x_col, f_row, out_c;
    ptrdiff_t x_row; /* negative when a row's taps span more than dil_h input rows */
} dw_rect_t;

/*
 * Output channels [c, end) of one pixel, one at a time, any depth
 * multiplier: init[c] + sum (x + x_offset) * f over the rectangle.
 */
static void dw_channels(const depthwise_s8_params_t *p, const dw_rect_t *t, const uint32_t *init,
                        int32_t x_offset, int32_t c, int32_t end, int8_t *out) {
    const int32_t m = p->depth_multiplier;
    const rq_range_t r = rq_range(&p->rq);
    int32_t y, q;
    for (; c < end; ++c) {
        const int8_t *x = t->x + (m == 1 ? c : c / m);
        const int8_t *f = t->f + c;
        uint32_t s = init != NULL ? init[c] : 0u;
        for (y = 0; y < t->rows; ++y) {
            for (q = 0; q < t->cols; ++q) {
                s += (uint32_t)((*x + x_offset) * *f);
                x += t->x_col;
                f += t->out_c;
            }
            x += t->x_row;
            f += t->f_row;
        }
        out[c] = rq_out(s, rq_channel(p->rq.multiplier[c], p->rq.shift[c]), r);
    }
}

#if XTML_FAST_SCALAR

/*
 * Channels c..c+3 of two pixels (x1 = x0 + x_pixel) or one, over the
 * rectangle: s[i * 4 + j] = init[c + j] + sum (x_i + x_offset) * f. With
 * depth multiplier 1 the four channels read four input bytes; with a
 * multiple of 4 they share one (shared). two, shared and x_offset are
 * constants where this is inlined.
 */
KERNEL_INLINE void dw_block(const dw_rect_t *t, int32_t c, int32_t ic, size_t x_pixel,
                            const uint32_t *init, int32_t x_offset, bool two, bool shared,
                            uint32_t *s, uint32_t *s_two) {
    const int8_t *x0 = t->x + ic;
    const int8_t *x1 = two ? x0 + x_pixel : x0;
    const int8_t *f = t->f + c;
    const size_t x_col = t->x_col, out_c = t->out_c;
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int32_t y, q;
    if (init != NULL) {
        s0 = s4 = init[c];
        s1 = s5 = init[c + 1];
        s2 = s6 = init[c + 2];
        s3 = s7 = init[c + 3];
    }
    for (y = t->rows; y > 0; --y) {
        for (q = t->cols; q > 0; --q) {
            const int32_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3];
            if (shared) {
                const int32_t u = x0[0] + x_offset;
                s0 += (uint32_t)(u * f0);
                s1 += (uint32_t)(u * f1);
                s2 += (uint32_t)(u * f2);
                s3 += (uint32_t)(u * f3);
                if (two) {
                    const int32_t v = x1[0] + x_offset;
                    s4 += (uint32_t)(v * f0);
                    s5 += (uint32_t)(v * f1);
                    s6 += (uint32_t)(v * f2);
                    s7 += (uint32_t)(v * f3);
                }
            } else {
                s0 += (uint32_t)((x0[0] + x_offset) * f0);
                s1 += (uint32_t)((x0[1] + x_offset) * f1);
                s2 += (uint32_t)((x0[2] + x_offset) * f2);
                s3 += (uint32_t)((x0[3] + x_offset) * f3);
                if (two) {
                    s4 += (uint32_t)((x1[0] + x_offset) * f0);
                    s5 += (uint32_t)((x1[1] + x_offset) * f1);
                    s6 += (uint32_t)((x1[2] + x_offset) * f2);
                    s7 += (uint32_t)((x1[3] + x_offset) * f3);
                }
            }
            x0 += x_col;
            x1 += x_col;
            f += out_c;
        }
        x0 += t->x_row;
        x1 += t->x_row;
        f += t->f_row;
    }
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
    s_two[0] = s4, s_two[1] = s5, s_two[2] = s6, s_two[3] = s7;
}

/* All blocks of four channels of one pixel or two (the second out_c bytes
 * after the first in the output); returns the first channel not done. */
KERNEL_INLINE int32_t dw_run(const depthwise_s8_params_t *p, const dw_rect_t *t,
                             const uint32_t *init, int32_t x_offset, bool two, bool shared,
                             size_t x_pixel, int8_t *out) {
    const int32_t m = p->depth_multiplier;
    const int32_t blocks_end = p->g.out_c & ~3;
    uint32_t s[2 * RQ_BATCH];
    int32_t c0, c;
    for (c0 = 0; c0 < blocks_end; c0 += RQ_BATCH) {
        const int32_t end = blocks_end - c0 < RQ_BATCH ? blocks_end : c0 + RQ_BATCH;
        for (c = c0; c < end; c += 4) {
            dw_block(t, c, shared ? c / m : c, x_pixel, init, x_offset, two, shared, s + (c - c0),
                     s + RQ_BATCH + (c - c0));
        }
        rq_store(&p->rq, c0, end - c0, s, two ? 2 : 1, NULL, out + c0, (size_t)p->g.out_c);
    }
    return blocks_end;
}

/* dw_run's cases, each compiled with its constants. */
KERNEL_BLOCK int32_t dw_full_two(const depthwise_s8_params_t *p, const dw_rect_t *t,
                                 const uint32_t *init, size_t x_pixel, int8_t *out) {
    return dw_run(p, t, init, 0, true, false, x_pixel, out);
}
KERNEL_BLOCK int32_t dw_full_one(const depthwise_s8_params_t *p, const dw_rect_t *t,
                                 const uint32_t *init, int8_t *out) {
    return dw_run(p, t, init, 0, false, false, 0, out);
}
KERNEL_BLOCK int32_t dw_edge(const depthwise_s8_params_t *p, const dw_rect_t *t,
                             const uint32_t *init, int32_t x_offset, bool two, size_t x_pixel,
                             int8_t *out) {
    return dw_run(p, t, init, x_offset, two, false, x_pixel, out);
}
KERNEL_BLOCK int32_t dw_shared(const depthwise_s8_params_t *p, const dw_rect_t *t,
                               const uint32_t *init, int32_t x_offset, bool two, size_t x_pixel,
                               int8_t *out) {
    return dw_run(p, t, init, x_offset, two, true, x_pixel, out);
}

/*
 * Four neighbouring pixels of a row, channels c and c+1, for the most common
 * depthwise filter: 3 taps wide, no dilation, stride 1 or 2 (a constant
 * where inlined), every tap inside the image. The pixels share input
 * columns, so each input byte is loaded once per filter row: with stride 1
 * six columns serve four pixels' 3 x 3 taps.
 */
#define DW_QUAD_MAC(i, fx)                                                           \
    (a##i##0 += (uint32_t)(u0 * f##fx##0), a##i##1 += (uint32_t)(u1 * f##fx##1))
#define DW_QUAD_COLUMN() (u0 = xp[0], u1 = xp[1], xp += x_col)

KERNEL_INLINE void dw_quad(const dw_rect_t *t, int32_t c, int32_t stride,
                           const uint32_t *folded, uint32_t *s) {
    const size_t x_col = t->x_col, out_c = t->out_c;
    const size_t x_next_row = (size_t)(t->x_row + (ptrdiff_t)(3 * x_col)), f_next_row = t->f_row + 3 * out_c;
    const int8_t *xr = t->x + c, *fr = t->f + c;
    uint32_t a00 = folded[c], a01 = folded[c + 1];
    uint32_t a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
    int32_t y;
    for (y = t->rows; y > 0; --y) {
        const int32_t f00 = fr[0], f01 = fr[1];
        const int32_t f10 = fr[out_c], f11 = fr[out_c + 1];
        const int32_t f20 = fr[2 * out_c], f21 = fr[2 * out_c + 1];
        const int8_t *xp = xr;
        int32_t u0, u1;
        if (stride == 1) {
            DW_QUAD_COLUMN(), DW_QUAD_MAC(0, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(0, 1), DW_QUAD_MAC(1, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(0, 2), DW_QUAD_MAC(1, 1), DW_QUAD_MAC(2, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(1, 2), DW_QUAD_MAC(2, 1), DW_QUAD_MAC(3, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(2, 2), DW_QUAD_MAC(3, 1);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(3, 2);
        } else {
            DW_QUAD_COLUMN(), DW_QUAD_MAC(0, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(0, 1);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(0, 2), DW_QUAD_MAC(1, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(1, 1);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(1, 2), DW_QUAD_MAC(2, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(2, 1);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(2, 2), DW_QUAD_MAC(3, 0);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(3, 1);
            DW_QUAD_COLUMN(), DW_QUAD_MAC(3, 2);
        }
        xr += x_next_row;
        fr += f_next_row;
    }
    s[0] = a00, s[1] = a01;
    s[RQ_BATCH] = a10, s[RQ_BATCH + 1] = a11;
    s[2 * RQ_BATCH] = a20, s[2 * RQ_BATCH + 1] = a21;
    s[3 * RQ_BATCH] = a30, s[3 * RQ_BATCH + 1] = a31;
}

/* Every pair of channels of four pixels (the next pixel out_c bytes on in the
 * output); returns the first channel not done. */
KERNEL_INLINE int32_t dw_quad_run(const depthwise_s8_params_t *p, const dw_rect_t *t,
                                  int32_t stride, const uint32_t *folded, int8_t *out) {
    const int32_t pairs_end = p->g.out_c & ~1;
    uint32_t s[4 * RQ_BATCH];
    int32_t c0, c;
    for (c0 = 0; c0 < pairs_end; c0 += RQ_BATCH) {
        const int32_t end = pairs_end - c0 < RQ_BATCH ? pairs_end : c0 + RQ_BATCH;
        for (c = c0; c < end; c += 2) {
            dw_quad(t, c, stride, folded, s + (c - c0));
        }
        rq_store(&p->rq, c0, end - c0, s, 4, NULL, out + c0, (size_t)p->g.out_c);
    }
    return pairs_end;
}

KERNEL_BLOCK int32_t dw_quad_s1(const depthwise_s8_params_t *p, const dw_rect_t *t,
                                const uint32_t *folded, int8_t *out) {
    return dw_quad_run(p, t, 1, folded, out);
}
KERNEL_BLOCK int32_t dw_quad_s2(const depthwise_s8_params_t *p, const dw_rect_t *t,
                                const uint32_t *folded, int8_t *out) {
    return dw_quad_run(p, t, 2, folded, out);
}

/* Whether the quad kernel can run p's layer (it still checks each pixel's taps). */
static bool dw_quad_layer(const depthwise_s8_params_t *p) {
    const conv_geom_t *g = &p->g;
    return p->depth_multiplier == 1 && g->filter_w == 3 && g->dil_w == 1 &&
           (g->stride_w == 1 || g->stride_w == 2);
}

/*
 * One or two pixels, channels in blocks of 4 (depth multiplier 1 or a
 * multiple of 4); returns the first channel not done. full: every column of
 * taps is inside the image, so the folded sums of the rectangle's filter
 * rows apply to the raw input; otherwise the input offset is added to each
 * input and the sums start at the bias.
 */
static int32_t dw_blocks(const depthwise_s8_params_t *p, const dw_rect_t *t, bool full,
                         const uint32_t *folded, const int32_t *bias, bool two, size_t x_pixel,
                         int8_t *out0, int8_t *out1) {
    const int32_t m = p->depth_multiplier;
    const uint32_t *init = full ? folded : (const uint32_t *)(const void *)bias;
    const int32_t x_offset = full ? 0 : p->input_offset;
    (void)out1;
    if (m != 1) {
        return m % 4 == 0 ? dw_shared(p, t, init, x_offset, two, x_pixel, out0) : 0;
    }
    if (!full) {
        return dw_edge(p, t, init, x_offset, two, x_pixel, out0);
    }
    return two ? dw_full_two(p, t, init, x_pixel, out0) : dw_full_one(p, t, init, out0);
}

#else /* XTML_FAST_SIMD128 */

/*
 * Eight channels c..c+7 of one pixel or two (x1 = x0 + x_pixel), taps in
 * pairs along a row: the two taps' inputs and weights interleaved into int16
 * lanes, so one pair-sum multiply adds both taps of four channels; the
 * weights are loaded once for both pixels. Depth multiplier 1 (eight input
 * channels) or a multiple of 8 (one input byte, splatted). s[i * RQ_BATCH +
 * j] = init[c + j] + sum (x_i + x_offset) * f. two, splat and x_offset are
 * constants where this is inlined.
 */
KERNEL_INLINE vec_t dw_x8(const int8_t *x, bool splat, int32_t x_offset) {
    const vec_t v = splat ? v_splat16(*x) : v_s8x8(x);
    return x_offset != 0 ? v_add16(v, v_splat16(x_offset)) : v;
}

KERNEL_INLINE void dw_block8(const dw_rect_t *t, int32_t c, int32_t ic, size_t x_pixel,
                             const uint32_t *init, int32_t x_offset, bool two, bool splat,
                             uint32_t *s) {
    const int8_t *x = t->x + ic;
    const int8_t *f = t->f + c;
    const size_t x_col = t->x_col, out_c = t->out_c;
    vec_t lo0 = init != NULL ? v_load(init + c) : v_zero();
    vec_t hi0 = init != NULL ? v_load(init + c + 4) : v_zero();
    vec_t lo1 = lo0, hi1 = hi0;
    int32_t y, q;
    for (y = 0; y < t->rows; ++y) {
        for (q = 0; q + 2 <= t->cols; q += 2) {
            const vec_t f0 = v_s8x8(f), f1 = v_s8x8(f + out_c);
            const vec_t fl = v_zip16_lo(f0, f1), fh = v_zip16_hi(f0, f1);
            vec_t x0 = dw_x8(x, splat, x_offset), x1 = dw_x8(x + x_col, splat, x_offset);
            lo0 = v_add32(lo0, v_madd(v_zip16_lo(x0, x1), fl));
            hi0 = v_add32(hi0, v_madd(v_zip16_hi(x0, x1), fh));
            if (two) {
                x0 = dw_x8(x + x_pixel, splat, x_offset);
                x1 = dw_x8(x + x_pixel + x_col, splat, x_offset);
                lo1 = v_add32(lo1, v_madd(v_zip16_lo(x0, x1), fl));
                hi1 = v_add32(hi1, v_madd(v_zip16_hi(x0, x1), fh));
            }
            x += 2 * x_col;
            f += 2 * out_c;
        }
        if (q < t->cols) {
            const vec_t f0 = v_s8x8(f);
            const vec_t fl = v_zip16_lo(f0, v_zero()), fh = v_zip16_hi(f0, v_zero());
            vec_t x0 = dw_x8(x, splat, x_offset);
            lo0 = v_add32(lo0, v_madd(v_zip16_lo(x0, v_zero()), fl));
            hi0 = v_add32(hi0, v_madd(v_zip16_hi(x0, v_zero()), fh));
            if (two) {
                x0 = dw_x8(x + x_pixel, splat, x_offset);
                lo1 = v_add32(lo1, v_madd(v_zip16_lo(x0, v_zero()), fl));
                hi1 = v_add32(hi1, v_madd(v_zip16_hi(x0, v_zero()), fh));
            }
            x += x_col;
            f += out_c;
        }
        x += t->x_row;
        f += t->f_row;
    }
    v_store(s, lo0);
    v_store(s + 4, hi0);
    if (two) {
        v_store(s + RQ_BATCH, lo1);
        v_store(s + RQ_BATCH + 4, hi1);
    }
}

/* All blocks of eight channels of one pixel or two (the second out_c bytes
 * after the first in the output); returns the first channel not done. */
KERNEL_INLINE int32_t dw_run8(const depthwise_s8_params_t *p, const dw_rect_t *t,
                              const uint32_t *init, int32_t x_offset, bool two, bool splat,
                              size_t x_pixel, int8_t *out) {
    const int32_t m = p->depth_multiplier;
    const int32_t blocks_end = p->g.out_c & ~7;
    uint32_t s[2 * RQ_BATCH];
    int32_t c0, c;
    for (c0 = 0; c0 < blocks_end; c0 += RQ_BATCH) {
        const int32_t end = blocks_end - c0 < RQ_BATCH ? blocks_end : c0 + RQ_BATCH;
        for (c = c0; c < end; c += 8) {
            dw_block8(t, c, splat ? c / m : c, x_pixel, init, x_offset, two, splat, s + (c - c0));
        }
        rq_store(&p->rq, c0, end - c0, s, two ? 2 : 1, NULL, out + c0, (size_t)p->g.out_c);
    }
    return blocks_end;
}

/* dw_run8's cases, each compiled with its constants. */
KERNEL_BLOCK int32_t dw_full_two(const depthwise_s8_params_t *p, const dw_rect_t *t,
                                 const uint32_t *init, size_t x_pixel, int8_t *out) {
    return dw_run8(p, t, init, 0, true, false, x_pixel, out);
}
KERNEL_BLOCK int32_t dw_full_one(const depthwise_s8_params_t *p, const dw_rect_t *t,
                                 const uint32_t *init, int8_t *out) {
    return dw_run8(p, t, init, 0, false, false, 0, out);
}
KERNEL_BLOCK int32_t dw_edge(const depthwise_s8_params_t *p, const dw_rect_t *t,
                             const uint32_t *init, int32_t x_offset, bool two, size_t x_pixel,
                             int8_t *out) {
    return dw_run8(p, t, init, x_offset, two, false, x_pixel, out);
}
KERNEL_BLOCK int32_t dw_splat(const depthwise_s8_params_t *p, const dw_rect_t *t,
                              const uint32_t *init, int32_t x_offset, bool two, size_t x_pixel,
                              int8_t *out) {
    return dw_run8(p, t, init, x_offset, two, true, x_pixel, out);
}

/* As the scalar dw_blocks, in blocks of eight channels (depth multiplier 1 or
 * a multiple of 8). */
static int32_t dw_blocks(const depthwise_s8_params_t *p, const dw_rect_t *t, bool full,
                         const uint32_t *folded, const int32_t *bias, bool two, size_t x_pixel,
                         int8_t *out0, int8_t *out1) {
    const int32_t m = p->depth_multiplier;
    const uint32_t *init = full ? folded : (const uint32_t *)(const void *)bias;
    const int32_t x_offset = full ? 0 : p->input_offset;
    (void)out1;
    if (m != 1) {
        return m % 8 == 0 ? dw_splat(p, t, init, x_offset, two, x_pixel, out0) : 0;
    }
    if (!full) {
        return dw_edge(p, t, init, x_offset, two, x_pixel, out0);
    }
    return two ? dw_full_two(p, t, init, x_pixel, out0) : dw_full_one(p, t, init, out0);
}

#endif

void xtml_depthwise_s8_fast(const depthwise_s8_params_t *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, void *scratch,
                            int8_t *output) {
    const conv_geom_t *g = &p->g;
    const size_t c_in = (size_t)g->in_c;
    const size_t in_row_len = (size_t)g->in_w * c_in;
    const size_t in_batch_len = (size_t)g->in_h * in_row_len;
    const size_t x_pixel = (size_t)g->stride_w * c_in;
    const size_t f_row_len = (size_t)g->filter_w * (size_t)g->out_c;
    const uint32_t *bias_sums = (const uint32_t *)(const void *)bias;
    uint32_t *folded = (uint32_t *)scratch;
#if XTML_FAST_SCALAR
    const bool quads = dw_quad_layer(p);
#endif
    int32_t b, oy, ox, fy0, fy1, fx0, fx1, nx0, nx1, folded_fy0 = -1, folded_fy1 = -1;
    dw_rect_t t;
    t.x_col = (size_t)g->dil_w * c_in;
    t.out_c = (size_t)g->out_c;
    for (b = 0; b < g->batches; ++b) {
        const int8_t *in_batch = input + (size_t)b * in_batch_len;
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t iy0 = oy * g->stride_h - g->pad_h;
            xtml_tap_range(iy0, g->dil_h, g->filter_h, g->in_h, &fy0, &fy1);
            /* The folded sums of this row's filter rows (all of them away from
             * the top and bottom edges), for the pixels whose columns are all
             * inside the image. */
            if (fy0 != folded_fy0 || fy1 != folded_fy1) {
                fold_taps(filter + (size_t)fy0 * f_row_len, (fy1 - fy0) * g->filter_w, g->out_c,
                          bias, p->input_offset, folded);
                folded_fy0 = fy0;
                folded_fy1 = fy1;
            }
            t.rows = fy1 - fy0;
            t.f_row = 0;
            for (ox = 0; ox < g->out_w; ox += 1) {
                const int32_t ix0 = ox * g->stride_w - g->pad_w;
                const int8_t *x_row = in_batch + (size_t)(iy0 + fy0 * g->dil_h) * in_row_len;
                bool two = false, full;
                int32_t done;
#if XTML_FAST_SCALAR
                /* Four pixels whose columns are all inside the image. */
                if (quads && t.rows > 0 && ix0 >= 0 && ox + 3 < g->out_w &&
                    ix0 + 3 * g->stride_w + 2 < g->in_w) {
                    int32_t q;
                    t.x = x_row + (size_t)ix0 * c_in;
                    t.f = filter + (size_t)fy0 * f_row_len;
                    t.x_row = (ptrdiff_t)((size_t)g->dil_h * in_row_len) - (ptrdiff_t)(3 * t.x_col);
                    t.f_row = 0;
                    t.cols = 3;
                    done = g->stride_w == 1 ? dw_quad_s1(p, &t, folded, output)
                                            : dw_quad_s2(p, &t, folded, output);
                    for (q = 0; q < 4 && done < g->out_c; ++q) {
                        dw_rect_t tq = t;
                        tq.x += (size_t)q * x_pixel;
                        dw_channels(p, &tq, folded, 0, done, g->out_c, output + q * g->out_c);
                    }
                    output += 4 * g->out_c;
                    ox += 3;
                    continue;
                }
#endif
                xtml_tap_range(ix0, g->dil_w, g->filter_w, g->in_w, &fx0, &fx1);
                if (ox + 1 < g->out_w) {
                    xtml_tap_range(ix0 + g->stride_w, g->dil_w, g->filter_w, g->in_w, &nx0, &nx1);
                    two = nx0 == fx0 && nx1 == fx1;
                }
                t.cols = fx1 - fx0;
                full = t.cols == g->filter_w;
                if (t.rows == 0 || t.cols == 0) {
                    /* No tap inside the image: the bias alone. */
                    t.x = in_batch;
                    t.cols = 0;
                } else {
                    t.x = x_row + (size_t)(ix0 + fx0 * g->dil_w) * c_in;
                }
                t.f = filter + ((size_t)fy0 * (size_t)g->filter_w + (size_t)fx0) * t.out_c;
                t.x_row = (ptrdiff_t)((size_t)g->dil_h * in_row_len) -
                          (ptrdiff_t)((size_t)t.cols * t.x_col);
                t.f_row = (size_t)(g->filter_w - t.cols) * t.out_c;
                done = dw_blocks(p, &t, full, folded, bias, two, x_pixel, output,
                                 output + g->out_c);
                if (done < g->out_c) {
                    dw_channels(p, &t, full ? folded : bias_sums, full ? 0 : p->input_offset, done,
                                g->out_c, output);
                }
                if (two) {
                    if (done < g->out_c) {
                        dw_rect_t t1 = t;
                        t1.x += x_pixel;
                        dw_channels(p, &t1, full ? folded : bias_sums,
                                    full ? 0 : p->input_offset, done, g->out_c, output + g->out_c);
                    }
                    ++ox;
                    output += g->out_c;
                }
                output += g->out_c;
            }
        }
    }
}

/* ---- FULLY_CONNECTED ---- */

void xtml_fc_s8_fast(const fc_s8_params_t *p, const int8_t *input, const int8_t *weights,
                     const int32_t *bias, int8_t *output) {
    const int32_t *multiplier = p->rq.multiplier;
    const int8_t *shift = p->rq.shift;
    const rq_range_t r = rq_range(&p->rq);
    const int32_t n = p->depth;
    const int32_t step = p->channel_step;
    uint32_t s[4];
    int32_t b, u, j, d;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)n;
        uint32_t row = 0;
        if (p->weights_offset != 0) {
            for (d = 0; d < n; ++d) {
                row += (uint32_t)(x[d] + p->input_offset);
            }
            row *= (uint32_t)p->weights_offset;
        }
        for (u = 0; u + 4 <= p->units; u += 4) {
            dot_1x4(x, weights + (size_t)u * (size_t)n, n, p->input_offset, s);
            for (j = 0; j < 4; ++j) {
                const int32_t unit = u + j;
                const uint32_t acc = s[j] + row + (bias != NULL ? (uint32_t)bias[unit] : 0u);
                *output++ = rq_out(acc, rq_channel(multiplier[unit * step], shift[unit * step]), r);
            }
        }
        for (; u < p->units; ++u) {
            uint32_t acc = dot_1x1(x, weights + (size_t)u * (size_t)n, n, p->input_offset);
            acc += row + (bias != NULL ? (uint32_t)bias[u] : 0u);
            *output++ = rq_out(acc, rq_channel(multiplier[u * step], shift[u * step]), r);
        }
    }
}

#else

/* ISO C wants a declaration in every translation unit. */
typedef int xtml_kernels_s8_unused_t;

#endif /* XTML_FAST_KERNELS */
