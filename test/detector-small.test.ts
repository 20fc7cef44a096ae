// The compressed detector (models/detector-small.tflite, issue 11 point 5): distilled
// from the bundled detector into a pruned network, converted by our converter. It
// passes verification, fits issue 11's budget (at most 24 KB of model, 2.5 M MACs),
// carries its own labels and thresholds, gives the same bytes on every backend, meets
// the F1 goal on the whole held-out set, and the model card's variants table quotes
// the CLI's facts for it.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession } from '../src/index.js';
import { evaluate, inputFor, loadDescription, loadHeldOut, modelsDir, overall } from '../tools/detector.js';
import { needs, optionalTest, variantNeeds } from './support/optional.js';
import { runCli, type Variant } from './support/reference.js';

const NAME = 'detector-small';
const int8Path = join(modelsDir, `${NAME}.tflite`);
const floatPath = join(modelsDir, `${NAME}_float.tflite`);
/** Issue 11, point 5. */
const MAX_BYTES = 24 * 1024;
const MAX_MACS = 2_500_000;
const QUALITY_FLOOR = 0.88;
const description = loadDescription(NAME);
const scratch = mkdtempSync(join(tmpdir(), 'xtml-detector-small-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

interface Facts { model_bytes: number; arena_bytes: number; macs: number; description?: string }
async function inspect(variant: Variant, path = int8Path): Promise<Facts> {
  const r = await runCli(variant, ['inspect', path, '--json']);
  if (r.code !== 0) throw new Error(`${variant} inspect: ${r.stderr}`);
  return JSON.parse(r.stdout) as Facts;
}

for (const variant of ['host', 'host32', 'asan'] as const) {
  optionalTest(`the small detector (int8 and float) passes verification on the ${variant} build of the C CLI`,
    variant === 'host32' ? [needs.host32] : variantNeeds[variant], async (t) => {
      for (const path of [int8Path, floatPath]) {
        const r = await runCli(variant, ['verify', path]);
        t.is(r.code, 0, `${path}: ${r.stderr}`);
      }
    });
}

test("the small detector fits issue 11's budget and carries its own labels and thresholds", async (t) => {
  const facts = await inspect('host');
  t.true(facts.model_bytes <= MAX_BYTES, `model ${facts.model_bytes} bytes`);
  t.is(facts.model_bytes, readFileSync(int8Path).length);
  t.true(facts.macs > 0 && facts.macs <= MAX_MACS, `${facts.macs} MACs`);
  const embedded = JSON.parse(facts.description ?? '{}') as { labels?: string[]; decode?: unknown; name?: string };
  t.deepEqual(embedded.labels, ['background', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  t.deepEqual(embedded.decode, description.decode);
  t.regex(embedded.name ?? '', /detector-small/);
  // smaller than the detector it was distilled from, on every count
  const big = await inspect('host', join(modelsDir, 'detector.tflite'));
  t.true(facts.model_bytes < big.model_bytes && facts.macs < big.macs && facts.arena_bytes < big.arena_bytes);
});

optionalTest("the model card's variants table quotes the CLI's bytes, MACs and 32-bit arena for the small detector", [needs.host32], async (t) => {
  const facts = await inspect('host32');
  const n = (x: number): string => x.toLocaleString('en-US');
  const card = readFileSync(join(modelsDir, 'README.md'), 'utf8');
  t.regex(card, new RegExp(`\\| \`${NAME}\\.tflite\` \\(int8\\) \\| ${n(facts.model_bytes)} \\| ${n(facts.macs)} \\| ${n(facts.arena_bytes)} \\|`));
});

test('the small detector gives the same output bytes on wasm, node and the host CLI', async (t) => {
  const frames = loadHeldOut(3);
  const bytes = readFileSync(int8Path);
  const wasm = evaluate(loadBinding('wasm'), bytes, frames, description).outputs;
  t.deepEqual(evaluate(loadBinding('node'), bytes, frames, description).outputs, wasm);
  const probe = InferenceSession.create(loadBinding('wasm'), bytes);
  try {
    for (const [i, frame] of frames.frames.entries()) {
      const input = join(scratch, `frame${i}.bin`);
      const output = join(scratch, `out${i}.bin`);
      const q = inputFor(probe, frame);
      writeFileSync(input, new Uint8Array(q.buffer, q.byteOffset, q.byteLength));
      const r = await runCli('host', ['run', int8Path, '--input', input, '--output', output]);
      t.is(r.code, 0, r.stderr);
      t.deepEqual(new Uint8Array(readFileSync(output)), wasm[i], `frame ${i}`);
    }
  } finally {
    probe.release();
  }
});

test(`quality floor: the small detector's int8 F1 on the whole held-out set is at least ${QUALITY_FLOOR} (issue 11's goal)`, (t) => {
  const heldOut = loadHeldOut();
  t.is(heldOut.frames.length, 200);
  const all = overall(evaluate(loadBinding('node'), readFileSync(int8Path), heldOut, description).counts);
  t.log(`precision ${all.precision.toFixed(3)} recall ${all.recall.toFixed(3)} F1 ${all.f1.toFixed(3)} (${all.tp} tp, ${all.fp} fp, ${all.fn} fn)`);
  t.is(all.tp + all.fn, 416, 'the 416 digits of the held-out set');
  t.true(all.f1 >= QUALITY_FLOOR, `F1 ${all.f1.toFixed(3)} < ${QUALITY_FLOOR}`);
});
