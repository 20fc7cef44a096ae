/*
 * xtml_wasm.c - what the WebAssembly build adds to the C API for its loader
 * (src/wasm.ts): memory for the loader's own use and a profiler switch. Every
 * other export is an xtml_* function of xtml.h; build.sh lists them all.
 *
 * The core never allocates. The loader allocates here, with libc, the model
 * copy (16-byte aligned, as xtml.h asks) and each context's arena, and frees
 * both on release.
 *
 * The loader reads and writes xtml_diag_t, xtml_tensor_info_t,
 * xtml_bind_profile_t, xtml_options_t and the frame path's structs in linear
 * memory at fixed offsets; the checks below stop the build if the C layouts
 * drift from the offsets written in src/wasm.ts.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <stddef.h>
#include <stdlib.h>

#include "xtml.h"
#include "xtml_bind.h"

/* C99 has no _Static_assert: a negative array size fails the build instead. */
#define XTML_WASM_LAYOUT(what, offset) typedef char xtml_wasm_layout_##what[(what) == (offset) ? 1 : -1]

#define diag_status offsetof(xtml_diag_t, status)
#define diag_needed offsetof(xtml_diag_t, needed)
#define diag_detail offsetof(xtml_diag_t, detail)
#define diag_size sizeof(xtml_diag_t)
#define info_name offsetof(xtml_tensor_info_t, name)
#define info_dtype offsetof(xtml_tensor_info_t, dtype)
#define info_ndim offsetof(xtml_tensor_info_t, ndim)
#define info_dims offsetof(xtml_tensor_info_t, dims)
#define info_bytes offsetof(xtml_tensor_info_t, bytes)
#define info_scale offsetof(xtml_tensor_info_t, scale)
#define info_zero_point offsetof(xtml_tensor_info_t, zero_point)
#define info_size sizeof(xtml_tensor_info_t)
#define options_keep_tensors offsetof(xtml_options_t, keep_tensors)
#define options_keep_count offsetof(xtml_options_t, keep_count)
#define options_ops offsetof(xtml_options_t, ops)
#define options_op_count offsetof(xtml_options_t, op_count)
#define options_size sizeof(xtml_options_t)
#define profile_count offsetof(xtml_bind_profile_t, count)
#define profile_ticks offsetof(xtml_bind_profile_t, ticks)
#define profile_size sizeof(xtml_bind_profile_t)

XTML_WASM_LAYOUT(diag_status, 0);
XTML_WASM_LAYOUT(diag_needed, 4);
XTML_WASM_LAYOUT(diag_detail, 8);
XTML_WASM_LAYOUT(diag_size, 8 + XTML_DETAIL_MAX);
XTML_WASM_LAYOUT(info_name, 0);
XTML_WASM_LAYOUT(info_dtype, 4);
XTML_WASM_LAYOUT(info_ndim, 8);
XTML_WASM_LAYOUT(info_dims, 12);
XTML_WASM_LAYOUT(info_bytes, 12 + 4 * XTML_MAX_DIMS);
XTML_WASM_LAYOUT(info_scale, 16 + 4 * XTML_MAX_DIMS);
XTML_WASM_LAYOUT(info_zero_point, 20 + 4 * XTML_MAX_DIMS);
XTML_WASM_LAYOUT(info_size, 24 + 4 * XTML_MAX_DIMS);
XTML_WASM_LAYOUT(options_keep_tensors, 0);
XTML_WASM_LAYOUT(options_keep_count, 4);
XTML_WASM_LAYOUT(options_ops, 8);
XTML_WASM_LAYOUT(options_op_count, 12);
XTML_WASM_LAYOUT(options_size, 16);
XTML_WASM_LAYOUT(profile_count, 0);
XTML_WASM_LAYOUT(profile_ticks, 4);
XTML_WASM_LAYOUT(profile_size, 8);

