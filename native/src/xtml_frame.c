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

/* A box of the frame: `rows` rows of `span` bytes from `first`, `stride`
 * bytes apart, pixels `bpp` bytes each. */
typedef struct box {
    const uint8_t *first;
    size_t span;
    size_t stride;
    size_t bpp;
    int32_t rows;
} box_t;

static uint32_t sum_gray(const box_t *bx) {
    const uint8_t *row = bx->first, *p;
    uint32_t s = 0;
    int32_t y;
    for (y = 0; y < bx->rows; ++y, row += bx->stride) {
        for (p = row; p < row + bx->span; ++p) {
            s += *p;
        }
    }
    return s;
}

/* hi: 0 for high byte first, 1 for low byte first (a constant at each call,
 * so that the compiler makes one loop of each). */
static inline uint32_t sum_565_luma(const box_t *bx, size_t hi) {
    const uint8_t *row = bx->first, *p;
    uint32_t s = 0;
    int32_t y;
    for (y = 0; y < bx->rows; ++y, row += bx->stride) {
        for (p = row; p < row + bx->span; p += 2) {
            s += ((uint32_t)luma565_hi[p[hi]] + luma565_lo[p[1 - hi]]) >> 8;
        }
    }
    return s;
}

static inline void sum_565_rgb(const box_t *bx, size_t hi, uint32_t sums[3]) {
    const uint8_t *row = bx->first, *p;
    uint32_t r = 0, g = 0, b = 0;
    int32_t y;
    for (y = 0; y < bx->rows; ++y, row += bx->stride) {
        for (p = row; p < row + bx->span; p += 2) {
            uint32_t h = p[hi], l = p[1 - hi];
            r += R8_OF_HI(h);
            g += G8_OF_HI(h) | G8_OF_LO(l);
            b += B8_OF_LO(l);
        }
    }
    sums[0] = r;
    sums[1] = g;
    sums[2] = b;
}

/* RGB888 and RGBA8888: R, G, B are the first three bytes of a pixel. */
static uint32_t sum_bytes_luma(const box_t *bx) {
    const uint8_t *row = bx->first, *p;
    uint32_t s = 0;
    int32_t y;
    for (y = 0; y < bx->rows; ++y, row += bx->stride) {
        for (p = row; p < row + bx->span; p += bx->bpp) {
            s += luma(p[0], p[1], p[2]);
        }
    }
    return s;
}

static void sum_bytes_rgb(const box_t *bx, uint32_t sums[3]) {
    const uint8_t *row = bx->first, *p;
    uint32_t r = 0, g = 0, b = 0;
    int32_t y;
    for (y = 0; y < bx->rows; ++y, row += bx->stride) {
        for (p = row; p < row + bx->span; p += bx->bpp) {
            r += p[0];
            g += p[1];
            b += p[2];
        }
    }
    sums[0] = r;
    sums[1] = g;
    sums[2] = b;
}

/* The sums over a box of its pixels' luma (channels 1) or of R, G and B.
 * A gray pixel is its own luma and its own R, G and B. */
static void box_sums(const box_t *bx, xtml_pixel_format_t format, int32_t channels, uint32_t sums[3]) {
    switch (format) {
    case XTML_PIXEL_GRAY8:
        sums[0] = sums[1] = sums[2] = sum_gray(bx);
        break;
    case XTML_PIXEL_RGB565LE:
        if (channels == 1) {
            sums[0] = sum_565_luma(bx, 1);
        } else {
            sum_565_rgb(bx, 1, sums);
        }
        break;
    case XTML_PIXEL_RGB565BE:
        if (channels == 1) {
            sums[0] = sum_565_luma(bx, 0);
        } else {
            sum_565_rgb(bx, 0, sums);
        }
        break;
    default:
        if (channels == 1) {
            sums[0] = sum_bytes_luma(bx);
        } else {
            sum_bytes_rgb(bx, sums);
        }
        break;
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
    stepper_t ys, xs;
    box_t bx;
    uint64_t pixels, need;
    size_t elem;
    uint8_t *out = input;
    const uint8_t *table8;
    uint32_t sums[3];
    int32_t in_w, in_h, channels, ox, oy, c, x0, y0, x_next, y_next;
    size_t o = 0;
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
    table8 = target->table;
    bx.bpp = format_bytes[frame->format];
    bx.stride = (size_t)frame->width * bx.bpp;
    /* Boxes start at floor(i * span / side) and are at least one pixel. */
    stepper_init(&ys, r.h, in_h);
    y0 = r.y;
    for (oy = 0; oy < in_h; ++oy) {
        stepper_next(&ys);
        y_next = r.y + ys.at;
        bx.rows = (y_next > y0 ? y_next : y0 + 1) - y0;
        stepper_init(&xs, r.w, in_w);
        x0 = r.x;
        for (ox = 0; ox < in_w; ++ox) {
            uint32_t n, cols;
            stepper_next(&xs);
            x_next = r.x + xs.at;
            cols = (uint32_t)((x_next > x0 ? x_next : x0 + 1) - x0);
            n = (uint32_t)bx.rows * cols;
            bx.first = frame->data + (size_t)y0 * bx.stride + (size_t)x0 * bx.bpp;
            bx.span = cols * bx.bpp;
            box_sums(&bx, frame->format, channels, sums);
            for (c = 0; c < channels; ++c) {
                uint32_t level = (sums[c] + n / 2) / n;
                if (elem == 1) {
                    out[o] = table8[level];
                } else {
                    memcpy(out + 4 * o, table8 + 4 * level, 4);
                }
                ++o;
            }
            x0 = x_next;
        }
        y0 = y_next;
    }
    if (region != NULL) {
        *region = r;
    }
    return XTML_STATUS_OK;
}
