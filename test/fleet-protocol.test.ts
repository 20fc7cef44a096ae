// The fleet's parts without a broker: rollout plans parsed strictly, waves
// assigned, protocol messages decoded strictly, the device agent driven by a
// recording transport (chunked downloads, every refusal with its code,
// timeouts on a fake clock, rollback from the slot, metrics since the model
// started serving), and the controller's state kept in two checksummed copies.
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FleetAgent, MemoryStorage, ModelService, ModelStore, bucketQuantile, decodeDesired, decodeMetrics, decodeState, fleetTopics,
  type FleetTransport,
} from '../src/index.js';
import { loadBinding } from '../host-sim/node/backends.js';
import { assignWaves, parseDuration, parseGates, parsePlan, PlanError } from '../host-sim/node/fleet/plan.js';
import { StateStore } from '../host-sim/node/fleet/state-store.js';
import { hostCrypto, knownFrames, sha256Hex } from '../host-sim/node/server.js';
import { bundled, bundledSha, variant } from './support/fleet-harness.js';

// ---- plans ----

test('rollout plans: the defaults and the issue\'s example', (t) => {
  t.deepEqual(parsePlan({}), { waves: [0.05, 0.25, 1], gates: [{ name: 'probe', op: '=', value: 1, text: 'probe=ok' }], soakMs: 120_000 });
  const plan = parsePlan({ canary: '5%', waves: '25%,100%', gate: 'error_rate<0.01,psi<0.25,probe=ok', soak: '2m' });
  t.deepEqual(plan.gates.map((g) => [g.name, g.op, g.value]), [['error_rate', '<', 0.01], ['psi', '<', 0.25], ['probe', '=', 1]]);
  t.deepEqual(parseGates('error_rate <= 1%, p99_ms<50').map((g) => [g.name, g.op, g.value]), [['error_rate', '<=', 0.01], ['p99_ms', '<', 50]]);
  t.deepEqual(['500ms', '30s', '2m', '1.5h', '0s'].map((d) => parseDuration('--soak', d)), [500, 30_000, 120_000, 5_400_000, 0]);
});

test('rollout plans: every mistake is refused with what was wrong', (t) => {
  const cases: [Parameters<typeof parsePlan>[0], string][] = [
    [{ gate: 'error_rate<0.01,,psi<1' }, "--gate: 'error_rate<0.01,,psi<1' has an empty gate (gates are separated by single commas)"],
    [{ gate: '' }, "--gate: '' has an empty gate (gates are separated by single commas)"],
    [{ gate: 'latency<5' }, "--gate: unknown gate 'latency' in 'latency<5' (known: error_rate, psi, p99_ms, probe)"],
    [{ gate: 'psi>0.25' }, "--gate: 'psi>0.25': psi takes < or <= (it is an upper bound)"],
    [{ gate: 'psi<high' }, "--gate: 'psi<high': 'high' is not a number"],
    [{ gate: 'psi<0' }, "--gate: 'psi<0': psi must be above 0"],
    [{ gate: 'error_rate<1.5' }, "--gate: 'error_rate<1.5': error_rate is a fraction in (0, 1] (or a percentage)"],
    [{ gate: 'probe=yes' }, "--gate: 'probe=yes': probe takes only =ok"],
    [{ gate: 'psi<1,psi<2' }, "--gate: 'psi' is given twice"],
    [{ gate: 'psi' }, "--gate: 'psi' is not NAME<VALUE or probe=ok"],
    [{ canary: '5' }, "--canary: '5' is not a percentage (write it like 5%)"],
    [{ canary: '0%' }, '--canary: 0% is not in (0%, 100%]'],
    [{ waves: '25%,150%' }, '--waves: 150% is not in (0%, 100%]'],
    [{ waves: '25%,20%,100%' }, '--waves: 25%,20%,100% must grow after the canary (5%) and from wave to wave (each is the share of the fleet that has the model when it ends)'],
    [{ canary: '30%', waves: '25%,100%' }, '--waves: 25%,100% must grow after the canary (30%) and from wave to wave (each is the share of the fleet that has the model when it ends)'],
    [{ waves: '25%,50%' }, '--waves: the last wave must be 100% (got 25%,50%)'],
    [{ soak: '2' }, "--soak: '2' is not a duration (write it like 500ms, 30s, 2m or 1h)"],
    [{ soak: '8d' }, "--soak: '8d' is not a duration (write it like 500ms, 30s, 2m or 1h)"],
    [{ soak: '200h' }, '--soak: 200h is longer than a week'],
  ];
  for (const [options, message] of cases) {
    const error = t.throws(() => parsePlan(options), { instanceOf: PlanError }, JSON.stringify(options));
    t.is(error?.message, message);
    t.is(error?.code, 'BAD_PLAN');
  }
});

