/*
 * xtml_subgraph.c - subgraphs and resource variables: CALL_ONCE, IF, WHILE,
 * VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, and the model-wide checks and
 * tables they need (the call graph, the variables).
 *
 * A called subgraph runs on the same context: its operators read their
 * tensors through its own data table, which xtml_run_graph() puts in place
 * of the caller's for the duration of the call. Values cross a call by copy
 * (caller inputs to callee inputs, callee outputs to caller outputs), so each
 * pair must have the same type and byte size, checked at prepare.
 *
 * Resource variables are resolved at prepare: the resource input of a
 * READ_VARIABLE or ASSIGN_VARIABLE must be written by a VAR_HANDLE of the
 * same subgraph, whose (container, shared_name) names the variable; every use
 * of one variable has the same byte size, which is its persistent memory.
 */
#include "xtml_internal.h"

/* ---- reading the model ---- */

static xtml_fb_table_t graph_table(const xtml_fb_table_t *root, int32_t index) {
    xtml_fb_vec_t sgs = xtml_fb_vec(root, XTML_MODEL_SUBGRAPHS);
    return xtml_fb_vec_table(root, sgs, (uint32_t)index);
}

static xtml_fb_table_t graph_op(const xtml_fb_table_t *sg, uint32_t i) {
    xtml_fb_vec_t ops = xtml_fb_vec(sg, XTML_SUBGRAPH_OPERATORS);
    return xtml_fb_vec_table(sg, ops, i);
}

static uint32_t graph_op_count(const xtml_fb_table_t *sg) {
    return xtml_fb_vec(sg, XTML_SUBGRAPH_OPERATORS).len;
}

int xtml_op_callees(const xtml_fb_table_t *root, const xtml_fb_table_t *op, int32_t *callees) {
    xtml_fb_table_t o;
    int type, n;
    switch (xtml_fb_op_builtin(root, op)) {
    case XTML_OP_CALL_ONCE: type = XTML_OPTS_CALL_ONCE; n = 1; break;
    case XTML_OP_IF: type = XTML_OPTS_IF; n = 2; break;
    case XTML_OP_WHILE: type = XTML_OPTS_WHILE; n = 2; break;
    default: return 0;
    }
    o = xtml_fb_table(op, XTML_OP_OPTIONS);
    /* Options of another type: the operator's prepare refuses them (BAD_OPTIONS). */
    if (o.pos != 0 && xtml_fb_u8(op, XTML_OP_OPTIONS_TYPE, 0) != type) {
        return 0;
    }
    /* Absent options read as index 0, as TFLM's parser leaves them. */
    callees[0] = xtml_fb_i32(&o, 0, 0);
    if (n == 2) {
        callees[1] = xtml_fb_i32(&o, 1, 0);
    }
    return n;
}

bool xtml_model_has_ext(const xtml_fb_table_t *root) {
    xtml_fb_vec_t codes = xtml_fb_vec(root, XTML_MODEL_OPCODES);
    uint32_t i;
    if (xtml_fb_vec(root, XTML_MODEL_SUBGRAPHS).len > 1) {
        return true;
    }
    for (i = 0; i < codes.len; i++) {
        xtml_fb_table_t c = xtml_fb_vec_table(root, codes, i);
        if (xtml_fb_i32(&c, XTML_OPCODE_BUILTIN, 0) == XTML_OP_VAR_HANDLE ||
            xtml_custom_has_state(xtml_fb_str(&c, XTML_OPCODE_CUSTOM))) {
            return true;
        }
    }
    return false;
}

/* ---- the call graph ---- */

/* Whether subgraph `from` has an operator calling subgraph `to`. */
static bool graph_calls(const xtml_fb_table_t *root, int32_t from, int32_t to) {
    xtml_fb_table_t sg = graph_table(root, from);
    uint32_t i, n = graph_op_count(&sg);
    for (i = 0; i < n; i++) {
        xtml_fb_table_t op = graph_op(&sg, i);
        int32_t callees[2];
        int k, c = xtml_op_callees(root, &op, callees);
        for (k = 0; k < c; k++) {
            if (callees[k] == to) {
                return true;
            }
        }
    }
    return false;
}

