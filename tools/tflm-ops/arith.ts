// Group 'arith' of test/data/tflm-ops: FLOOR_DIV, FLOOR_MOD, PRELU, ADD_N,
// ELU, LOG_SOFTMAX, L2_NORMALIZATION in the types TFLM's reference kernels
// accept, plus configurations TFLM refuses (and the status our core
// refuses them with).
import { encode, type OpConfig, type OpTensor, type Quant, type TensorDtype } from './gen.js';

const q = (scale: number, zeroPoint: number): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });
const act = (name: string, dtype: TensorDtype, shape: readonly number[], quant?: Quant): OpTensor =>
  ({ name, dtype, shape, ...(quant !== undefined ? { quant } : {}) });
const f32 = (values: readonly number[]): Uint8Array => encode('float32', values);

// Hand-chosen operand pairs that seeded inputs in [-1, 1) miss: signs, large
// and tiny quotients (past 2^24 and 2^53, where the double quotient is
// rounded before the floor), subnormals, infinities, signed zeros.
const divPairs: [number, number][] = [
  [7, 2], [-7, 2], [7, -2], [-7, -2], [1e30, 3], [-1e30, 3], [3e38, 1e-30], [1.5e-40, 3],
  [5, Infinity], [0, 5], [-0, 5], [Infinity, 2], [-Infinity, 3], [1, -Infinity], [16777217, 0.1], [1e10, 3],
  [0.3, 0.1], [-0.3, 0.1], [100, 1e-7], [2.5, 0.5], [-2.5, 0.5], [9.999999e20, 7], [Infinity, Infinity], [1e-45, 1e30],
];
const modPairs: [number, number][] = [
  [7, 2], [-7, 2], [7, -2], [-7, -2], [1e30, 3], [-1e30, 3], [3e38, 1e-30], [1.5e-40, 1e-45],
  [5, Infinity], [-5, Infinity], [0, 5], [-0, -5], [Infinity, 2], [1, 0], [5.5, 0.1], [-5.5, 0.1],
  [0.3, 0.1], [100, -0.7], [2.5, 0.5], [-2.5, 0.5], [1e10, 7], [-1e-20, 3], [6, -3], [-6, 3],
];
const pairsInput = (pairs: [number, number][]): Uint8Array => f32([...pairs.map((p) => p[0]), ...pairs.map((p) => p[1])]);

function binary(op: string, type: string, dtype: TensorDtype, a: readonly number[], b: readonly number[], out: readonly number[],
  extra: Partial<OpConfig> = {}): OpConfig {
  return {
    id: `op_${op.toLowerCase()}_${type}`,
    source: `${op} ${dtype}: inputs [${a.join(', ')}] and [${b.join(', ')}], output [${out.join(', ')}]`,
    op,
    tensors: [act('input1', dtype, a), act('input2', dtype, b), act('output', dtype, out)],
    inputs: [0, 1],
    outputs: [2],
    ...extra,
  };
}

function prelu(type: string, dtype: TensorDtype, shape: readonly number[], alphaShape: readonly number[], alpha: readonly number[],
  quants?: [Quant, Quant, Quant], extra: Partial<OpConfig> = {}): OpConfig {
  const alphaType: TensorDtype = dtype === 'float32' ? 'float32' : 'int8';
  return {
    id: `op_prelu_${type}`,
    source: `PRELU ${dtype}: input [${shape.join(', ')}], constant ${alphaType} alpha [${alphaShape.join(', ')}] = [${alpha.join(', ')}]` +
      (quants !== undefined ? `; scales/zero points input ${quants[0].scale[0]}/${quants[0].zeroPoint[0]}, alpha ${quants[1].scale[0]}/${quants[1].zeroPoint[0]}, output ${quants[2].scale[0]}/${quants[2].zeroPoint[0]}` : ''),
    op: 'PRELU',
    tensors: [
      act('input', dtype, shape, quants?.[0]),
      { name: 'alpha', dtype: alphaType, shape: alphaShape, values: alpha, ...(quants !== undefined ? { quant: quants[1] } : {}) },
      act('output', dtype, shape, quants?.[2]),
    ],
    inputs: [0, 1],
    outputs: [2],
    ...extra,
  };
}

