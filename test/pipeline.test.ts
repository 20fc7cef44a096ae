// The detection pipeline of src/ (issue 5): identical detections on
// WebAssembly, the Node addon and the XS desktop host (which runs the same
// src/ code, compiled, behind the same REST API); pixel formats, cropping and
// area-average resizing feed the model what they should; a classifier with a
// sidecar; models and frames the pipeline cannot use are refused by name.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { startServer, type RunningServer } from '../host-sim/node/server.js';
import { ImageError, InferenceSession, ModelSpecError, encodePgm, sha256Hex, loadModel, modelSpec, type Frame, type LoadedModel } from '../src/index.js';
import { int8ModelPath, loadHeldOut } from '../tools/detector.js';
import { loadManifest, referenceAvailable } from './support/reference.js';

const FRAMES = 30;
const held = loadHeldOut(FRAMES);
const gray = (i: number): Frame => ({ width: held.width, height: held.height, format: 'gray8', data: held.frames[i]! });
const modelBytes = new Uint8Array(readFileSync(int8ModelPath));

function detector(): LoadedModel {
  return loadModel(loadBinding('wasm'), modelBytes, { sha256: 'test', bytes: modelBytes.length });
}

function summary(model: LoadedModel, frame: Frame, fit: 'crop' | 'stretch' = 'crop'): string[] {
  const r = model.pipeline.process(frame, fit);
  return r.items.slice(0, r.count).map((d) => `${d.label}@${d.cx.toFixed(6)},${d.cy.toFixed(6)} ${d.score}`);
}

test('detections are identical on WebAssembly, the Node addon and the XS host, through the REST API', async (t) => {
  const servers: RunningServer[] = [];
  try {
    for (const backend of ['wasm', 'node', 'xs'] as const) servers.push(await startServer({ backend, port: 0 }));
    const facts = await Promise.all(servers.map(async (s) => (await fetch(`${s.url}/model`)).json() as Promise<{ backend: string; sha256: string }>));
    t.deepEqual(facts.map((f) => f.backend), ['wasm', 'node', 'xs']);
    t.is(new Set(facts.map((f) => f.sha256)).size, 1);
    let objects = 0;
    for (let i = 0; i < FRAMES; i++) {
      const answers = await Promise.all(servers.map(async (s) => {
        const r = await fetch(`${s.url}/detect`, { method: 'POST', headers: { 'content-type': 'image/x-portable-graymap' }, body: Buffer.from(encodePgm(gray(i))) });
        t.is(r.status, 200);
        return JSON.stringify(((await r.json()) as { detections: unknown[] }).detections);
      }));
      t.is(answers[1], answers[0], `frame ${i}: node vs wasm`);
      t.is(answers[2], answers[0], `frame ${i}: xs vs wasm`);
      objects += (JSON.parse(answers[0]!) as unknown[]).length;
    }
    t.true(objects > FRAMES, `the frames hold digits (${objects} detections)`);
    // a bad request to the XS host gets the same error as on WebAssembly
    const bad = await Promise.all(servers.map(async (s) => {
      const r = await fetch(`${s.url}/detect?width=95&height=96`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(held.frames[0]!) });
      return `${r.status} ${((await r.json()) as { error: { code: string } }).error.code}`;
    }));
    t.deepEqual(bad, ['400 BAD_DIMENSIONS', '400 BAD_DIMENSIONS', '400 BAD_DIMENSIONS']);
  } finally {
    for (const s of servers) await s.close();
  }
});

