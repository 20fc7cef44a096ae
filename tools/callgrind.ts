// x86-64 instructions per invoke of the host build, from valgrind callgrind
// counting only inside xtml_invoke(): the figure that compares with the
// reference manifest's callgrind_instructions_per_invoke_x86_64 (TFLM's
// Invoke()). Shared by the benchmarks.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliPath } from '../test/support/reference.js';

const exec = promisify(execFile);

export async function callgrindPerInvoke(model: string, input: string, repeat = 3): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'xtml-callgrind-'));
  try {
    const out = join(scratch, 'callgrind.out');
    await exec('valgrind', [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      '--collect-atstart=no',
      '--toggle-collect=xtml_invoke',
      cliPath('host'),
      'run', model, '--input', input, '--output', join(scratch, 'out.bin'), '--repeat', String(repeat),
    ], { maxBuffer: 64 << 20 });
    const summary = readFileSync(out, 'utf8').match(/^(?:summary|totals): (\d+)/m);
    if (summary === null) throw new Error(`no callgrind totals for ${model}`);
    return Number(summary[1]) / repeat;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
