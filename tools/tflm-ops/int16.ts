// Group 'int16' of test/data/tflm-ops: 16x8 quantization (int16 activations
// with zero point 0, int8 weights, int64 biases as TFLite writes them and the
// int32 biases TFLM 90b983c also accepts) for CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED and TRANSPOSE_CONV, and int16 MAX_POOL_2D, AVERAGE_POOL_2D
// and MEAN; plus configurations TFLM refuses (and the status our core refuses
// them with). Seeded int16 inputs take every value of the int16 range.
import type { FlatField } from '../../src/convert/tflite-write.js';
import { encode, type OpConfig, type OpTensor, type Quant, type TensorDtype } from './gen.js';

const q = (scale: number, zeroPoint = 0): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });
const perChannel = (scales: readonly number[], axis: number): Quant => ({ scale: scales, zeroPoint: scales.map(() => 0), axis });
const act = (name: string, dtype: TensorDtype, shape: readonly number[], quant?: Quant): OpTensor =>
  ({ name, dtype, shape, ...(quant !== undefined ? { quant } : {}) });
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
/** Deterministic constants: ((i * k) mod m) - offset. */
const pattern = (n: number, mod: number, offset: number, k = 37): number[] => Array.from({ length: n }, (_, i) => ((i * k) % mod) - offset);
const weights8 = (n: number): number[] => pattern(n, 255, 127);
/** Channel scales around `base`, one per channel. */
const scales = (n: number, base: number): number[] => Array.from({ length: n }, (_, i) => base * (1 + 0.25 * (i % 4)));
/** 1/32768: an int16 input covering [-1, 1). */
const IN = 1 / 32768;

type Padding = 'SAME' | 'VALID';
type BiasType = 'int64' | 'int32' | 'int16' | 'float32' | 'none';
const ACT = { none: 0, relu: 1, relu_n1_to_1: 2, relu6: 3 } as const;
type Act = keyof typeof ACT;

interface ConvSpec {
  id: string;
  depthwise?: boolean;
  input: readonly [number, number, number, number];
  /** Filter height, width. */
  kernel: readonly [number, number];
  /** Output channels (depthwise: input channels x depth multiplier). */
  outC: number;
  /** CONV_2D: filter depth (input channels per group); default all. */
  filterC?: number;
  stride?: readonly [number, number];
  dilation?: readonly [number, number];
  padding: Padding;
  bias: BiasType;
  act?: Act;
  /** One weight scale (per tensor) instead of one per channel. */
  perTensor?: boolean;
  weightScale: number;
  outScale: number;
  inZeroPoint?: number;
  /** Conv2DOptions.quantized_bias_type (TensorType), CONV_2D only. */
  quantizedBiasType?: number;
  weightsType?: TensorDtype;
  /** A bias of zeros (TFLM's 16x8 depthwise aborts without a bias: the no-bias twin is checked against it). */
  zeroBias?: boolean;
  extra?: Partial<OpConfig>;
}

const outSize = (padding: Padding, n: number, k: number, s: number, d: number): number =>
  padding === 'SAME' ? Math.ceil(n / s) : Math.floor((n - ((k - 1) * d + 1)) / s) + 1;

/** Bias constants: mixed signs, magnitudes near the accumulator's; an int64 one also past 2^32. */
function biasValues(type: BiasType, n: number): number[] {
  const base = pattern(n, 2001, 1000, 613).map((v) => v * 300);
  if (type === 'int64' && n > 2) base[n - 1] = -5_000_000_000;
  if (type === 'int16') return pattern(n, 2001, 1000, 613).map((v) => v * 30);
  if (type === 'float32') return base.map((v) => v / 1024);
  return base;
}

