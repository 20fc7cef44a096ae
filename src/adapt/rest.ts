// The REST calls of adaptation, engine-neutral like src/api.ts (which routes
// them when it has a ModelService):
//   POST   /adapt/examples  {"image": "<base64 PNG/JPEG/PGM>", "objects": [{"x", "y", "label"}]}
//          -> the example's index and count; x, y in frame pixels, label a label name
//   GET    /adapt/examples  -> the examples (objects in frame and in model input pixels)
//   DELETE /adapt/examples  -> forget them all
//   POST   /adapt           [{"steps", "seed", "l2", "input_map": "auto"|"off"}]
//          -> trains (src/adapt/head.ts), installs through ModelService (verify,
//             probe, swap; POST /model/rollback undoes it) and answers the new
//             SHA-256, the loss and precision/recall on the examples before and after.
// Errors: no examples 409 NO_EXAMPLES, unknown label 422 UNKNOWN_LABEL, bad JSON
// or image 400; the body limit is /detect's.
import { frameFromRequest, type FrameLimits } from '../api.js';
import { ApiError } from '../api-error.js';
import { hostBytesOf, type ModelBytes } from '../binding.js';
import type { Frame } from '../image.js';
import { signedModelsOnly, type ModelService } from '../model-service.js';
import type { LoadedModel } from '../model-handle.js';
import { detectionsOf } from '../pipeline.js';
import { AdaptError } from './errors.js';
import { adaptModel, exampleLoss, type AdaptExample, type AdaptOptions, type Adaptation } from './head.js';

/** Decodes the request's image bytes (PNG, JPEG, PGM by their first bytes) to a frame; throws ApiError or ImageError. */
export type FrameOf = (bytes: Uint8Array) => Frame;

/** The image of an example as a frame, with /detect's limits; what is not a PNG, JPEG or PGM is 400 BAD_IMAGE. */
export function adaptFrame(bytes: Uint8Array, limits: FrameLimits): Frame {
  try {
    return frameFromRequest({ method: 'POST', path: '/adapt/examples', query: {}, body: bytes }, limits);
  } catch (error) {
    if (error instanceof ApiError && error.status === 415) throw new ApiError(400, 'BAD_IMAGE', `"image": ${error.message}`);
    throw error;
  }
}

interface Stored extends AdaptExample {
  frame: { width: number; height: number };
  /** The objects as sent: frame pixels and label names. */
  sent: { x: number; y: number; label: string }[];
}

const digits64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function fromBase64(text: string): Uint8Array {
  const clean = text.trim().replace(/=+$/, '');
  if (clean.length === 0 || !/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) {
    throw new ApiError(400, 'BAD_IMAGE', '"image" must be a non-empty base64 string');
  }
  const out = new Uint8Array((clean.length * 3) >> 2);
  let bits = 0, value = 0, at = 0;
  for (let i = 0; i < clean.length; i++) {
    value = ((value << 6) | digits64.indexOf(clean[i]!)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 255;
    }
  }
  return out;
}

function parseJson(body: Uint8Array | null, optional: boolean): Record<string, unknown> {
  if (body === null || body.length === 0) {
    if (optional) return {};
    throw new ApiError(400, 'EMPTY_BODY', 'send a JSON object');
  }
  let text = '';
  for (let i = 0; i < body.length; i++) text += String.fromCharCode(body[i]!);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'BAD_JSON', 'the body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'BAD_JSON', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

const round = (x: number, places: number): number => {
  const f = places === 4 ? 10000 : 100;
  return Math.round(x * f) / f;
};

/** Model bytes as a byte array: a Uint8Array, or a view of an ArrayBuffer or of a host buffer (an XS Resource, read in place). */
function bytesOf(model: ModelBytes | undefined): Uint8Array | undefined {
  if (model === undefined) return undefined;
  if (model instanceof Uint8Array) return model;
  try {
    const view = new Uint8Array(model as ArrayBuffer);
    return view.length > 0 ? view : undefined;
  } catch {
    return undefined;
  }
}

/** POST /adapt's options, checked; 409 NO_EXAMPLES first where there are no examples. */
function adaptOptions(doc: Record<string, unknown>, examples: number): AdaptOptions {
  if (examples === 0) throw new ApiError(409, 'NO_EXAMPLES', 'no examples: POST /adapt/examples first');
  const options: AdaptOptions = {};
  const int = (name: string, lo: number, hi: number): number | undefined => {
    const v = doc[name];
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) throw new ApiError(400, 'BAD_PARAMETER', `${name} must be an integer from ${lo} to ${hi}`);
    return v as number;
  };
  const steps = int('steps', 1, 2000), seed = int('seed', 0, 0xffffffff);
  if (steps !== undefined) options.steps = steps;
  if (seed !== undefined) options.seed = seed;
  if (doc['l2'] !== undefined) {
    if (typeof doc['l2'] !== 'number' || !(doc['l2'] >= 0 && doc['l2'] <= 100)) throw new ApiError(400, 'BAD_PARAMETER', 'l2 must be a number from 0 to 100');
    options.l2 = doc['l2'];
  }
  if (doc['input_map'] !== undefined) {
    if (doc['input_map'] !== 'auto' && doc['input_map'] !== 'off') throw new ApiError(400, 'BAD_PARAMETER', 'input_map must be "auto" or "off"');
    options.inputMap = doc['input_map'];
  }
  return options;
}

