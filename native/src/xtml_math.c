/*
 * xtml_math.c - elementwise math: unary ABS, NEG, SQRT, RSQRT, EXP, LOG,
 * FLOOR, CEIL, ROUND, SQUARE, SIN, COS, LOGICAL_NOT, ZEROS_LIKE, CAST; FILL; binary DIV,
 * SQUARED_DIFFERENCE, the comparisons, LOGICAL_AND/OR; SELECT_V2. Types are
 * the ones TFLM's reference kernels accept for each.
 *
 * Arithmetic is TFLM's, with these rules for the results C leaves to the
 * machine:
 *   - every float result that is a NaN is 0xFFC00000, the default NaN of
 *     the x86-64 build TFLM's vectors come from (invalid operations: square
 *     root or log of a negative, 0 / 0); soft-float and WebAssembly would
 *     otherwise give other bits;
 *   - square root is correctly rounded from integers, log, exp, sin and cos
 *     come from xtml_fmath.c (the same bits on every build, within an ulp of glibc);
 *   - float to integer CAST truncates as x86-64's cvttss2si does: through
 *     int32 (int8, int16, int32) or int64 (uint32), out of range giving the
 *     integer indefinite value, then wrapped to the narrower type;
 *   - int32 DIV by zero gives 0 and INT32_MIN / -1 gives INT32_MIN where
 *     TFLM's build traps: the core never aborts;
 *   - int8 DIV by a value at the divisor's zero point fails the invoke
 *     (XTML_STATUS_EVAL_ERROR): TFLM only asserts against it and computes
 *     with an undefined shift; where TFLM's rounding division would shift
 *     by more than 31 bits (small quotients: its debug build aborts on an
 *     assertion, a release build shifts by an undefined amount), that
 *     rounding gives 0;
 *   - int8 RSQRT of a value below the input zero point fails the invoke
 *     (TFLM: "Rsqrt is only defined for positive values"), before any
 *     output is written.
 *
 * Binary and SELECT_V2 broadcast numpy-style to the output shape (TFLM
 * checks the same shapes); the loop walks the output in order with one
 * offset per input that steps by 0 along a broadcast dimension.
 */
#include <float.h>

#include "xtml_internal.h"

enum {
    M_ABS, M_NEG, M_SQRT, M_RSQRT, M_EXP, M_LOG, M_FLOOR, M_CEIL, M_ROUND, M_SQUARE, M_SIN, M_COS, M_LOGICAL_NOT,
    M_ZEROS_LIKE, M_CAST, M_FILL,
    M_DIV, M_SQUARED_DIFFERENCE, M_EQUAL, M_NOT_EQUAL, M_LESS, M_LESS_EQUAL, M_GREATER,
    M_GREATER_EQUAL, M_LOGICAL_AND, M_LOGICAL_OR, M_SELECT_V2
};

typedef struct xtml_math_params {
    uint8_t op;
    uint8_t type;        /* type of input 0 (of input 1 for SELECT_V2 and FILL) */
    uint8_t out_type;
    uint8_t rescale;     /* quantized ABS: scales differ */
    uint8_t quantized;   /* ABS int16 / comparisons int8: quantized arithmetic */
    uint8_t ndim;        /* broadcast loop rank, innermost last */
    int32_t count;       /* output elements */
    int32_t extent[XTML_MAX_DIMS];
    int32_t stride[3][XTML_MAX_DIMS];  /* per input, in elements; 0 = broadcast */
    int32_t in_offset[2];
    int32_t in_mult[2];
    int32_t in_shift[2];
    int32_t out_offset;
    int32_t mult;
    int32_t shift;
    int32_t act_min;
    int32_t act_max;
    float act_lo;
    float act_hi;
} xtml_math_params_t;

/* ---- float helpers ---- */

