/*
 * xtml_quantize.c - QUANTIZE (float32 -> int8 or int16; requantization between
 * int8, int16 and int32 in the pairs TFLM takes: int8 -> int8, int16, int32;
 * int16 -> int8, int16, int32; int32 -> int8, int16) and DEQUANTIZE (int8 or
 * int16 -> float32), bit-exact with TensorFlow Lite Micro.
 *
 * int8 requantization of a tensor with 256 elements or more maps each of the
 * 256 possible inputs through TFLM's fixed-point multiplier once at prepare
 * and eval looks the results up; smaller tensors are computed directly.
 */
#include "xtml_internal.h"

/* The zero point within the tensor's type (int8 or int16; any for int32). */
static xtml_status_t expect_zero_point_in_type(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role) {
    int32_t lo = t->type == XTML_DTYPE_INT16 ? -32768 : -128;
    int32_t hi = t->type == XTML_DTYPE_INT16 ? 32767 : 127;
    if (t->type == XTML_DTYPE_INT32) {
        return XTML_STATUS_OK;
    }
    if (t->zero_point < lo || t->zero_point > hi) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "%s %d '%s' has zero point %d outside the %s range", role, (int)t->index,
                              t->name, (int)t->zero_point, xtml_dtype_name(t->type));
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

/* Quantized per tensor with a zero point within its type. */
static xtml_status_t expect_quantized_int(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role) {
    xtml_status_t st = xtml_prep_expect_quantized(p, t, role);
    if (st == XTML_STATUS_OK) {
        st = expect_zero_point_in_type(p, t, role);
    }
    return st;
}

static bool is_int8_or_int16(xtml_dtype_t type) {
    return type == XTML_DTYPE_INT8 || type == XTML_DTYPE_INT16;
}

/* ---- QUANTIZE ---- */

typedef struct quantize_params {
    int32_t count;
    uint8_t in_type;        /* xtml_dtype_t: float32, int8, int16 or int32 */
    uint8_t out_int16;      /* output int16 (else int8 or int32) */
    uint8_t out_int32;      /* output int32 */
    int32_t out_min;        /* the output type's range */
    int32_t out_max;
    float scale;            /* float32 input: output scale */
    int32_t zero_point;     /* output zero point */
    int32_t in_zero_point;  /* int8 input */
    int32_t multiplier;     /* int8 input: input scale / output scale */
    int shift;
    bool has_table;
    int8_t table[];         /* has_table: table[x + 128] is the output for x (int8 -> int8) */
} quantize_params_t;

/* TFLM's Requantize: (x - input zero point) times the scale ratio, plus the
 * output zero point, saturated to the output type. Both sums are int32 in
 * TFLM; with an int32 input or output they can leave int32, where they wrap
 * here as TFLM's do on two's-complement targets (unsigned arithmetic: no
 * undefined behaviour). */
static int32_t requantize_value(const quantize_params_t *qp, int32_t x) {
    int32_t d = (int32_t)((uint32_t)x - (uint32_t)qp->in_zero_point);
    int32_t v = xtml_mul_by_quantized_multiplier(d, qp->multiplier, qp->shift);
    v = (int32_t)((uint32_t)v + (uint32_t)qp->zero_point);
    return v < qp->out_min ? qp->out_min : (v > qp->out_max ? qp->out_max : v);
}

/*
 * zero_point + round(x / scale), rounding half away from zero (TFLM's
 * TfLiteRound, i.e. roundf), saturated to the output type. The quotient is
 * first clamped to +-2^17, which changes no result (the zero point is within
 * the output type) and keeps the conversion to int defined; NaN goes to the
 * minimum, as on x86-64. Below 2^23, q - trunc(q) is exact, so this rounding
 * equals roundf() without a libm call.
 */
static int32_t quantize_f32_value(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi) {
    float q = x / scale;
    float frac;
    int32_t v;
    if (!(q >= -131072.0f)) {
        q = -131072.0f;
    } else if (q > 131072.0f) {
        q = 131072.0f;
    }
    v = (int32_t)q;
    frac = q - (float)v;
    v += (frac >= 0.5f ? 1 : 0) - (frac <= -0.5f ? 1 : 0);
    v += zero_point;
    return v < lo ? lo : (v > hi ? hi : v);
}

static void quantize_f32(const quantize_params_t *qp, const float *in, void *out) {
    int32_t i;
    if (qp->out_int16) {
        for (i = 0; i < qp->count; ++i) {
            ((int16_t *)out)[i] = (int16_t)quantize_f32_value(in[i], qp->scale, qp->zero_point, -32768, 32767);
        }
    } else {
        for (i = 0; i < qp->count; ++i) {
            ((int8_t *)out)[i] = (int8_t)quantize_f32_value(in[i], qp->scale, qp->zero_point, -128, 127);
        }
    }
}

static void requantized_store(const quantize_params_t *qp, void *out, int32_t i, int32_t v) {
    if (qp->out_int32) {
        ((int32_t *)out)[i] = v;
    } else if (qp->out_int16) {
        ((int16_t *)out)[i] = (int16_t)v;
    } else {
        ((int8_t *)out)[i] = (int8_t)v;
    }
}

/* Element i is read before it is written, also to a wider type (the planner
 * only runs this in place when the sizes match). */