function conv(s: ConvSpec): OpConfig {
  const [n, h, w, c] = s.input;
  const [kh, kw] = s.kernel;
  const stride = s.stride ?? [1, 1];
  const dil = s.dilation ?? [1, 1];
  const oh = outSize(s.padding, h, kh, stride[0], dil[0]);
  const ow = outSize(s.padding, w, kw, stride[1], dil[1]);
  const op = s.depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D';
  const filterC = s.filterC ?? c;
  const wShape = s.depthwise ? [1, kh, kw, s.outC] : [s.outC, kh, kw, filterC];
  const wQuant = s.perTensor ? q(s.weightScale) : perChannel(scales(s.outC, s.weightScale), s.depthwise ? 3 : 0);
  const tensors: OpTensor[] = [
    act('input', 'int16', s.input, q(IN, s.inZeroPoint ?? 0)),
    { name: 'filter', dtype: s.weightsType ?? 'int8', shape: wShape, values: weights8(count(wShape)), quant: wQuant },
    act('output', 'int16', [n, oh, ow, s.outC], q(s.outScale)),
  ];
  if (s.bias !== 'none') {
    tensors.push({
      name: 'bias', dtype: s.bias, shape: [s.outC], values: s.zeroBias ? Array(s.outC).fill(0) : biasValues(s.bias, s.outC),
      ...(s.bias !== 'float32' ? { quant: perChannel(wQuant.scale.map((x) => Math.fround(IN * x)), 0) } : {}),
    });
  }
  const a = ACT[s.act ?? 'none'];
  const options: FlatField[] = s.depthwise
    ? [
      { slot: 0, type: 'i8', value: s.padding === 'SAME' ? 0 : 1 },
      { slot: 1, type: 'i32', value: stride[1] }, { slot: 2, type: 'i32', value: stride[0] },
      { slot: 3, type: 'i32', value: s.outC / c },
      { slot: 4, type: 'i8', value: a },
      { slot: 5, type: 'i32', value: dil[1] }, { slot: 6, type: 'i32', value: dil[0] },
    ]
    : [
      { slot: 0, type: 'i8', value: s.padding === 'SAME' ? 0 : 1 },
      { slot: 1, type: 'i32', value: stride[1] }, { slot: 2, type: 'i32', value: stride[0] },
      { slot: 3, type: 'i8', value: a },
      { slot: 4, type: 'i32', value: dil[1] }, { slot: 5, type: 'i32', value: dil[0] },
      ...(s.quantizedBiasType !== undefined ? [{ slot: 6, type: 'i8' as const, value: s.quantizedBiasType }] : []),
    ];
  return {
    id: `op_${op.toLowerCase()}_16x8_${s.id}`,
    source: `${op} 16x8: input [${s.input.join(', ')}] scale 1/32768, ${s.weightsType ?? 'int8'} filter [${wShape.join(', ')}] ` +
      `${s.perTensor ? `per-tensor scale ${s.weightScale}` : `per-channel scales from ${s.weightScale}`}, ` +
      `${s.bias === 'none' ? 'no bias' : `${s.zeroBias ? 'all-zero ' : ''}${s.bias} bias`}${s.quantizedBiasType !== undefined ? ` (quantized_bias_type ${s.quantizedBiasType})` : ''}, ` +
      `output [${n}, ${oh}, ${ow}, ${s.outC}] scale ${s.outScale}, ${s.padding}, stride ${stride.join('x')}, dilation ${dil.join('x')}` +
      `${s.filterC !== undefined ? `, filter depth ${s.filterC} (grouped)` : ''}${s.act !== undefined ? `, ${s.act}` : ''}`,
    op,
    version: s.depthwise ? 5 : 4,
    tensors,
    inputs: s.bias === 'none' ? [0, 1] : [0, 1, 3],
    outputs: [2],
    optionsType: s.depthwise ? 2 : 1,
    options,
    ...s.extra,
  };
}

interface FcSpec {
  id: string;
  input: readonly number[];
  units: number;
  bias: BiasType;
  perTensor?: boolean;
  weightScale: number;
  outScale: number;
  inZeroPoint?: number;
  outZeroPoint?: number;
  act?: Act;
  quantizedBiasType?: number;
  weightsType?: TensorDtype;
  extra?: Partial<OpConfig>;
}

