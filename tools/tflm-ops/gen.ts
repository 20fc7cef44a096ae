// Single-operator models for test/data/tflm-ops/<group>/: writes each group's
// models with our model writer, their seeded (or hand-chosen) inputs, runs the
// upstream TFLM oracle (a tflm_run build, outside the repository) for the
// outputs, the arena TFLM used and its refusals, and writes the manifest in the
// layout of ../shared/reference/ops/manifest.json. The tests never need the
// oracle: its outputs are committed as data.
//
//   npm run tflm-ops -- --group math --oracle /work/scratch-tflm/bin/tflm_run
//   (tools/tflm-ops/run.ts)
//
// A group is tools/tflm-ops/<group>.ts exporting `configs: OpConfig[]`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flexbufferOptions } from '../../src/convert/flexbuffer-options.js';
import { serializeTflite, type FlatField, type FlatTensor } from '../../src/convert/tflite-write.js';
import { builtinCode } from './builtins.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const dataRoot = join(repoRoot, 'test/data/tflm-ops');

/** Tensor types by schema name (TensorType). */
export const tensorTypes = Object.freeze({
  float32: 0, int32: 2, uint8: 3, int64: 4, bool: 6, int16: 7, int8: 9, uint64: 12, uint32: 15, uint16: 16, int4: 17,
} as const);
export type TensorDtype = keyof typeof tensorTypes;

const elementBytes: Record<TensorDtype, number> = {
  float32: 4, int32: 4, uint8: 1, int64: 8, bool: 1, int16: 2, int8: 1, uint64: 8, uint32: 4, uint16: 2, int4: 1,
};

export interface Quant {
  scale: readonly number[];
  zeroPoint: readonly number[];
  axis?: number;
}

export interface OpTensor {
  name: string;
  dtype: TensorDtype;
  shape: readonly number[];
  /** Constant values (encoded little-endian for dtype); absent for activations. */
  values?: readonly number[];
  quant?: Quant;
}

export interface OpConfig {
  /** File name and manifest id: op_<opname>_<type>_<config>. */
  id: string;
  /** The configuration in words (say so when inputs are hand-chosen, and why). */
  source: string;
  /** Builtin operator name (schema.fbs), or a custom operator's custom_code (with `custom`). */
  op: string;
  /** A custom operator (builtin CUSTOM, named by `op`): its FlexBuffer options map ({}: no options written). */
  custom?: Readonly<Record<string, number | boolean>>;
  version?: number;
  tensors: readonly OpTensor[];
  /** The operator's inputs and outputs, as indices into tensors (-1: absent optional input). */
  inputs: readonly number[];
  outputs: readonly number[];
  /** BuiltinOptions union type and fields (none when absent). */
  optionsType?: number;
  options?: readonly FlatField[];
  /** Seeds of the seeded vectors (default 1, 2, 3); [] with only hand-chosen vectors. */
  seeds?: readonly number[];
  /** Hand-chosen vectors: all graph inputs concatenated in order (`invokes` times over for a stateful model). */
  vectors?: readonly { name: string; input: Uint8Array }[];
  /** Invokes in a row per vector on one interpreter (stateful models): the
   * output file holds the outputs after each, one after another. */
  invokes?: number;
  /** Float results that may differ from TFLM's (glibc's) by this many ulp. */
  ulpTolerance?: number;
  /** TFLM refuses this configuration: the status our core refuses it with. */
  refusal?: string;
}

/** Constant data bytes of a tensor (int4: two values per byte, the first in the low nibble, as TFLite packs them). */
export function encode(dtype: TensorDtype, values: readonly number[]): Uint8Array {
  if (dtype === 'int4') {
    const packed = new Uint8Array(Math.ceil(values.length / 2));
    values.forEach((v, i) => { packed[i >> 1]! |= (v & 0xf) << (4 * (i & 1)); });
    return packed;
  }
  const out = new Uint8Array(values.length * elementBytes[dtype]);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    switch (dtype) {
      case 'float32': view.setFloat32(4 * i, v, true); break;
      case 'int32': view.setInt32(4 * i, v, true); break;
      case 'uint32': view.setUint32(4 * i, v, true); break;
      case 'int64': view.setBigInt64(8 * i, BigInt(v), true); break;
      case 'uint64': view.setBigUint64(8 * i, BigInt(v), true); break;
      case 'int16': view.setInt16(2 * i, v, true); break;
      case 'uint16': view.setUint16(2 * i, v, true); break;
      case 'int8': view.setInt8(i, v); break;
      case 'uint8': case 'bool': view.setUint8(i, v); break;
    }
  });
  return out;
}

export const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const tensorBytes = (t: OpTensor): number =>
  (t.dtype === 'int4' ? Math.ceil(count(t.shape) / 2) : count(t.shape) * elementBytes[t.dtype]);

/** The graph's inputs: the operator's inputs that are not constants (once each). */
export function graphInputs(c: OpConfig): number[] {
  return c.inputs.filter((i, k) => i >= 0 && c.tensors[i]!.values === undefined && c.inputs.indexOf(i) === k);
}