/*
 * Kahn's order over the call graph: repeatedly the lowest-numbered subgraph
 * that no remaining subgraph calls. What remains when none qualifies holds a
 * cycle; walking callers from any of it n times lands on one.
 */
xtml_status_t xtml_call_graph(const xtml_fb_table_t *root, int32_t *order, char *detail, size_t detail_cap) {
    uint32_t n = xtml_fb_vec(root, XTML_MODEL_SUBGRAPHS).len;
    uint8_t done[XTML_MAX_SUBGRAPHS];
    uint32_t s, i, placed;
    bool any = false;
    for (s = 0; s < n; s++) {
        xtml_fb_table_t sg = graph_table(root, (int32_t)s);
        uint32_t n_ops = graph_op_count(&sg);
        for (i = 0; i < n_ops; i++) {
            xtml_fb_table_t op = graph_op(&sg, i);
            int32_t callees[2];
            int k, c = xtml_op_callees(root, &op, callees);
            for (k = 0; k < c; k++) {
                if (callees[k] < 0 || (uint32_t)callees[k] >= n) {
                    return xtml_set_detail(detail, detail_cap, XTML_STATUS_MODEL_INDEX,
                                "subgraph %u operator %u (%s): subgraph index %" PRId32
                                " out of range (model has %u subgraphs)",
                                (unsigned)s, (unsigned)i, xtml_builtin_name(xtml_fb_op_builtin(root, &op)), callees[k],
                                (unsigned)n);
                }
                any = true;
            }
        }
    }
    if (!any) {
        for (s = 0; order != NULL && s < n; s++) {
            order[s] = (int32_t)s;
        }
        return XTML_STATUS_OK;
    }
    if (n > XTML_MAX_SUBGRAPHS) {
        return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_CONFIG,
                    "model calls subgraphs and has %u of them; this build runs at most %d (XTML_MAX_SUBGRAPHS)",
                    (unsigned)n, XTML_MAX_SUBGRAPHS);
    }
    memset(done, 0, sizeof done);
    for (placed = 0; placed < n; placed++) {
        uint32_t pick = n;
        for (s = 0; s < n && pick == n; s++) {
            bool called = false;
            if (done[s]) {
                continue;
            }
            for (i = 0; i < n && !called; i++) {
                called = !done[i] && graph_calls(root, (int32_t)i, (int32_t)s);
            }
            if (!called) {
                pick = s;
            }
        }
        if (pick == n) {
            uint32_t at = 0, step;
            while (done[at]) {
                at++;
            }
            for (step = 0; step < n; step++) {
                for (i = 0; i < n; i++) {
                    if (!done[i] && graph_calls(root, (int32_t)i, (int32_t)at)) {
                        at = i;
                        break;
                    }
                }
            }
            return xtml_set_detail(detail, detail_cap, XTML_STATUS_MODEL_RECURSION,
                        "subgraph %u calls itself through CALL_ONCE, IF or WHILE (directly or through other "
                        "subgraphs)", (unsigned)at);
        }
        done[pick] = 1;
        if (order != NULL) {
            order[placed] = (int32_t)pick;
        }
    }
    return XTML_STATUS_OK;
}

/* ---- resource variables ---- */

/* A VAR_HANDLE's names ("" when absent). */
static void handle_names(const xtml_fb_table_t *op, const char **container, const char **name) {
    xtml_fb_table_t o = xtml_fb_table(op, XTML_OP_OPTIONS);
    if (o.pos != 0 && xtml_fb_u8(op, XTML_OP_OPTIONS_TYPE, 0) != XTML_OPTS_VAR_HANDLE) {
        o.pos = 0;
    }
    *container = o.pos != 0 ? xtml_fb_str(&o, 0) : "";
    *name = o.pos != 0 ? xtml_fb_str(&o, 1) : "";
}

/*
 * Walks the VAR_HANDLE operators in model order (subgraph by subgraph, as
 * TFLM prepares them), numbering each distinct (container, shared_name) pair
 * at its first handle. Returns the number of the pair (container, name), or
 * with container NULL the count of pairs.
 */
