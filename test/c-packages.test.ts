// The C core as C users take it (native/components/xtml for ESP-IDF and
// CMake, native/library.properties for Arduino, native/library.json for
// PlatformIO): the packages name exactly the core's sources, build warning-free
// the way each tool builds them, and the built library runs a model as the CLI does.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, optionalTest } from './support/optional.js';
import { repoRoot, runCli, seededBytes } from './support/reference.js';

const native = join(repoRoot, 'native');
const component = join(native, 'components/xtml');
const cmakeLists = readFileSync(join(component, 'CMakeLists.txt'), 'utf8');

/** The core's sources as native/Makefile knows them. */
function coreSources(): string[] {
  return execFileSync('make', ['-s', '-C', native, 'print-core-sources'], { encoding: 'utf8' }).trim().split('\n');
}

test("the component's source list is the core's (make print-core-sources)", (t) => {
  const block = /set\(XTML_SOURCES\s+([^)]*)\)/.exec(cmakeLists);
  t.truthy(block, 'CMakeLists.txt sets XTML_SOURCES');
  const listed = block![1]!.split(/\s+/).filter((s) => s !== '' && !s.startsWith('#'));
  t.deepEqual([...listed].sort(), coreSources().sort());
  t.true(coreSources().length >= 10);
});

test('package.json, idf_component.yml, library.properties and library.json carry one version and license', (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; license: string };
  const idf = readFileSync(join(component, 'idf_component.yml'), 'utf8');
  const arduino = Object.fromEntries(readFileSync(join(native, 'library.properties'), 'utf8').split('\n')
    .filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const pio = JSON.parse(readFileSync(join(native, 'library.json'), 'utf8')) as { name: string; version: string; license: string; build: { srcDir: string; includeDir: string } };
  t.is(/^version:\s*"([^"]+)"/m.exec(idf)?.[1], pkg.version);
  t.is(/^license:\s*"([^"]+)"/m.exec(idf)?.[1], pkg.license);
  t.is(arduino['version'], pkg.version);
  t.is(arduino['name'], 'xtml');
  t.is(pio.version, pkg.version);
  t.is(pio.license, pkg.license);
  t.deepEqual([pio.build.srcDir, pio.build.includeDir], ['src', 'include']);
  t.regex(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'), /^MIT License/);
});

/** Check every core source compiles (syntax and types) with only `includes` on the include path. */
function compileEach(t: { is: (a: unknown, b: unknown, m?: string) => void }, includes: string[]): void {
  for (const source of readdirSync(join(native, 'src')).filter((f) => f.endsWith('.c'))) {
    const r = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-fsyntax-only',
      ...includes.map((i) => `-I${i}`), join(native, 'src', source)], { encoding: 'utf8' });
    t.is(r.status, 0, `${source}: ${r.stderr}`);
  }
}

test('Arduino layout: the core compiles with only src/ on the include path, and xtml.h is reachable from it', (t) => {
  compileEach(t, [join(native, 'src')]);
  const user = spawnSync('gcc', ['-std=c99', '-Werror', '-fsyntax-only', `-I${join(native, 'src')}`, '-x', 'c', '-'],
    { input: '#include <xtml.h>\nint main(void) { return xtml_status_name(XTML_STATUS_OK) == 0; }\n', encoding: 'utf8' });
  t.is(user.status, 0, user.stderr);
});

optionalTest('CMake: the component builds as a host library with the Makefile warnings as errors, and runs a model as the CLI does',
  [needs.cmake], async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'xtml-cmake-'));
    try {
      const run = (command: string, args: string[]): string => {
        const r = spawnSync(command, args, { cwd: work, encoding: 'utf8' });
        t.is(r.status, 0, `${command} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
        return r.stdout + r.stderr;
      };
      // The user's side: a project that adds the component and links the example.
      writeFileSync(join(work, 'CMakeLists.txt'), [
        'cmake_minimum_required(VERSION 3.16)',
        'project(user LANGUAGES C)',
        `add_subdirectory(${JSON.stringify(component)} xtml)`,
        `add_executable(c-api ${JSON.stringify(join(repoRoot, 'docs/examples/c-api.c'))})`,
        'target_compile_options(c-api PRIVATE -Wall -Wextra -Werror)',
        'target_link_libraries(c-api PRIVATE xtml)',
        '',
      ].join('\n'));
      run('cmake', ['-S', '.', '-B', 'build', '-DXTML_WERROR=ON', '-DCMAKE_BUILD_TYPE=Release']);
      const log = run('cmake', ['--build', 'build', '--', '-j2']);
      t.notRegex(log, /warning:/);
      // Same model, same input: the same output bytes as the CLI (itself checked against TFLM).
      const model = join(repoRoot, 'models/detector.tflite');
      const input = join(work, 'in.bin');
      writeFileSync(input, seededBytes(15, 96 * 96));
      run(join(work, 'build/c-api'), [model, input, join(work, 'out.bin')]);
      const cli = await runCli('host', ['run', model, '--input', input, '--output', join(work, 'cli.bin')]);
      t.is(cli.code, 0, cli.stderr);
      const ours = readFileSync(join(work, 'out.bin'));
      t.true(ours.length > 0);
      t.deepEqual(ours, readFileSync(join(work, 'cli.bin')));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

test("docs/c-api.md's C excerpt is lines of docs/examples/c-api.c, the program this suite builds and runs", (t) => {
  const doc = readFileSync(join(repoRoot, 'docs/c-api.md'), 'utf8');
  const excerpt = /```c\n([\s\S]*?)```/.exec(doc)?.[1];
  t.truthy(excerpt, 'docs/c-api.md has a C block');
  const lines = new Set(readFileSync(join(repoRoot, 'docs/examples/c-api.c'), 'utf8').split('\n').map((l) => l.trim()));
  const missing = excerpt!.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !lines.has(l));
  t.deepEqual(missing, []);
});
