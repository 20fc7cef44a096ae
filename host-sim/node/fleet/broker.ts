// A local Mosquitto for `fleet serve --embedded-broker`, the tests and the
// benchmark: the Debian package's /usr/sbin/mosquitto as a child process on a
// free loopback port, with a configuration file written to a temporary
// directory (listener, anonymous access on loopback only, persistence of
// retained messages in that directory). Node-only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const mosquittoPath = process.env['XTML_MOSQUITTO'] ?? '/usr/sbin/mosquitto';

/** A free TCP port on loopback (free when this returns; a race with other processes is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePromise(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolvePromise(true); });
    socket.once('error', () => resolvePromise(false));
  });
}

export interface BrokerOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Keep retained messages across restarts (saved on a clean stop and every `autosaveSeconds`). */
  persistence?: boolean;
  autosaveSeconds?: number;
  /** Mosquitto's own log lines, to stderr. */
  verbose?: boolean;
}

export class Mosquitto {
  readonly dir: string;
  readonly port: number;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly options: BrokerOptions;
  private output = '';

  private constructor(dir: string, port: number, options: BrokerOptions) {
    this.dir = dir;
    this.port = port;
    this.options = options;
  }

  static async start(options: BrokerOptions = {}): Promise<Mosquitto> {
    if (!existsSync(mosquittoPath)) throw new Error(`no Mosquitto at ${mosquittoPath} (apt-get install -y mosquitto, or set XTML_MOSQUITTO)`);
    const dir = mkdtempSync(join(tmpdir(), 'xtml-mosquitto-'));
    const port = options.port !== undefined && options.port !== 0 ? options.port : await freePort();
    const broker = new Mosquitto(dir, port, options);
    writeFileSync(join(dir, 'mosquitto.conf'), [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence ${options.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${dir}/`,
      `autosave_interval ${options.autosaveSeconds ?? 5}`,
      // a device's chunked model arrives as many retained messages at once
      'max_queued_messages 100000',
      'max_inflight_messages 100',
      'log_dest stderr',
      `log_type ${options.verbose ? 'all' : 'error'}`,
      'log_type warning',
      '',
    ].join('\n'));
    await broker.run();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private async run(): Promise<void> {
    const child = spawn(mosquittoPath, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.options.verbose) process.stderr.write(chunk);
    });
    this.exited = new Promise((resolvePromise) => child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      resolvePromise();
    }));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(this.port))) {
      if (this.child !== child) throw new Error(`mosquitto exited at start: ${this.output.trim()}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`mosquitto did not listen on port ${this.port} within 10 s: ${this.output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stop (SIGTERM: saves retained messages when persistent; SIGKILL: as a crash). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill(signal);
    await this.exited;
  }

  /** Start again on the same port. */
  async restart(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    await this.run();
  }

  /** Stop and remove the directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
