/*
 * xtml_signal.c - custom operators of TFLM's signal library (the audio front
 * end's stages), integer paths, bit-exact with its reference kernels:
 * SignalWindow, SignalFftAutoScale, SignalEnergy, SignalFilterBank,
 * SignalFilterBankSquareRoot, SignalFilterBankLog, SignalPCAN.
 *
 * A custom operator is found by its custom_code (the kernel's name); its
 * options are a FlexBuffer map (xtml_flexbuf.c), checked at prepare: a
 * malformed blob, a missing or unknown key, a value of the wrong type or out
 * of range is BAD_OPTIONS. Where TFLM's kernels would read or write outside a
 * tensor or shift by 32 or more (they do not check), we refuse at prepare, or
 * fail the invoke with EVAL_ERROR for a shift that comes from a tensor.
 *
 * Arithmetic, as the library defines it:
 * - Window: out = clamp_int16((in * w) >> shift), the product in int32,
 *   the shift arithmetic; the window repeats over the input's elements.
 * - FftAutoScale: m = the largest |x| as int16 (|-32768| wraps to -32768);
 *   bits = 15 - msb(m) where msb(0) counts as 32 (as the oracle's
 *   __builtin_clz path) and msb of a negative m (as uint32) is 32, both
 *   giving bits = 0 after the clamp at 0; out = (int16)(x * 2^bits).
 * - Energy: out[i] = re^2 + im^2 in uint32 for i in [start_index, end_index);
 *   TFLM leaves the other outputs unwritten: we write 0 there.
 * - FilterBank: num_channels + 1 channels over the uint32 spectrum; channel i
 *   sums weights[ws_i + j] * x[fs_i + j] (the int16 weight converted to
 *   uint64, so negative weights wrap) for j < width_i into its own total and
 *   unweights likewise into the next channel's, all uint64 wrapping; channel 0
 *   is discarded. Its five table inputs must be constants: prepare checks
 *   every range they index.
 * - FilterBankSquareRoot: out = isqrt(x) >> scale_bits, isqrt the library's
 *   bit-by-bit root rounded up when the remainder exceeds the root (16-bit
 *   result for x < 2^32, 32-bit above, never rounding past the type's max).
 * - FilterBankLog: s = x << input_correction_bits (uint32); s <= 1 gives 0;
 *   otherwise log2(s) in Q16 from msb and a 128-segment table interpolated
 *   (rel = ((c1 - c0) * (frac - seg_base)) >> 16, arithmetic), times
 *   45426 (ln 2 in Q16) rounded, times output_scale (uint32 wrap) rounded,
 *   capped at 32767.
 * - PCAN: gain = the gain table's piecewise quadratic of the noise estimate
 *   n (n <= 2: lut[n]; else segment 4 * bitlen(n) - 6, 10-bit fraction of n
 *   below its top bit, int32 Horner steps with arithmetic shifts, truncated
 *   to int16, then widened to uint32); snr = (x * gain) >> snr_shift in
 *   uint64; out = snr^2 >> 20 below 2 (Q12), else (snr >> 6) - 64. A noise
 *   estimate whose segment lies past the table fails the invoke (TFLM would
 *   read past it).
 */
#include "xtml_signal.h"

typedef struct signal_params {
    int32_t a;      /* Window: shift; Energy: start; Log: correction bits */
    int32_t b;      /* Window: weights length; Energy: end; Log: output scale */
    int32_t count;  /* elements of the (first) input */
    int32_t extra;  /* Energy: output count */
} signal_params_t;

/* ---- shared prepare helpers ---- */

static xtml_status_t expect_io(xtml_prep_t *p, int n_in, int n_out) {
    if (xtml_prep_n_inputs(p) != n_in || xtml_prep_n_outputs(p) != n_out) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected %d and %d",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p), n_in, n_out);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t expect_rank(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, int32_t ndim) {
    if (t->ndim != ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' has rank %" PRId32 ", expected %" PRId32, role,
                              t->name, t->ndim, ndim);
    }
    return XTML_STATUS_OK;
}

/* What an xtml_flex_result_t means, for messages. */
static const char *const flex_problem[] = {
    "", "is not a FlexBuffer map", "is missing", "is neither an integer nor a bool", "is out of range",
};

