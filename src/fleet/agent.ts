// The device side of the fleet: a ModelService that a controller can see and
// update over MQTT. It publishes a retained state (model in service, rollback
// target, last result) and a retained "online" marker whose last will is
// "0", sends compact metrics every period, and acts on its retained desired
// state: nothing when it already runs that model; a rollback through the
// service when the rollback slot holds it; otherwise the bytes, chunked over
// MQTT or from a URL, checked for size and SHA-256 and then installed through
// ModelService.install (signature, verification, fit, probe, store, swap).
// Each outcome, success or the exact error code, goes into the state.
//
// With `federated` set, an adaptation done on the device (src/adapt/) is
// reported to the controller (reportAdaptation: its head's weights and its
// example count, retained on `<device>/adaptation`; src/fleet/federate.ts),
// which averages the reports of the fleet into one model (FedAvg).
//
// Engine-neutral and event-driven: the host's transport owns the connection
// (with the will this agent names) and calls connected(), message() and tick();
// the agent never blocks and never throws into the transport.
import { base64 } from '../api.js';
import type { ModelService } from '../model-service.js';
import { encodeAdaptation, type HeadLike } from './federate.js';
import {
  asciiJson, decodeDesired, fleetTopics, checkName, ProtocolError,
  type Desired, type DeviceState, type FleetTopics, type MetricsReport, type Result,
} from './protocol.js';

/** What the agent needs of an MQTT connection. */
export interface FleetTransport {
  /** QoS 0 or 1 as the transport can; retained messages replace the topic's retained one. */
  publish(topic: string, payload: string | Uint8Array, retain: boolean): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

export interface AgentOptions {
  service: ModelService;
  transport: FleetTransport;
  fleet: string;
  device: string;
  /** Topic prefix, "xtml" by default. */
  prefix?: string;
  /** The engine the model runs on ("wasm", "node", "xs"). */
  engine: string;
  platform?: string;
  /** SHA-256 of the bundled model (the service's last resort), so a rollback to it can be recognized. */
  bundledSha256: string;
  /** Hex SHA-256, as the service's host crypto computes it. */
  sha256: (bytes: Uint8Array) => string;
  /** Milliseconds; Date.now by default. */
  clock?: () => number;
  /** Metrics period, ms (60 s by default). */
  metricsEveryMs?: number;
  /** A download that has not finished in this time is retried, then given up (60 s by default). */
  downloadTimeoutMs?: number;
  /** Downloads retried this many times after a timeout (2 by default). */
  downloadRetries?: number;
  /** Largest model the device takes, bytes. */
  maxModelBytes: number;
  /** Fetch a URL's body (hosts with HTTP); without it only chunked sources are used. */
  fetch?: (url: string, maxBytes: number) => Promise<Uint8Array>;
  freeMemory?: () => number | null;
  /** A reason to refuse every install before download (a device that cannot check signatures but must). */
  refuse?: (desired: Desired) => { code: string; message: string } | undefined;
  log?: (level: 'info' | 'warn', message: string) => void;
  /**
   * Report adaptations to the controller for federated averaging (false by
   * default: what a device learned stays on it unless its owner opts in; only
   * the head's weights and the example count would leave it, never a frame).
   */
  federated?: boolean;
}

/** What reportAdaptation did. */
export interface AdaptationOutcome {
  published: boolean;
  /** Why not, when not. */
  reason?: string;
  /** Bytes of the report (JSON) and of its topic, when published. */
  bytes?: number;
}

interface Download {
  desired: Desired;
  bytes: Uint8Array;
  got: Uint8Array;
  received: number;
  chunked: boolean;
  deadline: number;
  tries: number;
}

/** Errors worth trying again when the same desired state arrives again. */
const transient = Object.freeze(['DOWNLOAD_TIMEOUT', 'FETCH_FAILED', 'STORAGE_FAILED', 'SHA256_MISMATCH', 'SIZE_MISMATCH']);

/** p-quantile of a bucketed histogram: the bound of the bucket it falls in, null beyond the last bound. */
export function bucketQuantile(buckets: readonly number[], bounds: readonly number[], q: number): number | null {
  let total = 0;
  for (const n of buckets) total += n;
  if (total === 0) return 0;
  const want = q * total;
  let cumulative = 0;
  for (let i = 0; i < buckets.length; i++) {
    cumulative += buckets[i]!;
    if (cumulative >= want) return i < bounds.length ? bounds[i]! : null;
  }
  return null;
}

export class FleetAgent {
  readonly topics: FleetTopics;
  readonly device: string;
  private readonly options: AgentOptions;
  private readonly service: ModelService;
  private readonly transport: FleetTransport;
  private readonly clock: () => number;
  private readonly started: number;
  private readonly log: (level: 'info' | 'warn', message: string) => void;
  private online = false;
  private nextMetrics = 0;
  private last: Result | null = null;
  private download: Download | undefined;
  /** The desired state last acted on (rollout + sha256), so a redelivered one is not redone. */
  private handled = '';
  /** The last adaptation report, published again (retained) on every connection. */
  private adaptationReport: string | undefined;
  /** Messages sent, and their bytes (payload + topic), for the reports. */
  readonly sent = { messages: 0, bytes: 0, metrics: 0, metricsBytes: 0 };

