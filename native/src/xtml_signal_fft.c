/*
 * xtml_signal_fft.c - SignalRfft and SignalIrfft of TFLM's signal library,
 * int16, int32 and float32, bit-exact with its reference kernels (which run
 * kissfft's real FFT: an n = fft_length / 2 point complex FFT of the samples
 * taken as (even, odd) pairs, then a split step with n / 2 extra twiddles).
 *
 * Options (FlexBuffer map): exactly "T" (the TensorFlow type: 0 float32,
 * 2 int32, 7 int16; the tensors' type) and "fft_length". Accepted lengths:
 * even, at most XTML_FFT_MAX_LENGTH, with n >= 2 made of radixes 2, 3, 4, 5
 * only; the library has no other butterflies without a heap and crashes on
 * them. Rows: the last dimension is one transform; Rfft's input row
 * (<= fft_length values) is zero-padded, its output row is fft_length / 2 + 1
 * (real, imaginary) pairs; Irfft maps such rows back to fft_length values.
 *
 * Arithmetic, as the library defines it (docs/operators.md):
 * - The complex FFT decimates in time over the factors (4s, then 2s, then 3,
 *   5: xtml_fft_factor), recombining with radix-2/3/4/5 butterflies. In the
 *   fixed-point types every butterfly first divides each input by its radix
 *   as x * ((2^b - 1) / p) rounded (b = 15 or 31), products are rounded
 *   ((x + 2^(b-1)) >> b, arithmetic), and each stored value wraps to the
 *   type; "half of" is an arithmetic shift, of the int sum for int16 and of
 *   the wrapped int32 sum for int32. Float evaluates every expression in
 *   float in the library's order (no fused multiply-add: the Makefile's
 *   -ffp-contract=off). Irfft float divides its outputs by fft_length.
 * - Twiddles are computed at prepare, integer-only: cos and sin of the exact
 *   phase in Q62, rounded as the library rounds its double values. Where the
 *   double phase's own rounding decides the result (a value of exactly
 *   +-1/2, a tie for the integer types, and exactly 0, a tiny non-zero float
 *   in the library), the double phase is rebuilt exactly in integers and its
 *   distance to the true angle decides. test_numerics checks every twiddle
 *   of every accepted length against libm.
 */
#include "xtml_signal.h"
#include "xtml_signal_fft.h"

/* ---- 128-bit unsigned integers (no __int128 on 32-bit targets) ---- */

typedef struct u128 {
    uint64_t hi, lo;
} u128_t;

static u128_t u128_of(uint64_t v) {
    u128_t r;
    r.hi = 0;
    r.lo = v;
    return r;
}

static u128_t u128_mul(uint64_t a, uint64_t b) {
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    u128_t r;
    r.lo = (mid << 32) | (uint32_t)p00;
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}

static u128_t u128_add(u128_t a, u128_t b) {
    u128_t r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo ? 1u : 0u);
    return r;
}

static u128_t u128_sub(u128_t a, u128_t b) {
    u128_t r;
    r.lo = a.lo - b.lo;
    r.hi = a.hi - b.hi - (a.lo < b.lo ? 1u : 0u);
    return r;
}

static bool u128_less(u128_t a, u128_t b) {
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
}

static u128_t u128_shl(u128_t a, uint32_t s) {
    u128_t r;
    if (s == 0) {
        return a;
    }
    if (s >= 64) {
        r.hi = a.lo << (s - 64);
        r.lo = 0;
    } else {
        r.hi = (a.hi << s) | (a.lo >> (64 - s));
        r.lo = a.lo << s;
    }
    return r;
}

static u128_t u128_shr(u128_t a, uint32_t s) {
    u128_t r;
    if (s == 0) {
        return a;
    }
    if (s >= 64) {
        r.lo = a.hi >> (s - 64);
        r.hi = 0;
    } else {
        r.lo = (a.lo >> s) | (a.hi << (64 - s));
        r.hi = a.hi >> s;
    }
    return r;
}

static uint32_t u128_bits(u128_t a) {
    uint32_t n = 0;
    uint64_t top = a.hi != 0 ? a.hi : a.lo;
    while (top != 0) {
        top >>= 1;
        n++;
    }
    return a.hi != 0 ? n + 64 : n;
}

/* a / d for d > 0, by 32-bit limbs; *rem_nonzero tells whether d divides a. */
static u128_t u128_div32(u128_t a, uint32_t d, bool *rem_nonzero) {
    uint32_t limb[4];
    uint64_t r = 0;
    u128_t q;
    int k;
    limb[0] = (uint32_t)(a.hi >> 32);
    limb[1] = (uint32_t)a.hi;
    limb[2] = (uint32_t)(a.lo >> 32);
    limb[3] = (uint32_t)a.lo;
    for (k = 0; k < 4; k++) {
        uint64_t cur = (r << 32) | limb[k];
        limb[k] = (uint32_t)(cur / d);
        r = cur % d;
    }
    q.hi = ((uint64_t)limb[0] << 32) | limb[1];
    q.lo = ((uint64_t)limb[2] << 32) | limb[3];
    *rem_nonzero = r != 0;
    return q;
}

/* ---- the library's double phases, rebuilt exactly ---- */

/* A positive double as m * 2^e, m below 2^53. */
typedef struct dbl {
    uint64_t m;
    int32_t e;
} dbl_t;

/* x * 2^e (plus a non-zero remainder below x's last bit when `sticky`)
 * rounded to 53 bits, to nearest, ties to even. x > 0; a sticky x has more
 * than 53 bits. */
