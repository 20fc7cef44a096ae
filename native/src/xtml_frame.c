/*
 * xtml_frame.c - camera frames into an image input (xtml.h, "The frame
 * path"): the region of the frame the input sees, area-average resizing,
 * pixel-format conversion, and the table that quantizes pixel levels.
 *
 * Exact by construction: positions are integer quotients, each input pixel is
 * floor((sum + n / 2) / n) over the n frame pixels of its box, and a box is
 * at most XTML_FRAME_MAX_PIXELS pixels, so its sum of levels (at most 255
 * each) fits 32 bits. Only xtml_frame_table(), run once per model, uses
 * floating point.
 */
#include "xtml_internal.h"

/* A type's name for a detail message, unknown values included. */
static const char *type_name(xtml_dtype_t dtype) {
    return xtml_dtype_name(dtype) != NULL ? xtml_dtype_name(dtype) : "an unknown type";
}

static const char *const format_names[XTML_PIXEL_COUNT] = {"gray8", "rgb565le", "rgb565be", "rgb888", "rgba8888"};
static const uint8_t format_bytes[XTML_PIXEL_COUNT] = {1, 2, 2, 3, 4};

/* ---- the quantization table ---- */

/* zero_point + round(x), halves away from zero, within [lo, hi]. x is not NaN.
 * Clamping x to +-1024 first changes no result (the zero point is within the
 * 8-bit range) and keeps the conversion defined; below 2^23, x - trunc(x) is
 * exact, so this is roundf() without libm. */
static int32_t quantize_level(float x, int32_t zero_point, int32_t lo, int32_t hi) {
    int32_t v;
    float frac;
    if (x < -1024.0f) {
        x = -1024.0f;
    } else if (x > 1024.0f) {
        x = 1024.0f;
    }
    v = (int32_t)x;
    frac = x - (float)v;
    v += (frac >= 0.5f ? 1 : 0) - (frac <= -0.5f ? 1 : 0);
    v += zero_point;
    return v < lo ? lo : (v > hi ? hi : v);
}

xtml_status_t xtml_frame_table(xtml_dtype_t dtype, float scale, int32_t zero_point, const float real[256],
                               void *table, size_t table_bytes, xtml_diag_t *diag) {
    int32_t v, lo, hi;
    uint8_t *out = table;
    xtml_diag_clear(diag);
    if (real == NULL || table == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "frame table: real and table must not be NULL");
    }
    if (dtype != XTML_DTYPE_INT8 && dtype != XTML_DTYPE_UINT8 && dtype != XTML_DTYPE_FLOAT32) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET,
                              "frame table: the frame path feeds int8, uint8 or float32 inputs, not %s",
                              type_name(dtype));
    }
    if (table_bytes != 256 * xtml_dtype_size(dtype)) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET, "frame table: a %s table is %zu bytes, got %zu",
                              xtml_dtype_name(dtype), 256 * xtml_dtype_size(dtype), table_bytes);
    }
    for (v = 0; v < 256; ++v) {
        if (real[v] != real[v]) {
            return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET, "frame table: the real value of level %d is NaN",
                                  (int)v);
        }
    }
    if (dtype == XTML_DTYPE_FLOAT32) {
        memcpy(table, real, 256 * sizeof(float));
        return XTML_STATUS_OK;
    }
    lo = dtype == XTML_DTYPE_INT8 ? -128 : 0;
    hi = dtype == XTML_DTYPE_INT8 ? 127 : 255;
    if (!(scale > 0.0f) || scale - scale != 0.0f) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET,
                              "frame table: a %s input needs a finite scale > 0, got %s", xtml_dtype_name(dtype),
                              XTML_F32(scale));
    }
    if (zero_point < lo || zero_point > hi) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET, "frame table: zero point %ld is outside the %s range",
                              (long)zero_point, xtml_dtype_name(dtype));
    }
    for (v = 0; v < 256; ++v) {
        out[v] = (uint8_t)quantize_level(real[v] / scale, zero_point, lo, hi);
    }
    return XTML_STATUS_OK;
}

/* ---- boxes of frame pixels ---- */

/* BT.601 luma in 8-bit fixed point. */
static inline uint32_t luma(uint32_t r, uint32_t g, uint32_t b) {
    return (77 * r + 150 * g + 29 * b + 128) >> 8;
}

/*
 * RGB565 (bits RRRRRGGG GGGBBBBB, high byte first) widens each channel to 8
 * bits by repeating its top bits: r = r5 << 3 | r5 >> 2, g = g6 << 2 | g6 >> 4,
 * b = b5 << 3 | b5 >> 2. Red and the top of green come from the high byte,
 * blue and the rest of green from the low byte, and those parts of g occupy
 * different bits, so 77 r + 150 g + 29 b + 128 is a sum of one term per byte:
 * the two tables below, and the pixel's luma is (hi[h] + lo[l]) >> 8.
 */
