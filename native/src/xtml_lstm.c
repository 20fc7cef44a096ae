/*
 * xtml_lstm.c - UNIDIRECTIONAL_SEQUENCE_LSTM: float32, int8 activations with
 * an int16 cell state (int8 weights, int32 biases) and 16x8 (int16
 * activations, int8 weights, int64 biases), bit-exact with TFLM's reference
 * kernel.
 *
 * Inputs (24, TFLite's numbering): 0 x, 1-4 input-to-{input, forget, cell,
 * output} weights [state][input], 5-8 recurrent-to-{...} weights
 * [state][state], 9-11 peephole weights, 12-15 gate biases [state], 16-17
 * projection weights and bias, 18 the output (hidden) state [batch][state]
 * and 19 the cell state (batch x state elements), both variable tensors kept
 * between invokes (xtml_reset_state() clears them), 20-23 layer-norm
 * coefficients. TFLM's kernel runs the standard LSTM only: the peephole,
 * projection and layer-norm inputs must be absent and the input gate
 * present (no CIFG); we refuse the same models.
 *
 * x is [time][batch][input] when time_major, else [batch][time][input]; the
 * output has x's first two dimensions and `state` units. Time-major steps
 * run every batch row at once; batch-major runs each batch's sequence alone.
 * One step, for the rows of that step:
 *   f = sigmoid(W_f x + b_f + R_f h), i = sigmoid(W_i x + b_i + R_i h),
 *   g = act(W_g x + b_g + R_g h)  (act: the options' activation, TANH; TFLM
 *                                  aborts on any other, so we refuse them),
 *   c = f * c (+ clip) then c = c + i * g, clipped to +-cell_clip when > 0,
 *   o = sigmoid(W_o x + b_o + R_o h), h = tanh(c) * o, output row = h.
 *
 * Integer arithmetic, as TFLM quantizes it: every gate's two products
 * (input and recurrent, the bias on the input one) are requantized to int16
 * at scale 2^-12 and added with saturation; sigmoid and tanh are TFLite's
 * int16 table interpolations (Q3.12 in, Q0.15 out); the products f*c, i*g and
 * tanh(c)*o are requantized multiplications into the cell state's scale
 * (int16) and the hidden state's scale and zero point (int8 or int16). tanh
 * of the cell state reads it at 2^p with p = round(log2(cell scale)), so a
 * cell scale that is not a power of two is read as the nearest one (as in
 * TFLM). int8 products accumulate in int32 (TFLite's double-rounding
 * requantization); int16 in int64 with its 64-bit requantization. Float
 * keeps TFLM's orders and its clamps to +-FLT_MAX after each product.
 */
#include <float.h>

#include "xtml_internal.h"

enum { LSTM_F32 = 0, LSTM_S8 = 1, LSTM_S16 = 2 };

/* Options (UnidirectionalSequenceLSTMOptions). */
enum { LSTM_OPT_ACTIVATION = 0, LSTM_OPT_CELL_CLIP = 1, LSTM_OPT_TIME_MAJOR = 3 };

/* Input slots. */
enum {
    LSTM_IN_X = 0, LSTM_IN_W = 1, LSTM_IN_R = 5, LSTM_IN_PEEPHOLE = 9, LSTM_IN_BIAS = 12,
    LSTM_IN_PROJECTION = 16, LSTM_IN_HIDDEN = 18, LSTM_IN_CELL = 19, LSTM_IN_LAYER_NORM = 20,
    LSTM_INPUTS = 24
};

/* Gates in TFLite's order (input, forget, cell, output). */
enum { LSTM_GATE_I = 0, LSTM_GATE_F = 1, LSTM_GATE_G = 2, LSTM_GATE_O = 3 };

typedef struct lstm_rq {
    int32_t mult, shift;
} lstm_rq_t;

