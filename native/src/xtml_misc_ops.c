/*
 * xtml_misc_ops.c - SPLIT_V, REVERSE_V2 and DYNAMIC_UPDATE_SLICE: data
 * movement in the types TFLM's reference kernels accept.
 *
 *   - SPLIT_V (input, size_splits, axis): the outputs' own sizes along the
 *     constant axis say where the input is cut, as in TFLM, which never
 *     reads size_splits; they must add up to the input's.
 *   - REVERSE_V2 (input, axes): the axes, read at every invoke as TFLM does
 *     (a constant list is checked at prepare already), must be distinct and
 *     contiguous once sorted; reversing the span of axes as one flattened
 *     axis reverses each of them.
 *   - DYNAMIC_UPDATE_SLICE (operand, update, start): the output is the
 *     operand with update written at start, each start index clamped into
 *     [0, operand dim - update dim] (int32 or int64 start, read at every
 *     invoke); an update as large as the operand replaces it whole.
 */
#include "xtml_internal.h"

static xtml_status_t io_counts(xtml_prep_t *p, int n_in, int min_out, int max_out) {
    int ni = xtml_prep_n_inputs(p), no = xtml_prep_n_outputs(p);
    if (ni != n_in || no < min_out || no > max_out) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected %d and %d..%d",
                              ni, no, n_in, min_out, max_out);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t present(xtml_prep_t *p, int i, xtml_tinfo_t *t) {
    xtml_prep_input(p, i, t);
    if (t->index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input %d is absent", i);
    }
    return XTML_STATUS_OK;
}

static bool movable_type(xtml_dtype_t t, bool with_64_bool) {
    switch (t) {
    case XTML_DTYPE_FLOAT32:
    case XTML_DTYPE_INT8:
    case XTML_DTYPE_INT16:
    case XTML_DTYPE_INT32:
        return true;
    case XTML_DTYPE_UINT8:
    case XTML_DTYPE_INT64:
    case XTML_DTYPE_BOOL:
        return with_64_bool;
    default:
        return false;
    }
}

static int32_t product(const int32_t *dims, int32_t from, int32_t to) {
    int32_t n = 1, i;
    for (i = from; i < to; i++) {
        n *= dims[i];
    }
    return n;
}

/* ---- SPLIT_V ---- */

typedef struct xtml_split_v_params {
    int32_t n;           /* outputs */
    int32_t outer;       /* product of the dims before the axis */
    /* then n int32: bytes of output i per outer step */
} xtml_split_v_params_t;

