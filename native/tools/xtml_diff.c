/*
 * xtml_diff.c - differential checks of the core on generated models.
 *
 *   1. Optimized against reference kernels: the core is linked twice, the
 *      second copy compiled with -DXTML_REFERENCE_KERNELS and its symbols
 *      renamed ref_xtml_* (objcopy). Both must give the same status at every
 *      step and the same output bytes; float32 NaNs compare equal whatever
 *      their payload (reordering commutative operands may change it).
 *   2. A whole graph against its operators run one at a time, each as a
 *      single-operator model fed the values the previous ones produced: the
 *      same output bytes. A planner that overlaps live buffers, or an in-place
 *      kernel that reads what it already wrote, shows up here; ASan cannot
 *      see inside the arena.
 *   3. A second invoke of the same context gives the same outputs (after
 *      xtml_reset_state(): a model with variable tensors keeps state).
 *   4. A model with variable tensors (SVDF's state) first runs
 *      XTML_DIFF_STATE_STEPS more invokes on both cores without a reset, on
 *      new inputs, and they must agree at every step.
 *
 * Built as a libFuzzer target without sanitizers (with XTML_DIFF_FUZZER; the
 * structure-aware mutator is linked beside it) and as a standalone program
 * that also runs on rv32imc under qemu:
 *
 *   xtml_diff [-n COUNT] [-t SECONDS] [-s SEED] [-o FILE] [-p|--op-stats] [-v] [-x ref|split] [model.tflite ...]
 *
 * which checks COUNT generated models (or as many as SECONDS allow, or the
 * given files) and prints a summary with a digest of every status and every
 * non-float output byte, equal on every platform (the same recipe gives the
 * same model everywhere). -o saves the model of the first mismatch (or, in a
 * sanitized build, of a sanitizer report) to FILE. Generated models must also
 * read back into the generator's structures and write out to the same bytes.
 * -x damages one output byte of the reference run (ref) or of the one-by-one
 * run (split) of the first model that has outputs, to show the checks see it.
 * -p (or --op-stats) prints, per operator, how many models held it and how
 * many of those prepared and invoked, then the fewest invoked of any. No heap: models, arenas and values live in static
 * buffers. Built with sanitizers (make diff-asan) it is also the fastest way
 * to run many fresh models under ASan + UBSan.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xtml.h"
#include "xtml_gen.h"

#ifndef XTML_DIFF_ARENA
#define XTML_DIFF_ARENA (4u << 20)   /* per core; models needing more are skipped */
#endif
#ifndef XTML_DIFF_MODEL
#define XTML_DIFF_MODEL (512u << 10)
#endif
#ifndef XTML_DIFF_VALUES
#define XTML_DIFF_VALUES (4u << 20)  /* tensor values kept for the one-by-one run */
#endif

/* The reference copy of the core (symbols renamed by objcopy). */
xtml_status_t ref_xtml_arena_size(const uint8_t *model, size_t model_bytes, size_t *arena_bytes, xtml_diag_t *diag);
xtml_status_t ref_xtml_init(const uint8_t *model, size_t model_bytes, void *arena, size_t arena_bytes,
                            xtml_ctx_t **ctx, xtml_diag_t *diag);
int32_t ref_xtml_input_count(const xtml_ctx_t *ctx);
int32_t ref_xtml_output_count(const xtml_ctx_t *ctx);
xtml_status_t ref_xtml_input_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info);
xtml_status_t ref_xtml_output_info(const xtml_ctx_t *ctx, int32_t index, xtml_tensor_info_t *info);
void *ref_xtml_input_data(xtml_ctx_t *ctx, int32_t index);
const void *ref_xtml_output_data(const xtml_ctx_t *ctx, int32_t index);
xtml_status_t ref_xtml_invoke(xtml_ctx_t *ctx);
const char *ref_xtml_ctx_detail(const xtml_ctx_t *ctx);

