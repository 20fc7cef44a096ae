// Every reference vector, byte for byte, on the 64-bit, 32-bit and
// sanitizer builds of the core.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compareOutputs,
  floatTranscendentalModels,
  limiter,
  loadManifest,
  runCli,
  ulpTolerance,
  type ModelSpec,
  type Variant,
} from './support/reference.js';

const variants: Variant[] = ['host', 'host32', 'asan'];
const models = [...loadManifest('models'), ...loadManifest('ops')].filter((m) => (m.vectors ?? []).length > 0);
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
  for (const model of models) {
    test(`${variant}: ${model.id} matches TFLM on all ${model.vectors!.length} vectors`, async (t) => {
      t.deepEqual(await runVectors(variant, model), []);
    });
  }
}

// Float LOGISTIC, SOFTMAX and TANH: compared within ulpTolerance of the
// expected file above (which holds glibc's expf/tanhf results); among our
// own builds they must agree bit for bit.
test('float LOGISTIC, SOFTMAX and TANH models are exactly the ones compared within ulps', (t) => {
  t.deepEqual(floatTranscendentalModels(models), Object.keys(ulpTolerance).sort());
});

for (const id of Object.keys(ulpTolerance)) {
  test(`${id} is identical across our own builds (${variants.join(', ')})`, async (t) => {
    const model = models.find((m) => m.id === id);
    if (model === undefined) return t.fail(`${id} missing from the manifest`);
    for (const vector of model.vectors!) {
      const outputs = await Promise.all(
        variants.map(async (variant) => {
          const out = join(scratch, `same-${id}-${variant}-${vector.name}.bin`);
          const r = await limit(() =>
            runCli(variant, ['run', join(model.base, model.model), '--input', join(model.base, vector.input), '--output', out]),
          );
          t.is(r.code, 0, r.stderr);
          return r.code === 0 ? readFileSync(out) : Buffer.alloc(0);
        }),
      );
      for (let i = 1; i < variants.length; i++) {
        t.true(outputs[0]!.equals(outputs[i]!), `${variants[0]} vs ${variants[i]} on ${vector.name}`);
      }
    }
  });
}
