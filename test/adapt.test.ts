// Head adaptation (src/adapt/): the math without engine functions, the head
// found and written back byte for byte, adaptation that verifies, loads,
// lowers the examples' loss and gives the same bytes for the same inputs,
// and the errors of bad examples.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { AdaptError, adaptModel, exampleLoss, findHead, modelWithHead, type AdaptExample } from '../src/adapt/head.js';
import { expNeg, ln, Prng } from '../src/adapt/math.js';
import { readModel } from '../src/adapt/model-file.js';
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
  // and the identity input map changes nothing either
  t.deepEqual(modelWithInputMap(detector, 1, 0), detector);
  t.throws(() => modelWithHead(detector, h.weights.subarray(1), h.bias), { instanceOf: RangeError });
});

test('adaptation on 5 chalkboard frames: the model verifies and loads, the examples\' loss falls, only the adapted layers change', (t) => {
  const a = adaptModel(node, detector, examples, fast);
  t.notThrows(() => node.verify(a.model));
  t.notThrows(() => wasm.verify(a.model));
  t.true(a.lossAfter < a.lossBefore);
  const before = exampleLoss(node, detector, examples), after = exampleLoss(node, a.model, examples);
  t.true(after < before / 2, `int8 loss on the examples ${before} -> ${after}`);
  t.truthy(a.inputMap, 'light ink on a dark board folds an input map');
  t.true(a.inputMap!.a < 0, 'the map inverts the grey levels');
  // same graph, same tensors; constants differ only in the first layer and the head
  const old = readModel(detector).graph, changed = readModel(a.model).graph;
  t.deepEqual([...changed.tensors.keys()], [...old.tensors.keys()]);
  t.deepEqual(changed.nodes.map((n) => n.op), old.nodes.map((n) => n.op));
  const h = findHead(detector);
  const first = old.nodes[0]!;
  const allowed = new Set([h.weightsName, h.biasName, first.inputs[1], first.inputs[2]]);
  for (const [name, tensor] of old.tensors) {
    if (tensor.data === undefined || allowed.has(name)) continue;
    t.deepEqual(changed.tensor(name).data, tensor.data, name);
  }
  const session = InferenceSession.create(node, a.model);
  t.is(session.arenaBytes, InferenceSession.create(node, detector).arenaBytes);
  session.release();
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
