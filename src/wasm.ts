// The WebAssembly binding: instantiates native/wasm/xtml.wasm (a standalone
// module built by native/wasm/build.sh, no emscripten JavaScript) with our own
// imports and implements CoreBinding by calling the C API one for one.
//
// Engine-neutral: no Node or browser modules. The host gets the module's bytes
// (fs in Node, fetch in a browser) and hands them, or a compiled module, here.
// The module uses WebAssembly SIMD (native/wasm/build.sh): engines without it
// (Node before 16.4, browsers before 2021, Safari before 16.4) refuse to compile it.
//
// Memory: the model is copied into linear memory (16-byte aligned, as xtml.h
// asks) and each context's arena is allocated there with the module's malloc;
// release() frees both. Linear memory may grow, which replaces its
// ArrayBuffer, so views of it are taken afresh after any call into the module.
import { frameParam, gridParam, type CoreBinding, type CoreContext, type CoreOptions, type ModelBytes, type RawProfileEntry, type RawTensorInfo } from './binding.js';
import { XtmlError, statusName } from './errors.js';

// ---- the part of the WebAssembly JS API used here ----
// Declared locally so that the TypeScript setup needs no DOM library.

/** A compiled WebAssembly.Module. */
export type WasmModule = object;

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

type Imports = Record<string, Record<string, (...args: number[]) => number | void>>;

interface WasmApi {
  Module: { new (bytes: ArrayBuffer | ArrayBufferView): WasmModule; imports(module: WasmModule): { module: string; name: string; kind: string }[] };
  Instance: new (module: WasmModule, imports: Imports) => WasmInstance;
  compile(bytes: ArrayBuffer | ArrayBufferView): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Imports): Promise<WasmInstance>;
}

function wasmApi(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('xs-tinyml: this JavaScript engine has no WebAssembly');
  return api;
}

// ---- the module's exports (native/wasm/build.sh lists them) ----
// Pointers and size_t are 32-bit; numbers cross as i32, so unsigned results
// are read with >>> 0.

interface Exports {
  memory: WasmMemory;
  _initialize?: () => void;
  xtml_model_verify(model: number, modelBytes: number, diag: number): number;
  xtml_arena_size(model: number, modelBytes: number, arenaBytesOut: number, diag: number): number;
  xtml_init(model: number, modelBytes: number, arena: number, arenaBytes: number, ctxOut: number, diag: number): number;
  xtml_arena_size_with(model: number, modelBytes: number, options: number, arenaBytesOut: number, diag: number): number;
  xtml_init_with(model: number, modelBytes: number, options: number, arena: number, arenaBytes: number, ctxOut: number, diag: number): number;
  xtml_tensor_count(ctx: number): number;
  xtml_tensor_info(ctx: number, index: number, info: number): number;
  xtml_tensor_data(ctx: number, index: number, dataOut: number): number;
  xtml_arena_used(ctx: number): number;
  xtml_input_count(ctx: number): number;
  xtml_output_count(ctx: number): number;
  xtml_input_info(ctx: number, index: number, info: number): number;
  xtml_output_info(ctx: number, index: number, info: number): number;
  xtml_input_data(ctx: number, index: number): number;
  xtml_output_data(ctx: number, index: number): number;
  xtml_invoke(ctx: number): number;
  xtml_reset_state(ctx: number): number;
  xtml_operator_count(ctx: number): number;
  xtml_operator_name(ctx: number, index: number): number;
  xtml_operator_macs(ctx: number, index: number): number;
  xtml_ctx_detail(ctx: number): number;
  xtml_model_description(ctx: number): number;
  xtml_wasm_alloc(bytes: number): number;
  xtml_wasm_free(pointer: number): void;
  xtml_wasm_set_profiler(ctx: number, profile: number): void;
  xtml_dtype_size(dtype: number): number;
  xtml_frame_table(dtype: number, scale: number, zeroPoint: number, real: number, table: number, tableBytes: number, diag: number): number;
  xtml_frame_to_input(frame: number, fit: number, target: number, input: number, inputBytes: number, region: number, diag: number): number;
  xtml_grid_decode(grid: number, scores: number, scoreBytes: number, work: number, workCount: number, result: number, diag: number): number;
}

