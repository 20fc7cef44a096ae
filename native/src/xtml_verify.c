/*
 * xtml_verify.c - the bounds-checked walk of a whole TensorFlow Lite flatbuffer.
 *
 * Nothing else in the core reads a model that has not passed here, so every
 * offset, vtable, vector and string that any later code follows is checked,
 * as are the indices between objects (subgraph, tensor, buffer, operator
 * code), constant sizes against shapes, element counts against overflow,
 * quantization parameters, and the dataflow of each subgraph. Every failure
 * has its own status and a message that names the object and the place.
 */
#include "xtml_internal.h"

/* Largest element count and byte size we accept for one tensor. */
#define MAX_TENSOR_BYTES 0x7fffffffu
/* Most inputs, outputs or intermediates of one operator, and most tensors of
 * one subgraph. Both bound verification time, which must stay proportional to
 * the model's size: operator tables can be listed many times over. The
 * dataflow check keeps two bits per tensor on the stack. */
#define MAX_OP_IO 1024u
#ifndef XTML_MAX_TENSORS
#if defined(ESP_PLATFORM)
#define XTML_MAX_TENSORS 1024
#else
#define XTML_MAX_TENSORS 4096
#endif
#endif

typedef struct verifier {
    const uint8_t *buf;
    uint32_t n;
    xtml_diag_t *diag;
    uint32_t n_buffers;
    xtml_fb_table_t root;
    xtml_fb_vec_t buffers;
} verifier_t;

/*
 * The object being checked, named in messages: [subgraph S ]KIND[ I][ 'NAME'].
 * Kept as numbers and only written out when a check fails: the walk visits
 * every tensor and operator, and formatting each name up front cost more
 * than the checks.
 */
typedef struct where {
    const char *kind;       /* "model", "buffer", "tensor", "operator", ... */
    int32_t subgraph;       /* shown when >= 0 */
    int32_t index;          /* shown when >= 0 */
    const char *name;       /* shown when not NULL */
} where_t;

static where_t where_of(const char *kind, int32_t subgraph, int32_t index, const char *name) {
    where_t w;
    w.kind = kind;
    w.subgraph = subgraph;
    w.index = index;
    w.name = name;
    return w;
}

static xtml_status_t fail(verifier_t *v, xtml_status_t status, const char *fmt, ...) XTML_PRINTF(3, 4);
static xtml_status_t fail_at(verifier_t *v, xtml_status_t status, const where_t *what, const char *fmt, ...)
    XTML_PRINTF(4, 5);

static xtml_status_t fail(verifier_t *v, xtml_status_t status, const char *fmt, ...) {
    if (v->diag != NULL) {
#ifndef XTML_NO_DETAIL
        va_list ap;
        va_start(ap, fmt);
        xtml_vfmt(v->diag->detail, sizeof v->diag->detail, fmt, ap);
        va_end(ap);
#else
        (void)fmt;
        v->diag->detail[0] = '\0';
#endif
        v->diag->status = status;
    }
    return status;
}

/* "WHERE: message". */
static xtml_status_t fail_at(verifier_t *v, xtml_status_t status, const where_t *what, const char *fmt, ...) {
    if (v->diag != NULL) {
#ifndef XTML_NO_DETAIL
        char *out = v->diag->detail;
        size_t cap = sizeof v->diag->detail;
        size_t len;
        va_list ap;
        if (what->subgraph >= 0) {
            xtml_fmt(out, cap, "subgraph %d %s", (int)what->subgraph, what->kind);
        } else {
            xtml_fmt(out, cap, "%s", what->kind);
        }
        if (what->index >= 0) {
            len = strlen(out);
            xtml_fmt(out + len, cap - len, " %d", (int)what->index);
        }
        if (what->name != NULL) {
            len = strlen(out);
            xtml_fmt(out + len, cap - len, " '%s'", what->name);
        }
        len = strlen(out);
        xtml_fmt(out + len, cap - len, ": ");
        len = strlen(out);
        va_start(ap, fmt);
        xtml_vfmt(out + len, cap - len, fmt, ap);
        va_end(ap);
#else
        (void)what;
        (void)fmt;
        v->diag->detail[0] = '\0';
#endif
        v->diag->status = status;
    }
    return status;
}

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        xtml_status_t try_status_ = (expr);                                                        \
        if (try_status_ != XTML_STATUS_OK) {                                                       \
            return try_status_;                                                                    \
        }                                                                                          \
    } while (0)

/* ---- structural checks ---- */

static xtml_status_t open_table(verifier_t *v, uint64_t pos, const where_t *what, xtml_fb_table_t *t) {
    int64_t vt;
    uint16_t vt_len;
    uint16_t tbl_len;
    if (pos + 4 > v->n) {
        return fail_at(v, XTML_STATUS_MODEL_OFFSET, what,
                       "table at offset %llu is outside the %llu-byte model", (unsigned long long)pos,
                       (unsigned long long)v->n);
    }
    vt = (int64_t)pos - xtml_ld_i32(v->buf + pos);
    if (vt < 0 || (uint64_t)vt + 4 > v->n) {
        return fail_at(v, XTML_STATUS_MODEL_VTABLE, what,
                       "vtable of the table at offset %llu is outside the model", (unsigned long long)pos);
    }
    vt_len = xtml_ld_u16(v->buf + vt);
    tbl_len = xtml_ld_u16(v->buf + vt + 2);
    if (vt_len < 4 || (vt_len & 1u) != 0 || (uint64_t)vt + vt_len > v->n) {
        return fail_at(v, XTML_STATUS_MODEL_VTABLE, what, "vtable at offset %llu has bad length %u",
                       (unsigned long long)vt, (unsigned)vt_len);
    }
    if (tbl_len < 4 || pos + tbl_len > v->n) {
        return fail_at(v, XTML_STATUS_MODEL_VTABLE, what,
                       "table at offset %llu claims %u bytes, past the end of the model",
                       (unsigned long long)pos, (unsigned)tbl_len);
    }
    t->buf = v->buf;
    t->pos = (uint32_t)pos;
    t->vt = (uint32_t)vt;
    t->vt_len = vt_len;
    return XTML_STATUS_OK;
}