static int32_t var_walk(const xtml_fb_table_t *root, const char *container, const char *name) {
    uint32_t n_sg = xtml_fb_vec(root, XTML_MODEL_SUBGRAPHS).len;
    uint32_t s, i, s2, i2;
    int32_t count = 0;
    for (s = 0; s < n_sg; s++) {
        xtml_fb_table_t sg = graph_table(root, (int32_t)s);
        uint32_t n_ops = graph_op_count(&sg);
        for (i = 0; i < n_ops; i++) {
            xtml_fb_table_t op = graph_op(&sg, i);
            const char *c, *nm;
            bool seen = false;
            if (xtml_fb_op_builtin(root, &op) != XTML_OP_VAR_HANDLE) {
                continue;
            }
            handle_names(&op, &c, &nm);
            /* An earlier handle of the same pair? */
            for (s2 = 0; s2 <= s && !seen; s2++) {
                xtml_fb_table_t sg2 = graph_table(root, (int32_t)s2);
                uint32_t end = s2 == s ? i : graph_op_count(&sg2);
                for (i2 = 0; i2 < end && !seen; i2++) {
                    xtml_fb_table_t op2 = graph_op(&sg2, i2);
                    const char *c2, *nm2;
                    if (xtml_fb_op_builtin(root, &op2) != XTML_OP_VAR_HANDLE) {
                        continue;
                    }
                    handle_names(&op2, &c2, &nm2);
                    seen = strcmp(c, c2) == 0 && strcmp(nm, nm2) == 0;
                }
            }
            if (seen) {
                continue;
            }
            if (container != NULL && strcmp(c, container) == 0 && strcmp(nm, name) == 0) {
                return count;
            }
            count++;
        }
    }
    return container != NULL ? -1 : count;
}

int32_t xtml_var_count(const xtml_fb_table_t *root) {
    return var_walk(root, NULL, NULL);
}

/* The variable behind resource tensor `tensor` of subgraph `sg_index`: the
 * VAR_HANDLE of that subgraph writing it. */
static xtml_status_t resource_var(const xtml_fb_table_t *root, int32_t sg_index, uint32_t user, int32_t tensor,
                                  int32_t *var, char *detail, size_t detail_cap) {
    xtml_fb_table_t sg = graph_table(root, sg_index);
    uint32_t i, k, n_ops = graph_op_count(&sg);
    for (i = 0; i < n_ops; i++) {
        xtml_fb_table_t op = graph_op(&sg, i);
        xtml_fb_vec_t outs = xtml_fb_vec(&op, XTML_OP_OUTPUTS);
        for (k = 0; k < outs.len; k++) {
            if (xtml_ld_i32(outs.data + 4 * k) == tensor) {
                const char *c, *nm;
                if (xtml_fb_op_builtin(root, &op) != XTML_OP_VAR_HANDLE) {
                    break;
                }
                handle_names(&op, &c, &nm);
                *var = var_walk(root, c, nm);
                return XTML_STATUS_OK;
            }
        }
    }
    return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_CONFIG,
                "subgraph %d operator %u: resource tensor %d is not written by a VAR_HANDLE of the same "
                "subgraph", (int)sg_index, (unsigned)user, (int)tensor);
}

