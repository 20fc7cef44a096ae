// Group 'int32' of test/data/tflm-ops: ADD, SUB, MUL, MAXIMUM and MINIMUM on
// plain (unquantized) int32, as the micro_speech audio front end uses them to
// rescale its features (docs/audio.md). Seeded inputs are full-range int32, so
// sums and products wrap; activations: TFLM's ADD ignores its activation on
// int32 (clamps to the whole range), SUB and MUL clamp to it; ADD refuses
// quantized int32 inputs.
import type { OpConfig, OpTensor } from './gen.js';

const OPTS = { ADD: 11, SUB: 28, MUL: 21, MAXMIN: 39 } as const;
const ACT = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3 } as const;
const i32 = (name: string, shape: readonly number[], values?: readonly number[]): OpTensor => ({ name, dtype: 'int32', shape, ...(values !== undefined ? { values } : {}) });

function binary(op: 'ADD' | 'SUB' | 'MUL' | 'MAXIMUM' | 'MINIMUM', id: string, a: OpTensor, b: OpTensor, out: readonly number[], act: keyof typeof ACT, extra: Partial<OpConfig> = {}): OpConfig {
  const optionsType = op === 'ADD' ? OPTS.ADD : op === 'SUB' ? OPTS.SUB : op === 'MUL' ? OPTS.MUL : OPTS.MAXMIN;
  const withAct = op === 'ADD' || op === 'SUB' || op === 'MUL';
  return {
    id: `op_${op.toLowerCase()}_int32_${id}`,
    source: `${op} int32: [${a.shape.join(', ')}]${a.values ? ' (constant)' : ''} and [${b.shape.join(', ')}]${b.values ? ' (constant)' : ''} -> [${out.join(', ')}]${withAct ? `, activation ${act}` : ''}`,
    op,
    tensors: [a, b, i32('output', out)],
    inputs: [0, 1],
    outputs: [2],
    optionsType,
    options: withAct && act !== 'NONE' ? [{ slot: 0, type: 'i8', value: ACT[act] }] : [],
    ...extra,
  };
}

export const configs: OpConfig[] = [
  binary('ADD', 'same', i32('a', [2, 5]), i32('b', [2, 5]), [2, 5], 'NONE'),
  binary('ADD', 'relu_ignored', i32('a', [12]), i32('b', [12]), [12], 'RELU'),
  binary('ADD', 'bcast_const', i32('a', [3, 4]), i32('b', [], [333]), [3, 4], 'NONE'),
  binary('ADD', 'quantized', { ...i32('a', [4]), quant: { scale: [0.5], zeroPoint: [0] } }, i32('b', [4]), [4], 'NONE', {
    source: 'ADD int32 with a quantized input: TFLM refuses it', refusal: 'XTML_STATUS_UNSUPPORTED_CONFIG',
  }),
  binary('SUB', 'bcast_row', i32('a', [3, 4]), i32('b', [4]), [3, 4], 'NONE'),
  binary('SUB', 'relu6', i32('a', [8]), i32('b', [8]), [8], 'RELU6', {
    seeds: [1],
    vectors: [{ name: 'small', input: new Uint8Array(new Int32Array([0, 1, 5, 6, 7, -3, 100, 9, 0, 0, 0, 0, 0, 0, 0, 3]).buffer) }],
  }),
  binary('MUL', 'same', i32('a', [10]), i32('b', [10]), [10], 'NONE'),
  binary('MUL', 'bcast_const', i32('a', [40]), i32('b', [], [256]), [40], 'NONE', {
    vectors: [{ name: 'log_range', input: new Uint8Array(new Int32Array(Array.from({ length: 40 }, (_, i) => i * 17 - 40)).buffer) }],
  }),
  binary('MUL', 'relu_n1_to_1', i32('a', [2, 3]), i32('b', [2, 3]), [2, 3], 'RELU_N1_TO_1', {
    seeds: [1],
    vectors: [{ name: 'small', input: new Uint8Array(new Int32Array([0, 1, -1, 2, -2, 3, 1, 1, 1, 1, 1, -1]).buffer) }],
  }),
  binary('MAXIMUM', 'bcast_const', i32('a', [40]), i32('b', [], [-128]), [40], 'NONE'),
  binary('MINIMUM', 'bcast', i32('a', [2, 3, 4]), i32('b', [3, 1]), [2, 3, 4], 'NONE'),
];