export function modelBytes(c: OpConfig): Uint8Array {
  const tensors: FlatTensor[] = c.tensors.map((t) => ({
    name: t.name,
    type: tensorTypes[t.dtype],
    shape: t.shape,
    ...(t.values !== undefined ? { data: encode(t.dtype, t.values) } : {}),
    ...(t.quant !== undefined ? { quant: { scale: t.quant.scale, zeroPoint: t.quant.zeroPoint, axis: t.quant.axis ?? 0 } } : {}),
  }));
  return serializeTflite({
    tensors,
    operators: [{
      builtin: c.custom !== undefined ? builtinCode('CUSTOM') : builtinCode(c.op), version: c.version ?? 1, inputs: c.inputs, outputs: c.outputs,
      optionsType: c.optionsType ?? 0, options: c.options ?? [],
      ...(c.custom !== undefined ? { customCode: c.op } : {}),
      ...(c.custom !== undefined && Object.keys(c.custom).length > 0 ? { customOptions: flexbufferOptions(c.custom) } : {}),
    }],
    inputs: graphInputs(c),
    outputs: c.outputs,
    description: `xs-tinyml tflm-ops ${c.id}`,
  });
}

/** xorshift32 as the reference set's "seeded_inputs" defines it: state = seed; per value state ^= state << 13, >> 17, << 5 (uint32). */
export function xorshift32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
}

/**
 * Seeded inputs as the reference set defines them (xorshift32, state = seed,
 * carried from one input tensor to the next): float32 one step per element,
 * (int32)state / 2^31; other types one step per byte, the state's top byte;
 * bool one step per element, the top byte's lowest bit (0 or 1: TFLM reads
 * bools as C++ bool, for which other bytes are undefined).
 */
