/*
 * xtml_signal_stream.c - the custom operators of TFLM's signal library that
 * keep state between invokes, bit-exact with its reference kernels:
 * SignalFilterBankSpectralSubtraction, SignalDelay, SignalFramer,
 * SignalStacker, SignalOverlapAdd.
 *
 * State: each kernel's persistent block (its parameters, then its state)
 * lives in the arena. A model using one of them has the context extension
 * (xtml_custom_has_state(), xtml_model_has_ext()), whose epoch
 * xtml_reset_state() advances; a kernel whose recorded epoch differs from
 * the extension's sets its state to what TFLM's init/reset makes before it
 * runs (so init, which resets, and every later reset start the same way).
 *
 * Options are FlexBuffer maps holding exactly the keys TFLM's kernel reads
 * (BAD_OPTIONS otherwise). TFLM does not compare its options with the
 * tensors' sizes, and asserts nothing about its circular buffers in release
 * builds: we refuse at prepare every configuration in which it would read or
 * write outside a tensor or a buffer, or shift by the type's width or more.
 *
 * Arithmetic and buffering, as the library defines them:
 * - SpectralSubtraction (uint32, num_channels): per channel i (even i:
 *   smoothing, one_minus_smoothing; odd i: the alternate pair), with
 *   up = x << smoothing_bits (uint32): n = (up * s + n * (1 - s)) >> ss_bits
 *   in uint64, stored as uint32; e = min(n, up), and n = e when clamping;
 *   floor = (x * min_signal_remaining) >> ss_bits (uint64, kept as uint32);
 *   out = max((up - e) >> smoothing_bits, floor). The second output is the
 *   noise estimate after the invoke. Reset: n = 0.
 * - Delay (int16): each row of the innermost dimension is the stream delayed
 *   by delay_length samples, zeros first.
 * - Framer (int16): per row, the stream (frame_size - frame_step zeros first
 *   when prefill) cut into frames of frame_size every frame_step samples; an
 *   invoke takes n = inner / frame_step steps and writes n frames. A frame
 *   whose samples have not all arrived yet (only at the start without
 *   prefill) is not written (zeros here) and sets output_valid false.
 * - Stacker (int16, [num_channels] per invoke): the last L + R + 1 frames
 *   (L, R: left and right context), the first frame repeated L more times at
 *   the start; valid once L + R + 1 frames are held, then stacker_step
 *   frames are dropped. An invalid invoke leaves the output as it was
 *   (zeros before the first valid one).
 * - OverlapAdd (int16 or float32, [.., frames, frame_size] in): each frame
 *   is added into a frame_size buffer (int16 saturating, float32 sums), the
 *   first frame_step values go out and the buffer shifts by frame_step.
 */
#include "xtml_signal.h"

#define TRY(expr)                                 \
    do {                                          \
        xtml_status_t st_ = (expr);               \
        if (st_ != XTML_STATUS_OK) return st_;    \
    } while (0)

/* The kernels that keep state, by custom_code. */
static const char *const stateful[] = { "SignalFilterBankSpectralSubtraction", "SignalDelay", "SignalFramer",
                                        "SignalStacker", "SignalOverlapAdd" };

bool xtml_custom_has_state(const char *custom_code) {
    size_t i;
    for (i = 0; custom_code != NULL && i < sizeof stateful / sizeof stateful[0]; i++) {
        if (strcmp(custom_code, stateful[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* What every stateful kernel's persistent block starts with. */
typedef struct stream_state {
    const xtml_ext_t *ext;   /* its epoch advances at each xtml_reset_state() */
    uint32_t epoch;          /* the epoch this state belongs to */
} stream_state_t;

/* Whether the state must be set to its reset value before this invoke. */
static bool stream_stale(stream_state_t *s) {
    if (s->epoch == s->ext->epoch) {
        return false;
    }
    s->epoch = s->ext->epoch;
    return true;
}

/* ---- prepare helpers ---- */

static xtml_status_t stream_io(xtml_prep_t *p, int n_in, int n_out) {
    if (xtml_prep_n_inputs(p) != n_in || xtml_prep_n_outputs(p) != n_out) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected %d and %d",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p), n_in, n_out);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t stream_rank(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, int32_t lo, int32_t hi) {
    if (t->ndim < lo || t->ndim > hi) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' has rank %" PRId32 ", expected %" PRId32 "%s",
                              role, t->name, t->ndim, lo, hi > lo ? " or more" : "");
    }
    return XTML_STATUS_OK;
}

static xtml_status_t stream_count(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, int64_t count) {
    if ((int64_t)t->count != count) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' has %" PRId32 " elements, expected %lld", role,
                              t->name, t->count, (long long)count);
    }
    return XTML_STATUS_OK;
}

/* The persistent block: the kernel's parameters `params` (`head` bytes, a
 * stream_state_t first), then `state` bytes (their size does not depend on
 * the pointer size). Nothing is stored while measuring; the extension must
 * exist otherwise. The stream_state_t already in the block is kept: prepare
 * runs again on a block that holds it. */
static xtml_status_t stream_persist(xtml_prep_t *p, const void *params, size_t head, size_t head32, uint64_t state) {
    stream_state_t *s;
    if (state > (uint64_t)INT32_MAX) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "its state would take %llu bytes", (unsigned long long)state);
    }
    s = (stream_state_t *)xtml_prep_persist(p, head + (size_t)state, head32 + (size_t)state);
    if (s == NULL) {
        return XTML_STATUS_OK;
    }
    s->ext = xtml_prep_ext(p);
    if (s->ext == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "keeps state but the model has no extension");
    }
    memcpy((uint8_t *)s + sizeof *s, (const uint8_t *)params + sizeof *s, head - sizeof *s);
    return XTML_STATUS_OK;
}

