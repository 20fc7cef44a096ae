// Group 'misc' of test/data/tflm-ops: the remaining simple builtins of issue 14
// (SQUARE, SIN, COS, REDUCE_ALL, SPLIT_V, REVERSE_V2, L2_POOL_2D,
// DYNAMIC_UPDATE_SLICE) in the types TFLM's reference kernels accept, and the
// configurations TFLM refuses (with the status our core refuses them with).
//
//   npm run tflm-ops -- --group misc --oracle /work/scratch-tflm/bin/tflm_run
import { encode, type OpConfig, type OpTensor, type Quant, type TensorDtype } from './gen.js';

const q = (scale: number, zeroPoint: number): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });
const act = (name: string, dtype: TensorDtype, shape: readonly number[], quant?: Quant): OpTensor =>
  ({ name, dtype, shape, ...(quant !== undefined ? { quant } : {}) });
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const short = (dtype: TensorDtype): string => (dtype === 'float32' ? 'f32' : dtype);
const quantOf = (dtype: TensorDtype): Quant | undefined => (dtype === 'int8' ? q(0.05, -3) : dtype === 'int16' ? q(0.001, 0) : undefined);

const POOL2D_OPTIONS = 5;
const REDUCER_OPTIONS = 27;
const SPLIT_V_OPTIONS = 79;

// ---- SQUARE, SIN, COS (float32) ----

// Arguments seeded inputs in [-1, 1) miss: multiples of pi/2 and near them
// (the reduction's hardest cases), large and huge magnitudes, signed zeros,
// tiny and subnormal values.
const trigFloats = [
  0, -0, 1e-30, -1.5e-40, 3e-4, -0.7853981, 0.7853982, 1.5707964, -1.5707963, 3.1415927, -3.1415925, 4.712389,
  6.2831855, 10, -25.5, 100, 1000.125, -12345.678, 1e5, 3.0e6, -8388607.5, 1.6777216e7, 1e20, -3.4e38,
];
const squareFloats = [
  0, -0, 1, -1, 1.5, -2.5, 1e-20, 1e-23, 1.5e-40, 1e19, -1e19, 1.8446743e19, 2e19, 3e38, -3e38, 0.1, 7.25, -100.5,
  65536, 4096.5, 1e-45, 3.4e-20, 123.456, -0.333,
];
const f32 = (values: readonly number[]): Uint8Array => encode('float32', values);

function unaryFloat(op: string, values: readonly number[], extra: Partial<OpConfig> = {}): OpConfig {
  return {
    id: `op_${op.toLowerCase()}_f32`,
    source: `${op} float32: input [2, 3, 4]; seeded inputs and hand-chosen 'wide' ones (multiples of pi/2 and near them, large, tiny, signed zeros)`,
    op,
    tensors: [act('input', 'float32', [2, 3, 4]), act('output', 'float32', [2, 3, 4])],
    inputs: [0],
    outputs: [1],
    vectors: [{ name: 'wide', input: f32(values) }],
    ...extra,
  };
}

// ---- REDUCE_ALL (bool) ----

function reduceAll(name: string, shape: readonly number[], axes: readonly number[], keep: boolean, extra: Partial<OpConfig> = {},
  dtype: TensorDtype = 'bool'): OpConfig {
  const red = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const outShape = shape.flatMap((d, i) => (red.has(i) ? (keep ? [1] : []) : [d]));
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    id: `op_reduce_all_${name}`,
    source: `REDUCE_ALL ${dtype}: input [${shape.join(', ')}], axis [${axes.join(', ')}], keep_dims ${keep}; seeded bools (half true) and a hand-chosen 'mostly_true' vector (one false)`,
    op: 'REDUCE_ALL',
    tensors: [act('input', dtype, shape), { name: 'axis', dtype: 'int32', shape: [axes.length], values: axes }, act('output', dtype, outShape)],
    inputs: [0, 1],
    outputs: [2],
    optionsType: REDUCER_OPTIONS,
    options: [{ slot: 0, type: 'bool', value: keep ? 1 : 0 }],
    ...(dtype === 'bool' ? { vectors: [{ name: 'mostly_true', input: Uint8Array.from({ length: n }, (_, i) => (i === 5 ? 0 : 1)) }] } : {}),
    ...extra,
  };
}

// ---- SPLIT_V ----

