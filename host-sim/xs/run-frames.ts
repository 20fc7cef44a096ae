// The frame path on XS for test/frame-path.test.ts: Pipeline.process on the
// XS binding, as a device runs it. A program for the desktop XS host; prints
// one JSON object per line.
//
//   run-frames frames PLAN
//     PLAN: [{"model", "sidecar"?, "runs": [{"file", "width", "height", "format", "fit"}]}]
//     per run: {"subject": index in PLAN, "outcome": {"input": SHA-256 of the input's bytes, "region": [x, y, w, h],
//     "detections": [[label, index, score, x, y, w, h, cx, cy]]}}, numbers as the
//     hex of their float64 bytes (so NaN and -0 survive)
//   run-frames bad CALLS
//     CALLS: test/support/frame-bad-calls.ts's BadCall[]; per call {"outcome":
//     "CODE: detail"} for an XtmlError, or {"outcome": "ok VALUE"}
import Resource from 'Resource';
import { XtmlError, loadModel, sha256Hex, type Detection, type Fit, type Frame, type PixelFormat } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { runBadCall, type BadCall } from 'frame-bad-calls';
import { args, readFile, readText } from 'xtml-host';

declare function trace(...values: unknown[]): void;

function print(value: unknown): void {
  trace(JSON.stringify(value) + '\n');
}

const hexDigits = '0123456789abcdef';

function hex(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = hexDigits[bytes[i]! >> 4]! + hexDigits[bytes[i]! & 15]!;
  return parts.join('');
}

const bits = new Float64Array(1);
const bitsBytes = new Uint8Array(bits.buffer);

function bitsOf(x: number): string {
  bits[0] = x;
  return hex(bitsBytes);
}

interface Plan {
  model: string;
  sidecar?: string;
  runs: { file: string; width: number; height: number; format: PixelFormat; fit: Fit }[];
}

function runFrames(path: string): void {
  const plan = JSON.parse(readText(path)) as Plan[];
  const fields: (keyof Detection)[] = ['score', 'x', 'y', 'w', 'h', 'cx', 'cy'];
  plan.forEach((subject, index) => {
    const options = subject.sidecar === undefined ? {} : { sidecar: readText(subject.sidecar) };
    const model = loadModel(xsBinding, new Resource(subject.model), { sha256: 'xs', bytes: 0 }, options);
    for (const run of subject.runs) {
      const frame: Frame = { width: run.width, height: run.height, format: run.format, data: new Uint8Array(readFile(run.file)) };
      const result = model.pipeline.process(frame, run.fit);
      const input = model.pipeline.lastInput();
      print({
        subject: index,
        outcome: {
          input: sha256Hex(new Uint8Array(input.buffer, input.byteOffset, input.byteLength)),
          region: [result.region.x, result.region.y, result.region.w, result.region.h],
          detections: result.items.slice(0, result.count).map((d) => [d.label, d.index, ...fields.map((f) => bitsOf(d[f] as number))]),
        },
      });
    }
    model.session.release();
  });
}

function runBad(path: string): void {
  for (const call of JSON.parse(readText(path)) as BadCall[]) {
    try {
      print({ outcome: `ok ${String(runBadCall(xsBinding, call))}` });
    } catch (e) {
      if (!(e instanceof XtmlError)) throw e;
      print({ outcome: `${e.code}: ${e.detail}` });
    }
  }
}

const [mode, path] = args();
if (mode === 'frames' && path !== undefined) runFrames(path);
else if (mode === 'bad' && path !== undefined) runBad(path);
else throw new Error('usage: run-frames frames PLAN | run-frames bad CALLS');
