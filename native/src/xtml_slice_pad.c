/*
 * xtml_slice_pad.c - operators that move elements without changing them: PAD,
 * PADV2, STRIDED_SLICE and RESIZE_NEAREST_NEIGHBOR.
 *
 * They copy raw values, whatever the element type, so each kernel works on
 * bytes with an element size. Prepare reduces every configuration to a few
 * merged axes (adjacent axes that the operator treats alike become one), so
 * eval is a short recursion whose innermost level is a memcpy or a fill.
 * Like TFLM, none of these operators requantizes: an int8 output takes the
 * input's raw values even when the model gives it other quantization.
 */
#include <math.h>

#include "xtml_internal.h"

/* ---- shared helpers ---- */

/* Bytes of one element of the types these operators move; 0 for others. */
static uint32_t slice_pad_elem_size(xtml_dtype_t type) {
    switch (type) {
    case XTML_DTYPE_INT8:
    case XTML_DTYPE_BOOL:
        return 1;
    case XTML_DTYPE_INT16:
        return 2;
    case XTML_DTYPE_FLOAT32:
    case XTML_DTYPE_INT32:
        return 4;
    default:
        return 0;
    }
}

/* Write n copies of the element `value` (esize bytes). */
static void fill_elems(uint8_t *dst, size_t n, const uint8_t *value, uint32_t esize) {
    size_t i;
    if (esize == 1) {
        memset(dst, value[0], n);
    } else if (esize == 2) {
        uint16_t v;
        uint16_t *d = (uint16_t *)(void *)dst;
        memcpy(&v, value, 2);
        for (i = 0; i < n; ++i) {
            d[i] = v;
        }
    } else {
        uint32_t v;
        uint32_t *d = (uint32_t *)(void *)dst;
        memcpy(&v, value, 4);
        for (i = 0; i < n; ++i) {
            d[i] = v;
        }
    }
}

/*
 * Read a constant int32 or int64 index tensor (paddings, begin, end,
 * strides) of exactly n elements into out[]. int64 values must fit int32.
 */
static xtml_status_t read_const_indices(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role,
                                        int32_t n, int32_t *out) {
    int32_t i;
    if (!t->is_const || t->data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "%s tensor '%s' is not constant; only constant %s is supported", role,
                              t->name, role);
    }
    if (t->type != XTML_DTYPE_INT32 && t->type != XTML_DTYPE_INT64) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "%s tensor '%s' is %s, expected int32 or int64", role, t->name,
                              xtml_dtype_name(t->type));
    }
    if (t->count != n) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "%s tensor '%s' has %d elements, expected %d", role, t->name,
                              (int)t->count, (int)n);
    }
    for (i = 0; i < n; ++i) {
        if (t->type == XTML_DTYPE_INT32) {
            out[i] = ((const int32_t *)t->data)[i];
        } else {
            int64_t v = xtml_ld_i64((const uint8_t *)t->data + 8 * (size_t)i);
            if (v < INT32_MIN || v > INT32_MAX) {
                return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                      "%s tensor '%s' element %d does not fit int32", role,
                                      t->name, (int)i);
            }
            out[i] = (int32_t)v;
        }
    }
    return XTML_STATUS_OK;
}

/* Input 0 and output 0 of a data-movement operator: same supported type. */
static xtml_status_t expect_moved_types(xtml_prep_t *p, const xtml_tinfo_t *in,
                                        const xtml_tinfo_t *out, uint32_t *esize) {
    *esize = slice_pad_elem_size(in->type);
    if (*esize == 0) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input 0 '%s' is %s, expected int8, int16, int32, float32 or bool",
                              in->name, xtml_dtype_name(in->type));
    }
    return xtml_prep_expect_type(p, out, "output tensor", in->type);
}

/* ---- PAD and PADV2 ---- */

/*
 * Axes after merging, outermost first. An axis without padding is folded
 * into the axis outside it, so the innermost axis always pads or is the only
 * one. Counts are elements; out_inner[a] is the element count of one output
 * slice of axis a (the product of the output sizes inside it).
 */
