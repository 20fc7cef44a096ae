// Tensors kept alive after an invoke (xtml_options_t.keep_tensors) and read
// with xtml_tensor_data, on WebAssembly, the Node addon and XS: the arena grows
// by exactly what the longer lifetimes cost, the data is what a model cut at
// that tensor outputs, an in-place operator no longer writes over it, and bad
// indices get XTML_STATUS_BAD_ARGUMENT naming them.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { runModelXs, xsHostAvailable } from '../host-sim/xs/xs-backend.js';
import { readModel, writeModel } from '../src/adapt/model-file.js';
import type { CoreBinding } from '../src/binding.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { bytesOf } from '../src/tensor.js';
import { repoRoot, seededBytes } from './support/reference.js';
import { writeTflite, type TensorDef } from './support/tflite-writer.js';

const bindings: [string, CoreBinding][] = [['wasm', loadBinding('wasm')], ['node', loadBinding('node')]];
const scratch = mkdtempSync(join(tmpdir(), 'xtml-keep-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

// ---- a chain of three 1x1 convolutions on [1,4,4,8] int8: every activation is 128 bytes ----

const act = (name: string): TensorDef => ({ name, type: 'int8', shape: [1, 4, 4, 8], scale: [0.05], zeroPoint: [0] });
function convTensors(name: string, seed: number): TensorDef[] {
  const w = seededBytes(seed, 64);
  return [
    { name: `${name}/w`, type: 'int8', shape: [8, 1, 1, 8], data: w, scale: Array(8).fill(0.01), zeroPoint: Array(8).fill(0), quantizedDimension: 0 },
    { name: `${name}/b`, type: 'int32', shape: [8], data: new Uint8Array(32), scale: Array(8).fill(0.0005), zeroPoint: Array(8).fill(0) },
  ];
}
const conv = (input: number, weights: number, output: number) => ({
  builtin: 3, version: 3, inputs: [input, weights, weights + 1], outputs: [output], optionsType: 1,
  options: [{ type: 'i8' as const, value: 1 }, { type: 'i32' as const, value: 1 }, { type: 'i32' as const, value: 1 }, { type: 'i8' as const, value: 0 }],
});

// tensors: 0 input, 1 t1, 2 t2, 3 t3 (output), 4..9 weights and biases, 10 an activation nothing writes
const chain = writeTflite({
  tensors: [act('input'), act('t1'), act('t2'), act('t3'), ...convTensors('c1', 1), ...convTensors('c2', 2), ...convTensors('c3', 3), act('unused')],
  operators: [conv(0, 4, 1), conv(1, 6, 2), conv(2, 8, 3)],
  inputs: [0],
  outputs: [3],
});

// conv, RELU (runs in place), conv: tensors 0 input, 1 conv out, 2 relu out, 3 output, 4..7 constants
const withRelu = writeTflite({
  tensors: [act('input'), act('c1'), act('relu'), act('out'), ...convTensors('c1', 11), ...convTensors('c2', 12)],
  operators: [conv(0, 4, 1), { builtin: 19, version: 1, inputs: [1], outputs: [2], optionsType: 0, options: [] }, conv(2, 6, 3)],
  inputs: [0],
  outputs: [3],
});

/** The model cut after the operator that writes `tensor`, with that tensor as its output. */
function cutAt(model: Uint8Array, tensor: number): Uint8Array {
  const m = readModel(model);
  const name = [...m.graph.tensors.keys()][tensor]!;
  const producer = m.graph.nodes.findIndex((n) => n.outputs.includes(name));
  m.graph.nodes = m.graph.nodes.slice(0, producer + 1);
  m.graph.outputs = [name];
  m.graph.prune();
  return writeModel(m);
}

const input = new Int8Array(seededBytes(7, 128).buffer);
const runOutput = (s: InferenceSession, feed: Int8Array): Uint8Array => bytesOf(s.run([feed])[0]!.data);

for (const [name, binding] of bindings) {
  test(`${name}: keeping a tensor grows the arena by exactly the buffer its longer life needs`, (t) => {
    const base = binding.arenaSize(chain);
    // Without keeping, two 128-byte activations are ever alive at once. Keeping t1 to the
    // end makes three (t1 beside t2, then t3); keeping t2 costs no buffer (t2 and t3 are
    // alive together anyway). Both add the 8-byte table of kept indices.
    t.is(binding.arenaSize(chain, { keepTensors: [1] }) - base, 128 + 8);
    t.is(binding.arenaSize(chain, { keepTensors: [2] }) - base, 8);
    t.is(binding.arenaSize(chain, { keepTensors: [1, 2] }) - base, 128 + 8);
    // constants and the output are readable anyway: only the index table
    t.is(binding.arenaSize(chain, { keepTensors: [3, 4] }) - base, 8);
    t.is(binding.arenaSize(chain, { keepTensors: [] }), base);
    // the figure is exact: one byte less is refused with the size needed
    const need = binding.arenaSize(chain, { keepTensors: [1] });
    const error = t.throws(() => InferenceSession.create(binding, chain, { keepTensors: [1], arenaBytes: need - 1 }), { instanceOf: XtmlError });
    t.is(error.code, 'XTML_STATUS_ARENA_TOO_SMALL');
    t.is(error.needed, need);
    const session = InferenceSession.create(binding, chain, { keepTensors: [1], arenaBytes: need });
    t.is(session.arenaBytes, need);
    session.release();
  });

  test(`${name}: a kept tensor holds what a model cut at it outputs, and outputs do not change`, (t) => {
    const plain = InferenceSession.create(binding, chain);
    const kept = InferenceSession.create(binding, chain, { keepTensors: [1, 2] });
    for (const seed of [7, 8, 9]) {
      const feed = new Int8Array(seededBytes(seed, 128).buffer);
      t.deepEqual(runOutput(kept, feed), runOutput(plain, feed));
      for (const tensor of [1, 2]) {
        const cut = InferenceSession.create(binding, cutAt(chain, tensor));
        t.deepEqual(bytesOf(kept.tensor(tensor).data), runOutput(cut, feed), `tensor ${tensor}, seed ${seed}`);
        cut.release();
      }
    }
    plain.release();
    kept.release();
  });

  test(`${name}: an in-place operator does not write over a kept tensor`, (t) => {
    const kept = InferenceSession.create(binding, withRelu, { keepTensors: [1] });
    const cut = InferenceSession.create(binding, cutAt(withRelu, 1));
    const plain = InferenceSession.create(binding, withRelu);
    const c1 = new Int8Array(cut.run([input])[0]!.data.buffer);
    t.true(c1.some((v) => v < 0), 'the convolution output has negative values for RELU to clear');
    t.deepEqual(runOutput(kept, input), runOutput(plain, input));
    t.deepEqual(new Int8Array(kept.tensor(1).data.buffer), c1);
    // the unkept session let RELU write over it: asking for it is refused
    const error = t.throws(() => plain.tensor(1), { instanceOf: XtmlError });
    t.is(error.code, 'XTML_STATUS_BAD_ARGUMENT');
    t.regex(error.detail, /tensor 1 is not kept/);
    [kept, cut, plain].forEach((s) => s.release());
  });

  test(`${name}: bad tensor indices get XTML_STATUS_BAD_ARGUMENT naming them`, (t) => {
    const outOfRange = t.throws(() => InferenceSession.create(binding, chain, { keepTensors: [2, 11] }), { instanceOf: XtmlError });
    t.is(outOfRange.code, 'XTML_STATUS_BAD_ARGUMENT');
    t.is(outOfRange.detail, 'options.keep_tensors[1] is 11: the model has 11 tensors');
    const unwritten = t.throws(() => binding.arenaSize(chain, { keepTensors: [10] }), { instanceOf: XtmlError });
    t.is(unwritten.code, 'XTML_STATUS_BAD_ARGUMENT');
    t.is(unwritten.detail, "kept tensor 10 'unused' is neither a graph input nor written by any operator");
    t.throws(() => InferenceSession.create(binding, chain, { keepTensors: [-1] }), { instanceOf: RangeError, message: /keepTensors\[0\]/ });
    // the core's own answer, under the session's argument checks
    const context = binding.init(chain, binding.arenaSize(chain));
    const into = new Uint8Array(128);
    const range = t.throws(() => context.getTensor(11, into), { instanceOf: XtmlError });
    t.is(range.code, 'XTML_STATUS_BAD_ARGUMENT');
    t.is(range.detail, 'tensor 11: the model has 11 tensors');
    t.throws(() => context.getTensor(-1, into), { instanceOf: XtmlError, message: /tensor -1: the model has 11 tensors/ });
    t.throws(() => context.getTensor(2, into), { instanceOf: XtmlError, message: /tensor 2 is not kept/ });
    t.throws(() => context.getTensor(3, new Uint8Array(127)), { instanceOf: XtmlError, message: /XTML_STATUS_BAD_ARGUMENT/ });
    t.throws(() => context.tensorInfo(11), { instanceOf: XtmlError, message: /XTML_STATUS_BAD_ARGUMENT/ });
    context.release();
    const session = InferenceSession.create(binding, chain);
    t.throws(() => session.tensor(11), { instanceOf: RangeError, message: /index must be a tensor index from 0 to 10, got 11/ });
    // any tensor's facts, and constants' bytes as the model holds them
    t.is(session.tensorCount, 11);
    t.like(session.tensorInfo(4), { name: 'c1/w', type: 'int8', dims: [8, 1, 1, 8], bytes: 64, zeroPoint: 0 });
    t.deepEqual(bytesOf(session.tensor(4).data), seededBytes(1, 64));
    session.release();
  });
}

// ---- the bundled detector: the features that feed its head ----

const detector = new Uint8Array(readFileSync(join(repoRoot, 'models/detector.tflite')));
const heldOut = readFileSync(join(repoRoot, 'models/data/heldout.bin'));
const frame = (i: number): Int8Array => Int8Array.from(heldOut.subarray(i * 9216, (i + 1) * 9216), (v) => v - 128);
const FEATURES = 13; // [1,12,12,80], the input of the 1x1 head

for (const [name, binding] of bindings) {
  test(`${name}: the detector's head input, kept, equals the model cut at it`, (t) => {
    const kept = InferenceSession.create(binding, detector, { keepTensors: [FEATURES] });
    const plain = InferenceSession.create(binding, detector);
    const cut = InferenceSession.create(binding, cutAt(detector, FEATURES));
    t.like(kept.tensorInfo(FEATURES), { name: 't99', dims: [1, 12, 12, 80], bytes: 11520 });
    for (const i of [0, 1, 2]) {
      t.deepEqual(runOutput(kept, frame(i)), runOutput(plain, frame(i)));
      t.deepEqual(bytesOf(kept.tensor(FEATURES).data), runOutput(cut, frame(i)));
    }
    [kept, plain, cut].forEach((s) => s.release());
  });
}

test('xs: kept tensors, their arena and the errors are the same as on the other backends', async (t) => {
  if (!xsHostAvailable()) return t.fail('the XS host is not built: npm run build:xs');
  const chainPath = join(scratch, 'chain.tflite');
  const detectorCut = join(scratch, 'detector-cut.tflite');
  const inputPath = join(scratch, 'frame.bin');
  writeFileSync(chainPath, chain);
  writeFileSync(detectorCut, cutAt(detector, FEATURES));
  writeFileSync(inputPath, new Uint8Array(frame(1).buffer));
  const wasm = loadBinding('wasm');
  const base = await runModelXs(chainPath);
  const keep1 = await runModelXs(chainPath, { keep: [1] });
  t.is(keep1.arenaBytes! - base.arenaBytes!, 128 + 8);
  const bad = await runModelXs(chainPath, { keep: [11] });
  t.deepEqual(bad.error, { code: 'XTML_STATUS_BAD_ARGUMENT', detail: 'options.keep_tensors[0] is 11: the model has 11 tensors' });

  const kept = await runModelXs(join(repoRoot, 'models/detector.tflite'), { input: inputPath, keep: [FEATURES], read: [FEATURES, 12] });
  const cut = await runModelXs(detectorCut, { input: inputPath });
  t.is(kept.arenaBytes, InferenceSession.create(loadBinding('node'), detector, { keepTensors: [FEATURES] }).arenaBytes);
  t.deepEqual(kept.tensors![0]!.data, cut.output);
  t.like(kept.tensors![1]!.error, { code: 'XTML_STATUS_BAD_ARGUMENT', detail: 'tensor 12 is not kept (xtml_options_t.keep_tensors)' });
  // and the same bytes as WebAssembly computes
  const session = InferenceSession.create(wasm, detector, { keepTensors: [FEATURES] });
  session.run([frame(1)]);
  t.deepEqual(kept.tensors![0]!.data, Buffer.from(bytesOf(session.tensor(FEATURES).data)));
  session.release();
});
