// npm run convert:sqnr [-- --calibration N --eval N --method M]: our converter
// against TensorFlow's on MLPerf Tiny's networks. Each float model of
// ../shared/reference/convert/ is converted by us (calibrated on one set of
// inputs), then our int8 model and TensorFlow's int8 twin (../shared/reference/
// models/) are run on our core (bit-exact to TFLM) on other inputs, and the SQNR
// of each against the float model's output is printed.
//
// Inputs: for the image classifier, crops of the natural images Debian's
// python3-skimage ships (calibration and evaluation from different images); for
// the others, seeded noise shaped like the features: the real sample the
// reference set has for the model, shifted in time and with Gaussian noise.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { decodePng, jpegDecoder } from '../host-sim/node/images.js';
import { InferenceSession, dequantize, quantize, type CoreBinding, type Frame } from '../src/index.js';
import { prepare, quantizeModel, type Prepared } from '../src/convert/convert.js';
import type { CalibrationMethod } from '../src/convert/calibrate.js';
import { runFloat } from '../src/convert/float-run.js';
import { areaResize } from '../src/convert/area-resize.js';
import { referenceDir } from '../test/support/reference.js';

export const skimageData = '/usr/lib/python3/dist-packages/skimage/data';
const calibrationImages = ['astronaut.png', 'coffee.png', 'motorcycle_left.png', 'hubble_deep_field.jpg'];
const evalImages = ['chelsea.png', 'rocket.jpg', 'motorcycle_right.png', 'retina.jpg'];

