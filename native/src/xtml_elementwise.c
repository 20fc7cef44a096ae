/*
 * xtml_elementwise.c - binary elementwise operators: ADD, SUB, MUL, MAXIMUM,
 * MINIMUM, in int8, int16, int32 and float32, with numpy-style broadcasting up
 * to XTML_MAX_DIMS dimensions.
 *
 * Arithmetic follows TFLM's reference kernels bit for bit:
 *   - int8 ADD/SUB bring both inputs to a common scale with 20 bits of
 *     headroom (value << 20 times a Q31 multiplier at most 0.5), add or
 *     subtract, then requantize the sum to the output. ADD derives its three
 *     multipliers in double precision, SUB partly in float: both kept.
 *   - int8 MUL multiplies the zero-point-corrected values and requantizes the
 *     product with in_scale1 * in_scale2 / out_scale.
 *   - int8 MAXIMUM/MINIMUM compare and copy the raw int8 values and ignore
 *     every scale and zero point, as TFLM does (it has no prepare for them).
 *   - float32 results are clamped to the fused activation range; with no
 *     activation TFLM clamps to +-FLT_MAX, so an infinite sum becomes FLT_MAX.
 *   - int32 (unquantized) sums, differences and products wrap around as the
 *     two's complement machines TFLM runs on compute them (computed here in
 *     uint32, with no overflow), then SUB and MUL clamp to the fused
 *     activation's int32 range; ADD ignores its activation, as TFLM does, and
 *     refuses quantized int32 inputs, as TFLM does.
 *
 * Broadcasting: prepare turns the three shapes into a loop nest over the
 * (contiguous) output, dropping extent-1 dimensions and fusing neighbours
 * that broadcast the same way. The innermost loop is handed to a row kernel
 * that steps each input by 1 or 0 elements; two same-shape inputs therefore
 * run as one tight loop over the whole tensor.
 */
#include <float.h>

#include "xtml_internal.h"

/* ---- fixed point ---- */

/*
 * A requantization multiplier, ready to apply: x * mult * 2^(left - right - 31)
 * with TFLite's two roundings (xtml_quant.c explains them). The rest precomputes
 * the rounding shift: its remainder mask and halfway point, and the biases
 * that make it a single add and shift.
 */
typedef struct q_mult {
    int32_t mult;
    int32_t left;
    int32_t right;
    int32_t mask;
    int32_t half;
    int32_t bias_pos;   /* 2^(right-1), or 0 when right == 0 */
    int32_t bias_neg;   /* 2^(right-1) - 1, or 0 when right == 0 */
} q_mult_t;

static void q_mult_set(q_mult_t *q, int32_t mult, int shift) {
    q->mult = mult;
    q->left = shift > 0 ? shift : 0;
    q->right = shift > 0 ? 0 : -shift;
    q->mask = (int32_t)(((int64_t)1 << q->right) - 1);
    q->half = q->mask >> 1;
    q->bias_pos = q->right > 0 ? (int32_t)((int64_t)1 << (q->right - 1)) : 0;
    q->bias_neg = q->right > 0 ? q->bias_pos - 1 : 0;
}

/*
 * TFLite's saturating rounding doubling high multiply, round(a * m / 2^31)
 * with halves away from zero, for m in [0, 2^31): the saturating case
 * (a == m == INT32_MIN) cannot occur. gemmlowp adds a sign-dependent nudge
 * and divides truncating; that equals adding 2^30 and shifting right
 * arithmetically (floor), which is what we do. Right shifts of negative
 * values are arithmetic on every compiler we support.
 */
static inline int32_t high_mul(int32_t a, int32_t m) {
    return (int32_t)(((int64_t)a * m + ((int64_t)1 << 30)) >> 31);
}

/*
 * x * multiplier for |x| < 2^30 and a multiplier below one (left == 0): the
 * int8 ADD/SUB path, where x is at most 255 << 20. The rounding shift
 * (halves away from zero) becomes one biased arithmetic shift, which cannot
 * overflow at these magnitudes.
 */
static inline int32_t q_mult_small(int32_t x, const q_mult_t *q) {
    int32_t h = high_mul(x, q->mult);
    return (h + (h < 0 ? q->bias_neg : q->bias_pos)) >> q->right;
}

