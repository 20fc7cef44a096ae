/*
 * xtml_pooling.c - AVERAGE_POOL_2D and MAX_POOL_2D over NHWC tensors, int8,
 * int16 and float32, and L2_POOL_2D (float32: the square root of the window's
 * mean square, the sum in row-major order), bit-exact with TFLM's reference
 * kernels.
 *
 * A window that hangs over the padding only covers the input pixels it
 * overlaps: averages divide by that count, not by the filter area.
 *   - int8 and int16 average: sum of the raw values (in int32), divided rounding half away from
 *     zero ((sum +- count/2) / count, truncating), then clamped. Raw values
 *     are averaged directly because the output quantization must equal the
 *     input's (see below).
 *   - float average: the window summed in row-major order from 0.0f, then
 *     divided by the count, then clamped.
 *   - max: the largest value (float: NaN never wins a comparison, the start
 *     is -FLT_MAX), then clamped.
 * Float clamps use +-FLT_MAX without an activation, as TFLM does.
 *
 * Quantization: TFLM refuses int8 and int16 pooling whose output scale differs from the
 * input's by more than 1e-6 or whose zero points differ, and so do we. An
 * average pool that requantizes is not an operator TFLite defines (the
 * converter never emits one), so there is no reference to be exact against.
 */
#include <float.h>
#include <math.h>

#include "xtml_internal.h"

typedef struct pool_params {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t depth;
    int32_t out_h;
    int32_t out_w;
    int32_t stride_h;
    int32_t stride_w;
    int32_t filter_h;
    int32_t filter_w;
    int32_t pad_h;      /* padding before the first row / column */
    int32_t pad_w;
    int32_t act_min;    /* int8 clamp */
    int32_t act_max;
    float act_min_f;    /* float32 clamp */
    float act_max_f;
    xtml_dtype_t type;
} pool_params_t;

/* Input rows (or columns) [*lo, *hi) under output position o. */
static inline void pool_span(int32_t o, int32_t stride, int32_t pad, int32_t filter, int32_t size,
                             int32_t *lo, int32_t *hi) {
    int32_t start = o * stride - pad;
    int32_t end = start + filter;
    *lo = start > 0 ? start : 0;
    *hi = end < size ? end : size;
}

static inline float clamp_f32(float v, float lo, float hi) {
    v = v < lo ? lo : v;
    return hi < v ? hi : v;
}

/*
 * One window of the input under one output pixel: its first pixel, its
 * clipped extent, and the distances between rows and between columns.
 * A reducer writes one output value per channel for it.
 */
typedef struct pool_window {
    const uint8_t *corner;
    int32_t rows;
    int32_t cols;
    ptrdiff_t row_stride;   /* elements */
} pool_window_t;

typedef void (*pool_reduce_fn)(const pool_params_t *pp, const pool_window_t *w, void *out);

static void avg_q8(const pool_params_t *pp, const pool_window_t *w, void *out_) {
    int8_t *out = (int8_t *)out_;
    const int32_t count = w->rows * w->cols;
    const int32_t half = count / 2;
    int32_t c, y, x;
    for (c = 0; c < pp->depth; ++c) {
        const int8_t *row = (const int8_t *)w->corner + c;
        int32_t acc = 0;
        for (y = 0; y < w->rows; ++y, row += w->row_stride) {
            const int8_t *px = row;
            for (x = 0; x < w->cols; ++x, px += pp->depth) {
                acc += *px;
            }
        }
        acc = acc > 0 ? (acc + half) / count : (acc - half) / count;
        acc = acc < pp->act_min ? pp->act_min : acc;
        out[c] = (int8_t)(acc > pp->act_max ? pp->act_max : acc);
    }
}

static void avg_q16(const pool_params_t *pp, const pool_window_t *w, void *out_) {
    int16_t *out = (int16_t *)out_;
    const int32_t count = w->rows * w->cols;
    const int32_t half = count / 2;
    int32_t c, y, x;
    for (c = 0; c < pp->depth; ++c) {
        const int16_t *row = (const int16_t *)(const void *)w->corner + c;
        int32_t acc = 0;
        for (y = 0; y < w->rows; ++y, row += w->row_stride) {
            const int16_t *px = row;
            for (x = 0; x < w->cols; ++x, px += pp->depth) {
                acc += *px;
            }
        }
        acc = acc > 0 ? (acc + half) / count : (acc - half) / count;
        out[c] = xtml_clamp_s16(acc, pp->act_min, pp->act_max);
    }
}

