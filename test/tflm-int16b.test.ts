// 16x8 (int16 activation) models that TFLM cannot run either but that our
// writer can express: each gets its specific status at load, on the host CLI.
// (The group's oracle vectors and TFLM's own refusals run in core-vectors,
// bindings and xs through test/data/tflm-ops/int16b.)
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelBytes, type OpConfig, type Quant } from '../tools/tflm-ops/gen.js';
import { runCli } from './support/reference.js';

const q = (scale: number, zeroPoint = 0): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });
const scratch = mkdtempSync(join(tmpdir(), 'xtml-int16b-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const unary = (op: string, shape: number[], inQuant: Quant, outQuant: Quant, inType: 'int16' | 'float32' = 'int16',
  extra: Partial<OpConfig> = {}): OpConfig => ({
  id: op, source: '', op,
  tensors: [
    { name: 'input', dtype: inType, shape, ...(inType === 'int16' ? { quant: inQuant } : {}) },
    { name: 'output', dtype: 'int16', shape, quant: outQuant },
  ],
  inputs: [0], outputs: [1], ...extra,
});

const cases: { name: string; config: OpConfig; status: string; detail: RegExp }[] = [
  {
    name: 'QUANTIZE float32 -> int16 with a zero point outside int16',
    config: unary('QUANTIZE', [2, 3], q(1), q(0.001, 40000), 'float32'),
    status: 'XTML_STATUS_MODEL_QUANTIZATION', detail: /'output': zero_point\[0\] = 40000 is outside the int16 range/,
  },
  {
    name: 'LOGISTIC int16 with an input scale too large for its 15-bit multiplier',
    config: unary('LOGISTIC', [2, 3], q(4), q(1 / 32768)),
    status: 'XTML_STATUS_UNSUPPORTED_CONFIG', detail: /scale 4 is too large for int16/,
  },
  {
    name: 'SOFTMAX int16 with rows longer than its int32 sum allows',
    config: unary('SOFTMAX', [1, 70000], q(0.001), q(1 / 32768), 'int16', { optionsType: 9, options: [{ slot: 0, type: 'f32', value: 1 }] }),
    status: 'XTML_STATUS_UNSUPPORTED_CONFIG', detail: /rows of 70000 elements are too long for int16/,
  },
  {
    name: 'ADD int16 with an output zero point outside int16',
    config: {
      id: 'add', source: '', op: 'ADD',
      tensors: [
        { name: 'a', dtype: 'int16', shape: [4], quant: q(0.001) }, { name: 'b', dtype: 'int16', shape: [4], quant: q(0.001) },
        { name: 'out', dtype: 'int16', shape: [4], quant: q(0.002, -40000) },
      ],
      inputs: [0, 1], outputs: [2],
    },
    status: 'XTML_STATUS_MODEL_QUANTIZATION', detail: /'out': zero_point\[0\] = -40000 is outside the int16 range/,
  },
];

for (const c of cases) {
  test(`host: ${c.name} is refused with ${c.status}`, async (t) => {
    const path = join(scratch, `${c.config.op}-${cases.indexOf(c)}.tflite`);
    writeFileSync(path, modelBytes(c.config));
    const r = await runCli('host', ['inspect', path]);
    t.is(r.code, 1, r.stdout);
    t.regex(r.stderr, new RegExp(`^${c.status}: `, 'm'));
    t.regex(r.stderr, c.detail);
  });
}
