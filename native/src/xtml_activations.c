/*
 * xtml_activations.c - SOFTMAX, LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU,
 * HARD_SWISH, ELU, LOG_SOFTMAX and L2_NORMALIZATION, bit-exact with TensorFlow Lite Micro's reference kernels.
 *
 * The int8 paths reproduce TFLM's integer arithmetic, including gemmlowp's
 * fixed-point exp, logistic, tanh and Newton-Raphson reciprocal. Every int8
 * activation except SOFTMAX maps one input value to one output value with
 * parameters fixed at prepare; when the tensor has at least 256 elements,
 * prepare evaluates it once for each possible input and eval looks the
 * results up. The table is then no larger than the tensor and costs less than
 * one pass over it; smaller tensors are computed element by element with the
 * same per-value function.
 *
 * Float kernels follow TFLM's operation order. Every intermediate is stored
 * in a float variable, which C99 rounds to float, so x87 excess precision on
 * 32-bit x86 cannot change a result. Where TFLM calls the C library's expf()
 * or tanhf(), which differ between C libraries, the core's own
 * xtml_exp_f32() and xtml_tanh_f32() (xtml_fmath.c) run instead, so every
 * build gives the same bits.
 *
 * TFLM behaviours kept on purpose (the core must match TFLM, not TFLite):
 *   - int8 RELU6 clamps raw input values to [zero point, q(6)] of the INPUT
 *     and ignores the output quantization.
 *   - int8 LOGISTIC requires output zero point -128 but ignores the output
 *     scale (the result is always in steps of 1/256); int8 TANH ignores the
 *     output quantization entirely (steps of 1/128, zero point 0).
 * Refused like TFLM refuses them: int8 SOFTMAX with an output other than
 * scale 1/256 zero point -128 (int16: 1/65536, -32768), int8 LOGISTIC with an
 * output zero point other than -128, HARD_SWISH whose output multiplier would
 * need a left shift, SOFTMAX whose beta * input scale gives no usable
 * multiplier (TFLM aborts there).
 */
#include <float.h>
#include <math.h>   /* roundf: exact, the same in every C library */

#include "xtml_internal.h"

/* ---- gemmlowp fixed point on int32 ----
 * A raw int32 in format Qm.(31-m) holds raw / 2^(31-m). */

static int32_t srdhm(int32_t a, int32_t b) {
    return xtml_saturating_rounding_doubling_high_mul(a, b);
}

static int32_t rdbpot(int32_t x, int exponent) {
    return xtml_rounding_divide_by_pot(x, exponent);
}

/* x * 2^e, 0 <= e <= 5, saturating; like gemmlowp, values beyond
 * +-(2^(31-e) - 1) saturate. */
static int32_t sat_shl(int32_t x, int e) {
    int32_t limit = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
    if (x > limit) {
        return INT32_MAX;
    }
    if (x < -limit) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* (a + b) / 2 rounded half away from zero. */
static int32_t rounding_half_sum(int32_t a, int32_t b) {
    int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: a Taylor series around -1/8. */
static int32_t exp_quarter_q0(int32_t a) {
    const int32_t exp_minus_eighth = 1895147668;
    const int32_t one_third = 715827883;
    int32_t x = a + (1 << 28);
    int32_t x2 = srdhm(x, x);
    int32_t x3 = srdhm(x2, x);
    int32_t x4 = srdhm(x2, x2);
    int32_t tail = rdbpot(srdhm(rdbpot(x4, 2) + x3, one_third) + x2, 1);
    return exp_minus_eighth + srdhm(exp_minus_eighth, x + tail);
}

/*
 * exp(a) for a <= 0 in Q(int_bits).(31-int_bits), int_bits <= 5; result Q0.31.
 * a = r - k/4 with r in [-1/4, 0): exp(r) times exp(-2^j) for each bit j set
 * in the multiple of 1/4.
 */
static int32_t exp_negative_q0(int32_t a, int int_bits) {
    /* exp(-2^j) in Q0.31 for j = -2 .. 4 */
    static const int32_t exp_minus_pow2[7] = { 1672461947, 1302514674, 790015084, 290630308,
                                               39332535,   720401,     242 };
    int frac_bits = 31 - int_bits;
    int32_t quarter = (int32_t)1 << (frac_bits - 2);
    int32_t r = (a & (quarter - 1)) - quarter;
    uint32_t multiples = (uint32_t)r - (uint32_t)a;
    int32_t result;
    int j;
    if (a == 0) {
        return INT32_MAX;
    }
    result = exp_quarter_q0(sat_shl(r, int_bits));
    for (j = -2; j <= 4 && j < int_bits; ++j) {
        if (multiples & ((uint32_t)1 << (frac_bits + j))) {
            result = srdhm(result, exp_minus_pow2[j + 2]);
        }
    }
    return result;
}

/* 1 / half_denominator for half_denominator in [1/2, 1) (Q0.31), by three
 * Newton-Raphson steps from 48/17 - 32/17 d; result Q2.29. */
static int32_t reciprocal_q2(int32_t half_denominator) {
    int32_t x = 1515870810 + srdhm(half_denominator, -1010580540);
    int i;
    for (i = 0; i < 3; ++i) {
        int32_t one_minus_dx = (1 << 29) - srdhm(half_denominator, x);
        x = x + sat_shl(srdhm(x, one_minus_dx), 2);
    }
    return x;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31. */
static int32_t one_over_one_plus_q0(int32_t a) {
    return sat_shl(reciprocal_q2(rounding_half_sum(a, INT32_MAX)), 1);
}

/* (1 - a) / (1 + a) for a in (0, 1), Q0.31. */
static int32_t one_minus_over_one_plus_q0(int32_t a) {
    return sat_shl(reciprocal_q2(rounding_half_sum(a, INT32_MAX)) - (1 << 29), 2);
}

/* logistic(a), a in Q4.27, result Q0.31. */
static int32_t logistic_q0(int32_t a) {
    int32_t positive_half;
    if (a == 0) {
        return 1 << 30;
    }
    positive_half = one_over_one_plus_q0(exp_negative_q0(a > 0 ? -a : a, 4));
    return a > 0 ? positive_half : INT32_MAX - positive_half;
}

/* tanh(a), a in Q4.27, result Q0.31: (1 - exp(-2|a|)) / (1 + exp(-2|a|));
 * -|a| read as Q5.26 is -2|a|. */
static int32_t tanh_q0(int32_t a) {
    int32_t t;
    if (a == 0) {
        return 0;
    }
    t = one_minus_over_one_plus_q0(exp_negative_q0(a < 0 ? a : -a, 5));
    return a < 0 ? -t : t;
}

static int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static int clz_u32(uint32_t x) {
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* ---- shared prepare checks ---- */

static xtml_status_t expect_zero_point_s8(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role) {
    if (t->zero_point < -128 || t->zero_point > 127) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "%s %d '%s' has zero point %d outside the int8 range", role, (int)t->index,
                              t->name, (int)t->zero_point);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t expect_io_counts(xtml_prep_t *p) {
    if (xtml_prep_n_inputs(p) != 1 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected 1 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    return XTML_STATUS_OK;
}

/* int16 tensors: zero point 0 where TFLM requires it (zero_only), else within int16. */
static xtml_status_t expect_zero_point_s16(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, bool zero_only) {
    if (!zero_only && t->zero_point >= -32768 && t->zero_point <= 32767) {
        return XTML_STATUS_OK;
    }
    if (t->zero_point != 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "%s %d '%s' has zero point %d, int16 needs 0",
                              role, (int)t->index, t->name, (int)t->zero_point);
    }
    return XTML_STATUS_OK;
}

/* How a unary operator takes int16 tensors. */
enum { UNARY_NO_INT16, UNARY_INT16, UNARY_INT16_ZP0 };

/* One input, one output of the same type (int8, float32, or int16 where the
 * operator takes it) and shape; int8 tensors quantized per tensor with an int8
 * zero point, int16 ones per tensor with zero point 0 (UNARY_INT16_ZP0) or
 * one within int16. */
static xtml_status_t unary_check_types(xtml_prep_t *p, xtml_tinfo_t *in, xtml_tinfo_t *out, int int16) {
    xtml_status_t st = expect_io_counts(p);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, in);
    xtml_prep_output(p, 0, out);
    if (in->type == XTML_DTYPE_INT16 && int16 != UNARY_NO_INT16) {
        st = xtml_prep_expect_type(p, out, "output", in->type);
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_same_shape(p, in, "input", out, "output");
        }
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, in, "input");
        }
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, out, "output");
        }
        if (st == XTML_STATUS_OK) {
            st = expect_zero_point_s16(p, in, "input", int16 == UNARY_INT16_ZP0);
        }
        if (st == XTML_STATUS_OK) {
            st = expect_zero_point_s16(p, out, "output", int16 == UNARY_INT16_ZP0);
        }
        return st;
    }
    if (in->type != XTML_DTYPE_INT8 && in->type != XTML_DTYPE_FLOAT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              int16 != UNARY_NO_INT16 ? "input %d '%s' is %s, expected int8, int16 or float32"
                                    : "input %d '%s' is %s, expected int8 or float32",
                              (int)in->index, in->name, xtml_dtype_name(in->type));
    }
    st = xtml_prep_expect_type(p, out, "output", in->type);
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_same_shape(p, in, "input", out, "output");
    }
    if (st == XTML_STATUS_OK && in->type == XTML_DTYPE_INT8) {
        st = xtml_prep_expect_quantized(p, in, "input");
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, out, "output");
        }
        if (st == XTML_STATUS_OK) {
            st = expect_zero_point_s8(p, in, "input");
        }
        if (st == XTML_STATUS_OK) {
            st = expect_zero_point_s8(p, out, "output");
        }
    }
    return st;
}

