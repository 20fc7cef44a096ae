/*
 * xtml_napi.c - the Node addon: the C API of xtml.h as N-API functions, one
 * for one and named after them. host-sim/node/node-binding.ts wraps it into a
 * CoreBinding. Mechanical by design (STYLE.md 10): arguments are converted,
 * the C API is called, a non-OK status is thrown as the XtmlError class that
 * the binding registers with setErrorClass(). Argument checks that name a
 * parameter happen in TypeScript; here a value of the wrong kind is only
 * refused, never interpreted.
 *
 * A context is a JS external holding an xtml_napi_session_t: the addon's own
 * 16-byte aligned copy of the model (the caller's buffer may move or be
 * changed while the context lives) and the malloc'd arena. xtml_bind_release()
 * frees both; so does the external's finalizer if the JS value is collected
 * first. The core itself never allocates.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "xtml.h"
#include "xtml_bind.h"
#include "xtml_port.h"

typedef struct xtml_napi_session {
    void *model_base; /* malloc'd; the model copy starts at xtml_bind_align(model_base) */
    void *arena_base; /* malloc'd; the arena starts at xtml_bind_align(arena_base) */
    int64_t external_bytes; /* reported to V8 with napi_adjust_external_memory */
    xtml_ctx_t *ctx;  /* NULL once released */
    xtml_bind_profile_t profile; /* ticks malloc'd when profiling is first turned on */
    bool profiling;
} xtml_napi_session_t;

/* Per-environment state (main thread and each worker): the error class. */
typedef struct xtml_napi_instance {
    napi_ref error_class;
} xtml_napi_instance_t;

/* Tags contexts so that no other external is ever taken for one. */
static const napi_type_tag session_tag = {0x78746d6c6e617069ull, 0x73657373696f6e31ull};

/* ---- errors ---- */

/* Leave the pending exception of a failed N-API call (there is always one,
 * or we raise a generic one) and return NULL from the host function. */
#define CHECK(env, call)                                                        \
    do {                                                                        \
        if ((call) != napi_ok) {                                                \
            return throw_pending(env, #call);                                   \
        }                                                                       \
    } while (0)

static napi_value throw_pending(napi_env env, const char *call) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) {
        napi_throw_error(env, NULL, call);
    }
    return NULL;
}

/* Throw XtmlError(statusName, detail[, needed]) for a non-OK status. */
static napi_value throw_status(napi_env env, xtml_status_t status, const char *detail, size_t needed) {
    xtml_napi_instance_t *instance = NULL;
    napi_value ctor = NULL, error = NULL, argv[3];
    size_t argc = 2;
    CHECK(env, napi_create_string_utf8(env, xtml_status_name(status), NAPI_AUTO_LENGTH, &argv[0]));
    CHECK(env, napi_create_string_utf8(env, detail != NULL ? detail : "", NAPI_AUTO_LENGTH, &argv[1]));
    if (status == XTML_STATUS_ARENA_TOO_SMALL) {
        CHECK(env, napi_create_double(env, (double)needed, &argv[2]));
        argc = 3;
    }
    if (napi_get_instance_data(env, (void **)&instance) != napi_ok || instance == NULL ||
        napi_get_reference_value(env, instance->error_class, &ctor) != napi_ok || ctor == NULL) {
        napi_throw_error(env, xtml_status_name(status), "xs-tinyml: setErrorClass() was not called");
        return NULL;
    }
    CHECK(env, napi_new_instance(env, ctor, argc, argv, &error));
    napi_throw(env, error);
    return NULL;
}

static napi_value throw_diag(napi_env env, const xtml_diag_t *diag) {
    return throw_status(env, diag->status, diag->detail, diag->needed);
}

/* ---- argument conversion ---- */

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
    size_t argc = want;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
        return false;
    }
    if (argc < want) {
        napi_throw_type_error(env, NULL, "xs-tinyml addon: too few arguments");
        return false;
    }
    return true;
}

/* The bytes of a Uint8Array. */
static bool get_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
    bool is_typedarray = false;
    napi_typedarray_type type;
    void *p = NULL;
    if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray ||
        napi_get_typedarray_info(env, value, &type, length, &p, NULL, NULL) != napi_ok ||
        type != napi_uint8_array) {
        napi_throw_type_error(env, NULL, "xs-tinyml addon: expected a Uint8Array");
        return false;
    }
    *data = p;
    return true;
}

