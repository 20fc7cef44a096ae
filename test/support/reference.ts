// The reference set (../shared/reference): manifests, vectors, and running
// them through a build of the core's CLI. Shared by the tests and the bench.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const referenceDir = resolve(process.env['XTML_REFERENCE'] ?? join(repoRoot, '../shared/reference'));

/** Builds of the core's CLI (native/Makefile): build/<variant>/xtml. reference:
 * every operator on its reference kernel; scalar: the fast kernels of 32-bit
 * MCUs (no SIMD) on the host. */
export type Variant = 'host' | 'host32' | 'asan' | 'clang' | 'reference' | 'scalar' | 'rv32imc-O2' | 'rv32imc-Os';

export function cliPath(variant: Variant): string {
  return join(repoRoot, 'build', variant, 'xtml');
}

/** Does this program, run through `runner`, answer with the CLI's usage text? */
function answersUsage(runner: string[], program: string): boolean {
  const [command, ...args] = [...runner, program];
  const r = spawnSync(command!, args, { encoding: 'utf8', timeout: 60_000 });
  // Without IA-32 emulation the kernel refuses the -m32 program (ENOEXEC) and
  // execvp hands it to /bin/sh, which fails with its own exit status 2.
  return r.error === undefined && r.status === 2 && r.stderr.startsWith('usage:');
}

let ia32Runner: string[] | null | undefined;

/**
 * How -m32 programs run on this machine, found once by running the 32-bit
 * CLI: [] natively where the kernel has IA-32 emulation, ['qemu-i386']
 * where it does not; null when neither works (not built, or no qemu-i386).
 */
export function host32Runner(): string[] | null {
  if (ia32Runner === undefined) {
    const program = cliPath('host32');
    ia32Runner = !existsSync(program) ? null
      : answersUsage([], program) ? []
      : answersUsage(['qemu-i386'], program) ? ['qemu-i386']
      : null;
  }
  return ia32Runner;
}

/** The command prefix a variant's programs need here ([] to run directly). */
export function runnerFor(variant: Variant): string[] {
  if (variant === 'host32') return host32Runner() ?? [];
  if (variant.startsWith('rv32')) return ['qemu-riscv32'];
  return [];
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
  /** Float results may differ from TFLM's by this many ulp (tflm-ops). */
  ulp_tolerance?: number;
  /** Invokes in a row per vector; the .out.bin holds each invoke's outputs (tflm-ops). */
  invokes?: number;
  /** Folder the manifest's relative paths start from. */
  base: string;
}

/** The project's own single-operator sets (test/data/tflm-ops/<group>/), one
 * manifest per group, with outputs from the TFLM oracle (docs/operators.md). */
export const tflmOpsDir = join(repoRoot, 'test/data/tflm-ops');

/** The groups of test/data/tflm-ops that have a manifest, sorted. */
export function tflmOpsGroups(): string[] {
  if (!existsSync(tflmOpsDir)) return [];
  return readdirSync(tflmOpsDir).filter((g) => existsSync(join(tflmOpsDir, g, 'manifest.json'))).sort();
}

/** Tolerances the tflm-ops manifests state per model ('ulp_tolerance'). */
const manifestTolerance = new Map<string, number>();

/**
 * Models of a manifest: 'models' (the reference set's real models), 'ops'
 * (its single-operator models), 'tflm' (every group of test/data/tflm-ops,
 * committed with the project: always present).
 */
export function loadManifest(which: 'models' | 'ops' | 'tflm'): ModelSpec[] {
  if (which === 'tflm') {
    return tflmOpsGroups().flatMap((g) => {
      const models = readManifest(join(tflmOpsDir, g, 'manifest.json'));
      for (const m of models) if (m.ulp_tolerance !== undefined) manifestTolerance.set(m.id, m.ulp_tolerance);
      return models;
    });
  }
  return readManifest(which === 'models' ? join(referenceDir, 'manifest.json') : join(referenceDir, 'ops/manifest.json'));
}