const requiredExports: readonly (keyof Exports)[] = [
  'memory', 'xtml_model_verify', 'xtml_arena_size', 'xtml_init', 'xtml_arena_size_with', 'xtml_init_with',
  'xtml_tensor_count', 'xtml_tensor_info', 'xtml_tensor_data', 'xtml_arena_used', 'xtml_input_count',
  'xtml_output_count', 'xtml_input_info', 'xtml_output_info', 'xtml_input_data', 'xtml_output_data', 'xtml_invoke',
  'xtml_reset_state',
  'xtml_operator_count', 'xtml_operator_name', 'xtml_operator_macs', 'xtml_ctx_detail', 'xtml_model_description', 'xtml_wasm_alloc',
  'xtml_wasm_free', 'xtml_wasm_set_profiler', 'xtml_dtype_size', 'xtml_frame_table', 'xtml_frame_to_input', 'xtml_grid_decode',
];

// ---- C struct layouts on wasm32 (xtml.h, xtml_bind.h) ----
// native/wasm/xtml_wasm.c fails to build if these offsets drift.

const DETAIL_MAX = 160; // XTML_DETAIL_MAX
const MAX_DIMS = 6; // XTML_MAX_DIMS
const diag = { status: 0, needed: 4, detail: 8, size: 8 + DETAIL_MAX } as const; // xtml_diag_t
const info = { name: 0, dtype: 4, ndim: 8, dims: 12, bytes: 12 + 4 * MAX_DIMS, scale: 16 + 4 * MAX_DIMS, zeroPoint: 20 + 4 * MAX_DIMS, size: 24 + 4 * MAX_DIMS } as const; // xtml_tensor_info_t
const profile = { count: 0, ticks: 4, size: 8 } as const; // xtml_bind_profile_t
const frame = { data: 0, bytes: 4, width: 8, height: 12, format: 16, size: 20 } as const; // xtml_frame_t
const target = { width: 0, height: 4, channels: 8, dtype: 12, table: 16, size: 20 } as const; // xtml_frame_target_t
const rect = { x: 0, y: 4, w: 8, h: 12, size: 16 } as const; // xtml_rect_t
const grid = { rows: 0, cols: 4, classes: 8, background: 12, connectivity: 16, dtype: 20, zeroPoint: 24, minLevel: 28, minScore: 32, size: 36 } as const; // xtml_grid_t
const gridObjectSize = 44; // xtml_grid_object_t
const gridResult = { objects: 0, maxObjects: 4, count: 8, order: 12, size: 16 } as const; // xtml_grid_result_t
const options = { keepTensors: 0, keepCount: 4, ops: 8, opCount: 12, size: 16 } as const; // xtml_options_t

/** A CoreBinding on WebAssembly, plus what tests and tools may inspect. */
export interface WasmBinding extends CoreBinding {
  /** Current size of the module's linear memory in bytes. */
  readonly memoryBytes: number;
}

/** Imports the module needs: the profiling clock, and a growth notice. Any
 * other import (a WASI call a future build pulls in) fails instantiation with
 * its name rather than failing somewhere later. */
function importsFor(module: WasmModule, api: WasmApi): Imports {
  const performance = (globalThis as { performance?: { now(): number } }).performance;
  const nowMs = performance !== undefined ? () => performance.now() : () => Date.now();
  const provided: Imports = {
    env: {
      // xtml_port.h: microseconds; the core only subtracts them, so wrapping is fine.
      xtml_host_ticks: () => Math.floor(nowMs() * 1000) >>> 0,
      // Views are re-taken after every call, so a grown memory needs no action.
      emscripten_notify_memory_growth: () => {},
    },
  };
  for (const { module: from, name } of api.Module.imports(module)) {
    if (provided[from]?.[name] === undefined) {
      throw new Error(`xs-tinyml: xtml.wasm imports ${from}.${name}, which this loader does not provide; rebuild the module with native/wasm/build.sh`);
    }
  }
  return provided;
}

