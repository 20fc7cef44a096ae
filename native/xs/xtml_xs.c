/*
 * xtml_xs.c - the XS binding of the xs-tinyml core, written with xsmc ("XS in
 * C"). One host function per call of native/include/xtml.h, declared in
 * xtml.js with the @ "xs_xtml_..." syntax and named after the C call.
 *
 * Thin by rule (STYLE.md 10): convert the arguments, call the core, hand back
 * its status as a number and its out-parameters in the arrays the caller
 * passes. A failed core call never throws here; xs-binding.ts turns the status
 * into an XtmlError exactly as the other backends do. Argument checks with
 * messages naming the parameter live in TypeScript; the only checks here are
 * the ones that keep memory safe (sizes converted to size_t, byte counts of
 * copies, operator indices, strings from the model that XS must decode).
 *
 * Memory (STYLE.md 11, Moddable's "XS in C"): XS may move ArrayBuffer data and
 * host chunks when it collects garbage, so the core never keeps a pointer into
 * them.
 *   - Memory outside the XS heap comes from the platform's c_malloc/c_calloc
 *     and goes back with c_free, as in the SDK's own modules (malloc on most
 *     platforms; the platform's allocator where it has one).
 *   - The arena is allocated outside the XS heap, owned by the Context's host
 *     data, freed by close() or by the destructor. close() also frees the
 *     host data and clears it, so the collector has nothing left to destroy.
 *   - Model bytes in a host buffer (a Moddable Resource in flash, the desktop
 *     host's mapped file) do not move: they are used in place, zero copy. The
 *     caller keeps that object alive for as long as the context.
 *   - Model bytes in an ArrayBuffer, or a byte view of one, are copied once
 *     into malloc'd memory aligned to XTML_ARENA_ALIGN, owned like the arena.
 *   - Input and output bytes are copied within one call, with no XS
 *     allocation between taking the pointer and using it.
 *
 * Only calls present in both XS 13.3 and the current Moddable SDK are used
 * (hence xsmcToNumber/xsmcSetNumber for sizes: no xsmcToUnsigned/SetUnsigned).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsmc.h"
#include "xtml.h"
#include "xtml_bind.h"
#include "xtml_port.h"

/* Host data of a Context. */
typedef struct xtml_xs_context {
    xtml_ctx_t *ctx;             /* inside the arena; NULL until init succeeds */
    void *arena_block;           /* malloc'd; the arena starts at its first aligned byte */
    void *model_block;           /* malloc'd aligned copy of relocatable model bytes, or NULL */
    xtml_bind_profile_t profile; /* ticks of the last invoke; ticks malloc'd at init */
} xtml_xs_context_t;

/* Model bytes as the core gets them. */
typedef struct xtml_xs_model {
    const uint8_t *bytes;
    size_t size;
    void *block; /* malloc'd when the bytes had to be copied, else NULL */
} xtml_xs_model_t;

static void *aligned_block(xsMachine *the, size_t bytes, void **block, const char *what) {
    *block = c_malloc(bytes + XTML_ARENA_ALIGN);
    if (*block == NULL) {
        xsUnknownError("xtml: not enough memory for the %s (%d bytes)", what, (int)bytes);
    }
    return xtml_bind_align(*block);
}

