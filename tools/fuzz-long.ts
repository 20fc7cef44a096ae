// Long fuzzing runs that grow the kept corpus and keep a running total.
//
//   npm run fuzz:long -- HOURS [--only core-gen,diff,...] [--slice MINUTES] [--jobs N]
//   npm run fuzz:long -- --compare MINUTES
//
// HOURS is shared by six harnesses, one at a time, in slices of at most
// --slice minutes (default 20), at nice 19 on one core:
//   core-gen    xtml_fuzz_gen: structure-aware mutations, ASan + UBSan     25%
//   core-bytes  xtml_fuzz: libFuzzer byte mutations, ASan + UBSan, also
//               seeded with the reference models                           10%
//   diff        xtml_diff_fuzz: optimized vs reference kernels, whole graph
//               vs one operator at a time, no sanitizers                   15%
//   gen-diff    xtml_diff: the same checks on fresh generated models, as
//               fast as they run (no libFuzzer)                            30%
//   gen-asan    xtml_diff under ASan + UBSan (both cores), fresh models    15%
//   api         the REST API fuzzer (test/support/api-fuzz.ts), WebAssembly  5%
// Each libFuzzer slice resumes from its work corpus (build/fuzz/long/) and the
// kept corpus (native/test/fuzz/corpus/), then what it found that adds
// coverage is merged into the kept corpus, re-minimized when it passes its
// size budget. Crashes and mismatches are copied to build/fuzz/long/artifacts/.
// --jobs N runs N copies of the generator-driven harnesses (gen-diff,
// gen-asan) side by side, each from its own seed, for machines with N idle
// cores; their time then counts N times (core-seconds), like their executions.
// native/test/fuzz/stats.json keeps the running totals (executions, seconds,
// edges, corpus additions, crashes per harness); it is updated after every
// slice, so an interrupted run still counts.
//
// --compare MINUTES runs the byte-mutation and the structure-aware harness for
// the same time from the same seeds (the reference models) and reports the
// core edges each reached, measured by the same binary.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzApi } from '../test/support/api-fuzz.js';
import { referenceDir, repoRoot } from '../test/support/reference.js';

const native = join(repoRoot, 'native');
const kept = join(native, 'test/fuzz/corpus');
const statsPath = join(native, 'test/fuzz/stats.json');
const dict = join(native, 'test/fuzz/xtml.dict');
const longDir = join(repoRoot, 'build/fuzz/long');
const artifacts = join(longDir, 'artifacts');
const bin = (name: string): string => join(repoRoot, 'build/fuzz', name);

/** Largest kept input, and the kept corpus's budget: it lives in the repository. */
const KEPT_MAX_FILE = 24 << 10;
const KEPT_BUDGET = 450 << 10;   // was 400 KB; the seeds for issue 14's operators added 19 KB

type HarnessName = 'core-gen' | 'core-bytes' | 'diff' | 'gen-diff' | 'gen-asan' | 'api';

interface Harness {
  name: HarnessName;
  share: number;
  /** A libFuzzer target under build/fuzz/. */
  binary?: string;
  /** A standalone generator-driven program (tools/xtml_diff.c). */
  program?: string;
  maxLen?: number;
  /** Extra libFuzzer flags. */
  flags?: string[];
  /** libFuzzer's -timeout, seconds (default 30). */
  timeout?: number;
  /** Extra seed directories (read only). */
  seeds?: () => string[];
}

const referenceSeeds = (): string[] =>
  ['models', 'ops/models', 'ops/refused'].map((d) => join(referenceDir, d)).filter((d) => existsSync(d));

const harnesses: Harness[] = [
  { name: 'core-gen', share: 0.25, binary: 'xtml_fuzz_gen', maxLen: 131072 },
  // The reference models are large: under ASan one can take tens of seconds on a busy machine.
  { name: 'core-bytes', share: 0.1, binary: 'xtml_fuzz', maxLen: 400000, seeds: referenceSeeds, timeout: 300 },
  // Entropic scheduling costs this harness (two instrumented cores) two thirds of its speed.
  { name: 'diff', share: 0.15, binary: 'xtml_diff_fuzz', maxLen: 131072, flags: ['-entropic=0'] },
  { name: 'gen-diff', share: 0.3, program: 'build/diff/xtml_diff' },
  { name: 'gen-asan', share: 0.15, program: 'build/diff-asan/xtml_diff' },
  { name: 'api', share: 0.05 },
];

