#!/usr/bin/env node
// npx xs-tinyml: the TypeScript API from the command line, on any backend.
//
//   inspect <model> [--json] [--backend B]
//   run <model> --input in.bin --output out.bin [--backend B] [--repeat N] [--profile]
//   verify <manifest.json> [--backend B] [--filter S]
//   bench [manifest.json] [--backend B...] [--repeat N]
//
// Backends: wasm, node (falls back to wasm with a warning), xs (the desktop XS
// host, as a subprocess). Errors print "CODE: detail" and exit 1, never a stack.
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InferenceSession, XtmlError, type BackendName, type Tensor } from '../../src/index.js';
import { bytesOf, typedView, type TensorMetadata } from '../../src/tensor.js';
import { loadBinding } from './backends.js';
import { runManifestXs, runModelXs, xsErrorToError, xsHostAvailable, type XsModelResult } from '../xs/xs-backend.js';

const backends: BackendName[] = ['wasm', 'node', 'xs'];

class UsageError extends Error {}

function parseBackend(value: string): BackendName {
  if (!(backends as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${backends.join(', ')}`);
  return value as BackendName;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function readModel(path: string): Buffer {
  if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
  return readFileSync(path);
}

function requireXs(): void {
  if (!xsHostAvailable()) throw new UsageError('the XS desktop host is not built: run `npm run build:xs` and `npx tsc -p .`');
}

/** Model facts and, optionally, one run, on any backend. */
interface Loaded {
  arenaBytes: number;
  macs: number;
  operators: readonly { name: string; macs: number }[];
  inputs: readonly TensorMetadata[];
  outputs: readonly TensorMetadata[];
  output?: Buffer;
  msPerInvoke?: number;
  profile?: readonly { index: number; name: string; ms: number }[];
}

function concatOutputs(tensors: Tensor[]): Buffer {
  return Buffer.concat(tensors.map((t) => Buffer.from(bytesOf(t.data))));
}

function splitInputs(inputs: readonly TensorMetadata[], bytes: Buffer): Uint8Array[] {
  const need = inputs.reduce((sum, t) => sum + t.bytes, 0);
  if (bytes.length !== need) {
    throw new UsageError(`input file has ${bytes.length} bytes, the model's inputs need ${need} (${inputs.map((t) => `${t.name} ${JSON.stringify(t.dims)} ${t.type}`).join(', ')})`);
  }
  let offset = 0;
  return inputs.map((t) => {
    const copy = new Uint8Array(t.bytes);
    copy.set(bytes.subarray(offset, offset + t.bytes));
    offset += t.bytes;
    return copy;
  });
}

/** A typed array of each input's type over its raw bytes. */
function feedsFor(session: InferenceSession, parts: Uint8Array[]): Tensor['data'][] {
  return parts.map((part, i) => typedView(session.inputs[i]!.type, part.buffer as ArrayBuffer, part.byteOffset, part.byteLength));
}

async function load(backend: BackendName, modelPath: string, run?: { input: Buffer; inputPath: string; repeat: number; profile: boolean }): Promise<Loaded> {
  if (backend === 'xs') {
    requireXs();
    const result: XsModelResult = await runModelXs(resolve(modelPath), run === undefined ? {} : { input: resolve(run.inputPath), repeat: run.repeat, profile: run.profile });
    if (result.error !== undefined) throw xsErrorToError(result.error);
    const loaded: Loaded = {
      arenaBytes: result.arenaBytes!, macs: result.macs!, operators: result.operators!,
      inputs: result.inputs as TensorMetadata[], outputs: result.outputs as TensorMetadata[],
    };
    if (run !== undefined) splitInputs(loaded.inputs, run.input);
    if (result.output !== undefined) loaded.output = result.output;
    if (result.msPerInvoke !== undefined) loaded.msPerInvoke = result.msPerInvoke;
    if (result.profile !== undefined) loaded.profile = result.profile;
    return loaded;
  }
  const session = InferenceSession.create(loadBinding(backend), readModel(modelPath), { profiling: run?.profile ?? false });
  try {
    const loaded: Loaded = { arenaBytes: session.arenaBytes, macs: session.macs, operators: session.operators, inputs: session.inputs, outputs: session.outputs };
    if (run !== undefined) {
      const feeds = feedsFor(session, splitInputs(session.inputs, run.input));
      const outputs = session.run(feeds);
      if (run.repeat > 1) {
        const into = outputs.map((t) => t.data);
        const start = performance.now();
        for (let i = 0; i < run.repeat; i++) session.runInto(feeds, into);
        loaded.msPerInvoke = (performance.now() - start) / run.repeat;
      }
      loaded.output = concatOutputs(outputs);
      if (run.profile) loaded.profile = session.profile();
    }
    return loaded;
  } finally {
    session.release();
  }
}

const dims = (d: readonly number[]): string => `[${d.join(',')}]`;
const quant = (t: TensorMetadata): string => (t.scale > 0 ? ` scale ${t.scale.toPrecision(6)} zp ${t.zeroPoint}` : '');

async function inspect(modelPath: string, opts: { json?: boolean; backend: BackendName }): Promise<void> {
  const bytes = readModel(modelPath);
  const info = await load(opts.backend, modelPath);
  const facts = {
    model: modelPath,
    model_bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    backend: opts.backend,
    arena_bytes: info.arenaBytes,
    macs: info.macs,
    inputs: info.inputs,
    outputs: info.outputs,
    operators: info.operators.map((op, index) => ({ index, ...op })),
  };
  if (opts.json === true) {
    console.log(JSON.stringify(facts, null, 2));
    return;
  }
  console.log(`${modelPath}: ${facts.model_bytes} bytes, sha256 ${facts.sha256.slice(0, 16)}...`);
  console.log(`arena ${facts.arena_bytes} bytes (exact, ${opts.backend}), ${facts.macs.toLocaleString('en-US')} MACs per run`);
  for (const t of info.inputs) console.log(`  input  ${t.name} ${t.type} ${dims(t.dims)}${quant(t)}`);
  for (const t of info.outputs) console.log(`  output ${t.name} ${t.type} ${dims(t.dims)}${quant(t)}`);
  for (const op of facts.operators) console.log(`  ${String(op.index).padStart(3)} ${op.name.padEnd(24)} ${op.macs.toLocaleString('en-US').padStart(12)} MACs`);
}

async function run(modelPath: string, opts: { input: string; output: string; backend: BackendName; repeat: number; profile?: boolean }): Promise<void> {
  if (!existsSync(opts.input)) throw new UsageError(`no such file: ${opts.input}`);
  const result = await load(opts.backend, modelPath, { input: readFileSync(opts.input), inputPath: opts.input, repeat: opts.repeat, profile: opts.profile === true });
  writeFileSync(opts.output, result.output!);
  if (result.msPerInvoke !== undefined) console.error(`${result.msPerInvoke.toFixed(4)} ms per invoke (${opts.backend}, ${opts.repeat} runs)`);
  for (const op of result.profile ?? []) console.error(`  ${String(op.index).padStart(3)} ${op.name.padEnd(24)} ${op.ms.toFixed(4)} ms`);
}

interface ManifestModel {
  id: string;
  model: string;
  vectors?: { name: string; input: string; output: string }[];
}

function readManifest(path: string): { base: string; models: ManifestModel[] } {
  if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { models?: ManifestModel[] };
  if (!Array.isArray(parsed.models)) throw new UsageError(`${path} has no "models" array`);
  return { base: dirname(resolve(path)), models: parsed.models };
}

/** Outputs whose float results go through the C library (see the reference README). */
const ulpTolerance: Record<string, number> = { op_tanh_f32: 2 };

function compare(id: string, got: Buffer, want: Buffer): string {
  if (got.equals(want)) return 'exact';
  const tolerance = ulpTolerance[id];
  if (tolerance !== undefined && got.length === want.length) {
    const g = new Int32Array(got.buffer.slice(got.byteOffset, got.byteOffset + got.length));
    const w = new Int32Array(want.buffer.slice(want.byteOffset, want.byteOffset + want.length));
    const order = (i: number): number => (i < 0 ? -2147483648 - i : i);
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(order(g[i]!) - order(w[i]!)));
    if (worst <= tolerance) return `within ${worst} ulp`;
  }
  let i = 0;
  while (i < got.length && got[i] === want[i]) i++;
  return `MISMATCH at byte ${i} of ${want.length}`;
}

