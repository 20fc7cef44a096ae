// Types of the XS host module "xtml" (xtml.js beside this file, implemented in
// xtml_xs.c). Status-returning calls give the core's xtml_status_t number.

/** Model bytes: ArrayBuffer, a byte view of one, or a host buffer (Resource). */
export type HostModel = ArrayBuffer | ArrayBufferView | object;

/** xtml_diag_t: [detail, needed]. Filled by the call. */
export type Diag = [string, number] | unknown[];

/** xtml_tensor_info_t: [name, dtype, dims, bytes, scale, zeroPoint]. Filled by the call. */
export type Info = [string, number, number[], number, number, number] | unknown[];

export function modelVerify(model: HostModel, diag: Diag): number;
export function arenaSize(model: HostModel, size: number[], diag: Diag): number;
export function arenaSizeWith(model: HostModel, keepTensors: Uint8Array, size: number[], diag: Diag): number;

/** Zeroed bytes outside the XS heap, a host buffer: new Uint8Array(hostBytes) views them. */
export class HostBytes {
  constructor(length: number);
}
export class Context {
  constructor();
  init(model: HostModel, arenaBytes: number, diag: Diag, keepTensors?: Uint8Array): number;
  arenaUsed(): number;
  inputCount(): number;
  outputCount(): number;
  inputInfo(index: number, info: Info): number;
  outputInfo(index: number, info: Info): number;
  setInput(index: number, bytes: Uint8Array): number;
  getOutput(index: number, bytes: Uint8Array): number;
  invoke(): number;
  resetState(): number;
  tensorCount(): number;
  tensorInfo(index: number, info: Info): number;
  getTensor(index: number, bytes: Uint8Array): number;
  setProfiling(on: boolean): void;
  operatorTicks(index: number): number;
  operatorCount(): number;
  operatorName(index: number): string | undefined;
  operatorMacs(index: number): number;
  detail(): string;
  description(): string;
  close(): void;
}

export function frameTable(dtype: number, scale: number, zeroPoint: number, real: Uint8Array, table: Uint8Array, diag: Diag): number;
export function frameToInput(params: Int32Array, frame: Uint8Array, table: Uint8Array, input: Uint8Array, region: Int32Array, diag: Diag): number;
export function gridDecode(params: Int32Array, thresholds: Uint8Array, scores: Uint8Array, work: Uint8Array, objects: Uint8Array, count: Int32Array, diag: Diag): number;

export function statusName(status: number): string;
export function builtinName(code: number): string | undefined;
export function dtypeName(dtype: number): string | undefined;
export function dtypeSize(dtype: number): number;
export function ticksPerSecond(): number;