static void max_q16(const pool_params_t *pp, const pool_window_t *w, void *out_) {
    int16_t *out = (int16_t *)out_;
    int32_t c, y, x;
    for (c = 0; c < pp->depth; ++c) {
        const int16_t *row = (const int16_t *)(const void *)w->corner + c;
        int32_t best = -32768;
        for (y = 0; y < w->rows; ++y, row += w->row_stride) {
            const int16_t *px = row;
            for (x = 0; x < w->cols; ++x, px += pp->depth) {
                best = *px > best ? *px : best;
            }
        }
        out[c] = xtml_clamp_s16(best, pp->act_min, pp->act_max);
    }
}

static void avg_f32(const pool_params_t *pp, const pool_window_t *w, void *out_) {
    float *out = (float *)out_;
    const float count = (float)(w->rows * w->cols);
    int32_t c, y, x;
    for (c = 0; c < pp->depth; ++c) {
        const float *row = (const float *)(const void *)w->corner + c;
        float total = 0.0f;
        for (y = 0; y < w->rows; ++y, row += w->row_stride) {
            const float *px = row;
            for (x = 0; x < w->cols; ++x, px += pp->depth) {
                total += *px;
            }
        }
        out[c] = clamp_f32(total / count, pp->act_min_f, pp->act_max_f);
    }
}

static void max_q8(const pool_params_t *pp, const pool_window_t *w, void *out_) {
    int8_t *out = (int8_t *)out_;
    int32_t c, y, x;
    for (c = 0; c < pp->depth; ++c) {
        const int8_t *row = (const int8_t *)w->corner + c;
        int32_t best = -128;
        for (y = 0; y < w->rows; ++y, row += w->row_stride) {
            const int8_t *px = row;
            for (x = 0; x < w->cols; ++x, px += pp->depth) {
                best = *px > best ? *px : best;
            }
        }
        best = best < pp->act_min ? pp->act_min : best;
        out[c] = (int8_t)(best > pp->act_max ? pp->act_max : best);
    }
}

static void max_f32(const pool_params_t *pp, const pool_window_t *w, void *out_) {
    float *out = (float *)out_;
    int32_t c, y, x;
    for (c = 0; c < pp->depth; ++c) {
        const float *row = (const float *)(const void *)w->corner + c;
        float best = -FLT_MAX;
        for (y = 0; y < w->rows; ++y, row += w->row_stride) {
            const float *px = row;
            for (x = 0; x < w->cols; ++x, px += pp->depth) {
                best = best < *px ? *px : best;
            }
        }
        out[c] = clamp_f32(best, pp->act_min_f, pp->act_max_f);
    }
}

/* L2: the square root of the mean of the squares (float32 only, as TFLM). */
static void l2_f32(const pool_params_t *pp, const pool_window_t *w, void *out_) {
    float *out = (float *)out_;
    const float count = (float)(w->rows * w->cols);
    int32_t c, y, x;
    for (c = 0; c < pp->depth; ++c) {
        const float *row = (const float *)(const void *)w->corner + c;
        float total = 0.0f;
        for (y = 0; y < w->rows; ++y, row += w->row_stride) {
            const float *px = row;
            for (x = 0; x < w->cols; ++x, px += pp->depth) {
                total += *px * *px;
            }
        }
        out[c] = clamp_f32(xtml_sqrt_f32(total / count), pp->act_min_f, pp->act_max_f);
    }
}

/* The walk all five kernels share: for each output pixel, the clipped window
 * [y_lo, y_hi) x [x_lo, x_hi), handed to the reducer. */
static void pool_run(const pool_params_t *pp, pool_reduce_fn reduce, const void *in, void *out) {
    const size_t elem = xtml_dtype_size(pp->type);
    const ptrdiff_t row_stride = (ptrdiff_t)pp->in_w * pp->depth;
    const size_t pixel_bytes = (size_t)pp->depth * elem;
    uint8_t *dst = (uint8_t *)out;
    pool_window_t w;
    int32_t batch, oy, ox;
    w.row_stride = row_stride;
    for (batch = 0; batch < pp->batches; ++batch) {
        const uint8_t *image = (const uint8_t *)in + (size_t)batch * (size_t)pp->in_h * (size_t)row_stride * elem;
        for (oy = 0; oy < pp->out_h; ++oy) {
            int32_t y_lo, y_hi;
            pool_span(oy, pp->stride_h, pp->pad_h, pp->filter_h, pp->in_h, &y_lo, &y_hi);
            for (ox = 0; ox < pp->out_w; ++ox) {
                int32_t x_lo, x_hi;
                pool_span(ox, pp->stride_w, pp->pad_w, pp->filter_w, pp->in_w, &x_lo, &x_hi);
                w.rows = y_hi - y_lo;
                w.cols = x_hi - x_lo;
                w.corner = image + ((size_t)y_lo * (size_t)row_stride + (size_t)x_lo * (size_t)pp->depth) * elem;
                reduce(pp, &w, dst);
                dst += pixel_bytes;
            }
        }
    }
}

