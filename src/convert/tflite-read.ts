// Reads a float32 TensorFlow Lite model into the converter's graph. Every read is
// bounds-checked (a DataView throws RangeError past the end, turned into
// TRUNCATED_MODEL). Hybrid models (int8 weights with float activations, TFLite's
// "dynamic range" quantization) are accepted: their weights are dequantized.
import { ConvertError } from './errors.js';
import { utf8Decode } from './text-codec.js';
import { Graph, elements, type Node, type OpOptions, type TensorInfo } from './graph.js';
import { activationOf, builtinName, dtypeOf, type OpName } from './tflite-schema.js';

class Table {
  constructor(readonly view: DataView, readonly pos: number) {}

  private field(slot: number): number {
    const vt = this.pos - this.view.getInt32(this.pos, true);
    const vtSize = this.view.getUint16(vt, true);
    if (4 + 2 * slot >= vtSize) return 0;
    const off = this.view.getUint16(vt + 4 + 2 * slot, true);
    return off === 0 ? 0 : this.pos + off;
  }

  has(slot: number): boolean {
    return this.field(slot) !== 0;
  }

  i8(slot: number, dflt: number): number {
    const at = this.field(slot);
    return at === 0 ? dflt : this.view.getInt8(at);
  }

  u8(slot: number, dflt: number): number {
    const at = this.field(slot);
    return at === 0 ? dflt : this.view.getUint8(at);
  }

  i32(slot: number, dflt: number): number {
    const at = this.field(slot);
    return at === 0 ? dflt : this.view.getInt32(at, true);
  }

  u32(slot: number, dflt: number): number {
    const at = this.field(slot);
    return at === 0 ? dflt : this.view.getUint32(at, true);
  }

  f32(slot: number, dflt: number): number {
    const at = this.field(slot);
    return at === 0 ? dflt : this.view.getFloat32(at, true);
  }

  private target(slot: number): number {
    const at = this.field(slot);
    return at === 0 ? 0 : at + this.view.getUint32(at, true);
  }

  table(slot: number): Table | null {
    const at = this.target(slot);
    return at === 0 ? null : new Table(this.view, at);
  }

  /** A vector's element count and the position of its first element. */
  vector(slot: number, elemSize: number): { n: number; at: number } | null {
    const at = this.target(slot);
    if (at === 0) return null;
    const n = this.view.getUint32(at, true);
    if (at + 4 + n * elemSize > this.view.byteLength) throw new RangeError('vector overruns the buffer');
    return { n, at: at + 4 };
  }

  tables(slot: number): Table[] {
    const v = this.vector(slot, 4);
    if (v === null) return [];
    return Array.from({ length: v.n }, (_, i) => new Table(this.view, v.at + 4 * i + this.view.getUint32(v.at + 4 * i, true)));
  }

  i32s(slot: number): number[] {
    const v = this.vector(slot, 4);
    return v === null ? [] : Array.from({ length: v.n }, (_, i) => this.view.getInt32(v.at + 4 * i, true));
  }

  f32s(slot: number): number[] {
    const v = this.vector(slot, 4);
    return v === null ? [] : Array.from({ length: v.n }, (_, i) => this.view.getFloat32(v.at + 4 * i, true));
  }

  i64s(slot: number): number[] {
    const v = this.vector(slot, 8);
    return v === null ? [] : Array.from({ length: v.n }, (_, i) => Number(this.view.getBigInt64(v.at + 8 * i, true)));
  }

  bytes(slot: number): Uint8Array | null {
    const v = this.vector(slot, 1);
    return v === null ? null : new Uint8Array(this.view.buffer, this.view.byteOffset + v.at, v.n);
  }

  string(slot: number): string {
    const b = this.bytes(slot);
    return b === null ? '' : utf8Decode(b);
  }
}

export function isTflite(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33;
}