/* x * multiplier for any x and shift (MUL): xtml_mul_by_quantized_multiplier. */
static inline int32_t q_mult_any(int32_t x, const q_mult_t *q) {
    int32_t h = high_mul((int32_t)((uint32_t)x << q->left), q->mult);
    int32_t threshold = q->half + (h < 0 ? 1 : 0);
    return (h >> q->right) + ((h & q->mask) > threshold ? 1 : 0);
}

static inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* std::min(std::max(v, lo), hi) exactly, NaN and signed zeros included. */
static inline float clamp_f32(float v, float lo, float hi) {
    v = v < lo ? lo : v;
    return hi < v ? hi : v;
}

/* ---- per-operator parameters and row kernels ---- */

typedef struct addsub_q8 {
    int32_t a_offset;   /* -zero point */
    int32_t b_offset;
    int32_t out_offset; /* +zero point */
    q_mult_t a_scale;
    q_mult_t b_scale;
    q_mult_t out_scale;
    int32_t act_min;
    int32_t act_max;
} addsub_q8_t;

typedef struct mul_q8 {
    int32_t a_offset;
    int32_t b_offset;
    int32_t out_offset;
    q_mult_t out_scale;
    int32_t act_min;
    int32_t act_max;
} mul_q8_t;

typedef struct range_f32 {
    float lo;
    float hi;
} range_f32_t;

typedef struct range_i32 {
    int32_t lo;
    int32_t hi;
} range_i32_t;

/*
 * One output row: out[i] = f(a[i * a_inc], b[i * b_inc]) for i < n, where
 * each increment is 0 (broadcast) or 1. Kernels copy their parameters into
 * locals first: the int8 output may alias anything as far as the compiler
 * knows, and would otherwise force a reload of every field per element.
 */
typedef void (*row_fn_t)(const void *op, const void *a, int a_inc, const void *b, int b_inc,
                         void *out, int32_t n);

/* An int8 ADD/SUB operand on the common scale: (v - zp) << 20, rescaled
 * (int16: << 15; 65535 << 15 still fits, as TFLM notes). */
static inline int32_t addsub_in(int32_t v, int32_t offset, int left_shift, const q_mult_t *m) {
    return q_mult_small((v + offset) * (1 << left_shift), m);
}

/* The ADD/SUB row for one element type, its range and left shift. */
#define XTML_ROW_ADDSUB(name, type, shift)                                                        \
    static void name(const addsub_q8_t *q, bool subtract, const type *a, int a_inc,               \
                     const type *b, int b_inc, type *out, int32_t n) {                            \
        const addsub_q8_t k = *q;                                                                 \
        int32_t i;                                                                                \
        if (a_inc && b_inc) {                                                                     \
            if (subtract) {                                                                       \
                for (i = 0; i < n; ++i) {                                                         \
                    int32_t raw = addsub_in(a[i], k.a_offset, shift, &k.a_scale) -                \
                                  addsub_in(b[i], k.b_offset, shift, &k.b_scale);                 \
                    out[i] = (type)clamp_i32(q_mult_small(raw, &k.out_scale) + k.out_offset,      \
                                             k.act_min, k.act_max);                               \
                }                                                                                 \
            } else {                                                                              \
                for (i = 0; i < n; ++i) {                                                         \
                    int32_t raw = addsub_in(a[i], k.a_offset, shift, &k.a_scale) +                \
                                  addsub_in(b[i], k.b_offset, shift, &k.b_scale);                 \
                    out[i] = (type)clamp_i32(q_mult_small(raw, &k.out_scale) + k.out_offset,      \
                                             k.act_min, k.act_max);                               \
                }                                                                                 \
            }                                                                                     \
        } else if (b_inc) {                                                                       \
            /* a broadcast: its scaled value is the same along the row. */                        \
            const int32_t sa = addsub_in(a[0], k.a_offset, shift, &k.a_scale);                    \
            for (i = 0; i < n; ++i) {                                                             \
                int32_t sb = addsub_in(b[i], k.b_offset, shift, &k.b_scale);                      \
                int32_t raw = subtract ? sa - sb : sa + sb;                                       \
                out[i] = (type)clamp_i32(q_mult_small(raw, &k.out_scale) + k.out_offset,          \
                                         k.act_min, k.act_max);                                   \
            }                                                                                     \
        } else {                                                                                  \
            const int32_t sb = addsub_in(b[0], k.b_offset, shift, &k.b_scale);                    \
            for (i = 0; i < n; ++i) {                                                             \
                int32_t sa = addsub_in(a[i], k.a_offset, shift, &k.a_scale);                      \
                int32_t raw = subtract ? sa - sb : sa + sb;                                       \
                out[i] = (type)clamp_i32(q_mult_small(raw, &k.out_scale) + k.out_offset,          \
                                         k.act_min, k.act_max);                                   \
            }                                                                                     \
        }                                                                                         \
    }

