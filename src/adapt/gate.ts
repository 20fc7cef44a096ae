// A gated input map: the adapted model keeps the original domain. Instead of
// folding the map x' = a x + c into the first layer (which then reads every
// frame as the new domain), the model computes a statistic of each frame in
// the graph and feeds the first layer either the frame or the mapped frame:
//
//   mean = MEAN(input), max = MAX_POOL(input), max1 = MAX_POOL(1 - input)
//   score = CONV_2D([mean, max, max1]) (1x1: a weighted sum minus the threshold)
//   use = LESS(score, 0)
//   mapped = DEPTHWISE_CONV_2D(input) (1x1: a x + c)
//   first layer input = SELECT_V2(use, mapped, input)
//
// The statistic depends on the map: an inverting map (a < 0) uses the frame's
// polarity, mean - (max + min) / 2 (negative where the ink is lighter than the
// board), any other map its contrast, max - min. The threshold lies midway
// between the examples' average and the training domain's (measured once on
// held-out frames and kept here, as normalize.ts keeps the board and ink
// levels). Optionally the head is gated too (original frames then get the
// original model's outputs exactly): two heads, SELECT_V2 on their scores.
//
// Every added operator is an int8 (or bool) builtin that the core and TFLM
// run; the mapped frame and the selected frame have the input's quantization,
// so the first layer and its zero padding read them as frames. The new model
// keeps the original tensors first and in order (the head's features keep
// their index).
import { paramsFor } from '../convert/calibrate.js';
import type { Graph, TensorInfo } from '../convert/graph.js';
import { weightQuant } from '../convert/quantize.js';
import { AdaptError } from './errors.js';
import type { AdaptExample } from './head.js';
import { readModel, writeModel } from './model-file.js';

export type GateStatistic = 'polarity' | 'contrast';

/**
 * The training domain's average statistics (real, 0..1 input), on held-out
 * frames 0-99 as they are (docs/adapt.md): polarity mean - (max + min) / 2,
 * contrast max - min.
 */
export const trainingGateLevels = Object.freeze({ polarity: 0.16, contrast: 0.733 });

export interface InputGate {
  statistic: GateStatistic;
  /** The map is used for frames whose statistic is below the threshold (else above it). */
  threshold: number;
  below: boolean;
}

/** A frame's statistic (pixels 0..255, one channel), as the graph computes it from mean, max and min. */
export function frameStatistic(pixels: Uint8Array, statistic: GateStatistic): number {
  let sum = 0, max = 0, min = 255;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    sum += v;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const mean = sum / pixels.length / 255;
  return statistic === 'polarity' ? mean - (max + min) / 510 : (max - min) / 255;
}

/** The gate for a map of slope `a`: statistic, and the threshold midway between the examples' average and the training domain's. */
export function gateFor(examples: readonly AdaptExample[], a: number): InputGate {
  const statistic: GateStatistic = a < 0 ? 'polarity' : 'contrast';
  if (examples.length === 0) throw new AdaptError('NO_EXAMPLES', 'no examples to adapt on');
  let sum = 0;
  for (const e of examples) sum += frameStatistic(e.pixels, statistic);
  const own = sum / examples.length, training = trainingGateLevels[statistic];
  return { statistic, threshold: (own + training) / 2, below: own < training };
}

/** The weights on (mean, max, 1 - min) and the constant of a statistic. */
function statisticWeights(statistic: GateStatistic): { w: [number, number, number]; k: number } {
  // polarity: mean - max / 2 - min / 2 = mean - max / 2 + (1 - min) / 2 - 1 / 2
  // contrast: max - min = max + (1 - min) - 1
  return statistic === 'polarity' ? { w: [1, -0.5, 0.5], k: -0.5 } : { w: [0, 1, 1], k: -1 };
}

function constant(g: Graph, base: string, info: Omit<TensorInfo, 'name'>): string {
  return g.add({ ...info, name: g.fresh(base) });
}

