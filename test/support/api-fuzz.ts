// A fuzzer for the transport-neutral REST API (src/api.ts) with the model
// service (src/model-service.ts) behind it, on the WebAssembly backend in this
// process: random methods, paths, queries, headers, content types and bodies
// (PNG, JPEG and PGM of real frames, mutated; raw frames; models, mutated; JSON
// and junk). Every answer must be well-formed: a JSON success, or a JSON error
// {error: {code, message}} with a 4xx/5xx status (text for GET /metrics), and
// no handler may fail with an unexpected exception (500 INTERNAL). Every so
// often, and at the end, the known frames must get exactly the answer a fresh
// server running the same model gives them.
//
// Used by test/api-fuzz.test.ts (a short seeded run) and by tools/fuzz-long.ts.
import jpeg from 'jpeg-js';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { loadBinding } from '../../host-sim/node/backends.js';
import { desktopDecoders } from '../../host-sim/node/images.js';
import { bundledModelPath, hostCrypto, knownFrames, sha256Hex } from '../../host-sim/node/server.js';
import { DetectionApi, ModelService, encodePgm, type ApiRequest, type ApiResponse, type Frame } from '../../src/index.js';
import { XorShift32 } from './xorshift.js';

export interface ApiFuzzOptions {
  seed: number;
  /** Stop after this many requests, or this many seconds, whichever comes first. */
  requests?: number;
  seconds?: number;
  /** Requests between checks of the known frames. */
  checkEvery?: number;
}

export interface ApiFuzzFailure {
  problem: string;
  request: { method: string; path: string; query: Record<string, string>; contentType?: string; bodyBytes: number; body?: string };
}

export interface ApiFuzzResult {
  executions: number;
  seconds: number;
  failures: ApiFuzzFailure[];
  /** Responses by "METHOD path status code", for the variety a run reached. */
  outcomes: Map<string, number>;
  knownFrameChecks: number;
  installs: number;
}

const MAX_BODY = 256 << 10;
const MAX_PIXELS = 640 * 480;
/** Known frames: the service's probe and drift baseline, and the frames checked. */
const KNOWN_FRAMES = 4;

/** The API and model service as the desktop server wires them, in memory, serving `model`. */
function serve(model: Uint8Array, frames: Frame[]): { api: DetectionApi; service: ModelService } {
  const service = new ModelService({
    binding: loadBinding('wasm'),
    bundled: { bytes: model, sha256: sha256Hex(model), size: model.length },
    crypto: hostCrypto(),
    knownFrames: frames,
    maxPixels: MAX_PIXELS,
    log: () => undefined,
  });
  service.boot();
  const api = new DetectionApi(service, {
    decoders: desktopDecoders(MAX_PIXELS), maxBodyBytes: MAX_BODY, maxPixels: MAX_PIXELS, clock: () => performance.now(), backend: 'wasm',
  });
  return { api, service };
}

/** xorshift32, like the reference vectors' seeded inputs. */
class Rng extends XorShift32 {
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  chance(percent: number): boolean {
    return this.below(100) < percent;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() >>> 24;
    return out;
  }
}

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Recompute every chunk CRC, so mutations inside chunks reach the decoder. */
function fixPngCrcs(png: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at + 12 <= png.length) {
    const len = view.getUint32(at);
    if (at + 12 + len > png.length) break;
    view.setUint32(at + 8 + len, crc32(png.subarray(at + 4, at + 8 + len)));
    at += 12 + len;
  }
  return png;
}

