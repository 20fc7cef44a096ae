// Issue 14, group `data` (tools/tflm-ops/data.ts, test/data/tflm-ops/data/):
// every configuration's vectors on the host, ASan, 32-bit x86 and rv32imc
// builds of the core and through the API on WebAssembly, the Node addon and XS, byte for byte against an independent TypeScript
// computation of the operator (test/support/data-ops-reference.ts) and, where
// the manifest has them, against the outputs TFLM produced; the committed
// models are what the generator writes; the configurations TFLM refuses are
// refused with a specific status; indices out of range fail the invoke.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataConfigs, encode, modelBytes, modelInputs, vectorInputs, type DataConfig } from '../tools/tflm-ops/data.js';
import { decode, referenceOutputs, type Values } from './support/data-ops-reference.js';
import { needs, optionalTest, variantNeeds, type Requirement } from './support/optional.js';
import { limiter, repoRoot, runCli, type Variant } from './support/reference.js';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession } from '../src/index.js';
import { runModelXs, xsHostAvailable } from '../host-sim/xs/xs-backend.js';
import { bytesOf, typedView } from '../src/tensor.js';

const dir = join(repoRoot, 'test/data/tflm-ops/data');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
  models: { id: string; vectors: { name: string; input: string; output?: string }[] }[];
};
const scratch = mkdtempSync(join(tmpdir(), 'xtml-data-ops-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
const limit = limiter(2);
let serial = 0;

const builds: { variant: Variant; needs: Requirement[] }[] = [
  { variant: 'host', needs: variantNeeds.host },
  { variant: 'asan', needs: variantNeeds.asan },
  { variant: 'host32', needs: [needs.host32] },
  { variant: 'rv32imc-Os', needs: variantNeeds['rv32imc-Os'] },
];

const modelPath = (c: DataConfig): string => join(dir, c.refused ? 'refused' : 'models', `${c.id}.tflite`);

/** The reference's output bytes for one vector's input bytes. */
function expected(c: DataConfig, input: Uint8Array): Uint8Array {
  const ins: Values[] = [];
  let at = 0;
  const fromModel = new Set(modelInputs(c));
  for (const ti of c.inputs) {
    const t = c.tensors[ti]!;
    if (fromModel.has(ti)) {
      const n = t.shape.reduce((a, b) => a * b, 1) * ({ float32: 4, int32: 4, int64: 8, int16: 2, int8: 1, bool: 1 })[t.type];
      ins.push(decode(t.type, input.subarray(at, at + n)));
      at += n;
    } else {
      ins.push([...t.values!]);
    }
  }
  const outs = referenceOutputs(c, ins);
  const parts = outs.map((v, k) => encode(c.tensors[c.outputs[k]!]!.type, v));
  return Buffer.concat(parts);
}

const runnable = dataConfigs.filter((c) => !c.refused);

test('the committed models are what tools/tflm-ops/data.ts writes, every configuration in the manifest', (t) => {
  for (const c of dataConfigs) {
    t.deepEqual(new Uint8Array(readFileSync(modelPath(c))), modelBytes(c), c.id);
  }
  t.deepEqual(manifest.models.map((m) => m.id).sort(), runnable.map((c) => c.id).sort());
});

for (const { variant, needs: requirements } of builds) {
  optionalTest(`data group: every vector on ${variant} matches the TypeScript reference and TFLM's outputs`, requirements, async (t) => {
    await Promise.all(runnable.map((c) => limit(async () => {
      const args = ['run', modelPath(c)];
      const cases = vectorInputs(c).map((v) => {
        const inPath = join(scratch, `${serial++}.in`);
        const outPath = `${inPath}.out`;
        writeFileSync(inPath, v.bytes);
        args.push('--input', inPath, '--output', outPath);
        const vec = manifest.models.find((m) => m.id === c.id)?.vectors.find((x) => x.name === v.name);
        const tflm = vec?.output !== undefined && existsSync(join(dir, vec.output)) ? readFileSync(join(dir, vec.output)) : null;
        return { name: v.name, outPath, want: expected(c, v.bytes), tflm };
      });
      const r = await runCli(variant, args);
      t.is(r.code, 0, `${c.id}: ${r.stderr}`);
      for (const k of cases) {
        const got = readFileSync(k.outPath);
        t.deepEqual(new Uint8Array(got), new Uint8Array(k.want), `${c.id} ${k.name} vs the reference`);
        if (k.tflm !== null) t.deepEqual(new Uint8Array(got), new Uint8Array(k.tflm), `${c.id} ${k.name} vs TFLM`);
      }
    })));
  });
}

for (const backend of ['wasm', 'node'] as const) {
  test(`data group: every vector through InferenceSession on ${backend} matches the TypeScript reference and TFLM's outputs`, (t) => {
    const binding = loadBinding(backend);
    for (const c of runnable) {
      const session = InferenceSession.create(binding, new Uint8Array(readFileSync(modelPath(c))));
      try {
        for (const v of vectorInputs(c)) {
          let at = 0;
          const inputs = session.inputs.map((meta) => {
            const copy = new Uint8Array(v.bytes.subarray(at, at + meta.bytes));
            at += meta.bytes;
            return typedView(meta.type, copy.buffer, 0, copy.byteLength);
          });
          const got = Buffer.concat(session.run(inputs).map((o) => bytesOf(o.data)));
          t.deepEqual(new Uint8Array(got), new Uint8Array(expected(c, v.bytes)), `${c.id} ${v.name} on ${backend}`);
          const vec = manifest.models.find((m) => m.id === c.id)?.vectors.find((x) => x.name === v.name);
          if (vec?.output !== undefined && existsSync(join(dir, vec.output))) {
            t.deepEqual(new Uint8Array(got), new Uint8Array(readFileSync(join(dir, vec.output))), `${c.id} ${v.name} on ${backend} vs TFLM`);
          }
        }
      } finally {
        session.release();
      }
    }
  });
}

// XS (the desktop XS host, the binding a device uses): each configuration's first vector.
(xsHostAvailable() ? test : test.skip)('data group: the first vector of every configuration through XS matches the TypeScript reference', async (t) => {
  await Promise.all(runnable.map((c) => limit(async () => {
    const v = vectorInputs(c)[0]!;
    const inPath = join(scratch, `${serial++}.xs.in`);
    writeFileSync(inPath, v.bytes);
    const r = await runModelXs(modelPath(c), { input: inPath });
    t.is(r.error, undefined, `${c.id}: ${JSON.stringify(r.error)}`);
    t.deepEqual(new Uint8Array(r.output ?? []), new Uint8Array(expected(c, v.bytes)), `${c.id} ${v.name} on XS`);
  })));
});

for (const c of dataConfigs.filter((x) => x.refused)) {
  optionalTest(`${c.id} is refused at prepare with ${c.refused!.status} (${c.refused!.why})`, variantNeeds.host, async (t) => {
    const r = await runCli('host', ['inspect', modelPath(c)]);
    t.is(r.code, 1);
    t.true(r.stderr.startsWith(`${c.refused!.status}: operator 0 (${c.op})`), r.stderr);
  });
}

/** A variant of a configuration: other tensors, options or name. */
function variantOf(id: string, change: (c: DataConfig) => Partial<DataConfig>): DataConfig {
  const base = dataConfigs.find((c) => c.id === id)!;
  return { ...base, ...change(base), id: `${id}_variant` };
}

async function runBytes(c: DataConfig, input: Uint8Array): Promise<{ code: number; stderr: string }> {
  const model = join(scratch, `${serial++}.tflite`);
  writeFileSync(model, modelBytes(c));
  const inPath = `${model}.in`;
  writeFileSync(inPath, input);
  return runCli('host', ['run', model, '--input', inPath, '--output', `${inPath}.out`]);
}

const badIndices: [string, number[][], RegExp][] = [
  ['gather_float32_positions_input', [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, 5, 1, 1]], /GATHER: index 5 outside \[0, 5\)/],
  ['gather_float32_positions_input', [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, 1, -1, 1]], /GATHER: index -1/],
  ['embedding_lookup_float32_to_float32', [[0, 5, 1, 1]], /EMBEDDING_LOOKUP: index 5 outside \[0, 5\)/],
  ['broadcast_args_int32', [[3, 2], [2, 1, 1, 5]], /BROADCAST_ARGS: dims 2 and 5 do not broadcast/],
];
for (const [id, values, detail] of badIndices) {
  optionalTest(`${id}: indices ${JSON.stringify(values.at(-1))} fail the invoke with XTML_STATUS_EVAL_ERROR`, variantNeeds.host, async (t) => {
    const c = dataConfigs.find((x) => x.id === id)!;
    const input = Buffer.concat(modelInputs(c).map((ti, k) => encode(c.tensors[ti]!.type, values[k]!)));
    const r = await runBytes(c, input);
    t.is(r.code, 1);
    t.true(r.stderr.startsWith('XTML_STATUS_EVAL_ERROR'), r.stderr);
    t.regex(r.stderr, detail);
  });
}

