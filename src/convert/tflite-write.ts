// TensorFlow Lite flatbuffers, written with the flatbuffers runtime's Builder
// (npm `flatbuffers`): the one model writer of the project (the converter and
// the tests' model generator both use it). Tables and fields follow schema.fbs;
// fields left out read as the schema default.
//
// Constant data is 16-byte aligned from the start of the file (the Builder
// aligns from the end and pads the whole buffer to its largest alignment, so
// the two agree), so a model loaded at a 16-byte aligned address has every
// constant aligned for its type, as our verifier and TFLM expect.
import { Builder } from 'flatbuffers';
import { elements, type ConstData, type Graph, type TensorInfo } from './graph.js';
import { supplyTextCodecs } from './text-codec.js';
import { activationCode, Builtin, OptionsType, TensorType, type OpName } from './tflite-schema.js';

export interface FlatTensor {
  name: string;
  /** TensorType code. */
  type: number;
  shape: readonly number[];
  /** Constant bytes, little-endian. */
  data?: Uint8Array;
  quant?: { scale: readonly number[]; zeroPoint: readonly number[]; axis: number };
  /** State kept between invokes (the schema's is_variable): SVDF's and LSTM's states. */
  isVariable?: boolean;
}

/** One field of an options table, by its slot in the schema. */
export interface FlatField {
  slot: number;
  type: 'i8' | 'u8' | 'bool' | 'i32' | 'f32' | 'i32s' | 'str';
  value: number | readonly number[] | string;
}

export interface FlatOperator {
  builtin: number;
  version: number;
  inputs: readonly number[];
  outputs: readonly number[];
  /** BuiltinOptions union type; 0 writes no options table. */
  optionsType: number;
  options: readonly FlatField[];
  /** Tensor indices of the operator's intermediates (the integer LSTM's gate scales). */
  intermediates?: readonly number[];
  /** A custom operator (builtin 32, CUSTOM): its name (the operator code's custom_code). */
  customCode?: string;
  /** A custom operator's options, FlexBuffer bytes (flexbufferOptions() in flexbuffer-options.ts). */
  customOptions?: Uint8Array;
}

/** One subgraph: its own tensors (indices are per subgraph), operators, inputs and outputs. */
export interface FlatSubgraph {
  tensors: readonly FlatTensor[];
  operators: readonly FlatOperator[];
  inputs: readonly number[];
  outputs: readonly number[];
  /** The subgraph's name (default 'main' for the first, 'subgraph<i>' after). */
  name?: string;
}

/** A model: subgraph 0 (the one an interpreter runs), then any others (called by CALL_ONCE, IF, WHILE). */
export interface FlatModel extends FlatSubgraph {
  description: string;
  metadata?: readonly { name: string; data: Uint8Array }[];
  /** Subgraphs 1, 2, ... */
  subgraphs?: readonly FlatSubgraph[];
}

function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
  return b.endVector();
}

/**
 * float32 values as their bits, through scratch of one write's own: the
 * Builder's addFloat32 goes through typed arrays at the flatbuffers module's
 * top level, which become read-only where the module is preloaded into flash
 * (a Moddable app). The bytes are the same.
 */
class Float32Bits {
  private readonly f = new Float32Array(1);
  private readonly i = new Int32Array(this.f.buffer);
  of(value: number): number {
    this.f[0] = value;
    return this.i[0]!;
  }
}

function float32Vector(b: Builder, bits: Float32Bits, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(bits.of(values[i]!));
  return b.endVector();
}

function int64Vector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]!));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

/** A [ubyte] whose first element is 16-byte aligned in the finished file. */
function alignedBytes(b: Builder, data: Uint8Array): number {
  b.prep(16, data.length);
  return b.createByteVector(data);
}