/* The options map, holding no key outside the `n` in `keys` (xtml_signal.h). */
xtml_status_t xtml_signal_options(xtml_prep_t *p, xtml_flex_map_t *m, const char *const *keys, int n) {
    const uint8_t *data;
    uint32_t len;
    xtml_status_t st = xtml_prep_custom_options(p, &data, &len);
    int32_t unknown;
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (xtml_flex_map(data, len, m) != XTML_FLEX_OK) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "custom options (%" PRIu32 " bytes) %s", len, flex_problem[1]);
    }
    unknown = xtml_flex_unknown_key(m, keys, n);
    if (unknown >= 0) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "custom option '%s' is not one of this operator's",
                              xtml_flex_key(m, (uint32_t)unknown));
    }
    return XTML_STATUS_OK;
}

/* One integer (or bool) option within [lo, hi] (xtml_signal.h). */
xtml_status_t xtml_signal_int64(xtml_prep_t *p, const xtml_flex_map_t *m, const char *key, int64_t lo, int64_t hi,
                                int64_t *value) {
    xtml_flex_result_t r = xtml_flex_int(m, key, lo, hi, value);
    if (r != XTML_FLEX_OK) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "custom option '%s' %s", key, flex_problem[r]);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t signal_int(xtml_prep_t *p, const xtml_flex_map_t *m, const char *key, int64_t lo, int64_t hi,
                                int32_t *value) {
    int64_t v = 0;
    xtml_status_t st = xtml_signal_int64(p, m, key, lo, hi, &v);
    *value = (int32_t)v;
    return st;
}

static xtml_status_t signal_persist(xtml_prep_t *p, const signal_params_t *tmp) {
    signal_params_t *params = (signal_params_t *)XTML_PREP_PERSIST(p, signal_params_t, 0);
    if (params != NULL) {
        *params = *tmp;   /* the first block: node->params at eval */
    }
    return XTML_STATUS_OK;
}

static xtml_status_t expect_same_count(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, int32_t count) {
    if (t->count != count) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' has %" PRId32 " elements, expected %" PRId32,
                              role, t->name, t->count, count);
    }
    return XTML_STATUS_OK;
}

#define TRY(expr)                                 \
    do {                                          \
        xtml_status_t st_ = (expr);               \
        if (st_ != XTML_STATUS_OK) return st_;    \
    } while (0)

/* ---- integer helpers ---- */

/* Bits needed to write x (0 for 0). */
static uint32_t bit_length32(uint32_t x) {
    uint32_t n = 0;
    while (x != 0) {
        x >>= 1;
        n++;
    }
    return n;
}

static uint32_t bit_length64(uint64_t x) {
    uint32_t n = 0;
    while (x != 0) {
        x >>= 1;
        n++;
    }
    return n;
}

