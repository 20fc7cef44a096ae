// Issue 14, group `data`: single-operator models for data movement, reductions
// and the structural builtins (SUM, REDUCE_MAX/MIN, ARG_MIN, GATHER, GATHER_ND,
// SLICE, SPACE_TO_DEPTH, DEPTH_TO_SPACE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND,
// MIRROR_PAD, BROADCAST_TO, BROADCAST_ARGS, CUMSUM, RESIZE_BILINEAR, BATCH_MATMUL,
// EMBEDDING_LOOKUP, int16 PACK/UNPACK), written by the project's model writer.
//
// `dataConfigs` is the list; each configuration says its model, how its inputs
// are made (seeded as the reference set defines it, or hand-chosen where
// seeded bytes would only give out-of-range indices) and whether TFLM refuses
// it. Run `node dist/tools/tflm-ops/data.js [--out DIR] [--oracle TFLM_RUN]`
// to write models/, vectors/<id>/<name>.in.bin and, with the oracle, the
// .out.bin files, TFLM's arena size and its refusals into DIR/manifest.json.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serializeTflite, type FlatField, type FlatTensor } from '../../src/convert/tflite-write.js';

export type DType = 'float32' | 'int8' | 'int16' | 'int32' | 'int64' | 'bool';
const typeCode: Record<DType, number> = { float32: 0, int32: 2, int64: 4, bool: 6, int16: 7, int8: 9 };
export const dtypeBytes: Record<DType, number> = { float32: 4, int32: 4, int64: 8, bool: 1, int16: 2, int8: 1 };

export interface TensorDef {
  name: string;
  type: DType;
  shape: readonly number[];
  /** Constant values (written little-endian in the tensor's type). */
  values?: readonly number[];
  scale?: number;
  zeroPoint?: number;
}

export interface DataConfig {
  id: string;
  /** The configuration in words (manifest `source`). */
  source: string;
  op: string;
  builtin: number;
  optionsType: number;
  options: readonly FlatField[];
  tensors: readonly TensorDef[];
  /** Operator inputs / outputs; the model's inputs are the non-constant operator inputs. */
  inputs: readonly number[];
  outputs: readonly number[];
  /** Hand-chosen inputs per vector (values per model input); absent: seeds 1, 2, 3. */
  hand?: readonly (readonly (readonly number[])[])[];
  /** TFLM refuses it (prepare or invoke); we refuse it too, with this status. */
  refused?: { status: string; why: string };
}

// ---- constants: a seeded generator of its own (xorshift32 from crc-like id hash) ----

function idSeed(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32LE(0) || 1;
}

function constValues(id: string, n: number, lo: number, hi: number): number[] {
  let s = idSeed(id);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out.push(lo + (s % (hi - lo + 1)));
  }
  return out;
}

export function encode(type: DType, values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * dtypeBytes[type]);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    switch (type) {
      case 'float32': dv.setFloat32(4 * i, v, true); break;
      case 'int32': dv.setInt32(4 * i, v, true); break;
      case 'int64': dv.setBigInt64(8 * i, BigInt(v), true); break;
      case 'int16': dv.setInt16(2 * i, v, true); break;
      case 'int8': dv.setInt8(i, v); break;
      case 'bool': dv.setUint8(i, v ? 1 : 0); break;
    }
  });
  return out;
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// ---- the configurations ----

const T = (name: string, type: DType, shape: readonly number[], q?: [number, number], values?: readonly number[]): TensorDef => ({
  name, type, shape, ...(values !== undefined ? { values } : {}), ...(q !== undefined ? { scale: q[0], zeroPoint: q[1] } : {}),
});
const i32 = (name: string, values: readonly number[], shape: readonly number[] = [values.length]): TensorDef => T(name, 'int32', shape, undefined, values);
const qOf = (type: DType, q: [number, number]): [number, number] | undefined => (type === 'float32' ? undefined : q);

const configs: DataConfig[] = [];

