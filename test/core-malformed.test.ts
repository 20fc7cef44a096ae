// The C test program native/test/test_malformed.c: every class of malformed
// model with its exact status, truncation of every reference model at every
// length, random byte flips through verify + prepare + invoke. Run on the
// optimized build, under ASan + UBSan, and on rv32imc under qemu-riscv32
// (32-bit sizes and picolibc; one process, models listed on the command line).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { referenceDir, repoRoot } from './support/reference.js';

/** Byte-flip trials per model on rv32: the host builds run 2000; fewer keep the emulated run short. */
const RV32_FLIP_TRIALS = 500;
/** Time limits (verification of huge crafted graphs "within 2 s") stretched for the emulator. */
const RV32_TIME_SCALE = 10;

/** The reference models in the order test_malformed lists them itself. */
function referenceModels(): string[] {
  return ['models', 'ops/models', 'ops/refused'].flatMap((dir) =>
    readdirSync(join(referenceDir, dir)).filter((f) => f.endsWith('.tflite')).sort().map((f) => join(referenceDir, dir, f)));
}

interface Build {
  variant: string;
  needs: Requirement[];
  command: () => [string, string[]];
  env?: Record<string, string>;
}

const builds: Build[] = [
  { variant: 'host', needs: [needs.reference], command: () => [join(repoRoot, 'build/host/test_malformed'), [referenceDir]] },
  // Sanitizer instrumentation slows verification of the huge crafted graphs several times over.
  { variant: 'asan', needs: [needs.reference, needs.clang],
    command: () => [join(repoRoot, 'build/asan/test_malformed'), [referenceDir]], env: { XTML_TIME_SCALE: '3' } },
  { variant: 'rv32imc-O2', needs: [needs.reference, needs.riscvGcc, needs.qemuRiscv32],
    command: () => ['qemu-riscv32', [join(repoRoot, 'build/rv32imc-O2/test_malformed'), referenceDir, ...referenceModels()]],
    env: { XTML_FLIP_TRIALS: String(RV32_FLIP_TRIALS), XTML_TIME_SCALE: String(RV32_TIME_SCALE) } },
];

function runProgram(build: Build): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, args] = build.command();
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 64 << 20, timeout: 540_000, env: { ...process.env, ...build.env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

for (const build of builds) {
  optionalTest(`${build.variant}: every malformed-model check passes`, build.needs, async (t) => {
    const r = await runProgram(build);
    const failures = r.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    // A crash ends the one-process rv32 run: the last "# part" line names what was running.
    const lastPart = r.stdout.split('\n').filter((line) => line.startsWith('# ')).pop() ?? '';
    t.deepEqual(failures, [], r.stderr.slice(-2000));
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    const m = summary.match(/^(\d+) passed, (\d+) failed$/);
    t.truthy(m, `summary line: ${summary} (last part: ${lastPart}; ${r.stderr.slice(-500)})`);
    // The program runs a fixed plan; a much shorter run means checks went missing.
    t.true(Number(m?.[1] ?? 0) >= 900, summary);
    t.is(Number(m?.[2] ?? -1), 0);
    t.is(r.code, 0);
  });
}