/* ---- SignalFilterBankSpectralSubtraction ---- */

typedef struct spectral_params {
    stream_state_t s;
    int32_t channels;
    uint32_t smoothing[2];            /* even, odd channels */
    uint32_t one_minus_smoothing[2];
    uint32_t min_signal_remaining;
    uint8_t smoothing_bits;
    uint8_t spectral_bits;
    uint8_t clamping;
    uint8_t reserved;
    /* uint32_t noise[channels] follows */
} spectral_params_t;

static const char *const spectral_keys[] = {
    "alternate_one_minus_smoothing", "alternate_smoothing", "clamping", "min_signal_remaining", "num_channels",
    "one_minus_smoothing", "smoothing", "smoothing_bits", "spectral_subtraction_bits",
};

static xtml_status_t spectral_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out, noise;
    xtml_flex_map_t m;
    spectral_params_t tmp;
    int64_t v[9];
    int k;
    memset(&tmp, 0, sizeof tmp);
    TRY(stream_io(p, 1, 2));
    TRY(xtml_signal_options(p, &m, spectral_keys, 9));
    /* the uint32 coefficients: TFLM reads them as int32 and keeps the bits */
    for (k = 0; k < 9; k++) {
        int64_t lo = INT32_MIN, hi = UINT32_MAX;
        if (k == 2) {
            lo = 0, hi = 1;
        } else if (k == 4) {
            lo = 1, hi = INT32_MAX;
        } else if (k == 7) {
            lo = 0, hi = 31;   /* a uint32 shift */
        } else if (k == 8) {
            lo = 0, hi = 63;   /* a uint64 shift */
        }
        TRY(xtml_signal_int64(p, &m, spectral_keys[k], lo, hi, &v[k]));
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    xtml_prep_output(p, 1, &noise);
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_UINT32));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_UINT32));
    TRY(xtml_prep_expect_type(p, &noise, "noise estimate", XTML_DTYPE_UINT32));
    TRY(stream_rank(p, &in, "input", 1, 1));
    TRY(stream_rank(p, &out, "output", 1, 1));
    TRY(stream_rank(p, &noise, "noise estimate", 1, 1));
    TRY(stream_count(p, &in, "input", v[4]));
    TRY(stream_count(p, &out, "output", v[4]));
    TRY(stream_count(p, &noise, "noise estimate", v[4]));
    tmp.channels = (int32_t)v[4];
    tmp.one_minus_smoothing[1] = (uint32_t)v[0];
    tmp.smoothing[1] = (uint32_t)v[1];
    tmp.clamping = (uint8_t)v[2];
    tmp.min_signal_remaining = (uint32_t)v[3];
    tmp.one_minus_smoothing[0] = (uint32_t)v[5];
    tmp.smoothing[0] = (uint32_t)v[6];
    tmp.smoothing_bits = (uint8_t)v[7];
    tmp.spectral_bits = (uint8_t)v[8];
    return stream_persist(p, &tmp, sizeof tmp, XTML_SIZE32(spectral_params_t),
                          4u * (uint64_t)tmp.channels);
}

