// `convert` and `compare` for the command line: file and folder I/O, image
// decoding and the progress bar around the engine-neutral converter
// (src/convert). Nothing is written unless the whole conversion succeeds, and
// then atomically (a temporary file renamed over the target).
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { accessSync, constants, existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InferenceSession, XtmlError, dequantize, quantize, parsePgm, type BackendName, type Frame } from '../../src/index.js';
import { ConvertError, type ConvertErrorCode } from '../../src/convert/errors.js';
import { prepare, floatModel, quantizeModel, type ConvertReport, type Prepared } from '../../src/convert/convert.js';
import { calibrationMethods, type CalibrationMethod } from '../../src/convert/calibrate.js';
import { imageInput, nchwToNhwc, nhwcToNchw, pixelParams, sampleFromFrame, sampleFromRaw, type ImageSpec, type ModelInputs, type Sample } from '../../src/convert/data.js';
import { runFloat } from '../../src/convert/float-run.js';
import { isTflite } from '../../src/convert/tflite-read.js';
import type { Params } from '../../src/convert/quantize.js';
import { loadBinding } from './backends.js';
import { desktopDecoders } from './images.js';

const imageExts = new Set(['.png', '.jpg', '.jpeg', '.pgm']);
const maxPixels = 64 << 20;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** --input-shape NAME=1,3,32,32 (or just 1,3,32,32 for a model with one input). */
export function parseInputShapes(values: readonly string[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const name = eq < 0 ? '' : v.slice(0, eq);
    const dims = (eq < 0 ? v : v.slice(eq + 1)).split(/[,x]/).map((d) => Number(d));
    if (dims.length === 0 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new ConvertError('BAD_OPTION', `--input-shape '${v}': expected NAME=D,D,... with positive integers`);
    }
    map.set(name, dims);
  }
  return map;
}

function parseRange(v: string): [number, number] {
  const parts = v.split(',').map(Number);
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || !(parts[1]! > parts[0]!)) throw new InvalidArgumentError('expected LO,HI with LO < HI, e.g. 0,1 or -1,1');
  return [parts[0]!, parts[1]!];
}

interface DataOptions { spec?: string; range?: [number, number]; fit?: string; maxSamples?: number }

function imageSpec(opts: DataOptions): ImageSpec {
  let range: [number, number] = [0, 1];
  let fit = 'crop';
  if (opts.spec !== undefined) {
    if (!existsSync(opts.spec)) throw new ConvertError('BAD_OPTION', `--spec: no such file: ${opts.spec}`);
    let doc: { input?: { range?: unknown }; range?: unknown; fit?: unknown };
    try { doc = JSON.parse(readFileSync(opts.spec, 'utf8')) as typeof doc; } catch (e) { throw new ConvertError('BAD_OPTION', `--spec ${opts.spec} is not JSON: ${(e as Error).message}`); }
    const r = doc.input?.range ?? doc.range;
    if (r !== undefined) {
      if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number' || !(r[1] > r[0])) throw new ConvertError('BAD_OPTION', `--spec ${opts.spec}: input.range must be [lo, hi] with lo < hi`);
      range = [r[0], r[1]];
    }
    if (doc.fit !== undefined) fit = String(doc.fit);
  }
  if (opts.range) range = opts.range;
  if (opts.fit) fit = opts.fit;
  if (fit !== 'crop' && fit !== 'stretch') throw new ConvertError('BAD_OPTION', `fit must be crop or stretch, got ${fit}`);
  return { range, fit };
}

function decode(path: string, code: ConvertErrorCode): Frame {
  const bytes = new Uint8Array(readFileSync(path));
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.pgm') return parsePgm(bytes, maxPixels);
    const d = desktopDecoders(maxPixels);
    return ext === '.png' ? d.png(bytes) : d.jpeg(bytes);
  } catch (e) {
    throw new ConvertError(code, `${path} does not decode as ${ext.slice(1).toUpperCase()}: ${(e as Error).message}`);
  }
}

export interface LoadedData { samples: Sample[]; kind: 'images' | 'raw'; files: string[]; spec?: ImageSpec }

/** A folder of images or of .bin tensors (or one .bin file) as samples for the model. */
/**
 * A file or folder named on the command line that is not there or is not what
 * it should be: reported with its code like the others, but the CLI exits 2
 * for it, as for every usage error (a BAD_OPTION too).
 */
class ConvertUsageError extends ConvertError {}

