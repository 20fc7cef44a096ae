/*
 * xtml_reduce.c - reductions over axes: MEAN and ARG_MAX.
 *
 * MEAN sums every output's inputs in increasing input order (the order TFLM
 * adds them in, which float results depend on), then divides (float) or
 * requantizes the int32 sum with a multiplier that folds in 1/N (int8 and
 * int16, TFLM's integer path, zero points applied). ARG_MAX returns the first index of the largest value,
 * ARG_MIN the first index of the smallest.
 */
#include "xtml_internal.h"

/* ---- MEAN ---- */

/*
 * The input as merged axes, outermost first: adjacent axes that are both
 * reduced or both kept become one, size-1 axes disappear. out_stride[a] is
 * how far one step along a kept axis moves in the output, 0 for a reduced
 * axis.
 */
typedef struct xtml_mean_params {
    bool is_int8;             /* int8 or int16: the integer path */
    bool is_int16;
    int32_t ndim;
    int32_t dims[XTML_MAX_DIMS];
    int32_t out_stride[XTML_MAX_DIMS];
    int32_t n_out;            /* output elements */
    int32_t n_reduced;        /* inputs per output (N) */
    float divisor;            /* (float)N, float MEAN */
    int32_t in_zero_point;    /* int8 MEAN */
    int32_t out_zero_point;
    int32_t multiplier;       /* input_scale / output_scale / N as TFLM folds it */
    int shift;
} xtml_mean_params_t;

/* Add the inputs of one slice of `axis` into acc; returns the input position after it. */
static const float *mean_axis_f32(const xtml_mean_params_t *k, int axis, const float *in,
                                  float *acc) {
    const int32_t n = k->dims[axis];
    const int32_t os = k->out_stride[axis];
    int32_t i;
    if (axis == k->ndim - 1) {
        if (os == 0) {
            float sum = acc[0];
            for (i = 0; i < n; ++i) {
                sum = sum + in[i];
            }
            acc[0] = sum;
        } else {
            for (i = 0; i < n; ++i) {
                acc[i] = acc[i] + in[i];
            }
        }
        return in + n;
    }
    for (i = 0; i < n; ++i) {
        in = mean_axis_f32(k, axis + 1, in, acc);
        acc += os;
    }
    return in;
}

/* Input element i of an int8 or int16 tensor. */
static inline int32_t mean_load_q(const void *in, bool is_int16, size_t i) {
    return is_int16 ? ((const int16_t *)in)[i] : ((const int8_t *)in)[i];
}

/* Same walk for int8 and int16, summing in int32 (wrapping like TFLM's, in
 * unsigned); at is the position in the input, returned past the slice. */
static size_t mean_axis_q(const xtml_mean_params_t *k, int axis, const void *in, size_t at,
                          uint32_t *acc) {
    const int32_t n = k->dims[axis];
    const int32_t os = k->out_stride[axis];
    const bool wide = k->is_int16;
    int32_t i;
    if (axis == k->ndim - 1) {
        if (os == 0) {
            uint32_t sum = acc[0];
            for (i = 0; i < n; ++i) {
                sum += (uint32_t)mean_load_q(in, wide, at + (size_t)i);
            }
            acc[0] = sum;
        } else {
            for (i = 0; i < n; ++i) {
                acc[i] += (uint32_t)mean_load_q(in, wide, at + (size_t)i);
            }
        }
        return at + (size_t)n;
    }
    for (i = 0; i < n; ++i) {
        at = mean_axis_q(k, axis + 1, in, at, acc);
        acc += os;
    }
    return at;
}

