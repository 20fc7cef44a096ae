// npm run eval:adapt [-- --backend node|wasm] [--counts 5,10,20] [--steps N] [--l2 X]:
// adapts the bundled detector's head (src/adapt/) on 5, 10 and 20 labelled
// frames of a shifted domain (tools/adapt-shift.ts: light ink on a dark board)
// and prints F1 on the shifted test frames and on the original held-out frames,
// before and after, with the loss on the examples and the wall time.
// Frames 0-99 of the held-out set give the examples (the first frames with at
// least one digit), frames 100-199 the tests, shifted and as they are.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadBinding } from '../host-sim/node/backends.js';
import type { BackendName } from '../src/index.js';
import { adaptModel, exampleLoss, type AdaptExample } from '../src/adapt/head.js';
import { shiftSet, shifts, type ShiftName } from './adapt-shift.js';
import { evaluate, int8ModelPath, loadDescription, loadHeldOut, overall, type HeldOut } from './detector.js';

const program = new Command()
  .option('--backend <name>', 'core backend: node or wasm', 'node')
  .option('--shift <names>', 'shifted domains: chalkboard, dim', 'chalkboard,dim')
  .option('--counts <list>', 'numbers of labelled frames', '5,10,20')
  .option('--steps <n>', 'gradient steps', (v) => Number.parseInt(v, 10))
  .option('--l2 <x>', 'L2 penalty toward the original head', Number.parseFloat)
  .option("--head-only", "adapt the head only (no input normalization)")
  .option('--one-head', 'with an input map, one adapted head for every frame (no gated head)')
  .parse();
const options = program.opts<{ backend: BackendName; shift: string; counts: string; steps?: number; l2?: number }>();

const binding = loadBinding(options.backend);
const description = loadDescription();
const model = new Uint8Array(readFileSync(int8ModelPath));
const all = loadHeldOut();
const part = (frames: Uint8Array[], from: number, to: number): HeldOut => ({ ...all, frames: frames.slice(from, to), truths: all.truths.slice(from, to) });
const originalTest = part(all.frames, 100, 200);
const f1 = (m: Uint8Array, set: HeldOut): number => overall(evaluate(binding, m, set, description).counts).f1;
const pct = (v: number): string => (100 * v).toFixed(1);
const originalBefore = f1(model, originalTest);

for (const name of options.shift.split(',') as ShiftName[]) {
  if (!(name in shifts)) throw new Error(`unknown shift ${name}`);
  const shifted = shiftSet(name, all.frames, all.width);
  const shiftedTest = part(shifted, 100, 200);
  const pool: AdaptExample[] = [];
  for (let i = 0; i < 100; i++) {
    if (all.truths[i]!.length === 0) continue;
    pool.push({ pixels: shifted[i]!, objects: all.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) });
  }
  console.log(`\nshifted domain ${name} (tools/adapt-shift.ts, seed 12); tests: held-out frames 100-199 ` +
    `(${shiftedTest.truths.reduce((n, t) => n + t.length, 0)} digits), shifted and original; backend ${binding.backend}`);
  const before = { shifted: f1(model, shiftedTest), original: originalBefore };
  console.log('\n| frames | digits | input map | shifted F1 before | after | original F1 before | after | loss before | after (int8, examples) | ms |');
  console.log('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of options.counts.split(',').map(Number)) {
    const examples = pool.slice(0, n);
    const t0 = performance.now();
    const a = adaptModel(binding, model, examples, { ...(process.argv.includes('--head-only') ? { inputMap: 'off' as const } : {}), ...(process.argv.includes('--one-head') ? { gateHead: false } : {}), ...(options.steps !== undefined ? { steps: options.steps } : {}), ...(options.l2 !== undefined ? { l2: options.l2 } : {}) });
    const ms = performance.now() - t0;
    const after = { shifted: f1(a.model, shiftedTest), original: f1(a.model, originalTest) };
    const digits = examples.reduce((s, e) => s + e.objects.length, 0);
    const map = a.inputMap === undefined ? 'none' : `${a.inputMap.a.toFixed(2)} x + ${a.inputMap.c.toFixed(2)}`;
    console.log(`| ${n} | ${digits} | ${map} | ${pct(before.shifted)} | ${pct(after.shifted)} | ${pct(before.original)} | ${pct(after.original)} | ` +
      `${exampleLoss(binding, model, examples).toFixed(3)} | ${exampleLoss(binding, a.model, examples).toFixed(3)} | ${ms.toFixed(0)} |`);
  }
}
