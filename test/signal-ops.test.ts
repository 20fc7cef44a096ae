// The signal library's custom operators (native/src/xtml_signal.c) beyond the
// oracle's vectors (test/data/tflm-ops/signal, run by core-vectors, bindings
// and xs): docs/operators.md's custom-operator table against the core, the
// FlexBuffer options reader's refusals (malformed blobs, missing, unknown,
// mistyped and out-of-range keys), the bounds TFLM leaves unchecked, and the
// invoke-time failures that leave the output untouched.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as flexbuffers from 'flatbuffers/js/flexbuffers.js';
import { loadWasmBinding } from '../host-sim/node/backends.js';
import { flexbufferOptions } from '../src/convert/flexbuffer-options.js';
import { serializeTflite, type FlatTensor } from '../src/convert/tflite-write.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { repoRoot } from './support/reference.js';

const T = { int32: 2, uint64: 12, int16: 7, uint32: 15, float32: 0 } as const;
const binding = loadWasmBinding();

/** A one-custom-operator model: tensors, operator inputs/outputs (graph inputs: the non-constant operator inputs). */
function customModel(code: string, options: Uint8Array | undefined, tensors: FlatTensor[], inputs: number[], outputs: number[]): Uint8Array {
  return serializeTflite({
    tensors,
    operators: [{ builtin: 32, version: 1, inputs, outputs, optionsType: 0, options: [], customCode: code, ...(options !== undefined ? { customOptions: options } : {}) }],
    inputs: inputs.filter((i) => i >= 0 && tensors[i]!.data === undefined),
    outputs,
    description: `signal-ops ${code}`,
  });
}

const i16 = (values: number[]): Uint8Array => new Uint8Array(Int16Array.from(values).buffer);
const windowTensors = (n: number, taps: number): FlatTensor[] => [
  { name: 'input', type: T.int16, shape: [n] },
  { name: 'weights', type: T.int16, shape: [taps], data: i16(new Array<number>(taps).fill(4096)) },
  { name: 'output', type: T.int16, shape: [n] },
];
const windowModel = (options: Uint8Array | undefined, n = 8, taps = 8): Uint8Array => customModel('SignalWindow', options, windowTensors(n, taps), [0, 1], [2]);

/** The status and detail a model is refused with (null when it loads). */
function refusal(model: Uint8Array): { code: string; message: string } | null {
  try {
    InferenceSession.create(binding, model).release();
    return null;
  } catch (error) {
    if (!(error instanceof XtmlError)) throw error;
    return { code: error.code, message: error.message };
  }
}

function customRows(): { op: string; ours: string }[] {
  const doc = readFileSync(join(repoRoot, 'docs/operators.md'), 'utf8');
  const table = doc.split('<!-- custom-operators-table -->')[1]!.split('<!-- /custom-operators-table -->')[0]!;
  return table.split('\n').filter((l) => l.startsWith('| Signal'))
    .map((l) => { const c = l.split('|').map((x) => x.trim()); return { op: c[1]!, ours: c[4]! }; });
}

test('docs/operators.md lists the 14 signal operators; "we have it" is what the core runs', (t) => {
  const rows = customRows();
  t.is(rows.length, 14);
  // An operator without a kernel is refused as UNSUPPORTED_OPERATOR naming it; one with a kernel
  // refuses this float model for its types, shapes or options instead.
  const f32: FlatTensor[] = [{ name: 'in', type: T.float32, shape: [1] }, { name: 'out', type: T.float32, shape: [1] }];
  const wrong = rows.filter((r) => {
    const got = refusal(customModel(r.op, undefined, f32, [0], [1]));
    const has = got === null || got.code !== 'XTML_STATUS_UNSUPPORTED_OPERATOR';
    if (!has) t.regex(got!.message, new RegExp(`custom operator '${r.op}' version 1 is not supported`));
    return has !== (r.ours === 'yes');
  }).map((r) => r.op);
  t.deepEqual(wrong, []);
});

