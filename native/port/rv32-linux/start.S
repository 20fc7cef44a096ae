/*
 * start.S - program entry for rv32 programs run under Linux user mode
 * (qemu-riscv32): picolibc's own crt0 is for bare metal (it writes machine
 * CSRs, which trap in user mode), so programs built with this port use this
 * entry instead (-nostartfiles).
 *
 * The kernel (or qemu) enters _start with sp at the initial process stack:
 * argc, argv[0..argc-1], NULL, envp..., NULL, auxv. Registers are otherwise
 * undefined, so gp (small-data base, from the linker script) and tp (thread
 * pointer: picolibc keeps errno and friends in TLS; with one thread the
 * .tdata/.tbss image the loader placed in RAM is the thread's own block, as
 * in picolibc's bare-metal startup) are set here before any C runs.
 */
    .section .text.init.enter, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la tp, __tls_base
    mv a0, sp
    andi sp, sp, -16
    call rv32_linux_start
    /* rv32_linux_start does not return; stop here if it ever does. */
1:  j 1b
    .size _start, . - _start
