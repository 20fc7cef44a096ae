// Operator tables (xtml_init_ops(), docs/c-api.md): a program that loads its
// model with the table `xs-tinyml ops --c` writes for it (the detector's:
// typed INT8 entries) keeps only the table's kernels and their int8 code
// after --gc-sections (nm), runs the model to the same bytes as the full
// core's CLI, refuses an operator left out of its table with
// UNSUPPORTED_OPERATOR naming it, refuses a 16x8 or int4 CONV_2D with the
// typed entry alone with UNSUPPORTED_TYPE naming the entry it needs (and
// runs it with the full entry after the typed one), and refuses malformed
// tables with BAD_ARGUMENT. On the host build, and on rv32imc -Os under
// qemu-riscv32.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, optionalTest } from './support/optional.js';
import { cliPath, repoRoot, runProgram, seededBytes, type Variant } from './support/reference.js';

const detector = join(repoRoot, 'models/detector.tflite');
const app = join(repoRoot, 'native/test/op_table_app.c');
const include = join(repoRoot, 'native/include');
const dir = mkdtempSync(join(tmpdir(), 'xtml-op-table-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

interface Facts {
  arena_bytes: number;
  arena_bytes_32bit: number;
  inputs: number[];
  operators: { name: string }[];
  tensors: { dtype: string; shape: number[] }[];
}
let inspected: Facts | undefined;
/** A model as the C CLI describes it. */
function inspect(model: string): Facts {
  return JSON.parse(execFileSync(cliPath('host'), ['inspect', model, '--json'], { encoding: 'utf8' })) as Facts;
}

/** The detector as the C CLI describes it. */
function facts(): Facts {
  inspected ??= inspect(detector);
  return inspected;
}

/** The detector's builtins as the C CLI lists them: each once, in order of first use. */
function cliOperators(): string[] {
  return [...new Set(facts().operators.map((op) => op.name))];
}

/** Kernel and entry objects a linked program holds. */
function linkedKernels(nm: string, program: string): { kernels: string[]; entries: string[] } {
  const symbols = execFileSync(nm, [program], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ').pop() ?? '');
  return {
    kernels: symbols.filter((s) => /^xtml_kernel_[a-z0-9_]+$/.test(s)).sort(),
    entries: symbols.filter((s) => /^xtml_op_[A-Z0-9_]+$/.test(s)).sort(),
  };
}

const expectedKernels = ['xtml_kernel_conv_2d_int8', 'xtml_kernel_depthwise_conv_2d_int8', 'xtml_kernel_softmax_int8'];
const expectedEntries = ['xtml_op_CONV_2D_INT8', 'xtml_op_DEPTHWISE_CONV_2D_INT8', 'xtml_op_SOFTMAX_INT8'];
/**
 * Functions only the full CONV_2D, DEPTHWISE_CONV_2D and SOFTMAX kernels
 * reach: the int4 unpacking, the 16x8 checks and requantization, the int16
 * SOFTMAX's table maths, and float exp (float SOFTMAX).
 */
const otherTypes = ['xtml_unpack_int4', 'xtml_prep_expect_s16_io', 'xtml_mul_by_quantized_multiplier_64',
  'xtml_quantize_f32_mul_div_f64', 'xtml_exp_f32'];

/** Every symbol a linked program defines. */
function symbols(nm: string, program: string): Set<string> {
  return new Set(execFileSync(nm, [program], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ').pop() ?? ''));
}

const conv16x8 = join(repoRoot, 'test/data/tflm-ops/int16/models/op_conv_2d_16x8_same_s1_bias64.tflite');
const convInt4 = join(repoRoot, 'test/data/tflm-ops/misc/models/op_conv_2d_int4_weights_same_s1.tflite');
const withVariables = join(repoRoot, 'test/data/tflm-ops/subgraph/models/var_int8_read_before_assign.tflite');

let table: Promise<string> | undefined;
/** op_table.h for the detector, from the CLI, and the input every build runs. */
function prepare(): Promise<string> {
  table ??= (async () => {
    const c = execFileSync(process.execPath, [join(repoRoot, 'bin/xs-tinyml.js'), 'ops', detector, '--c', '--name', 'app_ops'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'op_table.h'), c);
    const { inputs, tensors } = facts();
    const inputBytes = inputs.reduce((sum, i) => {
      if (tensors[i]!.dtype !== 'int8') throw new Error('the detector has an int8 input');
      return sum + tensors[i]!.shape.reduce((a, d) => a * d, 1);
    }, 0);
    writeFileSync(join(dir, 'in.bin'), seededBytes(14, inputBytes));
    execFileSync(cliPath('host'), ['run', detector, '--input', join(dir, 'in.bin'), '--output', join(dir, 'want.bin')]);
    return c;
  })();
  return table;
}

test('xs-tinyml ops lists the builtins the model uses, as the C CLI does, and --c their XTML_OP() entries, typed where the model allows', async (t) => {
  const c = await prepare();
  const names = cliOperators();
  t.deepEqual(names, ['CONV_2D', 'DEPTHWISE_CONV_2D', 'SOFTMAX']);
  const listed = execFileSync(process.execPath, [join(repoRoot, 'bin/xs-tinyml.js'), 'ops', detector], { encoding: 'utf8' });
  t.deepEqual(listed.trim().split('\n'), names);
  // the detector is int8 throughout (the C CLI's tensor types say so)
  t.true(facts().tensors.every((x) => x.dtype === 'int8' || x.dtype === 'int32'));
  t.deepEqual([...c.matchAll(/XTML_OP\(([A-Z0-9_]+)\)/g)].map((m) => m[1]), names.map((n) => `${n}_INT8`));
  t.regex(c, /static const xtml_op_t \*const app_ops\[3\] = \{/);
  // a 16x8 and an int4 CONV_2D get the full entry
  for (const model of [conv16x8, convInt4]) {
    const other = execFileSync(process.execPath, [join(repoRoot, 'bin/xs-tinyml.js'), 'ops', model, '--c'], { encoding: 'utf8' });
    t.deepEqual([...other.matchAll(/XTML_OP\(([A-Z0-9_]+)\)/g)].map((m) => m[1]), ['CONV_2D'], model);
  }
});

interface Build {
  variant: Variant;
  cc: string;
  nm: string;
  arch: string[];
  /** What the program links with, built where needed. */
  libs: () => string[];
  needs: Parameters<typeof optionalTest>[1];
}

const rv32Objs = ['build/rv32imc-Os/obj/start.o', 'build/rv32imc-Os/obj/linux_syscalls.o', 'build/mcu/rv32imc-Os-detail/libxtml.a'];
const builds: Build[] = [
  {
    variant: 'host', cc: 'gcc', nm: 'nm', arch: [], needs: [],
    libs: () => [join(repoRoot, 'build/host/libxtml.a'), '-lm'],
  },
  {
    variant: 'rv32imc-Os', cc: 'riscv64-unknown-elf-gcc', nm: 'riscv64-unknown-elf-nm', needs: [needs.riscvGcc, needs.qemuRiscv32],
    arch: ['-march=rv32imc', '-mabi=ilp32', '--specs=picolibc.specs'],
    libs: () => {
      execFileSync('make', ['-s', '-C', join(repoRoot, 'native'), ...rv32Objs.map((o) => `../${o}`)], { stdio: 'inherit' });
      return ['-nostartfiles', '-T', join(repoRoot, 'native/port/rv32-linux/linux.ld'), ...rv32Objs.map((o) => join(repoRoot, o)), '-lm'];
    },
  },
];

for (const b of builds) {
  const link = (out: string, all: boolean): void => {
    execFileSync(b.cc, [...b.arch, '-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-Os', '-ffunction-sections', '-fdata-sections',
      ...(all ? ['-DOP_TABLE_ALL'] : []), '-I', include, '-I', dir, app, '-Wl,--gc-sections', '-o', out, ...b.libs()]);
  };
  const run = (program: string, args: string[]) => runProgram(b.variant, program, args, 120_000);

  optionalTest(`${b.variant}: a program with the detector's table links only its 3 kernels and runs it exactly; every kernel without a table`,
    b.needs, async (t) => {
      await prepare();
      const program = join(dir, `app-${b.variant}`);
      const full = join(dir, `app-all-${b.variant}`);
      link(program, false);
      link(full, true);
      const linked = linkedKernels(b.nm, program);
      t.deepEqual(linked.kernels, expectedKernels);
      t.deepEqual(linked.entries, expectedEntries);
      // Only the int8 code of the three: what the full kernels alone reach is in xtml_init()'s program, not here.
      const kept = symbols(b.nm, program);
      const everything = symbols(b.nm, full);
      t.deepEqual(otherTypes.filter((f) => kept.has(f)), []);
      t.deepEqual(otherTypes.filter((f) => !everything.has(f)), []);
      // The resource-variable layout comes with the VAR_HANDLE entry only.
      t.false(kept.has('xtml_var_layout'));
      t.true(everything.has('xtml_var_layout'));
      // The same check on the program that calls xtml_init(): nothing is dropped.
      const all = linkedKernels(b.nm, full);
      const header = readFileSync(join(include, 'xtml.h'), 'utf8');
      const listed = [...header.matchAll(/^ {4}X\(([A-Za-z0-9_]+), \d+, ([a-z0-9_]+)\)/gm)];
      t.true(listed.length >= 77, `${listed.length} operators in XTML_OPERATORS`);
      t.deepEqual(all.kernels, listed.map((m) => `xtml_kernel_${m[2]}`).sort());

      // The same outputs as the C CLI, and the same arena as it reports for this pointer width.
      const arena = b.variant === 'host' ? facts().arena_bytes : facts().arena_bytes_32bit;
      for (const [program_, name] of [[program, 'table'], [full, 'all']] as const) {
        const out = join(dir, `out-${b.variant}-${name}.bin`);
        const r = await run(program_, [detector, join(dir, 'in.bin'), out]);
        t.is(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
        t.deepEqual(readFileSync(out), readFileSync(join(dir, 'want.bin')), name);
        t.is(r.stdout.trim(), `arena ${arena}`, name);
      }

      // xtml_arena_size_with() honours a table too (and links every kernel anyway).
      const withTable = await run(full, ['--with-table', detector]);
      t.is(withTable.code, 0, withTable.stderr);
      t.deepEqual(withTable.stdout.trim().split('\n'), [
        `arena XTML_STATUS_OK ${arena}`,
        `all XTML_STATUS_OK ${arena}`,
        'two XTML_STATUS_UNSUPPORTED_OPERATOR 0',
        `operator ${facts().operators.findIndex((op) => op.name === 'SOFTMAX')}: builtin SOFTMAX (code 25) is not in the operator table (options.ops)`,
      ]);

      // Without SOFTMAX (the table's last entry): refused at init, by name.
      const dropped = await run(program, [detector, join(dir, 'in.bin'), join(dir, 'none.bin'), '1']);
      t.is(dropped.code, 1, dropped.stderr);
      t.is(dropped.stdout.trim(), `XTML_STATUS_UNSUPPORTED_OPERATOR: operator ${facts().operators.findIndex((op) => op.name === 'SOFTMAX')}: builtin SOFTMAX (code 25) is not in the operator table (options.ops)`);

      const bad = await run(program, ['--bad-tables', detector]);
      t.is(bad.code, 0, bad.stderr);
      t.deepEqual(bad.stdout.trim().split('\n'), [
        'negative-count XTML_STATUS_BAD_ARGUMENT',
        'null-table XTML_STATUS_BAD_ARGUMENT',
        'null-entry XTML_STATUS_BAD_ARGUMENT',
        'mismatched-kernel XTML_STATUS_BAD_ARGUMENT',
        'unknown-code XTML_STATUS_BAD_ARGUMENT',
        'no-kernel XTML_STATUS_BAD_ARGUMENT',
        'empty-table XTML_STATUS_UNSUPPORTED_OPERATOR',
      ]);
    });

  optionalTest(`${b.variant}: CONV_2D_INT8 alone refuses 16x8 and int4 CONV_2D naming the entry they need; before CONV_2D it gives way`,
    b.needs, async (t) => {
      await prepare();
      const tables: [string, string][] = [['typed', 'XTML_OP(CONV_2D_INT8)'], ['both', 'XTML_OP(CONV_2D_INT8), XTML_OP(CONV_2D)']];
      const programs = new Map<string, string>();
      for (const [name, entries] of tables) {
        const sub = join(dir, `${b.variant}-${name}`);
        mkdirSync(sub, { recursive: true });
        writeFileSync(join(sub, 'op_table.h'), `static const xtml_op_t *const app_ops[] = { ${entries} };\n`);
        const program = join(sub, 'app');
        execFileSync(b.cc, [...b.arch, '-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-Os', '-ffunction-sections', '-fdata-sections',
          '-I', include, '-I', sub, app, '-Wl,--gc-sections', '-o', program, ...b.libs()]);
        programs.set(name, program);
      }
      t.deepEqual(linkedKernels(b.nm, programs.get('typed')!).kernels, ['xtml_kernel_conv_2d_int8']);
      t.deepEqual(linkedKernels(b.nm, programs.get('both')!).kernels, ['xtml_kernel_conv_2d', 'xtml_kernel_conv_2d_int8']);
      for (const [model, types] of [[conv16x8, 'int16, filter int8'], [convInt4, 'int8, filter int4']] as const) {
        const f = inspect(model);
        const input = join(dir, `in-${b.variant}-${types.length}.bin`);
        const want = join(dir, `want-${b.variant}-${types.length}.bin`);
        const bytes = f.inputs.reduce((sum, i) => sum + f.tensors[i]!.shape.reduce((a, d) => a * d, 1) * (f.tensors[i]!.dtype === 'int16' ? 2 : 1), 0);
        writeFileSync(input, seededBytes(15, bytes));
        execFileSync(cliPath('host'), ['run', model, '--input', input, '--output', want]);
        const refused = await run(programs.get('typed')!, [model, input, join(dir, 'none.bin')]);
        t.is(refused.code, 1, refused.stderr);
        t.regex(refused.stdout.trim(), new RegExp(`^XTML_STATUS_UNSUPPORTED_TYPE: operator 0 \\(CONV_2D\\): input '[^']*' is ${types}: ` +
          "the table's entry CONV_2D_INT8 runs int8 only; these types need XTML_OP\\(CONV_2D\\)$"), model);
        const out = join(dir, `out-${b.variant}-${types.length}.bin`);
        const ran = await run(programs.get('both')!, [model, input, out]);
        t.is(ran.code, 0, `${ran.stdout}${ran.stderr}`);
        t.deepEqual(readFileSync(out), readFileSync(want), model);
        t.is(ran.stdout.trim(), `arena ${b.variant === 'host' ? f.arena_bytes : f.arena_bytes_32bit}`, model);
      }
      // A model with resource variables needs the VAR_HANDLE entry before anything is prepared.
      const vars = await run(programs.get('typed')!, [withVariables, join(dir, 'in.bin'), join(dir, 'none.bin')]);
      t.is(vars.code, 1, vars.stderr);
      t.regex(vars.stdout.trim(), /^XTML_STATUS_UNSUPPORTED_OPERATOR: subgraph \d+ operator \d+: builtin VAR_HANDLE \(code 142\) is not in the operator table \(options\.ops\)$/);
    });
}