  constructor(options: AgentOptions) {
    const problem = checkName('device', options.device);
    if (problem !== undefined) throw new RangeError(problem);
    this.options = options;
    this.service = options.service;
    this.transport = options.transport;
    this.device = options.device;
    this.topics = fleetTopics(options.prefix ?? 'xtml', options.fleet);
    this.clock = options.clock ?? Date.now;
    this.started = this.clock();
    this.log = options.log ?? ((): void => undefined);
  }

  /** The client id and last will the transport connects with. */
  connectOptions(): { clientId: string; will: { topic: string; payload: string; retain: true } } {
    return { clientId: `xtml-${this.topics.base.replace(/\//g, '-')}${this.device}`, will: { topic: this.topics.online(this.device), payload: '0', retain: true } };
  }

  /** The connection is up (first time or again): announce, subscribe, resume any download. */
  connected(): void {
    this.online = true;
    this.publish(this.topics.online(this.device), '1', true);
    this.publishState();
    if (this.adaptationReport !== undefined) this.publish(this.topics.adaptation(this.device), this.adaptationReport, true);
    this.transport.subscribe(this.topics.desired(this.device));
    const d = this.download;
    // retained chunks are delivered again on a new subscription
    if (d !== undefined && d.chunked) this.transport.subscribe(this.topics.chunks(d.desired.sha256));
    this.nextMetrics = this.clock();
  }

  disconnected(): void {
    this.online = false;
  }

