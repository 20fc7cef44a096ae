/*
 * xtml.h - the xs-tinyml inference core: the whole public API.
 *
 * Runs int8-quantized TensorFlow Lite flatbuffers with results bit-identical
 * to TensorFlow Lite Micro's reference kernels. Portable C99, no heap.
 *
 * Life of a model:
 *   1. xtml_model_verify()  bounds-checked walk of the whole flatbuffer.
 *   2. xtml_arena_size()    exact number of arena bytes the model needs.
 *   3. xtml_init()          verify + prepare + plan into a caller-owned arena.
 *   4. xtml_input_data() / xtml_invoke() / xtml_output_data(), repeatedly.
 *
 * Ownership:
 *   - Model bytes belong to the caller. They are neither copied nor written.
 *     They must stay valid and unchanged for as long as the context is used
 *     (on a microcontroller they normally sit in memory-mapped flash).
 *     Constant tensors of multi-byte types must be aligned to their element
 *     size in memory (int64: 4, unless the constant is a graph output);
 *     flatbuffers place them 16-byte aligned relative to the file start, so a
 *     model buffer aligned to 16 always satisfies this.
 *   - The arena belongs to the caller, must be aligned to XTML_ARENA_ALIGN and
 *     holds everything the context needs: the context itself, tensor tables,
 *     per-operator parameters and all activation buffers. There is no other
 *     allocation anywhere in the library. The context lives inside the arena
 *     and ends when the caller reuses or frees the arena; there is no
 *     separate release call.
 *   - Pointers returned by xtml_input_data()/xtml_output_data() point into the
 *     arena and stay valid as long as the context. Input contents are
 *     undefined after xtml_invoke() (their memory may be reused for
 *     activations); write the inputs before every invoke.
 *
 * Errors are values: every call returns an xtml_status_t; XTML_STATUS_OK is 0.
 * A short detail message naming the offending tensor, operator or offset is
 * written to the caller's xtml_diag_t (may be NULL), or kept in the context
 * for calls made on one. Define XTML_NO_DETAIL to compile the messages out.
 *
 * Beside the interpreter, the frame path (at the end of this header) turns a
 * camera frame into an image model's input and a FOMO-style grid of scores
 * into objects, on caller memory, without a context.
 */
#ifndef XTML_H
#define XTML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XTML_VERSION_MAJOR 0
#define XTML_VERSION_MINOR 1

/* Alignment the arena start must have. */
#define XTML_ARENA_ALIGN 16
/* Largest tensor rank the core handles. */
#define XTML_MAX_DIMS 6
/* Size of a detail message buffer, terminating NUL included. */
#define XTML_DETAIL_MAX 160

