/*
 * xtml_fully_connected.c - FULLY_CONNECTED, int8 (per-channel or per-tensor int8
 * weights, optional int32 bias), 16x8 and float32, bit-exact with TFLM's reference
 * kernels: prepare, eval, and the int8 reference kernel.
 *
 * The input is read as [batches][depth] whatever its rank (depth = the
 * weights' second dimension), the output as [batches][units]; keep_num_dims
 * only changes the output's shape, which we check against that count.
 *
 * int8: TFLM sums (w + weights_offset) * (x + input_offset) plus the bias in
 * a wrapping int32 (weights_offset only for per-tensor weights; its
 * per-channel kernel ignores weight zero points, so we require them to be 0
 * there). The reference kernel below does exactly that; the fast kernel this
 * build selects (xtml_kernels_s8.h) gets the same sums another way.
 *
 * INT4 weights (int8 input, per-tensor only, as TFLM) are unpacked to int8
 * into the node's scratch at every invoke, then run as int8 weights.
 *
 * 16x8 (int16 input and output, int8 weights) is the same sum with TFLM's
 * zero-point offsets, in int64 with an int64 bias (or none) and requantized
 * by TFLM's 64-bit MultiplyByQuantizedMultiplier (shift at most 7, where TFLM
 * asserts), or in a wrapping int32 with an int32 bias (or none and
 * quantized_bias_type INT32), requantized like int8.
 *
 * float32 keeps TFLM's order: products rounded to float and summed from 0.0f
 * in depth order, then + bias, then the clamp.
 *
 * FULLY_CONNECTED_INT8's kernel (xtml.h, XTML_OPERATOR_TYPES) is the same
 * prepare and eval compiled for int8 alone.
 */
#include <float.h>

#include "xtml_internal.h"
#include "xtml_kernels_s8.h"

/* ---- kernels ---- */

void xtml_fc_s8_ref(const fc_s8_params_t *p, const int8_t *input, const int8_t *weights,
                    const int32_t *bias, int8_t *output) {
    int32_t b, u, d;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)p->depth;
        for (u = 0; u < p->units; ++u) {
            const int8_t *w = weights + (size_t)u * (size_t)p->depth;
            const int32_t ch = u * p->channel_step;
            uint32_t acc = 0;
            int32_t v;
            for (d = 0; d < p->depth; ++d) {
                acc += (uint32_t)((w[d] + p->weights_offset) * (x[d] + p->input_offset));
            }
            if (bias != NULL) {
                acc += (uint32_t)bias[u];
            }
            v = xtml_mul_by_quantized_multiplier((int32_t)acc, p->rq.multiplier[ch],
                                                 p->rq.shift[ch]);
            *output++ = xtml_clamp_s8(xtml_add_wrap(v, p->rq.output_offset), p->rq.act_min,
                                      p->rq.act_max);
        }
    }
}

/* 16x8: acc64 selects int64 sums, bias and requantization. */
static void fc_s16(const fc_s8_params_t *p, bool acc64, const int16_t *input, const int8_t *weights,
                   const void *bias, int16_t *output) {
    int32_t b, u, d;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *x = input + (size_t)b * (size_t)p->depth;
        for (u = 0; u < p->units; ++u) {
            const int8_t *w = weights + (size_t)u * (size_t)p->depth;
            const int32_t ch = u * p->channel_step;
            uint64_t acc = 0;   /* modulo 2^64; its low half is the int32 sum */
            int32_t v;
            for (d = 0; d < p->depth; ++d) {
                acc += (uint64_t)(int64_t)((w[d] + p->weights_offset) * (x[d] + p->input_offset));
            }
            if (acc64) {
                if (bias != NULL) {
                    acc += (uint64_t)xtml_ld_i64((const uint8_t *)bias + 8 * (size_t)u);
                }
                v = xtml_mul_by_quantized_multiplier_64((int64_t)acc, p->rq.multiplier[ch],
                                                        p->rq.shift[ch]);
            } else {
                if (bias != NULL) {
                    acc += (uint64_t)(int64_t)((const int32_t *)bias)[u];
                }
                v = xtml_mul_by_quantized_multiplier((int32_t)(uint32_t)acc, p->rq.multiplier[ch],
                                                     p->rq.shift[ch]);
            }
            *output++ = xtml_clamp_s16(xtml_add_wrap(v, p->rq.output_offset), p->rq.act_min,
                                       p->rq.act_max);
        }
    }
}

