// Group 'signal' of test/data/tflm-ops: the custom operators of TFLM's signal
// library (the micro_speech audio front end's stages) that the core runs, one
// per model, their options as FlexBuffer maps (our writer's
// flexbufferOptions()). Seeded inputs cover the full-range values; the
// hand-chosen vectors reach what random bytes miss (small amplitudes for the
// auto-scale, inputs below 2^32 for the 32-bit square root, values around the
// log's threshold).
import { count, encode, type OpConfig, type OpTensor, type TensorDtype } from './gen.js';

const act = (name: string, dtype: TensorDtype, shape: readonly number[]): OpTensor => ({ name, dtype, shape });
const i16 = (values: readonly number[]): Uint8Array => encode('int16', values);
const u32 = (values: readonly number[]): Uint8Array => encode('uint32', values);

/** A smooth int16 window (Q14 raised cosine) of n taps: hand-computed constants. */
const hann = (n: number): number[] => Array.from({ length: n }, (_, i) => Math.round(16384 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n))));

/** uint64 values as little-endian bytes (BigInt-exact). */
function u64(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigUint64(8 * i, v, true));
  return out;
}

function window(id: string, shape: readonly number[], taps: number, shift: number, extra: Partial<OpConfig> = {}): OpConfig {
  return {
    id: `op_signal_window_int16_${id}`,
    source: `SignalWindow int16: input [${shape.join(', ')}], constant raised-cosine weights [${taps}] (Q14), shift ${shift}`,
    op: 'SignalWindow',
    custom: { shift },
    tensors: [act('input', 'int16', shape), { name: 'weights', dtype: 'int16', shape: [taps], values: hann(taps) }, act('output', 'int16', shape)],
    inputs: [0, 1],
    outputs: [2],
    ...extra,
  };
}

const smallAudio = i16(Array.from({ length: 24 }, (_, i) => ((i * 37) % 61) - 30));

export const configs: OpConfig[] = [
  window('16_s12', [16], 16, 12),
  window('2x12_s14', [2, 12], 12, 14),
  window('24_s0', [24], 8, 0, {
    source: 'SignalWindow int16: input [24], constant raised-cosine weights [8] (Q14) applied 3 times, shift 0 (products saturate)',
  }),
  {
    id: 'op_signal_fft_auto_scale_int16',
    source: 'SignalFftAutoScale int16: input [24]; hand-chosen vectors: small amplitude (scales up), all zero, one -32768 among small values, one 16384',
    op: 'SignalFftAutoScale',
    custom: {},
    tensors: [act('input', 'int16', [24]), act('output', 'int16', [24]), act('scale_bits', 'int32', [])],
    inputs: [0],
    outputs: [1, 2],
    vectors: [
      { name: 'small', input: smallAudio },
      { name: 'zero', input: i16(new Array<number>(24).fill(0)) },
      { name: 'min_then_small', input: i16([3, -32768, 5, -7, ...new Array<number>(20).fill(2)]) },
      { name: 'half', input: i16([16384, -1, 1, ...new Array<number>(21).fill(-3)]) },
      { name: 'one', input: i16([1, ...new Array<number>(23).fill(0)]) },
    ],
  },
  {
    id: 'op_signal_energy_int16_full',
    source: 'SignalEnergy int16 -> uint32: input [32] as 16 (real, imaginary) pairs, start_index 0, end_index 16',
    op: 'SignalEnergy',
    custom: { start_index: 0, end_index: 16 },
    tensors: [act('input', 'int16', [32]), act('output', 'uint32', [16])],
    inputs: [0],
    outputs: [1],
    vectors: [{ name: 'extremes', input: i16([-32768, -32768, 32767, 32767, -32768, 0, 0, 32767, ...new Array<number>(24).fill(-1)]) }],
  },
  {
    id: 'op_signal_filter_bank_square_root_uint64_s0',
    source: 'SignalFilterBankSquareRoot uint64 -> uint32: input [12], constant scale_bits 0; hand-chosen vector of values below and around 2^32 and 2^64',
    op: 'SignalFilterBankSquareRoot',
    custom: {},
    tensors: [act('input', 'uint64', [12]), { name: 'scale_bits', dtype: 'int32', shape: [], values: [0] }, act('output', 'uint32', [12])],
    inputs: [0, 1],
    outputs: [2],
    vectors: [{
      name: 'edges',
      input: u64([0n, 1n, 2n, 3n, 15n, 16n, 65535n, 0xfffe0001n, 0xffffffffn, 0x100000000n, 0xfffffffe00000001n, 0xffffffffffffffffn]),
    }],
  },
  {
    id: 'op_signal_filter_bank_square_root_uint64_s7',
    source: 'SignalFilterBankSquareRoot uint64 -> uint32: input [12], constant scale_bits 7; hand-chosen vector of 32-bit values',
    op: 'SignalFilterBankSquareRoot',
    custom: {},
    tensors: [act('input', 'uint64', [12]), { name: 'scale_bits', dtype: 'int32', shape: [], values: [7] }, act('output', 'uint32', [12])],
    inputs: [0, 1],
    outputs: [2],
    vectors: [{ name: 'small', input: u64([5n, 99n, 1000n, 123456n, 7777777n, 1n << 20n, 3n << 30n, 100n, 65536n, 65537n, 2n ** 31n - 1n, 4n]) }],
  },
  {
    id: 'op_signal_filter_bank_log_uint32_c3_s1600',
    source: 'SignalFilterBankLog uint32 -> int16: input [16], input_correction_bits 3, output_scale 1600 (micro_speech); hand-chosen vector around the s <= 1 threshold and small values',
    op: 'SignalFilterBankLog',
    custom: { input_correction_bits: 3, output_scale: 1600 },
    tensors: [act('input', 'uint32', [16]), act('output', 'int16', [16])],
    inputs: [0],
    outputs: [1],
    vectors: [{ name: 'small', input: u32([0, 1, 2, 3, 4, 100, 1000, 65535, 65536, 1 << 20, 123456789, 536870911, 536870912, 7, 33, 4095]) }],
  },
  {
    id: 'op_signal_filter_bank_log_uint32_c0_s65536',
    source: 'SignalFilterBankLog uint32 -> int16: input [16], input_correction_bits 0, output_scale 65536 (outputs saturate at 32767 only for large inputs)',
    op: 'SignalFilterBankLog',
    custom: { input_correction_bits: 0, output_scale: 65536 },
    tensors: [act('input', 'uint32', [16]), act('output', 'int16', [16])],
    inputs: [0],
    outputs: [1],
    vectors: [{ name: 'small', input: u32([0, 1, 2, 3, 4, 100, 1000, 65535, 65536, 1 << 20, 123456789, 536870911, 536870912, 7, 33, 4095]) }],
  },
];