typedef struct xtml_pad_params {
    int32_t ndim;
    int32_t in_dims[XTML_MAX_DIMS];
    int32_t left[XTML_MAX_DIMS];
    int32_t right[XTML_MAX_DIMS];
    int32_t out_inner[XTML_MAX_DIMS];
    uint32_t esize;
    bool value_is_input;     /* PADV2 with a non-constant value: read it at eval */
    uint8_t value[4];        /* the pad element otherwise */
} xtml_pad_params_t;

/* Pad one slice of `axis`; returns the input position after it. */
static const uint8_t *pad_axis(const xtml_pad_params_t *k, int axis, const uint8_t *in,
                               uint8_t *out, const uint8_t *value) {
    const uint32_t es = k->esize;
    const size_t inner = (size_t)k->out_inner[axis] * es;
    const int32_t n = k->in_dims[axis];
    int32_t i;
    fill_elems(out, (size_t)k->left[axis] * (size_t)k->out_inner[axis], value, es);
    out += (size_t)k->left[axis] * inner;
    if (axis == k->ndim - 1) {
        if (n > 0) {  /* an empty input may have no buffer at all */
            memcpy(out, in, (size_t)n * es);
        }
        in += (size_t)n * es;
        out += (size_t)n * es;
    } else {
        for (i = 0; i < n; ++i) {
            in = pad_axis(k, axis + 1, in, out, value);
            out += inner;
        }
    }
    fill_elems(out, (size_t)k->right[axis] * (size_t)k->out_inner[axis], value, es);
    return in;
}

static void pad_run(const xtml_pad_params_t *k, const void *input, void *output,
                    const void *value) {
    pad_axis(k, 0, (const uint8_t *)input, (uint8_t *)output, (const uint8_t *)value);
}

static xtml_status_t pad_prepare(xtml_prep_t *p, bool v2) {
    xtml_tinfo_t in, paddings, value, out;
    xtml_fb_table_t opts;
    xtml_pad_params_t k;
    xtml_pad_params_t *params;
    int32_t pads[2 * XTML_MAX_DIMS];
    int32_t dims[XTML_MAX_DIMS], left[XTML_MAX_DIMS], right[XTML_MAX_DIMS];
    int32_t m = 0;
    int32_t i;
    int n_in = xtml_prep_n_inputs(p);
    xtml_status_t st;

    if ((n_in != 2 && n_in != 3) || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 2 or 3 and 1", n_in,
                              xtml_prep_n_outputs(p));
    }
    st = xtml_prep_options(p, v2 ? XTML_OPTS_PADV2 : XTML_OPTS_PAD, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&k, 0, sizeof k);
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &paddings);
    xtml_prep_output(p, 0, &out);
    if (in.index < 0 || paddings.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input and paddings are required");
    }
    st = expect_moved_types(p, &in, &out, &k.esize);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.type == XTML_DTYPE_BOOL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input 0 '%s' is bool", in.name);
    }
    if (out.ndim != in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' has rank %d, input 0 '%s' rank %d", out.name,
                              (int)out.ndim, in.name, (int)in.ndim);
    }
    if (paddings.ndim != 2 || paddings.dims[0] != in.ndim || paddings.dims[1] != 2) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "paddings '%s' must have shape [%d, 2] for input rank %d",
                              paddings.name, (int)in.ndim, (int)in.ndim);
    }
    st = read_const_indices(p, &paddings, "paddings", 2 * in.ndim, pads);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    for (i = 0; i < in.ndim; ++i) {
        if (pads[2 * i] < 0 || pads[2 * i + 1] < 0) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "paddings '%s' of axis %d are negative (%d, %d)", paddings.name,
                                  (int)i, (int)pads[2 * i], (int)pads[2 * i + 1]);
        }
        if ((int64_t)in.dims[i] + pads[2 * i] + pads[2 * i + 1] != out.dims[i]) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "output 0 '%s' axis %d is %d, padding gives %d + %d + %d",
                                  out.name, (int)i, (int)out.dims[i], (int)in.dims[i],
                                  (int)pads[2 * i], (int)pads[2 * i + 1]);
        }
    }

    /* The pad element: PADV2's constant, else zero (int8: the output zero point). */
    if (n_in == 3) {
        xtml_prep_input(p, 2, &value);
    } else {
        value.index = -1;
    }
    if (value.index >= 0) {
        if (value.type != in.type || value.count != 1) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "constant_values '%s' must be one element of the input's type",
                                  value.name);
        }
        if (in.type == XTML_DTYPE_INT8 &&
            (value.zero_point != out.zero_point || value.scale != out.scale)) {
            /* TFLite and TFLM alike: the constant must be on the output's scale. */
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "constant_values '%s' (scale %s, zero point %d) is not quantized "
                                  "like output 0 '%s' (scale %s, zero point %d)",
                                  value.name, XTML_F32(value.scale), (int)value.zero_point, out.name,
                                  XTML_F32(out.scale), (int)out.zero_point);
        }
        if (value.is_const && value.data != NULL) {
            memcpy(k.value, value.data, k.esize);
        } else {
            k.value_is_input = true;
        }
    } else if (in.type == XTML_DTYPE_INT8) {
        if (out.zero_point < -128 || out.zero_point > 127) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "output 0 '%s' zero point %d is outside int8", out.name,
                                  (int)out.zero_point);
        }
        k.value[0] = (uint8_t)(int8_t)out.zero_point;
    }

    /* Merge: fold each axis into the one outside it when it has no padding. */
    for (i = in.ndim - 1; i >= 0; --i) {
        int32_t l = pads[2 * i], r = pads[2 * i + 1];
        if (m > 0 && left[m - 1] == 0 && right[m - 1] == 0) {
            int32_t mul = dims[m - 1];
            dims[m - 1] = in.dims[i] * mul;
            left[m - 1] = l * mul;
            right[m - 1] = r * mul;
        } else {
            dims[m] = in.dims[i];
            left[m] = l;
            right[m] = r;
            ++m;
        }
    }
    if (m == 0) {  /* a scalar */
        dims[0] = 1;
        left[0] = 0;
        right[0] = 0;
        m = 1;
    }
    k.ndim = m;
    for (i = 0; i < m; ++i) {
        k.in_dims[i] = dims[m - 1 - i];
        k.left[i] = left[m - 1 - i];
        k.right[i] = right[m - 1 - i];
    }
    k.out_inner[m - 1] = 1;
    for (i = m - 2; i >= 0; --i) {
        k.out_inner[i] = k.out_inner[i + 1] * (k.left[i + 1] + k.in_dims[i + 1] + k.right[i + 1]);
    }

    params = (xtml_pad_params_t *)XTML_PREP_PERSIST(p, xtml_pad_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    *params = k;
    return XTML_STATUS_OK;
}

