// npm run bench:fleet -- --devices N --seconds S [--json] [--workers W]
//   [--broker URL] [--metrics-every MS] [--traffic-every MS] [--http]
//
// The fleet under load: a Mosquitto of its own (or --broker URL, e.g. one node
// of a clustered broker), the controller (with its REST server) in this
// process, and N simulated devices (host-sim/node/fleet/sim.ts: each a
// ModelService on WebAssembly with its own storage, a FleetAgent and its own
// MQTT connection with a last will) spread over W child processes, so that the
// controller's CPU and memory are its own. Every device publishes its metrics
// every --metrics-every ms (1000 by default). After all devices are online and
// one warm-up period has passed, S seconds are measured:
//   controller CPU (user + system, % of one core) and memory (RSS, heap; peak
//   of one sample per second), Mosquitto's CPU and RSS (/proc, when we started
//   it), the metrics messages per second the controller received against the
//   rate the devices were asked for, and the bytes per device per minute
//   (payload + topic as counted by the controller, and with MQTT's PUBLISH
//   framing: fixed header, remaining length, topic length).
// Then one rollout of a variant of the bundled detector to every device,
// canary 5%, waves 25%,100%, gate probe=ok, soak 0: the end-to-end latency of
// each wave, from the controller publishing the wave's desired states to the
// controller having seen the last device of the wave report the new model in
// service (download over MQTT chunks, or HTTP with --http; SHA-256 and size
// check, verify, probe, store, swap, state report). Devices keep sending
// metrics meanwhile. A table on stdout, or one JSON object with --json.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledModelPath } from '../host-sim/node/backends.js';
import { Mosquitto } from '../host-sim/node/fleet/broker.js';
import { parsePlan } from '../host-sim/node/fleet/plan.js';
import { startFleetServer } from '../host-sim/node/fleet/server.js';
import { SimDevice } from '../host-sim/node/fleet/sim.js';

interface Options {
  devices: number;
  seconds: number;
  json: boolean;
  workers: number;
  broker: string | undefined;
  metricsEveryMs: number;
  trafficEveryMs: number;
  http: boolean;
  fleet: string;
}

