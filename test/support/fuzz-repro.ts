// Minimal models reproducing the bugs fuzzing found in the core, written with
// our TypeScript model writer. `node dist/tools/fuzz-repro.js` writes them to
// native/test/fuzz/repro/, where native/test/fuzz.sh replays them through every
// harness; test/fuzz-repro.test.ts checks the files are these bytes and that
// the core now gives the exact answers stated here.
import { writeTflite, type ModelDef, type TensorDef } from './tflite-writer.js';

const int32 = (values: readonly number[]): Uint8Array => new Uint8Array(Int32Array.from(values).buffer);
const int8 = (values: readonly number[]): Uint8Array => new Uint8Array(Int8Array.from(values).buffer);

/**
 * Output zero point added to a requantized accumulator at the int32 limit.
 * TFLM's int8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED compute
 * acc = bias + sum(w * (x - zp_in)) in int32, requantize it, then add the
 * output zero point in int32, an overflow its compiled code wraps (C leaves
 * it undefined; the core had the same undefined add, UBSan stopped on it).
 * Here bias = INT32_MIN and the input is 0 = zp_in, so acc = INT32_MIN; the
 * multiplier is (1 + 2^-14)(1 - 2^-14) / 1 = 1 - 2^-28, quantized to
 * (2^31 - 8) * 2^-31, so the requantized value is round(INT32_MIN (1 - 2^-28))
 * = -2^31 + 8; adding the zero point -128 wraps to 2^31 - 120, which the
 * activation clamp takes to 127. (Saturating instead would give -128.)
 */
function accumulatorAtLimit(op: 'conv' | 'depthwise' | 'fc'): ModelDef {
  const inScale = 1 + 2 ** -14;
  const wScale = 1 - 2 ** -14;
  // FULLY_CONNECTED with per-tensor weights multiplies the scales in float,
  // which rounds 1 - 2^-28 to 1; per-channel weights (two units) use double.
  const units = op === 'fc' ? 2 : 1;
  const shape = op === 'fc' ? [1, 1] : [1, 1, 1, 1];
  const input: TensorDef = { name: 'input', type: 'int8', shape, scale: [inScale], zeroPoint: [0] };
  const weights: TensorDef = {
    name: 'weights', type: 'int8', shape: op === 'fc' ? [units, 1] : shape, data: int8(Array(units).fill(1)),
    scale: Array(units).fill(wScale), zeroPoint: Array(units).fill(0), quantizedDimension: op === 'depthwise' ? 3 : 0,
  };
  const bias: TensorDef = { name: 'bias', type: 'int32', shape: [units], data: int32(Array(units).fill(-2147483648)), scale: Array(units).fill(inScale * wScale), zeroPoint: Array(units).fill(0) };
  const output: TensorDef = { name: 'output', type: 'int8', shape: op === 'fc' ? [1, units] : shape, scale: [1], zeroPoint: [-128] };
  const operator = op === 'fc'
    ? { builtin: 9, inputs: [0, 1, 2], outputs: [3], optionsType: 8, options: [{ type: 'i8' as const, value: 0 }] }
    : op === 'conv'
      ? { builtin: 3, inputs: [0, 1, 2], outputs: [3], optionsType: 1, options: [{ type: 'i8' as const, value: 1 }, { type: 'i32' as const, value: 1 }, { type: 'i32' as const, value: 1 }, { type: 'i8' as const, value: 0 }] }
      : { builtin: 4, inputs: [0, 1, 2], outputs: [3], optionsType: 2, options: [{ type: 'i8' as const, value: 1 }, { type: 'i32' as const, value: 1 }, { type: 'i32' as const, value: 1 }, { type: 'i32' as const, value: 1 }, { type: 'i8' as const, value: 0 }] };
  return { tensors: [input, weights, bias, output], operators: [operator], inputs: [0], outputs: [3] };
}

/**
 * An alias cycle in the planner: RESHAPE(x) -> y, then ADD(y, c) -> x. ADD may
 * write its output over an input nobody reads later, and y is a view of x, so
 * the planner made x a view of y: x -> y -> x, and following the chain never
 * ended (prepare hung). The model is invalid (RESHAPE reads x before ADD
 * writes it) and must be refused with that reason.
 */
function aliasCycle(): ModelDef {
  const q = { scale: [0.5], zeroPoint: [0] };
  return {
    tensors: [
      { name: 'x', type: 'int8', shape: [4], ...q },
      { name: 'y', type: 'int8', shape: [4], ...q },
      { name: 'c', type: 'int8', shape: [4], data: int8([1, 2, 3, 4]), ...q },
    ],
    operators: [
      { builtin: 22, inputs: [0], outputs: [1], optionsType: 17, options: [] },
      { builtin: 0, inputs: [1, 2], outputs: [0], optionsType: 11, options: [] },
    ],
    inputs: [],
    outputs: [],
  };
}

export interface Reproducer {
  /** File name under native/test/fuzz/repro/. */
  file: string;
  bytes: Uint8Array;
  /** Input bytes, and the exact output bytes; or the status and detail of the refusal. */
  expect: { input: Uint8Array; output: Uint8Array } | { status: string; detail: RegExp };
}

export function reproducers(): Reproducer[] {
  const limit = { input: new Uint8Array([0]), output: new Uint8Array([127]) };
  return [
    { file: 'depthwise-output-offset-wraps.tflite', bytes: writeTflite(accumulatorAtLimit('depthwise')), expect: limit },
    { file: 'conv-output-offset-wraps.tflite', bytes: writeTflite(accumulatorAtLimit('conv')), expect: limit },
    { file: 'fully-connected-output-offset-wraps.tflite', bytes: writeTflite(accumulatorAtLimit('fc')), expect: { ...limit, output: new Uint8Array([127, 127]) } },
    {
      file: 'inplace-alias-cycle.tflite',
      bytes: writeTflite(aliasCycle()),
      expect: { status: 'XTML_STATUS_MODEL_OPERATOR', detail: /operator 0 \(RESHAPE\) reads tensor 0 'x' before any operator writes it/ },
    },
  ];
}
