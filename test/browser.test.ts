// The web page (host-sim/web) in real headless Chromium, driven by playwright-core,
// against the real desktop server on loopback (wasm backend): an image put in
// through the file input, a drop, a paste, the sample button or a (fake) webcam
// shows exactly the API's own answer for those bytes, in the page's hook, in the
// table and as boxes of the page's box colour on the canvas; an API error shows
// its code and message, and the page keeps working. The monitoring card agrees
// with GET /metrics, /drift and /profile; the model card sends updates and
// rollbacks and shows what GET /model then says. Needs /usr/bin/chromium (or
// $XTML_CHROMIUM); without it the tests are skipped and say so.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bundledModelPath, startServer, type RunningServer } from '../host-sim/node/server.js';
import { loadHeldOut } from '../tools/detector.js';

const chromiumPath = process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
const skipReason = `skipped: ${chromiumPath} is absent (apt-get install -y chromium, or set XTML_CHROMIUM)`;
const browserTest = (title: string, run: (t: ExecutionContext) => Promise<void>): void => {
  if (haveChromium) test.serial(title, run);
  else test.serial.skip(`${title} (${skipReason})`, run);
};

interface Detection { label: string; score: number; x: number; y: number; w: number; h: number; cx: number; cy: number }
interface DetectAnswer { detections: Detection[]; frame: { width: number; height: number }; operators?: unknown[] }
interface ApiErrorBody { error: { code: string; message: string } }
/** What the page's test hooks say once an answer is shown. */
interface Shown { state?: string; detections?: string; sequence?: string }
/** The page's hooks once a model update or rollback is done. */
interface Acted { modelAction?: string; modelSequence?: string }
interface DriftAnswer { psi: number; threshold: number; alert: boolean; history: [number, number][] }
interface ProfileAnswer { inferences: number; operators: { index: number; name: string; ms: number }[] }
interface ModelFacts { id: string; sha256: string; service: { source: string; rollback: string | null } }

const held = loadHeldOut(2);
/** Held-out frame 1: five digits. */
const frameOne = held.frames[1]!;

function pngOfGray(width: number, height: number, gray: Uint8Array): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(gray);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

const framePng = pngOfGray(held.width, held.height, frameOne);

let server: RunningServer;
let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), 'xtml-browser-'));

test.before(async () => {
  if (!haveChromium) return;
  server = await startServer({ backend: 'wasm', port: 0, logger: () => undefined });
  // Playwright runs Chromium with --headless, the new headless mode
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
});
test.after.always(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** POST /detect straight to the server, as the page would for these bytes. */
async function apiDetect(body: Uint8Array, contentType: string, query = ''): Promise<{ status: number; json: DetectAnswer & Partial<ApiErrorBody> }> {
  const r = await fetch(`${server.url}/detect${query}`, { method: 'POST', headers: { 'content-type': contentType }, body: Buffer.from(body) });
  return { status: r.status, json: (await r.json()) as DetectAnswer & Partial<ApiErrorBody> };
}

/** A fresh page on the server, with the model card filled; page errors are collected in `errors`. */
async function openPage(on: Browser = browser, url = server.url): Promise<{ page: Page; errors: string[] }> {
  const page = await on.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('body[data-model="ready"]');
  return { page, errors };
}

/** Do something that sends an image, and wait until the page shows the answer. */
async function shown(page: Page, act: () => Promise<unknown>): Promise<Shown> {
  const before = Number(await page.getAttribute('body', 'data-sequence'));
  await act();
  await page.waitForFunction((n) => Number(document.body.dataset['sequence']) > n, before);
  return page.evaluate(() => ({ ...document.body.dataset }));
}

/** Do something that updates or rolls back the model, and wait until the page is done with it. */
async function acted(page: Page, act: () => Promise<unknown>): Promise<Acted> {
  const before = Number(await page.getAttribute('body', 'data-model-sequence'));
  await act();
  await page.waitForFunction((n) => Number(document.body.dataset['modelSequence']) > n, before);
  return page.evaluate(() => ({ ...document.body.dataset }));
}

async function getJson<T>(url: string): Promise<T> {
  return (await fetch(url)).json() as Promise<T>;
}

/** Prometheus text to samples (the page parses it on its own). */
function metricSamples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    return { name: m[1]!, labels, value: Number(m[3]) };
  });
}

