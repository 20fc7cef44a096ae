// Operating a deployed model (issue 6): storage that survives a power cut at any
// point of an update or rollback (in memory here; on files in
// storage-cuts.test.ts), and over HTTP on each backend (WebAssembly, the Node
// addon, the XS host): malformed models refused by PUT /model with the core's
// code while /detect keeps answering, swaps and rollbacks under steady /detect
// load with no failed or wrong response, signatures, state that survives a
// restart, and the metrics, drift and profile endpoints, whose PSI is computed
// here from an independent decoding of the model's outputs. Expected SHA-256s
// come from node:crypto, not from the server's helper.
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { hostCrypto, knownFrames, startServer, type RunningServer } from '../host-sim/node/server.js';
import {
  ApiError, DetectionApi, MemoryStorage, ModelService, ModelStore, XtmlError, encodePgm, slotFile, type CoreBinding, type Frame, type StorageBackend,
} from '../src/index.js';
import { floatModelPath, int8ModelPath, loadHeldOut } from '../tools/detector.js';
import { metric, sendStreamed } from './support/http.js';
import { needs, optionalTest } from './support/optional.js';
import { driftCounts, oracleDetections, psiOf } from './support/oracle.js';
import { referenceDir, repoRoot } from './support/reference.js';
import { FaultyStorage } from './support/faulty-storage.js';

const bundled = new Uint8Array(readFileSync(int8ModelPath));
/** The same graph with another description: a different model (and SHA-256) with the same input and output. */
function variant(n: number): Uint8Array {
  const bytes = Uint8Array.from(bundled);
  const text = Buffer.from(bytes).toString('latin1');
  const m = /"version":\s*1\b/.exec(text);
  if (m === null) throw new Error('the bundled model has no "version": 1 in its description');
  bytes[m.index + m[0].length - 1] = 0x30 + n;   // "version": n
  return bytes;
}
const v2 = variant(2), v3 = variant(3), v4 = variant(4);
const shaOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const frames = knownFrames(4);
const quiet = (): void => undefined;
const held = loadHeldOut(8);
const backends = ['wasm', 'node', 'xs'] as const;

