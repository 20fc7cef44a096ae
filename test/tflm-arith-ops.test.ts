// Issue 14, group `arith` (tools/tflm-ops/arith.ts, test/data/tflm-ops/arith/).
// The shared wiring runs every vector byte for byte on every build
// (core-vectors, bindings, xs); here: the committed models are what the
// generator writes; the float vectors of FLOOR_DIV, FLOOR_MOD, PRELU and
// ADD_N agree with an independent JavaScript computation (JS numbers are
// doubles, so `Math.floor(a / b)` is TFLM's double quotient and `%` is an
// exact fmod); a 0 divisor fails the FLOOR_DIV invoke; malformed models are
// refused with a specific status.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configs } from '../tools/tflm-ops/arith.js';
import { encode, modelBytes, type OpConfig } from '../tools/tflm-ops/gen.js';
import { optionalTest, variantNeeds } from './support/optional.js';
import { checkCommittedModels, loadGroup, type GroupSpec, testRefusedOnHost } from './support/tflm-group.js';
import { runCli } from './support/reference.js';

const group = loadGroup('arith');
const { dir, manifest, scratch } = group;
type Spec = GroupSpec;
let serial = 0;

test('the committed models are what tools/tflm-ops/arith.ts writes, every configuration in the manifest', (t) => {
  checkCommittedModels(t, group, configs);
});

const floats = (b: Buffer, s: Spec): number[] => [...new Float32Array(new Uint8Array(b.subarray(s.byte_offset, s.byte_offset + s.bytes)).buffer)];

/** Index of the input element feeding output element i (numpy broadcasting). */
function source(out: number[], inp: number[], i: number): number {
  let at = 0;
  let stride = 1;
  for (let d = out.length - 1, k = inp.length - 1; d >= 0; d--, k--) {
    const coord = i % out[d]!;
    i = Math.floor(i / out[d]!);
    if (k >= 0) {
      if (inp[k] !== 1) at += coord * stride;
      stride *= inp[k]!;
    }
  }
  return at;
}

const f = Math.fround;
const independent: Record<string, (ins: number[][], shapes: number[][], out: number[], c: OpConfig) => number[]> = {
  FLOOR_DIV: ([a, b], [sa, sb], so) => Array.from({ length: so.reduce((x, y) => x * y, 1) }, (_, i) =>
    f(Math.floor(a![source(so, sa!, i)]! / b![source(so, sb!, i)]!))),
  FLOOR_MOD: ([a, b], [sa, sb], so) => Array.from({ length: so.reduce((x, y) => x * y, 1) }, (_, i) => {
    const x = a![source(so, sa!, i)]!;
    const y = b![source(so, sb!, i)]!;
    const r = x % y;
    return r !== 0 && (y < 0) !== (r < 0) ? f(r + y) : r;
  }),
  PRELU: ([a], [sa], so, c) => {
    const alpha = c.tensors[c.inputs[1]!]!;
    return Array.from({ length: so.reduce((x, y) => x * y, 1) }, (_, i) => {
      const x = a![source(so, sa!, i)]!;
      return x >= 0 ? x : f(x * f(alpha.values![source(so, [...alpha.shape], i)]!));
    });
  },
  ADD_N: (ins) => ins[0]!.map((_, i) => ins.reduce((acc, v) => f(acc + v[i]!), 0)),
  // TFLM's scatter order: input (b, y, x, ci), tap (ky, kx), output channel; then bias and clamp
  TRANSPOSE_CONV: ([input], [shape], out, c) => {
    const [n, h, w, ci] = shape!;
    const [, oh, ow, co] = out;
    const weights = c.tensors[c.inputs[1]!]!;
    const [, kh, kw] = weights.shape;
    const bias = c.inputs[3] !== undefined ? c.tensors[c.inputs[3]]!.values! : undefined;
    const opt = (slot: number): number => Number(c.options!.find((o) => o.slot === slot)!.value);
    const [same, sw, sh, act] = [opt(0) === 0, opt(1), opt(2), opt(3)];
    const pad = (o: number, k: number, st: number): number => {
      const m = same ? Math.floor((o + st - 1) / st) : Math.floor((o + st - k) / st);
      return Math.max(0, Math.floor(((m - 1) * st + k - o) / 2));
    };
    const [ph, pw] = [pad(oh!, kh!, sh), pad(ow!, kw!, sw)];
    const acc = new Array<number>(n! * oh! * ow! * co!).fill(0);
    for (let b = 0; b < n!; b++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) for (let i = 0; i < ci!; i++) {
      for (let ky = 0; ky < kh!; ky++) for (let kx = 0; kx < kw!; kx++) {
        const [oy, ox] = [y * sh - ph + ky, x * sw - pw + kx];
        if (oy < 0 || oy >= oh! || ox < 0 || ox >= ow!) continue;
        for (let o = 0; o < co!; o++) {
          const at = ((b * oh! + oy) * ow! + ox) * co! + o;
          acc[at] = f(acc[at]! + f(input![((b * h! + y) * w! + x) * ci! + i]! * f(weights.values![((o * kh! + ky) * kw! + kx) * ci! + i]!)));
        }
      }
    }
    const [lo, hi] = act === 1 ? [0, 3.4028234663852886e38] : act === 3 ? [0, 6] : [-3.4028234663852886e38, 3.4028234663852886e38];
    return acc.map((v, k) => Math.min(Math.max(bias !== undefined ? f(v + f(bias[k % co!]!)) : v, lo), hi));
  },
};

