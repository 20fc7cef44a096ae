// The same bad model gives the same error code on all three engines:
// WebAssembly, the Node addon and XS (the desktop host running the very
// binding a device runs).
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { loadModelsXs } from '../host-sim/xs/xs-backend.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { loadManifest, referenceDir, seededBytes } from './support/reference.js';
import { needs, optionalTest } from './support/optional.js';

const scratch = mkdtempSync(join(tmpdir(), 'xtml-engines-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

function outcome(backend: 'wasm' | 'node', bytes: Uint8Array): string {
  try {
    InferenceSession.create(loadBinding(backend), bytes).release();
    return 'ok';
  } catch (e) {
    if (e instanceof XtmlError) return e.code;
    throw e;
  }
}

/** Bad models: classes by construction, then seeded random corruptions. */
function badModels(): { name: string; bytes: Uint8Array }[] {
  const cases: { name: string; bytes: Uint8Array }[] = [];
  const hello = readFileSync(join(referenceDir, 'models/tflm_hello_world_int8.tflite'));
  for (const cut of [0, 7, 8, 16, 64, 200, 1000, hello.length - 1]) cases.push({ name: `hello cut at ${cut}`, bytes: hello.subarray(0, cut) });
  const identifier = Buffer.from(hello);
  identifier.write('TFL2', 4);
  cases.push({ name: 'identifier TFL2', bytes: identifier });
  cases.push({ name: 'vela', bytes: readFileSync(join(referenceDir, 'models/tflm_person_detect_vela.tflite')) });
  for (const id of ['op_softmax_int8_out_scale_1_255_refused', 'op_concatenation_int8_diff_quant_refused', 'op_average_pool_2d_int8_requant_refused']) {
    cases.push({ name: id, bytes: readFileSync(join(referenceDir, 'ops/refused', `${id}.tflite`)) });
  }
  const sources = loadManifest('ops').filter((_, i) => i % 12 === 0).map((m) => readFileSync(join(m.base, m.model)));
  sources.push(hello);
  let seed = 1;
  for (const source of sources) {
    for (let k = 0; k < 6; k++) {
      const bytes = Buffer.from(source);
      const noise = seededBytes(seed++, 12);
      for (let j = 0; j < 4; j++) {
        const at = (noise[3 * j]! * 256 + noise[3 * j + 1]!) % bytes.length;
        bytes[at] = noise[3 * j + 2]!;
      }
      cases.push({ name: `corruption ${seed - 1}`, bytes });
    }
  }
  return cases;
}

optionalTest('malformed and refused models: the same error code on wasm, node and xs', [needs.reference], async (t) => {
  const cases = badModels();
  const paths = cases.map((c, i) => {
    const path = join(scratch, `case-${i}.tflite`);
    writeFileSync(path, c.bytes);
    return path;
  });
  const xs = await loadModelsXs(paths);
  t.is(xs.length, cases.length);
  let failures = 0;
  cases.forEach((c, i) => {
    const wasm = outcome('wasm', c.bytes);
    const node = outcome('node', c.bytes);
    const x = xs[i]!.error?.code ?? 'ok';
    if (wasm !== node || node !== x) {
      failures++;
      t.log(`${c.name}: wasm ${wasm}, node ${node}, xs ${x}`);
    }
  });
  t.is(failures, 0);
  // The set is not trivially all-ok: the constructed classes all fail.
  t.true(xs.slice(0, 13).every((r) => r.error?.code !== undefined));
});
