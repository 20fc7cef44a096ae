// The keyword path (docs/audio.md): the WAV parser on good, odd and broken
// files; the front-end model (tools/audio-frontend.ts) as committed and against
// upstream's audio_preprocessor_int8 on the TFLM oracle (where it is built);
// POST /classify's errors; and, when the core runs every front-end operator,
// the features and scores of generated clips equal to the oracle's on wasm,
// the Node addon and the XS host.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { startServer } from '../host-sim/node/server.js';
import { ClassifyRoutes, audioFraming, samplesFromRequest } from '../src/audio/keyword.js';
import { AudioError, encodeWav, parseWav } from '../src/audio/wav.js';
import { ApiError, DetectionApi, loadModel, type ApiRequest } from '../src/index.js';
import { audioDataDir, frames, frontendModel, frontendPath, oracleRun, testClips } from '../tools/audio-frontend.js';
import { optionalTest, needs } from './support/optional.js';
import { referenceDir, repoRoot } from './support/reference.js';

const limits = { sampleRate: 16000, maxSamples: 16000 };
const keywordPath = join(referenceDir, 'models/tflm_micro_speech_quantized.tflite');
const oracle = '/work/scratch-tflm/bin/tflm_run';
const upstreamFrontend = '/work/scratch-tflm/examples_disabled/micro_speech/models/audio_preprocessor_int8.tflite';

interface Clip { name: string; audio: string; features: string; scores: number[] }
const manifest = JSON.parse(readFileSync(join(audioDataDir, 'manifest.json'), 'utf8')) as { frontend: { sha256: string }; clips: Clip[] };
const pcm = (file: string): Int16Array => {
  const b = readFileSync(join(audioDataDir, file));
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const clipWav = (c: Clip): Uint8Array => encodeWav(pcm(c.audio), 16000);

/** A WAV file from its parts: the fmt fields and data bytes, extra chunks before fmt. */
function wav(fields: { tag?: number; channels?: number; rate?: number; bits?: number; byteRate?: number; blockAlign?: number }, data: Uint8Array, before: Uint8Array = new Uint8Array(0)): Uint8Array {
  const { tag = 1, channels = 1, rate = 16000, bits = 16 } = fields;
  const blockAlign = fields.blockAlign ?? channels * (bits / 8), byteRate = fields.byteRate ?? rate * blockAlign;
  const out = new Uint8Array(12 + before.length + 24 + 8 + data.length + (data.length & 1));
  const v = new DataView(out.buffer);
  const text = (at: number, s: string): void => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  text(0, 'RIFF'); v.setUint32(4, out.length - 8, true); text(8, 'WAVE');
  out.set(before, 12);
  let at = 12 + before.length;
  text(at, 'fmt '); v.setUint32(at + 4, 16, true);
  v.setUint16(at + 8, tag, true); v.setUint16(at + 10, channels, true); v.setUint32(at + 12, rate, true);
  v.setUint32(at + 16, byteRate, true); v.setUint16(at + 20, blockAlign, true); v.setUint16(at + 22, bits, true);
  at += 24;
  text(at, 'data'); v.setUint32(at + 4, data.length, true);
  out.set(data, at + 8);
  return out;
}

const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (error) {
    if (error instanceof AudioError || error instanceof ApiError) return error.code;
    throw error;
  }
};

