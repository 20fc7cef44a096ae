// The TypeScript API on its WebAssembly and Node addon bindings: every
// reference vector byte for byte through InferenceSession, the same errors
// for the same bad models and arguments, no memory kept after release, and
// the committed xtml.wasm rebuilt from these sources.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendNames, loadBinding, loadWasmBinding, wasmPath } from '../host-sim/node/backends.js';
import type { BackendName, CoreBinding } from '../src/binding.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { bytesOf, typedView } from '../src/tensor.js';
import { createWasmBinding, type WasmModule } from '../src/wasm.js';
import { needs, optionalGroup, optionalTest } from './support/optional.js';
import {
  compareOutputs, loadManifest, loadTflmRefused, repoRoot, singleInvoke, ulpDistance, ulpTolerance, type ModelSpec,
} from './support/reference.js';

const optionalSerialTest = (title: string, requirements: Parameters<typeof optionalTest>[1], impl: Parameters<typeof optionalTest>[2]): void =>
  optionalTest(title, requirements, impl, true);

// The WebAssembly JS API, which the project's TypeScript setup (no DOM
// library) does not declare.
const WebAssemblyApi = (globalThis as unknown as {
  WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule>; Module: { new (bytes: Uint8Array): WasmModule; imports(m: WasmModule): { module: string; name: string }[] } };
}).WebAssembly;

const backends = ['wasm', 'node'] as const;
const bindings: Record<(typeof backends)[number], CoreBinding> = { wasm: loadBinding('wasm'), node: loadBinding('node') };

// Most tests here run on the reference set; without it they skip (or fail under CI), saying so.
const real = needs.reference.present() ? loadManifest('models') : [];
const ops = needs.reference.present() ? loadManifest('ops') : [];
const withVectors = [...real, ...ops].filter((m) => (m.vectors ?? []).length > 0);
// The project's own single-operator sets (test/data/tflm-ops): always present.
const tflmOps = loadManifest('tflm').filter(singleInvoke);
const modelBytes = (m: ModelSpec): Buffer => readFileSync(join(m.base, m.model));
const byId = (id: string): ModelSpec => {
  const m = [...real, ...ops].find((x) => x.id === id);
  if (m === undefined) throw new Error(`${id} is not in the manifests`);
  return m;
};

/** Outputs of one vector, concatenated in model order as the .out.bin files are. */
function runVector(session: InferenceSession, model: ModelSpec, input: Buffer): Buffer {
  const inputs = model.inputs.map((spec, i) => {
    const bytes = input.subarray(spec.byte_offset, spec.byte_offset + spec.bytes);
    const copy = new Uint8Array(bytes); // its own aligned buffer, as a typed array needs
    return typedView(session.inputs[i]!.type, copy.buffer, 0, copy.byteLength);
  });
  const outputs = session.run(inputs);
  return Buffer.concat(outputs.map((o) => bytesOf(o.data)));
}

/** What creating a session does with these bytes: its error code and detail, or 'ok'. */
function outcome(binding: CoreBinding, model: Uint8Array, arenaBytes?: number): string {
  try {
    InferenceSession.create(binding, model, arenaBytes === undefined ? {} : { arenaBytes }).release();
    return 'ok';
  } catch (error) {
    if (!(error instanceof XtmlError)) throw error;
    return `${error.code}: ${error.detail}`;
  }
}

test('the node backend is the addon, not the WebAssembly fallback', (t) => {
  t.is(bindings.wasm.backend, 'wasm');
  t.is(bindings.node.backend, 'node', 'native/node/build/Release/xtml.node did not load: run npm run build:addon');
});

// ---- every reference vector ----

for (const backend of backends) {
  optionalGroup(`${backend}: every reference vector matches TFLM`, [needs.reference], () => {
    for (const model of withVectors) {
      test(`${backend}: ${model.id} matches TFLM on all ${model.vectors!.length} vectors`, (t) => {
        const binding = bindings[backend];
        t.is(binding.backend, backend);
        const session = InferenceSession.create(binding, modelBytes(model));
        const problems: string[] = [];
        for (const vector of model.vectors!) {
          const got = runVector(session, model, readFileSync(join(model.base, vector.input)));
          const diff = compareOutputs(model.id, got, readFileSync(join(model.base, vector.output)));
          if (diff !== null) problems.push(`${vector.name}: ${diff}`);
        }
        session.release();
        t.deepEqual(problems, []);
      });
    }
  });
}

