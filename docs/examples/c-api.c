/*
 * c-api.c - the C API from start to end: size the arena, init, fill the
 * input, invoke, read the output. On a board the model would sit in flash
 * (a const array, or a memory-mapped partition) and the input would come
 * from a sensor; here both come from files so the program runs on a desktop:
 *
 *   c-api model.tflite input.bin output.bin
 *
 * input.bin holds the first input's bytes, output.bin receives the first
 * output's. The test suite builds this file against the CMake library
 * (native/components/xtml) and compares output.bin with the CLI's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtml.h"

/* A static arena: no heap on the device. 64 KB is enough for the bundled detector. */
#define ARENA_BYTES (64 * 1024)
static uint8_t arena[ARENA_BYTES] __attribute__((aligned(XTML_ARENA_ALIGN)));

/* 16-byte aligned model bytes, as xtml.h asks (a model in flash is placed so). */
static uint8_t model[256 * 1024] __attribute__((aligned(16)));

static size_t read_file(const char *path, uint8_t *into, size_t room) {
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    n = fread(into, 1, room, f);
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    size_t model_len, need;
    xtml_diag_t diag;
    xtml_ctx_t *ctx;
    xtml_tensor_info_t in, out;
    FILE *f;

    if (argc != 4) {
        fprintf(stderr, "usage: c-api model.tflite input.bin output.bin\n");
        return 2;
    }
    model_len = read_file(argv[1], model, sizeof model);

    /* How much arena the model needs, before any memory is committed. */
    if (xtml_arena_size(model, model_len, &need, &diag) != XTML_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", xtml_status_name(diag.status), diag.detail);
        return 1;
    }
    if (need > sizeof arena) {
        fprintf(stderr, "the model needs %lu arena bytes, this build has %lu\n",
                (unsigned long)need, (unsigned long)sizeof arena);
        return 1;
    }
    if (xtml_init(model, model_len, arena, sizeof arena, &ctx, &diag) != XTML_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", xtml_status_name(diag.status), diag.detail);
        return 1;
    }

    /* Inputs are written before every invoke: their memory may hold activations. */
    xtml_input_info(ctx, 0, &in);
    if (read_file(argv[2], xtml_input_data(ctx, 0), in.bytes) != in.bytes) {
        fprintf(stderr, "%s: the input needs %lu bytes\n", argv[2], (unsigned long)in.bytes);
        return 1;
    }
    if (xtml_invoke(ctx) != XTML_STATUS_OK) {
        fprintf(stderr, "invoke: %s\n", xtml_ctx_detail(ctx));
        return 1;
    }

    xtml_output_info(ctx, 0, &out);
    f = fopen(argv[3], "wb");
    if (f == NULL || fwrite(xtml_output_data(ctx, 0), 1, out.bytes, f) != out.bytes) {
        perror(argv[3]);
        return 1;
    }
    fclose(f);
    printf("arena %lu of %lu bytes, output '%s' %lu bytes\n", (unsigned long)xtml_arena_used(ctx),
           (unsigned long)need, out.name, (unsigned long)out.bytes);
    return 0;
}