test('parseWav reads 16-bit mono PCM exactly, skipping other chunks (odd-sized ones padded), and encodeWav round-trips', (t) => {
  const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234, -4321]);
  t.deepEqual(parseWav(encodeWav(samples, 16000), limits).samples, samples);
  const list = new Uint8Array([0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 1, 2, 3, 0]);  // "LIST", 3 bytes, a pad byte
  const bytes = new Uint8Array(samples.buffer.slice(0));
  t.deepEqual(parseWav(wav({}, bytes, list), limits).samples, samples);
  // a streaming writer's RIFF size (0xffffffff) and trailing padding are tolerated
  const streamed = encodeWav(samples, 16000);
  new DataView(streamed.buffer).setUint32(4, 0xffffffff, true);
  t.deepEqual(parseWav(new Uint8Array([...streamed, 0, 0, 0]), limits).samples, samples);
  // WAVE_FORMAT_EXTENSIBLE with the PCM sub-format
  const ext = new Uint8Array(12 + 48 + 8 + 4);
  const v = new DataView(ext.buffer);
  ext.set([0x52, 0x49, 0x46, 0x46], 0); v.setUint32(4, ext.length - 8, true); ext.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8);
  v.setUint32(16, 40, true); v.setUint16(20, 0xfffe, true); v.setUint16(22, 1, true); v.setUint32(24, 16000, true); v.setUint32(28, 32000, true);
  v.setUint16(32, 2, true); v.setUint16(34, 16, true); v.setUint16(36, 22, true); v.setUint16(38, 16, true); v.setUint16(44, 1, true);
  ext.set([0x64, 0x61, 0x74, 0x61], 60); v.setUint32(64, 4, true); v.setInt16(68, -2, true); v.setInt16(70, 7, true);
  t.deepEqual(parseWav(ext, limits).samples, Int16Array.from([-2, 7]));
  v.setUint16(44, 3, true);
  t.is(code(() => parseWav(ext, limits)), 'UNSUPPORTED_AUDIO', 'extensible IEEE float');
});

test('parseWav refuses other formats with UNSUPPORTED_AUDIO and broken files with CORRUPT_AUDIO, more than 1 s with AUDIO_TOO_LONG', (t) => {
  const two = new Uint8Array(4);
  t.is(code(() => parseWav(wav({ channels: 2 }, two), limits)), 'UNSUPPORTED_AUDIO');
  t.is(code(() => parseWav(wav({ bits: 8 }, two), limits)), 'UNSUPPORTED_AUDIO');
  t.is(code(() => parseWav(wav({ bits: 24 }, new Uint8Array(6)), limits)), 'UNSUPPORTED_AUDIO');
  t.is(code(() => parseWav(wav({ rate: 44100 }, two), limits)), 'UNSUPPORTED_AUDIO');
  t.is(code(() => parseWav(wav({ tag: 3, bits: 32 }, two), limits)), 'UNSUPPORTED_AUDIO');
  t.is(code(() => parseWav(wav({ tag: 6, bits: 8 }, two), limits)), 'UNSUPPORTED_AUDIO');
  const rifx = encodeWav(new Int16Array(2), 16000);
  rifx[3] = 0x58;
  t.is(code(() => parseWav(rifx, limits)), 'UNSUPPORTED_AUDIO', 'RIFX (big-endian)');
  t.is(code(() => parseWav(wav({ blockAlign: 4 }, two), limits)), 'CORRUPT_AUDIO', 'block align of 16-bit mono is 2');
  t.is(code(() => parseWav(wav({ byteRate: 16000 }, two), limits)), 'CORRUPT_AUDIO');
  t.is(code(() => parseWav(wav({}, new Uint8Array(3)), limits)), 'CORRUPT_AUDIO', 'odd data size');
  t.is(code(() => parseWav(wav({}, new Uint8Array(0)), limits)), 'CORRUPT_AUDIO', 'no samples');
  t.is(code(() => parseWav(new TextEncoder().encode('RIFF\x04\x00\x00\x00WAVE'), limits)), 'CORRUPT_AUDIO', 'no chunks');
  t.is(code(() => parseWav(new TextEncoder().encode('not a wav file at all'), limits)), 'CORRUPT_AUDIO');
  t.is(code(() => parseWav(encodeWav(new Int16Array(16001), 16000), limits)), 'AUDIO_TOO_LONG');
  t.is(code(() => parseWav(encodeWav(new Int16Array(16000), 16000), limits)), 'ok', '1 s exactly');
  const doubled = wav({}, two, wav({}, two).subarray(12));
  t.is(code(() => parseWav(doubled, limits)), 'CORRUPT_AUDIO', 'two fmt and data chunks');
});