/* Field `field` holds `size` bytes inside its table; *at = 0 when absent. */
static xtml_status_t field_at(verifier_t *v, const xtml_fb_table_t *t, int field, uint32_t size,
                              const where_t *what, const char *name, uint32_t *at) {
    uint32_t slot = 4u + 2u * (uint32_t)field;
    uint16_t off;
    uint16_t tbl_len = xtml_ld_u16(v->buf + t->vt + 2);
    *at = 0;
    if (slot + 2u > t->vt_len) {
        return XTML_STATUS_OK;
    }
    off = xtml_ld_u16(v->buf + t->vt + slot);
    if (off == 0) {
        return XTML_STATUS_OK;
    }
    if (off < 4 || (uint32_t)off + size > tbl_len) {
        return fail_at(v, XTML_STATUS_MODEL_VTABLE, what,
                       "field '%s' at table offset %u does not fit the %u-byte table", name, (unsigned)off,
                       (unsigned)tbl_len);
    }
    *at = t->pos + off;
    return XTML_STATUS_OK;
}

static xtml_status_t scalar(verifier_t *v, const xtml_fb_table_t *t, int field, uint32_t size,
                            const where_t *what, const char *name) {
    uint32_t at;
    return field_at(v, t, field, size, what, name, &at);
}

/* Follow a uoffset field; *target = 0 when the field is absent. */
static xtml_status_t follow(verifier_t *v, const xtml_fb_table_t *t, int field, const where_t *what,
                            const char *name, uint64_t *target) {
    uint32_t at;
    *target = 0;
    TRY(field_at(v, t, field, 4, what, name, &at));
    if (at == 0) {
        return XTML_STATUS_OK;
    }
    *target = (uint64_t)at + xtml_ld_u32(v->buf + at);
    if (*target >= v->n) {
        return fail_at(v, XTML_STATUS_MODEL_OFFSET, what,
                       "field '%s' points to offset %llu, outside the %llu-byte model", name,
                       (unsigned long long)*target, (unsigned long long)v->n);
    }
    return XTML_STATUS_OK;
}

static xtml_status_t vector(verifier_t *v, const xtml_fb_table_t *t, int field, uint32_t elem,
                            const where_t *what, const char *name, xtml_fb_vec_t *out) {
    uint64_t target;
    uint32_t len;
    out->data = NULL;
    out->len = 0;
    TRY(follow(v, t, field, what, name, &target));
    if (target == 0) {
        return XTML_STATUS_OK;
    }
    if (target + 4 > v->n) {
        return fail_at(v, XTML_STATUS_MODEL_VECTOR, what,
                       "length of vector '%s' at offset %llu is past the end", name,
                       (unsigned long long)target);
    }
    len = xtml_ld_u32(v->buf + target);
    if (target + 4 + (uint64_t)len * elem > v->n) {
        return fail_at(v, XTML_STATUS_MODEL_VECTOR, what,
                       "vector '%s' of %llu x %u bytes at offset %llu overruns the %llu-byte model", name,
                       (unsigned long long)len, (unsigned)elem, (unsigned long long)target,
                       (unsigned long long)v->n);
    }
    out->data = v->buf + target + 4;
    out->len = len;
    return XTML_STATUS_OK;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF): engines such as XS decode model strings without bounds checks. */
static bool utf8_valid(const uint8_t *s, uint32_t len) {
    uint32_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        uint32_t need, cp, k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1fu;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0fu;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (len - i <= need) {
            return false;
        }
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return false;
        }
        i += need + 1;
    }
    return true;
}

static xtml_status_t string(verifier_t *v, const xtml_fb_table_t *t, int field, const where_t *what,
                            const char *name) {
    xtml_fb_vec_t s;
    TRY(vector(v, t, field, 1, what, name, &s));
    if (s.data != NULL && ((size_t)(s.data - v->buf) + s.len >= v->n || s.data[s.len] != 0)) {
        return fail_at(v, XTML_STATUS_MODEL_VECTOR, what, "string '%s' at offset %llu is not NUL-terminated",
                       name, (unsigned long long)(s.data - v->buf));
    }
    if (s.data != NULL && !utf8_valid(s.data, s.len)) {
        return fail_at(v, XTML_STATUS_MODEL_VECTOR, what, "string '%s' at offset %llu is not valid UTF-8",
                       name, (unsigned long long)(s.data - v->buf));
    }
    return XTML_STATUS_OK;
}

static xtml_status_t sub_table(verifier_t *v, const xtml_fb_table_t *t, int field, const where_t *what,
                               const char *name, xtml_fb_table_t *out) {
    uint64_t target;
    memset(out, 0, sizeof *out);
    out->buf = v->buf;
    TRY(follow(v, t, field, what, name, &target));
    if (target == 0) {
        return XTML_STATUS_OK;
    }
    return open_table(v, target, what, out);
}

/* Element i of a vector of tables. */
static xtml_status_t vec_table(verifier_t *v, xtml_fb_vec_t vec, uint32_t i, const where_t *what,
                               xtml_fb_table_t *out) {
    uint64_t at = (uint64_t)(vec.data - v->buf) + 4u * (uint64_t)i;
    return open_table(v, at + xtml_ld_u32(v->buf + at), what, out);
}

/* ---- helpers for messages ---- */

static void shape_text(char *out, size_t cap, xtml_fb_vec_t shape) {
    size_t len = 0;
    uint32_t i;
    out[0] = '\0';
    xtml_fmt(out, cap, "[");
    for (i = 0; i < shape.len; i++) {
        len = strlen(out);
        xtml_fmt(out + len, cap - len, i == 0 ? "%d" : ",%d", (int)xtml_ld_i32(shape.data + 4 * i));
    }
    len = strlen(out);
    xtml_fmt(out + len, cap - len, "]");
}

/* ---- the TensorFlow Lite tables ---- */

