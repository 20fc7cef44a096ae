// Every bug fuzzing found in the core, as a minimal model with its exact
// expected answer (test/support/fuzz-repro.ts explains each): on the optimized
// host build, under ASan + UBSan (which stopped on the undefined ones), on the
// 32-bit build, on rv32imc and on WebAssembly. The files under native/test/fuzz/repro/,
// which native/test/fuzz.sh replays through every harness, must be exactly
// these models.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { reproducers } from './support/fuzz-repro.js';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { repoRoot, runCli, type Variant } from './support/reference.js';

const scratch = mkdtempSync(join(tmpdir(), 'xtml-repro-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const variants: [Variant, Requirement[]][] = [
  ['host', []],
  ['asan', [needs.clang]],
  ['host32', [needs.host32]],
  ['rv32imc-O2', [needs.riscvGcc, needs.qemuRiscv32]],
];

for (const r of reproducers()) {
  test(`${r.file}: the committed reproducer is this model`, (t) => {
    const committed = new Uint8Array(readFileSync(join(repoRoot, 'native/test/fuzz/repro', r.file)));
    t.deepEqual(committed, r.bytes, 'regenerate with: tsc -p . && node dist/tools/fuzz-repro.js');
  });

  for (const [variant, requirements] of variants) {
    optionalTest(`${r.file}: exact answer on the ${variant} build`, requirements, async (t) => {
      const model = join(scratch, `${variant}-${r.file}`);
      writeFileSync(model, r.bytes);
      if ('status' in r.expect) {
        // A hang here was the bug: the CLI must answer well within the timeout.
        const got = await runCli(variant, ['inspect', model], 60_000);
        t.is(got.code, 1, got.stderr);
        t.true(got.stderr.startsWith(`${r.expect.status}: `), got.stderr);
        t.regex(got.stderr, r.expect.detail);
        return;
      }
      const input = `${model}.in`;
      const output = `${model}.out`;
      writeFileSync(input, r.expect.input);
      const got = await runCli(variant, ['run', model, '--input', input, '--output', output], 60_000);
      t.is(got.code, 0, got.stderr);
      t.notRegex(got.stderr, /runtime error|Sanitizer/);
      t.deepEqual(new Uint8Array(readFileSync(output)), r.expect.output);
    });
  }

  test(`${r.file}: exact answer on WebAssembly`, (t) => {
    const binding = loadBinding('wasm');
    if ('status' in r.expect) {
      const error = t.throws(() => InferenceSession.create(binding, r.bytes), { instanceOf: XtmlError });
      t.is(error!.code, r.expect.status);
      t.regex(error!.detail, r.expect.detail);
      return;
    }
    const session = InferenceSession.create(binding, r.bytes);
    try {
      const out = session.run([new Int8Array(r.expect.input.buffer.slice(0))])[0]!;
      t.deepEqual(new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength), r.expect.output);
    } finally {
      session.release();
    }
  });
}