static uint32_t f32_bits(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static float f32_of(uint32_t b) {
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

#define X86_DEFAULT_NAN 0xFFC00000u

/* Any NaN becomes x86's default NaN (see the header). */
static float canon(float x) {
    return (f32_bits(x) & 0x7FFFFFFFu) > 0x7F800000u ? f32_of(X86_DEFAULT_NAN) : x;
}

/* floor(sqrt(v)) for v < 2^62, bit by bit; *exact: no remainder. */
static uint32_t isqrt64(uint64_t v, bool *exact) {
    uint64_t rem = 0, root = 0;
    int i;
    for (i = 31; i >= 0; i--) {
        rem = (rem << 2) | ((v >> (2 * i)) & 3u);
        root <<= 1;
        if (rem >= 2 * root + 1) {
            rem -= 2 * root + 1;
            root++;
        }
    }
    *exact = rem == 0;
    return (uint32_t)root;
}

/* The correctly rounded square root (ties cannot occur). */
static float sqrt_f32(float x) {
    uint32_t b = f32_bits(x);
    uint32_t e = (b >> 23) & 0xFFu;
    uint64_t m = b & 0x7FFFFFu;
    int32_t exp2;
    uint32_t r, rb;
    bool exact;
    if ((b & 0x7FFFFFFFu) == 0 || b == 0x7F800000u) {
        return x;                               /* +-0, +inf */
    }
    if ((b >> 31) != 0 || e == 0xFFu) {
        return f32_of(X86_DEFAULT_NAN);         /* negative, NaN */
    }
    if (e == 0) {                               /* subnormal: normalize */
        exp2 = -149;
        while (m < 0x800000u) {
            m <<= 1;
            exp2--;
        }
    } else {
        m |= 0x800000u;
        exp2 = (int32_t)e - 150;
    }
    /* x = m 2^exp2, m in [2^23, 2^24); make the exponent even, then take
     * 26 or 27 bits of root from m 2^(28 or 29). */
    if ((exp2 & 1) != 0) {
        m <<= 1;
        exp2--;
    }
    r = isqrt64(m << 28, &exact);
    exp2 = (exp2 - 28) / 2;
    /* round r (26-27 bits) to 24 bits, ties impossible (an exact square root
     * of a 24-bit float has at most 24 significant bits) */
    {
        int drop = r >= (1u << 26) ? 3 : 2;
        uint32_t rest = r & ((1u << drop) - 1u);
        uint32_t half = 1u << (drop - 1);
        rb = r >> drop;
        if (rest > half || (rest == half && (!exact || (rb & 1u) != 0))) {
            rb++;
        }
        if (rb == 0x1000000u) {
            rb >>= 1;
            drop++;
        }
        return f32_of((uint32_t)(exp2 + drop + 150) << 23 | (rb & 0x7FFFFFu));
    }
}

float xtml_sqrt_f32(float x) {
    return sqrt_f32(x);
}

/* floor / ceil / truncation from the bits (no rounding mode involved). */
static float trunc_f32(float x) {
    uint32_t b = f32_bits(x);
    int32_t e = (int32_t)((b >> 23) & 0xFFu) - 127;
    if (e >= 23) {
        return x;                               /* integral, inf or NaN */
    }
    if (e < 0) {
        return f32_of(b & 0x80000000u);         /* |x| < 1: +-0 */
    }
    return f32_of(b & ~(0x7FFFFFu >> e));
}

static float floor_f32(float x) {
    float t = trunc_f32(x);
    return (t != x && (f32_bits(x) >> 31) != 0) ? t - 1.0f : t;
}

static float ceil_f32(float x) {
    float t = trunc_f32(x);
    return (t != x && (f32_bits(x) >> 31) == 0) ? t + 1.0f : t;
}

/* TFLM's RoundToNearest: halves to the even neighbour, from floor. */
static float round_f32(float x) {
    float f = floor_f32(x);
    float diff = x - f;
    bool even;
    if ((f32_bits(x) & 0x7FFFFFFFu) >= 0x7F800000u) {
        return canon(x);                        /* inf - inf would be NaN: keep inf */
    }
    /* static_cast<int>(floor) % 2 as x86 computes it: beyond int range the
     * conversion gives INT32_MIN, which is even */
    even = (f32_bits(f) & 0x7FFFFFFFu) >= 0x4F000000u ? true : ((int32_t)f % 2) == 0;
    if (diff < 0.5f || (diff == 0.5f && even)) {
        return f;
    }
    return f + 1.0f;
}

/* Float to int32 as cvttss2si: truncation, INT32_MIN when out of range or NaN. */
static int32_t f32_to_i32(float x) {
    uint32_t mag = f32_bits(x) & 0x7FFFFFFFu;
    if (mag >= 0x4F000000u) {
        return INT32_MIN;                       /* |x| >= 2^31, inf, NaN */
    }
    return (int32_t)x;
}

/* Float to int64 (for uint32) as the 64-bit cvttss2si. */
static int64_t f32_to_i64(float x) {
    uint32_t mag = f32_bits(x) & 0x7FFFFFFFu;
    if (mag >= 0x5F000000u) {
        return INT64_MIN;
    }
    return (int64_t)x;
}

/* ---- element access ---- */

static float ld_f(const void *p, int32_t i) {
    return ((const float *)p)[i];
}

/* An integer-typed element as int64 (bool, int8, int16, int32, uint32, int64). */
static int64_t ld_i(uint8_t type, const void *p, int32_t i) {
    switch (type) {
    case XTML_DTYPE_BOOL:
        return ((const uint8_t *)p)[i] != 0;
    case XTML_DTYPE_INT8:
        return ((const int8_t *)p)[i];
    case XTML_DTYPE_INT16:
        return ((const int16_t *)p)[i];
    case XTML_DTYPE_INT32:
        return ((const int32_t *)p)[i];
    case XTML_DTYPE_UINT32:
        return ((const uint32_t *)p)[i];
    default:
        return xtml_ld_i64((const uint8_t *)p + 8 * (size_t)i);   /* 4-byte aligned constants too */
    }
}

/* Store an integer value, wrapped to the type. */
static void st_i(uint8_t type, void *p, int32_t i, int64_t v) {
    switch (type) {
    case XTML_DTYPE_BOOL:
        ((uint8_t *)p)[i] = v != 0;
        break;
    case XTML_DTYPE_INT8:
        ((int8_t *)p)[i] = (int8_t)(uint8_t)(uint64_t)v;
        break;
    case XTML_DTYPE_INT16:
        ((int16_t *)p)[i] = (int16_t)(uint16_t)(uint64_t)v;
        break;
    case XTML_DTYPE_INT32:
        ((int32_t *)p)[i] = (int32_t)(uint32_t)(uint64_t)v;
        break;
    case XTML_DTYPE_UINT32:
        ((uint32_t *)p)[i] = (uint32_t)(uint64_t)v;
        break;
    default:
        ((int64_t *)p)[i] = v;
        break;
    }
}

/* ---- unary ---- */

static int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static void unary_eval(const xtml_math_params_t *q, const void *in, void *out) {
    int32_t i, n = q->count;
    float *fo = (float *)out;
    for (i = 0; i < n; i++) {
        switch (q->op) {
        case M_ABS:
            if (q->type == XTML_DTYPE_FLOAT32) {
                fo[i] = f32_of(f32_bits(ld_f(in, i)) & 0x7FFFFFFFu);
            } else {
                int32_t lo = q->type == XTML_DTYPE_INT8 ? -128 : -32768;
                int32_t v = (int32_t)ld_i(q->type, in, i) - q->in_offset[0];
                v = v < 0 ? -v : v;
                if (!q->quantized) {
                    st_i(q->type, out, i, v);   /* std::abs, wrapped back to int16 */
                    break;
                }
                if (q->rescale) {
                    v = xtml_mul_by_quantized_multiplier(v, q->mult, (int)q->shift);
                }
                st_i(q->type, out, i, clamp_i32(xtml_add_wrap(v, q->out_offset), lo, -lo - 1));
            }
            break;
        case M_NEG:
            fo[i] = f32_of(f32_bits(ld_f(in, i)) ^ 0x80000000u);
            break;
        case M_SQRT:
            fo[i] = sqrt_f32(ld_f(in, i));
            break;
        case M_RSQRT:
            if (q->type == XTML_DTYPE_INT8) {
                /* TFLM: 1 / sqrt(x - zp) with 20 fractional bits, then the
                 * output multiplier; x at the zero point gives 127 */
                int32_t v = ((const int8_t *)in)[i] - q->in_offset[0];
                int32_t r = 127;
                if (v != 0) {
                    int s;
                    int32_t m = xtml_inv_sqrt_multiplier(v, &s);
                    int32_t d = xtml_mul_by_quantized_multiplier(1, m, s + 20);
                    r = xtml_add_wrap(xtml_mul_by_quantized_multiplier(d, q->mult, (int)q->shift - 20), q->out_offset);
                }
                ((int8_t *)out)[i] = (int8_t)clamp_i32(r, -128, 127);
            } else {
                fo[i] = canon(1.0f / sqrt_f32(ld_f(in, i)));
            }
            break;
        case M_EXP:
            fo[i] = canon(xtml_exp_f32(ld_f(in, i)));
            break;
        case M_LOG:
            fo[i] = canon(xtml_log_f32(ld_f(in, i)));
            break;
        case M_FLOOR:
            fo[i] = floor_f32(ld_f(in, i));
            break;
        case M_CEIL:
            fo[i] = ceil_f32(ld_f(in, i));
            break;
        case M_ROUND:
            fo[i] = round_f32(ld_f(in, i));
            break;
        case M_SQUARE: {
            float v = ld_f(in, i);
            fo[i] = canon(v * v);
            break;
        }
        case M_SIN:
            fo[i] = canon(xtml_sin_f32(ld_f(in, i)));
            break;
        case M_COS:
            fo[i] = canon(xtml_cos_f32(ld_f(in, i)));
            break;
        case M_LOGICAL_NOT:
            ((uint8_t *)out)[i] = ((const uint8_t *)in)[i] == 0;
            break;
        case M_CAST:
            if (q->type == XTML_DTYPE_FLOAT32) {
                float v = ld_f(in, i);
                if (q->out_type == XTML_DTYPE_FLOAT32) {
                    fo[i] = v;
                } else if (q->out_type == XTML_DTYPE_UINT32) {
                    st_i(q->out_type, out, i, f32_to_i64(v));
                } else {
                    st_i(q->out_type, out, i, f32_to_i32(v));
                }
            } else if (q->out_type == XTML_DTYPE_FLOAT32) {
                int64_t v = ld_i(q->type, in, i);
                fo[i] = q->type == XTML_DTYPE_UINT32 ? (float)(uint32_t)v : (float)(int32_t)v;
            } else {
                st_i(q->out_type, out, i, ld_i(q->type, in, i));
            }
            break;
        default:
            break;
        }
    }
}

/* ---- binary, comparisons, select: one element ---- */

static int32_t scaled_q(const xtml_math_params_t *q, int k, int32_t v) {
    return xtml_mul_by_quantized_multiplier((v + q->in_offset[k]) * (1 << 8), q->in_mult[k], (int)q->in_shift[k]);
}

static bool compare(uint8_t op, int c) {
    switch (op) {
    case M_EQUAL:
        return c == 0;
    case M_NOT_EQUAL:
        return c != 0;
    case M_LESS:
        return c < 0;
    case M_LESS_EQUAL:
        return c <= 0;
    case M_GREATER:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* gemmlowp's RoundingDivideByPOT, extended past 31 bits: TFLM's int8 DIV
 * asks for more where the quotient is small (a numerator near its zero
 * point, a large divisor); TFLM's debug build then aborts on gemmlowp's
 * assertion and a release build shifts by an undefined amount. Here
 * |x| / 2^e (|x| <= 2^31 < 2^e) rounds to 0, as the division means. */
static int32_t rdbpot_ext(int32_t x, int e) {
    return e <= 31 ? xtml_rounding_divide_by_pot(x, e) : 0;
}

static int clz32(uint32_t x) {
    int n = 0;
    while (n < 32 && (x & 0x80000000u) == 0) {
        x <<= 1;
        n++;
    }
    return n;
}

/* TFLM's int8 DivElementwise; the divisor is never at its zero point here. */
static int8_t div_s8(const xtml_math_params_t *q, int32_t x, int32_t y) {
    int32_t v1 = q->in_offset[0] + x, v2 = q->in_offset[1] + y;
    int32_t inv, quotient, r;
    int hr, recip_shift, headroom, total;
    if (v2 < 0) {
        v1 = -v1;
        v2 = -v2;
    }
    /* GetReciprocal(v2, 31): 1 / (1 + fraction) of v2 normalized */
    hr = clz32((uint32_t)v2);
    recip_shift = 31 - hr;
    inv = xtml_one_over_one_plus_x((int32_t)(((uint32_t)v2 << hr) - 0x80000000u));
    /* CountLeadingSignBits (g++: __builtin_clrsb, 31 for 0) */
    headroom = v1 == 0 ? 31 : clz32((uint32_t)(v1 < 0 ? ~v1 : v1)) - 1;
    quotient = xtml_saturating_rounding_doubling_high_mul((int32_t)((uint32_t)v1 << headroom), inv);
    total = (int)q->shift - recip_shift - headroom;
    r = xtml_add_wrap(q->out_offset,
                      rdbpot_ext(xtml_saturating_rounding_doubling_high_mul(quotient, q->mult), -total));
    return (int8_t)clamp_i32(r, q->act_min, q->act_max);
}

/* TFLM's quantized SquaredDifference (int8 with a left shift of 7, int16 0). */
static int32_t squared_difference_q(const xtml_math_params_t *q, int32_t x, int32_t y) {
    int ls = q->type == XTML_DTYPE_INT8 ? 7 : 0;
    int32_t s1 = xtml_mul_by_quantized_multiplier((q->in_offset[0] + x) * (1 << ls), q->in_mult[0], (int)q->in_shift[0]);
    int32_t s2 = xtml_mul_by_quantized_multiplier((q->in_offset[1] + y) * (1 << ls), q->in_mult[1], (int)q->in_shift[1]);
    uint32_t d = (uint32_t)s1 - (uint32_t)s2;
    int32_t r = xtml_add_wrap(xtml_mul_by_quantized_multiplier((int32_t)(d * d), q->mult, (int)q->shift), q->out_offset);
    return clamp_i32(r, q->act_min, q->act_max);
}

static void binary_one(const xtml_math_params_t *q, const void *a, int32_t ia, const void *b, int32_t ib,
                       void *out, int32_t io) {
    uint8_t op = q->op;
    if (op >= M_EQUAL && op <= M_GREATER_EQUAL) {
        bool r;
        if (q->type == XTML_DTYPE_FLOAT32) {
            float x = ld_f(a, ia), y = ld_f(b, ib);
            /* NaN compares false everywhere but !=, as in C */
            switch (op) {
            case M_EQUAL: r = x == y; break;
            case M_NOT_EQUAL: r = x != y; break;
            case M_LESS: r = x < y; break;
            case M_LESS_EQUAL: r = x <= y; break;
            case M_GREATER: r = x > y; break;
            default: r = x >= y; break;
            }
        } else {
            int64_t x = ld_i(q->type, a, ia), y = ld_i(q->type, b, ib);
            if (q->quantized) {
                x = scaled_q(q, 0, (int32_t)x);
                y = scaled_q(q, 1, (int32_t)y);
            }
            r = compare(op, x < y ? -1 : x > y ? 1 : 0);
        }
        ((uint8_t *)out)[io] = r;
        return;
    }
    switch (op) {
    case M_LOGICAL_AND:
        ((uint8_t *)out)[io] = ((const uint8_t *)a)[ia] != 0 && ((const uint8_t *)b)[ib] != 0;
        break;
    case M_LOGICAL_OR:
        ((uint8_t *)out)[io] = ((const uint8_t *)a)[ia] != 0 || ((const uint8_t *)b)[ib] != 0;
        break;
    case M_DIV:
        if (q->type == XTML_DTYPE_INT8) {
            ((int8_t *)out)[io] = div_s8(q, ((const int8_t *)a)[ia], ((const int8_t *)b)[ib]);
        } else if (q->type == XTML_DTYPE_FLOAT32) {
            ((float *)out)[io] = canon(xtml_clamp_f32(ld_f(a, ia) / ld_f(b, ib), q->act_lo, q->act_hi));
        } else {
            int32_t x = ((const int32_t *)a)[ia], y = ((const int32_t *)b)[ib];
            int32_t r = y == 0 ? 0 : (y == -1 ? (int32_t)(0u - (uint32_t)x) : x / y);
            ((int32_t *)out)[io] = clamp_i32(r, q->act_min, q->act_max);
        }
        break;
    default: /* M_SQUARED_DIFFERENCE */
        if (q->quantized) {
            int32_t v = squared_difference_q(q, (int32_t)ld_i(q->type, a, ia), (int32_t)ld_i(q->type, b, ib));
            st_i(q->type, out, io, v);
        } else if (q->type == XTML_DTYPE_FLOAT32) {
            float d = ld_f(a, ia) - ld_f(b, ib);
            ((float *)out)[io] = canon(d * d);
        } else {
            uint32_t d = (uint32_t)((const int32_t *)a)[ia] - (uint32_t)((const int32_t *)b)[ib];
            ((int32_t *)out)[io] = (int32_t)(d * d);
        }
        break;
    }
}

/* Walk the output in order; inputs step by their strides (0: broadcast). */
static void broadcast_eval(const xtml_math_params_t *q, const void *in0, const void *in1, const void *in2,
                           void *out) {
    int32_t idx[XTML_MAX_DIMS] = { 0 };
    int32_t off[3] = { 0, 0, 0 };
    int32_t i, d, k;
    int32_t nd = q->ndim;
    size_t esize = xtml_dtype_size((xtml_dtype_t)q->type);
    for (i = 0; i < q->count; i++) {
        if (q->op == M_SELECT_V2) {
            const uint8_t *c = (const uint8_t *)in0;
            const uint8_t *src = c[off[0]] != 0 ? (const uint8_t *)in1 + (size_t)off[1] * esize
                                                : (const uint8_t *)in2 + (size_t)off[2] * esize;
            memcpy((uint8_t *)out + (size_t)i * esize, src, esize);
        } else {
            binary_one(q, in0, off[0], in1, off[1], out, i);
        }
        for (d = nd - 1; d >= 0; d--) {
            for (k = 0; k < 3; k++) {
                off[k] += q->stride[k][d];
            }
            if (++idx[d] < q->extent[d]) {
                break;
            }
            for (k = 0; k < 3; k++) {
                off[k] -= q->stride[k][d] * q->extent[d];
            }
            idx[d] = 0;
        }
    }
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

static bool type_in(xtml_dtype_t t, uint32_t mask) {
    return (uint32_t)t < 32u && (mask & (1u << (uint32_t)t)) != 0;
}

#define T(x) (1u << XTML_DTYPE_##x)

/*
 * Output shape = numpy broadcast of the n (at most 3) inputs; the loop nest runs
 * over the output: *ndim loops of extent[d], input k stepping stride[k][d]
 * elements (0 where it is broadcast). Shared with xtml_arith.c.
 */
xtml_status_t xtml_prep_broadcast(xtml_prep_t *p, const xtml_tinfo_t *ins, int n, const xtml_tinfo_t *out,
                                  uint8_t *ndim, int32_t *extent, int32_t (*stride)[XTML_MAX_DIMS]) {
    int32_t rank = out->ndim, d, k;
    int32_t acc[3] = { 1, 1, 1 };
    for (k = 0; k < n; k++) {
        if (ins[k].ndim > rank) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input '%s' has rank %d, the output %d",
                                  ins[k].name, (int)ins[k].ndim, (int)rank);
        }
    }
    *ndim = (uint8_t)rank;
    for (d = rank - 1; d >= 0; d--) {
        int32_t want = 1;
        for (k = 0; k < n; k++) {
            int32_t from_end = rank - 1 - d;
            int32_t dim = from_end < ins[k].ndim ? ins[k].dims[ins[k].ndim - 1 - from_end] : 1;
            if (dim != 1 && want != 1 && dim != want) {
                return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                      "inputs do not broadcast: %" PRId32 " vs %" PRId32 " in dimension %" PRId32,
                                      dim, want, d);
            }
            if (dim != 1) {
                want = dim;
            }
            stride[k][d] = dim == 1 ? 0 : acc[k];
            acc[k] *= dim;
        }
        if (out->dims[d] != want) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "output '%s' has %" PRId32 " in dimension %" PRId32 ", the inputs broadcast to %" PRId32,
                                  out->name, out->dims[d], d, want);
        }
        extent[d] = out->dims[d];
    }
    return XTML_STATUS_OK;
}