for (const backend of backends) {
  for (const model of tflmOps) {
    test(`${backend}: tflm-ops ${model.id} matches TFLM on all ${model.vectors!.length} vectors`, (t) => {
      const session = InferenceSession.create(bindings[backend], modelBytes(model));
      const problems: string[] = [];
      for (const vector of model.vectors!) {
        const got = runVector(session, model, readFileSync(join(model.base, vector.input)));
        const diff = compareOutputs(model.id, got, readFileSync(join(model.base, vector.output)));
        if (diff !== null) problems.push(`${vector.name}: ${diff}`);
      }
      session.release();
      t.deepEqual(problems, []);
    });
  }
}

test('the tflm-ops configurations TFLM refuses are refused on both with their status', (t) => {
  for (const r of loadTflmRefused()) {
    const model = readFileSync(join(r.base, r.model));
    for (const backend of backends) t.true(outcome(bindings[backend], model).startsWith(`${r.expected_refusal}: `), `${backend}: ${r.id}`);
  }
});

// Float LOGISTIC, SOFTMAX and TANH: the reference outputs come from glibc's
// expf and tanhf. The core calls neither (musl's, in WebAssembly, differ by
// 1-2 ulp) but computes exp and tanh itself (xtml_fmath.c), so both backends
// give the same bits, within the tolerance of the expected file.
for (const id of Object.keys(ulpTolerance)) {
  optionalTest(`${id}: identical on both backends, within ${ulpTolerance[id]} ulp of TFLM`, [needs.reference], (t) => {
    const model = byId(id);
    const sessions = backends.map((b) => InferenceSession.create(bindings[b], modelBytes(model)));
    let differing = 0;
    let total = 0;
    let worst = 0;
    for (const vector of model.vectors!) {
      const input = readFileSync(join(model.base, vector.input));
      const [wasm, node] = sessions.map((s) => runVector(s, model, input));
      t.true(wasm!.equals(node!), vector.name);
      const want = readFileSync(join(model.base, vector.output));
      const g = new Float32Array(wasm!.buffer, wasm!.byteOffset, wasm!.length / 4);
      const w = new Float32Array(want.buffer, want.byteOffset, want.length / 4);
      for (let i = 0; i < g.length; i++) {
        const ulp = ulpDistance(g[i]!, w[i]!);
        total++;
        if (ulp !== 0) differing++;
        worst = Math.max(worst, ulp);
      }
    }
    for (const s of sessions) s.release();
    t.log(`both differ from TFLM (glibc) in ${differing} of ${total} elements, by at most ${worst} ulp`);
    t.true(worst <= ulpTolerance[id]!);
  });
}

// ---- the same errors on both ----

optionalTest('a truncated model gives the same error on both backends, at every length', [needs.reference], (t) => {
  const model = modelBytes(byId('tflm_hello_world_int8'));
  const codes = new Set<string>();
  for (let length = 0; length < model.length; length++) {
    const cut = model.subarray(0, length);
    const [wasm, node] = backends.map((b) => {
      try {
        bindings[b].verify(cut);
        return 'ok';
      } catch (error) {
        t.true(error instanceof XtmlError);
        return `${(error as XtmlError).code}: ${(error as XtmlError).detail}`;
      }
    });
    if (wasm !== node) return t.is(node, wasm, `length ${length}`);
    t.not(wasm, 'ok', `length ${length}`);
    codes.add(wasm!.split(':')[0]!);
  }
  t.true(codes.has('XTML_STATUS_MODEL_TRUNCATED'));
  t.log([...codes].join(', '));
});

optionalTest('a wrong identifier: XTML_STATUS_MODEL_IDENTIFIER on both', [needs.reference], (t) => {
  const model = new Uint8Array(modelBytes(byId('tflm_hello_world_int8')));
  model.set([0x54, 0x46, 0x4c, 0x32], 4); // "TFL2"
  for (const backend of backends) {
    const error = t.throws(() => InferenceSession.create(bindings[backend], model), { instanceOf: XtmlError });
    t.is(error?.code, 'XTML_STATUS_MODEL_IDENTIFIER', backend);
  }
});

