// Head adaptation (src/adapt/): the math without engine functions, the head
// found and written back byte for byte, adaptation that verifies, loads,
// lowers the examples' loss and gives the same bytes for the same inputs,
// and the errors of bad examples.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { AdaptError, adaptModel, exampleLoss, findHead, modelWithHead, modelWithHeadWritten, type AdaptExample } from '../src/adapt/head.js';
import { expNeg, ln, Prng } from '../src/adapt/math.js';
import { readModel, utf8 } from '../src/adapt/model-file.js';
import { utf8Decode, utf8Encode } from '../src/convert/text-codec.js';
import { frameStatistic } from '../src/adapt/gate.js';
import { modelWithInputMap } from '../src/adapt/normalize.js';
import { InferenceSession } from '../src/index.js';
import { shiftSet } from '../tools/adapt-shift.js';
import { loadHeldOut } from '../tools/detector.js';
import { repoRoot } from './support/reference.js';

const node = loadBinding('node');
const wasm = loadBinding('wasm');
const detector = new Uint8Array(readFileSync(join(repoRoot, 'models/detector.tflite')));
const heldOut = loadHeldOut(30);
const shifted = shiftSet('chalkboard', heldOut.frames, heldOut.width);
const examples: AdaptExample[] = [];
for (let i = 0; i < 30 && examples.length < 5; i++) {
  if (heldOut.truths[i]!.length > 0) examples.push({ pixels: shifted[i]!, objects: heldOut.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) });
}
const fast = { steps: 40 };

test('expNeg and ln agree with the engine to within 1e-14 relative, using no engine math', (t) => {
  for (let x = -60; x <= 0; x += 0.37) {
    const ours = expNeg(x), engine = Math.exp(x);
    t.true(Math.abs(ours - engine) <= 1e-14 * engine, `exp(${x}): ${ours} vs ${engine}`);
  }
  t.is(expNeg(0), 1);
  t.is(expNeg(-800), 0);
  for (const x of [1e-30, 1e-5, 0.1, 0.5, 0.999, 1, 1.5, 2, 3.3, 1000, 1e30]) {
    t.true(Math.abs(ln(x) - Math.log(x)) <= 1e-14 * Math.max(1, Math.abs(Math.log(x))), `ln(${x}): ${ln(x)} vs ${Math.log(x)}`);
  }
  t.throws(() => expNeg(0.5), { instanceOf: RangeError });
  t.throws(() => ln(0), { instanceOf: RangeError });
  const source = readFileSync(join(repoRoot, 'src/adapt/math.ts'), 'utf8') + readFileSync(join(repoRoot, 'src/adapt/head.ts'), 'utf8') +
    readFileSync(join(repoRoot, 'src/adapt/normalize.ts'), 'utf8');
  const code = source.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  t.regex(source, /Math\.exp/, 'the check reads the sources (their comments name Math.exp)');
  t.notRegex(code, /Math\.(exp|log|pow|sqrt|sin|cos|tan|atan|hypot|cbrt|expm1|log1p|log2|log10|random)\b/);
});

test('utf8Encode (the writer\'s TextEncoder on XS, which has none) gives the engine\'s TextEncoder bytes, lone surrogates as U+FFFD', (t) => {
  const texts = ['', 'conv/weights', '{"labels":["0","1"]}', 'é ü', '€ 100', '\u{1f600} \u{10ffff}', 'a\ud800b', '\udc00', 'x\ud83d', '\ud83d\ud83d\ude00'];
  for (const text of texts) {
    const bytes = new TextEncoder().encode(text);
    t.deepEqual(utf8Encode(text), bytes, JSON.stringify(text));
    t.deepEqual(utf8(text), bytes, JSON.stringify(text));
    t.is(utf8Decode(bytes), new TextDecoder().decode(bytes));
  }
});

test('Prng is xorshift32 (13, 17, 5), as computed independently with BigInt', (t) => {
  const prng = new Prng(2026);
  let s = 2026n;
  const mask = 0xffffffffn;
  for (let i = 0; i < 1000; i++) {
    s ^= (s << 13n) & mask;
    s ^= s >> 17n;
    s ^= (s << 5n) & mask;
    t.is(prng.nextUint32(), Number(s));
  }
});