xtml_status_t xtml_var_layout(const xtml_fb_table_t *root, int32_t v, uint32_t *bytes, uint32_t *fill,
                              char *detail, size_t detail_cap) {
    uint32_t n_sg = xtml_fb_vec(root, XTML_MODEL_SUBGRAPHS).len;
    uint32_t s, i, k;
    bool sized = false, assigned = false, read = false;
    *bytes = 0;
    *fill = 0;
    for (s = 0; s < n_sg; s++) {
        xtml_fb_table_t sg = graph_table(root, (int32_t)s);
        xtml_fb_vec_t tensors = xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS);
        uint32_t n_ops = graph_op_count(&sg);
        for (i = 0; i < n_ops; i++) {
            xtml_fb_table_t op = graph_op(&sg, i);
            int32_t builtin = xtml_fb_op_builtin(root, &op);
            xtml_fb_vec_t ins = xtml_fb_vec(&op, XTML_OP_INPUTS);
            xtml_fb_vec_t outs = xtml_fb_vec(&op, XTML_OP_OUTPUTS);
            xtml_fb_table_t tt, q;
            xtml_fb_vec_t shape;
            xtml_dtype_t type;
            int32_t var, value;
            uint64_t n = 1;
            xtml_status_t st;
            bool assign = builtin == XTML_OP_ASSIGN_VARIABLE;
            if (!assign && builtin != XTML_OP_READ_VARIABLE) {
                continue;
            }
            if (ins.len != (assign ? 2u : 1u) || outs.len != (assign ? 0u : 1u) || xtml_ld_i32(ins.data) < 0) {
                return xtml_set_detail(detail, detail_cap, XTML_STATUS_MODEL_OPERATOR,
                            "subgraph %u operator %u (%s) has %u inputs and %u outputs, expected %u and %u",
                            (unsigned)s, (unsigned)i, xtml_builtin_name(builtin), (unsigned)ins.len,
                            (unsigned)outs.len, assign ? 2u : 1u, assign ? 0u : 1u);
            }
            st = resource_var(root, (int32_t)s, i, xtml_ld_i32(ins.data), &var, detail, detail_cap);
            if (st != XTML_STATUS_OK) {
                return st;
            }
            if (var != v) {
                continue;
            }
            value = assign ? xtml_ld_i32(ins.data + 4) : xtml_ld_i32(outs.data);
            if (value < 0) {
                return xtml_set_detail(detail, detail_cap, XTML_STATUS_MODEL_OPERATOR,
                            "subgraph %u operator %u (%s): the value is absent (-1)", (unsigned)s, (unsigned)i,
                            xtml_builtin_name(builtin));
            }
            tt = xtml_fb_vec_table(&sg, tensors, (uint32_t)value);
            shape = xtml_fb_vec(&tt, XTML_TENSOR_SHAPE);
            type = (xtml_dtype_t)xtml_fb_u8(&tt, XTML_TENSOR_TYPE, 0);
            for (k = 0; k < shape.len; k++) {
                n *= (uint64_t)xtml_ld_i32(shape.data + 4 * k);
            }
            if (xtml_dtype_size(type) == 0) {
                return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_TYPE,
                            "subgraph %u operator %u (%s): a variable of %s is not supported", (unsigned)s,
                            (unsigned)i, xtml_builtin_name(builtin), xtml_dtype_name(type));
            }
            n *= xtml_dtype_size(type);
            if (sized && n != *bytes) {
                return xtml_set_detail(detail, detail_cap, XTML_STATUS_SHAPE_MISMATCH,
                            "subgraph %u operator %u (%s): variable %d is %lu bytes here and %lu bytes in an "
                            "earlier use", (unsigned)s, (unsigned)i, xtml_builtin_name(builtin), (int)v,
                            (unsigned long)n, (unsigned long)*bytes);
            }
            *bytes = (uint32_t)n;
            sized = true;
            read = read || !assign;
            if (assign && !assigned) {
                /* TFLM fills a variable with its first assigned value's zero
                 * point, as an int8 byte, at prepare and at every reset. */
                q = xtml_fb_table(&tt, XTML_TENSOR_QUANT);
                if (q.pos != 0 && xtml_fb_vec(&q, XTML_QUANT_SCALE).len > 0 &&
                    xtml_fb_vec(&q, XTML_QUANT_ZERO_POINT).len > 0) {
                    *fill = (uint8_t)(int8_t)xtml_ld_i64(xtml_fb_vec(&q, XTML_QUANT_ZERO_POINT).data);
                }
                assigned = true;
            }
        }
    }
    if (read && !assigned) {
        return xtml_set_detail(detail, detail_cap, XTML_STATUS_UNSUPPORTED_CONFIG,
                    "variable %d is read but no ASSIGN_VARIABLE writes it (TFLM gives it no memory)", (int)v);
    }
    return XTML_STATUS_OK;
}

/* ---- running a subgraph ---- */

xtml_status_t xtml_run_graph(xtml_ctx_t *ctx, const xtml_graph_t *g) {
    void **caller = ctx->data;
    xtml_status_t status = XTML_STATUS_OK;
    int32_t i;
    ctx->data = g->data;
    for (i = 0; i < g->n_nodes && status == XTML_STATUS_OK; i++) {
        const xtml_node_t *node = &g->nodes[i];
        status = node->kernel->eval(ctx, node);
#ifndef XTML_NO_DETAIL
        if (status != XTML_STATUS_OK && ctx->detail[0] == '\0') {
            xtml_fmt(ctx->detail, sizeof ctx->detail, "subgraph %d operator %d (%s) failed", (int)g->index, (int)i,
                     node->kernel->name);
        }
#endif
    }
    ctx->data = caller;
    return status;
}

