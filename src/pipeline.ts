// Frame in, detections out: crop/resize to the model's input, quantize with the
// model's own scale and zero point, run, decode by the model's spec. One
// Pipeline per loaded model; it owns every buffer it needs, so process()
// allocates nothing per frame (results live in objects it reuses).
// Engine-neutral: the same code runs on XS on a device and on Node.
import { ImageError, checkFrame, type Frame } from './image.js';
import type { ModelSpec } from './model-spec.js';
import type { InferenceSession } from './session.js';
import { allocateFor, type TypedArray } from './tensor.js';

/** How a frame of another aspect ratio reaches the model's input. */
export type Fit = 'crop' | 'stretch';

export interface Detection {
  label: string;
  /** Index of the label in the model's labels. */
  index: number;
  score: number;
  /** Box in frame pixels: top-left corner and size. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Centre in frame pixels (score-weighted over a grid object's cells). */
  cx: number;
  cy: number;
}

export interface Timing {
  preprocess_ms: number;
  invoke_ms: number;
  decode_ms: number;
}

export interface PipelineResult {
  /** Detections are items[0 .. count-1]; the objects are reused by the next process(). */
  count: number;
  items: readonly Detection[];
  /** The part of the frame the model saw, in frame pixels. */
  region: { x: number; y: number; w: number; h: number };
  timing: Timing;
}

export interface PipelineOptions {
  /** Milliseconds from some origin; Date.now by default. */
  clock?: () => number;
  /** Largest frame accepted, in pixels. */
  maxPixels?: number;
}

/** The detections of a result as a new array of plain objects (allocates; for APIs and logs). */
export function detectionsOf(result: PipelineResult): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < result.count; i++) out.push({ ...result.items[i]! });
  return out;
}

function newDetection(): Detection {
  return { label: '', index: 0, score: 0, x: 0, y: 0, w: 0, h: 0, cx: 0, cy: 0 };
}

/** Real value to the input type, for each pixel value 0..255 (TFLite's quantization rounding). */
function inputTable(session: InferenceSession, range: [number, number]): Int8Array | Uint8Array | Float32Array {
  const meta = session.inputs[0]!;
  const [lo, hi] = range;
  const real = (v: number): number => lo + (v / 255) * (hi - lo);
  if (meta.type === 'float32') return Float32Array.from({ length: 256 }, (_, v) => real(v));
  if (meta.type !== 'int8' && meta.type !== 'uint8') throw new TypeError(`the pipeline feeds int8, uint8 or float32 inputs, not ${meta.type}`);
  if (!(meta.scale > 0)) throw new TypeError(`input '${meta.name}' is ${meta.type} but not quantized`);
  const table = meta.type === 'int8' ? new Int8Array(256) : new Uint8Array(256);
  const [qlo, qhi] = meta.type === 'int8' ? [-128, 127] : [0, 255];
  const s = Math.fround(meta.scale);
  for (let v = 0; v < 256; v++) {
    const x = Math.fround(Math.fround(real(v)) / s);
    const q = meta.zeroPoint + (x < 0 ? -Math.round(-x) : Math.round(x));
    table[v] = q < qlo ? qlo : q > qhi ? qhi : q;
  }
  return table;
}

export class Pipeline {
  readonly spec: ModelSpec;
  readonly session: InferenceSession;
  private readonly input: TypedArray;
  private readonly output: TypedArray;
  private readonly table: Int8Array | Uint8Array | Float32Array;
  private readonly outScale: number;
  private readonly outZero: number;
  private readonly clock: () => number;
  private readonly maxPixels: number;
  // resize: source column/row where each input column/row starts (one extra at the end)
  private readonly colStart: Int32Array;
  private readonly rowStart: Int32Array;
  // grid decoding: best label and its score per cell, component search
  private readonly cellLabel: Int32Array;
  private readonly cellScore: Float64Array;
  private readonly seen: Uint8Array;
  private readonly stack: Int32Array;
  private readonly scores: Float64Array;
  private readonly result: PipelineResult;
  private readonly pool: Detection[];

