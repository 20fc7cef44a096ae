// Group 'math' of test/data/tflm-ops: elementwise math operators, each in
// the types TFLM's reference kernels accept, plus configurations TFLM
// refuses (and the status our core refuses them with).
import { encode, type OpConfig, type OpTensor, type Quant, type TensorDtype } from './gen.js';

const q = (scale: number, zeroPoint: number): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });
const act = (name: string, dtype: TensorDtype, shape: readonly number[], quant?: Quant): OpTensor =>
  ({ name, dtype, shape, ...(quant !== undefined ? { quant } : {}) });
const f32 = (values: readonly number[]): Uint8Array => encode('float32', values);

// Values that seeded inputs in [-1, 1) miss: halves (ROUND's ties), large
// and small magnitudes, subnormals, signed zeros, exact squares.
const wideFloats = [
  -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.7, 3.7, 100.25, -100.75, 1e8, -1e8, 16777215, 8388609.5,
  0, -0, 1, 4, 2, 1e-30, 1.5e-40, 3e38, 7.25,
];
const positiveFloats = [
  1, 2, 4, 0.25, 9, 1e-30, 1.5e-40, 3e38, 0, -0, 1e10, 123.456, 0.999999, 1.000001, 2.718281828, 0.1,
  5e-45, 65536, 1e-5, 42, 0.5, 7, 1e20, 3.14159,
];
const expFloats = [
  -100, -87.5, -20, -10, -5.5, -1, -0.25, 0, 0.25, 1, 5.5, 10, 20, 40, 60, 80, 88, 88.7, 89, -103, 1e-10, -1e-10, 2, -2,
];

function unary(op: string, type: string, dtype: TensorDtype, extra: Partial<OpConfig> & { outDtype?: TensorDtype; inQuant?: Quant; outQuant?: Quant } = {}): OpConfig {
  const shape = [2, 3, 4];
  const { outDtype, inQuant, outQuant, ...rest } = extra;
  return {
    id: `op_${op.toLowerCase()}_${type}`,
    source: `${op} ${dtype}${outDtype !== undefined && outDtype !== dtype ? ` -> ${outDtype}` : ''}: input [2, 3, 4]`,
    op,
    tensors: [act('input', dtype, shape, inQuant), act('output', outDtype ?? dtype, shape, outQuant)],
    inputs: [0],
    outputs: [1],
    ...rest,
  };
}

function binary(op: string, type: string, dtype: TensorDtype, a: readonly number[], b: readonly number[], out: readonly number[],
  extra: Partial<OpConfig> & { outDtype?: TensorDtype; quants?: [Quant, Quant, Quant?] } = {}): OpConfig {
  const { outDtype, quants, ...rest } = extra;
  return {
    id: `op_${op.toLowerCase()}_${type}`,
    source: `${op} ${dtype}: inputs [${a.join(', ')}] and [${b.join(', ')}], output [${out.join(', ')}]${quants !== undefined ? `; input scales ${quants[0].scale[0]} zp ${quants[0].zeroPoint[0]} and ${quants[1].scale[0]} zp ${quants[1].zeroPoint[0]}` : ''}`,
    op,
    tensors: [act('input1', dtype, a, quants?.[0]), act('input2', dtype, b, quants?.[1]), act('output', outDtype ?? dtype, out, quants?.[2])],
    inputs: [0, 1],
    outputs: [2],
    ...rest,
  };
}

const DIV_OPTIONS = 29;
const comparisons = ['EQUAL', 'NOT_EQUAL', 'LESS', 'LESS_EQUAL', 'GREATER', 'GREATER_EQUAL'];

