/*
 * test_malformed.c - the core against malformed models.
 *
 *   test_malformed [reference-dir]      (default ../shared/reference from the repo root)
 *   test_malformed reference-dir model.tflite...
 *                                       these models instead of every .tflite in the
 *                                       reference set's models/, ops/models/ and
 *                                       ops/refused/ (required where there is no
 *                                       directory listing: the rv32 build)
 *   XTML_FLIP_TRIALS=n                  byte-flip trials per model (default 2000)
 *   XTML_TIME_SCALE=n                   multiply every hang guard by n (default 1),
 *                                       for runs under an emulator
 *
 * Parts:
 *   1. One malformed model per class of error the verifier (and the planner)
 *      reports, made by patching a real reference model in memory. Each must
 *      give the exact status from xtml_model_verify(), xtml_arena_size() and
 *      xtml_init(), with a detail message naming the offending object. Then
 *      graphs rebuilt from a model's tensors (operator cycles, verification
 *      time on crafted large lists) and the arena contract.
 *   2. Per reference model: arena_size / init with one byte less / exactly /
 *      misaligned / invoke; boundary values written into every shape,
 *      quantization parameter, option field and small int32 constant (models
 *      up to 64 KiB); every truncation refused; random byte flips (fixed
 *      seed) through verify, arena_size, init and invoke never crash, and init
 *      always fits in what arena_size asked for.
 *
 * Each group and each model's part runs in a child process with a time
 * limit, so a crash, sanitizer report or hang is one failed check (naming
 * what ran and where the offending model was saved) and the run goes on.
 * Output: "ok N - ..." / "not ok N - ...: got ..." per check, then the line
 * "N passed, M failed"; the exit status is non-zero on any failure.
 *
 * How mutations are made: flatbuffer offsets (uoffset) only point forward, so
 * a new object can be appended at the end of a copy as long as whatever
 * points at it lies before it. To give a table a field it lacks, the table
 * gets a private copy of its vtable appended at the end (vtables are found
 * through a signed offset, so they may live anywhere), the value is appended
 * too, and the new vtable slot points at it; the vtable's table length grows
 * to cover it. This works while the appended bytes are within 64 KiB of the
 * table, which holds for the small base models used here. New graphs are
 * written in front of a model instead (see build_graph()).
 *
 * A host test program: it uses the C library's heap, fork() and pipes freely.
 * Every model or arena handed to the core sits in an exactly sized allocation
 * so that AddressSanitizer (the asan build) sees any read past the end.
 */
#define _POSIX_C_SOURCE 200112L
/*
 * Hosts with processes (POSIX) run each part in a child with a time limit.
 * Elsewhere (the rv32 build run under qemu-riscv32, on picolibc and a few
 * Linux system calls: no fork, no signals, no directory listing) the parts
 * run one after another in this process, each announced by a "# part" line
 * so that a crash, which ends the run, names what was running; the models
 * come from the command line.
 */
#if (defined(__unix__) || defined(__APPLE__)) && !defined(TM_SINGLE_PROCESS)
#define TM_PROCESSES 1
#endif
#ifdef TM_PROCESSES
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#endif
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "xtml.h"
#include "xtml_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define TM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TM_ASAN 1
#endif
#endif
#ifdef TM_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* Room for appended objects in a mutated copy. */
#define MUT_ROOM 0x48000u
/* Models up to this size get a fresh exactly sized copy per truncation. */
#define TRUNC_COPY_MAX 0x10000u
/* Flip trials per model, and invoke work allowed per model (MACs + arena bytes). */
#define FLIP_TRIALS 2000u
#define FLIP_INVOKE_BUDGET 400000000ull
/* Largest arena the flip test allocates. */
#define FLIP_ARENA_MAX ((size_t)64 << 20)
#define MAX_NEEDLES 4

/* Every hang guard is multiplied by this (XTML_TIME_SCALE). */
static int time_scale = 1;

/*
 * Seconds a call on a crafted graph may run before it is taken for a hang.
 * A hang guard, not a speed check: nothing here asserts how fast the core
 * is (a loaded machine or a sanitizer build must not fail a check); speed
 * belongs to the benchmarks.
 */
#define HANG_GUARD_SECONDS 120

/* ---- results ---- */

static int n_checks;
static int n_failed;

/*
 * XTML_DUMP_DIR=dir: also write every malformed-class model to dir as
 * g<group>-<n>.tflite, with a line "file<TAB>status<TAB>description" in
 * dir/index.tsv, and skip the per-model sweeps. The REST API tests send these
 * models to PUT /model and expect the same status.
 */
static const char *dump_dir;
static int dump_group;
static int dump_seq;
/* In a child (see isolated()), results go to this pipe instead of stdout. */
static int result_fd = -1;

/* Write all of a buffer to a descriptor (async-signal-safe). */
static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* One pipe record: a kind letter, then tab-separated fields, then a newline. */
static void send_record(char kind, const char *a, const char *b) {
    char line[1200];
    size_t n = 0, i;
    const char *fields[2];
    int f;
    fields[0] = a;
    fields[1] = b;
    line[n++] = kind;
    for (f = 0; f < 2; f++) {
        line[n++] = '\t';
        for (i = 0; fields[f] != NULL && fields[f][i] != '\0' && n < sizeof line - 2; i++) {
            char c = fields[f][i];
            line[n++] = c == '\t' || c == '\n' ? ' ' : c;
        }
    }
    line[n++] = '\n';
    write_all(result_fd, line, n);
}

static void result(int ok, const char *desc, const char *got) {
    if (result_fd >= 0) {
        send_record(ok ? 'P' : 'F', desc, got);
        return;
    }
    n_checks++;
    if (ok) {
        printf("ok %d - %s\n", n_checks, desc);
    } else {
        n_failed++;
        printf("not ok %d - %s: got %s\n", n_checks, desc, got);
    }
    fflush(stdout);
}

static void skip(const char *desc, const char *why) {
    if (result_fd >= 0) {
        send_record('S', desc, why);
        return;
    }
    n_checks++;
    printf("ok %d - %s # SKIP %s\n", n_checks, desc, why);
    fflush(stdout);
}

/* ---- memory ---- */

/* `bytes` bytes (at least 1) aligned to 16, nothing after them. */
static uint8_t *alloc16(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 16, bytes != 0 ? bytes : 1) != 0) {
        fprintf(stderr, "test_malformed: out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}

typedef struct blob {
    char *path;
    const char *label;   /* file name without directory */
    uint8_t *data;       /* 16-byte aligned */
    size_t len;
} blob_t;

static int blob_read(const char *path, blob_t *b) {
    FILE *f = fopen(path, "rb");
    long size;
    memset(b, 0, sizeof *b);
    if (f == NULL) {
        return 0;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return 0;
    }
    b->data = alloc16((size_t)size);
    if (fread(b->data, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(b->data);
        b->data = NULL;
        return 0;
    }
    fclose(f);
    b->len = (size_t)size;
    b->path = malloc(strlen(path) + 1);
    if (b->path == NULL) {
        exit(2);
    }
    strcpy(b->path, path);
    b->label = strrchr(b->path, '/') != NULL ? strrchr(b->path, '/') + 1 : b->path;
    return 1;
}

/* ---- crashes: keep the model being tried so a crash can be replayed ---- */

static const uint8_t *crash_model;
static size_t crash_len;
static char crash_what[200];

#ifdef TM_PROCESSES
static char crash_path[300];

/* On the way down (signal or sanitizer report): save the model, tell the parent. */
static void crash_dump(void) {
    int fd;
    if (crash_model == NULL) {
        return;
    }
    fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        write_all(fd, (const char *)crash_model, crash_len);
        close(fd);
    }
    if (result_fd >= 0) {
        write_all(result_fd, "C\t", 2);
        write_all(result_fd, crash_what, strlen(crash_what));
        write_all(result_fd, "\n", 1);
    }
}

#ifndef TM_ASAN
static void crash_signal(int sig) {
    crash_dump();
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

static void crash_handlers(void) {
#ifdef TM_ASAN
    __asan_set_death_callback(crash_dump);
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crash_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
#endif
}
#else
/* One process: a crash ends the run; qemu reports the signal. */
static void crash_handlers(void) {
}
#endif

static void crash_watch(const uint8_t *model, size_t len, const char *fmt, ...) {
    va_list ap;
    crash_model = model;
    crash_len = len;
    va_start(ap, fmt);
    vsnprintf(crash_what, sizeof crash_what, fmt, ap);
    va_end(ap);
}

#ifdef TM_PROCESSES
/*
 * Run fn(arg) in a child process with `seconds` to finish. Its results come
 * back over a pipe and are numbered here; a crash, sanitizer report or hang
 * becomes one failed check naming what was running and where the model that
 * did it was saved, and the run goes on.
 */
static void isolated(const char *label, void (*fn)(const void *), const void *arg, int seconds) {
    int fds[2];
    pid_t pid;
    char *text = NULL;
    size_t len = 0, cap = 0;
    int wstatus = 0, timed_out = 0;
    time_t start = time(NULL);
    char *line, *next;
    char crashed_while[260] = "";
    char path[300];
    size_t i;
    seconds *= time_scale;

    snprintf(path, sizeof path, "/tmp/test_malformed_crash_%s%s", label,
             strstr(label, ".tflite") != NULL ? "" : ".tflite");
    for (i = strlen("/tmp/test_malformed_crash_"); path[i] != '\0'; i++) {
        if (path[i] == '/' || path[i] == ' ') {
            path[i] = '_';
        }
    }
    fflush(stdout);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        result(0, label, "pipe/fork failed");
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        result_fd = fds[1];
        snprintf(crash_path, sizeof crash_path, "%s", path);
        fn(arg);
        crash_model = NULL;
        close(result_fd);
        exit(0);
    }
    close(fds[1]);
    for (;;) {
        struct pollfd pfd;
        pfd.fd = fds[0];
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 200) > 0) {
            ssize_t r;
            if (len + 4096 > cap) {
                cap = cap != 0 ? 2 * cap : 65536;
                text = realloc(text, cap);
                if (text == NULL) {
                    exit(2);
                }
            }
            r = read(fds[0], text + len, cap - len - 1);
            if (r <= 0) {
                break;
            }
            len += (size_t)r;
        } else if (time(NULL) - start > seconds) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
    }
    close(fds[0]);
    waitpid(pid, &wstatus, 0);
    if (text == NULL) {
        text = malloc(1);
        if (text == NULL) {
            exit(2);
        }
    }
    text[len] = '\0';
    for (line = text; *line != '\0'; line = next) {
        char *a, *b;
        next = strchr(line, '\n');
        if (next == NULL) {
            break; /* a record cut short by the crash */
        }
        *next++ = '\0';
        a = strchr(line, '\t');
        b = a != NULL ? strchr(a + 1, '\t') : NULL;
        if (a == NULL) {
            continue;
        }
        *a++ = '\0';
        if (b != NULL) {
            *b++ = '\0';
        }
        if (line[0] == 'P' || line[0] == 'F') {
            result(line[0] == 'P', a, b != NULL ? b : "");
        } else if (line[0] == 'S') {
            skip(a, b != NULL ? b : "");
        } else if (line[0] == 'C') {
            snprintf(crashed_while, sizeof crashed_while, "%s", a);
        }
    }
    free(text);
    if (timed_out) {
        char got[400];
        snprintf(got, sizeof got, "no result after %d s (killed: a hang?)", seconds);
        result(0, label, got);
    } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        char got[700];
        snprintf(got, sizeof got, "crashed (%s %d, report on stderr)%s%s%s%s", WIFSIGNALED(wstatus) ? "signal" : "exit",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus),
                 crashed_while[0] != '\0' ? " while running: " : "", crashed_while,
                 crashed_while[0] != '\0' ? "; model saved to " : "", crashed_while[0] != '\0' ? path : "");
        result(0, label, got);
    }
}
#else
/* Run fn(arg) here; the time limit is the caller's (the test's timeout). */
static void isolated(const char *label, void (*fn)(const void *), const void *arg, int seconds) {
    (void)seconds;
    printf("# %s\n", label);
    fflush(stdout);
    fn(arg);
    crash_model = NULL;
}
#endif

/* ---- a model copy being mutated ---- */

typedef struct mut {
    uint8_t *data;
    size_t len;
    size_t cap;
    char err[120];   /* first failed mutation step, "" if none */
} mut_t;

static void mut_fail(mut_t *m, const char *fmt, ...) {
    va_list ap;
    if (m->err[0] != '\0') {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
}

static void mut_begin(mut_t *m, const blob_t *base) {
    memset(m, 0, sizeof *m);
    m->cap = base->len + MUT_ROOM;
    m->data = alloc16(m->cap);
    memcpy(m->data, base->data, base->len);
    memset(m->data + base->len, 0, m->cap - base->len);
    m->len = base->len;
}

static void mut_end(mut_t *m) {
    free(m->data);
    m->data = NULL;
}

static int mut_ok(const mut_t *m) {
    return m->err[0] == '\0';
}

static void wr_u16(mut_t *m, size_t pos, uint16_t v) {
    if (pos + 2 > m->len) {
        mut_fail(m, "write of 2 bytes at %zu outside the model", pos);
        return;
    }
    m->data[pos] = (uint8_t)v;
    m->data[pos + 1] = (uint8_t)(v >> 8);
}

static void wr_u32(mut_t *m, size_t pos, uint32_t v) {
    int i;
    if (pos + 4 > m->len) {
        mut_fail(m, "write of 4 bytes at %zu outside the model", pos);
        return;
    }
    for (i = 0; i < 4; i++) {
        m->data[pos + (size_t)i] = (uint8_t)(v >> (8 * i));
    }
}

static void wr_i32(mut_t *m, size_t pos, int32_t v) {
    wr_u32(m, pos, (uint32_t)v);
}

static void wr_f32(mut_t *m, size_t pos, float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    wr_u32(m, pos, u);
}

static void wr_i64(mut_t *m, size_t pos, int64_t v) {
    wr_u32(m, pos, (uint32_t)(uint64_t)v);
    wr_u32(m, pos + 4, (uint32_t)((uint64_t)v >> 32));
}

static void le32(uint8_t *out, uint32_t v) {
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)(v >> 16);
    out[3] = (uint8_t)(v >> 24);
}

/* Append n bytes (zeros when bytes is NULL) at the next multiple of align. */
static size_t mut_append(mut_t *m, size_t align, const void *bytes, size_t n) {
    size_t pos = (m->len + align - 1) / align * align;
    if (!mut_ok(m)) {
        return 0;
    }
    if (pos + n > m->cap) {
        mut_fail(m, "no room to append %zu bytes", n);
        return 0;
    }
    memset(m->data + m->len, 0, pos - m->len);
    if (bytes != NULL) {
        memcpy(m->data + pos, bytes, n);
    } else {
        memset(m->data + pos, 0, n);
    }
    m->len = pos + n;
    return pos;
}

/* ---- finding things in the (still valid) parts of a copy ---- */

static xtml_fb_table_t tbl(const mut_t *m, size_t pos) {
    return xtml_fb_at(m->data, (uint32_t)pos);
}

static size_t root_pos(const mut_t *m) {
    return xtml_ld_u32(m->data);
}

static xtml_fb_vec_t vec_of(const mut_t *m, size_t pos, int field) {
    xtml_fb_table_t t = tbl(m, pos);
    return xtml_fb_vec(&t, field);
}

static size_t field_pos(const mut_t *m, size_t pos, int field) {
    xtml_fb_table_t t = tbl(m, pos);
    return xtml_fb_field(&t, field);
}

/* Absolute position of element i of a vector field; 0 (and a failure) when absent. */
static size_t elem_pos(mut_t *m, size_t pos, int field, size_t elem, uint32_t i) {
    xtml_fb_vec_t v;
    if (!mut_ok(m)) {
        return 0;
    }
    v = vec_of(m, pos, field);
    if (v.data == NULL || i >= v.len) {
        mut_fail(m, "vector field %d of the table at %zu has no element %u", field, pos, (unsigned)i);
        return 0;
    }
    return (size_t)(v.data - m->data) + elem * i;
}

/* Position of the length word of a vector field. */
static size_t vec_len_pos(mut_t *m, size_t pos, int field) {
    xtml_fb_vec_t v = vec_of(m, pos, field);
    if (v.data == NULL) {
        mut_fail(m, "table at %zu has no vector field %d", pos, field);
        return 0;
    }
    return (size_t)(v.data - m->data) - 4;
}

/* Table element i of a vector-of-tables field. */
static size_t child_pos(mut_t *m, size_t pos, int field, uint32_t i) {
    size_t at = elem_pos(m, pos, field, 4, i);
    return at == 0 ? 0 : at + xtml_ld_u32(m->data + at);
}

static size_t subgraph_pos(mut_t *m) {
    return child_pos(m, root_pos(m), XTML_MODEL_SUBGRAPHS, 0);
}

static size_t tensor_pos(mut_t *m, uint32_t i) {
    return child_pos(m, subgraph_pos(m), XTML_SUBGRAPH_TENSORS, i);
}

static size_t op_pos(mut_t *m, uint32_t i) {
    return child_pos(m, subgraph_pos(m), XTML_SUBGRAPH_OPERATORS, i);
}

static size_t opcode_pos(mut_t *m, uint32_t i) {
    return child_pos(m, root_pos(m), XTML_MODEL_OPCODES, i);
}

static size_t buffer_pos(mut_t *m, uint32_t i) {
    return child_pos(m, root_pos(m), XTML_MODEL_BUFFERS, i);
}

static size_t quant_pos(mut_t *m, uint32_t tensor) {
    size_t t = tensor_pos(m, tensor);
    size_t at = t != 0 ? field_pos(m, t, XTML_TENSOR_QUANT) : 0;
    if (at == 0) {
        mut_fail(m, "tensor %u has no quantization", (unsigned)tensor);
        return 0;
    }
    return at + xtml_ld_u32(m->data + at);
}