/* xtml_options_t from an Int32Array of kept tensor indices (the array's
 * memory is read during the call only). */
static bool get_options(napi_env env, napi_value value, xtml_options_t *options) {
    bool is_typedarray = false;
    napi_typedarray_type type;
    size_t length = 0;
    void *p = NULL;
    if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray ||
        napi_get_typedarray_info(env, value, &type, &length, &p, NULL, NULL) != napi_ok ||
        type != napi_int32_array || length > INT32_MAX) {
        napi_throw_type_error(env, NULL, "xs-tinyml addon: expected an Int32Array of tensor indices");
        return false;
    }
    /* ops stays NULL: the addon runs every operator. */
    memset(options, 0, sizeof *options);
    options->keep_tensors = p;
    options->keep_count = (int32_t)length;
    return true;
}

static bool get_int32(napi_env env, napi_value value, int32_t *out) {
    if (napi_get_value_int32(env, value, out) != napi_ok) {
        napi_throw_type_error(env, NULL, "xs-tinyml addon: expected a number");
        return false;
    }
    return true;
}

/* A byte count: a non-negative integer that fits size_t. */
static bool get_size(napi_env env, napi_value value, size_t *out) {
    double d;
    /* (double)SIZE_MAX may round up to 2^64: reject it before converting. */
    if (napi_get_value_double(env, value, &d) != napi_ok || !(d >= 0) || d >= (double)SIZE_MAX ||
        d != (double)(size_t)d) {
        napi_throw_range_error(env, NULL, "xs-tinyml addon: expected a byte count");
        return false;
    }
    *out = (size_t)d;
    return true;
}

static xtml_napi_session_t *get_session(napi_env env, napi_value value) {
    bool tagged = false;
    void *session = NULL;
    if (napi_check_object_type_tag(env, value, &session_tag, &tagged) != napi_ok || !tagged ||
        napi_get_value_external(env, value, &session) != napi_ok) {
        napi_throw_type_error(env, NULL, "xs-tinyml addon: expected a context from xtml_init");
        return NULL;
    }
    return session;
}

/* A session whose context is live; throws for one already released. */
static xtml_napi_session_t *get_live_session(napi_env env, napi_value value) {
    xtml_napi_session_t *session = get_session(env, value);
    if (session != NULL && session->ctx == NULL) {
        throw_status(env, XTML_STATUS_BAD_ARGUMENT, "the context was released", 0);
        return NULL;
    }
    return session;
}

static xtml_ctx_t *get_ctx(napi_env env, napi_value value) {
    xtml_napi_session_t *session = get_live_session(env, value);
    return session != NULL ? session->ctx : NULL;
}

/* ---- memory ---- */

/* A copy of the model at a 16-byte aligned address (xtml.h's requirement for
 * constant data); *base is what to free. NULL, with RangeError, when out of memory. */
static uint8_t *copy_model(napi_env env, const uint8_t *model, size_t bytes, void **base) {
    uint8_t *copy;
    *base = malloc(bytes + XTML_ARENA_ALIGN);
    if (*base == NULL) {
        napi_throw_range_error(env, NULL, "xs-tinyml addon: cannot allocate a copy of the model");
        return NULL;
    }
    copy = xtml_bind_align(*base);
    if (bytes > 0) {
        memcpy(copy, model, bytes);
    }
    return copy;
}

static void session_free(napi_env env, xtml_napi_session_t *session) {
    free(session->model_base);
    free(session->arena_base);
    free(session->profile.ticks);
    session->model_base = NULL;
    session->arena_base = NULL;
    session->profile.ticks = NULL;
    session->ctx = NULL;
    if (session->external_bytes != 0) {
        int64_t total;
        napi_adjust_external_memory(env, -session->external_bytes, &total);
        session->external_bytes = 0;
    }
}

/* Runs when the context's external is collected, released or not. */
static void session_finalize(napi_env env, void *data, void *hint) {
    (void)hint;
    session_free(env, data);
    free(data);
}

/* ---- the C API ---- */

/* xtml_model_verify(model: Uint8Array): void */
static napi_value napi_xtml_model_verify(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    uint8_t *bytes, *model;
    size_t length;
    void *base;
    xtml_diag_t diag;
    xtml_status_t status;
    if (!get_args(env, info, 1, argv) || !get_bytes(env, argv[0], &bytes, &length) ||
        (model = copy_model(env, bytes, length, &base)) == NULL) {
        return NULL;
    }
    status = xtml_model_verify(model, length, &diag);
    free(base);
    return status != XTML_STATUS_OK ? throw_diag(env, &diag) : NULL;
}