// Reductions: SUM (float32, int8, int16), REDUCE_MAX / REDUCE_MIN (float32, int8).
const reducer = (op: 'SUM' | 'REDUCE_MAX' | 'REDUCE_MIN', builtin: number, type: DType, shape: number[], axes: number[], keep: boolean,
  inQ: [number, number], outQ: [number, number], refused?: DataConfig['refused']): void => {
  const red = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const outShape = shape.flatMap((d, i) => (red.has(i) ? (keep ? [1] : []) : [d]));
  const id = `${op.toLowerCase()}_${type}_ax${axes.join('_').replace(/-/g, 'm')}_${keep ? 'keep' : 'drop'}${refused ? '_refused' : ''}`;
  configs.push({
    id, op, builtin, optionsType: 27, options: [{ slot: 0, type: 'bool', value: keep ? 1 : 0 }],
    source: `${op} ${type}: input [${shape}], axis [${axes}], keep_dims ${keep}${type !== 'float32' ? `, input scale ${inQ[0]} zp ${inQ[1]}, output scale ${outQ[0]} zp ${outQ[1]}` : ''}`,
    tensors: [T('input', type, shape, qOf(type, inQ)), i32('axis', axes), T('output', type, outShape, qOf(type, outQ))],
    inputs: [0, 1], outputs: [2], ...(refused ? { refused } : {}),
  });
};
reducer('SUM', 74, 'float32', [2, 3, 4], [1], false, [1, 0], [1, 0]);
reducer('SUM', 74, 'float32', [2, 3, 4], [0, 2], true, [1, 0], [1, 0]);
reducer('SUM', 74, 'int8', [2, 3, 4], [-1], false, [0.05, 3], [0.12, -2]);
reducer('SUM', 74, 'int8', [3, 2, 5], [0, 2], true, [0.02, -7], [0.3, 5]);
reducer('SUM', 74, 'int16', [2, 3, 4], [0, 1], true, [0.01, 0], [0.08, 0]);
reducer('REDUCE_MAX', 82, 'float32', [2, 3, 4], [1, 2], false, [1, 0], [1, 0]);
reducer('REDUCE_MAX', 82, 'int8', [2, 3, 4], [0], true, [0.05, 3], [0.05, 3]);
reducer('REDUCE_MAX', 82, 'int8', [4, 6], [-1, 0], false, [0.1, -4], [0.1, -4]);
reducer('REDUCE_MIN', 89, 'float32', [2, 3, 4], [2], true, [1, 0], [1, 0]);
reducer('REDUCE_MIN', 89, 'int8', [2, 3, 4], [1, 2], false, [0.05, 3], [0.05, 3]);
reducer('REDUCE_MAX', 82, 'int16', [2, 3, 4], [1], false, [0.01, 0], [0.01, 0],
  { status: 'XTML_STATUS_UNSUPPORTED_TYPE', why: 'TFLM REDUCE_MAX runs float32 and int8 only' });
reducer('REDUCE_MIN', 89, 'int8', [2, 3, 4], [1], false, [0.05, 3], [0.1, 3],
  { status: 'XTML_STATUS_MODEL_QUANTIZATION', why: 'TFLM REDUCE_MIN int8 needs the output scale and zero point of the input' });

// ARG_MIN (float32, int8 into int32).
for (const [type, shape, axis] of [['float32', [2, 5], 1], ['int8', [3, 4], 0]] as [DType, number[], number][]) {
  configs.push({
    id: `arg_min_${type}_axis${axis}`, op: 'ARG_MIN', builtin: 79, optionsType: 57, options: [{ slot: 0, type: 'i8', value: 2 }],
    source: `ARG_MIN ${type}: input [${shape}], axis ${axis}, output int32`,
    tensors: [T('input', type, shape, qOf(type, [0.1, 0])), i32('axis', [axis], [1]), T('output', 'int32', shape.filter((_, i) => i !== axis))],
    inputs: [0, 1], outputs: [2],
  });
}

