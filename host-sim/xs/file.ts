// Module "file" of the desktop XS host: the part of Moddable's file module
// ($MODDABLE/modules/files/file) that native/xs/device/storage.ts uses, over
// the host's files, with the behaviour of the SDK's simulator: new File(path,
// true) opens for reading and writing, creating the file if absent and never
// truncating it; read() past the end throws; write() writes at the position
// and the bytes are in the file when it returns; File.rename(path, name) gives
// the file a new name in its own folder (rename(2), which replaces a file of
// that name); Directory.create accepts an existing folder. Every change goes
// through file-faults.ts, which can cut the power at any of them.
// Host-only: on a device the SDK's own module is linked instead.
import { fileDelete, fileReadAt, fileRename, fileSize, fileWriteAt, makeDirectory } from 'xtml-host';
import { cut, faults, powered, step } from './file-faults.js';

declare global {
  interface StringConstructor {
    /** XS: a string from UTF-8 bytes. */
    fromArrayBuffer(buffer: ArrayBuffer): string;
  }
}

function utf8(text: string): ArrayBuffer {
  return ArrayBuffer.fromString(text);
}

export class File {
  readonly #path: string;
  readonly #write: boolean;
  #closed = false;
  position = 0;

  constructor(path: string, write = false) {
    powered();
    if (fileSize(path) < 0) {
      if (!write) throw new Error('file not found');
      if (!step(`create ${path}`)) cut(`create ${path}`);
      fileWriteAt(path, 0, new ArrayBuffer(0));
    }
    if (write) faults.openedForWriting.push(path);
    this.#path = path;
    this.#write = write;
  }

  get length(): number {
    this.#check();
    return Math.max(0, fileSize(this.#path));
  }

  read(type: typeof ArrayBuffer, count?: number): ArrayBuffer;
  read(type: typeof String, count?: number): string;
  read(type: typeof ArrayBuffer | typeof String, count?: number): ArrayBuffer | string {
    this.#check();
    const size = Math.max(0, fileSize(this.#path));
    if (this.position >= size) throw new Error('read past end of file');
    const n = count === undefined || this.position + count > size ? size - this.position : count;
    const bytes = fileReadAt(this.#path, this.position, n);
    this.position += n;
    if (type === String) return String.fromArrayBuffer(bytes);
    return bytes;
  }

  write(...items: (ArrayBuffer | string | number)[]): void {
    this.#check();
    if (!this.#write) throw new Error('file not opened for writing');
    for (const item of items) {
      const bytes = typeof item === 'string' ? utf8(item) : typeof item === 'number' ? new Uint8Array([item & 255]).buffer : item;
      const what = `write ${this.#path} ${bytes.byteLength} bytes at ${this.position}`;
      if (!step(what)) {
        const kept = Math.max(0, Math.min(bytes.byteLength, faults.keep(bytes.byteLength)));
        fileWriteAt(this.#path, this.position, bytes.slice(0, kept));
        cut(`${what} (${kept} reached the file)`);
      }
      fileWriteAt(this.#path, this.position, bytes);
      this.position += bytes.byteLength;
    }
  }

  close(): void {
    this.#check();
    this.#closed = true;
  }

  #check(): void {
    powered();
    if (this.#closed) throw new Error('closed');
  }

  static exists(path: string): boolean {
    powered();
    return fileSize(path) >= 0;
  }

  static delete(path: string): boolean {
    if (!step(`delete ${path}`)) cut(`delete ${path}`);
    return fileDelete(path);
  }

  static rename(path: string, name: string): boolean {
    const slash = path.lastIndexOf('/');
    const to = path.slice(0, slash + 1) + name;
    if (!step(`rename ${path} ${to}`)) cut(`rename ${path} ${to}`);
    if (!faults.renameReplaces && fileSize(to) >= 0) {
      faults.log[faults.log.length - 1] += ' (refused: the target exists)';
      return false;
    }
    return fileRename(path, to);
  }
}

export class Directory {
  static create(path: string): void {
    powered();
    if (fileSize(path) >= 0) throw new Error(`${path} is a file`);
    if (!step(`mkdir ${path}`)) cut(`mkdir ${path}`);
    makeDirectory(path);
  }
}
