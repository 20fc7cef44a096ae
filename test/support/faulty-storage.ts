// Storage on raw media for the power-cut tests: a write that is cut leaves the
// first `keep` bytes of the new blob under its name (torn), as flash without
// rename would, then throws PowerCut. The cut happens on write number `at`
// (counting from 0); keep < 0 writes nothing.
import { MemoryStorage, type StorageBackend } from '../../src/index.js';

export class PowerCut extends Error {}

export class FaultyStorage implements StorageBackend {
  writes = 0;
  constructor(readonly media: MemoryStorage, readonly at: number, readonly keep: (length: number) => number) {}
  read(name: string): Uint8Array | undefined {
    return this.media.read(name);
  }
  write(name: string, bytes: Uint8Array): void {
    if (this.writes++ === this.at) {
      const keep = this.keep(bytes.length);
      if (keep >= 0) this.media.write(name, bytes.subarray(0, keep));
      throw new PowerCut(`power cut writing ${name} after ${keep} of ${bytes.length} bytes`);
    }
    this.media.write(name, bytes);
  }
}