// GATHER (float32, int8; int32 positions), GATHER_ND.
const gather = (type: DType, shape: number[], coordShape: number[], coords: number[], axis: number, batchDims: number): void => {
  const a = axis < 0 ? axis + shape.length : axis;
  const outShape = [...shape.slice(0, a), ...coordShape.slice(batchDims), ...shape.slice(a + 1)];
  configs.push({
    id: `gather_${type}_axis${axis < 0 ? `m${-axis}` : axis}_b${batchDims}`, op: 'GATHER', builtin: 36, optionsType: 23,
    options: [{ slot: 0, type: 'i32', value: axis }, { slot: 1, type: 'i32', value: batchDims }],
    source: `GATHER ${type}: params [${shape}], constant positions [${coordShape}] = [${coords}], axis ${axis}, batch_dims ${batchDims}`,
    tensors: [T('params', type, shape, qOf(type, [0.1, 2])), i32('positions', coords, coordShape), T('output', type, outShape, qOf(type, [0.1, 2]))],
    inputs: [0, 1], outputs: [2],
  });
};
gather('float32', [4, 3], [3], [2, 0, 3], 0, 0);
gather('int8', [2, 5, 3], [2, 2], [4, 0, 1, 1], 1, 0);
gather('int8', [2, 5, 3], [2, 3], [4, 0, 1, 3, 3, 2], 1, 1);
gather('float32', [3, 4], [2], [3, 0], -1, 0);
configs.push({
  id: 'gather_float32_positions_input', op: 'GATHER', builtin: 36, optionsType: 23, options: [{ slot: 0, type: 'i32', value: 0 }],
  source: 'GATHER float32: params [5, 2], positions [4] as a model input (hand-chosen values), axis 0',
  tensors: [T('params', 'float32', [5, 2]), T('positions', 'int32', [4]), T('output', 'float32', [4, 2])],
  inputs: [0, 1], outputs: [2],
  hand: [[[0.5, -1, 2, 3.25, -4, 8, 0, 1e-3, 7, -0.125], [4, 0, 2, 2]], [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 3, 0, 4]]],
});
for (const [type, shape, idxShape, idx] of [
  ['float32', [3, 4, 2], [3, 2], [1, 2, 0, 3, 2, 0]],
  ['int8', [2, 3], [2, 1], [1, 0]],
  ['int8', [2, 3, 2], [2, 2, 3], [1, 2, 1, 0, 0, 0, 1, 1, 0, 0, 2, 1]],
] as [DType, number[], number[], number[]][]) {
  const nd = idxShape[idxShape.length - 1]!;
  configs.push({
    id: `gather_nd_${type}_${shape.join('x')}_nd${nd}`, op: 'GATHER_ND', builtin: 107, optionsType: 83, options: [],
    source: `GATHER_ND ${type}: params [${shape}], constant indices [${idxShape}] = [${idx}]`,
    tensors: [T('params', type, shape, qOf(type, [0.1, 2])), i32('indices', idx, idxShape),
      T('output', type, [...idxShape.slice(0, -1), ...shape.slice(nd)], qOf(type, [0.1, 2]))],
    inputs: [0, 1], outputs: [2],
  });
}

// SLICE (float32, int8, int16, int32).
for (const [type, shape, begin, size] of [
  ['float32', [2, 3, 4], [0, 1, 1], [2, -1, 2]],
  ['int8', [3, 5], [1, 0], [2, 5]],
  ['int16', [2, 3, 4], [1, 0, 2], [1, 3, 2]],
  ['int32', [4, 1, 3], [1, 0, 0], [2, 1, -1]],
] as [DType, number[], number[], number[]][]) {
  configs.push({
    id: `slice_${type}_${shape.join('x')}`, op: 'SLICE', builtin: 65, optionsType: 48, options: [],
    source: `SLICE ${type}: input [${shape}], begin [${begin}], size [${size}]`,
    tensors: [T('input', type, shape, qOf(type, [0.1, 0])), i32('begin', begin), i32('size', size),
      T('output', type, size.map((s, i) => (s === -1 ? shape[i]! - begin[i]! : s)), qOf(type, [0.1, 0]))],
    inputs: [0, 1, 2], outputs: [3],
  });
}

// SPACE_TO_DEPTH / DEPTH_TO_SPACE (float32, int8).
for (const [op, type, shape, block] of [
  ['SPACE_TO_DEPTH', 'float32', [1, 4, 4, 2], 2], ['SPACE_TO_DEPTH', 'int8', [2, 4, 6, 1], 2],
  ['DEPTH_TO_SPACE', 'float32', [1, 2, 2, 8], 2], ['DEPTH_TO_SPACE', 'int8', [2, 2, 3, 9], 3],
] as ['SPACE_TO_DEPTH' | 'DEPTH_TO_SPACE', DType, number[], number][]) {
  const s2d = op === 'SPACE_TO_DEPTH';
  const [n, h, w, c] = shape as [number, number, number, number];
  const outShape = s2d ? [n, h / block, w / block, c * block * block] : [n, h * block, w * block, c / (block * block)];
  configs.push({
    id: `${op.toLowerCase()}_${type}_b${block}`, op, builtin: s2d ? 26 : 5, optionsType: s2d ? 19 : 94,
    options: [{ slot: 0, type: 'i32', value: block }],
    source: `${op} ${type}: input [${shape}], block_size ${block}`,
    tensors: [T('input', type, shape, qOf(type, [0.1, 1])), T('output', type, outShape, qOf(type, [0.1, 1]))],
    inputs: [0], outputs: [1],
  });
}

// SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (float32, int8; 3-D and 4-D).
const s2b = (type: DType, shape: number[], block: number[], pads: number[], zp: number): void => {
  const sp = shape.slice(1, 1 + block.length).map((d, i) => (d + pads[2 * i]! + pads[2 * i + 1]!) / block[i]!);
  const outShape = [shape[0]! * block.reduce((a, b) => a * b, 1), ...sp, shape[shape.length - 1]!];
  configs.push({
    id: `space_to_batch_nd_${type}_${shape.length}d_zp${zp}`, op: 'SPACE_TO_BATCH_ND', builtin: 38, optionsType: 25, options: [],
    source: `SPACE_TO_BATCH_ND ${type}: input [${shape}], block_shape [${block}], paddings [${pads}]${type === 'int8' ? `, zero point ${zp}` : ''}`,
    tensors: [T('input', type, shape, qOf(type, [0.1, zp])), i32('block_shape', block), i32('paddings', pads, [block.length, 2]),
      T('output', type, outShape, qOf(type, [0.1, zp]))],
    inputs: [0, 1, 2], outputs: [3],
  });
};
s2b('float32', [1, 4, 4, 1], [2, 2], [0, 0, 0, 0], 0);
s2b('int8', [2, 3, 5, 2], [2, 3], [1, 0, 0, 1], 0);
s2b('int8', [1, 2, 4, 1], [2, 2], [1, 1, 2, 2], 6);
s2b('float32', [2, 4, 3], [2], [1, 1], 0);
const b2s = (type: DType, shape: number[], block: number[], crops: number[]): void => {
  const sp = shape.slice(1, 1 + block.length).map((d, i) => d * block[i]! - crops[2 * i]! - crops[2 * i + 1]!);
  const outShape = [shape[0]! / block.reduce((a, b) => a * b, 1), ...sp, shape[shape.length - 1]!];
  configs.push({
    id: `batch_to_space_nd_${type}_${shape.length}d`, op: 'BATCH_TO_SPACE_ND', builtin: 37, optionsType: 24, options: [],
    source: `BATCH_TO_SPACE_ND ${type}: input [${shape}], block_shape [${block}], crops [${crops}]`,
    tensors: [T('input', type, shape, qOf(type, [0.1, 0])), i32('block_shape', block), i32('crops', crops, [block.length, 2]),
      T('output', type, outShape, qOf(type, [0.1, 0]))],
    inputs: [0, 1, 2], outputs: [3],
  });
};
b2s('float32', [4, 2, 2, 1], [2, 2], [0, 0, 0, 0]);
b2s('int8', [6, 2, 2, 2], [2, 3], [1, 0, 0, 2]);
b2s('float32', [4, 3, 2], [2], [1, 0]);

// MIRROR_PAD (float32, int8; REFLECT = 0, SYMMETRIC = 1).
for (const [type, shape, pads, mode] of [
  ['float32', [2, 3], [1, 1, 2, 2], 0], ['float32', [3, 2], [3, 0, 1, 2], 1],
  ['int8', [3, 4], [2, 3, 1, 4], 1], ['int8', [2, 3, 4], [1, 0, 0, 2, 3, 3], 0],
] as [DType, number[], number[], number][]) {
  configs.push({
    id: `mirror_pad_${type}_${mode === 0 ? 'reflect' : 'symmetric'}_${shape.length}d`, op: 'MIRROR_PAD', builtin: 100, optionsType: 77,
    options: [{ slot: 0, type: 'i8', value: mode }],
    source: `MIRROR_PAD ${type}: input [${shape}], paddings [${pads}], mode ${mode === 0 ? 'REFLECT' : 'SYMMETRIC'}`,
    tensors: [T('input', type, shape, qOf(type, [0.1, 0])), i32('paddings', pads, [shape.length, 2]),
      T('output', type, shape.map((d, i) => d + pads[2 * i]! + pads[2 * i + 1]!), qOf(type, [0.1, 0]))],
    inputs: [0, 1], outputs: [2],
  });
}

// BROADCAST_TO (any type TFLM moves), BROADCAST_ARGS (int32, int64).
for (const [type, shape, to] of [
  ['float32', [3, 1], [2, 3, 4]], ['int8', [1, 4], [3, 4]], ['int16', [2, 1, 3], [2, 2, 3]], ['int32', [1], [2, 1, 3]],
] as [DType, number[], number[]][]) {
  configs.push({
    id: `broadcast_to_${type}_${shape.join('x')}_to_${to.join('x')}`, op: 'BROADCAST_TO', builtin: 130, optionsType: 104, options: [],
    source: `BROADCAST_TO ${type}: input [${shape}] to constant shape [${to}]`,
    tensors: [T('input', type, shape, qOf(type, [0.1, 0])), i32('shape', to), T('output', type, to, qOf(type, [0.1, 0]))],
    inputs: [0, 1], outputs: [2],
  });
}
for (const type of ['int32', 'int64'] as DType[]) {
  configs.push({
    id: `broadcast_args_${type}`, op: 'BROADCAST_ARGS', builtin: 145, optionsType: 0, options: [],
    source: `BROADCAST_ARGS ${type}: shapes [2] and [4] as model inputs (hand-chosen), output [4]`,
    tensors: [T('s0', type, [2]), T('s1', type, [4]), T('output', type, [4])],
    inputs: [0, 1], outputs: [2],
    hand: [[[3, 1], [2, 1, 1, 5]], [[1, 7], [4, 3, 1, 7]], [[6, 1], [1, 1, 6, 9]]],
  });
}