test('FLOOR_DIV, FLOOR_MOD, PRELU, ADD_N and TRANSPOSE_CONV float32: TFLM\'s vectors agree with an independent JavaScript computation', (t) => {
  let checked = 0;
  for (const c of configs.filter((x) => x.refusal === undefined && independent[x.op] !== undefined && x.tensors[x.outputs[0]!]!.dtype === 'float32')) {
    const m = manifest.models.find((x) => x.id === c.id)!;
    for (const v of m.vectors) {
      const input = readFileSync(join(dir, v.input));
      const ins = m.inputs.map((x) => floats(input, x));
      const want = floats(readFileSync(join(dir, v.output)), m.outputs[0]!);
      const got = independent[c.op]!(ins, m.inputs.map((s) => s.shape), m.outputs[0]!.shape, c);
      // NaN bits are checked byte for byte by core-vectors; here only NaN-ness
      t.deepEqual(got.map((x) => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x)),
        want.map((x) => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x)), `${c.id} ${v.name}`);
      checked++;
    }
  }
  t.is(checked, 41);
});

const byId = (id: string): OpConfig => configs.find((c) => c.id === id)!;

async function run(c: OpConfig, input: Uint8Array): Promise<{ code: number; stderr: string; out: string }> {
  const model = join(scratch, `${serial++}.tflite`);
  writeFileSync(model, modelBytes(c));
  writeFileSync(`${model}.in`, input);
  const out = `${model}.out`;
  const r = await runCli('host', ['run', model, '--input', `${model}.in`, '--output', out]);
  return { ...r, out };
}

optionalTest('FLOOR_DIV: a divisor element of 0 or -0 fails the invoke with XTML_STATUS_EVAL_ERROR', variantNeeds.host, async (t) => {
  const c = byId('op_floor_div_f32_bcast');   // [2, 3, 4] / [4]
  const numerators = Array.from({ length: 24 }, (_, i) => i - 12);
  for (const [divisor, at] of [[[1, 2, 0, 4], 2], [[-0, 1, 1, 1], 0]] as const) {
    const r = await run(c, encode('float32', [...numerators, ...divisor]));
    t.is(r.code, 1);
    t.true(r.stderr.startsWith('XTML_STATUS_EVAL_ERROR'), r.stderr);
    t.regex(r.stderr, new RegExp(`FLOOR_DIV: divisor element ${at} is 0`));
  }
  const ok = await run(c, encode('float32', [...numerators, 1, 2, -3, 4]));
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual([...new Float32Array(new Uint8Array(readFileSync(ok.out)).buffer)],
    numerators.map((x, i) => Math.floor(x / [1, 2, -3, 4][i % 4]!)));
});

const requant = (c: OpConfig, k: number, scale: number, zeroPoint: number): OpConfig =>
  ({ ...c, tensors: c.tensors.map((x, i) => (i === k ? { ...x, quant: { scale: [scale], zeroPoint: [zeroPoint] } } : x)) });

optionalTest('int8 RSQRT below the input zero point and int8 DIV by a divisor at its zero point fail the invoke', variantNeeds.host, async (t) => {
  const rsqrt = requant(byId('op_rsqrt_int8'), 0, 0.05, 0);
  const below = await run(rsqrt, encode('int8', Array.from({ length: 24 }, (_, i) => (i === 5 ? -1 : i))));
  t.is(below.code, 1);
  t.true(below.stderr.startsWith('XTML_STATUS_EVAL_ERROR'), below.stderr);
  t.regex(below.stderr, /RSQRT: element 5 is below the zero point/);
  const div = byId('op_div_int8');   // divisor zero point -128
  const atZero = await run(div, encode('int8', [...Array(24).fill(1), ...Array.from({ length: 24 }, (_, i) => (i === 7 ? -128 : 3))]));
  t.is(atZero.code, 1);
  t.true(atZero.stderr.startsWith('XTML_STATUS_EVAL_ERROR'), atZero.stderr);
  t.regex(atZero.stderr, /DIV: divisor element 7 is at its zero point/);
});

