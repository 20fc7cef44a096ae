/*
 * test_frame.c - the frame path (xtml_frame_table, xtml_frame_to_input,
 * xtml_grid_decode) on its own.
 *
 *   test_frame [random-frames]     (3000 random frames unless told)
 *
 * Parts:
 *   1. Every bad argument, NULLs included, gets its status, a detail in the
 *      diag (or none when the diag is NULL), and leaves every output as it was.
 *   2. Frames of one colour, in every format, fill every input element with
 *      the table's entry for that colour's level (luma or R, G, B), worked
 *      out here from the formats' definitions.
 *   3. Random frames, targets and fits (fixed seed) in exactly sized heap
 *      blocks, so that AddressSanitizer (the asan build) sees any read past a
 *      frame: the call succeeds, the region lies inside the frame with the
 *      input's aspect ratio (crop) or is the frame (stretch), and every input
 *      element (int8 and float32, luma and R, G, B) is the one worked out
 *      here pixel by pixel from the formats' definitions and the boxes'
 *      bounds (oracle_diff); among them inputs wider than the core's chunk
 *      of boxes, inputs of the frame's own size, and QVGA frames into 96x96.
 *   4. Random grids of every score type: each object's cells are connected,
 *      of its class, inside its box; every cell that passes is in exactly one
 *      object; no two objects of a class touch; the sums are the cells'.
 *
 * The exact results (bytes, objects, centres) are also checked against the
 * TypeScript that came before by test/frame-path.test.ts.
 * Output: "ok N - ..." / "not ok N - ..." per check, then "N passed, M
 * failed"; the exit status is non-zero on any failure.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtml.h"

static int passed, failed;

static void check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", ok ? "ok" : "not ok", passed + failed + 1);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

static uint32_t rng = 12345;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int32_t between(int32_t lo, int32_t hi) {
    return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1));
}

static const size_t bpp[XTML_PIXEL_COUNT] = {1, 2, 2, 3, 4};

/* ---- 1. bad arguments ---- */

#define SENTINEL 0x5A

