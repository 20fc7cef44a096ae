/*
 * xtml_ops.c - the operator entries: one xtml_op_<NAME> per line of
 * XTML_OPERATORS (xtml.h), pairing a builtin code with its kernel, and the
 * table of all of them that xtml_init() runs; and the typed entries
 * (XTML_OPERATOR_TYPES), which that table does not list.
 *
 * Each entry is its own object, so with -fdata-sections a firmware that
 * names a few entries keeps only those and the kernels they point at.
 */
#include "xtml_internal.h"

#define DECLARE_KERNEL(name, code, kernel) extern const xtml_kernel_t xtml_kernel_##kernel;
XTML_OPERATORS(DECLARE_KERNEL)
#undef DECLARE_KERNEL

#define DEFINE_ENTRY(name, code, kernel) const xtml_op_t xtml_op_##name = { code, &xtml_kernel_##kernel };
XTML_OPERATORS(DEFINE_ENTRY)
#undef DEFINE_ENTRY

/* Typed entries (XTML_OPERATOR_TYPES), each its own object as well. */
#define DECLARE_TYPED_KERNEL(name, type, code, kernel) extern const xtml_kernel_t xtml_kernel_##kernel;
XTML_OPERATOR_TYPES(DECLARE_TYPED_KERNEL)
#undef DECLARE_TYPED_KERNEL

#define DEFINE_TYPED_ENTRY(name, type, code, kernel) \
    const xtml_op_t xtml_op_##name##_##type = { code, &xtml_kernel_##kernel };
XTML_OPERATOR_TYPES(DEFINE_TYPED_ENTRY)
#undef DEFINE_TYPED_ENTRY

#define LIST_ENTRY(name, code, kernel) &xtml_op_##name,
const xtml_op_t *const xtml_ops_all[XTML_OPS_ALL_COUNT] = { XTML_OPERATORS(LIST_ENTRY) };
#undef LIST_ENTRY