function options(b: Builder, bits: Float32Bits, fields: readonly FlatField[]): number {
  const vectors = new Map<number, number>();
  for (const f of fields) if (f.type === 'i32s') vectors.set(f.slot, int32Vector(b, f.value as number[]));
  for (const f of fields) if (f.type === 'str') vectors.set(f.slot, b.createString(f.value as string));
  b.startObject(fields.reduce((n, f) => Math.max(n, f.slot + 1), 0));
  for (const f of fields) {
    const v = f.value as number;
    switch (f.type) {
      case 'i8': case 'u8': case 'bool': b.addFieldInt8(f.slot, v, null); break;
      case 'i32': b.addFieldInt32(f.slot, v, null); break;
      case 'f32': b.addFieldInt32(f.slot, bits.of(v), null); break;
      case 'i32s': case 'str': b.addFieldOffset(f.slot, vectors.get(f.slot)!, 0); break;
    }
  }
  return b.endObject();
}

/** The .tflite bytes of a model (one subgraph unless model.subgraphs adds more). */
export function serializeTflite(model: FlatModel, sizeHint = 1 << 16, compact = true): Uint8Array {
  // flatbuffers' Builder makes a TextEncoder and a TextDecoder: XS has neither
  supplyTextCodecs();
  // the Builder doubles its buffer when full (the old and the new one both live while it
  // copies): a buffer of about the final size from the start grows once at most
  const b = new Builder(sizeHint);
  const bits = new Float32Bits();
  // buffer 0 is empty by convention; then one per constant, then the metadata
  const bufferData: (Uint8Array | null)[] = [null];
  const graphs: readonly FlatSubgraph[] = [model, ...(model.subgraphs ?? [])];
  const tensorBuffers = graphs.map((g) => g.tensors.map((t) => {
    const data = t.data;
    if (data === undefined) return 0;
    bufferData.push(data);
    return bufferData.length - 1;
  }));
  const metadataBuffer = (model.metadata ?? []).map((m) => {
    bufferData.push(m.data);
    return bufferData.length - 1;
  });
  // children first: the Builder writes back to front
  const buffers = bufferData.map((data) => {
    const vec = data === null ? 0 : alignedBytes(b, data);
    b.startObject(1);
    if (vec !== 0) b.addFieldOffset(0, vec, 0);
    return b.endObject();
  });
  const graphTensors = graphs.map((g, k) => g.tensors.map((t, i) => {
    const name = b.createString(t.name);
    const shape = int32Vector(b, t.shape);
    let quant = 0;
    if (t.quant !== undefined) {
      const scale = float32Vector(b, bits, t.quant.scale);
      const zp = int64Vector(b, t.quant.zeroPoint);
      b.startObject(7);
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zp, 0);
      b.addFieldInt32(6, t.quant.axis, 0);
      quant = b.endObject();
    }
    b.startObject(t.isVariable === true ? 6 : 5);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type, null);
    b.addFieldInt32(2, tensorBuffers[k]![i]!, null);
    b.addFieldOffset(3, name, 0);
    if (quant !== 0) b.addFieldOffset(4, quant, 0);
    if (t.isVariable === true) b.addFieldInt8(5, 1, null);
    return b.endObject();
  }));
  const codes: { builtin: number; version: number; custom?: string }[] = [];
  const graphOperators = graphs.map((g) => g.operators.map((op) => {
    let code = codes.findIndex((c) => c.builtin === op.builtin && c.version === op.version && c.custom === op.customCode);
    if (code < 0) {
      code = codes.push({ builtin: op.builtin, version: op.version, ...(op.customCode !== undefined ? { custom: op.customCode } : {}) }) - 1;
    }
    const inputs = int32Vector(b, op.inputs);
    const outputs = int32Vector(b, op.outputs);
    const opts = op.optionsType !== 0 ? options(b, bits, op.options) : 0;
    const intermediates = op.intermediates !== undefined ? int32Vector(b, op.intermediates) : 0;
    const custom = op.customOptions !== undefined ? b.createByteVector(op.customOptions) : 0;
    b.startObject(intermediates !== 0 ? 9 : custom !== 0 ? 7 : 5);
    b.addFieldInt32(0, code, null);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (opts !== 0) {
      b.addFieldInt8(3, op.optionsType, null);
      b.addFieldOffset(4, opts, 0);
    }
    if (custom !== 0) b.addFieldOffset(5, custom, 0);   // custom_options_format: FLEXBUFFERS (0), the default
    if (intermediates !== 0) b.addFieldOffset(8, intermediates, 0);
    return b.endObject();
  }));
  const operatorCodes = codes.map((c) => {
    const custom = c.custom !== undefined ? b.createString(c.custom) : 0;
    b.startObject(4);
    b.addFieldInt8(0, Math.min(c.builtin, 127), null);
    if (custom !== 0) b.addFieldOffset(1, custom, 0);
    b.addFieldInt32(2, c.version, null);
    b.addFieldInt32(3, c.builtin, null);
    return b.endObject();
  });
  const subgraphs = graphs.map((g, k) => {
    const subgraphName = b.createString(g.name ?? (k === 0 ? 'main' : `subgraph${k}`));
    const tensorVec = offsetVector(b, graphTensors[k]!);
    const inputs = int32Vector(b, g.inputs);
    const outputs = int32Vector(b, g.outputs);
    const operatorVec = offsetVector(b, graphOperators[k]!);
    b.startObject(5);
    b.addFieldOffset(0, tensorVec, 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    b.addFieldOffset(3, operatorVec, 0);
    b.addFieldOffset(4, subgraphName, 0);
    return b.endObject();
  });
  const metadata = (model.metadata ?? []).map((m, i) => {
    const name = b.createString(m.name);
    b.startObject(2);
    b.addFieldOffset(0, name, 0);
    b.addFieldInt32(1, metadataBuffer[i]!, null);
    return b.endObject();
  });
  const codesVec = offsetVector(b, operatorCodes);
  const subgraphsVec = offsetVector(b, subgraphs);
  const description = b.createString(model.description);
  const buffersVec = offsetVector(b, buffers);
  const metadataVec = metadata.length > 0 ? offsetVector(b, metadata) : 0;
  b.startObject(7);
  b.addFieldInt32(0, 3, null);
  b.addFieldOffset(1, codesVec, 0);
  b.addFieldOffset(2, subgraphsVec, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffersVec, 0);
  if (metadataVec !== 0) b.addFieldOffset(6, metadataVec, 0);
  b.finish(b.endObject(), 'TFL3');
  // compact: the model in a buffer of its own; else a view of the end of the Builder's buffer
  // (for a caller that copies it elsewhere at once: one model-sized copy fewer in the heap)
  return compact ? b.asUint8Array().slice() : b.asUint8Array();
}