const scratch = mkdtempSync(join(tmpdir(), 'xtml-ota-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

function service(storage: StorageBackend | undefined, crypto = hostCrypto()): ModelService {
  const s = new ModelService({
    binding: loadBinding('wasm'),
    bundled: { bytes: bundled, sha256: shaOf(bundled), size: bundled.length },
    crypto,
    ...(storage !== undefined ? { store: new ModelStore(storage, crypto.sha256) } : {}),
    knownFrames: frames,
    log: () => undefined,
  });
  s.boot();
  return s;
}

function detections(s: ModelService, frame: Frame): string {
  const r = s.detect(frame, 'crop');
  return JSON.stringify(r.items.slice(0, r.count).map((d) => [d.label, d.cx, d.cy, d.score]));
}

// ---- power cuts ----

// FaultyStorage (a write cut part-way, as on raw flash): test/support/faulty-storage.ts

const cuts: [string, number, (n: number) => number][] = [
  // installing: write 0 is the model slot, write 1 the record
  ['before the model is written', 0, () => -1],
  ['mid-model (first byte)', 0, () => 1],
  ['mid-model (half)', 0, (n) => n >> 1],
  ['mid-model (all but one byte)', 0, (n) => n - 1],
  ['after the model, before the record', 1, () => -1],
  ['mid-record (a few bytes)', 1, () => 7],
  ['mid-record (all but the checksum\'s end)', 1, (n) => n - 3],
  ['after everything (no cut)', 99, () => 0],
];

for (const [history, prepare] of [
  ['fresh device', (_s: ModelService) => undefined],
  ['after one update', (s: ModelService) => void s.install(v2)],
  ['after two updates and a rollback', (s: ModelService) => { s.install(v2); s.install(v3); s.rollback(); }],
] as const) {
  for (const [stage, at, keep] of cuts) {
    test(`${history}: power cut ${stage} while installing; the restart boots one whole model`, (t) => {
      const media = new MemoryStorage();
      const before = service(media);
      prepare(before);
      const oldSha = before.current().sha256;
      const want = { [oldSha]: detections(before, frames[1]!) };
      const faulty = new FaultyStorage(media, at, keep);
      const during = service(faulty);
      t.is(during.current().sha256, oldSha, 'the device was running the old model');
      let cut = false;
      try {
        during.install(v4);
      } catch (error) {
        cut = true;
        t.is((error as { code?: string }).code, 'STORAGE_FAILED', String(error));
        t.is(during.current().sha256, oldSha, 'a failed store leaves the old model serving');
      }
      t.is(cut, at !== 99);
      // restart
      const after = service(media);
      const sha = after.current().sha256;
      t.is(sha, cut ? oldSha : shaOf(v4), `booted ${after.state().source}: ${after.state().boot.problems.join('; ')}`);
      if (sha === oldSha) t.is(detections(after, frames[1]!), want[oldSha]!);
      // and it can still update afterwards
      after.install(after.current().sha256 === shaOf(v3) ? v2 : v3);
      const again = service(media);
      t.is(again.current().sha256, after.current().sha256);
    });
  }
}

for (const [stage, keep] of [['before the record', -1], ['mid-record', 9]] as const) {
  test(`power cut ${stage} during a rollback: the restart boots the model before or after it`, (t) => {
    const media = new MemoryStorage();
    const s = service(media);
    s.install(v2);
    s.install(v3);
    const faulty = service(new FaultyStorage(media, 0, () => keep));
    t.is(faulty.current().sha256, shaOf(v3));
    t.throws(() => faulty.rollback(), { message: /could not be recorded/ });
    t.is(faulty.current().sha256, shaOf(v3), 'still serving');
    t.is(service(media).current().sha256, shaOf(v3));
  });
}

test('a damaged active slot falls back to the rollback slot, then to the bundled model', (t) => {
  const media = new MemoryStorage();
  const s = service(media);
  s.install(v2);
  s.install(v3);
  const active = s.state().record.active as 'a' | 'b';
  const previous = s.state().record.previous as 'a' | 'b';
  const flip = (slot: 'a' | 'b'): void => {
    const bytes = media.read(slotFile(slot))!;
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x40;
    media.write(slotFile(slot), bytes);
  };
  flip(active);
  const first = service(media);
  t.is(first.current().sha256, shaOf(v2));
  t.is(first.state().source, previous);
  t.regex(first.state().boot.problems.join(';'), new RegExp(`slot ${active}`));
  flip(previous);
  const second = service(media);
  t.is(second.current().sha256, shaOf(bundled));
  t.is(second.state().source, 'bundled');
  // both records torn: the bundled model too
  media.write('record-0.json', new Uint8Array([0x7b]));
  media.write('record-1.json', new Uint8Array(0));
  t.is(service(media).current().sha256, shaOf(bundled));
});

// ---- the paths a healthy model never takes ----

test('a model that loads but fails on the probe frame is refused with 422 PROBE_FAILED naming the failure; the old model keeps serving', (t) => {
  const base = loadBinding('wasm');
  let failNext = false;
  // the core as it is, except that contexts made while failNext is set fail every invoke
  const binding: CoreBinding = {
    backend: base.backend,
    ticksPerSecond: base.ticksPerSecond,
    verify: (model) => base.verify(model),
    arenaSize: (model) => base.arenaSize(model),
    frameTable: (...args) => base.frameTable(...args),
    frameToInput: (...args) => base.frameToInput(...args),
    gridDecode: (...args) => base.gridDecode(...args),
    init: (model, arenaBytes) => {
      const context = base.init(model, arenaBytes);
      const failing = failNext;
      return new Proxy(context, {
        get(target, name) {
          if (name === 'invoke' && failing) return (): never => { throw new XtmlError('XTML_STATUS_EVAL_ERROR', 'injected: operator 3 cannot run'); };
          const value = Reflect.get(target, name) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
  const s = new ModelService({
    binding, bundled: { bytes: bundled, sha256: shaOf(bundled), size: bundled.length }, crypto: hostCrypto(), knownFrames: frames, log: quiet,
  });
  s.boot();
  const before = detections(s, frames[1]!);
  failNext = true;
  const error = t.throws(() => s.install(v2), { instanceOf: ApiError });
  failNext = false;
  t.is(error?.status, 422);
  t.is(error?.code, 'PROBE_FAILED');
  t.is(error?.message, 'the model failed on the probe frame: XTML_STATUS_EVAL_ERROR: injected: operator 3 cannot run');
  t.is(s.current().sha256, shaOf(bundled));
  t.is(detections(s, frames[1]!), before);
  t.is(s.state().record.seq, 0, 'nothing was stored');
});

test('PUT /model over maxModelBytes: 413 from the API itself, when a transport lets the body through', (t) => {
  const s = service(undefined);
  const api = new DetectionApi(s, { maxBodyBytes: 1 << 20, maxModelBytes: 32 * 1024 });
  t.is(api.bodyLimit('PUT', '/model'), 32 * 1024);
  t.is(api.bodyLimit('POST', '/detect'), 1 << 20);
  const r = api.handle({ method: 'PUT', path: '/model', query: {}, body: v2 });
  t.is(r.status, 413);
  t.deepEqual(JSON.parse(r.body), { error: { code: 'BODY_TOO_LARGE', message: `the body is ${v2.length} bytes, the limit is ${32 * 1024}` } });
  t.is(s.current().sha256, shaOf(bundled));
  t.regex(s.metrics.render(), /^xtml_errors_total\{code="BODY_TOO_LARGE"\} 1$/m);
});

// ---- over HTTP ----

async function detectOnce(server: RunningServer, i: number): Promise<{ status: number; sha: string; detections: string }> {
  const r = await fetch(`${server.url}/detect`, {
    method: 'POST', headers: { 'content-type': 'image/x-portable-graymap' },
    body: Buffer.from(encodePgm({ width: 96, height: 96, format: 'gray8', data: held.frames[i]! })),
  });
  const body = await r.json() as { model?: { sha256: string }; detections?: unknown[] };
  return { status: r.status, sha: body.model?.sha256 ?? '', detections: JSON.stringify(body.detections) };
}

async function putModel(server: RunningServer, bytes: Uint8Array, query = '', headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${server.url}/model${query}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...headers }, body: Buffer.from(bytes) });
  return { status: r.status, json: await r.json() as Record<string, unknown> };
}

const dumpDir = join(scratch, 'malformed');
/** test_malformed's malformed models (native/test/test_malformed.c writes them with XTML_DUMP_DIR): [file, status, what]. */
let dumped: Promise<[string, string, string][]> | undefined;
function malformedModels(): Promise<[string, string, string][]> {
  dumped ??= new Promise((resolvePromise, reject) => {
    mkdirSync(dumpDir, { recursive: true });
    execFile(join(repoRoot, 'build/host/test_malformed'), [referenceDir], { env: { ...process.env, XTML_DUMP_DIR: dumpDir }, timeout: 300_000 },
      (error, _stdout, stderr) => {
        if (error) return reject(new Error(`test_malformed failed: ${stderr}`));
        resolvePromise(readFileSync(join(dumpDir, 'index.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t') as [string, string, string]));
      });
  });
  return dumped;
}

function writeTemp(bytes: Uint8Array): string {
  const path = join(scratch, `${shaOf(bytes).slice(0, 16)}.tflite`);
  writeFileSync(path, bytes);
  return path;
}

const floatBytes = new Uint8Array(readFileSync(floatModelPath));
/** What each model of the load test answers for each held-out frame, from a WebAssembly server that runs only it. */
let answers: Promise<Map<string, string[]>> | undefined;
function expectedAnswers(): Promise<Map<string, string[]>> {
  answers ??= (async () => {
    const expected = new Map<string, string[]>();
    for (const bytes of [bundled, v2, floatBytes, v3]) {
      const one = await startServer({ port: 0, logger: quiet, modelPath: writeTemp(bytes) });
      expected.set(shaOf(bytes), await Promise.all(held.frames.map(async (_, i) => (await detectOnce(one, i)).detections)));
      await one.close();
    }
    return expected;
  })();
  return answers;
}

async function modelFacts(server: RunningServer): Promise<{ sha256: string; service: { source: string; rollback: string | null; persistent: boolean } }> {
  return await (await fetch(`${server.url}/model`)).json() as { sha256: string; service: { source: string; rollback: string | null; persistent: boolean } };
}

for (const backend of backends) {
  optionalTest(`${backend}: every malformed-model class is refused by PUT /model with its code, and /detect answers correctly throughout`, [needs.reference], async (t) => {
    const cases = (await malformedModels()).filter(([, status]) => status !== 'XTML_STATUS_OK');
    t.true(cases.length >= 100, `${cases.length} malformed models`);
    const server = await startServer({ backend, port: 0, logger: quiet });
    try {
      const good = await detectOnce(server, 1);
      t.is(good.status, 200);
      const codes = new Set<string>();
      for (const [file, status, desc] of cases) {
        const bytes = readFileSync(join(dumpDir, file));
        const r = await putModel(server, bytes);
        const error = (r.json['error'] ?? {}) as { code: string; message: string };
        if (bytes.length === 0) {
          t.deepEqual([r.status, error.code], [400, 'EMPTY_BODY'], desc);
        } else {
          t.deepEqual([r.status, error.code], [422, status], `${desc}: ${error.message}`);
          t.true(error.message.length > 0, desc);
        }
        codes.add(error.code);
        const after = await detectOnce(server, 1);
        t.deepEqual(after, good, `after ${desc}`);
      }
      t.true(codes.size >= 12, [...codes].join(' '));
      const model = await modelFacts(server);
      t.is(model.sha256, shaOf(bundled));
      t.is(model.service.source, 'bundled');
    } finally {
      await server.close();
    }
  });

  test(`${backend}: swaps and rollbacks under steady /detect load: no failed or wrong request, each names its model`, async (t) => {
    const expected = await expectedAnswers();
    const server = await startServer({ backend, port: 0, logger: quiet, stateDir: join(scratch, `load-${backend}`) });
    try {
      let stop = false;
      let requests = 0;
      const failures: string[] = [];
      const seen = new Map<string, number>();
      // swaps wait for answers, not for time: after each, until the new model has answered 4 requests
      let waiting: { sha: string; left: number; done: () => void } | undefined;
      const answeredBy = (sha: string, count = 4): Promise<void> => new Promise((done) => { waiting = { sha, left: count, done }; });
      const client = async (k: number): Promise<void> => {
        for (let n = 0; !stop; n++) {
          const i = (k + n) % held.frames.length;
          let r;
          try {
            r = await detectOnce(server, i);
          } catch (error) {
            failures.push(`request failed: ${String(error)} ${String((error as { cause?: unknown }).cause ?? '')}`);
            continue;
          }
          requests++;
          seen.set(r.sha, (seen.get(r.sha) ?? 0) + 1);
          const want = expected.get(r.sha);
          if (r.status !== 200) failures.push(`status ${r.status}`);
          else if (want === undefined) failures.push(`unknown model ${r.sha}`);
          else if (want[i] !== r.detections) failures.push(`frame ${i} on ${r.sha.slice(0, 8)}: ${r.detections} != ${want[i]}`);
          if (waiting !== undefined && waiting.sha === r.sha && --waiting.left === 0) waiting.done();
        }
      };
      const first = answeredBy(shaOf(bundled));
      const clients = [0, 1, 2, 3].map(client);
      await first;
      let swaps = 0;
      for (let round = 0; round < 3; round++) {
        for (const bytes of [v2, floatBytes, v3]) {
          const served = answeredBy(shaOf(bytes));
          const r = await putModel(server, bytes, '?replace=1');
          swaps++;
          t.is(r.status, 200, JSON.stringify(r.json));
          await served;
        }
        // back to the float model, which v3 replaced
        const served = answeredBy(shaOf(floatBytes));
        const back = await fetch(`${server.url}/model/rollback`, { method: 'POST' });
        swaps++;
        t.is(back.status, 200);
        await served;
      }
      stop = true;
      await Promise.all(clients);
      t.deepEqual(failures, []);
      t.deepEqual([...seen.keys()].sort(), [bundled, v2, floatBytes, v3].map(shaOf).sort(), 'every model answered');
      t.true(requests >= 4 * (1 + 3 * 4), `${requests} requests`);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      t.is(metric(metrics, 'xtml_model_swaps_total'), swaps);
      t.is(metric(metrics, 'xtml_inferences_total'), requests);
    } finally {
      await server.close();
    }
  });

  test(`${backend}: PUT /model has its own limit (maxModelBytes), frames keep theirs`, async (t) => {
    const server = await startServer({ backend, port: 0, logger: quiet, maxModelBytes: 32 * 1024 });
    try {
      const model = await sendStreamed(`${server.url}/model`, v2.length, v2.length, 'PUT');
      t.deepEqual([model.status, (model.json['error'] as { code?: string } | undefined)?.code], [413, 'BODY_TOO_LARGE']);
      t.regex((model.json['error'] as { message: string }).message, /the limit is 32768$/);
      const frame = new Uint8Array(208 * 200).fill(235);   // 41600 bytes: over the model limit, under the frame limit
      const r = await fetch(`${server.url}/detect?width=208&height=200`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(frame) });
      t.is(r.status, 200);
      t.like(((await (await fetch(`${server.url}/model`)).json()) as { limits: unknown }).limits, { max_model_bytes: 32 * 1024, max_body_bytes: 4 << 20 });
    } finally {
      await server.close();
    }
  });

  test(`${backend}: a model that does not fit the pipeline is refused unless the request replaces its expectations; rollback needs somewhere to go`, async (t) => {
    const server = await startServer({ backend, port: 0, logger: quiet });
    try {
      const none = await fetch(`${server.url}/model/rollback`, { method: 'POST' });
      t.is(none.status, 409);
      t.is(((await none.json()) as { error: { code: string } }).error.code, 'NO_ROLLBACK');
      const r = await putModel(server, floatBytes);
      t.deepEqual([r.status, (r.json['error'] as { code: string }).code], [409, 'MODEL_MISMATCH']);
      t.regex((r.json['error'] as { message: string }).message, /float32\[1,96,96,1\].*int8\[1,96,96,1\]/);
      const replaced = await putModel(server, floatBytes, '?replace=1');
      t.is(replaced.status, 200);
      t.is((await detectOnce(server, 1)).sha, shaOf(floatBytes));
      const back = await fetch(`${server.url}/model/rollback`, { method: 'POST' });
      t.is(back.status, 200);
      t.is((await detectOnce(server, 1)).sha, shaOf(bundled));
    } finally {
      await server.close();
    }
  });

  test(`${backend}: GET /metrics counts inferences, errors, labels and latency; /drift's PSI is the one computed here, alerts once; /profile averages operators`, async (t) => {
    const notes: string[] = [];
    const server = await startServer({
      backend, port: 0, logger: (level, message) => notes.push(`${level}: ${message}`), drift: { window: 60, minFrames: 30, sampleEvery: 10, threshold: 0.25 },
    });
    const raw = (data: Uint8Array) => fetch(`${server.url}/detect?width=96&height=96`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(data) });
    try {
      // frames 101..160: held-out frames that are not among the known frames (1..100) of the baseline
      const heldAll = loadHeldOut(161);
      const sent = heldAll.frames.slice(101, 161);
      const perLabel = new Map<string, number>();
      let empty = 0;
      for (const frame of sent) {
        const body = await (await raw(frame)).json() as { detections: { label: string }[] };
        if (body.detections.length === 0) empty++;
        for (const d of body.detections) perLabel.set(d.label, (perLabel.get(d.label) ?? 0) + 1);
      }
      t.is((await fetch(`${server.url}/detect`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status, 415);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      t.is(metric(text, 'xtml_inferences_total'), 60);
      t.is(metric(text, 'xtml_errors_total{code="UNSUPPORTED_MEDIA_TYPE"}'), 1);
      t.is(metric(text, 'xtml_frames_without_detection_total'), empty);
      for (const [label, n] of perLabel) t.is(metric(text, `xtml_detections_total{label="${label}"}`), n, label);
      for (const stage of ['preprocess', 'invoke', 'decode']) {
        t.is(metric(text, `xtml_stage_latency_ms_count{stage="${stage}"}`), 60);
        t.is(metric(text, `xtml_stage_latency_ms_bucket{stage="${stage}",le="+Inf"}`), 60);
      }
      t.is(metric(text, 'xtml_top_score_count'), 60);
      t.is(metric(text, 'xtml_top_score_bucket{le="0.1"}'), empty, 'empty frames have top score 0');
      t.regex(text, /^xtml_model_info\{id="xs-tinyml digit detector",sha256="[0-9a-f]{64}"\} 1$/m);
      t.regex(text, /^# TYPE xtml_stage_latency_ms histogram$/m);

      // the PSIs against the baseline of known frames 1..100, computed here from the oracle's detections
      const baseline = driftCounts(heldAll.frames.slice(1, 101));
      const recent = driftCounts(sent);
      const ordinary = await (await fetch(`${server.url}/drift`)).json() as {
        psi: number; scorePsi: number; labelPsi: number; alert: boolean; frames: number; baseline: { scores: number[]; labels: number[] };
      };
      t.deepEqual(ordinary.baseline, baseline, 'the baseline is what the model finds on the known frames');
      const want = { score: psiOf(recent.scores, baseline.scores), labels: psiOf(recent.labels, baseline.labels) };
      t.true(Math.abs(metric(text, 'xtml_drift_psi{signal="top_score"}') - want.score) < 1e-6, `top score PSI ${want.score}`);
      t.true(Math.abs(metric(text, 'xtml_drift_psi{signal="labels"}') - want.labels) < 1e-6, `label PSI ${want.labels}`);
      t.true(Math.abs(ordinary.psi - Math.max(want.score, want.labels)) < 1e-9);
      t.is(ordinary.frames, 60);
      t.is(ordinary.alert, Math.max(want.score, want.labels) > 0.25);
      t.false(ordinary.alert, `ordinary frames: PSI ${ordinary.psi}`);
      t.is(metric(text, 'xtml_drift_alert'), 0);
      t.is(metric(text, 'xtml_drift_window_frames'), 60);

      // the camera now sees a blank wall: nothing is ever found
      const blank = new Uint8Array(96 * 96).fill(235);
      t.deepEqual(oracleDetections(blank), []);
      for (let i = 0; i < 60; i++) await raw(blank);
      const skewed = await (await fetch(`${server.url}/drift`)).json() as { psi: number; alert: boolean; history: [number, number][]; recent: { labels: number[] } };
      const blanks = { scores: [60, 0, 0, 0, 0, 0, 0, 0, 0, 0], labels: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60] };
      const skewedPsi = Math.max(psiOf(blanks.scores, baseline.scores), psiOf(blanks.labels, baseline.labels));
      t.true(Math.abs(skewed.psi - skewedPsi) < 1e-9, `PSI ${skewed.psi}, computed ${skewedPsi}`);
      t.true(skewed.alert, `PSI ${skewed.psi}`);
      t.deepEqual(skewed.recent.labels, blanks.labels, 'the window holds 60 empty frames');
      t.is(skewed.history.length, 12);
      const afterBlanks = await (await fetch(`${server.url}/metrics`)).text();
      t.is(metric(afterBlanks, 'xtml_drift_alert'), 1);
      t.true(Math.abs(metric(afterBlanks, 'xtml_drift_psi{signal="labels"}') - psiOf(blanks.labels, baseline.labels)) < 1e-6);
      // still drifting: the warning is not repeated
      for (let i = 0; i < 30; i++) await raw(blank);
      await fetch(`${server.url}/healthz`);   // the notes of XS come up the pipe before its next answer
      // the alert came at the first sample (every 10 frames) whose window, ordinary frames then blanks, is over the threshold
      let alertPsi = NaN;
      for (let k = 10; k <= 60 && Number.isNaN(alertPsi); k += 10) {
        const window = driftCounts(sent.slice(k));
        window.scores[0]! += k;
        window.labels[11]! += k;
        const value = Math.max(psiOf(window.scores, baseline.scores), psiOf(window.labels, baseline.labels));
        if (value > 0.25) alertPsi = value;
      }
      const driftNotes = notes.filter((n) => n.startsWith('warn: drift: '));
      t.is(driftNotes.length, 1, `logged once: ${notes.join(' | ')}`);
      t.true(driftNotes[0]?.startsWith(`warn: drift: PSI ${alertPsi.toFixed(3)} over threshold 0.25 `), driftNotes[0]);

      const profile = await (await fetch(`${server.url}/profile`)).json() as { inferences: number; operators: { name: string; ms: number }[] };
      const model = await (await fetch(`${server.url}/model`)).json() as { operators: { name: string }[] };
      t.is(profile.inferences, 32, 'the last 32 inferences');
      t.deepEqual(profile.operators.map((o) => o.name), model.operators.map((o) => o.name));
      t.true(profile.operators.every((o) => Number.isFinite(o.ms) && o.ms >= 0));
    } finally {
      await server.close();
    }
  });
}

for (const backend of backends) {
  test(`${backend}: with a signing key, a model needs a good Ed25519 signature over its SHA-256`, async (t) => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const server = await startServer({ backend, port: 0, logger: quiet, signingKey: pem });
    const signature = (bytes: Uint8Array, key = privateKey): string => sign(null, Buffer.from(shaOf(bytes), 'hex'), key).toString('base64');
    try {
      const cases: [string, Record<string, string>, number, string][] = [
        ['no signature', {}, 401, 'SIGNATURE_REQUIRED'],
        ['a signature by another key', { 'x-model-signature': signature(v2, other.privateKey) }, 403, 'BAD_SIGNATURE'],
        ['the signature of another model', { 'x-model-signature': signature(v3) }, 403, 'BAD_SIGNATURE'],
        ['a truncated signature', { 'x-model-signature': signature(v2).slice(0, 40) }, 403, 'BAD_SIGNATURE'],
        ['not base64', { 'x-model-signature': '!!!' }, 400, 'BAD_SIGNATURE'],
      ];
      for (const [what, headers, status, code] of cases) {
        const r = await putModel(server, v2, '', headers);
        t.deepEqual([r.status, (r.json['error'] as { code?: string } | undefined)?.code], [status, code], what);
      }
      t.is((await detectOnce(server, 1)).sha, shaOf(bundled), 'the old model still serves');
      const ok = await putModel(server, v2, '', { 'x-model-signature': signature(v2) });
      t.is(ok.status, 200);
      t.is((await detectOnce(server, 1)).sha, shaOf(v2));
    } finally {
      await server.close();
    }
  });
}

for (const backend of backends) {
  test(`${backend}: with a state directory an update survives a restart`, async (t) => {
    const stateDir = join(scratch, `state-${backend}`);
    let server = await startServer({ backend, port: 0, logger: quiet, stateDir });
    try {
      t.is((await putModel(server, v2)).status, 200);
    } finally {
      await server.close();
    }
    server = await startServer({ backend, port: 0, logger: quiet, stateDir });
    try {
      const facts = await modelFacts(server);
      t.is(facts.sha256, shaOf(v2));
      t.like(facts.service, { source: 'a', rollback: 'bundled', persistent: true });
      t.is((await detectOnce(server, 1)).sha, shaOf(v2));
    } finally {
      await server.close();
    }
  });
}

for (const backend of backends) {
  test(`${backend}: after a rollback to the bundled model, a restart keeps the rollback target`, async (t) => {
    const stateDir = join(scratch, `rollback-restart-${backend}`);
    let server = await startServer({ backend, port: 0, logger: quiet, stateDir });
    try {
      t.is((await putModel(server, v2)).status, 200);
      t.is((await fetch(`${server.url}/model/rollback`, { method: 'POST' })).status, 200);
      t.like((await modelFacts(server)).service, { source: 'bundled', rollback: 'a' });
    } finally {
      await server.close();
    }
    server = await startServer({ backend, port: 0, logger: quiet, stateDir });
    try {
      const facts = await modelFacts(server);
      t.is(facts.sha256, shaOf(bundled));
      t.like(facts.service, { source: 'bundled', rollback: 'a' }, 'the record on disk says the rollback goes to slot a');
      const back = await fetch(`${server.url}/model/rollback`, { method: 'POST' });
      t.is(back.status, 200, await back.clone().text());
      t.is(((await back.json()) as { sha256: string }).sha256, shaOf(v2));
    } finally {
      await server.close();
    }
  });
}

for (const backend of backends) {
  test(`${backend}: /metrics counts each failed request once, also a body refused from its headers or while it streams`, async (t) => {
    const server = await startServer({ backend, port: 0, logger: quiet, maxBodyBytes: 64 * 1024 });
    try {
      const bad = await fetch(`${server.url}/detect?width=95&height=96`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(held.frames[1]!) });
      t.is(bad.status, 400);
      const declared = await sendStreamed(`${server.url}/detect?width=512&height=512`, 128 * 1024, 128 * 1024);
      t.deepEqual([declared.status, (declared.json['error'] as { code: string }).code], [413, 'BODY_TOO_LARGE']);
      const chunked = await sendStreamed(`${server.url}/detect?width=512&height=512`, 128 * 1024, undefined);
      t.deepEqual([chunked.status, (chunked.json['error'] as { code: string }).code], [413, 'BODY_TOO_LARGE']);
      const png = await fetch(`${server.url}/detect`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: Buffer.from('\x89PNG\r\n\x1a\n not really', 'latin1') });
      t.is(png.status, 400);
      const model = await sendStreamed(`${server.url}/model`, 128 * 1024, 128 * 1024, 'PUT');
      t.deepEqual([model.status, (model.json['error'] as { code: string }).code], [413, 'BODY_TOO_LARGE']);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      t.is(metric(text, 'xtml_errors_total{code="BAD_DIMENSIONS"}'), 1);
      t.is(metric(text, 'xtml_errors_total{code="BODY_TOO_LARGE"}'), 3);
      t.is(metric(text, 'xtml_errors_total{code="CORRUPT_IMAGE"}'), 1, 'a PNG that does not decode (on xs: decoded on the Node side)');
      t.is(metric(text, 'xtml_inferences_total'), 0);
    } finally {
      await server.close();
    }
  });
}

for (const backend of backends) {
  test(`${backend}: PUT of the model in service changes nothing; a second rollback goes back to the model rolled back from`, async (t) => {
    const server = await startServer({ backend, port: 0, logger: quiet });
    try {
      for (let i = 0; i < 3; i++) t.is((await detectOnce(server, i)).status, 200);
      const same = await putModel(server, bundled);
      t.is(same.status, 200, JSON.stringify(same.json));
      t.is(same.json['changed'], false);
      t.is(same.json['sha256'], shaOf(bundled));
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      t.is(metric(metrics, 'xtml_model_swaps_total'), 0);
      t.is(((await (await fetch(`${server.url}/drift`)).json()) as { frames: number }).frames, 3, 'the drift window is kept');
      t.is(((await (await fetch(`${server.url}/profile`)).json()) as { inferences: number }).inferences, 3, 'the profile is kept');
      t.like((await modelFacts(server)).service, { source: 'bundled', rollback: null });
      const update = await putModel(server, v2);
      t.is(update.json['changed'], true);
      t.is((await putModel(server, v2)).json['changed'], false);
      // rollback swaps the model in service and the rollback target: twice is back where it started
      const first = await fetch(`${server.url}/model/rollback`, { method: 'POST' });
      t.is(((await first.json()) as { sha256: string }).sha256, shaOf(bundled));
      const second = await fetch(`${server.url}/model/rollback`, { method: 'POST' });
      t.is(((await second.json()) as { sha256: string }).sha256, shaOf(v2));
      t.like((await modelFacts(server)).service, { rollback: 'bundled' });
      t.is(metric(await (await fetch(`${server.url}/metrics`)).text(), 'xtml_model_swaps_total'), 3);
    } finally {
      await server.close();
    }
  });
}

test('an option the XS backend cannot honour is refused at start, by name', async (t) => {
  await t.throwsAsync(startServer({ backend: 'xs', port: 0, logger: quiet, storage: new MemoryStorage() }),
    { instanceOf: TypeError, message: /--backend xs cannot use a storage object/ });
});
