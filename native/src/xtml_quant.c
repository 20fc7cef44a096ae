/*
 * xtml_quant.c - TensorFlow Lite's fixed-point requantization, reproduced exactly.
 *
 * A real multiplier M is stored as a Q31 integer q in [2^30, 2^31) and a
 * power-of-two exponent, M = q * 2^(shift - 31). Applying it is the gemmlowp
 * pair: a saturating rounding doubling high multiply, then a rounding
 * (half away from zero) arithmetic right shift. Overflowing left shifts wrap,
 * as they do in TFLM on two's-complement machines; we write them unsigned.
 *
 * TFLM derives M from float scales in double precision and splits it with
 * frexp() and round(). No double is used here: each formula is an exact
 * ratio of float mantissas (a product of two floats is exact in a double),
 * and the double's one rounding followed by round() is reproduced from the
 * integer quotient and its remainder. For a quotient x scaled into
 * [2^30, 2^31), the double holds x rounded to a multiple of 2^-22 (ties to
 * even) and round() then gives floor(x + 1/2 + 2^-23) exactly; so q is the
 * integer part of x plus one when the remainder reaches 1/2 - 2^-23.
 * docs/numerics.md has the argument and the test that checks it against the
 * double computation.
 */
#include <float.h>
#include <math.h>   /* roundf: exact, the same in every C library */

#include "xtml_internal.h"

/* ---- floats as integers ---- */

typedef enum { F32_ZERO, F32_FINITE, F32_INF, F32_NAN } f32_class_t;

/* x = (-1)^neg * mant * 2^exp with mant in [2^23, 2^24) when finite and not
 * zero (subnormals are normalized). */
static f32_class_t f32_split(float x, bool *neg, uint32_t *mant, int32_t *exp) {
    uint32_t bits, m;
    int32_t e;
    memcpy(&bits, &x, sizeof bits);
    *neg = (bits >> 31) != 0;
    e = (int32_t)((bits >> 23) & 0xFFu);
    m = bits & 0x7FFFFFu;
    *mant = 0;
    *exp = 0;
    if (e == 0xFF) {
        return m != 0 ? F32_NAN : F32_INF;
    }
    if (e == 0) {
        if (m == 0) {
            return F32_ZERO;
        }
        e = 1;
        while (m < 0x800000u) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 0x800000u;
    }
    *mant = m;
    *exp = e - 150;
    return F32_FINITE;
}

/* Number of significant bits of v (0 for 0), by halving. */
static int bit_length_u64(uint64_t v) {
    uint32_t w = (uint32_t)(v >> 32);
    int n = 32;
    if (w == 0) {
        w = (uint32_t)v;
        n = 0;
    }
    if (w >> 16 != 0) {
        n += 16;
        w >>= 16;
    }
    if (w >> 8 != 0) {
        n += 8;
        w >>= 8;
    }
    if (w >> 4 != 0) {
        n += 4;
        w >>= 4;
    }
    if (w >> 2 != 0) {
        n += 2;
        w >>= 2;
    }
    if (w >> 1 != 0) {
        n += 1;
        w >>= 1;
    }
    return n + (int)w;
}

/*
 * n / d and n % d for d in [2^23, 2^24) and n < d * 2^32, with 32-bit
 * divisions only (rv32imc has them in hardware, 64-bit ones are library
 * calls): the high word of n is already a valid remainder, and each step
 * brings down 8 more bits, so the partial remainder stays below 2^32.
 */
static uint32_t div_by_u24(uint64_t n, uint32_t d, uint32_t *rem) {
    uint32_t r = (uint32_t)(n >> 32);
    uint32_t lo = (uint32_t)n;
    uint32_t q = 0;
    int bit;
    for (bit = 24; bit >= 0; bit -= 8) {
        uint32_t cur = (r << 8) | ((lo >> bit) & 0xFFu);
        uint32_t digit = cur / d;
        r = cur - digit * d;
        q = (q << 8) | digit;
    }
    *rem = r;
    return q;
}

/* Multiplier and shift of a NaN or infinite real: none. The shift is far past
 * what any kernel accepts (> 30), so the caller's range check refuses it. */
static void quantize_invalid(int32_t *multiplier, int *shift) {
    *multiplier = 0;
    *shift = XTML_SHIFT_INVALID;
}

/* TFLM's handling of the rounded fraction: 2^31 becomes 2^30 with the next
 * shift (positive values only, as in TFLM), and shifts below -31 flush to 0. */
