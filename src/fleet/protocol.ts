// The fleet's MQTT protocol: topic names and the messages on them, with strict
// decoders for everything that arrives over the network (a message that does
// not decode is refused with a code, never half-used). Engine-neutral: JSON
// payloads are ASCII text, model chunks are raw bytes.
//
//   <prefix>/<fleet>/<device>/state     device, retained: model in service, last result
//   <prefix>/<fleet>/<device>/online    device, retained: "1"; its last will "0"
//   <prefix>/<fleet>/<device>/metrics   device, every period: counts of the model in service
//   <prefix>/<fleet>/<device>/desired   controller, retained: the model the device must run
//   <prefix>/<fleet>/<device>/adaptation device, retained: its adapted head (src/fleet/federate.ts)
//   <prefix>/<fleet>/_model/<sha256>/<i> controller, retained: chunk i of a model
//
// Names are 1-64 of [A-Za-z0-9_.-] and do not start with "_" (so no device is
// called "_model"); MQTT's wildcards and "/" cannot appear in them.

export const protocolVersion = 1;

/** A prefix, fleet or device name, or a message naming why not. */
export function checkName(what: string, name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    return `${what} '${name}' must be 1-64 letters, digits, '_', '.' or '-', not starting with '_', '.' or '-'`;
  }
  return undefined;
}

export interface FleetTopics {
  /** `<prefix>/<fleet>/` */
  readonly base: string;
  state(device: string): string;
  online(device: string): string;
  metrics(device: string): string;
  desired(device: string): string;
  /** A device's adaptation report (federated adaptation). */
  adaptation(device: string): string;
  /** The topic filter of a model's chunks. */
  chunks(sha256: string): string;
  chunk(sha256: string, index: number): string;
}

export function fleetTopics(prefix: string, fleet: string): FleetTopics {
  for (const [what, name] of [['prefix', prefix], ['fleet', fleet]] as const) {
    const problem = checkName(what, name);
    if (problem !== undefined) throw new RangeError(problem);
  }
  const base = `${prefix}/${fleet}/`;
  return Object.freeze({
    base,
    state: (device: string) => `${base}${device}/state`,
    online: (device: string) => `${base}${device}/online`,
    metrics: (device: string) => `${base}${device}/metrics`,
    desired: (device: string) => `${base}${device}/desired`,
    adaptation: (device: string) => `${base}${device}/adaptation`,
    chunks: (sha256: string) => `${base}_model/${sha256}/+`,
    chunk: (sha256: string, index: number) => `${base}_model/${sha256}/${index}`,
  });
}

/** A device topic split into device and kind, or undefined when it is not one. */
export function parseDeviceTopic(topics: FleetTopics, topic: string): { device: string; kind: string } | undefined {
  if (!topic.startsWith(topics.base)) return undefined;
  const rest = topic.slice(topics.base.length).split('/');
  if (rest.length !== 2 || checkName('device', rest[0]!) !== undefined) return undefined;
  return { device: rest[0]!, kind: rest[1]! };
}

// ---- payloads ----

