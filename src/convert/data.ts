// Calibration and comparison data as the converter takes it: one float array per
// model input per sample, in the converted model's layout (NHWC for images).
// Two sources: image frames, preprocessed exactly as the app does (crop to the
// model's aspect, area-average resize, pixel 0..255 mapped linearly onto the
// input's range), and raw tensors (float32 little-endian, all inputs
// concatenated, in the source model's layout, as the reference vectors are laid).
import type { Frame } from '../image.js';
import type { Fit } from '../pipeline.js';
import { areaResize } from './area-resize.js';
import { ConvertError, type ConvertErrorCode } from './errors.js';
import { elements } from './graph.js';
import type { Params } from './quantize.js';

export interface ImageSpec {
  /** Real values of pixel 0 and pixel 255. */
  range: [number, number];
  fit: Fit;
}

export interface ModelInputs {
  /** Each input: its name, the converted model's shape and the source's, and whether the source is NCHW. */
  inputs: readonly { name: string; shape: readonly number[]; sourceShape: readonly number[]; nchw: boolean }[];
}

export type Sample = Float32Array[];

/** The image shape of the model's one input: [1, H, W, C] with C 1 or 3. */
export function imageInput(m: ModelInputs, code: ConvertErrorCode = 'BAD_CALIBRATION'): { width: number; height: number; channels: number } {
  if (m.inputs.length !== 1) throw new ConvertError(code, `images can feed a model with one input; this one has ${m.inputs.length} (use raw .bin tensors)`);
  const s = m.inputs[0]!.shape;
  if (s.length !== 4 || s[0] !== 1 || (s[3] !== 1 && s[3] !== 3)) {
    throw new ConvertError(code, `input '${m.inputs[0]!.name}' [${s.join(',')}] is not an image [1,H,W,C] with 1 or 3 channels (use raw .bin tensors)`);
  }
  return { height: s[1]!, width: s[2]!, channels: s[3]! };
}

export function sampleFromFrame(m: ModelInputs, frame: Frame, spec: ImageSpec, code: ConvertErrorCode = 'BAD_CALIBRATION'): Sample {
  const size = imageInput(m, code);
  const [lo, hi] = spec.range;
  const table = Float32Array.from({ length: 256 }, (_, v) => lo + (v / 255) * (hi - lo));
  const out = new Float32Array(size.width * size.height * size.channels);
  areaResize(frame, spec.fit, size, table, out);
  return [out];
}

/** Raw float32 tensors, all inputs concatenated, in the source layout. */
export function sampleFromRaw(m: ModelInputs, bytes: Uint8Array, file: string, code: ConvertErrorCode = 'BAD_CALIBRATION'): Sample {
  const counts = m.inputs.map((i) => elements(i.sourceShape));
  const need = 4 * counts.reduce((a, b) => a + b, 0);
  if (bytes.length !== need) {
    throw new ConvertError(code, `${file} has ${bytes.length} bytes; the model's inputs (${m.inputs.map((i) => `'${i.name}' [${i.sourceShape.join(',')}]`).join(', ')}) take ${need} bytes of float32`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  return m.inputs.map((inp, i) => {
    const v = new Float32Array(counts[i]!);
    for (let k = 0; k < v.length; k++, at += 4) {
      v[k] = view.getFloat32(at, true);
      if (!Number.isFinite(v[k]!)) throw new ConvertError(code, `${file}: input '${inp.name}' holds ${v[k]} at element ${k}`);
    }
    return inp.nchw ? nchwToNhwc(v, inp.sourceShape) : v;
  });
}

export function nchwToNhwc(v: Float32Array, s: readonly number[]): Float32Array {
  const [n, c, h, w] = s as [number, number, number, number];
  const out = new Float32Array(v.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + ch] = v[((b * c + ch) * h + y) * w + x]!;
  }
  return out;
}

export function nhwcToNchw(v: Float32Array, nchw: readonly number[]): Float32Array {
  const [n, c, h, w] = nchw as [number, number, number, number];
  const out = new Float32Array(v.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * c + ch) * h + y) * w + x] = v[((b * h + y) * w + x) * c + ch]!;
  }
  return out;
}

/** The input parameters that make the int8 input the pixel itself, shifted: q = pixel - 128 for [0, 1]. */
export function pixelParams(range: [number, number]): Params {
  const scale = Math.fround((range[1] - range[0]) / 255);
  return { scale, zeroPoint: Math.max(-128, Math.min(127, Math.round(-128 - range[0] / scale))) };
}
