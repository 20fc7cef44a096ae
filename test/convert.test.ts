// The converter (issue 11): float parity with onnxruntime on PyTorch exports,
// int8 models our core and TFLM accept, the report, calibration methods, and
// every bad input with its error and nothing written.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession, dequantize, encodePgm, quantize } from '../src/index.js';
import { floatModel, prepare, quantizeModel, toModelLayout, type Prepared } from '../src/convert/convert.js';
import { ConvertError } from '../src/convert/errors.js';
import { ModelProto } from '../src/convert/onnx-schema.js';
import { readTflite } from '../src/convert/tflite-read.js';
import { writeGraph } from '../src/convert/tflite-write.js';
import { nchwToNhwc } from '../src/convert/data.js';
import { repoRoot } from './support/reference.js';

const binding = loadBinding('wasm');
const onnxDir = join(repoRoot, 'test/data/onnx');
const nets = ['conv', 'depthwise', 'residual', 'classifier'] as const;

function rng(seed: number): () => number {
  let s = seed;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s / 2 ** 32) * 2 - 1; };
}

function randomSamples(p: Prepared, n: number, seed: number): Float32Array[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => p.inputs.map((i) => Float32Array.from({ length: i.sourceShape.reduce((a, b) => a * b, 1) }, r)));
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'dist/host-sim/node/cli.js'), ...args], { cwd: repoRoot, maxBuffer: 16 << 20, timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

/** TFLM builtins the converter may write, with the option values TFLM's kernels accept. */
const tflmBuiltins = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'ADD', 'SUB', 'MUL', 'CONCATENATION',
  'RESHAPE', 'SOFTMAX', 'LOGISTIC', 'TANH', 'RELU', 'RELU6', 'LEAKY_RELU', 'HARD_SWISH', 'PAD', 'MEAN', 'TRANSPOSE', 'RESIZE_NEAREST_NEIGHBOR', 'MAXIMUM', 'MINIMUM',
  'QUANTIZE', 'DEQUANTIZE']);

for (const name of nets) {
  test(`${name}.onnx: the float .tflite agrees with onnxruntime within 1e-4 relative error`, async (t) => {
    const bytes = readFileSync(join(onnxDir, `${name}.onnx`));
    const p = prepare(bytes);
    const session = InferenceSession.create(binding, floatModel(p));
    const ortSession = await ort.InferenceSession.create(bytes);
    try {
      for (const raw of randomSamples(p, 4, 11)) {
        const feeds: Record<string, ort.Tensor> = {};
        p.inputs.forEach((inp, i) => { feeds[inp.name] = new ort.Tensor('float32', raw[i]!, [...inp.sourceShape]); });
        const want = await ortSession.run(feeds);
        const got = session.run(toModelLayout(p, raw));
        p.outputs.forEach((o, k) => {
          let ref = want[o.name]!.data as Float32Array;
          if (o.nchw) ref = nchwToNhwc(ref, o.sourceShape);
          const out = got[k]!.data as Float32Array;
          t.is(out.length, ref.length);
          let worst = 0, scale = 0;
          for (let i = 0; i < ref.length; i++) { worst = Math.max(worst, Math.abs(out[i]! - ref[i]!)); scale = Math.max(scale, Math.abs(ref[i]!)); }
          t.true(worst <= 1e-4 * scale, `${o.name}: max |difference| ${worst} against max |value| ${scale}`);
        });
      }
    } finally {
      session.release();
      await ortSession.release();
    }
  });

  test(`${name}.onnx: int8 model our core verifies, only TFLM builtins, SQNR of every output above 25 dB`, (t) => {
    const p = prepare(readFileSync(join(onnxDir, `${name}.onnx`)));
    const samples = randomSamples(p, 12, 5).map((s) => toModelLayout(p, s));
    const { model, report } = quantizeModel(p, { binding, samples, method: 'mse', io: 'int8', description: '{"name":"t"}' });
    t.notThrows(() => binding.verify(model));
    for (const op of report.operators) t.true(tflmBuiltins.has(op.op), op.op);
    t.false(report.operators.some((o) => o.op === 'TRANSPOSE'), 'no transposes left');
    for (const o of report.outputs) t.true(o.sqnr_db > 25, `${o.name}: ${o.sqnr_db} dB`);
    t.is(report.int8_bytes, model.length);
    if (name === 'residual') t.true(report.int8_bytes < report.float_bytes / 1.9, `${report.int8_bytes} against ${report.float_bytes}`);
    t.deepEqual(report.layers.map((l) => l.sqnr_db), [...report.layers.map((l) => l.sqnr_db)].sort((a, b) => a - b), 'worst layers first');
    // every tensor of the int8 graph is int8 or int32 (biases): a fully integer model
    const { inputs, outputs } = InferenceSession.create(binding, model);
    t.true([...inputs, ...outputs].every((m) => m.type === 'int8'));
  });
}