test('an unknown custom operator is still refused by name', (t) => {
  const got = refusal(customModel('SignalWindowX', flexbufferOptions({ shift: 1 }), windowTensors(8, 8), [0, 1], [2]));
  t.is(got?.code, 'XTML_STATUS_UNSUPPORTED_OPERATOR');
  t.regex(got!.message, /custom operator 'SignalWindowX' version 1 is not supported/);
});

test('FlexBuffer options: malformed blobs, missing, unknown, mistyped and out-of-range keys are BAD_OPTIONS', (t) => {
  const good = flexbufferOptions({ shift: 3 });
  t.is(refusal(windowModel(good)), null);
  const string = flexbuffers.builder();
  string.startMap(); string.addKey('shift'); string.add('three'); string.end();
  const vector = flexbuffers.builder();
  vector.startVector(); vector.addInt(3); vector.end();
  const cases: [string, Uint8Array | undefined, RegExp][] = [
    ['absent', undefined, /custom options \(0 bytes\) is not a FlexBuffer map/],
    ['root a vector', vector.finish(), /is not a FlexBuffer map/],
    ['missing key', flexbufferOptions({}), /custom option 'shift' is missing/],
    ['unknown key', flexbufferOptions({ shift: 3, stride: 1 }), /custom option 'stride' is not one of this operator's/],
    ['string value', string.finish(), /custom option 'shift' is not an integer/],
    ['shift 32', flexbufferOptions({ shift: 32 }), /custom option 'shift' is out of range/],
    ['shift -1', flexbufferOptions({ shift: -1 }), /custom option 'shift' is out of range/],
  ];
  for (const [name, options, message] of cases) {
    const got = refusal(windowModel(options));
    t.is(got?.code, 'XTML_STATUS_BAD_OPTIONS', name);
    t.regex(got?.message ?? '', message, name);
  }
  // Every truncation and every single-byte corruption of a valid blob: refused or loaded, never a crash.
  let refused = 0;
  for (let cut = 0; cut < good.length; cut++) {
    const got = refusal(windowModel(good.subarray(0, cut)));
    t.is(got?.code, 'XTML_STATUS_BAD_OPTIONS', `cut ${cut}`);
    refused++;
  }
  for (let at = 0; at < good.length; at++) {
    for (const v of [0x00, 0x7f, 0xff]) {
      const bad = Uint8Array.from(good);
      bad[at] = v;
      const got = refusal(windowModel(bad));
      t.true(got === null || got.code === 'XTML_STATUS_BAD_OPTIONS', `byte ${at} = ${v}: ${got?.code}`);
    }
  }
  t.is(refused, good.length);
});

test('bounds TFLM leaves unchecked are refused at prepare', (t) => {
  const u32 = (name: string, n: number): FlatTensor => ({ name, type: T.uint32, shape: [n] });
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['window: input not whole windows', windowModel(flexbufferOptions({ shift: 1 }), 10, 4), 'XTML_STATUS_SHAPE_MISMATCH', /not a whole number of windows of 4/],
    ['energy: end past the output', customModel('SignalEnergy', flexbufferOptions({ start_index: 0, end_index: 9 }),
      [{ name: 'in', type: T.int16, shape: [16] }, u32('out', 8)], [0], [1]), 'XTML_STATUS_BAD_OPTIONS', /'end_index' is out of range/],
    ['energy: start after end', customModel('SignalEnergy', flexbufferOptions({ start_index: 5, end_index: 4 }),
      [{ name: 'in', type: T.int16, shape: [16] }, u32('out', 8)], [0], [1]), 'XTML_STATUS_BAD_OPTIONS', /'end_index' is out of range/],
    ['log: correction bits 32', customModel('SignalFilterBankLog', flexbufferOptions({ input_correction_bits: 32, output_scale: 1 }),
      [u32('in', 4), { name: 'out', type: T.int16, shape: [4] }], [0], [1]), 'XTML_STATUS_BAD_OPTIONS', /'input_correction_bits' is out of range/],
    ['filter bank: a band past the spectrum', customModel('SignalFilterBank', flexbufferOptions({ num_channels: 1 }), [
      u32('in', 4),
      { name: 'w', type: T.int16, shape: [4], data: i16([1, 2, 3, 4]) },
      { name: 'uw', type: T.int16, shape: [4], data: i16([4, 3, 2, 1]) },
      { name: 'fs', type: T.int16, shape: [2], data: i16([0, 2]) },
      { name: 'ws', type: T.int16, shape: [2], data: i16([0, 1]) },
      { name: 'width', type: T.int16, shape: [2], data: i16([1, 3]) },
      { name: 'out', type: T.uint64, shape: [1] },
    ], [0, 1, 2, 3, 4, 5], [6]), 'XTML_STATUS_SHAPE_MISMATCH', /channel 1: width 3 from frequency 2/],
    ['filter bank: tables not constant', customModel('SignalFilterBank', flexbufferOptions({ num_channels: 1 }), [
      u32('in', 4), { name: 'w', type: T.int16, shape: [4] },
      { name: 'uw', type: T.int16, shape: [4], data: i16([4, 3, 2, 1]) },
      { name: 'fs', type: T.int16, shape: [2], data: i16([0, 1]) },
      { name: 'ws', type: T.int16, shape: [2], data: i16([0, 1]) },
      { name: 'width', type: T.int16, shape: [2], data: i16([1, 1]) },
      { name: 'out', type: T.uint64, shape: [1] },
    ], [0, 1, 2, 3, 4, 5], [6]), 'XTML_STATUS_UNSUPPORTED_CONFIG', /weights 'w' must be a constant/],
  ];
  for (const [name, model, code, message] of cases) {
    const got = refusal(model);
    t.is(got?.code, code, name);
    t.regex(got?.message ?? '', message, name);
  }
});