static void *graph_in(const xtml_graph_t *g, uint32_t i) {
    return g->data[xtml_ld_i32(g->inputs + 4 * i)];
}

static void *graph_out(const xtml_graph_t *g, uint32_t i) {
    return g->data[xtml_ld_i32(g->outputs + 4 * i)];
}

/* ---- checks shared by the calling operators ---- */

/* The callee's input or output i against the operator's tensor t: same type, same bytes. */
static xtml_status_t expect_same_io(xtml_prep_t *p, const xtml_tinfo_t *t, const char *role, int32_t graph,
                                    bool outputs, int i) {
    xtml_tinfo_t g;
    xtml_prep_graph_tensor(p, graph, outputs, i, &g);
    if (t->index < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "%s %d is absent (-1)", role, i);
    }
    if (g.type != t->type) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "%s '%s' is %s but subgraph %d %s %d '%s' is %s", role, t->name,
                              xtml_dtype_name(t->type), (int)graph, outputs ? "output" : "input", i, g.name,
                              xtml_dtype_name(g.type));
    }
    if (g.bytes != t->bytes) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH,
                              "%s '%s' is %zu bytes but subgraph %d %s %d '%s' is %zu", role, t->name, t->bytes,
                              (int)graph, outputs ? "output" : "input", i, g.name, g.bytes);
    }
    return XTML_STATUS_OK;
}

static int graph_io_count(const xtml_prep_t *p, int32_t graph, bool outputs) {
    xtml_fb_table_t sg = graph_table(xtml_prep_root(p), graph);
    return (int)xtml_fb_vec(&sg, outputs ? XTML_SUBGRAPH_OUTPUTS : XTML_SUBGRAPH_INPUTS).len;
}

static xtml_status_t expect_counts(xtml_prep_t *p, int32_t graph, int n_in, int n_out) {
    int g_in = graph_io_count(p, graph, false);
    int g_out = graph_io_count(p, graph, true);
    if (g_in != n_in || g_out != n_out) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "subgraph %d has %d inputs and %d outputs; the operator passes %d and takes %d",
                              (int)graph, g_in, g_out, n_in, n_out);
    }
    return XTML_STATUS_OK;
}

static const xtml_graph_t *graph_at(const xtml_prep_t *p, int32_t graph) {
    xtml_ext_t *ext = xtml_prep_ext(p);
    return ext != NULL ? &ext->graphs[graph] : NULL;
}

/* ---- CALL_ONCE ---- */

typedef struct call_once_params {
    const xtml_graph_t *init;
    const xtml_ext_t *ext;
    uint32_t ran;            /* the epoch it last ran in; 0 never */
} call_once_params_t;

static xtml_status_t call_once_prepare(xtml_prep_t *p) {
    xtml_fb_table_t o;
    call_once_params_t *n;
    int32_t init;
    xtml_status_t st = xtml_prep_options(p, XTML_OPTS_CALL_ONCE, &o);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (xtml_prep_n_inputs(p) != 0 || xtml_prep_n_outputs(p) != 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected none",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p));
    }
    init = xtml_fb_i32(&o, 0, 0);
    if ((st = expect_counts(p, init, 0, 0)) != XTML_STATUS_OK) {
        return st;
    }
    n = (call_once_params_t *)XTML_PREP_PERSIST(p, call_once_params_t, 0);
    if (n == NULL) {
        return XTML_STATUS_OK;
    }
    n->init = graph_at(p, init);
    n->ext = xtml_prep_ext(p);
    return XTML_STATUS_OK;
}

static xtml_status_t call_once_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    call_once_params_t *n = (call_once_params_t *)node->params;
    xtml_status_t st;
    if (n->ran == n->ext->epoch) {
        return XTML_STATUS_OK;
    }
    st = xtml_run_graph(ctx, n->init);
    if (st == XTML_STATUS_OK) {
        n->ran = n->ext->epoch;
    }
    return st;
}

const xtml_kernel_t xtml_kernel_call_once = { "CALL_ONCE", call_once_prepare, call_once_eval };

