// `npx xs-tinyml fleet ...`: the controller (serve), staged rollouts against
// it (rollout, halt, rollback, status) and simulated devices (sim). Node-only.
import { Command, InvalidArgumentError } from 'commander';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStorage } from '../file-storage.js';
import { parseDuration, parsePlan, PlanError, planText } from './plan.js';
import { startFleetServer } from './server.js';
import { SimDevice } from './sim.js';

class FleetUsageError extends Error {}

const defaultController = 'http://127.0.0.1:8090';

function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

function duration(value: string): number {
  try {
    return parseDuration('duration', value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^duration: /, ''));
  }
}

async function call(controller: string, path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(`${controller}${path}`, init);
  } catch (error) {
    throw new FleetUsageError(`no controller at ${controller} (${(error as Error).message}); start one with \`npx xs-tinyml fleet serve\` or give --controller URL`);
  }
  const body = await response.json() as Record<string, unknown>;
  if (!response.ok) {
    const e = body['error'] as { code: string; message: string } | undefined;
    throw new FleetUsageError(`${e?.code ?? `HTTP ${response.status}`}: ${e?.message ?? ''}`);
  }
  return body;
}

function pct(x: unknown): string {
  return typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '-';
}

function printRollout(r: Record<string, unknown>): void {
  const counts = r['counts'] as Record<string, number>;
  const waves = r['waves'] as { wave: number; fraction: number; devices: number; installed: number }[];
  console.log(`rollout ${String(r['id'])}: ${String(r['status'])}${r['reason'] ? ` (${String(r['reason'])})` : ''}, model ${String(r['sha256']).slice(0, 12)}${r['name'] ? ` ${String(r['name'])}` : ''}`);
  console.log(`  waves ${waves.map((w) => `${w.wave === 0 ? 'canary' : `${Math.round(w.fraction * 100)}%`} ${w.installed}/${w.devices}`).join(', ')}; devices ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

export function fleetCommand(): Command {
  const fleet = new Command('fleet').description('a fleet over MQTT: telemetry, staged rollouts, rollback');

  fleet.command('serve')
    .description('the fleet controller: REST API and web page, watching a fleet through an MQTT broker')
    .option('--broker <url>', 'the broker (mqtt://host:1883, mqtts://..., ws://...)')
    .option('--embedded-broker', 'start a local Mosquitto (/usr/sbin/mosquitto) on a free port')
    .option('--port <n>', 'HTTP port (0: any free port)', port, 8090)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--fleet <name>', 'fleet name (topic level)', 'default')
    .option('--prefix <prefix>', 'topic prefix', 'xtml')
    .option('--state-dir <dir>', 'where rollouts, models and desired states are kept', 'fleet-state')
    .option('--verify-key <pem>', 'Ed25519 public key: rollouts must be signed by its private key')
    .option('--sign-key <pem>', 'Ed25519 private key the controller signs the models it builds with (federate)')
    .option('--chunk-bytes <n>', 'bytes per retained model chunk', count, 4096)
    .option('--no-http-models', 'offer models only as MQTT chunks, not as URLs of this server')
    .option('--username <name>', 'broker user name')
    .option('--password <secret>', 'broker password')
    .action(async (opts: {
      broker?: string; embeddedBroker?: boolean; port: number; host: string; fleet: string; prefix: string; stateDir: string;
      verifyKey?: string; signKey?: string; chunkBytes: number; httpModels: boolean; username?: string; password?: string;
    }) => {
      if ((opts.broker === undefined) === (opts.embeddedBroker !== true)) throw new FleetUsageError('give exactly one of --broker URL and --embedded-broker');
      const running = await startFleetServer({
        ...(opts.broker !== undefined ? { broker: opts.broker } : {}), embeddedBroker: opts.embeddedBroker === true,
        port: opts.port, host: opts.host, fleet: opts.fleet, prefix: opts.prefix, stateDir: opts.stateDir, chunkBytes: opts.chunkBytes,
        httpModels: opts.httpModels,
        ...(opts.verifyKey !== undefined ? { verifyKey: readFileSync(opts.verifyKey, 'utf8') } : {}),
        ...(opts.signKey !== undefined ? { signKey: readFileSync(opts.signKey, 'utf8') } : {}),
        ...(opts.username !== undefined ? { username: opts.username } : {}),
        ...(opts.password !== undefined ? { password: opts.password } : {}),
      });
      const c = running.controller;
      console.log(`xs-tinyml fleet controller for '${c.fleet}' (topics ${c.topics.base}#) on ${running.broker !== undefined ? `embedded Mosquitto ${running.broker.url}` : c.options.broker}`);
      console.log(`  state in ${opts.stateDir}; ${c.rollouts().length} rollouts on record`);
      console.log(`  web page ${running.url}/   REST ${running.url}/fleet`);
      const stop = (): void => void running.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  fleet.command('rollout <model>')
    .description('roll a model out in waves: canary, then each wave once the gates held for the soak time')
    .option('--controller <url>', 'the controller', defaultController)
    .option('--canary <percent>', 'share of the fleet in the canary wave', '5%')
    .option('--waves <percents>', 'share of the fleet that has the model after each further wave', '25%,100%')
    .option('--gate <gates>', 'health gates: error_rate<X, psi<X, p99_ms<X, probe=ok', 'probe=ok')
    .option('--soak <duration>', 'how long the gates must hold before the next wave (500ms, 30s, 2m, 1h)', '2m')
    .option('--name <name>', 'a name for this model version')
    .option('--sign <pem>', 'sign the model with this Ed25519 private key')
    .option('--wait', 'follow the rollout until it completes (exit 0) or halts (exit 1)')
    .option('--json', 'print the rollout as JSON')
    .action(async (model: string, opts: { controller: string; canary: string; waves: string; gate: string; soak: string; name?: string; sign?: string; wait?: boolean; json?: boolean }) => {
      if (!existsSync(model)) throw new FleetUsageError(`no such file: ${model}`);
      const plan = parsePlan(opts);   // errors here, before anything is sent
      const bytes = readFileSync(model);
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (opts.sign !== undefined) {
        const digest = createHash('sha256').update(bytes).digest();
        headers['x-model-signature'] = sign(null, digest, createPrivateKey(readFileSync(opts.sign, 'utf8'))).toString('base64');
      }
      const query = new URLSearchParams({ ...planText(plan), ...(opts.name !== undefined ? { name: opts.name } : {}) });
      let r = await call(opts.controller, `/fleet/rollouts?${query}`, { method: 'POST', headers, body: bytes });
      if (opts.json && !opts.wait) console.log(JSON.stringify(r));
      else printRollout(r);
      if (!opts.wait) return;
      let lastText = '';
      while (r['status'] === 'running') {
        await new Promise((x) => setTimeout(x, 1000));
        r = await call(opts.controller, `/fleet/rollouts/${String(r['id'])}`);
        const text = JSON.stringify([r['status'], r['wave'], r['counts']]);
        if (text !== lastText && !opts.json) printRollout(r);
        lastText = text;
      }
      if (opts.json) console.log(JSON.stringify(r));
      if (r['status'] !== 'completed') process.exitCode = 1;
    });

  fleet.command('federate')
    .description('federated adaptation: average the devices\' adapted heads on one base model (weighted by examples), build, verify and roll out the model')
    .option('--controller <url>', 'the controller', defaultController)
    .option('--base <sha256>', 'the base model the reports adapted (default: the only one they are on)')
    .option('--base-model <file>', 'send the base model\'s bytes, for a base the controller does not have')
    .option('--min-devices <n>', 'refuse with fewer devices\' reports', count, 2)
    .option('--min-examples <n>', 'refuse with fewer examples in all', count, 10)
    .option('--canary <percent>', 'share of the fleet in the canary wave', '5%')
    .option('--waves <percents>', 'share of the fleet that has the model after each further wave', '25%,100%')
    .option('--gate <gates>', 'health gates: error_rate<X, psi<X, p99_ms<X, probe=ok', 'probe=ok')
    .option('--soak <duration>', 'how long the gates must hold before the next wave', '2m')
    .option('--name <name>', 'a name for the federated model')
    .option('--wait', 'follow the rollout until it completes (exit 0) or halts (exit 1)')
    .option('--json', 'print the answer as JSON')
    .action(async (opts: {
      controller: string; base?: string; baseModel?: string; minDevices: number; minExamples: number; canary: string; waves: string;
      gate: string; soak: string; name?: string; wait?: boolean; json?: boolean;
    }) => {
      const plan = parsePlan(opts);
      if (opts.baseModel !== undefined && !existsSync(opts.baseModel)) throw new FleetUsageError(`no such file: ${opts.baseModel}`);
      const query = new URLSearchParams({
        ...planText(plan), min_devices: String(opts.minDevices), min_examples: String(opts.minExamples),
        ...(opts.base !== undefined ? { base: opts.base } : {}), ...(opts.name !== undefined ? { name: opts.name } : {}),
      });
      const body = opts.baseModel !== undefined ? readFileSync(opts.baseModel) : undefined;
      let r = await call(opts.controller, `/fleet/federate?${query}`, {
        method: 'POST', ...(body !== undefined ? { headers: { 'content-type': 'application/octet-stream' }, body } : {}),
      });
      const f = r['federation'] as { base: string; sha256: string; devices: string[]; examples: number; signed: boolean; excluded: unknown[] };
      if (opts.json && !opts.wait) {
        console.log(JSON.stringify(r));
      } else {
        console.log(`federated ${f.devices.length} devices (${f.examples} examples) on base ${f.base.slice(0, 12)} into ${f.sha256.slice(0, 12)}${f.signed ? ', signed' : ''}${f.excluded.length > 0 ? `; ${f.excluded.length} reports on other bases left out` : ''}`);
        printRollout(r);
      }
      if (!opts.wait) return;
      let lastText = '';
      while (r['status'] === 'running') {
        await new Promise((x) => setTimeout(x, 1000));
        r = await call(opts.controller, `/fleet/rollouts/${String(r['id'])}`);
        const text = JSON.stringify([r['status'], r['wave'], r['counts']]);
        if (text !== lastText && !opts.json) printRollout(r);
        lastText = text;
      }
      if (opts.json) console.log(JSON.stringify(r));
      if (r['status'] !== 'completed') process.exitCode = 1;
    });

  fleet.command('status')
    .description('devices, model versions and rollouts of the fleet')
    .option('--controller <url>', 'the controller', defaultController)
    .option('--json', 'GET /fleet as JSON')
    .action(async (opts: { controller: string; json?: boolean }) => {
      const s = await call(opts.controller, '/fleet');
      if (opts.json) {
        console.log(JSON.stringify(s));
        return;
      }
      console.log(`fleet '${String(s['fleet'])}': ${String(s['devices'])} devices, ${String(s['online'])} online; broker ${String(s['broker'])} ${s['connected'] ? 'connected' : 'NOT connected'}`);
      for (const m of s['models'] as Record<string, unknown>[]) {
        console.log(`  model ${String(m['sha256']).slice(0, 12)} ${String(m['name'])}: ${String(m['devices'])} devices (${String(m['online'])} online), error rate ${pct(m['error_rate'])}, PSI max ${m['psi_max'] ?? '-'}`);
      }
      for (const r of (s['rollouts'] as Record<string, unknown>[]).slice(0, 5)) printRollout(r);
    });

  fleet.command('halt <rollout>')
    .description('halt a running rollout and roll its devices back')
    .option('--controller <url>', 'the controller', defaultController)
    .action(async (id: string, opts: { controller: string }) => {
      printRollout(await call(opts.controller, `/fleet/rollouts/${encodeURIComponent(id)}/halt`, { method: 'POST' }));
    });

  fleet.command('rollback <device>')
    .description('tell one device to return to its rollback model')
    .option('--controller <url>', 'the controller', defaultController)
    .action(async (device: string, opts: { controller: string }) => {
      const r = await call(opts.controller, `/fleet/devices/${encodeURIComponent(device)}/rollback`, { method: 'POST' });
      console.log(`${device}: told to return to ${String((r['desired'] as { sha256: string }).sha256).slice(0, 12)}`);
    });

  fleet.command('sim')
    .description('simulated devices (WebAssembly), each with its own model storage and MQTT connection')
    .requiredOption('--broker <url>', 'the broker')
    .option('--devices <n>', 'how many', count, 10)
    .option('--fleet <name>', 'fleet name', 'default')
    .option('--prefix <prefix>', 'topic prefix', 'xtml')
    .option('--id <prefix>', 'device ids are <prefix>-<n>', 'sim')
    .option('--state-dir <dir>', 'keep each device\'s model slots in <dir>/<id> (default: in memory)')
    .option('--signing-key <pem>', 'Ed25519 public key the devices require signatures of')
    .option('--metrics-every <duration>', 'metrics period', duration, 10_000)
    .option('--traffic-every <duration>', 'a frame through each device\'s model this often (0s: none)', duration, 1000)
    .action(async (opts: { broker: string; devices: number; fleet: string; prefix: string; id: string; stateDir?: string; signingKey?: string; metricsEvery: number; trafficEvery: number }) => {
      const key = opts.signingKey !== undefined ? readFileSync(opts.signingKey, 'utf8') : undefined;
      const devices: SimDevice[] = [];
      for (let i = 0; i < opts.devices; i++) {
        const id = `${opts.id}-${i}`;
        devices.push(new SimDevice({
          id, broker: opts.broker, fleet: opts.fleet, prefix: opts.prefix,
          ...(opts.stateDir !== undefined ? { storage: new FileStorage(join(opts.stateDir, id)) } : {}),
          ...(key !== undefined ? { signingKey: key } : {}),
          metricsEveryMs: opts.metricsEvery, trafficEveryMs: opts.trafficEvery,
        }).start());
      }
      console.log(`${devices.length} simulated devices in fleet '${opts.fleet}' on ${opts.broker}; Ctrl-C stops`);
      const stop = (): void => void Promise.all(devices.map((d) => d.stop())).then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  return fleet;
}

export { FleetUsageError, PlanError };
