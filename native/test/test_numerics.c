/*
 * test_numerics.c - the core's integer-only numerics against double oracles.
 *
 *   test_numerics [reference-dir] [random-count]
 *
 * 1. Quantized multipliers (xtml_quant.c): xtml_quantize_f32, _f32_div and
 *    _f32_mul_div must give exactly the multiplier and shift of TFLM's
 *    QuantizeMultiplier() applied to the same expression in double (frexp,
 *    round, its 2^31 and < -31 special cases), here written out with
 *    <math.h>. Inputs: every scale of every reference model combined the
 *    way the kernels combine them (input x weight / output per channel,
 *    input / output, ...), seeded random floats over the whole range
 *    (subnormals, extremes, random mantissas and exponents), and quotients
 *    constructed to land on or next to the cases where the double's rounding
 *    changes the result (a remainder within 2^-23 of one half).
 *    Also the int8 SOFTMAX multiplier, the int16 SOFTMAX one (and the points
 *    its exp table samples) and the bias scale check.
 * 2. xtml_exp_f32 and xtml_tanh_f32 (xtml_fmath.c) against exp() and tanh()
 *    in double rounded to float: at most 1 ulp apart everywhere (checked on
 *    a stride through all floats and on random ones), and a digest of the
 *    results over that stride, which must be the same on every build.
 * 3. The detail formatter's float text against printf("%g").
 *
 * Output: "ok N - ..." / "not ok N - ..." lines, then "N passed, M failed";
 * the exit status is non-zero on any failure. Deterministic (fixed seeds).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtml_internal.h"
#include "xtml_signal_fft.h"

static int passed, failed;

static void result(int ok, const char *what, const char *got) {
    if (ok) {
        passed++;
        printf("ok %d - %s\n", passed + failed, what);
    } else {
        failed++;
        printf("not ok %d - %s: %s\n", passed + failed, what, got);
    }
}

/* ---- random numbers (xorshift64*) ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd64(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint32_t rnd32(void) {
    return (uint32_t)(rnd64() >> 32);
}

static float bits_f32(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t f32_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* A positive finite float, exponent uniform over [lo, hi] (biased, 0 =
 * subnormal), random mantissa; sometimes an extreme mantissa. */
static float rnd_positive(int lo, int hi) {
    uint32_t e = (uint32_t)lo + rnd32() % (uint32_t)(hi - lo + 1);
    uint32_t m = rnd32() & 0x7FFFFFu;
    switch (rnd32() % 16) {
    case 0: m = 0; break;
    case 1: m = 0x7FFFFFu; break;
    case 2: m = 1; break;
    default: break;
    }
    if (e == 0 && m == 0) {
        m = 1;
    }
    return bits_f32((e << 23) | m);
}

/* Any float: mostly positive finite, sometimes zero, negative, inf or NaN. */
static float rnd_any(void) {
    switch (rnd32() % 32) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return bits_f32(0x7F800000u);
    case 3: return bits_f32(0xFF800000u);
    case 4: return bits_f32(0x7FC00000u | (rnd32() & 0x3FFFFFu));
    case 5: case 6: case 7: return -rnd_positive(0, 254);
    default: return rnd_positive(0, 254);
    }
}

/* ---- the oracle: TFLM's QuantizeMultiplier in double ---- */