function splitV(dtype: TensorDtype, shape: readonly number[], axis: number, sizes: readonly number[], written: readonly number[] = sizes,
  extra: Partial<OpConfig> = {}, name = ''): OpConfig {
  const a = axis < 0 ? axis + shape.length : axis;
  const qq = quantOf(dtype);
  const outs = sizes.map((s, i) => act(`output${i}`, dtype, shape.map((d, k) => (k === a ? s : d)), qq));
  return {
    id: `op_split_v_${short(dtype)}${name}`,
    source: `SPLIT_V ${dtype}: input [${shape.join(', ')}], size_splits [${written.join(', ')}], axis ${axis}`,
    op: 'SPLIT_V',
    tensors: [act('input', dtype, shape, qq), { name: 'size_splits', dtype: 'int32', shape: [written.length], values: written },
      { name: 'axis', dtype: 'int32', shape: [], values: [axis] }, ...outs],
    inputs: [0, 1, 2],
    outputs: sizes.map((_, i) => 3 + i),
    optionsType: SPLIT_V_OPTIONS,
    options: [{ slot: 0, type: 'i32', value: sizes.length }],
    ...extra,
  };
}

// ---- REVERSE_V2 ----

function reverse(dtype: TensorDtype, shape: readonly number[], axes: readonly number[], extra: Partial<OpConfig> = {}, name = ''): OpConfig {
  const qq = quantOf(dtype);
  return {
    id: `op_reverse_v2_${short(dtype)}${name}`,
    source: `REVERSE_V2 ${dtype}: input [${shape.join(', ')}], axes [${axes.join(', ')}]`,
    op: 'REVERSE_V2',
    tensors: [act('input', dtype, shape, qq), { name: 'axes', dtype: 'int32', shape: [axes.length], values: axes }, act('output', dtype, shape, qq)],
    inputs: [0, 1],
    outputs: [2],
    ...extra,
  };
}

// ---- L2_POOL_2D ----

function l2Pool(name: string, shape: readonly number[], filter: [number, number], stride: [number, number], same: boolean, actCode: number,
  outShape: readonly number[], extra: Partial<OpConfig> = {}, dtype: TensorDtype = 'float32'): OpConfig {
  const qq = dtype === 'int8' ? q(0.05, 0) : undefined;
  return {
    id: `op_l2_pool_2d_${name}`,
    source: `L2_POOL_2D ${dtype}: input [${shape.join(', ')}], filter ${filter.join('x')}, stride ${stride.join('x')}, ${same ? 'SAME' : 'VALID'}, activation ${actCode}`,
    op: 'L2_POOL_2D',
    tensors: [act('input', dtype, shape, qq), act('output', dtype, outShape, qq)],
    inputs: [0],
    outputs: [1],
    optionsType: POOL2D_OPTIONS,
    options: [
      { slot: 0, type: 'i8', value: same ? 0 : 1 }, { slot: 1, type: 'i32', value: stride[1] }, { slot: 2, type: 'i32', value: stride[0] },
      { slot: 3, type: 'i32', value: filter[1] }, { slot: 4, type: 'i32', value: filter[0] }, { slot: 5, type: 'i8', value: actCode },
    ],
    ...extra,
  };
}

// ---- DYNAMIC_UPDATE_SLICE ----

/** Seeded operand and update, then the start indices given (hand-chosen vectors). */
function seededBytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s >>> 24;
  });
}

function updateSlice(dtype: TensorDtype, shape: readonly number[], update: readonly number[], startType: 'int32' | 'int64',
  starts: readonly (readonly number[])[], extra: Partial<OpConfig> = {}, name = ''): OpConfig {
  const qq = quantOf(dtype);
  const esize = dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'int16' ? 2 : 1;
  const nOp = shape.reduce((a, b) => a * b, 1) * esize;
  const nUp = update.reduce((a, b) => a * b, 1) * esize;
  // float32 data from raw seeded bytes would hold NaNs and huge values: use encoded small floats
  const data = (n: number, seed: number): Uint8Array => (dtype === 'float32'
    ? f32(Array.from(seededBytes(n / 4, seed), (b) => (b - 128) / 16))
    : seededBytes(n, seed));
  return {
    id: `op_dynamic_update_slice_${short(dtype)}${name}`,
    source: `DYNAMIC_UPDATE_SLICE ${dtype}: operand [${shape.join(', ')}], update [${update.join(', ')}], start ${startType} [${shape.length}] as an input; seeded vectors (start indices from random bytes: far out of range, clamped) and hand-chosen start indices ${starts.map((s) => `[${s.join(', ')}]`).join(' ')}`,
    op: 'DYNAMIC_UPDATE_SLICE',
    tensors: [act('operand', dtype, shape, qq), act('update', dtype, update, qq), act('start', startType, [shape.length]), act('output', dtype, shape, qq)],
    inputs: [0, 1, 2],
    outputs: [3],
    vectors: starts.map((s, k) => ({ name: `start${k}`, input: cat(data(nOp, 11 + k), data(nUp, 21 + k), encode(startType, s)) })),
    ...extra,
  };
}

