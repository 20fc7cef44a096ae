// Subgraphs and resource variables (issue 14, group `subgraph`,
// tools/tflm-ops/subgraph.ts): CALL_ONCE, IF, WHILE, VAR_HANDLE,
// READ_VARIABLE, ASSIGN_VARIABLE. Every vector is a stream of K invokes on one
// fresh context, checked byte for byte against TFLM's outputs after each
// invoke on every CLI build, on wasm and node through InferenceSession, and on
// XS; resetState() makes CALL_ONCE run again and refills the variables; the
// committed models are what the generator writes; the 64-bit build sizes the
// 32-bit arena of these models exactly. The configurations TFLM refuses (or
// crashes on: recursion, a negative subgraph index, a variable never
// assigned) are in the manifest's `refused` list, which core-vectors,
// bindings and xs tests check on every backend.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { runManifestXs } from '../host-sim/xs/xs-backend.js';
import type { CoreBinding } from '../src/binding.js';
import { serializeTflite } from '../src/convert/tflite-write.js';
import { InferenceSession } from '../src/index.js';
import { refusedSpecs, specInputs, specs } from '../tools/tflm-ops/subgraph.js';
import { cliBuilds, optionalGroup } from './support/optional.js';
import { repoRoot, runCli } from './support/reference.js';
import { cliStreamProblems, runStream } from './support/tflm-group.js';

interface Vector { name: string; invokes: number; input: string; output: string; input_sha256: string }
interface Model { id: string; model: string; sha256: string; invokes: number; vectors: Vector[]; ops: Record<string, number> }
interface Refused { id: string; model: string; sha256: string; expected_refusal: string }

const base = join(repoRoot, 'test/data/tflm-ops/subgraph');
const manifestPath = join(base, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { models: Model[]; refused: Refused[] };
const models = manifest.models;
const file = (rel: string): Buffer => readFileSync(join(base, rel));

const scratch = mkdtempSync(join(tmpdir(), 'xtml-subgraph-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

test('the subgraph group covers the six operators, and its files are what tools/tflm-ops/subgraph.ts writes', (t) => {
  const ops = new Set(models.flatMap((m) => Object.keys(m.ops)));
  for (const op of ['CALL_ONCE', 'IF', 'WHILE', 'VAR_HANDLE', 'READ_VARIABLE', 'ASSIGN_VARIABLE']) t.true(ops.has(op), op);
  const written = specs();
  t.deepEqual(models.map((m) => m.id), written.map((s) => s.id));
  for (const s of written) {
    const m = models.find((x) => x.id === s.id)!;
    t.true(Buffer.from(serializeTflite(s.model)).equals(file(m.model)), `${s.id}: model bytes`);
    for (const v of m.vectors) t.true(Buffer.from(specInputs(s, Number(v.name.slice(4)))).equals(file(v.input)), `${s.id} ${v.name}: inputs`);
  }
  const refused = refusedSpecs();
  t.deepEqual(manifest.refused.map((r) => `${r.id}: ${r.expected_refusal}`), refused.map((r) => `${r.id}: XTML_STATUS_${r.expect}`));
  for (const r of refused) t.true(Buffer.from(serializeTflite(r.model)).equals(file(`refused/${r.id}.tflite`)), r.id);
});

// ---- the CLI builds: one process per model, --invokes K per vector ----

for (const build of cliBuilds) {
  optionalGroup(`${build.variant}: every subgraph vector matches TFLM invoke by invoke`, build.needs, () => {
    test(`${build.variant}: every subgraph vector matches TFLM invoke by invoke`, async (t) => {
      const problems = await cliStreamProblems(build.variant, base, scratch, models, (m) => m.invokes, (_m, got, want) => got.equals(want));
      t.deepEqual(problems, []);
    });
  });
}

test('the 64-bit CLI sizes the 32-bit arena of every subgraph model as the 32-bit wasm build needs it', async (t) => {
  const wasm = loadBinding('wasm');
  for (const m of models) {
    const r = await runCli('host', ['inspect', join(base, m.model), '--json', '--target', 'esp32']);
    t.is(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { arena_bytes: number; arena_bytes_host: number };
    t.is(info.arena_bytes, wasm.arenaSize(new Uint8Array(file(m.model))), m.id);
    t.true(info.arena_bytes_host > info.arena_bytes, m.id);
  }
});

// ---- wasm and node, through InferenceSession ----

const stream = runStream;

for (const backend of ['wasm', 'node'] as const) {
  const binding: CoreBinding = loadBinding(backend);

  test(`${backend}: every subgraph vector matches TFLM invoke by invoke, each after resetState()`, (t) => {
    for (const m of models) {
      const session = InferenceSession.create(binding, file(m.model));
      try {
        for (const v of m.vectors) {
          session.resetState();
          t.true(stream(session, file(v.input), v.invokes).equals(file(v.output)), `${m.id} ${v.name}`);
        }
      } finally {
        session.release();
      }
    }
  });

  test(`${backend}: variables carry between runs; resetState() runs CALL_ONCE again and refills them`, (t) => {
    for (const id of ['call_once_var_accumulate_f32', 'var_int8_read_before_assign']) {
      const m = models.find((x) => x.id === id)!;
      const v = m.vectors[0]!;
      const session = InferenceSession.create(binding, file(m.model));
      try {
        t.true(stream(session, file(v.input), v.invokes).equals(file(v.output)), `${id}: fresh`);
        // without a reset the stream goes on from the variable's last value
        t.false(stream(session, file(v.input), v.invokes).equals(file(v.output)), `${id}: the state made no difference`);
        session.resetState();
        t.true(stream(session, file(v.input), v.invokes).equals(file(v.output)), `${id}: after resetState()`);
      } finally {
        session.release();
      }
    }
  });
}

// ---- XS ----

test('xs: every subgraph vector matches TFLM invoke by invoke', async (t) => {
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
});
