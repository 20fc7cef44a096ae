// A fleet for the tests: a real Mosquitto (a child process on a free port), the
// controller with its REST server and a state directory, N simulated devices
// on WebAssembly in this process (each its own ModelService, storage and MQTT
// connection) and optionally XS host devices. Models for rollouts are variants
// of the bundled detector (the same graph with another "version" in its
// description: a different SHA-256, the same input and output).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledModelPath } from '../../host-sim/node/backends.js';
import { Mosquitto } from '../../host-sim/node/fleet/broker.js';
import { startFleetServer, type FleetServerOptions, type RunningFleet } from '../../host-sim/node/fleet/server.js';
import { SimDevice, type SimDeviceOptions } from '../../host-sim/node/fleet/sim.js';
import { XsSimDevice, type XsDeviceOptions } from '../../host-sim/node/fleet/xs-device.js';
import { sha256Hex } from '../../host-sim/node/server.js';

export const bundled = new Uint8Array(readFileSync(bundledModelPath));
export const bundledSha = sha256Hex(bundled);

/** The bundled model with `"<field>":<old>` in its description changed in place to `<value>` (same length). */
export function edited(field: string, old: string, value: string): Uint8Array {
  const bytes = Uint8Array.from(bundled);
  const text = Buffer.from(bytes).toString('latin1');
  const needle = `"${field}":${old}`;
  const at = text.indexOf(needle);
  if (at < 0 || value.length !== old.length) throw new Error(`the bundled model's description has no ${needle}`);
  bytes.set(Buffer.from(value, 'latin1'), at + needle.length - old.length);
  return bytes;
}

/** Another model of the same shape: "version":1 in the description becomes n. */
export function variant(n: number): Uint8Array {
  return edited('version', '1', String(n));
}

export async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface HarnessOptions {
  devices: number;
  xs?: number;
  fleet?: string;
  device?: Partial<SimDeviceOptions>;
  xsDevice?: Partial<XsDeviceOptions>;
  controller?: Partial<FleetServerOptions>;
}

export class FleetHarness {
  readonly broker: Mosquitto;
  fleet: RunningFleet;
  readonly stateDir: string;
  readonly devices: SimDevice[] = [];
  readonly xs: XsSimDevice[] = [];
  readonly options: HarnessOptions;
  /** Controller log lines. */
  readonly log: string[] = [];

  private constructor(broker: Mosquitto, fleet: RunningFleet, stateDir: string, options: HarnessOptions) {
    this.broker = broker;
    this.fleet = fleet;
    this.stateDir = stateDir;
    this.options = options;
  }

  static async start(options: HarnessOptions): Promise<FleetHarness> {
    const broker = await Mosquitto.start();
    const stateDir = mkdtempSync(join(tmpdir(), 'xtml-fleet-'));
    const log: string[] = [];
    const fleet = await FleetHarness.controller(broker, stateDir, options, log);
    const h = new FleetHarness(broker, fleet, stateDir, options);
    h.log.push(...log);
    const name = options.fleet ?? 'test';
    for (let i = 0; i < options.devices; i++) {
      h.devices.push(new SimDevice({
        id: `dev-${String(i).padStart(2, '0')}`, broker: broker.url, fleet: name,
        metricsEveryMs: 300, reconnectMs: 200, tickMs: 100, keepaliveSeconds: 5, ...options.device,
      }).start());
    }
    for (let i = 0; i < (options.xs ?? 0); i++) {
      h.xs.push(await XsSimDevice.start({ id: `xs-${i}`, broker: broker.url, fleet: name, metricsEveryMs: 300, reconnectMs: 200, keepaliveSeconds: 5, ...options.xsDevice }));
    }
    await h.allOnline();
    return h;
  }

  private static controller(broker: Mosquitto, stateDir: string, options: HarnessOptions, log: string[]): Promise<RunningFleet> {
    return startFleetServer({
      broker: broker.url, port: 0, fleet: options.fleet ?? 'test', stateDir, tickMs: 100, reconnectMs: 200, offlineGraceMs: 3000,
      log: (line) => log.push(line), ...options.controller,
    });
  }

  get controller(): RunningFleet['controller'] {
    return this.fleet.controller;
  }

  get ids(): string[] {
    return [...this.devices.map((d) => d.id), ...this.xs.map((d) => d.id)];
  }

  /** Every device online and its state known to the controller. */
  async allOnline(timeoutMs = 30_000): Promise<void> {
    await until(`${this.ids.length} devices online at the controller`, () => this.ids.every((id) => {
      const v = this.controller.device(id);
      return v !== undefined && v.online && v.state !== null;
    }), timeoutMs);
  }

  /** A new controller process's worth: stop this one and start another on the same state directory. */
  async restartController(): Promise<void> {
    await this.fleet.close();
    const log: string[] = [];
    this.fleet = await FleetHarness.controller(this.broker, this.stateDir, this.options, log);
    this.log.push(...log);
  }

  async rollout(bytes: Uint8Array, query: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const r = await fetch(`${this.fleet.url}/fleet/rollouts?${new URLSearchParams(query)}`, {
      method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: Buffer.from(bytes),
    });
    return { status: r.status, body: await r.json() as Record<string, unknown> };
  }

  async untilDone(id: string, timeoutMs = 60_000): Promise<void> {
    await until(`rollout ${id} to finish`, () => this.controller.rollout(id).status !== 'running', timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.release()));
    await Promise.all(this.xs.map((d) => d.stop()));
    await this.fleet.close();
    await this.broker.close();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
