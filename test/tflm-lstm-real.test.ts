// Real models of upstream TFLM's examples (mnist_lstm int8 and float32,
// dtln noise suppression: two int8 LSTMs; the Xtensa micro_speech_lstm, the
// SVDF keyword benchmarks, micro_speech's two audio front ends, hello_world
// and sine in float32, a 224x224 MobileNetV2) against the TFLM oracle's outputs
// on seeded inputs, a stream of invokes each, on wasm and node. The models
// are upstream's and not committed: test/data/tflm-ops/sequence/real-models.json
// holds their SHA-256 and the oracle's outputs (tools/tflm-ops/lstm-real.ts);
// these tests run where a TFLM checkout is present (XTML_TFLM_DIR, default
// /work/scratch-tflm) and are skipped, saying so, where it is not.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession } from '../src/index.js';
import { bytesOf, typedView } from '../src/tensor.js';
import { realInputs } from '../tools/tflm-ops/lstm-real.js';
import { compareOutputs, repoRoot } from './support/reference.js';

interface RealVector { seed: number; input_sha256: string; output_sha256: string; output_base64: string }
interface RealModel { id: string; path: string; sha256: string; bytes: number; inputs: { type: string; bytes: number }[]; vectors: RealVector[] }

const data = JSON.parse(readFileSync(join(repoRoot, 'test/data/tflm-ops/sequence/real-models.json'), 'utf8')) as { invokes: number; models: RealModel[] };
const tflm = process.env['XTML_TFLM_DIR'] ?? '/work/scratch-tflm';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Float outputs through the core's own expf/tanhf (xtml_fmath.c) where TFLM's build used glibc's: compared within this many ulp. */
const floatUlps = 64;

test('the real-model data covers every model of TFLM\'s examples the reference set lacks, with the oracle\'s outputs', (t) => {
  t.deepEqual(data.models.map((m) => m.id).sort(), ['audio_preprocessor_float', 'audio_preprocessor_int8', 'dtln_noise_suppression',
    'hello_world_float', 'keyword_scrambled', 'keyword_scrambled_8bit', 'micro_speech_lstm', 'mnist_lstm_f32', 'mnist_lstm_int8',
    'mobilenet_v2_224_int8', 'sine_float']);
  for (const m of data.models) {
    t.is(m.vectors.length, 2);
    for (const v of m.vectors) t.is(sha256(Buffer.from(v.output_base64, 'base64')), v.output_sha256);
  }
});

for (const m of data.models) {
  const path = join(tflm, m.path);
  const bytes = existsSync(path) ? readFileSync(path) : null;
  const why = bytes === null ? `${path} is absent (a TFLM checkout at 90b983c: set XTML_TFLM_DIR)`
    : sha256(bytes) !== m.sha256 ? `${path} is not the model the data was made from (SHA-256 differs)` : null;
  for (const backend of ['wasm', 'node'] as const) {
    const title = `${backend}: ${m.id} matches TFLM on seeded streams of ${data.invokes} invokes`;
    if (why !== null) {
      test.skip(`${title} (skipped: ${why})`, () => undefined);
      continue;
    }
    test(title, (t) => {
      const session = InferenceSession.create(loadBinding(backend), bytes!);
      try {
        for (const v of m.vectors) {
          session.resetState();
          const input = realInputs(m.inputs, v.seed, data.invokes);
          t.is(sha256(input), v.input_sha256);
          const per = input.length / data.invokes;
          const parts: Buffer[] = [];
          for (let k = 0; k < data.invokes; k++) {
            let at = k * per;
            const feeds = session.inputs.map((meta) => {
              const b = new Uint8Array(input.subarray(at, at + meta.bytes));
              at += meta.bytes;
              return typedView(meta.type, b.buffer, 0, meta.bytes);
            });
            for (const out of session.run(feeds)) parts.push(Buffer.from(bytesOf(out.data)));
          }
          const got = Buffer.concat(parts);
          const want = Buffer.from(v.output_base64, 'base64');
          const isFloat = session.outputs.every((o) => o.type === 'float32');
          t.is(compareOutputs(m.id, got, want, isFloat ? floatUlps : undefined), null, `${m.id} seed ${v.seed}`);
        }
      } finally {
        session.release();
      }
    });
  }
}
