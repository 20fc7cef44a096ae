// docs/operators.md's table against the core: every builtin TFLM registers
// is listed once, and "we have it" says yes exactly where the core has a
// kernel. Each row's operator goes into a one-operator model (float32 [1] in
// and out, no options) loaded through the WebAssembly build: a kernel refuses
// it for its types, shapes or options, or runs it; only an operator without a
// kernel is refused with UNSUPPORTED_OPERATOR.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWasmBinding } from '../host-sim/node/backends.js';
import { serializeTflite } from '../src/convert/tflite-write.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { builtinCode } from '../tools/tflm-ops/builtins.js';
import { repoRoot } from './support/reference.js';

interface Row { op: string; types: string; tflm: string; ours: string }

function tableRows(): Row[] {
  const doc = readFileSync(join(repoRoot, 'docs/operators.md'), 'utf8');
  const table = doc.split('<!-- operators-table -->')[1]!.split('<!-- /operators-table -->')[0]!;
  return table.split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Operator') && !l.startsWith('|---'))
    .map((l) => {
      const [op, types, tflm, ours] = l.split('|').slice(1, 5).map((c) => c.trim());
      return { op: op!, types: types!, tflm: tflm!, ours: ours! };
    });
}

/** Does the core have a kernel for this builtin? */
function coreHas(op: string): boolean {
  const model = serializeTflite({
    tensors: [{ name: 'in', type: 0, shape: [1] }, { name: 'out', type: 0, shape: [1] }],
    operators: [{ builtin: builtinCode(op), version: 1, inputs: [0], outputs: [1], optionsType: 0, options: [] }],
    inputs: [0],
    outputs: [1],
    description: `operators-table ${op}`,
  });
  try {
    InferenceSession.create(loadWasmBinding(), model).release();
    return true;
  } catch (error) {
    if (!(error instanceof XtmlError)) throw error;
    return error.code !== 'XTML_STATUS_UNSUPPORTED_OPERATOR';
  }
}

test('docs/operators.md lists the 101 builtins TFLM registers, once each, sorted, all "TFLM has it"', (t) => {
  const rows = tableRows();
  t.is(rows.length, 101);
  t.deepEqual(rows.map((r) => r.op), [...new Set(rows.map((r) => r.op))].sort());
  t.deepEqual(rows.filter((r) => r.tflm !== 'yes').map((r) => r.op), []);
});

test('"we have it" in docs/operators.md is what the core runs', (t) => {
  const wrong = tableRows().filter((r) => (r.ours === 'yes') !== coreHas(r.op)).map((r) => `${r.op}: table says ${r.ours}`);
  t.deepEqual(wrong, []);
  // a row without a kernel lists no types
  t.deepEqual(tableRows().filter((r) => r.ours === 'no' && r.types !== '—').map((r) => r.op), []);
});
