// The micro_speech audio front end as a model of TFLM signal-library custom
// operators (plus a few builtins), written by our model writer: 480 int16
// samples (30 ms at 16 kHz) in, 40 int8 features out, the configuration of
// upstream's examples/micro_speech audio_preprocessor_int8 (window 30 ms,
// Hann window Q12, 512-point RFFT, energy of bins 5..240, 40-channel mel
// filter bank 125..7500 Hz, square root, spectral subtraction, PCAN, log,
// then the int8 rescaling (v*256 + 333) / 666 - 128 clamped to int8).
//
// The constant tables (window, filter bank bands and weights, PCAN gain table)
// are computed here from the published formulas, in float32 where upstream
// computes in float32 (its log1pf/powf: Math.fround of the double result).
// test/audio-frontend.test.ts checks that this model and upstream's give the
// same features on seeded audio (where the oracle is built) and that the
// committed vectors (the oracle's outputs on this model) are what our core
// computes.
//
//   npm run audio-frontend                      writes models/audio/frontend.tflite
//   npm run audio-frontend -- --oracle <tflm_run> [--keyword <kws.tflite>]
//                                               also writes test/data/audio/ (vectors)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flexbufferOptions } from '../src/convert/flexbuffer-options.js';
import { serializeTflite, type FlatField, type FlatTensor } from '../src/convert/tflite-write.js';
import { builtinCode } from './tflm-ops/builtins.js';
import { xorshift32 } from './tflm-ops/gen.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const frontendPath = join(repoRoot, 'models/audio/frontend.tflite');
export const audioDataDir = join(repoRoot, 'test/data/audio');

/** The front end's configuration (upstream's FeatureParams defaults for micro_speech). */
export const params = Object.freeze({
  sampleRate: 16000,
  windowMs: 30,
  strideMs: 20,
  windowScalingBits: 12,
  channels: 40,
  lowerHz: 125,
  upperHz: 7500,
  weightScalingBits: 12,
  alignment: 4,
  channelBlockSize: 4,
  postScalingBits: 6,
  spectralSubtractionBits: 14,
  smoothingBits: 10,
  evenSmoothing: 0.025,
  oddSmoothing: 0.06,
  minSignalRemaining: 0.05,
  clamping: false,
  pcanStrength: 0.95,
  pcanOffset: 80,
  pcanGainBits: 21,
  pcanSmoothingBits: 10,
  pcanSnrShift: 6,
});

const f32 = Math.fround;

/** numpy's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Hann window weights scaled by 2^shift: round(2^shift (0.5 - 0.5 cos(2 pi (i + 0.5) / n))). */
export function hannWeights(n: number, shift: number): number[] {
  const arg = (Math.PI * 2) / n;
  return Array.from({ length: n }, (_, i) => roundHalfEven((0.5 - 0.5 * Math.cos(arg * (i + 0.5))) * 2 ** shift));
}

/** Mel of a frequency as upstream computes it in float32: 1127 log1p(f / 700). */
function freqToMel(freq: number): number {
  return f32(1127 * f32(Math.log1p(f32(f32(freq) / 700))));
}

export interface FilterBank {
  startIndex: number;
  endIndex: number;
  weights: number[];
  unweights: number[];
  frequencyStarts: number[];
  weightStarts: number[];
  widths: number[];
}

/**
 * The mel filter bank's tables for a spectrum of `spectrumSize` bins: channels
 * + 1 bands between the band limits, each band's bins padded to the alignment
 * and block size, triangular weights quantized to `weightScalingBits`.
 */
