/*
 * xtml_cli.c - the host command line around the core.
 *
 *   xtml inspect <model> [--json] [--target T]
 *   xtml run <model> --input in.bin --output out.bin [--input in2.bin --output out2.bin ...]
 *            [--repeat N] [--invokes K] [--profile] [--timing]
 *   xtml verify <model>
 *
 * Inputs and outputs are raw tensor bytes concatenated in model order, the
 * layout of the reference vectors. Several --input/--output pairs run one
 * after another on one loaded model (the n-th output file gets the outputs
 * for the n-th input), which saves a process per vector under an emulator.
 * A model's state (variable tensors) carries from one pair to the next,
 * unless --invokes K is given: then each pair is a stream of K invokes from
 * a fresh state (xtml_reset_state()): its input file holds K sets of inputs
 * one after another, and its output file gets the outputs after each invoke,
 * one after another.
 * A failed load prints the status name and its detail and exits 1; usage
 * errors, and files that cannot be read, say so with the system's reason and
 * exit 2. This tool is a host program,
 * so it may use the C library's heap for files and the arena.
 *
 * inspect prints the arena this build needs and the one 32-bit targets need
 * (xtml_arena_size_for; they differ with the pointer size); --target with a
 * 32-bit target's name (esp32, esp32s3, esp32c3, rv32, cortex-m, wasm32, ...)
 * makes the latter the one reported as arena_bytes.
 *
 * Instruction counting: xtml_arena_size, xtml_init and each xtml_invoke run
 * between a call of xtml_cli_count_begin and one of xtml_cli_count_end, in
 * that order, so a counter watching those two addresses (the QEMU plugin
 * tools/qemu_count_plugin.c) sees region 1 = arena size, 2 = init, then one
 * region per invoke.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xtml.h"
#include "xtml_internal.h"

/* Exit status of a usage error (also a file named on the command line that cannot be read). */
#define EXIT_USAGE 2

/* Markers for instruction counters; they only store distinct values, so
 * that the compiler keeps them as two separate functions and every call. */
static volatile int count_marker;
void xtml_cli_count_begin(void) __attribute__((noinline));
void xtml_cli_count_end(void) __attribute__((noinline));
void xtml_cli_count_begin(void) {
    count_marker = 1;
}
void xtml_cli_count_end(void) {
    count_marker = 2;
}

/* Most --input/--output pairs one run takes. */
#define XTML_CLI_MAX_PAIRS 64

static int usage(void) {
    fprintf(stderr,
            "usage:\n"
            "  xtml inspect <model.tflite> [--json] [--target host|esp32|esp32s3|esp32c3|rv32|cortex-m|wasm32|...]\n"
            "  xtml run <model.tflite> --input in.bin --output out.bin [--input in2.bin --output out2.bin ...]\n"
            "           [--repeat N] [--invokes K] [--profile] [--timing]\n"
            "  xtml verify <model.tflite>\n");
    return EXIT_USAGE;
}

/* Memory aligned to `align` inside a malloc'd block; *base is what to free. */
static void *alloc_aligned(size_t bytes, size_t align, void **base) {
    uint8_t *raw = malloc(bytes + align);
    if (raw == NULL) {
        return NULL;
    }
    *base = raw;
    return raw + (align - ((uintptr_t)raw & (align - 1))) % align;
}

