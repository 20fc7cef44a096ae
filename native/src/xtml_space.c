/*
 * xtml_space.c - operators that move blocks between space, depth and batch,
 * mirror padding and broadcasting: SPACE_TO_DEPTH, DEPTH_TO_SPACE,
 * SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, MIRROR_PAD, BROADCAST_TO and
 * BROADCAST_ARGS (the broadcast shape of two shapes).
 *
 * Pure data movement on NHWC tensors (3-D [b, h, d] counts as width 1 for
 * the _ND pair, as TFLM extends it); every value is copied unchanged, so the
 * int8 kernels are the float ones on bytes. Block shapes, paddings and crops
 * must be constant: the output shape they give is checked at prepare.
 * SPACE_TO_BATCH_ND fills its padding with zero bytes.
 */
#include "xtml_internal.h"

static xtml_status_t expect_io(xtml_prep_t *p, int n_in, int n_out) {
    if (xtml_prep_n_inputs(p) != n_in || xtml_prep_n_outputs(p) != n_out) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected %d and %d",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p), n_in, n_out);
    }
    return XTML_STATUS_OK;
}

/* Input 0 float32 or int8, output the same type. */
static xtml_status_t expect_f32_s8(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out) {
    if (in->type != XTML_DTYPE_FLOAT32 && in->type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input 0 '%s' is %s, expected float32 or int8", in->name,
                              xtml_dtype_name(in->type));
    }
    return xtml_prep_expect_type(p, out, "output tensor", in->type);
}

static xtml_status_t expect_shape(xtml_prep_t *p, const xtml_tinfo_t *out, const int32_t *want,
                                  int32_t n) {
    int32_t i;
    bool same = out->ndim == n;
    for (i = 0; same && i < n; ++i) {
        same = out->dims[i] == want[i];
    }
    if (!same) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' has the wrong shape for its input and options",
                              out->name);
    }
    return XTML_STATUS_OK;
}

/* Read n int32 values of a constant int32 tensor. */
static xtml_status_t const_i32s(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, int32_t n,
                                int32_t *out) {
    int32_t i;
    if (t->index < 0 || t->type != XTML_DTYPE_INT32 || t->count != n) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "%s must be %d int32 values", role,
                              (int)n);
    }
    if (!t->is_const || t->data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "%s '%s' is not constant; only constant %s is supported", role,
                              t->name, role);
    }
    for (i = 0; i < n; ++i) {
        out[i] = xtml_ld_i32((const uint8_t *)t->data + 4 * (size_t)i);
    }
    return XTML_STATUS_OK;
}

/* ---- SPACE_TO_DEPTH, DEPTH_TO_SPACE ---- */

/* NHWC of the side with space (the larger height and width). */
typedef struct xtml_s2d_params {
    int32_t batch, height, width, depth;   /* of the spatial side */
    int32_t block;
    uint8_t elem_bytes;
    uint8_t to_depth;
} xtml_s2d_params_t;

