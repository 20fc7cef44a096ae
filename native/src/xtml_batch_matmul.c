/*
 * xtml_batch_matmul.c - BATCH_MATMUL (float32, int8, int16): out = x @ y per
 * batch, x transposed when adj_x, y when adj_y, batch dims broadcast.
 *
 * float32 sums each output's products in increasing k from 0.0f, as TFLM's
 * reference does. int8 accumulates (x - zp_x)(y - zp_y) in int32, int16 in
 * int64 (zero points 0), then requantizes by scale_x * scale_y / scale_out.
 */
#include "xtml_internal.h"

#define BMM_MAX_BATCH 3   /* rank <= 5 */

typedef struct xtml_batch_matmul_params {
    int32_t n_batch;                    /* output batch dims */
    int32_t out_batch[BMM_MAX_BATCH];
    int32_t x_stride[BMM_MAX_BATCH];    /* matrices per step, 0 where broadcast */
    int32_t y_stride[BMM_MAX_BATCH];
    int32_t m, k, n;
    int32_t x_zero_point, y_zero_point, out_zero_point;
    int32_t multiplier;
    int32_t shift;
    uint8_t type;
    uint8_t adj_x, adj_y;
} xtml_batch_matmul_params_t;

static xtml_status_t batch_matmul_prepare(xtml_prep_t *p) {
    xtml_tinfo_t x, y, out;
    xtml_fb_table_t opts;
    xtml_batch_matmul_params_t k;
    xtml_batch_matmul_params_t *mem;
    int32_t rank, i, xd[5], yd[5], xs = 1, ys = 1, kx, ky;
    xtml_status_t st;
    if (xtml_prep_n_inputs(p) != 2 || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected 2 and 1",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    st = xtml_prep_options(p, XTML_OPTS_BATCH_MATMUL, &opts);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    memset(&k, 0, sizeof k);
    k.adj_x = xtml_fb_bool(&opts, 0, false) ? 1 : 0;
    k.adj_y = xtml_fb_bool(&opts, 1, false) ? 1 : 0;
    xtml_prep_input(p, 0, &x);
    xtml_prep_input(p, 1, &y);
    xtml_prep_output(p, 0, &out);
    if (y.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "input 1 is required");
    }
    if (x.type != XTML_DTYPE_FLOAT32 && x.type != XTML_DTYPE_INT8 && x.type != XTML_DTYPE_INT16) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "input 0 '%s' is %s, expected float32, int8 or int16",
                              x.name, xtml_dtype_name(x.type));
    }
    st = xtml_prep_expect_type(p, &y, "input 1", x.type);
    if (st == XTML_STATUS_OK) {
        st = xtml_prep_expect_type(p, &out, "output tensor", x.type);
    }
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (x.ndim < 2 || x.ndim > 5 || y.ndim < 2 || y.ndim > 5) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "inputs must have rank 2 to 5");
    }
    rank = x.ndim > y.ndim ? x.ndim : y.ndim;
    for (i = 0; i < rank; ++i) {
        xd[i] = i < rank - x.ndim ? 1 : x.dims[i - (rank - x.ndim)];
        yd[i] = i < rank - y.ndim ? 1 : y.dims[i - (rank - y.ndim)];
    }
    k.m = k.adj_x ? xd[rank - 1] : xd[rank - 2];
    kx = k.adj_x ? xd[rank - 2] : xd[rank - 1];
    ky = k.adj_y ? yd[rank - 1] : yd[rank - 2];
    k.n = k.adj_y ? yd[rank - 2] : yd[rank - 1];
    k.k = kx;
    if (kx != ky) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "inner dimensions %d and %d differ", (int)kx, (int)ky);
    }
    if (out.ndim != rank || out.dims[rank - 2] != k.m || out.dims[rank - 1] != k.n) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "output 0 '%s' is not [..., %d, %d]", out.name,
                              (int)k.m, (int)k.n);
    }
    k.n_batch = rank - 2;
    for (i = k.n_batch - 1; i >= 0; --i) {
        int32_t b = xd[i] == 1 ? yd[i] : xd[i];
        if ((xd[i] != b && xd[i] != 1) || (yd[i] != b && yd[i] != 1) || out.dims[i] != b) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "batch dimension %d does not broadcast", (int)i);
        }
        k.out_batch[i] = b;
        k.x_stride[i] = xd[i] == 1 ? 0 : xs;
        k.y_stride[i] = yd[i] == 1 ? 0 : ys;
        xs *= xd[i];
        ys *= yd[i];
    }
    k.type = (uint8_t)x.type;
    if (x.type != XTML_DTYPE_FLOAT32) {
        int shift;
        if ((st = xtml_prep_expect_quantized(p, &x, "input 0")) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_quantized(p, &y, "input 1")) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_quantized(p, &out, "output tensor")) != XTML_STATUS_OK) {
            return st;
        }
        if (x.type == XTML_DTYPE_INT16 && (x.zero_point != 0 || y.zero_point != 0 || out.zero_point != 0)) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "int16 BATCH_MATMUL needs zero points 0");
        }
        xtml_quantize_f32_mul_div(x.scale, y.scale, out.scale, &k.multiplier, &shift);
        /* int16 requantizes its int64 sums with a right shift of 15 - shift
         * (TFLM's 64-bit MultiplyByQuantizedMultiplier), which must stay positive */
        if (shift < -31 || shift > (x.type == XTML_DTYPE_INT16 ? 14 : 30)) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "the requantization scale is out of range");
        }
        k.shift = shift;
        k.x_zero_point = x.zero_point;
        k.y_zero_point = y.zero_point;
        k.out_zero_point = out.zero_point;
    }
    xtml_prep_set_macs(p, (uint64_t)out.count * (uint64_t)k.k);
    mem = (xtml_batch_matmul_params_t *)XTML_PREP_PERSIST(p, xtml_batch_matmul_params_t, 0);
    if (mem == NULL) {
        return XTML_STATUS_OK;
    }
    *mem = k;
    return XTML_STATUS_OK;
}

