// The app's preprocessing of a frame, in TypeScript, for the converter's
// calibration images: the same rules as the core's frame path
// (native/src/xtml_frame.c, which Pipeline uses): the middle of the frame at
// the model's aspect (or all of it with 'stretch'), integer area averaging,
// each averaged pixel 0..255 mapped through a table. The converter needs real
// values (float tables) before any model exists to quantize into, which is
// why it does not call the core. test/convert.test.ts holds the two equal.
import type { Frame } from '../image.js';
import type { Fit } from '../pipeline.js';
/**
 * The app's preprocessing of a frame for a model input of width x height x
 * channels: the middle of the frame at the model's aspect (`fit: 'stretch'`
 * keeps all of it), resized by area averaging in integers, each averaged pixel
 * (0..255) mapped through `table` into `out` (NHWC). `region` receives the part
 * of the frame used; colStart/rowStart (width + 1, height + 1 entries) are
 * scratch, so a caller that keeps them allocates nothing.
 */
export function areaResize(
  frame: Frame, fit: Fit, size: { width: number; height: number; channels: number },
  table: ArrayLike<number>, out: { [i: number]: number | bigint; length: number }, region: { x: number; y: number; w: number; h: number } = { x: 0, y: 0, w: 0, h: 0 },
  colStart: Int32Array = new Int32Array(size.width + 1), rowStart: Int32Array = new Int32Array(size.height + 1),
): { x: number; y: number; w: number; h: number } {
  const { width: inW, height: inH, channels } = size;
  if (fit === 'stretch') {
    region.x = 0; region.y = 0; region.w = frame.width; region.h = frame.height;
  } else if (frame.width * inH > frame.height * inW) {   // wider than the model: crop the sides
    region.h = frame.height;
    region.w = Math.max(1, Math.round((frame.height * inW) / inH));
    region.x = (frame.width - region.w) >> 1;
    region.y = 0;
  } else {                                               // taller: crop top and bottom
    region.w = frame.width;
    region.h = Math.max(1, Math.round((frame.width * inH) / inW));
    region.x = 0;
    region.y = (frame.height - region.h) >> 1;
  }
  for (let i = 0; i <= inW; i++) colStart[i] = region.x + Math.floor((i * region.w) / inW);
  for (let i = 0; i <= inH; i++) rowStart[i] = region.y + Math.floor((i * region.h) / inH);

  const { data, format, width } = frame;
  let o = 0;
  for (let oy = 0; oy < inH; oy++) {
    const y0 = rowStart[oy]!, y1 = Math.max(y0 + 1, rowStart[oy + 1]!);
    for (let ox = 0; ox < inW; ox++) {
      const x0 = colStart[ox]!, x1 = Math.max(x0 + 1, colStart[ox + 1]!);
      const n = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) sum += sample(data, format, y * width + x, channels === 1 ? -1 : c);
        }
        out[o++] = table[Math.floor((sum + (n >> 1)) / n)]!;
      }
    }
  }
  return region;
}

/** Channel c (0 R, 1 G, 2 B) of pixel i, or its luma when c is -1, 0..255. */
function sample(data: Uint8Array, format: Frame['format'], i: number, c: number): number {
  let r: number, g: number, b: number;
  switch (format) {
    case 'gray8':
      return data[i]!;
    case 'rgb888':
      r = data[3 * i]!; g = data[3 * i + 1]!; b = data[3 * i + 2]!;
      break;
    case 'rgba8888':
      r = data[4 * i]!; g = data[4 * i + 1]!; b = data[4 * i + 2]!;
      break;
    default: {
      const v = format === 'rgb565le' ? data[2 * i]! | (data[2 * i + 1]! << 8) : (data[2 * i]! << 8) | data[2 * i + 1]!;
      r = (v >> 11) & 31; g = (v >> 5) & 63; b = v & 31;
      r = (r << 3) | (r >> 2); g = (g << 2) | (g >> 4); b = (b << 3) | (b >> 2);
    }
  }
  if (c === 0) return r;
  if (c === 1) return g;
  if (c === 2) return b;
  return (77 * r + 150 * g + 29 * b + 128) >> 8;   // BT.601 luma in 8-bit fixed point
}
