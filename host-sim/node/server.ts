// The desktop transport of the REST API (src/api.ts): Node's http server on
// loopback, the web page (host-sim/web) at /, and the API behind it running on
// WebAssembly or the Node addon in this process, or inside the XS desktop host
// (host-sim/xs/serve.ts) as a subprocess. Node-only.
import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DetectionApi, ModelService, ModelStore, defaultMaxBodyBytes, defaultMaxPixels, errorResponse,
  type ApiRequest, type ApiResponse, type BackendName, type DriftOptions, type Frame, type HostCrypto, type StorageBackend,
} from '../../src/index.js';
import { FileStorage } from './file-storage.js';
import { bundledModelPath, loadBinding } from './backends.js';
import { desktopDecoders } from './images.js';
import { AdaptRoutes, adaptFrame } from '../../src/adapt/rest.js';
import { ClassifyRoutes } from '../../src/audio/keyword.js';
import { XsApiHost } from '../xs/xs-api.js';
import { convertMaxBodyBytes, handleConvert } from './convert-route.js';

export { bundledModelPath };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The audio front end POST /classify runs before a keyword model (tools/audio-frontend.ts writes it). */
export const frontendModelPath = join(root, 'models/audio/frontend.tflite');
const webDir = join(root, 'host-sim/web');

/** Static files of the page: path -> [file, content type]. */
const staticFiles: Record<string, [string, string]> = {
  '/': [join(webDir, 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': [join(webDir, 'app.js'), 'text/javascript; charset=utf-8'],
  '/api.js': [join(webDir, 'api.js'), 'text/javascript; charset=utf-8'],
  '/dom.js': [join(webDir, 'dom.js'), 'text/javascript; charset=utf-8'],
  '/format.js': [join(webDir, 'format.js'), 'text/javascript; charset=utf-8'],
  '/frames.js': [join(webDir, 'frames.js'), 'text/javascript; charset=utf-8'],
  '/model-panel.js': [join(webDir, 'model-panel.js'), 'text/javascript; charset=utf-8'],
  '/monitor.js': [join(webDir, 'monitor.js'), 'text/javascript; charset=utf-8'],
  '/convert-panel.js': [join(webDir, 'convert-panel.js'), 'text/javascript; charset=utf-8'],
  '/audio-panel.js': [join(webDir, 'audio-panel.js'), 'text/javascript; charset=utf-8'],
  '/adapt.js': [join(webDir, 'adapt.js'), 'text/javascript; charset=utf-8'],
  '/overlay.js': [join(webDir, 'overlay.js'), 'text/javascript; charset=utf-8'],
  '/style.css': [join(webDir, 'style.css'), 'text/css; charset=utf-8'],
  // held-out frame 1 (models/data/heldout.bin) as an 8-bit gray PNG, for the page's "Sample frame" button
  '/sample.png': [join(webDir, 'sample.png'), 'image/png'],
  '/vendor/chart.umd.min.js': [join(root, 'node_modules/chart.js/dist/chart.umd.min.js'), 'text/javascript; charset=utf-8'],
};

/** POST /classify's models: a keyword model (e.g. TFLM's micro_speech) and the front end before it. */
export interface KeywordOptions {
  keywordPath: string;
  /** Default: models/audio/frontend.tflite. */
  frontendPath?: string;
  /** The keyword model's labels in output order; default micro_speech's (silence, unknown, yes, no). */
  labels?: readonly string[];
}

export interface ServerOptions {
  backend?: BackendName;
  modelPath?: string;
  /** Serve POST /classify with these models; absent: it answers 503 NO_KEYWORD_MODEL. */
  keyword?: KeywordOptions;
  /** Sidecar JSON file overriding the model's own description. */
  sidecarPath?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxBodyBytes?: number;
  /** Largest PUT /model body; maxBodyBytes when absent. */
  maxModelBytes?: number;
  maxPixels?: number;
  /** Print one line per request. */
  log?: boolean;
  /** Directory of the model slots and records (updates survive restarts); absent: updates live in memory. */
  stateDir?: string;
  /** Storage for the model slots, instead of stateDir (tests inject faults with it). */
  storage?: StorageBackend;
  /** Ed25519 public key (PEM, or 32 raw bytes) that must have signed every model sent to PUT /model. */
  signingKey?: string | Uint8Array;
  drift?: DriftOptions;
  /** Where the model service's notes go (updates, rollbacks, drift alerts); console.warn by default. */
  logger?: (level: 'info' | 'warn', message: string) => void;
}

/** The known frames (held-out frames, never trained on): frame 1 is the probe, all make the drift baseline. */
export function knownFrames(count = 100): Frame[] {
  const bin = readFileSync(join(root, 'models/data/heldout.bin'));
  const frames: Frame[] = [];
  for (let i = 1; i <= count; i++) frames.push({ width: 96, height: 96, format: 'gray8', data: new Uint8Array(bin.subarray(i * 9216, (i + 1) * 9216)) });
  return frames;
}

/** An Ed25519 public key from PEM text or its 32 raw bytes. */
export function publicKey(key: string | Uint8Array): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  if (key.length !== 32) throw new RangeError(`a raw Ed25519 public key is 32 bytes, got ${key.length}`);
  // SubjectPublicKeyInfo for Ed25519 (OID 1.3.101.112) around the raw key
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key)]);
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