static xtml_status_t spectral_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    spectral_params_t *prm = (spectral_params_t *)node->params;
    uint32_t *noise = (uint32_t *)(void *)(prm + 1);
    const uint32_t *in = (const uint32_t *)xtml_node_in(ctx, node, 0);
    uint32_t *out = (uint32_t *)xtml_node_out(ctx, node, 0);
    uint32_t *noise_out = (uint32_t *)xtml_node_out(ctx, node, 1);
    uint32_t sb = prm->smoothing_bits, ssb = prm->spectral_bits;
    int32_t i;
    if (stream_stale(&prm->s)) {
        memset(noise, 0, 4u * (size_t)prm->channels);
    }
    for (i = 0; i < prm->channels; i++) {
        uint32_t x = in[i];
        uint32_t up = x << sb;
        uint32_t est, floor, sub;
        est = (uint32_t)(((uint64_t)up * prm->smoothing[i & 1] + (uint64_t)noise[i] * prm->one_minus_smoothing[i & 1]) >>
                         ssb);
        noise[i] = est;
        if (est > up) {
            est = up;
            if (prm->clamping) {
                noise[i] = up;
            }
        }
        floor = (uint32_t)(((uint64_t)x * prm->min_signal_remaining) >> ssb);
        sub = (up - est) >> sb;
        out[i] = sub > floor ? sub : floor;
    }
    memcpy(noise_out, noise, 4u * (size_t)prm->channels);
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_filter_bank_spectral_subtraction = {
    "SignalFilterBankSpectralSubtraction", spectral_prepare, spectral_eval
};

/* ---- SignalDelay ---- */

typedef struct delay_params {
    stream_state_t s;
    int32_t rows;      /* outer dimensions */
    int32_t frame;     /* innermost dimension */
    int32_t delay;     /* delay_length */
    int32_t reserved;
    /* int16_t held[rows][delay] follows: the last `delay` samples of each row */
} delay_params_t;

static const char *const delay_keys[] = { "delay_length" };

/* The innermost dimension of a tensor of rank >= 1 and how many rows of it. */
static void stream_rows(const xtml_tinfo_t *t, int32_t *rows, int32_t *inner) {
    *inner = t->dims[t->ndim - 1];
    *rows = *inner > 0 ? t->count / *inner : 0;
}

static xtml_status_t delay_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_flex_map_t m;
    delay_params_t tmp;
    int64_t delay;
    memset(&tmp, 0, sizeof tmp);
    TRY(stream_io(p, 1, 1));
    TRY(xtml_signal_options(p, &m, delay_keys, 1));
    TRY(xtml_signal_int64(p, &m, "delay_length", 0, INT32_MAX, &delay));
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT16));
    TRY(stream_rank(p, &in, "input", 1, XTML_MAX_DIMS));
    TRY(xtml_prep_expect_same_shape(p, &in, "input", &out, "output"));
    stream_rows(&in, &tmp.rows, &tmp.frame);
    if (tmp.frame == 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input '%s' has an empty innermost dimension", in.name);
    }
    tmp.delay = (int32_t)delay;
    return stream_persist(p, &tmp, sizeof tmp, XTML_SIZE32(delay_params_t),
                          2u * (uint64_t)tmp.rows * (uint64_t)tmp.delay);
}

