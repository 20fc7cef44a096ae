/*
 * xtml_status.c - names of statuses and types, and the small formatter behind
 * detail messages (no printf: it may allocate on some embedded libcs).
 */
#include "xtml_internal.h"

static const char *const status_names[XTML_STATUS_COUNT] = {
    "XTML_STATUS_OK",
    "XTML_STATUS_BAD_ARGUMENT",
    "XTML_STATUS_MODEL_TRUNCATED",
    "XTML_STATUS_MODEL_IDENTIFIER",
    "XTML_STATUS_MODEL_VERSION",
    "XTML_STATUS_MODEL_OFFSET",
    "XTML_STATUS_MODEL_VTABLE",
    "XTML_STATUS_MODEL_VECTOR",
    "XTML_STATUS_MODEL_MISSING",
    "XTML_STATUS_MODEL_INDEX",
    "XTML_STATUS_MODEL_SHAPE",
    "XTML_STATUS_MODEL_TYPE",
    "XTML_STATUS_MODEL_BUFFER_SIZE",
    "XTML_STATUS_MODEL_QUANTIZATION",
    "XTML_STATUS_MODEL_OPERATOR",
    "XTML_STATUS_MODEL_ALIGNMENT",
    "XTML_STATUS_UNSUPPORTED_OPERATOR",
    "XTML_STATUS_UNSUPPORTED_TYPE",
    "XTML_STATUS_UNSUPPORTED_CONFIG",
    "XTML_STATUS_SHAPE_MISMATCH",
    "XTML_STATUS_BAD_OPTIONS",
    "XTML_STATUS_ARENA_TOO_SMALL",
    "XTML_STATUS_ARENA_ALIGNMENT",
    "XTML_STATUS_EVAL_ERROR",
    "XTML_STATUS_FRAME_SIZE",
    "XTML_STATUS_FRAME_FORMAT",
    "XTML_STATUS_FRAME_TARGET",
    "XTML_STATUS_GRID_CONFIG",
};

const char *xtml_status_name(xtml_status_t status) {
    /* Unsigned, so a negative value is out of range too: enums may be
     * unsigned and short on ARM, where `status < 0` could never be true. */
    if ((unsigned)status >= (unsigned)XTML_STATUS_COUNT) {
        return "XTML_STATUS_UNKNOWN";
    }
    return status_names[status];
}

static const struct {
    const char *name;
    uint8_t size;
} dtypes[] = {
    {"float32", 4}, {"float16", 2}, {"int32", 4},      {"uint8", 1},       {"int64", 8},
    {"string", 0},  {"bool", 1},    {"int16", 2},      {"complex64", 8},   {"int8", 1},
    {"float64", 8}, {"complex128", 16}, {"uint64", 8}, {"resource", 0},    {"variant", 0},
    {"uint32", 4},  {"uint16", 2},  {"int4", 0},
};

const char *xtml_dtype_name(xtml_dtype_t dtype) {
    if ((unsigned)dtype >= sizeof dtypes / sizeof dtypes[0]) {
        return NULL;
    }
    return dtypes[dtype].name;
}

size_t xtml_dtype_size(xtml_dtype_t dtype) {
    if ((unsigned)dtype >= sizeof dtypes / sizeof dtypes[0]) {
        return 0;
    }
    return dtypes[dtype].size;
}

/* ---- formatter ---- */

typedef struct sink {
    char *out;
    size_t cap;
    size_t len;
} sink_t;

static void put_char(sink_t *s, char c) {
    if (s->len + 1 < s->cap) {
        s->out[s->len++] = c;
    }
}

static void put_str(sink_t *s, const char *str) {
    if (str == NULL) {
        str = "(null)";
    }
    while (*str != '\0') {
        put_char(s, *str++);
    }
}

static void put_unsigned(sink_t *s, unsigned long long v, unsigned base) {
    char digits[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v != 0);
    while (n > 0) {
        put_char(s, digits[--n]);
    }
}

static void put_signed(sink_t *s, long long v) {
    if (v < 0) {
        put_char(s, '-');
        put_unsigned(s, (unsigned long long)(-(v + 1)) + 1u, 10);
    } else {
        put_unsigned(s, (unsigned long long)v, 10);
    }
}

