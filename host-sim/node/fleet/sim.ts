// Simulated devices for the tests, the benchmark and `fleet sim`: each is a
// whole device as the app builds one (a ModelService with its own storage on
// WebAssembly or the Node addon, a FleetAgent, its own MQTT connection with a
// last will), many per Node process. A device can run "camera" traffic: frames
// through ModelService.detect at a fixed period, so its metrics count real
// inferences. Node-only.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { MemoryStorage, ModelService, ModelStore, type BackendName, type Frame, type StorageBackend } from '../../../src/index.js';
import { FleetAgent, type AdaptationOutcome } from '../../../src/fleet/agent.js';
import { adaptModel, type AdaptExample, type AdaptOptions, type Adaptation } from '../../../src/adapt/head.js';
import { bundledModelPath, loadBinding } from '../backends.js';
import { hostCrypto, knownFrames, sha256Hex } from '../server.js';
import { connectAgent, fetchBytes, LateTransport, type AgentConnection, type AgentConnectionOptions } from './mqtt-transport.js';

export interface SimDeviceOptions extends AgentConnectionOptions {
  id: string;
  broker: string;
  fleet: string;
  prefix?: string;
  backend?: Exclude<BackendName, 'xs'>;
  /** Model slots and records; in memory by default. */
  storage?: StorageBackend;
  /** Ed25519 public key (PEM or 32 raw bytes): installs need a signature by its private key. */
  signingKey?: string | Uint8Array;
  /** Known frames (probe + drift baseline); 8 by default, to keep many devices cheap. */
  knownFrames?: number;
  metricsEveryMs?: number;
  downloadTimeoutMs?: number;
  /** Frames through the model every this many ms; 0 (default): none. */
  trafficEveryMs?: number;
  /** The frame the camera gives for the n-th frame (held-out frames in turn by default). */
  frameFor?: (device: SimDevice, n: number) => Frame;
  /** Fetch model URLs over HTTP (true by default); false: chunks over MQTT only. */
  http?: boolean;
  maxModelBytes?: number;
  /** The bundled model (models/detector.tflite by default). */
  bundled?: Uint8Array;
  drift?: { threshold?: number; window?: number; minFrames?: number };
  /** Report adaptations to the controller (the agent's `federated`; off by default). */
  federated?: boolean;
  log?: (level: 'info' | 'warn', message: string) => void;
}

let frameCache: Frame[] | undefined;
function frames(count: number): Frame[] {
  if (frameCache === undefined || frameCache.length < count) frameCache = knownFrames(Math.max(count, 24));
  return frameCache.slice(0, count);
}
let bundledCache: Uint8Array | undefined;

export class SimDevice {
  readonly id: string;
  readonly service: ModelService;
  readonly agent: FleetAgent;
  readonly storage: StorageBackend;
  /** Every model that served on this device, in order (SHA-256). */
  readonly served: string[] = [];
  /** When each of them started serving (Date.now()). */
  readonly servedAt: number[] = [];
  private connection: AgentConnection | undefined;
  private traffic: NodeJS.Timeout | undefined;
  private frameNo = 0;
  private readonly options: SimDeviceOptions;