test('waves: ceil(share x devices) by the end of each wave, at least one canary, each device in exactly one wave', (t) => {
  const sizes = (n: number, waves: number[]): number[] => {
    const ids = Array.from({ length: n }, (_, i) => `d${i}`);
    const map = assignWaves('r1', ids, waves);
    t.deepEqual([...map.keys()].sort(), [...ids].sort());
    return waves.map((_, w) => [...map.values()].filter((x) => x === w).length);
  };
  t.deepEqual(sizes(1, [0.05, 0.25, 1]), [1, 0, 0]);
  t.deepEqual(sizes(12, [0.1, 0.5, 1]), [2, 4, 6]);
  t.deepEqual(sizes(100, [0.05, 0.25, 1]), [5, 20, 75]);
  t.deepEqual(sizes(1000, [0.05, 0.25, 1]), [50, 200, 750]);
  // another rollout picks other canaries; the same one the same
  const ids = Array.from({ length: 100 }, (_, i) => `d${i}`);
  const canaries = (r: string): string[] => [...assignWaves(r, ids, [0.05, 1]).entries()].filter(([, w]) => w === 0).map(([id]) => id).sort();
  t.deepEqual(canaries('a'), canaries('a'));
  t.notDeepEqual(canaries('a'), canaries('b'));
});

// ---- messages ----

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
const sha = 'ab'.repeat(32);

test('desired states are decoded strictly: each bad field named', (t) => {
  const good = { v: 1, rollout: 'r1', action: 'install', sha256: sha, size: 10_000, source: { chunks: { count: 3, size: 4096 }, url: 'http://h/m' } };
  t.deepEqual(decodeDesired(ascii(JSON.stringify(good))), good);
  const bad: [unknown, string][] = [
    ['{', 'desired state: not JSON'],
    [[1], 'desired state: not a JSON object'],
    [{ ...good, v: 2 }, 'desired state: version 2, this device speaks 1'],
    [{ ...good, rollout: '' }, 'desired state: rollout must be a string of 1-64 characters'],
    [{ ...good, action: 'delete' }, 'desired state: action must be "install" or "rollback"'],
    [{ ...good, sha256: sha.toUpperCase() }, 'desired state: sha256 must be 64 lower-case hex digits'],
    [{ ...good, size: 0 }, 'desired state: size must be an integer 1..67108864'],
    [{ ...good, size: 1.5 }, 'desired state: size must be an integer 1..67108864'],
    [{ ...good, sig: 'abc' }, 'desired state: sig must be the base64 of a 64-byte Ed25519 signature'],
    [{ ...good, source: { chunks: { count: 2, size: 4096 } } }, 'desired state: source.chunks: 2 chunks of 4096 bytes do not make 10000 bytes'],
    [{ ...good, source: { chunks: { count: 0, size: 4096 } } }, 'desired state: source.chunks must be {count: 1..65536, size: bytes}'],
    [{ ...good, source: { url: 'file:///etc/passwd' } }, 'desired state: source.url must be an http(s) URL'],
  ];
  for (const [value, message] of bad) {
    const error = t.throws(() => decodeDesired(ascii(typeof value === 'string' ? value : JSON.stringify(value))));
    t.deepEqual([(error as { code?: string }).code, error?.message], ['BAD_DESIRED', message]);
  }
  t.is(t.throws(() => decodeDesired(new Uint8Array([0x7b, 0xc3, 0xa9, 0x7d])))?.message, 'desired state: not ASCII text');
});

test('metrics reports and states are decoded strictly', (t) => {
  const report = { v: 1, u: 1.5, m: sha, n: 10, z: 2, e: { BAD_DIMENSIONS: 1 }, d: { '7': 3 }, l: [1, 2, null], p: 0.1, a: 0 };
  t.deepEqual(decodeMetrics(ascii(JSON.stringify(report))), report);
  for (const [field, value] of [['n', -1], ['e', { X: 1.5 }], ['l', [1, 2]], ['a', 2], ['m', 'x'], ['p', 'NaN']] as const) {
    t.is((t.throws(() => decodeMetrics(ascii(JSON.stringify({ ...report, [field]: value })))) as { code?: string }).code, 'BAD_METRICS', field);
  }
  t.is((t.throws(() => decodeState(ascii('{"v":1,"engine":"wasm"}'))) as { code?: string }).code, 'BAD_STATE');
});

