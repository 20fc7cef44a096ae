/*
 * xtml_shape_ops.c - operators that move data without computing on it: RESHAPE,
 * SQUEEZE, EXPAND_DIMS, SHAPE, TRANSPOSE, PACK, UNPACK, SPLIT, CONCATENATION.
 *
 * None of them looks at values, so they run on any element type of 1, 2, 4
 * or 8 bytes (TFLM lists fewer types per operator; moving bytes is exact for
 * all of them). RESHAPE, SQUEEZE and EXPAND_DIMS share their input's memory
 * when the planner allows it and copy only when it does not.
 *
 * Deliberate differences from TFLM, all for models TFLM does not run:
 *   - TRANSPOSE takes up to XTML_MAX_DIMS (6) dimensions; TFLM stops at 5.
 *   - SHAPE also writes int64 output (TensorFlow Lite's out_type); TFLM fails
 *     at invoke for anything but int32.
 *   - CONCATENATION takes any number of inputs; TFLM stops at 10.
 * Refused like TFLM (and TensorFlow Lite): int8 CONCATENATION whose inputs are
 * quantized differently from the output, and a fused activation on it.
 * The other operators copy raw values whatever the quantization, as TFLM does.
 */
#include "xtml_internal.h"

/* ---- kernels on raw pointers ---- */

/*
 * Copy `rows` runs of `run` bytes; the source advances by src_step bytes and
 * the destination by dst_step per run. This is the whole of PACK, UNPACK,
 * SPLIT and CONCATENATION. Short runs (one small element, the axis = -1 case)
 * use fixed-size copies the compiler turns into single moves.
 */
static void copy_rows(uint8_t *dst, size_t dst_step, const uint8_t *src, size_t src_step,
                      size_t run, size_t rows) {
    size_t r;
    if (run == 0 || rows == 0) {
        return;
    }
    if (run == src_step && run == dst_step) {
        memcpy(dst, src, run * rows);
        return;
    }
    switch (run) {
    case 1:
        for (r = 0; r < rows; ++r, dst += dst_step, src += src_step) {
            *dst = *src;
        }
        break;
    case 2:
        for (r = 0; r < rows; ++r, dst += dst_step, src += src_step) {
            memcpy(dst, src, 2);
        }
        break;
    case 4:
        for (r = 0; r < rows; ++r, dst += dst_step, src += src_step) {
            memcpy(dst, src, 4);
        }
        break;
    case 8:
        for (r = 0; r < rows; ++r, dst += dst_step, src += src_step) {
            memcpy(dst, src, 8);
        }
        break;
    default:
        for (r = 0; r < rows; ++r, dst += dst_step, src += src_step) {
            memcpy(dst, src, run);
        }
        break;
    }
}

typedef struct xtml_copy_params {
    size_t bytes;
} xtml_copy_params_t;

/* RESHAPE, SQUEEZE, EXPAND_DIMS: nothing to do when the output is the input. */
static void copy_unless_aliased(const xtml_copy_params_t *prm, const void *in, void *out) {
    if (in != out && prm->bytes > 0) {
        memcpy(out, in, prm->bytes);
    }
}

/*
 * TRANSPOSE after simplification: output axes of size 1 are dropped and
 * neighbours that are also neighbours in the input are merged, so most
 * permutations end up with two or three axes. The output is written in order;
 * strides say how far the input moves along each output axis.
 */
typedef struct xtml_transpose_params {
    int32_t esize;                   /* bytes per element: 1, 2, 4 or 8 */
    int32_t rank;                    /* axes after simplification, >= 2 */
    size_t outer;                    /* product of all dims but the last two */
    int32_t dims[XTML_MAX_DIMS];     /* output dims, outermost first */
    ptrdiff_t step[XTML_MAX_DIMS];   /* input bytes per step along each axis */
    ptrdiff_t rewind[XTML_MAX_DIMS]; /* step * dims: undoes a full turn */
} xtml_transpose_params_t;

/*
 * The two innermost axes: n1 rows of n0 elements, read with strides s1 and
 * s0, written contiguously. The element size is switched on once per tile.
 */
static uint8_t *transpose_tile(uint8_t *out, const uint8_t *src, int32_t n1, ptrdiff_t s1,
                               int32_t n0, ptrdiff_t s0, int32_t esize) {
    int32_t i, j;
    if (s0 == esize) {
        const size_t row = (size_t)n0 * (size_t)esize;
        for (j = 0; j < n1; ++j, src += s1, out += row) {
            memcpy(out, src, row);
        }
        return out;
    }
    switch (esize) {
    case 1:
        for (j = 0; j < n1; ++j, src += s1) {
            const uint8_t *p = src;
            for (i = 0; i < n0; ++i, p += s0) {
                *out++ = *p;
            }
        }
        break;
    case 2:
        for (j = 0; j < n1; ++j, src += s1) {
            const uint8_t *p = src;
            for (i = 0; i < n0; ++i, p += s0, out += 2) {
                memcpy(out, p, 2);
            }
        }
        break;
    case 4:
        for (j = 0; j < n1; ++j, src += s1) {
            const uint8_t *p = src;
            for (i = 0; i < n0; ++i, p += s0, out += 4) {
                memcpy(out, p, 4);
            }
        }
        break;
    default:
        for (j = 0; j < n1; ++j, src += s1) {
            const uint8_t *p = src;
            for (i = 0; i < n0; ++i, p += s0, out += 8) {
                memcpy(out, p, 8);
            }
        }
        break;
    }
    return out;
}