static xtml_status_t split_v_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, sizes, axis_t, out;
    xtml_fb_table_t opts;
    xtml_split_v_params_t *prm;
    int32_t n = xtml_prep_n_outputs(p);
    int32_t axis, i, d, total = 0;
    size_t inner;
    xtml_status_t s;
    if ((s = io_counts(p, 3, 1, 0x7FFF)) != XTML_STATUS_OK || (s = present(p, 0, &in)) != XTML_STATUS_OK ||
        (s = present(p, 1, &sizes)) != XTML_STATUS_OK || (s = present(p, 2, &axis_t)) != XTML_STATUS_OK ||
        (s = xtml_prep_options(p, 79 /* SplitVOptions */, &opts)) != XTML_STATUS_OK) {
        return s;
    }
    if (opts.pos != 0 && xtml_fb_i32(&opts, 0, 0) != n) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "num_splits is %d but %d outputs",
                              (int)xtml_fb_i32(&opts, 0, 0), (int)n);
    }
    if (!movable_type(in.type, false)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input '%s' is %s, expected float32, int8, int16 or int32",
                              in.name, xtml_dtype_name(in.type));
    }
    if (!axis_t.is_const || axis_t.data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "axis '%s' is not a constant", axis_t.name);
    }
    if (axis_t.type != XTML_DTYPE_INT32 || axis_t.count != 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "axis '%s' must be one int32", axis_t.name);
    }
    axis = xtml_ld_i32((const uint8_t *)axis_t.data);
    if (axis < -in.ndim || axis >= in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "axis %" PRId32 " is out of range for rank %" PRId32, axis,
                              in.ndim);
    }
    if (axis < 0) {
        axis += in.ndim;
    }
    for (i = 0; i < n; i++) {
        xtml_prep_output(p, i, &out);
        s = xtml_prep_expect_type(p, &out, "output", in.type);
        if (s != XTML_STATUS_OK) {
            return s;
        }
        if (out.ndim != in.ndim) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output %" PRId32 " '%s' has rank %" PRId32
                                  ", the input %" PRId32, i, out.name, out.ndim, in.ndim);
        }
        for (d = 0; d < in.ndim; d++) {
            if (d != axis && out.dims[d] != in.dims[d]) {
                return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output %" PRId32 " '%s' differs from the input in "
                                      "dimension %" PRId32, i, out.name, d);
            }
        }
        total += out.dims[axis];   /* each <= the input's count: no overflow */
    }
    if (total != in.dims[axis]) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "the outputs take %" PRId32 " of the input's %" PRId32
                              " along axis %" PRId32, total, in.dims[axis], axis);
    }
    prm = (xtml_split_v_params_t *)XTML_PREP_PERSIST(p, xtml_split_v_params_t, 4 * (size_t)n);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    inner = (size_t)product(in.dims, axis + 1, in.ndim) * xtml_dtype_size(in.type);
    prm->n = n;
    prm->outer = product(in.dims, 0, axis);
    for (i = 0; i < n; i++) {
        xtml_prep_output(p, i, &out);
        ((int32_t *)(void *)(prm + 1))[i] = (int32_t)((size_t)out.dims[axis] * inner);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t split_v_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_split_v_params_t *prm = (const xtml_split_v_params_t *)node->params;
    const int32_t *run = (const int32_t *)(const void *)(prm + 1);
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    int32_t k, i;
    for (k = 0; k < prm->outer; k++) {
        for (i = 0; i < prm->n; i++) {
            memcpy((uint8_t *)xtml_node_out(ctx, node, i) + (size_t)k * (size_t)run[i], in, (size_t)run[i]);
            in += run[i];
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_split_v = { "SPLIT_V", split_v_prepare, split_v_eval };

/* ---- REVERSE_V2 ---- */

typedef struct xtml_reverse_params {
    int32_t ndim;
    int32_t n_axes;
    int32_t dims[XTML_MAX_DIMS];
    int32_t esize;
} xtml_reverse_params_t;

/* The first and last axis of an axes tensor (int32, n values) over rank
 * ndim: false unless they are distinct and contiguous once sorted. */
static bool reverse_span(const uint8_t *axes, int32_t n, int32_t ndim, int32_t *lo, int32_t *hi) {
    bool seen[XTML_MAX_DIMS] = { false };
    int32_t i;
    if (n < 1 || n > ndim) {
        return false;
    }
    *lo = ndim;
    *hi = -1;
    for (i = 0; i < n; i++) {
        int32_t a = xtml_ld_i32(axes + 4 * (size_t)i);
        if (a < -ndim || a >= ndim) {
            return false;
        }
        a = a < 0 ? a + ndim : a;
        if (seen[a]) {
            return false;
        }
        seen[a] = true;
        *lo = a < *lo ? a : *lo;
        *hi = a > *hi ? a : *hi;
    }
    return *hi - *lo + 1 == n;
}

static xtml_status_t reverse_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, axes, out;
    xtml_reverse_params_t *prm;
    int32_t lo, hi;
    xtml_status_t s;
    if ((s = io_counts(p, 2, 1, 1)) != XTML_STATUS_OK || (s = present(p, 0, &in)) != XTML_STATUS_OK ||
        (s = present(p, 1, &axes)) != XTML_STATUS_OK) {
        return s;
    }
    xtml_prep_output(p, 0, &out);
    if (!movable_type(in.type, true)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input '%s' is %s, expected float32, int8, uint8, int16, int32, int64 or bool", in.name,
                              xtml_dtype_name(in.type));
    }
    if (axes.type != XTML_DTYPE_INT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "axes '%s' is %s, expected int32", axes.name,
                              xtml_dtype_name(axes.type));
    }
    if (axes.ndim != 1 || axes.count < 1 || axes.count > in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "axes '%s' must list 1 to %" PRId32 " axes", axes.name,
                              in.ndim);
    }
    if ((s = xtml_prep_expect_type(p, &out, "output", in.type)) != XTML_STATUS_OK ||
        (s = xtml_prep_expect_same_shape(p, &in, "input", &out, "output")) != XTML_STATUS_OK) {
        return s;
    }
    if (axes.is_const && axes.data != NULL &&
        !reverse_span((const uint8_t *)axes.data, axes.count, in.ndim, &lo, &hi)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "axes '%s' must be distinct, in range and contiguous", axes.name);
    }
    prm = (xtml_reverse_params_t *)XTML_PREP_PERSIST(p, xtml_reverse_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    prm->ndim = in.ndim;
    prm->n_axes = axes.count;
    memcpy(prm->dims, in.dims, sizeof prm->dims);
    prm->esize = (int32_t)xtml_dtype_size(in.type);
    return XTML_STATUS_OK;
}

