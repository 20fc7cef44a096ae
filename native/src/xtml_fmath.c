/*
 * xtml_fmath.c - exp, expm1, tanh, log, sin and cos for the float kernels, the
 * same bits on every build.
 *
 * TFLM's float LOGISTIC, SOFTMAX and TANH call the C library's expf() and
 * tanhf(), and C libraries disagree in the last bit or two (glibc, musl in
 * WebAssembly, picolibc, newlib). Here both are evaluated in 64-bit integer
 * fixed point and rounded once to float (to nearest, ties to even), so the
 * result depends on integer arithmetic alone: no double, no C library, no
 * FPU mode. The fixed-point value is within about 2^-55 (relative) of the
 * exact one, so the float is the correctly rounded result unless the exact
 * value lies that close to a rounding boundary.
 *
 * exp(x): x = k ln2 + r with |r| <= ln2/2 (ln2 to 88 bits, so r is exact to
 * 2^-62), e^r - 1 = r P(r) by its Taylor series to r^14 (Horner, Q62), then
 * 2^k (1 + r P(r)). tanh(|x|) = (1 - e^-2|x|) / (1 + e^-2|x|), with
 * 1 - e^-2|x| taken from e^r - 1 directly where k = 0, so small arguments
 * keep their relative precision.
 *
 * expm1(x) for x < 0 (ELU) from the same e^r - 1: directly where k = 0,
 * as 1 - 2^k (1 + r P(r)) otherwise.
 *
 * log(x): x = 2^e m with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(f) with
 * f = (m - 1) / (m + 1) (|f| < 0.172) by its series to f^27 (Q62), plus
 * e ln2; where e = 0 the Q62 value is rounded directly, so arguments near 1
 * keep their relative precision.
 */
#include "xtml_internal.h"

#define Q62_ONE ((uint64_t)1 << 62)

/* The quiet NaN returned for any NaN: payloads that pass through differ
 * between FPUs (32-bit x86 quiets a signalling NaN as it returns it). */
#define XTML_F32_NAN_BITS 0x7FC00000u

/* floor(a * b / 2^62) for a, b < 2^63, from 32 x 32 -> 64-bit products. */
static uint64_t mul_q62(uint64_t a, uint64_t b) {
    uint32_t a1 = (uint32_t)(a >> 32), a0 = (uint32_t)a;
    uint32_t b1 = (uint32_t)(b >> 32), b0 = (uint32_t)b;
    uint64_t lo = (uint64_t)a0 * b0;
    uint64_t m1 = (uint64_t)a1 * b0;
    uint64_t m2 = (uint64_t)a0 * b1;
    uint64_t mid = (lo >> 32) + (uint32_t)m1 + (uint32_t)m2;
    uint64_t hi = (uint64_t)a1 * b1 + (m1 >> 32) + (m2 >> 32) + (mid >> 32);
    return (hi << 2) | ((uint32_t)mid >> 30);
}

