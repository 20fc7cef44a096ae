// Graph rewrites on the float graph, each exact in float arithmetic (up to
// rounding): affine folding (batch norm's MUL and ADD into the convolution or
// fully connected layer before it), fusing RELU/RELU6 into the operator before
// them, folding zero PADs into convolutions where the result is TFLite's SAME
// padding, and dropping reshapes that change nothing and nodes nobody reads.
import { elements, type Graph, type Node } from './graph.js';
import { windowGeometry } from './float-run.js';

function replaceUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) n.inputs = n.inputs.map((t) => (t === from ? to : t));
  g.outputs = g.outputs.map((t) => (t === from ? to : t));
}

/** The single node reading `t`, when `t` is no graph output. */
function soleConsumer(g: Graph, t: string): Node | null {
  if (g.outputs.includes(t)) return null;
  const c = g.consumers(t);
  return c.length === 1 ? c[0]! : null;
}

const weighted = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** Per-output-channel values of a constant that broadcasts over the last axis, or null. */
function channelValues(g: Graph, name: string, channels: number): Float64Array | null {
  const t = g.tensors.get(name);
  if (t?.data === undefined || t.dtype !== 'float32') return null;
  const n = elements(t.shape);
  if (n === 1) return new Float64Array(channels).fill(t.data[0]!);
  if (n !== channels || t.shape[t.shape.length - 1] !== channels) return null;
  return Float64Array.from(t.data as Float32Array);
}

function foldAffine(g: Graph): boolean {
  for (const n of g.nodes) {
    if (!weighted.has(n.op) || (n.options.activation ?? 'NONE') !== 'NONE') continue;
    const next = soleConsumer(g, n.outputs[0]!);
    if (next === null || (next.op !== 'MUL' && next.op !== 'ADD' && next.op !== 'SUB')) continue;
    const other = next.inputs[0] === n.outputs[0] ? next.inputs[1]! : next.inputs[0]!;
    if (next.op === 'SUB' && next.inputs[0] !== n.outputs[0]) continue;
    const filter = g.tensor(n.inputs[1]!);
    const channels = n.op === 'DEPTHWISE_CONV_2D' ? filter.shape[3]! : filter.shape[0]!;
    const k = channelValues(g, other, channels);
    if (k === null) continue;
    // the result's shape must be the conv's own (no broadcasting to a larger shape)
    if (g.tensor(next.outputs[0]!).shape.join() !== g.tensor(n.outputs[0]!).shape.join()) continue;
    const w = Float32Array.from(filter.data as Float32Array);
    const biasName = n.inputs[2] || g.add({ name: g.fresh(`${n.outputs[0]}/bias`), dtype: 'float32', shape: [channels], data: new Float32Array(channels) });
    const b = Float32Array.from(g.tensor(biasName).data as Float32Array);
    if (next.op === 'MUL') {
      const inner = w.length / channels;
      for (let i = 0; i < w.length; i++) {
        const c = n.op === 'DEPTHWISE_CONV_2D' ? i % channels : Math.floor(i / inner);
        w[i] = w[i]! * k[c]!;
      }
      for (let c = 0; c < channels; c++) b[c] = b[c]! * k[c]!;
    } else {
      for (let c = 0; c < channels; c++) b[c] = b[c]! + (next.op === 'ADD' ? k[c]! : -k[c]!);
    }
    const wName = g.add({ ...filter, name: g.fresh(`${next.outputs[0]}/weights`), data: w });
    const bName = g.add({ name: g.fresh(`${next.outputs[0]}/bias`), dtype: 'float32', shape: [channels], data: b });
    n.inputs = [n.inputs[0]!, wName, bName];
    // the conv now writes what the MUL/ADD wrote
    const out = next.outputs[0]!;
    g.tensors.set(out, { ...g.tensor(out) });
    n.outputs = [out];
    g.nodes = g.nodes.filter((m) => m !== next);
    return true;
  }
  return false;
}

const fusable = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'SUB', 'MUL', 'AVERAGE_POOL_2D', 'MAX_POOL_2D']);

function fuseActivation(g: Graph): boolean {
  for (const act of g.nodes) {
    if (act.op !== 'RELU' && act.op !== 'RELU6') continue;
    const src = g.producer(act.inputs[0]!);
    if (src === undefined || !fusable.has(src.op)) continue;
    // RELU6 after RELU is RELU6, RELU after RELU or RELU6 changes nothing
    const had = src.options.activation ?? 'NONE';
    const merged = had === 'NONE' ? act.op : had === 'RELU' ? act.op : had === 'RELU6' ? 'RELU6' : null;
    if (merged === null) continue;
    if (soleConsumer(g, src.outputs[0]!) !== act) continue;
    src.options.activation = merged;
    src.outputs = [act.outputs[0]!];
    g.nodes = g.nodes.filter((m) => m !== act);
    return true;
  }
  return false;
}

