// ONNX (opset 11-18) to the converter's graph. Nodes are lowered one by one, in
// the file's (topological) order, onto TensorFlow Lite builtins:
//
// - Constants and every node whose inputs are all constant (the shape arithmetic
//   exporters emit around Pad, Reshape and Flatten) are evaluated here.
// - 4-D activations that ONNX holds as NCHW are kept as NHWC ("nhwc" values), so
//   convolutions, pooling and concatenation run in TFLite's layout with no
//   TRANSPOSE; weights and per-channel constants are permuted instead. Flatten of
//   such a value before Gemm/MatMul permutes the weight columns; a TRANSPOSE is
//   left only where a model reorders dimensions in a way nothing else absorbs.
// - Batch norm becomes MUL and ADD by per-channel constants, which the rewrites
//   fold into the preceding convolution.
import { ConvertError, unsupported } from './errors.js';
import { Graph, elements, type Node, type OpOptions } from './graph.js';
import { decodeOnnx, OnnxType, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-schema.js';
import { windowGeometry } from './float-run.js';
import type { OpName } from './tflite-schema.js';

interface Const { kind: 'const'; dims: number[]; int: boolean; data: Float64Array }
interface Act {
  kind: 'act';
  ir: string;
  /** The shape ONNX sees. */
  shape: number[];
  /** A 4-D NCHW tensor held as NHWC. */
  nhwc: boolean;
  /** A [N, C*H*W] flatten of an NHWC tensor, held in H, W, C order: Gemm/MatMul permute their weights. */
  flat?: { c: number; h: number; w: number };
}
type Value = Const | Act;

export interface SourceInput {
  name: string;
  /** The shape in the ONNX model (NCHW for images). */
  sourceShape: number[];
  /** The converted model's shape. */
  shape: number[];
  /** Data in the source layout is NCHW and the converted input is NHWC. */
  nchw: boolean;
}

export interface OnnxImport {
  graph: Graph;
  inputs: SourceInput[];
  outputs: SourceInput[];
  opset: number;
  producer: string;
}

const MIN_OPSET = 11, MAX_OPSET = 18;

const NCHW_TO_NHWC = [0, 2, 3, 1], NHWC_TO_NCHW = [0, 3, 1, 2];
/** Position in NHWC of each NCHW axis. */
const nhwcAxis = (a: number): number => [0, 3, 1, 2][a]!;

function permuteDims<T>(dims: readonly T[], perm: readonly number[]): T[] {
  return perm.map((p) => dims[p]!);
}

function transposeN(data: Float64Array, dims: readonly number[], perm: readonly number[]): Float64Array {
  const rank = dims.length;
  const outDims = permuteDims(dims, perm);
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) { strides[i] = s; s *= dims[i]!; }
  const out = new Float64Array(data.length);
  const coord = new Array<number>(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    let at = 0;
    for (let i = 0; i < rank; i++) at += coord[i]! * strides[perm[i]!]!;
    out[k] = data[at]!;
    for (let i = rank - 1; i >= 0; i--) { if (++coord[i]! < outDims[i]!) break; coord[i] = 0; }
  }
  return out;
}