static void transpose_run(const xtml_transpose_params_t *prm, const uint8_t *in, uint8_t *out) {
    int32_t idx[XTML_MAX_DIMS] = {0};
    const int32_t last = prm->rank - 1;
    const int32_t n1 = prm->dims[last - 1], n0 = prm->dims[last];
    const ptrdiff_t s1 = prm->step[last - 1], s0 = prm->step[last];
    const uint8_t *src = in;
    size_t o;
    for (o = 0; o < prm->outer; ++o) {
        int32_t a;
        out = transpose_tile(out, src, n1, s1, n0, s0, prm->esize);
        /* Odometer over the axes outside the tile, innermost first. */
        for (a = last - 2; a >= 0; --a) {
            src += prm->step[a];
            if (++idx[a] < prm->dims[a]) {
                break;
            }
            idx[a] = 0;
            src -= prm->rewind[a];
        }
    }
}

/* PACK / UNPACK / SPLIT: `n` tensors of `outer` runs of `run` bytes each,
 * interleaved run by run in the big tensor. */
typedef struct xtml_interleave_params {
    size_t outer;
    size_t run;
    int32_t n;
} xtml_interleave_params_t;

typedef struct xtml_concat_params {
    size_t outer;
    size_t out_row;    /* bytes of one output run: sum of chunk[] */
    int32_t n;
    size_t chunk[];    /* bytes per run of each input */
} xtml_concat_params_t;

typedef struct xtml_shape_params {
    int32_t ndim;
    bool is_int64;
    int32_t dims[XTML_MAX_DIMS];
} xtml_shape_params_t;

static void shape_run(const xtml_shape_params_t *prm, void *out) {
    int32_t i;
    if (prm->is_int64) {
        int64_t *o = (int64_t *)out;
        for (i = 0; i < prm->ndim; ++i) {
            o[i] = prm->dims[i];
        }
    } else {
        int32_t *o = (int32_t *)out;
        for (i = 0; i < prm->ndim; ++i) {
            o[i] = prm->dims[i];
        }
    }
}

/* ---- prepare helpers ---- */

/* "[1,4,4,8]" for messages. */
static const char *dims_str(char *buf, size_t cap, const int32_t *dims, int32_t n) {
    size_t len;
    int32_t i;
    xtml_fmt(buf, cap, "[");
    for (i = 0; i < n; ++i) {
        len = strlen(buf);
        xtml_fmt(buf + len, cap - len, i == 0 ? "%d" : ",%d", (int)dims[i]);
    }
    len = strlen(buf);
    xtml_fmt(buf + len, cap - len, "]");
    return buf;
}

/* Operand counts; max == XTML_ANY_COUNT for operators taking any number. */
#define XTML_ANY_COUNT 0xffff

static xtml_status_t expect_count(xtml_prep_t *p, const char *what, int n, int min, int max) {
    if (n >= min && n <= max) {
        return XTML_STATUS_OK;
    }
    if (min == max) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d %s, expected %d", n, what,
                              min);
    }
    if (max == XTML_ANY_COUNT) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d %s, expected at least %d", n,
                              what, min);
    }
    return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d %s, expected %d to %d", n, what,
                          min, max);
}

static xtml_status_t expect_counts(xtml_prep_t *p, int min_in, int max_in, int min_out,
                                   int max_out) {
    xtml_status_t s = expect_count(p, "inputs", xtml_prep_n_inputs(p), min_in, max_in);
    if (s != XTML_STATUS_OK) {
        return s;
    }
    return expect_count(p, "outputs", xtml_prep_n_outputs(p), min_out, max_out);
}

static xtml_status_t get_input(xtml_prep_t *p, int i, xtml_tinfo_t *t) {
    xtml_prep_input(p, i, t);
    if (t->index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input %d is missing", i);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t get_output(xtml_prep_t *p, int i, xtml_tinfo_t *t) {
    xtml_prep_output(p, i, t);
    if (t->index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "output %d is missing", i);
    }
    return XTML_STATUS_OK;
}

/* Element types these operators move: anything of 1, 2, 4 or 8 bytes. */
static xtml_status_t expect_movable(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role) {
    size_t size = xtml_dtype_size(t->type);
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        const char *name = xtml_dtype_name(t->type);
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "%s '%s' has type %s, not supported",
                              role, t->name, name != NULL ? name : "?");
    }
    return XTML_STATUS_OK;
}

