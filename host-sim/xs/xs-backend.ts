// The XS backend from Node: runs models through the desktop XS host
// (build/xs/xtml-xs, `npm run build:xs`) as a subprocess. The whole session
// runs inside XS (InferenceSession on the XS binding, as on a device); this
// side only starts run-vectors (run-vectors.ts) and reads the JSON lines it
// prints. Node-only, so it lives here and never in src/.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XtmlError } from '../../src/errors.js';

/** The repository root (this file runs from dist/host-sim/xs/). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const xsHostPath = join(root, 'build/xs/xtml-xs');
/** The host's module map: native/xs/manifest.json plus the host-only modules. */
export const xsManifestPath = join(root, 'host-sim/xs/manifest.json');

/**
 * How the model bytes reach the core inside XS: 'map' as a Resource (a host
 * buffer over the mapped file, used in place, as a device's flash); 'copy' as
 * an ArrayBuffer; 'view' as a Uint8Array at an odd offset (copied to aligned
 * memory by the binding).
 */
export type XsLoad = 'map' | 'copy' | 'view';

/** An XtmlError as run-vectors reports it, or another exception. */
export interface XsError {
  code?: string;
  detail?: string;
  needed?: number;
  name?: string;
  message?: string;
}

export interface XsVectorResult {
  model: string;
  vector?: string;
  /** All outputs concatenated in model order (the layout of *.out.bin). */
  output?: Buffer;
  error?: XsError;
}

export interface XsModelResult {
  model: string;
  arenaBytes?: number;
  macs?: number;
  operators?: { name: string; macs: number }[];
  inputs?: { name: string; type: string; dims: number[]; bytes: number; scale: number; zeroPoint: number }[];
  outputs?: { name: string; type: string; dims: number[]; bytes: number; scale: number; zeroPoint: number }[];
  output?: Buffer;
  profile?: { index: number; name: string; ms: number }[];
  msPerInvoke?: number;
  error?: XsError;
}

export function xsHostAvailable(): boolean {
  return existsSync(xsHostPath) && existsSync(join(root, 'dist/host-sim/xs/run-vectors.js'));
}

/** The error an XS result carries, as the other backends would throw it. */
export function xsErrorToError(error: XsError): Error {
  if (error.code !== undefined) return new XtmlError(error.code, error.detail ?? '', error.needed ?? undefined);
  return new Error(`${error.name ?? 'Error'}: ${error.message ?? ''}`);
}

/** Run run-vectors with these arguments; one parsed object per printed line. */
export function runXs(args: string[], timeoutMs = 600_000): Promise<Record<string, unknown>[]> {
  return runXsProgram('run-vectors', args, timeoutMs);
}

/** Run a program of host-sim/xs/manifest.json (run-vectors, run-frames) with
 * these arguments; one parsed object per printed line. */
export function runXsProgram(program: string, args: string[], timeoutMs = 600_000): Promise<Record<string, unknown>[]> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      xsHostPath,
      ['--manifest', xsManifestPath, program, ...args],
      { timeout: timeoutMs, maxBuffer: 256 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`xtml-xs ${program} ${args.join(' ')} failed (${String(error.code ?? error.signal)}): ${stderr.trim()}`));
          return;
        }
        try {
          const lines = stdout.split('\n').filter((line) => line !== '');
          resolvePromise(lines.map((line) => JSON.parse(line) as Record<string, unknown>));
        } catch (parseError) {
          reject(new Error(`xtml-xs printed something other than JSON lines: ${String(parseError)}`));
        }
      },
    );
  });
}

function withOutput<T extends { output?: Buffer }>(line: Record<string, unknown>): T {
  const output = line['output'];
  return { ...line, output: typeof output === 'string' ? Buffer.from(output, 'hex') : undefined } as unknown as T;
}

/** Every vector of a reference manifest (manifest.json layout), through XS. */
export async function runManifestXs(manifestPath: string, options: { load?: XsLoad; only?: string[] } = {}): Promise<XsVectorResult[]> {
  const args = ['manifest', manifestPath, '--load', options.load ?? 'map'];
  if (options.only !== undefined) args.push('--only', options.only.join(','));
  return (await runXs(args)).map((line) => withOutput<XsVectorResult>(line));
}

/** One model through XS: its metadata and, given an input file (all inputs concatenated), the outputs. */
export async function runModelXs(
  modelPath: string,
  options: { input?: string; arenaBytes?: number; load?: XsLoad; profile?: boolean; repeat?: number } = {},
): Promise<XsModelResult> {
  const args = ['model', modelPath, '--load', options.load ?? 'map'];
  if (options.input !== undefined) args.push('--input', options.input);
  if (options.arenaBytes !== undefined) args.push('--arena-bytes', String(options.arenaBytes));
  if (options.profile === true) args.push('--profile');
  if (options.repeat !== undefined) args.push('--repeat', String(options.repeat));
  const [line] = await runXs(args);
  if (line === undefined) throw new Error('xtml-xs printed no result');
  return withOutput<XsModelResult>(line);
}

/** Load (verify, prepare, plan) each model through XS: its arena bytes or its error. */
export async function loadModelsXs(modelPaths: string[], options: { load?: XsLoad } = {}): Promise<XsModelResult[]> {
  return (await runXs(['load', ...modelPaths, '--load', options.load ?? 'map'])) as unknown as XsModelResult[];
}

/** xtml_model_verify of the model cut at every length 0..n-1: "CODE: detail", or "ok". */
export async function truncationsXs(modelPath: string): Promise<string[]> {
  const [line] = await runXs(['truncations', modelPath]);
  return (line?.['outcomes'] ?? []) as string[];
}

/** xtml_status_name of every status, as the XS binding reports them. */
export async function statusNamesXs(): Promise<string[]> {
  const [line] = await runXs(['status-names']);
  return (line?.['statusNames'] ?? []) as string[];
}