test('RGB888, RGBA and RGB565 frames of a grey scene feed the model what a grey frame does', (t) => {
  const model = detector();
  try {
    const frame = gray(1);
    const want = summary(model, frame);
    const grayInput = Int8Array.from(model.pipeline.lastInput() as Int8Array);
    const n = frame.data.length;
    const rgb = new Uint8Array(3 * n), rgba = new Uint8Array(4 * n), le = new Uint8Array(2 * n), be = new Uint8Array(2 * n);
    frame.data.forEach((v, i) => {
      rgb.set([v, v, v], 3 * i);
      rgba.set([v, v, v, 255], 4 * i);
      const p = ((v >> 3) << 11) | ((v >> 2) << 5) | (v >> 3);
      le.set([p & 255, p >> 8], 2 * i);
      be.set([p >> 8, p & 255], 2 * i);
    });
    t.deepEqual(summary(model, { ...frame, format: 'rgb888', data: rgb }), want);
    t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), grayInput, 'luma of equal R, G, B is the grey level');
    t.deepEqual(summary(model, { ...frame, format: 'rgba8888', data: rgba }), want);
    const fromLe = summary(model, { ...frame, format: 'rgb565le', data: le });
    const leInput = Int8Array.from(model.pipeline.lastInput() as Int8Array);
    t.deepEqual(summary(model, { ...frame, format: 'rgb565be', data: be }), fromLe, 'byte order is honoured');
    t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), leInput);
    // 5/6-bit channels lose the low bits: every input within 8 levels of the grey frame's
    t.true(leInput.every((q, i) => Math.abs(q - grayInput[i]!) <= 8));
  } finally {
    model.session.release();
  }
});

test('a taller frame is cropped to its middle; stretch keeps all of it', (t) => {
  const model = detector();
  try {
    const pad = 16, h = held.height + 2 * pad;
    const tall = new Uint8Array(held.width * h).fill(255);
    tall.set(held.frames[1]!, pad * held.width);
    const want = summary(model, gray(1));
    const wantInput = Int8Array.from(model.pipeline.lastInput() as Int8Array);
    const r = model.pipeline.process({ width: held.width, height: h, format: 'gray8', data: tall });
    t.deepEqual({ ...r.region }, { x: 0, y: pad, w: held.width, h: held.height });
    t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), wantInput);
    t.deepEqual(r.items.slice(0, r.count).map((d) => `${d.label}@${d.cx.toFixed(6)},${(d.cy - pad).toFixed(6)} ${d.score}`), want);
    const s = model.pipeline.process({ width: held.width, height: h, format: 'gray8', data: tall }, 'stretch');
    t.deepEqual({ ...s.region }, { x: 0, y: 0, w: held.width, h });
  } finally {
    model.session.release();
  }
});

test('frames that do not match their description are refused with ImageError', (t) => {
  const model = detector();
  try {
    const cases: [Frame, ImageError['code']][] = [
      [{ width: 96, height: 96, format: 'gray8', data: new Uint8Array(100) }, 'BAD_DIMENSIONS'],
      [{ width: 0, height: 96, format: 'gray8', data: new Uint8Array(0) }, 'BAD_DIMENSIONS'],
      [{ width: 96, height: 96, format: 'yuv' as 'gray8', data: new Uint8Array(9216) }, 'BAD_DIMENSIONS'],
      [{ width: 5000, height: 5000, format: 'gray8', data: new Uint8Array(1) }, 'IMAGE_TOO_LARGE'],
    ];
    for (const [frame, code] of cases) {
      const error = t.throws(() => model.pipeline.process(frame), { instanceOf: ImageError });
      t.is(error?.code, code);
    }
    t.deepEqual(summary(model, gray(1)), summary(model, gray(1)), 'still runs afterwards');
  } finally {
    model.session.release();
  }
});

test('the description the detector carries gives labels, thresholds and the grid', (t) => {
  const model = detector();
  try {
    const { spec } = model;
    t.is(spec.labels.length, 11);
    t.is(spec.labels[0], 'background');
    t.like(spec.decoding, { kind: 'grid', rows: 12, cols: 12, background: 0, connectivity: 8 });
    t.like(spec.input, { width: 96, height: 96, channels: 1 });
    t.throws(() => modelSpec(model.session, JSON.stringify({ labels: ['a', 'b'] })), { instanceOf: ModelSpecError, message: /2 entries, the output has 11/ });
    t.throws(() => modelSpec(model.session, 'not json'), { instanceOf: ModelSpecError });
    t.throws(() => modelSpec(model.session, JSON.stringify({ decode: { connectivity: 6 } })), { instanceOf: ModelSpecError, message: /connectivity/ });
  } finally {
    model.session.release();
  }
});

const reference = referenceAvailable() ? loadManifest('models') : [];
const personDetect = reference.find((m) => m.id === 'tflm_person_detect');