/* xtml_arena_size(model: Uint8Array): number */
static napi_value napi_xtml_arena_size(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    uint8_t *bytes, *model;
    size_t length, arena_bytes = 0;
    void *base;
    xtml_diag_t diag;
    xtml_status_t status;
    if (!get_args(env, info, 1, argv) || !get_bytes(env, argv[0], &bytes, &length) ||
        (model = copy_model(env, bytes, length, &base)) == NULL) {
        return NULL;
    }
    status = xtml_arena_size(model, length, &arena_bytes, &diag);
    free(base);
    if (status != XTML_STATUS_OK) {
        return throw_diag(env, &diag);
    }
    CHECK(env, napi_create_double(env, (double)arena_bytes, &result));
    return result;
}

/* xtml_arena_size_with(model: Uint8Array, keepTensors: Int32Array): number */
static napi_value napi_xtml_arena_size_with(napi_env env, napi_callback_info info) {
    napi_value argv[2], result;
    uint8_t *bytes, *model;
    size_t length, arena_bytes = 0;
    void *base;
    xtml_options_t options;
    xtml_diag_t diag;
    xtml_status_t status;
    if (!get_args(env, info, 2, argv) || !get_bytes(env, argv[0], &bytes, &length) ||
        !get_options(env, argv[1], &options) || (model = copy_model(env, bytes, length, &base)) == NULL) {
        return NULL;
    }
    status = xtml_arena_size_with(model, length, &options, &arena_bytes, &diag);
    free(base);
    if (status != XTML_STATUS_OK) {
        return throw_diag(env, &diag);
    }
    CHECK(env, napi_create_double(env, (double)arena_bytes, &result));
    return result;
}

/* xtml_init(model: Uint8Array, arenaBytes: number[, keepTensors: Int32Array]): context;
 * with keepTensors it is xtml_init_with. */
static napi_value napi_xtml_init(napi_env env, napi_callback_info info) {
    napi_value argv[3], result;
    uint8_t *bytes, *model;
    size_t length, arena_bytes, argc = 3;
    xtml_napi_session_t *session;
    xtml_options_t options;
    xtml_diag_t diag;
    xtml_status_t status;
    int64_t total;
    memset(&options, 0, sizeof options);
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
        return throw_pending(env, "napi_get_cb_info");
    }
    if (argc < 2) {
        napi_throw_type_error(env, NULL, "xs-tinyml addon: too few arguments");
        return NULL;
    }
    if (!get_bytes(env, argv[0], &bytes, &length) || !get_size(env, argv[1], &arena_bytes) ||
        (argc > 2 && !get_options(env, argv[2], &options))) {
        return NULL;
    }
    session = calloc(1, sizeof *session);
    if (session == NULL) {
        napi_throw_range_error(env, NULL, "xs-tinyml addon: out of memory");
        return NULL;
    }
    model = copy_model(env, bytes, length, &session->model_base);
    if (model == NULL) {
        free(session);
        return NULL;
    }
    session->arena_base = arena_bytes <= SIZE_MAX - XTML_ARENA_ALIGN ? malloc(arena_bytes + XTML_ARENA_ALIGN) : NULL;
    if (session->arena_base == NULL) {
        session_finalize(env, session, NULL);
        napi_throw_range_error(env, NULL, "xs-tinyml addon: cannot allocate the arena");
        return NULL;
    }
    status = argc > 2 ? xtml_init_with(model, length, &options, xtml_bind_align(session->arena_base), arena_bytes,
                                       &session->ctx, &diag)
                      : xtml_init(model, length, xtml_bind_align(session->arena_base), arena_bytes, &session->ctx, &diag);
    if (status != XTML_STATUS_OK) {
        session_finalize(env, session, NULL);
        return throw_diag(env, &diag);
    }
    if (napi_create_external(env, session, session_finalize, NULL, &result) != napi_ok) {
        session_finalize(env, session, NULL);
        return throw_pending(env, "napi_create_external");
    }
    CHECK(env, napi_type_tag_object(env, result, &session_tag));
    /* The copy and the arena live outside V8's heap; telling V8 about them
     * lets unreleased contexts be collected before memory runs short. */
    session->external_bytes = (int64_t)(length + arena_bytes + 2 * XTML_ARENA_ALIGN);
    napi_adjust_external_memory(env, session->external_bytes, &total);
    return result;
}