export function filterBank(spectrumSize: number): FilterBank {
  const { sampleRate, channels, lowerHz, upperHz, alignment, channelBlockSize: block, weightScalingBits } = params;
  const indexAlignment = alignment < 2 ? 1 : Math.trunc(alignment / 2);
  const bands = channels + 1;
  const melLower = freqToMel(lowerHz), melUpper = freqToMel(upperHz);
  const melSpacing = f32(f32(melUpper - melLower) / bands);
  const centers = Array.from({ length: bands }, (_, i) => f32(melLower + f32(melSpacing * (i + 1))));
  const hzPerBin = sampleRate / 2 / (spectrumSize - 1);
  const startIndex = Math.round(1 + lowerHz / hzPerBin);
  const frequencyStarts = new Array<number>(bands).fill(0);
  const weightStarts = new Array<number>(bands).fill(0);
  const widths = new Array<number>(bands).fill(0);
  const actualStarts: number[] = [], actualWidths: number[] = [];
  let chanStart = startIndex, weightIndex = 0, zeroed = false;
  for (let chan = 0; chan < bands; chan++) {
    let freq = chanStart;
    while (freqToMel(freq * hzPerBin) <= centers[chan]!) freq++;
    const width = freq - chanStart;
    actualStarts.push(chanStart);
    actualWidths.push(width);
    if (width === 0) {
      // an empty band reads `block` zero weights placed at the front of the tables
      frequencyStarts[chan] = 0;
      weightStarts[chan] = 0;
      widths[chan] = block;
      if (!zeroed) {
        zeroed = true;
        for (let j = 0; j < chan; j++) weightStarts[j]! += block;
        weightIndex += block;
      }
    } else {
      const alignedStart = Math.trunc(chanStart / indexAlignment) * indexAlignment;
      const alignedWidth = chanStart - alignedStart + width;
      const padded = (Math.trunc((alignedWidth - 1) / block) + 1) * block;
      frequencyStarts[chan] = alignedStart;
      weightStarts[chan] = weightIndex;
      widths[chan] = padded;
      weightIndex += padded;
    }
    chanStart = freq;
  }
  const weights = new Array<number>(weightIndex).fill(0);
  const unweights = new Array<number>(weightIndex).fill(0);
  let endIndex = 0;
  for (let chan = 0; chan < bands; chan++) {
    let freq = actualStarts[chan]!;
    const offset = freq - frequencyStarts[chan]!;
    const previous = chan === 0 ? melLower : centers[chan - 1]!;
    for (let j = 0; j < actualWidths[chan]!; j++) {
      const num = f32(centers[chan]! - freqToMel(freq * hzPerBin));
      const den = f32(centers[chan]! - previous);
      const weight = f32(num / den);
      const at = weightStarts[chan]! + offset + j;
      weights[at] = Math.trunc(weight * 2 ** weightScalingBits);
      unweights[at] = Math.trunc(f32(1 - weight) * 2 ** weightScalingBits);
      freq++;
    }
    endIndex = Math.max(endIndex, freq);
  }
  if (endIndex >= spectrumSize) throw new RangeError('the filter bank reaches past the spectrum');
  return { startIndex, endIndex, weights, unweights, frequencyStarts, weightStarts, widths };
}

/** PCAN's gain at x (float32 as upstream): 2^gainBits (x / 2^inputBits + offset)^-strength, saturated to int16. */
function pcanGain(inputBits: number, x: number): number {
  const { pcanStrength, pcanOffset, pcanGainBits } = params;
  const xf = f32(x / 2 ** inputBits);
  const gain = f32(2 ** pcanGainBits * f32(Math.pow(f32(xf + pcanOffset), -f32(pcanStrength))));
  if (gain > 32767) return 32767;
  return Math.trunc(f32(gain + 0.5));
}

const int16 = (v: number): number => ((v & 0xffff) ^ 0x8000) - 0x8000;

/**
 * PCAN's gain table (125 int16): the gains at 0 and 1, then for each octave
 * [2^(k-1), 2^k) of a 32-bit input the gain at its start and the two
 * coefficients of the quadratic through its start, middle and end, and a 0.
 */
export function pcanTable(inputBits: number): number[] {
  const lut = new Array<number>(125).fill(0);
  lut[0] = pcanGain(inputBits, 0);
  lut[1] = pcanGain(inputBits, 1);
  for (let interval = 2; interval <= 32; interval++) {
    const x0 = 2 ** (interval - 1);
    const x1 = x0 + Math.floor(x0 / 2);
    const x2 = interval === 32 ? x0 + (x0 - 1) : 2 * x0;
    const y0 = pcanGain(inputBits, x0), y1 = pcanGain(inputBits, x1), y2 = pcanGain(inputBits, x2);
    const a1 = 4 * (y1 - y0) - (y2 - y0);
    const a2 = (y2 - y0) - a1;
    const at = 4 * interval - 6;
    const values = [y0, int16(a1), int16(a2), 0];
    for (let k = 0; k < 4; k++) if (at + k < lut.length) lut[at + k] = values[k]!;
  }
  return lut;
}