export class AdaptRoutes {
  private examples: Stored[] = [];

  /**
   * `onAdapted`: called after each adaptation installed, with the SHA-256 of
   * the model it adapted and of the new one (a fleet agent reports it:
   * FleetAgent.reportAdaptation).
   */
  constructor(private readonly service: ModelService, private readonly frameOf: FrameOf, readonly maxExamples = 20,
    private readonly onAdapted?: (base: string, adaptation: Adaptation, installed: string) => void) {}

  /** POST /adapt/examples */
  add(body: Uint8Array | null): Record<string, unknown> {
    const doc = parseJson(body, false);
    if (typeof doc['image'] !== 'string') throw new ApiError(400, 'BAD_JSON', '"image" must be a base64 string');
    const objects = doc['objects'];
    if (!Array.isArray(objects)) throw new ApiError(400, 'BAD_JSON', '"objects" must be an array of {"x", "y", "label"}');
    const model = this.service.current();
    const labels = model.spec.labels;
    const background = model.spec.decoding.kind === 'grid' ? model.spec.decoding.background : -1;
    const sent = objects.map((o: unknown, i) => {
      const e = o as Record<string, unknown> | null;
      if (e === null || typeof e !== 'object' || typeof e['x'] !== 'number' || typeof e['y'] !== 'number' || !Number.isFinite(e['x']) || !Number.isFinite(e['y'])) {
        throw new ApiError(400, 'BAD_JSON', `objects[${i}] must be {"x": number, "y": number, "label": name}`);
      }
      const label = typeof e['label'] === 'number' ? String(e['label']) : e['label'];
      const index = typeof label === 'string' ? labels.indexOf(label) : -1;
      if (index < 0 || index === background) {
        throw new ApiError(422, 'UNKNOWN_LABEL', `objects[${i}].label ${JSON.stringify(e['label'])} is not one of the model's labels (${labels.filter((_, k) => k !== background).join(', ')})`);
      }
      return { x: e['x'] as number, y: e['y'] as number, label: label as string, index };
    });
    if (this.examples.length >= this.maxExamples) throw new ApiError(409, 'TOO_MANY_EXAMPLES', `${this.maxExamples} examples are stored; DELETE /adapt/examples or POST /adapt`);
    const frame = this.frameOf(fromBase64(doc['image']));
    // the model input as the pipeline makes it, back to grey levels, and where the frame went
    const result = model.pipeline.process(frame, 'crop');
    const region = { ...result.region };
    const input = model.pipeline.lastInput();
    const meta = model.session.inputs[0]!;
    const [lo, hi] = model.spec.input.range;
    // outside the engine's heap where the binding offers it (XS): 20 frames are 184 KB for the bundled detector
    const pixels = hostBytesOf(model.session.binding, input.length);
    for (let i = 0; i < input.length; i++) {
      const real = meta.type === 'float32' ? Number(input[i]!) : (Number(input[i]!) - meta.zeroPoint) * meta.scale;
      pixels[i] = Math.max(0, Math.min(255, Math.round(((real - lo) / (hi - lo)) * 255)));
    }
    const { width, height } = model.spec.input;
    const mapped = sent.map((o, i) => {
      const x = ((o.x - region.x) * width) / region.w, y = ((o.y - region.y) * height) / region.h;
      if (!(x >= 0 && x < width && y >= 0 && y < height)) {
        throw new ApiError(400, 'BAD_EXAMPLE', `objects[${i}] (${o.x}, ${o.y}) is outside the part of the ${frame.width}x${frame.height} frame the model sees (${region.x}, ${region.y}, ${region.w}x${region.h})`);
      }
      return { x, y, label: o.index };
    });
    this.examples.push({ pixels, objects: mapped, frame: { width: frame.width, height: frame.height }, sent: sent.map(({ x, y, label }) => ({ x, y, label })) });
    return { index: this.examples.length - 1, count: this.examples.length, max: this.maxExamples };
  }