const lastDetection = (page: Page): Promise<DetectAnswer> =>
  page.evaluate(() => (window as unknown as { lastDetection: DetectAnswer }).lastDetection);

const upload = (page: Page, name: string, mimeType: string, buffer: Buffer) =>
  page.setInputFiles('[data-testid="file-input"]', { name, mimeType, buffer });

/** The page's box colour as RGBA. */
async function boxRgba(page: Page): Promise<number[]> {
  const hex = await page.getAttribute('[data-testid="frame-canvas"]', 'data-box-colour');
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex ?? '');
  if (m === null) throw new Error(`the canvas has no data-box-colour #rrggbb, it has '${hex}'`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), 255];
}

/** The canvas pixel (RGBA) on the left and right edge of each box, halfway down, and how many pixels have `rgba`. */
function canvasProbe(page: Page, boxes: Detection[], rgba: number[]): Promise<{ edges: number[][][]; count: number }> {
  return page.evaluate(({ boxes, rgba }) => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="frame-canvas"]')!;
    const context = canvas.getContext('2d')!;
    const frame = (window as unknown as { lastDetection?: DetectAnswer }).lastDetection?.frame ?? { width: canvas.width, height: canvas.height };
    const sx = canvas.width / frame.width, sy = canvas.height / frame.height;
    const pixel = (x: number, y: number) => Array.from(context.getImageData(x, y, 1, 1).data);
    const edges = boxes.map((d) => {
      const y = Math.round((d.y + d.h / 2) * sy);
      return [pixel(Math.round(d.x * sx), y), pixel(Math.round((d.x + d.w) * sx) - 1, y)];
    });
    const all = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < all.length; i += 4) {
      if (all[i] === rgba[0] && all[i + 1] === rgba[1] && all[i + 2] === rgba[2] && all[i + 3] === rgba[3]) count++;
    }
    return { edges, count };
  }, { boxes, rgba });
}

const labelsIn = (page: Page) => page.locator('[data-testid="detection-row"] [data-testid="detection-label"]').allTextContents();

browserTest('the page states the working range, and a frame with no digits says what the model expects in its own pixels', async (t) => {
  // a blank sheet 240x240: nothing to find; the centre crop is the whole image, reduced 2.5x to 96x96
  const blank = pngOfGray(240, 240, new Uint8Array(240 * 240).fill(230));
  const api = await apiDetect(blank, 'image/png');
  t.is(api.status, 200);
  t.deepEqual(api.json.detections, []);

  const { page, errors } = await openPage();
  t.regex(await page.textContent('[data-testid="working-range"]') ?? '', /dark handwritten digits on light paper, 16–40 px tall in the 96×96/);
  const hooks = await shown(page, () => upload(page, 'blank.png', 'image/png', blank));
  t.is(hooks.detections, '0');
  // 16 and 40 px in the model's frame are 40 and 100 px in an image reduced 240 -> 96
  t.is(await page.textContent('[data-testid="nothing-found"]'),
    'No digits found. The detector expects dark handwritten digits on light paper, 16–40 px tall in the 96×96 frame it sees; ' +
    'the model saw this image reduced 240×240 → 96×96, so its digits should be about 40–100 px tall.');
  t.deepEqual(errors, []);
  await page.close();
});

