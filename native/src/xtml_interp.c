/*
 * xtml_interp.c - prepare, plan and run subgraph 0 of a verified model.
 *
 * The arena holds, in order: the context, the per-tensor data pointers, the
 * per-operator records, the kernels' persistent parameters, the variable
 * tensors (state kept between invokes, never reused), then the planned
 * region where activations and operator scratch live. Preparation runs twice:
 * once measuring (nothing written, so xtml_arena_size() needs no memory), once
 * for real; both passes ask for the same sizes, so the first pass's total is
 * exact.
 */
#include "xtml_internal.h"

/* Alignment of tables and parameters inside the arena. */
#define META_ALIGN 8u
/* Alignment and size granule of planned buffers. */
#define PLAN_ALIGN 8u

/* Most planned buffers (activations plus scratch) one model may have; the
 * planner keeps 20 bytes of stack per buffer while it works. */
#ifndef XTML_MAX_PLANNED_BUFFERS
#if defined(ESP_PLATFORM)
#define XTML_MAX_PLANNED_BUFFERS 256
#else
#define XTML_MAX_PLANNED_BUFFERS 1024
#endif
#endif

static size_t align_up(size_t n, size_t a) {
    return (n + a - 1) & ~(a - 1);
}

struct xtml_prep {
    const uint8_t *model;
    xtml_fb_table_t root;
    xtml_fb_table_t subgraph;
    xtml_fb_vec_t tensors;
    xtml_fb_vec_t buffers;
    int32_t graph_index;     /* the subgraph being prepared */
    xtml_ext_t *ext;         /* real pass of a model with one, else NULL */
    /* The operator being prepared. */
    int32_t op_index;
    xtml_fb_table_t op;
    xtml_fb_vec_t inputs;
    xtml_fb_vec_t outputs;
    int32_t builtin;
    int32_t version;
    const char *name;
    /* Tensors kept alive to the end of the invoke (validated indices). */
    const int32_t *keep;
    int32_t n_keep;
    /* Pass state. */
    bool measuring;
    bool target32;           /* measuring for a 32-bit target (xtml_arena_size_for) */
    uint8_t *persist;        /* next free byte (real pass) */
    size_t persist_bytes;    /* total asked for so far */
    size_t persist_cap;      /* real pass: bytes the arena has for them */
    size_t scratch;
    int alias_out;
    int alias_in;
    int inplace_out;
    int inplace_in;
    uint64_t macs;
    xtml_node_t *node;       /* real pass: the record being filled */
    char *detail;            /* where messages go, or NULL */
    size_t detail_cap;
    /* Set while asking the table's VAR_HANDLE kernel for the variable layout. */
    bool asking_vars;
    const xtml_var_support_t *vars;
};

/* ---- reading tensors ---- */

static void buffer_data(const xtml_prep_t *p, uint32_t b, const uint8_t **data, size_t *len) {
    xtml_fb_table_t t = xtml_fb_vec_table(&p->root, p->buffers, b);
    xtml_fb_vec_t d = xtml_fb_vec(&t, XTML_BUFFER_DATA);
    int64_t off = xtml_fb_i64(&t, XTML_BUFFER_OFFSET, 0);
    *data = d.data;
    *len = d.len;
    if (d.len == 0 && off > 1) {
        *data = p->model + off;
        *len = (size_t)xtml_fb_i64(&t, XTML_BUFFER_SIZE, 0);
    }
}

/* Every field is set (no memset: on MCUs a byte loop over the struct, done
 * for each operand of each operator in each pass). */
static void read_tensor(const xtml_prep_t *p, int32_t index, xtml_tinfo_t *t) {
    xtml_fb_table_t tt;
    xtml_fb_vec_t shape;
    xtml_fb_table_t q;
    uint32_t b;
    uint32_t i;
    t->index = index;
    t->type = XTML_DTYPE_FLOAT32;
    t->ndim = 0;
    for (i = 0; i < XTML_MAX_DIMS; i++) {
        t->dims[i] = 0;
    }
    t->count = 0;
    t->bytes = 0;
    t->is_const = false;
    t->is_variable = false;
    t->data = NULL;
    t->name = "";
    t->n_scales = 0;
    t->n_zero_points = 0;
    t->quant_dim = 0;
    t->scales_raw = NULL;
    t->zero_points_raw = NULL;
    t->scale = 0.0f;
    t->zero_point = 0;
    if (index < 0) {
        return;
    }
    tt = xtml_fb_vec_table(&p->subgraph, p->tensors, (uint32_t)index);
    shape = xtml_fb_vec(&tt, XTML_TENSOR_SHAPE);
    t->type = (xtml_dtype_t)xtml_fb_u8(&tt, XTML_TENSOR_TYPE, 0);
    t->name = xtml_fb_str(&tt, XTML_TENSOR_NAME);
    t->ndim = (int32_t)shape.len;
    t->count = 1;
    for (i = 0; i < shape.len; i++) {
        t->dims[i] = xtml_ld_i32(shape.data + 4 * i);
        t->count *= t->dims[i];
    }
    t->bytes = t->type == XTML_DTYPE_INT4 ? ((size_t)t->count + 1) / 2
                                          : (size_t)t->count * xtml_dtype_size(t->type);
    b = xtml_fb_u32(&tt, XTML_TENSOR_BUFFER, 0);
    /* A variable tensor lives in the arena whatever its buffer holds (TFLM
     * gives it persistent memory and clears it at init). */
    t->is_variable = xtml_fb_bool(&tt, XTML_TENSOR_IS_VARIABLE, false);
    if (b != 0 && !t->is_variable) {
        const uint8_t *data;
        size_t len;
        buffer_data(p, b, &data, &len);
        if (len != 0) {
            t->is_const = true;
            t->data = data;
        }
    }
    q = xtml_fb_table(&tt, XTML_TENSOR_QUANT);
    if (q.pos != 0) {
        xtml_fb_vec_t scales = xtml_fb_vec(&q, XTML_QUANT_SCALE);
        xtml_fb_vec_t zps = xtml_fb_vec(&q, XTML_QUANT_ZERO_POINT);
        t->n_scales = (int32_t)scales.len;
        t->n_zero_points = (int32_t)zps.len;
        t->scales_raw = scales.data;
        t->zero_points_raw = zps.data;
        t->quant_dim = xtml_fb_i32(&q, XTML_QUANT_DIMENSION, 0);
        if (scales.len > 0) {
            t->scale = xtml_ld_f32(scales.data);
        }
        if (zps.len > 0) {
            t->zero_point = (int32_t)xtml_ld_i64(zps.data);
        }
    }
}

/* What the planner needs of a tensor: its constant data (NULL when it has
 * none) and its size in bytes; read_tensor() without the quantization and
 * the name, for the loops over every operand of every operator. */
static const void *tensor_storage(const xtml_prep_t *p, int32_t index, size_t *bytes) {
    xtml_fb_table_t tt = xtml_fb_vec_table(&p->subgraph, p->tensors, (uint32_t)index);
    xtml_fb_vec_t shape = xtml_fb_vec(&tt, XTML_TENSOR_SHAPE);
    xtml_dtype_t type = (xtml_dtype_t)xtml_fb_u8(&tt, XTML_TENSOR_TYPE, 0);
    uint32_t b = xtml_fb_u32(&tt, XTML_TENSOR_BUFFER, 0);
    size_t count = 1;
    uint32_t i;
    for (i = 0; i < shape.len; i++) {
        count *= (size_t)xtml_ld_i32(shape.data + 4 * i);
    }
    *bytes = type == XTML_DTYPE_INT4 ? (count + 1) / 2 : count * xtml_dtype_size(type);
    if (b != 0 && !xtml_fb_bool(&tt, XTML_TENSOR_IS_VARIABLE, false)) {
        const uint8_t *data;
        size_t len;
        buffer_data(p, b, &data, &len);
        if (len != 0) {
            return data;
        }
    }
    return NULL;
}

static const char *tensor_name(const xtml_prep_t *p, int32_t index) {
    xtml_fb_table_t tt = xtml_fb_vec_table(&p->subgraph, p->tensors, (uint32_t)index);
    return xtml_fb_str(&tt, XTML_TENSOR_NAME);
}

int xtml_prep_n_inputs(const xtml_prep_t *p) {
    return (int)p->inputs.len;
}

int xtml_prep_n_outputs(const xtml_prep_t *p) {
    return (int)p->outputs.len;
}

void xtml_prep_input(const xtml_prep_t *p, int i, xtml_tinfo_t *t) {
    int32_t index = -1;
    if (i >= 0 && (uint32_t)i < p->inputs.len) {
        index = xtml_ld_i32(p->inputs.data + 4 * i);
    }
    read_tensor(p, index, t);
}

void xtml_prep_output(const xtml_prep_t *p, int i, xtml_tinfo_t *t) {
    int32_t index = -1;
    if (i >= 0 && (uint32_t)i < p->outputs.len) {
        index = xtml_ld_i32(p->outputs.data + 4 * i);
    }
    read_tensor(p, index, t);
}