static int untouched(const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

static void expect(const char *what, xtml_status_t got, xtml_status_t want, const xtml_diag_t *diag, int outputs_kept) {
    check(got == want && diag->status == want && diag->detail[0] != '\0' && outputs_kept, "%s: %s (%s)", what,
          xtml_status_name(got), diag->detail);
}

static void bad_tables(void) {
    float real[256];
    uint8_t table[1024];
    xtml_diag_t diag;
    int v;
    for (v = 0; v < 256; v++) {
        real[v] = (float)v / 255.0f;
    }
#define TABLE(what, want, dtype, scale, zp, realp, tablep, bytes)                                         \
    do {                                                                                                  \
        memset(table, SENTINEL, sizeof table);                                                            \
        expect(what, xtml_frame_table(dtype, scale, zp, realp, tablep, bytes, &diag), want, &diag,        \
               untouched(table, sizeof table));                                                           \
    } while (0)
    TABLE("table: real NULL", XTML_STATUS_BAD_ARGUMENT, XTML_DTYPE_INT8, 0.1f, 0, NULL, table, 256);
    TABLE("table: table NULL", XTML_STATUS_BAD_ARGUMENT, XTML_DTYPE_INT8, 0.1f, 0, real, NULL, 256);
    TABLE("table: int16", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_INT16, 0.1f, 0, real, table, 512);
    TABLE("table: unknown type", XTML_STATUS_FRAME_TARGET, (xtml_dtype_t)99, 0.1f, 0, real, table, 256);
    TABLE("table: int8 in 255 bytes", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_INT8, 0.1f, 0, real, table, 255);
    TABLE("table: float32 in 256 bytes", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_FLOAT32, 0.0f, 0, real, table, 256);
    TABLE("table: scale 0", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_INT8, 0.0f, 0, real, table, 256);
    TABLE("table: negative scale", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_UINT8, -1.0f, 0, real, table, 256);
    TABLE("table: NaN scale", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_INT8, NAN, 0, real, table, 256);
    TABLE("table: infinite scale", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_INT8, INFINITY, 0, real, table, 256);
    TABLE("table: int8 zero point 128", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_INT8, 0.1f, 128, real, table, 256);
    TABLE("table: uint8 zero point 256", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_UINT8, 0.1f, 256, real, table, 256);
    real[200] = NAN;
    TABLE("table: a NaN real value", XTML_STATUS_FRAME_TARGET, XTML_DTYPE_FLOAT32, 0.0f, 0, real, table, 1024);
#undef TABLE
}

static void bad_frames(void) {
    uint8_t data[64], table[256], input[16];
    xtml_frame_t frame;
    xtml_frame_target_t target;
    xtml_rect_t region, kept = {-7, -7, -7, -7};
    xtml_diag_t diag;
    xtml_status_t st;
    memset(data, 0, sizeof data);
    memset(table, 0, sizeof table);
#define FRAME(what, want, fit, framep, targetp, inputp, nbytes, edit)                                           \
    do {                                                                                                       \
        frame.data = data;                                                                                     \
        frame.bytes = 12;                                                                                      \
        frame.width = 4;                                                                                       \
        frame.height = 3;                                                                                      \
        frame.format = XTML_PIXEL_GRAY8;                                                                       \
        target.width = 2;                                                                                      \
        target.height = 2;                                                                                     \
        target.channels = 1;                                                                                   \
        target.dtype = XTML_DTYPE_INT8;                                                                        \
        target.table = table;                                                                                  \
        edit;                                                                                                  \
        memset(input, SENTINEL, sizeof input);                                                                 \
        region = kept;                                                                                         \
        st = xtml_frame_to_input(framep, fit, targetp, inputp, nbytes, &region, &diag);                         \
        expect(what, st, want, &diag, untouched(input, sizeof input) && memcmp(&region, &kept, sizeof kept) == 0); \
    } while (0)
    FRAME("frame NULL", XTML_STATUS_BAD_ARGUMENT, XTML_FIT_CROP, NULL, &target, input, 4, (void)0);
    FRAME("target NULL", XTML_STATUS_BAD_ARGUMENT, XTML_FIT_CROP, &frame, NULL, input, 4, (void)0);
    FRAME("input NULL", XTML_STATUS_BAD_ARGUMENT, XTML_FIT_CROP, &frame, &target, NULL, 4, (void)0);
    FRAME("frame data NULL", XTML_STATUS_BAD_ARGUMENT, XTML_FIT_CROP, &frame, &target, input, 4, frame.data = NULL);
    FRAME("table NULL", XTML_STATUS_BAD_ARGUMENT, XTML_FIT_CROP, &frame, &target, input, 4, target.table = NULL);
    FRAME("format 5", XTML_STATUS_FRAME_FORMAT, XTML_FIT_CROP, &frame, &target, input, 4, frame.format = XTML_PIXEL_COUNT);
    FRAME("format -1", XTML_STATUS_FRAME_FORMAT, XTML_FIT_CROP, &frame, &target, input, 4, frame.format = (xtml_pixel_format_t)-1);
    FRAME("fit 2", XTML_STATUS_FRAME_FORMAT, XTML_FIT_COUNT, &frame, &target, input, 4, (void)0);
    FRAME("width 0", XTML_STATUS_FRAME_SIZE, XTML_FIT_CROP, &frame, &target, input, 4, (frame.width = 0, frame.bytes = 0));
    FRAME("height -1", XTML_STATUS_FRAME_SIZE, XTML_FIT_CROP, &frame, &target, input, 4, frame.height = -1);
    FRAME("4097 x 4096", XTML_STATUS_FRAME_SIZE, XTML_FIT_CROP, &frame, &target, input, 4,
          (frame.width = 4097, frame.height = 4096, frame.bytes = 4097u * 4096u));
    FRAME("bytes one short", XTML_STATUS_FRAME_SIZE, XTML_FIT_CROP, &frame, &target, input, 4, frame.bytes = 11);
    FRAME("bytes of gray8 as RGB565", XTML_STATUS_FRAME_SIZE, XTML_FIT_CROP, &frame, &target, input, 4,
          frame.format = XTML_PIXEL_RGB565LE);
    FRAME("target 0 wide", XTML_STATUS_FRAME_TARGET, XTML_FIT_CROP, &frame, &target, input, 0, target.width = 0);
    FRAME("target 65536 high", XTML_STATUS_FRAME_TARGET, XTML_FIT_CROP, &frame, &target, input, 4, target.height = 65536);
    FRAME("target 2 channels", XTML_STATUS_FRAME_TARGET, XTML_FIT_CROP, &frame, &target, input, 8, target.channels = 2);
    FRAME("target int32", XTML_STATUS_FRAME_TARGET, XTML_FIT_CROP, &frame, &target, input, 16, target.dtype = XTML_DTYPE_INT32);
    FRAME("input bytes one more", XTML_STATUS_FRAME_TARGET, XTML_FIT_CROP, &frame, &target, input, 5, (void)0);
    FRAME("input bytes of int8 for float32", XTML_STATUS_FRAME_TARGET, XTML_FIT_CROP, &frame, &target, input, 4,
          target.dtype = XTML_DTYPE_FLOAT32);
#undef FRAME
    /* A NULL diag is allowed, and the same status comes back. */
    frame.width = 0;
    check(xtml_frame_to_input(&frame, XTML_FIT_CROP, &target, input, 4, NULL, NULL) == XTML_STATUS_FRAME_SIZE,
          "a NULL diag: the status alone");
}

static void bad_grids(void) {
    int8_t scores[2 * 3 * 2];
    int32_t levels[2] = {0, 0}, work[18];
    float mins[2] = {0.0f, 0.0f};
    xtml_grid_object_t objects[6];
    xtml_grid_t grid;
    xtml_grid_result_t result;
    xtml_diag_t diag;
    xtml_status_t st;
    memset(scores, 0, sizeof scores);
#define GRID(what, want, gridp, scoresp, score_bytes, workp, work_count, resultp, edit)                      \
    do {                                                                                                     \
        grid.rows = 2;                                                                                       \
        grid.cols = 3;                                                                                       \
        grid.classes = 2;                                                                                    \
        grid.background = 0;                                                                                 \
        grid.connectivity = 8;                                                                               \
        grid.dtype = XTML_DTYPE_INT8;                                                                        \
        grid.zero_point = 0;                                                                                 \
        grid.min_level = levels;                                                                             \
        grid.min_score = mins;                                                                               \
        result.objects = objects;                                                                            \
        result.max_objects = 6;                                                                              \
        result.count = -5;                                                                                   \
        result.order = NULL;                                                                                 \
        edit;                                                                                                \
        memset(objects, SENTINEL, sizeof objects);                                                           \
        memset(work, SENTINEL, sizeof work);                                                                 \
        st = xtml_grid_decode(gridp, scoresp, score_bytes, workp, work_count, resultp, &diag);               \
        expect(what, st, want, &diag,                                                                        \
               untouched((const uint8_t *)objects, sizeof objects) && untouched((const uint8_t *)work, sizeof work) && \
                   result.count == -5 && result.order == NULL);                                              \
    } while (0)
    GRID("grid NULL", XTML_STATUS_BAD_ARGUMENT, NULL, scores, 12, work, 18, &result, (void)0);
    GRID("result NULL", XTML_STATUS_BAD_ARGUMENT, &grid, scores, 12, work, 18, NULL, (void)0);
    GRID("scores NULL", XTML_STATUS_BAD_ARGUMENT, &grid, NULL, 12, work, 18, &result, (void)0);
    GRID("work NULL", XTML_STATUS_BAD_ARGUMENT, &grid, scores, 12, NULL, 18, &result, (void)0);
    GRID("objects NULL with room for 6", XTML_STATUS_BAD_ARGUMENT, &grid, scores, 12, work, 18, &result, result.objects = NULL);
    GRID("room for -1 objects", XTML_STATUS_BAD_ARGUMENT, &grid, scores, 12, work, 18, &result, result.max_objects = -1);
    GRID("min_level NULL", XTML_STATUS_BAD_ARGUMENT, &grid, scores, 12, work, 18, &result, grid.min_level = NULL);
    GRID("min_score NULL for float32", XTML_STATUS_BAD_ARGUMENT, &grid, scores, 48, work, 18, &result,
         (grid.dtype = XTML_DTYPE_FLOAT32, grid.min_score = NULL));
    GRID("0 rows", XTML_STATUS_GRID_CONFIG, &grid, scores, 0, work, 18, &result, grid.rows = 0);
    GRID("-1 columns", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 18, &result, grid.cols = -1);
    GRID("0 classes", XTML_STATUS_GRID_CONFIG, &grid, scores, 0, work, 18, &result, grid.classes = 0);
    GRID("65536 x 65536 cells", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 18, &result, (grid.rows = 65536, grid.cols = 65536));
    GRID("int16 scores", XTML_STATUS_GRID_CONFIG, &grid, scores, 24, work, 18, &result, grid.dtype = XTML_DTYPE_INT16);
    GRID("scores one byte short", XTML_STATUS_GRID_CONFIG, &grid, scores, 11, work, 18, &result, (void)0);
    GRID("background 2", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 18, &result, grid.background = 2);
    GRID("background -2", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 18, &result, grid.background = -2);
    GRID("connectivity 6", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 18, &result, grid.connectivity = 6);
    GRID("int8 zero point 128", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 18, &result, grid.zero_point = 128);
    GRID("uint8 zero point -1", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 18, &result,
         (grid.dtype = XTML_DTYPE_UINT8, grid.zero_point = -1));
    GRID("sums beyond 32 bits", XTML_STATUS_GRID_CONFIG, &grid, scores, 256u * 256u, work, 3u * 256u * 256u, &result,
         (grid.rows = 256, grid.cols = 256, grid.classes = 1));
    GRID("work one short", XTML_STATUS_GRID_CONFIG, &grid, scores, 12, work, 17, &result, (void)0);
#undef GRID
}

/* ---- 2. frames of one colour ---- */

static void uniform_frames(void) {
    static const xtml_dtype_t types[3] = {XTML_DTYPE_INT8, XTML_DTYPE_UINT8, XTML_DTYPE_FLOAT32};
    uint8_t table[1024];
    float real[256];
    int trial, v;
    for (v = 0; v < 256; v++) {
        real[v] = (float)v * 0.01f - 1.0f;
    }
    for (trial = 0; trial < 200; trial++) {
        xtml_pixel_format_t format = (xtml_pixel_format_t)(trial % XTML_PIXEL_COUNT);
        int32_t channels = trial % 2 ? 3 : 1, w = between(1, 50), h = between(1, 50), iw = between(1, 20), ih = between(1, 20);
        xtml_dtype_t dtype = types[(trial / 10) % 3];
        size_t elem = xtml_dtype_size(dtype), n = (size_t)w * (size_t)h * bpp[format], i, bad = 0;
        uint8_t *data = malloc(n), *input = malloc((size_t)iw * (size_t)ih * (size_t)channels * elem);
        uint32_t r, g, b, pixel = next(), want[3];
        xtml_frame_t frame;
        xtml_frame_target_t target;
        xtml_status_t st;
        /* the colour, as each format stores it, and its 8-bit R, G, B */
        if (format == XTML_PIXEL_GRAY8) {
            r = g = b = pixel & 255;
        } else if (format == XTML_PIXEL_RGB565LE || format == XTML_PIXEL_RGB565BE) {
            uint32_t r5 = (pixel >> 11) & 31, g6 = (pixel >> 5) & 63, b5 = pixel & 31;
            r = r5 * 8 + r5 / 4;
            g = g6 * 4 + g6 / 16;
            b = b5 * 8 + b5 / 4;
        } else {
            r = pixel & 255;
            g = (pixel >> 8) & 255;
            b = (pixel >> 16) & 255;
        }
        for (i = 0; i < n; i += bpp[format]) {
            switch (format) {
            case XTML_PIXEL_GRAY8: data[i] = (uint8_t)r; break;
            case XTML_PIXEL_RGB565LE: data[i] = (uint8_t)pixel; data[i + 1] = (uint8_t)(pixel >> 8); break;
            case XTML_PIXEL_RGB565BE: data[i] = (uint8_t)(pixel >> 8); data[i + 1] = (uint8_t)pixel; break;
            default: data[i] = (uint8_t)r; data[i + 1] = (uint8_t)g; data[i + 2] = (uint8_t)b;
                if (format == XTML_PIXEL_RGBA8888) data[i + 3] = (uint8_t)(pixel >> 24);
            }
        }
        if (channels == 1) {
            want[0] = format == XTML_PIXEL_GRAY8 ? r : (77 * r + 150 * g + 29 * b + 128) >> 8;
        } else {
            want[0] = r;
            want[1] = g;
            want[2] = b;
        }
        st = xtml_frame_table(dtype, 0.0173f, dtype == XTML_DTYPE_INT8 ? -5 : 7, real, table, 256 * elem, NULL);
        frame.data = data;
        frame.bytes = n;
        frame.width = w;
        frame.height = h;
        frame.format = format;
        target.width = iw;
        target.height = ih;
        target.channels = channels;
        target.dtype = dtype;
        target.table = table;
        if (st == XTML_STATUS_OK) {
            st = xtml_frame_to_input(&frame, trial % 3 ? XTML_FIT_CROP : XTML_FIT_STRETCH, &target, input,
                                     (size_t)iw * (size_t)ih * (size_t)channels * elem, NULL, NULL);
        }
        for (i = 0; st == XTML_STATUS_OK && i < (size_t)iw * (size_t)ih * (size_t)channels; i++) {
            bad += memcmp(input + i * elem, table + want[i % (size_t)channels] * elem, elem) != 0;
        }
        check(st == XTML_STATUS_OK && bad == 0, "one colour %08" PRIx32 ": %ldx%ld format %d into %ldx%ldx%ld %s: %zu wrong",
              pixel, (long)w, (long)h, (int)format, (long)ih, (long)iw, (long)channels, xtml_dtype_name(dtype), bad);
        free(data);
        free(input);
    }
}

/* ---- 3. random frames ---- */

/* The 8-bit R, G, B of frame pixel (x, y), from the formats' definitions. */
static void pixel_rgb(const xtml_frame_t *f, int32_t x, int32_t y, uint32_t rgb[3]) {
    const uint8_t *p = f->data + ((size_t)y * (size_t)f->width + (size_t)x) * bpp[f->format];
    uint32_t v, r5, g6, b5;
    switch (f->format) {
    case XTML_PIXEL_GRAY8:
        rgb[0] = rgb[1] = rgb[2] = p[0];
        return;
    case XTML_PIXEL_RGB565LE:
    case XTML_PIXEL_RGB565BE:
        v = f->format == XTML_PIXEL_RGB565LE ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : (uint32_t)p[0] << 8 | p[1];
        r5 = v >> 11;
        g6 = (v >> 5) & 63;
        b5 = v & 31;
        rgb[0] = r5 * 8 + r5 / 4;
        rgb[1] = g6 * 4 + g6 / 16;
        rgb[2] = b5 * 8 + b5 / 4;
        return;
    default:
        rgb[0] = p[0];
        rgb[1] = p[1];
        rgb[2] = p[2];
        return;
    }
}

/* The input xtml_frame_to_input() must give for a region, worked out here
 * one element at a time: box i of a side spans [floor(i * span / side),
 * max(floor((i + 1) * span / side), that + 1)) from the region's edge, its
 * level is the rounded mean of its pixels' luma (or R, G, B), and the
 * element is the table's entry for the level. Returns the number of
 * elements that differ from `input`. */
static size_t oracle_diff(const xtml_frame_t *f, const xtml_rect_t *r, const xtml_frame_target_t *t,
                          const uint8_t *input) {
    size_t bad = 0, elem = xtml_dtype_size(t->dtype), o = 0;
    int32_t oy, ox, c, x, y;
    for (oy = 0; oy < t->height; oy++) {
        int32_t y0 = (int32_t)((int64_t)oy * r->h / t->height), y1 = (int32_t)((int64_t)(oy + 1) * r->h / t->height);
        y1 = y1 > y0 ? y1 : y0 + 1;
        for (ox = 0; ox < t->width; ox++) {
            int32_t x0 = (int32_t)((int64_t)ox * r->w / t->width), x1 = (int32_t)((int64_t)(ox + 1) * r->w / t->width);
            uint64_t sums[3] = {0, 0, 0}, n;
            x1 = x1 > x0 ? x1 : x0 + 1;
            n = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
            for (y = r->y + y0; y < r->y + y1; y++) {
                for (x = r->x + x0; x < r->x + x1; x++) {
                    uint32_t rgb[3];
                    pixel_rgb(f, x, y, rgb);
                    if (t->channels == 3) {
                        sums[0] += rgb[0];
                        sums[1] += rgb[1];
                        sums[2] += rgb[2];
                    } else {
                        sums[0] += f->format == XTML_PIXEL_GRAY8 ? rgb[0] : (77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2] + 128) >> 8;
                    }
                }
            }
            for (c = 0; c < t->channels; c++, o++) {
                uint64_t level = (2 * sums[c] + n) / (2 * n);
                bad += memcmp(input + o * elem, (const uint8_t *)t->table + level * elem, elem) != 0;
            }
        }
    }
    return bad;
}