typedef struct core {
    const char *name;
    xtml_status_t (*arena_size)(const uint8_t *, size_t, size_t *, xtml_diag_t *);
    xtml_status_t (*init)(const uint8_t *, size_t, void *, size_t, xtml_ctx_t **, xtml_diag_t *);
    int32_t (*input_count)(const xtml_ctx_t *);
    int32_t (*output_count)(const xtml_ctx_t *);
    xtml_status_t (*input_info)(const xtml_ctx_t *, int32_t, xtml_tensor_info_t *);
    xtml_status_t (*output_info)(const xtml_ctx_t *, int32_t, xtml_tensor_info_t *);
    void *(*input_data)(xtml_ctx_t *, int32_t);
    const void *(*output_data)(const xtml_ctx_t *, int32_t);
    xtml_status_t (*invoke)(xtml_ctx_t *);
    const char *(*detail)(const xtml_ctx_t *);
} core_t;

static const core_t optimized = {
    "optimized", xtml_arena_size, xtml_init, xtml_input_count, xtml_output_count, xtml_input_info,
    xtml_output_info, xtml_input_data, xtml_output_data, xtml_invoke, xtml_ctx_detail,
};
static const core_t reference = {
    "reference", ref_xtml_arena_size, ref_xtml_init, ref_xtml_input_count, ref_xtml_output_count,
    ref_xtml_input_info, ref_xtml_output_info, ref_xtml_input_data, ref_xtml_output_data, ref_xtml_invoke,
    ref_xtml_ctx_detail,
};

/* Static memory. Models and arenas are used 16-byte aligned, like a model in
 * flash and the arenas the API asks for (C99 cannot ask the linker for it). */
static uint8_t model_raw[XTML_DIFF_MODEL + 16];
static uint8_t sub_raw[XTML_DIFF_MODEL + 16];
static uint8_t arena_opt_raw[XTML_DIFF_ARENA + 16];
static uint8_t arena_ref_raw[XTML_DIFF_ARENA + 16];

static uint8_t *align16(uint8_t *p) {
    return p + ((16u - ((uintptr_t)p & 15u)) & 15u);
}
#define model_mem align16(model_raw)
#define sub_mem align16(sub_raw)
#define arena_opt align16(arena_opt_raw)
#define arena_ref align16(arena_ref_raw)
static uint8_t outputs_first[XTML_DIFF_VALUES];
static uint8_t values[XTML_DIFF_VALUES];
static xtml_gen_model_t whole, single;

typedef struct diff_stats {
    uint64_t models, verified, prepared, invoked, compared, split_checked, skipped_arena, mismatches;
    uint64_t digest;
    uint64_t state_steps;   /* invokes after the first of models with state, compared */
} diff_stats_t;

static diff_stats_t stats = { 0, 0, 0, 0, 0, 0, 0, 0, 1469598103934665603ull, 0 };

#ifndef XTML_DIFF_STATE_STEPS
#define XTML_DIFF_STATE_STEPS 2u   /* invokes after the first, for models with state */
#endif
static int verbose;
/* -x: 1 damages the reference outputs, 2 the one-by-one values, once. */
static int inject;

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

static uint32_t xorshift(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* The same deterministic inputs as tools/xtml_fuzz.c, into one core's context. */
static void fill_inputs(const core_t *c, xtml_ctx_t *ctx, const uint8_t *model, size_t model_bytes, uint32_t seed) {
    static const uint32_t special[] = { 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x00000001u,
                                        0x7f7fffffu, 0xff7fffffu, 0x80000000u, 0x4b000000u };
    uint32_t rng = seed != 0 ? seed : 1;
    int32_t i, dims[4];
    for (i = 0; i < c->input_count(ctx); i++) {
        xtml_tensor_info_t info;
        uint8_t *in = (uint8_t *)c->input_data(ctx, i);
        size_t k;
        if (c->input_info(ctx, i, &info) != XTML_STATUS_OK || in == NULL) {
            continue;
        }
        if (info.dtype == XTML_DTYPE_FLOAT32) {
            for (k = 0; k + 4 <= info.bytes; k += 4) {
                float f = (float)(int32_t)xorshift(&rng) / 2147483648.0f;
                if ((seed & 3u) == 0 && (xorshift(&rng) & 7u) == 0) {
                    uint32_t bits = special[xorshift(&rng) & 7u];
                    memcpy(&f, &bits, sizeof f);
                }
                memcpy(in + k, &f, sizeof f);
            }
        } else {
            for (k = 0; k < info.bytes; k++) {
                in[k] = (uint8_t)(xorshift(&rng) >> 24);
            }
        }
        if (info.dtype == XTML_DTYPE_INT32 && info.bytes == sizeof dims && ((seed >> 8) & 3u) != 0 &&
            xtml_gen_shape_input(model, model_bytes, i, dims)) {
            memcpy(in, dims, sizeof dims);
        }
    }
}

static int is_nan_bits(const uint8_t *p) {
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu) != 0;
}

