// The model store's StorageBackend on the desktop: one file per blob in a
// directory. A write goes to a temporary file, is fsync'd, renamed over the
// old file and the directory fsync'd, so a crash leaves the old blob or the new
// one, never a torn file under the blob's name. Node-only.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { StorageBackend } from '../../src/index.js';

export class FileStorage implements StorageBackend {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  read(name: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(join(this.dir, name)));
    } catch {
      return undefined;
    }
  }

  write(name: string, bytes: Uint8Array): void {
    const path = join(this.dir, name);
    const temp = `${path}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