static xtml_status_t unary_check(xtml_prep_t *p, xtml_tinfo_t *in, xtml_tinfo_t *out) {
    return unary_check_types(p, in, out, UNARY_NO_INT16);
}

/* Quantized multiplier of a requantization; refuses left shifts beyond 30,
 * where TFLM's x * (1 << shift) overflows (a scale ratio above 2^30). */
static xtml_status_t requant_multiplier(xtml_prep_t *p, float real, const char *what, int32_t *multiplier,
                                        int *shift) {
    xtml_quantize_f32(real, multiplier, shift);
    if (*shift > 30) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "%s multiplier %s is too large", what,
                              XTML_F32(real));
    }
    return XTML_STATUS_OK;
}

/* ---- int8 unary activations: one output per input value ---- */

/* LOGISTIC, TANH: input - zero point rescaled to Q4.27. */
typedef struct sigmoid_q {
    int32_t zero_point;
    int32_t radius;       /* |input - zero point| >= radius saturates */
    int32_t multiplier;
    int shift;
} sigmoid_q_t;

/* int16 LOGISTIC, TANH: input rescaling x * multiplier (rounded) >> shift. */
typedef struct sigmoid16_q {
    int32_t multiplier;
    int32_t shift;
    int32_t round;
} sigmoid16_q_t;

/* RELU: requantization clamped below at real 0. */
typedef struct relu_q {
    int32_t in_zero_point;
    int32_t out_zero_point;
    int32_t lo;
    int32_t hi;           /* the output type's maximum */
    int32_t multiplier;
    int shift;
} relu_q_t;

/* RELU6: a clamp of raw values. */
typedef struct relu6_q {
    int32_t lo;
    int32_t hi;
} relu6_q_t;

/* LEAKY_RELU: separate multipliers for x >= 0 and x < 0. */
typedef struct leaky_q {
    int32_t in_zero_point;
    int32_t out_zero_point;
    int32_t m_identity;
    int32_t m_alpha;        /* magnitude; alpha_negative gives the sign */
    int s_identity;
    int s_alpha;
    bool alpha_negative;
    int32_t lo;           /* the output type's range */
    int32_t hi;
} leaky_q_t;

/* HARD_SWISH: int16 fixed point. */
typedef struct hard_swish_q {
    int32_t in_zero_point;
    int32_t out_zero_point;
    int32_t reluish_multiplier;    /* Q0.15 */
    int reluish_exponent;
    int32_t output_multiplier;     /* Q0.15 */
    int output_exponent;           /* <= 0 */
} hard_swish_q_t;

/* ELU: TFLM's table from float arithmetic (PopulateLookupTable). */
typedef struct elu_q {
    float in_scale;
    int32_t in_zero_point;
    int32_t out_zero_point;
    float inv_out_scale;    /* 1 / output scale, rounded to float as TFLM does */
} elu_q_t;

typedef union unary_q {
    sigmoid_q_t sigmoid;
    sigmoid16_q_t sigmoid16;
    elu_q_t elu;
    relu_q_t relu;
    relu6_q_t relu6;
    leaky_q_t leaky;
    hard_swish_q_t hard_swish;
} unary_q_t;

/* Output for int8 input x, in [-128, 127]. */
typedef int32_t (*unary_s8_fn)(const unary_q_t *q, int32_t x);

/* A float32 unary kernel; alpha is LEAKY_RELU's slope, ignored by the others. */
typedef void (*unary_f32_fn)(const float *in, float *out, int32_t count, float alpha);

typedef struct unary_params {
    int32_t count;
    xtml_dtype_t type;     /* int8, int16 or float32 */
    float alpha;           /* LEAKY_RELU float32 */
    unary_s8_fn value;     /* int8 and int16 */
    unary_f32_fn f32;      /* float32 */
    unary_q_t q;
    bool has_table;
    int8_t table[];        /* has_table: table[x + 128] = value(q, x) */
} unary_params_t;

/*
 * The common end of every unary prepare: parameters, and for int8 tensors of
 * 256 elements or more the table of all outputs. Each kernel reads element i
 * before writing element i of the same size, so it may run in place.
 */
static xtml_status_t unary_finish(xtml_prep_t *p, const xtml_tinfo_t *in, unary_s8_fn value,
                                  unary_f32_fn f32, const unary_q_t *q, float alpha) {
    bool has_table = in->type == XTML_DTYPE_INT8 && in->count >= 256;
    unary_params_t *up;
    int32_t x;
    xtml_prep_inplace(p, 0, 0);
    up = (unary_params_t *)XTML_PREP_PERSIST(p, unary_params_t, has_table ? 256 : 0);
    if (up == NULL) {
        return XTML_STATUS_OK;
    }
    up->count = in->count;
    up->type = in->type;
    up->alpha = alpha;
    up->value = value;
    up->f32 = f32;
    up->q = *q;
    up->has_table = has_table;
    if (has_table) {
        for (x = -128; x <= 127; ++x) {
            up->table[x + 128] = (int8_t)value(q, x);
        }
    }
    return XTML_STATUS_OK;
}

static void unary_s8(const unary_params_t *up, const int8_t *in, int8_t *out) {
    int32_t i;
    if (up->has_table) {
        for (i = 0; i < up->count; ++i) {
            out[i] = up->table[in[i] + 128];
        }
    } else {
        for (i = 0; i < up->count; ++i) {
            out[i] = (int8_t)up->value(&up->q, in[i]);
        }
    }
}

static void unary_s16(const unary_params_t *up, const int16_t *in, int16_t *out) {
    int32_t i;
    for (i = 0; i < up->count; ++i) {
        out[i] = (int16_t)up->value(&up->q, in[i]);
    }
}

/* The eval of every unary operator. */
static xtml_status_t unary_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const unary_params_t *up = (const unary_params_t *)node->params;
    if (up->type == XTML_DTYPE_INT8) {
        unary_s8(up, (const int8_t *)xtml_node_in(ctx, node, 0), (int8_t *)xtml_node_out(ctx, node, 0));
    } else if (up->type == XTML_DTYPE_INT16) {
        unary_s16(up, (const int16_t *)xtml_node_in(ctx, node, 0), (int16_t *)xtml_node_out(ctx, node, 0));
    } else {
        up->f32((const float *)xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0), up->count,
                up->alpha);
    }
    return XTML_STATUS_OK;
}

/* ---- int16 LOGISTIC and TANH: TFLite's interpolated table ----
 *
 * TFLite's 16-bit logistic and tanh look |x| up in one table of the sigmoid:
 * entry i is sigmoid(i / 24) in unsigned Q0.16 (TFLite's published values,
 * which depart from the rounded sigmoid by a step in places: they are the
 * kernel's data, so the same numbers are needed for the same results), and
 * interpolate linearly between entries. tanh(x) = 2 sigmoid(2x) - 1 reads the
 * same table at twice the rate. The input is first brought to steps of
 * 1 / (3 * 4096), which puts +-10.7 at +-2^17.
 */
static const uint16_t sigmoid_q16_table[256] = {
    0x8000, 0x82AB, 0x8555, 0x87FD, 0x8AA5, 0x8D49, 0x8FEB, 0x9289,
    0x9524, 0x97B9, 0x9A4A, 0x9CD5, 0x9F5A, 0xA1D8, 0xA450, 0xA6C0,
    0xA928, 0xAB88, 0xADDF, 0xB02E, 0xB273, 0xB4AF, 0xB6E1, 0xB909,
    0xBB27, 0xBD3B, 0xBF44, 0xC143, 0xC337, 0xC520, 0xC6FE, 0xC8D1,
    0xCA99, 0xCC57, 0xCE09, 0xCFB1, 0xD14D, 0xD2DF, 0xD466, 0xD5E3,
    0xD755, 0xD8BD, 0xDA1A, 0xDB6E, 0xDCB7, 0xDDF7, 0xDF2D, 0xE059,
    0xE17C, 0xE297, 0xE3A8, 0xE4B0, 0xE5B0, 0xE6A8, 0xE798, 0xE87F,
    0xE95F, 0xEA37, 0xEB08, 0xEBD2, 0xEC95, 0xED51, 0xEE07, 0xEEB6,
    0xEF5F, 0xF001, 0xF09F, 0xF136, 0xF1C8, 0xF254, 0xF2DC, 0xF35E,
    0xF3DC, 0xF455, 0xF4CA, 0xF53A, 0xF5A6, 0xF60E, 0xF672, 0xF6D2,
    0xF72F, 0xF788, 0xF7DE, 0xF830, 0xF87F, 0xF8CB, 0xF915, 0xF95B,
    0xF99F, 0xF9E0, 0xFA1E, 0xFA5A, 0xFA94, 0xFACC, 0xFB01, 0xFB34,
    0xFB65, 0xFB95, 0xFBC2, 0xFBEE, 0xFC18, 0xFC40, 0xFC66, 0xFC8C,
    0xFCAF, 0xFCD1, 0xFCF2, 0xFD12, 0xFD30, 0xFD4D, 0xFD69, 0xFD84,
    0xFD9E, 0xFDB6, 0xFDCE, 0xFDE5, 0xFDFB, 0xFE0F, 0xFE24, 0xFE37,
    0xFE49, 0xFE5B, 0xFE6C, 0xFE7D, 0xFE8C, 0xFE9B, 0xFEAA, 0xFEB8,
    0xFEC5, 0xFED2, 0xFEDE, 0xFEEA, 0xFEF5, 0xFF00, 0xFF0B, 0xFF15,
    0xFF1E, 0xFF27, 0xFF30, 0xFF39, 0xFF41, 0xFF48, 0xFF50, 0xFF57,
    0xFF5E, 0xFF65, 0xFF6B, 0xFF71, 0xFF77, 0xFF7C, 0xFF82, 0xFF87,
    0xFF8C, 0xFF91, 0xFF95, 0xFF99, 0xFF9E, 0xFFA2, 0xFFA5, 0xFFA9,
    0xFFAD, 0xFFB0, 0xFFB3, 0xFFB6, 0xFFB9, 0xFFBC, 0xFFBF, 0xFFC2,
    0xFFC4, 0xFFC7, 0xFFC9, 0xFFCB, 0xFFCD, 0xFFD0, 0xFFD1, 0xFFD3,
    0xFFD5, 0xFFD7, 0xFFD9, 0xFFDA, 0xFFDC, 0xFFDD, 0xFFDF, 0xFFE0,
    0xFFE1, 0xFFE3, 0xFFE4, 0xFFE5, 0xFFE6, 0xFFE7, 0xFFE8, 0xFFE9,
    0xFFEA, 0xFFEB, 0xFFEC, 0xFFED, 0xFFED, 0xFFEE, 0xFFEF, 0xFFF0,
    0xFFF0, 0xFFF1, 0xFFF2, 0xFFF2, 0xFFF3, 0xFFF3, 0xFFF4, 0xFFF4,
    0xFFF5, 0xFFF5, 0xFFF6, 0xFFF6, 0xFFF6, 0xFFF7, 0xFFF7, 0xFFF8,
    0xFFF8, 0xFFF8, 0xFFF9, 0xFFF9, 0xFFF9, 0xFFF9, 0xFFFA, 0xFFFA,
    0xFFFA, 0xFFFA, 0xFFFB, 0xFFFB, 0xFFFB, 0xFFFB, 0xFFFB, 0xFFFC,
    0xFFFC, 0xFFFC, 0xFFFC, 0xFFFC, 0xFFFC, 0xFFFD, 0xFFFD, 0xFFFD,
    0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFE, 0xFFFE, 0xFFFE,
    0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFF,
};

