/*
 * xtml_gen.h - random TensorFlow Lite models for fuzzing the core: a model
 * held as plain C structures, a generator that builds valid single- and
 * multi-operator models from a recipe of random bytes, a reader that turns a
 * verified .tflite back into the structures, schema-level mutations, and a
 * flatbuffer writer.
 *
 * The recipe is the generator's only source of choices: each choice takes the
 * next recipe byte(s), and a PRNG seeded from the whole recipe takes over when
 * it runs out, so the same recipe always gives the same model, and changing
 * one byte changes one decision. The writer stores the recipe in the model
 * (metadata "xtml_gen"), so a fuzzer can mutate the recipe of any model it
 * kept and regenerate a model that differs in that one decision with every
 * shape downstream still consistent.
 *
 * Portable C99 with no heap: a model lives in one caller-owned
 * xtml_gen_model_t (about 120 KB), so the same code runs on the host and on
 * rv32imc under qemu. Tools only; not part of the core library.
 */
#ifndef XTML_GEN_H
#define XTML_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XTML_GEN_MAX_RANK 8       /* the writer takes up to 8 dims; the core refuses > 6 */
#define XTML_GEN_MAX_TENSORS 64
#define XTML_GEN_MAX_OPS 16
#define XTML_GEN_MAX_OP_IO 8       /* inputs or outputs of one operator */
#define XTML_GEN_MAX_OP_IN 24      /* inputs of one operator (UNIDIRECTIONAL_SEQUENCE_LSTM has 24) */
#define XTML_GEN_MAX_GRAPH_IO 8    /* graph inputs or outputs */
#define XTML_GEN_MAX_BUFFERS 64
#define XTML_GEN_MAX_FIELDS 8      /* builtin options fields */
#define XTML_GEN_RECIPE_MAX 2048
#ifndef XTML_GEN_POOL
#define XTML_GEN_POOL (112 * 1024) /* constant data, quantization arrays, option vectors */
#endif

typedef struct xtml_gen_tensor {
    uint8_t type;          /* TensorType value */
    uint8_t ndim;
    uint8_t is_variable;
    uint8_t has_quant;     /* a quantization table is written (possibly empty) */
    int32_t dims[XTML_GEN_MAX_RANK];
    uint32_t buffer;       /* buffer index; 0 is the empty buffer */
    uint32_t n_scales, scales_at;           /* float32 little-endian in the pool */
    uint32_t n_zero_points, zero_points_at; /* int64 little-endian in the pool */
    int32_t quant_dim;
} xtml_gen_tensor_t;

typedef struct xtml_gen_buffer {
    uint32_t at, len;      /* bytes in the pool */
    uint8_t external;      /* written after the flatbuffer, found by offset/size */
    uint8_t skew4;         /* data at 4 mod 16 instead of 0 (int64 constants need only 4) */
} xtml_gen_buffer_t;

/* One builtin options field: kind 0 absent, 1 one byte, 4 four bytes
 * (int32 or float32 bits), 'v' a vector of int32 (len values at `at`). */
typedef struct xtml_gen_field {
    uint8_t kind;
    uint32_t value;
    uint32_t at, len;
} xtml_gen_field_t;

typedef struct xtml_gen_op {
    int32_t builtin;
    int32_t version;
    uint8_t n_inputs, n_outputs;
    int32_t inputs[XTML_GEN_MAX_OP_IN];   /* -1: absent optional input */
    int32_t outputs[XTML_GEN_MAX_OP_IO];
    uint8_t options_type;                 /* BuiltinOptions union type */
    uint8_t has_options;                  /* the options table is written */
    uint8_t n_fields;
    xtml_gen_field_t fields[XTML_GEN_MAX_FIELDS];
} xtml_gen_op_t;

typedef struct xtml_gen_model {
    uint32_t n_tensors, n_ops, n_buffers, n_inputs, n_outputs;
    xtml_gen_tensor_t tensors[XTML_GEN_MAX_TENSORS];
    xtml_gen_op_t ops[XTML_GEN_MAX_OPS];
    xtml_gen_buffer_t buffers[XTML_GEN_MAX_BUFFERS];
    int32_t inputs[XTML_GEN_MAX_GRAPH_IO];
    int32_t outputs[XTML_GEN_MAX_GRAPH_IO];
    int32_t recipe_buffer;  /* buffer written as metadata "xtml_gen", -1 for none */
    uint32_t pool_used;
    uint8_t pool[XTML_GEN_POOL];
} xtml_gen_model_t;

/* A small PRNG (splitmix64) for the tools that drive the generator. */
typedef struct xtml_gen_rng {
    uint64_t state;
} xtml_gen_rng_t;
uint32_t xtml_gen_next(xtml_gen_rng_t *r);
/* Uniform in [0, n); 0 when n is 0. */
uint32_t xtml_gen_below(xtml_gen_rng_t *r, uint32_t n);

/* Build the model a recipe describes (any bytes, any length up to
 * XTML_GEN_RECIPE_MAX; longer ones are cut). The recipe is kept in the model. */
void xtml_gen_build(xtml_gen_model_t *m, const uint8_t *recipe, size_t recipe_len);

/* A fresh recipe of random length and bytes from r; returns its length. */
size_t xtml_gen_recipe(xtml_gen_rng_t *r, uint8_t *recipe, size_t cap);

/* The recipe stored in a model (NULL and 0 when it has none). */
const uint8_t *xtml_gen_model_recipe(const xtml_gen_model_t *m, size_t *len);

/* Read a .tflite the core's verifier accepts into m. false when it fails to
 * verify or does not fit the structures (too many tensors, pool full). */
bool xtml_gen_read(xtml_gen_model_t *m, const uint8_t *model, size_t model_bytes);

/* For graph input `input` of a model the verifier accepted: when a
 * TRANSPOSE_CONV reads it as its output shape (int32 [4]), that operator's
 * output dims, which the input must hold for the invoke to succeed (other
 * values fail it with XTML_STATUS_EVAL_ERROR); false for any other input.
 * The harnesses fill such inputs with them most of the time. */
bool xtml_gen_shape_input(const uint8_t *model, size_t model_bytes, int32_t input, int32_t dims[4]);

/* One mutation within the schema: a shape, type, quantization parameter,
 * buffer, index, option, operator code or graph I/O changes, or an operator is
 * added, removed or moved. The result still serializes; it may well be a
 * model the core must refuse. */
void xtml_gen_mutate(xtml_gen_model_t *m, xtml_gen_rng_t *r);

/* Serialize; returns the byte count, or 0 when cap is too small. The output
 * is laid out for a 16-byte aligned load address: buffer data at 16k, or at
 * 16k + 4 for buffers marked skew4. */
size_t xtml_gen_write(const xtml_gen_model_t *m, uint8_t *out, size_t cap);

/* Copy of m keeping only operator `op`: its non-constant inputs become graph
 * inputs, its outputs the graph outputs. For checking a whole graph against
 * its operators run one by one. */
void xtml_gen_single_op(const xtml_gen_model_t *m, uint32_t op, xtml_gen_model_t *out);

#endif /* XTML_GEN_H */