// A 4-channel filter bank over a 17-bin spectrum: 5 bands (band 0 only feeds
// channel 0's unweighted half), triangular Q12 weights and their complements.
const fbWidths = [2, 3, 4, 3, 4];
const fbFreqStarts = [1, 3, 6, 10, 13];
const fbWeightStarts = [0, 2, 5, 9, 12];
const fbWeights = [1024, 3072, 512, 2048, 3584, 400, 1600, 2800, 4000, 1000, 2000, 3000, 800, 1600, 2400, 3200];
const fbUnweights = fbWeights.map((w) => 4096 - w);
const fbTensors = (weights: readonly number[], unweights: readonly number[]): OpTensor[] => [
  act('input', 'uint32', [17]),
  { name: 'weights', dtype: 'int16', shape: [16], values: weights },
  { name: 'unweights', dtype: 'int16', shape: [16], values: unweights },
  { name: 'channel_frequency_starts', dtype: 'int16', shape: [5], values: fbFreqStarts },
  { name: 'channel_weight_starts', dtype: 'int16', shape: [5], values: fbWeightStarts },
  { name: 'channel_widths', dtype: 'int16', shape: [5], values: fbWidths },
  act('output', 'uint64', [4]),
];
configs.push(
  {
    id: 'op_signal_filter_bank_uint32_4ch',
    source: 'SignalFilterBank uint32 -> uint64: spectrum [17], num_channels 4, constant Q12 triangular weights/unweights [16], band tables [5]',
    op: 'SignalFilterBank',
    custom: { num_channels: 4 },
    tensors: fbTensors(fbWeights, fbUnweights),
    inputs: [0, 1, 2, 3, 4, 5],
    outputs: [6],
  },
  {
    id: 'op_signal_filter_bank_uint32_4ch_negative_weights',
    source: 'SignalFilterBank uint32 -> uint64: as op_signal_filter_bank_uint32_4ch with some negative weights (converted to uint64, the sums wrap)',
    op: 'SignalFilterBank',
    custom: { num_channels: 4 },
    tensors: fbTensors(fbWeights.map((w, i) => (i % 3 === 0 ? -w : w)), fbUnweights.map((w, i) => (i % 5 === 1 ? -w : w))),
    inputs: [0, 1, 2, 3, 4, 5],
    outputs: [6],
  },
);