test('a shift or table index that comes from data fails the invoke and leaves the output untouched', (t) => {
  const sqrt = InferenceSession.create(binding, customModel('SignalFilterBankSquareRoot', undefined, [
    { name: 'in', type: T.uint64, shape: [2] }, { name: 'bits', type: T.int32, shape: [] }, { name: 'out', type: T.uint32, shape: [2] },
  ], [0, 1], [2]));
  const out = [new Uint32Array(2)];
  sqrt.runInto([BigUint64Array.from([100n, 10000n]), Int32Array.from([1])], out);
  t.deepEqual([...out[0]!], [5, 50]);
  const error = t.throws(() => sqrt.runInto([BigUint64Array.from([100n, 10000n]), Int32Array.from([32])], out), { instanceOf: XtmlError });
  t.is(error?.code, 'XTML_STATUS_EVAL_ERROR');
  t.regex(error?.message ?? '', /scale bits 32 outside \[0, 31\]/);
  t.deepEqual([...out[0]!], [5, 50]);
  sqrt.release();

  const pcan = InferenceSession.create(binding, customModel('SignalPCAN', flexbufferOptions({ snr_shift: 0 }), [
    { name: 'in', type: T.uint32, shape: [1] }, { name: 'noise', type: T.uint32, shape: [1] },
    { name: 'lut', type: T.int16, shape: [9], data: i16([64, 64, 64, 64, 0, 0, 64, 0, 0]) }, { name: 'out', type: T.uint32, shape: [1] },
  ], [0, 1, 2], [3]));
  const small = pcan.run([Uint32Array.from([100]), Uint32Array.from([2])]);
  // gain lut[2] = 64: snr = 6400 < 8192, out = 6400^2 >> 20 = 39
  t.deepEqual([...(small[0]!.data as Uint32Array)], [39]);
  // noise 7: 3 bits, segment 6..8 fits; noise 8: segment 10..12 does not
  t.notThrows(() => pcan.run([Uint32Array.from([100]), Uint32Array.from([7])]));
  const bad = t.throws(() => pcan.run([Uint32Array.from([100]), Uint32Array.from([8])]), { instanceOf: XtmlError });
  t.is(bad?.code, 'XTML_STATUS_EVAL_ERROR');
  pcan.release();
});