static uint32_t count_of(const mut_t *m, size_t pos, int field) {
    return vec_of(m, pos, field).len;
}

static uint32_t n_tensors(mut_t *m) {
    return count_of(m, subgraph_pos(m), XTML_SUBGRAPH_TENSORS);
}

static uint32_t n_buffers(mut_t *m) {
    return count_of(m, root_pos(m), XTML_MODEL_BUFFERS);
}

static uint32_t n_opcodes(mut_t *m) {
    return count_of(m, root_pos(m), XTML_MODEL_OPCODES);
}

static const char *tensor_name(mut_t *m, uint32_t i) {
    xtml_fb_table_t t = tbl(m, tensor_pos(m, i));
    return xtml_fb_str(&t, XTML_TENSOR_NAME);
}

static int32_t op_io(mut_t *m, uint32_t op, int field, uint32_t i) {
    size_t at = elem_pos(m, op_pos(m, op), field, 4, i);
    return at != 0 ? xtml_ld_i32(m->data + at) : -1;
}

/* ---- changing tables ---- */

/* Give the table at pos a private vtable with at least n_fields slots. */
static size_t own_vtable(mut_t *m, size_t pos, int n_fields) {
    uint8_t tmp[4 + 2 * 96];
    xtml_fb_table_t t;
    size_t len;
    size_t vt;
    if (!mut_ok(m)) {
        return 0;
    }
    t = tbl(m, pos);
    len = t.vt_len;
    if ((size_t)(4 + 2 * n_fields) > len) {
        len = (size_t)(4 + 2 * n_fields);
    }
    if (len > sizeof tmp) {
        mut_fail(m, "vtable too long to copy");
        return 0;
    }
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, m->data + t.vt, t.vt_len);
    tmp[0] = (uint8_t)len;
    tmp[1] = (uint8_t)(len >> 8);
    vt = mut_append(m, 2, tmp, len);
    wr_i32(m, pos, (int32_t)((int64_t)pos - (int64_t)vt));
    return vt;
}

static void set_slot(mut_t *m, size_t pos, int field, uint16_t off) {
    size_t vt = own_vtable(m, pos, field + 1);
    if (vt != 0) {
        wr_u16(m, vt + 4 + 2 * (size_t)field, off);
    }
}

static void clear_field(mut_t *m, size_t pos, int field) {
    set_slot(m, pos, field, 0);
}

/* Make field `field` of the table at pos refer to `size` bytes at `at` (after the table). */
static void attach(mut_t *m, size_t pos, int field, size_t at, size_t size) {
    size_t vt;
    size_t off = at - pos;
    if (!mut_ok(m)) {
        return;
    }
    if (at <= pos || off + size > 0xffffu) {
        mut_fail(m, "appended field at %zu is out of reach of the table at %zu", at, pos);
        return;
    }
    vt = own_vtable(m, pos, field + 1);
    wr_u16(m, vt + 4 + 2 * (size_t)field, (uint16_t)off);
    if (off + size > xtml_ld_u16(m->data + vt + 2)) {
        wr_u16(m, vt + 2, (uint16_t)(off + size));
    }
}

/* Set a scalar field: in place when present, else appended and attached. */
static void set_scalar(mut_t *m, size_t pos, int field, const void *bytes, size_t size) {
    size_t at;
    if (!mut_ok(m) || pos == 0) {
        mut_fail(m, "no table to set field %d in", field);
        return;
    }
    at = field_pos(m, pos, field);
    if (at != 0) {
        memcpy(m->data + at, bytes, size);
        return;
    }
    at = mut_append(m, size, bytes, size);
    attach(m, pos, field, at, size);
}

static void set_u8(mut_t *m, size_t pos, int field, uint8_t v) {
    set_scalar(m, pos, field, &v, 1);
}

static void set_u32(mut_t *m, size_t pos, int field, uint32_t v) {
    uint8_t b[4];
    le32(b, v);
    set_scalar(m, pos, field, b, 4);
}

static void set_i64(mut_t *m, size_t pos, int field, int64_t v) {
    uint8_t b[8];
    le32(b, (uint32_t)(uint64_t)v);
    le32(b + 4, (uint32_t)((uint64_t)v >> 32));
    set_scalar(m, pos, field, b, 8);
}

/* The 4-byte uoffset cell of an offset field, appended (and attached) when absent. */
static size_t offset_cell(mut_t *m, size_t pos, int field) {
    size_t at;
    if (!mut_ok(m) || pos == 0) {
        mut_fail(m, "no table to set field %d in", field);
        return 0;
    }
    at = field_pos(m, pos, field);
    if (at != 0) {
        return at;
    }
    at = mut_append(m, 4, NULL, 4);
    attach(m, pos, field, at, 4);
    return at;
}

static void link_to(mut_t *m, size_t cell, size_t target) {
    if (!mut_ok(m)) {
        return;
    }
    if (target <= cell) {
        mut_fail(m, "offset at %zu cannot point back to %zu", cell, target);
        return;
    }
    wr_u32(m, cell, (uint32_t)(target - cell));
}

/* Append a vector (data 16-byte aligned) of count elements; nul adds a 0 after. */
static size_t append_vector(mut_t *m, size_t elem, const void *data, uint32_t count, int nul) {
    uint8_t lenw[4];
    size_t pos;
    size_t pad = (16 - (m->len + 4) % 16) % 16;
    mut_append(m, 1, NULL, pad);
    le32(lenw, count);
    pos = mut_append(m, 1, lenw, 4);
    mut_append(m, 1, data, elem * count);
    if (nul) {
        mut_append(m, 1, NULL, 1);
    }
    return pos;
}

/* Point a vector or string field at a new appended vector; returns its position. */
static size_t set_vector(mut_t *m, size_t pos, int field, size_t elem, const void *data, uint32_t count,
                         int nul) {
    size_t cell = offset_cell(m, pos, field);
    size_t v = append_vector(m, elem, data, count, nul);
    link_to(m, cell, v);
    return v;
}

static size_t set_i32_vector(mut_t *m, size_t pos, int field, const int32_t *values, uint32_t count) {
    uint8_t *raw = malloc(4 * (size_t)count + 1);
    uint32_t i;
    size_t v;
    if (raw == NULL) {
        exit(2);
    }
    for (i = 0; i < count; i++) {
        le32(raw + 4 * i, (uint32_t)values[i]);
    }
    v = set_vector(m, pos, field, 4, raw, count, 0);
    free(raw);
    return v;
}

/* Point a table field at a new, empty table; returns its position. */
static size_t set_new_table(mut_t *m, size_t pos, int field) {
    static const uint8_t empty_vt[4] = {4, 0, 4, 0};
    size_t cell = offset_cell(m, pos, field);
    size_t vt = mut_append(m, 2, empty_vt, 4);
    size_t t = mut_append(m, 4, NULL, 4);
    wr_i32(m, t, (int32_t)(t - vt));
    link_to(m, cell, t);
    return t;
}

/* ---- running a model and comparing ---- */

typedef enum stage { AT_VERIFY, AT_PREPARE } stage_t;

static int has_needles(const char *detail, const char *const *needles, int n) {
    int i;
    for (i = 0; i < n; i++) {
        if (strstr(detail, needles[i]) == NULL) {
            return 0;
        }
    }
    return 1;
}

static void dump_model(const uint8_t *data, size_t len, xtml_status_t want, const char *desc) {
    char name[64], path[1200];
    FILE *f;
    snprintf(name, sizeof name, "g%02d-%03d.tflite", dump_group, dump_seq++);
    snprintf(path, sizeof path, "%s/%s", dump_dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "test_malformed: cannot write %s\n", path);
        exit(2);
    }
    snprintf(path, sizeof path, "%s/index.tsv", dump_dir);
    f = fopen(path, "a");
    if (f == NULL) {
        fprintf(stderr, "test_malformed: cannot append to %s\n", path);
        exit(2);
    }
    fprintf(f, "%s\t%s\t%s\n", name, xtml_status_name(want), desc);
    fclose(f);
}

/*
 * Load `len` bytes placed `misalign` bytes past a 16-byte boundary, in an
 * exactly sized block. stage AT_VERIFY: verify, arena_size and init all give
 * `want` with the needles in the detail. AT_PREPARE: verify passes, arena_size
 * and init give `want`.
 */
static void expect_bytes(const char *desc, const uint8_t *data, size_t len, size_t misalign, stage_t stage,
                         xtml_status_t want, const char *const *needles, int n_needles) {
    uint8_t *block = alloc16(len + misalign);
    const uint8_t *model = block + misalign;
    xtml_diag_t d;
    xtml_status_t st;
    xtml_status_t want_verify = stage == AT_VERIFY ? want : XTML_STATUS_OK;
    char got[400];
    size_t need = 12345;
    got[0] = '\0';
    memcpy(block + misalign, data, len);
    crash_watch(model, len, "%s", desc);
    if (dump_dir != NULL && misalign == 0) {
        dump_model(data, len, want, desc);
    }

    memset(&d, 0x55, sizeof d);
    st = xtml_model_verify(model, len, &d);
    if (st != want_verify || d.status != st) {
        snprintf(got, sizeof got, "verify %s (diag.status %s) '%s'", xtml_status_name(st),
                 xtml_status_name(d.status), d.detail);
    } else if (stage == AT_VERIFY && !has_needles(d.detail, needles, n_needles)) {
        snprintf(got, sizeof got, "verify detail '%s'", d.detail);
    }
    if (got[0] == '\0') {
        xtml_diag_t d2;
        memset(&d2, 0x55, sizeof d2);
        st = xtml_arena_size(model, len, &need, &d2);
        if (st != want || d2.status != st) {
            snprintf(got, sizeof got, "arena_size %s '%s'", xtml_status_name(st), d2.detail);
        } else if (want != XTML_STATUS_OK && !has_needles(d2.detail, needles, n_needles)) {
            snprintf(got, sizeof got, "arena_size detail '%s'", d2.detail);
        } else if (stage == AT_VERIFY && strcmp(d2.detail, d.detail) != 0) {
            snprintf(got, sizeof got, "arena_size detail '%s' differs from verify's", d2.detail);
        } else if (want != XTML_STATUS_OK && need != 0) {
            snprintf(got, sizeof got, "arena_size left *arena_bytes = %zu on failure", need);
        }
    }
    if (got[0] == '\0') {
        xtml_diag_t d3;
        size_t arena_bytes = want == XTML_STATUS_OK ? need : 64;
        uint8_t *arena = alloc16(arena_bytes);
        /* Non-NULL beforehand, to see that a failed init clears it. */
        xtml_ctx_t *ctx = (xtml_ctx_t *)(void *)arena;
        memset(&d3, 0x55, sizeof d3);
        st = xtml_init(model, len, arena, arena_bytes, &ctx, &d3);
        if (st != want || d3.status != st) {
            snprintf(got, sizeof got, "init %s '%s'", xtml_status_name(st), d3.detail);
        } else if (want != XTML_STATUS_OK && ctx != NULL) {
            snprintf(got, sizeof got, "init failed but left *ctx set");
        } else if (want != XTML_STATUS_OK && !has_needles(d3.detail, needles, n_needles)) {
            snprintf(got, sizeof got, "init detail '%s'", d3.detail);
        }
        free(arena);
    }
    crash_model = NULL;
    free(block);
    result(got[0] == '\0', desc, got);
}

static int collect_needles(va_list ap, const char **needles) {
    int n = 0;
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL) {
        if (n < MAX_NEEDLES) {
            needles[n++] = s;
        }
    }
    return n;
}

/* Check a mutated model (then free it); the needles end with NULL. */
static void expect(mut_t *m, const char *desc, stage_t stage, xtml_status_t want, ...) {
    const char *needles[MAX_NEEDLES];
    int n;
    va_list ap;
    va_start(ap, want);
    n = collect_needles(ap, needles);
    va_end(ap);
    if (!mut_ok(m)) {
        char got[300];
        snprintf(got, sizeof got, "could not build the model (%s)", m->err);
        result(0, desc, got);
    } else {
        expect_bytes(desc, m->data, m->len, 0, stage, want, needles, n);
    }
    mut_end(m);
}

/* ---- the malformed models ---- */

typedef struct bases {
    const blob_t *add;     /* tflm_simple_add_model: one ADD, no constants but metadata */
    const blob_t *hello;   /* tflm_hello_world_int8: three FULLY_CONNECTED, int32 biases */
    const blob_t *conv;    /* op_conv_2d_int8_valid_s1_nobias: per-channel int8 weights */
    const blob_t *reshape; /* op_reshape_int8_3d_to_2d_options_only: options with a vector */
    const blob_t *vela;    /* tflm_person_detect_vela: CUSTOM ethos-u */
    /* int64 constants (our writer's models from test/data/tflm-ops, listed on
     * the command line; NULL when not): 16x8 biases, FILL's dims */
    const blob_t *i64[5];
} bases_t;

/* The models of bases_t.i64, in order. */
static const char *const i64_models[5] = {
    "op_transpose_conv_16x8_same_s2_bias64.tflite", "op_conv_2d_16x8_same_s1_bias64.tflite",
    "op_depthwise_conv_2d_16x8_same_m2_bias64.tflite", "op_fully_connected_16x8_bias64.tflite",
    "op_fill_f32_dims_int64.tflite",
};

static void test_header(const bases_t *b) {
    mut_t m;
    char desc[160];
    size_t n;

    mut_begin(&m, b->add);
    m.len = 7;
    expect(&m, "7-byte model: MODEL_TRUNCATED", AT_VERIFY, XTML_STATUS_MODEL_TRUNCATED, "7 bytes", NULL);
    mut_begin(&m, b->add);
    m.len = 0;
    expect(&m, "empty model: MODEL_TRUNCATED", AT_VERIFY, XTML_STATUS_MODEL_TRUNCATED, "0 bytes", NULL);
    {
        xtml_diag_t d;
        xtml_status_t st = xtml_model_verify(NULL, 100, &d);
        char got[300];
        snprintf(got, sizeof got, "%s '%s'", xtml_status_name(st), d.detail);
        result(st == XTML_STATUS_BAD_ARGUMENT && d.status == st, "NULL model: BAD_ARGUMENT", got);
    }
    mut_begin(&m, b->add);
    m.data[4] = 'X';
    expect(&m, "identifier XFL3: MODEL_IDENTIFIER", AT_VERIFY, XTML_STATUS_MODEL_IDENTIFIER, "TFL3", NULL);
    mut_begin(&m, b->add);
    m.data[7] = '4';
    expect(&m, "identifier TFL4: MODEL_IDENTIFIER", AT_VERIFY, XTML_STATUS_MODEL_IDENTIFIER, "TFL3", NULL);

    mut_begin(&m, b->add);
    set_u32(&m, root_pos(&m), XTML_MODEL_VERSION, 2);
    expect(&m, "schema version 2: MODEL_VERSION", AT_VERIFY, XTML_STATUS_MODEL_VERSION, "version is 2", NULL);
    mut_begin(&m, b->add);
    set_u32(&m, root_pos(&m), XTML_MODEL_VERSION, 4);
    expect(&m, "schema version 4: MODEL_VERSION", AT_VERIFY, XTML_STATUS_MODEL_VERSION, "version is 4", NULL);
    mut_begin(&m, b->add);
    clear_field(&m, root_pos(&m), XTML_MODEL_VERSION);
    expect(&m, "schema version absent: MODEL_VERSION", AT_VERIFY, XTML_STATUS_MODEL_VERSION, "version is 0", NULL);

    /* Root offset out of range. */
    mut_begin(&m, b->add);
    n = m.len;
    wr_u32(&m, 0, (uint32_t)n);
    snprintf(desc, sizeof desc, "model: table at offset %zu", n);
    expect(&m, "root offset = model size: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET, desc, "outside",
           NULL);
    mut_begin(&m, b->add);
    wr_u32(&m, 0, 0xfffffff0u);
    expect(&m, "root offset 0xfffffff0: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET, "model: table at offset",
           NULL);
}

