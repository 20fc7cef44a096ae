// POST /convert on the desktop server, for the web page's convert panel: a model
// (ONNX or float .tflite) and calibration images in, the int8 model and the
// converter's report out. The page then deploys the bytes with PUT /model, whose
// rules (verification, 409 on a different input or output) apply as for any
// update. Node-only (the device does not convert).
//
// Request: JSON {model: base64, images: [base64, ...], method?, range?: [lo, hi],
// bias_correction?: boolean}. Answer: {report, model: base64} or {error: {code, message}}.
import { errorResponse, parsePgm, type ApiResponse, type Frame } from '../../src/index.js';
import { ConvertError } from '../../src/convert/errors.js';
import { prepare, quantizeModel } from '../../src/convert/convert.js';
import { calibrationMethods, type CalibrationMethod } from '../../src/convert/calibrate.js';
import { pixelParams, sampleFromFrame } from '../../src/convert/data.js';
import { loadBinding } from './backends.js';
import { desktopDecoders } from './images.js';

/** Larger than PUT /model's: a model and its calibration images travel together. */
export const convertMaxBodyBytes = 64 << 20;
const maxPixels = 16 << 20;
const maxImages = 500;

function decodeImage(bytes: Uint8Array, index: number): Frame {
  const d = desktopDecoders(maxPixels);
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) return d.png(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0xd8) return d.jpeg(bytes);
    if (bytes[0] === 0x50 && bytes[1] === 0x35) return parsePgm(bytes, maxPixels);
  } catch (e) {
    throw new ConvertError('BAD_CALIBRATION', `image ${index} does not decode: ${(e as Error).message}`);
  }
  throw new ConvertError('BAD_CALIBRATION', `image ${index} is not a PNG, JPEG or binary PGM`);
}

function fromBase64(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string' || text.length === 0) throw new ConvertError('BAD_OPTION', `${what} must be a base64 string`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

const json = (status: number, value: unknown): ApiResponse => ({ status, contentType: 'application/json', body: JSON.stringify(value, (_, v) => (v === Infinity ? null : v)) });

export function handleConvert(body: Uint8Array): ApiResponse {
  try {
    let request: { model?: unknown; images?: unknown; method?: unknown; range?: unknown; bias_correction?: unknown };
    try {
      request = JSON.parse(new TextDecoder().decode(body)) as typeof request;
    } catch {
      throw new ConvertError('BAD_OPTION', 'the body must be JSON: {model, images, method, range}');
    }
    const method = (request.method ?? 'mse') as CalibrationMethod;
    if (!calibrationMethods.includes(method)) throw new ConvertError('BAD_OPTION', `method must be one of ${calibrationMethods.join(', ')}`);
    const range = (request.range ?? [0, 1]) as [number, number];
    if (!Array.isArray(range) || range.length !== 2 || !(range[1] > range[0])) throw new ConvertError('BAD_OPTION', 'range must be [lo, hi] with lo < hi');
    const model = fromBase64(request.model, 'model');
    if (!Array.isArray(request.images) || request.images.length === 0) throw new ConvertError('BAD_CALIBRATION', 'no calibration images');
    if (request.images.length > maxImages) throw new ConvertError('BAD_CALIBRATION', `at most ${maxImages} calibration images`);
    const p = prepare(model);
    const spec = { range, fit: 'crop' as const };
    const samples = request.images.map((img, i) => sampleFromFrame({ inputs: p.inputs }, decodeImage(fromBase64(img, `images[${i}]`), i), spec));
    const description = JSON.stringify({ name: 'converted in the web page', input: { range, meaning: `image, pixel 0 .. 255 mapped linearly onto [${range.join(', ')}]` } });
    const { model: int8, report } = quantizeModel(p, {
      binding: loadBinding('wasm'), samples, method, io: 'int8', description,
      inputParams: new Map([[p.graph.inputs[0]!, pixelParams(range)]]), biasCorrection: request.bias_correction === true,
    });
    return json(200, { report, model: Buffer.from(int8).toString('base64') });
  } catch (e) {
    if (e instanceof ConvertError) return errorResponse(e.code === 'BAD_OPTION' || e.code === 'BAD_CALIBRATION' ? 400 : 422, e.code, e.message);
    return errorResponse(500, 'INTERNAL', e instanceof Error ? e.message : String(e));
  }
}
