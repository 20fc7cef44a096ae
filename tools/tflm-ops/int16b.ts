// Group 'int16b' of test/data/tflm-ops: 16x8 quantization (int16 activations)
// for the elementwise, activation and data-movement operators (issue 14,
// point 2): QUANTIZE, DEQUANTIZE, ADD, SUB, MUL, MAXIMUM, MINIMUM, RELU,
// RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX, CONCATENATION, RESHAPE,
// EXPAND_DIMS, SQUEEZE, TRANSPOSE, PAD, PADV2, STRIDED_SLICE, plus the
// configurations TFLM refuses (and the status our core refuses them with).
// The convolution, pooling and MEAN int16 models are group 'int16'.
import { encode, type OpConfig, type OpTensor, type Quant, type TensorDtype } from './gen.js';

const q = (scale: number, zeroPoint = 0): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });
const act = (name: string, dtype: TensorDtype, shape: readonly number[], quant?: Quant): OpTensor =>
  ({ name, dtype, shape, ...(quant !== undefined ? { quant } : {}) });
const i16 = (values: readonly number[]): Uint8Array => encode('int16', values);
const f32 = (values: readonly number[]): Uint8Array => encode('float32', values);
const qText = (x: Quant | undefined): string => (x === undefined ? 'none' : `${x.scale[0]}/${x.zeroPoint[0]}`);

// BuiltinOptions union types.
const OPTS = {
  ADD: 11, SUB: 28, MUL: 21, MAXMIN: 39, CONCATENATION: 10, RESHAPE: 17, SQUEEZE: 30, STRIDED_SLICE: 32,
  EXPAND_DIMS: 52, TRANSPOSE: 26, PAD: 22, PADV2: 43, LEAKY_RELU: 75, SOFTMAX: 9, QUANTIZE: 89, DEQUANTIZE: 38,
} as const;

// Hand-chosen int16 values: both ends, around zero, and steps in between.
const edges16 = [-32768, -32767, -16384, -1000, -255, -129, -2, -1, 0, 1, 2, 127, 128, 1000, 16383, 32766, 32767, -20000, 20000, 5, -5, 300, -300, 9999];

// Every 64th int16 value from -32768, and both ends: 1024 values.
const sweep16 = Array.from({ length: 1024 }, (_, i) => (i === 1023 ? 32767 : -32768 + 64 * i));

function unary(op: string, type: string, inType: TensorDtype, outType: TensorDtype, shape: readonly number[],
  inQuant?: Quant, outQuant?: Quant, extra: Partial<OpConfig> = {}): OpConfig {
  return {
    id: `op_${op.toLowerCase()}_${type}`,
    source: `${op} ${inType} -> ${outType}: [${shape.join(', ')}]; input ${qText(inQuant)}, output ${qText(outQuant)}`,
    op,
    tensors: [act('input', inType, shape, inQuant), act('output', outType, shape, outQuant)],
    inputs: [0],
    outputs: [1],
    ...extra,
  };
}

function binary(op: string, type: string, a: readonly number[], b: readonly number[], out: readonly number[],
  quants: [Quant, Quant, Quant], activation?: number, extra: Partial<OpConfig> = {}): OpConfig {
  const optionsType = op === 'ADD' ? OPTS.ADD : op === 'SUB' ? OPTS.SUB : op === 'MUL' ? OPTS.MUL : OPTS.MAXMIN;
  return {
    id: `op_${op.toLowerCase()}_${type}`,
    source: `${op} int16: inputs [${a.join(', ')}] and [${b.join(', ')}], output [${out.join(', ')}]; scales/zero points ${quants.map(qText).join(', ')}` +
      (activation !== undefined ? `; activation ${activation}` : ''),
    op,
    tensors: [act('input1', 'int16', a, quants[0]), act('input2', 'int16', b, quants[1]), act('output', 'int16', out, quants[2])],
    inputs: [0, 1],
    outputs: [2],
    optionsType,
    options: activation !== undefined ? [{ slot: 0, type: 'i8', value: activation }] : [],
    ...extra,
  };
}

const s16 = q(1 / 4096);

