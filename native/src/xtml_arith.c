/*
 * xtml_arith.c - elementwise arithmetic beyond ADD/SUB/MUL: FLOOR_DIV and
 * FLOOR_MOD (float32), PRELU (float32; int8 and int16 with int8 alpha) and
 * ADD_N (float32, int8), in the types TFLM's reference kernels accept.
 *
 * TFLM's FLOOR_DIV divides in double and floors the double quotient before
 * rounding it to float; FLOOR_MOD takes fmodf() (exact) and adds the divisor
 * when the signs differ. The core has no double and no libm, so both are
 * computed from the floats' bits with integer arithmetic: the quotient to 55
 * bits and a sticky bit, rounded to 53 (the double), floored, then rounded
 * to 24; the remainder by long division. A NaN operand gives that NaN
 * quieted (x86's rule, first operand first); an invalid operation (inf/inf,
 * fmod by 0 or of an infinity) gives x86's default NaN 0xFFC00000.
 *
 * FLOOR_DIV fails the invoke (XTML_STATUS_EVAL_ERROR, output untouched) when
 * a divisor element is zero, as TFLM does; a constant divisor holding a zero
 * is refused at prepare (UNSUPPORTED_CONFIG), since every invoke would fail.
 *
 * Binary operators broadcast numpy-style to the output shape.
 */
#include "xtml_internal.h"

enum { A_FLOOR_DIV, A_FLOOR_MOD, A_PRELU, A_ADD_N };

typedef struct xtml_arith_params {
    uint8_t op;
    uint8_t type;           /* input 0's type */
    uint8_t ndim;           /* broadcast loop rank */
    uint8_t n_inputs;       /* ADD_N */
    int32_t count;          /* output elements */
    int32_t extent[XTML_MAX_DIMS];
    int32_t stride[2][XTML_MAX_DIMS];   /* per input, in elements; 0 = broadcast */
    /* quantized PRELU / ADD_N */
    int32_t in_offset;
    int32_t alpha_offset;
    int32_t out_offset;
    int32_t mult1;
    int32_t shift1;
    int32_t mult2;
    int32_t shift2;
    int32_t qmin;
    int32_t qmax;
} xtml_arith_params_t;

#define X86_DEFAULT_NAN 0xFFC00000u

