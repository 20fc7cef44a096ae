// The reference set (../shared/reference): manifests, vectors, and running
// them through a build of the core's CLI. Shared by the tests and the bench.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const referenceDir = resolve(process.env['XTML_REFERENCE'] ?? join(repoRoot, '../shared/reference'));

export type Variant = 'host' | 'host32' | 'asan' | 'clang';

export function cliPath(variant: Variant): string {
  return join(repoRoot, 'build', variant, 'xtml');
}

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
  byte_offset: number;
  bytes: number;
}

export interface VectorSpec {
  name: string;
  input: string;
  output: string;
}

export interface ModelSpec {
  id: string;
  model: string;
  bytes: number;
  ops: Record<string, number>;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  vectors?: VectorSpec[];
  tflm: Record<string, number | null>;
  /** Folder the manifest's relative paths start from. */
  base: string;
}

export function loadManifest(which: 'models' | 'ops'): ModelSpec[] {
  const path = which === 'models' ? join(referenceDir, 'manifest.json') : join(referenceDir, 'ops/manifest.json');
  const base = dirname(path);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { models: Omit<ModelSpec, 'base'>[] };
  return parsed.models.map((m) => ({ ...m, base }));
}

export function referenceAvailable(): boolean {
  return existsSync(join(referenceDir, 'manifest.json'));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let i386: string[] | null | undefined;
/**
 * How to run a 32-bit x86 program here: directly ([]) where the kernel runs
 * them, through qemu-i386 where it does not (some container kernels have no
 * IA-32 emulation), or null when neither works (no gcc -m32 to build a probe,
 * or no qemu-user).
 */
export function i386Runner(): string[] | null {
  if (i386 === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'xtml-i386-'));
    try {
      const probe = join(dir, 'probe');
      const built = spawnSync('gcc', ['-m32', '-x', 'c', '-', '-o', probe], { input: 'int main(void) { return 0; }\n', stdio: ['pipe', 'ignore', 'ignore'] });
      const runs = (command: string, args: string[]): boolean => {
        const r = spawnSync(command, args, { stdio: 'ignore' });
        return r.error === undefined && r.status === 0;
      };
      if (built.error !== undefined || built.status !== 0) i386 = null;
      else if (runs(probe, [])) i386 = [];
      else if (runs('qemu-i386', [probe])) i386 = ['qemu-i386'];
      else i386 = null;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return i386;
}

/** A variant's CLI (or another program of its build) with its arguments, as it runs here. */
export function commandFor(variant: Variant, program: string, args: string[]): [string, string[]] {
  const runner = variant === 'host32' ? i386Runner() ?? [] : [];
  return runner.length > 0 ? [runner[0]!, [...runner.slice(1), program, ...args]] : [program, args];
}

export function runCli(variant: Variant, args: string[], timeoutMs = 300_000): Promise<RunResult> {
  const [command, argv] = commandFor(variant, cliPath(variant), args);
  return new Promise((resolvePromise) => {
    execFile(command, argv, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Distance in units in the last place between two float32 values. */
export function ulpDistance(a: number, b: number): number {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  const order = (i: number): number => (i < 0 ? -2147483648 - i : i);
  return Math.abs(order(bits[0]!) - order(bits[1]!));
}

/** Models whose float results depend on the C library's transcendental
 * functions: compared within `ulp` instead of byte for byte (ops/README.md). */
export const ulpTolerance: Record<string, number> = { op_tanh_f32: 2 };

/** Compare outputs; returns null when they match, else a description. */
export function compareOutputs(id: string, got: Buffer, want: Buffer): string | null {
  if (got.equals(want)) return null;
  if (got.length !== want.length) return `${got.length} bytes, expected ${want.length}`;
  const tolerance = ulpTolerance[id];
  if (tolerance !== undefined) {
    const g = new Float32Array(got.buffer, got.byteOffset, got.length / 4);
    const w = new Float32Array(want.buffer, want.byteOffset, want.length / 4);
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, ulpDistance(g[i]!, w[i]!));
    return worst <= tolerance ? null : `differs by ${worst} ulp (allowed ${tolerance})`;
  }
  let i = 0;
  while (got[i] === want[i]) i++;
  return `first difference at byte ${i}: got ${got[i]}, expected ${want[i]}`;
}

/** Run at most `limit` async jobs at a time. */
export function limiter(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Seeded input bytes as the reference README defines them (xorshift32,
 * integer inputs: the top byte of each state). */
export function seededBytes(seed: number, count: number): Uint8Array {
  let state = seed >>> 0;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state >>> 24;
  }
  return out;
}
