// The REST API as plain functions of a request: no sockets, no Node or Moddable
// modules. A transport (host-sim/node/server.ts on the desktop, the Moddable
// HTTP server on a device) reads the request, enforces the body limit while
// reading, calls handle() and writes what it returns.
//
//   POST /detect   image body -> detections, model identity, timing
//   POST /classify audio/wav body -> keyword labels and scores, when the host
//                  gives ApiOptions.classify (src/audio/keyword.ts; 503 NO_KEYWORD_MODEL otherwise)
//   GET  /model    the model's facts
//   PUT  /model    a new model (verified, signed if a key is set, probed, stored,
//                  swapped): its facts and "changed" (false: it was already in service)
//   POST /model/rollback  back to the rollback target (twice: back again)
//   GET  /metrics /drift /profile  monitoring
//   GET  /healthz  liveness (and whether POST /classify has a keyword model)
//   /adapt/examples (POST, GET, DELETE), POST /adapt: when the host gives
//   ApiOptions.adapt (src/adapt/rest.ts; kept out of this module's imports so
//   a device that does not adapt does not carry the trainer)
//
// Errors are JSON {error: {code, message}} with a 4xx/5xx status; a bad
// request never changes what the next request sees.
import { ApiError } from './api-error.js';
import { XtmlError } from './errors.js';
import { ImageError, jpegSize, parsePgm, pixelFormats, pngSize, type Frame, type PixelFormat } from './image.js';
import type { LoadedModel } from './model-handle.js';
import { ModelService } from './model-service.js';
import { detectionsOf, type Fit, type PipelineResult } from './pipeline.js';

export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. "/detect". */
  path: string;
  query: Readonly<Record<string, string>>;
  /** The Content-Type header, if any. */
  contentType?: string | undefined;
  /** Other headers the API reads (x-model-signature), names in lower case. */
  headers?: Readonly<Record<string, string>>;
  body: Uint8Array | null;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

/** Decodes an image of a format this host has a codec for, to a frame. */
export type ImageDecoder = (bytes: Uint8Array) => Frame;

export interface ApiOptions {
  /** Codecs the host provides: PNG and JPEG on the desktop, whatever a device has. */
  decoders?: Partial<Record<'png' | 'jpeg', ImageDecoder>>;
  /** Largest request body, bytes (transports enforce it while reading). */
  maxBodyBytes?: number;
  /** Largest PUT /model body, bytes; maxBodyBytes when absent (a device takes models larger than its frames). */
  maxModelBytes?: number;
  /** Largest image, pixels; checked from the header before decoding. */
  maxPixels?: number;
  /** Milliseconds from some origin. */
  clock?: () => number;
  /** What this server runs on, for /healthz ("wasm", "node", "xs"). */
  backend?: string;
  /** The adaptation calls (src/adapt/rest.ts's AdaptRoutes, built on the same ModelService); absent: 404. */
  adapt?: AdaptHandler;
  /** POST /classify (src/audio/keyword.ts's ClassifyRoutes); absent: 503 NO_KEYWORD_MODEL. */
  classify?: ClassifyHandler;
}

/** What POST /classify calls: answers a JSON value or throws ApiError. */
export interface ClassifyHandler {
  classify(request: ApiRequest): unknown;
}

/** What the /adapt routes call: each answers a JSON value or throws ApiError. */
export interface AdaptHandler {
  add(body: Uint8Array | null): unknown;
  list(): unknown;
  clear(): unknown;
  adapt(body: Uint8Array | null): unknown;
}

export const defaultMaxBodyBytes = 4 << 20;
export const defaultMaxPixels = 4096 * 4096;

// Module-level tables are frozen: on Moddable a preloaded module's objects
// stay in flash only when frozen (the XS linker warns "not frozen" otherwise).
const imageStatus: Readonly<Record<ImageError['code'], number>> = Object.freeze({
  CORRUPT_IMAGE: 400,
  BAD_DIMENSIONS: 400,
  UNSUPPORTED_IMAGE: 415,
  IMAGE_TOO_LARGE: 413,
});

type ImageKind = 'png' | 'jpeg' | 'pgm' | 'raw';

const mediaTypes: Readonly<Record<string, ImageKind>> = Object.freeze({
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/x-portable-graymap': 'pgm',
  'image/x-portable-anymap': 'pgm',
  'image/x-portable-greymap': 'pgm',
  'image/pgm': 'pgm',
  'application/octet-stream': 'raw',
});

function json(status: number, value: unknown, headers?: Record<string, string>): ApiResponse {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}

export function errorResponse(status: number, code: string, message: string, headers?: Record<string, string>): ApiResponse {
  return json(status, { error: { code, message } }, headers);
}