function options(op: OpName, t: Table | null): OpOptions {
  const o: OpOptions = {};
  if (t === null) return o;
  const act = (slot: number): void => {
    const a = activationOf(t.i8(slot, 0));
    if (a === undefined) throw new ConvertError('UNSUPPORTED_OPERATOR', `${op}: fused activation ${t.i8(slot, 0)} is not supported`);
    o.activation = a;
  };
  switch (op) {
    case 'CONV_2D': case 'DEPTHWISE_CONV_2D': {
      const dw = op === 'DEPTHWISE_CONV_2D';
      o.padding = t.i8(0, 0) === 1 ? 'VALID' : 'SAME';
      o.strideW = t.i32(1, 1); o.strideH = t.i32(2, 1);
      if (dw) o.depthMultiplier = t.i32(3, 1);
      act(dw ? 4 : 3);
      o.dilationW = t.i32(dw ? 5 : 4, 1); o.dilationH = t.i32(dw ? 6 : 5, 1);
      break;
    }
    case 'AVERAGE_POOL_2D': case 'MAX_POOL_2D':
      o.padding = t.i8(0, 0) === 1 ? 'VALID' : 'SAME';
      o.strideW = t.i32(1, 1); o.strideH = t.i32(2, 1); o.filterW = t.i32(3, 1); o.filterH = t.i32(4, 1);
      act(5);
      break;
    case 'FULLY_CONNECTED':
      act(0);
      if (t.i8(1, 0) !== 0) throw new ConvertError('UNSUPPORTED_OPERATOR', 'FULLY_CONNECTED: shuffled weights format is not supported');
      o.keepNumDims = t.u8(2, 0) !== 0;
      break;
    case 'SOFTMAX': o.beta = t.f32(0, 1); break;
    case 'CONCATENATION': o.axis = t.i32(0, 0); act(1); break;
    case 'ADD': case 'SUB': case 'MUL': act(0); break;
    case 'RESHAPE': if (t.has(0)) o.newShape = t.i32s(0); break;
    case 'MEAN': o.keepDims = t.u8(0, 0) !== 0; break;
    case 'SQUEEZE': o.squeezeDims = t.i32s(0); break;
    case 'LEAKY_RELU': o.alpha = t.f32(0, 0); break;
    case 'RESIZE_NEAREST_NEIGHBOR':
      if (t.u8(0, 0) !== 0 || t.u8(1, 0) !== 0) throw new ConvertError('UNSUPPORTED_OPERATOR', 'RESIZE_NEAREST_NEIGHBOR: align_corners and half_pixel_centers are not supported');
      break;
    default: break;
  }
  return o;
}

