// The float graph to a fully int8 graph with TensorFlow Lite's quantization
// rules, so TFLM (and our core) run it with the same bytes:
// - weights: int8 symmetric (zero point 0, -127..127), per output channel for
//   CONV_2D and DEPTHWISE_CONV_2D, per tensor for FULLY_CONNECTED as TFLite's
//   converter does (per unit with perChannelDense);
// - biases: int32 at scale input_scale x weight_scale[c], zero point 0;
// - activations: int8 per tensor, asymmetric, from the calibrated ranges;
// - fixed output parameters where TFLite requires them: SOFTMAX and LOGISTIC
//   1/256 and -128, TANH 1/128 and 0;
// - operators that move bytes without requantizing (reshapes, TRANSPOSE, PAD,
//   pooling, RESIZE_NEAREST_NEIGHBOR, CONCATENATION, MAXIMUM, MINIMUM) get the
//   same parameters on every input and output: one range, the union, per group;
// - other float constants (ADD, MUL... operands): int8 per tensor.
// With io 'float32' the graph keeps float inputs and outputs behind QUANTIZE and
// DEQUANTIZE.
import { ConvertError } from './errors.js';
import { type Graph, type Node, type Quantization } from './graph.js';
import { paramsFor, type Range } from './calibrate.js';

export interface Params { scale: number; zeroPoint: number }

export interface QuantizeOptions {
  io: 'int8' | 'float32';
  /** FULLY_CONNECTED weights per output unit too (TFLite's converter: one scale per tensor). */
  perChannelDense?: boolean;
  /** CONV_2D and DEPTHWISE_CONV_2D weights with one scale per tensor (smaller models; pair with equalization). */
  perTensor?: boolean;
  /** Fixed parameters for graph inputs (images: the pixel mapping). */
  inputParams?: ReadonlyMap<string, Params>;
}

const sameParamOps = new Set(['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS', 'TRANSPOSE', 'PAD', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'RESIZE_NEAREST_NEIGHBOR', 'CONCATENATION', 'MAXIMUM', 'MINIMUM']);
// frozen: kept in flash where the module is preloaded (a Moddable app)
const fixedOutputs: Readonly<Record<string, Readonly<Params>>> = Object.freeze({
  SOFTMAX: Object.freeze({ scale: 1 / 256, zeroPoint: -128 }),
  LOGISTIC: Object.freeze({ scale: 1 / 256, zeroPoint: -128 }),
  TANH: Object.freeze({ scale: 1 / 128, zeroPoint: 0 }),
});
const weighted = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** Which inputs of a node are data (quantized like activations) rather than shapes, axes or paddings. */
function dataInputs(n: Node): number[] {
  switch (n.op) {
    case 'RESHAPE': case 'TRANSPOSE': case 'PAD': case 'MEAN': case 'RESIZE_NEAREST_NEIGHBOR': case 'EXPAND_DIMS': return [0];
    case 'CONV_2D': case 'DEPTHWISE_CONV_2D': case 'FULLY_CONNECTED': return [0];
    default: return n.inputs.map((_, i) => i);
  }
}

class Groups {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) { p = this.find(p); this.parent.set(x, p); }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

/** Whether a weighted operator's weights get one scale per output channel. */
export function perChannelFor(op: string, options: { perChannelDense?: boolean; perTensor?: boolean }): boolean {
  return op === 'FULLY_CONNECTED' ? options.perChannelDense === true : options.perTensor !== true;
}