static xtml_status_t s2d_prepare(xtml_prep_t *p, bool to_depth) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    xtml_s2d_params_t k;
    xtml_s2d_params_t *mem;
    int32_t want[4];
    const xtml_tinfo_t *space;
    xtml_status_t st = expect_io(p, 1, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    st = xtml_prep_options(p, to_depth ? XTML_OPTS_SPACE_TO_DEPTH : XTML_OPTS_DEPTH_TO_SPACE, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&k, 0, sizeof k);
    k.block = xtml_fb_i32(&opts, 0, 0);
    xtml_prep_input(p, 0, &in);
    xtml_prep_output(p, 0, &out);
    st = expect_f32_s8(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim != 4) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input 0 '%s' has rank %d, expected 4",
                              in.name, (int)in.ndim);
    }
    if (k.block < 1 || k.block > 65535) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "block_size %d is not positive",
                              (int)k.block);
    }
    if (to_depth) {
        if (in.dims[1] % k.block != 0 || in.dims[2] % k.block != 0) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "input 0 '%s' height and width are not multiples of block_size %d",
                                  in.name, (int)k.block);
        }
        /* block squared is up to 2^32 - 2^17 + 1: int64; the depth overflows
         * only when height or width is 0 */
        int64_t d = (int64_t)in.dims[3] * k.block * k.block;
        if (d > INT32_MAX) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "input 0 '%s' depth times block_size %d squared is too large", in.name,
                                  (int)k.block);
        }
        want[0] = in.dims[0];
        want[1] = in.dims[1] / k.block;
        want[2] = in.dims[2] / k.block;
        want[3] = (int32_t)d;
        space = &in;
    } else {
        int64_t h = (int64_t)in.dims[1] * k.block, w = (int64_t)in.dims[2] * k.block;
        int64_t bb = (int64_t)k.block * k.block;
        if (in.dims[3] % bb != 0 || h > INT32_MAX || w > INT32_MAX) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "input 0 '%s' depth is not a multiple of block_size %d squared",
                                  in.name, (int)k.block);
        }
        want[0] = in.dims[0];
        want[1] = (int32_t)h;
        want[2] = (int32_t)w;
        want[3] = (int32_t)(in.dims[3] / bb);
        space = &out;
    }
    st = expect_shape(p, &out, want, 4);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    k.batch = space->dims[0];
    k.height = space->dims[1];
    k.width = space->dims[2];
    k.depth = space->dims[3];
    k.elem_bytes = (uint8_t)(in.type == XTML_DTYPE_FLOAT32 ? 4 : 1);
    k.to_depth = to_depth ? 1 : 0;
    mem = (xtml_s2d_params_t *)XTML_PREP_PERSIST(p, xtml_s2d_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

/* Each row of `depth` values at spatial (b, h, w) is one run of the depth side at
 * (b, h / block, w / block), channel block ((h % block) * block + w % block). */
static xtml_status_t s2d_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_s2d_params_t *k = (const xtml_s2d_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    const size_t run = (size_t)k->depth * k->elem_bytes;
    const int32_t dh = k->height / k->block, dw = k->width / k->block;
    const size_t ddepth = run * (size_t)k->block * (size_t)k->block;
    int32_t b, h, w;
    for (b = 0; b < k->batch; ++b) {
        for (h = 0; h < k->height; ++h) {
            for (w = 0; w < k->width; ++w) {
                size_t s = (((size_t)b * (size_t)k->height + (size_t)h) * (size_t)k->width + (size_t)w) * run;
                size_t d = (((size_t)b * (size_t)dh + (size_t)(h / k->block)) * (size_t)dw +
                            (size_t)(w / k->block)) * ddepth +
                           ((size_t)(h % k->block) * (size_t)k->block + (size_t)(w % k->block)) * run;
                if (k->to_depth) {
                    memcpy(out + d, in + s, run);
                } else {
                    memcpy(out + s, in + d, run);
                }
            }
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t space_to_depth_prepare(xtml_prep_t *p) {
    return s2d_prepare(p, true);
}
static xtml_status_t depth_to_space_prepare(xtml_prep_t *p) {
    return s2d_prepare(p, false);
}

const xtml_kernel_t xtml_kernel_space_to_depth = { "SPACE_TO_DEPTH", space_to_depth_prepare, s2d_eval };
const xtml_kernel_t xtml_kernel_depth_to_space = { "DEPTH_TO_SPACE", depth_to_space_prepare, s2d_eval };

/* ---- SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND ---- */

/* Both as 4-D NHWC; `big` is the side with the smaller batch (the space side). */
typedef struct xtml_s2b_params {
    int32_t space_b, space_h, space_w;    /* the spatial tensor */
    int32_t batch_b, batch_h, batch_w;    /* the batched tensor */
    int32_t block_h, block_w;
    int32_t pad_top, pad_left;            /* paddings, or crops */
    int32_t run_bytes;                    /* depth * element size */
    uint8_t to_batch;
} xtml_s2b_params_t;

static xtml_status_t s2b_prepare(xtml_prep_t *p, bool to_batch) {
    xtml_tinfo_t in, block, pads, out;
    xtml_s2b_params_t k;
    xtml_s2b_params_t *mem;
    int32_t bs[2] = { 1, 1 }, pd[4] = { 0, 0, 0, 0 }, want[4];
    int32_t nsp, i, in4[4];
    const char *pads_role = to_batch ? "paddings" : "crops";
    xtml_status_t st = expect_io(p, 3, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &block);
    xtml_prep_input(p, 2, &pads);
    xtml_prep_output(p, 0, &out);
    st = expect_f32_s8(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim < 3 || in.ndim > 4) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "input 0 '%s' has rank %d, expected 3 or 4", in.name, (int)in.ndim);
    }
    nsp = in.ndim - 2;
    st = const_i32s(p, &block, "block_shape", nsp, bs);
    if (st == XTML_STATUS_OK) {
        st = const_i32s(p, &pads, pads_role, 2 * nsp, pd);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    for (i = 0; i < nsp; ++i) {
        if (bs[i] < 1 || bs[i] > 65535 || pd[2 * i] < 0 || pd[2 * i + 1] < 0) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "block_shape must be positive and %s not negative", pads_role);
        }
    }
    /* as NHWC */
    in4[0] = in.dims[0];
    in4[1] = in.dims[1];
    in4[2] = in.ndim == 4 ? in.dims[2] : 1;
    in4[3] = in.dims[in.ndim - 1];
    memset(&k, 0, sizeof k);
    k.block_h = bs[0];
    k.block_w = nsp == 2 ? bs[1] : 1;
    k.pad_top = pd[0];
    k.pad_left = nsp == 2 ? pd[2] : 0;
    if (to_batch) {
        int64_t h = (int64_t)in4[1] + pd[0] + pd[1];
        int64_t w = (int64_t)in4[2] + (nsp == 2 ? (int64_t)pd[2] + pd[3] : 0);
        int64_t b = (int64_t)in4[0] * k.block_h * k.block_w;
        if (h % k.block_h != 0 || w % k.block_w != 0 || b > INT32_MAX) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "padded input 0 '%s' is not a multiple of block_shape", in.name);
        }
        want[0] = (int32_t)b;
        want[1] = (int32_t)(h / k.block_h);
        want[2] = (int32_t)(w / k.block_w);
    } else {
        int64_t h = (int64_t)in4[1] * k.block_h - pd[0] - pd[1];
        int64_t w = (int64_t)in4[2] * k.block_w - (nsp == 2 ? (int64_t)pd[2] + pd[3] : 0);
        int64_t blocks = (int64_t)k.block_h * k.block_w;   /* up to (2^16 - 1)^2: int64 */
        if (in4[0] % blocks != 0 || h < 0 || w < 0 || h > INT32_MAX || w > INT32_MAX) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "input 0 '%s' batch is not a multiple of the block, or crops "
                                  "exceed it",
                                  in.name);
        }
        want[0] = (int32_t)(in4[0] / blocks);
        want[1] = (int32_t)h;
        want[2] = (int32_t)w;
    }
    want[3] = in4[3];
    if (nsp == 1) {
        want[2] = want[3];
    }
    st = expect_shape(p, &out, want, in.ndim);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (nsp == 1) {
        want[2] = 1;
    }
    if (to_batch) {
        k.space_b = in4[0], k.space_h = in4[1], k.space_w = in4[2];
        k.batch_b = want[0], k.batch_h = want[1], k.batch_w = want[2];
    } else {
        k.batch_b = in4[0], k.batch_h = in4[1], k.batch_w = in4[2];
        k.space_b = want[0], k.space_h = want[1], k.space_w = want[2];
    }
    k.run_bytes = in4[3] * (in.type == XTML_DTYPE_FLOAT32 ? 4 : 1);
    k.to_batch = to_batch ? 1 : 0;
    mem = (xtml_s2b_params_t *)XTML_PREP_PERSIST(p, xtml_s2b_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

/*
 * Batch element ob = (sh * block_w + sw) * space_b + b holds, at (oh, ow),
 * the space position (oh * block_h + sh - pad_top, ow * block_w + sw - pad_left)
 * of batch b; positions outside the space are padding (to batch) or cropped.
 */
static xtml_status_t s2b_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_s2b_params_t *k = (const xtml_s2b_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    const size_t run = (size_t)k->run_bytes;
    int32_t ob, oh, ow;
    for (ob = 0; ob < k->batch_b; ++ob) {
        const int32_t b = ob % k->space_b, shift = ob / k->space_b;
        const int32_t sh = shift / k->block_w, sw = shift % k->block_w;
        for (oh = 0; oh < k->batch_h; ++oh) {
            const int32_t y = oh * k->block_h + sh - k->pad_top;
            for (ow = 0; ow < k->batch_w; ++ow) {
                const int32_t x = ow * k->block_w + sw - k->pad_left;
                const size_t bpos = (((size_t)ob * (size_t)k->batch_h + (size_t)oh) * (size_t)k->batch_w + (size_t)ow) * run;
                const bool inside = y >= 0 && y < k->space_h && x >= 0 && x < k->space_w;
                const size_t spos = inside ? (((size_t)b * (size_t)k->space_h + (size_t)y) * (size_t)k->space_w + (size_t)x) * run : 0;
                if (k->to_batch) {
                    if (inside) {
                        memcpy(out + bpos, in + spos, run);
                    } else {
                        memset(out + bpos, 0, run);
                    }
                } else if (inside) {
                    memcpy(out + spos, in + bpos, run);
                }
            }
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t space_to_batch_prepare(xtml_prep_t *p) {
    return s2b_prepare(p, true);
}
static xtml_status_t batch_to_space_prepare(xtml_prep_t *p) {
    return s2b_prepare(p, false);
}

const xtml_kernel_t xtml_kernel_space_to_batch_nd = { "SPACE_TO_BATCH_ND", space_to_batch_prepare,
                                                      s2b_eval };
const xtml_kernel_t xtml_kernel_batch_to_space_nd = { "BATCH_TO_SPACE_ND", batch_to_space_prepare,
                                                      s2b_eval };

/* ---- MIRROR_PAD ---- */

typedef struct xtml_mirror_pad_params {
    int32_t ndim;
    int32_t in_dims[XTML_MAX_DIMS];
    int32_t out_dims[XTML_MAX_DIMS];
    int32_t left[XTML_MAX_DIMS];
    int32_t in_stride[XTML_MAX_DIMS];
    int32_t n_out;
    uint8_t offset;          /* 1 REFLECT (border not repeated), 0 SYMMETRIC */
    uint8_t elem_bytes;
} xtml_mirror_pad_params_t;

/* The input coordinate output coordinate i of an axis reads. */
static int32_t mirror_source(const xtml_mirror_pad_params_t *k, int32_t a, int32_t i) {
    const int32_t left = k->left[a], n = k->in_dims[a], off = k->offset;
    if (i < left) {
        return left - 1 + off - i;
    }
    i -= left;
    if (i >= n) {
        return n - 1 - off - (i - n);
    }
    return i;
}

static xtml_status_t mirror_pad_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, pads, out;
    xtml_fb_table_t opts;
    xtml_mirror_pad_params_t k;
    xtml_mirror_pad_params_t *mem;
    int32_t pd[2 * XTML_MAX_DIMS], want[XTML_MAX_DIMS], i, mode;
    xtml_status_t st = expect_io(p, 2, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    st = xtml_prep_options(p, XTML_OPTS_MIRROR_PAD, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    mode = xtml_fb_i8(&opts, 0, 0);
    if (mode != 0 && mode != 1) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "mode %d is neither REFLECT nor SYMMETRIC",
                              (int)mode);
    }
    memset(&k, 0, sizeof k);
    k.offset = mode == 0 ? 1 : 0;
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &pads);
    xtml_prep_output(p, 0, &out);
    st = expect_f32_s8(p, &in, &out);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim < 1 || pads.ndim != 2 || pads.dims[0] != in.ndim || pads.dims[1] != 2) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "paddings must be [%d, 2] for input 0 '%s'", (int)in.ndim, in.name);
    }
    if (pads.type == XTML_DTYPE_INT64 && pads.is_const && pads.data != NULL) {
        for (i = 0; i < 2 * in.ndim; ++i) {
            int64_t v = xtml_ld_i64((const uint8_t *)pads.data + 8 * (size_t)i);
            if (v < 0 || v > INT32_MAX) {
                return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "padding %d is out of range", (int)i);
            }
            pd[i] = (int32_t)v;
        }
    } else {
        st = const_i32s(p, &pads, "paddings", 2 * in.ndim, pd);
        if (st != XTML_STATUS_OK) {
            return st;
        }
    }
    for (i = 0; i < in.ndim; ++i) {
        int64_t w = (int64_t)in.dims[i] + pd[2 * i] + pd[2 * i + 1];
        /* each side mirrors at most the input less the border (REFLECT) or all of it */
        if (pd[2 * i] < 0 || pd[2 * i + 1] < 0 || pd[2 * i] > in.dims[i] - k.offset ||
            pd[2 * i + 1] > in.dims[i] - k.offset || w > INT32_MAX) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "paddings %d, %d of axis %d do not fit its size %d in %s mode",
                                  (int)pd[2 * i], (int)pd[2 * i + 1], (int)i, (int)in.dims[i],
                                  mode == 0 ? "REFLECT" : "SYMMETRIC");
        }
        want[i] = (int32_t)w;
    }
    st = expect_shape(p, &out, want, in.ndim);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    k.ndim = in.ndim;
    for (i = in.ndim - 1; i >= 0; --i) {
        k.in_dims[i] = in.dims[i];
        k.out_dims[i] = want[i];
        k.left[i] = pd[2 * i];
        k.in_stride[i] = i == in.ndim - 1 ? 1 : k.in_stride[i + 1] * in.dims[i + 1];
    }
    k.n_out = out.count;
    k.elem_bytes = (uint8_t)(in.type == XTML_DTYPE_FLOAT32 ? 4 : 1);
    mem = (xtml_mirror_pad_params_t *)XTML_PREP_PERSIST(p, xtml_mirror_pad_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

static xtml_status_t mirror_pad_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_mirror_pad_params_t *k = (const xtml_mirror_pad_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    int32_t idx[XTML_MAX_DIMS];
    int32_t i, a;
    memset(idx, 0, sizeof idx);
    for (i = 0; i < k->n_out; ++i) {
        size_t src = 0;
        for (a = 0; a < k->ndim; ++a) {
            src += (size_t)mirror_source(k, a, idx[a]) * (size_t)k->in_stride[a];
        }
        memcpy(out + (size_t)i * k->elem_bytes, in + src * k->elem_bytes, k->elem_bytes);
        for (a = k->ndim - 1; a >= 0; --a) {
            if (++idx[a] < k->out_dims[a]) {
                break;
            }
            idx[a] = 0;
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_mirror_pad = { "MIRROR_PAD", mirror_pad_prepare, mirror_pad_eval };

/* ---- BROADCAST_TO ---- */

/* The output walks its dims; in_stride is 0 along axes the input repeats. */
typedef struct xtml_broadcast_params {
    int32_t ndim;
    int32_t out_dims[XTML_MAX_DIMS];
    int32_t in_stride[XTML_MAX_DIMS];
    int32_t n_out;
    uint8_t elem_bytes;
} xtml_broadcast_params_t;

static xtml_status_t broadcast_to_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, shape, out;
    xtml_broadcast_params_t k;
    xtml_broadcast_params_t *mem;
    int32_t i, ext, stride = 1;
    size_t es;
    xtml_status_t st = expect_io(p, 2, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &shape);
    xtml_prep_output(p, 0, &out);
    es = xtml_dtype_size(in.type);
    if (es != 1 && es != 2 && es != 4 && es != 8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input 0 '%s' has type %s, not supported",
                              in.name, xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output tensor", in.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (shape.index < 0 || (shape.type != XTML_DTYPE_INT32 && shape.type != XTML_DTYPE_INT64) ||
        shape.ndim != 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "shape must be an int32 or int64 vector");
    }
    if (!shape.is_const || shape.data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "shape '%s' is not constant; only a constant shape is supported",
                              shape.name);
    }
    if (out.ndim != shape.count || in.ndim > out.ndim || out.ndim > 5) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' must have the %d dims of shape '%s' (at most 5, at "
                              "least input 0's)",
                              out.name, (int)shape.count, shape.name);
    }
    for (i = 0; i < out.ndim; ++i) {
        int64_t v = shape.type == XTML_DTYPE_INT32
                        ? (int64_t)xtml_ld_i32((const uint8_t *)shape.data + 4 * (size_t)i)
                        : xtml_ld_i64((const uint8_t *)shape.data + 8 * (size_t)i);
        if (v != out.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "output 0 '%s' dim %d is %d, shape '%s' says %lld", out.name,
                                  (int)i, (int)out.dims[i], shape.name, (long long)v);
        }
    }
    memset(&k, 0, sizeof k);
    ext = out.ndim - in.ndim;
    for (i = out.ndim - 1; i >= 0; --i) {
        int32_t d = i >= ext ? in.dims[i - ext] : 1;
        if (d != 1 && d != out.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "input 0 '%s' does not broadcast to output 0 '%s'", in.name,
                                  out.name);
        }
        k.out_dims[i] = out.dims[i];
        k.in_stride[i] = d == 1 ? 0 : stride;
        stride *= d;
    }
    k.ndim = out.ndim;
    k.n_out = out.count;
    k.elem_bytes = (uint8_t)es;
    mem = (xtml_broadcast_params_t *)XTML_PREP_PERSIST(p, xtml_broadcast_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

static xtml_status_t broadcast_to_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_broadcast_params_t *k = (const xtml_broadcast_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, 0);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    int32_t idx[XTML_MAX_DIMS];
    int32_t i, a;
    size_t src = 0;
    memset(idx, 0, sizeof idx);
    for (i = 0; i < k->n_out; ++i) {
        memcpy(out + (size_t)i * k->elem_bytes, in + src * k->elem_bytes, k->elem_bytes);
        for (a = k->ndim - 1; a >= 0; --a) {
            src += (size_t)k->in_stride[a];
            if (++idx[a] < k->out_dims[a]) {
                break;
            }
            src -= (size_t)k->in_stride[a] * (size_t)k->out_dims[a];
            idx[a] = 0;
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_broadcast_to = { "BROADCAST_TO", broadcast_to_prepare, broadcast_to_eval };

/* ---- BROADCAST_ARGS ---- */

typedef struct xtml_broadcast_args_params {
    int32_t n1, n2, n_out;
    uint8_t is64;
} xtml_broadcast_args_params_t;

static xtml_status_t broadcast_args_prepare(xtml_prep_t *p) {
    xtml_tinfo_t s1, s2, out;
    xtml_broadcast_args_params_t *k;
    xtml_status_t st = expect_io(p, 2, 1);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    xtml_prep_input(p, 0, &s1);
    xtml_prep_input(p, 1, &s2);
    xtml_prep_output(p, 0, &out);
    if (s2.index < 0 || (s1.type != XTML_DTYPE_INT32 && s1.type != XTML_DTYPE_INT64) ||
        s2.type != s1.type || out.type != s1.type) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "inputs and output must all be int32 or all int64");
    }
    if (s1.ndim != 1 || s2.ndim != 1 || out.ndim != 1 ||
        out.count != (s1.count > s2.count ? s1.count : s2.count)) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "shapes must be vectors and the output as long as the longer");
    }
    k = (xtml_broadcast_args_params_t *)XTML_PREP_PERSIST(p, xtml_broadcast_args_params_t, 0);
    if (k == NULL) {
        return XTML_STATUS_OK;
    }
    k->n1 = s1.count;
    k->n2 = s2.count;
    k->n_out = out.count;
    k->is64 = s1.type == XTML_DTYPE_INT64;
    return XTML_STATUS_OK;
}

