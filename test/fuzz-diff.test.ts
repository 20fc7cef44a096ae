// The differential checks of tools/xtml_diff.c on models from the structure-
// aware generator (tools/xtml_gen.c): optimized against reference kernels
// (-DXTML_REFERENCE_KERNELS), the whole graph against its operators run one at
// a time, a second invoke against the first, and every generated model
// written back to its own bytes after reading. On the host and, for a sample,
// on rv32imc under qemu-riscv32, where the same seed must give the same models
// and the same digest of statuses and integer outputs.
import test from 'ava';
import { join } from 'node:path';
import { needs, optionalTest } from './support/optional.js';
import { repoRoot, runProgram, type RunResult } from './support/reference.js';

interface Summary {
  models: number;
  verified: number;
  prepared: number;
  invoked: number;
  compared: number;
  split: number;
  mismatches: number;
  digest: string;
}

function summary(r: RunResult): Summary {
  const m = /xtml_diff: (\d+) models, (\d+) verified, (\d+) prepared, (\d+) invoked, (\d+) compared, (\d+) split-checked, \d+ over the arena, (\d+) mismatches; digest ([0-9a-f]{16})/.exec(r.stdout);
  if (m === null) throw new Error(`no summary line: ${r.stdout}${r.stderr}`);
  const [, models, verified, prepared, invoked, compared, split, mismatches, digest] = m;
  return {
    models: Number(models), verified: Number(verified), prepared: Number(prepared), invoked: Number(invoked), compared: Number(compared),
    split: Number(split), mismatches: Number(mismatches), digest: digest!,
  };
}

const host = join(repoRoot, 'build/diff/xtml_diff');
const rv32 = join(repoRoot, 'build/diff-rv32imc/xtml_diff');

test('host: 3000 generated models agree on every check, and most reach invoke', async (t) => {
  const r = await runProgram('host', host, ['-n', '3000', '-s', '1']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  const s = summary(r);
  t.is(s.models, 3000);
  t.is(s.mismatches, 0);
  t.is(s.compared, s.invoked);
  // The generator builds what prepare accepts: most models run (some choices are meant to be refused).
  t.true(s.verified / s.models >= 0.97, `${s.verified} of ${s.models} verified`);
  t.true(s.invoked / s.models >= 0.8, `${s.invoked} of ${s.models} invoked`);
  t.true(s.split >= s.invoked / 3, `${s.split} multi-operator models checked one operator at a time`);
});

for (const [what, flag, pattern] of [
  ['a reference output', 'ref', /MISMATCH: optimized vs reference kernels: output 0 differs at byte 0/],
  ['a value of the one-by-one run', 'split', /MISMATCH: whole graph vs one operator at a time: output \d+ differs/],
] as const) {
  test(`host: the checks see ${what} damaged on purpose`, async (t) => {
    const r = await runProgram('host', host, ['-n', '200', '-s', '1', '-x', flag]);
    t.is(r.code, 1);
    t.regex(r.stderr, pattern);
    t.is(summary(r).mismatches, 1);
  });
}

optionalTest('rv32imc: 400 generated models agree on every check, with the host\'s digest', [needs.riscvGcc, needs.qemuRiscv32], async (t) => {
  const [onRv32, onHost] = await Promise.all([
    runProgram('rv32imc-O2', rv32, ['-n', '400', '-s', '7'], 600_000),
    runProgram('host', host, ['-n', '400', '-s', '7']),
  ]);
  t.is(onRv32.code, 0, onRv32.stderr);
  const a = summary(onRv32);
  const b = summary(onHost);
  t.is(a.models, 400);
  t.is(a.mismatches, 0);
  t.true(a.invoked >= 300, `${a.invoked} invoked`);
  // Same recipes, same models, same statuses and integer outputs (float outputs go through
  // each C library's expf/tanhf and are compared within a platform only).
  t.deepEqual({ ...a }, { ...b });
});