function codeOf(response: ApiResponse): string {
  try {
    return (JSON.parse(response.body) as { error: { code: string } }).error.code;
  } catch {
    return `HTTP_${response.status}`;
  }
}

const base64Digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (padding optional) to bytes; ApiError on anything else. */
export function base64(text: string): Uint8Array {
  const clean = text.trim().replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) {
    throw new ApiError(400, 'BAD_SIGNATURE', 'X-Model-Signature must be base64');
  }
  const out = new Uint8Array((clean.length * 3) >> 2);
  let bits = 0, value = 0, at = 0;
  for (let i = 0; i < clean.length; i++) {
    value = (value << 6) | base64Digits.indexOf(clean[i]!);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 255;
    }
  }
  return out;
}

/** The response for an error thrown while serving a request. */
export function errorFor(error: unknown): ApiResponse {
  if (error instanceof ApiError) return errorResponse(error.status, error.code, error.message);
  if (error instanceof ImageError) return errorResponse(imageStatus[error.code], error.code, error.message);
  if (error instanceof XtmlError) return errorResponse(500, error.code, error.detail || error.message);
  return errorResponse(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
}

function round(x: number, places: number): number {
  const f = 10 ** places;
  return Math.round(x * f) / f;
}

/** A positive integer query parameter, or undefined when absent. */
function intParam(query: Readonly<Record<string, string>>, name: string): number | undefined {
  const text = query[name];
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) === 0) {
    throw new ApiError(400, 'BAD_PARAMETER', `${name} must be a positive integer, got '${text}'`);
  }
  return Number(text);
}

export class DetectionApi {
  readonly maxBodyBytes: number;
  readonly maxModelBytes: number;
  readonly maxPixels: number;
  readonly decoders: Partial<Record<'png' | 'jpeg', ImageDecoder>>;
  private readonly clock: () => number;
  private readonly started: number;
  private readonly backend: string;
  private readonly current: () => LoadedModel;
  private readonly service: ModelService | undefined;
  private readonly adapt: AdaptHandler | undefined;
  private readonly classifier: ClassifyHandler | undefined;

  /**
   * `source` is the ModelService (monitoring, updates, rollback), or just a
   * function returning the model to serve. Either is asked once per request.
   */
  constructor(source: ModelService | (() => LoadedModel), options: ApiOptions = {}) {
    if (source instanceof ModelService) {
      this.service = source;
      this.current = () => source.current();
    } else {
      this.service = undefined;
      this.current = source;
    }
    this.decoders = options.decoders ?? {};
    this.maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
    this.maxModelBytes = options.maxModelBytes ?? this.maxBodyBytes;
    this.maxPixels = options.maxPixels ?? defaultMaxPixels;
    this.clock = options.clock ?? Date.now;
    this.started = this.clock();
    this.backend = options.backend ?? '';
    this.adapt = options.adapt;
    this.classifier = options.classify;
  }

  /** The body limit of a request: PUT /model has its own. */
  bodyLimit(method: string, path: string): number {
    return method === 'PUT' && path === '/model' ? this.maxModelBytes : this.maxBodyBytes;
  }

  /** One request to one response; never throws. Each failed request is counted once in the metrics. */
  handle(request: ApiRequest): ApiResponse {
    let response: ApiResponse;
    let counted = false;
    try {
      response = this.route(request);
    } catch (error) {
      response = errorFor(error);
      counted = this.service?.counted(error) ?? false;   // a frame the model service refused and counted
    }
    if (response.status >= 400 && this.service !== undefined && !counted) {
      this.service.recordError(codeOf(response));
    }
    return response;
  }

  /**
   * The answer to a request whose body is over bodyLimit(method, path), as the
   * transport found from its Content-Length (`size`) or while reading it
   * (undefined): 413, counted like any failed request.
   */
  tooLarge(method: string, path: string, size?: number): ApiResponse {
    const limit = this.bodyLimit(method, path);
    this.service?.recordError('BODY_TOO_LARGE');
    return errorResponse(413, 'BODY_TOO_LARGE', size !== undefined
      ? `the body is ${size} bytes, the limit is ${limit}`
      : `the body is over the limit of ${limit} bytes`);
  }