static xtml_status_t reverse_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_reverse_params_t *prm = (const xtml_reverse_params_t *)node->params;
    const uint8_t *axes = (const uint8_t *)xtml_node_in(ctx, node, 1);
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    int32_t lo, hi, outer, mid, i, j;
    size_t inner;
    if (!reverse_span(axes, prm->n_axes, prm->ndim, &lo, &hi)) {
#ifndef XTML_NO_DETAIL
        xtml_fmt(ctx->detail, sizeof ctx->detail, "REVERSE_V2: axes not distinct, in range and contiguous");
#endif
        return XTML_STATUS_EVAL_ERROR;
    }
    outer = product(prm->dims, 0, lo);
    mid = product(prm->dims, lo, hi + 1);
    inner = (size_t)product(prm->dims, hi + 1, prm->ndim) * (size_t)prm->esize;
    for (i = 0; i < outer; i++) {
        const uint8_t *src = in + (size_t)i * (size_t)mid * inner;
        uint8_t *dst = out + (size_t)i * (size_t)mid * inner;
        for (j = 0; j < mid; j++) {
            memcpy(dst + (size_t)(mid - 1 - j) * inner, src + (size_t)j * inner, inner);
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_reverse_v2 = { "REVERSE_V2", reverse_prepare, reverse_eval };

/* ---- DYNAMIC_UPDATE_SLICE ---- */

typedef struct xtml_update_slice_params {
    int32_t ndim;
    int32_t esize;
    uint8_t start_is_64;
    int32_t count;                       /* operand elements */
    int32_t update_count;
    int32_t dims[XTML_MAX_DIMS];         /* operand */
    int32_t update_dims[XTML_MAX_DIMS];
} xtml_update_slice_params_t;

static xtml_status_t update_slice_prepare(xtml_prep_t *p) {
    xtml_tinfo_t op, up, start, out;
    xtml_update_slice_params_t *prm;
    int32_t d;
    xtml_status_t s;
    if ((s = io_counts(p, 3, 1, 1)) != XTML_STATUS_OK || (s = present(p, 0, &op)) != XTML_STATUS_OK ||
        (s = present(p, 1, &up)) != XTML_STATUS_OK || (s = present(p, 2, &start)) != XTML_STATUS_OK) {
        return s;
    }
    xtml_prep_output(p, 0, &out);
    if (!movable_type(op.type, false)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "operand '%s' is %s, expected float32, int8, int16 or int32",
                              op.name, xtml_dtype_name(op.type));
    }
    if ((s = xtml_prep_expect_type(p, &up, "update", op.type)) != XTML_STATUS_OK ||
        (s = xtml_prep_expect_type(p, &out, "output", op.type)) != XTML_STATUS_OK ||
        (s = xtml_prep_expect_same_shape(p, &op, "operand", &out, "output")) != XTML_STATUS_OK) {
        return s;
    }
    if (start.type != XTML_DTYPE_INT32 && start.type != XTML_DTYPE_INT64) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "start '%s' is %s, expected int32 or int64", start.name,
                              xtml_dtype_name(start.type));
    }
    if (start.ndim != 1 || start.dims[0] != op.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "start '%s' must hold one index per operand dimension (%" PRId32 ")",
                              start.name, op.ndim);
    }
    if (up.ndim != op.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "update '%s' has rank %" PRId32 ", the operand %" PRId32,
                              up.name, up.ndim, op.ndim);
    }
    for (d = 0; d < op.ndim; d++) {
        if (up.dims[d] > op.dims[d]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "update '%s' is larger than the operand in dimension %" PRId32,
                                  up.name, d);
        }
    }
    prm = (xtml_update_slice_params_t *)XTML_PREP_PERSIST(p, xtml_update_slice_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    prm->ndim = op.ndim;
    prm->esize = (int32_t)xtml_dtype_size(op.type);
    prm->start_is_64 = start.type == XTML_DTYPE_INT64;
    prm->count = op.count;
    prm->update_count = up.count;
    memcpy(prm->dims, op.dims, sizeof prm->dims);
    memcpy(prm->update_dims, up.dims, sizeof prm->update_dims);
    return XTML_STATUS_OK;
}