const xtml_fb_table_t *xtml_prep_root(const xtml_prep_t *p) {
    return &p->root;
}

int32_t xtml_prep_graph_index(const xtml_prep_t *p) {
    return p->graph_index;
}

xtml_ext_t *xtml_prep_ext(const xtml_prep_t *p) {
    return p->measuring ? NULL : p->ext;
}

void xtml_prep_graph_tensor(const xtml_prep_t *p, int32_t graph, bool outputs, int i, xtml_tinfo_t *t) {
    xtml_prep_t q = *p;
    xtml_fb_vec_t list;
    int32_t index = -1;
    q.subgraph = xtml_fb_vec_table(&p->root, xtml_fb_vec(&p->root, XTML_MODEL_SUBGRAPHS), (uint32_t)graph);
    q.tensors = xtml_fb_vec(&q.subgraph, XTML_SUBGRAPH_TENSORS);
    list = xtml_fb_vec(&q.subgraph, outputs ? XTML_SUBGRAPH_OUTPUTS : XTML_SUBGRAPH_INPUTS);
    if (i >= 0 && (uint32_t)i < list.len) {
        index = xtml_ld_i32(list.data + 4 * i);
    }
    read_tensor(&q, index, t);
}

xtml_status_t xtml_prep_options(xtml_prep_t *p, int type, xtml_fb_table_t *t) {
    uint8_t actual = xtml_fb_u8(&p->op, XTML_OP_OPTIONS_TYPE, 0);
    *t = xtml_fb_table(&p->op, XTML_OP_OPTIONS);
    if (t->pos == 0) {
        return XTML_STATUS_OK;
    }
    if (actual != type) {
        memset(t, 0, sizeof *t);
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "builtin options have union type %u, expected %u",
                              (unsigned)actual, (unsigned)type);
    }
    return XTML_STATUS_OK;
}

bool xtml_prep_int8_weighted(const xtml_prep_t *p) {
    xtml_tinfo_t t;
    int i;
    for (i = 0; i < 3; i++) {
        xtml_prep_input(p, i, &t);
        if (t.index >= 0 && t.type != (i == 2 ? XTML_DTYPE_INT32 : XTML_DTYPE_INT8)) {
            return false;
        }
    }
    xtml_prep_output(p, 0, &t);
    return t.index < 0 || t.type == XTML_DTYPE_INT8;
}

xtml_status_t xtml_prep_custom_options(xtml_prep_t *p, const uint8_t **data, uint32_t *len) {
    xtml_fb_vec_t v = xtml_fb_vec(&p->op, XTML_OP_CUSTOM_OPTIONS);
    uint8_t format = xtml_fb_u8(&p->op, XTML_OP_CUSTOM_FORMAT, 0);
    *data = v.data;
    *len = v.len;
    if (format != 0) {
        return xtml_prep_fail(p, XTML_STATUS_BAD_OPTIONS, "custom options format %u is not FLEXBUFFERS (0)",
                              (unsigned)format);
    }
    return XTML_STATUS_OK;
}

int32_t xtml_prep_builtin_version(const xtml_prep_t *p) {
    return p->version;
}

void *xtml_prep_persist(xtml_prep_t *p, size_t bytes, size_t bytes32) {
    void *mem;
    bytes = align_up(bytes, META_ALIGN);
    if (p->measuring) {
        p->persist_bytes += p->target32 ? align_up(bytes32, META_ALIGN) : bytes;
        return NULL;
    }
    p->persist_bytes += bytes;
    if (p->persist_bytes > p->persist_cap) {
        /* The arena is too small: the rest of the pass only measures, so
         * the total it reports is what arena_size would say. */
        p->measuring = true;
        return NULL;
    }
    mem = p->persist;
    memset(mem, 0, bytes);
    p->persist += bytes;
    /* The operator's first block is what eval sees as node->params. */
    if (p->node != NULL && p->node->params == NULL) {
        p->node->params = mem;
    }
    return mem;
}

void xtml_prep_scratch(xtml_prep_t *p, size_t bytes) {
    p->scratch = bytes;
}

void xtml_prep_alias(xtml_prep_t *p, int out, int in) {
    p->alias_out = out;
    p->alias_in = in;
}

void xtml_prep_inplace(xtml_prep_t *p, int out, int in) {
    p->inplace_out = out;
    p->inplace_in = in;
}

void xtml_prep_set_macs(xtml_prep_t *p, uint64_t macs) {
    p->macs = macs;
}

bool xtml_prep_offer_vars(xtml_prep_t *p, const xtml_var_support_t *vars) {
    if (!p->asking_vars) {
        return false;
    }
    p->vars = vars;
    return true;
}

xtml_status_t xtml_prep_fail(xtml_prep_t *p, xtml_status_t status, const char *fmt, ...) {
#ifndef XTML_NO_DETAIL
    if (p->detail != NULL) {
        size_t len;
        va_list ap;
        xtml_fmt(p->detail, p->detail_cap, "operator %d (%s): ", (int)p->op_index, p->name);
        len = strlen(p->detail);
        va_start(ap, fmt);
        xtml_vfmt(p->detail + len, p->detail_cap - len, fmt, ap);
        va_end(ap);
    }
#else
    (void)p;
    (void)fmt;
#endif
    return status;
}

xtml_status_t xtml_prep_expect_type(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, xtml_dtype_t type) {
    if (t->type != type) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE, "%s '%s' (tensor %d) is %s, expected %s", role,
                              t->name, (int)t->index, xtml_dtype_name(t->type), xtml_dtype_name(type));
    }
    return XTML_STATUS_OK;
}

xtml_status_t xtml_prep_expect_same_shape(xtml_prep_t *p, const xtml_tinfo_t *a, const char *role_a,
                                          const xtml_tinfo_t *b, const char *role_b) {
    int32_t i;
    bool same = a->ndim == b->ndim;
    for (i = 0; same && i < a->ndim; i++) {
        same = a->dims[i] == b->dims[i];
    }
    if (!same) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "%s '%s' and %s '%s' differ in shape", role_a,
                              a->name, role_b, b->name);
    }
    return XTML_STATUS_OK;
}

xtml_status_t xtml_prep_expect_quantized(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role) {
    if (t->n_scales < 1 || !(t->scale > 0.0f)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION, "%s '%s' (tensor %d, %s) has no quantization scale",
                              role, t->name, (int)t->index, xtml_dtype_name(t->type));
    }
    return XTML_STATUS_OK;
}

xtml_status_t xtml_prep_expect_s8_io(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out) {
    xtml_status_t st;
    if ((st = xtml_prep_expect_quantized(p, in, "input")) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_quantized(p, out, "output")) != XTML_STATUS_OK) {
        return st;
    }
    if (in->zero_point < -128 || in->zero_point > 127 || out->zero_point < -128 ||
        out->zero_point > 127) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "zero points %" PRId32 " (input) and %" PRId32 " (output) must fit int8",
                              in->zero_point, out->zero_point);
    }
    return XTML_STATUS_OK;
}

xtml_status_t xtml_prep_expect_s16_io(xtml_prep_t *p, const xtml_tinfo_t *in, const xtml_tinfo_t *out) {
    xtml_status_t st;
    if ((st = xtml_prep_expect_quantized(p, in, "input")) != XTML_STATUS_OK ||
        (st = xtml_prep_expect_quantized(p, out, "output")) != XTML_STATUS_OK) {
        return st;
    }
    if (in->zero_point != 0 || out->zero_point != 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_QUANTIZATION,
                              "int16 zero points %" PRId32 " (input) and %" PRId32 " (output) must be 0",
                              in->zero_point, out->zero_point);
    }
    return XTML_STATUS_OK;
}

/* ---- operator lookup ---- */

static void op_identity(const xtml_prep_t *p, const xtml_fb_table_t *op, int32_t *builtin, int32_t *version,
                        const char **custom) {
    xtml_fb_vec_t codes = xtml_fb_vec(&p->root, XTML_MODEL_OPCODES);
    xtml_fb_table_t c = xtml_fb_vec_table(&p->root, codes, xtml_fb_u32(op, XTML_OP_OPCODE_INDEX, 0));
    *builtin = xtml_fb_op_builtin(&p->root, op);
    *version = xtml_fb_i32(&c, XTML_OPCODE_VERSION, 1);
    *custom = xtml_fb_str(&c, XTML_OPCODE_CUSTOM);
}

static const char *op_name(const xtml_prep_t *p, const xtml_fb_table_t *op) {
    int32_t builtin, version;
    const char *custom;
    const char *name;
    op_identity(p, op, &builtin, &version, &custom);
    name = xtml_builtin_name(builtin);
    return name != NULL ? name : "?";
}

/* An int64 constant whose data is 4 but not 8 bytes aligned (xtml_verify.c allows it). */
static bool misaligned_i64_constant(const xtml_prep_t *p, int32_t index) {
    xtml_fb_table_t t = xtml_fb_vec_table(&p->subgraph, p->tensors, (uint32_t)index);
    size_t bytes;
    const void *data = tensor_storage(p, index, &bytes);
    return data != NULL && xtml_fb_u8(&t, XTML_TENSOR_TYPE, 0) == XTML_DTYPE_INT64 && ((uintptr_t)data & 7u) != 0;
}

