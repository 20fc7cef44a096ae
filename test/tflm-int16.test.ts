// Issue 14 point 2, group `int16` (tools/tflm-ops/int16.ts, test/data/tflm-ops/int16/):
// 16x8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV and int16
// pooling and MEAN. The shared wiring runs every vector byte for byte on every
// build (core-vectors, bindings, xs); here: the committed models are what the
// generator writes; a 16x8 DEPTHWISE_CONV_2D without a bias (TFLM's aborts)
// gives TFLM's outputs for the same model with a bias of zeros; the
// configurations TFLM runs but we refuse (it would ignore a zero point or
// misread a bias) are refused with a specific status; an output shape given
// at invoke that is not the output's fails the invoke.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configs } from '../tools/tflm-ops/int16.js';
import { modelBytes, type OpConfig, type OpTensor } from '../tools/tflm-ops/gen.js';
import { optionalTest, variantNeeds } from './support/optional.js';
import { checkCommittedModels, loadGroup, testRefusedOnHost } from './support/tflm-group.js';
import { runCli } from './support/reference.js';

const group = loadGroup('int16');
const { dir, manifest, scratch } = group;
let serial = 0;

test('the committed models are what tools/tflm-ops/int16.ts writes, every configuration in the manifest', (t) => {
  checkCommittedModels(t, group, configs);
  // every operator of the task in 16x8 / int16, and each refusal with the status we refuse it with
  const ops = new Set(configs.filter((c) => c.refusal === undefined).map((c) => c.op));
  t.deepEqual([...ops].sort(), ['AVERAGE_POOL_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'MAX_POOL_2D', 'MEAN', 'TRANSPOSE_CONV']);
  t.true(manifest.refused.length >= 5);
  for (const r of manifest.refused) t.regex(r.expected_refusal ?? '', /^XTML_STATUS_/, r.id);
});

const byId = (id: string): OpConfig => {
  const c = configs.find((x) => x.id === id);
  if (c === undefined) throw new Error(`no configuration ${id}`);
  return c;
};
const withTensor = (c: OpConfig, name: string, change: (t: OpTensor) => OpTensor): OpConfig =>
  ({ ...c, tensors: c.tensors.map((x) => (x.name === name ? change(x) : x)) });

optionalTest('16x8 DEPTHWISE_CONV_2D without a bias gives TFLM\'s outputs for the same model with an all-zero int64 bias', variantNeeds.host, async (t) => {
  const id = 'op_depthwise_conv_2d_16x8_valid_s2_zero_bias_relu';
  const withZeros = byId(id);
  t.true(withZeros.tensors.find((x) => x.name === 'bias')!.values!.every((v) => v === 0));
  const noBias: OpConfig = { ...withZeros, inputs: withZeros.inputs.slice(0, 2) };
  const model = join(scratch, `${serial++}.tflite`);
  writeFileSync(model, modelBytes(noBias));
  const vectors = manifest.models.find((m) => m.id === id)!.vectors;
  t.is(vectors.length, 3);
  for (const v of vectors) {
    const out = `${model}.${v.name}.out`;
    const r = await runCli('host', ['run', model, '--input', join(dir, v.input), '--output', out]);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(new Uint8Array(readFileSync(out)), new Uint8Array(readFileSync(join(dir, v.output))), v.name);
  }
});

// TFLM runs these but computes something else than the model describes: its
// 16x8 convolutions ignore activation zero points, its 16x8 DEPTHWISE_CONV_2D
// and TRANSPOSE_CONV read any bias but int16 as int64. Each is refused at prepare.
const refusedHere: [string, OpConfig, string, RegExp][] = [
  ['16x8 CONV_2D with input zero point 5',
    withTensor(byId('op_conv_2d_16x8_same_s1_bias64'), 'input', (x) => ({ ...x, quant: { scale: x.quant!.scale, zeroPoint: [5] } })),
    'XTML_STATUS_MODEL_QUANTIZATION', /int16 zero points 5 \(input\) and 0 \(output\) must be 0/],
  ['16x8 DEPTHWISE_CONV_2D with output zero point -3',
    withTensor(byId('op_depthwise_conv_2d_16x8_same_m2_bias64'), 'output', (x) => ({ ...x, quant: { scale: x.quant!.scale, zeroPoint: [-3] } })),
    'XTML_STATUS_MODEL_QUANTIZATION', /must be 0/],
  ['16x8 DEPTHWISE_CONV_2D with an int32 bias',
    withTensor(byId('op_depthwise_conv_2d_16x8_same_m2_bias64'), 'bias', (x) => ({ ...x, dtype: 'int32', values: x.values!.map((v) => v % 100000) })),
    'XTML_STATUS_UNSUPPORTED_TYPE', /bias 'bias' is int32, expected int64 for int16 input/],
  ['16x8 TRANSPOSE_CONV with an int32 bias',
    withTensor(byId('op_transpose_conv_16x8_same_s2_bias64'), 'bias', (x) => ({ ...x, dtype: 'int32', values: x.values!.map((v) => v % 100000) })),
    'XTML_STATUS_UNSUPPORTED_TYPE', /expected int64 or int16/],
  ['16x8 TRANSPOSE_CONV with input zero point 1',
    withTensor(byId('op_transpose_conv_16x8_same_s2x1_nobias_relu'), 'input', (x) => ({ ...x, quant: { scale: x.quant!.scale, zeroPoint: [1] } })),
    'XTML_STATUS_MODEL_QUANTIZATION', /must be 0/],
  ['16x8 TRANSPOSE_CONV with a requantization shift of 9 (TFLM asserts below 8)',
    withTensor(byId('op_transpose_conv_16x8_same_s2x1_nobias_relu'), 'output', (x) => ({ ...x, quant: { scale: [1e-9], zeroPoint: [0] } })),
    'XTML_STATUS_MODEL_QUANTIZATION', /out of range/],
  ['16x8 FULLY_CONNECTED with an int16 bias',
    withTensor(byId('op_fully_connected_16x8_bias64'), 'bias', (x) => ({ ...x, dtype: 'int16', values: x.values!.map((v) => v % 30000) })),
    'XTML_STATUS_UNSUPPORTED_TYPE', /expected int64 or int32/],
  ['16x8 FULLY_CONNECTED with an int64 bias and a requantization shift of 8',
    withTensor(byId('op_fully_connected_16x8_bias64'), 'output', (x) => ({ ...x, quant: { scale: [1e-9], zeroPoint: [0] } })),
    'XTML_STATUS_MODEL_QUANTIZATION', /too large/],
  ['16x8 TRANSPOSE_CONV with an output shape input of 3 elements',
    withTensor(byId('op_transpose_conv_16x8_shape_input_bias64'), 'output_shape', (x) => ({ ...x, shape: [3] })),
    'XTML_STATUS_SHAPE_MISMATCH', /output shape 'output_shape' is not int32 \[4\]/],
  ['int16 MEAN with a float32 output',
    withTensor(byId('op_mean_int16_hw_keep'), 'output', (x) => ({ name: x.name, dtype: 'float32', shape: x.shape })),
    'XTML_STATUS_UNSUPPORTED_TYPE', /output/],
];
testRefusedOnHost(scratch, refusedHere, (what, status) => `refused: ${what}, with ${status}`);

optionalTest('16x8 TRANSPOSE_CONV with its output shape a graph input: a shape other than the output\'s fails the invoke with XTML_STATUS_EVAL_ERROR', variantNeeds.host, async (t) => {
  const id = 'op_transpose_conv_16x8_shape_input_bias64';
  const v = manifest.models.find((m) => m.id === id)!.vectors.find((x) => x.name === 'pattern')!;
  const input = new Uint8Array(readFileSync(join(dir, v.input)));
  const shape = new Int32Array(input.buffer.slice(0, 16));
  t.deepEqual([...shape], [1, 6, 4, 3]);
  for (const [at, value] of [[1, 5], [3, 4], [0, 2]] as const) {
    const wrong = new Uint8Array(input);
    new DataView(wrong.buffer).setInt32(4 * at, value, true);
    const file = join(scratch, `${serial++}.in`);
    writeFileSync(file, wrong);
    const r = await runCli('host', ['run', join(dir, 'models', `${id}.tflite`), '--input', file, '--output', `${file}.out`]);
    t.is(r.code, 1);
    t.true(r.stderr.startsWith('XTML_STATUS_EVAL_ERROR'), r.stderr);
    t.regex(r.stderr, new RegExp(`TRANSPOSE_CONV: output_shape\\[${at}\\] = ${value}, the output has ${shape[at]}`));
  }
});
