// The fleet controller: one MQTT client that watches every device of a fleet
// (retained state and online marker, periodic metrics), keeps the models it
// rolls out (state dir), drives staged rollouts (rollout.ts) by publishing
// retained desired states and retained model chunks, and answers the REST API
// the web page and `fleet rollout` use. Its state (rollouts, models, desired
// states) is saved before anything it decided is published, so a restarted
// controller carries on where it stopped; on every (re)connection it publishes
// all desired states and chunks again, so a broker that lost them gets them
// back. Devices' adaptation reports (federated adaptation) are held one per
// device; `federate` averages those on one base model into a model
// (federate.ts), signs it with the fleet's key where it has one, and rolls it
// out as any other. Node-only.
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { ApiError, InferenceSession, XtmlError, errorFor, errorResponse, type ApiRequest, type ApiResponse } from '../../../src/index.js';
import { base64 } from '../../../src/api.js';
import { findHead } from '../../../src/adapt/head.js';
import { decodeAdaptation } from '../../../src/fleet/federate.js';
import {
  decodeMetrics, decodeState, fleetTopics, parseDeviceTopic, ProtocolError,
  type Desired, type FleetTopics, type ModelSource,
} from '../../../src/fleet/protocol.js';
import { bundledModelPath, loadBinding } from '../backends.js';
import { hostCrypto } from '../server.js';
import { chooseBase, federate, shapeProblem, type FederateOptions, type HeldReport } from './federate.js';
import { assignWaves, parsePlan, PlanError, planText, type Plan } from './plan.js';
import { errorRate, halt, newRollout, readGates, step, type DeviceView, type Rollout, type RolloutWorld } from './rollout.js';
import { StateStore, type ControllerState } from './state-store.js';

export interface ControllerOptions {
  /** mqtt://host:port (or mqtts://, ws://). */
  broker: string;
  fleet?: string;
  prefix?: string;
  /** Where rollouts, models and desired states are kept. */
  stateDir: string;
  /** Bytes per retained model chunk (4096 by default). */
  chunkBytes?: number;
  /** How often rollouts are advanced, ms (250 by default). */
  tickMs?: number;
  /** Base URL devices can fetch models from (GET /fleet/models/<sha256>); set by the HTTP server. */
  publicUrl?: string;
  /** Ed25519 public key (PEM or 32 raw bytes): rollouts must then be signed with its private key. */
  verifyKey?: string | Uint8Array;
  /** Ed25519 private key (PEM): the controller signs the models it builds itself (federated adaptation) with it. */
  signKey?: string;
  username?: string;
  password?: string;
  /** Reconnect period, ms (1000 by default). */
  reconnectMs?: number;
  /** After a lost broker connection, devices not heard from within this time count as offline (30 s by default). */
  offlineGraceMs?: number;
  clock?: () => number;
  log?: (line: string) => void;
}

interface View extends DeviceView {
  seen: number;
}

/** Messages received, per kind, and the rate over the last seconds. */
class Counter {
  total = 0;
  readonly byKind: Record<string, number> = {};
  private readonly seconds = new Float64Array(10);
  private readonly stamps = new Float64Array(10);
  bytes = 0;

  count(kind: string, bytes: number, now: number): void {
    this.total++;
    this.bytes += bytes;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    const s = Math.floor(now / 1000);
    const slot = s % 10;
    if (this.stamps[slot] !== s) {
      this.stamps[slot] = s;
      this.seconds[slot] = 0;
    }
    this.seconds[slot]!++;
  }