static xtml_status_t pad_prepare_v1(xtml_prep_t *p) {
    return pad_prepare(p, false);
}

static xtml_status_t padv2_prepare(xtml_prep_t *p) {
    return pad_prepare(p, true);
}

static xtml_status_t pad_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_pad_params_t *k = (const xtml_pad_params_t *)node->params;
    const void *value = k->value_is_input ? xtml_node_in(ctx, node, 2) : (const void *)k->value;
    pad_run(k, xtml_node_in(ctx, node, 0), xtml_node_out(ctx, node, 0), value);
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_pad = { "PAD", pad_prepare_v1, pad_eval };
const xtml_kernel_t xtml_kernel_padv2 = { "PADV2", padv2_prepare, pad_eval };

/* ---- STRIDED_SLICE ---- */

/*
 * The output as a walk over the input: axis a (outermost first) takes
 * count[a] elements, step[a] input elements apart (negative steps walk
 * backwards), starting at input element `base`. Shrunk and single-element
 * axes are folded into `base`; consecutive axes that form one regular walk
 * are merged.
 */
typedef struct xtml_slice_params {
    int32_t ndim;            /* 0: the output is empty */
    int32_t count[XTML_MAX_DIMS];
    int32_t step[XTML_MAX_DIMS];
    int32_t base;
    uint32_t esize;
} xtml_slice_params_t;

/* Gather n elements `step` apart (step != 1). */
static void gather_elems(uint8_t *dst, const uint8_t *src, int32_t n, int32_t step, uint32_t esize) {
    int32_t i;
    if (esize == 1) {
        const int8_t *s = (const int8_t *)src;
        int8_t *d = (int8_t *)dst;
        for (i = 0; i < n; ++i, s += step) {
            d[i] = *s;
        }
    } else if (esize == 2) {
        const int16_t *s = (const int16_t *)(const void *)src;
        int16_t *d = (int16_t *)(void *)dst;
        for (i = 0; i < n; ++i, s += step) {
            d[i] = *s;
        }
    } else {
        const int32_t *s = (const int32_t *)(const void *)src;
        int32_t *d = (int32_t *)(void *)dst;
        for (i = 0; i < n; ++i, s += step) {
            d[i] = *s;
        }
    }
}

