/*
 * xtml_conv.c - CONV_2D and DEPTHWISE_CONV_2D, int8 (per-channel or per-tensor
 * int8 weights, int32 bias), 16x8 and float32, NHWC, bit-exact with TFLM's
 * reference kernels: prepare, eval, and the reference kernels.
 *
 * Both operators: SAME/VALID padding, strides, dilation, fused NONE/RELU/
 * RELU_N1_TO_1/RELU6, optional bias (2-input form or bias index -1; TFLM's
 * DEPTHWISE_CONV_2D crashes on the latter, which is its own bug, so we run it
 * as the no-bias operator it describes). CONV_2D also runs grouped
 * convolution (filter depth dividing the input depth), DEPTHWISE_CONV_2D any
 * depth multiplier.
 *
 * int8: the reference kernels below are TFLM's loops: per output, the sum of
 * filter * (input + input_offset) over the taps inside the image (a tap in
 * the padding is skipped, it adds nothing), in a wrapping int32, plus the
 * bias, requantized and clamped. They are the oracle; the fast kernels this
 * build selects (xtml_kernels_s8.h) compute the same sums in another order.
 * INT4 filters (int8 input, as TFLM) are unpacked to int8 at the start of the
 * node's scratch at every invoke, then run as int8 filters.
 *
 * 16x8 (int16 activations with zero point 0, int8 weights, TFLM's
 * ConvPerChannel / DepthwiseConvPerChannel for int16): one reference kernel
 * for both operators, with no input or output offset. Sums and bias are int64
 * and requantized by TFLM's 64-bit MultiplyByQuantizedMultiplier (16-bit
 * multiplier, shift at most 7, where TFLM asserts); CONV_2D with an int32
 * bias (or none and quantized_bias_type INT32) sums in a wrapping int32 and
 * requantizes like int8. DEPTHWISE_CONV_2D reads its bias as int64 whatever
 * its type, so an int32 bias is refused there.
 *
 * The INT8 entries' kernels (xtml.h, XTML_OPERATOR_TYPES) are the same
 * prepare and eval compiled for int8 alone.
 *
 * Float kernels keep TFLM's order of float operations per output: taps in
 * (y, x, channel) order from 0.0f, products rounded to float before the add
 * (also under x87 excess precision), then + bias, then the clamp.
 */
#include <float.h>

#include "xtml_internal.h"
#include "xtml_kernels_s8.h"

/* ---- int8 reference kernels ---- */

static int8_t requant_ref(const requant_s8_t *rq, uint32_t acc, int32_t channel) {
    int32_t v = xtml_mul_by_quantized_multiplier((int32_t)acc, rq->multiplier[channel],
                                                 rq->shift[channel]);
    return xtml_clamp_s8(xtml_add_wrap(v, rq->output_offset), rq->act_min, rq->act_max);
}

void xtml_conv_s8_ref(const conv_s8_params_t *p, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output) {
    const conv_geom_t *g = &p->g;
    const int32_t fc = p->filter_c;
    const int32_t per_group = g->out_c / (g->in_c / fc);
    int32_t b, oy, ox, oc, fy, fx, c;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                for (oc = 0; oc < g->out_c; ++oc) {
                    const int32_t in_c0 = (oc / per_group) * fc;
                    uint32_t acc = 0;
                    for (fy = 0; fy < g->filter_h; ++fy) {
                        const int32_t iy = oy * g->stride_h - g->pad_h + fy * g->dil_h;
                        if (iy < 0 || iy >= g->in_h) {
                            continue;
                        }
                        for (fx = 0; fx < g->filter_w; ++fx) {
                            const int32_t ix = ox * g->stride_w - g->pad_w + fx * g->dil_w;
                            const int8_t *x, *f;
                            if (ix < 0 || ix >= g->in_w) {
                                continue;
                            }
                            x = input + (((size_t)b * (size_t)g->in_h + (size_t)iy) * (size_t)g->in_w +
                                         (size_t)ix) * (size_t)g->in_c + (size_t)in_c0;
                            f = filter + (((size_t)oc * (size_t)g->filter_h + (size_t)fy) *
                                          (size_t)g->filter_w + (size_t)fx) * (size_t)fc;
                            for (c = 0; c < fc; ++c) {
                                acc += (uint32_t)(f[c] * (x[c] + p->input_offset));
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += (uint32_t)bias[oc];
                    }
                    *output++ = requant_ref(&p->rq, acc, oc);
                }
            }
        }
    }
}