static uint32_t bits_of(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static float float_of(uint32_t b) {
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static bool is_nan_bits(uint32_t b) {
    return (b & 0x7FFFFFFFu) > 0x7F800000u;
}

/* The NaN an x86 operation returns for a NaN operand: the first NaN, quieted. */
static float nan_of(uint32_t a, uint32_t b) {
    return float_of((is_nan_bits(a) ? a : b) | 0x00400000u);
}

static int bit_len(uint64_t v) {
    int n = 0;
    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

/* |x| of a finite nonzero float as m 2^e, m in [2^23, 2^24). */
static void split_norm(uint32_t b, uint64_t *m, int32_t *e) {
    uint32_t be = (b >> 23) & 0xFFu;
    *m = b & 0x7FFFFFu;
    if (be == 0) {
        *e = -149;
        while (*m < 0x800000u) {
            *m <<= 1;
            (*e)--;
        }
    } else {
        *m |= 0x800000u;
        *e = (int32_t)be - 150;
    }
}

/* floor((double)a / (double)b) rounded to float, b != 0. */
static float floor_div_f32(float a, float b) {
    uint32_t ba = bits_of(a), bb = bits_of(b);
    bool neg = ((ba ^ bb) >> 31) != 0;
    uint32_t ma = ba & 0x7FFFFFFFu, mb = bb & 0x7FFFFFFFu;
    uint64_t xa, xb, q, r, d, f;
    int32_t ea, eb, e, drop;
    bool sticky;
    float out;
    if (is_nan_bits(ba) || is_nan_bits(bb)) {
        return nan_of(ba, bb);
    }
    if (ma == 0x7F800000u) {
        return mb == 0x7F800000u ? float_of(X86_DEFAULT_NAN) : float_of((neg ? 0x80000000u : 0) | 0x7F800000u);
    }
    if (ma == 0 || mb == 0x7F800000u) {
        return float_of(neg ? 0x80000000u : 0);  /* +-0, floor keeps the sign */
    }
    split_norm(ma, &xa, &ea);
    split_norm(mb, &xb, &eb);
    /* q = floor(xa 2^55 / xb) in [2^54, 2^56), in two steps of 64-bit division */
    q = (xa << 31) / xb;
    r = (xa << 31) % xb;
    q = (q << 24) | ((r << 24) / xb);
    sticky = ((r << 24) % xb) != 0;
    e = ea - eb - 55;
    /* round to 53 bits, ties to even: the double quotient d 2^e */
    drop = bit_len(q) - 53;
    {
        uint64_t rest = q & (((uint64_t)1 << drop) - 1u);
        uint64_t half = (uint64_t)1 << (drop - 1);
        d = q >> drop;
        if (rest > half || (rest == half && (sticky || (d & 1u) != 0))) {
            d++;
        }
        e += drop;
    }
    /* floor */
    if (e >= 0) {
        f = d;
    } else if (e <= -60) {
        f = neg ? 1u : 0u;
        e = 0;
    } else {
        bool frac = (d & (((uint64_t)1 << -e) - 1u)) != 0;
        f = (d >> -e) + ((neg && frac) ? 1u : 0u);
        e = 0;
    }
    out = xtml_f32_scaled(f, e, false);
    return neg ? -out : out;
}

/* fmodf(a, b), exact, for finite a and finite nonzero b. */
static float fmod_exact(uint32_t ba, uint32_t bb) {
    uint32_t ma = ba & 0x7FFFFFFFu, mb = bb & 0x7FFFFFFFu;
    uint64_t xa, xb, rem;
    int32_t ea, eb, gap;
    float out;
    if (ma < mb) {
        return float_of(ba);                     /* |a| < |b| (or a = +-0) */
    }
    split_norm(ma, &xa, &ea);
    split_norm(mb, &xb, &eb);
    /* |a| = xa 2^ea with ea >= eb here (|a| >= |b| and both normalized
     * up to a mantissa comparison): xa 2^(ea - eb) mod xb */
    gap = ea - eb;
    rem = xa % xb;
    while (gap > 0) {
        int32_t step = gap > 32 ? 32 : gap;
        rem = (rem << step) % xb;
        gap -= step;
    }
    out = xtml_f32_scaled(rem, eb, false);       /* exact: a multiple of b's last bit below |b| */
    return (ba >> 31) != 0 ? -out : out;
}

/* TFLM's FloorMod for float: fmodf, plus b when the signs differ. */
static float floor_mod_f32(float a, float b) {
    uint32_t ba = bits_of(a), bb = bits_of(b);
    float t;
    if (is_nan_bits(ba) || is_nan_bits(bb)) {
        return nan_of(ba, bb);
    }
    if ((ba & 0x7FFFFFFFu) == 0x7F800000u || (bb & 0x7FFFFFFFu) == 0) {
        return float_of(X86_DEFAULT_NAN);        /* fmod of an infinity, or by 0; NaN + b stays it */
    }
    if ((bb & 0x7FFFFFFFu) == 0x7F800000u) {
        t = a;                                   /* fmod(a, +-inf) = a */
    } else {
        t = fmod_exact(ba, bb);
    }
    if ((bits_of(t) & 0x7FFFFFFFu) != 0 && ((bb >> 31) != 0) != ((bits_of(t) >> 31) != 0)) {
        return t + b;
    }
    return t;
}

/* ---- eval ---- */

/* Walk the output in order; inputs step by their strides (0: broadcast). */
static void broadcast_eval(const xtml_arith_params_t *q, const void *in0, const void *in1, void *out) {
    int32_t idx[XTML_MAX_DIMS] = { 0 };
    int32_t off[2] = { 0, 0 };
    int32_t i, d, k;
    for (i = 0; i < q->count; i++) {
        switch (q->op) {
        case A_FLOOR_DIV:
            ((float *)out)[i] = floor_div_f32(((const float *)in0)[off[0]], ((const float *)in1)[off[1]]);
            break;
        case A_FLOOR_MOD:
            ((float *)out)[i] = floor_mod_f32(((const float *)in0)[off[0]], ((const float *)in1)[off[1]]);
            break;
        default: /* A_PRELU */
            if (q->type == XTML_DTYPE_FLOAT32) {
                float x = ((const float *)in0)[off[0]];
                ((float *)out)[i] = x >= 0.0f ? x : x * ((const float *)in1)[off[1]];
            } else {
                int32_t x = q->in_offset + (q->type == XTML_DTYPE_INT8 ? (int32_t)((const int8_t *)in0)[off[0]]
                                                                       : (int32_t)((const int16_t *)in0)[off[0]]);
                int32_t v;
                if (x >= 0) {
                    v = xtml_mul_by_quantized_multiplier(x, q->mult1, (int)q->shift1);
                } else {
                    int32_t alpha = q->alpha_offset + ((const int8_t *)in1)[off[1]];
                    v = xtml_mul_by_quantized_multiplier(x * alpha, q->mult2, (int)q->shift2);
                }
                v = xtml_add_wrap(v, q->out_offset);
                v = v < q->qmin ? q->qmin : v > q->qmax ? q->qmax : v;
                if (q->type == XTML_DTYPE_INT8) {
                    ((int8_t *)out)[i] = (int8_t)v;
                } else {
                    ((int16_t *)out)[i] = (int16_t)v;
                }
            }
            break;
        }
        for (d = q->ndim - 1; d >= 0; d--) {
            for (k = 0; k < 2; k++) {
                off[k] += q->stride[k][d];
            }
            if (++idx[d] < q->extent[d]) {
                break;
            }
            for (k = 0; k < 2; k++) {
                off[k] -= q->stride[k][d] * q->extent[d];
            }
            idx[d] = 0;
        }
    }
}

static xtml_status_t divisor_fail(xtml_ctx_t *ctx, int32_t at) {
#ifndef XTML_NO_DETAIL
    xtml_fmt(ctx->detail, sizeof ctx->detail, "FLOOR_DIV: divisor element %" PRId32 " is 0", at);
#else
    (void)ctx;
    (void)at;
#endif
    return XTML_STATUS_EVAL_ERROR;
}

static xtml_status_t binary_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_arith_params_t *q = (const xtml_arith_params_t *)node->params;
    const void *in1 = xtml_node_in(ctx, node, 1);
    if (q->op == A_FLOOR_DIV) {
        /* TFLM checks every divisor element first ("Division by 0") */
        int32_t n = 1, d, i;
        for (d = 0; d < q->ndim; d++) {
            n *= q->stride[1][d] != 0 ? q->extent[d] : 1;
        }
        for (i = 0; i < n; i++) {
            if ((bits_of(((const float *)in1)[i]) & 0x7FFFFFFFu) == 0) {
                return divisor_fail(ctx, i);
            }
        }
    }
    broadcast_eval(q, xtml_node_in(ctx, node, 0), in1, xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

static xtml_status_t add_n_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_arith_params_t *q = (const xtml_arith_params_t *)node->params;
    void *out = xtml_node_out(ctx, node, 0);
    int32_t i, j;
    for (i = 0; i < q->count; i++) {
        if (q->type == XTML_DTYPE_FLOAT32) {
            float x = 0.0f;
            for (j = 0; j < q->n_inputs; j++) {
                x += ((const float *)xtml_node_in(ctx, node, j))[i];
            }
            ((float *)out)[i] = x;
        } else {
            /* TFLM: each (x - zp) << 20 halved, summed from the halved -zp, then
             * rescaled to the output */
            int32_t acc = xtml_mul_by_quantized_multiplier(q->in_offset * (1 << 20), q->mult1, (int)q->shift1);
            int32_t v;
            for (j = 0; j < q->n_inputs; j++) {
                int32_t y = q->in_offset + ((const int8_t *)xtml_node_in(ctx, node, j))[i];
                acc += xtml_mul_by_quantized_multiplier(y * (1 << 20), q->mult1, (int)q->shift1);
            }
            v = xtml_add_wrap(xtml_mul_by_quantized_multiplier(acc, q->mult2, (int)q->shift2), q->out_offset);
            ((int8_t *)out)[i] = xtml_clamp_s8(v, -128, 127);
        }
    }
    return XTML_STATUS_OK;
}

/* ---- prepare ---- */

static xtml_status_t expect_io(xtml_prep_t *p, int n_in) {
    if (xtml_prep_n_inputs(p) != n_in || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected %d and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p), n_in);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t type_fail(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, const char *allowed) {
    return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "%s '%s' is %s, expected %s", role, t->name,
                          xtml_dtype_name(t->type), allowed);
}

/* Output shape = numpy broadcast of the two inputs (xtml_math.c); loop nest over the output. */
static xtml_status_t broadcast_prepare(xtml_prep_t *p, const xtml_tinfo_t *ins, const xtml_tinfo_t *out,
                                       xtml_arith_params_t *q) {
    q->count = out->count;
    return xtml_prep_broadcast(p, ins, 2, out, &q->ndim, q->extent, q->stride);
}

static xtml_status_t persist(xtml_prep_t *p, const xtml_arith_params_t *local) {
    xtml_arith_params_t *q = (xtml_arith_params_t *)XTML_PREP_PERSIST(p, xtml_arith_params_t, 0);
    if (q != NULL) {
        *q = *local;
    }
    return XTML_STATUS_OK;
}

static xtml_status_t shift_check(xtml_prep_t *p, int shift, const char *what) {
    if (shift < -31 || shift > 30) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "%s scale ratio out of range", what);
    }
    return XTML_STATUS_OK;
}