/* xtml_bind_release(ctx): frees the arena and the model copy now. */
static napi_value napi_xtml_bind_release(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    xtml_napi_session_t *session;
    if (!get_args(env, info, 1, argv) || (session = get_session(env, argv[0])) == NULL) {
        return NULL;
    }
    session_free(env, session);
    return NULL;
}

static napi_value napi_xtml_arena_used(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    xtml_ctx_t *ctx;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    CHECK(env, napi_create_double(env, (double)xtml_arena_used(ctx), &result));
    return result;
}

static napi_value napi_xtml_input_count(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    xtml_ctx_t *ctx;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    CHECK(env, napi_create_int32(env, xtml_input_count(ctx), &result));
    return result;
}

static napi_value napi_xtml_output_count(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    xtml_ctx_t *ctx;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    CHECK(env, napi_create_int32(env, xtml_output_count(ctx), &result));
    return result;
}

/* { name, dtype, dims, bytes, scale, zeroPoint }: RawTensorInfo of binding.ts */
static napi_value tensor_info(napi_env env, napi_callback_info info,
                              xtml_status_t (*get)(const xtml_ctx_t *, int32_t, xtml_tensor_info_t *)) {
    napi_value argv[2], result, name, dtype, dims, bytes, scale, zero_point, dim;
    xtml_ctx_t *ctx;
    int32_t index, i;
    xtml_tensor_info_t t;
    xtml_status_t status;
    if (!get_args(env, info, 2, argv) || (ctx = get_ctx(env, argv[0])) == NULL || !get_int32(env, argv[1], &index)) {
        return NULL;
    }
    status = get(ctx, index, &t);
    if (status != XTML_STATUS_OK) {
        return throw_status(env, status, xtml_ctx_detail(ctx), 0);
    }
    CHECK(env, napi_create_string_utf8(env, t.name, NAPI_AUTO_LENGTH, &name));
    CHECK(env, napi_create_int32(env, (int32_t)t.dtype, &dtype));
    CHECK(env, napi_create_array_with_length(env, (size_t)t.ndim, &dims));
    for (i = 0; i < t.ndim; i++) {
        CHECK(env, napi_create_int32(env, t.dims[i], &dim));
        CHECK(env, napi_set_element(env, dims, (uint32_t)i, dim));
    }
    CHECK(env, napi_create_double(env, (double)t.bytes, &bytes));
    CHECK(env, napi_create_double(env, (double)t.scale, &scale));
    CHECK(env, napi_create_int32(env, t.zero_point, &zero_point));
    CHECK(env, napi_create_object(env, &result));
    CHECK(env, napi_set_named_property(env, result, "name", name));
    CHECK(env, napi_set_named_property(env, result, "dtype", dtype));
    CHECK(env, napi_set_named_property(env, result, "dims", dims));
    CHECK(env, napi_set_named_property(env, result, "bytes", bytes));
    CHECK(env, napi_set_named_property(env, result, "scale", scale));
    CHECK(env, napi_set_named_property(env, result, "zeroPoint", zero_point));
    return result;
}

static napi_value napi_xtml_input_info(napi_env env, napi_callback_info info) {
    return tensor_info(env, info, xtml_input_info);
}

static napi_value napi_xtml_output_info(napi_env env, napi_callback_info info) {
    return tensor_info(env, info, xtml_output_info);
}

/* The byte count of input or output `index`, or throws BAD_ARGUMENT. */
static bool io_bytes(napi_env env, xtml_ctx_t *ctx, int32_t index, bool input, size_t given, size_t *bytes) {
    xtml_tensor_info_t t;
    xtml_status_t status = input ? xtml_input_info(ctx, index, &t) : xtml_output_info(ctx, index, &t);
    if (status != XTML_STATUS_OK) {
        throw_status(env, status, xtml_ctx_detail(ctx), 0);
        return false;
    }
    /* The caller checks sizes and names the parameter; this only keeps a
     * wrong length from writing or reading outside the tensor. */
    if (given != t.bytes) {
        throw_status(env, XTML_STATUS_BAD_ARGUMENT, input ? "wrong input byte count" : "wrong output byte count", 0);
        return false;
    }
    *bytes = t.bytes;
    return true;
}