interface HarnessStats {
  executions: number;
  /** Executions whose model passed verification (so prepare ran), and whose prepare passed (so invoke ran). */
  reach_prepare?: number;
  reach_invoke?: number;
  seconds: number;
  /** Coverage edges libFuzzer reported for this harness's binary at the end of its last slice. */
  edges: number;
  corpus_added: number;
  crashes: number;
}

interface Stats {
  description: string;
  runs: number;
  hours: number;
  total_executions: number;
  harnesses: Record<string, HarnessStats>;
  corpus: { files: number; bytes: number };
  last_run: string;
}

function loadStats(): Stats {
  if (existsSync(statsPath)) return JSON.parse(readFileSync(statsPath, 'utf8')) as Stats;
  return {
    description: 'Running totals of npm run fuzz:long (tools/fuzz-long.ts); edges are the last count per binary.',
    runs: 0, hours: 0, total_executions: 0, harnesses: {}, corpus: { files: 0, bytes: 0 }, last_run: '',
  };
}

function saveStats(stats: Stats): void {
  stats.total_executions = Object.values(stats.harnesses).reduce((n, h) => n + h.executions, 0);
  stats.hours = Math.round(Object.values(stats.harnesses).reduce((n, h) => n + h.seconds, 0) / 36) / 100;
  stats.corpus = corpusSize(kept);
  stats.last_run = new Date().toISOString();
  writeFileSync(statsPath, `${JSON.stringify(stats, null, 2)}\n`);
}

function corpusSize(dir: string): { files: number; bytes: number } {
  if (!existsSync(dir)) return { files: 0, bytes: 0 };
  const files = readdirSync(dir).filter((f) => !f.startsWith('.'));
  return { files: files.length, bytes: files.reduce((n, f) => n + statSync(join(dir, f)).size, 0) };
}

/** Run a command at nice 19, its output to `log`; resolves with the exit code and the output. */
function run(command: string, args: string[], log: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn('nice', ['-n', '19', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XTML_FUZZ_STATS: '1' },
    });
    const chunks: Buffer[] = [];
    const keep = (chunk: Buffer): void => {
      chunks.push(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // A spawn that fails (no such program, or no /dev/null for the ignored stdin) is a failed slice, not a crash of the run.
    child.on('error', (error) => {
      chunks.push(Buffer.from(`fuzz-long: could not start ${command}: ${error.message}\n`));
    });
    child.on('close', (code) => {
      const output = Buffer.concat(chunks).toString('latin1');
      writeFileSync(log, output);
      resolvePromise({ code: code ?? -1, output });
    });
  });
}

/** The harness's own count of how far inputs got (XTML_FUZZ_STATS), or null. */
function reach(text: string): { executions: number; verified: number; prepared: number } | null {
  const m = /xtml_fuzz: (\d+) executions, (\d+) verified \(reach prepare\), (\d+) prepared \(reach invoke\)/.exec(text);
  return m === null ? null : { executions: Number(m[1]), verified: Number(m[2]), prepared: Number(m[3]) };
}

function addReach(stats: HarnessStats, r: { verified: number; prepared: number } | null): string {
  if (r === null) return '';
  stats.reach_prepare = (stats.reach_prepare ?? 0) + r.verified;
  stats.reach_invoke = (stats.reach_invoke ?? 0) + r.prepared;
  return '';
}

const lastNumber = (text: string, pattern: RegExp): number => {
  let value = 0;
  for (const m of text.matchAll(pattern)) value = Number(m[1]);
  return value;
};