  /** Messages per second over the last full seconds (up to 9). */
  rate(now: number): number {
    const s = Math.floor(now / 1000);
    let n = 0, sum = 0;
    for (let back = 1; back <= 9; back++) {
      const slot = (s - back) % 10;
      if (this.stamps[slot] === s - back) sum += this.seconds[slot]!;
      n++;
    }
    return sum / n;
  }
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let bundledCache: { bytes: Uint8Array; sha256: string } | undefined;
function bundledModel(): { bytes: Uint8Array; sha256: string } {
  if (bundledCache === undefined) {
    const bytes = new Uint8Array(readFileSync(bundledModelPath));
    bundledCache = { bytes, sha256: sha256Hex(bytes) };
  }
  return bundledCache;
}

function json(status: number, value: unknown): ApiResponse {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}

export class FleetController {
  readonly topics: FleetTopics;
  readonly fleet: string;
  readonly options: ControllerOptions;
  readonly received = new Counter();
  /** Desired states and chunks published. */
  readonly sent = { messages: 0, bytes: 0 };
  /** Messages that did not decode, by code. */
  readonly refused: Record<string, number> = {};
  /** The latest adaptation report of each device that sent a valid one. */
  readonly adaptations = new Map<string, HeldReport>();
  /** The latest refused adaptation report of each device, with why. */
  readonly adaptationRefusals = new Map<string, { code: string; message: string; at: number }>();
  private readonly signKey: KeyObject | undefined;
  private readonly client: MqttClient;
  private readonly store: StateStore;
  private state: ControllerState;
  private readonly views = new Map<string, View>();
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private pending: [string, Desired][] = [];
  private connectedOnce: Promise<void>;
  private readonly crypto: ReturnType<typeof hostCrypto>;
  private stepping = false;
  private disconnectedAt: number | undefined;
  /** Base URL of GET /fleet/models/<sha256> for devices that fetch over HTTP; undefined: chunks only. */
  publicUrl: string | undefined;