void xtml_depthwise_s8_ref(const depthwise_s8_params_t *p, const int8_t *input,
                           const int8_t *filter, const int32_t *bias, int8_t *output) {
    const conv_geom_t *g = &p->g;
    const int32_t m = p->depth_multiplier;
    int32_t b, oy, ox, ic, j, fy, fx;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                for (ic = 0; ic < g->in_c; ++ic) {
                    for (j = 0; j < m; ++j) {
                        const int32_t oc = ic * m + j;
                        uint32_t acc = 0;
                        for (fy = 0; fy < g->filter_h; ++fy) {
                            const int32_t iy = oy * g->stride_h - g->pad_h + fy * g->dil_h;
                            if (iy < 0 || iy >= g->in_h) {
                                continue;
                            }
                            for (fx = 0; fx < g->filter_w; ++fx) {
                                const int32_t ix = ox * g->stride_w - g->pad_w + fx * g->dil_w;
                                int32_t x, f;
                                if (ix < 0 || ix >= g->in_w) {
                                    continue;
                                }
                                x = input[(((size_t)b * (size_t)g->in_h + (size_t)iy) *
                                               (size_t)g->in_w + (size_t)ix) * (size_t)g->in_c +
                                          (size_t)ic];
                                f = filter[((size_t)fy * (size_t)g->filter_w + (size_t)fx) *
                                               (size_t)g->out_c + (size_t)oc];
                                acc += (uint32_t)(f * (x + p->input_offset));
                            }
                        }
                        if (bias != NULL) {
                            acc += (uint32_t)bias[oc];
                        }
                        *output++ = requant_ref(&p->rq, acc, oc);
                    }
                }
            }
        }
    }
}

/* ---- 16x8 reference kernel (CONV_2D and DEPTHWISE_CONV_2D) ---- */

typedef struct conv_s16_params {
    conv_geom_t g;
    int32_t filter_c;     /* input channels per group; 1 for depthwise */
    uint8_t depthwise;    /* filter [1][h][w][out_c], not [out_c][h][w][filter_c] */
    uint8_t acc64;        /* int64 sums and bias; else a wrapping int32 */
    requant_s8_t rq;      /* output_offset unused: zero points are 0 */
} conv_s16_params_t;

static void conv_s16(const conv_s16_params_t *p, const int16_t *input, const int8_t *filter,
                     const void *bias, int16_t *output) {
    const conv_geom_t *g = &p->g;
    const int32_t fc = p->filter_c;
    const int32_t per_group = g->out_c / (g->in_c / fc);
    /* filter steps per output channel, filter row and filter column */
    const size_t f_oc = p->depthwise ? 1u : (size_t)g->filter_h * (size_t)g->filter_w * (size_t)fc;
    const size_t f_x = p->depthwise ? (size_t)g->out_c : (size_t)fc;
    const size_t f_y = (size_t)g->filter_w * f_x;
    int32_t b, oy, ox, oc, fy, fx, c;
    for (b = 0; b < g->batches; ++b) {
        for (oy = 0; oy < g->out_h; ++oy) {
            for (ox = 0; ox < g->out_w; ++ox) {
                for (oc = 0; oc < g->out_c; ++oc) {
                    const int16_t *in_group = input + (size_t)b * (size_t)g->in_h * (size_t)g->in_w *
                                                  (size_t)g->in_c + (size_t)((oc / per_group) * fc);
                    uint64_t acc = 0;   /* modulo 2^64; its low half is the int32 sum */
                    int32_t v;
                    for (fy = 0; fy < g->filter_h; ++fy) {
                        const int32_t iy = oy * g->stride_h - g->pad_h + fy * g->dil_h;
                        if (iy < 0 || iy >= g->in_h) {
                            continue;
                        }
                        for (fx = 0; fx < g->filter_w; ++fx) {
                            const int32_t ix = ox * g->stride_w - g->pad_w + fx * g->dil_w;
                            const int16_t *x;
                            const int8_t *f;
                            if (ix < 0 || ix >= g->in_w) {
                                continue;
                            }
                            x = in_group + ((size_t)iy * (size_t)g->in_w + (size_t)ix) * (size_t)g->in_c;
                            f = filter + (size_t)oc * f_oc + (size_t)fy * f_y + (size_t)fx * f_x;
                            for (c = 0; c < fc; ++c) {
                                acc += (uint64_t)(int64_t)(f[c] * x[c]);
                            }
                        }
                    }
                    if (p->acc64) {
                        if (bias != NULL) {
                            acc += (uint64_t)xtml_ld_i64((const uint8_t *)bias + 8 * (size_t)oc);
                        }
                        v = xtml_mul_by_quantized_multiplier_64((int64_t)acc, p->rq.multiplier[oc],
                                                                p->rq.shift[oc]);
                    } else {
                        if (bias != NULL) {
                            acc += (uint64_t)(int64_t)((const int32_t *)bias)[oc];
                        }
                        v = xtml_mul_by_quantized_multiplier((int32_t)(uint32_t)acc,
                                                             p->rq.multiplier[oc], p->rq.shift[oc]);
                    }
                    *output++ = xtml_clamp_s16(v, p->rq.act_min, p->rq.act_max);
                }
            }
        }
    }
}

/* ---- float32 kernels ---- */