#define frame_data offsetof(xtml_frame_t, data)
#define frame_bytes offsetof(xtml_frame_t, bytes)
#define frame_width offsetof(xtml_frame_t, width)
#define frame_height offsetof(xtml_frame_t, height)
#define frame_format offsetof(xtml_frame_t, format)
#define frame_size sizeof(xtml_frame_t)
#define target_width offsetof(xtml_frame_target_t, width)
#define target_height offsetof(xtml_frame_target_t, height)
#define target_channels offsetof(xtml_frame_target_t, channels)
#define target_dtype offsetof(xtml_frame_target_t, dtype)
#define target_table offsetof(xtml_frame_target_t, table)
#define target_size sizeof(xtml_frame_target_t)
#define rect_x offsetof(xtml_rect_t, x)
#define rect_h offsetof(xtml_rect_t, h)
#define rect_size sizeof(xtml_rect_t)
#define grid_rows offsetof(xtml_grid_t, rows)
#define grid_cols offsetof(xtml_grid_t, cols)
#define grid_classes offsetof(xtml_grid_t, classes)
#define grid_background offsetof(xtml_grid_t, background)
#define grid_connectivity offsetof(xtml_grid_t, connectivity)
#define grid_dtype offsetof(xtml_grid_t, dtype)
#define grid_zero_point offsetof(xtml_grid_t, zero_point)
#define grid_min_level offsetof(xtml_grid_t, min_level)
#define grid_min_score offsetof(xtml_grid_t, min_score)
#define grid_size sizeof(xtml_grid_t)
#define object_size sizeof(xtml_grid_object_t)
#define result_objects offsetof(xtml_grid_result_t, objects)
#define result_max_objects offsetof(xtml_grid_result_t, max_objects)
#define result_count offsetof(xtml_grid_result_t, count)
#define result_order offsetof(xtml_grid_result_t, order)
#define result_size sizeof(xtml_grid_result_t)

XTML_WASM_LAYOUT(frame_data, 0);
XTML_WASM_LAYOUT(frame_bytes, 4);
XTML_WASM_LAYOUT(frame_width, 8);
XTML_WASM_LAYOUT(frame_height, 12);
XTML_WASM_LAYOUT(frame_format, 16);
XTML_WASM_LAYOUT(frame_size, 20);
XTML_WASM_LAYOUT(target_width, 0);
XTML_WASM_LAYOUT(target_height, 4);
XTML_WASM_LAYOUT(target_channels, 8);
XTML_WASM_LAYOUT(target_dtype, 12);
XTML_WASM_LAYOUT(target_table, 16);
XTML_WASM_LAYOUT(target_size, 20);
XTML_WASM_LAYOUT(rect_x, 0);
XTML_WASM_LAYOUT(rect_h, 12);
XTML_WASM_LAYOUT(rect_size, 16);
XTML_WASM_LAYOUT(grid_rows, 0);
XTML_WASM_LAYOUT(grid_cols, 4);
XTML_WASM_LAYOUT(grid_classes, 8);
XTML_WASM_LAYOUT(grid_background, 12);
XTML_WASM_LAYOUT(grid_connectivity, 16);
XTML_WASM_LAYOUT(grid_dtype, 20);
XTML_WASM_LAYOUT(grid_zero_point, 24);
XTML_WASM_LAYOUT(grid_min_level, 28);
XTML_WASM_LAYOUT(grid_min_score, 32);
XTML_WASM_LAYOUT(grid_size, 36);
XTML_WASM_LAYOUT(object_size, 44);
XTML_WASM_LAYOUT(result_objects, 0);
XTML_WASM_LAYOUT(result_max_objects, 4);
XTML_WASM_LAYOUT(result_count, 8);
XTML_WASM_LAYOUT(result_order, 12);
XTML_WASM_LAYOUT(result_size, 16);

/* `bytes` of memory aligned to XTML_ARENA_ALIGN, or NULL when memory cannot
 * grow. Free with xtml_wasm_free. */
void *xtml_wasm_alloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, XTML_ARENA_ALIGN, bytes > 0 ? bytes : 1) != 0) {
        return NULL;
    }
    return p;
}

void xtml_wasm_free(void *p) {
    free(p);
}

/* xtml_set_profiler with the shared tick recorder; profile NULL turns it off.
 * (A C function pointer cannot cross into JavaScript, hence this wrapper.) */
void xtml_wasm_set_profiler(xtml_ctx_t *ctx, xtml_bind_profile_t *profile) {
    xtml_set_profiler(ctx, profile != NULL ? xtml_bind_record_ticks : NULL, profile);
}
