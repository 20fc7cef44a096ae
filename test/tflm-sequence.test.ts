// Operators that keep state between invokes (issue 14, group `sequence`):
// every vector of test/data/tflm-ops/sequence is a stream of K invokes from a
// fresh state, checked byte for byte against TFLM's outputs after each
// invoke, on every CLI build (host, host32, ASan, reference, scalar, rv32imc
// -O2/-Os), on wasm and node through InferenceSession, and on XS. Also: the
// state changes the outputs (the same input twice gives two answers), and
// resetState() brings back the first invoke's outputs; the configurations
// TFLM refuses are refused by every backend with a specific status.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { runManifestXs, runModelXs } from '../host-sim/xs/xs-backend.js';
import type { CoreBinding } from '../src/binding.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { bytesOf, typedView } from '../src/tensor.js';
import { cliBuilds, needs, optionalGroup, variantNeeds } from './support/optional.js';
import { limiter, repoRoot, runCli, type Variant } from './support/reference.js';

interface SeqVector { name: string; invokes: number; input: string; output: string }
interface SeqModel { id: string; model: string; invokes: number; vectors: SeqVector[]; state: { tensor: number; name: string }[] }
interface Refused { id: string; model: string; expected_refusal: string }

const base = join(repoRoot, 'test/data/tflm-ops/sequence');
const manifestPath = join(base, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { models: SeqModel[]; refused: Refused[] };
const models = manifest.models;
const file = (rel: string): Buffer => readFileSync(join(base, rel));

const scratch = mkdtempSync(join(tmpdir(), 'xtml-seq-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
const limit = limiter(2);
let serial = 0;

test('the sequence group has SVDF models in float32 and int8 (int16 and int8 state), each vector several invokes long', (t) => {
  t.true(models.length >= 8);
  const ids = models.map((m) => m.id);
  t.true(ids.some((id) => id.startsWith('svdf_f32_')));
  t.true(ids.some((id) => id.startsWith('svdf_s8_s16_')));
  t.true(ids.some((id) => id.startsWith('svdf_s8_s8_')));
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
      const problems: string[] = [];
      await Promise.all(models.map(async (m) => {
        const invokes = m.vectors[0]!.invokes;
        t.true(m.vectors.every((v) => v.invokes === invokes));
        const args = ['run', join(base, m.model), '--invokes', String(invokes)];
        const outs = m.vectors.map((v) => {
          const out = join(scratch, `${build.variant}-${serial++}.bin`);
          args.push('--input', join(base, v.input), '--output', out);
          return out;
        });
        const r = await limit(() => runCli(build.variant, args));
        if (r.code !== 0) {
          problems.push(`${m.id}: exit ${r.code}: ${r.stderr.trim()}`);
          return;
        }
        if (build.variant === 'asan' && r.stderr.includes('runtime error')) problems.push(`${m.id}: ${r.stderr}`);
        m.vectors.forEach((v, i) => {
          if (!readFileSync(outs[i]!).equals(file(v.output))) problems.push(`${m.id} ${v.name}: outputs differ`);
        });
      }));
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

// ---- wasm and node, through InferenceSession ----

/** The outputs of a stream: resetState, then one run per set of inputs, outputs concatenated. */
function stream(session: InferenceSession, input: Buffer, invokes: number, reset = true): Buffer {
  if (reset) session.resetState();
  const per = input.length / invokes;
  const parts: Buffer[] = [];
  for (let k = 0; k < invokes; k++) {
    let at = k * per;
    const feeds = session.inputs.map((meta) => {
      const bytes = new Uint8Array(input.subarray(at, at + meta.bytes));
      at += meta.bytes;
      return typedView(meta.type, bytes.buffer, 0, meta.bytes);
    });
    for (const out of session.run(feeds)) parts.push(Buffer.from(bytesOf(out.data)));
  }
  return Buffer.concat(parts);
}

for (const backend of ['wasm', 'node'] as const) {
  const binding: CoreBinding = loadBinding(backend);

  test(`${backend}: every sequence vector matches TFLM invoke by invoke, and again after resetState()`, (t) => {
    for (const m of models) {
      const session = InferenceSession.create(binding, file(m.model));
      try {
        // the vectors one after another on one session: each starts from a reset state
        for (const v of m.vectors) t.true(stream(session, file(v.input), v.invokes).equals(file(v.output)), `${m.id} ${v.name}`);
        for (const v of m.vectors) t.true(stream(session, file(v.input), v.invokes).equals(file(v.output)), `${m.id} ${v.name} again`);
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
        t.true(stream(session, input, v.invokes, false).equals(expected), m.id);
        // without a reset the same stream continues from the state it left: different outputs
        t.false(stream(session, input, v.invokes, false).equals(expected), `${m.id}: the state made no difference`);
        t.true(stream(session, input, v.invokes).equals(expected), `${m.id}: after resetState()`);
        // the same input twice in a row gives two different answers
        const one = input.subarray(0, input.length / v.invokes);
        session.resetState();
        const first = stream(session, one, 1, false);
        t.false(stream(session, one, 1, false).equals(first), `${m.id}: a second invoke on the same input gave the same output`);
        t.true(first.equals(expected.subarray(0, expected.length / v.invokes)), `${m.id}: first invoke`);
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
      else if (!r.output.equals(file(v.output))) problems.push(`${m.id} ${v.name}: outputs differ`);
    }
  }
  t.deepEqual(problems, []);
  const refused = await Promise.all(manifest.refused.map(async (r) => {
    const res = await runModelXs(join(base, r.model));
    return `${r.id}: ${res.error !== undefined ? String(res.error.code) : 'loaded'}`;
  }));
  t.deepEqual(refused, manifest.refused.map((r) => `${r.id}: ${r.expected_refusal}`));
});
