// Where the device keeps updated models: the StorageBackend of src/model-store.ts
// over Moddable's "file" module ($MODDABLE/modules/files/file). The manifest
// picks its file system: LittleFS in the flash partition "storage" on an ESP32,
// a directory of the host's file system in the simulator (config.file.root,
// /tmp/ on Linux). The blobs live in the folder config.storage.dir under it.
//
// A write goes to "<name>.new" and is renamed over the blob. On LittleFS the
// rename is atomic and the file system itself survives power cuts (copy-on-write
// metadata), so a blob is the old one or the new one, never torn; on POSIX
// (the simulator) rename(2) replaces atomically too. Where rename does not
// replace (SPIFFS fails when the target exists) the blob is deleted first and
// the window leaves it absent, which the store handles like a torn blob: it
// checks every slot's size and SHA-256 and every record's checksum, and writes
// a slot or record copy that is not the one in force. So even a plain
// overwrite would be safe; the rename just keeps the old blob whole longer.
import config from 'mc/config';
import { Directory, File } from 'file';
import type { StorageBackend } from 'xs-tinyml';

/** The bytes of `bytes` as the whole ArrayBuffer the file module writes (a copy only for a partial view). */
function wholeBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer as ArrayBuffer;
  return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength ? buffer : bytes.slice().buffer;
}

export class FileStorage implements StorageBackend {
  /** The folder, ending in "/". */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir.endsWith('/') ? dir : `${dir}/`;
    Directory.create(this.dir.slice(0, -1));
  }

  read(name: string): Uint8Array | undefined {
    const path = this.dir + name;
    let file: File;
    try {
      if (!File.exists(path)) return undefined;
      file = new File(path);
    } catch {
      return undefined;
    }
    try {
      // read() throws on an empty file ("read past end")
      return file.length === 0 ? new Uint8Array(0) : new Uint8Array(file.read(ArrayBuffer));
    } catch {
      return undefined;
    } finally {
      file.close();
    }
  }

  write(name: string, bytes: Uint8Array): void {
    const path = this.dir + name;
    const temp = `${path}.new`;
    // new File(path, true) opens without truncating: start from no file
    if (File.exists(temp)) File.delete(temp);
    const file = new File(temp, true);
    try {
      file.write(wholeBuffer(bytes));
      if (file.length !== bytes.byteLength) throw new Error(`${temp}: wrote ${file.length} of ${bytes.byteLength} bytes`);
    } finally {
      file.close();   // LittleFS commits the file here
    }
    if (File.rename(temp, name)) return;
    File.delete(path);
    if (!File.rename(temp, name)) throw new Error(`cannot rename ${temp} to ${name}`);
  }
}

/** The app's storage: a folder under the file system's root (config.file.root + config.storage.dir). */
export function deviceStorage(): StorageBackend | undefined {
  const root = config.file?.root ?? '/';
  return new FileStorage(root + (config.storage?.dir ?? 'xtml'));
}
