// Activation ranges from calibration data. Every float activation of the graph
// is observed over all samples, then one range per tensor is chosen by:
// - minmax: the observed minimum and maximum;
// - percentile: the p-th percentile at each end (outliers clipped);
// - mse: the range whose int8 quantization (TFLite's asymmetric rule) has the
//   least expected squared error over the tensor's histogram (clipping error
//   against rounding error).
// Every range contains 0, as TFLite's asymmetric int8 requires.
import { runFloat } from './float-run.js';
import type { Graph } from './graph.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'mse';
// frozen: kept in flash where the module is preloaded (a Moddable app)
export const calibrationMethods: readonly CalibrationMethod[] = Object.freeze(['minmax', 'percentile', 'mse'] as const);

export type Range = [lo: number, hi: number];

export interface CalibrationOptions {
  method: CalibrationMethod;
  /** For 'percentile': the share of values kept at each end, e.g. 99.99. */
  percentile?: number;
  /** Called after each sample of each pass. */
  onProgress?: (done: number, total: number) => void;
}

const BINS = 2048;

/** The tensors calibration measures: graph inputs and every operator output. */
export function observedTensors(g: Graph): string[] {
  const names = new Set<string>(g.inputs);
  for (const n of g.nodes) for (const t of n.outputs) names.add(t);
  return [...names].filter((t) => g.tensor(t).dtype === 'float32');
}

/** Int8 scale and zero point for a range (TFLite's asymmetric rule). */
export function paramsFor(range: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(range[0], 0), hi = Math.max(range[1], 0);
  if (hi - lo <= 0) return { scale: Math.fround(1 / 255), zeroPoint: -128 };
  const scale = Math.fround((hi - lo) / 255);
  const zp = Math.round(-128 - lo / scale);
  return { scale, zeroPoint: Math.min(127, Math.max(-128, zp)) };
}

interface Stats { min: number; max: number; hist: Float64Array | null }

function mseRange(s: Stats): Range {
  const width = (s.max - s.min) / BINS;
  const hist = s.hist!;
  const cost = (lo: number, hi: number): number => {
    const { scale, zeroPoint } = paramsFor([lo, hi]);
    let e = 0;
    for (let i = 0; i < BINS; i++) {
      const c = hist[i]!;
      if (c === 0) continue;
      const v = s.min + (i + 0.5) * width;
      let q = Math.round(v / scale) + zeroPoint;
      q = q < -128 ? -128 : q > 127 ? 127 : q;
      const d = (q - zeroPoint) * scale - v;
      e += c * (d * d + (width * width) / 12);
    }
    return e;
  };
  const steps = 40;
  const factors = Array.from({ length: steps }, (_, i) => 1 - (0.8 * i) / (steps - 1));
  const los = s.min < 0 ? factors.map((f) => s.min * f) : [0];
  const his = s.max > 0 ? factors.map((f) => s.max * f) : [0];
  let best: Range = [Math.min(s.min, 0), Math.max(s.max, 0)];
  let bestCost = cost(best[0], best[1]);
  for (const lo of los) for (const hi of his) {
    if (hi - lo <= 0) continue;
    const c = cost(lo, hi);
    if (c < bestCost) { bestCost = c; best = [lo, hi]; }
  }
  return best;
}

function percentileRange(s: Stats, p: number): Range {
  const hist = s.hist!;
  const total = hist.reduce((a, b) => a + b, 0);
  const width = (s.max - s.min) / BINS;
  const tail = total * (1 - p / 100);
  let acc = 0, lo = s.min, hi = s.max;
  for (let i = 0; i < BINS; i++) { acc += hist[i]!; if (acc > tail) { lo = s.min + i * width; break; } }
  acc = 0;
  for (let i = BINS - 1; i >= 0; i--) { acc += hist[i]!; if (acc > tail) { hi = s.min + (i + 1) * width; break; } }
  return [s.min >= 0 ? 0 : lo, s.max <= 0 ? 0 : hi];
}

/** Chosen range of every observed tensor. `samples[k][i]` is input i of sample k. */
export function calibrate(g: Graph, samples: readonly (readonly Float32Array[])[], options: CalibrationOptions): Map<string, Range> {
  const names = observedTensors(g);
  const stats = new Map<string, Stats>(names.map((n) => [n, { min: Infinity, max: -Infinity, hist: null }]));
  const twoPass = options.method !== 'minmax';
  const total = samples.length * (twoPass ? 2 : 1);
  let done = 0;
  for (const sample of samples) {
    const values = runFloat(g, sample as Float32Array[], true);
    for (const n of names) {
      const v = values.get(n)!, s = stats.get(n)!;
      for (let i = 0; i < v.length; i++) { const x = v[i]!; if (x < s.min) s.min = x; if (x > s.max) s.max = x; }
    }
    options.onProgress?.(++done, total);
  }
  if (twoPass) {
    for (const s of stats.values()) if (s.max > s.min) s.hist = new Float64Array(BINS);
    for (const sample of samples) {
      const values = runFloat(g, sample as Float32Array[], true);
      for (const n of names) {
        const s = stats.get(n)!;
        if (s.hist === null) continue;
        const v = values.get(n)!, k = BINS / (s.max - s.min);
        for (let i = 0; i < v.length; i++) s.hist[Math.min(BINS - 1, Math.floor((v[i]! - s.min) * k))]! += 1;
      }
      options.onProgress?.(++done, total);
    }
  }
  const ranges = new Map<string, Range>();
  for (const [n, s] of stats) {
    if (!Number.isFinite(s.min) || !Number.isFinite(s.max)) { ranges.set(n, [0, 0]); continue; }
    if (s.hist === null) ranges.set(n, [Math.min(s.min, 0), Math.max(s.max, 0)]);
    else if (options.method === 'percentile') ranges.set(n, percentileRange(s, options.percentile ?? 99.99));
    else ranges.set(n, mseRange(s));
  }
  return ranges;
}
