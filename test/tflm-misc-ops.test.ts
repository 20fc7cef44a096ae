// Issue 14, group `misc` (tools/tflm-ops/misc.ts, test/data/tflm-ops/misc/):
// SQUARE, SIN, COS, REDUCE_ALL, SPLIT_V, REVERSE_V2, L2_POOL_2D,
// DYNAMIC_UPDATE_SLICE. The shared wiring runs every vector byte for byte on
// every build (core-vectors, bindings, xs); here: the committed models are what
// the generator writes; TFLM's vectors agree with an independent JavaScript
// computation of each operator (SIN and COS within 1 ulp of Math.sin/cos
// rounded to float); a computed REVERSE_V2 axes list that is not contiguous
// fails the invoke; malformed models are refused with a specific status.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, modelBytes, type OpConfig } from '../tools/tflm-ops/gen.js';
import { configs } from '../tools/tflm-ops/misc.js';
import { optionalTest, variantNeeds } from './support/optional.js';
import { checkCommittedModels, loadGroup, type GroupSpec, testRefusedOnHost } from './support/tflm-group.js';
import { runCli, ulpDistance } from './support/reference.js';

const group = loadGroup('misc');
const { dir, manifest, scratch } = group;
type Spec = GroupSpec;
let serial = 0;

test('the committed models are what tools/tflm-ops/misc.ts writes, every configuration in the manifest', (t) => {
  checkCommittedModels(t, group, configs);
  t.is(manifest.refused.length, 8);
});

/** A tensor's elements as numbers (bool as 0/1, int64 as numbers: the values here are small). */
function values(b: Buffer, s: Spec): number[] {
  const v = new DataView(b.buffer, b.byteOffset + s.byte_offset, s.bytes);
  const n = s.shape.reduce((x, y) => x * y, 1);
  return Array.from({ length: n }, (_, i) => {
    switch (s.dtype) {
      case 'float32': return v.getFloat32(4 * i, true);
      case 'int32': return v.getInt32(4 * i, true);
      case 'int64': return Number(v.getBigInt64(8 * i, true));
      case 'int16': return v.getInt16(2 * i, true);
      case 'int8': return v.getInt8(i);
      default: return v.getUint8(i);
    }
  });
}

const f = Math.fround;
const strides = (shape: readonly number[]): number[] => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
const coords = (i: number, shape: readonly number[]): number[] => strides(shape).map((s, d) => Math.floor(i / s) % shape[d]!);
const flat = (c: readonly number[], shape: readonly number[]): number => c.reduce((a, x, d) => a + x * strides(shape)[d]!, 0);
const constOf = (c: OpConfig, k: number): number[] => [...c.tensors[c.inputs[k]!]!.values!];
const opt = (c: OpConfig, slot: number): number => Number(c.options!.find((o) => o.slot === slot)!.value);

