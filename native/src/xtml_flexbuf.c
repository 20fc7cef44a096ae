/*
 * xtml_flexbuf.c - the FlexBuffer map reader of xtml_flexbuf.h.
 *
 * Layout (FlexBuffers, as the flatbuffers project specifies it): the blob
 * ends with the root's packed type byte and the root's byte width; the root
 * is an offset, counted back from where it is stored, to the map's values.
 * Before the values: the offset back to the keys vector, the keys' byte width
 * and the element count, each as wide as the values; after them one packed
 * type byte per value ((type << 2) | log2 width). The keys vector is preceded
 * by its own count; each key is an offset back to a NUL-terminated string.
 * Every offset is checked to land inside the blob and every count against the
 * bytes it needs, so a malformed blob is XTML_FLEX_MALFORMED, never a read
 * outside it.
 */
#include <string.h>

#include "xtml_flexbuf.h"

enum { FLEX_INT = 1, FLEX_UINT = 2, FLEX_MAP = 9, FLEX_BOOL = 26 };

static bool width_ok(uint64_t w) {
    return w == 1 || w == 2 || w == 4 || w == 8;
}

/* Unsigned little-endian integer of width w at buf[at]. */
static uint64_t read_uint(const uint8_t *buf, size_t at, unsigned w) {
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < w; i++) {
        v |= (uint64_t)buf[at + i] << (8 * i);
    }
    return v;
}

static int64_t read_int(const uint8_t *buf, size_t at, unsigned w) {
    uint64_t v = read_uint(buf, at, w);
    if (w < 8 && (v >> (8 * w - 1)) != 0) {
        v |= ~(uint64_t)0 << (8 * w);
    }
    /* two's complement without relying on the conversion of an out-of-range value */
    return (v >> 63) != 0 ? -(int64_t)(~v) - 1 : (int64_t)v;
}

/* The target of the offset stored at buf[at] (width w): at - offset, which
 * must not go below `floor`. */
static bool back_ref(const uint8_t *buf, size_t at, unsigned w, size_t floor, size_t *target) {
    uint64_t off = read_uint(buf, at, w);
    if (off > at || at - off < floor) {
        return false;
    }
    *target = at - (size_t)off;
    return true;
}

xtml_flex_result_t xtml_flex_map(const uint8_t *buf, size_t len, xtml_flex_map_t *m) {
    size_t root, values, keys_field, keys;
    unsigned root_width, w, kw;
    uint64_t count, key_count;
    uint8_t packed;
    uint32_t i;
    memset(m, 0, sizeof *m);
    if (buf == NULL || len < 3) {
        return XTML_FLEX_MALFORMED;
    }
    root_width = buf[len - 1];
    packed = buf[len - 2];
    if (!width_ok(root_width) || len - 2 < root_width || (packed >> 2) != FLEX_MAP) {
        return XTML_FLEX_MALFORMED;
    }
    root = len - 2 - root_width;
    w = 1u << (packed & 3);
    /* values - 3w holds the keys offset: the values start at least 3w in */
    if (!back_ref(buf, root, root_width, 3 * (size_t)w, &values)) {
        return XTML_FLEX_MALFORMED;
    }
    count = read_uint(buf, values - w, w);
    kw = (unsigned)read_uint(buf, values - 2 * (size_t)w, w);
    keys_field = values - 3 * (size_t)w;
    /* count values of width w and count type bytes must fit before the root */
    if (!width_ok(kw) || count > (root - values) / (w + 1u)) {
        return XTML_FLEX_MALFORMED;
    }
    if (!back_ref(buf, keys_field, w, kw, &keys)) {
        return XTML_FLEX_MALFORMED;
    }
    key_count = read_uint(buf, keys - kw, kw);
    if (key_count != count || count > (len - keys) / kw) {
        return XTML_FLEX_MALFORMED;
    }
    m->buf = buf;
    m->len = len;
    m->values = values;
    m->keys = keys;
    m->count = (uint32_t)count;
    m->width = (uint8_t)w;
    m->key_width = (uint8_t)kw;
    for (i = 0; i < m->count; i++) {
        size_t key;
        if (!back_ref(buf, keys + (size_t)i * kw, kw, 0, &key) || memchr(buf + key, 0, len - key) == NULL) {
            memset(m, 0, sizeof *m);
            return XTML_FLEX_MALFORMED;
        }
    }
    return XTML_FLEX_OK;
}

const char *xtml_flex_key(const xtml_flex_map_t *m, uint32_t i) {
    size_t at = m->keys + (size_t)i * m->key_width;
    return (const char *)m->buf + (at - (size_t)read_uint(m->buf, at, m->key_width));
}

xtml_flex_result_t xtml_flex_int(const xtml_flex_map_t *m, const char *key, int64_t lo, int64_t hi,
                                 int64_t *value) {
    uint32_t i;
    for (i = 0; i < m->count; i++) {
        if (strcmp(xtml_flex_key(m, i), key) == 0) {
            size_t at = m->values + (size_t)i * m->width;
            unsigned type = m->buf[m->values + (size_t)m->count * m->width + i] >> 2;
            int64_t v;
            if (type == FLEX_INT) {
                v = read_int(m->buf, at, m->width);
            } else if (type == FLEX_UINT || type == FLEX_BOOL) {
                uint64_t u = read_uint(m->buf, at, m->width);
                if (u > (uint64_t)INT64_MAX) {
                    return XTML_FLEX_RANGE;
                }
                v = (int64_t)u;
            } else {
                return XTML_FLEX_WRONG_TYPE;
            }
            if (v < lo || v > hi) {
                return XTML_FLEX_RANGE;
            }
            *value = v;
            return XTML_FLEX_OK;
        }
    }
    return XTML_FLEX_ABSENT;
}

int32_t xtml_flex_unknown_key(const xtml_flex_map_t *m, const char *const *known, int n) {
    uint32_t i;
    for (i = 0; i < m->count; i++) {
        const char *k = xtml_flex_key(m, i);
        int j;
        bool found = false;
        for (j = 0; j < n && !found; j++) {
            found = strcmp(k, known[j]) == 0;
        }
        if (!found) {
            return (int32_t)i;
        }
    }
    return -1;
}