#define R8_OF_HI(h) ((((h) >> 3) << 3) | ((h) >> 5))
#define G8_OF_HI(h) ((((h) & 7) << 5) | (((h) & 7) >> 1))
#define G8_OF_LO(l) (((l) >> 5) << 2)
#define B8_OF_LO(l) ((((l) & 31) << 3) | (((l) & 31) >> 2))
#define LUMA_HI(h) (77 * R8_OF_HI(h) + 150 * G8_OF_HI(h) + 128)
#define LUMA_LO(l) (150 * G8_OF_LO(l) + 29 * B8_OF_LO(l))
#define TABLE4(f, i) f(i), f((i) + 1), f((i) + 2), f((i) + 3)
#define TABLE16(f, i) TABLE4(f, i), TABLE4(f, (i) + 4), TABLE4(f, (i) + 8), TABLE4(f, (i) + 12)
#define TABLE64(f, i) TABLE16(f, i), TABLE16(f, (i) + 16), TABLE16(f, (i) + 32), TABLE16(f, (i) + 48)
#define TABLE256(f) TABLE64(f, 0), TABLE64(f, 64), TABLE64(f, 128), TABLE64(f, 192)

static const uint16_t luma565_hi[256] = {TABLE256(LUMA_HI)};
static const uint16_t luma565_lo[256] = {TABLE256(LUMA_LO)};

/*
 * The resampling, one output row (a band of frame rows) at a time. Output
 * pixel ox sums the band's rows over frame columns [x0, x0 + cols), where
 * x0 = floor(ox * W / w) for a region W pixels wide and an input w wide, and
 * cols = max(step, 1) with step = x0(ox + 1) - x0(ox). With W = q w + r,
 * every step is q or q + 1; carry[ox] (0 or 1) says which, worked out once
 * per frame when the input is at most BOX_CHUNK wide (once per band and
 * chunk otherwise). One loop per pixel format and channel count, and within
 * a box one per row count (1, 2, 3, any), so that nothing per pixel asks for
 * the format or counts rows.
 */
#define BOX_CHUNK 256

typedef struct band {
    size_t stride;        /* bytes from one frame row to the next */
    size_t bpp;           /* bytes per frame pixel */
    int32_t rows;         /* frame rows in the band, at least 1 */
    int32_t q;            /* the smaller step */
    int32_t channels;     /* 1 or 3 */
    size_t elem;          /* bytes per input element: 1, or 4 (float32) */
    const uint8_t *table; /* level -> input element */
    const uint8_t *carry; /* the chunk's steps less q */
    int32_t count;        /* boxes in the chunk */
    int32_t unit;         /* every box is one pixel, the next one (input and region of one size) */
    uint8_t *out;         /* the chunk's first input element */
} band_t;

/* Writes the input element of a level (the table's entry) at element o. */
static inline void put_level(uint8_t *out, size_t o, const uint8_t *table, size_t elem, uint32_t level) {
    if (elem == 1) {
        out[o] = table[level];
    } else {
        memcpy(out + 4 * o, table + 4 * level, 4);
    }
}

/* A band loop's copy of the band (its stores to `out` could otherwise alias
 * the band and make the compiler read it again for every box). */
#define BAND_LOCALS                                                  \
    const uint8_t *carry = b->carry, *table = b->table;              \
    uint8_t *out = b->out;                                           \
    size_t stride = b->stride, elem = b->elem;                       \
    int32_t i, step, cols, rows = b->rows, q = b->q, count = b->count;
#define PUT(o, level) put_level(out, (size_t)(o), table, elem, level)

/* floor((sum + n / 2) / n): the rounded mean of n levels. */
static inline uint32_t mean(uint32_t sum, uint32_t n) {
    return (sum + (n >> 1)) / n;
}

/*
 * Adds up the pixels of the box [x0, end) (`pstep` bytes a pixel) of the
 * band's first row and of the rows - 1 rows below it, `stride` bytes apart:
 * ADD(px) adds pixel px to the box's sums. The rows are written out for bands of 1, 2 and 3 rows.
 */
