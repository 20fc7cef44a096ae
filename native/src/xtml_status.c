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
    "XTML_STATUS_MODEL_RECURSION",
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

/*
 * Six significant digits of m * 2^e (0 < m < 2^24) as printf rounds them
 * (to nearest, ties to even): digits in [10^5, 10^6) and the decimal
 * exponent of the first. With m odd, a value with f = -e > 0 fractional
 * bits is m 5^f / 10^f exactly; for f <= 17 and e <= 40 that numerator fits
 * 64 bits and the digits are exact. Outside that range a value has more than
 * seven significant digits, so no tie, and it is brought into [1, 10) by
 * multiplying or dividing by ten in 64-bit fixed point, each step losing less
 * than 2^-62 of it.
 */
static uint32_t f32_digits(uint32_t m, int32_t e, int32_t *exp10) {
    uint32_t digits;
    int32_t ten = 0;
    while ((m & 1u) == 0) {
        m >>= 1;
        e++;
    }
    if (e >= -17 && e <= 40) {
        uint64_t n = e >= 0 ? (uint64_t)m << e : m;
        uint64_t p = 1;
        int32_t k, len = 1;
        for (k = e; k < 0; k++) {
            n *= 5u;               /* value = n / 10^-e */
        }
        while (p <= n / 10u) {
            p *= 10u;
            len++;
        }
        if (len > 6) {
            uint64_t unit = 1, rem;
            for (k = 6; k < len; k++) {
                unit *= 10u;
            }
            digits = (uint32_t)(n / unit);
            rem = n % unit;
            if (rem * 2u > unit || (rem * 2u == unit && (digits & 1u) != 0)) {
                digits++;
            }
        } else {
            digits = (uint32_t)n;
            for (k = len; k < 6; k++) {
                digits *= 10u;
            }
        }
        ten = len - 1 + (e < 0 ? e : 0);
    } else {
        uint64_t v = m;
        while ((v >> 63) == 0) {
            v <<= 1;
            e--;
        }
        /* value = v * 2^e; >= 10 when e > -60, or e == -60 and v >= 10 * 2^60 */
        while (e > -60 || (e == -60 && v >= 0xA000000000000000ull)) {
            uint64_t q = v / 10u;
            uint32_t r = (uint32_t)(v - q * 10u);
            int sh = 0;
            while ((q >> (63 - sh)) == 0) {
                sh++;
            }
            v = (q << sh) | (((uint64_t)r << sh) / 10u);
            e -= sh;
            ten++;
        }
        while (e < -63) {
            /* v * 10 / 16 = v * 5 / 8, without overflow */
            v = (v >> 3) * 5u + (((v & 7u) * 5u) >> 3);
            e += 4;
            while ((v >> 63) == 0) {
                v <<= 1;
                e--;
            }
            ten--;
        }
        /* value in [1, 10): e in [-63, -60]; round value * 10^5 */
        {
            int sh = -e - 20;
            digits = (uint32_t)(((v >> 20) * 100000u + ((uint64_t)1 << (sh - 1))) >> sh);
        }
    }
    if (digits >= 1000000u) {
        digits /= 10u;
        ten++;
    }
    *exp10 = ten;
    return digits;
}

/*
 * A float in "%g" style: six significant digits, trailing zeros dropped,
 * an exponent (at least two digits) when it is below -4 or above 5.
 */
static void put_f32(sink_t *s, float x) {
    uint32_t bits, m, digits;
    int32_t e, exp10;
    char text[6];
    int i, last;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
        put_str(s, "nan");
        return;
    }
    if ((bits >> 31) != 0) {
        put_char(s, '-');
    }
    e = (int32_t)((bits >> 23) & 0xFFu);
    m = bits & 0x7FFFFFu;
    if (e == 0xFF) {
        put_str(s, "inf");
        return;
    }
    if (e == 0 && m == 0) {
        put_char(s, '0');
        return;
    }
    if (e == 0) {
        e = 1;
    } else {
        m |= 0x800000u;
    }
    digits = f32_digits(m, e - 150, &exp10);
    for (i = 5; i >= 0; i--) {
        text[i] = (char)('0' + digits % 10u);
        digits /= 10u;
    }
    for (last = 5; last > 0 && text[last] == '0'; last--) {
    }
    if (exp10 < -4 || exp10 > 5) {
        put_char(s, text[0]);
        if (last > 0) {
            put_char(s, '.');
        }
        for (i = 1; i <= last; i++) {
            put_char(s, text[i]);
        }
        put_char(s, 'e');
        put_char(s, exp10 < 0 ? '-' : '+');
        if (exp10 > -10 && exp10 < 10) {
            put_char(s, '0');
        }
        put_unsigned(s, (unsigned long long)(exp10 < 0 ? -exp10 : exp10), 10);
    } else if (exp10 >= 0) {
        for (i = 0; i <= exp10; i++) {
            put_char(s, text[i]);
        }
        if (last > exp10) {
            put_char(s, '.');
            for (i = exp10 + 1; i <= last; i++) {
                put_char(s, text[i]);
            }
        }
    } else {
        put_str(s, "0.");
        for (i = -1; i > exp10; i--) {
            put_char(s, '0');
        }
        for (i = 0; i <= last; i++) {
            put_char(s, text[i]);
        }
    }
}

const char *xtml_f32_text(char *buf, float x) {
    sink_t s;
    s.out = buf;
    s.cap = XTML_F32_TEXT;
    s.len = 0;
    put_f32(&s, x);
    buf[s.len] = '\0';
    return buf;
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
