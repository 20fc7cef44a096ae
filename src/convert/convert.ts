// The conversion, engine-neutral: model bytes (ONNX or float .tflite) to a float
// graph (prepare), then calibration, int8 quantization, an optional bias
// correction, the check on our core and the report (quantizeModel). The caller
// supplies the core binding (the report's arena is that build's: use the
// 32-bit WebAssembly one for microcontroller figures) and the samples.
import type { CoreBinding } from '../binding.js';
import { InferenceSession } from '../session.js';
import { XtmlError } from '../errors.js';
import { calibrate, observedTensors, type CalibrationMethod, type Range } from './calibrate.js';
import { ConvertError } from './errors.js';
import { runFloat, transposeData } from './float-run.js';
import { elements, type Graph } from './graph.js';
import { readOnnx, type InputShapes, type SourceInput } from './onnx.js';
import { perChannelFor, quantizeGraph, roundTripWeights, type Params } from './quantize.js';
import { equalize, type EqualizeReport } from './equalize.js';
import { simplify } from './rewrite.js';
import { isTflite, readTflite } from './tflite-read.js';
import { writeGraph } from './tflite-write.js';

export type SourceFormat = 'onnx' | 'tflite';

export interface Prepared {
  format: SourceFormat;
  /** The float graph after the rewrites (NHWC). */
  graph: Graph;
  inputs: SourceInput[];
  outputs: SourceInput[];
  opset?: number;
  producer?: string;
  sourceBytes: number;
  /** What the rewrites did, counted. */
  rewrites: Record<string, number>;
  /** The source's own description (a float .tflite's). */
  description: string;
}

/** Read and simplify. Throws ConvertError for anything that does not convert. */
export function prepare(bytes: Uint8Array, options: { inputShapes?: InputShapes } = {}): Prepared {
  if (bytes.length === 0) throw new ConvertError('NOT_A_MODEL', 'the model file is empty');
  let prepared: Omit<Prepared, 'rewrites'>;
  if (isTflite(bytes)) {
    if (options.inputShapes && options.inputShapes.size > 0) throw new ConvertError('BAD_OPTION', '--input-shape applies to ONNX models; a .tflite model has its shapes');
    const { graph, description } = readTflite(bytes);
    const io = (names: string[]): SourceInput[] => names.map((n) => ({ name: n, sourceShape: graph.tensor(n).shape, shape: graph.tensor(n).shape, nchw: false }));
    prepared = { format: 'tflite', graph, inputs: io(graph.inputs), outputs: io(graph.outputs), sourceBytes: bytes.length, description };
  } else {
    const imported = readOnnx(bytes, options.inputShapes);
    prepared = { format: 'onnx', graph: imported.graph, inputs: imported.inputs, outputs: imported.outputs, opset: imported.opset, producer: imported.producer, sourceBytes: bytes.length, description: '' };
  }
  const rewrites: Record<string, number> = {};
  for (const what of simplify(prepared.graph)) rewrites[what] = (rewrites[what] ?? 0) + 1;
  // graph outputs may have been renamed by the rewrites: keep the list in step
  prepared.outputs = prepared.outputs.map((o, i) => ({ ...o, shape: prepared.graph.tensor(prepared.graph.outputs[i]!).shape }));
  return { ...prepared, rewrites };
}

/** Raw input values in the source model's layout (NCHW for ONNX images) to the converted model's. */
export function toModelLayout(p: Prepared, values: readonly Float32Array[]): Float32Array[] {
  return values.map((v, i) => {
    const inp = p.inputs[i]!;
    return inp.nchw ? transposeData(v, inp.sourceShape, [0, 2, 3, 1]) : v;
  });
}

/** The float32 .tflite of the prepared graph. */
export function floatModel(p: Prepared, description = p.description): Uint8Array {
  return writeGraph(p.graph, description);
}

