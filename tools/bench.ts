// npm run bench: the core against TFLM's reference kernels on every reference
// model. Instructions per invoke come from valgrind callgrind, counting only
// inside xtml_invoke(), so they compare with the manifest's
// callgrind_instructions_per_invoke_x86_64 (TFLM's Invoke()). Wall time is
// printed for orientation; it is noisy on shared machines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest, runCli } from '../test/support/reference.js';
import { callgrindPerInvoke } from './callgrind.js';

const scratch = mkdtempSync(join(tmpdir(), 'xtml-bench-'));

async function msPerInvoke(model: string, input: string): Promise<number> {
  const r = await runCli('host', ['run', model, '--input', input, '--output', join(scratch, 'out.bin'), '--repeat', '50', '--timing']);
  const m = r.stderr.match(/ms_per_invoke: ([\d.]+)/);
  if (r.code !== 0 || m === null) throw new Error(r.stderr);
  return Number(m[1]);
}

async function arenaBytes(model: string): Promise<number> {
  // The 32-bit figure, computed by the host build (the same as the 32-bit builds need).
  const r = await runCli('host', ['inspect', model, '--json', '--target', 'esp32']);
  if (r.code !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { arena_bytes: number }).arena_bytes;
}

interface Row {
  model: string;
  ours: number;
  tflm: number;
  arena: number;
  tflmArena: number;
  ms: number;
  tflmMs: number;
}

const rows: Row[] = [];
const models = loadManifest('models').filter((m) => (m.vectors ?? []).length > 0);
for (const [i, m] of models.entries()) {
  process.stderr.write(`[${i + 1}/${models.length}] ${m.id}\n`);
  const model = join(m.base, m.model);
  const input = join(m.base, m.vectors![0]!.input);
  rows.push({
    model: m.id,
    ours: await callgrindPerInvoke(model, input),
    tflm: m.tflm['callgrind_instructions_per_invoke_x86_64'] ?? NaN,
    arena: await arenaBytes(model),
    tflmArena: m.tflm['arena_used_bytes_wasm32'] ?? NaN,
    ms: await msPerInvoke(model, input),
    tflmMs: m.tflm['ms_per_invoke_native_x86_64'] ?? NaN,
  });
}
rmSync(scratch, { recursive: true, force: true });

const header = ['model', 'instr/invoke', 'TFLM instr', 'ratio', 'arena (32-bit)', 'TFLM arena (wasm32)', 'ms/invoke', 'TFLM ms'];
const table = rows.map((r) => [
  r.model,
  Math.round(r.ours).toLocaleString('en-US'),
  r.tflm.toLocaleString('en-US'),
  (r.ours / r.tflm).toFixed(3),
  r.arena.toLocaleString('en-US'),
  r.tflmArena.toLocaleString('en-US'),
  r.ms.toFixed(4),
  r.tflmMs.toFixed(4),
]);
const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
const line = (cells: string[]): string => '| ' + cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
for (const row of table) console.log(line(row));
const worst = Math.max(...rows.map((r) => r.ours / r.tflm));
console.log(`\nworst instruction ratio ${worst.toFixed(3)} (goal <= 1.0); arena within TFLM on ${rows.filter((r) => r.arena <= r.tflmArena).length}/${rows.length} models`);