typedef struct conv_f32_params {
    conv_geom_t g;
    int32_t filter_c;
    int32_t depth_multiplier;   /* depthwise only */
    float act_min, act_max;
} conv_f32_params_t;

static void conv_f32(const conv_f32_params_t *p, const float *input, const float *filter,
                     const float *bias, float *output) {
    const conv_geom_t *g = &p->g;
    const int32_t fc = p->filter_c;
    const int32_t per_group = g->out_c / (g->in_c / fc);
    const size_t in_batch_len = (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
    const size_t in_row_len = (size_t)g->in_w * (size_t)g->in_c;
    const size_t f_row_len = (size_t)g->filter_w * (size_t)fc;
    const size_t f_len = (size_t)g->filter_h * f_row_len;
    int32_t b, oy, ox, oc, fy, fx, c, fy0, fy1, fx0, fx1;
    for (b = 0; b < g->batches; ++b) {
        const float *in_batch = input + (size_t)b * in_batch_len;
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t iy0 = oy * g->stride_h - g->pad_h;
            xtml_tap_range(iy0, g->dil_h, g->filter_h, g->in_h, &fy0, &fy1);
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t ix0 = ox * g->stride_w - g->pad_w;
                xtml_tap_range(ix0, g->dil_w, g->filter_w, g->in_w, &fx0, &fx1);
                for (oc = 0; oc < g->out_c; ++oc) {
                    const float *in_group = in_batch + (size_t)(oc / per_group) * (size_t)fc;
                    const float *f_oc = filter + (size_t)oc * f_len;
                    float total = 0.0f;
                    for (fy = fy0; fy < fy1; ++fy) {
                        const float *in_row = in_group + (size_t)(iy0 + fy * g->dil_h) * in_row_len;
                        const float *f_row = f_oc + (size_t)fy * f_row_len;
                        for (fx = fx0; fx < fx1; ++fx) {
                            const float *x =
                                in_row + (size_t)(ix0 + fx * g->dil_w) * (size_t)g->in_c;
                            const float *f = f_row + (size_t)fx * (size_t)fc;
                            for (c = 0; c < fc; ++c) {
                                total += (float)(x[c] * f[c]);
                            }
                        }
                    }
                    *output++ = xtml_clamp_f32(total + (bias != NULL ? bias[oc] : 0.0f), p->act_min,
                                          p->act_max);
                }
            }
        }
    }
}

/* acc: out_c floats of scratch. Each channel still sums its taps in (y, x) order. */
static void depthwise_f32(const conv_f32_params_t *p, const float *input, const float *filter,
                          const float *bias, float *acc, float *output) {
    const conv_geom_t *g = &p->g;
    const int32_t m = p->depth_multiplier;
    const size_t in_batch_len = (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c;
    const size_t in_row_len = (size_t)g->in_w * (size_t)g->in_c;
    const size_t tap_len = (size_t)g->out_c;
    int32_t b, oy, ox, fy, fx, c, j, fy0, fy1, fx0, fx1;
    for (b = 0; b < g->batches; ++b) {
        const float *in_batch = input + (size_t)b * in_batch_len;
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t iy0 = oy * g->stride_h - g->pad_h;
            xtml_tap_range(iy0, g->dil_h, g->filter_h, g->in_h, &fy0, &fy1);
            for (ox = 0; ox < g->out_w; ++ox) {
                const int32_t ix0 = ox * g->stride_w - g->pad_w;
                xtml_tap_range(ix0, g->dil_w, g->filter_w, g->in_w, &fx0, &fx1);
                for (c = 0; c < g->out_c; ++c) {
                    acc[c] = 0.0f;
                }
                for (fy = fy0; fy < fy1; ++fy) {
                    const float *in_row = in_batch + (size_t)(iy0 + fy * g->dil_h) * in_row_len;
                    const float *f_row = filter + (size_t)fy * (size_t)g->filter_w * tap_len;
                    for (fx = fx0; fx < fx1; ++fx) {
                        const float *x = in_row + (size_t)(ix0 + fx * g->dil_w) * (size_t)g->in_c;
                        const float *f = f_row + (size_t)fx * tap_len;
                        for (c = 0; c < g->in_c; ++c) {
                            for (j = 0; j < m; ++j) {
                                acc[c * m + j] += (float)(x[c] * f[c * m + j]);
                            }
                        }
                    }
                }
                for (c = 0; c < g->out_c; ++c) {
                    *output++ = xtml_clamp_f32(acc[c] + (bias != NULL ? bias[c] : 0.0f), p->act_min,
                                          p->act_max);
                }
            }
        }
    }
}

/* ---- prepare ---- */

/* Which kernel a prepared node runs. */
typedef enum conv_kind {
    CONV_KIND_CONV_S8,
    CONV_KIND_DEPTHWISE_S8,
    CONV_KIND_CONV_F32,
    CONV_KIND_DEPTHWISE_F32,
    CONV_KIND_S16          /* both operators, 16x8 */
} conv_kind_t;