export function isConvertUsageError(e: ConvertError): boolean {
  return e instanceof ConvertUsageError || e.code === 'BAD_OPTION';
}

export function loadData(dir: string, model: ModelInputs, opts: DataOptions, code: ConvertErrorCode): LoadedData {
  if (!existsSync(dir)) throw new ConvertUsageError(code, `no such folder: ${dir}`);
  const files = statSync(dir).isDirectory()
    ? readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => join(dir, f)).filter((f) => statSync(f).isFile())
    : [dir];
  const images = files.filter((f) => imageExts.has(extname(f).toLowerCase()));
  const raws = files.filter((f) => extname(f).toLowerCase() === '.bin');
  if (images.length > 0 && raws.length > 0) throw new ConvertError(code, `${dir} mixes images (${images.length}) and raw .bin tensors (${raws.length}); use one kind`);
  let chosen = images.length > 0 ? images : raws;
  if (chosen.length === 0) throw new ConvertError(code, `${dir} holds no PNG, JPEG or PGM images and no .bin tensors`);
  if (opts.maxSamples !== undefined) chosen = chosen.slice(0, opts.maxSamples);
  if (images.length > 0) {
    imageInput(model, code);
    const spec = imageSpec(opts);
    return { samples: chosen.map((f) => sampleFromFrame(model, decode(f, code), spec, code)), kind: 'images', files: chosen, spec };
  }
  return { samples: chosen.map((f) => sampleFromRaw(model, new Uint8Array(readFileSync(f)), basename(f), code)), kind: 'raw', files: chosen };
}

