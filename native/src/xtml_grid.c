/*
 * xtml_grid.c - FOMO-style grid decoding (xtml.h, "The frame path"): each
 * cell's best class other than the background, thresholds, and connected
 * cells of one class as objects with integer sums for their centres.
 *
 * Quantized scores are compared as levels: (level - zero_point) * scale
 * grows with the level, so the best level is the best score and a threshold
 * is a least level. The sums are exact 32-bit integers: every k is within
 * +-255 and the call refuses grids where 255 * rows * cols * max(rows, cols)
 * would not fit. The search is depth-first from a stack, neighbours pushed
 * row by row, so objects and the order of their cells are the same on every
 * build.
 */
#include <math.h>

#include "xtml_internal.h"

static xtml_status_t check_grid(const xtml_grid_t *g, size_t score_bytes, size_t work_count, xtml_diag_t *diag) {
    uint64_t cells;
    bool quantized = g->dtype == XTML_DTYPE_INT8 || g->dtype == XTML_DTYPE_UINT8;
    if (g->rows < 1 || g->cols < 1 || g->classes < 1) {
        return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG,
                              "grid: %ldx%ld cells of %ld classes; each must be positive", (long)g->rows, (long)g->cols,
                              (long)g->classes);
    }
    cells = (uint64_t)g->rows * (uint64_t)g->cols;
    if (cells > INT32_MAX / 3) {
        return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG, "grid: %ldx%ld cells are too many", (long)g->rows,
                              (long)g->cols);
    }
    if (!quantized && g->dtype != XTML_DTYPE_FLOAT32) {
        return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG, "grid: scores must be int8, uint8 or float32, not %s",
                              xtml_dtype_name(g->dtype) != NULL ? xtml_dtype_name(g->dtype) : "an unknown type");
    }
    if ((uint64_t)score_bytes != cells * (uint64_t)g->classes * xtml_dtype_size(g->dtype)) {
        return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG, "grid: %ldx%ldx%ld %s scores are %llu bytes, got %zu",
                              (long)g->rows, (long)g->cols, (long)g->classes, xtml_dtype_name(g->dtype),
                              (unsigned long long)(cells * (uint64_t)g->classes * xtml_dtype_size(g->dtype)),
                              score_bytes);
    }
    if (g->background < -1 || g->background >= g->classes) {
        return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG, "grid: background %ld is not a class or -1",
                              (long)g->background);
    }
    if (g->connectivity != 4 && g->connectivity != 8) {
        return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG, "grid: connectivity must be 4 or 8, got %ld",
                              (long)g->connectivity);
    }
    if (quantized) {
        int32_t lo = g->dtype == XTML_DTYPE_INT8 ? -128 : 0;
        int32_t side = g->rows > g->cols ? g->rows : g->cols;
        if (g->min_level == NULL) {
            return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT,
                                  "grid: min_level must not be NULL for quantized scores");
        }
        if (g->zero_point < lo || g->zero_point > lo + 255) {
            return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG, "grid: zero point %ld is outside the %s range",
                                  (long)g->zero_point, xtml_dtype_name(g->dtype));
        }
        if (255 * cells * (uint64_t)side > INT32_MAX) {
            return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG, "grid: %ldx%ld cells are too many for 32-bit sums",
                                  (long)g->rows, (long)g->cols);
        }
    } else if (g->min_score == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "grid: min_score must not be NULL for float32 scores");
    }
    if ((uint64_t)work_count < 3 * cells) {
        return xtml_diag_fail(diag, XTML_STATUS_GRID_CONFIG,
                              "grid: %ldx%ld cells need %llu int32 of work memory, got %zu", (long)g->rows,
                              (long)g->cols, (unsigned long long)(3 * cells), work_count);
    }
    return XTML_STATUS_OK;
}

/* Each cell's class, or -1: the best class other than the background (the
 * first of equal scores) when its score reaches that class's threshold. */
static void label_cells_quantized(const xtml_grid_t *g, const uint8_t *scores, int32_t cells, int32_t *labels) {
    int32_t i, c, classes = g->classes, background = g->background;
    bool is_signed = g->dtype == XTML_DTYPE_INT8;
    for (i = 0; i < cells; ++i) {
        const uint8_t *s = scores + (size_t)i * (size_t)classes;
        int32_t best = -1, best_level = INT32_MIN;
        for (c = 0; c < classes; ++c) {
            int32_t level = is_signed ? (int32_t)(int8_t)s[c] : (int32_t)s[c];
            if (level > best_level && c != background) {
                best = c;
                best_level = level;
            }
        }
        labels[i] = best >= 0 && best_level >= g->min_level[best] ? best : -1;
    }
}