static void quantize_finish(bool neg, uint32_t q, int32_t exp, int32_t *multiplier, int *shift) {
    if (q == 0x80000000u && !neg) {
        q = 0x40000000u;
        exp++;
    }
    if (exp < -31) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    *multiplier = neg ? (int32_t)(0u - q) : (int32_t)q;
    *shift = (int)exp;
}

/*
 * QuantizeMultiplier(real) for real = num * 2^exp / den, num in [1, 2^54),
 * den in [2^23, 2^24), where TFLM's double holds that quotient rounded once.
 * The quotient scaled into [2^30, 2^31) is x = n / den; the multiplier is
 * floor(x) + 1 when the remainder fraction is at least 1/2 - 2^-23.
 */
static void quantize_ratio(bool neg, uint64_t num, int32_t exp, uint32_t den, int32_t *multiplier,
                           int *shift) {
    int32_t t = 54 - bit_length_u64(num);
    uint64_t n = num << t;            /* bit 53 set */
    uint32_t q, rem;
    if (n < (uint64_t)den << 30) {
        n <<= 1;
        t++;
    }
    q = div_by_u24(n, den, &rem);     /* [2^30, 2^31) */
    if ((uint64_t)rem << 23 >= (uint64_t)((1u << 22) - 1u) * den) {
        q++;
    }
    quantize_finish(neg, q, exp - t + 31, multiplier, shift);
}

void xtml_quantize_f32(float real, int32_t *multiplier, int *shift) {
    bool neg;
    uint32_t m;
    int32_t e;
    switch (f32_split(real, &neg, &m, &e)) {
    case F32_ZERO:
        *multiplier = 0;
        *shift = 0;
        return;
    case F32_FINITE:
        /* frexp gives m / 2^24; times 2^31 it is exact */
        quantize_finish(neg, m << 7, e + 24, multiplier, shift);
        return;
    default:
        quantize_invalid(multiplier, shift);
        return;
    }
}

/* (double)a * (double)b / (double)c, classified; the product is exact. */
static void quantize_mul_div(float a, float b, float c, int32_t *multiplier, int *shift) {
    bool na, nb, nc;
    uint32_t ma, mb, mc;
    int32_t ea, eb, ec;
    f32_class_t ca, cb, cc;
    bool num_zero, num_inf;
    uint32_t ba, bb, bc;
    memcpy(&ba, &a, sizeof ba);
    memcpy(&bb, &b, sizeof bb);
    memcpy(&bc, &c, sizeof bc);
    if (ba - 0x800000u < 0x7F000000u && bb - 0x800000u < 0x7F000000u && bc - 0x800000u < 0x7F000000u) {
        /* positive normal floats, every scale of a sane model */
        quantize_ratio(false, (uint64_t)((ba & 0x7FFFFFu) | 0x800000u) * ((bb & 0x7FFFFFu) | 0x800000u),
                       (int32_t)(ba >> 23) + (int32_t)(bb >> 23) - (int32_t)(bc >> 23) - 150,
                       (bc & 0x7FFFFFu) | 0x800000u, multiplier, shift);
        return;
    }
    ca = f32_split(a, &na, &ma, &ea);
    cb = f32_split(b, &nb, &mb, &eb);
    cc = f32_split(c, &nc, &mc, &ec);
    num_zero = ca == F32_ZERO || cb == F32_ZERO;
    num_inf = ca == F32_INF || cb == F32_INF;
    if (ca == F32_NAN || cb == F32_NAN || cc == F32_NAN || (num_zero && num_inf) ||
        (num_zero && cc == F32_ZERO) || (num_inf && cc == F32_INF)) {
        quantize_invalid(multiplier, shift);      /* NaN */
    } else if (num_inf || cc == F32_ZERO) {
        quantize_invalid(multiplier, shift);      /* infinite */
    } else if (num_zero || cc == F32_INF) {
        *multiplier = 0;
        *shift = 0;
    } else {
        quantize_ratio(na != nb ? !nc : nc, (uint64_t)ma * mb, ea + eb - ec, mc, multiplier, shift);
    }
}

bool xtml_quantize_shift_at_most_exact(float a, float b, float c, int max_shift) {
    int32_t m;
    int s;
    quantize_mul_div(a, b, c, &m, &s);
    return s <= max_shift;
}

void xtml_quantize_f32_div(float a, float b, int32_t *multiplier, int *shift) {
    quantize_mul_div(a, 1.0f, b, multiplier, shift);
}

void xtml_quantize_f32_mul_div(float a, float b, float c, int32_t *multiplier, int *shift) {
    quantize_mul_div(a, b, c, multiplier, shift);
}

