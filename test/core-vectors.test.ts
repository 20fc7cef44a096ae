// Every reference vector, byte for byte, on the 64-bit, 32-bit x86 and
// sanitizer builds of the core, on the reference-kernel build (the oracle of
// the fast kernels) and the scalar one (the fast kernels of 32-bit MCUs, on
// the host), and on the rv32imc builds (-O2, -Os) run under qemu-riscv32. One
// CLI process per model runs all its vectors.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBuilds, needs, optionalGroup, optionalTest, variantNeeds } from './support/optional.js';
import {
  compareOutputs, floatTranscendentalModels, limiter, loadManifest, loadTflmRefused, runCli, singleInvoke, ulpTolerance,
  type ModelSpec, type Variant,
} from './support/reference.js';

const builds = cliBuilds;
const models = needs.reference.present()
  ? [...loadManifest('models'), ...loadManifest('ops')].filter((m) => (m.vectors ?? []).length > 0)
  : [];
const tflmOps = loadManifest('tflm').filter(singleInvoke);
const tflmRefused = loadTflmRefused();
const limit = limiter(2);
const scratch = mkdtempSync(join(tmpdir(), 'xtml-vectors-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

let serial = 0;

/** Run all of a model's vectors in one process; the output files, in vector order. */
async function runAll(variant: Variant, model: ModelSpec): Promise<{ outputs: string[]; error: string | null; stderr: string }> {
  const args = ['run', join(model.base, model.model)];
  const outputs: string[] = [];
  for (const vector of model.vectors ?? []) {
    const out = join(scratch, `${variant}-${serial++}.bin`);
    outputs.push(out);
    args.push('--input', join(model.base, vector.input), '--output', out);
  }
  const result = await limit(() => runCli(variant, args));
  return { outputs, error: result.code === 0 ? null : `exit ${result.code}: ${result.stderr.trim()}`, stderr: result.stderr };
}

async function runVectors(variant: Variant, model: ModelSpec): Promise<string[]> {
  const { outputs, error, stderr } = await runAll(variant, model);
  if (error !== null) return [error];
  const tolerance = ulpTolerance[model.id] ?? model.ulp_tolerance;
  const problems: string[] = [];
  model.vectors!.forEach((vector, i) => {
    const diff = compareOutputs(model.id, readFileSync(outputs[i]!), readFileSync(join(model.base, vector.output)), tolerance);
    if (diff !== null) problems.push(`${vector.name}: ${diff}`);
  });
  if (variant === 'asan' && stderr.includes('runtime error')) problems.push(stderr);
  return problems;
}

for (const build of builds) {
  optionalGroup(`${build.variant}: every reference vector matches TFLM`, [needs.reference, ...build.needs], () => {
    for (const model of models) {
      test(`${build.variant}: ${model.id} matches TFLM on all ${model.vectors!.length} vectors`, async (t) => {
        t.deepEqual(await runVectors(build.variant, model), []);
      });
    }
  });
}

for (const build of builds) {
  optionalGroup(`${build.variant}: every tflm-ops vector matches TFLM`, build.needs, () => {
    for (const model of tflmOps) {
      test(`${build.variant}: tflm-ops ${model.id} matches TFLM on all ${model.vectors!.length} vectors`, async (t) => {
        t.deepEqual(await runVectors(build.variant, model), []);
      });
    }
    if (tflmRefused.length > 0) {
      test(`${build.variant}: the ${tflmRefused.length} tflm-ops configurations TFLM refuses are refused with their status`, async (t) => {
        const outcomes = await Promise.all(tflmRefused.map((r) => limit(() => runCli(build.variant, ['inspect', join(r.base, r.model)]))));
        tflmRefused.forEach((r, i) => {
          const got = outcomes[i]!;
          t.is(got.code, 1, `${r.id}: ${got.stderr}`);
          t.true(got.stderr.startsWith(`${r.expected_refusal}: `), `${r.id}: ${got.stderr}`);
        });
      });
    }
  });
}

/** Outputs of every vector of a model on each variant, side by side. */
async function outputsOn(variants: Variant[], model: ModelSpec): Promise<Buffer[][]> {
  return Promise.all(variants.map(async (variant) => {
    const { outputs, error } = await runAll(variant, model);
    if (error !== null) throw new Error(`${variant}: ${error}`);
    return outputs.map((o) => readFileSync(o));
  }));
}

// Float LOGISTIC, SOFTMAX and TANH: compared within ulpTolerance of the
// expected files above (which hold glibc's expf/tanhf results); the core
// computes exp and tanh itself, so all our builds, glibc or picolibc, must
// agree bit for bit.
optionalTest('float LOGISTIC, SOFTMAX and TANH models are exactly the ones compared within ulps', [needs.reference], (t) => {
  t.deepEqual(floatTranscendentalModels(models), Object.keys(ulpTolerance).sort());
});

optionalTest('float LOGISTIC, SOFTMAX and TANH are identical on host, host32, asan and rv32imc -O2/-Os',
  [needs.reference, needs.host32, ...variantNeeds.asan, ...variantNeeds['rv32imc-O2']], async (t) => {
    const variants: Variant[] = ['host', 'host32', 'asan', 'rv32imc-O2', 'rv32imc-Os'];
    for (const id of Object.keys(ulpTolerance)) {
      const model = models.find((m) => m.id === id);
      if (model === undefined) return t.fail(`${id} missing from the manifest`);
      const outputs = await outputsOn(variants, model);
      model.vectors!.forEach((vector, i) => {
        for (let v = 1; v < variants.length; v++) {
          t.true(outputs[0]![i]!.equals(outputs[v]![i]!), `${id} ${vector.name}: ${variants[0]} vs ${variants[v]}`);
        }
      });
    }
  });
