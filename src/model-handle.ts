// A model ready to serve: its session, spec and pipeline, and who it is (id and
// SHA-256 of its bytes, computed by the host, which has the hash function).
import type { CoreBinding, ModelBytes } from './binding.js';
import { modelSpec, type ModelSpec } from './model-spec.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';
import { InferenceSession } from './session.js';

export interface ModelIdentity {
  /** A short name for logs and responses (the model's own name when it has one). */
  id: string;
  /** Hex SHA-256 of the model bytes. */
  sha256: string;
  /** Size of the model in bytes. */
  bytes: number;
}

export interface LoadedModel extends ModelIdentity {
  session: InferenceSession;
  spec: ModelSpec;
  pipeline: Pipeline;
}

export interface LoadOptions extends PipelineOptions {
  /** Sidecar JSON text overriding the description the model carries. */
  sidecar?: string;
  /** Used when the model names itself nothing. */
  fallbackId?: string;
  profiling?: boolean;
}

/**
 * Verify, plan and wrap a model. Throws XtmlError for a model the core refuses
 * and ModelSpecError for one the pipeline cannot drive; nothing is left
 * allocated when it throws.
 */
export function loadModel(binding: CoreBinding, model: ModelBytes, identity: { sha256: string; bytes: number }, options: LoadOptions = {}): LoadedModel {
  const session = InferenceSession.create(binding, model, { profiling: options.profiling ?? false });
  try {
    const spec = modelSpec(session, options.sidecar);
    const pipeline = new Pipeline(session, spec, options);
    const id = spec.name !== '' ? spec.name : options.fallbackId ?? identity.sha256.slice(0, 12);
    return { id, sha256: identity.sha256, bytes: identity.bytes, session, spec, pipeline };
  } catch (error) {
    session.release();
    throw error;
  }
}