test('the rewrites: batch norm, ReLU6 (Clip) and zero Pad into SAME disappear; NCHW input becomes NHWC', (t) => {
  const conv = prepare(readFileSync(join(onnxDir, 'conv.onnx')));
  t.deepEqual(conv.inputs[0]!.shape, [1, 16, 16, 3]);
  t.deepEqual(conv.inputs[0]!.sourceShape, [1, 3, 16, 16]);
  t.true(conv.inputs[0]!.nchw);
  t.deepEqual(conv.graph.nodes.map((n) => n.op), ['CONV_2D', 'MAX_POOL_2D', 'CONV_2D', 'RESHAPE', 'FULLY_CONNECTED']);
  t.is(conv.graph.nodes[2]!.options.padding, 'SAME', 'the explicit Pad (0,1,0,1) before a stride-2 conv is SAME');
  const dw = prepare(readFileSync(join(onnxDir, 'depthwise.onnx')));
  const ops = dw.graph.nodes.map((n) => n.op + (n.options.activation && n.options.activation !== 'NONE' ? `+${n.options.activation}` : ''));
  t.false(ops.includes('MUL') || ops.includes('ADD') || ops.includes('RELU6'), ops.join(' '));
  t.true(ops.includes('DEPTHWISE_CONV_2D+RELU6'));
  t.is(dw.graph.nodes.find((n) => n.op === 'DEPTHWISE_CONV_2D' && n.options.depthMultiplier === 2)?.op, 'DEPTHWISE_CONV_2D', 'channel multiplier 2');
});

test('the writer: a graph written and read back is the same graph; constants are 16-byte aligned', (t) => {
  const p = prepare(readFileSync(join(onnxDir, 'residual.onnx')));
  const bytes = floatModel(p, 'hello');
  const back = readTflite(bytes);
  t.is(back.description, 'hello');
  // the writer spells out a fused activation of NONE that the graph may leave absent
  const norm = (o: object): object => Object.fromEntries(Object.entries(o).filter(([k, v]) => !(k === 'activation' && v === 'NONE') && !(k === 'keepNumDims' && v === false)));
  t.deepEqual(back.graph.nodes.map((n) => [n.op, norm(n.options)]), p.graph.nodes.map((n) => [n.op, norm(n.options)]));
  for (const [name, tensor] of p.graph.tensors) {
    const other = back.graph.tensor(name);
    t.deepEqual(other.shape, tensor.shape, name);
    if (tensor.data) t.deepEqual(Array.from(other.data!), Array.from(tensor.data), name);
  }
  // every buffer's data starts at a multiple of 16 in the file: find each float weight's bytes
  const w = p.graph.tensor(p.graph.nodes[0]!.inputs[1]!).data as Float32Array;
  const needle = new Uint8Array(w.buffer, w.byteOffset, 16);
  let at = -1;
  for (let i = 0; i + 16 <= bytes.length && at < 0; i++) if (needle.every((b, k) => bytes[i + k] === b)) at = i;
  t.true(at >= 0 && at % 16 === 0, `weights at ${at}`);
});

test('calibration methods and bias correction all give working models; ranges differ where they should', (t) => {
  const p = prepare(readFileSync(join(onnxDir, 'depthwise.onnx')));
  const samples = randomSamples(p, 10, 9).map((s) => toModelLayout(p, s));
  const results = (['minmax', 'percentile', 'mse'] as const).map((method) => quantizeModel(p, { binding, samples, method, io: 'int8', description: '' }).report);
  for (const r of results) t.true(r.outputs[0]!.sqnr_db > 25, `${r.calibration.method}: ${r.outputs[0]!.sqnr_db}`);
  const scale = (r: typeof results[0], tensor: string): number => r.layers.find((l) => l.tensor === tensor)!.scale;
  const tanhIn = results[0]!.layers.find((l) => l.op === 'DEPTHWISE_CONV_2D')!.tensor;
  t.true(scale(results[1]!, tanhIn) <= scale(results[0]!, tanhIn), 'percentile clips at most as wide as min/max');
  t.true(scale(results[2]!, tanhIn) <= scale(results[0]!, tanhIn), 'MSE clips at most as wide as min/max');
  const tanh = results[0]!.layers.find((l) => l.op === 'TANH')!;
  t.is(tanh.scale, 1 / 128, 'TANH output 1/128 as TFLite requires');
  t.is(tanh.zero_point, 0);
  const logistic = results[0]!.layers.find((l) => l.op === 'LOGISTIC')!;
  t.is(logistic.scale, 1 / 256);
  t.is(logistic.zero_point, -128);
  const corrected = quantizeModel(p, { binding, samples, method: 'minmax', io: 'int8', description: '', biasCorrection: true }).report;
  t.true(corrected.calibration.bias_correction);
  t.true(corrected.outputs[0]!.sqnr_db > results[0]!.outputs[0]!.sqnr_db - 1, `${corrected.outputs[0]!.sqnr_db} against ${results[0]!.outputs[0]!.sqnr_db}`);
});