optionalTest("the vela model: XTML_STATUS_UNSUPPORTED_OPERATOR naming 'ethos-u' on both", [needs.reference], (t) => {
  const model = modelBytes(byId('tflm_person_detect_vela'));
  for (const backend of backends) {
    for (const create of [() => InferenceSession.create(bindings[backend], model), () => bindings[backend].init(model, 1 << 20)]) {
      const error = t.throws(create, { instanceOf: XtmlError });
      t.is(error?.code, 'XTML_STATUS_UNSUPPORTED_OPERATOR', backend);
      t.regex(error?.detail ?? '', /ethos-u/);
      t.is(error?.needed, undefined);
    }
  }
});

optionalTest('an arena one byte too small: XTML_STATUS_ARENA_TOO_SMALL with the size needed', [needs.reference], (t) => {
  const model = modelBytes(byId('tflm_micro_speech_quantized'));
  for (const backend of backends) {
    const binding = bindings[backend];
    const needed = binding.arenaSize(model); // 32-bit on wasm, 64-bit on the addon: they differ
    const error = t.throws(() => InferenceSession.create(binding, model, { arenaBytes: needed - 1 }), { instanceOf: XtmlError });
    t.is(error?.code, 'XTML_STATUS_ARENA_TOO_SMALL', backend);
    t.is(error?.needed, needed, backend);
    const exact = InferenceSession.create(binding, model, { arenaBytes: needed });
    t.is(exact.arenaBytes, needed);
    exact.release();
  }
});

optionalTest("the ops set's refused models get the same outcome on both", [needs.reference], (t) => {
  const refused = (JSON.parse(readFileSync(join(ops[0]!.base, 'manifest.json'), 'utf8')) as { refused: { id: string; model: string }[] }).refused;
  t.true(refused.length >= 10);
  for (const r of refused) {
    const model = readFileSync(join(ops[0]!.base, r.model));
    const [wasm, node] = backends.map((b) => outcome(bindings[b], model));
    t.is(node, wasm, r.id);
  }
});

// Corrupted bytes reach every check of the verifier and of prepare. The codes
// must agree; details may not where they print a number whose C type is
// pointer-sized (an arena size, or an offset past 4 GiB printed with %lu).
optionalTest('500 corrupted models get the same error code on both', [needs.reference], (t) => {
  const sources = ['tflm_micro_speech_quantized', 'tflm_hello_world_int8', 'op_conv_2d_int8_valid_s1_nobias'].map((id) => modelBytes(byId(id)));
  let state = 12345;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const seen = new Map<string, number>();
  const detailDiffers: string[] = [];
  for (let i = 0; i < 500; i++) {
    const model = new Uint8Array(sources[i % sources.length]!);
    for (let k = 0; k <= next() % 3; k++) model[next() % model.length] = next() & 0xff;
    const [wasm, node] = backends.map((b) => outcome(bindings[b], model));
    const code = wasm!.split(':')[0]!;
    if (node!.split(':')[0] !== code) return t.is(node, wasm, `mutation ${i}`);
    if (node !== wasm) detailDiffers.push(`wasm '${wasm}' vs node '${node}'`);
    seen.set(code, (seen.get(code) ?? 0) + 1);
  }
  t.log([...seen].map(([code, n]) => `${code} ${n}`).join(', '));
  if (detailDiffers.length > 0) t.log(`${detailDiffers.length} with different details:\n${detailDiffers.join('\n')}`);
  t.true(seen.size >= 4);
});

// ---- argument errors: thrown by the API, the same on every backend ----