test('topics: names that would break a topic are refused', (t) => {
  const topics = fleetTopics('xtml', 'plant-1');
  t.is(topics.desired('cam.7'), 'xtml/plant-1/cam.7/desired');
  t.is(topics.chunk(sha, 3), `xtml/plant-1/_model/${sha}/3`);
  for (const name of ['a/b', 'a+', '#', '_model', '', 'x'.repeat(65)]) {
    t.throws(() => fleetTopics('xtml', name), { instanceOf: RangeError }, name);
  }
});

test('bucket quantiles: the bound of the bucket the quantile falls in, null beyond the last bound', (t) => {
  const bounds = [1, 2, 5];
  t.is(bucketQuantile([0, 0, 0, 0], bounds, 0.5), 0);
  t.is(bucketQuantile([5, 4, 1, 0], bounds, 0.5), 1);
  t.is(bucketQuantile([5, 4, 1, 0], bounds, 0.9), 2);
  t.is(bucketQuantile([5, 4, 0, 1], bounds, 0.99), null);
});

// ---- the agent, with a recording transport and a fake clock ----

class Recorder implements FleetTransport {
  readonly published: { topic: string; payload: string; retain: boolean }[] = [];
  readonly subscribed: string[] = [];
  readonly unsubscribed: string[] = [];
  publish(topic: string, payload: string | Uint8Array, retain: boolean): void {
    this.published.push({ topic, payload: typeof payload === 'string' ? payload : Buffer.from(payload).toString('latin1'), retain });
  }
  subscribe(topic: string): void { this.subscribed.push(topic); }
  unsubscribe(topic: string): void { this.unsubscribed.push(topic); }
  last(suffix: string): Record<string, unknown> {
    const m = [...this.published].reverse().find((p) => p.topic.endsWith(suffix));
    if (m === undefined) throw new Error(`nothing published on *${suffix}`);
    return JSON.parse(m.payload) as Record<string, unknown>;
  }
}

const signingKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

function device(options: { maxModelBytes?: number; refuse?: boolean; signed?: boolean } = {}): { agent: FleetAgent; service: ModelService; wire: Recorder; clock: { now: number } } {
  const clock = { now: 1000 };
  const crypto = hostCrypto(options.signed ? signingKey : undefined);
  const service = new ModelService({
    binding: loadBinding('wasm'), bundled: { bytes: bundled, sha256: bundledSha, size: bundled.length }, crypto,
    store: new ModelStore(new MemoryStorage(), crypto.sha256), knownFrames: knownFrames(4), profileDepth: 0, clock: () => clock.now,
  });
  service.boot();
  const wire = new Recorder();
  const agent = new FleetAgent({
    service, transport: wire, fleet: 'f', device: 'd1', engine: 'wasm', bundledSha256: bundledSha, sha256: crypto.sha256,
    clock: () => clock.now, metricsEveryMs: 10_000, downloadTimeoutMs: 5000, downloadRetries: 1, maxModelBytes: options.maxModelBytes ?? 1 << 20,
    ...(options.refuse ? { refuse: () => ({ code: 'SIGNATURES_UNSUPPORTED', message: 'no Ed25519 here' }) } : {}),
  });
  agent.connected();
  return { agent, service, wire, clock };
}

const desired = (rollout: string, bytes: Uint8Array, extra: Record<string, unknown> = {}): Uint8Array => ascii(JSON.stringify({
  v: 1, rollout, action: 'install', sha256: sha256Hex(bytes), size: bytes.length, source: { chunks: { count: Math.ceil(bytes.length / 8192), size: 8192 } }, ...extra,
}));

function sendChunks(agent: FleetAgent, bytes: Uint8Array, size = 8192, sha = sha256Hex(bytes)): void {
  for (let i = 0, at = 0; at < bytes.length; i++, at += size) agent.message(`xtml/f/_model/${sha}/${i}`, bytes.subarray(at, at + size));
}

