// Runs a float graph in TypeScript with TensorFlow Lite's semantics (NHWC, SAME
// and VALID padding, average pooling over the valid cells only): the float
// reference that calibration, the report's SQNR and `compare` measure against.
// Products are summed in float64 and stored as float32.
import { ConvertError } from './errors.js';
import { elements, type Graph, type Node } from './graph.js';
import type { Activation } from './tflite-schema.js';

export type Values = Map<string, Float32Array>;

function activate(v: number, a: Activation | undefined): number {
  switch (a) {
    case 'RELU': return v < 0 ? 0 : v;
    case 'RELU6': return v < 0 ? 0 : v > 6 ? 6 : v;
    case 'RELU_N1_TO_1': return v < -1 ? -1 : v > 1 ? 1 : v;
    case 'TANH': return Math.tanh(v);
    default: return v;
  }
}

/** Output size and padding before, as TFLite computes them. */
export function windowGeometry(inSize: number, k: number, stride: number, dilation: number, padding: 'SAME' | 'VALID' | undefined): { out: number; before: number } {
  const eff = (k - 1) * dilation + 1;
  if (padding === 'VALID') return { out: Math.floor((inSize - eff) / stride) + 1, before: 0 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

function conv(g: Graph, n: Node, x: Float32Array, depthwise: boolean): Float32Array {
  const [N, H, W, C] = g.tensor(n.inputs[0]!).shape as [number, number, number, number];
  const wt = g.tensor(n.inputs[1]!);
  const w = wt.data as Float32Array;
  const bias = n.inputs[2] ? (g.tensor(n.inputs[2]).data as Float32Array) : null;
  const [, KH, KW] = wt.shape as [number, number, number, number];
  const o = n.options;
  const sh = o.strideH ?? 1, sw = o.strideW ?? 1, dh = o.dilationH ?? 1, dw = o.dilationW ?? 1;
  const gy = windowGeometry(H, KH, sh, dh, o.padding), gx = windowGeometry(W, KW, sw, dw, o.padding);
  const OC = depthwise ? wt.shape[3]! : wt.shape[0]!;
  const mult = depthwise ? OC / C : 1;
  const out = new Float32Array(N * gy.out * gx.out * OC);
  const acc = new Float64Array(OC);
  for (let b = 0; b < N; b++) {
    for (let oy = 0; oy < gy.out; oy++) {
      for (let ox = 0; ox < gx.out; ox++) {
        for (let c = 0; c < OC; c++) acc[c] = bias ? bias[c]! : 0;
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sh - gy.before + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sw - gx.before + kx * dw;
            if (ix < 0 || ix >= W) continue;
            const xi = ((b * H + iy) * W + ix) * C;
            if (depthwise) {
              const wi = (ky * KW + kx) * OC;
              for (let c = 0; c < OC; c++) acc[c] = acc[c]! + x[xi + Math.floor(c / mult)]! * w[wi + c]!;
            } else {
              for (let c = 0; c < OC; c++) {
                const wi = ((c * KH + ky) * KW + kx) * C;
                let s = 0;
                for (let i = 0; i < C; i++) s += x[xi + i]! * w[wi + i]!;
                acc[c] = acc[c]! + s;
              }
            }
          }
        }
        const oi = ((b * gy.out + oy) * gx.out + ox) * OC;
        for (let c = 0; c < OC; c++) out[oi + c] = activate(acc[c]!, o.activation);
      }
    }
  }
  return out;
}

function fullyConnected(g: Graph, n: Node, x: Float32Array): Float32Array {
  const wt = g.tensor(n.inputs[1]!);
  const w = wt.data as Float32Array;
  const [units, inner] = wt.shape as [number, number];
  const bias = n.inputs[2] ? (g.tensor(n.inputs[2]).data as Float32Array) : null;
  const batches = x.length / inner;
  const out = new Float32Array(batches * units);
  for (let b = 0; b < batches; b++) {
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u]! : 0;
      const wi = u * inner, xi = b * inner;
      for (let i = 0; i < inner; i++) s += x[xi + i]! * w[wi + i]!;
      out[b * units + u] = activate(s, n.options.activation);
    }
  }
  return out;
}

function pool(g: Graph, n: Node, x: Float32Array, max: boolean): Float32Array {
  const [N, H, W, C] = g.tensor(n.inputs[0]!).shape as [number, number, number, number];
  const o = n.options;
  const gy = windowGeometry(H, o.filterH!, o.strideH!, 1, o.padding), gx = windowGeometry(W, o.filterW!, o.strideW!, 1, o.padding);
  const out = new Float32Array(N * gy.out * gx.out * C);
  for (let b = 0; b < N; b++) for (let oy = 0; oy < gy.out; oy++) for (let ox = 0; ox < gx.out; ox++) for (let c = 0; c < C; c++) {
    let s = max ? -Infinity : 0, count = 0;
    for (let ky = 0; ky < o.filterH!; ky++) {
      const iy = oy * o.strideH! - gy.before + ky;
      if (iy < 0 || iy >= H) continue;
      for (let kx = 0; kx < o.filterW!; kx++) {
        const ix = ox * o.strideW! - gx.before + kx;
        if (ix < 0 || ix >= W) continue;
        const v = x[((b * H + iy) * W + ix) * C + c]!;
        if (max) { if (v > s) s = v; } else s += v;
        count++;
      }
    }
    out[((b * gy.out + oy) * gx.out + ox) * C + c] = activate(max ? s : s / count, o.activation);
  }
  return out;
}