/* Six significant digits, plain or with an exponent; enough to name a scale. */
static void put_float(sink_t *s, double v) {
    int exp10 = 0;
    unsigned long long mant;
    int i;
    char digits[8];
    if (v != v) {
        put_str(s, "nan");
        return;
    }
    if (v < 0) {
        put_char(s, '-');
        v = -v;
    }
    if (v > 1e300) {
        put_str(s, "inf");
        return;
    }
    if (v == 0.0) {
        put_char(s, '0');
        return;
    }
    while (v >= 10.0) {
        v /= 10.0;
        exp10++;
    }
    while (v < 1.0) {
        v *= 10.0;
        exp10--;
    }
    mant = (unsigned long long)(v * 100000.0 + 0.5);
    if (mant >= 1000000ull) {
        mant /= 10;
        exp10++;
    }
    for (i = 5; i >= 0; i--) {
        digits[i] = (char)('0' + mant % 10);
        mant /= 10;
    }
    /* Trim trailing zeros of the fraction. */
    for (i = 5; i > 0 && digits[i] == '0'; i--) {
    }
    put_char(s, digits[0]);
    if (i > 0) {
        int k;
        put_char(s, '.');
        for (k = 1; k <= i; k++) {
            put_char(s, digits[k]);
        }
    }
    if (exp10 != 0) {
        put_char(s, 'e');
        put_signed(s, exp10);
    }
}

void xtml_vfmt(char *out, size_t cap, const char *fmt, va_list ap) {
    sink_t s;
    if (out == NULL || cap == 0) {
        return;
    }
    s.out = out;
    s.cap = cap;
    s.len = 0;
    while (*fmt != '\0') {
        char c = *fmt++;
        if (c != '%') {
            put_char(&s, c);
            continue;
        }
        c = *fmt++;
        switch (c) {
        case 's':
            put_str(&s, va_arg(ap, const char *));
            break;
        case 'd':
            put_signed(&s, va_arg(ap, int));
            break;
        case 'u':
            put_unsigned(&s, va_arg(ap, unsigned), 10);
            break;
        case 'x':
            put_unsigned(&s, va_arg(ap, unsigned), 16);
            break;
        case 'c':
            put_char(&s, (char)va_arg(ap, int));
            break;
        case 'g':
            put_float(&s, va_arg(ap, double));
            break;
        case 'z':
            fmt++; /* %zu */
            put_unsigned(&s, va_arg(ap, size_t), 10);
            break;
        case 'l':
            c = *fmt++;
            if (c == 'l') {
                /* %lld, %llu: 64-bit values (offsets, zero points) on every target. */
                c = *fmt++;
                if (c == 'd') {
                    put_signed(&s, va_arg(ap, long long));
                } else {
                    put_unsigned(&s, va_arg(ap, unsigned long long), 10);
                }
            } else if (c == 'd') {
                put_signed(&s, va_arg(ap, long));
            } else {
                put_unsigned(&s, va_arg(ap, unsigned long), 10);
            }
            break;
        case '%':
            put_char(&s, '%');
            break;
        default:
            put_char(&s, '%');
            if (c == '\0') {
                fmt--;
            } else {
                put_char(&s, c);
            }
            break;
        }
    }
    s.out[s.len] = '\0';
}

void xtml_fmt(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    xtml_vfmt(out, cap, fmt, ap);
    va_end(ap);
}

void xtml_diag_clear(xtml_diag_t *diag) {
    if (diag != NULL) {
        diag->status = XTML_STATUS_OK;
        diag->needed = 0;
        diag->detail[0] = '\0';
    }
}

xtml_status_t xtml_diag_fail(xtml_diag_t *diag, xtml_status_t status, const char *fmt, ...) {
    if (diag != NULL) {
        diag->status = status;
#ifndef XTML_NO_DETAIL
        {
            va_list ap;
            va_start(ap, fmt);
            xtml_vfmt(diag->detail, XTML_DETAIL_MAX, fmt, ap);
            va_end(ap);
        }
#else
        (void)fmt;
#endif
    }
    return status;
}