test('agent: connecting announces it (online, retained state, desired subscription) with a last will of "0"', (t) => {
  const { agent, wire } = device();
  t.deepEqual(agent.connectOptions(), { clientId: 'xtml-xtml-f-d1', will: { topic: 'xtml/f/d1/online', payload: '0', retain: true } });
  t.deepEqual(wire.published.slice(0, 2).map((p) => [p.topic, p.retain]), [['xtml/f/d1/online', true], ['xtml/f/d1/state', true]]);
  t.is(wire.published[0]!.payload, '1');
  t.deepEqual(wire.subscribed, ['xtml/f/d1/desired']);
  const state = wire.last('/state');
  t.deepEqual([state['engine'], (state['model'] as { sha256: string }).sha256, state['rollback'], state['last'], state['job']], ['wasm', bundledSha, null, null, null]);
});

test('agent: a chunked model is installed through the service, then rolled back from the slot on command', (t) => {
  const { agent, service, wire } = device();
  const v2 = variant(2);
  agent.message('xtml/f/d1/desired', desired('r1', v2));
  t.deepEqual(wire.subscribed.slice(-1), [`xtml/f/_model/${sha256Hex(v2)}/+`]);
  t.deepEqual((wire.last('/state')['job'] as { got: number; of: number }), { rollout: 'r1', sha256: sha256Hex(v2), got: 0, of: Math.ceil(v2.length / 8192) });
  sendChunks(agent, v2);
  t.is(service.current().sha256, sha256Hex(v2));
  t.deepEqual(wire.unsubscribed, [`xtml/f/_model/${sha256Hex(v2)}/+`]);
  const state = wire.last('/state');
  t.like(state, { rollback: bundledSha, job: null, last: { rollout: 'r1', sha256: sha256Hex(v2), ok: true } });
  // redelivered (a reconnection): nothing is done again
  const before = wire.published.length;
  agent.message('xtml/f/d1/desired', desired('r1', v2));
  t.is(wire.published.length, before);
  // roll back: the slot holds the target, nothing to download
  agent.message('xtml/f/d1/desired', ascii(JSON.stringify({ v: 1, rollout: 'r1', action: 'rollback', sha256: bundledSha, size: bundled.length })));
  t.is(service.current().sha256, bundledSha);
  t.like(wire.last('/state'), { last: { rollout: 'r1', sha256: bundledSha, ok: true }, rollback: sha256Hex(v2) });
});

test('agent: every refusal is reported with its code and the model in service stays', (t) => {
  const v2 = variant(2);
  const cases: [string, (a: FleetAgent) => void, string, { maxModelBytes?: number; refuse?: boolean; signed?: boolean }?][] = [
    ['bad message', (a) => a.message('xtml/f/d1/desired', ascii('{"v":1}')), 'BAD_DESIRED'],
    ['too large', (a) => a.message('xtml/f/d1/desired', desired('r', v2)), 'MODEL_TOO_LARGE', { maxModelBytes: 1000 }],
    ['refused by the host', (a) => a.message('xtml/f/d1/desired', desired('r', v2)), 'SIGNATURES_UNSUPPORTED', { refuse: true }],
    ['no usable source', (a) => a.message('xtml/f/d1/desired', desired('r', v2, { source: { url: 'http://x/m' } })), 'NO_SOURCE'],
    ['no rollback', (a) => a.message('xtml/f/d1/desired', desired('r', v2, { action: 'rollback', source: undefined })), 'NO_ROLLBACK'],
    ['wrong bytes', (a) => { a.message('xtml/f/d1/desired', desired('r', v2)); sendChunks(a, variant(3), 8192, sha256Hex(v2)); }, 'SHA256_MISMATCH'],
    ['short chunk', (a) => { a.message('xtml/f/d1/desired', desired('r', v2)); a.message(`xtml/f/_model/${sha256Hex(v2)}/0`, new Uint8Array(5)); }, 'SIZE_MISMATCH'],
    ['signature missing where required', (a) => { a.message('xtml/f/d1/desired', desired('r', v2)); sendChunks(a, v2); }, 'SIGNATURE_REQUIRED', { signed: true }],
    ['signature that does not verify', (a) => { a.message('xtml/f/d1/desired', desired('r', v2, { sig: Buffer.alloc(64, 9).toString('base64') })); sendChunks(a, v2); }, 'BAD_SIGNATURE', { signed: true }],
    ['not a model', (a) => { const junk = new Uint8Array(3000).fill(7); a.message('xtml/f/d1/desired', desired('r', junk)); sendChunks(a, junk); }, 'XTML_STATUS_MODEL_IDENTIFIER'],
  ];
  for (const [what, act, code, options] of cases) {
    const d = device(options);
    act(d.agent);
    const last = d.wire.last('/state')['last'] as { ok: boolean; code: string; message: string };
    t.deepEqual([last.ok, last.code], [false, code], `${what}: ${last.message}`);
    t.true(last.message.length > 0);
    t.is(d.service.current().sha256, bundledSha, what);
  }
});