/** int8 symmetric weights (zero point 0, -127..127), per channel along `axis` when perChannel: the rule every weighted layer gets (also src/adapt/). */
export function weightQuant(data: Float32Array, shape: readonly number[], axis: number, perChannel: boolean): { q: Int8Array; quant: Quantization } {
  const channels = perChannel ? shape[axis]! : 1;
  const inner = perChannel ? shape.slice(axis + 1).reduce((a, b) => a * b, 1) : data.length;
  const amax = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    amax[c] = Math.max(amax[c]!, Math.abs(data[i]!));
  }
  const scale = Array.from(amax, (a) => Math.fround(a > 0 ? a / 127 : 1));
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const v = Math.round(data[i]! / scale[c]!);
    q[i] = Math.max(-127, Math.min(127, v));
  }
  return { q, quant: { scale, zeroPoint: scale.map(() => 0), axis } };
}

/** The weights as int8 quantization gives them back (dequantized): what the int8 layer multiplies by. */
export function roundTripWeights(data: Float32Array, shape: readonly number[], axis: number, perChannel: boolean): Float32Array {
  const { q, quant } = weightQuant(data, shape, axis, perChannel);
  const channels = quant.scale.length;
  const inner = channels === 1 ? data.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return Float32Array.from(q, (v, i) => v * quant.scale[channels === 1 ? 0 : Math.floor(i / inner) % channels]!);
}

function quantizeData(data: Float32Array, p: Params): Int8Array {
  const out = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = Math.fround(data[i]! / p.scale);
    const v = p.zeroPoint + (x < 0 ? -Math.round(-x) : Math.round(x));
    out[i] = Math.max(-128, Math.min(127, v));
  }
  return out;
}