function usage(message: string): never {
  console.error(`bench:fleet: ${message}\nusage: npm run bench:fleet -- --devices N --seconds S [--json] [--workers W] [--broker URL] [--metrics-every MS] [--traffic-every MS] [--http]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { devices: 1000, seconds: 60, json: false, workers: Math.max(1, Math.min(4, cpus().length)), broker: undefined, metricsEveryMs: 1000, trafficEveryMs: 0, http: false, fleet: 'bench' };
  const int = (name: string, text: string | undefined, min: number): number => {
    if (text === undefined || !/^\d+$/.test(text) || Number(text) < min) usage(`${name} needs an integer >= ${min}, not ${JSON.stringify(text)}`);
    return Number(text);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--devices') o.devices = int(a, argv[++i], 1);
    else if (a === '--seconds') o.seconds = int(a, argv[++i], 1);
    else if (a === '--workers') o.workers = int(a, argv[++i], 1);
    else if (a === '--metrics-every') o.metricsEveryMs = int(a, argv[++i], 100);
    else if (a === '--traffic-every') o.trafficEveryMs = int(a, argv[++i], 0);
    else if (a === '--broker') o.broker = argv[++i] ?? usage('--broker needs a URL');
    else if (a === '--json') o.json = true;
    else if (a === '--http') o.http = true;
    else usage(`unknown argument ${a}`);
  }
  o.workers = Math.min(o.workers, o.devices);
  return o;
}

// ---- worker: a slice of the devices ----

interface WorkerArgs { broker: string; fleet: string; from: number; to: number; metricsEveryMs: number; trafficEveryMs: number; http: boolean }

async function worker(args: WorkerArgs): Promise<void> {
  const devices: SimDevice[] = [];
  // in batches, so the broker sees a ramp rather than a connection storm
  for (let i = args.from; i < args.to; i++) {
    devices.push(new SimDevice({
      id: `bench-${String(i).padStart(6, '0')}`, broker: args.broker, fleet: args.fleet,
      metricsEveryMs: args.metricsEveryMs, trafficEveryMs: args.trafficEveryMs, http: args.http,
      reconnectMs: 2000, keepaliveSeconds: 60, tickMs: 250,
    }).start());
    if (devices.length % 50 === 0) await new Promise((r) => setTimeout(r, 20));
  }
  process.send!({ type: 'started', devices: devices.length });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'count') {
      let sent = 0;
      for (const d of devices) sent += d.agent.sent.metrics;
      process.send!({ type: 'counted', sent });
      return;
    }
    if (m.type !== 'stop') return;
    const cpu = process.cpuUsage();
    const rss = process.memoryUsage().rss;
    void Promise.all(devices.map((d) => d.stop())).then(() => {
      process.send!({ type: 'stopped', cpuMs: (cpu.user + cpu.system) / 1000, rss }, () => process.exit(0));
    });
  });
}

// ---- parent ----

function procStat(pid: number | undefined): { cpuMs: number; rss: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    // fields after the command name: state is field 3; utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { cpuMs: ticks * 10, rss: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/** Bytes of one MQTT PUBLISH at QoS 0 with this topic and payload: fixed header, remaining length, topic length, topic, payload. */
function publishBytes(topicAndPayload: number): number {
  const remaining = 2 + topicAndPayload;
  return 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : 3) + remaining;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Metrics messages the devices have published so far, summed over the worker processes. */
function metricsSent(children: ChildProcess[]): Promise<number> {
  return Promise.all(children.map((c) => new Promise<number>((resolve) => {
    const on = (m: { type: string; sent: number }): void => {
      if (m.type !== 'counted') return;
      c.off('message', on);
      resolve(m.sent);
    };
    c.on('message', on);
    c.send({ type: 'count' });
  }))).then((counts) => counts.reduce((a, b) => a + b, 0));
}

async function main(o: Options): Promise<void> {
  const say = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const broker = o.broker === undefined ? await Mosquitto.start() : undefined;
  const brokerUrl = o.broker ?? broker!.url;
  const stateDir = mkdtempSync(join(tmpdir(), 'xtml-bench-fleet-'));
  const fleet = await startFleetServer({ broker: brokerUrl, port: 0, fleet: o.fleet, stateDir, httpModels: o.http, log: () => undefined });
  const controller = fleet.controller;
  const children: ChildProcess[] = [];
  const self = fileURLToPath(import.meta.url);
  try {
    say(`bench:fleet: ${o.devices} devices in ${o.workers} processes on ${brokerUrl}, metrics every ${o.metricsEveryMs} ms`);
    const started = Date.now();
    for (let w = 0; w < o.workers; w++) {
      const from = Math.floor((w * o.devices) / o.workers), to = Math.floor(((w + 1) * o.devices) / o.workers);
      const args: WorkerArgs = { broker: brokerUrl, fleet: o.fleet, from, to, metricsEveryMs: o.metricsEveryMs, trafficEveryMs: o.trafficEveryMs, http: o.http };
      children.push(fork(self, ['--worker', JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    }
    const online = (): number => {
      let n = 0;
      for (const id of controller.deviceIds()) {
        const v = controller.device(id);
        if (v !== undefined && v.online && v.state !== null) n++;
      }
      return n;
    };
    let last = 0;
    while (online() < o.devices) {
      if (Date.now() - started > 300_000) throw new Error(`only ${online()} of ${o.devices} devices online after 300 s`);
      await sleep(200);
      if (Date.now() - last > 5000) {
        say(`  ${online()} of ${o.devices} online`);
        last = Date.now();
      }
    }
    const rampMs = Date.now() - started;
    say(`  all ${o.devices} online in ${(rampMs / 1000).toFixed(1)} s; warming up ${(o.metricsEveryMs * 2) / 1000} s`);
    await sleep(o.metricsEveryMs * 2);

    // ---- the measured window ----
    const kind = (k: string): number => controller.received.byKind[k] ?? 0;
    const sent0 = await metricsSent(children);
    const m0 = { metrics: kind('metrics'), total: controller.received.total, bytes: controller.received.bytes, cpu: process.cpuUsage(), at: process.hrtime.bigint(), broker: procStat(broker?.pid) };
    let peakRss = 0, peakHeap = 0, minRate = Infinity;
    const perSecond: number[] = [];
    let prev = kind('metrics');
    for (let s = 0; s < o.seconds; s++) {
      await sleep(1000);
      const mem = process.memoryUsage();
      peakRss = Math.max(peakRss, mem.rss);
      peakHeap = Math.max(peakHeap, mem.heapUsed);
      const now = kind('metrics');
      perSecond.push(now - prev);
      prev = now;
      if ((s + 1) % 10 === 0) say(`  ${s + 1} s: ${perSecond.at(-1)} metrics/s`);
    }
    const sent = (await metricsSent(children)) - sent0;
    const elapsedS = Number(process.hrtime.bigint() - m0.at) / 1e9;
    const cpu = process.cpuUsage(m0.cpu);
    const b1 = procStat(broker?.pid);
    const metrics = kind('metrics') - m0.metrics;
    const messages = controller.received.total - m0.total;
    const bytes = controller.received.bytes - m0.bytes;
    for (const n of perSecond.slice(1)) minRate = Math.min(minRate, n);
    const asked = (o.devices * 1000) / o.metricsEveryMs;
    const perDeviceMinute = (bytes / o.devices) * (60 / elapsedS);
    const wirePerMessage = messages === 0 ? 0 : publishBytes(bytes / messages);
    const wirePerDeviceMinute = ((messages * wirePerMessage) / o.devices) * (60 / elapsedS);

    // ---- one rollout wave by wave ----
    say('  rollout: canary 5%, waves 25%,100%, gate probe=ok, soak 0');
    const variant = Uint8Array.from(readFileSync(bundledModelPath));
    const text = Buffer.from(variant).toString('latin1');
    const at = text.indexOf('"version":1');
    if (at < 0) throw new Error('the bundled model\'s description has no "version":1');
    variant[at + '"version":'.length] = '7'.charCodeAt(0);
    const r0 = Date.now();
    const rollout = controller.createRollout(variant, parsePlan({ canary: '5%', waves: '25%,100%', gate: 'probe=ok', soak: '0s' }), { name: 'bench' });
    const waveStart: number[] = [];
    while (controller.rollout(rollout.id).status === 'running') {
      const r = controller.rollout(rollout.id);
      if (r.wave >= 0 && waveStart[r.wave] === undefined) waveStart[r.wave] = r.waveStarted;
      if (Date.now() - r0 > 600_000) throw new Error('the rollout did not finish within 600 s');
      await sleep(20);
    }
    const r = controller.rollout(rollout.id);
    if (r.status !== 'completed') throw new Error(`the rollout ${r.status}: ${r.reason}`);
    if (waveStart[r.wave] === undefined) waveStart[r.wave] = r.waveStarted;
    const waves = r.plan.waves.map((fraction, wave) => {
      const members = Object.values(r.devices).filter((d) => d.wave === wave);
      const done = Math.max(...members.map((d) => d.at));
      return { wave, fraction, devices: members.length, installed: members.filter((d) => d.status === 'installed').length, latency_ms: done - (waveStart[wave] ?? r.created) };
    });
    const rolloutMs = (r.finished ?? Date.now()) - r0;
    // devices offline when their wave ran (a wave does not wait for them) catch up when they reconnect
    const offlineAtEnd = Object.keys(r.devices).filter((id) => controller.device(id)?.online !== true).length;
    const installed = (): number => Object.values(controller.rollout(rollout.id).devices).filter((d) => d.status === 'installed').length;
    const lateFrom = Date.now();
    while (installed() < o.devices && Date.now() - lateFrom < 120_000) await sleep(200);
    const allInstalledMs = installed() === o.devices ? Math.max(...Object.values(controller.rollout(rollout.id).devices).map((d) => d.at)) - r0 : null;
    // the controller's state copy after the rollout (it holds every device's desired state and rollout record)
    const stateBytes = Math.max(...['state-0.json', 'state-1.json'].map((f) => {
      try {
        return statSync(join(stateDir, f)).size;
      } catch {
        return 0;
      }
    }));

    // ---- stop the devices ----
    const stopped: { cpuMs: number; rss: number }[] = await Promise.all(children.map((c) => new Promise<{ cpuMs: number; rss: number }>((resolve) => {
      c.on('message', (m: { type: string; cpuMs: number; rss: number }) => {
        if (m.type === 'stopped') resolve(m);
      });
      c.send({ type: 'stop' });
    })));

    const result = {
      devices: o.devices,
      seconds: Number(elapsedS.toFixed(2)),
      metrics_every_ms: o.metricsEveryMs,
      broker: o.broker === undefined ? 'mosquitto (local child process)' : o.broker,
      ramp_s: Number((rampMs / 1000).toFixed(1)),
      controller: {
        cpu_percent_of_one_core: Number((((cpu.user + cpu.system) / 1000 / (elapsedS * 1000)) * 100).toFixed(1)),
        peak_rss_mb: Number((peakRss / 2 ** 20).toFixed(1)),
        peak_heap_mb: Number((peakHeap / 2 ** 20).toFixed(1)),
      },
      broker_process: m0.broker !== undefined && b1 !== undefined ? {
        cpu_percent_of_one_core: Number((((b1.cpuMs - m0.broker.cpuMs) / (elapsedS * 1000)) * 100).toFixed(1)),
        rss_mb: Number((b1.rss / 2 ** 20).toFixed(1)),
      } : null,
      device_processes: { count: o.workers, cpu_s_total: Number((stopped.reduce((a, s) => a + s.cpuMs, 0) / 1000).toFixed(1)), rss_mb_each: stopped.map((s) => Number((s.rss / 2 ** 20).toFixed(0))) },
      metrics_per_s: {
        asked, sent: Number((sent / elapsedS).toFixed(1)), received: Number((metrics / elapsedS).toFixed(1)),
        lowest_second: minRate === Infinity ? null : minRate, received_of_sent: sent === 0 ? 0 : Number((metrics / sent).toFixed(4)),
      },
      messages_received: messages,
      bytes_per_message: messages === 0 ? 0 : Number((bytes / messages).toFixed(1)),
      bytes_per_device_per_minute: { payload_and_topic: Math.round(perDeviceMinute), mqtt_publish: Math.round(wirePerDeviceMinute) },
      rollout: {
        model_bytes: variant.length, transport: o.http ? 'http' : 'mqtt chunks', total_ms: rolloutMs, waves,
        offline_at_completion: offlineAtEnd, installed_within_120s_after: installed(), every_device_installed_ms: allInstalledMs,
      },
      controller_state_file_bytes: stateBytes,
    };
    if (o.json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      console.log(`\nFleet: ${o.devices} simulated devices (WebAssembly) in ${o.workers} processes, metrics every ${o.metricsEveryMs} ms, measured ${result.seconds} s, broker ${result.broker}\n`);
      console.log('| measure | value |');
      console.log('|---|--:|');
      console.log(`| devices online after | ${result.ramp_s} s |`);
      console.log(`| controller CPU | ${result.controller.cpu_percent_of_one_core}% of one core |`);
      console.log(`| controller memory (peak RSS / heap) | ${result.controller.peak_rss_mb} / ${result.controller.peak_heap_mb} MB |`);
      if (result.broker_process !== null) console.log(`| Mosquitto CPU / RSS | ${result.broker_process.cpu_percent_of_one_core}% / ${result.broker_process.rss_mb} MB |`);
      console.log(`| metrics per s: asked / sent by the devices / received by the controller | ${asked} / ${result.metrics_per_s.sent} / ${result.metrics_per_s.received} (received ${(result.metrics_per_s.received_of_sent * 100).toFixed(2)}% of sent; lowest second ${result.metrics_per_s.lowest_second}) |`);
      console.log(`| bytes per metrics message (payload + topic) | ${result.bytes_per_message} |`);
      console.log(`| bytes per device per minute (payload + topic / as MQTT PUBLISH) | ${result.bytes_per_device_per_minute.payload_and_topic} / ${result.bytes_per_device_per_minute.mqtt_publish} |`);
      console.log(`| device processes: CPU total, RSS each | ${result.device_processes.cpu_s_total} s, ${result.device_processes.rss_mb_each.join(' / ')} MB |`);
      console.log(`| rollout of ${variant.length} bytes over ${result.rollout.transport}, all waves | ${rolloutMs} ms |`);
      console.log(`| devices offline when it completed (not waited for) | ${offlineAtEnd} |`);
      console.log(`| every device on the model (late ones included), after | ${allInstalledMs === null ? `not within 120 s: ${installed()} of ${o.devices}` : `${allInstalledMs} ms`} |`);
      console.log(`| controller state file after it | ${stateBytes} bytes |`);
      for (const w of waves) console.log(`| wave ${w.wave} (${Math.round(w.fraction * 100)}%): ${w.installed}/${w.devices} devices | ${w.latency_ms} ms |`);
    }
    // QoS 0 on loopback loses nothing unless something is overloaded; a second's lag is caught up within the window
    if (result.metrics_per_s.received_of_sent < 0.99) process.exitCode = 1;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    await fleet.close();
    await broker?.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') await worker(JSON.parse(process.argv[3]!) as WorkerArgs);
else await main(parseArgs(process.argv.slice(2)));
