// A staged rollout as a state machine over what the devices report. It holds no
// connection: the controller feeds it the devices' latest state and metrics
// (through RolloutWorld) and publishes the desired states it asks for.
//
//   wave k starts:  every device of wave k is told to install the model (its
//                   model then is remembered as where it would roll back to)
//   each step:      a device running the model is installed; one whose last
//                   result for this rollout failed is failed (with probe=ok
//                   that halts the rollout); the metric gates are checked on
//                   every device of the rollout that runs the model
//   wave k ends:    when no online device of waves 0..k is still on its way,
//                   at least one runs the model, and the gates have held for
//                   the soak time since then; then wave k+1 starts, or the
//                   rollout is complete
//   halt:           every device told to install is told to return to the
//                   model it ran before (from its rollback slot), and nothing
//                   more is sent to the devices of later waves
//
// Devices offline when their wave starts keep the retained desired state and
// act on it when they reconnect; the wave does not wait for them.
import type { Desired, DeviceState, MetricsReport } from '../../../src/fleet/protocol.js';
import type { Gate, Plan } from './plan.js';

export type DeviceStatus = 'sent' | 'installed' | 'failed' | 'rolling_back' | 'rolled_back';

export interface RolloutDevice {
  wave: number;
  /** The device's model when its wave started (null: not started, or the device had not reported). */
  from: string | null;
  fromBytes: number;
  status: DeviceStatus | 'waiting';
  code?: string;
  message?: string;
  /** Wall-clock ms of the last status change. */
  at: number;
}

export interface RolloutEvent {
  at: number;
  text: string;
}

export interface Rollout {
  id: string;
  sha256: string;
  size: number;
  name: string;
  signature?: string;
  /** A model the controller built by federated adaptation: its base, the devices averaged, their examples. */
  federated?: { base: string; devices: string[]; examples: number };
  plan: Plan;
  status: 'running' | 'completed' | 'halted';
  /** Index into plan.waves of the wave in progress (the last one once complete). */
  wave: number;
  waveStarted: number;
  /** When the gates started to be watched for the soak of this wave; null while devices are installing. */
  soakSince: number | null;
  created: number;
  finished: number | null;
  reason: string | null;
  devices: Record<string, RolloutDevice>;
  events: RolloutEvent[];
}

export interface DeviceView {
  id: string;
  online: boolean;
  state: DeviceState | null;
  metrics: MetricsReport | null;
  /** Wall-clock ms when the metrics arrived. */
  metricsAt: number;
}

export interface RolloutWorld {
  now(): number;
  device(id: string): DeviceView | undefined;
  /** Publish a desired state for a device (retained). */
  send(device: string, desired: Desired): void;
  /** Where devices get a model's bytes, if the controller holds it. */
  source(sha256: string): Desired['source'] | undefined;
}

export interface GateReading {
  gate: string;
  value: number | null;
  ok: boolean;
  devices: number;
}

/** Errors over requests, from a metrics report. */
export function errorRate(m: MetricsReport): { errors: number; requests: number } {
  let errors = 0;
  for (const k of Object.keys(m.e)) errors += m.e[k]!;
  return { errors, requests: m.n + errors };
}

/** The metric gates measured over the devices of the rollout that run its model and have reported on it. */
export function readGates(r: Rollout, world: RolloutWorld): GateReading[] {
  const reports: MetricsReport[] = [];
  for (const id of Object.keys(r.devices)) {
    const m = world.device(id)?.metrics;
    if (m !== null && m !== undefined && m.m === r.sha256 && r.devices[id]!.status === 'installed') reports.push(m);
  }
  return r.plan.gates.filter((g) => g.name !== 'probe').map((g: Gate) => {
    let value: number | null = null;
    if (g.name === 'error_rate') {
      let errors = 0, requests = 0;
      for (const m of reports) {
        const x = errorRate(m);
        errors += x.errors;
        requests += x.requests;
      }
      value = requests === 0 ? null : errors / requests;
    } else if (g.name === 'psi') {
      for (const m of reports) value = Math.max(value ?? 0, m.p);
    } else if (g.name === 'p99_ms') {
      for (const m of reports) value = Math.max(value ?? 0, m.l[2] ?? Infinity);
    }
    const ok = value === null || (g.op === '<' ? value < g.value : value <= g.value);
    return { gate: g.text, value, ok, devices: reports.length };
  });
}

function event(r: Rollout, now: number, text: string): void {
  r.events.push({ at: now, text });
  if (r.events.length > 200) r.events.splice(0, r.events.length - 200);
}

function installDesired(r: Rollout, world: RolloutWorld): Desired {
  const source = world.source(r.sha256);
  return {
    v: 1, rollout: r.id, action: 'install', sha256: r.sha256, size: r.size,
    ...(r.signature !== undefined ? { sig: r.signature } : {}),
    ...(source !== undefined ? { source } : {}),
  };
}

function startWave(r: Rollout, wave: number, world: RolloutWorld): void {
  const now = world.now();
  r.wave = wave;
  r.waveStarted = now;
  r.soakSince = null;
  const desired = installDesired(r, world);
  let n = 0;
  for (const [id, d] of Object.entries(r.devices)) {
    if (d.wave !== wave) continue;
    const state = world.device(id)?.state ?? null;
    d.from = state?.model.sha256 ?? null;
    d.fromBytes = state?.model.bytes ?? 0;
    d.status = 'sent';
    d.at = now;
    world.send(id, desired);
    n++;
  }
  event(r, now, `wave ${wave} (${wave === 0 ? 'canary' : `to ${Math.round(r.plan.waves[wave]! * 100)}%`}) started: ${n} device${n === 1 ? '' : 's'} told to install`);
}

