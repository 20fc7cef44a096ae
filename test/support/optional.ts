// Optional tools and data. A test that needs one runs where it is present;
// where it is absent the test is skipped with one line that names what is
// missing and how to get it, and when CI is set (.ci/run sets it) the test
// fails instead, so CI can never pass by skipping.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { host32Runner, referenceDir } from './reference.js';

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

const hidden = new Set((process.env['XTML_HIDE_TOOLS'] ?? '').split(',').filter((s) => s !== ''));

/** A requirement; XTML_HIDE_TOOLS=name,name hides some, to test the skips. */
export function requirement(name: string, what: string, how: string, present: () => boolean): Requirement {
  return { what, how, present: () => !hidden.has(name) && present() };
}

export const needs = {
  reference: requirement('reference', `the reference set (${referenceDir})`,
    'put the shared reference data at ../shared/reference or set XTML_REFERENCE',
    () => existsSync(join(referenceDir, 'manifest.json'))),
  clang: requirement('clang', 'clang with its sanitizer runtime', 'apt-get install -y clang libclang-rt-14-dev',
    onPath('clang')),
  emcc: requirement('emcc', 'emscripten (emcc)', 'apt-get install -y emscripten', onPath('emcc', ['--version'])),
  chromium: requirement('chromium', `Chromium (${process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium'})`,
    'apt-get install -y chromium, or set XTML_CHROMIUM',
    () => existsSync(process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium')),
  gccMultilib: requirement('gcc-multilib', '32-bit x86 C libraries (gcc -m32)', 'apt-get install -y gcc-multilib',
    () => existsSync('/usr/include/x86_64-linux-gnu/gnu/stubs-32.h') || existsSync('/usr/include/gnu/stubs-32.h')),
  host32: requirement('host32', 'a 32-bit x86 build of the core that runs here (gcc -m32, and IA-32 emulation in the kernel or qemu-i386)',
    'apt-get install -y gcc-multilib qemu-user, then npm run build',
    () => (existsSync('/usr/include/x86_64-linux-gnu/gnu/stubs-32.h') || existsSync('/usr/include/gnu/stubs-32.h')) &&
      host32Runner() !== null),
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

export const strict = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';

/** The first missing requirement's message, or null when all are present. */
export function missing(requirements: Requirement[]): string | null {
  const absent = requirements.filter((r) => !r.present());
  if (absent.length === 0) return null;
  return absent.map((r) => `${r.what} is missing (${r.how})`).join('; ');
}

type Impl = (t: ExecutionContext) => void | Promise<void>;

/**
 * test(title, impl) when every requirement is present. Otherwise a skipped
 * test whose title says what is missing, or under CI a failing one.
 */
export function optionalTest(title: string, requirements: Requirement[], impl: Impl, serial = false): void {
  const why = missing(requirements);
  const register = serial ? test.serial : test;
  if (why === null) {
    register(title, impl);
  } else if (strict) {
    register(title, (t) => t.fail(`CI is set and ${why}`));
  } else {
    (serial ? test.serial.skip : test.skip)(`${title} [skipped: ${why}]`, impl);
  }
}