static xtml_status_t expect_dims(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role,
                                 const int32_t *dims, int32_t ndim) {
    int32_t i;
    bool same = t->ndim == ndim;
    for (i = 0; same && i < ndim; ++i) {
        same = t->dims[i] == dims[i];
    }
    if (!same) {
        char have[48], want[48];
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' has shape %s, expected %s",
                              role, t->name, dims_str(have, sizeof have, t->dims, t->ndim),
                              dims_str(want, sizeof want, dims, ndim));
    }
    return XTML_STATUS_OK;
}

/* A constant int32 tensor of exactly one element (axis inputs). */
static xtml_status_t const_scalar_i32(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role,
                                      int32_t *value) {
    if (t->type != XTML_DTYPE_INT32) {
        return xtml_prep_expect_type(p, t, role, XTML_DTYPE_INT32);
    }
    if (!t->is_const || t->data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "%s '%s' is not constant", role,
                              t->name);
    }
    if (t->count != 1 || t->ndim > 1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "%s '%s' has %d elements in %d dims, expected one", role, t->name,
                              (int)t->count, (int)t->ndim);
    }
    *value = *(const int32_t *)t->data;
    return XTML_STATUS_OK;
}

static size_t product(const int32_t *dims, int32_t from, int32_t to) {
    size_t n = 1;
    int32_t i;
    for (i = from; i < to; ++i) {
        n *= (size_t)dims[i];
    }
    return n;
}

/* ---- RESHAPE, SQUEEZE, EXPAND_DIMS: the output views the input's memory ---- */

/* Common tail once the output shape has been checked. */
static xtml_status_t alias_finish(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out) {
    xtml_status_t s;
    xtml_copy_params_t *prm;
    if ((s = expect_movable(p, in, "input 0")) != XTML_STATUS_OK ||
        (s = xtml_prep_expect_type(p, out, "output 0", in->type)) != XTML_STATUS_OK) {
        return s;
    }
    if (in->count != out->count || in->bytes != out->bytes) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' has %d elements, input 0 '%s' has %d", out->name,
                              (int)out->count, in->name, (int)in->count);
    }
    xtml_prep_alias(p, 0, 0);
    prm = (xtml_copy_params_t *)XTML_PREP_PERSIST(p, xtml_copy_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    prm->bytes = in->bytes;
    return XTML_STATUS_OK;
}

static xtml_status_t alias_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    copy_unless_aliased((const xtml_copy_params_t *)node->params, xtml_node_in(ctx, node, 0),
                        xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

/*
 * The requested shape, -1 resolved against the input's element count. Sizes
 * saturate at 2^31 so a product of six int32 values cannot overflow.
 */
static xtml_status_t reshape_resolve(xtml_prep_t *p, const char *source, const xtml_tinfo_t *in,
                                     int32_t *shape, int32_t rank) {
    const int64_t cap = (int64_t)1 << 31;
    int64_t known = 1;
    int32_t stretch = -1;
    int32_t i;
    for (i = 0; i < rank; ++i) {
        if (shape[i] == -1) {
            if (stretch >= 0) {
                return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "%s has more than one -1",
                                      source);
            }
            stretch = i;
        } else if (shape[i] < 0) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "%s has dimension %d", source,
                                  (int)shape[i]);
        } else {
            known *= shape[i];
            if (known > cap) {
                known = cap;
            }
        }
    }
    if (stretch >= 0) {
        if (known == 0 || in->count % known != 0) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "%s cannot hold the %d elements of input 0 '%s'", source,
                                  (int)in->count, in->name);
        }
        shape[stretch] = (int32_t)(in->count / known);
        known *= shape[stretch];
    }
    if (known != in->count) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "%s holds %lld elements, input 0 '%s' has %d", source, (long long)known,
                              in->name, (int)in->count);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t reshape_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, shape_t, out;
    xtml_fb_table_t opts;
    int32_t shape[XTML_MAX_DIMS];
    int32_t rank = -1; /* -1: the model gives no new shape, the output's is taken */
    const char *source = "";
    xtml_status_t s;
    int32_t i;

    if ((s = expect_counts(p, 1, 2, 1, 1)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &in)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &out)) != XTML_STATUS_OK) {
        return s;
    }
    shape_t.index = -1;
    if (xtml_prep_n_inputs(p) == 2) {
        xtml_prep_input(p, 1, &shape_t);
    }
    /* Like TensorFlow Lite: a 1-D int32 shape tensor wins over the options. */
    if (shape_t.index >= 0 && shape_t.ndim == 1 && shape_t.type == XTML_DTYPE_INT32 &&
        shape_t.is_const && shape_t.data != NULL) {
        const int32_t *v = (const int32_t *)shape_t.data;
        if (shape_t.count > XTML_MAX_DIMS) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "input 1 '%s' asks for %d dimensions, at most %d supported",
                                  shape_t.name, (int)shape_t.count, XTML_MAX_DIMS);
        }
        rank = shape_t.count;
        for (i = 0; i < rank; ++i) {
            shape[i] = v[i];
        }
        source = "shape tensor";
    } else {
        xtml_fb_vec_t v;
        if ((s = xtml_prep_options(p, XTML_OPTS_RESHAPE, &opts)) != XTML_STATUS_OK) {
            return s;
        }
        v = xtml_fb_vec(&opts, 0);
        if (v.len > XTML_MAX_DIMS) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "new_shape has %d dimensions, at most %d supported", (int)v.len,
                                  XTML_MAX_DIMS);
        }
        /* An absent or empty new_shape says nothing; the output shape decides. */
        if (v.len > 0) {
            rank = (int32_t)v.len;
            for (i = 0; i < rank; ++i) {
                shape[i] = xtml_ld_i32(v.data + 4 * (size_t)i);
            }
            /* Old converters wrote [0] for a scalar. */
            if (rank == 1 && shape[0] == 0 && xtml_prep_n_inputs(p) == 1) {
                rank = 0;
            }
            source = "new_shape";
        }
    }
    if (rank >= 0) {
        if ((s = reshape_resolve(p, source, &in, shape, rank)) != XTML_STATUS_OK ||
            (s = expect_dims(p, &out, "output 0", shape, rank)) != XTML_STATUS_OK) {
            return s;
        }
    }
    return alias_finish(p, &in, &out);
}

