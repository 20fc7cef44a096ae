/*
 * xtml_svdf.c - SVDF (singular value decomposition filter), float32 and int8
 * with an int16 or int8 activation state, bit-exact with TFLM's reference
 * kernel.
 *
 * Inputs: x [batch][input], weights_feature [filters][input], weights_time
 * [filters][memory], bias [units], and the activation state
 * [batch][filters * memory], a variable tensor that keeps the last `memory`
 * feature values of every filter between invokes (xtml_reset_state() clears
 * it). Each invoke shifts the state one step left, writes the new feature
 * value of each filter into its last slot, takes the dot product of every
 * filter's memory with its time weights, sums each unit's `rank` filters,
 * adds the bias and applies the activation.
 *
 * Orders and roundings follow TFLM: float sums run from 0.0f in index order,
 * the bias first in each unit's sum. int8: the feature value is requantized
 * to the state's scale, clamped to the state type's range, then offset by
 * the state's zero point (wrapping in that type); the time sums and the unit
 * sums are wrapping int32; the output is requantized and clamped to int8.
 * TFLM's int8 kernel applies no fused activation (a RELU is ignored). Both
 * of TFLM's kernels need the bias (int8 reads its scale at prepare, float
 * reads its data at eval: a null tensor either way), so we refuse SVDF
 * without one.
 */
#include "xtml_internal.h"

typedef struct svdf_node {
    int32_t batch, input, filters, units, rank, memory;
    uint8_t kind;          /* SVDF_F32, SVDF_S8_S16, SVDF_S8_S8 */
    uint8_t act;           /* fused activation (float only) */
    int32_t input_zero_point, output_zero_point, state_zero_point;
    int32_t mult1, shift1, mult2, shift2;
} svdf_node_t;

enum { SVDF_F32 = 0, SVDF_S8_S16 = 1, SVDF_S8_S8 = 2 };

/* SVDFOptions fields. */
enum { SVDF_OPT_RANK = 0, SVDF_OPT_ACTIVATION = 1, SVDF_OPT_ASYMMETRIC = 2 };

/* ---- kernels ---- */

/* TFLM's ActivationValFloat for the activations we accept (comparisons in
 * its order, so NaN and -0.0 come out the same). */
static float svdf_act_f32(uint8_t act, float x) {
    switch (act) {
    case XTML_ACT_RELU:
        return 0.0f > x ? 0.0f : x;
    case XTML_ACT_RELU_N1_TO_1:
        x = x < 1.0f ? x : 1.0f;
        return -1.0f > x ? -1.0f : x;
    case XTML_ACT_RELU6:
        x = x < 6.0f ? x : 6.0f;
        return 0.0f > x ? 0.0f : x;
    default:
        return x;
    }
}

static void svdf_f32(const svdf_node_t *n, const float *x, const float *wf, const float *wt, const float *bias,
                     float *state, float *scratch, float *out) {
    int32_t total = n->batch * n->filters * n->memory;
    int32_t b, f, i, m, r;
    /* shift the whole state one step left (the last slot is written next) */
    for (i = 0; i + 1 < total; i++) {
        state[i] = state[i + 1];
    }
    for (b = 0; b < n->batch; b++) {
        const float *w = wf;
        float *slot = state + (size_t)b * (size_t)n->filters * (size_t)n->memory + (n->memory - 1);
        for (f = 0; f < n->filters; f++) {
            const float *xb = x + (size_t)b * (size_t)n->input;
            float dot = 0.0f;
            for (i = 0; i < n->input; i++) {
                dot += (float)(*w++ * *xb++);
            }
            *slot = dot;
            slot += n->memory;
        }
    }
    for (b = 0; b < n->batch; b++) {
        const float *w = wt;
        const float *s = state + (size_t)b * (size_t)n->memory * (size_t)n->filters;
        float *acc = scratch + (size_t)b * (size_t)n->filters;
        for (f = 0; f < n->filters; f++) {
            float dot = 0.0f;
            for (m = 0; m < n->memory; m++) {
                dot += (float)(*w++ * *s++);
            }
            acc[f] = dot;
        }
    }
    for (b = 0; b < n->batch; b++) {
        float *o = out + (size_t)b * (size_t)n->units;
        const float *acc = scratch + (size_t)b * (size_t)n->filters;
        for (i = 0; i < n->units; i++) {
            o[i] = bias != NULL ? bias[i] : 0.0f;
        }
        for (i = 0; i < n->units; i++) {
            for (r = 0; r < n->rank; r++) {
                o[i] += *acc++;
            }
        }
        for (i = 0; i < n->units; i++) {
            o[i] = svdf_act_f32(n->act, o[i]);
        }
    }
}