test('the detector\'s head: the 1x1 CONV_2D on tensor 13, written back unchanged gives the model\'s bytes', (t) => {
  const h = findHead(detector);
  t.like(h, { features: 13, rows: 12, cols: 12, channels: 80, classes: 11, inputWidth: 96, inputHeight: 96, inputChannels: 1 });
  // written back from its dequantized floats, the converter's rules give the same int8, int32 and parameters
  t.deepEqual(modelWithHead(detector, h.weights, h.bias), detector);
  t.deepEqual(modelWithHeadWritten(detector, h.weights, h.bias), detector);
  // another head, patched into a copy of the bytes, is what the writer writes anew
  const w = Float64Array.from(h.weights, (v, i) => v * (1 + ((i % 7) - 3) / 10)), b = Float64Array.from(h.bias, (v, c) => v + c / 10);
  const patched = modelWithHead(detector, w, b, [-30, 20]);
  t.deepEqual(patched, modelWithHeadWritten(detector, w, b, [-30, 20]));
  t.notDeepEqual(patched, detector);
  t.is(patched.length, detector.length);
  // and the identity input map changes nothing either
  t.deepEqual(modelWithInputMap(detector, 1, 0), detector);
  t.throws(() => modelWithHead(detector, h.weights.subarray(1), h.bias), { instanceOf: RangeError });
});

test('adaptation on 5 chalkboard frames: the model verifies and loads, the examples\' loss falls, the original graph is kept behind an input gate', (t) => {
  const a = adaptModel(node, detector, examples, fast);
  t.notThrows(() => node.verify(a.model));
  t.notThrows(() => wasm.verify(a.model));
  t.true(a.lossAfter < a.lossBefore);
  const before = exampleLoss(node, detector, examples), after = exampleLoss(node, a.model, examples);
  t.true(after < before / 2, `int8 loss on the examples ${before} -> ${after}`);
  t.truthy(a.inputMap, 'light ink on a dark board takes an input map');
  t.true(a.inputMap!.a < 0, 'the map inverts the grey levels');
  t.like(a.gate, { statistic: 'polarity', below: true });
  // the original tensors first and in order, the original operators in order after the gate's;
  // constants differ only in the adapted head
  const old = readModel(detector).graph, changed = readModel(a.model).graph;
  t.deepEqual([...changed.tensors.keys()].slice(0, old.tensors.size), [...old.tensors.keys()]);
  t.deepEqual(changed.nodes.map((n) => n.op), ['MEAN', 'MAX_POOL_2D', 'DEPTHWISE_CONV_2D', 'MAX_POOL_2D', 'CONCATENATION', 'CONV_2D', 'LESS',
    'DEPTHWISE_CONV_2D', 'SELECT_V2', ...old.nodes.map((n) => n.op), 'CONV_2D', 'SOFTMAX', 'SELECT_V2']);
  const h = findHead(detector);
  for (const [name, tensor] of old.tensors) {
    if (tensor.data === undefined || name === h.weightsName || name === h.biasName) continue;
    t.deepEqual(changed.tensor(name).data, tensor.data, name);
  }
  t.is(findHead(a.model).features, h.features, 'the head reads the same features tensor');
});

test('the gate: original frames get the original model\'s outputs byte for byte, chalkboard frames the adapted path, as the statistic computed here says', (t) => {
  const a = adaptModel(node, detector, examples, fast);
  const oneHead = adaptModel(node, detector, examples, { ...fast, gateHead: false }).model;
  const gate = a.gate!;
  const adapted = InferenceSession.create(node, a.model), original = InferenceSession.create(node, detector);
  const single = InferenceSession.create(node, oneHead);
  const input = (pixels: Uint8Array): Int8Array => Int8Array.from(pixels, (v) => v - 128);
  let off = 0, on = 0;
  try {
    for (const [set, domain] of [[heldOut.frames, 'original'], [shifted, 'chalkboard']] as const) {
      set.forEach((pixels, i) => {
        const s = frameStatistic(pixels, gate.statistic);
        // far enough from the threshold that the graph's int8 rounding cannot flip the decision
        if (Math.abs(s - gate.threshold) < 0.01) return;
        const x = [input(pixels)];
        const out = Buffer.from(adapted.run(x)[0]!.data as Int8Array);
        const orig = Buffer.from(original.run(x)[0]!.data as Int8Array);
        const one = Buffer.from(single.run(x)[0]!.data as Int8Array);
        if (s < gate.threshold) {
          on++;
          t.true(out.equals(one), `${domain} frame ${i}: the gate is on, the adapted head answers`);
          t.false(out.equals(orig), `${domain} frame ${i}: not the original outputs`);
        } else {
          off++;
          t.true(out.equals(orig), `${domain} frame ${i}: the gate is off, the original outputs`);
        }
      });
    }
  } finally {
    adapted.release(); original.release(); single.release();
  }
  t.true(on >= 25 && off >= 25, `gate on ${on}, off ${off}`);
  t.is(frameStatistic(Uint8Array.from([0, 255, 255, 255]), 'polarity'), 0.75 - 0.5);
  t.is(frameStatistic(Uint8Array.from([51, 102]), 'contrast'), 0.2);
});

