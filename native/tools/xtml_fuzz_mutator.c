/*
 * xtml_fuzz_mutator.c - libFuzzer custom mutator and crossover that keep
 * inputs models (tools/xtml_gen.h).
 *
 * An input that the verifier accepts is read back into the generator's
 * structures and changed within the schema: either its recipe is mutated
 * (libFuzzer's own byte mutations, on the recipe) and the model regenerated,
 * which changes one decision and keeps every shape consistent, or one to three
 * field mutations are applied (shapes, types, quantization, buffers, indices,
 * options, operators). Inputs that do not verify get libFuzzer's byte
 * mutations or are replaced by a fresh model; a small share of valid models
 * get byte mutations too, for the verifier. Crossover splices two recipes.
 */
#include <stdint.h>
#include <string.h>

#include "xtml_gen.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size, unsigned int seed);

/* Largest model the mutator reads (libFuzzer's -max_len caps what it writes). */
#define MUTATOR_MAX_MODEL (1u << 20)

static xtml_gen_model_t mutator_model;
static uint8_t mutator_aligned[MUTATOR_MAX_MODEL] __attribute__((aligned(16)));
static uint8_t mutator_out[MUTATOR_MAX_MODEL] __attribute__((aligned(16)));
static uint8_t mutator_recipe[XTML_GEN_RECIPE_MAX];

/* Serialize mutator_model into data when it fits; 0 otherwise. */
static size_t emit(uint8_t *data, size_t max_size) {
    size_t n = xtml_gen_write(&mutator_model, mutator_out, sizeof mutator_out);
    if (n == 0 || n > max_size) {
        return 0;
    }
    memcpy(data, mutator_out, n);
    return n;
}

static size_t fresh(xtml_gen_rng_t *r, uint8_t *data, size_t max_size) {
    size_t n = xtml_gen_recipe(r, mutator_recipe, sizeof mutator_recipe);
    xtml_gen_build(&mutator_model, mutator_recipe, n);
    return emit(data, max_size);
}

/* Read data (copied to an aligned buffer, as a model in flash would be). */
static int read_model(const uint8_t *data, size_t size) {
    if (size > sizeof mutator_aligned) {
        return 0;
    }
    memcpy(mutator_aligned, data, size);
    return xtml_gen_read(&mutator_model, mutator_aligned, size);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    xtml_gen_rng_t r;
    uint32_t c;
    size_t n = 0;
    r.state = (uint64_t)seed * 0x9e3779b97f4a7c15ull + 1;
    c = xtml_gen_below(&r, 100);
    if (c < 4) {
        n = fresh(&r, data, max_size);
    } else if (c < 12) {
        /* Bytes, whatever the input. */
    } else if (read_model(data, size)) {
        size_t len;
        const uint8_t *recipe = xtml_gen_model_recipe(&mutator_model, &len);
        if (recipe != NULL && c < 55) {
            memcpy(mutator_recipe, recipe, len);
            len = LLVMFuzzerMutate(mutator_recipe, len, sizeof mutator_recipe);
            xtml_gen_build(&mutator_model, mutator_recipe, len);
        } else {
            uint32_t k, times = 1 + xtml_gen_below(&r, 3);
            for (k = 0; k < times; k++) {
                xtml_gen_mutate(&mutator_model, &r);
            }
        }
        n = emit(data, max_size);
    } else if (c < 40) {
        n = fresh(&r, data, max_size);
    }
    return n != 0 ? n : LLVMFuzzerMutate(data, size, max_size);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size, unsigned int seed) {
    static uint8_t first[XTML_GEN_RECIPE_MAX];
    size_t len1, len2, cut1, cut2;
    const uint8_t *recipe;
    xtml_gen_rng_t r;
    r.state = (uint64_t)seed * 0x9e3779b97f4a7c15ull + 2;
    if (!read_model(data1, size1) || (recipe = xtml_gen_model_recipe(&mutator_model, &len1)) == NULL) {
        return 0;
    }
    memcpy(first, recipe, len1);
    if (!read_model(data2, size2) || (recipe = xtml_gen_model_recipe(&mutator_model, &len2)) == NULL) {
        return 0;
    }
    /* The first recipe's head, the second's tail. */
    cut1 = xtml_gen_below(&r, (uint32_t)len1 + 1);
    cut2 = xtml_gen_below(&r, (uint32_t)len2 + 1);
    if (cut1 + (len2 - cut2) > sizeof mutator_recipe) {
        return 0;
    }
    memcpy(mutator_recipe, first, cut1);
    memcpy(mutator_recipe + cut1, recipe + cut2, len2 - cut2);
    xtml_gen_build(&mutator_model, mutator_recipe, cut1 + len2 - cut2);
    return emit(out, max_out_size);
}
