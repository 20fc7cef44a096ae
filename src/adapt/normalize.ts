// A learned input normalization for domains where the backbone's features fail
// (light ink on a dark board: no head can read features of digits the
// backbone does not see). From the labelled examples it measures the board's
// level (each frame's median) and the ink's (at each object, whichever of the
// 10th and 90th percentile of the 9x9 pixels around its centre is farther from
// the board), then fits the affine map x' = a x + c (x the real input, pixel /
// 255) that puts both where they are in the training domain. The map is folded
// into the first CONV_2D (weights a W, requantized per channel with the
// converter's rules, biases + c sum W), so the model keeps its graph, its input
// and its arena; the zero padding of the first layer then stands for the
// normalized value of black, c.
//
// Deterministic with + - * / and exact rounding only.
import { weightQuant } from '../convert/quantize.js';
import { AdaptError } from './errors.js';
import type { AdaptExample } from './head.js';
import { readModel, writeModel } from './model-file.js';

/** The training domain's board and ink levels (real, 0..1): measured on held-out frames 0-99 (docs/adapt.md). */
export const trainingLevels = Object.freeze({ board: 0.62, ink: 0.3 });

export interface InputLevels {
  board: number;
  ink: number;
}

/** Board and ink levels (0..1) of frames `width` pixels wide (one channel), from their labelled objects. */
export function levelsOf(examples: readonly AdaptExample[], width: number): InputLevels | undefined {
  let board = 0, ink = 0, frames = 0, objects = 0;
  for (const e of examples) {
    if (e.objects.length === 0) continue;
    const height = e.pixels.length / width;
    // the median (the element at length >> 1 in sorted order) by counting: a sorted
    // copy of the frame would take 9,216 numbers of the engine's heap
    const counts = new Uint32Array(256);
    for (let i = 0; i < e.pixels.length; i++) counts[e.pixels[i]!]!++;
    let median = 0;
    for (let seen = counts[0]!, rank = e.pixels.length >> 1; seen <= rank; seen += counts[median]!) median++;
    board += median;
    frames++;
    for (const o of e.objects) {
      const values: number[] = [];
      const cx = Math.floor(o.x), cy = Math.floor(o.y);
      for (let y = cy - 4; y <= cy + 4; y++) {
        for (let x = cx - 4; x <= cx + 4; x++) if (x >= 0 && x < width && y >= 0 && y < height) values.push(e.pixels[y * width + x]!);
      }
      values.sort((p, q) => p - q);
      const lo = values[Math.floor(values.length / 10)]!, hi = values[values.length - 1 - Math.floor(values.length / 10)]!;
      ink += Math.abs(hi - median) > Math.abs(lo - median) ? hi : lo;
      objects++;
    }
  }
  if (frames === 0) return undefined;
  return { board: board / frames / 255, ink: ink / objects / 255 };
}

/** The map x' = a x + c taking `levels` to `target`. */
export function affineFor(levels: InputLevels, target: InputLevels = trainingLevels): { a: number; c: number } {
  const contrast = levels.board - levels.ink;
  if (Math.abs(contrast) < 1 / 255) throw new AdaptError('BAD_EXAMPLE', 'the examples show no contrast between ink and board');
  const a = (target.board - target.ink) / contrast;
  return { a, c: target.board - a * levels.board };
}

/** The model with x' = a x + c folded into its first layer (a CONV_2D on the graph input). */
export function modelWithInputMap(model: Uint8Array, a: number, c: number): Uint8Array {
  const m = readModel(model);
  const g = m.graph;
  const input = g.inputs[0]!;
  const conv = g.nodes.find((n) => n.inputs[0] === input);
  if (conv === undefined || conv.op !== 'CONV_2D' || g.consumers(input).length !== 1 || conv.inputs.length < 3 || conv.inputs[2] === '') {
    throw new AdaptError('NO_HEAD', 'the graph input does not feed one CONV_2D with a bias');
  }
  const x = g.tensor(input), w = g.tensor(conv.inputs[1]!), b = g.tensor(conv.inputs[2]!);
  if (!(w.data instanceof Int8Array) || !(b.data instanceof Int32Array) || w.quant === undefined || x.quant === undefined) {
    throw new AdaptError('NO_HEAD', 'the first CONV_2D is not int8 with int32 biases');
  }
  const channels = w.shape[0]!;
  const inner = w.data.length / channels;
  const wScale = (o: number): number => w.quant!.scale[w.quant!.scale.length === 1 ? 0 : o]!;
  const bScale = (o: number): number => b.quant!.scale[b.quant!.scale.length === 1 ? 0 : o]!;
  const scaled = new Float32Array(w.data.length);
  const bias = new Float64Array(channels);
  for (let o = 0; o < channels; o++) {
    let sum = 0;
    for (let i = 0; i < inner; i++) {
      const real = w.data[o * inner + i]! * wScale(o);
      scaled[o * inner + i] = a * real;
      sum += real;
    }
    bias[o] = b.data[o]! * bScale(o) + c * sum;
  }
  const { q, quant } = weightQuant(scaled, w.shape, 0, true);
  w.data = q;
  w.quant = quant;
  const newScale = quant.scale.map((s) => Math.fround(x.quant!.scale[0]! * s));
  b.data = Int32Array.from(newScale, (s, o) => Math.max(-2147483647, Math.min(2147483647, Math.round(bias[o]! / s))));
  b.quant = { scale: newScale, zeroPoint: newScale.map(() => 0), axis: 0 };
  return writeModel(m);
}
