// node dist/tools/adapt-gate-oracle.js --tflm /path/to/tflm_run: writes
// test/data/adapt-gate/: one adapted model with an input gate (the bundled
// detector adapted on the first 10 chalkboard frames with a digit, default
// options, Node addon), and upstream TFLM's outputs for a few frames of both
// domains, so that a test checks the core against TFLM without the oracle.
// tflm_run (the scratch build of docs/adapt.md) takes MODEL --input IN
// --output OUT and prints arena_used_bytes; it deletes OUT when invoke fails,
// so every file goes through a temporary folder.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { bundledModelPath, loadBinding } from '../host-sim/node/backends.js';
import { adaptModel, type AdaptExample } from '../src/adapt/head.js';
import { shiftSet } from './adapt-shift.js';
import { loadHeldOut } from './detector.js';

// the frames the oracle runs: held-out frame indices, as they are and shifted to the chalkboard
const oracleFrames = Object.freeze([21, 25, 29]);

const program = new Command().requiredOption('--tflm <path>', 'the tflm_run oracle').parse();
const { tflm } = program.opts<{ tflm: string }>();
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, 'test/data/adapt-gate');
const binding = loadBinding('node');
const detector = new Uint8Array(readFileSync(bundledModelPath));
const all = loadHeldOut();
const shifted = shiftSet('chalkboard', all.frames, all.width);
const examples: AdaptExample[] = [];
for (let i = 0; i < 100 && examples.length < 10; i++) {
  if (all.truths[i]!.length > 0) examples.push({ pixels: shifted[i]!, objects: all.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) });
}
const a = adaptModel(binding, detector, examples);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'model.tflite'), a.model);
const scratch = mkdtempSync(join(tmpdir(), 'adapt-gate-'));
const vectors: { domain: string; frame: number; output: string }[] = [];
let arena = 0;
try {
  writeFileSync(join(scratch, 'model.tflite'), a.model);
  for (const [domain, frames] of [['original', all.frames], ['chalkboard', shifted]] as const) {
    for (const i of oracleFrames) {
      const input = join(scratch, `${domain}-${i}.in.bin`), output = join(scratch, `${domain}-${i}.out.bin`);
      writeFileSync(input, Int8Array.from(frames[i]!, (v) => v - 128));
      const text = execFileSync(tflm, [join(scratch, 'model.tflite'), '--input', input, '--output', output], { encoding: 'utf8' });
      arena = Number(/arena_used_bytes (\d+)/.exec(text)![1]);
      writeFileSync(join(out, `${domain}-${i}.out.bin`), readFileSync(output));
      vectors.push({ domain, frame: i, output: `${domain}-${i}.out.bin` });
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify({
  about: 'The bundled detector adapted on the first 10 chalkboard frames with a digit of the held-out set (tools/adapt-shift.ts, seed 12), default options, with an input gate and a gated head; outputs from upstream TFLM (tools/adapt-gate-oracle.ts).',
  oracle: 'upstream TFLM MicroInterpreter at tensorflow/tflite-micro 90b983c, reference kernels, g++ -O2 on x86-64',
  input: 'held-out frame `frame` (models/data/heldout.bin), as it is (original) or shifted (chalkboard), as int8 pixel - 128',
  model_sha256: createHash('sha256').update(a.model).digest('hex'),
  gate: a.gate, input_map: a.inputMap, tflm_arena_used_bytes: arena, vectors,
}, null, 1) + '\n');
console.log(`wrote ${out}: ${a.model.length}-byte model, ${vectors.length} TFLM outputs, TFLM arena ${arena} bytes`);
