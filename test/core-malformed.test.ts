// The C test program native/test/test_malformed.c: every class of malformed
// model with its exact status, truncation of every reference model at every
// length, random byte flips through verify + prepare + invoke. Run on the
// optimized build and under ASan + UBSan. Its checks that cannot run ("# SKIP"
// in its TAP output) are pinned: the six models the core refuses to load.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { needs, optionalTest, variantNeeds } from './support/optional.js';
import { referenceDir, repoRoot } from './support/reference.js';

function runProgram(variant: 'host' | 'asan'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'build', variant, 'test_malformed'), [referenceDir], { maxBuffer: 64 << 20, timeout: 540_000 },
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

for (const variant of ['host', 'asan'] as const) {
  optionalTest(`${variant}: every malformed-model check passes; the skipped checks are exactly the models refused at load`, [needs.reference, ...variantNeeds[variant]], async (t) => {
    const r = await runProgram(variant);
    const lines = r.stdout.split('\n');
    const failures = lines.filter((line) => line.startsWith('not ok'));
    t.deepEqual(failures, [], r.stderr.slice(-2000));
    const skipped = lines.filter((line) => / # SKIP /.test(line)).map((line) => {
      const m = /^ok \d+ - (\S+)\.tflite: arena_size, init with size-1 \/ size \/ misaligned, invoke # SKIP not loadable in this build: (XTML_STATUS_\w+) /.exec(line);
      return m === null ? [line, ''] : [m[1]!, m[2]!];
    });
    t.deepEqual(skipped, refusedAtLoad);
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    const m = summary.match(/^(\d+) passed, (\d+) failed$/);
    t.truthy(m, `summary line: ${summary}`);
    // The program runs a fixed plan; a much shorter run means checks went missing.
    t.true(Number(m![1]) >= 900, summary);
    t.is(Number(m![2]), 0);
    t.is(r.code, 0);
  });
}