static xtml_status_t delay_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    delay_params_t *prm = (delay_params_t *)node->params;
    int16_t *held = (int16_t *)(void *)(prm + 1);
    const int16_t *in = (const int16_t *)xtml_node_in(ctx, node, 0);
    int16_t *out = (int16_t *)xtml_node_out(ctx, node, 0);
    size_t f = (size_t)prm->frame, d = (size_t)prm->delay;
    int32_t r;
    if (stream_stale(&prm->s)) {
        memset(held, 0, 2u * (size_t)prm->rows * d);
    }
    for (r = 0; r < prm->rows; r++, in += f, out += f, held += d) {
        /* the row's stream is held ++ in: out takes its first f samples, held keeps the last d */
        if (d <= f) {
            memcpy(out, held, 2u * d);
            memcpy(out + d, in, 2u * (f - d));
            memcpy(held, in + (f - d), 2u * d);
        } else {
            memcpy(out, held, 2u * f);
            memmove(held, held + f, 2u * (d - f));
            memcpy(held + (d - f), in, 2u * f);
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_delay = { "SignalDelay", delay_prepare, delay_eval };

/* ---- SignalFramer ---- */

typedef struct framer_params {
    stream_state_t s;
    int32_t rows;
    int32_t steps;     /* frame_step blocks per row and invoke */
    int32_t size;      /* frame_size */
    int32_t step;      /* frame_step */
    int32_t capacity;  /* samples a row's buffer holds: frame_size rounded up to whole steps */
    int32_t held;      /* samples in each row's buffer */
    uint8_t prefill;
    uint8_t reserved[3];
    /* int16_t buffer[rows][capacity] follows, oldest sample first */
} framer_params_t;

static const char *const framer_keys[] = { "frame_size", "frame_step", "prefill" };

static xtml_status_t framer_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out, valid;
    xtml_flex_map_t m;
    framer_params_t tmp;
    int64_t size, step, prefill, inner;
    int32_t i;
    memset(&tmp, 0, sizeof tmp);
    TRY(stream_io(p, 1, 2));
    TRY(xtml_signal_options(p, &m, framer_keys, 3));
    TRY(xtml_signal_int64(p, &m, "frame_size", 1, INT16_MAX, &size));
    TRY(xtml_signal_int64(p, &m, "frame_step", 1, INT16_MAX, &step));
    TRY(xtml_signal_int64(p, &m, "prefill", 0, 1, &prefill));
    if (prefill != 0 && step > size) {
        /* TFLM would prefill frame_size - frame_step (negative, as size_t) zeros */
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "prefill with frame_step %lld larger than frame_size %lld",
                              (long long)step, (long long)size);
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    xtml_prep_output(p, 1, &valid);
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &valid, "output_valid", XTML_DTYPE_BOOL));
    TRY(stream_rank(p, &in, "input", 1, XTML_MAX_DIMS - 1));
    TRY(stream_rank(p, &out, "output", in.ndim + 1, in.ndim + 1));
    TRY(stream_rank(p, &valid, "output_valid", 0, 0));
    inner = in.dims[in.ndim - 1];
    if (inner < step || inner % step != 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input '%s': innermost dimension %lld is not a positive multiple of frame_step %lld",
                              in.name, (long long)inner, (long long)step);
    }
    stream_rows(&in, &tmp.rows, &i);
    tmp.steps = (int32_t)(inner / step);
    /* TFLM writes rows x steps frames of frame_size and never checks the output's size */
    for (i = 0; i < in.ndim - 1; i++) {
        if (out.dims[i] != in.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output '%s' dimension %" PRId32 " is %" PRId32
                                  ", the input's is %" PRId32, out.name, i, out.dims[i], in.dims[i]);
        }
    }
    if (out.dims[in.ndim - 1] != tmp.steps || out.dims[in.ndim] != size) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output '%s' ends in [%" PRId32 ", %" PRId32
                              "], expected [%" PRId32 ", %lld] (frames, frame_size)",
                              out.name, out.dims[in.ndim - 1], out.dims[in.ndim], tmp.steps, (long long)size);
    }
    tmp.size = (int32_t)size;
    tmp.step = (int32_t)step;
    tmp.capacity = (int32_t)((size + step - 1) / step * step);
    tmp.prefill = (uint8_t)prefill;
    return stream_persist(p, &tmp, sizeof tmp, XTML_SIZE32(framer_params_t),
                          2u * (uint64_t)tmp.rows * (uint64_t)tmp.capacity);
}

static xtml_status_t framer_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    framer_params_t *prm = (framer_params_t *)node->params;
    int16_t *buffers = (int16_t *)(void *)(prm + 1);
    const int16_t *in = (const int16_t *)xtml_node_in(ctx, node, 0);
    int16_t *out = (int16_t *)xtml_node_out(ctx, node, 0);
    uint8_t *valid = (uint8_t *)xtml_node_out(ctx, node, 1);
    size_t cap = (size_t)prm->capacity, size = (size_t)prm->size, step = (size_t)prm->step;
    int32_t r, k, held;
    if (stream_stale(&prm->s)) {
        memset(buffers, 0, 2u * (size_t)prm->rows * cap);
        prm->held = prm->prefill ? prm->size - prm->step : 0;   /* the prefill's zeros */
    }
    *valid = 1;
    held = prm->held;
    /* every row sees the same number of samples: `held` ends the same for each */
    for (r = 0; r < prm->rows; r++) {
        int16_t *buf = buffers + (size_t)r * cap;
        held = prm->held;
        for (k = 0; k < prm->steps; k++, in += step, out += size) {
            /* held < frame_size before the step, and held + step <= capacity */
            memcpy(buf + held, in, 2u * step);
            held += prm->step;
            if (held >= prm->size) {
                memcpy(out, buf, 2u * size);
                held -= prm->step;
                memmove(buf, buf + step, 2u * (size_t)held);
            } else {
                /* not all of the frame's samples yet: only before the first full frame */
                memset(out, 0, 2u * size);
                *valid = 0;
            }
        }
    }
    prm->held = held;
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_framer = { "SignalFramer", framer_prepare, framer_eval };

