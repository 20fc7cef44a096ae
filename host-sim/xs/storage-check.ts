// Power cuts against the device's model storage (native/xs/device/storage.ts,
// the very module a Moddable app links) on the desktop XS host, whose "file"
// module (file.ts) can cut the power at any step (file-faults.ts). The store
// (src/model-store.ts) holds small blobs standing for models: what is tested is
// where bytes land, not what the core makes of them. For each history and
// operation, the power goes at step 0, 1, 2, ... of the operation until one
// runs to its end; then the device "restarts": a new store over the same
// folder picks what to boot. One JSON line per case:
//
//   storage-check --root DIR
//   {"history", "operation", "renameReplaces", "step", "keep", "cut", "log",
//    "opened", "before", "target", "booted", "source", "problems", "then"}
//
// before/target/booted name blobs ("bundled", "m2".."m5"): what was active
// before the operation, what the operation makes active, what the restart
// boots; "then" is what an update after the restart gave, restarted again
// ({"installed", "booted"}). The Node side (test/storage-cuts.test.ts) judges
// the lines.
import { ModelStore, sha256Hex, type ModelSource } from 'xs-tinyml';
import { FileStorage } from 'xtml-device/storage';
import { args, makeDirectory } from 'xtml-host';
import { faults, reset } from './file-faults.js';

declare function trace(...values: unknown[]): void;

const list = args();
const at = list.indexOf('--root');
const root = at >= 0 ? list[at + 1] : undefined;
if (root === undefined) throw new RangeError('usage: storage-check --root DIR');

/** Blob "m<k>": 1000 + k bytes of a pattern of its own. */
function blob(k: number): Uint8Array {
  return Uint8Array.from({ length: 1000 + k }, (_, i) => (i * (2 * k + 1) + k) & 255);
}
const blobs = new Map<string, string>();   // sha256 -> name
for (const k of [2, 3, 4, 5]) blobs.set(sha256Hex(blob(k)), `m${k}`);
const nameOf = (sha: string): string => blobs.get(sha) ?? `unknown ${sha}`;

interface Device {
  store: ModelStore;
  /** What it runs: a blob's name or "bundled". */
  active: string;
}

/** Boot as the model service does: the first candidate (every stored one is whole: its SHA-256 was checked). */
function boot(dir: string): Device & { source: ModelSource; problems: string[] } {
  const store = new ModelStore(new FileStorage(dir), sha256Hex);
  const problems: string[] = [];
  const first = store.candidates(problems)[0]!;
  store.adopt(first);
  return { store, active: first.source === 'bundled' ? 'bundled' : nameOf(sha256Hex(first.bytes!)), source: first.source, problems };
}

function install(device: Device, k: number): void {
  const bytes = blob(k);
  device.store.install(bytes, sha256Hex(bytes));
  device.active = `m${k}`;
}

function rollback(device: Device): void {
  const record = device.store.rollback();
  device.active = record.active === 'bundled' ? 'bundled' : nameOf(record.slots[record.active]!.sha256);
}

const histories: [string, (d: Device) => void][] = [
  ['fresh device', () => undefined],
  ['after one update', (d) => install(d, 2)],
  ['after two updates and a rollback', (d) => { install(d, 2); install(d, 3); rollback(d); }],
];
const operations: [string, [string, (d: Device) => void][], (d: Device) => void, string][] = [
  ['install', histories, (d) => install(d, 4), 'm4'],
  ['rollback', [['after two updates', (d) => { install(d, 2); install(d, 3); }]], rollback, 'm2'],
];
const keeps: [string, (n: number) => number][] = [['nothing', () => 0], ['half', (n) => n >> 1], ['all but one byte', (n) => n - 1]];

makeDirectory(root);
let n = 0;
for (const renameReplaces of [true, false]) {
  for (const [operation, runs, run, target] of operations) {
    for (const [history, prepare] of runs) {
      let done = false;
      for (let step = 0; !done; step++) {
        // a cut write is cut three ways; another step once
        for (const [keep, kept] of keeps) {
          const dir = `${root}/case-${n++}`;
          reset(-1, () => 0, renameReplaces);
          prepare(boot(dir));
          const during = boot(dir);
          const before = during.active;
          reset(step, kept, renameReplaces);
          try {
            run(during);
          } catch (error) {
            if (!faults.off) throw error;
          }
          const cut = faults.off;
          const log = faults.log.slice(), opened = faults.openedForWriting.slice();
          // restart: the power is back; nothing of `during` runs again
          reset(-1, () => 0, renameReplaces);
          const after = boot(dir);
          const booted = after.active;
          const next = booted === 'm5' ? 4 : 5;
          install(after, next);
          const then = { installed: `m${next}`, booted: boot(dir).active };
          trace(JSON.stringify({
            history, operation, renameReplaces, step, keep, cut, log, opened, before, target, booted,
            source: after.source, problems: after.problems, then,
          }) + '\n');
          done = !cut;
          if (!cut || !log[log.length - 1]!.startsWith('write ')) break;
        }
      }
    }
  }
}