test('agent: a stalled download is asked for again, then given up with DOWNLOAD_TIMEOUT', (t) => {
  const { agent, wire, clock, service } = device();
  const v2 = variant(2);
  agent.message('xtml/f/d1/desired', desired('r1', v2));
  agent.message(`xtml/f/_model/${sha256Hex(v2)}/0`, v2.subarray(0, 8192));
  clock.now += 5001;
  agent.tick();
  t.deepEqual([wire.unsubscribed.length, wire.subscribed.filter((s) => s.includes('_model')).length], [1, 2], 'resubscribed once');
  clock.now += 5001;
  agent.tick();
  t.like(wire.last('/state'), { last: { ok: false, code: 'DOWNLOAD_TIMEOUT' }, job: null });
  t.is(service.current().sha256, bundledSha);
  // the same desired state again (a reconnection) tries again: a timeout is not final
  agent.message('xtml/f/d1/desired', desired('r1', v2));
  sendChunks(agent, v2);
  t.is(service.current().sha256, sha256Hex(v2));
});

test('agent: metrics count the model in service since it started serving', (t) => {
  const { agent, service, wire, clock } = device();
  const frames = knownFrames(6);
  for (const f of frames.slice(0, 4)) service.detect(f, 'crop');
  service.recordError('BAD_DIMENSIONS');
  clock.now += 10_000;
  agent.tick();
  const first = wire.last('/metrics');
  t.like(first, { v: 1, m: bundledSha, n: 4, e: { BAD_DIMENSIONS: 1 }, a: 0 });
  t.deepEqual(Object.keys(first).sort(), ['a', 'd', 'e', 'l', 'm', 'n', 'p', 'u', 'v', 'z']);
  t.is((first['l'] as unknown[]).length, 3);
  const detected = Object.values(first['d'] as Record<string, number>).reduce((a, b) => a + b, 0);
  t.true(detected > 0);
  // a new model: its counts start at zero
  const v2 = variant(2);
  agent.message('xtml/f/d1/desired', desired('r1', v2));
  sendChunks(agent, v2);
  service.detect(frames[5]!, 'crop');
  clock.now += 10_000;
  agent.tick();
  t.like(wire.last('/metrics'), { m: sha256Hex(v2), n: 1, e: {} });
  t.is(service.metrics.snapshot().total.inferences, 5);
});

// ---- the controller's state ----

test('controller state: two checksummed copies; a torn newest copy falls back to the older one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xtml-fleet-state-'));
  try {
    const store = new StateStore(dir);
    const state = store.load();
    t.is(state.seq, 0);
    state.desired['d1'] = { v: 1, rollout: 'r1', action: 'install', sha256: sha, size: 10 };
    store.save(state);                       // seq 1 -> state-1.json
    state.desired['d1'] = { v: 1, rollout: 'r2', action: 'install', sha256: sha, size: 10 };
    store.save(state);                       // seq 2 -> state-0.json
    t.is(new StateStore(dir).load().desired['d1']!.rollout, 'r2');
    const newest = readFileSync(join(dir, 'state-0.json'));
    writeFileSync(join(dir, 'state-0.json'), newest.subarray(0, newest.length - 20));
    const again = new StateStore(dir);
    t.is(again.load().desired['d1']!.rollout, 'r1');
    t.deepEqual(again.problems, ['state-0.json is torn or altered']);
    store.saveModel(sha256Hex(bundled), bundled);
    t.deepEqual(store.model(sha256Hex(bundled)), bundled);
    writeFileSync(join(dir, 'models', `${sha256Hex(bundled)}.tflite`), bundled.subarray(1));
    t.is(store.model(sha256Hex(bundled)), undefined, 'a damaged model file is never served');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
