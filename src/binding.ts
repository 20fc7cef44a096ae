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

export interface CoreBinding {
  readonly backend: BackendName;
  /** Ticks per second of the profiling clock (0 when unknown). */
  readonly ticksPerSecond: number;
  /** xtml_model_verify. */
  verify(model: ModelBytes): void;
  /** xtml_arena_size. */
  arenaSize(model: ModelBytes): number;
  /** xtml_init with an arena of arenaBytes that the binding owns. */
  init(model: ModelBytes, arenaBytes: number): CoreContext;
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
