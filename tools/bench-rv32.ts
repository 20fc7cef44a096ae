// npm run bench:rv32: the core on rv32imc (the ESP32-C3's instruction set),
// per reference model with vectors and for the bundled detector. Guest
// instructions are counted by our QEMU plugin on the rv32 builds of the CLI
// (-O2 and -Os, tools/rv32-count.ts): per invoke, per MAC (MACs from
// `xtml inspect --json`), the time that makes at 160 MHz and 1.3 cycles per
// instruction, and to load (xtml_arena_size + xtml_init). Beside them the
// x86-64 callgrind figures of the host build and of TFLM's reference kernels.
// Counts are deterministic; the millisecond column is an estimate, not a
// measurement.
//
//   node dist/tools/bench-rv32.js [--json] [--no-x86] [--only id,id,...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest } from '../test/support/reference.js';
import { callgrindPerInvoke } from './callgrind.js';
import { int8ModelPath } from './detector.js';
import { countRv32, inspectRv32, rv32Paths, seededInput, type Rv32Count } from './rv32-count.js';

/** ESP32-C3 clock, and cycles per instruction assumed for the estimate. */
const CLOCK_HZ = 160e6;
const CYCLES_PER_INSTRUCTION = 1.3;

interface Rv32Row {
  model: string;
  macs: number;
  arena32: number;
  o2: Rv32Count;
  os: Rv32Count;
  x86: number | null;
  tflmX86: number | null;
}

const estimateMs = (instructions: number): string => {
  const ms = (instructions * CYCLES_PER_INSTRUCTION) / CLOCK_HZ * 1e3;
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
};
const n = (x: number): string => Math.round(x).toLocaleString('en-US');
/** Instructions per MAC; '-' for models without multiply-accumulates. */
const perMac = (instructions: number, macs: number): string => (macs > 0 ? (instructions / macs).toFixed(2) : '-');

function formatRows(rows: Rv32Row[]): string {
  const header = ['model', 'MACs', 'rv32 -O2 instr/invoke', '/MAC', 'ms @160MHz', 'rv32 -Os instr/invoke', '/MAC',
    'ms @160MHz', 'load -O2', 'load -Os', 'x86-64 instr', 'TFLM x86-64', 'ratio'];
  const table = rows.map((r) => {
    const o2 = r.o2.invokes[0]!;
    const os = r.os.invokes[0]!;
    return [
      r.model, n(r.macs),
      n(o2), perMac(o2, r.macs), estimateMs(o2),
      n(os), perMac(os, r.macs), estimateMs(os),
      n(r.o2.load), n(r.os.load),
      r.x86 === null ? '-' : n(r.x86),
      r.tflmX86 === null ? '-' : n(r.tflmX86),
      r.x86 === null || r.tflmX86 === null ? '-' : (r.x86 / r.tflmX86).toFixed(3),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
  const line = (cells: string[]): string =>
    '| ' + cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
  return [
    line(header),
    '|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|',
    ...table.map(line),
  ].join('\n');
}

/** What is missing to run this benchmark here, or null. */
function missing(): string | null {
  const qemu = spawnSync(rv32Paths.qemu, ['--version'], { stdio: 'ignore' });
  if (qemu.error !== undefined || qemu.status !== 0) return 'qemu-riscv32 (apt-get install -y qemu-user)';
  for (const file of [rv32Paths.cli('O2'), rv32Paths.cli('Os'), rv32Paths.plugin]) {
    if (!existsSync(file)) {
      return `${file} (apt-get install -y gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf, then make -C native rv32 qemu-plugin)`;
    }
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const absent = missing();
  if (absent !== null) {
    console.log(`rv32imc benchmark skipped: ${absent} is missing`);
    return 0;
  }
  const json = argv.includes('--json');
  const x86 = !argv.includes('--no-x86');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',')) : null;
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-bench-rv32-'));
  try {
    const jobs: { id: string; model: string; input: string | null; tflm: number | null }[] = [
      ...loadManifest('models').filter((m) => (m.vectors ?? []).length > 0).map((m) => ({
        id: m.id,
        model: join(m.base, m.model),
        input: join(m.base, m.vectors![0]!.input),
        tflm: m.tflm['callgrind_instructions_per_invoke_x86_64'] ?? null,
      })),
      // The detector has no reference vectors: a seeded input (xorshift32, seed 1).
      { id: 'detector (models/detector.tflite)', model: int8ModelPath, input: null, tflm: null },
    ].filter((j) => only === null || only.has(j.id) || (j.input === null && only.has('detector')));
    const rows: Rv32Row[] = [];
    for (const [i, job] of jobs.entries()) {
      process.stderr.write(`[${i + 1}/${jobs.length}] ${job.id}\n`);
      const info = await inspectRv32(job.model);
      let input = job.input;
      if (input === null) {
        input = join(scratch, `seed1-${i}.in.bin`);
        writeFileSync(input, seededInput(info, 1));
      }
      rows.push({
        model: job.id,
        macs: info.macs,
        arena32: info.arena_bytes,
        o2: await countRv32(job.model, input, 'O2'),
        os: await countRv32(job.model, input, 'Os'),
        x86: x86 ? await callgrindPerInvoke(job.model, input) : null,
        tflmX86: job.tflm,
      });
    }
    if (json) {
      console.log(JSON.stringify(rows, null, 1));
    } else {
      console.log(`rv32imc (qemu-riscv32 + our counting plugin); ms = instructions x ${CYCLES_PER_INSTRUCTION} cycles / ` +
        `${CLOCK_HZ / 1e6} MHz; load = xtml_arena_size + xtml_init\n`);
      console.log(formatRows(rows));
    }
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
