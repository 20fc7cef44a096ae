// The device app (native/xs/device/main.ts) on the desktop XS host, with the
// device's own transport (http-transport.ts), storage (storage.ts, over the
// host's files) and SHA-256 module, and an HTTP server that listens on nothing
// but gets each request as Moddable's http.js would hand it over
// (host-sim/xs/device-check.ts): a configured signing key refuses every update
// with 501 before the body is read; a Content-Length over the limit (frames
// and models each have theirs) is 413 before the body is read, counted; an
// update is stored and booted again after a restart; detections are those an
// independent decoding finds. Also: the known frames in flash are the held-out
// frames the app says they are.
import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xsHostPath, xsManifestPath } from '../host-sim/xs/xs-backend.js';
import { encodePgm } from '../src/index.js';
import { int8ModelPath, loadHeldOut } from '../tools/detector.js';
import { metric } from './support/http.js';
import { oracleDetections } from './support/oracle.js';
import { repoRoot } from './support/reference.js';

const knownFramesPath = join(repoRoot, 'native/xs/device/known-frames.gray');
const scratch = mkdtempSync(join(tmpdir(), 'xtml-device-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const bundled = new Uint8Array(readFileSync(int8ModelPath));
const v2 = Uint8Array.from(bundled);
{
  const m = /"version":\s*1\b/.exec(Buffer.from(v2).toString('latin1'))!;
  v2[m.index + m[0].length - 1] = 0x32;
}

interface Answer {
  status: number;
  reason?: string;
  headers: string[];
  body: string;
  bodyRead: boolean;
}

interface Request {
  method: string;
  target: string;
  headers?: [string, string][];
  body?: Uint8Array;
}

/** Runs the device app with `config` in a folder holding its resources; the answers to `requests`, and what it traced. */
function device(config: Record<string, unknown>, requests: Request[]): Promise<{ answers: Answer[]; trace: string[] }> {
  const cwd = mkdtempSync(join(scratch, 'run-'));
  symlinkSync(int8ModelPath, join(cwd, 'detector.tflite'));
  symlinkSync(knownFramesPath, join(cwd, 'known-frames.gray'));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(xsHostPath, ['--manifest', xsManifestPath, 'device-check', '--config', JSON.stringify(config)], { cwd });
    let out = '', err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`device-check exited ${code}: ${err}`));
      const lines = out.split('\n').filter((l) => l !== '');
      resolvePromise({
        answers: lines.filter((l) => l.startsWith('{"answer":')).map((l) => (JSON.parse(l) as { answer: Answer }).answer),
        trace: lines.filter((l) => !l.startsWith('{"answer":')),
      });
    });
    for (const r of requests) {
      const body = r.body ?? new Uint8Array(0);
      child.stdin.write(JSON.stringify({ method: r.method, target: r.target, headers: r.headers ?? [], body: Buffer.from(body).toString('hex') }) + '\n');
    }
    child.stdin.end();
  });
}

const withBody = (method: string, target: string, body: Uint8Array, type = 'application/octet-stream'): Request =>
  ({ method, target, body, headers: [['Content-Type', type], ['Content-Length', String(body.length)]] });
const errorCode = (a: Answer): string | undefined => (JSON.parse(a.body) as { error?: { code: string } }).error?.code;

test('native/xs/device/known-frames.gray is held-out frames 1..24 of models/data/heldout.bin, as main.ts says', (t) => {
  const known = readFileSync(knownFramesPath);
  const held = readFileSync(join(repoRoot, 'models/data/heldout.bin'));
  t.is(known.length, 24 * 96 * 96);
  t.true(known.equals(held.subarray(96 * 96, 25 * 96 * 96)));
});

test('device app with a signing key: PUT /model is 501 SIGNATURES_UNSUPPORTED before its body is read, counted; the rest serves', async (t) => {
  const root = mkdtempSync(join(scratch, 'signed-'));
  const { answers } = await device({ signingKey: 'MCowBQYDK2VwAyEA', file: { root: `${root}/` } }, [
    withBody('PUT', '/model', v2),
    { method: 'GET', target: '/healthz' },
    { method: 'GET', target: '/metrics' },
  ]);
  const [put, health, metrics] = answers as [Answer, Answer, Answer];
  t.is(put.status, 501);
  t.is(errorCode(put), 'SIGNATURES_UNSUPPORTED');
  t.false(put.bodyRead, 'answered from the headers');
  t.is(health.status, 200);
  t.is(metric(metrics.body, 'xtml_errors_total{code="SIGNATURES_UNSUPPORTED"}'), 1);
  t.regex(metrics.body, new RegExp(`^xtml_model_info\\{id="xs-tinyml digit detector",sha256="${sha(bundled)}"\\} 1$`, 'm'));
});

test('device app: Content-Length over the limit is 413 before the body is read, counted; an update is stored and boots again', async (t) => {
  const root = mkdtempSync(join(scratch, 'plain-'));
  const config = { file: { root: `${root}/` }, storage: { dir: 'xtml' }, maxBodyBytes: 16384, maxModelBytes: 65536 };
  const frame = loadHeldOut(2).frames[1]!;
  const pgm = encodePgm({ width: 96, height: 96, format: 'gray8', data: frame });
  const { answers } = await device(config, [
    withBody('POST', '/detect?width=200&height=100', new Uint8Array(20000)),
    withBody('PUT', '/model', new Uint8Array(70000)),
    withBody('POST', '/detect', pgm, 'image/x-portable-graymap'),
    withBody('PUT', '/model', v2),
    { method: 'GET', target: '/metrics' },
  ]);
  const [frameTooLarge, modelTooLarge, detected, updated, metrics] = answers as [Answer, Answer, Answer, Answer, Answer];
  t.deepEqual([frameTooLarge.status, errorCode(frameTooLarge), frameTooLarge.bodyRead], [413, 'BODY_TOO_LARGE', false]);
  t.regex(frameTooLarge.body, /the body is 20000 bytes, the limit is 16384/);
  t.deepEqual([modelTooLarge.status, errorCode(modelTooLarge), modelTooLarge.bodyRead], [413, 'BODY_TOO_LARGE', false]);
  t.regex(modelTooLarge.body, /the body is 70000 bytes, the limit is 65536/);
  t.is(detected.status, 200);
  const found = (JSON.parse(detected.body) as { detections: { label: string; cx: number; cy: number; score: number }[] }).detections;
  const oracle = oracleDetections(frame);
  t.deepEqual(found.map((d) => d.label), oracle.map((d) => d.label));
  found.forEach((d, i) => t.true(Math.abs(d.cx - oracle[i]!.cx) <= 0.01 && Math.abs(d.score - oracle[i]!.score) <= 1e-4));
  t.true(updated.bodyRead);
  t.is(updated.status, 200, updated.body);
  t.is((JSON.parse(updated.body) as { sha256: string }).sha256, sha(v2));
  t.is(metric(metrics.body, 'xtml_errors_total{code="BODY_TOO_LARGE"}'), 2);
  t.is(metric(metrics.body, 'xtml_model_swaps_total'), 1);
  t.true(readFileSync(join(root, 'xtml/model-a.tflite')).equals(v2), 'stored in the storage folder');
  // restart on the same storage
  const again = await device(config, [{ method: 'GET', target: '/model' }]);
  const facts = JSON.parse(again.answers[0]!.body) as { sha256: string; service: { source: string; rollback: string } };
  t.is(facts.sha256, sha(v2));
  t.like(facts.service, { source: 'a', rollback: 'bundled' });
  t.true(again.trace.some((l) => l.startsWith('model xs-tinyml digit detector from slot a:')), again.trace.join('\n'));
});