export function seededInput(c: OpConfig, seed: number): Uint8Array {
  const step = xorshift32(seed);
  // stateful models (invokes K > 1): K sets of inputs from one stream, each invoke its own
  const parts = Array.from({ length: c.invokes ?? 1 }, () => graphInputs(c)).flat().map((i) => {
    const t = c.tensors[i]!;
    const bytes = new Uint8Array(tensorBytes(t));
    if (t.dtype === 'float32') {
      const view = new DataView(bytes.buffer);
      for (let k = 0; k < count(t.shape); k++) view.setFloat32(4 * k, (step() | 0) / 2 ** 31, true);
    } else if (t.dtype === 'bool') {
      for (let k = 0; k < bytes.length; k++) bytes[k] = (step() >>> 24) & 1;
    } else {
      for (let k = 0; k < bytes.length; k++) bytes[k] = step() >>> 24;
    }
    return bytes;
  });
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function tensorSpecs(c: OpConfig, indices: readonly number[]): object[] {
  let offset = 0;
  return indices.map((i) => {
    const t = c.tensors[i]!;
    const spec = {
      name: t.name, dtype: t.dtype, shape: t.shape, byte_offset: offset, bytes: tensorBytes(t),
      ...(t.quant !== undefined ? { quant: { scale: t.quant.scale.map(Math.fround), zero_point: t.quant.zeroPoint, quantized_dimension: t.quant.axis ?? 0 } } : {}),
    };
    offset += spec.bytes;
    return spec;
  });
}

interface OracleRun {
  ok: boolean;
  status: string;
  arena: number | null;
  log: string[];
}

function runOracle(oracle: string, model: string, pairs: [string, string][], invokes: number): OracleRun {
  const args = [model];
  if (invokes > 1) args.push('--invokes', String(invokes));
  for (const [i, o] of pairs) args.push('--input', i, '--output', o);
  const r = spawnSync(oracle, args, { encoding: 'utf8', timeout: 120_000 });
  const arena = /arena_used_bytes (\d+)/.exec(r.stdout ?? '');
  const log = (r.stderr ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const status = r.signal !== null ? `crashed (${r.signal})`
    : r.status === 0 ? 'ok'
    : r.status === 3 ? 'allocate_failed'
    : r.status === 4 ? 'invoke_failed'
    : `exit ${r.status}`;
  return { ok: r.status === 0, status, arena: arena ? Number(arena[1]) : null, log };
}

export async function generateGroup(group: string, oracle: string): Promise<{ models: number; refused: number; vectors: number }> {
  const module = await import(`./${group}.js`) as { configs: OpConfig[] };
  const dir = join(dataRoot, group);
  for (const sub of ['models', 'vectors', 'refused']) rmSync(join(dir, sub), { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  const oracleSha = sha256(readFileSync(oracle));
  const models: object[] = [];
  const refused: object[] = [];
  const problems: string[] = [];
  const ids = new Set<string>();
  let vectorCount = 0;
  for (const c of module.configs) {
    if (ids.has(c.id)) throw new Error(`duplicate id ${c.id}`);
    ids.add(c.id);
    const bytes = modelBytes(c);
    const modelPath = join(dir, 'models', `${c.id}.tflite`);
    writeFileSync(modelPath, bytes);
    const vectors: { name: string; kind: string; seed?: number; input: Uint8Array }[] = [
      ...(c.seeds ?? [1, 2, 3]).map((seed) => ({ name: `seed${seed}`, kind: 'seeded', seed, input: seededInput(c, seed) })),
      ...(c.vectors ?? []).map((v) => ({ name: v.name, kind: 'hand-chosen', input: v.input })),
    ];
    const vdir = join(dir, 'vectors', c.id);
    mkdirSync(vdir, { recursive: true });
    const pairs: [string, string][] = vectors.map((v) => {
      const inPath = join(vdir, `${v.name}.in.bin`);
      writeFileSync(inPath, v.input);
      return [inPath, join(vdir, `${v.name}.out.bin`)];
    });
    const run = runOracle(oracle, modelPath, pairs, c.invokes ?? 1);
    const common = { id: c.id, source: `generated single-op model (tools/tflm-ops/${group}.ts); config: ${c.source}`, ops: { [c.op]: 1 } };
    if (!run.ok) {
      rmSync(vdir, { recursive: true, force: true });
      mkdirSync(join(dir, 'refused'), { recursive: true });
      rmSync(modelPath);
      writeFileSync(join(dir, 'refused', `${c.id}.tflite`), bytes);
      if (c.refusal === undefined) problems.push(`${c.id}: TFLM refused it (${run.status}: ${run.log.join(' | ')}) but the config expects it to run`);
      refused.push({
        ...common, op: c.op, model: `refused/${c.id}.tflite`, sha256: sha256(bytes), bytes: bytes.length,
        status: run.status, tflm_error: run.log, expected_refusal: c.refusal ?? null,
      });
      continue;
    }
    if (c.refusal !== undefined) problems.push(`${c.id}: the config expects TFLM to refuse it, but it ran`);
    const ins = graphInputs(c);
    models.push({
      ...common,
      model: `models/${c.id}.tflite`, sha256: sha256(bytes), bytes: bytes.length, license: 'generated test data',
      inputs: tensorSpecs(c, ins), outputs: tensorSpecs(c, c.outputs),
      runs_on_tflm_reference_kernels: true,
      tflm: { arena_used_bytes_x86_64: run.arena },
      ...(c.ulpTolerance !== undefined ? { ulp_tolerance: c.ulpTolerance } : {}),
      ...(c.invokes !== undefined && c.invokes > 1 ? { invokes: c.invokes } : {}),
      vectors: vectors.map((v, k) => {
        const out = readFileSync(pairs[k]![1]);
        return {
          name: v.name, kind: v.kind, ...(v.seed !== undefined ? { seed: v.seed } : {}),
          ...(c.invokes !== undefined && c.invokes > 1 ? { invokes: c.invokes } : {}),
          input_sha256: sha256(v.input), output_sha256: sha256(out),
          input: `vectors/${c.id}/${v.name}.in.bin`, output: `vectors/${c.id}/${v.name}.out.bin`,
        };
      }),
    });
    vectorCount += vectors.length;
  }
  const manifest = {
    about: `Generated single-operator TFLite models (group '${group}'), written by our model writer (src/convert/tflite-write.ts) from tools/tflm-ops/${group}.ts, with inputs and the outputs upstream TensorFlow Lite Micro produced for them; same layout and field names as ../shared/reference/ops/manifest.json. Regenerate: npm run tflm-ops -- --group ${group} --oracle <tflm_run>.`,
    oracle: 'upstream TFLM MicroInterpreter at tensorflow/tflite-micro 90b983c, reference kernels, g++ 12.2 -O2 on x86-64, every builtin and the signal library custom operators registered (PythonOpsResolver), driven by tflm_run (docs/operators.md)',
    oracle_program: basename(oracle) === 'tflm_run_math' ? 'tflm_run_math: tflm_run with only the math operators registered (same kernels, same build)' : basename(oracle),
    oracle_sha256: oracleSha,
    seeded_inputs: 'xorshift32: state=seed (seeds 1,2,3 unless stated); per generated value: state^=state<<13; state^=state>>17; state^=state<<5 (uint32). float32 inputs: one step per element, value=(float)(int32)state/2^31 in [-1,1). bool inputs: one step per element, value=(state>>24)&1. Other types: every BYTE = (uint8)(state>>24). The state carries over from one input tensor to the next.',
    output_capture: "outputs after the first Invoke() of a freshly AllocateTensors()'d interpreter; models with 'invokes': K run K invokes in a row on one interpreter and the .out.bin holds the K outputs one after another.",
    file_layout: "*.in.bin = concatenation of all input tensors' raw little-endian bytes in model input order; *.out.bin = same for outputs. Offsets in 'inputs'/'outputs'.",
    models,
    refused,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  if (problems.length > 0) throw new Error(`group ${group}:\n  ${problems.join('\n  ')}`);
  return { models: models.length, refused: refused.length, vectors: vectorCount };
}
