// The Moddable side: what the device transport relies on in the SDK, the
// status lines it writes, and (where the SDK is installed) the app built by
// mcconfig from its TypeScript sources with the SDK's typings.
//
// The SDK is not on any registry and CI does not have it: the tests that need
// it skip with one line saying so, also under CI (they are the check a
// developer with the SDK runs; see docs/devices.md).
import test, { type ExecutionContext } from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import mqtt from 'mqtt';
import { apiStatuses, reasonPhrase } from '../src/index.js';
import { decodeMetrics, decodeState, fleetTopics } from '../src/fleet/protocol.js';
import { repoRoot } from './support/reference.js';

const moddable = process.env['MODDABLE'] ?? '';
const httpJs = join(moddable, 'modules/network/http/http.js');
const sdkMissing = moddable === '' ? '$MODDABLE is not set' : existsSync(httpJs) ? null : `${httpJs} does not exist`;
/** A test that needs the SDK and, where named, other tools (`alsoMissing`: what is absent, or null). */
const sdkTest = (title: string, impl: (t: ExecutionContext) => void | Promise<void>, alsoMissing: string | null = null): void => {
  if (sdkMissing !== null) test.skip(`${title} [skipped: the Moddable SDK is not installed (${sdkMissing}); see docs/devices.md]`, impl);
  else if (alsoMissing !== null) test.skip(`${title} [skipped: ${alsoMissing}]`, impl);
  else test.serial(title, impl);
};

// ---- status lines ----

test("every status the REST API answers with has a reason phrase, and it is Node's", (t) => {
  for (const status of apiStatuses) t.is(reasonPhrase(status), STATUS_CODES[status] ?? '(none)', `status ${status}`);
  t.true(apiStatuses.includes(422), '422 (a model the core refuses) is the status http.js would have called OK');
});

test('every status written in src/ and the device layer is one apiStatuses names', (t) => {
  const dirs = [join(repoRoot, 'src'), join(repoRoot, 'native/xs/device')];
  const used = new Set<number>();
  for (const dir of dirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const m of source.matchAll(/(?:new ApiError|errorResponse|json)\(\s*([1-5][0-9][0-9])\b/g)) used.add(Number(m[1]));
      for (const m of source.matchAll(/\bstatus:\s*([1-5][0-9][0-9])\b/g)) used.add(Number(m[1]));
    }
  }
  t.true(used.size >= 8, `found ${[...used].join(', ')}`);
  t.deepEqual([...used].filter((s) => !apiStatuses.includes(s)), []);
});

test('the device transport passes the reason phrase and touches http.js internals in one place only', (t) => {
  const source = readFileSync(join(repoRoot, 'native/xs/device/http-transport.ts'), 'utf8');
  t.regex(source, /reason: reasonPhrase\(response\.status\)/);
  t.is([...source.matchAll(/\.total\b/g)].length, 1, 'http.js\'s private total is cleared by answerBeforeBody alone');
});

// ---- the SDK ----

// The http.js of Moddable SDK 8.2.3, with which answerBeforeBody (clearing the
// private `total` in headersComplete makes the server answer before reading the
// body) was verified in the simulator: a declared Content-Length of 100,000,000
// answered 413 at once. Another http.js may decide differently: re-verify (see
// docs/devices.md) and then update this hash.
const verifiedHttpJs = 'fcedd42953cf3ff19da19416749cbd656f6650271a8e5d866d4fe4c848073ed7';

sdkTest("the SDK's http.js is the one the device transport's early answer was verified with", (t) => {
  const sha = createHash('sha256').update(readFileSync(httpJs)).digest('hex');
  t.is(sha, verifiedHttpJs, `${httpJs} changed: check that clearing 'total' in headersComplete still answers before the body (native/xs/device/http-transport.ts, answerBeforeBody), then update verifiedHttpJs`);
});

function mcconfig(out: string, manifest?: string): Promise<{ code: number; log: string }> {
  mkdirSync(out, { recursive: true });
  const path = [join(moddable, 'build/bin/lin/release'), join(repoRoot, 'node_modules/.bin'), process.env['PATH'] ?? ''].join(delimiter);
  return new Promise((resolve) => {
    execFile('mcconfig', ['-m', '-p', 'lin', '-t', 'build', '-o', out, ...(manifest !== undefined ? [manifest] : [])], {
      cwd: repoRoot, env: { ...process.env, PATH: path }, timeout: 30 * 60_000, maxBuffer: 64 << 20,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, log: `${stdout}\n${stderr}` }));
  });
}