static int32_t sigmoid16_input(const sigmoid16_q_t *q, int32_t x) {
    return (x * q->multiplier + q->round) >> q->shift;
}

/* sigmoid(v / (3 * 4096)) in Q0.15 (v already in the table's steps). */
int32_t xtml_sigmoid16_interp(int32_t v) {
    uint32_t mag = (uint32_t)(v < 0 ? -(int64_t)v : v);
    uint32_t idx = mag >> 9;
    uint32_t r;
    if (idx >= 255) {
        r = 0x7FFFu << 10;
    } else {
        uint32_t lo = sigmoid_q16_table[idx];
        uint32_t hi = sigmoid_q16_table[idx + 1];
        r = (lo << 9) + (mag & 0x1FFu) * (hi - lo);
    }
    /* sigmoid(-x) = 1 - sigmoid(x); Q0.25 back to Q0.15, rounded */
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int32_t)(r >> 10);
}

/* tanh(v / (3 * 4096 / 2)) in Q0.15: the same table at twice the rate. */
int32_t xtml_tanh16_interp(int32_t v) {
    uint32_t mag = (uint32_t)(v < 0 ? -(int64_t)v : v);
    uint32_t idx = mag >> 8;
    int32_t r;
    if (idx >= 255) {
        r = 0xFFFF << 8;
    } else {
        int32_t lo = sigmoid_q16_table[idx];
        int32_t hi = sigmoid_q16_table[idx + 1];
        r = (lo << 8) + (int32_t)(mag & 0xFFu) * (hi - lo);
    }
    /* 2 sigmoid - 1 and its odd symmetry, Q0.24 to Q0.15, rounded */
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return r >> 8;
}

static int32_t logistic_s16_value(const unary_q_t *u, int32_t x) {
    return xtml_sigmoid16_interp(sigmoid16_input(&u->sigmoid16, x));
}

static int32_t tanh_s16_value(const unary_q_t *u, int32_t x) {
    return xtml_tanh16_interp(sigmoid16_input(&u->sigmoid16, x));
}

/*
 * TFLite's CheckedLog2: log2(x) = log(x) * (1 / log 2) in float, rounded;
 * true when within 1e-3 of that integer (the core's log is within an ulp of
 * the C library's, which only matters at that edge).
 */
static bool checked_log2(float x, int *log2_rounded) {
    volatile float inv_ln2 = 1.0f / xtml_log_f32(2.0f);
    volatile float l = xtml_log_f32(x) * inv_ln2;
    float r = roundf(l);
    volatile float frac = l - r;
    *log2_rounded = r > 1000.0f ? 1000 : (r < -1000.0f ? -1000 : (int)r);
    return frac < 1e-3f && frac > -1e-3f;
}

/*
 * The input rescaling, as TFLM's prepare: a power-of-two scale of 2^-12 (TANH
 * also 2^-11) multiplies by 3 (6); any other scale takes scale * 3 * 4096
 * doubled while at most 32767 / 2 (up to 31 times) and truncated, the shift
 * counting the doublings. Then the output scale must be 2^-15.
 */
static xtml_status_t sigmoid16_q_init(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out,
                                      bool is_tanh, sigmoid16_q_t *q) {
    int in_log2 = 0, out_log2 = 0;
    bool pot = checked_log2(in->scale, &in_log2);
    int left = 12 + in_log2;
    if (pot && (left == 0 || (is_tanh && left == 1))) {
        q->multiplier = 3 << left;
        q->shift = 0;
    } else {
        /* scale = m * 2^e with m a 24-bit integer; scale * 12288 * 2^k is
         * (3 m) * 2^(e + 12 + k), exact (TFLM computes it in double) */
        uint32_t bits;
        uint64_t m3;
        int32_t e, k = 0;
        memcpy(&bits, &in->scale, sizeof bits);
        e = (int32_t)((bits >> 23) & 0xFFu);
        m3 = 3u * (uint64_t)((bits & 0x7FFFFFu) | (e != 0 ? 0x800000u : 0u));
        e = (e != 0 ? e : 1) - 150 + 12;
        /* while m3 * 2^(e + k) <= 16383.5, i.e. m3 * 2^(e + k + 1) <= 32767 */
        while (k <= 30) {
            int32_t t = e + k + 1;
            bool small = t >= 0 ? (t < 16 && (m3 << t) <= 32767u) : (t <= -40 || m3 <= ((uint64_t)32767 << -t));
            if (!small) {
                break;
            }
            ++k;
        }
        {
            int32_t t = e + k;
            uint64_t mult = t >= 0 ? (t < 16 ? m3 << t : 65536u) : (t <= -40 ? 0 : m3 >> -t);
            if (mult > 32767u) {
                /* TFLM asserts the multiplier fits 15 bits (a scale above ~2.7) */
                return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                      "input %d '%s' scale %s is too large for int16", (int)in->index, in->name,
                                      XTML_F32(in->scale));
            }
            q->multiplier = (int32_t)mult;
        }
        q->shift = k;
    }
    q->round = q->shift > 0 ? 1 << (q->shift - 1) : 0;
    if (!checked_log2(out->scale, &out_log2) || out_log2 != -15) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "output %d '%s' scale %s: int16 %s needs 2^-15", (int)out->index, out->name,
                              XTML_F32(out->scale), is_tanh ? "TANH" : "LOGISTIC");
    }
    return XTML_STATUS_OK;
}

/* ---- LOGISTIC and TANH ---- */

static xtml_status_t sigmoid_q_init(xtml_prep_t *p, const xtml_tinfo_t *in, sigmoid_q_t *q) {
    /* input * scale in Q4.27: multiplier scale * 2^27, split by frexp and
     * rounded (exact: a float has 24 significant bits) */
    int k;
    xtml_quantize_f32_mul_div(in->scale, 134217728.0f, 1.0f, &q->multiplier, &q->shift);
    if (q->multiplier == 0) {
        /* a frexp exponent below -31, which the quantization flushes to 0 */
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input %d '%s' scale %s is too small",
                              (int)in->index, in->name, XTML_F32(in->scale));
    }
    q->zero_point = in->zero_point;
    /* largest |input| whose rescaled value stays below 15 (Q4.27 headroom):
     * floor(15 * 2^(27 - shift)), at most 2^30 */
    k = 27 - q->shift;
    q->radius = k >= 27 ? 1073741824 : (k >= 0 ? 15 << k : (k > -4 ? 15 >> -k : 0));
    return XTML_STATUS_OK;
}

static int32_t logistic_s8_value(const unary_q_t *u, int32_t x) {
    const sigmoid_q_t *q = &u->sigmoid;
    int32_t input = x - q->zero_point;
    int32_t out;
    if (input <= -q->radius) {
        return -128;
    }
    if (input >= q->radius) {
        return 127;
    }
    out = rdbpot(logistic_q0(xtml_mul_by_quantized_multiplier(input, q->multiplier, q->shift)), 23);
    return clamp_i32(out - 128, -128, 127);
}

static int32_t tanh_s8_value(const unary_q_t *u, int32_t x) {
    const sigmoid_q_t *q = &u->sigmoid;
    int32_t input = x - q->zero_point;
    int32_t out;
    if (input <= -q->radius) {
        return -128;
    }
    if (input >= q->radius) {
        return 127;
    }
    out = rdbpot(tanh_q0(xtml_mul_by_quantized_multiplier(input, q->multiplier, q->shift)), 24);
    return clamp_i32(out, -128, 127);
}

