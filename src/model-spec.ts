// What the pipeline needs to know about a model, read from the model itself:
// tensor shapes and quantization from the core, labels and decoding rules from
// the JSON our exporter writes into the flatbuffer's description (or a sidecar
// JSON given with the model). Nothing about a particular model is written here.
import type { InferenceSession } from './session.js';
import type { TensorMetadata } from './tensor.js';

/** FOMO-style grid: objects are connected cells whose best label passes its threshold. */
export interface GridDecoding {
  kind: 'grid';
  rows: number;
  cols: number;
  /** Index of the background label, which never becomes an object; -1 for none. */
  background: number;
  /** Per label: minimum score for a cell (background's entry is unused). */
  thresholds: number[];
  /** 4 or 8. */
  connectivity: number;
}

/** Classifier: the top labels and their scores. */
export interface ClassifierDecoding {
  kind: 'classifier';
  topK: number;
  /** Per label: minimum score to be reported. */
  thresholds: number[];
}

export interface ModelSpec {
  name: string;
  labels: string[];
  input: {
    width: number;
    height: number;
    channels: number;
    /** The real value pixel 0 and pixel 255 stand for, e.g. [0, 1] or [-1, 1]. */
    range: [number, number];
  };
  decoding: GridDecoding | ClassifierDecoding;
}

/** The JSON our models carry (models/detector.json); every field optional. */
interface DescriptionJson {
  name?: unknown;
  kind?: unknown;
  labels?: unknown;
  input?: { range?: unknown };
  decode?: { threshold?: unknown; class_thresholds?: unknown; connectivity?: unknown; top_k?: unknown; background?: unknown };
}

/** A model description that cannot be used, naming the field. */
export class ModelSpecError extends Error {
  override name = 'ModelSpecError';
  readonly code = 'BAD_MODEL_DESCRIPTION';
}

function parseDescription(text: string): DescriptionJson | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return null;   // converters write plain text such as "MLIR Converted."
  try {
    const value = JSON.parse(trimmed) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as DescriptionJson) : null;
  } catch {
    return null;
  }
}

function isNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function inputOf(meta: TensorMetadata): ModelSpec['input'] {
  const d = meta.dims;
  // NHWC [1,H,W,C], or [1,H,W] / [H,W] for single-channel inputs
  if (d.length === 4 && d[0] === 1) return { height: d[1]!, width: d[2]!, channels: d[3]!, range: [0, 1] };
  if (d.length === 3 && d[0] === 1) return { height: d[1]!, width: d[2]!, channels: 1, range: [0, 1] };
  if (d.length === 2) return { height: d[0]!, width: d[1]!, channels: 1, range: [0, 1] };
  throw new ModelSpecError(`input '${meta.name}' ${JSON.stringify(d)} is not an image (expected [1,H,W,C])`);
}

/**
 * The spec of a loaded model. `sidecar` (JSON text, e.g. models/detector.json)
 * overrides the description the model carries; with neither, labels are the
 * class indices and thresholds 0.5.
 */
export function modelSpec(session: InferenceSession, sidecar?: string): ModelSpec {
  if (session.inputs.length !== 1 || session.outputs.length !== 1) {
    throw new ModelSpecError(`the pipeline runs models with one input and one output; this one has ${session.inputs.length} and ${session.outputs.length}`);
  }
  const doc = (sidecar !== undefined ? parseDescription(sidecar) : null) ?? parseDescription(session.description) ?? {};
  if (sidecar !== undefined && parseDescription(sidecar) === null) throw new ModelSpecError('the sidecar is not a JSON object');
  const input = inputOf(session.inputs[0]!);
  if (input.channels !== 1 && input.channels !== 3) {
    throw new ModelSpecError(`input has ${input.channels} channels; the pipeline feeds 1 (grayscale) or 3 (RGB)`);
  }
  const range = doc.input?.range;
  if (range !== undefined) {
    if (!Array.isArray(range) || range.length !== 2 || !isNumber(range[0]) || !isNumber(range[1]) || range[0] === range[1]) {
      throw new ModelSpecError('input.range must be two different numbers');
    }
    input.range = [range[0], range[1]];
  }

  const out = session.outputs[0]!.dims;
  const grid = out.length === 4 && out[0] === 1 && out[1]! > 1 && out[2]! > 1;
  const classes = out[out.length - 1]!;
  let labels: string[];
  if (doc.labels !== undefined) {
    if (!Array.isArray(doc.labels) || !doc.labels.every((l) => typeof l === 'string')) throw new ModelSpecError('labels must be an array of strings');
    labels = doc.labels as string[];
    if (labels.length !== classes) throw new ModelSpecError(`labels has ${labels.length} entries, the output has ${classes} classes`);
  } else {
    labels = Array.from({ length: classes }, (_, i) => String(i));
  }

  const dec = doc.decode ?? {};
  // a grid cell must be more likely than not; a classifier reports its top labels whatever their score
  const fallback = dec.threshold ?? (grid ? 0.5 : 0);
  if (!isNumber(fallback)) throw new ModelSpecError('decode.threshold must be a number');
  const thresholds = labels.map(() => fallback);
  if (dec.class_thresholds !== undefined) {
    const per = dec.class_thresholds;
    if (!Array.isArray(per) || per.length !== classes) throw new ModelSpecError(`decode.class_thresholds must have ${classes} entries`);
    per.forEach((t, i) => {
      if (t === null) return;
      if (!isNumber(t)) throw new ModelSpecError(`decode.class_thresholds[${i}] must be a number or null`);
      thresholds[i] = t;
    });
  }
  const name = typeof doc.name === 'string' ? doc.name : '';
  if (grid) {
    const connectivity = dec.connectivity ?? 8;
    if (connectivity !== 4 && connectivity !== 8) throw new ModelSpecError('decode.connectivity must be 4 or 8');
    const background = dec.background ?? labels.indexOf('background');
    if (!Number.isInteger(background) || (background as number) < -1 || (background as number) >= classes) {
      throw new ModelSpecError('decode.background must be a label index or -1');
    }
    return { name, labels, input, decoding: { kind: 'grid', rows: out[1]!, cols: out[2]!, background: background as number, thresholds, connectivity } };
  }
  const topK = dec.top_k ?? Math.min(3, classes);
  if (!Number.isInteger(topK) || (topK as number) < 1) throw new ModelSpecError('decode.top_k must be a positive integer');
  return { name, labels, input, decoding: { kind: 'classifier', topK: Math.min(topK as number, classes), thresholds } };
}
