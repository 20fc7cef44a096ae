// The signal library's operators with state between invokes
// (native/src/xtml_signal_stream.c: SignalFilterBankSpectralSubtraction,
// SignalDelay, SignalFramer, SignalStacker, SignalOverlapAdd). Their vectors in
// test/data/tflm-ops/signal are streams of K invokes from the reset state
// (the single-invoke wiring of core-vectors, bindings and xs skips them):
// here every stream matches TFLM invoke by invoke on every CLI build, on wasm
// and node through InferenceSession and on XS; the state changes the outputs
// and resetState() brings back the first stream's outputs; the spectral
// subtraction vectors agree with an independent BigInt computation; the
// configurations TFLM accepts but would run out of bounds (it checks none of
// these options against the tensors) are refused with a specific status.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { runManifestXs } from '../host-sim/xs/xs-backend.js';
import { InferenceSession } from '../src/index.js';
import { type OpConfig } from '../tools/tflm-ops/gen.js';
import { configs } from '../tools/tflm-ops/signal.js';
import { cliBuilds, optionalGroup } from './support/optional.js';
import { checkCommittedModels, cliStreamProblems, loadGroup, runStream, testRefusedOnHost, type Refusal } from './support/tflm-group.js';

const group = loadGroup('signal');
const { dir, scratch } = group;
interface StreamVector { name: string; input: string; output: string; invokes?: number }
interface StreamModel { id: string; model: string; invokes?: number; vectors: StreamVector[]; inputs: { bytes: number }[] }
const models = (group.manifest.models as unknown as StreamModel[]).filter((m) => (m.invokes ?? 1) > 1);
const file = (rel: string): Buffer => readFileSync(join(dir, rel));
const kinds = ['SignalFilterBankSpectralSubtraction', 'SignalDelay', 'SignalFramer', 'SignalStacker', 'SignalOverlapAdd'];

test('the committed signal models are what tools/tflm-ops/signal.ts writes; every stateful operator has streams', (t) => {
  checkCommittedModels(t, group, configs);
  const kindOf = (id: string): string | undefined => configs.find((c) => c.id === id)?.op;
  for (const k of kinds) t.true(models.filter((m) => kindOf(m.id) === k).length >= 3, k);
  for (const m of models) for (const v of m.vectors) t.is(v.invokes, m.invokes, `${m.id} ${v.name}`);
});

// ---- the CLI builds: one process per model, --invokes K ----

for (const build of cliBuilds) {
  optionalGroup(`${build.variant}: every stateful signal stream matches TFLM invoke by invoke`, build.needs, () => {
    test(`${build.variant}: every stateful signal stream matches TFLM invoke by invoke`, async (t) => {
      const problems = await cliStreamProblems(build.variant, dir, scratch, models, (m) => m.invokes!, (_m, got, want) => got.equals(want));
      t.deepEqual(problems, []);
    });
  });
}

// ---- wasm and node ----

/** Models whose state cannot change an output: no delay; frames that do not overlap or
 * skip samples; an estimate shifted by 63 bits (0 or 1, lost in the output's 31-bit shift). */
const stateless = new Set(['op_signal_delay_int16_6_d0', 'op_signal_overlap_add_int16_2x5_t5', 'op_signal_filter_bank_spectral_subtraction_uint32_5ch_wide',
  'op_signal_framer_int16_4_s2_t4']);

for (const backend of ['wasm', 'node'] as const) {
  const binding = loadBinding(backend);
  test(`${backend}: every stateful signal stream matches TFLM; the state carries on; resetState() starts it again`, (t) => {
    for (const m of models) {
      const session = InferenceSession.create(binding, file(m.model));
      let carried = false;
      try {
        for (const v of m.vectors) {
          const input = file(v.input);
          const want = file(v.output);
          session.resetState();
          t.true(runStream(session, input, m.invokes!).equals(want), `${m.id} ${v.name}`);
          // the same stream again without a reset continues from the state it left
          const again = runStream(session, input, m.invokes!);
          carried ||= !again.equals(want);
          session.resetState();
          t.true(runStream(session, input, m.invokes!).equals(want), `${m.id} ${v.name}: after resetState()`);
        }
        t.is(carried, !stateless.has(m.id), `${m.id}: whether the state changed a stream`);
      } finally {
        session.release();
      }
    }
  });
}

// ---- XS ----

test('xs: every stateful signal stream matches TFLM invoke by invoke', async (t) => {
  const results = await runManifestXs(join(dir, 'manifest.json'), { only: models.map((m) => m.id) });
  const problems: string[] = [];
  for (const m of models) {
    for (const v of m.vectors) {
      const r = results.find((x) => x.model === m.id && x.vector === v.name);
      if (r === undefined || r.output === undefined) problems.push(`${m.id} ${v.name}: ${JSON.stringify(r?.error ?? 'no result')}`);
      else if (!r.output.equals(file(v.output))) problems.push(`${m.id} ${v.name}: outputs differ`);
    }
  }
  t.deepEqual(problems, []);
});

// ---- the spectral subtraction, independently ----