optionalTest('int8 DIV: quotients too small for TFLM\'s 31-bit rounding shift (its build asserts) give the output zero point', variantNeeds.host, async (t) => {
  // multiplier 0.05 / (0.08 x 0.1) = 6.25 (shift 3): numerators within one step of
  // the zero point over divisors of 200 or more steps need shifts past 31 bits
  const div = requant(requant(requant(byId('op_div_int8'), 0, 0.05, -3), 1, 0.08, -128), 2, 0.1, 7);
  const numerators = [-3, -2, -4, -3, -2, -4];
  const divisors = [127, 127, 127, 72, 80, 100];   // 255, 255, 255, 200, 208, 228 steps
  const r = await run({ ...div, tensors: div.tensors.map((x) => ({ ...x, shape: [6] })) }, encode('int8', [...numerators, ...divisors]));
  t.is(r.code, 0, r.stderr);
  t.deepEqual([...new Int8Array(new Uint8Array(readFileSync(r.out)).buffer)], Array(6).fill(7));
});

// Malformed configurations: each refused at prepare with its own status.
const malformed: [string, OpConfig, string, RegExp][] = [
  ['ADD_N with one input', { ...byId('op_add_n_f32'), inputs: [0], outputs: [3] }, 'XTML_STATUS_MODEL_OPERATOR', /expected 2 or more/],
  ['ADD_N inputs of different shapes', {
    ...byId('op_add_n_f32_4'), tensors: byId('op_add_n_f32_4').tensors.map((x, k) => (k === 2 ? { ...x, shape: [4] } : x)),
  }, 'XTML_STATUS_SHAPE_MISMATCH', /input/],
  ['PRELU int8 with a float32 alpha', {
    ...byId('op_prelu_int8'), tensors: byId('op_prelu_int8').tensors.map((x, k) => (k === 1 ? { name: 'alpha', dtype: 'float32', shape: [4], values: [1, 2, 3, 4] } : x)),
  }, 'XTML_STATUS_UNSUPPORTED_TYPE', /alpha/],
  ['PRELU alpha that does not broadcast', {
    ...byId('op_prelu_f32'), tensors: byId('op_prelu_f32').tensors.map((x, k) => (k === 1 ? { ...x, shape: [3], values: [1, 2, 3] } : x)),
  }, 'XTML_STATUS_SHAPE_MISMATCH', /broadcast/],
  ['FLOOR_MOD output shape unlike the broadcast', {
    ...byId('op_floor_mod_f32_bcast'), tensors: byId('op_floor_mod_f32_bcast').tensors.map((x, k) => (k === 2 ? { ...x, shape: [2, 3, 5] } : x)),
  }, 'XTML_STATUS_SHAPE_MISMATCH', /output/],
  ['L2_NORMALIZATION with options of another type', { ...byId('op_l2_normalization_f32_2d'), optionsType: 36 }, 'XTML_STATUS_BAD_OPTIONS', /./],
  ['TRANSPOSE_CONV output shape unlike the output tensor', {
    ...byId('op_transpose_conv_f32_valid_s2'),
    tensors: byId('op_transpose_conv_f32_valid_s2').tensors.map((x, k) => (k === 0 ? { ...x, values: [1, 7, 6, 3] } : x)),
  }, 'XTML_STATUS_SHAPE_MISMATCH', /output shape/],
  ['TRANSPOSE_CONV stride 0', {
    ...byId('op_transpose_conv_f32_valid_s2'),
    options: byId('op_transpose_conv_f32_valid_s2').options!.map((o) => (o.slot === 1 ? { ...o, value: 0 } : o)),
  }, 'XTML_STATUS_BAD_OPTIONS', /strides/],
  ['TRANSPOSE_CONV bias of the wrong length', {
    ...byId('op_transpose_conv_int8_same_s2_bias'),
    tensors: byId('op_transpose_conv_int8_same_s2_bias').tensors.map((x, k) => (k === 4 ? { ...x, shape: [3], values: [1, 2, 3], quant: { scale: [0.001], zeroPoint: [0] } } : x)),
  }, 'XTML_STATUS_SHAPE_MISMATCH', /bias/],
  ['LOG_SOFTMAX of a scalar', {
    ...byId('op_log_softmax_f32'), tensors: byId('op_log_softmax_f32').tensors.map((x) => ({ ...x, shape: [] })),
  }, 'XTML_STATUS_SHAPE_MISMATCH', /scalar/],
];
testRefusedOnHost(scratch, malformed);
