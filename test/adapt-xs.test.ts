// Adaptation on the desktop XS host: the library (host-sim/xs/adapt-run.ts)
// and the REST calls (`--backend xs`, the API and model service inside XS)
// make the same new model bytes from the same examples and seed as the Node
// addon, input map and head included; rollback restores the bundled model.
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { loadBinding } from '../host-sim/node/backends.js';
import { startServer } from '../host-sim/node/server.js';
import { xsHostPath, xsManifestPath } from '../host-sim/xs/xs-backend.js';
import { adaptModel, type AdaptExample } from '../src/adapt/head.js';
import { encodePgm } from '../src/index.js';
import { shiftSet } from '../tools/adapt-shift.js';
import { int8ModelPath, loadHeldOut } from '../tools/detector.js';

const exec = promisify(execFile);
const detector = new Uint8Array(readFileSync(int8ModelPath));
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const held = loadHeldOut(8);
const frames = shiftSet('chalkboard', held.frames, held.width);
const chosen = [1, 2, 5];
const examples: AdaptExample[] = chosen.map((i) => ({ pixels: frames[i]!, objects: held.truths[i]!.map(([x, y, d]) => ({ x, y, label: d + 1 })) }));
const scratch = mkdtempSync(join(tmpdir(), 'xtml-adapt-xs-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

function pngOfGray(gray: Uint8Array): Buffer {
  const png = new PNG({ width: 96, height: 96, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(gray);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

test('adaptModel on XS writes the same bytes as on the Node addon (input map and head, 40 steps, seed 7)', async (t) => {
  const framesPath = join(scratch, 'frames.bin'), objectsPath = join(scratch, 'objects.json'), out = join(scratch, 'xs.tflite');
  writeFileSync(framesPath, Buffer.concat(examples.map((e) => e.pixels)));
  writeFileSync(objectsPath, JSON.stringify(examples.map((e) => e.objects)));
  const { stdout } = await exec(xsHostPath, ['--manifest', xsManifestPath, 'adapt-run', int8ModelPath, framesPath, objectsPath, out, '--steps', '40', '--seed', '7']);
  const report = JSON.parse(stdout.trim()) as { sha256: string; bytes: number; inputMap: { a: number; c: number } | null; lossBefore: number; lossAfter: number };
  const node = adaptModel(loadBinding('node'), detector, examples, { steps: 40, seed: 7 });
  t.not(node.inputMap, undefined, 'chalkboard frames take the input map');
  t.deepEqual(new Uint8Array(readFileSync(out)), node.model, 'the same bytes');
  t.is(report.sha256, sha(node.model));
  t.deepEqual(report.inputMap, node.inputMap ?? null, 'the same input map, to the last bit');
  t.is(report.lossBefore, node.lossBefore);
  t.is(report.lossAfter, node.lossAfter);
});

test('the REST calls on --backend xs: PNG and PGM examples, POST /adapt installs the Node addon\'s bytes, rollback undoes it', async (t) => {
  const server = await startServer({ backend: 'xs', port: 0, logger: () => undefined });
  const call = async (method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(server.url + path, { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  try {
    t.like(await call('POST', '/adapt'), { status: 409, json: { error: { code: 'NO_EXAMPLES' } } });
    t.like(await call('POST', '/adapt/examples', JSON.stringify({ image: Buffer.from('GIF89a....').toString('base64'), objects: [] })),
      { status: 400, json: { error: { code: 'BAD_IMAGE' } } });
    const png = pngOfGray(frames[1]!);
    png[png.length - 20] = png[png.length - 20]! ^ 0xff; // a PNG that does not decode (its last chunk's CRC or data)
    t.is((await call('POST', '/adapt/examples', JSON.stringify({ image: png.toString('base64'), objects: [] }))).status, 400);
    for (const [k, i] of chosen.entries()) {
      // the first two as PNG (decoded on the Node side), the last as PGM (XS reads it)
      const image = k < 2 ? pngOfGray(frames[i]!) : Buffer.from(encodePgm({ width: 96, height: 96, format: 'gray8', data: frames[i]! }));
      const r = await call('POST', '/adapt/examples', JSON.stringify({
        image: image.toString('base64'), objects: held.truths[i]!.map(([x, y, d]) => ({ x, y, label: String(d) })),
      }));
      t.like(r, { status: 200, json: { index: k, count: k + 1 } });
    }
    t.like(await call('POST', '/adapt/examples', JSON.stringify({ image: pngOfGray(frames[1]!).toString('base64'), objects: [{ x: 5, y: 5, label: 'cat' }] })),
      { status: 422, json: { error: { code: 'UNKNOWN_LABEL' } } });
    const original = (await call('GET', '/model')).json['sha256'];
    const r = await call('POST', '/adapt', JSON.stringify({ steps: 30, seed: 3 }));
    t.is(r.status, 200, JSON.stringify(r.json));
    const expected = adaptModel(loadBinding('node'), detector, examples, { steps: 30, seed: 3 }).model;
    t.is(r.json['sha256'], sha(expected), 'XS installed the bytes the Node addon makes');
    t.is(r.json['model_bytes'], expected.length);
    t.is((await call('GET', '/model')).json['sha256'], sha(expected));
    t.like(await call('POST', '/model/rollback'), { status: 200, json: { sha256: original } });
  } finally {
    await server.close();
  }
});