function pngOf(frame: Frame): Uint8Array {
  const png = new PNG({ width: frame.width, height: frame.height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(frame.data);
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

function jpegOf(frame: Frame, quality: number): Uint8Array {
  const rgba = Buffer.alloc(frame.width * frame.height * 4);
  frame.data.forEach((v, p) => rgba.set([v, v, v, 255], 4 * p));
  return new Uint8Array(jpeg.encode({ data: rgba, width: frame.width, height: frame.height }, quality).data);
}

/** Byte-level damage: flips, overwrites, truncation, insertion, duplication. */
function mutateBytes(rng: Rng, input: Uint8Array, edits = 1 + rng.below(4), headerBias = true): Uint8Array {
  let b = Uint8Array.from(input);
  for (let k = 0; k < edits; k++) {
    // Headers decide most paths: aim there half the time.
    const span = headerBias && rng.chance(50) ? Math.min(b.length, 64) : b.length;
    const at = rng.below(Math.max(span, 1));
    switch (rng.below(6)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.below(8)); break;
      case 1: if (b.length > 0) b[at] = rng.pick([0, 0xff, 0x7f, 0x80, 1, rng.below(256)]); break;
      case 2: b = b.slice(0, rng.below(b.length + 1)); break;
      case 3: {
        const extra = rng.bytes(1 + rng.below(16));
        const out = new Uint8Array(b.length + extra.length);
        out.set(b.subarray(0, at));
        out.set(extra, at);
        out.set(b.subarray(at), at + extra.length);
        b = out;
        break;
      }
      case 4: if (b.length >= 4) new DataView(b.buffer).setUint32(Math.min(at, b.length - 4), rng.pick([0, 0xffffffff, 0x7fffffff, 0x10000, rng.next()]), rng.chance(50)); break;
      default: {
        const from = rng.below(Math.max(b.length, 1));
        const len = rng.below(Math.min(64, b.length - from) + 1);
        const out = new Uint8Array(b.length + len);
        out.set(b.subarray(0, at));
        out.set(b.subarray(from, from + len), at);
        out.set(b.subarray(at), at + len);
        b = out;
      }
    }
  }
  return b;
}

function pgmHeaderVariant(rng: Rng, frame: Frame): Uint8Array {
  const w = rng.pick([String(frame.width), '0', '-1', '65536', '99999999999', '1e3', '96.5', '', 'x', String(frame.width + 1)]);
  const h = rng.pick([String(frame.height), '0', '1', '4096', '  96', '0x60']);
  const max = rng.pick(['255', '0', '1', '256', '65535', '65536', '-255', '255 extra']);
  const sep = rng.pick(['\n', ' ', '\t', '\r\n', '\n# a comment\n', '']);
  const magic = rng.pick(['P5', 'P5', 'P2', 'P6', 'P4', 'P']);
  const header = new TextEncoder().encode(`${magic}${sep}${w} ${h}${sep}${max}\n`);
  const out = new Uint8Array(header.length + frame.data.length);
  out.set(header);
  out.set(frame.data, header.length);
  return rng.chance(30) ? out.subarray(0, rng.below(out.length + 1)) : out;
}

const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get', 'post', '', 'CONNECT', 'TRACE', 'GETX', '__proto__', 'constructor'];
const paths = ['/detect', '/model', '/model/rollback', '/metrics', '/drift', '/profile', '/healthz'];
const oddPaths = ['/', '', '/detect/', '/DETECT', '//detect', '/model/', '/model/rollback/extra', '/model/../detect', '/%2e%2e/detect',
  '/__proto__', '/constructor', '/toString', '/hasOwnProperty', '/detect?x=1', '/healthz\u0000', '/\u00e9', '/detect'.repeat(200), '*'];
const contentTypes = ['image/png', 'IMAGE/PNG', 'image/png; charset=utf-8', 'image/jpeg', 'image/jpg', 'image/x-portable-graymap',
  'image/x-portable-anymap', 'image/pgm', 'application/octet-stream', 'application/json', 'text/plain', 'image/', 'image/gif',
  ';', ' image/png ', 'multipart/form-data; boundary=x', 'application/vnd.tflite', '\u00e9'];

/** One random request. */
function makeRequest(rng: Rng, media: Media): ApiRequest {
  // /detect most, model updates often (most are refused quickly), rollbacks rarely (each loads a model).
  const c = rng.below(100);
  const path = c < 40 ? '/detect' : c < 62 ? '/model' : c < 66 ? '/model/rollback' : c < 90 ? rng.pick(paths)
    : rng.chance(50) ? rng.pick(oddPaths) : `/${String.fromCharCode(...rng.bytes(rng.below(12)).map((b) => 32 + (b % 95)))}`;
  // The method a path expects most of the time.
  const expected: Record<string, string> = { '/detect': 'POST', '/model': rng.chance(35) ? 'GET' : 'PUT', '/model/rollback': 'POST' };
  const method = rng.chance(80) ? (expected[path] ?? 'GET') : rng.pick(methods);
  const query: Record<string, string> = {};
  const keys = ['fit', 'profile', 'width', 'height', 'format', 'replace', '__proto__', 'constructor', 'x'];
  for (let n = rng.below(4); n > 0; n--) {
    const key = rng.pick(keys);
    query[key] = rng.pick(['crop', 'stretch', 'CROP', '', '1', 'true', '0', '96', '-1', '0x10', '1e9', '999999999', '1000000000',
      'gray8', 'rgb565le', 'rgb565be', 'rgb888', 'rgba8888', 'rgb', '\u0000', String(rng.below(2000))]);
  }
  const headers: Record<string, string> = {};
  if (rng.chance(10)) headers['x-model-signature'] = rng.pick(['', 'AAAA', '====', 'not base64!', Buffer.from(rng.bytes(64)).toString('base64'), 'A'.repeat(1000)]);
  let body: Uint8Array | null = null;
  let contentType: string | undefined;
  if (path === '/model' && method === 'PUT') {
    const kind = rng.below(10);
    if (kind < 3) body = mutateBytes(rng, media.model, 1 + rng.below(3), false);
    else if (kind === 3) body = media.variants[rng.below(media.variants.length)]!;
    else if (kind === 4) body = media.model.subarray(0, rng.below(media.model.length));
    else if (kind === 5) body = new TextEncoder().encode(JSON.stringify(rng.pick([{ model: 'x' }, [], null, 'tflite', { version: 3, subgraphs: [] }])));
    else if (kind === 6) body = rng.chance(50) ? new Uint8Array(0) : null;
    else if (kind === 7) body = media.model;
    else if (kind === 8) body = rng.bytes(rng.below(2048));
    else body = mutateBytes(rng, media.model, 1, true);
    if (rng.chance(40)) query['replace'] = rng.pick(['1', 'true']);
    contentType = rng.chance(50) ? rng.pick(['application/octet-stream', 'application/json', 'application/vnd.tflite']) : undefined;
  } else if (method === 'POST' || method === 'PUT' || rng.chance(10)) {
    const frame = rng.below(media.pngs.length);
    const kind = rng.below(14);
    if (kind === 0) { body = media.pngs[frame]!; contentType = 'image/png'; }
    else if (kind === 1) { body = fixPngCrcs(mutateBytes(rng, media.pngs[frame]!)); contentType = rng.chance(70) ? 'image/png' : undefined; }
    else if (kind === 2) { body = mutateBytes(rng, media.pngs[frame]!); }
    else if (kind === 3) { body = media.jpegs[frame]!; contentType = 'image/jpeg'; }
    else if (kind === 4) { body = mutateBytes(rng, media.jpegs[frame]!); contentType = rng.chance(70) ? 'image/jpeg' : undefined; }
    else if (kind === 5) { body = media.pgms[frame]!; contentType = rng.chance(50) ? 'image/x-portable-graymap' : undefined; }
    else if (kind === 6) { body = mutateBytes(rng, media.pgms[frame]!); contentType = 'image/x-portable-graymap'; }
    else if (kind === 7) { body = pgmHeaderVariant(rng, media.frames[frame]!); contentType = rng.chance(60) ? 'image/x-portable-graymap' : undefined; }
    else if (kind === 8) {
      const f = media.frames[frame]!;
      body = rng.chance(70) ? f.data : f.data.subarray(0, rng.below(f.data.length));
      contentType = 'application/octet-stream';
      query['width'] = rng.chance(80) ? String(f.width) : rng.pick(['0', '1', '95', '97', '9216', '100000']);
      query['height'] = rng.chance(80) ? String(f.height) : rng.pick(['1', '96', '200', '65536']);
      if (rng.chance(40)) query['format'] = rng.pick(['gray8', 'rgb565le', 'rgb565be', 'rgb888', 'rgba8888', 'yuv']);
    } else if (kind === 9) { body = rng.bytes(rng.below(4096)); contentType = rng.chance(50) ? rng.pick(contentTypes) : undefined; }
    else if (kind === 10) { body = rng.chance(50) ? new Uint8Array(0) : null; contentType = rng.pick(contentTypes); }
    else if (kind === 11) { body = new Uint8Array(MAX_BODY + 1 + rng.below(1024)); contentType = 'application/octet-stream'; }
    else if (kind === 12) { body = media.model; contentType = rng.pick(contentTypes); }
    else { body = new TextEncoder().encode(JSON.stringify({ image: 'x', width: 96 })); contentType = 'application/json'; }
    if (rng.chance(10)) contentType = rng.pick(contentTypes);
  }
  return { method, path, query, ...(contentType !== undefined ? { contentType } : {}), headers, body };
}

interface Media {
  frames: Frame[];
  pngs: Uint8Array[];
  jpegs: Uint8Array[];
  pgms: Uint8Array[];
  model: Uint8Array;
  variants: Uint8Array[];
}

/** The bundled model with its description's "version" changed: another model, same graph. */
function variant(model: Uint8Array, n: number): Uint8Array {
  const bytes = Uint8Array.from(model);
  const m = /"version":\s*1\b/.exec(Buffer.from(bytes).toString('latin1'));
  if (m !== null) bytes[m.index + m[0].length - 1] = 0x30 + n;
  return bytes;
}

/** The problem with a response, or null when it is well formed. */
export function problemOf(request: ApiRequest, response: ApiResponse): string | null {
  if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) return `status ${String(response.status)}`;
  if (typeof response.body !== 'string') return 'body is not a string';
  const text = response.contentType.startsWith('text/plain');
  if (text) {
    if (!(request.path === '/metrics' && response.status === 200)) return `text/plain for ${request.method} ${request.path} ${response.status}`;
    return /^# (HELP|TYPE) /m.test(response.body) ? null : 'metrics without HELP/TYPE lines';
  }
  if (response.contentType !== 'application/json; charset=utf-8') return `content type ${response.contentType}`;
  let value: unknown;
  try {
    value = JSON.parse(response.body);
  } catch {
    return 'body is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'JSON body is not an object';
  if (response.status >= 400) {
    const error = (value as { error?: unknown }).error as { code?: unknown; message?: unknown } | undefined;
    if (Object.keys(value).length !== 1 || typeof error !== 'object' || error === null) return 'error body is not {error}';
    if (typeof error.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(error.code)) return `error code ${String(error.code)}`;
    if (typeof error.message !== 'string' || error.message.length === 0) return 'error without a message';
    if (error.code === 'INTERNAL') return `unexpected exception: ${error.message}`;
    if (response.status === 405 && response.headers?.['Allow'] === undefined) return '405 without Allow';
  } else if ('error' in value) {
    return 'success with an error field';
  }
  return null;
}

/** Known frames' answers, timings left out. */
function answers(api: DetectionApi, frames: readonly Frame[]): string[] {
  return frames.map((frame) => {
    const r = api.handle({ method: 'POST', path: '/detect', query: {}, contentType: 'image/x-portable-graymap', body: encodePgm(frame) });
    const body = JSON.parse(r.body) as Record<string, unknown>;
    delete body['timing'];
    return `${r.status} ${JSON.stringify(body)}`;
  });
}

export function fuzzApi(options: ApiFuzzOptions): ApiFuzzResult {
  const rng = new Rng(options.seed);
  const frames = knownFrames(KNOWN_FRAMES);
  const model = new Uint8Array(readFileSync(bundledModelPath));
  const media: Media = {
    frames,
    pngs: frames.map(pngOf),
    jpegs: frames.map((f, i) => jpegOf(f, 60 + 10 * (i % 4))),
    pgms: frames.map(encodePgm),
    model,
    variants: [2, 3, 4].map((n) => variant(model, n)),
  };
  const host = serve(model, frames);
  // Expected answers per model, from a fresh server booted with that model.
  const installed = new Map<string, Uint8Array>([[sha256Hex(model), model]]);
  const expected = new Map<string, string[]>();
  const expectedFor = (sha: string): string[] | undefined => {
    if (!expected.has(sha)) {
      const bytes = installed.get(sha);
      if (bytes === undefined) return undefined;
      const fresh = serve(bytes, frames);
      try {
        expected.set(sha, answers(fresh.api, frames));
      } finally {
        fresh.service.current().session.release();
      }
    }
    return expected.get(sha);
  };
  const result: ApiFuzzResult = { executions: 0, seconds: 0, failures: [], outcomes: new Map(), knownFrameChecks: 0, installs: 0 };
  const fail = (request: ApiRequest, problem: string): void => {
    if (result.failures.length >= 50) return;
    const body = request.body;
    result.failures.push({
      problem,
      request: {
        method: request.method, path: request.path, query: { ...request.query },
        ...(request.contentType !== undefined ? { contentType: request.contentType } : {}),
        bodyBytes: body?.length ?? -1,
        ...(body !== null && body.length <= 4096 ? { body: Buffer.from(body).toString('base64') } : {}),
      },
    });
  };
  const checkKnownFrames = (): void => {
    const facts = JSON.parse(host.api.handle({ method: 'GET', path: '/model', query: {}, body: null }).body) as { sha256?: string };
    const sha = facts.sha256 ?? '';
    const want = expectedFor(sha);
    const probeRequest: ApiRequest = { method: 'POST', path: '/detect', query: {}, body: null };
    if (want === undefined) {
      fail(probeRequest, `the model in service (${sha}) was never installed`);
      return;
    }
    const got = answers(host.api, frames);
    got.forEach((answer, i) => {
      if (answer !== want[i]) fail(probeRequest, `known frame ${i} answered ${answer.slice(0, 200)}, a fresh server ${want[i]!.slice(0, 200)}`);
    });
    result.knownFrameChecks++;
  };
  const started = performance.now();
  const deadline = options.seconds !== undefined ? started + options.seconds * 1000 : Infinity;
  const limit = options.requests ?? Infinity;
  const checkEvery = options.checkEvery ?? 250;
  try {
    checkKnownFrames();
    while (result.executions < limit && performance.now() < deadline) {
      const request = makeRequest(rng, media);
      let response: ApiResponse;
      try {
        response = host.api.handle(request);
      } catch (error) {
        fail(request, `handle threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        result.executions++;
        continue;
      }
      result.executions++;
      const problem = problemOf(request, response);
      if (problem !== null) fail(request, problem);
      let code = '';
      try {
        code = response.status >= 400 ? (JSON.parse(response.body) as { error: { code: string } }).error.code : '';
      } catch {
        code = '?';
      }
      const key = `${request.method} ${paths.includes(request.path) ? request.path : '(other)'} ${response.status} ${code}`.trimEnd();
      result.outcomes.set(key, (result.outcomes.get(key) ?? 0) + 1);
      if (response.status === 200 && request.method === 'PUT' && request.path === '/model' && request.body !== null) {
        installed.set(sha256Hex(request.body), Uint8Array.from(request.body));
        result.installs++;
      }
      if (result.executions % checkEvery === 0) checkKnownFrames();
    }
    checkKnownFrames();
  } finally {
    host.service.current().session.release();
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
