// Every reference vector, byte for byte, on the 64-bit, 32-bit and
// sanitizer builds of the core.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, optionalGroup, optionalTest, variantNeeds } from './support/optional.js';
import { compareOutputs, limiter, loadManifest, runCli, type ModelSpec, type Variant } from './support/reference.js';

const variants: Variant[] = ['host', 'host32', 'asan'];
const models = needs.reference.present()
  ? [...loadManifest('models'), ...loadManifest('ops')].filter((m) => (m.vectors ?? []).length > 0)
  : [];
const limit = limiter(2);
const scratch = mkdtempSync(join(tmpdir(), 'xtml-vectors-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

let serial = 0;
async function runVectors(variant: Variant, model: ModelSpec): Promise<string[]> {
  const problems: string[] = [];
  for (const vector of model.vectors ?? []) {
    const out = join(scratch, `${variant}-${serial++}.bin`);
    const result = await limit(() =>
      runCli(variant, ['run', join(model.base, model.model), '--input', join(model.base, vector.input), '--output', out]),
    );
    if (result.code !== 0) {
      problems.push(`${vector.name}: exit ${result.code}: ${result.stderr.trim()}`);
      continue;
    }
    const diff = compareOutputs(model.id, readFileSync(out), readFileSync(join(model.base, vector.output)));
    if (diff !== null) problems.push(`${vector.name}: ${diff}`);
    if (variant === 'asan' && result.stderr.includes('runtime error')) problems.push(`${vector.name}: ${result.stderr}`);
  }
  return problems;
}

for (const variant of variants) {
  optionalGroup(`${variant}: every reference vector matches TFLM`, [needs.reference, ...variantNeeds[variant]], () => {
    for (const model of models) {
      test(`${variant}: ${model.id} matches TFLM on all ${model.vectors!.length} vectors`, async (t) => {
        t.deepEqual(await runVectors(variant, model), []);
      });
    }
  });
}

// Float TANH goes through the C library's tanhf; our builds must at least agree
// with each other bit for bit.
optionalTest('op_tanh_f32 is identical across our own builds', [needs.reference, ...variantNeeds.host32, ...variantNeeds.asan], async (t) => {
  const model = models.find((m) => m.id === 'op_tanh_f32');
  if (model === undefined) return t.fail('op_tanh_f32 missing from the manifest');
  for (const vector of model.vectors!) {
    const outputs = await Promise.all(
      variants.map(async (variant) => {
        const out = join(scratch, `tanh-${variant}-${vector.name}.bin`);
        const r = await limit(() =>
          runCli(variant, ['run', join(model.base, model.model), '--input', join(model.base, vector.input), '--output', out]),
        );
        t.is(r.code, 0, r.stderr);
        return readFileSync(out);
      }),
    );
    t.true(outputs[0]!.equals(outputs[1]!), `host vs host32 on ${vector.name}`);
    t.true(outputs[0]!.equals(outputs[2]!), `host vs asan on ${vector.name}`);
  }
});