/** Inputs of `dir` written since `since` (ms) and small enough to keep, copied to a fresh directory. */
function newSmallInputs(dir: string, into: string, since: number): number {
  let n = 0;
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  for (const f of readdirSync(dir)) {
    const st = statSync(join(dir, f));
    if (st.size <= KEPT_MAX_FILE && st.mtimeMs >= since) {
      copyFileSync(join(dir, f), join(into, f));
      n++;
    }
  }
  return n;
}

/** Merge what a slice found into the kept corpus; re-minimize past the budget. Returns files added. */
async function mergeIntoKept(h: Harness, work: string, since: number): Promise<number> {
  const small = join(longDir, 'merge-candidates');
  if (newSmallInputs(work, small, since) === 0) return 0;
  const args = ['-merge=1', `-max_len=${KEPT_MAX_FILE}`, '-timeout=30', '-rss_limit_mb=4096', kept, small];
  const merged = await run(bin(h.binary!), args, join(longDir, `${h.name}-merge.log`));
  const added = lastNumber(merged.output, /MERGE-OUTER: (\d+) new files/g);
  if (corpusSize(kept).bytes > KEPT_BUDGET) {
    // Set cover from scratch: the smallest inputs that keep every feature.
    const fresh = join(longDir, 'kept-minimized');
    rmSync(fresh, { recursive: true, force: true });
    mkdirSync(fresh, { recursive: true });
    await run(bin(h.binary!), ['-merge=1', `-max_len=${KEPT_MAX_FILE}`, '-timeout=30', fresh, kept], join(longDir, `${h.name}-minimize.log`));
    const files = readdirSync(fresh);
    if (files.length > 0) {
      rmSync(kept, { recursive: true, force: true });
      mkdirSync(kept, { recursive: true });
      // Still over: keep the smallest inputs up to the budget.
      let bytes = 0;
      for (const f of files.sort((a, b) => statSync(join(fresh, a)).size - statSync(join(fresh, b)).size)) {
        const size = statSync(join(fresh, f)).size;
        if (bytes + size > KEPT_BUDGET) break;
        bytes += size;
        copyFileSync(join(fresh, f), join(kept, f));
      }
    }
  }
  return added;
}

async function libFuzzerSlice(h: Harness, seconds: number, stats: HarnessStats): Promise<void> {
  const work = join(longDir, 'work', h.name);
  mkdirSync(work, { recursive: true });
  // A work corpus past 64 MB starts over: the kept corpus holds its coverage.
  if (corpusSize(work).bytes > 64 << 20) {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
  }
  const args = [
    `-max_total_time=${Math.round(seconds)}`, `-max_len=${h.maxLen}`, `-timeout=${h.timeout ?? 30}`, '-rss_limit_mb=4096',
    `-dict=${dict}`, `-artifact_prefix=${artifacts}/${h.name}-`, '-print_final_stats=1', '-print_pcs=0',
    ...(h.flags ?? []), work, kept, ...(h.seeds?.() ?? []),
  ];
  const started = performance.now();
  const startedAt = Date.now();
  const r = await run(bin(h.binary!), args, join(longDir, `${h.name}.log`));
  const elapsed = (performance.now() - started) / 1000;
  const executions = lastNumber(r.output, /stat::number_of_executed_units: (\d+)/g);
  const edges = lastNumber(r.output, /cov: (\d+)/g);
  // Crashes, leaks, out-of-memory and timeouts; slow units (over 10 s) are reported, not counted.
  const crashed = [...r.output.matchAll(/Test unit written to (\S+)/g)].map((m) => m[1]!).filter((f) => !/slow-unit-/.test(f));
  stats.executions += executions;
  stats.seconds += elapsed;
  if (edges > 0) stats.edges = edges;
  stats.crashes += crashed.length;
  const reached = reach(r.output);
  addReach(stats, reached);
  saveStats(statsOf!);
  const added = await mergeIntoKept(h, work, startedAt);
  stats.corpus_added += added;
  const shares = reached !== null && reached.executions > 0
    ? `, ${pct(reached.verified, reached.executions)} reach prepare, ${pct(reached.prepared, reached.executions)} reach invoke` : '';
  console.log(`fuzz-long: ${h.name}: ${executions} executions in ${elapsed.toFixed(0)} s (${(executions / elapsed).toFixed(0)}/s)${shares}, ` +
    `${edges} edges, ${added} added to the kept corpus${crashed.length > 0 ? `, CRASH: ${crashed.join(' ')}` : ''}`);
  if (r.code !== 0 && crashed.length === 0) console.log(`fuzz-long: ${h.name} exited ${r.code}; see ${join(longDir, `${h.name}.log`)}`);
}

