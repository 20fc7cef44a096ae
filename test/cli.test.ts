// npx xs-tinyml: verify on every backend, error reporting, exit codes.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceDir, repoRoot, runCli } from './support/reference.js';

function npx(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['--no', 'xs-tinyml', ...args], { cwd: repoRoot, maxBuffer: 64 << 20, timeout: 600_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

const manifests = { models: join(referenceDir, 'manifest.json'), ops: join(referenceDir, 'ops/manifest.json') };
const counts = {
  models: (JSON.parse(readFileSync(manifests.models, 'utf8')) as { models: { vectors?: unknown[] }[] }).models.reduce((s, m) => s + (m.vectors?.length ?? 0), 0),
  ops: (JSON.parse(readFileSync(manifests.ops, 'utf8')) as { models: { vectors?: unknown[] }[] }).models.reduce((s, m) => s + (m.vectors?.length ?? 0), 0),
};

for (const backend of ['wasm', 'node', 'xs']) {
  for (const which of ['models', 'ops'] as const) {
    test.serial(`npx xs-tinyml verify ${which} manifest --backend ${backend}: every vector exact`, async (t) => {
      const r = await npx(['verify', manifests[which], '--backend', backend]);
      t.is(r.code, 0, r.stdout.split('\n').filter((l) => l.startsWith('FAIL')).join('\n') + r.stderr);
      t.regex(r.stdout, new RegExp(`^${counts[which]} exact, 0 mismatched of ${counts[which]} vectors on ${backend}$`, 'm'));
      t.notRegex(r.stderr, /unavailable/, 'the requested backend itself ran');
    });
  }
}

test.serial('verify exits non-zero and names the vector when an output differs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xtml-cli-'));
  try {
    const m = (JSON.parse(readFileSync(manifests.models, 'utf8')) as { models: { id: string; model: string; vectors: { input: string; output: string; name: string }[] }[] }).models
      .find((x) => x.id === 'tflm_hello_world_int8')!;
    const vector = m.vectors[0]!;
    copyFileSync(join(referenceDir, m.model), join(dir, 'model.tflite'));
    copyFileSync(join(referenceDir, vector.input), join(dir, 'in.bin'));
    const wrong = Buffer.from(readFileSync(join(referenceDir, vector.output)));
    wrong[0] = (wrong[0]! + 1) & 0xff;
    writeFileSync(join(dir, 'out.bin'), wrong);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ models: [{ id: 'tampered', model: 'model.tflite', vectors: [{ name: vector.name, input: 'in.bin', output: 'out.bin' }] }] }));
    for (const backend of ['wasm', 'node', 'xs']) {
      const r = await npx(['verify', join(dir, 'manifest.json'), '--backend', backend]);
      t.is(r.code, 1, backend);
      t.regex(r.stdout, new RegExp(`FAIL tampered/${vector.name}: MISMATCH at byte 0`), backend);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('errors print the status name and detail, never a stack trace', async (t) => {
  for (const backend of ['wasm', 'node', 'xs']) {
    const r = await npx(['inspect', join(referenceDir, 'models/tflm_person_detect_vela.tflite'), '--backend', backend]);
    t.is(r.code, 1);
    t.is(r.stderr.trim(), "XTML_STATUS_UNSUPPORTED_OPERATOR: operator 0: custom operator 'ethos-u' version 1 is not supported", backend);
  }
  const truncated = join(tmpdir(), `xtml-truncated-${process.pid}.tflite`);
  writeFileSync(truncated, readFileSync(join(referenceDir, 'models/tflm_hello_world_int8.tflite')).subarray(0, 100));
  const r = await npx(['run', truncated, '--input', truncated, '--output', '/dev/null']);
  rmSync(truncated);
  t.is(r.code, 1);
  t.regex(r.stderr, /^XTML_STATUS_MODEL_\w+: /);
  t.notRegex(r.stderr, /\n\s+at /);
});

test.serial('inspect --json reports the session facts', async (t) => {
  const r = await npx(['inspect', join(referenceDir, 'models/tflm_person_detect.tflite'), '--json', '--backend', 'node']);
  t.is(r.code, 0, r.stderr);
  const facts = JSON.parse(r.stdout) as { arena_bytes: number; macs: number; model_bytes: number; operators: unknown[]; inputs: { dims: number[] }[] };
  t.is(facts.operators.length, 31);
  t.deepEqual(facts.inputs[0]!.dims, [1, 96, 96, 1]);
  t.true(facts.arena_bytes > 50_000 && facts.arena_bytes < 85_024);
  t.is(facts.model_bytes, 300568);
});

test.serial('inspect gives the 32-bit arena beside the backend\'s, and --target makes it arena_bytes', async (t) => {
  const model = join(repoRoot, 'models/detector.tflite');
  const c = JSON.parse((await runCli('host', ['inspect', model, '--json', '--target', 'esp32'])).stdout) as { arena_bytes: number; arena_bytes_host: number };
  const node = await npx(['inspect', model, '--backend', 'node']);
  t.is(node.code, 0, node.stderr);
  t.regex(node.stdout, new RegExp(`^arena ${c.arena_bytes_host} bytes \\(exact, node\\), ${c.arena_bytes} bytes on 32-bit targets`, 'm'));
  for (const [backend, target] of [['node', 'esp32c3'], ['wasm', 'cortex-m'], ['node', 'host']] as const) {
    const r = await npx(['inspect', model, '--json', '--backend', backend, '--target', target]);
    t.is(r.code, 0, r.stderr);
    const facts = JSON.parse(r.stdout) as { arena_bytes: number; target: string; arena_bytes_host: number; arena_bytes_32bit: number };
    t.is(facts.target, target);
    t.is(facts.arena_bytes_32bit, c.arena_bytes, 'the C core\'s xtml_arena_size_for(4)');
    t.is(facts.arena_bytes_host, backend === 'node' ? c.arena_bytes_host : c.arena_bytes, backend);
    t.is(facts.arena_bytes, target === 'host' ? facts.arena_bytes_host : c.arena_bytes, `${backend} ${target}`);
  }
  const bad = await npx(['inspect', model, '--target', 'z80']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /'z80' is invalid\. expected host or a 32-bit target: esp32/);
});

test.serial('npx xs-tinyml detect: the same detections on every backend; a corrupt image is a CODE and exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xtml-cli-'));
  try {
    const frame = readFileSync(join(repoRoot, 'models/data/heldout.bin')).subarray(9216, 2 * 9216);
    writeFileSync(join(dir, 'frame.pgm'), Buffer.concat([Buffer.from('P5\n96 96\n255\n'), frame]));
    writeFileSync(join(dir, 'frame.raw'), frame);
    writeFileSync(join(dir, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n not really', 'latin1'));
    const answers: string[] = [];
    for (const backend of ['wasm', 'node', 'xs']) {
      const r = await npx(['detect', join(dir, 'frame.pgm'), '--json', '--backend', backend]);
      t.is(r.code, 0, r.stderr);
      answers.push(JSON.stringify((JSON.parse(r.stdout) as { detections: unknown[] }).detections));
    }
    t.true((JSON.parse(answers[0]!) as unknown[]).length > 0);
    t.is(answers[1], answers[0]);
    t.is(answers[2], answers[0]);
    const raw = await npx(['detect', join(dir, 'frame.raw'), '--width', '96', '--height', '96', '--json']);
    t.is(JSON.stringify((JSON.parse(raw.stdout) as { detections: unknown[] }).detections), answers[0]!);
    const human = await npx(['detect', join(dir, 'frame.pgm')]);
    t.regex(human.stdout, /frame\.pgm: 96x96, \d+ detections? \(preprocess/);
    const bad = await npx(['detect', join(dir, 'broken.png')]);
    t.is(bad.code, 1);
    t.regex(bad.stderr, /broken\.png: CORRUPT_IMAGE: /);
    t.notRegex(bad.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
