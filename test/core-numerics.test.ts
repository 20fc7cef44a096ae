// The core's integer-only numerics (docs/numerics.md):
// - native/test/test_numerics.c checks the quantized multipliers against
//   TFLM's double computation (every reference model's scales, random and
//   constructed boundary cases), exp/tanh against correctly rounded values
//   and the float text against printf, on the 64-bit, 32-bit x86, sanitizer
//   and rv32imc builds; the exp/tanh digests over a stride of all floats
//   must agree between the builds.
// - No rv32imc object of the core references a soft-double helper or a
//   double function of the C library.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { referenceDir, repoRoot, runProgram, type RunResult, type Variant } from './support/reference.js';

const program = (variant: Variant): string => join(repoRoot, 'build', variant, 'test_numerics');

// Random cases per build (the count is per form; about 7 x count random
// multiplier cases in all): the 64-bit build runs the full million per form;
// the others fewer. host32 runs natively or under qemu-i386, rv32imc-O2 under
// qemu-riscv32 (picolibc: its own C library, and no FPU), about 1.5 million
// random multiplier cases there in some 10 s of CPU.
const plans: { variant: Variant; count: string; needs: Requirement[] }[] = [
  { variant: 'host', count: '1000000', needs: [needs.reference] },
  { variant: 'asan', count: '100000', needs: [needs.reference, needs.clang] },
  { variant: 'host32', count: '100000', needs: [needs.reference, needs.host32] },
  { variant: 'rv32imc-O2', count: '200000', needs: [needs.reference, needs.riscvGcc, needs.qemuRiscv32] },
];

const results: Record<string, Promise<RunResult>> = {};
const digest = (r: RunResult): string => r.stdout.split('\n').filter((l) => l.startsWith('# digest')).join('\n');

for (const plan of plans) {
  const start = (): Promise<RunResult> =>
    (results[plan.variant] ??= runProgram(plan.variant, program(plan.variant), [referenceDir, plan.count], 900_000));
  optionalTest(`${plan.variant}: quantized multipliers, exp, tanh and float text match their double oracles`, plan.needs,
    async (t) => {
      const r = await start();
      const failures = r.stdout.split('\n').filter((line) => line.startsWith('not ok'));
      t.deepEqual(failures, [], r.stderr.slice(-2000));
      const summary = r.stdout.trim().split('\n').pop() ?? '';
      const m = summary.match(/^(\d+) passed, (\d+) failed$/);
      t.truthy(m, `summary line: ${summary}`);
      t.true(Number(m![1]) >= 18, summary);
      t.is(r.code, 0);
      t.regex(digest(r), /^# digest exp [0-9a-f]{8}\n# digest tanh [0-9a-f]{8}$/);
    });
}

optionalTest('exp and tanh give the same bits on the 64-bit, 32-bit, sanitizer and rv32imc builds',
  plans.flatMap((p) => p.needs), async (t) => {
    const runs = await Promise.all(plans.map((p) => results[p.variant] ?? Promise.reject(new Error(`${p.variant} did not run`))));
    const host = digest(runs[0]!);
    t.not(host, '');
    runs.forEach((r, i) => t.is(digest(r), host, plans[i]!.variant));
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
