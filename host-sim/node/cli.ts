#!/usr/bin/env node
// npx xs-tinyml: the TypeScript API from the command line, on any backend.
//
//   inspect <model> [--json] [--backend B] [--target T]
//   ops <model> [--c] [--name N] [--backend B]
//   run <model> --input in.bin --output out.bin [--backend B] [--repeat N] [--profile]
//   verify <manifest.json> [--backend B] [--filter S]
//   bench [manifest.json] [--backend B...] [--repeat N]
//   detect <image...> [--model M] [--sidecar J] [--backend B] [--fit crop|stretch] [--json]
//   serve [--port P] [--host H] [--backend B] [--model M] [--sidecar J] [--max-body N] [--keyword-model K [--frontend-model F] [--keyword-labels a,b]] [--demo]
//   convert <model> --calibration DATA --out OUT.tflite [...]  (convert-cli.ts)
//   compare <a> <b> --data DATA [...]                          (convert-cli.ts)
//   fleet serve|rollout|status|halt|rollback|sim ...   (host-sim/node/fleet/cli.ts)
//
// Backends: wasm, node (falls back to wasm with a warning), xs (the desktop XS
// host, as a subprocess). A model or image the core or the API refuses prints
// "CODE: detail" and exits 1; a usage error (an option, a file that is not
// there or not what it should be) prints "xs-tinyml: what was wrong; what to
// do" and exits 2, as the core's CLI does. Never a stack.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InferenceSession, XtmlError, type BackendName, type Tensor } from '../../src/index.js';
import { bytesOf, typedView, type TensorMetadata } from '../../src/tensor.js';
import { loadBinding } from './backends.js';
import { LocalApiHost, bundledModelPath, startServer, type ApiHost } from './server.js';
import { desktopDecoders } from './images.js';
import { XsApiHost } from '../xs/xs-api.js';
import { defaultMaxBodyBytes, defaultMaxPixels, encodePgm } from '../../src/index.js';
import { runManifestXs, runModelXs, xsErrorToError, xsHostAvailable, type XsModelResult } from '../xs/xs-backend.js';
import { opTableC, operatorSet, tableEntries, tableName } from './op-table.js';
import { addConvertCommands, ConvertError, isConvertUsageError } from './convert-cli.js';
import { fleetCommand, FleetUsageError, PlanError } from './fleet/cli.js';

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

/** A file named on the command line, or a usage error saying what it should have been. */
function readArgument(path: string, what: string): Buffer {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file; give the path of ${what}`);
  if (statSync(path).isDirectory()) throw new UsageError(`${path} is a directory; give the path of ${what}`);
  return readFileSync(path);
}

function readModel(path: string): Buffer {
  return readArgument(path, 'a .tflite model');
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

/** Names --target accepts: 32-bit targets (pointers and size_t of 4 bytes), as the C CLI's. */
const targets32 = ['esp32', 'esp32s2', 'esp32s3', 'esp32c2', 'esp32c3', 'esp32c6', 'esp32h2', 'esp32p4', 'xtensa', 'rv32',
  'rv32imc', 'riscv32', 'cortex-m', 'cortex-m0', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'arm32', 'wasm32',
  'i386', 'ilp32', '32bit'];

function parseTarget(value: string): string {
  if (value !== 'host' && !targets32.includes(value)) {
    throw new InvalidArgumentError(`expected host or a 32-bit target: ${targets32.join(', ')}`);
  }
  return value;
}

async function inspect(modelPath: string, opts: { json?: boolean; backend: BackendName; target: string }): Promise<void> {
  const bytes = readModel(modelPath);
  const info = await load(opts.backend, modelPath);
  // The arena depends on the pointer size; the WebAssembly build is a 32-bit
  // build of the same core, so its figure is the one 32-bit devices need.
  const arena32 = opts.backend === 'wasm' ? info.arenaBytes : loadBinding('wasm').arenaSize(new Uint8Array(bytes));
  const facts = {
    model: modelPath,
    model_bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    backend: opts.backend,
    target: opts.target,
    arena_bytes: opts.target === 'host' ? info.arenaBytes : arena32,
    arena_bytes_host: info.arenaBytes,
    arena_bytes_32bit: arena32,
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
  if (opts.target === 'host') {
    console.log(`arena ${facts.arena_bytes} bytes (exact, ${opts.backend}), ${arena32} bytes on 32-bit targets (esp32, esp32s3, esp32c3, cortex-m, wasm32, ...)`);
  } else {
    console.log(`arena ${facts.arena_bytes} bytes (exact, for ${opts.target}: 32-bit), ${info.arenaBytes} bytes on the ${opts.backend} backend`);
  }
  console.log(`${facts.macs.toLocaleString('en-US')} MACs per run`);
  for (const t of info.inputs) console.log(`  input  ${t.name} ${t.type} ${dims(t.dims)}${quant(t)}`);
  for (const t of info.outputs) console.log(`  output ${t.name} ${t.type} ${dims(t.dims)}${quant(t)}`);
  for (const op of facts.operators) console.log(`  ${String(op.index).padStart(3)} ${op.name.padEnd(24)} ${op.macs.toLocaleString('en-US').padStart(12)} MACs`);
}

/** The builtins a model uses: names, or the C table for xtml_init_ops(). */
async function ops(modelPath: string, opts: { c?: boolean; name?: string; backend: BackendName }): Promise<void> {
  const info = await load(opts.backend, modelPath);
  const names = operatorSet(info.operators);
  if (opts.c !== true) {
    for (const name of names) console.log(name);
    return;
  }
  const name = opts.name ?? tableName(modelPath);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--name ${JSON.stringify(name)} is not a C identifier`);
  process.stdout.write(opTableC(tableEntries(readModel(modelPath), names), name, basename(modelPath)));
}

