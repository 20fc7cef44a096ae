/*
 * xtml_internal.h - what the core's files share: the flatbuffer reader, the
 * context layout, and the interface between the interpreter and the kernels.
 *
 * Kernel families (xtml_conv.c, xtml_fully_connected.c, xtml_pooling.c, xtml_elementwise.c,
 * xtml_activations.c, xtml_shape_ops.c, ...) each define xtml_kernel_t values. A kernel's
 * prepare() reads its tensors and options through xtml_prep_*(), validates
 * everything, precomputes its parameters into arena memory from
 * xtml_prep_persist() and may ask for scratch; eval() runs on raw pointers.
 */
#ifndef XTML_INTERNAL_H
#define XTML_INTERNAL_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "xtml.h"
#include "xtml_port.h"

/*
 * XTML_SIZE32(type): sizeof(type) on a 32-bit target. On 32-bit builds that
 * is sizeof itself; 64-bit builds read it from xtml_sizes32.h, which
 * `make -C native sizes32` writes with the rv32 compiler (a type missing
 * there fails to compile; a stale size fails test/core-arena.test.ts).
 */
#if SIZE_MAX == 0xffffffffu && UINTPTR_MAX == 0xffffffffu
#define XTML_SIZE32(type) sizeof(type)
#else
#include "xtml_sizes32.h"
#define XTML_SIZE32(type) ((size_t)XTML_SIZE32_##type)
#endif

/* No fused multiply-add anywhere in the core: float kernels must round each
 * product and sum exactly as TFLM's reference build does, also where a build
 * system (mcconfig for the ESP32, whose FPU has fused madd) cannot pass
 * -ffp-contract=off. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* ---- alignment-safe little-endian loads (the ESP32 faults on unaligned words) ---- */

#if defined(__GNUC__)
#define XTML_ALWAYS_INLINE __attribute__((always_inline))
#else
#define XTML_ALWAYS_INLINE
#endif

static inline uint16_t xtml_ld_u16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
XTML_ALWAYS_INLINE static inline uint32_t xtml_ld_u32(const uint8_t *p) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* one word load where the address allows it (flatbuffer scalars are
     * aligned whenever the model is): four byte loads cost a model's
     * per-channel checks several times over on MCUs */
    if (((uintptr_t)p & 3u) == 0) {
        uint32_t v;
        memcpy(&v, __builtin_assume_aligned(p, 4), sizeof v);
        return v;
    }
