// rv32imc instruction counts of the core on a model: the rv32 build of the CLI
// (make -C native rv32) runs under qemu-riscv32 with our TCG plugin
// (make -C native qemu-plugin), which counts the guest instructions between
// the CLI's markers xtml_cli_count_begin/_end, whose addresses come from the
// program's symbol table (nm). The regions are, in order: xtml_arena_size,
// xtml_init, then one per xtml_invoke (native/tools/xtml_cli.c).
//
//   node dist/tools/rv32-count.js <model.tflite> [--input in.bin] [--opt O2|Os] [--repeat N] [--json]
//
// Without --input the input is seeded (xorshift32, seed 1, as the reference
// set's README defines it). Prints per optimization level: instructions for
// arena size, init, load (their sum) and per invoke.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from '../test/support/reference.js';

const exec = promisify(execFile);

export type Rv32Opt = 'O2' | 'Os';

export interface Rv32Count {
  opt: Rv32Opt;
  /** Instructions in xtml_arena_size. */
  arenaSize: number;
  /** Instructions in xtml_init. */
  init: number;
  /** arenaSize + init. */
  load: number;
  /** Instructions of each xtml_invoke, in call order. */
  invokes: number[];
}

export const rv32Paths = {
  cli: (opt: Rv32Opt): string => join(repoRoot, 'build', `rv32imc-${opt}`, 'xtml'),
  plugin: join(repoRoot, 'build', 'qemu-plugin', 'xtml_count.so'),
  nm: 'riscv64-unknown-elf-nm',
  qemu: 'qemu-riscv32',
};

/** Addresses of the named symbols in an ELF file, from nm. */
export async function symbolAddresses(elf: string, names: string[]): Promise<Map<string, string>> {
  const { stdout } = await exec(rv32Paths.nm, [elf], { maxBuffer: 16 << 20 });
  const found = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [address, , name] = line.trim().split(/\s+/);
    if (address !== undefined && name !== undefined && names.includes(name)) found.set(name, `0x${address}`);
  }
  for (const name of names) if (!found.has(name)) throw new Error(`${elf}: no symbol ${name}`);
  return found;
}

export interface CountedRun {
  regions: number[];
  total: number;
  stdout: string;
  stderr: string;
}

/**
 * Run an rv32 program under qemu-riscv32 with the counting plugin, regions
 * from `begin` to `end` (symbol names). Fails when the program does.
 */
export async function runCounted(elf: string, args: string[], begin: string, end: string): Promise<CountedRun> {
  const symbols = await symbolAddresses(elf, [begin, end]);
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-rv32-count-'));
  const out = join(scratch, 'counts.txt');
  try {
    const plugin = `${rv32Paths.plugin},begin=${symbols.get(begin)!},end=${symbols.get(end)!},out=${out}`;
    const { stdout, stderr } = await exec(rv32Paths.qemu, ['-plugin', plugin, elf, ...args], { maxBuffer: 64 << 20 });
    const text = readFileSync(out, 'utf8');
    const regions = [...text.matchAll(/^region \d+: (\d+)$/gm)].map((m) => Number(m[1]));
    const total = text.match(/^total: (\d+)$/m);
    if (total === null) throw new Error(`no total from the counting plugin: ${text}`);
    return { regions, total: Number(total[1]), stdout, stderr };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const dtypeBytes: Record<string, number> = {
  float32: 4, int32: 4, uint32: 4, int64: 8, uint64: 8, float64: 8, int16: 2, uint16: 2, float16: 2, int8: 1, uint8: 1, bool: 1,
};

interface InspectJson {
  arena_bytes: number;
  macs: number;
  inputs: number[];
  tensors: { dtype: string; shape: number[] }[];
}

/** `xtml inspect --json` of a model, from the rv32 build. */
export async function inspectRv32(model: string, opt: Rv32Opt = 'O2'): Promise<InspectJson> {
  const { stdout } = await exec(rv32Paths.qemu, [rv32Paths.cli(opt), 'inspect', model, '--json'], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as InspectJson;
}

/** Seeded input bytes for a model (reference README: xorshift32; float32 elements state / 2^31). */
export function seededInput(info: InspectJson, seed: number): Buffer {
  let state = seed >>> 0;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const parts: Buffer[] = [];
  for (const index of info.inputs) {
    const t = info.tensors[index]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    const size = dtypeBytes[t.dtype];
    if (size === undefined) throw new Error(`no seeded input for dtype ${t.dtype}`);
    const buf = Buffer.alloc(count * size);
    for (let i = 0; i < count; i++) {
      if (t.dtype === 'float32') buf.writeFloatLE((next() | 0) / 2 ** 31, 4 * i);
      else for (let b = 0; b < size; b++) buf[i * size + b] = next() >>> 24;
    }
    parts.push(buf);
  }
  return Buffer.concat(parts);
}

/** Count arena size, init and `repeat` invokes of a model on the rv32 build at `opt`. */
export async function countRv32(model: string, input: string, opt: Rv32Opt, repeat = 2): Promise<Rv32Count> {
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-rv32-run-'));
  try {
    const run = await runCounted(rv32Paths.cli(opt), [
      'run', model, '--input', input, '--output', join(scratch, 'out.bin'), '--repeat', String(repeat),
    ], 'xtml_cli_count_begin', 'xtml_cli_count_end');
    if (run.regions.length !== 2 + repeat) {
      throw new Error(`expected ${2 + repeat} counted regions, got ${run.regions.length}: ${run.stderr}`);
    }
    const [arenaSize, init, ...invokes] = run.regions as [number, number, ...number[]];
    return { opt, arenaSize, init, load: arenaSize + init, invokes };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  let input: string | undefined;
  let opts: Rv32Opt[] = ['O2', 'Os'];
  let repeat = 2;
  let json = false;
  let model: string | undefined;
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === '--input') input = args.shift();
    else if (a === '--opt') {
      const o = args.shift();
      if (o !== 'O2' && o !== 'Os') return usage();
      opts = [o];
    } else if (a === '--repeat') {
      repeat = Number(args.shift());
      if (!Number.isInteger(repeat) || repeat < 1) return usage();
    } else if (a === '--json') json = true;
    else if (model === undefined && !a.startsWith('--')) model = resolve(a);
    else return usage();
  }
  if (model === undefined) return usage();
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-rv32-input-'));
  try {
    const info = await inspectRv32(model);
    if (input === undefined) {
      input = join(scratch, 'seed1.in.bin');
      writeFileSync(input, seededInput(info, 1));
    }
    const counts: Rv32Count[] = [];
    for (const opt of opts) counts.push(await countRv32(model, resolve(input), opt, repeat));
    if (json) {
      console.log(JSON.stringify({ model, macs: info.macs, arena_bytes: info.arena_bytes, counts }));
    } else {
      console.log(`${model}: ${info.macs.toLocaleString('en-US')} MACs, 32-bit arena ${info.arena_bytes.toLocaleString('en-US')} bytes`);
      for (const c of counts) {
        const invoke = c.invokes[0]!;
        console.log(`rv32imc -${c.opt}: invoke ${invoke.toLocaleString('en-US')} instructions` +
          ` (${(invoke / Math.max(info.macs, 1)).toFixed(2)} per MAC),` +
          ` load ${c.load.toLocaleString('en-US')} (arena size ${c.arenaSize.toLocaleString('en-US')}, init ${c.init.toLocaleString('en-US')})`);
      }
    }
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function usage(): number {
  console.error('usage: node dist/tools/rv32-count.js <model.tflite> [--input in.bin] [--opt O2|Os] [--repeat N] [--json]');
  return 2;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