/* The feature step of the integer kernel: the requantized dot product of
 * filter row w with input row x, clamped to [lo, hi]. */
static int32_t svdf_feature(const svdf_node_t *n, const int8_t *w, const int8_t *x, int32_t lo, int32_t hi) {
    uint32_t dot = 0;
    int32_t i, v;
    for (i = 0; i < n->input; i++) {
        dot += (uint32_t)((int32_t)w[i] * ((int32_t)x[i] - n->input_zero_point));
    }
    v = xtml_mul_by_quantized_multiplier((int32_t)dot, n->mult1, (int)n->shift1);
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* The time, bias, reduction and output steps, from the time sums in acc. */
static void svdf_s8_finish(const svdf_node_t *n, const int32_t *bias, int32_t *acc, int32_t *unit, int8_t *out) {
    int32_t b, i, r;
    for (b = 0; b < n->batch; b++) {
        int32_t *u = unit + (size_t)b * (size_t)n->units;
        const int32_t *a = acc + (size_t)b * (size_t)n->filters;
        for (i = 0; i < n->units; i++) {
            uint32_t sum = bias != NULL ? (uint32_t)bias[i] : 0u;
            for (r = 0; r < n->rank; r++) {
                sum += (uint32_t)*a++;
            }
            u[i] = (int32_t)sum;
        }
    }
    for (i = 0; i < n->batch * n->units; i++) {
        int32_t v = xtml_mul_by_quantized_multiplier(unit[i], n->mult2, (int)n->shift2);
        out[i] = xtml_clamp_s8(xtml_add_wrap(v, n->output_zero_point), -128, 127);
    }
}

static void svdf_s8_s16(const svdf_node_t *n, const int8_t *x, const int8_t *wf, const int16_t *wt,
                        const int32_t *bias, int16_t *state, int32_t *acc, int32_t *unit, int8_t *out) {
    int32_t total = n->batch * n->filters * n->memory;
    int32_t b, f, i, m;
    for (i = 0; i + 1 < total; i++) {
        state[i] = state[i + 1];
    }
    for (b = 0; b < n->batch; b++) {
        int16_t *slot = state + (size_t)b * (size_t)n->filters * (size_t)n->memory + (n->memory - 1);
        for (f = 0; f < n->filters; f++) {
            int32_t v = svdf_feature(n, wf + (size_t)f * (size_t)n->input, x + (size_t)b * (size_t)n->input,
                                     INT16_MIN, INT16_MAX);
            *slot = (int16_t)(uint16_t)(uint32_t)(n->state_zero_point + v);
            slot += n->memory;
        }
    }
    for (b = 0; b < n->batch; b++) {
        const int16_t *w = wt;
        const int16_t *s = state + (size_t)b * (size_t)n->memory * (size_t)n->filters;
        for (f = 0; f < n->filters; f++) {
            uint32_t dot = 0;
            for (m = 0; m < n->memory; m++) {
                dot += (uint32_t)((int32_t)*w++ * ((int32_t)*s++ - n->state_zero_point));
            }
            acc[(size_t)b * (size_t)n->filters + (size_t)f] = (int32_t)dot;
        }
    }
    svdf_s8_finish(n, bias, acc, unit, out);
}

static void svdf_s8_s8(const svdf_node_t *n, const int8_t *x, const int8_t *wf, const int8_t *wt,
                       const int32_t *bias, int8_t *state, int32_t *acc, int32_t *unit, int8_t *out) {
    int32_t total = n->batch * n->filters * n->memory;
    int32_t b, f, i, m;
    for (i = 0; i + 1 < total; i++) {
        state[i] = state[i + 1];
    }
    for (b = 0; b < n->batch; b++) {
        int8_t *slot = state + (size_t)b * (size_t)n->filters * (size_t)n->memory + (n->memory - 1);
        for (f = 0; f < n->filters; f++) {
            int32_t v = svdf_feature(n, wf + (size_t)f * (size_t)n->input, x + (size_t)b * (size_t)n->input,
                                     -128, 127);
            *slot = (int8_t)(uint8_t)(uint32_t)(n->state_zero_point + v);
            slot += n->memory;
        }
    }
    for (b = 0; b < n->batch; b++) {
        const int8_t *w = wt;
        const int8_t *s = state + (size_t)b * (size_t)n->memory * (size_t)n->filters;
        for (f = 0; f < n->filters; f++) {
            uint32_t dot = 0;
            for (m = 0; m < n->memory; m++) {
                dot += (uint32_t)((int32_t)*w++ * ((int32_t)*s++ - n->state_zero_point));
            }
            acc[(size_t)b * (size_t)n->filters + (size_t)f] = (int32_t)dot;
        }
    }
    svdf_s8_finish(n, bias, acc, unit, out);
}

/* ---- prepare ---- */

static xtml_status_t svdf_expect_dims(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, int32_t d0,
                                      int32_t d1) {
    if (t->ndim != 2 || t->dims[0] != d0 || t->dims[1] != d1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "%s '%s' must be [%" PRId32 ", %" PRId32 "] (rank %" PRId32 ")", role, t->name, d0, d1,
                              t->ndim);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t svdf_quant(xtml_prep_t *p, svdf_node_t *n, const xtml_tinfo_t *in, const xtml_tinfo_t *wf,
                                const xtml_tinfo_t *wt, const xtml_tinfo_t *bias, const xtml_tinfo_t *state,
                                const xtml_tinfo_t *out) {
    xtml_status_t st;
    int s1 = 0, s2 = 0;
    /* TFLM's two scales, each a float expression widened to a double */
    volatile float e1 = in->scale * wf->scale;
    volatile float e2 = state->scale * wt->scale;
    volatile float product = e2;
    e1 = e1 / state->scale;
    e2 = e2 / out->scale;
    if ((st = xtml_prep_expect_s8_io(p, in, out)) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_quantized(p, wf, "weights_feature")) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_quantized(p, wt, "weights_time")) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_quantized(p, state, "activation state")) != XTML_STATUS_OK) {
        return st;
    }
    if (!xtml_f32_within_1e5(bias->scale, product)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "bias '%s' scale %s is not activation state x weights_time scale %s x %s", bias->name,
                              XTML_F32(bias->scale), XTML_F32(state->scale), XTML_F32(wt->scale));
    }
    xtml_quantize_f32(e1, &n->mult1, &s1);
    xtml_quantize_f32(e2, &n->mult2, &s2);
    if (s1 < -31 || s1 > 30 || s2 < -31 || s2 > 30) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "requantization scales out of range (shifts %d and %d)", s1, s2);
    }
    n->shift1 = s1;
    n->shift2 = s2;
    n->input_zero_point = in->zero_point;
    n->output_zero_point = out->zero_point;
    n->state_zero_point = state->zero_point;
    return XTML_STATUS_OK;
}

