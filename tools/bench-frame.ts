// npm run bench:frame: instructions of one Pipeline.process with the bundled
// detector on the desktop XS host, counted by valgrind's callgrind and split
// into preprocess, invoke and decode; for the frame path in the core
// (src/pipeline.ts) and for the same work in TypeScript as it was before
// (test/support/pipeline-oracle.ts), on a 96x96 gray8 held-out frame and a
// 320x240 RGB565 frame (that scene enlarged 2.5x into the middle of a QVGA
// camera frame, test/support/frame-cases.ts's sceneFrame). host-sim/xs/bench-frame.ts is the program counted; each of
// its measured runs closes callgrind parts at the pipeline's clock readings.
// Goal: preprocess + decode <= 10% of invoke for the QVGA frame.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { xsHostPath, xsManifestPath } from '../host-sim/xs/xs-backend.js';
import { sceneFrame } from '../test/support/frame-cases.js';
import { int8ModelPath, loadHeldOut } from './detector.js';

const exec = promisify(execFile);

/** A held-out frame with digits in it. */
const SCENE = 1;

interface Run {
  frame: string;
  path: 'typescript' | 'core';
  detections: unknown[];
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-bench-frame-'));
  try {
    const held = loadHeldOut(SCENE + 1);
    const scene = held.frames[SCENE]!;
    writeFileSync(join(scratch, 'gray.raw'), scene);
    writeFileSync(join(scratch, 'qvga.raw'), sceneFrame(scene, held.width, 320, 240, 'rgb565le').data);
    const out = join(scratch, 'callgrind.out');
    const { stdout } = await exec('valgrind', [
      '--tool=callgrind', `--callgrind-out-file=${out}`, '--dump-before=xs_host_mark',
      xsHostPath, '--manifest', xsManifestPath, 'bench-frame', int8ModelPath,
      `${join(scratch, 'gray.raw')}:${held.width}:${held.height}:gray8`,
      `${join(scratch, 'qvga.raw')}:320:240:rgb565le`,
    ], { maxBuffer: 64 << 20 });
    const runs = stdout.trim().split('\n').map((line) => JSON.parse(line) as Run);
    // callgrind.out.1 .. .N: one file per part, in order; part 1 ends at the first mark
    const parts = readdirSync(scratch).filter((f) => /^callgrind\.out\.\d+$/.test(f))
      .map((f) => Number(f.slice('callgrind.out.'.length))).sort((a, b) => a - b)
      .map((n) => {
        const m = readFileSync(join(scratch, `callgrind.out.${n}`), 'utf8').match(/^(?:summary|totals): (\d+)/m);
        if (m === null) throw new Error(`no totals in part ${n}`);
        return Number(m[1]);
      });
    // after the setup part, each run has 4 parts: preprocess, invoke, decode, the gap to the next run
    if (parts.length !== 1 + 4 * runs.length - 1) throw new Error(`${parts.length} callgrind parts for ${runs.length} runs`);
    const rows = runs.map((run, i) => {
      const [pre, invoke, decode] = parts.slice(1 + 4 * i, 4 + 4 * i) as [number, number, number];
      return { ...run, pre, invoke, decode };
    });
    for (let i = 0; i < rows.length; i += 2) {
      if (JSON.stringify(rows[i]!.detections) !== JSON.stringify(rows[i + 1]!.detections)) {
        throw new Error(`${rows[i]!.frame}: the core and TypeScript paths disagree`);
      }
    }
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const header = ['frame', 'frame path', 'preprocess', 'invoke', 'decode', '(pre + decode) / invoke', 'objects'];
    const table = rows.map((r) => [r.frame, r.path === 'core' ? 'C core' : 'TypeScript', fmt(r.pre), fmt(r.invoke), fmt(r.decode),
      `${(((r.pre + r.decode) / r.invoke) * 100).toFixed(1)}%`, String(r.detections.length)]);
    const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
    const line = (cells: string[]): string => '| ' + cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
    console.log('Instructions of one Pipeline.process on XS (x86-64, callgrind), bundled detector:\n');
    console.log(line(header));
    console.log('|' + widths.map((w, c) => (c < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
    for (const row of table) console.log(line(row));
    const qvga = rows.find((r) => r.path === 'core' && r.frame.startsWith('320x240'))!;
    const share = (qvga.pre + qvga.decode) / qvga.invoke;
    console.log(`\nQVGA RGB565 in the core: preprocess + decode = ${(share * 100).toFixed(1)}% of invoke (goal <= 10%)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