typedef struct fc_f32_params {
    int32_t batches, depth, units;
    float act_min, act_max;
} fc_f32_params_t;

static void fc_f32(const fc_f32_params_t *p, const float *input, const float *weights,
                   const float *bias, float *output) {
    int32_t b, u, d;
    for (b = 0; b < p->batches; ++b) {
        const float *x = input + (size_t)b * (size_t)p->depth;
        const float *w = weights;
        for (u = 0; u < p->units; ++u) {
            float total = 0.0f;
            for (d = 0; d < p->depth; ++d) {
                total += (float)(x[d] * w[d]);
            }
            *output++ = xtml_clamp_f32(total + (bias != NULL ? bias[u] : 0.0f), p->act_min,
                                  p->act_max);
            w += p->depth;
        }
    }
}

/* ---- prepare ---- */

typedef struct fc_node {
    bool is_float;
    int32_t int4_count;   /* INT4 weights, unpacked into the scratch at every invoke; 0: int8 or float */
    bool is_s16;
    bool acc64;   /* 16x8 with int64 sums */
    union {
        fc_s8_params_t s8;
        fc_f32_params_t f32;
    } k;
} fc_node_t;

/* FullyConnectedOptions fields. */
enum { FC_OPT_ACTIVATION = 0, FC_OPT_WEIGHTS_FORMAT = 1, FC_OPT_QUANTIZED_BIAS_TYPE = 4 };

/*
 * Q31 multiplier and shift of unit u as TFLM computes them: per channel
 * (double)in * (double)w / (double)out, per tensor the float product
 * in * w widened, over (double)out. False when out of range.
 */
static bool fc_multiplier(const xtml_tinfo_t *in, const xtml_tinfo_t *w, const xtml_tinfo_t *out,
                          int32_t u, int32_t *multiplier, int32_t *shift) {
    int s = 0;
    if (w->n_scales > 1) {
        xtml_quantize_f32_mul_div(in->scale, xtml_tinfo_scale(w, u), out->scale, multiplier, &s);
    } else {
        /* volatile: rounded to float even where the FPU keeps more (x87) */
        volatile float product = in->scale * w->scale;
        xtml_quantize_f32_div(product, out->scale, multiplier, &s);
    }
    *shift = s;
    return s <= 30;
}

/* max_shift: 30, or 7 for TFLM's 64-bit requantization. */
static inline XTML_ALWAYS_INLINE xtml_status_t fc_check_quant(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *w,
                                    const xtml_tinfo_t *bias, const xtml_tinfo_t *out,
                                    int32_t units, int max_shift, bool s16) {
    xtml_status_t st;
    int32_t i, m, s;
    if (s16) {
        if ((st = xtml_prep_expect_quantized(p, in, "input")) != XTML_STATUS_OK ||
            (st = xtml_prep_expect_quantized(p, out, "output")) != XTML_STATUS_OK) {
            return st;
        }
        /* TFLM's 16x8 FULLY_CONNECTED applies zero points; they must fit int16. */
        if (in->zero_point < -32768 || in->zero_point > 32767 || out->zero_point < -32768 ||
            out->zero_point > 32767) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "zero points %" PRId32 " (input) and %" PRId32 " (output) must fit int16",
                                  in->zero_point, out->zero_point);
        }
    } else if ((st = xtml_prep_expect_s8_io(p, in, out)) != XTML_STATUS_OK) {
        return st;
    }
    if (w->n_scales != 1 && w->n_scales != units) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "weights '%s' have %" PRId32 " scales for %" PRId32 " units", w->name, w->n_scales,
                              units);
    }
    for (i = 0; i < w->n_scales; ++i) {
        float scale = xtml_tinfo_scale(w, i);
        if (!xtml_f32_is_positive_finite(scale)) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "weights '%s' scale %s at unit %" PRId32 "", w->name, XTML_F32(scale), i);
        }
    }
    if (w->n_scales > 1) {
        if (w->quant_dim != 0) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "weights '%s' are quantized along dimension %" PRId32 ", expected 0",
                                  w->name, w->quant_dim);
        }
        /* TFLM's per-channel kernel ignores weight zero points; refuse models that need them. */
        for (i = 0; i < w->n_zero_points; ++i) {
            if (xtml_tinfo_zero_point(w, i) != 0) {
                return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                      "weights '%s' zero point %" PRId32 " at unit %" PRId32 ", per-channel int8 "
                                      "weights must be symmetric", w->name,
                                      xtml_tinfo_zero_point(w, i), i);
            }
        }
    } else {
        if (w->zero_point < -128 || w->zero_point > 127) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "weights '%s' zero point %" PRId32 " must fit int8", w->name,
                                  w->zero_point);
        }
        /* TFLM's per-tensor check that the bias scale is input scale x weights scale. */
        if (bias->index >= 0 && !xtml_bias_scale_matches(in->scale, w->scale, bias->scale, out->scale)) {
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "bias '%s' scale %s is not input x weights scale %s x %s", bias->name,
                                  XTML_F32(bias->scale), XTML_F32(in->scale), XTML_F32(w->scale));
        }
    }
    for (i = 0; i < w->n_scales; ++i) {
        bool fits = w->n_scales > 1 ? xtml_quantize_shift_at_most(in->scale, xtml_tinfo_scale(w, i), out->scale, max_shift)
                                    : fc_multiplier(in, w, out, i, &m, &s) && s <= max_shift;
        if (!fits) {
            fc_multiplier(in, w, out, i, &m, &s);
            return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                                  "requantization scale of unit %" PRId32 " too large (shift %" PRId32 ")", i, s);
        }
    }
    return XTML_STATUS_OK;
}