static void oracle_quantize(double real, int32_t *multiplier, int *shift) {
    double q;
    int64_t fixed;
    if (real == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    if (isnan(real) || isinf(real)) {
        *multiplier = 0;
        *shift = XTML_SHIFT_INVALID;
        return;
    }
    q = frexp(real, shift);
    fixed = (int64_t)round(q * (double)(1ll << 31));
    if (fixed == (1ll << 31)) {
        fixed /= 2;
        ++*shift;
    }
    if (*shift < -31) {
        *shift = 0;
        fixed = 0;
    }
    *multiplier = (int32_t)fixed;
}

/* volatile: every step rounded to double, as on SSE2 (host32 uses SSE too). */
static double oracle_mul_div(float a, float b, float c) {
    volatile double product = (double)a * (double)b;
    volatile double quotient = product / (double)c;
    return quotient;
}

static double oracle_div(float a, float b) {
    volatile double quotient = (double)a / (double)b;
    return quotient;
}

typedef struct tally {
    const char *what;
    long count;
    long bad;
    char first[200];
} tally_t;

static void tally_check(tally_t *t, int32_t m, int s, int32_t wm, int ws, const char *inputs) {
    t->count++;
    if (m != wm || s != ws) {
        if (t->bad++ == 0) {
            snprintf(t->first, sizeof t->first, "%s: got %ld shift %d, double gives %ld shift %d", inputs,
                     (long)m, s, (long)wm, ws);
        }
    }
}

static void tally_report(tally_t *t) {
    char what[160];
    char got[260];
    snprintf(what, sizeof what, "%s (%ld cases)", t->what, t->count);
    snprintf(got, sizeof got, "%ld differ, first %s", t->bad, t->first);
    result(t->bad == 0 && t->count > 0, what, got);
}

static void check_mul_div(tally_t *t, float a, float b, float c) {
    int32_t m, wm;
    int s, ws;
    char inputs[120];
    xtml_quantize_f32_mul_div(a, b, c, &m, &s);
    oracle_quantize(oracle_mul_div(a, b, c), &wm, &ws);
    snprintf(inputs, sizeof inputs, "%a * %a / %a", (double)a, (double)b, (double)c);
    tally_check(t, m, s, wm, ws, inputs);
    /* the exponent-only range check agrees with the shift, on both sides */
    {
        int limit = ws > 0 ? ws : 0;
        bool at = xtml_quantize_shift_at_most(a, b, c, limit);
        bool below = limit > 0 && xtml_quantize_shift_at_most(a, b, c, limit - 1);
        if (!at || below) {
            snprintf(inputs, sizeof inputs, "shift_at_most(%a * %a / %a, %d): %d, (%d): %d", (double)a, (double)b,
                     (double)c, limit, (int)at, limit - 1, (int)below);
            tally_check(t, 0, 0, 0, 1, inputs);
        }
    }
}

static void check_div(tally_t *t, float a, float b) {
    int32_t m, wm;
    int s, ws;
    char inputs[120];
    xtml_quantize_f32_div(a, b, &m, &s);
    oracle_quantize(oracle_div(a, b), &wm, &ws);
    snprintf(inputs, sizeof inputs, "%a / %a", (double)a, (double)b);
    tally_check(t, m, s, wm, ws, inputs);
}

static void check_f32(tally_t *t, float a) {
    int32_t m, wm;
    int s, ws;
    char inputs[60];
    xtml_quantize_f32(a, &m, &s);
    oracle_quantize((double)a, &wm, &ws);
    snprintf(inputs, sizeof inputs, "%a", (double)a);
    tally_check(t, m, s, wm, ws, inputs);
}

/* ---- scales of the reference models ---- */

#define MAX_SCALES 200000

static float *scales;
static size_t n_scales;

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long size;
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (uint8_t *)malloc((size_t)size + 16);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static void add_scale(float s) {
    if (n_scales < MAX_SCALES) {
        scales[n_scales++] = s;
    }
}

/*
 * Every operator of subgraph 0: its tensors' scales combined as the kernels
 * combine them: for each output channel input x weight / output (CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, MUL), and input / output for every
 * pair of an input and the output (ADD, SUB, QUANTIZE, MEAN, ...). All
 * scales also go into the pool the random combinations draw from.
 */
static void model_scales(const char *path, tally_t *per_channel, tally_t *ratios) {
    size_t len;
    uint8_t *buf = read_file(path, &len);
    xtml_fb_table_t root, sg;
    xtml_fb_vec_t subgraphs, tensors, ops;
    uint32_t i, j, k;
    if (buf == NULL) {
        return;
    }
    if (xtml_model_verify(buf, len, NULL) != XTML_STATUS_OK) {
        free(buf);
        return;
    }
    root = xtml_fb_root(buf);
    subgraphs = xtml_fb_vec(&root, XTML_MODEL_SUBGRAPHS);
    sg = xtml_fb_vec_table(&root, subgraphs, 0);
    tensors = xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS);
    ops = xtml_fb_vec(&sg, XTML_SUBGRAPH_OPERATORS);
    for (i = 0; i < tensors.len; i++) {
        xtml_fb_table_t t = xtml_fb_vec_table(&sg, tensors, i);
        xtml_fb_table_t q = xtml_fb_table(&t, XTML_TENSOR_QUANT);
        xtml_fb_vec_t sc = xtml_fb_vec(&q, XTML_QUANT_SCALE);
        for (j = 0; q.pos != 0 && j < sc.len; j++) {
            add_scale(xtml_ld_f32(sc.data + 4 * j));
        }
    }
    for (i = 0; i < ops.len; i++) {
        xtml_fb_table_t op = xtml_fb_vec_table(&sg, ops, i);
        xtml_fb_vec_t ins = xtml_fb_vec(&op, XTML_OP_INPUTS);
        xtml_fb_vec_t outs = xtml_fb_vec(&op, XTML_OP_OUTPUTS);
        xtml_fb_vec_t s[3];
        float out_scale, in_scale;
        int32_t ti;
        if (outs.len < 1 || ins.len < 1) {
            continue;
        }
        for (k = 0; k < 3; k++) {
            s[k].len = 0;
            s[k].data = NULL;
            ti = k < 2 ? (k < ins.len ? xtml_ld_i32(ins.data + 4 * k) : -1) : xtml_ld_i32(outs.data);
            if (ti >= 0) {
                xtml_fb_table_t t = xtml_fb_vec_table(&sg, tensors, (uint32_t)ti);
                xtml_fb_table_t q = xtml_fb_table(&t, XTML_TENSOR_QUANT);
                if (q.pos != 0) {
                    s[k] = xtml_fb_vec(&q, XTML_QUANT_SCALE);
                }
            }
        }
        if (s[0].len < 1 || s[2].len < 1) {
            continue;
        }
        in_scale = xtml_ld_f32(s[0].data);
        out_scale = xtml_ld_f32(s[2].data);
        for (j = 0; j < s[1].len; j++) {
            check_mul_div(per_channel, in_scale, xtml_ld_f32(s[1].data + 4 * j), out_scale);
            check_div(ratios, in_scale * xtml_ld_f32(s[1].data + 4 * j), out_scale);
        }
        check_div(ratios, in_scale, out_scale);
        if (s[1].len == 1) {
            check_div(ratios, xtml_ld_f32(s[1].data), out_scale);
        }
    }
    free(buf);
}

