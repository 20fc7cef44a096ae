// Operators that keep state between invokes (issue 14, group `sequence`):
// every vector of test/data/tflm-ops/sequence is a stream of K invokes from a
// fresh state, checked byte for byte against TFLM's outputs after each
// invoke, on every CLI build (host, host32, ASan, reference, scalar, rv32imc
// -O2/-Os), on wasm and node through InferenceSession, and on XS. Also: the
// state changes the outputs (the same input twice gives two answers), and
// resetState() brings back the first invoke's outputs; the configurations
// TFLM refuses are refused by every backend with a specific status.
// Float LSTM outputs go through exp and tanh: the core uses its own
// (xtml_fmath.c, the same bits on every build) where TFLM's build used
// glibc's, so those models are compared within their manifest's
// `ulp_tolerance`; linked with glibc's expf/tanhf instead, the kernel gives
// TFLM's bits exactly (checked below on the host).
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { runManifestXs, runModelXs } from '../host-sim/xs/xs-backend.js';
import type { CoreBinding } from '../src/binding.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { cliBuilds, needs, optionalGroup, variantNeeds } from './support/optional.js';
import { compareOutputs, limiter, repoRoot, runCli, type Variant } from './support/reference.js';
import { cliStreamProblems, runStream } from './support/tflm-group.js';

interface SeqVector { name: string; invokes: number; input: string; output: string }
interface SeqModel { id: string; model: string; invokes: number; vectors: SeqVector[]; state: { tensor: number; name: string }[]; ulp_tolerance?: number; ops: Record<string, number> }
interface Refused { id: string; model: string; expected_refusal: string }

