// Module "xs-tinyml/node": the Node side of the package. The engine-neutral
// API is "xs-tinyml"; this adds what only Node has: loading the core on the
// Node addon or WebAssembly from disk, and where the bundled detector is.
export { loadBinding, loadWasmBinding, backendNames, wasmPath, bundledModelPath } from './backends.js';
export { createNodeBinding } from './node-binding.js';
