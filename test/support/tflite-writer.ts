// A small TensorFlow Lite model writer for tests that need models the
// reference set does not have (random shapes): one subgraph of tensors and
// builtin operators, serialized as the flatbuffer schema (schema.fbs) lays it
// out. Only the fields our tests set are written; everything else is absent,
// which flatbuffers read as the schema default.
//
// Layout: objects are written front to back, each child after the table or
// vector that points to it (flatbuffer offsets to children are unsigned, so
// they must point forward) and each vtable just before its table. Constant
// data is 16-byte aligned in the file, so a model copied to a 16-byte aligned
// address has every buffer aligned for its type (the verifier checks).

export type TensorType = 'float32' | 'int32' | 'int8' | 'uint8';

/** TensorType values of the schema. */
const tensorTypes: Record<TensorType, number> = { float32: 0, int32: 2, uint8: 3, int8: 9 };

export interface TensorDef {
  name: string;
  type: TensorType;
  shape: readonly number[];
  /** Constant data, little-endian; absent for activations. */
  data?: Uint8Array;
  /** Quantization: one scale per tensor, or one per channel of quantizedDimension. */
  scale?: readonly number[];
  zeroPoint?: readonly number[];
  quantizedDimension?: number;
}

/** One field of an options table: its schema type and value. */
export type OptionField = { type: 'i8' | 'i32'; value: number } | undefined;

export interface OperatorDef {
  /** BuiltinOperator code (CONV_2D = 3, ...). */
  builtin: number;
  version?: number;
  /** Tensor indices; -1 for an absent optional input. */
  inputs: readonly number[];
  outputs: readonly number[];
  /** BuiltinOptions union type (Conv2DOptions = 1, ...) and the table's fields in schema order. */
  optionsType: number;
  options: readonly OptionField[];
}

export interface ModelDef {
  tensors: readonly TensorDef[];
  operators: readonly OperatorDef[];
  inputs: readonly number[];
  outputs: readonly number[];
}

// ---- the object graph to serialize ----

type Field =
  | undefined
  | { kind: 'u8' | 'i8' | 'i32' | 'u32'; value: number }
  | { kind: 'ref'; to: Node };

type Node =
  | { kind: 'table'; fields: readonly Field[] }
  /** A vector of scalars or a string: its encoded elements (a string's with its NUL). */
  | { kind: 'vector'; count: number; bytes: Uint8Array; align: number }
  | { kind: 'tables'; items: readonly Node[] };

const table = (...fields: Field[]): Node => ({ kind: 'table', fields });
const ref = (to: Node): Field => ({ kind: 'ref', to });
const i8 = (value: number): Field => ({ kind: 'i8', value });
const u8 = (value: number): Field => ({ kind: 'u8', value });
const i32 = (value: number): Field => ({ kind: 'i32', value });
const u32 = (value: number): Field => ({ kind: 'u32', value });

function encoded(count: number, size: number, put: (view: DataView, i: number) => void): Uint8Array {
  const bytes = new Uint8Array(count * size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) put(view, i);
  return bytes;
}
const int32s = (values: readonly number[]): Node => ({ kind: 'vector', count: values.length, align: 4, bytes: encoded(values.length, 4, (v, i) => v.setInt32(4 * i, values[i]!, true)) });
const float32s = (values: readonly number[]): Node => ({ kind: 'vector', count: values.length, align: 4, bytes: encoded(values.length, 4, (v, i) => v.setFloat32(4 * i, values[i]!, true)) });
const int64s = (values: readonly number[]): Node => ({ kind: 'vector', count: values.length, align: 8, bytes: encoded(values.length, 8, (v, i) => v.setBigInt64(8 * i, BigInt(values[i]!), true)) });
const ubytes = (data: Uint8Array): Node => ({ kind: 'vector', count: data.length, align: 16, bytes: data });
function string(s: string): Node {
  const utf8 = new TextEncoder().encode(s);
  const bytes = new Uint8Array(utf8.length + 1);
  bytes.set(utf8);
  return { kind: 'vector', count: utf8.length, align: 4, bytes };
}

// ---- serialization ----

class Writer {
  private bytes = new Uint8Array(1024);
  private end = 0;