function fc(s: FcSpec): OpConfig {
  const depth = s.input[s.input.length - 1]!;
  const batches = count(s.input) / depth;
  const wShape = [s.units, depth];
  const wQuant = s.perTensor ? q(s.weightScale) : perChannel(scales(s.units, s.weightScale), 0);
  const inQuant = q(IN, s.inZeroPoint ?? 0);
  const tensors: OpTensor[] = [
    act('input', 'int16', s.input, inQuant),
    { name: 'weights', dtype: s.weightsType ?? 'int8', shape: wShape, values: weights8(count(wShape)), quant: wQuant },
    act('output', 'int16', [batches, s.units], q(s.outScale, s.outZeroPoint ?? 0)),
  ];
  if (s.bias !== 'none') {
    tensors.push({
      name: 'bias', dtype: s.bias, shape: [s.units], values: biasValues(s.bias, s.units),
      quant: s.perTensor ? q(Math.fround(IN * s.weightScale)) : perChannel(wQuant.scale.map((x) => Math.fround(IN * x)), 0),
    });
  }
  return {
    id: `op_fully_connected_16x8_${s.id}`,
    source: `FULLY_CONNECTED 16x8: input [${s.input.join(', ')}] scale 1/32768 zp ${s.inZeroPoint ?? 0}, int8 weights [${wShape.join(', ')}] ` +
      `${s.perTensor ? `per-tensor scale ${s.weightScale}` : `per-channel scales from ${s.weightScale}`}, ` +
      `${s.bias === 'none' ? 'no bias' : `${s.bias} bias`}${s.quantizedBiasType !== undefined ? ` (quantized_bias_type ${s.quantizedBiasType})` : ''}, ` +
      `output [${batches}, ${s.units}] scale ${s.outScale} zp ${s.outZeroPoint ?? 0}${s.act !== undefined ? `, ${s.act}` : ''}`,
    op: 'FULLY_CONNECTED',
    version: 7,
    tensors,
    inputs: s.bias === 'none' ? [0, 1] : [0, 1, 3],
    outputs: [2],
    optionsType: 8,
    options: [
      { slot: 0, type: 'i8', value: ACT[s.act ?? 'none'] },
      ...(s.quantizedBiasType !== undefined ? [{ slot: 4, type: 'i8' as const, value: s.quantizedBiasType }] : []),
    ],
    ...s.extra,
  };
}

function pool(op: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D', id: string, input: readonly [number, number, number, number],
  filter: readonly [number, number], stride: readonly [number, number], padding: Padding, a: Act, inQ: Quant, outQ: Quant,
  extra: Partial<OpConfig> = {}): OpConfig {
  const [n, h, w, c] = input;
  const oh = outSize(padding, h, filter[0], stride[0], 1);
  const ow = outSize(padding, w, filter[1], stride[1], 1);
  return {
    id: `op_${op.toLowerCase()}_int16_${id}`,
    source: `${op} int16: input [${input.join(', ')}] scale ${inQ.scale[0]} zp ${inQ.zeroPoint[0]}, filter ${filter.join('x')}, stride ${stride.join('x')}, ` +
      `${padding}, ${a}, output scale ${outQ.scale[0]} zp ${outQ.zeroPoint[0]}`,
    op,
    version: 3,
    tensors: [act('input', 'int16', input, inQ), act('output', 'int16', [n, oh, ow, c], outQ)],
    inputs: [0],
    outputs: [1],
    optionsType: 5,
    options: [
      { slot: 0, type: 'i8', value: padding === 'SAME' ? 0 : 1 },
      { slot: 1, type: 'i32', value: stride[1] }, { slot: 2, type: 'i32', value: stride[0] },
      { slot: 3, type: 'i32', value: filter[1] }, { slot: 4, type: 'i32', value: filter[0] },
      { slot: 5, type: 'i8', value: ACT[a] },
    ],
    ...extra,
  };
}

function mean(id: string, input: readonly number[], axes: readonly number[], keepDims: boolean, inQ: Quant, outQ: Quant,
  extra: Partial<OpConfig> = {}): OpConfig {
  const norm = axes.map((a) => (a < 0 ? a + input.length : a));
  const out = input.flatMap((d, i) => (norm.includes(i) ? (keepDims ? [1] : []) : [d]));
  return {
    id: `op_mean_int16_${id}`,
    source: `MEAN int16: input [${input.join(', ')}] scale ${inQ.scale[0]} zp ${inQ.zeroPoint[0]}, axes [${axes.join(', ')}], keep_dims ${keepDims}, ` +
      `output [${out.join(', ')}] scale ${outQ.scale[0]} zp ${outQ.zeroPoint[0]}`,
    op: 'MEAN',
    version: 3,
    tensors: [
      act('input', 'int16', input, inQ),
      { name: 'axis', dtype: 'int32', shape: [axes.length], values: axes },
      act('output', 'int16', out, outQ),
    ],
    inputs: [0, 1],
    outputs: [2],
    optionsType: 27,
    options: [{ slot: 0, type: 'bool', value: keepDims ? 1 : 0 }],
    ...extra,
  };
}