for (const backend of backends) {
  optionalTest(`${backend}: bad inputs throw RangeError/TypeError naming the parameter`, [needs.reference], (t) => {
    const binding = bindings[backend];
    const session = InferenceSession.create(binding, modelBytes(byId('tflm_micro_speech_quantized')));
    const input = session.inputs[0]!;
    t.throws(() => session.run([new Int8Array(input.bytes - 1)]), { instanceOf: RangeError, message: /^inputs\[0\] has \d+ bytes/ });
    t.throws(() => session.run({ [input.name]: new Int8Array(input.bytes + 1) }), { instanceOf: RangeError, message: /^inputs\['.+'\] has/ });
    t.throws(() => session.run([new Uint8Array(input.bytes)]), { instanceOf: TypeError, message: /^inputs\[0\] must be a Int8Array/ });
    t.throws(() => session.run([]), { instanceOf: RangeError, message: /^inputs has 0 tensors/ });
    t.throws(() => InferenceSession.create(binding, modelBytes(byId('tflm_hello_world_int8')), { arenaBytes: -1 }), {
      instanceOf: RangeError,
      message: /^options\.arenaBytes/,
    });
    session.release();
    const released = t.throws(() => session.run([new Int8Array(input.bytes)]), { instanceOf: XtmlError });
    t.is(released?.code, 'XTML_STATUS_BAD_ARGUMENT');
  });

  optionalTest(`${backend}: a context refuses wrong byte counts and works no more after release`, [needs.reference], (t) => {
    const binding = bindings[backend];
    const model = modelBytes(byId('tflm_hello_world_int8'));
    const context = binding.init(model, binding.arenaSize(model));
    t.is(t.throws(() => context.setInput(0, new Uint8Array(2)), { instanceOf: XtmlError })?.code, 'XTML_STATUS_BAD_ARGUMENT');
    t.is(t.throws(() => context.getOutput(0, new Uint8Array(0)), { instanceOf: XtmlError })?.code, 'XTML_STATUS_BAD_ARGUMENT');
    t.is(t.throws(() => context.inputInfo(1), { instanceOf: XtmlError })?.code, 'XTML_STATUS_BAD_ARGUMENT');
    context.release();
    context.release(); // harmless
    t.is(t.throws(() => context.invoke(), { instanceOf: XtmlError })?.code, 'XTML_STATUS_BAD_ARGUMENT');
  });

  optionalTest(`${backend}: metadata, MACs and profiling`, [needs.reference], (t) => {
    const model = byId('tflm_person_detect');
    const session = InferenceSession.create(bindings[backend], modelBytes(model), { profiling: true });
    t.deepEqual(session.inputs.map((i) => [i.name, i.type, i.dims]), model.inputs.map((i) => [i.name, i.dtype, i.shape]));
    t.deepEqual(session.outputs.map((o) => [o.name, o.type, o.dims]), model.outputs.map((o) => [o.name, o.dtype, o.shape]));
    const quant = (model.inputs[0] as { quant?: { scale: number[]; zero_point: number[] } }).quant!;
    t.is(session.inputs[0]!.scale, Math.fround(quant.scale[0]!));
    t.is(session.inputs[0]!.zeroPoint, quant.zero_point[0]!);
    t.is(session.operators.length, 31);
    t.true(session.macs > 1_000_000);
    runVector(session, model, readFileSync(join(model.base, model.vectors![0]!.input)));
    const profile = session.profile();
    t.deepEqual(profile.map((p) => p.name), session.operators.map((o) => o.name));
    t.true(profile.every((p) => Number.isFinite(p.ms) && p.ms >= 0));
    t.true(profile.reduce((s, p) => s + p.ms, 0) > 0);
    session.setProfiling(false);
    t.deepEqual(session.profile(), []);
    session.release();
  });
}

optionalTest('the wasm and addon MAC counts and operators agree', [needs.reference], (t) => {
  for (const model of real.filter((m) => m.vectors?.length)) {
    const [wasm, node] = backends.map((b) => InferenceSession.create(bindings[b], modelBytes(model)));
    t.deepEqual(wasm!.operators, node!.operators, model.id);
    wasm!.release();
    node!.release();
  }
});

// ---- memory ----

/** One create/run/release cycle, plus the failure paths that also allocate. */
function cycle(binding: CoreBinding, model: Uint8Array, vela: Uint8Array): void {
  const session = InferenceSession.create(binding, model);
  session.run([new Int8Array(1)]);
  session.release();
  try {
    InferenceSession.create(binding, model, { arenaBytes: 64 });
  } catch {}
  try {
    binding.arenaSize(vela);
  } catch {}
}

optionalSerialTest('wasm: 10,000 create/run/release cycles leave linear memory the same size', [needs.reference], (t) => {
  const wasm = loadWasmBinding();
  const model = modelBytes(byId('tflm_hello_world_int8'));
  const vela = modelBytes(byId('tflm_person_detect_vela'));
  for (let i = 0; i < 100; i++) cycle(wasm, model, vela);
  const before = wasm.memoryBytes;
  for (let i = 0; i < 10_000; i++) cycle(wasm, model, vela);
  t.is(wasm.memoryBytes, before);
  t.log(`linear memory ${before} bytes`);
});

const gc = (globalThis as { gc?: () => void }).gc;
async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r)); // N-API finalizers run after the collection
  }
  return process.memoryUsage().rss;
}
const MB = 1 << 20;
const rssBound = 8 * MB;