#define BOX_SUMS(ADD, pstep)                                                      \
    switch (rows) {                                                               \
    case 1:                                                                       \
        for (p = x0; p < end; p += (pstep)) {                                     \
            ADD(p);                                                               \
        }                                                                         \
        break;                                                                    \
    case 2:                                                                       \
        for (p = x0; p < end; p += (pstep)) {                                     \
            ADD(p);                                                               \
            ADD(p + stride);                                                      \
        }                                                                         \
        break;                                                                    \
    case 3:                                                                       \
        for (p = x0; p < end; p += (pstep)) {                                     \
            ADD(p);                                                               \
            ADD(p + stride);                                                      \
            ADD(p + 2 * stride);                                                  \
        }                                                                         \
        break;                                                                    \
    default:                                                                      \
        for (p = x0; p < end; p += (pstep)) {                                     \
            const uint8_t *q_ = p;                                                \
            int32_t y_;                                                           \
            for (y_ = 0; y_ < rows; ++y_, q_ += stride) {                         \
                ADD(q_);                                                          \
            }                                                                     \
        }                                                                         \
        break;                                                                    \
    }

/* A gray pixel is its own luma and its own R, G and B. */
static const uint8_t *band_gray(const band_t *b, const uint8_t *x0) {
    BAND_LOCALS
    int32_t ch, channels = b->channels;
    size_t o = 0;
    if (b->unit) {
        for (i = 0; i < count; ++i) {
            for (ch = 0; ch < channels; ++ch) {
                PUT(o++, x0[i]);
            }
        }
        return x0 + count;
    }
    for (i = 0; i < count; ++i, x0 += step) {
        const uint8_t *p, *end;
        uint32_t s = 0, level;
        step = q + carry[i];
        cols = step > 0 ? step : 1;
        end = x0 + cols;
#define ADD(px) s += *(px)
        BOX_SUMS(ADD, 1)
#undef ADD
        level = mean(s, (uint32_t)(cols * rows));
        for (ch = 0; ch < channels; ++ch) {
            PUT(o++, level);
        }
    }
    return x0;
}

/* hi: 0 for high byte first, 1 for low byte first. t0 and t1 are the luma
 * tables of a pixel's first and second byte. */
static const uint8_t *band_565_luma(const band_t *b, const uint8_t *x0, size_t hi) {
    const uint16_t *t0 = hi ? luma565_lo : luma565_hi, *t1 = hi ? luma565_hi : luma565_lo;
    BAND_LOCALS
    if (b->unit) {
        for (i = 0; i < count; ++i, x0 += 2) {
            PUT(i, ((uint32_t)t0[x0[0]] + t1[x0[1]]) >> 8);
        }
        return x0;
    }
    for (i = 0; i < count; ++i, x0 += 2 * (size_t)step) {
        const uint8_t *p, *end;
        uint32_t s = 0;
        step = q + carry[i];
        cols = step > 0 ? step : 1;
        end = x0 + 2 * (size_t)cols;
#define ADD(px) s += ((uint32_t)t0[(px)[0]] + t1[(px)[1]]) >> 8
        BOX_SUMS(ADD, 2)
#undef ADD
        PUT(i, mean(s, (uint32_t)(cols * rows)));
    }
    return x0;
}

static const uint8_t *band_565_rgb(const band_t *b, const uint8_t *x0, size_t hi) {
    BAND_LOCALS
    size_t o = 0;
    for (i = 0; i < count; ++i, x0 += 2 * (size_t)step) {
        const uint8_t *p, *end;
        uint32_t red = 0, green = 0, blue = 0, n;
        step = q + carry[i];
        cols = step > 0 ? step : 1;
        end = x0 + 2 * (size_t)cols;
#define ADD(px)                                         \
    do {                                                \
        uint32_t h_ = (px)[hi], l_ = (px)[1 - hi];      \
        red += R8_OF_HI(h_);                            \
        green += G8_OF_HI(h_) | G8_OF_LO(l_);           \
        blue += B8_OF_LO(l_);                           \
    } while (0)
        BOX_SUMS(ADD, 2)
#undef ADD
        n = (uint32_t)(cols * rows);
        PUT(o++, mean(red, n));
        PUT(o++, mean(green, n));
        PUT(o++, mean(blue, n));
    }
    return x0;
}

/* RGB888 and RGBA8888: R, G, B are the first three bytes of a pixel. */
static const uint8_t *band_bytes_luma(const band_t *b, const uint8_t *x0) {
    BAND_LOCALS
    size_t bpp = b->bpp;
    for (i = 0; i < count; ++i, x0 += bpp * (size_t)step) {
        const uint8_t *p, *end;
        uint32_t s = 0;
        step = q + carry[i];
        cols = step > 0 ? step : 1;
        end = x0 + bpp * (size_t)cols;
#define ADD(px) s += luma((px)[0], (px)[1], (px)[2])
        BOX_SUMS(ADD, bpp)
#undef ADD
        PUT(i, mean(s, (uint32_t)(cols * rows)));
    }
    return x0;
}