// Malformed configurations: each refused before it runs, with its own status.
const withTensor = (c: DataConfig, i: number, values: readonly number[]): Partial<DataConfig> =>
  ({ tensors: c.tensors.map((t, k) => (k === i ? { ...t, values } : t)) });
const malformed: [string, DataConfig, string, RegExp][] = [
  ['SPACE_TO_DEPTH block_size 0', variantOf('space_to_depth_float32_b2', () => ({ options: [{ slot: 0, type: 'i32', value: 0 }] })),
    'XTML_STATUS_BAD_OPTIONS', /block_size 0/],
  ['MIRROR_PAD REFLECT padding as wide as the axis', variantOf('mirror_pad_float32_reflect_2d', (c) => ({
    ...withTensor(c, 1, [2, 0, 0, 0]), tensors: c.tensors.map((t, k) => (k === 1 ? { ...t, values: [2, 0, 0, 0] } : k === 2 ? { ...t, shape: [4, 3] } : t)),
  })), 'XTML_STATUS_BAD_OPTIONS', /REFLECT/],
  ['SLICE past the end', variantOf('slice_int8_3x5', (c) => withTensor(c, 1, [2, 0])), 'XTML_STATUS_BAD_OPTIONS', /begin 2 size 2/],
  ['SUM with an axis out of range', variantOf('sum_float32_ax1_drop', (c) => withTensor(c, 1, [3])), 'XTML_STATUS_BAD_OPTIONS', /out of range/],
  ['GATHER batch_dims past the axis', variantOf('gather_int8_axis1_b1', () => ({ options: [{ slot: 0, type: 'i32', value: 0 }, { slot: 1, type: 'i32', value: 1 }] })),
    'XTML_STATUS_BAD_OPTIONS', /batch_dims/],
  ['BATCH_TO_SPACE_ND batch not a multiple of the block', variantOf('batch_to_space_nd_float32_4d', (c) => withTensor(c, 1, [3, 1])),
    'XTML_STATUS_SHAPE_MISMATCH', /multiple/],
  ['EMBEDDING_LOOKUP hybrid table with a zero point', variantOf('embedding_lookup_int8_to_float32', (c) => ({
    tensors: c.tensors.map((t, k) => (k === 1 ? { ...t, zeroPoint: 3 } : t)),
  })), 'XTML_STATUS_MODEL_QUANTIZATION', /zero point 0/],
  ['CUMSUM output shape unlike the input', variantOf('cumsum_float32_2x5_ax1', (c) => ({
    tensors: c.tensors.map((t, k) => (k === 2 ? { ...t, shape: [5, 2] } : t)),
  })), 'XTML_STATUS_SHAPE_MISMATCH', /output 0/],
];
for (const [what, c, status, detail] of malformed) {
  optionalTest(`malformed: ${what} is refused with ${status}`, variantNeeds.host, async (t) => {
    const model = join(scratch, `${serial++}.tflite`);
    writeFileSync(model, modelBytes(c));
    const r = await runCli('host', ['inspect', model]);
    t.is(r.code, 1);
    t.true(r.stderr.startsWith(`${status}: operator 0 (${c.op})`), r.stderr);
    t.regex(r.stderr, detail);
  });
}
