// Random single-operator models for the kernel tests: CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED, int8 and float32, on the shapes the
// reference vectors do not cover and the fast kernels treat specially:
// 1x1 filters read in place and larger ones gathered, blocks of pixels and
// channels with leftovers (odd depths and channel counts), strides,
// dilations, both paddings, batches, groups, every depth-multiplier kind,
// depthwise rows of four pixels sharing input columns (3-wide filters at
// stride 1 and 2), input and output zero points at the int8 extremes,
// per-tensor and per-channel weights, multipliers of 1 or more (a left shift
// in the requantization), bias or none.
import { writeTflite, type OperatorDef, type TensorDef } from './tflite-writer.js';
import { XorShift32 } from './xorshift.js';

/** xorshift32, as the reference README seeds inputs. */
export class Seeded extends XorShift32 {
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  /** A float in [lo, hi). */
  real(lo: number, hi: number): number {
    return lo + ((hi - lo) * this.next()) / 2 ** 32;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length]!;
  }
  /** Input bytes: int8 tensors the top byte of each state, float32 ones (int32)state / 2^31. */
  bytes(count: number, float: boolean): Uint8Array<ArrayBuffer> {
    const bytes = new Uint8Array(count);
    if (float) {
      const view = new DataView(bytes.buffer);
      for (let i = 0; i + 4 <= count; i += 4) view.setFloat32(i, (this.next() | 0) / 2 ** 31, true);
    } else {
      for (let i = 0; i < count; i++) bytes[i] = this.next() >>> 24;
    }
    return bytes;
  }
}

const CONV_2D = 3;
const DEPTHWISE_CONV_2D = 4;
const FULLY_CONNECTED = 9;
const CONV2D_OPTIONS = 1;
const DEPTHWISE_CONV2D_OPTIONS = 2;
const FULLY_CONNECTED_OPTIONS = 8;

export interface RandomModel {
  description: string;
  bytes: Uint8Array;
  /** Bytes of the model's one input tensor. */
  inputBytes: number;
  float: boolean;
}

function int8Data(r: Seeded, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, () => r.next() >>> 24);
}
function int32Data(r: Seeded, count: number, magnitude: number): Uint8Array {
  const data = new Uint8Array(4 * count);
  const view = new DataView(data.buffer);
  for (let i = 0; i < count; i++) view.setInt32(4 * i, r.int(-magnitude, magnitude), true);
  return data;
}
function float32Data(r: Seeded, count: number): Uint8Array {
  const data = new Uint8Array(4 * count);
  const view = new DataView(data.buffer);
  for (let i = 0; i < count; i++) view.setFloat32(4 * i, r.real(-1, 1), true);
  return data;
}

/** A zero point, often at the int8 extremes. */
function zeroPoint(r: Seeded): number {
  return r.pick([-128, 127, r.int(-128, 127), r.int(-128, 127)]);
}

/**
 * Output scale for sums of `terms` products: usually one that spreads the
 * outputs over the int8 range (multiplier well below 1); one time in eight
 * one that makes the multiplier 1 or more (requantization shifts left).
 */
function outputScale(r: Seeded, inScale: number, wScale: number, terms: number): number {
  if (r.int(0, 7) === 0) return inScale * wScale * r.real(0.05, 0.9);
  return inScale * wScale * Math.sqrt(terms) * r.real(20, 200);
}

/** Output size and whether the filter fits, as TFLite computes them. */
function outputSize(padding: number, size: number, taps: number, stride: number, dilation: number): number {
  const span = (taps - 1) * dilation + 1;
  return padding === 0 ? Math.ceil(size / stride) : Math.floor((size + stride - span) / stride);
}

/**
 * A random CONV_2D or DEPTHWISE_CONV_2D model. Weights: filter [out_c, h, w,
 * filter_c] (per channel along 0) or depthwise [1, h, w, out_c] (along 3).
 */