static bool tensor_is_variable(const xtml_prep_t *p, int32_t index) {
    xtml_fb_table_t t = xtml_fb_vec_table(&p->subgraph, p->tensors, (uint32_t)index);
    return xtml_fb_bool(&t, XTML_TENSOR_IS_VARIABLE, false);
}

/* ---- the planner ---- */

/*
 * Planned buffers are numbered: tensor t is buffer t (when it needs memory),
 * operator i's scratch is buffer n_tensors + i. A plan entry keeps the
 * lifetime (first and last operator) and the chosen offset; sizes are read
 * back from the sizes array that lives beside it.
 */
typedef struct plan_entry {
    uint32_t id;       /* tensor index, or n_tensors + operator index */
    uint32_t size;
    uint32_t offset;
    uint16_t first;
    uint16_t last;
} plan_entry_t;

typedef struct planner {
    plan_entry_t *entries;
    uint32_t count;
    uint32_t cap;
} planner_t;

static plan_entry_t *plan_find(planner_t *pl, uint32_t id) {
    uint32_t i;
    for (i = 0; i < pl->count; i++) {
        if (pl->entries[i].id == id) {
            return &pl->entries[i];
        }
    }
    return NULL;
}

/* Extend (or create) a buffer's lifetime to cover operator `at`. */
static bool plan_touch(planner_t *pl, uint32_t id, uint32_t size, uint16_t at) {
    plan_entry_t *e = plan_find(pl, id);
    if (e == NULL) {
        if (pl->count == pl->cap) {
            return false;
        }
        e = &pl->entries[pl->count++];
        e->id = id;
        e->size = (uint32_t)align_up(size, PLAN_ALIGN);
        e->offset = UINT32_MAX;
        e->first = at;
        e->last = at;
        return true;
    }
    if (at < e->first) {
        e->first = at;
    }
    if (at > e->last) {
        e->last = at;
    }
    return true;
}

/* Greedy placement: largest first (ties by id), each at the lowest offset
 * where it overlaps no placed buffer whose lifetime it shares. */
static size_t plan_place(planner_t *pl) {
    size_t total = 0;
    uint32_t placed;
    for (placed = 0; placed < pl->count; placed++) {
        plan_entry_t *best = NULL;
        uint32_t i;
        uint32_t offset = 0;
        bool moved = true;
        for (i = 0; i < pl->count; i++) {
            plan_entry_t *e = &pl->entries[i];
            if (e->offset != UINT32_MAX) {
                continue;
            }
            if (best == NULL || e->size > best->size || (e->size == best->size && e->id < best->id)) {
                best = e;
            }
        }
        while (moved) {
            moved = false;
            for (i = 0; i < pl->count; i++) {
                plan_entry_t *e = &pl->entries[i];
                if (e->offset == UINT32_MAX || e->last < best->first || e->first > best->last) {
                    continue;
                }
                if (e->offset < offset + best->size && offset < e->offset + e->size) {
                    offset = e->offset + e->size;
                    moved = true;
                }
            }
        }
        best->offset = offset;
        if ((size_t)offset + best->size > total) {
            total = (size_t)offset + best->size;
        }
    }
    return total;
}

/* ---- building a context ---- */

typedef struct build {
    const uint8_t *model;
    size_t model_bytes;
    xtml_prep_t prep;
    xtml_ctx_t *ctx;          /* NULL while measuring */
    size_t arena_bytes;       /* real pass: the arena's size */
    bool target32;            /* measure for 4-byte pointers (only while measuring) */
    size_t meta_bytes;        /* context + tables + persistent parameters */
    size_t plan_bytes;
    const xtml_op_t *const *ops;  /* the operators it may run */
    int32_t op_count;
    bool chosen;              /* ops is the caller's table, not every operator */
    bool multi;               /* the model has the extension (xtml_model_has_ext) */
    size_t plan_at;           /* multi, real pass: where the planned region starts */
} build_t;

xtml_status_t xtml_set_detail(char *detail, size_t cap, xtml_status_t status, const char *fmt, ...) {
#ifndef XTML_NO_DETAIL
    if (detail != NULL) {
        va_list ap;
        va_start(ap, fmt);
        xtml_vfmt(detail, cap, fmt, ap);
        va_end(ap);
    }
#else
    (void)detail;
    (void)cap;
    (void)fmt;
#endif
    return status;
}

/* Root of a tensor's alias chain, following output->input links recorded in
 * alias_of (index or -1). Chains are acyclic: an alias points to an input of
 * an earlier-or-same operator, and outputs are written once. */
static int32_t alias_root(const int32_t *alias_of, int32_t t) {
    while (alias_of[t] >= 0) {
        t = alias_of[t];
    }
    return t;
}

static bool list_has_root(const int32_t *alias_of, xtml_fb_vec_t list, int32_t root) {
    uint32_t k;
    for (k = 0; k < list.len; k++) {
        int32_t t = xtml_ld_i32(list.data + 4 * k);
        if (t >= 0 && alias_root(alias_of, t) == root) {
            return true;
        }
    }
    return false;
}

/*
 * May operator `at` write its output `out` over its input `in`? Only when the
 * memory behind `in` (its alias root) is planned, as large as the output, and
 * nobody needs it afterwards: no later operator reads any tensor sharing it,
 * and it is not a graph output. Aliases made by later operators are made by
 * reading the group, so scanning later readers covers them too.
 */
static bool can_overwrite(const xtml_prep_t *p, const int32_t *alias_of, int32_t in, int32_t out, uint32_t at) {
    xtml_fb_vec_t ops = xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_OPERATORS);
    int32_t root = alias_root(alias_of, in);
    size_t root_bytes, out_bytes;
    uint32_t j;
    int32_t k;
    /* A kept tensor's memory must hold its values to the end of the invoke. */
    for (k = 0; k < p->n_keep; k++) {
        if (alias_root(alias_of, p->keep[k]) == root) {
            return false;
        }
    }
    if (tensor_storage(p, root, &root_bytes) != NULL || tensor_is_variable(p, root)) {
        return false;
    }
    tensor_storage(p, out, &out_bytes);
    if (root_bytes != out_bytes) {
        return false;
    }
    if (list_has_root(alias_of, xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_OUTPUTS), root)) {
        return false;
    }
    for (j = at + 1; j < ops.len; j++) {
        xtml_fb_table_t op = xtml_fb_vec_table(&p->subgraph, ops, j);
        if (list_has_root(alias_of, xtml_fb_vec(&op, XTML_OP_INPUTS), root)) {
            return false;
        }
    }
    return true;
}

/*
 * The entry of a builtin in the build's table from position *at on, or NULL;
 * *at moves past it. A custom operator (builtin CUSTOM) is the entry whose
 * kernel has its name.
 */
static const xtml_op_t *entry_for(const build_t *b, int32_t builtin, const char *custom, int32_t *at) {
    for (; *at < b->op_count; ++*at) {
        const xtml_op_t *op = b->ops[*at];
        if (op->builtin == builtin && (builtin != XTML_OP_CUSTOM || strcmp(op->kernel->name, custom) == 0)) {
            ++*at;
            return op;
        }
    }
    return NULL;
}

/*
 * One subgraph's operators: prepared, then its tensors planned from offset
 * plan_off of the planned region. Measuring: ctx == NULL, the planner runs on
 * the stack and sizes are summed. Real: kernels write their parameters and
 * the nodes and data table are filled. Both passes compute the same plan. A
 * real pass whose arena turns out too small goes on measuring (and writes no
 * data table); the caller compares meta_bytes + plan_bytes with the arena.
 */