static void test_offsets(const bases_t *b) {
    mut_t m;
    char needle[96];
    size_t at;

    /* A field's uoffset pointing past the end. */
    mut_begin(&m, b->add);
    at = field_pos(&m, root_pos(&m), XTML_MODEL_SUBGRAPHS);
    wr_u32(&m, at, (uint32_t)(m.len - at + 8));
    snprintf(needle, sizeof needle, "field 'subgraphs' points to offset %zu", m.len + 8);
    expect(&m, "model.subgraphs offset past the end: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET, needle, NULL);

    mut_begin(&m, b->add);
    at = field_pos(&m, op_pos(&m, 0), XTML_OP_OPTIONS);
    wr_u32(&m, at, 0x7ffffff0u);
    expect(&m, "operator 0 builtin_options offset past the end: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET,
           "operator 0", "'builtin_options' points to offset", NULL);

    /* A table in a vector of tables placed at the very end. */
    mut_begin(&m, b->add);
    at = elem_pos(&m, root_pos(&m), XTML_MODEL_SUBGRAPHS, 4, 0);
    wr_u32(&m, at, (uint32_t)(m.len - at - 2));
    snprintf(needle, sizeof needle, "subgraph 0: table at offset %zu is outside", m.len - 2);
    expect(&m, "subgraph 0 table 2 bytes before the end: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET, needle,
           NULL);

    mut_begin(&m, b->add);
    at = elem_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_TENSORS, 4, 2);
    wr_u32(&m, at, 0x80000000u);
    expect(&m, "tensor 2 table offset 2 GiB away: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET,
           "subgraph 0 tensor 2: table at offset", NULL);

    mut_begin(&m, b->add);
    at = elem_pos(&m, root_pos(&m), XTML_MODEL_BUFFERS, 4, 3);
    wr_u32(&m, at, (uint32_t)(m.len - at));
    expect(&m, "buffer 3 table offset = model size: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET,
           "buffer 3: table at offset", NULL);

    /* Buffer data stored outside the flatbuffer (offset/size) but beyond the file. */
    mut_begin(&m, b->add);
    set_i64(&m, buffer_pos(&m, 1), XTML_BUFFER_OFFSET, (int64_t)m.len + 64);
    set_i64(&m, buffer_pos(&m, 1), XTML_BUFFER_SIZE, 16);
    expect(&m, "buffer 1 external data past the end: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET,
           "buffer 1: external data", NULL);
    mut_begin(&m, b->add);
    set_i64(&m, buffer_pos(&m, 2), XTML_BUFFER_OFFSET, 16);
    set_i64(&m, buffer_pos(&m, 2), XTML_BUFFER_SIZE, (int64_t)1 << 40);
    expect(&m, "buffer 2 external data of 2^40 bytes: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET,
           "buffer 2: external data", NULL);
    mut_begin(&m, b->add);
    set_i64(&m, buffer_pos(&m, 2), XTML_BUFFER_OFFSET, -64);
    set_i64(&m, buffer_pos(&m, 2), XTML_BUFFER_SIZE, 16);
    expect(&m, "buffer 2 external data at offset -64: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET,
           "buffer 2: external data", NULL);

    /* Large custom options outside the file. */
    mut_begin(&m, b->add);
    set_i64(&m, op_pos(&m, 0), XTML_OP_LARGE_CUSTOM_OFFSET, (int64_t)m.len + 4096);
    set_i64(&m, op_pos(&m, 0), XTML_OP_LARGE_CUSTOM_SIZE, 8);
    expect(&m, "operator 0 large custom options past the end: MODEL_OFFSET", AT_VERIFY, XTML_STATUS_MODEL_OFFSET,
           "operator 0: large custom options", NULL);
}

static void test_vtables(const bases_t *b) {
    mut_t m;
    char needle[96];
    size_t pos, vt;

    mut_begin(&m, b->add);
    pos = root_pos(&m);
    wr_i32(&m, pos, (int32_t)((int64_t)pos - (int64_t)m.len - 8));
    snprintf(needle, sizeof needle, "model: vtable of the table at offset %zu is outside", pos);
    expect(&m, "root vtable past the end: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE, needle, NULL);
    mut_begin(&m, b->add);
    pos = root_pos(&m);
    wr_i32(&m, pos, (int32_t)pos + 4);
    expect(&m, "root vtable before the start: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "model: vtable of the table at offset", NULL);
    mut_begin(&m, b->add);
    pos = root_pos(&m);
    wr_i32(&m, pos, INT32_MIN);
    expect(&m, "root vtable soffset INT32_MIN: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "model: vtable of the table at offset", NULL);
    mut_begin(&m, b->add);
    pos = tensor_pos(&m, 1);
    wr_i32(&m, pos, (int32_t)((int64_t)pos - (int64_t)m.len + 2));
    expect(&m, "tensor 1 vtable 2 bytes before the end: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "subgraph 0 tensor 1: vtable of the table", NULL);

    /* Bad vtable lengths, on a private copy so only tensor 1 sees them. */
    mut_begin(&m, b->add);
    pos = tensor_pos(&m, 1);
    vt = own_vtable(&m, pos, 0);
    wr_u16(&m, vt, 5);
    snprintf(needle, sizeof needle, "vtable at offset %zu has bad length 5", vt);
    expect(&m, "tensor 1 vtable length 5 (odd): MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "subgraph 0 tensor 1", needle, NULL);
    mut_begin(&m, b->add);
    pos = tensor_pos(&m, 1);
    vt = own_vtable(&m, pos, 0);
    wr_u16(&m, vt, 2);
    expect(&m, "tensor 1 vtable length 2: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE, "subgraph 0 tensor 1",
           "has bad length 2", NULL);
    mut_begin(&m, b->add);
    pos = tensor_pos(&m, 1);
    vt = own_vtable(&m, pos, 0);
    wr_u16(&m, vt, (uint16_t)(m.len - vt + 2));
    snprintf(needle, sizeof needle, "has bad length %zu", m.len - vt + 2);
    expect(&m, "tensor 1 vtable overrunning the end: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "subgraph 0 tensor 1", needle, NULL);
    mut_begin(&m, b->add);
    pos = opcode_pos(&m, 0);
    vt = own_vtable(&m, pos, 0);
    wr_u16(&m, vt + 2, 0xfffe);
    snprintf(needle, sizeof needle, "table at offset %zu claims 65534 bytes", pos);
    expect(&m, "operator code 0 table length 65534: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "operator code 0", needle, NULL);
    mut_begin(&m, b->add);
    pos = tensor_pos(&m, 0);
    vt = own_vtable(&m, pos, 0);
    wr_u16(&m, vt + 2, 2);
    expect(&m, "tensor 0 table length 2: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE, "subgraph 0 tensor 0",
           "claims 2 bytes", NULL);

    /* Fields that do not fit their table. */
    mut_begin(&m, b->add);
    pos = tensor_pos(&m, 1);
    vt = own_vtable(&m, pos, XTML_TENSOR_BUFFER + 1);
    wr_u16(&m, vt + 4 + 2 * XTML_TENSOR_BUFFER, (uint16_t)(xtml_ld_u16(m.data + vt + 2) - 2));
    expect(&m, "tensor 1 buffer field 2 bytes before the table end: MODEL_VTABLE", AT_VERIFY,
           XTML_STATUS_MODEL_VTABLE, "tensor 1", "field 'buffer'", "does not fit", NULL);
    mut_begin(&m, b->add);
    pos = tensor_pos(&m, 2);
    set_slot(&m, pos, XTML_TENSOR_TYPE, 2);
    expect(&m, "tensor 2 type field at table offset 2 (inside the soffset): MODEL_VTABLE", AT_VERIFY,
           XTML_STATUS_MODEL_VTABLE, "tensor 2", "field 'type' at table offset 2", NULL);
    mut_begin(&m, b->add);
    pos = root_pos(&m);
    vt = own_vtable(&m, pos, XTML_MODEL_VERSION + 1);
    wr_u16(&m, vt + 4, xtml_ld_u16(m.data + vt + 2));
    expect(&m, "model version field at the table end: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "model: field 'version'", NULL);
    mut_begin(&m, b->add);
    pos = quant_pos(&m, 0);
    vt = own_vtable(&m, pos, XTML_QUANT_DIMENSION + 1);
    wr_u16(&m, vt + 4 + 2 * XTML_QUANT_DIMENSION, (uint16_t)(xtml_ld_u16(m.data + vt + 2) - 1));
    expect(&m, "tensor 0 quantized_dimension half outside its table: MODEL_VTABLE", AT_VERIFY,
           XTML_STATUS_MODEL_VTABLE, "tensor 0", "quantization.quantized_dimension", NULL);
    mut_begin(&m, b->add);
    pos = field_pos(&m, op_pos(&m, 0), XTML_OP_OPTIONS);
    pos = pos + xtml_ld_u32(m.data + pos);
    vt = own_vtable(&m, pos, 1);
    wr_u16(&m, vt + 4, xtml_ld_u16(m.data + vt + 2));
    expect(&m, "ADD options field 0 at the table end: MODEL_VTABLE", AT_VERIFY, XTML_STATUS_MODEL_VTABLE,
           "operator 0", "builtin_options field", NULL);
    mut_begin(&m, b->add);
    pos = op_pos(&m, 0);
    vt = own_vtable(&m, pos, XTML_OP_LARGE_CUSTOM_SIZE + 1);
    wr_u16(&m, vt + 4 + 2 * XTML_OP_LARGE_CUSTOM_SIZE, (uint16_t)(xtml_ld_u16(m.data + vt + 2) - 4));
    expect(&m, "operator 0 8-byte field 4 bytes before the table end: MODEL_VTABLE", AT_VERIFY,
           XTML_STATUS_MODEL_VTABLE, "operator 0", "large_custom_options_size", NULL);
}

static void test_vectors(const bases_t *b) {
    mut_t m;
    char needle[120];
    size_t at, s;
    xtml_fb_vec_t v;

    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, tensor_pos(&m, 0), XTML_TENSOR_SHAPE), 0x40000000u);
    expect(&m, "tensor 0 shape of 2^30 dimensions: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "tensor 0", "vector 'shape' of 1073741824 x 4 bytes", "overruns", NULL);
    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_OPERATORS), 0xffffffffu);
    expect(&m, "subgraph 0 operators vector of 2^32-1: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "subgraph 0: vector 'operators'", NULL);
    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, buffer_pos(&m, 4), XTML_BUFFER_DATA), (uint32_t)m.len);
    expect(&m, "buffer 4 data as long as the model: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "buffer 4: vector 'data'", NULL);
    mut_begin(&m, b->conv);
    at = quant_pos(&m, 1);
    wr_u32(&m, vec_len_pos(&m, at, XTML_QUANT_ZERO_POINT), 0x20000000u);
    expect(&m, "tensor 1 zero_point vector of 2^29 int64: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "tensor 1", "'quantization.zero_point' of 536870912 x 8 bytes", NULL);
    mut_begin(&m, b->reshape);
    at = field_pos(&m, op_pos(&m, 0), XTML_OP_OPTIONS);
    at = at + xtml_ld_u32(m.data + at);
    wr_u32(&m, vec_len_pos(&m, at, 0), 0x10000000u);
    expect(&m, "RESHAPE options new_shape of 2^28 entries: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "operator 0", "builtin_options vector", NULL);

    /* The length word itself past the end. */
    mut_begin(&m, b->add);
    at = field_pos(&m, tensor_pos(&m, 0), XTML_TENSOR_SHAPE);
    wr_u32(&m, at, (uint32_t)(m.len - 2 - at));
    snprintf(needle, sizeof needle, "length of vector 'shape' at offset %zu is past the end", m.len - 2);
    expect(&m, "tensor 0 shape length word 2 bytes before the end: MODEL_VECTOR", AT_VERIFY,
           XTML_STATUS_MODEL_VECTOR, "tensor 0", needle, NULL);

    /* Strings without their NUL. */
    mut_begin(&m, b->add);
    v = vec_of(&m, tensor_pos(&m, 2), XTML_TENSOR_NAME);
    s = (size_t)(v.data - m.data);
    m.data[s + v.len] = 'x';
    snprintf(needle, sizeof needle, "string 'name' at offset %zu is not NUL-terminated", s);
    expect(&m, "tensor 2 name missing its NUL: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "subgraph 0 tensor 2", needle, NULL);
    mut_begin(&m, b->add);
    set_vector(&m, tensor_pos(&m, 1), XTML_TENSOR_NAME, 1, "abc", 3, 0);
    expect(&m, "tensor 1 name ending exactly at the end of the model: MODEL_VECTOR", AT_VERIFY,
           XTML_STATUS_MODEL_VECTOR, "subgraph 0 tensor 1", "string 'name'", "not NUL-terminated", NULL);
    mut_begin(&m, b->add);
    v = vec_of(&m, root_pos(&m), XTML_MODEL_DESCRIPTION);
    s = (size_t)(v.data - m.data);
    m.data[s + v.len] = '!';
    expect(&m, "model description missing its NUL: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "model: string 'description'", NULL);
    mut_begin(&m, b->add);
    set_vector(&m, opcode_pos(&m, 0), XTML_OPCODE_CUSTOM, 1, "my-op", 5, 0);
    expect(&m, "operator code 0 custom_code ending at the end of the model: MODEL_VECTOR", AT_VERIFY,
           XTML_STATUS_MODEL_VECTOR, "operator code 0", "string 'custom_code'", NULL);
    mut_begin(&m, b->add);
    v = vec_of(&m, child_pos(&m, root_pos(&m), XTML_MODEL_METADATA, 0), 0);
    s = (size_t)(v.data - m.data);
    m.data[s + v.len] = '?';
    expect(&m, "metadata 0 name missing its NUL: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "metadata 0: string 'name'", NULL);
    mut_begin(&m, b->add);
    set_vector(&m, subgraph_pos(&m), XTML_SUBGRAPH_NAME, 1, "main", 4, 0);
    expect(&m, "subgraph 0 name ending at the end of the model: MODEL_VECTOR", AT_VERIFY, XTML_STATUS_MODEL_VECTOR,
           "subgraph 0: string 'name'", NULL);
}

static void test_missing(const bases_t *b) {
    mut_t m;
    mut_begin(&m, b->add);
    clear_field(&m, root_pos(&m), XTML_MODEL_SUBGRAPHS);
    expect(&m, "model without subgraphs: MODEL_MISSING", AT_VERIFY, XTML_STATUS_MODEL_MISSING, "no subgraphs", NULL);
    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, root_pos(&m), XTML_MODEL_SUBGRAPHS), 0);
    expect(&m, "model with an empty subgraphs vector: MODEL_MISSING", AT_VERIFY, XTML_STATUS_MODEL_MISSING,
           "no subgraphs", NULL);
    mut_begin(&m, b->add);
    clear_field(&m, root_pos(&m), XTML_MODEL_BUFFERS);
    expect(&m, "model without buffers: MODEL_MISSING", AT_VERIFY, XTML_STATUS_MODEL_MISSING, "no buffers", NULL);
    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, root_pos(&m), XTML_MODEL_BUFFERS), 0);
    expect(&m, "model with an empty buffers vector: MODEL_MISSING", AT_VERIFY, XTML_STATUS_MODEL_MISSING,
           "no buffers", NULL);
}

static void test_indices(const bases_t *b) {
    mut_t m;
    char n1[120], n2[120];
    size_t at;
    uint32_t nt, nb, nc;
    int32_t bad[1];

    mut_begin(&m, b->add);
    nb = n_buffers(&m);
    set_u32(&m, tensor_pos(&m, 0), XTML_TENSOR_BUFFER, nb);
    snprintf(n1, sizeof n1, "tensor 0 '%s': buffer %u out of range (model has %u buffers)", tensor_name(&m, 0),
             (unsigned)nb, (unsigned)nb);
    expect(&m, "tensor 0 buffer index = buffer count: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1, NULL);
    mut_begin(&m, b->add);
    set_u32(&m, tensor_pos(&m, 2), XTML_TENSOR_BUFFER, 0xffffffffu);
    expect(&m, "tensor 2 buffer index 2^32-1: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, "tensor 2",
           "buffer 4294967295 out of range", NULL);

    mut_begin(&m, b->add);
    nc = n_opcodes(&m);
    set_u32(&m, op_pos(&m, 0), XTML_OP_OPCODE_INDEX, nc);
    snprintf(n1, sizeof n1, "operator 0: opcode_index %u out of range (model has %u operator codes)", (unsigned)nc,
             (unsigned)nc);
    expect(&m, "operator 0 opcode_index = opcode count: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1, NULL);
    mut_begin(&m, b->hello);
    set_u32(&m, op_pos(&m, 2), XTML_OP_OPCODE_INDEX, 0x80000000u);
    expect(&m, "operator 2 opcode_index 2^31: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX,
           "operator 2: opcode_index 2147483648 out of range", NULL);

    mut_begin(&m, b->add);
    nt = n_tensors(&m);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 0), XTML_OP_INPUTS, 4, 1), (int32_t)nt);
    snprintf(n1, sizeof n1, "operator 0: inputs[1] = %u is not a tensor index (subgraph has %u)", (unsigned)nt,
             (unsigned)nt);
    expect(&m, "operator 0 input index = tensor count: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1, NULL);
    mut_begin(&m, b->add);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 0), XTML_OP_INPUTS, 4, 0), -2);
    expect(&m, "operator 0 input index -2: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX,
           "operator 0: inputs[0] = -2 is not a tensor index", NULL);

    mut_begin(&m, b->hello);
    nt = n_tensors(&m);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 1), XTML_OP_OUTPUTS, 4, 0), (int32_t)nt + 100);
    snprintf(n1, sizeof n1, "operator 1: outputs[0] = %u is not a tensor index", (unsigned)nt + 100);
    expect(&m, "operator 1 output index past the tensors: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1, NULL);
    mut_begin(&m, b->add);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 0), XTML_OP_OUTPUTS, 4, 0), -1);
    expect(&m, "operator 0 output index -1 (only inputs may be absent): MODEL_INDEX", AT_VERIFY,
           XTML_STATUS_MODEL_INDEX, "operator 0: outputs[0] = -1", NULL);

    mut_begin(&m, b->add);
    bad[0] = (int32_t)n_tensors(&m);
    set_i32_vector(&m, op_pos(&m, 0), XTML_OP_INTERMEDIATES, bad, 1);
    snprintf(n1, sizeof n1, "operator 0: intermediates[0] = %d", (int)bad[0]);
    expect(&m, "operator 0 intermediate index out of range: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1,
           NULL);

    mut_begin(&m, b->add);
    nt = n_tensors(&m);
    wr_i32(&m, elem_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_INPUTS, 4, 1), (int32_t)nt);
    snprintf(n1, sizeof n1, "subgraph 0: inputs[1] = %u is not a tensor index", (unsigned)nt);
    expect(&m, "graph input index = tensor count: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1, NULL);
    mut_begin(&m, b->add);
    wr_i32(&m, elem_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_INPUTS, 4, 0), -1);
    expect(&m, "graph input index -1: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX,
           "subgraph 0: inputs[0] = -1 is not a tensor index", NULL);
    mut_begin(&m, b->hello);
    wr_i32(&m, elem_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_OUTPUTS, 4, 0), 99999);
    expect(&m, "graph output index 99999: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX,
           "subgraph 0: outputs[0] = 99999 is not a tensor index", NULL);

    mut_begin(&m, b->add);
    nb = n_buffers(&m);
    at = child_pos(&m, root_pos(&m), XTML_MODEL_METADATA, 0);
    set_u32(&m, at, 1, nb);
    snprintf(n1, sizeof n1, "metadata 0: buffer %u out of range", (unsigned)nb);
    expect(&m, "metadata 0 buffer index = buffer count: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1, NULL);
    mut_begin(&m, b->hello);
    nb = n_buffers(&m);
    at = child_pos(&m, root_pos(&m), XTML_MODEL_METADATA, 1);
    set_u32(&m, at, 1, nb + 7);
    snprintf(n2, sizeof n2, "metadata 1: buffer %u out of range", (unsigned)nb + 7);
    expect(&m, "metadata 1 buffer index past the buffers: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n2, NULL);
    mut_begin(&m, b->add);
    bad[0] = (int32_t)n_buffers(&m);
    set_i32_vector(&m, root_pos(&m), XTML_MODEL_METADATA_BUFFER, bad, 1);
    snprintf(n1, sizeof n1, "model: metadata_buffer[0] = %d out of range", (int)bad[0]);
    expect(&m, "metadata_buffer entry = buffer count: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX, n1, NULL);
    mut_begin(&m, b->add);
    bad[0] = -1;
    set_i32_vector(&m, root_pos(&m), XTML_MODEL_METADATA_BUFFER, bad, 1);
    expect(&m, "metadata_buffer entry -1: MODEL_INDEX", AT_VERIFY, XTML_STATUS_MODEL_INDEX,
           "model: metadata_buffer[0] = -1 out of range", NULL);
}

static void test_shapes(const bases_t *b) {
    mut_t m;
    char n1[120];
    int32_t big[4] = {1, 65536, 65536, 1};
    int32_t seven[7] = {1, 1, 1, 1, 1, 1, 1};
    int32_t quarter[4] = {1, 32768, 32768, 1};
    int32_t empty_big[4] = {0, 262147, 393222, 1};
    int32_t empty_quarter[4] = {0, 32768, 32768, 1};

    mut_begin(&m, b->add);
    wr_i32(&m, elem_pos(&m, tensor_pos(&m, 2), XTML_TENSOR_SHAPE, 4, 1), -1);
    snprintf(n1, sizeof n1, "tensor 2 '%s': dimension 1 is -1", tensor_name(&m, 2));
    expect(&m, "tensor 2 dimension -1: MODEL_SHAPE", AT_VERIFY, XTML_STATUS_MODEL_SHAPE, n1, NULL);
    mut_begin(&m, b->conv);
    wr_i32(&m, elem_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_SHAPE, 4, 3), INT32_MIN);
    expect(&m, "tensor 1 (constant weights) dimension INT32_MIN: MODEL_SHAPE", AT_VERIFY, XTML_STATUS_MODEL_SHAPE,
           "tensor 1", "dimension 3 is -2147483648", NULL);

    mut_begin(&m, b->add);
    set_i32_vector(&m, tensor_pos(&m, 0), XTML_TENSOR_SHAPE, big, 4);
    expect(&m, "tensor 0 shape [1,65536,65536,1]: MODEL_SHAPE (element count overflow)", AT_VERIFY,
           XTML_STATUS_MODEL_SHAPE, "tensor 0", "element count overflows at dimension 2", NULL);
    mut_begin(&m, b->add);
    wr_i32(&m, elem_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_SHAPE, 4, 0), 0x7fffffff);
    wr_i32(&m, elem_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_SHAPE, 4, 1), 0x7fffffff);
    expect(&m, "tensor 1 shape [2^31-1,2^31-1,...]: MODEL_SHAPE", AT_VERIFY, XTML_STATUS_MODEL_SHAPE, "tensor 1",
           "element count overflows at dimension 1", NULL);
    mut_begin(&m, b->add);
    set_i32_vector(&m, tensor_pos(&m, 0), XTML_TENSOR_SHAPE, quarter, 4);
    set_u8(&m, tensor_pos(&m, 0), XTML_TENSOR_TYPE, XTML_DTYPE_INT32);
    expect(&m, "tensor 0 int32 [1,32768,32768,1] (4 GiB): MODEL_SHAPE", AT_VERIFY, XTML_STATUS_MODEL_SHAPE,
           "tensor 0", "1073741824 elements of int32 overflow the size limit", NULL);

    /* Found by fuzzing: no element, but trailing products (strides) overflow int32. */
    mut_begin(&m, b->add);
    set_i32_vector(&m, tensor_pos(&m, 0), XTML_TENSOR_SHAPE, empty_big, 4);
    expect(&m, "tensor 0 shape [0,262147,393222,1]: MODEL_SHAPE (strides overflow)", AT_VERIFY,
           XTML_STATUS_MODEL_SHAPE, "tensor 0", "product of the non-zero dimensions overflows at dimension 2",
           NULL);
    mut_begin(&m, b->add);
    set_i32_vector(&m, tensor_pos(&m, 0), XTML_TENSOR_SHAPE, empty_quarter, 4);
    set_u8(&m, tensor_pos(&m, 0), XTML_TENSOR_TYPE, XTML_DTYPE_INT32);
    expect(&m, "tensor 0 int32 [0,32768,32768,1]: MODEL_SHAPE (strides in bytes overflow)", AT_VERIFY,
           XTML_STATUS_MODEL_SHAPE, "tensor 0", "1073741824 elements of int32 overflow the size limit", NULL);

    mut_begin(&m, b->add);
    set_i32_vector(&m, tensor_pos(&m, 1), XTML_TENSOR_SHAPE, seven, 7);
    snprintf(n1, sizeof n1, "tensor 1 '%s': rank 7 exceeds the supported %d", tensor_name(&m, 1), XTML_MAX_DIMS);
    expect(&m, "tensor 1 of rank 7: MODEL_SHAPE", AT_VERIFY, XTML_STATUS_MODEL_SHAPE, n1, NULL);

    mut_begin(&m, b->add);
    set_u8(&m, tensor_pos(&m, 2), XTML_TENSOR_TYPE, 18);
    expect(&m, "tensor 2 type 18: MODEL_TYPE", AT_VERIFY, XTML_STATUS_MODEL_TYPE, "tensor 2",
           "unknown tensor type 18", NULL);
    mut_begin(&m, b->add);
    set_u8(&m, tensor_pos(&m, 0), XTML_TENSOR_TYPE, 200);
    snprintf(n1, sizeof n1, "tensor 0 '%s': unknown tensor type 200", tensor_name(&m, 0));
    expect(&m, "tensor 0 type 200: MODEL_TYPE", AT_VERIFY, XTML_STATUS_MODEL_TYPE, n1, NULL);

    /* More tensors or operators than the core indexes. */
    {
        int32_t *many = calloc(65536, sizeof *many);
        if (many == NULL) {
            exit(2);
        }
        mut_begin(&m, b->add);
        set_i32_vector(&m, subgraph_pos(&m), XTML_SUBGRAPH_OPERATORS, many, 65536);
        expect(&m, "subgraph with 65536 operators: MODEL_SHAPE", AT_VERIFY, XTML_STATUS_MODEL_SHAPE,
               "subgraph 0: 3 tensors and 65536 operators exceed", NULL);
        mut_begin(&m, b->add);
        set_i32_vector(&m, op_pos(&m, 0), XTML_OP_INPUTS, many, 65536);
        expect(&m, "operator with 65536 inputs: MODEL_OPERATOR", AT_VERIFY, XTML_STATUS_MODEL_OPERATOR,
               "operator 0: too many inputs or outputs", NULL);
        free(many);
    }
}

