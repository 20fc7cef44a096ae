// The core's integer-only numerics (docs/numerics.md):
// - native/test/test_numerics.c checks the quantized multipliers against
//   TFLM's double computation (every reference model's scales, random and
//   constructed boundary cases), exp/tanh against correctly rounded values
//   and the float text against printf, on the 64-bit, 32-bit and sanitizer
//   builds; the exp/tanh digests over a stride of all floats must agree
//   between the builds.
// - No rv32imc object of the core references a soft-double helper or a
//   double function of the C library.
import test from 'ava';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, optionalTest } from './support/optional.js';
import { referenceDir, repoRoot } from './support/reference.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 16 << 20, timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

const program = (variant: string): string => join(repoRoot, 'build', variant, 'test_numerics');

/** The 32-bit x86 build runs natively where the kernel can (its CLI then
 * prints its usage), else under qemu-i386. */
function run32(args: string[]): Promise<Run> {
  const probe = spawnSync(join(repoRoot, 'build/host32/xtml'), [], { encoding: 'utf8', timeout: 60_000 });
  if (/^usage:/.test(probe.stderr ?? '')) return run(program('host32'), args);
  return run('qemu-i386', [program('host32'), ...args]);
}

// Random cases per build: the 64-bit build runs the full million.
const plans: Record<string, { count: string; start: (args: string[]) => Promise<Run> }> = {
  host: { count: '1000000', start: (args) => run(program('host'), args) },
  asan: { count: '100000', start: (args) => run(program('asan'), args) },
  host32: { count: '100000', start: run32 },
};

const digests: Record<string, Promise<string>> = {};

for (const [variant, plan] of Object.entries(plans)) {
  const result = plan.start([referenceDir, plan.count]);
  digests[variant] = result.then((r) => r.stdout.split('\n').filter((l) => l.startsWith('# digest')).join('\n'));
  const requirements = variant === 'host32' ? [needs.reference, needs.qemuI386] : [needs.reference];
  optionalTest(`${variant}: quantized multipliers, exp, tanh and float text match their double oracles`, requirements, async (t) => {
    const r = await result;
    const failures = r.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    t.deepEqual(failures, [], r.stderr.slice(-2000));
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    const m = summary.match(/^(\d+) passed, (\d+) failed$/);
    t.truthy(m, `summary line: ${summary}`);
    t.true(Number(m![1]) >= 18, summary);
    t.is(r.code, 0);
  });
}

optionalTest('exp and tanh give the same bits on the 64-bit, 32-bit and sanitizer builds', [needs.reference, needs.qemuI386], async (t) => {
  const [host, asan, host32] = await Promise.all([digests['host']!, digests['asan']!, digests['host32']!]);
  t.regex(host, /# digest exp [0-9a-f]{8}\n# digest tanh [0-9a-f]{8}/);
  t.is(asan, host);
  t.is(host32, host);
});

// ---- no double on the MCU builds ----

/** Soft-float double helpers of libgcc (names with "df") and the C library's
 * double functions. */
const softDouble = /^__[a-z]*df[a-z0-9]*$/;
const libmDouble = new Set(['frexp', 'ldexp', 'scalbn', 'round', 'lround', 'llround', 'floor', 'ceil', 'trunc', 'rint',
  'lrint', 'nearbyint', 'fabs', 'copysign', 'fmod', 'modf', 'remainder', 'fmin', 'fmax', 'fdim', 'fma', 'exp', 'exp2',
  'expm1', 'log', 'log2', 'log10', 'log1p', 'pow', 'sqrt', 'cbrt', 'hypot', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'atan2', 'sinh', 'cosh', 'tanh', 'erf', 'erfc', 'tgamma', 'lgamma']);
/** The only C library math left in the core: exact by definition, so the same in every C library. */
const libmAllowed = new Set(['roundf', 'floorf']);
const libmFloat = /^[a-z0-9]+f$/;

function undefinedSymbols(object: string): string[] {
  return execFileSync('riscv64-unknown-elf-nm', ['-u', object], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/).pop() ?? '')
    .filter(Boolean);
}

const rv32Libs = ['O2-detail', 'O2-nodetail', 'Os-detail', 'Os-nodetail'].map((v) => `rv32imc-${v}`);

optionalTest('no rv32imc object of the core (-O2, -Os, with and without detail) uses double', [needs.riscvGcc], (t) => {
  execFileSync('make', ['-s', '-C', join(repoRoot, 'native'), '-j2', ...rv32Libs.map((l) => `../build/mcu/${l}/libxtml.a`)], {
    stdio: 'inherit',
  });
  const problems: string[] = [];
  let objects = 0;
  for (const lib of rv32Libs) {
    const dir = join(repoRoot, 'build/mcu', lib, 'obj');
    for (const object of readdirSync(dir).filter((f) => f.endsWith('.o'))) {
      objects++;
      for (const symbol of undefinedSymbols(join(dir, object))) {
        const mathFloat = libmFloat.test(symbol) && libmDouble.has(symbol.slice(0, -1));
        if (softDouble.test(symbol) || libmDouble.has(symbol) || (mathFloat && !libmAllowed.has(symbol))) {
          problems.push(`${lib}/${object}: ${symbol}`);
        }
      }
    }
  }
  t.true(objects >= 4 * 18, `${objects} objects`);
  t.deepEqual(problems, []);
});

optionalTest('the double check can fail: double arithmetic and expf on rv32imc are caught', [needs.riscvGcc], (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xtml-double-'));
  try {
    const source = join(dir, 'd.c');
    writeFileSync(source, '#include <math.h>\ndouble g(double a, double b) { return a * b; }\nfloat f(float a) { return expf(a); }\n');
    execFileSync('riscv64-unknown-elf-gcc', ['-march=rv32imc', '-mabi=ilp32', '--specs=picolibc.specs', '-O2', '-c',
      source, '-o', join(dir, 'd.o')]);
    const symbols = undefinedSymbols(join(dir, 'd.o'));
    t.true(symbols.some((s) => softDouble.test(s)), symbols.join(' '));
    t.true(symbols.includes('expf') && !libmAllowed.has('expf'), symbols.join(' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
