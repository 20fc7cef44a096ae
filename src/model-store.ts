// Where updated models live, so that a power cut at any moment leaves a model to
// boot. Two model slots (a, b) and two record copies; a record says which slot
// is active, which one is the rollback, and the SHA-256 and size of each slot.
//
//   update:   write the model into the slot that is neither active nor the
//             rollback target's only copy, flush; then write a new record (its
//             sequence number + 1) into the record copy NOT holding the newest
//             record, flush. The record write is the commit point.
//   boot:     take the valid record with the highest sequence number (a record
//             carries its own SHA-256, so a torn one is invalid); try its active
//             slot, then its rollback slot; then the older record's; the bundled
//             model last. A slot is used only if its bytes have the recorded
//             size and SHA-256 and the core loads them: never a mix.
//
// The same logic runs on the desktop (files, each write to a temp file, fsync,
// rename) and on a device (flash or files), behind StorageBackend.

/** Named blobs that survive restarts. */
export interface StorageBackend {
  /** The whole blob, or undefined when it is absent or cannot be read. */
  read(name: string): Uint8Array | undefined;
  /** Replace the blob; durable when this returns. Throws when it cannot. */
  write(name: string, bytes: Uint8Array): void;
}

export type SlotName = 'a' | 'b';
export type ModelSource = SlotName | 'bundled';

export interface SlotInfo {
  sha256: string;
  bytes: number;
}

export interface StoreRecord {
  seq: number;
  active: ModelSource;
  /** Where POST /model/rollback goes; null when there is nowhere to go. */
  previous: ModelSource | null;
  slots: Partial<Record<SlotName, SlotInfo>>;
}

export const slotFile = (slot: SlotName): string => `model-${slot}.tflite`;
const recordFiles = Object.freeze(['record-0.json', 'record-1.json'] as const);

/** A blob of ASCII text (records are ASCII by construction). */
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