/* Copy the slice of `axis` starting at `in`; returns the output position after it. */
static uint8_t *slice_axis(const xtml_slice_params_t *k, int axis, const uint8_t *in,
                           uint8_t *out) {
    const uint32_t es = k->esize;
    const int32_t n = k->count[axis];
    const int32_t step = k->step[axis];
    int32_t i;
    if (axis == k->ndim - 1) {
        if (step == 1) {
            memcpy(out, in, (size_t)n * es);
        } else {
            gather_elems(out, in, n, step, es);
        }
        return out + (size_t)n * es;
    }
    for (i = 0; i < n; ++i) {
        out = slice_axis(k, axis + 1, in, out);
        in += (ptrdiff_t)step * (ptrdiff_t)es;
    }
    return out;
}

static void strided_slice_run(const xtml_slice_params_t *k, const void *input, void *output) {
    if (k->ndim == 0) {
        return;
    }
    slice_axis(k, 0, (const uint8_t *)input + (size_t)k->base * k->esize, (uint8_t *)output);
}

static int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static xtml_status_t strided_slice_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, tb, te, ts, out;
    xtml_fb_table_t opts;
    xtml_slice_params_t k;
    xtml_slice_params_t *params;
    int32_t begin[XTML_MAX_DIMS], end[XTML_MAX_DIMS], stride[XTML_MAX_DIMS];
    int32_t count[XTML_MAX_DIMS], step[XTML_MAX_DIMS];
    int32_t in_stride[XTML_MAX_DIMS];
    uint32_t begin_mask, end_mask, shrink_mask;
    int32_t out_axes = 0, m = 0, a;
    int64_t base = 0;
    bool empty = false;
    xtml_status_t st;

    if (xtml_prep_n_inputs(p) != 4 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 4 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    st = xtml_prep_options(p, XTML_OPTS_STRIDED_SLICE, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    begin_mask = (uint32_t)xtml_fb_i32(&opts, 0, 0);
    end_mask = (uint32_t)xtml_fb_i32(&opts, 1, 0);
    shrink_mask = (uint32_t)xtml_fb_i32(&opts, 4, 0);
    if (xtml_fb_i32(&opts, 2, 0) != 0 || xtml_fb_i32(&opts, 3, 0) != 0) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "ellipsis_mask %d / new_axis_mask %d are not supported",
                              (int)xtml_fb_i32(&opts, 2, 0), (int)xtml_fb_i32(&opts, 3, 0));
    }
    if (xtml_fb_bool(&opts, 5, false)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "offset = true is not supported");
    }
    memset(&k, 0, sizeof k);
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &tb);
    xtml_prep_input(p, 2, &te);
    xtml_prep_input(p, 3, &ts);
    xtml_prep_output(p, 0, &out);
    if (in.index < 0 || tb.index < 0 || te.index < 0 || ts.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "input, begin, end and strides are required");
    }
    st = expect_moved_types(p, &in, &out, &k.esize);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input 0 '%s' is a scalar",
                              in.name);
    }
    if (tb.ndim != 1 || te.ndim != 1 || ts.ndim != 1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "begin, end and strides must be vectors of length %d",
                              (int)in.ndim);
    }
    st = read_const_indices(p, &tb, "begin", in.ndim, begin);
    if (st == XTML_STATUS_OK) {
        st = read_const_indices(p, &te, "end", in.ndim, end);
    }
    if (st == XTML_STATUS_OK) {
        st = read_const_indices(p, &ts, "strides", in.ndim, stride);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }

    in_stride[in.ndim - 1] = 1;
    for (a = in.ndim - 2; a >= 0; --a) {
        in_stride[a] = in_stride[a + 1] * in.dims[a + 1];
    }
    for (a = 0; a < in.ndim; ++a) {
        const int32_t size = in.dims[a];
        const int32_t s = stride[a];
        const bool shrink = (shrink_mask >> a) & 1u;
        int32_t start, stop, n;
        if (s == 0) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "strides '%s' axis %d is 0",
                                  ts.name, (int)a);
        }
        /* Python-style: negative indices count from the end, then clamp. */
        start = begin[a] < 0 ? (int32_t)((int64_t)begin[a] + size) : begin[a];
        start = s > 0 ? clamp_i32(start, 0, size) : clamp_i32(start, -1, size - 1);
        if ((begin_mask >> a) & 1u) {
            start = s > 0 ? 0 : size - 1;
        }
        if (shrink) {
            /*
             * TFLM writes no output at all for a shrunk axis with a negative
             * stride or an out-of-range begin (TensorFlow rejects the
             * latter): there is nothing faithful to run, so refuse.
             */
            if (s < 0) {
                return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                                      "shrink axis %d has negative stride %d", (int)a, (int)s);
            }
            if (start < 0 || start >= size) {
                return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                      "shrink axis %d: begin %d is outside input 0 '%s' size %d",
                                      (int)a, (int)begin[a], in.name, (int)size);
            }
            n = 1;
        } else {
            stop = end[a] < 0 ? (int32_t)((int64_t)end[a] + size) : end[a];
            stop = s > 0 ? clamp_i32(stop, 0, size) : clamp_i32(stop, -1, size - 1);
            if ((end_mask >> a) & 1u) {
                stop = s > 0 ? size : -1;
            }
            if (s > 0) {
                n = stop > start ? (int32_t)(((int64_t)stop - start + s - 1) / s) : 0;
            } else {
                n = start > stop ? (int32_t)(((int64_t)start - stop - s - 1) / -(int64_t)s) : 0;
            }
            if (out_axes >= out.ndim || out.dims[out_axes] != n) {
                return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                      "output 0 '%s' does not match the slice: axis %d of input "
                                      "0 '%s' gives %d elements",
                                      out.name, (int)a, in.name, (int)n);
            }
            ++out_axes;
        }
        if (n == 0) {
            empty = true;
        } else {
            base += (int64_t)start * in_stride[a];
        }
        count[a] = n;
        step[a] = s;
    }
    if (out_axes != out.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' has rank %d, the slice gives rank %d", out.name,
                              (int)out.ndim, (int)out_axes);
    }

    if (!empty) {
        int32_t mc[XTML_MAX_DIMS], ms[XTML_MAX_DIMS];
        /* Merge from the innermost axis outwards; drop single-element axes. */
        for (a = in.ndim - 1; a >= 0; --a) {
            /* |step * in_stride| <= the input's element count once count > 1. */
            int32_t st_el = count[a] > 1 ? step[a] * in_stride[a] : 0;
            if (count[a] == 1) {
                continue;
            }
            if (m > 0 && (int64_t)ms[m - 1] * mc[m - 1] == st_el) {
                mc[m - 1] *= count[a];
            } else {
                mc[m] = count[a];
                ms[m] = st_el;
                ++m;
            }
        }
        if (m == 0) {
            mc[0] = 1;
            ms[0] = 1;
            m = 1;
        }
        k.ndim = m;
        for (a = 0; a < m; ++a) {
            k.count[a] = mc[m - 1 - a];
            k.step[a] = ms[m - 1 - a];
        }
        k.base = (int32_t)base;
    }

    params = (xtml_slice_params_t *)XTML_PREP_PERSIST(p, xtml_slice_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    *params = k;
    return XTML_STATUS_OK;
}