typedef enum xtml_status {
    XTML_STATUS_OK = 0,
    /* API misuse: NULL pointer, index out of range, wrong byte count. */
    XTML_STATUS_BAD_ARGUMENT,
    /* Model structure (verification). */
    XTML_STATUS_MODEL_TRUNCATED,      /* shorter than a flatbuffer header */
    XTML_STATUS_MODEL_IDENTIFIER,     /* file identifier is not TFL3 */
    XTML_STATUS_MODEL_VERSION,        /* schema version is not 3 */
    XTML_STATUS_MODEL_OFFSET,         /* an offset points outside the buffer */
    XTML_STATUS_MODEL_VTABLE,         /* a vtable is malformed or out of bounds */
    XTML_STATUS_MODEL_VECTOR,         /* a vector or string overruns the buffer */
    XTML_STATUS_MODEL_MISSING,        /* a required field is absent */
    XTML_STATUS_MODEL_INDEX,          /* subgraph/tensor/buffer/opcode index out of range */
    XTML_STATUS_MODEL_SHAPE,          /* negative dimension, rank too high, element count overflow */
    XTML_STATUS_MODEL_TYPE,           /* unknown tensor type */
    XTML_STATUS_MODEL_BUFFER_SIZE,    /* constant data size differs from shape * type */
    XTML_STATUS_MODEL_QUANTIZATION,   /* bad scale, zero point or per-channel layout */
    XTML_STATUS_MODEL_OPERATOR,       /* bad operator inputs/outputs */
    XTML_STATUS_MODEL_ALIGNMENT,      /* constant data misaligned in memory */
    /* Prepare. */
    XTML_STATUS_UNSUPPORTED_OPERATOR, /* builtin or custom operator we do not run */
    XTML_STATUS_UNSUPPORTED_TYPE,     /* operator does not support these tensor types */
    XTML_STATUS_UNSUPPORTED_CONFIG,   /* operator option or shape we do not run */
    XTML_STATUS_SHAPE_MISMATCH,       /* operator's tensor shapes are inconsistent */
    XTML_STATUS_BAD_OPTIONS,          /* builtin options missing, wrong type or invalid */
    XTML_STATUS_ARENA_TOO_SMALL,      /* detail (and xtml_diag_t.needed) give the size */
    XTML_STATUS_ARENA_ALIGNMENT,      /* arena not aligned to XTML_ARENA_ALIGN */
    /* Invoke. */
    XTML_STATUS_EVAL_ERROR,           /* a data-dependent check failed during invoke */
    /* The frame path (xtml_frame_*, xtml_grid_*). */
    XTML_STATUS_FRAME_SIZE,           /* frame size not positive, too large, or not its byte count */
    XTML_STATUS_FRAME_FORMAT,         /* unknown pixel format or fit */
    XTML_STATUS_FRAME_TARGET,         /* input shape, type, quantization or table it cannot fill */
    XTML_STATUS_GRID_CONFIG,          /* grid, scores or work memory inconsistent */
    XTML_STATUS_MODEL_RECURSION,      /* a subgraph calls itself (CALL_ONCE/IF/WHILE), directly or not */
    XTML_STATUS_COUNT
} xtml_status_t;

/* Element types, numbered as in the TensorFlow Lite schema. */
typedef enum xtml_dtype {
    XTML_DTYPE_FLOAT32 = 0,
    XTML_DTYPE_FLOAT16 = 1,
    XTML_DTYPE_INT32 = 2,
    XTML_DTYPE_UINT8 = 3,
    XTML_DTYPE_INT64 = 4,
    XTML_DTYPE_STRING = 5,
    XTML_DTYPE_BOOL = 6,
    XTML_DTYPE_INT16 = 7,
    XTML_DTYPE_COMPLEX64 = 8,
    XTML_DTYPE_INT8 = 9,
    XTML_DTYPE_FLOAT64 = 10,
    XTML_DTYPE_COMPLEX128 = 11,
    XTML_DTYPE_UINT64 = 12,
    XTML_DTYPE_RESOURCE = 13,
    XTML_DTYPE_VARIANT = 14,
    XTML_DTYPE_UINT32 = 15,
    XTML_DTYPE_UINT16 = 16,
    XTML_DTYPE_INT4 = 17
} xtml_dtype_t;

/* Result side-channel for calls that have no context yet. */
typedef struct xtml_diag {
    xtml_status_t status;
    size_t needed;                  /* arena bytes needed, for ARENA_TOO_SMALL */
    char detail[XTML_DETAIL_MAX];   /* NUL-terminated, "" when compiled out */
} xtml_diag_t;

/* Description of a model input or output. Pointers point into the model. */
typedef struct xtml_tensor_info {
    const char *name;        /* NUL-terminated; "" when the model has none */
    xtml_dtype_t dtype;
    int32_t ndim;
    int32_t dims[XTML_MAX_DIMS];
    size_t bytes;            /* element count * element size */
    float scale;             /* 0 when the tensor is not quantized */
    int32_t zero_point;
} xtml_tensor_info_t;

/* Called after each operator when profiling is on. */
typedef void (*xtml_profile_fn)(void *user, int32_t op_index, const char *op_name,
                                uint32_t ticks);

typedef struct xtml_ctx xtml_ctx_t;

/* Verify the whole flatbuffer. Safe on any bytes of any length. */
xtml_status_t xtml_model_verify(const uint8_t *model, size_t model_bytes, xtml_diag_t *diag);

/*
 * Exact arena bytes needed to run the model: xtml_init() succeeds with an
 * arena of exactly this size and fails with ARENA_TOO_SMALL below it. The
 * figure depends on the build's pointer size. Verifies and prepares the model,
 * so every load-time error is reported here too.
 */