/* What a prepared node keeps; the arrays follow it in the same allocation. */
typedef struct conv_node {
    conv_kind_t kind;
    int32_t int4_count;   /* INT4 filter elements, unpacked into the scratch's start; 0: int8 or float */
    union {
        conv_s8_params_t conv_s8;
        depthwise_s8_params_t depthwise_s8;
        conv_f32_params_t f32;
        conv_s16_params_t s16;
    } k;
} conv_node_t;

typedef struct conv_options {
    int32_t padding;
    int32_t stride_w, stride_h;
    int32_t dil_w, dil_h;
    int32_t activation;
    int32_t depth_multiplier;
    int32_t quantized_bias_type;   /* CONV_2D: TensorType, 0 when absent */
} conv_options_t;

static inline XTML_ALWAYS_INLINE xtml_status_t conv_read_options(xtml_prep_t *p, bool depthwise, conv_options_t *o) {
    xtml_fb_table_t t;
    xtml_status_t st = xtml_prep_options(
        p, depthwise ? XTML_OPTS_DEPTHWISE_CONV2D : XTML_OPTS_CONV2D, &t);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    /* Conv2DOptions: padding, stride_w, stride_h, activation, dilation_w, dilation_h.
     * DepthwiseConv2DOptions: the same with depth_multiplier before activation. */
    o->padding = xtml_fb_i8(&t, 0, 0);
    o->stride_w = xtml_fb_i32(&t, 1, 0);
    o->stride_h = xtml_fb_i32(&t, 2, 0);
    o->depth_multiplier = depthwise ? xtml_fb_i32(&t, 3, 0) : 1;
    o->activation = xtml_fb_i8(&t, depthwise ? 4 : 3, 0);
    o->dil_w = xtml_fb_i32(&t, depthwise ? 5 : 4, 1);
    o->dil_h = xtml_fb_i32(&t, depthwise ? 6 : 5, 1);
    o->quantized_bias_type = depthwise ? 0 : xtml_fb_i8(&t, 6, 0);
    if (o->padding != XTML_PADDING_SAME && o->padding != XTML_PADDING_VALID) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "unknown padding %" PRId32 "", o->padding);
    }
    if (o->stride_w <= 0 || o->stride_h <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "strides %" PRId32 " x %" PRId32 ", must be positive",
                              o->stride_h, o->stride_w);
    }
    if (o->dil_w <= 0 || o->dil_h <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "dilation %" PRId32 " x %" PRId32 ", must be positive",
                              o->dil_h, o->dil_w);
    }
    /* TFLM silently ignores TANH and SIGN_BIT here; refuse rather than compute them wrongly. */
    if (o->activation != XTML_ACT_NONE && o->activation != XTML_ACT_RELU &&
        o->activation != XTML_ACT_RELU_N1_TO_1 && o->activation != XTML_ACT_RELU6) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "fused activation %" PRId32 " not supported", o->activation);
    }
    return XTML_STATUS_OK;
}

/* Output size and leading padding along one axis, as TFLM computes them. */
static xtml_status_t conv_axis(xtml_prep_t *p, const char *axis, int32_t padding, int32_t in,
                               int32_t taps, int32_t stride, int32_t dil, int32_t *out,
                               int32_t *pad) {
    const int64_t span = (int64_t)(taps - 1) * dil + 1;
    int64_t n, total;
    n = padding == XTML_PADDING_SAME ? ((int64_t)in + stride - 1) / stride
                                     : ((int64_t)in + stride - span) / stride;
    if (n <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "%s: dilated filter size %lld larger than input %" PRId32 "", axis,
                              (long long)span, in);
    }
    total = (n - 1) * stride + span - in;
    total = total > 0 ? total : 0;
    /* Keeps every input coordinate the kernels form inside int32. */
    if ((int64_t)in + span + total > INT32_MAX) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "%s: dilated filter size %lld too large", axis, (long long)span);
    }
    *out = (int32_t)n;
    *pad = (int32_t)(total / 2);
    return XTML_STATUS_OK;
}

static void float_activation_range(int32_t act, float *lo, float *hi) {
    /* TFLM clamps to the finite float range even without an activation. */
    *lo = -FLT_MAX;
    *hi = FLT_MAX;
    if (act == XTML_ACT_RELU) {
        *lo = 0.0f;
    } else if (act == XTML_ACT_RELU6) {
        *lo = 0.0f;
        *hi = 6.0f;
    } else if (act == XTML_ACT_RELU_N1_TO_1) {
        *lo = -1.0f;
        *hi = 1.0f;
    }
}

/* Q31 multiplier and shift for one output channel, TFLM's
 * (double)input_scale * (double)filter_scale / (double)output_scale;
 * false when out of range. */
