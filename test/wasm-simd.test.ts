// The WebAssembly SIMD kernels (native/src/xtml_dot_s8.h, the depthwise path
// in xtml_conv.c) byte for byte against the reference C kernels, on inputs
// and shapes the reference vectors do not cover:
//
//   - every reference and operator model, on seeded random inputs;
//   - random CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED models (int8 and
//     float32): odd depths and channel counts that leave vector tails, every
//     depth multiplier kind, groups, strides, dilation, padding, batches,
//     zero points, per-tensor and per-channel weights, bias or none.
//
// The reference is the same core built without SIMD (native/wasm/build.sh
// --scalar, needs emcc) and, for the random models, the Node addon (the
// reference kernels built by gcc). The SIMD module is the committed xtml.wasm
// (bindings.test.ts checks that it is what the sources build).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding, wasmPath } from '../host-sim/node/backends.js';
import type { CoreBinding } from '../src/binding.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { bytesOf, typedView, type TypedArray } from '../src/tensor.js';
import { createWasmBindingSync } from '../src/wasm.js';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { loadManifest, repoRoot, type ModelSpec } from './support/reference.js';
import { writeTflite, type OperatorDef, type TensorDef } from './support/tflite-writer.js';

const simd = createWasmBindingSync(readFileSync(wasmPath));
const addon = loadBinding('node');

