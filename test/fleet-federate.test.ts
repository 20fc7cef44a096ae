// Federated adaptation (issue 13, point 4): the adaptation report's encoding and
// its strict decoder, FedAvg's order independence, and over a real Mosquitto:
// three simulated devices adapt their head on different chalkboard frames and
// report; malformed reports are refused and counted; the controller averages
// the heads weighted by examples, builds, verifies and rolls out the model,
// which equals an independent FedAvg written by modelWithHead and reaches every
// device; in a signed fleet the controller signs it and the devices take it.
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import mqtt from 'mqtt';
import { loadBinding } from '../host-sim/node/backends.js';
import { chooseBase, federate, type HeldReport } from '../host-sim/node/fleet/federate.js';
import { hostCrypto, knownFrames, sha256Hex } from '../host-sim/node/server.js';
import { modelWithHead, type AdaptExample } from '../src/adapt/head.js';
import { decodeAdaptation, encodeAdaptation, federatedAverage, fromBase64, toBase64, type AdaptationReport, type HeadLike } from '../src/fleet/federate.js';
import { ProtocolError } from '../src/fleet/protocol.js';
import { FleetAgent, type FleetTransport } from '../src/fleet/agent.js';
import { MemoryStorage, ModelService, ModelStore } from '../src/index.js';
import { shiftSet } from '../tools/adapt-shift.js';
import { loadHeldOut } from '../tools/detector.js';
import { FleetHarness, bundled, bundledSha, until, variant } from './support/fleet-harness.js';
import { needs, optionalTest } from './support/optional.js';

const heldOut = loadHeldOut(40);
const shifted = shiftSet('chalkboard', heldOut.frames, heldOut.width);
const pool: AdaptExample[] = [];
for (let i = 0; i < 40; i++) {
  if (heldOut.truths[i]!.length > 0) pool.push({ pixels: shifted[i]!, objects: heldOut.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) });
}
/** Each device's own frames: 3, 5 and 2 (different counts, so the weighting shows). */
const shares = [pool.slice(0, 3), pool.slice(3, 8), pool.slice(8, 10)];
const adaptOptions = { inputMap: 'off' as const, steps: 40 };

/** A head of C x K with values from a seed, as an adaptation would give. */
function fakeHead(seed: number, C = 11, K = 80, count = 4): HeadLike {
  let s = seed;
  const next = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; };
  return {
    head: { classes: C, channels: K }, headWeights: Float64Array.from({ length: C * K }, next), headBias: Float64Array.from({ length: C }, next),
    count, objectCells: count * 2, logitRange: [-20 - seed, 20 + seed],
  };
}

const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
const decode = (text: string): AdaptationReport => decodeAdaptation(bytesOf(text), sha256Hex);

/** A report's JSON with fields replaced (and w, b given as numbers re-encoded, the sum made to match unless told). */
function tampered(head: HeadLike, change: { w?: Float32Array; b?: Float32Array; fields?: Record<string, unknown>; keepSum?: boolean }): string {
  const doc = JSON.parse(encodeAdaptation(bundledSha, head, null, sha256Hex)) as Record<string, unknown>;
  const w = change.w ?? new Float32Array(new Uint8Array(Buffer.from(doc['w'] as string, 'base64')).buffer);
  const b = change.b ?? new Float32Array(new Uint8Array(Buffer.from(doc['b'] as string, 'base64')).buffer);
  const wb = Buffer.from(w.buffer, w.byteOffset, w.byteLength), bb = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  doc['w'] = wb.toString('base64');
  doc['b'] = bb.toString('base64');
  if (change.keepSum !== true) doc['sum'] = sha256Hex(new Uint8Array(Buffer.concat([wb, bb])));
  return JSON.stringify({ ...doc, ...change.fields });
}

