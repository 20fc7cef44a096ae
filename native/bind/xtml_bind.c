/* xtml_bind.c - helpers shared by the bindings; see xtml_bind.h. */
#include "xtml_bind.h"

void xtml_bind_record_ticks(void *user, int32_t op_index, const char *op_name, uint32_t ticks) {
    xtml_bind_profile_t *profile = user;
    (void)op_name;
    if (op_index >= 0 && op_index < profile->count) {
        profile->ticks[op_index] = ticks;
    }
}

void *xtml_bind_align(void *p) {
    uintptr_t a = (uintptr_t)p;
    return (void *)((a + (XTML_ARENA_ALIGN - 1)) & ~(uintptr_t)(XTML_ARENA_ALIGN - 1));
}
