// The Node addon binding: CoreBinding over native/node/xtml_napi.c, whose
// functions are the C API's, one for one. The addon throws XtmlError itself
// (registered here with setErrorClass), so this file only adapts shapes.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoreBinding, CoreContext, CoreOptions, ModelBytes, RawProfileEntry, RawTensorInfo } from '../../src/binding.js';
import { XtmlError } from '../../src/errors.js';

/** A context as the addon hands it out: an opaque, tagged external. */
type AddonContext = { readonly __brand: 'xtml context' };

/** What native/node/xtml_napi.c exports. */
export interface Addon {
  readonly ticksPerSecond: number;
  setErrorClass(errorClass: typeof XtmlError): void;
  xtml_model_verify(model: Uint8Array): void;
  xtml_arena_size(model: Uint8Array): number;
  xtml_init(model: Uint8Array, arenaBytes: number, keepTensors?: Int32Array): AddonContext;
  xtml_arena_size_with(model: Uint8Array, keepTensors: Int32Array): number;
  xtml_tensor_count(ctx: AddonContext): number;
  xtml_tensor_info(ctx: AddonContext, index: number): RawTensorInfo;
  /** Copies tensor `index` (kept, output or constant) into `into`. */
  xtml_tensor_data(ctx: AddonContext, index: number, into: Uint8Array): void;
  xtml_bind_release(ctx: AddonContext): void;
  xtml_arena_used(ctx: AddonContext): number;
  xtml_input_count(ctx: AddonContext): number;
  xtml_output_count(ctx: AddonContext): number;
  xtml_input_info(ctx: AddonContext, index: number): RawTensorInfo;
  xtml_output_info(ctx: AddonContext, index: number): RawTensorInfo;
  /** Copies `bytes` into input `index`. */
  xtml_input_data(ctx: AddonContext, index: number, bytes: Uint8Array): void;
  /** Copies output `index` into `into`. */
  xtml_output_data(ctx: AddonContext, index: number, into: Uint8Array): void;
  xtml_invoke(ctx: AddonContext): void;
  xtml_reset_state(ctx: AddonContext): void;
  xtml_set_profiler(ctx: AddonContext, on: boolean): void;
  xtml_bind_profile_ticks(ctx: AddonContext): Uint32Array;
  xtml_operator_count(ctx: AddonContext): number;
  xtml_operator_name(ctx: AddonContext, index: number): string | null;
  xtml_operator_macs(ctx: AddonContext, index: number): number;
  xtml_model_description(ctx: AddonContext): string;
  xtml_frame_table(dtype: number, scale: number, zeroPoint: number, real: Uint8Array, table: Uint8Array): void;
  xtml_frame_to_input(params: Int32Array, frame: Uint8Array, table: Uint8Array, input: Uint8Array, region: Int32Array): void;
  xtml_grid_decode(params: Int32Array, thresholds: Uint8Array, scores: Uint8Array, work: Uint8Array, objects: Uint8Array): number;
}

/** The repository root (this file runs from dist/host-sim/node/). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where build-addon.mjs puts the addon; XTML_NODE_ADDON names another build
 * (the tests use it to check the fallback to WebAssembly). */
export const addonPath = resolve(process.env['XTML_NODE_ADDON'] ?? join(root, 'native/node/build/Release/xtml.node'));

/** Load the addon; throws (with the loader's reason) when it is not built. */
export function loadAddon(path: string = addonPath): Addon {
  const addon = createRequire(import.meta.url)(path) as Addon;
  addon.setErrorClass(XtmlError);
  return addon;
}

function asBytes(model: ModelBytes): Uint8Array {
  if (model instanceof Uint8Array) return model;
  if (model instanceof ArrayBuffer) return new Uint8Array(model);
  if (ArrayBuffer.isView(model)) return new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
  throw new TypeError('model must be a Uint8Array or ArrayBuffer on the Node addon');
}

export function createNodeBinding(addon: Addon = loadAddon()): CoreBinding {
  return {
    backend: 'node',
    ticksPerSecond: addon.ticksPerSecond,
    verify: (model) => addon.xtml_model_verify(asBytes(model)),
    arenaSize: (model, options?: CoreOptions) => options === undefined
      ? addon.xtml_arena_size(asBytes(model))
      : addon.xtml_arena_size_with(asBytes(model), Int32Array.from(options.keepTensors ?? [])),
    frameTable: (dtype, scale, zeroPoint, real, table) => addon.xtml_frame_table(dtype, scale, zeroPoint, real, table),
    frameToInput: (params, frame, table, input, region) => addon.xtml_frame_to_input(params, frame, table, input, region),
    gridDecode: (params, thresholds, scores, work, objects) => addon.xtml_grid_decode(params, thresholds, scores, work, objects),
    init(model: ModelBytes, arenaBytes: number, options?: CoreOptions): CoreContext {
      const ctx = options === undefined
        ? addon.xtml_init(asBytes(model), arenaBytes)
        : addon.xtml_init(asBytes(model), arenaBytes, Int32Array.from(options.keepTensors ?? []));
      return {
        arenaUsed: () => addon.xtml_arena_used(ctx),
        inputCount: () => addon.xtml_input_count(ctx),
        outputCount: () => addon.xtml_output_count(ctx),
        inputInfo: (index) => addon.xtml_input_info(ctx, index),
        outputInfo: (index) => addon.xtml_output_info(ctx, index),
        setInput: (index, bytes) => addon.xtml_input_data(ctx, index, bytes),
        getOutput: (index, into) => addon.xtml_output_data(ctx, index, into),
        invoke: () => addon.xtml_invoke(ctx),
        resetState: () => addon.xtml_reset_state(ctx),
        tensorCount: () => addon.xtml_tensor_count(ctx),
        tensorInfo: (index) => addon.xtml_tensor_info(ctx, index),
        getTensor: (index, into) => addon.xtml_tensor_data(ctx, index, into),
        setProfiling: (on) => addon.xtml_set_profiler(ctx, on),
        lastProfile: (): RawProfileEntry[] =>
          Array.from(addon.xtml_bind_profile_ticks(ctx), (ticks, index) => ({
            index,
            name: addon.xtml_operator_name(ctx, index) ?? '',
            ticks,
          })),
        operatorCount: () => addon.xtml_operator_count(ctx),
        operatorName: (index) => addon.xtml_operator_name(ctx, index) ?? '',
        operatorMacs: (index) => addon.xtml_operator_macs(ctx, index),
        description: () => addon.xtml_model_description(ctx),
        release: () => addon.xtml_bind_release(ctx),
      };
    },
  };
}
