/*
 * xtml_gather.c - lookups by index: GATHER, GATHER_ND and EMBEDDING_LOOKUP.
 *
 * The indices are data, so they are checked at invoke: an index outside its
 * axis fails the invoke with XTML_STATUS_EVAL_ERROR and leaves the output
 * partly written (TFLM reads out of bounds for GATHER; it fails GATHER_ND and
 * EMBEDDING_LOOKUP the same way). GATHER_ND bounds the flat position of each
 * slice, as TFLM does, not each index on its own.
 */
#include "xtml_internal.h"

/* Fail an invoke with a detail naming the operator and the bad index. */
static xtml_status_t index_fail(xtml_ctx_t *ctx, const char *op, int32_t index, int32_t bound) {
#ifndef XTML_NO_DETAIL
    xtml_fmt(ctx->detail, sizeof ctx->detail, "%s: index %" PRId32 " outside [0, %" PRId32 ")",
             op, index, bound);
#else
    (void)ctx;
    (void)op;
    (void)index;
    (void)bound;
#endif
    return XTML_STATUS_EVAL_ERROR;
}

static xtml_status_t expect_io(xtml_prep_t *p, int n_in, int n_out) {
    if (xtml_prep_n_inputs(p) != n_in || xtml_prep_n_outputs(p) != n_out) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected %d and %d",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p), n_in, n_out);
    }
    return XTML_STATUS_OK;
}

static size_t elem_size(xtml_dtype_t t) {
    return t == XTML_DTYPE_FLOAT32 || t == XTML_DTYPE_INT32 ? 4u : (t == XTML_DTYPE_INT16 ? 2u : 1u);
}

/* Output dims must be exactly want[0..n). */
static xtml_status_t expect_dims(xtml_prep_t *p, const xtml_tinfo_t *out, const int32_t *want,
                                 int32_t n) {
    int32_t i;
    bool same = out->ndim == n;
    for (i = 0; same && i < n; ++i) {
        same = out->dims[i] == want[i];
    }
    if (!same) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' has the wrong shape for its inputs", out->name);
    }
    return XTML_STATUS_OK;
}

/* ---- GATHER ---- */

typedef struct xtml_gather_params {
    int32_t batch;         /* product of the batch dims */
    int32_t outer;         /* dims between the batch dims and the axis */
    int32_t axis_size;
    int32_t coords;        /* coordinates per batch */
    int32_t inner_bytes;   /* bytes after the axis */
} xtml_gather_params_t;

static xtml_status_t gather_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, coords, out;
    xtml_fb_table_t opts;
    xtml_gather_params_t *k;
    int32_t axis, batch_dims, i, n = 0, batch = 1, outer = 1, ncoord = 1;
    int32_t want[XTML_MAX_DIMS * 2];
    size_t inner = elem_size(XTML_DTYPE_FLOAT32);
    xtml_status_t st = expect_io(p, 2, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    st = xtml_prep_options(p, XTML_OPTS_GATHER, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    axis = xtml_fb_i32(&opts, 0, 0);
    batch_dims = xtml_fb_i32(&opts, 1, 0);
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &coords);
    xtml_prep_output(p, 0, &out);
    if (coords.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "positions are required");
    }
    if (in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input 0 '%s' is %s, expected float32 or int8", in.name,
                              xtml_dtype_name(in.type));
    }
    if (coords.type != XTML_DTYPE_INT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "positions '%s' are %s, expected int32", coords.name,
                              xtml_dtype_name(coords.type));
    }
    st = xtml_prep_expect_type(p, &out, "output tensor", in.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (axis < 0) {
        axis += in.ndim;
    }
    if (batch_dims < 0) {
        batch_dims += coords.ndim;
    }
    if (axis < 0 || axis >= in.ndim || batch_dims < 0 || batch_dims > axis ||
        batch_dims > coords.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "axis %d / batch_dims %d do not fit input 0 '%s' (rank %d) and "
                              "positions '%s' (rank %d)",
                              (int)xtml_fb_i32(&opts, 0, 0), (int)xtml_fb_i32(&opts, 1, 0),
                              in.name, (int)in.ndim, coords.name, (int)coords.ndim);
    }
    for (i = 0; i < batch_dims; ++i) {
        if (in.dims[i] != coords.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "batch dimension %d of input 0 '%s' and positions '%s' differ",
                                  (int)i, in.name, coords.name);
        }
        batch *= in.dims[i];
    }
    for (i = 0; i < axis; ++i) {
        want[n++] = in.dims[i];
        if (i >= batch_dims) {
            outer *= in.dims[i];
        }
    }
    for (i = batch_dims; i < coords.ndim; ++i) {
        want[n++] = coords.dims[i];
        ncoord *= coords.dims[i];
    }
    inner = elem_size(in.type);
    for (i = axis + 1; i < in.ndim; ++i) {
        want[n++] = in.dims[i];
        inner *= (size_t)in.dims[i];
    }
    st = expect_dims(p, &out, want, n);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    k = (xtml_gather_params_t *)XTML_PREP_PERSIST(p, xtml_gather_params_t, 0);
    if (k == NULL) {
        return XTML_STATUS_OK;
    }
    k->batch = batch;
    k->outer = outer;
    k->axis_size = in.dims[axis];
    k->coords = ncoord;
    k->inner_bytes = (int32_t)inner;  /* <= the input's bytes: verified */
    return XTML_STATUS_OK;
}

