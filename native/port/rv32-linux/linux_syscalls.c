/*
 * linux_syscalls.c - the operating-system layer picolibc expects, made of
 * Linux system calls (ecall), for rv32 programs run under qemu-riscv32's
 * Linux user mode: C startup (argv, environment, constructors), the standard
 * streams, files (open/read/write/lseek/close), the heap (brk) and clocks.
 *
 * Only what our host tools (the CLI, test_malformed) use; there is no fork,
 * no signals and no directories. Test programs and tools only: the core
 * itself never calls any of this.
 *
 * Rules kept here:
 *   - Linux's rv32 system-call table is the generic one with 64-bit time
 *     only: no open (openat), no lseek (_llseek), no clock_gettime
 *     (clock_gettime64); numbers below are from that table.
 *   - A call returns -errno in [-4095, -1] on failure; the wrappers turn it
 *     into -1 with errno set, as POSIX callers expect.
 *   - picolibc's open flags and clock ids differ from Linux's and are
 *     translated, never passed through.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Linux generic system-call numbers (rv32, 64-bit time). */
enum {
    LINUX_OPENAT = 56,
    LINUX_CLOSE = 57,
    LINUX_LLSEEK = 62,
    LINUX_READ = 63,
    LINUX_WRITE = 64,
    LINUX_EXIT_GROUP = 94,
    LINUX_BRK = 214,
    LINUX_CLOCK_GETTIME64 = 403
};

/* Linux open flags and clock ids (asm-generic/fcntl.h, linux/time.h). */
#define LINUX_O_WRONLY 01
#define LINUX_O_RDWR 02
#define LINUX_O_CREAT 0100
#define LINUX_O_EXCL 0200
#define LINUX_O_TRUNC 01000
#define LINUX_O_APPEND 02000
#define LINUX_O_LARGEFILE 0100000
#define LINUX_AT_FDCWD (-100)
#define LINUX_CLOCK_REALTIME 0
#define LINUX_CLOCK_MONOTONIC 1

static long linux_call(long number, long a0, long a1, long a2, long a3, long a4) {
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a3 __asm__("a3") = a3;
    register long r_a4 __asm__("a4") = a4;
    register long r_a7 __asm__("a7") = number;
    __asm__ volatile("ecall"
                     : "+r"(r_a0)
                     : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a7)
                     : "memory");
    return r_a0;
}

