// The instruction counter (native/tools/qemu_count_plugin.c under
// qemu-riscv32): exact on a loop of known length, and the CLI's regions
// (arena size, init, one per invoke) come out in order and repeatably.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { countRv32, runCounted, rv32Paths } from '../tools/rv32-count.js';
import { needs, optionalTest } from './support/optional.js';
import { loadManifest, repoRoot } from './support/reference.js';

const exec = promisify(execFile);
const rv32 = [needs.riscvGcc, needs.qemuRiscv32];
const countLoop = join(repoRoot, 'build/rv32imc-O2/count_loop');

optionalTest('the counter counts a loop of two instructions exactly', rv32, async (t) => {
  const counts = new Map<number, number>();
  for (const n of [1, 2, 1000, 123457]) {
    const run = await runCounted(countLoop, [String(n)], 'count_begin', 'count_end');
    t.is(run.regions.length, 1, `N=${n}: ${run.stderr}`);
    t.is(run.stdout.trim(), '0', 'the loop ran to zero');
    t.true(run.total > run.regions[0]!, 'the whole program counts more than the region');
    counts.set(n, run.regions[0]!);
  }
  for (const n of [2, 1000, 123457]) t.is(counts.get(n)! - counts.get(1)!, 2 * (n - 1), `N=${n}`);
  // The fixed overhead (marker blocks, the loop's setup) is a few instructions.
  t.true(counts.get(1)! >= 2 && counts.get(1)! < 16, `overhead ${counts.get(1)}`);
});

optionalTest('with begin == end the counter counts between consecutive calls', rv32, async (t) => {
  const model = loadManifest('models').find((m) => m.id === 'tflm_hello_world_int8')!;
  const cli = rv32Paths.cli('O2');
  const args = ['run', join(model.base, model.model), '--input', join(model.base, model.vectors![0]!.input),
    '--output', '/dev/null', '--repeat', '3'];
  const inside = await runCounted(cli, args, 'xtml_cli_count_begin', 'xtml_cli_count_end');
  const between = await runCounted(cli, args, 'xtml_cli_count_begin', 'xtml_cli_count_begin');
  // Five calls of begin (arena size, init, three invokes): four regions between them.
  t.is(inside.regions.length, 5);
  t.is(between.regions.length, 4);
  // From one invoke's begin to the next: that invoke plus the input copy and the loop around it
  // (whose soft-float timing arithmetic varies by a few instructions with the clock's value).
  t.true(Math.abs(between.regions[2]! - between.regions[3]!) < 200, `${between.regions[2]} vs ${between.regions[3]}`);
  t.true(between.regions[2]! > inside.regions[2]!, `${between.regions[2]} vs ${inside.regions[2]}`);
  t.true(between.regions[2]! - inside.regions[2]! < 10_000, `${between.regions[2]} vs ${inside.regions[2]}`);
});

optionalTest('the plugin refuses missing or malformed arguments', rv32, async (t) => {
  for (const args of ['begin=0x10', 'begin=0x10,end=banana', 'begin=1,end=2,colour=blue']) {
    const error = await exec(rv32Paths.qemu, ['-plugin', `${rv32Paths.plugin},${args}`, countLoop, '1']).then(() => null, (e: unknown) => e);
    t.truthy(error, `loaded with ${args}`);
    t.regex(String((error as { stderr?: string }).stderr), /xtml_count: /, args);
  }
});

optionalTest('the CLI gives arena size, init and one region per invoke, the same on every invoke', rv32, async (t) => {
  const model = loadManifest('models').find((m) => m.id === 'tflm_hello_world_int8')!;
  const path = join(model.base, model.model);
  const input = join(model.base, model.vectors![0]!.input);
  for (const opt of ['O2', 'Os'] as const) {
    const c = await countRv32(path, input, opt, 3);
    t.is(c.invokes.length, 3);
    t.true(c.invokes.every((n) => n === c.invokes[0]), `${opt}: ${c.invokes.join(', ')}`);
    // 288 MACs: a few thousand instructions, not a few, not millions.
    t.true(c.invokes[0]! > 288 && c.invokes[0]! < 100_000, `${opt}: invoke ${c.invokes[0]}`);
    t.true(c.arenaSize > 0 && c.init > 0 && c.load === c.arenaSize + c.init, JSON.stringify(c));
  }
});
