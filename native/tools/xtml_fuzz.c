/*
 * xtml_fuzz.c - libFuzzer harness: arbitrary bytes through the whole load and
 * run path.
 *
 *   make fuzz && ../build/fuzz/xtml_fuzz -max_len=400000 corpus/   (or test/fuzz.sh)
 *
 * Each input is treated as a model: verify, arena_size, init with exactly the
 * size arena_size reported, fill the inputs, invoke, read every output. The
 * sanitizers catch memory and undefined-behaviour errors; the harness itself
 * aborts when the core breaks its own contract (arena_size succeeded but init
 * with that many bytes did not, or a context reports a different arena use,
 * or an operator table without one operator does anything but refuse a model
 * using it and size any other exactly as the full set does).
 *
 * The bytes are copied into an exactly sized, 16-byte aligned block first, as
 * a model in flash would be aligned, so that reads past the end hit ASan's
 * redzone. This is a host program: heap use is fine here.
 *
 * The same harness is linked twice, both times with tools/xtml_gen.c (its
 * xtml_gen_shape_input fills TRANSPOSE_CONV's output shapes): alone it sees
 * libFuzzer's byte mutations (xtml_fuzz); with tools/xtml_fuzz_mutator.c it
 * sees structure-aware mutations of generated models (xtml_fuzz_gen). Only the
 * core is instrumented for coverage, so both report the core's edges.
 */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtml.h"
#include "xtml_gen.h"

/* Arenas above this are skipped (a fuzzed shape can ask for gigabytes). */
#define FUZZ_ARENA_MAX ((size_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* How far inputs get: XTML_FUZZ_STATS=1 prints the counts at exit. */
static unsigned long long runs, verified, prepared, invoked;

static void print_stats(void) {
    fprintf(stderr, "xtml_fuzz: %llu executions, %llu verified (reach prepare), %llu prepared (reach invoke), "
                    "%llu invoked without error\n", runs, verified, prepared, invoked);
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

static uint8_t *alloc16(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 16, bytes != 0 ? bytes : 1) != 0) {
        return NULL;
    }
    return p;
}

