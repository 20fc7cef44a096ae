// npm run tflm-ops -- --group <name...> --oracle <tflm_run>: write test/data/tflm-ops/<group>/
// (tools/tflm-ops/gen.ts). A separate module from gen.ts, which the group files import.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { generateGroup } from './gen.js';

const program = new Command()
  .name('tflm-ops')
  .description('write single-operator models and their TFLM oracle vectors into test/data/tflm-ops/<group>')
  .requiredOption('--group <name...>', 'groups to write (tools/tflm-ops/<group>.ts)')
  .requiredOption('--oracle <path>', 'the tflm_run program (see docs/operators.md)')
  .parse();
const opts = program.opts<{ group: string[]; oracle: string }>();
if (!existsSync(opts.oracle)) {
  console.error(`tflm-ops: no oracle at ${opts.oracle}`);
  process.exit(2);
}
for (const group of opts.group) {
  const r = await generateGroup(group, opts.oracle);
  console.log(`${group}: ${r.models} models, ${r.vectors} vectors, ${r.refused} refused`);
}
