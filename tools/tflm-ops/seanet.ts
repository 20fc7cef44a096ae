// SEANet's layers (the 16x8 speech-enhancement network whose 127 single-layer
// models upstream TFLM keeps as integration tests: CONV_2D, TRANSPOSE_CONV,
// ADD, SUB, LEAKY_RELU, PAD, STRIDED_SLICE, QUANTIZE, with int16 activations),
// checked against the TFLM oracle on upstream's own test inputs (issue 14:
// "real models: the int8 and 16x8 models in TFLM's examples ... exact against
// the oracle"). Upstream's models, inputs and golden outputs are not
// committed: this tool reads them from a TFLM checkout, runs the oracle on
// each model's inputs and writes test/data/tflm-ops/seanet.json: each model's
// SHA-256, its inputs' SHA-256, and the oracle's output SHA-256 (or how the
// oracle refused it). Upstream's golden outputs come from TensorFlow Lite, not
// TFLM, and its tests accept them within 1 (EXPECT_NEAR): the oracle's outputs
// are the reference here. test/tflm-seanet.test.ts runs our core on the same
// inputs wherever the checkout is present and skips with a message where not.
//
//   node dist/tools/tflm-ops/seanet.js --oracle /work/scratch-tflm/bin/tflm_run [--tflm /work/scratch-tflm]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where upstream keeps them, inside a TFLM checkout. */
export const seanetDir = 'src/tensorflow/lite/micro/integration_tests/seanet';

export interface SeanetModel {
  id: string;
  /** Path inside the TFLM checkout. */
  path: string;
  sha256: string;
  /** Upstream's input files (CSV), in the model's input order. */
  inputs: string[];
  input_sha256: string;
  /** The oracle's outputs, all concatenated, or how it refused. */
  output_sha256?: string;
  output_bytes?: number;
  tflm_refused?: string;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** One CSV of upstream's test data as raw little-endian bytes of the type its name ends with. */
export function csvBytes(text: string, file: string): Buffer {
  const m = /_(int8|int16|int32|float32)\.csv$/.exec(file);
  if (m === null) throw new Error(`${file}: no type in its name`);
  const values = text.trim().split(',').map(Number);
  switch (m[1]) {
    case 'int8': return Buffer.from(Int8Array.from(values).buffer);
    case 'int16': return Buffer.from(Int16Array.from(values).buffer);
    case 'int32': return Buffer.from(Int32Array.from(values).buffer);
    default: return Buffer.from(Float32Array.from(values).buffer);
  }
}

/** Every model in the checkout with its input files, in a stable order. */
export function listSeanet(tflm: string): { id: string; path: string; inputs: string[] }[] {
  const base = join(tflm, seanetDir);
  const out: { id: string; path: string; inputs: string[] }[] = [];
  for (const layer of readdirSync(base).sort()) {
    const files = readdirSync(join(base, layer));
    for (const f of files.filter((x) => x.endsWith('.tflite')).sort()) {
      const id = f.slice(0, -'.tflite'.length);
      const inputs = files.filter((x) => x.startsWith(`${id}_input`)).sort().map((x) => join(seanetDir, layer, x));
      out.push({ id, path: join(seanetDir, layer, f), inputs });
    }
  }
  return out;
}

/** The inputs of one model, concatenated as the oracle and our core take them. */
export function seanetInput(tflm: string, inputs: readonly string[]): Buffer {
  return Buffer.concat(inputs.map((p) => csvBytes(readFileSync(join(tflm, p), 'utf8'), p)));
}

function main(): void {
  const args = process.argv.slice(2);
  const at = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  const oracle = at('--oracle');
  const tflm = at('--tflm') ?? '/work/scratch-tflm';
  if (oracle === undefined) throw new Error('--oracle PATH (the tflm_run program) is required');
  const work = mkdtempSync(join(tmpdir(), 'xtml-seanet-'));
  const models: SeanetModel[] = [];
  try {
    for (const m of listSeanet(tflm)) {
      const bytes = readFileSync(join(tflm, m.path));
      const input = seanetInput(tflm, m.inputs);
      const inPath = join(work, 'in.bin');
      const outPath = join(work, 'out.bin');
      writeFileSync(inPath, input);
      const r = spawnSync(oracle, [join(tflm, m.path), '--input', inPath, '--output', outPath], { encoding: 'utf8' });
      const entry: SeanetModel = { id: m.id, path: m.path, sha256: sha256(bytes), inputs: m.inputs.map((p) => p.split('/').at(-1)!), input_sha256: sha256(input) };
      if (r.status === 0) {
        const out = readFileSync(outPath);
        entry.output_sha256 = sha256(out);
        entry.output_bytes = out.length;
      } else {
        entry.tflm_refused = `${r.stderr}`.trim().split('\n').slice(-2).join(' | ');
      }
      models.push(entry);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const doc = { oracle: 'upstream TFLM 90b983c, reference kernels (tflm_run)', source: seanetDir, models };
  writeFileSync(join(root, 'test/data/tflm-ops/seanet.json'), `${JSON.stringify(doc, null, 1)}\n`);
  console.log(`${models.length} models, ${models.filter((m) => m.tflm_refused).length} refused by the oracle`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