/* Element (r, c) of a [rows, cols] matrix stored transposed or not. */
static size_t at(int32_t r, int32_t c, int32_t rows, int32_t cols, bool transposed) {
    return transposed ? (size_t)c * (size_t)rows + (size_t)r : (size_t)r * (size_t)cols + (size_t)c;
}

static xtml_status_t batch_matmul_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const xtml_batch_matmul_params_t *k = (const xtml_batch_matmul_params_t *)node->params;
    const uint8_t *xin = (const uint8_t *)xtml_node_in(ctx, node, 0);
    const uint8_t *yin = (const uint8_t *)xtml_node_in(ctx, node, 1);
    uint8_t *out = (uint8_t *)xtml_node_out(ctx, node, 0);
    const size_t es = k->type == XTML_DTYPE_FLOAT32 ? 4u : (k->type == XTML_DTYPE_INT16 ? 2u : 1u);
    const size_t xmat = (size_t)k->m * (size_t)k->k, ymat = (size_t)k->k * (size_t)k->n;
    int32_t idx[BMM_MAX_BATCH] = { 0, 0, 0 };
    int32_t total = 1, bi, i, j, t, a;
    for (a = 0; a < k->n_batch; ++a) {
        total *= k->out_batch[a];
    }
    for (bi = 0; bi < total; ++bi) {
        size_t xo = 0, yo = 0;
        for (a = 0; a < k->n_batch; ++a) {
            xo += (size_t)idx[a] * (size_t)k->x_stride[a];
            yo += (size_t)idx[a] * (size_t)k->y_stride[a];
        }
        {
            const uint8_t *xm = xin + xo * xmat * es, *ym = yin + yo * ymat * es;
            for (i = 0; i < k->m; ++i) {
                for (j = 0; j < k->n; ++j) {
                    const size_t o = ((size_t)bi * (size_t)k->m + (size_t)i) * (size_t)k->n + (size_t)j;
                    if (k->type == XTML_DTYPE_FLOAT32) {
                        const float *xf = (const float *)(const void *)xm, *yf = (const float *)(const void *)ym;
                        float acc = 0.0f;
                        for (t = 0; t < k->k; ++t) {
                            acc = acc + xf[at(i, t, k->m, k->k, k->adj_x != 0)] * yf[at(t, j, k->k, k->n, k->adj_y != 0)];
                        }
                        ((float *)(void *)out)[o] = acc;
                    } else if (k->type == XTML_DTYPE_INT8) {
                        const int8_t *xq = (const int8_t *)xm, *yq = (const int8_t *)ym;
                        uint32_t acc = 0;
                        int32_t v;
                        for (t = 0; t < k->k; ++t) {
                            acc += (uint32_t)(((int32_t)xq[at(i, t, k->m, k->k, k->adj_x != 0)] - k->x_zero_point) *
                                              ((int32_t)yq[at(t, j, k->k, k->n, k->adj_y != 0)] - k->y_zero_point));
                        }
                        v = xtml_mul_by_quantized_multiplier(acc <= (uint32_t)INT32_MAX ? (int32_t)acc : -(int32_t)(~acc) - 1,
                                                         k->multiplier, (int)k->shift);
                        v = xtml_add_wrap(v, k->out_zero_point);
                        ((int8_t *)out)[o] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
                    } else {
                        const int16_t *xq = (const int16_t *)(const void *)xm, *yq = (const int16_t *)(const void *)ym;
                        int64_t acc = 0;
                        int32_t v;
                        for (t = 0; t < k->k; ++t) {
                            acc += (int64_t)xq[at(i, t, k->m, k->k, k->adj_x != 0)] * yq[at(t, j, k->k, k->n, k->adj_y != 0)];
                        }
                        v = xtml_mul_by_quantized_multiplier_64(acc, k->multiplier, (int)k->shift);
                        ((int16_t *)(void *)out)[o] = (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
                    }
                }
            }
        }
        for (a = k->n_batch - 1; a >= 0; --a) {
            if (++idx[a] < k->out_batch[a]) {
                break;
            }
            idx[a] = 0;
        }
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_batch_matmul = { "BATCH_MATMUL", batch_matmul_prepare, batch_matmul_eval };