/* TFLM's float LOGISTIC: its cut-offs, then 1 / (1 + e^-x). */
static void logistic_f32(const float *in, float *out, int32_t count, float alpha) {
    (void)alpha;
    int32_t i;
    for (i = 0; i < count; ++i) {
        float x = in[i];
        float r;
        if (x > 16.619047164916992188f) {
            r = 1.0f;
        } else if (x < -9.0f) {
            r = xtml_exp_f32(x);
        } else {
            float e = xtml_exp_f32(-x);
            float d = 1.0f + e;
            r = 1.0f / d;
        }
        out[i] = r;
    }
}

static void tanh_f32(const float *in, float *out, int32_t count, float alpha) {
    (void)alpha;
    int32_t i;
    for (i = 0; i < count; ++i) {
        out[i] = xtml_tanh_f32(in[i]);
    }
}


static xtml_status_t logistic_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    unary_q_t q;
    xtml_status_t st = unary_check_types(p, &in, &out, UNARY_INT16_ZP0);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&q, 0, sizeof q);
    if (in.type == XTML_DTYPE_INT16) {
        st = sigmoid16_q_init(p, &in, &out, false, &q.sigmoid16);
        if (st != XTML_STATUS_OK) {
            return st;
        }
        return unary_finish(p, &in, logistic_s16_value, logistic_f32, &q, 0.0f);
    }
    if (in.type == XTML_DTYPE_INT8) {
        if (out.zero_point != -128) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "output %d '%s' has zero point %d, int8 LOGISTIC needs -128",
                                  (int)out.index, out.name, (int)out.zero_point);
        }
        st = sigmoid_q_init(p, &in, &q.sigmoid);
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }
    return unary_finish(p, &in, logistic_s8_value, logistic_f32, &q, 0.0f);
}


static xtml_status_t tanh_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    unary_q_t q;
    xtml_status_t st = unary_check_types(p, &in, &out, UNARY_INT16_ZP0);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&q, 0, sizeof q);
    if (in.type == XTML_DTYPE_INT16) {
        st = sigmoid16_q_init(p, &in, &out, true, &q.sigmoid16);
        if (st != XTML_STATUS_OK) {
            return st;
        }
        return unary_finish(p, &in, tanh_s16_value, tanh_f32, &q, 0.0f);
    }
    if (in.type == XTML_DTYPE_INT8) {
        st = sigmoid_q_init(p, &in, &q.sigmoid);
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }
    return unary_finish(p, &in, tanh_s8_value, tanh_f32, &q, 0.0f);
}


/* ---- RELU and RELU6 ---- */

static int32_t relu_s8_value(const unary_q_t *u, int32_t x) {
    const relu_q_t *q = &u->relu;
    int32_t v = xtml_mul_by_quantized_multiplier(x - q->in_zero_point, q->multiplier, q->shift);
    return clamp_i32(q->out_zero_point + v, q->lo, q->hi);
}

static int32_t relu6_s8_value(const unary_q_t *u, int32_t x) {
    const relu6_q_t *q = &u->relu6;
    return x > q->hi ? q->hi : (x < q->lo ? q->lo : x);
}

static void relu_f32(const float *in, float *out, int32_t count, float alpha) {
    (void)alpha;
    int32_t i;
    for (i = 0; i < count; ++i) {
        float x = in[i];
        out[i] = x < 0.0f ? 0.0f : x;
    }
}

static void relu6_f32(const float *in, float *out, int32_t count, float alpha) {
    (void)alpha;
    int32_t i;
    for (i = 0; i < count; ++i) {
        float x = in[i];
        out[i] = x > 6.0f ? 6.0f : (x < 0.0f ? 0.0f : x);
    }
}

static xtml_status_t relu_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    unary_q_t q;
    xtml_status_t st = unary_check_types(p, &in, &out, UNARY_INT16_ZP0);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&q, 0, sizeof q);
    if (in.type != XTML_DTYPE_FLOAT32) {
        /* TFLM divides the scales in float, then widens */
        volatile float ratio = in.scale / out.scale;
        st = requant_multiplier(p, ratio, "input/output scale", &q.relu.multiplier, &q.relu.shift);
        if (st != XTML_STATUS_OK) {
            return st;
        }
        q.relu.in_zero_point = in.zero_point;
        q.relu.out_zero_point = out.zero_point;
        /* the clamp at real 0 is the output zero point: round(0 / scale) = 0
         * (int16: zero points 0) */
        q.relu.lo = out.zero_point > -128 ? out.zero_point : -128;
        q.relu.hi = in.type == XTML_DTYPE_INT16 ? 32767 : 127;
    }
    return unary_finish(p, &in, relu_s8_value, relu_f32, &q, 0.0f);
}


static xtml_status_t relu6_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    unary_q_t q;
    xtml_status_t st = unary_check_types(p, &in, &out, UNARY_INT16);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&q, 0, sizeof q);
    if (in.type != XTML_DTYPE_FLOAT32) {
        /* TFLM clamps raw input values to [zero point, q(6.0)] of the input,
         * q(6.0) = round(6 / scale) + zero point saturated to the type; the
         * output quantization is not consulted. */
        const int32_t type_max = in.type == XTML_DTYPE_INT16 ? 32767 : 127;
        const int32_t type_min = in.type == XTML_DTYPE_INT16 ? -32768 : -128;
        float steps = roundf(6.0f / in.scale);    /* >= 0, perhaps infinite */
        int32_t six = steps > 100000.0f ? 100000 : (int32_t)steps + in.zero_point;
        q.relu6.hi = six > type_max ? type_max : (six < type_min ? type_min : six);
        q.relu6.lo = in.zero_point;
    }
    return unary_finish(p, &in, relu6_s8_value, relu6_f32, &q, 0.0f);
}


/* ---- LEAKY_RELU ---- */

static int32_t leaky_relu_s8_value(const unary_q_t *u, int32_t x) {
    const leaky_q_t *q = &u->leaky;
    int32_t input = x - q->in_zero_point;
    int32_t v;
    if (input >= 0) {
        v = xtml_mul_by_quantized_multiplier(input, q->m_identity, q->s_identity);
    } else {
        v = xtml_mul_by_quantized_multiplier(input, q->m_alpha, q->s_alpha);
        v = q->alpha_negative ? -v : v;
    }
    return clamp_i32(q->out_zero_point + v, q->lo, q->hi);
}

static void leaky_relu_f32(const float *in, float *out, int32_t count, float alpha) {
    int32_t i;
    for (i = 0; i < count; ++i) {
        float x = in[i];
        float neg = x * alpha;
        out[i] = x > 0.0f ? x : neg;
    }
}

static xtml_status_t leaky_relu_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    unary_q_t q;
    float alpha;
    xtml_status_t st = unary_check_types(p, &in, &out, UNARY_INT16);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    st = xtml_prep_options(p, XTML_OPTS_LEAKY_RELU, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    alpha = xtml_fb_f32(&opts, 0, 0.0f);
    memset(&q, 0, sizeof q);
    if (in.type != XTML_DTYPE_FLOAT32) {
        /* TFLM: alpha multiplier (in_scale * alpha) / out_scale and identity
         * multiplier in_scale / out_scale, both in float, then widened. */
        volatile float scaled_alpha = in.scale * alpha;
        volatile float alpha_ratio = scaled_alpha / out.scale;
        volatile float identity_ratio = in.scale / out.scale;
        leaky_q_t *l = &q.leaky;
        st = requant_multiplier(p, alpha_ratio, "alpha", &l->m_alpha, &l->s_alpha);
        if (st == XTML_STATUS_OK) {
            st = requant_multiplier(p, identity_ratio, "input/output scale", &l->m_identity, &l->s_identity);
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
        /* a negative alpha is applied as a positive multiplier, then negated */
        l->alpha_negative = l->m_alpha < 0;
        if (l->alpha_negative) {
            l->m_alpha = -l->m_alpha;
        }
        l->in_zero_point = in.zero_point;
        l->out_zero_point = out.zero_point;
        l->lo = in.type == XTML_DTYPE_INT16 ? -32768 : -128;
        l->hi = in.type == XTML_DTYPE_INT16 ? 32767 : 127;
    }
    return unary_finish(p, &in, leaky_relu_s8_value, leaky_relu_f32, &q, alpha);
}


/* ---- HARD_SWISH: x * relu6(x + 3) / 6 ----
 * The int8 path works in int16 fixed point: the input on a "high resolution"
 * scale (scale / 128), a "reluish" factor in [0, 1] from rescaling x so that
 * 3.0 is 32768, and an output multiplier that must not shift left. */

/* The Q0.31 multiplier rounded to Q0.15. */
static int32_t multiplier_to_q15(int32_t m) {
    if (m >= INT32_MAX - (1 << 15)) {
        return INT16_MAX;
    }
    return (m + (1 << 15)) >> 16;
}

static int32_t srdhm16(int32_t a, int32_t b) {
    int32_t ab;
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    ab = a * b;
    return (ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15);
}

/* Like srdhm16 but truncating toward zero (SQDMULH). */
static int32_t sdhm16(int32_t a, int32_t b) {
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (a * b) / (1 << 15);
}

static int32_t sat_shl16(int32_t x, int amount) {
    int64_t v = (int64_t)x * ((int64_t)1 << (amount > 16 ? 16 : amount));
    return v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : (int32_t)v);
}

/*
 * gemmlowp's rounding right shift on int16. Its mask is (2^e - 1) truncated
 * to int16, which is -1 for e >= 16; TFLM's kernel reaches that case with
 * extreme scale ratios, so it is reproduced rather than "fixed".
 */
static int32_t rdbpot16(int32_t x, int e) {
    int32_t mask = e >= 16 ? -1 : (1 << e) - 1;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> (e > 15 ? 15 : e)) + ((x & mask) > threshold ? 1 : 0);
}

static int32_t wrap16(int32_t v) {
    return (int32_t)((v + 32768) & 0xFFFF) - 32768;
}