#endif
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline int32_t xtml_ld_i32(const uint8_t *p) {
    return (int32_t)xtml_ld_u32(p);
}
static inline int64_t xtml_ld_i64(const uint8_t *p) {
    return (int64_t)((uint64_t)xtml_ld_u32(p) | ((uint64_t)xtml_ld_u32(p + 4) << 32));
}
static inline float xtml_ld_f32(const uint8_t *p) {
    uint32_t u = xtml_ld_u32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- flatbuffer reading (after verification: no bounds checks) ---- */

/* A table: absolute offset of the table and of its vtable. pos == 0: absent. */
typedef struct xtml_fb_table {
    const uint8_t *buf;
    uint32_t pos;
    uint32_t vt;
    uint16_t vt_len;
} xtml_fb_table_t;

/* A vector: its first element and its length. len == 0 when absent. */
typedef struct xtml_fb_vec {
    const uint8_t *data;
    uint32_t len;
} xtml_fb_vec_t;

xtml_fb_table_t xtml_fb_root(const uint8_t *buf);
xtml_fb_table_t xtml_fb_at(const uint8_t *buf, uint32_t pos);
/* Absolute offset of field `field` (0-based), or 0 when absent. */
uint32_t xtml_fb_field(const xtml_fb_table_t *t, int field);
int32_t xtml_fb_i32(const xtml_fb_table_t *t, int field, int32_t def);
uint32_t xtml_fb_u32(const xtml_fb_table_t *t, int field, uint32_t def);
int64_t xtml_fb_i64(const xtml_fb_table_t *t, int field, int64_t def);
uint8_t xtml_fb_u8(const xtml_fb_table_t *t, int field, uint8_t def);
int8_t xtml_fb_i8(const xtml_fb_table_t *t, int field, int8_t def);
float xtml_fb_f32(const xtml_fb_table_t *t, int field, float def);
bool xtml_fb_bool(const xtml_fb_table_t *t, int field, bool def);
xtml_fb_table_t xtml_fb_table(const xtml_fb_table_t *t, int field);
xtml_fb_vec_t xtml_fb_vec(const xtml_fb_table_t *t, int field);
/* Element i of a vector of tables. */
xtml_fb_table_t xtml_fb_vec_table(const xtml_fb_table_t *t, xtml_fb_vec_t v, uint32_t i);
/* A string field, NUL-terminated (verified); "" when absent. */
const char *xtml_fb_str(const xtml_fb_table_t *t, int field);
/* Operator `op`'s builtin code (deprecated and new fields), from the model's operator codes. */
int32_t xtml_fb_op_builtin(const xtml_fb_table_t *root, const xtml_fb_table_t *op);

/* Field numbers of the TensorFlow Lite schema tables we read. */
enum { XTML_MODEL_VERSION = 0, XTML_MODEL_OPCODES = 1, XTML_MODEL_SUBGRAPHS = 2,
       XTML_MODEL_DESCRIPTION = 3, XTML_MODEL_BUFFERS = 4, XTML_MODEL_METADATA_BUFFER = 5,
       XTML_MODEL_METADATA = 6, XTML_MODEL_SIGNATURES = 7 };
enum { XTML_OPCODE_DEPRECATED_BUILTIN = 0, XTML_OPCODE_CUSTOM = 1, XTML_OPCODE_VERSION = 2,
       XTML_OPCODE_BUILTIN = 3 };
enum { XTML_SUBGRAPH_TENSORS = 0, XTML_SUBGRAPH_INPUTS = 1, XTML_SUBGRAPH_OUTPUTS = 2,
       XTML_SUBGRAPH_OPERATORS = 3, XTML_SUBGRAPH_NAME = 4 };
enum { XTML_TENSOR_SHAPE = 0, XTML_TENSOR_TYPE = 1, XTML_TENSOR_BUFFER = 2, XTML_TENSOR_NAME = 3,
       XTML_TENSOR_QUANT = 4, XTML_TENSOR_IS_VARIABLE = 5, XTML_TENSOR_SPARSITY = 6,
       XTML_TENSOR_SHAPE_SIGNATURE = 7 };
enum { XTML_QUANT_MIN = 0, XTML_QUANT_MAX = 1, XTML_QUANT_SCALE = 2, XTML_QUANT_ZERO_POINT = 3,
       XTML_QUANT_DETAILS_TYPE = 4, XTML_QUANT_DETAILS = 5, XTML_QUANT_DIMENSION = 6 };
enum { XTML_OP_OPCODE_INDEX = 0, XTML_OP_INPUTS = 1, XTML_OP_OUTPUTS = 2, XTML_OP_OPTIONS_TYPE = 3,
       XTML_OP_OPTIONS = 4, XTML_OP_CUSTOM_OPTIONS = 5, XTML_OP_CUSTOM_FORMAT = 6,
       XTML_OP_MUTATING_INPUTS = 7, XTML_OP_INTERMEDIATES = 8, XTML_OP_LARGE_CUSTOM_OFFSET = 9,
       XTML_OP_LARGE_CUSTOM_SIZE = 10, XTML_OP_OPTIONS2_TYPE = 11, XTML_OP_OPTIONS2 = 12 };
enum { XTML_BUFFER_DATA = 0, XTML_BUFFER_OFFSET = 1, XTML_BUFFER_SIZE = 2 };

/* BuiltinOptions union members (the union's type byte) that our kernels read. */
enum {
    XTML_OPTS_NONE = 0,
    XTML_OPTS_CONV2D = 1,
    XTML_OPTS_DEPTHWISE_CONV2D = 2,
    XTML_OPTS_POOL2D = 5,
    XTML_OPTS_SVDF = 6,
    XTML_OPTS_FULLY_CONNECTED = 8,
    XTML_OPTS_SOFTMAX = 9,
    XTML_OPTS_CONCATENATION = 10,
    XTML_OPTS_ADD = 11,
    XTML_OPTS_RESHAPE = 17,
    XTML_OPTS_MUL = 21,
    XTML_OPTS_PAD = 22,
    XTML_OPTS_TRANSPOSE = 26,
    XTML_OPTS_REDUCER = 27,
    XTML_OPTS_SUB = 28,
    XTML_OPTS_SQUEEZE = 30,
    XTML_OPTS_STRIDED_SLICE = 32,
    XTML_OPTS_SPLIT = 35,
    XTML_OPTS_DEQUANTIZE = 38,
    XTML_OPTS_MAXIMUM_MINIMUM = 39,
    XTML_OPTS_ARG_MAX = 40,
    XTML_OPTS_PADV2 = 43,
    XTML_OPTS_EXPAND_DIMS = 52,
    XTML_OPTS_SHAPE = 55,
    XTML_OPTS_PACK = 59,
    XTML_OPTS_UNPACK = 64,
    XTML_OPTS_RESIZE_NEAREST_NEIGHBOR = 74,
    XTML_OPTS_LEAKY_RELU = 75,
    XTML_OPTS_QUANTIZE = 89,
    XTML_OPTS_HARD_SWISH = 91,
    /* data movement and reductions (xtml_reduce_ops.c, xtml_gather.c, xtml_space.c, ...) */
    XTML_OPTS_RESIZE_BILINEAR = 15, XTML_OPTS_SPACE_TO_DEPTH = 19, XTML_OPTS_GATHER = 23,
    XTML_OPTS_BATCH_TO_SPACE_ND = 24, XTML_OPTS_SPACE_TO_BATCH_ND = 25, XTML_OPTS_SLICE = 48,
    XTML_OPTS_TRANSPOSE_CONV = 49, XTML_OPTS_ARG_MIN = 57, XTML_OPTS_MIRROR_PAD = 77,
    XTML_OPTS_GATHER_ND = 83, XTML_OPTS_DEPTH_TO_SPACE = 94, XTML_OPTS_BATCH_MATMUL = 101,
    XTML_OPTS_CUMSUM = 102, XTML_OPTS_BROADCAST_TO = 104, XTML_OPTS_UNIDIRECTIONAL_SEQUENCE_LSTM = 71,
    /* subgraphs and resource variables (xtml_subgraph.c) */
    XTML_OPTS_IF = 92, XTML_OPTS_WHILE = 93, XTML_OPTS_CALL_ONCE = 103, XTML_OPTS_VAR_HANDLE = 111
};

/* Builtin operator codes we run. */
enum {
    XTML_OP_ADD = 0, XTML_OP_AVERAGE_POOL_2D = 1, XTML_OP_CONCATENATION = 2, XTML_OP_CONV_2D = 3,
    XTML_OP_DEPTHWISE_CONV_2D = 4, XTML_OP_DEQUANTIZE = 6, XTML_OP_FULLY_CONNECTED = 9,
    XTML_OP_LOGISTIC = 14, XTML_OP_SVDF = 27, XTML_OP_MAX_POOL_2D = 17, XTML_OP_MUL = 18, XTML_OP_RELU = 19,
    XTML_OP_RELU6 = 21, XTML_OP_RESHAPE = 22, XTML_OP_SOFTMAX = 25, XTML_OP_TANH = 28,
    XTML_OP_CUSTOM = 32, XTML_OP_PAD = 34, XTML_OP_TRANSPOSE = 39, XTML_OP_MEAN = 40,
    XTML_OP_SUB = 41, XTML_OP_SQUEEZE = 43, XTML_OP_STRIDED_SLICE = 45, XTML_OP_SPLIT = 49,
    XTML_OP_MAXIMUM = 55, XTML_OP_ARG_MAX = 56, XTML_OP_MINIMUM = 57, XTML_OP_PADV2 = 60,
    XTML_OP_EXPAND_DIMS = 70, XTML_OP_SHAPE = 77, XTML_OP_PACK = 83, XTML_OP_UNPACK = 88,
    XTML_OP_RESIZE_NEAREST_NEIGHBOR = 97, XTML_OP_LEAKY_RELU = 98, XTML_OP_QUANTIZE = 114,
    XTML_OP_HARD_SWISH = 117,
    /* data movement and reductions */
    XTML_OP_DEPTH_TO_SPACE = 5, XTML_OP_EMBEDDING_LOOKUP = 7, XTML_OP_RESIZE_BILINEAR = 23,
    XTML_OP_SPACE_TO_DEPTH = 26, XTML_OP_GATHER = 36, XTML_OP_BATCH_TO_SPACE_ND = 37,
    XTML_OP_SPACE_TO_BATCH_ND = 38, XTML_OP_SLICE = 65, XTML_OP_TRANSPOSE_CONV = 67, XTML_OP_SUM = 74,
    XTML_OP_ARG_MIN = 79, XTML_OP_REDUCE_MAX = 82, XTML_OP_REDUCE_MIN = 89, XTML_OP_MIRROR_PAD = 100,
    XTML_OP_GATHER_ND = 107, XTML_OP_BATCH_MATMUL = 126, XTML_OP_CUMSUM = 128,
    XTML_OP_BROADCAST_TO = 130, XTML_OP_BROADCAST_ARGS = 145, XTML_OP_UNIDIRECTIONAL_SEQUENCE_LSTM = 44,
    /* subgraphs and resource variables */
    XTML_OP_IF = 118, XTML_OP_WHILE = 119, XTML_OP_CALL_ONCE = 129, XTML_OP_VAR_HANDLE = 142,
    XTML_OP_READ_VARIABLE = 143, XTML_OP_ASSIGN_VARIABLE = 144
};

/* Fused activation function values of the schema. */
enum { XTML_ACT_NONE = 0, XTML_ACT_RELU = 1, XTML_ACT_RELU_N1_TO_1 = 2, XTML_ACT_RELU6 = 3,
       XTML_ACT_TANH = 4, XTML_ACT_SIGN_BIT = 5 };
/* Padding values of the schema. */
enum { XTML_PADDING_SAME = 0, XTML_PADDING_VALID = 1 };

/* ---- detail messages ---- */

#if defined(__GNUC__) || defined(__clang__)
#define XTML_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define XTML_PRINTF(f, a)
#endif

/* printf subset: %s %d %u %ld %lu %lld %llu %zu %x %c %%. No %g: a float
 * would travel as a double through the varargs (a soft-float conversion on
 * MCUs without a double FPU); floats are printed as text instead, with
 * "%s" and XTML_F32(x), which -Wdouble-promotion keeps that way. */
void xtml_fmt(char *out, size_t cap, const char *fmt, ...) XTML_PRINTF(3, 4);
void xtml_vfmt(char *out, size_t cap, const char *fmt, va_list ap);

/* x as printf's "%g" writes it (six significant digits), from its bits with
 * integer arithmetic; buf holds XTML_F32_TEXT bytes. Returns buf. */
#define XTML_F32_TEXT 16
const char *xtml_f32_text(char *buf, float x);
/* The text of x for a "%s" in a detail message, in a buffer that lives until
 * the end of the enclosing block; "" when details are compiled out. */
#ifndef XTML_NO_DETAIL
#define XTML_F32(x) xtml_f32_text((char[XTML_F32_TEXT]){ 0 }, (x))
#else
#define XTML_F32(x) ((void)(x), "")
#endif

/* For calls without a context (the frame path): an empty diag (may be NULL),
 * and a failure written into it; returns status. */
void xtml_diag_clear(xtml_diag_t *diag);
xtml_status_t xtml_diag_fail(xtml_diag_t *diag, xtml_status_t status, const char *fmt, ...) XTML_PRINTF(3, 4);

/* ---- tensors as kernels see them at prepare ---- */

typedef struct xtml_tinfo {
    int32_t index;            /* tensor index in the subgraph, -1 for an absent optional input */
    xtml_dtype_t type;
    int32_t ndim;
    int32_t dims[XTML_MAX_DIMS];
    int32_t count;            /* element count (fits: verified) */
    size_t bytes;
    bool is_const;
    bool is_variable;         /* state kept between invokes (is_variable in the model) */
    const void *data;         /* constant data in the model, NULL otherwise */
    const char *name;
    /* Quantization; n_scales == 0 when absent. Raw little-endian arrays. */
    int32_t n_scales;
    int32_t n_zero_points;
    int32_t quant_dim;
    const uint8_t *scales_raw;       /* float32[n_scales] */
    const uint8_t *zero_points_raw;  /* int64[n_zero_points] */
    float scale;                     /* scale[0] or 0 */
    int32_t zero_point;              /* zero_point[0] or 0 */
} xtml_tinfo_t;

/* 0 < x <= FLT_MAX, from the bits (an integer comparison: no soft-float call
 * on MCUs without an FPU). */
static inline bool xtml_f32_is_positive_finite(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits - 1u < 0x7F7FFFFFu;
}

static inline float xtml_tinfo_scale(const xtml_tinfo_t *t, int32_t i) {
    return xtml_ld_f32(t->scales_raw + 4 * (size_t)i);
}
static inline int32_t xtml_tinfo_zero_point(const xtml_tinfo_t *t, int32_t i) {
    return (int32_t)xtml_ld_i64(t->zero_points_raw + 8 * (size_t)i);
}

/* ---- the interpreter's runtime records (all inside the arena) ---- */

/* xtml_kernel_t is declared in xtml.h (the operator tables name it). */

typedef struct xtml_node {
    const xtml_kernel_t *kernel;
    void *params;              /* the kernel's persistent data, or NULL */
    void *scratch;             /* this operator's scratch in the planned region, or NULL */
    const uint8_t *inputs;     /* int32 tensor indices, little-endian, in the model */
    const uint8_t *outputs;
    uint16_t n_inputs;
    uint16_t n_outputs;
    uint32_t macs;             /* multiply-accumulates per invoke, saturating */
} xtml_node_t;

struct xtml_ctx {
    const uint8_t *model;
    size_t model_bytes;
    xtml_fb_table_t subgraph;
    void **data;               /* per tensor: arena or model pointer, NULL if unused */
    xtml_node_t *nodes;
    const uint8_t *graph_inputs;   /* int32 tensor indices in the model */
    const uint8_t *graph_outputs;
    int32_t n_tensors;
    int32_t n_nodes;
    int32_t n_inputs;
    int32_t n_outputs;
    size_t used;
    xtml_profile_fn profiler;
    void *profiler_user;
    /* Tensors kept alive to the end of the invoke (xtml_options_t); their
     * indices follow the node records. */
    int32_t n_kept;
#ifndef XTML_NO_DETAIL
    /* Errors of calls made on the context (load errors go to the caller's
     * xtml_diag_t), kept short because it lives in the arena: 60 bytes, so
     * that the context is 8-byte aligned in size with n_kept beside it. */
    char detail[60];
#endif
};

/* Data pointer of a node's input/output i (NULL for an absent optional input). */
static inline void *xtml_node_in(const xtml_ctx_t *ctx, const xtml_node_t *node, int i) {
    int32_t t = xtml_ld_i32(node->inputs + 4 * i);
    return t < 0 ? NULL : ctx->data[t];
}
static inline void *xtml_node_out(const xtml_ctx_t *ctx, const xtml_node_t *node, int i) {
    return ctx->data[xtml_ld_i32(node->outputs + 4 * i)];
}

/* ---- subgraphs and resource variables (xtml_subgraph.c) ---- */

/* One subgraph at run time. Subgraph 0's tables are the context's own. */
typedef struct xtml_graph {
    void **data;               /* per tensor of this subgraph */
    xtml_node_t *nodes;
    const uint8_t *inputs;     /* int32 tensor indices in the model */
    const uint8_t *outputs;
    int32_t index;
    int32_t n_tensors;
    int32_t n_nodes;
    int32_t n_inputs;
    int32_t n_outputs;
} xtml_graph_t;

/* One resource variable (VAR_HANDLE's container and shared_name): its bytes
 * in the arena and the byte xtml_reset_state() fills them with. */
typedef struct xtml_var {
    uint8_t *data;
    uint32_t bytes;
    uint32_t fill;
} xtml_var_t;

/*
 * What a model with several subgraphs or with resource variables adds to the
 * context (models with one subgraph and no VAR_HANDLE have none, so their
 * arena is what it was): placed after the kept-tensor table.
 */
typedef struct xtml_ext {
    xtml_graph_t *graphs;      /* every subgraph, by index */
    xtml_var_t *vars;
    int32_t n_graphs;
    int32_t n_vars;
    uint32_t epoch;            /* CALL_ONCE runs again when this changes (xtml_reset_state) */
    uint32_t reserved;
} xtml_ext_t;

/* Most subgraphs a model calling subgraphs may have. */
#ifndef XTML_MAX_SUBGRAPHS
#define XTML_MAX_SUBGRAPHS 32
#endif

/* Whether a custom operator keeps state between invokes (xtml_signal_stream.c). */
bool xtml_custom_has_state(const char *custom_code);
/* Whether a (verified) model needs the extension: several subgraphs, a
 * VAR_HANDLE, or a custom operator that keeps state (its reset epoch). */
bool xtml_model_has_ext(const xtml_fb_table_t *root);
/* The subgraphs operator `op` of the model calls (CALL_ONCE, IF, WHILE), into
 * callees[0..1]; returns how many (0 for other operators). */
int xtml_op_callees(const xtml_fb_table_t *root, const xtml_fb_table_t *op, int32_t *callees);
/* Every subgraph index in range and no subgraph calling itself directly or
 * through others; `order` (n_subgraphs entries, or NULL) gets the subgraphs
 * with every caller before its callees. */
xtml_status_t xtml_call_graph(const xtml_fb_table_t *root, int32_t *order, char *detail, size_t detail_cap);
/* Resource variables: how many distinct (container, shared_name) pairs. */
int32_t xtml_var_count(const xtml_fb_table_t *root);
/* Variable `v`'s size and fill byte from the READ_VARIABLE and ASSIGN_VARIABLE
 * operators that use it, after checking each of them. */
xtml_status_t xtml_var_layout(const xtml_fb_table_t *root, int32_t v, uint32_t *bytes, uint32_t *fill,
                              char *detail, size_t detail_cap);
/*
 * The resource-variable layout, which the interpreter needs before it
 * prepares any operator of a model with VAR_HANDLE. It reaches these only
 * through the VAR_HANDLE kernel of its operator table (xtml_prep_offer_vars()),
 * so that a firmware whose table has no VAR_HANDLE does not link them.
 */
typedef struct xtml_var_support {
    int32_t (*count)(const xtml_fb_table_t *root);                         /* xtml_var_count */
    xtml_status_t (*layout)(const xtml_fb_table_t *root, int32_t v, uint32_t *bytes, uint32_t *fill,
                            char *detail, size_t detail_cap);               /* xtml_var_layout */
} xtml_var_support_t;

/* Run subgraph g's operators on the context (CALL_ONCE, IF, WHILE). */
xtml_status_t xtml_run_graph(xtml_ctx_t *ctx, const xtml_graph_t *g);

/* ---- the kernel interface ---- */

typedef struct xtml_prep xtml_prep_t;

struct xtml_kernel {
    const char *name;
    /* Validate and precompute. Runs twice: measuring (no memory) then for real. */
    xtml_status_t (*prepare)(xtml_prep_t *p);
    /* Run on the arena. Only data-dependent checks here. */
    xtml_status_t (*eval)(xtml_ctx_t *ctx, const xtml_node_t *node);
};
/* A typed entry's kernel (XTML_OPERATOR_TYPES) refuses another type with
 * XTML_STATUS_UNSUPPORTED_TYPE before it asks for any memory: the
 * interpreter then prepares the operator with the table's next entry of the
 * same builtin, if there is one (as it does after any kernel that refuses a
 * type without asking for memory). */


int xtml_prep_n_inputs(const xtml_prep_t *p);
int xtml_prep_n_outputs(const xtml_prep_t *p);
/* Fill t with input/output i. For an absent optional input (-1) t->index is -1. */
void xtml_prep_input(const xtml_prep_t *p, int i, xtml_tinfo_t *t);
void xtml_prep_output(const xtml_prep_t *p, int i, xtml_tinfo_t *t);
/* The builtin options table if its union type is `type`. false when absent
 * (then *t reads as all defaults); fails with BAD_OPTIONS when another type. */
xtml_status_t xtml_prep_options(xtml_prep_t *p, int type, xtml_fb_table_t *t);
int32_t xtml_prep_builtin_version(const xtml_prep_t *p);
/* A custom operator's options (custom_options; len 0 when absent); fails
 * with BAD_OPTIONS unless their format is FLEXBUFFERS. */
/* Writes the message into detail (cap bytes, when detail is not NULL and the
 * build keeps messages) and returns status. */
xtml_status_t xtml_set_detail(char *detail, size_t cap, xtml_status_t status, const char *fmt, ...)
    XTML_PRINTF(4, 5);

xtml_status_t xtml_prep_custom_options(xtml_prep_t *p, const uint8_t **data, uint32_t *len);

/*
 * The types a kernel body shared by a full operator entry and its typed
 * entries handles (CONV_2D all of them, CONV_2D_INT8 int8 only): the bodies
 * are inlined into each entry with constant flags, so an int8 entry keeps no
 * code of the others.
 */
#define XTML_KTYPE_S8 1u
#define XTML_KTYPE_S16 2u
#define XTML_KTYPE_INT4 4u
#define XTML_KTYPE_F32 8u
#define XTML_KTYPES_ALL (XTML_KTYPE_S8 | XTML_KTYPE_S16 | XTML_KTYPE_INT4 | XTML_KTYPE_F32)

/* Whether a weighted operator (input, weights, optional bias, output) is int8
 * throughout with an int32 bias or none: what the _INT8 entries run. */
bool xtml_prep_int8_weighted(const xtml_prep_t *p);
/*
 * Persistent memory for the kernel's parameters, zeroed, aligned for any
 * scalar. Returns NULL in the measuring pass: do every check first, then
 * allocate, then `if (mem == NULL) return XTML_STATUS_OK;`.
 *
 * `bytes32` is what the same request takes on a 32-bit target (pointers and
 * size_t of 4 bytes), so that a 64-bit build can size a device's arena
 * exactly (xtml_arena_size_for). Ask through XTML_PREP_PERSIST(p, type,
 * extra): `type` then `extra` bytes whose size does not depend on the pointer
 * size (int8/int32 arrays, tables); call this directly only when it does.
 */
void *xtml_prep_persist(xtml_prep_t *p, size_t bytes, size_t bytes32);
/* Persisted types store enums as uint8_t, never as the enum type: ARM's
 * short enums would otherwise lay them out differently on Cortex-M than on
 * the other 32-bit targets (make check-sizes32 compares the MCU compilers). */
#define XTML_PREP_PERSIST(p, type, extra) \
    xtml_prep_persist((p), sizeof(type) + (extra), XTML_SIZE32(type) + (extra))
/* Scratch for this operator only; available as node->scratch at eval. */
void xtml_prep_scratch(xtml_prep_t *p, size_t bytes);
/* Output `out` shares input `in`'s memory (reshape-like operators). */
void xtml_prep_alias(xtml_prep_t *p, int out, int in);
/* The kernel stays correct when output `out` is the same memory as input
 * `in` (it reads each element before writing the same one). The planner then
 * reuses the input's memory when nothing reads that input afterwards. */
void xtml_prep_inplace(xtml_prep_t *p, int out, int in);
void xtml_prep_set_macs(xtml_prep_t *p, uint64_t macs);
/* The model, and the subgraph being prepared. */
const xtml_fb_table_t *xtml_prep_root(const xtml_prep_t *p);
int32_t xtml_prep_graph_index(const xtml_prep_t *p);
/* The extension (NULL while measuring or for a model without one). */
xtml_ext_t *xtml_prep_ext(const xtml_prep_t *p);
/* Subgraph `graph`'s input (outputs false) or output i, as xtml_prep_input() reads. */
void xtml_prep_graph_tensor(const xtml_prep_t *p, int32_t graph, bool outputs, int i, xtml_tinfo_t *t);
/* VAR_HANDLE's prepare first: true when the interpreter is asking the
 * kernel for the variable layout rather than preparing an operator (it then
 * takes `vars` and the prepare returns OK at once). */
bool xtml_prep_offer_vars(xtml_prep_t *p, const xtml_var_support_t *vars);
/* Record a failure; the message is prefixed with the operator's index and name. */
xtml_status_t xtml_prep_fail(xtml_prep_t *p, xtml_status_t status, const char *fmt, ...) XTML_PRINTF(3, 4);

/* Common checks kernels use; each fails with a specific message. */
xtml_status_t xtml_prep_expect_type(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role,
                                    xtml_dtype_t type);
xtml_status_t xtml_prep_expect_same_shape(xtml_prep_t *p, const xtml_tinfo_t *a, const char *role_a,
                                          const xtml_tinfo_t *b, const char *role_b);
/* Per-tensor int8 quantization present (scale > 0). */
xtml_status_t xtml_prep_expect_quantized(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role);
/* Numpy broadcast of n <= 3 inputs to `out` as a loop nest (xtml_math.c). */
xtml_status_t xtml_prep_broadcast(xtml_prep_t *p, const xtml_tinfo_t *ins, int n, const xtml_tinfo_t *out,
                                  uint8_t *ndim, int32_t *extent, int32_t (*stride)[XTML_MAX_DIMS]);
/* MEAN's, SUM's, REDUCE_MAX's and REDUCE_MIN's axes and output shape, as merged axes (xtml_reduce.c). */
xtml_status_t xtml_prep_reduction(xtml_prep_t *p, const xtml_tinfo_t *in,
                                  const xtml_tinfo_t *axis, const xtml_tinfo_t *out,
                                  bool keep_dims, int32_t *ndim, int32_t *dims,
                                  int32_t *out_stride, int32_t *n_reduced);
/* Input and output of an int8 kernel with weights: both quantized, zero points within int8. */
xtml_status_t xtml_prep_expect_s8_io(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out);
/* Input and output of a 16x8 kernel (int16 activations, int8 weights): both
 * quantized, zero points 0 (TFLM's 16x8 convolutions ignore zero points). */
xtml_status_t xtml_prep_expect_s16_io(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out);

/* ---- fixed-point arithmetic shared by the int8 kernels (xtml_quant.c) ---- */

/*
 * TFLM's QuantizeMultiplier(): a real multiplier as a Q31 multiplier and a
 * power-of-two shift (positive = left), bit for bit what TFLM's double
 * computation gives, from the float bits with integer arithmetic only
 * (xtml_quant.c). The real is, as TFLM writes it:
 *   xtml_quantize_f32          (double)x
 *   xtml_quantize_f32_div      (double)a / (double)b
 *   xtml_quantize_f32_mul_div  (double)a * (double)b / (double)c
 * A NaN or infinite real gives shift XTML_SHIFT_INVALID. Callers must refuse
 * shifts outside [-31, 30] before applying them (larger ones are undefined
 * shifts).
 */
#define XTML_SHIFT_INVALID 1000
void xtml_quantize_f32(float x, int32_t *multiplier, int *shift);
void xtml_quantize_f32_div(float a, float b, int32_t *multiplier, int *shift);
void xtml_quantize_f32_mul_div(float a, float b, float c, int32_t *multiplier, int *shift);
/*
 * Whether the shift of xtml_quantize_f32_mul_div(a, b, c) is at most
 * max_shift (>= 0): a prepare check that need not compute the multiplier.
 * For positive normal floats a * b / c = (mantissa ratio in (1/2, 4)) * 2^e
 * with e from the exponent fields, so the shift is in [e, e + 3]; only when
 * max_shift falls inside that range is the multiplier computed.
 */
bool xtml_quantize_shift_at_most_exact(float a, float b, float c, int max_shift);
static inline bool xtml_quantize_shift_at_most(float a, float b, float c, int max_shift) {
    uint32_t ba, bb, bc;
    int32_t e;
    memcpy(&ba, &a, sizeof ba);
    memcpy(&bb, &b, sizeof bb);
    memcpy(&bc, &c, sizeof bc);
    if (ba - 0x800000u < 0x7F000000u && bb - 0x800000u < 0x7F000000u && bc - 0x800000u < 0x7F000000u) {
        e = (int32_t)(ba >> 23) + (int32_t)(bb >> 23) - (int32_t)(bc >> 23) - 127;
        if (e + 3 <= max_shift) {
            return true;
        }
        if (e > max_shift) {
            return false;
        }
    }
    return xtml_quantize_shift_at_most_exact(a, b, c, max_shift);
}
/* int8 SOFTMAX's input multiplier: beta * scale * 2^26 capped at 2^31 - 1,
 * quantized; false (TFLM aborts) unless that product exceeds 1. */
bool xtml_quantize_softmax_beta(float beta, float scale, int32_t *multiplier, int *shift);
/* QuantizeMultiplier((double)a * (double)b / d) for a double d = d_mant * 2^d_exp
 * (d_mant in [2^52, 2^53)): the quotient rounded to a double as TFLM's is. */
void xtml_quantize_f32_mul_div_f64(float a, float b, uint64_t d_mant, int32_t d_exp, int32_t *multiplier,
                                   int *shift);
/* TFLM's check that a bias scale matches input scale x weights scale:
 * |in * w - bias| / out <= 0.02 with each step rounded as a double (the
 * product is exact). A bias scale of 0 (none) counts as 0; scales must
 * otherwise be finite and positive, else false. */
bool xtml_bias_scale_matches(float input_scale, float weights_scale, float bias_scale, float output_scale);
/* |(double)a - (double)b| < 1e-5 with the difference rounded to a double
 * (TFLM's SVDF bias-scale check); false for a NaN or infinity. */
bool xtml_f32_within_1e5(float a, float b);
/* x * multiplier * 2^shift with TFLite's double rounding (gemmlowp). */
int32_t xtml_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);
/* TFLite's INT4 weights (two per byte, the low nibble first, sign-extended)
 * as count int8 values (xtml_quant.c): CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED unpack them into their scratch at every invoke, as TFLM. */