static void reference_scales(const char *dir, long pair_count) {
    static const char *const lists[] = { "manifest.json", "ops/manifest.json" };
    tally_t per_channel = { "reference models: input x weight / output, every channel", 0, 0, "" };
    tally_t ratios = { "reference models: input / output, weight / output, (input x weight) / output", 0, 0, "" };
    tally_t pairs = { "reference model scales, all pairs a / b and a x b / c over a sample", 0, 0, "" };
    size_t k, models = 0;
    for (k = 0; k < 2; k++) {
        char path[4096];
        size_t len;
        char *json, *at;
        snprintf(path, sizeof path, "%s/%s", dir, lists[k]);
        json = (char *)read_file(path, &len);
        if (json == NULL) {
            continue;
        }
        json[len] = '\0';
        /* "model": "models/<id>.tflite" entries, relative to the manifest's folder */
        for (at = strstr(json, "\"model\""); at != NULL; at = strstr(at + 1, "\"model\"")) {
            char *q1 = strchr(at + 7, '"');
            char *q2 = q1 != NULL ? strchr(q1 + 1, '"') : NULL;
            char model[4096];
            if (q2 == NULL) {
                break;
            }
            snprintf(model, sizeof model, "%s/%s%.*s", dir, k == 0 ? "" : "ops/", (int)(q2 - q1 - 1), q1 + 1);
            model_scales(model, &per_channel, &ratios);
            models++;
        }
        free(json);
    }
    {
        char what[120];
        snprintf(what, sizeof what, "read the scales of %zu reference models (%zu scales)", models, n_scales);
        result(models >= 100 && n_scales >= 1000, what, "reference set missing or incomplete");
    }
    tally_report(&per_channel);
    tally_report(&ratios);
    for (k = 0; k < (size_t)pair_count && n_scales > 0; k++) {
        float a = scales[rnd32() % n_scales];
        float b = scales[rnd32() % n_scales];
        float c = scales[rnd32() % n_scales];
        check_div(&pairs, a, b);
        check_mul_div(&pairs, a, b, c);
    }
    tally_report(&pairs);
}

/* ---- constructed near-halfway quotients ---- */

/* Inverse of a modulo m (gcd 1), by the extended Euclidean algorithm. */
static int64_t inverse_mod(int64_t a, int64_t m) {
    int64_t t = 0, nt = 1, r = m, nr = a % m;
    while (nr != 0) {
        int64_t q = r / nr, tmp;
        tmp = t - q * nt;
        t = nt;
        nt = tmp;
        tmp = r - q * nr;
        r = nr;
        nr = tmp;
    }
    return t < 0 ? t + m : t;
}

/* The normalization of xtml_quant.c: num * 2^t / den in [2^30, 2^31). */
static int quotient_shift(uint64_t num, uint64_t den) {
    int len = 0, t;
    while ((num >> len) != 0) {
        len++;
    }
    t = 54 - len;
    if ((num << t) < (den << 30)) {
        t++;
    }
    return t;
}

/*
 * Quotients whose remainder sits where the double's rounding decides: with
 * den an odd 24-bit integer and x = num * 2^t / den scaled into [2^30, 2^31),
 * the remainder is num * 2^t mod den, so one factor of num can be solved for
 * any wanted remainder. Targets: the smallest remainder the double rounds up
 * (ceil(den (1/2 - 2^-23))), one below and one above it, floor(den / 2) and
 * ceil(den / 2). For a * b / c: b is solved; for a / b: a is.
 */
