// The model in service, and how it is replaced: boot from storage (falling back
// slot by slot to the bundled model), over-the-air updates (verify, check it fits
// the pipeline, check the signature, test-run on a probe frame, store, then swap),
// rollback, and the monitoring of every frame (metrics, drift, operator profiles).
// Engine-neutral: hashing and signature checking come from the host.
import { ApiError } from './api-error.js';
import type { CoreBinding, ModelBytes } from './binding.js';
import { DriftMonitor, type DriftOptions } from './drift.js';
import { XtmlError } from './errors.js';
import type { Frame } from './image.js';
import { Metrics } from './metrics.js';
import { loadModel, type LoadedModel } from './model-handle.js';
import { ModelSpecError } from './model-spec.js';
import { MemoryStorage, ModelStore, type ModelSource, type StoreRecord } from './model-store.js';
import type { Fit, PipelineResult } from './pipeline.js';

export interface HostCrypto {
  /** Hex SHA-256 of the bytes. */
  sha256(bytes: Uint8Array): string;
  /**
   * Checks an Ed25519 signature over a model's 32-byte SHA-256 digest against
   * the configured public key. Absent: no key is configured, models need no
   * signature.
   */
  verifySignature?: (digest: Uint8Array, signature: Uint8Array) => boolean;
}

export interface ServiceOptions {
  binding: CoreBinding;
  /** The model built into the app: the last resort at boot. */
  bundled: { bytes: ModelBytes; sha256: string; size: number };
  crypto: HostCrypto;
  /** Persistent slots; absent: the same slots in memory, so updates last until restart. */
  store?: ModelStore;
  /** Known frames: the first is the probe every new model must run; all of them make the drift baseline. */
  knownFrames: readonly Frame[];
  sidecar?: string;
  clock?: () => number;
  maxPixels?: number;
  drift?: DriftOptions;
  /** Recent inferences kept for GET /profile. */
  profileDepth?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export interface InstallOptions {
  signature?: Uint8Array;
  /** Accept a model whose input or output differs from the running one's. */
  replaceExpectations?: boolean;
  /** A model this device made from the running one (POST /adapt): no signature asked. */
  adaptedHere?: boolean;
}

export interface BootReport {
  source: ModelSource;
  /** Why better candidates were passed over (empty when the newest record's active slot booted). */
  problems: string[];
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function describeIo(model: LoadedModel): string {
  const t = (m: { type: string; dims: readonly number[] }): string => `${m.type}${JSON.stringify(m.dims)}`;
  return `input ${t(model.session.inputs[0]!)}, output ${t(model.session.outputs[0]!)}, labels ${model.spec.labels.length}`;
}

export class ModelService {
  readonly metrics: Metrics;
  readonly drift: DriftMonitor;
  readonly store: ModelStore;
  private readonly persistent: boolean;
  private model: LoadedModel | undefined;
  private source: ModelSource = 'bundled';
  private bootReport: BootReport = { source: 'bundled', problems: [] };
  private readonly options: ServiceOptions;
  private readonly clock: () => number;
  private readonly log: (level: 'info' | 'warn', message: string) => void;
  // rings of recent per-operator milliseconds: depth x operators
  private profileRing: Float64Array = new Float64Array(0);
  private profileCount = 0;
  private profileNext = 0;
  private readonly profileDepth: number;
  private readonly sources = new WeakMap<LoadedModel, ModelBytes>();
  /** The last error detect() counted, so the API does not count it again. */
  private lastCounted: unknown = undefined;

