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
import { needs, optionalTest } from './support/optional.js';
import { oracleDetections } from './support/oracle.js';
import { loadManifest, referenceAvailable } from './support/reference.js';
import { writeTflite } from './support/tflite-writer.js';

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
    // still runs afterwards, and finds what the independent decoding finds
    const after = model.pipeline.process(gray(1));
    const oracle = oracleDetections(held.frames[1]!);
    t.deepEqual(after.items.slice(0, after.count).map((d) => d.label), oracle.map((d) => d.label));
    after.items.slice(0, after.count).forEach((d, k) => t.true(Math.abs(d.cx - oracle[k]!.cx) < 1e-9 && Math.abs(d.score - oracle[k]!.score) < 1e-9));
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

optionalTest('a classifier with a sidecar: person_detect reports its top labels from its own outputs', [needs.reference], (t) => {
  if (personDetect === undefined) throw new Error('tflm_person_detect is not in the reference manifest');
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

optionalTest('models the pipeline cannot drive are refused with ModelSpecError and released', [needs.reference], (t) => {
  const add = reference.find((m) => m.id === 'tflm_simple_add_model');
  if (add === undefined) throw new Error('tflm_simple_add_model is not in the reference manifest');
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

// ---- pixels: colour, channels, resizing, each computed here ----

/** BT.601 luma in 8-bit fixed point, as the pipeline documents it: (77 R + 150 G + 29 B + 128) >> 8. */
const luma = (r: number, g: number, b: number): number => (77 * r + 150 * g + 29 * b + 128) >> 8;
/** 5- and 6-bit channels to 8 bits, repeating the top bits. */
const five = (v: number): number => (v << 3) | (v >> 2);
const six = (v: number): number => (v << 2) | (v >> 4);

/** Seeded bytes (xorshift32, top byte of each state). */
function noise(seed: number, count: number): Uint8Array {
  let x = seed;
  return Uint8Array.from({ length: count }, () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x >>> 24;
  });
}

/**
 * The input the pipeline should feed for a frame given as a function of
 * (x, y, channel) -> 0..255: the region's rows and columns split at
 * floor(i * size / n), each input pixel the rounded mean of its box (at least
 * one source pixel), quantized as q = pixel - 128 (scale 1/255, zero point -128).
 */
function expectedInput(pixel: (x: number, y: number, c: number) => number, region: { x: number; y: number; w: number; h: number },
  inW: number, inH: number, channels: number): Int8Array {
  const out = new Int8Array(inW * inH * channels);
  let o = 0;
  for (let oy = 0; oy < inH; oy++) {
    const y0 = region.y + Math.floor((oy * region.h) / inH);
    const y1 = Math.max(y0 + 1, region.y + Math.floor(((oy + 1) * region.h) / inH));
    for (let ox = 0; ox < inW; ox++) {
      const x0 = region.x + Math.floor((ox * region.w) / inW);
      const x1 = Math.max(x0 + 1, region.x + Math.floor(((ox + 1) * region.w) / inW));
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += pixel(x, y, c);
        const n = (y1 - y0) * (x1 - x0);
        out[o++] = Math.floor((sum + (n >> 1)) / n) - 128;
      }
    }
  }
  return out;
}

/** A model with an RGB input [1,h,w,3] (scale 1/255, zero point -128) and a two-label classifier head. */
function rgbModel(h: number, w: number): LoadedModel {
  const depth = h * w * 3;
  const bytes = writeTflite({
    tensors: [
      { name: 'image', type: 'int8', shape: [1, h, w, 3], scale: [1 / 255], zeroPoint: [-128] },
      { name: 'weights', type: 'int8', shape: [2, depth], data: noise(7, 2 * depth), scale: [0.01], zeroPoint: [0] },
      { name: 'scores', type: 'int8', shape: [1, 2], scale: [1 / 256], zeroPoint: [-128] },
    ],
    operators: [{ builtin: 9 /* FULLY_CONNECTED */, version: 4, inputs: [0, 1, -1], outputs: [2], optionsType: 8, options: [{ type: 'i8', value: 0 }] }],
    inputs: [0],
    outputs: [2],
  });
  return loadModel(loadBinding('wasm'), bytes, { sha256: 'rgb', bytes: bytes.length }, { sidecar: JSON.stringify({ name: 'rgb', labels: ['a', 'b'], decode: { top_k: 1 } }) });
}

test("colour to grey: each format's channels in their order, BT.601 weights (R, G, B differ in every pixel)", (t) => {
  const model = detector();
  try {
    const n = 96 * 96;
    const rgb = noise(11, 3 * n);
    const input = (): Int8Array => Int8Array.from(model.pipeline.lastInput() as Int8Array);
    const want888 = Int8Array.from({ length: n }, (_, i) => luma(rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!) - 128);
    model.pipeline.process({ width: 96, height: 96, format: 'rgb888', data: rgb });
    t.deepEqual(input(), want888, 'rgb888');
    const rgba = new Uint8Array(4 * n);
    for (let i = 0; i < n; i++) rgba.set([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 17], 4 * i);
    model.pipeline.process({ width: 96, height: 96, format: 'rgba8888', data: rgba });
    t.deepEqual(input(), want888, 'rgba8888 (alpha ignored)');
    const words = noise(13, 2 * n);
    const le = new Uint8Array(2 * n), be = new Uint8Array(2 * n);
    const want565 = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      const v = words[2 * i]! | (words[2 * i + 1]! << 8);
      le.set([v & 255, v >> 8], 2 * i);
      be.set([v >> 8, v & 255], 2 * i);
      want565[i] = luma(five(v >> 11), six((v >> 5) & 63), five(v & 31)) - 128;
    }
    model.pipeline.process({ width: 96, height: 96, format: 'rgb565le', data: le });
    t.deepEqual(input(), want565, 'rgb565le');
    model.pipeline.process({ width: 96, height: 96, format: 'rgb565be', data: be });
    t.deepEqual(input(), want565, 'rgb565be');
    // pure primaries: red, green and blue weigh 77, 150 and 29 (swapping R and B would show)
    for (const [name, colour, level] of [['red', [255, 0, 0], 77], ['green', [0, 255, 0], 149], ['blue', [0, 0, 255], 29]] as [string, [number, number, number], number][]) {
      const frame = new Uint8Array(3 * n);
      for (let i = 0; i < n; i++) frame.set(colour, 3 * i);
      model.pipeline.process({ width: 96, height: 96, format: 'rgb888', data: frame });
      t.true(input().every((q) => q === level - 128), name);
      t.true(Math.abs(level - (0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2])) < 1, `${name}: within a level of BT.601's real weights`);
    }
  } finally {
    model.session.release();
  }
});

