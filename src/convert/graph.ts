// The converter's model in memory: one graph of TensorFlow Lite builtin
// operators on NHWC tensors, float32 until quantization. Importers (ONNX,
// float .tflite) produce it, rewrites and quantization transform it, the
// writer serializes it. Every shape is static and every tensor has one name.
import type { Activation, DType, OpName, Padding } from './tflite-schema.js';

export type ConstData = Float32Array | Int32Array | Int8Array | Uint8Array;

export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  /** Axis of per-channel scales (0 for per-tensor). */
  axis: number;
}

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Constant data (row-major); absent for activations. */
  data?: ConstData;
  quant?: Quantization;
}

export interface OpOptions {
  padding?: Padding;
  strideW?: number;
  strideH?: number;
  dilationW?: number;
  dilationH?: number;
  depthMultiplier?: number;
  filterW?: number;
  filterH?: number;
  activation?: Activation;
  axis?: number;
  beta?: number;
  alpha?: number;
  keepDims?: boolean;
  keepNumDims?: boolean;
  newShape?: number[];
  squeezeDims?: number[];
}

export interface Node {
  op: OpName;
  /** Where it came from (the source node's name), for reports and errors. */
  name: string;
  /** Tensor names; '' for an absent optional input. */
  inputs: string[];
  outputs: string[];
  options: OpOptions;
}

export class Graph {
  readonly tensors = new Map<string, TensorInfo>();
  nodes: Node[] = [];
  inputs: string[] = [];
  outputs: string[] = [];
  /** Names fresh() made by numbering a taken one. */
  private readonly numbered = new Set<string>();

  tensor(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (t === undefined) throw new Error(`internal: no tensor '${name}'`);
    return t;
  }

  add(t: TensorInfo): string {
    this.tensors.set(t.name, t);
    return t.name;
  }

  /** A name not used yet, from a base. */
  fresh(base: string): string {
    if (!this.tensors.has(base)) return base;
    for (let i = 1; ; i++) {
      const name = `${base}_${i}`;
      if (!this.tensors.has(name)) { this.numbered.add(name); return name; }
    }
  }

  isConst(name: string): boolean {
    return name !== '' && this.tensors.get(name)?.data !== undefined;
  }

  producer(name: string): Node | undefined {
    return this.nodes.find((n) => n.outputs.includes(name));
  }

  consumers(name: string): Node[] {
    return this.nodes.filter((n) => n.inputs.includes(name));
  }

  /** Drop tensors nothing refers to. */
  prune(): void {
    const used = new Set<string>([...this.inputs, ...this.outputs]);
    for (const n of this.nodes) for (const t of [...n.inputs, ...n.outputs]) used.add(t);
    for (const name of [...this.tensors.keys()]) if (!used.has(name)) this.tensors.delete(name);
  }

  /** Give tensors named `base_N` their base name back where it is free again. */
  tidyNames(): void {
    for (const old of [...this.tensors.keys()]) {
      const m = /^(.*)_\d+$/.exec(old);
      if (m === null || !this.numbered.has(old) || this.tensors.has(m[1]!)) continue;
      this.numbered.delete(old);
      const base = m[1]!;
      const t = this.tensors.get(old)!;
      this.tensors.delete(old);
      this.tensors.set(base, { ...t, name: base });
      const swap = (x: string): string => (x === old ? base : x);
      for (const n of this.nodes) { n.inputs = n.inputs.map(swap); n.outputs = n.outputs.map(swap); }
      this.inputs = this.inputs.map(swap);
      this.outputs = this.outputs.map(swap);
    }
  }

  clone(): Graph {
    const g = new Graph();
    for (const [k, t] of this.tensors) g.tensors.set(k, { ...t, shape: [...t.shape], ...(t.quant ? { quant: { ...t.quant, scale: [...t.quant.scale], zeroPoint: [...t.quant.zeroPoint] } } : {}) });
    g.nodes = this.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], options: { ...n.options } }));
    g.inputs = [...this.inputs];
    g.outputs = [...this.outputs];
    for (const n of this.numbered) g.numbered.add(n);
    return g;
  }
}

export const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