/* ---- IF ---- */

typedef struct if_params {
    const xtml_graph_t *branch[2];   /* else, then */
    uint32_t n_in;                   /* inputs passed (the operator's inputs but the condition) */
    uint32_t n_out;
    /* bytes[n_in + n_out] follow */
} if_params_t;

static xtml_status_t if_prepare(xtml_prep_t *p) {
    xtml_fb_table_t o;
    xtml_tinfo_t t;
    if_params_t *n;
    uint32_t *bytes;
    int32_t branch[2];
    int n_in = xtml_prep_n_inputs(p) - 1, n_out = xtml_prep_n_outputs(p);
    int b, i;
    xtml_status_t st = xtml_prep_options(p, XTML_OPTS_IF, &o);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (n_in < 0) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has no inputs; input 0 is the condition");
    }
    xtml_prep_input(p, 0, &t);
    if ((st = xtml_prep_expect_type(p, &t, "condition", XTML_DTYPE_BOOL)) != XTML_STATUS_OK) {
        return st;
    }
    if (t.count != 1) {
        return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "condition '%s' has %d elements, expected 1", t.name,
                              (int)t.count);
    }
    branch[0] = xtml_fb_i32(&o, 1, 0);   /* else_subgraph_index */
    branch[1] = xtml_fb_i32(&o, 0, 0);   /* then_subgraph_index */
    for (b = 1; b >= 0; b--) {
        if ((st = expect_counts(p, branch[b], n_in, n_out)) != XTML_STATUS_OK) {
            return st;
        }
        for (i = 0; i < n_in; i++) {
            xtml_prep_input(p, i + 1, &t);
            if ((st = expect_same_io(p, &t, "input", branch[b], false, i)) != XTML_STATUS_OK) {
                return st;
            }
        }
        for (i = 0; i < n_out; i++) {
            xtml_prep_output(p, i, &t);
            if ((st = expect_same_io(p, &t, "output", branch[b], true, i)) != XTML_STATUS_OK) {
                return st;
            }
        }
    }
    n = (if_params_t *)XTML_PREP_PERSIST(p, if_params_t, 4 * (size_t)(n_in + n_out));
    if (n == NULL) {
        return XTML_STATUS_OK;
    }
    n->branch[0] = graph_at(p, branch[0]);
    n->branch[1] = graph_at(p, branch[1]);
    n->n_in = (uint32_t)n_in;
    n->n_out = (uint32_t)n_out;
    bytes = (uint32_t *)(void *)(n + 1);
    for (i = 0; i < n_in; i++) {
        xtml_prep_input(p, i + 1, &t);
        bytes[i] = (uint32_t)t.bytes;
    }
    for (i = 0; i < n_out; i++) {
        xtml_prep_output(p, i, &t);
        bytes[n_in + i] = (uint32_t)t.bytes;
    }
    return XTML_STATUS_OK;
}

static xtml_status_t if_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const if_params_t *n = (const if_params_t *)node->params;
    const uint32_t *bytes = (const uint32_t *)(const void *)(n + 1);
    /* TFLM reads the condition as a C++ bool: any byte but 0 is true here. */
    const xtml_graph_t *g = n->branch[*(const uint8_t *)xtml_node_in(ctx, node, 0) != 0 ? 1 : 0];
    xtml_status_t st;
    uint32_t i;
    for (i = 0; i < n->n_in; i++) {
        memcpy(graph_in(g, i), xtml_node_in(ctx, node, (int)i + 1), bytes[i]);
    }
    st = xtml_run_graph(ctx, g);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    for (i = 0; i < n->n_out; i++) {
        memcpy(xtml_node_out(ctx, node, (int)i), graph_out(g, i), bytes[n->n_in + i]);
    }
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_if = { "IF", if_prepare, if_eval };

/* ---- WHILE ---- */

typedef struct while_params {
    const xtml_graph_t *cond;
    const xtml_graph_t *body;
    uint32_t n;                      /* loop-carried tensors */
    uint32_t reserved;
    /* bytes[n] follow */
} while_params_t;

