// The npm package as a user gets it: `npm pack`, installed offline into an
// empty project, where the README's API example runs and its types check;
// the package's entry points ("xs-tinyml", "xs-tinyml/node", "xs-tinyml/wasm",
// "xs-tinyml/moddable") resolve to files the tarball holds.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot, runCli, runCli32 } from './support/reference.js';

interface Run { code: number; stdout: string; stderr: string }

function run(command: string, args: string[], cwd: string, timeout = 600_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout, maxBuffer: 64 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

/** The README's API example: its first js block that imports the package. */
function readmeExample(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes("from 'xs-tinyml'"));
  if (block === undefined) throw new Error("README.md has no ```js block importing 'xs-tinyml'");
  return block;
}

const work = mkdtempSync(join(tmpdir(), 'xtml-pack-'));
let packed: Promise<{ tarball: string; files: string[] }> | undefined;

/** npm pack once (scripts off: `npm test` has just built dist/). */
function pack(): Promise<{ tarball: string; files: string[] }> {
  packed ??= (async () => {
    const r = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repoRoot);
    if (r.code !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
    const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    return { tarball: join(work, info!.filename), files: info!.files.map((f) => f.path) };
  })();
  return packed;
}

test.after.always(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds the entry points, their types, the core sources and the model, and no tests', async (t) => {
  const { files } = await pack();
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
  for (const [entry, target] of Object.entries(pkg.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      t.true(files.includes(file.replace(/^\.\//, '')), `${entry} -> ${file} is in the tarball`);
    }
  }
  for (const file of ['LICENSE', 'README.md', 'bin/xs-tinyml.js', 'native/include/xtml.h', 'native/node/binding.gyp',
    'native/components/xtml/CMakeLists.txt', 'native/library.properties', 'models/detector.tflite', 'models/detector-small.tflite', 'models/audio/frontend.tflite', 'host-sim/web/index.html']) {
    t.true(files.includes(file), `${file} is in the tarball`);
  }
  t.deepEqual(files.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('dist/tools/')), []);
});

test("installed offline into an empty project, the README's API example runs and the package's types check", async (t) => {
  const { tarball } = await pack();
  const project = join(work, 'user');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', private: true, type: 'module' }));
  // Offline: npm cannot resolve version ranges without the registry, so the
  // package's runtime dependencies go in as tarballs of the copies npm ci put
  // in node_modules (they satisfy the package's ranges: npm ci checked that).
  const listed = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], repoRoot);
  const depDirs = listed.stdout.split('\n').slice(1).filter((line) => line.includes('node_modules'));
  t.true(depDirs.length >= 5, listed.stdout);
  const depsDir = join(work, 'deps');
  mkdirSync(depsDir);
  const depPack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', depsDir, ...depDirs], repoRoot);
  t.is(depPack.code, 0, depPack.stderr);
  const depTarballs = (JSON.parse(depPack.stdout) as { filename: string }[]).map((d) => join(depsDir, d.filename));
  const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...depTarballs, tarball], project);
  t.is(install.code, 0, install.stderr);

  // the example, as the README prints it
  writeFileSync(join(project, 'example.mjs'), readmeExample());
  const example = await run(process.execPath, ['example.mjs'], project, 120_000);
  t.is(example.code, 0, example.stderr);
  t.log(example.stdout.trim());
  const backend = /^backend (\w+)/m.exec(example.stdout)?.[1];
  t.true(backend === 'node' || backend === 'wasm', example.stdout);
  // the facts it prints, against the C CLI's (64-bit for the addon, 32-bit for WebAssembly)
  const model = join(repoRoot, 'models/detector.tflite');
  const cli = backend === 'node' ? await runCli('host', ['inspect', model, '--json']) : await runCli32(['inspect', model, '--json']);
  t.is(cli.code, 0, cli.stderr);
  const facts = JSON.parse(cli.stdout) as { arena_bytes: number; macs: number; outputs?: { shape: number[] }[] };
  t.regex(example.stdout, new RegExp(`^arena ${facts.arena_bytes} bytes, ${facts.macs} MACs$`, 'm'));
  t.regex(example.stdout, /^output int8 \[1,\d+,\d+,\d+\]$/m);
  t.regex(example.stdout, /^CONV_2D \d+\.\d\d ms$/m);

  // "xs-tinyml/moddable" is the module manifest; every module it names is in the package
  const resolved = await run(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('xs-tinyml/moddable'))"], project);
  t.is(resolved.code, 0, resolved.stderr);
  const manifestPath = new URL(resolved.stdout.trim()).pathname;
  t.true(manifestPath.endsWith('node_modules/xs-tinyml/native/xs/manifest.json'), manifestPath);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { modules: Record<string, string | string[]> };
  for (const [name, source] of Object.entries(manifest.modules)) {
    if (typeof source !== 'string') continue;
    const base = join(dirname(manifestPath), source);
    t.true(['.ts', '.js'].some((ext) => existsSync(base + ext)), `module ${name}: ${source}(.ts|.js) is in the package`);
  }

  // types: strict TypeScript against the installed package's exports
  writeFileSync(join(project, 'check.ts'), [
    "import { InferenceSession, XtmlError, type Tensor } from 'xs-tinyml';",
    "import { loadBinding, bundledModelPath } from 'xs-tinyml/node';",
    "import { createWasmBinding } from 'xs-tinyml/wasm';",
    "import { readFileSync } from 'node:fs';",
    'const session: InferenceSession = InferenceSession.create(loadBinding(\'wasm\'), readFileSync(bundledModelPath));',
    'const out: Tensor[] = session.run([new Int8Array(96 * 96)]);',
    'const code: string = new XtmlError(\'XTML_STATUS_EVAL_ERROR\', \'\').code;',
    'export const used = [out, code, createWasmBinding];',
    '// @ts-expect-error: a session needs a binding and a model (the types are real, not any)',
    'InferenceSession.create();',
    '',
  ].join('\n'));
  const tsc = await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck',
    '--types', 'node', '--typeRoots', join(repoRoot, 'node_modules/@types'), 'check.ts'], project);
  t.is(tsc.code, 0, tsc.stdout + tsc.stderr);
});