static dbl_t round53(u128_t x, int32_t e, bool sticky) {
    uint32_t bits = u128_bits(x);
    dbl_t d;
    if (bits <= 53) {
        d.m = x.lo;
        d.e = e;
        return d;
    } else {
        uint32_t sh = bits - 53;
        u128_t keep = u128_shr(x, sh);
        u128_t rest = u128_sub(x, u128_shl(keep, sh));
        u128_t half = u128_shl(u128_of(1), sh - 1);
        bool up = u128_less(half, rest) ||
                  (!u128_less(rest, half) && (sticky || (keep.lo & 1u) != 0));
        d.m = keep.lo + (up ? 1u : 0u);
        d.e = e + (int32_t)sh;
        if (d.m >> 53 != 0) {
            d.m >>= 1;
            d.e++;
        }
        return d;
    }
}

/* The double nearest pi: 0x1.921fb54442d18p+1 = PI_MANT * 2^-51. */
#define PI_MANT 0x1921FB54442D18u

/* |phase| of main twiddle i: ((2 * pi) * i) / n, each step rounded. */
static dbl_t phase_main(int32_t n, int32_t i) {
    dbl_t p = round53(u128_mul(PI_MANT, (uint64_t)i), -50, false);
    bool sticky;
    u128_t q = u128_div32(u128_shl(u128_of(p.m), 64), (uint32_t)n, &sticky);
    return round53(q, p.e - 64, sticky);
}

/* |phase| of super twiddle i: pi * ((i + 1) / n + 0.5), each step rounded. */
static dbl_t phase_super(int32_t n, int32_t i) {
    bool sticky;
    u128_t q = u128_div32(u128_shl(u128_of((uint64_t)i + 1u), 64), (uint32_t)n, &sticky);
    dbl_t a = round53(q, -64, sticky);   /* (i + 1) / n, in [2^-12, 1/2] */
    dbl_t b = round53(u128_add(u128_of(a.m), u128_shl(u128_of(1), (uint32_t)(-1 - a.e))), a.e, false);
    return round53(u128_mul(PI_MANT, b.m), b.e - 51, false);
}

/* pi / 6 in units of 2^-100, rounded. */
static const u128_t pi6_u100 = { 0x860A91C16u, 0xB9B2C232DD99707Bu };

/* phase - k pi / 6 in units of 2^-100; false when not within 2^-40. */
static bool phase_delta(dbl_t phase, uint32_t k, int64_t *delta) {
    u128_t at, target, diff;
    bool negative;
    if (phase.e < -100 || phase.e > 0) {
        return false;
    }
    at = u128_shl(u128_of(phase.m), (uint32_t)(phase.e + 100));
    target = u128_add(u128_mul(pi6_u100.lo, k), u128_shl(u128_of(pi6_u100.hi * k), 64));
    negative = u128_less(at, target);
    diff = negative ? u128_sub(target, at) : u128_sub(at, target);
    if (diff.hi != 0 || diff.lo >> 60 != 0) {
        return false;
    }
    *delta = negative ? -(int64_t)diff.lo : (int64_t)diff.lo;
    return true;
}

/* ---- cos and sin in Q62 ---- */

#define Q62_ONE ((uint64_t)1 << 62)
/* pi / 2 in Q62, rounded. */
#define PI_HALF_Q62 0x6487ED5110B4611Au

static uint64_t mul_q62(uint64_t a, uint64_t b) {
    return u128_shr(u128_add(u128_mul(a, b), u128_of((uint64_t)1 << 61)), 62).lo;
}

/* cos and sin of the angle (pi / 2) * num / den, num <= den / 2 (<= pi/4). */
static void cos_sin_q62(uint64_t num, uint64_t den, uint64_t *c, uint64_t *s) {
    bool unused;
    uint64_t x = mul_q62(u128_div32(u128_shl(u128_of(num), 62), (uint32_t)den, &unused).lo, PI_HALF_Q62);
    uint64_t x2 = mul_q62(x, x);
    uint64_t term_s = x, term_c = Q62_ONE, k;
    int64_t sum_s = (int64_t)x, sum_c = (int64_t)Q62_ONE;
    for (k = 1; term_s != 0 || term_c != 0; k++) {
        term_c = mul_q62(term_c, x2) / ((2 * k - 1) * (2 * k));
        term_s = mul_q62(term_s, x2) / ((2 * k) * (2 * k + 1));
        if (k % 2 != 0) {
            sum_c -= (int64_t)term_c;
            sum_s -= (int64_t)term_s;
        } else {
            sum_c += (int64_t)term_c;
            sum_s += (int64_t)term_s;
        }
    }
    *c = (uint64_t)sum_c;
    *s = (uint64_t)sum_s;
}

/* cos and sin of 2 pi num / den (0 <= num < den), signed Q62. */
static void turn_q62(uint32_t num, uint32_t den, int64_t *c, int64_t *s) {
    uint64_t quadrant = (4u * (uint64_t)num) / den;
    uint64_t rem = 4u * (uint64_t)num - quadrant * den;
    uint64_t ca, sa;
    if (2 * rem <= den) {
        cos_sin_q62(rem, den, &ca, &sa);
    } else {
        cos_sin_q62(den - rem, den, &sa, &ca);
    }
    switch (quadrant) {
    case 0: *c = (int64_t)ca; *s = (int64_t)sa; break;
    case 1: *c = -(int64_t)sa; *s = (int64_t)ca; break;
    case 2: *c = -(int64_t)ca; *s = -(int64_t)sa; break;
    default: *c = (int64_t)sa; *s = -(int64_t)ca; break;
    }
}

/* floor(0.5 + scale * v) for v = q / 2^62. */
static int32_t round_scaled(int64_t q, uint32_t scale) {
    uint64_t mag = q < 0 ? (uint64_t)0 - (uint64_t)q : (uint64_t)q;
    uint64_t r = u128_shr(u128_add(u128_mul(mag, scale), u128_of((uint64_t)1 << 61)), 62).lo;
    return q < 0 ? -(int32_t)r : (int32_t)r;
}