const base = join(repoRoot, 'test/data/tflm-ops/sequence');
const manifestPath = join(base, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { models: SeqModel[]; refused: Refused[] };
const models = manifest.models;
const file = (rel: string): Buffer => readFileSync(join(base, rel));
/** Whether outputs match TFLM's: byte for byte, or within the model's ulp tolerance (float LSTM). */
const matches = (m: SeqModel, got: Buffer, want: Buffer): boolean => compareOutputs(m.id, got, want, m.ulp_tolerance) === null;

const scratch = mkdtempSync(join(tmpdir(), 'xtml-seq-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
const limit = limiter(2);
let serial = 0;

test('the sequence group has SVDF and LSTM models in every type, each vector several invokes long', (t) => {
  t.true(models.length >= 16);
  const ids = models.map((m) => m.id);
  t.true(ids.some((id) => id.startsWith('svdf_f32_')));
  t.true(ids.some((id) => id.startsWith('svdf_s8_s16_')));
  t.true(ids.some((id) => id.startsWith('svdf_s8_s8_')));
  for (const kind of ['f32', 's8', 's16']) {
    for (const layout of ['time_major', 'batch_major']) t.true(ids.some((id) => id.startsWith(`lstm_${kind}_${layout}`)), `lstm_${kind}_${layout}`);
  }
  // only float LSTM is compared within a tolerance; every integer model is byte for byte
  t.deepEqual(models.filter((m) => m.ulp_tolerance !== undefined).map((m) => m.id), ids.filter((id) => id.startsWith('lstm_f32_')));
  for (const m of models) {
    t.true(m.state.length > 0, m.id);
    t.true(m.invokes >= 5, m.id);
    for (const v of m.vectors) t.true(v.invokes >= 5, `${m.id} ${v.name}`);
  }
});

// ---- the CLI builds: one process per model, --invokes K per vector ----

const builds = cliBuilds;

for (const build of builds) {
  optionalGroup(`${build.variant}: every sequence vector matches TFLM invoke by invoke`, build.needs, () => {
    test(`${build.variant}: every sequence vector matches TFLM invoke by invoke`, async (t) => {
      for (const m of models) t.true(m.vectors.every((v) => v.invokes === m.vectors[0]!.invokes), m.id);
      const problems = await cliStreamProblems(build.variant, base, scratch, models, (m) => m.vectors[0]!.invokes, matches);
      t.deepEqual(problems, []);
    });

    test(`${build.variant}: the configurations TFLM refuses are refused with a specific status`, async (t) => {
      const got = await Promise.all(manifest.refused.map(async (r) => {
        const res = await limit(() => runCli(build.variant, ['inspect', join(base, r.model)]));
        return `${r.id}: ${res.code === 1 ? /XTML_STATUS_[A-Z_]+/.exec(res.stderr)?.[0] ?? res.stderr : `exit ${res.code}`}`;
      }));
      t.deepEqual(got, manifest.refused.map((r) => `${r.id}: ${r.expected_refusal}`));
    });
  });
}

// ---- the float LSTM's arithmetic: with glibc's expf/tanhf (what TFLM's build used), TFLM's bits exactly ----

optionalGroup('host with glibc expf/tanhf in the LSTM kernel: float LSTM vectors are TFLM\'s bits', cliBuilds.find((b) => b.variant === 'host')!.needs, () => {
  test('host with glibc expf/tanhf in the LSTM kernel: float LSTM vectors are TFLM\'s bits exactly', async (t) => {
    const native = join(repoRoot, 'native');
    const obj = join(scratch, 'lstm-libm.o');
    const exe = join(scratch, 'xtml-lstm-libm');
    const sh = (cmd: string, args: string[]) => new Promise<{ code: number; stderr: string }>((done) => {
      execFile(cmd, args, { timeout: 300_000 }, (error, _out, stderr) => done({ code: error ? 1 : 0, stderr }));
    });
    // the kernel file alone, its exp and tanh renamed to the C library's; linked ahead of the host
    // build's library, whose own xtml_lstm.o is then not pulled in
    let r = await sh('gcc', ['-std=c99', '-O2', '-ffp-contract=off', '-I', join(native, 'include'), '-I', join(native, 'src'),
      '-include', 'math.h', '-Dxtml_exp_f32=expf', '-Dxtml_tanh_f32=tanhf', '-c', join(native, 'src/xtml_lstm.c'), '-o', obj]);
    t.is(r.code, 0, r.stderr);
    r = await sh('gcc', [obj, join(repoRoot, 'build/host/obj/tools/xtml_cli.o'), join(repoRoot, 'build/host/libxtml.a'), '-lm', '-o', exe]);
    t.is(r.code, 0, r.stderr);
    const floats = models.filter((m) => m.id.startsWith('lstm_f32_'));
    t.true(floats.length >= 3);
    for (const m of floats) {
      for (const v of m.vectors) {
        const out = join(scratch, `libm-${serial++}.bin`);
        const res = await new Promise<{ code: number; stderr: string }>((done) => {
          execFile(exe, ['run', join(base, m.model), '--invokes', String(v.invokes), '--input', join(base, v.input), '--output', out],
            (error, _o, stderr) => done({ code: error ? 1 : 0, stderr }));
        });
        t.is(res.code, 0, res.stderr);
        t.true(readFileSync(out).equals(file(v.output)), `${m.id} ${v.name}`);
      }
    }
  });
});

// ---- wasm and node, through InferenceSession ----

/** The outputs of a stream: resetState (unless told not to), then runStream. */
function stream(session: InferenceSession, input: Buffer, invokes: number, reset = true): Buffer {
  if (reset) session.resetState();
  return runStream(session, input, invokes);
}

for (const backend of ['wasm', 'node'] as const) {
  const binding: CoreBinding = loadBinding(backend);

  test(`${backend}: every sequence vector matches TFLM invoke by invoke, and again after resetState()`, (t) => {
    for (const m of models) {
      const session = InferenceSession.create(binding, file(m.model));
      try {
        // the vectors one after another on one session: each starts from a reset state
        for (const v of m.vectors) t.true(matches(m, stream(session, file(v.input), v.invokes), file(v.output)), `${m.id} ${v.name}`);
        for (const v of m.vectors) t.true(matches(m, stream(session, file(v.input), v.invokes), file(v.output)), `${m.id} ${v.name} again`);
      } finally {
        session.release();
      }
    }
  });

  test(`${backend}: state carries between runs; resetState() gives the first run's outputs again`, (t) => {
    for (const m of models) {
      const v = m.vectors[0]!;
      const input = file(v.input);
      const expected = file(v.output);
      const session = InferenceSession.create(binding, file(m.model));
      try {
        // a fresh session starts from the zero state: no reset needed for the first stream
        t.true(matches(m, stream(session, input, v.invokes, false), expected), m.id);
        // without a reset the same stream continues from the state it left: different outputs
        t.false(stream(session, input, v.invokes, false).equals(expected), `${m.id}: the state made no difference`);
        t.true(matches(m, stream(session, input, v.invokes), expected), `${m.id}: after resetState()`);
        // the same input twice in a row gives two different answers
        const one = input.subarray(0, input.length / v.invokes);
        session.resetState();
        const first = stream(session, one, 1, false);
        t.false(stream(session, one, 1, false).equals(first), `${m.id}: a second invoke on the same input gave the same output`);
        t.true(matches(m, first, expected.subarray(0, expected.length / v.invokes)), `${m.id}: first invoke`);
      } finally {
        session.release();
      }
    }
  });

  test(`${backend}: the configurations TFLM refuses are refused with a specific status`, (t) => {
    const got = manifest.refused.map((r) => {
      try {
        InferenceSession.create(binding, file(r.model)).release();
        return `${r.id}: loaded`;
      } catch (e) {
        return `${r.id}: ${e instanceof XtmlError ? e.code : String(e)}`;
      }
    });
    t.deepEqual(got, manifest.refused.map((r) => `${r.id}: ${r.expected_refusal}`));
  });

  test(`${backend}: resetState() on a released session throws`, (t) => {
    const session = InferenceSession.create(binding, file(models[0]!.model));
    session.release();
    t.throws(() => session.resetState());
  });
}

// ---- XS ----

test('xs: every sequence vector matches TFLM invoke by invoke (resetState() between vectors)', async (t) => {
  const built = await new Promise<{ code: number; stderr: string }>((done) => {
    execFile('make', ['-s', '-C', join(repoRoot, 'host-sim/xs')], { timeout: 600_000 }, (error, _out, stderr) => done({ code: error ? 1 : 0, stderr }));
  });
  t.is(built.code, 0, built.stderr);
  const results = await runManifestXs(manifestPath);
  const problems: string[] = [];
  for (const m of models) {
    for (const v of m.vectors) {
      const r = results.find((x) => x.model === m.id && x.vector === v.name);
      if (r === undefined || r.output === undefined) problems.push(`${m.id} ${v.name}: ${JSON.stringify(r?.error ?? 'no result')}`);
      else if (!matches(m, r.output, file(v.output))) problems.push(`${m.id} ${v.name}: outputs differ`);
    }
  }
  t.deepEqual(problems, []);
  const refused = await Promise.all(manifest.refused.map(async (r) => {
    const res = await runModelXs(join(base, r.model));
    return `${r.id}: ${res.error !== undefined ? String(res.error.code) : 'loaded'}`;
  }));
  t.deepEqual(refused, manifest.refused.map((r) => `${r.id}: ${r.expected_refusal}`));
});