xtml_status_t xtml_arena_size(const uint8_t *model, size_t model_bytes, size_t *arena_bytes,
                              xtml_diag_t *diag);

/*
 * The arena xtml_arena_size() gives on a build whose pointers and size_t are
 * `pointer_bytes` wide: 4 for 32-bit targets (ESP32, ESP32-S3, ESP32-C3,
 * Cortex-M, wasm32), 8 for 64-bit hosts. Exact on any build, so a desktop
 * tool can size a device's arena; a width other than 4 or the build's own is
 * BAD_ARGUMENT.
 */
xtml_status_t xtml_arena_size_for(const uint8_t *model, size_t model_bytes, size_t pointer_bytes,
                                  size_t *arena_bytes, xtml_diag_t *diag);

/* Verify, prepare and plan into the arena; *ctx points into the arena. On
 * failure *ctx is NULL and the arena's contents are unspecified (it may have
 * been partly written); nothing outside it is touched. */
xtml_status_t xtml_init(const uint8_t *model, size_t model_bytes, void *arena, size_t arena_bytes,
                        xtml_ctx_t **ctx, xtml_diag_t *diag);

/*
 * ---- Operators: which kernels a context may run ----
 *
 * Each builtin operator the core runs has an entry, xtml_op_<NAME> (NAME as
 * the TensorFlow Lite schema spells it: CONV_2D), that pairs its builtin code
 * with its kernel. A table of entries is an operator resolver, as TFLM's
 * MicroMutableOpResolver: a context made with xtml_init_ops() runs only the
 * operators in its options' table, and since nothing else in the library
 * refers to the other kernels, a firmware linked with -ffunction-sections
 * -fdata-sections -Wl,--gc-sections carries only the kernels it lists:
 *
 *     static const xtml_op_t *const my_ops[] = {
 *         XTML_OP(CONV_2D), XTML_OP(DEPTHWISE_CONV_2D), XTML_OP(SOFTMAX),
 *     };
 *     xtml_options_t opts = { 0 };
 *     opts.ops = my_ops;
 *     opts.op_count = sizeof my_ops / sizeof my_ops[0];
 *     xtml_arena_size_ops(model, model_bytes, &opts, &need, &diag);
 *     xtml_init_ops(model, model_bytes, &opts, arena, need, &ctx, &diag);
 *
 * `xs-tinyml ops MODEL.tflite --c` prints the table a model needs. The other
 * calls (xtml_init(), xtml_init_with(), xtml_arena_size*()) run every
 * operator, so they link every kernel.
 */
typedef struct xtml_kernel xtml_kernel_t;   /* opaque: prepare and eval of one operator */

typedef struct xtml_op {
    int32_t builtin;                /* builtin code in the TensorFlow Lite schema */
    const xtml_kernel_t *kernel;
} xtml_op_t;

/*
 * Every operator the core runs: X(NAME, builtin code, kernel), the kernel
 * being xtml_kernel_<kernel> in the sources. Adding an operator to the core
 * is one line here. Custom operators (builtin code 32, CUSTOM) are named by
 * their custom_code (TFLM's signal library: XTML_OP(SignalWindow)); the
 * model's custom_code picks the entry whose kernel has that name.
 */