static inline float score_f32(const uint8_t *scores, size_t index) {
    float f;
    memcpy(&f, scores + 4 * index, sizeof f);
    return f;
}

/* As label_cells_quantized; NaN and -inf are never best (nothing is greater
 * than -inf), as in a search that starts from -inf. */
static void label_cells_f32(const xtml_grid_t *g, const uint8_t *scores, int32_t cells, int32_t *labels) {
    int32_t i, c, classes = g->classes, background = g->background;
    for (i = 0; i < cells; ++i) {
        size_t base = (size_t)i * (size_t)classes;
        int32_t best = -1;
        float best_score = -HUGE_VALF;
        for (c = 0; c < classes; ++c) {
            float s = score_f32(scores, base + (size_t)c);
            if (s > best_score && c != background) {
                best = c;
                best_score = s;
            }
        }
        labels[i] = best >= 0 && best_score >= g->min_score[best] ? best : -1;
    }
}

xtml_status_t xtml_grid_decode(const xtml_grid_t *grid, const void *scores, size_t score_bytes, int32_t *work,
                               size_t work_count, xtml_grid_result_t *result, xtml_diag_t *diag) {
    const uint8_t *bytes = scores;
    int32_t *labels, *stack, *order;
    int32_t rows, cols, cells, start, found = 0, n_order = 0, zero_point;
    bool quantized, is_signed, diagonals;
    xtml_status_t status;
    xtml_diag_clear(diag);
    if (grid == NULL || result == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "grid decode: grid and result must not be NULL");
    }
    if (result->max_objects < 0 || (result->max_objects > 0 && result->objects == NULL)) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "grid decode: room for %ld objects at %s",
                              (long)result->max_objects, result->objects == NULL ? "a NULL pointer" : "objects");
    }
    status = check_grid(grid, score_bytes, work_count, diag);
    if (status != XTML_STATUS_OK) {
        return status;
    }
    if (scores == NULL || work == NULL) {
        return xtml_diag_fail(diag, XTML_STATUS_BAD_ARGUMENT, "grid decode: scores and work must not be NULL");
    }
    rows = grid->rows;
    cols = grid->cols;
    cells = rows * cols;
    labels = work;
    stack = work + cells;
    order = work + 2 * (size_t)cells;
    quantized = grid->dtype != XTML_DTYPE_FLOAT32;
    is_signed = grid->dtype == XTML_DTYPE_INT8;
    zero_point = grid->zero_point;
    diagonals = grid->connectivity == 8;
    if (quantized) {
        label_cells_quantized(grid, bytes, cells, labels);
    } else {
        label_cells_f32(grid, bytes, cells, labels);
    }

    /* A visited cell's label becomes -1: it is never pushed again, and never
     * starts an object. */
    for (start = 0; start < cells; ++start) {
        xtml_grid_object_t o;
        int32_t label = labels[start], top = 0;
        if (label < 0) {
            continue;
        }
        memset(&o, 0, sizeof o);
        o.label = label;
        o.first = n_order;
        o.row0 = rows;
        o.col0 = cols;
        o.row1 = -1;
        o.col1 = -1;
        stack[top++] = start;
        labels[start] = -1;
        while (top > 0) {
            int32_t i = stack[--top], r = i / cols, c = i % cols, dy, dx;
            order[n_order++] = i;
            o.cells++;
            if (quantized) {
                uint8_t raw = bytes[(size_t)i * (size_t)grid->classes + (size_t)label];
                int32_t k = (is_signed ? (int32_t)(int8_t)raw : (int32_t)raw) - zero_point;
                o.weight += k;
                o.sum_x += k * (2 * c + 1);
                o.sum_y += k * (2 * r + 1);
                if (k > o.peak) {
                    o.peak = k;
                }
            }
            o.row0 = r < o.row0 ? r : o.row0;
            o.row1 = r > o.row1 ? r : o.row1;
            o.col0 = c < o.col0 ? c : o.col0;
            o.col1 = c > o.col1 ? c : o.col1;
            for (dy = -1; dy <= 1; ++dy) {
                for (dx = -1; dx <= 1; ++dx) {
                    int32_t rr = r + dy, cc = c + dx, j;
                    if ((!diagonals && dx != 0 && dy != 0) || rr < 0 || rr >= rows || cc < 0 || cc >= cols) {
                        continue;
                    }
                    j = rr * cols + cc;
                    if (labels[j] == label) {
                        labels[j] = -1;
                        stack[top++] = j;
                    }
                }
            }
        }
        if (found < result->max_objects) {
            result->objects[found] = o;
        }
        ++found;
    }
    result->count = found;
    result->order = order;
    return XTML_STATUS_OK;
}