test('an adaptation report: base64 as Node writes it, float32 little-endian, a SHA-256 of the values; decoded back exactly', (t) => {
  for (const n of [0, 1, 2, 3, 4, 5, 31]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 89 + 7) & 255);
    t.is(toBase64(bytes), Buffer.from(bytes).toString('base64'));
    t.deepEqual(fromBase64(Buffer.from(bytes).toString('base64')), bytes);
  }
  t.is(fromBase64('QQ=x'), undefined);
  t.is(fromBase64('QR=='), undefined, 'stray bits: not canonical');
  const head = fakeHead(3);
  const text = encodeAdaptation(bundledSha, head, null, sha256Hex);
  const doc = JSON.parse(text) as { w: string; b: string; sum: string; r: number[] };
  const w = Buffer.from(doc.w, 'base64'), b = Buffer.from(doc.b, 'base64');
  t.is(w.length, 880 * 4);
  t.is(w.readFloatLE(4 * 17), Math.fround(head.headWeights[17]!));
  t.is(b.readFloatLE(4 * 10), Math.fround(head.headBias[10]!));
  t.is(doc.sum, sha256Hex(new Uint8Array(Buffer.concat([w, b]))));
  const r = decode(text);
  t.deepEqual([r.base, r.model, r.classes, r.features, r.examples, r.objects, r.range], [bundledSha, null, 11, 80, 4, 8, [-23, 23]]);
  t.deepEqual([...r.weights], [...Float32Array.from(head.headWeights)]);
  t.deepEqual([...r.bias], [...Float32Array.from(head.headBias)]);
  // the bundled detector's report: 11 x 80 weights (3520 bytes, 4696 in base64) and 11 biases (44, 60)
  t.deepEqual([doc.w.length, doc.b.length], [4696, 60]);
});

test('malformed adaptation reports are refused with BAD_ADAPTATION naming the field', (t) => {
  const head = fakeHead(5);
  const nan = Float32Array.from(head.headWeights);
  nan[123] = Number.NaN;
  const inf = Float32Array.from(head.headBias);
  inf[2] = Number.POSITIVE_INFINITY;
  const huge = Float32Array.from(head.headWeights);
  huge[0] = 1e9;
  const cases: [string, string, RegExp][] = [
    ['NaN weight', tampered(head, { w: nan }), /w\[123\] is NaN/],
    ['infinite bias', tampered(head, { b: inf }), /b\[2\] is Infinity/],
    ['huge weight', tampered(head, { w: huge }), /w\[0\] is 1000000000/],
    ['short w', tampered(head, { w: Float32Array.from(head.headWeights).subarray(0, 800) }), /w holds 3200 bytes; c x k = 11 x 80 float32 take 3520/],
    ['shape and values disagree', tampered(head, { fields: { k: 40 } }), /w holds 3520 bytes; c x k = 11 x 40/],
    ['huge count', tampered(head, { fields: { n: 1e9 } }), /n \(examples\) must be an integer 1\.\.10000/],
    ['zero count', tampered(head, { fields: { n: 0 } }), /n \(examples\)/],
    ['wrong sum', tampered(head, { fields: { sum: '0'.repeat(64) } }), /sum does not match/],
    ['bad base', tampered(head, { fields: { base: 'abc' } }), /base must be a SHA-256/],
    ['range', tampered(head, { fields: { r: [5, -5] } }), /r must be \[lo, hi\]/],
    ['version', tampered(head, { fields: { v: 2 } }), /version 2/],
    ['not JSON', '{"v":1,', /not JSON/],
  ];
  for (const [what, text, message] of cases) {
    const error = t.throws(() => decode(text), { instanceOf: ProtocolError }, what);
    t.is(error?.code, 'BAD_ADAPTATION', what);
    t.regex(error?.message ?? '', message, what);
  }
});