// ---- int4-packed weights: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED ----

/** Constant values of one configuration: xorshift32 from a seed, in [lo, hi]. */
function constInts(seed: number, n: number, lo: number, hi: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return lo + (s % (hi - lo + 1));
  });
}

const CONV2D_OPTIONS = 1;
const DEPTHWISE_OPTIONS = 2;
const FC_OPTIONS = 8;
const IN_Q = q(0.05, -3);
const OUT_Q = q(0.1, 5);

/** Weights int4 (or int8 for the same values: the check that both give TFLM's same outputs). */
function int4Weights(name: string, dtype: 'int4' | 'int8', shape: readonly number[], axis: number, scales: readonly number[], zeroPoint: number, seed: number): OpTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, dtype, shape, values: constInts(seed, n, -8, 7), quant: { scale: scales, zeroPoint: scales.map(() => zeroPoint), axis } };
}

function biasFor(n: number, scales: readonly number[], seed: number): OpTensor {
  return { name: 'bias', dtype: 'int32', shape: [n], values: constInts(seed, n, -300, 300), quant: { scale: scales.map((s) => Math.fround(Math.fround(IN_Q.scale[0]!) * Math.fround(s))), zeroPoint: scales.map(() => 0) } };
}

function convInt4(name: string, dtype: 'int4' | 'int8', input: readonly number[], filter: readonly number[], out: readonly number[], same: boolean,
  stride: number, act: number, extra: Partial<OpConfig> = {}): OpConfig {
  const scales = Array.from({ length: filter[0]! }, (_, i) => 0.02 + 0.005 * i);
  return {
    id: `op_conv_2d_${dtype}_weights_${name}`,
    source: `CONV_2D int8 input [${input.join(', ')}], ${dtype} filter [${filter.join(', ')}] per channel (zero point 0, values in [-8, 7]), int32 bias, ${same ? 'SAME' : 'VALID'}, stride ${stride}, activation ${act}`,
    op: 'CONV_2D',
    version: dtype === 'int4' ? 7 : 3,
    tensors: [act_('input', input), int4Weights('filter', dtype, filter, 0, scales, 0, 101), biasFor(filter[0]!, scales, 102), act_('output', out, OUT_Q)],
    inputs: [0, 1, 2],
    outputs: [3],
    optionsType: CONV2D_OPTIONS,
    options: [{ slot: 0, type: 'i8', value: same ? 0 : 1 }, { slot: 1, type: 'i32', value: stride }, { slot: 2, type: 'i32', value: stride }, { slot: 3, type: 'i8', value: act }],
    ...extra,
  };
}
function act_(name: string, shape: readonly number[], quant: Quant = IN_Q): OpTensor {
  return act(name, 'int8', shape, quant);
}

function depthwiseInt4(name: string, dtype: 'int4' | 'int8', input: readonly number[], mult: number, k: number, out: readonly number[], stride: number): OpConfig {
  const channels = input[3]! * mult;
  const scales = Array.from({ length: channels }, (_, i) => 0.03 + 0.004 * i);
  return {
    id: `op_depthwise_conv_2d_${dtype}_weights_${name}`,
    source: `DEPTHWISE_CONV_2D int8 input [${input.join(', ')}], ${dtype} filter [1, ${k}, ${k}, ${channels}] per channel (zero point 0), depth multiplier ${mult}, int32 bias, SAME, stride ${stride}`,
    op: 'DEPTHWISE_CONV_2D',
    version: dtype === 'int4' ? 7 : 3,
    tensors: [act_('input', input), int4Weights('filter', dtype, [1, k, k, channels], 3, scales, 0, 201), biasFor(channels, scales, 202), act_('output', out, OUT_Q)],
    inputs: [0, 1, 2],
    outputs: [3],
    optionsType: DEPTHWISE_OPTIONS,
    options: [{ slot: 0, type: 'i8', value: 0 }, { slot: 1, type: 'i32', value: stride }, { slot: 2, type: 'i32', value: stride },
      { slot: 3, type: 'i32', value: mult }, { slot: 4, type: 'i8', value: 0 }],
  };
}

