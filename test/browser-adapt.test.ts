// The adaptation card of the web page (host-sim/web/adapt.js) in real headless
// Chromium against the real desktop server (wasm backend): chalkboard frames
// (light digits on a dark board, tools/adapt-shift.ts) are detected, marked by
// clicks on the card's view of the frame (wrong detections dropped, missed
// digits added with their label), added as examples; Adapt installs exactly
// the model the library makes from the examples the page sent, the card shows
// its SHA-256, size and the before/after figures of the answer, and Roll back
// restores the bundled model. Needs /usr/bin/chromium (or $XTML_CHROMIUM).
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadBinding } from '../host-sim/node/backends.js';
import { bundledModelPath, startServer, type RunningServer } from '../host-sim/node/server.js';
import { adaptModel, type AdaptExample } from '../src/adapt/head.js';
import { shiftSet } from '../tools/adapt-shift.js';
import { loadHeldOut } from '../tools/detector.js';
import { needs, optionalTest } from './support/optional.js';

const chromiumPath = process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium';
const browserTest = (title: string, run: (t: ExecutionContext) => Promise<void>): void => optionalTest(title, [needs.chromium], run, true);

interface Mark { x: number; y: number; label: string }
interface Figures { loss: number; precision: number; recall: number; f1: number }
interface Adaptation {
  sha256: string; model_bytes: number; examples: number; objects: number; before: Figures; after: Figures; previous: { sha256: string };
  input_gate: { statistic: string; threshold: number; below: boolean } | null;
}

const held = loadHeldOut(8);
const frames = shiftSet('chalkboard', held.frames, held.width);
const chosen = [1, 2, 5];
const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function pngOfGray(width: number, height: number, gray: Uint8Array): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(gray);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

let server: RunningServer;
let browser: Browser;
test.before(async () => {
  if (!needs.chromium.present()) return;
  server = await startServer({ backend: 'wasm', port: 0, logger: () => undefined });
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
});
test.after.always(async () => {
  await browser?.close();
  await server?.close();
});

const marksOf = (page: Page): Promise<Mark[]> => page.$$eval('[data-testid="adapt-mark"]', (rows) =>
  rows.map((r) => ({ x: Number((r as HTMLElement).dataset['x']), y: Number((r as HTMLElement).dataset['y']), label: (r as HTMLElement).dataset['label']! })));

/** Click the card's view of the frame at frame pixel (x, y). */
async function clickAt(page: Page, x: number, y: number): Promise<void> {
  const canvas = page.locator('[data-testid="adapt-canvas"]');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + (x * box.width) / held.width, box.y + (y * box.height) / held.height);
}

/** Do something this card answers, and wait for its answer; the body's data-adapt after it. */
async function adaptAct(page: Page, act: () => Promise<unknown>): Promise<string | undefined> {
  const before = Number((await page.getAttribute('body', 'data-adapt-sequence')) ?? 0);
  await act();
  await page.waitForFunction((n) => Number(document.body.dataset['adaptSequence'] ?? 0) > n, before);
  return (await page.getAttribute('body', 'data-adapt')) ?? undefined;
}

const near = (a: { x: number; y: number }, b: { x: number; y: number }, r: number): boolean => (a.x - b.x) ** 2 + (a.y - b.y) ** 2 <= r * r;