/* PRELU int8 / int16: TFLM's CalculatePreluParams. */
static xtml_status_t prelu_quant(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *alpha,
                                 const xtml_tinfo_t *out, xtml_arith_params_t *q) {
    int shift1, shift2;
    xtml_status_t st = xtml_prep_expect_quantized(p, in, "input");
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_quantized(p, alpha, "alpha");
    }
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_quantized(p, out, "output");
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    q->qmin = in->type == XTML_DTYPE_INT8 ? -128 : -32768;
    q->qmax = -q->qmin - 1;
    if (in->zero_point < q->qmin || in->zero_point > q->qmax || out->zero_point < q->qmin ||
        out->zero_point > q->qmax || alpha->zero_point < -128 || alpha->zero_point > 127) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "zero point outside the type");
    }
    xtml_quantize_f32_div(in->scale, out->scale, &q->mult1, &shift1);
    xtml_quantize_f32_mul_div(in->scale, alpha->scale, out->scale, &q->mult2, &shift2);
    st = shift_check(p, shift1, "input/output");
    if (st == XTML_STATUS_OK) {
        st = shift_check(p, shift2, "input x alpha/output");
    }
    q->shift1 = shift1;
    q->shift2 = shift2;
    q->in_offset = -in->zero_point;
    q->alpha_offset = -alpha->zero_point;
    q->out_offset = out->zero_point;
    return st;
}

