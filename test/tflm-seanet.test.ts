// SEANet's 127 16x8 layers from upstream TFLM's integration tests, on
// upstream's own inputs, against the TFLM oracle's outputs
// (test/data/tflm-ops/seanet.json, tools/tflm-ops/seanet.ts) on wasm and node.
// The models and inputs are upstream's and are not committed: the tests run
// where a TFLM checkout is present (XTML_TFLM_DIR, default /work/scratch-tflm)
// and are skipped, saying so, where it is not. The layers the core refuses are
// listed with their status below, so a change in either direction shows.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { bytesOf, typedView } from '../src/tensor.js';
import { seanetInput, type SeanetModel } from '../tools/tflm-ops/seanet.js';
import { repoRoot } from './support/reference.js';

const data = JSON.parse(readFileSync(join(repoRoot, 'test/data/tflm-ops/seanet.json'), 'utf8')) as { models: SeanetModel[] };
const tflm = process.env['XTML_TFLM_DIR'] ?? '/work/scratch-tflm';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * What the core refuses that TFLM runs, and why: none since int64 constants
 * need only 4-byte alignment (the TRANSPOSE_CONV layers' int64 biases start at
 * file offset 84). Kept as a list so a refusal shows with its status.
 */
const refused: Record<string, string> = {};

test('the SEANet data: 127 layers, every one run by the oracle', (t) => {
  t.is(data.models.length, 127);
  t.deepEqual(data.models.filter((m) => m.tflm_refused !== undefined).map((m) => m.id), []);
  t.true(Object.keys(refused).every((id) => data.models.some((m) => m.id === id)));
});

for (const backend of ['wasm', 'node'] as const) {
  const title = `${backend}: SEANet's 16x8 layers give the TFLM oracle's bytes on upstream's inputs (${127 - Object.keys(refused).length} run, ${Object.keys(refused).length} refused)`;
  const missing = data.models.find((m) => !existsSync(join(tflm, m.path)));
  if (missing !== undefined) {
    test.skip(`${title} (skipped: ${join(tflm, missing.path)} is absent; a TFLM checkout at 90b983c: set XTML_TFLM_DIR)`, () => undefined);
    continue;
  }
  test(title, (t) => {
    const binding = loadBinding(backend);
    for (const m of data.models) {
      const bytes = readFileSync(join(tflm, m.path));
      if (sha256(bytes) !== m.sha256) { t.fail(`${m.id}: ${m.path} is not the model the data was made from`); continue; }
      const dir = m.path.split('/').slice(0, -1).join('/');
      const input = seanetInput(tflm, m.inputs.map((f) => join(dir, f)));
      t.is(sha256(input), m.input_sha256, `${m.id} inputs`);
      let session: InferenceSession;
      try {
        session = InferenceSession.create(binding, bytes);
      } catch (e) {
        t.true(e instanceof XtmlError, String(e));
        t.is((e as XtmlError).code, refused[m.id] ?? 'runs', `${m.id}: ${(e as Error).message}`);
        continue;
      }
      try {
        t.is(refused[m.id], undefined, `${m.id} runs now: take it off the refused list`);
        let at = 0;
        const feeds = session.inputs.map((meta) => {
          const b = new Uint8Array(input.subarray(at, at + meta.bytes));
          at += meta.bytes;
          return typedView(meta.type, b.buffer, 0, meta.bytes);
        });
        t.is(at, input.length, `${m.id}: input bytes`);
        const got = Buffer.concat(session.run(feeds).map((o) => Buffer.from(bytesOf(o.data))));
        t.is(got.length, m.output_bytes ?? -1, `${m.id} output bytes`);
        t.is(sha256(got), m.output_sha256 ?? '', `${m.id}: the oracle's bytes`);
      } finally {
        session.release();
      }
    }
  });
}
