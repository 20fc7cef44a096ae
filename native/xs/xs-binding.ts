// The CoreBinding of Moddable XS: src/binding.ts on top of the host module
// "xtml" (xtml.js, xtml_xs.c). Like every backend it only maps calls one for
// one and turns a non-OK status into an XtmlError with the core's status name
// and detail; argument checks are InferenceSession's.
//
// Runs on a device and in the desktop XS host alike. It imports by bare
// module names ("xtml", "xs-tinyml"), which a Moddable manifest (manifest.json
// beside this file) defines, and has no load-time side effects, so it can be
// preloaded: the host functions are first called when a model is loaded.
import { Context, HostBytes, arenaSize, arenaSizeWith, frameTable, frameToInput, gridDecode, modelVerify, ticksPerSecond, type HostModel } from 'xtml';
import {
  XtmlError,
  statusName,
  type CoreBinding,
  type CoreContext,
  type CoreOptions,
  type ModelBytes,
  type RawProfileEntry,
  type RawTensorInfo,
} from 'xs-tinyml';

/** The kept tensor indices as the bytes of an Int32Array (what the host module reads). */
const keptBytes = (options: CoreOptions): Uint8Array => new Uint8Array(Int32Array.from(options.keepTensors ?? []).buffer);

const OK = 0;

type Diag = [string, number];

function check(status: number, detail: string, needed = 0): void {
  if (status !== OK) {
    const code = statusName(status);
    throw new XtmlError(code, detail, code === 'XTML_STATUS_ARENA_TOO_SMALL' ? needed : undefined);
  }
}

/** The model as the host module takes it: any typed array or DataView as its bytes. */
function hostModel(model: ModelBytes): HostModel {
  return ArrayBuffer.isView(model) ? new Uint8Array(model.buffer, model.byteOffset, model.byteLength) : model;
}

function tensorInfo(info: unknown[]): RawTensorInfo {
  const [name, dtype, dims, bytes, scale, zeroPoint] = info as [string, number, number[], number, number, number];
  return { name, dtype, dims, bytes, scale, zeroPoint };
}

class XsContext implements CoreContext {
  private readonly context: Context;
  // A host buffer (Resource) is used in place: kept alive as long as the context.
  private model: ModelBytes | null;
  private profiling = false;

  constructor(context: Context, model: ModelBytes) {
    this.context = context;
    // Bytes in an ArrayBuffer were copied by init (xtml_xs.c): holding them
    // would only keep a model-sized block of the XS heap alive for nothing.
    const buffer = ArrayBuffer.isView(model) ? model.buffer : model;
    this.model = buffer instanceof ArrayBuffer ? null : model;
  }

  private check(status: number, what: string): void {
    if (status !== OK) {
      const detail = this.context.detail();
      throw new XtmlError(statusName(status), detail !== '' ? detail : what);
    }
  }

  arenaUsed(): number {
    return this.context.arenaUsed();
  }
  inputCount(): number {
    return this.context.inputCount();
  }
  outputCount(): number {
    return this.context.outputCount();
  }
  inputInfo(index: number): RawTensorInfo {
    const info: unknown[] = [];
    this.check(this.context.inputInfo(index, info), `no input ${index}`);
    return tensorInfo(info);
  }
  outputInfo(index: number): RawTensorInfo {
    const info: unknown[] = [];
    this.check(this.context.outputInfo(index, info), `no output ${index}`);
    return tensorInfo(info);
  }
  setInput(index: number, bytes: Uint8Array): void {
    this.check(this.context.setInput(index, bytes), `input ${index} does not take ${bytes.byteLength} bytes`);
  }
  getOutput(index: number, into: Uint8Array): void {
    this.check(this.context.getOutput(index, into), `output ${index} does not fill ${into.byteLength} bytes`);
  }
  invoke(): void {
    this.check(this.context.invoke(), 'invoke failed');
  }
  resetState(): void {
    this.check(this.context.resetState(), 'resetState failed');
  }
  tensorCount(): number {
    return this.context.tensorCount();
  }
  tensorInfo(index: number): RawTensorInfo {
    const info: unknown[] = [];
    this.check(this.context.tensorInfo(index, info), `no tensor ${index}`);
    return tensorInfo(info);
  }
  getTensor(index: number, into: Uint8Array): void {
    this.check(this.context.getTensor(index, into), `tensor ${index} does not fill ${into.byteLength} bytes`);
  }
  setProfiling(on: boolean): void {
    this.context.setProfiling(on);
    this.profiling = on;
  }
  lastProfile(): RawProfileEntry[] {
    if (!this.profiling) return [];
    return Array.from({ length: this.context.operatorCount() }, (_, index) => ({
      index,
      name: this.operatorName(index),
      ticks: this.context.operatorTicks(index),
    }));
  }
  operatorCount(): number {
    return this.context.operatorCount();
  }
  description(): string {
    return this.context.description();
  }
  operatorName(index: number): string {
    return this.context.operatorName(index) ?? '';
  }
  operatorMacs(index: number): number {
    return this.context.operatorMacs(index);
  }
  release(): void {
    this.context.close();
    this.model = null;
  }
}

class XsBinding implements CoreBinding {
  readonly backend = 'xs' as const;
  // Out-parameters of the frame path, reused so that a frame allocates nothing.
  private readonly diag: Diag = ['', 0];
  private readonly count = new Int32Array(1);

  get ticksPerSecond(): number {
    return ticksPerSecond();
  }

  verify(model: ModelBytes): void {
    const diag: Diag = ['', 0];
    check(modelVerify(hostModel(model), diag), diag[0]);
  }

  arenaSize(model: ModelBytes, options?: CoreOptions): number {
    const size = [0];
    const diag: Diag = ['', 0];
    const status = options === undefined
      ? arenaSize(hostModel(model), size, diag)
      : arenaSizeWith(hostModel(model), keptBytes(options), size, diag);
    check(status, diag[0]);
    return size[0]!;
  }

  frameTable(dtype: number, scale: number, zeroPoint: number, real: Uint8Array, table: Uint8Array): void {
    check(frameTable(dtype, scale, zeroPoint, real, table, this.diag), this.diag[0]);
  }

  frameToInput(params: Int32Array, frame: Uint8Array, table: Uint8Array, input: Uint8Array, region: Int32Array): void {
    check(frameToInput(params, frame, table, input, region, this.diag), this.diag[0]);
  }

  gridDecode(params: Int32Array, thresholds: Uint8Array, scores: Uint8Array, work: Uint8Array, objects: Uint8Array): number {
    check(gridDecode(params, thresholds, scores, work, objects, this.count, this.diag), this.diag[0]);
    return this.count[0]!;
  }

  hostBytes(length: number): Uint8Array {
    // the view keeps the host buffer alive; the memory is freed with it
    return new Uint8Array(new HostBytes(length) as unknown as ArrayBuffer);
  }

  init(model: ModelBytes, arenaBytes: number, options?: CoreOptions): CoreContext {
    const context = new Context();
    const diag: Diag = ['', 0];
    const status = options === undefined
      ? context.init(hostModel(model), arenaBytes, diag)
      : context.init(hostModel(model), arenaBytes, diag, keptBytes(options));
    if (status !== OK) {
      context.close();
      check(status, diag[0], diag[1]);
    }
    return new XsContext(context, model);
  }
}

/** The XS backend: pass it to InferenceSession.create with model bytes or a Resource. */
export const xsBinding: CoreBinding = Object.freeze(new XsBinding());
export default xsBinding;