function foldPad(g: Graph): boolean {
  for (const pad of g.nodes) {
    if (pad.op !== 'PAD' || !g.isConst(pad.inputs[1]!)) continue;
    const conv = soleConsumer(g, pad.outputs[0]!);
    if (conv === null || (conv.op !== 'CONV_2D' && conv.op !== 'DEPTHWISE_CONV_2D') || conv.options.padding !== 'VALID' || conv.inputs[0] !== pad.outputs[0]) continue;
    const p = g.tensor(pad.inputs[1]!).data as Int32Array;
    if (p.length !== 8 || p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0) continue;
    const [, H, W] = g.tensor(pad.inputs[0]!).shape as [number, number, number, number];
    const [, KH, KW] = g.tensor(conv.inputs[1]!).shape as [number, number, number, number];
    const o = conv.options;
    const fits = (size: number, k: number, s: number, d: number, before: number, after: number): boolean => {
      const same = windowGeometry(size, k, s, d, 'SAME');
      const out = Math.floor((size + before + after - ((k - 1) * d + 1)) / s) + 1;
      return same.before === before && same.out === out;
    };
    if (!fits(H, KH, o.strideH ?? 1, o.dilationH ?? 1, p[2]!, p[3]!) || !fits(W, KW, o.strideW ?? 1, o.dilationW ?? 1, p[4]!, p[5]!)) continue;
    conv.inputs = [pad.inputs[0]!, ...conv.inputs.slice(1)];
    conv.options.padding = 'SAME';
    g.nodes = g.nodes.filter((m) => m !== pad);
    return true;
  }
  return false;
}

function dropReshapes(g: Graph): boolean {
  for (const n of g.nodes) {
    if (n.op === 'PAD' && g.isConst(n.inputs[1]!) && (g.tensor(n.inputs[1]!).data as Int32Array).every((p) => p === 0) && !g.outputs.includes(n.outputs[0]!)) {
      replaceUses(g, n.outputs[0]!, n.inputs[0]!);
      g.nodes = g.nodes.filter((m) => m !== n);
      return true;
    }
    if (n.op !== 'RESHAPE' && n.op !== 'SQUEEZE' && n.op !== 'EXPAND_DIMS') continue;
    const src = n.inputs[0]!;
    const out = n.outputs[0]!;
    const same = g.tensor(src).shape.join() === g.tensor(out).shape.join();
    if (same && !g.outputs.includes(out)) {
      replaceUses(g, out, src);
      g.nodes = g.nodes.filter((m) => m !== n);
      return true;
    }
    // reshape of a reshape: read the first one's input
    const before = g.producer(src);
    if (before !== undefined && (before.op === 'RESHAPE' || before.op === 'SQUEEZE' || before.op === 'EXPAND_DIMS') && n.inputs[0] !== before.inputs[0]) {
      n.inputs = [before.inputs[0]!, ...n.inputs.slice(1)];
      return true;
    }
  }
  return false;
}

function dropDead(g: Graph): boolean {
  const before = g.nodes.length;
  g.nodes = g.nodes.filter((n) => n.outputs.some((t) => g.outputs.includes(t) || g.consumers(t).length > 0));
  return g.nodes.length !== before;
}

/** Run every rewrite until none applies. Returns what was done, for the report. */
export function simplify(g: Graph): string[] {
  const done: string[] = [];
  const passes: [string, (g: Graph) => boolean][] = [
    ['folded a MUL/ADD (batch norm) into the layer before it', foldAffine],
    ['fused an activation into the operator before it', fuseActivation],
    ['folded an explicit PAD into a convolution (SAME padding)', foldPad],
    ['removed a reshape or an empty PAD', dropReshapes],
    ['removed an unused operator', dropDead],
  ];
  for (let changed = true; changed;) {
    changed = false;
    for (const [what, pass] of passes) {
      while (pass(g)) { done.push(what); changed = true; }
    }
  }
  // RESHAPE's new_shape option: what TFLM reads when the shape input is absent; keep both in step
  for (const n of g.nodes) if (n.op === 'RESHAPE') n.options.newShape = g.tensor(n.outputs[0]!).shape;
  g.prune();
  g.tidyNames();
  return done;
}