export function hostCrypto(signingKey?: string | Uint8Array): HostCrypto {
  const key = signingKey !== undefined ? publicKey(signingKey) : undefined;
  return {
    sha256: sha256Hex,
    ...(key !== undefined ? { verifySignature: (digest: Uint8Array, signature: Uint8Array) => verifySignature(null, digest, key, signature) } : {}),
  };
}

/** Something that answers API requests: the API in this process, or in XS. */
export interface ApiHost {
  readonly backend: BackendName;
  handle(request: ApiRequest): Promise<ApiResponse>;
  /** The body limit of a request (PUT /model has its own). */
  bodyLimit(method: string, path: string): number;
  /** The counted 413 for a body over the limit: `size` from Content-Length, undefined when found while reading. */
  tooLarge(method: string, path: string, size?: number): Promise<ApiResponse>;
  close(): Promise<void>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The API on WebAssembly or the Node addon, in this process. */
export class LocalApiHost implements ApiHost {
  readonly backend: BackendName;
  readonly api: DetectionApi;
  readonly service: ModelService;
  /** POST /classify, when the server has a keyword model. */
  readonly classify: ClassifyRoutes | undefined;

  constructor(backend: 'wasm' | 'node', modelBytes: Uint8Array, options: {
    sidecar?: string; maxBodyBytes: number; maxModelBytes?: number; maxPixels: number; stateDir?: string; storage?: StorageBackend;
    signingKey?: string | Uint8Array; drift?: DriftOptions; log?: (level: 'info' | 'warn', message: string) => void;
    keyword?: KeywordOptions;
  }) {
    const binding = loadBinding(backend);
    this.backend = binding.backend;
    const clock = (): number => performance.now();
    const crypto = hostCrypto(options.signingKey);
    const storage = options.storage ?? (options.stateDir !== undefined ? new FileStorage(options.stateDir) : undefined);
    this.service = new ModelService({
      binding,
      bundled: { bytes: modelBytes, sha256: sha256Hex(modelBytes), size: modelBytes.length },
      crypto,
      ...(storage !== undefined ? { store: new ModelStore(storage, crypto.sha256) } : {}),
      knownFrames: knownFrames(),
      ...(options.sidecar !== undefined ? { sidecar: options.sidecar } : {}),
      clock,
      maxPixels: options.maxPixels,
      ...(options.drift !== undefined ? { drift: options.drift } : {}),
      log: options.log ?? ((level, message) => console.warn(`xs-tinyml ${level}: ${message}`)),
    });
    this.service.boot();
    const decoders = desktopDecoders(options.maxPixels);
    const limits = { decoders, maxBodyBytes: options.maxBodyBytes, maxPixels: options.maxPixels };
    this.classify = options.keyword !== undefined ? new ClassifyRoutes(binding, readKeywordModels(options.keyword), clock) : undefined;
    this.api = new DetectionApi(this.service, {
      decoders,
      maxBodyBytes: options.maxBodyBytes,
      ...(options.maxModelBytes !== undefined ? { maxModelBytes: options.maxModelBytes } : {}),
      maxPixels: options.maxPixels,
      clock,
      backend: this.backend,
      adapt: new AdaptRoutes(this.service, (bytes) => adaptFrame(bytes, limits)),
      ...(this.classify !== undefined ? { classify: this.classify } : {}),
    });
  }

  handle(request: ApiRequest): Promise<ApiResponse> {
    return Promise.resolve(this.api.handle(request));
  }

  bodyLimit(method: string, path: string): number {
    return this.api.bodyLimit(method, path);
  }

  tooLarge(method: string, path: string, size?: number): Promise<ApiResponse> {
    return Promise.resolve(this.api.tooLarge(method, path, size));
  }