/** Fail before any work if `path` cannot be written. */
function checkWritable(path: string, what: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new ConvertError('BAD_OPTION', `${what} ${path}: the folder ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new ConvertError('BAD_OPTION', `${what} ${path} is a folder`);
  try { accessSync(dir, constants.W_OK); } catch { throw new ConvertError('BAD_OPTION', `${what} ${path}: the folder ${dir} is not writable`); }
  if (existsSync(path)) {
    try { accessSync(path, constants.W_OK); } catch { throw new ConvertError('BAD_OPTION', `${what} ${path} is not writable`); }
  }
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new ConvertError('BAD_OPTION', `cannot write ${path}: ${(e as Error).message}`);
  }
}

function readModelFile(path: string): Uint8Array {
  if (!existsSync(path)) throw new ConvertUsageError('NOT_A_MODEL', `no such file: ${path}`);
  if (statSync(path).isDirectory()) throw new ConvertUsageError('NOT_A_MODEL', `${path} is a folder`);
  return new Uint8Array(readFileSync(path));
}

interface ConvertOptions extends DataOptions {
  calibration?: string;
  out?: string;
  float?: string;
  method: CalibrationMethod;
  percentile?: number;
  biasCorrection?: boolean;
  perChannelDense?: boolean;
  perTensor?: boolean;
  equalize?: boolean;
  io: 'int8' | 'float32';
  inputShape: string[];
  labels?: string;
  description?: string;
  json?: boolean;
  backend: BackendName;
}

/** The description JSON the model carries: labels, input meaning, what made it; --description merges over it. */
function describe(p: Prepared, opts: ConvertOptions, data: LoadedData | null, io: string): string {
  let doc: Record<string, unknown> = {};
  if (p.format === 'tflite' && p.description.trim().startsWith('{')) {
    try { doc = JSON.parse(p.description) as Record<string, unknown>; } catch { /* plain text: replaced */ }
  }
  const input: Record<string, unknown> = {
    shape: p.graph.tensor(p.graph.inputs[0]!).shape,
    layout: p.inputs[0]!.nchw ? 'NHWC (converted from NCHW)' : 'as the source model',
    type: io,
  };
  if (data?.kind === 'images') {
    input['range'] = data.spec!.range;
    input['meaning'] = `image, pixel 0 .. 255 mapped linearly onto [${data.spec!.range.join(', ')}]`;
  }
  doc = { name: basename(opts.out ?? opts.float ?? 'model', '.tflite'), ...doc, input: { ...(doc['input'] as object ?? {}), ...input } };
  if (opts.labels !== undefined) {
    if (!existsSync(opts.labels)) throw new ConvertError('BAD_OPTION', `--labels: no such file: ${opts.labels}`);
    doc['labels'] = readFileSync(opts.labels, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  }
  if (opts.description !== undefined) {
    if (!existsSync(opts.description)) throw new ConvertError('BAD_OPTION', `--description: no such file: ${opts.description}`);
    let extra: unknown;
    try { extra = JSON.parse(readFileSync(opts.description, 'utf8')); } catch (e) { throw new ConvertError('BAD_OPTION', `--description ${opts.description} is not JSON: ${(e as Error).message}`); }
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw new ConvertError('BAD_OPTION', `--description ${opts.description} must hold a JSON object`);
    const merged: Record<string, unknown> = { ...doc, ...(extra as Record<string, unknown>) };
    if ((extra as { input?: object }).input) merged['input'] = { ...(doc['input'] as object), ...(extra as { input: object }).input };
    doc = merged;
  }
  const labels = doc['labels'];
  const classes = p.graph.tensor(p.graph.outputs[0]!).shape.at(-1);
  if (Array.isArray(labels) && labels.length !== classes) throw new ConvertError('BAD_OPTION', `${labels.length} labels given, the output has ${classes} classes`);
  return JSON.stringify(doc);
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const db = (v: number): string => (v === Infinity ? 'exact' : `${v.toFixed(1)} dB`);

export function printReport(r: ConvertReport, inPath: string, outPath: string, log: (s: string) => void = console.log): void {
  const src = r.source.format === 'onnx' ? `ONNX opset ${r.source.opset}${r.source.producer ? `, from ${r.source.producer}` : ''}` : 'TensorFlow Lite float32';
  log(`${inPath} (${src}, ${fmt(r.source.bytes)} bytes) -> ${outPath}`);
  log(`  size: float32 ${fmt(r.float_bytes)} bytes -> int8 ${fmt(r.int8_bytes)} bytes (${(r.float_bytes / r.int8_bytes).toFixed(2)}x smaller)`);
  log(`  ${fmt(r.macs)} MACs per run; arena ${fmt(r.arena_bytes)} bytes (exact, ${r.arena_build})`);
  for (const t of r.inputs) log(`  input  ${t.name} ${t.type} [${t.shape.join(',')}]${t.scale > 0 ? ` scale ${t.scale.toPrecision(6)} zero point ${t.zero_point}` : ''}, layout ${t.layout}`);
  for (const t of r.outputs) log(`  output ${t.name} ${t.type} [${t.shape.join(',')}]${t.scale > 0 ? ` scale ${t.scale.toPrecision(6)} zero point ${t.zero_point}` : ''}, SQNR ${db(t.sqnr_db)}`);
  const counts = new Map<string, number>();
  for (const o of r.operators) counts.set(o.op, (counts.get(o.op) ?? 0) + 1);
  log(`  operators (${r.operators.length}): ${[...counts].map(([op, n]) => (n > 1 ? `${op} x${n}` : op)).join(', ')}`);
  const c = r.calibration;
  log(`  calibration: ${c.method}${c.percentile !== undefined ? ` ${c.percentile}` : ''} on ${c.samples} samples, bias correction ${c.bias_correction ? 'on' : 'off'}`);
  if (Object.keys(r.rewrites).length > 0) log(`  rewrites: ${Object.entries(r.rewrites).map(([w, n]) => `${w} (${n})`).join('; ')}`);
  log('  SQNR of each int8 activation against float on the calibration data, worst first:');
  for (const l of r.layers) log(`    ${db(l.sqnr_db).padStart(9)}  ${l.op.padEnd(26)} ${l.tensor}`);
}

function progressBar(enabled: boolean): { update: (phase: string, done: number, total: number) => void; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: '{phase} [{bar}] {value}/{total} samples', stream: process.stderr, clearOnComplete: true, hideCursor: true }, Presets.shades_classic);
  let phase = '';
  return {
    update: (p, done, total) => {
      if (p !== phase) { if (phase !== '') bar.stop(); bar.start(total, done, { phase: p }); phase = p; } else bar.update(done);
    },
    stop: () => { if (phase !== '') bar.stop(); },
  };
}

export async function convertCommand(input: string, opts: ConvertOptions): Promise<void> {
  if (opts.out === undefined && opts.float === undefined) throw new ConvertError('BAD_OPTION', 'give --out OUT.tflite (int8) and/or --float FLOAT.tflite');
  if (opts.out !== undefined && opts.calibration === undefined) throw new ConvertError('BAD_OPTION', '--out needs --calibration DATA (a folder of images or .bin tensors)');
  if (opts.out !== undefined) checkWritable(opts.out, '--out');
  if (opts.float !== undefined) checkWritable(opts.float, '--float');
  if (opts.out !== undefined && opts.float !== undefined && resolve(opts.out) === resolve(opts.float)) throw new ConvertError('BAD_OPTION', '--out and --float name the same file');
  const p = prepare(readModelFile(input), { inputShapes: parseInputShapes(opts.inputShape) });
  const model: ModelInputs = { inputs: p.inputs };
  let data: LoadedData | null = null;
  if (opts.calibration !== undefined) data = loadData(opts.calibration, model, opts, 'BAD_CALIBRATION');
  const floatBytes = opts.float !== undefined ? floatModel(p, describe(p, opts, data, 'float32')) : null;
  let converted: { model: Uint8Array; report: ConvertReport } | null = null;
  if (opts.out !== undefined) {
    const bar = progressBar(opts.json !== true || process.stderr.isTTY === true);
    try {
      const inputParams = new Map<string, Params>();
      if (data!.kind === 'images' && opts.io === 'int8') inputParams.set(p.graph.inputs[0]!, pixelParams(data!.spec!.range));
      converted = quantizeModel(p, {
        binding: loadBinding(opts.backend), samples: data!.samples, method: opts.method, io: opts.io, inputParams,
        biasCorrection: opts.biasCorrection === true, perChannelDense: opts.perChannelDense === true,
        perTensor: opts.perTensor === true, equalize: opts.equalize === true, description: describe(p, opts, data, opts.io), onProgress: bar.update,
        ...(opts.percentile !== undefined ? { percentile: opts.percentile } : {}),
      });
    } finally {
      bar.stop();
    }
  }
  // everything worked: now write
  if (floatBytes !== null) writeAtomically(opts.float!, floatBytes);
  if (converted !== null) writeAtomically(opts.out!, converted.model);
  if (converted === null) {
    console.log(`${input}: float32 model written to ${opts.float} (${fmt(floatBytes!.length)} bytes, ${p.graph.nodes.length} operators)`);
    return;
  }
  if (opts.json === true) console.log(JSON.stringify({ ...converted.report, out: opts.out, ...(opts.float ? { float_out: opts.float } : {}), calibration_files: data!.files.length }, (_, v) => (v === Infinity ? null : v), 2));
  else printReport(converted.report, input, opts.out!);
}

// ---- compare ----

/** A model that runs samples (converted layout in, converted layout out as float). */
interface Runner {
  label: string;
  inputs: ModelInputs['inputs'];
  outputs: { name: string; shape: readonly number[] }[];
  run(sample: Sample): Promise<Float32Array[]>;
  close(): void;
}

async function onnxRuntime(): Promise<typeof import('onnxruntime-node') | null> {
  try { return await import('onnxruntime-node'); } catch { return null; }
}

async function runnerFor(path: string, opts: { backend: BackendName; inputShape: string[] }): Promise<Runner> {
  const bytes = readModelFile(path);
  const floatRunner = (label: string): Runner => {
    const p = prepare(bytes, { inputShapes: parseInputShapes(opts.inputShape) });
    return {
      label, inputs: p.inputs, outputs: p.outputs.map((o) => ({ name: o.name, shape: o.shape })),
      run: async (s) => { const v = runFloat(p.graph, s); return p.graph.outputs.map((t) => v.get(t)!); },
      close: () => undefined,
    };
  };
  if (!isTflite(bytes)) {
    const ort = await onnxRuntime();
    if (ort === null) return floatRunner(`${path} (our float conversion: onnxruntime-node is not installed)`);
    const p = prepare(bytes, { inputShapes: parseInputShapes(opts.inputShape) });
    let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
    try {
      session = await ort.InferenceSession.create(bytes);
    } catch (e) {
      throw new ConvertError('NOT_A_MODEL', `onnxruntime-node cannot load ${path}: ${(e as Error).message}`);
    }
    return {
      label: `${path} (onnxruntime-node)`, inputs: p.inputs, outputs: p.outputs.map((o) => ({ name: o.name, shape: o.shape })),
      run: async (s) => {
        const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
        p.inputs.forEach((inp, i) => { feeds[inp.name] = new ort.Tensor('float32', inp.nchw ? nhwcToNchw(s[i]!, inp.sourceShape) : s[i]!, [...inp.sourceShape]); });
        const res = await session.run(feeds);
        return p.outputs.map((o) => {
          const d = Float32Array.from(res[o.name]!.data as Float32Array);
          return o.nchw ? nchwToNhwc(d, o.sourceShape) : d;
        });
      },
      close: () => { void session.release(); },
    };
  }
  let session: InferenceSession;
  try {
    session = InferenceSession.create(loadBinding(opts.backend), bytes);
  } catch (e) {
    if (e instanceof XtmlError && (e.code === 'XTML_STATUS_UNSUPPORTED_TYPE' || e.code === 'XTML_STATUS_UNSUPPORTED_OPERATOR')) {
      return floatRunner(`${path} (our float reference: the core does not run it: ${e.detail})`);
    }
    throw e;
  }
  const io = (metas: readonly { name: string; dims: readonly number[] }[]) => metas.map((m) => ({ name: m.name, shape: [...m.dims], sourceShape: [...m.dims], nchw: false }));
  return {
    label: `${path} (our core, ${session.backend})`, inputs: io(session.inputs), outputs: io(session.outputs),
    run: async (s) => {
      const feeds = session.inputs.map((m, i) => (m.type === 'float32' ? s[i]! : quantize(s[i]!, m.scale, m.zeroPoint, m.type === 'uint8' ? new Uint8Array(s[i]!.length) : new Int8Array(s[i]!.length))));
      return session.run(feeds).map((t, i) => {
        const m = session.outputs[i]!;
        return m.type === 'float32' ? (t.data as Float32Array) : dequantize(t.data as Int8Array, m.scale, m.zeroPoint);
      });
    },
    close: () => session.release(),
  };
}

export interface CompareRow { output: string; shape: readonly number[]; sqnr_db: number; max_abs_error: number; top1_agreement: number | null; top1_unit: string | null }

export async function compareCommand(a: string, b: string, opts: DataOptions & { data: string; backend: BackendName; inputShape: string[]; json?: boolean }): Promise<void> {
  const ra = await runnerFor(a, opts);
  const rb = await runnerFor(b, opts);
  try {
    const same = ra.inputs.length === rb.inputs.length && ra.inputs.every((x, i) => x.shape.join() === rb.inputs[i]!.shape.join());
    if (!same) throw new ConvertError('BAD_DATA', `the models take different inputs: ${ra.inputs.map((x) => `[${x.shape.join(',')}]`).join(' ')} and ${rb.inputs.map((x) => `[${x.shape.join(',')}]`).join(' ')}`);
    const outsSame = ra.outputs.length === rb.outputs.length && ra.outputs.every((x, i) => x.shape.join() === rb.outputs[i]!.shape.join());
    if (!outsSame) throw new ConvertError('BAD_DATA', `the models give different outputs: ${ra.outputs.map((x) => `[${x.shape.join(',')}]`).join(' ')} and ${rb.outputs.map((x) => `[${x.shape.join(',')}]`).join(' ')}`);
    const data = loadData(opts.data, { inputs: ra.inputs }, opts, 'BAD_DATA');
    const acc = ra.outputs.map(() => ({ signal: 0, noise: 0, max: 0, agree: 0, rows: 0 }));
    for (const s of data.samples) {
      const [ya, yb] = [await ra.run(s), await rb.run(s)];
      ra.outputs.forEach((o, k) => {
        const x = ya[k]!, y = yb[k]!, r = acc[k]!;
        for (let i = 0; i < x.length; i++) { const d = y[i]! - x[i]!; r.signal += x[i]! * x[i]!; r.noise += d * d; r.max = Math.max(r.max, Math.abs(d)); }
        const depth = o.shape[o.shape.length - 1]!;
        if (depth > 1) {
          for (let at = 0; at < x.length; at += depth) {
            let ia = 0, ib = 0;
            for (let i = 1; i < depth; i++) { if (x[at + i]! > x[at + ia]!) ia = i; if (y[at + i]! > y[at + ib]!) ib = i; }
            r.rows++;
            if (ia === ib) r.agree++;
          }
        }
      });
    }
    const rows: CompareRow[] = ra.outputs.map((o, k) => {
      const r = acc[k]!;
      const cells = o.shape.length > 2 ? 'cells' : 'samples';
      return { output: o.name, shape: o.shape, sqnr_db: r.noise === 0 ? Infinity : 10 * Math.log10(r.signal / r.noise), max_abs_error: r.max, top1_agreement: r.rows > 0 ? r.agree / r.rows : null, top1_unit: r.rows > 0 ? cells : null };
    });
    if (opts.json === true) {
      console.log(JSON.stringify({ a: ra.label, b: rb.label, samples: data.samples.length, data: data.kind, outputs: rows }, (_, v) => (v === Infinity ? null : v), 2));
      return;
    }
    console.log(`A: ${ra.label}\nB: ${rb.label}\n${data.samples.length} samples (${data.kind}) from ${opts.data}; B against A as reference:`);
    for (const r of rows) {
      console.log(`  ${r.output} [${r.shape.join(',')}]: SQNR ${db(r.sqnr_db)}, largest |error| ${r.max_abs_error.toPrecision(4)}` +
        (r.top1_agreement !== null ? `, top-1 agreement ${(100 * r.top1_agreement).toFixed(1)}% of ${r.top1_unit}` : ''));
    }
  } finally {
    ra.close();
    rb.close();
  }
}

function parseMethod(v: string): CalibrationMethod {
  if (!(calibrationMethods as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${calibrationMethods.join(', ')}`);
  return v as CalibrationMethod;
}