/* The library's integer square root of a 32-bit value (16-bit result). */
static uint32_t isqrt32(uint32_t x) {
    uint32_t root = 0, bit;
    int32_t steps;
    uint32_t top;
    if (x == 0) {
        return 0;
    }
    /* the highest even bit position at or below x's top bit: 31 - (odd leading zeros) */
    top = (32u - bit_length32(x)) | 1u;
    bit = 1u << (31u - top);
    steps = (int32_t)((31u - top) / 2u + 1u);
    while (steps-- > 0) {
        if (x >= root + bit) {
            x -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    if (x > root && root != 0xFFFFu) {
        root++;
    }
    return root;
}

static uint32_t isqrt64(uint64_t x) {
    uint64_t root = 0, bit;
    int32_t steps;
    uint32_t top;
    if ((x >> 32) == 0) {
        return isqrt32((uint32_t)x);
    }
    top = (64u - bit_length64(x)) | 1u;
    bit = (uint64_t)1 << (63u - top);
    steps = (int32_t)((63u - top) / 2u + 1u);
    while (steps-- > 0) {
        if (x >= root + bit) {
            x -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    if (x > root && root != 0xFFFFFFFFu) {
        root++;
    }
    return (uint32_t)root;
}

/* log2's fractional part, Q16, by 128 linear segments: the correction from
 * the straight line to log2(1 + f), sampled at f = k/128 (k = 0..128; one
 * padding entry). */
static const uint16_t log2_correction[130] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944,
    3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791,
    4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578,
    5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498,
    5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697,
    4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286,
    3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353,
    1224, 1094, 963,  830,  695,  559,  421,  282,  142,  0,    0,
};

/* Arithmetic right shift of a signed value (floor), without relying on the
 * implementation-defined >> of negative numbers. */
static int32_t asr32(int32_t v, uint32_t s) {
    return v >= 0 ? (int32_t)((uint32_t)v >> s) : -(int32_t)(((uint32_t)(-(v + 1)) >> s)) - 1;
}

/* ln(x) * scale / 2^16 as the library computes it, for x >= 2. */
static uint32_t log_scaled(uint32_t x, uint32_t scale) {
    uint32_t integer = bit_length32(x) - 1u;
    int32_t frac = (int32_t)(x - (1u << integer));   /* < 2^integer <= 2^31 - 1... as the library's int32 */
    uint32_t seg, fraction, log2q16, loge;
    int32_t c0, c1, rel;
    if (integer < 16u) {
        frac = (int32_t)((uint32_t)frac << (16u - integer));
    } else {
        frac = asr32(frac, integer - 16u);
    }
    seg = (uint32_t)frac >> 9;
    c0 = log2_correction[seg];
    c1 = log2_correction[seg + 1u];
    rel = asr32((c1 - c0) * (frac - (int32_t)(seg << 9)), 16);
    fraction = (uint32_t)frac + (uint32_t)c0 + (uint32_t)rel;
    log2q16 = (integer << 16) + fraction;
    loge = (uint32_t)(((uint64_t)45426u * log2q16 + 32768u) >> 16);
    return (scale * loge + 32768u) >> 16;
}

/* ---- SignalWindow ---- */

static const char *const window_keys[] = { "shift" };

static xtml_status_t window_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, w, out;
    xtml_flex_map_t m;
    signal_params_t tmp;
    memset(&tmp, 0, sizeof tmp);
    TRY(expect_io(p, 2, 1));
    TRY(xtml_signal_options(p, &m, window_keys, 1));
    TRY(signal_int(p, &m, "shift", 0, 31, &tmp.a));
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &w);
    xtml_prep_output(p, 0, &out);
    if (w.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "the window weights (input 1) are required");
    }
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &w, "weights", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT16));
    if (in.ndim < 1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input '%s' must have rank 1 or more", in.name);
    }
    TRY(expect_rank(p, &w, "weights", 1));
    TRY(xtml_prep_expect_same_shape(p, &in, "input", &out, "output"));
    if (w.count == 0 || in.count % w.count != 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input '%s' (%" PRId32 " elements) is not a whole number of windows of %" PRId32, in.name,
                              in.count, w.count);
    }
    tmp.b = w.count;
    tmp.count = in.count;
    return signal_persist(p, &tmp);
}

static xtml_status_t window_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const signal_params_t *prm = (const signal_params_t *)node->params;
    const int16_t *in = (const int16_t *)xtml_node_in(ctx, node, 0);
    const int16_t *w = (const int16_t *)xtml_node_in(ctx, node, 1);
    int16_t *out = (int16_t *)xtml_node_out(ctx, node, 0);
    int32_t i;
    for (i = 0; i < prm->count; i++) {
        int32_t v = asr32((int32_t)in[i] * w[i % prm->b], (uint32_t)prm->a);
        out[i] = (int16_t)(v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v);
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_window = { "SignalWindow", window_prepare, window_eval };

/* ---- SignalFftAutoScale ---- */

static xtml_status_t fft_auto_scale_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out, bits;
    signal_params_t tmp;
    memset(&tmp, 0, sizeof tmp);
    TRY(expect_io(p, 1, 2));
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    xtml_prep_output(p, 1, &bits);
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &bits, "scale bits", XTML_DTYPE_INT32));
    TRY(expect_rank(p, &in, "input", 1));
    TRY(expect_rank(p, &out, "output", 1));
    TRY(expect_rank(p, &bits, "scale bits", 0));
    TRY(expect_same_count(p, &out, "output", in.count));
    tmp.count = in.count;
    return signal_persist(p, &tmp);
}

static xtml_status_t fft_auto_scale_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const signal_params_t *prm = (const signal_params_t *)node->params;
    const int16_t *in = (const int16_t *)xtml_node_in(ctx, node, 0);
    int16_t *out = (int16_t *)xtml_node_out(ctx, node, 0);
    uint8_t *bits_out = (uint8_t *)xtml_node_out(ctx, node, 1);
    int16_t max = 0;
    int32_t i, bits;
    uint32_t msb;
    for (i = 0; i < prm->count; i++) {
        int32_t v = in[i];
        if (v > max) {
            max = (int16_t)v;
        } else if (-v > max) {
            max = (int16_t)(uint16_t)(uint32_t)(-v);   /* 32768 wraps to -32768, as in int16 */
        }
    }
    msb = max == 0 ? 32u : bit_length32((uint32_t)(int32_t)max);
    bits = 15 - (int32_t)msb;
    if (bits < 0) {
        bits = 0;
    }
    for (i = 0; i < prm->count; i++) {
        out[i] = (int16_t)(uint16_t)((uint32_t)(int32_t)in[i] << bits);
    }
    memcpy(bits_out, &bits, sizeof bits);
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_fft_auto_scale = { "SignalFftAutoScale", fft_auto_scale_prepare,
                                                          fft_auto_scale_eval };