/** Each operator from its definition: inputs (graph inputs in order), their specs, the config; all outputs concatenated. */
const independent: Record<string, (ins: number[][], specs: Spec[], outs: Spec[], c: OpConfig) => number[]> = {
  SQUARE: ([x]) => x!.map((v) => f(v * v)),
  REDUCE_ALL: ([x], [s], [o], c) => {
    const axes = new Set(constOf(c, 1).map((a) => (a < 0 ? a + s!.shape.length : a)));
    const kept = s!.shape.map((_, d) => d).filter((d) => !axes.has(d));
    const out = new Array<number>(o!.shape.reduce((a, b) => a * b, 1)).fill(1);
    x!.forEach((v, i) => {
      const at = kept.reduce((a, d) => a * s!.shape[d]! + coords(i, s!.shape)[d]!, 0);
      if (v === 0) out[at] = 0;
    });
    return out;
  },
  SPLIT_V: ([x], [s], outs, c) => {
    const raw = constOf(c, 2)[0]!;
    const axis = raw < 0 ? raw + s!.shape.length : raw;
    return outs.flatMap((o) => {
      const before = outs.slice(0, outs.indexOf(o)).reduce((a, p) => a + p.shape[axis]!, 0);
      return Array.from({ length: o.shape.reduce((a, b) => a * b, 1) }, (_, i) => {
        const k = coords(i, o.shape);
        k[axis] = k[axis]! + before;
        return x![flat(k, s!.shape)]!;
      });
    });
  },
  REVERSE_V2: ([x], [s], _o, c) => {
    const axes = new Set(constOf(c, 1).map((a) => (a < 0 ? a + s!.shape.length : a)));
    return x!.map((_, i) => x![flat(coords(i, s!.shape).map((v, d) => (axes.has(d) ? s!.shape[d]! - 1 - v : v)), s!.shape)]!);
  },
  L2_POOL_2D: ([x], [s], [o], c) => {
    const [, h, w, ch] = s!.shape;
    const [same, sw, sh, fw, fh, act] = [opt(c, 0) === 0, opt(c, 1), opt(c, 2), opt(c, 3), opt(c, 4), opt(c, 5)];
    const [, oh, ow] = o!.shape;
    const pad = (out: number, st: number, k: number, size: number): number => (same ? Math.max(0, Math.floor(((out - 1) * st + k - size) / 2)) : 0);
    const [ph, pw] = [pad(oh!, sh, fh, h!), pad(ow!, sw, fw, w!)];
    const [lo, hi] = act === 1 ? [0, Infinity] : act === 2 ? [-1, 1] : act === 3 ? [0, 6] : [-Infinity, Infinity];
    return Array.from({ length: o!.shape.reduce((a, b) => a * b, 1) }, (_, i) => {
      const [b, oy, ox, k] = coords(i, o!.shape);
      let sum = 0;
      let n = 0;
      for (let y = oy! * sh - ph; y < oy! * sh - ph + fh; y++) {
        for (let xx = ox! * sw - pw; xx < ox! * sw - pw + fw; xx++) {
          if (y < 0 || y >= h! || xx < 0 || xx >= w!) continue;
          const v = x![flat([b!, y, xx, k!], [s!.shape[0]!, h!, w!, ch!])]!;
          sum = f(sum + f(v * v));
          n++;
        }
      }
      return Math.min(Math.max(f(Math.sqrt(f(sum / n))), lo), hi);
    });
  },
  DYNAMIC_UPDATE_SLICE: ([operand, update, start], [so, su]) => {
    const first = so!.shape.map((d, k) => Math.min(Math.max(0, start![k]!), d - su!.shape[k]!));
    const out = [...operand!];
    update!.forEach((v, i) => { out[flat(coords(i, su!.shape).map((c, k) => c + first[k]!), so!.shape)] = v; });
    return out;
  },
};

test('SQUARE, REDUCE_ALL, SPLIT_V, REVERSE_V2, L2_POOL_2D and DYNAMIC_UPDATE_SLICE: TFLM\'s vectors agree with an independent JavaScript computation', (t) => {
  let checked = 0;
  for (const c of configs.filter((x) => x.refusal === undefined && independent[x.op] !== undefined)) {
    const m = manifest.models.find((x) => x.id === c.id)!;
    for (const v of m.vectors) {
      const input = readFileSync(join(dir, v.input));
      const output = readFileSync(join(dir, v.output));
      const got = independent[c.op]!(m.inputs.map((s) => values(input, s)), m.inputs, m.outputs, c);
      const want = m.outputs.flatMap((s) => values(output, s));
      t.deepEqual(got.map((x) => (Object.is(x, -0) ? '-0' : x)), want.map((x) => (Object.is(x, -0) ? '-0' : x)), `${c.id} ${v.name}`);
      checked++;
    }
  }
  t.is(checked, 84);
});

