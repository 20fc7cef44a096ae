// npm run bench:backends: milliseconds per invoke of every reference model
// through InferenceSession on the WebAssembly and Node addon bindings, and
// their ratio (goal: WebAssembly within 2x of the addon); and on XS (the
// desktop host, the same binding as a device) when it is built. Each figure is the
// best of 5 batches of about 100 ms, so that a busy machine inflates it less.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadBinding } from '../host-sim/node/backends.js';
import type { CoreBinding } from '../src/binding.js';
import { InferenceSession } from '../src/index.js';
import { allocateFor, typedView, type TypedArray } from '../src/tensor.js';
import { runModelXs, xsHostAvailable } from '../host-sim/xs/xs-backend.js';
import { loadManifest, type ModelSpec } from '../test/support/reference.js';

const batches = 5;
const batchMs = 100;

function msPerInvoke(binding: CoreBinding, model: ModelSpec): number {
  const session = InferenceSession.create(binding, readFileSync(join(model.base, model.model)));
  const input = readFileSync(join(model.base, model.vectors![0]!.input));
  const inputs = model.inputs.map((spec, i) => {
    const copy = new Uint8Array(input.subarray(spec.byte_offset, spec.byte_offset + spec.bytes));
    return typedView(session.inputs[i]!.type, copy.buffer, 0, copy.byteLength);
  });
  const outputs: TypedArray[] = session.outputs.map((o) => allocateFor(o));
  const time = (n: number): number => {
    const start = performance.now();
    for (let i = 0; i < n; i++) session.runInto(inputs, outputs);
    return performance.now() - start;
  };
  time(3); // warm up (JIT, caches)
  const perBatch = Math.max(1, Math.round(batchMs / Math.max(time(3) / 3, 1e-3)));
  let best = Infinity;
  for (let b = 0; b < batches; b++) best = Math.min(best, time(perBatch) / perBatch);
  session.release();
  return best;
}

const wasm = loadBinding('wasm');
const node = loadBinding('node');
if (node.backend !== 'node') throw new Error('the Node addon did not load: run npm run build:addon');

const rows: string[][] = [];
const ratios: number[] = [];
const models = loadManifest('models').filter((m) => (m.vectors ?? []).length > 0);
for (const [i, model] of models.entries()) {
  process.stderr.write(`[${i + 1}/${models.length}] ${model.id}\n`);
  const w = msPerInvoke(wasm, model);
  const n = msPerInvoke(node, model);
  ratios.push(w / n);
  let x = 'n/a';
  if (xsHostAvailable()) {
    // XS times with Date.now() (ms): repeat enough runs for about 200 ms.
    const repeat = Math.max(5, Math.round(200 / Math.max(n, 0.01)));
    const result = await runModelXs(join(model.base, model.model), { input: join(model.base, model.vectors![0]!.input), repeat });
    x = result.msPerInvoke !== undefined ? result.msPerInvoke.toFixed(4) : 'error';
  }
  rows.push([model.id, w.toFixed(4), n.toFixed(4), (w / n).toFixed(2), x]);
}

const header = ['model', 'wasm ms/invoke', 'node ms/invoke', 'wasm/node', 'xs ms/invoke'];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
const line = (cells: string[]): string => '| ' + cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
for (const row of rows) console.log(line(row));
const geomean = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
console.log(`\nworst wasm/node ${Math.max(...ratios).toFixed(2)}, geometric mean ${geomean.toFixed(2)} (goal <= 2)`);
