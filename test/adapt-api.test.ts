// The adaptation REST calls on the desktop server (Node addon, a state
// directory): the examples' contract and errors, POST /adapt installing the
// same bytes the library makes from the same examples, persisting across a
// restart, and rollback undoing it.
import test from 'ava';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { hostCrypto, knownFrames, startServer, type RunningServer } from '../host-sim/node/server.js';
import { adaptModel, type AdaptExample } from '../src/adapt/head.js';
import { AdaptRoutes, adaptFrame } from '../src/adapt/rest.js';
import { MemoryStorage, ModelService, ModelStore, encodePgm, type StorageBackend } from '../src/index.js';
import { shiftSet } from '../tools/adapt-shift.js';
import { int8ModelPath, loadHeldOut } from '../tools/detector.js';
import { FaultyStorage } from './support/faulty-storage.js';

const MAX_BODY = 64 * 1024;
const state = mkdtempSync(join(tmpdir(), 'xtml-adapt-api-'));
const detector = new Uint8Array(readFileSync(int8ModelPath));
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const held = loadHeldOut(20);
const frames = shiftSet('chalkboard', held.frames, held.width);
const chosen = [1, 2, 5, 6, 7].filter((i) => held.truths[i]!.length > 0);
const examples: AdaptExample[] = chosen.map((i) => ({ pixels: frames[i]!, objects: held.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) }));
const bodyOf = (i: number): string => JSON.stringify({
  image: Buffer.from(encodePgm({ width: 96, height: 96, format: 'gray8', data: frames[i]! })).toString('base64'),
  objects: held.truths[i]!.map(([x, y, d]) => ({ x, y, label: String(d) })),
});