XTML_ROW_ADDSUB(addsub_q8_row, int8_t, 20)
XTML_ROW_ADDSUB(addsub_q16_row, int16_t, 15)
#undef XTML_ROW_ADDSUB

static void add_q8_row(const void *op, const void *a, int a_inc, const void *b, int b_inc,
                       void *out, int32_t n) {
    addsub_q8_row((const addsub_q8_t *)op, false, (const int8_t *)a, a_inc, (const int8_t *)b,
                  b_inc, (int8_t *)out, n);
}

static void sub_q8_row(const void *op, const void *a, int a_inc, const void *b, int b_inc,
                       void *out, int32_t n) {
    addsub_q8_row((const addsub_q8_t *)op, true, (const int8_t *)a, a_inc, (const int8_t *)b,
                  b_inc, (int8_t *)out, n);
}

static void add_q16_row(const void *op, const void *a, int a_inc, const void *b, int b_inc,
                        void *out, int32_t n) {
    addsub_q16_row((const addsub_q8_t *)op, false, (const int16_t *)a, a_inc, (const int16_t *)b,
                   b_inc, (int16_t *)out, n);
}

static void sub_q16_row(const void *op, const void *a, int a_inc, const void *b, int b_inc,
                        void *out, int32_t n) {
    addsub_q16_row((const addsub_q8_t *)op, true, (const int16_t *)a, a_inc, (const int16_t *)b,
                   b_inc, (int16_t *)out, n);
}

/* MUL: the zero-point-corrected product requantized (int16: zero points 0,
 * the product at most 2^30). */
#define XTML_ROW_MUL(name, type)                                                                  \
    static void name(const void *op, const void *a_, int a_inc, const void *b_, int b_inc,        \
                     void *out_, int32_t n) {                                                     \
        const mul_q8_t k = *(const mul_q8_t *)op;                                                 \
        const type *a = (const type *)a_;                                                         \
        const type *b = (const type *)b_;                                                         \
        type *out = (type *)out_;                                                                 \
        int32_t i;                                                                                \
        for (i = 0; i < n; ++i) {                                                                 \
            int32_t prod = (*a + k.a_offset) * (*b + k.b_offset);                                 \
            out[i] = (type)clamp_i32(q_mult_any(prod, &k.out_scale) + k.out_offset, k.act_min,    \
                                     k.act_max);                                                  \
            a += a_inc;                                                                           \
            b += b_inc;                                                                           \
        }                                                                                         \
    }

XTML_ROW_MUL(mul_q8_row, int8_t)
XTML_ROW_MUL(mul_q16_row, int16_t)
#undef XTML_ROW_MUL

/* The float and raw-compare kernels differ only in one expression of x and y. */
#define XTML_ROW_F32(name, expr)                                                               \
    static void name(const void *op, const void *a_, int a_inc, const void *b_, int b_inc,     \
                     void *out_, int32_t n) {                                                  \
        const float *a = (const float *)a_;                                                    \
        const float *b = (const float *)b_;                                                    \
        float *out = (float *)out_;                                                            \
        const float lo = ((const range_f32_t *)op)->lo;                                        \
        const float hi = ((const range_f32_t *)op)->hi;                                        \
        int32_t i;                                                                             \
        for (i = 0; i < n; ++i) {                                                              \
            const float x = *a;                                                                \
            const float y = *b;                                                                \
            out[i] = clamp_f32((expr), lo, hi);                                                \
            a += a_inc;                                                                        \
            b += b_inc;                                                                        \
        }                                                                                      \
    }

#define XTML_ROW_PICK(name, type, expr)                                                        \
    static void name(const void *op, const void *a_, int a_inc, const void *b_, int b_inc,     \
                     void *out_, int32_t n) {                                                  \
        const type *a = (const type *)a_;                                                      \
        const type *b = (const type *)b_;                                                      \
        type *out = (type *)out_;                                                              \
        int32_t i;                                                                             \
        (void)op;                                                                              \
        for (i = 0; i < n; ++i) {                                                              \
            const type x = *a;                                                                 \
            const type y = *b;                                                                 \
            out[i] = (expr);                                                                   \
            a += a_inc;                                                                        \
            b += b_inc;                                                                        \
        }                                                                                      \
    }