static void near_halfway(long count) {
    tally_t t = { "constructed quotients with remainders at the double-rounding boundaries", 0, 0, "" };
    long i, made = 0;
    for (i = 0; i < count; i++) {
        int64_t den = (int64_t)((rnd32() & 0x7FFFFEu) | 0x800001u);        /* odd, [2^23, 2^24) */
        int64_t other = (int64_t)((rnd32() & 0x7FFFFFu) | 0x800000u);
        int64_t targets[5];
        int k, shift, form;
        targets[0] = (den * ((1ll << 22) - 1) + (1ll << 23) - 1) >> 23;
        targets[1] = targets[0] - 1;
        targets[2] = targets[0] + 1;
        targets[3] = den / 2;
        targets[4] = den / 2 + 1;
        for (form = 0; form < 2; form++) {
            for (k = 0; k < 5; k++) {
                for (shift = 5; shift <= 32; shift++) {
                    /* form 0: num = other * solved, quotient shift `shift`;
                     * form 1: num = solved * 2^23 */
                    int64_t factor = form == 0 ? (other % den) * ((1ll << shift) % den) % den
                                               : (1ll << ((23 + shift) % 62)) % den;
                    int64_t solved, e_a, e_b, e_c;
                    uint64_t num;
                    if (form == 1 && 23 + shift >= 62) {
                        break;
                    }
                    solved = targets[k] * inverse_mod(factor, den) % den;
                    while (solved < (1 << 23)) {
                        solved += den;
                    }
                    if (solved >= (1 << 24)) {
                        continue;
                    }
                    num = form == 0 ? (uint64_t)other * (uint64_t)solved : (uint64_t)solved << 23;
                    if (quotient_shift(num, (uint64_t)den) != shift + (form == 0 ? 0 : 0)) {
                        continue;
                    }
                    e_a = (int64_t)(rnd32() % 60) - 60;
                    e_b = (int64_t)(rnd32() % 60) - 60;
                    e_c = (int64_t)(rnd32() % 60) - 60;
                    if (form == 0) {
                        check_mul_div(&t, ldexpf((float)other, (int)e_a), ldexpf((float)solved, (int)e_b),
                                      ldexpf((float)den, (int)e_c));
                    } else {
                        check_div(&t, ldexpf((float)solved, (int)e_a), ldexpf((float)den, (int)e_c));
                    }
                    made++;
                }
            }
        }
    }
    tally_report(&t);
    {
        char what[120];
        snprintf(what, sizeof what, "constructed %ld boundary quotients from %ld denominators", made, count);
        result(made >= count, what, "too few constructed");
    }
}

/* ---- random inputs ---- */

static void random_quantize(long count) {
    tally_t tf = { "random floats: (double)x", 0, 0, "" };
    tally_t td = { "random floats: (double)a / (double)b", 0, 0, "" };
    tally_t tm = { "random floats: (double)a * (double)b / (double)c", 0, 0, "" };
    tally_t tn = { "random near-1 ratios: mantissas differing in their low bits", 0, 0, "" };
    tally_t tx = { "random specials (zero, negative, inf, NaN) in every position", 0, 0, "" };
    long i;
    for (i = 0; i < count; i++) {
        float a = rnd_positive(0, 254);
        float b = rnd_positive(0, 254);
        float c = rnd_positive(0, 254);
        check_f32(&tf, a);
        check_f32(&tf, -a);
        check_div(&td, a, b);
        check_mul_div(&tm, a, b, c);
        /* quotients close to powers of two: a, b with equal exponent-ish */
        {
            uint32_t base = rnd32() & 0x7FFFFFFFu;
            float x = bits_f32(base % 0x7F000000u + 0x00800000u);
            float y = bits_f32(f32_bits(x) + (rnd32() % 64) - 32);
            if (f32_bits(y) < 0x7F800000u && f32_bits(y) != 0) {
                check_div(&tn, x, y);
                check_mul_div(&tn, x, bits_f32(0x3F800000u + (rnd32() % 16)), y);
            }
        }
        if (i % 4 == 0) {
            check_f32(&tx, rnd_any());
            check_div(&tx, rnd_any(), rnd_any());
            check_mul_div(&tx, rnd_any(), rnd_any(), rnd_any());
        }
    }
    tally_report(&tf);
    tally_report(&td);
    tally_report(&tm);
    tally_report(&tn);
    tally_report(&tx);
}

/* ---- SOFTMAX multiplier and the bias check ---- */

