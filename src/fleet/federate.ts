// Federated adaptation (FedAvg) over the fleet's MQTT protocol: a device that
// adapted its model's head (src/adapt/head.ts) publishes an adaptation report,
// retained, on `<prefix>/<fleet>/<device>/adaptation`:
//
//   {"v":1,"base":"<sha256>","model":"<sha256>"|null,"c":C,"k":K,"n":examples,
//    "o":objects,"r":[lo,hi],"w":"<base64>","b":"<base64>","sum":"<sha256>"}
//
//   base   SHA-256 of the model whose head was adapted (the backbone the head reads)
//   model  SHA-256 of the adapted model the device installed, or null (report only)
//   c, k   classes and feature channels: the head's weights are [c x k], class-major
//   n      labelled frames it adapted on (FedAvg weighs each report by n); o: their objects
//   r      the real range of the adapted head's logits on its examples
//   w, b   the adapted head's weights (c * k) and biases (c), float32 little-endian, base64
//   sum    SHA-256 of the bytes of w then b, as decoded
//
// Only weights and counts leave a device, never a frame. Reports are
// untrusted input at the controller: decodeAdaptation checks every field
// (shapes, finite and bounded values, bounded counts, the checksum) and refuses
// anything else with ProtocolError 'BAD_ADAPTATION' naming the field.
// federatedAverage() averages the heads of reports on one base model weighted
// by their example counts, in the order of the device ids, so the same reports
// give the same numbers (and the same model bytes) every time.
//
// Engine-neutral (the agent, which encodes reports, runs on XS): no engine
// math beyond + - * /, no module-level RegExp, the SHA-256 is the caller's.
import { asciiText, isSha256, jsonObject, ProtocolError } from './protocol.js';

export const adaptationVersion = 1;
/** At most this many examples in one report (the REST API keeps 20). */
export const maxReportExamples = 10_000;
/** At most this many objects in one report. */
export const maxReportObjects = 1_000_000;
/** The head's size bounds: classes, feature channels, and their product. */
export const maxHeadClasses = 1024;
export const maxHeadFeatures = 4096;
export const maxHeadValues = 1 << 18;
/** Largest magnitude of a weight, bias or logit bound a report may carry. */
export const maxHeadMagnitude = 1000;

/** A decoded adaptation report. */
export interface AdaptationReport {
  v: 1;
  base: string;
  model: string | null;
  classes: number;
  features: number;
  examples: number;
  objects: number;
  range: [number, number];
  weights: Float32Array;
  bias: Float32Array;
  sum: string;
}

/** What the agent needs of an adaptation to report it (src/adapt/head.ts's HeadAdaptation is one). */
export interface HeadLike {
  head: { classes: number; channels: number };
  headWeights: ArrayLike<number>;
  headBias: ArrayLike<number>;
  count: number;
  objectCells: number;
  logitRange: readonly [number, number];
}

