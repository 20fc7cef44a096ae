/*
 * xtml_kernels_s8.h - the int8 kernels of CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED as plain functions on raw pointers and a const parameter
 * struct: the reference kernels (the oracle) and the fast ones this build
 * selects.
 *
 * Reference kernels (xtml_conv.c, xtml_fully_connected.c) follow TFLM's loops:
 * per output, the sum of filter * (input + input_offset) over the taps inside
 * the image, plus the bias, requantized. Fast kernels (xtml_kernels_s8.c)
 * compute the same int32 sums in another order and must give identical
 * bytes; they are tested against the reference on random shapes.
 *
 * Which fast kernels a build has is decided at compile time:
 *   XTML_REFERENCE_KERNELS   none: every operator runs its reference kernel,
 *                            and prepare asks for no scratch beyond it.
 *   __wasm_simd128__, __SSE2__ (unless XTML_NO_SIMD)
 *                            128-bit SIMD (WebAssembly SIMD or SSE2).
 *   anything else            scalar C for 32-bit cores (rv32imc, Xtensa,
 *                            Cortex-M), also forced with XTML_NO_SIMD.
 */
#ifndef XTML_KERNELS_S8_H
#define XTML_KERNELS_S8_H

#if defined(XTML_REFERENCE_KERNELS)
#define XTML_FAST_KERNELS 0
#elif !defined(XTML_NO_SIMD) && (defined(__wasm_simd128__) || defined(__SSE2__))
#define XTML_FAST_KERNELS 1
#define XTML_FAST_SIMD128 1
#else
#define XTML_FAST_KERNELS 1
#define XTML_FAST_SCALAR 1
#endif

/*
 * The file of the fast kernels (XTML_KERNELS_SPEED defined before including
 * this header) is compiled for speed by GCC whatever the build's level, from
 * here on so that the inline helpers of xtml_internal.h are compiled the same
 * way and can be inlined into it: firmware is often built -Os, which keeps
 * the requantization out of line and rotates the block sums through moves.
 * And at -O2 its pre-allocation scheduler and reassociation of the unrolled
 * sums need more registers than rv32's 31, spilling the sums of a block to
 * the stack; without them a 3 x 4 block runs at 31 instructions per 12
 * multiply-adds plus pointer updates.
 */
#if defined(XTML_KERNELS_SPEED) && XTML_FAST_SCALAR && defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O2", "no-schedule-insns", "no-tree-reassoc")
#endif

#include "xtml_internal.h"

/* Geometry of a convolution (NHWC). */
typedef struct conv_geom {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t filter_h, filter_w;
    int32_t out_h, out_w, out_c;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_h, pad_w;
} conv_geom_t;

/* Requantization of an int32 sum to int8: per output channel Q31 multiplier
 * and shift, output zero point, fused activation range. */
typedef struct requant_s8 {
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t output_offset;
    int32_t act_min, act_max;
} requant_s8_t;

/* CONV_2D. filter [out_c][filter_h][filter_w][filter_c], bias out_c or NULL. */
typedef struct conv_s8_params {
    conv_geom_t g;
    int32_t filter_c;        /* input channels per group (filter dim 3) */
    int32_t input_offset;    /* -input zero point */
    requant_s8_t rq;
} conv_s8_params_t;

/* DEPTHWISE_CONV_2D. filter [1][filter_h][filter_w][out_c], out_c = in_c * depth_multiplier. */
typedef struct depthwise_s8_params {
    conv_geom_t g;
    int32_t depth_multiplier;
    int32_t input_offset;
    requant_s8_t rq;
} depthwise_s8_params_t;

/* FULLY_CONNECTED. weights [units][depth], input [batches][depth]. The
 * multipliers are per unit, or one value when channel_step is 0. */
typedef struct fc_s8_params {
    int32_t batches, depth, units;
    int32_t input_offset;    /* -input zero point */
    int32_t weights_offset;  /* -weights zero point (per-tensor weights only) */
    int32_t channel_step;
    requant_s8_t rq;
} fc_s8_params_t;

/* Filter taps [*first, *end) whose input coordinate origin + dil * t lies in [0, size). */
static inline void xtml_tap_range(int32_t origin, int32_t dil, int32_t taps, int32_t size,
                                  int32_t *first, int32_t *end) {
    int32_t lo = 0;
    int32_t hi = taps;
    if (origin < 0) {
        lo = dil == 1 ? -origin : (-origin + dil - 1) / dil;
    }
    if (origin + (int64_t)dil * (taps - 1) >= size) {
        hi = origin >= size ? 0 : (dil == 1 ? size - origin : (size - 1 - origin) / dil + 1);
    }
    *first = lo;
    *end = hi > lo ? hi : lo;
}

/* The reference kernels. They need no scratch. */
void xtml_conv_s8_ref(const conv_s8_params_t *p, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output);
void xtml_depthwise_s8_ref(const depthwise_s8_params_t *p, const int8_t *input,
                           const int8_t *filter, const int32_t *bias, int8_t *output);
void xtml_fc_s8_ref(const fc_s8_params_t *p, const int8_t *input, const int8_t *weights,
                    const int32_t *bias, int8_t *output);

#if XTML_FAST_KERNELS
/* Scratch bytes the fast kernel needs for p (0: none); prepare asks for it. */
size_t xtml_conv_s8_scratch(const conv_s8_params_t *p);
size_t xtml_depthwise_s8_scratch(const depthwise_s8_params_t *p);
/* The fast kernels; each runs the reference itself for shapes it does not handle. */
void xtml_conv_s8_fast(const conv_s8_params_t *p, const int8_t *input, const int8_t *filter,
                       const int32_t *bias, void *scratch, int8_t *output);
void xtml_depthwise_s8_fast(const depthwise_s8_params_t *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, void *scratch,
                            int8_t *output);
void xtml_fc_s8_fast(const fc_s8_params_t *p, const int8_t *input, const int8_t *weights,
                     const int32_t *bias, int8_t *output);
/* The fast kernels' requantization (before the output offset), exposed for
 * its test against xtml_mul_by_quantized_multiplier. */
int32_t xtml_requant_s8_scale(int32_t acc, int32_t multiplier, int32_t shift);
#endif

#endif /* XTML_KERNELS_S8_H */