test('--io float32 keeps float at the edges with QUANTIZE and DEQUANTIZE; the int8 body is the same', (t) => {
  const p = prepare(readFileSync(join(onnxDir, 'classifier.onnx')));
  const samples = randomSamples(p, 8, 3);
  const int8 = quantizeModel(p, { binding, samples, method: 'minmax', io: 'int8', description: '' });
  const edges = quantizeModel(p, { binding, samples, method: 'minmax', io: 'float32', description: '' });
  t.deepEqual(edges.report.operators.map((o) => o.op), ['QUANTIZE', ...int8.report.operators.map((o) => o.op), 'DEQUANTIZE']);
  const a = InferenceSession.create(binding, int8.model), b = InferenceSession.create(binding, edges.model);
  const x = samples[0]![0]!;
  const qa = a.run([quantize(x, a.inputs[0]!.scale, a.inputs[0]!.zeroPoint)])[0]!.data as Int8Array;
  const fb = b.run([x])[0]!.data as Float32Array;
  t.deepEqual(Array.from(fb), Array.from(dequantize(qa, a.outputs[0]!.scale, a.outputs[0]!.zeroPoint)));
  a.release(); b.release();
});

// ---- the command line ----

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'xtml-convert-'));
}

function writeBins(dir: string, n: number, floats: number, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const r = rng(seed);
  for (let k = 0; k < n; k++) writeFileSync(join(dir, `s${k}.bin`), new Uint8Array(Float32Array.from({ length: floats }, r).buffer));
}

