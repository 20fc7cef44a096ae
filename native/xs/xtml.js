/*
 * xtml: the xs-tinyml inference core (native/include/xtml.h) as an XS host
 * module. Each function is one C call, implemented in xtml_xs.c under the
 * C name with an xs_ prefix. Declared with the @ "name" syntax, which XS 13.3
 * and the current Moddable SDK both compile.
 *
 * Calls that can fail return the core's status (0 is XTML_STATUS_OK) and
 * never throw for it; C out-parameters are written into the arrays passed:
 *   diag: [detail, needed]                 (xtml_diag_t)
 *   info: [name, dtype, dims, bytes, scale, zeroPoint]  (xtml_tensor_info_t)
 * xs-binding.ts wraps this module as a CoreBinding and throws XtmlError.
 *
 * `model` is an ArrayBuffer, a byte view of one (Uint8Array, Int8Array,
 * DataView), or a host buffer such as a Moddable Resource. A host buffer does
 * not move, so it is used in place and must outlive the Context; other bytes
 * are copied into 16-byte-aligned memory outside the XS heap.
 */

/** xtml_model_verify. */
export function modelVerify(model, diag) @ "xs_xtml_model_verify";

/** xtml_arena_size: size[0] receives the arena bytes. */
export function arenaSize(model, size, diag) @ "xs_xtml_arena_size";

/** xtml_arena_size_with, keepTensors the bytes of an Int32Array (a Uint8Array): size[0] receives the arena bytes. */
export function arenaSizeWith(model, keepTensors, size, diag) @ "xs_xtml_arena_size_with";

/** length zeroed bytes outside the XS heap, a host buffer (view it with new Uint8Array(it)); freed with the object. */
export class HostBytes @ "xs_xtml_host_bytes_destructor" {
	constructor(length) @ "xs_xtml_host_bytes";
}

/** One xtml_ctx_t with the arena (and model copy) it owns. */
export class Context @ "xs_xtml_context_destructor" {
	constructor() @ "xs_xtml_context";
	/** xtml_init into a new arena of arenaBytes bytes; xtml_init_with when
	 * keepTensors (the bytes of an Int32Array, a Uint8Array) is given. */
	init(model, arenaBytes, diag, keepTensors) @ "xs_xtml_init";
	arenaUsed() @ "xs_xtml_arena_used";
	inputCount() @ "xs_xtml_input_count";
	outputCount() @ "xs_xtml_output_count";
	inputInfo(index, info) @ "xs_xtml_input_info";
	outputInfo(index, info) @ "xs_xtml_output_info";
	/** Copy bytes (exactly the input's size) into xtml_input_data(index). */
	setInput(index, bytes) @ "xs_xtml_input_data";
	/** Copy xtml_output_data(index) into bytes (exactly the output's size). */
	getOutput(index, bytes) @ "xs_xtml_output_data";
	invoke() @ "xs_xtml_invoke";
	/** xtml_reset_state: the model's variable tensors back to zero. */
	resetState() @ "xs_xtml_reset_state";
	tensorCount() @ "xs_xtml_tensor_count";
	tensorInfo(index, info) @ "xs_xtml_tensor_info";
	/** Copy xtml_tensor_data(index) into bytes (exactly the tensor's size). */
	getTensor(index, bytes) @ "xs_xtml_tensor_data";
	/** xtml_set_profiler with a recorder of each operator's ticks. */
	setProfiling(on) @ "xs_xtml_set_profiler";
	/** Ticks of operator index in the last profiled invoke. */
	operatorTicks(index) @ "xs_xtml_operator_ticks";
	operatorCount() @ "xs_xtml_operator_count";
	operatorName(index) @ "xs_xtml_operator_name";
	operatorMacs(index) @ "xs_xtml_operator_macs";
	/** xtml_model_description: the model's description string. */
	description() @ "xs_xtml_model_description";
	/** xtml_ctx_detail. */
	detail() @ "xs_xtml_ctx_detail";
	/** Free the arena and model copy now; the context is then unusable. */
	close() @ "xs_xtml_context_close";
}

/** xtml_frame_table: real is 256 float32 as bytes; table receives 256 elements of dtype. */
export function frameTable(dtype, scale, zeroPoint, real, table, diag) @ "xs_xtml_frame_table";
/** xtml_frame_to_input: params (Int32Array) width, height, format, fit, input width,
 * height, channels, dtype; region (Int32Array) receives x, y, w, h. */
export function frameToInput(params, frame, table, input, region, diag) @ "xs_xtml_frame_to_input";
/** xtml_grid_decode: params (Int32Array) rows, cols, classes, background,
 * connectivity, dtype, zero point; count (Int32Array) receives the objects found. */
export function gridDecode(params, thresholds, scores, work, objects, count, diag) @ "xs_xtml_grid_decode";

export function statusName(status) @ "xs_xtml_status_name";
export function builtinName(code) @ "xs_xtml_builtin_name";
export function dtypeName(dtype) @ "xs_xtml_dtype_name";
export function dtypeSize(dtype) @ "xs_xtml_dtype_size";
/** XTML_PORT_TICKS_PER_SECOND of this build; 0 when it depends on the board. */
export function ticksPerSecond() @ "xs_xtml_ticks_per_second";