  constructor(options: SimDeviceOptions) {
    this.options = options;
    this.id = options.id;
    const bundled = options.bundled ?? (bundledCache ??= new Uint8Array(readFileSync(bundledModelPath)));
    const crypto = hostCrypto(options.signingKey);
    this.storage = options.storage ?? new MemoryStorage();
    const binding = loadBinding(options.backend ?? 'wasm');
    const quiet = options.log ?? ((): void => undefined);
    this.service = new ModelService({
      binding,
      bundled: { bytes: bundled, sha256: sha256Hex(bundled), size: bundled.length },
      crypto,
      store: new ModelStore(this.storage, crypto.sha256),
      knownFrames: frames(options.knownFrames ?? 8),
      drift: { window: options.drift?.window ?? 100, minFrames: options.drift?.minFrames ?? 20, ...(options.drift?.threshold !== undefined ? { threshold: options.drift.threshold } : {}) },
      profileDepth: 0,
      log: quiet,
    });
    this.service.boot();
    this.note();
    const transport = new LateTransport();
    this.agent = new FleetAgent({
      service: this.service,
      transport,
      fleet: options.fleet,
      device: options.id,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      engine: binding.backend,
      platform: `node-sim ${process.platform}`,
      bundledSha256: sha256Hex(bundled),
      sha256: crypto.sha256,
      ...(options.metricsEveryMs !== undefined ? { metricsEveryMs: options.metricsEveryMs } : {}),
      ...(options.downloadTimeoutMs !== undefined ? { downloadTimeoutMs: options.downloadTimeoutMs } : {}),
      maxModelBytes: options.maxModelBytes ?? 1 << 20,
      ...(options.http !== false ? { fetch: fetchBytes } : {}),
      freeMemory: () => freemem(),
      ...(options.federated !== undefined ? { federated: options.federated } : {}),
      log: quiet,
    });
    this.transportFor = transport;
    // record the model after every swap (installs and rollbacks, from MQTT chunks or HTTP)
    const service = this.service;
    const install = service.install.bind(service);
    const rollback = service.rollback.bind(service);
    service.install = (bytes, opts) => {
      try {
        return install(bytes, opts);
      } finally {
        this.note();
      }
    };
    service.rollback = () => {
      try {
        return rollback();
      } finally {
        this.note();
      }
    };
  }

  private readonly transportFor: LateTransport;

  /** Connect to the broker and start the camera. */
  start(): this {
    if (this.connection !== undefined) return this;
    this.connection = connectAgent(this.agent, this.transportFor, this.options.broker, this.options);
    const every = this.options.trafficEveryMs ?? 0;
    if (every > 0) this.traffic = setInterval(() => this.frame(), every);
    return this;
  }

  get connected(): boolean {
    return this.connection?.client.connected === true;
  }

  /** One camera frame through the model in service. */
  frame(): void {
    const n = this.frameNo++;
    const frame = this.options.frameFor?.(this, n) ?? frames(24)[n % 24]!;
    try {
      this.service.detect(frame, 'crop');
    } catch {
      // counted by the service's metrics, as a device's camera loop would
    }
    this.note();
  }

  /**
   * Adapt the model in service on labelled frames (src/adapt/, as POST /adapt
   * does), install the result unless `install` is false or the device takes
   * only signed models, and report the adaptation to the controller.
   */
  adapt(examples: readonly AdaptExample[], options: AdaptOptions & { install?: boolean } = {}): { adaptation: Adaptation; installed: string | null; report: AdaptationOutcome } {
    const running = this.service.current();
    const bytes = this.service.modelBytes(running);
    if (!(bytes instanceof Uint8Array)) throw new Error(`${this.id}: the running model's bytes are not at hand`);
    const adaptation = adaptModel(running.session.binding, bytes, examples, options);
    let installed: string | null = null;
    if (options.install !== false && !this.service.signaturesRequired()) {
      installed = this.service.install(adaptation.model, { adaptedHere: true }).model.sha256;
    }
    return { adaptation, installed, report: this.agent.reportAdaptation(running.sha256, adaptation, installed) };
  }

  /** Stop: cleanly (the device says it is offline) or as a power cut (the broker sends its will). */
  async stop(crash = false): Promise<void> {
    if (this.traffic !== undefined) clearInterval(this.traffic);
    this.traffic = undefined;
    await this.connection?.close(crash);
    this.connection = undefined;
  }

  /** Stop and free the model (the device is gone). */
  async release(): Promise<void> {
    await this.stop();
    this.service.current().session.release();
  }

  private note(): void {
    const sha = this.service.current().sha256;
    if (this.served[this.served.length - 1] !== sha) {
      this.served.push(sha);
      this.servedAt.push(Date.now());
    }
  }
}