/* Sign of n * 2^e - k, for n < 2^62 and k < 2^32. */
static int cmp_scaled(uint64_t n, int32_t e, uint64_t k) {
    uint64_t a = n, b = k;
    if (e > 0) {
        if (n != 0 && (e >= 64 || n >> (64 - e) != 0)) {
            return 1;
        }
        a = n << e;
    } else if (e < 0) {
        if (k != 0 && (-e >= 64 || k >> (64 + e) != 0)) {
            return -1;
        }
        b = k << -e;
    }
    return a > b ? 1 : (a < b ? -1 : 0);
}

bool xtml_quantize_softmax_beta(float beta, float scale, int32_t *multiplier, int *shift) {
    bool nb, ns;
    uint32_t mb, ms;
    int32_t eb, es;
    f32_class_t cb = f32_split(beta, &nb, &mb, &eb);
    f32_class_t cs = f32_split(scale, &ns, &ms, &es);
    uint64_t n;
    int32_t e;
    *multiplier = 0;
    *shift = 0;
    /* the product must exceed 1: NaN, zero and negative products never do */
    if (cb == F32_NAN || cs == F32_NAN || cb == F32_ZERO || cs == F32_ZERO || nb != ns) {
        return false;
    }
    if (cb == F32_INF || cs == F32_INF) {
        n = 0x7FFFFFFFu;
        e = 0;
    } else {
        n = (uint64_t)mb * ms;
        e = eb + es + 26;
        if (cmp_scaled(n, e, 0x7FFFFFFFu) > 0) {
            n = 0x7FFFFFFFu;
            e = 0;
        } else if (cmp_scaled(n, e, 1) <= 0) {
            return false;
        }
    }
    /* an exact value: a quotient with a power-of-two denominator */
    quantize_ratio(false, n, e + 23, 1u << 23, multiplier, shift);
    return true;
}

/* ---- the bias scale check, in emulated double arithmetic ---- */

/* A positive double as mant * 2^exp, mant in [2^52, 2^53). */
typedef struct f64_parts {
    uint64_t mant;
    int32_t exp;
} f64_parts_t;

/* v * 2^exp (v > 0) rounded to 53 bits, ties to even; sticky: the exact value
 * is a little more than v, never exactly v + 1/2 ulp. */
static f64_parts_t round_to_f64(uint64_t v, int32_t exp, bool sticky) {
    f64_parts_t r;
    int len = bit_length_u64(v);
    if (len <= 53) {
        r.mant = v << (53 - len);
        r.exp = exp - (53 - len);
        return r;
    }
    {
        int drop = len - 53;
        uint64_t half = (uint64_t)1 << (drop - 1);
        uint64_t rest = v & (((uint64_t)1 << drop) - 1u);
        r.mant = v >> drop;
        r.exp = exp + drop;
        if (rest > half || (rest == half && (sticky || (r.mant & 1u) != 0))) {
            r.mant++;
            if (r.mant >> 53 != 0) {
                r.mant >>= 1;
                r.exp++;
            }
        }
    }
    return r;
}

/* floor(n * 2^32 / d) for d in [2^23, 2^24), quotient below 2^64. */
static uint64_t div_shift32_by_u24(uint64_t n, uint32_t d, uint32_t *rem) {
    uint32_t r = 0;
    uint64_t q = 0;
    int i;
    for (i = 0; i < 12; i++) {
        uint32_t chunk = i < 8 ? (uint32_t)(n >> (56 - 8 * i)) & 0xFFu : 0u;
        uint32_t cur = (r << 8) | chunk;
        uint32_t digit = cur / d;
        r = cur - digit * d;
        q = (q << 8) | digit;
    }
    *rem = r;
    return q;
}