/* Equal bytes; float32 NaNs equal each other. Returns the first differing byte or -1. */
static long compare(xtml_dtype_t type, const uint8_t *a, const uint8_t *b, size_t n) {
    size_t k;
    if (type == XTML_DTYPE_FLOAT32) {
        for (k = 0; k + 4 <= n; k += 4) {
            if (memcmp(a + k, b + k, 4) != 0 && !(is_nan_bits(a + k) && is_nan_bits(b + k))) {
                return (long)k;
            }
        }
        return -1;
    }
    for (k = 0; k < n; k++) {
        if (a[k] != b[k]) {
            return (long)k;
        }
    }
    return -1;
}

static const uint8_t *failing_model;
static size_t failing_bytes;
#ifndef XTML_DIFF_FUZZER
static const char *save_path;
static int saved;

/* Keep the model being checked, once. */
static void save_failing(void) {
    FILE *f;
    if (save_path == NULL || saved || failing_model == NULL) {
        return;
    }
    saved = 1;
    f = fopen(save_path, "wb");
    if (f != NULL) {
        fwrite(failing_model, 1, failing_bytes, f);
        fclose(f);
        fprintf(stderr, "xtml_diff: model saved to %s\n", save_path);
    }
}
#endif

/* Report a mismatch: print what differs and, in the fuzzer, stop with the input kept. */
static void mismatch(const char *fmt, ...) {
    va_list ap;
    stats.mismatches++;
    fprintf(stderr, "xtml_diff: MISMATCH: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (model of %lu bytes)\n", (unsigned long)failing_bytes);
#ifdef XTML_DIFF_FUZZER
    abort();
#else
    save_failing();
    if (verbose && failing_model != NULL) {
        size_t i;
        fprintf(stderr, "xtml_diff: model bytes:");
        for (i = 0; i < failing_bytes; i++) {
            fprintf(stderr, "%s%02x", i % 32 == 0 ? "\n" : "", failing_model[i]);
        }
        fprintf(stderr, "\n");
    }
#endif
}

/* Prepare on one core into its arena; OK, a load error, or ARENA_TOO_SMALL for models over the cap. */
static xtml_status_t prepare(const core_t *c, const uint8_t *model, size_t bytes, uint8_t *arena,
                             xtml_ctx_t **ctx, char *detail) {
    xtml_diag_t diag;
    size_t need = 0;
    xtml_status_t st = c->arena_size(model, bytes, &need, &diag);
    *ctx = NULL;
    if (st != XTML_STATUS_OK) {
        strcpy(detail, diag.detail);
        return st;
    }
    if (need > XTML_DIFF_ARENA) {
        strcpy(detail, "over the harness's arena");
        return XTML_STATUS_ARENA_TOO_SMALL;
    }
    st = c->init(model, bytes, arena, need, ctx, &diag);
    if (st != XTML_STATUS_OK) {
        /* arena_size succeeded, so init with that many bytes must too. */
        sprintf(detail, "init after arena_size: %s", diag.detail);
        mismatch("%s core: %s", c->name, detail);
        return st;
    }
    return XTML_STATUS_OK;
}

/* Total bytes of a context's outputs, or 0 when they do not fit `cap`. */
static size_t copy_outputs(const core_t *c, const xtml_ctx_t *ctx, uint8_t *out, size_t cap) {
    size_t at = 0;
    int32_t i;
    for (i = 0; i < c->output_count(ctx); i++) {
        xtml_tensor_info_t info;
        if (c->output_info(ctx, i, &info) != XTML_STATUS_OK || info.bytes > cap - at) {
            return 0;
        }
        memcpy(out + at, c->output_data(ctx, i), info.bytes);
        at += info.bytes;
    }
    return at;
}