/** A 1x1 int8 convolution's constants (weights per output channel, int32 biases) for real weights and biases. */
function pointwise(g: Graph, base: string, inputScale: number, shape: number[], weights: number[], bias: number[]): [string, string] {
  const { q, quant } = weightQuant(Float32Array.from(weights), shape, 0, true);
  const bScale = quant.scale.map((s) => Math.fround(inputScale * s));
  const b = Int32Array.from(bScale, (s, o) => Math.max(-2147483647, Math.min(2147483647, Math.round(bias[o]! / s))));
  const wName = constant(g, `${base}/weights`, { dtype: 'int8', shape, data: q, quant });
  const bName = constant(g, `${base}/bias`, { dtype: 'int32', shape: [bias.length], data: b, quant: { scale: bScale, zeroPoint: bScale.map(() => 0), axis: 0 } });
  return [wName, bName];
}

/**
 * The model with the map x' = a x + c applied, in the graph, to the frames the
 * gate picks; other frames reach the first layer as they are. The graph input
 * must be one channel of int8 with the training domain's 0..1 range.
 * `withHead`: gate the head too; `compact` false: a view of the writer's
 * buffer (see writeModel), for a caller that copies it at once.
 */
export function modelWithGatedInputMap(model: Uint8Array, a: number, c: number, gate: InputGate, withHead = true, compact = true): Uint8Array {
  // the graph is read from this small frame, not from addGate()'s: its many locals
  // would sit on the stack under the reader's frames (on a device, a few hundred slots)
  const m = readModel(model);
  addGate(m.graph, a, c, gate, withHead);
  return writeModel(m, model.length + 8192, compact);
}

function addGate(g: Graph, a: number, c: number, gate: InputGate, withHead: boolean): void {
  const input = g.inputs[0];
  const x = input === undefined ? undefined : g.tensor(input);
  if (g.inputs.length !== 1 || x === undefined || x.dtype !== 'int8' || x.quant === undefined || x.shape.length !== 4 || x.shape[3] !== 1) {
    throw new AdaptError('NO_HEAD', 'the gated input map needs one int8 input of one channel ([1, H, W, 1])');
  }
  if (g.nodes.some((n) => n.op === 'SELECT_V2')) throw new AdaptError('NO_HEAD', 'the model already selects its input (an adapted model): adapt the original');
  const [, height, width] = x.shape as [number, number, number, number];
  const quant = { scale: [...x.quant.scale], zeroPoint: [...x.quant.zeroPoint], axis: 0 };
  const sIn = x.quant.scale[0]!;
  const scalar = [1, 1, 1, 1];
  const act = (base: string, shape: number[], q = quant): string => g.add({ name: g.fresh(base), dtype: 'int8', shape, quant: { ...q, scale: [...q.scale], zeroPoint: [...q.zeroPoint] } });
  const nodes: Graph['nodes'] = [];
  const node = (op: Graph['nodes'][number]['op'], inputs: string[], output: string, options: Graph['nodes'][number]['options'] = {}): void => {
    nodes.push({ op, name: output, inputs, outputs: [output], options });
  };
  const pool = { padding: 'VALID' as const, strideW: 1, strideH: 1, filterW: width, filterH: height, activation: 'NONE' as const };
  const dw = { padding: 'VALID' as const, strideW: 1, strideH: 1, depthMultiplier: 1, activation: 'NONE' as const, dilationW: 1, dilationH: 1 };

  // the statistic: mean, max and max of 1 - x (1 - min), weighed and thresholded by a 1x1 convolution
  const axes = constant(g, 'gate/axes', { dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) });
  const mean = act('gate/mean', scalar);
  node('MEAN', [input!, axes], mean, { keepDims: true });
  const max = act('gate/max', scalar);
  node('MAX_POOL_2D', [input!], max, pool);
  const [flipW, flipB] = pointwise(g, 'gate/flip', sIn, [1, 1, 1, 1], [-1], [1]);
  const flipped = act('gate/flip', x.shape);
  node('DEPTHWISE_CONV_2D', [input!, flipW, flipB], flipped, dw);
  const max1 = act('gate/max1', scalar);
  node('MAX_POOL_2D', [flipped], max1, pool);
  const stats = act('gate/stats', [1, 1, 1, 3]);
  node('CONCATENATION', [mean, max, max1], stats, { axis: 3, activation: 'NONE' });
  const { w, k } = statisticWeights(gate.statistic);
  const sign = gate.below ? 1 : -1;
  const bias = sign * (k - gate.threshold);
  const [scoreW, scoreB] = pointwise(g, 'gate/score', sIn, [1, 1, 1, 3], w.map((v) => sign * v), [bias]);
  const reach = w.reduce((s, v) => s + Math.abs(v), 0) + Math.abs(bias);
  const p = paramsFor([-reach, reach]);
  const scoreQuant = { scale: [p.scale], zeroPoint: [p.zeroPoint], axis: 0 };
  const score = act('gate/score', scalar, scoreQuant);
  node('CONV_2D', [stats, scoreW, scoreB], score, { padding: 'VALID', strideW: 1, strideH: 1, activation: 'NONE', dilationW: 1, dilationH: 1 });
  const zero = constant(g, 'gate/zero', { dtype: 'int8', shape: scalar, data: Int8Array.from([p.zeroPoint]), quant: { ...scoreQuant, scale: [p.scale], zeroPoint: [p.zeroPoint] } });
  const use = g.add({ name: g.fresh('gate/use'), dtype: 'bool', shape: scalar });
  node('LESS', [score, zero], use);

  // the map and the selection
  const [mapW, mapB] = pointwise(g, 'gate/map', sIn, [1, 1, 1, 1], [a], [c]);
  const mapped = act('gate/mapped', x.shape);
  node('DEPTHWISE_CONV_2D', [input!, mapW, mapB], mapped, dw);
  const selected = act('gate/input', x.shape);
  node('SELECT_V2', [use, mapped, input!], selected);
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === input ? selected : i));
  g.nodes = [...nodes, ...g.nodes];
  if (withHead) gateHead(g, use);
}

