/*
 * xtml_signal.h - what the signal library's kernels share (xtml_signal.c,
 * xtml_signal_fft.c, xtml_signal_stream.c): reading their FlexBuffer options
 * with a specific status for every problem.
 */
#ifndef XTML_SIGNAL_H
#define XTML_SIGNAL_H

#include "xtml_internal.h"
#include "xtml_flexbuf.h"

/* The operator's custom options as a FlexBuffer map holding no key outside
 * the `n` in `keys`; BAD_OPTIONS naming the problem otherwise. */
xtml_status_t xtml_signal_options(xtml_prep_t *p, xtml_flex_map_t *m, const char *const *keys, int n);
/* The integer (or bool) option `key`, within [lo, hi]; BAD_OPTIONS naming the
 * key and the problem otherwise. */
xtml_status_t xtml_signal_int64(xtml_prep_t *p, const xtml_flex_map_t *m, const char *key, int64_t lo, int64_t hi,
                                int64_t *value);

#endif