static xtml_status_t svdf_prepare(xtml_prep_t *p) {
    xtml_fb_table_t opts;
    xtml_tinfo_t in, wf, wt, bias, state, out;
    svdf_node_t tmp, *node;
    xtml_status_t st;
    int32_t rank, act;
    bool is_float;
    memset(&tmp, 0, sizeof tmp);

    if (xtml_prep_n_inputs(p) != 5 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "SVDF takes 5 inputs and 1 output, has %d and %d",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    if ((st = xtml_prep_options(p, XTML_OPTS_SVDF, &opts)) != XTML_STATUS_OK) {
        return st;
    }
    rank = xtml_fb_i32(&opts, SVDF_OPT_RANK, 0);
    act = xtml_fb_i8(&opts, SVDF_OPT_ACTIVATION, 0);
    if (xtml_fb_bool(&opts, SVDF_OPT_ASYMMETRIC, false)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "asymmetric_quantize_inputs is not supported");
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &wf);
    xtml_prep_input(p, 2, &wt);
    xtml_prep_input(p, 3, &bias);
    xtml_prep_input(p, 4, &state);
    xtml_prep_output(p, 0, &out);
    if (wf.index < 0 || wt.index < 0 || state.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "weights_feature, weights_time and the activation state are required");
    }
    if (in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input '%s' is %s, expected float32 or int8",
                              in.name, xtml_dtype_name(in.type));
    }
    is_float = in.type == XTML_DTYPE_FLOAT32;
    if (rank <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "rank %" PRId32 " must be positive", rank);
    }
    if (in.ndim != 2 || in.dims[0] <= 0 || in.dims[1] <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input '%s' must be [batch, input] (rank %" PRId32 ")",
                              in.name, in.ndim);
    }
    tmp.batch = in.dims[0];
    tmp.input = in.dims[1];
    if (wf.ndim != 2 || wf.dims[0] <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "weights_feature '%s' must be [filters, input]",
                              wf.name);
    }
    tmp.filters = wf.dims[0];
    if (tmp.filters % rank != 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%" PRId32 " filters are not a multiple of rank %" PRId32,
                              tmp.filters, rank);
    }
    tmp.rank = rank;
    tmp.units = tmp.filters / rank;
    if ((st = svdf_expect_dims(p, &wf, "weights_feature", tmp.filters, tmp.input)) != XTML_STATUS_OK) {
        return st;
    }
    if (wt.ndim != 2 || wt.dims[1] <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "weights_time '%s' must be [filters, memory]", wt.name);
    }
    tmp.memory = wt.dims[1];
    if ((st = svdf_expect_dims(p, &wt, "weights_time", tmp.filters, tmp.memory)) != XTML_STATUS_OK ||
        (st = svdf_expect_dims(p, &out, "output", tmp.batch, tmp.units)) != XTML_STATUS_OK) {
        return st;
    }
    if ((int64_t)tmp.filters * tmp.memory > INT32_MAX / tmp.batch ||
        (st = svdf_expect_dims(p, &state, "activation state", tmp.batch, tmp.filters * tmp.memory)) !=
            XTML_STATUS_OK) {
        return st != XTML_STATUS_OK ? st
                                    : xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "activation state too large");
    }
    if (!state.is_variable) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "activation state '%s' (tensor %d) is not a variable tensor",
                              state.name, (int)state.index);
    }
    if (bias.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "SVDF needs a bias (TFLM's kernels read the bias tensor unconditionally)");
    }
    if (bias.ndim < 1 || bias.count != tmp.units) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "bias '%s' has %" PRId32 " elements for %" PRId32 " units",
                              bias.name, bias.count, tmp.units);
    }
    if (is_float) {
        if ((st = xtml_prep_expect_type(p, &wf, "weights_feature", XTML_DTYPE_FLOAT32)) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_type(p, &wt, "weights_time", XTML_DTYPE_FLOAT32)) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_type(p, &state, "activation state", XTML_DTYPE_FLOAT32)) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_FLOAT32)) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_type(p, &bias, "bias", XTML_DTYPE_FLOAT32)) != XTML_STATUS_OK) {
            return st;
        }
        if (act != XTML_ACT_NONE && act != XTML_ACT_RELU && act != XTML_ACT_RELU_N1_TO_1 &&
            act != XTML_ACT_RELU6) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "fused activation %" PRId32 " not supported",
                                  act);
        }
        tmp.kind = SVDF_F32;
        tmp.act = (uint8_t)act;
    } else {
        if ((st = xtml_prep_expect_type(p, &wf, "weights_feature", XTML_DTYPE_INT8)) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT8)) != XTML_STATUS_OK) {
            return st;
        }
        if (state.type != XTML_DTYPE_INT16 && state.type != XTML_DTYPE_INT8) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "activation state '%s' is %s, expected int16 or int8",
                                  state.name, xtml_dtype_name(state.type));
        }
        /* TFLM picks the kernel by weights_time's type and reads the state as the same type. */
        if ((st = xtml_prep_expect_type(p, &wt, "weights_time", state.type)) != XTML_STATUS_OK) {
            return st;
        }
        if ((st = xtml_prep_expect_type(p, &bias, "bias", XTML_DTYPE_INT32)) != XTML_STATUS_OK ||
            (st = svdf_quant(p, &tmp, &in, &wf, &wt, &bias, &state, &out)) != XTML_STATUS_OK) {
            return st;
        }
        if (state.type == XTML_DTYPE_INT8 && (state.zero_point < -128 || state.zero_point > 127)) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "activation state zero point %" PRId32
                                  " must fit int8", state.zero_point);
        }
        tmp.kind = state.type == XTML_DTYPE_INT16 ? SVDF_S8_S16 : SVDF_S8_S8;
    }
    /* scratch: the time sums, then (int8) the unit sums */
    xtml_prep_scratch(p, (size_t)tmp.batch * (size_t)tmp.filters * 4u +
                             (is_float ? 0u : (size_t)tmp.batch * (size_t)tmp.units * 4u));
    xtml_prep_set_macs(p, (uint64_t)tmp.batch * (uint64_t)tmp.filters * (uint64_t)(tmp.input + tmp.memory));
    node = (svdf_node_t *)XTML_PREP_PERSIST(p, svdf_node_t, 0);
    if (node == NULL) {
        return XTML_STATUS_OK;
    }
    *node = tmp;
    return XTML_STATUS_OK;
}