/* "[8,3,3,3]" for tensor i. */
static void shape_string(mut_t *m, uint32_t tensor, char *out, size_t cap) {
    xtml_fb_vec_t s = vec_of(m, tensor_pos(m, tensor), XTML_TENSOR_SHAPE);
    size_t len;
    uint32_t i;
    snprintf(out, cap, "[");
    for (i = 0; i < s.len; i++) {
        len = strlen(out);
        snprintf(out + len, cap - len, i == 0 ? "%d" : ",%d", (int)xtml_ld_i32(s.data + 4 * i));
    }
    len = strlen(out);
    snprintf(out + len, cap - len, "]");
}

static void test_buffer_sizes(const bases_t *b) {
    mut_t m;
    char n1[160], shape[64];
    uint32_t buf;
    size_t bp;

    /* Conv weights [8,3,3,3] int8 = 216 bytes; the data vector claims 100. */
    mut_begin(&m, b->conv);
    buf = xtml_ld_u32(m.data + field_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_BUFFER));
    wr_u32(&m, vec_len_pos(&m, buffer_pos(&m, buf), XTML_BUFFER_DATA), 100);
    shape_string(&m, 1, shape, sizeof shape);
    snprintf(n1, sizeof n1, "tensor 1 '%s': buffer %u holds 100 bytes, shape %s int8 needs 216", tensor_name(&m, 1),
             (unsigned)buf, shape);
    expect(&m, "conv weights buffer of 100 bytes for 216: MODEL_BUFFER_SIZE", AT_VERIFY, XTML_STATUS_MODEL_BUFFER_SIZE,
           n1, NULL);

    /* A bigger buffer than the shape needs. */
    mut_begin(&m, b->conv);
    buf = xtml_ld_u32(m.data + field_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_BUFFER));
    set_vector(&m, buffer_pos(&m, buf), XTML_BUFFER_DATA, 1, NULL, 217, 0);
    snprintf(n1, sizeof n1, "buffer %u holds 217 bytes, shape %s int8 needs 216", (unsigned)buf, shape);
    expect(&m, "conv weights buffer of 217 bytes for 216: MODEL_BUFFER_SIZE", AT_VERIFY, XTML_STATUS_MODEL_BUFFER_SIZE,
           "tensor 1", n1, NULL);

    /* int32 bias [16] = 64 bytes, with 60. */
    mut_begin(&m, b->hello);
    buf = xtml_ld_u32(m.data + field_pos(&m, tensor_pos(&m, 3), XTML_TENSOR_BUFFER));
    wr_u32(&m, vec_len_pos(&m, buffer_pos(&m, buf), XTML_BUFFER_DATA), 60);
    shape_string(&m, 3, shape, sizeof shape);
    snprintf(n1, sizeof n1, "tensor 3 '%s': buffer %u holds 60 bytes, shape %s int32 needs 64", tensor_name(&m, 3),
             (unsigned)buf, shape);
    expect(&m, "int32 bias buffer of 60 bytes for 64: MODEL_BUFFER_SIZE", AT_VERIFY, XTML_STATUS_MODEL_BUFFER_SIZE, n1,
           NULL);

    /* A shape edit that no longer matches the constant data. */
    mut_begin(&m, b->conv);
    wr_i32(&m, elem_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_SHAPE, 4, 3), 1);
    buf = xtml_ld_u32(m.data + field_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_BUFFER));
    snprintf(n1, sizeof n1, "buffer %u holds 216 bytes, shape [8,3,3,1] int8 needs 72", (unsigned)buf);
    expect(&m, "conv weights reshaped to [8,3,3,1]: MODEL_BUFFER_SIZE", AT_VERIFY, XTML_STATUS_MODEL_BUFFER_SIZE,
           "tensor 1", n1, NULL);

    /* Data kept outside the flatbuffer (offset/size fields) of the wrong size. */
    mut_begin(&m, b->conv);
    buf = xtml_ld_u32(m.data + field_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_BUFFER));
    bp = buffer_pos(&m, buf);
    clear_field(&m, bp, XTML_BUFFER_DATA);
    set_i64(&m, bp, XTML_BUFFER_OFFSET, 16);
    set_i64(&m, bp, XTML_BUFFER_SIZE, 100);
    snprintf(n1, sizeof n1, "buffer %u holds 100 bytes", (unsigned)buf);
    expect(&m, "external conv weights of 100 bytes for 216: MODEL_BUFFER_SIZE", AT_VERIFY,
           XTML_STATUS_MODEL_BUFFER_SIZE, "tensor 1", n1, "needs 216", NULL);
}

static void test_quantization(const bases_t *b) {
    mut_t m;
    char n1[160];
    size_t q;
    const float bad_scales[4] = {0.0f, -0.5f, NAN, INFINITY};
    const char *bad_names[4] = {"0", "-0.5", "NaN", "+inf"};
    int i;

    for (i = 0; i < 4; i++) {
        char desc[120];
        mut_begin(&m, b->add);
        wr_f32(&m, elem_pos(&m, quant_pos(&m, 0), XTML_QUANT_SCALE, 4, 0), bad_scales[i]);
        snprintf(n1, sizeof n1, "tensor 0 '%s': scale[0] = ", tensor_name(&m, 0));
        snprintf(desc, sizeof desc, "tensor 0 scale %s: MODEL_QUANTIZATION", bad_names[i]);
        expect(&m, desc, AT_VERIFY, XTML_STATUS_MODEL_QUANTIZATION, n1, "is not finite and > 0", NULL);
    }
    mut_begin(&m, b->conv);
    wr_f32(&m, elem_pos(&m, quant_pos(&m, 1), XTML_QUANT_SCALE, 4, 5), -INFINITY);
    expect(&m, "conv weights per-channel scale[5] -inf: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "scale[5] = ", NULL);
    {
        xtml_diag_t d;
        xtml_status_t st;
        mut_begin(&m, b->add);
        wr_f32(&m, elem_pos(&m, quant_pos(&m, 1), XTML_QUANT_SCALE, 4, 0), 1e-45f);
        st = xtml_model_verify(m.data, m.len, &d);
        result(mut_ok(&m) && st == XTML_STATUS_OK, "tensor 1 subnormal scale 1e-45 passes verify (finite and > 0)",
               d.detail);
        mut_end(&m);
    }

    mut_begin(&m, b->add);
    wr_i64(&m, elem_pos(&m, quant_pos(&m, 0), XTML_QUANT_ZERO_POINT, 8, 0), 128);
    snprintf(n1, sizeof n1, "tensor 0 '%s': zero_point[0] = 128 is outside the int8 range", tensor_name(&m, 0));
    expect(&m, "int8 tensor 0 zero point 128: MODEL_QUANTIZATION", AT_VERIFY, XTML_STATUS_MODEL_QUANTIZATION, n1, NULL);
    mut_begin(&m, b->add);
    wr_i64(&m, elem_pos(&m, quant_pos(&m, 2), XTML_QUANT_ZERO_POINT, 8, 0), -129);
    expect(&m, "int8 tensor 2 zero point -129: MODEL_QUANTIZATION", AT_VERIFY, XTML_STATUS_MODEL_QUANTIZATION,
           "tensor 2", "zero_point[0] = -129 is outside the int8 range", NULL);
    mut_begin(&m, b->add);
    wr_i64(&m, elem_pos(&m, quant_pos(&m, 2), XTML_QUANT_ZERO_POINT, 8, 0), (int64_t)1 << 32);
    expect(&m, "int8 tensor 2 zero point 2^32 (int32 wrap to 0): MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 2", "zero_point[0]", NULL);
    mut_begin(&m, b->hello);
    wr_i64(&m, elem_pos(&m, quant_pos(&m, 3), XTML_QUANT_ZERO_POINT, 8, 0), (int64_t)1 << 40);
    expect(&m, "int32 bias zero point 2^40: MODEL_QUANTIZATION", AT_VERIFY, XTML_STATUS_MODEL_QUANTIZATION,
           "tensor 3", "outside the int32 range", NULL);
    mut_begin(&m, b->conv);
    wr_i64(&m, elem_pos(&m, quant_pos(&m, 1), XTML_QUANT_ZERO_POINT, 8, 7), 200);
    expect(&m, "conv weights per-channel zero_point[7] 200: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "zero_point[7] = 200", NULL);

    /* Count mismatches. */
    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, quant_pos(&m, 0), XTML_QUANT_ZERO_POINT), 0);
    expect(&m, "tensor 0 with 1 scale and 0 zero points: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 0", "1 scales but 0 zero points", NULL);
    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, quant_pos(&m, 1), XTML_QUANT_SCALE), 0);
    expect(&m, "tensor 1 with 1 zero point and no scales: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "1 zero points but no scales", NULL);
    mut_begin(&m, b->conv);
    wr_u32(&m, vec_len_pos(&m, quant_pos(&m, 1), XTML_QUANT_ZERO_POINT), 7);
    expect(&m, "conv weights with 8 scales and 7 zero points: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "8 scales but 7 zero points", NULL);

    /* Per-channel layout. */
    mut_begin(&m, b->conv);
    q = quant_pos(&m, 1);
    wr_u32(&m, vec_len_pos(&m, q, XTML_QUANT_ZERO_POINT), 7);
    wr_u32(&m, vec_len_pos(&m, q, XTML_QUANT_SCALE), 7);
    expect(&m, "conv weights [8,...] with 7 per-channel scales: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "7 per-channel scales but dimension 0 has 8 entries", NULL);
    mut_begin(&m, b->conv);
    set_u32(&m, quant_pos(&m, 1), XTML_QUANT_DIMENSION, 1);
    expect(&m, "conv weights quantized along dimension 1 (3 entries): MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "8 per-channel scales but dimension 1 has 3 entries", NULL);
    mut_begin(&m, b->conv);
    set_u32(&m, quant_pos(&m, 1), XTML_QUANT_DIMENSION, 4);
    expect(&m, "conv weights quantized_dimension 4 of rank 4: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "quantized_dimension 4 is not a dimension of a rank-4 tensor",
           NULL);
    mut_begin(&m, b->conv);
    set_u32(&m, quant_pos(&m, 1), XTML_QUANT_DIMENSION, 0xffffffffu);
    expect(&m, "conv weights quantized_dimension -1: MODEL_QUANTIZATION", AT_VERIFY, XTML_STATUS_MODEL_QUANTIZATION,
           "tensor 1", "quantized_dimension -1 is not a dimension", NULL);

    /* Custom quantization details, and sparsity. */
    mut_begin(&m, b->add);
    q = quant_pos(&m, 1);
    set_u8(&m, q, XTML_QUANT_DETAILS_TYPE, 1);
    set_new_table(&m, q, XTML_QUANT_DETAILS);
    expect(&m, "tensor 1 with custom quantization details: MODEL_QUANTIZATION", AT_VERIFY,
           XTML_STATUS_MODEL_QUANTIZATION, "tensor 1", "custom quantization details", NULL);
    mut_begin(&m, b->add);
    set_new_table(&m, tensor_pos(&m, 2), XTML_TENSOR_SPARSITY);
    expect(&m, "tensor 2 with sparsity parameters: UNSUPPORTED_CONFIG", AT_VERIFY, XTML_STATUS_UNSUPPORTED_CONFIG,
           "tensor 2", "sparse tensors are not supported", NULL);
}

static void test_dataflow(const bases_t *b) {
    mut_t m;
    char n1[160];
    int32_t two_outs[2];
    size_t sg;

    /* hello: op0 (0,6,5)->7, op1 (7,4,3)->8, op2 (8,2,1)->9; 1..6 constant. */
    mut_begin(&m, b->hello);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 0), XTML_OP_OUTPUTS, 4, 0), 1);
    snprintf(n1, sizeof n1, "operator 0: output 0 writes constant tensor 1 '%s'", tensor_name(&m, 1));
    expect(&m, "operator 0 writing constant tensor 1: MODEL_OPERATOR", AT_VERIFY, XTML_STATUS_MODEL_OPERATOR, n1, NULL);

    mut_begin(&m, b->add);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 0), XTML_OP_OUTPUTS, 4, 0), op_io(&m, 0, XTML_OP_INPUTS, 1));
    snprintf(n1, sizeof n1, "operator 0: tensor %d '%s' is both input 1 and output 0",
             (int)op_io(&m, 0, XTML_OP_INPUTS, 1), tensor_name(&m, (uint32_t)op_io(&m, 0, XTML_OP_INPUTS, 1)));
    expect(&m, "ADD writing its own input: MODEL_OPERATOR", AT_VERIFY, XTML_STATUS_MODEL_OPERATOR, n1, NULL);

    mut_begin(&m, b->add);
    two_outs[0] = two_outs[1] = op_io(&m, 0, XTML_OP_OUTPUTS, 0);
    set_i32_vector(&m, op_pos(&m, 0), XTML_OP_OUTPUTS, two_outs, 2);
    snprintf(n1, sizeof n1, "operator 0: tensor %d is output 0 and output 1", (int)two_outs[0]);
    expect(&m, "operator listing one output twice: MODEL_OPERATOR", AT_VERIFY, XTML_STATUS_MODEL_OPERATOR, n1, NULL);

    mut_begin(&m, b->hello);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 2), XTML_OP_OUTPUTS, 4, 0), op_io(&m, 0, XTML_OP_OUTPUTS, 0));
    snprintf(n1, sizeof n1, "subgraph 0 tensor %d is written by operators 0 and 2",
             (int)op_io(&m, 0, XTML_OP_OUTPUTS, 0));
    expect(&m, "tensor written by operators 0 and 2: MODEL_OPERATOR", AT_VERIFY, XTML_STATUS_MODEL_OPERATOR, n1, NULL);

    mut_begin(&m, b->hello);
    sg = subgraph_pos(&m);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 1), XTML_OP_OUTPUTS, 4, 0),
           xtml_ld_i32(m.data + elem_pos(&m, sg, XTML_SUBGRAPH_INPUTS, 4, 0)));
    snprintf(n1, sizeof n1, "subgraph 0 operator 1 writes graph input tensor %d",
             (int)xtml_ld_i32(m.data + elem_pos(&m, sg, XTML_SUBGRAPH_INPUTS, 4, 0)));
    expect(&m, "operator 1 writing the graph input: MODEL_OPERATOR", AT_VERIFY, XTML_STATUS_MODEL_OPERATOR, n1, NULL);

    /* Reading a tensor nothing wrote: found by the planner, so verify passes. */
    mut_begin(&m, b->add);
    wr_u32(&m, vec_len_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_INPUTS), 1);
    snprintf(n1, sizeof n1, "operator 0 (ADD) reads tensor %d '%s' before any operator writes it",
             (int)op_io(&m, 0, XTML_OP_INPUTS, 1), tensor_name(&m, (uint32_t)op_io(&m, 0, XTML_OP_INPUTS, 1)));
    expect(&m, "ADD reading a tensor that is neither graph input nor written: MODEL_OPERATOR at arena_size",
           AT_PREPARE, XTML_STATUS_MODEL_OPERATOR, n1, NULL);
    mut_begin(&m, b->hello);
    wr_u32(&m, vec_len_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_INPUTS), 0);
    expect(&m, "FULLY_CONNECTED reading its input with no graph inputs: MODEL_OPERATOR at arena_size", AT_PREPARE,
           XTML_STATUS_MODEL_OPERATOR, "operator 0 (FULLY_CONNECTED) reads tensor 0", "before any operator writes it",
           NULL);

    /* A graph input that is a constant tensor: its "input buffer" would be the model's own bytes. */
    mut_begin(&m, b->hello);
    sg = subgraph_pos(&m);
    wr_i32(&m, elem_pos(&m, sg, XTML_SUBGRAPH_INPUTS, 4, 0), 2);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 0), XTML_OP_INPUTS, 4, 0), 2);
    expect(&m, "graph input that is constant tensor 2 (would hand out model bytes as input memory): MODEL_OPERATOR",
           AT_VERIFY, XTML_STATUS_MODEL_OPERATOR, "tensor 2", NULL);
}