function isBytes(x: unknown): x is ArrayBuffer | ArrayBufferView {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

/** Instantiate from the module's bytes or a compiled module. */
export async function createWasmBinding(source: ArrayBuffer | ArrayBufferView | WasmModule): Promise<WasmBinding> {
  const api = wasmApi();
  const module = isBytes(source) ? await api.compile(source) : checkModule(source, api);
  return bind(await api.instantiate(module, importsFor(module, api)));
}

/** Synchronous variant, for Node and workers (browsers refuse to compile or
 * instantiate large modules synchronously on their main thread). */
export function createWasmBindingSync(source: ArrayBuffer | ArrayBufferView | WasmModule): WasmBinding {
  const api = wasmApi();
  const module = isBytes(source) ? new api.Module(source) : checkModule(source, api);
  return bind(new api.Instance(module, importsFor(module, api)));
}

function checkModule(source: unknown, api: WasmApi): WasmModule {
  if (!(source instanceof (api.Module as unknown as new () => object))) {
    throw new TypeError('source must be the bytes of xtml.wasm or a compiled WebAssembly.Module');
  }
  return source;
}

function bind(instance: WasmInstance): WasmBinding {
  for (const name of requiredExports) {
    if (instance.exports[name] === undefined) throw new Error(`xs-tinyml: xtml.wasm does not export ${name}`);
  }
  const wasm = instance.exports as unknown as Exports;
  wasm._initialize?.(); // a reactor module's static constructors
  const memory = wasm.memory;
  let bytes = new Uint8Array(memory.buffer);
  let view = new DataView(memory.buffer);
  const refresh = (): void => {
    if (bytes.buffer !== memory.buffer) {
      bytes = new Uint8Array(memory.buffer);
      view = new DataView(memory.buffer);
    }
  };
  const u32 = (at: number): number => (refresh(), view.getUint32(at, true));
  const i32 = (at: number): number => (refresh(), view.getInt32(at, true));
  const f32 = (at: number): number => (refresh(), view.getFloat32(at, true));
  const utf8 = new TextDecoder();
  const cString = (at: number): string => {
    if (at === 0) return '';
    refresh();
    const end = bytes.indexOf(0, at);
    return utf8.decode(bytes.subarray(at, end < 0 ? at : end));
  };

  const alloc = (size: number, what: string): number => {
    const pointer = size <= 0xffff_fff0 ? wasm.xtml_wasm_alloc(size) >>> 0 : 0;
    if (pointer === 0) throw new RangeError(`xs-tinyml: WebAssembly memory cannot hold ${what} of ${size} bytes`);
    return pointer;
  };

  // One scratch block for calls' out-parameters: a diag, a tensor info and a word.
  const scratch = alloc(diag.size + info.size + 4, 'scratch');
  const diagAt = scratch;
  const infoAt = scratch + diag.size;
  const wordAt = infoAt + info.size;

  // The frame path's block: its structs and copies of the caller's arrays,
  // grown (never shrunk) to the largest call so far.
  let frameBlock = 0;
  let frameBlockBytes = 0;
  const frameScratch = (size: number): number => {
    if (size > frameBlockBytes) {
      if (frameBlock !== 0) wasm.xtml_wasm_free(frameBlock);
      frameBlock = 0;
      frameBlockBytes = 0;
      frameBlock = alloc(size, 'the frame path');
      frameBlockBytes = size;
    }
    return frameBlock;
  };
  const up16 = (n: number): number => (n + 15) & ~15;
  const copyIn = (source: Uint8Array, at: number): void => {
    refresh();
    bytes.set(source, at);
  };
  const copyOut = (at: number, into: Uint8Array): void => {
    refresh();
    into.set(bytes.subarray(at, at + into.byteLength));
  };

  const diagError = (status: number): XtmlError =>
    new XtmlError(statusName(status), cString(diagAt + diag.detail), statusName(status) === 'XTML_STATUS_ARENA_TOO_SMALL' ? u32(diagAt + diag.needed) : undefined);

  /** xtml_options_t and its index array in linear memory (0 for no options); free it after use. */
  const copyOptions = (given: CoreOptions | undefined): number => {
    const keep = given?.keepTensors ?? [];
    if (given === undefined) return 0;
    const at = alloc(options.size + 4 * keep.length, 'options');
    refresh();
    view.setUint32(at + options.keepTensors, keep.length > 0 ? at + options.size : 0, true);
    view.setInt32(at + options.keepCount, keep.length, true);
    // No operator table: the module runs every operator.
    view.setUint32(at + options.ops, 0, true);
    view.setInt32(at + options.opCount, 0, true);
    keep.forEach((t, k) => view.setInt32(at + options.size + 4 * k, t, true));
    return at;
  };

  /** A 16-byte aligned copy of the model in linear memory; free it after use. */
  const copyModel = (model: ModelBytes): { at: number; length: number } => {
    let source: Uint8Array;
    if (model instanceof Uint8Array) source = model;
    else if (model instanceof ArrayBuffer) source = new Uint8Array(model);
    else if (ArrayBuffer.isView(model)) source = new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
    else throw new TypeError('model must be a Uint8Array or ArrayBuffer on WebAssembly');
    const at = alloc(source.byteLength, 'a copy of the model');
    refresh();
    bytes.set(source, at);
    return { at, length: source.byteLength };
  };

  const binding: WasmBinding = {
    backend: 'wasm',
    ticksPerSecond: 1_000_000,
    get memoryBytes() {
      return memory.buffer.byteLength;
    },

    verify(model: ModelBytes): void {
      const copy = copyModel(model);
      const status = wasm.xtml_model_verify(copy.at, copy.length, diagAt);
      wasm.xtml_wasm_free(copy.at);
      if (status !== 0) throw diagError(status);
    },

    arenaSize(model: ModelBytes, given?: CoreOptions): number {
      const copy = copyModel(model);
      let optionsAt: number;
      try {
        optionsAt = copyOptions(given);
      } catch (error) {
        wasm.xtml_wasm_free(copy.at);
        throw error;
      }
      const status = given === undefined
        ? wasm.xtml_arena_size(copy.at, copy.length, wordAt, diagAt)
        : wasm.xtml_arena_size_with(copy.at, copy.length, optionsAt, wordAt, diagAt);
      wasm.xtml_wasm_free(copy.at);
      if (optionsAt !== 0) wasm.xtml_wasm_free(optionsAt);
      if (status !== 0) throw diagError(status);
      return u32(wordAt);
    },

    init(model: ModelBytes, arenaBytes: number, given?: CoreOptions): CoreContext {
      const copy = copyModel(model);
      let arena: number;
      let optionsAt: number;
      try {
        optionsAt = copyOptions(given);
      } catch (error) {
        wasm.xtml_wasm_free(copy.at);
        throw error;
      }
      try {
        arena = alloc(arenaBytes, 'an arena');
      } catch (error) {
        wasm.xtml_wasm_free(copy.at);
        if (optionsAt !== 0) wasm.xtml_wasm_free(optionsAt);
        throw error;
      }
      const status = given === undefined
        ? wasm.xtml_init(copy.at, copy.length, arena, arenaBytes, wordAt, diagAt)
        : wasm.xtml_init_with(copy.at, copy.length, optionsAt, arena, arenaBytes, wordAt, diagAt);
      if (optionsAt !== 0) wasm.xtml_wasm_free(optionsAt);
      if (status !== 0) {
        wasm.xtml_wasm_free(arena);
        wasm.xtml_wasm_free(copy.at);
        throw diagError(status);
      }
      return createContext(u32(wordAt), copy.at, arena);
    },

    frameTable(dtype: number, scale: number, zeroPoint: number, real: Uint8Array, table: Uint8Array): void {
      if (real.byteLength !== 1024) throw new XtmlError('XTML_STATUS_BAD_ARGUMENT', 'real must be 256 float32');
      const realAt = frameScratch(up16(real.byteLength) + table.byteLength);
      const tableAt = realAt + up16(real.byteLength);
      copyIn(real, realAt);
      const status = wasm.xtml_frame_table(dtype, scale, zeroPoint, realAt, tableAt, table.byteLength, diagAt);
      if (status !== 0) throw diagError(status);
      copyOut(tableAt, table);
    },

    frameToInput(params: Int32Array, data: Uint8Array, table: Uint8Array, input: Uint8Array, region: Int32Array): void {
      const structs = frame.size + target.size + rect.size;
      const tableAt = up16(structs), dataAt = tableAt + up16(table.byteLength), inputAt = dataAt + up16(data.byteLength);
      const at = frameScratch(inputAt + input.byteLength);
      const p = (i: number): number => params[i]!;
      // The core reads 256 table elements of the input's type (and refuses types without a size).
      const element = wasm.xtml_dtype_size(p(frameParam.dtype)) >>> 0;
      if (element !== 0 && table.byteLength !== 256 * element) {
        throw new XtmlError('XTML_STATUS_BAD_ARGUMENT', "the table is not 256 elements of the input's type");
      }
      copyIn(table, at + tableAt);
      copyIn(data, at + dataAt);
      const f = at, t = at + frame.size, r = t + target.size;
      view.setUint32(f + frame.data, at + dataAt, true);
      view.setUint32(f + frame.bytes, data.byteLength, true);
      view.setInt32(f + frame.width, p(frameParam.width), true);
      view.setInt32(f + frame.height, p(frameParam.height), true);
      view.setInt32(f + frame.format, p(frameParam.format), true);
      view.setInt32(t + target.width, p(frameParam.inWidth), true);
      view.setInt32(t + target.height, p(frameParam.inHeight), true);
      view.setInt32(t + target.channels, p(frameParam.channels), true);
      view.setInt32(t + target.dtype, p(frameParam.dtype), true);
      view.setUint32(t + target.table, at + tableAt, true);
      const status = wasm.xtml_frame_to_input(f, p(frameParam.fit), t, at + inputAt, input.byteLength, r, diagAt);
      if (status !== 0) throw diagError(status);
      copyOut(at + inputAt, input);
      region[0] = i32(r + rect.x);
      region[1] = i32(r + rect.y);
      region[2] = i32(r + rect.w);
      region[3] = i32(r + rect.h);
    },

    gridDecode(params: Int32Array, thresholds: Uint8Array, scores: Uint8Array, work: Uint8Array, objects: Uint8Array): number {
      const thresholdsAt = up16(grid.size + gridResult.size), scoresAt = thresholdsAt + up16(thresholds.byteLength);
      const workAt = scoresAt + up16(scores.byteLength), objectsAt = workAt + up16(work.byteLength);
      const at = frameScratch(objectsAt + objects.byteLength);
      const p = (i: number): number => params[i]!;
      // The core reads one threshold per class (and refuses a class count below 1 before reading any).
      if (thresholds.byteLength !== 4 * Math.max(0, p(gridParam.classes))) {
        throw new XtmlError('XTML_STATUS_BAD_ARGUMENT', 'thresholds must be one 32-bit value per class; thresholds, work and objects 4-byte aligned');
      }
      copyIn(thresholds, at + thresholdsAt);
      copyIn(scores, at + scoresAt);
      const g = at, res = at + grid.size;
      view.setInt32(g + grid.rows, p(gridParam.rows), true);
      view.setInt32(g + grid.cols, p(gridParam.cols), true);
      view.setInt32(g + grid.classes, p(gridParam.classes), true);
      view.setInt32(g + grid.background, p(gridParam.background), true);
      view.setInt32(g + grid.connectivity, p(gridParam.connectivity), true);
      view.setInt32(g + grid.dtype, p(gridParam.dtype), true);
      view.setInt32(g + grid.zeroPoint, p(gridParam.zeroPoint), true);
      view.setUint32(g + grid.minLevel, at + thresholdsAt, true);
      view.setUint32(g + grid.minScore, at + thresholdsAt, true);
      view.setUint32(res + gridResult.objects, at + objectsAt, true);
      view.setInt32(res + gridResult.maxObjects, Math.floor(objects.byteLength / gridObjectSize), true);
      const status = wasm.xtml_grid_decode(g, at + scoresAt, scores.byteLength, at + workAt, work.byteLength >>> 2, res, diagAt);
      if (status !== 0) throw diagError(status);
      const count = i32(res + gridResult.count);
      copyOut(at + workAt, work);
      copyOut(at + objectsAt, objects.subarray(0, Math.min(count, Math.floor(objects.byteLength / gridObjectSize)) * gridObjectSize));
      return count;
    },
  };

  function createContext(ctx: number, modelAt: number, arena: number): CoreContext {
    let live = true;
    let profileAt = 0; // xtml_bind_profile_t followed by its ticks, once profiling is first on
    let profiling = false;
    const operatorCount = wasm.xtml_operator_count(ctx);

    const check = (): number => {
      if (!live) throw new XtmlError('XTML_STATUS_BAD_ARGUMENT', 'the context was released');
      return ctx;
    };
    const ctxError = (status: number): XtmlError => new XtmlError(statusName(status), cString(wasm.xtml_ctx_detail(ctx) >>> 0));

    const tensorInfo = (get: (ctx: number, index: number, info: number) => number, index: number): RawTensorInfo => {
      const status = get(check(), index, infoAt);
      if (status !== 0) throw ctxError(status);
      const ndim = i32(infoAt + info.ndim);
      return {
        name: cString(u32(infoAt + info.name)),
        dtype: i32(infoAt + info.dtype),
        dims: Array.from({ length: ndim }, (_, d) => i32(infoAt + info.dims + 4 * d)),
        bytes: u32(infoAt + info.bytes),
        scale: f32(infoAt + info.scale),
        zeroPoint: i32(infoAt + info.zeroPoint),
      };
    };
    // Sizes of the inputs and outputs, so that a wrong length can never write
    // or read outside a tensor (the caller has checked it and named the parameter).
    const inputBytes = Array.from({ length: wasm.xtml_input_count(ctx) }, (_, i) => tensorInfo(wasm.xtml_input_info, i).bytes);
    const outputBytes = Array.from({ length: wasm.xtml_output_count(ctx) }, (_, i) => tensorInfo(wasm.xtml_output_info, i).bytes);
    const ioAt = (pointer: number, size: number | undefined, given: number, what: string): number => {
      if (pointer === 0 || size !== given) throw new XtmlError('XTML_STATUS_BAD_ARGUMENT', `wrong ${what}`);
      return pointer;
    };

    return {
      arenaUsed: () => wasm.xtml_arena_used(check()) >>> 0,
      inputCount: () => wasm.xtml_input_count(check()),
      outputCount: () => wasm.xtml_output_count(check()),
      inputInfo: (index) => tensorInfo(wasm.xtml_input_info, index),
      outputInfo: (index) => tensorInfo(wasm.xtml_output_info, index),

      setInput(index: number, data: Uint8Array): void {
        const at = ioAt(wasm.xtml_input_data(check(), index) >>> 0, inputBytes[index], data.byteLength, 'input byte count');
        refresh();
        bytes.set(data, at);
      },

      getOutput(index: number, into: Uint8Array): void {
        const at = ioAt(wasm.xtml_output_data(check(), index) >>> 0, outputBytes[index], into.byteLength, 'output byte count');
        refresh();
        into.set(bytes.subarray(at, at + into.byteLength));
      },

      invoke(): void {
        const status = wasm.xtml_invoke(check());
        if (status !== 0) throw ctxError(status);
      },

      resetState(): void {
        const status = wasm.xtml_reset_state(check());
        if (status !== 0) throw ctxError(status);
      },

      tensorCount: () => wasm.xtml_tensor_count(check()),
      tensorInfo: (index) => tensorInfo(wasm.xtml_tensor_info, index),

      getTensor(index: number, into: Uint8Array): void {
        const status = wasm.xtml_tensor_data(check(), index, wordAt);
        if (status !== 0) throw ctxError(status);
        const at = u32(wordAt);
        ioAt(at, tensorInfo(wasm.xtml_tensor_info, index).bytes, into.byteLength, 'tensor byte count');
        refresh();
        into.set(bytes.subarray(at, at + into.byteLength));
      },

      setProfiling(on: boolean): void {
        check();
        if (on && profileAt === 0) {
          profileAt = alloc(profile.size + 4 * operatorCount, 'a profile');
          refresh();
          bytes.fill(0, profileAt, profileAt + profile.size + 4 * operatorCount);
          view.setInt32(profileAt + profile.count, operatorCount, true);
          view.setUint32(profileAt + profile.ticks, profileAt + profile.size, true);
        }
        wasm.xtml_wasm_set_profiler(ctx, on ? profileAt : 0);
        profiling = on;
      },

      lastProfile(): RawProfileEntry[] {
        check();
        if (!profiling) return [];
        return Array.from({ length: operatorCount }, (_, index) => ({
          index,
          name: cString(wasm.xtml_operator_name(ctx, index) >>> 0),
          ticks: u32(profileAt + profile.size + 4 * index),
        }));
      },

      operatorCount: () => wasm.xtml_operator_count(check()),
      operatorName: (index) => cString(wasm.xtml_operator_name(check(), index) >>> 0),
      operatorMacs: (index) => wasm.xtml_operator_macs(check(), index) >>> 0,
      description: () => cString(wasm.xtml_model_description(check()) >>> 0),

      release(): void {
        if (!live) return;
        live = false;
        wasm.xtml_wasm_free(arena);
        wasm.xtml_wasm_free(modelAt);
        if (profileAt !== 0) wasm.xtml_wasm_free(profileAt);
      },
    };
  }

  return binding;
}