test.serial('convert from images: the report (text and JSON), the input is the pixel minus 128, labels in the description; compare agrees', async (t) => {
  const dir = workDir();
  try {
    const images = join(dir, 'images');
    mkdirSync(images);
    const r = rng(2);
    for (let k = 0; k < 6; k++) {
      const data = Uint8Array.from({ length: 40 * 30 }, (_, i) => (128 + 100 * r() + (i % 40)) & 255);
      writeFileSync(join(images, `f${k}.pgm`), encodePgm({ width: 40, height: 30, format: 'gray8', data }));
    }
    writeFileSync(join(dir, 'labels.txt'), 'a\nb\nc\nd\n');
    const out = join(dir, 'dw.tflite');
    const text = await cli(['convert', join(onnxDir, 'depthwise.onnx'), '--calibration', images, '--out', out, '--labels', join(dir, 'labels.txt'), '--method', 'minmax']);
    t.is(text.code, 0, text.stderr);
    t.regex(text.stdout, /size: float32 [\d,]+ bytes -> int8 [\d,]+ bytes/);
    t.regex(text.stdout, /arena [\d,]+ bytes \(exact, 32-bit/);
    t.regex(text.stdout, /input  input int8 \[1,24,24,1\] scale 0\.00392157 zero point -128/);
    t.regex(text.stdout, /SQNR of each int8 activation/);
    const session = InferenceSession.create(binding, readFileSync(out));
    const desc = JSON.parse(session.description) as { labels: string[]; input: { range: number[] } };
    t.deepEqual(desc.labels, ['a', 'b', 'c', 'd']);
    t.deepEqual(desc.input.range, [0, 1]);
    session.release();
    const json = await cli(['convert', join(onnxDir, 'depthwise.onnx'), '--calibration', images, '--out', out, '--json', '--method', 'percentile', '--percentile', '99.9']);
    t.is(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { calibration: { method: string; percentile: number; samples: number }; layers: unknown[]; macs: number; arena_bytes: number; operators: { op: string }[] };
    t.deepEqual([report.calibration.method, report.calibration.percentile, report.calibration.samples], ['percentile', 99.9, 6]);
    t.true(report.macs > 0 && report.arena_bytes > 0 && report.layers.length === report.operators.length);
    const cmp = await cli(['compare', join(onnxDir, 'depthwise.onnx'), out, '--data', images, '--json']);
    t.is(cmp.code, 0, cmp.stderr);
    const c = JSON.parse(cmp.stdout) as { a: string; outputs: { sqnr_db: number; top1_agreement: number; max_abs_error: number }[] };
    t.regex(c.a, /onnxruntime-node/);
    t.true(c.outputs[0]!.sqnr_db > 25 && c.outputs[0]!.max_abs_error < 0.05 && c.outputs[0]!.top1_agreement > 0.8, JSON.stringify(c.outputs));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('convert --float alone; compare of the ONNX and float models: parity (raw NCHW data)', async (t) => {
  const dir = workDir();
  try {
    writeBins(join(dir, 'data'), 4, 3 * 16 * 16, 8);
    const out = join(dir, 'f.tflite');
    const r = await cli(['convert', join(onnxDir, 'residual.onnx'), '--float', out]);
    t.is(r.code, 0, r.stderr);
    const cmp = await cli(['compare', join(onnxDir, 'residual.onnx'), out, '--data', join(dir, 'data')]);
    t.is(cmp.code, 0, cmp.stderr);
    const m = /SQNR ([\d.]+) dB, largest \|error\| ([\d.e+-]+), top-1 agreement 100\.0% of samples/.exec(cmp.stdout);
    t.truthy(m, cmp.stdout);
    t.true(Number(m![1]) > 100, cmp.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function onnxBytes(model: object): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

function tinyOnnx(opts: { opset?: number; op?: string; dims?: { dimValue?: number; dimParam?: string }[]; attrs?: object[]; weights?: number[] } = {}): Uint8Array {
  const dims = opts.dims ?? [{ dimValue: 1 }, { dimValue: opts.weights ? 4 : 2 }, { dimValue: 4 }, { dimValue: 4 }];
  return onnxBytes({
    irVersion: 8, producerName: 'test', opsetImport: [{ domain: '', version: opts.opset ?? 13 }],
    graph: {
      name: 'g',
      node: [{ name: 'the_node', opType: opts.op ?? 'Relu', input: ['x', ...(opts.weights ? ['w'] : [])], output: ['y'], attribute: opts.attrs ?? [] }],
      initializer: opts.weights ? [{ name: 'w', dims: [2, opts.weights.length / 2, 1, 1], dataType: 1, floatData: opts.weights }] : [],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: dims } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [] } } } }],
    },
  });
}

const badInputs: [string, () => Uint8Array, ConvertError['code'], RegExp][] = [
  ['not a model at all', () => new TextEncoder().encode('hello, this is a text file and not a model'), 'NOT_A_MODEL', /not an ONNX model/],
  ['a PNG', () => readFileSync(join(repoRoot, 'host-sim/web/sample.png')), 'NOT_A_MODEL', /not an ONNX model/],
  ['an empty file', () => new Uint8Array(0), 'NOT_A_MODEL', /empty/],
  ['a truncated ONNX file', () => readFileSync(join(onnxDir, 'conv.onnx')).subarray(0, 3000), 'TRUNCATED_MODEL', /truncated/],
  ['a truncated TFLite file', () => readFileSync(join(repoRoot, '../shared/reference/convert/ad01_fp32.tflite')).subarray(0, 5000), 'TRUNCATED_MODEL', /truncated/],
  ['opset 9', () => tinyOnnx({ opset: 9 }), 'UNSUPPORTED_OPSET', /opset 9; the converter reads opsets 11 to 18/],
  ['opset 19', () => tinyOnnx({ opset: 19 }), 'UNSUPPORTED_OPSET', /opset 19/],
  ['an operator that does not map', () => tinyOnnx({ op: 'Erf' }), 'UNSUPPORTED_OPERATOR', /node 'the_node' \(Erf\): no TensorFlow Lite builtin/],
  ['a grouped convolution', () => tinyOnnx({ op: 'Conv', weights: [1, 2, 3, 4], attrs: [{ name: 'group', type: 2, i: 2 }] }), 'UNSUPPORTED_OPERATOR', /node 'the_node' \(Conv\): grouped convolution \(group 2 of 4 channels\) has no TensorFlow Lite builtin/],
  ['a dynamic spatial dimension', () => tinyOnnx({ dims: [{ dimParam: 'N' }, { dimValue: 2 }, { dimParam: 'H' }, { dimValue: 4 }] }), 'DYNAMIC_SHAPE', /dimension 2 \('H'\) must be fixed; give it with --input-shape x=1,2,N,4/],
  ['an int8 .tflite', () => readFileSync(join(repoRoot, 'models/detector.tflite')), 'UNSUPPORTED_MODEL', /already quantized/],
];

for (const [what, make, code, message] of badInputs) {
  test(`bad model: ${what} is refused with ${code}`, (t) => {
    const e = t.throws(() => prepare(make()), { instanceOf: ConvertError });
    t.is(e?.code, code, e?.message);
    t.regex(e!.message, message);
  });
}

test('a dynamic batch dimension is fixed at 1; --input-shape fixes the others', (t) => {
  const p = prepare(tinyOnnx({ dims: [{ dimParam: 'N' }, { dimValue: 2 }, { dimValue: 4 }, { dimValue: 4 }] }));
  t.deepEqual(p.inputs[0]!.sourceShape, [1, 2, 4, 4]);
  const q = prepare(tinyOnnx({ dims: [{ dimParam: 'N' }, { dimValue: 2 }, { dimParam: 'H' }, { dimValue: 4 }] }), { inputShapes: new Map([['x', [1, 2, 6, 4]]]) });
  t.deepEqual(q.inputs[0]!.shape, [1, 6, 4, 2]);
  const e = t.throws(() => prepare(tinyOnnx(), { inputShapes: new Map([['nope', [1, 2, 4, 4]]]) }), { instanceOf: ConvertError });
  t.is(e?.code, 'BAD_OPTION');
});

test.serial('the command line: each bad input exits 1 with its code and writes nothing', async (t) => {
  const dir = workDir();
  try {
    const model = join(onnxDir, 'classifier.onnx');
    writeBins(join(dir, 'good'), 3, 40, 1);
    writeBins(join(dir, 'wrong'), 2, 41, 1);
    mkdirSync(join(dir, 'empty'));
    mkdirSync(join(dir, 'mixed'));
    writeBins(join(dir, 'mixed'), 1, 40, 1);
    writeFileSync(join(dir, 'mixed', 'a.pgm'), encodePgm({ width: 2, height: 2, format: 'gray8', data: new Uint8Array(4) }));
    writeFileSync(join(dir, 'bad.onnx'), readFileSync(model).subarray(0, 2000));
    const out = join(dir, 'out.tflite');
    const cases: [string[], RegExp][] = [
      [['convert', join(dir, 'bad.onnx'), '--calibration', join(dir, 'good'), '--out', out], /^TRUNCATED_MODEL: /],
      [['convert', join(dir, 'missing.onnx'), '--calibration', join(dir, 'good'), '--out', out], /^NOT_A_MODEL: no such file/],
      [['convert', model, '--calibration', join(dir, 'empty'), '--out', out], /^BAD_CALIBRATION: .* holds no PNG, JPEG or PGM images and no \.bin tensors/],
      [['convert', model, '--calibration', join(dir, 'wrong'), '--out', out], /^BAD_CALIBRATION: s0\.bin has 164 bytes; the model's inputs \('input' \[1,4,10\]\) take 160 bytes of float32/],
      [['convert', model, '--calibration', join(dir, 'mixed'), '--out', out], /^BAD_CALIBRATION: .* mixes images/],
      [['convert', model, '--calibration', join(dir, 'nowhere'), '--out', out], /^BAD_CALIBRATION: no such folder/],
      [['convert', model, '--calibration', join(dir, 'good'), '--out', join(dir, 'no/such/dir/out.tflite')], /^BAD_OPTION: --out .*does not exist/],
      [['convert', model, '--calibration', join(dir, 'good'), '--out', join(dir, 'good')], /^BAD_OPTION: --out .* is a folder/],
      [['convert', model, '--out', out], /^BAD_OPTION: --out needs --calibration/],
      [['convert', model, '--calibration', join(dir, 'good'), '--out', out, '--method', 'kl'], /expected one of minmax, percentile, mse/],
      [['compare', model, join(repoRoot, 'models/detector.tflite'), '--data', join(dir, 'good')], /^BAD_DATA: the models take different inputs/],
    ];
    for (const [args, want] of cases) {
      const r = await cli(args);
      t.is(r.code, 1, args.join(' '));
      t.regex(r.stderr.trim(), want, args.join(' '));
      t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
    }
    t.false(existsSync(out), 'nothing written');
    t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.tflite')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