test('FedAvg: the same reports in any order give the same doubles; mixed bases and shapes are refused', (t) => {
  const reports = [1, 2, 3].map((i) => ({ device: `d${i}`, report: decode(encodeAdaptation(bundledSha, fakeHead(i, 11, 80, i * 3), null, sha256Hex)) }));
  const a = federatedAverage(reports), b = federatedAverage([reports[2]!, reports[0]!, reports[1]!]);
  t.deepEqual(a.devices, ['d1', 'd2', 'd3']);
  t.deepEqual(Buffer.from(a.weights.buffer), Buffer.from(b.weights.buffer));
  t.deepEqual(Buffer.from(a.bias.buffer), Buffer.from(b.bias.buffer));
  t.is(a.examples, 18);
  t.deepEqual(a.range, [-23, 23]);
  // against the formula, summed in another order
  for (const i of [0, 500, 879]) {
    const want = (3 * reports[0]!.report.weights[i]! + 6 * reports[1]!.report.weights[i]! + 9 * reports[2]!.report.weights[i]!) / 18;
    t.true(Math.abs(a.weights[i]! - want) < 1e-12);
  }
  const other = { device: 'd9', report: { ...reports[0]!.report, base: 'a'.repeat(64) } };
  t.throws(() => federatedAverage([...reports, other]), { message: /d9's report is on base a{64}/ });
  const held = new Map<string, HeldReport>([...reports, other].map((r) => [r.device, { report: r.report, bytes: 0, received: 0 }]));
  t.throws(() => chooseBase(held, undefined), { message: /on 2 base models/ });
  t.is(chooseBase(held, bundledSha), bundledSha);
  const small = { device: 'd0', report: decode(encodeAdaptation(bundledSha, fakeHead(1, 11, 40), null, sha256Hex)) };
  t.throws(() => federatedAverage([...reports, small]), { message: /d1's head is 11 x 80, d0's 11 x 40/ });
  t.throws(() => federate(loadBinding('wasm'), bundledSha, bundled, new Map([['d0', { report: small.report, bytes: 0, received: 0 }]]), { minDevices: 1, minExamples: 1 }),
    { message: /the head is 11 classes x 40 features; base [0-9a-f]{12}'s is 11 x 80/ });
});

test('the agent reports an adaptation only when federated is set, never one with an input map, and again on every connection', (t) => {
  const crypto = hostCrypto();
  const service = new ModelService({
    binding: loadBinding('wasm'), bundled: { bytes: bundled, sha256: bundledSha, size: bundled.length }, crypto,
    store: new ModelStore(new MemoryStorage(), crypto.sha256), knownFrames: knownFrames(2), profileDepth: 0,
  });
  service.boot();
  try {
    const agentWith = (federated?: boolean): { agent: FleetAgent; sent: { topic: string; payload: string; retain: boolean }[] } => {
      const sent: { topic: string; payload: string; retain: boolean }[] = [];
      const transport: FleetTransport = {
        publish: (topic, payload, retain) => void sent.push({ topic, payload: typeof payload === 'string' ? payload : Buffer.from(payload).toString('latin1'), retain }),
        subscribe: () => undefined, unsubscribe: () => undefined,
      };
      const agent = new FleetAgent({
        service, transport, fleet: 'f', device: 'd1', engine: 'wasm', bundledSha256: bundledSha, sha256: crypto.sha256, maxModelBytes: 1 << 20,
        ...(federated !== undefined ? { federated } : {}),
      });
      agent.connected();
      return { agent, sent };
    };
    const head = fakeHead(2);
    const reports = (sent: { topic: string }[]): number => sent.filter((m) => m.topic === 'xtml/f/d1/adaptation').length;
    const off = agentWith();
    t.deepEqual(off.agent.reportAdaptation(bundledSha, head), { published: false, reason: 'federated reports are off on this device' });
    t.is(reports(off.sent), 0);
    const on = agentWith(true);
    t.false(on.agent.reportAdaptation(bundledSha, { ...head, inputMap: { a: -1.4, c: 1 } }).published);
    t.is(reports(on.sent), 0);
    const outcome = on.agent.reportAdaptation(bundledSha, head, 'c'.repeat(64));
    const message = on.sent.find((m) => m.topic === 'xtml/f/d1/adaptation')!;
    t.deepEqual([outcome.published, outcome.bytes, message.retain], [true, message.payload.length + 'xtml/f/d1/adaptation'.length, true]);
    const r = decode(message.payload);
    t.deepEqual([r.base, r.model, r.examples, [...r.weights]], [bundledSha, 'c'.repeat(64), 4, [...Float32Array.from(head.headWeights)]]);
    on.agent.disconnected();
    on.agent.connected();
    t.is(reports(on.sent), 2, 'published again on the new connection');
  } finally {
    service.current().session.release();
  }
});

const fleetTest = (title: string, impl: Parameters<typeof optionalTest>[2]): void => optionalTest(title, [needs.mosquitto], impl, true);

async function post(h: FleetHarness, query: Record<string, string>, body?: Uint8Array): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${h.fleet.url}/fleet/federate?${new URLSearchParams(query)}`, {
    method: 'POST', ...(body !== undefined ? { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(body) } : {}),
  });
  return { status: r.status, body: await r.json() as Record<string, unknown> };
}
const code = (r: { body: Record<string, unknown> }): string => (r.body['error'] as { code: string } | undefined)?.code ?? 'none';
const plan = { canary: '34%', waves: '100%', gate: 'probe=ok', soak: '300ms' };

fleetTest('three devices adapt and report; malformed reports are refused and counted; the FedAvg model is built, verified and reaches every device', async (t) => {
  const h = await FleetHarness.start({ devices: 3, device: { federated: true } });
  const publisher = await mqtt.connectAsync(h.broker.url, { clientId: 'test-federate-publisher' });
  try {
    const before = await post(h, {});
    t.deepEqual([before.status, code(before)], [409, 'NO_REPORTS']);
    const made = h.devices.map((d, i) => d.adapt(shares[i]!, adaptOptions));
    for (const m of made) t.true(m.report.published, m.report.reason);
    for (const [i, d] of h.devices.entries()) t.is(d.service.current().sha256, made[i]!.installed ?? "", `${d.id} runs its own adapted model`);
    // malformed reports from four other publishers
    const good = JSON.parse(encodeAdaptation(bundledSha, made[0]!.adaptation, null, sha256Hex)) as Record<string, unknown>;
    const nan = Float32Array.from(made[0]!.adaptation.headWeights);
    nan[7] = Number.NaN;
    const bad: Record<string, string> = {
      'bad-nan': tampered(made[0]!.adaptation, { w: nan }),
      'bad-shape': encodeAdaptation(bundledSha, fakeHead(1, 11, 40), null, sha256Hex),
      'bad-base': JSON.stringify({ ...good, base: sha256Hex(new Uint8Array([1, 2, 3])) }),
      'bad-count': JSON.stringify({ ...good, n: 5_000_000 }),
    };
    for (const [device, text] of Object.entries(bad)) await publisher.publishAsync(`xtml/test/${device}/adaptation`, text, { qos: 1, retain: true });
    await until('3 reports and 4 refusals', () => h.controller.adaptations.size === 3 && h.controller.adaptationRefusals.size === 4);
    const summary = await (await fetch(`${h.fleet.url}/fleet/adaptations`)).json() as {
      bases: { sha256: string; devices: number; examples: number }[]; reports: { device: string; examples: number }[]; refused: { device: string; code: string; message: string }[];
    };
    t.deepEqual(summary.bases, [{ sha256: bundledSha, devices: 3, examples: 10 }]);
    t.deepEqual(summary.reports.map((r) => [r.device, r.examples]), [['dev-00', 3], ['dev-01', 5], ['dev-02', 2]]);
    const refused = Object.fromEntries(summary.refused.map((r) => [r.device, `${r.code}: ${r.message}`]));
    t.regex(refused['bad-nan']!, /^BAD_ADAPTATION: .*w\[7\] is NaN/);
    t.regex(refused['bad-shape']!, /^BAD_ADAPTATION: .*the head is 11 classes x 40 features/);
    t.regex(refused['bad-base']!, /^UNKNOWN_BASE: /);
    t.regex(refused['bad-count']!, /^BAD_ADAPTATION: .*n \(examples\)/);
    t.deepEqual([h.controller.refused['BAD_ADAPTATION'], h.controller.refused['UNKNOWN_BASE']], [3, 1]);

    // refusals of federate itself
    for (const [query, status, want] of [
      [{ min_devices: '4' }, 409, 'TOO_FEW_DEVICES'],
      [{ min_examples: '11' }, 409, 'TOO_FEW_EXAMPLES'],
      [{ base: 'b'.repeat(64) }, 404, 'UNKNOWN_BASE'],
      [{ base: 'xyz' }, 400, 'BAD_PARAMETER'],
      [{ min_devices: '0' }, 400, 'BAD_PARAMETER'],
    ] as const) {
      const r = await post(h, query);
      t.deepEqual([r.status, code(r)], [status, want], JSON.stringify(query));
    }
    // a base sent as the body: it must hash to base=; stored, it has no reports of its own
    const v2 = variant(2);
    const mismatch = await post(h, { base: bundledSha }, v2);
    t.deepEqual([mismatch.status, code(mismatch)], [400, 'BASE_MISMATCH']);
    const other = await post(h, {}, v2);
    t.deepEqual([other.status, code(other)], [409, 'NO_REPORTS']);
    t.regex((other.body['error'] as { message: string }).message, /no adaptation report is on base [0-9a-f]{64} \(3 on other bases\)/);
    t.deepEqual(h.controller.baseModel(sha256Hex(v2)), v2);
    t.is(h.controller.rollouts().length, 0, 'nothing was rolled out by a refusal');

    // the independent FedAvg: the devices' own float heads, rounded to float32 as sent, weighted by frames
    const C = 11, K = 80;
    const total = shares.reduce((n, s) => n + s.length, 0);
    const weights = new Float64Array(C * K), bias = new Float64Array(C);
    for (const [i, m] of made.entries()) {
      for (let j = 0; j < C * K; j++) weights[j] = weights[j]! + (shares[i]!.length * Math.fround(m.adaptation.headWeights[j]!)) / total;
      for (let j = 0; j < C; j++) bias[j] = bias[j]! + (shares[i]!.length * Math.fround(m.adaptation.headBias[j]!)) / total;
    }
    const range: [number, number] = [
      Math.min(...made.map((m) => Math.fround(m.adaptation.logitRange[0]))), Math.max(...made.map((m) => Math.fround(m.adaptation.logitRange[1]))),
    ];
    const controllerAverage = federatedAverage([...h.controller.adaptations].map(([device, r]) => ({ device, report: r.report })));
    for (let j = 0; j < C * K; j++) if (Math.abs(controllerAverage.weights[j]! - weights[j]!) > 1e-6) t.fail(`weight ${j}: ${controllerAverage.weights[j]} vs ${weights[j]}`);
    for (let j = 0; j < C; j++) if (Math.abs(controllerAverage.bias[j]! - bias[j]!) > 1e-6) t.fail(`bias ${j}`);
    const expected = modelWithHead(bundled, weights, bias, range);
    const expectedSha = sha256Hex(expected);

    const created = await post(h, { ...plan, min_devices: '3', min_examples: '10' });
    t.is(created.status, 201, JSON.stringify(created.body));
    const federation = created.body['federation'] as { base: string; sha256: string; devices: string[]; examples: number; excluded: unknown[]; signed: boolean };
    t.deepEqual([federation.base, federation.devices, federation.examples, federation.signed], [bundledSha, ['dev-00', 'dev-01', 'dev-02'], 10, false]);
    t.is(federation.sha256, expectedSha, 'the built model is modelWithHead of the independent average');
    const served = new Uint8Array(await (await fetch(`${h.fleet.url}/fleet/models/${federation.sha256}`)).arrayBuffer());
    t.deepEqual(Buffer.from(served), Buffer.from(expected));
    const id = created.body['id'] as string;
    await h.untilDone(id);
    const rollout = h.controller.rollout(id);
    t.is(rollout.status, 'completed', rollout.reason ?? '');
    t.deepEqual(rollout.federated, { base: bundledSha, devices: ['dev-00', 'dev-01', 'dev-02'], examples: 10 });
    for (const [i, d] of h.devices.entries()) t.deepEqual(d.served, [bundledSha, made[i]!.installed, expectedSha], d.id);
    // determinism: the same reports give the same bytes again
    const again = federate(loadBinding('node'), bundledSha, bundled, h.controller.adaptations, { minDevices: 3 });
    t.is(sha256Hex(again.model), expectedSha);
  } finally {
    await publisher.endAsync();
    await h.close();
  }
});

fleetTest('a signed fleet: the controller signs the federated model with the fleet\'s key and the devices take it; without a key it refuses', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const h = await FleetHarness.start({ devices: 3, device: { federated: true, signingKey: pub }, controller: { verifyKey: pub } });
  try {
    // devices that take only signed models cannot install their own adaptation; they report it
    const made = h.devices.map((d, i) => d.adapt(shares[i]!, adaptOptions));
    for (const [i, m] of made.entries()) t.deepEqual([m.installed, m.report.published, h.devices[i]!.service.current().sha256], [null, true, bundledSha]);
    await until('3 reports', () => h.controller.adaptations.size === 3);
    const unsigned = await post(h, plan);
    t.deepEqual([unsigned.status, code(unsigned)], [409, 'SIGNING_KEY_REQUIRED']);
    h.options.controller = { verifyKey: pub, signKey: priv };
    await h.restartController();
    await until('3 reports at the new controller', () => h.controller.adaptations.size === 3);
    const created = await post(h, plan);
    t.is(created.status, 201, JSON.stringify(created.body));
    t.true((created.body['federation'] as { signed: boolean }).signed);
    const id = created.body['id'] as string;
    await h.untilDone(id);
    const r = h.controller.rollout(id);
    t.is(r.status, 'completed', r.reason ?? '');
    const sha = r.sha256;
    for (const d of h.devices) t.deepEqual(d.served, [bundledSha, sha], `${d.id}: ${JSON.stringify(d.agent.state().last)}`);
  } finally {
    await h.close();
  }
});