static void random_frames(int frames) {
    uint8_t table[256], table32[1024];
    float real[256];
    int trial, v, ok = 1;
    size_t wrong = 0;
    for (v = 0; v < 256; v++) {
        real[v] = (float)v / 255.0f;
    }
    /* the int8 table is 256 distinct bytes and the float32 one 256 distinct
     * floats, so that a wrong level shows */
    xtml_frame_table(XTML_DTYPE_INT8, 1.0f / 255.0f, -128, real, table, sizeof table, NULL);
    xtml_frame_table(XTML_DTYPE_FLOAT32, 0.0f, 0, real, table32, sizeof table32, NULL);
    for (trial = 0; trial < frames && ok; trial++) {
        xtml_pixel_format_t format = (xtml_pixel_format_t)between(0, XTML_PIXEL_COUNT - 1);
        int32_t w = next() % 8 == 0 ? 1 : between(1, 400), h = next() % 8 == 0 ? 1 : between(1, 400);
        int32_t iw = between(1, 120), ih = between(1, 120), channels = next() % 2 ? 3 : 1;
        xtml_fit_t fit = (xtml_fit_t)(next() % 2);
        xtml_dtype_t dtype = next() % 4 == 0 ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT8;
        size_t n, i, in_bytes;
        uint8_t *data, *input;
        xtml_frame_t frame = {NULL, 0, 0, 0, XTML_PIXEL_GRAY8};
        xtml_frame_target_t target;
        xtml_rect_t r;
        xtml_status_t st;
        int64_t skew;
        switch (trial % 10) {
        case 0: /* inputs wider than a chunk of boxes (256), shrunk and enlarged */
            iw = between(250, 700);
            w = between(iw / 3, 3 * iw);
            h = between(1, 12);
            ih = between(1, 6);
            break;
        case 1: /* the frame's own size (every box one pixel) */
            iw = w = between(1, 120);
            ih = h = between(1, 120);
            break;
        case 2: /* a QVGA camera frame, as the detector sees it */
            w = 320;
            h = 240;
            iw = ih = 96;
            break;
        default:
            break;
        }
        n = (size_t)w * (size_t)h * bpp[format];
        in_bytes = (size_t)iw * (size_t)ih * (size_t)channels * xtml_dtype_size(dtype);
        data = malloc(n);
        input = malloc(in_bytes);
        for (i = 0; i < n; i++) {
            data[i] = (uint8_t)next();
        }
        frame.data = data;
        frame.bytes = n;
        frame.width = w;
        frame.height = h;
        frame.format = format;
        target.width = iw;
        target.height = ih;
        target.channels = channels;
        target.dtype = dtype;
        target.table = dtype == XTML_DTYPE_INT8 ? table : table32;
        st = xtml_frame_to_input(&frame, fit, &target, input, in_bytes, &r, NULL);
        /* crop: w/h within rounding of iw/ih, i.e. |w * ih - h * iw| <= max(iw, ih) / 2 + 1, unless 1 pixel */
        skew = (int64_t)r.w * ih - (int64_t)r.h * iw;
        ok = st == XTML_STATUS_OK && r.x >= 0 && r.y >= 0 && r.w >= 1 && r.h >= 1 && r.x + r.w <= w && r.y + r.h <= h &&
             (fit == XTML_FIT_STRETCH ? (r.x == 0 && r.y == 0 && r.w == w && r.h == h)
                                      : ((r.w == w || r.h == h) && (r.w == 1 || r.h == 1 || llabs(skew) <= (iw > ih ? iw : ih) / 2 + 1)));
        wrong = ok ? oracle_diff(&frame, &r, &target, input) : 0;
        ok = ok && wrong == 0;
        if (!ok) {
            check(0, "random frame %d: %ldx%ld format %d into %ldx%ldx%ld %s fit %d: %s, region %ld,%ld %ldx%ld, %zu elements wrong",
                  trial, (long)w, (long)h, (int)format, (long)ih, (long)iw, (long)channels, xtml_dtype_name(dtype), (int)fit,
                  xtml_status_name(st), (long)r.x, (long)r.y, (long)r.w, (long)r.h, wrong);
        }
        free(data);
        free(input);
    }
    if (ok) {
        check(1, "%d random frames: every region inside its frame, of the input's aspect or the whole frame, "
                 "and every input element the table's entry of its box's rounded mean", frames);
    }
}

