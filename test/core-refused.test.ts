// The configurations TFLM refuses (ops/refused/). Where TFLite itself forbids
// the configuration we refuse it too, with a specific status; where the
// refusal is only TFLM's own limitation (a rank cap, an int32-only output, a
// crash) we run it, and check the result against an independent computation.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceDir, runCli, seededBytes, loadManifest } from './support/reference.js';
import { needs, optionalTest } from './support/optional.js';

const refused = (id: string): string => join(referenceDir, 'ops/refused', `${id}.tflite`);
const scratch = mkdtempSync(join(tmpdir(), 'xtml-refused-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const refusals: [string, string, RegExp][] = [
  ['op_average_pool_2d_int8_requant_refused', 'XTML_STATUS_MODEL_QUANTIZATION', /scale|zero point/],
  ['op_concatenation_int8_diff_quant_refused', 'XTML_STATUS_UNSUPPORTED_CONFIG', /input 1 'input2'/],
  ['op_logistic_int8_out_zp0_refused', 'XTML_STATUS_UNSUPPORTED_CONFIG', /zero point/],
  ['op_padv2_int8_const_diff_quant_refused', 'XTML_STATUS_MODEL_QUANTIZATION', /scale/],
  ['op_softmax_int8_out_scale_1_255_refused', 'XTML_STATUS_UNSUPPORTED_CONFIG', /1\/256|scale/],
];

for (const [id, status, detail] of refusals) {
  optionalTest(`${id} is refused at prepare with ${status} (TFLite forbids it too)`, [needs.reference], async (t) => {
    const r = await runCli('host', ['inspect', refused(id)]);
    t.is(r.code, 1);
    t.true(r.stderr.startsWith(`${status}: operator 0 (`), r.stderr);
    t.regex(r.stderr, detail);
  });
}

optionalTest('tflm_person_detect_vela is refused naming the ethos-u custom operator', [needs.reference], async (t) => {
  const vela = loadManifest('models').find((m) => m.id === 'tflm_person_detect_vela')!;
  const r = await runCli('host', ['run', join(vela.base, vela.model), '--input', '/dev/null', '--output', '/dev/null']);
  t.is(r.code, 1);
  t.regex(r.stderr, /^XTML_STATUS_UNSUPPORTED_OPERATOR: .*custom operator 'ethos-u' version \d+/);
});

async function runOn(model: string, input: Uint8Array): Promise<Buffer> {
  const inPath = join(scratch, `${Math.random().toString(36).slice(2)}.in`);
  const outPath = `${inPath}.out`;
  writeFileSync(inPath, input);
  const r = await runCli('host', ['run', model, '--input', inPath, '--output', outPath]);
  if (r.code !== 0) throw new Error(r.stderr);
  return readFileSync(outPath);
}

// TFLM limitation: TRANSPOSE capped at 5 dimensions. [2,1,2,3,2,2], perm reversed.
optionalTest('6-D TRANSPOSE runs (TFLM caps rank at 5) and reverses the axes', [needs.reference], async (t) => {
  const dims = [2, 1, 2, 3, 2, 2];
  for (const seed of [1, 2, 3]) {
    const input = seededBytes(seed, 48);
    const out = await runOn(refused('op_transpose_int8_6d_refused'), input);
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
    const outDims = [...dims].reverse();
    const expected = new Uint8Array(48);
    let o = 0;
    const idx = [0, 0, 0, 0, 0, 0];
    for (idx[0] = 0; idx[0] < outDims[0]!; idx[0]++)
      for (idx[1] = 0; idx[1] < outDims[1]!; idx[1]++)
        for (idx[2] = 0; idx[2] < outDims[2]!; idx[2]++)
          for (idx[3] = 0; idx[3] < outDims[3]!; idx[3]++)
            for (idx[4] = 0; idx[4] < outDims[4]!; idx[4]++)
              for (idx[5] = 0; idx[5] < outDims[5]!; idx[5]++)
                expected[o++] = input[idx.reduce((acc, v, k) => acc + v * strides[5 - k]!, 0)]!;
    t.deepEqual(new Uint8Array(out), expected);
  }
});

// TFLM limitation: STRIDED_SLICE capped at 4 dimensions. [1,2,3,4,5], stride 2 on the last axis.
optionalTest('5-D STRIDED_SLICE runs (TFLM caps rank at 4) and takes every other element of the last axis', [needs.reference], async (t) => {
  for (const seed of [1, 2, 3]) {
    const input = seededBytes(seed, 120);
    const out = await runOn(refused('op_strided_slice_int8_5d_refused'), input);
    const expected: number[] = [];
    for (let row = 0; row < 24; row++) for (let k = 0; k < 5; k += 2) expected.push(input[row * 5 + k]!);
    t.deepEqual([...out], expected);
  }
});

// TFLM limitation: ARG_MAX writes int32 only. [1,10] over axis 1, int64 out, ties -> first.
optionalTest('ARG_MAX with int64 output runs (TFLM allows int32 only)', [needs.reference], async (t) => {
  for (const seed of [1, 2, 3]) {
    const input = new Int8Array(seededBytes(seed, 10).buffer);
    const out = await runOn(refused('op_arg_max_int8_int64_out_refused'), new Uint8Array(input.buffer));
    let best = 0;
    for (let i = 1; i < 10; i++) if (input[i]! > input[best]!) best = i;
    t.is(out.length, 8);
    t.is(out.readBigInt64LE(0), BigInt(best));
  }
});

// TFLM limitation: SHAPE writes int32 only.
optionalTest('SHAPE with int64 output runs (TFLM allows int32 only)', [needs.reference], async (t) => {
  const out = await runOn(refused('op_shape_int8_int64_out_refused'), seededBytes(1, 120));
  t.deepEqual([0, 1, 2, 3].map((i) => out.readBigInt64LE(8 * i)), [1n, 4n, 5n, 6n]);
});

// TFLM crash: bias index -1 is read as "has bias". We run it as the 2-input
// (no-bias) form, which TFLM runs correctly: the same model with its inputs
// vector cut to two entries must give identical outputs.
optionalTest('DEPTHWISE_CONV_2D with bias index -1 runs exactly as its 2-input no-bias form', [needs.reference], async (t) => {
  const model = readFileSync(refused('op_depthwise_conv_2d_int8_nobias_minus1_crash'));
  const twoInputs = Buffer.from(model);
  let patched = 0;
  for (let at = 0; at + 16 <= twoInputs.length; at += 4) {
    if (twoInputs.readUInt32LE(at) === 3 && twoInputs.readInt32LE(at + 12) === -1 &&
        twoInputs.readInt32LE(at + 4) >= 0 && twoInputs.readInt32LE(at + 8) >= 0) {
      twoInputs.writeUInt32LE(2, at);
      patched++;
    }
  }
  t.is(patched, 1, 'exactly one [input, filter, -1] vector');
  const twoPath = join(scratch, 'dw-two-inputs.tflite');
  writeFileSync(twoPath, twoInputs);
  for (const seed of [1, 2, 3]) {
    const input = seededBytes(seed, 7 * 7 * 8);
    const a = await runOn(refused('op_depthwise_conv_2d_int8_nobias_minus1_crash'), input);
    const b = await runOn(twoPath, input);
    t.true(a.equals(b));
    t.is(a.length, 7 * 7 * 8);
  }
});
