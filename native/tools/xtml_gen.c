/*
 * xtml_gen.c - random models for fuzzing: generator, reader, mutations and the
 * flatbuffer writer (see xtml_gen.h).
 *
 * The generator builds each operator from what its prepare() accepts, so that
 * most models reach invoke: shapes are computed the way the kernels compute
 * them, quantization parameters are picked where the requantization stays in
 * range (and sometimes at the edges, where the core must refuse), constant
 * tensors (weights, axes, permutations, paddings, slices) hold values that
 * make sense for the shapes. A fraction of choices deliberately go out of
 * range: those models exercise the refusals.
 */
#include "xtml_gen.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "xtml_internal.h"

/* Builtin codes of the elementwise operators (the core's switch names them by number). */
#define XTML_OP_FLOOR 8
#define XTML_OP_DIV 42
#define XTML_OP_EXP 47
#define XTML_OP_CAST 53
#define XTML_OP_LESS 58
#define XTML_OP_NEG 59
#define XTML_OP_GREATER 61
#define XTML_OP_GREATER_EQUAL 62
#define XTML_OP_LESS_EQUAL 63
#define XTML_OP_EQUAL 71
#define XTML_OP_NOT_EQUAL 72
#define XTML_OP_LOG 73
#define XTML_OP_SQRT 75
#define XTML_OP_RSQRT 76
#define XTML_OP_LOGICAL_OR 84
#define XTML_OP_LOGICAL_AND 86
#define XTML_OP_LOGICAL_NOT 87
#define XTML_OP_ZEROS_LIKE 93
#define XTML_OP_FILL 94
#define XTML_OP_SQUARED_DIFFERENCE 99
#define XTML_OP_ABS 101
#define XTML_OP_CEIL 104
#define XTML_OP_ROUND 116
#define XTML_OP_SELECT_V2 123
#define XTML_OPTS_DIV 29
/* The operators of issue 16 (PR ops14d). */
#define XTML_OP_L2_NORMALIZATION 11
#define XTML_OP_LOG_SOFTMAX 50
#define XTML_OP_PRELU 54
#define XTML_OP_FLOOR_DIV 90
#define XTML_OP_FLOOR_MOD 95
#define XTML_OP_ADD_N 106
#define XTML_OP_ELU 111
#define XTML_OPTS_L2_NORM 12
/* The operators of issue 14's last simple builtins (PR ops14e). */
#define XTML_OP_L2_POOL_2D 12
#define XTML_OP_SIN 66
#define XTML_OP_SQUARE 92
#define XTML_OP_SPLIT_V 102
#define XTML_OP_REVERSE_V2 105
#define XTML_OP_COS 108
#define XTML_OP_REDUCE_ALL 140
#define XTML_OP_DYNAMIC_UPDATE_SLICE 151
#define XTML_OPTS_SPLIT_V 79

/* ---- PRNG ---- */

