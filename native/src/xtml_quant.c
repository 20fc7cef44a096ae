/*
 * xtml_quant.c - TensorFlow Lite's fixed-point requantization, reproduced exactly.
 *
 * A real multiplier M is stored as a Q31 integer q in [2^30, 2^31) and a
 * power-of-two exponent, M = q * 2^(shift - 31). Applying it is the gemmlowp
 * pair: a saturating rounding doubling high multiply, then a rounding
 * (half away from zero) arithmetic right shift. Overflowing left shifts wrap,
 * as they do in TFLM on two's-complement machines; we write them unsigned.
 */
#include <float.h>
#include <math.h>

#include "xtml_internal.h"

void xtml_quantize_multiplier(double real, int32_t *multiplier, int *shift) {
    double frac;
    int64_t q;
    int exp = 0;
    if (real == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    if (!(real == real) || real > 1.0e300 || real < -1.0e300) {
        /* NaN or infinite (from an absurd scale ratio): no valid multiplier.
         * The shift is far past what any kernel accepts (> 30), so the
         * caller's range check refuses the model. */
        *multiplier = 0;
        *shift = XTML_SHIFT_INVALID;
        return;
    }
    frac = frexp(real, &exp);
    /* TfLiteRound is std::round: halves away from zero. */
    q = (int64_t)round(frac * 2147483648.0);
    if (q == ((int64_t)1 << 31)) {
        q /= 2;
        ++exp;
    }
    if (exp < -31) {
        exp = 0;
        q = 0;
    }
    *multiplier = (int32_t)q;
    *shift = exp;
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
    int64_t r = x * (int64_t)reduced + ((int64_t)1 << (total - 1));
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