/** A new rollout (not started) over `devices`, each with its wave. */
export function newRollout(init: { id: string; sha256: string; size: number; name: string; signature?: string; plan: Plan; waves: Map<string, number>; now: number }): Rollout {
  const devices: Record<string, RolloutDevice> = {};
  for (const [id, wave] of init.waves) devices[id] = { wave, from: null, fromBytes: 0, status: 'waiting', at: init.now };
  return {
    id: init.id, sha256: init.sha256, size: init.size, name: init.name,
    ...(init.signature !== undefined ? { signature: init.signature } : {}),
    plan: init.plan, status: 'running', wave: -1, waveStarted: init.now, soakSince: null,
    created: init.now, finished: null, reason: null, devices, events: [],
  };
}

/** Tell every device told to install to go back to its previous model. */
export function halt(r: Rollout, world: RolloutWorld, reason: string): void {
  const now = world.now();
  r.status = 'halted';
  r.reason = reason;
  r.finished = now;
  event(r, now, `halted: ${reason}`);
  let n = 0;
  for (const [id, d] of Object.entries(r.devices)) {
    if (d.status === 'waiting' || d.from === null) continue;
    const source = world.source(d.from);
    world.send(id, {
      v: 1, rollout: r.id, action: 'rollback', sha256: d.from, size: d.fromBytes > 0 ? d.fromBytes : 1,
      ...(source !== undefined ? { source } : {}),
    });
    d.status = 'rolling_back';
    d.at = now;
    n++;
  }
  event(r, now, `${n} device${n === 1 ? '' : 's'} told to return to their previous model`);
}

/** Advance a rollout by what the devices report now. Returns true when it changed (to persist). */
export function step(r: Rollout, world: RolloutWorld): boolean {
  const now = world.now();
  let changed = false;
  if (r.status === 'running' && r.wave < 0) {
    startWave(r, 0, world);
    changed = true;
  }
  const probeGate = r.plan.gates.some((g) => g.name === 'probe');
  let failure: string | null = null;
  for (const [id, d] of Object.entries(r.devices)) {
    if (d.status === 'waiting') continue;
    const view = world.device(id);
    const state = view?.state ?? null;
    if (state === null) continue;
    const running = state.model.sha256;
    const last = state.last;
    if (d.status === 'rolling_back') {
      if (running === d.from) {
        d.status = 'rolled_back';
        d.at = now;
        changed = true;
      } else if (last !== null && last.rollout === r.id && last.sha256 === d.from && !last.ok && (d.code !== last.code)) {
        d.code = last.code ?? 'ERROR';
        d.message = last.message ?? '';
        changed = true;
        event(r, now, `${id} could not return to ${d.from!.slice(0, 12)}: ${d.code}: ${d.message}`);
      } else if (last !== null && last.rollout === r.id && last.sha256 === r.sha256 && !last.ok && d.code === undefined) {
        // its refusal of the model arrived after the halt
        d.code = last.code ?? 'ERROR';
        d.message = last.message ?? '';
        changed = true;
      }
      continue;
    }
    if (d.status === 'rolled_back') continue;
    if (running === r.sha256) {
      if (d.status !== 'installed') {
        d.status = 'installed';
        delete d.code;
        delete d.message;
        d.at = now;
        changed = true;
      }
    } else if (last !== null && last.rollout === r.id && last.sha256 === r.sha256 && !last.ok) {
      if (d.status !== 'failed' || d.code !== last.code) {
        d.status = 'failed';
        d.code = last.code ?? 'ERROR';
        d.message = last.message ?? '';
        d.at = now;
        changed = true;
        event(r, now, `${id} failed to install: ${d.code}: ${d.message}`);
      }
      if (probeGate && failure === null) failure = `${id}: ${d.code}: ${d.message} (gate probe=ok)`;
    } else if (d.status === 'installed') {
      // it ran the model and no longer does (a rollback by hand, a reboot onto another slot)
      d.status = 'sent';
      d.at = now;
      changed = true;
    }
  }
  if (r.status !== 'running') return changed;
  if (failure !== null) {
    halt(r, world, failure);
    return true;
  }
  for (const reading of readGates(r, world)) {
    if (!reading.ok) {
      halt(r, world, `gate ${reading.gate} failed: ${reading.value} over ${reading.devices} device${reading.devices === 1 ? '' : 's'} on the model`);
      return true;
    }
  }
  const members = Object.entries(r.devices).filter(([, d]) => d.wave <= r.wave);
  const onTheirWay = members.filter(([id, d]) => d.status === 'sent' && world.device(id)?.online === true).length;
  const installed = members.filter(([, d]) => d.status === 'installed').length;
  if (onTheirWay > 0 || installed === 0) {
    if (r.soakSince !== null) {
      r.soakSince = null;
      changed = true;
    }
    return changed;
  }
  if (r.soakSince === null) {
    r.soakSince = now;
    event(r, now, `wave ${r.wave}: ${installed} device${installed === 1 ? '' : 's'} on the model, soaking ${r.plan.soakMs / 1000} s`);
    changed = true;
  }
  if (now - r.soakSince < r.plan.soakMs) return changed;
  if (r.wave + 1 < r.plan.waves.length) {
    startWave(r, r.wave + 1, world);
  } else {
    r.status = 'completed';
    r.finished = now;
    event(r, now, `completed: ${installed} of ${members.length} devices on the model`);
  }
  return true;
}