async function run(modelPath: string, opts: { input: string; output: string; backend: BackendName; repeat: number; profile?: boolean }): Promise<void> {
  readModel(modelPath);
  const input = readArgument(opts.input, "the model's input bytes (--input)");
  const result = await load(opts.backend, modelPath, { input, inputPath: opts.input, repeat: opts.repeat, profile: opts.profile === true });
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
  const text = readArgument(path, 'a reference manifest (manifest.json)').toString('utf8');
  const what = `${path} is not a reference manifest (JSON with a "models" array)`;
  let parsed: { models?: ManifestModel[] };
  try {
    parsed = JSON.parse(text) as { models?: ManifestModel[] };
  } catch {
    throw new UsageError(`${what}: it is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || !Array.isArray(parsed.models)) throw new UsageError(`${what}: it has no "models" array`);
  return { base: dirname(resolve(path)), models: parsed.models };
}

/** Outputs whose expected float results come from the C library's expf/tanhf
 * (see the reference README); the core computes its own, within 2 ulp. */
const ulpTolerance: Record<string, number> = {
  op_logistic_f32: 2,
  op_softmax_f32_1x10_beta1: 2,
  op_softmax_f32_2x16_beta0p5: 2,
  op_tanh_f32: 2,
};

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
  if (selected.length === 0) {
    const ids = models.map((m) => m.id);
    const list = ids.length > 6 ? `${ids.slice(0, 6).join(', ')}, ...` : ids.join(', ');
    throw new UsageError(opts.filter !== undefined
      ? `no model in ${manifestPath} has an id containing '${opts.filter}' (its ids: ${list})`
      : `no model in ${manifestPath} has vectors to verify`);
  }
  // exact: byte for byte; within: float outputs the reference set allows a few ulp (its README)
  let exact = 0;
  let within = 0;
  let bad = 0;
  const report = (id: string, vector: string, outcome: string): void => {
    const ok = outcome === 'exact' || outcome.startsWith('within');
    if (outcome === 'exact') exact++;
    else if (ok) within++;
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
  if (exact + within + bad !== expected) {
    console.log(`FAIL ${expected - exact - within - bad} vectors produced no result`);
    bad = expected - exact - within;
  }
  const tolerance = Math.max(0, ...selected.map((m) => ulpTolerance[m.id] ?? 0));
  console.log(`${exact} exact${tolerance > 0 ? `, ${within} within ${tolerance} ulp` : ''}, ${bad} mismatched of ${expected} vectors on ${opts.backend}`);
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

interface DetectOptions {
  model: string;
  sidecar?: string;
  backend: BackendName;
  fit: string;
  json?: boolean;
  width?: number;
  height?: number;
  format?: string;
}

const contentTypes: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.pgm': 'image/x-portable-graymap', '.raw': 'application/octet-stream',
};

async function apiHost(backend: BackendName, model: string, sidecar: string | undefined): Promise<ApiHost> {
  const limits = { maxBodyBytes: defaultMaxBodyBytes, maxPixels: defaultMaxPixels };
  if (backend === 'xs') {
    requireXs();
    return XsApiHost.start(model, { ...limits, decoders: desktopDecoders(limits.maxPixels), ...(sidecar !== undefined ? { sidecarPath: sidecar } : {}) });
  }
  return new LocalApiHost(backend, new Uint8Array(readModel(model)), { ...limits, ...(sidecar !== undefined ? { sidecar: readFileSync(sidecar, 'utf8') } : {}) });
}

/** PNG, JPEG or binary PGM by its first bytes. */
function knownImage(bytes: Buffer): boolean {
  return (bytes[0] === 0x89 && bytes[1] === 0x50) || (bytes[0] === 0xff && bytes[1] === 0xd8) || (bytes[0] === 0x50 && bytes[1] === 0x35);
}

interface DetectResponse {
  detections: { label: string; score: number; x: number; y: number; w: number; h: number; cx: number; cy: number }[];
  frame: { width: number; height: number };
  timing: { preprocess_ms: number; invoke_ms: number; decode_ms: number };
  error?: { code: string; message: string };
}

/** Detections in image files, through the same API the server runs (no HTTP). */
async function detect(images: string[], opts: DetectOptions): Promise<void> {
  const host = await apiHost(opts.backend, opts.model, opts.sidecar);
  try {
    for (const image of images) {
      const bytes = readArgument(image, 'an image (PNG, JPEG, PGM, or a raw frame with --width and --height)');
      const ext = image.slice(image.lastIndexOf('.')).toLowerCase();
      const query: Record<string, string> = { fit: opts.fit };
      let contentType = Object.hasOwn(contentTypes, ext) ? contentTypes[ext] : undefined;
      if (opts.width !== undefined || opts.height !== undefined) {
        if (opts.width === undefined || opts.height === undefined) throw new UsageError('--width and --height go together: a raw frame needs both');
        contentType = 'application/octet-stream';
        query['width'] = String(opts.width);
        query['height'] = String(opts.height);
        query['format'] = opts.format ?? 'gray8';
      } else if (contentType === 'application/octet-stream' || (contentType === undefined && !knownImage(bytes))) {
        throw new UsageError(`${image}: ${contentType === undefined ? 'not a PNG, JPEG or PGM image; if it is ' : ''}a raw frame needs its size: add --width and --height (and --format if it is not gray8)`);
      }
      const response = await host.handle({ method: 'POST', path: '/detect', query, contentType, body: new Uint8Array(bytes) });
      const body = JSON.parse(response.body) as DetectResponse;
      if (opts.json) {
        console.log(JSON.stringify({ image, status: response.status, ...body }));
        if (response.status !== 200) process.exitCode = 1;
        continue;
      }
      if (body.error !== undefined) {
        console.error(`${image}: ${body.error.code}: ${body.error.message}`);
        process.exitCode = 1;
        continue;
      }
      const t = body.timing;
      console.log(`${image}: ${body.frame.width}x${body.frame.height}, ${body.detections.length} detection${body.detections.length === 1 ? '' : 's'} ` +
        `(preprocess ${t.preprocess_ms.toFixed(2)} ms, invoke ${t.invoke_ms.toFixed(2)} ms, decode ${t.decode_ms.toFixed(2)} ms, ${host.backend})`);
      for (const d of body.detections) {
        console.log(`  ${d.label.padEnd(10)} ${d.score.toFixed(3)}  at (${d.cx.toFixed(1)}, ${d.cy.toFixed(1)})  box ${d.x.toFixed(0)},${d.y.toFixed(0)} ${d.w.toFixed(0)}x${d.h.toFixed(0)}`);
      }
    }
  } finally {
    await host.close();
  }
}

interface ServeOptions {
  port: number;
  host: string;
  backend: BackendName;
  model: string;
  sidecar?: string;
  maxBody: number;
  demo?: boolean;
  log?: boolean;
  stateDir?: string;
  signingKey?: string;
  driftThreshold?: number;
  driftWindow?: number;
  keywordModel?: string;
  frontendModel?: string;
  keywordLabels?: string;
}

/** The desktop simulator: the REST API and the web page on loopback. */
async function serve(opts: ServeOptions): Promise<void> {
  let running;
  try {
    running = await startServer({
      backend: opts.backend, port: opts.port, host: opts.host, modelPath: opts.model, maxBodyBytes: opts.maxBody, log: opts.log ?? false,
      ...(opts.sidecar !== undefined ? { sidecarPath: opts.sidecar } : {}),
      ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
      ...(opts.signingKey !== undefined ? { signingKey: readFileSync(opts.signingKey, 'utf8') } : {}),
      drift: { ...(opts.driftThreshold !== undefined ? { threshold: opts.driftThreshold } : {}), ...(opts.driftWindow !== undefined ? { window: opts.driftWindow } : {}) },
      ...(opts.keywordModel !== undefined ? {
        keyword: {
          keywordPath: opts.keywordModel,
          ...(opts.frontendModel !== undefined ? { frontendPath: opts.frontendModel } : {}),
          ...(opts.keywordLabels !== undefined ? { labels: opts.keywordLabels.split(',') } : {}),
        },
      } : {}),
    });
  } catch (error) {
    // an option this backend cannot honour
    if (error instanceof TypeError) throw new UsageError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(`${opts.host}:${opts.port} is already in use; pick another port with --port, e.g. --port ${opts.port + 1}, or --port 0 for any free one`);
    }
    throw error;
  }
  const facts = await (await fetch(`${running.url}/model`)).json() as {
    id: string; sha256: string; model_bytes: number; arena_bytes: number; macs: number; operators: unknown[]; labels: string[]; input: { dims: number[]; type: string };
  };
  console.log(`xs-tinyml simulator on ${running.host.backend}: ${facts.id} (${facts.model_bytes} bytes, sha256 ${facts.sha256.slice(0, 12)}...)`);
  console.log(`  input ${facts.input.type} ${JSON.stringify(facts.input.dims)}, ${facts.operators.length} operators, ` +
    `${facts.macs.toLocaleString('en-US')} MACs, arena ${facts.arena_bytes} bytes (exact), labels ${facts.labels.join(' ')}`);
  if (opts.demo) {
    // a few held-out frames through the running server, as a user's client would send them
    const heldOut = join(root, 'models/data/heldout.bin');
    const truths = (JSON.parse(readFileSync(join(root, 'models/data/heldout.json'), 'utf8')) as { truths: [number, number, number][][] }).truths;
    const bin = readFileSync(heldOut);
    for (const i of [1, 2, 3]) {
      const frame = { width: 96, height: 96, format: 'gray8' as const, data: new Uint8Array(bin.subarray(i * 9216, (i + 1) * 9216)) };
      const r = await fetch(`${running.url}/detect`, { method: 'POST', headers: { 'content-type': 'image/x-portable-graymap' }, body: Buffer.from(encodePgm(frame)) });
      const body = await r.json() as DetectResponse;
      const found = body.detections.map((d) => `${d.label}@(${d.cx.toFixed(0)},${d.cy.toFixed(0)})`).join(' ');
      const truth = truths[i]!.map(([x, y, digit]) => `${digit}@(${x.toFixed(0)},${y.toFixed(0)})`).join(' ');
      console.log(`  held-out frame ${i}: POST /detect ${r.status} in ${body.timing.invoke_ms.toFixed(2)} ms invoke: ${found || 'nothing'}   (truth: ${truth || 'nothing'})`);
    }
  }
  if (opts.keywordModel !== undefined) console.log(`  POST /classify: audio/wav (16 kHz mono 16-bit, <= 1 s) through ${opts.frontendModel ?? 'models/audio/frontend.tflite'} and ${opts.keywordModel}`);
  console.log(`\nOpen ${running.url}/ for the web page. API: POST /detect, POST /classify, GET /model, PUT /model, POST /model/rollback,`);
  console.log(`GET /metrics, /drift, /profile, /healthz. Ctrl-C stops.`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const root = resolve(dirname(new URL(import.meta.url).pathname), '../../..');

const defaultManifest = resolve(dirname(new URL(import.meta.url).pathname), '../../../../shared/reference/manifest.json');

const program = new Command('xs-tinyml')
  .description('TinyML for microcontrollers: run int8 TensorFlow Lite models bit-exactly on WebAssembly, Node and XS')
  .showHelpAfterError()
  // parse errors throw (exit status decided below) instead of exiting 1
  .exitOverride();

program.command('inspect <model>')
  .description("a model's inputs, outputs, operators, MACs and exact arena size")
  .option('--json', 'machine-readable output')
  .option('--backend <backend>', 'wasm | node | xs', parseBackend, 'wasm' as BackendName)
  .option('--target <target>', 'report the arena for this target: host (the backend) or a 32-bit one (esp32, esp32c3, cortex-m, ...)', parseTarget, 'host')
  .action(inspect);

program.command('ops <model>')
  .description("the builtin operators a model uses, or with --c the table that makes xtml_init_ops() link only their kernels")
  .option('--c', 'print the C array of XTML_OP() entries (typed ones, CONV_2D_INT8, where every use has their types)')
  .option('--name <identifier>', 'name of the C array (default: <model>_ops)')
  .option('--backend <backend>', 'wasm | node | xs', parseBackend, 'wasm' as BackendName)
  .action(ops);

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

program.command('detect <image...>')
  .description('detections in image files (PNG, JPEG, PGM, or raw with --width/--height), through the REST API code without HTTP')
  .option('--model <file>', 'the .tflite model', bundledModelPath)
  .option('--sidecar <file>', 'JSON overriding the description the model carries (labels, thresholds)')
  .option('--backend <backend>', 'wasm | node | xs', parseBackend, 'wasm' as BackendName)
  .option('--fit <fit>', 'crop | stretch: how a frame of another aspect reaches the model', 'crop')
  .option('--width <n>', 'raw frames: width', parseCount)
  .option('--height <n>', 'raw frames: height', parseCount)
  .option('--format <format>', 'raw frames: gray8 | rgb565le | rgb565be | rgb888 | rgba8888', 'gray8')
  .option('--json', 'one JSON line per image, as POST /detect answers')
  .action(detect);

program.command('serve')
  .description('the desktop simulator: REST API and web page on loopback')
  .option('--port <n>', 'TCP port (0: any free port)', (v: string) => (v === '0' ? 0 : parseCount(v)), 8080)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--backend <backend>', 'wasm | node | xs', parseBackend, 'wasm' as BackendName)
  .option('--model <file>', 'the .tflite model', bundledModelPath)
  .option('--sidecar <file>', 'JSON overriding the description the model carries')
  .option('--max-body <bytes>', 'largest upload', parseCount, defaultMaxBodyBytes)
  .option('--state-dir <dir>', 'keep updated models (PUT /model) here, surviving restarts; default: in memory')
  .option('--signing-key <pem>', 'Ed25519 public key (PEM file): PUT /model then needs X-Model-Signature')
  .option('--drift-threshold <psi>', 'drift alert when the PSI goes over this', parseFloat)
  .option('--drift-window <frames>', 'frames in the drift window', parseCount)
  .option('--keyword-model <file>', 'serve POST /classify with this keyword model (e.g. TFLM micro_speech; docs/audio.md)')
  .option('--frontend-model <file>', 'the audio front end before it (default models/audio/frontend.tflite)')
  .option('--keyword-labels <list>', "the keyword model's labels, comma-separated (default silence,unknown,yes,no)")
  .option('--demo', 'first send a few held-out frames through the server and print what it found')
  .option('--log', 'print one line per request')
  .action(serve);

/** Exit status of a usage error, as the core's CLI (native/tools/xtml_cli.c). */
const usageExit = 2;

addConvertCommands(program, parseBackend);

program.addCommand(fleetCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander has printed it; --help and --version end here too
    process.exitCode = e.exitCode === 0 ? 0 : usageExit;
  } else if (e instanceof XtmlError) {
    console.error(`${e.code}: ${e.detail}`);
    process.exitCode = 1;
  } else if (e instanceof ConvertError) {
    console.error(`${e.code}: ${e.message}`);
    process.exitCode = isConvertUsageError(e) ? usageExit : 1;
  } else if (e instanceof UsageError || e instanceof InvalidArgumentError || e instanceof FleetUsageError || e instanceof PlanError) {
    console.error(`xs-tinyml: ${e.message}`);
    process.exitCode = usageExit;
  } else {
    console.error(`xs-tinyml: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
