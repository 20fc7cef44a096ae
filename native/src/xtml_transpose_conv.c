/*
 * xtml_transpose_conv.c - TRANSPOSE_CONV (float32; int8 with per-tensor or
 * per-channel int8 weights and an int32 bias; 16x8: int16 activations with
 * zero point 0, int8 weights, an int64 or int16 bias), as TFLM's reference
 * kernels.
 *
 * Inputs: the output shape (int32 [4], equal to the output tensor's shape:
 * TFLM reads the output tensor's dims; a constant is checked when the model
 * loads, a graph input or computed tensor at every invoke, which fails with
 * XTML_STATUS_EVAL_ERROR and leaves the output untouched when they differ), the weights
 * [out_c, kh, kw, in_c], the NHWC input, an optional bias [out_c]. Options:
 * padding, strides, fused activation.
 *
 * TFLM scatters: every input element times every tap adds into the output
 * position it reaches, in input order (batch, y, x, input channel, then
 * tap y, tap x, output channel), into a zeroed float output or an int32
 * scratch; then the bias is added and the result clamped (float) or
 * requantized per channel (int8). Float sums depend on that order, so the
 * core keeps it. Padding is TFLM's: the SAME/VALID padding of a convolution
 * from the output size back to the input size. int8 weight zero points are
 * ignored, as TFLM does (refused unless 0). 16x8 scatters into int64
 * scratch and requantizes with TFLM's 64-bit MultiplyByQuantizedMultiplier
 * (shift at most 7, where TFLM asserts); TFLM reads any bias but int16 as
 * int64, so an int32 bias is refused.
 */
#include <float.h>

#include "xtml_internal.h"

typedef struct xtml_tconv_params {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t k_h, k_w;
    int32_t out_h, out_w, out_c;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t in_offset;       /* int8: -input zero point */
    int32_t out_offset;
    int32_t act_min, act_max;
    float act_lo, act_hi;
    uint8_t type;            /* xtml_dtype_t: float32, int8 or int16 */
    uint8_t has_bias;
    uint8_t bias16;          /* int16: the bias is int16, not int64 */
    uint8_t shape_at_eval;   /* the output shape is not constant: checked by eval */
    /* int8: out_c multipliers then out_c shifts (int32 each) follow */
} xtml_tconv_params_t;

static const int32_t *tconv_mult(const xtml_tconv_params_t *q) {
    return (const int32_t *)(const void *)(q + 1);
}

/* Scatter every input element times every tap into acc (float or int32). */
static void tconv_scatter_f32(const xtml_tconv_params_t *q, const float *in, const float *w, float *acc) {
    int32_t b, y, x, ci, ky, kx, co;
    for (b = 0; b < q->batches; b++) {
        for (y = 0; y < q->in_h; y++) {
            for (x = 0; x < q->in_w; x++) {
                for (ci = 0; ci < q->in_c; ci++) {
                    float v = in[((b * q->in_h + y) * q->in_w + x) * q->in_c + ci];
                    for (ky = 0; ky < q->k_h; ky++) {
                        int32_t oy = y * q->stride_h - q->pad_h + ky;
                        for (kx = 0; kx < q->k_w; kx++) {
                            int32_t ox = x * q->stride_w - q->pad_w + kx;
                            if (oy < 0 || oy >= q->out_h || ox < 0 || ox >= q->out_w) {
                                continue;
                            }
                            for (co = 0; co < q->out_c; co++) {
                                float prod = v * w[((co * q->k_h + ky) * q->k_w + kx) * q->in_c + ci];
                                float *dst = &acc[((b * q->out_h + oy) * q->out_w + ox) * q->out_c + co];
                                *dst = *dst + prod;
                            }
                        }
                    }
                }
            }
        }
    }
}

static void tconv_scatter_s8(const xtml_tconv_params_t *q, const int8_t *in, const int8_t *w, int32_t *acc) {
    int32_t b, y, x, ci, ky, kx, co;
    for (b = 0; b < q->batches; b++) {
        for (y = 0; y < q->in_h; y++) {
            for (x = 0; x < q->in_w; x++) {
                for (ci = 0; ci < q->in_c; ci++) {
                    int32_t v = in[((b * q->in_h + y) * q->in_w + x) * q->in_c + ci] + q->in_offset;
                    for (ky = 0; ky < q->k_h; ky++) {
                        int32_t oy = y * q->stride_h - q->pad_h + ky;
                        for (kx = 0; kx < q->k_w; kx++) {
                            int32_t ox = x * q->stride_w - q->pad_w + kx;
                            if (oy < 0 || oy >= q->out_h || ox < 0 || ox >= q->out_w) {
                                continue;
                            }
                            for (co = 0; co < q->out_c; co++) {
                                int32_t *dst = &acc[((b * q->out_h + oy) * q->out_w + ox) * q->out_c + co];
                                /* int32 wraps as TFLM's compiled sum does */
                                *dst = (int32_t)((uint32_t)*dst +
                                                 (uint32_t)(v * w[((co * q->k_h + ky) * q->k_w + kx) * q->in_c + ci]));
                            }
                        }
                    }
                }
            }
        }
    }
}