static uint32_t xorshift(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Deterministic inputs: bytes for integer tensors; floats in [-1, 1), and for
 * one seed in four also infinities, NaN, subnormals and the largest floats;
 * an output shape TRANSPOSE_CONV reads from a graph input mostly right
 * (xtml_gen_shape_input), else bytes its invoke must refuse. */
static void fill_inputs(xtml_ctx_t *ctx, const uint8_t *model, size_t model_bytes, uint32_t seed) {
    int32_t i, dims[4];
    uint32_t rng = seed != 0 ? seed : 1;
    for (i = 0; i < xtml_input_count(ctx); i++) {
        xtml_tensor_info_t info;
        uint8_t *in = xtml_input_data(ctx, i);
        size_t k;
        if (xtml_input_info(ctx, i, &info) != XTML_STATUS_OK || in == NULL) {
            continue;
        }
        /* Never write into the model bytes, whatever the model claims. */
        if (in >= model && in < model + model_bytes) {
            continue;
        }
        if (info.dtype == XTML_DTYPE_FLOAT32) {
            static const uint32_t special[] = { 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x00000001u,
                                                0x7f7fffffu, 0xff7fffffu, 0x80000000u, 0x4b000000u };
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
        /* TRANSPOSE_CONV's output shape: the right one for three seeds in four. */
        if (info.dtype == XTML_DTYPE_INT32 && info.bytes == sizeof dims && ((seed >> 8) & 3u) != 0 &&
            xtml_gen_shape_input(model, model_bytes, i, dims)) {
            memcpy(in, dims, sizeof dims);
        }
    }
}

static volatile uint32_t sink;

static void on_operator(void *user, int32_t op_index, const char *op_name, uint32_t ticks) {
    (void)user;
    sink += (uint32_t)op_index + ticks + (uint32_t)strlen(op_name);
}

static void read_outputs(const xtml_ctx_t *ctx) {
    uint32_t sum = 0;
    int32_t i;
    for (i = 0; i < xtml_output_count(ctx); i++) {
        xtml_tensor_info_t info;
        const uint8_t *out = xtml_output_data(ctx, i);
        size_t k;
        if (xtml_output_info(ctx, i, &info) != XTML_STATUS_OK || out == NULL) {
            continue;
        }
        for (k = 0; k < info.bytes; k++) {
            sum += out[k];
        }
        sum += (uint32_t)strlen(info.name);
    }
    for (i = 0; i < xtml_operator_count(ctx); i++) {
        const char *name = xtml_operator_name(ctx, i);
        sum += name != NULL ? (uint32_t)strlen(name) : 0u;
        sum += xtml_operator_macs(ctx, i);
    }
    sink += sum + (uint32_t)strlen(xtml_ctx_detail(ctx));
}

/*
 * xtml_arena_size_ops() with every operator but one (chosen by the seed): a
 * model that uses it is refused as UNSUPPORTED_OPERATOR, any other gets the
 * arena of the full set.
 */
static void check_table(const uint8_t *model, size_t size, const xtml_ctx_t *ctx, size_t need, uint32_t seed) {
    static const xtml_op_t *ops[XTML_OPS_ALL_COUNT];
    int32_t dropped = (int32_t)(seed % (uint32_t)XTML_OPS_ALL_COUNT);
    const char *name = xtml_builtin_name(xtml_ops_all[dropped]->builtin);
    xtml_options_t options;
    xtml_diag_t diag;
    xtml_status_t status, want = XTML_STATUS_OK;
    size_t got = 0;
    int32_t i, n = 0;
    for (i = 0; i < XTML_OPS_ALL_COUNT; i++) {
        if (i != dropped) {
            ops[n++] = xtml_ops_all[i];
        }
    }
    for (i = 0; i < xtml_operator_count(ctx); i++) {
        const char *op = xtml_operator_name(ctx, i);
        if (op != NULL && name != NULL && strcmp(op, name) == 0) {
            want = XTML_STATUS_UNSUPPORTED_OPERATOR;
        }
    }
    memset(&options, 0, sizeof options);
    options.ops = ops;
    options.op_count = n;
    status = xtml_arena_size_ops(model, size, &options, &got, &diag);
    if (status != want || (want == XTML_STATUS_OK && got != need)) {
        fprintf(stderr, "xtml_fuzz: the table without %s gave %s (%s), %zu bytes; want %s, %zu bytes\n",
                name != NULL ? name : "?", xtml_status_name(status), diag.detail, got, xtml_status_name(want), need);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *model = alloc16(size);
    uint8_t *arena;
    xtml_diag_t diag;
    xtml_ctx_t *ctx = NULL;
    size_t need = 0;
    xtml_status_t status;
    uint32_t seed = 2166136261u;
    size_t k;

    if (model == NULL) {
        return 0;
    }
    memcpy(model, data, size);
    runs++;
    if (xtml_model_verify(model, size, &diag) != XTML_STATUS_OK) {
        sink += (uint32_t)strlen(diag.detail);
        free(model);
        return 0;
    }
    verified++;
    if (xtml_arena_size(model, size, &need, &diag) != XTML_STATUS_OK || need > FUZZ_ARENA_MAX) {
        sink += (uint32_t)strlen(diag.detail);
        free(model);
        return 0;
    }
    prepared++;
    arena = alloc16(need);
    if (arena == NULL) {
        free(model);
        return 0;
    }
    status = xtml_init(model, size, arena, need, &ctx, &diag);
    if (status != XTML_STATUS_OK || ctx == NULL || xtml_arena_used(ctx) != need) {
        fprintf(stderr, "xtml_fuzz: arena_size reported %zu bytes but init gave %s (%s), used %zu\n", need,
                xtml_status_name(status), diag.detail, ctx != NULL ? xtml_arena_used(ctx) : (size_t)0);
        abort();
    }
    for (k = 0; k < size; k++) {
        seed = (seed ^ data[k]) * 16777619u;
    }
    check_table(model, size, ctx, need, seed);
    if ((seed & 8u) != 0) {
        xtml_set_profiler(ctx, on_operator, NULL);
    }
    sink += (uint32_t)strlen(xtml_model_description(ctx));
    fill_inputs(ctx, model, size, seed);
    if (xtml_invoke(ctx) == XTML_STATUS_OK) {
        invoked++;
        read_outputs(ctx);
        /* A second run on the same context: nothing may depend on the first. */
        if ((seed & 16u) != 0) {
            fill_inputs(ctx, model, size, seed);
            (void)xtml_invoke(ctx);
        }
    }
    free(arena);
    free(model);
    return 0;
}
