// Module "file-faults" of the desktop XS host: power cuts for the "file" module
// (file.ts), so tests can cut the device's storage code (native/xs/device/
// storage.ts) at every step of a write. Each change a program makes to the
// file system (create, write, delete, rename, make a folder) is one step,
// numbered from 0 since the last reset(). When step `cutAt` comes, the power
// goes: a write leaves the first `keep(length)` bytes of what it was writing
// (a torn write), any other step does nothing; it throws PowerCut, and so does
// every file operation after it until the next reset() (the "restart").
// `renameReplaces: false` makes File.rename refuse an existing target, as
// SPIFFS does. Host-only: no device has this module.

export class PowerCut extends Error {
  override name = 'PowerCut';
}

export interface FileFaults {
  /** The step at which the power goes; -1: never. */
  cutAt: number;
  /** Bytes of a cut write that reach the file. */
  keep: (length: number) => number;
  /** Whether rename replaces an existing target (POSIX, LittleFS) or refuses it (SPIFFS). */
  renameReplaces: boolean;
  /** Steps taken since reset(). */
  steps: number;
  /** Every step since reset(), e.g. "write /x/model-a.tflite.new 60256", the cut one last. */
  log: string[];
  /** Paths opened for writing since reset(). */
  openedForWriting: string[];
  /** The power is off (a step was cut). */
  off: boolean;
}

export const faults: FileFaults = {
  cutAt: -1, keep: () => 0, renameReplaces: true, steps: 0, log: [], openedForWriting: [], off: false,
};

/** Power back on, counting from 0, cutting at `cutAt` (-1: never). */
export function reset(cutAt = -1, keep: (length: number) => number = () => 0, renameReplaces = true): void {
  faults.cutAt = cutAt;
  faults.keep = keep;
  faults.renameReplaces = renameReplaces;
  faults.steps = 0;
  faults.log = [];
  faults.openedForWriting = [];
  faults.off = false;
}

/** Throws when the power is off. */
export function powered(): void {
  if (faults.off) throw new PowerCut('the power is off');
}

/**
 * One step that changes the file system. Returns true when it may run in full;
 * false when this is the cut step (the caller does its partial effect, then
 * calls cut()).
 */
export function step(what: string): boolean {
  powered();
  faults.log.push(what);
  return faults.steps++ !== faults.cutAt;
}

export function cut(what: string): never {
  faults.off = true;
  throw new PowerCut(`power cut at step ${faults.steps - 1}: ${what}`);
}