static xtml_status_t build_graph(build_t *b, void **data, xtml_node_t *nodes, size_t plan_off, size_t *plan_size,
                                 char *detail, size_t detail_cap) {
    xtml_prep_t *p = &b->prep;
    xtml_fb_vec_t ops = xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_OPERATORS);
    xtml_fb_vec_t g_in = xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_INPUTS);
    xtml_fb_vec_t g_out = xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_OUTPUTS);
    uint32_t n_tensors = p->tensors.len;
    uint32_t n_ops = ops.len;
    plan_entry_t entries[XTML_MAX_PLANNED_BUFFERS];
    int32_t alias_of_stack[XTML_MAX_PLANNED_BUFFERS];
    planner_t pl;
    uint32_t i, k;
    xtml_ctx_t *ctx = b->ctx;

    pl.entries = entries;
    pl.count = 0;
    pl.cap = XTML_MAX_PLANNED_BUFFERS;
    if (n_tensors > XTML_MAX_PLANNED_BUFFERS) {
        return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_CONFIG,
                          "model has %llu tensors; this build plans at most %d (XTML_MAX_PLANNED_BUFFERS)",
                          (unsigned long long)n_tensors, XTML_MAX_PLANNED_BUFFERS);
    }
    for (i = 0; i < n_tensors; i++) {
        alias_of_stack[i] = -1;
    }

    for (i = 0; i < n_ops; i++) {
        int32_t builtin, version, at;
        const char *custom;
        const xtml_op_t *entry;
        const xtml_kernel_t *kernel;
        xtml_status_t status;
        p->op_index = (int32_t)i;
        p->op = xtml_fb_vec_table(&p->subgraph, ops, i);
        p->inputs = xtml_fb_vec(&p->op, XTML_OP_INPUTS);
        p->outputs = xtml_fb_vec(&p->op, XTML_OP_OUTPUTS);
        op_identity(p, &p->op, &builtin, &version, &custom);
        p->builtin = builtin;
        p->version = version;
        p->name = builtin == XTML_OP_CUSTOM ? custom : xtml_builtin_name(builtin);
        if (p->name == NULL) {
            p->name = "?";
        }
        at = 0;
        entry = entry_for(b, builtin, custom, &at);
        kernel = entry != NULL ? entry->kernel : NULL;
        if (builtin == XTML_OP_CUSTOM && kernel == NULL) {
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_OPERATOR,
                              "operator %d: custom operator '%s' version %d is not %s", (int)i, custom, (int)version,
                              b->chosen ? "in the operator table (options.ops)" : "supported");
        }
        if (kernel == NULL && b->chosen) {
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_OPERATOR,
                              "operator %d: builtin %s (code %d) is not in the operator table (options.ops)", (int)i,
                              p->name, (int)builtin);
        }
        if (kernel == NULL || kernel->prepare == NULL) {
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_OPERATOR,
                              "operator %d: builtin %s (code %d) version %d is not supported", (int)i, p->name,
                              (int)builtin, (int)version);
        }
        /* Only later inputs are ever optional (a bias, a padding value). */
        if (p->inputs.len > 0 && xtml_ld_i32(p->inputs.data) < 0) {
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_MODEL_OPERATOR,
                              "operator %d (%s): input 0 is absent (-1); every operator needs its first input",
                              (int)i, p->name);
        }
        for (;;) {
            const xtml_op_t *next;
            size_t persisted = p->persist_bytes;
            p->scratch = 0;
            p->alias_out = -1;
            p->alias_in = -1;
            p->inplace_out = -1;
            p->inplace_in = -1;
            p->macs = 0;
            p->node = ctx != NULL ? &nodes[i] : NULL;
            status = kernel->prepare(p);
            /* A typed entry (XTML_OPERATOR_TYPES) refuses other types before
             * it asks for memory: the table's next entry of the builtin may
             * take them. */
            if (status != XTML_STATUS_UNSUPPORTED_TYPE || p->persist_bytes != persisted ||
                (next = entry_for(b, builtin, custom, &at)) == NULL) {
                break;
            }
            entry = next;
            kernel = entry->kernel;
#ifndef XTML_NO_DETAIL
            if (detail != NULL) {
                detail[0] = '\0';
            }
#endif
        }
        if (status != XTML_STATUS_OK) {
            return status;
        }
        if (p->alias_out >= 0) {
            int32_t out = xtml_ld_i32(p->outputs.data + 4 * p->alias_out);
            int32_t in = xtml_ld_i32(p->inputs.data + 4 * p->alias_in);
            /* A graph output never aliases another graph output or input: the
             * caller reads them as separate buffers. */
            bool in_is_graph_io = false, out_is_graph_out = false;
            for (k = 0; k < g_in.len; k++) {
                in_is_graph_io = in_is_graph_io || xtml_ld_i32(g_in.data + 4 * k) == in;
            }
            for (k = 0; k < g_out.len; k++) {
                in_is_graph_io = in_is_graph_io || xtml_ld_i32(g_out.data + 4 * k) == in;
                out_is_graph_out = out_is_graph_out || xtml_ld_i32(g_out.data + 4 * k) == out;
            }
            /* Never close a cycle (two reshapes writing each other's input):
             * alias_root() would loop. The planner then reports the
             * read-before-write. A graph output that would alias an int64
             * constant 4 but not 8 bytes aligned (the verifier allows them)
             * gets its own memory: the caller reads it typed. So does a
             * variable output: xtml_reset_state() clears it, which must
             * never write into the model (a constant input) or another
             * tensor. */
            if (!in_is_graph_io && in >= 0 && alias_root(alias_of_stack, in) != out && !tensor_is_variable(p, out) &&
                !(out_is_graph_out && misaligned_i64_constant(p, alias_root(alias_of_stack, in)))) {
                alias_of_stack[out] = in;
            }
        }
        if (p->inplace_out >= 0 && p->alias_out < 0) {
            int32_t out = xtml_ld_i32(p->outputs.data + 4 * p->inplace_out);
            int32_t in = xtml_ld_i32(p->inputs.data + 4 * p->inplace_in);
            /* Nor here: an input viewing this very output (a reshape of it read
             * before it is written) would make a cycle. */
            if (in >= 0 && alias_root(alias_of_stack, in) != out && !tensor_is_variable(p, out) &&
                can_overwrite(p, alias_of_stack, in, out, i)) {
                alias_of_stack[out] = in;
            }
        }
        if (ctx != NULL) {
            xtml_node_t *node = &nodes[i];
            node->kernel = kernel;
            node->inputs = p->inputs.data;
            node->outputs = p->outputs.data;
            node->n_inputs = (uint16_t)p->inputs.len;
            node->n_outputs = (uint16_t)p->outputs.len;
            node->macs = p->macs > UINT32_MAX ? UINT32_MAX : (uint32_t)p->macs;
            node->scratch = NULL;
        }
        if (p->scratch > 0) {
            if (p->scratch > 0x7fffffffu ||
                !plan_touch(&pl, n_tensors + i, (uint32_t)p->scratch, (uint16_t)i)) {
                return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_CONFIG,
                                  "operator %d (%s): scratch of %zu bytes cannot be planned", (int)i, p->name,
                                  p->scratch);
            }
        }
    }

    /* Variable tensors: persistent memory after the kernels' parameters, in
     * tensor order; their pointers go straight into the data table. */
    p->node = NULL;
    for (i = 0; i < n_tensors; i++) {
        size_t bytes;
        void *mem;
        if (!tensor_is_variable(p, (int32_t)i)) {
            continue;
        }
        tensor_storage(p, (int32_t)i, &bytes);
        mem = xtml_prep_persist(p, bytes, bytes);
        if (ctx != NULL && mem != NULL) {
            data[i] = mem;
        }
    }

    /* Lifetimes of non-constant tensors, by alias root. */
    for (k = 0; k < g_in.len; k++) {
        size_t bytes;
        int32_t index = xtml_ld_i32(g_in.data + 4 * k);
        if (tensor_storage(p, index, &bytes) == NULL && !tensor_is_variable(p, alias_root(alias_of_stack, index)) &&
            !plan_touch(&pl, (uint32_t)alias_root(alias_of_stack, index), (uint32_t)bytes, 0)) {
            goto too_many;
        }
    }
    for (i = 0; i < n_ops; i++) {
        xtml_fb_table_t op = xtml_fb_vec_table(&p->subgraph, ops, i);
        xtml_fb_vec_t lists[2];
        int side;
        lists[0] = xtml_fb_vec(&op, XTML_OP_INPUTS);
        lists[1] = xtml_fb_vec(&op, XTML_OP_OUTPUTS);
        for (side = 0; side < 2; side++) {
            for (k = 0; k < lists[side].len; k++) {
                size_t bytes;
                int32_t root;
                int32_t index = xtml_ld_i32(lists[side].data + 4 * k);
                if (index < 0) {
                    continue;
                }
                if (tensor_storage(p, index, &bytes) != NULL) {
                    continue;
                }
                root = alias_root(alias_of_stack, index);
                if (tensor_is_variable(p, root)) {
                    continue;   /* persistent, not planned */
                }
                if (side == 0 && plan_find(&pl, (uint32_t)root) == NULL) {
                    return xtml_set_detail(detail, detail_cap, XTML_STATUS_MODEL_OPERATOR,
                                      "operator %d (%s) reads tensor %d '%s' before any operator writes it",
                                      (int)i, op_name(p, &op), (int)index, tensor_name(p, index));
                }
                if (root != index && tensor_storage(p, root, &bytes) != NULL) {
                    continue;
                }
                if (bytes > 0x7fffffffu || !plan_touch(&pl, (uint32_t)root, (uint32_t)bytes, (uint16_t)i)) {
                    goto too_many;
                }
            }
        }
    }
    for (k = 0; k < g_out.len; k++) {
        size_t bytes;
        int32_t root = alias_root(alias_of_stack, xtml_ld_i32(g_out.data + 4 * k));
        bool is_const = tensor_storage(p, root, &bytes) != NULL || tensor_is_variable(p, root);
        if (!is_const && plan_find(&pl, (uint32_t)root) == NULL) {
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_MODEL_OPERATOR,
                              "graph output %u (tensor %d '%s') is never written", (unsigned)k, (int)root,
                              tensor_name(p, root));
        }
        if (!is_const && !plan_touch(&pl, (uint32_t)root, (uint32_t)bytes, (uint16_t)(n_ops > 0 ? n_ops : 0))) {
            goto too_many;
        }
    }
    /* Kept tensors live to the end like graph outputs. */
    for (k = 0; k < (uint32_t)p->n_keep; k++) {
        xtml_tinfo_t t, r;
        int32_t root = alias_root(alias_of_stack, p->keep[k]);
        read_tensor(p, p->keep[k], &t);
        read_tensor(p, root, &r);
        if (t.is_const || r.is_const || tensor_is_variable(p, root)) {
            continue;
        }
        if (plan_find(&pl, (uint32_t)root) == NULL) {
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_BAD_ARGUMENT,
                              "kept tensor %d '%s' is neither a graph input nor written by any operator",
                              (int)p->keep[k], t.name);
        }
        if (!plan_touch(&pl, (uint32_t)root, (uint32_t)r.bytes, (uint16_t)(n_ops > 0 ? n_ops : 0))) {
            goto too_many;
        }
    }

    *plan_size = plan_place(&pl);

    if (ctx != NULL && !p->measuring) {
        /* Models with one subgraph: the plan follows everything persistent,
         * now all allocated. Others: where the measuring pass found it. */
        size_t at = (b->multi ? b->plan_at : b->meta_bytes + p->persist_bytes) + plan_off;
        uint8_t *plan_base = (uint8_t *)ctx + at;
        if (at + *plan_size > b->arena_bytes) {
            return XTML_STATUS_OK;
        }
        for (i = 0; i < n_tensors; i++) {
            size_t bytes;
            plan_entry_t *e;
            int32_t root = alias_root(alias_of_stack, (int32_t)i);
            const void *cdata = tensor_storage(p, root, &bytes);
            if (tensor_is_variable(p, root)) {
                /* set above; a view of a variable shares its memory */
                data[i] = data[root];
                continue;
            }
            data[i] = NULL;
            if (cdata != NULL) {
                data[i] = (void *)(uintptr_t)cdata;
                continue;
            }
            e = plan_find(&pl, (uint32_t)root);
            if (e != NULL) {
                data[i] = plan_base + e->offset;
            }
        }
        for (i = 0; i < n_ops; i++) {
            plan_entry_t *e = plan_find(&pl, n_tensors + i);
            if (e != NULL) {
                nodes[i].scratch = plan_base + e->offset;
            }
        }
    }
    return XTML_STATUS_OK;