static bool channel_multiplier(float input_scale, float filter_scale, float output_scale,
                               int32_t *multiplier, int32_t *shift) {
    int s = 0;
    xtml_quantize_f32_mul_div(input_scale, filter_scale, output_scale, multiplier, &s);
    *shift = s;
    return s <= 30;
}

static xtml_status_t conv_expect_rank(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role,
                                      int32_t rank) {
    int32_t i;
    if (t->ndim != rank) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' has rank %" PRId32 ", expected %" PRId32 "",
                              role, t->name, t->ndim, rank);
    }
    for (i = 0; i < rank; ++i) {
        if (t->dims[i] <= 0) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' has empty dimension %" PRId32 "",
                                  role, t->name, i);
        }
    }
    return XTML_STATUS_OK;
}

/* int8 and 16x8 per-channel checks of the filter shared by both operators
 * (the caller checks input and output); fills nothing. max_shift: 30, or 7
 * for TFLM's 64-bit requantization. */
static inline XTML_ALWAYS_INLINE xtml_status_t conv_check_quant(xtml_prep_t *p, const xtml_tinfo_t *in,
                                      const xtml_tinfo_t *filter, const xtml_tinfo_t *out,
                                      int32_t out_c, int32_t quant_dim, int max_shift) {
    int32_t i, m, s;
    if (filter->n_scales != 1 && filter->n_scales != out_c) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "filter '%s' has %" PRId32 " scales for %" PRId32 " output channels", filter->name,
                              filter->n_scales, out_c);
    }
    if (filter->n_scales > 1 && filter->quant_dim != quant_dim) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "filter '%s' is quantized along dimension %" PRId32 ", expected %" PRId32 "",
                              filter->name, filter->quant_dim, quant_dim);
    }
    /* TFLM insists on this for DEPTHWISE_CONV_2D only. */
    if (quant_dim == 3 && filter->n_zero_points != filter->n_scales) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "filter '%s' has %" PRId32 " zero points for %" PRId32 " scales", filter->name,
                              filter->n_zero_points, filter->n_scales);
    }
    /* TFLM's int8 kernels ignore weight zero points; refuse models that would need them. */
    for (i = 0; i < filter->n_zero_points; ++i) {
        /* the int64 is 0: both its words */
        if ((xtml_ld_u32(filter->zero_points_raw + 8 * (size_t)i) |
             xtml_ld_u32(filter->zero_points_raw + 8 * (size_t)i + 4)) != 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "filter '%s' zero point %" PRId32 " at channel %" PRId32 ", int8 weights must "
                                  "be symmetric", filter->name, xtml_tinfo_zero_point(filter, i),
                                  i);
        }
    }
    for (i = 0; i < filter->n_scales; ++i) {
        float scale = xtml_tinfo_scale(filter, i);
        if (!xtml_f32_is_positive_finite(scale)) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "filter '%s' scale %s at channel %" PRId32 "", filter->name,
                                  XTML_F32(scale), i);
        }
        if (!xtml_quantize_shift_at_most(in->scale, scale, out->scale, max_shift)) {
            channel_multiplier(in->scale, scale, out->scale, &m, &s);
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "requantization scale of channel %" PRId32 " too large (shift %" PRId32 ")", i, s);
        }
    }
    return XTML_STATUS_OK;
}

static inline XTML_ALWAYS_INLINE void conv_fill_quant(const xtml_tinfo_t *in, const xtml_tinfo_t *filter,
                            const xtml_tinfo_t *out, int32_t out_c, int32_t *multiplier,
                            int8_t *shift) {
    int32_t c, s;
    for (c = 0; c < out_c; ++c) {
        float scale = xtml_tinfo_scale(filter, filter->n_scales > 1 ? c : 0);
        channel_multiplier(in->scale, scale, out->scale, &multiplier[c], &s);
        shift[c] = (int8_t)s;
    }
}

/* The prepare and eval bodies take the types they handle (XTML_KTYPE_*):
 * all of them for CONV_2D and DEPTHWISE_CONV_2D, int8 only for their _INT8
 * entries. */
