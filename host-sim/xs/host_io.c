/*
 * host_io.c - host-only functions of the desktop XS host, written with xsmc.
 * They exist only on this host, never on a device:
 *   module "xtml-host" (host.js): args(), readFile(), readText(), for test
 *     programs that read reference vectors and print results;
 *   module "Resource" (Resource.js): Moddable's Resource API on files. A
 *     Resource is a host buffer over memory that does not move (flash on a
 *     device); here the file is mapped with mmap, so model bytes reach the
 *     core through xtml_xs.c exactly as a device's Resource does: in place,
 *     zero copy, accepted as xsBufferNonrelocatable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsmc.h"
#include "xs_host.h"

static int program_argc;
static char **program_argv;

void xtml_host_set_args(int argc, char **argv) {
    program_argc = argc;
    program_argv = argv;
}

/* args() -> the program's arguments (after the entry module). */
void xs_host_args(xsMachine *the) {
    int i;
    xsmcVars(1);
    xsmcSetNewArray(xsResult, program_argc);
    for (i = 0; i < program_argc; i++) {
        xsmcSetString(xsVar(0), program_argv[i]);
        xsmcSetIndex(xsResult, i, xsVar(0));
    }
}

/* The whole file, malloc'd with a NUL after it; throws on failure. */
static char *read_all(xsMachine *the, const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *data;
    if (f == NULL) {
        xsURIError("%s: %s", path, strerror(errno));
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        xsURIError("%s: not a regular file", path);
    }
    data = malloc((size_t)st.st_size + 1);
    if (data == NULL || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(data);
        fclose(f);
        xsUnknownError("%s: cannot read", path);
    }
    fclose(f);
    data[st.st_size] = 0;
    *size = (size_t)st.st_size;
    return data;
}

/* readFile(path) -> ArrayBuffer with the file's bytes. */
void xs_host_read_file(xsMachine *the) {
    char path[PATH_MAX];
    size_t size;
    char *data;
    xsmcToStringBuffer(xsArg(0), path, sizeof path);
    data = read_all(the, path, &size);
    if (size > INT32_MAX) {
        free(data);
        xsRangeError("%s: too large", path);
    }
    /* xsmcSetArrayBuffer copies; were XS out of memory it would throw and this buffer leak. */
    xsmcSetArrayBuffer(xsResult, data, (xsIntegerValue)size);
    free(data);
}

/* readText(path) -> the file as a string (UTF-8 text without NUL). */
void xs_host_read_text(xsMachine *the) {
    char path[PATH_MAX];
    size_t size;
    char *data;
    xsmcToStringBuffer(xsArg(0), path, sizeof path);
    data = read_all(the, path, &size);
    if (strlen(data) != size) {
        free(data);
        xsTypeError("%s: not text", path);
    }
    xsmcSetString(xsResult, data);
    free(data);
}

/* ---- Resource: a read-only host buffer over a mapped file ---- */

/*
 * The mapping is preceded by one page holding its total size, so the
 * destructor, which only gets the data pointer, can unmap it. The data starts
 * page-aligned, which satisfies the core's 16-byte model alignment.
 */
static size_t page_size(void) {
    return (size_t)sysconf(_SC_PAGESIZE);
}

void xs_host_resource_destructor(void *data) {
    if (data != NULL) {
        uint8_t *base = (uint8_t *)data - page_size();
        munmap(base, *(size_t *)base);
    }
}

