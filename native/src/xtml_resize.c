/*
 * xtml_resize.c - RESIZE_BILINEAR (float32, int8), NHWC, to a constant size.
 *
 * As TFLM's reference: float32 interpolates in float with each product and
 * sum rounded in TFLM's order (and a final + 0.0f); int8 works in 10-bit
 * fixed point, the four weighted corners summed in int64 and rounded half
 * away from zero by 2^20. With half_pixel_centers a source coordinate below
 * zero keeps its (negative) fraction while its lower index is clamped to 0,
 * as TFLM computes it.
 */
#include "xtml_internal.h"

typedef struct xtml_resize_bilinear_params {
    int32_t batch, in_h, in_w, depth, out_h, out_w;
    float scale_h, scale_w;          /* float32 */
    int32_t scale_h10, scale_w10;    /* int8: scales in 1/1024 */
    uint8_t half_pixel;
    uint8_t is_int8;
} xtml_resize_bilinear_params_t;

/* floor and ceil of a float small enough for int32, without libm. */
static int32_t floor_i32(float v) {
    int32_t t = (int32_t)v;
    return (float)t > v ? t - 1 : t;
}
static int32_t ceil_i32(float v) {
    int32_t t = (int32_t)v;
    return (float)t < v ? t + 1 : t;
}

static void source_f32(int32_t i, float scale, bool half, int32_t n, float *at, int32_t *lo, int32_t *hi) {
    *at = half ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    *lo = floor_i32(*at);
    *lo = *lo < 0 ? 0 : (*lo > n - 1 ? n - 1 : *lo);  /* TFLM clamps below only */
    *hi = ceil_i32(*at);
    *hi = *hi > n - 1 ? n - 1 : *hi;
}

static void source_q10(int32_t i, int32_t scale10, bool half, int32_t n, int32_t *at, int32_t *lo, int32_t *hi) {
    *at = half ? i * scale10 + scale10 / 2 - (1 << 9) : i * scale10;
    *lo = *at / (1 << 10);
    *lo = *lo < 0 ? 0 : (*lo > n - 1 ? n - 1 : *lo);
    *hi = (*at + (1 << 10) - 1) / (1 << 10);
    *hi = *hi > n - 1 ? n - 1 : *hi;
}

static void resize_f32(const xtml_resize_bilinear_params_t *k, const float *in, float *out) {
    const int32_t c = k->depth;
    int32_t b, y, x, d;
    for (b = 0; b < k->batch; ++b) {
        const float *img = in + (size_t)b * (size_t)k->in_h * (size_t)k->in_w * (size_t)c;
        for (y = 0; y < k->out_h; ++y) {
            float fy;
            int32_t y0, y1;
            source_f32(y, k->scale_h, k->half_pixel != 0, k->in_h, &fy, &y0, &y1);
            for (x = 0; x < k->out_w; ++x) {
                float fx;
                int32_t x0, x1;
                const float *p00, *p10, *p01, *p11;
                source_f32(x, k->scale_w, k->half_pixel != 0, k->in_w, &fx, &x0, &x1);
                p00 = img + ((size_t)y0 * (size_t)k->in_w + (size_t)x0) * (size_t)c;
                p10 = img + ((size_t)y1 * (size_t)k->in_w + (size_t)x0) * (size_t)c;
                p01 = img + ((size_t)y0 * (size_t)k->in_w + (size_t)x1) * (size_t)c;
                p11 = img + ((size_t)y1 * (size_t)k->in_w + (size_t)x1) * (size_t)c;
                for (d = 0; d < c; ++d) {
                    const float dy = fy - (float)y0, dx = fx - (float)x0;
                    float v = p00[d] * (1.0f - dy) * (1.0f - dx);
                    v = v + p10[d] * dy * (1.0f - dx);
                    v = v + p01[d] * (1.0f - dy) * dx;
                    v = v + p11[d] * dy * dx;
                    *out++ = v + 0.0f;
                }
            }
        }
    }
}

