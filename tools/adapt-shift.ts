// The shifted domain of `npm run eval:adapt` (docs/adapt.md): the held-out
// frames (models/data/heldout.*, digits never used in training) as a chalkboard
// shows them: light ink on a dark board (the grey levels inverted), lower
// contrast, a left-to-right lighting gradient and sensor noise, all drawn from
// a seeded PRNG of our own (src/adapt/math.ts), so the set is the same bytes on
// every run and machine. The truths are the held-out truths: the digits do not
// move.
import { Prng } from '../src/adapt/math.js';


/** One frame of the shifted domain (width x height grey levels). */
export function chalkboard(pixels: Uint8Array, width: number, prng: Prng): Uint8Array {
  const out = new Uint8Array(pixels.length);
  const board = 20 + Math.floor(prng.next() * 40); // 20..59
  const gain = 0.6 + prng.next() * 0.3; // 0.6..0.9 of the original contrast
  const slope = (prng.next() - 0.5) * 60; // lighting across the frame, -30..30 levels
  const noise = 4 + prng.next() * 8; // about 4..12 levels
  for (let i = 0; i < pixels.length; i++) {
    const x = i % width;
    // a sum of 4 uniforms: a bell-shaped noise without Math.log
    const n = (prng.next() + prng.next() + prng.next() + prng.next() - 2) * noise;
    const v = board + (255 - pixels[i]!) * gain - 60 * gain + (slope * x) / width + n;
    out[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  return out;
}


/**
 * The second shifted domain: a dim, soft camera: the frame blurred (a 3x3 box,
 * twice), its contrast cut to 30-45 %, darker (mean level 60-100) and noisier;
 * the ink stays darker than the paper.
 */
export function dimCamera(pixels: Uint8Array, width: number, prng: Prng): Uint8Array {
  const height = pixels.length / width;
  let a = Float64Array.from(pixels);
  for (let pass = 0; pass < 2; pass++) {
    const b = new Float64Array(a.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let s = 0, n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < height && xx >= 0 && xx < width) { s += a[yy * width + xx]!; n++; }
          }
        }
        b[y * width + x] = s / n;
      }
    }
    a = b;
  }
  const gain = 0.3 + prng.next() * 0.15;
  const level = 60 + prng.next() * 40;
  const noise = 6 + prng.next() * 8;
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < a.length; i++) {
    const n = (prng.next() + prng.next() + prng.next() + prng.next() - 2) * noise;
    out[i] = Math.max(0, Math.min(255, Math.round(level + (a[i]! - 170) * gain + n)));
  }
  return out;
}

/** The shifted sets by name. */
export const shifts = Object.freeze({ chalkboard, dim: dimCamera });
export type ShiftName = keyof typeof shifts;

/** Every frame shifted, with one PRNG in frame order. */
export function shiftSet(name: ShiftName, frames: readonly Uint8Array[], width: number, seed = 12): Uint8Array[] {
  const prng = new Prng(seed);
  return frames.map((f) => shifts[name](f, width, prng));
}
