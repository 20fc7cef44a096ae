// `--backend xs` for the desktop server: the REST API runs inside the XS
// desktop host (serve.ts) as a subprocess, one JSON line per request, one at a
// time (XS has one thread; requests queue here). PNG and JPEG bodies are
// decoded on this side, as a device without those codecs would need a helper
// to do, and reach XS as raw frames; everything else goes through unchanged.
// Requests go one at a time: the next is written only after the answer to the
// last, so the lines XS writes in between are unambiguous. Signatures are
// checked in XS by the model service, which asks this side to verify each one
// with the configured key (the host crypto a device would provide); drift
// alerts come up the pipe to the drift options' onAlert. Node-only.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  ApiError, encodePgm, errorFor, errorResponse, frameFromRequest, type ApiRequest, type ApiResponse, type DriftOptions, type DriftStatus, type Frame, type ImageDecoder,
} from '../../src/index.js';
import { adaptFrame } from '../../src/adapt/rest.js';
import { xsHostAvailable, xsHostPath, xsManifestPath } from './xs-backend.js';

/** Held-out frames; 1..100 are the known frames (probe and drift baseline), as on the desktop server. */
const knownFramesPath = fileURLToPath(new URL('../../../models/data/heldout.bin', import.meta.url));
/** The audio front end (as server.ts's frontendModelPath; not imported from there, which imports this module). */
const frontendModelPath = fileURLToPath(new URL('../../../models/audio/frontend.tflite', import.meta.url));

export interface XsApiOptions {
  sidecarPath?: string;
  maxBodyBytes: number;
  /** Largest PUT /model body; maxBodyBytes when absent. */
  maxModelBytes?: number;
  maxPixels: number;
  decoders: { png: ImageDecoder; jpeg: ImageDecoder };
  /** Where the model service's notes go; console.warn by default. */
  logger?: (level: 'info' | 'warn', message: string) => void;
  /** Where updated models are kept (the device's storage module over this host's files); absent: in memory. */
  stateDir?: string;
  /** The Ed25519 public key every PUT /model must be signed with; absent: no signature needed. */
  signingKey?: KeyObject;
  drift?: DriftOptions;
  /** POST /classify's models (the files are opened in XS as Resources). */
  keyword?: { keywordPath: string; frontendPath?: string; labels?: readonly string[] };
}

/** The serve arguments for drift options (onAlert stays on this side). */
function driftArgs(drift: DriftOptions | undefined): string[] {
  const out: string[] = [];
  const add = (name: string, value: number | undefined): void => {
    if (value !== undefined) out.push(name, String(value));
  };
  add('--drift-window', drift?.window);
  add('--drift-threshold', drift?.threshold);
  add('--drift-min-frames', drift?.minFrames);
  add('--drift-sample-every', drift?.sampleEvery);
  return out;
}

/**
 * A decoded frame as gray8 when every pixel is grey (the desktop decoders give
 * RGBA even for a grey PNG): R = G = B is the grey level. Null for colour.
 */
function greyOf(frame: Frame): Frame | null {
  if (frame.format === 'gray8') return frame;
  const step = frame.format === 'rgba8888' ? 4 : frame.format === 'rgb888' ? 3 : 0;
  if (step === 0) return null;
  const n = frame.width * frame.height;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = frame.data[i * step]!;
    if (frame.data[i * step + 1] !== r || frame.data[i * step + 2] !== r) return null;
    data[i] = r;
  }
  return { width: frame.width, height: frame.height, format: 'gray8', data };
}