static xtml_status_t broadcast_prepare(xtml_prep_t *p, const xtml_tinfo_t *ins, int n, const xtml_tinfo_t *out,
                                       xtml_math_params_t *q) {
    q->count = out->count;
    return xtml_prep_broadcast(p, ins, n, out, &q->ndim, q->extent, q->stride);
}

static xtml_status_t persist(xtml_prep_t *p, const xtml_math_params_t *local) {
    xtml_math_params_t *q = (xtml_math_params_t *)XTML_PREP_PERSIST(p, xtml_math_params_t, 0);
    if (q != NULL) {
        *q = *local;
    }
    return XTML_STATUS_OK;
}

/* Quantized ABS (int8, or int16 with zero points 0): TFLM's prepare. */
static xtml_status_t abs_quant(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out, xtml_math_params_t *q) {
    xtml_status_t st = xtml_prep_expect_quantized(p, in, "input");
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_quantized(p, out, "output");
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in->type == XTML_DTYPE_INT16 && (in->zero_point != 0 || out->zero_point != 0)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "int16 input and output need zero point 0");
    }
    if (in->zero_point < -32768 || in->zero_point > 32767 || out->zero_point < -32768 || out->zero_point > 32767) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "zero point outside the type");
    }
    q->quantized = 1;
    q->in_offset[0] = in->zero_point;
    q->out_offset = out->zero_point;
    q->rescale = in->scale != out->scale;
    if (q->rescale) {
        int shift;
        /* QuantizeMultiplier((double)(in / out)), the ratio rounded in float */
        volatile float ratio = in->scale / out->scale;
        xtml_quantize_f32(ratio, &q->mult, &shift);
        if (shift < -31 || shift > 30) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input/output scale ratio out of range");
        }
        q->shift = shift;
    }
    return XTML_STATUS_OK;
}