static xtml_status_t squeeze_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    xtml_fb_vec_t v;
    bool squeeze[XTML_MAX_DIMS] = {false};
    int32_t want[XTML_MAX_DIMS];
    int32_t rank = 0;
    xtml_status_t s;
    int32_t i;

    if ((s = expect_counts(p, 1, 1, 1, 1)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &in)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &out)) != XTML_STATUS_OK ||
        (s = xtml_prep_options(p, XTML_OPTS_SQUEEZE, &opts)) != XTML_STATUS_OK) {
        return s;
    }
    v = xtml_fb_vec(&opts, 0);
    if (v.len == 0) {
        for (i = 0; i < in.ndim; ++i) {
            squeeze[i] = in.dims[i] == 1;
        }
    }
    for (i = 0; i < (int32_t)v.len; ++i) {
        int32_t d = xtml_ld_i32(v.data + 4 * (size_t)i);
        int32_t axis = d < 0 ? d + in.ndim : d;
        if (axis < 0 || axis >= in.ndim) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "squeeze_dims has %d, input 0 '%s' has %d dims", (int)d, in.name,
                                  (int)in.ndim);
        }
        if (in.dims[axis] != 1) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "squeeze_dims names dim %d of input 0 '%s', which is %d not 1",
                                  (int)axis, in.name, (int)in.dims[axis]);
        }
        squeeze[axis] = true;
    }
    for (i = 0; i < in.ndim; ++i) {
        if (!squeeze[i]) {
            want[rank++] = in.dims[i];
        }
    }
    if ((s = expect_dims(p, &out, "output 0", want, rank)) != XTML_STATUS_OK) {
        return s;
    }
    return alias_finish(p, &in, &out);
}

static xtml_status_t expand_dims_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, axis_t, out;
    int32_t want[XTML_MAX_DIMS + 1];
    int32_t axis, i;
    xtml_status_t s;

    if ((s = expect_counts(p, 2, 2, 1, 1)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &in)) != XTML_STATUS_OK ||
        (s = get_input(p, 1, &axis_t)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &out)) != XTML_STATUS_OK ||
        (s = const_scalar_i32(p, &axis_t, "input 1", &axis)) != XTML_STATUS_OK) {
        return s;
    }
    if (axis < 0) {
        axis += in.ndim + 1;
    }
    if (axis < 0 || axis > in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "input 1 '%s' has axis %d, input 0 '%s' has %d dims", axis_t.name,
                              (int)*(const int32_t *)axis_t.data, in.name, (int)in.ndim);
    }
    for (i = 0; i <= in.ndim; ++i) {
        want[i] = i < axis ? in.dims[i] : i == axis ? 1 : in.dims[i - 1];
    }
    if ((s = expect_dims(p, &out, "output 0", want, in.ndim + 1)) != XTML_STATUS_OK) {
        return s;
    }
    return alias_finish(p, &in, &out);
}

const xtml_kernel_t xtml_kernel_reshape = { "RESHAPE", reshape_prepare, alias_eval };
const xtml_kernel_t xtml_kernel_squeeze = { "SQUEEZE", squeeze_prepare, alias_eval };
const xtml_kernel_t xtml_kernel_expand_dims = { "EXPAND_DIMS", expand_dims_prepare, alias_eval };

/* ---- SHAPE ---- */