static xtml_status_t gather_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_gather_params_t *k = (const xtml_gather_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    const int32_t *coords = (const int32_t *)xtml_node_in(ctx, node, 1);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    const size_t inner = (size_t)k->inner_bytes;
    int32_t b, o, c;
    for (b = 0; b < k->batch; ++b) {
        for (o = 0; o < k->outer; ++o) {
            const uint8_t *src = in + ((size_t)b * (size_t)k->outer + (size_t)o) *
                                          (size_t)k->axis_size * inner;
            for (c = 0; c < k->coords; ++c) {
                int32_t at = coords[(size_t)b * (size_t)k->coords + (size_t)c];
                if (at < 0 || at >= k->axis_size) {
                    return index_fail(ctx, "GATHER", at, k->axis_size);
                }
                memcpy(out, src + (size_t)at * inner, inner);
                out += inner;
            }
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_gather = { "GATHER", gather_prepare, gather_eval };

/* ---- GATHER_ND ---- */

#define GATHER_ND_MAX 5   /* TFLM's limit on the index depth */

typedef struct xtml_gather_nd_params {
    int32_t slices;                 /* index tuples */
    int32_t nd;                     /* values per tuple */
    int32_t slice_elems;            /* elements each tuple selects */
    int32_t flat;                   /* params' element count */
    int32_t stride[GATHER_ND_MAX];  /* elements per step of index j */
    int32_t elem_bytes;
} xtml_gather_nd_params_t;

static xtml_status_t gather_nd_prepare(xtml_prep_t *p) {
    xtml_tinfo_t params, idx, out;
    xtml_gather_nd_params_t k;
    xtml_gather_nd_params_t *mem;
    int32_t want[XTML_MAX_DIMS * 2];
    int32_t i, n = 0, remain;
    xtml_status_t st = expect_io(p, 2, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &params);
    xtml_prep_input(p, 1, &idx);
    xtml_prep_output(p, 0, &out);
    if (idx.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "indices are required");
    }
    if (params.type != XTML_DTYPE_FLOAT32 && params.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "params '%s' are %s, expected float32 or int8", params.name,
                              xtml_dtype_name(params.type));
    }
    if (idx.type != XTML_DTYPE_INT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "indices '%s' are %s, expected int32",
                              idx.name, xtml_dtype_name(idx.type));
    }
    st = xtml_prep_expect_type(p, &out, "output tensor", params.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (params.ndim < 1 || idx.ndim < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "params '%s' and indices '%s' must be at least vectors", params.name,
                              idx.name);
    }
    memset(&k, 0, sizeof k);
    k.nd = idx.dims[idx.ndim - 1];
    if (k.nd > params.ndim || k.nd > GATHER_ND_MAX) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "indices '%s' have %d values per tuple, more than params' rank %d "
                              "or %d",
                              idx.name, (int)k.nd, (int)params.ndim, GATHER_ND_MAX);
    }
    if (params.count < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "params '%s' are empty",
                              params.name);
    }
    k.slices = 1;
    for (i = 0; i < idx.ndim - 1; ++i) {
        want[n++] = idx.dims[i];
        k.slices *= idx.dims[i];
    }
    k.slice_elems = 1;
    for (i = k.nd; i < params.ndim; ++i) {
        want[n++] = params.dims[i];
        k.slice_elems *= params.dims[i];
    }
    st = expect_dims(p, &out, want, n);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    remain = params.count;
    for (i = 0; i < k.nd; ++i) {
        remain /= params.dims[i];
        k.stride[i] = remain;
    }
    k.flat = params.count;
    k.elem_bytes = (int32_t)elem_size(params.type);
    mem = (xtml_gather_nd_params_t *)XTML_PREP_PERSIST(p, xtml_gather_nd_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

static xtml_status_t gather_nd_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_gather_nd_params_t *k = (const xtml_gather_nd_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    const int32_t *idx = (const int32_t *)xtml_node_in(ctx, node, 1);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    const size_t bytes = (size_t)k->slice_elems * (size_t)k->elem_bytes;
    int32_t s, j;
    for (s = 0; s < k->slices; ++s) {
        int64_t from = 0;
        for (j = 0; j < k->nd; ++j) {
            from += (int64_t)idx[(size_t)s * (size_t)k->nd + (size_t)j] * k->stride[j];
        }
        if (from < 0 || from + k->slice_elems > k->flat) {
            return index_fail(ctx, "GATHER_ND", (int32_t)(from < 0 ? -1 : from), k->flat);
        }
        memcpy(out + (size_t)s * bytes, in + (size_t)from * (size_t)k->elem_bytes, bytes);
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_gather_nd = { "GATHER_ND", gather_nd_prepare, gather_nd_eval };

/* ---- EMBEDDING_LOOKUP ---- */

typedef struct xtml_embedding_params {
    int32_t lookups;
    int32_t rows;
    int32_t columns;      /* elements per row */
    float scale;          /* int8 table into float32 output */
    uint8_t hybrid;
    uint8_t elem_bytes;
} xtml_embedding_params_t;

static xtml_status_t embedding_prepare(xtml_prep_t *p) {
    xtml_tinfo_t ids, table, out;
    xtml_embedding_params_t *k;
    int32_t want[XTML_MAX_DIMS];
    int32_t i;
    xtml_status_t st = expect_io(p, 2, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &ids);
    xtml_prep_input(p, 1, &table);
    xtml_prep_output(p, 0, &out);
    if (table.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "the table (input 1) is required");
    }
    if (ids.type != XTML_DTYPE_INT32 || ids.ndim != 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "lookups '%s' must be an int32 vector", ids.name);
    }
    if (table.type != XTML_DTYPE_FLOAT32 && table.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "table '%s' is %s, expected float32 or int8", table.name,
                              xtml_dtype_name(table.type));
    }
    if (out.type != XTML_DTYPE_FLOAT32 && !(out.type == XTML_DTYPE_INT8 && table.type == XTML_DTYPE_INT8)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "output 0 '%s' is %s for a %s table", out.name,
                              xtml_dtype_name(out.type), xtml_dtype_name(table.type));
    }
    if (table.ndim < 2 || table.count < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "table '%s' must have rank 2 or more and rows", table.name);
    }
    want[0] = ids.dims[0];
    for (i = 1; i < table.ndim; ++i) {
        want[i] = table.dims[i];
    }
    st = expect_dims(p, &out, want, table.ndim);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (table.type == XTML_DTYPE_INT8 && out.type == XTML_DTYPE_FLOAT32 &&
        (table.n_scales < 1 || table.zero_point != 0)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "table '%s' must be quantized with zero point 0", table.name);
    }
    k = (xtml_embedding_params_t *)XTML_PREP_PERSIST(p, xtml_embedding_params_t, 0);
    if (k == NULL) {
        return XTML_STATUS_OK;
    }
    k->lookups = ids.dims[0];
    k->rows = table.dims[0];
    k->columns = table.count / table.dims[0];
    k->hybrid = table.type != out.type;
    k->scale = table.scale;
    k->elem_bytes = (uint8_t)elem_size(table.type);
    return XTML_STATUS_OK;
}

static xtml_status_t embedding_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_embedding_params_t *k = (const xtml_embedding_params_t *)node->params;
    const int32_t *ids = (const int32_t *)xtml_node_in(ctx, node, 0);
    const uint8_t *table = (const uint8_t *)xtml_node_in(ctx, node, 1);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    const size_t row = (size_t)k->columns * k->elem_bytes;
    int32_t i, c;
    for (i = 0; i < k->lookups; ++i) {
        int32_t at = ids[i];
        if (at < 0 || at >= k->rows) {
            return index_fail(ctx, "EMBEDDING_LOOKUP", at, k->rows);
        }
        if (k->hybrid) {
            const int8_t *src = (const int8_t *)table + (size_t)at * row;
            float *dst = (float *)out + (size_t)i * (size_t)k->columns;
            for (c = 0; c < k->columns; ++c) {
                dst[c] = (float)src[c] * k->scale;
            }
        } else {
            memcpy(out + (size_t)i * row, table + (size_t)at * row, row);
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_embedding_lookup = { "EMBEDDING_LOOKUP", embedding_prepare,
                                                     embedding_eval };
