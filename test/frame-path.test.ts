// The frame path in the core (native/src/xtml_frame.c, xtml_grid.c) against
// the TypeScript it replaced (test/support/pipeline-oracle.ts): the same
// input bytes, region and detections, bit for bit, on WebAssembly, the Node
// addon and XS, for random frames of every pixel format and size cropped or
// stretched into the bundled detector (int8 and float32), and for random
// grids (reshape models whose scores are the frame's pixels: ties, cells on
// the edges, thresholds exactly on a score, every output type). Bad
// arguments get their own status from the core through every binding; the C
// test program native/test/test_frame.c checks every element against its own
// oracle and covers the rest, optimized, under ASan and on rv32imc (qemu).
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../host-sim/node/backends.js';
import { runXsProgram } from '../host-sim/xs/xs-backend.js';
import { frameParam, gridParam, type CoreBinding } from '../src/binding.js';
import { XtmlError, loadModel, pixelFormats, sha256Hex, type Detection, type Fit, type Frame, type LoadedModel, type PipelineResult } from '../src/index.js';
import { floatModelPath, int8ModelPath, loadHeldOut } from '../tools/detector.js';
import { runBadCall, type BadCall } from './support/frame-bad-calls.js';
import { Random, frameRuns, gridCases, sceneFrame, type FrameCase, type FrameRun } from './support/frame-cases.js';
import { OraclePipeline } from './support/pipeline-oracle.js';
import { needs, optionalTest, type Requirement } from './support/optional.js';
import { repoRoot, runProgram, type Variant } from './support/reference.js';

const GRID_CASES = 80;
const DETECTOR_FRAMES = 40;

