// The converter against TensorFlow's own: MLPerf Tiny's float networks
// (../shared/reference/convert/) converted by us, and their int8 twins made by
// TensorFlow's converter, both run on our core (bit-exact to TFLM) on inputs not
// used for calibration; the SQNR of our int8 output against the float output
// must be at least theirs minus 1 dB. Fewer samples than tools/convert-sqnr.ts
// (whose numbers are in docs/convert.md), to stay fast.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { prepare } from '../src/convert/convert.js';
import { cases, measure } from '../tools/convert-sqnr.js';
import { needs, optionalTest } from './support/optional.js';
import { referenceDir } from './support/reference.js';

const binding = loadBinding('wasm');
const n = 24;

for (const c of cases(n, n)) {
  const requirements = c.inputRange ? [needs.reference, needs.skimage] : [needs.reference];
  optionalTest(`${c.id}: our int8 SQNR >= TensorFlow's - 1 dB on ${n} inputs not used for calibration`, requirements, (t) => {
    const r = measure(c, binding, 'mse', false, n, n);
    t.log(`ours ${r.ours.toFixed(2)} dB, TensorFlow's ${r.theirs.toFixed(2)} dB; ${r.oursBytes} against ${r.theirsBytes} bytes; arena ${r.oursArena} against ${r.theirsArena}`);
    t.true(r.ours >= r.theirs - 1, `ours ${r.ours} dB, theirs ${r.theirs} dB`);
    t.true(r.oursArena <= r.theirsArena + 64, `arena ${r.oursArena} against ${r.theirsArena}`);
  });
}

optionalTest('the hybrid keyword-spotting model (int8 weights, float activations) reads as a float graph', [needs.reference], (t) => {
  const p = prepare(new Uint8Array(readFileSync(join(referenceDir, 'convert/kws_ref_model_float32.tflite'))));
  t.deepEqual([...new Set(p.graph.nodes.map((x) => x.op))].sort(), ['AVERAGE_POOL_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'RESHAPE', 'SOFTMAX']);
  t.true([...p.graph.tensors.values()].every((x) => x.dtype === 'float32' || x.dtype === 'int32'), 'weights dequantized');
});