  constructor(options: ServiceOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((): void => undefined);
    this.store = options.store ?? new ModelStore(new MemoryStorage(), options.crypto.sha256);
    this.persistent = options.store !== undefined;
    this.profileDepth = options.profileDepth ?? 32;
    this.drift = new DriftMonitor({
      ...options.drift,
      onAlert: (status) => {
        this.log('warn', `drift: PSI ${status.psi.toFixed(3)} over threshold ${status.threshold} ` +
          `(top score ${status.scorePsi.toFixed(3)}, labels ${status.labelPsi.toFixed(3)}) over the last ${status.frames} frames`);
        options.drift?.onAlert?.(status);
      },
    });
    this.metrics = new Metrics(this.clock, this.drift);
    if (options.knownFrames.length === 0) throw new RangeError('knownFrames must hold at least the probe frame');
  }

  /** Load the best model storage offers, else the bundled one. Throws only if even the bundled model fails. */
  boot(): BootReport {
    const problems: string[] = [];
    const candidates = this.store.candidates(problems);
    // the first bundled candidate: a record whose active (or rollback) model is
    // the bundled one, else the closing fallback; its record is adopted with it
    let bundledCandidate = candidates[candidates.length - 1]!;
    for (const candidate of candidates) {
      if (candidate.source === 'bundled') {
        bundledCandidate = candidate;
        break;
      }
      try {
        const model = this.load(candidate.bytes!, candidate.info!.sha256);
        this.store.adopt(candidate);
        this.serve(model, candidate.source);
        this.bootReport = { source: candidate.source, problems };
        if (problems.length > 0 || candidate.source !== candidate.record.active) {
          this.log('warn', `booted from slot ${candidate.source}: ${problems.join('; ') || `record ${candidate.record.seq}'s active slot ${candidate.record.active} failed`}`);
        }
        return this.bootReport;
      } catch (error) {
        problems.push(`slot ${candidate.source}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const { bytes, sha256, size } = this.options.bundled;
    const model = loadModel(this.options.binding, bytes, { sha256, bytes: size }, this.loadOptions());
    this.sources.set(model, bytes);
    this.probe(model);
    this.store.adopt(bundledCandidate);
    this.serve(model, 'bundled');
    this.bootReport = { source: 'bundled', problems };
    if (problems.length > 0) this.log('warn', `booted the bundled model: ${problems.join('; ')}`);
    return this.bootReport;
  }

  /** True when a signing key is configured: every model installed must carry a good signature. */
  signaturesRequired(): boolean {
    return this.options.crypto.verifySignature !== undefined;
  }

  /** The bytes a loaded model was made from (POST /adapt adapts them). */
  modelBytes(model: LoadedModel = this.current()): ModelBytes | undefined {
    return this.sources.get(model);
  }

  /** The model in service. Each request takes it once and keeps it to the end. */
  current(): LoadedModel {
    if (this.model === undefined) throw new Error('ModelService: boot() first');
    return this.model;
  }

  /** Where the model in service came from, what storage says, and how boot went. */
  state(): { source: ModelSource; record: StoreRecord; rollback: ModelSource | null; boot: BootReport; persistent: boolean } {
    const record = this.store.current();
    return { source: this.source, record, rollback: record.previous, boot: this.bootReport, persistent: this.persistent };
  }

  /** One frame through the model in service, counted by the monitors. */
  detect(frame: Frame, fit: Fit, model: LoadedModel = this.current()): PipelineResult {
    let result: PipelineResult;
    try {
      result = model.pipeline.process(frame, fit);
    } catch (error) {
      this.metrics.recordError((error as { code?: string }).code ?? 'INTERNAL');
      this.lastCounted = error;
      throw error;
    }
    const background = model.spec.decoding.kind === 'grid' ? model.spec.decoding.background : -1;
    this.metrics.record(result, background);
    this.drift.observe(result);
    this.recordProfile(model);
    return result;
  }

  /** A request that failed before reaching the model (bad image etc.), counted by code. */
  recordError(code: string): void {
    this.metrics.recordError(code);
  }

  /** Whether detect() has already counted this error. */
  counted(error: unknown): boolean {
    return error !== undefined && error === this.lastCounted;
  }

  /**
   * Replace the model in service. The order is the safety argument: nothing is
   * stored or swapped until the core has verified the model, it fits the
   * pipeline, its signature (if a key is configured) is good, and it ran the
   * probe frame; the swap happens only after storage has committed it. The
   * model already in service (same SHA-256) is not installed again: nothing is
   * stored or swapped, and the metrics, drift window and profile carry on
   * (`changed` false).
   */
  install(bytes: Uint8Array, options: InstallOptions = {}): { model: LoadedModel; record: StoreRecord; changed: boolean } {
    const sha256 = this.options.crypto.sha256(bytes);
    const verify = this.options.crypto.verifySignature;
    if (verify !== undefined && options.adaptedHere === true) throw signedModelsOnly();
    if (verify !== undefined) {
      if (options.signature === undefined) {
        throw new ApiError(401, 'SIGNATURE_REQUIRED', 'a signing key is configured: send the Ed25519 signature of the model\'s SHA-256 in X-Model-Signature (base64)');
      }
      if (options.signature.length !== 64 || !verify(hexBytes(sha256), options.signature)) {
        throw new ApiError(403, 'BAD_SIGNATURE', `the signature does not verify for model sha256 ${sha256} with the configured key`);
      }
    }
    const running = this.current();
    if (running.sha256 === sha256) {
      this.log('info', `model ${running.id} (sha256 ${sha256.slice(0, 12)}) is already in service; nothing changed`);
      return { model: running, record: this.store.current(), changed: false };
    }
    let model: LoadedModel;
    try {
      model = this.load(bytes, sha256);
    } catch (error) {
      if (error instanceof XtmlError) throw new ApiError(422, error.code, error.detail || error.message);
      if (error instanceof ModelSpecError) throw new ApiError(422, error.code, error.message);
      throw error;
    }
    try {
      if (!options.replaceExpectations && describeIo(model) !== describeIo(running)) {
        throw new ApiError(409, 'MODEL_MISMATCH', `the new model has ${describeIo(model)}; the pipeline runs ${describeIo(running)} (send ?replace=1 to replace the pipeline's expectations)`);
      }
      let record: StoreRecord;
      try {
        record = this.store.install(bytes, sha256);
      } catch (error) {
        throw new ApiError(507, 'STORAGE_FAILED', `the model could not be stored: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.swap(model, record.active);
      this.log('info', `model ${model.id} (sha256 ${sha256.slice(0, 12)}) in service from slot ${record.active}, record ${record.seq}${this.persistent ? '' : ' (in memory)'}`);
      return { model, record, changed: true };
    } catch (error) {
      model.session.release();
      throw error;
    }
  }

  /**
   * Put the rollback model back in service. The model it replaces becomes the
   * rollback target, so a second rollback goes back to it: rollback swaps the
   * two most recent models.
   */
  rollback(): { model: LoadedModel; record: StoreRecord } {
    const record = this.store.current();
    const target = record.previous;
    if (target === null) throw new ApiError(409, 'NO_ROLLBACK', 'there is no previous model to roll back to');
    let model: LoadedModel;
    if (target === 'bundled') {
      const { bytes, sha256, size } = this.options.bundled;
      model = loadModel(this.options.binding, bytes, { sha256, bytes: size }, this.loadOptions());
      this.sources.set(model, bytes);
    } else {
      const bytes = this.store.slotBytes(target, record.slots[target]);
      if (bytes === undefined) throw new ApiError(409, 'NO_ROLLBACK', `rollback slot ${target} no longer holds its model (overwritten or damaged)`);
      model = this.load(bytes, record.slots[target]!.sha256);
    }
    let next: StoreRecord;
    try {
      next = this.store.rollback();
    } catch (error) {
      model.session.release();
      throw new ApiError(507, 'STORAGE_FAILED', `the rollback could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.swap(model, next.active);
    this.log('info', `rolled back to ${model.id} (sha256 ${model.sha256.slice(0, 12)}) from ${next.active}, record ${next.seq}`);
    return { model, record: next };
  }

  /** Mean milliseconds per operator over the recent inferences, and how many. */
  profile(): { inferences: number; operators: { index: number; name: string; ms: number; macs: number }[] } {
    const model = this.current();
    const ops = model.session.operators.length;
    const n = Math.min(this.profileCount, this.profileDepth);
    return {
      inferences: n,
      operators: model.session.operators.map((op, i) => {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += this.profileRing[k * ops + i]!;
        return { index: i, name: op.name, macs: op.macs, ms: n > 0 ? sum / n : 0 };
      }),
    };
  }

  // ---- internals ----

  private loadOptions(): { sidecar?: string; clock?: () => number; maxPixels?: number; profiling: boolean } {
    return {
      ...(this.options.sidecar !== undefined ? { sidecar: this.options.sidecar } : {}),
      clock: this.clock,
      ...(this.options.maxPixels !== undefined ? { maxPixels: this.options.maxPixels } : {}),
      profiling: this.profileDepth > 0,
    };
  }

  /** Verify, plan and test-run a model; nothing stays allocated when it throws. */
  private load(bytes: Uint8Array, sha256: string): LoadedModel {
    const model = loadModel(this.options.binding, bytes, { sha256, bytes: bytes.length }, this.loadOptions());
    this.sources.set(model, bytes);
    try {
      this.probe(model);
    } catch (error) {
      model.session.release();
      throw error;
    }
    return model;
  }

  /** The probe frame must run and decode. */
  private probe(model: LoadedModel): void {
    try {
      model.pipeline.process(this.options.knownFrames[0]!, 'crop');
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const code = (error as { code?: string }).code;
      // an XtmlError's message already starts with its code
      const detail = error instanceof XtmlError ? error.detail : error instanceof Error ? error.message : String(error);
      throw new ApiError(422, 'PROBE_FAILED', `the model failed on the probe frame: ${code !== undefined ? `${code}: ` : ''}${detail}`);
    }
  }

  private serve(model: LoadedModel, source: ModelSource): void {
    this.model = model;
    this.source = source;
    this.metrics.setModel({ id: model.id, sha256: model.sha256, labels: model.spec.labels });
    // the drift baseline: what this model reports on the known frames
    const background = model.spec.decoding.kind === 'grid' ? model.spec.decoding.background : -1;
    const baseline = DriftMonitor.baselineFor(model.spec.labels.length);
    for (const frame of this.options.knownFrames) DriftMonitor.baselineAdd(baseline, model.pipeline.process(frame, 'crop'), background);
    this.drift.reset(baseline, background);
    this.profileRing = new Float64Array(this.profileDepth * model.session.operators.length);
    this.profileCount = 0;
    this.profileNext = 0;
  }

  private swap(model: LoadedModel, source: ModelSource): void {
    const old = this.model;
    this.serve(model, source);
    // Requests take current() once and run to the end synchronously, so none is
    // still using the old model when this runs.
    old?.session.release();
  }

  private recordProfile(model: LoadedModel): void {
    const ops = model.session.operators.length;
    if (this.profileDepth === 0 || this.profileRing.length !== this.profileDepth * ops) return;
    const entries = model.session.profile();
    for (let i = 0; i < entries.length && i < ops; i++) this.profileRing[this.profileNext * ops + i] = entries[i]!.ms;
    this.profileNext = (this.profileNext + 1) % this.profileDepth;
    this.profileCount++;
  }
}

/** A device with a signing key runs only signed models, and a model adapted on it is not signed. */
export function signedModelsOnly(): ApiError {
  return new ApiError(403, 'SIGNED_MODELS_ONLY', 'a signing key is configured, so only signed models are installed, and a model adapted on this device is not signed: adapt where the private key is (the library\'s adaptModel), sign the result and PUT /model it with its signature');
}