const tensorTypes = { int16: 7, int32: 2, uint32: 15, uint64: 12, int8: 9 } as const;
type Dtype = keyof typeof tensorTypes;

function le(dtype: Dtype, values: readonly number[]): Uint8Array {
  const size = dtype === 'int16' ? 2 : dtype === 'int8' ? 1 : 4;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (size === 2) view.setInt16(2 * i, v, true);
    else if (size === 1) view.setInt8(i, v);
    else view.setInt32(4 * i, v, true);
  });
  return out;
}

/**
 * The front-end model's bytes; with `ops` [from, to) only those operators, their
 * graph inputs the tensors they read that are neither constant nor made among
 * them, their outputs those made and not read among them (a part of the front
 * end, to check the operators it is made of one stretch at a time).
 */
export function frontendModel(ops?: readonly [number, number]): Uint8Array {
  const windowSamples = (params.windowMs * params.sampleRate) / 1000;           // 480
  const fftBits = Math.ceil(Math.log2(windowSamples));                          // 9
  const fftLength = 2 ** fftBits;                                                // 512
  const bins = fftLength / 2 + 1;                                                // 257
  const bank = filterBank(bins);
  const correctionBits = fftBits - Math.trunc(params.weightScalingBits / 2);    // 3
  const one = 1 << params.spectralSubtractionBits;
  const smoothing = Math.trunc(params.evenSmoothing * one);
  const alternate = Math.trunc(params.oddSmoothing * one);
  const valueDiv = Math.trunc(25.6 * 26 + 0.5);                                  // 666

  const tensors: FlatTensor[] = [];
  const tensor = (name: string, dtype: Dtype, shape: readonly number[], values?: readonly number[]): number => {
    tensors.push({ name, type: tensorTypes[dtype], shape, ...(values !== undefined ? { data: le(dtype, values) } : {}) });
    return tensors.length - 1;
  };
  const audio = tensor('audio_frame', 'int16', [1, windowSamples]);
  const window = tensor('hann_window_q12', 'int16', [windowSamples], hannWeights(windowSamples, params.windowScalingBits));
  const flat = tensor('flat_shape', 'int32', [1], [-1]);
  const weights = tensor('filter_bank_weights', 'int16', [bank.weights.length], bank.weights);
  const unweights = tensor('filter_bank_unweights', 'int16', [bank.unweights.length], bank.unweights);
  const freqStarts = tensor('filter_bank_frequency_starts', 'int16', [params.channels + 1], bank.frequencyStarts);
  const weightStarts = tensor('filter_bank_weight_starts', 'int16', [params.channels + 1], bank.weightStarts);
  const widths = tensor('filter_bank_widths', 'int16', [params.channels + 1], bank.widths);
  const gainLut = tensor('pcan_gain_lut', 'int16', [125], pcanTable(params.pcanSmoothingBits - correctionBits));
  const sliceBegin = tensor('slice_begin', 'int32', [1], [bank.startIndex]);
  const sliceEnd = tensor('slice_end', 'int32', [1], [bank.endIndex]);
  const sliceStride = tensor('slice_stride', 'int32', [1], [1]);
  const zerosHead = tensor('zeros_head', 'int32', [bank.startIndex], new Array<number>(bank.startIndex).fill(0));
  const zerosTail = tensor('zeros_tail', 'int32', [bins - bank.endIndex], new Array<number>(bins - bank.endIndex).fill(0));
  const scale = tensor('value_scale', 'int32', [], [256]);
  const half = tensor('value_half_div', 'int32', [], [Math.trunc(valueDiv / 2)]);
  const div = tensor('value_div', 'int32', [], [valueDiv]);
  const offset = tensor('value_offset', 'int32', [], [-128]);
  const max = tensor('value_max', 'int32', [], [127]);

  const windowed = tensor('windowed', 'int16', [1, windowSamples]);
  const reshaped = tensor('windowed_flat', 'int16', [windowSamples]);
  const scaled = tensor('auto_scaled', 'int16', [windowSamples]);
  const scaleBits = tensor('auto_scale_bits', 'int32', []);
  const spectrum = tensor('spectrum', 'int16', [2 * bins]);
  const energy = tensor('energy', 'uint32', [bins]);
  const energyI32 = tensor('energy_int32', 'int32', [bins]);
  const band = tensor('energy_band', 'int32', [bank.endIndex - bank.startIndex]);
  const banded = tensor('energy_banded', 'int32', [bins]);
  const bandedU32 = tensor('energy_banded_uint32', 'uint32', [bins]);
  const mel = tensor('filter_bank', 'uint64', [params.channels]);
  const root = tensor('filter_bank_root', 'uint32', [params.channels]);
  const clean = tensor('noise_subtracted', 'uint32', [params.channels]);
  const noise = tensor('noise_estimate', 'uint32', [params.channels]);
  const agc = tensor('pcan', 'uint32', [params.channels]);
  const logs = tensor('log', 'int16', [params.channels]);
  const logsI32 = tensor('log_int32', 'int32', [params.channels]);
  const mul = tensor('times_256', 'int32', [params.channels]);
  const add = tensor('plus_half', 'int32', [params.channels]);
  const quot = tensor('over_666', 'int32', [params.channels]);
  const shifted = tensor('minus_128', 'int32', [params.channels]);
  const low = tensor('at_most_127', 'int32', [params.channels]);
  const clipped = tensor('at_least_minus_128', 'int32', [params.channels]);
  const features = tensor('features', 'int8', [params.channels]);

  type Op = { op: string; inputs: number[]; outputs: number[]; version?: number; custom?: Record<string, number | boolean>; optionsType?: number; options?: FlatField[] };
  const none: FlatField[] = [];
  const all: Op[] = [
    { op: 'SignalWindow', inputs: [audio, window], outputs: [windowed], custom: { shift: params.windowScalingBits } },
    { op: 'RESHAPE', inputs: [windowed, flat], outputs: [reshaped] },
    { op: 'SignalFftAutoScale', inputs: [reshaped], outputs: [scaled, scaleBits], custom: {} },
    { op: 'SignalRfft', inputs: [scaled], outputs: [spectrum], custom: { T: tensorTypes.int16, fft_length: fftLength } },
    { op: 'SignalEnergy', inputs: [spectrum], outputs: [energy], custom: { end_index: bank.endIndex, start_index: bank.startIndex } },
    // the energy of the bins outside the filter bank's band is set to zero
    { op: 'CAST', inputs: [energy], outputs: [energyI32], version: 3 },
    { op: 'STRIDED_SLICE', inputs: [energyI32, sliceBegin, sliceEnd, sliceStride], outputs: [band], optionsType: 32, options: none },
    { op: 'CONCATENATION', inputs: [zerosHead, band, zerosTail], outputs: [banded], optionsType: 10, options: none },
    { op: 'CAST', inputs: [banded], outputs: [bandedU32], version: 3 },
    { op: 'SignalFilterBank', inputs: [bandedU32, weights, unweights, freqStarts, weightStarts, widths], outputs: [mel], custom: { num_channels: params.channels } },
    { op: 'SignalFilterBankSquareRoot', inputs: [mel, scaleBits], outputs: [root], custom: {} },
    {
      op: 'SignalFilterBankSpectralSubtraction', inputs: [root], outputs: [clean, noise], custom: {
        alternate_one_minus_smoothing: one - alternate, alternate_smoothing: alternate, clamping: params.clamping,
        min_signal_remaining: Math.trunc(params.minSignalRemaining * one), num_channels: params.channels,
        one_minus_smoothing: one - smoothing, smoothing, smoothing_bits: params.smoothingBits,
        spectral_subtraction_bits: params.spectralSubtractionBits,
      },
    },
    { op: 'SignalPCAN', inputs: [clean, noise, gainLut], outputs: [agc], custom: { snr_shift: params.pcanSnrShift } },
    { op: 'SignalFilterBankLog', inputs: [agc], outputs: [logs], custom: { input_correction_bits: correctionBits, output_scale: 1 << params.postScalingBits } },
    // int8 features: (log * 256 + 333) / 666 (truncating) - 128, clamped to [-128, 127]
    { op: 'CAST', inputs: [logs], outputs: [logsI32], version: 3 },
    { op: 'MUL', inputs: [logsI32, scale], outputs: [mul], optionsType: 21, options: none },
    { op: 'ADD', inputs: [mul, half], outputs: [add], optionsType: 11, options: none },
    { op: 'DIV', inputs: [add, div], outputs: [quot], optionsType: 29, options: none },
    { op: 'ADD', inputs: [quot, offset], outputs: [shifted], optionsType: 11, options: none },
    { op: 'MINIMUM', inputs: [shifted, max], outputs: [low] },
    { op: 'MAXIMUM', inputs: [low, offset], outputs: [clipped] },
    { op: 'CAST', inputs: [clipped], outputs: [features], version: 3 },
  ];
  const chosen = ops === undefined ? all : all.slice(ops[0], ops[1]);
  const made = new Set(chosen.flatMap((o) => o.outputs)), read = new Set(chosen.flatMap((o) => o.inputs));
  const graphInputs = ops === undefined ? [audio] : [...new Set(chosen.flatMap((o) => o.inputs))].filter((i) => tensors[i]!.data === undefined && !made.has(i));
  const graphOutputs = ops === undefined ? [features] : chosen.flatMap((o) => o.outputs).filter((i) => !read.has(i));
  return serializeTflite({
    tensors,
    operators: chosen.map((o) => ({
      builtin: o.custom !== undefined ? builtinCode('CUSTOM') : builtinCode(o.op),
      version: o.version ?? 1, inputs: o.inputs, outputs: o.outputs,
      optionsType: o.optionsType ?? 0, options: o.options ?? [],
      ...(o.custom !== undefined ? { customCode: o.op } : {}),
      ...(o.custom !== undefined && Object.keys(o.custom).length > 0 ? { customOptions: flexbufferOptions(o.custom) } : {}),
    })),
    inputs: graphInputs,
    outputs: graphOutputs,
    description: ops !== undefined ? `xs-tinyml micro_speech audio front end, operators ${ops[0]}..${ops[1] - 1}` : 'xs-tinyml micro_speech audio front end (tools/audio-frontend.ts): 480 int16 samples (30 ms at 16 kHz) -> 40 int8 features',
  });
}