static xtml_status_t shape_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    xtml_shape_params_t *prm;
    xtml_status_t s;

    if ((s = expect_counts(p, 1, 1, 1, 1)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &in)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &out)) != XTML_STATUS_OK ||
        (s = xtml_prep_options(p, XTML_OPTS_SHAPE, &opts)) != XTML_STATUS_OK) {
        return s;
    }
    if (out.type != XTML_DTYPE_INT32 && out.type != XTML_DTYPE_INT64) {
        return xtml_prep_expect_type(p, &out, "output 0", XTML_DTYPE_INT32);
    }
    /* out_type defaults to float32 in the schema, so only a written one counts. */
    if (xtml_fb_field(&opts, 0) != 0 && xtml_fb_u8(&opts, 0, 0) != (uint8_t)out.type) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "out_type is %d but output 0 '%s' has type %d",
                              (int)xtml_fb_u8(&opts, 0, 0), out.name, (int)out.type);
    }
    if ((s = expect_dims(p, &out, "output 0", &in.ndim, 1)) != XTML_STATUS_OK) {
        return s;
    }
    prm = (xtml_shape_params_t *)XTML_PREP_PERSIST(p, xtml_shape_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    prm->ndim = in.ndim;
    prm->is_int64 = out.type == XTML_DTYPE_INT64;
    memcpy(prm->dims, in.dims, sizeof prm->dims);
    return XTML_STATUS_OK;
}

static xtml_status_t shape_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    shape_run((const xtml_shape_params_t *)node->params, xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_shape = { "SHAPE", shape_prepare, shape_eval };

/* ---- TRANSPOSE ---- */

/*
 * Simplify a permutation: walk the output axes, drop those of size 1 and
 * merge an axis into its outer neighbour when the two are neighbours in the
 * input too.
 */
static void transpose_plan(const int32_t *in_dims, const int32_t *perm, int32_t rank,
                           int32_t esize, xtml_transpose_params_t *t) {
    size_t in_stride[XTML_MAX_DIMS];
    size_t count = product(in_dims, 0, rank);
    int32_t i;
    memset(t, 0, sizeof *t);
    t->esize = esize;
    for (i = rank - 1; i >= 0; --i) {
        in_stride[i] = i == rank - 1 ? (size_t)esize : in_stride[i + 1] * (size_t)in_dims[i + 1];
    }
    for (i = 0; i < rank; ++i) {
        int32_t dim = in_dims[perm[i]];
        ptrdiff_t step = (ptrdiff_t)in_stride[perm[i]];
        if (dim == 1) {
            continue;
        }
        if (t->rank > 0 && t->step[t->rank - 1] == step * dim) {
            t->dims[t->rank - 1] *= dim;
            t->step[t->rank - 1] = step;
        } else {
            t->dims[t->rank] = dim;
            t->step[t->rank] = step;
            t->rank++;
        }
    }
    if (t->rank == 0 || count == 0) {
        /* One element or none: a plain copy of the whole tensor. */
        t->rank = 1;
        t->dims[0] = (int32_t)count;
        t->step[0] = esize;
    }
    if (t->rank == 1) {
        /* The tile needs two axes: add an outer one of size 1. */
        t->rank = 2;
        t->dims[1] = t->dims[0];
        t->step[1] = t->step[0];
        t->dims[0] = 1;
        t->step[0] = 0;
    }
    for (i = 0; i < t->rank; ++i) {
        t->rewind[i] = t->step[i] * t->dims[i];
    }
    t->outer = count == 0 ? 0 : product(t->dims, 0, t->rank - 2);
}

static xtml_status_t transpose_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, perm_t, out;
    xtml_transpose_params_t *prm;
    int32_t want[XTML_MAX_DIMS];
    const int32_t *perm;
    bool seen[XTML_MAX_DIMS] = {false};
    int32_t i, r;
    xtml_status_t s;

    if ((s = expect_counts(p, 2, 2, 1, 1)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &in)) != XTML_STATUS_OK ||
        (s = get_input(p, 1, &perm_t)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &out)) != XTML_STATUS_OK ||
        (s = expect_movable(p, &in, "input 0")) != XTML_STATUS_OK ||
        (s = xtml_prep_expect_type(p, &out, "output 0", in.type)) != XTML_STATUS_OK ||
        (s = xtml_prep_expect_type(p, &perm_t, "input 1", XTML_DTYPE_INT32)) != XTML_STATUS_OK) {
        return s;
    }
    if (!perm_t.is_const || perm_t.data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input 1 '%s' is not constant",
                              perm_t.name);
    }
    r = in.ndim;
    if (perm_t.ndim != 1 || perm_t.count != r) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input 1 '%s' must list %d axes, has %d elements in %d dims",
                              perm_t.name, (int)r, (int)perm_t.count, (int)perm_t.ndim);
    }
    perm = (const int32_t *)perm_t.data;
    for (i = 0; i < r; ++i) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "input 1 '%s' is not a permutation of %d axes (%d at %d)",
                                  perm_t.name, (int)r, (int)perm[i], (int)i);
        }
        seen[perm[i]] = true;
        want[i] = in.dims[perm[i]];
    }
    if ((s = expect_dims(p, &out, "output 0", want, r)) != XTML_STATUS_OK) {
        return s;
    }

    prm = (xtml_transpose_params_t *)XTML_PREP_PERSIST(p, xtml_transpose_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    transpose_plan(in.dims, perm, r, (int32_t)xtml_dtype_size(in.type), prm);
    return XTML_STATUS_OK;
}