static int32_t hard_swish_s8_value(const unary_q_t *u, int32_t x) {
    const hard_swish_q_t *q = &u->hard_swish;
    int32_t hires = (x - q->in_zero_point) * 128;
    int32_t preshift_out = srdhm16(hires, q->output_multiplier);
    int32_t reluish = hires;
    int32_t out;
    if (q->reluish_exponent > 0) {
        /* all but the last bit of the shift before the multiply, that bit after,
         * so saturation happens only where it matters */
        reluish = sat_shl16(reluish, q->reluish_exponent - 1);
    }
    reluish = srdhm16(reluish, q->reluish_multiplier);
    if (q->reluish_exponent > 0) {
        reluish = sat_shl16(reluish, 1);
    }
    if (q->reluish_exponent < 0) {
        reluish = rdbpot16(reluish, -q->reluish_exponent);
    }
    reluish = (reluish + (1 << 15)) >> 1;   /* [-1, 1] -> [0, 1] */
    out = rdbpot16(sdhm16(reluish, preshift_out), -q->output_exponent);
    /* TFLM adds the zero point in int16, wrapping */
    out = wrap16(out + q->out_zero_point);
    return clamp_i32(out, -128, 127);
}

static void hard_swish_f32(const float *in, float *out, int32_t count, float alpha) {
    (void)alpha;
    int32_t i;
    for (i = 0; i < count; ++i) {
        float x = in[i];
        float shifted = x + 3.0f;
        float relu = 0.0f < shifted ? shifted : 0.0f;
        float relu6 = relu < 6.0f ? relu : 6.0f;
        float product = x * relu6;
        out[i] = product / 6.0f;
    }
}

static xtml_status_t hard_swish_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    unary_q_t q;
    xtml_status_t st = unary_check(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&q, 0, sizeof q);
    if (in.type == XTML_DTYPE_INT8) {
        /* TFLM's float arithmetic, widened to double only at the end */
        volatile float hires_scale = (1.0f / 128.0f) * in.scale;
        float reluish_scale = 3.0f / 32768.0f;
        volatile float output_ratio = hires_scale / out.scale;
        volatile float reluish_ratio = hires_scale / reluish_scale;
        hard_swish_q_t *h = &q.hard_swish;
        int32_t m;
        h->in_zero_point = in.zero_point;
        h->out_zero_point = out.zero_point;
        xtml_quantize_f32(output_ratio, &m, &h->output_exponent);
        h->output_multiplier = multiplier_to_q15(m);
        if (h->output_exponent > 0) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "output %d '%s' scale %s is below input scale / 64, TFLM's int8 "
                                  "HARD_SWISH needs it above",
                                  (int)out.index, out.name, XTML_F32(out.scale));
        }
        xtml_quantize_f32(reluish_ratio, &m, &h->reluish_exponent);
        if (h->reluish_exponent > 30) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "input scale %s and output scale %s give an out-of-range requantization",
                                  XTML_F32(in.scale), XTML_F32(out.scale));
        }
        h->reluish_multiplier = multiplier_to_q15(m);
    }
    return unary_finish(p, &in, hard_swish_s8_value, hard_swish_f32, &q, 0.0f);
}


/* ---- ELU ---- */

/* (int32_t)x as x86-64's cvttss2si: truncation, out of range the integer
 * indefinite value INT32_MIN. */
static int32_t f32_to_i32_x86(float x) {
    if (!(x >= -2147483648.0f && x < 2147483648.0f)) {
        return INT32_MIN;
    }
    return (int32_t)x;
}

/* TFLM's int8 ELU table entry: dequantize, e^x - 1 below 0 (expf, then the
 * float subtraction), times 1 / output scale, rounded half away from zero,
 * plus the zero point, truncated to int32 and clamped. */
static int32_t elu_s8_value(const unary_q_t *u, int32_t x) {
    const elu_q_t *q = &u->elu;
    float dq = q->in_scale * (float)(x - q->in_zero_point);
    float t = dq < 0.0f ? xtml_exp_f32(dq) - 1.0f : dq;
    float r = roundf(t * q->inv_out_scale);
    float s = r + (float)q->out_zero_point;
    return clamp_i32(f32_to_i32_x86(s), -128, 127);
}

static void elu_f32(const float *in, float *out, int32_t count, float alpha) {
    (void)alpha;
    int32_t i;
    for (i = 0; i < count; ++i) {
        float x = in[i];
        out[i] = x < 0.0f ? xtml_expm1_neg_f32(x) : x;
    }
}

static xtml_status_t elu_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    unary_q_t q;
    xtml_status_t st = unary_check(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&q, 0, sizeof q);
    if (in.type == XTML_DTYPE_INT8) {
        volatile float inv = 1.0f / out.scale;
        q.elu.in_scale = in.scale;
        q.elu.in_zero_point = in.zero_point;
        q.elu.out_zero_point = out.zero_point;
        q.elu.inv_out_scale = inv;
    }
    return unary_finish(p, &in, elu_s8_value, elu_f32, &q, 0.0f);
}

/* ---- L2_NORMALIZATION over the last dimension ---- */

typedef struct l2norm_params {
    int32_t outer;
    int32_t depth;
    int32_t zero_point;      /* int8 input */
    uint8_t type;            /* xtml_dtype_t: float32 or int8 */
} l2norm_params_t;

/*
 * 1 / sqrt(input) as TFLM's GetInvSqrtQuantizedMultiplierExp: the input
 * normalized to [2^27, 2^29) by pairs of bits, five Newton steps of
 * x (3 - input x^2) / 2 in Q3.28, times sqrt(1/2); returns the multiplier
 * and the shift (left, as reverse_shift -1 makes it).
 */
static int32_t inv_sqrt_q(int32_t input, int *shift) {
    int32_t half_input, x;
    int pairs, i, right = 11;
    if (input <= 1) {
        *shift = 0;
        return INT32_MAX;
    }
    while (input >= (1 << 29)) {
        input /= 4;
        ++right;
    }
    pairs = (clz_u32((uint32_t)input) - 1) / 2 - 1;
    right -= pairs;
    input = (int32_t)((uint32_t)input << (2 * pairs));
    half_input = rdbpot(input >> 1, 1);
    x = 1 << 28;
    for (i = 0; i < 5; i++) {
        int32_t x3 = sat_shl(srdhm(srdhm(x, x), x), 6);
        x = sat_shl((int32_t)((uint32_t)srdhm((1 << 28) + (1 << 27), x) - (uint32_t)srdhm(half_input, x3)), 3);
    }
    x = srdhm(x, 1518500250);
    if (right < 0) {
        x = (int32_t)((uint32_t)x << -right);
        right = 0;
    }
    *shift = -right;
    return x;
}

static void l2norm_f32(const l2norm_params_t *lp, const float *in, float *out) {
    int32_t r, c;
    for (r = 0; r < lp->outer; ++r, in += lp->depth, out += lp->depth) {
        float sum = 0.0f;
        float norm;
        for (c = 0; c < lp->depth; ++c) {
            float sq = in[c] * in[c];
            sum = sum + sq;
        }
        norm = xtml_sqrt_f32(sum);
        norm = norm < 1e-6f ? 1e-6f : norm;   /* std::max(norm, epsilon) */
        for (c = 0; c < lp->depth; ++c) {
            out[c] = in[c] / norm;
        }
    }
}

/* int8: the output is fixed at scale 1/128, zero point 0 (TFLM ignores the
 * output tensor's quantization). */
static void l2norm_s8(const l2norm_params_t *lp, const int8_t *in, int8_t *out) {
    int32_t r, c;
    for (r = 0; r < lp->outer; ++r, in += lp->depth, out += lp->depth) {
        int32_t acc = 0, m;
        int shift;
        for (c = 0; c < lp->depth; ++c) {
            int32_t v = in[c] - lp->zero_point;
            acc += v * v;
        }
        m = inv_sqrt_q(acc, &shift);
        for (c = 0; c < lp->depth; ++c) {
            int32_t v = xtml_mul_by_quantized_multiplier(in[c] - lp->zero_point, m, shift + 7);
            out[c] = (int8_t)clamp_i32(v, -128, 127);
        }
    }
}

static xtml_status_t l2norm_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    l2norm_params_t *lp;
    int act;
    xtml_status_t st = expect_io_counts(p);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    st = xtml_prep_options(p, 12 /* L2NormOptions */, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    act = xtml_fb_i8(&opts, 0, XTML_ACT_NONE);
    if (in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input %d '%s' is %s, expected int8 or float32",
                              (int)in.index, in.name, xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output", in.type);
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_same_shape(p, &in, "input", &out, "output");
    }
    if (st == XTML_STATUS_OK && in.type == XTML_DTYPE_INT8) {
        st = expect_zero_point_s8(p, &in, "input");
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim < 1 || in.ndim > 4) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input %d '%s' has rank %d, expected 1 to 4",
                              (int)in.index, in.name, (int)in.ndim);
    }
    if (act != XTML_ACT_NONE) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "fused activation %d (TFLM runs none)", act);
    }
    xtml_prep_inplace(p, 0, 0);
    lp = (l2norm_params_t *)XTML_PREP_PERSIST(p, l2norm_params_t, 0);
    if (lp == NULL) {
        return XTML_STATUS_OK;
    }
    lp->depth = in.dims[in.ndim - 1];
    lp->outer = lp->depth > 0 ? in.count / lp->depth : 0;
    lp->zero_point = in.type == XTML_DTYPE_INT8 ? in.zero_point : 0;
    lp->type = (uint8_t)in.type;
    return XTML_STATUS_OK;
}