  constructor(session: InferenceSession, spec: ModelSpec, options: PipelineOptions = {}) {
    this.session = session;
    this.spec = spec;
    this.clock = options.clock ?? Date.now;
    this.maxPixels = options.maxPixels ?? 16 << 20;
    this.input = allocateFor(session.inputs[0]!);
    const outMeta = session.outputs[0]!;
    if (outMeta.type !== 'int8' && outMeta.type !== 'uint8' && outMeta.type !== 'float32') {
      throw new TypeError(`the pipeline decodes int8, uint8 or float32 outputs, not ${outMeta.type}`);
    }
    this.output = allocateFor(outMeta);
    this.outScale = outMeta.scale > 0 ? outMeta.scale : 1;
    this.outZero = outMeta.scale > 0 ? outMeta.zeroPoint : 0;
    this.table = inputTable(session, spec.input.range);
    this.colStart = new Int32Array(spec.input.width + 1);
    this.rowStart = new Int32Array(spec.input.height + 1);
    const d = spec.decoding;
    const cells = d.kind === 'grid' ? d.rows * d.cols : 0;
    this.cellLabel = new Int32Array(cells);
    this.cellScore = new Float64Array(cells);
    this.seen = new Uint8Array(cells);
    this.stack = new Int32Array(cells);
    this.scores = new Float64Array(spec.labels.length);
    this.pool = Array.from({ length: d.kind === 'grid' ? cells : d.topK }, newDetection);
    this.result = { count: 0, items: this.pool, region: { x: 0, y: 0, w: 0, h: 0 }, timing: { preprocess_ms: 0, invoke_ms: 0, decode_ms: 0 } };
  }

  /** Run one frame. Throws ImageError for a frame that does not fit its description. */
  process(frame: Frame, fit: Fit = 'crop'): PipelineResult {
    const t0 = this.clock();
    checkFrame(frame, this.maxPixels);
    if (fit !== 'crop' && fit !== 'stretch') throw new ImageError('BAD_DIMENSIONS', `fit must be 'crop' or 'stretch', got ${String(fit)}`);
    this.preprocess(frame, fit);
    const t1 = this.clock();
    this.session.runInto([this.input], [this.output]);
    const t2 = this.clock();
    if (this.spec.decoding.kind === 'grid') this.decodeGrid(); else this.decodeClassifier();
    const t3 = this.clock();
    const timing = this.result.timing;
    timing.preprocess_ms = t1 - t0;
    timing.invoke_ms = t2 - t1;
    timing.decode_ms = t3 - t2;
    return this.result;
  }

  /** The model's input as last fed (after preprocessing), e.g. to keep a probe frame. */
  lastInput(): TypedArray {
    return this.input;
  }

  /** The region of the frame the model sees, then the area-average resize and quantization. */
  private preprocess(frame: Frame, fit: Fit): void {
    areaResize(frame, fit, this.spec.input, this.table, this.input, this.result.region, this.colStart, this.rowStart);
  }

  private score(i: number): number {
    return (Number(this.output[i]!) - this.outZero) * this.outScale;
  }

  /** Connected cells whose best non-background label passes that label's threshold. */
  private decodeGrid(): void {
    const d = this.spec.decoding;
    if (d.kind !== 'grid') return;
    const { rows, cols, background, thresholds, connectivity } = d;
    const labels = this.spec.labels, classes = labels.length;
    const { width: inW, height: inH } = this.spec.input;
    const cellW = inW / cols, cellH = inH / rows;
    const region = this.result.region;
    const sx = region.w / inW, sy = region.h / inH;
    const cellLabel = this.cellLabel, cellScore = this.cellScore, seen = this.seen, stack = this.stack;
    for (let i = 0; i < rows * cols; i++) {
      let best = -1, bestScore = -Infinity;
      for (let c = 0; c < classes; c++) {
        if (c === background) continue;
        const s = this.score(i * classes + c);
        if (s > bestScore) { best = c; bestScore = s; }
      }
      cellLabel[i] = bestScore >= thresholds[best]! ? best : -1;
      cellScore[i] = bestScore;
      seen[i] = 0;
    }
    let count = 0;
    for (let start = 0; start < rows * cols; start++) {
      if (seen[start] || cellLabel[start]! < 0) continue;
      const label = cellLabel[start]!;
      let top = 0;
      stack[top++] = start;
      seen[start] = 1;
      let weight = 0, mx = 0, my = 0, max = 0, r0 = rows, r1 = -1, c0 = cols, c1 = -1;
      while (top > 0) {
        const i = stack[--top]!;
        const r = Math.floor(i / cols), c = i % cols;
        const s = cellScore[i]!;
        weight += s;
        mx += s * (c + 0.5) * cellW;
        my += s * (r + 0.5) * cellH;
        if (s > max) max = s;
        if (r < r0) r0 = r;
        if (r > r1) r1 = r;
        if (c < c0) c0 = c;
        if (c > c1) c1 = c;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            if (connectivity === 4 && dx !== 0 && dy !== 0) continue;
            const rr = r + dy, cc = c + dx;
            if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
            const j = rr * cols + cc;
            if (!seen[j] && cellLabel[j] === label) {
              seen[j] = 1;
              stack[top++] = j;
            }
          }
        }
      }
      const det = this.pool[count++]!;
      det.label = labels[label]!;
      det.index = label;
      det.score = max;
      det.cx = region.x + (mx / weight) * sx;
      det.cy = region.y + (my / weight) * sy;
      det.x = region.x + c0 * cellW * sx;
      det.y = region.y + r0 * cellH * sy;
      det.w = (c1 + 1 - c0) * cellW * sx;
      det.h = (r1 + 1 - r0) * cellH * sy;
    }
    this.result.count = count;
  }

  /** The top-K labels at or above their thresholds, best first (ties: lower index first). */
  private decodeClassifier(): void {
    const d = this.spec.decoding;
    if (d.kind !== 'classifier') return;
    const labels = this.spec.labels, scores = this.scores, region = this.result.region;
    for (let c = 0; c < labels.length; c++) scores[c] = this.score(c);
    let count = 0;
    while (count < d.topK) {
      let best = -1;
      for (let c = 0; c < labels.length; c++) {
        if (scores[c]! >= d.thresholds[c]! && (best < 0 || scores[c]! > scores[best]!)) best = c;
      }
      if (best < 0) break;
      const det = this.pool[count++]!;
      det.label = labels[best]!;
      det.index = best;
      det.score = scores[best]!;
      det.x = region.x; det.y = region.y; det.w = region.w; det.h = region.h;
      det.cx = region.x + region.w / 2;
      det.cy = region.y + region.h / 2;
      scores[best] = -Infinity;   // taken
    }
    this.result.count = count;
  }
}

