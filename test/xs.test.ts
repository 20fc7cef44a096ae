// The TypeScript API on Moddable XS: the desktop XS host (build/xs/xtml-xs,
// XS 13.3 with the core and native/xs/xtml_xs.c linked in) runs
// InferenceSession on the XS binding. Every reference vector byte for byte;
// the same errors as the C CLI for bad models; the module map of
// native/xs/manifest.json resolving every import as a device would.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadModelsXs,
  runManifestXs,
  runModelXs,
  statusNamesXs,
  truncationsXs,
  xsHostPath,
  xsManifestPath,
  type XsVectorResult,
} from '../host-sim/xs/xs-backend.js';
import { statusNames } from '../src/errors.js';
import { needs, optionalGroup, optionalTest } from './support/optional.js';
import {
  compareOutputs, loadManifest, loadTflmRefused, referenceDir, repoRoot, runCli, singleInvoke, tflmOpsDir, tflmOpsGroups, type ModelSpec,
} from './support/reference.js';

function run(file: string, args: string[], timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

// Built once for the whole file (a no-op when `npm run build:xs` already ran).
const built = run('make', ['-s', '-C', join(repoRoot, 'host-sim/xs')]);
async function host(): Promise<void> {
  const r = await built;
  if (r.code !== 0) throw new Error(`make -C host-sim/xs failed: ${r.stderr}`);
}

const scratch = mkdtempSync(join(tmpdir(), 'xtml-xs-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const real = needs.reference.present() ? loadManifest('models') : [];
const ops = needs.reference.present() ? loadManifest('ops') : [];
const byId = (id: string): ModelSpec => {
  const m = [...real, ...ops].find((x) => x.id === id);
  if (m === undefined) throw new Error(`${id} is not in the manifests`);
  return m;
};
const modelPath = (m: ModelSpec): string => join(m.base, m.model);

test.serial('the XS host builds', async (t) => {
  const r = await built;
  t.is(r.code, 0, r.stderr);
  const modules = await run(xsHostPath, ['--manifest', xsManifestPath, '--modules']);
  t.is(modules.code, 0, modules.stderr);
});

// ---- every reference vector, byte for byte ----

function checkVectors(models: ModelSpec[], results: Promise<XsVectorResult[]>): void {
  for (const model of models.filter((m) => (m.vectors ?? []).length > 0)) {
    test(`xs: ${model.id} matches TFLM on all ${model.vectors!.length} vectors`, async (t) => {
      await host();
      const mine = (await results).filter((r) => r.model === model.id);
      const problems: string[] = [];
      for (const vector of model.vectors!) {
        const r = mine.find((x) => x.vector === vector.name);
        if (r === undefined) {
          problems.push(`${vector.name}: no result${mine[0]?.error ? ` (${JSON.stringify(mine[0].error)})` : ''}`);
        } else if (r.error !== undefined || r.output === undefined) {
          problems.push(`${vector.name}: ${JSON.stringify(r.error)}`);
        } else {
          const diff = compareOutputs(model.id, r.output, readFileSync(join(model.base, vector.output)));
          if (diff !== null) problems.push(`${vector.name}: ${diff}`);
        }
      }
      t.deepEqual(problems, []);
    });
  }
}

// One XS process per manifest, models loaded as Resources (mapped, zero copy).
let realResults: Promise<XsVectorResult[]> = Promise.resolve([]);
let opsResults: Promise<XsVectorResult[]> = Promise.resolve([]);
optionalGroup('xs: every reference vector matches TFLM', [needs.reference], () => {
  realResults = host().then(() => runManifestXs(join(referenceDir, 'manifest.json')));
  opsResults = host().then(() => runManifestXs(join(referenceDir, 'ops/manifest.json')));
  realResults.catch(() => undefined);
  opsResults.catch(() => undefined);
  checkVectors(real, realResults);
  checkVectors(ops, opsResults);
});

// The project's own single-operator sets (test/data/tflm-ops): one XS process per group.
for (const group of tflmOpsGroups()) {
  const models = loadManifest('tflm').filter((m) => m.base === join(tflmOpsDir, group) && singleInvoke(m));
  const results = host().then(() => runManifestXs(join(tflmOpsDir, group, 'manifest.json')));
  results.catch(() => undefined);
  checkVectors(models, results);
}

test("the tflm-ops configurations TFLM refuses get the C CLI's outcome", async (t) => {
  await host();
  const refused = loadTflmRefused();
  if (refused.length === 0) return t.pass('no group has refused configurations yet');
  const files = refused.map((r) => join(r.base, r.model));
  const loaded = await loadModelsXs(files);
  for (const [i, r] of loaded.entries()) {
    const xs = r.error === undefined ? 'ok' : `${r.error.code}: ${r.error.detail}`;
    const cli = await cliOutcome(files[i]!);
    t.true(cli.startsWith(`${refused[i]!.expected_refusal}: `), `${refused[i]!.id}: ${cli}`);
    t.is(xs, cli, refused[i]!.id);
  }
});

optionalTest('model bytes as an ArrayBuffer or an unaligned view (copied) give the same outputs as a Resource (in place)', [needs.reference], async (t) => {
  await host();
  const mapped = await opsResults;
  for (const load of ['copy', 'view'] as const) {
    const copied = await runManifestXs(join(referenceDir, 'ops/manifest.json'), { load });
    t.is(copied.length, mapped.length, load);
    copied.forEach((r, i) => t.deepEqual(r, mapped[i], `${load}: ${r.model} ${r.vector ?? ''}`));
  }
  const only = ['tflm_micro_speech_quantized', 'tiny_ic_pretrainedResnet_quant'];
  const viaCopy = await runManifestXs(join(referenceDir, 'manifest.json'), { load: 'copy', only });
  t.deepEqual(viaCopy, (await realResults).filter((r) => only.includes(r.model)));
});

// ---- the same errors as the other backends ----

/** The C CLI's outcome for a model file: "CODE: detail", or "ok". */
async function cliOutcome(path: string): Promise<string> {
  const r = await runCli('host', ['inspect', path]);
  return r.code === 0 ? 'ok' : r.stderr.trim();
}

optionalTest('a truncated model is refused at every length, with the C CLI’s status and detail', [needs.reference], async (t) => {
  await host();
  const m = byId('tflm_hello_world_int8');
  const whole = readFileSync(modelPath(m));
  const outcomes = await truncationsXs(modelPath(m));
  t.is(outcomes.length, whole.length);
  t.deepEqual(outcomes.filter((o) => o === 'ok'), []);
  t.true(outcomes.slice(0, 8).every((o) => o.startsWith('XTML_STATUS_MODEL_TRUNCATED: ')));
  const lengths = [0, 1, 7, 8, 9, 12, 16, 24, 32, 64, 100, 256, 1000, whole.length >> 1, whole.length - 16, whole.length - 1];
  const files = lengths.map((length) => {
    const file = join(scratch, `truncated-${length}.tflite`);
    writeFileSync(file, whole.subarray(0, length));
    return file;
  });
  for (const [i, file] of files.entries()) t.is(outcomes[lengths[i]!] ?? 'missing', await cliOutcome(file), `length ${lengths[i]}`);
  // Through InferenceSession, mapped and copied, the same again.
  for (const load of ['map', 'copy'] as const) {
    const loaded = await loadModelsXs(files, { load });
    loaded.forEach((r, i) => t.is(`${r.error?.code}: ${r.error?.detail}`, outcomes[lengths[i]!] ?? 'missing', `${load}, length ${lengths[i]}`));
  }
});

optionalTest('a wrong identifier: XTML_STATUS_MODEL_IDENTIFIER', [needs.reference], async (t) => {
  await host();
  const model = new Uint8Array(readFileSync(modelPath(byId('tflm_hello_world_int8'))));
  model.set([0x54, 0x46, 0x4c, 0x32], 4); // "TFL2"
  const file = join(scratch, 'tfl2.tflite');
  writeFileSync(file, model);
  const r = await runModelXs(file);
  t.is(r.error?.code, 'XTML_STATUS_MODEL_IDENTIFIER');
  t.is(`${r.error?.code}: ${r.error?.detail}`, await cliOutcome(file));
});

optionalTest("the vela model: XTML_STATUS_UNSUPPORTED_OPERATOR naming 'ethos-u'", [needs.reference], async (t) => {
  await host();
  const file = modelPath(byId('tflm_person_detect_vela'));
  for (const load of ['map', 'copy'] as const) {
    const r = await runModelXs(file, { load });
    t.is(r.error?.code, 'XTML_STATUS_UNSUPPORTED_OPERATOR', load);
    t.regex(r.error?.detail ?? '', /ethos-u/);
    t.is(r.error?.needed, undefined);
    t.is(`${r.error?.code}: ${r.error?.detail}`, await cliOutcome(file));
  }
});

optionalTest('an arena one byte too small: XTML_STATUS_ARENA_TOO_SMALL with the size needed; exactly enough works', [needs.reference], async (t) => {
  await host();
  const m = byId('tflm_micro_speech_quantized');
  const file = modelPath(m);
  const cli = JSON.parse((await runCli('host', ['inspect', file, '--json'])).stdout) as { arena_bytes: number };
  const info = await runModelXs(file);
  t.is(info.arenaBytes, cli.arena_bytes, 'the same 64-bit build of the core');
  const small = await runModelXs(file, { arenaBytes: cli.arena_bytes - 1 });
  t.is(small.error?.code, 'XTML_STATUS_ARENA_TOO_SMALL');
  t.is(small.error?.needed, cli.arena_bytes);
  t.regex(small.error?.detail ?? '', new RegExp(`needs ${cli.arena_bytes}`));
  const exact = await runModelXs(file, { arenaBytes: cli.arena_bytes, input: join(m.base, m.vectors![0]!.input) });
  t.is(exact.error, undefined);
  t.true(exact.output!.equals(readFileSync(join(m.base, m.vectors![0]!.output))));
});

optionalTest("the ops set's refused models get the C CLI's outcome", [needs.reference], async (t) => {
  await host();
  const refused = (JSON.parse(readFileSync(join(referenceDir, 'ops/manifest.json'), 'utf8')) as { refused: { id: string; model: string }[] }).refused;
  const files = refused.map((r) => join(referenceDir, 'ops', r.model));
  const loaded = await loadModelsXs(files);
  for (const [i, r] of loaded.entries()) {
    const xs = r.error === undefined ? 'ok' : `${r.error.code}: ${r.error.detail}`;
    t.is(xs, await cliOutcome(files[i]!), refused[i]!.id);
  }
});

// ---- the binding's contract ----

optionalTest('the binding reports what the model is: tensors, operators, MACs, arena; profiling names every operator', [needs.reference], async (t) => {
  await host();
  const m = byId('tflm_person_detect');
  const cli = JSON.parse((await runCli('host', ['inspect', modelPath(m), '--json'])).stdout) as {
    arena_bytes: number;
    macs: number;
    operators: { name: string; macs: number }[];
  };
  const r = await runModelXs(modelPath(m), { input: join(m.base, m.vectors![0]!.input), profile: true });
  t.is(r.error, undefined);
  t.is(r.arenaBytes, cli.arena_bytes);
  t.is(r.macs, cli.macs);
  t.deepEqual(r.operators, cli.operators.map((o) => ({ name: o.name, macs: o.macs })));
  t.deepEqual(r.inputs!.map((i) => [i.name, i.type, i.dims]), m.inputs.map((i) => [i.name, i.dtype, i.shape]));
  t.deepEqual(r.outputs!.map((o) => [o.name, o.type, o.dims]), m.outputs.map((o) => [o.name, o.dtype, o.shape]));
  t.is(r.profile!.length, cli.operators.length);
  t.deepEqual(r.profile!.map((p) => p.name), cli.operators.map((o) => o.name));
  t.true(r.profile!.every((p) => Number.isFinite(p.ms) && p.ms >= 0));
});

test("the C core's status names, read through XS, are errors.ts's", async (t) => {
  await host();
  t.deepEqual(await statusNamesXs(), [...statusNames]);
});

// ---- modules as Moddable resolves them ----

/** A specifier resolved as XS does on a device: relative to the importing module's name, .js dropped. */
function moddableResolve(specifier: string, importer: string): string {
  let name = specifier.replace(/^moddable:/, '').replace(/\.m?js$/, '');
  if (!name.startsWith('./') && !name.startsWith('../')) return name;
  const parts = importer.split('/');
  parts.pop();
  while (name.startsWith('../')) {
    parts.pop();
    name = name.slice(3);
  }
  return [...parts, name.replace(/^\.\//, '')].join('/');
}

test("every import of native/xs/manifest.json's modules resolves, Moddable-style, to one of its modules", async (t) => {
  await host();
  const listed = await run(xsHostPath, ['--manifest', join(repoRoot, 'native/xs/manifest.json'), '--modules']);
  t.is(listed.code, 0, listed.stderr);
  const map = new Map(listed.stdout.trim().split('\n').map((line) => line.split('\t') as [string, string]));
  // every engine-neutral module of src/ (all but the WebAssembly loader, which XS has no use for)
  const srcModules = readdirSync(join(repoRoot, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'wasm.ts')
    .map((f) => `xs-tinyml/${f.slice(0, -3)}`);
  // and the fleet agent's (src/fleet/), which the device runs; the converter and the trainer stay on the desktop
  const fleetModules = readdirSync(join(repoRoot, 'src/fleet')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `xs-tinyml/fleet/${f.slice(0, -3)}`);
  t.deepEqual([...map.keys()].sort(), ['xs-tinyml', ...srcModules, ...fleetModules, 'xs-tinyml/xs-binding', 'xtml'].sort());
  for (const [name, file] of map) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
      const resolved = moddableResolve(match[1]!, name);
      t.true(map.has(resolved), `${name} imports '${match[1]}' = module '${resolved}', which the manifest does not define`);
    }
  }
});

test("every import of native/xs/manifest-adapt.json's modules (the trainer, the converter parts it uses, flatbuffers) resolves to one of its modules", async (t) => {
  await host();
  const listed = await run(xsHostPath, ['--manifest', join(repoRoot, 'native/xs/manifest-adapt.json'), '--modules']);
  t.is(listed.code, 0, listed.stderr);
  const map = new Map(listed.stdout.trim().split('\n').map((line) => line.split('\t') as [string, string]));
  const adaptModules = readdirSync(join(repoRoot, 'src/adapt')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `xs-tinyml/adapt/${f.slice(0, -3)}`);
  for (const name of [...adaptModules, 'flatbuffers']) t.true(map.has(name), `${name} is a module`);
  for (const [name, file] of map) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
      const resolved = moddableResolve(match[1]!, name);
      t.true(map.has(resolved), `${name} imports '${match[1]}' = module '${resolved}', which the manifest does not define`);
    }
  }
});

test('xtml_xs.c is written with xsmc only, using no call missing from XS 13.3 or the current Moddable SDK', (t) => {
  const source = readFileSync(join(repoRoot, 'native/xs/xtml_xs.c'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  // What xsmc.h itself offers beside the xsmc* calls: slots, types, errors.
  const allowed = new Set(['xsArg', 'xsThis', 'xsResult', 'xsVar', 'xsUnknownError', 'xsMachine', 'xsSlot',
    'xsIntegerValue', 'xsUnsignedValue', 'xsNumberValue', 'xsStringValue', 'xsBufferNonrelocatable']);
  const xsCalls = [...source.matchAll(/\bxs(?!mc)[A-Z]\w*/g)].map((m) => m[0]).filter((name) => !allowed.has(name));
  t.deepEqual([...new Set(xsCalls)], []);
  t.notRegex(source, /xsmcToUnsigned|xsmcSetUnsigned/);
  t.regex(source, /#include "xsmc\.h"/);
  t.notRegex(source, /#include "xs\.h"/);
});