static float q62_to_float(int64_t q) {
    uint64_t mag = q < 0 ? (uint64_t)0 - (uint64_t)q : (uint64_t)q;
    float f = (float)mag * 0x1p-62f;
    return q < 0 ? -f : f;
}

/* delta / 2^100 as float (the double's rounding to float of a value near 0). */
static float delta_to_float(int64_t delta) {
    return (float)delta * 0x1p-100f;
}

/* 2^-55 and 2^-54 divided by sqrt(3)/2, in units of 2^-100: how far the
 * phase must move for cos or sin near +-1/2 to round away from it in
 * double (the double spacing below 1/2 is 2^-54, above 2^-53). */
#define TIE_BELOW_HALF 40627413393510
#define TIE_ABOVE_HALF 81254826787020

/* A value the library computes as exactly +-1/2 (sign `sigma`) moved by
 * g * (sqrt(3)/2) * delta: floor(0.5 + scale * double(v)). */
static int32_t tie_value(int32_t sigma, int32_t g, int64_t delta, uint32_t scale) {
    int64_t moved = g > 0 ? delta : -delta;
    bool below = sigma > 0 ? moved < -TIE_BELOW_HALF : moved < -TIE_ABOVE_HALF;
    int32_t at_half = sigma > 0 ? (int32_t)((scale + 1u) / 2u) : -(int32_t)((scale - 1u) / 2u);
    return below ? at_half - 1 : at_half;
}

bool xtml_fft_twiddle(int32_t n, int32_t i, bool super, bool inverse, xtml_fft_twiddle_t *out) {
    uint32_t num = super ? 2u * (uint32_t)i + 2u + (uint32_t)n : (uint32_t)i;
    uint32_t den = super ? 4u * (uint32_t)n : (uint32_t)n;
    int32_t sgn = inverse ? 1 : -1;   /* the phase's sign */
    int64_t c, s;
    turn_q62(num, den, &c, &s);
    s = sgn < 0 ? -s : s;
    out->re16 = round_scaled(c, INT16_MAX);
    out->im16 = round_scaled(s, INT16_MAX);
    out->re32 = round_scaled(c, INT32_MAX);
    out->im32 = round_scaled(s, INT32_MAX);
    out->ref = q62_to_float(c);
    out->imf = q62_to_float(s);
    if (num == 0) {
        out->imf = inverse ? 0.0f : -0.0f;   /* sin(-0.0) */
        return true;
    }
    if ((12u * (uint64_t)num) % den == 0) {
        uint32_t k = (uint32_t)((12u * (uint64_t)num) / den);
        dbl_t phase = super ? phase_super(n, i) : phase_main(n, i);
        int64_t delta;
        if (!phase_delta(phase, k, &delta)) {
            return false;
        }
        /* cos(k pi/6 + d) = cos - sin(k pi/6) d; sin(k pi/6 + d) = sin + cos(k pi/6) d */
        if (k == 2 || k == 4 || k == 8 || k == 10) {
            int32_t sigma = (k == 2 || k == 10) ? 1 : -1;
            int32_t g = (k == 2 || k == 4) ? -1 : 1;
            out->re16 = tie_value(sigma, g, delta, INT16_MAX);
            out->re32 = tie_value(sigma, g, delta, INT32_MAX);
        } else if (k == 3 || k == 9) {
            out->ref = delta_to_float(k == 3 ? -delta : delta);
        }
        if (k == 1 || k == 5 || k == 7 || k == 11) {
            int32_t sigma = sgn * ((k == 1 || k == 5) ? 1 : -1);
            int32_t g = sgn * ((k == 1 || k == 11) ? 1 : -1);
            out->im16 = tie_value(sigma, g, delta, INT16_MAX);
            out->im32 = tie_value(sigma, g, delta, INT32_MAX);
        } else if (k == 6) {
            out->imf = delta_to_float(sgn < 0 ? delta : -delta);
        }
    }
    return true;
}

int32_t xtml_fft_factor(int32_t n, uint8_t *radix, int32_t max) {
    int32_t p = 4, count = 0, root = 0;
    if (n < 2) {
        return 0;
    }
    while ((int64_t)(root + 1) * (root + 1) <= n) {
        root++;
    }
    do {
        while (n % p != 0) {
            p = p == 4 ? 2 : p == 2 ? 3 : p + 2;
            if (p > root) {
                p = n;
            }
        }
        n /= p;
        if (p > 5 || count >= max) {
            return 0;
        }
        radix[count++] = (uint8_t)p;
    } while (n > 1);
    return count;
}

/* ---- the complex FFT ---- */

#define FFT_MAX_FACTORS 13

typedef struct fft_params {
    int32_t fft_length;
    int32_t n;          /* complex points: fft_length / 2 */
    int32_t rows;
    int32_t in_len;     /* Rfft: real input values per row (zero-padded to fft_length) */
    uint8_t type;       /* XTML_DTYPE_INT16, _INT32 or _FLOAT32 */
    uint8_t inverse;
    uint8_t nfactors;
    uint8_t radix[FFT_MAX_FACTORS];
} fft_params_t;
/* Followed by n main twiddles and n / 2 super twiddles, each (re, im) as
 * int32 (the int16 and int32 types) or float. */

typedef struct cpx {
    int32_t r, i;
} cpx_t;

typedef struct cpxf {
    float r, i;
} cpxf_t;

