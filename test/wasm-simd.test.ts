// The WebAssembly SIMD kernels (native/src/xtml_kernels_s8.c, the 128-bit
// variant) byte for byte against the reference kernels, on inputs and shapes
// the reference vectors do not cover:
//
//   - every reference and operator model, on seeded random inputs;
//   - random CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED models, int8 and
//     float32 (test/support/random-ops.ts).
//
// The reference is the same core built without SIMD and with every operator
// on its reference kernel (native/wasm/build.sh --reference, needs emcc). The
// SIMD module is the committed xtml.wasm (bindings.test.ts checks that it is
// what the sources build). The host builds' fast kernels (SSE2 and the
// scalar ones of 32-bit MCUs) are compared with the reference in
// kernels.test.ts.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding, wasmPath } from '../host-sim/node/backends.js';
import type { CoreBinding } from '../src/binding.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { bytesOf, typedView, type TypedArray } from '../src/tensor.js';
import { createWasmBindingSync } from '../src/wasm.js';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { loadManifest, repoRoot, type ModelSpec } from './support/reference.js';
import { randomFamilies, Seeded } from './support/random-ops.js';

const simd = createWasmBindingSync(readFileSync(wasmPath));
const addon = loadBinding('node');

// The reference build of the same sources, when emcc is here to make it.
const scratch = mkdtempSync(join(tmpdir(), 'xtml-reference-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
let reference: CoreBinding | undefined;
function referenceBinding(): CoreBinding {
  if (reference === undefined) {
    const out = join(scratch, 'xtml-reference.wasm');
    const r = spawnSync(join(repoRoot, 'native/wasm/build.sh'), ['--reference', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`native/wasm/build.sh --reference failed: ${r.stderr}`);
    reference = createWasmBindingSync(readFileSync(out));
  }
  return reference;
}

/** The builds the SIMD module is compared against: the reference kernels (wasm,
 * needs emcc), and the Node addon's own fast kernels (SSE2, always built) as a second opinion. */
const oracles: [string, () => CoreBinding, Requirement[]][] = [
  ['wasm reference kernels', referenceBinding, [needs.emcc]],
  ['the Node addon', () => {
    if (addon.backend !== 'node') throw new Error('the Node addon did not load (npm run build:addon)');
    return addon;
  }, []],
];

/** Seeded inputs for each of a session's inputs (the reference README's scheme). */
function inputsFor(seeded: Seeded, session: InferenceSession): TypedArray[] {
  return session.inputs.map((meta) => {
    const bytes = seeded.bytes(meta.bytes, meta.type === 'float32');
    return typedView(meta.type, bytes.buffer, 0, meta.bytes);
  });
}

/** Outputs of `runs` seeded inputs, concatenated; or the error creating the session. */
function outputs(binding: CoreBinding, model: Uint8Array, seed: number, runs: number): Buffer | string {
  let session: InferenceSession;
  try {
    session = InferenceSession.create(binding, model);
  } catch (error) {
    if (error instanceof XtmlError) return error.code;
    throw error;
  }
  const seeded = new Seeded(seed);
  const parts: Buffer[] = [];
  for (let r = 0; r < runs; r++) {
    for (const out of session.run(inputsFor(seeded, session))) parts.push(Buffer.from(bytesOf(out.data)));
  }
  session.release();
  return Buffer.concat(parts);
}

/** null when the SIMD module and `reference` agree on the model, else why not. */
function difference(reference: CoreBinding, model: Uint8Array, seed: number, runs: number): string | null {
  const got = outputs(simd, model, seed, runs);
  const want = outputs(reference, model, seed, runs);
  if (typeof got === 'string' || typeof want === 'string') {
    return got === want ? null : `SIMD ${typeof got === 'string' ? got : 'runs'}, reference ${typeof want === 'string' ? want : 'runs'}`;
  }
  if (got.equals(want)) return null;
  let i = 0;
  while (got[i] === want[i]) i++;
  return `first difference at output byte ${i} of ${want.length}: ${got[i]} vs ${want[i]}`;
}

test('the committed xtml.wasm uses WebAssembly SIMD (i32x4.dot_i16x8_s)', (t) => {
  const bytes = readFileSync(wasmPath);
  // 0xfd is the SIMD prefix; 186 (LEB128 0xba 0x01) is i32x4.dot_i16x8_s.
  t.true(bytes.includes(Buffer.from([0xfd, 0xba, 0x01])));
});

// ---- every reference model on random inputs ----

const models = needs.reference.present() ? [...loadManifest('models'), ...loadManifest('ops')] : [];
optionalTest(`all ${models.length} reference and operator models: SIMD = reference on seeded inputs`, [needs.reference, needs.emcc], (t) => {
  const oracle = referenceBinding();
  const problems: string[] = [];
  for (const [i, m] of models.entries()) {
    const bytes = readFileSync(join((m as ModelSpec).base, m.model));
    const diff = difference(oracle, bytes, 7001 + i, 2);
    if (diff !== null) problems.push(`${m.id}: ${diff}`);
  }
  t.true(models.length > 0);
  t.deepEqual(problems, []);
});

// ---- random single-operator models ----

for (const { name: family, count, generate } of randomFamilies) {
  for (const [name, oracleOf, requirements] of oracles) {
    optionalTest(`${count} random ${family} models: SIMD = ${name}`, requirements, (t) => {
      const oracle = oracleOf();
      const r = new Seeded(0x51d0 + family.length * 7919 + count);
      const problems: string[] = [];
      let refused = 0;
      for (let i = 0; i < count; i++) {
        const model = generate(r);
        const seed = r.next();
        // Every model must run: a refusal would mean a test that tests nothing.
        if (typeof outputs(simd, model.bytes, seed, 1) === 'string') refused++;
        const diff = difference(oracle, model.bytes, seed, 2);
        if (diff !== null) problems.push(`${model.description}: ${diff}`);
      }
      t.is(refused, 0, 'models refused at load');
      t.deepEqual(problems, []);
    });
  }
}