/* int8 RSQRT: TFLM's multiplier 1 / (sqrtf(input scale) * output scale),
 * the product rounded in float, the quotient in double. */
static xtml_status_t rsqrt_quant(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out, xtml_math_params_t *q) {
    int shift;
    volatile float root, prod;
    xtml_status_t st = xtml_prep_expect_quantized(p, in, "input");
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_quantized(p, out, "output");
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in->zero_point < -128 || in->zero_point > 127 || out->zero_point < -128 || out->zero_point > 127) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "zero point outside int8");
    }
    root = xtml_sqrt_f32(in->scale);
    prod = root * out->scale;
    xtml_quantize_f32_div(1.0f, prod, &q->mult, &shift);
    if (shift == XTML_SHIFT_INVALID || shift - 20 < -31 || shift - 20 > 30) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input scale %s and output scale %s out of range",
                              XTML_F32(in->scale), XTML_F32(out->scale));
    }
    q->shift = shift;
    q->quantized = 1;
    q->in_offset[0] = in->zero_point;
    q->out_offset = out->zero_point;
    return XTML_STATUS_OK;
}

static xtml_status_t unary_prepare(xtml_prep_t *p, int op) {
    xtml_tinfo_t in, out;
    xtml_math_params_t local;
    xtml_status_t st = expect_io(p, 1);
    uint32_t allowed;
    const char *allowed_text;
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    memset(&local, 0, sizeof local);
    local.op = (uint8_t)op;
    local.type = (uint8_t)in.type;
    local.out_type = (uint8_t)out.type;
    local.count = out.count;
    switch (op) {
    case M_ABS:
        allowed = T(FLOAT32) | T(INT8) | T(INT16);
        allowed_text = "float32, int8 or int16";
        break;
    case M_LOGICAL_NOT:
        allowed = T(BOOL);
        allowed_text = "bool";
        break;
    case M_ZEROS_LIKE:
        allowed = T(FLOAT32) | T(INT8) | T(INT32) | T(INT64);
        allowed_text = "float32, int8, int32 or int64";
        break;
    case M_CAST:
        allowed = T(FLOAT32) | T(INT8) | T(INT16) | T(INT32) | T(UINT32) | T(BOOL);
        allowed_text = "float32, int8, int16, int32, uint32 or bool";
        break;
    case M_RSQRT:
        allowed = T(FLOAT32) | T(INT8);
        allowed_text = "float32 or int8";
        break;
    default:
        allowed = T(FLOAT32);
        allowed_text = "float32";
        break;
    }
    if (!type_in(in.type, allowed)) {
        return type_fail(p, &in, "input", allowed_text);
    }
    if (op == M_CAST) {
        if (!type_in(out.type, T(FLOAT32) | T(INT8) | T(INT16) | T(INT32) | T(UINT32))) {
            return type_fail(p, &out, "output", "float32, int8, int16, int32 or uint32");
        }
    } else {
        st = xtml_prep_expect_type(p, &out, "output", in.type);
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }
    st = xtml_prep_expect_same_shape(p, &in, "input", &out, "output");
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (op == M_ABS && (in.type == XTML_DTYPE_INT8 || (in.type == XTML_DTYPE_INT16 && in.n_scales > 0))) {
        st = abs_quant(p, &in, &out, &local);
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }
    if (op == M_RSQRT && in.type == XTML_DTYPE_INT8) {
        st = rsqrt_quant(p, &in, &out, &local);
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }
    if (op != M_ZEROS_LIKE && (op != M_CAST || xtml_dtype_size(in.type) >= xtml_dtype_size(out.type))) {
        xtml_prep_inplace(p, 0, 0);
    }
    return persist(p, &local);
}

