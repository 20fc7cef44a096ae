/*
 * xtml_cli.c - the host command line around the core.
 *
 *   xtml inspect <model> [--json]
 *   xtml run <model> --input in.bin --output out.bin [--repeat N] [--profile]
 *   xtml verify <model>
 *
 * Inputs and outputs are raw tensor bytes concatenated in model order, the
 * layout of the reference vectors. A failed load prints the status name and
 * its detail and exits 1; usage errors, and files that cannot be read, say so
 * with the system's reason and exit 2. This tool is a host program,
 * so it may use the C library's heap for files and the arena.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "xtml.h"
#include "xtml_internal.h"

/* Exit status of a usage error (also a file named on the command line that cannot be read). */
#define EXIT_USAGE 2

static int usage(void) {
    fprintf(stderr,
            "usage:\n"
            "  xtml inspect <model.tflite> [--json]\n"
            "  xtml run <model.tflite> --input in.bin --output out.bin [--repeat N] [--profile] [--timing]\n"
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
    struct stat st;
    long size;
    uint8_t *data;
    if (f == NULL) {
        fprintf(stderr, "xtml: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "xtml: cannot read %s: %s\n", path, strerror(EISDIR));
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
    status = xtml_arena_size(m->model, m->model_bytes, &m->arena_bytes, &diag);
    if (status != XTML_STATUS_OK) {
        return report(status, &diag);
    }
    arena = alloc_aligned(m->arena_bytes, XTML_ARENA_ALIGN, &m->arena_base);
    if (arena == NULL) {
        fprintf(stderr, "xtml: out of memory for a %zu-byte arena\n", m->arena_bytes);
        return 1;
    }
    status = xtml_init(m->model, m->model_bytes, arena, m->arena_bytes, &m->ctx, &diag);
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

static int inspect(const char *path, int json) {
    loaded_t m;
    xtml_ctx_t *ctx;
    xtml_fb_vec_t tensors;
    xtml_fb_table_t root;
    xtml_fb_vec_t buffers;
    uint64_t total_macs = 0;
    int32_t i;
    int rc = load(path, &m);
    if (rc != 0) {
        unload(&m);
        return rc;
    }
    ctx = m.ctx;
    root = xtml_fb_root(m.model);
    buffers = xtml_fb_vec(&root, XTML_MODEL_BUFFERS);
    tensors = xtml_fb_vec(&ctx->subgraph, XTML_SUBGRAPH_TENSORS);
    for (i = 0; i < ctx->n_nodes; i++) {
        total_macs += xtml_operator_macs(ctx, i);
    }
    if (json) {
        printf("{\"model_bytes\":%zu,\"arena_bytes\":%zu,\"macs\":%llu,\"description\":", m.model_bytes,
               m.arena_bytes, (unsigned long long)total_macs);
        json_string(xtml_fb_str(&root, XTML_MODEL_DESCRIPTION));
        printf(",\"inputs\":");
        print_index_list(ctx->graph_inputs, (uint32_t)ctx->n_inputs);
        printf(",\"outputs\":");
        print_index_list(ctx->graph_outputs, (uint32_t)ctx->n_outputs);
        printf(",\"operators\":[");
    } else {
        printf("model: %s (%zu bytes)\n", path, m.model_bytes);
        printf("arena: %zu bytes (exact)\n", m.arena_bytes);
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

static int run(const char *path, const char *in_path, const char *out_path, long repeat, int profile, int timing) {
    loaded_t m;
    uint8_t *input = NULL;
    void *input_base = NULL;
    size_t input_len = 0;
    size_t need = 0;
    int32_t i;
    long r;
    FILE *out;
    profile_t prof;
    double invoke_ms;
    int rc = load(path, &m);
    if (rc != 0) {
        unload(&m);
        return rc;
    }
    for (i = 0; i < xtml_input_count(m.ctx); i++) {
        xtml_tensor_info_t info;
        xtml_input_info(m.ctx, i, &info);
        need += info.bytes;
    }
    input = read_file(in_path, &input_len, &input_base);
    if (input == NULL) {
        unload(&m);
        return EXIT_USAGE;
    }
    if (input_len != need) {
        fprintf(stderr, "XTML_STATUS_BAD_ARGUMENT: input file has %zu bytes, the model's inputs need %zu\n",
                input_len, need);
        free(input_base);
        unload(&m);
        return 1;
    }
    prof.n = xtml_operator_count(m.ctx);
    prof.ticks = calloc((size_t)prof.n + 1, sizeof *prof.ticks);
    if (profile) {
        xtml_set_profiler(m.ctx, on_op, &prof);
    }
    invoke_ms = 0.0;
    for (r = 0; r < repeat; r++) {
        size_t off = 0;
        double start;
        xtml_status_t status;
        for (i = 0; i < xtml_input_count(m.ctx); i++) {
            xtml_tensor_info_t info;
            xtml_input_info(m.ctx, i, &info);
            memcpy(xtml_input_data(m.ctx, i), input + off, info.bytes);
            off += info.bytes;
        }
        start = now_ms();
        status = xtml_invoke(m.ctx);
        invoke_ms += now_ms() - start;
        if (status != XTML_STATUS_OK) {
            fprintf(stderr, "%s: %s\n", xtml_status_name(status), xtml_ctx_detail(m.ctx));
            free(prof.ticks);
            free(input_base);
            unload(&m);
            return 1;
        }
    }
    out = fopen(out_path, "wb");
    if (out == NULL) {
        fprintf(stderr, "xtml: cannot write %s\n", out_path);
        rc = 1;
    } else {
        for (i = 0; i < xtml_output_count(m.ctx); i++) {
            xtml_tensor_info_t info;
            xtml_output_info(m.ctx, i, &info);
            fwrite(xtml_output_data(m.ctx, i), 1, info.bytes, out);
        }
        if (fclose(out) != 0) {
            fprintf(stderr, "xtml: cannot write %s\n", out_path);
            rc = 1;
        }
    }
    if (profile) {
        uint64_t total = 0;
        fprintf(stderr, "op  name                      us/invoke\n");
        for (i = 0; i < prof.n; i++) {
            total += prof.ticks[i];
            fprintf(stderr, "%3d %-24s %10.1f\n", (int)i, xtml_operator_name(m.ctx, i),
                    (double)prof.ticks[i] / (double)repeat);
        }
        fprintf(stderr, "    %-24s %10.1f\n", "total", (double)total / (double)repeat);
    }
    if (timing) {
        fprintf(stderr, "ms_per_invoke: %.6f\n", invoke_ms / (double)repeat);
    }
    free(prof.ticks);
    free(input_base);
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
    const char *in_path = NULL;
    const char *out_path = NULL;
    long repeat = 1;
    int profile = 0;
    int timing = 0;
    int json = 0;
    int i;
    if (argc < 3) {
        return usage();
    }
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
            in_path = argv[++i];
        } else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = strtol(argv[++i], NULL, 10);
            if (repeat < 1) {
                return usage();
            }
        } else if (strcmp(argv[i], "--profile") == 0) {
            profile = 1;
        } else if (strcmp(argv[i], "--timing") == 0) {
            timing = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "xtml: unknown argument %s\n", argv[i]);
            return usage();
        }
    }
    if (strcmp(argv[1], "inspect") == 0) {
        return inspect(argv[2], json);
    }
    if (strcmp(argv[1], "run") == 0) {
        if (in_path == NULL || out_path == NULL) {
            return usage();
        }
        return run(argv[2], in_path, out_path, repeat, profile, timing);
    }
    if (strcmp(argv[1], "verify") == 0) {
        return verify_only(argv[2]);
    }
    return usage();
}
