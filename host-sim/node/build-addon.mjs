// Builds the Node addon (native/node/build/Release/xtml.node) with the node-gyp
// that npm bundles, against this Node's installed headers when it has them (so
// no download is needed).
//
//   node host-sim/node/build-addon.mjs             npm install: a failed build
//       prints one line and exits 0, because the package still works on
//       WebAssembly (host-sim/node/backends.ts falls back to it)
//   node host-sim/node/build-addon.mjs --required  npm run build:addon: a failed
//       build fails
//
// Plain JavaScript: it runs at install time, before any TypeScript is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const addonDir = join(root, 'native/node');
const log = join(addonDir, 'build/build-addon.log');
const required = process.argv.includes('--required');

/** node-gyp's entry point: the one npm runs scripts with, else npm's own copy. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

/** Where this very Node's headers are installed (<dir>/include/node), if
 * they are: Debian and NodeSource packages put them next to the binary. */
function localNodeDir() {
  const prefixes = [resolve(dirname(process.execPath), '..'), process.config.variables.node_prefix];
  return prefixes.find((prefix) => {
    try {
      const header = readFileSync(join(prefix, 'include/node/node_version.h'), 'utf8');
      const part = (name) => header.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
      return `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.version;
    } catch {
      return false;
    }
  });
}

/** The most telling line of a failed build: a compiler error, else node-gyp's. */
function reasonOf(output) {
  const lines = output.split('\n');
  const compiler = lines.find((l) => /: (fatal )?error: /.test(l));
  const gyp = lines.map((l) => l.match(/^gyp ERR! stack (\w*Error: .*)/)?.[1]).find((m) => m !== undefined);
  return (compiler ?? gyp ?? '').trim();
}

function fail(reason) {
  const line = `xs-tinyml: could not build the Node addon (${reason}); the package will use WebAssembly`;
  if (required) {
    console.error(line);
    process.exit(1);
  }
  console.warn(line);
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) fail('node-gyp not found');

const args = [nodeGyp, 'rebuild', '--directory', addonDir, '--jobs', 'max'];
const nodedir = localNodeDir();
if (nodedir !== undefined) args.push(`--nodedir=${nodedir}`);

const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
mkdirSync(dirname(log), { recursive: true });
writeFileSync(log, `${[process.execPath, ...args].join(' ')}\n\n${result.stdout ?? ''}${result.stderr ?? ''}`);
if (result.error !== undefined) fail(result.error.message);
if (result.status !== 0) {
  fail(`${reasonOf(`${result.stdout}\n${result.stderr}`) || `node-gyp exited ${result.status}`}; see ${log}`);
}
console.log('xs-tinyml: built the Node addon (native/node/build/Release/xtml.node)');