/** Fresh generated models through tools/xtml_diff.c for `seconds`, `jobs` copies side by side from `seed` on. */
async function programSlice(h: Harness, seconds: number, stats: HarnessStats, seed: number, jobs: number): Promise<void> {
  const copies = Array.from({ length: jobs }, (_, j) => seed + j * 1_000_003);
  const results = await Promise.all(copies.map(async (s, j) => {
    const saved = join(artifacts, `${h.name}-seed-${s}.tflite`);
    const log = join(longDir, `${h.name}${jobs > 1 ? `-${j}` : ''}.log`);
    const r = await run(join(repoRoot, h.program!), ['-t', String(Math.round(seconds)), '-s', String(s), '-o', saved], log);
    const m = /xtml_diff: (\d+) models, (\d+) verified, (\d+) prepared, (\d+) invoked/.exec(r.output);
    return { r, m, saved, log, failed: r.code !== 0 || existsSync(saved) };
  }));
  let executions = 0;
  let prepared = 0;
  let invoked = 0;
  for (const { r, m, saved, log, failed } of results) {
    if (m !== null) {
      executions += Number(m[1]);
      prepared += Number(m[3]);
      invoked += Number(m[4]);
      addReach(stats, { verified: Number(m[2]), prepared: Number(m[3]) });
    }
    if (failed) {
      stats.crashes++;
      console.log(`fuzz-long: ${h.name}: FAILED (exit ${r.code}): ${saved}, log ${log}`);
    } else if (m === null) {
      console.log(`fuzz-long: ${h.name}: no summary, log ${log}`);
    }
  }
  stats.executions += executions;
  stats.seconds += seconds * jobs;
  console.log(`fuzz-long: ${h.name}: ${executions} models (${prepared} prepared, ${invoked} invoked) in ${seconds.toFixed(0)} s` +
    ` on ${jobs} ${jobs === 1 ? 'core' : 'cores'} (${(executions / seconds).toFixed(0)}/s)`);
}

function apiSlice(seconds: number, stats: HarnessStats, seed: number): void {
  const r = fuzzApi({ seed, seconds });
  stats.executions += r.executions;
  stats.seconds += r.seconds;
  stats.crashes += r.failures.length;
  if (r.failures.length > 0) {
    const file = join(artifacts, `api-seed-${seed}.json`);
    writeFileSync(file, JSON.stringify(r.failures, null, 2));
    console.log(`fuzz-long: api: FAILURES, requests in ${file}`);
  }
  console.log(`fuzz-long: api: ${r.executions} requests in ${r.seconds.toFixed(0)} s (${(r.executions / r.seconds).toFixed(0)}/s), ` +
    `${r.knownFrameChecks} known-frame checks, ${r.installs} models installed, ${r.failures.length} failures`);
}

const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;

function report(stats: Stats, before: number): void {
  const rows = Object.entries(stats.harnesses).map(([name, h]) =>
    `  ${name.padEnd(11)} ${String(h.executions).padStart(13)} ${(h.seconds / 3600).toFixed(2).padStart(7)} h ${String(h.edges || '-').padStart(6)} ` +
    `${String(h.corpus_added).padStart(6)} ${String(h.crashes).padStart(6)}`);
  console.log(`fuzz-long: cumulative over ${stats.runs} runs (${stats.hours} h):`);
  console.log('  harness       executions    time  edges  added crashes');
  for (const row of rows) console.log(row);
  console.log(`  total ${stats.total_executions} executions (${stats.total_executions - before} this run); kept corpus ` +
    `${stats.corpus.files} files, ${(stats.corpus.bytes / 1024).toFixed(0)} KB`);
}

