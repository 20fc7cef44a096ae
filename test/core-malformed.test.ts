// The C test program native/test/test_malformed.c: every class of malformed
// model with its exact status, truncation of every reference model at every
// length, random byte flips through verify + prepare + invoke. Run on the
// optimized build and under ASan + UBSan.
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { referenceDir, repoRoot } from './support/reference.js';

function runProgram(variant: 'host' | 'asan'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'build', variant, 'test_malformed'), [referenceDir], { maxBuffer: 64 << 20, timeout: 540_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

for (const variant of ['host', 'asan'] as const) {
  test(`${variant}: every malformed-model check passes`, async (t) => {
    const r = await runProgram(variant);
    const failures = r.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    t.deepEqual(failures, [], r.stderr.slice(-2000));
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    const m = summary.match(/^(\d+) passed, (\d+) failed$/);
    t.truthy(m, `summary line: ${summary}`);
    // The program runs a fixed plan; a much shorter run means checks went missing.
    t.true(Number(m![1]) >= 900, summary);
    t.is(Number(m![2]), 0);
    t.is(r.code, 0);
  });
}