static xtml_status_t l2norm_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const l2norm_params_t *lp = (const l2norm_params_t *)node->params;
    if (lp->type == XTML_DTYPE_INT8) {
        l2norm_s8(lp, (const int8_t *)xtml_node_in(ctx, node, 0), (int8_t *)xtml_node_out(ctx, node, 0));
    } else {
        l2norm_f32(lp, (const float *)xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0));
    }
    return XTML_STATUS_OK;
}

/* ---- LOG_SOFTMAX over the last dimension ---- */

typedef struct log_softmax_params {
    int32_t outer;
    int32_t depth;
    int32_t multiplier;       /* int8: input step in Q5.26, as SOFTMAX with beta 1 */
    int32_t left_shift;
    int32_t reverse_multiplier;   /* int8: the inverse scaling, Q0.31 */
    int32_t reverse_shift;        /* <= 0 */
    int32_t diff_min;             /* int8: -radius */
    uint8_t type;
} log_softmax_params_t;

static int32_t wrap_add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t sat_add32(int32_t a, int32_t b) {
    int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

/* log(z) for z >= 1 in Q12.19, result Q5.26: TFLite's
 * log_x_for_x_greater_than_or_equal_to_1 (gemmlowp fixed point; the
 * accumulator is Q6.25). */
static int32_t log_q5_of_q12(int32_t z) {
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = 1 << 23;    /* 1/4 in Q6.25 */
    int za_hr1 = clz_u32((uint32_t)z);
    int32_t r_a = sat_shl(srdhm(sat_shl(z, za_hr1 - 1), sqrt_half), 1);
    int32_t za_adj = sat_add32(sat_shl(12 - za_hr1, 25), shifted_quarter);
    int zb_hr = clz_u32((uint32_t)srdhm(z, sqrt_half)) - 1;
    int32_t r_b = sat_shl(z, zb_hr);
    int32_t zb_adj = sat_add32(sat_shl(12 - zb_hr, 25), -shifted_quarter);
    int32_t r = r_a < r_b ? r_a : r_b;
    int32_t adj = za_adj > zb_adj ? za_adj : zb_adj;
    int32_t pp = rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = wrap_add(r, -sqrt_sqrt_half);
    int32_t sq, num, den, recip;
    q = wrap_add(q, q);
    sq = srdhm(q, q);
    num = wrap_add(srdhm(q, r), srdhm(srdhm(q, sq), alpha_n));
    den = wrap_add(srdhm(pp, wrap_add(wrap_add(alpha_i, q), srdhm(alpha_d, sq))), srdhm(alpha_f, q));
    recip = one_over_one_plus_q0(den);
    return sat_shl(wrap_add(srdhm(adj, log_2), srdhm(rdbpot(num, 6), recip)), 1);
}

static void log_softmax_s8(const log_softmax_params_t *lp, const int8_t *in, int8_t *out) {
    int32_t r, c;
    for (r = 0; r < lp->outer; ++r, in += lp->depth, out += lp->depth) {
        int32_t max = -128, sum = 0, log_sum, adjusted;
        for (c = 0; c < lp->depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        for (c = 0; c < lp->depth; ++c) {
            int32_t d = in[c] - max;
            if (d >= lp->diff_min) {
                int32_t dq = xtml_mul_by_quantized_multiplier(d, lp->multiplier, (int)lp->left_shift);
                sum = wrap_add(sum, rdbpot(exp_negative_q0(dq, 5), 12));
            }
        }
        log_sum = log_q5_of_q12(sum);
        adjusted = xtml_mul_by_quantized_multiplier(wrap_add(log_sum, INT32_MIN), lp->reverse_multiplier,
                                                    (int)lp->reverse_shift);
        adjusted = adjusted > lp->diff_min - 1 ? adjusted : lp->diff_min - 1;
        for (c = 0; c < lp->depth; ++c) {
            int32_t d = in[c] - max;
            if (d > adjusted) {
                int32_t dq = xtml_mul_by_quantized_multiplier(d, lp->multiplier, (int)lp->left_shift);
                int32_t v = rdbpot(wrap_add(dq, -log_sum), 22) + 127;
                out[c] = (int8_t)clamp_i32(v, -128, 127);
            } else {
                out[c] = -128;
            }
        }
    }
}

static void log_softmax_f32(const log_softmax_params_t *lp, const float *in, float *out) {
    int32_t r, c;
    for (r = 0; r < lp->outer; ++r, in += lp->depth, out += lp->depth) {
        float max = -FLT_MAX;
        float sum = 0.0f;
        float log_sum;
        for (c = 0; c < lp->depth; ++c) {
            max = max < in[c] ? in[c] : max;
        }
        for (c = 0; c < lp->depth; ++c) {
            float d = in[c] - max;
            float e = xtml_exp_f32(d);
            sum = sum + e;
        }
        log_sum = xtml_log_f32(sum);
        for (c = 0; c < lp->depth; ++c) {
            float d = in[c] - max;
            out[c] = d - log_sum;
        }
    }
}

/*
 * (2^(31 - left_shift) / multiplier) as a Q31 multiplier and a shift <= 0,
 * as TFLM's QuantizeMultiplierSmallerThanOneExp of that double: the quotient
 * rounded to 53 bits (ties to even), then to 31 (half away from zero).
 * false when it is not below 1 (TFLM aborts).
 */
static bool reverse_scaling(int32_t multiplier, int left_shift, int32_t *out, int32_t *shift) {
    uint64_t m = (uint64_t)(uint32_t)multiplier, rem = 1, q = 0, d;
    int i, exp;
    bool sticky;
    /* 2^31 / m in (1, 2] (m in [2^30, 2^31)) to 55 bits: q = floor(2^85 / m) */
    for (i = 0; i < 86; i++) {
        q <<= 1;
        if (rem >= m) {
            rem -= m;
            q |= 1u;
        }
        rem <<= 1;
    }
    /* rem was doubled once more than used; the remainder is rem / 2 */
    sticky = rem != 0;
    /* q in (2^54, 2^55]: round to 53 significant bits */
    {
        int drop = q >= ((uint64_t)1 << 55) ? 3 : 2;
        uint64_t rest = q & (((uint64_t)1 << drop) - 1u), half = (uint64_t)1 << (drop - 1);
        d = q >> drop;
        if (rest > half || (rest == half && (sticky || (d & 1u) != 0))) {
            d++;
        }
        exp = drop - 85 + (31 - left_shift);        /* value = d 2^exp */
    }
    /* d in [2^52, 2^53]: Q31 from the top bits, half away from zero */
    if (d >= ((uint64_t)1 << 53)) {
        d >>= 1;
        exp++;
    }
    /* value = (d / 2^53) 2^(exp + 53), frexp fraction d / 2^53 in [1/2, 1) */
    {
        uint64_t f = (d + ((uint64_t)1 << 21)) >> 22;   /* round(d / 2^53 * 2^31) */
        int e2 = exp + 53;
        if (f == ((uint64_t)1 << 31)) {
            f >>= 1;
            e2++;
        }
        if (e2 > 0 || e2 < -31) {
            return false;
        }
        *out = (int32_t)f;
        *shift = e2;
    }
    return true;
}

static xtml_status_t log_softmax_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    log_softmax_params_t local;
    log_softmax_params_t *lp;
    xtml_status_t st = unary_check(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim < 1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input %d '%s' is a scalar, expected rank >= 1",
                              (int)in.index, in.name);
    }
    memset(&local, 0, sizeof local);
    if (in.type == XTML_DTYPE_INT8) {
        int left_shift = 0;
        if (out.scale != 16.0f / 256 || out.zero_point != 127) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "output %d '%s' has scale %s zero point %d, int8 LOG_SOFTMAX needs 1/16 and 127",
                                  (int)out.index, out.name, XTML_F32(out.scale), (int)out.zero_point);
        }
        if (!xtml_quantize_softmax_beta(1.0f, in.scale, &local.multiplier, &left_shift) ||
            !reverse_scaling(local.multiplier, left_shift, &local.reverse_multiplier, &local.reverse_shift)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "input %d '%s' scale %s is too small for int8 LOG_SOFTMAX", (int)in.index,
                                  in.name, XTML_F32(in.scale));
        }
        local.left_shift = left_shift;
        local.diff_min = -(int32_t)((31u << 26) >> left_shift);
    }
    xtml_prep_inplace(p, 0, 0);
    lp = (log_softmax_params_t *)XTML_PREP_PERSIST(p, log_softmax_params_t, 0);
    if (lp == NULL) {
        return XTML_STATUS_OK;
    }
    *lp = local;
    lp->depth = in.dims[in.ndim - 1];
    lp->outer = lp->depth > 0 ? in.count / lp->depth : 0;
    lp->type = (uint8_t)in.type;
    return XTML_STATUS_OK;
}

static xtml_status_t log_softmax_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const log_softmax_params_t *lp = (const log_softmax_params_t *)node->params;
    if (lp->type == XTML_DTYPE_INT8) {
        log_softmax_s8(lp, (const int8_t *)xtml_node_in(ctx, node, 0), (int8_t *)xtml_node_out(ctx, node, 0));
    } else {
        log_softmax_f32(lp, (const float *)xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0));
    }
    return XTML_STATUS_OK;
}

/* ---- SOFTMAX over the last dimension ---- */

typedef struct softmax_params {
    int32_t outer;            /* rows */
    int32_t depth;            /* row length */
    uint8_t in_type;          /* xtml_dtype_t: float32, int8 or int16 */
    uint8_t out_type;         /* xtml_dtype_t: float32, int8 or int16 */
    float beta;               /* float32 */
    int32_t multiplier;       /* int8: beta * scale in Q5.26 per input step */
    int left_shift;
    int32_t radius;           /* int8: larger differences to the row max give 0 */
    int16_t lut[];            /* int16 input: exp LUT, then 1 / (1 + x) LUT (SOFTMAX16_LUT each) */
} softmax_params_t;