test('a 3-channel model gets R, G and B of each pixel, from every format', (t) => {
  const model = rgbModel(6, 8);
  try {
    t.is(model.spec.input.channels, 3);
    const rgb = noise(17, 8 * 6 * 3);
    const want = expectedInput((x, y, c) => rgb[3 * (y * 8 + x) + c]!, { x: 0, y: 0, w: 8, h: 6 }, 8, 6, 3);
    const r = model.pipeline.process({ width: 8, height: 6, format: 'rgb888', data: rgb });
    t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), want);
    t.is(r.count, 1, 'the classifier reports its top label');
    const gray = noise(19, 48);
    model.pipeline.process({ width: 8, height: 6, format: 'gray8', data: gray });
    t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), expectedInput((x, y) => gray[y * 8 + x]!, { x: 0, y: 0, w: 8, h: 6 }, 8, 6, 3), 'grey fills all three channels');
    const words = noise(23, 96);
    const be = Uint8Array.from(words);
    model.pipeline.process({ width: 8, height: 6, format: 'rgb565be', data: be });
    const channel = (x: number, y: number, c: number): number => {
      const v = (be[2 * (y * 8 + x)]! << 8) | be[2 * (y * 8 + x) + 1]!;
      return c === 0 ? five(v >> 11) : c === 1 ? six((v >> 5) & 63) : five(v & 31);
    };
    t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), expectedInput(channel, { x: 0, y: 0, w: 8, h: 6 }, 8, 6, 3), 'rgb565be');
  } finally {
    model.session.release();
  }
});

test("resizing: crops to the model's aspect and averages uneven boxes; stretch and upscaling too", (t) => {
  const model = rgbModel(6, 8);
  try {
    const cases: [string, number, number, 'crop' | 'stretch', { x: number; y: number; w: number; h: number }][] = [
      // 21x13: wider than 8:6, so the middle 17 (13 * 8 / 6 = 17.3) columns from column 2
      ['a wide frame, cropped', 21, 13, 'crop', { x: 2, y: 0, w: 17, h: 13 }],
      // 9x23: taller, so the middle 7 (9 * 6 / 8 = 6.75) rows from row 8
      ['a tall frame, cropped', 9, 23, 'crop', { x: 0, y: 8, w: 9, h: 7 }],
      ['a wide frame, stretched', 21, 13, 'stretch', { x: 0, y: 0, w: 21, h: 13 }],
      ['a smaller frame, upscaled', 5, 4, 'stretch', { x: 0, y: 0, w: 5, h: 4 }],
    ];
    for (const [what, w, h, fit, region] of cases) {
      const rgb = noise(w * 100 + h, w * h * 3);
      const r = model.pipeline.process({ width: w, height: h, format: 'rgb888', data: rgb }, fit);
      t.deepEqual({ ...r.region }, region, what);
      t.deepEqual(Int8Array.from(model.pipeline.lastInput() as Int8Array), expectedInput((x, y, c) => rgb[3 * (y * w + x) + c]!, region, 8, 6, 3), what);
    }
  } finally {
    model.session.release();
  }
  const gray8 = detector();
  try {
    // the detector's 96x96 from a 173x131 camera frame: 131 * 96 / 96 = 131 columns from 21
    const frame = noise(29, 173 * 131);
    const r = gray8.pipeline.process({ width: 173, height: 131, format: 'gray8', data: frame });
    t.deepEqual({ ...r.region }, { x: 21, y: 0, w: 131, h: 131 });
    t.deepEqual(Int8Array.from(gray8.pipeline.lastInput() as Int8Array), expectedInput((x, y) => frame[y * 173 + x]!, r.region, 96, 96, 1));
  } finally {
    gray8.session.release();
  }
});