#define XTML_OPERATORS(X) \
    X(ADD, 0, add) \
    X(AVERAGE_POOL_2D, 1, average_pool_2d) \
    X(CONCATENATION, 2, concatenation) \
    X(CONV_2D, 3, conv_2d) \
    X(DEPTHWISE_CONV_2D, 4, depthwise_conv_2d) \
    X(DEPTH_TO_SPACE, 5, depth_to_space) \
    X(DEQUANTIZE, 6, dequantize) \
    X(EMBEDDING_LOOKUP, 7, embedding_lookup) \
    X(FLOOR, 8, floor) \
    X(FULLY_CONNECTED, 9, fully_connected) \
    X(L2_NORMALIZATION, 11, l2_normalization) \
    X(L2_POOL_2D, 12, l2_pool_2d) \
    X(LOGISTIC, 14, logistic) \
    X(MAX_POOL_2D, 17, max_pool_2d) \
    X(MUL, 18, mul) \
    X(RELU, 19, relu) \
    X(RELU6, 21, relu6) \
    X(RESHAPE, 22, reshape) \
    X(RESIZE_BILINEAR, 23, resize_bilinear) \
    X(SOFTMAX, 25, softmax) \
    X(SPACE_TO_DEPTH, 26, space_to_depth) \
    X(SVDF, 27, svdf) \
    X(TANH, 28, tanh) \
    X(PAD, 34, pad) \
    X(GATHER, 36, gather) \
    X(BATCH_TO_SPACE_ND, 37, batch_to_space_nd) \
    X(SPACE_TO_BATCH_ND, 38, space_to_batch_nd) \
    X(TRANSPOSE, 39, transpose) \
    X(MEAN, 40, mean) \
    X(SUB, 41, sub) \
    X(DIV, 42, div) \
    X(SQUEEZE, 43, squeeze) \
    X(UNIDIRECTIONAL_SEQUENCE_LSTM, 44, unidirectional_sequence_lstm) \
    X(STRIDED_SLICE, 45, strided_slice) \
    X(EXP, 47, exp) \
    X(SPLIT, 49, split) \
    X(LOG_SOFTMAX, 50, log_softmax) \
    X(CAST, 53, cast) \
    X(PRELU, 54, prelu) \
    X(MAXIMUM, 55, maximum) \
    X(ARG_MAX, 56, arg_max) \
    X(MINIMUM, 57, minimum) \
    X(LESS, 58, less) \
    X(NEG, 59, neg) \
    X(PADV2, 60, padv2) \
    X(GREATER, 61, greater) \
    X(GREATER_EQUAL, 62, greater_equal) \
    X(LESS_EQUAL, 63, less_equal) \
    X(SLICE, 65, slice) \
    X(SIN, 66, sin) \
    X(TRANSPOSE_CONV, 67, transpose_conv) \
    X(EXPAND_DIMS, 70, expand_dims) \
    X(EQUAL, 71, equal) \
    X(NOT_EQUAL, 72, not_equal) \
    X(LOG, 73, log) \
    X(SUM, 74, sum) \
    X(SQRT, 75, sqrt) \
    X(RSQRT, 76, rsqrt) \
    X(SHAPE, 77, shape) \
    X(ARG_MIN, 79, arg_min) \
    X(REDUCE_MAX, 82, reduce_max) \
    X(PACK, 83, pack) \
    X(LOGICAL_OR, 84, logical_or) \
    X(LOGICAL_AND, 86, logical_and) \
    X(LOGICAL_NOT, 87, logical_not) \
    X(UNPACK, 88, unpack) \
    X(REDUCE_MIN, 89, reduce_min) \
    X(FLOOR_DIV, 90, floor_div) \
    X(SQUARE, 92, square) \
    X(ZEROS_LIKE, 93, zeros_like) \
    X(FILL, 94, fill) \
    X(FLOOR_MOD, 95, floor_mod) \
    X(RESIZE_NEAREST_NEIGHBOR, 97, resize_nearest_neighbor) \
    X(LEAKY_RELU, 98, leaky_relu) \
    X(SQUARED_DIFFERENCE, 99, squared_difference) \
    X(MIRROR_PAD, 100, mirror_pad) \
    X(ABS, 101, abs) \
    X(SPLIT_V, 102, split_v) \
    X(CEIL, 104, ceil) \
    X(REVERSE_V2, 105, reverse_v2) \
    X(ADD_N, 106, add_n) \
    X(GATHER_ND, 107, gather_nd) \
    X(COS, 108, cos) \
    X(ELU, 111, elu) \
    X(QUANTIZE, 114, quantize) \
    X(ROUND, 116, round) \
    X(HARD_SWISH, 117, hard_swish) \
    X(IF, 118, if) \
    X(WHILE, 119, while) \
    X(SELECT_V2, 123, select_v2) \
    X(BATCH_MATMUL, 126, batch_matmul) \
    X(CUMSUM, 128, cumsum) \
    X(CALL_ONCE, 129, call_once) \
    X(BROADCAST_TO, 130, broadcast_to) \
    X(REDUCE_ALL, 140, reduce_all) \
    X(VAR_HANDLE, 142, var_handle) \
    X(READ_VARIABLE, 143, read_variable) \
    X(ASSIGN_VARIABLE, 144, assign_variable) \
    X(BROADCAST_ARGS, 145, broadcast_args) \
    X(DYNAMIC_UPDATE_SLICE, 151, dynamic_update_slice) \
    X(SignalWindow, 32, signal_window) \
    X(SignalFftAutoScale, 32, signal_fft_auto_scale) \
    X(SignalEnergy, 32, signal_energy) \
    X(SignalFilterBank, 32, signal_filter_bank) \
    X(SignalFilterBankSquareRoot, 32, signal_filter_bank_square_root) \
    X(SignalFilterBankLog, 32, signal_filter_bank_log) \
    X(SignalPCAN, 32, signal_pcan) \
    X(SignalRfft, 32, signal_rfft) \
    X(SignalIrfft, 32, signal_irfft) \
    X(SignalFilterBankSpectralSubtraction, 32, signal_filter_bank_spectral_subtraction) \
    X(SignalDelay, 32, signal_delay) \
    X(SignalFramer, 32, signal_framer) \
    X(SignalStacker, 32, signal_stacker) \
    X(SignalOverlapAdd, 32, signal_overlap_add)