static xtml_status_t strided_slice_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    strided_slice_run((const xtml_slice_params_t *)node->params, xtml_node_in(ctx, node, 0),
                      xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

/* ---- SLICE ---- */

/* SLICE is STRIDED_SLICE with unit steps: begin and size (-1: to the end) per axis. */
static xtml_status_t slice_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, tb, tsz, out;
    xtml_slice_params_t k;
    xtml_slice_params_t *params;
    int32_t begin[XTML_MAX_DIMS], size[XTML_MAX_DIMS];
    int32_t a, stride = 1;
    int64_t base = 0;
    bool empty = false;
    xtml_status_t st;

    if (xtml_prep_n_inputs(p) != 3 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 3 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    memset(&k, 0, sizeof k);
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &tb);
    xtml_prep_input(p, 2, &tsz);
    xtml_prep_output(p, 0, &out);
    if (tb.index < 0 || tsz.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "begin and size are required");
    }
    st = expect_moved_types(p, &in, &out, &k.esize);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim > 5) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "input 0 '%s' has rank %d; TFLM slices at most 5", in.name,
                              (int)in.ndim);
    }
    if (tb.type != tsz.type) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "begin and size types differ");
    }
    st = read_const_indices(p, &tb, "begin", in.ndim, begin);
    if (st == XTML_STATUS_OK) {
        st = read_const_indices(p, &tsz, "size", in.ndim, size);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (out.ndim != in.ndim) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output 0 '%s' has rank %d, expected %d",
                              out.name, (int)out.ndim, (int)in.ndim);
    }
    for (a = in.ndim - 1; a >= 0; --a) {
        /* int64: a begin of INT32_MIN with size -1 overflows int32 */
        int64_t n = size[a] == -1 ? (int64_t)in.dims[a] - begin[a] : size[a];
        if (begin[a] < 0 || n < 0 || begin[a] > in.dims[a] || n > in.dims[a] - begin[a]) {
            return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                                  "begin %d size %d of axis %d do not fit its size %d",
                                  (int)begin[a], (int)size[a], (int)a, (int)in.dims[a]);
        }
        if (out.dims[a] != n) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                                  "output 0 '%s' dim %d is %d, the slice gives %d", out.name,
                                  (int)a, (int)out.dims[a], (int)n);
        }
        empty = empty || n == 0;
        base += (int64_t)begin[a] * stride;
        stride *= in.dims[a];
    }
    if (!empty) {
        int32_t m = 0;
        stride = 1;
        /* innermost first; an axis merges into the one inside it when that one is whole */
        for (a = in.ndim - 1; a >= 0; --a) {
            if (m > 0 && k.count[m - 1] * k.step[m - 1] == stride && out.dims[a] >= 1) {
                k.count[m - 1] *= out.dims[a];
            } else if (out.dims[a] != 1 || m == 0) {
                k.count[m] = out.dims[a];
                k.step[m] = stride;
                ++m;
            }
            stride *= in.dims[a];
        }
        k.ndim = m;
        for (a = 0; a < m / 2; ++a) {
            int32_t c = k.count[a], s = k.step[a];
            k.count[a] = k.count[m - 1 - a];
            k.step[a] = k.step[m - 1 - a];
            k.count[m - 1 - a] = c;
            k.step[m - 1 - a] = s;
        }
        k.base = (int32_t)base;
    }
    params = (xtml_slice_params_t *)XTML_PREP_PERSIST(p, xtml_slice_params_t, 0);
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    *params = k;
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_slice = { "SLICE", slice_prepare, strided_slice_eval };