/** Index of each output element in a broadcast input of shape `inShape`. */
function broadcastIndex(outShape: readonly number[], inShape: readonly number[]): Int32Array | null {
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return null;
  const total = elements(outShape);
  const rank = outShape.length;
  const padded = [...Array(rank - inShape.length).fill(1), ...inShape] as number[];
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) { strides[i] = padded[i] === 1 ? 0 : s; s *= padded[i]!; }
  const idx = new Int32Array(total);
  const coord = new Array<number>(rank).fill(0);
  for (let k = 0; k < total; k++) {
    let at = 0;
    for (let i = 0; i < rank; i++) at += coord[i]! * strides[i]!;
    idx[k] = at;
    for (let i = rank - 1; i >= 0; i--) { if (++coord[i]! < outShape[i]!) break; coord[i] = 0; }
  }
  return idx;
}

function binary(g: Graph, n: Node, a: Float32Array, b: Float32Array, f: (x: number, y: number) => number): Float32Array {
  const outShape = g.tensor(n.outputs[0]!).shape;
  const ia = broadcastIndex(outShape, g.tensor(n.inputs[0]!).shape);
  const ib = broadcastIndex(outShape, g.tensor(n.inputs[1]!).shape);
  const out = new Float32Array(elements(outShape));
  for (let k = 0; k < out.length; k++) out[k] = activate(f(a[ia ? ia[k]! : k]!, b[ib ? ib[k]! : k]!), n.options.activation);
  return out;
}

export function transposeData(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) { inStrides[i] = s; s *= shape[i]!; }
  const out = new Float32Array(data.length);
  const coord = new Array<number>(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    let at = 0;
    for (let i = 0; i < rank; i++) at += coord[i]! * inStrides[perm[i]!]!;
    out[k] = data[at]!;
    for (let i = rank - 1; i >= 0; i--) { if (++coord[i]! < outShape[i]!) break; coord[i] = 0; }
  }
  return out;
}

