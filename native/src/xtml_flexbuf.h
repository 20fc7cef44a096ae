/*
 * xtml_flexbuf.h - a bounds-checked reader of the FlexBuffer maps that hold
 * custom operators' options (the signal library's), for their prepare().
 *
 * xtml_flex_map() checks the root, the map's keys and value types against
 * the blob's bounds once; lookups then only read inside them. Keys are found
 * by name (TFLM reads the sorted map by position: the same value whenever the
 * map holds exactly the keys the operator expects, which prepare checks).
 */
#ifndef XTML_FLEXBUF_H
#define XTML_FLEXBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xtml_flex_map {
    const uint8_t *buf;
    size_t len;
    size_t values;      /* first value's offset in buf */
    size_t keys;        /* first key offset's offset in buf */
    uint32_t count;
    uint8_t width;      /* byte width of the values */
    uint8_t key_width;  /* byte width of the key offsets */
} xtml_flex_map_t;

typedef enum xtml_flex_result {
    XTML_FLEX_OK = 0,
    XTML_FLEX_MALFORMED,   /* not a well-formed FlexBuffer whose root is a map */
    XTML_FLEX_ABSENT,      /* no such key */
    XTML_FLEX_WRONG_TYPE,  /* the key's value is not an inline integer or bool */
    XTML_FLEX_RANGE        /* the integer does not fit the range asked for */
} xtml_flex_result_t;

/* Check `len` bytes as a FlexBuffer whose root is a map. */
xtml_flex_result_t xtml_flex_map(const uint8_t *buf, size_t len, xtml_flex_map_t *m);
/* The integer (INT, UINT or BOOL stored inline) under `key`, within [lo, hi]. */
xtml_flex_result_t xtml_flex_int(const xtml_flex_map_t *m, const char *key, int64_t lo, int64_t hi,
                                 int64_t *value);
/* Whether the map holds a key other than the `n` in `known`. Returns its
 * index, or -1 when every key is known. */
int32_t xtml_flex_unknown_key(const xtml_flex_map_t *m, const char *const *known, int n);
/* Key i (NUL-terminated inside the blob: checked by xtml_flex_map()). */
const char *xtml_flex_key(const xtml_flex_map_t *m, uint32_t i);

#endif
