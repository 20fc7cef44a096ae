// Module "xtml-device/storage" on targets without Moddable's file module: no
// persistent storage, so updated models last until the next restart (the
// model service keeps its slots in memory). storage.ts is the module on
// the simulator and the ESP32.
import type { StorageBackend } from 'xs-tinyml';

export function deviceStorage(): StorageBackend | undefined {
  return undefined;
}