too_many:
    return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_CONFIG,
                      "model needs more than %d planned buffers (XTML_MAX_PLANNED_BUFFERS)",
                      XTML_MAX_PLANNED_BUFFERS);
}

/* Subgraph `index` into the prep. */
static void prep_graph(xtml_prep_t *p, int32_t index) {
    p->graph_index = index;
    p->subgraph = xtml_fb_vec_table(&p->root, xtml_fb_vec(&p->root, XTML_MODEL_SUBGRAPHS), (uint32_t)index);
    p->tensors = xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_TENSORS);
}

/*
 * The variable layout of a model with a VAR_HANDLE operator, from the
 * table's VAR_HANDLE kernel into p->vars (NULL for a model without one).
 * Without that entry such a model is refused here, as its VAR_HANDLE would
 * be, before the layout is needed.
 */
static xtml_status_t find_vars(build_t *b, char *detail, size_t detail_cap) {
    xtml_prep_t *p = &b->prep;
    xtml_fb_vec_t sgs = xtml_fb_vec(&p->root, XTML_MODEL_SUBGRAPHS);
    const xtml_op_t *entry;
    int32_t at = 0;
    uint32_t s, i;
    p->vars = NULL;
    for (s = 0; s < sgs.len; s++) {
        xtml_fb_table_t sg = xtml_fb_vec_table(&p->root, sgs, s);
        xtml_fb_vec_t ops = xtml_fb_vec(&sg, XTML_SUBGRAPH_OPERATORS);
        for (i = 0; i < ops.len; i++) {
            xtml_fb_table_t op = xtml_fb_vec_table(&sg, ops, i);
            if (xtml_fb_op_builtin(&p->root, &op) != XTML_OP_VAR_HANDLE) {
                continue;
            }
            entry = entry_for(b, XTML_OP_VAR_HANDLE, NULL, &at);
            if (entry != NULL && entry->kernel->prepare != NULL) {
                p->asking_vars = true;
                entry->kernel->prepare(p);
                p->asking_vars = false;
            }
            if (p->vars == NULL) {
                return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_OPERATOR,
                                  "subgraph %u operator %u: builtin VAR_HANDLE (code %d) is not in the operator "
                                  "table (options.ops)", (unsigned)s, (unsigned)i, XTML_OP_VAR_HANDLE);
            }
            return XTML_STATUS_OK;
        }
    }
    return XTML_STATUS_OK;
}

/*
 * The whole model: the tables (the context, subgraph 0's data table, node
 * records and kept tensors; with an extension, the subgraph records, the
 * variables and the other subgraphs' tables), the variables' memory, then
 * each subgraph, callers before callees. Each subgraph's plan starts where
 * the plans of all its callers end (the largest such end), so a callee never
 * overlaps the memory of a subgraph active while it runs; subgraphs never
 * active together (the two branches of an IF) share memory.
 */
static xtml_status_t build_pass(build_t *b, char *detail, size_t detail_cap) {
    xtml_prep_t *p = &b->prep;
    xtml_ctx_t *ctx = b->ctx;
    xtml_fb_vec_t sgs = xtml_fb_vec(&p->root, XTML_MODEL_SUBGRAPHS);
    size_t ptr_size = b->target32 ? 4 : sizeof(void *);
    size_t node_size = b->target32 ? XTML_SIZE32(xtml_node_t) : sizeof(xtml_node_t);
    size_t off[XTML_MAX_SUBGRAPHS];
    int32_t order[XTML_MAX_SUBGRAPHS];
    int32_t n_graphs = 1, n_vars = 0, k, v;
    const int32_t *keep = p->keep;
    int32_t n_keep = p->n_keep;
    size_t meta, plan_total = 0;
    xtml_ext_t *ext = NULL;
    xtml_status_t status;

    prep_graph(p, 0);
    meta = align_up(b->target32 ? XTML_SIZE32(xtml_ctx_t) : sizeof(xtml_ctx_t), META_ALIGN);
    meta += align_up(ptr_size * p->tensors.len, META_ALIGN);
    meta += align_up(node_size * xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_OPERATORS).len, META_ALIGN);
    meta += align_up(sizeof(int32_t) * (size_t)n_keep, META_ALIGN);
    order[0] = 0;
    off[0] = 0;
    if (b->multi) {
        n_graphs = (int32_t)sgs.len;
        if (n_graphs > XTML_MAX_SUBGRAPHS) {
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_CONFIG,
                              "model has %d subgraphs; this build runs at most %d (XTML_MAX_SUBGRAPHS)",
                              (int)n_graphs, XTML_MAX_SUBGRAPHS);
        }
        status = xtml_call_graph(&p->root, order, detail, detail_cap);
        if (status != XTML_STATUS_OK) {
            return status;
        }
        status = find_vars(b, detail, detail_cap);
        if (status != XTML_STATUS_OK) {
            return status;
        }
        n_vars = p->vars != NULL ? p->vars->count(&p->root) : 0;
        if (ctx != NULL) {
            ext = (xtml_ext_t *)(void *)((uint8_t *)ctx + meta);
            memset(ext, 0, sizeof *ext);
            ext->graphs = (xtml_graph_t *)(void *)((uint8_t *)ext + align_up(sizeof(xtml_ext_t), META_ALIGN));
            ext->vars = (xtml_var_t *)(void *)((uint8_t *)ext->graphs +
                                               align_up(sizeof(xtml_graph_t) * (size_t)n_graphs, META_ALIGN));
            ext->n_graphs = n_graphs;
            ext->n_vars = n_vars;
        }
        if (b->target32) {
            meta += align_up(XTML_SIZE32(xtml_ext_t), META_ALIGN);
            meta += align_up(XTML_SIZE32(xtml_graph_t) * (size_t)n_graphs, META_ALIGN);
            meta += align_up(XTML_SIZE32(xtml_var_t) * (size_t)n_vars, META_ALIGN);
        } else {
            meta += align_up(sizeof(xtml_ext_t), META_ALIGN);
            meta += align_up(sizeof(xtml_graph_t) * (size_t)n_graphs, META_ALIGN);
            meta += align_up(sizeof(xtml_var_t) * (size_t)n_vars, META_ALIGN);
        }
        for (k = 0; k < n_graphs; k++) {
            xtml_fb_table_t sg = xtml_fb_vec_table(&p->root, sgs, (uint32_t)k);
            xtml_fb_vec_t gi = xtml_fb_vec(&sg, XTML_SUBGRAPH_INPUTS);
            xtml_fb_vec_t go = xtml_fb_vec(&sg, XTML_SUBGRAPH_OUTPUTS);
            uint32_t n_t = xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS).len;
            uint32_t n_o = xtml_fb_vec(&sg, XTML_SUBGRAPH_OPERATORS).len;
            off[k] = 0;
            if (ext != NULL) {
                xtml_graph_t *g = &ext->graphs[k];
                g->index = k;
                g->n_tensors = (int32_t)n_t;
                g->n_nodes = (int32_t)n_o;
                g->inputs = gi.data;
                g->outputs = go.data;
                g->n_inputs = (int32_t)gi.len;
                g->n_outputs = (int32_t)go.len;
                g->data = k == 0 ? ctx->data : (void **)(void *)((uint8_t *)ctx + meta);
                g->nodes = k == 0 ? ctx->nodes
                                  : (xtml_node_t *)(void *)((uint8_t *)ctx + meta + align_up(ptr_size * n_t, META_ALIGN));
                if (k != 0) {
                    memset(g->nodes, 0, sizeof(xtml_node_t) * n_o);
                }
            }
            if (k != 0) {
                meta += align_up(ptr_size * n_t, META_ALIGN) + align_up(node_size * n_o, META_ALIGN);
            }
        }
    }
    p->persist_bytes = 0;
    p->measuring = ctx == NULL;
    p->target32 = b->target32;
    if (ctx != NULL) {
        p->persist = (uint8_t *)ctx + meta;
        p->persist_cap = b->arena_bytes - meta;   /* the caller checked meta fits */
    }
    p->detail = detail;
    p->detail_cap = detail_cap;
    p->ext = ext;
    p->node = NULL;
    /* Resource variables: persistent, before every kernel's parameters. */
    for (v = 0; v < n_vars; v++) {
        uint32_t bytes, fill;
        void *mem;
        status = p->vars->layout(&p->root, v, &bytes, &fill, detail, detail_cap);
        if (status != XTML_STATUS_OK) {
            return status;
        }
        mem = xtml_prep_persist(p, bytes, bytes);
        if (ext != NULL && mem != NULL) {
            ext->vars[v].data = (uint8_t *)mem;
            ext->vars[v].bytes = bytes;
            ext->vars[v].fill = fill;
        }
    }
    b->meta_bytes = meta;
    for (k = 0; k < n_graphs; k++) {
        int32_t s = order[k];
        size_t size = 0;
        xtml_fb_vec_t ops;
        uint32_t i;
        prep_graph(p, s);
        p->keep = s == 0 ? keep : NULL;
        p->n_keep = s == 0 ? n_keep : 0;
        status = build_graph(b, ext != NULL ? ext->graphs[s].data : ctx != NULL ? ctx->data : NULL,
                             ext != NULL ? ext->graphs[s].nodes : ctx != NULL ? ctx->nodes : NULL, off[s], &size,
                             detail, detail_cap);
        p->keep = keep;
        p->n_keep = n_keep;
        if (status != XTML_STATUS_OK) {
            return status;
        }
        if (off[s] + size > plan_total) {
            plan_total = off[s] + size;
        }
        /* Its callees start after it. */
        ops = xtml_fb_vec(&p->subgraph, XTML_SUBGRAPH_OPERATORS);
        for (i = 0; b->multi && i < ops.len; i++) {
            xtml_fb_table_t op = xtml_fb_vec_table(&p->subgraph, ops, i);
            int32_t callees[2];
            int c, n = xtml_op_callees(&p->root, &op, callees);
            for (c = 0; c < n; c++) {
                if (off[callees[c]] < off[s] + size) {
                    off[callees[c]] = off[s] + size;
                }
            }
        }
    }
    prep_graph(p, 0);
    b->plan_bytes = plan_total;
    b->meta_bytes = meta + p->persist_bytes;
    return XTML_STATUS_OK;
}