/* Element i from the end of a shape vector, 1 past its start; as TFLM, read as int. */
static int32_t shape_from_end(const void *data, int32_t n, int32_t i, bool is64) {
    int32_t at = n - 1 - i;
    if (at < 0) {
        return 1;
    }
    return is64 ? (int32_t)(uint32_t)(uint64_t)xtml_ld_i64((const uint8_t *)data + 8 * (size_t)at)
                : ((const int32_t *)data)[at];
}

static xtml_status_t broadcast_args_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_broadcast_args_params_t *k = (const xtml_broadcast_args_params_t *)node->params;
    const void *a = xtml_node_in(ctx, node, 0);
    const void *b = xtml_node_in(ctx, node, 1);
    void *out = xtml_node_out(ctx, node, 0);
    int32_t i;
    for (i = 0; i < k->n_out; ++i) {
        int32_t x = shape_from_end(a, k->n1, i, k->is64 != 0);
        int32_t y = shape_from_end(b, k->n2, i, k->is64 != 0);
        int32_t v = x == 1 ? y : x;
        if (x != 1 && y != 1 && x != y) {
#ifndef XTML_NO_DETAIL
            xtml_fmt(ctx->detail, sizeof ctx->detail,
                     "BROADCAST_ARGS: dims %" PRId32 " and %" PRId32 " do not broadcast", x, y);
#endif
            return XTML_STATUS_EVAL_ERROR;
        }
        if (k->is64) {
            ((int64_t *)out)[k->n_out - 1 - i] = v;
        } else {
            ((int32_t *)out)[k->n_out - 1 - i] = v;
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_broadcast_args = { "BROADCAST_ARGS", broadcast_args_prepare,
                                                   broadcast_args_eval };