/* int32: the wrapped result (uint32 arithmetic, converted back to int32) clamped. */
#define XTML_ROW_I32(name, expr)                                                               \
    static void name(const void *op, const void *a_, int a_inc, const void *b_, int b_inc,     \
                     void *out_, int32_t n) {                                                  \
        const int32_t *a = (const int32_t *)a_;                                                \
        const int32_t *b = (const int32_t *)b_;                                                \
        int32_t *out = (int32_t *)out_;                                                        \
        const int32_t lo = ((const range_i32_t *)op)->lo;                                      \
        const int32_t hi = ((const range_i32_t *)op)->hi;                                      \
        int32_t i;                                                                             \
        for (i = 0; i < n; ++i) {                                                              \
            const uint32_t x = (uint32_t)*a;                                                   \
            const uint32_t y = (uint32_t)*b;                                                   \
            out[i] = clamp_i32((int32_t)(expr), lo, hi);                                       \
            a += a_inc;                                                                        \
            b += b_inc;                                                                        \
        }                                                                                      \
    }

XTML_ROW_I32(add_i32_row, x + y)
XTML_ROW_I32(sub_i32_row, x - y)
XTML_ROW_I32(mul_i32_row, x * y)
#undef XTML_ROW_I32

XTML_ROW_F32(add_f32_row, x + y)
XTML_ROW_F32(sub_f32_row, x - y)
XTML_ROW_F32(mul_f32_row, x * y)
/* TFLM's MaximumOp/MinimumOp: the first operand unless the second compares
 * strictly greater/less (so a NaN in x is kept, one in y is not). */
XTML_ROW_PICK(max_f32_row, float, x > y ? x : y)
XTML_ROW_PICK(min_f32_row, float, x < y ? x : y)
XTML_ROW_PICK(max_q8_row, int8_t, x > y ? x : y)
XTML_ROW_PICK(min_q8_row, int8_t, x < y ? x : y)
XTML_ROW_PICK(max_q16_row, int16_t, x > y ? x : y)
XTML_ROW_PICK(min_q16_row, int16_t, x < y ? x : y)
XTML_ROW_PICK(max_i32_row, int32_t, x > y ? x : y)
XTML_ROW_PICK(min_i32_row, int32_t, x < y ? x : y)
#undef XTML_ROW_F32
#undef XTML_ROW_PICK

/* ---- broadcasting loop nest ---- */

/*
 * Loop 0 is the innermost and is run by the row kernel; its input steps are
 * 0 or 1 element (a_inc/b_inc). Outer loops step the inputs by a_step/b_step
 * bytes (0 when broadcast); the output is always written contiguously.
 */
typedef struct bcast {
    int32_t count;      /* output elements; 0: nothing to do */
    int32_t loops;
    int a_inc;
    int b_inc;
    size_t elem_bytes;
    int32_t extent[XTML_MAX_DIMS];
    ptrdiff_t a_step[XTML_MAX_DIMS];
    ptrdiff_t b_step[XTML_MAX_DIMS];
} bcast_t;

static void bcast_run(const bcast_t *bc, row_fn_t row, const void *op, const void *a_,
                      const void *b_, void *out_) {
    const uint8_t *a = (const uint8_t *)a_;
    const uint8_t *b = (const uint8_t *)b_;
    uint8_t *out = (uint8_t *)out_;
    const int32_t n = bc->extent[0];
    const size_t row_bytes = (size_t)n * bc->elem_bytes;
    int32_t idx[XTML_MAX_DIMS];
    int32_t d;
    if (bc->count == 0) {
        return;
    }
    for (d = 0; d < bc->loops; ++d) {
        idx[d] = 0;
    }
    for (;;) {
        row(op, a, bc->a_inc, b, bc->b_inc, out, n);
        out += row_bytes;
        for (d = 1; d < bc->loops; ++d) {
            a += bc->a_step[d];
            b += bc->b_step[d];
            if (++idx[d] < bc->extent[d]) {
                break;
            }
            idx[d] = 0;
            a -= bc->a_step[d] * bc->extent[d];
            b -= bc->b_step[d] * bc->extent[d];
        }
        if (d >= bc->loops) {
            return;
        }
    }
}

