// Properties of the core's builds: no heap anywhere, and the CLI's contract.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { loadManifest, repoRoot, runCli, type Variant } from './support/reference.js';

const allocators = ['malloc', 'calloc', 'realloc', 'free', 'aligned_alloc', 'posix_memalign', 'strdup', 'memalign'];

for (const [variant, requirements] of [['host', []], ['host32', [needs.gccMultilib]], ['clang', [needs.clang]]] as [Variant, Requirement[]][]) {
  optionalTest(`${variant}: no object file of the core references a heap allocator`, requirements, (t) => {
    const dir = join(repoRoot, 'build', variant, 'obj');
    const objects = readdirSync(dir).filter((f) => f.endsWith('.o'));
    t.true(objects.length >= 10, `expected the core's objects in ${dir}`);
    for (const object of objects) {
      const undefinedSymbols = execFileSync('nm', ['-u', join(dir, object)], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.trim().split(/\s+/).pop() ?? '')
        .filter(Boolean);
      const bad = undefinedSymbols.filter((s) => allocators.includes(s.replace(/@.*$/, '')));
      t.deepEqual(bad, [], `${object} references ${bad.join(', ')}`);
    }
  });
}

test('the no-heap check can fail: the CLI itself does use malloc', (t) => {
  const symbols = execFileSync('nm', ['-u', join(repoRoot, 'build/host/obj/tools/xtml_cli.o')], { encoding: 'utf8' });
  t.regex(symbols, /\bmalloc\b/);
});

const real = loadManifest('models');
const model = (id: string): string => {
  const m = real.find((x) => x.id === id);
  if (m === undefined) throw new Error(`${id} not in the manifest`);
  return join(m.base, m.model);
};

test('inspect --json reports arena, MACs, model bytes, operators and tensors', async (t) => {
  const r = await runCli('host', ['inspect', model('tflm_person_detect'), '--json']);
  t.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as Record<string, unknown>;
  for (const key of ['arena_bytes', 'macs', 'model_bytes', 'operators', 'tensors']) t.true(key in info, key);
  const ops = info['operators'] as { name: string; macs: number }[];
  t.is(ops.length, 31);
  t.is(ops.filter((o) => o.name === 'CONV_2D').length, 14);
  t.is(info['macs'], ops.reduce((s, o) => s + o.macs, 0));
  t.true((info['macs'] as number) > 1_000_000);
  t.is(info['model_bytes'], real.find((m) => m.id === 'tflm_person_detect')!.bytes);
});

test('a failed load prints the status name and detail and exits non-zero', async (t) => {
  const r = await runCli('host', ['inspect', model('tflm_person_detect_vela')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /^XTML_STATUS_UNSUPPORTED_OPERATOR: .*ethos-u/);
  const missing = await runCli('host', ['run', model('tflm_hello_world_int8'), '--input', '/nonexistent', '--output', '/tmp/x']);
  t.not(missing.code, 0);
});

test('run refuses an input file of the wrong size', async (t) => {
  const r = await runCli('host', ['run', model('tflm_hello_world_int8'), '--input', model('tflm_hello_world_int8'), '--output', '/dev/null']);
  t.is(r.code, 1);
  t.regex(r.stderr, /XTML_STATUS_BAD_ARGUMENT: input file has \d+ bytes, the model's inputs need 1/);
});