/** ASCII text of a payload; undefined when a byte is not 7-bit ASCII. */
export function asciiText(bytes: Uint8Array): string | undefined {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

/** Bytes of ASCII text (the JSON this protocol writes is ASCII by construction). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c < 0x80 ? c : 0x3f;
  }
  return out;
}

/** JSON with every non-ASCII character escaped, so it survives asciiText. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** 64 lower-case hex digits. (No module-level RegExp: on a device, preloaded module objects must be frozen.) */
export function isSha256(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/** Where a device gets a model's bytes. */
export interface ModelSource {
  /** Chunked over MQTT at `<prefix>/<fleet>/_model/<sha256>/<i>`, i = 0..count-1, each `size` bytes but the last. */
  chunks?: { count: number; size: number };
  /** An HTTP(S) URL (hosts that can fetch). */
  url?: string;
}

/** What the controller asks of one device. */
export interface Desired {
  v: 1;
  /** The rollout (or command) this belongs to, echoed in the device's result. */
  rollout: string;
  /** install: download, verify, probe and swap; rollback: return to this model, from the rollback slot if it holds it. */
  action: 'install' | 'rollback';
  sha256: string;
  /** Bytes of the model. */
  size: number;
  /** Base64 Ed25519 signature of the model's 32-byte SHA-256 digest. */
  sig?: string;
  source?: ModelSource;
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function positiveInt(x: unknown, max: number): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 1 && x <= max;
}

/** The largest model the protocol describes (a device's own limit is usually far lower). */
export const maxModelSize = 64 << 20;
/** At most this many chunks per model. */
export const maxChunks = 65536;

/** A desired-state message, checked field by field; ProtocolError 'BAD_DESIRED' naming the field otherwise. */
/** The payload as a JSON object, or the decoder's own error saying what it is instead. */
export function jsonObject(payload: Uint8Array, bad: (why: string) => ProtocolError): Record<string, unknown> {
  const text = asciiText(payload);
  if (text === undefined) throw bad('not ASCII text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!isObject(value)) throw bad('not a JSON object');
  return value;
}

export function decodeDesired(payload: Uint8Array): Desired {
  const bad = (why: string): ProtocolError => new ProtocolError('BAD_DESIRED', `desired state: ${why}`);
  const value = jsonObject(payload, bad);
  if (value['v'] !== protocolVersion) throw bad(`version ${JSON.stringify(value['v'])}, this device speaks ${protocolVersion}`);
  const rollout = value['rollout'];
  if (typeof rollout !== 'string' || rollout.length === 0 || rollout.length > 64) throw bad('rollout must be a string of 1-64 characters');
  const action = value['action'];
  if (action !== 'install' && action !== 'rollback') throw bad('action must be "install" or "rollback"');
  const sha256 = value['sha256'];
  if (typeof sha256 !== 'string' || !isSha256(sha256)) throw bad('sha256 must be 64 lower-case hex digits');
  const size = value['size'];
  if (!positiveInt(size, maxModelSize)) throw bad(`size must be an integer 1..${maxModelSize}`);
  const out: Desired = { v: 1, rollout, action, sha256, size };
  const sig = value['sig'];
  if (sig !== undefined) {
    if (typeof sig !== 'string' || !/^[A-Za-z0-9+/]{86}(==)?$/.test(sig)) throw bad('sig must be the base64 of a 64-byte Ed25519 signature');
    out.sig = sig;
  }
  const source = value['source'];
  if (source !== undefined) {
    if (!isObject(source)) throw bad('source must be an object');
    out.source = {};
    const chunks = source['chunks'];
    if (chunks !== undefined) {
      if (!isObject(chunks) || !positiveInt(chunks['count'], maxChunks) || !positiveInt(chunks['size'], maxModelSize)) {
        throw bad(`source.chunks must be {count: 1..${maxChunks}, size: bytes}`);
      }
      const count = chunks['count'] as number, chunkSize = chunks['size'] as number;
      if (Math.ceil(size / chunkSize) !== count) throw bad(`source.chunks: ${count} chunks of ${chunkSize} bytes do not make ${size} bytes`);
      out.source.chunks = { count, size: chunkSize };
    }
    const url = source['url'];
    if (url !== undefined) {
      if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url) || url.length > 1024) throw bad('source.url must be an http(s) URL');
      out.source.url = url;
    }
  }
  return out;
}

/** The outcome of the last desired state a device acted on. */
export interface Result {
  rollout: string;
  sha256: string;
  ok: boolean;
  /** The error's code (the model service's, or the agent's: SHA256_MISMATCH, DOWNLOAD_TIMEOUT, ...). */
  code?: string;
  message?: string;
  /** Device uptime, seconds, when it finished. */
  at: number;
}

/** What a device publishes as its retained state. */
export interface DeviceState {
  v: 1;
  engine: string;
  platform?: string;
  model: { sha256: string; id: string; bytes: number; source: string };
  /** SHA-256 of the model a rollback would return to; null when none. */
  rollback: string | null;
  uptime_s: number;
  /** Free memory, bytes, as the host measures it; null when it cannot. */
  free: number | null;
  last: Result | null;
  /** A download in progress. */
  job: { rollout: string; sha256: string; got: number; of: number } | null;
}

/**
 * The periodic report, short keys to keep it small (about 150-250 bytes of
 * JSON for the bundled detector):
 *   u uptime s, m SHA-256 of the model in service, n inferences, z frames
 *   with nothing found, e errors by code, d detections by label (all since that
 *   model started serving), l invoke ms p50/p90/p99 (histogram bucket bounds;
 *   null over the last bound), p drift PSI, a drift alert 0/1, f free bytes.
 */
export interface MetricsReport {
  v: 1;
  u: number;
  m: string;
  n: number;
  z: number;
  e: Record<string, number>;
  d: Record<string, number>;
  l: [number | null, number | null, number | null];
  p: number;
  a: 0 | 1;
  f?: number;
}

function counts(x: unknown): x is Record<string, number> {
  return isObject(x) && Object.keys(x).every((k) => k.length <= 64 && typeof x[k] === 'number' && Number.isSafeInteger(x[k]) && (x[k] as number) >= 0);
}

function latency(x: unknown): x is number | null {
  return x === null || (typeof x === 'number' && Number.isFinite(x) && x >= 0);
}

/** A metrics report, checked; ProtocolError 'BAD_METRICS' otherwise. */
export function decodeMetrics(payload: Uint8Array): MetricsReport {
  const bad = (why: string): ProtocolError => new ProtocolError('BAD_METRICS', `metrics: ${why}`);
  const text = asciiText(payload);
  if (text === undefined) throw bad('not ASCII text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!isObject(value) || value['v'] !== protocolVersion) throw bad('not a version 1 object');
  const { u, m, n, z, e, d, l, p, a, f } = value;
  if (typeof u !== 'number' || !(u >= 0)) throw bad('u (uptime) must be a number >= 0');
  if (typeof m !== 'string' || !isSha256(m)) throw bad('m must be a SHA-256');
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad('n must be a count');
  if (typeof z !== 'number' || !Number.isSafeInteger(z) || z < 0) throw bad('z must be a count');
  if (!counts(e)) throw bad('e must map codes to counts');
  if (!counts(d)) throw bad('d must map labels to counts');
  if (!Array.isArray(l) || l.length !== 3 || !l.every(latency)) throw bad('l must be three latencies');
  if (typeof p !== 'number' || !(p >= 0)) throw bad('p must be a PSI >= 0');
  if (a !== 0 && a !== 1) throw bad('a must be 0 or 1');
  if (f !== undefined && (typeof f !== 'number' || !(f >= 0))) throw bad('f must be bytes');
  return { v: 1, u, m, n, z, e, d, l: l as MetricsReport['l'], p, a, ...(f !== undefined ? { f: f as number } : {}) };
}

/** A device's retained state, checked; ProtocolError 'BAD_STATE' otherwise. */
export function decodeState(payload: Uint8Array): DeviceState {
  const bad = (why: string): ProtocolError => new ProtocolError('BAD_STATE', `state: ${why}`);
  const text = asciiText(payload);
  if (text === undefined) throw bad('not ASCII text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!isObject(value) || value['v'] !== protocolVersion) throw bad('not a version 1 object');
  const model = value['model'];
  if (!isObject(model) || typeof model['sha256'] !== 'string' || !isSha256(model['sha256'])
    || typeof model['id'] !== 'string' || typeof model['bytes'] !== 'number' || typeof model['source'] !== 'string') {
    throw bad('model must be {sha256, id, bytes, source}');
  }
  if (typeof value['engine'] !== 'string') throw bad('engine must be a string');
  const rollback = value['rollback'];
  if (rollback !== null && (typeof rollback !== 'string' || !isSha256(rollback))) throw bad('rollback must be a SHA-256 or null');
  if (typeof value['uptime_s'] !== 'number') throw bad('uptime_s must be a number');
  const last = value['last'];
  if (last !== null && (!isObject(last) || typeof last['rollout'] !== 'string' || typeof last['sha256'] !== 'string' || typeof last['ok'] !== 'boolean')) {
    throw bad('last must be a result or null');
  }
  const job = value['job'];
  if (job !== null && job !== undefined && (!isObject(job) || typeof job['sha256'] !== 'string')) throw bad('job must be a download or null');
  return value as unknown as DeviceState;
}