/* ---- int16 SOFTMAX: TFLite's two interpolated lookup tables ----
 *
 * TFLM builds two tables of 513 int16 values at prepare (here into the
 * operator's persistent arena memory): exp(x) over [-10, 0] and 1 / (1 + x)
 * over [0, 1], each as 512 samples in Q0.15 nudged by half the interpolation
 * error at the midpoint of their interval (so that interpolation is centred),
 * plus the end value. They are computed in float as TFLM does, with the
 * core's exp (the same bits as the C library's expf on all 513 points:
 * test/numerics checks it).
 */
#define SOFTMAX16_LUT 513

/* TFLM's LUTPopulate for int16 with float arithmetic; exp over [-10, 0]
 * (input scale 10 / 65535, zero point 32767) or 1 / (1 + x) over [0, 1]
 * (scale 1 / 65535, zero point -32768), output scale 2 / 65535. */
static float softmax16_fn(bool is_exp, float x) {
    return is_exp ? xtml_exp_f32(x) : 1.0f / (1.0f + x);
}

static int16_t softmax16_clamp(float v) {
    return (int16_t)(v < -32768.0f ? -32768 : (v > 32767.0f ? 32767 : (int32_t)v));
}

static void softmax16_populate(bool is_exp, int16_t *lut) {
    const float range = 65535.0f;
    volatile float in_scale = (is_exp ? 10.0f : 1.0f) / range;
    const int32_t in_zero_point = is_exp ? 32767 : -32768;
    volatile float out_scale = 2.0f / range;
    volatile float in_min = in_scale * (float)(-32768 - in_zero_point);
    volatile float in_max = in_scale * (float)(32767 - in_zero_point);
    volatile float out_min = out_scale * -32768.0f;
    volatile float out_max = out_scale * 32767.0f;
    volatile float step = (in_max - in_min) / 512.0f;
    volatile float half_step = step / 2.0f;
    volatile float inv = 65536.0f / (out_max - out_min);
    int32_t i;
    for (i = 0; i < 512; ++i) {
        volatile float at = in_min + (float)i * step;
        volatile float mid_at = at + half_step;
        volatile float next_at = in_min + (float)(i + 1) * step;
        volatile float val = softmax16_fn(is_exp, at);
        volatile float val_mid = softmax16_fn(is_exp, mid_at);
        volatile float val_next = softmax16_fn(is_exp, next_at);
        volatile float sample = roundf(val * inv);
        volatile float interp_sum = val_next * inv + sample;
        volatile float interp = roundf(interp_sum / 2.0f);
        volatile float midpoint = roundf(val_mid * inv);
        volatile float err = interp - midpoint;
        volatile float bias = roundf(err / 2.0f);
        lut[i] = softmax16_clamp(sample - bias);
    }
    lut[512] = softmax16_clamp(roundf(softmax16_fn(is_exp, in_max) * inv));
}

/* TFLite's int16 LUT lookup: 512 intervals of 128 input steps, linear. */
static int32_t softmax16_lookup(const int16_t *lut, int32_t x) {
    int32_t idx = 256 + (x >> 7);
    int32_t base = lut[idx];
    int32_t slope = lut[idx + 1] - base;
    return (int16_t)(base + ((slope * (x & 0x7F) + 64) >> 7));
}

static void softmax_s16(const softmax_params_t *sp, const int16_t *in, int16_t *out) {
    const int16_t *exp_lut = sp->lut;
    const int16_t *recip_lut = sp->lut + SOFTMAX16_LUT;
    int32_t r, c;
    int32_t depth = sp->depth;
    for (r = 0; r < sp->outer; ++r, in += depth, out += depth) {
        int32_t max = -32768, sum = 0, recip, right;
        int head;
        int64_t shifted;
        for (c = 0; c < depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        /* exp of each difference to the row max, rescaled so that [-65535, 0]
         * spans [-10, 0] and recentred on the table; kept in the output row */
        for (c = 0; c < depth; ++c) {
            int32_t scaled = xtml_mul_by_quantized_multiplier(in[c] - max, sp->multiplier, sp->left_shift) + 32767;
            out[c] = (int16_t)softmax16_lookup(exp_lut, clamp_i32(scaled, -32768, 32767));
            sum += out[c];
        }
        /* 1 / sum: the sum normalized to [1, 2) in Q1.15, recentred, looked up */
        head = clz_u32((uint32_t)sum);
        shifted = (((int64_t)sum << (head - 1)) + (1 << 13)) >> 14;
        recip = softmax16_lookup(recip_lut, clamp_i32((int32_t)shifted - ((1 << 15) + (1 << 16)), -32768, 32767));
        right = 31 - head;
        for (c = 0; c < depth; ++c) {
            int32_t v = (int32_t)(((int64_t)out[c] * recip + ((int64_t)1 << (right - 1))) >> right);
            out[c] = (int16_t)clamp_i32(v, 0, 32767);
        }
    }
}

static void softmax_f32(const softmax_params_t *sp, const float *in, float *out) {
    int32_t r, c;
    int32_t depth = sp->depth;
    for (r = 0; r < sp->outer; ++r, in += depth, out += depth) {
        float max = -FLT_MAX;
        float sum = 0.0f;
        for (c = 0; c < depth; ++c) {
            max = max < in[c] ? in[c] : max;
        }
        for (c = 0; c < depth; ++c) {
            float diff = in[c] - max;
            float scaled = diff * sp->beta;
            float e = xtml_exp_f32(scaled);
            out[c] = e;
            sum = sum + e;
        }
        for (c = 0; c < depth; ++c) {
            out[c] = out[c] / sum;
        }
    }
}

/* exp(-d * beta * scale) in Q0.31 for a difference d <= radius to the row max;
 * -d << left_shift cannot overflow there. */
static int32_t softmax_exp_q0(const softmax_params_t *sp, int32_t d) {
    int32_t scaled = srdhm((int32_t)((uint32_t)(-d) << sp->left_shift), sp->multiplier);
    return exp_negative_q0(scaled, 5);
}

/*
 * exp of a difference d (0 <= d <= radius <= 255) to the row max: with a
 * table (scratch of 256 values, -1 until computed; the fast path), each
 * value is computed once per invoke however many elements share it; without
 * (the reference, XTML_REFERENCE_KERNELS) every time.
 */
static int32_t softmax_exp_d(const softmax_params_t *sp, int32_t d, int32_t *table) {
    if (table == NULL) {
        return softmax_exp_q0(sp, d);
    }
    if (table[d] < 0) {
        table[d] = softmax_exp_q0(sp, d);
    }
    return table[d];
}

/*
 * Row sums are exp values in Q12.19, each at most 1.0. TFLM stops on two
 * data-dependent limits: a sum of 512.0 or more needs a final int8 shift
 * beyond 31 bits (a check aborts), and a row of 4096 or more elements can
 * overflow the int32 sum (it wraps). With such a sum every int8 probability is
 * at most 1/512, which rounds to the output -128, so those rows are written
 * directly; an int16 row whose sum overflows is an eval error.
 */
static inline XTML_ALWAYS_INLINE xtml_status_t softmax_s8(const softmax_params_t *sp, const int8_t *in, void *out,
                                int32_t *table) {
    int32_t r, c;
    int32_t depth = sp->depth;
    int32_t radius = sp->radius;
    bool out16 = sp->out_type == XTML_DTYPE_INT16;
    int8_t *out8 = (int8_t *)out;
    int16_t *out16p = (int16_t *)out;
    for (r = 0; r < sp->outer; ++r, in += depth) {
        int32_t max = -128;
        int64_t sum = 0;
        int32_t recip, exponent, d;
        int headroom;
        for (c = 0; c < depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        for (c = 0; c < depth; ++c) {
            d = max - in[c];
            if (d <= radius) {
                sum += rdbpot(softmax_exp_d(sp, d, table), 12);
            }
        }
        if (sum > INT32_MAX && out16) {
            return XTML_STATUS_EVAL_ERROR;
        }
        headroom = sum > INT32_MAX ? 0 : clz_u32((uint32_t)sum);
        exponent = (12 - headroom) + 31 - (out16 ? 16 : 8);
        if (exponent > 31) {   /* int8, sum >= 512.0 */
            memset(out8, -128, (size_t)depth);
            out8 += depth;
            continue;
        }
        /* 1 / sum: the sum (>= 1.0, the max contributes exp(0)) normalized to
         * [1, 2), 1 / (1 + x) of its fraction, and the shift remembered */
        recip = one_over_one_plus_q0((int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
        for (c = 0; c < depth; ++c) {
            int32_t v;
            d = max - in[c];
            if (out16) {
                v = d <= radius ? rdbpot(srdhm(recip, softmax_exp_d(sp, d, table)), exponent) - 32768
                                : -32768;
                out16p[c] = (int16_t)clamp_i32(v, -32768, 32767);
            } else {
                v = d <= radius ? rdbpot(srdhm(recip, softmax_exp_d(sp, d, table)), exponent) - 128
                                : -128;
                out8[c] = (int8_t)clamp_i32(v, -128, 127);
            }
        }
        if (out16) {
            out16p += depth;
        } else {
            out8 += depth;
        }
    }
    return XTML_STATUS_OK;
}

/* The input types a SOFTMAX body handles (XTML_KTYPE_*): the full kernel all, SOFTMAX_INT8's int8. */

static inline XTML_ALWAYS_INLINE xtml_status_t softmax_prepare_types(xtml_prep_t *p, unsigned types) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    softmax_params_t *sp;
    float beta;
    int32_t multiplier = 0, radius = 0;
    int left_shift = 0;
    xtml_status_t st = expect_io_counts(p);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    st = xtml_prep_options(p, XTML_OPTS_SOFTMAX, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    beta = xtml_fb_f32(&opts, 0, 0.0f);
    if (types == XTML_KTYPE_S8 && in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input %d '%s' is %s: the table's entry SOFTMAX_INT8 runs int8 input only; "
                              "this type needs XTML_OP(SOFTMAX)", (int)in.index, in.name, xtml_dtype_name(in.type));
    }
    if (in.ndim < 1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input %d '%s' is a scalar, expected rank >= 1",
                              (int)in.index, in.name);
    }
    if ((types & XTML_KTYPE_F32) != 0 && in.type == XTML_DTYPE_FLOAT32) {
        st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_FLOAT32);
    } else if (in.type == XTML_DTYPE_INT8) {
        if (out.type != XTML_DTYPE_INT8 && out.type != XTML_DTYPE_INT16) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                                  "output %d '%s' is %s, expected int8 or int16", (int)out.index, out.name,
                                  xtml_dtype_name(out.type));
        }
        st = xtml_prep_expect_quantized(p, &in, "input");
    } else if ((types & XTML_KTYPE_S16) != 0 && in.type == XTML_DTYPE_INT16) {
        st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT16);
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, &in, "input");
        }
    } else {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input %d '%s' is %s, expected int8, int16 or float32", (int)in.index, in.name,
                              xtml_dtype_name(in.type));
    }
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_same_shape(p, &in, "input", &out, "output");
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if ((types & XTML_KTYPE_S16) != 0 && in.type == XTML_DTYPE_INT16) {
        /* TFLM: zero points 0, output scale 1/32768 within 0.1 %; input
         * differences times scale * beta / (10 / 65535) as a multiplier */
        float expected = 1.0f / 32768;
        float delta = out.scale > expected ? out.scale - expected : expected - out.scale;
        if (in.zero_point != 0 || out.zero_point != 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "int16 SOFTMAX needs zero points 0 (input %d, output %d)", (int)in.zero_point,
                                  (int)out.zero_point);
        }
        if (out.n_scales < 1 || delta > 0.001f * 1.0f / 32768) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "output %d '%s' has scale %s, int16 SOFTMAX needs 1/32768", (int)out.index,
                                  out.name, XTML_F32(out.scale));
        }
        if (in.dims[in.ndim - 1] > 65536) {
            /* the int32 sum of the row's exp values (each below 2^15) would overflow */
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "rows of %d elements are too long for int16",
                                  (int)in.dims[in.ndim - 1]);
        }
        /* 10.0 / 65535.0 as a double: 0x14001400140014 * 2^-65 */
        xtml_quantize_f32_mul_div_f64(in.scale, beta, 0x14001400140014u, -65, &multiplier, &left_shift);
        if (left_shift > 30 || multiplier <= 0) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "beta %s times input %d '%s' scale %s is out of range for int16 SOFTMAX",
                                  XTML_F32(beta), (int)in.index, in.name, XTML_F32(in.scale));
        }
    }
    if (in.type == XTML_DTYPE_INT8) {
        /* the output format is fixed: [0, 1) in steps of 1/256 from -128
         * (int16: 1/65536 from -32768, with TFLM's tolerance) */
        if (out.type == XTML_DTYPE_INT8 && (out.n_scales < 1 || out.scale != 1.0f / 256 ||
                                            out.zero_point != -128)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "output %d '%s' has scale %s zero point %d, int8 SOFTMAX needs 1/256 "
                                  "and -128",
                                  (int)out.index, out.name, XTML_F32(out.scale), (int)out.zero_point);
        }
        if (out.type == XTML_DTYPE_INT16) {
            float expected = 1.0f / 65536;
            float delta = out.scale > expected ? out.scale - expected : expected - out.scale;
            if (out.n_scales < 1 || delta > 0.001f * 1.0f / 65536 || out.zero_point != -32768) {
                return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                      "output %d '%s' has scale %s zero point %d, int16 SOFTMAX needs "
                                      "1/65536 and -32768",
                                      (int)out.index, out.name, XTML_F32(out.scale), (int)out.zero_point);
            }
        }
        /* input differences to the row max, times beta * scale, in Q5.26:
         * multiplier beta * scale * 2^26 capped at 2^31 - 1; TFLM aborts
         * unless it exceeds 1 */
        if (!xtml_quantize_softmax_beta(beta, in.scale, &multiplier, &left_shift)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "beta %s times input %d '%s' scale %s is too small for int8 SOFTMAX",
                                  XTML_F32(beta), (int)in.index, in.name, XTML_F32(in.scale));
        }
        /* differences beyond the radius (-32 after rescaling) contribute 0:
         * floor(31 * 2^26 / 2^left_shift), left_shift in [1, 31]; int8
         * differences never exceed 255 */
        radius = (int32_t)((31u << 26) >> left_shift);
        radius = radius > 255 ? 255 : radius;
    }
    if (out.type == in.type) {
        /* each row is read whole before its first output is written */
        xtml_prep_inplace(p, 0, 0);
    }