function run1(g: Graph, n: Node, v: (name: string) => Float32Array): Float32Array {
  const x = (i: number): Float32Array => v(n.inputs[i]!);
  const outShape = g.tensor(n.outputs[0]!).shape;
  switch (n.op) {
    case 'CONV_2D': return conv(g, n, x(0), false);
    case 'DEPTHWISE_CONV_2D': return conv(g, n, x(0), true);
    case 'FULLY_CONNECTED': return fullyConnected(g, n, x(0));
    case 'AVERAGE_POOL_2D': return pool(g, n, x(0), false);
    case 'MAX_POOL_2D': return pool(g, n, x(0), true);
    case 'ADD': return binary(g, n, x(0), x(1), (a, b) => a + b);
    case 'SUB': return binary(g, n, x(0), x(1), (a, b) => a - b);
    case 'MUL': return binary(g, n, x(0), x(1), (a, b) => a * b);
    case 'MAXIMUM': return binary(g, n, x(0), x(1), (a, b) => Math.max(a, b));
    case 'MINIMUM': return binary(g, n, x(0), x(1), (a, b) => Math.min(a, b));
    case 'RESHAPE': case 'SQUEEZE': case 'EXPAND_DIMS': case 'QUANTIZE': case 'DEQUANTIZE': return x(0);
    case 'RELU': return x(0).map((a) => activate(a, 'RELU'));
    case 'RELU6': return x(0).map((a) => activate(a, 'RELU6'));
    case 'TANH': return x(0).map(Math.tanh);
    case 'LOGISTIC': return x(0).map((a) => 1 / (1 + Math.exp(-a)));
    case 'LEAKY_RELU': { const al = n.options.alpha ?? 0; return x(0).map((a) => (a < 0 ? a * al : a)); }
    case 'HARD_SWISH': return x(0).map((a) => (a * Math.min(Math.max(a + 3, 0), 6)) / 6);
    case 'SOFTMAX': {
      const inp = x(0), depth = outShape[outShape.length - 1]!, beta = n.options.beta ?? 1;
      const out = new Float32Array(inp.length);
      for (let r = 0; r < inp.length; r += depth) {
        let m = -Infinity;
        for (let i = 0; i < depth; i++) m = Math.max(m, inp[r + i]!);
        let s = 0;
        for (let i = 0; i < depth; i++) s += Math.exp((inp[r + i]! - m) * beta);
        for (let i = 0; i < depth; i++) out[r + i] = Math.exp((inp[r + i]! - m) * beta) / s;
      }
      return out;
    }
    case 'CONCATENATION': {
      const axis = (n.options.axis! + outShape.length) % outShape.length;
      const outer = elements(outShape.slice(0, axis));
      const out = new Float32Array(elements(outShape));
      let o = 0;
      for (let k = 0; k < outer; k++) {
        for (const name of n.inputs) {
          const t = g.tensor(name), d = v(name);
          const chunk = elements(t.shape.slice(axis));
          out.set(d.subarray(k * chunk, (k + 1) * chunk), o);
          o += chunk;
        }
      }
      return out;
    }
    case 'PAD': {
      const inShape = g.tensor(n.inputs[0]!).shape;
      const pads = g.tensor(n.inputs[1]!).data as Int32Array;
      const inp = x(0), out = new Float32Array(elements(outShape));
      const rank = inShape.length;
      const coord = new Array<number>(rank).fill(0);
      const outStrides = new Array<number>(rank);
      let s = 1;
      for (let i = rank - 1; i >= 0; i--) { outStrides[i] = s; s *= outShape[i]!; }
      for (let k = 0; k < inp.length; k++) {
        let at = 0;
        for (let i = 0; i < rank; i++) at += (coord[i]! + pads[2 * i]!) * outStrides[i]!;
        out[at] = inp[k]!;
        for (let i = rank - 1; i >= 0; i--) { if (++coord[i]! < inShape[i]!) break; coord[i] = 0; }
      }
      return out;
    }
    case 'TRANSPOSE': return transposeData(x(0), g.tensor(n.inputs[0]!).shape, Array.from(g.tensor(n.inputs[1]!).data as Int32Array));
    case 'MEAN': {
      const inShape = g.tensor(n.inputs[0]!).shape;
      const axes = new Set(Array.from(g.tensor(n.inputs[1]!).data as Int32Array, (a) => (a + inShape.length) % inShape.length));
      const inp = x(0);
      const keptShape = inShape.map((d, i) => (axes.has(i) ? 1 : d));
      const out = new Float64Array(elements(keptShape));
      const rank = inShape.length;
      const coord = new Array<number>(rank).fill(0);
      const strides = new Array<number>(rank);
      let s = 1;
      for (let i = rank - 1; i >= 0; i--) { strides[i] = s; s *= keptShape[i]!; }
      for (let k = 0; k < inp.length; k++) {
        let at = 0;
        for (let i = 0; i < rank; i++) if (!axes.has(i)) at += coord[i]! * strides[i]!;
        out[at] = out[at]! + inp[k]!;
        for (let i = rank - 1; i >= 0; i--) { if (++coord[i]! < inShape[i]!) break; coord[i] = 0; }
      }
      const count = inp.length / out.length;
      return Float32Array.from(out, (a) => a / count);
    }
    case 'RESIZE_NEAREST_NEIGHBOR': {
      const [N, H, W, C] = g.tensor(n.inputs[0]!).shape as [number, number, number, number];
      const [, OH, OW] = outShape as [number, number, number, number];
      const inp = x(0), out = new Float32Array(elements(outShape));
      for (let b = 0; b < N; b++) for (let y = 0; y < OH; y++) for (let xx = 0; xx < OW; xx++) {
        const iy = Math.min(Math.floor((y * H) / OH), H - 1), ix = Math.min(Math.floor((xx * W) / OW), W - 1);
        out.set(inp.subarray(((b * H + iy) * W + ix) * C, ((b * H + iy) * W + ix + 1) * C), ((b * OH + y) * OW + xx) * C);
      }
      return out;
    }
    default:
      throw new ConvertError('UNSUPPORTED_OPERATOR', `node '${n.name}' (${n.op}): the float reference does not run it`);
  }
}

/**
 * Run the graph on float inputs (one per graph input, in order). With `keep`,
 * every tensor's values are returned; otherwise only the outputs'.
 */
export function runFloat(g: Graph, inputs: readonly Float32Array[], keep = false): Values {
  const values: Values = new Map();
  g.inputs.forEach((name, i) => values.set(name, inputs[i]!));
  const get = (name: string): Float32Array => {
    const have = values.get(name);
    if (have !== undefined) return have;
    const t = g.tensor(name);
    if (t.data instanceof Float32Array) return t.data;
    if (t.data !== undefined) return Float32Array.from(t.data);
    throw new Error(`internal: tensor '${name}' has no value yet`);
  };
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => lastUse.set(t, i)));
  g.nodes.forEach((n, i) => {
    values.set(n.outputs[0]!, run1(g, n, get));
    if (!keep) for (const t of n.inputs) if (lastUse.get(t) === i && !g.outputs.includes(t) && !g.inputs.includes(t)) values.delete(t);
  });
  return values;
}