/* xtml_input_data(ctx, index, bytes: Uint8Array): copies bytes into the input. */
static napi_value napi_xtml_input_data(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    xtml_ctx_t *ctx;
    int32_t index;
    uint8_t *data;
    size_t length, bytes;
    if (!get_args(env, info, 3, argv) || (ctx = get_ctx(env, argv[0])) == NULL || !get_int32(env, argv[1], &index) ||
        !get_bytes(env, argv[2], &data, &length) || !io_bytes(env, ctx, index, true, length, &bytes)) {
        return NULL;
    }
    if (bytes > 0) {
        memcpy(xtml_input_data(ctx, index), data, bytes);
    }
    return NULL;
}

/* xtml_output_data(ctx, index, into: Uint8Array): copies the output into `into`. */
static napi_value napi_xtml_output_data(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    xtml_ctx_t *ctx;
    int32_t index;
    uint8_t *data;
    size_t length, bytes;
    if (!get_args(env, info, 3, argv) || (ctx = get_ctx(env, argv[0])) == NULL || !get_int32(env, argv[1], &index) ||
        !get_bytes(env, argv[2], &data, &length) || !io_bytes(env, ctx, index, false, length, &bytes)) {
        return NULL;
    }
    if (bytes > 0) {
        memcpy(data, xtml_output_data(ctx, index), bytes);
    }
    return NULL;
}

static napi_value napi_xtml_tensor_count(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    xtml_ctx_t *ctx;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    CHECK(env, napi_create_int32(env, xtml_tensor_count(ctx), &result));
    return result;
}

static napi_value napi_xtml_tensor_info(napi_env env, napi_callback_info info) {
    return tensor_info(env, info, xtml_tensor_info);
}

/* xtml_tensor_data(ctx, index, into: Uint8Array): copies the tensor into `into`. */
static napi_value napi_xtml_tensor_data(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    xtml_ctx_t *ctx;
    int32_t index;
    uint8_t *into;
    size_t length;
    const void *data = NULL;
    xtml_tensor_info_t t;
    xtml_status_t status;
    if (!get_args(env, info, 3, argv) || (ctx = get_ctx(env, argv[0])) == NULL || !get_int32(env, argv[1], &index) ||
        !get_bytes(env, argv[2], &into, &length)) {
        return NULL;
    }
    status = xtml_tensor_data(ctx, index, &data);
    if (status == XTML_STATUS_OK) {
        status = xtml_tensor_info(ctx, index, &t);
    }
    if (status != XTML_STATUS_OK) {
        return throw_status(env, status, xtml_ctx_detail(ctx), 0);
    }
    /* Only keeps a wrong length from reading outside the tensor; the caller names the parameter. */
    if (length != t.bytes) {
        return throw_status(env, XTML_STATUS_BAD_ARGUMENT, "wrong tensor byte count", 0);
    }
    if (length > 0) {
        memcpy(into, data, length);
    }
    return NULL;
}

static napi_value napi_xtml_invoke(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    xtml_ctx_t *ctx;
    xtml_status_t status;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    status = xtml_invoke(ctx);
    return status != XTML_STATUS_OK ? throw_status(env, status, xtml_ctx_detail(ctx), 0) : NULL;
}

static napi_value napi_xtml_reset_state(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    xtml_ctx_t *ctx;
    xtml_status_t status;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    status = xtml_reset_state(ctx);
    return status != XTML_STATUS_OK ? throw_status(env, status, xtml_ctx_detail(ctx), 0) : NULL;
}

/* xtml_set_profiler(ctx, on: boolean): record ticks with xtml_bind_record_ticks. */
static napi_value napi_xtml_set_profiler(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    xtml_napi_session_t *session;
    bool on;
    if (!get_args(env, info, 2, argv) || (session = get_live_session(env, argv[0])) == NULL) {
        return NULL;
    }
    CHECK(env, napi_get_value_bool(env, argv[1], &on));
    if (on && session->profile.ticks == NULL) {
        int32_t count = xtml_operator_count(session->ctx);
        session->profile.ticks = calloc((size_t)count + 1, sizeof *session->profile.ticks);
        if (session->profile.ticks == NULL) {
            napi_throw_range_error(env, NULL, "xs-tinyml addon: out of memory");
            return NULL;
        }
        session->profile.count = count;
    }
    session->profiling = on;
    xtml_set_profiler(session->ctx, on ? xtml_bind_record_ticks : NULL, &session->profile);
    return NULL;
}

