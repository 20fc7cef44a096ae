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

/**
 * A block size squared in int32. SPACE_TO_DEPTH and DEPTH_TO_SPACE take a
 * block_size up to 65535, and the core multiplied it by itself in int32
 * (65535^2 overflows: UBSan stopped on it, found by the generator's edge
 * block sizes); BATCH_TO_SPACE_ND did the same with block_shape's two values.
 * Now the products are int64: an input of depth 4 is not a multiple of
 * 65535^2, a batch of 4 not a multiple of 65535 x 65535, and a depth of 1
 * times 65535^2 is more than int32 holds (the input is empty: 0 rows), so each
 * is refused with its reason. TFLM computes the same products in int, where
 * they are undefined.
 */
function blockSquared(op: 'depth-to-space' | 'space-to-depth' | 'batch-to-space'): ModelDef {
  const block = 65535;
  if (op === 'batch-to-space') {
    return {
      tensors: [
        { name: 'input', type: 'float32', shape: [4, 1, 1, 1] },
        { name: 'block_shape', type: 'int32', shape: [2], data: int32([block, block]) },
        { name: 'crops', type: 'int32', shape: [2, 2], data: int32([0, 0, 0, 0]) },
        { name: 'output', type: 'float32', shape: [1, 1, 1, 1] },
      ],
      operators: [{ builtin: 37, inputs: [0, 1, 2], outputs: [3], optionsType: 24, options: [] }],
      inputs: [0],
      outputs: [3],
    };
  }
  const toDepth = op === 'space-to-depth';
  const shape = toDepth ? [1, 0, 0, 1] : [1, 1, 1, 4];
  return {
    tensors: [
      { name: 'input', type: 'float32', shape },
      { name: 'output', type: 'float32', shape },
    ],
    operators: [{
      builtin: toDepth ? 26 : 5, inputs: [0], outputs: [1], optionsType: toDepth ? 19 : 94,
      options: [{ type: 'i32', value: block }],
    }],
    inputs: [0],
    outputs: [1],
  };
}

/**
 * int16 BATCH_MATMUL requantizes its int64 sums as TFLM's 64-bit
 * MultiplyByQuantizedMultiplier does: a right shift of 15 - shift. Scales 1
 * and 1 into an output scale of 2^-15 give a multiplier of 2^15 = 0.5 * 2^16,
 * shift 16, and a shift by -1 at invoke (UBSan; the structure-aware fuzzer
 * found it through a mutated output scale). Prepare accepted shifts up to 30;
 * int16 now takes at most 14 (TFLM's own check, debug builds only, is < 8),
 * and this model is refused.
 */
function int16MatmulShift(): ModelDef {
  const q = { scale: [1], zeroPoint: [0] };
  return {
    tensors: [
      { name: 'x', type: 'int16', shape: [1, 1], ...q },
      { name: 'y', type: 'int16', shape: [1, 1], data: new Uint8Array(Int16Array.from([1]).buffer), ...q },
      { name: 'output', type: 'int16', shape: [1, 1], scale: [2 ** -15], zeroPoint: [0] },
    ],
    operators: [{ builtin: 126, inputs: [0, 1], outputs: [2], optionsType: 101, options: [] }],
    inputs: [0],
    outputs: [2],
  };
}

/**
 * SLICE with begin INT32_MIN and size -1 ("to the end of the axis"): prepare
 * computed that size, the axis size minus begin, in int32 (14 - INT32_MIN
 * overflows: UBSan, found by xtml_fuzz_gen on a crossover of generated
 * models). It is int64 now, and the begin is refused as outside the axis.
 */
function sliceBeginMin(): ModelDef {
  const q = { scale: [1], zeroPoint: [0] };
  return {
    tensors: [
      { name: 'x', type: 'int8', shape: [14], ...q },
      { name: 'begin', type: 'int32', shape: [1], data: int32([-2147483648]) },
      { name: 'size', type: 'int32', shape: [1], data: int32([-1]) },
      { name: 'output', type: 'int8', shape: [14], ...q },
    ],
    operators: [{ builtin: 65, inputs: [0, 1, 2], outputs: [3], optionsType: 48, options: [] }],
    inputs: [0],
    outputs: [3],
  };
}