let server: RunningServer;
test.before(async () => {
  server = await startServer({ backend: 'node', port: 0, maxBodyBytes: MAX_BODY, stateDir: state });
});
test.after.always(async () => {
  await server?.close();
  rmSync(state, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(server.url + path, { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}
const code = (r: { json: Record<string, unknown> }): string => (r.json['error'] as { code: string }).code;

test.serial('no examples: POST /adapt is 409 NO_EXAMPLES', async (t) => {
  const r = await call('POST', '/adapt');
  t.is(r.status, 409);
  t.is(code(r), 'NO_EXAMPLES');
});

test.serial('bad examples: 400 for JSON and images, 422 for labels, 413 over the body limit; none is stored', async (t) => {
  const image = JSON.parse(bodyOf(chosen[0]!)).image as string;
  const cases: [string, number, string][] = [
    ['{"image": ', 400, 'BAD_JSON'],
    ['[1, 2]', 400, 'BAD_JSON'],
    [JSON.stringify({ image: image, objects: 'none' }), 400, 'BAD_JSON'],
    [JSON.stringify({ image: 'not base64!', objects: [] }), 400, 'BAD_IMAGE'],
    [JSON.stringify({ image: Buffer.from('GIF89a....').toString('base64'), objects: [] }), 400, 'BAD_IMAGE'],
    [JSON.stringify({ image: Buffer.from('P5\n96 96\n255\n').toString('base64'), objects: [] }), 400, 'CORRUPT_IMAGE'],
    [JSON.stringify({ image, objects: [{ x: 10, y: 10, label: 'cat' }] }), 422, 'UNKNOWN_LABEL'],
    [JSON.stringify({ image, objects: [{ x: 10, y: 10, label: 'background' }] }), 422, 'UNKNOWN_LABEL'],
    [JSON.stringify({ image, objects: [{ x: 500, y: 10, label: '3' }] }), 400, 'BAD_EXAMPLE'],
    [JSON.stringify({ image, objects: [{ x: 10, label: '3' }] }), 400, 'BAD_JSON'],
  ];
  for (const [body, status, expected] of cases) {
    const r = await call('POST', '/adapt/examples', body);
    t.is(r.status, status, body.slice(0, 60));
    t.is(code(r), expected, body.slice(0, 60));
  }
  const big = await call('POST', '/adapt/examples', JSON.stringify({ image: 'A'.repeat(MAX_BODY), objects: [] }));
  t.is(big.status, 413);
  t.like((await call('GET', '/adapt/examples')).json, { count: 0 });
  t.is((await call('PUT', '/adapt/examples')).status, 405);
});

test.serial('examples in, POST /adapt installs the library\'s model for them, rollback undoes it, and DELETE forgets them', async (t) => {
  const original = (await call('GET', '/model')).json['sha256'];
  t.is(original, sha(detector));
  for (const [k, i] of chosen.entries()) {
    const r = await call('POST', '/adapt/examples', bodyOf(i));
    t.is(r.status, 200);
    t.like(r.json, { index: k, count: k + 1 });
  }
  const listed = await call('GET', '/adapt/examples');
  t.is(listed.json['count'], chosen.length);
  const first = (listed.json['examples'] as { objects: unknown[]; frame: unknown }[])[0]!;
  t.deepEqual(first.frame, { width: 96, height: 96 });
  t.deepEqual(first.objects, held.truths[chosen[0]!]!.map(([x, y, d]) => ({ x, y, label: String(d) })));

  const r = await call('POST', '/adapt', JSON.stringify({ steps: 40 }));
  t.is(r.status, 200, JSON.stringify(r.json));
  // the same examples through the library (96x96 frames: the pipeline's input is the frame)
  const made = adaptModel(loadBinding('node'), detector, examples, { steps: 40 });
  t.is(r.json['sha256'], sha(made.model));
  t.deepEqual(r.json['input_gate'], { ...made.gate }, 'the answer names the gate of the input map');
  t.is((r.json['input_gate'] as { statistic: string }).statistic, 'polarity');
  t.is(r.json['examples'], chosen.length);
  const before = r.json['before'] as { loss: number; recall: number }, after = r.json['after'] as { loss: number; recall: number };
  t.true(after.loss < before.loss, `loss ${before.loss} -> ${after.loss}`);
  t.true(after.recall > before.recall, `recall ${before.recall} -> ${after.recall}`);
  t.is((await call('GET', '/model')).json['sha256'], sha(made.model));

  const back = await call('POST', '/model/rollback');
  t.is(back.status, 200);
  t.is(back.json['sha256'], original);
  t.is((await call('GET', '/model')).json['sha256'], original);

  t.like((await call('DELETE', '/adapt/examples')).json, { removed: chosen.length, count: 0 });
  t.is((await call('POST', '/adapt')).status, 409);
});

test.serial('an adapted model survives a restart: the server boots it from its state directory', async (t) => {
  const r1 = await call('POST', '/adapt/examples', bodyOf(chosen[0]!));
  t.is(r1.status, 200);
  const adapted = await call('POST', '/adapt', JSON.stringify({ steps: 20, input_map: 'off' }));
  t.is(adapted.status, 200);
  t.is(adapted.json['input_map'], null);
  t.is(adapted.json['input_gate'], null);
  await server.close();
  server = await startServer({ backend: 'node', port: 0, maxBodyBytes: MAX_BODY, stateDir: state });
  t.is((await call('GET', '/model')).json['sha256'], adapted.json['sha256']);
  // examples live in memory only
  t.like((await call('GET', '/adapt/examples')).json, { count: 0 });
  const bad = await call('POST', '/adapt', JSON.stringify({ steps: 0 }));
  t.is(bad.status, 409, 'no examples is checked first');
});

// ---- a power cut while POST /adapt stores the model ----

// FaultyStorage (a write cut part-way, as on raw flash): test/support/faulty-storage.ts

function booted(storage: StorageBackend): ModelService {
  const crypto = hostCrypto();
  const s = new ModelService({
    binding: loadBinding('node'),
    bundled: { bytes: detector, sha256: sha(detector), size: detector.length },
    crypto,
    store: new ModelStore(storage, crypto.sha256),
    knownFrames: knownFrames(2),
    log: () => undefined,
  });
  s.boot();
  return s;
}

for (const [stage, at, keep] of [
  ['mid-model', 0, (n: number) => n >> 1],
  ['mid-record', 1, () => 7],
  ['after everything (none)', 99, () => 0],
] as const) {
  test(`POST /adapt, power cut ${stage} while storing its model: one whole model serves, before and after a restart`, (t) => {
    const media = new MemoryStorage();
    const service = booted(new FaultyStorage(media, at, keep));
    const routes = new AdaptRoutes(service, (bytes) => adaptFrame(bytes, { decoders: {}, maxBodyBytes: MAX_BODY, maxPixels: 1 << 20 }));
    routes.add(new TextEncoder().encode(bodyOf(chosen[0]!)));
    let answer: Record<string, unknown> | undefined;
    try {
      answer = routes.adapt(new TextEncoder().encode('{"steps": 20}'));
    } catch (error) {
      t.is((error as { status?: number; code?: string }).status, 507);
      t.is((error as { code?: string }).code, 'STORAGE_FAILED');
    }
    t.is(answer === undefined, at !== 99);
    t.is(service.current().sha256, answer === undefined ? sha(detector) : answer['sha256'] as string);
    const restarted = booted(media);
    t.is(restarted.current().sha256, answer === undefined ? sha(detector) : answer['sha256'] as string);
  });
}

test('with a signing key, POST /adapt is 403 SIGNED_MODELS_ONLY before training, and install refuses a model adapted here', async (t) => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const signed = await startServer({ backend: 'node', port: 0, maxBodyBytes: MAX_BODY, storage: new MemoryStorage(), signingKey: pem, logger: () => undefined });
  try {
    const before = (await (await fetch(signed.url + '/model')).json()) as Record<string, unknown>;
    const added = await fetch(signed.url + '/adapt/examples', { method: 'POST', body: bodyOf(chosen[0]!), headers: { 'content-type': 'application/json' } });
    t.is(added.status, 200);
    const r = await fetch(signed.url + '/adapt', { method: 'POST' });
    t.is(r.status, 403);
    t.is(((await r.json()) as { error: { code: string } }).error.code, 'SIGNED_MODELS_ONLY');
    const after = (await (await fetch(signed.url + '/model')).json()) as Record<string, unknown>;
    t.is(after['sha256'], before['sha256']);
  } finally {
    await signed.close();
  }
  // The same rule in ModelService itself, whatever calls it.
  const binding = loadBinding('node');
  const service = new ModelService({
    binding, bundled: { bytes: detector, sha256: sha(detector), size: detector.length }, crypto: hostCrypto(pem),
    store: new ModelStore(new MemoryStorage(), hostCrypto().sha256), knownFrames: knownFrames(2), log: () => undefined,
  });
  service.boot();
  const made = adaptModel(binding, detector, examples, { steps: 2 });
  const error = t.throws(() => service.install(made.model, { adaptedHere: true }));
  t.is((error as { code?: string }).code, 'SIGNED_MODELS_ONLY');
  t.is(service.current().sha256, sha(detector));
});