export function randomConv(r: Seeded, depthwise: boolean, float: boolean): RandomModel {
  const batches = r.pick([1, 1, 1, 2]);
  const shape = r.pick(['1x1', '3x3', '3x3', 'any'] as const);
  const pointwise = !depthwise && shape === '1x1';
  // A depthwise row of four pixels sharing columns needs width for them.
  const quad = depthwise && shape === '3x3';
  const inH = r.int(1, 11);
  const inW = quad ? r.int(6, 17) : r.int(1, 11);
  let filterH = r.int(1, Math.min(5, inH + 1));
  let filterW = r.int(1, Math.min(5, inW + 1));
  if (pointwise) filterH = filterW = 1;
  if (shape === '3x3') filterH = filterW = 3;
  const strideH = r.pick([1, 1, 2, 3]);
  const strideW = quad ? r.pick([1, 1, 2]) : r.pick([1, 1, 2, 3]);
  const dilH = pointwise ? 1 : r.pick([1, 1, 1, 2, 3]);
  const dilW = pointwise || quad ? 1 : r.pick([1, 1, 1, 2, 3]);
  let padding = r.pick([0, 1]); // SAME, VALID
  if (outputSize(padding, inH, filterH, strideH, dilH) <= 0 || outputSize(padding, inW, filterW, strideW, dilW) <= 0) padding = 0;
  const outH = outputSize(padding, inH, filterH, strideH, dilH);
  const outW = outputSize(padding, inW, filterW, strideW, dilW);
  let inC: number;
  let filterC: number;
  let outC: number;
  let multiplier = 1;
  if (depthwise) {
    inC = r.int(1, 40);
    multiplier = r.pick([1, 1, 1, 1, 2, 3, 4, 8, 12, 16]);
    if (multiplier > 1) inC = r.int(1, 6);
    filterC = 1;
    outC = inC * multiplier;
  } else {
    const groups = r.pick([1, 1, 1, 1, 1, 2, 3]);
    filterC = r.int(1, 40);
    inC = groups * filterC;
    outC = groups * r.int(1, 20);
  }
  const filterShape = depthwise ? [1, filterH, filterW, outC] : [outC, filterH, filterW, filterC];
  const filterCount = filterShape.reduce((a, b) => a * b, 1);
  const activation = r.pick([0, 1, 2, 3]); // NONE, RELU, RELU_N1_TO_1, RELU6
  const bias = r.pick(['bias', 'bias', 'none', 'absent'] as const);
  const tensors: TensorDef[] = [];
  const inScale = r.real(0.005, 0.05);
  const wScales = Array.from({ length: r.int(0, 2) === 0 ? 1 : outC }, () => r.real(0.002, 0.02));
  const patch = filterH * filterW * filterC;
  const outScale = outputScale(r, inScale, wScales[0]!, patch);
  const quant = (scale: number[], zeroPoints: number[], quantizedDimension = 0) => (float ? {} : { scale, zeroPoint: zeroPoints, quantizedDimension });
  tensors.push({ name: 'input', type: float ? 'float32' : 'int8', shape: [batches, inH, inW, inC], ...quant([inScale], [zeroPoint(r)]) });
  tensors.push({
    name: 'filter', type: float ? 'float32' : 'int8', shape: filterShape,
    data: float ? float32Data(r, filterCount) : int8Data(r, filterCount),
    ...quant(wScales, wScales.map(() => 0), depthwise ? 3 : 0),
  });
  tensors.push({ name: 'output', type: float ? 'float32' : 'int8', shape: [batches, outH, outW, outC], ...quant([outScale], [zeroPoint(r)]) });
  const inputs = [0, 1];
  if (bias === 'bias') {
    tensors.push({
      name: 'bias', type: float ? 'float32' : 'int32', shape: [outC],
      data: float ? float32Data(r, outC) : int32Data(r, outC, r.pick([1 << 12, 1 << 16, 1 << 30])),
      ...quant(wScales.map((s) => s * inScale), wScales.map(() => 0)),
    });
    inputs.push(3);
  } else if (bias === 'absent') {
    inputs.push(-1);
  }
  const op: OperatorDef = depthwise
    ? {
        builtin: DEPTHWISE_CONV_2D, version: 2, inputs, outputs: [2], optionsType: DEPTHWISE_CONV2D_OPTIONS,
        options: [{ type: 'i8', value: padding }, { type: 'i32', value: strideW }, { type: 'i32', value: strideH }, { type: 'i32', value: multiplier },
          { type: 'i8', value: activation }, { type: 'i32', value: dilW }, { type: 'i32', value: dilH }],
      }
    : {
        builtin: CONV_2D, version: 3, inputs, outputs: [2], optionsType: CONV2D_OPTIONS,
        options: [{ type: 'i8', value: padding }, { type: 'i32', value: strideW }, { type: 'i32', value: strideH },
          { type: 'i8', value: activation }, { type: 'i32', value: dilW }, { type: 'i32', value: dilH }],
      };
  const description =
    `${depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D'} ${float ? 'f32' : 's8'} in [${batches},${inH},${inW},${inC}] filter [${filterShape.join(',')}]` +
    ` multiplier ${multiplier} stride ${strideH}x${strideW} dilation ${dilH}x${dilW} ${padding === 0 ? 'SAME' : 'VALID'} act ${activation}` +
    ` ${bias} ${wScales.length > 1 ? 'per-channel' : 'per-tensor'}`;
  return {
    description, float,
    bytes: writeTflite({ tensors, operators: [op], inputs: [0], outputs: [2] }),
    inputBytes: batches * inH * inW * inC * (float ? 4 : 1),
  };
}