export class XsApiHost {
  readonly backend = 'xs' as const;
  /** GET /model as XS reported it at start. */
  readonly facts: Record<string, unknown>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string | null) => void)[] = [];
  private readonly options: XsApiOptions;
  private exited = false;
  /** The request in flight: the next one is written when it settles. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(child: ChildProcessWithoutNullStreams, facts: Record<string, unknown>, options: XsApiOptions, lines: AsyncIterableIterator<string>) {
    this.child = child;
    this.facts = facts;
    this.options = options;
    const logger = options.logger ?? ((level: string, message: string) => console.warn(`xs-tinyml ${level}: ${message}`));
    void (async () => {
      for await (const line of lines) {
        if (line.startsWith('{"log":')) {
          const { level, message } = (JSON.parse(line) as { log: { level: 'info' | 'warn'; message: string } }).log;
          logger(level, message);
          continue;
        }
        if (line.startsWith('{"verify":')) {
          child.stdin.write(JSON.stringify({ verified: this.verify(line) }) + '\n');
          continue;
        }
        if (line.startsWith('{"alert":')) {
          options.drift?.onAlert?.((JSON.parse(line) as { alert: DriftStatus }).alert);
          continue;
        }
        this.waiting.shift()?.(line);
      }
      this.exited = true;
      for (const wake of this.waiting.splice(0)) wake(null);
    })();
  }

  /** Start the XS host on a model; throws the model's error if it does not load. */
  static async start(modelPath: string, options: XsApiOptions): Promise<XsApiHost> {
    if (!xsHostAvailable()) throw new Error('the XS desktop host is not built: run `npm run build:xs` and `npx tsc -p .`');
    const sha256 = createHash('sha256').update(readFileSync(modelPath)).digest('hex');
    const args = ['--manifest', xsManifestPath, 'serve', modelPath, '--sha256', sha256, '--known', knownFramesPath,
      '--max-pixels', String(options.maxPixels), '--max-body', String(options.maxBodyBytes)];
    if (options.maxModelBytes !== undefined) args.push('--max-model', String(options.maxModelBytes));
    if (options.sidecarPath !== undefined) args.push('--sidecar', options.sidecarPath);
    if (options.stateDir !== undefined) args.push('--state-dir', resolve(options.stateDir));
    if (options.signingKey !== undefined) args.push('--verify-signatures');
    args.push(...driftArgs(options.drift));
    if (options.keyword !== undefined) {
      const frontendPath = options.keyword.frontendPath ?? frontendModelPath;
      const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
      args.push('--keyword-model', resolve(options.keyword.keywordPath), '--keyword-sha256', sha(options.keyword.keywordPath),
        '--frontend', resolve(frontendPath), '--frontend-sha256', sha(frontendPath));
      if (options.keyword.labels !== undefined) args.push('--keyword-labels', options.keyword.labels.join(','));
    }
    const child = spawn(xsHostPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    let first = await lines.next();
    while (first.done !== true && first.value.startsWith('{"log":')) first = await lines.next();
    if (first.done === true) throw new Error(`xtml-xs serve exited: ${stderr.trim()}`);
    const hello = JSON.parse(first.value) as { ready?: Record<string, unknown>; error?: { code: string; message: string } };
    if (hello.ready === undefined) {
      child.kill();
      throw new Error(`${hello.error?.code ?? 'ERROR'}: ${hello.error?.message ?? stderr.trim()}`);
    }
    return new XsApiHost(child, hello.ready, options, lines);
  }

  async handle(request: ApiRequest): Promise<ApiResponse> {
    let forwarded = request;
    let decoded = false;
    if (request.method === 'POST' && request.path === '/detect' && request.body !== null && request.body.length > 0) {
      const type = (request.contentType ?? '').split(';')[0]!.trim().toLowerCase();
      const png = type === 'image/png' || (type === '' && request.body[0] === 0x89);
      const jpeg = type === 'image/jpeg' || type === 'image/jpg' || (type === '' && request.body[0] === 0xff);
      if (png || jpeg) {
        try {
          const frame = frameFromRequest(request, this.options);
          forwarded = {
            ...request,
            contentType: 'application/octet-stream',
            query: { ...request.query, width: String(frame.width), height: String(frame.height), format: frame.format },
            body: frame.data,
          };
          decoded = true;
        } catch (error) {
          // answered here, counted there
          return this.answer({ refused: errorFor(error) });
        }
      }
    }
    if (request.method === 'POST' && request.path === '/adapt/examples' && request.body !== null) {
      try {
        const pgm = this.examplePgm(request.body);
        if (pgm !== null) {
          forwarded = { ...request, body: pgm };
          decoded = true;
        }
      } catch (error) {
        return this.answer({ refused: errorFor(error) });
      }
    }
    return this.answer({
      method: forwarded.method,
      path: forwarded.path,
      query: forwarded.query,
      contentType: forwarded.contentType,
      headers: forwarded.headers ?? {},
      body: Buffer.from(forwarded.body ?? new Uint8Array(0)).toString('hex'),
      // a frame decoded here: its pixels may exceed the body limit the encoded image kept to
      ...(decoded ? { decoded: true } : {}),
    });
  }

  /**
   * POST /adapt/examples whose "image" is a PNG or JPEG: the same JSON with the
   * image decoded here and sent as a PGM (XS has no PNG or JPEG codec); null
   * for anything else, which XS judges itself (bad JSON, PGM, not an image).
   */
  private examplePgm(body: Uint8Array): Uint8Array | null {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(body).toString('latin1'));
    } catch {
      return null;
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return null;
    const image = (doc as Record<string, unknown>)['image'];
    if (typeof image !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(image.trim())) return null;
    const bytes = Buffer.from(image, 'base64');
    const png = bytes[0] === 0x89 && bytes[1] === 0x50, jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
    if (!png && !jpeg) return null;
    const frame = greyOf(adaptFrame(new Uint8Array(bytes), this.options));
    if (frame === null) {
      // the core turns colour into grey in XS, and a PGM cannot carry colour
      throw new ApiError(400, 'BAD_IMAGE', `"image": with --backend xs an example must be a grey image (this ${png ? 'PNG' : 'JPEG'} has colour)`);
    }
    return new Uint8Array(Buffer.from(JSON.stringify({ ...doc, image: Buffer.from(encodePgm(frame)).toString('base64') }), 'latin1'));
  }

  /** One wire message to XS and the response it answers. */
  private async answer(message: Record<string, unknown>): Promise<ApiResponse> {
    const line = await this.exchange(JSON.stringify(message));
    if (line === null) return errorResponse(503, 'BACKEND_EXITED', 'the XS host exited');
    return JSON.parse(line) as ApiResponse;
  }

  bodyLimit(method: string, path: string): number {
    return method === 'PUT' && path === '/model' ? this.options.maxModelBytes ?? this.options.maxBodyBytes : this.options.maxBodyBytes;
  }

  /** The 413 for a body over the limit, answered and counted by the API in XS. */
  tooLarge(method: string, path: string, size?: number): Promise<ApiResponse> {
    return this.answer({ tooLarge: { method, path, ...(size !== undefined ? { size } : {}) } });
  }

  /** A signature check XS asked for: {"verify": {digest, signature}} in hex. */
  private verify(line: string): boolean {
    const key = this.options.signingKey;
    if (key === undefined) return false;
    try {
      const { digest, signature } = (JSON.parse(line) as { verify: { digest: string; signature: string } }).verify;
      return verifySignature(null, Buffer.from(digest, 'hex'), key, Buffer.from(signature, 'hex'));
    } catch {
      return false;
    }
  }

  private exchange(line: string): Promise<string | null> {
    const answer = this.queue.then(() => {
      if (this.exited) return null;
      return new Promise<string | null>((resolvePromise) => {
        this.waiting.push(resolvePromise);
        this.child.stdin.write(line + '\n');
      });
    });
    this.queue = answer;
    return answer;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolvePromise) => this.child.once('exit', () => resolvePromise()));
    this.child.stdin.end();
    await done;
  }
}