/* Arithmetic right shift of a signed 64-bit value (floor). */
static int64_t asr64(int64_t v, uint32_t s) {
    return v >= 0 ? (int64_t)((uint64_t)v >> s) : -(int64_t)((uint64_t)(-(v + 1)) >> s) - 1;
}

/* v wrapped to the type: 16 bits for b = 15, 32 bits for b = 31. */
static int32_t wrap(int64_t v, uint32_t b) {
    if (b == 15) {
        return (int32_t)(((uint32_t)(uint64_t)v & 0xFFFFu) ^ 0x8000u) - 0x8000;
    }
    return (int32_t)((int64_t)(((uint32_t)(uint64_t)v) ^ 0x80000000u) - (int64_t)0x80000000u);
}

/* The library's rounded product scaling: (x + 2^(b-1)) >> b, wrapped. */
static int32_t sround(int64_t x, uint32_t b) {
    return wrap(asr64(x + ((int64_t)1 << (b - 1)), b), b);
}

static cpx_t fix_div(cpx_t c, int32_t p, uint32_t b) {
    int64_t k = (int64_t)((((uint32_t)1 << b) - 1u) / (uint32_t)p);
    cpx_t r;
    r.r = sround(c.r * k, b);
    r.i = sround(c.i * k, b);
    return r;
}

static cpx_t fix_mul(cpx_t a, cpx_t w, uint32_t b) {
    cpx_t r;
    r.r = sround((int64_t)a.r * w.r - (int64_t)a.i * w.i, b);
    r.i = sround((int64_t)a.r * w.i + (int64_t)a.i * w.r, b);
    return r;
}

static cpx_t fix_add(cpx_t a, cpx_t c, uint32_t b) {
    cpx_t r;
    r.r = wrap((int64_t)a.r + c.r, b);
    r.i = wrap((int64_t)a.i + c.i, b);
    return r;
}

static cpx_t fix_sub(cpx_t a, cpx_t c, uint32_t b) {
    cpx_t r;
    r.r = wrap((int64_t)a.r - c.r, b);
    r.i = wrap((int64_t)a.i - c.i, b);
    return r;
}

/* Half of a sum: of the int sum for int16, of the wrapped sum for int32. */
static int32_t fix_half(int64_t sum, uint32_t b) {
    return b == 15 ? wrap(asr64(sum, 1), b) : (int32_t)asr64(wrap(sum, b), 1);
}

static int32_t fix_smul(int32_t a, int32_t w, uint32_t b) {
    return sround((int64_t)a * w, b);
}

/* One butterfly stage over m groups of p points at F, F + m, ... */
static void fix_stage(cpx_t *f, const cpx_t *tw, int32_t fs, int32_t m, int32_t p, bool inverse, uint32_t b) {
    int32_t k;
    if (p == 2) {
        for (k = 0; k < m; k++) {
            cpx_t a = fix_div(f[k], 2, b), c = fix_div(f[k + m], 2, b);
            cpx_t t = fix_mul(c, tw[k * fs], b);
            f[k + m] = fix_sub(a, t, b);
            f[k] = fix_add(a, t, b);
        }
    } else if (p == 3) {
        cpx_t epi3 = tw[fs * m];
        for (k = 0; k < m; k++) {
            cpx_t a = fix_div(f[k], 3, b);
            cpx_t s1 = fix_mul(fix_div(f[k + m], 3, b), tw[k * fs], b);
            cpx_t s2 = fix_mul(fix_div(f[k + 2 * m], 3, b), tw[2 * k * fs], b);
            cpx_t s3 = fix_add(s1, s2, b), s0 = fix_sub(s1, s2, b), fm;
            fm.r = wrap((int64_t)a.r - asr64(s3.r, 1), b);
            fm.i = wrap((int64_t)a.i - asr64(s3.i, 1), b);
            s0.r = fix_smul(s0.r, epi3.i, b);
            s0.i = fix_smul(s0.i, epi3.i, b);
            f[k] = fix_add(a, s3, b);
            f[k + 2 * m].r = wrap((int64_t)fm.r + s0.i, b);
            f[k + 2 * m].i = wrap((int64_t)fm.i - s0.r, b);
            f[k + m].r = wrap((int64_t)fm.r - s0.i, b);
            f[k + m].i = wrap((int64_t)fm.i + s0.r, b);
        }
    } else if (p == 4) {
        for (k = 0; k < m; k++) {
            cpx_t a = fix_div(f[k], 4, b);
            cpx_t s0 = fix_mul(fix_div(f[k + m], 4, b), tw[k * fs], b);
            cpx_t s1 = fix_mul(fix_div(f[k + 2 * m], 4, b), tw[2 * k * fs], b);
            cpx_t s2 = fix_mul(fix_div(f[k + 3 * m], 4, b), tw[3 * k * fs], b);
            cpx_t s5 = fix_sub(a, s1, b), s3, s4;
            a = fix_add(a, s1, b);
            s3 = fix_add(s0, s2, b);
            s4 = fix_sub(s0, s2, b);
            f[k + 2 * m] = fix_sub(a, s3, b);
            f[k] = fix_add(a, s3, b);
            if (inverse) {
                f[k + m].r = wrap((int64_t)s5.r - s4.i, b);
                f[k + m].i = wrap((int64_t)s5.i + s4.r, b);
                f[k + 3 * m].r = wrap((int64_t)s5.r + s4.i, b);
                f[k + 3 * m].i = wrap((int64_t)s5.i - s4.r, b);
            } else {
                f[k + m].r = wrap((int64_t)s5.r + s4.i, b);
                f[k + m].i = wrap((int64_t)s5.i - s4.r, b);
                f[k + 3 * m].r = wrap((int64_t)s5.r - s4.i, b);
                f[k + 3 * m].i = wrap((int64_t)s5.i + s4.r, b);
            }
        }
    } else {
        cpx_t ya = tw[fs * m], yb = tw[2 * fs * m];
        for (k = 0; k < m; k++) {
            cpx_t s0 = fix_div(f[k], 5, b);
            cpx_t s1 = fix_mul(fix_div(f[k + m], 5, b), tw[k * fs], b);
            cpx_t s2 = fix_mul(fix_div(f[k + 2 * m], 5, b), tw[2 * k * fs], b);
            cpx_t s3 = fix_mul(fix_div(f[k + 3 * m], 5, b), tw[3 * k * fs], b);
            cpx_t s4 = fix_mul(fix_div(f[k + 4 * m], 5, b), tw[4 * k * fs], b);
            cpx_t s7 = fix_add(s1, s4, b), s10 = fix_sub(s1, s4, b);
            cpx_t s8 = fix_add(s2, s3, b), s9 = fix_sub(s2, s3, b);
            cpx_t s5, s6, s11, s12;
            f[k].r = wrap((int64_t)s0.r + s7.r + s8.r, b);
            f[k].i = wrap((int64_t)s0.i + s7.i + s8.i, b);
            s5.r = wrap((int64_t)s0.r + fix_smul(s7.r, ya.r, b) + fix_smul(s8.r, yb.r, b), b);
            s5.i = wrap((int64_t)s0.i + fix_smul(s7.i, ya.r, b) + fix_smul(s8.i, yb.r, b), b);
            s6.r = wrap((int64_t)fix_smul(s10.i, ya.i, b) + fix_smul(s9.i, yb.i, b), b);
            s6.i = wrap(-(int64_t)fix_smul(s10.r, ya.i, b) - fix_smul(s9.r, yb.i, b), b);
            f[k + m] = fix_sub(s5, s6, b);
            f[k + 4 * m] = fix_add(s5, s6, b);
            s11.r = wrap((int64_t)s0.r + fix_smul(s7.r, yb.r, b) + fix_smul(s8.r, ya.r, b), b);
            s11.i = wrap((int64_t)s0.i + fix_smul(s7.i, yb.r, b) + fix_smul(s8.i, ya.r, b), b);
            s12.r = wrap(-(int64_t)fix_smul(s10.i, yb.i, b) + fix_smul(s9.i, ya.i, b), b);
            s12.i = wrap((int64_t)fix_smul(s10.r, yb.i, b) - fix_smul(s9.r, ya.i, b), b);
            f[k + 2 * m] = fix_add(s11, s12, b);
            f[k + 3 * m] = fix_sub(s11, s12, b);
        }
    }
}

