/*
 * xtml_quantize.c - QUANTIZE (float32 -> int8, int8 -> int8 requantization) and
 * DEQUANTIZE (int8 -> float32), bit-exact with TensorFlow Lite Micro.
 *
 * int8 requantization of a tensor with 256 elements or more maps each of the
 * 256 possible inputs through TFLM's fixed-point multiplier once at prepare
 * and eval looks the results up; smaller tensors are computed directly.
 */
#include "xtml_internal.h"

static xtml_status_t expect_zero_point_s8(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role) {
    if (t->zero_point < -128 || t->zero_point > 127) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "%s %d '%s' has zero point %d outside the int8 range", role, (int)t->index,
                              t->name, (int)t->zero_point);
    }
    return XTML_STATUS_OK;
}

/* One input and one output of the same shape. */
static xtml_status_t expect_pair(xtml_prep_t *p, xtml_tinfo_t *in, xtml_tinfo_t *out) {
    if (xtml_prep_n_inputs(p) != 1 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected 1 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    xtml_prep_input(p, 0, in);
    xtml_prep_output(p, 0, out);
    return xtml_prep_expect_same_shape(p, in, "input", out, "output");
}

/* Quantized per tensor with an int8 zero point. */
static xtml_status_t expect_quantized_s8(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role) {
    xtml_status_t st = xtml_prep_expect_quantized(p, t, role);
    if (st == XTML_STATUS_OK) {
        st = expect_zero_point_s8(p, t, role);
    }
    return st;
}

/* ---- QUANTIZE ---- */

typedef struct quantize_params {
    int32_t count;
    xtml_dtype_t in_type;   /* float32 or int8 */
    float scale;            /* float32 input: output scale */
    int32_t zero_point;     /* output zero point */
    int32_t in_zero_point;  /* int8 input */
    int32_t multiplier;     /* int8 input: input scale / output scale */
    int shift;
    bool has_table;
    int8_t table[];         /* has_table: table[x + 128] is the output for x */
} quantize_params_t;

static int32_t requantize_s8_value(const quantize_params_t *qp, int32_t x) {
    int32_t v = xtml_mul_by_quantized_multiplier(x - qp->in_zero_point, qp->multiplier, qp->shift);
    v += qp->zero_point;
    return v < -128 ? -128 : (v > 127 ? 127 : v);
}

/*
 * zero_point + round(x / scale), rounding half away from zero (TFLM's
 * TfLiteRound, i.e. roundf), saturated to int8. The quotient is first clamped
 * to +-1024, which changes no result (the zero point is an int8) and keeps the
 * conversion to int defined; NaN goes to the minimum, as on x86-64. Below
 * 2^23, q - trunc(q) is exact, so this rounding equals roundf() without a
 * libm call.
 */
static void quantize_f32_s8(const float *in, int8_t *out, int32_t count, float scale, int32_t zero_point) {
    int32_t i;
    for (i = 0; i < count; ++i) {
        float q = in[i] / scale;
        float frac;
        int32_t v;
        if (!(q >= -1024.0f)) {
            q = -1024.0f;
        } else if (q > 1024.0f) {
            q = 1024.0f;
        }
        v = (int32_t)q;
        frac = q - (float)v;
        v += (frac >= 0.5f ? 1 : 0) - (frac <= -0.5f ? 1 : 0);
        v += zero_point;
        out[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
}

static void requantize_s8(const quantize_params_t *qp, const int8_t *in, int8_t *out) {
    int32_t i;
    if (qp->has_table) {
        for (i = 0; i < qp->count; ++i) {
            out[i] = qp->table[in[i] + 128];
        }
    } else {
        for (i = 0; i < qp->count; ++i) {
            out[i] = (int8_t)requantize_s8_value(qp, in[i]);
        }
    }
}

static xtml_status_t quantize_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    quantize_params_t *qp;
    int32_t multiplier = 0, x;
    int shift = 0;
    bool has_table;
    xtml_status_t st = expect_pair(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input %d '%s' is %s, expected float32 or int8", (int)in.index, in.name,
                              xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT8);
    if (st == XTML_STATUS_OK) {
        st = expect_quantized_s8(p, &out, "output");
    }
    if (st == XTML_STATUS_OK && out.n_scales != 1) {
        /* TFLM quantizes per tensor only */
        st = xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "output %d '%s' has %d scales, expected 1",
                            (int)out.index, out.name, (int)out.n_scales);
    }
    if (st == XTML_STATUS_OK && in.type == XTML_DTYPE_INT8) {
        st = expect_quantized_s8(p, &in, "input");
        if (st == XTML_STATUS_OK) {
            /* TFLM divides the scales in double here (RELU does it in float) */
            xtml_quantize_f32_div(in.scale, out.scale, &multiplier, &shift);
            if (shift > 30) {
                st = xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                    "input scale %s / output scale %s is too large a ratio",
                                    XTML_F32(in.scale), XTML_F32(out.scale));
            }
        }
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    has_table = in.type == XTML_DTYPE_INT8 && in.count >= 256;
    if (in.type == XTML_DTYPE_INT8) {
        xtml_prep_inplace(p, 0, 0);   /* element i is read before it is written */
    }
    qp = (quantize_params_t *)XTML_PREP_PERSIST(p, quantize_params_t, has_table ? 256 : 0);
    if (qp == NULL) {
        return XTML_STATUS_OK;
    }
    qp->count = in.count;
    qp->in_type = in.type;
    qp->scale = out.scale;
    qp->zero_point = out.zero_point;
    qp->in_zero_point = in.zero_point;
    qp->multiplier = multiplier;
    qp->shift = shift;
    qp->has_table = has_table;
    if (has_table) {
        for (x = -128; x <= 127; ++x) {
            qp->table[x + 128] = (int8_t)requantize_s8_value(qp, x);
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t quantize_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const quantize_params_t *qp = (const quantize_params_t *)node->params;
    int8_t *out = (int8_t *)xtml_node_out(ctx, node, 0);
    if (qp->in_type == XTML_DTYPE_INT8) {
        requantize_s8(qp, (const int8_t *)xtml_node_in(ctx, node, 0), out);
    } else {
        quantize_f32_s8((const float *)xtml_node_in(ctx, node, 0), out, qp->count, qp->scale,
                        qp->zero_point);
    }
    return XTML_STATUS_OK;
}

/* ---- DEQUANTIZE ---- */

typedef struct dequantize_params {
    int32_t count;
    float scale;
    int32_t zero_point;
} dequantize_params_t;

/*
 * TFLM computes (float)((double)scale * (x - zero_point)). With an int8 zero
 * point the difference has at most 9 bits, so the double product is exact and
 * the result is that product rounded once to float, which is exactly what the
 * float multiply below returns; no double arithmetic needed on FPUs without it.
 */
static void dequantize_s8_f32(const int8_t *in, float *out, int32_t count, float scale, int32_t zero_point) {
    int32_t i;
    for (i = 0; i < count; ++i) {
        out[i] = scale * (float)(in[i] - zero_point);
    }
}

static xtml_status_t dequantize_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    dequantize_params_t *dp;
    xtml_status_t st = expect_pair(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input %d '%s' is %s, expected int8",
                              (int)in.index, in.name, xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_FLOAT32);
    if (st == XTML_STATUS_OK) {
        st = expect_quantized_s8(p, &in, "input");
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    dp = (dequantize_params_t *)XTML_PREP_PERSIST(p, dequantize_params_t, 0);
    if (dp == NULL) {
        return XTML_STATUS_OK;
    }
    dp->count = in.count;
    dp->scale = in.scale;
    dp->zero_point = in.zero_point;
    return XTML_STATUS_OK;
}

static xtml_status_t dequantize_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const dequantize_params_t *dp = (const dequantize_params_t *)node->params;
    dequantize_s8_f32((const int8_t *)xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0),
                      dp->count, dp->scale, dp->zero_point);
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_quantize = { "QUANTIZE", quantize_prepare, quantize_eval };
const xtml_kernel_t xtml_kernel_dequantize = { "DEQUANTIZE", dequantize_prepare, dequantize_eval };