static void softmax_and_bias(long count) {
    tally_t ts = { "int8 SOFTMAX beta x scale x 2^26 multiplier", 0, 0, "" };
    long bias_count = 0, bias_bad = 0, near = 0, accepted = 0;
    char bias_first[200] = "";
    long i;
    for (i = 0; i < count; i++) {
        float beta = i % 8 == 0 ? rnd_any() : rnd_positive(100, 140);
        float scale = i % 8 == 1 ? rnd_any() : rnd_positive(90, 140);
        double real = (double)beta * (double)scale * (double)(1 << 26);
        int32_t m, wm;
        int s, ws;
        bool ok;
        char inputs[100];
        if (real > 2147483647.0) {
            real = 2147483647.0;
        }
        ok = xtml_quantize_softmax_beta(beta, scale, &m, &s);
        if (!(real > 1.0)) {
            wm = 0;
            ws = 0;
            if (ok) {
                m = 1;    /* report: accepted what TFLM refuses */
            }
        } else {
            oracle_quantize(real, &wm, &ws);
            if (!ok) {
                m = 0;
                s = -1000;
            }
        }
        snprintf(inputs, sizeof inputs, "beta %a scale %a", (double)beta, (double)scale);
        tally_check(&ts, m, s, wm, ws, inputs);
    }
    /* beta * scale on both sides of 1 / 2^26 and 2^31 - 1 / 2^26 */
    for (i = 0; i < 2000; i++) {
        float beta = bits_f32(0x3F800000u + (uint32_t)(rnd32() % 8));
        float scale = bits_f32(f32_bits(1.0f / 67108864.0f) - 4 + (uint32_t)(rnd32() % 8));
        float big = bits_f32(f32_bits(2147483647.0f / 67108864.0f) - 4 + (uint32_t)(rnd32() % 8));
        float pair[2] = { scale, big };
        int k;
        for (k = 0; k < 2; k++) {
            double real = (double)beta * (double)pair[k] * (double)(1 << 26);
            int32_t m, wm = 0;
            int s, ws = 0;
            bool ok = xtml_quantize_softmax_beta(beta, pair[k], &m, &s);
            if (real > 2147483647.0) {
                real = 2147483647.0;
            }
            if (real > 1.0) {
                oracle_quantize(real, &wm, &ws);
            }
            if (ok != (real > 1.0)) {
                m = ok ? 1 : 0;
                s = -1000;
            } else if (!ok) {
                m = 0;
                s = 0;
            }
            tally_check(&ts, m, s, wm, ws, "near the limits");
        }
    }
    tally_report(&ts);

    for (i = 0; i < count; i++) {
        float in = rnd_positive(80, 140);
        float w = rnd_positive(80, 140);
        float out = rnd_positive(60, 140);
        double product = (double)in * (double)w;
        float bias;
        bool want, got;
        switch (i % 6) {
        case 0:
            bias = rnd_positive(0, 254);
            break;
        case 1:
            bias = (float)product;
            break;
        case 2: {
            /* |product - bias| / out within a few double ulps of 0.02: out
             * is the float just below product / 0.02, so 0.02 out is a
             * little less than the product, and the bias (about 2^-25 of
             * the product) makes up the difference to the last bits; the
             * difference is then exact in a double */
            out = (float)(product / 0.02);
            while ((double)out * 0.02 > product) {
                out = bits_f32(f32_bits(out) - 1u);
            }
            bias = (float)(product - 0.02 * (double)out);
            bias = bits_f32(f32_bits(bias) + (uint32_t)(rnd32() % 33) - 16u);
            near++;
            break;
        }
        case 3:
            bias = bits_f32(f32_bits((float)product) + (uint32_t)(rnd32() % 65) - 32u);
            break;
        case 4: {
            /* as case 2, with the bias below 2^-29 of the product, so the
             * exact difference needs more than 53 bits: found by trying
             * products until 0.02 out comes that close to one */
            int tries;
            for (tries = 0; tries < 200; tries++) {
                in = rnd_positive(100, 140);
                w = rnd_positive(100, 140);
                product = (double)in * (double)w;
                out = (float)(product / 0.02);
                if ((double)out * 0.02 < product && product - (double)out * 0.02 < ldexp(product, -29)) {
                    break;
                }
            }
            bias = (float)(product - 0.02 * (double)out);
            bias = bits_f32(f32_bits(bias) + (uint32_t)(rnd32() % 33) - 16u);
            near++;
            break;
        }
        default:
            /* operands far apart: the jammed subtraction */
            bias = ldexpf((float)product, (int)(rnd32() % 200) - 100);
            break;
        }
        if (!(bias > 0.0f) || isinf(bias)) {
            continue;
        }
        {
            volatile double diff = fabs(product - (double)bias);
            volatile double ratio = diff / (double)out;
            want = ratio <= 0.02;
        }
        got = xtml_bias_scale_matches(in, w, bias, out);
        accepted += got ? 1 : 0;
        bias_count++;
        if (got != want && bias_bad++ == 0) {
            snprintf(bias_first, sizeof bias_first, "in %a w %a bias %a out %a: got %d", (double)in,
                     (double)w, (double)bias, (double)out, (int)got);
        }
    }
    {
        char what[160], got[260];
        snprintf(what, sizeof what, "bias scale check |in x w - bias| / out <= 0.02 (%ld cases, %ld near the limit, %ld accepted)",
                 bias_count, near, accepted);
        snprintf(got, sizeof got, "%ld differ, first %s", bias_bad, bias_first);
        result(bias_bad == 0 && accepted > bias_count / 10 && accepted < bias_count, what, got);
    }
}

/* ---- SVDF's bias-scale check: |(double)a - (double)b| < 1e-5 ---- */