// A 125-entry gain table (every segment a uint32 noise estimate can reach):
// hand-computed int16 values of mixed sign, so the quadratic's steps and the
// int16 truncation are all exercised.
const pcanLut = Array.from({ length: 125 }, (_, i) => Math.round(12000 * Math.sin(0.37 * i + 0.5) + 3000 * Math.cos(1.3 * i)));
const pcan = (id: string, snrShift: number, source: string, extra: Partial<OpConfig> = {}): OpConfig => ({
  id: `op_signal_pcan_uint32_${id}`,
  source: `SignalPCAN uint32: input and noise estimate [12], constant int16 gain table [125], snr_shift ${snrShift}; ${source}`,
  op: 'SignalPCAN',
  custom: { snr_shift: snrShift },
  tensors: [act('input', 'uint32', [12]), act('noise_estimate', 'uint32', [12]), { name: 'gain_lut', dtype: 'int16', shape: [125], values: pcanLut },
    act('output', 'uint32', [12])],
  inputs: [0, 1, 2],
  outputs: [3],
  ...extra,
});
configs.push(
  pcan('s24', 24, 'seeded inputs (every segment of the table)'),
  pcan('s6', 6, 'hand-chosen: small inputs and estimates 0..2 (the table head), and estimates at segment edges', {
    seeds: [],
    vectors: [{
      name: 'small',
      input: u32([1, 5, 100, 1000, 4096, 65535, 1 << 20, 3, 77, 999, 12345, 8191, 0, 1, 2, 3, 4, 7, 8, 1023, 1024, 2047, 2048, 0x7fffffff]),
    }],
  }),
);

// SignalRfft and SignalIrfft (kissfft's real FFT): int16 as the micro_speech
// front end runs it (480 samples zero-padded to 512), int32 and float32; the
// lengths reach every butterfly (radix 4 and 2: 64, 256, 512; radix 3: 48,
// 6; radix 5: 40, 10; all of them: 120) and the twiddles whose rounding the
// double phase decides (exactly +-1/2 for n divisible by 3, exactly 0).
const i32 = (values: readonly number[]): Uint8Array => encode('int32', values);
const f32 = (values: readonly number[]): Uint8Array => encode('float32', values);
const fftType = { int16: 7, int32: 2, float32: 0 } as const;
type FftDtype = keyof typeof fftType;
const full = { int16: [32767, -32768], int32: [2147483647, -2147483648], float32: [1, -1] } as const;
const enc = (dtype: FftDtype, values: readonly number[]): Uint8Array => (dtype === 'int16' ? i16(values) : dtype === 'int32' ? i32(values) : f32(values));

/** Hand-chosen real inputs of n values: impulse, DC at full scale, Nyquist (alternating), most negative everywhere, a ramp. */
function realExtremes(dtype: FftDtype, n: number): { name: string; input: Uint8Array }[] {
  const [hi, lo] = full[dtype];
  const ramp = (k: number): number => (dtype === 'float32' ? (k / n) * 2 - 1 : Math.trunc(((k * 2 - n) / n) * hi));
  return [
    { name: 'impulse', input: enc(dtype, Array.from({ length: n }, (_, k) => (k === 0 ? hi : 0))) },
    { name: 'dc_max', input: enc(dtype, new Array<number>(n).fill(hi)) },
    { name: 'nyquist', input: enc(dtype, Array.from({ length: n }, (_, k) => (k % 2 === 0 ? hi : lo))) },
    { name: 'all_min', input: enc(dtype, new Array<number>(n).fill(lo)) },
    { name: 'ramp', input: enc(dtype, Array.from({ length: n }, (_, k) => ramp(k))) },
  ];
}

