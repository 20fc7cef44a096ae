// The web page's convert card in real headless Chromium (playwright-core), on the
// real desktop server (wasm): a PyTorch ONNX export and calibration images in,
// the converter's report shown, the int8 model deployed with PUT /model (409
// without "replace expectations" when its input differs, then in service with
// the same bytes a direct POST /convert gives); a file that is no model shows
// its error. Needs /usr/bin/chromium (or $XTML_CHROMIUM).
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../host-sim/node/server.js';
import { repoRoot } from './support/reference.js';

const chromiumPath = process.env['XTML_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
const browserTest = (title: string, run: (t: ExecutionContext) => Promise<void>): void => {
  if (haveChromium) test.serial(title, run);
  else test.serial.skip(`${title} (skipped: ${chromiumPath} is absent: apt-get install -y chromium, or set XTML_CHROMIUM)`, run);
};

interface Report { macs: number; int8_bytes: number; arena_bytes: number; layers: { sqnr_db: number }[]; operators: { op: string }[] }

const onnx = readFileSync(join(repoRoot, 'test/data/onnx/depthwise.onnx'));
const images = Array.from({ length: 5 }, (_, k) => {
  const png = new PNG({ width: 48, height: 40 });
  for (let i = 0; i < 48 * 40; i++) {
    const v = (i * (7 + k) + ((i / 48) | 0) * 13) & 255;
    png.data[4 * i] = v; png.data[4 * i + 1] = 255 - v; png.data[4 * i + 2] = (v * 3) & 255; png.data[4 * i + 3] = 255;
  }
  return { name: `cal${k}.png`, mimeType: 'image/png', buffer: PNG.sync.write(png) };
});

let server: RunningServer;
let browser: Browser;

test.before(async () => {
  if (!haveChromium) return;
  server = await startServer({ backend: 'wasm', port: 0, logger: () => undefined });
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
});
test.after.always(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.url);
  await page.waitForSelector('body[data-model="ready"]');
  return { page, errors };
}

const text = (page: Page, id: string): Promise<string> => page.locator(`[data-testid="${id}"]`).innerText();

browserTest('convert card: ONNX + images -> report -> 409 without replace -> deployed and in service', async (t) => {
  const { page, errors } = await openPage();
  await page.setInputFiles('[data-testid="convert-model"]', { name: 'depthwise.onnx', mimeType: 'application/octet-stream', buffer: onnx });
  await page.setInputFiles('[data-testid="convert-images"]', images);
  await page.selectOption('[data-testid="convert-method"]', 'minmax');
  await page.click('[data-testid="convert-run"]');
  await page.waitForSelector('body[data-convert="converted"], body[data-convert="error"]', { timeout: 120_000 });
  t.is(await page.evaluate(() => document.body.dataset['convert']), 'converted', await text(page, 'convert-error-message').catch(() => ''));
  const report = await page.evaluate(() => (window as unknown as { convertedReport: Report }).convertedReport);
  t.is(await text(page, 'convert-macs'), report.macs.toLocaleString('en-US'));
  t.regex(await text(page, 'convert-arena'), /exact, 32-bit/);
  t.is(await page.locator('[data-testid="convert-layers"] tbody tr').count(), report.layers.length);

  // the same request straight to the server gives the same bytes (the conversion is deterministic)
  const direct = await fetch(`${server.url}/convert`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: onnx.toString('base64'), images: images.map((i) => i.buffer.toString('base64')), method: 'minmax' }),
  });
  t.is(direct.status, 200);
  const bytes = Buffer.from(((await direct.json()) as { model: string }).model, 'base64');
  t.is(bytes.length, report.int8_bytes);

  // a 24x24 input is not the running detector's 96x96: 409 until expectations are replaced
  await page.click('[data-testid="convert-deploy"]');
  await page.waitForSelector('body[data-convert="deploy-error"]');
  t.is(await text(page, 'convert-error-code'), 'MODEL_MISMATCH');
  await page.check('[data-testid="convert-replace"]');
  await page.click('[data-testid="convert-deploy"]');
  await page.waitForSelector('body[data-convert="deployed"]');
  const facts = (await (await fetch(`${server.url}/model`)).json()) as { sha256: string; macs: number; input: { dims: number[] } };
  t.is(facts.sha256, createHash('sha256').update(bytes).digest('hex'));
  t.is(facts.macs, report.macs);
  t.deepEqual(facts.input.dims, [1, 24, 24, 1]);
  await page.waitForFunction((sha) => document.querySelector('[data-testid="model-sha"] code')?.getAttribute('title') === sha, facts.sha256);
  t.deepEqual(errors, []);
  // back to the detector for whatever runs next
  t.is((await fetch(`${server.url}/model/rollback`, { method: 'POST' })).status, 200);
  await page.close();
});

browserTest('convert card: a file that is no model shows NOT_A_MODEL and the page keeps working', async (t) => {
  const { page, errors } = await openPage();
  await page.setInputFiles('[data-testid="convert-model"]', images[0]!);
  await page.setInputFiles('[data-testid="convert-images"]', images.slice(0, 2));
  await page.click('[data-testid="convert-run"]');
  await page.waitForSelector('body[data-convert="error"]', { timeout: 60_000 });
  t.is(await text(page, 'convert-error-code'), 'NOT_A_MODEL');
  t.true(await page.locator('[data-testid="convert-deploy"]').isDisabled());
  t.deepEqual(errors, []);
  await page.close();
});
