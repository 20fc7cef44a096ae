// InferenceSession: the API people already know (onnxruntime-style), on any
// backend that implements CoreBinding. Engine-neutral: runs on XS and on Node.
import type { CoreBinding, CoreContext, CoreOptions, ModelBytes, RawTensorInfo } from './binding.js';
import { XtmlError } from './errors.js';
import { allocateFor, arrayKindFor, bytesOf, typeName, type Tensor, type TensorMetadata, type TypedArray } from './tensor.js';

export interface SessionOptions {
  /** Arena bytes to reserve. Omitted: exactly what the model needs. */
  arenaBytes?: number;
  /** Record per-operator time on every run. */
  profiling?: boolean;
  /** Tensor indices (as `inspect` numbers them) whose data stays readable after
   * run() through tensor(): the core keeps their memory alive to the end of
   * the run, and the arena grows by what that costs. */
  keepTensors?: readonly number[];
}

export interface OperatorProfile {
  index: number;
  name: string;
  /** Milliseconds spent in the operator during the last run. */
  ms: number;
}

export type TensorInput = Tensor | TypedArray;
export type Feeds = readonly TensorInput[] | Readonly<Record<string, TensorInput>>;

function metadata(raw: RawTensorInfo): TensorMetadata {
  return { name: raw.name, type: typeName(raw.dtype), dims: raw.dims, bytes: raw.bytes, scale: raw.scale, zeroPoint: raw.zeroPoint };
}