static void requantize(const quantize_params_t *qp, const void *in, void *out) {
    int32_t i;
    if (qp->has_table) {
        for (i = 0; i < qp->count; ++i) {
            ((int8_t *)out)[i] = qp->table[((const int8_t *)in)[i] + 128];
        }
    } else if (qp->in_type == XTML_DTYPE_INT32) {
        for (i = 0; i < qp->count; ++i) {
            requantized_store(qp, out, i, requantize_value(qp, ((const int32_t *)in)[i]));
        }
    } else if (qp->in_type == XTML_DTYPE_INT16) {
        for (i = 0; i < qp->count; ++i) {
            requantized_store(qp, out, i, requantize_value(qp, ((const int16_t *)in)[i]));
        }
    } else {
        for (i = 0; i < qp->count; ++i) {
            requantized_store(qp, out, i, requantize_value(qp, ((const int8_t *)in)[i]));
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
    if (in.type != XTML_DTYPE_FLOAT32 && !is_int8_or_int16(in.type) && in.type != XTML_DTYPE_INT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input %d '%s' is %s, expected float32, int8, int16 or int32", (int)in.index, in.name,
                              xtml_dtype_name(in.type));
    }
    if (!is_int8_or_int16(out.type) && out.type != XTML_DTYPE_INT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "output %d '%s' is %s, expected int8, int16 or int32", (int)out.index, out.name,
                              xtml_dtype_name(out.type));
    }
    /* TFLM's pairs: int32 out only from int8 or int16, float32 in only to int8 or int16 */
    if (out.type == XTML_DTYPE_INT32 && !is_int8_or_int16(in.type)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "%s input %d '%s' to int32 output %d '%s'",
                              xtml_dtype_name(in.type), (int)in.index, in.name, (int)out.index, out.name);
    }
    st = expect_quantized_int(p, &out, "output");
    if (st == XTML_STATUS_OK && out.n_scales != 1) {
        /* TFLM quantizes per tensor only */
        st = xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "output %d '%s' has %d scales, expected 1",
                            (int)out.index, out.name, (int)out.n_scales);
    }
    if (st == XTML_STATUS_OK && in.type != XTML_DTYPE_FLOAT32) {
        st = expect_quantized_int(p, &in, "input");
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
    has_table = in.type == XTML_DTYPE_INT8 && out.type == XTML_DTYPE_INT8 && in.count >= 256;
    if (in.type == out.type) {
        xtml_prep_inplace(p, 0, 0);   /* element i is read before it is written */
    }
    qp = (quantize_params_t *)XTML_PREP_PERSIST(p, quantize_params_t, has_table ? 256 : 0);
    if (qp == NULL) {
        return XTML_STATUS_OK;
    }
    qp->count = in.count;
    qp->in_type = (uint8_t)in.type;
    qp->out_int16 = out.type == XTML_DTYPE_INT16;
    qp->out_int32 = out.type == XTML_DTYPE_INT32;
    qp->out_min = out.type == XTML_DTYPE_INT32 ? INT32_MIN : (out.type == XTML_DTYPE_INT16 ? -32768 : -128);
    qp->out_max = out.type == XTML_DTYPE_INT32 ? INT32_MAX : (out.type == XTML_DTYPE_INT16 ? 32767 : 127);
    qp->scale = out.scale;
    qp->zero_point = out.zero_point;
    qp->in_zero_point = in.zero_point;
    qp->multiplier = multiplier;
    qp->shift = shift;
    qp->has_table = has_table;
    if (has_table) {
        for (x = -128; x <= 127; ++x) {
            qp->table[x + 128] = (int8_t)requantize_value(qp, x);
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t quantize_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const quantize_params_t *qp = (const quantize_params_t *)node->params;
    void *out = xtml_node_out(ctx, node, 0);
    if (qp->in_type == XTML_DTYPE_FLOAT32) {
        quantize_f32(qp, (const float *)xtml_node_in(ctx, node, 0), out);
    } else {
        requantize(qp, xtml_node_in(ctx, node, 0), out);
    }
    return XTML_STATUS_OK;
}

/* ---- DEQUANTIZE ---- */

typedef struct dequantize_params {
    int32_t count;
    float scale;
    int32_t zero_point;
    uint8_t in_int16;
} dequantize_params_t;

/*
 * TFLM computes (float)((double)scale * (x - zero_point)). With zero points
 * within the type the difference has at most 17 bits, so the double product
 * (24 + 17 bits) is exact and the result is that product rounded once to
 * float, which is exactly what the float multiply below returns (the
 * difference converts to float exactly); no double arithmetic needed on FPUs
 * without it.
 */
static void dequantize_f32(const dequantize_params_t *dp, const void *in, float *out) {
    int32_t i;
    if (dp->in_int16) {
        for (i = 0; i < dp->count; ++i) {
            out[i] = dp->scale * (float)(((const int16_t *)in)[i] - dp->zero_point);
        }
    } else {
        for (i = 0; i < dp->count; ++i) {
            out[i] = dp->scale * (float)(((const int8_t *)in)[i] - dp->zero_point);
        }
    }
}

static xtml_status_t dequantize_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    dequantize_params_t *dp;
    xtml_status_t st = expect_pair(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (!is_int8_or_int16(in.type)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input %d '%s' is %s, expected int8 or int16",
                              (int)in.index, in.name, xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_FLOAT32);
    if (st == XTML_STATUS_OK) {
        st = expect_quantized_int(p, &in, "input");
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
    dp->in_int16 = in.type == XTML_DTYPE_INT16;
    return XTML_STATUS_OK;
}

static xtml_status_t dequantize_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const dequantize_params_t *dp = (const dequantize_params_t *)node->params;
    dequantize_f32(dp, xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_quantize = { "QUANTIZE", quantize_prepare, quantize_eval };
const xtml_kernel_t xtml_kernel_dequantize = { "DEQUANTIZE", dequantize_prepare, dequantize_eval };
