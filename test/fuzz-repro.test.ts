// Every bug fuzzing found in the core, as a minimal model with its exact
// expected answer (test/support/fuzz-repro.ts explains each): on the optimized
// host build, under ASan + UBSan (which stopped on the undefined ones), on the
// 32-bit build and on WebAssembly. The files under native/test/fuzz/repro/,
// which native/test/fuzz.sh replays through every harness, must be exactly
// these models.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { reproducers } from './support/fuzz-repro.js';
import { cliPath, repoRoot, runCli, type RunResult, type Variant } from './support/reference.js';

const scratch = mkdtempSync(join(tmpdir(), 'xtml-repro-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const variants: Variant[] = ['host', 'asan', 'host32'];

/** The CLI; the 32-bit build through qemu-i386 on kernels without IA-32 emulation. */
async function cli(variant: Variant, args: string[]): Promise<RunResult> {
  const direct = await runCli(variant, args, 20_000);
  if (variant !== 'host32' || !/Syntax error|Exec format error/.test(direct.stderr)) return direct;
  return new Promise((resolve) => {
    execFile('qemu-i386', [cliPath(variant), ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

for (const r of reproducers()) {
  test(`${r.file}: the committed reproducer is this model`, (t) => {
    const committed = new Uint8Array(readFileSync(join(repoRoot, 'native/test/fuzz/repro', r.file)));
    t.deepEqual(committed, r.bytes, 'regenerate with: tsc -p . && node dist/tools/fuzz-repro.js');
  });

  for (const variant of variants) {
    test(`${r.file}: exact answer on the ${variant} build`, async (t) => {
      const model = join(scratch, `${variant}-${r.file}`);
      writeFileSync(model, r.bytes);
      if ('status' in r.expect) {
        // A hang here was the bug: the CLI must answer well within the timeout.
        const got = await cli(variant, ['inspect', model]);
        t.is(got.code, 1, got.stderr);
        t.true(got.stderr.startsWith(`${r.expect.status}: `), got.stderr);
        t.regex(got.stderr, r.expect.detail);
        return;
      }
      const input = `${model}.in`;
      const output = `${model}.out`;
      writeFileSync(input, r.expect.input);
      const got = await cli(variant, ['run', model, '--input', input, '--output', output]);
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