typedef struct lstm_node {
    int32_t batch, steps, input, state;
    uint8_t kind;
    uint8_t time_major;
    uint8_t clip;             /* cell_clip > 0 */
    uint8_t pad_;
    float cell_clip;          /* float */
    int32_t qclip;            /* integer: the clip in cell-state units */
    int32_t tanh_mult, tanh_shift; /* tanh of the cell state */
    int32_t input_zp, hidden_zp, hidden_min, hidden_max;
    lstm_rq_t in_fc[4], rec_fc[4]; /* per gate: input and recurrent products to 2^-12 */
    lstm_rq_t mul_fc, mul_ig, mul_oh; /* f * c, i * g, tanh(c) * o */
} lstm_node_t;

/* The tensors of one eval. */
typedef struct lstm_io {
    const void *x;
    const void *w[4], *r[4], *bias[4];
    void *h, *c, *out;
} lstm_io_t;

/* ---- integer pieces ---- */

static int16_t lstm_sat16(int32_t v) {
    return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
}

/* int16 sigmoid, input Q3.12, output Q0.15: TFLite's interpolated table
 * (xtml_activations.c), in steps of 1 / (3 * 4096). */
static int16_t lstm_sigmoid_s16(int16_t v) {
    return (int16_t)xtml_sigmoid16_interp((int32_t)v * 3);
}

/* int16 tanh: the input scaled by mult (then a rounding right shift), then
 * the same table, output Q0.15. */
static int16_t lstm_tanh_s16(int16_t v, int32_t mult, int32_t shift) {
    int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    int32_t x = (int32_t)(uint32_t)((uint32_t)((int32_t)v * (int64_t)mult) + (uint32_t)round) >> shift;
    return (int16_t)xtml_tanh16_interp(x);
}

/* out[r][s] = int16(requantize(bias[s] + sum_i w[s][i] (x[r][i] - zp))) for int8 x. */
static void lstm_fc_s8(const lstm_node_t *n, int32_t rows, int32_t depth, const int8_t *x, int32_t zp,
                       const int8_t *w, const int32_t *bias, lstm_rq_t rq, int16_t *out) {
    int32_t r, s, i;
    for (r = 0; r < rows; r++) {
        const int8_t *xr = x + (size_t)r * (size_t)depth;
        for (s = 0; s < n->state; s++) {
            const int8_t *ws = w + (size_t)s * (size_t)depth;
            uint32_t acc = 0;
            for (i = 0; i < depth; i++) {
                acc += (uint32_t)((int32_t)ws[i] * ((int32_t)xr[i] - zp));
            }
            if (bias != NULL) {
                acc += (uint32_t)bias[s];
            }
            *out++ = lstm_sat16(xtml_mul_by_quantized_multiplier((int32_t)acc, rq.mult, (int)rq.shift));
        }
    }
}

/* TFLite's 64-bit requantization (the multiplier cut to 16 bits, one
 * rounding shift), wrapping where an int64 bias takes the sum out of range
 * instead of overflowing. */
static int32_t lstm_rq64(uint64_t x, lstm_rq_t rq) {
    uint64_t reduced = rq.mult < 0x7FFF0000 ? (uint64_t)((rq.mult + (1 << 15)) >> 16) : 0x7FFFu;
    int total = 15 - (int)rq.shift;
    uint64_t r = x * reduced + ((uint64_t)1 << (total - 1));
    return (int32_t)(uint32_t)(uint64_t)((int64_t)r >> total);
}

/* The same for int16 x and int64 biases (64-bit sums; the bias read byte-wise, see xtml_verify.c). */
static void lstm_fc_s16(const lstm_node_t *n, int32_t rows, int32_t depth, const int16_t *x, int32_t zp,
                        const int8_t *w, const uint8_t *bias, lstm_rq_t rq, int16_t *out) {
    int32_t r, s, i;
    for (r = 0; r < rows; r++) {
        const int16_t *xr = x + (size_t)r * (size_t)depth;
        for (s = 0; s < n->state; s++) {
            const int8_t *ws = w + (size_t)s * (size_t)depth;
            uint64_t acc = 0;
            for (i = 0; i < depth; i++) {
                acc += (uint64_t)(int64_t)((int32_t)ws[i] * ((int32_t)xr[i] - zp));
            }
            if (bias != NULL) {
                acc += (uint64_t)xtml_ld_i64(bias + 8 * (size_t)s);
            }
            *out++ = lstm_sat16(lstm_rq64(acc, rq));
        }
    }
}