/* xtml_bind_profile_ticks(ctx): Uint32Array of each operator's ticks in the
 * last invoke; empty when profiling is off. */
static napi_value napi_xtml_bind_profile_ticks(napi_env env, napi_callback_info info) {
    napi_value argv[1], buffer, result;
    xtml_napi_session_t *session;
    void *data = NULL;
    size_t count;
    if (!get_args(env, info, 1, argv) || (session = get_live_session(env, argv[0])) == NULL) {
        return NULL;
    }
    count = session->profiling ? (size_t)session->profile.count : 0;
    CHECK(env, napi_create_arraybuffer(env, count * sizeof(uint32_t), &data, &buffer));
    if (count > 0) {
        memcpy(data, session->profile.ticks, count * sizeof(uint32_t));
    }
    CHECK(env, napi_create_typedarray(env, napi_uint32_array, count, buffer, 0, &result));
    return result;
}

static napi_value napi_xtml_operator_count(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    xtml_ctx_t *ctx;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    CHECK(env, napi_create_int32(env, xtml_operator_count(ctx), &result));
    return result;
}

/* xtml_operator_name(ctx, index): string, or null for a bad index. */
static napi_value napi_xtml_operator_name(napi_env env, napi_callback_info info) {
    napi_value argv[2], result;
    xtml_ctx_t *ctx;
    int32_t index;
    const char *name;
    if (!get_args(env, info, 2, argv) || (ctx = get_ctx(env, argv[0])) == NULL || !get_int32(env, argv[1], &index)) {
        return NULL;
    }
    name = xtml_operator_name(ctx, index);
    if (name == NULL) {
        CHECK(env, napi_get_null(env, &result));
    } else {
        CHECK(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &result));
    }
    return result;
}

/* xtml_model_description(ctx): string ("" when the model has none). */
static napi_value napi_xtml_model_description(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    xtml_ctx_t *ctx;
    if (!get_args(env, info, 1, argv) || (ctx = get_ctx(env, argv[0])) == NULL) {
        return NULL;
    }
    CHECK(env, napi_create_string_utf8(env, xtml_model_description(ctx), NAPI_AUTO_LENGTH, &result));
    return result;
}

static napi_value napi_xtml_operator_macs(napi_env env, napi_callback_info info) {
    napi_value argv[2], result;
    xtml_ctx_t *ctx;
    int32_t index;
    if (!get_args(env, info, 2, argv) || (ctx = get_ctx(env, argv[0])) == NULL || !get_int32(env, argv[1], &index)) {
        return NULL;
    }
    CHECK(env, napi_create_uint32(env, xtml_operator_macs(ctx, index), &result));
    return result;
}

/* ---- the frame path ---- */

/* The bytes of a typed array of type `want`. */
static bool get_typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *bytes) {
    bool is_typedarray = false;
    napi_typedarray_type type;
    size_t length;
    if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray ||
        napi_get_typedarray_info(env, value, &type, &length, data, NULL, NULL) != napi_ok || type != want) {
        napi_throw_type_error(env, NULL, want == napi_int32_array ? "xs-tinyml addon: expected an Int32Array"
                                                                  : "xs-tinyml addon: expected a Uint8Array");
        return false;
    }
    *bytes = want == napi_int32_array ? 4 * length : length;
    return true;
}

static bool aligned4(const void *p) {
    return ((uintptr_t)p & 3) == 0;
}

/* xtml_frame_table(dtype, scale, zeroPoint, real: Uint8Array (256 float32), table: Uint8Array): void */
static napi_value napi_xtml_frame_table(napi_env env, napi_callback_info info) {
    napi_value argv[5];
    int32_t dtype, zero_point;
    double scale;
    void *real_bytes, *table;
    size_t real_length, table_length;
    float real[256];
    xtml_diag_t diag;
    if (!get_args(env, info, 5, argv) || !get_int32(env, argv[0], &dtype) || !get_int32(env, argv[2], &zero_point) ||
        !get_typed(env, argv[3], napi_uint8_array, &real_bytes, &real_length) ||
        !get_typed(env, argv[4], napi_uint8_array, &table, &table_length)) {
        return NULL;
    }
    CHECK(env, napi_get_value_double(env, argv[1], &scale));
    if (real_length != sizeof real) {
        return throw_status(env, XTML_STATUS_BAD_ARGUMENT, "real must be 256 float32", 0);
    }
    memcpy(real, real_bytes, sizeof real);
    if (xtml_frame_table((xtml_dtype_t)dtype, (float)scale, zero_point, real, table, table_length, &diag) !=
        XTML_STATUS_OK) {
        return throw_diag(env, &diag);
    }
    return NULL;
}