export const configs: OpConfig[] = [
  // ---- QUANTIZE (float32 -> int16, requantization int8 <-> int16 and int16 -> int16) ----
  unary('QUANTIZE', 'f32_int16', 'float32', 'int16', [2, 3, 4], undefined, q(1 / 32768), {
    optionsType: OPTS.QUANTIZE, options: [],
    vectors: [{ name: 'edges', input: f32([0, 0.5, -0.5, 1, -1, 0.99998, -0.99998, 1.5e-5, -1.5e-5, 4.5776e-5, 1e-40, -0,
      2, -2, 3e4, -3e4, 0.25, -0.25, 1 / 65536, 3 / 65536, -3 / 65536, 0.3333, 0.7, -0.7]) }],
    source: 'QUANTIZE float32 -> int16: [2, 3, 4], output 1/32768 zp 0; hand-chosen: both ends, halves between steps (rounded away from zero), out-of-range values (saturate), subnormals',
  }),
  unary('QUANTIZE', 'f32_int16_zp', 'float32', 'int16', [3, 5], undefined, q(0.0003, 100), { optionsType: OPTS.QUANTIZE, options: [] }),
  unary('QUANTIZE', 'int16_int8', 'int16', 'int8', [2, 3, 4], s16, q(0.02, -5), {
    optionsType: OPTS.QUANTIZE, options: [],
    vectors: [{ name: 'edges', input: i16(edges16) }],
  }),
  unary('QUANTIZE', 'int8_int16', 'int8', 'int16', [2, 3, 4], q(0.05, 3), s16, { optionsType: OPTS.QUANTIZE, options: [] }),
  unary('QUANTIZE', 'int16_int16', 'int16', 'int16', [2, 3, 4], q(0.001), q(0.0007, 0), {
    optionsType: OPTS.QUANTIZE, options: [],
    vectors: [{ name: 'edges', input: i16(edges16) }],
  }),
  unary('QUANTIZE', 'int16_int16_down', 'int16', 'int16', [4, 5], q(0.0005, -7), q(0.002, 11), { optionsType: OPTS.QUANTIZE, options: [] }),
  // requantization to and from int32 (SEANet's layers use int32 <-> int16); int32 inputs are
  // seeded bytes, so they span the whole int32 range and saturate most outputs, which checks the clamp
  unary('QUANTIZE', 'int32_int16', 'int32', 'int16', [2, 3, 4], q(0.00001, 0), q(0.003, 5), { optionsType: OPTS.QUANTIZE, options: [] }),
  unary('QUANTIZE', 'int32_int16_fine', 'int32', 'int16', [3, 5], q(1e-9, 1000), q(0.0005, -3), { optionsType: OPTS.QUANTIZE, options: [] }),
  unary('QUANTIZE', 'int32_int8', 'int32', 'int8', [2, 3, 4], q(1e-8, -20), q(0.02, 4), { optionsType: OPTS.QUANTIZE, options: [] }),
  unary('QUANTIZE', 'int16_int32', 'int16', 'int32', [2, 3, 4], q(0.0007, 3), q(0.00001, -100), { optionsType: OPTS.QUANTIZE, options: [] }),
  unary('QUANTIZE', 'int8_int32', 'int8', 'int32', [2, 3, 4], q(0.05, -2), q(0.0001, 7), { optionsType: OPTS.QUANTIZE, options: [] }),
  // ---- DEQUANTIZE ----
  unary('DEQUANTIZE', 'int16', 'int16', 'float32', [2, 3, 4], q(0.00012207), undefined, {
    vectors: [{ name: 'edges', input: i16(edges16) }],
  }),
  unary('DEQUANTIZE', 'int16_zp', 'int16', 'float32', [3, 4], q(0.1, -300)),
  // ---- ADD, SUB, MUL ----
  binary('ADD', 'int16', [2, 3, 4], [2, 3, 4], [2, 3, 4], [q(0.0005), q(0.0003), q(0.0006)], undefined, {
    vectors: [{ name: 'edges', input: i16([...edges16, ...edges16.slice().reverse()]) }],
  }),
  binary('ADD', 'int16_bcast_relu', [2, 3, 4], [4], [2, 3, 4], [q(1 / 4096), q(1 / 2048), q(1 / 1024)], 1),
  binary('ADD', 'int16_bcast2_relu6', [2, 1, 4], [3, 1], [2, 3, 4], [q(0.0004), q(0.0004), q(0.0005)], 3),
  binary('ADD', 'int16_zp', [3, 4], [3, 4], [3, 4], [q(0.0005, 10), q(0.0004, -20), q(0.001, 5)]),
  binary('SUB', 'int16', [2, 3, 4], [2, 3, 4], [2, 3, 4], [q(0.0005), q(0.0003), q(0.0006)], undefined, {
    vectors: [{ name: 'edges', input: i16([...edges16, ...edges16.slice().reverse()]) }],
  }),
  binary('SUB', 'int16_bcast_relu_n1', [2, 3, 4], [3, 1], [2, 3, 4], [q(1 / 8192), q(1 / 4096), q(1 / 8192)], 2),
  binary('MUL', 'int16', [2, 3, 4], [2, 3, 4], [2, 3, 4], [q(1 / 4096), q(1 / 8192), q(1 / 2048)], undefined, {
    vectors: [{ name: 'edges', input: i16([...edges16, ...edges16.slice().reverse()]) }],
  }),
  binary('MUL', 'int16_bcast_relu6', [2, 3, 4], [4], [2, 3, 4], [q(0.001), q(0.0005), q(0.0002)], 3),
  binary('MUL', 'int16_up', [3, 4], [1], [3, 4], [q(0.01), q(0.01), q(0.00002)], undefined, {
    source: 'MUL int16: [3, 4] by [1], scales 0.01, 0.01, output 0.00002 (a multiplier above 1: left shift)',
  }),
  // ---- MAXIMUM, MINIMUM (raw values, scales ignored as in TFLM) ----
  binary('MAXIMUM', 'int16', [2, 3, 4], [2, 3, 4], [2, 3, 4], [s16, s16, s16]),
  binary('MAXIMUM', 'int16_bcast', [2, 3, 4], [3, 1], [2, 3, 4], [s16, s16, s16]),
  binary('MINIMUM', 'int16', [2, 3, 4], [2, 3, 4], [2, 3, 4], [s16, s16, s16]),
  binary('MINIMUM', 'int16_bcast', [4], [2, 3, 4], [2, 3, 4], [s16, s16, s16]),
  // ---- RELU, RELU6, LEAKY_RELU ----
  unary('RELU', 'int16', 'int16', 'int16', [2, 3, 4], q(0.0005), q(0.0003), { vectors: [{ name: 'edges', input: i16(edges16) }] }),
  unary('RELU', 'int16_same', 'int16', 'int16', [5, 4], s16, s16),
  unary('RELU6', 'int16', 'int16', 'int16', [2, 3, 4], q(0.0005), q(0.0005), { vectors: [{ name: 'edges', input: i16(edges16) }] }),
  unary('RELU6', 'int16_wide', 'int16', 'int16', [4, 5], q(0.0001), q(0.0001), {
    source: 'RELU6 int16: [4, 5], scale 0.0001 (6.0 is beyond int16: the clamp is 32767)',
  }),
  unary('LEAKY_RELU', 'int16', 'int16', 'int16', [2, 3, 4], q(0.0005), q(0.0004), {
    optionsType: OPTS.LEAKY_RELU, options: [{ slot: 0, type: 'f32', value: 0.2 }],
    vectors: [{ name: 'edges', input: i16(edges16) }],
    source: 'LEAKY_RELU int16: [2, 3, 4], alpha 0.2, input 0.0005, output 0.0004',
  }),
  unary('LEAKY_RELU', 'int16_neg_alpha', 'int16', 'int16', [4, 5], q(0.0003), q(0.0005), {
    optionsType: OPTS.LEAKY_RELU, options: [{ slot: 0, type: 'f32', value: -0.75 }],
    source: 'LEAKY_RELU int16: [4, 5], alpha -0.75, input 0.0003, output 0.0005',
  }),
  // ---- LOGISTIC, TANH (TFLite's interpolated sigmoid table; output 2^-15) ----
  unary('LOGISTIC', 'int16_pot', 'int16', 'int16', [1024], q(1 / 4096), q(1 / 32768), {
    seeds: [1],
    vectors: [{ name: 'sweep', input: i16(sweep16) }],
    source: 'LOGISTIC int16: [1024], input scale 2^-12 (the power-of-two path), output 2^-15; hand-chosen: int16 values every 64 steps from -32768, plus both ends',
  }),
  unary('LOGISTIC', 'int16', 'int16', 'int16', [2, 3, 4], q(0.0005), q(1 / 32768), { vectors: [{ name: 'edges', input: i16(edges16) }] }),
  unary('LOGISTIC', 'int16_fine', 'int16', 'int16', [1024], q(0.00002), q(1 / 32768), {
    seeds: [1],
    vectors: [{ name: 'sweep', input: i16(sweep16) }],
    source: 'LOGISTIC int16: [1024], input scale 0.00002 (a multiplier doubled 9 times), output 2^-15; hand-chosen: every 64th int16 value',
  }),
  unary('TANH', 'int16_pot', 'int16', 'int16', [1024], q(1 / 4096), q(1 / 32768), {
    seeds: [1],
    vectors: [{ name: 'sweep', input: i16(sweep16) }],
    source: 'TANH int16: [1024], input scale 2^-12 (the power-of-two path), output 2^-15; hand-chosen: every 64th int16 value',
  }),
  unary('TANH', 'int16_pot11', 'int16', 'int16', [2, 3, 4], q(1 / 2048), q(1 / 32768), {
    vectors: [{ name: 'edges', input: i16(edges16) }],
    source: 'TANH int16: [2, 3, 4], input scale 2^-11 (TANH\'s second power-of-two case), output 2^-15',
  }),
  unary('TANH', 'int16', 'int16', 'int16', [1024], q(0.0003), q(1 / 32768), {
    seeds: [1],
    vectors: [{ name: 'sweep', input: i16(sweep16) }],
    source: 'TANH int16: [1024], input scale 0.0003, output 2^-15; hand-chosen: every 64th int16 value',
  }),
  // ---- SOFTMAX (TFLite's exp and 1 / (1 + x) tables; output 1/32768) ----
  unary('SOFTMAX', 'int16', 'int16', 'int16', [2, 3, 4], q(0.0005), q(1 / 32768), {
    optionsType: OPTS.SOFTMAX, options: [{ slot: 0, type: 'f32', value: 1 }],
    vectors: [{ name: 'edges', input: i16(edges16) }],
  }),
  unary('SOFTMAX', 'int16_beta', 'int16', 'int16', [3, 10], q(1 / 4096), q(1 / 32768), {
    optionsType: OPTS.SOFTMAX, options: [{ slot: 0, type: 'f32', value: 0.7 }],
    source: 'SOFTMAX int16: [3, 10], beta 0.7, input scale 2^-12, output 1/32768',
  }),
  unary('SOFTMAX', 'int16_wide', 'int16', 'int16', [4, 16], q(0.0001), q(1 / 32768), {
    optionsType: OPTS.SOFTMAX, options: [{ slot: 0, type: 'f32', value: 1 }],
    vectors: [{ name: 'flat', input: i16([...Array(16).fill(0), ...Array(16).fill(-32768), ...Array(8).fill(32767), ...Array(8).fill(-32768), ...Array.from({ length: 16 }, (_, i) => i * 100)]) }],
    source: 'SOFTMAX int16: [4, 16], beta 1, input scale 0.0001, output 1/32768; hand-chosen rows: all equal, all minimum, half maximum and half minimum, a ramp',
  }),
  // ---- data movement ----
  {
    id: 'op_concatenation_int16',
    source: 'CONCATENATION int16: [2, 3, 2] and [2, 1, 2] and [2, 2, 2] along axis 1, scale 1/4096 zp 0',
    op: 'CONCATENATION',
    tensors: [act('a', 'int16', [2, 3, 2], s16), act('b', 'int16', [2, 1, 2], s16), act('c', 'int16', [2, 2, 2], s16), act('output', 'int16', [2, 6, 2], s16)],
    inputs: [0, 1, 2],
    outputs: [3],
    optionsType: OPTS.CONCATENATION,
    options: [{ slot: 0, type: 'i32', value: 1 }],
  },
  {
    id: 'op_concatenation_int16_last',
    source: 'CONCATENATION int16: [3, 2] and [3, 5] along axis -1',
    op: 'CONCATENATION',
    tensors: [act('a', 'int16', [3, 2], s16), act('b', 'int16', [3, 5], s16), act('output', 'int16', [3, 7], s16)],
    inputs: [0, 1],
    outputs: [2],
    optionsType: OPTS.CONCATENATION,
    options: [{ slot: 0, type: 'i32', value: -1 }],
  },
  {
    id: 'op_reshape_int16',
    source: 'RESHAPE int16: [2, 3, 4] to [4, 6] (constant shape input)',
    op: 'RESHAPE',
    tensors: [act('input', 'int16', [2, 3, 4], s16), { name: 'shape', dtype: 'int32', shape: [2], values: [4, 6] }, act('output', 'int16', [4, 6], s16)],
    inputs: [0, 1],
    outputs: [2],
  },
  {
    id: 'op_expand_dims_int16',
    source: 'EXPAND_DIMS int16: [3, 4] at axis 1 (constant axis)',
    op: 'EXPAND_DIMS',
    tensors: [act('input', 'int16', [3, 4], s16), { name: 'axis', dtype: 'int32', shape: [1], values: [1] }, act('output', 'int16', [3, 1, 4], s16)],
    inputs: [0, 1],
    outputs: [2],
  },
  {
    id: 'op_squeeze_int16',
    source: 'SQUEEZE int16: [1, 3, 1, 4] to [3, 4], squeeze_dims [0, 2]',
    op: 'SQUEEZE',
    tensors: [act('input', 'int16', [1, 3, 1, 4], s16), act('output', 'int16', [3, 4], s16)],
    inputs: [0],
    outputs: [1],
    optionsType: OPTS.SQUEEZE,
    options: [{ slot: 0, type: 'i32s', value: [0, 2] }],
  },
  {
    id: 'op_transpose_int16',
    source: 'TRANSPOSE int16: [2, 3, 4] with perm [2, 0, 1]',
    op: 'TRANSPOSE',
    tensors: [act('input', 'int16', [2, 3, 4], s16), { name: 'perm', dtype: 'int32', shape: [3], values: [2, 0, 1] }, act('output', 'int16', [4, 2, 3], s16)],
    inputs: [0, 1],
    outputs: [2],
  },
  {
    id: 'op_transpose_int16_4d',
    source: 'TRANSPOSE int16: [1, 2, 3, 4] with perm [0, 3, 1, 2]',
    op: 'TRANSPOSE',
    tensors: [act('input', 'int16', [1, 2, 3, 4], s16), { name: 'perm', dtype: 'int32', shape: [4], values: [0, 3, 1, 2] }, act('output', 'int16', [1, 4, 2, 3], s16)],
    inputs: [0, 1],
    outputs: [2],
  },
  {
    id: 'op_pad_int16',
    source: 'PAD int16: [1, 2, 3, 2] padded by [[0, 0], [1, 2], [2, 1], [0, 1]] (zeros)',
    op: 'PAD',
    tensors: [act('input', 'int16', [1, 2, 3, 2], s16), { name: 'paddings', dtype: 'int32', shape: [4, 2], values: [0, 0, 1, 2, 2, 1, 0, 1] }, act('output', 'int16', [1, 5, 6, 3], s16)],
    inputs: [0, 1],
    outputs: [2],
  },
  {
    id: 'op_padv2_int16',
    source: 'PADV2 int16: [2, 3] padded by [[1, 1], [0, 2]] with constant -1234',
    op: 'PADV2',
    tensors: [
      act('input', 'int16', [2, 3], s16), { name: 'paddings', dtype: 'int32', shape: [2, 2], values: [1, 1, 0, 2] },
      { name: 'constant_values', dtype: 'int16', shape: [1], values: [-1234], quant: s16 }, act('output', 'int16', [4, 5], s16),
    ],
    inputs: [0, 1, 2],
    outputs: [3],
  },
  {
    id: 'op_strided_slice_int16',
    source: 'STRIDED_SLICE int16: [3, 4, 5], begin [1, 0, 4], end [3, 4, 0], strides [1, 2, -2]',
    op: 'STRIDED_SLICE',
    tensors: [
      act('input', 'int16', [3, 4, 5], s16),
      { name: 'begin', dtype: 'int32', shape: [3], values: [1, 0, 4] },
      { name: 'end', dtype: 'int32', shape: [3], values: [3, 4, 0] },
      { name: 'strides', dtype: 'int32', shape: [3], values: [1, 2, -2] },
      act('output', 'int16', [2, 2, 2], s16),
    ],
    inputs: [0, 1, 2, 3],
    outputs: [4],
    optionsType: OPTS.STRIDED_SLICE,
    options: [],
  },
  {
    id: 'op_strided_slice_int16_shrink',
    source: 'STRIDED_SLICE int16: [4, 6], begin [2, 1], end [3, 6], strides [1, 2], shrink_axis_mask 1',
    op: 'STRIDED_SLICE',
    tensors: [
      act('input', 'int16', [4, 6], s16),
      { name: 'begin', dtype: 'int32', shape: [2], values: [2, 1] },
      { name: 'end', dtype: 'int32', shape: [2], values: [3, 6] },
      { name: 'strides', dtype: 'int32', shape: [2], values: [1, 2] },
      act('output', 'int16', [3], s16),
    ],
    inputs: [0, 1, 2, 3],
    outputs: [4],
    optionsType: OPTS.STRIDED_SLICE,
    options: [{ slot: 4, type: 'i32', value: 1 }],
  },
  // ---- refused by TFLM ----
  unary('LOGISTIC', 'int16_out_scale_refused', 'int16', 'int16', [2, 3], q(1 / 4096), q(1 / 16384), {
    refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG', source: 'LOGISTIC int16 with output scale 2^-14: TFLM requires 2^-15',
  }),
  unary('TANH', 'int16_zp_refused', 'int16', 'int16', [2, 3], q(1 / 4096, 2), q(1 / 32768), {
    refusal: 'XTML_STATUS_MODEL_QUANTIZATION', source: 'TANH int16 with input zero point 2: TFLM requires zero points 0',
  }),
  unary('SOFTMAX', 'int16_out_scale_refused', 'int16', 'int16', [2, 4], q(0.001), q(1 / 256), {
    optionsType: OPTS.SOFTMAX, options: [{ slot: 0, type: 'f32', value: 1 }],
    refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG', source: 'SOFTMAX int16 with output scale 1/256: TFLM requires 1/32768',
  }),

  binary('MUL', 'int16_zp_refused', [2, 3], [2, 3], [2, 3], [q(0.001, 5), q(0.001), q(0.001)], undefined, {
    refusal: 'XTML_STATUS_MODEL_QUANTIZATION', source: 'MUL int16 with an input zero point of 5: TFLM requires zero points 0',
  }),
  binary('SUB', 'int16_zp_refused', [2, 3], [2, 3], [2, 3], [q(0.001, 7), q(0.001, -3), q(0.002)], undefined, {
    refusal: 'XTML_STATUS_MODEL_QUANTIZATION', source: 'SUB int16 with input zero points 7 and -3: TFLM\'s reference Sub asserts zero offsets (the oracle build aborts)',
  }),
  unary('RELU', 'int16_zp_refused', 'int16', 'int16', [2, 3], q(0.001, 3), q(0.001, 3), {
    refusal: 'XTML_STATUS_MODEL_QUANTIZATION', source: 'RELU int16 with zero point 3: TFLM requires zero points 0',
  }),
  unary('QUANTIZE', 'int32_int32_refused', 'int32', 'int32', [2, 3], q(0.001), q(0.002), {
    optionsType: OPTS.QUANTIZE, options: [],
    refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'QUANTIZE int32 -> int32: not a pair TFLM requantizes',
  }),
  unary('QUANTIZE', 'f32_int32_refused', 'float32', 'int32', [2, 3], undefined, q(0.002), {
    optionsType: OPTS.QUANTIZE, options: [],
    refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'QUANTIZE float32 -> int32: TFLM quantizes floats to int8 and int16 only',
  }),
  unary('HARD_SWISH', 'int16_refused', 'int16', 'int16', [2, 3], q(0.001), q(0.001), {
    refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'HARD_SWISH int16: TFLM has float32 and int8',
  }),
  {
    id: 'op_concatenation_int16_zp_refused',
    source: 'CONCATENATION int16 with an input zero point of 4: TFLM requires zero points 0',
    op: 'CONCATENATION',
    tensors: [act('a', 'int16', [2, 2], q(1 / 4096, 4)), act('b', 'int16', [2, 2], s16), act('output', 'int16', [4, 2], s16)],
    inputs: [0, 1],
    outputs: [2],
    optionsType: OPTS.CONCATENATION,
    options: [{ slot: 0, type: 'i32', value: 0 }],
    refusal: 'XTML_STATUS_MODEL_QUANTIZATION',
  },
];