static uint8_t *read_file(const char *path, size_t *len, void **base) {
    FILE *f = fopen(path, "rb");
    long size;
    uint8_t *data;
    if (f == NULL) {
        fprintf(stderr, "xtml: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    /* A directory opens (on Linux) but cannot be read (EISDIR): say so before
     * sizing it. A read rather than fstat, which the rv32 port does not have. */
    errno = 0;
    if (getc(f) == EOF && ferror(f)) {
        fprintf(stderr, "xtml: cannot read %s: %s\n", path, errno != 0 ? strerror(errno) : "read error");
        fclose(f);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "xtml: cannot read %s: %s\n", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    /* 16-byte aligned, as a model in flash would be. */
    data = alloc_aligned((size_t)size + 1, 16, base);
    errno = 0;
    if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size || (size == 0 && ferror(f))) {
        fprintf(stderr, "xtml: cannot read %s: %s\n", path, data == NULL ? "out of memory" : errno != 0 ? strerror(errno) : "short read");
        fclose(f);
        free(*base);
        return NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return data;
}

static int report(xtml_status_t status, const xtml_diag_t *diag) {
    fprintf(stderr, "%s: %s\n", xtml_status_name(status), diag->detail);
    return 1;
}

typedef struct loaded {
    uint8_t *model;
    size_t model_bytes;
    void *model_base;
    void *arena_base;
    size_t arena_bytes;
    xtml_ctx_t *ctx;
} loaded_t;

static int load(const char *path, loaded_t *m) {
    xtml_diag_t diag;
    xtml_status_t status;
    void *arena;
    memset(m, 0, sizeof *m);
    m->model = read_file(path, &m->model_bytes, &m->model_base);
    if (m->model == NULL) {
        return EXIT_USAGE;
    }
    xtml_cli_count_begin();
    status = xtml_arena_size(m->model, m->model_bytes, &m->arena_bytes, &diag);
    xtml_cli_count_end();
    if (status != XTML_STATUS_OK) {
        return report(status, &diag);
    }
    arena = alloc_aligned(m->arena_bytes, XTML_ARENA_ALIGN, &m->arena_base);
    if (arena == NULL) {
        fprintf(stderr, "xtml: out of memory for a %zu-byte arena\n", m->arena_bytes);
        return 1;
    }
    xtml_cli_count_begin();
    status = xtml_init(m->model, m->model_bytes, arena, m->arena_bytes, &m->ctx, &diag);
    xtml_cli_count_end();
    if (status != XTML_STATUS_OK) {
        return report(status, &diag);
    }
    return 0;
}

static void unload(loaded_t *m) {
    free(m->arena_base);
    free(m->model_base);
}

/* ---- inspect ---- */

/* Names --target accepts for 32-bit targets (pointers and size_t of 4 bytes). */
static const char *const targets32[] = {
    "esp32", "esp32s2", "esp32s3", "esp32c2", "esp32c3", "esp32c6", "esp32h2", "esp32p4", "xtensa", "rv32",
    "rv32imc", "riscv32", "cortex-m", "cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "arm32",
    "wasm32", "i386", "ilp32", "32bit", NULL};

/* 1 for a 32-bit target, 0 for "host", -1 for an unknown name. */
static int target_is_32bit(const char *name) {
    int i;
    if (strcmp(name, "host") == 0) {
        return 0;
    }
    for (i = 0; targets32[i] != NULL; i++) {
        if (strcmp(name, targets32[i]) == 0) {
            return 1;
        }
    }
    return -1;
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static void print_dims(const int32_t *dims, int32_t n) {
    int32_t i;
    putchar('[');
    for (i = 0; i < n; i++) {
        printf(i == 0 ? "%d" : ",%d", (int)dims[i]);
    }
    putchar(']');
}

static void print_index_list(const uint8_t *list, uint32_t n) {
    uint32_t i;
    putchar('[');
    for (i = 0; i < n; i++) {
        printf(i == 0 ? "%d" : ",%d", (int)xtml_ld_i32(list + 4 * i));
    }
    putchar(']');
}

static int inspect(const char *path, int json, const char *target) {
    loaded_t m;
    xtml_diag_t diag;
    xtml_status_t status;
    size_t arena32 = 0;
    size_t arena_reported;
    int is32 = target_is_32bit(target);
    xtml_ctx_t *ctx;
    xtml_fb_vec_t tensors;
    xtml_fb_table_t root;
    xtml_fb_vec_t buffers;
    uint64_t total_macs = 0;
    int32_t i;
    int rc;
    if (is32 < 0) {
        fprintf(stderr, "xtml: unknown target %s (host or a 32-bit target:", target);
        for (i = 0; targets32[i] != NULL; i++) {
            fprintf(stderr, " %s", targets32[i]);
        }
        fprintf(stderr, ")\n");
        return 2;
    }
    rc = load(path, &m);
    if (rc != 0) {
        unload(&m);
        return rc;
    }
    status = xtml_arena_size_for(m.model, m.model_bytes, 4, &arena32, &diag);
    if (status != XTML_STATUS_OK) {
        unload(&m);
        return report(status, &diag);
    }
    arena_reported = is32 ? arena32 : m.arena_bytes;
    ctx = m.ctx;
    root = xtml_fb_root(m.model);
    buffers = xtml_fb_vec(&root, XTML_MODEL_BUFFERS);
    tensors = xtml_fb_vec(&ctx->subgraph, XTML_SUBGRAPH_TENSORS);
    for (i = 0; i < ctx->n_nodes; i++) {
        total_macs += xtml_operator_macs(ctx, i);
    }
    if (json) {
        printf("{\"model_bytes\":%zu,\"arena_bytes\":%zu,\"target\":", m.model_bytes, arena_reported);
        json_string(target);
        printf(",\"arena_bytes_host\":%zu,\"arena_bytes_32bit\":%zu,\"pointer_bytes_host\":%u,\"macs\":%llu,"
               "\"description\":",
               m.arena_bytes, arena32, (unsigned)sizeof(void *), (unsigned long long)total_macs);
        json_string(xtml_fb_str(&root, XTML_MODEL_DESCRIPTION));
        printf(",\"inputs\":");
        print_index_list(ctx->graph_inputs, (uint32_t)ctx->n_inputs);
        printf(",\"outputs\":");
        print_index_list(ctx->graph_outputs, (uint32_t)ctx->n_outputs);
        printf(",\"operators\":[");
    } else {
        printf("model: %s (%zu bytes)\n", path, m.model_bytes);
        if (is32) {
            printf("arena: %zu bytes (exact, for %s: 32-bit)\n", arena32, target);
            printf("arena on this %u-bit build: %zu bytes\n", (unsigned)(8 * sizeof(void *)), m.arena_bytes);
        } else {
            printf("arena: %zu bytes (exact, this %u-bit build)\n", m.arena_bytes, (unsigned)(8 * sizeof(void *)));
            printf("arena on 32-bit targets: %zu bytes (esp32, esp32s3, esp32c3, cortex-m, wasm32, ...)\n", arena32);
        }
        printf("operators: %d, MACs per invoke: %llu\n", (int)ctx->n_nodes, (unsigned long long)total_macs);
    }
    for (i = 0; i < ctx->n_nodes; i++) {
        const xtml_node_t *node = &ctx->nodes[i];
        if (json) {
            printf("%s{\"index\":%d,\"name\":\"%s\",\"macs\":%lu,\"inputs\":", i == 0 ? "" : ",", (int)i,
                   node->kernel->name, (unsigned long)node->macs);
            print_index_list(node->inputs, node->n_inputs);
            printf(",\"outputs\":");
            print_index_list(node->outputs, node->n_outputs);
            putchar('}');
        } else {
            printf("  %3d %-24s macs %10lu  in ", (int)i, node->kernel->name, (unsigned long)node->macs);
            print_index_list(node->inputs, node->n_inputs);
            printf(" out ");
            print_index_list(node->outputs, node->n_outputs);
            putchar('\n');
        }
    }
    if (json) {
        printf("],\"tensors\":[");
    } else {
        printf("tensors: %lu\n", (unsigned long)tensors.len);
    }
    for (i = 0; i < (int32_t)tensors.len; i++) {
        xtml_fb_table_t t = xtml_fb_vec_table(&ctx->subgraph, tensors, (uint32_t)i);
        xtml_fb_vec_t shape = xtml_fb_vec(&t, XTML_TENSOR_SHAPE);
        xtml_fb_table_t q = xtml_fb_table(&t, XTML_TENSOR_QUANT);
        xtml_fb_vec_t scales = xtml_fb_vec(&q, XTML_QUANT_SCALE);
        xtml_fb_vec_t zps = xtml_fb_vec(&q, XTML_QUANT_ZERO_POINT);
        uint32_t b = xtml_fb_u32(&t, XTML_TENSOR_BUFFER, 0);
        int is_const = 0;
        int32_t dims[XTML_MAX_DIMS];
        uint32_t k;
        const char *type = xtml_dtype_name((xtml_dtype_t)xtml_fb_u8(&t, XTML_TENSOR_TYPE, 0));
        if (b != 0) {
            xtml_fb_table_t bt = xtml_fb_vec_table(&root, buffers, b);
            is_const = xtml_fb_vec(&bt, XTML_BUFFER_DATA).len > 0 || xtml_fb_i64(&bt, XTML_BUFFER_OFFSET, 0) > 1;
        }
        for (k = 0; k < shape.len; k++) {
            dims[k] = xtml_ld_i32(shape.data + 4 * k);
        }
        if (json) {
            printf("%s{\"index\":%d,\"name\":", i == 0 ? "" : ",", (int)i);
            json_string(xtml_fb_str(&t, XTML_TENSOR_NAME));
            printf(",\"dtype\":\"%s\",\"shape\":", type);
            print_dims(dims, (int32_t)shape.len);
            printf(",\"constant\":%s,\"scale\":[", is_const ? "true" : "false");
            for (k = 0; k < scales.len; k++) {
                printf(k == 0 ? "%.9g" : ",%.9g", (double)xtml_ld_f32(scales.data + 4 * k));
            }
            printf("],\"zero_point\":[");
            for (k = 0; k < zps.len; k++) {
                printf(k == 0 ? "%lld" : ",%lld", (long long)xtml_ld_i64(zps.data + 8 * k));
            }
            printf("],\"quantized_dimension\":%d}", (int)xtml_fb_i32(&q, XTML_QUANT_DIMENSION, 0));
        } else {
            printf("  %3d %-8s ", (int)i, type);
            print_dims(dims, (int32_t)shape.len);
            if (scales.len == 1) {
                printf(" scale %.9g zp %lld", (double)xtml_ld_f32(scales.data),
                       (long long)xtml_ld_i64(zps.data));
            } else if (scales.len > 1) {
                printf(" per-channel (%lu scales, axis %d)", (unsigned long)scales.len,
                       (int)xtml_fb_i32(&q, XTML_QUANT_DIMENSION, 0));
            }
            printf("%s %s\n", is_const ? " const" : "", xtml_fb_str(&t, XTML_TENSOR_NAME));
        }
    }
    if (json) {
        printf("]}\n");
    }
    unload(&m);
    return 0;
}

/* ---- run ---- */

typedef struct profile {
    int32_t n;
    uint64_t *ticks;
} profile_t;

static void on_op(void *user, int32_t index, const char *name, uint32_t ticks) {
    profile_t *p = user;
    (void)name;
    if (index >= 0 && index < p->n) {
        p->ticks[index] += ticks;
    }
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run `repeat` invokes on the input file's bytes, then write the outputs.
 * With invokes > 1: from a fresh state, `invokes` such steps, one set of
 * inputs each, the outputs of every step written one after another. */
static int run_pair(loaded_t *m, const char *in_path, const char *out_path, long repeat, long invokes,
                    double *invoke_ms) {
    uint8_t *input;
    uint8_t *outputs;
    void *input_base = NULL;
    size_t input_len = 0;
    size_t need = 0, out_need = 0, out_at = 0;
    int32_t i;
    long r, k;
    FILE *out;
    int rc = 0;
    for (i = 0; i < xtml_input_count(m->ctx); i++) {
        xtml_tensor_info_t info;
        xtml_input_info(m->ctx, i, &info);
        need += info.bytes;
    }
    for (i = 0; i < xtml_output_count(m->ctx); i++) {
        xtml_tensor_info_t info;
        xtml_output_info(m->ctx, i, &info);
        out_need += info.bytes;
    }
    input = read_file(in_path, &input_len, &input_base);
    if (input == NULL) {
        return EXIT_USAGE;
    }
    if (input_len != need * (size_t)invokes) {
        fprintf(stderr, "XTML_STATUS_BAD_ARGUMENT: input file has %zu bytes, the model's inputs need %zu x %ld\n",
                input_len, need, invokes);
        free(input_base);
        return 1;
    }
    outputs = malloc(out_need * (size_t)invokes + 1);
    if (outputs == NULL) {
        fprintf(stderr, "xtml: out of memory\n");
        free(input_base);
        return 1;
    }
    if (invokes > 1) {
        xtml_reset_state(m->ctx);
    }
    for (k = 0; k < invokes; k++) {
        for (r = 0; r < repeat; r++) {
            size_t off = need * (size_t)k;
            double start;
            xtml_status_t status;
            for (i = 0; i < xtml_input_count(m->ctx); i++) {
                xtml_tensor_info_t info;
                xtml_input_info(m->ctx, i, &info);
                memcpy(xtml_input_data(m->ctx, i), input + off, info.bytes);
                off += info.bytes;
            }
            start = now_ms();
            xtml_cli_count_begin();
            status = xtml_invoke(m->ctx);
            xtml_cli_count_end();
            *invoke_ms += now_ms() - start;
            if (status != XTML_STATUS_OK) {
                fprintf(stderr, "%s: %s\n", xtml_status_name(status), xtml_ctx_detail(m->ctx));
                free(input_base);
                free(outputs);
                return 1;
            }
        }
        for (i = 0; i < xtml_output_count(m->ctx); i++) {
            xtml_tensor_info_t info;
            xtml_output_info(m->ctx, i, &info);
            memcpy(outputs + out_at, xtml_output_data(m->ctx, i), info.bytes);
            out_at += info.bytes;
        }
    }
    free(input_base);
    out = fopen(out_path, "wb");
    if (out == NULL) {
        fprintf(stderr, "xtml: cannot write %s\n", out_path);
        free(outputs);
        return 1;
    }
    fwrite(outputs, 1, out_at, out);
    free(outputs);
    if (fclose(out) != 0) {
        fprintf(stderr, "xtml: cannot write %s\n", out_path);
        rc = 1;
    }
    return rc;
}

/* Every input/output pair in order, on one loaded model; stops at the first failure. */
static int run(const char *path, const char *const *in_paths, const char *const *out_paths, int pairs, long repeat,
               long invokes, int profile, int timing) {
    loaded_t m;
    int32_t i;
    int p;
    profile_t prof;
    double invoke_ms = 0.0;
    double n_invokes = (double)repeat * (double)pairs * (double)invokes;
    int rc = load(path, &m);
    if (rc != 0) {
        unload(&m);
        return rc;
    }
    prof.n = xtml_operator_count(m.ctx);
    prof.ticks = calloc((size_t)prof.n + 1, sizeof *prof.ticks);
    if (profile) {
        xtml_set_profiler(m.ctx, on_op, &prof);
    }
    for (p = 0; p < pairs && rc == 0; p++) {
        rc = run_pair(&m, in_paths[p], out_paths[p], repeat, invokes, &invoke_ms);
    }
    if (rc == 0 && profile) {
        uint64_t total = 0;
        fprintf(stderr, "op  name                      us/invoke\n");
        for (i = 0; i < prof.n; i++) {
            total += prof.ticks[i];
            fprintf(stderr, "%3d %-24s %10.1f\n", (int)i, xtml_operator_name(m.ctx, i), (double)prof.ticks[i] / n_invokes);
        }
        fprintf(stderr, "    %-24s %10.1f\n", "total", (double)total / n_invokes);
    }
    if (rc == 0 && timing) {
        fprintf(stderr, "ms_per_invoke: %.6f\n", invoke_ms / n_invokes);
    }
    free(prof.ticks);
    unload(&m);
    return rc;
}

static int verify_only(const char *path) {
    xtml_diag_t diag;
    void *base;
    size_t len;
    uint8_t *model = read_file(path, &len, &base);
    xtml_status_t status;
    if (model == NULL) {
        return EXIT_USAGE;
    }
    status = xtml_model_verify(model, len, &diag);
    free(base);
    if (status != XTML_STATUS_OK) {
        return report(status, &diag);
    }
    printf("ok\n");
    return 0;
}

int main(int argc, char **argv) {
    const char *in_paths[XTML_CLI_MAX_PAIRS];
    const char *out_paths[XTML_CLI_MAX_PAIRS];
    int n_in = 0, n_out = 0;
    const char *target = "host";
    long repeat = 1;
    long invokes = 1;
    int profile = 0;
    int timing = 0;
    int json = 0;
    int i;
    if (argc < 3) {
        return usage();
    }
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--input") == 0 && i + 1 < argc && n_in < XTML_CLI_MAX_PAIRS) {
            in_paths[n_in++] = argv[++i];
        } else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc && n_out < XTML_CLI_MAX_PAIRS) {
            out_paths[n_out++] = argv[++i];
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = strtol(argv[++i], NULL, 10);
            if (repeat < 1) {
                return usage();
            }
        } else if (strcmp(argv[i], "--invokes") == 0 && i + 1 < argc) {
            invokes = strtol(argv[++i], NULL, 10);
            if (invokes < 1 || invokes > 100000) {
                return usage();
            }
        } else if (strcmp(argv[i], "--profile") == 0) {
            profile = 1;
        } else if (strcmp(argv[i], "--timing") == 0) {
            timing = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
            target = argv[++i];
        } else {
            fprintf(stderr, "xtml: unknown argument %s\n", argv[i]);
            return usage();
        }
    }
    if (strcmp(argv[1], "inspect") == 0) {
        return inspect(argv[2], json, target);
    }
    if (strcmp(argv[1], "run") == 0) {
        if (n_in == 0 || n_in != n_out) {
            return usage();
        }
        return run(argv[2], in_paths, out_paths, n_in, repeat, invokes, profile, timing);
    }
    if (strcmp(argv[1], "verify") == 0) {
        return verify_only(argv[2]);
    }
    return usage();
}
