// The seam between the TypeScript API and one build of the C core. Each host
// (WebAssembly, Node addon, Moddable XS) implements this by calling the C API
// of native/include/xtml.h one for one: no logic, no argument checking (the
// API in session.ts does that), and every non-OK status becomes an XtmlError
// with the core's status name and detail.

export type BackendName = 'wasm' | 'node' | 'xs';

/** Model bytes as the host holds them: a byte array, or (on XS) a Resource
 * or other host buffer in flash, used in place. */
export type ModelBytes = Uint8Array | ArrayBuffer | object;

export interface RawTensorInfo {
  name: string;
  /** xtml_dtype_t: TensorFlow Lite's TensorType numbering (9 = int8). */
  dtype: number;
  dims: number[];
  bytes: number;
  /** 0 when the tensor is not quantized. */
  scale: number;
  zeroPoint: number;
}

export interface RawProfileEntry {
  index: number;
  name: string;
  ticks: number;
}

/** The parameters of xtml_frame_to_input (xtml_frame_t, xtml_fit_t and
 * xtml_frame_target_t without their pointers), as an Int32Array. */
export const frameParam = Object.freeze({
  width: 0, height: 1, format: 2, fit: 3, inWidth: 4, inHeight: 5, channels: 6, dtype: 7, length: 8,
} as const);

/** The parameters of xtml_grid_decode (xtml_grid_t without its pointers), as an Int32Array. */
export const gridParam = Object.freeze({
  rows: 0, cols: 1, classes: 2, background: 3, connectivity: 4, dtype: 5, zeroPoint: 6, length: 7,
} as const);

/** The int32 fields of one xtml_grid_object_t, in order. */
export const gridObjectField = Object.freeze({
  label: 0, first: 1, cells: 2, row0: 3, col0: 4, row1: 5, col1: 6, peak: 7, weight: 8, sumX: 9, sumY: 10, length: 11,
} as const);

/** xtml_options_t. */
export interface CoreOptions {
  /** Tensor indices whose data stays readable after invoke (keep_tensors). */
  keepTensors?: readonly number[];
}

export interface CoreBinding {
  readonly backend: BackendName;
  /** Ticks per second of the profiling clock (0 when unknown). */
  readonly ticksPerSecond: number;
  /** xtml_model_verify. */
  verify(model: ModelBytes): void;
  /** xtml_arena_size, or xtml_arena_size_with when options are given. */
  arenaSize(model: ModelBytes, options?: CoreOptions): number;
  /** xtml_init (xtml_init_with when options are given) with an arena of
   * arenaBytes that the binding owns. */
  init(model: ModelBytes, arenaBytes: number, options?: CoreOptions): CoreContext;
  /** xtml_frame_table: `real` is 256 float32 (as bytes); `table` receives 256 elements of dtype. */
  frameTable(dtype: number, scale: number, zeroPoint: number, real: Uint8Array, table: Uint8Array): void;
  /** xtml_frame_to_input with the parameters of `params` (frameParam); `region` receives x, y, w, h. */
  frameToInput(params: Int32Array, frame: Uint8Array, table: Uint8Array, input: Uint8Array, region: Int32Array): void;
  /**
   * xtml_grid_decode with the parameters of `params` (gridParam) and
   * per-class thresholds (int32 levels, or float32 for float32 scores, as
   * bytes). `work` holds 3 * rows * cols int32 (the cells' order from
   * 2 * rows * cols on), `objects` as many xtml_grid_object_t as fit.
   * Returns the number of objects found.
   */
  gridDecode(params: Int32Array, thresholds: Uint8Array, scores: Uint8Array, work: Uint8Array, objects: Uint8Array): number;
  /**
   * `length` zeroed bytes outside the engine's heap, for bulk data (adaptation's
   * frames and features) that would crowd a small one: on XS a host buffer
   * freed with its view. Absent where the heap is not the limit (Node, wasm):
   * use hostBytesOf().
   */
  hostBytes?(length: number): Uint8Array;
}

/** `length` zeroed bytes from binding.hostBytes where the binding has it, else an ordinary Uint8Array. */
export function hostBytesOf(binding: CoreBinding, length: number): Uint8Array {
  return binding.hostBytes !== undefined ? binding.hostBytes(length) : new Uint8Array(length);
}

export interface CoreContext {
  /** xtml_arena_used. */
  arenaUsed(): number;
  inputCount(): number;
  outputCount(): number;
  inputInfo(index: number): RawTensorInfo;
  outputInfo(index: number): RawTensorInfo;
  /** Copy bytes into input `index` (exactly its size; checked by the caller). */
  setInput(index: number, bytes: Uint8Array): void;
  /** Copy output `index` into `into` (exactly its size). */
  getOutput(index: number, into: Uint8Array): void;
  /** xtml_invoke. */
  invoke(): void;
  /** xtml_reset_state: variable tensors (state between invokes) back to their initial zero. */
  resetState(): void;
  /** xtml_tensor_count. */
  tensorCount(): number;
  /** xtml_tensor_info. */
  tensorInfo(index: number): RawTensorInfo;
  /** Copy xtml_tensor_data(index) into `into` (exactly the tensor's size). */
  getTensor(index: number, into: Uint8Array): void;
  /** Record per-operator ticks on every invoke (xtml_set_profiler). */
  setProfiling(on: boolean): void;
  /** Ticks of each operator in the last invoke (empty when profiling is off). */
  lastProfile(): RawProfileEntry[];
  operatorCount(): number;
  operatorName(index: number): string;
  operatorMacs(index: number): number;
  /** The model's description string (xtml_model_description); '' when none. */
  description(): string;
  /** Free the arena and any model copy. The context is unusable afterwards. */
  release(): void;
}