static void test_alignment(const bases_t *b) {
    const char *needles[2];
    char n1[120];
    mut_t m;
    size_t off;
    xtml_fb_vec_t d;

    mut_begin(&m, b->hello);
    d = vec_of(&m, buffer_pos(&m, xtml_ld_u32(m.data + field_pos(&m, tensor_pos(&m, 1), XTML_TENSOR_BUFFER))),
               XTML_BUFFER_DATA);
    off = (size_t)(d.data - m.data);
    snprintf(n1, sizeof n1, "int32 data at model offset %zu is not 4-byte aligned", off);
    needles[0] = "tensor 1";
    needles[1] = n1;
    expect_bytes("hello_world (int32 biases) at address 16k+1: MODEL_ALIGNMENT", m.data, m.len, 1, AT_VERIFY,
                 XTML_STATUS_MODEL_ALIGNMENT, needles, 2);
    expect_bytes("hello_world at address 16k+2: MODEL_ALIGNMENT", m.data, m.len, 2, AT_VERIFY,
                 XTML_STATUS_MODEL_ALIGNMENT, needles, 2);
    expect_bytes("hello_world at address 16k+4 (int32 needs 4): loads", m.data, m.len, 4, AT_PREPARE, XTML_STATUS_OK,
                 needles, 0);
    expect_bytes("hello_world at address 16k: loads", m.data, m.len, 0, AT_PREPARE, XTML_STATUS_OK, needles, 0);
    mut_end(&m);
    expect_bytes("simple_add (no multi-byte constants) at address 16k+3: loads", b->add->data, b->add->len, 3,
                 AT_PREPARE, XTML_STATUS_OK, needles, 0);
}

static void test_operators(const bases_t *b) {
    mut_t m;
    char n1[120];
    /* a builtin TFLM does not register either, so it stays unsupported */
    const char *lsh = xtml_builtin_name(15);
    uint8_t code8;

    mut_begin(&m, b->add);
    set_u32(&m, opcode_pos(&m, 0), XTML_OPCODE_BUILTIN, 15);
    code8 = 15;
    set_scalar(&m, opcode_pos(&m, 0), XTML_OPCODE_DEPRECATED_BUILTIN, &code8, 1);
    snprintf(n1, sizeof n1, "builtin %s (code 15)", lsh != NULL ? lsh : "LSH_PROJECTION");
    expect(&m, "ADD turned into LSH_PROJECTION: UNSUPPORTED_OPERATOR naming it", AT_PREPARE,
           XTML_STATUS_UNSUPPORTED_OPERATOR, "LSH_PROJECTION", n1, NULL);
    mut_begin(&m, b->add);
    set_u32(&m, opcode_pos(&m, 0), XTML_OPCODE_BUILTIN, 250);
    expect(&m, "builtin code 250 (unknown): UNSUPPORTED_OPERATOR", AT_PREPARE, XTML_STATUS_UNSUPPORTED_OPERATOR,
           "operator 0", "code 250", NULL);
    mut_begin(&m, b->add);
    set_u32(&m, opcode_pos(&m, 0), XTML_OPCODE_BUILTIN, 0x7fffffffu);
    expect(&m, "builtin code 2^31-1: UNSUPPORTED_OPERATOR", AT_PREPARE, XTML_STATUS_UNSUPPORTED_OPERATOR,
           "code 2147483647", NULL);
    mut_begin(&m, b->add);
    set_u32(&m, opcode_pos(&m, 0), XTML_OPCODE_BUILTIN, XTML_OP_CUSTOM);
    set_vector(&m, opcode_pos(&m, 0), XTML_OPCODE_CUSTOM, 1, "my-op", 5, 1);
    expect(&m, "ADD turned into CUSTOM 'my-op': UNSUPPORTED_OPERATOR", AT_PREPARE, XTML_STATUS_UNSUPPORTED_OPERATOR,
           "custom operator 'my-op'", NULL);
    mut_begin(&m, b->vela);
    expect(&m, "person_detect_vela: UNSUPPORTED_OPERATOR naming ethos-u", AT_PREPARE,
           XTML_STATUS_UNSUPPORTED_OPERATOR, "ethos-u", NULL);

    /* Optional-input marker (-1) where ADD needs a tensor. */
    mut_begin(&m, b->add);
    wr_i32(&m, elem_pos(&m, op_pos(&m, 0), XTML_OP_INPUTS, 4, 1), -1);
    expect(&m, "ADD with input 1 absent (-1): MODEL_OPERATOR at arena_size", AT_PREPARE, XTML_STATUS_MODEL_OPERATOR,
           "operator 0 (ADD)", "input 1 is absent", NULL);
}

/* ---- new graphs over an old model's tensors ---- */

/*
 * Rearranging operators needs new vectors that point at existing tables, and
 * uoffsets only point forward. So the model is moved up and a new root,
 * subgraph, tensor list and operators are written in front of it: they point
 * forward at the old tensor tables, operator codes and buffers. The front
 * region's size is a multiple of 16, so constant data keeps its alignment.
 */
typedef struct front {
    mut_t *m;
    size_t at;
    size_t end;
} front_t;

static size_t front_put(front_t *f, size_t align, const void *bytes, size_t n) {
    size_t pos = (f->at + align - 1) / align * align;
    if (pos + n > f->end) {
        mut_fail(f->m, "front region full");
        return 0;
    }
    if (bytes != NULL) {
        memcpy(f->m->data + pos, bytes, n);
    }
    f->at = pos + n;
    return pos;
}

static size_t front_vec_i32(front_t *f, const int32_t *v, uint32_t n) {
    uint8_t w[4];
    size_t pos;
    uint32_t i;
    le32(w, n);
    pos = front_put(f, 4, w, 4);
    for (i = 0; i < n; i++) {
        le32(w, (uint32_t)v[i]);
        front_put(f, 1, w, 4);
    }
    return pos;
}

/* A table whose present fields are all 4 bytes wide; *field_at gets their positions (0 when absent). */
static size_t front_table(front_t *f, const int *present, int n_fields, size_t *field_at) {
    uint8_t vt[4 + 2 * 16];
    size_t vpos, tpos;
    int i, k = 0;
    memset(vt, 0, sizeof vt);
    for (i = 0; i < n_fields; i++) {
        field_at[i] = 0;
    }
    vt[0] = (uint8_t)(4 + 2 * n_fields);
    for (i = 0; i < n_fields; i++) {
        if (present[i]) {
            k++;
            vt[4 + 2 * i] = (uint8_t)(4 * k);
        }
    }
    vt[2] = (uint8_t)(4 + 4 * k);
    vpos = front_put(f, 2, vt, (size_t)(4 + 2 * n_fields));
    tpos = front_put(f, 4, NULL, (size_t)(4 + 4 * k));
    if (!mut_ok(f->m)) {
        return 0;
    }
    memset(f->m->data + tpos, 0, (size_t)(4 + 4 * k));
    le32(f->m->data + tpos, (uint32_t)(tpos - vpos));
    for (i = 0, k = 0; i < n_fields; i++) {
        field_at[i] = present[i] ? tpos + 4 * (size_t)(++k) : 0;
    }
    return tpos;
}

typedef struct graph_op {
    const int32_t *ins;
    uint32_t n_ins;
    const int32_t *outs;
    uint32_t n_outs;
} graph_op_t;

typedef struct graph {
    const int32_t *tensor_of;   /* new tensor i = base tensor tensor_of[i] */
    uint32_t n_tensors;
    const int32_t *inputs;
    uint32_t n_inputs;
    const int32_t *outputs;
    uint32_t n_outputs;
    const graph_op_t *ops;      /* all use operator code 0 and no options */
    uint32_t n_ops;
    uint32_t op_repeat;         /* the operators vector lists the ops this many times (same tables) */
} graph_t;

/* Rebuild `base` with subgraph 0 replaced by graph g. */
static void build_graph(mut_t *m, const blob_t *base, const graph_t *g) {
    static const int root_fields[5] = {1, 1, 1, 0, 1};
    static const int sg_fields[4] = {1, 1, 1, 1};
    static const int op_fields[3] = {0, 1, 1};
    mut_t old;
    front_t f;
    size_t root_at[5] = {0}, sg_at[4] = {0}, op_at[3] = {0};
    size_t old_root, old_sg, vec, sg, cells, front = 4096;
    size_t *op_tables;
    uint8_t w[4];
    uint32_t i, r;

    for (i = 0; i < g->n_ops; i++) {
        front += 48 + 4 * ((size_t)g->ops[i].n_ins + g->ops[i].n_outs);
    }
    front += 4 * ((size_t)g->n_tensors + g->n_inputs + g->n_outputs + (size_t)g->n_ops * g->op_repeat);
    front = (front + 15) / 16 * 16;
    memset(m, 0, sizeof *m);
    m->cap = front + base->len + MUT_ROOM;
    m->data = alloc16(m->cap);
    memset(m->data, 0, m->cap);
    memcpy(m->data + front, base->data, base->len);
    m->len = front + base->len;
    op_tables = calloc((size_t)g->n_ops + 1, sizeof *op_tables);
    if (op_tables == NULL) {
        exit(2);
    }
    /* The old model, read where it was, to find its tables. */
    old.data = base->data;
    old.len = base->len;
    old.cap = base->len;
    old.err[0] = '\0';
    old_root = root_pos(&old);
    old_sg = subgraph_pos(&old);

    f.m = m;
    f.at = 8;
    f.end = front;
    memcpy(m->data + 4, "TFL3", 4);
    vec = front_table(&f, root_fields, 5, root_at);
    le32(m->data, (uint32_t)vec);
    le32(m->data + root_at[0], 3);
    link_to(m, root_at[1], front + (size_t)(vec_of(&old, old_root, XTML_MODEL_OPCODES).data - old.data) - 4);
    link_to(m, root_at[4], front + (size_t)(vec_of(&old, old_root, XTML_MODEL_BUFFERS).data - old.data) - 4);
    le32(w, 1);
    vec = front_put(&f, 4, w, 4);
    front_put(&f, 1, NULL, 4);
    link_to(m, root_at[2], vec);
    sg = front_table(&f, sg_fields, 4, sg_at);
    link_to(m, vec + 4, sg);
    le32(w, g->n_tensors);
    vec = front_put(&f, 4, w, 4);
    link_to(m, sg_at[0], vec);
    for (i = 0; i < g->n_tensors; i++) {
        size_t at = front_put(&f, 1, NULL, 4);
        link_to(m, at, front + child_pos(&old, old_sg, XTML_SUBGRAPH_TENSORS, (uint32_t)g->tensor_of[i]));
    }
    link_to(m, sg_at[1], front_vec_i32(&f, g->inputs, g->n_inputs));
    link_to(m, sg_at[2], front_vec_i32(&f, g->outputs, g->n_outputs));
    le32(w, g->n_ops * g->op_repeat);
    vec = front_put(&f, 4, w, 4);
    cells = front_put(&f, 1, NULL, 4 * (size_t)g->n_ops * g->op_repeat);
    link_to(m, sg_at[3], vec);
    for (i = 0; i < g->n_ops && mut_ok(m); i++) {
        op_tables[i] = front_table(&f, op_fields, 3, op_at);
        link_to(m, op_at[1], front_vec_i32(&f, g->ops[i].ins, g->ops[i].n_ins));
        link_to(m, op_at[2], front_vec_i32(&f, g->ops[i].outs, g->ops[i].n_outs));
    }
    for (r = 0; r < g->op_repeat && mut_ok(m); r++) {
        for (i = 0; i < g->n_ops; i++) {
            size_t cell = cells + 4 * ((size_t)r * g->n_ops + i);
            link_to(m, cell, op_tables[i]);
        }
    }
    free(op_tables);
    if (old.err[0] != '\0') {
        mut_fail(m, "%s", old.err);
    }
}

/*
 * The status of xtml_model_verify (stage AT_VERIFY) or xtml_arena_size
 * (AT_PREPARE) on a model that could make a careless implementation loop or
 * take quadratic time, in a child process killed after `seconds` (times
 * XTML_TIME_SCALE): a hang is then a failure like a wrong status, and does
 * not stop the rest of the test. needle may be "".
 */
#ifdef TM_PROCESSES
static int hang_files;

