// Frame-path binding calls with one bad argument each, as data, so that the
// Node test and the XS host (host-sim/xs/run-frames.ts) make the same calls.
// Types only are imported: XS loads this file as module "frame-bad-calls".
import type { CoreBinding } from '../../src/binding.js';

export type BadCall = { what: string; status: string } & (
  | { fn: 'frameTable'; dtype: number; scale: number | 'Infinity'; zeroPoint: number; real: 'ramp' | 'nan' | 'short'; table: number }
  | { fn: 'frameToInput'; params: number[]; data: number; table: number; input: number }
  | { fn: 'gridDecode'; params: number[]; thresholds: number; scores: number; work: number; objects: number }
);

/** Bytes of `count` 32-bit words (aligned, as a typed array's). */
function words(bytes: number): Uint8Array {
  return new Uint8Array(new Int32Array(Math.ceil(bytes / 4)).buffer, 0, bytes);
}

/** Make the call; returns what it returns, or throws what the binding throws. */
export function runBadCall(b: CoreBinding, c: BadCall): unknown {
  switch (c.fn) {
    case 'frameTable': {
      const real = new Float32Array(c.real === 'short' ? 255 : 256);
      for (let v = 0; v < real.length; v++) real[v] = v / 255;
      if (c.real === 'nan') real[7] = NaN;
      return b.frameTable(c.dtype, Number(c.scale), c.zeroPoint, new Uint8Array(real.buffer), new Uint8Array(c.table));
    }
    case 'frameToInput':
      return b.frameToInput(Int32Array.from(c.params), new Uint8Array(c.data), new Uint8Array(c.table), new Uint8Array(c.input), new Int32Array(4));
    case 'gridDecode':
      return b.gridDecode(Int32Array.from(c.params), words(c.thresholds), new Uint8Array(c.scores), words(c.work), words(c.objects));
  }
}