function rfft(dtype: FftDtype, length: number, shape: readonly number[], hand = true): OpConfig {
  const rows = shape.slice(0, -1);
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    id: `op_signal_rfft_${dtype}_${length}_${shape.join('x')}`,
    source: `SignalRfft ${dtype}: input [${shape.join(', ')}], fft_length ${length}, output [${[...rows, length + 2].join(', ')}]${hand ? '; hand-chosen impulse, full-scale DC, Nyquist, minimum and ramp' : ''}`,
    op: 'SignalRfft',
    custom: { T: fftType[dtype], fft_length: length },
    tensors: [act('input', dtype, shape), act('output', dtype, [...rows, length + 2])],
    inputs: [0],
    outputs: [1],
    ...(hand ? { vectors: realExtremes(dtype, count) } : {}),
  };
}

/** Hand-chosen spectra of n + 1 bins: a flat one at full scale (an impulse back), DC only, Nyquist only, alternating signs. */
function spectrumExtremes(dtype: FftDtype, length: number): { name: string; input: Uint8Array }[] {
  const [hi, lo] = full[dtype];
  const bins = length / 2 + 1;
  const of = (f: (k: number) => [number, number]): Uint8Array => enc(dtype, Array.from({ length: bins }, (_, k) => f(k)).flat());
  return [
    { name: 'flat_max', input: of(() => [hi, 0]) },
    { name: 'dc_only', input: of((k) => (k === 0 ? [hi, 0] : [0, 0])) },
    { name: 'nyquist_only', input: of((k) => (k === bins - 1 ? [lo, 0] : [0, 0])) },
    { name: 'alternating', input: of((k) => (k % 2 === 0 ? [hi, lo] : [lo, hi])) },
  ];
}

function irfft(dtype: FftDtype, length: number, rows: readonly number[] = []): OpConfig {
  return {
    id: `op_signal_irfft_${dtype}_${length}${rows.length > 0 ? `_${rows.join('x')}rows` : ''}`,
    source: `SignalIrfft ${dtype}: input [${[...rows, length + 2].join(', ')}] (bins as real, imaginary), fft_length ${length}, output [${[...rows, length].join(', ')}]${rows.length === 0 ? '; hand-chosen flat full-scale, DC only, Nyquist only and alternating spectra' : ''}`,
    op: 'SignalIrfft',
    custom: { T: fftType[dtype], fft_length: length },
    tensors: [act('input', dtype, [...rows, length + 2]), act('output', dtype, [...rows, length])],
    inputs: [0],
    outputs: [1],
    ...(rows.length === 0 ? { vectors: spectrumExtremes(dtype, length) } : {}),
  };
}

configs.push(
  rfft('int16', 512, [480]),
  rfft('int16', 256, [2, 256], false),
  rfft('int16', 64, [64]),
  rfft('int16', 48, [48]),
  rfft('int16', 40, [36]),
  rfft('int16', 120, [120]),
  rfft('int16', 6, [6]),
  rfft('int16', 10, [10]),
  rfft('int16', 4, [4]),
  rfft('int32', 64, [64]),
  rfft('int32', 48, [40]),
  rfft('int32', 120, [120]),
  rfft('float32', 64, [64]),
  rfft('float32', 48, [48]),
  rfft('float32', 120, [2, 100], false),
  rfft('float32', 512, [512]),
  irfft('int16', 512),
  irfft('int16', 64),
  irfft('int16', 48),
  irfft('int16', 40, [2]),
  irfft('int32', 64),
  irfft('int32', 120),
  irfft('float32', 64),
  irfft('float32', 48),
  irfft('float32', 120, [2]),
  // ---- refused by TFLM ----
  {
    ...rfft('int16', 64, [64], false),
    id: 'op_signal_rfft_int16_tensors_float32_refused',
    source: 'SignalRfft with T int16 over float32 tensors: TFLM checks the tensor types against T',
    tensors: [act('input', 'float32', [64]), act('output', 'float32', [66])],
    refusal: 'XTML_STATUS_UNSUPPORTED_TYPE',
  },
  {
    ...irfft('int32', 64, [1]),
    id: 'op_signal_irfft_int32_output_int16_refused',
    source: 'SignalIrfft with T int32 and an int16 output: TFLM checks the tensor types against T',
    tensors: [act('input', 'int32', [1, 66]), act('output', 'int16', [1, 64])],
    refusal: 'XTML_STATUS_UNSUPPORTED_TYPE',
  },
);

// ---- the operators that keep state between invokes (xtml_signal_stream.c) ----
// Each vector is a stream of `invokes` invokes from the reset state: the input
// file holds every invoke's inputs, the output file every invoke's outputs.

