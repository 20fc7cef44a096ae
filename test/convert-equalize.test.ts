// Cross-layer equalization and per-tensor weights (src/convert/equalize.ts,
// `convert --equalize --per-tensor`): the equalized float graph computes what
// the source computes, each equalized pair's channel ranges end up equal, and
// per-tensor weights drop the per-channel vectors and, after equalization,
// keep most of the int8 accuracy that per-tensor scales alone lose.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { prepare, quantizeModel } from '../src/convert/convert.js';
import { equalize } from '../src/convert/equalize.js';
import { runFloat } from '../src/convert/float-run.js';
import { readModel } from '../src/adapt/model-file.js';
import { repoRoot } from './support/reference.js';

const binding = loadBinding('wasm');
const detector = readFileSync(join(repoRoot, 'models/detector_float.tflite'));
const heldOut = readFileSync(join(repoRoot, 'models/data/heldout.bin'));
const frame = (k: number): Float32Array => Float32Array.from(heldOut.subarray(k * 9216, (k + 1) * 9216), (v) => v / 255);
const samples = [0, 1, 2, 3, 4, 5].map((k) => [frame(k)]);

test('equalization: the detector computes the same outputs (1e-3 relative: float rounding) and every pair ends with equal channel ranges', (t) => {
  const p = prepare(detector);
  const g = p.graph.clone();
  const before = Float32Array.from(p.graph.tensor(p.graph.nodes[0]!.inputs[1]!).data as Float32Array);
  const report = equalize(g);
  // 14 convolutions in a chain, all ReLU but the head: 13 pairs
  t.is(report.pairs.length, 13);
  t.true(report.passes > 1 && report.passes < 1000, `${report.passes} passes: settled`);
  t.deepEqual(p.graph.tensor(p.graph.nodes[0]!.inputs[1]!).data, before, 'the source graph keeps its weights');
  for (const x of [samples[0]!, samples[1]!]) {
    const want = runFloat(p.graph, x).get(p.graph.outputs[0]!)!;
    const got = runFloat(g, x).get(g.outputs[0]!)!;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1e-3, Math.abs(want[i]!)));
    t.true(worst < 1e-3, `largest relative difference ${worst}`);
  }
  for (const [aName, bName] of report.pairs) {
    const a = g.nodes.find((n) => n.name === aName)!;
    const b = g.nodes.find((n) => n.name === bName)!;
    const wa = g.tensor(a.inputs[1]!);
    const wb = g.tensor(b.inputs[1]!);
    const channels = wb.shape[3]!;
    const r1 = new Float64Array(channels), r2 = new Float64Array(channels);
    const perA = a.op === 'DEPTHWISE_CONV_2D' ? 1 : wa.shape.slice(1).reduce((x, y) => x * y, 1);
    (wa.data as Float32Array).forEach((v, i) => {
      const c = a.op === 'DEPTHWISE_CONV_2D' ? i % channels : Math.floor(i / perA);
      r1[c] = Math.max(r1[c]!, Math.abs(v));
    });
    (wb.data as Float32Array).forEach((v, i) => { r2[i % channels] = Math.max(r2[i % channels]!, Math.abs(v)); });
    for (let c = 0; c < channels; c++) {
      if (r1[c] === 0 || r2[c] === 0) continue;
      t.true(Math.abs(r1[c]! / r2[c]! - 1) < 1e-3, `${aName} -> ${bName} channel ${c}: ${r1[c]} against ${r2[c]}`);
    }
  }
});

test('equalization leaves ReLU6 pairs alone (relu6(x / s) is not relu6(x) / s)', (t) => {
  const p = prepare(readFileSync(join(repoRoot, 'test/data/onnx/depthwise.onnx')));
  const relu6 = p.graph.nodes.filter((n) => n.options.activation === 'RELU6').length;
  t.true(relu6 >= 3);
  const report = equalize(p.graph.clone());
  for (const [a] of report.pairs) t.not(p.graph.nodes.find((n) => n.name === a)!.options.activation, 'RELU6');
});

test('--per-tensor: one scale per weight and bias tensor, 24 bytes less per extra channel; --equalize wins back accuracy', (t) => {
  const p = prepare(detector);
  const common = { binding, samples, method: 'minmax' as const, io: 'int8' as const, description: '' };
  const channel = quantizeModel(p, common);
  const tensor = quantizeModel(p, { ...common, perTensor: true });
  const both = quantizeModel(p, { ...common, perTensor: true, equalize: true });
  t.false(channel.report.calibration.per_tensor);
  t.true(both.report.calibration.per_tensor);
  t.is(both.report.calibration.equalized_pairs, 13);
  let extra = 0, layers = 0;
  for (const [m, perTensor] of [[channel.model, false], [tensor.model, true], [both.model, true]] as const) {
    binding.verify(m);
    const g = readModel(m).graph;
    for (const n of g.nodes) {
      if (n.op !== 'CONV_2D' && n.op !== 'DEPTHWISE_CONV_2D') continue;
      const w = g.tensor(n.inputs[1]!).quant!;
      const b = g.tensor(n.inputs[2]!).quant!;
      const channels = g.tensor(n.inputs[1]!).shape[n.op === 'DEPTHWISE_CONV_2D' ? 3 : 0]!;
      t.is(w.scale.length, perTensor ? 1 : channels, `${n.name} weights`);
      t.is(b.scale.length, w.scale.length, `${n.name} bias`);
      if (!perTensor) { extra += channels - 1; layers++; }
    }
  }
  // a weight scale (float32) and zero point (int64), and the same for the bias, per channel,
  // give or take the writer's alignment of the four vectors of each layer
  const saved = channel.model.length - tensor.model.length;
  t.true(Math.abs(saved - 24 * extra) <= 32 * layers, `${saved} bytes saved for ${extra} channels in ${layers} layers`);
  t.is(tensor.model.length, both.model.length);
  const sqnr = (r: typeof channel): number => r.report.outputs[0]!.sqnr_db;
  t.true(sqnr(both) > sqnr(tensor) + 3, `equalized ${sqnr(both)} dB, per tensor alone ${sqnr(tensor)} dB`);
  t.true(sqnr(channel) > sqnr(tensor), `per channel ${sqnr(channel)} dB, per tensor ${sqnr(tensor)} dB`);
});