void xtml_unpack_int4(const uint8_t *packed, int32_t count, int8_t *out);
/* The 64-bit accumulator variant (used with int16 activations). */
int32_t xtml_mul_by_quantized_multiplier_64(int64_t x, int32_t multiplier, int shift);
int32_t xtml_saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
int32_t xtml_rounding_divide_by_pot(int32_t x, int exponent);
/* TFLite's GetInvSqrtQuantizedMultiplierExp(input, -1, ...): 1 / sqrt(input)
 * as a multiplier and a left shift (xtml_activations.c). */
int32_t xtml_inv_sqrt_multiplier(int32_t input, int *shift);
/* gemmlowp's one_over_one_plus_x_for_x_in_0_1, Q0.31 in and out. */
int32_t xtml_one_over_one_plus_x(int32_t a);
/* TFLite's int16 sigmoid and tanh: its 256-entry sigmoid table, interpolated
 * (xtml_activations.c); v in the table's steps, result in Q0.15. */
int32_t xtml_sigmoid16_interp(int32_t v);
int32_t xtml_tanh16_interp(int32_t v);
/* Clamp range of a fused activation for a quantized output. */
void xtml_activation_range_quantized(int act, float scale, int32_t zero_point, int32_t qmin,
                                     int32_t qmax, int32_t *out_min, int32_t *out_max);