// CUMSUM (float32, int8; exclusive / reverse).
for (const [type, shape, axis, exclusive, reverse, inQ, outQ] of [
  ['float32', [2, 5], 1, false, false, [1, 0], [1, 0]], ['float32', [2, 5], 1, true, false, [1, 0], [1, 0]],
  ['float32', [3, 2, 2], 0, false, true, [1, 0], [1, 0]], ['float32', [4, 3], -1, true, true, [1, 0], [1, 0]],
  ['int8', [3, 4], 1, false, false, [0.05, 0], [0.2, 0]], ['int8', [4, 3], 0, true, true, [0.03, -9], [0.1, 4]],
  ['int8', [2, 6], -1, false, true, [0.1, 20], [0.4, -3]],
] as [DType, number[], number, boolean, boolean, [number, number], [number, number]][]) {
  configs.push({
    id: `cumsum_${type}_${shape.join('x')}_ax${axis < 0 ? 'm' + -axis : axis}${exclusive ? '_excl' : ''}${reverse ? '_rev' : ''}`, op: 'CUMSUM', builtin: 128, optionsType: 102,
    options: [{ slot: 0, type: 'bool', value: exclusive ? 1 : 0 }, { slot: 1, type: 'bool', value: reverse ? 1 : 0 }],
    source: `CUMSUM ${type}: input [${shape}], axis ${axis}, exclusive ${exclusive}, reverse ${reverse}${type === 'int8' ? `, input scale ${inQ[0]} zp ${inQ[1]}, output scale ${outQ[0]} zp ${outQ[1]}` : ''}`,
    tensors: [T('input', type, shape, qOf(type, inQ)), i32('axis', [axis], []), T('output', type, shape, qOf(type, outQ))],
    inputs: [0, 1], outputs: [2],
  });
}

// RESIZE_BILINEAR (float32, int8; align_corners, half_pixel_centers).
for (const [type, shape, size, align, half] of [
  ['float32', [1, 3, 4, 2], [5, 7], false, false], ['float32', [1, 2, 3, 1], [4, 5], true, false],
  ['float32', [2, 3, 3, 1], [5, 4], false, true], ['float32', [1, 5, 4, 1], [2, 3], false, true],
  ['int8', [1, 3, 3, 2], [5, 6], false, false], ['int8', [1, 3, 2, 1], [4, 5], true, false],
  ['int8', [1, 4, 3, 1], [7, 5], false, true], ['int8', [1, 6, 6, 1], [4, 3], false, false],
] as [DType, number[], number[], boolean, boolean][]) {
  configs.push({
    id: `resize_bilinear_${type}_${shape.slice(1, 3).join('x')}_to_${size.join('x')}${align ? '_align' : ''}${half ? '_half' : ''}`,
    op: 'RESIZE_BILINEAR', builtin: 23, optionsType: 15,
    options: [{ slot: 2, type: 'bool', value: align ? 1 : 0 }, { slot: 3, type: 'bool', value: half ? 1 : 0 }],
    source: `RESIZE_BILINEAR ${type}: input [${shape}], constant size [${size}], align_corners ${align}, half_pixel_centers ${half}`,
    tensors: [T('input', type, shape, qOf(type, [0.1, 3])), i32('size', size), T('output', type, [shape[0]!, size[0]!, size[1]!, shape[3]!], qOf(type, [0.1, 3]))],
    inputs: [0, 1], outputs: [2],
  });
}