/* Float butterflies: each expression in float, in the library's order. */
static cpxf_t flt_mul(cpxf_t a, cpxf_t w) {
    cpxf_t r;
    r.r = a.r * w.r - a.i * w.i;
    r.i = a.r * w.i + a.i * w.r;
    return r;
}

static cpxf_t flt_add(cpxf_t a, cpxf_t c) {
    cpxf_t r;
    r.r = a.r + c.r;
    r.i = a.i + c.i;
    return r;
}

static cpxf_t flt_sub(cpxf_t a, cpxf_t c) {
    cpxf_t r;
    r.r = a.r - c.r;
    r.i = a.i - c.i;
    return r;
}

static void flt_stage(cpxf_t *f, const cpxf_t *tw, int32_t fs, int32_t m, int32_t p, bool inverse) {
    int32_t k;
    if (p == 2) {
        for (k = 0; k < m; k++) {
            cpxf_t t = flt_mul(f[k + m], tw[k * fs]);
            f[k + m] = flt_sub(f[k], t);
            f[k] = flt_add(f[k], t);
        }
    } else if (p == 3) {
        float e = tw[fs * m].i;
        for (k = 0; k < m; k++) {
            cpxf_t s1 = flt_mul(f[k + m], tw[k * fs]), s2 = flt_mul(f[k + 2 * m], tw[2 * k * fs]);
            cpxf_t s3 = flt_add(s1, s2), s0 = flt_sub(s1, s2), fm;
            fm.r = f[k].r - s3.r * 0.5f;
            fm.i = f[k].i - s3.i * 0.5f;
            s0.r *= e;
            s0.i *= e;
            f[k] = flt_add(f[k], s3);
            f[k + 2 * m].r = fm.r + s0.i;
            f[k + 2 * m].i = fm.i - s0.r;
            f[k + m].r = fm.r - s0.i;
            f[k + m].i = fm.i + s0.r;
        }
    } else if (p == 4) {
        for (k = 0; k < m; k++) {
            cpxf_t s0 = flt_mul(f[k + m], tw[k * fs]);
            cpxf_t s1 = flt_mul(f[k + 2 * m], tw[2 * k * fs]);
            cpxf_t s2 = flt_mul(f[k + 3 * m], tw[3 * k * fs]);
            cpxf_t s5 = flt_sub(f[k], s1), s3, s4, a = flt_add(f[k], s1);
            s3 = flt_add(s0, s2);
            s4 = flt_sub(s0, s2);
            f[k + 2 * m] = flt_sub(a, s3);
            f[k] = flt_add(a, s3);
            if (inverse) {
                f[k + m].r = s5.r - s4.i;
                f[k + m].i = s5.i + s4.r;
                f[k + 3 * m].r = s5.r + s4.i;
                f[k + 3 * m].i = s5.i - s4.r;
            } else {
                f[k + m].r = s5.r + s4.i;
                f[k + m].i = s5.i - s4.r;
                f[k + 3 * m].r = s5.r - s4.i;
                f[k + 3 * m].i = s5.i + s4.r;
            }
        }
    } else {
        cpxf_t ya = tw[fs * m], yb = tw[2 * fs * m];
        for (k = 0; k < m; k++) {
            cpxf_t s0 = f[k];
            cpxf_t s1 = flt_mul(f[k + m], tw[k * fs]), s2 = flt_mul(f[k + 2 * m], tw[2 * k * fs]);
            cpxf_t s3 = flt_mul(f[k + 3 * m], tw[3 * k * fs]), s4 = flt_mul(f[k + 4 * m], tw[4 * k * fs]);
            cpxf_t s7 = flt_add(s1, s4), s10 = flt_sub(s1, s4), s8 = flt_add(s2, s3), s9 = flt_sub(s2, s3);
            cpxf_t s5, s6, s11, s12;
            f[k].r = f[k].r + (s7.r + s8.r);
            f[k].i = f[k].i + (s7.i + s8.i);
            s5.r = s0.r + s7.r * ya.r + s8.r * yb.r;
            s5.i = s0.i + s7.i * ya.r + s8.i * yb.r;
            s6.r = s10.i * ya.i + s9.i * yb.i;
            s6.i = -(s10.r * ya.i) - s9.r * yb.i;
            f[k + m] = flt_sub(s5, s6);
            f[k + 4 * m] = flt_add(s5, s6);
            s11.r = s0.r + s7.r * yb.r + s8.r * ya.r;
            s11.i = s0.i + s7.i * yb.r + s8.i * ya.r;
            s12.r = -(s10.i * yb.i) + s9.i * ya.i;
            s12.i = s10.r * yb.i - s9.r * ya.i;
            f[k + 2 * m] = flt_add(s11, s12);
            f[k + 3 * m] = flt_sub(s11, s12);
        }
    }
}