/* Outputs of two contexts (same model) compared tensor by tensor. */
static void compare_outputs(const core_t *ca, const xtml_ctx_t *a, const core_t *cb, const xtml_ctx_t *b,
                            const char *what) {
    int32_t i;
    for (i = 0; i < ca->output_count(a); i++) {
        xtml_tensor_info_t ia, ib;
        long at;
        ca->output_info(a, i, &ia);
        cb->output_info(b, i, &ib);
        at = compare(ia.dtype, (const uint8_t *)ca->output_data(a, i), (const uint8_t *)cb->output_data(b, i),
                     ia.bytes < ib.bytes ? ia.bytes : ib.bytes);
        if (ia.bytes != ib.bytes || at >= 0) {
            mismatch("%s: output %ld differs at byte %ld", what, (long)i, at);
            return;
        }
    }
}

/* Per tensor: where its value is kept for the one-by-one run. */
static uint32_t value_at[XTML_GEN_MAX_TENSORS], value_len[XTML_GEN_MAX_TENSORS];
static uint8_t value_set[XTML_GEN_MAX_TENSORS];
static uint32_t values_used;

static int keep_value(int32_t t, const void *data, size_t bytes) {
    if (t < 0 || t >= XTML_GEN_MAX_TENSORS || bytes > XTML_DIFF_VALUES - values_used) {
        return 0;
    }
    memcpy(values + values_used, data, bytes);
    value_at[t] = values_used;
    value_len[t] = (uint32_t)bytes;
    value_set[t] = 1;
    values_used += (uint32_t)((bytes + 15u) & ~(size_t)15u);
    if (values_used > XTML_DIFF_VALUES) {
        values_used = XTML_DIFF_VALUES;
    }
    return 1;
}

/*
 * Check 2: run the operators of `whole` one at a time on the optimized core,
 * starting from the graph inputs recorded in the value table, and compare the
 * graph outputs with those of the whole-graph context `ctx`.
 */
static void split_check(xtml_ctx_t *ctx) {
    uint32_t k, i;
    for (k = 0; k < whole.n_ops; k++) {
        xtml_ctx_t *sub;
        char detail[XTML_DETAIL_MAX + 32];
        size_t bytes;
        xtml_status_t st;
        xtml_gen_single_op(&whole, k, &single);
        bytes = xtml_gen_write(&single, sub_mem, XTML_DIFF_MODEL);
        if (bytes == 0) {
            return;
        }
        for (i = 0; i < single.n_inputs; i++) {
            if (!value_set[single.inputs[i]]) {
                return;   /* read before written in this order: nothing to compare */
            }
        }
        /* The reference core's arena: its context is done with by now. */
        st = prepare(&optimized, sub_mem, bytes, arena_ref, &sub, detail);
        if (st == XTML_STATUS_ARENA_TOO_SMALL) {
            return;
        }
        if (st != XTML_STATUS_OK) {
            mismatch("operator %lu (%s) alone does not prepare: %s", (unsigned long)k,
                     xtml_builtin_name(whole.ops[k].builtin), detail);
            return;
        }
        for (i = 0; i < single.n_inputs; i++) {
            xtml_tensor_info_t info;
            int32_t t = single.inputs[i];
            xtml_input_info(sub, (int32_t)i, &info);
            if (info.bytes != value_len[t]) {
                return;
            }
            memcpy(xtml_input_data(sub, (int32_t)i), values + value_at[t], info.bytes);
        }
        if (xtml_invoke(sub) != XTML_STATUS_OK) {
            return;   /* a data-dependent refusal; the whole graph would have failed too */
        }
        for (i = 0; i < single.n_outputs; i++) {
            xtml_tensor_info_t info;
            xtml_output_info(sub, (int32_t)i, &info);
            if (!keep_value(single.outputs[i], xtml_output_data(sub, (int32_t)i), info.bytes)) {
                return;
            }
        }
    }
    stats.split_checked++;
    for (i = 0; inject == 2 && i < whole.n_outputs; i++) {
        int32_t t = whole.outputs[i];
        if (value_set[t] && value_len[t] > 0) {
            values[value_at[t]] ^= 0x5a;
            inject = 0;
        }
    }
    for (i = 0; i < whole.n_outputs; i++) {
        xtml_tensor_info_t info;
        int32_t t = whole.outputs[i];
        long at;
        if (!value_set[t]) {
            continue;   /* a constant */
        }
        xtml_output_info(ctx, (int32_t)i, &info);
        at = compare(info.dtype, (const uint8_t *)xtml_output_data(ctx, (int32_t)i), values + value_at[t],
                     info.bytes < value_len[t] ? info.bytes : value_len[t]);
        if (info.bytes != value_len[t] || at >= 0) {
            mismatch("whole graph vs one operator at a time: output %ld differs at byte %ld", (long)i, at);
            return;
        }
    }
}

