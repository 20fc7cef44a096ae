// The frame path in plain TypeScript, as it ran before the core took it over
// (native/src/xtml_frame.c, xtml_grid.c): the oracle the tests hold Pipeline
// to, and the "before" of `npm run bench:frame` (it runs on XS too, so it
// imports types only). Crop to the model's aspect or stretch, integer area
// averaging, a 256-entry quantization table from the input's scale and zero
// point with TFLite rounding, and grid decoding into connected objects with
// score-weighted centroids, every result in doubles.
import type { Frame } from '../../src/image.js';
import type { ModelSpec } from '../../src/model-spec.js';
import type { Detection, Fit, PipelineResult } from '../../src/pipeline.js';
import type { InferenceSession } from '../../src/session.js';
import type { TensorMetadata, TypedArray } from '../../src/tensor.js';

export interface OracleOptions {
  clock?: () => number;
  /** Called first with each frame (the Pipeline's checkFrame, when measuring). */
  check?: (frame: Frame) => void;
}

function arrayFor(meta: TensorMetadata): TypedArray {
  switch (meta.type) {
    case 'int8': return new Int8Array(meta.bytes);
    case 'uint8': return new Uint8Array(meta.bytes);
    case 'float32': return new Float32Array(meta.bytes / 4);
    default: throw new TypeError(`the oracle runs int8, uint8 or float32 tensors, not ${meta.type}`);
  }
}

function newDetection(): Detection {
  return { label: '', index: 0, score: 0, x: 0, y: 0, w: 0, h: 0, cx: 0, cy: 0 };
}

/** Real value to the input type, for each pixel value 0..255 (TFLite's quantization rounding). */
export function oracleInputTable(meta: TensorMetadata, range: [number, number]): Int8Array | Uint8Array | Float32Array {
  const [lo, hi] = range;
  const real = (v: number): number => lo + (v / 255) * (hi - lo);
  if (meta.type === 'float32') return Float32Array.from({ length: 256 }, (_, v) => real(v));
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

export class OraclePipeline {
  readonly spec: ModelSpec;
  readonly session: InferenceSession;
  readonly input: TypedArray;
  readonly output: TypedArray;
  private readonly table: Int8Array | Uint8Array | Float32Array;
  private readonly outScale: number;
  private readonly outZero: number;
  private readonly clock: () => number;
  private readonly check: (frame: Frame) => void;
  private readonly colStart: Int32Array;
  private readonly rowStart: Int32Array;
  private readonly cellLabel: Int32Array;
  private readonly cellScore: Float64Array;
  private readonly seen: Uint8Array;
  private readonly stack: Int32Array;
  private readonly scores: Float64Array;
  private readonly result: PipelineResult;
  private readonly pool: Detection[];

  constructor(session: InferenceSession, spec: ModelSpec, options: OracleOptions = {}) {
    this.session = session;
    this.spec = spec;
    this.clock = options.clock ?? Date.now;
    this.check = options.check ?? (() => undefined);
    this.input = arrayFor(session.inputs[0]!);
    const outMeta = session.outputs[0]!;
    this.output = arrayFor(outMeta);
    this.outScale = outMeta.scale > 0 ? outMeta.scale : 1;
    this.outZero = outMeta.scale > 0 ? outMeta.zeroPoint : 0;
    this.table = oracleInputTable(session.inputs[0]!, spec.input.range);
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

  process(frame: Frame, fit: Fit = 'crop'): PipelineResult {
    const t0 = this.clock();
    this.check(frame);
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

  private preprocess(frame: Frame, fit: Fit): void {
    const { width: inW, height: inH, channels } = this.spec.input;
    const region = this.result.region;
    if (fit === 'stretch') {
      region.x = 0; region.y = 0; region.w = frame.width; region.h = frame.height;
    } else if (frame.width * inH > frame.height * inW) {
      region.h = frame.height;
      region.w = Math.max(1, Math.round((frame.height * inW) / inH));
      region.x = (frame.width - region.w) >> 1;
      region.y = 0;
    } else {
      region.w = frame.width;
      region.h = Math.max(1, Math.round((frame.width * inH) / inW));
      region.x = 0;
      region.y = (frame.height - region.h) >> 1;
    }
    for (let i = 0; i <= inW; i++) this.colStart[i] = region.x + Math.floor((i * region.w) / inW);
    for (let i = 0; i <= inH; i++) this.rowStart[i] = region.y + Math.floor((i * region.h) / inH);

    const { data, format, width } = frame;
    const table = this.table, input = this.input, cols = this.colStart, rows = this.rowStart;
    let o = 0;
    for (let oy = 0; oy < inH; oy++) {
      const y0 = rows[oy]!, y1 = Math.max(y0 + 1, rows[oy + 1]!);
      for (let ox = 0; ox < inW; ox++) {
        const x0 = cols[ox]!, x1 = Math.max(x0 + 1, cols[ox + 1]!);
        const n = (y1 - y0) * (x1 - x0);
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let y = y0; y < y1; y++) {
            for (let x = x0; x < x1; x++) sum += sample(data, format, y * width + x, channels === 1 ? -1 : c);
          }
          input[o++] = table[Math.floor((sum + (n >> 1)) / n)]!;
        }
      }
    }
  }

  private score(i: number): number {
    return (Number(this.output[i]!) - this.outZero) * this.outScale;
  }

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
      scores[best] = -Infinity;
    }
    this.result.count = count;
  }
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
  return (77 * r + 150 * g + 29 * b + 128) >> 8;
}
