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
    ['string value', string.finish(), /custom option 'shift' is neither an integer nor a bool/],
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

// SignalRfft / SignalIrfft (native/src/xtml_signal_fft.c): options, lengths and shapes.
const fftModel = (op: string, options: Uint8Array | undefined, type: number, inShape: number[], outShape: number[]): Uint8Array =>
  customModel(op, options, [{ name: 'in', type, shape: inShape }, { name: 'out', type, shape: outShape }], [0], [1]);

test('SignalRfft and SignalIrfft: options, lengths and shapes are refused with their status', (t) => {
  const rfft = (options: Uint8Array | undefined, inShape = [64], outShape = [66], type: number = T.int16): Uint8Array =>
    fftModel('SignalRfft', options, type, inShape, outShape);
  const irfft = (options: Uint8Array | undefined, inShape = [66], outShape = [64], type: number = T.int16): Uint8Array =>
    fftModel('SignalIrfft', options, type, inShape, outShape);
  const opts = (fields: Record<string, number>): Uint8Array => flexbufferOptions(fields);
  t.is(refusal(rfft(opts({ T: 7, fft_length: 64 }))), null);
  t.is(refusal(rfft(opts({ T: 7, fft_length: 64 }), [2, 50], [2, 66])), null);
  t.is(refusal(irfft(opts({ T: 0, fft_length: 64 }), [3, 66], [3, 64], T.float32)), null);
  t.is(refusal(rfft(opts({ T: 2, fft_length: 8192 }), [8192], [8194], T.int32)), null);
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['options absent', rfft(undefined), 'XTML_STATUS_BAD_OPTIONS', /is not a FlexBuffer map/],
    ['T missing', rfft(opts({ fft_length: 64 })), 'XTML_STATUS_BAD_OPTIONS', /custom option 'T' is missing/],
    ['fft_length missing', irfft(opts({ T: 7 })), 'XTML_STATUS_BAD_OPTIONS', /custom option 'fft_length' is missing/],
    ['unknown key', rfft(opts({ T: 7, fft_length: 64, stride: 2 })), 'XTML_STATUS_BAD_OPTIONS', /'stride' is not one of this operator's/],
    ['T int8', rfft(opts({ T: 9, fft_length: 64 })), 'XTML_STATUS_BAD_OPTIONS', /'T' is 9: the library has float32 \(0\), int32 \(2\) and int16 \(7\)/],
    ['fft_length 0', rfft(opts({ T: 7, fft_length: 0 })), 'XTML_STATUS_BAD_OPTIONS', /'fft_length' is out of range/],
    ['tensors not T', rfft(opts({ T: 2, fft_length: 64 })), 'XTML_STATUS_UNSUPPORTED_TYPE', /input 'in' \(tensor 0\) is int16, expected int32/],
    ['odd length', rfft(opts({ T: 7, fft_length: 63 }), [63], [65]), 'XTML_STATUS_UNSUPPORTED_CONFIG', /fft_length 63: we run even lengths up to 8192/],
    ['length 2 (a 1-point FFT)', rfft(opts({ T: 7, fft_length: 2 }), [2], [4]), 'XTML_STATUS_UNSUPPORTED_CONFIG', /fft_length 2:/],
    ['radix 7', irfft(opts({ T: 7, fft_length: 14 }), [16], [14]), 'XTML_STATUS_UNSUPPORTED_CONFIG', /fft_length 14:/],
    ['longer than 8192', rfft(opts({ T: 7, fft_length: 16384 }), [16384], [16386]), 'XTML_STATUS_UNSUPPORTED_CONFIG', /fft_length 16384:/],
    ['rfft input longer than fft_length', rfft(opts({ T: 7, fft_length: 64 }), [65], [66]), 'XTML_STATUS_SHAPE_MISMATCH', /last dimensions 65 \(input\) and 66 \(output\)/],
    ['rfft output not fft_length + 2', rfft(opts({ T: 7, fft_length: 64 }), [64], [64]), 'XTML_STATUS_SHAPE_MISMATCH', /expected 1\.\.fft_length and fft_length \+ 2/],
    ['irfft input not fft_length + 2', irfft(opts({ T: 7, fft_length: 64 }), [64], [64]), 'XTML_STATUS_SHAPE_MISMATCH', /expected fft_length \+ 2 and fft_length/],
    ['rows differ', rfft(opts({ T: 7, fft_length: 64 }), [2, 64], [3, 66]), 'XTML_STATUS_SHAPE_MISMATCH', /differ in dimension 0/],
    ['ranks differ', rfft(opts({ T: 7, fft_length: 64 }), [1, 64], [66]), 'XTML_STATUS_SHAPE_MISMATCH', /need the same rank/],
  ];
  for (const [name, model, code, message] of cases) {
    const got = refusal(model);
    t.is(got?.code, code, name);
    t.regex(got?.message ?? '', message, name);
  }
});

test('SignalRfft then SignalIrfft (float32) gives the signal back, and bins match a direct DFT', (t) => {
  const n = 120;
  const x = Float32Array.from({ length: n }, (_, k) => Math.sin(0.3 * k) + 0.25 * Math.cos(2.1 * k) - 0.1);
  const fwd = InferenceSession.create(binding, fftModel('SignalRfft', flexbufferOptions({ T: 0, fft_length: n }), T.float32, [n], [n + 2]));
  const inv = InferenceSession.create(binding, fftModel('SignalIrfft', flexbufferOptions({ T: 0, fft_length: n }), T.float32, [n + 2], [n]));
  const spectrum = fwd.run([x])[0]!.data as Float32Array;
  let worst = 0;
  for (let k = 0; k <= n / 2; k++) {
    let re = 0, im = 0;
    for (let j = 0; j < n; j++) { re += x[j]! * Math.cos((2 * Math.PI * j * k) / n); im -= x[j]! * Math.sin((2 * Math.PI * j * k) / n); }
    worst = Math.max(worst, Math.abs(spectrum[2 * k]! - re), Math.abs(spectrum[2 * k + 1]! - im));
  }
  t.true(worst < 1e-4, `largest bin error ${worst}`);
  const back = inv.run([spectrum])[0]!.data as Float32Array;
  t.true(back.every((v, i) => Math.abs(v - x[i]!) < 1e-5), 'round trip');
  fwd.release();
  inv.release();
});
