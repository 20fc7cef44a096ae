// PNG and JPEG decoders for the desktop API, from well-kept libraries (pngjs,
// jpeg-js), wrapped as the src/api.ts ImageDecoder: bytes in, frame out. The
// API has already read the size from the header and refused oversized images.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImageError, type Frame, type ImageDecoder } from '../../src/index.js';

/** What a pngjs or zlib error means, in our words (their messages name stream internals). */
function pngProblem(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/crc/i.test(text)) return "a chunk's checksum does not match (the file is damaged)";
  if (/waiting on finished stream|waitng on finished stream|unexpected end|unfinished|truncated/i.test(text)) return 'the file ends before its image data does (truncated)';
  if (/unrecognised content|invalid|incorrect|unknown compression|zlib|inflate/i.test(text)) return 'its chunks or compressed data do not hold together (the file is damaged)';
  return 'it is not a PNG this decoder reads (the file is damaged or uses a variant pngjs does not support)';
}

export function decodePng(bytes: Uint8Array): Frame {
  // pngjs checks every chunk's CRC and the zlib stream, and throws on damage
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new ImageError('CORRUPT_IMAGE', `PNG does not decode: ${pngProblem(error)}`);
  }
  return { width: png.width, height: png.height, format: 'rgba8888', data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** A JPEG decoder bounded to `maxPixels` and the memory that needs. */
export function jpegDecoder(maxPixels: number): ImageDecoder {
  return (bytes) => {
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      // a truncated file is an error, not a half-grey frame
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / (1 << 20)) + 64,
    });
    return { width: image.width, height: image.height, format: 'rgba8888', data: image.data };
  };
}

export function desktopDecoders(maxPixels: number): { png: ImageDecoder; jpeg: ImageDecoder } {
  return { png: decodePng, jpeg: jpegDecoder(maxPixels) };
}