// The reference build of the same sources, when emcc is here to make it.
const scratch = mkdtempSync(join(tmpdir(), 'xtml-scalar-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
let scalar: CoreBinding | undefined;
function scalarBinding(): CoreBinding {
  if (scalar === undefined) {
    const out = join(scratch, 'xtml-scalar.wasm');
    const r = spawnSync(join(repoRoot, 'native/wasm/build.sh'), ['--scalar', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`native/wasm/build.sh --scalar failed: ${r.stderr}`);
    scalar = createWasmBindingSync(readFileSync(out));
  }
  return scalar;
}

/** The oracles the SIMD module is compared against: the Node addon (gcc's build, always built), and wasm without SIMD (needs emcc). */
const oracles: [string, string, () => CoreBinding, Requirement[]][] = [
  ['the Node addon', 'node', () => {
    if (addon.backend !== 'node') throw new Error('the Node addon did not load (npm run build:addon)');
    return addon;
  }, []],
  ['wasm without SIMD', 'wasm-scalar', scalarBinding, [needs.emcc]],
];

// ---- seeded inputs (the reference README's scheme) ----

/** xorshift32: integer inputs take the top byte of each state, float32 ones
 * (int32)state / 2^31; the state carries over from one input to the next. */
class Seeded {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    let s = this.state;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.state = s >>> 0;
    return this.state;
  }
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
  inputsFor(session: InferenceSession): TypedArray[] {
    return session.inputs.map((meta) => {
      const bytes = new Uint8Array(meta.bytes);
      if (meta.type === 'float32') {
        const view = new DataView(bytes.buffer);
        for (let i = 0; i < meta.bytes; i += 4) view.setFloat32(i, (this.next() | 0) / 2 ** 31, true);
      } else {
        for (let i = 0; i < meta.bytes; i++) bytes[i] = this.next() >>> 24;
      }
      return typedView(meta.type, bytes.buffer, 0, meta.bytes);
    });
  }
}

/** Outputs of `runs` seeded inputs, concatenated; or the error creating the session. */
function outputs(binding: CoreBinding, model: Uint8Array, seed: number, runs: number): Buffer | string {
  let session: InferenceSession;
  try {
    session = InferenceSession.create(binding, model);
  } catch (error) {
    if (error instanceof XtmlError) return error.code;
    throw error;
  }
  const seeded = new Seeded(seed);
  const parts: Buffer[] = [];
  for (let r = 0; r < runs; r++) {
    for (const out of session.run(seeded.inputsFor(session))) parts.push(Buffer.from(bytesOf(out.data)));
  }
  session.release();
  return Buffer.concat(parts);
}

/** null when the SIMD module and `reference` agree on the model, else why not. */
function difference(reference: CoreBinding, model: Uint8Array, seed: number, runs: number): string | null {
  const got = outputs(simd, model, seed, runs);
  const want = outputs(reference, model, seed, runs);
  if (typeof got === 'string' || typeof want === 'string') {
    return got === want ? null : `SIMD ${typeof got === 'string' ? got : 'runs'}, reference ${typeof want === 'string' ? want : 'runs'}`;
  }
  if (got.equals(want)) return null;
  let i = 0;
  while (got[i] === want[i]) i++;
  return `first difference at output byte ${i} of ${want.length}: ${got[i]} vs ${want[i]}`;
}

test('the committed xtml.wasm uses WebAssembly SIMD (i32x4.dot_i16x8_s)', (t) => {
  const bytes = readFileSync(wasmPath);
  // 0xfd is the SIMD prefix; 186 (LEB128 0xba 0x01) is i32x4.dot_i16x8_s.
  t.true(bytes.includes(Buffer.from([0xfd, 0xba, 0x01])));
});

// ---- every reference model on random inputs ----

const models = needs.reference.present() ? [...loadManifest('models'), ...loadManifest('ops')] : [];
optionalTest('every reference and operator model: SIMD = wasm without SIMD on seeded inputs', [needs.reference, needs.emcc], (t) => {
  t.true(models.length > 100, `${models.length} models`);
  const reference = scalarBinding();
  const problems: string[] = [];
  for (const [i, m] of models.entries()) {
    const bytes = readFileSync(join((m as ModelSpec).base, m.model));
    const diff = difference(reference, bytes, 7001 + i, 2);
    if (diff !== null) problems.push(`${m.id}: ${diff}`);
  }
  t.deepEqual(problems, []);
});

// ---- random single-operator models ----

const CONV_2D = 3;
const DEPTHWISE_CONV_2D = 4;
const FULLY_CONNECTED = 9;
const CONV2D_OPTIONS = 1;
const DEPTHWISE_CONV2D_OPTIONS = 2;
const FULLY_CONNECTED_OPTIONS = 8;

interface RandomModel {
  description: string;
  bytes: Uint8Array;
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

/** Output size and whether the filter fits, as TFLite computes them. */
function outputSize(padding: number, size: number, taps: number, stride: number, dilation: number): number {
  const span = (taps - 1) * dilation + 1;
  return padding === 0 ? Math.ceil(size / stride) : Math.floor((size + stride - span) / stride);
}

/**
 * A random CONV_2D or DEPTHWISE_CONV_2D model. Weights: filter [out_c, h, w,
 * filter_c] (per channel along 0) or depthwise [1, h, w, out_c] (along 3).
 */
function randomConv(r: Seeded, depthwise: boolean, float: boolean): RandomModel {
  const batches = r.pick([1, 1, 1, 2]);
  const inH = r.int(1, 11);
  const inW = r.int(1, 11);
  const pointwise = !depthwise && r.int(0, 3) === 0;
  const filterH = pointwise ? 1 : r.int(1, Math.min(5, inH + 1));
  const filterW = pointwise ? 1 : r.int(1, Math.min(5, inW + 1));
  const strideH = r.pick([1, 1, 2, 3]);
  const strideW = r.pick([1, 1, 2, 3]);
  const dilH = pointwise ? 1 : r.pick([1, 1, 1, 2, 3]);
  const dilW = pointwise ? 1 : r.pick([1, 1, 1, 2, 3]);
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
    multiplier = r.pick([1, 1, 1, 2, 3, 8, 16]);
    if (multiplier >= 8) inC = r.int(1, 6);
    filterC = 1;
    outC = inC * multiplier;
  } else {
    const groups = r.pick([1, 1, 1, 1, 2, 3]);
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
  const outScale = inScale * wScales[0]! * Math.sqrt(patch) * r.real(20, 200);
  const quant = (scale: number[], zeroPoint: number[], quantizedDimension = 0) => (float ? {} : { scale, zeroPoint, quantizedDimension });
  tensors.push({ name: 'input', type: float ? 'float32' : 'int8', shape: [batches, inH, inW, inC], ...quant([inScale], [r.int(-128, 127)]) });
  tensors.push({
    name: 'filter', type: float ? 'float32' : 'int8', shape: filterShape,
    data: float ? float32Data(r, filterCount) : int8Data(r, filterCount),
    ...quant(wScales, wScales.map(() => 0), depthwise ? 3 : 0),
  });
  tensors.push({ name: 'output', type: float ? 'float32' : 'int8', shape: [batches, outH, outW, outC], ...quant([outScale], [r.int(-128, 127)]) });
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
  return { description, bytes: writeTflite({ tensors, operators: [op], inputs: [0], outputs: [2] }) };
}

/** A random FULLY_CONNECTED model: weights [units, depth], input [batches, depth]. */
function randomFullyConnected(r: Seeded, float: boolean): RandomModel {
  const batches = r.int(1, 3);
  const depth = r.pick([r.int(1, 40), r.int(1, 300)]);
  const units = r.int(1, 40);
  const activation = r.pick([0, 1, 2, 3]);
  const bias = r.pick(['bias', 'bias', 'none', 'absent'] as const);
  const perChannel = r.int(0, 1) === 0;
  const inScale = r.real(0.005, 0.05);
  const wScales = Array.from({ length: perChannel ? units : 1 }, () => r.real(0.002, 0.02));
  const wZero = perChannel ? 0 : r.pick([0, 0, r.int(-128, 127)]);
  const outScale = inScale * wScales[0]! * Math.sqrt(depth) * r.real(20, 200);
  const quant = (scale: number[], zeroPoint: number[]) => (float ? {} : { scale, zeroPoint, quantizedDimension: 0 });
  const tensors: TensorDef[] = [
    { name: 'input', type: float ? 'float32' : 'int8', shape: [batches, depth], ...quant([inScale], [r.int(-128, 127)]) },
    { name: 'weights', type: float ? 'float32' : 'int8', shape: [units, depth], data: float ? float32Data(r, units * depth) : int8Data(r, units * depth), ...quant(wScales, wScales.map(() => wZero)) },
    { name: 'output', type: float ? 'float32' : 'int8', shape: [batches, units], ...quant([outScale], [r.int(-128, 127)]) },
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
  return { description, bytes: writeTflite({ tensors, operators: [op], inputs: [0], outputs: [2] }) };
}

const families: [string, number, (r: Seeded) => RandomModel][] = [
  ['int8 CONV_2D', 500, (r) => randomConv(r, false, false)],
  ['int8 DEPTHWISE_CONV_2D', 500, (r) => randomConv(r, true, false)],
  ['int8 FULLY_CONNECTED', 500, (r) => randomFullyConnected(r, false)],
  ['float32 CONV_2D', 60, (r) => randomConv(r, false, true)],
  ['float32 DEPTHWISE_CONV_2D', 60, (r) => randomConv(r, true, true)],
  ['float32 FULLY_CONNECTED', 60, (r) => randomFullyConnected(r, true)],
];

for (const [family, count, generate] of families) {
  for (const [name, , oracleOf, requirements] of oracles) {
    optionalTest(`${count} random ${family} models: SIMD = ${name}`, requirements, (t) => {
      const oracle = oracleOf();
      const r = new Seeded(0x51d0 + family.length * 7919 + count);
      const problems: string[] = [];
      let refused = 0;
      for (let i = 0; i < count; i++) {
        const model = generate(r);
        const seed = r.next();
        // Every model must run: a refusal would mean a test that tests nothing.
        if (typeof outputs(simd, model.bytes, seed, 1) === 'string') refused++;
        const diff = difference(oracle, model.bytes, seed, 2);
        if (diff !== null) problems.push(`${model.description}: ${diff}`);
      }
      t.is(refused, 0, 'models refused at load');
      t.deepEqual(problems, []);
    });
  }
}