/* Dimension i counted from the innermost (0), 1 beyond the tensor's rank. */
static int32_t dim_from_end(const xtml_tinfo_t *t, int32_t i) {
    return i < t->ndim ? t->dims[t->ndim - 1 - i] : 1;
}

/*
 * Check that a and b broadcast to exactly the output's shape (leading
 * extent-1 dimensions aside) and build the loop nest.
 */
static xtml_status_t bcast_prepare(xtml_prep_t *p, const xtml_tinfo_t *a, const xtml_tinfo_t *b,
                                   const xtml_tinfo_t *out, size_t elem_bytes, bcast_t *bc) {
    int32_t rank = a->ndim > b->ndim ? a->ndim : b->ndim;
    int32_t i;
    ptrdiff_t a_accum = (ptrdiff_t)elem_bytes;
    ptrdiff_t b_accum = (ptrdiff_t)elem_bytes;
    rank = out->ndim > rank ? out->ndim : rank;
    memset(bc, 0, sizeof *bc);
    bc->elem_bytes = elem_bytes;
    bc->count = out->count;
    for (i = 0; i < rank; ++i) {
        int32_t da = dim_from_end(a, i);
        int32_t db = dim_from_end(b, i);
        int32_t dout = dim_from_end(out, i);
        int32_t want = da == 1 ? db : da;
        if (da != db && da != 1 && db != 1) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "inputs '%s' and '%s' do not broadcast: %" PRId32 " vs %" PRId32 " in dimension "
                                  "%" PRId32 " from the end",
                                  a->name, b->name, da, db, i + 1);
        }
        if (dout != want) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "output '%s' has %" PRId32 " in dimension %" PRId32 " from the end, the inputs "
                                  "broadcast to %" PRId32,
                                  out->name, dout, i + 1, want);
        }
    }
    if (bc->count == 0) {
        return XTML_STATUS_OK;
    }
    for (i = 0; i < rank; ++i) {
        int32_t da = dim_from_end(a, i);
        int32_t db = dim_from_end(b, i);
        int32_t dout = dim_from_end(out, i);
        ptrdiff_t sa = da == 1 ? 0 : a_accum;
        ptrdiff_t sb = db == 1 ? 0 : b_accum;
        int32_t last = bc->loops - 1;
        if (dout == 1) {
            continue;
        }
        if (last >= 0 && (sa == 0) == (bc->a_step[last] == 0) &&
            (sb == 0) == (bc->b_step[last] == 0)) {
            /* Broadcasts like the loop inside it: fuse (contiguous strides line up). */
            bc->extent[last] *= dout;
        } else {
            bc->extent[bc->loops] = dout;
            bc->a_step[bc->loops] = sa;
            bc->b_step[bc->loops] = sb;
            ++bc->loops;
        }
        a_accum *= da;
        b_accum *= db;
    }
    if (bc->loops == 0) {
        /* A single element. */
        bc->loops = 1;
        bc->extent[0] = 1;
        bc->a_step[0] = (ptrdiff_t)elem_bytes;
        bc->b_step[0] = (ptrdiff_t)elem_bytes;
    }
    bc->a_inc = bc->a_step[0] != 0;
    bc->b_inc = bc->b_step[0] != 0;
    return XTML_STATUS_OK;
}

/* ---- prepare and eval ---- */

enum { OP_ADD, OP_SUB, OP_MUL, OP_MAXIMUM, OP_MINIMUM };

typedef struct binary_params {
    bcast_t shape;
    row_fn_t row;
    union {
        addsub_q8_t addsub;
        mul_q8_t mul;
        range_f32_t range;
        range_i32_t range_i32;
    } op;
} binary_params_t;

/* TFLM's CalculateActivationRange for float: no activation clamps to +-FLT_MAX. */
static void act_range_f32(int act, range_f32_t *r) {
    r->lo = -FLT_MAX;
    r->hi = FLT_MAX;
    if (act == XTML_ACT_RELU) {
        r->lo = 0.0f;
    } else if (act == XTML_ACT_RELU6) {
        r->lo = 0.0f;
        r->hi = 6.0f;
    } else if (act == XTML_ACT_RELU_N1_TO_1) {
        r->lo = -1.0f;
        r->hi = 1.0f;
    }
}