/* ---- SignalStacker ---- */

typedef struct stacker_params {
    stream_state_t s;
    int32_t channels;
    int32_t frames;    /* left + right + 1: frames in the output */
    int32_t left;
    int32_t step;      /* frames dropped after each output */
    int32_t held;      /* samples in the buffer */
    uint8_t started;   /* the first frame came (and was repeated) */
    uint8_t produced;  /* an output was written since the reset */
    uint8_t reserved[2];
    /* int16_t buffer[channels * frames] follows, oldest sample first */
} stacker_params_t;

static const char *const stacker_keys[] = { "num_channels", "stacker_left_context", "stacker_right_context",
                                            "stacker_step" };

static xtml_status_t stacker_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out, valid;
    xtml_flex_map_t m;
    stacker_params_t tmp;
    int64_t channels, left, right, step;
    memset(&tmp, 0, sizeof tmp);
    TRY(stream_io(p, 1, 2));
    TRY(xtml_signal_options(p, &m, stacker_keys, 4));
    TRY(xtml_signal_int64(p, &m, "num_channels", 1, INT32_MAX, &channels));
    TRY(xtml_signal_int64(p, &m, "stacker_left_context", 0, INT16_MAX, &left));
    TRY(xtml_signal_int64(p, &m, "stacker_right_context", 0, INT16_MAX, &right));
    /* TFLM drops stacker_step frames from a buffer of left + right + 1 */
    TRY(xtml_signal_int64(p, &m, "stacker_step", 1, left + right + 1, &step));
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    xtml_prep_output(p, 1, &valid);
    TRY(xtml_prep_expect_type(p, &in, "input", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &out, "output", XTML_DTYPE_INT16));
    TRY(xtml_prep_expect_type(p, &valid, "output_valid", XTML_DTYPE_BOOL));
    TRY(stream_rank(p, &in, "input", 1, 1));
    TRY(stream_rank(p, &out, "output", 1, 1));
    TRY(stream_rank(p, &valid, "output_valid", 0, 0));
    TRY(stream_count(p, &in, "input", channels));
    TRY(stream_count(p, &out, "output", channels * (left + right + 1)));
    tmp.channels = (int32_t)channels;
    tmp.frames = (int32_t)(left + right + 1);
    tmp.left = (int32_t)left;
    tmp.step = (int32_t)step;
    return stream_persist(p, &tmp, sizeof tmp, XTML_SIZE32(stacker_params_t),
                          2u * (uint64_t)out.count);
}

static xtml_status_t stacker_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    stacker_params_t *prm = (stacker_params_t *)node->params;
    int16_t *buf = (int16_t *)(void *)(prm + 1);
    const int16_t *in = (const int16_t *)xtml_node_in(ctx, node, 0);
    int16_t *out = (int16_t *)xtml_node_out(ctx, node, 0);
    uint8_t *valid = (uint8_t *)xtml_node_out(ctx, node, 1);
    size_t c = (size_t)prm->channels, total = c * (size_t)prm->frames, held;
    int32_t k;
    if (stream_stale(&prm->s)) {
        prm->held = 0;
        prm->started = 0;
        prm->produced = 0;
    }
    /* held <= total - channels here: it is below total after every invoke */
    held = (size_t)prm->held;
    memcpy(buf + held, in, 2u * c);
    held += c;
    if (!prm->started) {
        for (k = 0; k < prm->left; k++, held += c) {
            memcpy(buf + held, buf + held - c, 2u * c);
        }
        prm->started = 1;
    }
    if (held >= total) {
        size_t drop = c * (size_t)prm->step;
        memcpy(out, buf, 2u * total);
        held -= drop;
        memmove(buf, buf + drop, 2u * held);
        prm->produced = 1;
        *valid = 1;
    } else {
        if (!prm->produced) {
            memset(out, 0, 2u * total);
        }
        *valid = 0;
    }
    prm->held = (int32_t)held;
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_stacker = { "SignalStacker", stacker_prepare, stacker_eval };

/* ---- SignalOverlapAdd ---- */