sdkTest('mcconfig builds the app for the simulator from the TypeScript sources, with no "not frozen" warning', async (t) => {
  // A full build of the SDK's side takes minutes on a busy machine; build/moddable keeps it for the next run.
  t.timeout(30 * 60_000);
  const r = await mcconfig(join(repoRoot, 'build/moddable'));
  t.is(r.code, 0, r.log.slice(-4000));
  t.notRegex(r.log, /typescript compile failure/);
  // flatbuffers' Encoding (a TypeScript enum compiled into the npm package's encoding.js, read only) is the one exception
  const notFrozen = r.log.split('\n').filter((l) => l.includes('not frozen') && !l.includes('ByteBuffer.prototype.__string() Encoding'));
  t.deepEqual(notFrozen, []);
});

// ---- the fleet agent in the simulator, against a real broker ----

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

const simulatorMissing = !existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto is missing'
  : !existsSync('/usr/bin/xvfb-run') ? 'xvfb-run is missing' : null;

// mcsim with a broker configured: before, the app did not load at all there
// ("XS abort: unhandled exception": it imported 'instrumentation', which
// simulator builds lack). The device publishes its retained online marker,
// state and metrics, serves HTTP, and installs a model sent as retained chunks.
sdkTest('the app in mcsim joins a Mosquitto broker: retained state and metrics, then an install over MQTT chunks', async (t) => {
  t.timeout(30 * 60_000);
  const brokerPort = await freePort();
  const httpPort = await freePort();
  const storageDir = `xtml-test-${process.pid}`;
  const out = join(repoRoot, 'build/moddable-fleet');
  mkdirSync(out, { recursive: true });
  const manifest = join(out, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({
    include: [join(repoRoot, 'manifest.json')],
    config: { port: httpPort, storage: { dir: storageDir }, fleet: { broker: '127.0.0.1', port: brokerPort, name: 'default', prefix: 'xtml', device: '', user: '', password: '', metricsSeconds: 2, keepaliveSeconds: 60 } },
    platforms: { lin: { config: { port: httpPort } } },
  }));
  const built = await mcconfig(out, manifest);
  t.is(built.code, 0, built.log.slice(-4000));
  const children: ChildProcess[] = [];
  const simLog: string[] = [];
  const client = { current: undefined as mqtt.MqttClient | undefined };
  try {
    const broker = spawn('/usr/sbin/mosquitto', ['-p', String(brokerPort)], { stdio: 'ignore' });
    children.push(broker);
    const brokerError = new Promise<Error>((resolve) => broker.once('error', resolve));
    const started = await Promise.race([brokerError, new Promise((r) => setTimeout(r, 500))]);
    if (started instanceof Error) throw new Error(`mosquitto did not start: ${started.message}`);
    const messages: { topic: string; payload: Buffer }[] = [];
    client.current = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { reconnectPeriod: 200 });
    client.current.on('message', (topic, payload) => messages.push({ topic, payload }));
    await client.current.subscribeAsync('xtml/#');
    // mcsim writes trace() to stdout; stdbuf keeps it line by line through the pipe.
    const sim = spawn('xvfb-run', ['-a', 'stdbuf', '-oL', join(moddable, 'build/bin/lin/release/mcsim'), join(out, 'bin/lin/mc/release/moddable-fleet/mc.so')], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(sim);
    sim.once('error', (error) => simLog.push(`xvfb-run did not start: ${error.message}\n`));
    sim.stdout?.on('data', (d: Buffer) => simLog.push(d.toString()));
    sim.stderr?.on('data', (d: Buffer) => simLog.push(d.toString()));
    const topics = fleetTopics('xtml', 'default');
    const until = async (what: string, predicate: () => boolean): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; simulator output:\n${simLog.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const bundled = readFileSync(join(repoRoot, 'models/detector.tflite'));
    const bundledSha = createHash('sha256').update(bundled).digest('hex');
    await until('the device state', () => messages.some((m) => m.topic.endsWith('/state')));
    const device = messages.find((m) => m.topic.endsWith('/state'))!.topic.split('/')[2]!;
    const first = decodeState(messages.find((m) => m.topic === topics.state(device))!.payload);
    t.is(first.engine, 'xs');
    t.is(first.model.sha256, bundledSha);
    t.is(first.model.source, 'bundled');
    t.is(messages.find((m) => m.topic === topics.online(device))?.payload.toString(), '1');
    await until('two metrics reports', () => messages.filter((m) => m.topic === topics.metrics(device)).length >= 2);
    t.is(decodeMetrics(messages.find((m) => m.topic === topics.metrics(device))!.payload).m, bundledSha);
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    t.is(health.status, 200);
    t.like(await health.json(), { status: 'ok', backend: 'xs' });

    // an install: the bundled model with its description's version changed (same length), in 4 KB retained chunks
    const text = bundled.toString('latin1');
    const at = text.indexOf('"version":1');
    t.true(at > 0);
    const next = Buffer.from(bundled);
    next.write('"version":7', at, 'latin1');
    const nextSha = createHash('sha256').update(next).digest('hex');
    const chunk = 4096;
    for (let i = 0; i * chunk < next.length; i++) {
      await client.current.publishAsync(topics.chunk(nextSha, i), next.subarray(i * chunk, Math.min(next.length, (i + 1) * chunk)), { qos: 1, retain: true });
    }
    await client.current.publishAsync(topics.desired(device), JSON.stringify({
      v: 1, rollout: 'sim-1', action: 'install', sha256: nextSha, size: next.length, source: { chunks: { count: Math.ceil(next.length / chunk), size: chunk } },
    }), { qos: 1, retain: true });
    const installed = (): boolean => messages.some((m) => m.topic === topics.state(device) && decodeState(m.payload).model.sha256 === nextSha);
    await until('the installed model in the state', installed);
    const last = decodeState([...messages].reverse().find((m) => m.topic === topics.state(device))!.payload);
    t.is(last.model.source, 'a');
    t.is(last.rollback, bundledSha);
    t.like(last.last, { rollout: 'sim-1', sha256: nextSha, ok: true });
    const model = await (await fetch(`http://127.0.0.1:${httpPort}/model`)).json() as { sha256: string };
    t.is(model.sha256, nextSha);
  } finally {
    await client.current?.endAsync(true);
    // the simulator was started in its own process group (xvfb-run, Xvfb, mcsim): end that group only
    for (const child of children) {
      try { if (child.pid !== undefined) process.kill(child.spawnargs[0] === 'xvfb-run' ? -child.pid : child.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
    rmSync(`/tmp/${storageDir}`, { recursive: true, force: true });
  }
}, simulatorMissing);

// ---- adaptation in the simulator, through REST, with the device's heaps ----

// The app as the root manifest builds it (adaptation included), with the
// root manifest's "creation" untouched: a chunk heap of 225,280 bytes, 6,400
// slots (the device's) and a 352-slot stack, none growing (320 overflows
// during POST /adapt: docs/adapt.md, On XS). Examples go up as PGM (the device has no PNG
// decoder); the model POST /adapt installs must be the Node addon's
// adaptModel() on the same examples and options, byte for byte.
sdkTest('the app in mcsim adapts through REST with the device\'s heaps: the Node addon\'s bytes, then rollback', async (t) => {
  t.timeout(30 * 60_000);
  const [{ adaptModel }, { loadBinding }, { encodePgm }, { shiftSet }, { loadHeldOut }] = await Promise.all([
    import('../src/adapt/head.js'), import('../host-sim/node/backends.js'), import('../src/index.js'),
    import('../tools/adapt-shift.js'), import('../tools/detector.js'),
  ]);
  const httpPort = await freePort();
  const storageDir = `xtml-adapt-test-${process.pid}`;
  const out = join(repoRoot, 'build/moddable-adapt');
  mkdirSync(out, { recursive: true });
  const manifest = join(out, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({
    include: [join(repoRoot, 'manifest.json')],
    config: { port: httpPort, storage: { dir: storageDir } },
    platforms: { lin: { config: { port: httpPort } } },
  }));
  const built = await mcconfig(out, manifest);
  t.is(built.code, 0, built.log.slice(-4000));
  const creation = (JSON.parse(readFileSync(join(repoRoot, 'manifest.json'), 'utf8')) as { creation: { chunk: { initial: number; incremental: number }; heap: { initial: number; incremental: number }; stack: number } }).creation;
  t.deepEqual([creation.chunk.initial, creation.chunk.incremental, creation.heap.initial, creation.heap.incremental, creation.stack], [225_280, 0, 6_400, 0, 352], 'the device\'s heaps, fixed');
  const simLog: string[] = [];
  const sim = spawn('xvfb-run', ['-a', 'stdbuf', '-oL', join(moddable, 'build/bin/lin/release/mcsim'), join(out, 'bin/lin/mc/release/moddable-adapt/mc.so')], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  sim.once('error', (error) => simLog.push(`xvfb-run did not start: ${error.message}\n`));
  sim.stdout?.on('data', (d: Buffer) => simLog.push(d.toString()));
  sim.stderr?.on('data', (d: Buffer) => simLog.push(d.toString()));
  const base = `http://127.0.0.1:${httpPort}`;
  const call = async (method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(base + path, { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        if ((await fetch(`${base}/healthz`)).status === 200) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline || sim.exitCode !== null) throw new Error(`the simulator did not serve /healthz; its output:\n${simLog.join('')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const held = loadHeldOut(8);
    const frames = shiftSet('chalkboard', held.frames, held.width);
    const chosen = [1, 2, 5];
    const bundled = new Uint8Array(readFileSync(join(repoRoot, 'models/detector.tflite')));
    const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

    t.like(await call('POST', '/adapt'), { status: 409, json: { error: { code: 'NO_EXAMPLES' } } });
    for (const [k, i] of chosen.entries()) {
      const image = Buffer.from(encodePgm({ width: 96, height: 96, format: 'gray8', data: frames[i]! })).toString('base64');
      const r = await call('POST', '/adapt/examples', JSON.stringify({ image, objects: held.truths[i]!.map(([x, y, d]) => ({ x, y, label: String(d) })) }));
      t.like(r, { status: 200, json: { index: k, count: k + 1 } }, JSON.stringify(r.json));
    }
    const listed = await call('GET', '/adapt/examples');
    t.is(listed.json['count'], chosen.length);
    const started = Date.now();
    const r = await call('POST', '/adapt', JSON.stringify({ steps: 30, seed: 3 }));
    const ms = Date.now() - started;
    t.is(r.status, 200, `${JSON.stringify(r.json)}\nsimulator output:\n${simLog.join('').slice(-4000)}`);
    const examples = chosen.map((i) => ({ pixels: frames[i]!, objects: held.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) }));
    const expected = adaptModel(loadBinding('node'), bundled, examples, { steps: 30, seed: 3 }).model;
    t.is(r.json['sha256'], sha(expected), 'the simulator installed the bytes the Node addon makes');
    t.is(r.json['model_bytes'], expected.length);
    t.like(r.json, { previous: { sha256: sha(bundled) }, examples: 3, steps: 30 });
    t.not(r.json['input_gate'], null, 'chalkboard examples take the gated input map');
    t.is((await call('GET', '/model')).json['sha256'], sha(expected));
    t.like(await call('POST', '/model/rollback'), { status: 200, json: { sha256: sha(bundled) } });
    t.is((await call('GET', '/model')).json['sha256'], sha(bundled));
    t.like(await call('DELETE', '/adapt/examples'), { status: 200, json: { removed: 3, count: 0 } });
    t.log(`POST /adapt (3 examples, 30 steps) in mcsim: ${ms} ms, within ${creation.chunk.initial} bytes of chunks, ${creation.heap.initial} slots and a ${creation.stack}-slot stack`);
  } finally {
    // the simulator was started in its own process group (xvfb-run, Xvfb, mcsim): end that group only
    try { if (sim.pid !== undefined) process.kill(-sim.pid, 'SIGTERM'); } catch { /* already gone */ }
    rmSync(`/tmp/${storageDir}`, { recursive: true, force: true });
  }
}, !existsSync('/usr/bin/xvfb-run') ? 'xvfb-run is missing' : null);