test('every truncation of a WAV file is CORRUPT_AUDIO (never a RangeError or a short read)', (t) => {
  const full = wav({}, new Uint8Array(new Int16Array([5, -5, 300, -300]).buffer), new Uint8Array([0x4a, 0x55, 0x4e, 0x4b, 2, 0, 0, 0, 9, 9]));
  t.is(code(() => parseWav(full, limits)), 'ok');
  for (let n = 0; n < full.length; n++) t.is(code(() => parseWav(full.subarray(0, n), limits)), 'CORRUPT_AUDIO', `the first ${n} bytes`);
});

test('POST /classify: content types, empty bodies and the WAV errors map to 415, 400, 413; no keyword model is 503', (t) => {
  const req = (contentType: string | undefined, body: Uint8Array | null): ApiRequest => ({ method: 'POST', path: '/classify', query: {}, contentType, body });
  const good = encodeWav(new Int16Array(100), 16000);
  t.is(samplesFromRequest(req('audio/wav', good)).length, 100);
  t.is(samplesFromRequest(req('audio/x-wav; charset=binary', good)).length, 100);
  t.is(samplesFromRequest(req(undefined, good)).length, 100, 'sniffed by RIFF');
  const status = (r: ApiRequest): [number, string] => {
    try {
      samplesFromRequest(r);
      return [200, 'ok'];
    } catch (error) {
      return error instanceof ApiError ? [error.status, error.code] : [0, String(error)];
    }
  };
  t.deepEqual(status(req('audio/mpeg', good)), [415, 'UNSUPPORTED_MEDIA_TYPE']);
  t.deepEqual(status(req(undefined, new Uint8Array([1, 2, 3, 4, 5]))), [415, 'UNSUPPORTED_MEDIA_TYPE']);
  t.deepEqual(status(req('audio/wav', null)), [400, 'EMPTY_BODY']);
  t.deepEqual(status(req('audio/wav', good.subarray(0, 30))), [400, 'CORRUPT_AUDIO']);
  t.deepEqual(status(req('audio/wav', encodeWav(new Int16Array(10), 8000))), [415, 'UNSUPPORTED_AUDIO']);
  t.deepEqual(status(req('audio/wav', encodeWav(new Int16Array(16320), 16000))), [413, 'AUDIO_TOO_LONG']);

  const binding = loadBinding('wasm');
  const detector = new Uint8Array(readFileSync(join(repoRoot, 'models/detector.tflite')));
  const model = loadModel(binding, detector, { sha256: 'x', bytes: detector.length });
  try {
    const api = new DetectionApi(() => model);
    const r = api.handle(req('audio/wav', good));
    t.is(r.status, 503);
    t.is((JSON.parse(r.body) as { error: { code: string } }).error.code, 'NO_KEYWORD_MODEL');
    const get = api.handle({ method: 'GET', path: '/classify', query: {}, body: null });
    t.is(get.status, 405);
    t.is(get.headers?.['Allow'], 'POST');
  } finally {
    model.session.release();
  }
});

test('the committed front-end model is what tools/audio-frontend.ts writes, and the vectors name it', (t) => {
  const committed = new Uint8Array(readFileSync(frontendPath));
  t.deepEqual(frontendModel(), committed);
  t.is(manifest.clips.length, 4);
  for (const c of manifest.clips) {
    const fromTool = testClips().find((x) => x.name === c.name);
    t.deepEqual(pcm(c.audio), fromTool?.samples, `${c.name}: the committed audio is the generator's`);
  }
});

const oracleThere = existsSync(oracle) && existsSync(upstreamFrontend);
(oracleThere ? test : test.skip)(`our front-end model and upstream's audio_preprocessor_int8 give the same features on the TFLM oracle, and the committed vectors are its outputs${oracleThere ? '' : ` [skipped: no TFLM oracle at ${oracle} with upstream's micro_speech example (docs/operators.md builds it)]`}`, (t) => {
  for (const c of manifest.clips) {
    const input = new Uint8Array(frames(pcm(c.audio)).buffer);
    const ours = oracleRun(oracle, frontendPath, input, 49);
    t.deepEqual(ours, oracleRun(oracle, upstreamFrontend, input, 49), `${c.name}: the same 49 x 40 features`);
    t.deepEqual(ours, new Uint8Array(readFileSync(join(audioDataDir, c.features))), `${c.name}: the committed features`);
  }
});