static xtml_status_t while_prepare(xtml_prep_t *p) {
    xtml_fb_table_t o;
    xtml_tinfo_t t, c;
    while_params_t *n;
    uint32_t *bytes;
    int32_t cond, body;
    int count = xtml_prep_n_inputs(p), i;
    xtml_status_t st = xtml_prep_options(p, XTML_OPTS_WHILE, &o);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    cond = xtml_fb_i32(&o, 0, 0);
    body = xtml_fb_i32(&o, 1, 0);
    if (xtml_prep_n_outputs(p) != count) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs; they must pair up",
                              count, xtml_prep_n_outputs(p));
    }
    if (graph_io_count(p, cond, false) != count || graph_io_count(p, cond, true) < 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR,
                              "condition subgraph %d has %d inputs and %d outputs; expected %d and a bool", (int)cond,
                              graph_io_count(p, cond, false), graph_io_count(p, cond, true), count);
    }
    xtml_prep_graph_tensor(p, cond, true, 0, &c);
    if (c.type != XTML_DTYPE_BOOL || c.count < 1) {
        return xtml_prep_fail(p, XTML_STATUS_UNSUPPORTED_TYPE,
                              "condition subgraph %d output 0 '%s' is %s of %d elements, expected bool", (int)cond,
                              c.name, xtml_dtype_name(c.type), (int)c.count);
    }
    if ((st = expect_counts(p, body, count, count)) != XTML_STATUS_OK) {
        return st;
    }
    for (i = 0; i < count; i++) {
        xtml_tinfo_t out;
        xtml_prep_input(p, i, &t);
        xtml_prep_output(p, i, &out);
        if ((st = expect_same_io(p, &t, "input", cond, false, i)) != XTML_STATUS_OK ||
            (st = expect_same_io(p, &t, "input", body, false, i)) != XTML_STATUS_OK ||
            (st = expect_same_io(p, &out, "output", body, true, i)) != XTML_STATUS_OK) {
            return st;
        }
        if (out.type != t.type || out.bytes != t.bytes) {
            return xtml_prep_fail(p, XTML_STATUS_SHAPE_MISMATCH, "input %d '%s' and output %d '%s' differ", i,
                                  t.name, i, out.name);
        }
    }
    n = (while_params_t *)XTML_PREP_PERSIST(p, while_params_t, 4 * (size_t)count);
    if (n == NULL) {
        return XTML_STATUS_OK;
    }
    n->cond = graph_at(p, cond);
    n->body = graph_at(p, body);
    n->n = (uint32_t)count;
    bytes = (uint32_t *)(void *)(n + 1);
    for (i = 0; i < count; i++) {
        xtml_prep_input(p, i, &t);
        bytes[i] = (uint32_t)t.bytes;
    }
    return XTML_STATUS_OK;
}

/*
 * TFLM's loop: the inputs go to the outputs and to the condition; while the
 * condition's first output is true, the outputs go to the body, the body's
 * outputs back to the outputs and on to the condition. Like TFLM, no bound:
 * a model whose condition never turns false never returns from the invoke.
 */
static xtml_status_t while_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const while_params_t *n = (const while_params_t *)node->params;
    const uint32_t *bytes = (const uint32_t *)(const void *)(n + 1);
    xtml_status_t st;
    uint32_t i;
    for (i = 0; i < n->n; i++) {
        const void *in = xtml_node_in(ctx, node, (int)i);
        memcpy(graph_in(n->cond, i), in, bytes[i]);
        memcpy(xtml_node_out(ctx, node, (int)i), in, bytes[i]);
    }
    st = xtml_run_graph(ctx, n->cond);
    while (st == XTML_STATUS_OK && *(const uint8_t *)graph_out(n->cond, 0) != 0) {
        for (i = 0; i < n->n; i++) {
            memcpy(graph_in(n->body, i), xtml_node_out(ctx, node, (int)i), bytes[i]);
        }
        st = xtml_run_graph(ctx, n->body);
        if (st != XTML_STATUS_OK) {
            break;
        }
        /* All outputs first: the condition's inputs may share memory with
         * the body's outputs (the two never run at the same time). */
        for (i = 0; i < n->n; i++) {
            memcpy(xtml_node_out(ctx, node, (int)i), graph_out(n->body, i), bytes[i]);
        }
        for (i = 0; i < n->n; i++) {
            memcpy(graph_in(n->cond, i), xtml_node_out(ctx, node, (int)i), bytes[i]);
        }
        st = xtml_run_graph(ctx, n->cond);
    }
    return st;
}

