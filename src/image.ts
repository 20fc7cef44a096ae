// Frames as cameras and decoders hand them over, and the small image formats we
// read ourselves (PGM, and the size fields of PNG and JPEG headers, so an image
// claiming 20000x20000 pixels is refused before anything decodes it).
// Engine-neutral: plain typed arrays, no Node or Moddable modules.

export type PixelFormat = 'gray8' | 'rgb565le' | 'rgb565be' | 'rgb888' | 'rgba8888';

export const pixelFormats: readonly PixelFormat[] = Object.freeze(['gray8', 'rgb565le', 'rgb565be', 'rgb888', 'rgba8888']);

/** An image in memory: rows top to bottom, no padding between rows. */
export interface Frame {
  width: number;
  height: number;
  format: PixelFormat;
  data: Uint8Array;
}

export type ImageErrorCode =
  | 'CORRUPT_IMAGE'       // bytes that do not decode as the format they claim
  | 'UNSUPPORTED_IMAGE'   // a valid image in a variant we do not read (e.g. ASCII PGM)
  | 'IMAGE_TOO_LARGE'     // more pixels than the configured limit
  | 'BAD_DIMENSIONS';     // width/height missing, zero, or not matching the data

/** A frame or image that cannot be used, with a code the REST API maps to a status. */
export class ImageError extends Error {
  override name = 'ImageError';
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function bytesPerPixel(format: PixelFormat): number {
  switch (format) {
    case 'gray8': return 1;
    case 'rgb565le': case 'rgb565be': return 2;
    case 'rgb888': return 3;
    case 'rgba8888': return 4;
  }
}

/** Throws ImageError unless the frame's fields are consistent. */
export function checkFrame(frame: Frame, maxPixels: number): void {
  const { width, height, format, data } = frame;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError('BAD_DIMENSIONS', `frame width and height must be positive integers, got ${String(width)}x${String(height)}`);
  }
  if (width * height > maxPixels) {
    throw new ImageError('IMAGE_TOO_LARGE', `${width}x${height} is ${width * height} pixels, the limit is ${maxPixels}`);
  }
  if (!pixelFormats.includes(format)) {
    throw new ImageError('BAD_DIMENSIONS', `format must be one of ${pixelFormats.join(', ')}, got ${String(format)}`);
  }
  const expected = width * height * bytesPerPixel(format);
  if (!(data instanceof Uint8Array) || data.length !== expected) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : 'no Uint8Array';
    throw new ImageError('BAD_DIMENSIONS', `a ${width}x${height} ${format} frame is ${expected} bytes, got ${got}`);
  }
}

// ---- PGM (netpbm P5), read here: it is the format of test frames and tools ----

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * A binary PGM (P5) as a gray8 frame. 8-bit images are returned as a view over
 * `bytes` (no copy); 16-bit ones are scaled to 8 bits into a new array.
 */