/* One gate for `rows` rows: both products, their saturating sum, the activation. */
static void lstm_gate_int(const lstm_node_t *n, const lstm_io_t *io, int g, int32_t rows, size_t x_off,
                          size_t h_off, int16_t *out, int16_t *tmp) {
    int32_t k, count = rows * n->state;
    if (n->kind == LSTM_S8) {
        lstm_fc_s8(n, rows, n->input, (const int8_t *)io->x + x_off, n->input_zp, (const int8_t *)io->w[g],
                   (const int32_t *)io->bias[g], n->in_fc[g], out);
        lstm_fc_s8(n, rows, n->state, (const int8_t *)io->h + h_off, n->hidden_zp, (const int8_t *)io->r[g], NULL,
                   n->rec_fc[g], tmp);
    } else {
        lstm_fc_s16(n, rows, n->input, (const int16_t *)io->x + x_off, n->input_zp, (const int8_t *)io->w[g],
                    (const uint8_t *)io->bias[g], n->in_fc[g], out);
        lstm_fc_s16(n, rows, n->state, (const int16_t *)io->h + h_off, n->hidden_zp, (const int8_t *)io->r[g],
                    NULL, n->rec_fc[g], tmp);
    }
    for (k = 0; k < count; k++) {
        int16_t v = lstm_sat16((int32_t)out[k] + (int32_t)tmp[k]);
        /* the cell gate's tanh reads Q3.12: multiplier 3, no shift */
        out[k] = g == LSTM_GATE_G ? lstm_tanh_s16(v, 3, 0) : lstm_sigmoid_s16(v);
    }
}

static int32_t lstm_mul_int(int16_t a, int16_t b, lstm_rq_t rq, int32_t zp, int32_t lo, int32_t hi) {
    int32_t v = xtml_add_wrap(xtml_mul_by_quantized_multiplier((int32_t)a * (int32_t)b, rq.mult, (int)rq.shift), zp);
    return v < lo ? lo : v > hi ? hi : v;
}

static void lstm_step_int(const lstm_node_t *n, const lstm_io_t *io, int32_t rows, size_t x_off, size_t h_off,
                          size_t out_off, int16_t *buf) {
    size_t count = (size_t)rows * (size_t)n->state;
    int16_t *f = buf, *ig = buf + count, *gg = buf + 2 * count, *tmp = buf + 3 * count;
    int16_t *c = (int16_t *)io->c + h_off;
    size_t k;
    lstm_gate_int(n, io, LSTM_GATE_F, rows, x_off, h_off, f, tmp);
    lstm_gate_int(n, io, LSTM_GATE_I, rows, x_off, h_off, ig, tmp);
    lstm_gate_int(n, io, LSTM_GATE_G, rows, x_off, h_off, gg, tmp);
    for (k = 0; k < count; k++) {
        int32_t fc = lstm_mul_int(f[k], c[k], n->mul_fc, 0, -32768, 32767);
        int32_t ic = lstm_mul_int(ig[k], gg[k], n->mul_ig, 0, -32768, 32767);
        int32_t v = lstm_sat16(fc + ic);
        if (n->clip) {
            v = v < n->qclip ? v : n->qclip;
            v = v > -n->qclip ? v : -n->qclip;
        }
        c[k] = (int16_t)v;
    }
    /* the output gate reads the hidden state before this step's update */
    lstm_gate_int(n, io, LSTM_GATE_O, rows, x_off, h_off, ig, tmp);
    for (k = 0; k < count; k++) {
        int16_t t = lstm_tanh_s16(c[k], n->tanh_mult, n->tanh_shift);
        int32_t v = lstm_mul_int(t, ig[k], n->mul_oh, n->hidden_zp, n->hidden_min, n->hidden_max);
        if (n->kind == LSTM_S8) {
            ((int8_t *)io->h)[h_off + k] = (int8_t)v;
            ((int8_t *)io->out)[out_off + k] = (int8_t)v;
        } else {
            ((int16_t *)io->h)[h_off + k] = (int16_t)v;
            ((int16_t *)io->out)[out_off + k] = (int16_t)v;
        }
    }
}