optionalSerialTest('node: 10,000 create/run/release cycles keep RSS flat (< 8 MB growth)', [needs.reference], async (t) => {
  if (gc === undefined) t.log('global.gc unavailable (run node with --expose-gc): the bound is looser without it');
  const node = bindings.node;
  const model = modelBytes(byId('tflm_hello_world_int8'));
  const vela = modelBytes(byId('tflm_person_detect_vela'));
  for (let i = 0; i < 1000; i++) cycle(node, model, vela);
  const before = await settledRss();
  for (let i = 0; i < 10_000; i++) cycle(node, model, vela);
  const growth = (await settledRss()) - before;
  t.log(`RSS growth ${(growth / MB).toFixed(2)} MB`);
  t.true(growth < rssBound);
});

// Each unreleased context holds ~26 KB of model copy and arena outside the JS
// heap (micro_speech): if the finalizer did not free them, 4,000 would keep
// ~100 MB. Rounds of 100, each collected before the next, keep the peak (which
// RSS remembers, as malloc keeps freed memory) far below the bound.
optionalSerialTest('node: contexts never released are freed when collected', [needs.reference], async (t) => {
  const node = bindings.node;
  const model = modelBytes(byId('tflm_micro_speech_quantized'));
  const rounds = async (n: number): Promise<number> => {
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < 100; i++) InferenceSession.create(node, model);
      gc?.();
      await new Promise((r) => setImmediate(r));
    }
    return settledRss();
  };
  const before = await rounds(10);
  const growth = (await rounds(40)) - before;
  const leak = 4000 * (model.length + node.arenaSize(model));
  t.log(`RSS growth over 4,000 unreleased sessions ${(growth / MB).toFixed(2)} MB (${(leak / MB).toFixed(0)} MB if none were freed)`);
  t.true(growth < rssBound);
});

// ---- loading ----

optionalTest('createWasmBinding works from bytes and from a compiled module', [needs.reference], async (t) => {
  const bytes = readFileSync(wasmPath);
  const compiled = await WebAssemblyApi.compile(bytes);
  const model = modelBytes(byId('tflm_hello_world_int8'));
  for (const binding of [await createWasmBinding(bytes), await createWasmBinding(compiled)]) {
    const session = InferenceSession.create(binding, model);
    t.is(session.run([new Int8Array([5])])[0]!.data.length, 1);
    session.release();
  }
  await t.throwsAsync(createWasmBinding({} as never), { instanceOf: TypeError });
});

test("a missing addon: one warning, then 'node' is WebAssembly", (t) => {
  const script = `
    const { loadBinding } = await import(${JSON.stringify(join(repoRoot, 'dist/host-sim/node/backends.js'))});
    console.log(loadBinding('node').backend, loadBinding('node').backend);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, XTML_NODE_ADDON: '/nonexistent/xtml.node' },
  });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'wasm wasm');
  t.regex(r.stderr, /^xs-tinyml: Node addon unavailable \(.*nonexistent.*\); using WebAssembly\n$/);
});

test("'xs' has no binding in this process and says where it runs; unknown backends are refused", (t) => {
  t.deepEqual(backendNames, ['wasm', 'node', 'xs']);
  t.throws(() => loadBinding('xs'), { message: /^xs-tinyml: the 'xs' backend has no binding in this process: XS runs the session in the desktop XS host .*use 'node' or 'wasm'$/ });
  t.throws(() => loadBinding('tpu' as BackendName), { instanceOf: TypeError, message: /^backend must be one of 'wasm', 'node', 'xs'/ });
});

test('src/ stays engine-neutral: it imports only its own modules', (t) => {
  for (const file of readdirSync(join(repoRoot, 'src')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(repoRoot, 'src', file), 'utf8');
    const specifiers = [...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g)].map((m) => m[1] ?? m[2]);
    t.deepEqual(specifiers.filter((s) => !s!.startsWith('./')), [], file);
  }
});

// ---- the committed module ----

optionalTest('native/wasm/xtml.wasm is what native/wasm/build.sh builds from these sources', [needs.emcc], (t) => {
  const r = spawnSync(join(repoRoot, 'native/wasm/build.sh'), ['--check'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
});

test('xtml.wasm imports only the clock and the memory-growth notice', (t) => {
  const module = new WebAssemblyApi.Module(readFileSync(wasmPath));
  const imports = WebAssemblyApi.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  t.deepEqual(imports.sort(), ['env.emscripten_notify_memory_growth', 'env.xtml_host_ticks']);
});