test('SIN and COS: TFLM\'s vectors are within 1 ulp of Math.sin / Math.cos rounded to float32', (t) => {
  let checked = 0;
  let worst = 0;
  for (const c of configs.filter((x) => x.refusal === undefined && (x.op === 'SIN' || x.op === 'COS'))) {
    const m = manifest.models.find((x) => x.id === c.id)!;
    for (const v of m.vectors) {
      const x = values(readFileSync(join(dir, v.input)), m.inputs[0]!);
      const y = values(readFileSync(join(dir, v.output)), m.outputs[0]!);
      x.forEach((a, i) => {
        const d = ulpDistance(y[i]!, f(c.op === 'SIN' ? Math.sin(a) : Math.cos(a)));
        worst = Math.max(worst, d);
      });
      checked += x.length;
    }
  }
  t.is(checked, 2 * 24 * 4 + 2 * 256 * 4);
  t.true(worst <= 1, `worst ${worst} ulp`);
});

test('int4 weights: TFLM gives every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED model the outputs of the same weights stored as int8', (t) => {
  const int4 = manifest.models.filter((m) => m.id.includes('_int4_weights_'));
  t.is(int4.length, 6);
  for (const m of int4) {
    const twin = manifest.models.find((x) => x.id === m.id.replace('_int4_weights_', '_int8_weights_'))!;
    t.is(m.vectors.length, 3);
    m.vectors.forEach((v, k) => {
      t.deepEqual(readFileSync(join(dir, v.input)), readFileSync(join(dir, twin.vectors[k]!.input)), `${m.id} ${v.name} input`);
      t.deepEqual(readFileSync(join(dir, v.output)), readFileSync(join(dir, twin.vectors[k]!.output)), `${m.id} ${v.name} output`);
    });
  }
  // the packing: two per byte, the first value in the low nibble
  t.deepEqual([...encode('int4', [1, -2, 7, -8, 3])], [0xe1, 0x87, 0x03]);
});

optionalTest('int4 weights: a packed buffer of the wrong length is refused by the verifier with XTML_STATUS_MODEL_BUFFER_SIZE', variantNeeds.host, async (t) => {
  const c = byId('op_fully_connected_int4_weights_odd');   // weights [3, 5]: 15 values, 8 bytes
  const bad = withTensor(c, 1, { values: [...c.tensors[1]!.values!, 1, 2] });   // 17 values: 9 bytes
  const model = join(scratch, `${serial++}.tflite`);
  writeFileSync(model, modelBytes(bad));
  const r = await runCli('host', ['inspect', model]);
  t.is(r.code, 1);
  t.true(r.stderr.startsWith('XTML_STATUS_MODEL_BUFFER_SIZE'), r.stderr);
  t.regex(r.stderr, /holds 9 bytes, shape \[3,5\] int4 needs 8/);
});

const byId = (id: string): OpConfig => configs.find((c) => c.id === id)!;
const withTensor = (c: OpConfig, k: number, change: Partial<OpConfig['tensors'][number]>): OpConfig =>
  ({ ...c, tensors: c.tensors.map((x, i) => (i === k ? { ...x, ...change } : x)) });

optionalTest('REVERSE_V2: axes computed at run time that are not contiguous fail the invoke with XTML_STATUS_EVAL_ERROR', variantNeeds.host, async (t) => {
  const base = byId('op_reverse_v2_int8_ax1_2');   // input [2, 3, 4] int8, axes: two int32 (made a graph input here)
  const c: OpConfig = withTensor(base, 1, { values: undefined });
  const model = join(scratch, `${serial++}.tflite`);
  writeFileSync(model, modelBytes(c));
  const data = Array.from({ length: 24 }, (_, i) => i);
  for (const [axes, ok] of [[[0, 2], false], [[2, 1], true], [[1, 1], false]] as const) {
    writeFileSync(`${model}.in`, new Uint8Array([...encode('int8', data), ...encode('int32', axes)]));
    const r = await runCli('host', ['run', model, '--input', `${model}.in`, '--output', `${model}.out`]);
    if (ok) {
      t.is(r.code, 0, r.stderr);
      t.deepEqual([...new Int8Array(new Uint8Array(readFileSync(`${model}.out`)).buffer)],
        data.map((_, i) => data[flat(coords(i, [2, 3, 4]).map((v, d) => (d === 0 ? v : [2, 3, 4][d]! - 1 - v)), [2, 3, 4])]!));
    } else {
      t.is(r.code, 1);
      t.true(r.stderr.startsWith('XTML_STATUS_EVAL_ERROR'), r.stderr);
      t.regex(r.stderr, /REVERSE_V2: axes not distinct, in range and contiguous/);
    }
  }
});