/* ---- float ---- */

static float lstm_clamp_max(float v) {
    v = v < -FLT_MAX ? -FLT_MAX : v;
    return FLT_MAX < v ? FLT_MAX : v;
}

static float lstm_sigmoid_f32(float x) {
    if (x > 16.619047164916992188f) {
        return 1.0f;
    }
    if (x < -9.0f) {
        return xtml_exp_f32(x);
    }
    return 1.0f / (1.0f + xtml_exp_f32(-x));
}

/* out[r][s] = clamp(sum_i x[r][i] w[s][i] + bias[s]), products summed from 0.0f. */
static void lstm_fc_f32(const lstm_node_t *n, int32_t rows, int32_t depth, const float *x, const float *w,
                        const float *bias, float *out) {
    int32_t r, s, i;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * (size_t)depth;
        for (s = 0; s < n->state; s++) {
            const float *ws = w + (size_t)s * (size_t)depth;
            float total = 0.0f;
            for (i = 0; i < depth; i++) {
                total += (float)(xr[i] * ws[i]);
            }
            *out++ = lstm_clamp_max(total + (bias != NULL ? bias[s] : 0.0f));
        }
    }
}

static void lstm_gate_f32(const lstm_node_t *n, const lstm_io_t *io, int g, int32_t rows, size_t x_off,
                          size_t h_off, float *out, float *tmp) {
    int32_t k, count = rows * n->state;
    lstm_fc_f32(n, rows, n->input, (const float *)io->x + x_off, (const float *)io->w[g],
                (const float *)io->bias[g], out);
    lstm_fc_f32(n, rows, n->state, (const float *)io->h + h_off, (const float *)io->r[g], NULL, tmp);
    for (k = 0; k < count; k++) {
        float v = out[k] + tmp[k];
        out[k] = g == LSTM_GATE_G ? xtml_tanh_f32(v) : lstm_sigmoid_f32(v);
    }
}

static void lstm_step_f32(const lstm_node_t *n, const lstm_io_t *io, int32_t rows, size_t x_off, size_t h_off,
                          size_t out_off, float *buf) {
    size_t count = (size_t)rows * (size_t)n->state;
    float *f = buf, *ig = buf + count, *gg = buf + 2 * count, *tmp = buf + 3 * count;
    float *c = (float *)io->c + h_off;
    float *h = (float *)io->h + h_off;
    size_t k;
    lstm_gate_f32(n, io, LSTM_GATE_F, rows, x_off, h_off, f, tmp);
    lstm_gate_f32(n, io, LSTM_GATE_I, rows, x_off, h_off, ig, tmp);
    lstm_gate_f32(n, io, LSTM_GATE_G, rows, x_off, h_off, gg, tmp);
    for (k = 0; k < count; k++) {
        float fc = lstm_clamp_max((float)(f[k] * c[k]));
        float ic = lstm_clamp_max((float)(ig[k] * gg[k]));
        float v = fc + ic;
        if (n->clip) {
            v = v < n->cell_clip ? v : n->cell_clip;
            v = v < -n->cell_clip ? -n->cell_clip : v;
        }
        c[k] = v;
    }
    lstm_gate_f32(n, io, LSTM_GATE_O, rows, x_off, h_off, ig, tmp);
    for (k = 0; k < count; k++) {
        float v = lstm_clamp_max((float)(xtml_tanh_f32(c[k]) * ig[k]));
        h[k] = v;
        ((float *)io->out)[out_off + k] = v;
    }
}

/* ---- eval ---- */