function addN(type: string, dtype: TensorDtype, n: number, shape: readonly number[], inQuant?: Quant, outQuant?: Quant,
  extra: Partial<OpConfig> = {}): OpConfig {
  const tensors: OpTensor[] = [];
  for (let i = 0; i < n; i++) tensors.push(act(`input${i + 1}`, dtype, shape, inQuant));
  tensors.push(act('output', dtype, shape, outQuant));
  return {
    id: `op_add_n_${type}`,
    source: `ADD_N ${dtype}: ${n} inputs [${shape.join(', ')}]${inQuant !== undefined ? `; input scale ${inQuant.scale[0]} zp ${inQuant.zeroPoint[0]}, output scale ${outQuant?.scale[0]} zp ${outQuant?.zeroPoint[0]}` : ''}`,
    op: 'ADD_N',
    tensors,
    inputs: tensors.slice(0, n).map((_, i) => i),
    outputs: [n],
    ...extra,
  };
}

const DIV_OPTIONS = 29;
function quantBinary(op: string, type: string, dtype: TensorDtype, a: readonly number[], b: readonly number[], quants: [Quant, Quant, Quant],
  extra: Partial<OpConfig> = {}): OpConfig {
  return {
    ...binary(op, type, dtype, a, b, a.length >= b.length ? a : b, extra),
    tensors: [act('input1', dtype, a, quants[0]), act('input2', dtype, b, quants[1]), act('output', dtype, a.length >= b.length ? a : b, quants[2])],
    source: `${op} ${dtype}: inputs [${a.join(', ')}] and [${b.join(', ')}]; scales/zero points ${quants.map((x) => `${x.scale[0]}/${x.zeroPoint[0]}`).join(', ')}`,
    ...(extra.source !== undefined ? { source: extra.source } : {}),
  };
}

function unary(op: string, type: string, dtype: TensorDtype, shape: readonly number[], inQuant?: Quant, outQuant?: Quant,
  extra: Partial<OpConfig> = {}): OpConfig {
  return {
    id: `op_${op.toLowerCase()}_${type}`,
    source: `${op} ${dtype}: input [${shape.join(', ')}]${inQuant !== undefined ? `; input scale ${inQuant.scale[0]} zp ${inQuant.zeroPoint[0]}, output scale ${outQuant?.scale[0]} zp ${outQuant?.zeroPoint[0]}` : ''}`,
    op,
    tensors: [act('input', dtype, shape, inQuant), act('output', dtype, shape, outQuant)],
    inputs: [0],
    outputs: [1],
    ...extra,
  };
}

const L2_OPTIONS = 12;
const l2 = (type: string, dtype: TensorDtype, shape: readonly number[], inQuant?: Quant, outQuant?: Quant, extra: Partial<OpConfig> = {}): OpConfig =>
  unary('L2_NORMALIZATION', type, dtype, shape, inQuant, outQuant, { optionsType: L2_OPTIONS, options: [{ slot: 0, type: 'i8', value: 0 }], ...extra });
const allInt8 = new Uint8Array(256).map((_, i) => i);
const eluFloats = [
  -1e-10, -1e-5, -0.001, -0.1, -0.5, -0.69, -1, -2, -5.5, -10, -17.9, -18, -20, -100, -0, 0,
  1.5, 3e38, -3e38, -1.5e-40, 0.25, -0.35, -0.36, -1.04,
];

