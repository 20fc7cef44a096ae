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
      if (q !== null && q.has(2)) info.quant = { scale: q.f32s(2), zeroPoint: q.i64s(3), axis: q.i32(6, 0) };
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
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** The model's bytes, written by the shared writer. A changed description
 * replaces the description metadata entry too. */
export function writeModel(m: ModelFile): Uint8Array {
  const metadata = m.metadata.map((e) => (e.name === descriptionMetadata ? { name: e.name, data: utf8(m.description) } : e));
  return writeGraph(m.graph, m.description, metadata);
}
