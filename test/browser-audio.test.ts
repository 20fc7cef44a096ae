// The web page's keyword card in real headless Chromium (playwright-core), on
// the real desktop server (wasm) started with TFLM's micro_speech keyword model:
// a WAV clip chosen in the card shows, in order, the labels and scores of the
// API's own answer for those bytes (asked here over HTTP), the top one marked,
// and the raw scores are the TFLM oracle's (test/data/audio); a WAV we do not
// read, one that is broken, one too long and a file that is no WAV show the
// API's error code and message; a server without a keyword model makes the card
// say how to start one. Needs Chromium and, all but the last test, the reference
// set (skips saying so, fails under CI).
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../host-sim/node/server.js';
import { encodeWav } from '../src/audio/wav.js';
import { audioDataDir } from '../tools/audio-frontend.js';
import { needs, optionalTest } from './support/optional.js';
import { referenceDir, repoRoot } from './support/reference.js';

const chromiumPath = process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium';
const keywordPath = join(referenceDir, 'models/tflm_micro_speech_quantized.tflite');
/** A test in Chromium; `withKeyword`: it needs the reference set's keyword model too. */
const browserTest = (title: string, withKeyword: boolean, run: (t: ExecutionContext) => Promise<void>): void =>
  optionalTest(title, withKeyword ? [needs.chromium, needs.reference] : [needs.chromium], run, true);

interface Clip { name: string; audio: string; scores: number[] }
interface Answer {
  label: string; score: number; scores: { label: string; score: number; q: number }[];
  model: { sha256: string }; frontend: { sha256: string }; audio: { samples: number; padded_samples: number };
}
interface ApiErrorBody { error: { code: string; message: string } }

const manifest = JSON.parse(readFileSync(join(audioDataDir, 'manifest.json'), 'utf8')) as { keyword_model: { labels: string[] }; clips: Clip[] };
const clipWav = (name: string): Buffer => {
  const c = manifest.clips.find((x) => x.name === name)!;
  const b = readFileSync(join(audioDataDir, c.audio));
  return Buffer.from(encodeWav(new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)), 16000));
};

let server: RunningServer;
let bare: RunningServer;
let browser: Browser;

test.before(async () => {
  if (!needs.chromium.present()) return;
  if (needs.reference.present()) server = await startServer({ backend: 'wasm', port: 0, logger: () => undefined, keyword: { keywordPath } });
  bare = await startServer({ backend: 'wasm', port: 0, logger: () => undefined });
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
});
test.after.always(async () => {
  await browser?.close();
  await server?.close();
  await bare?.close();
});

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('body[data-model="ready"]');
  return { page, errors };
}

/** Do something that sends audio, and wait until the keyword card shows the answer; the body's data-audio then. */
async function answered(page: Page, act: () => Promise<unknown>): Promise<string | undefined> {
  const before = Number(await page.getAttribute('body', 'data-audio-sequence') ?? 0);
  await act();
  await page.waitForFunction((n) => Number(document.body.dataset['audioSequence'] ?? 0) > n, before);
  return page.evaluate(() => document.body.dataset['audio']);
}

/** Choose a file in the keyword card and wait for the answer. */
const classifyOnPage = (page: Page, name: string, mimeType: string, buffer: Buffer): Promise<string | undefined> =>
  answered(page, () => page.setInputFiles('[data-testid="audio-file"]', { name, mimeType, buffer }));

/** Drop a file on an element of the page (as a browser's drag and drop does) and wait for the keyword card's answer. */
const dropOnPage = (page: Page, testid: string, name: string, buffer: Buffer): Promise<string | undefined> =>
  answered(page, () => page.evaluate(([id, file, bytes]) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], file, { type: 'audio/wav' }));
    document.querySelector(`[data-testid="${id}"]`)!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, [testid, name, [...buffer]] as const));