/* All checks on one model. */
static void check_one(const uint8_t *data, size_t size);

/* check_one, and with -v -v a line per model: its size, a hash of its bytes, the digest after it. */
/* -p: per builtin operator, models that hold it, and of those how many prepared and invoked. */
static int per_op;
static unsigned long op_models[256], op_prepared[256], op_invoked[256];

static void check_model(const uint8_t *data, size_t size) {
    uint64_t prepared = stats.prepared, invoked = stats.invoked;
    check_one(data, size);
    if (per_op && xtml_gen_read(&single, model_mem, size)) {
        uint8_t seen[256];
        uint32_t k;
        memset(seen, 0, sizeof seen);
        for (k = 0; k < single.n_ops; k++) {
            int32_t b = single.ops[k].builtin;
            if (b >= 0 && b < 256 && !seen[b]) {
                seen[b] = 1;
                op_models[b]++;
                op_prepared[b] += stats.prepared > prepared;
                op_invoked[b] += stats.invoked > invoked;
            }
        }
    }
    if (verbose > 1) {
        printf("model %lu: %lu bytes, hash %016llx, digest %016llx\n", (unsigned long)stats.models,
               (unsigned long)size, (unsigned long long)fnv(1469598103934665603ull, data, size),
               (unsigned long long)stats.digest);
    }
}