const xtml_kernel_t xtml_kernel_while = { "WHILE", while_prepare, while_eval };

/* ---- VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE ---- */

static const xtml_var_support_t var_support = { xtml_var_count, xtml_var_layout };

static xtml_status_t var_handle_prepare(xtml_prep_t *p) {
    xtml_fb_table_t o;
    xtml_tinfo_t t;
    xtml_status_t st;
    if (xtml_prep_offer_vars(p, &var_support)) {
        return XTML_STATUS_OK;
    }
    st = xtml_prep_options(p, XTML_OPTS_VAR_HANDLE, &o);
    if (st != XTML_STATUS_OK) {
        return st;
    }
    if (xtml_prep_n_outputs(p) != 1) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d outputs, expected 1", xtml_prep_n_outputs(p));
    }
    xtml_prep_output(p, 0, &t);
    return xtml_prep_expect_type(p, &t, "output", XTML_DTYPE_RESOURCE);
}

/* The handle's tensor carries nothing at run time: its users were resolved at prepare. */
static xtml_status_t var_handle_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    (void)ctx;
    (void)node;
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_var_handle = { "VAR_HANDLE", var_handle_prepare, var_handle_eval };

typedef struct var_params {
    uint8_t *data;
    uint32_t bytes;
} var_params_t;

/* READ_VARIABLE and ASSIGN_VARIABLE: the variable of input 0, its memory in params. */
static xtml_status_t var_use_prepare(xtml_prep_t *p, bool assign) {
    xtml_tinfo_t r, value;
    var_params_t *n;
    int32_t var;
    xtml_status_t st;
    xtml_ext_t *ext;
    if (xtml_prep_n_inputs(p) != (assign ? 2 : 1) || xtml_prep_n_outputs(p) != (assign ? 0 : 1)) {
        return xtml_prep_fail(p, XTML_STATUS_MODEL_OPERATOR, "has %d inputs and %d outputs, expected %d and %d",
                              xtml_prep_n_inputs(p), xtml_prep_n_outputs(p), assign ? 2 : 1, assign ? 0 : 1);
    }
    xtml_prep_input(p, 0, &r);
    if ((st = xtml_prep_expect_type(p, &r, "resource", XTML_DTYPE_RESOURCE)) != XTML_STATUS_OK) {
        return st;
    }
    if (assign) {
        xtml_prep_input(p, 1, &value);
    } else {
        xtml_prep_output(p, 0, &value);
    }
    /* Sizes, types and the handle were checked model-wide (xtml_var_layout). */
    st = resource_var(xtml_prep_root(p), xtml_prep_graph_index(p), 0, r.index, &var, NULL, 0);
    if (st != XTML_STATUS_OK) {
        return xtml_prep_fail(p, st, "resource '%s' is not written by a VAR_HANDLE of this subgraph", r.name);
    }
    n = (var_params_t *)XTML_PREP_PERSIST(p, var_params_t, 0);
    ext = xtml_prep_ext(p);
    if (n == NULL || ext == NULL) {
        return XTML_STATUS_OK;
    }
    n->data = ext->vars[var].data;
    n->bytes = (uint32_t)value.bytes;
    return XTML_STATUS_OK;
}

static xtml_status_t read_variable_prepare(xtml_prep_t *p) {
    return var_use_prepare(p, false);
}

static xtml_status_t read_variable_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const var_params_t *n = (const var_params_t *)node->params;
    memcpy(xtml_node_out(ctx, node, 0), n->data, n->bytes);
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_read_variable = { "READ_VARIABLE", read_variable_prepare, read_variable_eval };

static xtml_status_t assign_variable_prepare(xtml_prep_t *p) {
    return var_use_prepare(p, true);
}

static xtml_status_t assign_variable_eval(xtml_ctx_t *ctx, const xtml_node_t *node) {
    const var_params_t *n = (const var_params_t *)node->params;
    memmove(n->data, xtml_node_in(ctx, node, 1), n->bytes);
    return XTML_STATUS_OK;
}

const xtml_kernel_t xtml_kernel_assign_variable = { "ASSIGN_VARIABLE", assign_variable_prepare,
                                                    assign_variable_eval };