/* Two's-complement reinterpretation without implementation-defined conversion. */
static int32_t wrap_i32(uint32_t u) {
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

static void mean_run_f32(const xtml_mean_params_t *k, const float *in, float *out) {
    int32_t i;
    for (i = 0; i < k->n_out; ++i) {
        out[i] = 0.0f;
    }
    mean_axis_f32(k, 0, in, out);
    for (i = 0; i < k->n_out; ++i) {
        out[i] = out[i] / k->divisor;
    }
}

static void mean_run_q(const xtml_mean_params_t *k, const void *in, void *out, uint32_t *acc) {
    const uint32_t zp_total = (uint32_t)k->in_zero_point * (uint32_t)k->n_reduced;
    const int32_t lo = k->is_int16 ? -32768 : -128;
    const int32_t hi = k->is_int16 ? 32767 : 127;
    int32_t i;
    for (i = 0; i < k->n_out; ++i) {
        acc[i] = 0;
    }
    mean_axis_q(k, 0, in, 0, acc);
    for (i = 0; i < k->n_out; ++i) {
        int32_t scaled = xtml_mul_by_quantized_multiplier(wrap_i32(acc[i] - zp_total),
                                                          k->multiplier, k->shift);
        /* Wraps where TFLM's int32 addition would, without undefined behaviour. */
        int32_t v = wrap_i32((uint32_t)scaled + (uint32_t)k->out_zero_point);
        v = v < lo ? lo : (v > hi ? hi : v);
        if (k->is_int16) {
            ((int16_t *)out)[i] = (int16_t)v;
        } else {
            ((int8_t *)out)[i] = (int8_t)v;
        }
    }
}

/* floor(log2(n)) for n >= 1. */
static int floor_log2_u32(uint32_t n) {
    int r = 0;
    while (n > 1) {
        n >>= 1;
        ++r;
    }
    return r;
}

/*
 * The reduction operators' common prepare step (MEAN here; SUM, REDUCE_MAX
 * and REDUCE_MIN in xtml_reduce_ops.c): the axis tensor is a constant int32
 * scalar or vector (negative values count from the end, repeats are ignored),
 * `out` is `in` reduced over it with or without keep_dims, and the input is
 * described as merged axes: size-1 axes disappear, neighbours both reduced or
 * both kept become one. out_stride[a] is how far one step along merged axis a
 * moves in the output, 0 for a reduced axis.
 */
xtml_status_t xtml_prep_reduction(xtml_prep_t *p, const xtml_tinfo_t *in,
                                  const xtml_tinfo_t *axis, const xtml_tinfo_t *out,
                                  bool keep_dims, int32_t *ndim, int32_t *dims,
                                  int32_t *out_stride, int32_t *n_reduced) {
    bool reduced[XTML_MAX_DIMS];
    bool mred[XTML_MAX_DIMS];
    int32_t i, m = 0, out_rank = 0, kept_inner = 1;
    int64_t n = 1;

    if (axis->type != XTML_DTYPE_INT32 || axis->ndim > 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "axis '%s' must be an int32 scalar or vector", axis->name);
    }
    /* An empty axis list has no data to hold: nothing is reduced. */
    if (axis->count > 0 && (!axis->is_const || axis->data == NULL)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "axis '%s' is not constant; only constant axes are supported",
                              axis->name);
    }
    for (i = 0; i < in->ndim; ++i) {
        reduced[i] = false;
    }
    for (i = 0; i < axis->count; ++i) {
        int32_t a = xtml_ld_i32((const uint8_t *)axis->data + 4 * (size_t)i);
        if (a < -in->ndim || a >= in->ndim) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "axis '%s' value %d is out of range for rank %d", axis->name,
                                  (int)a, (int)in->ndim);
        }
        reduced[a < 0 ? a + in->ndim : a] = true;
    }

    /* The output shape the reduction gives, and the inputs per output. */
    for (i = 0; i < in->ndim; ++i) {
        int32_t expect;
        if (reduced[i]) {
            n *= in->dims[i];
            if (!keep_dims) {
                continue;
            }
            expect = 1;
        } else {
            expect = in->dims[i];
        }
        if (out_rank >= out->ndim || out->dims[out_rank] != expect) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "output 0 '%s' does not match input 0 '%s' reduced over '%s' "
                                  "(keep_dims %d)",
                                  out->name, in->name, axis->name, (int)keep_dims);
        }
        ++out_rank;
    }
    if (out_rank != out->ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' has rank %d, the reduction gives rank %d", out->name,
                              (int)out->ndim, (int)out_rank);
    }
    *n_reduced = (int32_t)n; /* <= in->count */

    for (i = 0; i < in->ndim; ++i) {
        if (in->dims[i] == 1) {
            continue;
        }
        if (m > 0 && mred[m - 1] == reduced[i]) {
            dims[m - 1] *= in->dims[i];
        } else {
            dims[m] = in->dims[i];
            mred[m] = reduced[i];
            ++m;
        }
    }
    if (m == 0) {
        dims[0] = 1;
        mred[0] = false;
        m = 1;
    }
    for (i = m - 1; i >= 0; --i) {
        out_stride[i] = mred[i] ? 0 : kept_inner;
        if (!mred[i]) {
            kept_inner *= dims[i];
        }
    }
    *ndim = m;
    return XTML_STATUS_OK;
}