static xtml_status_t transpose_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    transpose_run((const xtml_transpose_params_t *)node->params,
                  (const uint8_t *)xtml_node_in(ctx, node, 0),
                  (uint8_t *)xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_transpose = { "TRANSPOSE", transpose_prepare, transpose_eval };

/* ---- PACK and UNPACK ---- */

/*
 * Shared check: `n` tensors shaped like `one` stacked along `axis` make
 * `big`. Fills the interleave layout.
 */
static xtml_status_t stack_check(xtml_prep_t *p, const xtml_tinfo_t *big, const char *big_role,
                                 const xtml_tinfo_t *one, const char *one_role, int32_t axis,
                                 int32_t n, xtml_interleave_params_t *lay) {
    int32_t want[XTML_MAX_DIMS];
    int32_t i;
    xtml_status_t s;
    if (one->ndim + 1 > XTML_MAX_DIMS) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "%s '%s' has %d dims, stacking allows at most %d", one_role,
                              one->name, (int)one->ndim, XTML_MAX_DIMS - 1);
    }
    for (i = 0; i <= one->ndim; ++i) {
        want[i] = i < axis ? one->dims[i] : i == axis ? n : one->dims[i - 1];
    }
    if ((s = expect_dims(p, big, big_role, want, one->ndim + 1)) != XTML_STATUS_OK) {
        return s;
    }
    lay->n = n;
    lay->outer = product(one->dims, 0, axis);
    lay->run = product(one->dims, axis, one->ndim) * xtml_dtype_size(one->type);
    return XTML_STATUS_OK;
}

static xtml_status_t pack_prepare(xtml_prep_t *p) {
    xtml_tinfo_t first, in, out;
    xtml_fb_table_t opts;
    xtml_interleave_params_t lay, *prm;
    int32_t n = (int32_t)xtml_prep_n_inputs(p);
    int32_t count, axis, i;
    xtml_status_t s;

    if ((s = expect_counts(p, 1, XTML_ANY_COUNT, 1, 1)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &first)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &out)) != XTML_STATUS_OK ||
        (s = expect_movable(p, &first, "input 0")) != XTML_STATUS_OK ||
        (s = xtml_prep_expect_type(p, &out, "output 0", first.type)) != XTML_STATUS_OK ||
        (s = xtml_prep_options(p, XTML_OPTS_PACK, &opts)) != XTML_STATUS_OK) {
        return s;
    }
    count = xtml_fb_i32(&opts, 0, 0);
    axis = xtml_fb_i32(&opts, 1, 0);
    if (count != n) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "values_count is %d but %d inputs",
                              (int)count, (int)n);
    }
    for (i = 1; i < n; ++i) {
        char role[16];
        xtml_fmt(role, sizeof role, "input %d", (int)i);
        if ((s = get_input(p, i, &in)) != XTML_STATUS_OK ||
            (s = xtml_prep_expect_type(p, &in, role, first.type)) != XTML_STATUS_OK ||
            (s = xtml_prep_expect_same_shape(p, &in, role, &first, "input 0")) != XTML_STATUS_OK) {
            return s;
        }
    }
    if (axis < -(first.ndim + 1) || axis > first.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "axis %d out of range for %d dims",
                              (int)axis, (int)first.ndim + 1);
    }
    if (axis < 0) {
        axis += first.ndim + 1;
    }
    if ((s = stack_check(p, &out, "output 0", &first, "input 0", axis, n, &lay)) !=
        XTML_STATUS_OK) {
        return s;
    }
    prm = (xtml_interleave_params_t *)XTML_PREP_PERSIST(p, xtml_interleave_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    *prm = lay;
    return XTML_STATUS_OK;
}