/** The clips the vectors use: 1 s of 16 kHz int16 audio each, made here (no recorded audio). */
export function testClips(): { name: string; source: string; samples: Int16Array }[] {
  const n = params.sampleRate;
  const noise = (seed: number, amplitude: number): Int16Array => {
    const next = xorshift32(seed);
    return Int16Array.from({ length: n }, () => Math.trunc((((next() >>> 16) - 32768) * amplitude) / 32768));
  };
  const tone = (hz: number, amplitude: number): number[] =>
    Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / n)));
  const quiet = noise(7, 200);
  const chirp = Int16Array.from({ length: n }, (_, i) => {
    const t = i / n;
    const burst = t > 0.3 && t < 0.7 ? Math.round(12000 * Math.sin(2 * Math.PI * (300 * t + 1500 * t * t))) : 0;
    return Math.max(-32768, Math.min(32767, burst + quiet[i]!));
  });
  const loud = noise(3, 32767);
  const toneSamples = tone(1000, 8000);
  const mixed = Int16Array.from({ length: n }, (_, i) => Math.max(-32768, Math.min(32767, toneSamples[i]! + loud[i]! / 8)));
  return [
    { name: 'noise', source: 'full-scale white noise: xorshift32 seed 3, sample = (state >>> 16) - 32768', samples: loud },
    { name: 'tone', source: '1 kHz sine, amplitude 8000, plus seed-3 noise / 8', samples: mixed },
    { name: 'chirp', source: 'seed-7 noise at amplitude 200, with a 300..1500 Hz chirp (amplitude 12000) from 0.3 s to 0.7 s', samples: chirp },
    { name: 'short', source: 'the chirp clip\'s first 0.6 s (9600 samples): /classify pads it with zeros to 1 s', samples: chirp.slice(0, 9600) },
  ];
}