  close(): Promise<void> {
    this.service.current().session.release();
    this.classify?.release();
    return Promise.resolve();
  }
}

/** The keyword path's model files, read, with their SHA-256. */
export function readKeywordModels(options: KeywordOptions): ConstructorParameters<typeof ClassifyRoutes>[1] {
  const frontend = new Uint8Array(readFileSync(options.frontendPath ?? frontendModelPath));
  const keyword = new Uint8Array(readFileSync(options.keywordPath));
  return {
    frontend, keyword, frontendSha256: sha256Hex(frontend), keywordSha256: sha256Hex(keyword),
    ...(options.labels !== undefined ? { labels: options.labels } : {}),
  };
}

export interface RunningServer {
  server: Server;
  url: string;
  host: ApiHost;
  close(): Promise<void>;
}

/** The body, or {tooLarge} past `limit` bytes: its Content-Length, or undefined when found while reading (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | { tooLarge: number | undefined }> {
  return new Promise((resolvePromise, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      req.resume();
      resolvePromise({ tooLarge: declared });
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      total += chunk.length;
      if (total > limit) {
        over = true;
        chunks.length = 0;
        resolvePromise({ tooLarge: undefined });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolvePromise(new Uint8Array(Buffer.concat(chunks)));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: ApiResponse): void {
  res.writeHead(response.status, {
    'Content-Type': response.contentType,
    'Cache-Control': 'no-store',
    ...(response.headers ?? {}),
  });
  res.end(response.body);
}

/**
 * Options the XS backend cannot honour are refused before anything starts
 * (TypeError, naming the option): silently dropping one, as a signing key once
 * was, would serve something other than what was asked for.
 */
function refuseForXs(options: ServerOptions): void {
  if (options.storage !== undefined) {
    throw new TypeError('--backend xs cannot use a storage object: the model service runs in the XS process; give a state directory instead');
  }
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const backend = options.backend ?? 'wasm';
  const modelPath = options.modelPath ?? bundledModelPath;
  const modelBytes = new Uint8Array(readFileSync(modelPath));
  const sidecar = options.sidecarPath !== undefined ? readFileSync(options.sidecarPath, 'utf8') : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const maxPixels = options.maxPixels ?? defaultMaxPixels;
  const limits = {
    maxBodyBytes, maxPixels,
    ...(options.maxModelBytes !== undefined ? { maxModelBytes: options.maxModelBytes } : {}),
    ...(sidecar !== undefined ? { sidecar } : {}),
    ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
    ...(options.storage !== undefined ? { storage: options.storage } : {}),
    ...(options.signingKey !== undefined ? { signingKey: options.signingKey } : {}),
    ...(options.drift !== undefined ? { drift: options.drift } : {}),
    ...(options.logger !== undefined ? { log: options.logger } : {}),
    ...(options.keyword !== undefined ? { keyword: options.keyword } : {}),
  };
  if (backend === 'xs') refuseForXs(options);
  const host: ApiHost = backend === 'xs'
    ? await XsApiHost.start(modelPath, {
      maxBodyBytes, maxPixels, decoders: desktopDecoders(maxPixels),
      ...(options.maxModelBytes !== undefined ? { maxModelBytes: options.maxModelBytes } : {}),
      ...(options.sidecarPath !== undefined ? { sidecarPath: options.sidecarPath } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.signingKey !== undefined ? { signingKey: publicKey(options.signingKey) } : {}),
      ...(options.drift !== undefined ? { drift: options.drift } : {}),
      ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
      ...(options.keyword !== undefined ? { keyword: options.keyword } : {}),
    })
    : new LocalApiHost(backend, modelBytes, limits);
  const log = options.log ?? false;

  const server = createServer((req, res) => {
    void (async () => {
      const started = performance.now();
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      let response: ApiResponse;
      const file = method === 'GET' && Object.hasOwn(staticFiles, url.pathname) ? staticFiles[url.pathname] : undefined;
      if (file !== undefined) {
        res.writeHead(200, { 'Content-Type': file[1] });
        res.end(readFileSync(file[0]));
        return;
      }
      try {
        // POST /convert is the desktop server's own (not the API's): its own limit, and not in the API's metrics
        const converting = method === 'POST' && url.pathname === '/convert';
        const limit = converting ? convertMaxBodyBytes : host.bodyLimit(method, url.pathname);
        const body = method === 'POST' || method === 'PUT' ? await readBody(req, limit) : new Uint8Array(0);
        if (!(body instanceof Uint8Array)) {
          res.setHeader('Connection', 'close');
          response = converting
            ? errorResponse(413, 'BODY_TOO_LARGE', `the body is over the limit of ${limit} bytes`)
            : await host.tooLarge(method, url.pathname, body.tooLarge);
        } else if (converting) {
          response = handleConvert(body);
        } else {
          response = await host.handle({
            method,
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            contentType: req.headers['content-type'],
            headers: Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string')),
            body,
          });
        }
      } catch (error) {
        response = errorResponse(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
      }
      send(res, response);
      if (log) console.log(`${method} ${url.pathname}${url.search} ${response.status} ${(performance.now() - started).toFixed(1)} ms`);
    })();
  });
  // Longer than clients' idle timeouts (undici keeps sockets 4 s): otherwise a client can
  // reuse a connection at the moment the server drops it, and a request fails for nothing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolvePromise());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address.address}:${address.port}`,
    host,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      await host.close();
    },
  };
}