static void fc_float_range(int32_t act, float *lo, float *hi) {
    /* TFLM clamps to the finite float range even without an activation. */
    *lo = -FLT_MAX;
    *hi = FLT_MAX;
    if (act == XTML_ACT_RELU) {
        *lo = 0.0f;
    } else if (act == XTML_ACT_RELU6) {
        *lo = 0.0f;
        *hi = 6.0f;
    } else if (act == XTML_ACT_RELU_N1_TO_1) {
        *lo = -1.0f;
        *hi = 1.0f;
    }
}

/* The prepare and eval bodies take the types they handle (XTML_KTYPE_*):
 * all of them for FULLY_CONNECTED, int8 only for FULLY_CONNECTED_INT8. */
static inline XTML_ALWAYS_INLINE xtml_status_t fc_prepare_types(xtml_prep_t *p, unsigned types) {
    xtml_fb_table_t opts;
    xtml_tinfo_t in, w, bias, out;
    fc_node_t *node;
    xtml_status_t st;
    int n_in = xtml_prep_n_inputs(p);
    int32_t act, format, units, depth, batches, n_mult, i;
    bool is_float, has_bias, int4, is_s16 = false, acc64 = false;

    if ((n_in != 2 && n_in != 3) || xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "FULLY_CONNECTED takes 2 or 3 inputs and 1 output, has %d and %d",
                              n_in, xtml_prep_n_outputs(p));
    }
    if ((st = xtml_prep_options(p, XTML_OPTS_FULLY_CONNECTED, &opts)) != XTML_STATUS_OK) {
        return st;
    }
    act = xtml_fb_i8(&opts, FC_OPT_ACTIVATION, 0);
    format = xtml_fb_i8(&opts, FC_OPT_WEIGHTS_FORMAT, 0);
    /* TFLM silently ignores TANH and SIGN_BIT here; refuse rather than compute them wrongly. */
    if (act != XTML_ACT_NONE && act != XTML_ACT_RELU && act != XTML_ACT_RELU_N1_TO_1 &&
        act != XTML_ACT_RELU6) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "fused activation %" PRId32 " not supported", act);
    }
    if (format != 0) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "weights format %" PRId32 " not supported (only DEFAULT)", format);
    }

    xtml_prep_input(p, 0, &in);
    xtml_prep_input(p, 1, &w);
    xtml_prep_output(p, 0, &out);
    bias.index = -1;
    if (n_in == 3) {
        xtml_prep_input(p, 2, &bias);
    }
    has_bias = bias.index >= 0;
    if (in.index < 0 || w.index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "FULLY_CONNECTED input or weights "
                              "missing");
    }

    if (types == XTML_KTYPE_S8 && !xtml_prep_int8_weighted(p)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input '%s' is %s, weights %s: the table's entry FULLY_CONNECTED_INT8 runs int8 only; "
                              "these types need XTML_OP(FULLY_CONNECTED)", in.name, xtml_dtype_name(in.type),
                              xtml_dtype_name(w.type));
    }
    if (in.type != XTML_DTYPE_INT8 && in.type != XTML_DTYPE_FLOAT32 && in.type != XTML_DTYPE_INT16) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "input '%s' has type %d, expected int8, int16 or float32", in.name,
                              (int)in.type);
    }
    is_float = (types & XTML_KTYPE_F32) != 0 && in.type == XTML_DTYPE_FLOAT32;
    /* int8 input: int8 or INT4 (packed, per-tensor) weights, as TFLM */
    int4 = (types & XTML_KTYPE_INT4) != 0 && in.type == XTML_DTYPE_INT8 && w.type == XTML_DTYPE_INT4;
    if (int4 && (!w.is_const || w.n_scales > 1)) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_CONFIG, "int4 weights '%s' must be constant and per-tensor",
                              w.name);
    }
    is_s16 = (types & XTML_KTYPE_S16) != 0 && in.type == XTML_DTYPE_INT16;
    if ((!int4 && (st = xtml_prep_expect_type(p, &w, "weights", is_s16 ? XTML_DTYPE_INT8 : in.type)) !=
                      XTML_STATUS_OK) ||
        (st = xtml_prep_expect_type(p, &out, "output", in.type)) != XTML_STATUS_OK) {
        return st;
    }
    if (is_s16) {
        acc64 = has_bias ? bias.type == XTML_DTYPE_INT64
                         : xtml_fb_i8(&opts, FC_OPT_QUANTIZED_BIAS_TYPE, 0) != XTML_DTYPE_INT32;
        if (has_bias && bias.type != XTML_DTYPE_INT64 && bias.type != XTML_DTYPE_INT32) {
            return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                                  "bias '%s' is %s, expected int64 or int32 for int16 input",
                                  bias.name, xtml_dtype_name(bias.type));
        }
    } else if (has_bias && (st = xtml_prep_expect_type(p, &bias, "bias", is_float ? XTML_DTYPE_FLOAT32
                                                                           : XTML_DTYPE_INT32)) !=
                        XTML_STATUS_OK) {
        return st;
    }

    if (w.ndim != 2 || w.dims[0] <= 0 || w.dims[1] <= 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "weights '%s' must be a non-empty matrix, have rank %" PRId32 "", w.name,
                              w.ndim);
    }
    units = w.dims[0];
    depth = w.dims[1];
    if (in.count <= 0 || in.count % depth != 0) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "input '%s' has %" PRId32 " elements, not a multiple of depth %" PRId32 "", in.name,
                              in.count, depth);
    }
    batches = in.count / depth;
    if (out.ndim < 1 || out.dims[out.ndim - 1] != units ||
        (int64_t)out.count != (int64_t)batches * units) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "output '%s' has %" PRId32 " elements (last dimension %" PRId32 "), expected %" PRId32 " "
                              "batches x %" PRId32 " units", out.name, out.count,
                              out.ndim > 0 ? out.dims[out.ndim - 1] : 0, batches, units);
    }
    if (has_bias && bias.count != units) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "bias '%s' has %" PRId32 " elements for %" PRId32 " units", bias.name, bias.count,
                              units);
    }
    if (!is_float && (st = fc_check_quant(p, &in, &w, &bias, &out, units, acc64 ? 7 : 30, is_s16)) !=
                         XTML_STATUS_OK) {
        return st;
    }

    n_mult = is_float ? 0 : w.n_scales;
    xtml_prep_set_macs(p, (uint64_t)batches * (uint64_t)units * (uint64_t)depth);
    if (int4) {
        xtml_prep_scratch(p, (size_t)w.count);
    }

    /* Persistent: node, then int8 multipliers and shifts. */
    node = (fc_node_t *)XTML_PREP_PERSIST(p, fc_node_t, (size_t)n_mult * (sizeof(int32_t) + 1u));
    if (node == NULL) {
        return XTML_STATUS_OK;
    }
    node->is_float = is_float;
    node->int4_count = int4 ? w.count : 0;
    node->is_s16 = is_s16;
    node->acc64 = acc64;
    if (is_float) {
        fc_f32_params_t *f = &node->k.f32;
        f->batches = batches;
        f->depth = depth;
        f->units = units;
        fc_float_range(act, &f->act_min, &f->act_max);
        return XTML_STATUS_OK;
    }
    {
        fc_s8_params_t *s = &node->k.s8;
        int32_t *multiplier = (int32_t *)(void *)(node + 1);
        int8_t *shift = (int8_t *)(void *)(multiplier + n_mult);
        for (i = 0; i < n_mult; ++i) {
            int32_t sh;
            fc_multiplier(&in, &w, &out, i, &multiplier[i], &sh);
            shift[i] = (int8_t)sh;
        }
        s->batches = batches;
        s->depth = depth;
        s->units = units;
        s->input_offset = -in.zero_point;
        s->weights_offset = n_mult > 1 ? 0 : -w.zero_point;
        s->rq.output_offset = out.zero_point;
        xtml_activation_range_quantized(act, out.scale, out.zero_point, is_s16 ? -32768 : -128,
                                        is_s16 ? 32767 : 127, &s->rq.act_min, &s->rq.act_max);
        s->rq.multiplier = multiplier;
        s->rq.shift = shift;
        s->channel_step = n_mult > 1 ? 1 : 0;
    }
    return XTML_STATUS_OK;
}