function fcInt4(name: string, dtype: 'int4' | 'int8', batches: number, depth: number, units: number, zeroPoint: number, withBias: boolean,
  scales: readonly number[] = [0.04], extra: Partial<OpConfig> = {}): OpConfig {
  return {
    id: `op_fully_connected_${dtype}_weights_${name}`,
    source: `FULLY_CONNECTED int8 input [${batches}, ${depth}], ${dtype} weights [${units}, ${depth}] (${depth * units} values${(depth * units) % 2 !== 0 ? ', odd: the last byte holds one' : ''}), ${scales.length > 1 ? 'per channel' : 'per tensor'}, zero point ${zeroPoint}, ${withBias ? 'int32 bias' : 'no bias'}`,
    op: 'FULLY_CONNECTED',
    version: dtype === 'int4' ? 13 : 4,
    tensors: [act_('input', [batches, depth]), int4Weights('weights', dtype, [units, depth], 0, scales, zeroPoint, 301),
      ...(withBias ? [biasFor(units, scales, 302)] : []), act_('output', [batches, units], OUT_Q)],
    inputs: withBias ? [0, 1, 2] : [0, 1, -1],
    outputs: [withBias ? 3 : 2],
    optionsType: FC_OPTIONS,
    options: [{ slot: 0, type: 'i8', value: 0 }],
    ...extra,
  };
}

const int4Configs = (dtype: 'int4' | 'int8'): OpConfig[] => [
  convInt4('same_s1', dtype, [1, 5, 5, 3], [4, 3, 3, 3], [1, 5, 5, 4], true, 1, 0),
  convInt4('valid_s2_relu6', dtype, [2, 6, 5, 2], [3, 3, 2, 2], [2, 2, 2, 3], false, 2, 3),
  depthwiseInt4('m2_s1', dtype, [1, 4, 4, 2], 2, 3, [1, 4, 4, 4], 1),
  depthwiseInt4('m1_s2', dtype, [1, 5, 5, 3], 1, 3, [1, 3, 3, 3], 2),
  fcInt4('odd', dtype, 2, 5, 3, 0, true),
  fcInt4('nobias', dtype, 3, 8, 4, 0, false),
];

