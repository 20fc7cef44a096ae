// npm run build, after tsc: the core's builds and what the tests run. What
// needs an optional tool (test/support/requirements.ts) is built when the tool is
// here; otherwise one line says what was skipped, what is missing and how to
// get it, and the tests that need it skip the same way. Under CI (CI set, as
// .ci/run sets it) a missing tool fails the build instead.
//
//   always      build/host (the CLI, test_malformed, test_frame, test_requant), the
//               reference-kernel and scalar builds (build/reference, build/scalar), the
//               differential checker (build/diff), the Node addon, the XS host
//   host32      the 32-bit build (gcc-multilib, and a way to run it: IA-32 support or qemu-i386)
//   clang       the second compiler's warning build (clang)
//   asan        AddressSanitizer + UBSan build, its test_malformed and test_frame (clang's runtime)
//   rv32imc-*   the rv32imc CLI at -O2 and -Os, test_malformed, test_requant, the
//               differential checker, and the instruction counter's check (riscv64-unknown-elf-gcc with picolibc, qemu-riscv32)
//
// XTML_HIDE_TOOLS=clang,gcc-multilib hides tools, as for the tests; --dry-run
// only says what would be built and skipped (test/fresh-machine.test.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { missing, strict, variantNeeds } from '../test/support/requirements.js';
import { repoRoot, type Variant } from '../test/support/reference.js';

const dryRun = process.argv.includes('--dry-run');

function run(what: string, command: string, args: string[]): void {
  if (dryRun) {
    console.log(`xs-tinyml build: would build ${what}: ${command} ${args.join(' ')}`);
    return;
  }
  const r = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.error !== undefined || r.status !== 0) {
    console.error(`xs-tinyml build: ${what} failed (${command} ${args.join(' ')})`);
    process.exit(1);
  }
}

const names: Record<Variant, string> = {
  host: 'the host build', reference: 'the reference-kernel build', scalar: 'the scalar-kernel build', host32: 'the 32-bit build', clang: 'the clang build', asan: 'the sanitizer build',
  'rv32imc-O2': 'the rv32imc -O2 build', 'rv32imc-Os': 'the rv32imc -Os build',
};
const targets: Record<Variant, string[]> = {
  host: ['host', '../build/host/test_malformed', '../build/host/test_frame', '../build/host/test_requant', '../build/host/test_numerics', 'diff'],
  reference: ['reference'],
  scalar: ['scalar', '../build/scalar/test_requant'],
  host32: ['host32', '../build/host32/test_numerics'],
  clang: ['clang'],
  asan: ['asan', '../build/asan/test_malformed', '../build/asan/test_frame', '../build/asan/test_numerics'],
  'rv32imc-O2': ['../build/rv32imc-O2/xtml', '../build/rv32imc-O2/test_malformed', '../build/rv32imc-O2/test_requant', '../build/rv32imc-O2/test_numerics',
    '../build/rv32imc-O2/test_frame',
    'rv32-count-check', 'diff-rv32imc'],
  'rv32imc-Os': ['../build/rv32imc-Os/xtml', '../build/rv32imc-Os/test_frame'],
};

const make: string[] = [];
const skipped: string[] = [];
for (const variant of Object.keys(targets) as Variant[]) {
  const why = missing(variantNeeds[variant]);
  if (why === null) make.push(...targets[variant]);
  else skipped.push(`${names[variant]} (build/${variant}): ${why}`);
}
for (const line of skipped) console.warn(`xs-tinyml build: ${strict ? 'cannot build' : 'skipped'} ${line}`);
if (strict && skipped.length > 0) {
  console.error('xs-tinyml build: CI is set, so every build is required');
  process.exit(1);
}
run('the core', 'make', ['-s', '-C', 'native', '-j2', ...make]);
run('the Node addon', process.execPath, [join(repoRoot, 'host-sim/node/build-addon.mjs'), '--required']);
run('the XS host', 'make', ['-s', '-j2', '-C', 'host-sim/xs']);