/* ---- prepare and eval ---- */

/*
 * Output size and leading padding of one spatial dimension (TFLite's
 * ComputeOutSize / ComputePadding with dilation 1), in 64 bits so hostile
 * strides and filters cannot overflow. Returns false for an empty output
 * or a window outside the input.
 */
static bool pool_geometry(int padding, int32_t size, int32_t filter, int32_t stride, int64_t *out,
                          int64_t *pad) {
    int64_t total;
    if (padding == XTML_PADDING_SAME) {
        *out = ((int64_t)size + stride - 1) / stride;
    } else {
        *out = ((int64_t)size + stride - filter) / stride;
    }
    if (*out < 1) {
        return false;
    }
    total = (*out - 1) * stride + filter - size;
    *pad = total > 0 ? total / 2 : 0;
    /* Every window overlaps the input (true for SAME and VALID; kept as a guard,
     * as eval divides by the overlap). */
    return filter - *pad > 0 && (*out - 1) * stride - *pad < size;
}

static xtml_status_t pool_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    pool_params_t local;
    pool_params_t *params;
    xtml_status_t st;
    int padding, act;
    int64_t out_h, out_w, pad_h, pad_w;

    if (xtml_prep_n_inputs(p) != 1 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 1 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    if (in.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input 0 is absent");
    }
    if (in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT16) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input '%s' is %s, expected int8, int16 or float32", in.name,
                              xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output", in.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim != 4) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input '%s' has rank %d, expected 4 (NHWC)", in.name, (int)in.ndim);
    }
    if (out.ndim != 4) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output '%s' has rank %d, expected 4 (NHWC)", out.name,
                              (int)out.ndim);
    }

    st = xtml_prep_options(p, XTML_OPTS_POOL2D, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    /* Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, activation. */
    memset(&local, 0, sizeof local);
    padding = xtml_fb_i8(&opts, 0, XTML_PADDING_SAME);
    local.stride_w = xtml_fb_i32(&opts, 1, 0);
    local.stride_h = xtml_fb_i32(&opts, 2, 0);
    local.filter_w = xtml_fb_i32(&opts, 3, 0);
    local.filter_h = xtml_fb_i32(&opts, 4, 0);
    act = xtml_fb_i8(&opts, 5, XTML_ACT_NONE);
    if (padding != XTML_PADDING_SAME && padding != XTML_PADDING_VALID) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "padding %d is neither SAME nor VALID",
                              padding);
    }
    if (local.stride_w < 1 || local.stride_h < 1 || local.filter_w < 1 || local.filter_h < 1) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "stride %dx%d and filter %dx%d must be positive (h x w)",
                              (int)local.stride_h, (int)local.stride_w, (int)local.filter_h,
                              (int)local.filter_w);
    }
    if (act != XTML_ACT_NONE && act != XTML_ACT_RELU && act != XTML_ACT_RELU_N1_TO_1 &&
        act != XTML_ACT_RELU6) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "fused activation %d is not supported", act);
    }

    local.batches = in.dims[0];
    local.in_h = in.dims[1];
    local.in_w = in.dims[2];
    local.depth = in.dims[3];
    if (!pool_geometry(padding, local.in_h, local.filter_h, local.stride_h, &out_h, &pad_h) ||
        !pool_geometry(padding, local.in_w, local.filter_w, local.stride_w, &out_w, &pad_w)) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "filter %dx%d leaves no output on input '%s' of %dx%d",
                              (int)local.filter_h, (int)local.filter_w, in.name, (int)local.in_h,
                              (int)local.in_w);
    }
    /* Window arithmetic in eval is 32-bit: keep every position well inside it. */
    if ((out_h - 1) * local.stride_h + local.filter_h > INT32_MAX / 2 ||
        (out_w - 1) * local.stride_w + local.filter_w > INT32_MAX / 2) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "stride or filter too large");
    }
    if (out.dims[0] != local.batches || out.dims[1] != out_h || out.dims[2] != out_w ||
        out.dims[3] != local.depth) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output '%s' is [%d,%d,%d,%d], the pool gives [%d,%d,%d,%d]",
                              out.name, (int)out.dims[0], (int)out.dims[1], (int)out.dims[2],
                              (int)out.dims[3], (int)local.batches, (int)out_h, (int)out_w,
                              (int)local.depth);
    }
    local.out_h = (int32_t)out_h;
    local.out_w = (int32_t)out_w;
    local.pad_h = (int32_t)pad_h;
    local.pad_w = (int32_t)pad_w;
    local.type = in.type;

    if (in.type != XTML_DTYPE_FLOAT32) {
        const int32_t qmin = in.type == XTML_DTYPE_INT8 ? -128 : -32768;
        const int32_t qmax = in.type == XTML_DTYPE_INT8 ? 127 : 32767;
        volatile float difference;
        st = xtml_prep_expect_quantized(p, &in, "input");
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, &out, "output");
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
        /* TFLM's test: |scale difference| <= 1e-6 (a float difference widened
         * to double), equal zero points. No float lies in (1e-6f, 1e-6], so
         * comparing with 1e-6f decides the same. */
        difference = in.scale - out.scale;
        if (!(fabsf(difference) <= 1.0e-6f) || in.zero_point != out.zero_point) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "output '%s' (scale %s, zero point %d) must be quantized like "
                                  "input '%s' (scale %s, zero point %d)",
                                  out.name, XTML_F32(out.scale), (int)out.zero_point, in.name,
                                  XTML_F32(in.scale), (int)in.zero_point);
        }
        if (out.zero_point < qmin || out.zero_point > qmax) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "output '%s' has zero point %d, outside %s", out.name,
                                  (int)out.zero_point, xtml_dtype_name(out.type));
        }
        xtml_activation_range_quantized(act, out.scale, out.zero_point, qmin, qmax, &local.act_min,
                                        &local.act_max);
    } else {
        /* TFLM's float activation range: +-FLT_MAX when there is none. */
        local.act_min_f = -FLT_MAX;
        local.act_max_f = FLT_MAX;
        if (act == XTML_ACT_RELU || act == XTML_ACT_RELU6) {
            local.act_min_f = 0.0f;
        }
        if (act == XTML_ACT_RELU6) {
            local.act_max_f = 6.0f;
        }
        if (act == XTML_ACT_RELU_N1_TO_1) {
            local.act_min_f = -1.0f;
            local.act_max_f = 1.0f;
        }
    }
    params = (pool_params_t *)XTML_PREP_PERSIST(p, pool_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    *params = local;
    return XTML_STATUS_OK;
}