static void check_one(const uint8_t *data, size_t size) {
    uint8_t *model = model_mem;
    xtml_ctx_t *co, *cr;
    char detail_o[XTML_DETAIL_MAX + 32], detail_r[XTML_DETAIL_MAX + 32];
    xtml_status_t so, sr;
    uint32_t seed = 2166136261u;
    size_t k, first;
    int32_t i;
    int splittable, stateful;
    if (size > XTML_DIFF_MODEL) {
        return;
    }
    memcpy(model, data, size);
    failing_model = model;
    failing_bytes = size;
    stats.models++;
    if (xtml_model_verify(model, size, NULL) == XTML_STATUS_OK) {
        stats.verified++;
    }
    so = prepare(&optimized, model, size, arena_opt, &co, detail_o);
    sr = prepare(&reference, model, size, arena_ref, &cr, detail_r);
    if (so == XTML_STATUS_ARENA_TOO_SMALL || sr == XTML_STATUS_ARENA_TOO_SMALL) {
        stats.skipped_arena++;
        return;
    }
    if (so != sr) {
        mismatch("prepare: optimized %s (%s), reference %s (%s)", xtml_status_name(so), detail_o,
                 xtml_status_name(sr), detail_r);
        return;
    }
    if (so != XTML_STATUS_OK) {
        stats.digest = fnv(stats.digest, (const uint8_t *)&so, 1);
        return;
    }
    stats.prepared++;
    for (k = 0; k < size; k++) {
        seed = (seed ^ data[k]) * 16777619u;
    }
    fill_inputs(&optimized, co, model, size, seed);
    for (i = 0; i < xtml_input_count(co); i++) {
        xtml_tensor_info_t info;
        xtml_input_info(co, i, &info);
        memcpy(ref_xtml_input_data(cr, i), xtml_input_data(co, i), info.bytes);
    }
    /* The graph inputs, kept for the one-by-one run before invoke may reuse their memory. */
    splittable = xtml_gen_read(&whole, model, size);
    stateful = 0;
    for (k = 0; splittable && k < whole.n_tensors; k++) {
        stateful = stateful || whole.tensors[k].is_variable;
    }
    splittable = splittable && whole.n_ops > 1 && (int32_t)whole.n_inputs == xtml_input_count(co);
    values_used = 0;
    memset(value_set, 0, sizeof value_set);
    for (i = 0; splittable && i < xtml_input_count(co); i++) {
        xtml_tensor_info_t info;
        xtml_input_info(co, i, &info);
        splittable = keep_value(whole.inputs[i], xtml_input_data(co, i), info.bytes);
    }
    so = xtml_invoke(co);
    sr = ref_xtml_invoke(cr);
    if (so != sr) {
        mismatch("invoke: optimized %s, reference %s", xtml_status_name(so), xtml_status_name(sr));
        return;
    }
    stats.digest = fnv(stats.digest, (const uint8_t *)&so, 1);
    if (so != XTML_STATUS_OK) {
        return;
    }
    stats.invoked++;
    if (inject == 1 && ref_xtml_output_count(cr) > 0) {
        xtml_tensor_info_t info;
        ref_xtml_output_info(cr, 0, &info);
        if (info.bytes > 0) {
            *(uint8_t *)(uintptr_t)ref_xtml_output_data(cr, 0) ^= 0x5a;
            inject = 0;
        }
    }
    compare_outputs(&optimized, co, &reference, cr, "optimized vs reference kernels");
    stats.compared++;
    first = copy_outputs(&optimized, co, outputs_first, sizeof outputs_first);
    /* The digest leaves float32 outputs out: they go through the C library's
     * expf and tanhf, which differ by an ulp between libraries. */
    for (i = 0; i < xtml_output_count(co); i++) {
        xtml_tensor_info_t info;
        xtml_output_info(co, i, &info);
        if (info.dtype != XTML_DTYPE_FLOAT32) {
            stats.digest = fnv(stats.digest, (const uint8_t *)xtml_output_data(co, i), info.bytes);
        }
    }

    /* Check 4: a model with state (variable tensors: SVDF) runs more invokes
     * on both cores without a reset, on new inputs, and must agree at each. */
    if (stateful) {
        uint32_t step;
        for (step = 1; step <= XTML_DIFF_STATE_STEPS; step++) {
            fill_inputs(&optimized, co, model, size, seed + step);
            for (i = 0; i < xtml_input_count(co); i++) {
                xtml_tensor_info_t info;
                xtml_input_info(co, i, &info);
                memcpy(ref_xtml_input_data(cr, i), xtml_input_data(co, i), info.bytes);
            }
            so = xtml_invoke(co);
            sr = ref_xtml_invoke(cr);
            if (so != sr) {
                mismatch("invoke %lu with state: optimized %s, reference %s", (unsigned long)step + 1,
                         xtml_status_name(so), xtml_status_name(sr));
                return;
            }
            if (so != XTML_STATUS_OK) {
                break;
            }
            compare_outputs(&optimized, co, &reference, cr, "optimized vs reference kernels, invoke with state");
            stats.state_steps++;
        }
    }
    /* Check 3: the same inputs again, from the same (reset) state, give the
     * same outputs. */
    xtml_reset_state(co);
    fill_inputs(&optimized, co, model, size, seed);
    if (xtml_invoke(co) != XTML_STATUS_OK) {
        mismatch("second invoke fails");
        return;
    }
    if (first > 0) {
        static uint8_t again[XTML_DIFF_VALUES];
        size_t n = copy_outputs(&optimized, co, again, sizeof again);
        if (n != first || compare(XTML_DTYPE_UINT8, again, outputs_first, n) >= 0) {
            mismatch("second invoke gives other outputs");
            return;
        }
    }
    /* Last: the one-by-one run uses the reference core's arena, and the
     * outputs of the (reset) invoke just checked equal to the first. */
    if (splittable) {
        split_check(co);
    }
}