#ifndef XTML_REFERENCE_KERNELS
    if (in.type == XTML_DTYPE_INT8) {
        xtml_prep_scratch(p, 256 * sizeof(int32_t));   /* softmax_exp_d's table */
    }
#endif
    sp = (softmax_params_t *)XTML_PREP_PERSIST(p, softmax_params_t,
                                               in.type == XTML_DTYPE_INT16 ? 2 * SOFTMAX16_LUT * sizeof(int16_t) : 0);
    if (sp == NULL) {
        return XTML_STATUS_OK;
    }
    if ((types & XTML_KTYPE_S16) != 0 && in.type == XTML_DTYPE_INT16) {
        softmax16_populate(true, sp->lut);
        softmax16_populate(false, sp->lut + SOFTMAX16_LUT);
    }
    sp->depth = in.dims[in.ndim - 1];
    sp->outer = sp->depth > 0 ? in.count / sp->depth : 0;
    sp->in_type = (uint8_t)in.type;
    sp->out_type = (uint8_t)out.type;
    sp->beta = beta;
    sp->multiplier = multiplier;
    sp->left_shift = left_shift;
    sp->radius = radius;
    return XTML_STATUS_OK;
}

static xtml_status_t softmax_prepare(xtml_prep_t *p) {
    return softmax_prepare_types(p, XTML_KTYPES_ALL);
}

static xtml_status_t softmax_prepare_s8(xtml_prep_t *p) {
    return softmax_prepare_types(p, XTML_KTYPE_S8);
}

static inline XTML_ALWAYS_INLINE xtml_status_t softmax_eval_types(xtml_ctx_t *ctx, const xtml_node_t *node, unsigned types) {
    const softmax_params_t *sp = (const softmax_params_t *)node->params;
    if (types == XTML_KTYPE_S8 || sp->in_type == XTML_DTYPE_INT8) {
        int32_t *table = (int32_t *)node->scratch;
        if (table != NULL) {
            memset(table, 0xff, 256 * sizeof *table);
        }
        return softmax_s8(sp, (const int8_t *)xtml_node_in(ctx, node, 0), xtml_node_out(ctx, node, 0),
                          table);
    }
    if ((types & XTML_KTYPE_S16) != 0 && sp->in_type == XTML_DTYPE_INT16) {
        softmax_s16(sp, (const int16_t *)xtml_node_in(ctx, node, 0), (int16_t *)xtml_node_out(ctx, node, 0));
        return XTML_STATUS_OK;
    }
    if ((types & XTML_KTYPE_F32) != 0) {
        softmax_f32(sp, (const float *)xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0));
    }
    return XTML_STATUS_OK;
}

static xtml_status_t softmax_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return softmax_eval_types(ctx, node, XTML_KTYPES_ALL);
}

static xtml_status_t softmax_eval_s8(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return softmax_eval_types(ctx, node, XTML_KTYPE_S8);
}

const xtml_kernel_t xtml_kernel_softmax = { "SOFTMAX", softmax_prepare, softmax_eval };
const xtml_kernel_t xtml_kernel_softmax_int8 = { "SOFTMAX", softmax_prepare_s8, softmax_eval_s8 };
const xtml_kernel_t xtml_kernel_logistic = { "LOGISTIC", logistic_prepare, unary_eval };
const xtml_kernel_t xtml_kernel_tanh = { "TANH", tanh_prepare, unary_eval };
const xtml_kernel_t xtml_kernel_relu = { "RELU", relu_prepare, unary_eval };
const xtml_kernel_t xtml_kernel_relu6 = { "RELU6", relu6_prepare, unary_eval };
const xtml_kernel_t xtml_kernel_leaky_relu = { "LEAKY_RELU", leaky_relu_prepare, unary_eval };
const xtml_kernel_t xtml_kernel_hard_swish = { "HARD_SWISH", hard_swish_prepare, unary_eval };
const xtml_kernel_t xtml_kernel_elu = { "ELU", elu_prepare, unary_eval };
const xtml_kernel_t xtml_kernel_l2_normalization = { "L2_NORMALIZATION", l2norm_prepare, l2norm_eval };
const xtml_kernel_t xtml_kernel_log_softmax = { "LOG_SOFTMAX", log_softmax_prepare, log_softmax_eval };

/* For xtml_math.c (int8 RSQRT and DIV): the same fixed-point helpers. */
int32_t xtml_inv_sqrt_multiplier(int32_t input, int *shift) {
    return inv_sqrt_q(input, shift);
}

int32_t xtml_one_over_one_plus_x(int32_t a) {
    return one_over_one_plus_q0(a);
}