export const configs: OpConfig[] = [
  ...int4Configs('int4'),
  // the same weights as int8: TFLM must give the int4 models' outputs (test/tflm-misc-ops.test.ts)
  ...int4Configs('int8'),
  fcInt4('per_channel_refused', 'int4', 2, 4, 3, 0, true, [0.04, 0.05, 0.06], {
    refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG', source: 'FULLY_CONNECTED int8 input, int4 weights per channel: TFLM runs per-channel weights in int8 and int16 only',
  }),
  unaryFloat('SQUARE', squareFloats),
  unaryFloat('SIN', trigFloats, { ulpTolerance: 1, source: 'SIN float32: input [2, 3, 4]; seeded inputs and hand-chosen ones (multiples of pi/2 and near them, up to 3.4e38, signed zeros, tiny); glibc sinf may differ by 1 ulp' }),
  unaryFloat('COS', trigFloats, { ulpTolerance: 1, source: 'COS float32: input [2, 3, 4]; seeded inputs and hand-chosen ones (multiples of pi/2 and near them, up to 3.4e38, signed zeros, tiny); glibc cosf may differ by 1 ulp' }),
  {
    id: 'op_sin_f32_sweep', source: 'SIN float32: input [256]; seeded inputs and hand-chosen multiples of pi/4 around -100..100 with small offsets', op: 'SIN', ulpTolerance: 1,
    tensors: [act('input', 'float32', [256]), act('output', 'float32', [256])], inputs: [0], outputs: [1],
    vectors: [{ name: 'sweep', input: f32(Array.from({ length: 256 }, (_, i) => (i - 128) * 0.7853981633974483 + ((i * 37) % 11 - 5) * 1e-3)) }],
  },
  {
    id: 'op_cos_f32_sweep', source: 'COS float32: input [256]; hand-chosen multiples of pi/4 around -100..100 with small offsets', op: 'COS', ulpTolerance: 1,
    tensors: [act('input', 'float32', [256]), act('output', 'float32', [256])], inputs: [0], outputs: [1],
    vectors: [{ name: 'sweep', input: f32(Array.from({ length: 256 }, (_, i) => (i - 128) * 0.7853981633974483 + ((i * 37) % 11 - 5) * 1e-3)) }],
  },
  reduceAll('bool_ax1_drop', [2, 3, 4], [1], false),
  reduceAll('bool_ax0_2_keep', [2, 3, 4], [0, 2], true),
  reduceAll('bool_axm1_drop', [2, 3, 4], [-1], false),
  reduceAll('bool_all_axes_drop', [2, 3, 4], [0, 1, 2], false),
  splitV('float32', [2, 6, 3], 1, [1, 3, 2]),
  splitV('int8', [2, 3, 5], -1, [2, 3], [2, -1], {}, '_inferred_size'),
  splitV('int16', [4, 2, 2], 0, [1, 1, 2]),
  splitV('int32', [3, 4], 1, [4]),
  reverse('float32', [2, 3, 4], [1]),
  reverse('int8', [2, 3, 4], [1, 2], {}, '_ax1_2'),
  reverse('uint8', [2, 3, 4], [2, 1], {}, '_ax2_1'),
  reverse('int16', [2, 3, 4], [0]),
  reverse('int32', [2, 3, 4], [-1]),
  reverse('int64', [2, 3, 2], [0, 1, 2]),
  reverse('bool', [2, 3, 4], [0, 1]),
  l2Pool('f32_2x2_s2_same', [1, 5, 5, 3], [2, 2], [2, 2], true, 0, [1, 3, 3, 3]),
  l2Pool('f32_3x2_s1_valid_relu6', [2, 4, 5, 2], [3, 2], [1, 1], false, 3, [2, 2, 4, 2]),
  l2Pool('f32_3x3_s2_same_relu_n1', [1, 6, 6, 2], [3, 3], [2, 2], true, 2, [1, 3, 3, 2]),
  updateSlice('float32', [4, 5], [2, 3], 'int32', [[1, 2], [3, 4], [-1, 0]]),
  updateSlice('int8', [2, 3, 4], [1, 2, 2], 'int64', [[1, 1, 2], [0, 0, 0], [5, -7, 9]]),
  updateSlice('int16', [3, 4], [3, 1], 'int32', [[0, 2], [0, 3]]),
  updateSlice('int32', [2, 3], [2, 3], 'int32', [[0, 0], [1, 1]], {}, '_whole'),
  // ---- refused by TFLM ----
  {
    ...unaryFloat('SIN', []), id: 'op_sin_int8_refused', tensors: [act('input', 'int8', [2, 3, 4], q(0.05, 0)), act('output', 'int8', [2, 3, 4], q(0.05, 0))],
    vectors: [], refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'SIN int8: TFLM runs float32 only',
  },
  {
    ...unaryFloat('SQUARE', []), id: 'op_square_int32_refused', tensors: [act('input', 'int32', [2, 3, 4]), act('output', 'int32', [2, 3, 4])],
    vectors: [], refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'SQUARE int32: TFLM runs float32 only',
  },
  reduceAll('f32_refused', [2, 3, 4], [1], false, { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'REDUCE_ALL float32: bool only' }, 'float32'),
  splitV('bool', [2, 4], 1, [1, 3], [1, 3], { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'SPLIT_V bool: TFLM runs float32, int8, int16 and int32' }, '_refused'),
  reverse('float32', [2, 3, 4], [0, 2], { refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG', source: 'REVERSE_V2 float32 axes [0, 2]: TFLM reverses contiguous axes only' }, '_noncontiguous_refused'),
  l2Pool('int8_refused', [1, 4, 4, 2], [2, 2], [2, 2], true, 0, [1, 2, 2, 2], { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'L2_POOL_2D int8: TFLM runs float32 only' }, 'int8'),
  updateSlice('bool', [2, 3], [1, 2], 'int32', [[0, 0]], { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'DYNAMIC_UPDATE_SLICE bool: TFLM runs float32, int8, int16 and int32', vectors: [], seeds: [1] }, '_refused'),
];