/* TFLM's CalculateActivationRange for int32. */
static void act_range_i32(int act, range_i32_t *r) {
    r->lo = INT32_MIN;
    r->hi = INT32_MAX;
    if (act == XTML_ACT_RELU) {
        r->lo = 0;
    } else if (act == XTML_ACT_RELU6) {
        r->lo = 0;
        r->hi = 6;
    } else if (act == XTML_ACT_RELU_N1_TO_1) {
        r->lo = -1;
        r->hi = 1;
    }
}

/* Quantized per tensor, the zero point within int8 (int16: within int16, or
 * 0 when zero_only). */
static xtml_status_t expect_q8(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, bool zero_only) {
    const bool wide = t->type == XTML_DTYPE_INT16;
    xtml_status_t st = xtml_prep_expect_quantized(p, t, role);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (wide && zero_only && t->zero_point != 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "%s '%s' has zero point %d, int16 needs 0", role, t->name,
                              (int)t->zero_point);
    }
    if (t->zero_point < (wide ? -32768 : -128) || t->zero_point > (wide ? 32767 : 127)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "%s '%s' has zero point %d, outside %s", role, t->name,
                              (int)t->zero_point, xtml_dtype_name(t->type));
    }
    return XTML_STATUS_OK;
}

/*
 * QuantizeMultiplierSmallerThanOneExp: TFLM aborts unless 0 < real < 1 and
 * the shift is <= 0. A real of 1 or more (or infinite) always has a positive
 * shift, so the tests are: a positive real and a shift <= 0. A positive real
 * too small for a Q31 multiplier passes with multiplier 0, as in TFLM.
 */
static xtml_status_t below_one(xtml_prep_t *p, bool positive, int32_t mult, int shift, const char *what,
                               const xtml_tinfo_t *out, q_mult_t *q) {
    if (!positive || shift > 0) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "%s rescale is not below 1 (output scale %s too small)", what,
                              XTML_F32(out->scale));
    }
    q_mult_set(q, mult, shift);
    return XTML_STATUS_OK;
}