function parsePercentile(v: string): number {
  const n = Number(v);
  if (!(n > 50 && n <= 100)) throw new InvalidArgumentError('expected a number in (50, 100], e.g. 99.99');
  return n;
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function addConvertCommands(program: Command, parseBackend: (v: string) => BackendName): void {
  program.command('convert <model>')
    .description('ONNX (opset 11-18) or float32 .tflite to a fully int8 .tflite, calibrated on DATA; prints a report')
    .option('--calibration <data>', 'folder of images (PNG, JPEG, PGM) or of raw float32 .bin input tensors')
    .option('--out <file>', 'the int8 .tflite to write')
    .option('--float <file>', 'also (or only) write the float32 .tflite before quantization')
    .option('--method <method>', 'calibration: minmax | percentile | mse', parseMethod, 'mse' as CalibrationMethod)
    .option('--percentile <p>', 'for --method percentile: share of values kept at each end', parsePercentile)
    .option('--bias-correction', 'correct each layer\'s bias by its mean int8 error on the calibration data')
    .option('--per-channel-dense', 'FULLY_CONNECTED weights per output unit (default per tensor, as TFLite)')
    .option('--per-tensor', 'CONV_2D and DEPTHWISE_CONV_2D weights with one scale per tensor (default per channel): 24 bytes less per channel; pair with --equalize')
    .option('--equalize', 'cross-layer equalization before calibration: ReLU-linked convolutions rescaled channel by channel so per-tensor weights lose little')
    .option('--io <type>', 'int8 (default) | float32: float input and output around the int8 graph', (v: string) => {
      if (v !== 'int8' && v !== 'float32') throw new InvalidArgumentError('expected int8 or float32');
      return v;
    }, 'int8')
    .option('--input-shape <name=dims>', 'fix an ONNX input shape, e.g. input=1,3,32,32 (repeatable)', collect, [])
    .option('--spec <json>', 'images: JSON with input.range (real values of pixel 0 and 255) and fit')
    .option('--range <lo,hi>', 'images: real values of pixel 0 and pixel 255 (default 0,1)', parseRange)
    .option('--fit <fit>', 'images: crop | stretch, as the app (default crop)')
    .option('--max-samples <n>', 'use at most n calibration files', parseCount)
    .option('--labels <file>', 'class labels, one per line, into the model description')
    .option('--description <json>', 'JSON object merged into the model description (labels, decode, ...)')
    .option('--json', 'the report as JSON')
    .option('--backend <backend>', 'core that checks the result: wasm (32-bit arena) | node', parseBackend, 'wasm' as BackendName)
    .action(convertCommand);

  program.command('compare <a> <b>')
    .description('run two models (.tflite float or int8, or ONNX) on the same data: SQNR, top-1 agreement and largest error per output')
    .requiredOption('--data <data>', 'folder of images or raw float32 .bin tensors (in the layout of model A)')
    .option('--input-shape <name=dims>', 'fix an ONNX input shape (repeatable)', collect, [])
    .option('--spec <json>', 'images: JSON with input.range and fit')
    .option('--range <lo,hi>', 'images: real values of pixel 0 and pixel 255 (default 0,1)', parseRange)
    .option('--fit <fit>', 'images: crop | stretch')
    .option('--max-samples <n>', 'use at most n files', parseCount)
    .option('--json', 'machine-readable output')
    .option('--backend <backend>', 'wasm | node', parseBackend, 'wasm' as BackendName)
    .action(compareCommand);
}

export { ConvertError };