/** `invokes` frames of `n` uint32 values, frame k from f(k, i). */
const u32Stream = (invokes: number, n: number, f: (k: number, i: number) => number): Uint8Array =>
  u32(Array.from({ length: invokes * n }, (_, j) => f(Math.floor(j / n), j % n) >>> 0));

interface SpectralConfig {
  smoothing: number; oneMinus: number; altSmoothing: number; altOneMinus: number;
  minSignal: number; smoothingBits: number; spectralBits: number; clamping: boolean;
}
const spectral = (id: string, channels: number, s: SpectralConfig, source: string, extra: Partial<OpConfig> = {}): OpConfig => ({
  id: `op_signal_filter_bank_spectral_subtraction_uint32_${id}`,
  source: `SignalFilterBankSpectralSubtraction uint32: ${channels} channels, smoothing ${s.smoothing}/${s.oneMinus}, alternate ${s.altSmoothing}/${s.altOneMinus}, ` +
    `min_signal_remaining ${s.minSignal}, smoothing_bits ${s.smoothingBits}, spectral_subtraction_bits ${s.spectralBits}, clamping ${s.clamping}; ${source}`,
  op: 'SignalFilterBankSpectralSubtraction',
  custom: {
    num_channels: channels, smoothing: s.smoothing, one_minus_smoothing: s.oneMinus, alternate_smoothing: s.altSmoothing,
    alternate_one_minus_smoothing: s.altOneMinus, min_signal_remaining: s.minSignal, smoothing_bits: s.smoothingBits,
    spectral_subtraction_bits: s.spectralBits, clamping: s.clamping,
  },
  tensors: [act('input', 'uint32', [channels]), act('output', 'uint32', [channels]), act('noise_estimate', 'uint32', [channels])],
  inputs: [0],
  outputs: [1, 2],
  invokes: 6,
  seeds: [1, 2],
  ...extra,
});
// micro_speech's front end: 0.04 and 0.05 in Q14, 10 smoothing bits
const microSpeech: SpectralConfig = {
  smoothing: 655, oneMinus: 15729, altSmoothing: 655, altOneMinus: 15729, minSignal: 819, smoothingBits: 10, spectralBits: 14, clamping: false,
};
// a filter-bank-like level per channel that rises, holds, then drops below the noise estimate (the estimate > signal branch)
const levels = (k: number, i: number): number => [3000, 40000, 52000, 51000, 900, 20][k]! * (i + 1) + 17 * i;
configs.push(
  spectral('8ch_micro_speech', 8, microSpeech, 'seeded inputs (full-range: the scaled-up signal wraps), and hand-chosen levels that rise then fall below the estimate', {
    vectors: [{ name: 'levels', input: u32Stream(6, 8, levels) }],
  }),
  spectral('8ch_alternate_clamping', 8, {
    smoothing: 1000, oneMinus: 15384, altSmoothing: 6000, altOneMinus: 10384, minSignal: 3000, smoothingBits: 4, spectralBits: 14, clamping: true,
  }, 'seeded inputs, and hand-chosen levels that fall below the estimate (clamped), odd channels with the alternate coefficients', {
    vectors: [{ name: 'levels', input: u32Stream(6, 8, levels) }],
  }),
  spectral('5ch_wide', 5, {
    smoothing: -1, oneMinus: 2147483647, altSmoothing: 3000000000, altOneMinus: -2, minSignal: -5, smoothingBits: 31, spectralBits: 63, clamping: true,
  }, 'hand-chosen extremes: coefficients past int32 (kept as their uint32 bits), shifts of 31 and 63; seeded inputs', {
    vectors: [{ name: 'extremes', input: u32Stream(6, 5, (k, i) => [0xffffffff, 1, 0, 0x80000000, 12345][(i + k) % 5]!) }],
  }),
  spectral('1ch_no_shift', 1, {
    smoothing: 1, oneMinus: 1, altSmoothing: 0, altOneMinus: 0, minSignal: 1, smoothingBits: 0, spectralBits: 0, clamping: false,
  }, 'one channel, no shifts: the estimate doubles up and wraps; seeded inputs', { invokes: 8 }),
);
configs.push(
  {
    ...spectral('rank2', 8, microSpeech, 'input [2, 4] (TFLM wants rank 1)', { seeds: [1] }),
    tensors: [act('input', 'uint32', [2, 4]), act('output', 'uint32', [8]), act('noise_estimate', 'uint32', [8])],
    refusal: 'XTML_STATUS_SHAPE_MISMATCH',
  },
  {
    ...spectral('int32_output', 8, microSpeech, 'int32 output (TFLM wants uint32)', { seeds: [1] }),
    tensors: [act('input', 'uint32', [8]), act('output', 'int32', [8]), act('noise_estimate', 'uint32', [8])],
    refusal: 'XTML_STATUS_UNSUPPORTED_TYPE',
  },
);