static xtml_status_t avg_pool_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const pool_params_t *pp = (const pool_params_t *)node->params;
    pool_run(pp, pp->type == XTML_DTYPE_INT8 ? avg_q8 : pp->type == XTML_DTYPE_INT16 ? avg_q16 : avg_f32,
             xtml_node_in(ctx, node, 0),
             xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

static xtml_status_t max_pool_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const pool_params_t *pp = (const pool_params_t *)node->params;
    pool_run(pp, pp->type == XTML_DTYPE_INT8 ? max_q8 : pp->type == XTML_DTYPE_INT16 ? max_q16 : max_f32,
             xtml_node_in(ctx, node, 0),
             xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

/* L2_POOL_2D: AVERAGE_POOL_2D's geometry and options, float32 only. */
static xtml_status_t l2_pool_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in;
    xtml_prep_input(p, 0, &in);
    if (xtml_prep_n_inputs(p) == 1 && in.index >= 0 && in.type != XTML_DTYPE_FLOAT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input '%s' is %s, expected float32", in.name,
                              xtml_dtype_name(in.type));
    }
    return pool_prepare(p);
}

static xtml_status_t l2_pool_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    pool_run((const pool_params_t *)node->params, l2_f32, xtml_node_in(ctx, node, 0), xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_l2_pool_2d = { "L2_POOL_2D", l2_pool_prepare, l2_pool_eval };

const xtml_kernel_t xtml_kernel_average_pool_2d = { "AVERAGE_POOL_2D", pool_prepare,
                                                    avg_pool_eval };
const xtml_kernel_t xtml_kernel_max_pool_2d = { "MAX_POOL_2D", pool_prepare, max_pool_eval };