const keywordModels = (): ConstructorParameters<typeof ClassifyRoutes>[1] => {
  const frontend = new Uint8Array(readFileSync(frontendPath)), keyword = new Uint8Array(readFileSync(keywordPath));
  return { frontend, keyword, frontendSha256: manifest.frontend.sha256, keywordSha256: 'k' };
};

// A front end with an operator the core does not run (SignalRfft renamed in the model's
// custom codes): POST /classify answers 501 naming it, every time, on both backends.
optionalTest('POST /classify answers 501 FRONT_END_UNSUPPORTED naming the operator the core refuses (wasm, node)', [needs.reference], (t) => {
  const models = keywordModels();
  const bytes = readFileSync(frontendPath);
  const at = bytes.indexOf('SignalRfft\0');
  t.true(at > 0, 'the front end names SignalRfft');
  bytes.write('SignalRfxx', at, 'latin1');
  for (const backend of ['wasm', 'node'] as const) {
    const routes = new ClassifyRoutes(loadBinding(backend), { ...models, frontend: new Uint8Array(bytes) });
    const api = new DetectionApi(() => { throw new Error('not asked'); }, { classify: routes });
    for (let i = 0; i < 2; i++) {
      const r = api.handle({ method: 'POST', path: '/classify', query: {}, contentType: 'audio/wav', body: encodeWav(new Int16Array(16000), 16000) });
      t.is(r.status, 501, backend);
      const error = (JSON.parse(r.body) as { error: { code: string; message: string } }).error;
      t.is(error.code, 'FRONT_END_UNSUPPORTED');
      t.regex(error.message, /UNSUPPORTED_OPERATOR.*SignalRfxx/);
    }
    routes.release();
  }
});

{
  interface Answer { label: string; scores: { label: string; score: number; q: number }[]; features: number[]; audio: { samples: number; padded_samples: number } }
  const expectAnswer = (t: import('ava').ExecutionContext, c: Clip, answer: Answer, where: string): void => {
    t.deepEqual(Int8Array.from(answer.features), new Int8Array(readFileSync(join(audioDataDir, c.features))), `${where} ${c.name}: the oracle's features`);
    const byLabel = ['silence', 'unknown', 'yes', 'no'].map((l) => answer.scores.find((s) => s.label === l)?.q);
    t.deepEqual(byLabel, c.scores, `${where} ${c.name}: the oracle's scores`);
    t.is(answer.audio.samples + answer.audio.padded_samples, audioFraming.clipSamples);
  };
  optionalTest('POST /classify on wasm and node: the oracle\'s features and scores for every clip, the same twice in a row (state reset per request)', [needs.reference], (t) => {
    for (const backend of ['wasm', 'node'] as const) {
      const routes = new ClassifyRoutes(loadBinding(backend), keywordModels());
      const api = new DetectionApi(() => { throw new Error('not asked'); }, { classify: routes });
      for (const c of [...manifest.clips, manifest.clips[0]!]) {
        const r = api.handle({ method: 'POST', path: '/classify', query: { features: '1' }, contentType: 'audio/wav', body: clipWav(c) });
        t.is(r.status, 200, r.body);
        expectAnswer(t, c, JSON.parse(r.body) as Answer, backend);
      }
      routes.release();
    }
  });
  optionalTest('POST /classify on the XS host (--backend xs) and over HTTP on wasm: the oracle\'s features and scores', [needs.reference], async (t) => {
    for (const backend of ['xs', 'wasm'] as const) {
      const server = await startServer({ backend, port: 0, logger: () => undefined, keyword: { keywordPath } });
      try {
        t.true(((await (await fetch(`${server.url}/healthz`)).json()) as { keyword_model: boolean }).keyword_model, `${backend}: /healthz`);
        for (const c of manifest.clips) {
          const r = await fetch(`${server.url}/classify?features=1`, { method: 'POST', body: Buffer.from(clipWav(c)), headers: { 'content-type': 'audio/wav' } });
          t.is(r.status, 200);
          expectAnswer(t, c, (await r.json()) as Answer, backend);
        }
      } finally {
        await server.close();
      }
    }
  });
}
