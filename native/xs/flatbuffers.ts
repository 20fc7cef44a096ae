// The module "flatbuffers" on XS, for the shared model writer
// (src/convert/tflite-write.ts imports { Builder } from 'flatbuffers'): the
// package's ES modules are mapped by their own paths (flatbuffers/mjs/...,
// native/xs/manifest-adapt.json) so that their relative imports find each
// other, and this re-exports what the writer uses. On Node the package's own
// entry is used instead.
export { Builder } from 'flatbuffers/mjs/builder.js';