// ---- from the converter's graph ----

function constBytes(data: ConstData): Uint8Array {
  // a view, not a copy: the Builder copies the bytes, and a copy of every constant would double them in a small heap
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** TFLite's operator versions for the types we write (TFLM ignores them; TFLite checks). */
function versionOf(op: OpName, int8: boolean): number {
  if (!int8) return 1;
  switch (op) {
    case 'CONV_2D': case 'DEPTHWISE_CONV_2D': return 3;
    case 'FULLY_CONNECTED': return 4;
    case 'RESHAPE': case 'SQUEEZE': case 'EXPAND_DIMS': case 'HARD_SWISH': return 1;
    case 'QUANTIZE': return 1;
    case 'DEQUANTIZE': return 2;
    case 'RESIZE_NEAREST_NEIGHBOR': return 3;
    default: return 2;
  }
}

function optionFields(op: OpName, o: Graph['nodes'][number]['options']): FlatField[] {
  const act = (slot: number): FlatField => ({ slot, type: 'i8', value: activationCode[o.activation ?? 'NONE'] });
  const pad: FlatField = { slot: 0, type: 'i8', value: o.padding === 'VALID' ? 1 : 0 };
  const i32 = (slot: number, value: number): FlatField => ({ slot, type: 'i32', value });
  switch (op) {
    case 'CONV_2D':
      return [pad, i32(1, o.strideW ?? 1), i32(2, o.strideH ?? 1), act(3), i32(4, o.dilationW ?? 1), i32(5, o.dilationH ?? 1)];
    case 'DEPTHWISE_CONV_2D':
      return [pad, i32(1, o.strideW ?? 1), i32(2, o.strideH ?? 1), i32(3, o.depthMultiplier ?? 1), act(4), i32(5, o.dilationW ?? 1), i32(6, o.dilationH ?? 1)];
    case 'AVERAGE_POOL_2D': case 'MAX_POOL_2D':
      return [pad, i32(1, o.strideW ?? 1), i32(2, o.strideH ?? 1), i32(3, o.filterW ?? 1), i32(4, o.filterH ?? 1), act(5)];
    case 'FULLY_CONNECTED':
      return [act(0), ...(o.keepNumDims ? [{ slot: 2, type: 'bool', value: 1 } as FlatField] : [])];
    case 'SOFTMAX': return [{ slot: 0, type: 'f32', value: o.beta ?? 1 }];
    case 'CONCATENATION': return [i32(0, o.axis ?? 0), act(1)];
    case 'ADD': case 'SUB': case 'MUL': return [act(0)];
    case 'RESHAPE': return o.newShape ? [{ slot: 0, type: 'i32s', value: o.newShape }] : [];
    case 'MEAN': return [{ slot: 0, type: 'bool', value: o.keepDims ? 1 : 0 }];
    case 'SQUEEZE': return [{ slot: 0, type: 'i32s', value: o.squeezeDims ?? [] }];
    case 'LEAKY_RELU': return [{ slot: 0, type: 'f32', value: o.alpha ?? 0 }];
    case 'RESIZE_NEAREST_NEIGHBOR': return [{ slot: 0, type: 'bool', value: 0 }, { slot: 1, type: 'bool', value: 0 }];
    default: return [];
  }
}

// The records writeGraph hands to serializeTflite read the graph when the
// serializer asks (getters on the class, nothing per record but the record):
// on XS every object and property is a slot of a small fixed heap, and records
// made all at once (a tensor's name, type, shape, data view and quantization;
// an operator's index lists and options as field objects) held about a
// thousand slots for the detector's gated model while it was written.

/** A tensor of the graph as the serializer reads it. */
class GraphTensor implements FlatTensor {
  constructor(readonly name: string, private readonly t: TensorInfo) {}
  get type(): number { return TensorType[this.t.dtype]; }
  get shape(): readonly number[] { return this.t.shape; }
  get data(): Uint8Array | undefined { return this.t.data !== undefined ? constBytes(this.t.data) : undefined; }
  get quant(): FlatTensor['quant'] { return this.t.quant; }
}

/** An operator of the graph as the serializer reads it: its index lists and options are made when read, once each. */
class GraphOperator implements FlatOperator {
  constructor(private readonly n: Graph['nodes'][number], readonly version: number, private readonly at: (name: string) => number) {}
  get builtin(): number { return Builtin[this.n.op]; }
  get inputs(): readonly number[] { return this.n.inputs.map(this.at); }
  get outputs(): readonly number[] { return this.n.outputs.map(this.at); }
  get optionsType(): number { return OptionsType[this.n.op]; }
  get options(): readonly FlatField[] { return optionFields(this.n.op, this.n.options); }
}

/** Serialize a converted graph (every tensor must be typed and every constant filled). */
export function writeGraph(g: Graph, description: string, metadata: { name: string; data: Uint8Array }[] = [], sizeHint?: number, compact = true): Uint8Array {
  const names = [...g.tensors.keys()];
  // a search, not a Map of names: a Map's entries are slots too, and a few hundred searches cost nothing
  const at = (n: string): number => (n === '' ? -1 : names.indexOf(n));
  const tensors: FlatTensor[] = names.map((n) => {
    const t = g.tensor(n);
    if (t.data !== undefined && t.data.length !== elements(t.shape)) throw new Error(`internal: tensor '${n}' holds ${t.data.length} values for shape [${t.shape.join(',')}]`);
    return new GraphTensor(n, t);
  });
  const int8 = [...g.tensors.values()].some((t) => t.dtype === 'int8' && t.data === undefined);
  const operators: FlatOperator[] = g.nodes.map((n) => new GraphOperator(n, versionOf(n.op, int8 && g.tensor(n.outputs[0]!).dtype !== 'float32'), at));
  return serializeTflite({ tensors, operators, inputs: g.inputs.map(at), outputs: g.outputs.map(at), description, metadata }, sizeHint, compact);
}