/* ---- 4. random grids ---- */

static int32_t level_at(const xtml_grid_t *g, const uint8_t *scores, int32_t i, int32_t c, float *f) {
    size_t at = (size_t)i * (size_t)g->classes + (size_t)c;
    if (g->dtype == XTML_DTYPE_FLOAT32) {
        memcpy(f, scores + 4 * at, 4);
        return 0;
    }
    return g->dtype == XTML_DTYPE_INT8 ? (int32_t)(int8_t)scores[at] : (int32_t)scores[at];
}

/* The class a cell belongs to by the rule of xtml.h, worked out here, or -1. */
static int32_t cell_class(const xtml_grid_t *g, const uint8_t *scores, int32_t i) {
    int32_t c, best = -1, level, best_level = 0;
    float f = 0.0f, best_f = 0.0f;
    for (c = 0; c < g->classes; c++) {
        if (c == g->background) {
            continue;
        }
        level = level_at(g, scores, i, c, &f);
        if (g->dtype == XTML_DTYPE_FLOAT32 ? (f == f && f != -INFINITY && (best < 0 || f > best_f)) : (best < 0 || level > best_level)) {
            best = c;
            best_level = level;
            best_f = f;
        }
    }
    if (best < 0) {
        return -1;
    }
    return (g->dtype == XTML_DTYPE_FLOAT32 ? best_f >= g->min_score[best] : best_level >= g->min_level[best]) ? best : -1;
}