async function verify(manifestPath: string, opts: { backend: BackendName; filter?: string }): Promise<void> {
  const { base, models } = readManifest(manifestPath);
  const selected = models.filter((m) => (opts.filter === undefined || m.id.includes(opts.filter)) && (m.vectors ?? []).length > 0);
  let exact = 0;
  let bad = 0;
  const report = (id: string, vector: string, outcome: string): void => {
    const ok = outcome === 'exact' || outcome.startsWith('within');
    if (ok) exact++;
    else bad++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${id}/${vector}: ${outcome}`);
  };
  if (opts.backend === 'xs') {
    requireXs();
    const results = await runManifestXs(resolve(manifestPath), { only: selected.map((m) => m.id) });
    for (const r of results) {
      const model = selected.find((m) => m.id === r.model);
      const vector = model?.vectors?.find((v) => v.name === r.vector);
      if (model === undefined || vector === undefined) continue;
      if (r.error !== undefined) report(model.id, vector.name, `error ${xsErrorToError(r.error).message}`);
      else report(model.id, vector.name, compare(model.id, r.output!, readFileSync(join(base, vector.output))));
    }
  } else {
    const binding = loadBinding(opts.backend);
    for (const model of selected) {
      let session: InferenceSession;
      try {
        session = InferenceSession.create(binding, readFileSync(join(base, model.model)));
      } catch (e) {
        for (const v of model.vectors!) report(model.id, v.name, `error ${(e as Error).message}`);
        continue;
      }
      for (const vector of model.vectors!) {
        try {
          const feeds = feedsFor(session, splitInputs(session.inputs, readFileSync(join(base, vector.input))));
          report(model.id, vector.name, compare(model.id, concatOutputs(session.run(feeds)), readFileSync(join(base, vector.output))));
        } catch (e) {
          report(model.id, vector.name, `error ${(e as Error).message}`);
        }
      }
      session.release();
    }
  }
  const expected = selected.reduce((sum, m) => sum + m.vectors!.length, 0);
  if (exact + bad !== expected) {
    bad += expected - exact - bad;
    console.log(`FAIL ${expected - exact} vectors produced no result`);
  }
  console.log(`${exact} exact, ${bad} mismatched of ${expected} vectors on ${opts.backend}`);
  if (bad > 0) process.exitCode = 1;
}

async function bench(manifestPath: string, opts: { backend?: BackendName[]; repeat: number }): Promise<void> {
  const { base, models } = readManifest(manifestPath);
  const chosen = opts.backend ?? backends.filter((b) => b !== 'xs' || xsHostAvailable());
  const runnable = models.filter((m) => (m.vectors ?? []).length > 0);
  const bar = new SingleBar({ format: 'bench [{bar}] {value}/{total} {task}', stream: process.stderr, clearOnComplete: true }, Presets.shades_classic);
  bar.start(runnable.length * chosen.length, 0, { task: '' });
  const rows: Record<string, string>[] = [];
  for (const model of runnable) {
    const row: Record<string, string> = { model: model.id };
    for (const backend of chosen) {
      bar.update({ task: `${model.id} on ${backend}` });
      try {
        const vector = model.vectors![0]!;
        const inputPath = join(base, vector.input);
        const r = await load(backend, join(base, model.model), { input: readFileSync(inputPath), inputPath, repeat: opts.repeat, profile: false });
        row[backend] = r.msPerInvoke!.toFixed(4);
      } catch (e) {
        row[backend] = e instanceof XtmlError ? e.code : 'error';
      }
      bar.increment();
    }
    rows.push(row);
  }
  bar.stop();
  const columns = ['model', ...chosen.map((b) => b)];
  const widths = columns.map((c) => Math.max(c.length + (c === 'model' ? 0 : 3), ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => '| ' + cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ') + ' |';
  console.log(line(columns.map((c) => (c === 'model' ? c : `${c} ms`))));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const row of rows) console.log(line(columns.map((c) => row[c] ?? '')));
}

const defaultManifest = resolve(dirname(new URL(import.meta.url).pathname), '../../../../shared/reference/manifest.json');

const program = new Command('xs-tinyml')
  .description('TinyML for microcontrollers: run int8 TensorFlow Lite models bit-exactly on WebAssembly, Node and XS')
  .showHelpAfterError();

program.command('inspect <model>')
  .description("a model's inputs, outputs, operators, MACs and exact arena size")
  .option('--json', 'machine-readable output')
  .option('--backend <backend>', 'wasm | node | xs', parseBackend, 'wasm' as BackendName)
  .action(inspect);

program.command('run <model>')
  .description('run a model on raw input bytes (all inputs concatenated) and write raw output bytes')
  .requiredOption('--input <file>', 'input tensors, concatenated in model order')
  .requiredOption('--output <file>', 'where to write the output tensors, concatenated')
  .option('--backend <backend>', 'wasm | node | xs', parseBackend, 'wasm' as BackendName)
  .option('--repeat <n>', 'runs to time', parseCount, 1)
  .option('--profile', 'print the time of each operator')
  .action(run);

program.command('verify <manifest>')
  .description('run every vector of a reference manifest and compare byte for byte')
  .option('--backend <backend>', 'wasm | node | xs', parseBackend, 'wasm' as BackendName)
  .option('--filter <text>', 'only models whose id contains this')
  .action(verify);

program.command('bench [manifest]')
  .description('milliseconds per invoke of each model on each backend')
  .option('--backend <backend...>', 'backends to measure (default: all available)')
  .option('--repeat <n>', 'timed runs per model', parseCount, 50)
  .action((manifest: string | undefined, opts: { backend?: string[]; repeat: number }) =>
    bench(manifest ?? defaultManifest, { repeat: opts.repeat, ...(opts.backend ? { backend: opts.backend.map(parseBackend) } : {}) }));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof XtmlError) console.error(`${e.code}: ${e.detail}`);
  else if (e instanceof UsageError || e instanceof InvalidArgumentError) console.error(`xs-tinyml: ${e.message}`);
  else console.error(`xs-tinyml: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