  private constructor(options: ControllerOptions) {
    this.options = options;
    this.publicUrl = options.publicUrl;
    this.fleet = options.fleet ?? 'default';
    this.topics = fleetTopics(options.prefix ?? 'xtml', this.fleet);
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((line) => console.log(line));
    this.crypto = hostCrypto(options.verifyKey);
    this.signKey = options.signKey !== undefined ? createPrivateKey(options.signKey) : undefined;
    this.store = new StateStore(options.stateDir);
    this.state = this.store.load();
    for (const problem of this.store.problems) this.log(`fleet: state: ${problem}`);
    this.client = mqtt.connect(options.broker, {
      clientId: `xtml-controller-${this.topics.base.replace(/\//g, '-')}${process.pid}`,
      clean: true,
      reconnectPeriod: options.reconnectMs ?? 1000,
      connectTimeout: 10_000,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
    });
    this.connectedOnce = new Promise((resolvePromise) => this.client.once('connect', () => resolvePromise()));
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => {
      this.disconnectedAt ??= this.clock();
    });
    this.client.on('error', (error) => this.log(`fleet: broker: ${error.message}`));
    this.client.on('message', (topic, payload) => this.onMessage(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.length)));
  }

  /** Connect to the broker and start advancing rollouts. */
  static async start(options: ControllerOptions): Promise<FleetController> {
    const controller = new FleetController(options);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no connection to the broker at ${options.broker} within 10 s`)), 10_000).unref());
    try {
      await Promise.race([controller.connectedOnce, timeout]);
    } catch (error) {
      await controller.close();
      throw error;
    }
    controller.timer = setInterval(() => controller.advance(), options.tickMs ?? 250);
    return controller;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.client.endAsync(true);
  }

  // ---- the broker ----

  private onConnect(): void {
    // A device's online marker as it was before the controller lost the broker
    // may be stale (a broker that crashed sends no wills): a device not heard
    // from within offlineGraceMs of the reconnection counts as offline.
    if (this.disconnectedAt !== undefined) {
      const since = this.clock();
      this.disconnectedAt = undefined;
      const grace = setTimeout(() => {
        for (const view of this.views.values()) if (view.seen < since) view.online = false;
      }, this.options.offlineGraceMs ?? 30_000);
      grace.unref();
    }
    const base = this.topics.base;
    this.client.subscribe([`${base}+/state`, `${base}+/online`, `${base}+/metrics`, `${base}+/adaptation`], { qos: 1 });
    // Publish again what devices must find retained: the broker may have lost it.
    const models = new Set<string>();
    for (const [device, desired] of Object.entries(this.state.desired)) {
      this.publishDesired(device, desired);
      if (desired.source?.chunks !== undefined) models.add(desired.sha256);
    }
    for (const sha of models) this.publishChunks(sha);
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    const now = this.clock();
    const where = parseDeviceTopic(this.topics, topic);
    if (where === undefined) return;
    this.received.count(where.kind, payload.length + topic.length, now);
    let view = this.views.get(where.device);
    if (view === undefined) {
      if (payload.length === 0) return;
      view = { id: where.device, online: false, state: null, metrics: null, metricsAt: 0, seen: now };
      this.views.set(where.device, view);
    }
    view.seen = now;
    try {
      if (where.kind === 'state') {
        if (payload.length === 0) {
          this.views.delete(where.device);   // the device was removed (its retained state cleared)
          return;
        }
        view.state = decodeState(payload);
      } else if (where.kind === 'online') {
        view.online = payload.length === 1 && payload[0] === 0x31;
      } else if (where.kind === 'metrics') {
        view.metrics = decodeMetrics(payload);
        view.metricsAt = now;
      } else if (where.kind === 'adaptation') {
        this.onAdaptation(where.device, topic, payload, now);
      }
    } catch (error) {
      const code = error instanceof ProtocolError ? error.code : 'BAD_MESSAGE';
      this.refused[code] = (this.refused[code] ?? 0) + 1;
      if (where.kind === 'adaptation') {
        // a device's refused report replaces its earlier one: it is no longer what the device holds
        this.adaptations.delete(where.device);
        this.adaptationRefusals.set(where.device, { code, message: error instanceof Error ? error.message : String(error), at: now });
      }
    }
  }

  /** A device's adaptation report: decoded strictly, checked against its base model when the controller has it. */
  private onAdaptation(device: string, topic: string, payload: Uint8Array, now: number): void {
    if (payload.length === 0) {
      this.adaptations.delete(device);   // the device withdrew it
      this.adaptationRefusals.delete(device);
      return;
    }
    const report = decodeAdaptation(payload, sha256Hex);
    const base = this.baseModel(report.base);
    if (base === undefined) {
      throw new ProtocolError('UNKNOWN_BASE', `adaptation report: base ${report.base} is a model this controller does not have (send it with POST /fleet/federate or roll it out)`);
    }
    const problem = shapeProblem(report, this.headOf(report.base, base));
    if (problem !== undefined) throw new ProtocolError('BAD_ADAPTATION', `adaptation report: ${problem}`);
    this.adaptations.set(device, { report, bytes: payload.length + topic.length, received: now });
    this.adaptationRefusals.delete(device);
  }

  private readonly heads = new Map<string, ReturnType<typeof findHead>>();
  private headOf(sha256: string, bytes: Uint8Array): ReturnType<typeof findHead> {
    let head = this.heads.get(sha256);
    if (head === undefined) {
      try {
        head = findHead(bytes);
      } catch (error) {
        throw new ProtocolError('NO_HEAD', `adaptation report: base ${sha256.slice(0, 12)} has no head to adapt (${error instanceof Error ? error.message : String(error)})`);
      }
      this.heads.set(sha256, head);
    }
    return head;
  }

  /** A model the controller has: one it stored (rollouts, federation bases) or the bundled detector. */
  baseModel(sha256: string): Uint8Array | undefined {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const cached = this.bases.get(sha256);
    if (cached !== undefined) return cached;
    const bundled = bundledModel();
    const bytes = this.store.model(sha256) ?? (bundled.sha256 === sha256 ? bundled.bytes : undefined);
    // a few bases at a time in practice; reports arrive per device, so do not read and hash the file for each
    if (bytes !== undefined) this.bases.set(sha256, bytes);
    return bytes;
  }

  private readonly bases = new Map<string, Uint8Array>();

  /** Store a model and have the broker deliver the retained adaptation reports again (some may be on it). */
  private addModel(sha256: string, bytes: Uint8Array, name: string): void {
    const known = this.store.model(sha256) !== undefined;
    this.store.saveModel(sha256, bytes);
    if (!this.state.models.some((m) => m.sha256 === sha256)) {
      this.state.models.push({ sha256, size: bytes.length, name, added: this.clock() });
    }
    if (!known) {
      const topic = `${this.topics.base}+/adaptation`;
      this.client.unsubscribe(topic, () => this.client.subscribe(topic, { qos: 1 }));
    }
  }

  private publishDesired(device: string, desired: Desired): void {
    const text = JSON.stringify(desired);
    this.sent.messages++;
    this.sent.bytes += text.length;
    this.client.publish(this.topics.desired(device), text, { qos: 1, retain: true });
  }

  private publishChunks(sha256: string): void {
    const bytes = this.store.model(sha256);
    if (bytes === undefined) return;
    const size = this.chunkBytes;
    for (let i = 0, at = 0; at < bytes.length; i++, at += size) {
      const chunk = Buffer.from(bytes.subarray(at, Math.min(bytes.length, at + size)));
      this.sent.messages++;
      this.sent.bytes += chunk.length;
      this.client.publish(this.topics.chunk(sha256, i), chunk, { qos: 1, retain: true });
    }
  }

  private get chunkBytes(): number {
    return this.options.chunkBytes ?? 4096;
  }

  // ---- rollouts ----

  private world(): RolloutWorld {
    return {
      now: this.clock,
      device: (id) => this.views.get(id),
      send: (device, desired) => this.pending.push([device, desired]),
      source: (sha) => this.source(sha),
    };
  }

  private source(sha256: string): ModelSource | undefined {
    const model = this.state.models.find((m) => m.sha256 === sha256);
    if (model === undefined) return undefined;
    return {
      chunks: { count: Math.ceil(model.size / this.chunkBytes), size: this.chunkBytes },
      ...(this.publicUrl !== undefined ? { url: `${this.publicUrl}/fleet/models/${sha256}` } : {}),
    };
  }

  /** Save what was decided, then publish it: a crash in between republishes the same on restart. */
  private commit(): void {
    const pending = this.pending;
    this.pending = [];
    for (const [device, desired] of pending) this.state.desired[device] = desired;
    this.store.save(this.state);
    for (const [device, desired] of pending) this.publishDesired(device, desired);
  }

  /** Advance every rollout that is running or still has devices on their way (late installs, rollbacks). */
  advance(): void {
    if (this.stepping) return;
    this.stepping = true;
    try {
      let changed = false;
      const world = this.world();
      for (const r of this.state.rollouts) {
        if (r.status === 'running' || Object.values(r.devices).some((d) => d.status === 'rolling_back' || d.status === 'sent')) {
          if (step(r, world)) changed = true;
        }
      }
      if (changed || this.pending.length > 0) this.commit();
    } finally {
      this.stepping = false;
    }
  }

  /** Start a rollout of `bytes` to every device the controller knows. Throws ApiError. */
  createRollout(bytes: Uint8Array, plan: Plan, options: { name?: string; signature?: Uint8Array } = {}): Rollout {
    if (this.state.rollouts.some((r) => r.status === 'running')) {
      const running = this.state.rollouts.find((r) => r.status === 'running')!;
      throw new ApiError(409, 'ROLLOUT_RUNNING', `rollout ${running.id} is still running; halt it or wait for it to finish`);
    }
    if (bytes.length === 0) throw new ApiError(400, 'EMPTY_BODY', 'the body must be the .tflite model');
    const sha256 = sha256Hex(bytes);
    if (this.crypto.verifySignature !== undefined) {
      if (options.signature === undefined) throw new ApiError(401, 'SIGNATURE_REQUIRED', 'this controller takes only signed models: send X-Model-Signature (base64 Ed25519 signature of the model\'s SHA-256)');
      if (options.signature.length !== 64 || !this.crypto.verifySignature(Buffer.from(sha256, 'hex'), options.signature)) {
        throw new ApiError(403, 'BAD_SIGNATURE', `the signature does not verify for model sha256 ${sha256} with the controller's key`);
      }
    }
    // The core's verification and plan, before any device sees it (each device verifies and probes again).
    try {
      InferenceSession.create(loadBinding('wasm'), bytes).release();
    } catch (error) {
      if (error instanceof XtmlError) throw new ApiError(422, error.code, error.detail || error.message);
      throw error;
    }
    const devices = [...this.views.keys()].filter((id) => this.views.get(id)!.state !== null).sort();
    if (devices.length === 0) throw new ApiError(409, 'NO_DEVICES', `no device of fleet '${this.fleet}' has reported its state yet`);
    const now = this.clock();
    const id = `r${now.toString(36)}-${sha256.slice(0, 8)}`;
    this.addModel(sha256, bytes, options.name ?? '');
    const rollout = newRollout({
      id, sha256, size: bytes.length, name: options.name ?? '', plan, waves: assignWaves(id, devices, plan.waves), now,
      ...(options.signature !== undefined ? { signature: Buffer.from(options.signature).toString('base64') } : {}),
    });
    this.state.rollouts.push(rollout);
    this.publishChunks(sha256);
    step(rollout, this.world());
    this.commit();
    this.log(`fleet: rollout ${id} of ${sha256.slice(0, 12)} (${bytes.length} bytes) to ${devices.length} devices: ${JSON.stringify(planText(plan))}`);
    return rollout;
  }

  /**
   * Federated adaptation: average the adaptation reports on one base model
   * (FedAvg, weighted by examples), build and verify the model, sign it with
   * the controller's key where it has one, and start a staged rollout of it.
   * `baseBytes`: the base model, when the controller does not have it yet.
   * Throws ApiError.
   */
  federate(plan: Plan, options: FederateOptions & { name?: string; baseBytes?: Uint8Array } = {}): { rollout: Rollout; federated: Record<string, unknown> } {
    let asked = options.base;
    if (asked !== undefined && !/^[0-9a-f]{64}$/.test(asked)) throw new ApiError(400, 'BAD_PARAMETER', 'base must be a SHA-256 (64 lower-case hex digits)');
    if (options.baseBytes !== undefined && options.baseBytes.length > 0) {
      const sha = sha256Hex(options.baseBytes);
      if (asked !== undefined && asked !== sha) throw new ApiError(400, 'BASE_MISMATCH', `the model sent hashes to ${sha}, not base ${asked}`);
      try {
        InferenceSession.create(loadBinding('wasm'), options.baseBytes).release();
      } catch (error) {
        if (error instanceof XtmlError) throw new ApiError(422, error.code, error.detail || error.message);
        throw error;
      }
      asked = sha;
      if (this.baseModel(sha) === undefined) this.addModel(sha, options.baseBytes, '');
      this.store.save(this.state);
    }
    const base = chooseBase(this.adaptations, asked);
    const baseBytes = this.baseModel(base);
    if (baseBytes === undefined) throw new ApiError(404, 'UNKNOWN_BASE', `base ${base} is a model this controller does not have; send its bytes as the body`);
    if (this.crypto.verifySignature !== undefined && this.signKey === undefined) {
      throw new ApiError(409, 'SIGNING_KEY_REQUIRED', 'this fleet takes only signed models and the controller has no signing key (fleet serve --sign-key)');
    }
    const running = this.state.rollouts.find((r) => r.status === 'running');
    if (running !== undefined) throw new ApiError(409, 'ROLLOUT_RUNNING', `rollout ${running.id} is still running; halt it or wait for it to finish`);
    const made = federate(loadBinding('wasm'), base, baseBytes, this.adaptations, options);
    const sha256 = sha256Hex(made.model);
    const signature = this.signKey !== undefined ? new Uint8Array(sign(null, Buffer.from(sha256, 'hex'), this.signKey)) : undefined;
    const rollout = this.createRollout(made.model, plan, {
      name: options.name ?? `fedavg ${base.slice(0, 8)} x${made.head.devices.length}`,
      ...(signature !== undefined ? { signature } : {}),
    });
    rollout.federated = { base, devices: made.head.devices, examples: made.head.examples };
    this.store.save(this.state);
    this.log(`fleet: federated ${made.head.devices.length} adaptations of ${base.slice(0, 12)} (${made.head.examples} examples) into ${sha256.slice(0, 12)}`);
    return {
      rollout,
      federated: {
        base, sha256, size: made.model.length, signed: signature !== undefined, devices: made.head.devices, examples: made.head.examples,
        logit_range: made.head.range, excluded: made.excluded,
      },
    };
  }

  /** The adaptation reports held, by base, and the refused ones. */
  adaptationSummary(): Record<string, unknown> {
    const bases = new Map<string, { devices: number; examples: number }>();
    const reports = [...this.adaptations.keys()].sort().map((device) => {
      const { report, bytes, received } = this.adaptations.get(device)!;
      const b = bases.get(report.base) ?? { devices: 0, examples: 0 };
      b.devices++;
      b.examples += report.examples;
      bases.set(report.base, b);
      return {
        device, base: report.base, model: report.model, classes: report.classes, features: report.features,
        examples: report.examples, objects: report.objects, logit_range: report.range, bytes, received,
      };
    });
    return {
      bases: [...bases.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([sha256, b]) => ({ sha256, ...b })),
      reports,
      refused: [...this.adaptationRefusals.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([device, r]) => ({ device, ...r })),
    };
  }

  haltRollout(id: string, reason: string): Rollout {
    const r = this.rollout(id);
    if (r.status !== 'running') throw new ApiError(409, 'NOT_RUNNING', `rollout ${id} is ${r.status}`);
    halt(r, this.world(), reason);
    this.commit();
    return r;
  }

  /** Tell one device to return to its rollback model. */
  rollbackDevice(id: string): Desired {
    const view = this.views.get(id);
    if (view === undefined || view.state === null) throw new ApiError(404, 'NO_SUCH_DEVICE', `no device '${id}' in fleet '${this.fleet}'`);
    const target = view.state.rollback;
    if (target === null) throw new ApiError(409, 'NO_ROLLBACK', `${id} has no model to roll back to`);
    const known = this.state.models.find((m) => m.sha256 === target);
    const source = this.source(target);
    const desired: Desired = {
      v: 1, rollout: `rollback-${this.clock().toString(36)}`, action: 'rollback', sha256: target, size: known?.size ?? 1,
      ...(source !== undefined ? { source } : {}),
    };
    this.pending.push([id, desired]);
    this.commit();
    return desired;
  }

  rollout(id: string): Rollout {
    const r = this.state.rollouts.find((x) => x.id === id);
    if (r === undefined) throw new ApiError(404, 'NO_SUCH_ROLLOUT', `no rollout '${id}'`);
    return r;
  }

  rollouts(): readonly Rollout[] {
    return this.state.rollouts;
  }

  device(id: string): View | undefined {
    return this.views.get(id);
  }

  deviceIds(): string[] {
    return [...this.views.keys()].sort();
  }

  // ---- views for the API ----

  deviceSummary(view: View): Record<string, unknown> {
    const s = view.state;
    const m = view.metrics;
    const rate = m !== null ? errorRate(m) : null;
    return {
      id: view.id,
      online: view.online,
      engine: s?.engine ?? null,
      platform: s?.platform ?? null,
      model: s?.model ?? null,
      name: s === null ? null : (this.state.models.find((x) => x.sha256 === s.model.sha256)?.name || s.model.id),
      rollback: s?.rollback ?? null,
      uptime_s: s?.uptime_s ?? null,
      free: s?.free ?? null,
      last: s?.last ?? null,
      job: s?.job ?? null,
      desired: this.state.desired[view.id] === undefined ? null : { rollout: this.state.desired[view.id]!.rollout, action: this.state.desired[view.id]!.action, sha256: this.state.desired[view.id]!.sha256 },
      metrics: m === null ? null : {
        model: m.m, inferences: m.n, errors: m.e, error_rate: rate!.requests === 0 ? null : rate!.errors / rate!.requests,
        detections: m.d, empty: m.z, latency_ms: { p50: m.l[0], p90: m.l[1], p99: m.l[2] }, psi: m.p, alert: m.a === 1,
        age_s: Math.round((this.clock() - view.metricsAt) / 100) / 10,
      },
    };
  }

  /** Model versions across the fleet, with error and drift per version. */
  models(): Record<string, unknown>[] {
    const by = new Map<string, { devices: number; online: number; inferences: number; errors: number; psi: number[]; alerts: number; p99: number | null; ids: Set<string> }>();
    for (const view of this.views.values()) {
      if (view.state === null) continue;
      const sha = view.state.model.sha256;
      let row = by.get(sha);
      if (row === undefined) {
        row = { devices: 0, online: 0, inferences: 0, errors: 0, psi: [], alerts: 0, p99: null, ids: new Set() };
        by.set(sha, row);
      }
      row.devices++;
      if (view.online) row.online++;
      row.ids.add(view.state.model.id);
      const m = view.metrics;
      if (m !== null && m.m === sha) {
        const r = errorRate(m);
        row.inferences += m.n;
        row.errors += r.errors;
        row.psi.push(m.p);
        if (m.a === 1) row.alerts++;
        if (m.l[2] !== null) row.p99 = Math.max(row.p99 ?? 0, m.l[2]);
      }
    }
    return [...by.entries()].sort((a, b) => b[1].devices - a[1].devices).map(([sha, row]) => {
      const known = this.state.models.find((m) => m.sha256 === sha);
      return {
        sha256: sha, name: known?.name || [...row.ids].join(', '), size: known?.size ?? null, devices: row.devices, online: row.online,
        inferences: row.inferences, errors: row.errors, error_rate: row.inferences + row.errors === 0 ? null : row.errors / (row.inferences + row.errors),
        psi_max: row.psi.length === 0 ? null : Math.max(...row.psi),
        psi_mean: row.psi.length === 0 ? null : row.psi.reduce((a, b) => a + b, 0) / row.psi.length,
        drift_alerts: row.alerts, p99_ms_max: row.p99,
      };
    });
  }

  rolloutSummary(r: Rollout): Record<string, unknown> {
    const counts: Record<string, number> = {};
    for (const d of Object.values(r.devices)) counts[d.status] = (counts[d.status] ?? 0) + 1;
    const waves = r.plan.waves.map((fraction, wave) => {
      const members = Object.values(r.devices).filter((d) => d.wave === wave);
      return { wave, fraction, devices: members.length, installed: members.filter((d) => d.status === 'installed').length };
    });
    return {
      id: r.id, sha256: r.sha256, size: r.size, name: r.name, signed: r.signature !== undefined, federated: r.federated ?? null, status: r.status, wave: r.wave,
      plan: planText(r.plan), waves, counts, soak_since: r.soakSince, created: r.created, finished: r.finished, reason: r.reason,
      gates: r.status === 'running' ? readGates(r, this.world()) : [],
    };
  }

  summary(): Record<string, unknown> {
    const now = this.clock();
    let online = 0;
    for (const v of this.views.values()) if (v.online) online++;
    return {
      fleet: this.fleet, prefix: this.topics.base.split('/')[0], broker: this.options.broker, connected: this.connected,
      devices: this.views.size, online,
      models: this.models(),
      rollouts: this.state.rollouts.slice(-20).reverse().map((r) => this.rolloutSummary(r)),
      stats: {
        received: this.received.total, received_bytes: this.received.bytes, by_kind: this.received.byKind, rate_per_s: this.received.rate(now),
        sent: this.sent.messages, refused: this.refused,
      },
      adaptations: { reports: this.adaptations.size, refused: this.adaptationRefusals.size },
    };
  }

  /** The REST API under /fleet. Never throws. */
  handle(request: ApiRequest): ApiResponse {
    try {
      return this.route(request);
    } catch (error) {
      if (error instanceof PlanError) return errorResponse(400, error.code, error.message);
      return errorFor(error);
    }
  }

  private route(request: ApiRequest): ApiResponse {
    const parts = request.path.split('/').filter((p) => p !== '');
    const method = request.method;
    const only = (allowed: string): void => {
      if (method !== allowed) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${method} ${request.path} is not allowed; use ${allowed}`);
    };
    if (parts[0] !== 'fleet') throw new ApiError(404, 'NOT_FOUND', `no such endpoint: ${request.path}`);
    if (parts.length === 1) {
      only('GET');
      return json(200, this.summary());
    }
    if (parts[1] === 'devices') {
      if (parts.length === 2) {
        only('GET');
        return json(200, this.deviceIds().map((id) => this.deviceSummary(this.views.get(id)!)));
      }
      const view = this.views.get(parts[2]!);
      if (view === undefined) throw new ApiError(404, 'NO_SUCH_DEVICE', `no device '${parts[2]}' in fleet '${this.fleet}'`);
      if (parts.length === 3) {
        only('GET');
        return json(200, this.deviceSummary(view));
      }
      if (parts.length === 4 && parts[3] === 'rollback') {
        only('POST');
        return json(202, { desired: this.rollbackDevice(view.id) });
      }
    }
    if (parts[1] === 'models') {
      if (parts.length === 2) {
        only('GET');
        return json(200, this.models());
      }
      // GET /fleet/models/<sha256> (the bytes) is served by the HTTP transport from modelBytes()
    }
    if (parts[1] === 'adaptations' && parts.length === 2) {
      only('GET');
      return json(200, this.adaptationSummary());
    }
    if (parts[1] === 'federate' && parts.length === 2) {
      only('POST');
      const q = request.query;
      const plan = parsePlan({
        ...(q['canary'] !== undefined ? { canary: q['canary'] } : {}),
        ...(q['waves'] !== undefined ? { waves: q['waves'] } : {}),
        ...(q['gate'] !== undefined ? { gate: q['gate'] } : {}),
        ...(q['soak'] !== undefined ? { soak: q['soak'] } : {}),
      });
      const count = (name: string): number | undefined => {
        const v = q[name];
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!/^[0-9]{1,9}$/.test(v) || n < 1) throw new ApiError(400, 'BAD_PARAMETER', `${name} must be a positive integer`);
        return n;
      };
      const minDevices = count('min_devices'), minExamples = count('min_examples');
      const out = this.federate(plan, {
        ...(q['base'] !== undefined ? { base: q['base'] } : {}),
        ...(minDevices !== undefined ? { minDevices } : {}),
        ...(minExamples !== undefined ? { minExamples } : {}),
        ...(q['name'] !== undefined ? { name: q['name'] } : {}),
        ...(request.body !== null && request.body !== undefined && request.body.length > 0 ? { baseBytes: request.body } : {}),
      });
      return json(201, { ...this.rolloutSummary(out.rollout), federation: out.federated });
    }
    if (parts[1] === 'rollouts') {
      if (parts.length === 2 && method === 'GET') return json(200, this.state.rollouts.map((r) => this.rolloutSummary(r)));
      if (parts.length === 2) {
        only('POST');
        const q = request.query;
        const plan = parsePlan({
          ...(q['canary'] !== undefined ? { canary: q['canary'] } : {}),
          ...(q['waves'] !== undefined ? { waves: q['waves'] } : {}),
          ...(q['gate'] !== undefined ? { gate: q['gate'] } : {}),
          ...(q['soak'] !== undefined ? { soak: q['soak'] } : {}),
        });
        const header = request.headers?.['x-model-signature'];
        const r = this.createRollout(request.body ?? new Uint8Array(0), plan, {
          ...(q['name'] !== undefined ? { name: q['name'] } : {}),
          ...(header !== undefined ? { signature: base64(header) } : {}),
        });
        return json(201, this.rolloutSummary(r));
      }
      const r = this.rollout(parts[2]!);
      if (parts.length === 3) {
        only('GET');
        return json(200, { ...this.rolloutSummary(r), devices: r.devices, events: r.events });
      }
      if (parts.length === 4 && parts[3] === 'halt') {
        only('POST');
        return json(200, this.rolloutSummary(this.haltRollout(r.id, 'halted by request')));
      }
    }
    throw new ApiError(404, 'NOT_FOUND', `no such endpoint: ${request.path}`);
  }

  /** A stored model's bytes (GET /fleet/models/<sha256>). */
  modelBytes(sha256: string): Uint8Array | undefined {
    return /^[0-9a-f]{64}$/.test(sha256) ? this.store.model(sha256) : undefined;
  }
}