/** A random FULLY_CONNECTED model: weights [units, depth], input [batches, depth]. */
export function randomFullyConnected(r: Seeded, float: boolean): RandomModel {
  const batches = r.int(1, 3);
  const depth = r.pick([r.int(1, 40), r.int(1, 300)]);
  const units = r.int(1, 40);
  const activation = r.pick([0, 1, 2, 3]);
  const bias = r.pick(['bias', 'bias', 'none', 'absent'] as const);
  const perChannel = r.int(0, 1) === 0;
  const inScale = r.real(0.005, 0.05);
  const wScales = Array.from({ length: perChannel ? units : 1 }, () => r.real(0.002, 0.02));
  const wZero = perChannel ? 0 : r.pick([0, 0, r.int(-128, 127)]);
  const outScale = outputScale(r, inScale, wScales[0]!, depth);
  const quant = (scale: number[], zeroPoints: number[]) => (float ? {} : { scale, zeroPoint: zeroPoints, quantizedDimension: 0 });
  const tensors: TensorDef[] = [
    { name: 'input', type: float ? 'float32' : 'int8', shape: [batches, depth], ...quant([inScale], [zeroPoint(r)]) },
    { name: 'weights', type: float ? 'float32' : 'int8', shape: [units, depth], data: float ? float32Data(r, units * depth) : int8Data(r, units * depth), ...quant(wScales, wScales.map(() => wZero)) },
    { name: 'output', type: float ? 'float32' : 'int8', shape: [batches, units], ...quant([outScale], [zeroPoint(r)]) },
  ];
  const inputs = [0, 1];
  if (bias === 'bias') {
    tensors.push({
      name: 'bias', type: float ? 'float32' : 'int32', shape: [units],
      data: float ? float32Data(r, units) : int32Data(r, units, r.pick([1 << 12, 1 << 16, 1 << 30])),
      ...quant(wScales.map((s) => s * inScale), wScales.map(() => 0)),
    });
    inputs.push(3);
  } else if (bias === 'absent') {
    inputs.push(-1);
  }
  const op: OperatorDef = {
    builtin: FULLY_CONNECTED, version: float ? 1 : 4, inputs, outputs: [2], optionsType: FULLY_CONNECTED_OPTIONS,
    options: [{ type: 'i8', value: activation }],
  };
  const description = `FULLY_CONNECTED ${float ? 'f32' : 's8'} ${batches} x [${units},${depth}] act ${activation} ${bias} ` +
    `${perChannel ? 'per-channel' : `per-tensor zero point ${wZero}`}`;
  return {
    description, float,
    bytes: writeTflite({ tensors, operators: [op], inputs: [0], outputs: [2] }),
    inputBytes: batches * depth * (float ? 4 : 1),
  };
}

/** The families of random models, with how many of each a test generates by default. */
export const randomFamilies: readonly { name: string; count: number; generate: (r: Seeded) => RandomModel }[] = [
  { name: 'int8 CONV_2D', count: 500, generate: (r) => randomConv(r, false, false) },
  { name: 'int8 DEPTHWISE_CONV_2D', count: 500, generate: (r) => randomConv(r, true, false) },
  { name: 'int8 FULLY_CONNECTED', count: 500, generate: (r) => randomFullyConnected(r, false) },
  { name: 'float32 CONV_2D', count: 60, generate: (r) => randomConv(r, false, true) },
  { name: 'float32 DEPTHWISE_CONV_2D', count: 60, generate: (r) => randomConv(r, true, true) },
  { name: 'float32 FULLY_CONNECTED', count: 60, generate: (r) => randomFullyConnected(r, true) },
];