test('the same examples and options give the same bytes, twice and on WebAssembly; head only when asked', (t) => {
  const one = adaptModel(node, detector, examples, fast).model;
  const two = adaptModel(node, detector, examples, fast).model;
  const onWasm = adaptModel(wasm, detector, examples, fast).model;
  t.deepEqual(two, one);
  t.deepEqual(onWasm, one);
  const headOnly = adaptModel(node, detector, examples, { ...fast, inputMap: 'off' });
  t.is(headOnly.inputMap, undefined);
  t.notDeepEqual(headOnly.model, one);
  const other = adaptModel(node, detector, examples, { ...fast, seed: 2 }).model;
  t.notDeepEqual(other, one, 'the seed picks other background cells');
});

test('bad examples get AdaptError codes and change nothing', (t) => {
  const copy = detector.slice();
  const no = t.throws(() => adaptModel(node, copy, []), { instanceOf: AdaptError });
  t.is(no.code, 'NO_EXAMPLES');
  const label = t.throws(() => adaptModel(node, copy, [{ pixels: examples[0]!.pixels, objects: [{ x: 10, y: 10, label: 11 }] }]), { instanceOf: AdaptError });
  t.is(label.code, 'UNKNOWN_LABEL');
  t.is(label.message, 'example 0, object 0: label 11 is not a class index from 1 to 10');
  const size = t.throws(() => adaptModel(node, copy, [{ pixels: new Uint8Array(100), objects: [] }]), { instanceOf: AdaptError });
  t.is(size.code, 'BAD_EXAMPLE');
  const outside = t.throws(() => adaptModel(node, copy, [{ pixels: examples[0]!.pixels, objects: [{ x: 96, y: 3, label: 2 }] }]), { instanceOf: AdaptError });
  t.is(outside.code, 'BAD_EXAMPLE');
  t.throws(() => adaptModel(node, copy, examples, { inputMap: 'on' as 'off' }), { instanceOf: RangeError });
  t.deepEqual(copy, detector);
  const notDetector = new Uint8Array(readFileSync(join(repoRoot, 'models/detector_float.tflite')));
  t.throws(() => findHead(notDetector), { instanceOf: AdaptError, message: /int8/ });
});

test('an adapted model with an input gate gives upstream TFLM\'s bytes on both domains (committed oracle outputs), on the Node addon and WebAssembly', (t) => {
  const dir = join(repoRoot, 'test/data/adapt-gate');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { vectors: { domain: string; frame: number; output: string }[] };
  const model = new Uint8Array(readFileSync(join(dir, 'model.tflite')));
  t.true(readModel(model).graph.nodes.filter((n) => n.op === 'SELECT_V2').length === 2, 'the input and the head are gated');
  t.is(manifest.vectors.length, 6);
  for (const binding of [node, wasm]) {
    const adapted = InferenceSession.create(binding, model), original = InferenceSession.create(binding, detector);
    try {
      for (const v of manifest.vectors) {
        const pixels = (v.domain === 'original' ? heldOut.frames : shifted)[v.frame]!;
        const x = [Int8Array.from(pixels, (p) => p - 128)];
        const ours = Buffer.from(adapted.run(x)[0]!.data as Int8Array);
        t.true(ours.equals(readFileSync(join(dir, v.output))), `${binding.backend}: ${v.domain} frame ${v.frame}`);
        const unadapted = Buffer.from(original.run(x)[0]!.data as Int8Array);
        t.is(ours.equals(unadapted), v.domain === 'original', `${binding.backend}: ${v.domain} frame ${v.frame} against the original model`);
      }
    } finally {
      adapted.release(); original.release();
    }
  }
});