static const uint8_t *band_bytes_rgb(const band_t *b, const uint8_t *x0) {
    BAND_LOCALS
    size_t bpp = b->bpp, o = 0;
    for (i = 0; i < count; ++i, x0 += bpp * (size_t)step) {
        const uint8_t *p, *end;
        uint32_t red = 0, green = 0, blue = 0, n;
        step = q + carry[i];
        cols = step > 0 ? step : 1;
        end = x0 + bpp * (size_t)cols;
#define ADD(px)              \
    do {                     \
        red += (px)[0];      \
        green += (px)[1];    \
        blue += (px)[2];     \
    } while (0)
        BOX_SUMS(ADD, bpp)
#undef ADD
        n = (uint32_t)(cols * rows);
        PUT(o++, mean(red, n));
        PUT(o++, mean(green, n));
        PUT(o++, mean(blue, n));
    }
    return x0;
}

/* The boxes of one chunk, from frame pixel x0; returns the pixel after
 * them. kind: 0 gray, 1/2 RGB565 LE/BE luma, 3/4 RGB565 LE/BE R, G, B,
 * 5 RGB888/RGBA8888 luma, 6 their R, G, B. */
static const uint8_t *band_chunk(const band_t *b, int32_t kind, const uint8_t *x0) {
    switch (kind) {
    case 0: return band_gray(b, x0);
    case 1: return band_565_luma(b, x0, 1);
    case 2: return band_565_luma(b, x0, 0);
    case 3: return band_565_rgb(b, x0, 1);
    case 4: return band_565_rgb(b, x0, 0);
    case 5: return band_bytes_luma(b, x0);
    default: return band_bytes_rgb(b, x0);
    }
}

/* ---- the region and the resampling ---- */

/* a / b to the nearest integer, halves up (a >= 0, b > 0). */
static int32_t round_div(uint64_t a, uint64_t b) {
    return (int32_t)((2 * a + b) / (2 * b));
}

static void frame_region(const xtml_frame_t *frame, xtml_fit_t fit, int32_t in_w, int32_t in_h, xtml_rect_t *r) {
    int32_t w = frame->width, h = frame->height;
    if (fit == XTML_FIT_STRETCH) {
        r->x = 0;
        r->y = 0;
        r->w = w;
        r->h = h;
    } else if ((uint64_t)w * (uint64_t)in_h > (uint64_t)h * (uint64_t)in_w) { /* wider: crop the sides */
        r->h = h;
        r->w = round_div((uint64_t)h * (uint64_t)in_w, (uint64_t)in_h);
        r->w = r->w > 0 ? r->w : 1;
        r->x = (w - r->w) / 2;
        r->y = 0;
    } else { /* taller: crop top and bottom */
        r->w = w;
        r->h = round_div((uint64_t)w * (uint64_t)in_h, (uint64_t)in_w);
        r->h = r->h > 0 ? r->h : 1;
        r->x = 0;
        r->y = (h - r->h) / 2;
    }
}

/* floor(i * span / side) for i = 0, 1, 2, ...: each step adds span / side
 * and carries the remainder. */
typedef struct stepper {
    int32_t at;            /* floor(i * span / side) */
    int32_t rem;           /* (i * span) mod side */
    int32_t q, r, side;
} stepper_t;

static void stepper_init(stepper_t *s, int32_t span, int32_t side) {
    s->at = 0;
    s->rem = 0;
    s->q = span / side;
    s->r = span % side;
    s->side = side;
}

static void stepper_next(stepper_t *s) {
    s->at += s->q;
    s->rem += s->r;
    if (s->rem >= s->side) {
        s->rem -= s->side;
        s->at += 1;
    }
}

