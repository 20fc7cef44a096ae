// npm run size:ops: the core's code in a firmware, by operator set. Links
// native/test/op_table_app.c (a program that loads, invokes and reads one
// model) with the MCU library builds at -Os, with and without detail
// messages, and --gc-sections: once calling xtml_init() (every operator) and
// once per model with the table `xs-tinyml ops MODEL --c` writes for it (typed
// entries where the model allows; "full entries": the same operators untyped)
// (xtml_init_ops()). The figures are the bytes the linker kept from
// libxtml.a, read from the link map: code (.text) + read-only data
// (.rodata/.srodata), what sits in flash; and data + bss (RAM, outside the
// arena). Beside them the whole library, `size -t` of libxtml.a (text + rodata).
//
//   node dist/tools/size-ops.js [--json] [--target rv32imc|cm4f]...
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../test/support/reference.js';

const referenceDir = resolve(process.env['XTML_REFERENCE'] ?? join(repoRoot, '../shared/reference'));

interface Target {
  name: string;
  prefix: string;
  arch: string[];
  /** Startup objects and linker flags of a program for this target. */
  link: string[];
  /** Makefile goals besides the libraries, relative to native/. */
  goals: string[];
}

const targets: Target[] = [
  {
    name: 'rv32imc', prefix: 'riscv64-unknown-elf-', arch: ['-march=rv32imc', '-mabi=ilp32', '--specs=picolibc.specs'],
    link: ['-nostartfiles', '-T', join(repoRoot, 'native/port/rv32-linux/linux.ld'),
      join(repoRoot, 'build/rv32imc-Os/obj/start.o'), join(repoRoot, 'build/rv32imc-Os/obj/linux_syscalls.o')],
    goals: ['../build/rv32imc-Os/obj/start.o', '../build/rv32imc-Os/obj/linux_syscalls.o'],
  },
  {
    name: 'cm4f', prefix: 'arm-none-eabi-', arch: ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'],
    link: ['--specs=nosys.specs'],
    goals: [],
  },
];

interface OpSet {
  name: string;
  /** The model whose table is linked; undefined: xtml_init(), every operator. */
  model?: string;
  /** Link the operators' full entries instead of the typed ones the CLI picks (CONV_2D for CONV_2D_INT8). */
  full?: boolean;
}

const sets: OpSet[] = [
  { name: 'every operator (xtml_init)' },
  { name: 'detector (models/detector.tflite)', model: join(repoRoot, 'models/detector.tflite') },
  { name: 'detector, full entries', model: join(repoRoot, 'models/detector.tflite'), full: true },
  { name: 'person_detect (TFLM example)', model: join(referenceDir, 'models/tflm_person_detect.tflite') },
  { name: 'hello_world (TFLM example)', model: join(referenceDir, 'models/tflm_hello_world_int8.tflite') },
];

interface Sizes {
  code: number;
  data: number;
}

/** Bytes of the input sections that came from libxtml.a, from a GNU ld map. */
function librarySizes(map: string): Sizes {
  const at = map.indexOf('Linker script and memory map');
  const lines = map.slice(at < 0 ? 0 : at).split('\n');
  const sizes: Sizes = { code: 0, data: 0 };
  for (let i = 0; i < lines.length; i++) {
    // " .text.name  0xADDR  0xSIZE file" or " .text.name" then "  0xADDR  0xSIZE file"
    const head = lines[i]!.match(/^ (\.[^\s]+|COMMON)(?:\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.+))?$/);
    if (head === null) continue;
    let size = head[3];
    let file = head[4];
    if (size === undefined) {
      const next = lines[i + 1]?.match(/^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.+)$/);
      if (next == null) continue;
      size = next[2];
      file = next[3];
      i++;
    }
    if (!/libxtml\.a\(/.test(file!)) continue;
    const section = head[1]!;
    const bytes = Number.parseInt(size!, 16);
    if (/^\.(text|rodata|srodata)(\.|$)/.test(section)) sizes.code += bytes;
    else if (/^\.(data|sdata|bss|sbss|tbss|tdata)(\.|$)/.test(section) || section === 'COMMON') sizes.data += bytes;
  }
  return sizes;
}