interface TconvSpec {
  id: string;
  input: readonly [number, number, number, number];
  kernel: readonly [number, number];
  outC: number;
  out: readonly [number, number];
  stride: readonly [number, number];
  padding: Padding;
  bias: BiasType;
  act?: Act;
  perTensor?: boolean;
  weightScale: number;
  outScale: number;
  /** The output shape is a graph input (as in SEANet's layers), given with each vector. */
  shapeInput?: boolean;
  extra?: Partial<OpConfig>;
}

/** Hand-chosen vectors for an output shape fed at invoke: the shape, then an int16 input pattern. */
function shapeVectors(shape: readonly number[], inputCount: number): { name: string; input: Uint8Array }[] {
  return [[37, 'pattern'], [8191, 'wide']].map(([k, name]) => ({
    name: String(name),
    input: new Uint8Array([...encode('int32', shape), ...encode('int16', pattern(inputCount, 65535, 32767, Number(k)))]),
  }));
}

function tconv(s: TconvSpec): OpConfig {
  const [n, , , inC] = s.input;
  const wShape = [s.outC, s.kernel[0], s.kernel[1], inC];
  const wQuant = s.perTensor ? q(s.weightScale) : perChannel(scales(s.outC, s.weightScale), 0);
  const tensors: OpTensor[] = [
    { name: 'output_shape', dtype: 'int32', shape: [4], ...(s.shapeInput ? {} : { values: [n, s.out[0], s.out[1], s.outC] }) },
    { name: 'weights', dtype: 'int8', shape: wShape, values: weights8(count(wShape)), quant: wQuant },
    act('input', 'int16', s.input, q(IN)),
    act('output', 'int16', [n, s.out[0], s.out[1], s.outC], q(s.outScale)),
  ];
  if (s.bias !== 'none') {
    tensors.push({
      name: 'bias', dtype: s.bias, shape: [s.outC], values: biasValues(s.bias, s.outC),
      quant: perChannel(wQuant.scale.map((x) => Math.fround(IN * x)), 0),
    });
  }
  return {
    id: `op_transpose_conv_16x8_${s.id}`,
    source: `TRANSPOSE_CONV 16x8: input [${s.input.join(', ')}] scale 1/32768, int8 weights [${wShape.join(', ')}] ` +
      `${s.perTensor ? `per-tensor scale ${s.weightScale}` : `per-channel scales from ${s.weightScale}`}, ` +
      `${s.bias === 'none' ? 'no bias' : `${s.bias} bias`}, output [${n}, ${s.out.join(', ')}, ${s.outC}] scale ${s.outScale}, ` +
      `${s.padding}, stride ${s.stride.join('x')}${s.act !== undefined ? `, ${s.act}` : ''}`,
    op: 'TRANSPOSE_CONV',
    version: 3,
    tensors,
    inputs: s.bias === 'none' ? [0, 1, 2] : [0, 1, 2, 4],
    outputs: [3],
    optionsType: 49,
    options: [
      { slot: 0, type: 'i8', value: s.padding === 'SAME' ? 0 : 1 },
      { slot: 1, type: 'i32', value: s.stride[1] }, { slot: 2, type: 'i32', value: s.stride[0] },
      { slot: 3, type: 'i8', value: ACT[s.act ?? 'none'] },
    ],
    // no seeded vectors: random bytes are no output shape (TFLM ignores it; we check it at invoke)
    ...(s.shapeInput ? { seeds: [], vectors: shapeVectors([n, s.out[0], s.out[1], s.outC], count(s.input)) } : {}),
    ...s.extra,
  };
}