#define XTML_OP_DECLARE_(name, code, kernel) extern const xtml_op_t xtml_op_##name;
XTML_OPERATORS(XTML_OP_DECLARE_)
#undef XTML_OP_DECLARE_

/*
 * Typed entries: X(NAME, TYPE, builtin code, kernel) is an entry
 * xtml_op_NAME_TYPE (XTML_OP(CONV_2D_INT8)) that runs the operator for one
 * type only, and whose kernel links only that type's code: CONV_2D's full
 * entry carries its int16 (16x8), int4 and float32 paths too. INT8 is int8
 * activations with int8 weights and int32 biases (SOFTMAX: int8 input, int8
 * or int16 output). A model whose operator has another type fails with
 * XTML_STATUS_UNSUPPORTED_TYPE naming the entry it needs. In a table, an
 * operator runs with the first entry of its builtin that takes its types, so
 * CONV_2D_INT8 before CONV_2D runs int8 convolutions with the int8 kernel and
 * the others with the full one. xtml_init() and xtml_ops_all use only the
 * full entries. `xs-tinyml ops MODEL --c` picks typed entries where a model's
 * uses of an operator all have one type.
 */
#define XTML_OPERATOR_TYPES(X) \
    X(CONV_2D, INT8, 3, conv_2d_int8) \
    X(DEPTHWISE_CONV_2D, INT8, 4, depthwise_conv_2d_int8) \
    X(FULLY_CONNECTED, INT8, 9, fully_connected_int8) \
    X(SOFTMAX, INT8, 25, softmax_int8)

#define XTML_OP_TYPE_DECLARE_(name, type, code, kernel) extern const xtml_op_t xtml_op_##name##_##type;
XTML_OPERATOR_TYPES(XTML_OP_TYPE_DECLARE_)
#undef XTML_OP_TYPE_DECLARE_

/* The entry of one operator, for a table: XTML_OP(CONV_2D), or a typed one:
 * XTML_OP(CONV_2D_INT8). */
#define XTML_OP(name) (&xtml_op_##name)

/* Every entry, in the order of XTML_OPERATORS (what xtml_init() runs). */
#define XTML_OP_COUNT_(name, code, kernel) +1
#define XTML_OPS_ALL_COUNT (0 XTML_OPERATORS(XTML_OP_COUNT_))
extern const xtml_op_t *const xtml_ops_all[];

/*
 * Options of xtml_arena_size_with() and xtml_init_with(). All zero (or a NULL
 * options pointer) means the defaults, which are what xtml_arena_size() and
 * xtml_init() use.
 */