export function parsePgm(bytes: Uint8Array, maxPixels: number): Frame {
  if (bytes.length < 2 || bytes[0] !== 0x50 /* P */) throw new ImageError('CORRUPT_IMAGE', 'not a PGM: it does not start with "P5"');
  if (bytes[1] === 0x32 /* P2 */) throw new ImageError('UNSUPPORTED_IMAGE', 'ASCII PGM (P2) is not supported; send binary PGM (P5)');
  if (bytes[1] !== 0x35) throw new ImageError('UNSUPPORTED_IMAGE', `netpbm P${String.fromCharCode(bytes[1]!)} is not supported; send binary PGM (P5)`);
  let at = 2;
  const field = (what: string): number => {
    // whitespace and # comments, then decimal digits
    for (;;) {
      while (at < bytes.length && isSpace(bytes[at]!)) at++;
      if (at < bytes.length && bytes[at] === 0x23) {
        while (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
        continue;
      }
      break;
    }
    const start = at;
    let value = 0;
    while (at < bytes.length && bytes[at]! >= 0x30 && bytes[at]! <= 0x39 && at - start < 9) value = value * 10 + (bytes[at++]! - 0x30);
    if (at === start) throw new ImageError('CORRUPT_IMAGE', `PGM header: ${what} is missing or not a number`);
    return value;
  };
  const width = field('width');
  const height = field('height');
  const maxval = field('maxval');
  if (at >= bytes.length || !isSpace(bytes[at]!)) throw new ImageError('CORRUPT_IMAGE', 'PGM header: no whitespace after maxval');
  at++;
  if (width === 0 || height === 0) throw new ImageError('BAD_DIMENSIONS', `PGM is ${width}x${height}`);
  if (maxval === 0 || maxval > 65535) throw new ImageError('CORRUPT_IMAGE', `PGM maxval ${maxval} is outside 1..65535`);
  if (width * height > maxPixels) {
    throw new ImageError('IMAGE_TOO_LARGE', `PGM is ${width}x${height} = ${width * height} pixels, the limit is ${maxPixels}`);
  }
  const sampleBytes = maxval > 255 ? 2 : 1;
  const need = width * height * sampleBytes;
  if (bytes.length - at < need) {
    throw new ImageError('CORRUPT_IMAGE', `PGM ${width}x${height} needs ${need} bytes of pixels, the file has ${bytes.length - at}`);
  }
  let data: Uint8Array;
  if (maxval === 255) {
    data = bytes.subarray(at, at + need);
  } else {
    data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) {
      const v = sampleBytes === 2 ? (bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]! : bytes[at + i]!;
      data[i] = Math.floor(((v > maxval ? maxval : v) * 255 + (maxval >> 1)) / maxval);
    }
  }
  return { width, height, format: 'gray8', data };
}

/** A PGM (P5, 8-bit) file of a gray8 frame. */
export function encodePgm(frame: Frame): Uint8Array {
  if (frame.format !== 'gray8') throw new TypeError(`encodePgm takes a gray8 frame, got ${frame.format}`);
  const header = `P5\n${frame.width} ${frame.height}\n255\n`;
  const out = new Uint8Array(header.length + frame.data.length);
  for (let i = 0; i < header.length; i++) out[i] = header.charCodeAt(i);
  out.set(frame.data, header.length);
  return out;
}

// ---- Sizes from PNG and JPEG headers ----

export interface ImageSize {
  width: number;
  height: number;
}

const pngSignature = Object.freeze([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function u32be(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}

/** Width and height from a PNG's IHDR chunk (the first chunk, by the format). */
export function pngSize(bytes: Uint8Array): ImageSize {
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== pngSignature[i]) throw new ImageError('CORRUPT_IMAGE', 'not a PNG: the 8-byte signature is missing');
  }
  if (bytes.length < 8 + 8 + 13) throw new ImageError('CORRUPT_IMAGE', `PNG truncated in its header (${bytes.length} bytes)`);
  // IHDR: length 13, type "IHDR", then width and height
  if (u32be(bytes, 8) !== 13 || u32be(bytes, 12) !== 0x49484452) {
    throw new ImageError('CORRUPT_IMAGE', 'PNG: the first chunk is not a 13-byte IHDR');
  }
  const width = u32be(bytes, 16), height = u32be(bytes, 20);
  if (width === 0 || height === 0) throw new ImageError('BAD_DIMENSIONS', `PNG is ${width}x${height}`);
  return { width, height };
}

/** Width and height from a JPEG's first start-of-frame marker. */
export function jpegSize(bytes: Uint8Array): ImageSize {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new ImageError('CORRUPT_IMAGE', 'not a JPEG: no start-of-image marker');
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageError('CORRUPT_IMAGE', `JPEG: expected a marker at byte ${at}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) { at++; continue; }   // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    if (marker === 0xd9 || marker === 0xda) break;   // end of image, or scan data before any frame header
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2) throw new ImageError('CORRUPT_IMAGE', `JPEG: segment at byte ${at} has length ${length}`);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) break;
      const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
      const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      if (width === 0 || height === 0) throw new ImageError('BAD_DIMENSIONS', `JPEG is ${width}x${height}`);
      return { width, height };
    }
    at += 2 + length;
  }
  throw new ImageError('CORRUPT_IMAGE', 'JPEG truncated or without a frame header (no SOF marker)');
}
