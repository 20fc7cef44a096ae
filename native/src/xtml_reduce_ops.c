/*
 * xtml_reduce_ops.c - SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_ALL (bool: every
 * element true; true over no elements) over constant axes, and
 * CUMSUM (running sums along one axis).
 *
 * Every input element is folded into its output in increasing input order,
 * the order TFLM's reference walks the input in (float sums depend on it).
 * MAX and MIN start from the type's lowest / highest value and keep the
 * current value unless the input compares strictly greater / less, so a NaN
 * never replaces a value. int8 and int16 SUM add into int32 (wrapping like
 * TFLM's), subtract N times the input zero point and requantize by
 * input_scale / output_scale.
 */
#include "xtml_internal.h"

enum { REDUCE_SUM = 0, REDUCE_MAX = 1, REDUCE_MIN = 2, REDUCE_ALL = 3 };

/*
 * The input as merged axes (adjacent axes both reduced or both kept become
 * one; size-1 axes disappear). out_stride[a] is how far one step along axis
 * a moves in the output, 0 for a reduced axis.
 */
typedef struct xtml_reduce_params {
    uint8_t op;                /* REDUCE_* */
    uint8_t type;              /* xtml_dtype_t of input and output */
    int32_t ndim;
    int32_t dims[XTML_MAX_DIMS];
    int32_t out_stride[XTML_MAX_DIMS];
    int32_t n_in;
    int32_t n_out;
    int32_t n_reduced;         /* inputs per output */
    int32_t in_zero_point;     /* quantized SUM */
    int32_t out_zero_point;
    int32_t multiplier;
    int32_t shift;
} xtml_reduce_params_t;