typedef struct xtml_options {
    /*
     * Tensors (indices into the model's tensor list, 0 .. xtml_tensor_count-1)
     * whose data must still be readable with xtml_tensor_data() after
     * xtml_invoke(), such as the activation that feeds a model's head: the
     * planner keeps their memory alive to the end of the invoke instead of
     * reusing it, and no operator writes over it in place. The arena grows by
     * what that costs (the longer lifetimes in the plan, and a copy of the
     * indices in the context), which xtml_arena_size_with() reports exactly.
     * A constant or a graph output is readable anyway. The array is read
     * during the call only. An index out of range, or a tensor that no
     * operator writes and that is not a graph input, fails with
     * XTML_STATUS_BAD_ARGUMENT.
     */
    const int32_t *keep_tensors;
    int32_t keep_count;
    /*
     * The operators the context may run, for xtml_init_ops() and
     * xtml_arena_size_ops() (above: entries from XTML_OP()); the other calls
     * run every operator when ops is NULL, and only these when it is not.
     * Read during the call only. A model with an operator missing from the
     * table fails with XTML_STATUS_UNSUPPORTED_OPERATOR naming it; a negative
     * count, a NULL table with a positive count, a NULL entry or one whose
     * kernel is not its builtin's fail with XTML_STATUS_BAD_ARGUMENT.
     */
    const xtml_op_t *const *ops;
    int32_t op_count;
} xtml_options_t;

/* xtml_arena_size() for a context made with these options. */
xtml_status_t xtml_arena_size_with(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                                   size_t *arena_bytes, xtml_diag_t *diag);

/* xtml_init() with options; the arena must hold xtml_arena_size_with(). */
xtml_status_t xtml_init_with(const uint8_t *model, size_t model_bytes, const xtml_options_t *options, void *arena,
                             size_t arena_bytes, xtml_ctx_t **ctx, xtml_diag_t *diag);

/*
 * xtml_arena_size_with() and xtml_init_with() running only options->ops (none
 * when it is NULL or options is NULL): the calls of a firmware that links
 * only the kernels its model needs.
 */
xtml_status_t xtml_arena_size_ops(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                                  size_t *arena_bytes, xtml_diag_t *diag);
xtml_status_t xtml_init_ops(const uint8_t *model, size_t model_bytes, const xtml_options_t *options, void *arena,
                            size_t arena_bytes, xtml_ctx_t **ctx, xtml_diag_t *diag);

/* Bytes of the arena the context actually uses (equal to xtml_arena_size). */
size_t xtml_arena_used(const xtml_ctx_t *ctx);

int32_t xtml_input_count(const xtml_ctx_t *ctx);
int32_t xtml_output_count(const xtml_ctx_t *ctx);
xtml_status_t xtml_input_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info);
xtml_status_t xtml_output_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info);
/* Data of an input or output inside the arena; NULL for a bad index. */
void *xtml_input_data(xtml_ctx_t *ctx, int32_t index);
const void *xtml_output_data(const xtml_ctx_t *ctx, int32_t index);

/*
 * Any tensor of the model, by its index (the numbering of the model's tensor
 * list, as `xtml inspect` prints it): name, type, shape, bytes, and the first
 * scale and zero point (per-channel tensors have more; see the model).
 * XTML_STATUS_BAD_ARGUMENT for an index outside 0 .. xtml_tensor_count-1.
 */
int32_t xtml_tensor_count(const xtml_ctx_t *ctx);
xtml_status_t xtml_tensor_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info);
/*
 * Where tensor `index`'s data is after xtml_invoke(): constants (in the
 * model), graph outputs, and tensors kept with xtml_options_t.keep_tensors.
 * Any other activation's memory is reused during the invoke, so asking for it
 * fails with XTML_STATUS_BAD_ARGUMENT, as does an index out of range; the
 * context's detail says which. *data stays valid as long as the context, and
 * holds the last invoke's values.
 */
xtml_status_t xtml_tensor_data(xtml_ctx_t *ctx, int32_t index, const void **data);

/* Run every operator once. */
xtml_status_t xtml_invoke(xtml_ctx_t *ctx);

/*
 * State between invokes. A model's variable tensors (is_variable in the
 * schema: the activation state of SVDF, the hidden and cell state of an LSTM)
 * live in the arena for the life of the context, outside the memory the
 * planner reuses: each invoke reads the state the previous one left. They
 * start at zero (the zero point for int8, as TFLM sets them) when
 * xtml_init() returns; xtml_reset_state() sets them there again, so the next
 * invoke gives what the first one gave (start of a new stream). A model
 * without variable tensors has no state and the call does nothing.
 * xtml_tensor_data() reads a variable tensor's current contents.
 * XTML_STATUS_BAD_ARGUMENT for a NULL context.
 */
xtml_status_t xtml_reset_state(xtml_ctx_t *ctx);