/**
 * Gates the head too: the head (1x1 CONV_2D and SOFTMAX) is copied beside
 * itself with the original constants and the output selects between the two
 * heads' scores with the gate's condition. The first head (the original
 * tensors) is the one adaptation trains; the copy keeps the original model's
 * outputs for the frames the gate leaves alone.
 */
function gateHead(g: Graph, use: string): void {
  const output = g.outputs[0]!;
  const softmax = g.producer(output);
  const conv = softmax === undefined ? undefined : g.producer(softmax.inputs[0]!);
  if (g.outputs.length !== 1 || softmax?.op !== 'SOFTMAX' || conv?.op !== 'CONV_2D' || conv.inputs.length < 3) {
    throw new AdaptError('NO_HEAD', 'the model must end in a 1x1 CONV_2D with a bias and a SOFTMAX');
  }
  const copy = (name: string, base: string): string => {
    const t = g.tensor(name);
    return g.add({ ...t, name: g.fresh(base), shape: [...t.shape], ...(t.quant !== undefined ? { quant: { ...t.quant, scale: [...t.quant.scale], zeroPoint: [...t.quant.zeroPoint] } } : {}) });
  };
  const w = copy(conv.inputs[1]!, 'gate/head/weights'), b = copy(conv.inputs[2]!, 'gate/head/bias');
  const logits = copy(conv.outputs[0]!, 'gate/head/logits');
  const scores = copy(output, 'gate/head/scores');
  const adaptedScores = g.add({ ...g.tensor(output), name: g.fresh('gate/adapted/scores') });
  const originalConv = { ...conv, name: logits, inputs: [conv.inputs[0]!, w, b], outputs: [logits], options: { ...conv.options } };
  const originalSoftmax = { ...softmax, name: scores, inputs: [logits], outputs: [scores], options: { ...softmax.options } };
  softmax.outputs = [adaptedScores];
  softmax.name = adaptedScores;
  g.nodes.push(originalConv, originalSoftmax, { op: 'SELECT_V2', name: output, inputs: [use, adaptedScores, scores], outputs: [output], options: {} });
}
