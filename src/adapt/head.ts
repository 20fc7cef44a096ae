// Adapting a FOMO detector's head where it runs: per-cell softmax regression of
// the 1x1 head (CONV_2D, then SOFTMAX) on the features the backbone computes
// for a few labelled frames, started from the dequantized int8 head and pulled
// back toward it by an L2 penalty, with class-balanced weights and a fixed
// number of full-batch steps. The new head is quantized per channel with the
// converter's rules (src/convert/quantize.ts) and written into the same graph
// with the shared writer (src/adapt/model-file.ts); the core verifies it.
//
// Engine-neutral and deterministic bit for bit: doubles with + - * / only
// (src/adapt/math.ts for e^x and ln x, a seeded PRNG of our own), no engine
// math functions, no sort, no Map iteration whose order matters.
import { hostBytesOf, type CoreBinding } from '../binding.js';
import { paramsFor } from '../convert/calibrate.js';
import { weightQuant } from '../convert/quantize.js';
import { InferenceSession } from '../session.js';
import { expNeg, ln, Prng } from './math.js';
import { AdaptError } from './errors.js';
import { patchModel, readModel, writeModel, type ModelFile } from './model-file.js';
import { gateFor, modelWithGatedInputMap, type InputGate } from './gate.js';
import { affineFor, levelsOf } from './normalize.js';

export { AdaptError };

/** One object in a frame: its centre in the model input's pixels and its class index (1.. ; 0 is background). */
export interface AdaptObject { x: number; y: number; label: number }

/** A labelled frame: the model input's pixels (0..255, rows of width x channels) and every object in it. */
export interface AdaptExample { pixels: Uint8Array; objects: readonly AdaptObject[] }

export interface AdaptOptions {
  /** Full-batch gradient steps (default 150). */
  steps?: number;
  /** L2 penalty toward the original head's weights and biases (default 0.002). */
  l2?: number;
  /** Upper bound of an object cell's weight against a background cell's (default 10, as in training). */
  maxObjectWeight?: number;
  /** Background cells used per object cell, besides every background cell the model gets wrong (default 24). */
  backgroundPerObject?: number;
  /** Seed of the background cells' sample (default 1). */
  seed?: number;
  /**
   * 'auto' (default): when the examples' ink and board levels are inverted or
   * their contrast is off by more than 1.5x from the training domain's, fold a
   * learned input normalization into the first layer before adapting the head
   * (src/adapt/normalize.ts); 'off': the head only.
   */
  inputMap?: 'auto' | 'off';
  /**
   * With an input map: gate the head too, so that frames the gate leaves alone
   * get the original model's outputs exactly (default true); false: one adapted
   * head for every frame.
   */
  gateHead?: boolean;
}

/** Where the head is in a model, and what it is. */
export interface HeadFacts {
  /** Index of the head's input (the features) in the model's tensor list. */
  features: number;
  featureScale: number;
  featureZeroPoint: number;
  weightsName: string;
  biasName: string;
  logitsName: string;
  rows: number;
  cols: number;
  /** Feature channels (K) and classes (C): the head's weights are [C, 1, 1, K]. */
  channels: number;
  classes: number;
  inputWidth: number;
  inputHeight: number;
  inputChannels: number;
  inputScale: number;
  inputZeroPoint: number;
  /** The original head, dequantized: weights [C * K] (class-major), biases [C]. */
  weights: Float64Array;
  bias: Float64Array;
  /** The real range of the head's output (the logits) in the model. */
  logitRange: [number, number];
}