static xtml_status_t lstm_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const lstm_node_t *n = (const lstm_node_t *)node->params;
    lstm_io_t io;
    int32_t b, t, g;
    io.x = xtml_node_in(ctx, node, LSTM_IN_X);
    for (g = 0; g < 4; g++) {
        io.w[g] = xtml_node_in(ctx, node, LSTM_IN_W + g);
        io.r[g] = xtml_node_in(ctx, node, LSTM_IN_R + g);
        io.bias[g] = xtml_node_in(ctx, node, LSTM_IN_BIAS + g);
    }
    io.h = xtml_node_in(ctx, node, LSTM_IN_HIDDEN);
    io.c = xtml_node_in(ctx, node, LSTM_IN_CELL);
    io.out = xtml_node_out(ctx, node, 0);
    if (n->time_major) {
        /* every batch row in each step */
        for (t = 0; t < n->steps; t++) {
            size_t x_off = (size_t)t * (size_t)n->batch * (size_t)n->input;
            size_t out_off = (size_t)t * (size_t)n->batch * (size_t)n->state;
            if (n->kind == LSTM_F32) {
                lstm_step_f32(n, &io, n->batch, x_off, 0, out_off, (float *)node->scratch);
            } else {
                lstm_step_int(n, &io, n->batch, x_off, 0, out_off, (int16_t *)node->scratch);
            }
        }
        return XTML_STATUS_OK;
    }
    /* batch-major: one batch's sequence at a time, one row per step */
    for (b = 0; b < n->batch; b++) {
        for (t = 0; t < n->steps; t++) {
            size_t row = (size_t)b * (size_t)n->steps + (size_t)t;
            size_t h_off = (size_t)b * (size_t)n->state;
            if (n->kind == LSTM_F32) {
                lstm_step_f32(n, &io, 1, row * (size_t)n->input, h_off, row * (size_t)n->state,
                              (float *)node->scratch);
            } else {
                lstm_step_int(n, &io, 1, row * (size_t)n->input, h_off, row * (size_t)n->state,
                              (int16_t *)node->scratch);
            }
        }
    }
    return XTML_STATUS_OK;
}

/* ---- prepare ---- */

static const char *const lstm_gate_names[4] = { "input", "forget", "cell", "output" };

static xtml_status_t lstm_expect_dims(xtml_prep_t *p, const xtml_tinfo_t *t, int slot, int32_t d0, int32_t d1) {
    if (t->ndim != 2 || t->dims[0] != d0 || t->dims[1] != d1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input %d '%s' must be [%" PRId32 ", %" PRId32 "] (rank %" PRId32 ")", slot, t->name,
                              d0, d1, t->ndim);
    }
    return XTML_STATUS_OK;
}

/* A requantization TFLM computes as (double)a * b / c; false when its shift
 * is outside what the multiplication takes (max_shift 30, or 7 for 64-bit). */
static bool lstm_rq(float a, float b, float c, int max_shift, lstm_rq_t *rq) {
    int shift = 0;
    xtml_quantize_f32_mul_div(a, b, c, &rq->mult, &shift);
    rq->shift = shift;
    return shift >= -31 && shift <= max_shift;
}

/* round(log2(scale)) for a positive finite float: the exponent, plus one
 * when the significand is at least sqrt(2) (0x3504F3 is its fraction). */
static int32_t lstm_log2_round(float scale) {
    uint32_t bits;
    int32_t e;
    memcpy(&bits, &scale, sizeof bits);
    e = (int32_t)(bits >> 23) - 127;
    if (e == -127) {
        return -126; /* subnormal: clamps (a scale this small is refused anyway) */
    }
    return e + ((bits & 0x7FFFFFu) >= 0x3504F3u ? 1 : 0);
}

/* (int16)min(clip / scale, 32767), truncated toward zero, for clip > 0. */
static int32_t lstm_quantized_clip(float clip, float scale) {
    uint32_t cb, sb;
    uint64_t cm, sm, q;
    int32_t d;
    memcpy(&cb, &clip, sizeof cb);
    memcpy(&sb, &scale, sizeof sb);
    if ((cb >> 23) >= 0xFFu) {
        return 32767; /* infinity */
    }
    cm = (cb & 0x7FFFFFu) | ((cb >> 23) != 0 ? 0x800000u : 0u);
    sm = (sb & 0x7FFFFFu) | ((sb >> 23) != 0 ? 0x800000u : 0u);
    d = (int32_t)((cb >> 23) != 0 ? cb >> 23 : 1) - (int32_t)((sb >> 23) != 0 ? sb >> 23 : 1);
    if (d > 40) {
        return 32767;
    }
    if (d < -40) {
        return 0;
    }
    q = d >= 0 ? (cm << d) / sm : cm / (sm << -d);
    return q > 32767u ? 32767 : (int32_t)q;
}

