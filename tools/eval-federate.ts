// npm run eval:federate [-- --backend node|wasm] [--shift dim,chalkboard] [--frames 5,10] [--devices 3] [--steps N] [--l2 X]:
// federated adaptation (FedAvg, src/fleet/federate.ts) against each device's
// own adaptation. Each of D simulated devices adapts the bundled detector's
// head (head only: an input map is not reported, see docs/fleet.md) on its own
// F labelled frames of a shifted domain (tools/adapt-shift.ts; frames 0-99 of
// the held-out set, disjoint per device); the reports go through the
// protocol's encoder and decoder (float32), the controller's code averages them
// weighted by examples and builds the model (host-sim/node/fleet/federate.ts).
// Prints F1 on the shifted test frames and on the original held-out test
// frames (frames 100-199) for the base model, each device's model, the
// federated model, and one adaptation on all the devices' frames pooled (what
// a server with every frame would do, for reference).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadBinding } from '../host-sim/node/backends.js';
import { federate, type HeldReport } from '../host-sim/node/fleet/federate.js';
import { sha256Hex } from '../host-sim/node/server.js';
import type { BackendName } from '../src/index.js';
import { adaptModel, type AdaptExample, type AdaptOptions } from '../src/adapt/head.js';
import { decodeAdaptation, encodeAdaptation } from '../src/fleet/federate.js';
import { shiftSet, shifts, type ShiftName } from './adapt-shift.js';
import { evaluate, int8ModelPath, loadDescription, loadHeldOut, overall, type HeldOut } from './detector.js';

const program = new Command()
  .option('--backend <name>', 'core backend: node or wasm', 'node')
  .option('--shift <names>', 'shifted domains: dim, chalkboard', 'dim,chalkboard')
  .option('--frames <list>', 'labelled frames per device', '5,10')
  .option('--devices <n>', 'devices', (v) => Number.parseInt(v, 10), 3)
  .option('--steps <n>', 'gradient steps', (v) => Number.parseInt(v, 10))
  .option('--l2 <x>', 'L2 penalty toward the original head', Number.parseFloat)
  .parse();
const options = program.opts<{ backend: BackendName; shift: string; frames: string; devices: number; steps?: number; l2?: number }>();

const binding = loadBinding(options.backend);
const description = loadDescription();
const model = new Uint8Array(readFileSync(int8ModelPath));
const base = sha256Hex(model);
const all = loadHeldOut();
const part = (frames: Uint8Array[], from: number, to: number): HeldOut => ({ ...all, frames: frames.slice(from, to), truths: all.truths.slice(from, to) });
const originalTest = part(all.frames, 100, 200);
const f1 = (m: Uint8Array, set: HeldOut): number => overall(evaluate(binding, m, set, description).counts).f1;
const pct = (v: number): string => (100 * v).toFixed(1);
const adaptOptions: AdaptOptions = { inputMap: 'off', ...(options.steps !== undefined ? { steps: options.steps } : {}), ...(options.l2 !== undefined ? { l2: options.l2 } : {}) };
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
  const shiftedBefore = f1(model, shiftedTest);
  console.log(`\nshifted domain ${name}: ${options.devices} devices, head only, backend ${binding.backend}; base: shifted F1 ${pct(shiftedBefore)}, original F1 ${pct(originalBefore)}`);
  console.log('\n| frames per device | model | shifted F1 | original F1 |');
  console.log('| ---: | --- | ---: | ---: |');
  for (const frames of options.frames.split(',').map(Number)) {
    if (frames * options.devices > pool.length) throw new Error(`${options.devices} x ${frames} frames: the pool has ${pool.length}`);
    const reports = new Map<string, HeldReport>();
    const singles: number[][] = [];
    for (let d = 0; d < options.devices; d++) {
      const examples = pool.slice(d * frames, (d + 1) * frames);
      const a = adaptModel(binding, model, examples, adaptOptions);
      const text = encodeAdaptation(base, a, sha256Hex(a.model), sha256Hex);
      reports.set(`dev-${d}`, { report: decodeAdaptation(new Uint8Array(Buffer.from(text, 'latin1')), sha256Hex), bytes: text.length, received: 0 });
      singles.push([f1(a.model, shiftedTest), f1(a.model, originalTest)]);
      console.log(`| ${frames} | device ${d} alone | ${pct(singles[d]![0]!)} | ${pct(singles[d]![1]!)} |`);
    }
    const mean = (k: number): number => singles.reduce((s, x) => s + x[k]!, 0) / singles.length;
    console.log(`| ${frames} | mean of the devices alone | ${pct(mean(0))} | ${pct(mean(1))} |`);
    const fed = federate(binding, base, model, reports, { minDevices: options.devices, minExamples: 1 });
    console.log(`| ${frames} | **federated (FedAvg of ${options.devices})** | **${pct(f1(fed.model, shiftedTest))}** | **${pct(f1(fed.model, originalTest))}** |`);
    const pooled = adaptModel(binding, model, pool.slice(0, frames * options.devices), adaptOptions);
    console.log(`| ${frames} | pooled: one adaptation on all ${frames * options.devices} frames | ${pct(f1(pooled.model, shiftedTest))} | ${pct(f1(pooled.model, originalTest))} |`);
  }
}