static void expect_no_hang(mut_t *m, const char *desc, stage_t stage, xtml_status_t want, const char *needle,
                           int seconds) {
    pid_t pid;
    int wstatus = 0;
    int waited_ms = 0;
    char got[300];
    seconds *= time_scale;
    if (!mut_ok(m)) {
        snprintf(got, sizeof got, "could not build the model (%s)", m->err);
        result(0, desc, got);
        mut_end(m);
        return;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        xtml_diag_t d;
        size_t need = 0;
        xtml_status_t st = stage == AT_VERIFY ? xtml_model_verify(m->data, m->len, &d)
                                              : xtml_arena_size(m->data, m->len, &need, &d);
        _exit((want == XTML_STATUS_COUNT || st == want) && strstr(d.detail, needle) != NULL ? 0 : 100 + (int)st);
    }
    got[0] = '\0';
    if (pid < 0) {
        snprintf(got, sizeof got, "fork failed");
    } else {
        for (;;) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            pid_t r = waitpid(pid, &wstatus, WNOHANG);
            if (r == pid) {
                break;
            }
            if (waited_ms >= 1000 * seconds) {
                char path[64];
                FILE *out;
                snprintf(path, sizeof path, "/tmp/test_malformed_hang_%d.tflite", ++hang_files);
                out = fopen(path, "wb");
                kill(pid, SIGKILL);
                waitpid(pid, &wstatus, 0);
                if (out != NULL) {
                    fwrite(m->data, 1, m->len, out);
                    fclose(out);
                }
                snprintf(got, sizeof got, "%s still running after %d s (killed); model saved to %s",
                         stage == AT_VERIFY ? "xtml_model_verify" : "xtml_arena_size", seconds, path);
                break;
            }
            nanosleep(&ts, NULL);
            waited_ms += 10;
        }
        if (got[0] == '\0') {
            if (WIFSIGNALED(wstatus)) {
                snprintf(got, sizeof got, "child died of signal %d", WTERMSIG(wstatus));
            } else if (WEXITSTATUS(wstatus) != 0) {
                int st = WEXITSTATUS(wstatus) - 100;
                snprintf(got, sizeof got, "%s (or detail without '%s')",
                         st >= 0 && st < XTML_STATUS_COUNT ? xtml_status_name((xtml_status_t)st) : "bad exit", needle);
            }
        }
    }
    result(got[0] == '\0', desc, got);
    mut_end(m);
}
#else
/* One process: run the call here; a hang is caught by the caller's timeout. */
static void expect_no_hang(mut_t *m, const char *desc, stage_t stage, xtml_status_t want, const char *needle,
                           int seconds) {
    xtml_diag_t d;
    size_t need = 0;
    xtml_status_t st;
    char got[300];
    (void)seconds;
    if (!mut_ok(m)) {
        snprintf(got, sizeof got, "could not build the model (%s)", m->err);
        result(0, desc, got);
        mut_end(m);
        return;
    }
    got[0] = '\0';
    st = stage == AT_VERIFY ? xtml_model_verify(m->data, m->len, &d) : xtml_arena_size(m->data, m->len, &need, &d);
    if (!((want == XTML_STATUS_COUNT || st == want) && strstr(d.detail, needle) != NULL)) {
        snprintf(got, sizeof got, "%s (or detail without '%s')", xtml_status_name(st), needle);
    }
    result(got[0] == '\0', desc, got);
    mut_end(m);
}
#endif

static void test_graphs(const bases_t *b) {
    /* reshape base: tensor 0 [graph input] -> RESHAPE -> tensor 1 [graph output]. */
    static const int32_t tensor_of[4] = {0, 1, 0, 1};
    static const int32_t t0[1] = {0}, t1[1] = {1}, t2[1] = {2}, t3[1] = {3};
    mut_t m;
    graph_t g;
    graph_op_t ops[3];
    int32_t *list, *list2, *tmap;
    uint32_t i;

    memset(&g, 0, sizeof g);
    g.tensor_of = tensor_of;
    g.n_tensors = 2;
    g.inputs = t0;
    g.n_inputs = 1;
    g.outputs = t1;
    g.n_outputs = 1;
    g.ops = ops;
    g.n_ops = 1;
    g.op_repeat = 1;
    ops[0].ins = t0;
    ops[0].outs = t1;
    ops[0].n_ins = ops[0].n_outs = 1;
    build_graph(&m, b->reshape, &g);
    expect(&m, "rebuilt reshape model (graph written in front of the old one) loads", AT_PREPARE, XTML_STATUS_OK, NULL);

    /* Tensors 2 and 3 reshape into each other, and nothing else writes them. */
    g.n_tensors = 4;
    g.n_ops = 3;
    ops[1].ins = t3;
    ops[1].outs = t2;
    ops[2].ins = t2;
    ops[2].outs = t3;
    ops[1].n_ins = ops[1].n_outs = ops[2].n_ins = ops[2].n_outs = 1;
    build_graph(&m, b->reshape, &g);
    expect_no_hang(&m,
                   "two RESHAPEs writing each other's input (alias cycle): MODEL_OPERATOR at arena_size, no hang",
                   AT_PREPARE, XTML_STATUS_MODEL_OPERATOR, "before any operator writes it", HANG_GUARD_SECONDS);

    /* An operator reading a tensor that a later operator writes. */
    ops[2].ins = t1;
    build_graph(&m, b->reshape, &g);
    expect(&m, "operator 1 reading tensor 3 that operator 2 writes later: MODEL_OPERATOR at arena_size", AT_PREPARE,
           XTML_STATUS_MODEL_OPERATOR, "operator 1 (RESHAPE) reads tensor 3", NULL);

    /*
     * Verification must end, with a status, however often the operators
     * vector repeats one operator table (its time is meant to stay
     * proportional to the model's size; no wall-clock check here, only the
     * hang guard):
     *   - one table with 1024 absent inputs and 1024 outputs, listed 65535 times;
     *   - one table with 65535 absent inputs and no outputs, listed 65535 times;
     *   - 4000 operators with one output each over 4000000 graph input entries.
     */
    list = malloc(sizeof *list * 4000000);
    list2 = malloc(sizeof *list2 * 65536);
    tmap = calloc(65536, sizeof *tmap);
    if (list == NULL || list2 == NULL || tmap == NULL) {
        exit(2);
    }
    for (i = 0; i < 65536; i++) {
        list[i] = -1;
        list2[i] = (int32_t)i;
    }
    g.tensor_of = tmap;
    g.n_tensors = 1024;
    g.inputs = t0;
    g.n_inputs = 0;
    g.outputs = t1;
    g.n_outputs = 1;
    ops[0].ins = list;
    ops[0].n_ins = 1024;
    ops[0].outs = list2;
    ops[0].n_outs = 1024;
    g.n_ops = 1;
    g.op_repeat = 65535;
    build_graph(&m, b->reshape, &g);
    expect_no_hang(&m, "verify of one 1024-in/1024-out operator listed 65535 times returns a status, no hang", AT_VERIFY,
                   XTML_STATUS_COUNT, "", HANG_GUARD_SECONDS);
    g.n_tensors = 2;
    ops[0].n_ins = 65535;
    ops[0].n_outs = 0;
    build_graph(&m, b->reshape, &g);
    expect_no_hang(&m, "verify of one 65535-input operator listed 65535 times returns a status, no hang", AT_VERIFY,
                   XTML_STATUS_COUNT, "", HANG_GUARD_SECONDS);
    {
        graph_op_t *many = malloc(sizeof *many * 4000);
        if (many == NULL) {
            exit(2);
        }
        for (i = 0; i < 4000000; i++) {
            list[i] = 0;
        }
        for (i = 0; i < 4000; i++) {
            many[i].ins = t0;
            many[i].n_ins = 1;
            many[i].outs = &list2[i + 1];
            many[i].n_outs = 1;
        }
        g.n_tensors = 4001;
        g.inputs = list;
        g.n_inputs = 4000000;
        g.outputs = &list2[4000];
        g.ops = many;
        g.n_ops = 4000;
        g.op_repeat = 1;
        build_graph(&m, b->reshape, &g);
        expect_no_hang(&m, "verify of 4000 operators over 4000000 graph input entries returns a status, no hang",
                       AT_VERIFY, XTML_STATUS_COUNT, "", HANG_GUARD_SECONDS);
        free(many);
    }
    free(list);
    free(list2);
    free(tmap);
}

/* ---- the arena contract on one model ---- */