static inline XTML_ALWAYS_INLINE xtml_status_t conv_prepare_types(xtml_prep_t *p, bool depthwise, unsigned types) {
    const char *op = depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D";
    conv_options_t o;
    xtml_tinfo_t in, filter, bias, out;
    conv_geom_t g;
    conv_node_t *node;
    xtml_status_t st;
    int n_in = xtml_prep_n_inputs(p);
    bool has_bias, is_float, int4, is_s16 = false, acc64 = false;
    conv_kind_t kind;
    int32_t filter_c, out_h, out_w;
    size_t scratch, arrays, taps;
    uint64_t macs;
    requant_s8_t rq;
    union {
        conv_s8_params_t conv;
        depthwise_s8_params_t dw;
    } s8;

    if ((n_in != 2 && n_in != 3) || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "%s takes 2 or 3 inputs and 1 output, "
                              "has %d and %d", op, n_in, xtml_prep_n_outputs(p));
    }
    if ((st = conv_read_options(p, depthwise, &o)) != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &filter);
    xtml_prep_output(p, 0, &out);
    bias.index = -1;
    if (n_in == 3) {
        xtml_prep_input(p, 2, &bias);
    }
    has_bias = bias.index >= 0;
    if (in.index < 0 || filter.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "%s input or filter missing", op);
    }

    /* Types. */
    if (types == XTML_KTYPE_S8 && !xtml_prep_int8_weighted(p)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input '%s' is %s, filter %s: the table's entry %s_INT8 runs int8 only; "
                              "these types need XTML_OP(%s)", in.name, xtml_dtype_name(in.type),
                              xtml_dtype_name(filter.type), op, op);
    }
    if (in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT16) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input '%s' has type %d, expected int8, int16 or float32", in.name,
                              (int)in.type);
    }
    is_float = (types & XTML_KTYPE_F32) != 0 && in.type == XTML_DTYPE_FLOAT32;
    is_s16 = (types & XTML_KTYPE_S16) != 0 && in.type == XTML_DTYPE_INT16;
    /* int8 input: int8 or INT4 (packed) filter, as TFLM; int16 input: int8 filter */
    int4 = (types & XTML_KTYPE_INT4) != 0 && in.type == XTML_DTYPE_INT8 && filter.type == XTML_DTYPE_INT4;
    if ((!int4 && (st = xtml_prep_expect_type(p, &filter, "filter", is_s16 ? XTML_DTYPE_INT8 : in.type)) !=
                      XTML_STATUS_OK) ||
        (st = xtml_prep_expect_type(p, &out, "output", in.type)) != XTML_STATUS_OK) {
        return st;
    }
    if (int4 && !filter.is_const) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "int4 filter '%s' is not a constant", filter.name);
    }
    if (is_s16) {
        /* int64 bias; CONV_2D also takes int32 (and then sums in int32, as it
         * does without a bias when the options ask for an int32 bias type). */
        acc64 = has_bias ? bias.type == XTML_DTYPE_INT64
                         : o.quantized_bias_type != XTML_DTYPE_INT32;
        if (has_bias && bias.type != XTML_DTYPE_INT64 &&
            (depthwise || bias.type != XTML_DTYPE_INT32)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                                  "bias '%s' is %s, expected int64%s for int16 input", bias.name,
                                  xtml_dtype_name(bias.type), depthwise ? "" : " or int32");
        }
    } else if (has_bias && (st = xtml_prep_expect_type(p, &bias, "bias", is_float ? XTML_DTYPE_FLOAT32
                                                                           : XTML_DTYPE_INT32)) !=
                        XTML_STATUS_OK) {
        return st;
    }

    /* Shapes. */
    if ((st = conv_expect_rank(p, &in, "input", 4)) != XTML_STATUS_OK ||
        (st = conv_expect_rank(p, &filter, "filter", 4)) != XTML_STATUS_OK ||
        (st = conv_expect_rank(p, &out, "output", 4)) != XTML_STATUS_OK) {
        return st;
    }
    memset(&g, 0, sizeof g);
    g.batches = in.dims[0];
    g.in_h = in.dims[1];
    g.in_w = in.dims[2];
    g.in_c = in.dims[3];
    g.filter_h = filter.dims[1];
    g.filter_w = filter.dims[2];
    g.stride_h = o.stride_h;
    g.stride_w = o.stride_w;
    g.dil_h = o.dil_h;
    g.dil_w = o.dil_w;
    if (depthwise) {
        filter_c = 1;
        g.out_c = filter.dims[3];
        if (filter.dims[0] != 1) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "filter '%s' dimension 0 is %" PRId32 ", expected 1", filter.name,
                                  filter.dims[0]);
        }
        if (o.depth_multiplier <= 0 || (int64_t)g.in_c * o.depth_multiplier != g.out_c) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "filter '%s' has %" PRId32 " channels, input %" PRId32 " x depth multiplier %" PRId32 "",
                                  filter.name, g.out_c, g.in_c, o.depth_multiplier);
        }
    } else {
        filter_c = filter.dims[3];
        g.out_c = filter.dims[0];
        if (g.in_c % filter_c != 0 || g.out_c % (g.in_c / filter_c) != 0) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "filter '%s' depth %" PRId32 " and %" PRId32 " outputs do not group input depth %" PRId32 "",
                                  filter.name, filter_c, g.out_c, g.in_c);
        }
    }
    if ((st = conv_axis(p, "height", o.padding, g.in_h, g.filter_h, g.stride_h, g.dil_h, &out_h,
                        &g.pad_h)) != XTML_STATUS_OK ||
        (st = conv_axis(p, "width", o.padding, g.in_w, g.filter_w, g.stride_w, g.dil_w, &out_w,
                        &g.pad_w)) != XTML_STATUS_OK) {
        return st;
    }
    g.out_h = out_h;
    g.out_w = out_w;
    if (out.dims[0] != g.batches || out.dims[1] != out_h || out.dims[2] != out_w ||
        out.dims[3] != g.out_c) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output '%s' is [%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "], %s computes [%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]", out.name,
                              out.dims[0], out.dims[1], out.dims[2], out.dims[3], op, g.batches,
                              out_h, out_w, g.out_c);
    }
    if (has_bias && bias.count != g.out_c) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "bias '%s' has %" PRId32 " elements for %" PRId32 " output channels", bias.name,
                              bias.count, g.out_c);
    }

    /* Quantization. */
    if (!is_float && (st = is_s16 ? xtml_prep_expect_s16_io(p, &in, &out) : xtml_prep_expect_s8_io(p, &in, &out)) !=
                         XTML_STATUS_OK) {
        return st;
    }
    if (!is_float && (st = conv_check_quant(p, &in, &filter, &out, g.out_c, depthwise ? 3 : 0,
                                            acc64 ? 7 : 30)) != XTML_STATUS_OK) {
        return st;
    }

    taps = (size_t)g.filter_h * (size_t)g.filter_w;
    if (is_float) {
        kind = depthwise ? CONV_KIND_DEPTHWISE_F32 : CONV_KIND_CONV_F32;
    } else if (is_s16) {
        kind = CONV_KIND_S16;
    } else {
        kind = depthwise ? CONV_KIND_DEPTHWISE_S8 : CONV_KIND_CONV_S8;
    }


    /* The int8 kernel's parameters; the multiplier arrays follow the node. */
    memset(&s8, 0, sizeof s8);
    if (!is_float) {
        xtml_activation_range_quantized(o.activation, out.scale, out.zero_point,
                                        is_s16 ? -32768 : -128, is_s16 ? 32767 : 127,
                                        &rq.act_min, &rq.act_max);
        rq.output_offset = out.zero_point;
        if (depthwise) {
            s8.dw.g = g;
            s8.dw.depth_multiplier = o.depth_multiplier;
            s8.dw.input_offset = -in.zero_point;
        } else {
            s8.conv.g = g;
            s8.conv.filter_c = filter_c;
            s8.conv.input_offset = -in.zero_point;
        }
    }

    /* Persistent: node, then int8 multipliers and shifts. */
    arrays = 0;
    if (!is_float) {
        arrays = (size_t)g.out_c * (sizeof(int32_t) + 1u);
    }
    /* Scratch: per-channel sums for float depthwise; what the fast int8 kernel asks for. */
    scratch = 0;
    if (kind == CONV_KIND_DEPTHWISE_F32) {
        scratch = (size_t)g.out_c * sizeof(float);
    }