static xtml_status_t verify_opcodes(verifier_t *v, xtml_fb_vec_t codes) {
    uint32_t i;
    for (i = 0; i < codes.len; i++) {
        xtml_fb_table_t c;
        where_t w = where_of("operator code", -1, (int32_t)i, NULL);
        const where_t *what = &w;
        TRY(vec_table(v, codes, i, what, &c));
        TRY(scalar(v, &c, XTML_OPCODE_DEPRECATED_BUILTIN, 1, what, "deprecated_builtin_code"));
        TRY(string(v, &c, XTML_OPCODE_CUSTOM, what, "custom_code"));
        TRY(scalar(v, &c, XTML_OPCODE_VERSION, 4, what, "version"));
        TRY(scalar(v, &c, XTML_OPCODE_BUILTIN, 4, what, "builtin_code"));
    }
    return XTML_STATUS_OK;
}

static xtml_status_t verify_buffers(verifier_t *v) {
    uint32_t i;
    for (i = 0; i < v->buffers.len; i++) {
        xtml_fb_table_t b;
        xtml_fb_vec_t data;
        uint32_t at_off;
        uint32_t at_size;
        where_t w = where_of("buffer", -1, (int32_t)i, NULL);
        const where_t *what = &w;
        TRY(vec_table(v, v->buffers, i, what, &b));
        TRY(vector(v, &b, XTML_BUFFER_DATA, 1, what, "data", &data));
        TRY(field_at(v, &b, XTML_BUFFER_OFFSET, 8, what, "offset", &at_off));
        TRY(field_at(v, &b, XTML_BUFFER_SIZE, 8, what, "size", &at_size));
        if (at_off != 0) {
            /* Data stored after the flatbuffer, at an offset from the file start. */
            uint64_t off = (uint64_t)xtml_ld_i64(v->buf + at_off);
            uint64_t size = at_size != 0 ? (uint64_t)xtml_ld_i64(v->buf + at_size) : 0;
            if (off > 1 && (off > v->n || size > v->n - off)) {
                return fail(v, XTML_STATUS_MODEL_OFFSET,
                            "buffer %u: external data at offset %llu, %llu bytes, is outside the %llu-byte model",
                            (unsigned)i, (unsigned long long)off, (unsigned long long)size, (unsigned long long)v->n);
            }
        }
    }
    return XTML_STATUS_OK;
}

/* Constant data of buffer b: pointer and length (length 0: no data). */
static void buffer_data(const verifier_t *v, uint32_t b, const uint8_t **data, uint64_t *len) {
    xtml_fb_table_t t = xtml_fb_vec_table(&v->root, v->buffers, b);
    xtml_fb_vec_t d = xtml_fb_vec(&t, XTML_BUFFER_DATA);
    uint64_t off = (uint64_t)xtml_fb_i64(&t, XTML_BUFFER_OFFSET, 0);
    *data = d.data;
    *len = d.len;
    if (d.len == 0 && off > 1) {
        *data = v->buf + off;
        *len = (uint64_t)xtml_fb_i64(&t, XTML_BUFFER_SIZE, 0);
    }
}

