// The arena: exact before allocation, and no larger than TFLM's on a 32-bit build.
import test from 'ava';
import { join } from 'node:path';
import { needs, optionalGroup, variantNeeds } from './support/optional.js';
import { loadManifest, runCli } from './support/reference.js';

optionalGroup("32-bit arena <= TFLM's wasm32 arena_used_bytes, every reference model", [needs.reference, ...variantNeeds.host32], () => {
  const runnable = loadManifest('models').filter((m) => m.tflm['arena_used_bytes_wasm32'] != null);
  for (const model of runnable) {
    test(`${model.id}: 32-bit arena <= TFLM's wasm32 arena_used_bytes`, async (t) => {
      const r = await runCli('host32', ['inspect', join(model.base, model.model), '--json']);
      t.is(r.code, 0, r.stderr);
      const ours = (JSON.parse(r.stdout) as { arena_bytes: number }).arena_bytes;
      const tflm = model.tflm['arena_used_bytes_wasm32']!;
      t.log(`ours ${ours} bytes, TFLM ${tflm} bytes`);
      t.true(ours <= tflm, `ours ${ours} > TFLM ${tflm}`);
    });
  }
});
