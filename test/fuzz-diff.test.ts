// The differential checks of tools/xtml_diff.c on models from the structure-
// aware generator (tools/xtml_gen.c): optimized against reference kernels
// (-DXTML_REFERENCE_KERNELS), the whole graph against its operators run one at
// a time, a second invoke against the first, more invokes of models with state,
// and every generated model written back to its own bytes after reading; every
// operator the core runs must be generated and reach invoke. On the host and, for a sample,
// on rv32imc under qemu-riscv32, where the same seed must give the same models
// and the same digest of statuses and integer outputs.
import test from 'ava';
import { readFileSync } from 'node:fs';
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

/**
 * Operators the generator does not build: they need models of several
 * subgraphs (CALL_ONCE, IF, WHILE) or state across the operators of a model
 * (resource variables, which the one-operator-at-a-time check cannot split),
 * and the generator writes one subgraph. test/tflm-subgraph.test.ts covers
 * them on every build, with their malformed cases.
 */
const notGenerated = new Set(['ASSIGN_VARIABLE', 'CALL_ONCE', 'IF', 'READ_VARIABLE', 'VAR_HANDLE', 'WHILE']);

/** The operators docs/operators.md says the core runs (test/operators-table.test.ts checks that list against the core), but those above. */
function operatorsWeRun(): string[] {
  const doc = readFileSync(join(repoRoot, 'docs/operators.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- operators-table -->'), doc.indexOf('<!-- /operators-table -->'));
  return [...table.matchAll(/^\| ([A-Z0-9_]+) \|.*\| yes \|$/gm)].map((m) => m[1]!).filter((op) => !notGenerated.has(op)).sort();
}

/** -p: per operator, the models that held it and how many of those invoked. */
function perOperator(r: RunResult): Map<string, { models: number; invoked: number }> {
  const map = new Map<string, { models: number; invoked: number }>();
  for (const m of r.stdout.matchAll(/^([A-Z0-9_]+) +(\d+) models, .* invoked \((\d+)\)$/gm)) {
    map.set(m[1]!, { models: Number(m[2]), invoked: Number(m[3]) });
  }
  return map;
}

const host = join(repoRoot, 'build/diff/xtml_diff');
const rv32 = join(repoRoot, 'build/diff-rv32imc/xtml_diff');

test('host: 3000 generated models agree on every check, and most reach invoke', async (t) => {
  const r = await runProgram('host', host, ['-n', '3000', '-s', '1', '--op-stats']);
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
  // Every operator the core runs is generated, and reaches invoke in some of those models.
  const ops = perOperator(r);
  const want = operatorsWeRun();
  t.true(want.length >= 77, `${want.length} operators in docs/operators.md`);
  t.deepEqual([...ops.keys()].sort(), want);
  for (const [name, { invoked }] of ops) t.true(invoked >= 10, `${name}: invoked in ${invoked} models`);
  t.regex(r.stdout, new RegExp(`^xtml_diff: ${want.length} operators, each reached invoke in at least \\d+ models`, 'm'));
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