static uint32_t xorshift(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Write every input (float inputs finite, in [-1, 1)); inputs inside the model are left alone. */
static void fill_inputs(xtml_ctx_t *ctx, const uint8_t *model, size_t model_len, uint32_t *rng) {
    int32_t i;
    for (i = 0; i < xtml_input_count(ctx); i++) {
        xtml_tensor_info_t info;
        uint8_t *data = xtml_input_data(ctx, i);
        size_t k;
        if (xtml_input_info(ctx, i, &info) != XTML_STATUS_OK || data == NULL) {
            continue;
        }
        if (data >= model && data < model + model_len) {
            continue;
        }
        if (info.dtype == XTML_DTYPE_FLOAT32) {
            for (k = 0; k + 4 <= info.bytes; k += 4) {
                float f = (float)(int32_t)xorshift(rng) / 2147483648.0f;
                memcpy(data + k, &f, 4);
            }
        } else {
            for (k = 0; k < info.bytes; k++) {
                data[k] = (uint8_t)(xorshift(rng) >> 24);
            }
        }
    }
}

/* Read every output byte and name every operator (ASan checks the pointers). */
static uint32_t touch_outputs(const xtml_ctx_t *ctx) {
    uint32_t sum = 0;
    int32_t i;
    for (i = 0; i < xtml_output_count(ctx); i++) {
        xtml_tensor_info_t info;
        const uint8_t *data = xtml_output_data(ctx, i);
        size_t k;
        if (xtml_output_info(ctx, i, &info) != XTML_STATUS_OK || data == NULL) {
            continue;
        }
        for (k = 0; k < info.bytes; k++) {
            sum += data[k];
        }
        sum += (uint32_t)strlen(info.name);
    }
    for (i = 0; i < xtml_operator_count(ctx); i++) {
        const char *name = xtml_operator_name(ctx, i);
        sum += name != NULL ? (uint32_t)strlen(name) : 0u;
        sum += xtml_operator_macs(ctx, i);
    }
    return sum;
}

static volatile uint32_t sink;

static void test_arena(const blob_t *model) {
    char desc[200], got[300];
    xtml_diag_t d;
    size_t need = 0;
    xtml_status_t st;
    uint8_t *arena;
    xtml_ctx_t *ctx = NULL;
    uint32_t rng = 1;

    crash_watch(model->data, model->len, "arena checks of %s", model->label);
    st = xtml_arena_size(model->data, model->len, &need, &d);
    snprintf(desc, sizeof desc, "%s: arena_size, init with size-1 / size / misaligned, invoke", model->label);
    if (st != XTML_STATUS_OK) {
        char why[200];
        snprintf(why, sizeof why, "not loadable in this build: %s %s", xtml_status_name(st), d.detail);
        skip(desc, why);
        return;
    }
    got[0] = '\0';
    arena = alloc16(need);
    st = xtml_init(model->data, model->len, arena, need - 1, &ctx, &d);
    if (st != XTML_STATUS_ARENA_TOO_SMALL || d.status != st || d.needed != need || ctx != NULL) {
        snprintf(got, sizeof got, "init(%zu - 1) gave %s, needed %zu '%s'", need, xtml_status_name(st), d.needed,
                 d.detail);
    }
    if (got[0] == '\0') {
        st = xtml_init(model->data, model->len, arena + 8, need - 8, &ctx, &d);
        if (st != XTML_STATUS_ARENA_ALIGNMENT || d.status != st || ctx != NULL) {
            snprintf(got, sizeof got, "init(arena + 8) gave %s '%s'", xtml_status_name(st), d.detail);
        }
    }
    if (got[0] == '\0') {
        st = xtml_init(model->data, model->len, arena, need, &ctx, &d);
        if (st != XTML_STATUS_OK || ctx == NULL || xtml_arena_used(ctx) != need) {
            snprintf(got, sizeof got, "init(%zu) gave %s '%s', used %zu", need, xtml_status_name(st), d.detail,
                     ctx != NULL ? xtml_arena_used(ctx) : (size_t)0);
        }
    }
    if (got[0] == '\0') {
        fill_inputs(ctx, model->data, model->len, &rng);
        st = xtml_invoke(ctx);
        if (st != XTML_STATUS_OK) {
            snprintf(got, sizeof got, "invoke gave %s '%s'", xtml_status_name(st), xtml_ctx_detail(ctx));
        } else {
            sink += touch_outputs(ctx);
        }
    }
    free(arena);
    crash_model = NULL;
    result(got[0] == '\0', desc, got);
}

static void test_arena_add(const blob_t *add) {
    xtml_diag_t d;
    size_t need = 0;
    xtml_status_t st;
    uint8_t *arena;
    xtml_ctx_t *ctx = NULL;
    char got[300], n1[64];

    st = xtml_arena_size(add->data, add->len, &need, &d);
    got[0] = '\0';
    if (st != XTML_STATUS_OK) {
        snprintf(got, sizeof got, "arena_size %s '%s'", xtml_status_name(st), d.detail);
        result(0, "simple_add: arena contract", got);
        return;
    }
    arena = alloc16(need);
    st = xtml_init(add->data, add->len, arena, need - 1, &ctx, &d);
    snprintf(n1, sizeof n1, "the model needs %zu", need);
    snprintf(got, sizeof got, "%s needed %zu '%s'", xtml_status_name(st), d.needed, d.detail);
    result(st == XTML_STATUS_ARENA_TOO_SMALL && d.status == st && d.needed == need && strstr(d.detail, n1) != NULL &&
               ctx == NULL,
           "simple_add: init with arena_size - 1 bytes: ARENA_TOO_SMALL, diag.needed = arena_size", got);
    st = xtml_init(add->data, add->len, arena, 0, &ctx, &d);
    snprintf(got, sizeof got, "%s needed %zu '%s'", xtml_status_name(st), d.needed, d.detail);
    result(st == XTML_STATUS_ARENA_TOO_SMALL && d.needed == need,
           "simple_add: init with a 0-byte arena: ARENA_TOO_SMALL", got);
    st = xtml_init(add->data, add->len, arena, need, &ctx, &d);
    snprintf(got, sizeof got, "%s '%s' used %zu", xtml_status_name(st), d.detail,
             ctx != NULL ? xtml_arena_used(ctx) : (size_t)0);
    result(st == XTML_STATUS_OK && ctx != NULL && xtml_arena_used(ctx) == need,
           "simple_add: init with exactly arena_size bytes succeeds", got);
    free(arena);
    arena = alloc16(need + 16);
    st = xtml_init(add->data, add->len, arena + 1, need + 15, &ctx, &d);
    snprintf(got, sizeof got, "%s '%s'", xtml_status_name(st), d.detail);
    result(st == XTML_STATUS_ARENA_ALIGNMENT && d.status == st && ctx == NULL,
           "simple_add: arena at 16k+1: ARENA_ALIGNMENT", got);
    st = xtml_init(add->data, add->len, NULL, need, &ctx, &d);
    snprintf(got, sizeof got, "%s '%s'", xtml_status_name(st), d.detail);
    result(st == XTML_STATUS_BAD_ARGUMENT, "simple_add: NULL arena: BAD_ARGUMENT", got);
    st = xtml_arena_size(add->data, add->len, NULL, &d);
    snprintf(got, sizeof got, "%s '%s'", xtml_status_name(st), d.detail);
    result(st == XTML_STATUS_BAD_ARGUMENT, "simple_add: arena_size(NULL out): BAD_ARGUMENT", got);
    free(arena);
    {
        /* xtml_arena_size_for: the build's own width is xtml_arena_size; 4 is
         * what 32-bit builds need (the same figure there); others are refused. */
        size_t own = 0, for32 = 0, odd = 1;
        xtml_status_t st_own = xtml_arena_size_for(add->data, add->len, sizeof(void *), &own, &d);
        xtml_status_t st32 = xtml_arena_size_for(add->data, add->len, 4, &for32, &d);
        snprintf(got, sizeof got, "%s %zu (arena_size %zu), %s %zu", xtml_status_name(st_own), own, need,
                 xtml_status_name(st32), for32);
        result(st_own == XTML_STATUS_OK && own == need && st32 == XTML_STATUS_OK && for32 > 0 &&
                   (sizeof(void *) == 4 ? for32 == need : for32 < need),
               "simple_add: arena_size_for(own width) = arena_size; for 4-byte pointers: smaller on 64-bit builds",
               got);
        st = xtml_arena_size_for(add->data, add->len, 2, &odd, &d);
        snprintf(got, sizeof got, "%s %zu '%s'", xtml_status_name(st), odd, d.detail);
        result(st == XTML_STATUS_BAD_ARGUMENT && odd == 0 && strstr(d.detail, "pointer_bytes is 2") != NULL,
               "simple_add: arena_size_for(2-byte pointers): BAD_ARGUMENT, naming the width", got);
        st = xtml_arena_size_for(add->data, add->len, sizeof(void *) == 4 ? 8 : 16, &odd, &d);
        snprintf(got, sizeof got, "%s '%s'", xtml_status_name(st), d.detail);
        result(st == XTML_STATUS_BAD_ARGUMENT, "simple_add: arena_size_for(a width wider than the build's): BAD_ARGUMENT",
               got);
    }
}

/* ---- truncation ---- */

static void test_truncation(const blob_t *model) {
    size_t len;
    size_t passed = 0;
    size_t first_pass = 0;
    char desc[200], got[200];
    xtml_diag_t d;
    snprintf(desc, sizeof desc, "%s truncated at every length 0..%zu: all refused", model->label, model->len - 1);
    if (model->len <= TRUNC_COPY_MAX) {
        for (len = 0; len < model->len; len++) {
            uint8_t *copy = alloc16(len);
            memcpy(copy, model->data, len);
            crash_watch(copy, len, "%s truncated to %zu bytes", model->label, len);
            if (xtml_model_verify(copy, len, &d) == XTML_STATUS_OK) {
                if (passed++ == 0) {
                    first_pass = len;
                }
            }
            free(copy);
        }
    } else {
        /*
         * Copying every prefix of a 300 KB model is 45 GB of memcpy. One exact
         * copy instead, shortened from the end; under ASan the cut-off tail is
         * poisoned one byte at a time so reads past `len` are still caught.
         */
        uint8_t *copy = alloc16(model->len);
        memcpy(copy, model->data, model->len);
        for (len = model->len; len-- > 0;) {
#ifdef TM_ASAN
            ASAN_POISON_MEMORY_REGION(copy + len, 1);
#endif
            crash_watch(copy, len, "%s truncated to %zu bytes", model->label, len);
            if (xtml_model_verify(copy, len, &d) == XTML_STATUS_OK) {
                if (passed++ == 0 || len < first_pass) {
                    first_pass = len;
                }
            }
        }
#ifdef TM_ASAN
        ASAN_UNPOISON_MEMORY_REGION(copy, model->len);
#endif
        free(copy);
    }
    crash_model = NULL;
    snprintf(got, sizeof got, "%zu lengths verified OK (shortest %zu)", passed, first_pass);
    result(passed == 0, desc, got);
}

/* ---- random byte flips ---- */

/* Offsets of the bytes outside constant data payloads (the structure), sorted. */
static size_t structure_bytes(const blob_t *model, uint32_t *out) {
    xtml_fb_table_t root = xtml_fb_root(model->data);
    xtml_fb_vec_t bufs = xtml_fb_vec(&root, XTML_MODEL_BUFFERS);
    uint32_t *ranges = malloc(sizeof(uint32_t) * 2 * ((size_t)bufs.len + 1));
    uint32_t n_ranges = 0;
    uint32_t i, r = 0;
    size_t n = 0, pos;
    if (ranges == NULL) {
        exit(2);
    }
    for (i = 0; i < bufs.len; i++) {
        xtml_fb_table_t bt = xtml_fb_vec_table(&root, bufs, i);
        xtml_fb_vec_t d = xtml_fb_vec(&bt, XTML_BUFFER_DATA);
        if (d.len > 0) {
            ranges[2 * n_ranges] = (uint32_t)(d.data - model->data);
            ranges[2 * n_ranges + 1] = (uint32_t)(d.data - model->data) + d.len;
            n_ranges++;
        }
    }
    /* Insertion sort of the (start, end) pairs by start; a model has few buffers. */
    for (i = 1; i < n_ranges; i++) {
        uint32_t s = ranges[2 * i], e = ranges[2 * i + 1];
        uint32_t j = i;
        while (j > 0 && ranges[2 * (j - 1)] > s) {
            ranges[2 * j] = ranges[2 * (j - 1)];
            ranges[2 * j + 1] = ranges[2 * (j - 1) + 1];
            j--;
        }
        ranges[2 * j] = s;
        ranges[2 * j + 1] = e;
    }
    for (pos = 0; pos < model->len; pos++) {
        while (r < n_ranges && ranges[2 * r + 1] <= pos) {
            r++;
        }
        if (r < n_ranges && ranges[2 * r] <= pos) {
            continue;
        }
        out[n++] = (uint32_t)pos;
    }
    free(ranges);
    return n;
}

typedef struct flip_stats {
    unsigned verified, prepared, initialized, invoked, too_big, bad;
    char first_bad[320];
} flip_stats_t;

static void run_flipped(const uint8_t *model, size_t len, flip_stats_t *fs, uint64_t *budget, uint32_t *rng) {
    xtml_diag_t d;
    size_t need = 0;
    xtml_ctx_t *ctx = NULL;
    uint8_t *arena;
    xtml_status_t st;
    uint64_t cost;
    int32_t i;
    if (xtml_model_verify(model, len, &d) != XTML_STATUS_OK) {
        return;
    }
    fs->verified++;
    if (xtml_arena_size(model, len, &need, &d) != XTML_STATUS_OK) {
        return;
    }
    fs->prepared++;
    if (need > FLIP_ARENA_MAX) {
        fs->too_big++;
        return;
    }
    arena = alloc16(need);
    st = xtml_init(model, len, arena, need, &ctx, &d);
    if (st != XTML_STATUS_OK || ctx == NULL || xtml_arena_used(ctx) != need) {
        if (fs->bad++ == 0) {
            snprintf(fs->first_bad, sizeof fs->first_bad, "%.100s: arena_size said %zu but init gave %s '%.100s'",
                     crash_what, need, xtml_status_name(st), d.detail);
        }
        free(arena);
        return;
    }
    fs->initialized++;
    cost = need;
    for (i = 0; i < xtml_operator_count(ctx); i++) {
        cost += xtml_operator_macs(ctx, i);
    }
    if (cost <= *budget) {
        *budget -= cost;
        fill_inputs(ctx, model, len, rng);
        if (xtml_invoke(ctx) == XTML_STATUS_OK) {
            sink += touch_outputs(ctx);
        }
        sink += (uint32_t)strlen(xtml_ctx_detail(ctx));
        fs->invoked++;
    }
    free(arena);
}

static void test_flips(const blob_t *model, unsigned trials) {
    uint8_t *copy = alloc16(model->len);
    uint32_t *structure = malloc(sizeof(uint32_t) * (model->len + 1));
    size_t n_struct;
    uint32_t rng = 0x9e3779b9u;
    uint64_t budget = FLIP_INVOKE_BUDGET;
    flip_stats_t fs;
    unsigned t;
    const char *p;
    char desc[300];
    xtml_diag_t d;

    if (structure == NULL) {
        exit(2);
    }
    memset(&fs, 0, sizeof fs);
    for (p = model->label; *p != '\0'; p++) {
        rng = (rng ^ (uint8_t)*p) * 16777619u;
    }
    if (rng == 0) {
        rng = 1;
    }
    memcpy(copy, model->data, model->len);
    n_struct = structure_bytes(model, structure);
    for (t = 0; t < trials; t++) {
        size_t pos[4];
        uint8_t old[4];
        unsigned k, n = 1 + xorshift(&rng) % 3;
        for (k = 0; k < n; k++) {
            uint32_t r = xorshift(&rng);
            uint32_t how = xorshift(&rng) % 6;
            pos[k] = (r & 3) != 0 && n_struct > 0 ? structure[(r >> 2) % n_struct] : (r >> 2) % model->len;
            old[k] = copy[pos[k]];
            switch (how) {
            case 0: copy[pos[k]] ^= (uint8_t)(1u << (xorshift(&rng) % 8)); break;
            case 1: copy[pos[k]] = (uint8_t)xorshift(&rng); break;
            case 2: copy[pos[k]] = 0x00; break;
            case 3: copy[pos[k]] = 0xff; break;
            case 4: copy[pos[k]] = (uint8_t)(copy[pos[k]] + 1); break;
            default: copy[pos[k]] = (uint8_t)(copy[pos[k]] - 1); break;
            }
        }
        crash_watch(copy, model->len, "%s flip trial %u", model->label, t);
        run_flipped(copy, model->len, &fs, &budget, &rng);
        while (n-- > 0) {
            copy[pos[n]] = old[n];
        }
    }
    crash_model = NULL;
    if (fs.bad == 0 && (xtml_model_verify(copy, model->len, &d) != XTML_STATUS_OK ||
                        memcmp(copy, model->data, model->len) != 0)) {
        fs.bad++;
        snprintf(fs.first_bad, sizeof fs.first_bad, "model not restored after the flips");
    }
    snprintf(desc, sizeof desc,
             "%s: %u byte-flip trials, no crash, init fits arena_size (%u verified, %u prepared, %u init, %u invoked, "
             "%u over 64 MiB)",
             model->label, trials, fs.verified, fs.prepared, fs.initialized, fs.invoked, fs.too_big);
    result(fs.bad == 0, desc, fs.first_bad);
    free(structure);
    free(copy);
}

/* ---- parameter extremes ---- */

/*
 * Where the flips land at random, this walks every place a kernel reads a
 * number from the model and writes boundary values there, one at a time:
 * tensor dimensions, scales and zero points, quantized_dimension, each field
 * of each operator's options table (as a byte and, where it fits, as a 32-bit
 * word, float bit patterns included), and the elements of small int32
 * constant tensors (shape, axis, perm, paddings, begin/end/strides). None of
 * it may crash; statuses may be anything.
 */
typedef enum target_kind { T_DIM, T_SCALE, T_ZP, T_I32, T_OPT1, T_OPT4 } target_kind_t;

typedef struct target {
    uint32_t pos;
    uint8_t kind;
    char what[72];
} target_t;

typedef struct targets {
    target_t *items;
    size_t count;
    size_t cap;
} targets_t;

static void add_target(targets_t *ts, size_t pos, target_kind_t kind, const char *fmt, ...) {
    va_list ap;
    target_t *t;
    if (ts->count == ts->cap) {
        ts->cap = ts->cap != 0 ? 2 * ts->cap : 256;
        ts->items = realloc(ts->items, ts->cap * sizeof *ts->items);
        if (ts->items == NULL) {
            exit(2);
        }
    }
    t = &ts->items[ts->count++];
    t->pos = (uint32_t)pos;
    t->kind = (uint8_t)kind;
    va_start(ap, fmt);
    vsnprintf(t->what, sizeof t->what, fmt, ap);
    va_end(ap);
}

static void find_targets(const blob_t *model, targets_t *ts) {
    const uint8_t *buf = model->data;
    xtml_fb_table_t root = xtml_fb_root(buf);
    xtml_fb_vec_t sgs = xtml_fb_vec(&root, XTML_MODEL_SUBGRAPHS);
    xtml_fb_vec_t bufs = xtml_fb_vec(&root, XTML_MODEL_BUFFERS);
    xtml_fb_table_t sg = xtml_fb_vec_table(&root, sgs, 0);
    xtml_fb_vec_t tensors = xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS);
    xtml_fb_vec_t ops = xtml_fb_vec(&sg, XTML_SUBGRAPH_OPERATORS);
    uint32_t i, k;
    for (i = 0; i < tensors.len; i++) {
        xtml_fb_table_t t = xtml_fb_vec_table(&sg, tensors, i);
        xtml_fb_vec_t shape = xtml_fb_vec(&t, XTML_TENSOR_SHAPE);
        xtml_fb_table_t q = xtml_fb_table(&t, XTML_TENSOR_QUANT);
        uint32_t b = xtml_fb_u32(&t, XTML_TENSOR_BUFFER, 0);
        for (k = 0; k < shape.len; k++) {
            add_target(ts, (size_t)(shape.data - buf) + 4 * k, T_DIM, "tensor %u dim %u", (unsigned)i, (unsigned)k);
        }
        if (q.pos != 0) {
            xtml_fb_vec_t sc = xtml_fb_vec(&q, XTML_QUANT_SCALE);
            xtml_fb_vec_t zp = xtml_fb_vec(&q, XTML_QUANT_ZERO_POINT);
            uint32_t at = xtml_fb_field(&q, XTML_QUANT_DIMENSION);
            for (k = 0; k < sc.len && k < 2; k++) {
                add_target(ts, (size_t)(sc.data - buf) + 4 * k, T_SCALE, "tensor %u scale[%u]", (unsigned)i,
                           (unsigned)k);
            }
            for (k = 0; k < zp.len && k < 2; k++) {
                add_target(ts, (size_t)(zp.data - buf) + 8 * k, T_ZP, "tensor %u zero_point[%u]", (unsigned)i,
                           (unsigned)k);
            }
            if (at != 0) {
                add_target(ts, at, T_I32, "tensor %u quantized_dimension", (unsigned)i);
            }
        }
        if (b != 0 && b < bufs.len && xtml_fb_u8(&t, XTML_TENSOR_TYPE, 0) == XTML_DTYPE_INT32) {
            xtml_fb_table_t bt = xtml_fb_vec_table(&root, bufs, b);
            xtml_fb_vec_t d = xtml_fb_vec(&bt, XTML_BUFFER_DATA);
            for (k = 0; k < d.len / 4 && k < 16; k++) {
                add_target(ts, (size_t)(d.data - buf) + 4 * k, T_I32, "constant int32 tensor %u [%u]", (unsigned)i,
                           (unsigned)k);
            }
        }
    }
    for (i = 0; i < ops.len; i++) {
        xtml_fb_table_t op = xtml_fb_vec_table(&sg, ops, i);
        xtml_fb_table_t o = xtml_fb_table(&op, XTML_OP_OPTIONS);
        int field;
        if (o.pos == 0) {
            continue;
        }
        for (field = 0; 4 + 2 * field + 2 <= o.vt_len; field++) {
            uint32_t at = xtml_fb_field(&o, field);
            uint16_t off = xtml_ld_u16(buf + o.vt + 4 + 2 * field);
            if (at == 0) {
                continue;
            }
            add_target(ts, at, T_OPT1, "operator %u options field %d (byte)", (unsigned)i, field);
            if ((uint32_t)off + 4 <= xtml_ld_u16(buf + o.vt + 2)) {
                add_target(ts, at, T_OPT4, "operator %u options field %d (word)", (unsigned)i, field);
            }
        }
    }
}

static const uint32_t dim_values[] = {0, 1, 3, 255, 65535, 0x7fffffffu};
static const float scale_values[] = {1e-45f, 1.17549435e-38f, 1e-20f, 1e20f, 3.4e38f};
static const int64_t zp_values[] = {-128, 127, 255, -32768, 32767, INT32_MAX};
static const uint32_t i32_values[] = {0, 1, 2, 5, 7, 0xffffffffu, 0xfffffff9u, 0x80000000u, 0x7fffffffu, 1u << 20,
                                      0xfff00000u};
static const uint8_t opt1_values[] = {0, 1, 2, 3, 4, 5, 6, 0x7f, 0x80, 0xff};
static const uint32_t opt4_values[] = {0, 1, 2, 7, 0xffffffffu, 0xfffffff9u, 0x80000000u, 0x7fffffffu, 1u << 20,
                                       0x7f800000u, 0xff800000u, 0x7fc00000u, 0x3f800000u, 0x4f000000u, 0x00000001u};

static size_t n_values(target_kind_t kind) {
    switch (kind) {
    case T_DIM: return sizeof dim_values / sizeof dim_values[0];
    case T_SCALE: return sizeof scale_values / sizeof scale_values[0];
    case T_ZP: return sizeof zp_values / sizeof zp_values[0];
    case T_I32: return sizeof i32_values / sizeof i32_values[0];
    case T_OPT1: return sizeof opt1_values / sizeof opt1_values[0];
    default: return sizeof opt4_values / sizeof opt4_values[0];
    }
}

/* Write value v of the target's list and describe it; returns the bytes written (for restoring). */
static size_t write_value(uint8_t *buf, const target_t *t, size_t v, char *text, size_t cap) {
    uint32_t u = 0;
    switch ((target_kind_t)t->kind) {
    case T_DIM: u = dim_values[v]; snprintf(text, cap, "%lu", (unsigned long)u); break;
    case T_SCALE: memcpy(&u, &scale_values[v], 4); snprintf(text, cap, "%g", (double)scale_values[v]); break;
    case T_ZP:
        le32(buf + t->pos, (uint32_t)(uint64_t)zp_values[v]);
        le32(buf + t->pos + 4, (uint32_t)((uint64_t)zp_values[v] >> 32));
        snprintf(text, cap, "%ld", (long)zp_values[v]);
        return 8;
    case T_I32: u = i32_values[v]; snprintf(text, cap, "%ld", (long)(int32_t)u); break;
    case T_OPT1: buf[t->pos] = opt1_values[v]; snprintf(text, cap, "0x%02x", (unsigned)opt1_values[v]); return 1;
    default: u = opt4_values[v]; snprintf(text, cap, "0x%08lx", (unsigned long)u); break;
    }
    le32(buf + t->pos, u);
    return 4;
}

static void test_extremes(const blob_t *model) {
    uint8_t *copy = alloc16(model->len);
    targets_t ts;
    flip_stats_t fs;
    uint64_t budget = FLIP_INVOKE_BUDGET;
    uint32_t rng = 7;
    unsigned runs = 0;
    size_t i, v;
    char desc[300];
    memset(&ts, 0, sizeof ts);
    memset(&fs, 0, sizeof fs);
    memcpy(copy, model->data, model->len);
    find_targets(model, &ts);
    for (i = 0; i < ts.count; i++) {
        const target_t *t = &ts.items[i];
        for (v = 0; v < n_values((target_kind_t)t->kind); v++) {
            char text[32];
            size_t n = write_value(copy, t, v, text, sizeof text);
            crash_watch(copy, model->len, "%s: %s set to %s", model->label, t->what, text);
            run_flipped(copy, model->len, &fs, &budget, &rng);
            runs++;
            memcpy(copy + t->pos, model->data + t->pos, n);
        }
    }
    crash_model = NULL;
    snprintf(desc, sizeof desc,
             "%s: %u boundary-value variants of shapes, quantization, options and constant parameters, no crash, "
             "init fits arena_size (%u verified, %u prepared, %u invoked)",
             model->label, runs, fs.verified, fs.prepared, fs.invoked);
    result(fs.bad == 0, desc, fs.first_bad);
    free(ts.items);
    free(copy);
}

/* ---- reference files ---- */

typedef struct model_list {
    blob_t *items;
    size_t count;
    size_t cap;
} model_list_t;


