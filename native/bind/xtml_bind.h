/*
 * xtml_bind.h - what the three bindings (WebAssembly, N-API, XS) share: a
 * session record that owns the arena (and a model copy where the host cannot
 * lend stable model memory) and records per-operator ticks for profiling.
 * Bindings allocate it with their host's allocator; the core never allocates.
 */
#ifndef XTML_BIND_H
#define XTML_BIND_H

#include "xtml.h"

typedef struct xtml_bind_profile {
    int32_t count;        /* operators */
    uint32_t *ticks;      /* ticks[count] of the last invoke */
} xtml_bind_profile_t;

/* xtml_profile_fn that stores ticks into an xtml_bind_profile_t. */
void xtml_bind_record_ticks(void *user, int32_t op_index, const char *op_name, uint32_t ticks);

/* Start of the first XTML_ARENA_ALIGN boundary at or after p. */
void *xtml_bind_align(void *p);

#endif /* XTML_BIND_H */