/** `invokes` frames of `n` int16 values, frame k from f(k, i). */
const i16Stream = (invokes: number, n: number, f: (k: number, i: number) => number): Uint8Array =>
  i16(Array.from({ length: invokes * n }, (_, j) => f(Math.floor(j / n), j % n)));
/** A ramp that tells every sample apart: invoke k, sample i -> 100 k + i (+1, so 0 means a zero the kernel wrote). */
const ramp = (k: number, i: number): number => 100 * k + i + 1;

const delay = (id: string, shape: readonly number[], delayLength: number, source: string): OpConfig => ({
  id: `op_signal_delay_int16_${id}`,
  source: `SignalDelay int16: input [${shape.join(', ')}], delay_length ${delayLength}; ${source}`,
  op: 'SignalDelay',
  custom: { delay_length: delayLength },
  tensors: [act('input', 'int16', shape), act('output', 'int16', shape)],
  inputs: [0],
  outputs: [1],
  invokes: 5,
  seeds: [1],
  vectors: [{ name: 'ramp', input: i16Stream(5, count(shape), ramp) }],
});
configs.push(
  delay('8_d3', [8], 3, 'a delay shorter than a frame; seeded and a hand-chosen ramp'),
  delay('2x4_d10', [2, 4], 10, 'two rows, a delay longer than a frame (spans invokes); seeded and a ramp'),
  delay('6_d0', [6], 0, 'no delay; seeded and a ramp'),
);

const framer = (id: string, shape: readonly number[], size: number, step: number, prefill: boolean, source: string, extra: Partial<OpConfig> = {}): OpConfig => {
  const frames = shape[shape.length - 1]! / step;
  return {
    id: `op_signal_framer_int16_${id}`,
    source: `SignalFramer int16: input [${shape.join(', ')}], frame_size ${size}, frame_step ${step}, prefill ${prefill}; ${source}`,
    op: 'SignalFramer',
    custom: { frame_size: size, frame_step: step, prefill },
    tensors: [act('input', 'int16', shape), act('output', 'int16', [...shape.slice(0, -1), frames, size]), act('output_valid', 'bool', [])],
    inputs: [0],
    outputs: [1, 2],
    invokes: 5,
    seeds: [1],
    vectors: [{ name: 'ramp', input: i16Stream(5, count(shape), ramp) }],
    ...extra,
  };
};
configs.push(
  framer('4_s10_t4_prefill', [4], 10, 4, true, 'micro_speech-like framing with prefill (valid from the first invoke); seeded and a ramp'),
  framer('6_s5_t2', [6], 5, 2, false, 'no prefill, frame_size not a multiple of frame_step: invalid frames in the first invoke, then valid; seeded and a ramp'),
  framer('2x3_s7_t3', [2, 3], 7, 3, false, 'two rows, no prefill: two invokes invalid before the first frame; seeded and a ramp'),
  framer('4_s2_t4', [4], 2, 4, false, 'frame_step larger than frame_size (samples skipped); seeded and a ramp'),
);

const stacker = (id: string, channels: number, left: number, right: number, step: number, source: string): OpConfig => ({
  id: `op_signal_stacker_int16_${id}`,
  source: `SignalStacker int16: input [${channels}], left context ${left}, right context ${right}, step ${step}; ${source}`,
  op: 'SignalStacker',
  custom: { num_channels: channels, stacker_left_context: left, stacker_right_context: right, stacker_step: step },
  tensors: [act('input', 'int16', [channels]), act('output', 'int16', [channels * (left + right + 1)]), act('output_valid', 'bool', [])],
  inputs: [0],
  outputs: [1, 2],
  invokes: 7,
  seeds: [1],
  vectors: [{ name: 'ramp', input: i16Stream(7, channels, ramp) }],
});
configs.push(
  stacker('3_l2_r1_s1', 3, 2, 1, 1, 'first frame repeated twice, valid from the second invoke on; seeded and a ramp'),
  stacker('2_l0_r2_s3', 2, 0, 2, 3, 'no left context, step 3 (invalid invokes between valid ones keep the last output); seeded and a ramp'),
  stacker('4_l1_r0_s2', 4, 1, 0, 2, 'valid on the first invoke, then every second; seeded and a ramp'),
);