static xtml_status_t mean_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, axis, out;
    xtml_fb_table_t opts;
    xtml_mean_params_t k;
    xtml_mean_params_t *params;
    bool keep_dims;
    int32_t n_reduced;
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
    if (in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT16) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input 0 '%s' is %s, expected int8, int16 or float32", in.name,
                              xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output tensor", in.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.count < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input 0 '%s' is empty",
                              in.name);
    }
    st = xtml_prep_reduction(p, &in, &axis, &out, keep_dims, &k.ndim, k.dims, k.out_stride,
                             &n_reduced);
    if (st != XTML_STATUS_OK) {
        return st;
    }

    k.n_out = out.count;
    k.n_reduced = n_reduced;  /* <= in.count */
    k.divisor = (float)n_reduced;
    k.is_int16 = in.type == XTML_DTYPE_INT16;
    k.is_int8 = in.type == XTML_DTYPE_INT8 || k.is_int16;
    if (k.is_int8) {
        int32_t multiplier;
        int shift, n_shift;
        st = xtml_prep_expect_quantized(p, &in, "input tensor");
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, &out, "output tensor");
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
        xtml_quantize_f32_div(in.scale, out.scale, &multiplier, &shift);
        /*
         * TFLM folds 1/N into the multiplier: shift it left by floor(log2 N)
         * (at most 32, and keeping the final shift >= -31), then divide by N
         * with truncation.
         */
        n_shift = floor_log2_u32((uint32_t)n_reduced);
        if (n_shift > 32) {
            n_shift = 32;
        }
        if (n_shift > 31 + shift) {
            n_shift = 31 + shift;
        }
        if (n_shift < 0) {
            /* Only for multipliers below 2^-31, which quantize to 0 anyway. */
            n_shift = 0;
        }
        if (shift - n_shift > 30) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "input scale %s over output scale %s is too large a requantization",
                                  XTML_F32(in.scale), XTML_F32(out.scale));
        }
        k.multiplier = (int32_t)(((int64_t)multiplier << n_shift) / n_reduced);
        k.shift = shift - n_shift;
        k.in_zero_point = in.zero_point;
        k.out_zero_point = out.zero_point;
    }

    if (k.is_int8) {
        xtml_prep_scratch(p, sizeof(uint32_t) * (size_t)out.count);
    }
    xtml_prep_set_macs(p, (uint64_t)in.count);
    params = (xtml_mean_params_t *)XTML_PREP_PERSIST(p, xtml_mean_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    *params = k;
    return XTML_STATUS_OK;
}

