// Quantization helpers with TensorFlow Lite's arithmetic: real = (q - zero_point)
// * scale; q = zero_point + round(real / scale) in float32, halves away from
// zero, saturated to the integer type.

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const ranges = Object.freeze({
  int8: Object.freeze([-128, 127] as const),
  uint8: Object.freeze([0, 255] as const),
  int16: Object.freeze([-32768, 32767] as const),
});

export type QuantizedType = keyof typeof ranges;

function checkScale(scale: number): void {
  if (typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`scale must be a finite number > 0, got ${String(scale)}`);
  }
}

/** Quantize real values into `into` (a new Int8Array by default). */
export function quantize(
  values: ArrayLike<number>,
  scale: number,
  zeroPoint: number,
  into?: Int8Array | Uint8Array | Int16Array,
): Int8Array | Uint8Array | Int16Array {
  checkScale(scale);
  if (!Number.isInteger(zeroPoint)) throw new TypeError(`zeroPoint must be an integer, got ${String(zeroPoint)}`);
  const out = into ?? new Int8Array(values.length);
  if (out.length !== values.length) {
    throw new RangeError(`into has ${out.length} elements, values has ${values.length}`);
  }
  const [lo, hi] = out instanceof Uint8Array ? ranges.uint8 : out instanceof Int16Array ? ranges.int16 : ranges.int8;
  const s = Math.fround(scale);
  for (let i = 0; i < values.length; i++) {
    const q = zeroPoint + roundHalfAway(Math.fround(Math.fround(values[i]!) / s));
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return out;
}

/** Dequantize into `into` (a new Float32Array by default). */
export function dequantize(
  values: ArrayLike<number>,
  scale: number,
  zeroPoint: number,
  into?: Float32Array,
): Float32Array {
  checkScale(scale);
  const out = into ?? new Float32Array(values.length);
  if (out.length !== values.length) {
    throw new RangeError(`into has ${out.length} elements, values has ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - zeroPoint) * scale;
  return out;
}