const xtml_kernel_t xtml_kernel_strided_slice = { "STRIDED_SLICE", strided_slice_prepare,
                                                  strided_slice_eval };

/* ---- RESIZE_NEAREST_NEIGHBOR ---- */

/*
 * NHWC. The source row and column of every output row and column are
 * computed once at prepare, as input element offsets: src[0..out_h) for rows,
 * src[out_h..out_h+out_w) for columns.
 */
typedef struct xtml_resize_nearest_params {
    int32_t batches;
    int32_t in_batch;        /* elements of one input image */
    int32_t out_h, out_w, depth;
    uint32_t esize;
    int32_t src[];
} xtml_resize_nearest_params_t;

/* The source index TFLM picks for output index i (float arithmetic as it does it). */
static int32_t nearest_source(int32_t i, int32_t in_size, int32_t out_size, bool align_corners,
                              bool half_pixel_centers) {
    float scale, pos;
    int32_t src;
    const float offset = half_pixel_centers ? 0.5f : 0.0f;
    if (align_corners && out_size > 1) {
        scale = (float)(in_size - 1) / (float)(out_size - 1);
    } else {
        scale = (float)in_size / (float)out_size;
    }
    pos = (float)i + offset;
    pos = pos * scale;
    src = align_corners ? (int32_t)roundf(pos) : (int32_t)floorf(pos);
    if (src > in_size - 1) {
        src = in_size - 1;
    }
    if (half_pixel_centers && src < 0) {
        src = 0;
    }
    return src;
}