static void build_begin(build_t *b, const uint8_t *model, size_t model_bytes) {
    xtml_fb_vec_t subgraphs;
    memset(b, 0, sizeof *b);
    b->model = model;
    b->model_bytes = model_bytes;
    b->prep.model = model;
    b->prep.root = xtml_fb_root(model);
    subgraphs = xtml_fb_vec(&b->prep.root, XTML_MODEL_SUBGRAPHS);
    b->prep.subgraph = xtml_fb_vec_table(&b->prep.root, subgraphs, 0);
    b->prep.tensors = xtml_fb_vec(&b->prep.subgraph, XTML_SUBGRAPH_TENSORS);
    b->prep.buffers = xtml_fb_vec(&b->prep.root, XTML_MODEL_BUFFERS);
    b->multi = xtml_model_has_ext(&b->prep.root);
}

static void diag_reset(xtml_diag_t *diag) {
    if (diag != NULL) {
        diag->status = XTML_STATUS_OK;
        diag->needed = 0;
        diag->detail[0] = '\0';
    }
}

static xtml_status_t diag_set(xtml_diag_t *diag, xtml_status_t status) {
    if (diag != NULL) {
        diag->status = status;
    }
    return status;
}

/* The options' kept tensors into the build, after checking every index. */
static xtml_status_t build_keep(build_t *b, const xtml_options_t *options, char *detail) {
    int32_t k;
    if (options == NULL || options->keep_count == 0) {
        return XTML_STATUS_OK;
    }
    if (options->keep_count < 0 || options->keep_tensors == NULL) {
        return xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_BAD_ARGUMENT,
                          options->keep_count < 0 ? "options.keep_count is negative" : "options.keep_tensors is NULL");
    }
    for (k = 0; k < options->keep_count; k++) {
        int32_t t = options->keep_tensors[k];
        if (t < 0 || (uint32_t)t >= b->prep.tensors.len) {
            return xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_BAD_ARGUMENT,
                              "options.keep_tensors[%d] is %d: the model has %u tensors", (int)k, (int)t,
                              (unsigned)b->prep.tensors.len);
        }
    }
    b->prep.keep = options->keep_tensors;
    b->prep.n_keep = options->keep_count;
    return XTML_STATUS_OK;
}

/*
 * The operator table into the build: the options' one when it has one, else
 * `all` (NULL for the calls that run only a caller's table). Every entry is
 * checked to pair a builtin with that builtin's kernel.
 */
static xtml_status_t build_ops(build_t *b, const xtml_options_t *options, const xtml_op_t *const *all, char *detail) {
    int32_t k;
    if (options == NULL || (options->ops == NULL && options->op_count == 0)) {
        b->ops = all;
        b->op_count = all != NULL ? XTML_OPS_ALL_COUNT : 0;
        b->chosen = all == NULL;
        return XTML_STATUS_OK;
    }
    if (options->op_count < 0 || options->ops == NULL) {
        return xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_BAD_ARGUMENT,
                          options->op_count < 0 ? "options.op_count is negative" : "options.ops is NULL");
    }
    for (k = 0; k < options->op_count; k++) {
        const xtml_op_t *op = options->ops[k];
        /* a custom operator's kernel is named by its custom_code */
        const char *name = op == NULL || op->kernel == NULL ? NULL
                           : op->builtin == XTML_OP_CUSTOM ? op->kernel->name
                                                           : xtml_builtin_name(op->builtin);
        if (name == NULL || strcmp(op->kernel->name, name) != 0) {
            return xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_BAD_ARGUMENT,
                              "options.ops[%d] is not an operator entry (use XTML_OP(NAME))", (int)k);
        }
    }
    b->ops = options->ops;
    b->op_count = options->op_count;
    b->chosen = true;
    return XTML_STATUS_OK;
}

static xtml_status_t arena_size(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                                const xtml_op_t *const *all, size_t pointer_bytes, size_t *arena_bytes,
                                xtml_diag_t *diag);

xtml_status_t xtml_arena_size(const uint8_t *model, size_t model_bytes, size_t *arena_bytes, xtml_diag_t *diag) {
    return arena_size(model, model_bytes, NULL, xtml_ops_all, sizeof(void *), arena_bytes, diag);
}

xtml_status_t xtml_arena_size_for(const uint8_t *model, size_t model_bytes, size_t pointer_bytes,
                                  size_t *arena_bytes, xtml_diag_t *diag) {
    return arena_size(model, model_bytes, NULL, xtml_ops_all, pointer_bytes, arena_bytes, diag);
}

xtml_status_t xtml_arena_size_with(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                                   size_t *arena_bytes, xtml_diag_t *diag) {
    return arena_size(model, model_bytes, options, xtml_ops_all, sizeof(void *), arena_bytes, diag);
}

/* Refers to no kernel itself: only options->ops's reach the link. */
xtml_status_t xtml_arena_size_ops(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                                  size_t *arena_bytes, xtml_diag_t *diag) {
    return arena_size(model, model_bytes, options, NULL, sizeof(void *), arena_bytes, diag);
}

