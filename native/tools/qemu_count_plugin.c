/*
 * qemu_count_plugin.c - a QEMU TCG plugin that counts the guest instructions
 * executed between marker addresses, for instruction counts on the MCU
 * instruction sets (qemu-riscv32 in Linux user mode).
 *
 *   qemu-riscv32 -plugin build/qemu-plugin/xtml_count.so,begin=0x...,end=0x...[,out=file] prog args
 *
 * begin, end: guest addresses (the first instruction of a marker function;
 * tools resolve them from the program's symbol table). Each execution of
 * `begin` opens a region, the next execution of `end` closes it and prints
 * "region <n>: <instructions>". With begin == end every execution closes the
 * open region and opens the next: counts between consecutive calls. At exit
 * "total: <instructions>" is printed (the whole program). Output goes to
 * `out` (a file, truncated) or to stderr, which the guest shares.
 *
 * How it counts: every translation block adds its instruction count to one
 * counter when it starts executing (an inline add QEMU emits into the
 * translated code, so counting costs almost nothing), and the markers read
 * the counter. A block's whole count is added on entry, so a region's count
 * is exact up to a fixed overhead from the marker blocks themselves (the
 * instructions of end's block and those after begin in begin's block are
 * inside, a constant per program: measure it with an empty region).
 * One guest thread: the rv32 programs this is for have one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

XTML_QEMU_PLUGIN_EXPORT int qemu_plugin_version = XTML_QEMU_PLUGIN_API_VERSION;

typedef struct counter {
    uint64_t executed;      /* every guest instruction so far */
    uint64_t region_start;  /* executed when the open region began */
    int in_region;
    unsigned long regions;
    uint64_t begin_addr;
    uint64_t end_addr;
    FILE *out;              /* NULL: stderr */
} counter_t;

static counter_t counter;

static void emit(const char *line) {
    FILE *f = counter.out != NULL ? counter.out : stderr;
    fputs(line, f);
    fflush(f);
}

static void close_region(void) {
    char line[64];
    if (!counter.in_region) {
        return;
    }
    counter.in_region = 0;
    counter.regions++;
    snprintf(line, sizeof line, "region %lu: %" PRIu64 "\n", counter.regions,
             counter.executed - counter.region_start);
    emit(line);
}

static void open_region(void) {
    counter.in_region = 1;
    counter.region_start = counter.executed;
}

static void on_begin(unsigned int vcpu_index, void *userdata) {
    (void)vcpu_index;
    (void)userdata;
    if (counter.begin_addr == counter.end_addr) {
        close_region();
    }
    open_region();
}

static void on_end(unsigned int vcpu_index, void *userdata) {
    (void)vcpu_index;
    (void)userdata;
    close_region();
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i;
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &counter.executed, (uint64_t)n);
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t addr = qemu_plugin_insn_vaddr(insn);
        if (addr == counter.begin_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        } else if (addr == counter.end_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
    }
}

static void on_guest_exit(qemu_plugin_id_t id, void *userdata) {
    char line[64];
    (void)id;
    (void)userdata;
    snprintf(line, sizeof line, "total: %" PRIu64 "\n", counter.executed);
    emit(line);
    if (counter.out != NULL) {
        fclose(counter.out);
        counter.out = NULL;
    }
}

/* "0x1234" or "4660" into *value; 0 on anything else. */
static int parse_address(const char *text, uint64_t *value) {
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0') {
        return 0;
    }
    *value = (uint64_t)v;
    return 1;
}

XTML_QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    int have_begin = 0, have_end = 0;
    int i;
    (void)info;
    memset(&counter, 0, sizeof counter);
    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "begin=", 6) == 0 && parse_address(arg + 6, &counter.begin_addr)) {
            have_begin = 1;
        } else if (strncmp(arg, "end=", 4) == 0 && parse_address(arg + 4, &counter.end_addr)) {
            have_end = 1;
        } else if (strncmp(arg, "out=", 4) == 0 && counter.out == NULL) {
            counter.out = fopen(arg + 4, "w");
            if (counter.out == NULL) {
                fprintf(stderr, "xtml_count: cannot write %s\n", arg + 4);
                return 1;
            }
        } else {
            fprintf(stderr, "xtml_count: bad argument '%s' (begin=ADDR,end=ADDR[,out=FILE])\n", arg);
            return 1;
        }
    }
    if (!have_begin || !have_end) {
        fprintf(stderr, "xtml_count: begin=ADDR and end=ADDR are required\n");
        return 1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_guest_exit, NULL);
    return 0;
}