static xtml_status_t lstm_prepare_int(xtml_prep_t *p, lstm_node_t *n, const xtml_tinfo_t *ti, const xtml_tinfo_t *hid,
                                      const xtml_tinfo_t *cell, float cell_clip) {
    const float gate_scale = 1.0f / 4096.0f, act_scale = 1.0f / 32768.0f;
    int max_shift = n->kind == LSTM_S8 ? 30 : 7;
    int32_t power, left;
    xtml_status_t st;
    int k;
    if ((st = xtml_prep_expect_quantized(p, &ti[LSTM_IN_X], "input")) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_quantized(p, hid, "output state")) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_quantized(p, cell, "cell state")) != XTML_STATUS_OK) {
        return st;
    }
    for (k = LSTM_IN_W; k < LSTM_IN_R + 4; k++) {
        const xtml_tinfo_t *w = &ti[k];
        if ((st = xtml_prep_expect_quantized(p, w, "weights")) != XTML_STATUS_OK) {
            return st;
        }
        if (w->n_scales > 1) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "weights '%s' are quantized per channel (TFLM's LSTM takes one scale)", w->name);
        }
        if (w->zero_point != 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "weights '%s' have zero point %" PRId32
                                  ", expected 0", w->name, w->zero_point);
        }
    }
    if (n->kind == LSTM_S8 && (ti[LSTM_IN_X].zero_point < -128 || ti[LSTM_IN_X].zero_point > 127 ||
                               hid->zero_point < -128 || hid->zero_point > 127)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "input and output state zero points must fit int8");
    }
    if (n->kind == LSTM_S16 && (ti[LSTM_IN_X].zero_point < -32768 || ti[LSTM_IN_X].zero_point > 32767 ||
                                hid->zero_point < -32768 || hid->zero_point > 32767)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "input and output state zero points must fit int16");
    }
    for (k = 0; k < 4; k++) {
        if (!lstm_rq(ti[LSTM_IN_X].scale, ti[LSTM_IN_W + k].scale, gate_scale, max_shift, &n->in_fc[k]) ||
            !lstm_rq(hid->scale, ti[LSTM_IN_R + k].scale, gate_scale, max_shift, &n->rec_fc[k])) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "the %s gate's requantization scale is out of range", lstm_gate_names[k]);
        }
    }
    if (!lstm_rq(act_scale, cell->scale, cell->scale, 30, &n->mul_fc) ||
        !lstm_rq(act_scale, act_scale, cell->scale, 30, &n->mul_ig) ||
        !lstm_rq(act_scale, act_scale, hid->scale, 30, &n->mul_oh)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "cell state scale %s or output state scale %s out of range", XTML_F32(cell->scale),
                              XTML_F32(hid->scale));
    }
    power = lstm_log2_round(cell->scale);
    if (power < -40 || power > 3) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "cell state scale %s: 2^%" PRId32 " is outside 2^-40 .. 2^3", XTML_F32(cell->scale),
                              power);
    }
    /* tanh reads Q3.12: scale the cell state by 3 * 2^(12 + power) */
    left = 12 + power;
    n->tanh_mult = left >= 0 ? 3 << left : 3;
    n->tanh_shift = left >= 0 ? 0 : -left;
    n->qclip = n->clip ? lstm_quantized_clip(cell_clip, cell->scale) : 0;
    n->input_zp = ti[LSTM_IN_X].zero_point;
    n->hidden_zp = hid->zero_point;
    n->hidden_min = n->kind == LSTM_S8 ? -128 : -32768;
    n->hidden_max = n->kind == LSTM_S8 ? 127 : 32767;
    return XTML_STATUS_OK;
}