/* The arena for these options on a target with pointers of pointer_bytes. */
static xtml_status_t arena_size(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                                const xtml_op_t *const *all, size_t pointer_bytes, size_t *arena_bytes,
                                xtml_diag_t *diag) {
    build_t b;
    xtml_status_t status;
    diag_reset(diag);
    if (arena_bytes == NULL) {
        return diag_set(diag, xtml_set_detail(diag != NULL ? diag->detail : NULL, XTML_DETAIL_MAX,
                                         XTML_STATUS_BAD_ARGUMENT, "arena_bytes is NULL"));
    }
    *arena_bytes = 0;
    if (pointer_bytes != 4 && pointer_bytes != sizeof(void *)) {
        return diag_set(diag, xtml_set_detail(diag != NULL ? diag->detail : NULL, XTML_DETAIL_MAX,
                                         XTML_STATUS_BAD_ARGUMENT,
                                         "pointer_bytes is %zu; this build sizes arenas for 4 or %zu", pointer_bytes,
                                         sizeof(void *)));
    }
    status = xtml_model_verify(model, model_bytes, diag);
    if (status != XTML_STATUS_OK) {
        return status;
    }
    build_begin(&b, model, model_bytes);
    b.target32 = pointer_bytes == 4 && sizeof(void *) != 4;
    status = build_keep(&b, options, diag != NULL ? diag->detail : NULL);
    if (status == XTML_STATUS_OK) {
        status = build_ops(&b, options, all, diag != NULL ? diag->detail : NULL);
    }
    if (status != XTML_STATUS_OK) {
        return diag_set(diag, status);
    }
    status = build_pass(&b, diag != NULL ? diag->detail : NULL, XTML_DETAIL_MAX);
    if (status != XTML_STATUS_OK) {
        return diag_set(diag, status);
    }
    *arena_bytes = b.meta_bytes + b.plan_bytes;
    return XTML_STATUS_OK;
}

/*
 * Verifies, then runs the real pass directly: an arena too small for what
 * it needs is found during that pass (which then only measures), so
 * loading does not prepare the model twice.
 */
static xtml_status_t init(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                          const xtml_op_t *const *all, void *arena, size_t arena_bytes, xtml_ctx_t **out,
                          xtml_diag_t *diag);

xtml_status_t xtml_init(const uint8_t *model, size_t model_bytes, void *arena, size_t arena_bytes,
                        xtml_ctx_t **out, xtml_diag_t *diag) {
    return init(model, model_bytes, NULL, xtml_ops_all, arena, arena_bytes, out, diag);
}

xtml_status_t xtml_init_with(const uint8_t *model, size_t model_bytes, const xtml_options_t *options, void *arena,
                             size_t arena_bytes, xtml_ctx_t **out, xtml_diag_t *diag) {
    return init(model, model_bytes, options, xtml_ops_all, arena, arena_bytes, out, diag);
}

/* Refers to no kernel itself: only options->ops's reach the link. */
xtml_status_t xtml_init_ops(const uint8_t *model, size_t model_bytes, const xtml_options_t *options, void *arena,
                            size_t arena_bytes, xtml_ctx_t **out, xtml_diag_t *diag) {
    return init(model, model_bytes, options, NULL, arena, arena_bytes, out, diag);
}

/* The kept tensor indices, after the node records. */
static int32_t *kept_table(const xtml_ctx_t *ctx) {
    return (int32_t *)(void *)((uint8_t *)ctx->nodes + align_up(sizeof(xtml_node_t) * (size_t)ctx->n_nodes, META_ALIGN));
}

static xtml_status_t init(const uint8_t *model, size_t model_bytes, const xtml_options_t *options,
                          const xtml_op_t *const *all, void *arena, size_t arena_bytes, xtml_ctx_t **out,
                          xtml_diag_t *diag) {
    build_t b;
    xtml_status_t status;
    size_t needed;
    xtml_ctx_t *ctx;
    size_t meta, data_at, nodes_at;
    char *detail = diag != NULL ? diag->detail : NULL;
    xtml_fb_vec_t ops;
    diag_reset(diag);
    if (out == NULL || arena == NULL) {
        return diag_set(diag, xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_BAD_ARGUMENT,
                                         out == NULL ? "ctx is NULL" : "arena is NULL"));
    }
    *out = NULL;
    if (((uintptr_t)arena & (XTML_ARENA_ALIGN - 1)) != 0) {
        return diag_set(diag, xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_ARENA_ALIGNMENT,
                                         "arena address is not %d-byte aligned", XTML_ARENA_ALIGN));
    }
    status = xtml_model_verify(model, model_bytes, diag);
    if (status != XTML_STATUS_OK) {
        return status;
    }
    build_begin(&b, model, model_bytes);
    status = build_keep(&b, options, detail);
    if (status == XTML_STATUS_OK) {
        status = build_ops(&b, options, all, detail);
    }
    if (status != XTML_STATUS_OK) {
        return diag_set(diag, status);
    }
    if (b.multi) {
        /* Its tables and plan depend on every subgraph: measured first, so
         * that the real pass knows where the planned region starts. */
        status = build_pass(&b, detail, XTML_DETAIL_MAX);
        if (status != XTML_STATUS_OK) {
            return diag_set(diag, status);
        }
        needed = b.meta_bytes + b.plan_bytes;
        if (arena_bytes < needed) {
            if (diag != NULL) {
                diag->needed = needed;
            }
            return diag_set(diag, xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_ARENA_TOO_SMALL,
                                             "arena of %zu bytes is too small: the model needs %zu", arena_bytes,
                                             needed));
        }
        b.plan_at = b.meta_bytes;
    }
    ops = xtml_fb_vec(&b.prep.subgraph, XTML_SUBGRAPH_OPERATORS);
    /* The context, the tensor pointers, the node records and the kept table, in that order. */
    data_at = align_up(sizeof(xtml_ctx_t), META_ALIGN);
    nodes_at = data_at + align_up(sizeof(void *) * (size_t)b.prep.tensors.len, META_ALIGN);
    meta = nodes_at + align_up(sizeof(xtml_node_t) * (size_t)ops.len, META_ALIGN);
    meta += align_up(sizeof(int32_t) * (size_t)b.prep.n_keep, META_ALIGN);
    if (arena_bytes >= meta) {
        ctx = (xtml_ctx_t *)arena;
        memset(ctx, 0, sizeof *ctx);
        ctx->model = model;
        ctx->model_bytes = model_bytes;
        ctx->subgraph = b.prep.subgraph;
        ctx->n_tensors = (int32_t)b.prep.tensors.len;
        ctx->n_nodes = (int32_t)ops.len;
        ctx->data = (void **)((uint8_t *)arena + data_at);
        ctx->nodes = (xtml_node_t *)((uint8_t *)arena + nodes_at);
        memset(ctx->nodes, 0, sizeof(xtml_node_t) * (size_t)ctx->n_nodes);
        ctx->n_kept = b.prep.n_keep;
        if (ctx->n_kept > 0) {
            memcpy(kept_table(ctx), b.prep.keep, sizeof(int32_t) * (size_t)ctx->n_kept);
        }
        {
            xtml_fb_vec_t gi = xtml_fb_vec(&b.prep.subgraph, XTML_SUBGRAPH_INPUTS);
            xtml_fb_vec_t go = xtml_fb_vec(&b.prep.subgraph, XTML_SUBGRAPH_OUTPUTS);
            ctx->graph_inputs = gi.data;
            ctx->graph_outputs = go.data;
            ctx->n_inputs = (int32_t)gi.len;
            ctx->n_outputs = (int32_t)go.len;
        }
        b.ctx = ctx;
        b.arena_bytes = arena_bytes;
    }
    status = build_pass(&b, detail, XTML_DETAIL_MAX);
    if (status != XTML_STATUS_OK) {
        return diag_set(diag, status);
    }
    needed = b.meta_bytes + b.plan_bytes;
    if (b.ctx == NULL || b.prep.measuring || arena_bytes < needed) {
        if (diag != NULL) {
            diag->needed = needed;
        }
        return diag_set(diag, xtml_set_detail(detail, XTML_DETAIL_MAX, XTML_STATUS_ARENA_TOO_SMALL,
                                         "arena of %zu bytes is too small: the model needs %zu", arena_bytes,
                                         needed));
    }
    b.ctx->used = needed;
    xtml_reset_state(b.ctx);
    *out = b.ctx;
    return XTML_STATUS_OK;
}

size_t xtml_arena_used(const xtml_ctx_t *ctx) {
    return ctx != NULL ? ctx->used : 0;
}

int32_t xtml_input_count(const xtml_ctx_t *ctx) {
    return ctx != NULL ? ctx->n_inputs : 0;
}

int32_t xtml_output_count(const xtml_ctx_t *ctx) {
    return ctx != NULL ? ctx->n_outputs : 0;
}

/* Tensor `tensor` (a valid index) as the context's model describes it. */
static void ctx_tensor(const xtml_ctx_t *ctx, int32_t tensor, xtml_tinfo_t *t) {
    xtml_prep_t p;
    memset(&p, 0, sizeof p);
    p.model = ctx->model;
    p.root = xtml_fb_root(ctx->model);
    p.subgraph = ctx->subgraph;
    p.tensors = xtml_fb_vec(&p.subgraph, XTML_SUBGRAPH_TENSORS);
    p.buffers = xtml_fb_vec(&p.root, XTML_MODEL_BUFFERS);
    read_tensor(&p, tensor, t);
}