  /** A message on a subscribed topic. Never throws. */
  message(topic: string, payload: Uint8Array): void {
    try {
      if (topic === this.topics.desired(this.device)) {
        this.onDesired(payload);
      } else if (this.download !== undefined && this.download.chunked && topic.startsWith(this.topics.chunks(this.download.desired.sha256).slice(0, -1))) {
        this.onChunk(this.download, topic, payload);
      }
    } catch (error) {
      this.log('warn', `fleet: ${topic}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Call every few hundred ms: metrics when due, download deadlines. */
  tick(): void {
    const now = this.clock();
    const d = this.download;
    if (d !== undefined && now >= d.deadline) {
      if (d.tries < (this.options.downloadRetries ?? 2) && d.chunked && this.online) {
        d.tries++;
        d.deadline = now + (this.options.downloadTimeoutMs ?? 60_000);
        this.log('warn', `fleet: download of ${d.desired.sha256.slice(0, 12)} stalled at ${d.received} of ${d.got.length} chunks; asking again`);
        this.transport.unsubscribe(this.topics.chunks(d.desired.sha256));
        this.transport.subscribe(this.topics.chunks(d.desired.sha256));
      } else {
        this.finishDownload();
        this.report(d.desired, 'DOWNLOAD_TIMEOUT', `the model did not arrive within ${(this.options.downloadTimeoutMs ?? 60_000) / 1000} s (${d.chunked ? `${d.received} of ${d.got.length} chunks` : 'HTTP'})`);
      }
    }
    if (this.online && now >= this.nextMetrics) {
      this.nextMetrics = now + (this.options.metricsEveryMs ?? 60_000);
      this.publishMetrics();
    }
  }

  /** The retained state as published. */
  state(): DeviceState {
    const model = this.service.current();
    const { source } = this.service.state();
    return {
      v: 1,
      engine: this.options.engine,
      ...(this.options.platform !== undefined ? { platform: this.options.platform } : {}),
      model: { sha256: model.sha256, id: model.id, bytes: model.bytes, source },
      rollback: this.rollbackSha(),
      uptime_s: Math.round(this.clock() - this.started) / 1000,
      free: this.options.freeMemory?.() ?? null,
      last: this.last,
      job: this.download === undefined ? null : {
        rollout: this.download.desired.rollout, sha256: this.download.desired.sha256, got: this.download.received, of: this.download.got.length,
      },
    };
  }

  /** The metrics report of now. */
  metrics(): MetricsReport {
    const snap = this.service.metrics.snapshot();
    const m = snap.model;
    const drift = this.service.drift.status();
    const q = (p: number): number | null => bucketQuantile(m.invoke, snap.invokeBoundsMs, p);
    const free = this.options.freeMemory?.() ?? null;
    return {
      v: 1,
      u: Math.round(this.clock() - this.started) / 1000,
      m: this.service.current().sha256,
      n: m.inferences,
      z: m.empty,
      e: m.errors,
      d: m.detections,
      l: [q(0.5), q(0.9), q(0.99)],
      p: Math.round(drift.psi * 1000) / 1000,
      a: drift.alert ? 1 : 0,
      ...(free !== null ? { f: free } : {}),
    };
  }

  publishMetrics(): void {
    const text = asciiJson(this.metrics());
    this.sent.metrics++;
    this.sent.metricsBytes += text.length;
    this.publish(this.topics.metrics(this.device), text, false);
  }

  /**
   * Report an adaptation of the model `base` (its SHA-256) for federated
   * averaging: the adapted head (weights and biases as float32), the examples
   * and objects counted, the logits' range, and `model`, the SHA-256 of the
   * adapted model if the device installed it. Published retained (the latest
   * report replaces the one before) when `federated` is set; an adaptation
   * that folded an input map into the first layer is not reported (its head
   * reads another backbone's features than the base's). Never throws.
   */
  reportAdaptation(base: string, adaptation: HeadLike & { inputMap?: unknown }, model: string | null = null): AdaptationOutcome {
    if (this.options.federated !== true) return { published: false, reason: 'federated reports are off on this device' };
    if (adaptation.inputMap !== undefined) {
      this.log('info', 'fleet: an adaptation with an input map is not reported (its head reads another backbone than the base model\'s)');
      return { published: false, reason: 'the adaptation folded an input map into the first layer' };
    }
    let text: string;
    try {
      text = encodeAdaptation(base, adaptation, model, this.options.sha256);
    } catch (error) {
      return { published: false, reason: error instanceof Error ? error.message : String(error) };
    }
    this.adaptationReport = text;
    const topic = this.topics.adaptation(this.device);
    if (this.online) this.publish(topic, text, true);
    this.log('info', `fleet: adaptation of ${base.slice(0, 12)} on ${adaptation.count} examples reported (${text.length} bytes)`);
    return { published: true, bytes: text.length + topic.length };
  }

  publishState(): void {
    if (this.online) this.publish(this.topics.state(this.device), asciiJson(this.state()), true);
  }

  // ---- internals ----

  private publish(topic: string, payload: string, retain: boolean): void {
    this.sent.messages++;
    this.sent.bytes += topic.length + payload.length;
    this.transport.publish(topic, payload, retain);
  }

  private rollbackSha(): string | null {
    const record = this.service.state().record;
    const target = record.previous;
    if (target === null) return null;
    if (target === 'bundled') return this.options.bundledSha256;
    return record.slots[target]?.sha256 ?? null;
  }

  private onDesired(payload: Uint8Array): void {
    if (payload.length === 0) return;   // cleared by the controller
    let desired: Desired;
    try {
      desired = decodeDesired(payload);
    } catch (error) {
      const e = error as ProtocolError;
      this.last = { rollout: '', sha256: '', ok: false, code: e.code ?? 'BAD_DESIRED', message: e.message, at: this.uptime() };
      this.publishState();
      return;
    }
    const key = `${desired.rollout} ${desired.action} ${desired.sha256}`;
    const current = this.service.current().sha256;
    if (current === desired.sha256) {
      // already there (a redelivery, or the device got there another way)
      this.abandonDownload(desired.sha256);
      if (this.last === null || this.last.rollout !== desired.rollout || this.last.sha256 !== desired.sha256 || !this.last.ok) {
        this.handled = key;
        this.succeed(desired);
      }
      return;
    }
    if (this.download !== undefined && this.download.desired.sha256 === desired.sha256) {
      this.download.desired = desired;   // same bytes: keep going
      return;
    }
    if (key === this.handled && this.last !== null && !this.last.ok && !transient.includes(this.last.code ?? '')) {
      return;   // this very request already failed for good; a redelivery changes nothing
    }
    this.handled = key;
    this.abandonDownload(undefined);
    if (desired.action === 'rollback' && this.rollbackSha() === desired.sha256) {
      this.run(desired, () => void this.service.rollback());
      return;
    }
    const refusal = this.options.refuse?.(desired);
    if (refusal !== undefined) {
      this.report(desired, refusal.code, refusal.message);
      return;
    }
    if (desired.size > this.options.maxModelBytes) {
      this.report(desired, 'MODEL_TOO_LARGE', `the model is ${desired.size} bytes, this device takes at most ${this.options.maxModelBytes}`);
      return;
    }
    const source = desired.source;
    const url = source?.url;
    if (url !== undefined && this.options.fetch !== undefined) {
      this.startFetch(desired, url);
    } else if (source?.chunks !== undefined) {
      this.startChunks(desired, source.chunks.count);
    } else {
      this.report(desired, desired.action === 'rollback' ? 'NO_ROLLBACK' : 'NO_SOURCE',
        desired.action === 'rollback'
          ? `the rollback slot does not hold ${desired.sha256.slice(0, 12)} and no source was given`
          : `no source this device can use (chunks${this.options.fetch !== undefined ? ' or url' : ''})`);
    }
  }

  private startChunks(desired: Desired, count: number): void {
    this.download = {
      desired, bytes: new Uint8Array(desired.size), got: new Uint8Array(count), received: 0, chunked: true,
      deadline: this.clock() + (this.options.downloadTimeoutMs ?? 60_000), tries: 0,
    };
    this.publishState();
    this.transport.subscribe(this.topics.chunks(desired.sha256));
  }

  private onChunk(d: Download, topic: string, payload: Uint8Array): void {
    const index = Number(topic.slice(topic.lastIndexOf('/') + 1));
    const chunk = d.desired.source!.chunks!;
    if (!Number.isSafeInteger(index) || index < 0 || index >= chunk.count) return;
    const at = index * chunk.size;
    const want = Math.min(chunk.size, d.desired.size - at);
    if (payload.length !== want) {
      this.finishDownload();
      this.report(d.desired, 'SIZE_MISMATCH', `chunk ${index} is ${payload.length} bytes, expected ${want}`);
      return;
    }
    if (d.got[index] === 0) {
      d.got[index] = 1;
      d.received++;
    }
    d.bytes.set(payload, at);
    if (d.received === chunk.count) {
      this.finishDownload();
      this.install(d.desired, d.bytes);
    }
  }

  private startFetch(desired: Desired, url: string): void {
    const d: Download = {
      desired, bytes: new Uint8Array(0), got: new Uint8Array(1), received: 0, chunked: false,
      deadline: this.clock() + (this.options.downloadTimeoutMs ?? 60_000), tries: 0,
    };
    this.download = d;
    this.publishState();
    this.options.fetch!(url, desired.size).then((bytes) => {
      if (this.download !== d) return;   // abandoned meanwhile
      this.finishDownload();
      if (bytes.length !== desired.size) {
        this.report(desired, 'SIZE_MISMATCH', `${url} gave ${bytes.length} bytes, expected ${desired.size}`);
        return;
      }
      this.install(d.desired, bytes);
    }, (error: unknown) => {
      if (this.download !== d) return;
      this.finishDownload();
      this.report(desired, 'FETCH_FAILED', `${url}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private finishDownload(): void {
    const d = this.download;
    this.download = undefined;
    if (d !== undefined && d.chunked && this.online) this.transport.unsubscribe(this.topics.chunks(d.desired.sha256));
  }

  /** Drop a download unless it is of `keep`. */
  private abandonDownload(keep: string | undefined): void {
    if (this.download !== undefined && this.download.desired.sha256 !== keep) this.finishDownload();
  }

  private install(desired: Desired, bytes: Uint8Array): void {
    // the SHA-256 is checked in run() before anything else, and the service hashes what it stores
    this.run(desired, () => {
      const signature = desired.sig !== undefined ? base64(desired.sig) : undefined;
      const { model } = this.service.install(bytes, signature !== undefined ? { signature } : {});
      if (model.sha256 !== desired.sha256) {
        // never reached with matching bytes: install hashed exactly these bytes
        throw new ProtocolError('SHA256_MISMATCH', `installed ${model.sha256}, expected ${desired.sha256}`);
      }
    }, bytes);
  }

  /** Run an install or rollback and report its outcome. */
  private run(desired: Desired, act: () => void, bytes?: Uint8Array): void {
    if (bytes !== undefined) {
      const sha = this.options.sha256(bytes);
      if (sha !== desired.sha256) {
        this.report(desired, 'SHA256_MISMATCH', `the bytes received hash to ${sha}, expected ${desired.sha256}`);
        return;
      }
    }
    try {
      act();
    } catch (error) {
      const e = error as { code?: string; message?: string };
      this.report(desired, e.code ?? 'INTERNAL', e.message ?? String(error));
      return;
    }
    this.succeed(desired);
  }

  private succeed(desired: Desired): void {
    this.last = { rollout: desired.rollout, sha256: desired.sha256, ok: true, at: this.uptime() };
    this.log('info', `fleet: ${desired.action} ${desired.sha256.slice(0, 12)} for ${desired.rollout}: ok`);
    this.publishState();
    this.nextMetrics = this.clock();
  }

  private report(desired: Desired, code: string, message: string): void {
    this.last = { rollout: desired.rollout, sha256: desired.sha256, ok: false, code, message, at: this.uptime() };
    this.log('warn', `fleet: ${desired.action} ${desired.sha256.slice(0, 12)} for ${desired.rollout}: ${code}: ${message}`);
    this.publishState();
  }

  private uptime(): number {
    return Math.round(this.clock() - this.started) / 1000;
  }
}
