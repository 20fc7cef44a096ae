// One group of test/data/tflm-ops (written by tools/tflm-ops/<group>.ts): its
// manifest, a scratch folder for the group's tests, and the check that the
// committed models are exactly what the group's generator writes.
import type { ExecutionContext } from 'ava';
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from '../../src/index.js';
import { bytesOf, typedView } from '../../src/tensor.js';
import { modelBytes, type OpConfig, type TensorDtype } from '../../tools/tflm-ops/gen.js';
import { optionalTest, variantNeeds } from './optional.js';
import { limiter, repoRoot, runCli, type Variant } from './reference.js';

/** A tensor of a vector file: where it sits in the concatenated bytes. */
export interface GroupSpec { dtype: TensorDtype; shape: number[]; byte_offset: number; bytes: number }

export interface GroupManifest {
  models: { id: string; inputs: GroupSpec[]; outputs: GroupSpec[]; vectors: { name: string; input: string; output: string }[] }[];
  refused: { id: string; model: string; expected_refusal: string | null }[];
}

export interface Group { dir: string; manifest: GroupManifest; scratch: string }

/** The group's folder and manifest, and a scratch folder removed after the test file. */
export function loadGroup(name: string): Group {
  const dir = join(repoRoot, 'test/data/tflm-ops', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GroupManifest;
  const scratch = mkdtempSync(join(tmpdir(), `xtml-${name}-`));
  test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
  return { dir, manifest, scratch };
}

/** Every configuration's committed model (run or refused) is byte for byte what the generator writes, and the manifest lists nothing else. */
export function checkCommittedModels(t: ExecutionContext, g: Group, configs: readonly OpConfig[]): void {
  const files = new Map<string, string>([
    ...g.manifest.models.map((m): [string, string] => [m.id, `models/${m.id}.tflite`]),
    ...g.manifest.refused.map((r): [string, string] => [r.id, r.model]),
  ]);
  for (const c of configs) {
    const file = files.get(c.id);
    t.truthy(file, c.id);
    t.deepEqual(new Uint8Array(readFileSync(join(g.dir, file!))), modelBytes(c), c.id);
  }
  t.is(files.size, configs.length);
}

/** A stateful vector's outputs: one run per set of inputs (the inputs of each run concatenated in model order), outputs concatenated; the session's state is whatever it was. */
export function runStream(session: InferenceSession, input: Buffer, invokes: number): Buffer {
  const per = input.length / invokes;
  const parts: Buffer[] = [];
  for (let k = 0; k < invokes; k++) {
    let at = k * per;
    const feeds = session.inputs.map((meta) => {
      const bytes = new Uint8Array(input.subarray(at, at + meta.bytes));
      at += meta.bytes;
      return typedView(meta.type, bytes.buffer, 0, meta.bytes);
    });
    for (const out of session.run(feeds)) parts.push(Buffer.from(bytesOf(out.data)));
  }
  return Buffer.concat(parts);
}

/** A model the host CLI must refuse: a title, the configuration, the status and a pattern its detail matches. */
export type Refusal = readonly [what: string, config: OpConfig, status: string, detail: RegExp];

let serial = 0;
/** One test per case: `inspect` on the host CLI fails with the status, naming operator 0, with the detail. */
export function testRefusedOnHost(scratch: string, cases: readonly Refusal[], title = (what: string, status: string): string => `malformed: ${what} is refused with ${status}`): void {
  for (const [what, c, status, detail] of cases) {
    optionalTest(title(what, status), variantNeeds.host, async (t) => {
      const model = join(scratch, `refused-${serial++}.tflite`);
      writeFileSync(model, modelBytes(c));
      const r = await runCli('host', ['inspect', model]);
      t.is(r.code, 1);
      t.true(r.stderr.startsWith(`${status}: operator 0 (${c.op})`), r.stderr);
      t.regex(r.stderr, detail);
    });
  }
}

/** A stateful model of a group: its file, its vectors (input and output files) and how many invokes each vector runs. */
export interface StreamModel { id: string; model: string; vectors: readonly { name: string; input: string; output: string }[] }

const cliLimit = limiter(2);
let cliSerial = 0;
/**
 * Runs every model's vectors in one CLI process each (`run --invokes K`, one
 * `--input/--output` pair per vector) on a build and lists what went wrong: a
 * non-zero exit, an ASan report, an output `same` finds unlike TFLM's.
 */
export async function cliStreamProblems<M extends StreamModel>(variant: Variant, base: string, scratch: string, models: readonly M[],
  invokes: (m: M) => number, same: (m: M, got: Buffer, want: Buffer) => boolean): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(models.map(async (m) => {
    const args = ['run', join(base, m.model), '--invokes', String(invokes(m))];
    const outs = m.vectors.map((v) => {
      const out = join(scratch, `${variant}-stream-${cliSerial++}.bin`);
      args.push('--input', join(base, v.input), '--output', out);
      return out;
    });
    const r = await cliLimit(() => runCli(variant, args));
    if (r.code !== 0) {
      problems.push(`${m.id}: exit ${r.code}: ${r.stderr.trim()}`);
      return;
    }
    if (variant === 'asan' && r.stderr.includes('runtime error')) problems.push(`${m.id}: ${r.stderr}`);
    m.vectors.forEach((v, i) => {
      if (!same(m, readFileSync(outs[i]!), readFileSync(join(base, v.output)))) problems.push(`${m.id} ${v.name}: outputs differ`);
    });
  }));
  return problems;
}