test('a classifier with a sidecar: person_detect reports its top labels from its own outputs', (t) => {
  if (personDetect === undefined) {
    t.pass('reference models absent');
    return;
  }
  const bytes = new Uint8Array(readFileSync(join(personDetect.base, personDetect.model)));
  const binding = loadBinding('wasm');
  // input scale 2/255, zero point -1: pixels v stand for (v - 127) * 2/255, so q = v - 128 exactly
  const sidecar = JSON.stringify({ name: 'person_detect', labels: ['no person', 'person'], input: { range: [-254 / 255, 256 / 255] }, decode: { top_k: 2 } });
  const model = loadModel(binding, bytes, { sha256: 'x', bytes: bytes.length }, { sidecar });
  try {
    t.is(model.id, 'person_detect');
    t.is(model.spec.decoding.kind, 'classifier');
    for (const vector of (personDetect.vectors ?? []).filter((v) => v.name.startsWith('real_'))) {
      const input = Int8Array.from(readFileSync(join(personDetect.base, vector.input)), (b) => (b << 24) >> 24);
      const want = Int8Array.from(readFileSync(join(personDetect.base, vector.output)), (b) => (b << 24) >> 24);
      const frame: Frame = { width: 96, height: 96, format: 'gray8', data: Uint8Array.from(input, (q) => q + 128) };
      const r = model.pipeline.process(frame);
      t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), input, `${vector.name}: the pipeline feeds the vector's bytes`);
      const scores = Array.from(want, (q) => (q + 128) / 256);
      const order = scores[1]! > scores[0]! ? [1, 0] : [0, 1];
      t.deepEqual(r.items.slice(0, r.count).map((d) => [d.label, d.score]), order.map((i) => [model.spec.labels[i], scores[i]]), vector.name);
    }
  } finally {
    model.session.release();
  }
});

test('models the pipeline cannot drive are refused with ModelSpecError and released', (t) => {
  const add = reference.find((m) => m.id === 'tflm_simple_add_model');
  if (add === undefined) {
    t.pass('reference models absent');
    return;
  }
  const bytes = new Uint8Array(readFileSync(join(add.base, add.model)));
  const session = InferenceSession.create(loadBinding('wasm'), bytes);
  const io = `${session.inputs.length} in, ${session.outputs.length} out, ${JSON.stringify(session.inputs[0]!.dims)}`;
  session.release();
  t.throws(() => loadModel(loadBinding('wasm'), bytes, { sha256: 'x', bytes: bytes.length }), { instanceOf: ModelSpecError }, io);
});

test('src/sha256.ts agrees with node:crypto at every length around the block boundaries', (t) => {
  for (let n = 0; n < 300; n++) {
    const bytes = randomBytes(n);
    t.is(sha256Hex(new Uint8Array(bytes)), createHash('sha256').update(bytes).digest('hex'), `${n} bytes`);
  }
  t.is(sha256Hex(modelBytes), createHash('sha256').update(modelBytes).digest('hex'));
});

test('the XS host runs the model service too: updates, rollback and metrics through the same src/ code', async (t) => {
  const server = await startServer({ backend: 'xs', port: 0, logger: () => undefined });
  try {
    const variant = Uint8Array.from(modelBytes);
    const m = /"version":\s*1\b/.exec(Buffer.from(variant).toString('latin1'))!;
    variant[m.index + m[0].length - 1] = 0x39;
    const put = await fetch(`${server.url}/model`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(variant) });
    t.is(put.status, 200);
    t.is(((await put.json()) as { sha256: string }).sha256, createHash('sha256').update(variant).digest('hex'), 'hashed on XS by src/sha256.ts');
    const bad = await fetch(`${server.url}/model`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(modelBytes.subarray(0, 1000)) });
    t.is(bad.status, 422);
    t.regex(((await bad.json()) as { error: { code: string } }).error.code, /^XTML_STATUS_/);
    const back = await fetch(`${server.url}/model/rollback`, { method: 'POST' });
    t.is(back.status, 200);
    t.is(((await back.json()) as { sha256: string }).sha256, createHash('sha256').update(modelBytes).digest('hex'));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    t.regex(metrics, /^xtml_model_swaps_total 2$/m);
    t.regex(metrics, /^xtml_errors_total\{code="XTML_STATUS_MODEL_\w+"\} 1$/m);
  } finally {
    await server.close();
  }
});