function constRange(data: Float32Array): Range {
  let lo = 0, hi = 0;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

/** The int8 graph. `ranges` covers every float activation (calibrate()). */
export function quantizeGraph(float: Graph, ranges: ReadonlyMap<string, Range>, options: QuantizeOptions): Graph {
  const g = float.clone();
  // a concatenation or MAXIMUM/MINIMUM input whose parameters are fixed elsewhere gets its own requantization
  for (const n of [...g.nodes]) {
    if (n.op !== 'CONCATENATION' && n.op !== 'MAXIMUM' && n.op !== 'MINIMUM') continue;
    n.inputs = n.inputs.map((t) => {
      const src = g.producer(t);
      const fixed = (src !== undefined && fixedOutputs[src.op] !== undefined) || (g.inputs.includes(t) && options.inputParams?.has(t));
      if (!fixed) return t;
      const copy = g.add({ ...g.tensor(t), name: g.fresh(`${t}/requantized`) });
      g.nodes.splice(g.nodes.indexOf(n), 0, { op: 'QUANTIZE', name: `${n.name}/requantize`, inputs: [t], outputs: [copy], options: {} });
      return copy;
    });
  }
  const isActivation = (t: string): boolean => t !== '' && !g.isConst(t);
  const groups = new Groups();
  for (const n of g.nodes) {
    if (!sameParamOps.has(n.op)) continue;
    for (const i of dataInputs(n)) groups.union(n.inputs[i]!, n.outputs[0]!);
  }
  // parameters per group: fixed where an operator or the input demands them, else from the union of ranges
  const fixed = new Map<string, Params>();
  const pin = (t: string, p: Params, why: string): void => {
    const root = groups.find(t);
    const had = fixed.get(root);
    if (had && (had.scale !== p.scale || had.zeroPoint !== p.zeroPoint)) {
      throw new ConvertError('UNSUPPORTED_MODEL', `tensor '${t}' needs scale ${p.scale} zero point ${p.zeroPoint} (${why}) but shares its quantization with tensors fixed otherwise`);
    }
    fixed.set(root, p);
  };
  for (const n of g.nodes) {
    const f = fixedOutputs[n.op];
    if (f) pin(n.outputs[0]!, { scale: Math.fround(f.scale), zeroPoint: f.zeroPoint }, `${n.op} output`);
  }
  for (const [t, p] of options.inputParams ?? []) pin(t, p, 'input encoding');
  const union = new Map<string, Range>();
  const widen = (t: string, r: Range): void => {
    const root = groups.find(t);
    const u = union.get(root);
    union.set(root, u ? [Math.min(u[0], r[0]), Math.max(u[1], r[1])] : [r[0], r[1]]);
  };
  for (const [t, r] of ranges) widen(t, r);
  for (const n of g.nodes) {
    if (!sameParamOps.has(n.op)) continue;
    for (const i of dataInputs(n)) { const t = n.inputs[i]!; if (g.isConst(t)) widen(t, constRange(g.tensor(t).data as Float32Array)); }
  }
  const paramsOf = (t: string): Params => {
    const root = groups.find(t);
    const f = fixed.get(root);
    if (f) return f;
    const r = union.get(root);
    if (r === undefined) throw new Error(`internal: no calibrated range for '${t}'`);
    return paramsFor(r);
  };

  // activations
  for (const t of g.tensors.values()) {
    if (t.data !== undefined || t.dtype !== 'float32') continue;
    const p = paramsOf(t.name);
    t.dtype = 'int8';
    t.quant = { scale: [p.scale], zeroPoint: [p.zeroPoint], axis: 0 };
  }
  // constants: weights and biases per node, other data operands per tensor
  const done = new Set<string>();
  for (const n of g.nodes) {
    if (weighted.has(n.op)) {
      const inQ = g.tensor(n.inputs[0]!).quant!;
      const wt = g.tensor(n.inputs[1]!);
      const axis = n.op === 'DEPTHWISE_CONV_2D' ? 3 : 0;
      const { q, quant } = weightQuant(wt.data as Float32Array, wt.shape, axis, perChannelFor(n.op, options));
      const wName = g.add({ name: g.fresh(`${n.outputs[0]}/weights`), dtype: 'int8', shape: wt.shape, data: q, quant });
      const channels = wt.shape[axis]!;
      const biasF = n.inputs[2] ? (g.tensor(n.inputs[2]).data as Float32Array) : new Float32Array(channels);
      const bScale = quant.scale.map((s) => Math.fround(inQ.scale[0]! * s));
      const bq = Int32Array.from(biasF, (b, c) => Math.max(-2147483647, Math.min(2147483647, Math.round(b / bScale[bScale.length === 1 ? 0 : c]!))));
      const bName = g.add({ name: g.fresh(`${n.outputs[0]}/bias`), dtype: 'int32', shape: [channels], data: bq, quant: { scale: bScale, zeroPoint: bScale.map(() => 0), axis: 0 } });
      n.inputs = [n.inputs[0]!, wName, bName];
      continue;
    }
    for (const i of dataInputs(n)) {
      const t = n.inputs[i]!;
      if (!g.isConst(t) || done.has(t)) continue;
      const c = g.tensor(t);
      if (c.dtype !== 'float32') continue;
      const p = groups.find(t) !== t || fixed.has(groups.find(t)) || union.has(groups.find(t)) ? paramsOf(t) : paramsFor(constRange(c.data as Float32Array));
      c.data = quantizeData(c.data as Float32Array, p);
      c.dtype = 'int8';
      c.quant = { scale: [p.scale], zeroPoint: [p.zeroPoint], axis: 0 };
      done.add(t);
    }
  }
  g.prune();
  g.tidyNames();

  if (options.io === 'float32') {
    g.inputs = g.inputs.map((t) => {
      const q = g.tensor(t);
      const f = g.add({ name: g.fresh(`${t}_float`), dtype: 'float32', shape: [...q.shape] });
      g.nodes.unshift({ op: 'QUANTIZE', name: `${t}/quantize`, inputs: [f], outputs: [t], options: {} });
      return f;
    });
    g.outputs = g.outputs.map((t) => {
      const q = g.tensor(t);
      const f = g.add({ name: g.fresh(`${t}_float`), dtype: 'float32', shape: [...q.shape] });
      g.nodes.push({ op: 'DEQUANTIZE', name: `${t}/dequantize`, inputs: [t], outputs: [f], options: {} });
      return f;
    });
  }
  return g;
}