  private route(request: ApiRequest): ApiResponse {
    const service = this.service;
    const managed = (run: (service: ModelService) => ApiResponse) => (): ApiResponse => {
      if (service === undefined) throw new ApiError(404, 'NOT_FOUND', `${request.path} needs a model service; this server runs a fixed model`);
      return run(service);
    };
    const adapt = this.adapt;
    const adapting = (run: (handler: AdaptHandler) => ApiResponse) => (): ApiResponse => {
      if (adapt === undefined) throw new ApiError(404, 'NOT_FOUND', `${request.path}: this server does not adapt its model`);
      return run(adapt);
    };
    const routes: Record<string, Record<string, () => ApiResponse>> = {
      '/detect': { POST: () => this.detect(request) },
      '/classify': {
        POST: () => {
          if (this.classifier === undefined) throw new ApiError(503, 'NO_KEYWORD_MODEL', 'this server has no keyword model; start it with one (--keyword-model FILE, docs/audio.md)');
          return json(200, this.classifier.classify(request));
        },
      },
      '/model': {
        GET: () => json(200, this.modelFacts(this.current())),
        PUT: managed((s) => {
          const body = request.body;
          if (body === null || body.length === 0) throw new ApiError(400, 'EMPTY_BODY', 'PUT /model needs the .tflite model as the body');
          if (body.length > this.maxModelBytes) throw new ApiError(413, 'BODY_TOO_LARGE', `the body is ${body.length} bytes, the limit is ${this.maxModelBytes}`);
          const header = request.headers?.['x-model-signature'];
          const replace = request.query['replace'] === '1' || request.query['replace'] === 'true';
          const { model, changed } = s.install(body, { ...(header !== undefined ? { signature: base64(header) } : {}), replaceExpectations: replace });
          return json(200, { ...this.modelFacts(model), changed });
        }),
      },
      '/model/rollback': { POST: managed((s) => json(200, this.modelFacts(s.rollback().model))) },
      '/metrics': { GET: managed((s) => ({ status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: s.metrics.render() })) },
      '/drift': {
        GET: managed((s) => json(200, {
          ...s.drift.status(), history: s.drift.history(), ...s.drift.distributions(),
          labels: [...s.current().spec.labels, 'nothing'],
        })),
      },
      '/profile': { GET: managed((s) => json(200, { model: this.current().id, ...s.profile() })) },
      '/adapt/examples': {
        POST: adapting((a) => json(200, a.add(request.body))),
        GET: adapting((a) => json(200, a.list())),
        DELETE: adapting((a) => json(200, a.clear())),
      },
      '/adapt': { POST: adapting((a) => json(200, a.adapt(request.body))) },
      '/healthz': { GET: () => json(200, { status: 'ok', model: this.current().id, backend: this.backend, keyword_model: this.classifier !== undefined, uptime_s: round((this.clock() - this.started) / 1000, 3) }) },
    };
    const methods = Object.hasOwn(routes, request.path) ? routes[request.path]! : undefined;
    if (methods === undefined) throw new ApiError(404, 'NOT_FOUND', `no such endpoint: ${request.path}`);
    const run = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
    if (run === undefined) {
      const allow = Object.keys(methods).join(', ');
      return errorResponse(405, 'METHOD_NOT_ALLOWED', `${request.method} ${request.path} is not allowed; use ${allow}`, { Allow: allow });
    }
    return run();
  }

  /** The model's facts as GET /model reports them. */
  modelFacts(model: LoadedModel): Record<string, unknown> {
    const { session, spec } = model;
    const tensor = (t: (typeof session.inputs)[number]): Record<string, unknown> => ({
      name: t.name, type: t.type, dims: t.dims, bytes: t.bytes, scale: t.scale, zero_point: t.zeroPoint,
    });
    return {
      id: model.id,
      sha256: model.sha256,
      name: spec.name,
      model_bytes: model.bytes,
      arena_bytes: session.arenaBytes,
      macs: session.macs,
      backend: session.backend,
      operators: session.operators.map((op, index) => ({ index, name: op.name, macs: op.macs })),
      input: { ...tensor(session.inputs[0]!), width: spec.input.width, height: spec.input.height, channels: spec.input.channels, range: spec.input.range },
      output: tensor(session.outputs[0]!),
      labels: spec.labels,
      decoding: spec.decoding,
      limits: { max_body_bytes: this.maxBodyBytes, max_model_bytes: this.maxModelBytes, max_pixels: this.maxPixels },
      ...(this.service !== undefined ? { service: this.service.state() } : {}),
    };
  }

