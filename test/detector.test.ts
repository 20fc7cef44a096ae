// The bundled digit detector (models/detector.tflite, issue 4): it loads and passes
// verification on every backend within its budget (model and arena <= 64 KB), its
// labels travel with it, its outputs on fixed held-out frames are byte-identical on
// every backend, and its accuracy on a fixed slice of the held-out set, run on our
// core, stays above a stated floor.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { loadModelsXs, runModelXs, xsHostPath } from '../host-sim/xs/xs-backend.js';
import { InferenceSession } from '../src/index.js';
import { evaluate, floatModelPath, inputFor, int8ModelPath, loadDescription, loadHeldOut, overall } from '../tools/detector.js';
import { needs, strict, type Requirement } from './support/optional.js';
import { repoRoot, runCli, type Variant } from './support/reference.js';

/** Overall F1 of the int8 model on the first ACCURACY_FRAMES held-out frames must stay
 * at or above this floor. The committed model scores 0.920 there (models/README.md); the
 * run is deterministic, so a drop means the model, the decoding or the core changed. */
const ACCURACY_FRAMES = 60;
const ACCURACY_FLOOR = 0.88;
/** Frames whose int8 outputs must be identical on every backend. */
const SAME_FRAMES = 4;
const BUDGET_BYTES = 64 * 1024;

/** Builds with optional tools run where those are present, and always under CI (failing there if absent). */
const usable = (requirements: Requirement[]): boolean => strict || requirements.every((r) => r.present());
const host32: Variant[] = usable([needs.host32]) ? ['host32'] : [];
const rv32: Variant[] = usable([needs.riscvGcc, needs.qemuRiscv32]) ? ['rv32imc-O2'] : [];
const variants: Variant[] = ['host', ...host32, 'asan', ...rv32];
const description = loadDescription();
const scratch = mkdtempSync(join(tmpdir(), 'xtml-detector-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const xsBuilt = new Promise<void>((resolvePromise, reject) => {
  execFile('make', ['-s', '-C', join(repoRoot, 'host-sim/xs')], (error, _stdout, stderr) =>
    error ? reject(new Error(`make -C host-sim/xs failed: ${stderr}`)) : resolvePromise());
});

for (const [kind, path] of [['int8', int8ModelPath], ['float32', floatModelPath]] as const) {
  test(`the ${kind} detector passes verification and loads on every backend`, async (t) => {
    for (const variant of variants) {
      const r = await runCli(variant, ['verify', path]);
      t.is(r.code, 0, `${variant}: ${r.stderr}`);
    }
    for (const backend of ['wasm', 'node'] as const) {
      const session = InferenceSession.create(loadBinding(backend), readFileSync(path));
      t.deepEqual(session.inputs[0]!.dims, [1, 96, 96, 1], backend);
      t.deepEqual(session.outputs[0]!.dims, [1, 12, 12, description.labels.length], backend);
      t.is(session.inputs[0]!.type, kind, backend);
      session.release();
    }
    await xsBuilt;
    const [xs] = await loadModelsXs([path]);
    t.is(xs?.error, undefined, `xs: ${JSON.stringify(xs?.error)} (${xsHostPath})`);
    t.true((xs?.arenaBytes ?? 0) > 0);
  });
}

test('the int8 detector fits the budget and carries its labels', async (t) => {
  for (const variant of ['host', ...host32, ...rv32] as Variant[]) {
    const r = await runCli(variant, ['inspect', int8ModelPath, '--json']);
    t.is(r.code, 0, r.stderr);
    const facts = JSON.parse(r.stdout) as { model_bytes: number; arena_bytes: number; macs: number; description?: string };
    t.true(facts.model_bytes <= BUDGET_BYTES, `model ${facts.model_bytes} bytes`);
    t.true(facts.arena_bytes <= BUDGET_BYTES, `${variant} arena ${facts.arena_bytes} bytes`);
    t.true(facts.macs > 0);
    const embedded = JSON.parse(facts.description ?? '{}') as { labels?: string[]; decode?: unknown };
    t.deepEqual(embedded.labels, description.labels);
    t.deepEqual(embedded.decode, description.decode);
  }
  t.deepEqual(description.labels, ['background', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('int8 outputs on fixed held-out frames are identical on every backend', async (t) => {
  const heldOut = loadHeldOut(SAME_FRAMES);
  const model = readFileSync(int8ModelPath);
  const expected = evaluate(loadBinding('wasm'), model, heldOut, description).outputs;
  t.deepEqual(evaluate(loadBinding('node'), model, heldOut, description).outputs, expected, 'node vs wasm');
  const probe = InferenceSession.create(loadBinding('wasm'), model);
  await xsBuilt;
  for (let i = 0; i < heldOut.frames.length; i++) {
    const input = join(scratch, `frame${i}.bin`);
    const q = inputFor(probe, heldOut.frames[i]!);
    writeFileSync(input, new Uint8Array(q.buffer, q.byteOffset, q.byteLength));
    for (const variant of variants) {
      const out = join(scratch, `out-${variant}-${i}.bin`);
      const r = await runCli(variant, ['run', int8ModelPath, '--input', input, '--output', out]);
      t.is(r.code, 0, r.stderr);
      t.deepEqual(new Uint8Array(readFileSync(out)), expected[i], `${variant}, frame ${i}`);
    }
    const xs = await runModelXs(int8ModelPath, { input });
    t.deepEqual(new Uint8Array(xs.output ?? []), expected[i], `xs, frame ${i}`);
  }
  probe.release();
  // not all background: some cell gives a digit more than 0.5 (int8 > 0)
  const digitCell = (o: Uint8Array) =>
    new Int8Array(o.buffer, o.byteOffset, o.byteLength).some((q, j) => j % description.labels.length !== 0 && q > 0);
  t.true(expected.some(digitCell));
});

test(`int8 accuracy on the first ${ACCURACY_FRAMES} held-out frames stays >= ${ACCURACY_FLOOR} F1`, (t) => {
  const heldOut = loadHeldOut(ACCURACY_FRAMES);
  const r = evaluate(loadBinding('node'), readFileSync(int8ModelPath), heldOut, description);
  const all = overall(r.counts);
  t.log(`precision ${all.precision.toFixed(3)} recall ${all.recall.toFixed(3)} F1 ${all.f1.toFixed(3)} ` +
    `(${all.tp} tp, ${all.fp} fp, ${all.fn} fn), ${r.msPerFrame.toFixed(2)} ms per frame`);
  t.true(all.f1 >= ACCURACY_FLOOR, `F1 ${all.f1.toFixed(3)} < ${ACCURACY_FLOOR}`);
});