function head(m: ModelFile): HeadFacts {
  const g = m.graph;
  const names = [...g.tensors.keys()];
  const out = g.outputs[0];
  let softmax = out === undefined ? undefined : g.producer(out);
  // a gated head (src/adapt/gate.ts): the adapted head is the one selected when the gate is on
  if (softmax?.op === 'SELECT_V2') softmax = g.producer(softmax.inputs[1]!);
  if (g.outputs.length !== 1 || softmax === undefined || softmax.op !== 'SOFTMAX') {
    throw new AdaptError('NO_HEAD', 'the model does not end in one SOFTMAX');
  }
  const logitsName = softmax.inputs[0]!;
  const conv = g.producer(logitsName);
  if (conv === undefined || conv.op !== 'CONV_2D' || conv.inputs.length < 3 || conv.inputs[2] === '') {
    throw new AdaptError('NO_HEAD', 'the SOFTMAX does not follow a CONV_2D with a bias');
  }
  const [featuresName, weightsName, biasName] = conv.inputs as [string, string, string];
  const f = g.tensor(featuresName), w = g.tensor(weightsName), b = g.tensor(biasName), l = g.tensor(logitsName);
  const input = g.tensor(g.inputs[0]!);
  const [, rows, cols, channels] = f.shape as [number, number, number, number];
  const classes = w.shape[0]!;
  if (f.dtype !== 'int8' || w.dtype !== 'int8' || b.dtype !== 'int32' || l.dtype !== 'int8' || input.dtype !== 'int8' ||
      w.shape.length !== 4 || w.shape[1] !== 1 || w.shape[2] !== 1 || w.shape[3] !== channels || f.shape.length !== 4 ||
      !(w.data instanceof Int8Array) || !(b.data instanceof Int32Array) || w.quant === undefined || b.quant === undefined ||
      f.quant === undefined || l.quant === undefined || input.quant === undefined || input.shape.length !== 4) {
    throw new AdaptError('NO_HEAD', 'the head is not an int8 1x1 CONV_2D on int8 features with int32 biases');
  }
  const wScale = (c: number): number => w.quant!.scale[w.quant!.scale.length === 1 ? 0 : c]!;
  const bScale = (c: number): number => b.quant!.scale[b.quant!.scale.length === 1 ? 0 : c]!;
  const weights = new Float64Array(classes * channels);
  const bias = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < channels; k++) weights[c * channels + k] = w.data[c * channels + k]! * wScale(c);
    bias[c] = b.data[c]! * bScale(c);
  }
  const ls = l.quant.scale[0]!, lz = l.quant.zeroPoint[0]!;
  return {
    features: names.indexOf(featuresName), featureScale: f.quant.scale[0]!, featureZeroPoint: f.quant.zeroPoint[0]!,
    weightsName, biasName, logitsName, rows, cols, channels, classes,
    inputHeight: input.shape[1]!, inputWidth: input.shape[2]!, inputChannels: input.shape[3]!,
    inputScale: input.quant.scale[0]!, inputZeroPoint: input.quant.zeroPoint[0]!,
    weights, bias, logitRange: [(-128 - lz) * ls, (127 - lz) * ls],
  };
}

/** The head of a FOMO model: a 1x1 CONV_2D with a bias, then SOFTMAX, on int8. */
export function findHead(model: Uint8Array): HeadFacts {
  return head(readModel(model));
}

/** The model input for a frame of pixels (real value pixel / 255). */
export function inputOf(h: HeadFacts, pixels: Uint8Array): Int8Array {
  const q = new Int8Array(pixels.length);
  const k = 1 / (255 * h.inputScale);
  for (let i = 0; i < pixels.length; i++) q[i] = Math.max(-128, Math.min(127, Math.round(pixels[i]! * k) + h.inputZeroPoint));
  return q;
}

export function checkExamples(h: HeadFacts, examples: readonly AdaptExample[]): void {
  if (examples.length === 0) throw new AdaptError('NO_EXAMPLES', 'no examples to adapt on');
  const bytes = h.inputWidth * h.inputHeight * h.inputChannels;
  examples.forEach((e, i) => {
    if (!(e.pixels instanceof Uint8Array) || e.pixels.length !== bytes) {
      throw new AdaptError('BAD_EXAMPLE', `example ${i}: pixels must be ${h.inputWidth}x${h.inputHeight}x${h.inputChannels} bytes (${bytes})`);
    }
    e.objects.forEach((o, j) => {
      if (!Number.isInteger(o.label) || o.label < 1 || o.label >= h.classes) {
        throw new AdaptError('UNKNOWN_LABEL', `example ${i}, object ${j}: label ${String(o.label)} is not a class index from 1 to ${h.classes - 1}`);
      }
      if (!(o.x >= 0 && o.x < h.inputWidth && o.y >= 0 && o.y < h.inputHeight)) {
        throw new AdaptError('BAD_EXAMPLE', `example ${i}, object ${j}: (${o.x}, ${o.y}) is outside the ${h.inputWidth}x${h.inputHeight} frame`);
      }
    });
  });
}

/**
 * Each cell's target class: the object's own cell gets its label, the 8 cells
 * around it are left out (they hold much of its ink: firing there is not wrong,
 * as in training), every other cell is background (0). -1: left out.
 */
