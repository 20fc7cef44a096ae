// The REST API against the real desktop server on loopback (issue 5), on each
// backend (WebAssembly, the Node addon, and the XS host, where the API runs in
// XS behind a pipe): correct detections for known held-out frames in every
// image format, and for each bad input (truncated or corrupt PNG/JPEG, headers
// claiming 20000x20000 pixels, an upload over the size limit, a wrong content
// type, an empty body) the right 4xx with a clear message, after which the
// server still answers the known frame exactly as before.
import test from 'ava';
import jpeg from 'jpeg-js';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { startServer, type RunningServer } from '../host-sim/node/server.js';
import type { BackendName } from '../src/binding.js';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession, encodePgm } from '../src/index.js';
import { decode, int8ModelPath, loadDescription, loadHeldOut, overall, score, type Detection } from '../tools/detector.js';
import { sendStreamed, type JsonAnswer } from './support/http.js';

const MAX_BODY = 256 * 1024;
const held = loadHeldOut(12);
const gray = (i: number) => ({ width: held.width, height: held.height, format: 'gray8' as const, data: held.frames[i]! });

function pngOf(i: number): Buffer {
  const png = new PNG({ width: held.width, height: held.height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(held.frames[i]!);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

function jpegOf(i: number, quality = 95): Buffer {
  const rgba = Buffer.alloc(held.width * held.height * 4);
  held.frames[i]!.forEach((v, p) => rgba.set([v, v, v, 255], 4 * p));
  return jpeg.encode({ data: rgba, width: held.width, height: held.height }, quality).data;
}

const backends: BackendName[] = ['wasm', 'node', 'xs'];
const servers = new Map<BackendName, Promise<RunningServer>>();
for (const backend of backends) {
  const started = startServer({ backend, port: 0, maxBodyBytes: MAX_BODY, logger: () => undefined });
  started.catch(() => undefined);
  servers.set(backend, started);
}
test.after.always(async () => {
  for (const started of servers.values()) await (await started.catch(() => undefined))?.close();
});

interface DetectBody {
  detections: { label: string; score: number; x: number; y: number; w: number; h: number; cx: number; cy: number }[];
  model: { id: string; sha256: string };
  timing: Record<string, number>;
  operators?: { name: string; ms: number }[];
}

async function post(server: RunningServer, path: string, body: Uint8Array | string | null, contentType?: string): Promise<JsonAnswer> {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  const r = await fetch(server.url + path, { method: 'POST', headers, ...(body !== null ? { body: typeof body === 'string' ? body : Buffer.from(body) } : {}) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}



/** The detections the model gives for frame i, by the session and the reference decoder of tools/detector.ts. */
function expected(i: number): { label: string; cx: number; cy: number; score: number }[] {
  const session = InferenceSession.create(loadBinding('wasm'), new Uint8Array(readFileSync(int8ModelPath)));
  try {
    const out = session.run([Int8Array.from(held.frames[i]!, (v) => v - 128)])[0]!.data;
    const probs = Array.from(out as Int8Array, (q) => (q + 128) / 256);
    const [, rows, cols, classes] = session.outputs[0]!.dims as number[];
    const rule = loadDescription().decode;
    return decode(probs, rows!, classes!, held.width / cols!, rule.threshold, rule.class_thresholds)
      .map((d) => ({ label: String(d.digit), cx: d.x, cy: d.y, score: d.score }));
  } finally {
    session.release();
  }
}

function errorOf(json: Record<string, unknown>): { code: string; message: string } {
  return (json['error'] ?? {}) as { code: string; message: string };
}

// ---- bad input ----

function pngClaiming(width: number, height: number): Buffer {
  const png = Buffer.from(pngOf(1));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

function jpegClaiming(width: number, height: number): Buffer {
  const bytes = Buffer.from(jpegOf(1));
  for (let at = 2; at + 9 < bytes.length; ) {
    const marker = bytes[at + 1]!;
    if (marker >= 0xc0 && marker <= 0xc3) {
      bytes.writeUInt16BE(height, at + 5);
      bytes.writeUInt16BE(width, at + 7);
      return bytes;
    }
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  throw new Error('no SOF in the test JPEG');
}

const png = pngOf(1);
const jpg = jpegOf(1);
const corruptPng = Buffer.from(png);
corruptPng[png.length - 20] = corruptPng[png.length - 20]! ^ 0xff;   // inside IDAT: the chunk's CRC no longer matches
const corruptJpeg = Buffer.concat([jpg.subarray(0, 200), Buffer.alloc(jpg.length - 200, 0x5a)]);

for (const backend of backends) {
  const server = (): Promise<RunningServer> => servers.get(backend)!;
  const url = async (): Promise<string> => (await server()).url;
  const detect = async (body: Uint8Array | string | null, contentType?: string, query = ''): Promise<JsonAnswer> => post(await server(), `/detect${query}`, body, contentType);

  // ---- known frames ----

  test(`${backend}: POST /detect on held-out frames gives the model's detections (PGM, raw, PNG)`, async (t) => {
    for (let i = 0; i < held.frames.length; i++) {
      const want = expected(i);
      const bodies: [string, Uint8Array, string | undefined, string][] = [
        ['pgm', encodePgm(gray(i)), 'image/x-portable-graymap', ''],
        ['raw', held.frames[i]!, 'application/octet-stream', `?width=${held.width}&height=${held.height}`],
        ['png', pngOf(i), 'image/png', ''],
        ['png, no content type', pngOf(i), undefined, ''],
      ];
      for (const [kind, body, type, query] of bodies) {
        const r = await detect(body, type, query);
        t.is(r.status, 200, `frame ${i} ${kind}: ${JSON.stringify(r.json)}`);
        const got = (r.json as unknown as DetectBody).detections;
        t.deepEqual(got.map((d) => d.label), want.map((d) => d.label), `frame ${i} ${kind}`);
        got.forEach((d, k) => {
          t.true(Math.abs(d.cx - want[k]!.cx) <= 0.01 && Math.abs(d.cy - want[k]!.cy) <= 0.01, `frame ${i} ${kind}: centre`);
          t.true(Math.abs(d.score - want[k]!.score) <= 1e-4, `frame ${i} ${kind}: score`);
          t.true(d.x <= d.cx && d.cx <= d.x + d.w && d.y <= d.cy && d.cy <= d.y + d.h, `frame ${i} ${kind}: the box holds the centre`);
        });
      }
    }
  });

  test(`${backend}: through the API, the first frames' digits are found where they are (F1 at or above the detector's floor)`, async (t) => {
    const found: Detection[][] = [];
    for (let i = 0; i < held.frames.length; i++) {
      const r = await detect(encodePgm(gray(i)), 'image/x-portable-graymap');
      const body = r.json as unknown as DetectBody;
      found.push(body.detections.map((d) => ({ x: d.cx, y: d.cy, digit: Number(d.label), score: d.score })));
      t.is(body.model.sha256.length, 64);
      for (const stage of ['preprocess_ms', 'invoke_ms', 'decode_ms']) t.true(body.timing[stage]! >= 0, stage);
    }
    const { tp, fp, fn, f1 } = overall(score(found, held.truths));
    t.log(`${tp} found, ${fp} false, ${fn} missed: F1 ${f1.toFixed(3)}`);
    t.true(tp >= 20, 'the frames hold digits');
    t.true(f1 >= 0.8, `F1 ${f1}`);
  });

  test(`${backend}: a JPEG of a frame is read (lossy, so the digits and not the bytes are checked)`, async (t) => {
    const r = await detect(jpegOf(1), 'image/jpeg');
    t.is(r.status, 200);
    const pgm = await detect(encodePgm(gray(1)), 'image/x-portable-graymap');
    const labels = (body: Record<string, unknown>) => (body as unknown as DetectBody).detections.map((d) => d.label).sort();
    t.true(labels(pgm.json).length >= 3);
    t.deepEqual(labels(r.json), labels(pgm.json));
  });

  test(`${backend}: a larger frame is area-averaged to the input: a 2x frame finds the same digits at twice the coordinates`, async (t) => {
    const w = held.width * 2, h = held.height * 2;
    const big = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) big[y * w + x] = held.frames[1]![(y >> 1) * held.width + (x >> 1)]!;
    const small = (await detect(encodePgm(gray(1)), 'image/x-portable-graymap')).json as unknown as DetectBody;
    const r = await detect(encodePgm({ width: w, height: h, format: 'gray8', data: big }), 'image/x-portable-graymap');
    const large = r.json as unknown as DetectBody;
    t.deepEqual(large.detections.map((d) => d.label), small.detections.map((d) => d.label));
    // coordinates are rounded to 0.01 in the response, so twice a rounded value is within 0.02
    large.detections.forEach((d, k) => {
      t.true(Math.abs(d.cx - 2 * small.detections[k]!.cx) <= 0.02 && Math.abs(d.cy - 2 * small.detections[k]!.cy) <= 0.02, `${d.cx},${d.cy}`);
      t.is(d.score, small.detections[k]!.score);
    });
  });

  test(`${backend}: ?profile=1 adds the time of every operator`, async (t) => {
    const r = await detect(encodePgm(gray(1)), 'image/x-portable-graymap', '?profile=1');
    const model = await (await fetch(`${await url()}/model`)).json() as { operators: { name: string }[] };
    const ops = (r.json as unknown as DetectBody).operators!;
    t.deepEqual(ops.map((o) => o.name), model.operators.map((o) => o.name));
    t.true(ops.every((o) => o.ms >= 0));
  });

  test(`${backend}: GET /model and /healthz describe the running model`, async (t) => {
    const model = await (await fetch(`${await url()}/model`)).json() as Record<string, unknown>;
    t.is(model['labels'] instanceof Array && (model['labels'] as string[]).length, 11);
    t.deepEqual((model['input'] as { dims: number[] }).dims, [1, 96, 96, 1]);
    t.is(model['model_bytes'], readFileSync(int8ModelPath).length);
    t.true((model['arena_bytes'] as number) > 0 && (model['arena_bytes'] as number) <= 64 * 1024);
    t.deepEqual(model['limits'], { max_body_bytes: MAX_BODY, max_model_bytes: MAX_BODY, max_pixels: 4096 * 4096 }, 'the limits the server enforces');
    t.is(model['backend'], backend);
    const health = await fetch(`${await url()}/healthz`);
    t.is(health.status, 200);
    const h = (await health.json()) as { model: string; keyword_model: boolean };
    t.is(h.model, model['id'] as string);
    t.false(h.keyword_model, 'no POST /classify model on this server');
  });

  // ---- bad input ----

  const badInputs: [string, () => Promise<{ status: number; json: Record<string, unknown> }>, number, string][] = [
    ['an empty body', () => detect(new Uint8Array(0), 'image/png'), 400, 'EMPTY_BODY'],
    ['no body at all', () => detect(null, 'image/png'), 400, 'EMPTY_BODY'],
    ['a wrong content type', () => detect('hello', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['JSON instead of an image', () => detect('{"image": 1}', 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a truncated PNG', () => detect(png.subarray(0, png.length >> 1), 'image/png'), 400, 'CORRUPT_IMAGE'],
    ['a PNG cut inside its header', () => detect(png.subarray(0, 20), 'image/png'), 400, 'CORRUPT_IMAGE'],
    ['a corrupt PNG (bad CRC)', () => detect(corruptPng, 'image/png'), 400, 'CORRUPT_IMAGE'],
    ['a JPEG sent as PNG', () => detect(jpg, 'image/png'), 400, 'CORRUPT_IMAGE'],
    ['a truncated JPEG', () => detect(jpg.subarray(0, jpg.length >> 1), 'image/jpeg'), 400, 'CORRUPT_IMAGE'],
    ['a corrupt JPEG', () => detect(corruptJpeg, 'image/jpeg'), 400, 'CORRUPT_IMAGE'],
    ['a PNG header claiming 20000x20000', () => detect(pngClaiming(20000, 20000), 'image/png'), 413, 'IMAGE_TOO_LARGE'],
    ['a JPEG header claiming 20000x20000', () => detect(jpegClaiming(20000, 20000), 'image/jpeg'), 413, 'IMAGE_TOO_LARGE'],
    ['a PGM header claiming 20000x20000', () => detect(Buffer.from('P5\n20000 20000\n255\n\0\0\0\0'), 'image/x-portable-graymap'), 413, 'IMAGE_TOO_LARGE'],
    ['raw claiming 20000x20000', () => detect(held.frames[1]!, 'application/octet-stream', '?width=20000&height=20000'), 413, 'IMAGE_TOO_LARGE'],
    ['raw without its size', () => detect(held.frames[1]!, 'application/octet-stream'), 400, 'BAD_PARAMETER'],
    ['raw with a wrong size', () => detect(held.frames[1]!, 'application/octet-stream', '?width=95&height=96'), 400, 'BAD_DIMENSIONS'],
    ['raw with a bad width', () => detect(held.frames[1]!, 'application/octet-stream', '?width=-5&height=96'), 400, 'BAD_PARAMETER'],
    ['a PGM with too few pixels', () => detect(encodePgm(gray(1)).subarray(0, 5000), 'image/x-portable-graymap'), 400, 'CORRUPT_IMAGE'],
    ['an ASCII PGM', () => detect('P2\n2 2\n255\n0 0 0 0\n', 'image/x-portable-graymap'), 415, 'UNSUPPORTED_IMAGE'],
    ['a bad fit', () => detect(encodePgm(gray(1)), 'image/x-portable-graymap', '?fit=zoom'), 400, 'BAD_PARAMETER'],
    ['an upload over the limit (Content-Length)', async () => sendStreamed(`${await url()}/detect?width=1024&height=1024`, MAX_BODY + 1, MAX_BODY + 1), 413, 'BODY_TOO_LARGE'],
    ['an upload over the limit (chunked, no length)', async () => sendStreamed(`${await url()}/detect?width=1024&height=1024`, 4 * MAX_BODY, undefined), 413, 'BODY_TOO_LARGE'],
    ['GET /detect', async () => { const r = await fetch(`${await url()}/detect`); return { status: r.status, json: await r.json() as Record<string, unknown> }; }, 405, 'METHOD_NOT_ALLOWED'],
    ['an unknown path', async () => post(await server(), '/nothing', 'x', 'text/plain'), 404, 'NOT_FOUND'],
  ];

  for (const [what, send, status, code] of badInputs) {
  test(`${backend}: ${what}: ${status} ${code}, and the server keeps serving`, async (t) => {
      const before = await detect(encodePgm(gray(1)), 'image/x-portable-graymap');
      const r = await send();
      t.is(r.status, status, JSON.stringify(r.json));
      const error = errorOf(r.json);
      t.is(error.code, code);
      t.true(typeof error.message === 'string' && error.message.length > 10, `a clear message: ${error.message}`);
      const after = await detect(encodePgm(gray(1)), 'image/x-portable-graymap');
      t.is(after.status, 200);
      t.deepEqual((after.json as unknown as DetectBody).detections, (before.json as unknown as DetectBody).detections);
    });
  }
}