static xtml_status_t mean_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_mean_params_t *k = (const xtml_mean_params_t *)node->params;
    if (k->is_int8) {
        mean_run_q(k, xtml_node_in(ctx, node, 0), xtml_node_out(ctx, node, 0),
                   (uint32_t *)node->scratch);
    } else {
        mean_run_f32(k, (const float *)xtml_node_in(ctx, node, 0),
                     (float *)xtml_node_out(ctx, node, 0));
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_mean = { "MEAN", mean_prepare, mean_eval };

/* ---- ARG_MAX ---- */

/* The input as [outer, axis_size, inner]. */
typedef struct xtml_arg_max_params {
    int32_t outer;
    int32_t axis_size;
    int32_t inner;
    uint8_t in_type;           /* xtml_dtype_t: int8 or float32 */
    uint8_t out_type;          /* xtml_dtype_t: int32 or int64 */
    uint8_t is_min;            /* ARG_MIN */
} xtml_arg_max_params_t;

/* Index of the first largest value among n values `stride` apart. */
static int32_t arg_max_s8(const int8_t *x, int32_t n, int32_t stride, bool is_min) {
    int8_t best = x[0];
    int32_t best_i = 0, i;
    for (i = 1; i < n; ++i) {
        x += stride;
        if (is_min ? *x < best : *x > best) {
            best = *x;
            best_i = i;
        }
    }
    return best_i;
}

/* As TFLM: a plain '>' ('<' for ARG_MIN) so a NaN never wins, and a leading NaN is never replaced. */
static int32_t arg_max_f32(const float *x, int32_t n, int32_t stride, bool is_min) {
    float best = x[0];
    int32_t best_i = 0, i;
    for (i = 1; i < n; ++i) {
        x += stride;
        if (is_min ? *x < best : *x > best) {
            best = *x;
            best_i = i;
        }
    }
    return best_i;
}

static void arg_max_run(const xtml_arg_max_params_t *k, const void *input, void *output) {
    const int32_t n = k->axis_size, inner = k->inner;
    int32_t o, j, idx;
    size_t out_i = 0;
    for (o = 0; o < k->outer; ++o) {
        const size_t block = (size_t)o * (size_t)n * (size_t)inner;
        for (j = 0; j < inner; ++j, ++out_i) {
            if (k->in_type == XTML_DTYPE_INT8) {
                idx = arg_max_s8((const int8_t *)input + block + j, n, inner, k->is_min != 0);
            } else {
                idx = arg_max_f32((const float *)input + block + j, n, inner, k->is_min != 0);
            }
            if (k->out_type == XTML_DTYPE_INT32) {
                ((int32_t *)output)[out_i] = idx;
            } else {
                ((int64_t *)output)[out_i] = idx;
            }
        }
    }
}

static xtml_status_t arg_prepare(xtml_prep_t *p, bool is_min) {
    xtml_tinfo_t in, axis, out;
    xtml_fb_table_t opts;
    xtml_arg_max_params_t *params;
    int64_t a;
    int32_t i, outer = 1, inner = 1;
    xtml_status_t st;

    if (xtml_prep_n_inputs(p) != 2 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 2 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    /* output_type in the options is ignored, as TFLite does: the tensor's type rules. */
    st = xtml_prep_options(p, is_min ? XTML_OPTS_ARG_MIN : XTML_OPTS_ARG_MAX, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &axis);
    xtml_prep_output(p, 0, &out);
    if (in.index < 0 || axis.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input and axis are required");
    }
    if (in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_FLOAT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input 0 '%s' is %s, expected int8 or float32", in.name,
                              xtml_dtype_name(in.type));
    }
    if (out.type != XTML_DTYPE_INT32 && out.type != XTML_DTYPE_INT64) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "output 0 '%s' is %s, expected int32 or int64", out.name,
                              xtml_dtype_name(out.type));
    }
    if ((axis.type != XTML_DTYPE_INT32 && axis.type != XTML_DTYPE_INT64) || axis.count != 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "axis '%s' must be one int32 or int64 value", axis.name);
    }
    if (!axis.is_const || axis.data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "axis '%s' is not constant; only a constant axis is supported",
                              axis.name);
    }
    a = axis.type == XTML_DTYPE_INT32 ? ((const int32_t *)axis.data)[0]
                                      : xtml_ld_i64((const uint8_t *)axis.data);
    if (in.ndim < 1 || a < -in.ndim || a >= in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "axis '%s' value %lld is out of range for input 0 '%s' of rank %d",
                              axis.name, (long long)a, in.name, (int)in.ndim);
    }
    if (a < 0) {
        a += in.ndim;
    }
    if (in.dims[a] < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "input 0 '%s' axis %d is empty", in.name, (int)a);
    }
    if (out.ndim != in.ndim - 1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' has rank %d, expected %d", out.name, (int)out.ndim,
                              (int)(in.ndim - 1));
    }
    for (i = 0; i < in.ndim; ++i) {
        if (i == a) {
            continue;
        }
        if (out.dims[i < a ? i : i - 1] != in.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "output 0 '%s' must be input 0 '%s' without axis %d", out.name,
                                  in.name, (int)a);
        }
        if (i < a) {
            outer *= in.dims[i];
        } else {
            inner *= in.dims[i];
        }
    }

    params = (xtml_arg_max_params_t *)XTML_PREP_PERSIST(p, xtml_arg_max_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    params->outer = outer;
    params->axis_size = in.dims[a];
    params->inner = inner;
    params->in_type = (uint8_t)in.type;
    params->out_type = (uint8_t)out.type;
    params->is_min = is_min ? 1 : 0;
    return XTML_STATUS_OK;
}

static xtml_status_t arg_max_prepare(xtml_prep_t *p) {
    return arg_prepare(p, false);
}
static xtml_status_t arg_min_prepare(xtml_prep_t *p) {
    return arg_prepare(p, true);
}

static xtml_status_t arg_max_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    arg_max_run((const xtml_arg_max_params_t *)node->params, xtml_node_in(ctx, node, 0),
                xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_arg_max = { "ARG_MAX", arg_max_prepare, arg_max_eval };
const xtml_kernel_t xtml_kernel_arg_min = { "ARG_MIN", arg_min_prepare, arg_max_eval };