static xtml_status_t binary_prepare(xtml_prep_t *p, int op) {
    xtml_tinfo_t ins[2], out;
    xtml_arith_params_t local;
    int k;
    xtml_status_t st = expect_io(p, 2);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    for (k = 0; k < 2; k++) {
        xtml_prep_input(p, k, &ins[k]);
        if (ins[k].index < 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input %d is absent", k);
        }
    }
    xtml_prep_output(p, 0, &out);
    memset(&local, 0, sizeof local);
    local.op = (uint8_t)op;
    local.type = (uint8_t)ins[0].type;
    if (op == A_PRELU) {
        if (ins[0].type != XTML_DTYPE_FLOAT32 && ins[0].type != XTML_DTYPE_INT8 && ins[0].type != XTML_DTYPE_INT16) {
            return type_fail(p, &ins[0], "input", "float32, int8 or int16");
        }
        st = xtml_prep_expect_type(p, &ins[1], "alpha", ins[0].type == XTML_DTYPE_FLOAT32 ? XTML_DTYPE_FLOAT32
                                                                                            : XTML_DTYPE_INT8);
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_type(p, &out, "output", ins[0].type);
        }
        if (st == XTML_STATUS_OK && (out.ndim > 4 || ins[0].ndim > 4 || ins[1].ndim > 4)) {
            /* TFLM's float kernel extends every shape to 4-D */
            st = xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "rank above 4");
        }
        if (st == XTML_STATUS_OK && ins[0].type != XTML_DTYPE_FLOAT32) {
            st = prelu_quant(p, &ins[0], &ins[1], &out, &local);
        }
    } else {
        if (ins[0].type != XTML_DTYPE_FLOAT32) {
            return type_fail(p, &ins[0], "input", "float32");
        }
        st = xtml_prep_expect_type(p, &ins[1], "input", XTML_DTYPE_FLOAT32);
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_FLOAT32);
        }
        if (st == XTML_STATUS_OK && op == A_FLOOR_DIV && ins[1].is_const && ins[1].data != NULL) {
            int32_t i;
            for (i = 0; i < ins[1].count; i++) {
                if ((xtml_ld_i32((const uint8_t *)ins[1].data + 4 * (size_t)i) & 0x7FFFFFFF) == 0) {
                    return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                          "constant divisor '%s' has a 0 at %" PRId32 " (every invoke would fail)",
                                          ins[1].name, i);
                }
            }
        }
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    st = broadcast_prepare(p, ins, &out, &local);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    return persist(p, &local);
}