uint32_t xtml_gen_next(xtml_gen_rng_t *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

uint32_t xtml_gen_below(xtml_gen_rng_t *r, uint32_t n) {
    return n == 0 ? 0 : xtml_gen_next(r) % n;
}

/* ---- little-endian stores ---- */

static void st_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void st_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static void st_u64(uint8_t *p, uint64_t v) {
    st_u32(p, (uint32_t)v);
    st_u32(p + 4, (uint32_t)(v >> 32));
}
static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- the model structures ---- */

static bool list_has32(const int32_t *list, uint32_t n, int32_t v);

static uint32_t dtype_size(uint8_t type) {
    size_t s = xtml_dtype_size((xtml_dtype_t)type);
    return (uint32_t)s;
}

/* Bytes a tensor's data takes (int4 packed two per byte); 0 on overflow. */
static uint64_t tensor_bytes(const xtml_gen_tensor_t *t) {
    uint64_t n = 1;
    uint32_t i;
    for (i = 0; i < t->ndim; i++) {
        n *= (uint64_t)(uint32_t)t->dims[i];
        if (n > 0x7fffffffu) {
            return 0;
        }
    }
    if (t->type == XTML_DTYPE_INT4) {
        return (n + 1) / 2;
    }
    return n * dtype_size(t->type);
}

static int64_t tensor_count(const xtml_gen_tensor_t *t) {
    int64_t n = 1;
    uint32_t i;
    for (i = 0; i < t->ndim; i++) {
        n *= t->dims[i];
    }
    return n;
}

/* Pool space, 16-byte aligned; false when full. */
static bool pool_alloc(xtml_gen_model_t *m, uint32_t bytes, uint32_t *at) {
    uint32_t start = (m->pool_used + 15u) & ~15u;
    if (start > XTML_GEN_POOL || bytes > XTML_GEN_POOL - start) {
        return false;
    }
    *at = start;
    m->pool_used = start + bytes;
    return true;
}

static void model_clear(xtml_gen_model_t *m) {
    m->n_tensors = 0;
    m->n_ops = 0;
    m->n_inputs = 0;
    m->n_outputs = 0;
    m->pool_used = 0;
    m->recipe_buffer = -1;
    /* Buffer 0 is the empty buffer by convention. */
    m->n_buffers = 1;
    m->buffers[0].at = 0;
    m->buffers[0].len = 0;
    m->buffers[0].external = 0;
    m->buffers[0].skew4 = 0;
}

/* A new buffer holding `bytes` pool bytes (uninitialised); index or 0 when full. */
static uint32_t buffer_new(xtml_gen_model_t *m, uint32_t bytes) {
    uint32_t at;
    xtml_gen_buffer_t *b;
    if (m->n_buffers >= XTML_GEN_MAX_BUFFERS || !pool_alloc(m, bytes, &at)) {
        return 0;
    }
    b = &m->buffers[m->n_buffers];
    b->at = at;
    b->len = bytes;
    b->external = 0;
    b->skew4 = 0;
    return m->n_buffers++;
}

/* ---- the generator ---- */

/* Types by what the operator families accept. */
#define T_F32 (1u << XTML_DTYPE_FLOAT32)
#define T_S8 (1u << XTML_DTYPE_INT8)
#define T_S16 (1u << XTML_DTYPE_INT16)
#define T_S32 (1u << XTML_DTYPE_INT32)
#define T_S64 (1u << XTML_DTYPE_INT64)
#define T_U8 (1u << XTML_DTYPE_UINT8)
#define T_BOOL (1u << XTML_DTYPE_BOOL)
#define T_F16 (1u << XTML_DTYPE_FLOAT16)
#define T_F64 (1u << XTML_DTYPE_FLOAT64)
#define T_U32 (1u << XTML_DTYPE_UINT32)
#define T_U16 (1u << XTML_DTYPE_UINT16)
#define T_COMPUTE (T_F32 | T_S8)
#define T_MOVE (T_F32 | T_S8 | T_S16 | T_S32 | T_S64 | T_U8 | T_BOOL | T_F16 | T_F64 | T_U32 | T_U16)
#define T_SLICE (T_F32 | T_S8 | T_S16 | T_S32 | T_BOOL)
#define T_PAD (T_F32 | T_S8 | T_S16 | T_S32)
#define T_RESIZE (T_F32 | T_S8 | T_S16)

/* Largest element count a generated activation gets (the core takes far more;
 * small tensors keep executions fast, a few large ones reach the big-tensor paths). */
#define GEN_MAX_ELEMS 70000

typedef struct gen {
    xtml_gen_model_t *m;
    const uint8_t *recipe;
    size_t len, at;
    xtml_gen_rng_t rng;       /* takes over when the recipe is used up */
    int32_t avail[XTML_GEN_MAX_TENSORS];  /* activations later operators may read */
    uint32_t n_avail;
    bool full;                /* a limit was hit: stop adding operators */
} gen_t;

/* The next choice in [0, n). */
static uint32_t pick(gen_t *g, uint32_t n) {
    uint32_t v = 0;
    if (n <= 1) {
        return 0;
    }
    if (g->at < g->len) {
        v = g->recipe[g->at++];
        if (n > 256 && g->at < g->len) {
            v |= (uint32_t)g->recipe[g->at++] << 8;
        }
        if (n > 65536 && g->at + 1 < g->len) {
            v |= (uint32_t)g->recipe[g->at] << 16 | (uint32_t)g->recipe[g->at + 1] << 24;
            g->at += 2;
        }
    } else {
        v = xtml_gen_next(&g->rng);
    }
    return v % n;
}

/*
 * Every choice below is its own statement, or sequenced by ?:, && or ||:
 * C leaves the order of two calls in one expression (function arguments, the
 * operands of ^ or +) to the compiler, and the same recipe must give the same
 * model on every platform.
 */
static uint32_t pick32(gen_t *g) {
    uint32_t low = pick(g, 0xffffffffu);
    uint32_t high = pick(g, 65536);
    return low ^ (high << 16);
}

/* true with probability percent / 100. */
static bool chance(gen_t *g, uint32_t percent) {
    return pick(g, 100) < percent;
}

static int32_t range(gen_t *g, int32_t lo, int32_t hi) {
    return lo + (int32_t)pick(g, (uint32_t)(hi - lo + 1));
}

/* (1 + k / steps) * 2^e, k in [0, steps), e in [lo, hi]. */
static float mantissa_pow2(gen_t *g, uint32_t steps, int32_t lo, int32_t hi) {
    float mantissa = 1.0f + (float)pick(g, steps) / (float)steps;
    int32_t e = range(g, lo, hi);
    return ldexpf(mantissa, e);
}

/* A dimension: mostly small, sometimes larger. */
static int32_t small_dim(gen_t *g) {
    uint32_t c = pick(g, 100);
    if (c < 80) {
        return range(g, 1, 6);
    }
    if (c < 96) {
        return range(g, 1, 24);
    }
    if (c < 99) {
        static const int32_t big[] = { 32, 63, 64, 100, 255, 256, 257, 513 };
        return big[pick(g, 8)];
    }
    return 0;   /* an empty dimension */
}

static int64_t dims_count(const int32_t *dims, uint32_t n) {
    int64_t c = 1;
    uint32_t i;
    for (i = 0; i < n; i++) {
        c *= dims[i];
    }
    return c;
}

/* Bring a shape under GEN_MAX_ELEMS by halving its largest dimensions. */
static void cap_shape(int32_t *dims, uint32_t n, int64_t max) {
    while (dims_count(dims, n) > max) {
        uint32_t i, k = 0;
        for (i = 1; i < n; i++) {
            if (dims[i] > dims[k]) {
                k = i;
            }
        }
        dims[k] = (dims[k] + 1) / 2;
        if (dims[k] <= 1) {
            dims[k] = 1;
        }
    }
}

static void rand_shape(gen_t *g, uint32_t rank, int32_t *dims) {
    uint32_t i;
    for (i = 0; i < rank; i++) {
        dims[i] = small_dim(g);
    }
    cap_shape(dims, rank, GEN_MAX_ELEMS / 8);
}

/* Positive shape (no empty dimension), for operators that refuse empty ones. */
static void rand_shape_pos(gen_t *g, uint32_t rank, int32_t *dims) {
    uint32_t i;
    rand_shape(g, rank, dims);
    for (i = 0; i < rank; i++) {
        if (dims[i] == 0) {
            dims[i] = 1;
        }
    }
}

static float rand_scale(gen_t *g) {
    uint32_t c = pick(g, 100);
    if (c < 90) {
        return mantissa_pow2(g, 256, -12, -1);
    }
    switch (pick(g, 8)) {
    case 0: return 1.0f;
    case 1: return 1.0f / 256.0f;
    case 2: return 1e-9f;
    case 3: return 1e6f;
    case 4: return FLT_MIN;
    case 5: return 1.5e-45f;   /* the smallest subnormal */
    case 6: return 3.0e38f;    /* the largest scale the verifier accepts */
    default: return ldexpf(1.0f, range(g, -40, 40));
    }
}

static int32_t rand_zp(gen_t *g) {
    switch (pick(g, 6)) {
    case 0: return 0;
    case 1: return -128;
    case 2: return 127;
    default: return range(g, -128, 127);
    }
}

static int32_t new_tensor(gen_t *g, uint8_t type, uint32_t ndim, const int32_t *dims) {
    xtml_gen_model_t *m = g->m;
    xtml_gen_tensor_t *t;
    if (m->n_tensors >= XTML_GEN_MAX_TENSORS) {
        g->full = true;
        return 0;
    }
    t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->ndim = (uint8_t)ndim;
    if (ndim > 0) {
        memcpy(t->dims, dims, ndim * sizeof *dims);
    }
    return (int32_t)m->n_tensors++;
}

static void quant_set(gen_t *g, int32_t ti, uint32_t n, const float *scales, const int32_t *zps,
                      int32_t dim) {
    xtml_gen_model_t *m = g->m;
    xtml_gen_tensor_t *t = &m->tensors[ti];
    uint32_t sat, zat, i;
    if (!pool_alloc(m, 4 * n, &sat) || !pool_alloc(m, 8 * n, &zat)) {
        g->full = true;
        return;
    }
    for (i = 0; i < n; i++) {
        st_u32(m->pool + sat + 4 * i, f32_bits(scales[i]));
        st_u64(m->pool + zat + 8 * i, (uint64_t)(int64_t)(zps != NULL ? zps[i] : 0));
    }
    t->has_quant = 1;
    t->n_scales = n;
    t->scales_at = sat;
    t->n_zero_points = n;
    t->zero_points_at = zat;
    t->quant_dim = dim;
}

static void quant1(gen_t *g, int32_t t, float scale, int32_t zp) {
    /* Products of scales can leave the range the verifier accepts. */
    if (!(scale > 0.0f)) {
        scale = FLT_MIN;
    } else if (scale > 3.0e38f) {
        scale = 3.0e38f;
    }
    quant_set(g, t, 1, &scale, &zp, 0);
}

static float t_scale(const xtml_gen_model_t *m, int32_t t) {
    const xtml_gen_tensor_t *x = &m->tensors[t];
    return x->n_scales > 0 ? bits_f32(xtml_ld_u32(m->pool + x->scales_at)) : 0.0f;
}
static int32_t t_zp(const xtml_gen_model_t *m, int32_t t) {
    const xtml_gen_tensor_t *x = &m->tensors[t];
    return x->n_zero_points > 0 ? (int32_t)xtml_ld_i64(m->pool + x->zero_points_at) : 0;
}

/* A random per-tensor scale and zero point. */
static void quant_random(gen_t *g, int32_t t) {
    float scale = rand_scale(g);
    int32_t zp = rand_zp(g);
    quant1(g, t, scale, zp);
}

/* A given scale, a random zero point. */
static void quant_zp(gen_t *g, int32_t t, float scale) {
    int32_t zp = rand_zp(g);
    quant1(g, t, scale, zp);
}

/* Copy t's quantization to u (shape ops pass it through). */
static void quant_copy(gen_t *g, int32_t u, int32_t t) {
    const xtml_gen_tensor_t *x = &g->m->tensors[t];
    if (x->n_scales == 1) {
        quant1(g, u, t_scale(g->m, t), t_zp(g->m, t));
    }
}

/* Per-tensor quantization for an activation of `type`. */
static void quant_act(gen_t *g, int32_t t, uint8_t type) {
    if (type == XTML_DTYPE_INT8) {
        quant_random(g, t);
    } else if (type == XTML_DTYPE_INT16 && chance(g, 30)) {
        quant1(g, t, rand_scale(g), 0);
    }
}

/* Values of constant data. */
typedef enum fill {
    FILL_RANDOM,   /* any bytes for integers, spread floats */
    FILL_WEIGHTS,  /* int8 weights / small int32 and int64 biases / floats in [-1, 1] */
} fill_t;

static void fill_data(gen_t *g, uint8_t type, uint8_t *p, uint32_t bytes, fill_t fill) {
    xtml_gen_rng_t r;
    uint32_t mode = pick(g, 16);
    uint32_t i;
    r.state = pick32(g);
    if (type == XTML_DTYPE_FLOAT32) {
        for (i = 0; i + 4 <= bytes; i += 4) {
            float f = ((float)(int32_t)xtml_gen_next(&r) / 2147483648.0f) * (fill == FILL_WEIGHTS ? 1.0f : 4.0f);
            if (mode == 0 && xtml_gen_below(&r, 8) == 0) {
                static const uint32_t special[] = { 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x00000001u,
                                                    0x7f7fffffu, 0x80000000u, 0xff7fffffu, 0x3f800000u };
                f = bits_f32(special[xtml_gen_below(&r, 8)]);
            }
            st_u32(p + i, f32_bits(f));
        }
        return;
    }
    if (type == XTML_DTYPE_INT64 && fill == FILL_WEIGHTS) {
        /* 16x8 biases: around the size of a sum, at times the int64 edges (the sums wrap) */
        for (i = 0; i + 8 <= bytes; i += 8) {
            int64_t v = (int64_t)(int32_t)xtml_gen_next(&r) / (mode == 0 ? 1 : 4096);
            if (mode == 1) {
                v = xtml_gen_below(&r, 2) ? INT64_MAX : INT64_MIN;
            }
            st_u64(p + i, (uint64_t)v);
        }
        return;
    }
    if (type == XTML_DTYPE_INT32 && fill == FILL_WEIGHTS) {
        for (i = 0; i + 4 <= bytes; i += 4) {
            int32_t v = (int32_t)xtml_gen_next(&r) >> (mode == 0 ? 0 : 18);
            if (mode == 1) {
                v = xtml_gen_below(&r, 2) ? INT32_MAX : INT32_MIN;
            }
            st_u32(p + i, (uint32_t)v);
        }
        return;
    }
    for (i = 0; i < bytes; i++) {
        uint8_t b = (uint8_t)(xtml_gen_next(&r) >> 24);
        if (mode == 1) {
            b = (uint8_t)(xtml_gen_below(&r, 2) ? 0x7f : 0x80);
        } else if (mode == 2) {
            b = 0;
        }
        p[i] = b;
    }
}

/* A constant tensor with its own buffer. */
static int32_t new_const(gen_t *g, uint8_t type, uint32_t ndim, const int32_t *dims, fill_t fill) {
    int32_t t = new_tensor(g, type, ndim, dims);
    uint64_t bytes;
    uint32_t b;
    if (g->full) {
        return 0;
    }
    bytes = tensor_bytes(&g->m->tensors[t]);
    if (bytes == 0) {
        /* No data: a constant of zero elements is an empty (non-constant) tensor. */
        return t;
    }
    b = bytes <= XTML_GEN_POOL ? buffer_new(g->m, (uint32_t)bytes) : 0;
    if (b == 0) {
        g->full = true;
        return t;
    }
    fill_data(g, type, g->m->pool + g->m->buffers[b].at, (uint32_t)bytes, fill);
    g->m->tensors[t].buffer = b;
    if (chance(g, 3)) {
        g->m->buffers[b].external = 1;
    }
    return t;
}

/* A constant int32 (or sometimes int64, where allowed) vector or scalar. */
static int32_t new_const_ints(gen_t *g, uint32_t ndim, const int32_t *dims, const int32_t *values,
                              bool allow_i64) {
    bool i64 = allow_i64 && chance(g, 15);
    int32_t t = new_tensor(g, i64 ? XTML_DTYPE_INT64 : XTML_DTYPE_INT32, ndim, dims);
    uint64_t n;
    uint32_t b, i;
    if (g->full) {
        return 0;
    }
    n = (uint64_t)dims_count(dims, ndim);
    if (n == 0) {
        return t;
    }
    b = buffer_new(g->m, (uint32_t)(n * (i64 ? 8 : 4)));
    if (b == 0) {
        g->full = true;
        return t;
    }
    for (i = 0; i < n; i++) {
        uint8_t *p = g->m->pool + g->m->buffers[b].at;
        if (i64) {
            st_u64(p + 8 * i, (uint64_t)(int64_t)values[i]);
        } else {
            st_u32(p + 4 * i, (uint32_t)values[i]);
        }
    }
    g->m->tensors[t].buffer = b;
    return t;
}

static int32_t const_scalar(gen_t *g, int32_t value, bool allow_i64) {
    int32_t one = 1;
    /* As a scalar ([]) or a one-element vector ([1]). */
    return chance(g, 50) ? new_const_ints(g, 0, NULL, &value, allow_i64)
                         : new_const_ints(g, 1, &one, &value, allow_i64);
}

static bool is_const(const xtml_gen_model_t *m, int32_t t) {
    return m->tensors[t].buffer != 0 && m->buffers[m->tensors[t].buffer].len != 0;
}

static void avail_add(gen_t *g, int32_t t) {
    if (g->n_avail < XTML_GEN_MAX_TENSORS) {
        g->avail[g->n_avail++] = t;
    }
}

/* A new graph input (or, when there are enough, a constant). */
static int32_t new_input(gen_t *g, uint8_t type, uint32_t ndim, const int32_t *dims) {
    int32_t t;
    if (g->m->n_inputs >= XTML_GEN_MAX_GRAPH_IO || chance(g, 4)) {
        t = new_const(g, type, ndim, dims, FILL_RANDOM);
    } else {
        t = new_tensor(g, type, ndim, dims);
        if (!g->full) {
            g->m->inputs[g->m->n_inputs++] = t;
        }
    }
    if (!g->full) {
        quant_act(g, t, type);
        avail_add(g, t);
    }
    return t;
}

static uint8_t type_from(gen_t *g, uint32_t mask) {
    /* Mostly int8 and float32 where allowed, then anything in the mask. */
    uint32_t c = pick(g, 100);
    uint32_t i, n = 0;
    uint8_t types[32];
    if ((mask & T_S8) && c < 55) {
        return XTML_DTYPE_INT8;
    }
    if ((mask & T_F32) && c < 85) {
        return XTML_DTYPE_FLOAT32;
    }
    for (i = 0; i < 32; i++) {
        if (mask & (1u << i)) {
            types[n++] = (uint8_t)i;
        }
    }
    return types[pick(g, n)];
}

/*
 * An activation for an operator: an earlier one that fits (type in mask, rank
 * `rank` or any when negative, no empty dimension when `nonempty`), or a new
 * graph input of type `type_hint` with a fresh shape.
 */
static int32_t get_act(gen_t *g, uint32_t mask, int32_t rank, bool nonempty, uint8_t type_hint) {
    int32_t cand[XTML_GEN_MAX_TENSORS];
    uint32_t n = 0, i, r;
    int32_t dims[XTML_GEN_MAX_RANK];
    for (i = 0; i < g->n_avail; i++) {
        const xtml_gen_tensor_t *t = &g->m->tensors[g->avail[i]];
        if ((mask & (1u << t->type)) == 0 || (rank >= 0 && t->ndim != (uint32_t)rank)) {
            continue;
        }
        if (nonempty && tensor_count(t) == 0) {
            continue;
        }
        cand[n++] = g->avail[i];
    }
    if (n > 0 && chance(g, 80)) {
        /* Prefer the newest: chains rather than fans. */
        return chance(g, 60) ? cand[n - 1] : cand[pick(g, n)];
    }
    r = rank >= 0 ? (uint32_t)rank : (uint32_t)range(g, 1, 4);
    if (rank < 0 && chance(g, 8)) {
        r = pick(g, 7);   /* scalars and rank 5-6 */
    }
    if (nonempty) {
        rand_shape_pos(g, r, dims);
    } else {
        rand_shape(g, r, dims);
    }
    return new_input(g, (mask & (1u << type_hint)) ? type_hint : type_from(g, mask), r, dims);
}

static xtml_gen_op_t *new_op(gen_t *g, int32_t builtin, uint8_t options_type) {
    xtml_gen_op_t *op;
    if (g->m->n_ops >= XTML_GEN_MAX_OPS) {
        g->full = true;
        return NULL;
    }
    op = &g->m->ops[g->m->n_ops++];
    memset(op, 0, sizeof *op);
    op->builtin = builtin;
    op->version = 1;
    op->options_type = options_type;
    op->has_options = options_type != 0;
    return op;
}

static void op_in(xtml_gen_op_t *op, int32_t t) {
    if (op->n_inputs < XTML_GEN_MAX_OP_IN) {
        op->inputs[op->n_inputs++] = t;
    }
}

static void op_out(gen_t *g, xtml_gen_op_t *op, int32_t t) {
    if (op->n_outputs < XTML_GEN_MAX_OP_IO) {
        op->outputs[op->n_outputs++] = t;
    }
    avail_add(g, t);
}

static void opt_field(xtml_gen_op_t *op, uint32_t field, uint8_t kind, uint32_t value) {
    if (field >= XTML_GEN_MAX_FIELDS) {
        return;
    }
    while (op->n_fields <= field) {
        op->fields[op->n_fields++].kind = 0;
    }
    op->fields[field].kind = kind;
    op->fields[field].value = value;
}
static void opt_b(xtml_gen_op_t *op, uint32_t field, int32_t v) {
    opt_field(op, field, 1, (uint32_t)(uint8_t)v);
}
static void opt_i(xtml_gen_op_t *op, uint32_t field, int32_t v) {
    opt_field(op, field, 4, (uint32_t)v);
}
static void opt_f(xtml_gen_op_t *op, uint32_t field, float v) {
    opt_field(op, field, 4, f32_bits(v));
}
static void opt_v(gen_t *g, xtml_gen_op_t *op, uint32_t field, const int32_t *v, uint32_t n) {
    uint32_t at, i;
    if (field >= XTML_GEN_MAX_FIELDS || !pool_alloc(g->m, 4 * n, &at)) {
        g->full = true;
        return;
    }
    for (i = 0; i < n; i++) {
        st_u32(g->m->pool + at + 4 * i, (uint32_t)v[i]);
    }
    opt_field(op, field, 'v', 0);
    op->fields[field].at = at;
    op->fields[field].len = n;
}

/* A fused activation: mostly the supported four, sometimes TANH or SIGN_BIT. */
static int32_t rand_act(gen_t *g) {
    return chance(g, 95) ? (int32_t)pick(g, 4) : range(g, 4, 6);
}

/* A new output tensor of the operator. */
static int32_t new_out(gen_t *g, xtml_gen_op_t *op, uint8_t type, uint32_t ndim, const int32_t *dims) {
    int32_t t = new_tensor(g, type, ndim, dims);
    if (!g->full) {
        op_out(g, op, t);
    }
    return t;
}

/* Factor `count` into `rank` dims (the last takes what is left). */
static void factor_shape(gen_t *g, int64_t count, uint32_t rank, int32_t *dims) {
    uint32_t i;
    int64_t left = count;
    for (i = 0; i + 1 < rank; i++) {
        int32_t d = 1;
        int32_t tries;
        for (tries = 0; tries < 4 && left > 1; tries++) {
            int32_t c = range(g, 1, 8);
            if (left % c == 0) {
                d = c;
                break;
            }
        }
        if (left == 0) {
            d = chance(g, 50) ? 0 : range(g, 1, 3);
        }
        dims[i] = d;
        left = d != 0 ? left / d : 0;
    }
    if (rank > 0) {
        dims[rank - 1] = (int32_t)left;
    }
    /* Shuffle so the large factor is not always last. */
    for (i = 0; rank > 1 && i < rank; i++) {
        uint32_t j = pick(g, rank);
        int32_t tmp = dims[i];
        dims[i] = dims[j];
        dims[j] = tmp;
    }
}

/* A rank-4 view of an activation, through a RESHAPE when it is not rank 4. */
static int32_t as_rank4(gen_t *g, int32_t t) {
    const xtml_gen_tensor_t *x = &g->m->tensors[t];
    int32_t dims[4];
    xtml_gen_op_t *op;
    int32_t out;
    if (x->ndim == 4) {
        return t;
    }
    factor_shape(g, tensor_count(x), 4, dims);
    if (chance(g, 70)) {
        dims[0] = 1;
        factor_shape(g, tensor_count(x), 3, dims + 1);
    }
    op = new_op(g, XTML_OP_RESHAPE, XTML_OPTS_RESHAPE);
    if (op == NULL) {
        return t;
    }
    op_in(op, t);
    opt_v(g, op, 0, dims, 4);
    out = new_out(g, op, x->type, 4, dims);
    if (!g->full) {
        quant_copy(g, out, t);
    }
    return out;
}

/* Rank-4 int8 or float32 activation with no empty dimension. */
static int32_t get_nhwc(gen_t *g, uint32_t mask) {
    int32_t t = get_act(g, mask, -1, true, XTML_DTYPE_INT8);
    if (g->full) {
        return t;
    }
    if (g->m->tensors[t].ndim != 4) {
        if (chance(g, 60) && tensor_count(&g->m->tensors[t]) <= 4096) {
            return as_rank4(g, t);
        }
        {
            int32_t dims[4];
            dims[0] = chance(g, 85) ? 1 : 2;
            dims[1] = range(g, 1, 12);
            dims[2] = range(g, 1, 12);
            dims[3] = range(g, 1, 8);
            if (chance(g, 5)) {
                dims[1] = range(g, 16, 40);
                dims[2] = range(g, 16, 40);
            }
            return new_input(g, g->m->tensors[t].type, 4, dims);
        }
    }
    return t;
}

/* Output size along one axis of a convolution or pool; <= 0 when none. */
static int64_t window_out(int32_t padding, int32_t in, int32_t taps, int32_t stride, int32_t dil) {
    int64_t span = (int64_t)(taps - 1) * dil + 1;
    return padding == XTML_PADDING_SAME ? ((int64_t)in + stride - 1) / stride : ((int64_t)in + stride - span) / stride;
}

/* Output scale for an int8 sum of `terms` products of in_s * w_s. */
static float acc_out_scale(gen_t *g, float in_s, float w_s, int64_t terms) {
    double s = (double)in_s * (double)w_s * sqrt((double)(terms > 0 ? terms : 1)) * 32.0;
    if (chance(g, 10)) {
        s *= ldexp(1.0, range(g, -30, 30));
    } else {
        s *= ldexp(1.0, range(g, -3, 3));
    }
    if (!(s > 1e-38) || s > 1e38) {
        s = 1.0;
    }
    return (float)s;
}

/*
 * The quantization the weighted operators (CONV_2D, DEPTHWISE_CONV_2D,
 * FULLY_CONNECTED, TRANSPOSE_CONV) share: float32; int8 (int8 weights, or
 * packed int4 where the operator takes them, and an int32 bias); 16x8 (int16
 * activations with zero point 0, int8 weights, an int64 bias or the other type
 * the operator takes, sums requantized with a shift of at most 7).
 */
typedef struct weighted {
    uint8_t type;       /* the activations' */
    uint8_t wtype;      /* the weights' */
    int32_t n_scales;   /* weight scales: 1 or one per output channel */
    float in_s;
    float ws[512];
} weighted_t;

static void quant_if_missing(gen_t *g, int32_t t);

/* The input activation: 16x8 at times, else int8 or float32; rank 4 when nhwc. */
static int32_t weighted_input(gen_t *g, weighted_t *q, bool nhwc) {
    bool s16 = chance(g, 15);
    uint32_t mask = s16 ? T_S16 : T_COMPUTE;
    int32_t in = nhwc ? get_nhwc(g, mask) : get_act(g, mask, -1, true, XTML_DTYPE_INT8);
    if (g->full) {
        return in;
    }
    q->type = g->m->tensors[in].type;
    if (q->type == XTML_DTYPE_INT16) {
        quant_if_missing(g, in);
    }
    if (q->type == XTML_DTYPE_INT16 && t_scale(g->m, in) == 0.0f && chance(g, 90)) {
        /* an operator's int16 output without quantization: a fresh input instead */
        int32_t dims[4];
        uint32_t rank = nhwc ? 4u : (uint32_t)range(g, 1, 4);
        rand_shape_pos(g, rank, dims);
        in = new_input(g, XTML_DTYPE_INT16, rank, dims);
        if (g->full) {
            return in;
        }
        quant1(g, in, mantissa_pow2(g, 256, -16, -8), 0);
    }
    q->in_s = t_scale(g->m, in);
    return in;
}

/* The weights: a constant (packed int4 at times where int4_ok and the input is
 * int8, int8 for 16x8 but at times int16, which is refused), or a graph input. */
static int32_t weighted_weights(gen_t *g, weighted_t *q, uint32_t ndim, const int32_t *dims, bool int4_ok) {
    q->wtype = q->type;
    if (q->type == XTML_DTYPE_INT16) {
        q->wtype = chance(g, 97) ? XTML_DTYPE_INT8 : XTML_DTYPE_INT16;
    } else if (q->type == XTML_DTYPE_INT8 && int4_ok && chance(g, 15)) {
        q->wtype = XTML_DTYPE_INT4;
    }
    return chance(g, 95) ? new_const(g, q->wtype, ndim, dims, FILL_WEIGHTS) : new_input(g, q->wtype, ndim, dims);
}

/* n weight scales (in range but for odd_percent), set on w along quant_dim
 * with zero point zp (per-tensor) or 0. */
static void weighted_scales(gen_t *g, weighted_t *q, int32_t w, int32_t n, int32_t quant_dim, uint32_t odd_percent,
                            int32_t zp) {
    int32_t i;
    for (i = 0; i < n; i++) {
        q->ws[i] = chance(g, 100 - odd_percent) ? mantissa_pow2(g, 128, -9, -5) : rand_scale(g);
    }
    q->n_scales = n;
    if (q->type != XTML_DTYPE_FLOAT32 && !g->full) {
        quant_set(g, w, (uint32_t)n, q->ws, n == 1 ? &zp : NULL, quant_dim);
    }
}

/*
 * A bias of out_c elements in percent of models, scaled input x weights:
 * float32, int32 for int8, and for 16x8 int64 or (alt_percent) the type alt;
 * else none, written as index -1 in absent_percent of those. Returns it or -1.
 */
static int32_t weighted_bias(gen_t *g, xtml_gen_op_t *op, const weighted_t *q, int32_t out_c, uint32_t percent,
                             uint32_t absent_percent, uint8_t alt, uint32_t alt_percent) {
    uint8_t type = q->type == XTML_DTYPE_FLOAT32 ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT32;
    float bs[512];
    int32_t bias, i;
    if (!chance(g, percent)) {
        if (chance(g, absent_percent)) {
            op_in(op, -1);
        }
        return -1;
    }
    if (q->type == XTML_DTYPE_INT16) {
        type = chance(g, alt_percent) ? alt : XTML_DTYPE_INT64;
    }
    bias = new_const(g, type, 1, &out_c, FILL_WEIGHTS);
    if (q->type != XTML_DTYPE_FLOAT32 && !g->full) {
        for (i = 0; i < q->n_scales; i++) {
            bs[i] = q->in_s * q->ws[i];
        }
        quant_set(g, bias, (uint32_t)q->n_scales, bs, NULL, 0);
    }
    op_in(op, bias);
    return bias;
}

/* The output's quantization for sums of `terms` products: a random zero point
 * for int8, 0 for 16x8 (or at times another where s16_zp: FULLY_CONNECTED's). */
static void weighted_output(gen_t *g, const weighted_t *q, int32_t out, int64_t terms, bool s16_zp) {
    float s;
    if (q->type == XTML_DTYPE_FLOAT32 || g->full) {
        return;
    }
    s = acc_out_scale(g, q->in_s, q->ws[0], terms);
    if (q->type == XTML_DTYPE_INT16) {
        /* int16 products are 2^8 times larger than int8 ones: keep the output near 2^11 */
        quant1(g, out, s * 64.0f, s16_zp && chance(g, 10) ? range(g, -300, 300) : 0);
    } else {
        quant_zp(g, out, s);
    }
}

/* 16x8 without a bias: the options' quantized_bias_type at times (int32: the sums wrap in int32). */
static void weighted_bias_type(gen_t *g, xtml_gen_op_t *op, const weighted_t *q, int32_t bias, uint32_t field) {
    if (q->type == XTML_DTYPE_INT16 && bias < 0 && chance(g, 40)) {
        opt_b(op, field, chance(g, 60) ? XTML_DTYPE_INT32 : XTML_DTYPE_INT64);
    }
}

static void gen_conv(gen_t *g, bool depthwise) {
    weighted_t q;
    int32_t in = weighted_input(g, &q, true);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t batches, h, w, c, kh, kw, sh, sw, dh, dw, padding, groups = 1, filter_c, out_c, mult = 1;
    int32_t fdims[4], odims[4];
    int64_t oh, ow;
    int32_t filter, bias, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    batches = x->dims[0];
    h = x->dims[1];
    w = x->dims[2];
    c = x->dims[3];
    kh = range(g, 1, 5);
    kw = chance(g, 70) ? kh : range(g, 1, 5);
    sh = chance(g, 60) ? 1 : range(g, 1, 4);
    sw = chance(g, 70) ? sh : range(g, 1, 4);
    dh = chance(g, 85) ? 1 : range(g, 1, 4);
    dw = chance(g, 70) ? dh : range(g, 1, 4);
    padding = (int32_t)pick(g, 2);
    if (padding == XTML_PADDING_VALID &&
        (window_out(padding, h, kh, sh, dh) <= 0 || window_out(padding, w, kw, sw, dw) <= 0) && chance(g, 90)) {
        padding = XTML_PADDING_SAME;
    }
    if (depthwise) {
        mult = chance(g, 70) ? 1 : range(g, 1, 4);
        filter_c = 1;
        out_c = c * mult;
        fdims[0] = 1;
        fdims[3] = out_c;
    } else {
        if (c > 1 && chance(g, 20)) {
            for (groups = c; groups > 1; groups--) {
                if (c % groups == 0 && chance(g, 50)) {
                    break;
                }
            }
        }
        filter_c = c / groups;
        out_c = groups * range(g, 1, 4);
        if (chance(g, 10)) {
            out_c = groups * range(g, 5, 20);
        }
        fdims[0] = out_c;
        fdims[3] = filter_c;
    }
    if (out_c > 512) {
        return;
    }
    fdims[1] = kh;
    fdims[2] = kw;
    oh = window_out(padding, h, kh, sh, dh);
    ow = window_out(padding, w, kw, sw, dw);
    if (oh <= 0 || ow <= 0) {
        oh = oh <= 0 ? 1 : oh;   /* the core must refuse this one */
        ow = ow <= 0 ? 1 : ow;
    }
    odims[0] = batches;
    odims[1] = (int32_t)oh;
    odims[2] = (int32_t)ow;
    odims[3] = out_c;
    if ((int64_t)batches * oh * ow * out_c * kh * kw * filter_c > 2000000) {
        return;   /* keep executions fast */
    }
    op = new_op(g, depthwise ? XTML_OP_DEPTHWISE_CONV_2D : XTML_OP_CONV_2D,
                depthwise ? XTML_OPTS_DEPTHWISE_CONV2D : XTML_OPTS_CONV2D);
    if (op == NULL) {
        return;
    }
    filter = weighted_weights(g, &q, 4, fdims, true);
    weighted_scales(g, &q, filter, chance(g, 75) ? out_c : 1, depthwise ? 3 : 0, 5, 0);
    op_in(op, in);
    op_in(op, filter);
    /* DEPTHWISE_CONV_2D refuses an int32 bias for 16x8 */
    bias = weighted_bias(g, op, &q, out_c, 80, 50, XTML_DTYPE_INT32, depthwise ? 5 : 25);
    out = new_out(g, op, q.type, 4, odims);
    weighted_output(g, &q, out, (int64_t)kh * kw * filter_c, false);
    opt_b(op, 0, padding);
    opt_i(op, 1, sw);
    opt_i(op, 2, sh);
    if (depthwise) {
        opt_i(op, 3, mult);
        opt_b(op, 4, rand_act(g));
        if (dw != 1 || chance(g, 50)) {
            opt_i(op, 5, dw);
        }
        if (dh != 1 || chance(g, 50)) {
            opt_i(op, 6, dh);
        }
    } else {
        opt_b(op, 3, rand_act(g));
        if (dw != 1 || chance(g, 50)) {
            opt_i(op, 4, dw);
        }
        if (dh != 1 || chance(g, 50)) {
            opt_i(op, 5, dh);
        }
        weighted_bias_type(g, op, &q, bias, 6);
    }
}

static void gen_fully_connected(gen_t *g) {
    weighted_t q;
    int32_t in = weighted_input(g, &q, false);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int64_t count;
    int32_t depth, units, batches, wdims[2], odims[XTML_GEN_MAX_RANK];
    uint32_t ondim, i;
    int32_t weights, out, bias, zp;
    bool per_channel, keep = false;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    count = tensor_count(x);
    depth = x->ndim > 0 ? x->dims[x->ndim - 1] : 1;
    if (chance(g, 30)) {
        depth = (int32_t)count;
    }
    if (depth <= 0 || count % depth != 0) {
        depth = (int32_t)count;
    }
    batches = (int32_t)(count / depth);
    units = chance(g, 85) ? range(g, 1, 16) : range(g, 17, 64);
    if ((int64_t)units * depth > 200000) {
        return;
    }
    op = new_op(g, XTML_OP_FULLY_CONNECTED, XTML_OPTS_FULLY_CONNECTED);
    if (op == NULL) {
        return;
    }
    wdims[0] = units;
    wdims[1] = depth;
    weights = weighted_weights(g, &q, 2, wdims, true);
    /* int4 weights are per-tensor (per-channel ones are refused), their zero point int4 */
    per_channel = q.wtype == XTML_DTYPE_INT4 ? chance(g, 5) : chance(g, 50);
    zp = per_channel || chance(g, 70) ? 0 : q.wtype == XTML_DTYPE_INT4 && chance(g, 90) ? range(g, -8, 7) : rand_zp(g);
    weighted_scales(g, &q, weights, per_channel ? units : 1, 0, 0, zp);
    op_in(op, in);
    op_in(op, weights);
    bias = weighted_bias(g, op, &q, units, 75, 30, XTML_DTYPE_INT32, 25);
    /* Output [batches, units], or the input's leading dims kept. */
    if (x->ndim >= 2 && depth == x->dims[x->ndim - 1] && chance(g, 30)) {
        keep = true;
        ondim = x->ndim;
        for (i = 0; i + 1 < ondim; i++) {
            odims[i] = x->dims[i];
        }
        odims[ondim - 1] = units;
    } else {
        ondim = 2;
        odims[0] = batches;
        odims[1] = units;
        if (batches == 1 && chance(g, 20)) {
            ondim = 1;
            odims[0] = units;
        }
    }
    out = new_out(g, op, q.type, ondim, odims);
    weighted_output(g, &q, out, depth, true);
    if (chance(g, 90)) {
        opt_b(op, 0, rand_act(g));
        if (chance(g, 30)) {
            opt_b(op, 1, chance(g, 95) ? 0 : 1);
        }
        if (keep || chance(g, 20)) {
            opt_b(op, 2, keep);
        }
        weighted_bias_type(g, op, &q, bias, 4);
    } else {
        op->has_options = 0;
    }
}

static void gen_pool(gen_t *g, bool average, bool l2) {
    int32_t in = get_nhwc(g, l2 ? T_F32 : T_COMPUTE);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t fh, fw, sh, sw, padding, odims[4], out;
    int64_t oh, ow;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    fh = chance(g, 10) ? x->dims[1] : range(g, 1, 4);
    fw = chance(g, 70) ? (fh <= x->dims[2] ? fh : x->dims[2]) : range(g, 1, 4);
    sh = range(g, 1, 3);
    sw = chance(g, 70) ? sh : range(g, 1, 3);
    padding = (int32_t)pick(g, 2);
    if (padding == XTML_PADDING_VALID && (fh > x->dims[1] || fw > x->dims[2]) && chance(g, 90)) {
        padding = XTML_PADDING_SAME;
    }
    oh = window_out(padding, x->dims[1], fh, sh, 1);
    ow = window_out(padding, x->dims[2], fw, sw, 1);
    odims[0] = x->dims[0];
    odims[1] = oh > 0 ? (int32_t)oh : 1;
    odims[2] = ow > 0 ? (int32_t)ow : 1;
    odims[3] = x->dims[3];
    op = new_op(g, l2 ? XTML_OP_L2_POOL_2D : average ? XTML_OP_AVERAGE_POOL_2D : XTML_OP_MAX_POOL_2D, XTML_OPTS_POOL2D);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    out = new_out(g, op, x->type, 4, odims);
    if (!g->full && x->type == XTML_DTYPE_INT8) {
        if (chance(g, 97)) {
            quant_copy(g, out, in);
        } else {
            quant_random(g, out);
        }
    }
    opt_b(op, 0, padding);
    opt_i(op, 1, sw);
    opt_i(op, 2, sh);
    opt_i(op, 3, fw);
    opt_i(op, 4, fh);
    opt_b(op, 5, rand_act(g));
}

/* A shape that broadcasts to `out`: some dims 1, maybe fewer leading dims. */
static uint32_t bcast_shape(gen_t *g, const int32_t *out, uint32_t n, int32_t *dims) {
    uint32_t drop = chance(g, 25) ? pick(g, n + 1) : 0;
    uint32_t i, k = n - drop;
    bool ones = chance(g, 40);
    for (i = 0; i < k; i++) {
        dims[i] = out[drop + i];
        if (ones && chance(g, 50)) {
            dims[i] = 1;
        }
    }
    return k;
}

static void gen_binary(gen_t *g, int32_t builtin) {
    int32_t a, b, out, odims[XTML_GEN_MAX_RANK], bd[XTML_GEN_MAX_RANK];
    uint32_t on, bn, i;
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    uint8_t type;
    uint8_t opts_type = builtin == XTML_OP_ADD   ? XTML_OPTS_ADD
                        : builtin == XTML_OP_SUB ? XTML_OPTS_SUB
                        : builtin == XTML_OP_MUL ? XTML_OPTS_MUL
                                                 : XTML_OPTS_MAXIMUM_MINIMUM;
    float sa, sb, so;
    a = get_act(g, T_COMPUTE, -1, false, XTML_DTYPE_INT8);
    if (g->full) {
        return;
    }
    x = &g->m->tensors[a];
    type = x->type;
    on = x->ndim;
    memcpy(odims, x->dims, sizeof odims);
    /* The other operand: the same tensor, a broadcastable constant or input, or a
     * tensor the first broadcasts against. */
    if (chance(g, 10)) {
        b = a;
    } else {
        bn = bcast_shape(g, odims, on, bd);
        if (chance(g, 20) && on < 6) {
            /* b has more dims: the output grows. */
            int32_t extra = range(g, 1, 3);
            bd[0] = extra;
            for (i = 0; i < on; i++) {
                bd[i + 1] = chance(g, 50) ? 1 : odims[i];
            }
            bn = on + 1;
            for (i = on + 1; i-- > 1;) {
                odims[i] = odims[i - 1];
            }
            odims[0] = extra;
            on++;
            for (i = 1; i < on; i++) {
                if (x->dims[i - 1] == 1) {
                    odims[i] = bd[i];
                }
            }
        }
        b = chance(g, 40) ? new_const(g, type, bn, bd, FILL_RANDOM) : new_input(g, type, bn, bd);
        if (!g->full && type == XTML_DTYPE_INT8 && g->m->tensors[b].n_scales == 0) {
            quant_act(g, b, type);
        }
    }
    if (g->full) {
        return;
    }
    if (chance(g, 30)) {
        int32_t t = a;
        a = b;
        b = t;
    }
    op = new_op(g, builtin, opts_type);
    if (op == NULL) {
        return;
    }
    op_in(op, a);
    op_in(op, b);
    out = new_out(g, op, type, on, odims);
    if (type == XTML_DTYPE_INT8 && !g->full) {
        sa = t_scale(g->m, a);
        sb = t_scale(g->m, b);
        so = builtin == XTML_OP_MUL ? (float)((double)sa * sb * ldexp(1.0, range(g, 4, 9)))
                                    : (sa > sb ? sa : sb) * ldexpf(1.0f, range(g, -2, 3));
        if (chance(g, 8)) {
            so = rand_scale(g);
        }
        quant_zp(g, out, so);
    }
    if (opts_type != XTML_OPTS_MAXIMUM_MINIMUM && chance(g, 85)) {
        opt_b(op, 0, rand_act(g));
    } else if (chance(g, 50)) {
        op->has_options = 0;
    }
}

/* One input, one output of the same shape; returns the output. */
static int32_t unary_op(gen_t *g, int32_t builtin, uint8_t opts_type, uint32_t mask, uint8_t out_type,
                        int32_t *in_out) {
    int32_t in = get_act(g, mask, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t out;
    if (g->full) {
        return -1;
    }
    x = &g->m->tensors[in];
    op = new_op(g, builtin, opts_type);
    if (op == NULL) {
        return -1;
    }
    op_in(op, in);
    out = new_out(g, op, out_type != 0xff ? out_type : x->type, x->ndim, x->dims);
    *in_out = in;
    return g->full ? -1 : out;
}

static void gen_activation(gen_t *g, int32_t builtin) {
    int32_t in, out;
    float si;
    uint8_t opts = builtin == XTML_OP_LEAKY_RELU ? XTML_OPTS_LEAKY_RELU
                   : builtin == XTML_OP_HARD_SWISH ? XTML_OPTS_HARD_SWISH : 0;
    out = unary_op(g, builtin, opts, T_COMPUTE, 0xff, &in);
    if (out < 0) {
        return;
    }
    if (builtin == XTML_OP_LEAKY_RELU) {
        static const float alphas[] = { 0.0f, 1.0f, -1.0f, 1e-30f, 100.0f, -0.5f };
        xtml_gen_op_t *op = &g->m->ops[g->m->n_ops - 1];
        opt_f(op, 0, chance(g, 85) ? (float)range(g, -20, 30) / 16.0f : alphas[pick(g, 6)]);
    } else if (builtin == XTML_OP_HARD_SWISH && chance(g, 50)) {
        g->m->ops[g->m->n_ops - 1].has_options = 0;
    }
    if (g->m->tensors[in].type != XTML_DTYPE_INT8) {
        return;
    }
    si = t_scale(g->m, in);
    switch (builtin) {
    case XTML_OP_LOGISTIC: {
        float s = chance(g, 90) ? 1.0f / 256.0f : rand_scale(g);
        int32_t z = chance(g, 95) ? -128 : rand_zp(g);
        quant1(g, out, s, z);
        break;
    }
    case XTML_OP_TANH: {
        float s = chance(g, 90) ? 1.0f / 128.0f : rand_scale(g);
        int32_t z = chance(g, 90) ? 0 : rand_zp(g);
        quant1(g, out, s, z);
        break;
    }
    case XTML_OP_RELU6:
        if (chance(g, 70)) {
            quant_copy(g, out, in);
        } else {
            quant_random(g, out);
        }
        break;
    case XTML_OP_HARD_SWISH:
        quant_zp(g, out, si * mantissa_pow2(g, 64, -6, 2));
        break;
    default:
        quant_zp(g, out, chance(g, 50) ? si : si * mantissa_pow2(g, 64, -4, 4));
        break;
    }
}

static void gen_softmax(gen_t *g) {
    int32_t in, out;
    xtml_gen_op_t *op;
    bool out16;
    float beta;
    in = get_act(g, T_COMPUTE, -1, false, XTML_DTYPE_INT8);
    if (g->full) {
        return;
    }
    if (g->m->tensors[in].ndim == 0 && chance(g, 90)) {
        int32_t d = range(g, 1, 40);
        in = new_input(g, g->m->tensors[in].type, 1, &d);
    }
    if (g->full) {
        return;
    }
    out16 = g->m->tensors[in].type == XTML_DTYPE_INT8 && chance(g, 12);
    op = new_op(g, XTML_OP_SOFTMAX, XTML_OPTS_SOFTMAX);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    out = new_out(g, op, out16 ? XTML_DTYPE_INT16 : g->m->tensors[in].type, g->m->tensors[in].ndim,
                  g->m->tensors[in].dims);
    if (g->full) {
        return;
    }
    if (out16) {
        quant1(g, out, 1.0f / 65536.0f, -32768);
    } else if (g->m->tensors[in].type == XTML_DTYPE_INT8) {
        if (chance(g, 95)) {
            quant1(g, out, 1.0f / 256.0f, -128);
        } else {
            quant_random(g, out);
        }
    }
    switch (pick(g, 40)) {
    case 0: beta = 0.0f; break;
    case 1: beta = 1e-6f; break;
    case 2: beta = 1e6f; break;
    default: beta = (float)range(g, 1, 64) / 16.0f; break;
    }
    opt_f(op, 0, beta);
}

static void gen_quantize(gen_t *g, bool dequantize) {
    int32_t in, out;
    xtml_gen_op_t *op;
    if (dequantize) {
        in = get_act(g, T_S8, -1, false, XTML_DTYPE_INT8);
    } else {
        in = get_act(g, T_COMPUTE, -1, false, XTML_DTYPE_FLOAT32);
    }
    if (g->full) {
        return;
    }
    op = new_op(g, dequantize ? XTML_OP_DEQUANTIZE : XTML_OP_QUANTIZE,
                (uint8_t)(chance(g, 50) ? (dequantize ? XTML_OPTS_DEQUANTIZE : XTML_OPTS_QUANTIZE) : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    out = new_out(g, op, dequantize ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT8, g->m->tensors[in].ndim,
                  g->m->tensors[in].dims);
    if (!dequantize && !g->full) {
        float s = g->m->tensors[in].type == XTML_DTYPE_INT8 ? t_scale(g->m, in) * mantissa_pow2(g, 64, -5, 5)
                                                            : rand_scale(g);
        quant_zp(g, out, chance(g, 95) ? s : rand_scale(g));
    }
}

static void gen_reshape(gen_t *g, int32_t builtin) {
    int32_t in = get_act(g, T_MOVE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], out, axis;
    uint32_t ondim = 0, i;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (builtin == XTML_OP_RESHAPE) {
        int32_t spec[XTML_GEN_MAX_RANK];
        int32_t sdim[1];
        uint32_t how = pick(g, 4);
        ondim = pick(g, 7);
        if (ondim == 0 && tensor_count(x) != 1) {
            ondim = 1;
        }
        if (ondim == 0 && how == 0) {
            how = 3;   /* a shape tensor of no elements has no data: it would not be constant */
        }
        factor_shape(g, tensor_count(x), ondim, odims);
        memcpy(spec, odims, sizeof spec);
        if (ondim > 0 && tensor_count(x) > 0 && chance(g, 30)) {
            spec[pick(g, ondim)] = -1;
        }
        op = new_op(g, XTML_OP_RESHAPE, (uint8_t)(how == 1 ? XTML_OPTS_RESHAPE : 0));
        if (op == NULL) {
            return;
        }
        op_in(op, in);
        sdim[0] = (int32_t)ondim;
        if (how == 0) {
            op_in(op, new_const_ints(g, 1, sdim, spec, false));
        } else if (how == 1) {
            opt_v(g, op, 0, spec, ondim);
        } else if (how == 2 && chance(g, 50)) {
            /* A shape input that is not constant: the output's shape rules. */
            op_in(op, new_input(g, XTML_DTYPE_INT32, 1, sdim));
        }
    } else if (builtin == XTML_OP_SQUEEZE) {
        int32_t sq[XTML_GEN_MAX_RANK];
        uint32_t nsq = 0;
        bool listed = chance(g, 60);
        op = new_op(g, XTML_OP_SQUEEZE, XTML_OPTS_SQUEEZE);
        if (op == NULL) {
            return;
        }
        op_in(op, in);
        for (i = 0; listed && i < x->ndim; i++) {
            if (x->dims[i] == 1 && chance(g, 60)) {
                sq[nsq++] = chance(g, 30) ? (int32_t)i - (int32_t)x->ndim : (int32_t)i;
            }
        }
        /* An empty list squeezes every dimension of size 1. */
        listed = listed && nsq > 0;
        for (i = 0; i < x->ndim; i++) {
            bool drop = x->dims[i] == 1 && (!listed || list_has32(sq, nsq, (int32_t)i) ||
                                            list_has32(sq, nsq, (int32_t)i - (int32_t)x->ndim));
            if (!drop) {
                odims[ondim++] = x->dims[i];
            }
        }
        if (listed) {
            opt_v(g, op, 0, sq, nsq);
        } else if (chance(g, 50)) {
            op->has_options = 0;
        }
    } else {
        if (x->ndim >= 6) {
            return;
        }
        axis = range(g, 0, (int32_t)x->ndim);
        op = new_op(g, XTML_OP_EXPAND_DIMS, (uint8_t)(chance(g, 50) ? XTML_OPTS_EXPAND_DIMS : 0));
        if (op == NULL) {
            return;
        }
        op_in(op, in);
        op_in(op, const_scalar(g, chance(g, 30) ? axis - (int32_t)x->ndim - 1 : axis, false));
        for (i = 0; i <= x->ndim; i++) {
            odims[i] = (int32_t)i < axis ? x->dims[i] : (int32_t)i == axis ? 1 : x->dims[i - 1];
        }
        ondim = x->ndim + 1u;
    }
    out = new_out(g, op, x->type, ondim, odims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

static void gen_shape(gen_t *g) {
    int32_t in = get_act(g, T_MOVE, -1, false, XTML_DTYPE_INT8);
    xtml_gen_op_t *op;
    int32_t n;
    uint8_t type = chance(g, 80) ? XTML_DTYPE_INT32 : XTML_DTYPE_INT64;
    if (g->full) {
        return;
    }
    op = new_op(g, XTML_OP_SHAPE, XTML_OPTS_SHAPE);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    n = g->m->tensors[in].ndim;
    new_out(g, op, type, 1, &n);
    if (chance(g, 50)) {
        opt_b(op, 0, type);
    }
}

static void gen_transpose(gen_t *g) {
    int32_t in = get_act(g, T_MOVE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t perm[XTML_GEN_MAX_RANK], odims[XTML_GEN_MAX_RANK], out, r;
    uint32_t i;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    for (i = 0; i < x->ndim; i++) {
        perm[i] = (int32_t)i;
    }
    for (i = x->ndim; i > 1; i--) {
        uint32_t j = pick(g, i);
        int32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (i = 0; i < x->ndim; i++) {
        odims[i] = x->dims[perm[i]];
    }
    op = new_op(g, XTML_OP_TRANSPOSE, (uint8_t)(chance(g, 50) ? XTML_OPTS_TRANSPOSE : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    r = (int32_t)x->ndim;
    op_in(op, new_const_ints(g, 1, &r, perm, false));
    out = new_out(g, op, x->type, x->ndim, odims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

static void gen_pack(gen_t *g, bool pack) {
    int32_t in = get_act(g, T_MOVE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], n, axis, i, out, raw;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (pack) {
        if (x->ndim >= 6) {
            return;
        }
        n = range(g, 1, 5);
        axis = range(g, 0, (int32_t)x->ndim);
        raw = chance(g, 30) ? axis - (int32_t)x->ndim - 1 : axis;
        op = new_op(g, XTML_OP_PACK, XTML_OPTS_PACK);
        if (op == NULL) {
            return;
        }
        op_in(op, in);
        for (i = 1; i < n; i++) {
            int32_t other = chance(g, 30) ? in : new_input(g, x->type, x->ndim, x->dims);
            if (!g->full && chance(g, 80)) {
                quant_copy(g, other, in);
            }
            op_in(op, other);
        }
        for (i = 0; i <= (int32_t)x->ndim; i++) {
            odims[i] = i < axis ? x->dims[i] : i == axis ? n : x->dims[i - 1];
        }
        out = new_out(g, op, x->type, x->ndim + 1u, odims);
        if (!g->full) {
            quant_copy(g, out, in);
        }
        opt_i(op, 0, n);
        opt_i(op, 1, raw);
        return;
    }
    if (x->ndim == 0) {
        return;
    }
    axis = (int32_t)pick(g, x->ndim);
    n = x->dims[axis];
    if (n < 1 || n > XTML_GEN_MAX_OP_IO) {
        return;
    }
    op = new_op(g, XTML_OP_UNPACK, XTML_OPTS_UNPACK);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    for (i = 0; i < (int32_t)x->ndim - 1; i++) {
        odims[i] = x->dims[i < axis ? i : i + 1];
    }
    for (i = 0; i < n; i++) {
        out = new_out(g, op, x->type, x->ndim - 1u, odims);
        if (!g->full) {
            quant_copy(g, out, in);
        }
    }
    opt_i(op, 0, n);
    opt_i(op, 1, chance(g, 30) ? axis - (int32_t)x->ndim : axis);
}

static void gen_split(gen_t *g) {
    int32_t in = get_act(g, T_MOVE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], axis, n, i, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    axis = (int32_t)pick(g, x->ndim);
    n = 1;
    for (i = XTML_GEN_MAX_OP_IO; i > 1; i--) {
        if (x->dims[axis] % i == 0 && chance(g, 40)) {
            n = i;
            break;
        }
    }
    op = new_op(g, XTML_OP_SPLIT, XTML_OPTS_SPLIT);
    if (op == NULL) {
        return;
    }
    op_in(op, const_scalar(g, chance(g, 30) ? axis - (int32_t)x->ndim : axis, false));
    op_in(op, in);
    memcpy(odims, x->dims, sizeof odims);
    odims[axis] = x->dims[axis] / n;
    for (i = 0; i < n; i++) {
        out = new_out(g, op, x->type, x->ndim, odims);
        if (!g->full) {
            quant_copy(g, out, in);
        }
    }
    if (chance(g, 70)) {
        opt_i(op, 0, n);
    } else {
        op->has_options = 0;
    }
}

static void gen_concat(gen_t *g) {
    int32_t in = get_act(g, T_MOVE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], axis, n, i, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    axis = (int32_t)pick(g, x->ndim);
    n = range(g, 1, 5);
    op = new_op(g, XTML_OP_CONCATENATION, XTML_OPTS_CONCATENATION);
    if (op == NULL) {
        return;
    }
    memcpy(odims, x->dims, sizeof odims);
    op_in(op, in);
    for (i = 1; i < n; i++) {
        int32_t d[XTML_GEN_MAX_RANK];
        int32_t other;
        memcpy(d, x->dims, sizeof d);
        d[axis] = chance(g, 20) ? 0 : range(g, 1, 6);
        other = chance(g, 20) ? in : new_input(g, x->type, x->ndim, d);
        if (g->full) {
            return;
        }
        if (other != in && chance(g, 95)) {
            g->m->tensors[other].n_scales = 0;
            g->m->tensors[other].n_zero_points = 0;
            quant_copy(g, other, in);
        }
        odims[axis] += g->m->tensors[other].dims[axis];
        op_in(op, other);
    }
    out = new_out(g, op, x->type, x->ndim, odims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
    opt_i(op, 0, chance(g, 30) ? axis - (int32_t)x->ndim : axis);
    if (chance(g, 40)) {
        opt_b(op, 1, chance(g, 95) ? 0 : 1);
    }
}

static void gen_pad(gen_t *g, bool v2) {
    int32_t in = get_act(g, T_PAD, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t pads[2 * XTML_GEN_MAX_RANK], odims[XTML_GEN_MAX_RANK], pdims[2], out;
    uint32_t i;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim > 6) {
        return;
    }
    for (i = 0; i < x->ndim; i++) {
        pads[2 * i] = chance(g, 50) ? 0 : range(g, 0, 3);
        pads[2 * i + 1] = chance(g, 50) ? 0 : range(g, 0, 3);
        odims[i] = x->dims[i] + pads[2 * i] + pads[2 * i + 1];
    }
    if (dims_count(odims, x->ndim) > GEN_MAX_ELEMS) {
        return;
    }
    op = new_op(g, v2 ? XTML_OP_PADV2 : XTML_OP_PAD, (uint8_t)(chance(g, 50) ? (v2 ? XTML_OPTS_PADV2 : XTML_OPTS_PAD) : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    pdims[0] = (int32_t)x->ndim;
    pdims[1] = 2;
    op_in(op, new_const_ints(g, 2, pdims, pads, true));
    out = new_out(g, op, x->type, x->ndim, odims);
    if (g->full) {
        return;
    }
    if (x->type == XTML_DTYPE_INT8) {
        if (chance(g, 80)) {
            quant_copy(g, out, in);
        } else {
            quant_random(g, out);
        }
    }
    if (v2 && chance(g, 85)) {
        int32_t one = 1;
        int32_t value = chance(g, 80) ? new_const(g, x->type, chance(g, 50) ? 0 : 1, &one, FILL_RANDOM)
                                      : new_input(g, x->type, 0, NULL);
        if (!g->full && x->type == XTML_DTYPE_INT8) {
            g->m->tensors[value].n_scales = 0;
            g->m->tensors[value].n_zero_points = 0;
            if (chance(g, 95)) {
                quant_copy(g, value, out);
            } else {
                quant_random(g, value);
            }
        }
        op_in(op, value);
    }
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static void gen_strided_slice(gen_t *g) {
    int32_t in = get_act(g, T_SLICE, -1, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t begin[XTML_GEN_MAX_RANK], end[XTML_GEN_MAX_RANK], stride[XTML_GEN_MAX_RANK];
    int32_t odims[XTML_GEN_MAX_RANK], vdim, out;
    uint32_t begin_mask = 0, end_mask = 0, shrink = 0, ondim = 0, a;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0 || x->ndim > 6) {
        return;
    }
    for (a = 0; a < x->ndim; a++) {
        int32_t size = x->dims[a];
        int32_t s = chance(g, 70) ? 1 : (chance(g, 50) ? range(g, 2, 3) : -range(g, 1, 3));
        int32_t start, stop, n;
        begin[a] = range(g, -size - 1, size + 1);
        end[a] = range(g, -size - 1, size + 1);
        stride[a] = s;
        if (chance(g, 20)) {
            begin_mask |= 1u << a;
        }
        if (chance(g, 20)) {
            end_mask |= 1u << a;
        }
        /* The slice's length, as the kernel computes it. */
        start = begin[a] < 0 ? begin[a] + size : begin[a];
        start = s > 0 ? clamp32(start, 0, size) : clamp32(start, -1, size - 1);
        if (begin_mask & (1u << a)) {
            start = s > 0 ? 0 : size - 1;
        }
        if (s > 0 && start >= 0 && start < size && chance(g, 15)) {
            shrink |= 1u << a;
            continue;
        }
        stop = end[a] < 0 ? end[a] + size : end[a];
        stop = s > 0 ? clamp32(stop, 0, size) : clamp32(stop, -1, size - 1);
        if (end_mask & (1u << a)) {
            stop = s > 0 ? size : -1;
        }
        if (s > 0) {
            n = stop > start ? (stop - start + s - 1) / s : 0;
        } else {
            n = start > stop ? (start - stop - s - 1) / -s : 0;
        }
        odims[ondim++] = n;
    }
    op = new_op(g, XTML_OP_STRIDED_SLICE, XTML_OPTS_STRIDED_SLICE);
    if (op == NULL) {
        return;
    }
    vdim = (int32_t)x->ndim;
    op_in(op, in);
    op_in(op, new_const_ints(g, 1, &vdim, begin, true));
    op_in(op, new_const_ints(g, 1, &vdim, end, true));
    op_in(op, new_const_ints(g, 1, &vdim, stride, true));
    out = new_out(g, op, x->type, ondim, odims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
    opt_i(op, 0, (int32_t)begin_mask);
    opt_i(op, 1, (int32_t)end_mask);
    if (chance(g, 3)) {
        opt_i(op, 2, 1);   /* ellipsis: refused */
    }
    if (shrink != 0 || chance(g, 20)) {
        opt_i(op, 4, (int32_t)shrink);
    }
}

static void gen_resize(gen_t *g) {
    int32_t in = get_act(g, T_RESIZE, 4, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t size[2], two = 2, odims[4], out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    size[0] = chance(g, 50) ? x->dims[1] * range(g, 1, 3) : range(g, 1, 16);
    size[1] = chance(g, 50) ? x->dims[2] * range(g, 1, 3) : range(g, 1, 16);
    if ((int64_t)x->dims[0] * size[0] * size[1] * x->dims[3] > GEN_MAX_ELEMS) {
        return;
    }
    op = new_op(g, XTML_OP_RESIZE_NEAREST_NEIGHBOR, XTML_OPTS_RESIZE_NEAREST_NEIGHBOR);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, new_const_ints(g, 1, &two, size, false));
    odims[0] = x->dims[0];
    odims[1] = size[0];
    odims[2] = size[1];
    odims[3] = x->dims[3];
    out = new_out(g, op, x->type, 4, odims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
    switch (pick(g, 4)) {
    case 0: op->has_options = 0; break;
    case 1: opt_b(op, 0, 1); break;
    case 2: opt_b(op, 1, 1); break;
    default: opt_b(op, 0, (int32_t)pick(g, 2)); opt_b(op, 1, (int32_t)pick(g, 2)); break;
    }
}

static void gen_reduce(gen_t *g, bool arg_max) {
    int32_t in = get_act(g, T_COMPUTE, -1, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], axes[XTML_GEN_MAX_RANK], out, nax;
    uint32_t ondim = 0, i;
    bool keep, reduced[XTML_GEN_MAX_RANK];
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    if (arg_max) {
        int32_t a = (int32_t)pick(g, x->ndim);
        uint8_t otype = chance(g, 70) ? XTML_DTYPE_INT32 : XTML_DTYPE_INT64;
        op = new_op(g, XTML_OP_ARG_MAX, XTML_OPTS_ARG_MAX);
        if (op == NULL) {
            return;
        }
        op_in(op, in);
        op_in(op, const_scalar(g, chance(g, 30) ? a - (int32_t)x->ndim : a, true));
        for (i = 0; i < x->ndim; i++) {
            if ((int32_t)i != a) {
                odims[ondim++] = x->dims[i];
            }
        }
        new_out(g, op, otype, ondim, odims);
        if (chance(g, 50)) {
            opt_b(op, 0, otype);
        }
        return;
    }
    memset(reduced, 0, sizeof reduced);
    nax = range(g, chance(g, 5) ? 0 : 1, (int32_t)x->ndim);
    for (i = 0; i < (uint32_t)nax; i++) {
        int32_t a = (int32_t)pick(g, x->ndim);
        reduced[a] = true;
        axes[i] = chance(g, 25) ? a - (int32_t)x->ndim : a;
    }
    keep = chance(g, 50);
    for (i = 0; i < x->ndim; i++) {
        if (!reduced[i]) {
            odims[ondim++] = x->dims[i];
        } else if (keep) {
            odims[ondim++] = 1;
        }
    }
    op = new_op(g, XTML_OP_MEAN, XTML_OPTS_REDUCER);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    if (nax == 1 && chance(g, 40)) {
        op_in(op, new_const_ints(g, 0, NULL, axes, false));
    } else {
        op_in(op, new_const_ints(g, 1, &nax, axes, false));
    }
    out = new_out(g, op, x->type, ondim, odims);
    if (!g->full && x->type == XTML_DTYPE_INT8) {
        quant_zp(g, out, chance(g, 50) ? t_scale(g->m, in) : rand_scale(g));
    }
    if (keep || chance(g, 50)) {
        opt_b(op, 0, keep);
    }
}

/* ---- the operators of issue 14 ---- */

/* A constant int32 or int64 tensor holding `values` (one type for tensors that must agree). */
static int32_t const_ints_as(gen_t *g, uint32_t ndim, const int32_t *dims, const int32_t *values, bool i64) {
    int32_t t = new_tensor(g, i64 ? XTML_DTYPE_INT64 : XTML_DTYPE_INT32, ndim, dims);
    uint64_t n;
    uint32_t b, i;
    if (g->full) {
        return 0;
    }
    n = (uint64_t)dims_count(dims, ndim);
    if (n == 0) {
        return t;
    }
    b = buffer_new(g->m, (uint32_t)(n * (i64 ? 8 : 4)));
    if (b == 0) {
        g->full = true;
        return t;
    }
    for (i = 0; i < n; i++) {
        uint8_t *p = g->m->pool + g->m->buffers[b].at;
        if (i64) {
            st_u64(p + 8 * i, (uint64_t)(int64_t)values[i]);
        } else {
            st_u32(p + 4 * i, (uint32_t)values[i]);
        }
    }
    g->m->tensors[t].buffer = b;
    return t;
}

/* Index data: in [0, bound), or (bad) just outside or at an int32 edge. */
static int32_t rand_index(gen_t *g, int32_t bound, bool bad) {
    if (!bad && bound > 0) {
        return (int32_t)pick(g, (uint32_t)bound);
    }
    switch (pick(g, 4)) {
    case 0: return -1;
    case 1: return bound;
    case 2: return INT32_MAX;
    default: return INT32_MIN;
    }
}

/*
 * An int32 index tensor of `ndim` dims: mostly a constant of valid indices,
 * sometimes a graph input (its values are random bytes: the invoke must
 * refuse an index out of range and leave everything intact).
 */
static int32_t index_tensor(gen_t *g, uint32_t ndim, const int32_t *dims, const int32_t *bounds, uint32_t n_bounds) {
    int32_t values[256];
    int64_t n = dims_count(dims, ndim), i, bad = -1;
    if (n > 256 || chance(g, 5)) {
        return new_input(g, XTML_DTYPE_INT32, ndim, dims);
    }
    if (n > 0 && chance(g, 4)) {
        bad = (int64_t)pick(g, (uint32_t)n);   /* one index out of range: the invoke fails */
    }
    for (i = 0; i < n; i++) {
        values[i] = rand_index(g, bounds[(uint32_t)i % n_bounds], i == bad);
    }
    return const_ints_as(g, ndim, dims, values, false);
}

/* Is t written by an operator? */
static bool op_output(const xtml_gen_model_t *m, int32_t t) {
    uint32_t k;
    for (k = 0; k < m->n_ops; k++) {
        if (list_has32(m->ops[k].outputs, m->ops[k].n_outputs, t)) {
            return true;
        }
    }
    return false;
}

/* Per-tensor quantization (zero point 0) for a graph input or constant that has none;
 * an operator's output keeps what its operator gave it. */
static void quant_if_missing(gen_t *g, int32_t t) {
    if (g->m->tensors[t].n_scales == 0 && !op_output(g->m, t)) {
        quant1(g, t, rand_scale(g), 0);
    }
}

/* A block size: mostly 1-4, at times an edge the core must refuse without overflowing. */
static int32_t rand_block(gen_t *g) {
    static const int32_t edge[] = { 0, -1, 65535, 65536, 46341, INT32_MAX, INT32_MIN };
    return chance(g, 96) ? range(g, 1, 4) : edge[pick(g, sizeof edge / sizeof edge[0])];
}

/* Move the bytes of int8 constant t that sit at its zero point one step off it. */
static void avoid_zero_point(gen_t *g, int32_t t) {
    const xtml_gen_tensor_t *x = &g->m->tensors[t];
    int32_t zp = t_zp(g->m, t);
    uint8_t *p = g->m->pool + g->m->buffers[x->buffer].at;
    uint32_t i, n = g->m->buffers[x->buffer].len;
    for (i = 0; i < n; i++) {
        if ((int32_t)(int8_t)p[i] == zp) {
            p[i] = (uint8_t)(int8_t)(zp < 127 ? zp + 1 : zp - 1);
        }
    }
}

/*
 * int8 RSQRT: a fresh input, mostly at zero point -128 (an element below the
 * zero point fails the invoke); the output scale spans 1 / sqrt(input scale).
 */
static void gen_rsqrt_s8(gen_t *g) {
    int32_t dims[XTML_GEN_MAX_RANK], in, out;
    uint32_t rank = (uint32_t)range(g, 1, 4);
    xtml_gen_op_t *op;
    float si, so;
    rand_shape(g, rank, dims);
    in = new_input(g, XTML_DTYPE_INT8, rank, dims);
    if (g->full) {
        return;
    }
    si = mantissa_pow2(g, 256, -10, 0);
    quant1(g, in, si, chance(g, 85) ? -128 : rand_zp(g));
    op = new_op(g, XTML_OP_RSQRT, 0);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    out = new_out(g, op, XTML_DTYPE_INT8, rank, dims);
    if (g->full) {
        return;
    }
    so = (float)(1.0 / (sqrt((double)si) * 256.0) * ldexp(1.0, range(g, -2, 3)));
    quant_zp(g, out, chance(g, 96) ? so : rand_scale(g));
}

/* A fresh int16 graph input of rank 1-4, quantized with zero point 0. */
static int32_t new_s16_input(gen_t *g) {
    int32_t dims[XTML_GEN_MAX_RANK], t;
    uint32_t rank = (uint32_t)range(g, 1, 4);
    rand_shape(g, rank, dims);
    t = new_input(g, XTML_DTYPE_INT16, rank, dims);
    if (!g->full) {
        quant1(g, t, mantissa_pow2(g, 256, -16, -8), 0);
    }
    return t;
}

static void gen_math_unary(gen_t *g, int32_t builtin) {
    uint32_t mask = T_F32;
    uint8_t out_type = 0xff;
    int32_t in, out;
    switch (builtin) {
    case XTML_OP_ABS: mask = T_F32 | T_S8 | T_S16; break;
    case XTML_OP_LOGICAL_NOT: mask = T_BOOL; break;
    case XTML_OP_ZEROS_LIKE: mask = T_F32 | T_S8 | T_S32 | T_S64; break;
    case XTML_OP_CAST: {
        static const uint8_t outs[] = { XTML_DTYPE_FLOAT32, XTML_DTYPE_INT8, XTML_DTYPE_INT16, XTML_DTYPE_INT32,
                                        XTML_DTYPE_UINT32 };
        mask = T_F32 | T_S8 | T_S16 | T_S32 | T_U32 | T_BOOL;
        out_type = outs[pick(g, 5)];
        break;
    }
    case XTML_OP_RSQRT:
        if (chance(g, 40)) {
            gen_rsqrt_s8(g);
            return;
        }
        break;
    default: break;
    }
    out = unary_op(g, builtin, 0, mask, out_type, &in);
    if (out < 0) {
        return;
    }
    if (builtin == XTML_OP_ABS && g->m->tensors[in].n_scales > 0) {
        float si = t_scale(g->m, in);
        float so = chance(g, 50) ? si : si * mantissa_pow2(g, 64, -3, 3);
        if (g->m->tensors[in].type == XTML_DTYPE_INT16) {
            quant1(g, out, chance(g, 97) ? so : rand_scale(g), 0);
        } else {
            quant_zp(g, out, chance(g, 97) ? so : rand_scale(g));
        }
    } else if (builtin == XTML_OP_CAST || builtin == XTML_OP_ZEROS_LIKE) {
        if (g->m->tensors[out].type == XTML_DTYPE_INT8 && chance(g, 50)) {
            quant_random(g, out);
        }
    } else {
        quant_copy(g, out, in);
    }
}

/*
 * Shapes for a broadcasting operator: `a` as given, `b` with some of a's
 * dims set to 1 or dropped from the front, and where a has a 1, sometimes a
 * larger dim in b (the output grows there). Returns b's rank.
 */
static uint32_t bcast_pair(gen_t *g, const int32_t *a, uint32_t an, int32_t *b, int32_t *out) {
    uint32_t bn = bcast_shape(g, a, an, b), i;
    memcpy(out, a, an * sizeof *a);
    for (i = 0; i < bn; i++) {
        uint32_t o = an - bn + i;
        if (a[o] == 1 && chance(g, 30)) {
            b[i] = range(g, 2, 4);
            out[o] = b[i];
        }
    }
    return bn;
}

static void gen_math_binary(gen_t *g, int32_t builtin) {
    uint32_t mask;
    uint8_t type, out_type;
    int32_t a, b, c = -1, out;
    int32_t bd[XTML_GEN_MAX_RANK], cd[XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK];
    uint32_t bn, cn = 0, on;
    xtml_gen_op_t *op;
    bool select = builtin == XTML_OP_SELECT_V2;
    switch (builtin) {
    case XTML_OP_DIV: mask = T_F32 | T_S32 | T_S8; break;
    case XTML_OP_SQUARED_DIFFERENCE: mask = T_F32 | T_S32 | T_S8 | T_S16; break;
    case XTML_OP_FLOOR_DIV:
    case XTML_OP_FLOOR_MOD: mask = T_F32; break;
    case XTML_OP_EQUAL:
    case XTML_OP_NOT_EQUAL: mask = T_BOOL | T_F32 | T_S8 | T_S32 | T_S64; break;
    case XTML_OP_LOGICAL_AND:
    case XTML_OP_LOGICAL_OR: mask = T_BOOL; break;
    case XTML_OP_SELECT_V2: mask = T_F32 | T_S8 | T_S16; break;
    default: mask = T_F32 | T_S8 | T_S32 | T_S64; break;   /* LESS ... GREATER_EQUAL */
    }
    if (builtin == XTML_OP_SQUARED_DIFFERENCE && chance(g, 20)) {
        a = new_s16_input(g);
    } else {
        a = get_act(g, mask, -1, false, XTML_DTYPE_INT8);
    }
    if (g->full) {
        return;
    }
    type = g->m->tensors[a].type;
    on = g->m->tensors[a].ndim;
    {
        int32_t ad[XTML_GEN_MAX_RANK];
        memcpy(ad, g->m->tensors[a].dims, sizeof ad);
        bn = bcast_pair(g, ad, on, bd, od);
        if (select) {
            cn = bcast_shape(g, od, on, cd);
        }
    }
    if (chance(g, 8) && !select) {
        b = a;
        memcpy(od, g->m->tensors[a].dims, sizeof od);
    } else {
        bool const_b = chance(g, 40);
        if (builtin == XTML_OP_DIV && type == XTML_DTYPE_INT8 && chance(g, 80)) {
            const_b = true;   /* the invoke fails at a divisor at its zero point: keep most off it */
        }
        b = const_b ? new_const(g, type, bn, bd, FILL_RANDOM) : new_input(g, type, bn, bd);
        if (!g->full && type == XTML_DTYPE_INT8 && g->m->tensors[b].n_scales == 0) {
            quant_act(g, b, type);
        }
        if (!g->full && builtin == XTML_OP_DIV && type == XTML_DTYPE_INT8 && is_const(g->m, b)) {
            avoid_zero_point(g, b);
        }
    }
    if (!g->full && type == XTML_DTYPE_INT16 && builtin == XTML_OP_SQUARED_DIFFERENCE) {
        /* int16 needs quantization with zero point 0 on both inputs */
        quant_if_missing(g, a);
        quant_if_missing(g, b);
    }
    if (select && !g->full) {
        c = chance(g, 30) ? new_const(g, XTML_DTYPE_BOOL, cn, cd, FILL_RANDOM)
                          : new_input(g, XTML_DTYPE_BOOL, cn, cd);
    }
    if (g->full) {
        return;
    }
    if (chance(g, 30)) {
        int32_t t = a;
        a = b;
        b = t;
    }
    op = new_op(g, builtin, (uint8_t)(builtin == XTML_OP_DIV && chance(g, 80) ? XTML_OPTS_DIV : 0));
    if (op == NULL) {
        return;
    }
    if (select) {
        op_in(op, c);
    }
    op_in(op, a);
    op_in(op, b);
    out_type = (builtin == XTML_OP_DIV || builtin == XTML_OP_SQUARED_DIFFERENCE || builtin == XTML_OP_FLOOR_DIV ||
                builtin == XTML_OP_FLOOR_MOD || select)
                   ? type
                   : XTML_DTYPE_BOOL;
    out = new_out(g, op, out_type, on, od);
    if (g->full) {
        return;
    }
    if ((builtin == XTML_OP_DIV || builtin == XTML_OP_SQUARED_DIFFERENCE) &&
        (out_type == XTML_DTYPE_INT8 || out_type == XTML_DTYPE_INT16)) {
        float sa = t_scale(g->m, a), sb = t_scale(g->m, b), so;
        float smax = sa > sb ? sa : sb;
        if (builtin == XTML_OP_DIV) {
            /* a / (b x out) of 2^8 or more (the core refuses a rounding shift above 23 bits) */
            so = (float)((double)sa / ((double)sb * ldexp(1.0, range(g, 8, 14))));
        } else {
            /* the square of a difference of 2^8 (int8) or 2^16 (int16) steps, over the output's range */
            so = (float)((double)smax * smax *
                         ldexp(1.0, out_type == XTML_DTYPE_INT8 ? range(g, 4, 10) : range(g, 12, 18)));
        }
        if (chance(g, 4)) {
            so = rand_scale(g);
        }
        if (out_type == XTML_DTYPE_INT16) {
            quant1(g, out, so, 0);
        } else {
            quant_zp(g, out, so);
        }
    } else if (out_type == XTML_DTYPE_INT8) {
        quant_copy(g, out, a);
    }
    if (builtin == XTML_OP_DIV && op->has_options) {
        opt_b(op, 0, chance(g, 90) ? (int32_t)pick(g, 4) : range(g, 4, 6));
    }
}

/* FILL: a constant dims vector (int8/16/32/64) equal to the output shape, a scalar value. */
static void gen_fill(gen_t *g) {
    static const uint8_t vtypes[] = { XTML_DTYPE_FLOAT32, XTML_DTYPE_INT8, XTML_DTYPE_INT32 };
    static const uint8_t dtypes[] = { XTML_DTYPE_INT32, XTML_DTYPE_INT64, XTML_DTYPE_INT8, XTML_DTYPE_INT16 };
    uint8_t vt = vtypes[pick(g, 3)], dt = dtypes[chance(g, 70) ? 0 : pick(g, 4)];
    int32_t od[XTML_GEN_MAX_RANK], rank = range(g, 1, 4), dims, value, out, i;
    xtml_gen_op_t *op;
    uint32_t b;
    rand_shape(g, (uint32_t)rank, od);
    if (dt == XTML_DTYPE_INT8) {
        for (i = 0; i < rank; i++) {
            od[i] = od[i] > 127 ? 127 : od[i];
        }
    }
    op = new_op(g, XTML_OP_FILL, 0);
    if (op == NULL) {
        return;
    }
    dims = new_tensor(g, dt, 1, &rank);
    b = g->full ? 0 : buffer_new(g->m, (uint32_t)rank * dtype_size(dt));
    if (b == 0) {
        g->full = true;
        return;
    }
    g->m->tensors[dims].buffer = b;
    for (i = 0; i < rank; i++) {
        uint8_t *p = g->m->pool + g->m->buffers[b].at + (uint32_t)i * dtype_size(dt);
        int32_t v = od[i];
        if (chance(g, 2)) {
            v = chance(g, 50) ? -1 : v + 1;   /* disagrees with the output: refused */
        }
        switch (dt) {
        case XTML_DTYPE_INT8: *p = (uint8_t)v; break;
        case XTML_DTYPE_INT16: st_u16(p, (uint16_t)v); break;
        case XTML_DTYPE_INT64: st_u64(p, (uint64_t)(int64_t)v); break;
        default: st_u32(p, (uint32_t)v); break;
        }
    }
    value = chance(g, 60) ? new_input(g, vt, 0, NULL) : new_const(g, vt, 0, NULL, FILL_RANDOM);
    if (g->full) {
        return;
    }
    op_in(op, dims);
    op_in(op, value);
    out = new_out(g, op, vt, (uint32_t)rank, od);
    if (!g->full && vt == XTML_DTYPE_INT8) {
        quant_copy(g, out, value);
    }
}

/* SUM, REDUCE_MAX, REDUCE_MIN: constant int32 axes (maybe none), keep_dims either way. */
static void gen_reduce2(gen_t *g, int32_t builtin) {
    uint32_t mask = builtin == XTML_OP_SUM ? (T_F32 | T_S8 | T_S16) : builtin == XTML_OP_REDUCE_ALL ? T_BOOL : T_COMPUTE;
    int32_t in = get_act(g, mask, -1, true, builtin == XTML_OP_REDUCE_ALL ? XTML_DTYPE_BOOL : XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], axes[XTML_GEN_MAX_RANK], out, nax;
    uint32_t ondim = 0, i;
    bool keep, reduced[XTML_GEN_MAX_RANK];
    if (g->full) {
        return;
    }
    if (g->m->tensors[in].type == XTML_DTYPE_INT16) {
        quant_if_missing(g, in);
    }
    x = &g->m->tensors[in];
    memset(reduced, 0, sizeof reduced);
    nax = x->ndim == 0 ? 0 : range(g, chance(g, 8) ? 0 : 1, (int32_t)x->ndim);
    for (i = 0; i < (uint32_t)nax; i++) {
        int32_t a = (int32_t)pick(g, x->ndim);
        reduced[a] = true;
        axes[i] = chance(g, 25) ? a - (int32_t)x->ndim : a;
    }
    if (nax > 0 && chance(g, 2)) {
        axes[0] = chance(g, 50) ? (int32_t)x->ndim : -(int32_t)x->ndim - 1;   /* out of range: refused */
    }
    keep = chance(g, 50);
    for (i = 0; i < x->ndim; i++) {
        if (!reduced[i]) {
            odims[ondim++] = x->dims[i];
        } else if (keep) {
            odims[ondim++] = 1;
        }
    }
    op = new_op(g, builtin, XTML_OPTS_REDUCER);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    if (nax == 1 && chance(g, 40)) {
        op_in(op, const_ints_as(g, 0, NULL, axes, false));
    } else {
        op_in(op, const_ints_as(g, 1, &nax, axes, false));
    }
    out = new_out(g, op, x->type, ondim, odims);
    if (!g->full && x->type != XTML_DTYPE_FLOAT32 && x->n_scales > 0) {
        if (builtin != XTML_OP_SUM) {
            if (chance(g, 97)) {
                quant_copy(g, out, in);
            } else {
                quant_random(g, out);
            }
        } else {
            float so = t_scale(g->m, in) * mantissa_pow2(g, 64, -2, 6);
            if (x->type == XTML_DTYPE_INT16) {
                quant1(g, out, so, 0);
            } else {
                quant_zp(g, out, chance(g, 95) ? so : rand_scale(g));
            }
        }
    }
    if (keep || chance(g, 50)) {
        opt_b(op, 0, keep);
    } else if (chance(g, 50)) {
        op->has_options = 0;
    }
}

static void gen_arg_min(gen_t *g) {
    int32_t in = get_act(g, T_COMPUTE, -1, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], a;
    uint32_t ondim = 0, i;
    uint8_t otype;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    a = (int32_t)pick(g, x->ndim);
    otype = chance(g, 70) ? XTML_DTYPE_INT32 : XTML_DTYPE_INT64;
    op = new_op(g, XTML_OP_ARG_MIN, (uint8_t)(chance(g, 70) ? XTML_OPTS_ARG_MIN : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, const_scalar(g, chance(g, 30) ? a - (int32_t)x->ndim : a, true));
    for (i = 0; i < x->ndim; i++) {
        if ((int32_t)i != a) {
            odims[ondim++] = x->dims[i];
        }
    }
    new_out(g, op, otype, ondim, odims);
    if (op->has_options && chance(g, 50)) {
        opt_b(op, 0, otype);
    }
}

static void gen_cumsum(gen_t *g) {
    int32_t in = get_act(g, T_COMPUTE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t a, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    a = (int32_t)pick(g, x->ndim);
    op = new_op(g, XTML_OP_CUMSUM, (uint8_t)(chance(g, 85) ? XTML_OPTS_CUMSUM : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, const_scalar(g, chance(g, 30) ? a - (int32_t)x->ndim : a, false));
    out = new_out(g, op, x->type, x->ndim, x->dims);
    if (!g->full && x->type == XTML_DTYPE_INT8) {
        float so = t_scale(g->m, in) * mantissa_pow2(g, 64, -3, 6);
        quant_zp(g, out, chance(g, 95) ? so : rand_scale(g));
    }
    if (op->has_options) {
        opt_b(op, 0, (int32_t)pick(g, 2));
        opt_b(op, 1, (int32_t)pick(g, 2));
    }
}

static void gen_gather(gen_t *g) {
    int32_t in = get_act(g, T_COMPUTE, -1, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t cd[XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK], axis, batch, cn, i, n = 0, coords, out;
    bool opts;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    opts = chance(g, 90);
    axis = opts ? (int32_t)pick(g, x->ndim) : 0;
    batch = !opts || chance(g, 75) ? 0 : range(g, 0, axis);
    cn = batch + range(g, 0, 2);
    if (x->ndim - 1 + cn - batch > 6) {
        return;
    }
    for (i = 0; i < cn; i++) {
        cd[i] = i < batch ? x->dims[i] : range(g, 1, 5);
    }
    for (i = 0; i < axis; i++) {
        od[n++] = x->dims[i];
    }
    for (i = batch; i < cn; i++) {
        od[n++] = cd[i];
    }
    for (i = axis + 1; i < (int32_t)x->ndim; i++) {
        od[n++] = x->dims[i];
    }
    op = new_op(g, XTML_OP_GATHER, (uint8_t)(opts ? XTML_OPTS_GATHER : 0));
    if (op == NULL) {
        return;
    }
    {
        int32_t bound = x->dims[axis];
        coords = index_tensor(g, (uint32_t)cn, cd, &bound, 1);
    }
    if (g->full) {
        return;
    }
    op_in(op, in);
    op_in(op, coords);
    out = new_out(g, op, x->type, (uint32_t)n, od);
    if (!g->full) {
        quant_copy(g, out, in);
    }
    if (op->has_options) {
        opt_i(op, 0, chance(g, 25) ? axis - (int32_t)x->ndim : axis);
        if (batch != 0 || chance(g, 30)) {
            opt_i(op, 1, chance(g, 20) ? batch - cn : batch);
        }
    }
}

static void gen_gather_nd(gen_t *g) {
    int32_t in = get_act(g, T_COMPUTE, -1, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t id[XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK], bounds[5], in_n, nd, i, n = 0, idx, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    nd = range(g, 1, x->ndim < 5 ? (int32_t)x->ndim : 5);
    in_n = range(g, 1, 3);
    for (i = 0; i + 1 < in_n; i++) {
        id[i] = range(g, 1, 4);
        od[n++] = id[i];
    }
    id[in_n - 1] = nd;
    for (i = nd; i < (int32_t)x->ndim; i++) {
        od[n++] = x->dims[i];
    }
    if (n > 6) {
        return;
    }
    for (i = 0; i < nd; i++) {
        bounds[i] = x->dims[i];
    }
    op = new_op(g, XTML_OP_GATHER_ND, (uint8_t)(chance(g, 50) ? XTML_OPTS_GATHER_ND : 0));
    if (op == NULL) {
        return;
    }
    idx = index_tensor(g, (uint32_t)in_n, id, bounds, (uint32_t)nd);
    if (g->full) {
        return;
    }
    op_in(op, in);
    op_in(op, idx);
    out = new_out(g, op, x->type, (uint32_t)n, od);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

static void gen_embedding_lookup(gen_t *g) {
    int32_t td[XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK], tn = range(g, 2, 3), n = range(g, 1, 6);
    int32_t table, ids, out, i, rows;
    uint8_t type = chance(g, 50) ? XTML_DTYPE_INT8 : XTML_DTYPE_FLOAT32, otype = type;
    xtml_gen_op_t *op;
    rand_shape_pos(g, (uint32_t)tn, td);
    td[0] = range(g, 1, 12);
    rows = td[0];
    if (type == XTML_DTYPE_INT8 && chance(g, 40)) {
        otype = XTML_DTYPE_FLOAT32;   /* hybrid: dequantized rows */
    }
    op = new_op(g, XTML_OP_EMBEDDING_LOOKUP, 0);
    if (op == NULL) {
        return;
    }
    ids = index_tensor(g, 1, &n, &rows, 1);
    table = chance(g, 80) ? new_const(g, type, (uint32_t)tn, td, FILL_WEIGHTS) : new_input(g, type, (uint32_t)tn, td);
    if (g->full) {
        return;
    }
    if (type == XTML_DTYPE_INT8) {
        g->m->tensors[table].n_scales = 0;
        g->m->tensors[table].n_zero_points = 0;
        float s = rand_scale(g);
        int32_t z = otype == XTML_DTYPE_FLOAT32 && chance(g, 95) ? 0 : rand_zp(g);
        quant1(g, table, s, z);
    }
    od[0] = n;
    for (i = 1; i < tn; i++) {
        od[i] = td[i];
    }
    op_in(op, ids);
    op_in(op, table);
    out = new_out(g, op, otype, (uint32_t)tn, od);
    if (!g->full && otype == XTML_DTYPE_INT8) {
        quant_copy(g, out, table);
    }
}

static void gen_slice(gen_t *g) {
    int32_t in = get_act(g, T_SLICE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t begin[XTML_GEN_MAX_RANK], size[XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK], r, a, out;
    bool i64;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0 || x->ndim > 5) {
        return;
    }
    for (a = 0; a < (int32_t)x->ndim; a++) {
        int32_t d = x->dims[a];
        begin[a] = range(g, 0, d);
        od[a] = range(g, 0, d - begin[a]);
        size[a] = chance(g, 20) ? -1 : od[a];
        if (size[a] == -1) {
            od[a] = d - begin[a];
        }
        if (chance(g, 2)) {
            begin[a] = chance(g, 50) ? -1 : d + 1;   /* out of range: refused */
        }
    }
    op = new_op(g, XTML_OP_SLICE, (uint8_t)(chance(g, 50) ? XTML_OPTS_SLICE : 0));
    if (op == NULL) {
        return;
    }
    r = (int32_t)x->ndim;
    i64 = chance(g, 20);
    op_in(op, in);
    op_in(op, const_ints_as(g, 1, &r, begin, i64));
    op_in(op, const_ints_as(g, 1, &r, size, i64));
    out = new_out(g, op, x->type, x->ndim, od);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

static void gen_space_to_depth(gen_t *g, bool to_depth) {
    int32_t in = get_nhwc(g, T_COMPUTE);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t b, od[4], out, t;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    b = rand_block(g);
    if (b >= 1 && b <= 4) {
        /* Mostly a block the shape divides by. */
        for (t = 0; t < 4 && !(to_depth ? (x->dims[1] % b == 0 && x->dims[2] % b == 0) : x->dims[3] % (b * b) == 0); t++) {
            b = chance(g, 80) ? (b > 1 ? b - 1 : 1) : b;
        }
    }
    od[0] = x->dims[0];
    if (b < 1 || b > 4) {
        od[1] = x->dims[1];
        od[2] = x->dims[2];
        od[3] = x->dims[3];
    } else if (to_depth) {
        od[1] = x->dims[1] / b;
        od[2] = x->dims[2] / b;
        od[3] = x->dims[3] * b * b;
    } else {
        od[1] = x->dims[1] * b;
        od[2] = x->dims[2] * b;
        od[3] = x->dims[3] / (b * b);
    }
    op = new_op(g, to_depth ? XTML_OP_SPACE_TO_DEPTH : XTML_OP_DEPTH_TO_SPACE,
                to_depth ? XTML_OPTS_SPACE_TO_DEPTH : XTML_OPTS_DEPTH_TO_SPACE);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    out = new_out(g, op, x->type, 4, od);
    if (!g->full) {
        quant_copy(g, out, in);
    }
    opt_i(op, 0, b);
}

static void gen_space_to_batch(gen_t *g, bool to_batch) {
    int32_t in = get_act(g, T_COMPUTE, chance(g, 75) ? 4 : 3, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t bs[2] = { 1, 1 }, pd[4] = { 0, 0, 0, 0 }, od[4], nsp, i, out, two[2];
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    nsp = (int32_t)x->ndim - 2;
    for (i = 0; i < nsp; i++) {
        bs[i] = rand_block(g);
    }
    od[0] = x->dims[0];
    od[x->ndim - 1] = x->dims[x->ndim - 1];
    for (i = 0; i < nsp; i++) {
        int32_t d = x->dims[1 + i], b = bs[i] >= 1 && bs[i] <= 4 ? bs[i] : 1;
        if (to_batch) {
            int32_t total = d + range(g, 0, 3);
            total += (b - total % b) % b;    /* a multiple of the block */
            pd[2 * i] = range(g, 0, total - d);
            pd[2 * i + 1] = total - d - pd[2 * i];
            od[1 + i] = total / b;
        } else {
            int32_t crop = range(g, 0, d * b);
            crop = chance(g, 60) ? 0 : crop;
            pd[2 * i] = range(g, 0, crop);
            pd[2 * i + 1] = crop - pd[2 * i];
            od[1 + i] = d * b - crop;
        }
        if (chance(g, 2)) {
            pd[2 * i] = -1;   /* refused */
        }
    }
    if (to_batch) {
        od[0] = x->dims[0] * (bs[0] >= 1 && bs[0] <= 4 ? bs[0] : 1) * (nsp == 2 && bs[1] >= 1 && bs[1] <= 4 ? bs[1] : 1);
    } else {
        int32_t prod = (bs[0] >= 1 && bs[0] <= 4 ? bs[0] : 1) * (nsp == 2 && bs[1] >= 1 && bs[1] <= 4 ? bs[1] : 1);
        if (x->dims[0] % prod != 0 && chance(g, 90)) {
            /* The batch must split into the blocks: use a fresh input that does. */
            int32_t dims[4];
            memcpy(dims, x->dims, sizeof dims);
            dims[0] = prod * range(g, 1, 2);
            in = new_input(g, x->type, x->ndim, dims);
            if (g->full) {
                return;
            }
            x = &g->m->tensors[in];
        }
        od[0] = x->dims[0] / prod;
    }
    if ((int64_t)od[0] * od[1] * (x->ndim == 4 ? od[2] : 1) * od[x->ndim - 1] > GEN_MAX_ELEMS) {
        return;
    }
    op = new_op(g, to_batch ? XTML_OP_SPACE_TO_BATCH_ND : XTML_OP_BATCH_TO_SPACE_ND,
                (uint8_t)(chance(g, 50) ? (to_batch ? XTML_OPTS_SPACE_TO_BATCH_ND : XTML_OPTS_BATCH_TO_SPACE_ND) : 0));
    if (op == NULL) {
        return;
    }
    two[0] = nsp;
    two[1] = 2;
    op_in(op, in);
    op_in(op, const_ints_as(g, 1, &nsp, bs, false));
    op_in(op, const_ints_as(g, 2, two, pd, false));
    out = new_out(g, op, x->type, x->ndim, od);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

static void gen_mirror_pad(gen_t *g) {
    int32_t in = get_act(g, T_COMPUTE, -1, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t pads[2 * XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK], pdims[2], mode, out;
    uint32_t i;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0 || x->ndim > 6) {
        return;
    }
    mode = chance(g, 97) ? (int32_t)pick(g, 2) : 2;
    for (i = 0; i < x->ndim; i++) {
        int32_t most = x->dims[i] - (mode == 0 ? 1 : 0);
        most = most > 3 ? 3 : most;
        pads[2 * i] = chance(g, 40) ? 0 : range(g, 0, most);
        pads[2 * i + 1] = chance(g, 40) ? 0 : range(g, 0, most);
        if (chance(g, 2)) {
            pads[2 * i] = x->dims[i] + 1;   /* too wide: refused */
        }
        od[i] = x->dims[i] + pads[2 * i] + pads[2 * i + 1];
    }
    if (dims_count(od, x->ndim) > GEN_MAX_ELEMS) {
        return;
    }
    op = new_op(g, XTML_OP_MIRROR_PAD, XTML_OPTS_MIRROR_PAD);
    if (op == NULL) {
        return;
    }
    pdims[0] = (int32_t)x->ndim;
    pdims[1] = 2;
    op_in(op, in);
    op_in(op, new_const_ints(g, 2, pdims, pads, true));
    out = new_out(g, op, x->type, x->ndim, od);
    if (!g->full) {
        quant_copy(g, out, in);
    }
    if (mode != 0 || chance(g, 50)) {
        opt_b(op, 0, mode);
    }
}

static void gen_broadcast_to(gen_t *g) {
    int32_t in = get_act(g, T_MOVE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t od[XTML_GEN_MAX_RANK], on, extra, i, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim > 5) {
        return;
    }
    extra = range(g, x->ndim == 0 ? 1 : 0, 5 - (int32_t)x->ndim);
    on = extra + (int32_t)x->ndim;
    for (i = 0; i < on; i++) {
        int32_t d = i < extra ? 1 : x->dims[i - extra];
        od[i] = d == 1 && chance(g, 50) ? range(g, 1, 4) : d;
    }
    if (chance(g, 2) && on > 0) {
        od[pick(g, (uint32_t)on)] += 1;   /* does not broadcast: refused */
    }
    if (dims_count(od, (uint32_t)on) > GEN_MAX_ELEMS) {
        return;
    }
    op = new_op(g, XTML_OP_BROADCAST_TO, (uint8_t)(chance(g, 50) ? XTML_OPTS_BROADCAST_TO : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, on > 0 ? new_const_ints(g, 1, &on, od, true) : new_input(g, XTML_DTYPE_INT32, 1, &on));
    out = new_out(g, op, x->type, (uint32_t)on, od);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

static void gen_broadcast_args(gen_t *g) {
    int32_t s1[XTML_GEN_MAX_RANK], s2[XTML_GEN_MAX_RANK], out[XTML_GEN_MAX_RANK], n1, n2, no, a, b;
    bool i64 = chance(g, 30);
    xtml_gen_op_t *op;
    n1 = range(g, 0, 5);
    rand_shape(g, (uint32_t)n1, s1);
    n2 = (int32_t)bcast_pair(g, s1, (uint32_t)n1, s2, out);
    if (chance(g, 50)) {
        int32_t t[XTML_GEN_MAX_RANK];
        memcpy(t, s1, sizeof t);
        memcpy(s1, s2, sizeof t);
        memcpy(s2, t, sizeof t);
        no = n1;
        n1 = n2;
        n2 = no;
    }
    no = n1 > n2 ? n1 : n2;
    if (chance(g, 3) && n1 > 0) {
        s1[0] = s1[0] + 7;   /* incompatible: the invoke fails */
    }
    op = new_op(g, XTML_OP_BROADCAST_ARGS, 0);
    if (op == NULL) {
        return;
    }
    a = chance(g, 92) && n1 > 0 ? const_ints_as(g, 1, &n1, s1, i64)
                                : new_input(g, i64 ? XTML_DTYPE_INT64 : XTML_DTYPE_INT32, 1, &n1);
    b = chance(g, 92) && n2 > 0 ? const_ints_as(g, 1, &n2, s2, i64)
                                : new_input(g, i64 ? XTML_DTYPE_INT64 : XTML_DTYPE_INT32, 1, &n2);
    if (g->full) {
        return;
    }
    op_in(op, a);
    op_in(op, b);
    new_out(g, op, i64 ? XTML_DTYPE_INT64 : XTML_DTYPE_INT32, 1, &no);
    (void)out;
}

static void gen_resize_bilinear(gen_t *g) {
    int32_t in = get_act(g, T_COMPUTE, 4, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t size[2], two = 2, odims[4], out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    size[0] = chance(g, 50) ? x->dims[1] * range(g, 1, 3) : range(g, 1, 16);
    size[1] = chance(g, 50) ? x->dims[2] * range(g, 1, 3) : range(g, 1, 16);
    if (chance(g, 2)) {
        size[0] = 0;
    }
    if ((int64_t)x->dims[0] * size[0] * size[1] * x->dims[3] > GEN_MAX_ELEMS) {
        return;
    }
    op = new_op(g, XTML_OP_RESIZE_BILINEAR, (uint8_t)(chance(g, 85) ? XTML_OPTS_RESIZE_BILINEAR : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, new_const_ints(g, 1, &two, size, false));
    odims[0] = x->dims[0];
    odims[1] = size[0];
    odims[2] = size[1];
    odims[3] = x->dims[3];
    out = new_out(g, op, x->type, 4, odims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
    if (op->has_options) {
        switch (pick(g, 5)) {
        case 0: break;
        case 1: opt_b(op, 2, 1); break;
        case 2: opt_b(op, 3, 1); break;
        case 3: opt_b(op, 2, (int32_t)pick(g, 2)); opt_b(op, 3, chance(g, 90) ? 0 : 1); break;
        default: opt_i(op, 0, size[0]); opt_i(op, 1, size[1]); opt_b(op, 3, (int32_t)pick(g, 2)); break;
        }
    }
}

static void gen_batch_matmul(gen_t *g) {
    int32_t x = get_act(g, T_F32 | T_S8 | T_S16, -1, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *xt;
    xtml_gen_op_t *op;
    int32_t xd[XTML_GEN_MAX_RANK], yd[XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK];
    int32_t xn, yn, rank, m, k, n, i, y, out;
    bool adj_x, adj_y;
    uint8_t type;
    if (g->full) {
        return;
    }
    xt = &g->m->tensors[x];
    type = xt->type;
    xn = (int32_t)xt->ndim;
    if (xn < 2 || xn > 5) {
        xn = range(g, 2, 4);
        rand_shape_pos(g, (uint32_t)xn, xd);
        x = new_input(g, type, (uint32_t)xn, xd);
        if (g->full) {
            return;
        }
        xt = &g->m->tensors[x];
    }
    memcpy(xd, xt->dims, sizeof xd);
    adj_x = chance(g, 25);
    adj_y = chance(g, 25);
    m = adj_x ? xd[xn - 1] : xd[xn - 2];
    k = adj_x ? xd[xn - 2] : xd[xn - 1];
    n = range(g, 1, 8);
    if ((int64_t)dims_count(xd, (uint32_t)xn) * n > 400000) {
        return;
    }
    /* y: batch dims broadcasting against x's, then [k, n] or [n, k]. */
    yn = chance(g, 70) ? xn : range(g, 2, xn);
    for (i = 0; i < yn - 2; i++) {
        int32_t xi = xn - yn + i;
        yd[i] = chance(g, 25) ? 1 : xd[xi];
        if (xd[xi] == 1 && chance(g, 30)) {
            yd[i] = range(g, 2, 3);
        }
    }
    yd[yn - 2] = adj_y ? n : k;
    yd[yn - 1] = adj_y ? k : n;
    if (chance(g, 2)) {
        yd[yn - 2] += 1;   /* inner dimensions differ: refused */
    }
    rank = xn > yn ? xn : yn;
    for (i = 0; i < rank - 2; i++) {
        int32_t a = i - (rank - xn), b = i - (rank - yn);
        int32_t da = a >= 0 ? xd[a] : 1, db = b >= 0 ? yd[b] : 1;
        od[i] = da == 1 ? db : da;
    }
    od[rank - 2] = m;
    od[rank - 1] = n;
    op = new_op(g, XTML_OP_BATCH_MATMUL, (uint8_t)(adj_x || adj_y || chance(g, 50) ? XTML_OPTS_BATCH_MATMUL : 0));
    if (op == NULL) {
        return;
    }
    y = chance(g, 60) ? new_const(g, type, (uint32_t)yn, yd, FILL_WEIGHTS) : new_input(g, type, (uint32_t)yn, yd);
    if (g->full) {
        return;
    }
    if (type != XTML_DTYPE_FLOAT32) {
        float sx, sy = mantissa_pow2(g, 128, -9, -5);
        int32_t zy = type == XTML_DTYPE_INT16 || chance(g, 70) ? 0 : rand_zp(g);
        quant_if_missing(g, x);
        g->m->tensors[y].n_scales = 0;
        g->m->tensors[y].n_zero_points = 0;
        quant1(g, y, sy, zy);
        sx = t_scale(g->m, x);
        sy = t_scale(g->m, y);
        out = new_out(g, op, type, (uint32_t)rank, od);
        if (!g->full) {
            float so = acc_out_scale(g, sx, sy, k);
            if (type == XTML_DTYPE_INT16) {
                quant1(g, out, so, 0);
            } else {
                quant_zp(g, out, so);
            }
        }
    } else {
        out = new_out(g, op, type, (uint32_t)rank, od);
    }
    op_in(op, x);
    op_in(op, y);
    if (op->has_options) {
        if (adj_x || chance(g, 30)) {
            opt_b(op, 0, adj_x);
        }
        if (adj_y || chance(g, 30)) {
            opt_b(op, 1, adj_y);
        }
        if (chance(g, 3)) {
            opt_b(op, 2, 1);   /* asymmetric_quantize_inputs: ignored for these types */
        }
    }
}

/* SVDF: [batch, input] -> [batch, units] through a variable state tensor kept between invokes. */
static void gen_svdf(gen_t *g) {
    int32_t in = get_act(g, T_COMPUTE, 2, true, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t batch, input, rank, units, filters, memory, d[2], wf, wt, bias, state, out;
    uint8_t type, stype;
    bool is_float;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    type = x->type;
    is_float = type == XTML_DTYPE_FLOAT32;
    batch = x->dims[0];
    input = x->dims[1];
    if (batch > 8 || input > 256) {
        d[0] = range(g, 1, 3);
        d[1] = range(g, 1, 32);
        in = new_input(g, type, 2, d);
        if (g->full) {
            return;
        }
        batch = d[0];
        input = d[1];
    }
    rank = range(g, 1, 3);
    units = range(g, 1, 8);
    filters = rank * units;
    memory = range(g, 1, 10);
    stype = is_float ? XTML_DTYPE_FLOAT32 : (chance(g, 70) ? XTML_DTYPE_INT16 : XTML_DTYPE_INT8);
    op = new_op(g, XTML_OP_SVDF, XTML_OPTS_SVDF);
    if (op == NULL) {
        return;
    }
    d[0] = filters;
    d[1] = input;
    wf = new_const(g, type, 2, d, FILL_WEIGHTS);
    d[1] = memory;
    wt = new_const(g, stype, 2, d, FILL_WEIGHTS);
    bias = new_const(g, is_float ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT32, 1, &units, FILL_WEIGHTS);
    d[0] = batch;
    d[1] = filters * memory;
    state = new_tensor(g, stype, 2, d);
    if (g->full) {
        return;
    }
    g->m->tensors[state].is_variable = (uint8_t)(chance(g, 98) ? 1 : 0);
    if (!is_float) {
        float s_in, s_wf, s_wt, s_state;
        int32_t z_state;
        quant_if_missing(g, in);
        s_in = t_scale(g->m, in);
        s_wf = mantissa_pow2(g, 128, -9, -5);
        s_wt = mantissa_pow2(g, 128, -9, -5);
        s_state = (float)((double)s_in * s_wf * ldexp(1.0, range(g, 2, 7)));
        z_state = stype == XTML_DTYPE_INT8 && chance(g, 30) ? rand_zp(g) : 0;
        quant1(g, wf, s_wf, 0);
        quant1(g, wt, s_wt, 0);
        quant1(g, state, s_state, z_state);
        quant1(g, bias, chance(g, 97) ? s_state * s_wt : rand_scale(g), 0);
    }
    op_in(op, in);
    op_in(op, wf);
    op_in(op, wt);
    op_in(op, chance(g, 97) ? bias : -1);
    op_in(op, state);
    d[0] = batch;
    d[1] = units;
    out = new_out(g, op, type, 2, d);
    if (!is_float && !g->full) {
        float s_state = t_scale(g->m, state), s_wt = t_scale(g->m, wt);
        quant_zp(g, out, (float)((double)s_state * s_wt * sqrt((double)memory) * ldexp(1.0, range(g, 3, 8))));
    }
    opt_i(op, 0, chance(g, 97) ? rank : (chance(g, 50) ? 0 : rank + 1));
    opt_b(op, 1, chance(g, 90) ? (int32_t)pick(g, 4) : range(g, 4, 6));
    if (chance(g, 10)) {
        opt_b(op, 2, chance(g, 80) ? 0 : 1);
    }
}

/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM: x [steps, batch, input] (time-major) or
 * [batch, steps, input] -> [.., .., units], float32, int8 (int16 cell state)
 * or int16 (16x8), with the output and cell states as variable tensors; now
 * and then an option or an input the core must refuse.
 */
static void gen_lstm(gen_t *g) {
    static const uint8_t types[] = { XTML_DTYPE_FLOAT32, XTML_DTYPE_INT8, XTML_DTYPE_INT8, XTML_DTYPE_INT16 };
    uint8_t type = types[pick(g, 4)];
    bool is_float = type == XTML_DTYPE_FLOAT32, time_major = chance(g, 50);
    uint8_t wtype = is_float ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT8;
    uint8_t btype = is_float ? XTML_DTYPE_FLOAT32 : type == XTML_DTYPE_INT8 ? XTML_DTYPE_INT32 : XTML_DTYPE_INT64;
    uint8_t ctype = is_float ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT16;
    int32_t d[3], w[8], bias[4], in, units, batch, hid, cell, out, k;
    xtml_gen_op_t *op;
    d[0] = range(g, 1, 4);
    d[1] = range(g, 1, 3);
    d[2] = range(g, 1, 8);
    in = new_input(g, type, 3, d);
    units = range(g, 1, 8);
    batch = time_major ? d[1] : d[0];
    op = new_op(g, XTML_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, XTML_OPTS_UNIDIRECTIONAL_SEQUENCE_LSTM);
    if (g->full || op == NULL) {
        return;
    }
    for (k = 0; k < 8; k++) {
        int32_t wd[2];
        wd[0] = units;
        wd[1] = k < 4 ? d[2] : units;
        w[k] = new_const(g, wtype, 2, wd, FILL_WEIGHTS);
    }
    for (k = 0; k < 4; k++) {
        bias[k] = new_const(g, btype, 1, &units, FILL_WEIGHTS);
    }
    d[0] = batch;
    d[1] = units;
    hid = new_tensor(g, type, 2, d);
    cell = new_tensor(g, chance(g, 98) ? ctype : XTML_DTYPE_INT8, 2, d);
    if (g->full) {
        return;
    }
    g->m->tensors[hid].is_variable = (uint8_t)(chance(g, 98) ? 1 : 0);
    g->m->tensors[cell].is_variable = 1;
    if (!is_float) {
        float s_w = mantissa_pow2(g, 128, -9, -6);
        if (type == XTML_DTYPE_INT8) {
            quant_if_missing(g, in);
            float s_h = mantissa_pow2(g, 64, -9, -5);   /* one draw per statement: the order is fixed */
            quant1(g, hid, s_h, rand_zp(g));
        } else {
            quant1(g, in, mantissa_pow2(g, 64, -16, -10), 0);
            quant1(g, hid, mantissa_pow2(g, 64, -16, -12), 0);
        }
        quant1(g, cell, chance(g, 70) ? ldexpf(1.0f, -range(g, 9, 15)) : mantissa_pow2(g, 256, -15, -9), 0);
        for (k = 0; k < 8; k++) {
            quant1(g, w[k], s_w, 0);
        }
        for (k = 0; k < 4; k++) {
            quant1(g, bias[k], t_scale(g->m, in) * s_w, 0);
        }
    }
    op_in(op, in);
    for (k = 0; k < 8; k++) {
        op_in(op, k == 0 && chance(g, 2) ? -1 : w[k]);   /* no input gate: CIFG, refused */
    }
    for (k = 0; k < 3; k++) {
        op_in(op, -1);                                    /* no peephole */
    }
    for (k = 0; k < 4; k++) {
        op_in(op, bias[k]);
    }
    op_in(op, -1);                                        /* no projection */
    op_in(op, chance(g, 2) ? bias[0] : -1);               /* a projection bias: refused */
    op_in(op, hid);
    op_in(op, cell);
    for (k = 0; k < 4; k++) {
        op_in(op, -1);                                    /* no layer norm */
    }
    d[0] = time_major ? g->m->tensors[in].dims[0] : batch;
    d[1] = time_major ? batch : g->m->tensors[in].dims[1];
    d[2] = units;
    out = new_out(g, op, type, 3, d);
    if (!is_float && !g->full) {
        quant1(g, out, t_scale(g->m, hid), t_zp(g->m, hid));
    }
    opt_b(op, 0, chance(g, 95) ? XTML_ACT_TANH : (int32_t)pick(g, 6));
    if (chance(g, 30)) {
        opt_f(op, 1, chance(g, 80) ? (float)range(g, 1, 40) / 8.0f : -1.0f);
    }
    opt_b(op, 3, time_major ? 1 : 0);
}

/* PRELU: float32 with a float32 alpha, int8 / int16 with an int8 alpha that broadcasts to the input (rank <= 4). */
static void gen_prelu(gen_t *g) {
    int32_t in = chance(g, 20) ? new_s16_input(g) : get_act(g, T_F32 | T_S8 | T_S16, -1, false, XTML_DTYPE_INT8);
    int32_t alpha, out, ad[XTML_GEN_MAX_RANK], od[XTML_GEN_MAX_RANK], xd[XTML_GEN_MAX_RANK];
    uint32_t an, on;
    uint8_t type, atype;
    xtml_gen_op_t *op;
    if (g->full) {
        return;
    }
    if (g->m->tensors[in].ndim > 4 && chance(g, 90)) {
        uint32_t r = (uint32_t)range(g, 1, 4);
        rand_shape(g, r, xd);
        in = new_input(g, g->m->tensors[in].type, r, xd);
        if (g->full) {
            return;
        }
    }
    type = g->m->tensors[in].type;
    atype = type == XTML_DTYPE_FLOAT32 ? XTML_DTYPE_FLOAT32 : XTML_DTYPE_INT8;
    on = g->m->tensors[in].ndim;
    memcpy(xd, g->m->tensors[in].dims, sizeof xd);
    an = bcast_pair(g, xd, on, ad, od);
    alpha = chance(g, 80) ? new_const(g, atype, an, ad, FILL_WEIGHTS) : new_input(g, atype, an, ad);
    if (g->full) {
        return;
    }
    if (type != XTML_DTYPE_FLOAT32) {
        quant_if_missing(g, in);
        float sa = mantissa_pow2(g, 128, -9, -6);
        int32_t za = chance(g, 60) ? 0 : rand_zp(g);
        quant1(g, alpha, sa, za);
    }
    op = new_op(g, XTML_OP_PRELU, 0);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, alpha);
    out = new_out(g, op, type, on, od);
    if (g->full || type == XTML_DTYPE_FLOAT32) {
        return;
    }
    {
        float so = t_scale(g->m, in) * mantissa_pow2(g, 64, -2, 2);
        if (chance(g, 4)) {
            so = rand_scale(g);
        }
        if (type == XTML_DTYPE_INT16) {
            quant1(g, out, so, chance(g, 80) ? 0 : range(g, -300, 300));
        } else {
            quant_zp(g, out, so);
        }
    }
}

/* ADD_N: 2-5 inputs of one shape (int8: one scale and zero point), output of that shape. */
static void gen_add_n(gen_t *g) {
    int32_t first = get_act(g, T_COMPUTE, -1, false, XTML_DTYPE_INT8);
    int32_t n = chance(g, 70) ? range(g, 2, 3) : range(g, 4, 5), k, out, dims[XTML_GEN_MAX_RANK];
    int32_t ins[5];
    uint32_t rank;
    uint8_t type;
    xtml_gen_op_t *op;
    if (g->full) {
        return;
    }
    type = g->m->tensors[first].type;
    rank = g->m->tensors[first].ndim;
    memcpy(dims, g->m->tensors[first].dims, sizeof dims);
    ins[0] = first;
    for (k = 1; k < n && !g->full; k++) {
        ins[k] = chance(g, 15) ? first
                 : chance(g, 30) ? new_const(g, type, rank, dims, FILL_RANDOM)
                                 : new_input(g, type, rank, dims);
        if (!g->full && type == XTML_DTYPE_INT8 && ins[k] != first && chance(g, 97)) {
            quant_copy(g, ins[k], first);
        }
    }
    if (g->full) {
        return;
    }
    op = new_op(g, XTML_OP_ADD_N, 0);
    if (op == NULL) {
        return;
    }
    for (k = 0; k < n; k++) {
        op_in(op, ins[k]);
    }
    out = new_out(g, op, type, rank, dims);
    if (!g->full && type == XTML_DTYPE_INT8) {
        float so = t_scale(g->m, first) * ldexpf(1.0f, range(g, 0, 3));
        quant_zp(g, out, chance(g, 96) ? so : rand_scale(g));
    }
}

/* LOG_SOFTMAX (rank >= 1; int8 output 16/256, zero point 127) and
 * L2_NORMALIZATION (rank 1-4; int8 output 1/128, zero point 0). */
static void gen_normalize(gen_t *g, int32_t builtin) {
    int32_t in = get_act(g, T_COMPUTE, -1, false, XTML_DTYPE_INT8), out;
    bool l2 = builtin == XTML_OP_L2_NORMALIZATION;
    xtml_gen_op_t *op;
    uint8_t type;
    if (g->full) {
        return;
    }
    if ((g->m->tensors[in].ndim == 0 || (l2 && g->m->tensors[in].ndim > 4)) && chance(g, 90)) {
        int32_t d[2];
        d[0] = range(g, 1, 4);
        d[1] = range(g, 1, 40);
        in = new_input(g, g->m->tensors[in].type, 2, d);
        if (g->full) {
            return;
        }
    }
    type = g->m->tensors[in].type;
    op = new_op(g, builtin, (uint8_t)(l2 && chance(g, 60) ? XTML_OPTS_L2_NORM : 0));
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    out = new_out(g, op, type, g->m->tensors[in].ndim, g->m->tensors[in].dims);
    if (g->full) {
        return;
    }
    if (type == XTML_DTYPE_INT8) {
        if (chance(g, 95)) {
            quant1(g, out, l2 ? 1.0f / 128.0f : 16.0f / 256.0f, l2 ? 0 : 127);
        } else {
            quant_random(g, out);
        }
    }
    if (op->has_options) {
        opt_b(op, 0, chance(g, 95) ? 0 : rand_act(g));
    }
}

/*
 * TRANSPOSE_CONV: inputs (output shape, weights [out_c, kh, kw, in_c], input,
 * bias?). The output shape is at times a graph input: tools fill it with
 * xtml_gen_shape_input(), or with other values the invoke must refuse.
 */
static void gen_transpose_conv(gen_t *g) {
    weighted_t q;
    int32_t in = weighted_input(g, &q, true);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t kh, kw, sh, sw, padding, out_c, in_c, oh, ow;
    int32_t wdims[4], odims[4], four = 4, shape, weights, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    in_c = x->dims[3];
    kh = range(g, 1, 4);
    kw = chance(g, 70) ? kh : range(g, 1, 4);
    sh = chance(g, 40) ? 1 : range(g, 1, 3);
    sw = chance(g, 70) ? sh : range(g, 1, 3);
    padding = (int32_t)pick(g, 2);
    out_c = chance(g, 90) ? range(g, 1, 8) : range(g, 9, 64);
    /* the output size whose window count is the input size */
    if (padding == XTML_PADDING_SAME) {
        oh = x->dims[1] * sh - (int32_t)pick(g, (uint32_t)sh);
        ow = x->dims[2] * sw - (int32_t)pick(g, (uint32_t)sw);
    } else {
        oh = (x->dims[1] - 1) * sh + kh + (int32_t)pick(g, (uint32_t)sh);
        ow = (x->dims[2] - 1) * sw + kw + (int32_t)pick(g, (uint32_t)sw);
    }
    if (oh < 1 || ow < 1) {
        return;
    }
    if ((int64_t)tensor_count(x) * kh * kw * out_c > 2000000 || (int64_t)x->dims[0] * oh * ow * out_c > GEN_MAX_ELEMS) {
        return;   /* keep executions fast */
    }
    op = new_op(g, XTML_OP_TRANSPOSE_CONV, XTML_OPTS_TRANSPOSE_CONV);
    if (op == NULL) {
        return;
    }
    odims[0] = x->dims[0];
    odims[1] = oh;
    odims[2] = ow;
    odims[3] = out_c;
    wdims[0] = out_c;
    wdims[1] = kh;
    wdims[2] = kw;
    wdims[3] = in_c;
    if (g->m->n_inputs < XTML_GEN_MAX_GRAPH_IO && chance(g, 20)) {
        shape = new_tensor(g, XTML_DTYPE_INT32, 1, &four);
        if (!g->full) {
            g->m->inputs[g->m->n_inputs++] = shape;
        }
    } else {
        shape = new_const_ints(g, 1, &four, odims, false);
    }
    weights = weighted_weights(g, &q, 4, wdims, false);
    if (g->full) {
        return;
    }
    weighted_scales(g, &q, weights, chance(g, 60) ? out_c : 1, 0, 3, 0);
    op_in(op, shape);
    op_in(op, weights);
    op_in(op, in);
    (void)weighted_bias(g, op, &q, out_c, 60, 30, XTML_DTYPE_INT16, 25);
    out = new_out(g, op, q.type, 4, odims);
    weighted_output(g, &q, out, (int64_t)kh * kw * in_c, false);
    opt_b(op, 0, padding);
    opt_i(op, 1, sw);
    opt_i(op, 2, sh);
    if (chance(g, 70)) {
        opt_b(op, 3, rand_act(g));
    }
}

/* SPLIT_V: the axis cut into 1-4 random sizes (sometimes ones that do not add up: refused). */
static void gen_split_v(gen_t *g) {
    int32_t in = get_act(g, T_SLICE, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t odims[XTML_GEN_MAX_RANK], sizes[4], axis, n, i, left, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    axis = (int32_t)pick(g, x->ndim);
    n = range(g, 1, 4);
    left = x->dims[axis];
    for (i = 0; i < n; i++) {
        sizes[i] = i == n - 1 ? left : range(g, 0, left);
        left -= sizes[i];
    }
    if (chance(g, 3)) {
        sizes[0]++;
    }
    op = new_op(g, XTML_OP_SPLIT_V, XTML_OPTS_SPLIT_V);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, const_ints_as(g, 1, &n, sizes, false));
    op_in(op, const_scalar(g, chance(g, 30) ? axis - (int32_t)x->ndim : axis, false));
    memcpy(odims, x->dims, sizeof odims);
    for (i = 0; i < n; i++) {
        odims[axis] = sizes[i];
        out = new_out(g, op, x->type, x->ndim, odims);
        if (!g->full) {
            quant_copy(g, out, in);
        }
    }
    if (chance(g, 70)) {
        opt_i(op, 0, n);
    } else {
        op->has_options = 0;
    }
}

/* REVERSE_V2: a contiguous run of axes in any order (sometimes not contiguous: refused). */
static void gen_reverse(gen_t *g) {
    int32_t in = get_act(g, T_SLICE | T_S64 | T_U8, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t axes[XTML_GEN_MAX_RANK], lo, n, i, out;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    if (x->ndim == 0) {
        return;
    }
    lo = (int32_t)pick(g, x->ndim);
    n = range(g, 1, (int32_t)x->ndim - lo);
    for (i = 0; i < n; i++) {
        int32_t a = lo + i;
        axes[i] = chance(g, 25) ? a - (int32_t)x->ndim : a;
    }
    if (n > 1 && chance(g, 50)) {
        int32_t t = axes[0];
        axes[0] = axes[n - 1];
        axes[n - 1] = t;
    }
    if (n >= 2 && chance(g, 4)) {
        axes[1] = axes[0];
    }
    op = new_op(g, XTML_OP_REVERSE_V2, 0);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, const_ints_as(g, 1, &n, axes, false));
    out = new_out(g, op, x->type, x->ndim, x->dims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

/* DYNAMIC_UPDATE_SLICE: an update no larger than the operand, start indices
 * constant or a graph input (int32 or int64: out of range values are clamped). */
static void gen_update_slice(gen_t *g) {
    int32_t in = get_act(g, T_PAD, -1, false, XTML_DTYPE_INT8);
    const xtml_gen_tensor_t *x;
    xtml_gen_op_t *op;
    int32_t udims[XTML_GEN_MAX_RANK], starts[XTML_GEN_MAX_RANK], nd, i, up, st, out;
    bool i64;
    if (g->full) {
        return;
    }
    x = &g->m->tensors[in];
    nd = (int32_t)x->ndim;
    for (i = 0; i < nd; i++) {
        udims[i] = chance(g, 20) ? x->dims[i] : range(g, 0, x->dims[i]);
        starts[i] = range(g, -2, x->dims[i] + 1);
    }
    up = new_input(g, x->type, x->ndim, udims);
    if (g->full) {
        return;
    }
    quant_copy(g, up, in);
    i64 = chance(g, 30);
    if (chance(g, 50) || nd == 0) {
        st = const_ints_as(g, 1, &nd, starts, i64);
    } else {
        st = new_input(g, i64 ? XTML_DTYPE_INT64 : XTML_DTYPE_INT32, 1, &nd);
    }
    op = new_op(g, XTML_OP_DYNAMIC_UPDATE_SLICE, 0);
    if (op == NULL) {
        return;
    }
    op_in(op, in);
    op_in(op, up);
    op_in(op, st);
    out = new_out(g, op, x->type, x->ndim, x->dims);
    if (!g->full) {
        quant_copy(g, out, in);
    }
}

/* Every builtin the core runs, with how often the generator picks it. */
static const int32_t gen_ops[] = {
    XTML_OP_CONV_2D, XTML_OP_CONV_2D, XTML_OP_DEPTHWISE_CONV_2D, XTML_OP_DEPTHWISE_CONV_2D,
    XTML_OP_FULLY_CONNECTED, XTML_OP_FULLY_CONNECTED, XTML_OP_AVERAGE_POOL_2D, XTML_OP_MAX_POOL_2D,
    XTML_OP_ADD, XTML_OP_SUB, XTML_OP_MUL, XTML_OP_MAXIMUM, XTML_OP_MINIMUM, XTML_OP_SOFTMAX,
    XTML_OP_LOGISTIC, XTML_OP_TANH, XTML_OP_RELU, XTML_OP_RELU6, XTML_OP_LEAKY_RELU, XTML_OP_HARD_SWISH,
    XTML_OP_QUANTIZE, XTML_OP_DEQUANTIZE, XTML_OP_RESHAPE, XTML_OP_SQUEEZE, XTML_OP_EXPAND_DIMS,
    XTML_OP_SHAPE, XTML_OP_TRANSPOSE, XTML_OP_PACK, XTML_OP_UNPACK, XTML_OP_SPLIT, XTML_OP_CONCATENATION,
    XTML_OP_PAD, XTML_OP_PADV2, XTML_OP_STRIDED_SLICE, XTML_OP_RESIZE_NEAREST_NEIGHBOR, XTML_OP_MEAN,
    XTML_OP_ARG_MAX,
    /* issue 14 */
    XTML_OP_SVDF, XTML_OP_SVDF, XTML_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, XTML_OP_UNIDIRECTIONAL_SEQUENCE_LSTM,
    XTML_OP_ARG_MIN, XTML_OP_SUM, XTML_OP_REDUCE_MAX, XTML_OP_REDUCE_MIN,
    XTML_OP_GATHER, XTML_OP_GATHER_ND, XTML_OP_EMBEDDING_LOOKUP, XTML_OP_SLICE, XTML_OP_SPACE_TO_DEPTH,
    XTML_OP_DEPTH_TO_SPACE, XTML_OP_SPACE_TO_BATCH_ND, XTML_OP_BATCH_TO_SPACE_ND, XTML_OP_MIRROR_PAD,
    XTML_OP_BROADCAST_TO, XTML_OP_BROADCAST_ARGS, XTML_OP_CUMSUM, XTML_OP_RESIZE_BILINEAR, XTML_OP_BATCH_MATMUL,
    XTML_OP_BATCH_MATMUL, XTML_OP_ABS, XTML_OP_NEG, XTML_OP_SQRT, XTML_OP_RSQRT, XTML_OP_EXP, XTML_OP_LOG,
    XTML_OP_FLOOR, XTML_OP_CEIL, XTML_OP_ROUND, XTML_OP_LOGICAL_NOT, XTML_OP_ZEROS_LIKE, XTML_OP_CAST,
    XTML_OP_CAST, XTML_OP_FILL, XTML_OP_DIV, XTML_OP_SQUARED_DIFFERENCE, XTML_OP_EQUAL, XTML_OP_NOT_EQUAL,
    XTML_OP_LESS, XTML_OP_LESS_EQUAL, XTML_OP_GREATER, XTML_OP_GREATER_EQUAL, XTML_OP_LOGICAL_AND,
    XTML_OP_LOGICAL_OR, XTML_OP_SELECT_V2, XTML_OP_SELECT_V2,
    /* issue 16 */
    XTML_OP_FLOOR_DIV, XTML_OP_FLOOR_MOD, XTML_OP_PRELU, XTML_OP_PRELU, XTML_OP_ADD_N, XTML_OP_ELU,
    XTML_OP_LOG_SOFTMAX, XTML_OP_L2_NORMALIZATION, XTML_OP_TRANSPOSE_CONV, XTML_OP_TRANSPOSE_CONV,
    XTML_OP_DIV, XTML_OP_SQUARED_DIFFERENCE, XTML_OP_RSQRT,
    /* issue 14, the last simple builtins */
    XTML_OP_SQUARE, XTML_OP_SIN, XTML_OP_COS, XTML_OP_REDUCE_ALL, XTML_OP_SPLIT_V, XTML_OP_REVERSE_V2,
    XTML_OP_L2_POOL_2D, XTML_OP_DYNAMIC_UPDATE_SLICE,
};

static void gen_one(gen_t *g, int32_t builtin) {
    switch (builtin) {
    case XTML_OP_CONV_2D: gen_conv(g, false); break;
    case XTML_OP_DEPTHWISE_CONV_2D: gen_conv(g, true); break;
    case XTML_OP_FULLY_CONNECTED: gen_fully_connected(g); break;
    case XTML_OP_AVERAGE_POOL_2D: gen_pool(g, true, false); break;
    case XTML_OP_MAX_POOL_2D: gen_pool(g, false, false); break;
    case XTML_OP_L2_POOL_2D: gen_pool(g, false, true); break;
    case XTML_OP_ADD:
    case XTML_OP_SUB:
    case XTML_OP_MUL:
    case XTML_OP_MAXIMUM:
    case XTML_OP_MINIMUM: gen_binary(g, builtin); break;
    case XTML_OP_SOFTMAX: gen_softmax(g); break;
    case XTML_OP_QUANTIZE: gen_quantize(g, false); break;
    case XTML_OP_DEQUANTIZE: gen_quantize(g, true); break;
    case XTML_OP_RESHAPE:
    case XTML_OP_SQUEEZE:
    case XTML_OP_EXPAND_DIMS: gen_reshape(g, builtin); break;
    case XTML_OP_SHAPE: gen_shape(g); break;
    case XTML_OP_TRANSPOSE: gen_transpose(g); break;
    case XTML_OP_PACK: gen_pack(g, true); break;
    case XTML_OP_UNPACK: gen_pack(g, false); break;
    case XTML_OP_SPLIT: gen_split(g); break;
    case XTML_OP_CONCATENATION: gen_concat(g); break;
    case XTML_OP_PAD: gen_pad(g, false); break;
    case XTML_OP_PADV2: gen_pad(g, true); break;
    case XTML_OP_STRIDED_SLICE: gen_strided_slice(g); break;
    case XTML_OP_RESIZE_NEAREST_NEIGHBOR: gen_resize(g); break;
    case XTML_OP_MEAN: gen_reduce(g, false); break;
    case XTML_OP_ARG_MAX: gen_reduce(g, true); break;
    case XTML_OP_SVDF: gen_svdf(g); break;
    case XTML_OP_UNIDIRECTIONAL_SEQUENCE_LSTM: gen_lstm(g); break;
    case XTML_OP_ARG_MIN: gen_arg_min(g); break;
    case XTML_OP_SUM:
    case XTML_OP_REDUCE_MAX:
    case XTML_OP_REDUCE_MIN:
    case XTML_OP_REDUCE_ALL: gen_reduce2(g, builtin); break;
    case XTML_OP_SPLIT_V: gen_split_v(g); break;
    case XTML_OP_REVERSE_V2: gen_reverse(g); break;
    case XTML_OP_DYNAMIC_UPDATE_SLICE: gen_update_slice(g); break;
    case XTML_OP_GATHER: gen_gather(g); break;
    case XTML_OP_GATHER_ND: gen_gather_nd(g); break;
    case XTML_OP_EMBEDDING_LOOKUP: gen_embedding_lookup(g); break;
    case XTML_OP_SLICE: gen_slice(g); break;
    case XTML_OP_SPACE_TO_DEPTH: gen_space_to_depth(g, true); break;
    case XTML_OP_DEPTH_TO_SPACE: gen_space_to_depth(g, false); break;
    case XTML_OP_SPACE_TO_BATCH_ND: gen_space_to_batch(g, true); break;
    case XTML_OP_BATCH_TO_SPACE_ND: gen_space_to_batch(g, false); break;
    case XTML_OP_MIRROR_PAD: gen_mirror_pad(g); break;
    case XTML_OP_BROADCAST_TO: gen_broadcast_to(g); break;
    case XTML_OP_BROADCAST_ARGS: gen_broadcast_args(g); break;
    case XTML_OP_CUMSUM: gen_cumsum(g); break;
    case XTML_OP_RESIZE_BILINEAR: gen_resize_bilinear(g); break;
    case XTML_OP_BATCH_MATMUL: gen_batch_matmul(g); break;
    case XTML_OP_ABS:
    case XTML_OP_NEG:
    case XTML_OP_SQRT:
    case XTML_OP_RSQRT:
    case XTML_OP_EXP:
    case XTML_OP_LOG:
    case XTML_OP_FLOOR:
    case XTML_OP_CEIL:
    case XTML_OP_ROUND:
    case XTML_OP_SQUARE:
    case XTML_OP_SIN:
    case XTML_OP_COS:
    case XTML_OP_LOGICAL_NOT:
    case XTML_OP_ZEROS_LIKE:
    case XTML_OP_CAST: gen_math_unary(g, builtin); break;
    case XTML_OP_FILL: gen_fill(g); break;
    case XTML_OP_DIV:
    case XTML_OP_SQUARED_DIFFERENCE:
    case XTML_OP_EQUAL:
    case XTML_OP_NOT_EQUAL:
    case XTML_OP_LESS:
    case XTML_OP_LESS_EQUAL:
    case XTML_OP_GREATER:
    case XTML_OP_GREATER_EQUAL:
    case XTML_OP_LOGICAL_AND:
    case XTML_OP_LOGICAL_OR:
    case XTML_OP_SELECT_V2:
    case XTML_OP_FLOOR_DIV:
    case XTML_OP_FLOOR_MOD: gen_math_binary(g, builtin); break;
    case XTML_OP_PRELU: gen_prelu(g); break;
    case XTML_OP_ADD_N: gen_add_n(g); break;
    case XTML_OP_LOG_SOFTMAX:
    case XTML_OP_L2_NORMALIZATION: gen_normalize(g, builtin); break;
    case XTML_OP_TRANSPOSE_CONV: gen_transpose_conv(g); break;
    default: gen_activation(g, builtin); break;   /* ... ELU */
    }
}

static bool list_has32(const int32_t *list, uint32_t n, int32_t v) {
    uint32_t i;
    for (i = 0; i < n; i++) {
        if (list[i] == v) {
            return true;
        }
    }
    return false;
}

/* Graph outputs: what no operator reads, and sometimes more. */
static void choose_outputs(gen_t *g) {
    xtml_gen_model_t *m = g->m;
    uint32_t i, k, j;
    for (i = m->n_tensors; i-- > 0 && m->n_outputs < XTML_GEN_MAX_GRAPH_IO;) {
        bool written = false, read = false;
        for (k = 0; k < m->n_ops; k++) {
            written = written || list_has32(m->ops[k].outputs, m->ops[k].n_outputs, (int32_t)i);
            read = read || list_has32(m->ops[k].inputs, m->ops[k].n_inputs, (int32_t)i);
        }
        if (written && (!read || chance(g, 10))) {
            m->outputs[m->n_outputs++] = (int32_t)i;
        }
    }
    if (m->n_outputs == 0 && m->n_ops > 0) {
        m->outputs[m->n_outputs++] = m->ops[m->n_ops - 1].outputs[0];
    }
    /* Unusual but legal: a graph input or a duplicate among the outputs. */
    if (m->n_outputs < XTML_GEN_MAX_GRAPH_IO && m->n_inputs > 0 && chance(g, 4)) {
        m->outputs[m->n_outputs++] = m->inputs[pick(g, m->n_inputs)];
    }
    if (m->n_outputs < XTML_GEN_MAX_GRAPH_IO && m->n_outputs > 0 && chance(g, 3)) {
        int32_t again = m->outputs[pick(g, m->n_outputs)];
        m->outputs[m->n_outputs++] = again;
    }
    /* Shuffle. */
    for (j = m->n_outputs; j > 1; j--) {
        uint32_t r = pick(g, j);
        int32_t t = m->outputs[j - 1];
        m->outputs[j - 1] = m->outputs[r];
        m->outputs[r] = t;
    }
}

/* The int64 constants of the model (tensor indices); returns the count. */
static uint32_t i64_constants(const xtml_gen_model_t *m, int32_t *list) {
    uint32_t i, n = 0;
    for (i = 0; i < m->n_tensors; i++) {
        if (m->tensors[i].type == XTML_DTYPE_INT64 && is_const(m, (int32_t)i)) {
            list[n++] = (int32_t)i;
        }
    }
    return n;
}

/*
 * int64 constants at the edges of their alignment rule, decided after the
 * operators so the rest of a recipe keeps its meaning: the data of a model's
 * int64 constants 4 but not 8 bytes aligned (TFLite files place them so; the
 * core reads int64 tensor data byte-wise, and UBSan reports any typed read),
 * a RESHAPE of an int64 constant (an existing one or a fresh one) to a graph
 * output (the core gives it its own memory rather than alias misaligned
 * data), and an int64 constant as a graph output (refused unless 8-byte
 * aligned: the caller reads it typed).
 */
static void i64_alignment_edges(gen_t *g) {
    xtml_gen_model_t *m = g->m;
    int32_t list[XTML_GEN_MAX_TENSORS], dims[4];
    uint32_t n, i;
    if (chance(g, 3) && m->n_outputs < XTML_GEN_MAX_GRAPH_IO) {
        xtml_gen_op_t *op;
        int32_t from, out;
        uint32_t rank, before = m->n_ops;
        n = i64_constants(m, list);
        if (n > 0 && chance(g, 70)) {
            from = list[pick(g, n)];
        } else {
            rank = (uint32_t)range(g, 1, 3);
            rand_shape_pos(g, rank, dims);
            from = new_const(g, XTML_DTYPE_INT64, rank, dims, FILL_WEIGHTS);
        }
        rank = (uint32_t)range(g, 1, 4);
        if (!g->full) {
            factor_shape(g, tensor_count(&m->tensors[from]), rank, dims);
        }
        op = g->full ? NULL : new_op(g, XTML_OP_RESHAPE, XTML_OPTS_RESHAPE);
        if (op != NULL) {
            op_in(op, from);
            opt_v(g, op, 0, dims, rank);
            out = new_out(g, op, XTML_DTYPE_INT64, rank, dims);
            if (!g->full) {
                m->outputs[m->n_outputs++] = out;
            }
        }
        if (g->full) {
            m->n_ops = before;
            return;
        }
    }
    n = i64_constants(m, list);
    if (n > 0 && chance(g, 4) && m->n_outputs < XTML_GEN_MAX_GRAPH_IO) {
        m->outputs[m->n_outputs++] = list[pick(g, n)];
    }
    if (n > 0 && chance(g, 25)) {
        for (i = 0; i < n; i++) {
            if (chance(g, 75)) {
                m->buffers[m->tensors[list[i]].buffer].skew4 = 1;
            }
        }
    }
}

static uint64_t recipe_hash(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    size_t i;
    for (i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

void xtml_gen_build(xtml_gen_model_t *m, const uint8_t *recipe, size_t recipe_len) {
    gen_t g;
    uint32_t n_ops, i, b;
    if (recipe_len > XTML_GEN_RECIPE_MAX) {
        recipe_len = XTML_GEN_RECIPE_MAX;
    }
    model_clear(m);
    memset(&g, 0, sizeof g);
    g.m = m;
    g.recipe = recipe;
    g.len = recipe_len;
    g.rng.state = recipe_hash(recipe, recipe_len);
    /* The recipe first, so the pool keeps it whatever else fits. */
    b = buffer_new(m, (uint32_t)recipe_len);
    if (b != 0) {
        if (recipe_len > 0) {
            memcpy(m->pool + m->buffers[b].at, recipe, recipe_len);
        }
        m->recipe_buffer = (int32_t)b;
    }
    switch (pick(&g, 8)) {
    case 0:
    case 1:
    case 2: n_ops = 1; break;
    case 3:
    case 4: n_ops = (uint32_t)range(&g, 2, 3); break;
    case 5:
    case 6: n_ops = (uint32_t)range(&g, 4, 8); break;
    default: n_ops = (uint32_t)range(&g, 2, XTML_GEN_MAX_OPS); break;
    }
    for (i = 0; i < n_ops && !g.full; i++) {
        uint32_t before = m->n_ops;
        gen_one(&g, gen_ops[pick(&g, sizeof gen_ops / sizeof gen_ops[0])]);
        /* An operator that hit a limit is dropped whole (its tensors stay, unused). */
        if (g.full && m->n_ops > before) {
            m->n_ops = before;
        }
    }
    /* Tensors listed by a dropped operator may be in avail but unwritten: outputs come from ops only. */
    choose_outputs(&g);
    /* A graph input nobody reads is still a graph input. Unusual versions sometimes. */
    for (i = 0; i < m->n_ops; i++) {
        if (chance(&g, 2)) {
            m->ops[i].version = range(&g, 2, 7);
        }
    }
    if (!g.full) {
        i64_alignment_edges(&g);
    }
}

size_t xtml_gen_recipe(xtml_gen_rng_t *r, uint8_t *recipe, size_t cap) {
    size_t n = 16 + xtml_gen_below(r, 400), i;
    if (n > cap) {
        n = cap;
    }
    for (i = 0; i < n; i++) {
        recipe[i] = (uint8_t)(xtml_gen_next(r) >> 24);
    }
    return n;
}

const uint8_t *xtml_gen_model_recipe(const xtml_gen_model_t *m, size_t *len) {
    if (m->recipe_buffer <= 0 || (uint32_t)m->recipe_buffer >= m->n_buffers) {
        *len = 0;
        return NULL;
    }
    *len = m->buffers[m->recipe_buffer].len;
    return m->pool + m->buffers[m->recipe_buffer].at;
}

/* ---- the flatbuffer writer ---- */

/*
 * Objects are written front to back, each after the table or vector that
 * points to it (uoffsets are unsigned, so children must come later), and each
 * vtable just before its table. Vectors' elements are aligned to their size,
 * constant data to 16 bytes.
 */
typedef struct fbw {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
} fbw_t;

static size_t fbw_reserve(fbw_t *w, size_t n) {
    size_t at = w->len;
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return 0;
    }
    memset(w->buf + at, 0, n);
    w->len += n;
    return at;
}

/* Pad until len + offset is a multiple of align. */
static void fbw_align(fbw_t *w, size_t align, size_t offset) {
    while (!w->overflow && (w->len + offset) % align != 0) {
        fbw_reserve(w, 1);
    }
}

static void fbw_patch(fbw_t *w, size_t slot, size_t target) {
    if (!w->overflow && slot != 0) {
        st_u32(w->buf + slot, (uint32_t)(target - slot));
    }
}

/* A table field: size 0 absent, 1, 4 or 8 bytes inline; ref: a uoffset slot. */
typedef struct fbf {
    uint8_t size;
    bool ref;
    uint64_t value;
} fbf_t;

/* Write a table; slots[i] receives the position of field i (0 when absent). */
static size_t fbw_table(fbw_t *w, const fbf_t *f, int n, size_t *slots) {
    uint16_t offsets[16];
    size_t size = 4, vt, at, align = 4;
    int i, last = -1;
    for (i = 0; i < n; i++) {
        slots[i] = 0;
    }
    for (i = 0; i < n; i++) {
        if (f[i].size != 0) {
            size = (size + f[i].size - 1) / f[i].size * f[i].size;
            offsets[i] = (uint16_t)size;
            size += f[i].size;
            last = i;
            if (f[i].size > align) {
                align = f[i].size;
            }
        } else {
            offsets[i] = 0;
        }
    }
    n = last + 1;
    size = (size + 3) / 4 * 4;
    fbw_align(w, 2, 0);
    vt = fbw_reserve(w, 4 + 2 * (size_t)n);
    fbw_align(w, align, 0);
    at = fbw_reserve(w, size);
    if (w->overflow) {
        return 0;
    }
    st_u16(w->buf + vt, (uint16_t)(4 + 2 * n));
    st_u16(w->buf + vt + 2, (uint16_t)size);
    for (i = 0; i < n; i++) {
        st_u16(w->buf + vt + 4 + 2 * i, offsets[i]);
    }
    st_u32(w->buf + at, (uint32_t)(at - vt));
    for (i = 0; i < n; i++) {
        uint8_t *p = w->buf + at + offsets[i];
        slots[i] = f[i].size != 0 ? at + offsets[i] : 0;
        if (f[i].size == 1) {
            *p = (uint8_t)f[i].value;
        } else if (f[i].size == 4 && !f[i].ref) {
            st_u32(p, (uint32_t)f[i].value);
        } else if (f[i].size == 8) {
            st_u64(p, f[i].value);
        }
    }
    return at;
}

/* A vector of count elements of `elem` bytes from data (or zeros). */
static size_t fbw_vector(fbw_t *w, const uint8_t *data, uint32_t count, uint32_t elem, size_t align) {
    size_t at;
    fbw_align(w, align > 4 ? align : 4, 4);
    at = fbw_reserve(w, 4 + (size_t)count * elem);
    if (w->overflow) {
        return 0;
    }
    st_u32(w->buf + at, count);
    if (data != NULL && count > 0) {
        memcpy(w->buf + at + 4, data, (size_t)count * elem);
    }
    return at;
}

static size_t fbw_string(fbw_t *w, const char *s) {
    size_t n = strlen(s);
    size_t at = fbw_vector(w, (const uint8_t *)s, (uint32_t)n, 1, 4);
    fbw_reserve(w, 1);   /* the NUL */
    return at;
}

static size_t fbw_ints(fbw_t *w, const int32_t *v, uint32_t n) {
    size_t at = fbw_vector(w, NULL, n, 4, 4);
    uint32_t i;
    for (i = 0; !w->overflow && i < n; i++) {
        st_u32(w->buf + at + 4 + 4 * i, (uint32_t)v[i]);
    }
    return at;
}

/* A vector of n tables: returns its position; slots at pos + 4 + 4 i. */
static size_t fbw_table_vec(fbw_t *w, uint32_t n) {
    return fbw_vector(w, NULL, n, 4, 4);
}

#define F_NONE { 0, false, 0 }
#define F_U8(v) { 1, false, (uint64_t)(uint8_t)(v) }
#define F_U32(v) { 4, false, (uint64_t)(uint32_t)(v) }
#define F_U64(v) { 8, false, (uint64_t)(v) }
#define F_REF { 4, true, 0 }

static void write_options(fbw_t *w, const xtml_gen_model_t *m, const xtml_gen_op_t *op, size_t slot) {
    fbf_t f[XTML_GEN_MAX_FIELDS];
    size_t slots[XTML_GEN_MAX_FIELDS];
    size_t at;
    uint32_t i;
    for (i = 0; i < op->n_fields; i++) {
        const xtml_gen_field_t *x = &op->fields[i];
        f[i].size = x->kind == 'v' ? 4 : x->kind;
        f[i].ref = x->kind == 'v';
        f[i].value = x->value;
    }
    at = fbw_table(w, f, (int)op->n_fields, slots);
    fbw_patch(w, slot, at);
    for (i = 0; i < op->n_fields; i++) {
        const xtml_gen_field_t *x = &op->fields[i];
        if (x->kind == 'v') {
            size_t v = fbw_vector(w, m->pool + x->at, x->len, 4, 4);
            fbw_patch(w, slots[i], v);
        }
    }
}

/* Distinct (builtin, version) pairs in first-use order; returns the count. */
static uint32_t opcode_table(const xtml_gen_model_t *m, int32_t *codes, int32_t *versions, uint32_t *index) {
    uint32_t n = 0, i, k;
    for (i = 0; i < m->n_ops; i++) {
        for (k = 0; k < n; k++) {
            if (codes[k] == m->ops[i].builtin && versions[k] == m->ops[i].version) {
                break;
            }
        }
        if (k == n) {
            codes[n] = m->ops[i].builtin;
            versions[n] = m->ops[i].version;
            n++;
        }
        index[i] = k;
    }
    return n;
}

size_t xtml_gen_write(const xtml_gen_model_t *m, uint8_t *out, size_t cap) {
    fbw_t w;
    size_t root_slots[8], sg_slots[5], hdr, at, v, sgv, tv, ov, bv, mv;
    size_t buffer_offset_slot[XTML_GEN_MAX_BUFFERS];
    int32_t codes[XTML_GEN_MAX_OPS], versions[XTML_GEN_MAX_OPS];
    uint32_t op_code[XTML_GEN_MAX_OPS];
    uint32_t n_codes, i;
    w.buf = out;
    w.cap = cap;
    w.len = 0;
    w.overflow = false;
    hdr = fbw_reserve(&w, 8);
    if (w.overflow) {
        return 0;
    }
    memcpy(out + 4, "TFL3", 4);
    n_codes = opcode_table(m, codes, versions, op_code);
    {
        fbf_t f[8] = { F_U32(3), F_REF, F_REF, F_REF, F_REF, F_NONE, F_NONE, F_NONE };
        if (m->recipe_buffer > 0) {
            f[6].size = 4;
            f[6].ref = true;
        }
        at = fbw_table(&w, f, 8, root_slots);
        if (!w.overflow) {
            st_u32(out + hdr, (uint32_t)at);   /* the root offset, from position 0 */
        }
    }
    /* operator_codes */
    v = fbw_table_vec(&w, n_codes);
    fbw_patch(&w, root_slots[1], v);
    for (i = 0; i < n_codes; i++) {
        fbf_t f[4] = { F_U8(codes[i] < 127 ? codes[i] : 127), F_NONE, F_U32(versions[i]), F_U32(codes[i]) };
        size_t s[4];
        at = fbw_table(&w, f, 4, s);
        fbw_patch(&w, v + 4 + 4 * i, at);
    }
    /* subgraphs: one */
    sgv = fbw_table_vec(&w, 1);
    fbw_patch(&w, root_slots[2], sgv);
    {
        fbf_t f[5] = { F_REF, F_REF, F_REF, F_REF, F_REF };
        at = fbw_table(&w, f, 5, sg_slots);
        fbw_patch(&w, sgv + 4, at);
    }
    tv = fbw_table_vec(&w, m->n_tensors);
    fbw_patch(&w, sg_slots[0], tv);
    for (i = 0; i < m->n_tensors; i++) {
        const xtml_gen_tensor_t *t = &m->tensors[i];
        fbf_t f[6] = { F_REF, F_U8(t->type), F_U32(t->buffer), F_REF, F_NONE, F_NONE };
        size_t s[6];
        char name[16];
        if (t->has_quant) {
            f[4].size = 4;
            f[4].ref = true;
        }
        if (t->is_variable) {
            f[5].size = 1;
            f[5].value = 1;
        }
        at = fbw_table(&w, f, 6, s);
        fbw_patch(&w, tv + 4 + 4 * i, at);
        fbw_patch(&w, s[0], fbw_ints(&w, t->dims, t->ndim));
        xtml_fmt(name, sizeof name, "t%u", (unsigned)i);
        fbw_patch(&w, s[3], fbw_string(&w, name));
        if (t->has_quant) {
            fbf_t q[7] = { F_NONE, F_NONE, F_REF, F_REF, F_NONE, F_NONE, F_U32(t->quant_dim) };
            size_t qs[7];
            if (t->quant_dim == 0) {
                q[6].size = 0;
            }
            if (t->n_scales == 0) {
                q[2].size = 0;
            }
            if (t->n_zero_points == 0) {
                q[3].size = 0;
            }
            at = fbw_table(&w, q, 7, qs);
            fbw_patch(&w, s[4], at);
            if (t->n_scales > 0) {
                fbw_patch(&w, qs[2], fbw_vector(&w, m->pool + t->scales_at, t->n_scales, 4, 4));
            }
            if (t->n_zero_points > 0) {
                fbw_patch(&w, qs[3], fbw_vector(&w, m->pool + t->zero_points_at, t->n_zero_points, 8, 8));
            }
        }
    }
    fbw_patch(&w, sg_slots[1], fbw_ints(&w, m->inputs, m->n_inputs));
    fbw_patch(&w, sg_slots[2], fbw_ints(&w, m->outputs, m->n_outputs));
    ov = fbw_table_vec(&w, m->n_ops);
    fbw_patch(&w, sg_slots[3], ov);
    for (i = 0; i < m->n_ops; i++) {
        const xtml_gen_op_t *op = &m->ops[i];
        fbf_t f[5] = { F_U32(op_code[i]), F_REF, F_REF, F_U8(op->options_type), F_NONE };
        size_t s[5];
        if (op->has_options) {
            f[4].size = 4;
            f[4].ref = true;
        }
        if (op->options_type == 0) {
            f[3].size = 0;
        }
        at = fbw_table(&w, f, 5, s);
        fbw_patch(&w, ov + 4 + 4 * i, at);
        fbw_patch(&w, s[1], fbw_ints(&w, op->inputs, op->n_inputs));
        fbw_patch(&w, s[2], fbw_ints(&w, op->outputs, op->n_outputs));
        if (op->has_options) {
            write_options(&w, m, op, s[4]);
        }
    }
    fbw_patch(&w, sg_slots[4], fbw_string(&w, "main"));
    fbw_patch(&w, root_slots[3], fbw_string(&w, "xtml_gen"));
    /* buffers */
    bv = fbw_table_vec(&w, m->n_buffers);
    fbw_patch(&w, root_slots[4], bv);
    for (i = 0; i < m->n_buffers; i++) {
        const xtml_gen_buffer_t *b = &m->buffers[i];
        size_t s[3];
        buffer_offset_slot[i] = 0;
        if (b->external && b->len > 0) {
            fbf_t f[3] = { F_NONE, F_U64(0), F_U64(b->len) };
            at = fbw_table(&w, f, 3, s);
            buffer_offset_slot[i] = s[1];
        } else {
            fbf_t f[1] = { F_REF };
            at = fbw_table(&w, f, b->len > 0 ? 1 : 0, s);
            if (b->len > 0 && b->skew4) {
                /* the length at 16k, the data at 16k + 4 */
                fbw_align(&w, 16, 0);
                fbw_patch(&w, s[0], fbw_vector(&w, m->pool + b->at, b->len, 1, 4));
            } else if (b->len > 0) {
                fbw_patch(&w, s[0], fbw_vector(&w, m->pool + b->at, b->len, 1, 16));
            }
        }
        fbw_patch(&w, bv + 4 + 4 * i, at);
    }
    /* metadata: [{ name: "xtml_gen", buffer: recipe }] */
    if (m->recipe_buffer > 0) {
        fbf_t f[2] = { F_REF, F_U32(m->recipe_buffer) };
        size_t s[2];
        mv = fbw_table_vec(&w, 1);
        fbw_patch(&w, root_slots[6], mv);
        at = fbw_table(&w, f, 2, s);
        fbw_patch(&w, mv + 4, at);
        fbw_patch(&w, s[0], fbw_string(&w, "xtml_gen"));
    }
    /* External buffer data after the flatbuffer, found by absolute offset. */
    for (i = 0; i < m->n_buffers; i++) {
        if (buffer_offset_slot[i] != 0) {
            fbw_align(&w, 16, m->buffers[i].skew4 ? 12 : 0);
            at = fbw_reserve(&w, m->buffers[i].len);
            if (!w.overflow) {
                memcpy(out + at, m->pool + m->buffers[i].at, m->buffers[i].len);
                st_u64(out + buffer_offset_slot[i], (uint64_t)at);
            }
        }
    }
    return w.overflow ? 0 : w.len;
}

/* ---- the reader ---- */

/* Field sizes of the options tables by union type ('v': vector of int32). */
static const char *options_fields(uint8_t type) {
    switch (type) {
    case XTML_OPTS_CONV2D: return "1441441";
    case XTML_OPTS_DEPTHWISE_CONV2D: return "1444144";
    case XTML_OPTS_POOL2D: return "144441";
    case XTML_OPTS_FULLY_CONNECTED: return "11111";
    case XTML_OPTS_SOFTMAX: return "4";
    case XTML_OPTS_CONCATENATION: return "41";
    case XTML_OPTS_ADD: case XTML_OPTS_SUB: return "11";
    case XTML_OPTS_MUL: return "1";
    case XTML_OPTS_RESHAPE: case XTML_OPTS_SQUEEZE: return "v";
    case XTML_OPTS_STRIDED_SLICE: return "444441";
    case XTML_OPTS_SPLIT: case XTML_OPTS_SPLIT_V: return "4";
    case XTML_OPTS_PACK: case XTML_OPTS_UNPACK: return "44";
    case XTML_OPTS_ARG_MAX: case XTML_OPTS_SHAPE: case XTML_OPTS_REDUCER: return "1";
    case XTML_OPTS_LEAKY_RELU: return "4";
    case XTML_OPTS_RESIZE_NEAREST_NEIGHBOR: return "11";
    case XTML_OPTS_SVDF: return "411";
    case XTML_OPTS_UNIDIRECTIONAL_SEQUENCE_LSTM: return "144111";
    case XTML_OPTS_GATHER: return "44";
    case XTML_OPTS_SPACE_TO_DEPTH: case XTML_OPTS_DEPTH_TO_SPACE: return "4";
    case XTML_OPTS_MIRROR_PAD: case XTML_OPTS_DIV: case XTML_OPTS_ARG_MIN: return "1";
    case XTML_OPTS_CUMSUM: return "11";
    case XTML_OPTS_RESIZE_BILINEAR: return "4411";
    case XTML_OPTS_BATCH_MATMUL: return "111";
    case XTML_OPTS_TRANSPOSE_CONV: return "1441";
    case XTML_OPTS_L2_NORM: return "1";
    default: return "";
    }
}

static bool read_ints(const xtml_fb_table_t *t, int field, int32_t *out, uint32_t max, uint32_t *n) {
    xtml_fb_vec_t v = xtml_fb_vec(t, field);
    uint32_t i;
    if (v.len > max) {
        return false;
    }
    for (i = 0; i < v.len; i++) {
        out[i] = xtml_ld_i32(v.data + 4 * i);
    }
    *n = v.len;
    return true;
}

bool xtml_gen_read(xtml_gen_model_t *m, const uint8_t *model, size_t model_bytes) {
    xtml_diag_t diag;
    xtml_fb_table_t root, sg;
    xtml_fb_vec_t codes, sgs, tensors, ops, buffers, meta;
    uint32_t i, k;
    if (xtml_model_verify(model, model_bytes, &diag) != XTML_STATUS_OK) {
        return false;
    }
    model_clear(m);
    root = xtml_fb_root(model);
    codes = xtml_fb_vec(&root, XTML_MODEL_OPCODES);
    sgs = xtml_fb_vec(&root, XTML_MODEL_SUBGRAPHS);
    buffers = xtml_fb_vec(&root, XTML_MODEL_BUFFERS);
    if (sgs.len < 1 || buffers.len > XTML_GEN_MAX_BUFFERS) {
        return false;
    }
    m->n_buffers = 0;
    for (i = 0; i < buffers.len; i++) {
        xtml_fb_table_t b = xtml_fb_vec_table(&root, buffers, i);
        xtml_fb_vec_t d = xtml_fb_vec(&b, XTML_BUFFER_DATA);
        int64_t off = xtml_fb_i64(&b, XTML_BUFFER_OFFSET, 0);
        const uint8_t *data = d.data;
        uint32_t len = d.len, at = 0;
        uint8_t external = 0;
        if (d.len == 0 && off > 1) {
            data = model + off;
            len = (uint32_t)xtml_fb_i64(&b, XTML_BUFFER_SIZE, 0);
            external = 1;
        }
        if (len > 0 && !pool_alloc(m, len, &at)) {
            return false;
        }
        if (len > 0) {
            memcpy(m->pool + at, data, len);
        }
        m->buffers[i].at = at;
        m->buffers[i].len = len;
        m->buffers[i].external = external;
        /* the writer puts data at 16k or 16k + 4 */
        m->buffers[i].skew4 = (uint8_t)(len > 0 && ((size_t)(data - model) & 7u) != 0);
        m->n_buffers++;
    }
    if (m->n_buffers == 0) {
        m->buffers[0].at = 0;
        m->buffers[0].len = 0;
        m->buffers[0].external = 0;
        m->buffers[0].skew4 = 0;
        m->n_buffers = 1;
    }
    meta = xtml_fb_vec(&root, XTML_MODEL_METADATA);
    for (i = 0; i < meta.len; i++) {
        xtml_fb_table_t e = xtml_fb_vec_table(&root, meta, i);
        if (strcmp(xtml_fb_str(&e, 0), "xtml_gen") == 0) {
            uint32_t b = xtml_fb_u32(&e, 1, 0);
            m->recipe_buffer = b < m->n_buffers ? (int32_t)b : -1;
        }
    }
    sg = xtml_fb_vec_table(&root, sgs, 0);
    tensors = xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS);
    ops = xtml_fb_vec(&sg, XTML_SUBGRAPH_OPERATORS);
    if (tensors.len > XTML_GEN_MAX_TENSORS || ops.len > XTML_GEN_MAX_OPS) {
        return false;
    }
    for (i = 0; i < tensors.len; i++) {
        xtml_fb_table_t t = xtml_fb_vec_table(&sg, tensors, i);
        xtml_fb_table_t q = xtml_fb_table(&t, XTML_TENSOR_QUANT);
        xtml_gen_tensor_t *x = &m->tensors[i];
        uint32_t nd = 0;
        memset(x, 0, sizeof *x);
        if (!read_ints(&t, XTML_TENSOR_SHAPE, x->dims, XTML_GEN_MAX_RANK, &nd)) {
            return false;
        }
        x->ndim = (uint8_t)nd;
        x->type = xtml_fb_u8(&t, XTML_TENSOR_TYPE, 0);
        x->buffer = xtml_fb_u32(&t, XTML_TENSOR_BUFFER, 0);
        x->is_variable = xtml_fb_bool(&t, XTML_TENSOR_IS_VARIABLE, false);
        if (q.pos != 0) {
            xtml_fb_vec_t s = xtml_fb_vec(&q, XTML_QUANT_SCALE);
            xtml_fb_vec_t z = xtml_fb_vec(&q, XTML_QUANT_ZERO_POINT);
            x->has_quant = 1;
            x->quant_dim = xtml_fb_i32(&q, XTML_QUANT_DIMENSION, 0);
            if ((s.len > 0 && !pool_alloc(m, 4 * s.len, &x->scales_at)) ||
                (z.len > 0 && !pool_alloc(m, 8 * z.len, &x->zero_points_at))) {
                return false;
            }
            if (s.len > 0) {
                memcpy(m->pool + x->scales_at, s.data, 4 * (size_t)s.len);
            }
            if (z.len > 0) {
                memcpy(m->pool + x->zero_points_at, z.data, 8 * (size_t)z.len);
            }
            x->n_scales = s.len;
            x->n_zero_points = z.len;
        }
    }
    m->n_tensors = tensors.len;
    if (!read_ints(&sg, XTML_SUBGRAPH_INPUTS, m->inputs, XTML_GEN_MAX_GRAPH_IO, &m->n_inputs) ||
        !read_ints(&sg, XTML_SUBGRAPH_OUTPUTS, m->outputs, XTML_GEN_MAX_GRAPH_IO, &m->n_outputs)) {
        return false;
    }
    for (i = 0; i < ops.len; i++) {
        xtml_fb_table_t o = xtml_fb_vec_table(&sg, ops, i);
        xtml_fb_table_t c = xtml_fb_vec_table(&root, codes, xtml_fb_u32(&o, XTML_OP_OPCODE_INDEX, 0));
        xtml_fb_table_t opts = xtml_fb_table(&o, XTML_OP_OPTIONS);
        xtml_gen_op_t *op = &m->ops[i];
        int32_t deprecated = xtml_fb_i8(&c, XTML_OPCODE_DEPRECATED_BUILTIN, 0);
        int32_t code = xtml_fb_i32(&c, XTML_OPCODE_BUILTIN, 0);
        uint32_t n_in = 0, n_out = 0;
        memset(op, 0, sizeof *op);
        op->builtin = code > deprecated ? code : deprecated;
        op->version = xtml_fb_i32(&c, XTML_OPCODE_VERSION, 1);
        if (!read_ints(&o, XTML_OP_INPUTS, op->inputs, XTML_GEN_MAX_OP_IN, &n_in) ||
            !read_ints(&o, XTML_OP_OUTPUTS, op->outputs, XTML_GEN_MAX_OP_IO, &n_out)) {
            return false;
        }
        op->n_inputs = (uint8_t)n_in;
        op->n_outputs = (uint8_t)n_out;
        op->options_type = xtml_fb_u8(&o, XTML_OP_OPTIONS_TYPE, 0);
        if (opts.pos != 0) {
            const char *layout = options_fields(op->options_type);
            uint32_t nf = (opts.vt_len - 4u) / 2u;
            op->has_options = 1;
            for (k = 0; k < nf && k < XTML_GEN_MAX_FIELDS && layout[k] != '\0'; k++) {
                if (xtml_fb_field(&opts, (int)k) == 0) {
                    opt_field(op, k, 0, 0);
                } else if (layout[k] == 'v') {
                    xtml_fb_vec_t vv = xtml_fb_vec(&opts, (int)k);
                    uint32_t at;
                    if (!pool_alloc(m, 4 * vv.len, &at)) {
                        return false;
                    }
                    if (vv.len > 0) {
                        memcpy(m->pool + at, vv.data, 4 * (size_t)vv.len);
                    }
                    opt_field(op, k, 'v', 0);
                    op->fields[k].at = at;
                    op->fields[k].len = vv.len;
                } else if (layout[k] == '4') {
                    opt_field(op, k, 4, xtml_fb_u32(&opts, (int)k, 0));
                } else {
                    opt_field(op, k, 1, xtml_fb_u8(&opts, (int)k, 0));
                }
            }
        }
    }
    m->n_ops = ops.len;
    return true;
}

bool xtml_gen_shape_input(const uint8_t *model, size_t model_bytes, int32_t input, int32_t dims[4]) {
    xtml_fb_table_t root, sg;
    xtml_fb_vec_t sgs, tensors, ins, ops;
    int32_t t;
    uint32_t i, n;
    (void)model_bytes;
    root = xtml_fb_root(model);
    sgs = xtml_fb_vec(&root, XTML_MODEL_SUBGRAPHS);
    if (sgs.len < 1) {
        return false;
    }
    sg = xtml_fb_vec_table(&root, sgs, 0);
    tensors = xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS);
    ins = xtml_fb_vec(&sg, XTML_SUBGRAPH_INPUTS);
    ops = xtml_fb_vec(&sg, XTML_SUBGRAPH_OPERATORS);
    if (input < 0 || (uint32_t)input >= ins.len) {
        return false;
    }
    t = xtml_ld_i32(ins.data + 4 * (uint32_t)input);
    for (i = 0; i < ops.len; i++) {
        xtml_fb_table_t op = xtml_fb_vec_table(&sg, ops, i);
        xtml_fb_vec_t op_ins = xtml_fb_vec(&op, XTML_OP_INPUTS);
        xtml_fb_vec_t op_outs = xtml_fb_vec(&op, XTML_OP_OUTPUTS);
        int32_t out;
        if (xtml_fb_op_builtin(&root, &op) != XTML_OP_TRANSPOSE_CONV || op_ins.len < 1 || op_outs.len < 1 ||
            xtml_ld_i32(op_ins.data) != t) {
            continue;
        }
        out = xtml_ld_i32(op_outs.data);
        if (out >= 0 && (uint32_t)out < tensors.len) {
            xtml_fb_table_t o = xtml_fb_vec_table(&sg, tensors, (uint32_t)out);
            if (read_ints(&o, XTML_TENSOR_SHAPE, dims, 4, &n) && n == 4) {
                return true;
            }
        }
    }
    return false;
}

/* ---- mutations ---- */

static int32_t edge_int(xtml_gen_rng_t *r) {
    static const int32_t v[] = { 0, 1, -1, 2, 3, 4, 7, 8, 16, 127, -128, 128, 255, 256, 32767, -32768, 65536,
                                 INT32_MAX, INT32_MIN, 0x40000000 };
    return xtml_gen_below(r, 3) == 0 ? (int32_t)xtml_gen_below(r, 33) - 16
                                    : v[xtml_gen_below(r, sizeof v / sizeof v[0])];
}

static float edge_float(xtml_gen_rng_t *r) {
    static const uint32_t bits[] = { 0x00000000u, 0x80000000u, 0x00000001u, 0x00800000u, 0x7f7fffffu, 0x7f800000u,
                                     0xff800000u, 0x7fc00000u, 0x3f800000u, 0x3b800000u, 0x2f800000u, 0x4f000000u,
                                     0x3f000000u, 0xbf800000u, 0x7effffffu, 0x30000000u };
    if (xtml_gen_below(r, 3) == 0) {
        return ldexpf(1.0f + (float)xtml_gen_below(r, 256) / 256.0f, (int)xtml_gen_below(r, 80) - 40);
    }
    return bits_f32(bits[xtml_gen_below(r, sizeof bits / sizeof bits[0])]);
}

static int32_t any_tensor(const xtml_gen_model_t *m, xtml_gen_rng_t *r) {
    if (m->n_tensors == 0 || xtml_gen_below(r, 20) == 0) {
        return xtml_gen_below(r, 2) ? -1 : (int32_t)m->n_tensors;
    }
    return (int32_t)xtml_gen_below(r, m->n_tensors);
}

/* Give a constant tensor a buffer of the size its shape needs (fresh data). */
static void resize_const(xtml_gen_model_t *m, xtml_gen_rng_t *r, xtml_gen_tensor_t *t) {
    uint64_t bytes = tensor_bytes(t);
    uint32_t b, i;
    if (t->buffer == 0 || bytes == 0 || bytes > 65536) {
        return;
    }
    b = buffer_new(m, (uint32_t)bytes);
    if (b == 0) {
        return;
    }
    for (i = 0; i < bytes; i++) {
        m->pool[m->buffers[b].at + i] = (uint8_t)(xtml_gen_next(r) >> 24);
    }
    t->buffer = b;
}

static void mutate_tensor(xtml_gen_model_t *m, xtml_gen_rng_t *r) {
    xtml_gen_tensor_t *t;
    uint32_t i;
    if (m->n_tensors == 0) {
        return;
    }
    t = &m->tensors[xtml_gen_below(r, m->n_tensors)];
    switch (xtml_gen_below(r, 12)) {
    case 0:
    case 1:
        if (t->ndim > 0) {
            int32_t *d = &t->dims[xtml_gen_below(r, t->ndim)];
            switch (xtml_gen_below(r, 5)) {
            /* Wrapping, as the extremes edge_int() puts here may overflow. */
            case 0: *d = (int32_t)((uint32_t)*d + 1u); break;
            case 1: *d = (int32_t)((uint32_t)*d - 1u); break;
            case 2: *d = (int32_t)xtml_gen_below(r, 9); break;
            case 3: *d = (int32_t)((uint32_t)*d * 2u); break;
            default: *d = edge_int(r); break;
            }
            if (xtml_gen_below(r, 2)) {
                resize_const(m, r, t);
            }
        }
        break;
    case 2:
        /* Rank: drop or add a dimension of 1. */
        if (xtml_gen_below(r, 2) && t->ndim > 0) {
            t->ndim--;
        } else if (t->ndim < XTML_GEN_MAX_RANK) {
            uint32_t at = xtml_gen_below(r, t->ndim + 1u);
            for (i = t->ndim; i > at; i--) {
                t->dims[i] = t->dims[i - 1];
            }
            t->dims[at] = 1;
            t->ndim++;
        }
        break;
    case 3: {
        static const uint8_t types[] = { XTML_DTYPE_FLOAT32, XTML_DTYPE_INT8, XTML_DTYPE_INT16, XTML_DTYPE_INT32,
                                         XTML_DTYPE_INT64, XTML_DTYPE_UINT8, XTML_DTYPE_BOOL, XTML_DTYPE_FLOAT16,
                                         XTML_DTYPE_INT4, XTML_DTYPE_STRING, XTML_DTYPE_FLOAT64, 18, 200 };
        t->type = types[xtml_gen_below(r, sizeof types)];
        if (xtml_gen_below(r, 2)) {
            resize_const(m, r, t);
        }
        break;
    }
    case 4:
    case 5:
        /* A scale or zero point at an edge. */
        if (t->n_scales > 0) {
            uint32_t k = xtml_gen_below(r, t->n_scales);
            st_u32(m->pool + t->scales_at + 4 * k, f32_bits(edge_float(r)));
        }
        if (t->n_zero_points > 0 && xtml_gen_below(r, 2)) {
            uint32_t k = xtml_gen_below(r, t->n_zero_points);
            st_u64(m->pool + t->zero_points_at + 8 * k, (uint64_t)(int64_t)edge_int(r));
        }
        break;
    case 6:
        /* Quantization layout: per tensor <-> per channel, dimension, presence. */
        switch (xtml_gen_below(r, 4)) {
        case 0: t->has_quant = (uint8_t)!t->has_quant; break;
        case 1: t->quant_dim = edge_int(r); break;
        case 2:
            if (t->n_scales > 1) {
                t->n_scales = 1;
                t->n_zero_points = 1;
            }
            break;
        default:
            if (t->n_zero_points > 0) {
                t->n_zero_points--;
            }
            break;
        }
        break;
    case 7:
        t->buffer = xtml_gen_below(r, 4) == 0 ? xtml_gen_below(r, m->n_buffers + 2u)
                                              : (t->buffer == 0 ? xtml_gen_below(r, m->n_buffers) : 0);
        break;
    case 8:
        t->is_variable = (uint8_t)!t->is_variable;
        break;
    default:
        /* Data of a constant: bytes at random, or one int32 value at an edge
         * (shapes, axes, permutations, paddings, slice bounds live there). */
        if (t->buffer != 0 && t->buffer < m->n_buffers && m->buffers[t->buffer].len > 0) {
            xtml_gen_buffer_t *b = &m->buffers[t->buffer];
            uint32_t k = xtml_gen_below(r, b->len);
            if (t->type == XTML_DTYPE_INT32 && b->len >= 4) {
                k &= ~3u;
                if (k + 4 > b->len) {
                    k = 0;
                }
                st_u32(m->pool + b->at + k, (uint32_t)edge_int(r));
            } else {
                m->pool[b->at + k] = (uint8_t)(xtml_gen_next(r) >> 24);
            }
        }
        break;
    }
}

static void mutate_op(xtml_gen_model_t *m, xtml_gen_rng_t *r) {
    xtml_gen_op_t *op;
    if (m->n_ops == 0) {
        return;
    }
    op = &m->ops[xtml_gen_below(r, m->n_ops)];
    switch (xtml_gen_below(r, 9)) {
    case 0:
        if (op->n_inputs > 0) {
            op->inputs[xtml_gen_below(r, op->n_inputs)] = any_tensor(m, r);
        }
        break;
    case 1:
        if (op->n_outputs > 0) {
            op->outputs[xtml_gen_below(r, op->n_outputs)] = any_tensor(m, r);
        }
        break;
    case 2:
        /* One input more or fewer. */
        if (xtml_gen_below(r, 2) && op->n_inputs > 0) {
            op->n_inputs--;
        } else if (op->n_inputs < XTML_GEN_MAX_OP_IO) {
            op->inputs[op->n_inputs++] = any_tensor(m, r);
        }
        break;
    case 3:
        if (xtml_gen_below(r, 2) && op->n_outputs > 0) {
            op->n_outputs--;
        } else if (op->n_outputs < XTML_GEN_MAX_OP_IO && m->n_tensors > 0) {
            op->outputs[op->n_outputs++] = (int32_t)xtml_gen_below(r, m->n_tensors);
        }
        break;
    case 4:
        op->builtin = xtml_gen_below(r, 4) == 0 ? (int32_t)xtml_gen_below(r, 210)
                                                : gen_ops[xtml_gen_below(r, sizeof gen_ops / sizeof gen_ops[0])];
        break;
    case 5:
        op->version = edge_int(r);
        break;
    case 6:
        if (xtml_gen_below(r, 3) == 0) {
            op->has_options = (uint8_t)!op->has_options;
        } else {
            op->options_type = (uint8_t)xtml_gen_below(r, 128);
        }
        break;
    default: {
        /* An option field: a new value at an edge, or absent. */
        uint32_t k = xtml_gen_below(r, op->n_fields + 1u);
        xtml_gen_field_t *f;
        if (k >= XTML_GEN_MAX_FIELDS) {
            break;
        }
        if (k == op->n_fields) {
            opt_field(op, k, xtml_gen_below(r, 2) ? 1 : 4, 0);
        }
        f = &op->fields[k];
        if (f->kind == 'v') {
            if (f->len > 0 && xtml_gen_below(r, 3)) {
                st_u32(m->pool + f->at + 4 * xtml_gen_below(r, f->len), (uint32_t)edge_int(r));
            } else if (f->len > 0) {
                f->len--;
            }
        } else if (xtml_gen_below(r, 6) == 0) {
            f->kind = 0;
        } else if (f->kind == 4 && xtml_gen_below(r, 3) == 0) {
            f->value = f32_bits(edge_float(r));
        } else {
            f->value = (uint32_t)edge_int(r);
            if (f->kind == 1) {
                f->value &= 0xffu;
            }
            if (f->kind == 0) {
                f->kind = 1;
            }
        }
        break;
    }
    }
}

static void mutate_graph(xtml_gen_model_t *m, xtml_gen_rng_t *r) {
    uint32_t i;
    switch (xtml_gen_below(r, 8)) {
    case 0:
        if (m->n_inputs > 0) {
            m->inputs[xtml_gen_below(r, m->n_inputs)] = any_tensor(m, r);
        }
        break;
    case 1:
        if (m->n_outputs > 0) {
            m->outputs[xtml_gen_below(r, m->n_outputs)] = any_tensor(m, r);
        }
        break;
    case 2:
        if (xtml_gen_below(r, 2) && m->n_inputs > 0) {
            m->n_inputs--;
        } else if (m->n_inputs < XTML_GEN_MAX_GRAPH_IO) {
            m->inputs[m->n_inputs++] = any_tensor(m, r);
        }
        break;
    case 3:
        if (xtml_gen_below(r, 2) && m->n_outputs > 0) {
            m->n_outputs--;
        } else if (m->n_outputs < XTML_GEN_MAX_GRAPH_IO) {
            m->outputs[m->n_outputs++] = any_tensor(m, r);
        }
        break;
    case 4:
        /* Drop an operator. */
        if (m->n_ops > 0) {
            uint32_t k = xtml_gen_below(r, m->n_ops);
            for (i = k; i + 1 < m->n_ops; i++) {
                m->ops[i] = m->ops[i + 1];
            }
            m->n_ops--;
        }
        break;
    case 5:
        /* Swap two operators (order matters to the planner). */
        if (m->n_ops > 1) {
            uint32_t a = xtml_gen_below(r, m->n_ops), b = xtml_gen_below(r, m->n_ops);
            xtml_gen_op_t t = m->ops[a];
            m->ops[a] = m->ops[b];
            m->ops[b] = t;
        }
        break;
    case 6:
        /* Duplicate an operator (it then writes its outputs twice). */
        if (m->n_ops > 0 && m->n_ops < XTML_GEN_MAX_OPS) {
            m->ops[m->n_ops] = m->ops[xtml_gen_below(r, m->n_ops)];
            m->n_ops++;
        }
        break;
    default:
        /* A buffer: shorter, longer (data from the pool), stored outside, or 4 bytes off 16. */
        if (m->n_buffers > 1) {
            xtml_gen_buffer_t *b = &m->buffers[1 + xtml_gen_below(r, m->n_buffers - 1)];
            switch (xtml_gen_below(r, 4)) {
            case 0: b->len = b->len > 0 ? b->len - 1 - xtml_gen_below(r, b->len) : 0; break;
            case 1:
                if (b->at + b->len + 16 <= XTML_GEN_POOL) {
                    b->len += 1 + xtml_gen_below(r, 16);
                }
                break;
            case 2: b->external = (uint8_t)!b->external; break;
            default: b->skew4 = (uint8_t)!b->skew4; break;
            }
        }
        break;
    }
}

void xtml_gen_mutate(xtml_gen_model_t *m, xtml_gen_rng_t *r) {
    uint32_t c = xtml_gen_below(r, 10);
    if (c < 5) {
        mutate_tensor(m, r);
    } else if (c < 8) {
        mutate_op(m, r);
    } else {
        mutate_graph(m, r);
    }
}

/* A variable tensor neither a graph input nor written by an operator: state
 * the operator keeps (zero at the first invoke in the whole graph and alone),
 * not an input. */
static bool state_only(const xtml_gen_model_t *m, int32_t t) {
    uint32_t k;
    if (!m->tensors[t].is_variable || list_has32(m->inputs, m->n_inputs, t)) {
        return false;
    }
    for (k = 0; k < m->n_ops; k++) {
        if (list_has32(m->ops[k].outputs, m->ops[k].n_outputs, t)) {
            return false;
        }
    }
    return true;
}

void xtml_gen_single_op(const xtml_gen_model_t *m, uint32_t op, xtml_gen_model_t *out) {
    const xtml_gen_op_t *o = &m->ops[op];
    uint32_t i;
    memcpy(out, m, sizeof *out);
    out->ops[0] = *o;
    out->n_ops = 1;
    out->n_inputs = 0;
    out->n_outputs = 0;
    for (i = 0; i < o->n_inputs; i++) {
        int32_t t = o->inputs[i];
        if (t >= 0 && (uint32_t)t < m->n_tensors && !is_const(m, t) && !state_only(m, t) &&
            !list_has32(out->inputs, out->n_inputs, t) && out->n_inputs < XTML_GEN_MAX_GRAPH_IO) {
            out->inputs[out->n_inputs++] = t;
        }
    }
    for (i = 0; i < o->n_outputs && out->n_outputs < XTML_GEN_MAX_GRAPH_IO; i++) {
        if (!list_has32(out->outputs, out->n_outputs, o->outputs[i])) {
            out->outputs[out->n_outputs++] = o->outputs[i];
        }
    }
}