/** Output scales that keep most seeded outputs inside int16 (taps x ~2^21 per product). */
export const configs: OpConfig[] = [
  // ---- CONV_2D ----
  conv({ id: 'same_s1_bias64', input: [1, 5, 5, 3], kernel: [3, 3], outC: 4, padding: 'SAME', bias: 'int64', weightScale: 0.01, outScale: 2e-4 }),
  conv({ id: 'valid_s2_dil2_nobias_relu6', input: [2, 7, 6, 2], kernel: [2, 3], outC: 3, stride: [2, 1], dilation: [2, 2], padding: 'VALID',
    bias: 'none', act: 'relu6', perTensor: true, weightScale: 0.02, outScale: 3e-4 }),
  conv({ id: 'grouped_bias64_relu', input: [1, 4, 4, 4], kernel: [3, 3], outC: 6, filterC: 2, padding: 'SAME', bias: 'int64', act: 'relu',
    weightScale: 0.015, outScale: 2e-4 }),
  conv({ id: 'bias32', input: [1, 4, 5, 3], kernel: [3, 2], outC: 5, stride: [1, 2], padding: 'SAME', bias: 'int32', weightScale: 0.01, outScale: 1.5e-4 }),
  conv({ id: 'nobias_qbt_int32', input: [1, 4, 4, 2], kernel: [2, 2], outC: 3, padding: 'VALID', bias: 'none', quantizedBiasType: 2,
    weightScale: 0.01, outScale: 1e-4 }),
  conv({ id: 'scale_up_nobias', input: [1, 3, 3, 2], kernel: [1, 1], outC: 2, padding: 'VALID', bias: 'none', perTensor: true,
    weightScale: 10, outScale: 1e-4,
    extra: {
      source: 'CONV_2D 16x8: 1x1 filter, input [1, 3, 3, 2] scale 1/32768, per-tensor weight scale 10, no bias (int64 sums), output scale 1e-4: a requantization multiplier of about 3 (shift 2); seeded inputs saturate, the hand-chosen vector (inputs -36..36) does not',
      vectors: [{ name: 'small', input: new Uint8Array(new Int16Array([-36, -27, -18, -9, 0, 9, 18, 27, 36, 1, -1, 2, -2, 5, -5, 31, -31, 3]).buffer) }],
    } }),
  // ---- DEPTHWISE_CONV_2D ----
  conv({ id: 'same_m2_bias64', depthwise: true, input: [1, 5, 4, 2], kernel: [3, 3], outC: 4, padding: 'SAME', bias: 'int64', weightScale: 0.01, outScale: 1e-4 }),
  conv({ id: 'valid_s2_zero_bias_relu', depthwise: true, input: [2, 6, 6, 3], kernel: [2, 2], outC: 3, stride: [2, 2], padding: 'VALID', bias: 'int64',
    zeroBias: true, act: 'relu', perTensor: true, weightScale: 0.02, outScale: 1e-4 }),
  conv({ id: 'dil2_bias64_relu_n1', depthwise: true, input: [1, 6, 5, 2], kernel: [2, 2], outC: 2, dilation: [2, 2], padding: 'SAME', bias: 'int64',
    act: 'relu_n1_to_1', weightScale: 0.01, outScale: 4e-5 }),
  // ---- FULLY_CONNECTED ----
  fc({ id: 'bias64', input: [2, 8], units: 5, bias: 'int64', weightScale: 0.01, outScale: 5e-4 }),
  fc({ id: 'pertensor_bias32', input: [3, 6], units: 4, bias: 'int32', perTensor: true, weightScale: 0.02, outScale: 1e-3 }),
  fc({ id: 'nobias_relu_rank4', input: [1, 2, 2, 6], units: 3, bias: 'none', act: 'relu', weightScale: 0.01, outScale: 5e-4 }),
  fc({ id: 'nobias_qbt_int32', input: [2, 10], units: 3, bias: 'none', quantizedBiasType: 2, weightScale: 0.01, outScale: 5e-4 }),
  fc({ id: 'zero_points_bias64', input: [2, 7], units: 4, bias: 'int64', weightScale: 0.01, outScale: 5e-4, inZeroPoint: 120, outZeroPoint: -300,
    extra: { source: 'FULLY_CONNECTED 16x8 with non-zero int16 zero points (input 120, output -300), which TFLM\'s 16x8 fully connected kernel applies: input [2, 7], int8 weights [4, 7] per channel, int64 bias' } }),
  // ---- MAX_POOL_2D, AVERAGE_POOL_2D ----
  pool('MAX_POOL_2D', 'same_2x2_s2', [1, 5, 5, 3], [2, 2], [2, 2], 'SAME', 'none', q(IN), q(IN)),
  pool('MAX_POOL_2D', 'valid_3x2_s1_relu6', [2, 4, 5, 2], [3, 2], [1, 1], 'VALID', 'relu6', q(1e-3), q(1e-3)),
  pool('AVERAGE_POOL_2D', 'same_3x3_s2', [1, 5, 6, 2], [3, 3], [2, 2], 'SAME', 'none', q(IN), q(IN)),
  pool('AVERAGE_POOL_2D', 'valid_2x2_s1_relu', [2, 3, 4, 3], [2, 2], [1, 1], 'VALID', 'relu', q(5e-4, 7), q(5e-4, 7)),
  // ---- MEAN ----
  mean('hw_keep', [1, 3, 4, 5], [1, 2], true, q(IN), q(IN / 2)),
  mean('last_zero_points', [2, 3, 7], [-1], false, q(1e-3, 100), q(5e-4, -200)),
  mean('all_three', [2, 3, 5], [0, 2, 1], true, q(2e-4), q(1e-4)),
  // ---- TRANSPOSE_CONV ----
  tconv({ id: 'same_s2_bias64', input: [1, 3, 3, 3], kernel: [3, 3], outC: 4, out: [6, 6], stride: [2, 2], padding: 'SAME', bias: 'int64',
    weightScale: 0.01, outScale: 1e-4 }),
  tconv({ id: 'valid_s1_bias16', input: [2, 3, 3, 2], kernel: [2, 2], outC: 3, out: [4, 4], stride: [1, 1], padding: 'VALID', bias: 'int16',
    perTensor: true, weightScale: 0.02, outScale: 2e-4 }),
  tconv({ id: 'same_s2x1_nobias_relu', input: [1, 2, 3, 2], kernel: [3, 2], outC: 2, out: [4, 3], stride: [2, 1], padding: 'SAME', bias: 'none',
    act: 'relu', weightScale: 0.01, outScale: 5e-5 }),
  tconv({ id: 'shape_input_bias64', input: [1, 3, 2, 3], kernel: [3, 3], outC: 3, out: [6, 4], stride: [2, 2], padding: 'SAME', bias: 'int64',
    shapeInput: true, weightScale: 0.01, outScale: 1e-4,
    extra: { source: 'TRANSPOSE_CONV 16x8 with its output shape a graph input (SEANet\'s layers take it so), int64 bias, SAME, stride 2x2; ' +
      'hand-chosen vectors: the right shape and two int16 patterns' } }),
  // ---- refused by TFLM ----
  conv({ id: 'int16_filter_refused', input: [1, 3, 3, 2], kernel: [2, 2], outC: 2, padding: 'VALID', bias: 'none', weightsType: 'int16',
    weightScale: 0.01, outScale: 1e-4,
    extra: { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'CONV_2D int16 input with int16 filter: TFLM runs int8 filters only with int16 input ("Hybrid models are not supported")' } }),
  conv({ id: 'float_bias_refused', input: [1, 3, 3, 2], kernel: [2, 2], outC: 2, padding: 'VALID', bias: 'float32', weightScale: 0.01, outScale: 1e-4,
    extra: { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'CONV_2D 16x8 with a float32 bias: TFLM takes int32 or int64 ("Bias type FLOAT32 not supported")' } }),
  conv({ id: 'bias64_shift8_refused', input: [1, 3, 3, 2], kernel: [1, 1], outC: 2, padding: 'VALID', bias: 'int64', perTensor: true,
    weightScale: 10, outScale: 1e-6,
    extra: { refusal: 'XTML_STATUS_MODEL_QUANTIZATION', source: 'CONV_2D 16x8, int64 bias, a requantization multiplier of about 305 (shift 9): TFLM\'s 64-bit MultiplyByQuantizedMultiplier asserts shift < 8' } }),
  fc({ id: 'int16_weights_refused', input: [2, 4], units: 3, bias: 'none', weightsType: 'int16', weightScale: 0.01, outScale: 1e-4,
    extra: { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'FULLY_CONNECTED int16 input with int16 weights: TFLM takes int8 weights only' } }),
  pool('AVERAGE_POOL_2D', 'scales_differ_refused', [1, 4, 4, 2], [2, 2], [2, 2], 'VALID', 'none', q(IN), q(2 * IN),
    { refusal: 'XTML_STATUS_MODEL_QUANTIZATION' }),
  pool('MAX_POOL_2D', 'zero_points_differ_refused', [1, 4, 4, 2], [2, 2], [2, 2], 'VALID', 'none', q(IN, 0), q(IN, 5),
    { refusal: 'XTML_STATUS_MODEL_QUANTIZATION' }),
];
