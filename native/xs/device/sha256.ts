// SHA-256 of the model for /model and /detect, with Moddable's "crypt" Digest
// (native code, $MODDABLE/modules/crypt/digest), read straight from the
// Resource in flash.
import { Digest } from 'crypt';

/** Hex SHA-256 of `bytes` (an ArrayBuffer, a view, or a host buffer such as a Resource). */
export function sha256Hex(bytes: ArrayBuffer | ArrayBufferView | object): string {
  const digest = new Digest('SHA256');
  // write reads any buffer (xsmcGetBufferReadable in modCrypt.c: an
  // ArrayBuffer, a view, a host buffer); the SDK's typing names only
  // string | ArrayBuffer
  digest.write(bytes as ArrayBuffer);
  const hash = new Uint8Array(digest.close());
  let hex = '';
  for (const b of hash) hex += (b < 16 ? '0' : '') + b.toString(16);
  return hex;
}