function text(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function isSource(x: unknown): x is ModelSource {
  return x === 'a' || x === 'b' || x === 'bundled';
}

function isSlotInfo(x: unknown): x is SlotInfo {
  const s = x as SlotInfo;
  return s !== null && typeof s === 'object' && typeof s.sha256 === 'string' && /^[0-9a-f]{64}$/.test(s.sha256) && Number.isSafeInteger(s.bytes) && s.bytes > 0;
}

export interface BootCandidate {
  source: ModelSource;
  bytes?: Uint8Array;
  info?: SlotInfo;
  record: StoreRecord;
}

export class ModelStore {
  readonly storage: StorageBackend;
  private readonly sha256: (bytes: Uint8Array) => string;
  private record: StoreRecord = { seq: 0, active: 'bundled', previous: null, slots: {} };

  constructor(storage: StorageBackend, sha256: (bytes: Uint8Array) => string) {
    this.storage = storage;
    this.sha256 = sha256;
  }

  /** The record in force (after boot(), install() or rollback()). */
  current(): StoreRecord {
    return this.record;
  }

  /** A record as stored: its JSON, a newline, the JSON's SHA-256. */
  encode(record: StoreRecord): Uint8Array {
    const json = JSON.stringify(record);
    return ascii(`${json}\n${this.sha256(ascii(json))}\n`);
  }

  /** The record in a stored blob, or undefined when it is torn, altered or malformed. */
  decode(bytes: Uint8Array | undefined): StoreRecord | undefined {
    if (bytes === undefined) return undefined;
    const lines = text(bytes).split('\n');
    if (lines.length !== 3 || lines[2] !== '' || this.sha256(ascii(lines[0]!)) !== lines[1]) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(lines[0]!);
    } catch {
      return undefined;
    }
    const r = value as StoreRecord;
    if (r === null || typeof r !== 'object' || !Number.isSafeInteger(r.seq) || r.seq < 1 || !isSource(r.active)) return undefined;
    if (r.previous !== null && !isSource(r.previous)) return undefined;
    if (r.slots === null || typeof r.slots !== 'object') return undefined;
    for (const slot of ['a', 'b'] as const) if (r.slots[slot] !== undefined && !isSlotInfo(r.slots[slot])) return undefined;
    return r;
  }

  /** A slot's bytes if they are exactly what the record says, else undefined. */
  slotBytes(slot: SlotName, info: SlotInfo | undefined): Uint8Array | undefined {
    if (info === undefined) return undefined;
    const bytes = this.storage.read(slotFile(slot));
    if (bytes === undefined || bytes.length !== info.bytes || this.sha256(bytes) !== info.sha256) return undefined;
    return bytes;
  }

  /**
   * Candidates to boot from, best first: each valid record (newest first) gives
   * its active slot then its rollback slot; the bundled model closes the list.
   * `problems` collects why a candidate was passed over.
   */
  candidates(problems: string[]): BootCandidate[] {
    const records: StoreRecord[] = [];
    recordFiles.forEach((name) => {
      const blob = this.storage.read(name);
      const r = this.decode(blob);
      if (r !== undefined) records.push(r);
      else if (blob !== undefined) problems.push(`${name} is torn or invalid`);
    });
    records.sort((x, y) => y.seq - x.seq);
    const out: BootCandidate[] = [];
    for (const record of records) {
      for (const source of [record.active, record.previous]) {
        if (source === null) continue;
        if (source === 'bundled') {
          out.push({ source, record });
          continue;
        }
        const info = record.slots[source];
        const bytes = this.slotBytes(source, info);
        if (bytes === undefined) {
          problems.push(`slot ${source} does not hold the model record ${record.seq} names (missing, torn or altered)`);
          continue;
        }
        out.push({ source, bytes, info: info!, record });
      }
    }
    out.push({ source: 'bundled', record: { seq: records[0]?.seq ?? 0, active: 'bundled', previous: null, slots: records[0]?.slots ?? {} } });
    return out;
  }

  /** Adopt the record a boot candidate came from, as the one in force. */
  adopt(candidate: BootCandidate): void {
    const r = candidate.record;
    if (candidate.source === r.active) {
      this.record = r;
    } else {
      // booted from the rollback slot or the bundled model: the record in force says so,
      // in memory; it is written with the next update or rollback
      this.record = { seq: r.seq, active: candidate.source, previous: null, slots: r.slots };
    }
  }

  /** The slot a new model goes into: not the active one, and not the rollback target. */
  private targetSlot(): SlotName {
    const busy = new Set<ModelSource | null>([this.record.active, this.record.previous]);
    return !busy.has('a') ? 'a' : !busy.has('b') ? 'b' : this.record.active === 'a' ? 'b' : 'a';
  }

  /** Store a model and make it active (the old active one becomes the rollback). Throws on a storage failure. */
  install(bytes: Uint8Array, sha256: string): StoreRecord {
    const slot = this.targetSlot();
    this.storage.write(slotFile(slot), bytes);
    const next: StoreRecord = {
      seq: this.record.seq + 1,
      active: slot,
      previous: this.record.active,
      slots: { ...this.record.slots, [slot]: { sha256, bytes: bytes.length } },
    };
    this.commit(next);
    return next;
  }

  /** Make the rollback target active (and the active one the new rollback target). */
  rollback(): StoreRecord {
    const r = this.record;
    if (r.previous === null) throw new Error('no rollback target');
    const next: StoreRecord = { seq: r.seq + 1, active: r.previous, previous: r.active, slots: r.slots };
    this.commit(next);
    return next;
  }

  private commit(next: StoreRecord): void {
    this.storage.write(recordFiles[next.seq % 2]!, this.encode(next));
    this.record = next;
  }
}

/** Storage in memory: for hosts with nowhere to persist, and for tests. */
export class MemoryStorage implements StorageBackend {
  readonly blobs = new Map<string, Uint8Array>();

  read(name: string): Uint8Array | undefined {
    const blob = this.blobs.get(name);
    return blob === undefined ? undefined : blob.slice();
  }

  write(name: string, bytes: Uint8Array): void {
    this.blobs.set(name, bytes.slice());
  }
}
