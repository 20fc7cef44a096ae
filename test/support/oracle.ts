// What the bundled detector finds in a 96x96 gray frame, computed without the
// pipeline of src/: the input quantized by tools/detector.ts, one run of the
// core on WebAssembly, and tools/detector.ts's own FOMO decoder with the
// thresholds of models/detector.json. Tests compare the API's answers with it.
import { readFileSync } from 'node:fs';
import { loadBinding } from '../../host-sim/node/backends.js';
import { InferenceSession } from '../../src/index.js';
import { decode, inputFor, int8ModelPath, loadDescription, probabilities } from '../../tools/detector.js';

export interface OracleDetection {
  label: string;
  cx: number;
  cy: number;
  score: number;
}

let session: InferenceSession | undefined;

export function oracleDetections(frame: Uint8Array): OracleDetection[] {
  session ??= InferenceSession.create(loadBinding('wasm'), new Uint8Array(readFileSync(int8ModelPath)));
  const [out] = session.run([inputFor(session, frame)]);
  const probs = probabilities(session, out!.data as Int8Array);
  const [, rows, cols, classes] = session.outputs[0]!.dims as number[];
  const rule = loadDescription().decode;
  return decode(probs, rows!, classes!, 96 / cols!, rule.threshold, rule.class_thresholds)
    .map((d) => ({ label: String(d.digit), cx: d.x, cy: d.y, score: d.score }));
}

/**
 * The population stability index of two count vectors as the drift monitor
 * defines it (src/drift.ts's header): each share smoothed by half a count per
 * category, then the sum of (recent - baseline) * ln(recent / baseline).
 */
export function psiOf(recent: number[], baseline: number[]): number {
  const k = recent.length;
  const nr = recent.reduce((a, b) => a + b, 0), nb = baseline.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const r = (recent[i]! + 0.5) / (nr + 0.5 * k), b = (baseline[i]! + 0.5) / (nb + 0.5 * k);
    sum += (r - b) * Math.log(r / b);
  }
  return sum;
}

/**
 * The drift monitor's two distributions over frames, from the oracle: the top
 * score in ten bins (0 when nothing is found), and which labels were found
 * (one category per label of the model's 11, background never, then "nothing").
 */
export function driftCounts(frames: Uint8Array[]): { scores: number[]; labels: number[] } {
  const scores = new Array<number>(10).fill(0), labels = new Array<number>(12).fill(0);
  for (const frame of frames) {
    const found = oracleDetections(frame);
    const top = found.reduce((m, d) => Math.max(m, d.score), 0);
    scores[Math.min(9, Math.floor(top * 10))]!++;
    if (found.length === 0) labels[11]!++;
    for (const digit of new Set(found.map((d) => Number(d.label)))) labels[digit + 1]!++;
  }
  return { scores, labels };
}