const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += digits[(v >> 18) & 63]! + digits[(v >> 12) & 63]! + digits[(v >> 6) & 63]! + digits[v & 63]!;
  }
  if (i + 1 === bytes.length) {
    const v = bytes[i]! << 16;
    out += `${digits[(v >> 18) & 63]!}${digits[(v >> 12) & 63]!}==`;
  } else if (i + 2 === bytes.length) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${digits[(v >> 18) & 63]!}${digits[(v >> 12) & 63]!}${digits[(v >> 6) & 63]!}=`;
  }
  return out;
}

/** Bytes of strict, padded base64; undefined for anything else. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let at = 0;
  for (let i = 0; i < text.length; i += 4) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const ch = text[i + j]!;
      const d = ch === '=' && i + 4 === text.length && j >= 4 - pad ? 0 : digits.indexOf(ch);
      if (d < 0) return undefined;
      v = (v << 6) | d;
    }
    if (at < out.length) out[at++] = (v >> 16) & 255;
    if (at < out.length) out[at++] = (v >> 8) & 255;
    if (at < out.length) out[at++] = v & 255;
  }
  return toBase64(out) === text ? out : undefined;   // canonical only (no stray bits)
}

/** Float32 values as little-endian bytes. */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

function float32s(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The JSON text of a device's adaptation report (ASCII). `sha256` gives lower-case hex. */
export function encodeAdaptation(base: string, adaptation: HeadLike, model: string | null, sha256: (bytes: Uint8Array) => string): string {
  if (!isSha256(base)) throw new RangeError('base must be a SHA-256 (64 lower-case hex digits)');
  const C = adaptation.head.classes, K = adaptation.head.channels;
  if (adaptation.headWeights.length !== C * K || adaptation.headBias.length !== C) {
    throw new RangeError(`the head takes ${C * K} weights and ${C} biases, got ${adaptation.headWeights.length} and ${adaptation.headBias.length}`);
  }
  const w = float32Bytes(adaptation.headWeights), b = float32Bytes(adaptation.headBias);
  const f = (x: number): number => Math.fround(x);
  return JSON.stringify({
    v: adaptationVersion, base, model, c: C, k: K, n: adaptation.count, o: adaptation.objectCells,
    r: [f(adaptation.logitRange[0]), f(adaptation.logitRange[1])],
    w: toBase64(w), b: toBase64(b), sum: sha256(concat(w, b)),
  });
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

const bounded = (x: number): boolean => Number.isFinite(x) && x <= maxHeadMagnitude && x >= -maxHeadMagnitude;

/**
 * An adaptation report, checked field by field; ProtocolError
 * 'BAD_ADAPTATION' naming the field otherwise. `sha256` gives lower-case hex.
 */
export function decodeAdaptation(payload: Uint8Array, sha256: (bytes: Uint8Array) => string): AdaptationReport {
  const bad = (why: string): ProtocolError => new ProtocolError('BAD_ADAPTATION', `adaptation report: ${why}`);
  // 4 * 4/3 bytes of base64 per value, and room for the rest
  if (payload.length > Math.ceil((maxHeadValues + maxHeadClasses) * 16 / 3) + 1024) throw bad(`${payload.length} bytes is over the limit`);
  const value = jsonObject(payload, bad);
  if (value['v'] !== adaptationVersion) throw bad(`version ${JSON.stringify(value['v'])}, this controller reads ${adaptationVersion}`);
  const { base, model, c, k, n, o, r, w, b, sum } = value;
  if (typeof base !== 'string' || !isSha256(base)) throw bad('base must be a SHA-256 (64 lower-case hex digits)');
  if (model !== null && (typeof model !== 'string' || !isSha256(model))) throw bad('model must be a SHA-256 or null');
  const int = (x: unknown, lo: number, hi: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!int(c, 2, maxHeadClasses)) throw bad(`c (classes) must be an integer 2..${maxHeadClasses}`);
  if (!int(k, 1, maxHeadFeatures)) throw bad(`k (features) must be an integer 1..${maxHeadFeatures}`);
  if (c * k > maxHeadValues) throw bad(`c x k = ${c * k} weights is over ${maxHeadValues}`);
  if (!int(n, 1, maxReportExamples)) throw bad(`n (examples) must be an integer 1..${maxReportExamples}`);
  if (!int(o, 0, maxReportObjects)) throw bad(`o (objects) must be an integer 0..${maxReportObjects}`);
  if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number' || !bounded(r[0]) || !bounded(r[1]) || !(r[0] < r[1])) {
    throw bad(`r must be [lo, hi], finite, lo < hi, within +-${maxHeadMagnitude}`);
  }
  if (typeof w !== 'string' || typeof b !== 'string') throw bad('w and b must be base64 strings');
  const wBytes = fromBase64(w), bBytes = fromBase64(b);
  if (wBytes === undefined) throw bad('w is not canonical base64');
  if (bBytes === undefined) throw bad('b is not canonical base64');
  if (wBytes.length !== c * k * 4) throw bad(`w holds ${wBytes.length} bytes; c x k = ${c} x ${k} float32 take ${c * k * 4}`);
  if (bBytes.length !== c * 4) throw bad(`b holds ${bBytes.length} bytes; ${c} float32 take ${c * 4}`);
  if (typeof sum !== 'string' || !isSha256(sum)) throw bad('sum must be a SHA-256');
  if (sha256(concat(wBytes, bBytes)) !== sum) throw bad('sum does not match the SHA-256 of w and b');
  const weights = float32s(wBytes), bias = float32s(bBytes);
  for (let i = 0; i < weights.length; i++) {
    if (!bounded(weights[i]!)) throw bad(`w[${i}] is ${weights[i]!}: weights must be finite, within +-${maxHeadMagnitude}`);
  }
  for (let i = 0; i < bias.length; i++) {
    if (!bounded(bias[i]!)) throw bad(`b[${i}] is ${bias[i]!}: biases must be finite, within +-${maxHeadMagnitude}`);
  }
  return { v: 1, base, model: model as string | null, classes: c, features: k, examples: n, objects: o, range: [r[0], r[1]], weights, bias, sum };
}

/** The errors of federation, each with its code. */
export class FederateError extends Error {
  override name = 'FederateError';
  constructor(readonly code: 'NO_REPORTS' | 'MIXED_BASES' | 'TOO_FEW_DEVICES' | 'TOO_FEW_EXAMPLES' | 'SHAPE_MISMATCH', message: string) {
    super(message);
  }
}

/** The weighted average of the heads, and what went into it. */
export interface FederatedHead {
  base: string;
  /** Devices averaged, in the order they were summed (sorted ids). */
  devices: string[];
  /** Examples in all (the sum of the weights). */
  examples: number;
  weights: Float64Array;
  bias: Float64Array;
  /** The union of the reports' logit ranges. */
  range: [number, number];
}

/**
 * FedAvg: sum over devices of n_d x head_d, divided by the sum of n_d, with
 * every sum taken in the order of the device ids (so the same reports give the
 * same doubles). Every report must be on one base with one shape.
 */
export function federatedAverage(reports: ReadonlyArray<{ device: string; report: AdaptationReport }>): FederatedHead {
  if (reports.length === 0) throw new FederateError('NO_REPORTS', 'no adaptation reports');
  const ordered = reports.slice().sort((x, y) => (x.device < y.device ? -1 : x.device > y.device ? 1 : 0));
  const first = ordered[0]!.report;
  for (const { device, report } of ordered) {
    if (report.base !== first.base) throw new FederateError('MIXED_BASES', `${device}'s report is on base ${report.base}, ${ordered[0]!.device}'s on ${first.base}`);
    if (report.classes !== first.classes || report.features !== first.features) {
      throw new FederateError('SHAPE_MISMATCH', `${device}'s head is ${report.classes} x ${report.features}, ${ordered[0]!.device}'s ${first.classes} x ${first.features}`);
    }
  }
  const weights = new Float64Array(first.weights.length), bias = new Float64Array(first.bias.length);
  let total = 0;
  let lo = first.range[0], hi = first.range[1];
  for (const { report } of ordered) {
    const n = report.examples;
    total += n;
    for (let i = 0; i < weights.length; i++) weights[i] = weights[i]! + n * report.weights[i]!;
    for (let i = 0; i < bias.length; i++) bias[i] = bias[i]! + n * report.bias[i]!;
    if (report.range[0] < lo) lo = report.range[0];
    if (report.range[1] > hi) hi = report.range[1];
  }
  for (let i = 0; i < weights.length; i++) weights[i] = weights[i]! / total;
  for (let i = 0; i < bias.length; i++) bias[i] = bias[i]! / total;
  return { base: first.base, devices: ordered.map((x) => x.device), examples: total, weights, bias, range: [lo, hi] };
}
