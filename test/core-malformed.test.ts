// The C test program native/test/test_malformed.c: every class of malformed
// model with its exact status (int64 constants 4 bytes off their alignment
// included), truncation of every reference model at every
// length, random byte flips through verify + prepare + invoke. Run on the
// optimized build, under ASan + UBSan, and on rv32imc under qemu-riscv32
// (32-bit sizes and picolibc; one process, models listed on the command line).
// Its checks that cannot run ("# SKIP" in its TAP output) are pinned: the six
// models the core refuses to load.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { needs, optionalTest, variantNeeds, type Requirement } from './support/optional.js';
import { referenceDir, repoRoot } from './support/reference.js';

/** Byte-flip trials per model on rv32: the host builds run 2000; fewer keep the emulated run short. */
const RV32_FLIP_TRIALS = 500;
/** Hang guards (a part or a crafted graph's call killed as a hang) stretched for the emulator. */
const RV32_TIME_SCALE = 10;

/** The reference models in the order test_malformed lists them itself. */
function referenceModels(): string[] {
  return ['models', 'ops/models', 'ops/refused'].flatMap((dir) =>
    readdirSync(join(referenceDir, dir)).filter((f) => f.endsWith('.tflite')).sort().map((f) => join(referenceDir, dir, f)));
}

/** Our writer's models with int64 constants (test_malformed's bases_t.i64): loaded 4 bytes off 16 they must still run. */
const int64Models = [
  'int16/models/op_transpose_conv_16x8_same_s2_bias64.tflite', 'int16/models/op_conv_2d_16x8_same_s1_bias64.tflite',
  'int16/models/op_depthwise_conv_2d_16x8_same_m2_bias64.tflite', 'int16/models/op_fully_connected_16x8_bias64.tflite',
  'math/models/op_fill_f32_dims_int64.tflite',
].map((f) => join(repoRoot, 'test/data/tflm-ops', f));

/** Every model test_malformed runs: the reference models, then ours. */
const allModels = (): string[] => [...referenceModels(), ...int64Models];

interface Build {
  variant: string;
  needs: Requirement[];
  command: () => [string, string[]];
  env?: Record<string, string>;
}

const builds: Build[] = [
  { variant: 'host', needs: [needs.reference, ...variantNeeds.host], command: () => [join(repoRoot, 'build/host/test_malformed'), [referenceDir, ...allModels()]] },
  // Sanitizer instrumentation slows everything several times over: the hang guards stretch with it.
  { variant: 'asan', needs: [needs.reference, ...variantNeeds.asan],
    command: () => [join(repoRoot, 'build/asan/test_malformed'), [referenceDir, ...allModels()]], env: { XTML_TIME_SCALE: '3' } },
  { variant: 'rv32imc-O2', needs: [needs.reference, ...variantNeeds['rv32imc-O2']],
    command: () => ['qemu-riscv32', [join(repoRoot, 'build/rv32imc-O2/test_malformed'), referenceDir, ...allModels()]],
    env: { XTML_FLIP_TRIALS: String(RV32_FLIP_TRIALS), XTML_TIME_SCALE: String(RV32_TIME_SCALE) } },
];

function runProgram(build: Build): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, args] = build.command();
  return new Promise((resolve) => {
    // A last-resort hang guard only (each part of the program has its own): the
    // sanitizer run took over 9 minutes on a machine loaded twentyfold.
    execFile(command, args, { maxBuffer: 64 << 20, timeout: 1_500_000, env: { ...process.env, ...build.env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

/** The reference models the core refuses at load (core-refused.test.ts checks why): their arena and invoke checks are skipped. */
const refusedAtLoad: [string, string][] = [
  ['tflm_person_detect_vela', 'XTML_STATUS_UNSUPPORTED_OPERATOR'],
  ['op_average_pool_2d_int8_requant_refused', 'XTML_STATUS_MODEL_QUANTIZATION'],
  ['op_concatenation_int8_diff_quant_refused', 'XTML_STATUS_UNSUPPORTED_CONFIG'],
  ['op_logistic_int8_out_zp0_refused', 'XTML_STATUS_UNSUPPORTED_CONFIG'],
  ['op_padv2_int8_const_diff_quant_refused', 'XTML_STATUS_MODEL_QUANTIZATION'],
  ['op_softmax_int8_out_scale_1_255_refused', 'XTML_STATUS_UNSUPPORTED_CONFIG'],
];

for (const build of builds) {
  optionalTest(`${build.variant}: every malformed-model check passes; the skipped checks are exactly the models refused at load`, build.needs, async (t) => {
    const r = await runProgram(build);
    const lines = r.stdout.split('\n');
    const failures = lines.filter((line) => line.startsWith('not ok'));
    // A crash ends the one-process rv32 run: the last "# part" line names what was running.
    const lastPart = r.stdout.split('\n').filter((line) => line.startsWith('# ')).pop() ?? '';
    t.deepEqual(failures, [], r.stderr.slice(-2000));
    const skipped = lines.filter((line) => / # SKIP /.test(line)).map((line) => {
      const m = /^ok \d+ - (\S+)\.tflite: arena_size, init with size-1 \/ size \/ misaligned, invoke # SKIP not loadable in this build: (XTML_STATUS_\w+) /.exec(line);
      return m === null ? [line, ''] : [m[1]!, m[2]!];
    });
    t.deepEqual(skipped, refusedAtLoad);
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    const m = summary.match(/^(\d+) passed, (\d+) failed$/);
    t.truthy(m, `summary line: ${summary} (last part: ${lastPart}; ${r.stderr.slice(-500)})`);
    // The program runs a fixed plan; a much shorter run means checks went missing.
    t.true(Number(m?.[1] ?? 0) >= 900, summary);
    t.is(Number(m?.[2] ?? -1), 0);
    t.is(r.code, 0);
  });
}
