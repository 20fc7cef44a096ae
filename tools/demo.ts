// npm start (until the bundled detector and the simulator land): loads real
// reference models in the core and classifies the real samples that ship with
// them, printing the exact arena, MACs and per-invoke time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest, referenceAvailable, referenceDir, runCli } from '../test/support/reference.js';

// Class names as the models' authors publish them (not stored in the models).
const labels: Record<string, string[]> = {
  tflm_person_detect: ['no person', 'person'],
  tflm_micro_speech_quantized: ['silence', 'unknown', 'yes', 'no'],
};

if (!referenceAvailable()) {
  console.error(`reference models not found in ${referenceDir} (set XTML_REFERENCE)`);
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), 'xtml-demo-'));
for (const model of loadManifest('models').filter((m) => m.id in labels)) {
  const path = join(model.base, model.model);
  const info = await runCli('host', ['inspect', path, '--json']);
  if (info.code !== 0) {
    console.error(info.stderr.trim());
    process.exitCode = 1;
    continue;
  }
  const facts = JSON.parse(info.stdout) as { arena_bytes: number; macs: number; model_bytes: number; operators: unknown[] };
  console.log(`\n${model.id}: ${facts.operators.length} operators, ${facts.model_bytes} model bytes, ` +
    `${facts.arena_bytes} arena bytes (exact), ${facts.macs.toLocaleString('en-US')} MACs`);
  const out = join(scratch, 'out.bin');
  const quant = (model.outputs[0] as unknown as { quant: { scale: number[]; zero_point: number[] } }).quant;
  for (const vector of (model.vectors ?? []).filter((v) => v.name.startsWith('real_'))) {
    const r = await runCli('host', ['run', path, '--input', join(model.base, vector.input), '--output', out, '--repeat', '20', '--timing']);
    if (r.code !== 0) {
      console.error(r.stderr.trim());
      process.exitCode = 1;
      continue;
    }
    const scores = [...new Int8Array(readFileSync(out))].map((q) => (q - quant.zero_point[0]!) * quant.scale[0]!);
    const best = scores.indexOf(Math.max(...scores));
    const ms = Number(r.stderr.match(/ms_per_invoke: ([\d.]+)/)?.[1] ?? NaN);
    console.log(`  ${vector.name.padEnd(22)} -> ${labels[model.id]![best]!.padEnd(10)} ` +
      `scores [${scores.map((s) => s.toFixed(3)).join(', ')}]  ${ms.toFixed(2)} ms/invoke`);
  }
}
rmSync(scratch, { recursive: true, force: true });