export const configs: OpConfig[] = [
  // ---- unary float32 ----
  unary('ABS', 'f32', 'float32', { vectors: [{ name: 'wide', input: f32(wideFloats) }] }),
  unary('NEG', 'f32', 'float32', { vectors: [{ name: 'wide', input: f32(wideFloats) }] }),
  unary('SQRT', 'f32', 'float32', { source: 'SQRT float32: input [2, 3, 4]; seeded inputs are half negative (NaN); hand-chosen positives, zeros and subnormals', vectors: [{ name: 'positive', input: f32(positiveFloats) }] }),
  unary('RSQRT', 'f32', 'float32', { source: 'RSQRT float32: input [2, 3, 4]; seeded inputs are half negative (NaN); hand-chosen positives, zeros and subnormals', vectors: [{ name: 'positive', input: f32(positiveFloats) }] }),
  unary('EXP', 'f32', 'float32', { ulpTolerance: 1, source: 'EXP float32: input [2, 3, 4]; hand-chosen -103..89 (overflow, underflow); glibc expf may differ by 1 ulp', vectors: [{ name: 'wide', input: f32(expFloats) }] }),
  unary('LOG', 'f32', 'float32', { ulpTolerance: 1, source: 'LOG float32: input [2, 3, 4]; seeded inputs are half negative (NaN); hand-chosen positives, zeros, subnormals; glibc logf may differ by 1 ulp', vectors: [{ name: 'positive', input: f32(positiveFloats) }] }),
  unary('FLOOR', 'f32', 'float32', { vectors: [{ name: 'wide', input: f32(wideFloats) }] }),
  unary('CEIL', 'f32', 'float32', { vectors: [{ name: 'wide', input: f32(wideFloats) }] }),
  unary('ROUND', 'f32', 'float32', { source: 'ROUND float32: input [2, 3, 4]; hand-chosen halves (ties to even), large values', vectors: [{ name: 'wide', input: f32(wideFloats) }] }),
  // ---- unary integer ----
  unary('ABS', 'int8', 'int8', { inQuant: q(0.05, -3), outQuant: q(0.05, -3) }),
  unary('ABS', 'int8_rescale', 'int8', { inQuant: q(0.05, 10), outQuant: q(0.03, -128) }),
  unary('ABS', 'int16', 'int16'),
  unary('ABS', 'int16_quant', 'int16', { inQuant: q(0.002, 0), outQuant: q(0.0015, 0) }),
  unary('LOGICAL_NOT', 'bool', 'bool'),
  unary('ZEROS_LIKE', 'f32', 'float32'),
  unary('ZEROS_LIKE', 'int8', 'int8'),
  unary('ZEROS_LIKE', 'int32', 'int32'),
  unary('ZEROS_LIKE', 'int64', 'int64'),
  // ---- CAST ----
  unary('CAST', 'f32_to_int32', 'float32', { outDtype: 'int32', vectors: [{ name: 'wide', input: f32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.7, 3.7, 100.25, -100.75, 1e8, -1e8, 16777215, 8388609.5, 0, -0, 1, 4, 2, 1e-30, 1.5e-40, 2e9, -2e9]) }] }),
  unary('CAST', 'f32_to_int8', 'float32', { outDtype: 'int8', vectors: [{ name: 'wide', input: f32([-128, -127.9, -100.5, -3.7, -1.5, -0.5, 0, 0.5, 1.5, 3.7, 100.5, 127.9, 127, 5, -5, 64.2, -64.2, 10, -10, 20.5, 33, -33, 99, -99]) }] }),
  unary('CAST', 'f32_to_int16', 'float32', { outDtype: 'int16', vectors: [{ name: 'wide', input: f32([-32768, -32767.5, -1000.5, -3.7, -1.5, -0.5, 0, 0.5, 1.5, 3.7, 1000.5, 32767.9, 32767, 5, -5, 640.2, -640.2, 10, -10, 20.5, 33, -33, 999, -999]) }] }),
  unary('CAST', 'f32_to_uint32', 'float32', { outDtype: 'uint32', vectors: [{ name: 'wide', input: f32([0, 0.5, 1.5, 3.7, 100.5, 4e9, 4294967040, 2147483648, 65536, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1e9, 3e9, 12345.6, 0.9, 77]) }] }),
  unary('CAST', 'int8_to_f32', 'int8', { outDtype: 'float32' }),
  unary('CAST', 'int16_to_int32', 'int16', { outDtype: 'int32' }),
  unary('CAST', 'int32_to_f32', 'int32', { outDtype: 'float32' }),
  unary('CAST', 'int32_to_int8', 'int32', { outDtype: 'int8' }),
  unary('CAST', 'int32_to_uint32', 'int32', { outDtype: 'uint32' }),
  unary('CAST', 'uint32_to_f32', 'uint32', { outDtype: 'float32' }),
  unary('CAST', 'bool_to_f32', 'bool', { outDtype: 'float32' }),
  unary('CAST', 'bool_to_int32', 'bool', { outDtype: 'int32' }),
  // ---- FILL ----
  ...(['float32', 'int32', 'int8'] as const).map((dtype): OpConfig => ({
    id: `op_fill_${dtype === 'float32' ? 'f32' : dtype}`,
    source: `FILL ${dtype}: dims constant int32 [2, 3, 4], value scalar input`,
    op: 'FILL',
    tensors: [{ name: 'dims', dtype: 'int32', shape: [3], values: [2, 3, 4] }, act('value', dtype, []), act('output', dtype, [2, 3, 4])],
    inputs: [0, 1],
    outputs: [2],
  })),
  {
    id: 'op_fill_f32_dims_int64',
    source: 'FILL float32: dims constant int64 [3, 5], value scalar input',
    op: 'FILL',
    tensors: [{ name: 'dims', dtype: 'int64', shape: [2], values: [3, 5] }, act('value', 'float32', []), act('output', 'float32', [3, 5])],
    inputs: [0, 1],
    outputs: [2],
  },
  // ---- binary arithmetic ----
  binary('DIV', 'f32', 'float32', [2, 3, 4], [2, 3, 4], [2, 3, 4], { optionsType: DIV_OPTIONS, options: [] }),
  binary('DIV', 'f32_bcast_relu6', 'float32', [2, 3, 4], [4], [2, 3, 4], { optionsType: DIV_OPTIONS, options: [{ slot: 0, type: 'i8', value: 3 }] }),
  binary('DIV', 'int32', 'int32', [2, 3, 4], [2, 3, 4], [2, 3, 4], { optionsType: DIV_OPTIONS, options: [] }),
  binary('DIV', 'int32_bcast_relu', 'int32', [2, 1, 4], [3, 1], [2, 3, 4], { optionsType: DIV_OPTIONS, options: [{ slot: 0, type: 'i8', value: 1 }] }),
  binary('SQUARED_DIFFERENCE', 'f32', 'float32', [2, 3, 4], [2, 3, 4], [2, 3, 4]),
  binary('SQUARED_DIFFERENCE', 'f32_bcast', 'float32', [1, 3, 1], [2, 1, 4], [2, 3, 4]),
  binary('SQUARED_DIFFERENCE', 'int32', 'int32', [2, 3, 4], [4], [2, 3, 4]),
  // ---- comparisons ----
  ...comparisons.flatMap((op): OpConfig[] => [
    binary(op, 'f32_bcast', 'float32', [2, 3, 4], [3, 1], [2, 3, 4], {
      outDtype: 'bool',
      vectors: [{ name: 'ties', input: f32([...[0, 1, -1, 0.5, 2, -2, 0, 0, 1, 1, -0, 3, 0.5, 0.5, 2, 2, 7, 7, 1, -1, 0, 0, 2, 3], 0.5, 2, -0]) }],
    }),
    binary(op, 'int32', 'int32', [2, 3, 4], [2, 3, 4], [2, 3, 4], { outDtype: 'bool' }),
    binary(op, 'int8', 'int8', [2, 3, 4], [2, 3, 4], [2, 3, 4], { outDtype: 'bool', quants: [q(0.05, -3), q(0.08, 7)] }),
  ]),
  binary('EQUAL', 'int8_same_quant_bcast', 'int8', [2, 3, 4], [4], [2, 3, 4], { outDtype: 'bool', quants: [q(0.1, 0), q(0.1, 0)] }),
  binary('EQUAL', 'int64', 'int64', [2, 3, 4], [2, 3, 4], [2, 3, 4], { outDtype: 'bool' }),
  binary('LESS', 'int64_bcast', 'int64', [2, 3, 4], [1], [2, 3, 4], { outDtype: 'bool' }),
  binary('EQUAL', 'bool', 'bool', [2, 3, 4], [3, 4], [2, 3, 4]),
  binary('NOT_EQUAL', 'bool', 'bool', [2, 3, 4], [2, 3, 4], [2, 3, 4]),
  // ---- logical ----
  binary('LOGICAL_AND', 'bool', 'bool', [2, 3, 4], [2, 3, 4], [2, 3, 4]),
  binary('LOGICAL_AND', 'bool_bcast', 'bool', [2, 1, 4], [3, 1], [2, 3, 4]),
  binary('LOGICAL_OR', 'bool', 'bool', [2, 3, 4], [2, 3, 4], [2, 3, 4]),
  binary('LOGICAL_OR', 'bool_bcast', 'bool', [4], [2, 3, 1], [2, 3, 4]),
  // ---- SELECT_V2 ----
  ...(['float32', 'int8', 'int16'] as const).flatMap((dtype): OpConfig[] => {
    const type = dtype === 'float32' ? 'f32' : dtype;
    const qq = dtype === 'int8' ? q(0.1, 3) : dtype === 'int16' ? q(0.001, 0) : undefined;
    return [
      {
        id: `op_select_v2_${type}`,
        source: `SELECT_V2 ${dtype}: condition bool [2, 3, 4], inputs [2, 3, 4]`,
        op: 'SELECT_V2',
        tensors: [act('condition', 'bool', [2, 3, 4]), act('x', dtype, [2, 3, 4], qq), act('y', dtype, [2, 3, 4], qq), act('output', dtype, [2, 3, 4], qq)],
        inputs: [0, 1, 2],
        outputs: [3],
      },
      {
        id: `op_select_v2_${type}_bcast`,
        source: `SELECT_V2 ${dtype}: condition bool [3, 1], x [2, 1, 4], y [1], output [2, 3, 4]`,
        op: 'SELECT_V2',
        tensors: [act('condition', 'bool', [3, 1]), act('x', dtype, [2, 1, 4], qq), act('y', dtype, [1], qq), act('output', dtype, [2, 3, 4], qq)],
        inputs: [0, 1, 2],
        outputs: [3],
      },
    ];
  }),
  // ---- refused by TFLM ----
  unary('SQRT', 'int8_refused', 'int8', { inQuant: q(0.05, 0), outQuant: q(0.05, 0), refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'SQRT int8: TFLM supports float32 only' }),
  unary('LOGICAL_NOT', 'f32_refused', 'float32', { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'LOGICAL_NOT float32: bool only' }),
  unary('CAST', 'f32_to_bool_refused', 'float32', { outDtype: 'bool', refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'CAST float32 -> bool: TFLM has no bool output' }),
  binary('LESS', 'bool_refused', 'bool', [2, 3, 4], [2, 3, 4], [2, 3, 4], { refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'LESS bool: only EQUAL/NOT_EQUAL compare bools' }),
  binary('DIV', 'int16_refused', 'int16', [2, 3, 4], [2, 3, 4], [2, 3, 4], { optionsType: DIV_OPTIONS, options: [], refusal: 'XTML_STATUS_UNSUPPORTED_TYPE', source: 'DIV int16: TFLM has float32, int32 and int8' }),
];