/**
 * TRANSPOSE_CONV with an empty output ([1, 0, 1, 1]): the kernel cleared its
 * accumulators with memset(scratch, 0, 0), and with nothing to accumulate the
 * plan gives no scratch, so the pointer was NULL (UBSan: memset's pointer
 * must not be null even for 0 bytes; found by xtml_fuzz_gen on a 16x8 model
 * whose output shape was a graph input). Now an empty output returns at once:
 * the invoke succeeds with nothing to write.
 */
function transposeConvEmpty(): ModelDef {
  return {
    tensors: [
      { name: 'output_shape', type: 'int32', shape: [4], data: int32([1, 0, 1, 1]) },
      { name: 'weights', type: 'int8', shape: [1, 1, 1, 1], data: int8([1]), scale: [0.5], zeroPoint: [0] },
      { name: 'input', type: 'int8', shape: [1, 1, 1, 1], scale: [0.5], zeroPoint: [0] },
      { name: 'output', type: 'int8', shape: [1, 0, 1, 1], scale: [1], zeroPoint: [0] },
    ],
    operators: [{
      builtin: 67, inputs: [0, 1, 2], outputs: [3], optionsType: 49,
      options: [{ type: 'i8', value: 1 }, { type: 'i32', value: 1 }, { type: 'i32', value: 1 }, { type: 'i8', value: 0 }],
    }],
    inputs: [2],
    outputs: [3],
  };
}

/**
 * A variable tensor written by RESHAPE of a constant: the planner let the
 * output view the constant's data, in the model, and xtml_init (through
 * xtml_reset_state, which clears state) wrote zeros there: the load wrote into
 * the model bytes, read-only flash on a device (found by xtml_fuzz_gen, whose
 * operator-table check then saw the model change under it; the mutation set
 * is_variable on a RESHAPE of an int64 constant). A variable output now keeps
 * its own memory and RESHAPE copies into it, as TFLM does: the output is the
 * constant, 1 2 3 4 (it was 0 0 0 0).
 */
function variableViewOfConstant(): ModelDef {
  const q = { scale: [0.5], zeroPoint: [0] };
  return {
    tensors: [
      { name: 'x', type: 'int8', shape: [1], ...q },
      { name: 'c', type: 'int8', shape: [4], data: int8([1, 2, 3, 4]), ...q },
      { name: 'state', type: 'int8', shape: [2, 2], isVariable: true, ...q },
    ],
    operators: [{ builtin: 22, inputs: [1], outputs: [2], optionsType: 17, options: [] }],
    inputs: [0],
    outputs: [2],
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
    {
      file: 'depth-to-space-block-squared.tflite',
      bytes: writeTflite(blockSquared('depth-to-space')),
      expect: { status: 'XTML_STATUS_SHAPE_MISMATCH', detail: /operator 0 \(DEPTH_TO_SPACE\).*depth is not a multiple of block_size 65535 squared/ },
    },
    {
      file: 'space-to-depth-block-squared.tflite',
      bytes: writeTflite(blockSquared('space-to-depth')),
      expect: { status: 'XTML_STATUS_SHAPE_MISMATCH', detail: /operator 0 \(SPACE_TO_DEPTH\).*depth times block_size 65535 squared is too large/ },
    },
    {
      file: 'batch-to-space-block-product.tflite',
      bytes: writeTflite(blockSquared('batch-to-space')),
      expect: { status: 'XTML_STATUS_SHAPE_MISMATCH', detail: /operator 0 \(BATCH_TO_SPACE_ND\).*batch is not a multiple of the block/ },
    },
    {
      file: 'int16-batch-matmul-shift.tflite',
      bytes: writeTflite(int16MatmulShift()),
      expect: { status: 'XTML_STATUS_UNSUPPORTED_CONFIG', detail: /operator 0 \(BATCH_MATMUL\).*requantization scale is out of range/ },
    },
    {
      file: 'transpose-conv-empty-output.tflite',
      bytes: writeTflite(transposeConvEmpty()),
      expect: { input: new Uint8Array([3]), output: new Uint8Array([]) },
    },
    {
      file: 'slice-begin-int32-min.tflite',
      bytes: writeTflite(sliceBeginMin()),
      expect: { status: 'XTML_STATUS_BAD_OPTIONS', detail: /operator 0 \(SLICE\).*begin -2147483648 size -1 of axis 0 do not fit its size 14/ },
    },
    {
      file: 'variable-view-of-constant.tflite',
      bytes: writeTflite(variableViewOfConstant()),
      expect: { input: new Uint8Array([7]), output: new Uint8Array([1, 2, 3, 4]) },
    },
  ];
}
