// Group 'signal' of test/data/tflm-ops: the custom operators of TFLM's signal
// library (the micro_speech audio front end's stages) that the core runs, one
// per model, their options as FlexBuffer maps (our writer's
// flexbufferOptions()). Seeded inputs cover the full-range values; the
// hand-chosen vectors reach what random bytes miss (small amplitudes for the
// auto-scale, inputs below 2^32 for the 32-bit square root, values around the
// log's threshold).
import { encode, type OpConfig, type OpTensor, type TensorDtype } from './gen.js';

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