/* ---- SignalEnergy ---- */

static const char *const energy_keys[] = { "end_index", "start_index" };

static xtml_status_t energy_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_flex_map_t m;
    signal_params_t tmp;
    memset(&tmp, 0, sizeof tmp);
    TRY(expect_io(p, 1, 1));
    TRY(xtml_signal_options(p, &m, energy_keys, 2));
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_UINT32));
    TRY(expect_rank(p, &in, "input", 1));
    TRY(expect_rank(p, &out, "output", 1));
    if (in.count % 2 != 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input '%s' has %" PRId32 " elements: not (real, imaginary) pairs", in.name, in.count);
    }
    TRY(expect_same_count(p, &out, "output", in.count / 2));
    TRY(signal_int(p, &m, "start_index", 0, out.count, &tmp.a));
    TRY(signal_int(p, &m, "end_index", tmp.a, out.count, &tmp.b));
    tmp.count = in.count;
    tmp.extra = out.count;
    return signal_persist(p, &tmp);
}

static xtml_status_t energy_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const signal_params_t *prm = (const signal_params_t *)node->params;
    const int16_t *in = (const int16_t *)xtml_node_in(ctx, node, 0);
    uint32_t *out = (uint32_t *)xtml_node_out(ctx, node, 0);
    int32_t i;
    for (i = 0; i < prm->extra; i++) {
        if (i < prm->a || i >= prm->b) {
            out[i] = 0;
        } else {
            int32_t re = in[2 * i], im = in[2 * i + 1];
            out[i] = (uint32_t)(re * re) + (uint32_t)(im * im);
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_energy = { "SignalEnergy", energy_prepare, energy_eval };

/* ---- SignalFilterBank ---- */

static const char *const fb_keys[] = { "num_channels" };
static const char *const fb_roles[] = { "input", "weights", "unweights", "channel_frequency_starts",
                                        "channel_weight_starts", "channel_widths" };

static int16_t fb_table(const xtml_tinfo_t *t, int32_t i) {
    return (int16_t)xtml_ld_u16((const uint8_t *)t->data + 2 * (size_t)i);
}

static xtml_status_t fb_prepare(xtml_prep_t *p) {
    xtml_tinfo_t t[6], out;
    xtml_flex_map_t m;
    signal_params_t tmp;
    int32_t i, k, channels = 0;
    memset(&tmp, 0, sizeof tmp);
    TRY(expect_io(p, 6, 1));
    TRY(xtml_signal_options(p, &m, fb_keys, 1));
    TRY(signal_int(p, &m, "num_channels", 1, INT16_MAX, &channels));
    for (k = 0; k < 6; k++) {
        xtml_prep_input(p, k, &t[k]);
        if (t[k].index < 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "%s (input %" PRId32 ") is required", fb_roles[k], k);
        }
        TRY(xtml_prep_expect_type(p, &t[k], fb_roles[k], k == 0 ? XTML_DTYPE_UINT32 : XTML_DTYPE_INT16));
        TRY(expect_rank(p, &t[k], fb_roles[k], 1));
        if (k > 0 && !t[k].is_const) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "%s '%s' must be a constant", fb_roles[k], t[k].name);
        }
        if (k >= 3) {
            TRY(expect_same_count(p, &t[k], fb_roles[k], channels + 1));
        }
    }
    TRY(expect_same_count(p, &t[2], "unweights", t[1].count));
    xtml_prep_output(p, 0, &out);
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_UINT64));
    TRY(expect_rank(p, &out, "output", 1));
    TRY(expect_same_count(p, &out, "output", channels));
    for (i = 0; i <= channels; i++) {
        int32_t fs = fb_table(&t[3], i), ws = fb_table(&t[4], i), w = fb_table(&t[5], i);
        if (w < 0 || fs < 0 || ws < 0 || fs + w > t[0].count || ws + w > t[1].count) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "channel %" PRId32 ": width %" PRId32 " from frequency %" PRId32 " and weight %" PRId32
                                  " leaves the input (%" PRId32 ") or weights (%" PRId32 ")",
                                  i, w, fs, ws, t[0].count, t[1].count);
        }
    }
    tmp.a = channels;
    return signal_persist(p, &tmp);
}