// TRANSPOSE_CONV: inputs output_shape (constant int32 [4]), weights [O, KH, KW, I],
// input NHWC, optional bias; TransposeConvOptions: padding, stride_w, stride_h, activation.
const TRANSPOSE_CONV_OPTIONS = 49;
const pattern = (n: number, mod: number, offset: number, k = 37): number[] => Array.from({ length: n }, (_, i) => ((i * k) % mod) - offset);
function transposeConv(type: string, dtype: 'float32' | 'int8', input: [number, number, number, number], kernel: [number, number],
  outC: number, out: [number, number], stride: [number, number], padding: 'SAME' | 'VALID', bias: boolean, activation = 0,
  quants?: { input: Quant; weights: Quant; output: Quant }): OpConfig {
  const [n, , , inC] = input;
  const wShape = [outC, kernel[0], kernel[1], inC];
  const wCount = wShape.reduce((a, b) => a * b, 1);
  const weights = dtype === 'float32' ? pattern(wCount, 200, 100).map((v) => v / 128) : pattern(wCount, 255, 127);
  const tensors: OpTensor[] = [
    { name: 'output_shape', dtype: 'int32', shape: [4], values: [n, out[0], out[1], outC] },
    { name: 'weights', dtype, shape: wShape, values: weights, ...(quants !== undefined ? { quant: quants.weights } : {}) },
    act('input', dtype, input, quants?.input),
    act('output', dtype, [n, out[0], out[1], outC], quants?.output),
  ];
  if (bias) {
    const biasScale = quants !== undefined ? quants.weights.scale.map((w) => Math.fround(quants.input.scale[0]! * w)) : undefined;
    tensors.push({
      name: 'bias', dtype: dtype === 'float32' ? 'float32' : 'int32', shape: [outC],
      values: dtype === 'float32' ? pattern(outC, 9, 4, 5).map((v) => v / 4) : pattern(outC, 3001, 1500, 977),
      ...(biasScale !== undefined ? { quant: { scale: biasScale, zeroPoint: biasScale.map(() => 0), axis: 0 } } : {}),
    });
  }
  return {
    id: `op_transpose_conv_${type}`,
    source: `TRANSPOSE_CONV ${dtype}: input [${input.join(', ')}], weights [${wShape.join(', ')}], output [${n}, ${out.join(', ')}, ${outC}], stride ${stride.join('x')}, ${padding}${bias ? ', bias' : ', no bias'}${activation !== 0 ? `, activation ${activation}` : ''}` +
      (quants !== undefined ? `; input ${quants.input.scale[0]}/${quants.input.zeroPoint[0]}, weight scales [${quants.weights.scale.join(', ')}], output ${quants.output.scale[0]}/${quants.output.zeroPoint[0]}` : ''),
    op: 'TRANSPOSE_CONV',
    version: dtype === 'int8' ? 3 : 1,
    tensors,
    inputs: bias ? [0, 1, 2, 4] : [0, 1, 2],
    outputs: [3],
    optionsType: TRANSPOSE_CONV_OPTIONS,
    options: [
      { slot: 0, type: 'i8', value: padding === 'SAME' ? 0 : 1 },
      { slot: 1, type: 'i32', value: stride[1] },
      { slot: 2, type: 'i32', value: stride[0] },
      { slot: 3, type: 'i8', value: activation },
    ],
  };
}
const perChannel = (scales: number[]): Quant => ({ scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });

export const configs: OpConfig[] = [
  // ---- FLOOR_DIV, FLOOR_MOD (TFLM: float32 only) ----
  binary('FLOOR_DIV', 'f32', 'float32', [2, 3, 4], [2, 3, 4], [2, 3, 4], {
    source: 'FLOOR_DIV float32: inputs [2, 3, 4]; hand-chosen pairs: signs, quotients past 2^24 and 2^53, subnormals, infinities, signed zeros',
    vectors: [{ name: 'wide', input: pairsInput(divPairs) }],
  }),
  binary('FLOOR_DIV', 'f32_bcast', 'float32', [2, 3, 4], [4], [2, 3, 4]),
  binary('FLOOR_DIV', 'f32_bcast2', 'float32', [2, 1, 4], [3, 1], [2, 3, 4]),
  binary('FLOOR_MOD', 'f32', 'float32', [2, 3, 4], [2, 3, 4], [2, 3, 4], {
    source: 'FLOOR_MOD float32: inputs [2, 3, 4]; hand-chosen pairs: signs, exponent gaps to 2^226, subnormals, infinities, a 0 divisor (NaN), signed zeros',
    vectors: [{ name: 'wide', input: pairsInput(modPairs) }],
  }),
  binary('FLOOR_MOD', 'f32_bcast', 'float32', [2, 3, 4], [3, 1], [2, 3, 4]),
  binary('FLOOR_MOD', 'f32_bcast2', 'float32', [4], [2, 3, 1], [2, 3, 4]),
  // ---- PRELU ----
  prelu('f32', 'float32', [1, 2, 3, 4], [4], [0.25, -0.5, 1.5, 0]),
  prelu('f32_alpha_full', 'float32', [2, 3, 4], [2, 3, 4], Array.from({ length: 24 }, (_, i) => (i - 8) / 16)),
  prelu('int8', 'int8', [1, 2, 3, 4], [4], [25, -50, 127, 0], [q(0.05, -3), q(0.01, 0), q(0.04, 5)]),
  prelu('int8_bcast', 'int8', [2, 3, 4], [3, 1], [-128, 40, 90], [q(0.02, 10), q(0.005, -20), q(0.03, -7)]),
  prelu('int16', 'int16', [2, 3, 4], [4], [30, -70, 100, 5], [q(0.001, 0), q(0.02, 3), q(0.0008, 0)]),
  // ---- ADD_N (TFLM: float32, int8) ----
  addN('f32', 'float32', 3, [2, 3, 4]),
  addN('f32_4', 'float32', 4, [5]),
  addN('int8', 'int8', 3, [2, 3, 4], q(0.05, -3), q(0.1, 2)),
  addN('int8_2', 'int8', 2, [6, 4], q(0.02, 7), q(0.015, -10)),
  // ---- ELU ----
  unary('ELU', 'f32', 'float32', [2, 3, 4], undefined, undefined, {
    ulpTolerance: 1,
    source: 'ELU float32: input [2, 3, 4]; hand-chosen negatives from -1e-10 to -3e38 (expm1 of small and large arguments), zeros, subnormals; glibc expm1f may differ by 1 ulp',
    vectors: [{ name: 'wide', input: f32(eluFloats) }],
  }),
  unary('ELU', 'int8', 'int8', [2, 3, 4], q(0.05, -3), q(0.03, 20)),
  unary('ELU', 'int8_table', 'int8', [256], q(0.1, 0), q(0.02, -60), {
    source: 'ELU int8: input [256] (the table path); input scale 0.1 zp 0, output scale 0.02 zp -60; hand-chosen: every int8 value',
    vectors: [{ name: 'all', input: allInt8 }],
  }),
  // ---- LOG_SOFTMAX ----
  unary('LOG_SOFTMAX', 'f32', 'float32', [2, 3, 4]),
  unary('LOG_SOFTMAX', 'f32_wide', 'float32', [3, 8], undefined, undefined, {
    source: 'LOG_SOFTMAX float32: input [3, 8]; hand-chosen rows with large gaps (exp underflow), equal values and a dominant element',
    vectors: [{ name: 'wide', input: f32([0, -50, 30, 29.5, -100, 1, 2, 3, 5, 5, 5, 5, 5, 5, 5, 5, 1e-3, -1e-3, 0, 0, 20, -20, 0.5, -0.5]) }],
  }),
  unary('LOG_SOFTMAX', 'int8', 'int8', [2, 3, 4], q(0.05, -3), q(16 / 256, 127)),
  unary('LOG_SOFTMAX', 'int8_wide', 'int8', [3, 10], q(0.2, 5), q(16 / 256, 127)),
  unary('LOG_SOFTMAX', 'int8_fine', 'int8', [4, 16], q(0.01, 0), q(16 / 256, 127)),
  // ---- L2_NORMALIZATION ----
  l2('f32', 'float32', [2, 3, 4], undefined, undefined, {
    vectors: [{ name: 'edges', input: f32([0, 0, 0, 0, 1e-8, -1e-8, 0, 1e-9, 1e20, -1e20, 1, 0, 3, 4, 0, 0, -1.5e-40, 2, -2, 0.5, 1e-3, 1e-3, -1e-3, 1e-3]) }],
    source: 'L2_NORMALIZATION float32: input [2, 3, 4]; hand-chosen rows: zeros and tiny values (the 1e-6 floor), squares that overflow, subnormals',
  }),
  l2('f32_2d', 'float32', [5, 7]),
  l2('int8', 'int8', [2, 3, 4], q(0.05, -3), q(1 / 128, 0)),
  l2('int8_4d', 'int8', [1, 2, 2, 8], q(0.1, 10), q(1 / 128, 0), {
    vectors: [{ name: 'edges', input: new Uint8Array([...Array(8).fill(10), 10, 10, 11, 10, 10, 10, 10, 10, 9, 10, 10, 10, 10, 10, 10, 10, ...Array(8).fill(127)].map((v) => v & 0xff)) }],
    source: 'L2_NORMALIZATION int8: input [1, 2, 2, 8], scale 0.1 zp 10; hand-chosen rows: all at the zero point, a single +-1 step, all 127',
  }),
  // ---- quantized RSQRT, SQUARED_DIFFERENCE, DIV (the math group has their float32/int32 paths) ----
  unary('RSQRT', 'int8', 'int8', [2, 3, 4], q(0.05, -128), q(0.02, -100), {
    source: 'RSQRT int8: input [2, 3, 4], scale 0.05 zp -128 (every seeded byte is at or above the zero point), output scale 0.02 zp -100',
  }),
  unary('RSQRT', 'int8_all', 'int8', [256], q(0.5, -128), q(0.01, -128), {
    source: 'RSQRT int8: input [256], scale 0.5 zp -128, output scale 0.01 zp -128; hand-chosen: every int8 value (the zero point gives 127)',
    seeds: [], vectors: [{ name: 'all', input: allInt8 }],
  }),
  quantBinary('SQUARED_DIFFERENCE', 'int8', 'int8', [2, 3, 4], [2, 3, 4], [q(0.05, -3), q(0.08, 7), q(0.1, -128)]),
  quantBinary('SQUARED_DIFFERENCE', 'int8_bcast', 'int8', [2, 3, 4], [4], [q(0.02, 10), q(0.02, -5), q(0.004, -100)]),
  quantBinary('SQUARED_DIFFERENCE', 'int16', 'int16', [2, 3, 4], [2, 3, 4], [q(0.001, 0), q(0.0015, 0), q(0.5, 0)]),
  quantBinary('DIV', 'int8', 'int8', [2, 3, 4], [2, 3, 4], [q(0.5, -3), q(0.05, -128), q(0.05, 0)], {
    optionsType: DIV_OPTIONS, options: [],
    source: 'DIV int8: inputs [2, 3, 4]; scales/zero points 0.5/-3, 0.05/-128, output 0.05/0 (a multiplier of 2^8 or more keeps TFLM\'s rounding shift within 31 bits, where its build asserts); seeds whose divisors avoid the zero point (-128)',
    seeds: [1, 2, 3],
  }),
  quantBinary('DIV', 'int8_bcast_relu6', 'int8', [2, 3, 4], [4], [q(0.5, 5), q(0.05, 3), q(0.05, -100)], {
    optionsType: DIV_OPTIONS, options: [{ slot: 0, type: 'i8', value: 3 }],
    source: 'DIV int8: [2, 3, 4] by [4], RELU6; scales/zero points 0.5/5, 0.05/3, output 0.05/-100; hand-chosen numerators near the zero point, divisors of both signs and sizes',
    seeds: [],
    vectors: [{ name: 'signs', input: new Uint8Array([6, 6, 6, 6, 4, 4, 4, 4, 7, 7, 7, 7, -128, 127, 0, 5, 20, -20, 100, -100, 9, 1, 2, 3, 4, 2, 127, -128].map((v) => v & 0xff)) }],
  }),
  // ---- TRANSPOSE_CONV ----
  transposeConv('f32_valid_s2', 'float32', [1, 3, 3, 2], [3, 3], 3, [7, 7], [2, 2], 'VALID', false),
  transposeConv('f32_same_s2_bias_relu', 'float32', [1, 3, 4, 2], [3, 3], 3, [6, 8], [2, 2], 'SAME', true, 1),
  transposeConv('f32_same_s1_bias_k2', 'float32', [1, 4, 4, 3], [2, 2], 2, [4, 4], [1, 1], 'SAME', true),
  transposeConv('int8_same_s2_bias', 'int8', [1, 3, 3, 4], [3, 3], 4, [6, 6], [2, 2], 'SAME', true, 0,
    { input: q(0.05, -3), weights: perChannel([0.01, 0.02, 0.015, 0.03]), output: q(0.08, 5) }),
  transposeConv('int8_valid_s1_nobias', 'int8', [2, 3, 3, 2], [2, 2], 3, [4, 4], [1, 1], 'VALID', false, 0,
    { input: q(0.04, 10), weights: q(0.02, 0), output: q(0.05, -10) }),
  transposeConv('int8_same_s2x1_bias_relu6', 'int8', [1, 2, 3, 3], [3, 2], 2, [4, 3], [2, 1], 'SAME', true, 3,
    { input: q(0.1, 0), weights: perChannel([0.01, 0.005]), output: q(0.03, -128) }),
  // ---- refused by TFLM ----
  {
    ...transposeConv('f32_int8_weights_refused', 'float32', [1, 2, 2, 1], [2, 2], 1, [3, 3], [1, 1], 'VALID', false),
    refusal: 'XTML_STATUS_UNSUPPORTED_TYPE',
    source: 'TRANSPOSE_CONV float32 input with int8 weights: TFLM runs no hybrid models',
    tensors: transposeConv('x', 'float32', [1, 2, 2, 1], [2, 2], 1, [3, 3], [1, 1], 'VALID', false).tensors
      .map((t) => (t.name === 'weights' ? { ...t, dtype: 'int8' as const, values: [1, 2, 3, 4], quant: q(0.1, 0) } : t)),
  },
  {
    ...transposeConv('int8_scales_count_refused', 'int8', [1, 2, 2, 2], [2, 2], 3, [3, 3], [1, 1], 'VALID', false, 0,
      { input: q(0.05, 0), weights: perChannel([0.01, 0.02]), output: q(0.1, 0) }),
    refusal: 'XTML_STATUS_MODEL_QUANTIZATION',
    source: 'TRANSPOSE_CONV int8 with 2 weight scales for 3 output channels: TFLM requires 1 or one per channel',
  },
  unary('LOG_SOFTMAX', 'int8_out_scale_refused', 'int8', [2, 4], q(0.05, 0), q(1 / 256, -128), { refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG', source: 'LOG_SOFTMAX int8 with output scale 1/256: TFLM requires 16/256 and zero point 127' }),
  unary('ELU', 'int16_refused', 'int16', [2, 4], q(0.001, 0), q(0.001, 0), { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'ELU int16: TFLM has float32 and int8' }),
  l2('f32_rank5_refused', 'float32', [1, 1, 2, 2, 3], undefined, undefined, { refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG', source: 'L2_NORMALIZATION of rank 5: TFLM takes at most 4' }),
  l2('f32_relu_refused', 'float32', [2, 4], undefined, undefined, { options: [{ slot: 0, type: 'i8', value: 1 }], refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG', source: 'L2_NORMALIZATION with a fused RELU: TFLM runs no activation' }),
  binary('FLOOR_DIV', 'int32_refused', 'int32', [2, 3, 4], [2, 3, 4], [2, 3, 4], { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'FLOOR_DIV int32: TFLM has float32 only (fails the invoke)' }),
  binary('FLOOR_MOD', 'int32_refused', 'int32', [2, 3, 4], [2, 3, 4], [2, 3, 4], { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'FLOOR_MOD int32: TFLM has float32 only (fails the invoke)' }),
  {
    id: 'op_floor_div_f32_zero_divisor_refused',
    source: 'FLOOR_DIV float32: a constant divisor holding a 0; TFLM fails every invoke ("Division by 0"), we refuse it at prepare',
    op: 'FLOOR_DIV',
    tensors: [act('input1', 'float32', [2, 3]), { name: 'input2', dtype: 'float32', shape: [3], values: [2, 0, -1] }, act('output', 'float32', [2, 3])],
    inputs: [0, 1],
    outputs: [2],
    refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG',
  },
  prelu('int32_refused', 'int32', [2, 3], [3], [1, 2, 3], undefined, { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'PRELU int32: TFLM has float32, int8 and int16 (fails the invoke)' }),
  addN('int32_refused', 'int32', 2, [2, 3], undefined, undefined, { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'ADD_N int32: TFLM has float32 and int8' }),
  {
    id: 'op_add_n_int8_scales_differ_refused',
    source: 'ADD_N int8 with inputs of different scales: TFLM requires one scale and zero point',
    op: 'ADD_N',
    tensors: [act('input1', 'int8', [2, 3], q(0.05, 0)), act('input2', 'int8', [2, 3], q(0.06, 0)), act('output', 'int8', [2, 3], q(0.1, 0))],
    inputs: [0, 1],
    outputs: [2],
    refusal: 'XTML_STATUS_MODEL_QUANTIZATION',
  },
];

