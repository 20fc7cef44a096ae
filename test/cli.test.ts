// npx xs-tinyml: verify on every backend, error reporting, exit codes.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, optionalTest } from './support/optional.js';
import { cliPath, referenceDir, repoRoot, runCli } from './support/reference.js';

function npx(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['--no', 'xs-tinyml', ...args], { cwd: repoRoot, maxBuffer: 64 << 20, timeout: 600_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

const manifests = { models: join(referenceDir, 'manifest.json'), ops: join(referenceDir, 'ops/manifest.json') };
const vectorCount = (path: string): number => needs.reference.present()
  ? (JSON.parse(readFileSync(path, 'utf8')) as { models: { vectors?: unknown[] }[] }).models.reduce((s, m) => s + (m.vectors?.length ?? 0), 0)
  : 0;
const counts = { models: vectorCount(manifests.models), ops: vectorCount(manifests.ops) };

for (const backend of ['wasm', 'node', 'xs']) {
  for (const which of ['models', 'ops'] as const) {
    optionalTest(`npx xs-tinyml verify ${which} manifest --backend ${backend}: every vector exact, float TANH within 2 ulp`, [needs.reference], async (t) => {
      const r = await npx(['verify', manifests[which], '--backend', backend]);
      t.is(r.code, 0, r.stdout.split('\n').filter((l) => l.startsWith('FAIL')).join('\n') + r.stderr);
      // byte for byte, except float TANH, which the reference set allows 2 ulp (it went through glibc's tanhf)
      const summary = new RegExp(`^(\\d+) exact${which === 'ops' ? ', (\\d+) within 2 ulp' : ''}, 0 mismatched of ${counts[which]} vectors on ${backend}$`, 'm').exec(r.stdout);
      t.truthy(summary, r.stdout.slice(-300));
      const within = Number(summary?.[2] ?? 0);
      t.is(Number(summary?.[1]) + within, counts[which]);
      const tolerated = r.stdout.split('\n').filter((l) => / within \d ulp$/.test(l));
      t.is(tolerated.length, within);
      t.true(tolerated.every((l) => l.startsWith('ok   op_tanh_f32/')), tolerated.join('\n'));
      t.notRegex(r.stderr, /unavailable/, 'the requested backend itself ran');
    }, true);
  }
}

optionalTest('verify exits non-zero and names the vector when an output differs', [needs.reference], async (t) => {
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
}, true);

optionalTest('errors print the status name and detail, never a stack trace', [needs.reference], async (t) => {
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
}, true);

optionalTest('inspect --json reports the session facts', [needs.reference], async (t) => {
  const r = await npx(['inspect', join(referenceDir, 'models/tflm_person_detect.tflite'), '--json', '--backend', 'node']);
  t.is(r.code, 0, r.stderr);
  const facts = JSON.parse(r.stdout) as { arena_bytes: number; macs: number; model_bytes: number; operators: unknown[]; inputs: { dims: number[] }[] };
  t.is(facts.operators.length, 31);
  t.deepEqual(facts.inputs[0]!.dims, [1, 96, 96, 1]);
  t.true(facts.arena_bytes > 50_000 && facts.arena_bytes < 85_024);
  t.is(facts.model_bytes, 300568);
}, true);

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
  t.is(bad.code, 2, 'a usage error');
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

// ---- what went wrong and what to do, in the tool's own words; usage errors exit 2 ----

function core(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cliPath('host'), args, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

test.serial('usage errors exit 2 in both CLIs and say what was wrong and what to do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xtml-cli-'));
  try {
    const model = join(repoRoot, 'models/detector.tflite');
    mkdirSync(join(dir, 'folder.tflite'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ models: [{ id: 'detector', model, vectors: [{ name: 'v', input: 'in.bin', output: 'out.bin' }] }] }));
    const frame = readFileSync(join(repoRoot, 'models/data/heldout.bin')).subarray(9216, 2 * 9216);
    writeFileSync(join(dir, 'frame.raw'), frame);
    const cases: [string, string[], RegExp][] = [
      ['a file that is not there', ['inspect', join(dir, 'nope.tflite')],
        /^xs-tinyml: .*nope\.tflite: no such file; give the path of a \.tflite model\n/],
      ['a folder as the model', ['inspect', join(dir, 'folder.tflite')],
        /^xs-tinyml: .*folder\.tflite is a directory; give the path of a \.tflite model\n/],
      ['a file that is not a manifest', ['verify', join(repoRoot, 'README.md')],
        /^xs-tinyml: .*README\.md is not a reference manifest \(JSON with a "models" array\): it is not JSON\n/],
      ['a filter no model matches', ['verify', join(dir, 'manifest.json'), '--filter', 'zzz'],
        /^xs-tinyml: no model in .*manifest\.json has an id containing 'zzz' \(its ids: detector\)\n/],
      ['a raw frame without its size', ['detect', join(dir, 'frame.raw')],
        /^xs-tinyml: .*frame\.raw: a raw frame needs its size: add --width and --height \(and --format if it is not gray8\)\n/],
      ['an unknown option', ['inspect', model, '--frobnicate'], /^error: unknown option '--frobnicate'/],
      ['an unknown backend', ['inspect', model, '--backend', 'tpu'], /error: option '--backend <backend>' argument 'tpu' is invalid\. expected one of wasm, node, xs/],
    ];
    for (const [what, args, message] of cases) {
      const r = await npx(args);
      t.is(r.code, 2, `${what}: ${r.stderr}`);
      t.regex(r.stderr, message, what);
      t.notRegex(r.stderr, /UNSUPPORTED_MEDIA_TYPE|\?width=|EISDIR|ENOENT|Unexpected token|\n\s+at /, what);
    }
    const missing = await core(['inspect', join(dir, 'nope.tflite')]);
    t.is(missing.code, 2);
    t.is(missing.stderr, `xtml: cannot open ${join(dir, 'nope.tflite')}: No such file or directory\n`);
    const folder = await core(['inspect', join(dir, 'folder.tflite')]);
    t.is(folder.code, 2);
    t.is(folder.stderr, `xtml: cannot read ${join(dir, 'folder.tflite')}: Is a directory\n`);
    t.is((await core(['inspect'])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('a PNG that does not decode is described in our words, not pngjs\'s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xtml-cli-'));
  try {
    const png = Buffer.from(readFileSync(join(repoRoot, 'host-sim/web/sample.png')));
    writeFileSync(join(dir, 'truncated.png'), png.subarray(0, png.length - 40));
    const crc = Buffer.from(png);
    crc[crc.length - 20] = crc[crc.length - 20]! ^ 0xff;
    writeFileSync(join(dir, 'crc.png'), crc);
    const truncated = await npx(['detect', join(dir, 'truncated.png')]);
    t.is(truncated.code, 1);
    t.regex(truncated.stderr, /truncated\.png: CORRUPT_IMAGE: PNG does not decode: the file ends before its image data does \(truncated\)\n$/);
    const damaged = await npx(['detect', join(dir, 'crc.png')]);
    t.is(damaged.code, 1);
    t.regex(damaged.stderr, /crc\.png: CORRUPT_IMAGE: PNG does not decode: its chunks or compressed data do not hold together \(the file is damaged\)\n$/);
    for (const r of [truncated, damaged]) t.notRegex(r.stderr, /stream|waitng|unrecognised/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('a port in use: serve names it and suggests another', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = await npx(['serve', '--port', String(port)]);
    t.is(r.code, 2, r.stderr);
    t.is(r.stderr, `xs-tinyml: 127.0.0.1:${port} is already in use; pick another port with --port, e.g. --port ${port + 1}, or --port 0 for any free one\n`);
  } finally {
    blocker.close();
  }
});