/* Two's-complement reinterpretation without implementation-defined conversion. */
static int32_t wrap_i32(uint32_t u) {
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

/* The output index of every input element, in input order: an odometer over the merged axes. */
typedef struct reduce_walk {
    int32_t idx[XTML_MAX_DIMS];
    int32_t out;
} reduce_walk_t;

static void walk_next(const xtml_reduce_params_t *k, reduce_walk_t *w) {
    int32_t a;
    for (a = k->ndim - 1; a >= 0; --a) {
        w->out += k->out_stride[a];
        if (++w->idx[a] < k->dims[a]) {
            return;
        }
        w->out -= k->out_stride[a] * k->dims[a];
        w->idx[a] = 0;
    }
}

static void reduce_f32(const xtml_reduce_params_t *k, const float *in, float *out) {
    reduce_walk_t w;
    int32_t i;
    const float init = k->op == REDUCE_SUM ? 0.0f : (k->op == REDUCE_MAX ? -3.40282347e+38f : 3.40282347e+38f);
    for (i = 0; i < k->n_out; ++i) {
        out[i] = init;
    }
    memset(&w, 0, sizeof w);
    for (i = 0; i < k->n_in; ++i) {
        float x = in[i], cur = out[w.out];
        if (k->op == REDUCE_SUM) {
            out[w.out] = x + cur;
        } else if (k->op == REDUCE_MAX) {
            out[w.out] = x > cur ? x : cur;
        } else {
            out[w.out] = x < cur ? x : cur;
        }
        walk_next(k, &w);
    }
}

static void reduce_minmax_s8(const xtml_reduce_params_t *k, const int8_t *in, int8_t *out) {
    reduce_walk_t w;
    int32_t i;
    for (i = 0; i < k->n_out; ++i) {
        out[i] = k->op == REDUCE_MAX ? INT8_MIN : INT8_MAX;
    }
    memset(&w, 0, sizeof w);
    for (i = 0; i < k->n_in; ++i) {
        int8_t x = in[i], cur = out[w.out];
        out[w.out] = k->op == REDUCE_MAX ? (x > cur ? x : cur) : (x < cur ? x : cur);
        walk_next(k, &w);
    }
}

static void reduce_all_bool(const xtml_reduce_params_t *k, const uint8_t *in, uint8_t *out) {
    reduce_walk_t w;
    int32_t i;
    for (i = 0; i < k->n_out; ++i) {
        out[i] = 1;
    }
    memset(&w, 0, sizeof w);
    for (i = 0; i < k->n_in; ++i) {
        out[w.out] = (uint8_t)(out[w.out] != 0 && in[i] != 0);
        walk_next(k, &w);
    }
}

/* Quantized SUM of int8 (is16 false) or int16 input; acc is n_out words of scratch. */
static void reduce_sum_q(const xtml_reduce_params_t *k, const void *in, void *out, uint32_t *acc,
                         bool is16) {
    reduce_walk_t w;
    const int32_t lo = is16 ? INT16_MIN : INT8_MIN, hi = is16 ? INT16_MAX : INT8_MAX;
    /* TFLM subtracts zero_point * N in 64 bits and keeps the low 32 */
    const uint32_t zp_total = (uint32_t)((uint64_t)(int64_t)k->in_zero_point * (uint64_t)k->n_reduced);
    int32_t i;
    for (i = 0; i < k->n_out; ++i) {
        acc[i] = 0;
    }
    memset(&w, 0, sizeof w);
    for (i = 0; i < k->n_in; ++i) {
        int32_t x = is16 ? ((const int16_t *)in)[i] : ((const int8_t *)in)[i];
        acc[w.out] += (uint32_t)x;
        walk_next(k, &w);
    }
    for (i = 0; i < k->n_out; ++i) {
        int32_t v = xtml_mul_by_quantized_multiplier(wrap_i32(acc[i] - zp_total), k->multiplier,
                                                     (int)k->shift);
        v = xtml_add_wrap(v, k->out_zero_point);
        v = v < lo ? lo : (v > hi ? hi : v);
        if (is16) {
            ((int16_t *)out)[i] = (int16_t)v;
        } else {
            ((int8_t *)out)[i] = (int8_t)v;
        }
    }
}

static xtml_status_t reduce_prepare(xtml_prep_t *p, uint8_t op) {
    xtml_tinfo_t in, axis, out;
    xtml_fb_table_t opts;
    xtml_reduce_params_t k;
    xtml_reduce_params_t *params;
    bool keep_dims;
    xtml_status_t st;

    if (xtml_prep_n_inputs(p) != 2 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 2 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    st = xtml_prep_options(p, XTML_OPTS_REDUCER, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    keep_dims = xtml_fb_bool(&opts, 0, false);
    memset(&k, 0, sizeof k);
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &axis);
    xtml_prep_output(p, 0, &out);
    if (in.index < 0 || axis.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input and axis are required");
    }
    /* TFLM: SUM runs float32, int8 and int16; MAX and MIN float32 and int8; ALL bool */
    if (op == REDUCE_ALL) {
        if (in.type != XTML_DTYPE_BOOL) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input 0 '%s' is %s, expected bool", in.name,
                                  xtml_dtype_name(in.type));
        }
    } else if (in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_FLOAT32 &&
        !(in.type == XTML_DTYPE_INT16 && op == REDUCE_SUM)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input 0 '%s' is %s, expected %s",
                              in.name, xtml_dtype_name(in.type),
                              op == REDUCE_SUM ? "float32, int8 or int16" : "float32 or int8");
    }
    st = xtml_prep_expect_type(p, &out, "output tensor", in.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.count < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input 0 '%s' is empty", in.name);
    }
    st = xtml_prep_reduction(p, &in, &axis, &out, keep_dims, &k.ndim, k.dims, k.out_stride,
                             &k.n_reduced);
    if (st != XTML_STATUS_OK) {
        return st;
    }

    k.op = op;
    k.type = (uint8_t)in.type;
    k.n_in = in.count;
    k.n_out = out.count;
    if (in.type != XTML_DTYPE_FLOAT32 && op == REDUCE_SUM) {
        st = xtml_prep_expect_quantized(p, &in, "input tensor");
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, &out, "output tensor");
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
        {
            int shift;
            xtml_quantize_f32_div(in.scale, out.scale, &k.multiplier, &shift);
            if (shift < -31 || shift > 30) {
                return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                      "input scale %s over output scale %s is out of range",
                                      XTML_F32(in.scale), XTML_F32(out.scale));
            }
            k.shift = shift;
            k.in_zero_point = in.zero_point;
            k.out_zero_point = out.zero_point;
        }
    } else if (in.type != XTML_DTYPE_FLOAT32 && op != REDUCE_ALL) {
        if (in.scale != out.scale || in.zero_point != out.zero_point) {
            /* TFLM fails the invoke; we refuse the model */
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "output 0 '%s' must have input 0 '%s''s scale and zero point",
                                  out.name, in.name);
        }
    }

    if (op == REDUCE_SUM && in.type != XTML_DTYPE_FLOAT32) {
        xtml_prep_scratch(p, sizeof(uint32_t) * (size_t)out.count);
    }
    xtml_prep_set_macs(p, (uint64_t)in.count);
    params = (xtml_reduce_params_t *)XTML_PREP_PERSIST(p, xtml_reduce_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    *params = k;
    return XTML_STATUS_OK;
}