/* Read a model into the list; 0 when it cannot be read. */
static int add_model(model_list_t *list, const char *path) {
    if (list->count == list->cap) {
        list->cap = list->cap != 0 ? 2 * list->cap : 256;
        list->items = realloc(list->items, list->cap * sizeof *list->items);
        if (list->items == NULL) {
            exit(2);
        }
    }
    if (!blob_read(path, &list->items[list->count])) {
        return 0;
    }
    list->count++;
    return 1;
}

#ifdef TM_PROCESSES
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every .tflite file in dir, in name order. */
static void list_dir(model_list_t *list, const char *dir) {
    DIR *dh = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    if (dh == NULL) {
        return;
    }
    while ((e = readdir(dh)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 7 && strcmp(e->d_name + l - 7, ".tflite") == 0) {
            if (n == cap) {
                cap = cap != 0 ? 2 * cap : 64;
                names = realloc(names, cap * sizeof *names);
                if (names == NULL) {
                    exit(2);
                }
            }
            names[n] = malloc(strlen(dir) + l + 2);
            if (names[n] == NULL) {
                exit(2);
            }
            sprintf(names[n], "%s/%s", dir, e->d_name);
            n++;
        }
    }
    closedir(dh);
    qsort(names, n, sizeof *names, cmp_str);
    for (i = 0; i < n; i++) {
        (void)add_model(list, names[i]);
        free(names[i]);
    }
    free(names);
}
#endif

static const blob_t *find_model(const model_list_t *list, const char *label) {
    size_t i;
    for (i = 0; i < list->count; i++) {
        if (strcmp(list->items[i].label, label) == 0) {
            return &list->items[i];
        }
    }
    return NULL;
}

/*
 * A model loaded at 16k + misalign (a copy), inputs from seed 1, invoked
 * once: output 0's bytes into out (at most cap), its address into *addr.
 * Returns "" or what went wrong.
 */
static const char *run_at(const uint8_t *data, size_t len, size_t misalign, uint8_t *out, size_t cap,
                          size_t *out_len, const uint8_t **addr, uint8_t **block_out) {
    static char why[300];
    uint8_t *block = alloc16(len + misalign);
    uint8_t *model = block + misalign;
    xtml_diag_t d;
    xtml_ctx_t *ctx = NULL;
    xtml_tensor_info_t info;
    size_t need = 0;
    uint8_t *arena;
    uint32_t rng = 1;
    xtml_status_t st;
    memcpy(model, data, len);
    why[0] = '\0';
    *block_out = block;
    st = xtml_arena_size(model, len, &need, &d);
    if (st != XTML_STATUS_OK) {
        snprintf(why, sizeof why, "arena_size at 16k+%zu: %s '%s'", misalign, xtml_status_name(st), d.detail);
        return why;
    }
    arena = alloc16(need);
    st = xtml_init(model, len, arena, need, &ctx, &d);
    if (st == XTML_STATUS_OK) {
        fill_inputs(ctx, model, len, &rng);
        st = xtml_invoke(ctx);
    }
    if (st != XTML_STATUS_OK) {
        snprintf(why, sizeof why, "init/invoke at 16k+%zu: %s '%s'", misalign, xtml_status_name(st),
                 ctx != NULL ? xtml_ctx_detail(ctx) : d.detail);
    } else if (xtml_output_info(ctx, 0, &info) != XTML_STATUS_OK || info.bytes > cap) {
        snprintf(why, sizeof why, "output 0 at 16k+%zu: no info or over %zu bytes", misalign, cap);
    } else {
        *addr = xtml_output_data(ctx, 0);
        *out_len = info.bytes;
        memcpy(out, *addr, info.bytes);
    }
    free(arena);
    return why;
}

/* int64 constants of subgraph 0 whose data is not 8-byte aligned when the model is at `model`. */
static int misaligned_i64(const uint8_t *model) {
    xtml_fb_table_t root = xtml_fb_root(model);
    xtml_fb_vec_t sgs = xtml_fb_vec(&root, XTML_MODEL_SUBGRAPHS);
    xtml_fb_table_t sg = xtml_fb_vec_table(&root, sgs, 0);
    xtml_fb_vec_t tensors = xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS);
    xtml_fb_vec_t buffers = xtml_fb_vec(&root, XTML_MODEL_BUFFERS);
    uint32_t i;
    int n = 0;
    for (i = 0; i < tensors.len; i++) {
        xtml_fb_table_t t = xtml_fb_vec_table(&sg, tensors, i);
        uint32_t b = xtml_fb_u32(&t, XTML_TENSOR_BUFFER, 0);
        xtml_fb_table_t buf;
        xtml_fb_vec_t d;
        if (xtml_fb_u8(&t, XTML_TENSOR_TYPE, 0) != XTML_DTYPE_INT64 || b == 0 || b >= buffers.len) {
            continue;
        }
        buf = xtml_fb_vec_table(&root, buffers, b);
        d = xtml_fb_vec(&buf, XTML_BUFFER_DATA);
        n += d.len != 0 && ((uintptr_t)d.data & 7u) != 0;
    }
    return n;
}

/*
 * int64 constants need 4-byte alignment only (TFLite files place some at
 * 4 mod 8, as TFLM reads them): our models loaded 4 bytes off 16 run with
 * their int64 biases and shapes misaligned and give the same bytes; an int64
 * constant handed to the caller as a graph output must be 8-byte aligned, and
 * a graph output that RESHAPE would alias to such a constant gets a copy.
 */
static void test_int64_alignment(const bases_t *b) {
    uint8_t out0[4096], out4[4096];
    char desc[200], got[400];
    size_t i, len0 = 0, len4 = 0;
    const uint8_t *addr0 = NULL, *addr4 = NULL;
    uint8_t *block0, *block4;
    const char *why;
    mut_t m;
    int32_t dims, out;
    uint8_t code8 = XTML_OP_RESHAPE;

    for (i = 0; i < sizeof b->i64 / sizeof b->i64[0]; i++) {
        snprintf(desc, sizeof desc, "%s at 16k+4 (int64 constants 4 mod 8): loads, same output as at 16k",
                 i64_models[i]);
        if (b->i64[i] == NULL) {
            skip(desc, "model not listed (core-malformed.test.ts lists it from test/data/tflm-ops)");
            continue;
        }
        got[0] = '\0';
        why = run_at(b->i64[i]->data, b->i64[i]->len, 0, out0, sizeof out0, &len0, &addr0, &block0);
        snprintf(got, sizeof got, "%s", why);
        why = run_at(b->i64[i]->data, b->i64[i]->len, 4, out4, sizeof out4, &len4, &addr4, &block4);
        if (got[0] == '\0' && why[0] != '\0') {
            snprintf(got, sizeof got, "%s", why);
        }
        if (got[0] == '\0' && misaligned_i64(block4 + 4) == 0) {
            snprintf(got, sizeof got, "no int64 constant is misaligned at 16k+4: the check proves nothing");
        } else if (got[0] == '\0' && (len0 != len4 || len0 == 0 || memcmp(out0, out4, len0) != 0)) {
            snprintf(got, sizeof got, "output differs: %zu and %zu bytes", len0, len4);
        }
        free(block0);
        free(block4);
        result(got[0] == '\0', desc, got);
    }
    if (b->i64[4] == NULL) {
        return;
    }

    /* FILL's int64 dims (a constant) made the graph output. */
    mut_begin(&m, b->i64[4]);
    dims = xtml_ld_i32(m.data + elem_pos(&m, op_pos(&m, 0), XTML_OP_INPUTS, 4, 0));
    wr_i32(&m, elem_pos(&m, subgraph_pos(&m), XTML_SUBGRAPH_OUTPUTS, 4, 0), dims);
    {
        const char *needles[2] = {"subgraph 0 output 0: int64 constant tensor", "not 8-byte aligned"};
        expect_bytes("FILL's int64 dims as the graph output at 16k+4: MODEL_ALIGNMENT", m.data, m.len, 4, AT_VERIFY,
                     XTML_STATUS_MODEL_ALIGNMENT, needles, 2);
        expect_bytes("FILL's int64 dims as the graph output at 16k: loads", m.data, m.len, 0, AT_PREPARE,
                     XTML_STATUS_OK, needles, 0);
    }
    mut_end(&m);

    /* FILL made RESHAPE(dims) -> int64 [2], the graph output: aliased to the
     * constant at 16k, its own 8-byte aligned copy at 16k+4. */
    mut_begin(&m, b->i64[4]);
    set_u32(&m, opcode_pos(&m, 0), XTML_OPCODE_BUILTIN, XTML_OP_RESHAPE);
    set_scalar(&m, opcode_pos(&m, 0), XTML_OPCODE_DEPRECATED_BUILTIN, &code8, 1);
    wr_u32(&m, vec_len_pos(&m, op_pos(&m, 0), XTML_OP_INPUTS), 1);
    out = xtml_ld_i32(m.data + elem_pos(&m, op_pos(&m, 0), XTML_OP_OUTPUTS, 4, 0));
    dims = xtml_ld_i32(m.data + elem_pos(&m, op_pos(&m, 0), XTML_OP_INPUTS, 4, 0));
    set_u8(&m, tensor_pos(&m, (uint32_t)out), XTML_TENSOR_TYPE, XTML_DTYPE_INT64);
    wr_u32(&m, vec_len_pos(&m, tensor_pos(&m, (uint32_t)out), XTML_TENSOR_SHAPE), 1);
    wr_i32(&m, elem_pos(&m, tensor_pos(&m, (uint32_t)out), XTML_TENSOR_SHAPE, 4, 0), 2);
    got[0] = '\0';
    if (!mut_ok(&m)) {
        snprintf(got, sizeof got, "mutation failed: %s", m.err);
    } else {
        xtml_fb_table_t root = xtml_fb_root(m.data);
        xtml_fb_vec_t sgs = xtml_fb_vec(&root, XTML_MODEL_SUBGRAPHS);
        xtml_fb_table_t sg = xtml_fb_vec_table(&root, sgs, 0);
        xtml_fb_table_t t = xtml_fb_vec_table(&sg, xtml_fb_vec(&sg, XTML_SUBGRAPH_TENSORS), (uint32_t)dims);
        xtml_fb_table_t buf = xtml_fb_vec_table(&root, xtml_fb_vec(&root, XTML_MODEL_BUFFERS),
                                                xtml_fb_u32(&t, XTML_TENSOR_BUFFER, 0));
        xtml_fb_vec_t d = xtml_fb_vec(&buf, XTML_BUFFER_DATA);
        size_t at = (size_t)(d.data - m.data);
        why = run_at(m.data, m.len, 0, out0, sizeof out0, &len0, &addr0, &block0);
        snprintf(got, sizeof got, "%s", why);
        why = run_at(m.data, m.len, 4, out4, sizeof out4, &len4, &addr4, &block4);
        if (got[0] == '\0' && why[0] != '\0') {
            snprintf(got, sizeof got, "%s", why);
        }
        if (got[0] == '\0' && (d.len != 16 || len0 != 16 || len4 != 16 || memcmp(out0, d.data, 16) != 0 ||
                               memcmp(out4, d.data, 16) != 0)) {
            snprintf(got, sizeof got, "outputs of %zu and %zu bytes are not the constant's %u", len0, len4,
                     (unsigned)d.len);
        } else if (got[0] == '\0' && addr0 != block0 + at) {
            snprintf(got, sizeof got, "at 16k the output is not the constant itself (no alias)");
        } else if (got[0] == '\0' && (addr4 == block4 + 4 + at || ((uintptr_t)addr4 & 7u) != 0)) {
            snprintf(got, sizeof got, "at 16k+4 the output aliases the misaligned constant");
        }
        free(block0);
        free(block4);
    }
    result(got[0] == '\0', "RESHAPE of an int64 constant to the graph output: aliased at 16k, an aligned copy at 16k+4",
           got);
    mut_end(&m);
}

/* ---- running the parts, each in its own process ---- */

static const bases_t *the_bases;
static unsigned flip_trials = FLIP_TRIALS;

typedef struct group {
    const char *name;
    void (*fn)(const bases_t *b);
} group_t;

static void arena_add_group(const bases_t *b) {
    test_arena_add(b->add);
}

static const group_t groups[] = {
    {"header, identifier and version", test_header},
    {"offsets", test_offsets},
    {"vtables and fields", test_vtables},
    {"vectors and strings", test_vectors},
    {"missing subgraphs and buffers", test_missing},
    {"indices", test_indices},
    {"shapes and types", test_shapes},
    {"constant buffer sizes", test_buffer_sizes},
    {"quantization", test_quantization},
    {"dataflow", test_dataflow},
    {"alignment", test_alignment},
    {"int64 alignment", test_int64_alignment},
    {"operators", test_operators},
    {"rebuilt graphs and verification time", test_graphs},
    {"arena contract", arena_add_group},
};

static void run_group(const void *arg) {
    ((const group_t *)arg)->fn(the_bases);
}

static void run_arena(const void *arg) {
    test_arena(arg);
}

static void run_extremes(const void *arg) {
    test_extremes(arg);
}

static void run_truncation(const void *arg) {
    test_truncation(arg);
}

static void run_flips(const void *arg) {
    test_flips(arg, flip_trials);
}

static void per_model(const model_list_t *list, const char *part, void (*fn)(const void *), int seconds,
                      size_t max_len) {
    size_t i;
    for (i = 0; i < list->count; i++) {
        char label[200];
        if (list->items[i].len > max_len) {
            continue;
        }
        snprintf(label, sizeof label, "%s %s", part, list->items[i].label);
        isolated(label, fn, &list->items[i], seconds);
    }
}

int main(int argc, char **argv) {
    const char *candidates[] = {"../shared/reference", "../../shared/reference", "../../../shared/reference"};
    const char *ref = argc > 1 ? argv[1] : NULL;
    char dir[1024];
    model_list_t list;
    bases_t bases;
    size_t i;
    const char *env = getenv("XTML_FLIP_TRIALS");

    if (env != NULL && atoi(env) >= 0) {
        flip_trials = (unsigned)atoi(env);
    }
    env = getenv("XTML_TIME_SCALE");
    if (env != NULL && atoi(env) >= 1 && atoi(env) <= 1000) {
        time_scale = atoi(env);
    }
    dump_dir = getenv("XTML_DUMP_DIR");
#ifdef TM_PROCESSES
    if (ref == NULL) {
        for (i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
            DIR *dh;
            snprintf(dir, sizeof dir, "%s/models", candidates[i]);
            dh = opendir(dir);
            if (dh != NULL) {
                closedir(dh);
                ref = candidates[i];
                break;
            }
        }
    }
#else
    (void)candidates;
    (void)dir;
    if (argc < 3) {
        fprintf(stderr, "usage: test_malformed <reference-dir> <model.tflite>... (this build cannot list folders)\n");
        return 2;
    }
#endif
    if (ref == NULL) {
        fprintf(stderr, "usage: test_malformed <reference-dir> (no ../shared/reference found)\n");
        return 2;
    }
    crash_handlers();
    memset(&list, 0, sizeof list);
    if (argc > 2) {
        for (i = 2; i < (size_t)argc; i++) {
            if (!add_model(&list, argv[i])) {
                fprintf(stderr, "test_malformed: cannot read %s\n", argv[i]);
                return 2;
            }
        }
    } else {
#ifdef TM_PROCESSES
        snprintf(dir, sizeof dir, "%s/models", ref);
        list_dir(&list, dir);
        snprintf(dir, sizeof dir, "%s/ops/models", ref);
        list_dir(&list, dir);
        snprintf(dir, sizeof dir, "%s/ops/refused", ref);
        list_dir(&list, dir);
#endif
    }

    bases.add = find_model(&list, "tflm_simple_add_model.tflite");
    bases.hello = find_model(&list, "tflm_hello_world_int8.tflite");
    bases.conv = find_model(&list, "op_conv_2d_int8_valid_s1_nobias.tflite");
    bases.reshape = find_model(&list, "op_reshape_int8_3d_to_2d_options_only.tflite");
    bases.vela = find_model(&list, "tflm_person_detect_vela.tflite");
    for (i = 0; i < sizeof bases.i64 / sizeof bases.i64[0]; i++) {
        bases.i64[i] = find_model(&list, i64_models[i]);
    }
    if (bases.add == NULL || bases.hello == NULL || bases.conv == NULL || bases.reshape == NULL ||
        bases.vela == NULL) {
        fprintf(stderr, "test_malformed: base models missing under %s\n", ref);
        return 2;
    }
    the_bases = &bases;
    for (i = 0; i < 4; i++) {
        const blob_t *b = i == 0 ? bases.add : i == 1 ? bases.hello : i == 2 ? bases.conv : bases.reshape;
        xtml_diag_t d;
        char desc[160];
        xtml_status_t st = xtml_model_verify(b->data, b->len, &d);
        snprintf(desc, sizeof desc, "base model %s verifies", b->label);
        result(st == XTML_STATUS_OK, desc, d.detail);
        if (st != XTML_STATUS_OK) {
            printf("%d passed, %d failed\n", n_checks - n_failed, n_failed);
            return 1;
        }
    }

    for (i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        dump_group = (int)i;
        isolated(groups[i].name, run_group, &groups[i], 120);
    }
    if (dump_dir != NULL) {
        printf("%d passed, %d failed\n", n_checks - n_failed, n_failed);
        return n_failed != 0 ? 1 : 0;
    }
    per_model(&list, "arena", run_arena, 300, (size_t)-1);
    per_model(&list, "extremes", run_extremes, 300, TRUNC_COPY_MAX);
    per_model(&list, "truncation", run_truncation, 300, (size_t)-1);
    per_model(&list, "flips", run_flips, 600, (size_t)-1);

    printf("%d passed, %d failed\n", n_checks - n_failed, n_failed);
    for (i = 0; i < list.count; i++) {
        free(list.items[i].data);
        free(list.items[i].path);
    }
    free(list.items);
    return n_failed != 0 ? 1 : 0;
}
