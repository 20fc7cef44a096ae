#!/usr/bin/env node
// Development runner: every reference vector through one build of the CLI.
// usage: node native/test/vectors.mjs --bin build/host/xtml [--filter substr] [--verbose]
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const here = dirname(new URL(import.meta.url).pathname);
const ref = resolve(opt('--ref', join(here, '../../../shared/reference')));
const bin = resolve(opt('--bin', join(here, '../../build/host/xtml')));
const filter = opt('--filter', '');
const verbose = args.includes('--verbose');

function ulpDiff(a, b) {
  const ia = new Int32Array(new Float32Array([a]).buffer)[0];
  const ib = new Int32Array(new Float32Array([b]).buffer)[0];
  const oa = ia < 0 ? -2147483648 - ia : ia;
  const ob = ib < 0 ? -2147483648 - ib : ib;
  return Math.abs(oa - ob);
}

const jobs = [];
for (const manifest of [join(ref, 'manifest.json'), join(ref, 'ops/manifest.json')]) {
  const base = dirname(manifest);
  for (const m of JSON.parse(readFileSync(manifest, 'utf8')).models) {
    if (filter && !m.id.includes(filter)) continue;
    for (const v of m.vectors ?? []) jobs.push({ m, v, base });
  }
}
const tmp = mkdtempSync(join(tmpdir(), 'xtml-vec-'));
let exact = 0, bad = 0, n = 0;
const fails = [];
async function one({ m, v, base }) {
  const out = join(tmp, `${n++}.bin`);
  try {
    await run(bin, ['run', join(base, m.model), '--input', join(base, v.input), '--output', out]);
  } catch (e) {
    bad++; fails.push(`${m.id}/${v.name}: ${String(e.stderr || e.message).trim()}`); return;
  }
  const got = readFileSync(out), want = readFileSync(join(base, v.output));
  if (got.equals(want)) { exact++; return; }
  if (m.id === 'op_tanh_f32' && got.length === want.length) {
    const g = new Float32Array(got.buffer, got.byteOffset, got.length / 4);
    const w = new Float32Array(want.buffer, want.byteOffset, want.length / 4);
    let worst = 0; for (let i = 0; i < g.length; i++) worst = Math.max(worst, ulpDiff(g[i], w[i]));
    if (worst <= 2) { exact++; if (verbose) console.log(`${m.id}/${v.name}: within ${worst} ulp`); return; }
  }
  let i = 0; while (i < got.length && got[i] === want[i]) i++;
  bad++; fails.push(`${m.id}/${v.name}: mismatch at byte ${i} (got ${got[i]}, want ${want[i]}; ${got.length} vs ${want.length} bytes)`);
}
const queue = [...jobs];
await Promise.all([0, 1, 2, 3].map(async () => { while (queue.length) await one(queue.shift()); }));
rmSync(tmp, { recursive: true, force: true });
for (const f of fails) console.log('FAIL', f);
console.log(`${exact} exact, ${bad} failed of ${jobs.length} vectors (${bin})`);
process.exit(bad ? 1 : 0);