static xtml_status_t unary_eval_node(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_math_params_t *q = (const xtml_math_params_t *)node->params;
    void *out = xtml_node_out(ctx, node, 0);
    if (q->op == M_ZEROS_LIKE) {
        memset(out, 0, (size_t)q->count * xtml_dtype_size((xtml_dtype_t)q->type));
        return XTML_STATUS_OK;
    }
    if (q->op == M_RSQRT && q->type == XTML_DTYPE_INT8) {
        const int8_t *in = (const int8_t *)xtml_node_in(ctx, node, 0);
        int32_t i;
        for (i = 0; i < q->count; i++) {
            if (in[i] < q->in_offset[0]) {
#ifndef XTML_NO_DETAIL
                xtml_fmt(ctx->detail, sizeof ctx->detail, "RSQRT: element %" PRId32 " is below the zero point", i);
#endif
                return XTML_STATUS_EVAL_ERROR;
            }
        }
    }
    unary_eval(q, xtml_node_in(ctx, node, 0), out);
    return XTML_STATUS_OK;
}

/* FILL: a constant 1-D dims tensor equal to the output shape, a scalar value. */
static xtml_status_t fill_prepare(xtml_prep_t *p) {
    xtml_tinfo_t dims, value, out;
    xtml_math_params_t local;
    int32_t i;
    xtml_status_t st = expect_io(p, 2);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &dims);
    xtml_prep_input(p, 1, &value);
    xtml_prep_output(p, 0, &out);
    if (dims.index < 0 || value.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "an input is absent");
    }
    if (!type_in(value.type, T(FLOAT32) | T(INT8) | T(INT32))) {
        return type_fail(p, &value, "value", "float32, int8 or int32");
    }
    st = xtml_prep_expect_type(p, &out, "output", value.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (value.ndim != 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "value '%s' is not a scalar", value.name);
    }
    if (!dims.is_const) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "dims '%s' is not a constant", dims.name);
    }
    if (!type_in(dims.type, T(INT8) | T(INT16) | T(INT32) | T(INT64))) {
        return type_fail(p, &dims, "dims", "int8, int16, int32 or int64");
    }
    if (dims.ndim != 1 || dims.dims[0] != out.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "dims '%s' does not list the output's %d dimensions",
                              dims.name, (int)out.ndim);
    }
    for (i = 0; i < out.ndim; i++) {
        if (ld_i((uint8_t)dims.type, dims.data, i) != out.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "dims '%s' differs from the output shape in dimension %d",
                                  dims.name, (int)i);
        }
    }
    memset(&local, 0, sizeof local);
    local.op = M_FILL;
    local.type = (uint8_t)value.type;
    local.count = out.count;
    return persist(p, &local);
}

