// The fast int8 kernels of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
// (native/src/xtml_kernels_s8.c) byte for byte against the reference kernels
// (build/reference: -DXTML_REFERENCE_KERNELS) on random models
// (test/support/random-ops.ts), each run on two seeded inputs:
//
//   host         the 128-bit SIMD variant (SSE2)
//   scalar       the scalar variant of 32-bit MCUs (-DXTML_NO_SIMD), natively
//   rv32imc-O2   the scalar variant compiled for rv32imc, under qemu-riscv32
//                (a quarter of the models: each process pays for the emulator)
//
// and the fast requantization against TFLM's formula on edge and random
// values (native/test/test_requant.c) on the same three builds. The
// WebAssembly SIMD variant is compared in wasm-simd.test.ts.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { randomConv, randomFullyConnected, Seeded, type RandomModel } from './support/random-ops.js';
import { limiter, repoRoot, runCli, runProgram, type Variant } from './support/reference.js';

const scratch = mkdtempSync(join(tmpdir(), 'xtml-kernels-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

interface Case {
  model: RandomModel;
  path: string;
  inputs: string[];
}

const families: { name: string; count: number; generate: (r: Seeded) => RandomModel }[] = [
  { name: 'CONV_2D', count: 240, generate: (r) => randomConv(r, false, false) },
  { name: 'DEPTHWISE_CONV_2D', count: 240, generate: (r) => randomConv(r, true, false) },
  { name: 'FULLY_CONNECTED', count: 150, generate: (r) => randomFullyConnected(r, false) },
];

/** The models and their inputs, written once for every build. */
const cases = new Map<string, Case[]>();
for (const family of families) {
  const r = new Seeded(0x6b65726e + family.count * 31 + family.name.length);
  const list: Case[] = [];
  for (let i = 0; i < family.count; i++) {
    const model = family.generate(r);
    const path = join(scratch, `${family.name}-${i}.tflite`);
    writeFileSync(path, model.bytes);
    const inputs = [0, 1].map((k) => {
      const input = join(scratch, `${family.name}-${i}.in${k}.bin`);
      writeFileSync(input, r.bytes(model.inputBytes, false));
      return input;
    });
    list.push({ model, path, inputs });
  }
  cases.set(family.name, list);
}

const limit = limiter(2);
let serial = 0;

/** The outputs of both inputs of a case, concatenated; or why the run failed. */
async function outputs(variant: Variant, c: Case): Promise<Buffer | string> {
  const files = c.inputs.map(() => join(scratch, `out-${serial++}.bin`));
  const args = ['run', c.path];
  c.inputs.forEach((input, k) => args.push('--input', input, '--output', files[k]!));
  const r = await limit(() => runCli(variant, args));
  if (r.code !== 0) return `exit ${r.code}: ${r.stderr.trim()}`;
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

const referenceOutputs = new Map<Case, Promise<Buffer | string>>();
function reference(c: Case): Promise<Buffer | string> {
  let p = referenceOutputs.get(c);
  if (p === undefined) {
    p = outputs('reference', c);
    referenceOutputs.set(c, p);
  }
  return p;
}

const builds: { variant: Variant; every: number; needs: Requirement[] }[] = [
  { variant: 'host', every: 1, needs: [] },
  { variant: 'scalar', every: 1, needs: [] },
  { variant: 'rv32imc-O2', every: 4, needs: [needs.riscvGcc, needs.qemuRiscv32] },
];

for (const build of builds) {
  for (const family of families) {
    const count = Math.ceil(family.count / build.every);
    optionalTest(`${build.variant}: ${count} random int8 ${family.name} models = reference kernels`, build.needs, async (t) => {
      const list = cases.get(family.name)!.filter((_, i) => i % build.every === 0);
      const problems: string[] = [];
      await Promise.all(list.map(async (c) => {
        const [got, want] = await Promise.all([outputs(build.variant, c), reference(c)]);
        // Every model must run: a refusal would make a test that tests nothing.
        if (typeof want === 'string' || typeof got === 'string') {
          problems.push(`${c.model.description}: ${typeof got === 'string' ? got : 'runs'}, reference ${typeof want === 'string' ? want : 'runs'}`);
        } else if (!got.equals(want)) {
          let i = 0;
          while (got[i] === want[i]) i++;
          problems.push(`${c.model.description}: first difference at output byte ${i} of ${want.length}: ${got[i]} vs ${want[i]}`);
        }
      }));
      t.deepEqual(problems, []);
    });
  }
}

const requantPrograms: { variant: Variant; needs: Requirement[] }[] = [
  { variant: 'host', needs: [] },
  { variant: 'scalar', needs: [] },
  { variant: 'rv32imc-O2', needs: [needs.riscvGcc, needs.qemuRiscv32] },
];
for (const { variant, needs: required } of requantPrograms) {
  optionalTest(`${variant}: the fast requantization equals TFLM's on edge and random values`, required, async (t) => {
    const r = await runProgram(variant, join(repoRoot, 'build', variant, 'test_requant'), []);
    t.is(r.code, 0, r.stdout + r.stderr);
    t.regex(r.stdout, /^0 of \d+ requantizations differ/m);
  });
}