static xtml_status_t pack_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_interleave_params_t *prm = (const xtml_interleave_params_t *)node->params;
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    const size_t row = prm->run * (size_t)prm->n;
    int32_t i;
    for (i = 0; i < prm->n; ++i) {
        copy_rows(out + prm->run * (size_t)i, row, (const uint8_t *)xtml_node_in(ctx, node, i),
                  prm->run, prm->run, prm->outer);
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_pack = { "PACK", pack_prepare, pack_eval };

static xtml_status_t unpack_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, first, out;
    xtml_fb_table_t opts;
    xtml_interleave_params_t lay, *prm;
    int32_t n = (int32_t)xtml_prep_n_outputs(p);
    int32_t num, axis, i;
    xtml_status_t s;

    if ((s = expect_counts(p, 1, 1, 1, XTML_ANY_COUNT)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &in)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &first)) != XTML_STATUS_OK ||
        (s = expect_movable(p, &in, "input 0")) != XTML_STATUS_OK ||
        (s = xtml_prep_options(p, XTML_OPTS_UNPACK, &opts)) != XTML_STATUS_OK) {
        return s;
    }
    num = xtml_fb_i32(&opts, 0, 0);
    axis = xtml_fb_i32(&opts, 1, 0);
    if (num != n) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "num is %d but %d outputs", (int)num,
                              (int)n);
    }
    if (in.ndim < 1 || axis < -in.ndim || axis >= in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "axis %d out of range for input 0 '%s' with %d dims", (int)axis,
                              in.name, (int)in.ndim);
    }
    if (axis < 0) {
        axis += in.ndim;
    }
    for (i = 0; i < n; ++i) {
        char role[16];
        xtml_fmt(role, sizeof role, "output %d", (int)i);
        if ((s = get_output(p, i, &out)) != XTML_STATUS_OK ||
            (s = xtml_prep_expect_type(p, &out, role, in.type)) != XTML_STATUS_OK ||
            (s = xtml_prep_expect_same_shape(p, &out, role, &first, "output 0")) !=
                XTML_STATUS_OK) {
            return s;
        }
    }
    if ((s = stack_check(p, &in, "input 0", &first, "output 0", axis, n, &lay)) !=
        XTML_STATUS_OK) {
        return s;
    }
    prm = (xtml_interleave_params_t *)XTML_PREP_PERSIST(p, xtml_interleave_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    *prm = lay;
    return XTML_STATUS_OK;
}

/* UNPACK and SPLIT: output i takes run i of every n in the input. */
static xtml_status_t deinterleave_eval(xtml_ctx_t *ctx, const xtml_node_t *node, int in_index) {
    const xtml_interleave_params_t *prm = (const xtml_interleave_params_t *)node->params;
    const uint8_t *in = (const uint8_t *)xtml_node_in(ctx, node, in_index);
    const size_t row = prm->run * (size_t)prm->n;
    int32_t i;
    for (i = 0; i < prm->n; ++i) {
        copy_rows((uint8_t *)xtml_node_out(ctx, node, i), prm->run, in + prm->run * (size_t)i, row,
                  prm->run, prm->outer);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t unpack_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return deinterleave_eval(ctx, node, 0);
}

const xtml_kernel_t xtml_kernel_unpack = { "UNPACK", unpack_prepare, unpack_eval };

/* ---- SPLIT: inputs are (axis, value) ---- */

static xtml_status_t split_prepare(xtml_prep_t *p) {
    xtml_tinfo_t axis_t, in, out;
    xtml_fb_table_t opts;
    xtml_interleave_params_t *prm;
    int32_t want[XTML_MAX_DIMS];
    int32_t n = (int32_t)xtml_prep_n_outputs(p);
    int32_t axis, axis_raw, i;
    xtml_status_t s;

    if ((s = expect_counts(p, 2, 2, 1, XTML_ANY_COUNT)) != XTML_STATUS_OK ||
        (s = get_input(p, 0, &axis_t)) != XTML_STATUS_OK ||
        (s = get_input(p, 1, &in)) != XTML_STATUS_OK ||
        (s = expect_movable(p, &in, "input 1")) != XTML_STATUS_OK ||
        (s = const_scalar_i32(p, &axis_t, "input 0", &axis_raw)) != XTML_STATUS_OK ||
        (s = xtml_prep_options(p, XTML_OPTS_SPLIT, &opts)) != XTML_STATUS_OK) {
        return s;
    }
    /* TFLM ignores num_splits; a written one must agree. */
    if (opts.pos != 0 && xtml_fb_i32(&opts, 0, 0) != n) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "num_splits is %d but %d outputs",
                              (int)xtml_fb_i32(&opts, 0, 0), (int)n);
    }
    axis = axis_raw < 0 ? axis_raw + in.ndim : axis_raw;
    if (axis < 0 || axis >= in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "axis %d out of range for input 1 '%s' with %d dims", (int)axis_raw,
                              in.name, (int)in.ndim);
    }
    if (in.dims[axis] % n != 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input 1 '%s' dim %d is %d, not divisible into %d outputs", in.name,
                              (int)axis, (int)in.dims[axis], (int)n);
    }
    memcpy(want, in.dims, sizeof want);
    want[axis] = in.dims[axis] / n;
    for (i = 0; i < n; ++i) {
        char role[16];
        xtml_fmt(role, sizeof role, "output %d", (int)i);
        if ((s = get_output(p, i, &out)) != XTML_STATUS_OK ||
            (s = xtml_prep_expect_type(p, &out, role, in.type)) != XTML_STATUS_OK ||
            (s = expect_dims(p, &out, role, want, in.ndim)) != XTML_STATUS_OK) {
            return s;
        }
    }
    prm = (xtml_interleave_params_t *)XTML_PREP_PERSIST(p, xtml_interleave_params_t, 0);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    prm->n = n;
    prm->outer = product(in.dims, 0, axis);
    prm->run = product(want, axis, in.ndim) * xtml_dtype_size(in.type);
    return XTML_STATUS_OK;
}