void xtml_activation_range_float(int act, float *out_min, float *out_max);

/*
 * The same requantization as xtml_mul_by_quantized_multiplier, inlined for
 * the kernels' inner loops, for a multiplier in [0, 2^31) and a shift in
 * [-31, 30] (checked at prepare). The doubling high multiply cannot saturate
 * (that needs both operands INT32_MIN), and its round-half-away-from-zero
 * division of a*b by 2^31 equals floor((a*b + 2^30) / 2^31) for either sign,
 * so it is one add and a shift.
 */
static inline int32_t xtml_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
    int left = shift > 0 ? (int)shift : 0;
    int right = shift > 0 ? 0 : (int)-shift;
    int64_t prod = (int64_t)(int32_t)((uint32_t)acc << left) * multiplier;
    int32_t high = (int32_t)((prod + ((int64_t)1 << 30)) >> 31);
    int32_t mask = (int32_t)((1u << right) - 1u);
    int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

/* a + b wrapping modulo 2^32: TFLM adds the output zero point to a
 * requantized int32 that can be near the int32 limits, an overflow its
 * compiled code wraps (and C leaves undefined). */
static inline int32_t xtml_add_wrap(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int8_t xtml_clamp_s8(int32_t v, int32_t lo, int32_t hi) {
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

static inline int16_t xtml_clamp_s16(int32_t v, int32_t lo, int32_t hi) {
    v = v < lo ? lo : v;
    return (int16_t)(v > hi ? hi : v);
}

/* std::min(std::max(v, lo), hi) as TFLM writes it; NaN passes through. */
static inline float xtml_clamp_f32(float v, float lo, float hi) {
    v = v < lo ? lo : v;
    return hi < v ? hi : v;
}

/* ---- float functions, the same bits on every build (xtml_fmath.c) ---- */

/* e^x and tanh(x), rounded to nearest from an integer evaluation; any NaN
 * gives the quiet NaN 0x7FC00000. */
float xtml_exp_f32(float x);
float xtml_tanh_f32(float x);
/* Natural log the same way: -inf for +-0, NaN for negatives and NaN. */
float xtml_log_f32(float x);
/* sin and cos of a float, the same bits on every build (xtml_fmath.c). */
float xtml_sin_f32(float x);
float xtml_cos_f32(float x);
/* The correctly rounded square root, from integers (xtml_math.c); NaN for
 * negatives and NaN is 0xFFC00000. */
float xtml_sqrt_f32(float x);
/* e^x - 1 for x < 0 (x itself otherwise), with the relative precision of
 * small arguments kept; NaN gives 0x7FC00000. */
float xtml_expm1_neg_f32(float x);
/* v * 2^e (v >= 0) rounded to the nearest float, ties to even, subnormals and
 * overflow (inf) included; sticky: the value is a little more than that. */
float xtml_f32_scaled(uint64_t v, int32_t e, bool sticky);

/* The operator entries and xtml_ops_all are in xtml_ops.c (XTML_OPERATORS in xtml.h). */

#endif /* XTML_INTERNAL_H */