export function cellTargets(h: HeadFacts, objects: readonly AdaptObject[]): Int8Array {
  const t = new Int8Array(h.rows * h.cols);
  const cellH = h.inputHeight / h.rows, cellW = h.inputWidth / h.cols;
  const at = (o: AdaptObject): [number, number] => [Math.min(h.rows - 1, Math.floor(o.y / cellH)), Math.min(h.cols - 1, Math.floor(o.x / cellW))];
  for (const o of objects) {
    const [r, c] = at(o);
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const rr = r + dr, cc = c + dc;
        if (rr >= 0 && rr < h.rows && cc >= 0 && cc < h.cols && t[rr * h.cols + cc] === 0) t[rr * h.cols + cc] = -1;
      }
    }
  }
  for (const o of objects) {
    const [r, c] = at(o);
    t[r * h.cols + c] = o.label;
  }
  return t;
}

/**
 * The features of every cell of every example as the core computes them (int8,
 * [examples * rows * cols * K]: 11,520 bytes a frame for the bundled detector,
 * where doubles would take 8 times as much); dequantize with featureTable().
 */
export function featuresOf(binding: CoreBinding, model: Uint8Array, h: HeadFacts, examples: readonly AdaptExample[]): Int8Array {
  const session = InferenceSession.create(binding, model, { keepTensors: [h.features] });
  const per = h.rows * h.cols * h.channels;
  // outside the engine's heap where the binding offers it (XS): 11,520 bytes a frame
  const bytes = hostBytesOf(binding, examples.length * per);
  const out = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    examples.forEach((e, i) => {
      session.run([inputOf(h, e.pixels)]);
      session.tensorInto(h.features, out.subarray(i * per, (i + 1) * per));
    });
  } finally {
    session.release();
  }
  return out;
}

/** The real value of each int8 feature level q, at [q + 128]. */
export function featureTable(h: HeadFacts): Float64Array {
  return Float64Array.from({ length: 256 }, (_, i) => (i - 128 - h.featureZeroPoint) * h.featureScale);
}

/** Softmax of z[0..n) into p, returning ln p[target] (target >= 0). */
function softmax(z: Float64Array, p: Float64Array, n: number, target: number): number {
  let max = z[0]!;
  for (let c = 1; c < n; c++) if (z[c]! > max) max = z[c]!;
  let sum = 0;
  for (let c = 0; c < n; c++) {
    const e = expNeg(z[c]! - max);
    p[c] = e;
    sum += e;
  }
  for (let c = 0; c < n; c++) p[c] = p[c]! / sum;
  return z[target]! - max - ln(sum);
}

/** What adaptation produced: the head (float, before quantization) and the figures of the training. */
export interface HeadAdaptation {
  head: HeadFacts;
  /** The adapted head: weights [C * K] (class-major) and biases [C], as floats. */
  headWeights: Float64Array;
  headBias: Float64Array;
  /** Examples and cells trained on (object cells, background cells). */
  count: number;
  objectCells: number;
  backgroundCells: number;
  /** The weighted cross-entropy of the training cells with the original and the adapted float head. */
  lossBefore: number;
  lossAfter: number;
  steps: number;
  /** The real range of the adapted head's logits on the examples' cells (with the original's). */
  logitRange: [number, number];
}

/** Softmax regression of the head on the examples' cell features. */
export function adaptHead(binding: CoreBinding, model: Uint8Array, examples: readonly AdaptExample[], options: AdaptOptions = {}): HeadAdaptation {
  // the graph is read and the backbone run from this small frame, not from trainHead()'s
  // (its many locals would sit on the stack under theirs: on a device, a few hundred slots)
  const h = findHead(model);
  checkExamples(h, examples);
  return trainHead(h, featuresOf(binding, model, h, examples), examples, options);
}