/* The decimation: out[sum j_s m_s] = in[sum j_s stride_s] over the digits
 * j_s < radix_s, where stride_s is the product of the radixes before s and
 * m_s = n / (stride_s radix_s). Copies 8-byte elements. */
static void fft_gather(const fft_params_t *prm, const uint8_t *in, uint8_t *out) {
    int32_t digit[FFT_MAX_FACTORS], stride[FFT_MAX_FACTORS];
    int32_t s, idx, at = 0, nf = prm->nfactors;
    for (s = 0; s < nf; s++) {
        digit[s] = 0;
        stride[s] = s == 0 ? 1 : stride[s - 1] * prm->radix[s - 1];
    }
    for (idx = 0; idx < prm->n; idx++) {
        memcpy(out + 8 * idx, in + 8 * at, 8);
        for (s = nf - 1; s >= 0; s--) {
            at += stride[s];
            if (++digit[s] < prm->radix[s]) {
                break;
            }
            at -= stride[s] * prm->radix[s];
            digit[s] = 0;
        }
    }
}

/* The complex FFT of in (n points) into out; the stages from the last
 * factor to the first, each over the blocks the recursion would give it. */
static void fft_run(const fft_params_t *prm, const void *tw, const void *in, void *out) {
    int32_t s, stride = prm->n, base;
    bool inverse = prm->inverse != 0;
    fft_gather(prm, (const uint8_t *)in, (uint8_t *)out);
    for (s = prm->nfactors - 1; s >= 0; s--) {
        int32_t p = prm->radix[s], fs, m;
        stride /= p;                       /* product of the radixes before s */
        fs = stride;
        m = prm->n / (fs * p);
        for (base = 0; base < prm->n; base += p * m) {
            if (prm->type == XTML_DTYPE_FLOAT32) {
                flt_stage((cpxf_t *)out + base, (const cpxf_t *)tw, fs, m, p, inverse);
            } else {
                fix_stage((cpx_t *)out + base, (const cpx_t *)tw, fs, m, p, inverse,
                          prm->type == XTML_DTYPE_INT16 ? 15u : 31u);
            }
        }
    }
}

/* ---- SignalRfft and SignalIrfft ---- */

static int32_t load_fix(const void *p, int32_t i, uint8_t type) {
    return type == XTML_DTYPE_INT16 ? ((const int16_t *)p)[i] : ((const int32_t *)p)[i];
}

/* v is already wrapped to the type. */
static void store_fix(void *p, int32_t i, int32_t v, uint8_t type) {
    if (type == XTML_DTYPE_INT16) {
        ((int16_t *)p)[i] = (int16_t)v;
    } else {
        ((int32_t *)p)[i] = v;
    }
}

/* The real FFT's split of the n-point FFT z of the (even, odd) pairs into
 * n + 1 bins, written as (re, im) values to out. */
static void rfft_split_fix(const fft_params_t *prm, const cpx_t *z, const cpx_t *sup, void *out) {
    uint32_t b = prm->type == XTML_DTYPE_INT16 ? 15u : 31u;
    int32_t n = prm->n, k;
    cpx_t dc = fix_div(z[0], 2, b);
    store_fix(out, 0, wrap((int64_t)dc.r + dc.i, b), prm->type);
    store_fix(out, 1, 0, prm->type);
    store_fix(out, 2 * n, wrap((int64_t)dc.r - dc.i, b), prm->type);
    store_fix(out, 2 * n + 1, 0, prm->type);
    for (k = 1; k <= n / 2; k++) {
        cpx_t fpk = z[k], fpnk, f1k, f2k, t;
        fpnk.r = z[n - k].r;
        fpnk.i = wrap(-(int64_t)z[n - k].i, b);
        fpk = fix_div(fpk, 2, b);
        fpnk = fix_div(fpnk, 2, b);
        f1k = fix_add(fpk, fpnk, b);
        f2k = fix_sub(fpk, fpnk, b);
        t = fix_mul(f2k, sup[k - 1], b);
        store_fix(out, 2 * k, fix_half((int64_t)f1k.r + t.r, b), prm->type);
        store_fix(out, 2 * k + 1, fix_half((int64_t)f1k.i + t.i, b), prm->type);
        store_fix(out, 2 * (n - k), fix_half((int64_t)f1k.r - t.r, b), prm->type);
        store_fix(out, 2 * (n - k) + 1, fix_half((int64_t)t.i - f1k.i, b), prm->type);
    }
}