/* new Resource(path): maps the file, read-only. */
void xs_host_resource(xsMachine *the) {
    char path[PATH_MAX];
    size_t page = page_size(), size, total;
    struct stat st;
    uint8_t *base;
    int fd;
    xsmcToStringBuffer(xsArg(0), path, sizeof path);
    fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) {
            close(fd);
        }
        xsURIError("Resource not found: %s", path);
    }
    size = (size_t)st.st_size;
    total = page + (size + page - 1) / page * page;
    base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        close(fd);
        xsUnknownError("Resource %s: cannot map %d bytes", path, (int)size);
    }
    *(size_t *)base = total;
    if (size > 0 && mmap(base + page, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
        munmap(base, total);
        close(fd);
        xsUnknownError("Resource %s: cannot map it: %s", path, strerror(errno));
    }
    close(fd);
    mprotect(base, page, PROT_READ);
    xsmcSetHostBuffer(xsThis, base + page, (xsIntegerValue)size);
    xsmcPetrifyHostBuffer(xsThis);
}

/* Resource.exists(path) */
void xs_host_resource_exists(xsMachine *the) {
    char path[PATH_MAX];
    struct stat st;
    xsmcToStringBuffer(xsArg(0), path, sizeof path);
    xsmcSetBoolean(xsResult, stat(path, &st) == 0 && S_ISREG(st.st_mode));
}

/* get byteLength */
void xs_host_resource_get_byteLength(xsMachine *the) {
    xsmcSetInteger(xsResult, xsmcGetHostBufferLength(xsThis));
}

/* slice(begin, end) -> ArrayBuffer copy of bytes [begin, end). */
void xs_host_resource_slice(xsMachine *the) {
    xsIntegerValue length = xsmcGetHostBufferLength(xsThis);
    xsIntegerValue argc = xsmcArgc;
    xsIntegerValue begin = argc > 0 ? xsmcToInteger(xsArg(0)) : 0;
    xsIntegerValue end = argc > 1 ? xsmcToInteger(xsArg(1)) : length;
    uint8_t *data = xsmcGetHostData(xsThis);
    if (begin < 0) {
        begin = 0;
    }
    if (end > length) {
        end = length;
    }
    if (end < begin) {
        end = begin;
    }
    xsmcSetArrayBuffer(xsResult, data + begin, end - begin);
}

/* readLine() -> the next line of standard input without its newline, or
 * undefined at end of input. For programs that serve requests over a pipe. */
void xs_host_read_line(xsMachine *the) {
    char *line = NULL;
    size_t capacity = 0;
    ssize_t n = getline(&line, &capacity, stdin);
    if (n < 0) {
        free(line);
        xsmcSetUndefined(xsResult);
        return;
    }
    if (n > 0 && line[n - 1] == '\n') {
        line[n - 1] = 0;
    }
    xsTry {
        xsmcSetString(xsResult, line);
    }
    xsCatch {
        free(line);
        xsThrow(xsException);
    }
    free(line);
}

/* writeLine(text): text and a newline on standard output, flushed. */
void xs_host_write_line(xsMachine *the) {
    fputs(xsmcToString(xsArg(0)), stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* fromHex(text) -> ArrayBuffer of the bytes the hex digits spell; throws on a
 * character that is not a hex digit or an odd length. */
void xs_host_from_hex(xsMachine *the) {
    xsUnsignedValue length = (xsUnsignedValue)strlen(xsmcToString(xsArg(0)));
    xsUnsignedValue i;
    uint8_t *out;
    const char *text;
    if (length % 2 != 0 || length / 2 > INT32_MAX) {
        xsRangeError("fromHex: odd or too long (%u characters)", (unsigned)length);
    }
    xsmcSetArrayBuffer(xsResult, NULL, length / 2);
    /* the string and the buffer are both in the XS heap: fetch both after the allocation */
    text = xsmcToString(xsArg(0));
    out = xsmcToArrayBuffer(xsResult);
    for (i = 0; i < length / 2; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            xsSyntaxError("fromHex: not a hex digit at %u", (unsigned)(2 * i));
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
}

/* mark() -> 0: does nothing. `npm run bench:frame` runs the host under
 * callgrind with --dump-before=xs_host_mark, so each call closes one counted
 * part of the program (bench-frame.ts passes it as a Pipeline's clock). */
void xs_host_mark(xsMachine *the) {
    xsmcSetInteger(xsResult, 0);
}
