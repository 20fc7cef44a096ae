// npm run bench:http (part of npm run bench): POST /detect on loopback under a
// bounded load, with autocannon, for WebAssembly and the Node addon (and the
// XS host when it is built): requests per second and latency p50/p99. The body
// is held-out frame 1 as a PGM (96x96, the model's own size) and as a 640x480
// PNG (decoding and area-average resizing included). Then POST /classify
// (keyword spotting, docs/audio.md) with one 1 s clip, one request at a time:
// mean, p50 and p95 ms per request (needs the reference set's micro_speech
// model; without it that table says so). Tables on stdout.
import autocannon from 'autocannon';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PNG } from 'pngjs';
import { startServer } from '../host-sim/node/server.js';
import { xsHostAvailable } from '../host-sim/xs/xs-backend.js';
import { encodeWav } from '../src/audio/wav.js';
import { encodePgm, type BackendName } from '../src/index.js';
import { referenceDir } from '../test/support/reference.js';
import { audioDataDir } from './audio-frontend.js';
import { root } from './detector.js';

const CONNECTIONS = 4;
const SECONDS = Number(process.env['XTML_BENCH_SECONDS'] ?? 8);
/** POST /classify requests per backend, after 10 to warm up. */
const CLASSIFY_REQUESTS = Number(process.env['XTML_BENCH_CLASSIFY'] ?? 200);

const frame = new Uint8Array(readFileSync(join(root, 'models/data/heldout.bin')).subarray(9216, 2 * 9216));
const pgm = Buffer.from(encodePgm({ width: 96, height: 96, format: 'gray8', data: frame }));
// 640x480: the frame scaled up 5x into the middle of a white page
const big = new PNG({ width: 640, height: 480 });
big.data.fill(255);
for (let y = 0; y < 480; y++) {
  for (let x = 80; x < 560; x++) {
    const v = frame[Math.floor(y / 5) * 96 + Math.floor((x - 80) / 5)]!;
    big.data.set([v, v, v, 255], 4 * (y * 640 + x));
  }
}
const png = PNG.sync.write(big);

const bodies: [string, Buffer, string][] = [['96x96 PGM', pgm, 'image/x-portable-graymap'], ['640x480 PNG', png, 'image/png']];
const backends: BackendName[] = ['wasm', 'node', ...(xsHostAvailable() ? ['xs' as const] : [])];

interface Row { backend: string; body: string; rps: number; p50: number; p99: number; failed: number; requests: number }
const rows: Row[] = [];
for (const backend of backends) {
  const server = await startServer({ backend, port: 0 });
  try {
    for (const [name, body, type] of bodies) {
      // warm up (JIT tiers, caches), then measure
      await autocannon({ url: `${server.url}/detect`, method: 'POST', headers: { 'content-type': type }, body, connections: 1, amount: 50 });
      const r = await autocannon({ url: `${server.url}/detect`, method: 'POST', headers: { 'content-type': type }, body, connections: CONNECTIONS, duration: SECONDS });
      rows.push({ backend, body: name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed: r.errors + r.timeouts + r.non2xx, requests: r.requests.total });
      process.stderr.write(`${backend} ${name}: ${r.requests.average.toFixed(0)} req/s\n`);
    }
  } finally {
    await server.close();
  }
}

console.log(`\nPOST /detect on loopback, ${CONNECTIONS} connections, ${SECONDS} s each (autocannon)\n`);
console.log('| backend | body | req/s | p50 ms | p99 ms | requests | failed |');
console.log('|---|---|--:|--:|--:|--:|--:|');
for (const r of rows) {
  console.log(`| ${r.backend} | ${r.body} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.requests} | ${r.failed} |`);
}
if (rows.some((r) => r.failed > 0)) process.exitCode = 1;

// ---- POST /classify: the tone clip (1 kHz in noise, a full second) as a WAV ----

const keywordPath = join(referenceDir, 'models/tflm_micro_speech_quantized.tflite');
/** The value below which `share` of the sorted values lie (nearest rank). */
const rank = (sorted: number[], share: number): number => sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)]!;

console.log(`\nPOST /classify on loopback, one request at a time, ${CLASSIFY_REQUESTS} requests of a 1 s 16 kHz WAV (tone) each\n`);
if (!existsSync(keywordPath)) {
  console.log(`not measured: no keyword model at ${keywordPath} (the reference set; set XTML_REFERENCE)`);
} else {
  const pcm = readFileSync(join(audioDataDir, 'tone.pcm'));
  const wav = Buffer.from(encodeWav(new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length)), 16000));
  interface Timed { ms: number; frontendMs: number; keywordMs: number }
  const post = async (url: string): Promise<Timed> => {
    const started = performance.now();
    const r = await fetch(`${url}/classify`, { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: wav });
    const answer = (await r.json()) as { timing: { frontend_ms: number; invoke_ms: number } };
    const ms = performance.now() - started;
    if (r.status !== 200) throw new Error(`POST /classify answered ${r.status}: ${JSON.stringify(answer)}`);
    return { ms, frontendMs: answer.timing.frontend_ms, keywordMs: answer.timing.invoke_ms };
  };
  const mean = (xs: number[]): number => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  console.log('| backend | mean ms | p50 ms | p95 ms | server: front end ms (mean) | server: keyword model ms (mean) | requests |');
  console.log('|---|--:|--:|--:|--:|--:|--:|');
  for (const backend of backends) {
    const server = await startServer({ backend, port: 0, keyword: { keywordPath } });
    try {
      for (let i = 0; i < 10; i++) await post(server.url);
      const runs: Timed[] = [];
      for (let i = 0; i < CLASSIFY_REQUESTS; i++) runs.push(await post(server.url));
      const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
      const cells = [mean(sorted), rank(sorted, 0.5), rank(sorted, 0.95), mean(runs.map((r) => r.frontendMs)), mean(runs.map((r) => r.keywordMs))];
      console.log(`| ${backend} | ${cells.map((x) => x.toFixed(2)).join(' | ')} | ${runs.length} |`);
      process.stderr.write(`${backend} /classify: ${mean(sorted).toFixed(2)} ms mean\n`);
    } finally {
      await server.close();
    }
  }
}
