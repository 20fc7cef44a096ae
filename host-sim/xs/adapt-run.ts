// Adaptation on the desktop XS host, for the tests that compare its bytes with
// Node's and for the measurements of docs/adapt.md (heap, instructions):
//
//   xtml-xs --manifest host-sim/xs/manifest.json [--small-heap] adapt-run MODEL FRAMES OBJECTS OUT [--steps N] [--seed N] [--input-map auto|off]
//
// FRAMES: the examples' model inputs, one after another (grey levels, the
// model's input size each); OBJECTS: JSON, per example a list of {x, y, label}
// (input pixels, class index). Each frame is read on its own into memory
// outside the XS heap (the binding's hostBytes, as the REST calls keep them).
// Writes the new model to OUT and one JSON line: its SHA-256 and size, the
// training's figures, and the XS heaps around adaptModel() (xtml-host's heap():
// chunk bytes and slots in use after a collection before it, reserved and peak
// after it). mark() is called right before and right after adaptModel(), so
// callgrind with --dump-before=xs_host_mark counts it in a part of its own.
import Resource from 'Resource';
import { sha256Hex } from 'xs-tinyml';
import { adaptModel, findHead, type AdaptExample, type AdaptOptions } from 'xs-tinyml/adapt/head';
import xsBinding from 'xs-tinyml/xs-binding';
import { args, fileReadAt, fileWriteAt, heap, mark, readText, writeLine } from 'xtml-host';

function option(list: string[], name: string): string | undefined {
  const i = list.indexOf(name);
  return i >= 0 ? list[i + 1] : undefined;
}

function main(list: string[]): void {
  const [modelPath, framesPath, objectsPath, outPath] = list;
  if (modelPath === undefined || framesPath === undefined || objectsPath === undefined || outPath === undefined) {
    throw new RangeError('usage: adapt-run MODEL FRAMES OBJECTS OUT [--steps N] [--seed N] [--input-map auto|off]');
  }
  const model = new Resource(modelPath);
  const bytes = new Uint8Array(model as unknown as ArrayBuffer);
  const h = findHead(bytes);
  const size = h.inputWidth * h.inputHeight * h.inputChannels;
  const objects = JSON.parse(readText(objectsPath)) as { x: number; y: number; label: number }[][];
  const examples: AdaptExample[] = objects.map((list, i) => {
    const pixels = xsBinding.hostBytes!(size);
    pixels.set(new Uint8Array(fileReadAt(framesPath, i * size, size)));
    return { pixels, objects: list };
  });
  const options: AdaptOptions = {};
  const steps = option(list, '--steps'), seed = option(list, '--seed'), map = option(list, '--input-map');
  if (steps !== undefined) options.steps = Number(steps);
  if (seed !== undefined) options.seed = Number(seed);
  if (map === 'auto' || map === 'off') options.inputMap = map;
  const before = heap(true);
  mark();
  const a = adaptModel(xsBinding, bytes, examples, options);
  mark();
  const after = heap(false);
  // a copy by set(): XS's TypedArray.from() collects its source in slots first
  const copy = new Uint8Array(a.model.length);
  copy.set(a.model);
  fileWriteAt(outPath, 0, copy.buffer);
  writeLine(JSON.stringify({
    sha256: sha256Hex(a.model), bytes: a.model.length, examples: examples.length,
    objectCells: a.objectCells, backgroundCells: a.backgroundCells, lossBefore: a.lossBefore, lossAfter: a.lossAfter,
    inputMap: a.inputMap ?? null,
    heap: {
      slotBytes: before[6],
      before: { chunks: before[0], chunksReserved: before[1], slots: before[3], slotsReserved: before[4] },
      after: { chunks: after[0], chunksReserved: after[1], chunksPeak: after[2], slots: after[3], slotsReserved: after[4], slotsPeak: after[5] },
    },
  }));
}

main(args());