/* xtml_frame_to_input(params: Int32Array, frame, table, input: Uint8Array, region: Int32Array): void
 * params: width, height, format, fit, input width, height, channels, dtype (binding.ts frameParam). */
static napi_value napi_xtml_frame_to_input(napi_env env, napi_callback_info info) {
    napi_value argv[5];
    void *params_data, *data, *table, *input, *region_data;
    size_t params_length, data_length, table_length, input_length, region_length;
    int32_t p[8];
    xtml_frame_t frame;
    xtml_frame_target_t target;
    xtml_rect_t region;
    xtml_diag_t diag;
    if (!get_args(env, info, 5, argv) || !get_typed(env, argv[0], napi_int32_array, &params_data, &params_length) ||
        !get_typed(env, argv[1], napi_uint8_array, &data, &data_length) ||
        !get_typed(env, argv[2], napi_uint8_array, &table, &table_length) ||
        !get_typed(env, argv[3], napi_uint8_array, &input, &input_length) ||
        !get_typed(env, argv[4], napi_int32_array, &region_data, &region_length)) {
        return NULL;
    }
    if (params_length != sizeof p || region_length != sizeof region) {
        return throw_status(env, XTML_STATUS_BAD_ARGUMENT, "params must be 8 and region 4 int32", 0);
    }
    memcpy(p, params_data, sizeof p);
    /* The core reads 256 table elements of the input's type (and refuses types without a size). */
    if (xtml_dtype_size((xtml_dtype_t)p[7]) != 0 && table_length != 256 * xtml_dtype_size((xtml_dtype_t)p[7])) {
        return throw_status(env, XTML_STATUS_BAD_ARGUMENT, "the table is not 256 elements of the input's type", 0);
    }
    frame.data = data;
    frame.bytes = data_length;
    frame.width = p[0];
    frame.height = p[1];
    frame.format = (xtml_pixel_format_t)p[2];
    target.width = p[4];
    target.height = p[5];
    target.channels = p[6];
    target.dtype = (xtml_dtype_t)p[7];
    target.table = table;
    if (xtml_frame_to_input(&frame, (xtml_fit_t)p[3], &target, input, input_length, &region, &diag) != XTML_STATUS_OK) {
        return throw_diag(env, &diag);
    }
    memcpy(region_data, &region, sizeof region);
    return NULL;
}

/* xtml_grid_decode(params: Int32Array, thresholds, scores, work, objects: Uint8Array): number of objects
 * params: rows, cols, classes, background, connectivity, dtype, zero point (binding.ts gridParam). */
static napi_value napi_xtml_grid_decode(napi_env env, napi_callback_info info) {
    napi_value argv[5], count;
    void *params_data, *thresholds, *scores, *work, *objects;
    size_t params_length, thresholds_length, scores_length, work_length, objects_length, room;
    int32_t p[7];
    xtml_grid_t grid;
    xtml_grid_result_t result;
    xtml_diag_t diag;
    if (!get_args(env, info, 5, argv) || !get_typed(env, argv[0], napi_int32_array, &params_data, &params_length) ||
        !get_typed(env, argv[1], napi_uint8_array, &thresholds, &thresholds_length) ||
        !get_typed(env, argv[2], napi_uint8_array, &scores, &scores_length) ||
        !get_typed(env, argv[3], napi_uint8_array, &work, &work_length) ||
        !get_typed(env, argv[4], napi_uint8_array, &objects, &objects_length)) {
        return NULL;
    }
    if (params_length != sizeof p) {
        return throw_status(env, XTML_STATUS_BAD_ARGUMENT, "params must be 7 int32", 0);
    }
    memcpy(p, params_data, sizeof p);
    /* The core reads one threshold per class and writes words into work and objects. */
    if (thresholds_length != 4 * (size_t)(p[2] > 0 ? p[2] : 0) || !aligned4(thresholds) || !aligned4(work) ||
        !aligned4(objects)) {
        return throw_status(env, XTML_STATUS_BAD_ARGUMENT,
                            "thresholds must be one 32-bit value per class; "
                            "thresholds, work and objects 4-byte aligned", 0);
    }
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
    room = objects_length / sizeof(xtml_grid_object_t);
    result.max_objects = room < INT32_MAX ? (int32_t)room : INT32_MAX;
    if (xtml_grid_decode(&grid, scores, scores_length, work, work_length / 4, &result, &diag) != XTML_STATUS_OK) {
        return throw_diag(env, &diag);
    }
    CHECK(env, napi_create_int32(env, result.count, &count));
    return count;
}