static xtml_status_t fb_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const signal_params_t *prm = (const signal_params_t *)node->params;
    const uint32_t *in = (const uint32_t *)xtml_node_in(ctx, node, 0);
    const int16_t *w = (const int16_t *)xtml_node_in(ctx, node, 1);
    const int16_t *uw = (const int16_t *)xtml_node_in(ctx, node, 2);
    const int16_t *fs = (const int16_t *)xtml_node_in(ctx, node, 3);
    const int16_t *ws = (const int16_t *)xtml_node_in(ctx, node, 4);
    const int16_t *width = (const int16_t *)xtml_node_in(ctx, node, 5);
    uint64_t *out = (uint64_t *)xtml_node_out(ctx, node, 0);
    uint64_t acc = 0, next = 0;
    int32_t i, j;
    for (i = 0; i <= prm->a; i++) {
        for (j = 0; j < width[i]; j++) {
            uint64_t x = in[fs[i] + j];
            acc += (uint64_t)(int64_t)w[ws[i] + j] * x;
            next += (uint64_t)(int64_t)uw[ws[i] + j] * x;
        }
        if (i > 0) {
            out[i - 1] = acc;
        }
        acc = next;
        next = 0;
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_filter_bank = { "SignalFilterBank", fb_prepare, fb_eval };

/* ---- SignalFilterBankSquareRoot ---- */

static xtml_status_t fb_sqrt_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, bits, out;
    signal_params_t tmp;
    memset(&tmp, 0, sizeof tmp);
    TRY(expect_io(p, 2, 1));
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &bits);
    xtml_prep_output(p, 0, &out);
    if (bits.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "the scale bits (input 1) are required");
    }
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_UINT64));
    TRY(xtml_prep_expect_type(p, &bits, "scale bits", XTML_DTYPE_INT32));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_UINT32));
    TRY(expect_rank(p, &in, "input", 1));
    TRY(expect_rank(p, &bits, "scale bits", 0));
    TRY(expect_rank(p, &out, "output", 1));
    TRY(expect_same_count(p, &out, "output", in.count));
    tmp.count = in.count;
    return signal_persist(p, &tmp);
}

static xtml_status_t fb_sqrt_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const signal_params_t *prm = (const signal_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    int32_t shift = xtml_ld_i32((const uint8_t *)xtml_node_in(ctx, node, 1));
    uint32_t *out = (uint32_t *)xtml_node_out(ctx, node, 0);
    int32_t i;
    if (shift < 0 || shift > 31) {
#ifndef XTML_NO_DETAIL
        xtml_fmt(ctx->detail, sizeof ctx->detail, "SignalFilterBankSquareRoot: scale bits %" PRId32 " outside [0, 31]",
                 shift);
#endif
        return XTML_STATUS_EVAL_ERROR;
    }
    for (i = 0; i < prm->count; i++) {
        out[i] = isqrt64((uint64_t)xtml_ld_i64(in + 8 * (size_t)i)) >> shift;
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_filter_bank_square_root = { "SignalFilterBankSquareRoot", fb_sqrt_prepare,
                                                                   fb_sqrt_eval };

/* ---- SignalFilterBankLog ---- */

static const char *const fb_log_keys[] = { "input_correction_bits", "output_scale" };

static xtml_status_t fb_log_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_flex_map_t m;
    signal_params_t tmp;
    memset(&tmp, 0, sizeof tmp);
    TRY(expect_io(p, 1, 1));
    TRY(xtml_signal_options(p, &m, fb_log_keys, 2));
    TRY(signal_int(p, &m, "input_correction_bits", 0, 31, &tmp.a));
    TRY(signal_int(p, &m, "output_scale", INT32_MIN, INT32_MAX, &tmp.b));
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_UINT32));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT16));
    TRY(expect_rank(p, &in, "input", 1));
    TRY(expect_rank(p, &out, "output", 1));
    TRY(expect_same_count(p, &out, "output", in.count));
    tmp.count = in.count;
    return signal_persist(p, &tmp);
}

