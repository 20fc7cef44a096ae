// Frame in, detections out: crop/resize to the model's input, quantize with the
// model's own scale and zero point, run, decode by the model's spec. One
// Pipeline per loaded model; it owns every buffer it needs, so process()
// allocates nothing per frame (results live in objects it reuses).
// Engine-neutral: the same code runs on XS on a device and on Node.
//
// The pixel work and the grid search run in the core (xtml_frame_to_input,
// xtml_grid_decode) through the session's binding. What stays here is in
// doubles and matches the plain TypeScript algorithm of
// test/support/pipeline-oracle.ts bit for bit: for quantized scores on cells
// of whole pixels, the core's integer sums give an object's weight and centre
// exactly (every partial sum the plain algorithm takes is exactly
// representable, so one product equals it); otherwise the object's cells are
// summed here, in the order the core found them.
import { frameParam, gridObjectField as F, gridParam, type CoreBinding } from './binding.js';
import { ImageError, checkFrame, pixelFormats, type Frame } from './image.js';
import type { ModelSpec } from './model-spec.js';
import type { InferenceSession } from './session.js';
import { allocateFor, bytesOf, tensorTypes, type TypedArray } from './tensor.js';

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
  /** Largest frame accepted, in pixels (at most the core's 16,777,216). */
  maxPixels?: number;
}

/** The core's limits (xtml.h): XTML_FRAME_MAX_PIXELS, XTML_FRAME_MAX_SIDE. */
const frameMaxPixels = 16777216;
const frameMaxSide = 65535;

/** The detections of a result as a new array of plain objects (allocates; for APIs and logs). */
export function detectionsOf(result: PipelineResult): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < result.count; i++) out.push({ ...result.items[i]! });
  return out;
}

function newDetection(): Detection {
  return { label: '', index: 0, score: 0, x: 0, y: 0, w: 0, h: 0, cx: 0, cy: 0 };
}

/** The least float32 at or above t: a float32 score s passes `s >= t` exactly when `s >= it`. */
function float32AtLeast(t: number): number {
  const f = Math.fround(t);
  if (f >= t) return f;
  if (f === -Infinity) return -3.4028234663852886e38;
  const bits = new Int32Array(new Float32Array([f]).buffer);
  bits[0] = f === 0 ? 1 : f > 0 ? bits[0]! + 1 : bits[0]! - 1;
  return new Float32Array(bits.buffer)[0]!;
}

export class Pipeline {
  readonly spec: ModelSpec;
  readonly session: InferenceSession;
  private readonly binding: CoreBinding;
  private readonly input: TypedArray;
  private readonly inputBytes: Uint8Array;
  private readonly output: TypedArray;
  private readonly outputBytes: Uint8Array;
  /** xtml_frame_table's: the input value of each pixel level, as bytes. */
  private readonly table: Uint8Array;
  private readonly outScale: number;
  private readonly outZero: number;
  private readonly clock: () => number;
  private readonly maxPixels: number;
  private readonly frameParams: Int32Array;
  private readonly regionOut: Int32Array;
  // grid decoding in the core: parameters, per-class thresholds, work memory, objects
  private readonly gridParams: Int32Array;
  private readonly thresholdBytes: Uint8Array;
  private readonly work: Int32Array;
  private readonly workBytes: Uint8Array;
  private readonly objects: Int32Array;
  private readonly objectBytes: Uint8Array;
  /** The core's integer sums give the doubles exactly (see the file header). */
  private readonly exactSums: boolean;
  private readonly scores: Float64Array;
  private readonly result: PipelineResult;
  private readonly pool: Detection[];

