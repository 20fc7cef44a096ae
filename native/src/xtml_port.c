/* xtml_port.c - the default clock of POSIX hosts (see xtml_port.h). */
#if (defined(__unix__) || defined(__APPLE__)) && !defined(__wasm__) && !defined(XTML_PORT_TICKS)
#define _POSIX_C_SOURCE 199309L
#include <time.h>

#include "xtml_port.h"

uint32_t xtml_port_ticks_posix(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int xtml_port_unused;
#endif
