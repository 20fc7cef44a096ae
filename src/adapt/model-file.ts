// A quantized one-subgraph .tflite as the converter's graph, with its int8 and
// int32 constants and every tensor's quantization kept as they are, so that
// the shared writer (src/convert/tflite-write.ts) writes the same model back:
// for a model that writer made, writeModel(readModel(bytes)) is bytes again.
// Adaptation edits a few constants of the graph and writes it.
//
// Constants are views into the given bytes (no copy); the writer copies them.
import { ConvertError } from '../convert/errors.js';
import { Graph, elements, type ConstData, type TensorInfo } from '../convert/graph.js';
import { FlatTable, isTflite, readOperatorOptions } from '../convert/tflite-read.js';
import { utf8Encode } from '../convert/text-codec.js';
import { builtinName, dtypeOf, type OpName } from '../convert/tflite-schema.js';
import { writeGraph } from '../convert/tflite-write.js';

export interface ModelFile {
  graph: Graph;
  description: string;
  /** Named metadata buffers (our models carry the description as 'xs-tinyml.description'). */
  metadata: { name: string; data: Uint8Array }[];
}

/** The metadata entry our converter writes beside the description string. */
export const descriptionMetadata = 'xs-tinyml.description';

function constView(bytes: Uint8Array, dtype: string, n: number, name: string): ConstData {
  const width = dtype === 'int32' || dtype === 'float32' ? 4 : 1;
  if (bytes.length !== n * width) throw new ConvertError('BAD_MODEL', `tensor '${name}': ${bytes.length} bytes for ${n} ${dtype} values`);
  // a view when the data is aligned for its type (the writer aligns constants to 16), else a copy
  const aligned = (bytes.byteOffset % width) === 0;
  const buffer = aligned ? bytes.buffer : bytes.slice().buffer;
  const offset = aligned ? bytes.byteOffset : 0;
  switch (dtype) {
    case 'int8': return new Int8Array(buffer, offset, n);
    case 'uint8': return new Uint8Array(buffer, offset, n);
    case 'int32': return new Int32Array(buffer, offset, n);
    case 'float32': return new Float32Array(buffer, offset, n);
    default: throw new ConvertError('UNSUPPORTED_MODEL', `constant '${name}' has type ${dtype}`);
  }
}

// Per-channel scales and zero points as typed arrays (4 and 8 bytes an element;
// a plain array of numbers costs a slot-sized entry an element in the chunk
// heap on XS, 16 or 32 bytes, and the detector has about 1,500 of each). A
// typed array costs about 5 slots of the slot heap (itself, its view, its
// buffer), a plain array 2: the per-tensor vectors (one element, most tensors)
// are plain arrays. Everything that reads a graph's quantization indexes it,
// spreads it or iterates it, which typed arrays do like arrays; the converter's
// type says number[], hence the casts.
const shortVector = 4;