const scratch = mkdtempSync(join(tmpdir(), 'xtml-frame-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

/** What a run gives, exactly: the input's SHA-256, numbers as the bits of their doubles (NaN and -0 included). */
interface Outcome {
  input: string;
  region: number[];
  detections: (string | number)[][];
}

const bitsOf = (x: number): string => Buffer.from(new Float64Array([x]).buffer).toString('hex');

function outcome(result: PipelineResult, input: ArrayBufferView): Outcome {
  const fields: (keyof Detection)[] = ['score', 'x', 'y', 'w', 'h', 'cx', 'cy'];
  return {
    input: sha256Hex(new Uint8Array(input.buffer, input.byteOffset, input.byteLength)),
    region: [result.region.x, result.region.y, result.region.w, result.region.h],
    detections: result.items.slice(0, result.count).map((d) => [d.label, d.index, ...fields.map((f) => bitsOf(d[f] as number))]),
  };
}

/** The oracle's outcome for each run of a model (it runs on its own session). */
function oracleOutcomes(bytes: Uint8Array, sidecar: string | undefined, runs: readonly FrameRun[]): Outcome[] {
  const model = loadModel(loadBinding('wasm'), bytes, { sha256: 'oracle', bytes: bytes.length }, sidecar === undefined ? {} : { sidecar });
  try {
    const oracle = new OraclePipeline(model.session, model.spec);
    return runs.map(({ frame, fit }) => outcome(oracle.process(frame, fit), oracle.input));
  } finally {
    model.session.release();
  }
}

function coreOutcomes(binding: CoreBinding, bytes: Uint8Array, sidecar: string | undefined, runs: readonly FrameRun[]): Outcome[] {
  const model = loadModel(binding, bytes, { sha256: 'core', bytes: bytes.length }, sidecar === undefined ? {} : { sidecar });
  try {
    return runs.map(({ frame, fit }) => outcome(model.pipeline.process(frame, fit), model.pipeline.lastInput()));
  } finally {
    model.session.release();
  }
}

// ---- the cases, and XS running them all in one process ----

interface Subject {
  name: string;
  model: Uint8Array;
  sidecar?: string;
  runs: FrameRun[];
  /** For the grid cases: how the centres are summed. */
  sums?: 'core integers' | 'TypeScript';
}

/** Held-out scenes with digits, in every format, at sizes around the input's and QVGA, cropped or stretched. */
function sceneRuns(seed: number, count: number): FrameRun[] {
  const r = new Random(seed), held = loadHeldOut(count + 1);
  return held.frames.slice(1).map((scene) => {
    const [width, height] = r.pick([[96, 96], [320, 240], [240, 320], [160, 120], [r.int(40, 400), r.int(40, 400)]] as const);
    return { frame: sceneFrame(scene, held.width, width, height, r.pick(pixelFormats)), fit: r.chance(0.8) ? 'crop' : 'stretch' };
  });
}

const subjects: Subject[] = [
  { name: 'int8 detector', model: new Uint8Array(readFileSync(int8ModelPath)), runs: [...sceneRuns(1, DETECTOR_FRAMES), ...frameRuns(1, 96, 96, DETECTOR_FRAMES)] },
  { name: 'float32 detector', model: new Uint8Array(readFileSync(floatModelPath)), runs: [...sceneRuns(2, DETECTOR_FRAMES / 4), ...frameRuns(2, 96, 96, DETECTOR_FRAMES / 4)] },
  ...gridCases(3, GRID_CASES).map((c: FrameCase): Subject => ({
    name: c.name, model: c.model, sidecar: c.sidecar, runs: c.runs,
    sums: c.type !== 'float32' && c.wholeCells ? 'core integers' : 'TypeScript',
  })),
];

const expected = subjects.map((s) => oracleOutcomes(s.model, s.sidecar, s.runs));

/** The XS host's outcomes, from host-sim/xs/run-frames.ts, per subject. */
const xsOutcomes: Promise<Outcome[][]> = (async () => {
  await new Promise<void>((resolve, reject) =>
    execFile('make', ['-s', '-C', join(repoRoot, 'host-sim/xs')], (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve())));
  const plan = subjects.map((s, i) => {
    const model = join(scratch, `model${i}.tflite`);
    writeFileSync(model, s.model);
    let sidecar: string | undefined;
    if (s.sidecar !== undefined) {
      sidecar = join(scratch, `model${i}.json`);
      writeFileSync(sidecar, s.sidecar);
    }
    const runs = s.runs.map(({ frame, fit }, j) => {
      const file = join(scratch, `frame${i}-${j}.raw`);
      writeFileSync(file, frame.data);
      return { file, width: frame.width, height: frame.height, format: frame.format, fit };
    });
    return { model, sidecar, runs };
  });
  const planFile = join(scratch, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const lines = await runXsProgram('run-frames', ['frames', planFile]);
  return subjects.map((_, i) => lines.filter((l) => l['subject'] === i).map((l) => l['outcome'] as Outcome));
})();
xsOutcomes.catch(() => undefined);

function compare(t: ExecutionContext, subject: Subject, got: Outcome[], want: Outcome[], backend: string): void {
  t.is(got.length, want.length, `${backend}: ${subject.name}: runs`);
  for (let j = 0; j < want.length; j++) {
    const { frame, fit } = subject.runs[j]!;
    t.deepEqual(got[j], want[j], `${backend}: ${subject.name}, run ${j}: ${frame.width}x${frame.height} ${frame.format} ${fit}`);
  }
}

for (const backend of ['wasm', 'node'] as const) {
  test(`${backend}: the core's frame path gives the TypeScript's input bytes, region and detections`, (t) => {
    const binding = loadBinding(backend);
    t.is(binding.backend, backend);
    subjects.forEach((s, i) => compare(t, s, coreOutcomes(binding, s.model, s.sidecar, s.runs), expected[i]!, backend));
  });
}

test("xs: the core's frame path gives the TypeScript's input bytes, region and detections", async (t) => {
  const outcomes = await xsOutcomes;
  subjects.forEach((s, i) => compare(t, s, outcomes[i]!, expected[i]!, 'xs'));
});

test('the cases reach what they are for: objects summed both ways, many labels, NaN centres', (t) => {
  const detections = (sums: Subject['sums']): (string | number)[][] =>
    subjects.flatMap((s, i) => (s.sums === sums ? expected[i]!.flatMap((o) => o.detections) : []));
  t.true(detections(undefined).length > 20, 'the detector finds digits in random frames');
  t.true(detections('core integers').length > 50, `${detections('core integers').length} objects from integer sums`);
  t.true(detections('TypeScript').length > 50, `${detections('TypeScript').length} objects summed in TypeScript`);
  const grid = [...detections('core integers'), ...detections('TypeScript')];
  const numberOf = (bits: string | number): number => new Float64Array(new Uint8Array(Buffer.from(String(bits), 'hex')).buffer)[0]!;
  t.true(grid.some((d) => d.slice(2).some((x) => Number.isNaN(numberOf(x)))), 'an object of zero weight has a NaN centre, as before');
  t.true(new Set(grid.map((d) => d[0])).size >= 6, 'many labels');
});

// ---- bad arguments: the core's own status through every binding ----

type Sizes<K extends string> = Partial<Record<K, number>>;

function frameCall(what: string, status: string, overrides: Sizes<keyof typeof frameParam>, sizes: Sizes<'data' | 'table' | 'input'> = {}): BadCall {
  const values: Record<string, number> = { width: 4, height: 3, format: 0, fit: 0, inWidth: 2, inHeight: 2, channels: 1, dtype: 9, ...overrides };
  const params = new Array<number>(frameParam.length).fill(0);
  for (const [k, v] of Object.entries(values)) params[frameParam[k as keyof typeof frameParam]] = v;
  return { what, status, fn: 'frameToInput', params, data: 12, table: 256, input: 4, ...sizes };
}

function gridCall(what: string, status: string, overrides: Sizes<keyof typeof gridParam>, sizes: Sizes<'thresholds' | 'scores' | 'work' | 'objects'> = {}): BadCall {
  const values: Record<string, number> = { rows: 2, cols: 3, classes: 2, background: 0, connectivity: 8, dtype: 9, zeroPoint: 0, ...overrides };
  const params = new Array<number>(gridParam.length).fill(0);
  for (const [k, v] of Object.entries(values)) params[gridParam[k as keyof typeof gridParam]] = v;
  return { what, status, fn: 'gridDecode', params, thresholds: 8, scores: 12, work: 72, objects: 44 * 6, ...sizes };
}

const table = (what: string, status: string, dtype: number, scale: number | 'Infinity', zeroPoint: number, tableBytes: number, real: 'ramp' | 'nan' | 'short' = 'ramp'): BadCall =>
  ({ what, status, fn: 'frameTable', dtype, scale, zeroPoint, real, table: tableBytes });

const badCalls: BadCall[] = [
  frameCall('unknown pixel format', 'XTML_STATUS_FRAME_FORMAT', { format: 5 }),
  frameCall('negative pixel format', 'XTML_STATUS_FRAME_FORMAT', { format: -1 }),
  frameCall('unknown fit', 'XTML_STATUS_FRAME_FORMAT', { fit: 2 }),
  frameCall('zero width', 'XTML_STATUS_FRAME_SIZE', { width: 0 }, { data: 0 }),
  frameCall('negative height', 'XTML_STATUS_FRAME_SIZE', { height: -3 }),
  frameCall('bytes not width x height x bytes per pixel', 'XTML_STATUS_FRAME_SIZE', { format: 1 }),
  frameCall('more than 4096 x 4096 pixels', 'XTML_STATUS_FRAME_SIZE', { width: 4097, height: 4096 }),
  frameCall('two channels', 'XTML_STATUS_FRAME_TARGET', { channels: 2 }, { input: 8 }),
  frameCall('an int16 input', 'XTML_STATUS_FRAME_TARGET', { dtype: 7 }, { table: 512, input: 8 }),
  frameCall('an input of zero width', 'XTML_STATUS_FRAME_TARGET', { inWidth: 0 }, { input: 0 }),
  frameCall('an input wider than 65535', 'XTML_STATUS_FRAME_TARGET', { inWidth: 65536 }, { input: 131072 }),
  frameCall('input bytes not the input shape', 'XTML_STATUS_FRAME_TARGET', {}, { input: 5 }),
  frameCall('a table of the wrong size (the binding refuses it)', 'XTML_STATUS_BAD_ARGUMENT', {}, { table: 255 }),
  table('table: int8 without a scale', 'XTML_STATUS_FRAME_TARGET', 9, 0, 0, 256),
  table('table: an infinite scale', 'XTML_STATUS_FRAME_TARGET', 9, 'Infinity', 0, 256),
  table('table: zero point outside int8', 'XTML_STATUS_FRAME_TARGET', 9, 0.1, 128, 256),
  table('table: zero point outside uint8', 'XTML_STATUS_FRAME_TARGET', 3, 0.1, -1, 256),
  table('table: a NaN real value', 'XTML_STATUS_FRAME_TARGET', 0, 0, 0, 1024, 'nan'),
  table('table: an int32 input', 'XTML_STATUS_FRAME_TARGET', 2, 0.1, 0, 1024),
  table('table: the wrong table size', 'XTML_STATUS_FRAME_TARGET', 0, 0, 0, 256),
  table('table: real not 256 float32 (the binding refuses it)', 'XTML_STATUS_BAD_ARGUMENT', 9, 0.1, 0, 256, 'short'),
  gridCall('grid: zero rows', 'XTML_STATUS_GRID_CONFIG', { rows: 0 }),
  gridCall('grid: negative classes', 'XTML_STATUS_GRID_CONFIG', { classes: -2 }, { thresholds: 0 }),
  gridCall('grid: zero classes', 'XTML_STATUS_GRID_CONFIG', { classes: 0 }, { thresholds: 0 }),
  gridCall('grid: scores not rows x cols x classes', 'XTML_STATUS_GRID_CONFIG', {}, { scores: 11 }),
  gridCall('grid: background not a class', 'XTML_STATUS_GRID_CONFIG', { background: 2 }),
  gridCall('grid: background below -1', 'XTML_STATUS_GRID_CONFIG', { background: -2 }),
  gridCall('grid: connectivity 6', 'XTML_STATUS_GRID_CONFIG', { connectivity: 6 }),
  gridCall('grid: int16 scores', 'XTML_STATUS_GRID_CONFIG', { dtype: 7 }, { scores: 24 }),
  gridCall('grid: zero point outside int8', 'XTML_STATUS_GRID_CONFIG', { zeroPoint: -129 }),
  gridCall('grid: zero point outside uint8', 'XTML_STATUS_GRID_CONFIG', { dtype: 3, zeroPoint: 256 }),
  gridCall('grid: too little work memory', 'XTML_STATUS_GRID_CONFIG', {}, { work: 68 }),
  gridCall('grid: too large for 32-bit sums', 'XTML_STATUS_GRID_CONFIG', { rows: 256, cols: 256, classes: 1 }, { thresholds: 4, scores: 65536, work: 12 * 65536 }),
  gridCall('grid: a threshold missing (the binding refuses it)', 'XTML_STATUS_BAD_ARGUMENT', {}, { thresholds: 4 }),
];

/** A call's outcome as "CODE: detail", or "ok VALUE". */
function outcomeOf(binding: CoreBinding, call: BadCall): string {
  try {
    return `ok ${String(runBadCall(binding, call))}`;
  } catch (error) {
    if (!(error instanceof XtmlError)) throw error;
    return `${error.code}: ${error.detail}`;
  }
}

for (const backend of ['wasm', 'node'] as const) {
  test(`${backend}: every bad frame-path argument gets its own status and a detail, and good calls still work afterwards`, (t) => {
    const binding = loadBinding(backend);
    for (const call of badCalls) {
      const got = outcomeOf(binding, call);
      t.true(got.startsWith(`${call.status}: `), `${call.what}: ${got}`);
      t.true(got.length > call.status.length + 2, `${call.what}: the detail says why`);
    }
    // the same calls with nothing wrong: 4x3 gray into 2x2; six cells at level 0 pass zero thresholds as one object
    t.is(outcomeOf(binding, frameCall('good', 'ok', {})), 'ok undefined');
    t.is(outcomeOf(binding, gridCall('good', 'ok', {})), 'ok 1');
  });
}

test('xs: every bad frame-path argument gets the same status and detail as on WebAssembly', async (t) => {
  await xsOutcomes.catch(() => undefined);
  const wasm = loadBinding('wasm');
  const calls = [...badCalls, frameCall('good', 'ok', {}), gridCall('good', 'ok', {})];
  const plan = join(scratch, 'bad.json');
  writeFileSync(plan, JSON.stringify(calls));
  const lines = await runXsProgram('run-frames', ['bad', plan]);
  t.deepEqual(lines.map((l) => l['outcome']), calls.map((call) => outcomeOf(wasm, call)));
});

test('a frame the pipeline refuses leaves it working: the next frame gives what the oracle gives', (t) => {
  const bytes = new Uint8Array(readFileSync(int8ModelPath));
  const model: LoadedModel = loadModel(loadBinding('node'), bytes, { sha256: 'x', bytes: bytes.length });
  try {
    const runs = frameRuns(9, 96, 96, 2);
    const bad: Frame = { width: 96, height: 96, format: 'gray8', data: new Uint8Array(10) };
    t.throws(() => model.pipeline.process(bad));
    t.throws(() => model.pipeline.process(runs[0]!.frame, 'zoom' as Fit));
    t.deepEqual(runs.map(({ frame, fit }) => outcome(model.pipeline.process(frame, fit), model.pipeline.lastInput())), oracleOutcomes(bytes, undefined, runs));
  } finally {
    model.session.release();
  }
});

// ---- the C test program: optimized, under ASan + UBSan, and for rv32imc under qemu ----

// On rv32imc (both optimization levels: the inlining differs) 600 of the
// 3,000 random frames, each element against the program's own oracle.
const framePrograms: { variant: Variant; frames: number; needs: Requirement[] }[] = [
  { variant: 'host', frames: 3000, needs: [] },
  { variant: 'asan', frames: 3000, needs: [] },
  { variant: 'rv32imc-O2', frames: 600, needs: [needs.riscvGcc, needs.qemuRiscv32] },
  { variant: 'rv32imc-Os', frames: 600, needs: [needs.riscvGcc, needs.qemuRiscv32] },
];
for (const { variant, frames, needs: required } of framePrograms) {
  optionalTest(`${variant}: native/test/test_frame.c passes: statuses, one-colour frames, ${frames} random frames against its oracle, grids`, required, async (t) => {
    const r = await runProgram(variant, join(repoRoot, 'build', variant, 'test_frame'), [String(frames)]);
    t.deepEqual(r.stdout.split('\n').filter((line) => line.startsWith('not ok')), [], r.stderr.slice(-2000));
    t.regex(r.stdout, new RegExp(`^ok \\d+ - ${frames} random frames: `, 'm'));
    const m = (r.stdout.trim().split('\n').pop() ?? '').match(/^(\d+) passed, (\d+) failed$/);
    t.truthy(m, r.stdout.slice(-500));
    t.true(Number(m![1]) >= 250, 'the whole plan ran');
    t.is(r.code, 0);
  });
}

test("the Moddable manifest compiles the frame path's C with the rest of the core", (t) => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'native/xs/manifest.json'), 'utf8')) as { modules: Record<string, string | string[]> };
  const sources = [manifest.modules['*']].flat();
  t.true(sources.includes('../src/*'), 'every file of native/src');
  const core = readdirSync(join(repoRoot, 'native/src')).filter((f) => f.endsWith('.c'));
  t.true(core.includes('xtml_frame.c') && core.includes('xtml_grid.c'));
});