  /** GET /adapt/examples */
  list(): Record<string, unknown> {
    return {
      count: this.examples.length,
      max: this.maxExamples,
      examples: this.examples.map((e, index) => ({
        index, frame: e.frame, objects: e.sent,
        input_objects: e.objects.map((o) => ({ x: round(o.x, 2), y: round(o.y, 2), label: o.label })),
      })),
    };
  }

  /** DELETE /adapt/examples */
  clear(): Record<string, unknown> {
    const removed = this.examples.length;
    this.examples = [];
    return { removed, count: 0 };
  }

  /** Precision and recall of a model on the examples: a hit is the right label within one cell of an object. */
  private scores(model = this.service.current()): { precision: number; recall: number; f1: number } {
    const { width, height } = model.spec.input;
    const d = model.spec.decoding;
    const radius = d.kind === 'grid' ? width / d.cols : 8;
    let tp = 0, fp = 0, fn = 0;
    for (const e of this.examples) {
      const found = detectionsOf(model.pipeline.process({ width, height, format: 'gray8', data: e.pixels }, 'crop'))
        .map((x) => ({ x: x.cx, y: x.cy, label: x.index, used: false }));
      for (const o of e.objects) {
        const hit = found.find((f) => !f.used && f.label === o.label && (f.x - o.x) * (f.x - o.x) + (f.y - o.y) * (f.y - o.y) <= radius * radius);
        if (hit !== undefined) { hit.used = true; tp++; } else fn++;
      }
      fp += found.filter((f) => !f.used).length;
    }
    const precision = tp + fp > 0 ? tp / (tp + fp) : 1, recall = tp + fn > 0 ? tp / (tp + fn) : 1;
    return { precision: round(precision, 4), recall: round(recall, 4), f1: round(precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, 4) };
  }

  /** POST /adapt */
  adapt(body: Uint8Array | null): Record<string, unknown> {
    // the options are read in a function of their own: their locals would otherwise sit
    // on the stack under the training's frames (a device's stack is a few hundred slots)
    const options = adaptOptions(parseJson(body, true), this.examples.length);
    if (this.service.signaturesRequired()) throw signedModelsOnly();
    // the running model is let go of once it is scored: after the install, its
    // objects would otherwise stay live beside the new model's (on XS, slots)
    let running: LoadedModel | undefined = this.service.current();
    const bytes = bytesOf(this.service.modelBytes(running));
    if (bytes === undefined) throw new ApiError(409, 'NOT_ADAPTABLE', 'the running model\'s bytes are not at hand');
    const binding = running.session.binding;
    const previous = running.sha256;
    const before = { loss: 0, ...this.scores(running) };
    running = undefined;
    let made;
    try {
      before.loss = exampleLoss(binding, bytes, this.examples);
      made = adaptModel(binding, bytes, this.examples, options);
    } catch (error) {
      if (error instanceof AdaptError) {
        throw new ApiError(error.code === 'UNKNOWN_LABEL' ? 422 : error.code === 'NO_EXAMPLES' ? 409 : 422, error.code, error.message);
      }
      throw error;
    }
    const { model, record } = this.service.install(made.model, { adaptedHere: true });
    this.onAdapted?.(previous, made, model.sha256);
    // the adaptation's head is the new model's: no second reading of its graph
    const after = { loss: exampleLoss(binding, made.model, this.examples, undefined, made.head), ...this.scores(model) };
    return {
      sha256: model.sha256, id: model.id, model_bytes: model.bytes, slot: record.active, previous: { sha256: previous },
      examples: this.examples.length, objects: this.examples.reduce((n, e) => n + e.objects.length, 0),
      steps: made.steps, input_map: made.inputMap ?? null, input_gate: made.gate ?? null,
      before: { ...before, loss: round(before.loss, 4) }, after: { ...after, loss: round(after.loss, 4) },
    };
  }
}