static void resize_s8(const xtml_resize_bilinear_params_t *k, const int8_t *in, int8_t *out) {
    const int32_t c = k->depth;
    int32_t b, y, x, d;
    for (b = 0; b < k->batch; ++b) {
        const int8_t *img = in + (size_t)b * (size_t)k->in_h * (size_t)k->in_w * (size_t)c;
        for (y = 0; y < k->out_h; ++y) {
            int32_t fy, y0, y1;
            source_q10(y, k->scale_h10, k->half_pixel != 0, k->in_h, &fy, &y0, &y1);
            for (x = 0; x < k->out_w; ++x) {
                int32_t fx, x0, x1;
                int64_t wy1, wy0, wx1, wx0;
                const int8_t *p00, *p10, *p01, *p11;
                source_q10(x, k->scale_w10, k->half_pixel != 0, k->in_w, &fx, &x0, &x1);
                wy1 = fy - (1 << 10) * y0;
                wy0 = (1 << 10) - wy1;
                wx1 = fx - (1 << 10) * x0;
                wx0 = (1 << 10) - wx1;
                p00 = img + ((size_t)y0 * (size_t)k->in_w + (size_t)x0) * (size_t)c;
                p10 = img + ((size_t)y1 * (size_t)k->in_w + (size_t)x0) * (size_t)c;
                p01 = img + ((size_t)y0 * (size_t)k->in_w + (size_t)x1) * (size_t)c;
                p11 = img + ((size_t)y1 * (size_t)k->in_w + (size_t)x1) * (size_t)c;
                for (d = 0; d < c; ++d) {
                    int64_t v = p00[d] * wy0 * wx0 + p10[d] * wy1 * wx0 + p01[d] * wy0 * wx1 + p11[d] * wy1 * wx1;
                    v = (v + (v > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20);
                    /* a convex combination: within int8; wrapped like TFLM's cast otherwise */
                    *out++ = (int8_t)((int32_t)(v & 0xff) - ((v & 0x80) != 0 ? 256 : 0));
                }
            }
        }
    }
}

static xtml_status_t resize_bilinear_prepare(xtml_prep_t *p) {
    xtml_tinfo_t in, size, out;
    xtml_fb_table_t opts;
    xtml_resize_bilinear_params_t k;
    xtml_resize_bilinear_params_t *mem;
    bool align;
    xtml_status_t st;
    if (xtml_prep_n_inputs(p) != 2 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected 2 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    st = xtml_prep_options(p, XTML_OPTS_RESIZE_BILINEAR, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&k, 0, sizeof k);
    align = xtml_fb_bool(&opts, 2, false);
    k.half_pixel = xtml_fb_bool(&opts, 3, false) ? 1 : 0;
    if (align && k.half_pixel) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS,
                              "align_corners and half_pixel_centers cannot both be set");
    }
    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &size);
    xtml_prep_output(p, 0, &out);
    if (in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT8) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input 0 '%s' is %s, expected float32 or int8",
                              in.name, xtml_dtype_name(in.type));
    }
    st = xtml_prep_expect_type(p, &out, "output tensor", in.type);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (size.index < 0 || size.type != XTML_DTYPE_INT32 || size.ndim != 1 || size.count != 2) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "size must be two int32 values");
    }
    if (!size.is_const || size.data == NULL) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "size '%s' is not constant; only a constant size is supported", size.name);
    }
    if (in.ndim != 4 || out.ndim != 4) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "input and output must have rank 4");
    }
    k.out_h = xtml_ld_i32((const uint8_t *)size.data);
    k.out_w = xtml_ld_i32((const uint8_t *)size.data + 4);
    if (out.dims[0] != in.dims[0] || out.dims[1] != k.out_h || out.dims[2] != k.out_w ||
        out.dims[3] != in.dims[3]) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output 0 '%s' must be input 0 '%s' resized to size '%s'", out.name,
                              in.name, size.name);
    }
    /* 2^10 * size must fit int32, and so must the scaled coordinates */
    if (in.count < 1 || in.dims[1] > 65535 || in.dims[2] > 65535 || k.out_h > 65535 || k.out_w > 65535) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "sizes above 65535 are not supported");
    }
    k.batch = in.dims[0];
    k.in_h = in.dims[1];
    k.in_w = in.dims[2];
    k.depth = in.dims[3];
    k.is_int8 = in.type == XTML_DTYPE_INT8;
    if (out.count > 0) {
        k.scale_h = (float)k.in_h / (float)k.out_h;
        k.scale_w = (float)k.in_w / (float)k.out_w;
        k.scale_h10 = ((1 << 10) * k.in_h + k.out_h / 2) / k.out_h;
        k.scale_w10 = ((1 << 10) * k.in_w + k.out_w / 2) / k.out_w;
        if (align && k.out_h > 1) {
            k.scale_h = (float)(k.in_h - 1) / (float)(k.out_h - 1);
            k.scale_h10 = ((1 << 10) * (k.in_h - 1) + (k.out_h - 1) / 2) / (k.out_h - 1);
        }
        if (align && k.out_w > 1) {
            k.scale_w = (float)(k.in_w - 1) / (float)(k.out_w - 1);
            k.scale_w10 = ((1 << 10) * (k.in_w - 1) + (k.out_w - 1) / 2) / (k.out_w - 1);
        }
    }
    xtml_prep_set_macs(p, (uint64_t)out.count * 4u);
    mem = (xtml_resize_bilinear_params_t *)XTML_PREP_PERSIST(p, xtml_resize_bilinear_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

static xtml_status_t resize_bilinear_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_resize_bilinear_params_t *k = (const xtml_resize_bilinear_params_t *)node->params;
    if (k->is_int8) {
        resize_s8(k, (const int8_t *)xtml_node_in(ctx, node, 0), (int8_t *)xtml_node_out(ctx, node, 0));
    } else {
        resize_f32(k, (const float *)xtml_node_in(ctx, node, 0), (float *)xtml_node_out(ctx, node, 0));
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_resize_bilinear = { "RESIZE_BILINEAR", resize_bilinear_prepare,
                                                    resize_bilinear_eval };