function readManifest(path: string): ModelSpec[] {
  const base = dirname(path);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { models: Omit<ModelSpec, 'base'>[] };
  return parsed.models.map((m) => ({ ...m, base }));
}

export interface RefusedSpec {
  id: string;
  op: string;
  model: string;
  /** What TFLM did: 'allocate_failed', 'invoke_failed', 'crashed (SIGSEGV)'. */
  status: string;
  tflm_error: string[];
  /** The status our core refuses it with (XTML_STATUS_...). */
  expected_refusal: string;
  base: string;
}

/** The configurations TFLM refuses, of every tflm-ops group. */
export function loadTflmRefused(): RefusedSpec[] {
  return tflmOpsGroups().flatMap((g) => {
    const base = join(tflmOpsDir, g);
    const parsed = JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8')) as { refused?: Omit<RefusedSpec, 'base'>[] };
    return (parsed.refused ?? []).map((r) => ({ ...r, base }));
  });
}

/** The vectors of a model that one invoke reproduces (stateful models with
 * 'invokes' > 1 need their invokes in a row on one session). */
export function singleInvoke(m: ModelSpec): boolean {
  return (m.invokes ?? 1) === 1 && (m.vectors ?? []).length > 0;
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
 * How a 32-bit x86 program would run here, found before anything is built (the
 * build decides from it whether to build host32): by compiling a probe with
 * gcc -m32 and running it directly ([]), then through qemu-i386; null when
 * neither works (no gcc -m32, or no qemu-user). host32Runner() answers the
 * same for the CLI once built.
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

export function runCli(variant: Variant, args: string[], timeoutMs = 300_000): Promise<RunResult> {
  return runProgram(variant, cliPath(variant), args, timeoutMs);
}

/** Run one of a variant's programs (build/<variant>/...) the way this machine can. */
export function runProgram(variant: Variant, program: string, args: string[], timeoutMs = 300_000,
  env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const [command, ...prefix] = [...runnerFor(variant), program];
  return new Promise((resolvePromise) => {
    execFile(command!, [...prefix, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20, env: env ?? process.env }, (error, stdout, stderr) => {
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

/**
 * Models whose expected float results come from the C library's expf/tanhf
 * (glibc, in TFLM's build of the reference): float LOGISTIC, SOFTMAX and
 * TANH. The core computes exp and tanh itself (xtml_fmath.c, correctly
 * rounded), so these are compared within `ulp` of the expected file, and
 * the tests also require every build of ours to give the same bits
 * (floatTranscendentalModels lists them; docs/numerics.md).
 */
export const ulpTolerance: Record<string, number> = {
  op_logistic_f32: 2,
  op_softmax_f32_1x10_beta1: 2,
  op_softmax_f32_2x16_beta0p5: 2,
  op_tanh_f32: 2,
};

/** Ids of the models with float32 inputs and a LOGISTIC, SOFTMAX or TANH. */
export function floatTranscendentalModels(models: ModelSpec[]): string[] {
  return models
    .filter((m) => ['LOGISTIC', 'SOFTMAX', 'TANH'].some((op) => op in m.ops) && m.inputs.some((t) => t.dtype === 'float32'))
    .map((m) => m.id)
    .sort();
}

/** Compare outputs; returns null when they match, else a description. */
export function compareOutputs(id: string, got: Buffer, want: Buffer, tolerance = ulpTolerance[id] ?? manifestTolerance.get(id)): string | null {
  if (got.equals(want)) return null;
  if (got.length !== want.length) return `${got.length} bytes, expected ${want.length}`;
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

/**
 * The 32-bit CLI: run directly where the kernel runs IA-32 programs, else
 * under qemu-i386 (kernels built without IA-32 emulation refuse them).
 */
export async function runCli32(args: string[], timeoutMs = 300_000): Promise<RunResult> {
  const direct = await runCli('host32', args, timeoutMs);
  if (direct.code === 0 || !/Exec format error|Syntax error|ENOEXEC/.test(direct.stderr)) return direct;
  return new Promise((resolvePromise) => {
    execFile('qemu-i386', [cliPath('host32'), ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}
