/*
 * xtml_fb.c - reading TensorFlow Lite flatbuffers after xtml_verify.c has walked them.
 *
 * Layout facts used here (FlatBuffers binary format): the root is a uoffset
 * (uint32, relative to its own position) at byte 0; a table starts with an
 * soffset (int32) that, subtracted from the table's position, gives its
 * vtable; a vtable is uint16 vtable size, uint16 table size, then one uint16
 * offset per field (0 = absent). A vector or string field holds a uoffset to a
 * uint32 length followed by the elements. Every load is byte-wise.
 */
#include "xtml_internal.h"

xtml_fb_table_t xtml_fb_at(const uint8_t *buf, uint32_t pos) {
    xtml_fb_table_t t;
    t.buf = buf;
    t.pos = pos;
    t.vt = (uint32_t)((int64_t)pos - xtml_ld_i32(buf + pos));
    t.vt_len = xtml_ld_u16(buf + t.vt);
    return t;
}

xtml_fb_table_t xtml_fb_root(const uint8_t *buf) {
    return xtml_fb_at(buf, xtml_ld_u32(buf));
}

uint32_t xtml_fb_field(const xtml_fb_table_t *t, int field) {
    uint32_t slot = 4u + 2u * (uint32_t)field;
    uint16_t off;
    if (t->pos == 0 || slot + 2u > t->vt_len) {
        return 0;
    }
    off = xtml_ld_u16(t->buf + t->vt + slot);
    return off == 0 ? 0 : t->pos + off;
}

int32_t xtml_fb_i32(const xtml_fb_table_t *t, int field, int32_t def) {
    uint32_t at = xtml_fb_field(t, field);
    return at != 0 ? xtml_ld_i32(t->buf + at) : def;
}

uint32_t xtml_fb_u32(const xtml_fb_table_t *t, int field, uint32_t def) {
    uint32_t at = xtml_fb_field(t, field);
    return at != 0 ? xtml_ld_u32(t->buf + at) : def;
}

int64_t xtml_fb_i64(const xtml_fb_table_t *t, int field, int64_t def) {
    uint32_t at = xtml_fb_field(t, field);
    return at != 0 ? xtml_ld_i64(t->buf + at) : def;
}

uint8_t xtml_fb_u8(const xtml_fb_table_t *t, int field, uint8_t def) {
    uint32_t at = xtml_fb_field(t, field);
    return at != 0 ? t->buf[at] : def;
}

int8_t xtml_fb_i8(const xtml_fb_table_t *t, int field, int8_t def) {
    uint32_t at = xtml_fb_field(t, field);
    return at != 0 ? (int8_t)t->buf[at] : def;
}

float xtml_fb_f32(const xtml_fb_table_t *t, int field, float def) {
    uint32_t at = xtml_fb_field(t, field);
    return at != 0 ? xtml_ld_f32(t->buf + at) : def;
}

bool xtml_fb_bool(const xtml_fb_table_t *t, int field, bool def) {
    uint32_t at = xtml_fb_field(t, field);
    return at != 0 ? t->buf[at] != 0 : def;
}

/* Follow the uoffset stored at absolute position `at`. */
static uint32_t follow(const uint8_t *buf, uint32_t at) {
    return at + xtml_ld_u32(buf + at);
}

xtml_fb_table_t xtml_fb_table(const xtml_fb_table_t *t, int field) {
    uint32_t at = xtml_fb_field(t, field);
    xtml_fb_table_t none;
    if (at == 0) {
        memset(&none, 0, sizeof none);
        none.buf = t->buf;
        return none;
    }
    return xtml_fb_at(t->buf, follow(t->buf, at));
}

xtml_fb_vec_t xtml_fb_vec(const xtml_fb_table_t *t, int field) {
    uint32_t at = xtml_fb_field(t, field);
    xtml_fb_vec_t v;
    if (at == 0) {
        v.data = NULL;
        v.len = 0;
        return v;
    }
    at = follow(t->buf, at);
    v.len = xtml_ld_u32(t->buf + at);
    v.data = t->buf + at + 4;
    return v;
}

xtml_fb_table_t xtml_fb_vec_table(const xtml_fb_table_t *t, xtml_fb_vec_t v, uint32_t i) {
    uint32_t at = (uint32_t)(v.data - t->buf) + 4u * i;
    return xtml_fb_at(t->buf, follow(t->buf, at));
}

const char *xtml_fb_str(const xtml_fb_table_t *t, int field) {
    xtml_fb_vec_t v = xtml_fb_vec(t, field);
    return v.data != NULL ? (const char *)v.data : "";
}

/* The builtin code of a model's operator: the schema keeps codes below 127 in
 * the old byte field as well, and the larger of the two fields wins. */
int32_t xtml_fb_op_builtin(const xtml_fb_table_t *root, const xtml_fb_table_t *op) {
    xtml_fb_vec_t codes = xtml_fb_vec(root, XTML_MODEL_OPCODES);
    xtml_fb_table_t c = xtml_fb_vec_table(root, codes, xtml_fb_u32(op, XTML_OP_OPCODE_INDEX, 0));
    int32_t deprecated = xtml_fb_i8(&c, XTML_OPCODE_DEPRECATED_BUILTIN, 0);
    int32_t code = xtml_fb_i32(&c, XTML_OPCODE_BUILTIN, 0);
    return code > deprecated ? code : deprecated;
}