function isTypedArray(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

export class InferenceSession {
  readonly backend: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Arena bytes the core uses for this model (exact). */
  readonly arenaBytes: number;
  /** Multiply-accumulates per run, summed over operators. */
  readonly macs: number;
  readonly operators: readonly { name: string; macs: number }[];
  /** The model's description string ('' when it has none); our models carry JSON there. */
  readonly description: string;
  /** The backend the session runs on (the frame path calls it too). */
  readonly binding: CoreBinding;
  private context: CoreContext | null;
  private profilingOn: boolean;

  private constructor(binding: CoreBinding, context: CoreContext, profiling: boolean) {
    this.binding = binding;
    this.backend = binding.backend;
    this.context = context;
    this.profilingOn = profiling;
    this.inputs = Array.from({ length: context.inputCount() }, (_, i) => metadata(context.inputInfo(i)));
    this.outputs = Array.from({ length: context.outputCount() }, (_, i) => metadata(context.outputInfo(i)));
    this.arenaBytes = context.arenaUsed();
    this.operators = Array.from({ length: context.operatorCount() }, (_, i) => ({
      name: context.operatorName(i),
      macs: context.operatorMacs(i),
    }));
    this.macs = this.operators.reduce((sum, op) => sum + op.macs, 0);
    this.description = context.description();
    context.setProfiling(profiling);
  }

  /** Verify, prepare and plan the model. Throws XtmlError for a bad model. */
  static create(binding: CoreBinding, model: ModelBytes, options: SessionOptions = {}): InferenceSession {
    if (binding === null || typeof binding !== 'object' || typeof binding.init !== 'function') {
      throw new TypeError('binding must be a CoreBinding');
    }
    if (model === null || typeof model !== 'object') {
      throw new TypeError('model must be the model bytes (Uint8Array, ArrayBuffer or host buffer)');
    }
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const { arenaBytes, profiling = false, keepTensors } = options;
    if (typeof profiling !== 'boolean') throw new TypeError('options.profiling must be a boolean');
    let core: CoreOptions | undefined;
    if (keepTensors !== undefined) {
      if (!Array.isArray(keepTensors)) throw new TypeError('options.keepTensors must be an array of tensor indices');
      keepTensors.forEach((t: unknown, k) => {
        if (!Number.isInteger(t) || (t as number) < 0 || (t as number) > 0x7fffffff) {
          throw new RangeError(`options.keepTensors[${k}] must be a tensor index (a non-negative integer), got ${String(t)}`);
        }
      });
      core = { keepTensors: [...keepTensors] };
    }
    let size: number;
    if (arenaBytes === undefined) {
      size = core === undefined ? binding.arenaSize(model) : binding.arenaSize(model, core);
    } else {
      if (!Number.isSafeInteger(arenaBytes) || arenaBytes <= 0) {
        throw new RangeError(`options.arenaBytes must be a positive integer, got ${String(arenaBytes)}`);
      }
      size = arenaBytes;
    }
    return new InferenceSession(binding, core === undefined ? binding.init(model, size) : binding.init(model, size, core), profiling);
  }

  /** Number of tensors in the model (indices 0 .. tensorCount - 1). */
  get tensorCount(): number {
    return this.live().tensorCount();
  }

  private tensorIndex(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.tensorCount) {
      throw new RangeError(`index must be a tensor index from 0 to ${this.tensorCount - 1}, got ${String(index)}`);
    }
    return index;
  }

  /** Any tensor's name, type, shape, bytes and (first) quantization parameters. */
  tensorInfo(index: number): TensorMetadata {
    return metadata(this.live().tensorInfo(this.tensorIndex(index)));
  }

  /** A copy of a tensor's data after run(): a constant, an output, or a tensor
   * named in keepTensors (others throw XtmlError XTML_STATUS_BAD_ARGUMENT: their
   * memory is reused during the run). */
  tensor(index: number): Tensor {
    const meta = this.tensorInfo(index);
    const data = allocateFor(meta);
    this.live().getTensor(index, bytesOf(data));
    return { type: meta.type, dims: meta.dims, data };
  }

  /** tensor(), into a caller-owned typed array of exactly the tensor's size. */
  tensorInto(index: number, into: TypedArray): void {
    const meta = this.tensorInfo(index);
    if (!isTypedArray(into)) throw new TypeError('into must be a typed array');
    if (into.byteLength !== meta.bytes) {
      throw new RangeError(`into has ${into.byteLength} bytes, tensor ${index} '${meta.name}' needs ${meta.bytes}`);
    }
    this.live().getTensor(index, new Uint8Array(into.buffer, into.byteOffset, into.byteLength));
  }

  private live(): CoreContext {
    if (this.context === null) throw new XtmlError('XTML_STATUS_BAD_ARGUMENT', 'the session was released');
    return this.context;
  }

  private feed(context: CoreContext, inputs: Feeds): void {
    if (inputs === null || typeof inputs !== 'object') throw new TypeError('inputs must be an array or an object of tensors');
    const list = Array.isArray(inputs) ? (inputs as readonly TensorInput[]) : null;
    if (list !== null && list.length !== this.inputs.length) {
      throw new RangeError(`inputs has ${list.length} tensors, the model takes ${this.inputs.length}`);
    }
    for (let i = 0; i < this.inputs.length; i++) {
      const meta = this.inputs[i]!;
      const given = list !== null ? list[i] : (inputs as Readonly<Record<string, TensorInput>>)[meta.name];
      const label = list !== null ? `inputs[${i}]` : `inputs['${meta.name}']`;
      if (given === undefined) throw new TypeError(`${label} is missing`);
      const data = isTypedArray(given) ? given : (given as Tensor).data;
      if (!isTypedArray(data)) throw new TypeError(`${label} must be a typed array or a tensor with typed-array data`);
      if (data.constructor.name !== arrayKindFor(meta.type)) {
        throw new TypeError(`${label} must be a ${arrayKindFor(meta.type)} for ${meta.type} input '${meta.name}', got ${data.constructor.name}`);
      }
      if (data.byteLength !== meta.bytes) {
        throw new RangeError(`${label} has ${data.byteLength} bytes, input '${meta.name}' ${JSON.stringify(meta.dims)} ${meta.type} needs ${meta.bytes}`);
      }
      context.setInput(i, bytesOf(data));
    }
  }

  /** Run once; returns new output tensors in model order. */
  run(inputs: Feeds): Tensor[] {
    const context = this.live();
    this.feed(context, inputs);
    context.invoke();
    return this.outputs.map((meta, i) => {
      const data = allocateFor(meta);
      context.getOutput(i, bytesOf(data));
      return { type: meta.type, dims: meta.dims, data };
    });
  }

  /** Run once, writing outputs into caller-owned typed arrays (allocates nothing per call). */
  runInto(inputs: Feeds, outputs: readonly TypedArray[]): void {
    const context = this.live();
    if (!Array.isArray(outputs) || outputs.length !== this.outputs.length) {
      throw new RangeError(`outputs must be an array of ${this.outputs.length} typed arrays`);
    }
    for (let i = 0; i < outputs.length; i++) {
      const meta = this.outputs[i]!;
      const out = outputs[i];
      if (!isTypedArray(out)) throw new TypeError(`outputs[${i}] must be a typed array`);
      if (out.byteLength !== meta.bytes) {
        throw new RangeError(`outputs[${i}] has ${out.byteLength} bytes, output '${meta.name}' needs ${meta.bytes}`);
      }
    }
    this.feed(context, inputs);
    context.invoke();
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs[i]!;
      context.getOutput(i, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    }
  }

  /** Set the model's state between runs (variable tensors: SVDF's activation
   * state, an LSTM's hidden and cell state) back to zero, as when the session
   * was created: the next run gives what the first run gave. Models without
   * state are unaffected. */
  resetState(): void {
    this.live().resetState();
  }

  /** Whether per-operator timing is on. */
  get profiling(): boolean {
    return this.profilingOn;
  }

  /** Turn per-operator timing on or off. */
  setProfiling(on: boolean): void {
    if (typeof on !== 'boolean') throw new TypeError('on must be a boolean');
    this.live().setProfiling(on);
    this.profilingOn = on;
  }

  /** Per-operator time of the last run (empty when profiling is off). */
  profile(): OperatorProfile[] {
    const context = this.live();
    if (!this.profilingOn) return [];
    const perSecond = this.binding.ticksPerSecond;
    return context.lastProfile().map((e) => ({ index: e.index, name: e.name, ms: perSecond > 0 ? (e.ticks * 1000) / perSecond : NaN }));
  }

  /** Free the arena. Further calls throw; releasing twice is harmless. */
  release(): void {
    if (this.context !== null) {
      this.context.release();
      this.context = null;
    }
  }
}