/* Profiling: fn (NULL to turn off) is called after each operator. */
void xtml_set_profiler(xtml_ctx_t *ctx, xtml_profile_fn fn, void *user);

int32_t xtml_operator_count(const xtml_ctx_t *ctx);
/* Name of the builtin behind operator i ("CONV_2D"), or NULL. */
const char *xtml_operator_name(const xtml_ctx_t *ctx, int32_t index);

/* Multiply-accumulates operator i performs per invoke (saturating). */
uint32_t xtml_operator_macs(const xtml_ctx_t *ctx, int32_t index);

/*
 * The model's description string (verified UTF-8, NUL-terminated, inside the
 * model bytes), or "" when it has none. Our exporter puts the model's labels
 * and decoding rule there as JSON.
 */
const char *xtml_model_description(const xtml_ctx_t *ctx);

/* Detail message of the last failed call made on the context. */
const char *xtml_ctx_detail(const xtml_ctx_t *ctx);

/* "XTML_STATUS_ARENA_TOO_SMALL" etc.; never NULL. */
const char *xtml_status_name(xtml_status_t status);
/* Name of a TensorFlow Lite builtin operator code, or NULL if unknown. */
const char *xtml_builtin_name(int32_t code);
/* "int8" etc., or NULL. */
const char *xtml_dtype_name(xtml_dtype_t dtype);
/* Bytes per element, 0 for types without a fixed size (string, int4 packed). */
size_t xtml_dtype_size(xtml_dtype_t dtype);

/*
 * ---- The frame path: camera frames in, grid objects out ----
 *
 * Plain functions on caller memory, independent of any context: they read
 * only what they are given, write only the outputs named, keep no pointer
 * after returning, and check every argument first (a failed call writes
 * nothing but the diag). Integer arithmetic throughout, except
 * xtml_frame_table() (once per model, single-precision) and float32 scores.
 */

/* Pixel formats: rows top to bottom, no padding between rows. RGB565
 * channels widen to 8 bits by repeating their top bits (r5 << 3 | r5 >> 2). */
typedef enum xtml_pixel_format {
    XTML_PIXEL_GRAY8 = 0,     /* one byte per pixel */
    XTML_PIXEL_RGB565LE = 1,  /* 16 bits RRRRRGGGGGGBBBBB, low byte first */
    XTML_PIXEL_RGB565BE = 2,  /* the same, high byte first */
    XTML_PIXEL_RGB888 = 3,    /* bytes R, G, B */
    XTML_PIXEL_RGBA8888 = 4,  /* bytes R, G, B, A; alpha is ignored */
    XTML_PIXEL_COUNT
} xtml_pixel_format_t;

/* How a frame of another aspect ratio reaches the input. */
typedef enum xtml_fit {
    XTML_FIT_CROP = 0,     /* the centred part of the frame with the input's aspect ratio */
    XTML_FIT_STRETCH = 1,  /* the whole frame */
    XTML_FIT_COUNT
} xtml_fit_t;

/* Largest frame, in pixels (4096 x 4096): every box sum fits 32 bits. */
#define XTML_FRAME_MAX_PIXELS 16777216
/* Largest input side the frame path fills. */
#define XTML_FRAME_MAX_SIDE 65535

/* A frame. The bytes belong to the caller and are only read during a call. */
typedef struct xtml_frame {
    const uint8_t *data;
    size_t bytes;                /* width * height * bytes per pixel */
    int32_t width;
    int32_t height;
    xtml_pixel_format_t format;
} xtml_frame_t;

/* A rectangle of frame pixels. */
typedef struct xtml_rect {
    int32_t x;
    int32_t y;
    int32_t w;
    int32_t h;
} xtml_rect_t;

/* The image input the frame path fills: [1, height, width, channels] (NHWC). */
typedef struct xtml_frame_target {
    int32_t width;
    int32_t height;
    int32_t channels;            /* 1: luma (77 R + 150 G + 29 B + 128) >> 8, 3: R, G, B */
    xtml_dtype_t dtype;          /* XTML_DTYPE_INT8, _UINT8 or _FLOAT32 */
    const void *table;           /* from xtml_frame_table(): 256 elements of dtype */
} xtml_frame_target_t;

