// Real models from upstream TFLM's examples (the LSTM ones first, hence the
// name; then every other model of its examples and micro/models), checked
// against the TFLM oracle on seeded inputs (issue 14: "real models ... exact against the
// oracle"). The models are upstream's and are not committed: this tool reads
// them from a TFLM checkout, runs the oracle on a stream of seeded inputs, and
// writes what the test needs into test/data/tflm-ops/sequence/real-models.json:
// each model's SHA-256 and size (so the test knows it has the same file), the
// seeds, and the oracle's outputs (base64; small: a few hundred bytes each).
// test/tflm-lstm-real.test.ts runs our core on the same inputs wherever the
// checkout is present and skips with a message where it is not.
//
//   node dist/tools/tflm-ops/lstm-real.js --oracle /work/scratch-tflm/bin/tflm_run [--tflm /work/scratch-tflm]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBinding } from '../../host-sim/node/backends.js';
import { InferenceSession } from '../../src/index.js';
import { xorshift32 } from './gen.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RealModel {
  id: string;
  /** Path inside the TFLM checkout. */
  path: string;
  about: string;
}

export const realModels: RealModel[] = [
  { id: 'mnist_lstm_int8', path: 'examples_disabled/mnist_lstm/trained_lstm_int8.tflite',
    about: 'TFLM example mnist_lstm, int8 (LSTM 28 steps x 20 units with int16 cell state, FULLY_CONNECTED, SOFTMAX; intermediates present)' },
  { id: 'mnist_lstm_f32', path: 'examples_disabled/mnist_lstm/trained_lstm.tflite',
    about: 'TFLM example mnist_lstm, float32' },
  { id: 'dtln_noise_suppression', path: 'examples_disabled/dtln/dtln_noise_suppression.tflite',
    about: 'TFLM example dtln: two int8 LSTMs (128 units), FULLY_CONNECTED, LOGISTIC' },
  // Every other model of the checkout's examples and micro/models (person_detect and
  // hello_world int8 are in ../shared/reference; person_detect_vela needs the Ethos-U NPU).
  { id: 'micro_speech_lstm', path: 'src/third_party/xtensa/examples/micro_speech_lstm/micro_speech_lstm.tflite',
    about: 'TFLM Xtensa example micro_speech_lstm: int8 UNIDIRECTIONAL_SEQUENCE_LSTM keyword model' },
  { id: 'keyword_scrambled', path: 'src/tensorflow/lite/micro/models/keyword_scrambled.tflite',
    about: 'TFLM benchmark keyword_scrambled: int8 SVDF keyword model (weights scrambled)' },
  { id: 'keyword_scrambled_8bit', path: 'src/tensorflow/lite/micro/models/keyword_scrambled_8bit.tflite',
    about: 'TFLM benchmark keyword_scrambled_8bit: the same with 8-bit SVDF state' },
  { id: 'audio_preprocessor_int8', path: 'examples_disabled/micro_speech/models/audio_preprocessor_int8.tflite',
    about: 'TFLM example micro_speech audio front end (signal library operators), int8 features; a stateful stream of seeded samples' },
  { id: 'audio_preprocessor_float', path: 'examples_disabled/micro_speech/models/audio_preprocessor_float.tflite',
    about: 'TFLM example micro_speech audio front end, float32 features' },
  { id: 'hello_world_float', path: 'examples_disabled/hello_world/models/hello_world_float.tflite',
    about: 'TFLM example hello_world, float32' },
  { id: 'sine_float', path: 'src/python/tflite_micro/sine_float.tflite',
    about: 'TFLM Python interpreter test model sine_float, float32' },
  { id: 'mobilenet_v2_224_int8', path: 'src/third_party/xtensa/examples/pytorch_to_tflite/mobilenet_v2_quantized_1x3x224x224.tflite',
    about: 'TFLM Xtensa example pytorch_to_tflite: MobileNetV2 224x224 converted from PyTorch, int8 (NCHW input, TRANSPOSE first)' },
];

export const realInvokes = 3;
export const realSeeds = [1, 2];

/** The inputs of `invokes` invokes, one after another: float32 as (int32)state / 2^31, other types (uint8)(state >> 24) per byte. */
export function realInputs(inputs: readonly { type: string; bytes: number }[], seed: number, invokes: number): Buffer {
  const next = xorshift32(seed);
  const parts: Buffer[] = [];
  for (let k = 0; k < invokes; k++) {
    for (const meta of inputs) {
      if (meta.type === 'float32') {
        const f = new Float32Array(meta.bytes / 4);
        for (let i = 0; i < f.length; i++) f[i] = (next() | 0) / 2 ** 31;
        parts.push(Buffer.from(f.buffer));
      } else {
        parts.push(Buffer.from(Uint8Array.from({ length: meta.bytes }, () => next() >>> 24)));
      }
    }
  }
  return Buffer.concat(parts);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const oracle = opt('--oracle');
  const tflm = opt('--tflm') ?? '/work/scratch-tflm';
  if (oracle === undefined) throw new Error('usage: lstm-real.js --oracle PATH [--tflm DIR]');
  const binding = loadBinding('wasm');
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-lstm-real-'));
  const out = [];
  try {
    for (const m of realModels) {
      const path = join(tflm, m.path);
      if (!existsSync(path)) throw new Error(`${path} is missing`);
      const bytes = readFileSync(path);
      const session = InferenceSession.create(binding, bytes);
      const inputs = session.inputs.map((i) => ({ type: i.type, bytes: i.bytes }));
      const outputs = session.outputs.map((o) => ({ type: o.type, bytes: o.bytes }));
      session.release();
      const vectors = [];
      for (const seed of realSeeds) {
        const input = realInputs(inputs, seed, realInvokes);
        writeFileSync(join(scratch, 'in.bin'), input);
        const r = spawnSync(oracle, [path, '--invokes', String(realInvokes), '--input', join(scratch, 'in.bin'), '--output', join(scratch, 'out.bin')], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${m.id}: the oracle failed: ${r.stdout}${r.stderr}`);
        const result = readFileSync(join(scratch, 'out.bin'));
        const arena = /arena_used_bytes\s+(\d+)/.exec(r.stdout + r.stderr);
        vectors.push({ seed, input_sha256: sha256(input), output_sha256: sha256(result), output_base64: result.toString('base64'),
          tflm_arena_used_bytes_x86_64: arena ? Number(arena[1]) : null });
      }
      out.push({ ...m, sha256: sha256(bytes), bytes: bytes.length, inputs, outputs, vectors });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const doc = {
    about: 'Real models of upstream TFLM\'s examples (not committed: read from a TFLM checkout), their SHA-256, and the TFLM oracle\'s outputs on seeded inputs (tools/tflm-ops/lstm-real.ts).',
    oracle: 'upstream TFLM MicroInterpreter at tensorflow/tflite-micro 90b983c, reference kernels, g++ -O2 on x86-64; each vector is one interpreter invoked `invokes` times, the outputs after each invoke one after another',
    seeded_inputs: 'xorshift32 as ../shared/reference/ops/manifest.json defines it, one stream per vector across its invokes',
    invokes: realInvokes,
    models: out,
  };
  const file = join(root, 'test/data/tflm-ops/sequence/real-models.json');
  writeFileSync(file, `${JSON.stringify(doc, null, 1)}\n`);
  console.log(`${out.length} models -> ${file}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