static xtml_status_t fb_log_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const signal_params_t *prm = (const signal_params_t *)node->params;
    const uint32_t *in = (const uint32_t *)xtml_node_in(ctx, node, 0);
    int16_t *out = (int16_t *)xtml_node_out(ctx, node, 0);
    int32_t i;
    for (i = 0; i < prm->count; i++) {
        uint32_t s = in[i] << prm->a;
        uint32_t v = s > 1u ? log_scaled(s, (uint32_t)prm->b) : 0u;
        out[i] = (int16_t)(v < 32767u ? v : 32767u);
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_filter_bank_log = { "SignalFilterBankLog", fb_log_prepare, fb_log_eval };

/* ---- SignalPCAN ---- */

static const char *const pcan_keys[] = { "snr_shift" };

static xtml_status_t pcan_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, noise, lut, out;
    xtml_flex_map_t m;
    signal_params_t tmp;
    memset(&tmp, 0, sizeof tmp);
    TRY(expect_io(p, 3, 1));
    TRY(xtml_signal_options(p, &m, pcan_keys, 1));
    TRY(signal_int(p, &m, "snr_shift", 0, 63, &tmp.a));
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &noise);
    xtml_prep_input(p, 2, &lut);
    xtml_prep_output(p, 0, &out);
    if (noise.index < 0 || lut.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "the noise estimate and the gain table are required");
    }
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_UINT32));
    TRY(xtml_prep_expect_type(p, &noise, "noise estimate", XTML_DTYPE_UINT32));
    TRY(xtml_prep_expect_type(p, &lut, "gain table", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_UINT32));
    TRY(expect_rank(p, &in, "input", 1));
    TRY(expect_rank(p, &noise, "noise estimate", 1));
    TRY(expect_rank(p, &lut, "gain table", 1));
    TRY(expect_rank(p, &out, "output", 1));
    TRY(expect_same_count(p, &noise, "noise estimate", in.count));
    TRY(expect_same_count(p, &out, "output", in.count));
    if (lut.count < 3) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "gain table '%s' has %" PRId32 " entries, fewer than 3",
                              lut.name, lut.count);
    }
    tmp.count = in.count;
    tmp.b = lut.count;
    return signal_persist(p, &tmp);
}

static xtml_status_t pcan_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const signal_params_t *prm = (const signal_params_t *)node->params;
    const uint32_t *in = (const uint32_t *)xtml_node_in(ctx, node, 0);
    const uint32_t *noise = (const uint32_t *)xtml_node_in(ctx, node, 1);
    const int16_t *lut = (const int16_t *)xtml_node_in(ctx, node, 2);
    uint32_t *out = (uint32_t *)xtml_node_out(ctx, node, 0);
    int32_t i;
    /* every segment first: a bad estimate leaves the output untouched */
    for (i = 0; i < prm->count; i++) {
        if (noise[i] > 2u && 4 * (int32_t)bit_length32(noise[i]) - 6 + 2 >= prm->b) {
#ifndef XTML_NO_DETAIL
            xtml_fmt(ctx->detail, sizeof ctx->detail, "SignalPCAN: noise estimate %" PRIu32 " past the gain table",
                     noise[i]);
#endif
            return XTML_STATUS_EVAL_ERROR;
        }
    }
    for (i = 0; i < prm->count; i++) {
        uint32_t n = noise[i], gain, snr;
        int16_t g;
        if (n <= 2u) {
            g = lut[n];
        } else {
            int32_t interval = (int32_t)bit_length32(n);
            const int16_t *seg = lut + (4 * interval - 6);
            int32_t frac = (int32_t)((interval < 11 ? n << (11 - interval) : n >> (interval - 11)) & 0x3FFu);
            int32_t r = asr32(seg[2] * frac, 5);
            r = (int32_t)((uint32_t)r + ((uint32_t)(int32_t)seg[1] << 5));
            r = (int32_t)((uint32_t)r * (uint32_t)frac);
            r = asr32((int32_t)((uint32_t)r + (1u << 14)), 15);
            r += seg[0];
            g = (int16_t)(uint16_t)(uint32_t)r;
        }
        gain = (uint32_t)(int32_t)g;
        snr = (uint32_t)(((uint64_t)in[i] * gain) >> prm->a);
        out[i] = snr < (2u << 12) ? (snr * snr) >> 20 : (snr >> 6) - 64u;
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_pcan = { "SignalPCAN", pcan_prepare, pcan_eval };
