/*
 * xtml_port.h - the platform hooks of the core: a tick clock for profiling.
 *
 * Define XTML_PORT_TICKS() (returning uint32_t) before including xtml.h, or
 * build with -DXTML_PORT_HEADER=\"my_port.h\", to use a board's own clock.
 * Ticks are only ever subtracted, so a wrapping 32-bit counter is fine.
 */
#ifndef XTML_PORT_H
#define XTML_PORT_H

#include <stdint.h>

#ifdef XTML_PORT_HEADER
#include XTML_PORT_HEADER
#endif

#ifndef XTML_PORT_TICKS
#if defined(ESP_PLATFORM)
/* ESP32: the CPU cycle counter. */
#include "esp_cpu.h"
#define XTML_PORT_TICKS() ((uint32_t)esp_cpu_get_cycle_count())
#define XTML_PORT_TICKS_PER_SECOND 0u /* CPU clock; board-dependent */
#elif defined(__EMSCRIPTEN__) || defined(__wasm__)
/* WebAssembly: the host supplies a microsecond clock as an import. */
uint32_t xtml_host_ticks(void);
#define XTML_PORT_TICKS() xtml_host_ticks()
#define XTML_PORT_TICKS_PER_SECOND 1000000u
#elif defined(__unix__) || defined(__APPLE__)
/* POSIX hosts: a monotonic microsecond clock (xtml_port.c). */
uint32_t xtml_port_ticks_posix(void);
#define XTML_PORT_TICKS() xtml_port_ticks_posix()
#define XTML_PORT_TICKS_PER_SECOND 1000000u
#else
#define XTML_PORT_TICKS() 0u
#define XTML_PORT_TICKS_PER_SECOND 0u
#endif
#endif

#endif /* XTML_PORT_H */