function scalesOf(view: DataView, q: FlatTable): number[] {
  const v = q.vector(2, 4);
  const n = v === null ? 0 : v.n;
  const out = n <= shortVector ? new Array<number>(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(v!.at + 4 * i, true);
  return out as unknown as number[];
}

function zeroPointsOf(view: DataView, q: FlatTable): number[] {
  const v = q.vector(3, 8);
  const n = v === null ? 0 : v.n;
  const out = n <= shortVector ? new Array<number>(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(v!.at + 8 * i, true));
  return out as unknown as number[];
}

/** Where one tensor's constant bytes and quantization vectors are in a model file (byte offsets of the first element, and counts). */
export interface TensorPlace {
  data: { at: number; n: number } | null;
  scale: { at: number; n: number } | null;
  zeroPoint: { at: number; n: number } | null;
}

/** The places of tensors (by index) in a model file, for patching it in place. */
export function tensorPlaces(bytes: Uint8Array, indices: readonly number[]): TensorPlace[] {
  if (!isTflite(bytes)) throw new ConvertError('NOT_A_MODEL', 'not a TensorFlow Lite model (no TFL3 identifier)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const model = new FlatTable(view, view.getUint32(0, true));
    const buffers = model.vector(4, 4);
    const sg = model.tables(2)[0];
    const tensors = sg?.vector(0, 4);
    if (buffers === null || tensors === null || tensors === undefined) throw new ConvertError('BAD_MODEL', 'the model has no tensors or buffers');
    const tableAt = (v: { n: number; at: number }, i: number): FlatTable => new FlatTable(view, v.at + 4 * i + view.getUint32(v.at + 4 * i, true));
    return indices.map((i) => {
      if (!(i >= 0 && i < tensors.n)) throw new ConvertError('BAD_MODEL', `no tensor ${i} of ${tensors.n}`);
      const t = tableAt(tensors, i);
      const b = t.u32(2, 0);
      const data = b !== 0 && b < buffers.n ? tableAt(buffers, b).vector(0, 1) : null;
      const q = t.table(4);
      return { data, scale: q === null ? null : q.vector(2, 4), zeroPoint: q === null ? null : q.vector(3, 8) };
    });
  } catch (e) {
    if (e instanceof RangeError) throw new ConvertError('TRUNCATED_MODEL', `the TensorFlow Lite file is truncated or points outside itself (${e.message})`);
    throw e;
  }
}

/** New contents for one tensor of a model file: constant bytes and quantization of the same lengths as the old. */
export interface TensorPatch {
  index: number;
  data?: Uint8Array;
  scale?: ArrayLike<number>;
  zeroPoint?: ArrayLike<number>;
}

/**
 * The model with some tensors' constants and quantization overwritten in a copy
 * (`out`, the model's length, for instance memory outside the engine's heap),
 * or undefined where a patch does not fit what is there (another length, no
 * such vector): then the model must be written anew.
 */
export function patchModel(bytes: Uint8Array, patches: readonly TensorPatch[], out: Uint8Array): Uint8Array | undefined {
  if (out.length !== bytes.length) throw new RangeError(`the copy must be ${bytes.length} bytes, got ${out.length}`);
  const places = tensorPlaces(bytes, patches.map((p) => p.index));
  const fits = (v: { n: number } | null, n: number | undefined): boolean => n === undefined || (v !== null && v.n === n);
  for (let k = 0; k < patches.length; k++) {
    const p = patches[k]!, at = places[k]!;
    if (!fits(at.data, p.data?.length) || !fits(at.scale, p.scale?.length) || !fits(at.zeroPoint, p.zeroPoint?.length)) return undefined;
  }
  out.set(bytes);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  patches.forEach((p, k) => {
    const at = places[k]!;
    if (p.data !== undefined) out.set(p.data, at.data!.at);
    if (p.scale !== undefined) for (let i = 0; i < p.scale.length; i++) view.setFloat32(at.scale!.at + 4 * i, p.scale[i]!, true);
    if (p.zeroPoint !== undefined) for (let i = 0; i < p.zeroPoint.length; i++) view.setBigInt64(at.zeroPoint!.at + 8 * i, BigInt(p.zeroPoint[i]!), true);
  });
  return out;
}

/** Reads a .tflite of one subgraph whose operators the writer knows. */
export function readModel(bytes: Uint8Array): ModelFile {
  if (!isTflite(bytes)) throw new ConvertError('NOT_A_MODEL', 'not a TensorFlow Lite model (no TFL3 identifier)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const model = new FlatTable(view, view.getUint32(0, true));
    const codes = model.tables(1).map((c) => Math.max(c.i8(0, 0), c.i32(3, 0)));
    const subgraphs = model.tables(2);
    if (subgraphs.length !== 1) throw new ConvertError('UNSUPPORTED_MODEL', `the model has ${subgraphs.length} subgraphs`);
    const buffers = model.tables(4);
    const sg = subgraphs[0]!;
    const g = new Graph();
    const names: string[] = [];
    sg.tables(0).forEach((t, i) => {
      const dtype = dtypeOf(t.i8(1, 0));
      let name = t.string(3) || `tensor_${i}`;
      if (g.tensors.has(name)) name = g.fresh(name);
      names.push(name);
      if (dtype === undefined) throw new ConvertError('UNSUPPORTED_MODEL', `tensor '${name}' has tensor type ${t.i8(1, 0)}`);
      const shape = t.i32s(0);
      const info: TensorInfo = { name, dtype, shape };
      const b = t.u32(2, 0);
      if (b !== 0 && b >= buffers.length) throw new ConvertError('BAD_MODEL', `tensor '${name}' refers to buffer ${b} of ${buffers.length}`);
      const data = b === 0 ? null : buffers[b]!.bytes(0);
      if (data !== null && data.length > 0) info.data = constView(data, dtype, elements(shape), name);
      const q = t.table(4);
      if (q !== null && q.has(2)) info.quant = { scale: scalesOf(view, q), zeroPoint: zeroPointsOf(view, q), axis: q.i32(6, 0) };
      g.add(info);
    });
    const ref = (i: number, what: string): string => {
      if (i === -1) return '';
      const n = names[i];
      if (n === undefined) throw new ConvertError('BAD_MODEL', `${what} refers to tensor ${i} of ${names.length}`);
      return n;
    };
    g.inputs = sg.i32s(1).map((i) => ref(i, 'subgraph input'));
    g.outputs = sg.i32s(2).map((i) => ref(i, 'subgraph output'));
    sg.tables(3).forEach((op, k) => {
      const code = codes[op.u32(0, 0)];
      const opName = code === undefined ? undefined : builtinName(code) as OpName | undefined;
      if (opName === undefined) throw new ConvertError('UNSUPPORTED_OPERATOR', `operator ${k} (builtin code ${String(code)}) is not one the writer writes`);
      const outputs = op.i32s(2).map((i) => ref(i, `operator ${k}`));
      g.nodes.push({ op: opName, name: outputs[0] ?? `op_${k}`, inputs: op.i32s(1).map((i) => ref(i, `operator ${k}`)), outputs, options: readOperatorOptions(opName, op.table(4)) });
    });
    const metadata = model.tables(6).map((m) => {
      const b = m.u32(1, 0);
      const data = b < buffers.length ? buffers[b]!.bytes(0) : null;
      return { name: m.string(0), data: data ?? new Uint8Array(0) };
    });
    return { graph: g, description: model.string(3), metadata };
  } catch (e) {
    if (e instanceof RangeError) throw new ConvertError('TRUNCATED_MODEL', `the TensorFlow Lite file is truncated or points outside itself (${e.message})`);
    throw e;
  }
}

/** UTF-8 bytes of a string, without TextEncoder (not every XS host has one). */
export function utf8(text: string): Uint8Array {
  return utf8Encode(text);
}

/** The model's bytes, written by the shared writer. A changed description
 * replaces the description metadata entry too. `sizeHint`: about how large the
 * file will be (the writer's buffer starts at that size instead of growing);
 * `compact` false: a view of the writer's buffer, for a caller that copies it at once. */
export function writeModel(m: ModelFile, sizeHint?: number, compact = true): Uint8Array {
  const metadata = m.metadata.map((e) => (e.name === descriptionMetadata ? { name: e.name, data: utf8(m.description) } : e));
  return writeGraph(m.graph, m.description, metadata, sizeHint, compact);
}