static void resize_nearest_run(const xtml_resize_nearest_params_t *k, const void *input,
                               void *output) {
    const size_t row_bytes = (size_t)k->depth * k->esize;
    const int32_t *rows = k->src;
    const int32_t *cols = k->src + k->out_h;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t b, y, x;
    for (b = 0; b < k->batches; ++b) {
        for (y = 0; y < k->out_h; ++y) {
            const uint8_t *in_row = in + (size_t)rows[y] * k->esize;
            for (x = 0; x < k->out_w; ++x) {
                memcpy(out, in_row + (size_t)cols[x] * k->esize, row_bytes);
                out += row_bytes;
            }
        }
        in += (size_t)k->in_batch * k->esize;
    }
}

static xtml_status_t resize_nearest_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, size, out;
    xtml_fb_table_t opts;
    xtml_resize_nearest_params_t *params;
    bool align_corners, half_pixel_centers;
    uint32_t esize;
    int32_t out_h, out_w, i;
    xtml_status_t st;

    if (xtml_prep_n_inputs(p) != 2 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "has %d inputs and %d outputs, expected 2 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    st = xtml_prep_options(p, XTML_OPTS_RESIZE_NEAREST_NEIGHBOR, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    align_corners = xtml_fb_bool(&opts, 0, false);
    half_pixel_centers = xtml_fb_bool(&opts, 1, false);
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &size);
    xtml_prep_output(p, 0, &out);
    if (in.index < 0 || size.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input and size are required");
    }
    if (in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_INT16 &&
        in.type != XTML_DTYPE_FLOAT32) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input 0 '%s' is %s, expected int8, int16 or float32", in.name,
                              xtml_dtype_name(in.type));
    }
    st = expect_moved_types(p, &in, &out, &esize);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (in.ndim != 4) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "input 0 '%s' has rank %d, expected 4", in.name, (int)in.ndim);
    }
    if (in.dims[1] < 1 || in.dims[2] < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "input 0 '%s' has an empty image (%d x %d)", in.name,
                              (int)in.dims[1], (int)in.dims[2]);
    }
    if (size.type != XTML_DTYPE_INT32 || size.ndim != 1 || size.dims[0] != 2) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "size '%s' must be an int32 vector of 2 elements", size.name);
    }
    if (!size.is_const || size.data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "size '%s' is not constant; only a constant size is supported",
                              size.name);
    }
    out_h = ((const int32_t *)size.data)[0];
    out_w = ((const int32_t *)size.data)[1];
    if (out.ndim != 4 || out.dims[0] != in.dims[0] || out.dims[1] != out_h ||
        out.dims[2] != out_w || out.dims[3] != in.dims[3]) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' must have shape [%d, %d, %d, %d]", out.name,
                              (int)in.dims[0], (int)out_h, (int)out_w, (int)in.dims[3]);
    }

    params = (xtml_resize_nearest_params_t *)XTML_PREP_PERSIST(p, xtml_resize_nearest_params_t, sizeof(int32_t) * ((size_t)out_h + (size_t)out_w));
    if (params == NULL) {
        return XTML_STATUS_OK;
    }
    params->batches = in.dims[0];
    params->in_batch = in.dims[1] * in.dims[2] * in.dims[3];
    params->out_h = out_h;
    params->out_w = out_w;
    params->depth = in.dims[3];
    params->esize = esize;
    for (i = 0; i < out_h; ++i) {
        params->src[i] = nearest_source(i, in.dims[1], out_h, align_corners, half_pixel_centers) *
                         in.dims[2] * in.dims[3];
    }
    for (i = 0; i < out_w; ++i) {
        params->src[out_h + i] =
            nearest_source(i, in.dims[2], out_w, align_corners, half_pixel_centers) * in.dims[3];
    }
    return XTML_STATUS_OK;
}

static xtml_status_t resize_nearest_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    resize_nearest_run((const xtml_resize_nearest_params_t *)node->params,
                       xtml_node_in(ctx, node, 0), xtml_node_out(ctx, node, 0));
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_resize_nearest_neighbor = {
    "RESIZE_NEAREST_NEIGHBOR", resize_nearest_prepare, resize_nearest_eval
};