function broadcastShape(a: readonly number[], b: readonly number[], node: OnnxNode): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1, y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw unsupported(nodeId(node), `shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

function broadcastConst(c: Const, outDims: readonly number[]): Float64Array {
  const rank = outDims.length;
  const dims = [...Array(rank - c.dims.length).fill(1), ...c.dims] as number[];
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) { strides[i] = dims[i] === 1 ? 0 : s; s *= dims[i]!; }
  const out = new Float64Array(elements(outDims));
  const coord = new Array<number>(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    let at = 0;
    for (let i = 0; i < rank; i++) at += coord[i]! * strides[i]!;
    out[k] = c.data[at]!;
    for (let i = rank - 1; i >= 0; i--) { if (++coord[i]! < outDims[i]!) break; coord[i] = 0; }
  }
  return out;
}

const nodeId = (n: OnnxNode): { name: string; opType: string } => ({ name: n.name || n.output?.[0] || '?', opType: n.opType ?? '?' });

function tensorValues(t: OnnxTensor, where: string): Const {
  const dims = (t.dims ?? []).map(Number);
  const n = elements(dims);
  const type = t.dataType ?? 0;
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new ConvertError('UNSUPPORTED_MODEL', `${where}: tensor data stored in an external file is not supported; save the model with its weights inside`);
  }
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const data = new Float64Array(n);
  const need = (size: number): void => {
    const have = raw ? raw.length : -1;
    if (raw && have !== n * size) throw new ConvertError('BAD_MODEL', `${where}: ${have} bytes of data for ${n} values of ${size} bytes`);
  };
  const fromList = (list: number[] | undefined): void => {
    const l = list ?? [];
    if (l.length !== n) throw new ConvertError('BAD_MODEL', `${where}: ${l.length} values for shape [${dims.join(',')}]`);
    for (let i = 0; i < n; i++) data[i] = Number(l[i]);
  };
  switch (type) {
    case OnnxType.FLOAT:
      need(4);
      if (view) for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true); else fromList(t.floatData);
      return { kind: 'const', dims, int: false, data };
    case OnnxType.DOUBLE:
      need(8);
      if (view) for (let i = 0; i < n; i++) data[i] = view.getFloat64(8 * i, true); else fromList(t.doubleData);
      return { kind: 'const', dims, int: false, data };
    case OnnxType.FLOAT16:
      need(2);
      if (view) {
        for (let i = 0; i < n; i++) data[i] = half(view.getUint16(2 * i, true));
      } else {
        const l = t.int32Data ?? [];
        if (l.length !== n) throw new ConvertError('BAD_MODEL', `${where}: ${l.length} values for shape [${dims.join(',')}]`);
        for (let i = 0; i < n; i++) data[i] = half(l[i]!);
      }
      return { kind: 'const', dims, int: false, data };
    case OnnxType.INT64:
      need(8);
      if (view) for (let i = 0; i < n; i++) data[i] = Number(view.getBigInt64(8 * i, true)); else fromList(t.int64Data);
      return { kind: 'const', dims, int: true, data };
    case OnnxType.INT32: case OnnxType.INT16: case OnnxType.INT8: case OnnxType.UINT8: case OnnxType.BOOL: case OnnxType.UINT16: {
      const size = type === OnnxType.INT32 ? 4 : type === OnnxType.INT16 || type === OnnxType.UINT16 ? 2 : 1;
      need(size);
      if (view) {
        for (let i = 0; i < n; i++) {
          data[i] = size === 4 ? view.getInt32(4 * i, true) : size === 2 ? (type === OnnxType.INT16 ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true)) : type === OnnxType.INT8 ? view.getInt8(i) : view.getUint8(i);
        }
      } else fromList(t.int32Data);
      return { kind: 'const', dims, int: true, data };
    }
    default:
      throw new ConvertError('UNSUPPORTED_MODEL', `${where}: tensor data type ${type} is not supported`);
  }
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

class Attrs {
  private readonly map = new Map<string, OnnxAttribute>();
  constructor(private readonly node: OnnxNode) {
    for (const a of node.attribute ?? []) this.map.set(a.name, a);
  }
  has(name: string): boolean { return this.map.has(name); }
  int(name: string, dflt: number): number { const a = this.map.get(name); return a?.i !== undefined ? Number(a.i) : dflt; }
  float(name: string, dflt: number): number { const a = this.map.get(name); return a?.f !== undefined ? a.f : dflt; }
  ints(name: string, dflt: number[] | null = null): number[] | null { const a = this.map.get(name); return a?.ints ? a.ints.map(Number) : dflt; }
  str(name: string, dflt: string): string { const a = this.map.get(name); return a?.s ? new TextDecoder().decode(a.s) : dflt; }
  tensor(name: string): OnnxTensor | undefined { return this.map.get(name)?.t; }
  floats(name: string): number[] | null { const a = this.map.get(name); return a?.floats ?? null; }
  names(): string[] { return [...this.map.keys()]; }
  check(allowed: readonly string[]): void {
    for (const k of this.map.keys()) if (!allowed.includes(k)) throw unsupported(nodeId(this.node), `attribute '${k}' is not supported`);
  }
}

function parse(bytes: Uint8Array): OnnxModel {
  let model: OnnxModel;
  try {
    model = decodeOnnx(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    if (/index out of range/.test(msg)) throw new ConvertError('TRUNCATED_MODEL', `the ONNX protobuf ends too soon (${msg}): the file is truncated`);
    throw new ConvertError('NOT_A_MODEL', `not an ONNX model: the protobuf does not decode (${msg})`);
  }
  if (!model.graph || !(model.irVersion! > 0) || (model.opsetImport ?? []).length === 0) {
    throw new ConvertError('NOT_A_MODEL', 'not an ONNX model: no graph, IR version or opset import');
  }
  return model;
}

/** --input-shape values: name (or '' for the only input) to dims. */
export type InputShapes = ReadonlyMap<string, readonly number[]>;

export function readOnnx(bytes: Uint8Array, inputShapes: InputShapes = new Map()): OnnxImport {
  const model = parse(bytes);
  const graph = model.graph!;
  let opset = 0;
  for (const o of model.opsetImport ?? []) {
    const domain = o.domain ?? '';
    if (domain === '' || domain === 'ai.onnx') opset = Number(o.version ?? 0);
  }
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ConvertError('UNSUPPORTED_OPSET', `the model uses ONNX opset ${opset}; the converter reads opsets ${MIN_OPSET} to ${MAX_OPSET} (re-export it, e.g. torch.onnx.export(..., opset_version=13))`);
  }
  if ((graph.sparseInitializer ?? []).length > 0) throw new ConvertError('UNSUPPORTED_MODEL', 'sparse initializers are not supported');
  return new Lowering(graph, opset, inputShapes, model.producerName ?? '').run();
}

class Lowering {
  private readonly g = new Graph();
  private readonly values = new Map<string, Value>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly sources: SourceInput[] = [];

  constructor(private readonly onnx: NonNullable<OnnxModel['graph']>, private readonly opset: number, private readonly shapes: InputShapes, private readonly producer: string) {
    for (const n of onnx.node ?? []) for (const i of n.input ?? []) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
  }

  run(): OnnxImport {
    for (const t of this.onnx.initializer ?? []) this.values.set(t.name ?? '', tensorValues(t, `initializer '${t.name}'`));
    const realInputs = (this.onnx.input ?? []).filter((v) => !this.values.has(v.name));
    if (realInputs.length === 0) throw new ConvertError('BAD_MODEL', 'the graph has no inputs');
    for (const key of this.shapes.keys()) {
      if (key !== '' && !realInputs.some((v) => v.name === key)) throw new ConvertError('BAD_OPTION', `--input-shape names '${key}', the model's inputs are ${realInputs.map((v) => `'${v.name}'`).join(', ')}`);
    }
    if (this.shapes.has('') && realInputs.length > 1) throw new ConvertError('BAD_OPTION', `the model has ${realInputs.length} inputs: give --input-shape NAME=DIMS for each`);
    for (const v of realInputs) this.input(v, realInputs.length === 1);
    for (const n of this.onnx.node ?? []) this.lower(n);
    const outputs: SourceInput[] = [];
    for (const o of this.onnx.output ?? []) {
      const v = this.values.get(o.name);
      if (v === undefined) throw new ConvertError('BAD_MODEL', `output '${o.name}' is produced by no node`);
      if (v.kind === 'const') throw new ConvertError('UNSUPPORTED_MODEL', `output '${o.name}' is a constant`);
      let act = v.flat ? this.unflatten(v, o.name) : v;
      if (this.g.outputs.includes(act.ir) || this.g.inputs.includes(act.ir)) act = this.copyOf(act, o.name);
      this.g.outputs.push(act.ir);
      outputs.push({ name: o.name, sourceShape: act.shape, shape: this.g.tensor(act.ir).shape, nchw: act.nhwc });
    }
    this.g.prune();
    return { graph: this.g, inputs: this.sources, outputs, opset: this.opset, producer: this.producer };
  }

  private input(v: OnnxValueInfo, only: boolean): void {
    const tt = v.type?.tensorType;
    if (tt?.elemType !== OnnxType.FLOAT) throw new ConvertError('UNSUPPORTED_MODEL', `input '${v.name}' is not float32 (ONNX type ${tt?.elemType ?? 'unknown'})`);
    const given = this.shapes.get(v.name) ?? (only ? this.shapes.get('') : undefined);
    const dims = tt.shape?.dim ?? [];
    let shape: number[];
    if (given !== undefined) {
      if (dims.length > 0 && given.length !== dims.length) throw new ConvertError('BAD_OPTION', `--input-shape for '${v.name}' has ${given.length} dimensions, the model's input has ${dims.length}`);
      dims.forEach((d, i) => {
        if (d.dimValue !== undefined && Number(d.dimValue) > 0 && Number(d.dimValue) !== given[i]) {
          throw new ConvertError('BAD_OPTION', `--input-shape for '${v.name}': dimension ${i} is fixed at ${d.dimValue} in the model, not ${given[i]}`);
        }
      });
      shape = [...given];
    } else {
      shape = dims.map((d, i) => {
        const value = d.dimValue !== undefined ? Number(d.dimValue) : -1;
        if (value > 0) return value;
        if (i === 0) return 1;    // a free batch dimension: one sample at a time
        const shown = dims.map((x) => (x.dimValue !== undefined && Number(x.dimValue) > 0 ? String(x.dimValue) : x.dimParam || '?')).join(',');
        throw new ConvertError('DYNAMIC_SHAPE', `input '${v.name}' has the dynamic shape [${shown}]: dimension ${i} ('${d.dimParam || '?'}') must be fixed; give it with --input-shape ${v.name}=${dims.map((x, k) => (k === 0 ? 1 : x.dimValue !== undefined && Number(x.dimValue) > 0 ? x.dimValue : 'N')).join(',')}`);
      });
      if (dims.length === 0) throw new ConvertError('DYNAMIC_SHAPE', `input '${v.name}' has no shape in the model; give it with --input-shape ${v.name}=1,C,H,W`);
    }
    // 4-D inputs are images in NCHW unless the model itself transposes them from NHWC first
    const uses = this.consumers.get(v.name) ?? [];
    const alreadyNhwc = uses.length > 0 && uses.every((n) => n.opType === 'Transpose' && JSON.stringify(new Attrs(n).ints('perm')) === JSON.stringify(NHWC_TO_NCHW));
    const nhwc = shape.length === 4 && !alreadyNhwc;
    const ir = this.g.add({ name: this.g.fresh(v.name), dtype: 'float32', shape: nhwc ? permuteDims(shape, NCHW_TO_NHWC) : shape });
    this.g.inputs.push(ir);
    this.values.set(v.name, { kind: 'act', ir, shape, nhwc });
    this.sources.push({ name: v.name, sourceShape: shape, shape: this.g.tensor(ir).shape, nchw: nhwc });
  }

  // ---- helpers ----

  private get(name: string, node: OnnxNode): Value {
    const v = this.values.get(name);
    if (v === undefined) throw new ConvertError('BAD_MODEL', `node '${nodeId(node).name}' (${node.opType}) reads '${name}', which nothing produces before it`);
    return v;
  }

  private act(name: string, node: OnnxNode): Act {
    const v = this.get(name, node);
    if (v.kind === 'const') return this.materialize(v, name);
    if (v.flat) return this.unflatten(v, name);
    return v;
  }

  private constOf(name: string | undefined, node: OnnxNode, what: string): Const {
    if (!name) throw unsupported(nodeId(node), `${what} is missing`);
    const v = this.get(name, node);
    if (v.kind !== 'const') throw unsupported(nodeId(node), `${what} must be a constant (it is computed at run time)`);
    return v;
  }

  private optConst(name: string | undefined, node: OnnxNode, what: string): Const | null {
    return name ? this.constOf(name, node, what) : null;
  }

  private materialize(c: Const, name: string): Act {
    const ir = this.g.add({ name: this.g.fresh(name), dtype: 'float32', shape: c.dims.length ? [...c.dims] : [1], data: Float32Array.from(c.data) });
    return { kind: 'act', ir, shape: [...c.dims], nhwc: false };
  }

  private irConst(name: string, shape: number[], data: Float64Array | number[], int = false): string {
    return this.g.add({ name: this.g.fresh(name), dtype: int ? 'int32' : 'float32', shape, data: int ? Int32Array.from(data) : Float32Array.from(data) });
  }

  private emit(op: OpName, node: OnnxNode, inputs: string[], outShape: number[], options: OpOptions = {}, outName?: string): string {
    const out = this.g.add({ name: this.g.fresh(outName ?? node.output?.[0] ?? node.name ?? op), dtype: 'float32', shape: outShape });
    const n: Node = { op, name: node.name || node.output?.[0] || op, inputs, outputs: [out], options };
    this.g.nodes.push(n);
    return out;
  }

  private set(node: OnnxNode, v: Value, index = 0): void {
    const name = node.output?.[index];
    if (name) this.values.set(name, v);
  }

  /** A plain 4-D (NCHW) activation as NHWC, with a TRANSPOSE. */
  private toNhwc(a: Act, node: OnnxNode): Act {
    if (a.nhwc) return a;
    if (a.shape.length !== 4) throw unsupported(nodeId(node), `expects a 4-D NCHW input, got [${a.shape.join(',')}]`);
    const perm = this.irConst(`${a.ir}/perm_nhwc`, [4], NCHW_TO_NHWC, true);
    const out = this.emit('TRANSPOSE', node, [a.ir, perm], permuteDims(a.shape, NCHW_TO_NHWC), {}, `${a.ir}/nhwc`);
    return { kind: 'act', ir: out, shape: a.shape, nhwc: true };
  }

  /** An NHWC activation in ONNX's own (NCHW) order. */
  private toPlain(a: Act, node: OnnxNode): Act {
    if (!a.nhwc) return a;
    const [, c, h, w] = a.shape as [number, number, number, number];
    if (c === 1 || h * w === 1) {   // NHWC and NCHW orders agree: a reshape suffices
      const shape = this.irConst(`${a.ir}/shape`, [4], a.shape, true);
      const out = this.emit('RESHAPE', node, [a.ir, shape], [...a.shape], { newShape: a.shape }, `${a.ir}/nchw`);
      return { kind: 'act', ir: out, shape: a.shape, nhwc: false };
    }
    const perm = this.irConst(`${a.ir}/perm_nchw`, [4], NHWC_TO_NCHW, true);
    const out = this.emit('TRANSPOSE', node, [a.ir, perm], [...a.shape], {}, `${a.ir}/nchw`);
    return { kind: 'act', ir: out, shape: a.shape, nhwc: false };
  }

  /** A flattened NHWC value that must be in ONNX's order after all. */
  private unflatten(a: Act, name: string): Act {
    const { c, h, w } = a.flat!;
    const n = a.shape[0]!;
    const fake: OnnxNode = { name, opType: 'Flatten', output: [name] };
    const shape4 = this.irConst(`${a.ir}/shape4`, [4], [n, h, w, c], true);
    const back = this.emit('RESHAPE', fake, [a.ir, shape4], [n, h, w, c], { newShape: [n, h, w, c] }, `${a.ir}/nhwc`);
    const plain = this.toPlain({ kind: 'act', ir: back, shape: [n, c, h, w], nhwc: true }, fake);
    const shape2 = this.irConst(`${a.ir}/shape2`, [2], a.shape, true);
    const out = this.emit('RESHAPE', fake, [plain.ir, shape2], [...a.shape], { newShape: a.shape }, `${name}/flat`);
    return { kind: 'act', ir: out, shape: a.shape, nhwc: false };
  }

  private copyOf(a: Act, name: string): Act {
    const fake: OnnxNode = { name, opType: 'Identity', output: [name] };
    const shape = this.g.tensor(a.ir).shape;
    const s = this.irConst(`${name}/shape`, [shape.length], shape, true);
    const out = this.emit('RESHAPE', fake, [a.ir, s], [...shape], { newShape: shape }, name);
    return { ...a, ir: out };
  }

  // ---- lowering ----

  private lower(node: OnnxNode): void {
    const id = nodeId(node);
    const domain = node.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') throw unsupported(id, `operators of domain '${domain}' are not supported`);
    const ins = node.input ?? [];
    const allConst = ins.filter((i) => i !== '').every((i) => this.values.get(i)?.kind === 'const');
    const op = node.opType ?? '';
    if (op === 'Constant') return this.constant(node);
    if (allConst && ins.length > 0 && FOLDABLE.has(op)) {
      this.set(node, this.fold(node));
      return;
    }
    switch (op) {
      case 'Identity': case 'Dropout': this.set(node, this.get(ins[0]!, node)); return;
      case 'Conv': return this.conv(node);
      case 'BatchNormalization': return this.batchNorm(node);
      case 'Relu': return this.unary(node, 'RELU');
      case 'Sigmoid': return this.unary(node, 'LOGISTIC');
      case 'Tanh': return this.unary(node, 'TANH');
      case 'HardSwish': return this.unary(node, 'HARD_SWISH');
      case 'LeakyRelu': return this.unary(node, 'LEAKY_RELU', { alpha: new Attrs(node).float('alpha', 0.01) });
      case 'Clip': return this.clip(node);
      case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Max': case 'Min': return this.binary(node);
      case 'Gemm': return this.gemm(node);
      case 'MatMul': return this.matmul(node);
      case 'Flatten': return this.flatten(node);
      case 'Reshape': return this.reshape(node);
      case 'Squeeze': case 'Unsqueeze': return this.squeeze(node);
      case 'Transpose': return this.transpose(node);
      case 'MaxPool': case 'AveragePool': return this.pool(node);
      case 'GlobalAveragePool': return this.globalPool(node, false);
      case 'GlobalMaxPool': return this.globalPool(node, true);
      case 'ReduceMean': return this.reduceMean(node);
      case 'Concat': return this.concat(node);
      case 'Softmax': return this.softmax(node);
      case 'Pad': return this.pad(node);
      case 'Resize': case 'Upsample': return this.resize(node);
      case 'Shape': return this.shapeOf(node);
      case 'Cast': {
        const v = this.get(ins[0]!, node);
        if (new Attrs(node).int('to', 0) !== OnnxType.FLOAT) throw unsupported(id, 'casts of activations to types other than float32 are not supported');
        this.set(node, v);
        return;
      }
      default:
        throw unsupported(id, allConst && ins.length > 0
          ? 'the converter does not evaluate this operator on constants'
          : `no TensorFlow Lite builtin operator of the core maps ONNX ${op} (supported: Conv, Gemm, MatMul, Add, Sub, Mul, Div, Concat, MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Softmax, Relu, Clip, LeakyRelu, HardSwish, Sigmoid, Tanh, Pad, Resize (nearest), BatchNormalization)`);
    }
  }

  private constant(node: OnnxNode): void {
    const a = new Attrs(node);
    const t = a.tensor('value');
    let c: Const;
    if (t) c = tensorValues(t, `node '${nodeId(node).name}'`);
    else if (a.has('value_float')) c = { kind: 'const', dims: [], int: false, data: Float64Array.of(a.float('value_float', 0)) };
    else if (a.has('value_floats')) { const f = a.floats('value_floats')!; c = { kind: 'const', dims: [f.length], int: false, data: Float64Array.from(f) }; }
    else if (a.has('value_int')) c = { kind: 'const', dims: [], int: true, data: Float64Array.of(a.int('value_int', 0)) };
    else if (a.has('value_ints')) { const f = a.ints('value_ints')!; c = { kind: 'const', dims: [f.length], int: true, data: Float64Array.from(f) }; }
    else throw unsupported(nodeId(node), `constant kind ${a.names().join(', ') || '(none)'} is not supported`);
    this.set(node, c);
  }

  private shapeOf(node: OnnxNode): void {
    const v = this.get(node.input![0]!, node);
    const dims = v.kind === 'const' ? v.dims : v.shape;
    const a = new Attrs(node);
    const rank = dims.length;
    const norm = (x: number): number => Math.min(Math.max(x < 0 ? x + rank : x, 0), rank);
    const sel = dims.slice(norm(a.int('start', 0)), norm(a.int('end', rank)));
    this.set(node, { kind: 'const', dims: [sel.length], int: true, data: Float64Array.from(sel) });
  }

  private fold(node: OnnxNode): Const {
    const ins = (node.input ?? []).map((i) => (i ? (this.values.get(i) as Const) : null));
    const a = new Attrs(node);
    const x = ins[0]!;
    const id = nodeId(node);
    switch (node.opType) {
      case 'Identity': case 'Dropout': return x;
      case 'Cast': {
        const to = a.int('to', OnnxType.FLOAT);
        const int = to !== OnnxType.FLOAT && to !== OnnxType.DOUBLE && to !== OnnxType.FLOAT16;
        return { kind: 'const', dims: x.dims, int, data: int ? x.data.map(Math.trunc) : x.data.slice() };
      }
      case 'Shape': return { kind: 'const', dims: [x.dims.length], int: true, data: Float64Array.from(x.dims) };
      case 'Neg': return { ...x, data: x.data.map((v) => -v) };
      case 'Sqrt': return { ...x, data: x.data.map(Math.sqrt) };
      case 'Floor': return { ...x, data: x.data.map(Math.floor) };
      case 'Ceil': return { ...x, data: x.data.map(Math.ceil) };
      case 'Relu': return { ...x, data: x.data.map((v) => Math.max(v, 0)) };
      case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Pow': case 'Max': case 'Min': case 'Equal': {
        let acc = x;
        for (const y of ins.slice(1)) {
          const dims = broadcastShape(acc.dims, y!.dims, node);
          const p = broadcastConst(acc, dims), q = broadcastConst(y!, dims);
          const int = acc.int && y!.int;
          const f = { Add: (u: number, v: number) => u + v, Sub: (u: number, v: number) => u - v, Mul: (u: number, v: number) => u * v,
            Div: (u: number, v: number) => (int ? Math.trunc(u / v) : u / v), Pow: Math.pow, Max: Math.max, Min: Math.min, Equal: (u: number, v: number) => (u === v ? 1 : 0) }[node.opType as 'Add'];
          acc = { kind: 'const', dims, int: node.opType === 'Equal' ? true : int, data: p.map((u, i) => f(u, q[i]!)) };
        }
        return acc;
      }
      case 'Where': {
        const dims = broadcastShape(broadcastShape(x.dims, ins[1]!.dims, node), ins[2]!.dims, node);
        const c = broadcastConst(x, dims), p = broadcastConst(ins[1]!, dims), q = broadcastConst(ins[2]!, dims);
        return { kind: 'const', dims, int: ins[1]!.int, data: c.map((v, i) => (v ? p[i]! : q[i]!)) };
      }
      case 'ConstantOfShape': {
        const dims = Array.from(x.data);
        const t = a.tensor('value');
        const v = t ? tensorValues(t, `node '${id.name}'`) : { int: false, data: Float64Array.of(0) };
        return { kind: 'const', dims, int: v.int, data: new Float64Array(elements(dims)).fill(v.data[0] ?? 0) };
      }
      case 'Range': {
        const [s, l, d] = [ins[0]!.data[0]!, ins[1]!.data[0]!, ins[2]!.data[0]!];
        const n = Math.max(Math.ceil((l - s) / d), 0);
        return { kind: 'const', dims: [n], int: x.int, data: Float64Array.from({ length: n }, (_, i) => s + i * d) };
      }
      case 'Unsqueeze': {
        const axes = (this.opset >= 13 ? Array.from(ins[1]?.data ?? []) : a.ints('axes', [])!);
        const rank = x.dims.length + axes.length;
        const norm = axes.map((ax) => (ax < 0 ? ax + rank : ax)).sort((p, q) => p - q);
        const dims = [...x.dims];
        for (const ax of norm) dims.splice(ax, 0, 1);
        return { ...x, dims };
      }
      case 'Squeeze': {
        const axesIn = this.opset >= 13 ? (ins[1] ? Array.from(ins[1].data) : null) : a.ints('axes');
        const axes = axesIn?.map((ax) => (ax < 0 ? ax + x.dims.length : ax)) ?? x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
        return { ...x, dims: x.dims.filter((_, i) => !axes.includes(i)) };
      }
      case 'Reshape': return { ...x, dims: reshapeDims(x.dims, Array.from(ins[1]!.data), a.int('allowzero', 0) === 1, id) };
      case 'Flatten': {
        const axis = a.int('axis', 1);
        const ax = axis < 0 ? axis + x.dims.length : axis;
        return { ...x, dims: [elements(x.dims.slice(0, ax)), elements(x.dims.slice(ax))] };
      }
      case 'Transpose': {
        const perm = a.ints('perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
        return { ...x, dims: permuteDims(x.dims, perm), data: transposeN(x.data, x.dims, perm) };
      }
      case 'Concat': {
        const parts = ins.filter((p): p is Const => p !== null);
        const rank = parts[0]!.dims.length;
        const axis = (a.int('axis', 0) + rank) % rank;
        const outer = elements(parts[0]!.dims.slice(0, axis));
        const dims = [...parts[0]!.dims];
        dims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
        const data = new Float64Array(elements(dims));
        let o = 0;
        for (let k = 0; k < outer; k++) for (const p of parts) { const chunk = elements(p.dims.slice(axis)); data.set(p.data.subarray(k * chunk, (k + 1) * chunk), o); o += chunk; }
        return { kind: 'const', dims, int: parts.every((p) => p.int), data };
      }
      case 'Gather': {
        const axis = (a.int('axis', 0) + x.dims.length) % x.dims.length;
        const idx = ins[1]!;
        const outer = elements(x.dims.slice(0, axis)), inner = elements(x.dims.slice(axis + 1)), size = x.dims[axis]!;
        const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
        const data = new Float64Array(elements(dims));
        let o = 0;
        for (let k = 0; k < outer; k++) for (const i of idx.data) { const j = i < 0 ? i + size : i; data.set(x.data.subarray((k * size + j) * inner, (k * size + j + 1) * inner), o); o += inner; }
        return { kind: 'const', dims, int: x.int, data };
      }
      case 'Slice': {
        const starts = Array.from(ins[1]!.data), ends = Array.from(ins[2]!.data);
        const axes = ins[3] ? Array.from(ins[3].data) : starts.map((_, i) => i);
        const steps = ins[4] ? Array.from(ins[4].data) : starts.map(() => 1);
        let cur = x;
        axes.forEach((axRaw, k) => {
          const ax = axRaw < 0 ? axRaw + cur.dims.length : axRaw;
          const size = cur.dims[ax]!, step = steps[k]!;
          const clampS = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
          let s = starts[k]!, e = ends[k]!;
          if (s < 0) s += size;
          if (e < 0) e += size;
          const picks: number[] = [];
          if (step > 0) { s = clampS(s, 0, size); e = clampS(e, 0, size); for (let i = s; i < e; i += step) picks.push(i); }
          else { s = clampS(s, -1, size - 1); e = clampS(e, -1, size - 1); for (let i = s; i > e; i += step) picks.push(i); }
          const outer = elements(cur.dims.slice(0, ax)), inner = elements(cur.dims.slice(ax + 1));
          const dims = [...cur.dims];
          dims[ax] = picks.length;
          const data = new Float64Array(elements(dims));
          let o = 0;
          for (let q = 0; q < outer; q++) for (const i of picks) { data.set(cur.data.subarray((q * size + i) * inner, (q * size + i + 1) * inner), o); o += inner; }
          cur = { kind: 'const', dims, int: cur.int, data };
        });
        return cur;
      }
      default:
        throw unsupported(id, 'the converter does not evaluate this operator on constants');
    }
  }

  private unary(node: OnnxNode, op: OpName, options: OpOptions = {}): void {
    const x = this.act(node.input![0]!, node);
    const out = this.emit(op, node, [x.ir], [...this.g.tensor(x.ir).shape], options);
    this.set(node, { kind: 'act', ir: out, shape: x.shape, nhwc: x.nhwc });
  }

  private clip(node: OnnxNode): void {
    const lo = this.optConst(node.input?.[1], node, 'the minimum')?.data[0] ?? -Infinity;
    const hi = this.optConst(node.input?.[2], node, 'the maximum')?.data[0] ?? Infinity;
    if (lo === 0 && hi === 6) return this.unary(node, 'RELU6');
    if (lo === 0 && hi === Infinity) return this.unary(node, 'RELU');
    const x = this.act(node.input![0]!, node);
    const shape = [...this.g.tensor(x.ir).shape];
    let cur = x.ir;
    if (lo > -Infinity) cur = this.emit('MAXIMUM', node, [cur, this.irConst(`${node.output![0]}/min`, [1], [lo])], shape, {}, `${node.output![0]}/lo`);
    if (hi < Infinity) cur = this.emit('MINIMUM', node, [cur, this.irConst(`${node.output![0]}/max`, [1], [hi])], shape);
    this.set(node, { kind: 'act', ir: cur, shape: x.shape, nhwc: x.nhwc });
  }

  /** Padding of a window op as TFLite's SAME or VALID, or the explicit pads a PAD must add. */
  private padding(node: OnnxNode, inH: number, inW: number, k: [number, number], s: [number, number], d: [number, number], countPads = false):
    { padding: 'SAME' | 'VALID'; explicit: number[] | null } {
    const a = new Attrs(node);
    const auto = a.str('auto_pad', 'NOTSET');
    if (auto === 'VALID') return { padding: 'VALID', explicit: null };
    if (auto === 'SAME_UPPER') return { padding: 'SAME', explicit: null };
    let pads = a.ints('pads', [0, 0, 0, 0])!;
    if (auto === 'SAME_LOWER') {
      pads = [0, 1].flatMap(() => []);
      const p: number[] = [];
      for (const [i, size] of [inH, inW].entries()) {
        const gm = windowGeometry(size, k[i]!, s[i]!, d[i]!, 'SAME');
        const total = Math.max((gm.out - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - size, 0);
        p[i] = total - Math.floor(total / 2);
        p[i + 2] = Math.floor(total / 2);
      }
      pads = p;
    }
    if (pads.length !== 4 || pads.some((p) => p < 0)) throw unsupported(nodeId(node), `pads [${pads.join(',')}] are not supported`);
    if (pads.every((p) => p === 0)) return { padding: 'VALID', explicit: null };
    if (!countPads) {
      let same = true;
      for (const [i, size] of [inH, inW].entries()) {
        const gm = windowGeometry(size, k[i]!, s[i]!, d[i]!, 'SAME');
        const eff = (k[i]! - 1) * d[i]! + 1;
        const onnxOut = Math.floor((size + pads[i]! + pads[i + 2]! - eff) / s[i]!) + 1;
        if (pads[i] !== gm.before || onnxOut !== gm.out) same = false;
      }
      if (same) return { padding: 'SAME', explicit: null };
    }
    return { padding: 'VALID', explicit: pads };
  }

  private explicitPad(x: Act, pads: number[], node: OnnxNode): string {
    const [n, h, w, c] = this.g.tensor(x.ir).shape as [number, number, number, number];
    const paddings = this.irConst(`${node.output![0]}/paddings`, [4, 2], [0, 0, pads[0]!, pads[2]!, pads[1]!, pads[3]!, 0, 0], true);
    return this.emit('PAD', node, [x.ir, paddings], [n, h + pads[0]! + pads[2]!, w + pads[1]! + pads[3]!, c], {}, `${node.output![0]}/padded`);
  }

  private conv(node: OnnxNode): void {
    const id = nodeId(node);
    const a = new Attrs(node);
    a.check(['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad']);
    const xv = this.act(node.input![0]!, node);
    const wc = this.constOf(node.input![1], node, 'the weights');
    const bc = this.optConst(node.input?.[2], node, 'the bias');
    if (wc.dims.length !== 4) throw unsupported(id, `only 2-D convolutions map (weights [${wc.dims.join(',')}])`);
    const x = this.toNhwc(xv, node);
    const [, C, H, W] = x.shape as [number, number, number, number];
    const [M, Cg, KH, KW] = wc.dims as [number, number, number, number];
    const group = a.int('group', 1);
    const s = (a.ints('strides', [1, 1])!) as [number, number];
    const d = (a.ints('dilations', [1, 1])!) as [number, number];
    if (Cg * group !== C) throw new ConvertError('BAD_MODEL', `node '${id.name}' (Conv): weights [${wc.dims.join(',')}] with group ${group} do not fit ${C} input channels`);
    const { padding, explicit } = this.padding(node, H, W, [KH, KW], s, d);
    const input = explicit ? this.explicitPad(x, explicit, node) : x.ir;
    const [, ih, iw] = this.g.tensor(input).shape as [number, number, number, number];
    const oh = windowGeometry(ih, KH, s[0], d[0], padding).out, ow = windowGeometry(iw, KW, s[1], d[1], padding).out;
    const bias = this.irConst(`${node.output![0]}/bias`, [M], bc ? bc.data : new Float64Array(M));
    const opts: OpOptions = { padding, strideH: s[0], strideW: s[1], dilationH: d[0], dilationW: d[1] };
    let out: string;
    if (group === 1) {
      const filter = this.irConst(`${node.output![0]}/weights`, [M, KH, KW, C], transposeN(wc.data, wc.dims, [0, 2, 3, 1]));
      out = this.emit('CONV_2D', node, [input, filter, bias], [1 * x.shape[0]!, oh, ow, M], opts);
    } else if (group === C && Cg === 1) {
      const filter = this.irConst(`${node.output![0]}/weights`, [1, KH, KW, M], transposeN(wc.data, [M, KH, KW], [1, 2, 0]));
      out = this.emit('DEPTHWISE_CONV_2D', node, [input, filter, bias], [x.shape[0]!, oh, ow, M], { ...opts, depthMultiplier: M / C });
    } else {
      throw unsupported(id, `grouped convolution (group ${group} of ${C} channels) has no TensorFlow Lite builtin; only group 1 and depthwise (group = channels) map`);
    }
    this.set(node, { kind: 'act', ir: out, shape: [x.shape[0]!, M, oh, ow], nhwc: true });
  }

  /** A per-channel constant (channel axis 1 in ONNX) shaped for x's physical layout. */
  private channelConst(name: string, x: Act, values: Float64Array): string {
    const rank = x.shape.length;
    const shape = x.nhwc ? [1, 1, 1, values.length] : rank === 2 ? [1, values.length] : null;
    if (shape === null) throw new ConvertError('UNSUPPORTED_MODEL', `per-channel constant '${name}' on a ${rank}-D tensor`);
    return this.irConst(name, shape, values);
  }

  private batchNorm(node: OnnxNode): void {
    const x = this.act(node.input![0]!, node);
    const [scale, bias, mean, varc] = [1, 2, 3, 4].map((i) => this.constOf(node.input![i], node, ['', 'scale', 'bias', 'mean', 'variance'][i]!));
    const eps = new Attrs(node).float('epsilon', 1e-5);
    const gain = scale!.data.map((g, i) => g / Math.sqrt(varc!.data[i]! + Math.fround(eps)));
    const shift = bias!.data.map((b, i) => b - mean!.data[i]! * gain[i]!);
    const shape = [...this.g.tensor(x.ir).shape];
    const name = node.output![0]!;
    const m = this.emit('MUL', node, [x.ir, this.channelConst(`${name}/gain`, x, gain)], shape, {}, `${name}/scaled`);
    const out = this.emit('ADD', node, [m, this.channelConst(`${name}/shift`, x, shift)], shape);
    this.set(node, { kind: 'act', ir: out, shape: x.shape, nhwc: x.nhwc });
  }

  private binary(node: OnnxNode): void {
    const id = nodeId(node);
    const op = node.opType!;
    if ((node.input ?? []).length !== 2) throw unsupported(id, `${op} of ${(node.input ?? []).length} inputs is not supported`);
    let [p, q] = node.input!.map((i) => this.get(i, node)) as [Value, Value];
    if (p.kind === 'act' && p.flat) p = this.unflatten(p, node.input![0]!);
    if (q.kind === 'act' && q.flat) q = this.unflatten(q, node.input![1]!);
    const tfl: OpName = { Add: 'ADD', Sub: 'SUB', Mul: 'MUL', Div: 'MUL', Max: 'MAXIMUM', Min: 'MINIMUM' }[op as 'Add'] as OpName;
    if (op === 'Div') {
      if (q.kind !== 'const') throw unsupported(id, 'division by a computed tensor has no int8 builtin; only division by a constant maps (as MUL)');
      q = { ...q, data: q.data.map((v) => 1 / v) };
    }
    // one activation side decides the layout; constants follow it
    const layoutOf = (v: Value): Act | null => (v.kind === 'act' ? v : null);
    let ref = layoutOf(p) ?? layoutOf(q)!;
    const other = p.kind === 'act' && q.kind === 'act' ? (p === ref ? q : p) : null;
    if (other && other.nhwc !== ref.nhwc) {
      if (!ref.nhwc) ref = this.toNhwc(ref, node);
      else if (other.shape.length === 4) {
        if (p === other) p = this.toNhwc(other, node); else q = this.toNhwc(other, node);
      } else throw unsupported(id, `broadcasting [${other.shape.join(',')}] against a 4-D image tensor is not supported`);
      if (p.kind === 'act' && !p.nhwc && p.shape.length === 4) p = this.toNhwc(p, node);
      if (q.kind === 'act' && !q.nhwc && q.shape.length === 4) q = this.toNhwc(q, node);
    }
    const nhwc = (p.kind === 'act' && p.nhwc) || (q.kind === 'act' && q.nhwc);
    const onnxShape = broadcastShape(p.kind === 'act' ? p.shape : p.dims, q.kind === 'act' ? q.shape : q.dims, node);
    const operand = (v: Value, name: string): string => {
      if (v.kind === 'act') return v.ir;
      if (!nhwc) return this.irConst(name, v.dims.length ? v.dims : [1], v.data);
      const dims4 = [...Array(4 - v.dims.length).fill(1), ...v.dims] as number[];
      return this.irConst(name, permuteDims(dims4, NCHW_TO_NHWC), transposeN(v.data, dims4, NCHW_TO_NHWC));
    };
    const outShape = nhwc ? permuteDims(onnxShape, NCHW_TO_NHWC) : onnxShape;
    const out = this.emit(tfl, node, [operand(p, `${node.output![0]}/a`), operand(q, `${node.output![0]}/b`)], outShape);
    this.set(node, { kind: 'act', ir: out, shape: onnxShape, nhwc });
  }

  private fullyConnected(node: OnnxNode, x: Act, weights: Float64Array, units: number, bias: Float64Array | null): void {
    const inner = x.shape[x.shape.length - 1]!;
    let w = weights;
    if (x.flat) {
      // the input holds (h, w, c) where ONNX has (c, h, w): move the weight columns to match
      const { c, h, w: wd } = x.flat;
      w = new Float64Array(weights.length);
      for (let u = 0; u < units; u++) for (let y = 0; y < h; y++) for (let xx = 0; xx < wd; xx++) for (let ch = 0; ch < c; ch++) {
        w[u * inner + (y * wd + xx) * c + ch] = weights[u * inner + (ch * h + y) * wd + xx]!;
      }
    }
    const name = node.output![0]!;
    const wt = this.irConst(`${name}/weights`, [units, inner], w);
    const bt = this.irConst(`${name}/bias`, [units], bias ?? new Float64Array(units));
    const shape = [...x.shape.slice(0, -1), units];
    const keep = x.shape.length > 2;
    const physical = keep ? shape : [elements(x.shape.slice(0, -1)), units];
    const out = this.emit('FULLY_CONNECTED', node, [x.ir, wt, bt], physical, keep ? { keepNumDims: true } : {});
    this.set(node, { kind: 'act', ir: out, shape, nhwc: false });
  }

  private gemm(node: OnnxNode): void {
    const id = nodeId(node);
    const a = new Attrs(node);
    if (a.int('transA', 0) !== 0) throw unsupported(id, 'transA=1 is not supported');
    let x = this.get(node.input![0]!, node);
    if (x.kind === 'const') x = this.materialize(x, node.input![0]!);
    if (x.nhwc) x = this.toPlain(x, node);
    const b = this.constOf(node.input![1], node, 'B (the weights)');
    const c = this.optConst(node.input?.[2], node, 'C (the bias)');
    const alpha = a.float('alpha', 1), beta = a.float('beta', 1);
    const [r, k] = b.dims as [number, number];
    const transB = a.int('transB', 0) === 1;
    const units = transB ? r : k;
    const weights = (transB ? b.data : transposeN(b.data, b.dims, [1, 0])).map((v) => v * alpha);
    let bias: Float64Array | null = null;
    if (c) bias = broadcastConst(c, [units]).map((v) => v * beta);
    if (x.shape.length !== 2) throw unsupported(id, `Gemm input must be 2-D, got [${x.shape.join(',')}]`);
    this.fullyConnected(node, x, weights, units, bias);
  }

  private matmul(node: OnnxNode): void {
    const id = nodeId(node);
    let x = this.get(node.input![0]!, node);
    const bv = this.get(node.input![1]!, node);
    if (x.kind === 'const' || bv.kind !== 'const') throw unsupported(id, 'only activation x constant matrix products map (FULLY_CONNECTED)');
    if (x.nhwc) x = this.toPlain(x, node);
    if (bv.dims.length !== 2) throw unsupported(id, `the weights must be a matrix, got [${bv.dims.join(',')}]`);
    const [k, units] = bv.dims as [number, number];
    if (x.shape[x.shape.length - 1] !== k) throw new ConvertError('BAD_MODEL', `node '${id.name}' (MatMul): [${x.shape.join(',')}] x [${bv.dims.join(',')}]`);
    this.fullyConnected(node, x, transposeN(bv.data, bv.dims, [1, 0]), units, null);
  }

  /** Only Gemm and MatMul (as their data input) read `name`: a flatten of NHWC can keep H, W, C order. */
  private onlyDense(name: string): boolean {
    const uses = this.consumers.get(name) ?? [];
    const isOutput = (this.onnx.output ?? []).some((o) => o.name === name);
    return !isOutput && uses.length > 0 && uses.every((n) => (n.opType === 'Gemm' || n.opType === 'MatMul') && n.input?.[0] === name && n.input?.[1] !== name &&
      this.values.get(n.input?.[1] ?? '')?.kind === 'const' && new Attrs(n).int('transA', 0) === 0);
  }

  private flattenTo(node: OnnxNode, x: Act, dims: number[]): void {
    const name = node.output![0]!;
    if (x.nhwc && dims.length === 2 && dims[0] === x.shape[0]) {
      const [n, c, h, w] = x.shape as [number, number, number, number];
      if (h * w === 1 || c === 1 || this.onlyDense(name)) {
        const s = this.irConst(`${name}/shape`, [2], dims, true);
        const out = this.emit('RESHAPE', node, [x.ir, s], dims, { newShape: dims });
        this.set(node, { kind: 'act', ir: out, shape: dims, nhwc: false, ...(h * w === 1 || c === 1 ? {} : { flat: { c, h, w } }) });
        void n;
        return;
      }
    }
    const plain = this.toPlain(x, node);
    const s = this.irConst(`${name}/shape`, [dims.length], dims, true);
    const out = this.emit('RESHAPE', node, [plain.ir, s], dims, { newShape: dims });
    this.set(node, { kind: 'act', ir: out, shape: dims, nhwc: false });
  }

  private flatten(node: OnnxNode): void {
    const x = this.act(node.input![0]!, node);
    const axisRaw = new Attrs(node).int('axis', 1);
    const axis = axisRaw < 0 ? axisRaw + x.shape.length : axisRaw;
    this.flattenTo(node, x, [elements(x.shape.slice(0, axis)), elements(x.shape.slice(axis))]);
  }

  private reshape(node: OnnxNode): void {
    const x = this.act(node.input![0]!, node);
    const target = this.constOf(node.input![1], node, 'the shape');
    const dims = reshapeDims(x.shape, Array.from(target.data), new Attrs(node).int('allowzero', 0) === 1, nodeId(node));
    if (elements(dims) !== elements(x.shape)) throw new ConvertError('BAD_MODEL', `node '${nodeId(node).name}' (Reshape): [${x.shape.join(',')}] cannot become [${dims.join(',')}]`);
    this.flattenTo(node, x, dims);
  }

  private squeeze(node: OnnxNode): void {
    const x = this.act(node.input![0]!, node);
    const a = new Attrs(node);
    const axesConst = this.opset >= 13 ? this.optConst(node.input?.[1], node, 'the axes') : null;
    const axes = axesConst ? Array.from(axesConst.data) : a.ints('axes');
    let dims: number[];
    if (node.opType === 'Squeeze') {
      const norm = axes?.map((ax) => (ax < 0 ? ax + x.shape.length : ax)) ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
      dims = x.shape.filter((_, i) => !norm.includes(i));
    } else {
      const rank = x.shape.length + (axes?.length ?? 0);
      dims = [...x.shape];
      for (const ax of (axes ?? []).map((v) => (v < 0 ? v + rank : v)).sort((p, q) => p - q)) dims.splice(ax, 0, 1);
    }
    this.flattenTo(node, x, dims);
  }

  private transpose(node: OnnxNode): void {
    const x = this.act(node.input![0]!, node);
    const perm = new Attrs(node).ints('perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    const shape = permuteDims(x.shape, perm);
    const name = node.output![0]!;
    if (!x.nhwc && x.shape.length === 4 && JSON.stringify(perm) === JSON.stringify(NHWC_TO_NCHW)) {
      // NHWC data turned into NCHW: the same bytes as an NHWC value
      this.set(node, { kind: 'act', ir: x.ir, shape, nhwc: true });
      return;
    }
    if (x.nhwc) {
      // physical permutation from the input's NHWC to the result's NHWC
      const q = [perm[0]!, perm[2]!, perm[3]!, perm[1]!].map(nhwcAxis);
      if (q.every((v, i) => v === i)) { this.set(node, { ...x, shape }); return; }
      if (JSON.stringify(perm) === JSON.stringify(NCHW_TO_NHWC)) {
        // the model goes back to NHWC: the data already is
        const s = this.irConst(`${name}/shape`, [4], shape, true);
        const out = this.emit('RESHAPE', node, [x.ir, s], shape, { newShape: shape });
        this.set(node, { kind: 'act', ir: out, shape, nhwc: false });
        return;
      }
      const p = this.irConst(`${name}/perm`, [4], q, true);
      const out = this.emit('TRANSPOSE', node, [x.ir, p], permuteDims(shape, NCHW_TO_NHWC));
      this.set(node, { kind: 'act', ir: out, shape, nhwc: true });
      return;
    }
    const p = this.irConst(`${name}/perm`, [perm.length], perm, true);
    const out = this.emit('TRANSPOSE', node, [x.ir, p], shape);
    this.set(node, { kind: 'act', ir: out, shape, nhwc: false });
  }

  private pool(node: OnnxNode): void {
    const id = nodeId(node);
    const a = new Attrs(node);
    const max = node.opType === 'MaxPool';
    a.check(['kernel_shape', 'strides', 'pads', 'auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'storage_order']);
    if ((node.output ?? []).filter((o) => o).length > 1) throw unsupported(id, 'the indices output of MaxPool is not supported');
    const x = this.toNhwc(this.act(node.input![0]!, node), node);
    const [n, c, H, W] = x.shape as [number, number, number, number];
    const k = a.ints('kernel_shape')!;
    if (k.length !== 2) throw unsupported(id, 'only 2-D pooling maps');
    const s = a.ints('strides', [1, 1])! as [number, number];
    if ((a.ints('dilations', [1, 1]) ?? []).some((v) => v !== 1)) throw unsupported(id, 'dilated pooling has no TensorFlow Lite builtin');
    const includePad = !max && a.int('count_include_pad', 0) === 1;
    let { padding, explicit } = this.padding(node, H, W, k as [number, number], s, [1, 1], includePad);
    if (a.int('ceil_mode', 0) === 1) {
      const pads = a.ints('pads', [0, 0, 0, 0])!;
      for (const [i, size] of [H, W].entries()) {
        const floorOut = Math.floor((size + pads[i]! + pads[i + 2]! - k[i]!) / s[i]!) + 1;
        const ceilOut = Math.ceil((size + pads[i]! + pads[i + 2]! - k[i]!) / s[i]!) + 1;
        if (floorOut !== ceilOut) throw unsupported(id, 'ceil_mode=1 changes the output size here; TensorFlow Lite pooling rounds down (export with ceil_mode=False)');
      }
    }
    if (explicit && max) throw unsupported(id, `padding [${explicit.join(',')}] is neither SAME nor VALID; max pooling over explicit padding has no int8 equivalent`);
    if (explicit && !includePad) throw unsupported(id, `padding [${explicit.join(',')}] is neither SAME nor VALID with count_include_pad=0`);
    const input = explicit ? this.explicitPad(x, explicit, node) : x.ir;
    const [, ih, iw] = this.g.tensor(input).shape as [number, number, number, number];
    const oh = windowGeometry(ih, k[0]!, s[0], 1, padding).out, ow = windowGeometry(iw, k[1]!, s[1], 1, padding).out;
    if (padding === 'SAME' && includePad) padding = 'SAME';
    const out = this.emit(max ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', node, [input], [n, oh, ow, c], { padding, strideH: s[0], strideW: s[1], filterH: k[0]!, filterW: k[1]! });
    this.set(node, { kind: 'act', ir: out, shape: [n, c, oh, ow], nhwc: true });
  }

  private globalPool(node: OnnxNode, max: boolean): void {
    const x = this.toNhwc(this.act(node.input![0]!, node), node);
    const [n, c, H, W] = x.shape as [number, number, number, number];
    const name = node.output![0]!;
    const out = max
      ? this.emit('MAX_POOL_2D', node, [x.ir], [n, 1, 1, c], { padding: 'VALID', strideH: 1, strideW: 1, filterH: H, filterW: W })
      : this.emit('MEAN', node, [x.ir, this.irConst(`${name}/axes`, [2], [1, 2], true)], [n, 1, 1, c], { keepDims: true });
    this.set(node, { kind: 'act', ir: out, shape: [n, c, 1, 1], nhwc: true });
  }

  private reduceMean(node: OnnxNode): void {
    const id = nodeId(node);
    const a = new Attrs(node);
    const x = this.act(node.input![0]!, node);
    const rank = x.shape.length;
    const axesC = this.opset >= 18 ? this.optConst(node.input?.[1], node, 'the axes') : null;
    const axes = (axesC ? Array.from(axesC.data) : a.ints('axes') ?? x.shape.map((_, i) => i)).map((v) => (v < 0 ? v + rank : v));
    const keep = a.int('keepdims', 1) === 1;
    const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const name = node.output![0]!;
    let input = x;
    if (x.nhwc && !keep && axes.includes(1) !== (axes.includes(2) && axes.includes(3)) && !(axes.includes(2) && axes.includes(3))) input = this.toPlain(x, node);
    const phys = input.nhwc ? axes.map(nhwcAxis) : axes;
    const inPhys = this.g.tensor(input.ir).shape;
    const outPhys = keep ? inPhys.map((d, i) => (phys.includes(i) ? 1 : d)) : inPhys.filter((_, i) => !phys.includes(i));
    if (outPhys.length === 0) throw unsupported(id, 'a mean over every axis is not supported');
    const out = this.emit('MEAN', node, [input.ir, this.irConst(`${name}/axes`, [phys.length], phys, true)], outPhys, { keepDims: keep });
    this.set(node, { kind: 'act', ir: out, shape, nhwc: input.nhwc && keep });
  }

  private concat(node: OnnxNode): void {
    const parts = (node.input ?? []).map((i) => this.act(i, node));
    const rank = parts[0]!.shape.length;
    const axisRaw = new Attrs(node).int('axis', 0);
    const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
    const nhwc = parts.some((p) => p.nhwc);
    const xs = nhwc ? parts.map((p) => this.toNhwc(p, node)) : parts;
    const shape = [...xs[0]!.shape];
    shape[axis] = xs.reduce((s, p) => s + p.shape[axis]!, 0);
    const phys = nhwc ? nhwcAxis(axis) : axis;
    const out = this.emit('CONCATENATION', node, xs.map((p) => p.ir), nhwc ? permuteDims(shape, NCHW_TO_NHWC) : shape, { axis: phys });
    this.set(node, { kind: 'act', ir: out, shape, nhwc });
  }

  private softmax(node: OnnxNode): void {
    const id = nodeId(node);
    const x = this.act(node.input![0]!, node);
    const rank = x.shape.length;
    const axisRaw = new Attrs(node).int('axis', this.opset >= 13 ? -1 : 1);
    const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
    const last = x.nhwc ? axis === 1 : axis === rank - 1;
    const flatOk = this.opset < 13 && (axis === rank - 1 || elements(x.shape.slice(axis + 1)) === 1);
    if (!last && !flatOk) throw unsupported(id, `softmax over axis ${axisRaw} of [${x.shape.join(',')}]: TensorFlow Lite's SOFTMAX works on the innermost (channel) axis`);
    const out = this.emit('SOFTMAX', node, [x.ir], [...this.g.tensor(x.ir).shape], { beta: 1 });
    this.set(node, { kind: 'act', ir: out, shape: x.shape, nhwc: x.nhwc });
  }

  private pad(node: OnnxNode): void {
    const id = nodeId(node);
    const a = new Attrs(node);
    if (a.str('mode', 'constant') !== 'constant') throw unsupported(id, `pad mode '${a.str('mode', '')}' is not supported; only constant (zero) padding maps`);
    const pads = Array.from(this.constOf(node.input![1], node, 'the pads').data);
    const value = this.optConst(node.input?.[2], node, 'the constant value')?.data[0] ?? 0;
    if (value !== 0) throw unsupported(id, `padding with ${value} is not supported; only zero padding maps`);
    if (node.input?.[3]) throw unsupported(id, 'the axes input is not supported');
    const x = this.act(node.input![0]!, node);
    const rank = x.shape.length;
    if (pads.some((p) => p < 0)) throw unsupported(id, 'negative pads (cropping) are not supported');
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + rank]!);
    const order = x.nhwc ? NCHW_TO_NHWC : x.shape.map((_, i) => i);
    const paddings = order.flatMap((i) => [pads[i]!, pads[i + rank]!]);
    const name = node.output![0]!;
    const out = this.emit('PAD', node, [x.ir, this.irConst(`${name}/paddings`, [rank, 2], paddings, true)], x.nhwc ? permuteDims(shape, NCHW_TO_NHWC) : shape);
    this.set(node, { kind: 'act', ir: out, shape, nhwc: x.nhwc });
  }

  private resize(node: OnnxNode): void {
    const id = nodeId(node);
    const a = new Attrs(node);
    const mode = a.str('mode', 'nearest');
    if (mode !== 'nearest') throw unsupported(id, `mode '${mode}' is not supported; only nearest maps (RESIZE_NEAREST_NEIGHBOR)`);
    const ctm = a.str('coordinate_transformation_mode', 'half_pixel');
    const nearest = a.str('nearest_mode', 'round_prefer_floor');
    const x = this.toNhwc(this.act(node.input![0]!, node), node);
    const [n, c, H, W] = x.shape as [number, number, number, number];
    let oh: number, ow: number;
    const sizes = node.opType === 'Resize' ? this.optConst(node.input?.[3], node, 'the sizes') : null;
    const scales = node.opType === 'Resize' ? this.optConst(node.input?.[2], node, 'the scales') : this.optConst(node.input?.[1], node, 'the scales');
    if (sizes && sizes.data.length === 4) { oh = sizes.data[2]!; ow = sizes.data[3]!; }
    else if (scales && scales.data.length === 4) {
      if (scales.data[0] !== 1 || scales.data[1] !== 1) throw unsupported(id, 'only spatial resizing maps');
      oh = Math.floor(H * scales.data[2]!); ow = Math.floor(W * scales.data[3]!);
    } else throw unsupported(id, 'the scales or sizes must be constant 4-element tensors');
    const integerUp = oh % H === 0 && ow % W === 0;
    const floorAsym = ctm === 'asymmetric' && nearest === 'floor';
    // for whole-number upscaling, half_pixel with round_prefer_ceil picks the same pixels as floor
    if (!floorAsym && !(integerUp && ((ctm === 'half_pixel' && nearest !== 'round_prefer_floor') || ctm === 'asymmetric'))) {
      throw unsupported(id, `nearest resizing with coordinate_transformation_mode '${ctm}' and nearest_mode '${nearest}' is not what RESIZE_NEAREST_NEIGHBOR computes; export with asymmetric/floor (PyTorch's 'nearest')`);
    }
    const name = node.output![0]!;
    const out = this.emit('RESIZE_NEAREST_NEIGHBOR', node, [x.ir, this.irConst(`${name}/size`, [2], [oh, ow], true)], [n, oh, ow, c]);
    this.set(node, { kind: 'act', ir: out, shape: [n, c, oh, ow], nhwc: true });
  }
}

const FOLDABLE = new Set(['Identity', 'Dropout', 'Cast', 'Shape', 'Neg', 'Sqrt', 'Floor', 'Ceil', 'Relu', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Equal',
  'Where', 'ConstantOfShape', 'Range', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Transpose', 'Concat', 'Gather', 'Slice']);

function reshapeDims(input: readonly number[], target: number[], allowZero: boolean, node: { name: string; opType: string }): number[] {
  const dims = target.map((d, i) => (d === 0 && !allowZero ? input[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
  const free = dims.filter((d) => d === -1).length;
  if (free > 1) throw unsupported(node, `shape [${target.join(',')}] has more than one -1`);
  const total = elements(input);
  if (free === 1) {
    if (known === 0 || total % known !== 0) throw unsupported(node, `[${input.join(',')}] cannot take the shape [${target.join(',')}]`);
    return dims.map((d) => (d === -1 ? total / known : d));
  }
  return dims;
}