static void svdf_bias_check(long count) {
    long i, bad = 0, accepted = 0, near = 0;
    char first[200] = "";
    for (i = 0; i < count; i++) {
        float a, b;
        bool want, got;
        switch (rnd32() % 5) {
        case 0:
            /* both near 1e-5 apart: b = a +- (1e-5 within a few float ulps of b) */
            a = rnd_positive(100, 140);
            b = (float)((double)a + ((rnd32() & 1u) ? 1e-5 : -1e-5));
            b = bits_f32(f32_bits(b) + (uint32_t)(rnd32() % 9) - 4u);
            near++;
            break;
        case 1:
            /* tiny scales, as products of state and weights scales are */
            a = rnd_positive(90, 125);
            b = bits_f32(f32_bits(a) + (uint32_t)(rnd32() % 2001) - 1000u);
            break;
        case 2:
            a = rnd_any();
            b = rnd_any();
            break;
        case 3:
            /* one of them zero, the other around 1e-5 */
            a = 0.0f;
            b = bits_f32(f32_bits(1e-5f) + (uint32_t)(rnd32() % 65) - 32u);
            near++;
            break;
        default:
            /* far apart in magnitude: the jammed subtraction */
            a = rnd_positive(100, 140);
            b = ldexpf(a, -(int)(rnd32() % 80));
            if (rnd32() & 1u) {
                b = -b;
            }
            break;
        }
        {
            volatile double diff = fabs((double)a - (double)b);
            want = diff < 1e-5;
        }
        got = xtml_f32_within_1e5(a, b);
        accepted += got ? 1 : 0;
        if (got != want && bad++ == 0) {
            snprintf(first, sizeof first, "a %a b %a: got %d", (double)a, (double)b, (int)got);
        }
    }
    {
        char what[160], got[260];
        snprintf(what, sizeof what, "SVDF bias-scale check |a - b| < 1e-5 in double (%ld cases, %ld near the limit, %ld accepted)",
                 count, near, accepted);
        snprintf(got, sizeof got, "%ld differ, first %s", bad, first);
        result(bad == 0 && accepted > count / 20 && accepted < count, what, got);
    }
}

/* ---- exp and tanh ---- */

/* Distance in ulps between two floats of the same sign (or zeros). */
static long ulp_distance(float a, float b) {
    int32_t ia = (int32_t)f32_bits(a), ib = (int32_t)f32_bits(b);
    ia = ia < 0 ? INT32_MIN - ia : ia;
    ib = ib < 0 ? INT32_MIN - ib : ib;
    return labs((long)ia - (long)ib);
}

/*
 * How far the double d is from the nearest midpoint between two floats,
 * relative to d: where it is tiny, d's own error (the C library's exp or
 * tanh in double) may decide which way the float rounds.
 */
static double midpoint_distance(double d) {
    float f = (float)d;
    double other, mid;
    if (d == 0.0 || isinf(d) || isnan(d)) {
        return 1.0;
    }
    other = (double)nextafterf(f, (double)f < d ? INFINITY : -INFINITY);
    mid = ((double)f + other) / 2.0;
    return fabs(d - mid) / fabs(d);
}

typedef struct fn_check {
    const char *name;
    float (*ours)(float);
    double (*exact)(double);
    float (*libc)(float);
    long count, differ_exact, near_midpoint, differ_libc, worst_libc;
    char first[160];
    uint32_t digest;
} fn_check_t;

static void fn_check_one(fn_check_t *c, float x) {
    float got = c->ours(x);
    double d = c->exact((double)x);
    float want = (float)d;
    uint32_t bits = f32_bits(got);
    int k;
    c->count++;
    for (k = 0; k < 4; k++) {
        c->digest = (c->digest ^ ((bits >> (8 * k)) & 0xFFu)) * 16777619u;
    }
    if (isnan(want)) {
        if (!isnan(got) && c->differ_exact++ == 0) {
            snprintf(c->first, sizeof c->first, "%s(%a) = %a, expected NaN", c->name, (double)x, (double)got);
        }
        return;
    }
    if (f32_bits(got) != f32_bits(want)) {
        /* allowed only where the double reference is itself too close to a
         * midpoint to say which way the float rounds, and then by one ulp */
        if (midpoint_distance(d) < 1e-12 && ulp_distance(got, want) <= 1) {
            c->near_midpoint++;
        } else if (c->differ_exact++ == 0) {
            snprintf(c->first, sizeof c->first, "%s(%a) = %a, correctly rounded %a", c->name, (double)x,
                     (double)got, (double)want);
        }
    }
    {
        long u = ulp_distance(got, c->libc(x));
        if (u != 0) {
            c->differ_libc++;
            c->worst_libc = u > c->worst_libc ? u : c->worst_libc;
        }
    }
}

static float libc_expf(float x) {
    return expf(x);
}

static float libc_tanhf(float x) {
    return tanhf(x);
}

static double libc_exp(double x) {
    return exp(x);
}

static double libc_tanh(double x) {
    return tanh(x);
}

/*
 * Every 4099th float (about a million, all exponents, both signs, NaNs and
 * infinities included) and random floats where the functions change the
 * most: |x| < 110 for exp, |x| < 10 for tanh. The digest is over the
 * stride only, the same inputs on every build.
 */