static xtml_status_t fc_prepare(xtml_prep_t *p) {
    return fc_prepare_types(p, XTML_KTYPES_ALL);
}

static xtml_status_t fc_prepare_s8(xtml_prep_t *p) {
    return fc_prepare_types(p, XTML_KTYPE_S8);
}

/* ---- eval ---- */

static inline XTML_ALWAYS_INLINE xtml_status_t fc_eval_types(xtml_ctx_t *ctx, const xtml_node_t *node, unsigned types) {
    const fc_node_t *n = (const fc_node_t *)node->params;
    const void *input = xtml_node_in(ctx, node, 0);
    const void *weights = xtml_node_in(ctx, node, 1);
    const void *bias = node->n_inputs > 2 ? xtml_node_in(ctx, node, 2) : NULL;
    void *output = xtml_node_out(ctx, node, 0);
    if ((types & XTML_KTYPE_INT4) != 0 && n->int4_count > 0) {
        xtml_unpack_int4((const uint8_t *)weights, n->int4_count, (int8_t *)node->scratch);
        weights = node->scratch;
    }
    if ((types & XTML_KTYPE_S16) != 0 && n->is_s16) {
        fc_s16(&n->k.s8, n->acc64, (const int16_t *)input, (const int8_t *)weights, bias,
               (int16_t *)output);
    } else if ((types & XTML_KTYPE_F32) != 0 && n->is_float) {
        fc_f32(&n->k.f32, (const float *)input, (const float *)weights, (const float *)bias,
               (float *)output);
    } else {
#if XTML_FAST_KERNELS
        xtml_fc_s8_fast(&n->k.s8, (const int8_t *)input, (const int8_t *)weights,
                        (const int32_t *)bias, (int8_t *)output);
#else
        xtml_fc_s8_ref(&n->k.s8, (const int8_t *)input, (const int8_t *)weights,
                       (const int32_t *)bias, (int8_t *)output);
#endif
    }
    return XTML_STATUS_OK;
}

static xtml_status_t fc_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return fc_eval_types(ctx, node, XTML_KTYPES_ALL);
}

/* A node the int8 prepare made is always int8. */
static xtml_status_t fc_eval_s8(xtml_ctx_t *ctx, const xtml_node_t *node) {
    return fc_eval_types(ctx, node, XTML_KTYPE_S8);
}

const xtml_kernel_t xtml_kernel_fully_connected = { "FULLY_CONNECTED", fc_prepare, fc_eval };
const xtml_kernel_t xtml_kernel_fully_connected_int8 = { "FULLY_CONNECTED", fc_prepare_s8, fc_eval_s8 };