export function skimagePresent(): boolean {
  return [...calibrationImages, ...evalImages].every((f) => existsSync(join(skimageData, f)));
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** n random square crops (24 to 160 px) of the images, resized to 32x32 RGB by area averaging, 0..255. */
export function imageCrops(files: readonly string[], n: number, seed: number): Float32Array[][] {
  const frames: Frame[] = files.map((f) => {
    const bytes = new Uint8Array(readFileSync(join(skimageData, f)));
    return f.endsWith('.png') ? decodePng(bytes) : jpegDecoder(64 << 20)(bytes);
  });
  const r = rng(seed);
  const identity = Float32Array.from({ length: 256 }, (_, v) => v);
  return Array.from({ length: n }, (_, k) => {
    const src = frames[k % frames.length]!;
    const side = Math.min(24 + Math.floor(r() * 136), src.width, src.height);
    const x0 = Math.floor(r() * (src.width - side + 1)), y0 = Math.floor(r() * (src.height - side + 1));
    const bpp = 4;
    const crop = new Uint8Array(side * side * bpp);
    for (let y = 0; y < side; y++) crop.set(src.data.subarray(((y0 + y) * src.width + x0) * bpp, ((y0 + y) * src.width + x0 + side) * bpp), y * side * bpp);
    const out = new Float32Array(32 * 32 * 3);
    areaResize({ width: side, height: side, format: 'rgba8888', data: crop }, 'stretch', { width: 32, height: 32, channels: 3 }, identity, out);
    return [out];
  });
}

/** The model's real sample (dequantized from the int8 twin's vector), shifted in time and noised. */
export function featureNoise(modelId: string, vector: string, frames: number, n: number, seed: number, sigma: number): Float32Array[][] {
  const manifest = JSON.parse(readFileSync(join(referenceDir, 'manifest.json'), 'utf8')) as { models: { id: string; inputs: { quant: { scale: number[]; zero_point: number[] } }[]; vectors: { name: string; input: string }[] }[] };
  const m = manifest.models.find((x) => x.id === modelId)!;
  const q = m.inputs[0]!.quant;
  const raw = new Int8Array(readFileSync(join(referenceDir, m.vectors.find((v) => v.name === vector)!.input)));
  const template = dequantize(raw, q.scale[0]!, q.zero_point[0]!);
  const perFrame = template.length / frames;
  const r = rng(seed);
  let sd = 0, mean = 0;
  for (const v of template) mean += v / template.length;
  for (const v of template) sd += (v - mean) ** 2 / template.length;
  sd = Math.sqrt(sd);
  return Array.from({ length: n }, () => {
    const shift = Math.floor(r() * frames);
    const out = new Float32Array(template.length);
    for (let i = 0; i < out.length; i++) {
      const f = Math.floor(i / perFrame), c = i % perFrame;
      out[i] = template[((f + shift) % frames) * perFrame + c]! + sigma * sd * gauss(r);
    }
    return [out];
  });
}

export interface Case {
  id: string;
  float: string;
  theirs: string;
  inputs: string;
  calibration: () => Float32Array[][];
  evaluation: () => Float32Array[][];
  inputRange?: [number, number];
}

export function cases(nCal: number, nEval: number): Case[] {
  return [
    {
      id: 'image classification (ResNet-8)', float: 'pretrainedResnet.tflite', theirs: 'tiny_ic_pretrainedResnet_quant.tflite',
      inputs: `32x32 crops of skimage images (calibration: ${calibrationImages.join(', ')}; evaluation: ${evalImages.join(', ')})`,
      calibration: () => imageCrops(calibrationImages, nCal, 1), evaluation: () => imageCrops(evalImages, nEval, 2), inputRange: [0, 255],
    },
    {
      id: 'anomaly detection (FC autoencoder)', float: 'ad01_fp32.tflite', theirs: 'tiny_ad01_int8.tflite',
      inputs: 'the real log-mel window, rolled in time, plus Gaussian noise (0.3 of its deviation); seeds 11 and 12',
      calibration: () => featureNoise('tiny_ad01_int8', 'real_dcase01_window0', 5, nCal, 11, 0.3),
      evaluation: () => featureNoise('tiny_ad01_int8', 'real_dcase01_window195', 5, nEval, 12, 0.3),
    },
    {
      id: 'keyword spotting (DS-CNN, hybrid)', float: 'kws_ref_model_float32.tflite', theirs: 'tiny_kws_ref_model.tflite',
      inputs: 'the real MFCC sample, rolled in time, plus Gaussian noise (0.3 of its deviation); seeds 21 and 22',
      calibration: () => featureNoise('tiny_kws_ref_model', 'real_kws_input_0', 49, nCal, 21, 0.3),
      evaluation: () => featureNoise('tiny_kws_ref_model', 'real_kws_input_0', 49, nEval, 22, 0.3),
    },
  ];
}

function sqnr(ref: Float32Array[], got: Float32Array[]): number {
  let s = 0, e = 0;
  ref.forEach((r, k) => { for (let i = 0; i < r.length; i++) { s += r[i]! ** 2; e += (got[k]![i]! - r[i]!) ** 2; } });
  return 10 * Math.log10(s / e);
}

function runInt8(binding: CoreBinding, model: Uint8Array, inputs: Float32Array[][]): Float32Array[] {
  const session = InferenceSession.create(binding, model);
  try {
    const i = session.inputs[0]!, o = session.outputs[0]!;
    return inputs.map(([x]) => {
      const feed = i.type === 'float32' ? x! : quantize(x!, i.scale, i.zeroPoint);
      const y = session.run([feed])[0]!.data;
      return o.type === 'float32' ? (y as Float32Array) : dequantize(y as Int8Array, o.scale, o.zeroPoint);
    });
  } finally {
    session.release();
  }
}

export interface Row { id: string; ours: number; theirs: number; oursBytes: number; theirsBytes: number; oursArena: number; theirsArena: number; inputs: string; calibration: number; evaluation: number }

export function measure(c: Case, binding: CoreBinding, method: CalibrationMethod, biasCorrection: boolean, nCal: number, nEval: number): Row {
  const floatPath = join(referenceDir, 'convert', c.float);
  const p: Prepared = prepare(new Uint8Array(readFileSync(floatPath)));
  const cal = c.calibration(), ev = c.evaluation();
  const inputParams = c.inputRange ? new Map([[p.graph.inputs[0]!, { scale: Math.fround((c.inputRange[1] - c.inputRange[0]) / 255), zeroPoint: -128 }]]) : undefined;
  const { model, report } = quantizeModel(p, { binding, samples: cal, method, io: 'int8', description: '', biasCorrection, ...(inputParams ? { inputParams } : {}) });
  const reference = ev.map((s) => runFloat(p.graph, s).get(p.graph.outputs[0]!)!);
  const theirsBytes = new Uint8Array(readFileSync(join(referenceDir, 'models', c.theirs)));
  const ours = runInt8(binding, model, ev);
  const theirs = runInt8(binding, theirsBytes, ev);
  const theirsSession = InferenceSession.create(binding, theirsBytes);
  const theirsArena = theirsSession.arenaBytes;
  theirsSession.release();
  return { id: c.id, ours: sqnr(reference, ours), theirs: sqnr(reference, theirs), oursBytes: model.length, theirsBytes: theirsBytes.length, oursArena: report.arena_bytes, theirsArena, inputs: c.inputs, calibration: nCal, evaluation: nEval };
}

async function main(): Promise<void> {
  const { Command } = await import('commander');
  const opts = new Command()
    .option('--calibration <n>', 'calibration samples', (v) => Number.parseInt(v, 10), 200)
    .option('--eval <n>', 'evaluation samples', (v) => Number.parseInt(v, 10), 200)
    .option('--method <m>', 'minmax | percentile | mse', 'mse')
    .option('--bias-correction', 'with bias correction')
    .parse().opts<{ calibration: number; eval: number; method: CalibrationMethod; biasCorrection?: boolean }>();
  if (!skimagePresent()) console.error(`note: the skimage sample images are missing (${skimageData}); apt-get install -y python3-skimage`);
  const binding = loadBinding('wasm');
  console.log(`| model | ours (dB) | TensorFlow's (dB) | ours - theirs | our bytes | their bytes | our arena | their arena |`);
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const notes: string[] = [];
  for (const c of cases(opts.calibration, opts.eval)) {
    if (c.inputRange && !skimagePresent()) continue;
    const t0 = Date.now();
    const r = measure(c, binding, opts.method, opts.biasCorrection === true, opts.calibration, opts.eval);
    console.log(`| ${r.id} | ${r.ours.toFixed(2)} | ${r.theirs.toFixed(2)} | ${(r.ours - r.theirs >= 0 ? '+' : '') + (r.ours - r.theirs).toFixed(2)} | ${r.oursBytes} | ${r.theirsBytes} | ${r.oursArena} | ${r.theirsArena} |`);
    notes.push(`${r.id}: ${r.inputs}; ${r.calibration} calibration and ${r.evaluation} evaluation samples (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  console.log(`\ncalibration ${opts.method}${opts.biasCorrection ? ' with bias correction' : ''}; SQNR of the int8 output against the float model's output (arena: 32-bit, WebAssembly build)`);
  for (const n of notes) console.log(`- ${n}`);
}

if (process.argv[1]?.endsWith('convert-sqnr.js')) await main();