  constructor(session: InferenceSession, spec: ModelSpec, options: PipelineOptions = {}) {
    this.session = session;
    this.spec = spec;
    this.binding = session.binding;
    this.clock = options.clock ?? Date.now;
    this.maxPixels = options.maxPixels ?? frameMaxPixels;
    if (!(this.maxPixels <= frameMaxPixels)) throw new RangeError(`options.maxPixels must be at most ${frameMaxPixels}, got ${String(options.maxPixels)}`);
    const inMeta = session.inputs[0]!;
    this.input = allocateFor(inMeta);
    this.inputBytes = bytesOf(this.input);
    const outMeta = session.outputs[0]!;
    if (outMeta.type !== 'int8' && outMeta.type !== 'uint8' && outMeta.type !== 'float32') {
      throw new TypeError(`the pipeline decodes int8, uint8 or float32 outputs, not ${outMeta.type}`);
    }
    this.output = allocateFor(outMeta);
    this.outputBytes = bytesOf(this.output);
    this.outScale = outMeta.scale > 0 ? outMeta.scale : 1;
    this.outZero = outMeta.scale > 0 ? outMeta.zeroPoint : 0;

    // the input: its table, and the parameters of every frame but the frame's own
    const { width: inW, height: inH, channels, range } = spec.input;
    if (inMeta.type !== 'float32' && inMeta.type !== 'int8' && inMeta.type !== 'uint8') throw new TypeError(`the pipeline feeds int8, uint8 or float32 inputs, not ${inMeta.type}`);
    if (inMeta.type !== 'float32' && !(inMeta.scale > 0)) throw new TypeError(`input '${inMeta.name}' is ${inMeta.type} but not quantized`);
    if (inW > frameMaxSide || inH > frameMaxSide) throw new TypeError(`input '${inMeta.name}' is ${inW}x${inH}; the pipeline feeds at most ${frameMaxSide} pixels a side`);
    const [lo, hi] = range;
    const real = Float32Array.from({ length: 256 }, (_, v) => lo + (v / 255) * (hi - lo));
    const inType = tensorTypes.indexOf(inMeta.type);
    this.table = new Uint8Array(inMeta.type === 'float32' ? 1024 : 256);
    this.binding.frameTable(inType, inMeta.scale, inMeta.zeroPoint, bytesOf(real), this.table);
    this.frameParams = new Int32Array(frameParam.length);
    this.frameParams[frameParam.inWidth] = inW;
    this.frameParams[frameParam.inHeight] = inH;
    this.frameParams[frameParam.channels] = channels;
    this.frameParams[frameParam.dtype] = inType;
    this.regionOut = new Int32Array(4);

    const d = spec.decoding;
    const classes = spec.labels.length;
    const cells = d.kind === 'grid' ? d.rows * d.cols : 0;
    this.gridParams = new Int32Array(gridParam.length);
    let thresholds: Int32Array | Float32Array = new Int32Array(0);
    this.exactSums = false;
    if (d.kind === 'grid') {
      const p = this.gridParams;
      p[gridParam.rows] = d.rows;
      p[gridParam.cols] = d.cols;
      p[gridParam.classes] = classes;
      p[gridParam.background] = d.background;
      p[gridParam.connectivity] = d.connectivity;
      p[gridParam.dtype] = tensorTypes.indexOf(outMeta.type);
      p[gridParam.zeroPoint] = this.outZero;
      if (outMeta.type === 'float32') {
        thresholds = Float32Array.from(d.thresholds, float32AtLeast);
      } else {
        // the least level whose score, as score() computes it, reaches the threshold
        const [qlo, qhi] = outMeta.type === 'int8' ? [-128, 127] : [0, 255];
        if (this.outZero < qlo || this.outZero > qhi) throw new TypeError(`output '${outMeta.name}' has zero point ${this.outZero}, outside the ${outMeta.type} range`);
        if (255 * cells * Math.max(d.rows, d.cols) > 0x7fffffff) throw new TypeError(`the pipeline decodes grids up to 32-bit sums; ${d.rows}x${d.cols} is too large`);
        thresholds = Int32Array.from(d.thresholds, (t) => {
          for (let q = qlo; q <= qhi; q++) if ((q - this.outZero) * this.outScale >= t) return q;
          return qhi + 1;
        });
        const cellW = inW / d.cols, cellH = inH / d.rows;
        this.exactSums = Number.isInteger(cellW) && Number.isInteger(cellH) && 255 * cells * inW < 2 ** 29 && 255 * cells * inH < 2 ** 29;
      }
    }
    this.thresholdBytes = bytesOf(thresholds);
    this.work = new Int32Array(3 * cells);
    this.workBytes = bytesOf(this.work);
    this.objects = new Int32Array(F.length * cells);
    this.objectBytes = bytesOf(this.objects);
    this.scores = new Float64Array(classes);
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

  /** The region of the frame the model sees, then the area-average resize and quantization (in the core). */
  private preprocess(frame: Frame, fit: Fit): void {
    const p = this.frameParams;
    p[frameParam.width] = frame.width;
    p[frameParam.height] = frame.height;
    p[frameParam.format] = pixelFormats.indexOf(frame.format);
    p[frameParam.fit] = fit === 'crop' ? 0 : 1;
    this.binding.frameToInput(p, frame.data, this.table, this.inputBytes, this.regionOut);
    const region = this.result.region, r = this.regionOut;
    region.x = r[0]!;
    region.y = r[1]!;
    region.w = r[2]!;
    region.h = r[3]!;
  }

  private score(i: number): number {
    return (Number(this.output[i]!) - this.outZero) * this.outScale;
  }

  /** Connected cells whose best non-background label passes that label's threshold (found by the core). */
  private decodeGrid(): void {
    const d = this.spec.decoding;
    if (d.kind !== 'grid') return;
    const count = this.binding.gridDecode(this.gridParams, this.thresholdBytes, this.outputBytes, this.workBytes, this.objectBytes);
    const { rows, cols } = d;
    const labels = this.spec.labels, classes = labels.length;
    const { width: inW, height: inH } = this.spec.input;
    const cellW = inW / cols, cellH = inH / rows;
    const region = this.result.region;
    const sx = region.w / inW, sy = region.h / inH;
    const objects = this.objects, order = this.work, orderAt = 2 * rows * cols, scale = this.outScale;
    for (let n = 0; n < count; n++) {
      const o = n * F.length;
      const label = objects[o + F.label]!;
      let weight: number, mx: number, my: number, max: number;
      if (this.exactSums) {
        weight = objects[o + F.weight]! * scale;
        mx = (objects[o + F.sumX]! * cellW * scale) / 2;
        my = (objects[o + F.sumY]! * cellH * scale) / 2;
        max = objects[o + F.peak]! * scale;
      } else {
        weight = 0; mx = 0; my = 0; max = 0;
        const first = orderAt + objects[o + F.first]!, end = first + objects[o + F.cells]!;
        for (let j = first; j < end; j++) {
          const i = order[j]!;
          const r = Math.floor(i / cols), c = i % cols;
          const s = this.score(i * classes + label);
          weight += s;
          mx += s * (c + 0.5) * cellW;
          my += s * (r + 0.5) * cellH;
          if (s > max) max = s;
        }
      }
      const c0 = objects[o + F.col0]!, r0 = objects[o + F.row0]!, c1 = objects[o + F.col1]!, r1 = objects[o + F.row1]!;
      const det = this.pool[n]!;
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