/** The library's spectral subtraction over a stream, in BigInt, from the options as the manifest's config has them. */
function spectralStream(o: Readonly<Record<string, number | boolean>>, input: Buffer, channels: number, invokes: number): Buffer {
  const u32 = (x: bigint): bigint => x & 0xffffffffn;
  const c = (k: string): bigint => u32(BigInt(o[k] as number));
  const sb = BigInt(o['smoothing_bits'] as number);
  const ssb = BigInt(o['spectral_subtraction_bits'] as number);
  const noise = new Array<bigint>(channels).fill(0n);
  const out = Buffer.alloc(8 * channels * invokes);
  for (let k = 0; k < invokes; k++) {
    for (let i = 0; i < channels; i++) {
      const x = BigInt(input.readUInt32LE(4 * (k * channels + i)));
      const [s, oms] = i % 2 === 0 ? [c('smoothing'), c('one_minus_smoothing')] : [c('alternate_smoothing'), c('alternate_one_minus_smoothing')];
      const up = u32(x << sb);
      // the two products wrap as a uint64 sum
      let est = u32(((up * s + noise[i]! * oms) & 0xffffffffffffffffn) >> ssb);
      noise[i] = est;
      if (est > up) {
        est = up;
        if (o['clamping'] === true) noise[i] = up;
      }
      const floor = u32((x * c('min_signal_remaining')) >> ssb);
      const sub = (up - est) >> sb;
      out.writeUInt32LE(Number(sub > floor ? sub : floor), 4 * (2 * k * channels + i));
      out.writeUInt32LE(Number(noise[i]!), 4 * ((2 * k + 1) * channels + i));
    }
  }
  return out;
}

test('the spectral subtraction vectors are the library\'s arithmetic (an independent BigInt computation)', (t) => {
  const spectral = models.filter((m) => m.id.startsWith('op_signal_filter_bank_spectral_subtraction_'));
  t.true(spectral.length >= 4);
  for (const m of spectral) {
    const c = configs.find((x) => x.id === m.id)!;
    const channels = c.custom!['num_channels'] as number;
    for (const v of m.vectors) t.true(spectralStream(c.custom!, file(v.input), channels, m.invokes!).equals(file(v.output)), `${m.id} ${v.name}`);
  }
});

// ---- what TFLM runs out of bounds: refused ----

const base = (id: string): OpConfig => configs.find((c) => c.id === id)!;
const withOptions = (id: string, options: Record<string, number | boolean>): OpConfig => ({ ...base(id), custom: { ...base(id).custom!, ...options } });
const withTensors = (id: string, shapes: Record<number, number[]>): OpConfig =>
  ({ ...base(id), tensors: base(id).tensors.map((x, i) => (shapes[i] !== undefined ? { ...x, shape: shapes[i]! } : x)) });
const ss = 'op_signal_filter_bank_spectral_subtraction_uint32_8ch_micro_speech';
const cases: Refusal[] = [
  ['SpectralSubtraction num_channels 9 over 8-element tensors', withOptions(ss, { num_channels: 9 }), 'XTML_STATUS_SHAPE_MISMATCH', /has 8 elements, expected 9/],
  ['SpectralSubtraction a 4-element noise estimate', withTensors(ss, { 2: [4] }), 'XTML_STATUS_SHAPE_MISMATCH', /noise estimate 'noise_estimate' has 4 elements/],
  ['SpectralSubtraction smoothing_bits 32', withOptions(ss, { smoothing_bits: 32 }), 'XTML_STATUS_BAD_OPTIONS', /'smoothing_bits' is out of range/],
  ['SpectralSubtraction spectral_subtraction_bits 64', withOptions(ss, { spectral_subtraction_bits: 64 }), 'XTML_STATUS_BAD_OPTIONS', /'spectral_subtraction_bits' is out of range/],
  ['Framer prefill with frame_step > frame_size', withOptions('op_signal_framer_int16_4_s2_t4', { prefill: true }), 'XTML_STATUS_UNSUPPORTED_CONFIG', /prefill with frame_step 4 larger than frame_size 2/],
  ['Framer an output of the wrong frame count', withTensors('op_signal_framer_int16_6_s5_t2', { 1: [2, 5] }), 'XTML_STATUS_SHAPE_MISMATCH', /expected \[3, 5\]/],
  ['Stacker stacker_step 0', withOptions('op_signal_stacker_int16_3_l2_r1_s1', { stacker_step: 0 }), 'XTML_STATUS_BAD_OPTIONS', /'stacker_step' is out of range/],
  ['Stacker stacker_step past the context', withOptions('op_signal_stacker_int16_3_l2_r1_s1', { stacker_step: 5 }), 'XTML_STATUS_BAD_OPTIONS', /'stacker_step' is out of range/],
  ['Stacker num_channels unlike the input', withOptions('op_signal_stacker_int16_3_l2_r1_s1', { num_channels: 4 }), 'XTML_STATUS_SHAPE_MISMATCH', /has 3 elements, expected 4/],
  ['OverlapAdd frame_step past the frame', withOptions('op_signal_overlap_add_int16_1x8_t4', { frame_step: 9 }), 'XTML_STATUS_UNSUPPORTED_CONFIG', /frame_step 9 is larger/],
  ['OverlapAdd an output of the wrong length', withTensors('op_signal_overlap_add_int16_1x8_t4', { 1: [8] }), 'XTML_STATUS_SHAPE_MISMATCH', /expected 4 \(frames x frame_step\)/],
  ['Delay a negative delay_length', withOptions('op_signal_delay_int16_8_d3', { delay_length: -1 }), 'XTML_STATUS_BAD_OPTIONS', /'delay_length' is out of range/],
  ['Delay an output shaped unlike the input', withTensors('op_signal_delay_int16_8_d3', { 1: [2, 4] }), 'XTML_STATUS_SHAPE_MISMATCH', /./],
  ['Delay an unknown option', withOptions('op_signal_delay_int16_8_d3', { delay: 2 }), 'XTML_STATUS_BAD_OPTIONS', /'delay' is not one of this operator's/],
];
testRefusedOnHost(scratch, cases);