typedef struct overlap_add_params {
    stream_state_t s;
    int32_t rows;      /* outer dimensions */
    int32_t frames;    /* frames per row and invoke */
    int32_t size;      /* frame_size */
    int32_t step;      /* frame_step: samples out per frame */
    uint8_t is_float;
    uint8_t reserved[3];
    /* int16_t or float buffer[rows][frame_size] follows */
} overlap_add_params_t;

static const char *const overlap_add_keys[] = { "T", "frame_step" };

static xtml_status_t overlap_add_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_flex_map_t m;
    overlap_add_params_t tmp;
    int64_t type, step;
    int32_t i;
    memset(&tmp, 0, sizeof tmp);
    TRY(stream_io(p, 1, 1));
    TRY(xtml_signal_options(p, &m, overlap_add_keys, 2));
    TRY(xtml_signal_int64(p, &m, "T", INT32_MIN, INT32_MAX, &type));
    TRY(xtml_signal_int64(p, &m, "frame_step", 1, INT32_MAX, &step));
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    if (type != XTML_DTYPE_INT16 && type != XTML_DTYPE_FLOAT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "custom option 'T' is %lld: int16 (%d) or float32 (%d)",
                              (long long)type, (int)XTML_DTYPE_INT16, (int)XTML_DTYPE_FLOAT32);
    }
    TRY(xtml_prep_expect_type(p, &in, "input", (xtml_dtype_t)type));
    TRY(xtml_prep_expect_type(p, &out, "output", (xtml_dtype_t)type));
    TRY(stream_rank(p, &in, "input", 2, XTML_MAX_DIMS));
    TRY(stream_rank(p, &out, "output", in.ndim - 1, in.ndim - 1));
    tmp.size = in.dims[in.ndim - 1];
    tmp.frames = in.dims[in.ndim - 2];
    if (step > tmp.size) {
        /* TFLM would shift its buffer by a negative count */
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "frame_step %lld is larger than the frames' %" PRId32,
                              (long long)step, tmp.size);
    }
    /* TFLM writes frames x frame_step samples per row and never checks the output's size */
    for (i = 0; i < in.ndim - 2; i++) {
        if (out.dims[i] != in.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output '%s' dimension %" PRId32 " is %" PRId32
                                  ", the input's is %" PRId32, out.name, i, out.dims[i], in.dims[i]);
        }
    }
    if ((int64_t)out.dims[in.ndim - 2] != (int64_t)tmp.frames * step) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output '%s' ends in %" PRId32 ", expected %lld"
                              " (frames x frame_step)", out.name, out.dims[in.ndim - 2], (long long)tmp.frames * step);
    }
    tmp.step = (int32_t)step;
    tmp.rows = tmp.size > 0 && tmp.frames > 0 ? in.count / (tmp.size * tmp.frames) : 0;
    tmp.is_float = (uint8_t)(type == XTML_DTYPE_FLOAT32);
    return stream_persist(p, &tmp, sizeof tmp, XTML_SIZE32(overlap_add_params_t),
                          (tmp.is_float ? 4u : 2u) * (uint64_t)tmp.rows * (uint64_t)tmp.size);
}

static xtml_status_t overlap_add_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    overlap_add_params_t *prm = (overlap_add_params_t *)node->params;
    size_t size = (size_t)prm->size, step = (size_t)prm->step, i, esize = prm->is_float ? 4u : 2u;
    uint8_t *state = (uint8_t *)(void *)(prm + 1);
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    int32_t r, f;
    if (stream_stale(&prm->s)) {
        memset(state, 0, esize * (size_t)prm->rows * size);
    }
    for (r = 0; r < prm->rows; r++) {
        uint8_t *buf = state + (size_t)r * size * esize;
        for (f = 0; f < prm->frames; f++, in += size * esize, out += step * esize) {
            if (prm->is_float) {
                float *b = (float *)(void *)buf;
                const float *x = (const float *)(const void *)in;
                for (i = 0; i < size; i++) {
                    b[i] += x[i];
                }
            } else {
                int16_t *b = (int16_t *)(void *)buf;
                const int16_t *x = (const int16_t *)(const void *)in;
                for (i = 0; i < size; i++) {
                    int32_t v = (int32_t)b[i] + x[i];
                    b[i] = (int16_t)(v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v);
                }
            }
            memcpy(out, buf, step * esize);
            memmove(buf, buf + step * esize, (size - step) * esize);
            memset(buf + (size - step) * esize, 0, step * esize);
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_signal_overlap_add = { "SignalOverlapAdd", overlap_add_prepare, overlap_add_eval };