static void rfft_split_flt(const fft_params_t *prm, const cpxf_t *z, const cpxf_t *sup, float *out) {
    int32_t n = prm->n, k;
    out[0] = z[0].r + z[0].i;
    out[1] = 0.0f;
    out[2 * n] = z[0].r - z[0].i;
    out[2 * n + 1] = 0.0f;
    for (k = 1; k <= n / 2; k++) {
        cpxf_t fpk = z[k], fpnk, f1k, f2k, t;
        fpnk.r = z[n - k].r;
        fpnk.i = -z[n - k].i;
        f1k = flt_add(fpk, fpnk);
        f2k = flt_sub(fpk, fpnk);
        t = flt_mul(f2k, sup[k - 1]);
        out[2 * k] = (f1k.r + t.r) * 0.5f;
        out[2 * k + 1] = (f1k.i + t.i) * 0.5f;
        out[2 * (n - k)] = (f1k.r - t.r) * 0.5f;
        out[2 * (n - k) + 1] = (t.i - f1k.i) * 0.5f;
    }
}

/* The inverse split: n + 1 bins (re, im values at in) into the n-point
 * complex input z of the inverse FFT. */
static void irfft_join_fix(const fft_params_t *prm, const void *in, const cpx_t *sup, cpx_t *z) {
    uint32_t b = prm->type == XTML_DTYPE_INT16 ? 15u : 31u;
    int32_t n = prm->n, k;
    int32_t f0 = load_fix(in, 0, prm->type), fn = load_fix(in, 2 * n, prm->type);
    z[0].r = wrap((int64_t)f0 + fn, b);
    z[0].i = wrap((int64_t)f0 - fn, b);
    z[0] = fix_div(z[0], 2, b);
    for (k = 1; k <= n / 2; k++) {
        cpx_t fk, fnkc, fek, t, fok;
        fk.r = load_fix(in, 2 * k, prm->type);
        fk.i = load_fix(in, 2 * k + 1, prm->type);
        fnkc.r = load_fix(in, 2 * (n - k), prm->type);
        fnkc.i = wrap(-(int64_t)load_fix(in, 2 * (n - k) + 1, prm->type), b);
        fk = fix_div(fk, 2, b);
        fnkc = fix_div(fnkc, 2, b);
        fek = fix_add(fk, fnkc, b);
        t = fix_sub(fk, fnkc, b);
        fok = fix_mul(t, sup[k - 1], b);
        z[k] = fix_add(fek, fok, b);
        z[n - k] = fix_sub(fek, fok, b);
        z[n - k].i = wrap(-(int64_t)z[n - k].i, b);
    }
}

static void irfft_join_flt(const fft_params_t *prm, const float *in, const cpxf_t *sup, cpxf_t *z) {
    int32_t n = prm->n, k;
    z[0].r = in[0] + in[2 * n];
    z[0].i = in[0] - in[2 * n];
    for (k = 1; k <= n / 2; k++) {
        cpxf_t fk, fnkc, fek, t, fok;
        fk.r = in[2 * k];
        fk.i = in[2 * k + 1];
        fnkc.r = in[2 * (n - k)];
        fnkc.i = -in[2 * (n - k) + 1];
        fek = flt_add(fk, fnkc);
        t = flt_sub(fk, fnkc);
        fok = flt_mul(t, sup[k - 1]);
        z[k] = flt_add(fek, fok);
        z[n - k] = flt_sub(fek, fok);
        z[n - k].i *= -1.0f;
    }
}

static size_t elem_bytes(uint8_t type) {
    return type == XTML_DTYPE_INT16 ? 2u : 4u;
}

static xtml_status_t fft_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const fft_params_t *prm = (const fft_params_t *)node->params;
    const uint8_t *tw = (const uint8_t *)(prm + 1);
    const uint8_t *sup = tw + 8 * (size_t)prm->n;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    uint8_t *a = (uint8_t *)node->scratch, *z = a + 8 * (size_t)prm->n;
    size_t eb = elem_bytes(prm->type);
    size_t bins = 2 * (size_t)prm->n + 2;   /* values per spectrum row */
    size_t len = (size_t)prm->fft_length;
    int32_t row, i;
    for (row = 0; row < prm->rows; row++) {
        if (prm->inverse == 0) {
            const uint8_t *x = in + (size_t)row * (size_t)prm->in_len * eb;
            void *y = out + (size_t)row * bins * eb;
            if (prm->type == XTML_DTYPE_FLOAT32) {
                float *v = (float *)a;
                memcpy(v, x, (size_t)prm->in_len * 4u);
                for (i = prm->in_len; i < prm->fft_length; i++) {
                    v[i] = 0.0f;
                }
                fft_run(prm, tw, a, z);
                rfft_split_flt(prm, (const cpxf_t *)z, (const cpxf_t *)sup, (float *)y);
            } else {
                int32_t *v = (int32_t *)a;
                for (i = 0; i < prm->fft_length; i++) {
                    v[i] = i < prm->in_len ? load_fix(x, i, prm->type) : 0;
                }
                fft_run(prm, tw, a, z);
                rfft_split_fix(prm, (const cpx_t *)z, (const cpx_t *)sup, y);
            }
        } else {
            const uint8_t *x = in + (size_t)row * bins * eb;
            uint8_t *y = out + (size_t)row * len * eb;
            if (prm->type == XTML_DTYPE_FLOAT32) {
                float *r = (float *)y;
                const float *zf = (const float *)z;
                irfft_join_flt(prm, (const float *)x, (const cpxf_t *)sup, (cpxf_t *)a);
                fft_run(prm, tw, a, z);
                for (i = 0; i < prm->fft_length; i++) {
                    r[i] = zf[i] / (float)prm->fft_length;
                }
            } else {
                const int32_t *zi = (const int32_t *)z;
                irfft_join_fix(prm, x, (const cpx_t *)sup, (cpx_t *)a);
                fft_run(prm, tw, a, z);
                for (i = 0; i < prm->fft_length; i++) {
                    store_fix(y, i, zi[i], prm->type);
                }
            }
        }
    }
    return XTML_STATUS_OK;
}