void xtml_quantize_f32_mul_div_f64(float a, float b, uint64_t d_mant, int32_t d_exp, int32_t *multiplier,
                                   int *shift) {
    bool na, nb, sticky;
    uint32_t ma, mb;
    int32_t ea, eb, qe;
    uint64_t r, q = 0;
    f32_class_t ca = f32_split(a, &na, &ma, &ea);
    f32_class_t cb = f32_split(b, &nb, &mb, &eb);
    f64_parts_t f;
    if (ca == F32_NAN || cb == F32_NAN || ca == F32_INF || cb == F32_INF) {
        quantize_invalid(multiplier, shift);
        return;
    }
    if (ca == F32_ZERO || cb == F32_ZERO) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    /* the product (below 2^48) over d_mant (in [2^52, 2^53)), bit by bit
     * until the quotient has 55 bits; the remainder says whether more follow */
    r = (uint64_t)ma * mb;
    qe = ea + eb - d_exp;
    while (bit_length_u64(q) < 55) {
        r <<= 1;
        q <<= 1;
        if (r >= d_mant) {
            r -= d_mant;
            q |= 1u;
        }
        qe--;
    }
    sticky = r != 0;
    f = round_to_f64(q, qe, sticky);
    /* frexp's fraction f.mant / 2^53 times 2^31, rounded half away from zero */
    quantize_finish(na != nb, (uint32_t)((f.mant + ((uint64_t)1 << 21)) >> 22), f.exp + 53, multiplier, shift);
}

bool xtml_bias_scale_matches(float input_scale, float weights_scale, float bias_scale, float output_scale) {
    /* 0.02 as a double, mantissa and exponent */
    const f64_parts_t limit = { 0x147AE147AE147Bu, -58 };
    bool neg;
    uint32_t mi, mw, mb, mo, rem;
    int32_t ei, ew, eb, eo;
    uint64_t xp, xb, big, small, z, q;
    int32_t ep, ebb, e_big, e_small, d;
    f64_parts_t diff, ratio;
    bool neg_b;
    f32_class_t cb = f32_split(bias_scale, &neg_b, &mb, &eb);
    if (f32_split(input_scale, &neg, &mi, &ei) != F32_FINITE || neg ||
        f32_split(weights_scale, &neg, &mw, &ew) != F32_FINITE || neg ||
        f32_split(output_scale, &neg, &mo, &eo) != F32_FINITE || neg ||
        !(cb == F32_ZERO || (cb == F32_FINITE && !neg_b))) {
        return false;
    }
    /* both operands with the top bit at 63: xp * 2^ep and xb * 2^ebb */
    xp = (uint64_t)mi * mw;
    ep = ei + ew - (64 - bit_length_u64(xp));
    xp <<= 64 - bit_length_u64(xp);
    xb = (uint64_t)mb << 40;
    ebb = eb - 40;
    if (cb == F32_ZERO) {
        /* no bias scale (0): the difference is the exact product */
        xb = 0;
        ebb = ep;
    }
    if (ep == ebb && xp == xb) {
        return true;            /* 0 / scale <= 0.02 */
    }
    if (ep > ebb || (ep == ebb && xp > xb)) {
        big = xp;
        e_big = ep;
        small = xb;
        e_small = ebb;
    } else {
        big = xb;
        e_big = ebb;
        small = xp;
        e_small = ep;
    }
    /*
     * |difference| rounded to a double. The smaller operand is shifted right
     * with its lost bits jammed into bit 0; both operands have their low 16
     * bits clear, so a shift that loses bits (d > 16) leaves an odd
     * difference that no rounding boundary can split, and at most one bit of
     * cancellation.
     */
    d = e_big - e_small;
    if (d >= 64) {
        z = big - 1u;
    } else {
        uint64_t lost = d == 0 ? 0 : small & (((uint64_t)1 << d) - 1u);
        z = big - ((small >> d) | (lost != 0 ? 1u : 0u));
    }
    diff = round_to_f64(z, e_big, false);
    /* the quotient by the output scale, rounded to a double */
    q = div_shift32_by_u24(diff.mant, mo, &rem);
    ratio = round_to_f64(q, diff.exp - 32 - eo, rem != 0);
    return ratio.exp < limit.exp || (ratio.exp == limit.exp && ratio.mant <= limit.mant);
}