interface Row {
  target: string;
  detail: boolean;
  set: string;
  operators: string[];
  code: number;
  data: number;
}

function main(): void {
  const json = process.argv.includes('--json');
  const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--target' ? [a] : []));
  const chosen = targets.filter((t) => only.length === 0 || only.includes(t.name));
  const dir = mkdtempSync(join(tmpdir(), 'xtml-size-ops-'));
  const rows: Row[] = [];
  const libraries: { target: string; detail: boolean; bytes: number }[] = [];
  try {
    const tables = sets.map((set) => {
      if (set.model === undefined) return { set, operators: [] as string[], header: null };
      if (!existsSync(set.model)) throw new Error(`${set.model} is missing (the reference set: set XTML_REFERENCE)`);
      const typed = execFileSync(process.execPath, [join(repoRoot, 'bin/xs-tinyml.js'), 'ops', set.model, '--c', '--name', 'app_ops'], { encoding: 'utf8' });
      const header = set.full === true ? typed.replace(/XTML_OP\(([A-Z0-9_]+?)_INT8\)/g, 'XTML_OP($1)') : typed;
      const operators = [...header.matchAll(/XTML_OP\(([A-Z0-9_]+)\)/g)].map((m) => m[1]!);
      return { set, operators, header };
    });
    for (const target of chosen) {
      for (const detail of [false, true]) {
        const lib = `build/mcu/${target.name}-Os-${detail ? 'detail' : 'nodetail'}/libxtml.a`;
        execFileSync('make', ['-s', '-C', join(repoRoot, 'native'), '-j2', `../${lib}`, ...target.goals], { stdio: 'inherit' });
        const total = execFileSync(`${target.prefix}size`, ['-t', join(repoRoot, lib)], { encoding: 'utf8' }).trim().split('\n').pop()!;
        libraries.push({ target: target.name, detail, bytes: Number(total.trim().split(/\s+/)[0]) });
        for (const { set, operators, header } of tables) {
          const sub = join(dir, `${target.name}-${detail}-${rows.length}`);
          execFileSync('mkdir', ['-p', sub]);
          if (header !== null) writeFileSync(join(sub, 'op_table.h'), header);
          const map = join(sub, 'app.map');
          execFileSync(`${target.prefix}gcc`, [...target.arch, '-std=c99', '-Os', '-ffunction-sections', '-fdata-sections',
            ...(header === null ? ['-DOP_TABLE_ALL'] : []), '-I', join(repoRoot, 'native/include'), '-I', sub,
            join(repoRoot, 'native/test/op_table_app.c'), '-Wl,--gc-sections', `-Wl,-Map=${map}`, '-o', join(sub, 'app'),
            ...target.link, join(repoRoot, lib), '-lm']);
          rows.push({ target: target.name, detail, set: set.name, operators, ...librarySizes(readFileSync(map, 'utf8')) });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (json) {
    console.log(JSON.stringify({ libraries, rows }, null, 2));
    return;
  }
  const n = (x: number): string => x.toLocaleString('en-US');
  for (const target of chosen) {
    const lib = (detail: boolean): string => n(libraries.find((l) => l.target === target.name && l.detail === detail)!.bytes);
    const row = (set: string, detail: boolean): Row => rows.find((r) => r.target === target.name && r.set === set && r.detail === detail)!;
    console.log(`\n${target.name} -Os: bytes of libxtml.a in the linked program, code + rodata (data + bss)\n`);
    console.log('| operator set | operators | XTML_NO_DETAIL | with detail |');
    console.log('|---|---|---:|---:|');
    console.log(`| the whole library (\`size -t libxtml.a\`) | all | ${lib(false)} | ${lib(true)} |`);
    for (const set of sets) {
      const a = row(set.name, false);
      const b = row(set.name, true);
      const ops = set.model === undefined ? 'all' : a.operators.join(', ');
      console.log(`| ${set.name} | ${ops} | ${n(a.code)} (${n(a.data)}) | ${n(b.code)} (${n(b.data)}) |`);
    }
  }
}

main();