static void random_grids(void) {
    static const xtml_dtype_t types[3] = {XTML_DTYPE_INT8, XTML_DTYPE_UINT8, XTML_DTYPE_FLOAT32};
    int trial, ok = 1;
    for (trial = 0; trial < 2000 && ok; trial++) {
        xtml_grid_t g;
        xtml_grid_result_t res;
        int32_t cells, i, j, k, c, *owner, *work, min_level[8];
        float min_score[8];
        size_t elem, bytes;
        uint8_t *scores;
        xtml_grid_object_t *objects;
        xtml_status_t st;
        const char *why = NULL;
        g.rows = between(1, 12);
        g.cols = between(1, 12);
        g.classes = between(1, 8);
        g.background = between(-1, g.classes - 1);
        g.connectivity = next() % 2 ? 8 : 4;
        g.dtype = types[next() % 3];
        g.zero_point = g.dtype == XTML_DTYPE_INT8 ? between(-128, 127) : between(0, 255);
        for (c = 0; c < g.classes; c++) {
            min_level[c] = between(-130, 260);
            min_score[c] = (float)between(-3, 3) / 2.0f;
        }
        g.min_level = min_level;
        g.min_score = min_score;
        cells = g.rows * g.cols;
        elem = xtml_dtype_size(g.dtype);
        bytes = (size_t)cells * (size_t)g.classes * elem;
        scores = malloc(bytes);
        for (i = 0; i < (int32_t)(bytes / elem); i++) {
            if (g.dtype == XTML_DTYPE_FLOAT32) {
                float f = next() % 50 == 0 ? (next() % 2 ? NAN : -INFINITY) : (float)between(-4, 4) / 2.0f;
                memcpy(scores + 4 * (size_t)i, &f, 4);
            } else {
                scores[i] = (uint8_t)(g.zero_point + between(-3, 3)); /* few levels: ties */
            }
        }
        work = malloc(XTML_GRID_WORK(g.rows, g.cols) * sizeof *work);
        objects = malloc((size_t)cells * sizeof *objects);
        owner = malloc((size_t)cells * sizeof *owner);
        res.objects = objects;
        res.max_objects = cells;
        st = xtml_grid_decode(&g, scores, bytes, work, XTML_GRID_WORK(g.rows, g.cols), &res, NULL);
        for (i = 0; i < cells; i++) {
            owner[i] = -1;
        }
        if (st != XTML_STATUS_OK) {
            why = xtml_status_name(st);
        }
        for (k = 0; why == NULL && k < res.count; k++) {
            const xtml_grid_object_t *o = &objects[k];
            int32_t weight = 0, sx = 0, sy = 0, peak = 0, r0 = g.rows, r1 = -1, c0 = g.cols, c1 = -1;
            for (j = o->first; j < o->first + o->cells; j++) {
                int32_t cell = res.order[j], r = cell / g.cols, col = cell % g.cols, kk;
                float f;
                if (cell < 0 || cell >= cells || owner[cell] >= 0) {
                    why = "a cell listed twice or out of range";
                    break;
                }
                owner[cell] = k;
                if (cell_class(&g, scores, cell) != o->label) {
                    why = "a cell of another class";
                }
                kk = level_at(&g, scores, cell, o->label, &f) - (g.dtype == XTML_DTYPE_FLOAT32 ? 0 : g.zero_point);
                weight += kk;
                sx += kk * (2 * col + 1);
                sy += kk * (2 * r + 1);
                peak = kk > peak ? kk : peak;
                r0 = r < r0 ? r : r0;
                r1 = r > r1 ? r : r1;
                c0 = col < c0 ? col : c0;
                c1 = col > c1 ? col : c1;
            }
            if (why == NULL && (o->row0 != r0 || o->row1 != r1 || o->col0 != c0 || o->col1 != c1)) {
                why = "a box that is not its cells'";
            }
            if (why == NULL && g.dtype != XTML_DTYPE_FLOAT32 &&
                (o->weight != weight || o->sum_x != sx || o->sum_y != sy || o->peak != peak)) {
                why = "sums that are not its cells'";
            }
            if (why == NULL && (k > 0 && res.order[o->first] < res.order[objects[k - 1].first])) {
                why = "objects not in the order of their first cell";
            }
        }
        /* every cell that passes is in an object; touching cells of a class share it; objects are connected
         * (each object's cells reach its first through cells of it: a flood fill from the first) */
        for (i = 0; why == NULL && i < cells; i++) {
            int32_t label = cell_class(&g, scores, i);
            if ((label >= 0) != (owner[i] >= 0)) {
                why = "a cell that passes outside every object, or one that does not pass inside one";
            }
            for (j = 0; why == NULL && label >= 0 && j < cells; j++) {
                int32_t dr = j / g.cols - i / g.cols, dc = j % g.cols - i % g.cols;
                int touch = dr >= -1 && dr <= 1 && dc >= -1 && dc <= 1 && (g.connectivity == 8 || dr == 0 || dc == 0);
                if (touch && j != i && cell_class(&g, scores, j) == label && owner[j] != owner[i]) {
                    why = "touching cells of one class in two objects";
                }
            }
        }
        for (k = 0; why == NULL && k < res.count; k++) {
            const xtml_grid_object_t *o = &objects[k];
            int32_t reached = 1, grew = 1;
            for (i = 0; i < cells; i++) {
                work[i] = i == res.order[o->first];
            }
            while (grew) {
                grew = 0;
                for (i = 0; i < cells; i++) {
                    for (j = 0; !work[i] && owner[i] == k && j < cells; j++) {
                        int32_t dr = j / g.cols - i / g.cols, dc = j % g.cols - i % g.cols;
                        if (work[j] && dr >= -1 && dr <= 1 && dc >= -1 && dc <= 1 && (g.connectivity == 8 || dr == 0 || dc == 0)) {
                            work[i] = 1;
                            reached++;
                            grew = 1;
                        }
                    }
                }
            }
            if (reached != o->cells) {
                why = "an object that is not connected";
            }
        }
        if (why != NULL) {
            ok = 0;
            check(0, "random grid %d: %ldx%ldx%ld %s, background %ld, connectivity %ld: %s", trial, (long)g.rows, (long)g.cols,
                  (long)g.classes, xtml_dtype_name(g.dtype), (long)g.background, (long)g.connectivity, why);
        }
        free(scores);
        free(work);
        free(objects);
        free(owner);
    }
    if (ok) {
        check(1, "2000 random grids: objects are the connected cells of a class that pass, with their own sums");
    }
}

/* Fewer objects than found: only max_objects are written, count is all of them. */
static void object_room(void) {
    int8_t scores[9] = {1, 0, 1, 0, 0, 0, 1, 0, 1};
    int32_t level = 1, work[27];
    xtml_grid_object_t objects[3];
    xtml_grid_t g = {3, 3, 1, -1, 4, XTML_DTYPE_INT8, 0, NULL, NULL};
    xtml_grid_result_t res = {objects, 2, 0, NULL};
    xtml_status_t st;
    g.min_level = &level;
    memset(objects, SENTINEL, sizeof objects);
    st = xtml_grid_decode(&g, scores, sizeof scores, work, 27, &res, NULL);
    check(st == XTML_STATUS_OK && res.count == 4 && objects[1].first == 1 && untouched((const uint8_t *)&objects[2], sizeof objects[2]),
          "room for 2 of 4 objects: count 4, two written, the third slot untouched");
}

int main(int argc, char **argv) {
    int frames = argc > 1 ? atoi(argv[1]) : 3000;
    bad_tables();
    bad_frames();
    bad_grids();
    uniform_frames();
    random_frames(frames > 0 ? frames : 3000);
    random_grids();
    object_room();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