/*
 * The input value of each pixel level 0..255, built once per model. real[v]
 * is the real value level v stands for (e.g. v / 255.0f); for int8 and uint8
 * inputs, table[v] = zero_point + round(real[v] / scale) in float32, halves
 * away from zero, saturated (TensorFlow Lite's quantization); for float32
 * inputs, table[v] = real[v]. table_bytes is 256 times the element size.
 */
xtml_status_t xtml_frame_table(xtml_dtype_t dtype, float scale, int32_t zero_point, const float real[256],
                               void *table, size_t table_bytes, xtml_diag_t *diag);

/*
 * Fill the input from a frame: the region of the frame the input sees (all
 * of it, or its centred part of the input's aspect ratio, at least one pixel
 * wide and high), each input pixel the rounded mean of the frame pixels its
 * box covers (boxes split the region at floor(i * region / side), at least
 * one pixel each), then the table. input_bytes is the input's byte count;
 * region (may be NULL) receives the region in frame pixels.
 */
xtml_status_t xtml_frame_to_input(const xtml_frame_t *frame, xtml_fit_t fit, const xtml_frame_target_t *target,
                                  void *input, size_t input_bytes, xtml_rect_t *region, xtml_diag_t *diag);

/*
 * A FOMO-style grid: scores[rows][cols][classes]. A cell belongs to its best
 * class other than the background (the first of equal scores) when that
 * score reaches the class's threshold; connected cells of one class are one
 * object. Thresholds are given in the scores' own terms: a quantized score
 * passes when its level is at least min_level[class], a float32 score when
 * it is at least min_score[class] (NaN never does).
 */
typedef struct xtml_grid {
    int32_t rows;
    int32_t cols;
    int32_t classes;
    int32_t background;          /* the class never reported, or -1 */
    int32_t connectivity;        /* 4 or 8 */
    xtml_dtype_t dtype;          /* of the scores: XTML_DTYPE_INT8, _UINT8 or _FLOAT32 */
    int32_t zero_point;          /* quantized: the level of score 0 */
    const int32_t *min_level;    /* quantized: [classes], else unused */
    const float *min_score;      /* float32: [classes], else unused */
} xtml_grid_t;

/*
 * An object. For quantized scores the sums are exact integers over its cells
 * of k = level - zero_point (the score is k * scale): the centre lies at
 * sum_x / (2 * weight) cells from the left and sum_y / (2 * weight) from the
 * top. For float32 scores peak and the sums are 0; read the scores of its
 * cells instead.
 */
typedef struct xtml_grid_object {
    int32_t label;
    int32_t first;               /* its cells are order[first .. first + cells - 1] */
    int32_t cells;
    int32_t row0;                /* bounding box in cells, inclusive */
    int32_t col0;
    int32_t row1;
    int32_t col1;
    int32_t peak;                /* the largest k, or 0 when none is positive */
    int32_t weight;              /* sum of k */
    int32_t sum_x;               /* sum of k * (2 * col + 1) */
    int32_t sum_y;               /* sum of k * (2 * row + 1) */
} xtml_grid_object_t;

/* int32_t elements of work memory a rows x cols grid needs. */
#define XTML_GRID_WORK(rows, cols) (3 * (size_t)(rows) * (size_t)(cols))

/* Where xtml_grid_decode() writes. */
typedef struct xtml_grid_result {
    xtml_grid_object_t *objects; /* room for max_objects */
    int32_t max_objects;
    int32_t count;               /* objects found; only the first max_objects are written */
    const int32_t *order;        /* set to inside the work memory: each object's cells, as
                                    row * cols + col, in the order found */
} xtml_grid_result_t;

/*
 * Objects of a grid, in the order of their first cell (row by row). work is
 * the caller's, XTML_GRID_WORK(rows, cols) int32_t at least; result->order
 * points into it and stays valid until the caller reuses it. Grids whose
 * sums could exceed 32 bits (255 * rows * cols * max(rows, cols) > INT32_MAX)
 * are refused with quantized scores.
 */
xtml_status_t xtml_grid_decode(const xtml_grid_t *grid, const void *scores, size_t score_bytes, int32_t *work,
                               size_t work_count, xtml_grid_result_t *result, xtml_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* XTML_H */
