/*
 * op_table_app.c - a program built as a size-conscious firmware is: it loads
 * models only through xtml_arena_size_ops() and xtml_init_ops() with the
 * table in op_table.h (from `xs-tinyml ops MODEL --c --name app_ops`), so a
 * link with --gc-sections keeps only the table's kernels. Built with
 * -DOP_TABLE_ALL it calls xtml_arena_size() and xtml_init() instead (every
 * kernel): the two builds are what tools/size-ops.ts compares.
 *
 *   op_table_app MODEL IN OUT [DROP]
 *       runs the model once on IN's bytes and writes its outputs to OUT,
 *       the table without its last DROP entries
 *       and prints "arena <bytes>"
 *   op_table_app --bad-tables MODEL
 *       one line per malformed table: "<case> <status name>"
 *   op_table_app --with-table MODEL   (the -DOP_TABLE_ALL build)
 *       xtml_arena_size_with() with a table: every operator's, then CONV_2D and
 *       DEPTHWISE_CONV_2D only; "<case> <status name> <arena bytes>" and the
 *       detail, after the "arena" of xtml_arena_size()
 *
 * A refusal prints "<status name>: <detail>" and exits 1; a usage or file
 * error exits 2.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtml.h"

#ifndef OP_TABLE_ALL
#include "op_table.h"
#define APP_OPS_COUNT ((int32_t)(sizeof app_ops / sizeof app_ops[0]))
#endif

/* 16-byte aligned memory, as xtml.h asks of model bytes and the arena; kept
 * to the end of the program. (C99 has no aligned_alloc.) */
static unsigned char *aligned16(size_t bytes) {
    unsigned char *block = malloc(bytes + 15);
    return block == NULL ? NULL : block + ((16 - (uintptr_t)block % 16) % 16);
}

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        return NULL;
    }
    buf = aligned16((size_t)n);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int refused(const xtml_diag_t *diag) {
    printf("%s: %s\n", xtml_status_name(diag->status), diag->detail);
    return 1;
}

#ifndef OP_TABLE_ALL
static void bad_table(const char *name, const uint8_t *model, size_t len, const xtml_op_t *const *ops,
                      int32_t count) {
    xtml_options_t options;
    xtml_diag_t diag;
    size_t need = 0;
    memset(&options, 0, sizeof options);
    options.ops = ops;
    options.op_count = count;
    printf("%s %s\n", name, xtml_status_name(xtml_arena_size_ops(model, len, &options, &need, &diag)));
}

static int bad_tables(const uint8_t *model, size_t len) {
    /* FULLY_CONNECTED's code with CONV_2D's kernel. */
    const xtml_op_t mismatched = { 9, app_ops[0]->kernel };
    const xtml_op_t unknown_code = { 100000, app_ops[0]->kernel };
    const xtml_op_t no_kernel = { 3, NULL };
    const xtml_op_t *with_null[2];
    const xtml_op_t *one[1];
    with_null[0] = app_ops[0];
    with_null[1] = NULL;
    bad_table("negative-count", model, len, app_ops, -1);
    bad_table("null-table", model, len, NULL, 1);
    bad_table("null-entry", model, len, with_null, 2);
    one[0] = &mismatched;
    bad_table("mismatched-kernel", model, len, one, 1);
    one[0] = &unknown_code;
    bad_table("unknown-code", model, len, one, 1);
    one[0] = &no_kernel;
    bad_table("no-kernel", model, len, one, 1);
    bad_table("empty-table", model, len, app_ops, 0);
    return 0;
}
#else
static int with_table(const uint8_t *model, size_t len) {
    static const xtml_op_t *const two[] = { XTML_OP(CONV_2D), XTML_OP(DEPTHWISE_CONV_2D) };
    xtml_options_t options;
    xtml_diag_t diag;
    size_t need = 0;
    xtml_status_t status = xtml_arena_size(model, len, &need, &diag);
    printf("arena %s %lu\n", xtml_status_name(status), (unsigned long)need);
    memset(&options, 0, sizeof options);
    options.ops = xtml_ops_all;
    options.op_count = XTML_OPS_ALL_COUNT;
    status = xtml_arena_size_with(model, len, &options, &need, &diag);
    printf("all %s %lu\n", xtml_status_name(status), (unsigned long)need);
    options.ops = two;
    options.op_count = 2;
    need = 0;
    status = xtml_arena_size_with(model, len, &options, &need, &diag);
    printf("two %s %lu\n%s\n", xtml_status_name(status), (unsigned long)need, diag.detail);
    return 0;
}
#endif

int main(int argc, char **argv) {
    unsigned char *model, *input, *arena;
    size_t model_len, input_len, need, at;
    xtml_diag_t diag;
    xtml_ctx_t *ctx;
    xtml_status_t status;
    int32_t i;
    FILE *out;
#ifndef OP_TABLE_ALL
    xtml_options_t options;
    if (argc == 3 && strcmp(argv[1], "--bad-tables") == 0) {
        model = read_all(argv[2], &model_len);
        return model == NULL ? 2 : bad_tables(model, model_len);
    }
    memset(&options, 0, sizeof options);
    options.ops = app_ops;
    options.op_count = APP_OPS_COUNT - (argc == 5 ? atoi(argv[4]) : 0);
#else
    if (argc == 3 && strcmp(argv[1], "--with-table") == 0) {
        model = read_all(argv[2], &model_len);
        return model == NULL ? 2 : with_table(model, model_len);
    }
#endif
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: op_table_app MODEL IN OUT [DROP] | --bad-tables MODEL\n");
        return 2;
    }
    model = read_all(argv[1], &model_len);
    input = read_all(argv[2], &input_len);
    if (model == NULL || input == NULL) {
        fprintf(stderr, "op_table_app: cannot read %s\n", model == NULL ? argv[1] : argv[2]);
        return 2;
    }
#ifdef OP_TABLE_ALL
    status = xtml_arena_size(model, model_len, &need, &diag);
#else
    status = xtml_arena_size_ops(model, model_len, &options, &need, &diag);
#endif
    if (status != XTML_STATUS_OK) {
        return refused(&diag);
    }
    arena = aligned16(need);
    if (arena == NULL) {
        return 2;
    }
#ifdef OP_TABLE_ALL
    status = xtml_init(model, model_len, arena, need, &ctx, &diag);
#else
    status = xtml_init_ops(model, model_len, &options, arena, need, &ctx, &diag);
#endif
    if (status != XTML_STATUS_OK) {
        return refused(&diag);
    }
    for (i = 0, at = 0; i < xtml_input_count(ctx); i++) {
        xtml_tensor_info_t info;
        xtml_input_info(ctx, i, &info);
        if (at + info.bytes > input_len) {
            fprintf(stderr, "op_table_app: %s is shorter than the inputs\n", argv[2]);
            return 2;
        }
        memcpy(xtml_input_data(ctx, i), input + at, info.bytes);
        at += info.bytes;
    }
    if (xtml_invoke(ctx) != XTML_STATUS_OK) {
        printf("%s: %s\n", "invoke", xtml_ctx_detail(ctx));
        return 1;
    }
    out = fopen(argv[3], "wb");
    if (out == NULL) {
        return 2;
    }
    for (i = 0; i < xtml_output_count(ctx); i++) {
        xtml_tensor_info_t info;
        xtml_output_info(ctx, i, &info);
        fwrite(xtml_output_data(ctx, i), 1, info.bytes, out);
    }
    fclose(out);
    printf("arena %lu\n", (unsigned long)need);
    return 0;
}