/** POST /classify straight to a server, as the page would for these bytes. */
async function apiClassify(url: string, body: Buffer, contentType: string): Promise<{ status: number; json: Answer & Partial<ApiErrorBody> }> {
  const r = await fetch(`${url}/classify`, { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
  return { status: r.status, json: (await r.json()) as Answer & Partial<ApiErrorBody> };
}

const testIds = (page: Page, id: string): Promise<string[]> => page.locator(`[data-testid="${id}"]`).allInnerTexts();
const text = (page: Page, id: string): Promise<string> => page.locator(`[data-testid="${id}"]`).innerText();

browserTest('keyword card: a chosen WAV clip shows the API\'s labels and scores best first, the top one marked, and the oracle\'s raw scores', true, async (t) => {
  const { page, errors } = await openPage(server.url);
  // chirp: a full second, its top label not the first; short: 0.6 s, padded
  for (const name of ['chirp', 'short']) {
    const wav = clipWav(name);
    t.is(await classifyOnPage(page, `${name}.wav`, 'audio/wav', wav), 'ok', name);
    const api = await apiClassify(server.url, wav, 'audio/wav');
    t.is(api.status, 200);
    t.deepEqual(await testIds(page, 'audio-score-label'), api.json.scores.map((s) => s.label), `${name}: labels, best first`);
    t.deepEqual(await testIds(page, 'audio-score-value'), api.json.scores.map((s) => s.score.toFixed(4)), `${name}: scores`);
    // the raw scores the page got are the TFLM oracle's for this clip
    const shown = await page.evaluate(() => (window as unknown as { lastClassification: Answer }).lastClassification);
    const clip = manifest.clips.find((c) => c.name === name)!;
    t.deepEqual(manifest.keyword_model.labels.map((l) => shown.scores.find((s) => s.label === l)?.q), clip.scores, `${name}: the oracle's int8 scores`);
    const best = Math.max(...clip.scores);
    t.is(shown.label, manifest.keyword_model.labels[clip.scores.indexOf(best)]!);
    // the top row, and only it, is marked, and it is the API's label
    t.deepEqual(await page.locator('[data-testid="audio-score-row"].top [data-testid="audio-score-label"]').allInnerTexts(), [api.json.label]);
    t.is(await page.locator('[data-testid="audio-score-row"]').count(), 4);
    t.is(await page.locator('[data-testid="audio-model-sha"] code').getAttribute('title'), api.json.model.sha256);
    t.is(await text(page, 'audio-model-sha'), api.json.model.sha256.slice(0, 12));
    t.is(await page.locator('[data-testid="audio-frontend-sha"] code').getAttribute('title'), api.json.frontend.sha256);
    t.regex(await text(page, 'audio-samples'), new RegExp(`^${api.json.audio.samples.toLocaleString('en-US')} samples`));
    t.regex(await text(page, 'audio-round-trip'), /^\d+(\.\d+)? ms$/);
    t.true(await page.locator('[data-testid="audio-unavailable"]').isHidden());
    t.true(await page.locator('[data-testid="audio-error-box"]').isHidden());
  }
  t.is(await text(page, 'audio-samples'), '9,600 samples at 16,000 Hz, padded with 6,400 zeros to 1 s · 49 frames');

  // a WAV dropped on the card, or on the image drop zone, is classified too (and not sent to /detect)
  const tone = clipWav('tone');
  const toneApi = await apiClassify(server.url, tone, 'audio/wav');
  const sequence = await page.getAttribute('body', 'data-sequence');
  for (const zone of ['audio-dropzone', 'dropzone']) {
    t.is(await dropOnPage(page, zone, 'tone.wav', tone), 'ok', zone);
    t.deepEqual(await testIds(page, 'audio-score-value'), toneApi.json.scores.map((s) => s.score.toFixed(4)), zone);
  }
  t.is(await page.getAttribute('body', 'data-sequence'), sequence, 'no image was detected');
  t.deepEqual(errors, []);
  await page.close();
});

browserTest('keyword card: 8 kHz, broken, too long and non-WAV files show the API\'s error code and message; the next clip works', true, async (t) => {
  const { page, errors } = await openPage(server.url);
  const png = readFileSync(join(repoRoot, 'host-sim/web/sample.png'));
  const cases: [string, string, Buffer, string, number][] = [
    ['8k.wav', 'audio/wav', Buffer.from(encodeWav(new Int16Array(800), 8000)), 'UNSUPPORTED_AUDIO', 415],
    ['broken.wav', 'audio/wav', clipWav('tone').subarray(0, 30), 'CORRUPT_AUDIO', 400],
    ['long.wav', 'audio/wav', Buffer.from(encodeWav(new Int16Array(32000), 16000)), 'AUDIO_TOO_LONG', 413],
    // the page sends a file that is no WAV with its own type, and the API names it
    ['sample.png', 'image/png', png, 'UNSUPPORTED_MEDIA_TYPE', 415],
  ];
  for (const [name, type, body, code, status] of cases) {
    t.is(await classifyOnPage(page, name, type, body), 'error', name);
    const api = await apiClassify(server.url, body, type === 'image/png' ? type : 'audio/wav');
    t.is(api.status, status, name);
    t.is(api.json.error?.code, code, name);
    t.is(await text(page, 'audio-error-code'), code, name);
    t.is(await text(page, 'audio-error-message'), api.json.error!.message, name);
    t.true(await page.locator('[data-testid="audio-result"]').isHidden(), name);
    t.true(await page.locator('[data-testid="audio-unavailable"]').isHidden(), name);
  }
  t.is(await classifyOnPage(page, 'tone.wav', 'audio/wav', clipWav('tone')), 'ok');
  t.true(await page.locator('[data-testid="audio-error-box"]').isHidden());
  t.deepEqual(errors, []);
  await page.close();
});

browserTest('keyword card: a server without a keyword model makes the card say so and how to start one (503 NO_KEYWORD_MODEL)', false, async (t) => {
  const { page, errors } = await openPage(bare.url);
  // said from the start (GET /healthz: keyword_model false), before any upload
  await page.locator('[data-testid="audio-unavailable"]').waitFor({ state: 'visible', timeout: 10_000 });
  t.is(await text(page, 'audio-unavailable-message'), 'GET /healthz: keyword_model is false');
  const wav = clipWav('noise');
  t.is(await classifyOnPage(page, 'noise.wav', 'audio/wav', wav), 'unavailable');
  const api = await apiClassify(bare.url, wav, 'audio/wav');
  t.is(api.status, 503);
  t.is(api.json.error?.code, 'NO_KEYWORD_MODEL');
  t.true(await page.locator('[data-testid="audio-unavailable"]').isVisible());
  t.regex(await text(page, 'audio-unavailable'), /no keyword model[\s\S]*serve --keyword-model /);
  t.is(await text(page, 'audio-unavailable-message'), api.json.error!.message);
  t.true(await page.locator('[data-testid="audio-error-box"]').isHidden());
  t.true(await page.locator('[data-testid="audio-result"]').isHidden());
  t.deepEqual(errors, []);
  await page.close();
});
