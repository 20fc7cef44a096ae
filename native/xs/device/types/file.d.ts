// Types of Moddable's module "file" ($MODDABLE/modules/files/file: POSIX files
// in the simulator, LittleFS or SPIFFS on an ESP32): the part this app uses.
// An ambient module, so tsconfig.json needs no path for it.
declare module 'file' {
  export class File {
    /** Opens `path` for reading; with `write` true for reading and writing, created if absent (never truncated). Throws when it cannot. */
    constructor(path: string, write?: boolean);
    read(type: typeof ArrayBuffer, count?: number): ArrayBuffer;
    read(type: typeof String, count?: number): string;
    /** Writes at the position and flushes. The simulator's file module takes only ArrayBuffers and strings. */
    write(...items: (ArrayBuffer | string | number)[]): void;
    close(): void;
    readonly length: number;
    position: number;
    static delete(path: string): boolean;
    static exists(path: string): boolean;
    /** Renames in place (`name` without a folder) or to a full path; false when the file system refuses. */
    static rename(path: string, name: string): boolean;
  }
  export class Directory {
    /** Creates the folder; an existing one is fine. */
    static create(path: string): void;
    static delete(path: string): void;
  }
}
