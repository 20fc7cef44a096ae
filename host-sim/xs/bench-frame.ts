// One Pipeline.process per frame on XS, counted by callgrind: the frame path in
// the core (src/pipeline.ts) and, before it, the same work in TypeScript
// (test/support/pipeline-oracle.ts), on one session of one model. A program
// for the desktop XS host, run by tools/bench-frame.ts as
//
//   valgrind --tool=callgrind --dump-before=xs_host_mark xtml-xs ... bench-frame MODEL FRAME...
//   FRAME: path:width:height:format (raw pixels)
//
// Each measured process() is given mark() as its clock, so its four readings
// (before preprocessing, invoke, decoding, and after) close callgrind parts:
// per measured run, in the order printed, the parts are preprocess, invoke,
// decode, then the gap to the next run. Both pipelines run every frame once
// unmeasured first. Prints one JSON line per measured run:
// {"frame", "path": "typescript" | "core", "detections"}, and the two must agree.
import Resource from 'Resource';
import { Pipeline, checkFrame, detectionsOf, loadModel, type Frame, type PixelFormat } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { OraclePipeline } from 'pipeline-oracle';
import { args, mark, readFile } from 'xtml-host';

declare function trace(...values: unknown[]): void;

const [modelPath, ...frameSpecs] = args();
if (modelPath === undefined || frameSpecs.length === 0) throw new Error('usage: bench-frame MODEL path:width:height:format...');
const model = loadModel(xsBinding, new Resource(modelPath), { sha256: 'bench', bytes: 0 });
const frames: { name: string; frame: Frame }[] = frameSpecs.map((spec) => {
  const [path, width, height, format] = spec.split(':');
  const frame: Frame = { width: Number(width), height: Number(height), format: format as PixelFormat, data: new Uint8Array(readFile(path!)) };
  return { name: `${width}x${height} ${format}`, frame };
});
const warm = { typescript: new OraclePipeline(model.session, model.spec), core: model.pipeline };
const measured = {
  typescript: new OraclePipeline(model.session, model.spec, { clock: mark, check: (f) => checkFrame(f, 16777216) }),
  core: new Pipeline(model.session, model.spec, { clock: mark }),
};
for (const { frame } of frames) {
  warm.typescript.process(frame);
  warm.core.process(frame);
}
for (const { name, frame } of frames) {
  for (const path of ['typescript', 'core'] as const) {
    const result = measured[path].process(frame);
    trace(JSON.stringify({ frame: name, path, detections: detectionsOf(result) }) + '\n');
  }
}