browserTest('a held-out frame put in through the file input shows the API\'s detections: hook, table and boxes on the canvas', async (t) => {
  const api = await apiDetect(framePng, 'image/png', '?profile=1');
  t.is(api.status, 200);
  const labels = api.json.detections.map((d) => d.label);
  t.true(labels.length > 0, 'the model finds digits in held-out frame 1');
  const facts = (await (await fetch(`${server.url}/model`)).json()) as { id: string; sha256: string; operators: unknown[] };

  const { page, errors } = await openPage();
  const colour = await boxRgba(page);
  t.is((await canvasProbe(page, [], colour)).count, 0, 'no box colour on the canvas before any detection');

  const after = await shown(page, () => upload(page, 'frame1.png', 'image/png', framePng));
  t.is(after.state, 'ok');
  t.is(after.detections, String(api.json.detections.length), 'body[data-detections] is the API\'s count');
  const answer = await lastDetection(page);
  t.deepEqual(answer.detections, api.json.detections, 'window.lastDetection has the API\'s detections for the same image');
  t.deepEqual(answer.frame, { width: 96, height: 96 });
  t.deepEqual(await labelsIn(page), labels, 'the table lists the labels in order');

  const probe = await canvasProbe(page, answer.detections, colour);
  for (const [i, [left, right]] of probe.edges.entries()) {
    t.deepEqual(left, colour, `box ${i} (${labels[i]}): its left edge is drawn in the box colour`);
    t.deepEqual(right, colour, `box ${i} (${labels[i]}): its right edge is drawn in the box colour`);
  }
  t.true(probe.count > 0);
  t.is(await page.getAttribute('[data-testid="frame-canvas"]', 'width'), '384', 'the 96x96 frame is shown 4x');

  t.regex(await page.textContent('[data-testid="timing-invoke"]') ?? '', /^\d+(\.\d+)? ms$/);
  t.is(await page.getAttribute('[data-testid="operator-chart"]', 'data-bars'), String(facts.operators.length), 'one bar per operator');
  t.is(await page.textContent('[data-testid="model-id"]'), facts.id);
  t.is(await page.textContent('[data-testid="model-sha"]'), facts.sha256.slice(0, 12));
  t.regex(await page.textContent('[data-testid="model-operators"]') ?? '', new RegExp(`^${facts.operators.length} `));
  t.true(await page.isHidden('[data-testid="error-box"]'));
  t.deepEqual(errors, []);
  await page.close();
});