// BATCH_MATMUL (float32, int8, int16; adj_x / adj_y; broadcast batch dims; a constant operand).
const bmm = (type: DType, xs: number[], ys: number[], adjX: boolean, adjY: boolean, q: [number, number][], constY = false,
  refused?: DataConfig['refused']): void => {
  const rank = Math.max(xs.length, ys.length);
  const xe = [...new Array<number>(rank - xs.length).fill(1), ...xs], ye = [...new Array<number>(rank - ys.length).fill(1), ...ys];
  const m = adjX ? xe[rank - 1]! : xe[rank - 2]!, n = adjY ? ye[rank - 2]! : ye[rank - 1]!;
  const outShape = [...xe.slice(0, rank - 2).map((d, i) => (d === 1 ? ye[i]! : d)), m, n];
  const id = `batch_matmul_${type}_${xs.join('x')}_${ys.join('x')}${adjX ? '_adjx' : ''}${adjY ? '_adjy' : ''}${constY ? '_const' : ''}${refused ? '_refused' : ''}`;
  const yValues = constY ? constValues(id, ys.reduce((a, b) => a * b, 1), type === 'float32' ? -100 : -127, type === 'float32' ? 100 : 127).map((v) => (type === 'float32' ? v / 64 : v)) : undefined;
  configs.push({
    id, op: 'BATCH_MATMUL', builtin: 126, optionsType: 101,
    options: [{ slot: 0, type: 'bool', value: adjX ? 1 : 0 }, { slot: 1, type: 'bool', value: adjY ? 1 : 0 }],
    source: `BATCH_MATMUL ${type}: x [${xs}], y [${ys}]${constY ? ' (constant, seeded from the id)' : ''}, adj_x ${adjX}, adj_y ${adjY}` +
      (type !== 'float32' ? `, scales/zero points x ${q[0]}, y ${q[1]}, output ${q[2]}` : ''),
    tensors: [T('x', type, xs, qOf(type, q[0]!)), T('y', type, ys, qOf(type, q[1]!), yValues), T('output', type, outShape, qOf(type, q[2]!))],
    inputs: [0, 1], outputs: [2], ...(refused ? { refused } : {}),
  });
};
const fq: [number, number][] = [[1, 0], [1, 0], [1, 0]];
bmm('float32', [2, 3, 4], [4, 5], false, false, fq);
bmm('float32', [2, 4, 3], [2, 5, 4], true, true, fq);
bmm('float32', [2, 1, 3, 4], [3, 4, 2], false, false, fq);
bmm('float32', [3, 4], [2, 4, 2], false, false, fq, true);
bmm('int8', [2, 3, 4], [2, 4, 3], false, false, [[0.05, 3], [0.04, -6], [0.3, 2]]);
bmm('int8', [3, 5], [2, 4, 5], false, true, [[0.02, -1], [0.05, 0], [0.1, -10]], true);
bmm('int8', [2, 4, 3], [4, 2], true, false, [[0.1, 0], [0.1, 5], [0.5, 0]]);
bmm('int16', [2, 3, 4], [4, 3], false, false, [[0.002, 0], [0.003, 0], [0.01, 0]]);
bmm('int16', [3, 4], [2, 3], true, true, [[0.002, 0], [0.003, 0], [0.004, 0]]);
bmm('int16', [3, 4], [4, 2], false, false, [[0.002, 1], [0.003, 0], [0.004, 0]], false,
  { status: 'XTML_STATUS_MODEL_QUANTIZATION', why: 'TFLM BATCH_MATMUL int16 needs zero points 0' });

// EMBEDDING_LOOKUP (float32 table; int8 table into int8 or, dequantized, float32).
for (const [table, out] of [['float32', 'float32'], ['int8', 'int8'], ['int8', 'float32']] as [DType, DType][]) {
  const id = `embedding_lookup_${table}_to_${out}`;
  const values = table === 'float32' ? constValues(id, 15, -1000, 1000).map((v) => v / 64) : constValues(id, 15, -128, 127);
  configs.push({
    id, op: 'EMBEDDING_LOOKUP', builtin: 7, optionsType: 0, options: [],
    source: `EMBEDDING_LOOKUP: constant ${table} table [5, 3] (seeded from the id), ids [4] int32 as the model input (hand-chosen), output ${out}`,
    tensors: [T('ids', 'int32', [4]), T('table', table, [5, 3], qOf(table, [0.0625, 0]), values), T('output', out, [4, 3], qOf(out, [0.0625, 0]))],
    inputs: [0, 1], outputs: [2],
    hand: [[[0, 4, 2, 2]], [[3, 1, 0, 4]]],
  });
}

