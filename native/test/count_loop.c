/*
 * count_loop.c - a loop of known length, to check the instruction counter
 * (tools/qemu_count_plugin.c) on rv32.
 *
 *   count_loop N      runs an N-iteration loop of exactly two instructions
 *                     (addi, bnez) between count_begin() and count_end()
 *
 * The count for N minus the count for 1 must be 2 * (N - 1).
 */
#include <stdio.h>
#include <stdlib.h>

static volatile int marker;
void count_begin(void) __attribute__((noinline));
void count_end(void) __attribute__((noinline));
void count_begin(void) {
    marker = 1;
}
void count_end(void) {
    marker = 2;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    if (n < 1) {
        fprintf(stderr, "usage: count_loop N (N >= 1)\n");
        return 2;
    }
    count_begin();
#if defined(__riscv)
    __asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
#else
#error "count_loop is for rv32"
#endif
    count_end();
    printf("%ld\n", n);
    return 0;
}
