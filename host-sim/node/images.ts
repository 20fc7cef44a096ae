// PNG and JPEG decoders for the desktop API, from well-kept libraries (pngjs,
// jpeg-js), wrapped as the src/api.ts ImageDecoder: bytes in, frame out. The
// API has already read the size from the header and refused oversized images.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Frame, ImageDecoder } from '../../src/index.js';

export function decodePng(bytes: Uint8Array): Frame {
  // pngjs checks every chunk's CRC and the zlib stream, and throws on damage
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
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