// PACK / UNPACK int16 (the existing kernels move any 2-byte type).
configs.push({
  id: 'pack_int16_axis1', op: 'PACK', builtin: 83, optionsType: 59,
  options: [{ slot: 0, type: 'i32', value: 3 }, { slot: 1, type: 'i32', value: 1 }],
  source: 'PACK int16: three inputs [2, 4] along axis 1 into [2, 3, 4]',
  tensors: [T('a', 'int16', [2, 4], [0.01, 0]), T('b', 'int16', [2, 4], [0.01, 0]), T('c', 'int16', [2, 4], [0.01, 0]), T('output', 'int16', [2, 3, 4], [0.01, 0])],
  inputs: [0, 1, 2], outputs: [3],
});
configs.push({
  id: 'unpack_int16_axis0', op: 'UNPACK', builtin: 88, optionsType: 64,
  options: [{ slot: 0, type: 'i32', value: 2 }, { slot: 1, type: 'i32', value: 0 }],
  source: 'UNPACK int16: input [2, 3, 2] along axis 0 into two [3, 2]',
  tensors: [T('input', 'int16', [2, 3, 2], [0.01, 0]), T('a', 'int16', [3, 2], [0.01, 0]), T('b', 'int16', [3, 2], [0.01, 0])],
  inputs: [0], outputs: [1, 2],
});

export const dataConfigs: readonly DataConfig[] = configs;

/**
 * The same configurations in the shape of the shared driver's OpConfig
 * (tools/tflm-ops/gen.ts on branch ops14a: `npm run tflm-ops -- --group data
 * --oracle ...`), so either writer can produce the group once the oracle runs.
 */
export const configs_for_gen = dataConfigs.map((c) => ({
  id: c.id, source: c.source, op: c.op, optionsType: c.optionsType, options: c.options,
  tensors: c.tensors.map((t) => ({
    name: t.name, dtype: t.type, shape: t.shape, ...(t.values !== undefined ? { values: t.values } : {}),
    ...(t.scale !== undefined ? { quant: { scale: [t.scale], zeroPoint: [t.zeroPoint ?? 0] } } : {}),
  })),
  inputs: c.inputs, outputs: c.outputs,
  ...(c.hand !== undefined ? { seeds: [], vectors: vectorInputs(c).map((v) => ({ name: v.name, input: v.bytes })) } : {}),
  ...(c.refused !== undefined ? { refusal: c.refused.status } : {}),
}));

// ---- models and inputs ----

/** The model's input tensors: the operator's inputs without constant data. */
export function modelInputs(c: DataConfig): number[] {
  return c.inputs.filter((i) => i >= 0 && c.tensors[i]!.values === undefined);
}

export function modelBytes(c: DataConfig): Uint8Array {
  const tensors: FlatTensor[] = c.tensors.map((t) => ({
    name: t.name, type: typeCode[t.type], shape: t.shape,
    ...(t.values !== undefined ? { data: encode(t.type, t.values) } : {}),
    ...(t.scale !== undefined ? { quant: { scale: [t.scale], zeroPoint: [t.zeroPoint ?? 0], axis: 0 } } : {}),
  }));
  return serializeTflite({
    tensors,
    operators: [{ builtin: c.builtin, version: 1, inputs: c.inputs, outputs: c.outputs, optionsType: c.optionsType, options: c.options }],
    inputs: modelInputs(c),
    outputs: c.outputs,
    description: `xs-tinyml tflm-ops data: ${c.id}`,
  });
}

