// Optional tools and data, and whether they are here: what a test or a build
// step needs (clang, gcc-multilib, emcc, Chromium, the reference set...), how
// to get it, and a probe. XTML_HIDE_TOOLS=name,name hides some, to see what a
// machine without them does. No ava here: the build (tools/build.ts) uses it
// too; optional.ts turns requirements into tests that skip or fail.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { host32Runner, i386Runner, referenceDir, type Variant } from './reference.js';

export interface Requirement {
  /** What the tests need, in a few words ("clang"). */
  what: string;
  /** How to get it ("apt-get install -y clang"). */
  how: string;
  present(): boolean;
}

function onPath(command: string, args: string[] = ['--version']): () => boolean {
  let cached: boolean | undefined;
  return () => {
    if (cached === undefined) {
      const r = spawnSync(command, args, { stdio: 'ignore', env: process.env });
      cached = r.error === undefined && r.status === 0;
    }
    return cached;
  };
}

/** Whether `cc args` compiles and links a small C program (the libraries and runtimes are there, not only the driver). */
function links(cc: string, args: string[]): () => boolean {
  let cached: boolean | undefined;
  return () => {
    if (cached === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'xtml-probe-'));
      try {
        const r = spawnSync(cc, [...args, '-x', 'c', '-', '-o', join(dir, 'probe')], {
          input: '#include <stdio.h>\n#include <math.h>\nint main(void) { printf("%f", sqrt(2.0)); return 0; }\n',
          stdio: ['pipe', 'ignore', 'ignore'],
        });
        cached = r.error === undefined && r.status === 0;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return cached;
  };
}

const hidden = new Set((process.env['XTML_HIDE_TOOLS'] ?? '').split(',').filter((s) => s !== ''));

/** A requirement; XTML_HIDE_TOOLS=name,name hides some, to test the skips. */
export function requirement(name: string, what: string, how: string, present: () => boolean): Requirement {
  return { what, how, present: () => !hidden.has(name) && present() };
}

const gccMultilib = requirement('gcc-multilib', 'the 32-bit C library for gcc -m32', 'apt-get install -y gcc-multilib',
  links('gcc', ['-m32', '-lm']));
const run32 = requirement('qemu-i386', 'a way to run 32-bit x86 programs (the kernel\'s IA-32 support, or qemu-i386)', 'apt-get install -y qemu-user',
  () => i386Runner() !== null);

export const needs = {
  reference: requirement('reference', `the reference set (${referenceDir})`,
    'put the shared reference data at ../shared/reference or set XTML_REFERENCE',
    () => existsSync(join(referenceDir, 'manifest.json'))),
  clang: requirement('clang', 'clang', 'apt-get install -y clang', onPath('clang')),
  sanitizers: requirement('clang', "clang's AddressSanitizer and UBSan runtime", 'apt-get install -y clang libclang-rt-14-dev',
    links('clang', ['-fsanitize=address,undefined', '-lm'])),
  emcc: requirement('emcc', 'emscripten (emcc)', 'apt-get install -y emscripten', onPath('emcc', ['--version'])),
  chromium: requirement('chromium', `Chromium (${process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium'})`,
    'apt-get install -y chromium, or set XTML_CHROMIUM',
    () => existsSync(process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium')),
  gccMultilib,
  run32,
  /** The 32-bit build itself, built by npm run build where the two above are here, and running. */
  host32: requirement('host32', 'a 32-bit x86 build of the core that runs here (gcc -m32, and IA-32 emulation in the kernel or qemu-i386)',
    'apt-get install -y gcc-multilib qemu-user, then npm run build',
    () => gccMultilib.present() && run32.present() && host32Runner() !== null),
  qemuI386: requirement('qemu-i386', 'qemu-i386 (to run 32-bit x86 programs)', 'apt-get install -y qemu-user',
    onPath('qemu-i386', ['--version'])),
  qemuRiscv32: requirement('qemu-riscv32', 'qemu-riscv32', 'apt-get install -y qemu-user',
    onPath('qemu-riscv32', ['--version'])),
  riscvGcc: requirement('riscv-gcc', 'the rv32imc cross compiler with picolibc',
    'apt-get install -y gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf', onPath('riscv64-unknown-elf-gcc')),
  armGcc: requirement('arm-gcc', 'the Cortex-M cross compiler with newlib',
    'apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi', onPath('arm-none-eabi-gcc')),
  xtensaGcc: requirement('xtensa-gcc', 'the Xtensa lx106 cross compiler with picolibc',
    'apt-get install -y gcc-xtensa-lx106 picolibc-xtensa-lx106-elf', onPath('xtensa-lx106-elf-gcc')),
  valgrind: requirement('valgrind', 'valgrind', 'apt-get install -y valgrind', onPath('valgrind')),
  cmake: requirement('cmake', 'CMake', 'apt-get install -y cmake', onPath('cmake')),
  mosquitto: requirement('mosquitto', 'the Mosquitto broker', 'apt-get install -y mosquitto',
    () => existsSync('/usr/sbin/mosquitto')),
  skimage: requirement('skimage', "scikit-image's sample images (natural images for the converter's check)", 'apt-get install -y python3-skimage',
    () => existsSync('/usr/lib/python3/dist-packages/skimage/data/chelsea.png')),
} satisfies Record<string, Requirement>;

/** What building each variant of the core needs (native/Makefile). */
export const variantNeeds: Record<Variant, Requirement[]> = {
  host: [],
  reference: [],
  scalar: [],
  host32: [needs.gccMultilib, needs.run32],
  clang: [needs.clang],
  asan: [needs.sanitizers],
  'rv32imc-O2': [needs.riscvGcc, needs.qemuRiscv32],
  'rv32imc-Os': [needs.riscvGcc, needs.qemuRiscv32],
};

/**
 * Every build of the C CLI that runs the vector tests (core-vectors,
 * tflm-sequence), with what each needs; host32 runs under qemu-i386 where
 * the kernel refuses 32-bit programs.
 */
export const cliBuilds: { variant: Variant; needs: Requirement[] }[] = [
  { variant: 'host', needs: variantNeeds.host },
  { variant: 'host32', needs: [needs.host32] },
  { variant: 'asan', needs: variantNeeds.asan },
  { variant: 'reference', needs: variantNeeds.reference },
  { variant: 'scalar', needs: variantNeeds.scalar },
  { variant: 'rv32imc-O2', needs: variantNeeds['rv32imc-O2'] },
  { variant: 'rv32imc-Os', needs: variantNeeds['rv32imc-Os'] },
];

export const strict = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';

/** The first missing requirement's message, or null when all are present. */
export function missing(requirements: Requirement[]): string | null {
  const absent = requirements.filter((r) => !r.present());
  if (absent.length === 0) return null;
  return absent.map((r) => `${r.what} is missing (${r.how})`).join('; ');
}