function trainHead(h: HeadFacts, q: Int8Array, examples: readonly AdaptExample[], options: AdaptOptions): HeadAdaptation {
  const steps = options.steps ?? 150;
  const l2 = options.l2 ?? 0.002;
  const maxObjectWeight = options.maxObjectWeight ?? 10;
  const perObject = options.backgroundPerObject ?? 24;
  const prng = new Prng(options.seed ?? 1);
  const K = h.channels, C = h.classes, cells = h.rows * h.cols;
  const real = featureTable(h);

  // the training cells: every object cell, every background cell the original head
  // gets wrong, and a seeded sample of the other background cells
  const z = new Float64Array(C), p = new Float64Array(C);
  const logits = (W: Float64Array, B: Float64Array, at: number): void => {
    for (let c = 0; c < C; c++) {
      let s = B[c]!;
      const row = c * K;
      for (let k = 0; k < K; k++) s += W[row + k]! * real[q[at + k]! + 128]!;
      z[c] = s;
    }
  };
  const argmax = (): number => { let m = 0; for (let c = 1; c < C; c++) if (z[c]! > z[m]!) m = c; return m; };
  // each cell's kind (typed arrays, not lists of numbers: a small heap holds them):
  // its label (> 0) for an object cell, 0 for an easy background cell, -1 left
  // out, -2 a background cell the original head gets wrong
  const HARD = -2;
  const kind = new Int8Array(examples.length * cells);
  let objects = 0, hard = 0, easyCount = 0;
  examples.forEach((e, i) => {
    const t = cellTargets(h, e.objects);
    for (let j = 0; j < cells; j++) {
      const n = i * cells + j;
      kind[n] = t[j]!;
      if (t[j]! > 0) objects++;
      if (t[j] !== 0) continue;
      logits(h.weights, h.bias, n * K);
      if (argmax() !== 0) { kind[n] = HARD; hard++; } else easyCount++;
    }
  });
  const easyAt = new Int32Array(easyCount);
  for (let n = 0, e = 0; n < kind.length; n++) if (kind[n] === 0) easyAt[e++] = n * K;
  const wanted = Math.max(0, Math.max(256, perObject * objects) - hard);
  // a partial Fisher-Yates shuffle picks `wanted` easy cells
  for (let i = 0; i < easyAt.length && i < wanted; i++) {
    const j = i + Math.floor(prng.next() * (easyAt.length - i));
    const s = easyAt[i]!; easyAt[i] = easyAt[j]!; easyAt[j] = s;
  }
  const easyUsed = Math.min(wanted, easyAt.length);
  const backgroundTotal = hard + easyAt.length;
  // the training cells: object cells and hard ones in cell order, then the easy sample
  const count = objects + hard + easyUsed;
  const at = new Int32Array(count), target = new Int8Array(count);
  let filled = 0;
  for (let n = 0; n < kind.length; n++) if (kind[n]! > 0) { at[filled] = n * K; target[filled++] = kind[n]!; }
  for (let n = 0; n < kind.length; n++) if (kind[n] === HARD) at[filled++] = n * K;
  for (let i = 0; i < easyUsed; i++) at[filled++] = easyAt[i]!;
  // weights: the sampled easy cells stand for all of them; each present digit class
  // weighs as much as the background over the classes present, at most maxObjectWeight
  const perClass = new Float64Array(C);
  for (let n = 0; n < objects; n++) perClass[target[n]!]! += 1;
  let present = 0;
  for (let c = 1; c < C; c++) if (perClass[c]! > 0) present++;
  const classWeight = new Float64Array(C);
  for (let c = 1; c < C; c++) {
    if (perClass[c]! > 0) classWeight[c] = Math.min(maxObjectWeight, backgroundTotal / (present * perClass[c]!));
  }
  const easyWeight = easyUsed > 0 ? easyAt.length / easyUsed : 1;
  const weight = new Float64Array(count);
  for (let n = 0; n < count; n++) weight[n] = target[n]! > 0 ? classWeight[target[n]!]! : n < objects + hard ? 1 : easyWeight;
  let totalWeight = 0;
  let meanNorm = 0;
  for (let n = 0; n < at.length; n++) {
    totalWeight += weight[n]!;
    let s = 1;
    for (let k = 0; k < K; k++) { const f = real[q[at[n]! + k]! + 128]!; s += f * f; }
    meanNorm += weight[n]! * s;
  }
  meanNorm /= totalWeight;

  // copies by the constructor: XS's TypedArray.from() collects an iterable source in slots first, one per element
  const W = new Float64Array(h.weights), B = new Float64Array(h.bias);
  const gW = new Float64Array(C * K), gB = new Float64Array(C);
  const vW = new Float64Array(C * K), vB = new Float64Array(C);
  const lossOf = (withGradient: boolean): number => {
    let loss = 0;
    if (withGradient) { gW.fill(0); gB.fill(0); }
    for (let n = 0; n < at.length; n++) {
      const a = at[n]!, y = target[n]!, w = weight[n]!;
      logits(W, B, a);
      loss -= w * softmax(z, p, C, y);
      if (!withGradient) continue;
      for (let c = 0; c < C; c++) {
        const g = (w * (p[c]! - (c === y ? 1 : 0))) / totalWeight;
        gB[c] = gB[c]! + g;
        const row = c * K;
        for (let k = 0; k < K; k++) gW[row + k] = gW[row + k]! + g * real[q[a + k]! + 128]!;
      }
    }
    return loss / totalWeight;
  };
  const lossBefore = lossOf(false);
  // heavy-ball gradient descent, step 1 / (mean squared feature norm)
  const rate = 1 / meanNorm, momentum = 0.9;
  for (let s = 0; s < steps; s++) {
    lossOf(true);
    for (let i = 0; i < C * K; i++) {
      vW[i] = momentum * vW[i]! - rate * (gW[i]! + l2 * (W[i]! - h.weights[i]!));
      W[i] = W[i]! + vW[i]!;
    }
    for (let c = 0; c < C; c++) {
      vB[c] = momentum * vB[c]! - rate * (gB[c]! + l2 * (B[c]! - h.bias[c]!));
      B[c] = B[c]! + vB[c]!;
    }
  }
  const lossAfter = lossOf(false);
  // the logits' range on every cell of the examples, with the original's
  let lo = h.logitRange[0], hi = h.logitRange[1];
  for (let j = 0; j < examples.length * cells; j++) {
    logits(W, B, j * K);
    for (let c = 0; c < C; c++) { if (z[c]! < lo) lo = z[c]!; if (z[c]! > hi) hi = z[c]!; }
  }
  return {
    head: h, headWeights: W, headBias: B, count: examples.length, objectCells: objects,
    backgroundCells: hard + easyUsed, lossBefore, lossAfter, steps, logitRange: [lo, hi],
  };
}