/** Seeded input bytes (the reference set's rule, the state carried across input tensors). */
export function seededInput(c: DataConfig, seed: number): Uint8Array {
  let state = seed >>> 0;
  const step = (): number => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state;
  };
  const parts: Uint8Array[] = [];
  for (const i of modelInputs(c)) {
    const t = c.tensors[i]!;
    if (t.type === 'float32') {
      parts.push(encode('float32', Array.from({ length: count(t.shape) }, () => Math.fround((step() | 0) / 2 ** 31))));
    } else {
      parts.push(Uint8Array.from({ length: count(t.shape) * dtypeBytes[t.type] }, () => step() >>> 24));
    }
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export interface VectorInput { name: string; kind: 'seeded' | 'hand'; seed?: number; bytes: Uint8Array }

export function vectorInputs(c: DataConfig): VectorInput[] {
  if (c.hand !== undefined) {
    return c.hand.map((vals, v) => ({
      name: `hand${v + 1}`, kind: 'hand' as const,
      bytes: concat(modelInputs(c).map((ti, k) => encode(c.tensors[ti]!.type, vals[k]!))),
    }));
  }
  return [1, 2, 3].map((seed) => ({ name: `seed${seed}`, kind: 'seeded' as const, seed, bytes: seededInput(c, seed) }));
}

function tensorSpecs(c: DataConfig, which: readonly number[]): object[] {
  let offset = 0;
  return which.map((i) => {
    const t = c.tensors[i]!;
    const bytes = count(t.shape) * dtypeBytes[t.type];
    const spec = {
      name: t.name, dtype: t.type, shape: t.shape, byte_offset: offset, bytes,
      ...(t.scale !== undefined ? { quant: { scale: [t.scale], zero_point: [t.zeroPoint ?? 0], quantized_dimension: 0 } } : {}),
    };
    offset += bytes;
    return spec;
  });
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Write the group: models, inputs and (with the oracle) outputs and manifest. */
export function writeGroup(outDir: string, oracle: string | undefined): void {
  mkdirSync(join(outDir, 'models'), { recursive: true });
  mkdirSync(join(outDir, 'refused'), { recursive: true });
  const models: object[] = [];
  const refused: object[] = [];
  for (const c of dataConfigs) {
    const bytes = modelBytes(c);
    const rel = `${c.refused ? 'refused' : 'models'}/${c.id}.tflite`;
    writeFileSync(join(outDir, rel), bytes);
    const vectors: object[] = [];
    const pending: object[] = [];
    let arena: number | null = null;
    const tflmLog: string[] = [];
    let tflmStatus = 'not run';
    for (const v of vectorInputs(c)) {
      if (c.refused) break;
      const vdir = join(outDir, 'vectors', c.id);
      mkdirSync(vdir, { recursive: true });
      const inPath = join(vdir, `${v.name}.in.bin`);
      writeFileSync(inPath, v.bytes);
      const outPath = join(vdir, `${v.name}.out.bin`);
      if (oracle !== undefined) {
        const log = execFileSync(oracle, [join(outDir, rel), '--input', inPath, '--output', outPath], { encoding: 'utf8' });
        const m = /arena_used_bytes (\d+)/.exec(log);
        if (m) arena = Number(m[1]);
      }
      const vector = {
        name: v.name, kind: v.kind, ...(v.seed !== undefined ? { seed: v.seed } : {}),
        input_sha256: sha(v.bytes), input: `vectors/${c.id}/${v.name}.in.bin`,
      };
      if (existsSync(outPath)) vectors.push({ ...vector, output_sha256: sha(readFileSync(outPath)), output: `vectors/${c.id}/${v.name}.out.bin` });
      else pending.push(vector);
    }
    if (c.refused && oracle !== undefined) {
      const inPath = join(outDir, 'refused', `${c.id}.in.bin`);
      writeFileSync(inPath, vectorInputs(c)[0]!.bytes);
      try {
        // A file of our own, never /dev/null: the oracle removes its output when the invoke fails.
        execFileSync(oracle, [join(outDir, rel), '--input', inPath, '--output', `${inPath}.out`], { encoding: 'utf8', stdio: 'pipe' });
        tflmStatus = 'ran';
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        tflmStatus = `exit ${err.status ?? '?'}`;
        tflmLog.push(...`${err.stdout ?? ''}${err.stderr ?? ''}`.split('\n').filter((l) => l.trim() !== ''));
      }
      rmSync(`${inPath}.out`, { force: true });
    }
    const entry = {
      id: c.id, model: rel, sha256: sha(bytes), bytes: bytes.length, source: c.source, license: 'generated test data',
      ops: { [c.op]: 1 }, inputs: tensorSpecs(c, modelInputs(c)), outputs: tensorSpecs(c, c.outputs),
    };
    if (c.refused) {
      refused.push({ ...entry, op: c.op, config: c.source, expected_refusal: c.refused.status, why: c.refused.why, tflm_status: tflmStatus, tflm_error: tflmLog });
    } else {
      // `vectors` lists only vectors with TFLM's outputs (the shared vector tests run each);
      // inputs still waiting for the oracle are `vectors_without_tflm`
      models.push({ ...entry, vectors, ...(pending.length > 0 ? { vectors_without_tflm: pending } : {}), tflm: { arena_used_bytes_x86_64: arena } });
    }
  }
  const manifest = {
    about: 'Issue 14, group data: single-operator models written by src/convert/tflite-write.ts from tools/tflm-ops/data.ts, with inputs and the outputs upstream TFLM produced for them.',
    oracle: oracle !== undefined ? 'upstream TFLM 90b983c reference kernels (see /work/scratch-tflm/README), x86-64' : null,
    seeded_inputs: 'as ../shared/reference/ops/manifest.json: xorshift32, seeds 1, 2, 3; hand-chosen inputs (kind "hand") where seeded bytes would index out of range',
    models, refused,
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]).endsWith(join('tflm-ops', 'data.js'))) {
  const args = process.argv.slice(2);
  const at = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  const outDir = resolve(at('--out') ?? 'test/data/tflm-ops/data');
  writeGroup(outDir, at('--oracle'));
  console.log(`wrote ${dataConfigs.length} configurations to ${outDir}`);
}