browserTest('the adaptation card: marked chalkboard frames become examples, Adapt installs the library\'s model for them and shows its figures, Roll back restores the bundled model', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const sent: { image: string; objects: Mark[] }[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/adapt/examples') sent.push(JSON.parse(request.postData() ?? '{}'));
  });
  try {
    await page.goto(server.url);
    await page.waitForSelector('body[data-adapt-ready="1"]');
    const original = sha256Of(readFileSync(bundledModelPath));
    t.true(await page.isDisabled('[data-testid="adapt-run"]'), 'nothing to adapt on yet');
    for (const [k, i] of chosen.entries()) {
      await page.setInputFiles('[data-testid="file-input"]', { name: `board-${i}.png`, mimeType: 'image/png', buffer: pngOfGray(96, 96, frames[i]!) });
      await page.waitForFunction((n) => Number(document.body.dataset['adaptFrame'] ?? 0) === n, k + 1);
      const truths = held.truths[i]!.map(([x, y, d]) => ({ x, y, label: String(d) }));
      const detected = (await page.evaluate(() => (window as unknown as { lastDetection: { detections: { cx: number; cy: number; label: string }[] } }).lastDetection.detections));
      t.deepEqual(await marksOf(page), detected.map((d) => ({ x: d.cx, y: d.cy, label: d.label })), 'the detections are the first marks');
      if (k === 0) {
        // a click on an empty place adds a mark; a click on it drops it again
        await page.selectOption('[data-testid="adapt-label"]', '7');
        await clickAt(page, 3, 3);
        t.like((await marksOf(page)).at(-1), { label: '7' });
        await clickAt(page, 3, 3);
        t.is((await marksOf(page)).length, detected.length);
      }
      // wrong detections dropped, missed digits added
      for (const m of await marksOf(page)) {
        if (!truths.some((g) => g.label === m.label && near(g, m, 6))) await clickAt(page, m.x, m.y);
      }
      for (const g of truths) {
        if ((await marksOf(page)).some((m) => m.label === g.label && near(g, m, 6))) continue;
        await page.selectOption('[data-testid="adapt-label"]', g.label);
        await clickAt(page, g.x, g.y);
      }
      const marks = await marksOf(page);
      t.is(marks.length, truths.length, `frame ${i}: one mark per digit`);
      for (const g of truths) t.true(marks.some((m) => m.label === g.label && near(g, m, 6)), `frame ${i}: digit ${g.label} at ${g.x}, ${g.y} is marked`);
      t.is(await adaptAct(page, () => page.click('[data-testid="adapt-add"]')), 'added');
      t.is(await page.getAttribute('[data-testid="adapt-count"]', 'data-count'), String(k + 1));
    }
    t.is(await page.locator('[data-testid="adapt-example"]').count(), chosen.length);
    t.is(sent.length, chosen.length);
    sent.forEach((s, k) => t.deepEqual(new Uint8Array(Buffer.from(s.image, 'base64')), new Uint8Array(pngOfGray(96, 96, frames[chosen[k]!]!)), 'the frame sent is the file detected'));

    t.is(await adaptAct(page, () => page.click('[data-testid="adapt-run"]')), 'adapted');
    const answer = await page.evaluate(() => (window as unknown as { lastAdaptation: unknown }).lastAdaptation) as Adaptation;
    // the library on the examples the page sent (96x96 frames: the model input is the frame)
    const examples: AdaptExample[] = sent.map((s, k) => ({ pixels: frames[chosen[k]!]!, objects: s.objects.map((o) => ({ x: o.x, y: o.y, label: Number(o.label) + 1 })) }));
    const expected = adaptModel(loadBinding('wasm'), new Uint8Array(readFileSync(bundledModelPath)), examples).model;
    t.is(answer.sha256, sha256Of(expected));
    t.is(answer.model_bytes, expected.length);
    t.is(answer.previous.sha256, original);
    t.true(answer.after.recall > answer.before.recall, `recall ${answer.before.recall} -> ${answer.after.recall}`);
    t.is((await (await fetch(`${server.url}/model`)).json() as { sha256: string }).sha256, answer.sha256);
    t.is(await page.getAttribute('[data-testid="adapt-sha"] code', 'title'), answer.sha256);
    t.regex(await page.textContent('[data-testid="adapt-bytes"]') ?? '', new RegExp(`^${new Intl.NumberFormat('en-US').format(expected.length)} B`));
    t.is(await page.textContent('[data-testid="adapt-recall"] [data-testid="before"]'), `${(answer.before.recall * 100).toFixed(1)} %`);
    t.is(await page.textContent('[data-testid="adapt-recall"] [data-testid="after"]'), `${(answer.after.recall * 100).toFixed(1)} %`);
    t.is(await page.textContent('[data-testid="adapt-loss"] [data-testid="after"]'), answer.after.loss.toFixed(4));
    // chalkboard frames take an inverting map, gated by polarity: the card shows the answer's gate
    const gate = answer.input_gate;
    if (gate === null) throw new Error('chalkboard examples gave no input gate');
    t.is(gate.statistic, 'polarity');
    t.true(gate.below);
    const shown = page.locator('[data-testid="adapt-input-gate"] span');
    t.deepEqual([await shown.getAttribute('data-statistic'), await shown.getAttribute('data-threshold'), await shown.getAttribute('data-below')],
      [gate.statistic, String(gate.threshold), 'true']);
    t.is(await shown.textContent(), `frames whose polarity is below ${gate.threshold.toFixed(3)} take the map; others the original model`);
    await page.waitForFunction((sha) => document.querySelector('[data-testid="model-sha"] code')?.getAttribute('title') === sha, answer.sha256);

    t.is(await adaptAct(page, () => page.click('[data-testid="adapt-rollback"]')), 'rolled-back');
    t.is((await (await fetch(`${server.url}/model`)).json() as { sha256: string }).sha256, original);
    t.is(await page.getAttribute('[data-testid="model-sha"] code', 'title'), original);

    t.is(await adaptAct(page, () => page.click('[data-testid="adapt-clear"]')), 'cleared');
    t.is(await page.getAttribute('[data-testid="adapt-count"]', 'data-count'), '0');
    t.true(await page.isDisabled('[data-testid="adapt-run"]'));
    t.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