/** The frames of a clip of at most 1 s, padded with zeros to 1 s, as the front end sees them: 49 windows of 480 samples every 320. */
export function frames(samples: Int16Array): Int16Array {
  const window = (params.windowMs * params.sampleRate) / 1000, stride = (params.strideMs * params.sampleRate) / 1000;
  const count = Math.floor((params.sampleRate - window) / stride) + 1;
  const clip = new Int16Array(params.sampleRate);
  clip.set(samples);
  const out = new Int16Array(count * window);
  for (let f = 0; f < count; f++) out.set(clip.subarray(f * stride, f * stride + window), f * window);
  return out;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const bytesOf = (a: Int16Array | Int8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Runs the oracle; returns the output file's bytes. */
export function oracleRun(oracle: string, model: string, input: Uint8Array, invokes: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'xtml-audio-'));
  try {
    const inPath = join(dir, 'in.bin'), outPath = join(dir, 'out.bin');
    writeFileSync(inPath, input);
    const args = [model, ...(invokes > 1 ? ['--invokes', String(invokes)] : []), '--input', inPath, '--output', outPath];
    const r = spawnSync(oracle, args, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`tflm_run ${model}: exit ${r.status}: ${r.stderr}`);
    return new Uint8Array(readFileSync(outPath));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { Command } = await import('commander');
  const opts = new Command()
    .name('audio-frontend')
    .description('write models/audio/frontend.tflite (and with --oracle the vectors in test/data/audio/)')
    .option('--oracle <path>', 'the tflm_run program: write the oracle vectors')
    .option('--keyword <path>', 'the keyword model (tflm_micro_speech_quantized.tflite)', join(repoRoot, '../shared/reference/models/tflm_micro_speech_quantized.tflite'))
    .parse().opts<{ oracle?: string; keyword: string }>();
  const model = frontendModel();
  mkdirSync(dirname(frontendPath), { recursive: true });
  writeFileSync(frontendPath, model);
  console.log(`${frontendPath}: ${model.length} bytes, sha256 ${sha256(model)}`);
  if (opts.oracle === undefined) return;
  if (!existsSync(opts.keyword)) throw new Error(`no keyword model at ${opts.keyword}`);
  mkdirSync(audioDataDir, { recursive: true });
  const clips = testClips().map((clip) => {
    const input = bytesOf(frames(clip.samples));
    const features = oracleRun(opts.oracle!, frontendPath, input, input.length / 960);
    const scores = oracleRun(opts.oracle!, opts.keyword, features, 1);
    writeFileSync(join(audioDataDir, `${clip.name}.pcm`), bytesOf(clip.samples));
    writeFileSync(join(audioDataDir, `${clip.name}.features.bin`), features);
    writeFileSync(join(audioDataDir, `${clip.name}.scores.bin`), scores);
    return {
      name: clip.name, source: clip.source,
      audio: `${clip.name}.pcm`, audio_sha256: sha256(bytesOf(clip.samples)),
      features: `${clip.name}.features.bin`, features_sha256: sha256(features),
      scores_file: `${clip.name}.scores.bin`, scores: Array.from(new Int8Array(scores.buffer, scores.byteOffset, scores.length)),
    };
  });
  const manifest = {
    about: 'The audio front end (models/audio/frontend.tflite, tools/audio-frontend.ts) and the micro_speech keyword model on generated 1 s clips: the features and scores upstream TFLM computed (regenerate: npm run audio-frontend -- --oracle <tflm_run>).',
    oracle: 'upstream TFLM MicroInterpreter at tensorflow/tflite-micro 90b983c, reference kernels, g++ 12.2 -O2 on x86-64 (tflm_run, docs/operators.md)',
    frontend: { model: 'models/audio/frontend.tflite', sha256: sha256(model) },
    keyword_model: { file: 'tflm_micro_speech_quantized.tflite (../shared/reference/models)', sha256: sha256(readFileSync(opts.keyword)), labels: ['silence', 'unknown', 'yes', 'no'] },
    layout: '*.pcm: int16 LE samples (16000, or fewer: padded with zeros to 16000); *.features.bin: 49 frames x 40 int8, frame f from samples [320 f, 320 f + 480), one interpreter, 49 invokes in a row (the noise estimate carries over); *.scores.bin: the keyword model\'s 4 int8 outputs for those features',
    clips,
  };
  writeFileSync(join(audioDataDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  console.log(`${audioDataDir}: ${clips.map((c) => `${c.name} ${JSON.stringify(c.scores)}`).join(', ')}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