const overlapAdd = (id: string, dtype: 'int16' | 'float32', shape: readonly number[], step: number, source: string, extra: Partial<OpConfig> = {}): OpConfig => {
  const out = [...shape.slice(0, -2), shape[shape.length - 2]! * step];
  return {
    id: `op_signal_overlap_add_${dtype}_${id}`,
    source: `SignalOverlapAdd ${dtype}: input [${shape.join(', ')}] (frames of ${shape[shape.length - 1]}), frame_step ${step}, output [${out.join(', ')}]; ${source}`,
    op: 'SignalOverlapAdd',
    custom: { T: dtype === 'int16' ? 7 : 0, frame_step: step },
    tensors: [act('input', dtype, shape), act('output', dtype, out)],
    inputs: [0],
    outputs: [1],
    invokes: 5,
    seeds: [1, 2],
    ...extra,
  };
};
configs.push(
  overlapAdd('1x8_t4', 'int16', [1, 8], 4, 'half-overlapping frames; seeded (full-range: the sums saturate) and a ramp', {
    vectors: [{ name: 'ramp', input: i16Stream(5, 8, ramp) }],
  }),
  overlapAdd('2x3x6_t2', 'int16', [2, 3, 6], 2, 'two rows of three frames each; seeded and hand-chosen values near the int16 limits', {
    vectors: [{ name: 'limits', input: i16Stream(5, 36, (k, i) => ((i + k) % 3 === 0 ? 32767 : (i + k) % 3 === 1 ? -32768 : 300 * k - i)) }],
  }),
  overlapAdd('2x5_t5', 'int16', [2, 5], 5, 'frame_step equal to frame_size (no overlap); seeded'),
  overlapAdd('2x6_t3', 'float32', [2, 6], 3, 'float32 sums; seeded'),
);

// configurations TFLM refuses (or cannot run): refused here with a specific status
configs.push(
  { ...delay('float32', [8], 2, 'float32 (TFLM: int16 only)'), seeds: [1], vectors: [],
    tensors: [act('input', 'float32', [8]), act('output', 'float32', [8])], refusal: 'XTML_STATUS_UNSUPPORTED_TYPE' },
  { ...framer('6_s5_t4', [6], 5, 4, false, 'innermost dimension 6 is not a multiple of frame_step 4'), vectors: [],
    tensors: [act('input', 'int16', [6]), act('output', 'int16', [1, 5]), act('output_valid', 'bool', [])], refusal: 'XTML_STATUS_SHAPE_MISMATCH' },
  { ...framer('int32_valid', [4], 4, 2, true, 'output_valid int32 (TFLM: bool)'), vectors: [],
    tensors: [act('input', 'int16', [4]), act('output', 'int16', [2, 4]), act('output_valid', 'int32', [])], refusal: 'XTML_STATUS_UNSUPPORTED_TYPE' },
  { ...stacker('rank2', 4, 1, 1, 1, 'input [2, 2] (TFLM: rank 1)'), vectors: [],
    tensors: [act('input', 'int16', [2, 2]), act('output', 'int16', [12]), act('output_valid', 'bool', [])], refusal: 'XTML_STATUS_SHAPE_MISMATCH' },
  { ...overlapAdd('rank1', 'int16', [1, 8], 4, 'input [8] (TFLM: rank 2 or more)'), seeds: [1],
    tensors: [act('input', 'int16', [8]), act('output', 'int16', [])], refusal: 'XTML_STATUS_SHAPE_MISMATCH' },
  { ...overlapAdd('t_mismatch', 'int16', [1, 8], 4, 'T int16 on float32 tensors'), seeds: [1],
    tensors: [act('input', 'float32', [1, 8]), act('output', 'float32', [4])], refusal: 'XTML_STATUS_UNSUPPORTED_TYPE' },
  { ...overlapAdd('int8', 'int16', [1, 8], 4, 'T int8 (TFLM registers int16 and float32)'), seeds: [1], custom: { T: 9, frame_step: 4 },
    id: 'op_signal_overlap_add_int8_1x8_t4', tensors: [act('input', 'int8', [1, 8]), act('output', 'int8', [4])], refusal: 'XTML_STATUS_UNSUPPORTED_TYPE' },
);