/**
 * The model with a new head: weights [C * K] and biases [C] as floats,
 * quantized per output channel as the converter does (int8 symmetric weights,
 * int32 biases at feature scale x weight scale), the head's output
 * re-quantized over logitRange (default: the model's), everything else as it
 * was. The same inputs give the same bytes on every engine.
 *
 * The new head has the old one's shapes and vector lengths, so the model's
 * bytes are copied into `allocate(length)` (memory outside the engine's heap,
 * where the host has it) and the head's constants and quantization are
 * overwritten there: for a model our writer wrote, the same bytes as writing
 * it anew, without the graph's copy in the writer's buffer. A model laid out
 * otherwise is written anew.
 */
export function modelWithHead(model: Uint8Array, weights: ArrayLike<number>, bias: ArrayLike<number>, logitRange?: readonly [number, number],
  allocate: (length: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
  return withHead(model, weights, bias, logitRange, allocate);
}

/** modelWithHead() writing the model anew with the shared writer (the reference for the patched bytes). */
export function modelWithHeadWritten(model: Uint8Array, weights: ArrayLike<number>, bias: ArrayLike<number>, logitRange?: readonly [number, number]): Uint8Array {
  return withHead(model, weights, bias, logitRange, null);
}

function withHead(model: Uint8Array, weights: ArrayLike<number>, bias: ArrayLike<number>, logitRange: readonly [number, number] | undefined,
  allocate: ((length: number) => Uint8Array) | null): Uint8Array {
  const m = readModel(model);
  const h = head(m);
  const C = h.classes, K = h.channels;
  if (weights.length !== C * K || bias.length !== C) {
    throw new RangeError(`the head takes ${C * K} weights and ${C} biases, got ${weights.length} and ${bias.length}`);
  }
  const w = m.graph.tensor(h.weightsName), b = m.graph.tensor(h.biasName), l = m.graph.tensor(h.logitsName);
  const real = new Float32Array(weights.length);
  for (let i = 0; i < real.length; i++) real[i] = weights[i]!;
  const { q, quant } = weightQuant(real, w.shape, 0, true);
  const bScale = quant.scale.map((s) => Math.fround(h.featureScale * s));
  const bData = Int32Array.from(bScale, (s, c) => Math.max(-2147483647, Math.min(2147483647, Math.round(bias[c]! / s))));
  const p = paramsFor([logitRange?.[0] ?? h.logitRange[0], logitRange?.[1] ?? h.logitRange[1]]);
  const names = [...m.graph.tensors.keys()];
  const zeros = bScale.map(() => 0);
  const patched = allocate === null ? undefined : patchModel(model, [
    { index: names.indexOf(h.weightsName), data: new Uint8Array(q.buffer, q.byteOffset, q.byteLength), scale: quant.scale, zeroPoint: zeros },
    { index: names.indexOf(h.biasName), data: new Uint8Array(bData.buffer, bData.byteOffset, bData.byteLength), scale: bScale, zeroPoint: zeros },
    { index: names.indexOf(h.logitsName), scale: [p.scale], zeroPoint: [p.zeroPoint] },
  ], allocate(model.length));
  if (patched !== undefined && w.quant?.axis === 0 && b.quant?.axis === 0 && l.quant?.axis === 0) return patched;
  w.data = q;
  w.quant = quant;
  b.data = bData;
  b.quant = { scale: bScale, zeroPoint: zeros, axis: 0 };
  l.quant = { scale: [p.scale], zeroPoint: [p.zeroPoint], axis: 0 };
  return writeModel(m, model.length + 1024);
}

/**
 * The weighted cross-entropy of a model's int8 outputs on the examples' cells
 * (as adaptation weighs them, without sampling). `head`: the model's head where
 * the caller has it (an adaptation's `head` for its model: the head's place,
 * the grid and the input are those of the model it wrote), which saves reading
 * the whole graph again (on XS, slots of a small heap).
 */
export function exampleLoss(binding: CoreBinding, model: Uint8Array, examples: readonly AdaptExample[], maxObjectWeight = 10, head?: HeadFacts): number {
  const h = head ?? findHead(model);
  checkExamples(h, examples);
  const session = InferenceSession.create(binding, model);
  const out = session.outputs[0]!;
  const cells = h.rows * h.cols;
  let loss = 0, total = 0;
  try {
    const targets = examples.map((e) => cellTargets(h, e.objects));
    let background = 0, objects = 0;
    for (const t of targets) for (let j = 0; j < cells; j++) { if (t[j] === 0) background++; else if (t[j]! > 0) objects++; }
    const objectWeight = objects > 0 ? Math.min(maxObjectWeight, background / objects) : 1;
    examples.forEach((e, i) => {
      const probs = session.run([inputOf(h, e.pixels)])[0]!.data as Int8Array;
      for (let j = 0; j < cells; j++) {
        const y = targets[i]![j]!;
        if (y < 0) continue;
        const w = y > 0 ? objectWeight : 1;
        const pr = Math.max(1 / 512, (probs[j * h.classes + y]! - out.zeroPoint) * out.scale);
        loss -= w * ln(pr);
        total += w;
      }
    });
  } finally {
    session.release();
  }
  return loss / total;
}

/** Model bytes moved outside the engine's heap where the binding offers it (XS); the heap copy becomes garbage. */
function outside(binding: CoreBinding, bytes: Uint8Array): Uint8Array {
  if (binding.hostBytes === undefined) return bytes;
  const out = binding.hostBytes(bytes.length);
  out.set(bytes);
  return out;
}

/** Adaptation from the examples to the new model's bytes, verified and loaded by the core. */
export function adaptModel(binding: CoreBinding, model: Uint8Array, examples: readonly AdaptExample[], options: AdaptOptions = {}): Adaptation {
  let base = model;
  let inputMap: { a: number; c: number } | undefined;
  let gate: InputGate | undefined;
  const mode = options.inputMap ?? 'auto';
  if (mode !== 'auto' && mode !== 'off') throw new RangeError(`options.inputMap must be 'auto' or 'off', got ${String(mode)}`);
  if (mode === 'auto') {
    const h = findHead(model);
    checkExamples(h, examples);
    const levels = h.inputChannels === 1 ? levelsOf(examples, h.inputWidth) : undefined;
    const map = levels === undefined ? undefined : affineFor(levels);
    if (map !== undefined && (map.a < 1 / 1.5 || map.a > 1.5)) {
      inputMap = map;
      gate = gateFor(examples, map.a);
      // on XS the written model goes straight outside the heap (no compact copy in it first)
      base = outside(binding, modelWithGatedInputMap(model, map.a, map.c, gate, options.gateHead !== false, binding.hostBytes === undefined));
    }
  }
  const a = adaptHead(binding, base, examples, options);
  const bytes = modelWithHead(base, a.headWeights, a.headBias, a.logitRange, (n) => hostBytesOf(binding, n));
  binding.verify(bytes);
  InferenceSession.create(binding, bytes).release();
  return { ...a, model: bytes, ...(inputMap !== undefined ? { inputMap } : {}), ...(gate !== undefined ? { gate } : {}) };
}

/** adaptModel's answer: the new model's bytes, and the input map folded into it, if any. */
export interface Adaptation extends HeadAdaptation {
  model: Uint8Array;
  inputMap?: { a: number; c: number };
  /** The gate that applies the input map only to frames like the examples. */
  gate?: InputGate;
}
