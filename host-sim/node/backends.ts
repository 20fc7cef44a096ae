// Which engine runs the core on Node: loadBinding(backend) returns the
// CoreBinding for it. Node-only (reads files, loads the addon), so it lives
// here and never in src/.
//
//   'wasm'  native/wasm/xtml.wasm, read from disk (always available)
//   'node'  the N-API addon; when it is not built or does not load, a one-time
//           warning and the WebAssembly binding instead
//   'xs'    the XS desktop host: not available yet (see hosts below)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName, CoreBinding } from '../../src/binding.js';
import { createWasmBindingSync, type WasmBinding } from '../../src/wasm.js';
import { createNodeBinding } from './node-binding.js';

/** The repository root (this file runs from dist/host-sim/node/). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const wasmPath = join(root, 'native/wasm/xtml.wasm');
/** The bundled detector (models/detector.tflite; model card in models/README.md). */
export const bundledModelPath = join(root, 'models/detector.tflite');

let wasm: WasmBinding | undefined;
let node: CoreBinding | undefined;
let warned = false;

/** The WebAssembly binding; one instance per process. */
export function loadWasmBinding(): WasmBinding {
  wasm ??= createWasmBindingSync(readFileSync(wasmPath));
  return wasm;
}

function loadNodeBinding(): CoreBinding {
  if (node !== undefined) return node;
  try {
    node = createNodeBinding();
    return node;
  } catch (error) {
    if (!warned) {
      warned = true;
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      console.warn(`xs-tinyml: Node addon unavailable (${reason}); using WebAssembly`);
    }
    return loadWasmBinding();
  }
}

/** One loader per backend. A new host adds its entry here: 'xs' will start
 * the XS desktop host (another issue) and return a CoreBinding over it. */
const hosts: Record<BackendName, () => CoreBinding> = {
  wasm: loadWasmBinding,
  node: loadNodeBinding,
  xs: () => {
    throw new Error("xs-tinyml: the 'xs' backend is not available yet (the XS desktop host is still to come); use 'node' or 'wasm'");
  },
};

export const backendNames = Object.keys(hosts) as BackendName[];

/** The binding for `backend`, loaded on first use. */
export function loadBinding(backend: BackendName = 'node'): CoreBinding {
  const load = Object.hasOwn(hosts, backend) ? hosts[backend] : undefined;
  if (load === undefined) {
    throw new TypeError(`backend must be one of ${backendNames.map((b) => `'${b}'`).join(', ')}, got ${String(backend)}`);
  }
  return load();
}