  private reserve(n: number): number {
    while (this.end + n > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const at = this.end;
    this.end += n;
    return at;
  }

  private view(): DataView {
    return new DataView(this.bytes.buffer);
  }

  /** Pad with zeros until end + offset is a multiple of align. */
  private align(align: number, offset = 0): void {
    while ((this.end + offset) % align !== 0) this.reserve(1);
  }

  /** Serialize with `root` as the root table and file identifier `ident`. */
  finish(root: Node, ident: string): Uint8Array {
    const header = this.reserve(8);
    for (let i = 0; i < 4; i++) this.bytes[header + 4 + i] = ident.charCodeAt(i);
    // Breadth first: each pending entry is an offset slot and the object it points to.
    const pending: { slot: number; node: Node }[] = [{ slot: header, node: root }];
    while (pending.length > 0) {
      const { slot, node } = pending.shift()!;
      const at = this.place(node, pending);
      this.view().setUint32(slot, at - slot, true);
    }
    return this.bytes.slice(0, this.end);
  }

  /** Write one object; its children go to `pending`. Returns where it starts. */
  private place(node: Node, pending: { slot: number; node: Node }[]): number {
    if (node.kind === 'vector') {
      this.align(node.align, 4);
      const at = this.reserve(4 + node.bytes.length);
      this.view().setUint32(at, node.count, true);
      this.bytes.set(node.bytes, at + 4);
      return at;
    }
    if (node.kind === 'tables') {
      this.align(4);
      const at = this.reserve(4 + 4 * node.items.length);
      this.view().setUint32(at, node.items.length, true);
      node.items.forEach((item, i) => pending.push({ slot: at + 4 + 4 * i, node: item }));
      return at;
    }
    // A table: its inline fields each aligned to their size after the
    // 4-byte vtable offset; the vtable (uint16s) comes right before it.
    const offsets: number[] = [];
    let size = 4;
    for (const field of node.fields) {
      if (field === undefined) {
        offsets.push(0);
        continue;
      }
      const width = field.kind === 'u8' || field.kind === 'i8' ? 1 : 4;
      size = Math.ceil(size / width) * width;
      offsets.push(size);
      size += width;
    }
    size = Math.ceil(size / 4) * 4;
    this.align(2);
    const vtable = this.reserve(4 + 2 * offsets.length);
    this.align(4);
    const at = this.reserve(size);
    const view = this.view();
    view.setUint16(vtable, 4 + 2 * offsets.length, true);
    view.setUint16(vtable + 2, size, true);
    offsets.forEach((offset, i) => view.setUint16(vtable + 4 + 2 * i, offset, true));
    view.setInt32(at, at - vtable, true);
    node.fields.forEach((field, i) => {
      const fieldAt = at + offsets[i]!;
      switch (field?.kind) {
        case undefined: break;
        case 'u8': view.setUint8(fieldAt, field.value); break;
        case 'i8': view.setInt8(fieldAt, field.value); break;
        case 'i32': view.setInt32(fieldAt, field.value, true); break;
        case 'u32': view.setUint32(fieldAt, field.value, true); break;
        case 'ref': pending.push({ slot: fieldAt, node: field.to }); break;
      }
    });
    return at;
  }
}

/** The .tflite bytes of a one-subgraph model. */
export function writeTflite(model: ModelDef): Uint8Array {
  // Buffer 0 is the empty buffer by convention; each constant gets its own.
  const buffers: Node[] = [table()];
  const tensors = model.tensors.map((t) => {
    let buffer = 0;
    if (t.data !== undefined) {
      buffer = buffers.length;
      buffers.push(table(ref(ubytes(t.data))));
    }
    const quantization =
      t.scale === undefined
        ? undefined
        : ref(table(undefined, undefined, ref(float32s(t.scale)), ref(int64s(t.zeroPoint ?? t.scale.map(() => 0))), undefined, undefined, i32(t.quantizedDimension ?? 0)));
    return table(ref(int32s(t.shape)), u8(tensorTypes[t.type]), u32(buffer), ref(string(t.name)), quantization);
  });
  // One operator code per distinct (builtin, version).
  const codes: { builtin: number; version: number }[] = [];
  const codeIndex = (builtin: number, version: number): number => {
    let i = codes.findIndex((c) => c.builtin === builtin && c.version === version);
    if (i < 0) i = codes.push({ builtin, version }) - 1;
    return i;
  };
  const operators = model.operators.map((op) => {
    const options = op.options.map((o): Field => (o === undefined ? undefined : o.type === 'i8' ? i8(o.value) : i32(o.value)));
    return table(u32(codeIndex(op.builtin, op.version ?? 1)), ref(int32s(op.inputs)), ref(int32s(op.outputs)), u8(op.optionsType), ref(table(...options)));
  });
  const operatorCodes = codes.map((c) => table(i8(Math.min(c.builtin, 127)), undefined, i32(c.version), i32(c.builtin)));
  const subgraph = table(
    ref({ kind: 'tables', items: tensors }),
    ref(int32s(model.inputs)),
    ref(int32s(model.outputs)),
    ref({ kind: 'tables', items: operators }),
    ref(string('main')),
  );
  const root = table(
    u32(3),
    ref({ kind: 'tables', items: operatorCodes }),
    ref({ kind: 'tables', items: [subgraph] }),
    ref(string('xs-tinyml test model')),
    ref({ kind: 'tables', items: buffers }),
  );
  return new Writer().finish(root, 'TFL3');
}