static xtml_status_t io_info(const xtml_ctx_t *ctx, const uint8_t *list, int32_t n, int32_t index,
                             xtml_tensor_info_t *info) {
    xtml_tinfo_t t;
    int32_t i;
    if (ctx == NULL || info == NULL || index < 0 || index >= n) {
        return XTML_STATUS_BAD_ARGUMENT;
    }
    ctx_tensor(ctx, list != NULL ? xtml_ld_i32(list + 4 * index) : index, &t);
    memset(info, 0, sizeof *info);
    info->name = t.name;
    info->dtype = t.type;
    info->ndim = t.ndim;
    for (i = 0; i < t.ndim; i++) {
        info->dims[i] = t.dims[i];
    }
    info->bytes = t.bytes;
    info->scale = t.n_scales > 0 ? t.scale : 0.0f;
    info->zero_point = t.n_zero_points > 0 ? t.zero_point : 0;
    return XTML_STATUS_OK;
}

xtml_status_t xtml_input_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info) {
    return io_info(ctx, ctx != NULL ? ctx->graph_inputs : NULL, xtml_input_count(ctx), index, info);
}

xtml_status_t xtml_output_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info) {
    return io_info(ctx, ctx != NULL ? ctx->graph_outputs : NULL, xtml_output_count(ctx), index, info);
}

void *xtml_input_data(xtml_ctx_t *ctx, int32_t index) {
    if (ctx == NULL || index < 0 || index >= ctx->n_inputs) {
        return NULL;
    }
    return ctx->data[xtml_ld_i32(ctx->graph_inputs + 4 * index)];
}

const void *xtml_output_data(const xtml_ctx_t *ctx, int32_t index) {
    if (ctx == NULL || index < 0 || index >= ctx->n_outputs) {
        return NULL;
    }
    return ctx->data[xtml_ld_i32(ctx->graph_outputs + 4 * index)];
}

int32_t xtml_tensor_count(const xtml_ctx_t *ctx) {
    return ctx != NULL ? ctx->n_tensors : 0;
}

xtml_status_t xtml_tensor_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info) {
    /* A NULL list: the index is the tensor's own. */
    return io_info(ctx, NULL, xtml_tensor_count(ctx), index, info);
}

static xtml_status_t ctx_fail(xtml_ctx_t *ctx, const char *fmt, ...) XTML_PRINTF(2, 3);

/* BAD_ARGUMENT with the context's detail set. */
static xtml_status_t ctx_fail(xtml_ctx_t *ctx, const char *fmt, ...) {
#ifndef XTML_NO_DETAIL
    va_list ap;
    va_start(ap, fmt);
    xtml_vfmt(ctx->detail, sizeof ctx->detail, fmt, ap);
    va_end(ap);
#else
    (void)ctx;
    (void)fmt;
#endif
    return XTML_STATUS_BAD_ARGUMENT;
}

xtml_status_t xtml_tensor_data(xtml_ctx_t *ctx, int32_t index, const void **data) {
    xtml_tinfo_t t;
    const int32_t *kept;
    int32_t k;
    bool readable;
    if (ctx == NULL || data == NULL) {
        return XTML_STATUS_BAD_ARGUMENT;
    }
    *data = NULL;
    if (index < 0 || index >= ctx->n_tensors) {
        return ctx_fail(ctx, "tensor %d: the model has %d tensors", (int)index, (int)ctx->n_tensors);
    }
    ctx_tensor(ctx, index, &t);
    readable = t.is_const;
    {
        xtml_prep_t p;
        memset(&p, 0, sizeof p);
        p.subgraph = ctx->subgraph;
        p.tensors = xtml_fb_vec(&p.subgraph, XTML_SUBGRAPH_TENSORS);
        readable = readable || tensor_is_variable(&p, index);
    }
    for (k = 0; !readable && k < ctx->n_outputs; k++) {
        readable = xtml_ld_i32(ctx->graph_outputs + 4 * k) == index;
    }
    kept = kept_table(ctx);
    for (k = 0; !readable && k < ctx->n_kept; k++) {
        readable = kept[k] == index;
    }
    if (!readable || ctx->data[index] == NULL) {
        return ctx_fail(ctx, "tensor %d is not kept (xtml_options_t.keep_tensors)", (int)index);
    }
    *data = ctx->data[index];
    return XTML_STATUS_OK;
}

/* The context's extension, or NULL (xtml_model_has_ext). */
static xtml_ext_t *ctx_ext(const xtml_ctx_t *ctx) {
    xtml_fb_table_t root = xtml_fb_root(ctx->model);
    if (!xtml_model_has_ext(&root)) {
        return NULL;
    }
    return (xtml_ext_t *)(void *)((uint8_t *)kept_table(ctx) + align_up(sizeof(int32_t) * (size_t)ctx->n_kept, META_ALIGN));
}

/* Each variable tensor of every subgraph to its zero: the zero point's byte
 * for int8 (as TFLM's ResetVariableTensors writes it), zero bytes for any
 * other type; each resource variable to its fill byte (xtml_var_layout);
 * and CALL_ONCE runs again on the next invoke. */
xtml_status_t xtml_reset_state(xtml_ctx_t *ctx) {
    xtml_tinfo_t t;
    xtml_prep_t p;
    xtml_ext_t *ext;
    int32_t i, g, n_graphs;
    if (ctx == NULL) {
        return XTML_STATUS_BAD_ARGUMENT;
    }
    ext = ctx_ext(ctx);
    n_graphs = ext != NULL ? ext->n_graphs : 1;
    memset(&p, 0, sizeof p);
    p.model = ctx->model;
    p.root = xtml_fb_root(ctx->model);
    p.buffers = xtml_fb_vec(&p.root, XTML_MODEL_BUFFERS);
    for (g = 0; g < n_graphs; g++) {
        void **data = ext != NULL ? ext->graphs[g].data : ctx->data;
        prep_graph(&p, g);
        for (i = 0; i < (int32_t)p.tensors.len; i++) {
            if (!tensor_is_variable(&p, i) || data[i] == NULL) {
                continue;
            }
            read_tensor(&p, i, &t);
            memset(data[i], t.type == XTML_DTYPE_INT8 && t.n_zero_points > 0 ? (int)(uint8_t)t.zero_point : 0,
                   t.bytes);
        }
    }
    if (ext != NULL) {
        for (i = 0; i < ext->n_vars; i++) {
            memset(ext->vars[i].data, (int)ext->vars[i].fill, ext->vars[i].bytes);
        }
        ext->epoch = ext->epoch + 1u != 0 ? ext->epoch + 1u : 1u;
    }
    return XTML_STATUS_OK;
}

xtml_status_t xtml_invoke(xtml_ctx_t *ctx) {
    int32_t i;
    if (ctx == NULL) {
        return XTML_STATUS_BAD_ARGUMENT;
    }
#ifndef XTML_NO_DETAIL
    ctx->detail[0] = '\0';
#endif
    for (i = 0; i < ctx->n_nodes; i++) {
        const xtml_node_t *node = &ctx->nodes[i];
        xtml_status_t status;
        if (ctx->profiler != NULL) {
            uint32_t start = XTML_PORT_TICKS();
            status = node->kernel->eval(ctx, node);
            ctx->profiler(ctx->profiler_user, i, node->kernel->name, (uint32_t)(XTML_PORT_TICKS() - start));
        } else {
            status = node->kernel->eval(ctx, node);
        }
        if (status != XTML_STATUS_OK) {
#ifndef XTML_NO_DETAIL
            if (ctx->detail[0] == '\0') {
                xtml_fmt(ctx->detail, sizeof ctx->detail, "operator %d (%s) failed", (int)i, node->kernel->name);
            }
#endif
            return status;
        }
    }
    return XTML_STATUS_OK;
}

void xtml_set_profiler(xtml_ctx_t *ctx, xtml_profile_fn fn, void *user) {
    if (ctx != NULL) {
        ctx->profiler = fn;
        ctx->profiler_user = user;
    }
}

int32_t xtml_operator_count(const xtml_ctx_t *ctx) {
    return ctx != NULL ? ctx->n_nodes : 0;
}

const char *xtml_operator_name(const xtml_ctx_t *ctx, int32_t index) {
    if (ctx == NULL || index < 0 || index >= ctx->n_nodes) {
        return NULL;
    }
    return ctx->nodes[index].kernel->name;
}

uint32_t xtml_operator_macs(const xtml_ctx_t *ctx, int32_t index) {
    if (ctx == NULL || index < 0 || index >= ctx->n_nodes) {
        return 0;
    }
    return ctx->nodes[index].macs;
}

const char *xtml_model_description(const xtml_ctx_t *ctx) {
    xtml_fb_table_t root;
    const char *text;
    if (ctx == NULL) {
        return "";
    }
    root = xtml_fb_root(ctx->model);
    text = xtml_fb_str(&root, XTML_MODEL_DESCRIPTION);
    return text != NULL ? text : "";
}

const char *xtml_ctx_detail(const xtml_ctx_t *ctx) {
#ifndef XTML_NO_DETAIL
    return ctx != NULL ? ctx->detail : "";
#else
    (void)ctx;
    return "";
#endif
}