async function compare(minutes: number): Promise<void> {
  const dir = join(longDir, 'compare');
  const results: string[] = [];
  for (const name of ['xtml_fuzz', 'xtml_fuzz_gen']) {
    const work = join(dir, name);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const r = await run(bin(name), [`-max_total_time=${minutes * 60}`, '-max_len=400000', '-timeout=300', '-rss_limit_mb=4096',
      `-dict=${dict}`, `-artifact_prefix=${dir}/${name}-`, '-print_final_stats=1', work, ...referenceSeeds()], join(dir, `${name}.log`));
    // The same binary measures both corpora: the byte harness's edges are the core's only.
    const measured = await run(bin('xtml_fuzz'), ['-runs=0', '-max_len=400000', '-timeout=300', '-rss_limit_mb=4096', work, ...referenceSeeds()],
      join(dir, `${name}-measure.log`));
    const executions = lastNumber(r.output, /stat::number_of_executed_units: (\d+)/g);
    const edges = lastNumber(measured.output, /INITED cov: (\d+)/g);
    const reached = reach(r.output);
    const shares = reached !== null && reached.executions > 0
      ? `; ${pct(reached.verified, reached.executions)} reach prepare, ${pct(reached.prepared, reached.executions)} reach invoke` : '';
    results.push(`${name.padEnd(14)} ${String(executions).padStart(9)} executions in ${minutes} min, core edges ${edges}${shares}`);
  }
  console.log(`fuzz-long: ${minutes} minutes each from the reference models:`);
  for (const line of results) console.log(`  ${line}`);
}

/** The running totals, saved after each slice and again between a slice and its merge. */
let statsOf: Stats | undefined;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(kept, { recursive: true });
  const compareMinutes = flag('--compare');
  if (compareMinutes !== undefined) {
    await compare(Number(compareMinutes));
    return;
  }
  const hours = Number(argv.find((a) => /^[0-9.]+$/.test(a)) ?? NaN);
  if (!(hours > 0)) {
    console.error('usage: npm run fuzz:long -- HOURS [--only core-gen,core-bytes,diff,gen-diff,gen-asan,api] [--slice MINUTES] [--jobs N] | --compare MINUTES');
    process.exit(2);
  }
  const only = flag('--only')?.split(',');
  const sliceSeconds = Number(flag('--slice') ?? 20) * 60;
  const jobs = Number(flag('--jobs') ?? 1);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    console.error('fuzz-long: --jobs takes a whole number from 1 to 64');
    process.exit(2);
  }
  const chosen = harnesses.filter((h) => only === undefined || only.includes(h.name));
  const shareSum = chosen.reduce((n, h) => n + h.share, 0);
  const remaining = new Map(chosen.map((h) => [h.name, (hours * 3600 * h.share) / shareSum]));
  const stats = loadStats();
  statsOf = stats;
  const before = stats.total_executions;
  stats.runs++;
  for (const h of chosen) {
    stats.harnesses[h.name] ??= { executions: 0, seconds: 0, edges: 0, corpus_added: 0, crashes: 0 };
  }
  saveStats(stats);
  let seed = (stats.runs * 7919 + Date.now()) >>> 0;
  while ([...remaining.values()].some((s) => s >= 1)) {
    for (const h of chosen) {
      const left = remaining.get(h.name)!;
      if (left < 1) continue;
      const seconds = Math.min(left, sliceSeconds);
      remaining.set(h.name, left - seconds);
      if (h.binary !== undefined) {
        await libFuzzerSlice(h, seconds, stats.harnesses[h.name]!);
      } else if (h.program !== undefined) {
        await programSlice(h, seconds, stats.harnesses[h.name]!, seed++, jobs);
      } else {
        apiSlice(seconds, stats.harnesses[h.name]!, seed++);
      }
      saveStats(stats);
    }
  }
  report(stats, before);
}

await main();