#ifdef XTML_DIFF_FUZZER

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* XTML_FUZZ_STATS=1: how far inputs got, at exit, as tools/xtml_fuzz.c prints it. */
static void print_stats(void) {
    fprintf(stderr, "xtml_fuzz: %llu executions, %llu verified (reach prepare), %llu prepared (reach invoke), "
                    "%llu invoked without error\n", (unsigned long long)stats.models,
            (unsigned long long)stats.verified, (unsigned long long)stats.prepared,
            (unsigned long long)stats.invoked);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *want = getenv("XTML_FUZZ_STATS");
    (void)argc;
    (void)argv;
    if (want != NULL && want[0] != '\0' && want[0] != '0') {
        atexit(print_stats);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_model(data, size);
    return 0;
}

#else

static xtml_gen_model_t generated;
static uint8_t file_mem[XTML_DIFF_MODEL];

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define XTML_DIFF_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define XTML_DIFF_SANITIZED 1
#endif
#ifdef XTML_DIFF_SANITIZED
void __sanitizer_set_death_callback(void (*callback)(void));
#endif

/* A generated model reads back into the structures and writes out to the same bytes. */
static void roundtrip(const uint8_t *model, size_t bytes) {
    static uint8_t again[XTML_DIFF_MODEL];
    size_t n;
    memcpy(model_mem, model, bytes);
    if (!xtml_gen_read(&whole, model_mem, bytes)) {
        /* It need not verify (some choices are meant to fail), but then neither may the core take it. */
        return;
    }
    n = xtml_gen_write(&whole, again, sizeof again);
    if (n != bytes || memcmp(again, model, bytes) != 0) {
        failing_model = model;
        failing_bytes = bytes;
        mismatch("the model does not write back to its own bytes after reading (%lu bytes, then %lu)",
                 (unsigned long)bytes, (unsigned long)n);
    }
}

int main(int argc, char **argv) {
    unsigned long count = 100, seed = 1, seconds = 0, n;
    int i, files = 0;
    time_t until = 0;
#ifdef XTML_DIFF_SANITIZED
    __sanitizer_set_death_callback(save_failing);
#endif
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            count = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            seconds = strtoul(argv[++i], NULL, 10);
            count = (unsigned long)-1;
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            seed = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            save_path = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose++;
        } else if (strcmp(argv[i], "-p") == 0 || strcmp(argv[i], "--op-stats") == 0) {
            per_op = 1;
        } else if (strcmp(argv[i], "-x") == 0 && i + 1 < argc) {
            i++;
            inject = strcmp(argv[i], "ref") == 0 ? 1 : strcmp(argv[i], "split") == 0 ? 2 : 0;
        } else {
            FILE *f = fopen(argv[i], "rb");
            size_t got;
            if (f == NULL) {
                fprintf(stderr, "xtml_diff: cannot open %s\n", argv[i]);
                return 2;
            }
            got = fread(file_mem, 1, sizeof file_mem, f);
            fclose(f);
            check_model(file_mem, got);
            files++;
        }
    }
    if (files == 0) {
        xtml_gen_rng_t r;
        uint8_t recipe[XTML_GEN_RECIPE_MAX];
        r.state = seed;
        until = seconds > 0 ? time(NULL) + (time_t)seconds : 0;
        for (n = 0; n < count; n++) {
            if (until != 0 && (n & 255u) == 0 && time(NULL) >= until) {
                break;
            }
            size_t len = xtml_gen_recipe(&r, recipe, sizeof recipe);
            size_t bytes;
            xtml_gen_build(&generated, recipe, len);
            bytes = xtml_gen_write(&generated, file_mem, sizeof file_mem);
            if (bytes > 0) {
                check_model(file_mem, bytes);
                roundtrip(file_mem, bytes);
            }
        }
    }
    if (per_op) {
        unsigned long held = 0, least = (unsigned long)-1;
        int at = -1;
        for (i = 0; i < 256; i++) {
            if (op_models[i] > 0) {
                printf("%-24s %8lu models, %5.1f%% prepared, %5.1f%% invoked (%lu)\n", xtml_builtin_name(i),
                       op_models[i], 100.0 * (double)op_prepared[i] / (double)op_models[i],
                       100.0 * (double)op_invoked[i] / (double)op_models[i], op_invoked[i]);
                held++;
                if (op_invoked[i] < least) {
                    least = op_invoked[i];
                    at = i;
                }
            }
        }
        printf("xtml_diff: %lu operators, each reached invoke in at least %lu models (%s)\n", held,
               held > 0 ? least : 0ul, at >= 0 ? xtml_builtin_name(at) : "-");
    }
    printf("xtml_diff: %llu models, %llu verified, %llu prepared, %llu invoked, %llu compared, %llu split-checked, "
           "%llu over the arena, %llu mismatches; digest %016llx; %llu invokes with state\n",
           (unsigned long long)stats.models, (unsigned long long)stats.verified, (unsigned long long)stats.prepared,
           (unsigned long long)stats.invoked, (unsigned long long)stats.compared,
           (unsigned long long)stats.split_checked, (unsigned long long)stats.skipped_arena,
           (unsigned long long)stats.mismatches, (unsigned long long)stats.digest,
           (unsigned long long)stats.state_steps);
    return stats.mismatches != 0 ? 1 : 0;
}

#endif