static const char *const fft_keys[] = { "T", "fft_length" };

#define TRY_FFT(expr)                             \
    do {                                          \
        xtml_status_t st_ = (expr);               \
        if (st_ != XTML_STATUS_OK) return st_;    \
    } while (0)

static xtml_status_t fft_prepare(xtml_prep_t *p, bool inverse) {
    xtml_flex_map_t m;
    int64_t t_opt = 0, length = 0;
    int32_t nf, rows, in_last, out_last, i, n;
    uint8_t radix[FFT_MAX_FACTORS];
    xtml_dtype_t type;
    xtml_tinfo_t in, out;
    fft_params_t *prm;
    if (xtml_prep_n_inputs(p) != 1 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected 1 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    TRY_FFT(xtml_signal_options(p, &m, fft_keys, 2));
    TRY_FFT(xtml_signal_int64(p, &m, "T", INT32_MIN, INT32_MAX, &t_opt));
    if (t_opt != XTML_DTYPE_INT16 && t_opt != XTML_DTYPE_INT32 && t_opt != XTML_DTYPE_FLOAT32) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "custom option 'T' is %" PRId32
                              ": the library has float32 (0), int32 (2) and int16 (7)", (int32_t)t_opt);
    }
    type = (xtml_dtype_t)t_opt;
    TRY_FFT(xtml_signal_int64(p, &m, "fft_length", 1, INT32_MAX, &length));
    n = (int32_t)(length / 2);
    nf = length % 2 == 0 && length <= XTML_FFT_MAX_LENGTH ? xtml_fft_factor(n, radix, FFT_MAX_FACTORS) : 0;
    if (nf == 0) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "fft_length %" PRId32 ": we run even lengths up to %d whose half (at least 2) has no prime"
                              " factor above 5",
                              (int32_t)length, XTML_FFT_MAX_LENGTH);
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    TRY_FFT(xtml_prep_expect_type(p, &in, "input", type));
    TRY_FFT(xtml_prep_expect_type(p, &out, "output", type));
    if (in.ndim < 1 || in.ndim != out.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input '%s' (rank %" PRId32 ") and output '%s' (rank %"
                              PRId32 ") need the same rank, at least 1", in.name, in.ndim, out.name, out.ndim);
    }
    for (i = 0; i + 1 < in.ndim; i++) {
        if (in.dims[i] != out.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input '%s' and output '%s' differ in dimension %"
                                  PRId32, in.name, out.name, i);
        }
    }
    in_last = in.dims[in.ndim - 1];
    out_last = out.dims[out.ndim - 1];
    if (inverse ? (in_last != length + 2 || out_last != length)
                : (in_last < 1 || in_last > length || out_last != length + 2)) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "last dimensions %" PRId32 " (input) and %" PRId32 " (output) do not fit fft_length %"
                              PRId32 "%s", in_last, out_last, (int32_t)length,
                              inverse ? ": expected fft_length + 2 and fft_length"
                                      : ": expected 1..fft_length and fft_length + 2");
    }
    rows = in_last == 0 ? 0 : in.count / in_last;
    prm = (fft_params_t *)XTML_PREP_PERSIST(p, fft_params_t, 12 * (size_t)n);
    xtml_prep_scratch(p, 16 * (size_t)n);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    prm->fft_length = (int32_t)length;
    prm->n = n;
    prm->rows = rows;
    prm->in_len = in_last;
    prm->type = (uint8_t)type;
    prm->inverse = inverse ? 1u : 0u;
    prm->nfactors = (uint8_t)nf;
    memcpy(prm->radix, radix, (size_t)nf);
    for (i = 0; i < n + n / 2; i++) {
        xtml_fft_twiddle_t t;
        uint8_t *slot = (uint8_t *)(prm + 1) + 8 * (size_t)i;
        if (!xtml_fft_twiddle(n, i < n ? i : i - n, i >= n, inverse, &t)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "fft_length %" PRId32 ": twiddle %" PRId32
                                  " out of the derivation's range", (int32_t)length, i);
        }
        if (type == XTML_DTYPE_FLOAT32) {
            memcpy(slot, &t.ref, 4);
            memcpy(slot + 4, &t.imf, 4);
        } else if (type == XTML_DTYPE_INT16) {
            memcpy(slot, &t.re16, 4);
            memcpy(slot + 4, &t.im16, 4);
        } else {
            memcpy(slot, &t.re32, 4);
            memcpy(slot + 4, &t.im32, 4);
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t rfft_prepare(xtml_prep_t *p) {
    return fft_prepare(p, false);
}

static xtml_status_t irfft_prepare(xtml_prep_t *p) {
    return fft_prepare(p, true);
}

const xtml_kernel_t xtml_kernel_signal_rfft = { "SignalRfft", rfft_prepare, fft_eval };
const xtml_kernel_t xtml_kernel_signal_irfft = { "SignalIrfft", irfft_prepare, fft_eval };