static int bit_length(uint64_t v) {
    int n = 0;
    if (v >> 32 != 0) {
        n = 32;
        v >>= 32;
    }
    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

static float f32_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/*
 * v * 2^e (v > 0) as the nearest float, ties to even, subnormals and
 * overflow included. sticky: the value is a little more than v * 2^e (so
 * never exactly halfway).
 */
static float f32_round(uint64_t v, int32_t e, bool sticky) {
    int len = bit_length(v);
    int32_t drop = len - 24;
    uint32_t m, biased;
    if (drop < -149 - e) {
        drop = -149 - e;          /* subnormal: the last bit is 2^-149 */
    }
    if (drop > len) {
        return 0.0f;              /* below half the smallest subnormal */
    }
    if (drop <= 0) {
        m = (uint32_t)(v << -drop);
    } else {
        uint64_t rest = drop == 64 ? v : v & (((uint64_t)1 << drop) - 1u);
        uint64_t half = (uint64_t)1 << (drop - 1);
        m = drop == 64 ? 0u : (uint32_t)(v >> drop);
        if (rest > half || (rest == half && (sticky || (m & 1u) != 0))) {
            m++;
            if (m == 0x1000000u) {
                m = 0x800000u;
                drop++;
            }
        }
    }
    if (m < 0x800000u) {
        return f32_from_bits(m);  /* subnormal (or zero) */
    }
    biased = (uint32_t)(e + drop + 150);
    if (e + drop + 150 >= 255) {
        return f32_from_bits(0x7F800000u);
    }
    return f32_from_bits((biased << 23) | (m & 0x7FFFFFu));
}

/* 1 / (n + 1)! in Q62, n = 0 .. 13. */
static const uint64_t inv_factorial_q62[14] = {
    4611686018427387904u, 2305843009213693952u, 768614336404564651u, 192153584101141163u,
    38430716820228233u,   6405119470038039u,    915017067148291u,    114377133393536u,
    12708570377060u,      1270857037706u,       115532457973u,       9627704831u,
    740592679u,           52899477u,
};

/* e^r - 1 for |r| <= 0.35, r = (neg ? -u : u) in Q62: returns |e^r - 1| in
 * Q62, whose sign is r's. r P(r), P(r) = sum r^n / (n + 1)! (positive). */
static uint64_t expm1_q62(bool neg, uint64_t u) {
    uint64_t p = inv_factorial_q62[13];
    int n;
    for (n = 12; n >= 0; n--) {
        uint64_t t = mul_q62(u, p);
        p = neg ? inv_factorial_q62[n] - t : inv_factorial_q62[n] + t;
    }
    return mul_q62(u, p);
}

/* ln 2 = (LN2_Q56 + LN2_LOW / 2^32) / 2^56; 1 / ln 2 in Q24. */
#define LN2_Q56 ((int64_t)49946518145322873)
#define LN2_LOW ((int64_t)2882134963)
#define INV_LN2_Q24 ((int64_t)24204406)

/*
 * y = x_q56 / 2^56 (|y| < 110) as k ln2 + r, |r| <= 0.35: k, and r in Q62
 * as sign and magnitude.
 */
static int32_t reduce_ln2(int64_t x_q56, bool *neg, uint64_t *u) {
    int64_t k = ((x_q56 >> 32) * INV_LN2_Q24 + ((int64_t)1 << 47)) >> 48;
    int64_t r = (x_q56 - k * LN2_Q56) * 64 - ((k * LN2_LOW) >> 26);
    *neg = r < 0;
    *u = r < 0 ? (uint64_t)-r : (uint64_t)r;
    return (int32_t)k;
}

/* |x| * 2^56 for a float with 2^-33 <= |x| < 2^7 (exact). */
static int64_t magnitude_q56(uint32_t bits) {
    uint32_t e = (bits >> 23) & 0xFFu;
    uint64_t m = (bits & 0x7FFFFFu) | 0x800000u;
    int32_t shift = (int32_t)e - 150 + 56;   /* value = m * 2^(e - 150) */
    return (int64_t)(m << shift);
}

float xtml_exp_f32(float x) {
    uint32_t bits;
    uint32_t mag;
    bool neg_r;
    uint64_t u, v;
    int32_t k;
    int64_t xq;
    memcpy(&bits, &x, sizeof bits);
    mag = bits & 0x7FFFFFFFu;
    if (mag > 0x7F800000u) {
        return f32_from_bits(XTML_F32_NAN_BITS);
    }
    if ((bits >> 31) == 0 && mag >= 0x42B20000u) {
        return f32_from_bits(0x7F800000u);      /* x >= 89: overflows */
    }
    if ((bits >> 31) != 0 && mag >= 0x42D00000u) {
        return 0.0f;                            /* x <= -104: below 2^-150 */
    }
    if (mag < 0x2F800000u) {
        return 1.0f;                            /* |x| < 2^-32: 1 + x rounds to 1 */
    }
    xq = magnitude_q56(mag);
    k = reduce_ln2((bits >> 31) != 0 ? -xq : xq, &neg_r, &u);
    u = expm1_q62(neg_r, u);
    v = neg_r ? Q62_ONE - u : Q62_ONE + u;
    return f32_round(v, k - 62, false);
}

float xtml_tanh_f32(float x) {
    uint32_t bits, mag;
    bool neg_r;
    uint64_t u, num, den, recip, dy;
    int32_t k;
    float t;
    memcpy(&bits, &x, sizeof bits);
    mag = bits & 0x7FFFFFFFu;
    if (mag > 0x7F800000u) {
        return f32_from_bits(XTML_F32_NAN_BITS);
    }
    if (mag >= 0x41180000u) {
        t = 1.0f;                               /* |x| >= 9.5: 1 - tanh < 2^-26 */
    } else if (mag < 0x39000000u) {
        return x;                               /* |x| < 2^-13: x^3 / 3 is below half an ulp */
    } else {
        /* e^-2|x| = 2^k (1 + q), k in [-28, 0] */
        k = reduce_ln2(-2 * magnitude_q56(mag), &neg_r, &u);
        u = expm1_q62(neg_r, u);
        if (k == 0) {
            num = u;                            /* r < 0 here: 1 - e^r = |q| */
            den = 2 * Q62_ONE - u;
        } else {
            uint64_t e = (neg_r ? Q62_ONE - u : Q62_ONE + u) >> -k;
            num = Q62_ONE - e;
            den = Q62_ONE + e;
        }
        /* num / den: 1 / den to 2^-30 by one 64 / 32-bit division, then one
         * Newton step (the error squares) */
        recip = (Q62_ONE / (uint32_t)(den >> 32)) << 30;
        dy = mul_q62(den, recip);
        if (dy > Q62_ONE) {
            recip -= mul_q62(recip, dy - Q62_ONE);
        } else {
            recip += mul_q62(recip, Q62_ONE - dy);
        }
        t = f32_round(mul_q62(num, recip), -62, false);
    }
    return (bits >> 31) != 0 ? -t : t;
}

/* floor(num * 2^62 / den) for 0 <= num < den < 2^62, by long division. */
static uint64_t div_q62(uint64_t num, uint64_t den) {
    uint64_t q = 0;
    int i;
    for (i = 0; i < 62; i++) {
        num <<= 1;
        q <<= 1;
        if (num >= den) {
            num -= den;
            q |= 1u;
        }
    }
    return q;
}

/* 1 / (2n + 1) in Q62, n = 0 .. 13. */
#define INV_ODD(n) ((uint64_t)(Q62_ONE / (2u * (n) + 1u)))
static const uint64_t inv_odd_q62[14] = {
    INV_ODD(0), INV_ODD(1), INV_ODD(2), INV_ODD(3), INV_ODD(4), INV_ODD(5), INV_ODD(6),
    INV_ODD(7), INV_ODD(8), INV_ODD(9), INV_ODD(10), INV_ODD(11), INV_ODD(12), INV_ODD(13),
};

float xtml_log_f32(float x) {
    uint32_t bits, mag;
    uint64_t m, num, den, f, s, p, logm;
    bool neg_f;
    int32_t e;
    int n;
    memcpy(&bits, &x, sizeof bits);
    mag = bits & 0x7FFFFFFFu;
    if (mag > 0x7F800000u) {
        return f32_from_bits(XTML_F32_NAN_BITS);
    }
    if (mag == 0) {
        return f32_from_bits(0xFF800000u);      /* log(+-0) = -inf */
    }
    if ((bits >> 31) != 0) {
        return f32_from_bits(XTML_F32_NAN_BITS);
    }
    if (mag == 0x7F800000u) {
        return x;
    }
    /* x = m 2^(e - 23), m in [2^23, 2^24) */
    m = mag & 0x7FFFFFu;
    e = (int32_t)(mag >> 23);
    if (e == 0) {
        e = 1;
        while (m < 0x800000u) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 0x800000u;
    }
    e -= 127;
    /* m / 2^23 in [sqrt(1/2), sqrt(2)): 0xB504F3 is sqrt(2) 2^23 rounded up */
    if (m >= 0xB504F3u) {
        e++;
        num = m << 36;                          /* m / 2^24 in Q60 */
    } else {
        num = m << 37;                          /* m / 2^23 in Q60 */
    }
    /* f = (v - 1) / (v + 1), v = num / 2^60 */
    den = num + ((uint64_t)1 << 60);
    neg_f = num < ((uint64_t)1 << 60);
    num = neg_f ? ((uint64_t)1 << 60) - num : num - ((uint64_t)1 << 60);
    if (num == 0 && e == 0) {
        return 0.0f;                            /* log 1 = +0 */
    }
    f = div_q62(num, den);
    s = mul_q62(f, f);
    p = inv_odd_q62[13];
    for (n = 12; n >= 0; n--) {
        p = inv_odd_q62[n] + mul_q62(s, p);
    }
    logm = mul_q62(f, p) << 1;                  /* |log m| in Q62, < 0.35 */
    if (e == 0) {
        float r = f32_round(logm, -62, false);
        return neg_f ? -r : r;
    }
    {
        /* e ln2 + log m in Q56 (|e ln2| < 90) */
        uint64_t ae = (uint64_t)(e < 0 ? -e : e);
        uint64_t eln2 = ae * (uint64_t)LN2_Q56 + ((ae * (uint64_t)LN2_LOW) >> 32);
        uint64_t lm = logm >> 6;
        bool neg_e = e < 0;
        uint64_t v;
        float r;
        if (neg_e == neg_f) {
            v = eln2 + lm;
        } else {
            v = eln2 - lm;                      /* |e ln2| >= ln2 > |log m| */
        }
        r = f32_round(v, -56, false);
        return neg_e ? -r : r;
    }
}

float xtml_f32_scaled(uint64_t v, int32_t e, bool sticky) {
    return v == 0 ? 0.0f : f32_round(v, e, sticky);
}

float xtml_expm1_neg_f32(float x) {
    uint32_t bits, mag;
    bool neg_r;
    uint64_t u, v;
    int32_t k;
    memcpy(&bits, &x, sizeof bits);
    mag = bits & 0x7FFFFFFFu;
    if (mag > 0x7F800000u) {
        return f32_from_bits(XTML_F32_NAN_BITS);
    }
    if ((bits >> 31) == 0 || mag == 0) {
        return x;                               /* not negative: the caller's case */
    }
    if (mag >= 0x41900000u) {
        return -1.0f;                           /* x <= -18: e^x < 2^-25, 1 - e^x rounds to 1 */
    }
    if (mag < 0x2F800000u) {
        return x;                               /* |x| < 2^-32: x + x^2 / 2 rounds to x */
    }
    k = reduce_ln2(-magnitude_q56(mag), &neg_r, &u);
    u = expm1_q62(neg_r, u);
    if (k == 0) {
        /* |r| small: e^r - 1 itself, its sign r's (negative here) */
        return neg_r ? -f32_round(u, -62, false) : f32_round(u, -62, false);
    }
    /* k in [-26, -1]: 1 - e^x = 1 - 2^k e^r, at least 1 - e^-0.35 */
    v = (neg_r ? Q62_ONE - u : Q62_ONE + u) >> -k;
    return -f32_round(Q62_ONE - v, -62, false);
}

/*
 * sin and cos (SIN, COS). x = (q + f) pi/2 with the quadrant q and |f| <= 1/2,
 * then sin or cos of r = f pi/2 (|r| <= pi/4) by their Taylor series in
 * r^2 (Q62), the sign and the choice of series from q.
 *
 * The reduction multiplies the float's 24-bit significand by a 128-bit
 * window of the binary digits of 2/pi, the window chosen from the exponent
 * so that the bits of the product with weight 4 or more (which only add
 * whole turns) are never formed: the product's top two bits are q mod 4 and
 * the other 126 are f, exact to about 2^-100, enough that the arguments
 * closest to a multiple of pi/2 keep 60 significant bits. r is kept as a
 * 62-bit significand and a power of two so that small ones keep their
 * relative precision.
 */

/* The binary digits of 2/pi, after 32 zero bits: bit i of 2/pi (weight 2^-i)
 * is bit 31 - (i + 31) % 32 of word (i + 31) / 32, for i >= -31. */
static const uint32_t two_over_pi_bits[11] = {
    0x00000000u, 0xA2F9836Eu, 0x4E441529u, 0xFC2757D1u, 0xF534DDC0u, 0xDB629599u,
    0x3C439041u, 0xFE5163ABu, 0xDEBBC561u, 0xB7246E3Au, 0x424DD2E0u,
};

/* pi/2 in Q62. */
#define PIO2_Q62 ((uint64_t)7244019458077122842u)

/* 32 bits of two_over_pi_bits from bit position pos (0 = the first zero bit). */
static uint32_t two_over_pi_word(int32_t pos) {
    int32_t w = pos >> 5, s = pos & 31;
    uint32_t hi = two_over_pi_bits[w];
    return s == 0 ? hi : (hi << s) | (two_over_pi_bits[w + 1] >> (32 - s));
}

/*
 * |x| (finite, >= 2^-12) as q pi/2 + r: returns q mod 4, r = (neg ? -1 : 1)
 * *m 2^(-62 - *sh) with *m in [2^61, 2^62) (r = 0 cannot occur for a float).
 */
static uint32_t reduce_pio2(uint32_t mag, bool *neg, uint64_t *m, int32_t *sh) {
    uint64_t sig = (mag & 0x7FFFFFu) | 0x800000u;
    int32_t e = (int32_t)(mag >> 23) - 150;         /* |x| = sig 2^e */
    uint32_t w[4], p[4], q;
    uint64_t hi, lo, carry = 0;
    int32_t k, z;
    *neg = false;
    if (mag < 0x3F490FDBu) {                        /* |x| < pi/4: r = x */
        *m = sig << 38;
        *sh = -e - 24;
        return 0;
    }
    /* the window of 2/pi holds the bits of weight 2^-(e-1) .. 2^-(e+126), so
     * sig * window = |x| 2/pi 2^126, modulo multiples of 4 */
    for (k = 0; k < 4; k++) {
        w[k] = two_over_pi_word(e - 1 + 31 + 32 * k);
    }
    for (k = 3; k >= 0; k--) {
        uint64_t t = sig * w[k] + carry;
        p[k] = (uint32_t)t;
        carry = t >> 32;
    }
    q = p[0] >> 30;
    hi = ((uint64_t)(p[0] & 0x3FFFFFFFu) << 32) | p[1];    /* f = (hi 2^64 + lo) 2^-126 */
    lo = ((uint64_t)p[2] << 32) | p[3];
    if ((hi >> 61) != 0) {                          /* f >= 1/2: the next quadrant, r < 0 */
        q++;
        *neg = true;
        hi = ((uint64_t)1 << 62) - hi - (lo != 0 ? 1u : 0u);
        lo = 0u - lo;
    }
    /* normalize hi into [2^61, 2^62): f = hi 2^(-62 - z) */
    z = 0;
    if (hi == 0) {
        hi = lo >> 2;
        lo <<= 62;
        z = 62;
    }
    {
        int32_t n = 62 - bit_length(hi);
        if (n > 0) {
            hi = (hi << n) | (lo >> (64 - n));
            z += n;
        }
    }
    *m = mul_q62(hi, PIO2_Q62);                     /* [1.57, 3.15) 2^61 */
    *sh = z;
    if (*m >= Q62_ONE) {
        *m >>= 1;
        *sh = z - 1;
    }
    return q & 3u;
}

/* sin r / r (sin_series) or cos r (!sin_series) for s = r^2 in Q62
 * (s <= 0.62): 1 - s/(a b) (1 - s/(c d) (...)), all terms positive. */
static uint64_t trig_series_q62(uint64_t s, bool sin_series) {
    uint64_t p = Q62_ONE;
    uint32_t n;
    for (n = 11; n >= 1; n--) {
        uint32_t d = sin_series ? (2 * n) * (2 * n + 1) : (2 * n - 1) * (2 * n);
        p = Q62_ONE - mul_q62(s, p) / d;
    }
    return p;
}

/* sin (want_cos false) or cos of x. */
static float sin_cos_f32(float x, bool want_cos) {
    uint32_t bits, mag, q;
    bool neg_r, negate, use_cos;
    uint64_t m, s;
    int32_t sh;
    float v;
    memcpy(&bits, &x, sizeof bits);
    mag = bits & 0x7FFFFFFFu;
    if (mag >= 0x7F800000u) {
        return f32_from_bits(XTML_F32_NAN_BITS);   /* inf, NaN */
    }
    if (mag < 0x39800000u) {                        /* |x| < 2^-12 */
        return want_cos ? 1.0f : x;                 /* x^2/2 and x^3/6 are below half an ulp */
    }
    q = reduce_pio2(mag, &neg_r, &m, &sh);
    s = 2 * sh >= 62 ? 0 : mul_q62(m, m) >> (2 * sh);
    /* sin|x| = sin r, cos r, -sin r, -cos r for q = 0..3;
     * cos|x| = cos r, -sin r, -cos r, sin r */
    use_cos = ((q + (want_cos ? 1u : 0u)) & 1u) != 0;
    negate = want_cos ? (q == 1 || q == 2) : q >= 2;
    if (use_cos) {
        v = f32_round(trig_series_q62(s, false), -62, false);
    } else {
        v = f32_round(mul_q62(m, trig_series_q62(s, true)), -62 - sh, false);
        negate = negate != neg_r;
    }
    if (!want_cos && (bits >> 31) != 0) {
        negate = !negate;                           /* sin is odd, cos even */
    }
    return negate ? -v : v;
}

float xtml_sin_f32(float x) {
    return sin_cos_f32(x, false);
}

float xtml_cos_f32(float x) {
    return sin_cos_f32(x, true);
}