static void float_functions(long count) {
    fn_check_t checks[2] = {
        { "exp", xtml_exp_f32, libc_exp, libc_expf, 0, 0, 0, 0, 0, "", 2166136261u },
        { "tanh", xtml_tanh_f32, libc_tanh, libc_tanhf, 0, 0, 0, 0, 0, "", 2166136261u },
    };
    int k;
    for (k = 0; k < 2; k++) {
        fn_check_t *c = &checks[k];
        uint64_t b;
        long i;
        char what[200], got[200];
        uint32_t stride_digest;
        for (b = 0; b <= 0xFFFFFFFFull; b += 4099) {
            fn_check_one(c, bits_f32((uint32_t)b));
        }
        stride_digest = c->digest;
        for (i = 0; i < count; i++) {
            float range = k == 0 ? 110.0f : 10.0f;
            float x = ((float)(int32_t)rnd32() / 2147483648.0f) * range;
            fn_check_one(c, x);
            /* small arguments too, where tanh x ~ x and e^x ~ 1 + x */
            fn_check_one(c, ldexpf((float)(int32_t)rnd32() / 2147483648.0f, -(int)(rnd32() % 40)));
        }
        snprintf(what, sizeof what,
                 "xtml_%s_f32 is the correctly rounded %s (%ld cases; %ld within 1e-12 of a midpoint, 1 ulp off)",
                 c->name, c->name, c->count, c->near_midpoint);
        snprintf(got, sizeof got, "%ld differ, first %s", c->differ_exact, c->first);
        result(c->differ_exact == 0 && c->near_midpoint * 10000 < c->count, what, got);
        snprintf(what, sizeof what, "xtml_%s_f32 against this C library's %sf: %ld of %ld differ, by at most %ld ulp",
                 c->name, c->name, c->differ_libc, c->count, c->worst_libc);
        result(c->worst_libc <= 2, what, "more than 2 ulp apart");
        printf("# digest %s %08lx\n", c->name, (unsigned long)stride_digest);
    }
}

/* ---- int16 SOFTMAX ---- */

/*
 * The int16 SOFTMAX input multiplier, scale * beta / (10.0 / 65535.0) in
 * double (xtml_quantize_f32_mul_div_f64), on random positive floats; and the
 * 1025 points where TFLM's exp table samples exp (input_min + i * step and
 * the midpoints, in float): the core's exp must be the correctly rounded
 * value there, which the C library's expf that built TFLM's table is too.
 */
static void softmax16(long count) {
    tally_t t = { "int16 SOFTMAX scale x beta / (10 / 65535) multiplier", 0, 0, "" };
    volatile double d = 10.0 / 65535.0;
    long i, n = 0, bad = 0, libc_bad = 0;
    char first[200] = "";
    for (i = 0; i < count; i++) {
        float scale = i % 8 == 0 ? rnd_any() : rnd_positive(110, 135);
        float beta = i % 4 == 1 ? 1.0f : rnd_positive(120, 130);
        volatile double product = (double)scale * (double)beta;
        volatile double real = product / d;
        int32_t m, wm;
        int s, ws;
        char inputs[100];
        if (scale < 0.0f) {
            scale = -scale;
            product = (double)scale * (double)beta;
            real = product / d;
        }
        xtml_quantize_f32_mul_div_f64(scale, beta, 0x14001400140014u, -65, &m, &s);
        oracle_quantize(real, &wm, &ws);
        snprintf(inputs, sizeof inputs, "scale %a beta %a", (double)scale, (double)beta);
        tally_check(&t, m, s, wm, ws, inputs);
    }
    tally_report(&t);
    {
        volatile float in_scale = 10.0f / 65535.0f;
        volatile float in_min = in_scale * -65535.0f;
        volatile float in_max = in_scale * 0.0f;
        volatile float step = (in_max - in_min) / 512.0f;
        volatile float half_step = step / 2.0f;
        for (i = 0; i <= 512; i++) {
            int k;
            for (k = 0; k < 2; k++) {
                volatile float at = in_min + (float)i * step;
                float x, got, want;
                if (k == 1) {
                    at = at + half_step;
                }
                x = at;
                got = xtml_exp_f32(x);
                want = (float)exp((double)x);
                n++;
                if (got != want && bad++ == 0) {
                    snprintf(first, sizeof first, "exp(%a) = %a, correctly rounded %a", (double)x, (double)got,
                             (double)want);
                }
                libc_bad += got != expf(x);
            }
        }
        {
            char what[160], got_text[260];
            snprintf(what, sizeof what,
                     "xtml_exp_f32 is correctly rounded on the int16 SOFTMAX table's %ld points (this C library's "
                     "expf differs on %ld)", n, libc_bad);
            snprintf(got_text, sizeof got_text, "%ld differ, first %s", bad, first);
            result(bad == 0, what, got_text);
        }
    }
}

