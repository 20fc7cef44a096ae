// The bundled digit detector (models/): its sidecar description, the held-out frames,
// FOMO decoding and scoring. The same rules as models/decode.py, which chose the
// threshold during training. Node-only (reads files); used by tools/eval.ts and
// test/detector.test.ts.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, type CoreBinding } from '../src/index.js';

/** The repository root (this file runs from dist/tools/). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const modelsDir = join(root, 'models');
export const int8ModelPath = join(modelsDir, 'detector.tflite');
export const floatModelPath = join(modelsDir, 'detector_float.tflite');

/** models/detector.json: what the app needs to know about the model. */
export interface DetectorDescription {
  name: string;
  labels: string[];
  input: { shape: number[]; meaning: string; encoding: string };
  output: { shape: number[]; meaning: string; cell_px: number };
  /** class_thresholds (optional): one per label, null for background; a digit without
   * its own threshold uses threshold. */
  decode: { threshold: number; class_thresholds?: (number | null)[]; connectivity: number; rule: string };
}

/** models/<name>.json (name 'detector' or a variant such as 'detector-small'). */
export function loadDescription(name = 'detector'): DetectorDescription {
  return JSON.parse(readFileSync(join(modelsDir, `${name}.json`), 'utf8')) as DetectorDescription;
}

/** A true digit: ink centroid in pixels and the digit. */
export type Truth = [x: number, y: number, digit: number];

export interface HeldOut {
  width: number;
  height: number;
  frames: Uint8Array[];
  truths: Truth[][];
}

/** models/data/heldout.{bin,json}: frames built only from digits never used in training. */
export function loadHeldOut(limit = Infinity): HeldOut {
  const doc = JSON.parse(readFileSync(join(modelsDir, 'data/heldout.json'), 'utf8')) as {
    frames: number; width: number; height: number; truths: Truth[][];
  };
  const bin = readFileSync(join(modelsDir, 'data/heldout.bin'));
  const size = doc.width * doc.height;
  if (bin.length !== doc.frames * size) throw new Error(`heldout.bin has ${bin.length} bytes, expected ${doc.frames * size}`);
  const n = Math.min(doc.frames, limit);
  const frames = Array.from({ length: n }, (_, i) => new Uint8Array(bin.buffer, bin.byteOffset + i * size, size));
  return { width: doc.width, height: doc.height, frames, truths: doc.truths.slice(0, n) };
}

export interface Detection {
  x: number;
  y: number;
  digit: number;
  score: number;
}

/**
 * FOMO decoding. probs: grid x grid x classes (class 0 background), row-major. A cell is
 * positive for its most probable digit when that probability is at least the digit's
 * threshold: classThresholds[label] where given and not null, else threshold.
 * 8-connected positive cells of the same digit are one object at the
 * probability-weighted mean of the cell centres.
 */
