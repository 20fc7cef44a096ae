// A fresh machine (issue 15, point 7): Debian 12 and Node 20 with nothing but
// what npm install needs. The suite's own tool detection is run with every
// optional tool and the reference set hidden (XTML_HIDE_TOOLS), as a machine
// without them would see it: the build skips what needs them, one line each,
// and the tests that need them skip, one line each saying what is missing and
// how to get it; with CI set both fail instead.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './support/reference.js';
import { needs, requirement } from './support/requirements.js';

/** Every optional tool or data set the suite knows, by the name XTML_HIDE_TOOLS takes. */
const optional = ['reference', 'clang', 'gcc-multilib', 'qemu-i386', 'host32', 'emcc', 'chromium', 'qemu-riscv32', 'riscv-gcc',
  'arm-gcc', 'xtensa-gcc', 'valgrind', 'cmake', 'mosquitto', 'skimage'];

function withoutCi(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['CI'];
  return env;
}

test('a hidden requirement is absent; XTML_HIDE_TOOLS names are the ones the suite uses', (t) => {
  const always = requirement('always', 'something', 'nothing to do', () => true);
  t.true(always.present());
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { needs } = await import(${JSON.stringify(join(repoRoot, 'dist/test/support/requirements.js'))});
    console.log(JSON.stringify(Object.fromEntries(Object.entries(needs).map(([k, v]) => [k, v.present()]))));`],
  { encoding: 'utf8', env: withoutCi({ XTML_HIDE_TOOLS: optional.join(',') }) });
  t.is(r.status, 0, r.stderr);
  const present = JSON.parse(r.stdout) as Record<string, boolean>;
  t.deepEqual(Object.keys(present).filter((name) => present[name]), [], 'every requirement hidden');
  t.true(Object.keys(present).length >= 17, Object.keys(present).join(', '));
});

test('the build without optional tools builds the rest and says, one line each, what it skipped and how to get it; under CI it fails', (t) => {
  const hidden = { XTML_HIDE_TOOLS: optional.join(',') };
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/tools/build.js'), '--dry-run'], { encoding: 'utf8', env: withoutCi(hidden) });
  t.is(r.status, 0, r.stderr);
  const skipped = r.stderr.trim().split('\n');
  t.deepEqual(skipped, [
    'xs-tinyml build: skipped the 32-bit build (build/host32): the 32-bit C library for gcc -m32 is missing (apt-get install -y gcc-multilib); ' +
      "a way to run 32-bit x86 programs (the kernel's IA-32 support, or qemu-i386) is missing (apt-get install -y qemu-user)",
    'xs-tinyml build: skipped the clang build (build/clang): clang is missing (apt-get install -y clang)',
    "xs-tinyml build: skipped the sanitizer build (build/asan): clang's AddressSanitizer and UBSan runtime is missing (apt-get install -y clang libclang-rt-14-dev)",
    ...['O2', 'Os'].map((opt) => `xs-tinyml build: skipped the rv32imc -${opt} build (build/rv32imc-${opt}): ` +
      'the rv32imc cross compiler with picolibc is missing (apt-get install -y gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf); ' +
      'qemu-riscv32 is missing (apt-get install -y qemu-user)'),
  ]);
  t.regex(r.stdout, /^xs-tinyml build: would build the core: make -s -C native -j2 host \.\.\/build\/host\/test_malformed \.\.\/build\/host\/test_frame \.\.\/build\/host\/test_requant \.\.\/build\/host\/test_numerics diff reference scalar \.\.\/build\/scalar\/test_requant$/m);
  t.regex(r.stdout, /^xs-tinyml build: would build the Node addon: /m);
  t.regex(r.stdout, /^xs-tinyml build: would build the XS host: /m);
  const ci = spawnSync(process.execPath, [join(repoRoot, 'dist/tools/build.js'), '--dry-run'], { encoding: 'utf8', env: { ...process.env, ...hidden, CI: '1' } });
  t.is(ci.status, 1);
  t.regex(ci.stderr, /^xs-tinyml build: cannot build the clang build \(build\/clang\): clang is missing \(apt-get install -y clang\)$/m);
  t.regex(ci.stderr, /^xs-tinyml build: CI is set, so every build is required$/m);
  t.is(ci.stdout, '', 'nothing built');
});

/** Test files whose every test needs an optional tool or the reference set (but core-vectors' tflm-ops tests on the host, reference and scalar builds). */
const files = ['core-vectors', 'core-malformed', 'core-refused', 'engines-agree', 'browser', 'rv32-count'].map((f) => `dist/test/${f}.test.js`);

function ava(env: NodeJS.ProcessEnv): { status: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules/ava/entrypoints/cli.mjs'), '--tap', ...files],
    { cwd: repoRoot, encoding: 'utf8', env, timeout: 300_000 });
  return { status: r.status, lines: `${r.stdout}${r.stderr}`.split('\n') };
}

test('the tests that need what is missing skip, one line each naming what and how to get it; under CI they fail', (t) => {
  const hidden = { XTML_HIDE_TOOLS: optional.join(',') };
  const plain = ava(withoutCi(hidden));
  t.is(plain.status, 0, plain.lines.join('\n'));
  const skips = plain.lines.filter((l) => / # SKIP/.test(l));
  t.true(skips.length >= 15, `${skips.length} skipped:\n${plain.lines.join('\n')}`);
  // Only the committed tflm-ops vectors on the builds every machine makes (host, reference, scalar) may run.
  const ran = plain.lines.filter((l) => /^(not )?ok /.test(l) && !/ # SKIP/.test(l));
  t.deepEqual(ran.filter((l) => !/^ok \d+ - .*(host|reference|scalar): (tflm-ops |the \d+ tflm-ops configurations)/.test(l)), [], 'nothing else ran');
  for (const line of skips) {
    t.regex(line, /\[skipped: .+ is missing \((apt-get install -y [\w .-]+|put the shared reference data at \.\.\/shared\/reference or set XTML_REFERENCE)[^)]*\)/, line);
  }
  // each kind of missing thing is named where it matters
  t.true(skips.some((l) => l.includes('the reference set (') && l.includes('is missing (put the shared reference data at ../shared/reference or set XTML_REFERENCE)')));
  t.true(skips.some((l) => l.includes('Chromium (') && l.includes('(apt-get install -y chromium, or set XTML_CHROMIUM)')));
  t.true(skips.some((l) => l.includes("clang's AddressSanitizer and UBSan runtime is missing (apt-get install -y clang libclang-rt-14-dev)")));
  t.true(skips.some((l) => l.includes('a 32-bit x86 build of the core that runs here') &&
    l.includes('is missing (apt-get install -y gcc-multilib qemu-user, then npm run build)')));
  t.true(skips.some((l) => l.includes('the rv32imc cross compiler with picolibc is missing (apt-get install -y gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)')));

  const ci = ava({ ...process.env, ...hidden, CI: '1' });
  t.not(ci.status, 0);
  const failed = ci.lines.filter((l) => /^not ok /.test(l));
  t.is(failed.length, skips.length, 'every skip is a failure under CI');
  t.true(ci.lines.some((l) => /CI is set and the reference set \(.*\) is missing/.test(l)), ci.lines.join('\n'));
  t.deepEqual(ci.lines.filter((l) => / # SKIP/.test(l)), []);
});