static xtml_status_t verify_quantization(verifier_t *v, const xtml_fb_table_t *q, const where_t *what,
                                         xtml_dtype_t type, xtml_fb_vec_t shape) {
    xtml_fb_vec_t mins, maxs, scales, zps;
    xtml_fb_table_t details;
    uint32_t at_dim;
    int32_t dim = 0;
    int32_t zmin = INT32_MIN;
    int32_t zmax = INT32_MAX;
    uint32_t i;
    TRY(vector(v, q, XTML_QUANT_MIN, 4, what, "quantization.min", &mins));
    TRY(vector(v, q, XTML_QUANT_MAX, 4, what, "quantization.max", &maxs));
    TRY(vector(v, q, XTML_QUANT_SCALE, 4, what, "quantization.scale", &scales));
    TRY(vector(v, q, XTML_QUANT_ZERO_POINT, 8, what, "quantization.zero_point", &zps));
    TRY(scalar(v, q, XTML_QUANT_DETAILS_TYPE, 1, what, "quantization.details_type"));
    TRY(sub_table(v, q, XTML_QUANT_DETAILS, what, "quantization.details", &details));
    if (details.pos != 0) {
        return fail_at(v, XTML_STATUS_MODEL_QUANTIZATION, what,
                       "custom quantization details are not supported");
    }
    TRY(field_at(v, q, XTML_QUANT_DIMENSION, 4, what, "quantization.quantized_dimension", &at_dim));
    if (at_dim != 0) {
        dim = xtml_ld_i32(v->buf + at_dim);
    }
    if (scales.len == 0) {
        if (zps.len != 0) {
            return fail_at(v, XTML_STATUS_MODEL_QUANTIZATION, what, "%llu zero points but no scales",
                           (unsigned long long)zps.len);
        }
        return XTML_STATUS_OK;
    }
    if (zps.len != scales.len) {
        return fail_at(v, XTML_STATUS_MODEL_QUANTIZATION, what, "%llu scales but %llu zero points",
                       (unsigned long long)scales.len, (unsigned long long)zps.len);
    }
    for (i = 0; i < scales.len; i++) {
        /* 0 < s <= 3e38 (0x7F61B1E6), compared as bits: NaN and
         * negative scales fall outside too */
        uint32_t s = xtml_ld_u32(scales.data + 4 * i);
        if (s - 1u >= 0x7F61B1E6u) {
            return fail_at(v, XTML_STATUS_MODEL_QUANTIZATION, what, "scale[%u] = %s is not finite and > 0",
                           (unsigned)i, XTML_F32(xtml_ld_f32(scales.data + 4 * i)));
        }
    }
    if (type == XTML_DTYPE_INT8) {
        zmin = -128;
        zmax = 127;
    } else if (type == XTML_DTYPE_UINT8) {
        zmin = 0;
        zmax = 255;
    } else if (type == XTML_DTYPE_INT16) {
        zmin = -32768;
        zmax = 32767;
    } else if (type == XTML_DTYPE_INT4) {
        zmin = -8;
        zmax = 7;
    }
    for (i = 0; i < zps.len; i++) {
        /* an int64 within [zmin, zmax] (inside the int32 range): its high
         * word extends the sign of its low word, as 32-bit loads (cheaper
         * than 64-bit comparisons on 32-bit cores) */
        int32_t lo = xtml_ld_i32(zps.data + 8 * i);
        uint32_t hi = xtml_ld_u32(zps.data + 8 * i + 4);
        if (hi != (lo < 0 ? 0xFFFFFFFFu : 0u) || lo < zmin || lo > zmax) {
            int64_t z = xtml_ld_i64(zps.data + 8 * i);
            return fail_at(v, XTML_STATUS_MODEL_QUANTIZATION, what,
                           "zero_point[%u] = %lld is outside the %s range", (unsigned)i, (long long)z,
                           xtml_dtype_name(type));
        }
    }
    if (scales.len > 1 && shape.len == 1 && (dim < 0 || (uint32_t)dim >= shape.len) &&
        (uint32_t)xtml_ld_i32(shape.data) == scales.len) {
        /* Converters copy the weights' quantized_dimension onto the rank-1
         * bias; its only dimension is then the channel one. */
        return XTML_STATUS_OK;
    }
    if (scales.len > 1) {
        if (dim < 0 || (uint32_t)dim >= shape.len) {
            return fail_at(v, XTML_STATUS_MODEL_QUANTIZATION, what,
                           "quantized_dimension %d is not a dimension of a rank-%u tensor", (int)dim,
                           (unsigned)shape.len);
        }
        if ((uint32_t)xtml_ld_i32(shape.data + 4 * (uint32_t)dim) != scales.len) {
            return fail_at(v, XTML_STATUS_MODEL_QUANTIZATION, what,
                           "%llu per-channel scales but dimension %d has %d entries",
                           (unsigned long long)scales.len, (int)dim,
                           (int)xtml_ld_i32(shape.data + 4 * (uint32_t)dim));
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t verify_tensor(verifier_t *v, const xtml_fb_table_t *t, uint32_t sg, uint32_t index) {
    where_t w = where_of("tensor", (int32_t)sg, (int32_t)index, NULL);
    const where_t *what = &w;
    xtml_fb_vec_t shape, sig;
    xtml_fb_table_t q, sparsity;
    uint32_t at_type, at_buffer;
    xtml_dtype_t type = XTML_DTYPE_FLOAT32;
    uint32_t buffer = 0;
    uint64_t count = 1;
    uint64_t span = 1; /* product of the non-zero dimensions */
    uint64_t need;
    uint32_t i;
    const char *name;
    TRY(string(v, t, XTML_TENSOR_NAME, what, "name"));
    name = xtml_fb_str(t, XTML_TENSOR_NAME);
    w.subgraph = sg == 0 ? -1 : (int32_t)sg;
    w.name = name;
    TRY(vector(v, t, XTML_TENSOR_SHAPE, 4, what, "shape", &shape));
    TRY(field_at(v, t, XTML_TENSOR_TYPE, 1, what, "type", &at_type));
    TRY(field_at(v, t, XTML_TENSOR_BUFFER, 4, what, "buffer", &at_buffer));
    TRY(sub_table(v, t, XTML_TENSOR_QUANT, what, "quantization", &q));
    TRY(scalar(v, t, XTML_TENSOR_IS_VARIABLE, 1, what, "is_variable"));
    TRY(sub_table(v, t, XTML_TENSOR_SPARSITY, what, "sparsity", &sparsity));
    TRY(vector(v, t, XTML_TENSOR_SHAPE_SIGNATURE, 4, what, "shape_signature", &sig));
    if (at_type != 0) {
        type = (xtml_dtype_t)v->buf[at_type];
    }
    if (xtml_dtype_name(type) == NULL) {
        return fail_at(v, XTML_STATUS_MODEL_TYPE, what, "unknown tensor type %u", (unsigned)type);
    }
    if (at_buffer != 0) {
        buffer = xtml_ld_u32(v->buf + at_buffer);
    }
    if (buffer >= v->n_buffers) {
        return fail_at(v, XTML_STATUS_MODEL_INDEX, what, "buffer %llu out of range (model has %llu buffers)",
                       (unsigned long long)buffer, (unsigned long long)v->n_buffers);
    }
    if (sparsity.pos != 0) {
        return fail_at(v, XTML_STATUS_UNSUPPORTED_CONFIG, what, "sparse tensors are not supported");
    }
    if (shape.len > XTML_MAX_DIMS) {
        return fail_at(v, XTML_STATUS_MODEL_SHAPE, what, "rank %llu exceeds the supported %d",
                       (unsigned long long)shape.len, XTML_MAX_DIMS);
    }
    for (i = 0; i < shape.len; i++) {
        int32_t d = xtml_ld_i32(shape.data + 4 * i);
        if (d < 0) {
            return fail_at(v, XTML_STATUS_MODEL_SHAPE, what,
                           "dimension %u is %d (dynamic shapes are not supported)", (unsigned)i, (int)d);
        }
        count *= (uint64_t)d;
        /*
         * Kernels take products of trailing dimensions (strides) even when
         * another dimension is 0, so the limit applies to the product of the
         * non-zero dimensions too: [0, 262147, 393222] holds no element but
         * its strides overflow.
         */
        span *= d == 0 ? 1u : (uint64_t)d;
        if (span > MAX_TENSOR_BYTES && count == 0) {
            return fail_at(v, XTML_STATUS_MODEL_SHAPE, what,
                           "product of the non-zero dimensions overflows at dimension %u", (unsigned)i);
        }
        if (span > MAX_TENSOR_BYTES) {
            return fail_at(v, XTML_STATUS_MODEL_SHAPE, what, "element count overflows at dimension %u",
                           (unsigned)i);
        }
    }
    need = type == XTML_DTYPE_INT4 ? (count + 1) / 2 : count * xtml_dtype_size(type);
    if ((type == XTML_DTYPE_INT4 ? (span + 1) / 2 : span * xtml_dtype_size(type)) > MAX_TENSOR_BYTES) {
        return fail_at(v, XTML_STATUS_MODEL_SHAPE, what, "%llu elements of %s overflow the size limit",
                       (unsigned long long)span, xtml_dtype_name(type));
    }
    if (q.pos != 0) {
        TRY(verify_quantization(v, &q, what, type, shape));
    }
    if (buffer != 0) {
        const uint8_t *data;
        uint64_t len;
        buffer_data(v, buffer, &data, &len);
        if (len != 0 && type != XTML_DTYPE_STRING && len != need) {
            char dims[64];
            shape_text(dims, sizeof dims, shape);
            return fail_at(v, XTML_STATUS_MODEL_BUFFER_SIZE, what,
                           "buffer %llu holds %llu bytes, shape %s %s needs %llu", (unsigned long long)buffer,
                           (unsigned long long)len, dims, xtml_dtype_name(type), (unsigned long long)need);
        }
        if (len != 0 && type != XTML_DTYPE_INT4 && xtml_dtype_size(type) > 1) {
            /* int64: 4 (verify_i64_outputs) */
            size_t align = type == XTML_DTYPE_INT64 ? 4 : xtml_dtype_size(type) > 4 ? 8 : xtml_dtype_size(type);
            if (((uintptr_t)data & (align - 1)) != 0) {
                return fail_at(v, XTML_STATUS_MODEL_ALIGNMENT, what,
                               "%s data at model offset %llu is not %u-byte aligned in memory; load the "
                               "model at a 16-byte aligned address", xtml_dtype_name(type),
                               (unsigned long long)(data - v->buf), (unsigned)align);
            }
        }
    }
    return XTML_STATUS_OK;
}

/* Tensor index list: each entry in [0, n_tensors), or -1 where allowed. */
static xtml_status_t check_indices(verifier_t *v, xtml_fb_vec_t list, uint32_t n_tensors, bool allow_absent,
                                   const where_t *what, const char *name) {
    uint32_t i;
    for (i = 0; i < list.len; i++) {
        int32_t t = xtml_ld_i32(list.data + 4 * i);
        if (t == -1 && allow_absent) {
            continue;
        }
        if (t < 0 || (uint32_t)t >= n_tensors) {
            return fail_at(v, XTML_STATUS_MODEL_INDEX, what,
                           "%s[%u] = %d is not a tensor index (subgraph has %llu)", name, (unsigned)i, (int)t,
                           (unsigned long long)n_tensors);
        }
    }
    return XTML_STATUS_OK;
}

/* Field sizes of the options tables our kernels read ('1', '4'; 'v' = vector
 * of int32; 's' = string), indexed by the BuiltinOptions union type. */
static const char *options_layout(uint8_t type) {
    switch (type) {
    case XTML_OPTS_CONV2D: return "1441441";
    case XTML_OPTS_DEPTHWISE_CONV2D: return "1444144";
    case XTML_OPTS_POOL2D: return "144441";
    case XTML_OPTS_FULLY_CONNECTED: return "11111";
    case XTML_OPTS_SOFTMAX: return "4";
    case XTML_OPTS_CONCATENATION: return "41";
    case XTML_OPTS_ADD: case XTML_OPTS_SUB: return "11";
    case XTML_OPTS_MUL: return "1";
    case XTML_OPTS_RESHAPE: case XTML_OPTS_SQUEEZE: return "v";
    case XTML_OPTS_STRIDED_SLICE: return "444441";
    case XTML_OPTS_SPLIT: return "4";
    case XTML_OPTS_PACK: case XTML_OPTS_UNPACK: return "44";
    case XTML_OPTS_ARG_MAX: case XTML_OPTS_SHAPE: case XTML_OPTS_REDUCER: return "1";
    case XTML_OPTS_LEAKY_RELU: return "4";
    case XTML_OPTS_RESIZE_NEAREST_NEIGHBOR: return "11";
    case XTML_OPTS_UNIDIRECTIONAL_SEQUENCE_LSTM: return "144111";
    case XTML_OPTS_IF: case XTML_OPTS_WHILE: return "44";
    case XTML_OPTS_CALL_ONCE: return "4";
    case XTML_OPTS_VAR_HANDLE: return "ss";
    default: return "";
    }
}

static xtml_status_t verify_options(verifier_t *v, const xtml_fb_table_t *o, uint8_t type, const where_t *what) {
    const char *layout = options_layout(type);
    int field;
    for (field = 0; 4 + 2 * field + 2 <= o->vt_len; field++) {
        char kind = layout[0] != '\0' && field < (int)strlen(layout) ? layout[field] : '1';
        if (kind == 'v') {
            xtml_fb_vec_t vec;
            TRY(vector(v, o, field, 4, what, "builtin_options vector", &vec));
        } else if (kind == 's') {
            TRY(string(v, o, field, what, "builtin_options string"));
        } else {
            TRY(scalar(v, o, field, kind == '4' ? 4u : 1u, what, "builtin_options field"));
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t verify_operator(verifier_t *v, const xtml_fb_table_t *op, uint32_t sg, uint32_t index,
                                     uint32_t n_tensors, uint32_t n_opcodes, xtml_fb_vec_t tensors) {
    where_t w = where_of("operator", sg == 0 ? -1 : (int32_t)sg, (int32_t)index, NULL);
    const where_t *what = &w;
    uint32_t at_opcode, at_otype, at_loff, at_lsize;
    xtml_fb_vec_t ins, outs, custom, mutating, inter;
    xtml_fb_table_t opts, opts2;
    uint32_t i, j;
    TRY(field_at(v, op, XTML_OP_OPCODE_INDEX, 4, what, "opcode_index", &at_opcode));
    TRY(vector(v, op, XTML_OP_INPUTS, 4, what, "inputs", &ins));
    TRY(vector(v, op, XTML_OP_OUTPUTS, 4, what, "outputs", &outs));
    TRY(field_at(v, op, XTML_OP_OPTIONS_TYPE, 1, what, "builtin_options_type", &at_otype));
    TRY(sub_table(v, op, XTML_OP_OPTIONS, what, "builtin_options", &opts));
    TRY(vector(v, op, XTML_OP_CUSTOM_OPTIONS, 1, what, "custom_options", &custom));
    TRY(scalar(v, op, XTML_OP_CUSTOM_FORMAT, 1, what, "custom_options_format"));
    TRY(vector(v, op, XTML_OP_MUTATING_INPUTS, 1, what, "mutating_variable_inputs", &mutating));
    TRY(vector(v, op, XTML_OP_INTERMEDIATES, 4, what, "intermediates", &inter));
    TRY(field_at(v, op, XTML_OP_LARGE_CUSTOM_OFFSET, 8, what, "large_custom_options_offset", &at_loff));
    TRY(field_at(v, op, XTML_OP_LARGE_CUSTOM_SIZE, 8, what, "large_custom_options_size", &at_lsize));
    TRY(scalar(v, op, XTML_OP_OPTIONS2_TYPE, 1, what, "builtin_options_2_type"));
    TRY(sub_table(v, op, XTML_OP_OPTIONS2, what, "builtin_options_2", &opts2));
    if (at_loff != 0) {
        uint64_t off = (uint64_t)xtml_ld_i64(v->buf + at_loff);
        uint64_t size = at_lsize != 0 ? (uint64_t)xtml_ld_i64(v->buf + at_lsize) : 0;
        if (off > v->n || size > v->n - off) {
            return fail_at(v, XTML_STATUS_MODEL_OFFSET, what,
                           "large custom options (%llu bytes at %llu) are outside the model",
                           (unsigned long long)size, (unsigned long long)off);
        }
    }
    if (opts.pos != 0) {
        TRY(verify_options(v, &opts, at_otype != 0 ? v->buf[at_otype] : 0, what));
    }
    if ((at_opcode != 0 ? xtml_ld_u32(v->buf + at_opcode) : 0) >= n_opcodes) {
        return fail_at(v, XTML_STATUS_MODEL_INDEX, what,
                       "opcode_index %llu out of range (model has %llu operator codes)",
                       (unsigned long long)(at_opcode != 0 ? xtml_ld_u32(v->buf + at_opcode) : 0),
                       (unsigned long long)n_opcodes);
    }
    if (ins.len > MAX_OP_IO || outs.len > MAX_OP_IO || inter.len > MAX_OP_IO) {
        return fail_at(v, XTML_STATUS_MODEL_OPERATOR, what,
                       "too many inputs or outputs (%lu, %lu and %lu intermediates; at most %u each)",
                       (unsigned long)ins.len, (unsigned long)outs.len, (unsigned long)inter.len, MAX_OP_IO);
    }
    TRY(check_indices(v, ins, n_tensors, true, what, "inputs"));
    TRY(check_indices(v, outs, n_tensors, false, what, "outputs"));
    TRY(check_indices(v, inter, n_tensors, true, what, "intermediates"));
    for (i = 0; i < outs.len; i++) {
        int32_t o = xtml_ld_i32(outs.data + 4 * i);
        xtml_fb_table_t t = xtml_fb_vec_table(&v->root, tensors, (uint32_t)o);
        uint32_t b = xtml_fb_u32(&t, XTML_TENSOR_BUFFER, 0);
        const uint8_t *data;
        uint64_t len = 0;
        if (b != 0) {
            buffer_data(v, b, &data, &len);
        }
        if (len != 0) {
            return fail_at(v, XTML_STATUS_MODEL_OPERATOR, what, "output %u writes constant tensor %d '%s'",
                           (unsigned)i, (int)o, xtml_fb_str(&t, XTML_TENSOR_NAME));
        }
        for (j = 0; j < ins.len; j++) {
            if (xtml_ld_i32(ins.data + 4 * j) == o) {
                return fail_at(v, XTML_STATUS_MODEL_OPERATOR, what,
                               "tensor %d '%s' is both input %u and output %u", (int)o,
                               xtml_fb_str(&t, XTML_TENSOR_NAME), (unsigned)j, (unsigned)i);
            }
        }
        for (j = 0; j < i; j++) {
            if (xtml_ld_i32(outs.data + 4 * j) == o) {
                return fail_at(v, XTML_STATUS_MODEL_OPERATOR, what, "tensor %d is output %u and output %u",
                               (int)o, (unsigned)j, (unsigned)i);
            }
        }
    }
    return XTML_STATUS_OK;
}

static bool list_has(xtml_fb_vec_t list, int32_t t) {
    uint32_t i;
    for (i = 0; i < list.len; i++) {
        if (xtml_ld_i32(list.data + 4 * i) == t) {
            return true;
        }
    }
    return false;
}

/*
 * Dataflow, one operator at a time: every tensor is written by at most one
 * operator and never by one when it is a graph input. (That every operator
 * input is written before it is read is checked when the plan is made, after
 * unsupported operators have been named.) One bit per tensor for "graph
 * input" and one for "written", so the cost is linear in the lists.
 */
typedef struct dataflow {
    uint8_t graph_input[XTML_MAX_TENSORS / 8];
    uint8_t written[XTML_MAX_TENSORS / 8];
} dataflow_t;

static xtml_status_t verify_writes(verifier_t *v, dataflow_t *df, const xtml_fb_table_t *sg, uint32_t sg_index,
                                   uint32_t op_index) {
    xtml_fb_vec_t ops = xtml_fb_vec(sg, XTML_SUBGRAPH_OPERATORS);
    xtml_fb_table_t op = xtml_fb_vec_table(sg, ops, op_index);
    xtml_fb_vec_t outs = xtml_fb_vec(&op, XTML_OP_OUTPUTS);
    uint32_t j, k;
    for (k = 0; k < outs.len; k++) {
        uint32_t o = (uint32_t)xtml_ld_i32(outs.data + 4 * k);
        uint8_t bit = (uint8_t)(1u << (o & 7u));
        if ((df->graph_input[o >> 3] & bit) != 0) {
            return fail(v, XTML_STATUS_MODEL_OPERATOR, "subgraph %u operator %u writes graph input tensor %d",
                        (unsigned)sg_index, (unsigned)op_index, (int)o);
        }
        if ((df->written[o >> 3] & bit) != 0) {
            for (j = 0; j < op_index; j++) {
                xtml_fb_table_t prev = xtml_fb_vec_table(sg, ops, j);
                if (list_has(xtml_fb_vec(&prev, XTML_OP_OUTPUTS), (int32_t)o)) {
                    break;
                }
            }
            return fail(v, XTML_STATUS_MODEL_OPERATOR, "subgraph %u tensor %d is written by operators %u and %u",
                        (unsigned)sg_index, (int)o, (unsigned)j, (unsigned)op_index);
        }
        df->written[o >> 3] |= bit;
    }
    return XTML_STATUS_OK;
}

/*
 * int64 constants need only 4-byte alignment: some TFLite files place buffers
 * at 4-byte boundaries (SEANet's TRANSPOSE_CONV biases start at file offset
 * 84) and TFLM reads them where they are, so every kernel reads int64 tensor
 * data byte-wise (xtml_ld_i64). A graph's output is the exception: the caller
 * gets a pointer to it, typed by its element type.
 */
static xtml_status_t verify_i64_outputs(verifier_t *v, const xtml_fb_table_t *sg, uint32_t index,
                                        xtml_fb_vec_t tensors, xtml_fb_vec_t outs) {
    uint32_t i;
    for (i = 0; i < outs.len; i++) {
        int32_t o = xtml_ld_i32(outs.data + 4 * i);
        xtml_fb_table_t t = xtml_fb_vec_table(sg, tensors, (uint32_t)o);
        uint32_t b = xtml_fb_u32(&t, XTML_TENSOR_BUFFER, 0);
        const uint8_t *data;
        uint64_t len = 0;
        if (b != 0) {
            buffer_data(v, b, &data, &len);
        }
        if (len != 0 && xtml_fb_i8(&t, XTML_TENSOR_TYPE, 0) == (int8_t)XTML_DTYPE_INT64 &&
            ((uintptr_t)data & 7u) != 0) {
            return fail(v, XTML_STATUS_MODEL_ALIGNMENT,
                        "subgraph %u output %u: int64 constant tensor %d '%s' at model offset %llu is not 8-byte "
                        "aligned in memory; load the model at a 16-byte aligned address", (unsigned)index,
                        (unsigned)i, (int)o, xtml_fb_str(&t, XTML_TENSOR_NAME), (unsigned long long)(data - v->buf));
        }
    }
    return XTML_STATUS_OK;
}

static xtml_status_t verify_subgraph(verifier_t *v, const xtml_fb_table_t *sg, uint32_t index, uint32_t n_opcodes) {
    where_t w = where_of("subgraph", -1, (int32_t)index, NULL);
    const where_t *what = &w;
    xtml_fb_vec_t tensors, ins, outs, ops;
    dataflow_t df;
    uint32_t i;
    TRY(vector(v, sg, XTML_SUBGRAPH_TENSORS, 4, what, "tensors", &tensors));
    TRY(vector(v, sg, XTML_SUBGRAPH_INPUTS, 4, what, "inputs", &ins));
    TRY(vector(v, sg, XTML_SUBGRAPH_OUTPUTS, 4, what, "outputs", &outs));
    TRY(vector(v, sg, XTML_SUBGRAPH_OPERATORS, 4, what, "operators", &ops));
    TRY(string(v, sg, XTML_SUBGRAPH_NAME, what, "name"));
    if (tensors.len > XTML_MAX_TENSORS || ops.len > 0xffffu) {
        return fail_at(v, XTML_STATUS_MODEL_SHAPE, what,
                       "%llu tensors and %llu operators exceed the supported counts",
                       (unsigned long long)tensors.len, (unsigned long long)ops.len);
    }
    for (i = 0; i < tensors.len; i++) {
        xtml_fb_table_t t;
        where_t tw = where_of("tensor", (int32_t)index, (int32_t)i, NULL);
        TRY(vec_table(v, tensors, i, &tw, &t));
        TRY(verify_tensor(v, &t, index, i));
    }
    TRY(check_indices(v, ins, tensors.len, false, what, "inputs"));
    TRY(check_indices(v, outs, tensors.len, false, what, "outputs"));
    memset(&df, 0, sizeof df);
    for (i = 0; i < ins.len; i++) {
        uint32_t t = (uint32_t)xtml_ld_i32(ins.data + 4 * i);
        xtml_fb_table_t tt = xtml_fb_vec_table(sg, tensors, t);
        uint32_t b = xtml_fb_u32(&tt, XTML_TENSOR_BUFFER, 0);
        const uint8_t *data;
        uint64_t len = 0;
        if (b != 0) {
            buffer_data(v, b, &data, &len);
        }
        if (len != 0) {
            /* Its "input buffer" would be the model's own bytes. */
            return fail_at(v, XTML_STATUS_MODEL_OPERATOR, what, "input %u is constant tensor %d '%s'",
                           (unsigned)i, (int)t, xtml_fb_str(&tt, XTML_TENSOR_NAME));
        }
        df.graph_input[t >> 3] |= (uint8_t)(1u << (t & 7u));
    }
    for (i = 0; i < ops.len; i++) {
        xtml_fb_table_t op;
        where_t ow = where_of("operator", (int32_t)index, (int32_t)i, NULL);
        TRY(vec_table(v, ops, i, &ow, &op));
        TRY(verify_operator(v, &op, index, i, tensors.len, n_opcodes, tensors));
        TRY(verify_writes(v, &df, sg, index, i));
    }
    return verify_i64_outputs(v, sg, index, tensors, outs);
}

static xtml_status_t verify_metadata(verifier_t *v, uint32_t n_subgraphs) {
    xtml_fb_vec_t mbuf, meta, sigs;
    uint32_t i, j;
    const where_t model = where_of("model", -1, -1, NULL);
    where_t w;
    const where_t *what = &w;
    TRY(vector(v, &v->root, XTML_MODEL_METADATA_BUFFER, 4, &model, "metadata_buffer", &mbuf));
    for (i = 0; i < mbuf.len; i++) {
        int32_t b = xtml_ld_i32(mbuf.data + 4 * i);
        if (b < 0 || (uint32_t)b >= v->n_buffers) {
            return fail(v, XTML_STATUS_MODEL_INDEX, "model: metadata_buffer[%u] = %d out of range", (unsigned)i,
                        (int)b);
        }
    }
    TRY(vector(v, &v->root, XTML_MODEL_METADATA, 4, &model, "metadata", &meta));
    for (i = 0; i < meta.len; i++) {
        xtml_fb_table_t m;
        uint32_t at_b;
        w = where_of("metadata", -1, (int32_t)i, NULL);
        TRY(vec_table(v, meta, i, what, &m));
        TRY(string(v, &m, 0, what, "name"));
        TRY(field_at(v, &m, 1, 4, what, "buffer", &at_b));
        if (at_b != 0 && xtml_ld_u32(v->buf + at_b) >= v->n_buffers) {
            return fail_at(v, XTML_STATUS_MODEL_INDEX, what, "buffer %llu out of range",
                           (unsigned long long)xtml_ld_u32(v->buf + at_b));
        }
    }
    TRY(vector(v, &v->root, XTML_MODEL_SIGNATURES, 4, &model, "signature_defs", &sigs));
    for (i = 0; i < sigs.len; i++) {
        xtml_fb_table_t s;
        int side;
        uint32_t at_sg;
        w = where_of("signature", -1, (int32_t)i, NULL);
        TRY(vec_table(v, sigs, i, what, &s));
        TRY(string(v, &s, 2, what, "signature_key"));
        TRY(string(v, &s, 3, what, "deprecated_tag"));
        TRY(field_at(v, &s, 4, 4, what, "subgraph_index", &at_sg));
        if (at_sg != 0 && xtml_ld_u32(v->buf + at_sg) >= n_subgraphs) {
            return fail_at(v, XTML_STATUS_MODEL_INDEX, what,
                           "subgraph_index %llu out of range (model has %llu subgraphs)",
                           (unsigned long long)xtml_ld_u32(v->buf + at_sg), (unsigned long long)n_subgraphs);
        }
        for (side = 0; side < 2; side++) {
            xtml_fb_vec_t maps;
            TRY(vector(v, &s, side, 4, what, side == 0 ? "inputs" : "outputs", &maps));
            for (j = 0; j < maps.len; j++) {
                xtml_fb_table_t m;
                TRY(vec_table(v, maps, j, what, &m));
                TRY(string(v, &m, 0, what, "tensor map name"));
                TRY(scalar(v, &m, 1, 4, what, "tensor_index"));
            }
        }
    }
    return XTML_STATUS_OK;
}

xtml_status_t xtml_model_verify(const uint8_t *model, size_t model_bytes, xtml_diag_t *diag) {
    const where_t model_where = where_of("model", -1, -1, NULL);
    verifier_t v;
    xtml_fb_vec_t codes, subgraphs;
    uint32_t at_version;
    uint32_t i;
    memset(&v, 0, sizeof v);
    v.buf = model;
    v.diag = diag;
    if (diag != NULL) {
        diag->status = XTML_STATUS_OK;
        diag->needed = 0;
        diag->detail[0] = '\0';
    }
    if (model == NULL) {
        return fail(&v, XTML_STATUS_BAD_ARGUMENT, "model is NULL");
    }
    if (model_bytes > 0x7fffffffu) {
        return fail(&v, XTML_STATUS_BAD_ARGUMENT, "model of %zu bytes exceeds the 2 GiB limit", model_bytes);
    }
    v.n = (uint32_t)model_bytes;
    if (v.n < 8) {
        return fail(&v, XTML_STATUS_MODEL_TRUNCATED, "model is %llu bytes, shorter than a flatbuffer header",
                    (unsigned long long)v.n);
    }
    if (memcmp(model + 4, "TFL3", 4) != 0) {
        return fail(&v, XTML_STATUS_MODEL_IDENTIFIER, "file identifier is not TFL3 (bytes 4-7 are %x %x %x %x)",
                    (unsigned)model[4], (unsigned)model[5], (unsigned)model[6], (unsigned)model[7]);
    }
    {
        xtml_status_t s = open_table(&v, xtml_ld_u32(model), &model_where, &v.root);
        if (s != XTML_STATUS_OK) {
            return s;
        }
    }
    TRY(field_at(&v, &v.root, XTML_MODEL_VERSION, 4, &model_where, "version", &at_version));
    if (at_version == 0 || xtml_ld_u32(model + at_version) != 3) {
        return fail(&v, XTML_STATUS_MODEL_VERSION, "model: schema version is %llu, expected 3",
                    (unsigned long long)(at_version != 0 ? xtml_ld_u32(model + at_version) : 0));
    }
    TRY(vector(&v, &v.root, XTML_MODEL_OPCODES, 4, &model_where, "operator_codes", &codes));
    TRY(vector(&v, &v.root, XTML_MODEL_SUBGRAPHS, 4, &model_where, "subgraphs", &subgraphs));
    TRY(string(&v, &v.root, XTML_MODEL_DESCRIPTION, &model_where, "description"));
    TRY(vector(&v, &v.root, XTML_MODEL_BUFFERS, 4, &model_where, "buffers", &v.buffers));
    v.n_buffers = v.buffers.len;
    if (subgraphs.len == 0) {
        return fail(&v, XTML_STATUS_MODEL_MISSING, "model has no subgraphs");
    }
    if (v.n_buffers == 0) {
        return fail(&v, XTML_STATUS_MODEL_MISSING, "model has no buffers (buffer 0 must exist)");
    }
    TRY(verify_opcodes(&v, codes));
    TRY(verify_buffers(&v));
    TRY(verify_metadata(&v, subgraphs.len));
    for (i = 0; i < subgraphs.len; i++) {
        xtml_fb_table_t sg;
        where_t w = where_of("subgraph", -1, (int32_t)i, NULL);
        TRY(vec_table(&v, subgraphs, i, &w, &sg));
        TRY(verify_subgraph(&v, &sg, i, codes.len));
    }
    /* Subgraph indices of CALL_ONCE, IF and WHILE in range, and no recursion. */
    {
        xtml_status_t s = xtml_call_graph(&v.root, NULL, diag != NULL ? diag->detail : NULL, XTML_DETAIL_MAX);
        if (s != XTML_STATUS_OK) {
            if (diag != NULL) {
                diag->status = s;
            }
            return s;
        }
    }
    return XTML_STATUS_OK;
}