static xtml_status_t update_slice_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_update_slice_params_t *prm = (const xtml_update_slice_params_t *)node->params;
    const uint8_t *operand = (const uint8_t *)xtml_node_in(ctx, node, 0);
    const uint8_t *update = (const uint8_t *)xtml_node_in(ctx, node, 1);
    const uint8_t *start = (const uint8_t *)xtml_node_in(ctx, node, 2);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    int32_t first[XTML_MAX_DIMS], idx[XTML_MAX_DIMS], stride[XTML_MAX_DIMS];
    int32_t nd = prm->ndim, d, rows, r;
    size_t esize = (size_t)prm->esize, row_bytes;
    if (prm->count == prm->update_count) {
        memcpy(out, update, (size_t)prm->count * esize);
        return XTML_STATUS_OK;
    }
    if (out != operand) {
        memcpy(out, operand, (size_t)prm->count * esize);
    }
    if (prm->update_count == 0) {
        return XTML_STATUS_OK;
    }
    /* nd >= 1 here: a rank-0 operand and update both hold one element */
    for (d = 0; d < nd; d++) {
        int64_t v = prm->start_is_64 ? xtml_ld_i64(start + 8 * (size_t)d) : xtml_ld_i32(start + 4 * (size_t)d);
        int64_t top = (int64_t)prm->dims[d] - prm->update_dims[d];
        first[d] = (int32_t)(v < 0 ? 0 : v > top ? top : v);
        idx[d] = 0;
    }
    stride[nd - 1] = 1;
    for (d = nd - 2; d >= 0; d--) {
        stride[d] = stride[d + 1] * prm->dims[d + 1];
    }
    /* the update row by row (its last dimension), rows in order */
    row_bytes = (size_t)prm->update_dims[nd - 1] * esize;
    rows = prm->update_count / prm->update_dims[nd - 1];
    for (r = 0; r < rows; r++) {
        int32_t at = 0;
        for (d = 0; d < nd; d++) {
            at += (first[d] + idx[d]) * stride[d];
        }
        memcpy(out + (size_t)at * esize, update + (size_t)r * row_bytes, row_bytes);
        for (d = nd - 2; d >= 0; d--) {
            if (++idx[d] < prm->update_dims[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_dynamic_update_slice = { "DYNAMIC_UPDATE_SLICE", update_slice_prepare,
                                                         update_slice_eval };
