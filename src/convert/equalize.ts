// Cross-layer equalization (Nagel et al., "Data-Free Quantization Through
// Weight Equalization and Bias Correction", 2019): where a convolution's output
// feeds only another convolution through ReLU (or nothing), output channel c of
// the first can be divided by s_c > 0 and input channel c of the second
// multiplied by s_c without changing what the pair computes, since
// relu(x / s) = relu(x) / s. Choosing s_c = sqrt(r1_c / r2_c), with r1_c the
// largest |weight| of the first layer's channel c and r2_c that of the second
// layer's input channel c, gives both the same range sqrt(r1_c r2_c): channels
// end up alike, so one scale per tensor loses little against one per channel.
// That is what lets `--per-tensor` drop the per-channel quantization vectors
// (24 bytes a channel) from small models.
import { type Graph, type Node } from './graph.js';

export interface EqualizeReport {
  /** Layer pairs equalized (first layer's node name, second's). */
  pairs: [string, string][];
  /** Passes over the pairs until the scales settled. */
  passes: number;
}

const homogeneous = (n: Node): boolean => n.options.activation === undefined || n.options.activation === 'NONE' || n.options.activation === 'RELU';

/** Output channels of a weighted layer, and where channel c's weights are. */
function outChannels(g: Graph, n: Node): { channels: number; index: (i: number) => number } {
  const shape = g.tensor(n.inputs[1]!).shape;
  if (n.op === 'DEPTHWISE_CONV_2D') return { channels: shape[3]!, index: (i) => i % shape[3]! };
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  return { channels: shape[0]!, index: (i) => Math.floor(i / per) };
}

/** Input channels of a CONV_2D or DEPTHWISE_CONV_2D (multiplier 1): the last axis of the weights both ways. */
function inChannels(g: Graph, n: Node): { channels: number; index: (i: number) => number } {
  const shape = g.tensor(n.inputs[1]!).shape;
  return { channels: shape[3]!, index: (i) => i % shape[3]! };
}

/** The pairs that can be equalized: A (conv or depthwise, ReLU or no activation) whose output only B (conv, or depthwise of multiplier 1) reads. */
function pairsOf(g: Graph): [Node, Node][] {
  const pairs: [Node, Node][] = [];
  for (const a of g.nodes) {
    if ((a.op !== 'CONV_2D' && a.op !== 'DEPTHWISE_CONV_2D') || !homogeneous(a) || !g.isConst(a.inputs[1]!)) continue;
    if (a.op === 'DEPTHWISE_CONV_2D' && (a.options.depthMultiplier ?? 1) !== 1) continue;
    const out = a.outputs[0]!;
    if (g.outputs.includes(out)) continue;
    const readers = g.consumers(out);
    if (readers.length !== 1) continue;
    const b = readers[0]!;
    if ((b.op !== 'CONV_2D' && b.op !== 'DEPTHWISE_CONV_2D') || b.inputs[0] !== out || !g.isConst(b.inputs[1]!)) continue;
    if (b.op === 'DEPTHWISE_CONV_2D' && (b.options.depthMultiplier ?? 1) !== 1) continue;
    if (a.inputs[2] && !g.isConst(a.inputs[2])) continue;
    // constants another operator also reads stay as they are
    if ([a.inputs[1]!, a.inputs[2] ?? '', b.inputs[1]!].some((t) => t !== '' && g.consumers(t).length !== 1)) continue;
    if (outChannels(g, a).channels !== inChannels(g, b).channels) continue;
    pairs.push([a, b]);
  }
  return pairs;
}

function channelMax(data: Float32Array, channels: number, index: (i: number) => number): Float64Array {
  const r = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const v = Math.abs(data[i]!);
    const c = index(i);
    if (v > r[c]!) r[c] = v;
  }
  return r;
}

/**
 * Equalize every pair in place (weights and biases get new arrays: a clone's
 * constants are shared with the graph it came from). Repeats until no scale
 * moves by more than 1e-5, at most `maxPasses` times
 * (a chain settles geometrically, each pass taking about 5% off the largest
 * change: about 300 passes for the detector's 13 pairs, milliseconds each).
 */
export function equalize(g: Graph, maxPasses = 1000): EqualizeReport {
  const pairs = pairsOf(g);
  // fresh copies of every constant the pairs touch
  const touched = new Set(pairs.flatMap(([a, b]) => [a.inputs[1]!, a.inputs[2] ?? '', b.inputs[1]!]).filter((t) => t !== ''));
  for (const t of touched) {
    const info = g.tensor(t);
    info.data = Float32Array.from(info.data as Float32Array);
  }
  let passes = 0;
  for (; passes < maxPasses; passes++) {
    let moved = 0;
    for (const [a, b] of pairs) {
      const wa = g.tensor(a.inputs[1]!).data as Float32Array;
      const wb = g.tensor(b.inputs[1]!).data as Float32Array;
      const ca = outChannels(g, a), cb = inChannels(g, b);
      const r1 = channelMax(wa, ca.channels, ca.index);
      const r2 = channelMax(wb, cb.channels, cb.index);
      const s = new Float64Array(ca.channels);
      for (let c = 0; c < s.length; c++) {
        s[c] = r1[c]! > 0 && r2[c]! > 0 ? Math.sqrt(r1[c]! / r2[c]!) : 1;
        moved = Math.max(moved, Math.abs(Math.log(s[c]!)));
      }
      for (let i = 0; i < wa.length; i++) wa[i] = wa[i]! / s[ca.index(i)]!;
      if (a.inputs[2]) {
        const bias = g.tensor(a.inputs[2]).data as Float32Array;
        for (let c = 0; c < bias.length; c++) bias[c] = bias[c]! / s[c]!;
      }
      for (let i = 0; i < wb.length; i++) wb[i] = wb[i]! * s[cb.index(i)]!;
    }
    if (moved < 1e-5) { passes++; break; }
  }
  return { pairs: pairs.map(([a, b]) => [a.name, b.name]), passes };
}