export function decode(probs: ArrayLike<number>, grid: number, classes: number, cellPx: number, threshold: number,
  classThresholds?: readonly (number | null)[]): Detection[] {
  const digit = new Int32Array(grid * grid);
  const p = new Float64Array(grid * grid);
  const positive = new Uint8Array(grid * grid);
  for (let i = 0; i < grid * grid; i++) {
    let best = 1;
    for (let c = 2; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    digit[i] = best - 1;
    p[i] = probs[i * classes + best]!;
    positive[i] = p[i]! >= (classThresholds?.[best] ?? threshold) ? 1 : 0;
  }
  const seen = new Uint8Array(grid * grid);
  const out: Detection[] = [];
  for (let start = 0; start < grid * grid; start++) {
    if (seen[start] || !positive[start]) continue;
    const d = digit[start]!;
    const stack = [start];
    seen[start] = 1;
    let w = 0, sx = 0, sy = 0, max = 0;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const r = Math.floor(i / grid), c = i % grid;
      const pi = p[i]!;
      w += pi;
      sx += pi * (c + 0.5) * cellPx;
      sy += pi * (r + 0.5) * cellPx;
      max = Math.max(max, pi);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const rr = r + dy, cc = c + dx;
          if (rr < 0 || rr >= grid || cc < 0 || cc >= grid) continue;
          const j = rr * grid + cc;
          if (!seen[j] && positive[j] && digit[j] === d) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    out.push({ x: sx / w, y: sy / w, digit: d, score: max });
  }
  return out;
}

/** Maximum distance between a detection and the truth it matches. */
export const matchPx = 8;

export interface Counts {
  tp: number[];
  fp: number[];
  fn: number[];
}

/** Per digit: detections, best score first, take the nearest unmatched truth of the same
 * digit within matchPx; each truth is matched at most once. */
export function score(detections: Detection[][], truths: Truth[][]): Counts {
  const counts: Counts = { tp: new Array(10).fill(0), fp: new Array(10).fill(0), fn: new Array(10).fill(0) };
  detections.forEach((dets, f) => {
    const frame = truths[f]!;
    const used = new Array(frame.length).fill(false);
    for (const det of [...dets].sort((a, b) => b.score - a.score)) {
      let best = matchPx, bi = -1;
      frame.forEach(([tx, ty, td], i) => {
        if (used[i] || td !== det.digit) return;
        const dist = Math.hypot(det.x - tx, det.y - ty);
        if (dist <= best) { best = dist; bi = i; }
      });
      if (bi >= 0) { used[bi] = true; counts.tp[det.digit]!++; } else counts.fp[det.digit]!++;
    }
    frame.forEach(([, , td], i) => { if (!used[i]) counts.fn[td]!++; });
  });
  return counts;
}

export interface Prf { precision: number; recall: number; f1: number; tp: number; fp: number; fn: number }

export function prf(tp: number, fp: number, fn: number): Prf {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn };
}

export function overall(c: Counts): Prf {
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  return prf(sum(c.tp), sum(c.fp), sum(c.fn));
}

/** The model input for a frame of pixels, as the model's input tensor wants it. */
export function inputFor(session: InferenceSession, pixels: Uint8Array): Int8Array | Float32Array {
  const meta = session.inputs[0]!;
  if (meta.type === 'int8') {
    // real = pixel / 255 = (q - zero_point) * scale with scale 1/255: q = pixel + zero_point
    const q = new Int8Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) q[i] = pixels[i]! + meta.zeroPoint;
    return q;
  }
  const f = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) f[i] = pixels[i]! / 255;
  return f;
}

/** Output probabilities of one run as floats. */
export function probabilities(session: InferenceSession, data: Int8Array | Float32Array): Float64Array {
  const meta = session.outputs[0]!;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = meta.type === 'int8' ? (data[i]! - meta.zeroPoint) * meta.scale : data[i]!;
  return out;
}

export interface EvalResult {
  counts: Counts;
  /** Raw output bytes per frame (for cross-backend comparisons). */
  outputs: Uint8Array[];
  msPerFrame: number;
}

/** Runs the model on every frame, decodes and scores. */
export function evaluate(binding: CoreBinding, model: Uint8Array, heldOut: HeldOut, description: DetectorDescription): EvalResult {
  const session = InferenceSession.create(binding, model);
  try {
    const [, grid, , classes] = session.outputs[0]!.dims as number[];
    const outputs: Uint8Array[] = [];
    const detections: Detection[][] = [];
    let ms = 0;
    for (const frame of heldOut.frames) {
      const input = inputFor(session, frame);
      const t0 = performance.now();
      const [scores] = session.run([input]);
      ms += performance.now() - t0;
      const data = scores!.data as Int8Array | Float32Array;
      outputs.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
      detections.push(decode(probabilities(session, data), grid!, classes!, description.output.cell_px,
        description.decode.threshold, description.decode.class_thresholds));
    }
    return { counts: score(detections, heldOut.truths), outputs, msPerFrame: ms / Math.max(heldOut.frames.length, 1) };
  } finally {
    session.release();
  }
}
