// Seeded cases for the frame path (test/frame-path.test.ts): small models
// whose output grid is their input reshaped, so the frame's pixels choose
// every score, with random grids, class counts, input and output types
// (int8, uint8, float32), quantization, thresholds (some exactly on a score),
// background and connectivity; and frames of every pixel format and many
// sizes, drawn from a few levels so that cells tie, some at the input's size
// (each cell one pixel) and some cropped or stretched to it.
import { pixelFormats, type Frame, type PixelFormat } from '../../src/image.js';
import type { Fit } from '../../src/pipeline.js';
import { oracleInputTable } from './pipeline-oracle.js';
import { writeTflite, type TensorType } from './tflite-writer.js';
import { XorShift32 } from './xorshift.js';

/** xorshift32, for cases that are the same on every run. */
export class Random extends XorShift32 {
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  /** A number in [lo, hi). */
  real(lo: number, hi: number): number {
    return lo + (this.next() / 2 ** 32) * (hi - lo);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}

export interface FrameRun {
  frame: Frame;
  fit: Fit;
}

export interface FrameCase {
  name: string;
  type: TensorType;
  /** Whether grid cells are a whole number of input pixels. */
  wholeCells: boolean;
  model: Uint8Array;
  sidecar: string;
  runs: FrameRun[];
}

const bytesPerPixel: Record<PixelFormat, number> = { gray8: 1, rgb565le: 2, rgb565be: 2, rgb888: 3, rgba8888: 4 };

/** A frame whose every byte comes from `levels` (or any byte when levels is empty). */
export function randomFrame(r: Random, width: number, height: number, format: PixelFormat, levels: readonly number[]): Frame {
  const data = new Uint8Array(width * height * bytesPerPixel[format]);
  for (let i = 0; i < data.length; i++) data[i] = levels.length > 0 ? r.pick(levels) : r.int(0, 255);
  return { width, height, format, data };
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

/** One reshape model with its sidecar and frames. `flat`: every score 0 at
 * first (objects of zero weight, whose centres are NaN), then a few levels
 * around 0, all thresholds 0. */
function gridCase(r: Random, index: number, flat = false): FrameCase {
  let type: TensorType = r.pick(['int8', 'int8', 'uint8', 'float32'] as const);
  const rows = r.int(2, 8), cols = r.int(2, 8);
  let height: number, width: number, channels: number, classes: number;
  if (r.chance(0.5)) {
    // cells of a whole number of pixels: the core's integer sums give the centres
    const a = r.int(1, 2), b = r.int(1, 2);
    channels = r.pick([1, 3]);
    classes = a * b * channels;
    height = rows * a;
    width = cols * b;
  } else {
    classes = r.int(1, 6);
    const total = rows * cols * classes;
    channels = total % 3 === 0 && r.chance(0.5) ? 3 : 1;
    height = r.pick(divisors(total / channels));
    width = total / channels / height;
  }
  // Half the ranges put score 0 on a pixel level (zero), which the frames then use.
  let lo = r.real(-2, 0.5), hi = lo + r.real(0.5, 4), zero = -1;
  if (flat || r.chance(0.5)) {
    const step = r.real(0.005, 0.03);
    zero = r.int(0, 255);
    lo = -zero * step;
    hi = (255 - zero) * step;
  }
  let quant: { scale?: number[]; zeroPoint?: number[] } = {};
  if (type !== 'float32') {
    const scale = Math.fround((hi - lo) / r.int(40, 300));
    const zeroPoint = type === 'int8' ? r.int(-128, 127) : r.int(0, 255);
    quant = { scale: [scale], zeroPoint: [zeroPoint] };
  }
  const model = writeTflite({
    tensors: [
      { name: 'frame', type, shape: [1, height, width, channels], ...quant },
      { name: 'scores', type, shape: [1, rows, cols, classes], ...quant },
    ],
    operators: [{ builtin: 22 /* RESHAPE */, inputs: [0], outputs: [1], optionsType: 17 /* ReshapeOptions */, options: [] }],
    inputs: [0],
    outputs: [1],
  });

  // Pixel levels drawn from a few values; thresholds on the scores they give.
  if (flat && type === 'float32') type = 'int8';
  const levels = flat ? [zero, Math.max(0, zero - 1), Math.min(255, zero + 1)] : Array.from({ length: r.int(2, 6) }, () => r.int(0, 255));
  if (zero >= 0) levels.push(zero, zero);
  const meta = { name: 'frame', type, dims: [1, height, width, channels], bytes: 0, scale: quant.scale?.[0] ?? 0, zeroPoint: quant.zeroPoint?.[0] ?? 0 };
  const table = oracleInputTable(meta, [lo, hi]);
  const scoreOf = (v: number): number => (type === 'float32' ? table[v]! : (table[v]! - meta.zeroPoint) * meta.scale);
  const threshold = (): number | null =>
    r.chance(0.2) ? null : r.chance(0.5) ? scoreOf(r.pick(levels)) : r.chance(0.8) ? r.real(lo, hi) : r.pick([-1e40, 1e40, 0, -0.5]);
  const sidecar = JSON.stringify({
    labels: Array.from({ length: classes }, (_, c) => `class${c}`),
    input: { range: [lo, hi] },
    decode: {
      threshold: scoreOf(r.pick(levels)),
      class_thresholds: Array.from({ length: classes }, () => (flat ? 0 : threshold())),
      background: r.int(-1, classes - 1),
      connectivity: r.pick([4, 8]),
    },
  });

  const runs: FrameRun[] = [];
  if (flat) runs.push({ frame: randomFrame(r, width, height, channels === 1 ? 'gray8' : 'rgb888', [zero]), fit: 'crop' });
  // at the input's size: each input pixel is one frame pixel
  runs.push({ frame: randomFrame(r, width, height, channels === 1 ? 'gray8' : 'rgb888', levels), fit: 'crop' });
  runs.push({ frame: randomFrame(r, width, height, r.pick(pixelFormats), levels), fit: r.pick(['crop', 'stretch']) });
  // other sizes, cropped or stretched to it
  for (let i = 0; i < 3; i++) {
    const w = r.int(1, 3 * width + 4), h = r.int(1, 3 * height + 4);
    runs.push({ frame: randomFrame(r, w, h, r.pick(pixelFormats), r.chance(0.7) ? levels : []), fit: r.pick(['crop', 'stretch']) });
  }
  const wholeCells = height % rows === 0 && width % cols === 0;
  return { name: `case ${index}: ${type} ${height}x${width}x${channels} -> ${rows}x${cols}x${classes}`, type, wholeCells, model, sidecar, runs };
}

/** `count` random cases, the last few of them flat. */
export function gridCases(seed: number, count: number): FrameCase[] {
  const r = new Random(seed);
  return Array.from({ length: count }, (_, i) => gridCase(r, i, i >= count - 4));
}

/** Frames of every format for a model with a width x height input: at its
 * size, QVGA, and random sizes from a sliver to larger than it. */
export function frameRuns(seed: number, width: number, height: number, count: number): FrameRun[] {
  const r = new Random(seed);
  const runs: FrameRun[] = [];
  for (const format of pixelFormats) {
    runs.push({ frame: randomFrame(r, width, height, format, []), fit: 'crop' });
    runs.push({ frame: randomFrame(r, 320, 240, format, []), fit: r.pick(['crop', 'stretch']) });
  }
  for (let i = 0; i < count; i++) {
    const w = r.chance(0.1) ? 1 : r.int(1, 4 * width), h = r.chance(0.1) ? 1 : r.int(1, 4 * height);
    runs.push({ frame: randomFrame(r, w, h, r.pick(pixelFormats), r.chance(0.3) ? [0, 128, 255] : []), fit: r.pick(['crop', 'stretch']) });
  }
  return runs;
}

/**
 * A gray side x side scene (a held-out frame) enlarged or reduced, nearest
 * pixel, into the centred square of a width x height frame of any format;
 * the rest is a colour ramp that a crop leaves out.
 */
export function sceneFrame(scene: Uint8Array, side: number, width: number, height: number, format: PixelFormat): Frame {
  const square = Math.min(width, height), left = (width - square) >> 1, top = (height - square) >> 1;
  const bpp = bytesPerPixel[format];
  const data = new Uint8Array(width * height * bpp);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r: number, g: number, b: number;
      if (x >= left && x < left + square && y >= top && y < top + square) {
        const v = scene[Math.floor(((y - top) * side) / square) * side + Math.floor(((x - left) * side) / square)]!;
        r = v; g = v; b = Math.min(255, v + 8);
      } else {
        r = (x * 3) & 255; g = (y * 5) & 255; b = ((x + y) * 7) & 255;
      }
      const at = (y * width + x) * bpp;
      if (format === 'gray8') {
        data[at] = r;
      } else if (format === 'rgb565le' || format === 'rgb565be') {
        const p = ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3);
        data[at] = format === 'rgb565le' ? p & 255 : p >> 8;
        data[at + 1] = format === 'rgb565le' ? p >> 8 : p & 255;
      } else {
        data[at] = r; data[at + 1] = g; data[at + 2] = b;
        if (format === 'rgba8888') data[at + 3] = 255;
      }
    }
  }
  return { width, height, format, data };
}