static xtml_status_t lstm_prepare(xtml_prep_t *p) {
    xtml_fb_table_t opts;
    xtml_tinfo_t ti[LSTM_INPUTS], out;
    const xtml_tinfo_t *x = &ti[LSTM_IN_X], *hid = &ti[LSTM_IN_HIDDEN], *cell = &ti[LSTM_IN_CELL];
    lstm_node_t tmp, *node;
    xtml_status_t st;
    xtml_dtype_t wtype, btype;
    int32_t act, rows;
    float cell_clip;
    int k;
    memset(&tmp, 0, sizeof tmp);

    if (xtml_prep_n_inputs(p) != LSTM_INPUTS || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "UNIDIRECTIONAL_SEQUENCE_LSTM takes 24 inputs and 1 output, has %d and %d",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    if ((st = xtml_prep_options(p, XTML_OPTS_UNIDIRECTIONAL_SEQUENCE_LSTM, &opts)) != XTML_STATUS_OK) {
        return st;
    }
    act = xtml_fb_i8(&opts, LSTM_OPT_ACTIVATION, 0);
    cell_clip = xtml_fb_f32(&opts, LSTM_OPT_CELL_CLIP, 0.0f);
    tmp.time_major = xtml_fb_bool(&opts, LSTM_OPT_TIME_MAJOR, false) ? 1u : 0u;
    for (k = 0; k < LSTM_INPUTS; k++) {
        xtml_prep_input(p, k, &ti[k]);
    }
    xtml_prep_output(p, 0, &out);
    /* the standard LSTM only, as TFLM */
    for (k = LSTM_IN_X; k < LSTM_IN_PEEPHOLE; k++) {
        if (ti[k].index < 0) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "input %d is absent: TFLM's LSTM needs the input and all eight weights (no CIFG)", k);
        }
    }
    for (k = LSTM_IN_BIAS; k < LSTM_IN_PROJECTION; k++) {
        if (ti[k].index < 0) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "the %s gate's bias (input %d) is absent",
                                  lstm_gate_names[k - LSTM_IN_BIAS], k);
        }
    }
    for (k = LSTM_IN_PEEPHOLE; k < LSTM_INPUTS; k++) {
        if (ti[k].index >= 0 && (k < LSTM_IN_BIAS || (k >= LSTM_IN_PROJECTION && k < LSTM_IN_HIDDEN) ||
                                 k >= LSTM_IN_LAYER_NORM)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "input %d '%s' is present: peephole, projection and layer norm are not supported "
                                  "(TFLM runs the standard LSTM only)", k, ti[k].name);
        }
    }
    if (hid->index < 0 || cell->index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "the output state and the cell state are required");
    }
    if (!hid->is_variable || !cell->is_variable) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "%s state '%s' is not a variable tensor",
                              hid->is_variable ? "cell" : "output", hid->is_variable ? cell->name : hid->name);
    }
    if (act != XTML_ACT_TANH) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "activation %" PRId32 " not supported (TFLM's LSTM runs TANH only)", act);
    }
    /* types */
    if (x->type != XTML_DTYPE_FLOAT32 && x->type != XTML_DTYPE_INT8 && x->type != XTML_DTYPE_INT16) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input '%s' is %s, expected float32, int8 or int16",
                              x->name, xtml_dtype_name(x->type));
    }
    wtype = x->type == XTML_DTYPE_FLOAT32 ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT8;
    btype = x->type == XTML_DTYPE_FLOAT32 ? XTML_DTYPE_FLOAT32
            : x->type == XTML_DTYPE_INT8  ? XTML_DTYPE_INT32
                                          : XTML_DTYPE_INT64;
    if ((st = xtml_prep_expect_type(p, hid, "output state", x->type)) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_type(p, &out, "output", x->type)) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_type(p, cell, "cell state",
                                    x->type == XTML_DTYPE_FLOAT32 ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT16)) !=
            XTML_STATUS_OK) {
        return st;
    }
    for (k = LSTM_IN_W; k < LSTM_IN_PEEPHOLE; k++) {
        if ((st = xtml_prep_expect_type(p, &ti[k], "weights", wtype)) != XTML_STATUS_OK) {
            return st;
        }
    }
    for (k = LSTM_IN_BIAS; k < LSTM_IN_PROJECTION; k++) {
        if ((st = xtml_prep_expect_type(p, &ti[k], "bias", btype)) != XTML_STATUS_OK) {
            return st;
        }
    }
    /* shapes */
    if (x->ndim != 3 || x->dims[0] <= 0 || x->dims[1] <= 0 || x->dims[2] <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input '%s' must be 3-D and not empty (rank %" PRId32 ")",
                              x->name, x->ndim);
    }
    if (hid->ndim != 2 || hid->dims[1] <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output state '%s' must be [batch, units] (rank %" PRId32
                              ")", hid->name, hid->ndim);
    }
    tmp.batch = tmp.time_major ? x->dims[1] : x->dims[0];
    tmp.steps = tmp.time_major ? x->dims[0] : x->dims[1];
    tmp.input = x->dims[2];
    tmp.state = hid->dims[1];
    for (k = 0; k < 4; k++) {
        if ((st = lstm_expect_dims(p, &ti[LSTM_IN_W + k], LSTM_IN_W + k, tmp.state, tmp.input)) != XTML_STATUS_OK ||
            (st = lstm_expect_dims(p, &ti[LSTM_IN_R + k], LSTM_IN_R + k, tmp.state, tmp.state)) != XTML_STATUS_OK) {
            return st;
        }
        if (ti[LSTM_IN_BIAS + k].ndim != 1 || ti[LSTM_IN_BIAS + k].dims[0] != tmp.state) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "bias %d '%s' must be [%" PRId32 "]",
                                  LSTM_IN_BIAS + k, ti[LSTM_IN_BIAS + k].name, tmp.state);
        }
    }
    if ((int64_t)tmp.batch * tmp.state > INT32_MAX / 4 || hid->count != tmp.batch * tmp.state ||
        cell->count != tmp.batch * tmp.state) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output state and cell state must hold batch x units = %" PRId32 " x %" PRId32
                              " elements", tmp.batch, tmp.state);
    }
    if (out.ndim != 3 || out.dims[0] != x->dims[0] || out.dims[1] != x->dims[1] || out.dims[2] != tmp.state) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output '%s' must be [%" PRId32 ", %" PRId32 ", %" PRId32 "]", out.name, x->dims[0],
                              x->dims[1], tmp.state);
    }
    /* TFLM clips when cell_clip > 0 (a NaN never) */
    tmp.clip = cell_clip > 0.0f ? 1u : 0u;
    tmp.cell_clip = cell_clip;
    if (x->type == XTML_DTYPE_FLOAT32) {
        tmp.kind = LSTM_F32;
    } else {
        tmp.kind = x->type == XTML_DTYPE_INT8 ? LSTM_S8 : LSTM_S16;
        if ((st = lstm_prepare_int(p, &tmp, ti, hid, cell, cell_clip)) != XTML_STATUS_OK) {
            return st;
        }
    }
    /* four buffers of one step's rows (all batches when time-major, else one) */
    rows = tmp.time_major ? tmp.batch : 1;
    xtml_prep_scratch(p, 4u * (size_t)rows * (size_t)tmp.state * (tmp.kind == LSTM_F32 ? 4u : 2u));
    xtml_prep_set_macs(p, (uint64_t)tmp.batch * (uint64_t)tmp.steps * 4u * (uint64_t)tmp.state *
                              (uint64_t)(tmp.input + tmp.state));
    node = (lstm_node_t *)XTML_PREP_PERSIST(p, lstm_node_t, 0);
    if (node == NULL) {
        return XTML_STATUS_OK;
    }
    *node = tmp;
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_unidirectional_sequence_lstm = { "UNIDIRECTIONAL_SEQUENCE_LSTM", lstm_prepare,
                                                                 lstm_eval };