xtml_status_t xtml_frame_to_input(const xtml_frame_t *frame, xtml_fit_t fit, const xtml_frame_target_t *target,
                                  void *input, size_t input_bytes, xtml_rect_t *region, xtml_diag_t *diag) {
    xtml_rect_t r;
    stepper_t ys;
    band_t band;
    uint64_t pixels, need;
    size_t elem;
    uint8_t *out = input;
    uint8_t carry[BOX_CHUNK];
    int32_t in_w, in_h, channels, ox, oy, y0, y_next, kind;
    xtml_diag_clear(diag);
    if (frame == NULL || target == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "frame to input: frame and target must not be NULL");
    }
    if ((unsigned)frame->format >= (unsigned)XTML_PIXEL_COUNT) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_FORMAT, "frame: unknown pixel format %d", (int)frame->format);
    }
    if ((unsigned)fit >= (unsigned)XTML_FIT_COUNT) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_FORMAT, "frame: unknown fit %d", (int)fit);
    }
    if (frame->width < 1 || frame->height < 1) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_SIZE, "frame: width and height must be positive, got %ldx%ld",
                              (long)frame->width, (long)frame->height);
    }
    pixels = (uint64_t)frame->width * (uint64_t)frame->height;
    if (pixels > XTML_FRAME_MAX_PIXELS) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_SIZE, "frame: %ldx%ld is more than %ld pixels",
                              (long)frame->width, (long)frame->height, (long)XTML_FRAME_MAX_PIXELS);
    }
    if (frame->data == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "frame: data must not be NULL");
    }
    if ((uint64_t)frame->bytes != pixels * format_bytes[frame->format]) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_SIZE, "frame: a %ldx%ld %s frame is %llu bytes, got %zu",
                              (long)frame->width, (long)frame->height, format_names[frame->format],
                              (unsigned long long)(pixels * format_bytes[frame->format]), frame->bytes);
    }
    in_w = target->width;
    in_h = target->height;
    channels = target->channels;
    if (in_w < 1 || in_h < 1 || in_w > XTML_FRAME_MAX_SIDE || in_h > XTML_FRAME_MAX_SIDE) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET, "input: %ldx%ld is not 1..%d pixels a side", (long)in_w,
                              (long)in_h, XTML_FRAME_MAX_SIDE);
    }
    if (channels != 1 && channels != 3) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET,
                              "input: %ld channels; the frame path fills 1 (luma) or 3 (RGB)", (long)channels);
    }
    if (target->dtype != XTML_DTYPE_INT8 && target->dtype != XTML_DTYPE_UINT8 && target->dtype != XTML_DTYPE_FLOAT32) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET,
                              "input: the frame path feeds int8, uint8 or float32 inputs, not %s",
                              type_name(target->dtype));
    }
    if (target->table == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "input: the table must not be NULL");
    }
    elem = xtml_dtype_size(target->dtype);
    need = (uint64_t)in_w * (uint64_t)in_h * (uint64_t)channels * elem;
    if ((uint64_t)input_bytes != need) {
        return xtml_diag_fail(diag, XTML_STATUS_FRAME_TARGET, "input: %ldx%ldx%ld %s is %llu bytes, got %zu",
                              (long)in_h, (long)in_w, (long)channels, xtml_dtype_name(target->dtype),
                              (unsigned long long)need, input_bytes);
    }
    if (input == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "input: must not be NULL");
    }

    frame_region(frame, fit, in_w, in_h, &r);
    switch (frame->format) {
    case XTML_PIXEL_GRAY8: kind = 0; break;
    case XTML_PIXEL_RGB565LE: kind = channels == 1 ? 1 : 3; break;
    case XTML_PIXEL_RGB565BE: kind = channels == 1 ? 2 : 4; break;
    default: kind = channels == 1 ? 5 : 6; break;
    }
    band.bpp = format_bytes[frame->format];
    band.stride = (size_t)frame->width * band.bpp;
    band.q = r.w / in_w;
    band.channels = channels;
    band.elem = elem;
    band.table = target->table;
    band.carry = carry;
    band.unit = r.w == in_w && r.h == in_h;
    /* Bands start at floor(oy * region height / input height) and are at
     * least one row. */
    stepper_init(&ys, r.h, in_h);
    y0 = r.y;
    for (oy = 0; oy < in_h; ++oy) {
        const uint8_t *x0 = frame->data + (size_t)y0 * band.stride + (size_t)r.x * band.bpp;
        stepper_t xs;
        stepper_next(&ys);
        y_next = r.y + ys.at;
        band.rows = (y_next > y0 ? y_next : y0 + 1) - y0;
        stepper_init(&xs, r.w, in_w);
        for (ox = 0; ox < in_w; ox += band.count) {
            band.count = in_w - ox < BOX_CHUNK ? in_w - ox : BOX_CHUNK;
            if (oy == 0 || in_w > BOX_CHUNK) {
                int32_t i;
                for (i = 0; i < band.count; ++i) {
                    int32_t at = xs.at;
                    stepper_next(&xs);
                    carry[i] = (uint8_t)(xs.at - at - band.q);
                }
            }
            band.out = out + ((size_t)oy * (size_t)in_w + (size_t)ox) * (size_t)channels * elem;
            x0 = band_chunk(&band, kind, x0);
        }
        y0 = y_next;
    }
    if (region != NULL) {
        *region = r;
    }
    return XTML_STATUS_OK;
}