/**
 * The app's preprocessing of a frame for a model input of width x height x
 * channels: the middle of the frame at the model's aspect (`fit: 'stretch'`
 * keeps all of it), resized by area averaging in integers, each averaged pixel
 * (0..255) mapped through `table` into `out` (NHWC). `region` receives the part
 * of the frame used; colStart/rowStart (width + 1, height + 1 entries) are
 * scratch, so a caller that keeps them allocates nothing.
 */
export function areaResize(
  frame: Frame, fit: Fit, size: { width: number; height: number; channels: number },
  table: ArrayLike<number>, out: { [i: number]: number | bigint; length: number }, region: { x: number; y: number; w: number; h: number } = { x: 0, y: 0, w: 0, h: 0 },
  colStart: Int32Array = new Int32Array(size.width + 1), rowStart: Int32Array = new Int32Array(size.height + 1),
): { x: number; y: number; w: number; h: number } {
  const { width: inW, height: inH, channels } = size;
  if (fit === 'stretch') {
    region.x = 0; region.y = 0; region.w = frame.width; region.h = frame.height;
  } else if (frame.width * inH > frame.height * inW) {   // wider than the model: crop the sides
    region.h = frame.height;
    region.w = Math.max(1, Math.round((frame.height * inW) / inH));
    region.x = (frame.width - region.w) >> 1;
    region.y = 0;
  } else {                                               // taller: crop top and bottom
    region.w = frame.width;
    region.h = Math.max(1, Math.round((frame.width * inH) / inW));
    region.x = 0;
    region.y = (frame.height - region.h) >> 1;
  }
  for (let i = 0; i <= inW; i++) colStart[i] = region.x + Math.floor((i * region.w) / inW);
  for (let i = 0; i <= inH; i++) rowStart[i] = region.y + Math.floor((i * region.h) / inH);

  const { data, format, width } = frame;
  let o = 0;
  for (let oy = 0; oy < inH; oy++) {
    const y0 = rowStart[oy]!, y1 = Math.max(y0 + 1, rowStart[oy + 1]!);
    for (let ox = 0; ox < inW; ox++) {
      const x0 = colStart[ox]!, x1 = Math.max(x0 + 1, colStart[ox + 1]!);
      const n = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) sum += sample(data, format, y * width + x, channels === 1 ? -1 : c);
        }
        out[o++] = table[Math.floor((sum + (n >> 1)) / n)]!;
      }
    }
  }
  return region;
}

/** Channel c (0 R, 1 G, 2 B) of pixel i, or its luma when c is -1, 0..255. */
function sample(data: Uint8Array, format: Frame['format'], i: number, c: number): number {
  let r: number, g: number, b: number;
  switch (format) {
    case 'gray8':
      return data[i]!;
    case 'rgb888':
      r = data[3 * i]!; g = data[3 * i + 1]!; b = data[3 * i + 2]!;
      break;
    case 'rgba8888':
      r = data[4 * i]!; g = data[4 * i + 1]!; b = data[4 * i + 2]!;
      break;
    default: {
      const v = format === 'rgb565le' ? data[2 * i]! | (data[2 * i + 1]! << 8) : (data[2 * i]! << 8) | data[2 * i + 1]!;
      r = (v >> 11) & 31; g = (v >> 5) & 63; b = v & 31;
      r = (r << 3) | (r >> 2); g = (g << 2) | (g >> 4); b = (b << 3) | (b >> 2);
    }
  }
  if (c === 0) return r;
  if (c === 1) return g;
  if (c === 2) return b;
  return (77 * r + 150 * g + 29 * b + 128) >> 8;   // BT.601 luma in 8-bit fixed point
}
