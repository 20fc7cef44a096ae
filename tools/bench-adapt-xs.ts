// npm run bench:adapt [-- --counts 10,20] [--no-callgrind]: one adaptation of
// the bundled detector on 10 and 20 chalkboard frames (eval:adapt's examples:
// the first held-out frames 0-99 with a digit, tools/adapt-shift.ts) on the
// desktop XS host and on the Node addon, checking that both write the same
// bytes, and printing
//   - the XS heaps it needs: the smallest chunk heap (2 KB steps) and slot heap
//     (64 slots) that never grow and in which host-sim/xs/adapt-run.ts still
//     runs (bisected, with 1 training step: the steps allocate nothing; the
//     edge is ragged, as when collections happen moves the worst moment), less
//     what was live after a collection right before adaptModel() (the host's
//     built-ins and modules, which a device keeps in flash, the model's facts);
//   - the instructions of adaptModel() on XS (callgrind, the part between the
//     two marks of adapt-run.ts), x86-64, with 1 step and per further step;
//   - the wall time of adaptModel() on the Node addon (best of 3).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { loadBinding } from '../host-sim/node/backends.js';
import { xsHostPath, xsManifestPath } from '../host-sim/xs/xs-backend.js';
import { adaptModel, type AdaptExample } from '../src/adapt/head.js';
import { shiftSet } from './adapt-shift.js';
import { int8ModelPath, loadHeldOut } from './detector.js';

const exec = promisify(execFile);
const program = new Command()
  .option('--counts <list>', 'numbers of labelled frames', '10,20')
  .option('--no-callgrind', 'skip the instruction counts')
  .option('--input-map <mode>', 'auto (input map where the examples need it, with its gate) or off (the head only)', 'auto')
  .parse();
const options = program.opts<{ counts: string; callgrind: boolean; inputMap: string }>();
if (options.inputMap !== 'auto' && options.inputMap !== 'off') throw new Error('--input-map must be auto or off');
const inputMap = options.inputMap as 'auto' | 'off';

interface Report {
  sha256: string; bytes: number; objectCells: number; backgroundCells: number;
  heap: {
    slotBytes: number;
    before: { chunks: number; chunksReserved: number; slots: number; slotsReserved: number };
    after: { chunks: number; chunksReserved: number; chunksPeak: number; slots: number; slotsReserved: number; slotsPeak: number };
  };
}

async function main(): Promise<void> {
  const all = loadHeldOut(100);
  const shifted = shiftSet('chalkboard', all.frames, all.width);
  const pool: AdaptExample[] = [];
  for (let i = 0; i < 100; i++) {
    if (all.truths[i]!.length > 0) pool.push({ pixels: shifted[i]!, objects: all.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) });
  }
  const model = new Uint8Array(readFileSync(int8ModelPath));
  const binding = loadBinding('node');
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-bench-adapt-'));
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const rows: string[] = [];
  try {
    for (const n of options.counts.split(',').map(Number)) {
      const examples = pool.slice(0, n);
      const frames = join(scratch, `frames-${n}.bin`), objects = join(scratch, `objects-${n}.json`), out = join(scratch, `xs-${n}.tflite`);
      writeFileSync(frames, Buffer.concat(examples.map((e) => e.pixels)));
      writeFileSync(objects, JSON.stringify(examples.map((e) => e.objects)));
      const args = ['--manifest', xsManifestPath, 'adapt-run', int8ModelPath, frames, objects, out, '--input-map', inputMap];
      const report = JSON.parse((await exec(xsHostPath, args, { maxBuffer: 16 << 20 })).stdout.trim()) as Report;
      // the smallest heaps adapting runs in (the heaps never grow), 1 step: training allocates nothing per step
      const fits = async (limit: string[]): Promise<boolean> => {
        try {
          await exec(xsHostPath, ['--manifest', xsManifestPath, ...limit, 'adapt-run', int8ModelPath, frames, objects, out + '.probe', '--steps', '1', '--input-map', inputMap], { maxBuffer: 16 << 20 });
          return true;
        } catch {
          return false;
        }
      };
      const smallest = async (flag: string, lo: number, hi: number, step: number): Promise<number> => {
        if (!(await fits([flag, String(hi)]))) throw new Error(`${n} frames: does not run with ${flag} ${hi}`);
        while (hi - lo > step) {
          const mid = Math.floor((lo + hi) / 2 / step) * step;
          if (await fits([flag, String(mid)])) hi = mid; else lo = mid;
        }
        return hi;
      };
      const chunkLimit = await smallest('--chunk-limit', 64 * 1024, 4 << 20, 2048);
      const slotLimit = await smallest('--slot-limit', 1024, 256 * 1024, 64);
      let ms = Infinity;
      let node: Uint8Array | undefined;
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        node = adaptModel(binding, model, examples, { inputMap }).model;
        ms = Math.min(ms, performance.now() - t0);
      }
      if (!Buffer.from(readFileSync(out)).equals(Buffer.from(node!))) throw new Error(`${n} frames: XS and Node wrote different models`);
      // callgrind on 1 and on 3 steps (150 would take hours): adaptModel() with one step, and each further step
      let instructions = '-';
      if (options.callgrind) {
        const counts: number[] = [];
        for (const steps of [1, 3]) {
          const cg = join(scratch, `cg-${n}-${steps}`);
          await exec('valgrind', ['--tool=callgrind', `--callgrind-out-file=${cg}`, '--dump-before=xs_host_mark', xsHostPath, ...args, '--steps', String(steps)], { maxBuffer: 16 << 20 });
          // part 1 ends at the first mark; part 2, between the marks, is adaptModel()
          const part = readdirSync(scratch).find((f) => f === `cg-${n}-${steps}.2`);
          const m = part === undefined ? null : /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(scratch, part), 'utf8'));
          if (m === null) throw new Error(`${n} frames: no callgrind part for adaptModel()`);
          counts.push(Number(m[1]));
        }
        instructions = `${fmt(counts[0]!)} + ${fmt((counts[1]! - counts[0]!) / 2)} a step`;
      }
      const h = report.heap;
      const chunkNeed = chunkLimit - h.before.chunks;
      const slotNeed = slotLimit - h.before.slots;
      rows.push(`| ${n} | ${examples.reduce((s, e) => s + e.objects.length, 0)} | ${report.objectCells + report.backgroundCells} | ` +
        `${fmt(h.before.chunks)} | ${fmt(chunkLimit)} | ${fmt(chunkNeed)} | ${fmt(h.before.slots)} | ${fmt(slotLimit)} | ${fmt(slotNeed)} | ` +
        `${fmt(n * (all.width * all.height + 11520))} | ${instructions} | ${ms.toFixed(0)} |`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`One adaptation of the bundled detector on chalkboard frames (default options, input map ${inputMap}), desktop XS host (x86-64) and Node addon; same bytes on both:\n`);
  console.log('| frames | digits | training cells | XS chunk bytes live before | smallest chunk heap | adapting needs | slots live before | smallest slot heap | adapting needs | host bytes (frames + features, outside the XS heap) | XS instructions (callgrind) | Node ms (best of 3) |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
