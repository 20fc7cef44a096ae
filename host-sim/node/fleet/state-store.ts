// The controller's memory across restarts, kept as the model store keeps its
// records: two copies (state-0.json, state-1.json), each the JSON, a newline,
// the JSON's SHA-256 and a sequence number inside; a save writes the copy that
// does not hold the newest state (temp file, fsync, rename, directory fsync),
// so a crash at any moment leaves the previous state or the new one. Model
// files (models/<sha256>.tflite) are written the same way before any state
// names them. Node-only.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { FileStorage } from '../file-storage.js';
import type { Desired } from '../../../src/fleet/protocol.js';
import type { Rollout } from './rollout.js';

export interface StoredModel {
  sha256: string;
  size: number;
  name: string;
  /** Wall-clock ms. */
  added: number;
}

export interface ControllerState {
  v: 1;
  seq: number;
  models: StoredModel[];
  rollouts: Rollout[];
  /** The retained desired state of each device, as last published. */
  desired: Record<string, Desired>;
}

const copies = Object.freeze(['state-0.json', 'state-1.json'] as const);
const sha = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

export class StateStore {
  readonly dir: string;
  private readonly files: FileStorage;
  private readonly models: FileStorage;
  /** Why a stored copy was passed over at load (empty when both were fine or absent). */
  readonly problems: string[] = [];

  constructor(dir: string) {
    this.dir = dir;
    this.files = new FileStorage(dir);
    this.models = new FileStorage(join(dir, 'models'));
  }

  /** The newest valid state, or a fresh one. */
  load(): ControllerState {
    let best: ControllerState | undefined;
    for (const name of copies) {
      const bytes = this.files.read(name);
      if (bytes === undefined) continue;
      const text = Buffer.from(bytes).toString('utf8');
      const lines = text.split('\n');
      if (lines.length !== 3 || lines[2] !== '' || sha(lines[0]!) !== lines[1]) {
        this.problems.push(`${name} is torn or altered`);
        continue;
      }
      const value = JSON.parse(lines[0]!) as ControllerState;
      if (value.v !== 1 || !Number.isSafeInteger(value.seq)) {
        this.problems.push(`${name} is not a version 1 state`);
        continue;
      }
      if (best === undefined || value.seq > best.seq) best = value;
    }
    return best ?? { v: 1, seq: 0, models: [], rollouts: [], desired: {} };
  }

  save(state: ControllerState): void {
    state.seq++;
    const json = JSON.stringify(state);
    this.files.write(copies[state.seq % 2]!, new Uint8Array(Buffer.from(`${json}\n${sha(json)}\n`)));
  }

  saveModel(sha256: string, bytes: Uint8Array): void {
    this.models.write(`${sha256}.tflite`, bytes);
  }

  /** A stored model's bytes, only if they still hash to their name. */
  model(sha256: string): Uint8Array | undefined {
    const bytes = this.models.read(`${sha256}.tflite`);
    return bytes !== undefined && sha(bytes) === sha256 ? bytes : undefined;
  }
}