  private detect(request: ApiRequest): ApiResponse {
    const model = this.current();
    const t0 = this.clock();
    const frame = frameFromRequest(request, this);
    const fit = (request.query['fit'] ?? 'crop') as Fit;
    if (fit !== 'crop' && fit !== 'stretch') throw new ApiError(400, 'BAD_PARAMETER', `fit must be 'crop' or 'stretch', got '${String(fit)}'`);
    const profile = request.query['profile'] === '1' || request.query['profile'] === 'true';
    const t1 = this.clock();
    const wasProfiling = model.session.profiling;
    if (profile) model.session.setProfiling(true);
    let result: PipelineResult;
    let operators: { index: number; name: string; ms: number }[] = [];
    try {
      result = this.service !== undefined ? this.service.detect(frame, fit, model) : model.pipeline.process(frame, fit);
      if (profile) operators = model.session.profile().map((p) => ({ index: p.index, name: p.name, ms: round(p.ms, 4) }));
    } finally {
      if (profile && !wasProfiling) model.session.setProfiling(false);
    }
    const body: Record<string, unknown> = {
      detections: detectionsOf(result).map((d) => ({
        label: d.label, score: round(d.score, 4), x: round(d.x, 2), y: round(d.y, 2), w: round(d.w, 2), h: round(d.h, 2),
        cx: round(d.cx, 2), cy: round(d.cy, 2),
      })),
      model: { id: model.id, sha256: model.sha256 },
      frame: { width: frame.width, height: frame.height },
      region: { ...result.region },
      timing: {
        image_ms: round(t1 - t0, 3),
        preprocess_ms: round(t1 - t0 + result.timing.preprocess_ms, 3),
        invoke_ms: round(result.timing.invoke_ms, 3),
        decode_ms: round(result.timing.decode_ms, 3),
      },
    };
    if (profile) body['operators'] = operators;
    return json(200, body);
  }
}

export interface FrameLimits {
  decoders: Partial<Record<'png' | 'jpeg', ImageDecoder>>;
  maxBodyBytes: number;
  maxPixels: number;
}

/**
 * The request body as a frame, by its content type (or its magic bytes when it
 * has none). Throws ApiError or ImageError; errorFor() turns them into responses.
 */
export function frameFromRequest(request: ApiRequest, limits: FrameLimits): Frame {
  const body = request.body;
  if (body === null || body.length === 0) throw new ApiError(400, 'EMPTY_BODY', 'the request has no body; send an image (PNG, JPEG, PGM, or raw grayscale with ?width=&height=)');
  if (body.length > limits.maxBodyBytes) throw new ApiError(413, 'BODY_TOO_LARGE', `the body is ${body.length} bytes, the limit is ${limits.maxBodyBytes}`);
  const kind = kindOf(request.contentType, body);
  switch (kind) {
    case 'pgm':
      return parsePgm(body, limits.maxPixels);
    case 'raw':
      return rawFrame(limits, request.query, body);
    default: {
      const size = kind === 'png' ? pngSize(body) : jpegSize(body);
      if (size.width * size.height > limits.maxPixels) {
        throw new ImageError('IMAGE_TOO_LARGE', `the ${kind.toUpperCase()} header says ${size.width}x${size.height} = ${size.width * size.height} pixels, the limit is ${limits.maxPixels}`);
      }
      const decoder = limits.decoders[kind];
      if (decoder === undefined) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `this host has no ${kind.toUpperCase()} decoder; send PGM or raw grayscale`);
      let frame: Frame;
      try {
        frame = decoder(body);
      } catch (error) {
        if (error instanceof ImageError) throw error;
        throw new ImageError('CORRUPT_IMAGE', `${kind.toUpperCase()} does not decode: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (frame.width !== size.width || frame.height !== size.height) {
        throw new ImageError('CORRUPT_IMAGE', `${kind.toUpperCase()} decoded to ${frame.width}x${frame.height}, its header says ${size.width}x${size.height}`);
      }
      return frame;
    }
  }
}

function kindOf(contentType: string | undefined, body: Uint8Array): ImageKind {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '') {
    const kind = Object.hasOwn(mediaTypes, type) ? mediaTypes[type] : undefined;
    if (kind === undefined) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not an image this API reads; use image/png, image/jpeg, image/x-portable-graymap or application/octet-stream (raw, with ?width=&height=)`);
    }
    return kind;
  }
  // no Content-Type: go by the first bytes
  if (body[0] === 0x89 && body[1] === 0x50) return 'png';
  if (body[0] === 0xff && body[1] === 0xd8) return 'jpeg';
  if (body[0] === 0x50 && body[1] === 0x35) return 'pgm';
  throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'no Content-Type, and the body is not a PNG, JPEG or PGM');
}

function rawFrame(limits: FrameLimits, query: Readonly<Record<string, string>>, body: Uint8Array): Frame {
  const width = intParam(query, 'width'), height = intParam(query, 'height');
  if (width === undefined || height === undefined) {
    throw new ApiError(400, 'BAD_PARAMETER', 'a raw (application/octet-stream) body needs ?width= and ?height=');
  }
  const format = (query['format'] ?? 'gray8') as PixelFormat;
  if (!pixelFormats.includes(format)) throw new ApiError(400, 'BAD_PARAMETER', `format must be one of ${pixelFormats.join(', ')}, got '${String(format)}'`);
  if (width * height > limits.maxPixels) throw new ImageError('IMAGE_TOO_LARGE', `${width}x${height} = ${width * height} pixels, the limit is ${limits.maxPixels}`);
  return { width, height, format, data: body };
}
