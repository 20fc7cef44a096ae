// The README and docs/ say true things about this repository: the README stays
// a front door (at most 15 KB), every relative link leads to a file, and the
// facts they quote about the bundled detector (hashes, sizes, arenas) are the
// model's own, read from the C CLI, so a new model cannot leave them stale.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot, runCli, runCli32 } from './support/reference.js';

const docsDir = join(repoRoot, 'docs');
const pages = [join(repoRoot, 'README.md'), join(repoRoot, 'models/README.md'),
  ...readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => join(docsDir, f))];
const text = (file: string): string => readFileSync(file, 'utf8');
const model = join(repoRoot, 'models/detector.tflite');

// Pages other branches write (the MCU core, kernels, numerics, the frame path,
// fuzzing, the test suite); the README links them ahead of their arrival.
const comingPages = new Set(['targets.md', 'kernels.md', 'numerics.md', 'frame-path.md', 'reliability.md', 'testing.md']
  .map((f) => join(docsDir, f)));

test('the README is a front door: at most 15 KB, with the two commands', (t) => {
  const readme = text(join(repoRoot, 'README.md'));
  t.true(Buffer.byteLength(readme) <= 15 * 1024, `README.md is ${Buffer.byteLength(readme)} bytes`);
  t.regex(readme, /npm install && npm start/);
  t.regex(readme, /npm test/);
});

test('every relative link of the README and docs/ leads to a file of the repository', (t) => {
  let links = 0;
  for (const page of pages) {
    for (const m of text(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.replace(/#.*$/, '');
      if (target === '' || /^[a-z]+:/.test(target)) continue;
      const file = resolve(dirname(page), target);
      links++;
      if (comingPages.has(file)) continue;
      t.true(existsSync(file), `${relative(repoRoot, page)} links ${m[1]}, which does not exist`);
    }
  }
  t.true(links >= 15, `${links} links checked`);
});

test('every SHA-256 the docs cite is the hash of a model in models/', (t) => {
  const hashes = readdirSync(join(repoRoot, 'models')).filter((f) => f.endsWith('.tflite'))
    .map((f) => createHash('sha256').update(readFileSync(join(repoRoot, 'models', f))).digest('hex'));
  t.true(hashes.length >= 1);
  for (const page of pages) {
    for (const m of text(page).matchAll(/\b([0-9a-f]{64})\b|\b([0-9a-f]{8,63})(?:…|\.\.\.)/g)) {
      const cited = m[1] ?? m[2]!;
      t.true(hashes.some((h) => h.startsWith(cited)), `${relative(repoRoot, page)} cites ${cited}, the hash of no model in models/`);
    }
  }
});

test("the bundled detector's sizes quoted in the docs are the CLI's", async (t) => {
  const facts = async (variant: 'host' | 'host32'): Promise<{ arena_bytes: number; model_bytes: number }> => {
    const args = ['inspect', model, '--json'];
    const r = variant === 'host' ? await runCli('host', args) : await runCli32(args);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as { arena_bytes: number; model_bytes: number };
  };
  const [h64, h32] = [await facts('host'), await facts('host32')];
  const n = (x: number): string => x.toLocaleString('en-US');
  const readme = text(join(repoRoot, 'README.md'));
  t.regex(readme, new RegExp(`${Math.round(h64.model_bytes / 1000)} KB, ${Math.round(h32.arena_bytes / 1000)} KB arena`));
  const card = text(join(repoRoot, 'models/README.md'));
  t.regex(card, new RegExp(`\\| model bytes \\| ${n(h64.model_bytes)} \\|`));
  t.regex(card, new RegExp(`\\| arena bytes, 64-bit build \\(exact\\) \\| ${n(h64.arena_bytes)} \\|`));
  t.regex(card, new RegExp(`\\| arena bytes, 32-bit build as on the ESP32 \\(exact\\) \\| ${n(h32.arena_bytes)} \\|`));
  const devices = text(join(docsDir, 'devices.md'));
  t.regex(devices, new RegExp(`its arena \\(${n(h32.arena_bytes)} bytes on the 32-bit ESP32\\)`));
  const operations = text(join(docsDir, 'operations.md'));
  t.regex(operations, new RegExp(`the bundled model is ${n(h64.model_bytes)}\\)`));
  t.regex(operations, new RegExp(`the arena \\(${n(h64.arena_bytes)} bytes in the\\s+simulator, ${n(h32.arena_bytes)} on the 32-bit ESP32\\)`));
});

test("the camera trace in docs/devices.md is held-out frame 1's detections, as camera.ts prints them", async (t) => {
  const { loadBinding } = await import('../host-sim/node/backends.js');
  const { loadModel } = await import('../src/index.js');
  const { loadHeldOut } = await import('../tools/detector.js');
  const bytes = new Uint8Array(readFileSync(model));
  const loaded = loadModel(loadBinding('wasm'), bytes, { sha256: 'docs', bytes: bytes.length });
  const held = loadHeldOut(2);
  const r = loaded.pipeline.process({ width: held.width, height: held.height, format: 'gray8', data: held.frames[1]! }, 'crop');
  // the format of native/xs/device/camera.ts
  const line = r.items.slice(0, r.count).map((d) => ` ${d.label} ${d.score.toFixed(2)} at (${Math.round(d.cx)},${Math.round(d.cy)})`).join('');
  t.true(r.count >= 3);
  const quoted = /^frame \d+:(.*) \(\d+ \+ \d+ ms\)$/m.exec(text(join(docsDir, 'devices.md')))?.[1];
  t.is(quoted, line);
});
