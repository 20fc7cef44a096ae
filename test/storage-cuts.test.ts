// Power cuts against the two storage modules that keep models on real media:
// the desktop's FileStorage (host-sim/node/file-storage.ts) through file
// operations that can cut the power at any call, and the device's FileStorage
// (native/xs/device/storage.ts) in the desktop XS host over a "file" module
// that can (host-sim/xs/file.ts, storage-check.ts). For every history and
// operation the power goes at each step in turn, writes are cut three ways
// (nothing, half, all but one byte reached the file), and the restart must
// boot exactly the model before the operation or the one it puts in service,
// the latter exactly when the cut came after the commit point (the record's
// rename, on the desktop also the directory's fsync when unsynced data is
// lost, and a run that returned is then cut right after it). A blob's own name is never opened for writing; and after every cut
// an update still works and survives a restart.
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { FileStorage, type FileOps } from '../host-sim/node/file-storage.js';
import { xsHostPath, xsManifestPath } from '../host-sim/xs/xs-backend.js';
import { ModelService, ModelStore, type Frame } from '../src/index.js';
import { int8ModelPath, loadHeldOut } from '../tools/detector.js';

const scratch = mkdtempSync(join(tmpdir(), 'xtml-cuts-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const bundled = new Uint8Array(readFileSync(int8ModelPath));
/** The bundled model with its description's first "version": 1 made n: same input and output, another SHA-256. */
function variant(n: number): Uint8Array {
  const bytes = Uint8Array.from(bundled);
  const m = /"version":\s*1\b/.exec(Buffer.from(bytes).toString('latin1'));
  if (m === null) throw new Error('the bundled model has no "version": 1 in its description');
  bytes[m.index + m[0].length - 1] = 0x30 + n;
  return bytes;
}
const models = new Map([2, 3, 4, 5].map((n) => [n, variant(n)]));
const names = new Map<string, string>([[sha(bundled), 'bundled'], ...[...models].map(([n, b]) => [sha(b), `m${n}`] as [string, string])]);
const nameOf = (digest: string): string => names.get(digest) ?? `unknown ${digest.slice(0, 12)}`;
// held-out frame 1 alone is the probe and the drift baseline: boots stay quick
const known: Frame[] = [{ width: 96, height: 96, format: 'gray8', data: loadHeldOut(2).frames[1]! }];

// ---- the desktop: file operations that can cut the power ----

class PowerCut extends Error {}

/**
 * node:fs with a power cut at call number `cutAt` (counting every call that
 * changes something: open, write, fsync, close, rename). A cut write leaves
 * `keep(length)` bytes. After the cut every call throws. With `loseUnsynced`,
 * the restart also loses what the disk had not made durable: file contents
 * written since their last fsync, and renames not followed by an fsync of the
 * directory (undone, the old file back under its name).
 */
class CrashFs implements FileOps {
  steps = 0;
  readonly log: string[] = [];
  /** Paths opened with a flag that writes. */
  readonly opened: string[] = [];
  off = false;
  private readonly paths = new Map<number, string>();
  private readonly unsynced = new Set<string>();
  /** Renames since the directory's last fsync: [from, to, what `to` held before]. */
  private readonly renames: [string, string, Buffer | undefined][] = [];

  constructor(readonly cutAt: number, readonly keep: (length: number) => number) {}

  private step(what: string): boolean {
    if (this.off) throw new PowerCut('the power is off');
    this.log.push(what);
    return this.steps++ !== this.cutAt;
  }

  private cut(what: string): never {
    this.off = true;
    throw new PowerCut(`power cut: ${what}`);
  }

  readonly openSync = ((path: fs.PathLike, flags: fs.OpenMode = 'r'): number => {
    const what = `open ${String(path)} ${String(flags)}`;
    if (!this.step(what)) this.cut(what);
    const fd = fs.openSync(path, flags);
    this.paths.set(fd, String(path));
    if (flags !== 'r') {
      this.opened.push(String(path));
      this.unsynced.add(String(path));
    }
    return fd;
  }) as FileOps['openSync'];

  readonly writeSync = ((fd: number, buffer: Uint8Array, offset: number, length: number): number => {
    const what = `write ${this.paths.get(fd)} ${length} bytes`;
    if (!this.step(what)) {
      fs.writeSync(fd, buffer, offset, Math.max(0, Math.min(length, this.keep(length))));
      this.cut(what);
    }
    this.unsynced.add(this.paths.get(fd)!);
    return fs.writeSync(fd, buffer, offset, length);
  }) as FileOps['writeSync'];

  readonly fsyncSync = (fd: number): void => {
    const path = this.paths.get(fd)!;
    const what = `fsync ${path}`;
    if (!this.step(what)) this.cut(what);
    fs.fsyncSync(fd);
    this.unsynced.delete(path);
    if (fs.statSync(path).isDirectory()) this.renames.length = 0;
  };

  readonly closeSync = (fd: number): void => {
    const what = `close ${this.paths.get(fd)}`;
    if (!this.step(what)) this.cut(what);
    fs.closeSync(fd);
  };

  readonly renameSync = (from: fs.PathLike, to: fs.PathLike): void => {
    const what = `rename ${String(from)} ${String(to)}`;
    if (!this.step(what)) this.cut(what);
    let old: Buffer | undefined;
    try {
      old = fs.readFileSync(to);
    } catch {
      old = undefined;
    }
    fs.renameSync(from, to);
    this.renames.push([String(from), String(to), old]);
    if (this.unsynced.delete(String(from))) this.unsynced.add(String(to));
  };

  readonly mkdirSync = ((path: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
    if (this.off) throw new PowerCut('the power is off');
    return fs.mkdirSync(path, options);
  }) as FileOps['mkdirSync'];

  readonly readFileSync = ((path: fs.PathOrFileDescriptor) => {
    if (this.off) throw new PowerCut('the power is off');
    return fs.readFileSync(path);
  }) as FileOps['readFileSync'];

  /** What the disk holds after the restart when unsynced data is lost. */
  loseUnsynced(): void {
    for (const [from, to, old] of this.renames.reverse()) {
      fs.renameSync(to, from);
      if (old !== undefined) fs.writeFileSync(to, old);
    }
    for (const path of this.unsynced) if (fs.existsSync(path)) fs.truncateSync(path, 0);
  }
}

function boot(dir: string, ops: FileOps = fs): ModelService {
  const service = new ModelService({
    binding: loadBinding('wasm'),
    bundled: { bytes: bundled, sha256: sha(bundled), size: bundled.length },
    crypto: { sha256: sha },
    store: new ModelStore(new FileStorage(dir, ops), sha),
    knownFrames: known,
    profileDepth: 0,
  });
  service.boot();
  return service;
}

const running = (s: ModelService): string => nameOf(s.current().sha256);
const release = (s: ModelService): void => s.current().session.release();

const keeps: [string, (n: number) => number][] = [['nothing', () => 0], ['half', (n) => n >> 1], ['all but one byte', (n) => n - 1]];
const install = (n: number) => (s: ModelService): void => void s.install(models.get(n)!);
const desktopRuns: [string, (s: ModelService) => void, string, (s: ModelService) => void, string][] = [
  // [history, its steps, operation, what it does, what it puts in service]
  ['fresh device', () => undefined, 'install', install(4), 'm4'],
  ['after one update', install(2), 'install', install(4), 'm4'],
  ['after two updates and a rollback', (s) => { install(2)(s); install(3)(s); s.rollback(); }, 'install', install(4), 'm4'],
  ['after two updates', (s) => { install(2)(s); install(3)(s); }, 'rollback', (s) => void s.rollback(), 'm2'],
];

let caseNumber = 0;
for (const [history, prepare, operation, run, target] of desktopRuns) {
  for (const loseUnsynced of [false, true]) {
    test(`desktop FileStorage, ${history}: a power cut at every step of ${operation}${loseUnsynced ? ', losing unsynced data' : ''}; the restart boots the model before or after it`, (t) => {
      const problems: string[] = [];
      let cases = 0;
      let done = false;
      for (let step = 0; !done; step++) {
        for (const [keepName, keep] of keeps) {
          const dir = join(scratch, `desktop-${caseNumber++}`);
          const first = boot(dir);
          prepare(first);
          release(first);
          const crash = new CrashFs(step, keep);
          const during = boot(dir, crash);
          // the boot itself changes nothing on disk
          t.deepEqual(crash.log, [], 'boot writes nothing');
          const before = running(during);
          try {
            run(during);
          } catch (error) {
            if (!crash.off) throw error;
          }
          cases++;
          const where = `${operation} cut at step ${step} (${crash.log[crash.log.length - 1]}${crash.off && crash.log[crash.log.length - 1]!.startsWith('write') ? `, ${keepName} reached the file` : ''})`;
          if (!crash.off) release(during);
          // with loseUnsynced, a run that returned is cut right after it returned
          if (loseUnsynced) crash.loseUnsynced();
          // the commit point: the record's rename, made durable by the directory's fsync when unsynced data is lost
          const last = crash.off ? crash.log.length - 1 : crash.log.length;
          const renamed = crash.log.findIndex((l, i) => i < last && /^rename .*record-\d\.json\.tmp /.test(l));
          const synced = crash.log.findIndex((l, i) => i > renamed && i < last && l === `fsync ${dir}`);
          // (an operation that returned has committed: its caller was told so)
          const committed = !crash.off || (renamed >= 0 && (!loseUnsynced || synced >= 0));
          for (const path of crash.opened) {
            if (!path.endsWith('.tmp')) problems.push(`${where}: opened ${path} for writing`);
          }
          const after = boot(dir);
          const booted = running(after);
          if (booted !== (committed ? target : before)) {
            problems.push(`${where}: booted ${booted} (${after.state().source}; ${after.state().boot.problems.join('; ')}), expected ${committed ? target : before}`);
          }
          const next = booted === 'm5' ? 4 : 5;
          install(next)(after);
          release(after);
          const again = boot(dir);
          if (running(again) !== `m${next}`) problems.push(`${where}: the update after the restart did not survive the next one`);
          release(again);
          done = !crash.off;
          if (!crash.off || !crash.log[crash.log.length - 1]!.startsWith('write ')) break;
        }
      }
      t.deepEqual(problems, []);
      // open, write, fsync, close, rename, open dir, fsync dir, close dir: per blob, and two blobs per install
      t.true(cases >= (operation === 'install' ? 16 : 8), `${cases} cases`);
    });
  }
}

// ---- the device: native/xs/device/storage.ts in the XS host ----

interface DeviceCase {
  history: string;
  operation: string;
  renameReplaces: boolean;
  step: number;
  keep: string;
  cut: boolean;
  log: string[];
  opened: string[];
  before: string;
  target: string;
  booted: string;
  source: string;
  problems: string[];
  then: { installed: string; booted: string };
}

const deviceCases = new Promise<DeviceCase[]>((resolvePromise, reject) => {
  const root = join(scratch, 'device');
  execFile(xsHostPath, ['--manifest', xsManifestPath, 'storage-check', '--root', root], { maxBuffer: 64 << 20, timeout: 300_000 }, (error, stdout, stderr) => {
    if (error) reject(new Error(`storage-check failed: ${stderr}`));
    else resolvePromise(stdout.trim().split('\n').map((line) => JSON.parse(line) as DeviceCase));
  });
});
deviceCases.catch(() => undefined);

test('device storage.ts: a power cut at every step of an update or rollback; the restart boots the model before or after it', async (t) => {
  const cases = await deviceCases;
  const problems: string[] = [];
  for (const c of cases) {
    const where = `${c.history}, ${c.operation}${c.renameReplaces ? '' : ' (rename does not replace)'}, cut at step ${c.step} (${c.log[c.log.length - 1]}, ${c.keep})`;
    const last = c.cut ? c.log.length - 1 : c.log.length;
    const committed = c.log.some((l, i) => i < last && /^rename .*record-\d\.json\.new .*record-\d\.json$/.test(l));
    if (c.booted !== (committed ? c.target : c.before)) problems.push(`${where}: booted ${c.booted} from ${c.source} (${c.problems.join('; ')}), expected ${committed ? c.target : c.before}`);
    for (const path of c.opened) if (!path.endsWith('.new')) problems.push(`${where}: opened ${path} for writing`);
    if (c.then.booted !== c.then.installed) problems.push(`${where}: the update after the restart did not survive the next one`);
  }
  t.deepEqual(problems, []);
  // every history and operation in both rename modes, each cut until one ran through
  for (const replaces of [true, false]) {
    for (const [history, operation] of [['fresh device', 'install'], ['after one update', 'install'], ['after two updates and a rollback', 'install'], ['after two updates', 'rollback']]) {
      const mine = cases.filter((c) => c.renameReplaces === replaces && c.history === history && c.operation === operation);
      t.true(mine.some((c) => !c.cut), `${history}, ${operation}: ran through`);
      t.true(mine.filter((c) => c.cut).length >= (operation === 'install' ? 6 : 3), `${history}, ${operation}: ${mine.length} cases`);
    }
  }
  // the fallback for file systems whose rename does not replace: refused, target deleted, renamed again; and cut in that window
  const fallback = cases.filter((c) => !c.renameReplaces && c.cut && /^rename /.test(c.log[c.log.length - 1]!) &&
    /^delete .*record-\d\.json$/.test(c.log[c.log.length - 2] ?? ''));
  t.true(fallback.length >= 1, 'a cut between deleting the old record and renaming the new one');
  t.true(cases.some((c) => c.log.some((l) => l.endsWith('(refused: the target exists)'))));
});
