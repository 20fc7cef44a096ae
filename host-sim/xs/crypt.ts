// Module "crypt" on the desktop XS host: the Digest of Moddable's crypt module
// for SHA-256 only, computed by src/sha256.ts, so device code that hashes with
// it (native/xs/device/sha256.ts) runs here. Host-only.
import { sha256 } from 'xs-tinyml';

export class Digest {
  #parts: Uint8Array[] = [];

  constructor(type: string) {
    if (type !== 'SHA256') throw new RangeError(`this host's Digest does SHA256 only, not ${type}`);
  }

  write(data: ArrayBuffer | ArrayBufferView | object): void {
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data as ArrayBuffer);
    this.#parts.push(bytes.slice());
  }

  close(): ArrayBuffer {
    const total = this.#parts.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const part of this.#parts) {
      all.set(part, at);
      at += part.length;
    }
    this.#parts = [];
    return sha256(all).slice().buffer;
  }

  reset(): void {
    this.#parts = [];
  }
}