#if XTML_FAST_KERNELS
    if (kind == CONV_KIND_CONV_S8) {
        scratch = xtml_conv_s8_scratch(&s8.conv);
    } else if (kind == CONV_KIND_DEPTHWISE_S8) {
        scratch = xtml_depthwise_s8_scratch(&s8.dw);
    }
#endif
    if (int4) {
        /* the unpacked filter first, 8-byte aligned for the kernel's scratch after it */
        scratch += ((size_t)filter.count + 7u) & ~(size_t)7u;
    }
    if (scratch > 0) {
        xtml_prep_scratch(p, scratch);
    }
    macs = (uint64_t)g.batches * (uint64_t)out_h * (uint64_t)out_w * (uint64_t)g.out_c *
           (uint64_t)taps * (uint64_t)filter_c;
    xtml_prep_set_macs(p, macs);

    node = (conv_node_t *)XTML_PREP_PERSIST(p, conv_node_t, arrays);
    if (node == NULL) {
        return XTML_STATUS_OK;
    }
    node->kind = kind;
    node->int4_count = int4 ? filter.count : 0;
    if (is_float) {
        conv_f32_params_t *f = &node->k.f32;
        f->g = g;
        f->filter_c = filter_c;
        f->depth_multiplier = depthwise ? o.depth_multiplier : 1;
        float_activation_range(o.activation, &f->act_min, &f->act_max);
        return XTML_STATUS_OK;
    }
    {
        int32_t *multiplier = (int32_t *)(void *)(node + 1);
        int8_t *shift = (int8_t *)(void *)(multiplier + g.out_c);
        conv_fill_quant(&in, &filter, &out, g.out_c, multiplier, shift);
        rq.multiplier = multiplier;
        rq.shift = shift;
        if (is_s16) {
            conv_s16_params_t *k = &node->k.s16;
            k->g = g;
            k->filter_c = filter_c;
            k->depthwise = depthwise;
            k->acc64 = acc64;
            k->rq = rq;
        } else if (depthwise) {
            node->k.depthwise_s8 = s8.dw;
            node->k.depthwise_s8.rq = rq;
        } else {
            node->k.conv_s8 = s8.conv;
            node->k.conv_s8.rq = rq;
        }
    }
    return XTML_STATUS_OK;
}