static xtml_status_t add_n_prepare(xtml_prep_t *p) {
    xtml_tinfo_t first, in, out;
    xtml_arith_params_t local;
    int n = xtml_prep_n_inputs(p), k;
    xtml_status_t st;
    if (n < 2 || n > 255 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected 2 or more and 1",
                              n, xtml_prep_n_outputs(p));
    }
    xtml_prep_input(p, 0, &first);
    xtml_prep_output(p, 0, &out);
    if (first.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input 0 is absent");
    }
    if (first.type != XTML_DTYPE_FLOAT32 && first.type != XTML_DTYPE_INT8) {
        return type_fail(p, &first, "input", "float32 or int8");
    }
    st = xtml_prep_expect_type(p, &out, "output", first.type);
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_same_shape(p, &first, "input", &out, "output");
    }
    for (k = 1; k < n && st == XTML_STATUS_OK; k++) {
        xtml_prep_input(p, k, &in);
        if (in.index < 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input %d is absent", k);
        }
        st = xtml_prep_expect_type(p, &in, "input", first.type);
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_same_shape(p, &first, "input", &in, "input");
        }
        if (st == XTML_STATUS_OK && first.type == XTML_DTYPE_INT8 &&
            (in.scale != first.scale || in.zero_point != first.zero_point)) {
            st = xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "input %d's scale or zero point differs from input 0's", k);
        }
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&local, 0, sizeof local);
    local.op = A_ADD_N;
    local.type = (uint8_t)first.type;
    local.n_inputs = (uint8_t)n;
    local.count = out.count;
    if (first.type == XTML_DTYPE_INT8) {
        int shift;
        st = xtml_prep_expect_quantized(p, &first, "input");
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_quantized(p, &out, "output");
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
        if (first.zero_point < -128 || first.zero_point > 127 || out.zero_point < -128 || out.zero_point > 127) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "zero point outside int8");
        }
        /* scale / (2 scale) = 1/2 exactly; (2 scale) / (2^20 out scale) */
        local.mult1 = 1 << 30;
        local.shift1 = 0;
        xtml_quantize_f32_div(first.scale, out.scale, &local.mult2, &shift);
        if (shift == XTML_SHIFT_INVALID || shift - 19 > 0 || shift - 19 < -31) {
            /* TFLM's QuantizeMultiplierSmallerThanOneExp aborts above 1 */
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input/output scale ratio is not below 2^19");
        }
        local.shift2 = shift - 19;
        local.in_offset = -first.zero_point;
        local.out_offset = out.zero_point;
    }
    return persist(p, &local);
}

#define BINARY(fn, name, op)                                 \
    static xtml_status_t fn##_prepare(xtml_prep_t *p) {      \
        return binary_prepare(p, op);                        \
    }                                                        \
    const xtml_kernel_t xtml_kernel_##fn = { name, fn##_prepare, binary_eval }

BINARY(floor_div, "FLOOR_DIV", A_FLOOR_DIV);
BINARY(floor_mod, "FLOOR_MOD", A_FLOOR_MOD);
BINARY(prelu, "PRELU", A_PRELU);
const xtml_kernel_t xtml_kernel_add_n = { "ADD_N", add_n_prepare, add_n_eval };