static xtml_status_t prepare_addsub_q8(xtml_prep_t *p, int kind, const xtml_tinfo_t *a,
                                       const xtml_tinfo_t *b, const xtml_tinfo_t *out, int act,
                                       addsub_q8_t *q) {
    const float max = a->scale > b->scale ? a->scale : b->scale;
    const bool wide = out->type == XTML_DTYPE_INT16;
    int32_t mult[3];
    int shift[3];
    bool positive[3] = { true, true, true };
    xtml_status_t st;
    if (kind == OP_ADD) {
        /* TFLM derives ADD's multipliers in double throughout: a / (2 max),
         * b / (2 max) and 2 max / (2^20 out), each one exact ratio. */
        xtml_quantize_f32_mul_div(a->scale, 0.5f, max, &mult[0], &shift[0]);
        xtml_quantize_f32_mul_div(b->scale, 0.5f, max, &mult[1], &shift[1]);
        xtml_quantize_f32_mul_div(max, wide ? 1.0f / 16384.0f : 1.0f / 524288.0f, out->scale, &mult[2],
                                  &shift[2]);
    } else {
        /* ...but SUB's ratios in float, widened to double only at the end. */
        /* volatile: each step rounded to float even where the FPU keeps more (x87). */
        volatile float twice_max = 2.0f * max;
        volatile float ratio_a = a->scale / twice_max;
        volatile float ratio_b = b->scale / twice_max;
        volatile float out_denominator = (float)(wide ? 1 << 15 : 1 << 20) * out->scale;
        volatile float ratio_out = twice_max / out_denominator;
        xtml_quantize_f32(ratio_a, &mult[0], &shift[0]);
        xtml_quantize_f32(ratio_b, &mult[1], &shift[1]);
        xtml_quantize_f32(ratio_out, &mult[2], &shift[2]);
        /* a ratio may underflow to 0 or overflow to infinity in float */
        positive[0] = xtml_f32_is_positive_finite(ratio_a);
        positive[1] = xtml_f32_is_positive_finite(ratio_b);
        positive[2] = xtml_f32_is_positive_finite(ratio_out);
    }
    st = below_one(p, positive[0], mult[0], shift[0], "input 0", out, &q->a_scale);
    if (st == XTML_STATUS_OK) {
        st = below_one(p, positive[1], mult[1], shift[1], "input 1", out, &q->b_scale);
    }
    if (st == XTML_STATUS_OK) {
        st = below_one(p, positive[2], mult[2], shift[2], "output", out, &q->out_scale);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    q->a_offset = -a->zero_point;
    q->b_offset = -b->zero_point;
    q->out_offset = out->zero_point;
    xtml_activation_range_quantized(act, out->scale, out->zero_point, wide ? -32768 : -128, wide ? 32767 : 127,
                                    &q->act_min, &q->act_max);
    return XTML_STATUS_OK;
}

static xtml_status_t prepare_mul_q8(xtml_prep_t *p, const xtml_tinfo_t *a, const xtml_tinfo_t *b,
                                    const xtml_tinfo_t *out, int act, mul_q8_t *q) {
    int32_t mult = 0;
    int shift = 0;
    /* (double)a * (double)b / (double)out */
    xtml_quantize_f32_mul_div(a->scale, b->scale, out->scale, &mult, &shift);
    if (shift > 31) {
        /* The product would be shifted out entirely (undefined in TFLM). */
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "output rescale %s x %s / %s is too large (output scale too small)",
                              XTML_F32(a->scale), XTML_F32(b->scale), XTML_F32(out->scale));
    }
    q_mult_set(&q->out_scale, mult, shift);
    q->a_offset = -a->zero_point;
    q->b_offset = -b->zero_point;
    q->out_offset = out->zero_point;
    if (out->type == XTML_DTYPE_INT16) {
        xtml_activation_range_quantized(act, out->scale, out->zero_point, -32768, 32767, &q->act_min,
                                        &q->act_max);
    } else {
        xtml_activation_range_quantized(act, out->scale, out->zero_point, -128, 127, &q->act_min,
                                        &q->act_max);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t binary_prepare(xtml_prep_t *p, int kind) {
    static const int options_type[] = { XTML_OPTS_ADD, XTML_OPTS_SUB, XTML_OPTS_MUL,
                                        XTML_OPTS_MAXIMUM_MINIMUM, XTML_OPTS_MAXIMUM_MINIMUM };
    xtml_tinfo_t a, b, out;
    xtml_fb_table_t opts;
    binary_params_t local;
    binary_params_t *params;
    xtml_status_t st;
    int act = XTML_ACT_NONE;
    bool is_q8;
    bool is_q16;
    bool is_i32;
    size_t elem_bytes;

    if (xtml_prep_n_inputs(p) != 2 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 2 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    xtml_prep_input(p, 0, &a);
    xtml_prep_input(p, 1, &b);
    xtml_prep_output(p, 0, &out);
    if (a.index < 0 || b.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input %d is absent",
                              a.index < 0 ? 0 : 1);
    }
    if (out.type != XTML_DTYPE_INT8 && out.type != XTML_DTYPE_INT16 && out.type != XTML_DTYPE_INT32 &&
        out.type != XTML_DTYPE_FLOAT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "output '%s' is %s, expected int8, int16, int32 or float32", out.name,
                              xtml_dtype_name(out.type));
    }
    st = xtml_prep_expect_type(p, &a, "input", out.type);
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_type(p, &b, "input", out.type);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    is_q8 = out.type == XTML_DTYPE_INT8;
    is_q16 = out.type == XTML_DTYPE_INT16;
    is_i32 = out.type == XTML_DTYPE_INT32;
    elem_bytes = is_q8 ? 1 : (is_q16 ? 2 : 4);
    if (is_i32 && kind == OP_ADD && (a.n_scales > 0 || b.n_scales > 0)) {
        /* TFLM's ADD takes int32 only without quantization */
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "int32 input '%s' is quantized; ADD takes plain int32",
                              a.n_scales > 0 ? a.name : b.name);
    }

    st = xtml_prep_options(p, options_type[kind], &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (kind == OP_ADD || kind == OP_SUB || kind == OP_MUL) {
        /* fused_activation_function is field 0 of AddOptions, SubOptions and MulOptions. */
        act = xtml_fb_i8(&opts, 0, XTML_ACT_NONE);
        if (act != XTML_ACT_NONE && act != XTML_ACT_RELU && act != XTML_ACT_RELU_N1_TO_1 &&
            act != XTML_ACT_RELU6) {
            /* TFLM silently runs TANH/SIGN_BIT as no activation; we do not guess. */
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "fused activation %d is not supported", act);
        }
    }

    memset(&local, 0, sizeof local);
    st = bcast_prepare(p, &a, &b, &out, elem_bytes, &local.shape);
    if (st != XTML_STATUS_OK) {
        return st;
    }

    if ((is_q8 || is_q16) && (kind == OP_ADD || kind == OP_SUB || kind == OP_MUL)) {
        /* int16: TFLM's MUL needs zero points 0 and its SUB asserts them for
         * the inputs; ADD takes any (65535 << 15 still fits in 32 bits). */
        st = expect_q8(p, &a, "input", kind != OP_ADD);
        if (st == XTML_STATUS_OK) {
            st = expect_q8(p, &b, "input", kind != OP_ADD);
        }
        if (st == XTML_STATUS_OK) {
            st = expect_q8(p, &out, "output", kind == OP_MUL);
        }
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }

    switch (kind) {
    case OP_ADD:
    case OP_SUB:
        if (is_i32) {
            /* TFLM's int32 ADD clamps to the whole int32 range, whatever its activation */
            act_range_i32(kind == OP_ADD ? XTML_ACT_NONE : act, &local.op.range_i32);
            local.row = kind == OP_ADD ? add_i32_row : sub_i32_row;
        } else if (is_q8 || is_q16) {
            st = prepare_addsub_q8(p, kind, &a, &b, &out, act, &local.op.addsub);
            local.row = is_q16 ? (kind == OP_ADD ? add_q16_row : sub_q16_row)
                               : (kind == OP_ADD ? add_q8_row : sub_q8_row);
        } else {
            act_range_f32(act, &local.op.range);
            local.row = kind == OP_ADD ? add_f32_row : sub_f32_row;
        }
        break;
    case OP_MUL:
        if (is_i32) {
            act_range_i32(act, &local.op.range_i32);
            local.row = mul_i32_row;
        } else if (is_q8 || is_q16) {
            st = prepare_mul_q8(p, &a, &b, &out, act, &local.op.mul);
            local.row = is_q16 ? mul_q16_row : mul_q8_row;
        } else {
            act_range_f32(act, &local.op.range);
            local.row = mul_f32_row;
        }
        break;
    case OP_MAXIMUM:
        local.row = is_q8 ? max_q8_row : (is_q16 ? max_q16_row : (is_i32 ? max_i32_row : max_f32_row));
        break;
    default:
        local.row = is_q8 ? min_q8_row : (is_q16 ? min_q16_row : (is_i32 ? min_i32_row : min_f32_row));
        break;
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (kind == OP_MUL) {
        xtml_prep_set_macs(p, (uint64_t)out.count);
    }
    /* An operand that is not broadcast is read at the same flat index the
     * output is written, just before it, so the output may overwrite it. */
    if (a.count == out.count) {
        xtml_prep_inplace(p, 0, 0);
    } else if (b.count == out.count) {
        xtml_prep_inplace(p, 0, 1);
    }

    params = (binary_params_t *)XTML_PREP_PERSIST(p, binary_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    *params = local;
    return XTML_STATUS_OK;
}

static xtml_status_t binary_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const binary_params_t *params = (const binary_params_t *)node->params;
    bcast_run(&params->shape, params->row, &params->op, xtml_node_in(ctx, node, 0),
              xtml_node_in(ctx, node, 1), xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

static xtml_status_t add_prepare(xtml_prep_t *p) {
    return binary_prepare(p, OP_ADD);
}
static xtml_status_t sub_prepare(xtml_prep_t *p) {
    return binary_prepare(p, OP_SUB);
}
static xtml_status_t mul_prepare(xtml_prep_t *p) {
    return binary_prepare(p, OP_MUL);
}
static xtml_status_t maximum_prepare(xtml_prep_t *p) {
    return binary_prepare(p, OP_MAXIMUM);
}
static xtml_status_t minimum_prepare(xtml_prep_t *p) {
    return binary_prepare(p, OP_MINIMUM);
}

const xtml_kernel_t xtml_kernel_add = { "ADD", add_prepare, binary_eval };
const xtml_kernel_t xtml_kernel_sub = { "SUB", sub_prepare, binary_eval };
const xtml_kernel_t xtml_kernel_mul = { "MUL", mul_prepare, binary_eval };
const xtml_kernel_t xtml_kernel_maximum = { "MAXIMUM", maximum_prepare, binary_eval };
const xtml_kernel_t xtml_kernel_minimum = { "MINIMUM", minimum_prepare, binary_eval };
