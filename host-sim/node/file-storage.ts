// The model store's StorageBackend on the desktop: one file per blob in a
// directory. A write goes to a temporary file, is fsync'd, renamed over the
// old file and the directory fsync'd, so a crash leaves the old blob or the new
// one, never a torn file under the blob's name; the blob's own name is never
// opened for writing. Node-only.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import type { StorageBackend } from '../../src/index.js';

/** The file operations FileStorage uses: node:fs, or a wrapper (tests cut the power with one). */
export type FileOps = Pick<typeof nodeFs, 'closeSync' | 'fsyncSync' | 'mkdirSync' | 'openSync' | 'readFileSync' | 'renameSync' | 'writeSync'>;

export class FileStorage implements StorageBackend {
  readonly dir: string;
  private readonly fs: FileOps;

  constructor(dir: string, fs: FileOps = nodeFs) {
    this.dir = dir;
    this.fs = fs;
    fs.mkdirSync(dir, { recursive: true });
  }

  read(name: string): Uint8Array | undefined {
    try {
      return new Uint8Array(this.fs.readFileSync(join(this.dir, name)));
    } catch {
      return undefined;
    }
  }

  write(name: string, bytes: Uint8Array): void {
    const fs = this.fs;
    const path = join(this.dir, name);
    const temp = `${path}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      let at = 0;
      while (at < bytes.length) at += fs.writeSync(fd, bytes, at, bytes.length - at);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, path);
    const dirFd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}