browserTest('a corrupt file and a non-image show the API\'s error code and message; the next good upload still works', async (t) => {
  const { page, errors } = await openPage();
  const corrupt = framePng.subarray(0, 100); // the PNG header survives, the image data does not
  const bad = [
    { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from(corrupt) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image\n') },
  ];
  for (const file of bad) {
    const api = await apiDetect(file.buffer, file.mimeType);
    t.true(api.status >= 400 && api.status < 500, `${file.name}: the API refuses it (${api.status})`);
    const error = api.json.error!;

    const after = await shown(page, () => upload(page, file.name, file.mimeType, file.buffer));
    t.is(after.state, 'error', file.name);
    t.is(after.detections, undefined, `${file.name}: no detection count after an error`);
    t.true(await page.isVisible('[data-testid="error-box"]'), file.name);
    t.is(await page.textContent('[data-testid="error-code"]'), error.code, file.name);
    t.is(await page.textContent('[data-testid="error-message"]'), error.message, file.name);
    t.regex(await page.textContent('[data-testid="error-box"]') ?? '', new RegExp(`HTTP ${api.status}`), file.name);
    t.is(await page.locator('[data-testid="detection-row"]').count(), 0, file.name);
  }

  const after = await shown(page, () => upload(page, 'frame1.png', 'image/png', framePng));
  const api = await apiDetect(framePng, 'image/png');
  t.is(after.state, 'ok');
  t.is(after.detections, String(api.json.detections.length));
  t.deepEqual(await labelsIn(page), api.json.detections.map((d) => d.label));
  t.true(await page.isHidden('[data-testid="error-box"]'), 'a success clears the error');
  t.deepEqual(errors, [], 'no uncaught error in the page');
  await page.close();
});

browserTest('the sample button detects /sample.png, which is held-out frame 1', async (t) => {
  const response = await fetch(`${server.url}/sample.png`);
  t.is(response.headers.get('content-type'), 'image/png');
  const sample = new Uint8Array(await response.arrayBuffer());
  const png = PNG.sync.read(Buffer.from(sample));
  t.deepEqual([png.width, png.height], [held.width, held.height]);
  t.true(frameOne.every((v, i) => png.data[4 * i] === v && png.data[4 * i + 3] === 255), 'sample.png is held-out frame 1, pixel for pixel');

  const api = await apiDetect(sample, 'image/png');
  const { page, errors } = await openPage();
  const after = await shown(page, () => page.click('[data-testid="sample-button"]'));
  t.is(after.state, 'ok');
  t.deepEqual((await lastDetection(page)).detections, api.json.detections);
  t.deepEqual(errors, []);
  await page.close();
});

browserTest('an image dropped on the page or pasted from the clipboard is detected like an uploaded one', async (t) => {
  const api = await apiDetect(framePng, 'image/png');
  const { page, errors } = await openPage();
  const bytes = Array.from(framePng);
  const dropped = await shown(page, () => page.evaluate((bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    document.querySelector('[data-testid="dropzone"]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, bytes));
  t.is(dropped.state, 'ok');
  t.deepEqual((await lastDetection(page)).detections, api.json.detections, 'drop');

  await page.evaluate(() => { delete (window as unknown as { lastDetection?: unknown }).lastDetection; });
  const pasted = await shown(page, () => page.evaluate((bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, bytes));
  t.is(pasted.state, 'ok');
  t.deepEqual((await lastDetection(page)).detections, api.json.detections, 'paste');
  t.deepEqual(errors, []);
  await page.close();
});

browserTest('a webcam frame goes as raw gray8 with its size, and live keeps detecting until it is turned off', async (t) => {
  // Chromium's fake camera playing held-out frame 1 (a one-frame Y4M: the frame as luma, neutral chroma)
  const video = join(scratch, 'frame1.y4m');
  const chroma = Buffer.alloc((held.width / 2) * (held.height / 2) * 2, 128);
  writeFileSync(video, Buffer.concat([Buffer.from(`YUV4MPEG2 W${held.width} H${held.height} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), frameOne, chroma]));
  const cameraBrowser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  });
  try {
    const { page, errors } = await openPage(cameraBrowser);
    const sent: { url: URL; contentType: string | undefined; body: Buffer | null }[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/detect') sent.push({ url: new URL(request.url()), contentType: request.headers()['content-type'], body: request.postDataBuffer() });
    });
    await page.click('[data-testid="camera-button"]');
    await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid="camera-video"]')!.videoWidth > 0);
    const after = await shown(page, () => page.click('[data-testid="capture-button"]'));
    t.is(after.state, 'ok');

    t.is(sent.length, 1);
    const request = sent[0]!;
    t.is(request.contentType, 'application/octet-stream');
    t.is(request.url.searchParams.get('format'), 'gray8');
    t.is(request.url.searchParams.get('width'), String(held.width));
    t.is(request.url.searchParams.get('height'), String(held.height));
    t.is(request.body?.length, held.width * held.height);
    // the camera path (YUV to RGB to gray) need not give back the bytes exactly, but it is the frame
    const body = request.body!;
    const meanDifference = frameOne.reduce((sum, v, i) => sum + Math.abs(v - body[i]!), 0) / frameOne.length;
    t.true(meanDifference < 16, `the sent frame is held-out frame 1 (mean difference ${meanDifference.toFixed(2)})`);
    const api = await apiDetect(body, 'application/octet-stream', `?width=${held.width}&height=${held.height}&format=gray8`);
    t.is(after.detections, String(api.json.detections.length));
    t.deepEqual((await lastDetection(page)).detections, api.json.detections, 'the page shows the API\'s answer for the bytes it sent');

    const first = Number(after.sequence);
    await page.check('[data-testid="live-toggle"]');
    await page.waitForFunction((n) => Number(document.body.dataset['sequence']) >= n + 3, first);
    await page.uncheck('[data-testid="live-toggle"]');
    await page.waitForFunction(() => document.body.dataset['state'] !== 'busy');
    const stopped = Number(await page.getAttribute('body', 'data-sequence'));
    await page.waitForTimeout(600);
    t.is(Number(await page.getAttribute('body', 'data-sequence')), stopped, 'no more frames once live is off');

    await page.click('[data-testid="camera-button"]');
    t.true(await page.isDisabled('[data-testid="capture-button"]'), 'capture is off with the camera');
    t.deepEqual(errors, []);
    await page.close();
  } finally {
    await cameraBrowser.close();
  }
});

browserTest('the monitoring card shows /metrics\' counters, a drift chart of /drift\'s history with its threshold, and /profile\'s operator means', async (t) => {
  const { page, errors } = await openPage();
  await page.waitForSelector('body[data-monitor="ready"]');
  for (let i = 0; i < 10; i++) t.is((await shown(page, () => page.click('[data-testid="sample-button"]'))).state, 'ok');
  const refused = await shown(page, () => upload(page, 'notes.txt', 'text/plain', Buffer.from('not an image\n')));
  t.is(refused.state, 'error');

  // nothing else sends frames now: the page's refresh after its last answer (or the next poll) shows these
  const samples = metricSamples(await (await fetch(`${server.url}/metrics`)).text());
  const drift = await getJson<DriftAnswer>(`${server.url}/drift`);
  const profile = await getJson<ProfileAnswer>(`${server.url}/profile`);
  const metric = (name: string) => samples.filter((s) => s.name === name);
  const inferences = metric('xtml_inferences_total')[0]!.value;
  t.true(inferences >= 10);
  t.true(drift.history.length >= 1, 'ten frames make at least one drift history point');
  await page.waitForFunction(({ inferences, points }) =>
    document.querySelector<HTMLElement>('[data-testid="metric-inferences"]')!.dataset['value'] === String(inferences) &&
    document.body.dataset['driftPoints'] === String(points), { inferences, points: drift.history.length });

  t.is(await page.textContent('[data-testid="metric-inferences"]'), inferences.toLocaleString('en-US'), 'the inference count is /metrics\' xtml_inferences_total');
  const errorCounts = metric('xtml_errors_total');
  t.true(errorCounts.some((s) => s.labels['code'] === 'UNSUPPORTED_MEDIA_TYPE'));
  for (const s of errorCounts) {
    t.is(await page.getAttribute(`[data-testid="metric-error"][data-key="${s.labels['code']}"]`, 'data-value'), String(s.value), `errors with code ${s.labels['code']}`);
  }
  t.is(await page.getAttribute('[data-testid="metric-errors"]', 'data-value'), String(errorCounts.reduce((sum, s) => sum + s.value, 0)), 'all errors');
  t.is(await page.getAttribute('[data-testid="metric-empty"]', 'data-value'), String(metric('xtml_frames_without_detection_total')[0]!.value));
  const perLabel = metric('xtml_detections_total');
  t.true(perLabel.length > 0);
  t.is(await page.locator('[data-testid="metric-label"]').count(), perLabel.length);
  for (const s of perLabel) {
    t.is(await page.getAttribute(`[data-testid="metric-label"][data-key="${s.labels['label']}"]`, 'data-value'), String(s.value), `detections of ${s.labels['label']}`);
  }

  t.true(await page.isVisible('[data-testid="drift-chart"]'), 'the drift chart is on the page');
  const chart = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="drift-chart"]')!;
    const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { data: { x: number; y: number }[] }[] } } | undefined } }).Chart.getChart(canvas);
    return chart?.data.datasets.map((d) => d.data.map((p) => [p.x, p.y]));
  });
  t.truthy(chart, 'Chart.js draws on the drift canvas');
  t.deepEqual(chart![0], drift.history, 'the PSI line is /drift\'s history, point for point');
  t.true(chart![1]!.length >= 2 && chart![1]!.every(([, y]) => y === drift.threshold), 'the threshold is a line at /drift\'s threshold');
  t.is(await page.getAttribute('body', 'data-drift-alert'), String(drift.alert));
  t.regex(await page.textContent('[data-testid="drift-badge"]') ?? '', drift.alert ? /^Drift alert/ : /^No drift/);

  t.true(profile.inferences > 0);
  t.is(await page.locator('[data-testid="profile-row"]').count(), profile.operators.length, 'one row per operator in /profile');
  t.deepEqual(errors, []);
  await page.close();
});

/** The bundled model with its description's "version": 1 made 2: another valid model, same input and output. */
function variantOf(model: Buffer): Buffer {
  const m = /"version":\s*1\b/.exec(model.toString('latin1'));
  if (m === null) throw new Error('the bundled model has no "version": 1 in its description');
  const out = Buffer.from(model);
  out[m.index + m[0].length - 1] = 0x32;
  return out;
}

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

browserTest('the model card: a malformed model shows the API\'s error and changes nothing, a valid variant swaps in, Rollback brings the old model back', async (t) => {
  const own = await startServer({ port: 0, logger: () => undefined });
  const { page, errors } = await openPage(browser, own.url);
  try {
    const original = await getJson<ModelFacts>(`${own.url}/model`);
    const shaShown = async () => [await page.textContent('[data-testid="model-sha"]'), await page.getAttribute('[data-testid="model-sha"] code', 'title')];
    t.deepEqual(await shaShown(), [original.sha256.slice(0, 12), original.sha256]);
    t.is(await page.getAttribute('[data-testid="service-active"]', 'data-source'), 'bundled');
    t.true(await page.isDisabled('[data-testid="model-upload"]'), 'no file chosen yet');
    t.true(await page.isDisabled('[data-testid="model-rollback"]'), 'nothing to roll back to yet');
    const put = async (body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: ApiErrorBody }> => {
      const r = await fetch(`${own.url}/model`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...headers }, body: new Uint8Array(body) });
      return { status: r.status, json: (await r.json()) as ApiErrorBody };
    };
    const errorShown = async () => ({
      code: await page.textContent('[data-testid="model-error-code"]'),
      message: await page.textContent('[data-testid="model-error-message"]'),
    });

    // 100 bytes of garbage
    const garbage = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 73 + 41) & 255));
    const api = await put(garbage);
    t.is(api.status, 422);
    t.regex(api.json.error.code, /^XTML_STATUS_MODEL_(IDENTIFIER|TRUNCATED)$/);
    const refused = await acted(page, async () => {
      await page.setInputFiles('[data-testid="model-file"]', { name: 'garbage.tflite', mimeType: 'application/octet-stream', buffer: garbage });
      await page.click('[data-testid="model-upload"]');
    });
    t.is(refused.modelAction, 'error');
    t.true(await page.isVisible('[data-testid="model-error-box"]'));
    t.deepEqual(await errorShown(), api.json.error, 'the page shows the API\'s own code and message');
    t.regex(await page.textContent('[data-testid="model-error-box"]') ?? '', /HTTP 422/);
    t.true(await page.isHidden('[data-testid="error-box"]'), 'the detections\' error box is not used');
    t.deepEqual(await shaShown(), [original.sha256.slice(0, 12), original.sha256], 'the model facts stay');
    t.is((await getJson<ModelFacts>(`${own.url}/model`)).sha256, original.sha256, 'and the API still serves the bundled model');

    // the signature field goes to the API as X-Model-Signature: a malformed one is the API's BAD_SIGNATURE
    const variant = variantOf(readFileSync(bundledModelPath));
    const badSignature = await put(variant, { 'x-model-signature': '%%%' });
    t.is(badSignature.status, 400);
    await page.setInputFiles('[data-testid="model-file"]', { name: 'detector-v2.tflite', mimeType: 'application/octet-stream', buffer: variant });
    await page.fill('[data-testid="model-signature"]', '%%%');
    t.is((await acted(page, () => page.click('[data-testid="model-upload"]'))).modelAction, 'error');
    t.deepEqual(await errorShown(), badSignature.json.error);
    t.is((await getJson<ModelFacts>(`${own.url}/model`)).sha256, original.sha256);

    // the valid variant; this server has no signing key, so a well-formed signature is sent but not checked
    const signature = Buffer.alloc(64, 7).toString('base64');
    const sent: { url: URL; signature: string | undefined }[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT') sent.push({ url: new URL(request.url()), signature: request.headers()['x-model-signature'] });
    });
    await page.fill('[data-testid="model-signature"]', signature);
    await page.check('[data-testid="model-replace"]');
    const swapped = await acted(page, () => page.click('[data-testid="model-upload"]'));
    t.is(swapped.modelAction, 'ok');
    t.deepEqual(sent.map((r) => [r.url.pathname, r.url.searchParams.get('replace'), r.signature]), [['/model', '1', signature]]);
    const variantSha = sha256Of(variant);
    t.not(variantSha, original.sha256);
    const served = await getJson<ModelFacts>(`${own.url}/model`);
    t.is(served.sha256, variantSha, 'GET /model serves the variant');
    t.deepEqual(await shaShown(), [variantSha.slice(0, 12), variantSha], 'the page shows the new sha256');
    t.true(await page.isHidden('[data-testid="model-error-box"]'), 'a success clears the error');
    t.is(await page.getAttribute('[data-testid="service-active"]', 'data-source'), served.service.source);
    t.is(await page.getAttribute('[data-testid="service-rollback"]', 'data-source'), 'bundled');
    t.true(await page.isEnabled('[data-testid="model-rollback"]'));
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="metric-swaps"]')!.dataset['value'] === '1');

    const rolledBack = await acted(page, () => page.click('[data-testid="model-rollback"]'));
    t.is(rolledBack.modelAction, 'ok');
    t.is((await getJson<ModelFacts>(`${own.url}/model`)).sha256, original.sha256, 'GET /model serves the bundled model again');
    t.deepEqual(await shaShown(), [original.sha256.slice(0, 12), original.sha256], 'the page shows the old sha256');
    t.is(await page.getAttribute('[data-testid="service-active"]', 'data-source'), 'bundled');
    t.is(await page.getAttribute('[data-testid="service-rollback"]', 'data-source'), served.service.source, 'the variant is now the rollback target');
    t.deepEqual(errors, []);
  } finally {
    await page.close();
    await own.close();
  }
});