/* Model bytes of argument `arg`: in place when XS cannot move them, else copied. */
static void model_of(xsMachine *the, xsIntegerValue arg, xtml_xs_model_t *model) {
    void *data;
    xsUnsignedValue count;
    model->block = NULL;
    if (xsmcGetBufferReadable(xsArg(arg), &data, &count) == xsBufferNonrelocatable) {
        model->bytes = data;
        model->size = count;
        return;
    }
    /* malloc does not run the XS collector: data is still valid after it. */
    model->bytes = aligned_block(the, count, &model->block, "model copy");
    memcpy((void *)model->bytes, data, count);
    model->size = count;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_sequence(const unsigned char *s) {
    unsigned char c = s[0];
    size_t n, i;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0; /* also stops at the terminating NUL */
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return n;
}

/*
 * A C string into an XS string. Names and details come from the model, which
 * may be crafted; XS decodes its strings as UTF-8 without bounds, so a
 * truncated sequence before the NUL would make it read past the string. Such
 * bytes become U+FFFD, as TextDecoder does on the other backends.
 */
static void set_string(xsMachine *the, xsSlot *slot, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0, bad = 0, n;
    char *copy, *q;
    while (p[len] != 0) {
        n = utf8_sequence(p + len);
        bad += n == 0;
        len += n == 0 ? 1 : n;
    }
    if (bad == 0) {
        xsmcSetString(*slot, (xsStringValue)s);
        return;
    }
    copy = c_malloc(len + 2 * bad + 1);
    if (copy == NULL) {
        xsUnknownError("xtml: not enough memory for a string");
    }
    for (q = copy, p = (const unsigned char *)s; *p != 0; p += n) {
        n = utf8_sequence(p);
        if (n == 0) {
            memcpy(q, "\xEF\xBF\xBD", 3);
            q += 3;
            n = 1;
        } else {
            memcpy(q, p, n);
            q += n;
        }
    }
    *q = 0;
    /* xsmcSetString copies it (were XS out of memory, it would throw and this copy leak). */
    xsmcSetString(*slot, copy);
    c_free(copy);
}

static void string_out(xsMachine *the, const char *s) {
    if (s != NULL) {
        set_string(the, &xsResult, s);
    } else {
        xsmcSetUndefined(xsResult);
    }
}

/* xtml_diag_t into the JavaScript array `diag`: [detail, needed]. Uses xsVar(0). */
static void diag_out(xsMachine *the, xsIntegerValue arg, const xtml_diag_t *diag) {
    set_string(the, &xsVar(0), diag->detail);
    xsmcSetIndex(xsArg(arg), 0, xsVar(0));
    xsmcSetNumber(xsVar(0), (xsNumberValue)diag->needed);
    xsmcSetIndex(xsArg(arg), 1, xsVar(0));
}

static void status_out(xsMachine *the, xtml_status_t status) {
    xsmcSetInteger(xsResult, (xsIntegerValue)status);
}

/* modelVerify(model, diag) -> status */
void xs_xtml_model_verify(xsMachine *the) {
    xtml_xs_model_t model;
    xtml_diag_t diag;
    xtml_status_t status;
    xsmcVars(1);
    model_of(the, 0, &model);
    status = xtml_model_verify(model.bytes, model.size, &diag);
    c_free(model.block);
    diag_out(the, 1, &diag);
    status_out(the, status);
}

/* xtml_options_t from argument `arg`, the kept tensor indices as the bytes of
 * an Int32Array (a Uint8Array over them: XS hands out the memory of byte
 * arrays only), copied into malloc'd memory (*block, to free) so no pointer
 * into the XS heap is held. */
static void options_of(xsMachine *the, xsIntegerValue arg, xtml_options_t *options, void **block) {
    void *data;
    xsUnsignedValue count;
    memset(options, 0, sizeof *options);
    *block = NULL;
    xsmcGetBufferReadable(xsArg(arg), &data, &count);
    if (count % sizeof(int32_t) != 0 || count / sizeof(int32_t) > 0xffff) {
        xsUnknownError("xtml: kept tensors are %u bytes, not a whole number of int32 indices", (unsigned)count);
    }
    options->keep_count = (int32_t)(count / sizeof(int32_t));
    if (options->keep_count > 0) {
        *block = malloc(count);
        if (*block == NULL) {
            xsUnknownError("xtml: not enough memory for the options");
        }
        memcpy(*block, data, count);
        options->keep_tensors = *block;
    }
}

/* arenaSizeWith(model, keepTensors, size, diag) -> status; size[0] = arena bytes */
void xs_xtml_arena_size_with(xsMachine *the) {
    xtml_xs_model_t model;
    xtml_options_t options;
    void *options_block;
    xtml_diag_t diag;
    size_t bytes = 0;
    xtml_status_t status;
    xsmcVars(1);
    options_of(the, 1, &options, &options_block);
    model_of(the, 0, &model);
    status = xtml_arena_size_with(model.bytes, model.size, &options, &bytes, &diag);
    free(model.block);
    free(options_block);
    diag_out(the, 3, &diag);
    xsmcSetNumber(xsVar(0), (xsNumberValue)bytes);
    xsmcSetIndex(xsArg(2), 0, xsVar(0));
    status_out(the, status);
}

/* arenaSize(model, size, diag) -> status; size[0] = arena bytes */
void xs_xtml_arena_size(xsMachine *the) {
    xtml_xs_model_t model;
    xtml_diag_t diag;
    size_t bytes = 0;
    xtml_status_t status;
    xsmcVars(1);
    model_of(the, 0, &model);
    status = xtml_arena_size(model.bytes, model.size, &bytes, &diag);
    c_free(model.block);
    diag_out(the, 2, &diag);
    xsmcSetNumber(xsVar(0), (xsNumberValue)bytes);
    xsmcSetIndex(xsArg(1), 0, xsVar(0));
    status_out(the, status);
}

/* ---- Context ---- */

static void context_free(xtml_xs_context_t *c) {
    c_free(c->arena_block);
    c_free(c->model_block);
    c_free(c->profile.ticks);
    memset(c, 0, sizeof *c);
}

void xs_xtml_context_destructor(void *data) {
    if (data != NULL) {
        context_free(data);
        c_free(data);
    }
}

static xtml_xs_context_t *context_of(xsMachine *the) {
    /* Validate: `this` must be a Context, whatever the caller passes. */
    return xsmcGetHostDataValidate(xsThis, (void *)xs_xtml_context_destructor);
}

/* The core context; NULL before init and after close (the core accepts NULL). */
static xtml_ctx_t *ctx_of(xsMachine *the) {
    xtml_xs_context_t *c = context_of(the);
    return c != NULL ? c->ctx : NULL;
}

/* new Context() */
void xs_xtml_context(xsMachine *the) {
    xtml_xs_context_t *c = c_calloc(1, sizeof *c);
    if (c == NULL) {
        xsUnknownError("xtml: not enough memory for a context");
    }
    xsmcSetHostData(xsThis, c);
}

/* Largest HostBytes: a bound against a mistaken length, not a budget. */
#define XTML_XS_HOST_BYTES_MAX (16 * 1024 * 1024)

/* new HostBytes(length): zeroed memory outside the XS heap as a host buffer
 * (a Uint8Array views it in place), freed with the object. For bulk data,
 * such as adaptation's frames and features, that would crowd a small chunk
 * heap. */
void xs_xtml_host_bytes(xsMachine *the) {
    xsIntegerValue length = xsmcToInteger(xsArg(0));
    void *data;
    if (length < 1 || length > XTML_XS_HOST_BYTES_MAX) {
        xsUnknownError("xtml: HostBytes takes 1 to %d bytes, got %d", (int)XTML_XS_HOST_BYTES_MAX, (int)length);
    }
    data = c_calloc(1, (size_t)length);
    if (data == NULL) {
        xsUnknownError("xtml: not enough memory for %d host bytes", (int)length);
    }
    xsmcSetHostBuffer(xsThis, data, length);
}

void xs_xtml_host_bytes_destructor(void *data) {
    if (data != NULL) {
        c_free(data);
    }
}

/* close(): frees the arena, the model copy and the host data now rather than
 * at collection; the object is then an empty Context (every call answers as
 * for a context never initialized, init throws). */
void xs_xtml_context_close(xsMachine *the) {
    xtml_xs_context_t *c = context_of(the);
    if (c != NULL) {
        context_free(c);
        c_free(c);
        xsmcSetHostData(xsThis, NULL);
    }
}

/* init(model, arenaBytes, diag[, keepTensors]) -> status; with keepTensors (see
 * options_of) it is xtml_init_with. */
void xs_xtml_init(xsMachine *the) {
    xtml_xs_context_t *c = context_of(the);
    xtml_xs_model_t model;
    xtml_options_t options;
    void *options_block = NULL;
    xtml_diag_t diag;
    xsNumberValue requested = xsmcToNumber(xsArg(1));
    size_t arena_bytes;
    void *arena;
    xtml_status_t status;
    int32_t ops;
    int with_options = xsmcArgc > 3;
    xsmcVars(1);
    if (c == NULL) {
        xsUnknownError("xtml: init on a closed context");
    }
    context_free(c);
    if (!(requested >= 0 && requested <= (xsNumberValue)(SIZE_MAX / 2))) {
        /* Not representable as a size (NaN, negative, huge): the core's own answer to a bad size. */
        memset(&diag, 0, sizeof diag);
        diag_out(the, 2, &diag);
        status_out(the, XTML_STATUS_BAD_ARGUMENT);
        return;
    }
    arena_bytes = (size_t)requested;
    model_of(the, 0, &model);
    c->model_block = model.block;
    arena = aligned_block(the, arena_bytes, &c->arena_block, "arena");
    if (with_options) {
        options_of(the, 3, &options, &options_block);
        status = xtml_init_with(model.bytes, model.size, &options, arena, arena_bytes, &c->ctx, &diag);
        free(options_block);
    } else {
        status = xtml_init(model.bytes, model.size, arena, arena_bytes, &c->ctx, &diag);
    }
    if (status == XTML_STATUS_OK) {
        ops = xtml_operator_count(c->ctx);
        c->profile.count = ops;
        c->profile.ticks = c_calloc(ops > 0 ? (size_t)ops : 1, sizeof(uint32_t));
        if (c->profile.ticks == NULL) {
            context_free(c);
            xsUnknownError("xtml: not enough memory for the profile");
        }
    } else {
        context_free(c);
    }
    diag_out(the, 2, &diag);
    status_out(the, status);
}

void xs_xtml_arena_used(xsMachine *the) {
    xsmcSetNumber(xsResult, (xsNumberValue)xtml_arena_used(ctx_of(the)));
}

void xs_xtml_input_count(xsMachine *the) {
    xsmcSetInteger(xsResult, xtml_input_count(ctx_of(the)));
}

void xs_xtml_output_count(xsMachine *the) {
    xsmcSetInteger(xsResult, xtml_output_count(ctx_of(the)));
}

/* xtml_tensor_info_t into the array `info`: [name, dtype, dims, bytes, scale, zeroPoint].
 * Uses xsVar(0) and xsVar(1). */
static void info_out(xsMachine *the, xsIntegerValue arg, const xtml_tensor_info_t *info) {
    int32_t i;
    set_string(the, &xsVar(0), info->name);
    xsmcSetIndex(xsArg(arg), 0, xsVar(0));
    xsmcSetInteger(xsVar(0), (xsIntegerValue)info->dtype);
    xsmcSetIndex(xsArg(arg), 1, xsVar(0));
    xsmcSetNewArray(xsVar(0), info->ndim);
    for (i = 0; i < info->ndim; i++) {
        xsmcSetInteger(xsVar(1), info->dims[i]);
        xsmcSetIndex(xsVar(0), i, xsVar(1));
    }
    xsmcSetIndex(xsArg(arg), 2, xsVar(0));
    xsmcSetNumber(xsVar(0), (xsNumberValue)info->bytes);
    xsmcSetIndex(xsArg(arg), 3, xsVar(0));
    xsmcSetNumber(xsVar(0), (xsNumberValue)info->scale);
    xsmcSetIndex(xsArg(arg), 4, xsVar(0));
    xsmcSetInteger(xsVar(0), info->zero_point);
    xsmcSetIndex(xsArg(arg), 5, xsVar(0));
}

/* inputInfo(index, info) -> status */
void xs_xtml_input_info(xsMachine *the) {
    xtml_tensor_info_t info;
    xtml_status_t status;
    xsmcVars(2);
    status = xtml_input_info(ctx_of(the), xsmcToInteger(xsArg(0)), &info);
    if (status == XTML_STATUS_OK) {
        info_out(the, 1, &info);
    }
    status_out(the, status);
}

/* outputInfo(index, info) -> status */
void xs_xtml_output_info(xsMachine *the) {
    xtml_tensor_info_t info;
    xtml_status_t status;
    xsmcVars(2);
    status = xtml_output_info(ctx_of(the), xsmcToInteger(xsArg(0)), &info);
    if (status == XTML_STATUS_OK) {
        info_out(the, 1, &info);
    }
    status_out(the, status);
}

/* setInput(index, bytes) -> status: copies exactly the input's size into xtml_input_data. */
void xs_xtml_input_data(xsMachine *the) {
    xtml_ctx_t *ctx = ctx_of(the);
    xsIntegerValue index = xsmcToInteger(xsArg(0));
    xtml_tensor_info_t info;
    void *data;
    xsUnsignedValue count;
    xtml_status_t status = xtml_input_info(ctx, index, &info);
    if (status == XTML_STATUS_OK) {
        xsmcGetBufferReadable(xsArg(1), &data, &count);
        if (count != info.bytes) {
            status = XTML_STATUS_BAD_ARGUMENT;
        } else {
            memcpy(xtml_input_data(ctx, index), data, count);
        }
    }
    status_out(the, status);
}

/* getOutput(index, bytes) -> status: copies xtml_output_data into bytes of exactly its size. */
void xs_xtml_output_data(xsMachine *the) {
    xtml_ctx_t *ctx = ctx_of(the);
    xsIntegerValue index = xsmcToInteger(xsArg(0));
    xtml_tensor_info_t info;
    void *data;
    xsUnsignedValue count;
    xtml_status_t status = xtml_output_info(ctx, index, &info);
    if (status == XTML_STATUS_OK) {
        xsmcGetBufferWritable(xsArg(1), &data, &count);
        if (count != info.bytes) {
            status = XTML_STATUS_BAD_ARGUMENT;
        } else {
            memcpy(data, xtml_output_data(ctx, index), count);
        }
    }
    status_out(the, status);
}

void xs_xtml_tensor_count(xsMachine *the) {
    xsmcSetInteger(xsResult, xtml_tensor_count(ctx_of(the)));
}

/* tensorInfo(index, info) -> status */
void xs_xtml_tensor_info(xsMachine *the) {
    xtml_tensor_info_t info;
    xtml_status_t status;
    xsmcVars(2);
    status = xtml_tensor_info(ctx_of(the), xsmcToInteger(xsArg(0)), &info);
    if (status == XTML_STATUS_OK) {
        info_out(the, 1, &info);
    }
    status_out(the, status);
}

/* getTensor(index, bytes) -> status: copies xtml_tensor_data(index) into bytes of exactly its size. */
void xs_xtml_tensor_data(xsMachine *the) {
    xtml_ctx_t *ctx = ctx_of(the);
    xsIntegerValue index = xsmcToInteger(xsArg(0));
    xtml_tensor_info_t info;
    const void *tensor = NULL;
    void *data;
    xsUnsignedValue count;
    xtml_status_t status = xtml_tensor_data(ctx, index, &tensor);
    if (status == XTML_STATUS_OK) {
        status = xtml_tensor_info(ctx, index, &info);
    }
    if (status == XTML_STATUS_OK) {
        xsmcGetBufferWritable(xsArg(1), &data, &count);
        if (count != info.bytes) {
            status = XTML_STATUS_BAD_ARGUMENT;
        } else {
            memcpy(data, tensor, count);
        }
    }
    status_out(the, status);
}

/* invoke() -> status */
void xs_xtml_invoke(xsMachine *the) {
    status_out(the, xtml_invoke(ctx_of(the)));
}

/* resetState() -> status */
void xs_xtml_reset_state(xsMachine *the) {
    status_out(the, xtml_reset_state(ctx_of(the)));
}

/* setProfiling(on): xtml_set_profiler with the shared tick recorder. */
void xs_xtml_set_profiler(xsMachine *the) {
    xtml_xs_context_t *c = context_of(the);
    if (c != NULL && c->ctx != NULL) {
        xtml_set_profiler(c->ctx, xsmcToBoolean(xsArg(0)) ? xtml_bind_record_ticks : NULL, &c->profile);
    }
}

/* operatorTicks(index) -> ticks of operator index in the last profiled invoke */
void xs_xtml_operator_ticks(xsMachine *the) {
    xtml_xs_context_t *c = context_of(the);
    xsIntegerValue index = xsmcToInteger(xsArg(0));
    uint32_t ticks = 0;
    if (c != NULL && c->profile.ticks != NULL && index >= 0 && index < c->profile.count) {
        ticks = c->profile.ticks[index];
    }
    xsmcSetNumber(xsResult, (xsNumberValue)ticks);
}

void xs_xtml_operator_count(xsMachine *the) {
    xsmcSetInteger(xsResult, xtml_operator_count(ctx_of(the)));
}

void xs_xtml_operator_name(xsMachine *the) {
    string_out(the, xtml_operator_name(ctx_of(the), xsmcToInteger(xsArg(0))));
}

void xs_xtml_operator_macs(xsMachine *the) {
    xsmcSetNumber(xsResult, (xsNumberValue)xtml_operator_macs(ctx_of(the), xsmcToInteger(xsArg(0))));
}

void xs_xtml_model_description(xsMachine *the) {
    string_out(the, xtml_model_description(ctx_of(the)));
}

void xs_xtml_ctx_detail(xsMachine *the) {
    string_out(the, xtml_ctx_detail(ctx_of(the)));
}

/* ---- The frame path ---- */

/* A failure of the binding's own checks, in the diag's words. */
static xtml_status_t bind_fail(xtml_diag_t *diag, const char *detail) {
    size_t n = strlen(detail);
    n = n < XTML_DETAIL_MAX - 1 ? n : XTML_DETAIL_MAX - 1;
    memcpy(diag->detail, detail, n);
    diag->detail[n] = 0;
    diag->needed = 0;
    diag->status = XTML_STATUS_BAD_ARGUMENT;
    return XTML_STATUS_BAD_ARGUMENT;
}

static int aligned4(const void *p) {
    return ((uintptr_t)p & 3) == 0;
}

/* Elements of an Int32Array argument into p[count]. Uses xsVar(0). */
static void int32s_of(xsMachine *the, xsIntegerValue arg, int32_t *p, int count) {
    int i;
    for (i = 0; i < count; i++) {
        xsmcGetIndex(xsVar(0), xsArg(arg), i);
        p[i] = xsmcToInteger(xsVar(0));
    }
}

/* frameTable(dtype, scale, zeroPoint, real, table, diag) -> status: real is
 * 256 float32 as bytes; table receives 256 elements of dtype. */
void xs_xtml_frame_table(xsMachine *the) {
    xtml_diag_t diag;
    xtml_status_t status;
    xtml_dtype_t dtype = (xtml_dtype_t)xsmcToInteger(xsArg(0));
    float scale = (float)xsmcToNumber(xsArg(1));
    int32_t zero_point = xsmcToInteger(xsArg(2));
    float real[256];
    void *data, *table;
    xsUnsignedValue count, table_count;
    xsmcVars(1);
    /* No XS call between taking a buffer's pointer and the last use of it. */
    xsmcGetBufferReadable(xsArg(3), &data, &count);
    if (count != sizeof real) {
        status = bind_fail(&diag, "real must be 256 float32");
    } else {
        memcpy(real, data, sizeof real);
        xsmcGetBufferWritable(xsArg(4), &table, &table_count);
        status = xtml_frame_table(dtype, scale, zero_point, real, table, table_count, &diag);
    }
    if (status != XTML_STATUS_OK) {
        diag_out(the, 5, &diag);
    }
    status_out(the, status);
}

/* frameToInput(params, frame, table, input, region, diag) -> status: params
 * (Int32Array) width, height, format, fit, input width, height, channels,
 * dtype; region (Int32Array) receives x, y, w, h. */
void xs_xtml_frame_to_input(xsMachine *the) {
    int32_t p[8];
    xtml_frame_t frame;
    xtml_frame_target_t target;
    xtml_rect_t region;
    xtml_diag_t diag;
    xtml_status_t status;
    void *data, *table, *input;
    xsUnsignedValue count, table_count, input_count;
    size_t element;
    xsmcVars(1);
    int32s_of(the, 0, p, 8);
    xsmcGetBufferReadable(xsArg(1), &data, &count);
    xsmcGetBufferReadable(xsArg(2), &table, &table_count);
    xsmcGetBufferWritable(xsArg(3), &input, &input_count);
    element = xtml_dtype_size((xtml_dtype_t)p[7]);
    if (element != 0 && table_count != 256 * element) {
        /* The core reads 256 table elements of the input's type. */
        status = bind_fail(&diag, "the table is not 256 elements of the input's type");
    } else {
        frame.data = data;
        frame.bytes = count;
        frame.width = p[0];
        frame.height = p[1];
        frame.format = (xtml_pixel_format_t)p[2];
        target.width = p[4];
        target.height = p[5];
        target.channels = p[6];
        target.dtype = (xtml_dtype_t)p[7];
        target.table = table;
        status = xtml_frame_to_input(&frame, (xtml_fit_t)p[3], &target, input, input_count, &region, &diag);
    }
    if (status == XTML_STATUS_OK) {
        xsmcSetInteger(xsVar(0), region.x);
        xsmcSetIndex(xsArg(4), 0, xsVar(0));
        xsmcSetInteger(xsVar(0), region.y);
        xsmcSetIndex(xsArg(4), 1, xsVar(0));
        xsmcSetInteger(xsVar(0), region.w);
        xsmcSetIndex(xsArg(4), 2, xsVar(0));
        xsmcSetInteger(xsVar(0), region.h);
        xsmcSetIndex(xsArg(4), 3, xsVar(0));
    } else {
        diag_out(the, 5, &diag);
    }
    status_out(the, status);
}

/* gridDecode(params, thresholds, scores, work, objects, count, diag) ->
 * status: params (Int32Array) rows, cols, classes, background, connectivity,
 * dtype, zero point; thresholds, scores, work and objects as bytes; count
 * (Int32Array) receives the number of objects found. */
void xs_xtml_grid_decode(xsMachine *the) {
    int32_t p[7];
    xtml_grid_t grid;
    xtml_grid_result_t result;
    xtml_diag_t diag;
    xtml_status_t status;
    void *thresholds, *scores, *work, *objects;
    xsUnsignedValue thresholds_count, scores_count, work_count, objects_count;
    xsmcVars(1);
    int32s_of(the, 0, p, 7);
    xsmcGetBufferReadable(xsArg(1), &thresholds, &thresholds_count);
    xsmcGetBufferReadable(xsArg(2), &scores, &scores_count);
    xsmcGetBufferWritable(xsArg(3), &work, &work_count);
    xsmcGetBufferWritable(xsArg(4), &objects, &objects_count);
    /* The core reads one threshold per class and writes words into work and objects. */
    if (thresholds_count != 4 * (xsUnsignedValue)(p[2] > 0 ? p[2] : 0) || !aligned4(thresholds) || !aligned4(work) ||
        !aligned4(objects)) {
        status = bind_fail(&diag, "thresholds must be one 32-bit value per class; "
                                  "thresholds, work and objects 4-byte aligned");
    } else {
        grid.rows = p[0];
        grid.cols = p[1];
        grid.classes = p[2];
        grid.background = p[3];
        grid.connectivity = p[4];
        grid.dtype = (xtml_dtype_t)p[5];
        grid.zero_point = p[6];
        grid.min_level = thresholds;
        grid.min_score = thresholds;
        result.objects = objects;
        result.max_objects = (int32_t)(objects_count / sizeof(xtml_grid_object_t));
        status = xtml_grid_decode(&grid, scores, scores_count, work, work_count / 4, &result, &diag);
    }
    if (status == XTML_STATUS_OK) {
        xsmcSetInteger(xsVar(0), result.count);
        xsmcSetIndex(xsArg(5), 0, xsVar(0));
    } else {
        diag_out(the, 6, &diag);
    }
    status_out(the, status);
}

/* ---- Names and sizes ---- */

void xs_xtml_status_name(xsMachine *the) {
    string_out(the, xtml_status_name((xtml_status_t)xsmcToInteger(xsArg(0))));
}

void xs_xtml_builtin_name(xsMachine *the) {
    string_out(the, xtml_builtin_name(xsmcToInteger(xsArg(0))));
}

void xs_xtml_dtype_name(xsMachine *the) {
    string_out(the, xtml_dtype_name((xtml_dtype_t)xsmcToInteger(xsArg(0))));
}

void xs_xtml_dtype_size(xsMachine *the) {
    xsmcSetInteger(xsResult, (xsIntegerValue)xtml_dtype_size((xtml_dtype_t)xsmcToInteger(xsArg(0))));
}

/* XTML_PORT_TICKS_PER_SECOND of this build (0 when the clock rate is board-dependent). */
void xs_xtml_ticks_per_second(xsMachine *the) {
    xsmcSetNumber(xsResult, (xsNumberValue)XTML_PORT_TICKS_PER_SECOND);
}