static xtml_status_t fill_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_math_params_t *q = (const xtml_math_params_t *)node->params;
    size_t esize = xtml_dtype_size((xtml_dtype_t)q->type);
    const uint8_t *v = (const uint8_t *)xtml_node_in(ctx, node, 1);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    int32_t i;
    for (i = 0; i < q->count; i++) {
        memcpy(out + (size_t)i * esize, v, esize);
    }
    return XTML_STATUS_OK;
}

/* Comparison of int8: both inputs to a common scale (TFLM's WithScaling). */
static xtml_status_t compare_quant(xtml_prep_t *p, const xtml_tinfo_t *a, const xtml_tinfo_t *b, xtml_math_params_t *q) {
    const xtml_tinfo_t *ins[2];
    int k;
    ins[0] = a;
    ins[1] = b;
    for (k = 0; k < 2; k++) {
        int shift;
        xtml_status_t st = xtml_prep_expect_quantized(p, ins[k], "input");
        if (st != XTML_STATUS_OK) {
            return st;
        }
        if (!(ins[k]->scale < 1.0f)) {
            /* QuantizeMultiplierSmallerThanOneExp aborts TFLM */
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input '%s' scale %s is not below 1",
                                  ins[k]->name, XTML_F32(ins[k]->scale));
        }
        if (ins[k]->zero_point < -128 || ins[k]->zero_point > 127) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "input '%s' zero point outside int8", ins[k]->name);
        }
        xtml_quantize_f32(ins[k]->scale, &q->in_mult[k], &shift);
        if (shift < -31) {
            shift = -31;
            q->in_mult[k] = 0;
        }
        q->in_shift[k] = shift;
        q->in_offset[k] = -ins[k]->zero_point;
    }
    q->quantized = 1;
    return XTML_STATUS_OK;
}