/* ---- eval ---- */

static xtml_status_t svdf_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const svdf_node_t *n = (const svdf_node_t *)node->params;
    const void *x = xtml_node_in(ctx, node, 0);
    const void *wf = xtml_node_in(ctx, node, 1);
    const void *wt = xtml_node_in(ctx, node, 2);
    const void *bias = xtml_node_in(ctx, node, 3);
    void *state = xtml_node_in(ctx, node, 4);
    void *out = xtml_node_out(ctx, node, 0);
    int32_t *acc = (int32_t *)node->scratch;
    switch (n->kind) {
    case SVDF_F32:
        svdf_f32(n, (const float *)x, (const float *)wf, (const float *)wt, (const float *)bias, (float *)state,
                 (float *)node->scratch, (float *)out);
        break;
    case SVDF_S8_S16:
        svdf_s8_s16(n, (const int8_t *)x, (const int8_t *)wf, (const int16_t *)wt, (const int32_t *)bias,
                    (int16_t *)state, acc, acc + (size_t)n->batch * (size_t)n->filters, (int8_t *)out);
        break;
    default:
        svdf_s8_s8(n, (const int8_t *)x, (const int8_t *)wf, (const int8_t *)wt, (const int32_t *)bias,
                   (int8_t *)state, acc, acc + (size_t)n->batch * (size_t)n->filters, (int8_t *)out);
        break;
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_svdf = { "SVDF", svdf_prepare, svdf_eval };
