// A fleet device running in the desktop XS host (host-sim/xs/fleet-device.ts):
// the agent and the model service are in XS; this side is its network card.
// The XS host has no sockets, so the MQTT connection (with the agent's client
// id and last will) is made here with the `mqtt` package and bridged over the
// JSON-line pipe: messages in as hex, publishes and subscriptions out. It also
// keeps time for the agent (a tick every 250 ms) and can feed camera frames.
// Node-only.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { bundledModelPath } from '../backends.js';
import { xsHostAvailable, xsHostPath, xsManifestPath } from '../../xs/xs-backend.js';

const knownFramesPath = fileURLToPath(new URL('../../../../models/data/heldout.bin', import.meta.url));

export interface XsDeviceOptions {
  id: string;
  broker: string;
  fleet: string;
  prefix?: string;
  metricsEveryMs?: number;
  /** A known frame through the model every this many ms; 0: none. */
  trafficEveryMs?: number;
  reconnectMs?: number;
  keepaliveSeconds?: number;
  /** A signing key is configured (this host cannot check it: every install is refused). */
  signed?: boolean;
  maxModelBytes?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export class XsSimDevice {
  readonly id: string;
  /** Every model that served in XS, in order (SHA-256). */
  readonly served: string[] = [];
  /** When each of them started serving (Date.now()). */
  readonly servedAt: number[] = [];
  private child: ChildProcessWithoutNullStreams | undefined;
  private client: MqttClient | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly options: XsDeviceOptions;
  private frameNo = 0;
  private stderr = '';

  private constructor(options: XsDeviceOptions) {
    this.options = options;
    this.id = options.id;
  }

  static async start(options: XsDeviceOptions): Promise<XsSimDevice> {
    if (!xsHostAvailable()) throw new Error('the XS desktop host is not built: run `npm run build:xs` and `npx tsc -p .`');
    const device = new XsSimDevice(options);
    await device.run();
    return device;
  }

  private async run(): Promise<void> {
    const o = this.options;
    const sha256 = createHash('sha256').update(readFileSync(bundledModelPath)).digest('hex');
    const args = ['--manifest', xsManifestPath, 'fleet-device', bundledModelPath, '--sha256', sha256, '--known', knownFramesPath,
      '--device', o.id, '--fleet', o.fleet, '--metrics-every', String(o.metricsEveryMs ?? 60_000),
      '--max-model-bytes', String(o.maxModelBytes ?? 65_536)];
    if (o.prefix !== undefined) args.push('--prefix', o.prefix);
    if (o.signed) args.push('--signed');
    const child = spawn(xsHostPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    let first = await lines.next();
    while (first.done !== true && first.value.startsWith('{"log":')) first = await lines.next();
    if (first.done === true) throw new Error(`xtml-xs fleet-device exited: ${this.stderr.trim()}`);
    const hello = JSON.parse(first.value) as { ready?: { clientId: string; will: { topic: string; payload: string; retain: boolean }; sha256: string }; error?: { code: string; message: string } };
    if (hello.ready === undefined) {
      child.kill();
      throw new Error(`${hello.error?.code ?? 'ERROR'}: ${hello.error?.message ?? this.stderr.trim()}`);
    }
    this.served.push(hello.ready.sha256);
    this.servedAt.push(Date.now());
    const { clientId, will } = hello.ready;
    const client = mqtt.connect(o.broker, {
      clientId, clean: true, keepalive: o.keepaliveSeconds ?? 30, reconnectPeriod: o.reconnectMs ?? 1000,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: will.retain },
    });
    this.client = client;
    client.on('connect', () => this.send({ connected: 1 }));
    client.on('close', () => this.send({ disconnected: 1 }));
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => this.send({ message: { topic, payload: payload.toString('hex') } }));
    this.timers.push(setInterval(() => this.send({ tick: 1 }), 250));
    if ((o.trafficEveryMs ?? 0) > 0) this.timers.push(setInterval(() => this.send({ frame: this.frameNo++ }), o.trafficEveryMs));
    void (async () => {
      for await (const line of lines) this.onLine(line);
    })();
  }

  private onLine(line: string): void {
    const out = JSON.parse(line) as {
      publish?: { topic: string; text: string; retain: boolean }; subscribe?: string; unsubscribe?: string; served?: string;
      log?: { level: 'info' | 'warn'; message: string };
    };
    const client = this.client;
    if (out.publish !== undefined) {
      if (client?.connected === true) client.publish(out.publish.topic, out.publish.text, { qos: 0, retain: out.publish.retain });
    } else if (out.subscribe !== undefined) {
      client?.subscribe(out.subscribe, { qos: 1 });
    } else if (out.unsubscribe !== undefined) {
      client?.unsubscribe(out.unsubscribe);
    } else if (out.served !== undefined) {
      this.served.push(out.served);
      this.servedAt.push(Date.now());
    } else if (out.log !== undefined) {
      this.options.log?.(out.log.level, out.log.message);
    }
  }

  private send(command: Record<string, unknown>): void {
    if (this.child !== undefined && this.child.exitCode === null) this.child.stdin.write(JSON.stringify(command) + '\n');
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Disconnect and end the XS host. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const client = this.client;
    if (client !== undefined) {
      const will = JSON.parse(JSON.stringify(client.options.will)) as { topic: string };
      if (client.connected) await client.publishAsync(will.topic, '0', { qos: 1, retain: true });
      await client.endAsync(false);
    }
    const child = this.child;
    if (child !== undefined && child.exitCode === null) {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin.end();
      await done;
    }
  }
}