/* setErrorClass(XtmlError): the class thrown for every non-OK status, called
 * as new XtmlError(code, detail[, needed]). */
static napi_value napi_set_error_class(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    xtml_napi_instance_t *instance = NULL;
    napi_valuetype type;
    if (!get_args(env, info, 1, argv)) {
        return NULL;
    }
    CHECK(env, napi_typeof(env, argv[0], &type));
    if (type != napi_function) {
        napi_throw_type_error(env, NULL, "xs-tinyml addon: setErrorClass expects a class");
        return NULL;
    }
    CHECK(env, napi_get_instance_data(env, (void **)&instance));
    if (instance->error_class != NULL) {
        napi_delete_reference(env, instance->error_class);
    }
    CHECK(env, napi_create_reference(env, argv[0], 1, &instance->error_class));
    return NULL;
}

static void instance_finalize(napi_env env, void *data, void *hint) {
    xtml_napi_instance_t *instance = data;
    (void)hint;
    if (instance->error_class != NULL) {
        napi_delete_reference(env, instance->error_class);
    }
    free(instance);
}

static napi_value init(napi_env env, napi_value exports) {
    static const struct {
        const char *name;
        napi_callback fn;
    } functions[] = {
        {"setErrorClass", napi_set_error_class},
        {"xtml_model_verify", napi_xtml_model_verify},
        {"xtml_arena_size", napi_xtml_arena_size},
        {"xtml_init", napi_xtml_init},
        {"xtml_arena_size_with", napi_xtml_arena_size_with},
        {"xtml_tensor_count", napi_xtml_tensor_count},
        {"xtml_tensor_info", napi_xtml_tensor_info},
        {"xtml_tensor_data", napi_xtml_tensor_data},
        {"xtml_bind_release", napi_xtml_bind_release},
        {"xtml_arena_used", napi_xtml_arena_used},
        {"xtml_input_count", napi_xtml_input_count},
        {"xtml_output_count", napi_xtml_output_count},
        {"xtml_input_info", napi_xtml_input_info},
        {"xtml_output_info", napi_xtml_output_info},
        {"xtml_input_data", napi_xtml_input_data},
        {"xtml_output_data", napi_xtml_output_data},
        {"xtml_invoke", napi_xtml_invoke},
        {"xtml_reset_state", napi_xtml_reset_state},
        {"xtml_set_profiler", napi_xtml_set_profiler},
        {"xtml_bind_profile_ticks", napi_xtml_bind_profile_ticks},
        {"xtml_operator_count", napi_xtml_operator_count},
        {"xtml_operator_name", napi_xtml_operator_name},
        {"xtml_operator_macs", napi_xtml_operator_macs},
        {"xtml_model_description", napi_xtml_model_description},
        {"xtml_frame_table", napi_xtml_frame_table},
        {"xtml_frame_to_input", napi_xtml_frame_to_input},
        {"xtml_grid_decode", napi_xtml_grid_decode},
    };
    xtml_napi_instance_t *instance = calloc(1, sizeof *instance);
    napi_value fn, value;
    size_t i;
    if (instance == NULL) {
        napi_throw_error(env, NULL, "xs-tinyml addon: out of memory");
        return NULL;
    }
    if (napi_set_instance_data(env, instance, instance_finalize, NULL) != napi_ok) {
        free(instance);
        return throw_pending(env, "napi_set_instance_data");
    }
    for (i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        CHECK(env, napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn));
        CHECK(env, napi_set_named_property(env, exports, functions[i].name, fn));
    }
    CHECK(env, napi_create_uint32(env, XTML_PORT_TICKS_PER_SECOND, &value));
    CHECK(env, napi_set_named_property(env, exports, "ticksPerSecond", value));
    return exports;
}

NAPI_MODULE_INIT() {
    return init(env, exports);
}