export interface QuantizeModelOptions {
  binding: CoreBinding;
  /** Calibration samples in the converted model's layout: samples[k][i] is input i of sample k. */
  samples: readonly (readonly Float32Array[])[];
  method: CalibrationMethod;
  percentile?: number;
  biasCorrection?: boolean;
  io: 'int8' | 'float32';
  /** FULLY_CONNECTED weights per unit (default: per tensor, as TFLite's converter). */
  perChannelDense?: boolean;
  /** CONV_2D and DEPTHWISE_CONV_2D weights per tensor (one scale each), to save 24 bytes a channel. */
  perTensor?: boolean;
  /** Cross-layer equalization before calibration (src/convert/equalize.ts). */
  equalize?: boolean;
  /** Fixed input parameters (images: scale and zero point of the pixel mapping). */
  inputParams?: ReadonlyMap<string, Params>;
  /** The description string (JSON for our app: labels, input meaning, decoding). */
  description: string;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface LayerReport {
  tensor: string;
  op: string;
  node: string;
  scale: number;
  zero_point: number;
  /** SQNR of the int8 activation (on our core) against the float one, over the calibration data. */
  sqnr_db: number;
}

export interface ConvertReport {
  source: { format: SourceFormat; bytes: number; opset?: number; producer?: string };
  float_bytes: number;
  int8_bytes: number;
  macs: number;
  /** Exact arena of the binding's build (32-bit for WebAssembly). */
  arena_bytes: number;
  arena_build: string;
  io: 'int8' | 'float32';
  inputs: { name: string; shape: number[]; type: string; scale: number; zero_point: number; layout: string }[];
  outputs: { name: string; shape: number[]; type: string; scale: number; zero_point: number; sqnr_db: number }[];
  operators: { index: number; op: string; macs: number }[];
  rewrites: Record<string, number>;
  calibration: { method: CalibrationMethod; percentile?: number; samples: number; bias_correction: boolean; per_channel_dense: boolean; per_tensor: boolean; equalized_pairs?: number };
  /** Worst first. */
  layers: LayerReport[];
}

export interface Converted {
  model: Uint8Array;
  report: ConvertReport;
}

function sqnr(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  if (signal === 0) return -Infinity;
  return 10 * Math.log10(signal / noise);
}

function checkSamples(p: Prepared, samples: QuantizeModelOptions['samples']): void {
  if (samples.length === 0) throw new ConvertError('BAD_CALIBRATION', 'no calibration samples');
  samples.forEach((s, k) => {
    if (s.length !== p.graph.inputs.length) throw new ConvertError('BAD_CALIBRATION', `sample ${k} has ${s.length} inputs, the model takes ${p.graph.inputs.length}`);
    s.forEach((v, i) => {
      const need = elements(p.graph.tensor(p.graph.inputs[i]!).shape);
      if (v.length !== need) throw new ConvertError('BAD_CALIBRATION', `sample ${k}: input ${i} has ${v.length} values, '${p.inputs[i]!.name}' [${p.inputs[i]!.sourceShape.join(',')}] needs ${need}`);
      for (let j = 0; j < v.length; j++) if (!Number.isFinite(v[j]!)) throw new ConvertError('BAD_CALIBRATION', `sample ${k}: input ${i} holds ${v[j]} at ${j}`);
    });
  });
}

/** Each activation of the int8 model next to its float twin, over the samples. */
function probe(binding: CoreBinding, float: Graph, int8: Graph, samples: QuantizeModelOptions['samples'], onSample?: () => void):
  { sums: Map<string, { signal: number; noise: number }> } {
  const watched = int8.nodes.flatMap((n) => n.outputs).filter((t) => float.tensors.has(t) && int8.tensor(t).dtype === 'int8');
  const probeGraph = int8.clone();
  probeGraph.outputs = [...new Set([...watched.filter((t) => !probeGraph.inputs.includes(t))])];
  const session = InferenceSession.create(binding, writeGraph(probeGraph, ''));
  const sums = new Map(probeGraph.outputs.map((t) => [t, { signal: 0, noise: 0 }]));
  try {
    for (const sample of samples) {
      const feeds = probeGraph.inputs.map((t, i) => {
        const meta = session.inputs[i]!;
        if (meta.type === 'float32') return Float32Array.from(sample[i]!);
        const q = int8.tensor(t).quant!;
        const out = new Int8Array(sample[i]!.length);
        const s = Math.fround(q.scale[0]!);
        for (let j = 0; j < out.length; j++) {
          const x = Math.fround(sample[i]![j]! / s);
          out[j] = Math.max(-128, Math.min(127, q.zeroPoint[0]! + (x < 0 ? -Math.round(-x) : Math.round(x))));
        }
        return out;
      });
      const outs = session.run(feeds);
      const ref = runFloat(float, sample as Float32Array[], true);
      probeGraph.outputs.forEach((t, k) => {
        const q = int8.tensor(t).quant!;
        const data = outs[k]!.data as Int8Array;
        const f = ref.get(t)!;
        const acc = sums.get(t)!;
        for (let j = 0; j < data.length; j++) {
          const d = (data[j]! - q.zeroPoint[0]!) * q.scale[0]! - f[j]!;
          acc.signal += f[j]! * f[j]!;
          acc.noise += d * d;
        }
      });
      onSample?.();
    }
  } finally {
    session.release();
  }
  return { sums };
}

/**
 * Bias correction: the mean output shift each layer's weight rounding causes,
 * (Wq - W) x E[input] per output channel with E[input] the float input's mean
 * per channel over the calibration data, subtracted from the float bias. Each
 * layer is corrected for its own rounding only, so corrections do not add up
 * along the network (borders of padded convolutions are taken as interior).
 */
function correctBiases(float: Graph, samples: QuantizeModelOptions['samples'], granularity: { perChannelDense?: boolean; perTensor?: boolean }): Graph {
  const g = float.clone();
  const weighted = g.nodes.filter((n) => n.op === 'CONV_2D' || n.op === 'DEPTHWISE_CONV_2D' || n.op === 'FULLY_CONNECTED');
  const means = new Map<string, Float64Array>();
  let count = 0;
  for (const sample of samples) {
    const values = runFloat(float, sample as Float32Array[], true);
    for (const n of weighted) {
      const name = n.inputs[0]!;
      const x = values.get(name) ?? (float.tensor(name).data as Float32Array);
      const depth = n.op === 'FULLY_CONNECTED' ? float.tensor(n.inputs[1]!).shape[1]! : float.tensor(name).shape.at(-1)!;
      const m = means.get(name) ?? new Float64Array(depth);
      const rows = x.length / depth;
      for (let j = 0; j < x.length; j++) m[j % depth] = m[j % depth]! + x[j]! / rows;
      means.set(name, m);
    }
    count++;
  }
  for (const n of weighted) {
    const mean = means.get(n.inputs[0]!)!.map((v) => v / count);
    const wt = g.tensor(n.inputs[1]!);
    const w = wt.data as Float32Array;
    const dw = n.op === 'DEPTHWISE_CONV_2D';
    const axis = dw ? 3 : 0;
    const wq = roundTripWeights(w, wt.shape, axis, perChannelFor(n.op, granularity));
    const channels = wt.shape[axis]!;
    const shift = new Float64Array(channels);
    const depth = mean.length;
    for (let i = 0; i < w.length; i++) {
      const c = dw ? i % channels : Math.floor(i / (w.length / channels));
      const inCh = dw ? Math.floor(c / (channels / depth)) : i % depth;
      shift[c] = shift[c]! + (wq[i]! - w[i]!) * mean[inCh]!;
    }
    const bias = n.inputs[2] ? g.tensor(n.inputs[2]) : null;
    const b = bias ? Float32Array.from(bias.data as Float32Array) : new Float32Array(channels);
    for (let c = 0; c < channels; c++) b[c] = b[c]! - shift[c]!;
    n.inputs[2] = g.add({ name: g.fresh(`${n.outputs[0]}/bias`), dtype: 'float32', shape: [channels], data: b });
  }
  g.prune();
  g.tidyNames();
  return g;
}

/** Calibrate, quantize, check on the core, report. */
export function quantizeModel(p: Prepared, options: QuantizeModelOptions): Converted {
  checkSamples(p, options.samples);
  const n = options.samples.length;
  const progress = options.onProgress;
  // equalization keeps what the graph computes; the equalized graph is the float reference from here on
  let source = p.graph;
  let equalized: EqualizeReport | undefined;
  if (options.equalize === true) {
    source = p.graph.clone();
    equalized = equalize(source);
  }
  const ranges: Map<string, Range> = calibrate(source, options.samples, {
    method: options.method,
    ...(options.percentile !== undefined ? { percentile: options.percentile } : {}),
    ...(progress ? { onProgress: (d: number, t: number) => progress('calibrating', d, t) } : {}),
  });
  for (const t of observedTensors(source)) if (!ranges.has(t)) throw new Error(`internal: '${t}' was not calibrated`);
  const granularity = { perChannelDense: options.perChannelDense === true, perTensor: options.perTensor === true };
  const qopts = { io: options.io, ...granularity, ...(options.inputParams ? { inputParams: options.inputParams } : {}) };
  // the report measures against the source's float graph (equalized where asked), corrected biases or not
  const floatGraph = source;
  const int8 = quantizeGraph(options.biasCorrection ? correctBiases(floatGraph, options.samples, granularity) : floatGraph, ranges, qopts);
  let done = 0;
  const tick = (): void => progress?.('measuring', ++done, n);
  let measured;
  try {
    measured = probe(options.binding, floatGraph, int8, options.samples, tick);
  } catch (e) {
    if (e instanceof XtmlError) throw new ConvertError('UNSUPPORTED_MODEL', `our core refuses the quantized model: ${e.code}: ${e.detail}`);
    throw e;
  }
  const model = writeGraph(int8, options.description, options.description.startsWith('{') ? [{ name: 'xs-tinyml.description', data: new TextEncoder().encode(options.description) }] : []);
  let session: InferenceSession;
  try {
    options.binding.verify(model);
    session = InferenceSession.create(options.binding, model);
  } catch (e) {
    if (e instanceof XtmlError) throw new ConvertError('UNSUPPORTED_MODEL', `our core refuses the written model: ${e.code}: ${e.detail}`);
    throw e;
  }
  const report: ConvertReport = {
    source: { format: p.format, bytes: p.sourceBytes, ...(p.opset !== undefined ? { opset: p.opset } : {}), ...(p.producer ? { producer: p.producer } : {}) },
    float_bytes: floatModel(p).length,
    int8_bytes: model.length,
    macs: session.macs,
    arena_bytes: session.arenaBytes,
    arena_build: options.binding.backend === 'wasm' ? '32-bit (WebAssembly)' : `${options.binding.backend} build`,
    io: options.io,
    inputs: session.inputs.map((m, i) => ({ name: m.name, shape: [...m.dims], type: m.type, scale: m.scale, zero_point: m.zeroPoint, layout: p.inputs[i]!.nchw ? 'NHWC (the source is NCHW)' : 'as the source' })),
    outputs: session.outputs.map((m, i) => {
      const t = p.graph.outputs[i]!;
      const s = measured.sums.get(t) ?? { signal: 0, noise: 0 };
      return { name: m.name, shape: [...m.dims], type: m.type, scale: m.scale, zero_point: m.zeroPoint, sqnr_db: sqnr(s.signal, s.noise) };
    }),
    operators: session.operators.map((o, index) => ({ index, op: o.name, macs: o.macs })),
    rewrites: p.rewrites,
    calibration: { method: options.method, ...(options.method === 'percentile' ? { percentile: options.percentile ?? 99.99 } : {}), samples: n, bias_correction: options.biasCorrection === true, per_channel_dense: options.perChannelDense === true, per_tensor: options.perTensor === true, ...(equalized ? { equalized_pairs: equalized.pairs.length } : {}) },
    layers: [...measured.sums].map(([t, s]) => {
      const producer = int8.producer(t)!;
      const q = int8.tensor(t).quant!;
      return { tensor: t, op: producer.op + (producer.options.activation && producer.options.activation !== 'NONE' ? `+${producer.options.activation}` : ''), node: producer.name, scale: q.scale[0]!, zero_point: q.zeroPoint[0]!, sqnr_db: sqnr(s.signal, s.noise) };
    }).sort((a, b) => a.sqnr_db - b.sqnr_db),
  };
  session.release();
  return { model, report };
}