/* ---- the detail messages' float text ---- */

/* Typical scales, extremes, and ties at the seventh digit (printf rounds
 * them to even), then random bit patterns. */
static void float_text(long count) {
    static const float fixed[] = { 0.00390625f, 0.0235294122f, 6.0f, 0.5f, 100000.0f, 999999.5f, 999999.6f,
                                   1e6f, 1234567.0f, 6243415.0f, 18553.75f, 0.1015625f, 1e-45f, 3e38f,
                                   0.0001f, 0.00001f, 1.5e-5f, 123456.7f, -2.5f, 0.0f, -0.0f, 1e10f };
    long i, n = 0, bad = 0;
    const long n_fixed = (long)(sizeof fixed / sizeof fixed[0]);
    char first[200] = "";
    for (i = 0; i < n_fixed + count; i++) {
        float x = i < n_fixed ? fixed[i] : bits_f32(rnd32());
        char ours[XTML_F32_TEXT], want[64];
        if (isnan(x)) {
            continue;
        }
        xtml_f32_text(ours, x);
        snprintf(want, sizeof want, "%g", (double)x);
        n++;
        if (strcmp(ours, want) != 0 && bad++ == 0) {
            snprintf(first, sizeof first, "%a: '%s', printf '%s'", (double)x, ours, want);
        }
    }
    {
        char what[160], got[260];
        snprintf(what, sizeof what, "float text is what printf %%g writes (%ld floats)", n);
        snprintf(got, sizeof got, "%ld differ, first %s", bad, first);
        result(bad == 0, what, got);
    }
}

/* 4. SignalRfft's and SignalIrfft's twiddles (xtml_signal_fft.c) against the
 * library's own computation in double, written out here: phase -2 pi i / n
 * (and -pi ((i + 1) / n + 1/2) for the real FFT's split), negated for the
 * inverse, with the double pi; int16 and int32 as floor(0.5 + max * cos),
 * float as the double rounded to float (bits compared, so -0.0 counts).
 * Every twiddle of every n the kernels accept, both directions. */
static void fft_twiddles(void) {
    const double pi = 3.14159265358979323846264338327950288;
    long checked = 0, bad = 0, lengths = 0;
    char first[200] = "";
    int32_t n;
    uint8_t radix[32];
    for (n = 1; n <= XTML_FFT_MAX_LENGTH / 2; n++) {
        int inv, sup;
        if (xtml_fft_factor(n, radix, 32) == 0) {
            continue;
        }
        lengths++;
        for (inv = 0; inv < 2; inv++) {
            for (sup = 0; sup < 2; sup++) {
                int32_t i, count = sup ? n / 2 : n;
                for (i = 0; i < count; i++) {
                    double phase = sup ? -pi * ((double)(i + 1) / n + .5) : -2 * pi * i / n;
                    double c, s;
                    float fc, fs;
                    xtml_fft_twiddle_t t;
                    bool ok;
                    if (inv) {
                        phase *= -1;
                    }
                    c = cos(phase);
                    s = sin(phase);
                    fc = (float)c;
                    fs = (float)s;
                    ok = xtml_fft_twiddle(n, i, sup != 0, inv != 0, &t) &&
                         t.re16 == (int32_t)floor(.5 + 32767 * c) && t.im16 == (int32_t)floor(.5 + 32767 * s) &&
                         t.re32 == (int32_t)floor(.5 + 2147483647.0 * c) &&
                         t.im32 == (int32_t)floor(.5 + 2147483647.0 * s) && memcmp(&t.ref, &fc, 4) == 0 &&
                         memcmp(&t.imf, &fs, 4) == 0;
                    checked++;
                    if (!ok && bad++ == 0) {
                        snprintf(first, sizeof first, "n %d twiddle %d%s%s", (int)n, (int)i, sup ? " (split)" : "",
                                 inv ? " inverse" : "");
                    }
                }
            }
        }
    }
    {
        char what[120], got[260];
        snprintf(what, sizeof what, "FFT twiddles: %ld of %ld lengths' (n <= %d) equal the library's double ones", checked,
                 lengths, XTML_FFT_MAX_LENGTH / 2);
        snprintf(got, sizeof got, "%ld differ, first %s", bad, first);
        result(bad == 0 && lengths > 0, what, got);
    }
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "../shared/reference";
    long count = argc > 2 ? atol(argv[2]) : 1000000;
    scales = (float *)malloc(sizeof(float) * MAX_SCALES);
    if (scales == NULL) {
        return 2;
    }
    reference_scales(dir, count * 3 / 10);
    random_quantize(count);
    near_halfway(count / 20);
    softmax_and_bias(count / 4);
    softmax16(count / 10);
    svdf_bias_check(count / 10);
    float_functions(count / 4);
    float_text(count / 10);
    fft_twiddles();
    printf("%d passed, %d failed\n", passed, failed);
    free(scales);
    return failed == 0 ? 0 : 1;
}