/* One copy of the body for every type (both operators), one for int8. */
static xtml_status_t conv_prepare_common(xtml_prep_t *p, bool depthwise) {
    return conv_prepare_types(p, depthwise, XTML_KTYPES_ALL);
}

static xtml_status_t conv_prepare_s8_common(xtml_prep_t *p, bool depthwise) {
    return conv_prepare_types(p, depthwise, XTML_KTYPE_S8);
}

static xtml_status_t conv_prepare(xtml_prep_t *p) {
    return conv_prepare_common(p, false);
}

static xtml_status_t depthwise_prepare(xtml_prep_t *p) {
    return conv_prepare_common(p, true);
}

static xtml_status_t conv_prepare_s8(xtml_prep_t *p) {
    return conv_prepare_s8_common(p, false);
}

static xtml_status_t depthwise_prepare_s8(xtml_prep_t *p) {
    return conv_prepare_s8_common(p, true);
}

/* ---- eval ---- */

static inline XTML_ALWAYS_INLINE xtml_status_t conv_eval_types(xtml_ctx_t *ctx, const xtml_node_t *node, unsigned types) {
    const conv_node_t *n = (const conv_node_t *)node->params;
    const void *input = xtml_node_in(ctx, node, 0);
    const void *filter = xtml_node_in(ctx, node, 1);
    const void *bias = node->n_inputs > 2 ? xtml_node_in(ctx, node, 2) : NULL;
    void *output = xtml_node_out(ctx, node, 0);
    void *scratch = node->scratch;
    if ((types & XTML_KTYPE_INT4) != 0 && n->int4_count > 0) {
        xtml_unpack_int4((const uint8_t *)filter, n->int4_count, (int8_t *)scratch);
        filter = scratch;
        scratch = (uint8_t *)scratch + (((size_t)n->int4_count + 7u) & ~(size_t)7u);
    }
    switch (n->kind) {
    case CONV_KIND_CONV_S8:
#if XTML_FAST_KERNELS
        xtml_conv_s8_fast(&n->k.conv_s8, (const int8_t *)input, (const int8_t *)filter,
                          (const int32_t *)bias, scratch, (int8_t *)output);
#else
        xtml_conv_s8_ref(&n->k.conv_s8, (const int8_t *)input, (const int8_t *)filter,
                         (const int32_t *)bias, (int8_t *)output);
#endif
        break;
    case CONV_KIND_DEPTHWISE_S8:
#if XTML_FAST_KERNELS
        xtml_depthwise_s8_fast(&n->k.depthwise_s8, (const int8_t *)input, (const int8_t *)filter,
                               (const int32_t *)bias, scratch, (int8_t *)output);
#else
        xtml_depthwise_s8_ref(&n->k.depthwise_s8, (const int8_t *)input, (const int8_t *)filter,
                              (const int32_t *)bias, (int8_t *)output);
#endif
        break;
    case CONV_KIND_S16:
        if ((types & XTML_KTYPE_S16) == 0) {
            break;
        }
        conv_s16(&n->k.s16, (const int16_t *)input, (const int8_t *)filter, bias, (int16_t *)output);
        break;
    case CONV_KIND_CONV_F32:
        if ((types & XTML_KTYPE_F32) == 0) {
            break;
        }
        conv_f32(&n->k.f32, (const float *)input, (const float *)filter, (const float *)bias,
                 (float *)output);
        break;
    case CONV_KIND_DEPTHWISE_F32:
        if ((types & XTML_KTYPE_F32) == 0) {
            break;
        }
        depthwise_f32(&n->k.f32, (const float *)input, (const float *)filter,
                      (const float *)bias, (float *)scratch, (float *)output);
        break;
    }
    return XTML_STATUS_OK;
}

static xtml_status_t conv_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return conv_eval_types(ctx, node, XTML_KTYPES_ALL);
}

/* A node the int8 prepare made is always an int8 kind. */
static xtml_status_t conv_eval_s8(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return conv_eval_types(ctx, node, XTML_KTYPE_S8);
}

const xtml_kernel_t xtml_kernel_conv_2d = { "CONV_2D", conv_prepare, conv_eval };
const xtml_kernel_t xtml_kernel_depthwise_conv_2d = { "DEPTHWISE_CONV_2D", depthwise_prepare,
                                                      conv_eval };
const xtml_kernel_t xtml_kernel_conv_2d_int8 = { "CONV_2D", conv_prepare_s8, conv_eval_s8 };
const xtml_kernel_t xtml_kernel_depthwise_conv_2d_int8 = { "DEPTHWISE_CONV_2D", depthwise_prepare_s8,
                                                           conv_eval_s8 };