static xtml_status_t expect_quantized3(xtml_prep_t *p, const xtml_tinfo_t *a, const xtml_tinfo_t *b,
                                       const xtml_tinfo_t *out, int32_t lo, int32_t hi) {
    xtml_status_t st = xtml_prep_expect_quantized(p, a, "input");
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_quantized(p, b, "input");
    }
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_quantized(p, out, "output");
    }
    if (st == XTML_STATUS_OK && (a->zero_point < lo || a->zero_point > hi || b->zero_point < lo || b->zero_point > hi ||
                                 out->zero_point < lo || out->zero_point > hi)) {
        st = xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "zero point outside [%" PRId32 ", %" PRId32 "]", lo, hi);
    }
    return st;
}

/* int8 / int16 SQUARED_DIFFERENCE: TFLM's PrepareQuantized (left shift 7
 * for int8, 0 for int16; int16 zero points 0). */
static xtml_status_t squared_difference_quant(xtml_prep_t *p, const xtml_tinfo_t *a, const xtml_tinfo_t *b,
                                              const xtml_tinfo_t *out, xtml_math_params_t *q) {
    bool s8 = a->type == XTML_DTYPE_INT8;
    float smax;
    int shift, k;
    xtml_status_t st = expect_quantized3(p, a, b, out, s8 ? -128 : 0, s8 ? 127 : 0);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    smax = a->scale < b->scale ? b->scale : a->scale;
    for (k = 0; k < 2; k++) {
        /* scale / (2 max scale) */
        xtml_quantize_f32_div(k == 0 ? a->scale : b->scale, smax, &q->in_mult[k], &shift);
        if (shift == XTML_SHIFT_INVALID || shift - 1 > 0 || shift - 1 < -31) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input scales out of range");
        }
        q->in_shift[k] = shift - 1;
        q->in_offset[k] = -(k == 0 ? a->zero_point : b->zero_point);
    }
    /* (2 max scale)^2 / (2^(2 left shift) output scale) */
    xtml_quantize_f32_mul_div(smax, smax, out->scale, &q->mult, &shift);
    shift += 2 - (s8 ? 14 : 0);
    if (shift < -31 || shift > 30) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input and output scales out of range");
    }
    q->shift = shift;
    q->out_offset = out->zero_point;
    q->act_min = s8 ? -128 : -32768;
    q->act_max = s8 ? 127 : 32767;
    q->quantized = 1;
    return XTML_STATUS_OK;
}

/* int8 DIV: TFLM's multiplier input1 / (input2 x output scale), rounded in
 * float; the fused activation on the output's scale. */
static xtml_status_t div_quant(xtml_prep_t *p, const xtml_tinfo_t *a, const xtml_tinfo_t *b, const xtml_tinfo_t *out,
                               int act, xtml_math_params_t *q) {
    int shift;
    volatile float prod, ratio;
    xtml_status_t st = expect_quantized3(p, a, b, out, -128, 127);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    prod = b->scale * out->scale;
    ratio = a->scale / prod;
    xtml_quantize_f32(ratio, &q->mult, &shift);
    if (shift == XTML_SHIFT_INVALID || shift > 23) {
        /* the rounding division would be asked for a negative shift */
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input and output scales out of range");
    }
    q->shift = shift;
    q->in_offset[0] = -a->zero_point;
    q->in_offset[1] = -b->zero_point;
    q->out_offset = out->zero_point;
    xtml_activation_range_quantized(act, out->scale, out->zero_point, -128, 127, &q->act_min, &q->act_max);
    q->quantized = 1;
    return XTML_STATUS_OK;
}