/** A float32 (or hybrid) one-subgraph .tflite as a float graph. */
export function readTflite(bytes: Uint8Array): { graph: Graph; description: string } {
  if (!isTflite(bytes)) throw new ConvertError('NOT_A_MODEL', 'not a TensorFlow Lite model (no TFL3 identifier)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const model = new Table(view, view.getUint32(0, true));
    const version = model.u32(0, 0);
    if (version !== 3) throw new ConvertError('BAD_MODEL', `schema version ${version}, expected 3`);
    const codes = model.tables(1).map((c) => Math.max(c.i8(0, 0), c.i32(3, 0)));
    const subgraphs = model.tables(2);
    if (subgraphs.length !== 1) throw new ConvertError('UNSUPPORTED_MODEL', `the model has ${subgraphs.length} subgraphs; the converter takes one`);
    const buffers = model.tables(4);
    const sg = subgraphs[0]!;
    const g = new Graph();
    const rawTensors = sg.tables(0);
    const names: string[] = [];
    rawTensors.forEach((t, i) => {
      const type = dtypeOf(t.i8(1, 0));
      let name = t.string(3) || `tensor_${i}`;
      if (g.tensors.has(name)) name = g.fresh(name);
      names.push(name);
      const shape = t.i32s(0);
      const signature = t.i32s(7);
      if (shape.some((d) => d < 0) || signature.some((d, k) => d < 0 && k > 0)) {
        throw new ConvertError('DYNAMIC_SHAPE', `tensor '${name}' has a dynamic shape [${(signature.length ? signature : shape).join(',')}]; give the input's shape with --input-shape`);
      }
      if (type === undefined) throw new ConvertError('UNSUPPORTED_MODEL', `tensor '${name}' has tensor type ${t.i8(1, 0)}`);
      const info: TensorInfo = { name, dtype: type, shape };
      const b = t.u32(2, 0);
      if (b >= buffers.length && b !== 0) throw new ConvertError('BAD_MODEL', `tensor '${name}' refers to buffer ${b} of ${buffers.length}`);
      const data = b === 0 || buffers.length === 0 ? null : buffers[b]!.bytes(0);
      const q = t.table(4);
      const scale = q?.f32s(2) ?? [];
      const zp = q?.i64s(3) ?? [];
      const axis = q?.i32(6, 0) ?? 0;
      if (data !== null && data.length > 0) {
        const n = elements(shape);
        const copy = new Uint8Array(data);
        if (type === 'float32') {
          if (data.length !== 4 * n) throw new ConvertError('BAD_MODEL', `tensor '${name}': ${data.length} bytes for ${n} float32 values`);
          info.data = new Float32Array(copy.buffer);
        } else if (type === 'int32') {
          if (data.length !== 4 * n) throw new ConvertError('BAD_MODEL', `tensor '${name}': ${data.length} bytes for ${n} int32 values`);
          info.data = new Int32Array(copy.buffer);
        } else if (type === 'int64') {
          if (data.length !== 8 * n) throw new ConvertError('BAD_MODEL', `tensor '${name}': ${data.length} bytes for ${n} int64 values`);
          const v = new DataView(copy.buffer);
          info.data = Int32Array.from({ length: n }, (_, k) => Number(v.getBigInt64(8 * k, true)));
          info.dtype = 'int32';
        } else if (type === 'int8' || type === 'uint8') {
          // a hybrid model's weights: dequantize (per tensor or per channel)
          if (data.length !== n) throw new ConvertError('BAD_MODEL', `tensor '${name}': ${data.length} bytes for ${n} values`);
          if (scale.length === 0) throw new ConvertError('UNSUPPORTED_MODEL', `constant '${name}' is ${type} without quantization`);
          const values = type === 'int8' ? new Int8Array(copy.buffer) : copy;
          const out = new Float32Array(n);
          const inner = shape.slice(axis + 1).reduce((a, c) => a * c, 1);
          const channels = shape[axis] ?? 1;
          for (let k = 0; k < n; k++) {
            const c = scale.length === 1 ? 0 : Math.floor(k / inner) % channels;
            out[k] = (values[k]! - (zp[c] ?? 0)) * scale[c]!;
          }
          info.data = out;
          info.dtype = 'float32';
        } else {
          throw new ConvertError('UNSUPPORTED_MODEL', `constant '${name}' has type ${type}`);
        }
      } else if (type !== 'float32') {
        throw new ConvertError('UNSUPPORTED_MODEL', `tensor '${name}' is ${type}: the converter takes float32 models (already quantized models need no conversion)`);
      }
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
      const codeIndex = op.u32(0, 0);
      const code = codes[codeIndex];
      if (code === undefined) throw new ConvertError('BAD_MODEL', `operator ${k} refers to operator code ${codeIndex} of ${codes.length}`);
      const opName = builtinName(code) as OpName | undefined;
      const outputs = op.i32s(2).map((i) => ref(i, `operator ${k}`));
      const nodeName = outputs[0] ?? `op_${k}`;
      if (opName === undefined) {
        throw new ConvertError('UNSUPPORTED_OPERATOR', `operator ${k} '${nodeName}' (builtin code ${code}): no int8 kernel of the core maps it`);
      }
      const node: Node = { op: opName, name: nodeName, inputs: op.i32s(1).map((i) => ref(i, `operator ${k}`)), outputs, options: options(opName, op.table(4)) };
      g.nodes.push(node);
    });
    // DEQUANTIZE of a constant (hybrid and float16 models): fold into a float constant
    for (const n of [...g.nodes]) {
      if (n.op === 'DEQUANTIZE' && g.isConst(n.inputs[0]!)) {
        const src = g.tensor(n.inputs[0]!);
        g.tensors.set(n.outputs[0]!, { name: n.outputs[0]!, dtype: 'float32', shape: src.shape, data: src.data as Float32Array });
        g.nodes = g.nodes.filter((m) => m !== n);
      }
    }
    g.prune();
    return { graph: g, description: model.string(3) };
  } catch (e) {
    if (e instanceof RangeError) throw new ConvertError('TRUNCATED_MODEL', `the TensorFlow Lite file is truncated or points outside itself (${e.message})`);
    throw e;
  }
}

// For readers of already quantized models (src/adapt/): the bounds-checked
// table reader and the operator options, as this file reads them.
export { Table as FlatTable, options as readOperatorOptions };