static void tconv_scatter_s16(const xtml_tconv_params_t *q, const int16_t *in, const int8_t *w, uint64_t *acc) {
    int32_t b, y, x, ci, ky, kx, co;
    for (b = 0; b < q->batches; b++) {
        for (y = 0; y < q->in_h; y++) {
            for (x = 0; x < q->in_w; x++) {
                for (ci = 0; ci < q->in_c; ci++) {
                    int32_t v = in[((b * q->in_h + y) * q->in_w + x) * q->in_c + ci];
                    for (ky = 0; ky < q->k_h; ky++) {
                        int32_t oy = y * q->stride_h - q->pad_h + ky;
                        for (kx = 0; kx < q->k_w; kx++) {
                            int32_t ox = x * q->stride_w - q->pad_w + kx;
                            if (oy < 0 || oy >= q->out_h || ox < 0 || ox >= q->out_w) {
                                continue;
                            }
                            for (co = 0; co < q->out_c; co++) {
                                acc[((b * q->out_h + oy) * q->out_w + ox) * q->out_c + co] +=
                                    (uint64_t)(int64_t)(v * w[((co * q->k_h + ky) * q->k_w + kx) * q->in_c + ci]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/* An output shape given at invoke must be the output's: nothing is written otherwise. */
static xtml_status_t tconv_check_shape(xtml_ctx_t *ctx, const xtml_tconv_params_t *q, const int32_t *shape) {
    const int32_t want[4] = {q->batches, q->out_h, q->out_w, q->out_c};
    int i;
    for (i = 0; i < 4; i++) {
        if (shape[i] != want[i]) {
#ifndef XTML_NO_DETAIL
            xtml_fmt(ctx->detail, sizeof ctx->detail, "TRANSPOSE_CONV: output_shape[%d] = %" PRId32 ", the output has %" PRId32,
                     i, shape[i], want[i]);
#else
            (void)ctx;
#endif
            return XTML_STATUS_EVAL_ERROR;
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t tconv_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_tconv_params_t *q = (const xtml_tconv_params_t *)node->params;
    const void *bias = q->has_bias ? xtml_node_in(ctx, node, 3) : NULL;
    int32_t n = q->batches * q->out_h * q->out_w * q->out_c, i;
    if (q->shape_at_eval) {
        xtml_status_t st = tconv_check_shape(ctx, q, (const int32_t *)xtml_node_in(ctx, node, 0));
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }
    if (n == 0) {
        return XTML_STATUS_OK;   /* an empty output: nothing to write, and no scratch to clear */
    }
    if (q->type == XTML_DTYPE_FLOAT32) {
        float *out = (float *)xtml_node_out(ctx, node, 0);
        for (i = 0; i < n; i++) {
            out[i] = 0.0f;
        }
        tconv_scatter_f32(q, (const float *)xtml_node_in(ctx, node, 2), (const float *)xtml_node_in(ctx, node, 1), out);
        for (i = 0; i < n; i++) {
            float v = out[i];
            if (bias != NULL) {
                v = v + ((const float *)bias)[i % q->out_c];
            }
            out[i] = xtml_clamp_f32(v, q->act_lo, q->act_hi);
        }
    } else if (q->type == XTML_DTYPE_INT16) {
        uint64_t *acc = (uint64_t *)node->scratch;   /* modulo 2^64, as int64 */
        int16_t *out = (int16_t *)xtml_node_out(ctx, node, 0);
        const int32_t *mult = tconv_mult(q);
        const int32_t *shift = mult + q->out_c;
        memset(acc, 0, (size_t)n * sizeof *acc);
        tconv_scatter_s16(q, (const int16_t *)xtml_node_in(ctx, node, 2), (const int8_t *)xtml_node_in(ctx, node, 1), acc);
        for (i = 0; i < n; i++) {
            int32_t c = i % q->out_c;
            uint64_t v = acc[i];
            if (bias != NULL) {
                /* int64 read byte-wise: it may be 4-byte aligned (xtml_verify.c) */
                v += q->bias16 ? (uint64_t)(int64_t)((const int16_t *)bias)[c]
                               : (uint64_t)xtml_ld_i64((const uint8_t *)bias + 8 * (size_t)c);
            }
            out[i] = xtml_clamp_s16(xtml_mul_by_quantized_multiplier_64((int64_t)v, mult[c], (int)shift[c]), q->act_min,
                                    q->act_max);
        }
    } else {
        int32_t *acc = (int32_t *)node->scratch;
        int8_t *out = (int8_t *)xtml_node_out(ctx, node, 0);
        const int32_t *mult = tconv_mult(q);
        const int32_t *shift = mult + q->out_c;
        memset(acc, 0, (size_t)n * sizeof *acc);
        tconv_scatter_s8(q, (const int8_t *)xtml_node_in(ctx, node, 2), (const int8_t *)xtml_node_in(ctx, node, 1), acc);
        for (i = 0; i < n; i++) {
            int32_t c = i % q->out_c;
            int32_t v = acc[i];
            if (bias != NULL) {
                v = (int32_t)((uint32_t)v + (uint32_t)((const int32_t *)bias)[c]);
            }
            v = xtml_add_wrap(xtml_mul_by_quantized_multiplier(v, mult[c], (int)shift[c]), q->out_offset);
            out[i] = xtml_clamp_s8(v, q->act_min, q->act_max);
        }
    }
    return XTML_STATUS_OK;
}

/* TFLM's padding: a convolution's from the output size (as its input) with
 * these taps and stride. */
static xtml_status_t tconv_pad(xtml_prep_t *p, const char *axis, int32_t padding, int32_t out, int32_t taps,
                               int32_t stride, int32_t *pad) {
    int64_t n = padding == XTML_PADDING_SAME ? ((int64_t)out + stride - 1) / stride
                                             : ((int64_t)out + stride - taps) / stride;
    int64_t total;
    if (n < 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s: filter size %" PRId32 " larger than the output %" PRId32,
                              axis, taps, out);
    }
    total = (n - 1) * stride + taps - out;
    *pad = (int32_t)(total > 0 ? total / 2 : 0);
    return XTML_STATUS_OK;
}

static xtml_status_t tconv_prepare(xtml_prep_t *p) {
    xtml_tinfo_t shape, w, in, bias, out;
    xtml_fb_table_t opts;
    xtml_tconv_params_t local;
    xtml_tconv_params_t *q;
    int32_t padding, act, i;
    int n_in = xtml_prep_n_inputs(p);
    bool is_s16;
    xtml_status_t st;
    if ((n_in != 3 && n_in != 4) || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected 3 or 4 and 1", n_in,
                              xtml_prep_n_outputs(p));
    }
    xtml_prep_input(p, 0, &shape);
    xtml_prep_input(p, 1, &w);
    xtml_prep_input(p, 2, &in);
    xtml_prep_output(p, 0, &out);
    bias.index = -1;
    if (n_in == 4) {
        xtml_prep_input(p, 3, &bias);
    }
    if (shape.index < 0 || w.index < 0 || in.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "a required input is absent");
    }
    st = xtml_prep_options(p, 49 /* TransposeConvOptions */, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    /* padding, stride_w, stride_h, fused_activation_function */
    padding = xtml_fb_i8(&opts, 0, 0);
    memset(&local, 0, sizeof local);
    local.stride_w = xtml_fb_i32(&opts, 1, 0);
    local.stride_h = xtml_fb_i32(&opts, 2, 0);
    act = xtml_fb_i8(&opts, 3, XTML_ACT_NONE);
    if (padding != XTML_PADDING_SAME && padding != XTML_PADDING_VALID) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "unknown padding %" PRId32, padding);
    }
    if (local.stride_w <= 0 || local.stride_h <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "strides %" PRId32 " x %" PRId32 ", must be positive",
                              local.stride_h, local.stride_w);
    }
    if (act != XTML_ACT_NONE && act != XTML_ACT_RELU && act != XTML_ACT_RELU_N1_TO_1 && act != XTML_ACT_RELU6) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "fused activation %" PRId32 " not supported", act);
    }
    if (in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_INT16) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input '%s' is %s, expected float32, int8 or int16",
                              in.name, xtml_dtype_name(in.type));
    }
    is_s16 = in.type == XTML_DTYPE_INT16;
    st = xtml_prep_expect_type(p, &w, "weights", is_s16 ? XTML_DTYPE_INT8 : in.type);
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_type(p, &out, "output", in.type);
    }
    if (st == XTML_STATUS_OK && bias.index >= 0 && is_s16) {
        if (bias.type != XTML_DTYPE_INT64 && bias.type != XTML_DTYPE_INT16) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "bias '%s' is %s, expected int64 or int16 for int16 input",
                                  bias.name, xtml_dtype_name(bias.type));
        }
        local.bias16 = bias.type == XTML_DTYPE_INT16;
    } else if (st == XTML_STATUS_OK && bias.index >= 0) {
        st = xtml_prep_expect_type(p, &bias, "bias", in.type == XTML_DTYPE_INT8 ? XTML_DTYPE_INT32 : XTML_DTYPE_FLOAT32);
    }
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_type(p, &shape, "output shape", XTML_DTYPE_INT32);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim != 4 || w.ndim != 4 || out.ndim != 4) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input, weights and output must be 4-D");
    }
    if (shape.ndim != 1 || shape.dims[0] != 4) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output shape '%s' is not int32 [4]", shape.name);
    }
    for (i = 0; i < 4 && shape.is_const; i++) {
        if (xtml_ld_i32((const uint8_t *)shape.data + 4 * i) != out.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output shape '%s' differs from the output in dimension %d",
                                  shape.name, (int)i);
        }
    }
    if (in.dims[0] != out.dims[0] || in.dims[3] != w.dims[3] || w.dims[0] != out.dims[3]) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "batch, input channels (weights dimension 3) or output channels (weights dimension 0) differ");
    }
    if (bias.index >= 0 && bias.count != out.dims[3]) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "bias '%s' has %" PRId32 " elements for %" PRId32 " channels",
                              bias.name, bias.count, out.dims[3]);
    }
    local.batches = in.dims[0];
    local.in_h = in.dims[1];
    local.in_w = in.dims[2];
    local.in_c = in.dims[3];
    local.k_h = w.dims[1];
    local.k_w = w.dims[2];
    local.out_h = out.dims[1];
    local.out_w = out.dims[2];
    local.out_c = out.dims[3];
    local.type = (uint8_t)in.type;
    local.has_bias = bias.index >= 0;
    local.shape_at_eval = !shape.is_const;
    st = tconv_pad(p, "height", padding, local.out_h, local.k_h, local.stride_h, &local.pad_h);
    if (st == XTML_STATUS_OK) {
        st = tconv_pad(p, "width", padding, local.out_w, local.k_w, local.stride_w, &local.pad_w);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    /* every output position formed stays within int32 */
    if ((int64_t)local.in_h * local.stride_h + local.k_h > INT32_MAX ||
        (int64_t)local.in_w * local.stride_w + local.k_w > INT32_MAX) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "strides too large");
    }
    if (in.type == XTML_DTYPE_FLOAT32) {
        xtml_activation_range_float(act, &local.act_lo, &local.act_hi);
    } else {
        st = is_s16 ? xtml_prep_expect_s16_io(p, &in, &out) : xtml_prep_expect_s8_io(p, &in, &out);
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, &w, "weights");
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
        if (w.n_scales != 1 && (w.n_scales != local.out_c || w.quant_dim != 0)) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "weights '%s' have %" PRId32 " scales along dimension %" PRId32 " for %" PRId32 " output channels",
                                  w.name, w.n_scales, w.quant_dim, local.out_c);
        }
        for (i = 0; i < w.n_zero_points; i++) {
            if (xtml_tinfo_zero_point(&w, i) != 0) {
                return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                      "weights '%s' zero point at channel %" PRId32 " is not 0 (TFLM ignores it)", w.name, i);
            }
        }
        for (i = 0; i < w.n_scales; i++) {
            float scale = xtml_tinfo_scale(&w, i);
            if (!xtml_f32_is_positive_finite(scale) ||
                !xtml_quantize_shift_at_most(in.scale, scale, out.scale, is_s16 ? 7 : 30)) {
                return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "weights '%s' scale at channel %" PRId32 " out of range",
                                      w.name, i);
            }
        }
        local.in_offset = -in.zero_point;
        local.out_offset = out.zero_point;
        xtml_activation_range_quantized(act, out.scale, out.zero_point, is_s16 ? -32768 : -128, is_s16 ? 32767 : 127,
                                        &local.act_min, &local.act_max);
        xtml_prep_scratch(p, (size_t)out.count * (is_s16 ? sizeof(int64_t) : sizeof(int32_t)));
    }
    xtml_prep_set_macs(p, (uint64_t)in.count * (uint64_t)local.k_h * (uint64_t)local.k_w * (uint64_t)local.out_c);
    q = (xtml_tconv_params_t *)XTML_PREP_PERSIST(p, xtml_tconv_params_t,
                                                 in.type != XTML_DTYPE_FLOAT32 ? 8 * (size_t)local.out_c : 0);
    if (q == NULL) {
        return XTML_STATUS_OK;
    }
    *q = local;
    if (in.type != XTML_DTYPE_FLOAT32) {
        int32_t *mult = (int32_t *)(void *)(q + 1);
        for (i = 0; i < local.out_c; i++) {
            int s;
            xtml_quantize_f32_mul_div(in.scale, xtml_tinfo_scale(&w, w.n_scales > 1 ? i : 0), out.scale, &mult[i], &s);
            mult[local.out_c + i] = s;
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_transpose_conv = { "TRANSPOSE_CONV", tconv_prepare, tconv_eval };