static xtml_status_t binary_prepare(xtml_prep_t *p, int op) {
    xtml_tinfo_t ins[3], out;
    xtml_math_params_t local;
    int n = op == M_SELECT_V2 ? 3 : 2;
    int k;
    xtml_dtype_t type;
    xtml_status_t st = expect_io(p, n);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    for (k = 0; k < n; k++) {
        xtml_prep_input(p, k, &ins[k]);
        if (ins[k].index < 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input %d is absent", k);
        }
    }
    xtml_prep_output(p, 0, &out);
    memset(&local, 0, sizeof local);
    local.op = (uint8_t)op;
    type = ins[op == M_SELECT_V2 ? 1 : 0].type;
    local.type = (uint8_t)type;
    local.out_type = (uint8_t)out.type;
    if (op == M_SELECT_V2) {
        st = xtml_prep_expect_type(p, &ins[0], "condition", XTML_DTYPE_BOOL);
        if (st == XTML_STATUS_OK && !type_in(type, T(FLOAT32) | T(INT8) | T(INT16))) {
            st = type_fail(p, &ins[1], "input", "float32, int8 or int16");
        }
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_type(p, &ins[2], "input", type);
        }
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_type(p, &out, "output", type);
        }
    } else {
        uint32_t allowed;
        const char *text;
        bool logical = op == M_LOGICAL_AND || op == M_LOGICAL_OR;
        bool comparison = op >= M_EQUAL && op <= M_GREATER_EQUAL;
        if (logical) {
            allowed = T(BOOL);
            text = "bool";
        } else if (comparison) {
            allowed = T(BOOL) | T(FLOAT32) | T(INT8) | T(INT32) | T(INT64);
            text = "bool, float32, int8, int32 or int64";
            if (op != M_EQUAL && op != M_NOT_EQUAL) {
                allowed &= ~T(BOOL);
                text = "float32, int8, int32 or int64";
            }
        } else if (op == M_DIV) {
            allowed = T(FLOAT32) | T(INT32) | T(INT8);
            text = "float32, int32 or int8";
        } else {
            allowed = T(FLOAT32) | T(INT32) | T(INT8) | T(INT16);
            text = "float32, int32, int8 or int16";
        }
        if (!type_in(type, allowed)) {
            return type_fail(p, &ins[0], "input", text);
        }
        st = xtml_prep_expect_type(p, &ins[1], "input", type);
        if (st == XTML_STATUS_OK) {
            st = xtml_prep_expect_type(p, &out, "output", (logical || comparison) ? XTML_DTYPE_BOOL : type);
        }
        if (st == XTML_STATUS_OK && comparison && type == XTML_DTYPE_INT8) {
            st = compare_quant(p, &ins[0], &ins[1], &local);
        }
        if (st == XTML_STATUS_OK && op == M_SQUARED_DIFFERENCE && (type == XTML_DTYPE_INT8 || type == XTML_DTYPE_INT16)) {
            st = squared_difference_quant(p, &ins[0], &ins[1], &out, &local);
        }
        if (st == XTML_STATUS_OK && op == M_DIV) {
            xtml_fb_table_t opts;
            int act;
            st = xtml_prep_options(p, 29 /* DivOptions */, &opts);
            act = xtml_fb_i8(&opts, 0, XTML_ACT_NONE);
            if (st == XTML_STATUS_OK && act != XTML_ACT_NONE && act != XTML_ACT_RELU && act != XTML_ACT_RELU_N1_TO_1 &&
                act != XTML_ACT_RELU6) {
                st = xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "fused activation %d is not supported", act);
            }
            if (st == XTML_STATUS_OK) {
                local.act_lo = -FLT_MAX;
                local.act_hi = FLT_MAX;
                local.act_min = INT32_MIN;
                local.act_max = INT32_MAX;
                if (act == XTML_ACT_RELU) {
                    local.act_lo = 0.0f;
                    local.act_min = 0;
                } else if (act == XTML_ACT_RELU6) {
                    local.act_lo = 0.0f;
                    local.act_hi = 6.0f;
                    local.act_min = 0;
                    local.act_max = 6;
                } else if (act == XTML_ACT_RELU_N1_TO_1) {
                    local.act_lo = -1.0f;
                    local.act_hi = 1.0f;
                    local.act_min = -1;
                    local.act_max = 1;
                }
            }
            if (st == XTML_STATUS_OK && type == XTML_DTYPE_INT8) {
                st = div_quant(p, &ins[0], &ins[1], &out, act, &local);
            }
        }
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    st = broadcast_prepare(p, ins, n, &out, &local);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    return persist(p, &local);
}

static xtml_status_t binary_eval_node(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_math_params_t *q = (const xtml_math_params_t *)node->params;
    if (q->op == M_DIV && q->type == XTML_DTYPE_INT8) {
        /* every divisor element (input 2's own count) */
        const int8_t *b = (const int8_t *)xtml_node_in(ctx, node, 1);
        int32_t n = 1, d, i;
        for (d = 0; d < q->ndim; d++) {
            n *= q->stride[1][d] != 0 ? q->extent[d] : 1;
        }
        for (i = 0; i < n; i++) {
            if (b[i] + q->in_offset[1] == 0) {
#ifndef XTML_NO_DETAIL
                xtml_fmt(ctx->detail, sizeof ctx->detail, "DIV: divisor element %" PRId32 " is at its zero point", i);
#endif
                return XTML_STATUS_EVAL_ERROR;
            }
        }
    }
    broadcast_eval(q, xtml_node_in(ctx, node, 0), xtml_node_in(ctx, node, 1),
                   q->op == M_SELECT_V2 ? xtml_node_in(ctx, node, 2) : NULL, xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

#define UNARY(fn, name, op)                                  \
    static xtml_status_t fn##_prepare(xtml_prep_t *p) {      \
        return unary_prepare(p, op);                         \
    }                                                        \
    const xtml_kernel_t xtml_kernel_##fn = { name, fn##_prepare, unary_eval_node }
#define BINARY(fn, name, op)                                 \
    static xtml_status_t fn##_prepare(xtml_prep_t *p) {      \
        return binary_prepare(p, op);                        \
    }                                                        \
    const xtml_kernel_t xtml_kernel_##fn = { name, fn##_prepare, binary_eval_node }

UNARY(abs, "ABS", M_ABS);
UNARY(neg, "NEG", M_NEG);
UNARY(sqrt, "SQRT", M_SQRT);
UNARY(rsqrt, "RSQRT", M_RSQRT);
UNARY(exp, "EXP", M_EXP);
UNARY(log, "LOG", M_LOG);
UNARY(floor, "FLOOR", M_FLOOR);
UNARY(ceil, "CEIL", M_CEIL);
UNARY(round, "ROUND", M_ROUND);
UNARY(square, "SQUARE", M_SQUARE);
UNARY(sin, "SIN", M_SIN);
UNARY(cos, "COS", M_COS);
UNARY(logical_not, "LOGICAL_NOT", M_LOGICAL_NOT);
UNARY(zeros_like, "ZEROS_LIKE", M_ZEROS_LIKE);
UNARY(cast, "CAST", M_CAST);
BINARY(div, "DIV", M_DIV);
BINARY(squared_difference, "SQUARED_DIFFERENCE", M_SQUARED_DIFFERENCE);
BINARY(equal, "EQUAL", M_EQUAL);
BINARY(not_equal, "NOT_EQUAL", M_NOT_EQUAL);
BINARY(less, "LESS", M_LESS);
BINARY(less_equal, "LESS_EQUAL", M_LESS_EQUAL);
BINARY(greater, "GREATER", M_GREATER);
BINARY(greater_equal, "GREATER_EQUAL", M_GREATER_EQUAL);
BINARY(logical_and, "LOGICAL_AND", M_LOGICAL_AND);
BINARY(logical_or, "LOGICAL_OR", M_LOGICAL_OR);
BINARY(select_v2, "SELECT_V2", M_SELECT_V2);
const xtml_kernel_t xtml_kernel_fill = { "FILL", fill_prepare, fill_eval };