bool xtml_f32_within_1e5(float a, float b) {
    /* 1e-5 as a double, mantissa and exponent */
    const f64_parts_t limit = { 0x14F8B588E368F1u, -69 };
    bool neg_a, neg_b;
    uint32_t ma, mb;
    int32_t ea, eb, e_big, e_small, d;
    uint64_t xa, xb, big, small, z, moved;
    f64_parts_t diff;
    f32_class_t ca = f32_split(a, &neg_a, &ma, &ea);
    f32_class_t cb = f32_split(b, &neg_b, &mb, &eb);
    if ((ca != F32_ZERO && ca != F32_FINITE) || (cb != F32_ZERO && cb != F32_FINITE)) {
        return false;
    }
    /* magnitudes with the top bit at 62 (a sum of two fits in 64 bits) and
     * their low 39 bits clear; a zero takes the other's exponent */
    xa = (uint64_t)ma << 39;
    xb = (uint64_t)mb << 39;
    ea -= 39;
    eb -= 39;
    if (ca == F32_ZERO) {
        ea = eb;
        neg_a = neg_b;
    }
    if (cb == F32_ZERO) {
        eb = ea;
        neg_b = neg_a;
    }
    if (ea > eb || (ea == eb && xa >= xb)) {
        big = xa;
        e_big = ea;
        small = xb;
        e_small = eb;
    } else {
        big = xb;
        e_big = eb;
        small = xa;
        e_small = ea;
    }
    /* The smaller operand aligned, lost bits jammed into bit 0: then the
     * result is odd and within one unit of the exact value with no rounding
     * boundary between them (as in xtml_bias_scale_matches). */
    d = e_big - e_small;
    if (d >= 64) {
        moved = small != 0 ? 1u : 0u;
    } else {
        uint64_t lost = d == 0 ? 0 : small & (((uint64_t)1 << d) - 1u);
        moved = (small >> d) | (lost != 0 ? 1u : 0u);
    }
    z = neg_a == neg_b ? big - moved : big + moved;
    if (z == 0) {
        return true;
    }
    diff = round_to_f64(z, e_big, false);
    return diff.exp < limit.exp || (diff.exp == limit.exp && diff.mant < limit.mant);
}

int32_t xtml_saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    int64_t ab;
    int32_t nudge;
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* Division truncates toward zero, as gemmlowp's does. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

int32_t xtml_rounding_divide_by_pot(int32_t x, int exponent) {
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t xtml_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)x << left);
    return xtml_rounding_divide_by_pot(xtml_saturating_rounding_doubling_high_mul(shifted, multiplier),
                                       right);
}

int32_t xtml_mul_by_quantized_multiplier_64(int64_t x, int32_t multiplier, int shift) {
    int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    int total = 15 - shift;
    /* Wraps (in unsigned) where an accumulator far outside TFLM's +-2^47
     * contract would overflow, as x86-64's multiply does. */
    int64_t r = (int64_t)((uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total - 1)));
    return (int32_t)(r >> total);
}

/* zero_point + round(value / scale) as TFLM computes it (float division,
 * rounding half away from zero), widened so a tiny scale cannot overflow. */
static int64_t quantize_bound(float value, float scale, int32_t zero_point) {
    float q = roundf(value / scale);
    if (q > 4.0e9f) {
        return (int64_t)4000000000;
    }
    if (q < -4.0e9f) {
        return -(int64_t)4000000000;
    }
    return (int64_t)zero_point + (int64_t)q;
}

void xtml_activation_range_quantized(int act, float scale, int32_t zero_point, int32_t qmin,
                                     int32_t qmax, int32_t *out_min, int32_t *out_max) {
    int32_t lo = qmin;
    int32_t hi = qmax;
    int64_t v;
    if (act == XTML_ACT_RELU || act == XTML_ACT_RELU6) {
        v = quantize_bound(0.0f, scale, zero_point);
        lo = v > lo ? (int32_t)v : lo;
    }
    if (act == XTML_ACT_RELU6) {
        v = quantize_bound(6.0f, scale, zero_point);
        hi = v < hi ? (int32_t)v : hi;
    }
    if (act == XTML_ACT_RELU_N1_TO_1) {
        v = quantize_bound(-1.0f, scale, zero_point);
        lo = v > lo ? (int32_t)v : lo;
        v = quantize_bound(1.0f, scale, zero_point);
        hi = v < hi ? (int32_t)v : hi;
    }
    *out_min = lo;
    *out_max = hi;
}

void xtml_activation_range_float(int act, float *out_min, float *out_max) {
    /* TFLM clamps to the finite float range, so an overflow saturates. */
    *out_min = -FLT_MAX;
    *out_max = FLT_MAX;
    if (act == XTML_ACT_RELU) {
        *out_min = 0.0f;
    } else if (act == XTML_ACT_RELU6) {
        *out_min = 0.0f;
        *out_max = 6.0f;
    } else if (act == XTML_ACT_RELU_N1_TO_1) {
        *out_min = -1.0f;
        *out_max = 1.0f;
    }
}

void xtml_unpack_int4(const uint8_t *packed, int32_t count, int8_t *out) {
    int32_t i;
    for (i = 0; i < count; i++) {
        uint32_t nibble = (uint32_t)(packed[i >> 1] >> ((i & 1) * 4)) & 0xFu;
        out[i] = (int8_t)((int32_t)nibble - (int32_t)((nibble & 8u) << 1));
    }
}