// Malformed configurations: each refused at prepare with its own status.
const malformed: [string, OpConfig, string, RegExp][] = [
  ['CONV_2D float32 input with an int4 filter', {
    ...byId('op_conv_2d_int4_weights_same_s1'),
    tensors: byId('op_conv_2d_int4_weights_same_s1').tensors.map((x, k) => (k === 0 || k === 3 ? { name: x.name, dtype: 'float32', shape: x.shape } : k === 2 ? { ...x, dtype: 'float32', quant: undefined } : x)),
  }, 'XTML_STATUS_UNSUPPORTED_TYPE', /filter/],
  ['FULLY_CONNECTED int4 weights given as a graph input', withTensor(byId('op_fully_connected_int4_weights_nobias'), 1, { values: undefined }), 'XTML_STATUS_UNSUPPORTED_CONFIG', /must be constant/],
  ['SPLIT_V outputs that do not add up to the input', withTensor(byId('op_split_v_f32'), 5, { shape: [2, 3, 3] }), 'XTML_STATUS_SHAPE_MISMATCH', /take 7 of the input's 6/],
  ['SPLIT_V with a computed axis', withTensor(byId('op_split_v_f32'), 2, { values: undefined }), 'XTML_STATUS_UNSUPPORTED_CONFIG', /not a constant/],
  ['SPLIT_V axis out of range', withTensor(byId('op_split_v_int16'), 2, { values: [3] }), 'XTML_STATUS_BAD_OPTIONS', /axis 3 is out of range/],
  ['REVERSE_V2 with an axis listed twice', withTensor(byId('op_reverse_v2_f32'), 1, { shape: [2], values: [1, 1] }), 'XTML_STATUS_UNSUPPORTED_CONFIG', /distinct/],
  ['REVERSE_V2 with no axes', withTensor(byId('op_reverse_v2_f32'), 1, { shape: [0], values: [] }), 'XTML_STATUS_SHAPE_MISMATCH', /1 to 3 axes/],
  ['REDUCE_ALL with a float32 axis', withTensor(byId('op_reduce_all_bool_ax1_drop'), 1, { dtype: 'float32', values: [1] }), 'XTML_STATUS_UNSUPPORTED_TYPE', /axis/],
  ['L2_POOL_2D output shape unlike the pool\'s', withTensor(byId('op_l2_pool_2d_f32_2x2_s2_same'), 1, { shape: [1, 2, 2, 3] }), 'XTML_STATUS_SHAPE_MISMATCH', /the pool gives \[1,3,3,3\]/],
  ['DYNAMIC_UPDATE_SLICE update larger than the operand', withTensor(byId('op_dynamic_update_slice_int16'), 1, { shape: [3, 5] }), 'XTML_STATUS_SHAPE_MISMATCH', /larger than the operand/],
  ['DYNAMIC_UPDATE_SLICE start of the wrong length', withTensor(byId('op_dynamic_update_slice_f32'), 2, { shape: [3] }), 'XTML_STATUS_SHAPE_MISMATCH', /one index per operand dimension/],
  ['DYNAMIC_UPDATE_SLICE int16 start', withTensor(byId('op_dynamic_update_slice_f32'), 2, { dtype: 'int16' }), 'XTML_STATUS_UNSUPPORTED_TYPE', /start/],
];
testRefusedOnHost(scratch, malformed);