static xtml_status_t split_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return deinterleave_eval(ctx, node, 1);
}

const xtml_kernel_t xtml_kernel_split = { "SPLIT", split_prepare, split_eval };

/* ---- CONCATENATION ---- */

static xtml_status_t concat_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, out;
    xtml_fb_table_t opts;
    xtml_concat_params_t *prm;
    int32_t n = (int32_t)xtml_prep_n_inputs(p);
    int32_t axis_raw, axis, act, i, d;
    int64_t total = 0;
    size_t inner, esize;
    xtml_status_t s;

    if ((s = expect_counts(p, 1, XTML_ANY_COUNT, 1, 1)) != XTML_STATUS_OK ||
        (s = get_output(p, 0, &out)) != XTML_STATUS_OK ||
        (s = expect_movable(p, &out, "output 0")) != XTML_STATUS_OK ||
        (s = xtml_prep_options(p, XTML_OPTS_CONCATENATION, &opts)) != XTML_STATUS_OK) {
        return s;
    }
    axis_raw = xtml_fb_i32(&opts, 0, 0);
    act = xtml_fb_i8(&opts, 1, XTML_ACT_NONE);
    /* TFLM (and TensorFlow Lite) run CONCATENATION without activations only. */
    if (act != XTML_ACT_NONE) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "fused activation %d is not supported", (int)act);
    }
    axis = axis_raw < 0 ? axis_raw + out.ndim : axis_raw;
    if (axis < 0 || axis >= out.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "axis %d out of range for output 0 '%s' with %d dims",
                              (int)axis_raw, out.name, (int)out.ndim);
    }
    if (out.type == XTML_DTYPE_INT16 && out.zero_point != 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "output 0 '%s' is int16 with zero point %d, expected 0", out.name,
                              (int)out.zero_point);
    }
    for (i = 0; i < n; ++i) {
        char role[16];
        xtml_fmt(role, sizeof role, "input %d", (int)i);
        if ((s = get_input(p, i, &in)) != XTML_STATUS_OK ||
            (s = xtml_prep_expect_type(p, &in, role, out.type)) != XTML_STATUS_OK) {
            return s;
        }
        if (in.ndim != out.ndim) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "%s '%s' has %d dims, output 0 '%s' has %d", role, in.name,
                                  (int)in.ndim, out.name, (int)out.ndim);
        }
        for (d = 0; d < out.ndim; ++d) {
            if (d != axis && in.dims[d] != out.dims[d]) {
                return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                      "%s '%s' has dim %d of %d, output 0 '%s' has %d", role,
                                      in.name, (int)d, (int)in.dims[d], out.name,
                                      (int)out.dims[d]);
            }
        }
        total += in.dims[axis];
        /* No requantization: TFLM requires the output's scale and zero point. */
        if (out.type == XTML_DTYPE_INT8 &&
            (in.scale != out.scale || in.zero_point != out.zero_point)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "%s '%s' scale %s zp %d differs from output's %s zp %d", role,
                                  in.name, XTML_F32(in.scale), (int)in.zero_point, XTML_F32(out.scale),
                                  (int)out.zero_point);
        }
        if (out.type == XTML_DTYPE_INT16 && in.zero_point != 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "%s '%s' is int16 with zero point %d, expected 0", role,
                                  in.name, (int)in.zero_point);
        }
    }
    if (total != out.dims[axis]) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "inputs add up to %lld along axis %d, output 0 '%s' has %d",
                              (long long)total, (int)axis, out.name, (int)out.dims[axis]);
    }
    /* The chunk[] entries are size_t: 4 bytes each on a 32-bit target. */
    prm = (xtml_concat_params_t *)xtml_prep_persist(p, sizeof *prm + (size_t)n * sizeof(size_t),
                                                    XTML_SIZE32(xtml_concat_params_t) + (size_t)n * 4u);
    if (prm == NULL) {
        return XTML_STATUS_OK;
    }
    esize = xtml_dtype_size(out.type);
    inner = product(out.dims, axis + 1, out.ndim) * esize;
    prm->n = n;
    prm->outer = product(out.dims, 0, axis);
    prm->out_row = (size_t)out.dims[axis] * inner;
    for (i = 0; i < n; ++i) {
        xtml_prep_input(p, i, &in);
        prm->chunk[i] = (size_t)in.dims[axis] * inner;
    }
    return XTML_STATUS_OK;
}

static xtml_status_t concat_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_concat_params_t *prm = (const xtml_concat_params_t *)node->params;
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    int32_t i;
    for (i = 0; i < prm->n; ++i) {
        copy_rows(out, prm->out_row, (const uint8_t *)xtml_node_in(ctx, node, i), prm->chunk[i],
                  prm->chunk[i], prm->outer);
        out += prm->chunk[i];
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_concatenation = { "CONCATENATION", concat_prepare, concat_eval };