static xtml_status_t reduce_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_reduce_params_t *k = (const xtml_reduce_params_t *)node->params;
    const void *in = xtml_node_in(ctx, node, 0);
    void *out = xtml_node_out(ctx, node, 0);
    if (k->op == REDUCE_ALL) {
        reduce_all_bool(k, (const uint8_t *)in, (uint8_t *)out);
    } else if (k->type == XTML_DTYPE_FLOAT32) {
        reduce_f32(k, (const float *)in, (float *)out);
    } else if (k->op != REDUCE_SUM) {
        reduce_minmax_s8(k, (const int8_t *)in, (int8_t *)out);
    } else {
        reduce_sum_q(k, in, out, (uint32_t *)node->scratch, k->type == XTML_DTYPE_INT16);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t sum_prepare(xtml_prep_t *p) {
    return reduce_prepare(p, REDUCE_SUM);
}
static xtml_status_t reduce_max_prepare(xtml_prep_t *p) {
    return reduce_prepare(p, REDUCE_MAX);
}
static xtml_status_t reduce_min_prepare(xtml_prep_t *p) {
    return reduce_prepare(p, REDUCE_MIN);
}

static xtml_status_t reduce_all_prepare(xtml_prep_t *p) {
    return reduce_prepare(p, REDUCE_ALL);
}

const xtml_kernel_t xtml_kernel_sum = { "SUM", sum_prepare, reduce_eval };
const xtml_kernel_t xtml_kernel_reduce_max = { "REDUCE_MAX", reduce_max_prepare, reduce_eval };
const xtml_kernel_t xtml_kernel_reduce_min = { "REDUCE_MIN", reduce_min_prepare, reduce_eval };
const xtml_kernel_t xtml_kernel_reduce_all = { "REDUCE_ALL", reduce_all_prepare, reduce_eval };

/* ---- CUMSUM ---- */

/*
 * Running sums along one axis, forwards or (reverse) backwards, each output
 * including its own input or (exclusive) not. int8 follows TFLM's integer
 * path: every input (x - zero_point) is scaled by 2^19 (2^20 times a
 * multiplier of 1/2), the running int32 sum starts from the scaled
 * -zero_point (TFLM's accumulator seed, not 0), and each output is the sum
 * requantized by 2 * input_scale / (2^20 * output_scale).
 */
typedef struct xtml_cumsum_params {
    int32_t outer, depth, inner;   /* dims before, along and after the axis */
    int32_t in_zero_point;
    int32_t out_zero_point;
    int32_t multiplier;
    int32_t shift;
    uint8_t is_int8;
    uint8_t exclusive;
    uint8_t reverse;
} xtml_cumsum_params_t;

static void cumsum_f32(const xtml_cumsum_params_t *k, const float *in, float *out) {
    int32_t o, i, d;
    for (o = 0; o < k->outer; ++o) {
        for (i = 0; i < k->inner; ++i) {
            float acc = 0.0f;
            for (d = 0; d < k->depth; ++d) {
                int32_t dd = k->reverse ? k->depth - 1 - d : d;
                size_t at = ((size_t)o * (size_t)k->depth + (size_t)dd) * (size_t)k->inner + (size_t)i;
                if (k->exclusive) {
                    out[at] = acc;
                    acc = acc + in[at];
                } else {
                    acc = acc + in[at];
                    out[at] = acc;
                }
            }
        }
    }
}

static void cumsum_s8(const xtml_cumsum_params_t *k, const int8_t *in, int8_t *out) {
    int32_t o, i, d;
    for (o = 0; o < k->outer; ++o) {
        for (i = 0; i < k->inner; ++i) {
            /* (-zp) * 2^20 * (1/2), exact */
            uint32_t acc = (uint32_t)(-k->in_zero_point) << 19;
            for (d = 0; d < k->depth; ++d) {
                int32_t dd = k->reverse ? k->depth - 1 - d : d;
                size_t at = ((size_t)o * (size_t)k->depth + (size_t)dd) * (size_t)k->inner + (size_t)i;
                uint32_t y = (uint32_t)((int32_t)in[at] - k->in_zero_point) << 19;
                int32_t v;
                if (k->exclusive) {
                    v = wrap_i32(acc);
                    acc += y;
                } else {
                    acc += y;
                    v = wrap_i32(acc);
                }
                v = xtml_add_wrap(xtml_mul_by_quantized_multiplier(v, k->multiplier, (int)k->shift),
                                  k->out_zero_point);
                out[at] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
            }
        }
    }
}

static xtml_status_t cumsum_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, axis, out;
    xtml_fb_table_t opts;
    xtml_cumsum_params_t k;
    xtml_cumsum_params_t *mem;
    int32_t a, i;
    xtml_status_t st;
    if (xtml_prep_n_inputs(p) != 2 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 2 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    st = xtml_prep_options(p, XTML_OPTS_CUMSUM, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&k, 0, sizeof k);
    k.exclusive = xtml_fb_bool(&opts, 0, false) ? 1 : 0;
    k.reverse = xtml_fb_bool(&opts, 1, false) ? 1 : 0;
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &axis);
    xtml_prep_output(p, 0, &out);
    if (axis.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "axis is required");
    }
    if (in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input 0 '%s' is %s, expected float32 or int8", in.name,
                              xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output tensor", in.type);
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_same_shape(p, &in, "input 0", &out, "output 0");
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (axis.type != XTML_DTYPE_INT32 || axis.count != 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "axis '%s' must be one int32 value",
                              axis.name);
    }
    if (!axis.is_const || axis.data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "axis '%s' is not constant; only a constant axis is supported",
                              axis.name);
    }
    a = xtml_ld_i32((const uint8_t *)axis.data);
    if (in.ndim < 1 || a < -in.ndim || a >= in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "axis %d is out of range for rank %d",
                              (int)a, (int)in.ndim);
    }
    if (a < 0) {
        a += in.ndim;
    }
    k.outer = 1;
    k.inner = 1;
    for (i = 0; i < in.ndim; ++i) {
        if (i < a) {
            k.outer *= in.dims[i];
        } else if (i > a) {
            k.inner *= in.dims[i];
        }
    }
    k.depth = in.dims[a];
    if (in.type == XTML_DTYPE_INT8) {
        int shift;
        st = xtml_prep_expect_quantized(p, &in, "input tensor");
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, &out, "output tensor");
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
        /* 2 * in / (2^20 * out): the same mantissa as in / out, the exponent less 19 */
        xtml_quantize_f32_div(in.scale, out.scale, &k.multiplier, &shift);
        shift -= 19;
        if (shift > 0 || shift < -31) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "input scale %s over output scale %s is out of range",
                                  XTML_F32(in.scale), XTML_F32(out.scale));
        }
        k.shift = shift;
        k.in_zero_point = in.zero_point;
        k.out_zero_point = out.zero_point;
        k.is_int8 = 1;
    }
    mem = (xtml_cumsum_params_t *)XTML_PREP_PERSIST(p, xtml_cumsum_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

static xtml_status_t cumsum_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_cumsum_params_t *k = (const xtml_cumsum_params_t *)node->params;
    if (k->is_int8) {
        cumsum_s8(k, (const int8_t *)xtml_node_in(ctx, node, 0), (int8_t *)xtml_node_out(ctx, node, 0));
    } else {
        cumsum_f32(k, (const float *)xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0));
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_cumsum = { "CUMSUM", cumsum_prepare, cumsum_eval };
