// The arena: exact before allocation, no larger than TFLM's on a 32-bit build,
// and the 32-bit figure a 64-bit build computes (inspect --target,
// xtml_arena_size_for) is the one the real 32-bit builds need: rv32imc under
// qemu, -m32 x86, and wasm32.
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadBinding } from '../host-sim/node/backends.js';
import { int8ModelPath } from '../tools/detector.js';
import { needs, optionalTest, strict } from './support/optional.js';
import { limiter, loadManifest, repoRoot, runCli, type Variant } from './support/reference.js';

const exec = promisify(execFile);
const runnable = loadManifest('models').filter((m) => m.tflm['arena_used_bytes_wasm32'] != null);

for (const model of runnable) {
  optionalTest(`${model.id}: 32-bit arena <= TFLM's wasm32 arena_used_bytes`, [needs.host32], async (t) => {
    const r = await runCli('host32', ['inspect', join(model.base, model.model), '--json']);
    t.is(r.code, 0, r.stderr);
    const ours = (JSON.parse(r.stdout) as { arena_bytes: number }).arena_bytes;
    const tflm = model.tflm['arena_used_bytes_wasm32']!;
    t.log(`ours ${ours} bytes, TFLM ${tflm} bytes`);
    t.true(ours <= tflm, `ours ${ours} > TFLM ${tflm}`);
  });
}

interface Inspected {
  arena_bytes: number;
  target: string;
  arena_bytes_host: number;
  arena_bytes_32bit: number;
}

/** Every model the core loads: both reference manifests and the bundled detector. */
const models = [...loadManifest('models'), ...loadManifest('ops')]
  .filter((m) => m.id !== 'tflm_person_detect_vela')
  .map((m) => ({ id: m.id, path: join(m.base, m.model) }))
  .concat([{ id: 'detector', path: int8ModelPath }]);
const limit = limiter(2);
const usable = (variant: Variant): boolean =>
  strict || (variant === 'host32' ? needs.host32.present() : needs.riscvGcc.present() && needs.qemuRiscv32.present());
const builds32 = (['rv32imc-O2', 'host32'] as Variant[]).filter(usable);

test('the 64-bit CLI reports the arena 32-bit targets need, equal to what the 32-bit builds need, on every model', async (t) => {
  const wasm = loadBinding('wasm');
  const mismatches: string[] = [];
  await Promise.all(models.map((m) => limit(async () => {
    const host = await runCli('host', ['inspect', m.path, '--json']);
    const esp32 = await runCli('host', ['inspect', m.path, '--json', '--target', 'esp32']);
    if (host.code !== 0 || esp32.code !== 0) {
      mismatches.push(`${m.id}: ${host.stderr}${esp32.stderr}`);
      return;
    }
    const h = JSON.parse(host.stdout) as Inspected;
    const e = JSON.parse(esp32.stdout) as Inspected;
    const figures: Record<string, number> = { wasm32: wasm.arenaSize(new Uint8Array(readFileSync(m.path))) };
    for (const variant of builds32) {
      const r = await runCli(variant, ['inspect', m.path, '--json']);
      figures[variant] = r.code === 0 ? (JSON.parse(r.stdout) as Inspected).arena_bytes : -1;
    }
    const consistent = h.target === 'host' && h.arena_bytes === h.arena_bytes_host && e.target === 'esp32' &&
      e.arena_bytes === e.arena_bytes_32bit && e.arena_bytes_host === h.arena_bytes && h.arena_bytes_32bit === e.arena_bytes &&
      h.arena_bytes > e.arena_bytes;
    if (!consistent || Object.values(figures).some((f) => f !== e.arena_bytes)) {
      mismatches.push(`${m.id}: host ${JSON.stringify(h)}, --target esp32 ${e.arena_bytes}, 32-bit builds ${JSON.stringify(figures)}`);
    }
  })));
  t.true(models.length > 180, `${models.length} models`);
  t.deepEqual(mismatches, []);
  t.log(`${models.length} models; 32-bit builds compared: wasm32, ${builds32.join(', ')}`);
});

test('inspect --target refuses a target it does not know, naming the ones it does', async (t) => {
  const r = await runCli('host', ['inspect', int8ModelPath, '--target', 'pdp11']);
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown target pdp11 .*esp32c3.*wasm32/);
  const text = await runCli('host', ['inspect', int8ModelPath, '--target', 'esp32c3']);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /^arena: \d+ bytes \(exact, for esp32c3: 32-bit\)$/m);
  t.regex(text.stdout, /^arena on this 64-bit build: \d+ bytes$/m);
});

optionalTest('xtml_sizes32.h is what the rv32imc, Cortex-M4F and Xtensa compilers lay out',
  [needs.riscvGcc, needs.armGcc, needs.xtensaGcc], async (t) => {
    const r = await exec('make', ['-s', '-C', join(repoRoot, 'native'), 'check-sizes32']).then(
      (o) => ({ ok: true, out: o.stdout + o.stderr }), (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout}${e.stderr}` }));
    t.true(r.ok, r.out);
    t.is((r.out.match(/matches/g) ?? []).length, 3, r.out);
  });