/* A system call's result as a POSIX return value: -1 and errno on failure. */
static long posix_result(long r) {
    if (r < 0 && r >= -4095) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* ---- files ---- */

int open(const char *path, int flags, ...) {
    long linux_flags = LINUX_O_LARGEFILE;
    va_list ap;
    long mode = 0;
    switch (flags & O_ACCMODE) {
    case O_WRONLY:
        linux_flags |= LINUX_O_WRONLY;
        break;
    case O_RDWR:
        linux_flags |= LINUX_O_RDWR;
        break;
    default:
        break;
    }
    if (flags & O_CREAT) {
        linux_flags |= LINUX_O_CREAT;
        va_start(ap, flags);
        mode = (long)va_arg(ap, int);
        va_end(ap);
    }
    if (flags & O_EXCL) {
        linux_flags |= LINUX_O_EXCL;
    }
    if (flags & O_TRUNC) {
        linux_flags |= LINUX_O_TRUNC;
    }
    if (flags & O_APPEND) {
        linux_flags |= LINUX_O_APPEND;
    }
    return (int)posix_result(linux_call(LINUX_OPENAT, LINUX_AT_FDCWD, (long)path, linux_flags, mode, 0));
}

int close(int fd) {
    return (int)posix_result(linux_call(LINUX_CLOSE, fd, 0, 0, 0, 0));
}

ssize_t read(int fd, void *buf, size_t count) {
    return (ssize_t)posix_result(linux_call(LINUX_READ, fd, (long)buf, (long)count, 0, 0));
}

ssize_t write(int fd, const void *buf, size_t count) {
    return (ssize_t)posix_result(linux_call(LINUX_WRITE, fd, (long)buf, (long)count, 0, 0));
}

off_t lseek(int fd, off_t offset, int whence) {
    /* _llseek takes the 64-bit offset in two halves and writes the result. */
    int64_t wide = (int64_t)offset;
    int64_t result = 0;
    long r = linux_call(LINUX_LLSEEK, fd, (long)(uint32_t)((uint64_t)wide >> 32), (long)(uint32_t)wide, (long)&result,
                        whence);
    if (posix_result(r) < 0) {
        return -1;
    }
    if ((off_t)result != result) {
        errno = EOVERFLOW;
        return -1;
    }
    return (off_t)result;
}

/* ---- standard streams ---- */

/*
 * stdout and stderr write through a buffer: stdout flushes when full (JSON
 * from `inspect --json` is large), stderr at each newline. Both flush on
 * fflush() and at exit (_exit below).
 */
typedef struct out_stream {
    FILE file;
    int fd;
    int line_buffered;
    size_t used;
    char buf[1024];
} out_stream_t;

static int out_flush(FILE *f) {
    out_stream_t *s = (out_stream_t *)f;
    size_t done = 0;
    while (done < s->used) {
        ssize_t w = write(s->fd, s->buf + done, s->used - done);
        if (w <= 0) {
            s->used = 0;
            return EOF;
        }
        done += (size_t)w;
    }
    s->used = 0;
    return 0;
}

static int out_put(char c, FILE *f) {
    out_stream_t *s = (out_stream_t *)f;
    s->buf[s->used++] = c;
    if (s->used == sizeof s->buf || (s->line_buffered && c == '\n')) {
        if (out_flush(f) != 0) {
            return EOF;
        }
    }
    return (unsigned char)c;
}

static int in_get(FILE *f) {
    unsigned char c;
    (void)f;
    return read(0, &c, 1) == 1 ? c : EOF;
}

static FILE in_stream = FDEV_SETUP_STREAM(NULL, in_get, NULL, _FDEV_SETUP_READ);
static out_stream_t out_stream = {FDEV_SETUP_STREAM(out_put, NULL, out_flush, _FDEV_SETUP_WRITE), 1, 0, 0, {0}};
static out_stream_t err_stream = {FDEV_SETUP_STREAM(out_put, NULL, out_flush, _FDEV_SETUP_WRITE), 2, 1, 0, {0}};

FILE *const stdin = &in_stream;
FILE *const stdout = &out_stream.file;
FILE *const stderr = &err_stream.file;

/* ---- process ---- */

void _exit(int status) {
    out_flush(&out_stream.file);
    out_flush(&err_stream.file);
    for (;;) {
        linux_call(LINUX_EXIT_GROUP, status, 0, 0, 0, 0);
    }
}

extern char **environ;
extern void __libc_init_array(void);
extern int main(int argc, char **argv);

/* Called by _start (start.S) with the initial stack: argc, argv..., NULL, envp... */
void rv32_linux_start(uint32_t *initial_sp) __attribute__((noreturn));
void rv32_linux_start(uint32_t *initial_sp) {
    int argc = (int)initial_sp[0];
    char **argv = (char **)(initial_sp + 1);
    environ = argv + argc + 1;
    __libc_init_array();
    exit(main(argc, argv));
}

/* ---- heap: picolibc's malloc grows the heap with sbrk ---- */

void *sbrk(ptrdiff_t increment) {
    static uintptr_t current;
    uintptr_t next;
    if (current == 0) {
        current = (uintptr_t)linux_call(LINUX_BRK, 0, 0, 0, 0, 0);
    }
    if (increment < 0 ? (uintptr_t)-increment > current : (uintptr_t)increment > UINTPTR_MAX - current) {
        errno = ENOMEM;
        return (void *)-1;
    }
    next = current + (uintptr_t)increment;
    /* brk returns the new break, or the old one when it cannot move. */
    if ((uintptr_t)linux_call(LINUX_BRK, (long)next, 0, 0, 0, 0) != next) {
        errno = ENOMEM;
        return (void *)-1;
    }
    current = next;
    return (void *)(next - (uintptr_t)increment);
}

/* ---- clocks ---- */

int clock_gettime(clockid_t clock_id, struct timespec *tp) {
    int64_t kernel_ts[2]; /* struct __kernel_timespec: 64-bit seconds and nanoseconds */
    long linux_clock;
    long r;
    if (clock_id == CLOCK_MONOTONIC) {
        linux_clock = LINUX_CLOCK_MONOTONIC;
    } else if (clock_id == CLOCK_REALTIME) {
        linux_clock = LINUX_CLOCK_REALTIME;
    } else {
        errno = EINVAL;
        return -1;
    }
    r = linux_call(LINUX_CLOCK_GETTIME64, linux_clock, (long)kernel_ts, 0, 0, 0);
    if (posix_result(r) < 0) {
        return -1;
    }
    tp->tv_sec = (time_t)kernel_ts[0];
    tp->tv_nsec = (long)kernel_ts[1];
    return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    struct timespec ts;
    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return -1;
    }
    if (tv != NULL) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
    }
    return 0;
}
