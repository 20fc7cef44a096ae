// npm run eval [-- --backend node|wasm|xs... ] [--frames N] [--name detector-small]: runs
// the committed int8 detector (or a variant: models/<name>.tflite) and its float32 twin on our core over the held-out frames
// (models/data/heldout.*, digits never used in training) and prints precision, recall
// and F1 per class and overall, and milliseconds per frame.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadBinding } from '../host-sim/node/backends.js';
import type { BackendName } from '../src/index.js';
import { join } from 'node:path';
import { evaluate, loadDescription, loadHeldOut, modelsDir, overall, prf, type EvalResult } from './detector.js';

const program = new Command()
  .option('--backend <name>', 'core backend: node or wasm', 'node')
  .option('--frames <n>', 'evaluate only the first n held-out frames', (v) => Number.parseInt(v, 10))
  .option('--name <name>', 'the model variant: models/<name>.tflite, <name>_float.tflite, <name>.json', 'detector')
  .parse();
const options = program.opts<{ backend: BackendName; frames?: number; name: string }>();

const description = loadDescription(options.name);
const heldOut = loadHeldOut(options.frames ?? Infinity);
const binding = loadBinding(options.backend);
const digits = heldOut.truths.reduce((n, t) => n + t.length, 0);
console.log(`held-out set: ${heldOut.frames.length} frames, ${digits} digits; backend ${binding.backend}; ` +
  `threshold ${description.decode.threshold}` +
  (description.decode.class_thresholds ? ` (per digit ${description.decode.class_thresholds.slice(1).join(' ')})` : '') +
  '; a hit is within 8 px of a true digit of the same class');

function report(title: string, r: EvalResult): number {
  const pct = (v: number) => (100 * v).toFixed(1).padStart(6);
  console.log(`\n${title}: ${r.msPerFrame.toFixed(2)} ms per frame`);
  console.log('class    precision  recall      F1     tp   fp   fn');
  for (let d = 0; d < 10; d++) {
    const m = prf(r.counts.tp[d]!, r.counts.fp[d]!, r.counts.fn[d]!);
    console.log(`${description.labels[d + 1]!.padEnd(8)} ${pct(m.precision)}%  ${pct(m.recall)}%  ${pct(m.f1)}%  ` +
      `${String(m.tp).padStart(4)} ${String(m.fp).padStart(4)} ${String(m.fn).padStart(4)}`);
  }
  const all = overall(r.counts);
  console.log(`overall  ${pct(all.precision)}%  ${pct(all.recall)}%  ${pct(all.f1)}%  ` +
    `${String(all.tp).padStart(4)} ${String(all.fp).padStart(4)} ${String(all.fn).padStart(4)}`);
  return all.f1;
}

const int8 = report(`int8 (models/${options.name}.tflite)`, evaluate(binding, readFileSync(join(modelsDir, `${options.name}.tflite`)), heldOut, description));
const float = report(`float32 (models/${options.name}_float.tflite)`, evaluate(binding, readFileSync(join(modelsDir, `${options.name}_float.tflite`)), heldOut, description));
console.log(`\noverall F1: int8 ${int8.toFixed(3)}, float ${float.toFixed(3)}, difference ${(int8 - float).toFixed(3)}`);
